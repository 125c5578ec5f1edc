/* sipgw - Cisco-style dial-peers as data: the peer, its destination-pattern
 * grammar and its session-target syntax. Config validates with these and
 * route/dialpeer.h matches with them; nothing here decides where a call goes.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_DIALPEER_H
#define SIPGW_CORE_DIALPEER_H

#include <stddef.h>
#include <stdint.h>

#include "core/cause_override.h"

enum dp_type { DP_POTS, DP_VOIP };

#define DP_FWD_DEFAULT	-1	/* strip the explicitly matched leading digits */
#define DP_FWD_ALL	-2	/* forward-digits all */
#define DP_PREF_MAX	10
#define DP_SIP_PORT	5060	/* RFC 3261 19.1.2 default port */
#define DP_SIPS_PORT	5061	/* RFC 3261 19.1.2, for sips: (session_transport tls) */

/* A Cisco voice-class codec list: config names in preference order
 * ("g722-64", "g711ulaw", ...); dsp/codec.h's codec_by_cfg() resolves them. */
#define DP_MAX_CODECS 8
struct dp_codecs {
	char v[DP_MAX_CODECS][16];
	int n;			/* 0: none given */
};

/* How DTMF crosses to the SIP side (Cisco dtmf-relay): the first listed
 * method the far end supports is used; none listed, or "inband": the tones
 * stay in the audio. */
enum dtmf_relay { DTMF_RELAY_INBAND, DTMF_RELAY_RTP_NTE, DTMF_RELAY_SIP_INFO };
/* How digits from the SIP side reach the PBX: tones on the B-channel, or
 * Q.931 INFORMATION with Keypad facility (Q.931 4.5.18). */
enum dtmf_to_pbx { DTMF_PBX_INBAND, DTMF_PBX_KEYPAD };

/* A list of names from one enum table, in the order written (OPT_ENUM_LIST). */
#define CFG_MAX_ENUM_LIST 8
struct cfg_enum_list {
	int v[CFG_MAX_ENUM_LIST];
	int n;
};

/* Cisco "session transport": what our INVITEs to a voip peer go over. */
enum dp_transport { DP_TP_UDP, DP_TP_TCP, DP_TP_TLS };
/* Cisco "srtp" / "srtp fallback": off, offered with RTP/AVP kept possible,
 * or required (a call that cannot have it fails). SDES keys only over TLS. */
enum dp_srtp { DP_SRTP_OFF, DP_SRTP_OPTIONAL, DP_SRTP_MANDATORY };

struct dial_peer {
	int tag;
	enum dp_type type;
	char pattern[64];	/* destination-pattern */
	int preference;		/* 0 (default, most preferred) .. 10 */
	char target[128];	/* voip: "ipv4:1.2.3.4[:port]", "dns:host[:port]" or "host[:port]" */
	char port[64];		/* pots: span or trunk group name */
	int forward_digits;	/* pots: DP_FWD_DEFAULT, DP_FWD_ALL or N = keep the last N */
	char prefix[32];	/* pots: digits prepended after stripping */
	int ton, npi;		/* pots: called number's type of number (bits 7-5) and numbering plan (Q.931 4.5.8) */
	struct cause_overrides causes;	/* rows that beat the global ones for calls over this peer */
	struct cfg_enum_list dtmf_relay;	/* voip: Cisco dtmf-relay, enum dtmf_relay (n 0: the global rtp.dtmf_relay) */
	int redirect;		/* voip: a SIP caller is answered 302 to NUMBER@session_target (redirect
				 * server, RFC 3261 8.3) instead of being relayed */
	struct dp_codecs codecs;	/* voip: voice-class codec order; none: rtp.codecs */
	int transport;		/* voip: enum dp_transport (session_transport, default udp) */
	int srtp;		/* voip: enum dp_srtp (default off) */
	int delayed_offer;	/* voip: our INVITEs carry no SDP; the offer comes in the 2xx */
	/* voip: Cisco voice-class sip options-keepalive: OPTIONS every up_ms
	 * while the peer answers, every down_ms once it has failed retry
	 * times in a row (busied out), back in service after recovery answers. */
	int options_keepalive;
	unsigned options_up_ms, options_down_ms;
	int options_retry, options_recovery;
};

/* The dial alphabet: a bit per symbol. '.', 'T' and negated classes cover the
 * dialable digits (0-9 * #); '+' is only ever matched as a literal. */
enum { DP_SYM_STAR = 10, DP_SYM_HASH = 11, DP_SYM_PLUS = 12 };
#define DP_SET_DIAL	0x0fffu		/* 0-9 * # */
#define DP_REP_INF	0xff		/* no upper bound on repeats */
#define DP_PAT_ELEMS_MAX 64

enum dp_pat_kind { DP_PK_LIT, DP_PK_SET, DP_PK_T };

/* One compiled element: a symbol set repeated min..max times. */
struct dp_pat_elem {
	enum dp_pat_kind kind;
	uint16_t set;
	uint8_t min, max;
	uint8_t quantified;
};

/* A compiled destination-pattern. */
struct dp_pat {
	struct dp_pat_elem e[DP_PAT_ELEMS_MAX];
	size_t n;
	int fixed;	/* no T and no quantifier: matches one length only */
};

/** The alphabet index of a dialled symbol (0-9, DP_SYM_*), -1 for anything else. */
int dp_sym_index(char c);
/** Compile a destination-pattern into pat; 0, or -EINVAL with *whyp (if whyp)
 * set to a static reason for the config error. */
int dp_pattern_compile(struct dp_pat *pat, const char *pattern, const char **whyp);
/** Check a destination-pattern; 0, or -EINVAL with *whyp (if whyp) set to a
 * static reason for the config error. */
int dp_pattern_check(const char *pattern, const char **whyp);
/** Host and port of a voip peer's session target (port DP_SIP_PORT when absent,
 * DP_SIPS_PORT for session_transport tls): ipv4:A.B.C.D[:PORT],
 * ipv6:[X::Y][:PORT] or ipv6:X::Y, dns:NAME[:PORT], NAME[:PORT]; an IPv6 host
 * comes out bare (no brackets). 0, -EINVAL (not voip, malformed) or -ENOSPC
 * (host does not fit). */
int dp_session_target(const struct dial_peer *dp, char *host, size_t hostlen, int *portp);
/** The codec config names the gateway has (dsp/codec.c's table, which
 * tests/unit/test_dialpeer.c holds it to): i-th, or NULL past the end. G.729
 * is not among them: bcg729 is GPL-3.0-or-later, libpri GPL-2.0-only. */
const char *dp_codec_name(int i);
/** True when name (any case) is one of dp_codec_name(). */
int dp_codec_known(const char *name);
/** True when a voip dial-peer's session target is the registrar (Cisco "session target registrar"). */
int dp_targets_registrar(const struct dial_peer *dp);

#endif
