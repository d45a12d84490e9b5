/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/internal.h"
#include "crypto/x509.h"
#include "keywarden/log.h"

/* Adds one extension written in OpenSSL's config syntax. */
static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for key with subject CN=cn, signed by issuer_key (the
 * issuer is cert itself when issuer is NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
		       EVP_PKEY *issuer_key, unsigned days, bool ca)
{
	X509 *c = X509_new();
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	bool ok = false;

	if (c == NULL || kw_random(serial, sizeof(serial)) != KW_OK)
		goto out;
	serial[0] &= 0x7f; /* a positive serial number */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) == NULL)
		goto out;
	if (X509_set_version(c, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(c), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(c), (long)days * 86400) ==
		    NULL ||
	    X509_set_pubkey(c, key) != 1)
		goto out;
	X509_NAME *name = X509_get_subject_name(c);
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
				       (const unsigned char *)"keywarden dev",
				       -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)cn, -1, -1,
				       0) != 1)
		goto out;
	if (X509_set_issuer_name(c, issuer != NULL
					    ? X509_get_subject_name(issuer)
					    : name) != 1)
		goto out;
	X509 *iss = issuer != NULL ? issuer : c;
	if (!add_ext(c, iss, NID_subject_key_identifier, "hash") ||
	    !add_ext(c, iss, NID_authority_key_identifier, "keyid:always"))
		goto out;
	if (ca) {
		if (!add_ext(c, iss, NID_basic_constraints,
			     "critical,CA:TRUE") ||
		    !add_ext(c, iss, NID_key_usage,
			     "critical,keyCertSign,cRLSign"))
			goto out;
	} else {
		if (!add_ext(c, iss, NID_basic_constraints,
			     "critical,CA:FALSE") ||
		    !add_ext(c, iss, NID_key_usage,
			     "critical,digitalSignature") ||
		    !add_ext(c, iss, NID_ext_key_usage, "serverAuth") ||
		    !add_ext(c, iss, NID_subject_alt_name,
			     "DNS:localhost,IP:127.0.0.1,IP:::1"))
			goto out;
	}
	if (X509_sign(c, issuer_key, EVP_sha256()) <= 0)
		goto out;
	ok = true;
out:
	BN_free(bn);
	if (!ok) {
		X509_free(c);
		c = NULL;
	}
	return c;
}

/* Opens path for writing with mode (replacing it). */
static FILE *open_out(const char *path, mode_t mode)
{
	int fd;
	FILE *f;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (f == NULL)
		close(fd);
	return f;
}

static kw_rc write_cert(const char *path, X509 *c)
{
	FILE *f = open_out(path, 0644);
	int ok;

	if (f == NULL)
		return KW_E_STORAGE;
	ok = PEM_write_X509(f, c);
	if (fclose(f) != 0 || ok != 1)
		return KW_E_STORAGE;
	return KW_OK;
}

kw_rc kw_x509_dev_tls_generate(const char *ca_path, const char *cert_path,
			       const char *key_path, unsigned days)
{
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	FILE *f = NULL;
	kw_rc rc = KW_E_INVALID;
	int ok;

	if (ca_path == NULL || cert_path == NULL || key_path == NULL ||
	    days == 0)
		goto out;
	rc = KW_E_CRYPTO;
	ca_key = EVP_EC_gen("P-256");
	key = EVP_EC_gen("P-256");
	if (ca_key == NULL || key == NULL)
		goto out;
	ca = make_cert(ca_key, "keywarden dev CA", NULL, ca_key, days, true);
	if (ca == NULL)
		goto out;
	cert = make_cert(key, "localhost", ca, ca_key, days, false);
	if (cert == NULL)
		goto out;
	rc = KW_E_STORAGE;
	f = open_out(key_path, 0600);
	if (f == NULL)
		goto out;
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0 || ok != 1)
		goto out;
	rc = write_cert(cert_path, cert);
	if (rc == KW_OK)
		rc = write_cert(ca_path, ca);
out:
	if (rc == KW_E_CRYPTO)
		kw_ossl_fail("dev TLS certificate");
	X509_free(ca);
	X509_free(cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return rc;
}
