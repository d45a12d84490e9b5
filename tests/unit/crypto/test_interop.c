/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: interoperability with the openssl command-line tool. A
 * signature made here verifies with `openssl dgst`/`openssl pkeyutl`, one
 * made by openssl (key from `openssl genpkey`, imported here from PKCS#8
 * DER) verifies here, and OAEP ciphertexts cross in both directions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "crypto/crypto.h"

static const char data[] = "data signed by one side and checked by the other";

/* How openssl names a hash and how it is asked for a scheme. */
typedef struct sig_case {
	const char *name; /* also the key file name */
	kw_key_type t;
	kw_sign_params p;
	const char *md;	    /* dgst -<md>, or NULL for pkeyutl -rawin */
	const char *sigopt; /* extra dgst options */
} sig_case;

static const sig_case cases[] = {
	{"rsa-pkcs1",
	 KW_KEY_RSA_2048,
	 {.scheme = KW_SIG_RSA_PKCS1, .hash = KW_HASH_SHA256},
	 "sha256",
	 ""},
	{"rsa-pss",
	 KW_KEY_RSA_2048,
	 {.scheme = KW_SIG_RSA_PSS, .hash = KW_HASH_SHA256, .pss_salt_len = -1},
	 "sha256",
	 "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1 "
	 "-sigopt rsa_mgf1_md:sha256"},
	{"rsa3072-pss-sha512",
	 KW_KEY_RSA_3072,
	 {.scheme = KW_SIG_RSA_PSS, .hash = KW_HASH_SHA512, .pss_salt_len = 32},
	 "sha512",
	 "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 "
	 "-sigopt rsa_mgf1_md:sha512"},
	{"ec-p256",
	 KW_KEY_EC_P256,
	 {.scheme = KW_SIG_ECDSA, .hash = KW_HASH_SHA256},
	 "sha256",
	 ""},
	{"ec-p384",
	 KW_KEY_EC_P384,
	 {.scheme = KW_SIG_ECDSA, .hash = KW_HASH_SHA384},
	 "sha384",
	 ""},
	{"ec-p521",
	 KW_KEY_EC_P521,
	 {.scheme = KW_SIG_ECDSA, .hash = KW_HASH_SHA512},
	 "sha512",
	 ""},
	{"ed25519", KW_KEY_ED25519, {.scheme = KW_SIG_EDDSA}, NULL, ""},
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* Runs openssl to verify sig_path over data_path with the public PEM. */
static int openssl_verify(const sig_case *c, const char *pub,
			  const char *data_path, const char *sig_path)
{
	if (c->md == NULL)
		return t_run("openssl pkeyutl -verify -pubin -inkey %s -rawin "
			     "-in %s -sigfile %s",
			     pub, data_path, sig_path);
	return t_run("openssl dgst -%s %s -verify %s -signature %s %s", c->md,
		     c->sigopt, pub, sig_path, data_path);
}

static char *path_of(const char *name)
{
	char *p = malloc(256);
	assert_non_null(p);
	snprintf(p, 256, "%s/%s", t_tmpdir(), name);
	return p;
}

/* Signatures made here verify with openssl; a changed one does not. */
static void test_ours_verify_in_openssl(void **state)
{
	(void)state;
	char *data_path = strdup(t_write_file("data", data, sizeof(data) - 1));
	for (size_t i = 0; i < N_CASES; i++) {
		const sig_case *c = &cases[i];
		kw_ckey *k = t_key(c->t);
		char *pem = NULL, file[64];
		uint8_t *sig = NULL;
		size_t n = 0;
		assert_int_equal(kw_ckey_public_pem(k, &pem), KW_OK);
		snprintf(file, sizeof(file), "%s.pub.pem", c->name);
		char *pub = strdup(t_write_file(file, pem, strlen(pem)));
		assert_int_equal(kw_ckey_sign(k, &c->p, (const uint8_t *)data,
					      sizeof(data) - 1, &sig, &n),
				 KW_OK);
		snprintf(file, sizeof(file), "%s.sig", c->name);
		char *sig_path = strdup(t_write_file(file, sig, n));
		assert_int_equal(openssl_verify(c, pub, data_path, sig_path),
				 0);
		/* The same check fails on a changed signature: openssl really
		 * looked at it. */
		sig[n / 2] ^= 0x08;
		t_write_file(file, sig, n);
		assert_int_not_equal(
			openssl_verify(c, pub, data_path, sig_path), 0);
		free(sig_path);
		free(pub);
		free(sig);
		free(pem);
	}
	free(data_path);
}

/* Raw forms: ECDSA over a caller's digest and PKCS#1 v1.5 over a caller's
 * DigestInfo, checked with pkeyutl (which takes the digest as input). */
static void test_raw_forms_in_openssl(void **state)
{
	(void)state;
	uint8_t dig[KW_DIGEST_MAX], di[19 + 32];
	size_t dl = 0, n = 0, pl = 0;
	char *pem = NULL;
	uint8_t *sig = NULL;
	assert_int_equal(
		kw_digest(KW_HASH_SHA256, data, sizeof(data) - 1, dig, &dl),
		KW_OK);
	char *dig_path = strdup(t_write_file("digest", dig, dl));

	kw_ckey *ec = t_key(KW_KEY_EC_P256);
	kw_sign_params none = {.scheme = KW_SIG_ECDSA,
			       .hash = KW_HASH_NONE,
			       .prehashed = true};
	assert_int_equal(kw_ckey_public_pem(ec, &pem), KW_OK);
	char *pub = strdup(t_write_file("ec.pem", pem, strlen(pem)));
	assert_int_equal(kw_ckey_sign(ec, &none, dig, dl, &sig, &n), KW_OK);
	char *sig_path = strdup(t_write_file("ec-raw.sig", sig, n));
	assert_int_equal(t_run("openssl pkeyutl -verify -pubin -inkey %s -in "
			       "%s -sigfile %s",
			       pub, dig_path, sig_path),
			 0);
	free(sig);
	free(pem);
	free(pub);
	free(sig_path);

	/* RFC 8017 §9.2 note 1: the DigestInfo prefix of SHA-256. */
	uint8_t *prefix = t_hex("3031300d060960864801650304020105000420", &pl);
	memcpy(di, prefix, pl);
	memcpy(di + pl, dig, dl);
	free(prefix);
	kw_ckey *rsa = t_key(KW_KEY_RSA_2048);
	kw_sign_params raw = {.scheme = KW_SIG_RSA_PKCS1,
			      .hash = KW_HASH_NONE,
			      .prehashed = true};
	assert_int_equal(kw_ckey_public_pem(rsa, &pem), KW_OK);
	pub = strdup(t_write_file("rsa.pem", pem, strlen(pem)));
	assert_int_equal(kw_ckey_sign(rsa, &raw, di, sizeof(di), &sig, &n),
			 KW_OK);
	sig_path = strdup(t_write_file("rsa-raw.sig", sig, n));
	/* pkeyutl with -pkeyopt digest:sha256 builds the DigestInfo itself
	 * from the digest: the same signature. */
	assert_int_equal(t_run("openssl pkeyutl -verify -pubin -inkey %s -in "
			       "%s -sigfile %s -pkeyopt digest:sha256",
			       pub, dig_path, sig_path),
			 0);
	free(sig);
	free(pem);
	free(pub);
	free(sig_path);
	free(dig_path);
}

/* Signatures made by openssl with its own keys verify here. */
static void test_openssl_verifies_here(void **state)
{
	(void)state;
	char *data_path = strdup(t_write_file("data", data, sizeof(data) - 1));
	for (size_t i = 0; i < N_CASES; i++) {
		const sig_case *c = &cases[i];
		kw_ckey *k = t_openssl_key(c->t, c->name);
		char *key_pem = path_of(c->name), *sig_path = path_of("o.sig");
		strcat(key_pem, ".pem");
		if (c->md == NULL)
			assert_int_equal(
				t_run("openssl pkeyutl -sign -inkey %s "
				      "-rawin -in %s -out %s",
				      key_pem, data_path, sig_path),
				0);
		else
			assert_int_equal(t_run("openssl dgst -%s %s -sign %s "
					       "-out %s %s",
					       c->md, c->sigopt, key_pem,
					       sig_path, data_path),
					 0);
		size_t n = 0;
		uint8_t *sig = t_read_file(sig_path, &n);
		assert_int_equal(kw_ckey_verify(k, &c->p, (const uint8_t *)data,
						sizeof(data) - 1, sig, n),
				 KW_OK);
		assert_int_equal(kw_ckey_verify(k, &c->p, (const uint8_t *)data,
						sizeof(data) - 2, sig, n),
				 KW_E_VERIFY);
		/* Our export of the imported key is what openssl reads. */
		kw_secret *p8 = NULL;
		assert_int_equal(kw_ckey_private_export(k, &p8), KW_OK);
		char *p8_path =
			strdup(t_write_file("export.der", p8->data, p8->len));
		assert_int_equal(t_run("openssl pkey -inform DER -in %s -noout",
				       p8_path),
				 0);
		kw_secret_free(p8);
		free(p8_path);
		free(sig);
		free(key_pem);
		free(sig_path);
		kw_ckey_free(k);
	}
	free(data_path);
}

/* OAEP: openssl encrypts (SHA-256 with a label, and its SHA-1 default),
 * we decrypt; we encrypt, openssl decrypts. */
static void test_oaep_with_openssl(void **state)
{
	(void)state;
	static const char pt[] = "a wrapped data key";
	static const uint8_t label[] = {0x6b, 0x77, 0x2d, 0x6c, 0x62, 0x6c};
	kw_ckey *k = t_openssl_key(KW_KEY_RSA_2048, "oaep");
	char *key_pem = path_of("oaep.pem"), *ct_path = path_of("oaep.ct");
	char *out_path = path_of("oaep.out");
	char *pt_path = strdup(t_write_file("oaep.pt", pt, sizeof(pt) - 1));
	size_t n = 0;
	kw_secret *back = NULL;

	assert_int_equal(t_run("openssl pkeyutl -encrypt -inkey %s -pkeyopt "
			       "rsa_padding_mode:oaep -pkeyopt "
			       "rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 "
			       "-pkeyopt rsa_oaep_label:6b772d6c626c -in %s "
			       "-out %s",
			       key_pem, pt_path, ct_path),
			 0);
	uint8_t *ct = t_read_file(ct_path, &n);
	assert_int_equal(kw_ckey_oaep_decrypt(k, KW_HASH_SHA256, label,
					      sizeof(label), ct, n, &back),
			 KW_OK);
	assert_int_equal(back->len, sizeof(pt) - 1);
	assert_memory_equal(back->data, pt, back->len);
	kw_secret_free(back);
	back = NULL;
	assert_int_equal(
		kw_ckey_oaep_decrypt(k, KW_HASH_SHA256, NULL, 0, ct, n, &back),
		KW_E_VERIFY);
	free(ct);

	assert_int_equal(t_run("openssl pkeyutl -encrypt -inkey %s -pkeyopt "
			       "rsa_padding_mode:oaep -in %s -out %s",
			       key_pem, pt_path, ct_path),
			 0);
	ct = t_read_file(ct_path, &n);
	assert_int_equal(
		kw_ckey_oaep_decrypt(k, KW_HASH_SHA1, NULL, 0, ct, n, &back),
		KW_OK);
	assert_memory_equal(back->data, pt, back->len);
	kw_secret_free(back);
	free(ct);

	/* And the other way round, SHA-384 with the label. */
	uint8_t *mine = NULL;
	assert_int_equal(kw_ckey_oaep_encrypt(k, KW_HASH_SHA384, label,
					      sizeof(label),
					      (const uint8_t *)pt,
					      sizeof(pt) - 1, &mine, &n),
			 KW_OK);
	t_write_file("oaep.ct", mine, n);
	assert_int_equal(t_run("openssl pkeyutl -decrypt -inkey %s -pkeyopt "
			       "rsa_padding_mode:oaep -pkeyopt "
			       "rsa_oaep_md:sha384 -pkeyopt rsa_mgf1_md:sha384 "
			       "-pkeyopt rsa_oaep_label:6b772d6c626c -in %s "
			       "-out %s",
			       key_pem, ct_path, out_path),
			 0);
	uint8_t *out = t_read_file(out_path, &n);
	assert_int_equal(n, sizeof(pt) - 1);
	assert_memory_equal(out, pt, n);
	free(out);
	free(mine);
	free(key_pem);
	free(ct_path);
	free(out_path);
	free(pt_path);
	kw_ckey_free(k);
}

/* Keys openssl cannot make into one of our types are refused: an EC key
 * with explicit curve parameters and an RSASSA-PSS-restricted key. */
static void test_foreign_key_forms_refused(void **state)
{
	(void)state;
	char *pem = path_of("explicit.pem"), *der = path_of("explicit.der");
	size_t n = 0;
	kw_ckey *k = NULL;
	assert_int_equal(t_run("openssl genpkey -algorithm EC -pkeyopt "
			       "ec_paramgen_curve:P-256 -pkeyopt "
			       "ec_param_enc:explicit -out %s",
			       pem),
			 0);
	assert_int_equal(t_run("openssl pkcs8 -topk8 -nocrypt -in %s -outform "
			       "DER -out %s",
			       pem, der),
			 0);
	uint8_t *b = t_read_file(der, &n);
	assert_int_equal(kw_ckey_from_private(KW_KEY_EC_P256, b, n, &k),
			 KW_E_INVALID);
	free(b);
	assert_int_equal(t_run("openssl genpkey -algorithm RSA-PSS -pkeyopt "
			       "rsa_keygen_bits:2048 -out %s",
			       pem),
			 0);
	assert_int_equal(t_run("openssl pkcs8 -topk8 -nocrypt -in %s -outform "
			       "DER -out %s",
			       pem, der),
			 0);
	b = t_read_file(der, &n);
	assert_int_equal(kw_ckey_from_private(KW_KEY_RSA_2048, b, n, &k),
			 KW_E_INVALID);
	assert_null(k);
	free(b);
	free(pem);
	free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ours_verify_in_openssl),
		cmocka_unit_test(test_raw_forms_in_openssl),
		cmocka_unit_test(test_openssl_verifies_here),
		cmocka_unit_test(test_oaep_with_openssl),
		cmocka_unit_test(test_foreign_key_forms_refused),
	};
	return cmocka_run_group_tests(tests, NULL, t_keys_free);
}
