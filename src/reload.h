/* sipgw - reload without dropping calls (issue 13 item 2): SIGHUP, SIGUSR1
 * and `sipgwctl reload` read the config file again. Dial-peers, users, the
 * trusted list, timers, cause overrides, emergency numbers, forwarding and
 * new spans take effect for new calls; calls up keep the config generation
 * they started with (core/cfg_gen.h). A file that does not load changes
 * nothing and is reported with file:line. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_RELOAD_H
#define SIPGW_RELOAD_H

#include <stddef.h>

struct gw;

/* What a reload says to whoever asked (sipgwctl) besides the log. */
struct reload_reply {
	char text[4096];
	size_t len;
};

/** Read gw's config file again and take it (who: "SIGHUP", "sipgwctl", for
 * the log). 0 taken (keys that need a restart kept and named); -EINVAL the
 * file did not load (nothing changed; the error, file:line, in the log and
 * in rep); -ENOMEM. rep may be NULL. */
int reload_run(struct gw *gw, const char *who, struct reload_reply *rep);

#endif
