/* sipgw - the SIP side's keys: sip, rtp and the dial-peers' tables, and
 * the checks that need more than one key (a dial-peer's transport against
 * its srtp, the keepalive's counts, the TLS listener's files). config.c
 * applies them.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/config_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct enum_row dp_type_enum[] = {
	{ "voip", DP_VOIP }, { "pots", DP_POTS }, { NULL, 0 } };

/* Cisco "fax protocol t38 | pass-through": a fax on a PRI call goes to T.38 or stays G.711 */
static const struct enum_row fax_enum[] = {
	{ "passthrough", 0 }, { "t38", 1 }, { NULL, 0 } };

const struct opt sip_opts[] = {
	{ "bind", OPT_STR, offsetof(struct gw_config, sip_bind), sizeof(((struct gw_config *)0)->sip_bind), 0, 0, NULL, 0 },
	{ "port", OPT_INT, offsetof(struct gw_config, sip_port), sizeof(int), 1, 65535, NULL, 0 },
	{ "user_agent", OPT_STR, offsetof(struct gw_config, sip_user_agent), sizeof(((struct gw_config *)0)->sip_user_agent), 0, 0, NULL, 0 },
	{ "trusted", OPT_PREFIX_LIST, offsetof(struct gw_config, sip_trusted), sizeof(struct cfg_list), 0, 0, NULL, 0 },
	{ "udp_rmem_kb", OPT_INT, offsetof(struct gw_config, sip_udp_rmem_kb), sizeof(int), 0, 262144, NULL, 0 },
	{ "max_call_rate", OPT_INT, offsetof(struct gw_config, sip_max_call_rate), sizeof(int), 0, 100000, NULL, 0 },
	{ "max_queue_delay", OPT_SECONDS_MS, offsetof(struct gw_config, sip_max_queue_delay_ms), sizeof(unsigned), 0, 10000, NULL, 0 },
	{ "retry_after", OPT_INT, offsetof(struct gw_config, sip_retry_after), sizeof(int), 1, 3600, NULL, 0 },
	{ "redirect_max_targets", OPT_INT, offsetof(struct gw_config, redirect_max_targets), sizeof(int), 1, 16, NULL, 0 },
	{ "tcp", OPT_BOOL, offsetof(struct gw_config, sip_tcp), sizeof(int), 0, 1, NULL, 0 },
	{ "tls_port", OPT_INT, offsetof(struct gw_config, sip_tls_port), sizeof(int), 0, 65535, NULL, 0 },
	/* PEM files (O_STR would name the keys after the fields, "sip_tls_cert") */
	{ "tls_cert", OPT_STR, offsetof(struct gw_config, sip_tls_cert), sizeof(((struct gw_config *)0)->sip_tls_cert), 0, 0, NULL, 0 },
	{ "tls_key", OPT_STR, offsetof(struct gw_config, sip_tls_key), sizeof(((struct gw_config *)0)->sip_tls_key), 0, 0, NULL, 0 },
	{ "tls_ca", OPT_STR, offsetof(struct gw_config, sip_tls_ca), sizeof(((struct gw_config *)0)->sip_tls_ca), 0, 0, NULL, 0 },
	{ "tls_verify", OPT_BOOL, offsetof(struct gw_config, sip_tls_verify), sizeof(int), 0, 1, NULL, 0 },
	{ "redirect_max_hops", OPT_INT, offsetof(struct gw_config, redirect_max_hops), sizeof(int), 1, 10, NULL, 0 },
	{ NULL } };

const struct opt rtp_opts[] = {
	{ "address", OPT_STR, offsetof(struct gw_config, rtp_ip), sizeof(((struct gw_config *)0)->rtp_ip), 0, 0, NULL, 0 },
	{ "port_min", OPT_INT, offsetof(struct gw_config, rtp_port_min), sizeof(int), 1024, 65534, NULL, 0 },
	{ "port_max", OPT_INT, offsetof(struct gw_config, rtp_port_max), sizeof(int), 1025, 65535, NULL, 0 },
	{ "codecs", OPT_CODEC_LIST, offsetof(struct gw_config, rtp_codecs), sizeof(struct dp_codecs), 0, 0, NULL, 0 },
	/* music on hold: raw 8 kHz mu-law (sox ... -t ul), looped to a PBX party the SIP side holds */
	O_STR(struct gw_config, moh_file, 0),
	/* Cisco dtmf-relay for calls no voip dial-peer names (registered phones) */
	{ "dtmf_relay", OPT_ENUM_LIST, offsetof(struct gw_config, dtmf_relay), sizeof(struct cfg_enum_list), 0, 0, dtmf_relay_enum, 0 },
	/* Cisco vad: CN (RFC 3389) instead of silent packets; off by default, as carriers run it */
	{ "vad", OPT_BOOL, offsetof(struct gw_config, rtp_vad), sizeof(int), 0, 1, NULL, 0 },
	{ "fax", OPT_ENUM, offsetof(struct gw_config, fax_t38), sizeof(int), 0, 0, fax_enum, 0 },
	{ "t38_redundancy", OPT_INT, offsetof(struct gw_config, t38_redundancy), sizeof(int), 1, 8, NULL, 0 },
	{ NULL } };

