/* sipgw - the TLS files of the sip group, checked the way the start would
 * trip over them (sipgw -t finds it too): each readable, a certificate, a
 * private key that is the certificate's, CAs. Sofia only logs a bad file
 * at its debug level and listens anyway, with no certificate to offer.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* No passphrase prompt on the terminal for an encrypted key: refuse it. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	*(int *)u = 1;
	return 0;
}

static FILE *open_file(struct ctx *c, config_t *lc, const char *key, const char *path, int *rcp)
{
	FILE *f = access(path, R_OK) ? NULL : fopen(path, "r");

	if (!f)
		*rcp = fail(c, config_lookup(lc, key), "%s \"%s\": %s", key, path, strerror(errno));
	return f;
}

/* The certificate and the key that goes with it, and the CAs if any. */
int config_check_tls_files(struct ctx *c, config_t *lc, const struct gw_config *cfg)
{
	X509 *cert = NULL;
	EVP_PKEY *pk = NULL;
	FILE *f;
	int rc = 0, asked = 0, n = 0;

	if (!(f = open_file(c, lc, "sip.tls_cert", cfg->sip_tls_cert, &rc)))
		return rc;
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!cert) {
		rc = fail(c, config_lookup(lc, "sip.tls_cert"), "sip.tls_cert \"%s\" holds no PEM certificate",
			  cfg->sip_tls_cert);
		goto out;
	}
	if (!(f = open_file(c, lc, "sip.tls_key", cfg->sip_tls_key, &rc)))
		goto out;
	pk = PEM_read_PrivateKey(f, NULL, no_passphrase, &asked);
	fclose(f);
	if (!pk) {
		rc = fail(c, config_lookup(lc, "sip.tls_key"), "sip.tls_key \"%s\" %s", cfg->sip_tls_key,
			  asked ? "is encrypted (sipgw takes no passphrase: openssl pkey -in KEY -out PLAIN)"
				: "holds no PEM private key");
		goto out;
	}
	if (X509_check_private_key(cert, pk) != 1) {
		rc = fail(c, config_lookup(lc, "sip.tls_key"), "sip.tls_key \"%s\" is not the key of sip.tls_cert \"%s\"",
			  cfg->sip_tls_key, cfg->sip_tls_cert);
		goto out;
	}
	if (!cfg->sip_tls_ca[0])
		goto out;
	if (!(f = open_file(c, lc, "sip.tls_ca", cfg->sip_tls_ca, &rc)))
		goto out;
	for (X509 *ca; (ca = PEM_read_X509(f, NULL, NULL, NULL)); n++)
		X509_free(ca);
	fclose(f);
	if (!n)
		rc = fail(c, config_lookup(lc, "sip.tls_ca"), "sip.tls_ca \"%s\" holds no PEM certificate",
			  cfg->sip_tls_ca);
out:
	ERR_clear_error();	/* PEM_read_X509 at the end of a file leaves an error queued */
	EVP_PKEY_free(pk);
	X509_free(cert);
	return rc;
}
