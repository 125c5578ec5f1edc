/* sipgw - unit test runner: registers every suite, runs CUnit's basic runner.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "unit.h"

/* One X(name) per tests/unit/test_<name>.c, which defines suite_<name>_add(). */
#define UNIT_SUITES(X) \
	X(auth) \
	X(call) \
	X(cdr) \
	X(codec) \
	X(cause) \
	X(config) \
	X(config_tls) \
	X(config_ops) \
	X(config_limits) \
	X(ctl) \
	X(dahdi_conf) \
	X(dialpeer) \
	X(dtmf) \
	X(echo) \
	X(fax) \
	X(fax_tone) \
	X(fsm) \
	X(log) \
	X(netaddr) \
	X(pcapng) \
	X(peer_health) \
	X(loop) \
	X(workpool) \
	X(registrar) \
	X(reload) \
	X(route) \
	X(route_transfer) \
	X(identity) \
	X(jbuf) \
	X(ladder) \
	X(redirect) \
	X(rtcp) \
	X(rtp) \
	X(sdp) \
	X(sdp_t38) \
	X(service) \
	X(sim_dtmf) \
	X(sim_stream) \
	X(sip_caps) \
	X(sip_leg) \
	X(sip_listen) \
	X(sip_overload) \
	X(sip_timers) \
	X(span_info) \
	X(srtp) \
	X(stats) \
	X(media_late) \
	X(tonezone) \
	X(transfer) \
	X(udptl)

#define UNIT_DECLARE(name) int suite_##name##_add(void);
UNIT_SUITES(UNIT_DECLARE)

struct unit_suite {
	const char *name;
	int (*add)(void);
};

#define UNIT_ROW(name) { #name, suite_##name##_add },
static const struct unit_suite unit_suites[] = {
	UNIT_SUITES(UNIT_ROW)
};

/* Usage: unit-tests [suite...]  (no argument: every suite) */
int main(int argc, char **argv)
{
	int rc = 0, i;
	size_t s;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
		return 2;
	}
	for (s = 0; s < sizeof(unit_suites) / sizeof(unit_suites[0]); s++) {
		if (unit_suites[s].add() < 0 || CU_get_error() != CUE_SUCCESS) {
			fprintf(stderr, "suite %s: registry error: %s\n", unit_suites[s].name,
				CU_get_error_msg());
			rc = 2;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (rc == 0 && argc < 2) {
		if (CU_basic_run_tests() != CUE_SUCCESS)
			rc = 2;
	}
	for (i = 1; rc == 0 && i < argc; i++) {
		CU_pSuite suite = CU_get_suite(argv[i]);

		if (!suite) {
			fprintf(stderr, "no suite named %s\n", argv[i]);
			rc = 2;
		} else if (CU_basic_run_suite(suite) != CUE_SUCCESS) {
			rc = 2;
		}
	}
	/* the basic runner reports success even when assertions failed */
	if (rc == 0 && (CU_get_number_of_failures() || CU_get_number_of_tests_failed() ||
			CU_get_number_of_suites_failed()))
		rc = 1;
	CU_cleanup_registry();
	return rc;
}