/* Q.931 4.5.8 type of number (bits 7-5) and numbering plan (bits 4-1). */
static const struct enum_row ton_enum[] = {
	{ "unknown", 0x00 }, { "international", 0x10 }, { "national", 0x20 },
	{ "network-specific", 0x30 }, { "subscriber", 0x40 }, { "abbreviated", 0x60 }, { NULL, 0 } };
static const struct enum_row npi_enum[] = {
	{ "unknown", 0x0 }, { "isdn", 0x1 }, { "data", 0x3 }, { "telex", 0x4 },
	{ "national", 0x8 }, { "private", 0x9 }, { NULL, 0 } };

static const struct enum_row dp_transport_enum[] = {
	{ "udp", DP_TP_UDP }, { "tcp", DP_TP_TCP }, { "tls", DP_TP_TLS }, { NULL, 0 } };
static const struct enum_row dp_srtp_enum[] = {
	{ "off", DP_SRTP_OFF }, { "optional", DP_SRTP_OPTIONAL }, { "mandatory", DP_SRTP_MANDATORY }, { NULL, 0 } };

const struct opt dp_opts[] = {
	{ "tag", OPT_INT, offsetof(struct dial_peer, tag), sizeof(int), 1, 2147483647, NULL, 1 },
	{ "type", OPT_ENUM, offsetof(struct dial_peer, type), sizeof(int), 0, 0, dp_type_enum, 1 },
	{ "destination_pattern", OPT_STR, offsetof(struct dial_peer, pattern), sizeof(((struct dial_peer *)0)->pattern), 0, 0, NULL, 1 },
	{ "preference", OPT_INT, offsetof(struct dial_peer, preference), sizeof(int), 0, 10, NULL, 0 },
	{ "session_target", OPT_STR, offsetof(struct dial_peer, target), sizeof(((struct dial_peer *)0)->target), 0, 0, NULL, 0 },
	{ "port", OPT_STR, offsetof(struct dial_peer, port), sizeof(((struct dial_peer *)0)->port), 0, 0, NULL, 0 },
	{ "forward_digits", OPT_FWD_DIGITS, offsetof(struct dial_peer, forward_digits), sizeof(int), 0, 32, NULL, 0 },
	{ "prefix", OPT_STR, offsetof(struct dial_peer, prefix), sizeof(((struct dial_peer *)0)->prefix), 0, 0, NULL, 0 },
	{ "numbering_type", OPT_ENUM, offsetof(struct dial_peer, ton), sizeof(int), 0, 0, ton_enum, 0 },
	{ "numbering_plan", OPT_ENUM, offsetof(struct dial_peer, npi), sizeof(int), 0, 0, npi_enum, 0 },
	{ "redirect", OPT_BOOL, offsetof(struct dial_peer, redirect), sizeof(int), 0, 1, NULL, 0 },
	{ "codec", OPT_CODEC_LIST, offsetof(struct dial_peer, codecs), sizeof(struct dp_codecs), 0, 0, NULL, 0 },
	{ "dtmf_relay", OPT_ENUM_LIST, offsetof(struct dial_peer, dtmf_relay), sizeof(struct cfg_enum_list), 0, 0, dtmf_relay_enum, 0 },
	{ "session_transport", OPT_ENUM, offsetof(struct dial_peer, transport), sizeof(int), 0, 0, dp_transport_enum, 0 },
	{ "srtp", OPT_ENUM, offsetof(struct dial_peer, srtp), sizeof(int), 0, 0, dp_srtp_enum, 0 },
	{ "delayed_offer", OPT_BOOL, offsetof(struct dial_peer, delayed_offer), sizeof(int), 0, 1, NULL, 0 },
	{ "options_keepalive", OPT_BOOL, offsetof(struct dial_peer, options_keepalive), sizeof(int), 0, 1, NULL, 0 },
	{ "options_up_interval", OPT_SECONDS_MS, offsetof(struct dial_peer, options_up_ms), sizeof(unsigned), 1000, 3600000, NULL, 0 },
	{ "options_down_interval", OPT_SECONDS_MS, offsetof(struct dial_peer, options_down_ms), sizeof(unsigned), 1000, 3600000, NULL, 0 },
	{ "options_retry", OPT_INT, offsetof(struct dial_peer, options_retry), sizeof(int), 1, 10, NULL, 0 },
	{ "options_recovery", OPT_INT, offsetof(struct dial_peer, options_recovery), sizeof(int), 1, 10, NULL, 0 },
	{ NULL } };

