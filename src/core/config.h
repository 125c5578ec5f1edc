/* sipgw - configuration: libconfig file -> struct gw_config, every error with
 * file and line. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_CONFIG_H
#define SIPGW_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/log.h"
#include "core/dialpeer.h"

/* DAHDI's own limits (DAHDI_MAX_SPANS, DAHDI_MAX_CHANNELS in dahdi/kernel.h):
 * a full chassis. Spans are kept in fixed arrays of this size (a few hundred
 * bytes of config per span, a pointer elsewhere), simpler than allocated
 * ones and still small; a span's own state is allocated when it starts. */
#define CFG_MAX_SPANS 128
#define CFG_MAX_TGS 16
#define CFG_NAME 32

enum span_type { SPAN_LOOPBACK, SPAN_DAHDI };
enum span_framing { FRAMING_T1, FRAMING_E1 };
enum span_role { ROLE_NETWORK, ROLE_CPE };
enum hunt_order { HUNT_ASCENDING, HUNT_DESCENDING, HUNT_ROUND_ROBIN };
/* NFAS (one D-channel for several T1s): what this span's timeslot 24 is,
 * Cisco's nfas_d. NONE: no D-channel, 24 B-channels. */
enum nfas_d { NFAS_D_PRIMARY, NFAS_D_BACKUP, NFAS_D_NONE };
/* The switch type a span's D-channel speaks; q931/span_dchan.c maps it to libpri's
 * PRI_SWITCH_* (config knows names, not libpri). */
enum span_switch {
	SWITCH_NI2, SWITCH_EUROISDN_E1, SWITCH_EUROISDN_T1, SWITCH_DMS100, SWITCH_5ESS, SWITCH_4ESS,
	SWITCH_NI1, SWITCH_QSIG, SWITCH__COUNT
};

struct cfg_span {
	char name[CFG_NAME];
	enum span_type type;
	char path[100];			/* loopback: socket path (audio at path "-b"); dahdi:
					 * "dahdi span N", for logs */
	enum span_role role;
	enum span_switch switchtype;
	char switch_name[16];
	enum span_framing framing;
	enum hunt_order hunt;
	int overlap_receive;		/* SETUP without Sending Complete: collect digits (Q.931 5.2.4) */
	int overlap_send;		/* our SETUP: digits one by one in INFORMATION (Q.931 5.1.3) */
	int service_messages;		/* take SERVICE (out of / in service) messages for B-channels */
	char country_code[8];		/* E.164 country code of the span's national numbers ("" = none) */
	/* NFAS: spans with the same nfas_group share the D-channel of their
	 * primary (and backup) span; nfas_int is the span's interface number
	 * in Channel identification (Q.931 4.5.13, octet 3.1) */
	int nfas_group;			/* 0: not NFAS */
	enum nfas_d nfas_d;
	int nfas_int;
	enum dtmf_to_pbx dtmf_to_pbx;
	/* dahdi: the span's channels, as dahdi.system_conf lays them out */
	int dahdi_span;			/* DAHDI span number (its span= line) */
	int dahdi_base;			/* DAHDI channel number of timeslot 1 */
	int dahdi_dchan;		/* D-channel timeslot (24 on a T1, 16 on an E1) */
	int dahdi_hardhdlc;		/* the D-channel is hardhdlc= (HDLC on the card), not dchan= */
	uint32_t dahdi_bchans;		/* B-channel timeslots, a bit each */
	/* media on this span's B-channels (issue 11) */
	char tone_zone[16];		/* libtonezone's country ("us", "uk", "de", ...): the
					 * ringback, busy, ... we play towards the PBX */
	int echo_cancel;		/* G.168 echo canceller on every voice call (default on) */
	int echo_tail_ms;		/* its tail, 32..256 ms (default 128) */
	int inband_ringback;		/* SIP 180 without SDP: play the zone's ringback to the
					 * PBX (Cisco "progress_ind alert enable 8"); default
					 * off: the PBX makes its own on ALERTING (Q.931 5.1.7) */
};

struct cfg_trunk_group {
	char name[CFG_NAME];
	char spans[CFG_MAX_SPANS][CFG_NAME];
	int n_spans;
	enum hunt_order hunt;
};

