/* sipgw - unit tests: the sip group's transport keys (tcp, tls_port, the TLS
 * files) and session_transport, each error with the file:line of its key.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_test.h"
#include "core/config.h"
#include "unit.h"

/* A self-signed EC certificate (100 years), its key, another key, and the key encrypted. */
static const char UNIT_CERT[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBgTCCASegAwIBAgIUOC/HvqySPAfDzHYOQwr/uUgI5oswCgYIKoZIzj0EAwIw\n"
	"FTETMBEGA1UEAwwKc2lwZ3ctdW5pdDAgFw0yNjEyMDEyMDA0MDVaGA8yMTI2MTEw\n"
	"NzIwMDQwNVowFTETMBEGA1UEAwwKc2lwZ3ctdW5pdDBZMBMGByqGSM49AgEGCCqG\n"
	"SM49AwEHA0IABGqVNRLleocBaOykbL/J72L4sTlTIPvwwve+//r0j11zgW1DSFbX\n"
	"UxufMtHx50dyrdnxl8kWLQBBQVlrjfdABWKjUzBRMB0GA1UdDgQWBBQ0CxYqaJg0\n"
	"HNdh06Ua1wzGLTR1NDAfBgNVHSMEGDAWgBQ0CxYqaJg0HNdh06Ua1wzGLTR1NDAP\n"
	"BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCICjLCJ25CsvsD3RJE1OV\n"
	"Yl0CYcxDT9wYLutoPVAJA0d0AiEAmHJwSB2F9jjcG7TDr/qHCjCApFuhESs6Cs7x\n"
	"PHhWULQ=\n"
	"-----END CERTIFICATE-----\n";

static const char UNIT_KEY[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3423oD9hc4Ec6IUU\n"
	"P13nBNgE1ACJPB+0GqRAHVEfY1ahRANCAARqlTUS5XqHAWjspGy/ye9i+LE5UyD7\n"
	"8ML3vv/69I9dc4FtQ0hW11MbnzLR8edHcq3Z8ZfJFi0AQUFZa433QAVi\n"
	"-----END PRIVATE KEY-----\n";

static const char OTHER_KEY[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkdbaCRX78KzA1gik\n"
	"7vFORn2reIAGjdue56NqkW8qbeWhRANCAARiYRGClAta0seaoJ7oZvKV874vB+VQ\n"
	"Ys7dkCV0Ch9dkWhKvpTQb6nye8v86XojsiZtfzWH4HT63RcYQMZfe2o/\n"
	"-----END PRIVATE KEY-----\n";

static const char ENC_KEY[] =
	"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
	"MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAg1w69WtJLwQgICCAAw\n"
	"DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEPoiBvMkSZKY0XAg2fnYXV0EgZCW\n"
	"k5NrKNuT2EE+/XJ17zSuZEwABca7DdjfOCSoJTGzaz1gMSsV1DaULoXDP5TuK46f\n"
	"HqDi5snAOZmM8PnHu+mi2CcpLqVGi1RgTccXB+g/Yih2KyHoMooy2lf+BvcYk490\n"
	"QhlhlFTppbKCHn1ZHm4XSijFQYQoo99Mwk/ZJvq7rPd8oJVPhv1rtE0iH9sON54=\n"
	"-----END ENCRYPTED PRIVATE KEY-----\n";

/* The PEM files in a temporary folder: cert, key, other (key), enc (key). */
struct pems {
	char dir[64];
	char cert[96], key[96], other[96], enc[96];
};

static void pem_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void pems_make(struct pems *p)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/sipgw-unit-tls-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(p->dir));
	snprintf(p->cert, sizeof(p->cert), "%s/cert.pem", p->dir);
	snprintf(p->key, sizeof(p->key), "%s/key.pem", p->dir);
	snprintf(p->other, sizeof(p->other), "%s/other.pem", p->dir);
	snprintf(p->enc, sizeof(p->enc), "%s/enc.pem", p->dir);
	pem_write(p->cert, UNIT_CERT);
	pem_write(p->key, UNIT_KEY);
	pem_write(p->other, OTHER_KEY);
	pem_write(p->enc, ENC_KEY);
}

static void pems_remove(struct pems *p)
{
	unlink(p->cert);
	unlink(p->key);
	unlink(p->other);
	unlink(p->enc);
	rmdir(p->dir);
}

/* A sip group over four lines: tls_port (2), tls_cert (3), tls_key (4), tls_ca and more (5). */
static void sip_text(char *buf, size_t len, int tls_port, const char *cert, const char *key, const char *ca,
		     const char *more)
{
	snprintf(buf, len, "sip = { port = 5060;\n  tls_port = %d;\n  tls_cert = \"%s\";\n  tls_key = \"%s\";\n"
		 "  tls_ca = \"%s\"; %s };\n", tls_port, cert, key, ca, more);
}

static void test_tls_keys_load(void)
{
	struct pems p;
	struct gw_config cfg;
	char text[1024], err[512];

	pems_make(&p);
	sip_text(text, sizeof(text), 5061, p.cert, p.key, p.cert, "");
	CU_ASSERT_EQUAL_FATAL(load_text(&cfg, text, err, sizeof(err), NULL, 0), 0);
	CU_ASSERT_EQUAL(cfg.sip_tls_port, 5061);
	CU_ASSERT_STRING_EQUAL(cfg.sip_tls_cert, p.cert);
	CU_ASSERT_STRING_EQUAL(cfg.sip_tls_key, p.key);
	CU_ASSERT_STRING_EQUAL(cfg.sip_tls_ca, p.cert);
	CU_ASSERT_EQUAL(cfg.sip_tcp, 1);	/* defaults: TCP beside UDP, peers verified */
	CU_ASSERT_EQUAL(cfg.sip_tls_verify, 1);
	config_free(&cfg);
	/* tls_verify off: no CA needed; tcp off */
	snprintf(text, sizeof(text), "sip = { tcp = false; tls_port = 5061; tls_cert = \"%s\"; tls_key = \"%s\"; "
		 "tls_verify = false; };\n", p.cert, p.key);
	CU_ASSERT_EQUAL_FATAL(load_text(&cfg, text, err, sizeof(err), NULL, 0), 0);
	CU_ASSERT_EQUAL(cfg.sip_tcp, 0);
	CU_ASSERT_EQUAL(cfg.sip_tls_verify, 0);
	config_free(&cfg);
	pems_remove(&p);
}

static void test_tls_file_errors(void)
{
	struct pems p;
	char text[1024], what[256];

	pems_make(&p);
	sip_text(text, sizeof(text), 5061, "/nonexistent-sipgw/cert.pem", p.key, p.cert, "");
	expect_error(text, 3, "sip.tls_cert \"/nonexistent-sipgw/cert.pem\": No such file or directory");
	sip_text(text, sizeof(text), 5061, p.cert, "/nonexistent-sipgw/key.pem", p.cert, "");
	expect_error(text, 4, "sip.tls_key \"/nonexistent-sipgw/key.pem\": No such file or directory");
	sip_text(text, sizeof(text), 5061, p.cert, p.key, "/nonexistent-sipgw/ca.pem", "");
	expect_error(text, 5, "sip.tls_ca \"/nonexistent-sipgw/ca.pem\": No such file or directory");
	sip_text(text, sizeof(text), 5061, p.key, p.key, p.cert, "");
	snprintf(what, sizeof(what), "sip.tls_cert \"%s\" holds no PEM certificate", p.key);
	expect_error(text, 3, what);
	sip_text(text, sizeof(text), 5061, p.cert, p.other, p.cert, "");
	snprintf(what, sizeof(what), "sip.tls_key \"%s\" is not the key of sip.tls_cert \"%s\"", p.other, p.cert);
	expect_error(text, 4, what);
	sip_text(text, sizeof(text), 5061, p.cert, p.enc, p.cert, "");
	expect_error(text, 4, "is encrypted (sipgw takes no passphrase");
	sip_text(text, sizeof(text), 5061, p.cert, p.cert, p.cert, "");
	expect_error(text, 4, "holds no PEM private key");
	sip_text(text, sizeof(text), 5061, p.cert, p.key, p.key, "");
	snprintf(what, sizeof(what), "sip.tls_ca \"%s\" holds no PEM certificate", p.key);
	expect_error(text, 5, what);
	pems_remove(&p);
}

static void test_tls_key_combinations(void)
{
	struct pems p;
	char text[1024];

	pems_make(&p);
	sip_text(text, sizeof(text), 5060, p.cert, p.key, p.cert, "");
	expect_error(text, 2, "sip.tls_port = 5060 is sip.port too");
	snprintf(text, sizeof(text), "sip = {\n  tls_port = 5061; };\n");
	expect_error(text, 2, "sip.tls_port needs tls_cert and tls_key");
	snprintf(text, sizeof(text), "sip = { tls_port = 5061; tls_cert = \"%s\"; tls_key = \"%s\";\n"
		 "  tls_verify = true; };\n", p.cert, p.key);
	expect_error(text, 2, "sip.tls_verify is on: tls_ca must name");
	snprintf(text, sizeof(text), "sip = {\n  tls_cert = \"%s\"; };\n", p.cert);
	expect_error(text, 2, "sip.tls_cert is set but sip.tls_port is 0");
	snprintf(text, sizeof(text), "dial_peers = ( { tag = 7; type = \"voip\"; destination_pattern = \"2...\";\n"
		 "  session_target = \"ipv4:127.0.0.1:5062\";\n  session_transport = \"tls\"; } );\n");
	expect_error(text, 3, "dial-peer 7: session_transport \"tls\" needs sip.tls_port");
	snprintf(text, sizeof(text), "dial_peers = ( { tag = 7; type = \"voip\"; destination_pattern = \"2...\";\n"
		 "  session_target = \"ipv4:127.0.0.1:5062\";\n  session_transport = \"sctp\"; } );\n");
	expect_error(text, 3, "'session_transport' = \"sctp\" is not one of: udp, tcp, tls");
	snprintf(text, sizeof(text), "spans = ( { name = \"pbx-a\"; type = \"loopback\"; path = \"/tmp/sipgw-unit-a\"; } );\n"
		 "dial_peers = ( { tag = 9; type = \"pots\"; destination_pattern = \"9T\"; port = \"pbx-a\";\n"
		 "  session_transport = \"tcp\"; } );\n");
	expect_error(text, 3, "dial-peer 9: 'session_transport' is for a voip dial-peer");
	pems_remove(&p);
}

int suite_config_tls_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "TLS keys load", test_tls_keys_load },
		{ "TLS files: missing, not PEM, key not the cert's, encrypted (file:line)", test_tls_file_errors },
		{ "tls_port, tls_verify, session_transport together", test_tls_key_combinations },
		CU_TEST_INFO_NULL,
	};
	return unit_suite_add("config_tls", tests);
}
