/* sipgw - the control socket of the daemon (core/ctl.h) and its own
 * commands; the views of each part are in the other gw_*.c files.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gw.h"
#include "bridge/bridge.h"
#include "core/ctl.h"
#include "core/log.h"

#ifndef SIPGW_VERSION
#define SIPGW_VERSION "0.13"
#endif

/* show version: is it the gateway I think, and since when. */
static int cmd_show_version(void *arg, struct ctl_req *req, int argc, char **argv)
{
	struct gw *gw = arg;
	long long up_s = (mono_us() - gw->t_start_us) / 1000000;

	if (argc) {
		ctl_error(req, "show version takes no arguments");
		return -EINVAL;
	}
	ctl_kv(req, "gateway", "version", "sipgw %s", SIPGW_VERSION);
	ctl_kv(req, "gateway", "config", "%s", gw->cfg.file);
	ctl_kv_num(req, "gateway", "pid", (long long)getpid());
	ctl_kv_num(req, "gateway", "uptime_s", up_s);
	ctl_kv_num(req, "gateway", "spans", gw->n_spans);
	ctl_kv_num(req, "gateway", "dial_peers", (long long)gw->cfg.n_peers);
	ctl_kv_num(req, "gateway", "calls", bridge_call_count(gw->br));
	ctl_kv(req, "gateway", "state", "%s", gw->state == GW_RUNNING ? "running" : "stopping");
	return 0;
}

int gw_ctl_register(struct gw *gw)
{
	const struct cfg_ops *o = &gw->cfg.ops;
	int rc;

	if ((rc = ctl_alloc(&gw->ctl, &(struct ctl_params){
		     .root = gw->root, .path = o->control_socket, .mode = o->control_mode,
		     .owner = o->control_uid, .group = o->control_gid })))
		return rc;
	if ((rc = gw_metrics_register(gw)) ||
	    (rc = ctl_register(gw->ctl, "show version", "show version", cmd_show_version, gw)) ||
	    (rc = gw_calls_register(gw)) ||
	    (rc = gw_dialpeers_register(gw)) ||
	    (rc = gw_registrations_register(gw)) ||
	    (rc = gw_spans_register(gw)) ||
	    (rc = gw_reload_register(gw)) ||
	    (rc = gw_cdr_register(gw)) ||
	    (rc = gw_trace_register(gw)))	/* after the metrics: its figures go in them */
		return rc;
	return 0;
}