/* Named timers (STYLE: named after the spec, configurable by that name). */
struct cfg_timers {
	unsigned ring_no_answer_ms;	/* INVITE sent -> no final answer: CANCEL, cause 19 */
	unsigned shutdown_grace_ms;	/* SIGTERM: time given to calls to clear */
	unsigned t302_ms;		/* Q.931 T302: overlap receiving, no INFORMATION this long: route what came */
	unsigned timer_b_ms;		/* RFC 3261 17.1.1.2 Timer B (64*T1): INVITE unanswered */
	unsigned rtp_timeout_ms;	/* no RTP from a SIP peer this long: clear, cause 41 (0 = off) */
	unsigned rtp_hold_timeout_ms;	/* the same while the peer holds the call (0 = off) */
	unsigned session_expires_ms;	/* RFC 4028 Session-Expires, whole seconds (0 = no session timers) */
	unsigned min_se_ms;		/* RFC 4028 Min-SE, whole seconds */
};

#define CFG_MAX_LIST 32
struct cfg_list {
	char v[CFG_MAX_LIST][64];
	int n;
};

/* Registrar and backup proxy for phones (figures B-19..B-21). */
#define CFG_MAX_USERS 256
struct cfg_user {
	char user[64];
	char password[64];
	/* Call forwarding (figures B-10..B-12): numbers routed as if the user
	 * had dialled them, "" = none; forward_all may list several ("2002,
	 * 2003"), tried in order, or given in that q order by a redirect server. */
	char forward_all[128];
	char forward_busy[64];
	char forward_no_answer[64];
	unsigned forward_no_answer_ms;	/* forward_no_answer's own ring timer */
	int redirect;			/* redirect server: answer 302/300 (forward_all, else the
					 * user's registered contacts) instead of relaying */
	int pstn;			/* may reach the PSTN: calls, forwards, redirects (default yes) */
	int line;			/* of the entry in the file */
};

struct cfg_registrar {
	int enabled;			/* a registrar section is present */
	char realm[64];			/* digest realm */
	char database[256];		/* SQLite file the bindings survive restarts in ("" = memory only) */
	char users_file[256];		/* more users, "user:password" lines (Sofia auth module format) */
	struct cfg_user users[CFG_MAX_USERS];
	int n_users;
	int min_expires, max_expires, default_expires;	/* seconds (RFC 3261 10.3 step 7) */
	int max_contacts;		/* per address of record; the oldest binding makes room */
	int nonce_ttl;			/* seconds a digest nonce stays valid */
	/* Guessing (sip/auth_guard.h): auth_attempts failed digest answers in
	 * auth_window seconds block a source for auth_backoff seconds, doubling
	 * up to auth_backoff_max while it goes on. */
	int auth_attempts, auth_window, auth_backoff, auth_backoff_max;
};

/* Emergency numbers (figures B-22, B-23): accepted from anyone, routed first. */
#define CFG_MAX_EMERGENCY 16
struct cfg_emergency_number {
	char pattern[32];		/* dial-peer pattern syntax */
	char extension[32];		/* "" = route by registrations, then dial-peers; else this extension */
	int line;			/* of the entry in file, for what is found after loading */
};

struct cfg_emergency {
	struct cfg_emergency_number nums[CFG_MAX_EMERGENCY];
	int n;
	int reserved_channels;		/* B-channels per span only emergency calls may take */
};

/* Running it (issue 13): sipgwctl's socket, the CDR, metrics, traces. */
struct cfg_ops {
	char control_socket[256];	/* control.socket: sipgwctl's Unix socket ("" = none) */
	char control_mode_s[8];		/* control.mode, octal as written ("0660") */
	unsigned control_mode;
	char control_owner[32], control_group[32];	/* control.owner / group: chown'd to, and allowed */
	uid_t control_uid;		/* (uid_t)-1: not set */
	gid_t control_gid;
	char cdr_database[256];		/* cdr.database: SQLite file, table cdr ("" = no CDR) */
	int cdr_database_line;		/* its line in the file, for an error at start-up */
	char metrics_listen[64];	/* metrics.listen: "127.0.0.1:9xxx" / "[::1]:9xxx" ("" = off) */
	char trace_pcap[256];		/* trace.pcap: pcapng of every D-channel frame and SIP message ("" = off) */
	int trace_pcap_max_kb;		/* trace.pcap_max_kb: rotate past this size */
	int trace_pcap_files;		/* trace.pcap_files: FILE, FILE.1 .. FILE.(N-1) kept */
	char trace_ladder_dir[256];	/* trace.ladder_dir: where per-call ladder diagrams go */
	int trace_ladder_all;		/* trace.ladder_all: one for every call at hang-up */
};

