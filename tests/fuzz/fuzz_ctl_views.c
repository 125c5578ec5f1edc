/* sipgw - fuzz target: the words of sipgwctl's call and routing commands
 * (src/gw_calls.c, gw_dialpeers.c, gw_registrations.c) as the control
 * socket hands them over: call ids, causes, on/off, numbers to match
 * against a config's dial-peers (routing's matcher and digit manipulation
 * behind show dial-peer match). Input: words separated by spaces or
 * newlines; its first byte's low bit asks for JSON. Besides "no crash":
 * every answer starts "ok\n" or "error\n". SPDX-License-Identifier: GPL-2.0-only */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sofia-sip/su_wait.h>

#include "gw.h"
#include "bridge/bridge.h"
#include "core/config.h"
#include "core/ctl.h"
#include "core/log.h"
#include "route/peer_health.h"
#include "route/route.h"

static const char conf_text[] =
	"log = { level = \"error\"; };\n"
	"sip = { bind = \"127.0.0.1\"; port = 5999; };\n"
	"spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/nonexistent/pbx-a\"; } );\n"
	"dial_peers = (\n"
	"  { tag = 100; type = \"voip\"; destination_pattern = \"2...\"; session_target = \"ipv4:127.0.0.1:5062\"; preference = 1; },\n"
	"  { tag = 101; type = \"voip\"; destination_pattern = \"2[0-4]..\"; session_target = \"ipv4:127.0.0.1:5063\"; },\n"
	"  { tag = 102; type = \"voip\"; destination_pattern = \"+1T\"; session_target = \"ipv4:127.0.0.1:5064\";"
	" options_keepalive = true; },\n"
	"  { tag = 900; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\"; },\n"
	"  { tag = 901; type = \"pots\"; destination_pattern = \"91..........\"; port = \"pbx-a\"; forward_digits = 4; prefix = \"8\"; },\n"
	"  { tag = 902; type = \"pots\"; destination_pattern = \"[*#]..\"; port = \"pbx-a\"; forward_digits = \"all\"; }\n"
	");\n";

static struct gw *gw_once(void)
{
	static struct gw gw;
	static int done;
	char path[] = "/tmp/fuzz_ctl_views.XXXXXX", err[256];
	int fd;

	if (done)
		return &gw;
	done = 1;
	log_set_level(LOG_LVL_ERROR);
	if ((fd = mkstemp(path)) < 0 || write(fd, conf_text, sizeof(conf_text) - 1) < 0)
		abort();
	close(fd);
	if (config_load(&gw.cfg, path, err, sizeof(err))) {
		fprintf(stderr, "fuzz_ctl_views: %s\n", err);
		abort();
	}
	unlink(path);
	su_init();
	gw.root = su_root_create(NULL);
	if (peer_health_alloc(&gw.health, gw.cfg.peers, gw.cfg.n_peers) ||
	    route_alloc(&gw.route, &(struct route_params){ .cfg = &gw.cfg, .root = gw.root, .health = gw.health }) ||
	    bridge_alloc(&gw.br, &(struct bridge_params){ .root = gw.root, .route = &route_bridge_ops,
							  .route_arg = gw.route }) ||
	    ctl_alloc(&gw.ctl, &(struct ctl_params){ .path = NULL }) ||
	    gw_calls_register(&gw) || gw_dialpeers_register(&gw) || gw_registrations_register(&gw))
		abort();
	route_set_bridge(gw.route, gw.br);
	return &gw;	/* no SIP side (ua NULL), no registrar, no spans: each view says so */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw *gw = gw_once();
	char *buf, *argv[CTL_MAX_ARGS], *out = NULL, *save = NULL;
	int argc = 0;

	if (!size || size > 512 || !(buf = malloc(size)))
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (char *w = strtok_r(buf, " \n", &save); w && argc < CTL_MAX_ARGS; w = strtok_r(NULL, " \n", &save))
		argv[argc++] = w;
	ctl_run(gw->ctl, data[0] & 1, argc, argv, &out);
	assert(out && (!strncmp(out, "ok\n", 3) || !strncmp(out, "error\n", 6)));
	free(out);
	free(buf);
	return 0;
}
