/* sipgw - the control socket: sipgwctl's commands to a running gateway.
 *
 * A Unix stream socket (config control.socket) owned and moded as the
 * config says; a peer whose credentials (SO_PEERCRED) are not root, the
 * gateway's own user, control.owner or a member of control.group is
 * refused. One request per connection: "sipgwctl/1 text|json\tWORD\tWORD...\n";
 * the answer is "ok\n" or "error\n" followed by the body, then the
 * connection closes.
 *
 * Modules register their commands by words ("show spans"); the longest
 * registered prefix of the request's words wins and gets the rest as
 * argv. A handler writes through the output model below, once, and the
 * same calls render as aligned text for a person or as JSON for scripts:
 * tables (rows of named cells) become arrays of objects, kv blocks become
 * objects. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_CTL_H
#define SIPGW_CORE_CTL_H

#include <stddef.h>
#include <sys/types.h>

struct su_root_s;
struct ctl;
struct ctl_req;

#define CTL_PROTO "sipgwctl/1"
#define CTL_MAX_REQUEST 4096	/* bytes of one request line */
#define CTL_MAX_ARGS 32

/** A command: argv are the request's words after the command's own.
 * Return 0, or -errno after ctl_error() (a handler that returns an error
 * without one gets "failed: strerror"). Runs on the event loop: quick. */
typedef int (ctl_cmd_h)(void *arg, struct ctl_req *req, int argc, char **argv);

struct ctl_params {
	struct su_root_s *root;
	const char *path;	/* the socket; an old socket file there is replaced
				 * (NULL or "": no socket, commands for ctl_run only) */
	unsigned mode;		/* its permission bits (0660) */
	uid_t owner;		/* chown to, and allowed ((uid_t)-1: keep ours) */
	gid_t group;		/* ... and its members allowed ((gid_t)-1: none) */
};

/** Bind and listen. 0 or -errno (logged with the path). */
int ctl_alloc(struct ctl **ctlp, const struct ctl_params *p);
/** Close the socket and unlink its file; NULL is fine. */
void ctl_free(struct ctl *ctl);
/** Add a command; usage is one line ("show channels SPAN") for "help".
 * 0, -EEXIST (the words are taken) or -ENOMEM. */
int ctl_register(struct ctl *ctl, const char *words, const char *usage, ctl_cmd_h *h, void *arg);
/** Run a request's words as if they came from the socket (tests, and
 * sipgw itself): the rendered answer is *outp (malloc'd, NUL-terminated,
 * the caller frees it). Returns the handler's 0 or -errno. */
int ctl_run(struct ctl *ctl, int json, int argc, char **argv, char **outp);

/* The output model. Text and JSON come from the same calls. */
/** The caller asked for --json (for a handler that prints raw JSON/CSV). */
int ctl_json(const struct ctl_req *req);
/** The command fails with this one-line message (exit status 1). */
void ctl_error(struct ctl_req *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** A line of free text; in JSON the lines are the "message" array. */
void ctl_text(struct ctl_req *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Bytes passed on as they are in both modes (CSV export, a ladder's
 * HTML); a command that uses it should use nothing else. */
void ctl_raw(struct ctl_req *req, const char *buf, size_t len);
/** Start a table name with columns cols (NULL-terminated); its cells
 * follow row by row, len(cols) cells a row. */
void ctl_table(struct ctl_req *req, const char *name, const char *const *cols);
/** The next cell of the current table, as text (a JSON string). */
void ctl_cell(struct ctl_req *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** The next cell, a number (a JSON number). */
void ctl_cell_num(struct ctl_req *req, long long v);
/** The next cell, a real number: shortest round-trip decimal (a JSON
 * number); NaN and the infinities as the text "NaN", "+Inf", "-Inf". */
void ctl_cell_real(struct ctl_req *req, double v);
/** key: value in block (a JSON object of that name; blocks print in the
 * order first used). */
void ctl_kv(struct ctl_req *req, const char *block, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void ctl_kv_num(struct ctl_req *req, const char *block, const char *key, long long v);

/** Parse one request line (without its newline) into argv (pointing into
 * line, which is changed): 0 with *jsonp, *argcp set, or -EINVAL for a line
 * that is not "sipgwctl/1 text|json" and tab-separated words. Outside input:
 * fuzzed (tests/fuzz/fuzz_ctl_request.c). */
int ctl_parse_request(char *line, int *jsonp, int *argcp, char **argv, int max_args);

#endif