/* session_transport says how our INVITEs to the peer's address travel: a
 * pots dial-peer or a registered phone (its Contact says) has none. */
static int peer_transport_check(struct ctx *c, const config_setting_t *g, const struct dial_peer *dp)
{
	const config_setting_t *s = config_setting_get_member(g, "session_transport");

	if (s && (dp->type != DP_VOIP || dp_targets_registrar(dp)))
		return fail(c, s, "dial-peer %d: 'session_transport' is for a voip dial-peer with an address "
			    "session_target (a registered phone is called as its Contact says)", dp->tag);
	return 0;
}

/* A dial-peer's SIP keys that depend on each other, after its table. */
int load_peer_sip(struct ctx *c, const config_setting_t *g, struct dial_peer *dp)
{
	const config_setting_t *s = config_setting_get_member(g, "srtp");
	int rc;

	/* RFC 4568 8.3: SDES keys travel in the SDP, in clear unless the
	 * signalling is encrypted; Cisco's "srtp" wants "session transport
	 * tls" too. "optional" offers keys just as "mandatory" does. */
	if (dp->type == DP_VOIP && dp->srtp != DP_SRTP_OFF && dp->transport != DP_TP_TLS)
		return fail(c, s ? s : g,
			    "dial-peer %d: 'srtp' = \"%s\" needs session_transport = \"tls\" (SDES keys would cross in clear)",
			    dp->tag, dp->srtp == DP_SRTP_MANDATORY ? "mandatory" : "optional");
	if ((rc = peer_transport_check(c, g, dp)))
		return rc;
	/* OPTIONS go to an address: a span has none, and "registrar" is
	 * every registered phone (their REGISTERs are their keepalive). */
	if (dp->options_keepalive && (dp->type != DP_VOIP || dp_targets_registrar(dp)))
		return fail(c, config_setting_get_member(g, "options_keepalive"),
			    "dial-peer %d: 'options_keepalive' is for a voip dial-peer with an address "
			    "session_target", dp->tag);
	return 0;
}

/* The listeners' keys together (after the dial-peers): TLS on a port of
 * its own with a certificate and its key, CAs to verify peers with when
 * tls_verify is on, and a listener for every dial-peer that wants TLS. */
int check_sip_transport(struct ctx *c, config_t *lc, const struct gw_config *cfg)
{
	static const char *const files[] = { "sip.tls_cert", "sip.tls_key", "sip.tls_ca" };
	const char *const vals[] = { cfg->sip_tls_cert, cfg->sip_tls_key, cfg->sip_tls_ca };
	const config_setting_t *tp = config_lookup(lc, "sip.tls_port");

	if (cfg->sip_tls_port) {
		if (cfg->sip_tls_port == cfg->sip_port)
			return fail(c, tp, "sip.tls_port = %d is sip.port too: TLS listens on a port of its own "
				    "(5061 by custom)", cfg->sip_tls_port);
		if (!cfg->sip_tls_cert[0] || !cfg->sip_tls_key[0])
			return fail(c, tp, "sip.tls_port needs tls_cert and tls_key (PEM files)");
		if (cfg->sip_tls_verify && !cfg->sip_tls_ca[0])
			return fail(c, config_lookup(lc, "sip.tls_verify") ? config_lookup(lc, "sip.tls_verify") : tp,
				    "sip.tls_verify is on: tls_ca must name the PEM file of the CAs that sign the "
				    "peers' certificates (or tls_verify = false)");
		return config_check_tls_files(c, lc, cfg);
	}
	for (int i = 0; i < 3; i++)
		if (vals[i][0])
			return fail(c, config_lookup(lc, files[i]), "%s is set but sip.tls_port is 0 (no TLS "
				    "listener; 5061 by custom)", files[i]);
	for (size_t i = 0; i < cfg->n_peers; i++) {
		const config_setting_t *g = config_setting_get_elem(config_lookup(lc, "dial_peers"), (unsigned)i);

		if (cfg->peers[i].transport == DP_TP_TLS)
			return fail(c, g ? config_setting_get_member(g, "session_transport") : NULL,
				    "dial-peer %d: session_transport \"tls\" needs sip.tls_port (a TLS listener with "
				    "its tls_cert and tls_key)", cfg->peers[i].tag);
	}
	return 0;
}