struct gw_config {
	char file[256];
	enum log_level log_level;
	int log_syslog;
	char sip_bind[64];
	int sip_port;
	char sip_user_agent[64];
	int sip_tcp;			/* sip.tcp: listen on TCP beside UDP (default on) */
	int sip_tls_port;		/* sip.tls_port: TLS listener (0 = none) */
	char sip_tls_cert[256], sip_tls_key[256], sip_tls_ca[256];	/* PEM files */
	int sip_tls_verify;		/* sip.tls_verify: check the peer's certificate on outgoing TLS (default on) */
	struct cfg_list sip_trusted;	/* addresses/prefixes whose INVITEs may reach a trunk unauthenticated */
	int sip_udp_rmem_kb;		/* SIP UDP receive buffer asked of the kernel (0 = its default) */
	int sip_max_call_rate;		/* new INVITEs per second taken at most (0 = no fixed ceiling) */
	unsigned sip_max_queue_delay_ms; /* a request waited longer in the socket: overload (0 = never) */
	int sip_retry_after;		/* seconds, Retry-After of an overload 503 (sent as N..2N) */
	int redirect_max_targets;	/* 3xx Contacts and forwards tried per call at most */
	int redirect_max_hops;		/* redirections (3xx followed, forwards) per call at most */
	char rtp_ip[64];
	int rtp_port_min, rtp_port_max;
	struct dp_codecs rtp_codecs;	/* the codec order of a dial-peer with none (default g711ulaw, g711alaw) */
	char moh_file[256];		/* music on hold for PBX parties (raw 8 kHz mu-law; "" = silence) */
	int fax_t38;			/* rtp.fax "t38" (1, default) or "passthrough" (0): Cisco fax protocol */
	int t38_redundancy;		/* rtp.t38_redundancy: secondary IFPs per UDPTL packet (3) */
	struct cfg_enum_list dtmf_relay;	/* enum dtmf_relay, for calls no voip dial-peer names */
	int rtp_vad;			/* silence suppression: RFC 3389 CN offered and sent in silence */
	struct cfg_timers timers;
	struct cfg_span spans[CFG_MAX_SPANS];
	int n_spans;
	char dahdi_system_conf[256];	/* DAHDI's channel layout, read for dahdi spans */
	struct cfg_trunk_group tgs[CFG_MAX_TGS];
	int n_tgs;
	struct dial_peer *peers;
	size_t n_peers;
	struct cfg_registrar reg;
	struct cfg_emergency emergency;
	struct cause_overrides causes;	/* global rows over the RFC 3398 tables (a dial-peer's beat them) */
	struct cfg_ops ops;
};

/** A registrar section's defaults (what a config without those keys gets). */
void config_registrar_defaults(struct cfg_registrar *r);
/** Read and check path. On error returns -EINVAL with "file:line: what" in err. */
int config_load(struct gw_config *cfg, const char *path, char *err, size_t errlen);
void config_free(struct gw_config *cfg);
const struct cfg_span *config_span(const struct gw_config *cfg, const char *name);
const char *span_framing_name(enum span_framing f);
/** The B-channels of a span: T1 23 (24 in NFAS without a D-channel), E1 30. */
int config_span_bchans(const struct cfg_span *sp);
/** Every span's B-channels together. */
int config_bchans(const struct gw_config *cfg);
/** True when the address ip (IPv4 or IPv6) falls in one of the list's
 * prefixes (core/netaddr.h: "a.b.c.d[/len]", "x:x::x[/len]"). */
int cfg_list_match_addr(const struct cfg_list *l, const char *ip);

#endif
