/* sipgw - sipgwctl's show registrations: the phones bound at the
 * gateway's registrar (Cisco "show sip-ua register status", Asterisk
 * "pjsip show contacts"). SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>

#include "gw.h"
#include "core/ctl.h"
#include "sip/registrar.h"

static void reg_row(void *arg, const struct reg_info *ri)
{
	struct ctl_req *req = arg;
	const char *blank = ctl_json(req) ? "" : "-";

	ctl_cell(req, "%s", ri->aor);
	ctl_cell(req, "%s", ri->contact);
	ctl_cell(req, "%s", ri->source[0] ? ri->source : blank);
	ctl_cell_num(req, ri->expires_in_s);
	ctl_cell(req, "%s", ri->user_agent[0] ? ri->user_agent : blank);
}

static int cmd_show_registrations(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;

	(void)argv;
	if (argc) {
		ctl_error(req, "show registrations takes no arguments");
		return -EINVAL;
	}
	if (!gw->reg)
		ctl_text(req, "no registrar here (registrar.enabled is off)");
	ctl_table(req, "registrations", (const char *[]){ "aor", "contact", "source", "expires_s", "user_agent",
							 NULL });
	registrar_foreach(gw->reg, 0, reg_row, req);
	return 0;
}

int gw_registrations_register(struct gw *gw)
{
	return ctl_register(gw->ctl, "show registrations", "show registrations", cmd_show_registrations, gw);
}
