/* sipgw - keys a reload cannot change (cfg_diff.h). SPDX-License-Identifier: GPL-2.0-only */
#include "core/cfg_diff.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static void restart_add(struct cfg_restart *out, const char *fmt, ...)
{
	va_list ap;

	if (out->n == CFG_RESTART_MAX) {
		out->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(out->key[out->n++], CFG_RESTART_KEY, fmt, ap);
	va_end(ap);
}

/* One row per key that only a restart applies: its name and whether o and
 * n differ in it. A table so that a key is named once. */
#define DIFF_INT(name, field) { name, offsetof(struct gw_config, field), sizeof(int), 0 }
#define DIFF_STR(name, field) { name, offsetof(struct gw_config, field), sizeof(((struct gw_config *)0)->field), 1 }

struct diff_row {
	const char *name;
	size_t off, size;
	int is_str;
};

static const struct diff_row gw_rows[] = {
	/* the SIP listeners: nua is bound once (sip_ua_alloc) */
	DIFF_STR("sip.bind", sip_bind),
	DIFF_INT("sip.port", sip_port),
	DIFF_STR("sip.user_agent", sip_user_agent),
	DIFF_INT("sip.tcp", sip_tcp),
	DIFF_INT("sip.tls_port", sip_tls_port),
	DIFF_STR("sip.tls_cert", sip_tls_cert),
	DIFF_STR("sip.tls_key", sip_tls_key),
	DIFF_STR("sip.tls_ca", sip_tls_ca),
	DIFF_INT("sip.tls_verify", sip_tls_verify),
	DIFF_INT("sip.udp_rmem_kb", sip_udp_rmem_kb),
	/* RTP: sessions of calls up hold ports of the range */
	DIFF_STR("rtp.address", rtp_ip),
	DIFF_INT("rtp.port_min", rtp_port_min),
	DIFF_INT("rtp.port_max", rtp_port_max),
	DIFF_STR("rtp.moh_file", moh_file),
	DIFF_INT("log.syslog", log_syslog),
	/* RFC 4028: nua negotiates and refreshes the sessions of calls up with these */
	{ "timers.session-expires", offsetof(struct gw_config, timers.session_expires_ms), sizeof(unsigned), 0 },
	{ "timers.min-se", offsetof(struct gw_config, timers.min_se_ms), sizeof(unsigned), 0 },
	DIFF_STR("dahdi.system_conf", dahdi_system_conf),
	/* the registrar's store and its guessing guard are made once */
	DIFF_INT("registrar", reg.enabled),
	DIFF_STR("registrar.database", reg.database),
	DIFF_INT("registrar.auth_attempts", reg.auth_attempts),
	DIFF_INT("registrar.auth_window", reg.auth_window),
	DIFF_INT("registrar.auth_backoff", reg.auth_backoff),
	DIFF_INT("registrar.auth_backoff_max", reg.auth_backoff_max),
	/* reserved B-channels are counted by every span's hunting at once */
	DIFF_INT("emergency.reserved_channels", emergency.reserved_channels),
	/* sipgwctl's socket is bound and chown'd once (core/ctl.c) */
	DIFF_STR("control.socket", ops.control_socket),
	{ "control.mode", offsetof(struct gw_config, ops.control_mode), sizeof(unsigned), 0 },
	DIFF_STR("control.owner", ops.control_owner),
	DIFF_STR("control.group", ops.control_group),
	/* the CDR writer, the metrics listener and the traces are opened at
	 * start (sipgwctl's debug commands change traces live) */
	DIFF_STR("cdr.database", ops.cdr_database),
	DIFF_STR("metrics.listen", ops.metrics_listen),
	DIFF_STR("trace.pcap", ops.trace_pcap),
	DIFF_INT("trace.pcap_max_kb", ops.trace_pcap_max_kb),
	DIFF_INT("trace.pcap_files", ops.trace_pcap_files),
	DIFF_STR("trace.ladder_dir", ops.trace_ladder_dir),
	DIFF_INT("trace.ladder_all", ops.trace_ladder_all),
	{ NULL, 0, 0, 0 }
};

static int row_differs(const struct diff_row *r, const void *o, const void *n)
{
	const char *a = (const char *)o + r->off, *b = (const char *)n + r->off;

	return r->is_str ? strncmp(a, b, r->size) != 0 : memcmp(a, b, r->size) != 0;
}

#define SDIFF_INT(name, field) { name, offsetof(struct cfg_span, field), sizeof(int), 0 }
#define SDIFF_STR(name, field) { name, offsetof(struct cfg_span, field), sizeof(((struct cfg_span *)0)->field), 1 }

/* A span's D-channel and its line: libpri is made with the role, switch
 * type and overlap/SERVICE options; the back end opened the path or the
 * DAHDI channels; the B-channel table follows the framing and NFAS. What is
 * not here (hunting, tones, echo canceller, DTMF, country code) new calls
 * take at once. */
static const struct diff_row span_rows[] = {
	SDIFF_INT("type", type),
	SDIFF_STR("path", path),
	SDIFF_INT("role", role),
	SDIFF_INT("switchtype", switchtype),
	SDIFF_INT("framing", framing),
	SDIFF_INT("overlap_receive", overlap_receive),
	SDIFF_INT("overlap_send", overlap_send),
	SDIFF_INT("service_messages", service_messages),
	SDIFF_INT("nfas_group", nfas_group),
	SDIFF_INT("nfas_d", nfas_d),
	SDIFF_INT("nfas_int", nfas_int),
	SDIFF_INT("dahdi_span", dahdi_span),
	SDIFF_INT("dahdi_base", dahdi_base),
	SDIFF_INT("dahdi_dchan", dahdi_dchan),
	SDIFF_INT("dahdi_hardhdlc", dahdi_hardhdlc),
	{ "dahdi_bchans", offsetof(struct cfg_span, dahdi_bchans), sizeof(uint32_t), 0 },
	{ NULL, 0, 0, 0 }
};

void cfg_diff_span_restart(const struct cfg_span *o, const struct cfg_span *n, struct cfg_restart *out)
{
	for (const struct diff_row *r = span_rows; r->name; r++)
		if (row_differs(r, o, n))
			restart_add(out, "spans.%s.%s", o->name, r->name);
}

void cfg_diff_restart(const struct gw_config *o, const struct gw_config *n, struct cfg_restart *out)
{
	for (const struct diff_row *r = gw_rows; r->name; r++)
		if (row_differs(r, o, n))
			restart_add(out, "%s", r->name);
}

static void rows_keep(const struct diff_row *rows, const void *o, void *n)
{
	for (const struct diff_row *r = rows; r->name; r++)
		memcpy((char *)n + r->off, (const char *)o + r->off, r->size);
}

void cfg_diff_keep(const struct gw_config *o, struct gw_config *n)
{
	/* A registrar section added or taken away: the registrar as it runs,
	 * users and all, until the restart that makes or ends it. */
	if (o->reg.enabled != n->reg.enabled)
		n->reg = o->reg;
	rows_keep(gw_rows, o, n);
	/* what control.mode, owner and group were made into */
	memcpy(n->ops.control_mode_s, o->ops.control_mode_s, sizeof(n->ops.control_mode_s));
	n->ops.control_uid = o->ops.control_uid;
	n->ops.control_gid = o->ops.control_gid;
}

void cfg_diff_span_keep(const struct cfg_span *o, struct cfg_span *n)
{
	rows_keep(span_rows, o, n);
}
