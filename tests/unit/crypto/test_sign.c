/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: kw_ckey_sign / kw_ckey_verify for RSA PKCS#1 v1.5 (also raw
 * DigestInfo), RSA-PSS, ECDSA (DER and r||s) and Ed25519. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "crypto/crypto.h"

static const uint8_t msg[] = "a message to be signed, of no special length";

static const kw_hash sha_all[] = {KW_HASH_SHA1, KW_HASH_SHA224, KW_HASH_SHA256,
				  KW_HASH_SHA384, KW_HASH_SHA512};

/* Signs in with p, checks that it verifies and that a flipped bit in the
 * signature or the input does not. Returns the signature (malloc). */
static uint8_t *sign_check(kw_ckey *k, const kw_sign_params *p,
			   const uint8_t *in, size_t in_len, size_t *sig_len)
{
	uint8_t *sig = NULL;
	assert_int_equal(kw_ckey_sign(k, p, in, in_len, &sig, sig_len), KW_OK);
	assert_non_null(sig);
	assert_int_equal(kw_ckey_verify(k, p, in, in_len, sig, *sig_len),
			 KW_OK);
	sig[*sig_len / 2] ^= 0x10;
	assert_int_equal(kw_ckey_verify(k, p, in, in_len, sig, *sig_len),
			 KW_E_VERIFY);
	sig[*sig_len / 2] ^= 0x10;
	if (in_len > 0) {
		uint8_t *other = malloc(in_len);
		memcpy(other, in, in_len);
		other[0] ^= 1;
		assert_int_equal(
			kw_ckey_verify(k, p, other, in_len, sig, *sig_len),
			KW_E_VERIFY);
		free(other);
	}
	return sig;
}

static void test_rsa_pkcs1(void **state)
{
	(void)state;
	static const kw_key_type types[] = {KW_KEY_RSA_2048, KW_KEY_RSA_3072,
					    KW_KEY_RSA_4096};
	for (size_t t = 0; t < 3; t++) {
		kw_ckey *k = t_key(types[t]);
		for (size_t h = 0; h < 5; h++) {
			kw_sign_params p = {.scheme = KW_SIG_RSA_PKCS1,
					    .hash = sha_all[h]};
			size_t n1 = 0, n2 = 0, n3 = 0, dl = 0;
			uint8_t *s1 = sign_check(k, &p, msg, sizeof(msg), &n1);
			assert_int_equal(n1, kw_key_type_bits(types[t]) / 8);
			/* PKCS#1 v1.5 is deterministic; prehashing gives the
			 * same signature; DEFAULT means PKCS#1 for RSA. */
			uint8_t dig[KW_DIGEST_MAX];
			assert_int_equal(kw_digest(sha_all[h], msg, sizeof(msg),
						   dig, &dl),
					 KW_OK);
			p.prehashed = true;
			uint8_t *s2 = sign_check(k, &p, dig, dl, &n2);
			p.prehashed = false;
			p.scheme = KW_SIG_DEFAULT;
			uint8_t *s3 = sign_check(k, &p, msg, sizeof(msg), &n3);
			assert_int_equal(n1, n2);
			assert_memory_equal(s1, s2, n1);
			assert_memory_equal(s1, s3, n1);
			free(s1);
			free(s2);
			free(s3);
		}
	}
}

/* CKM_RSA_PKCS: signing a DigestInfo with hash NONE equals signing the
 * message with PKCS#1 v1.5 + SHA-256 (RFC 8017 §9.2 note 1 gives the
 * DigestInfo prefix). */
static void test_rsa_raw_digestinfo(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_RSA_2048);
	uint8_t di[19 + 32], dig[KW_DIGEST_MAX];
	size_t n = 0, dl = 0, n2 = 0;
	size_t pl = 0;
	uint8_t *prefix = t_hex("3031300d060960864801650304020105000420", &pl);
	memcpy(di, prefix, pl);
	assert_int_equal(kw_digest(KW_HASH_SHA256, msg, sizeof(msg), dig, &dl),
			 KW_OK);
	memcpy(di + pl, dig, dl);
	kw_sign_params raw = {.scheme = KW_SIG_RSA_PKCS1,
			      .hash = KW_HASH_NONE,
			      .prehashed = true};
	kw_sign_params sha = {.scheme = KW_SIG_RSA_PKCS1,
			      .hash = KW_HASH_SHA256};
	uint8_t *s1 = sign_check(k, &raw, di, sizeof(di), &n);
	uint8_t *s2 = sign_check(k, &sha, msg, sizeof(msg), &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(s1, s2, n);
	/* The raw signature verifies as a SHA-256 one and vice versa. */
	assert_int_equal(kw_ckey_verify(k, &sha, msg, sizeof(msg), s1, n),
			 KW_OK);
	free(s1);
	free(s2);
	/* The longest input is k - 11 bytes; one more is refused. */
	uint8_t big[256 - 10];
	memset(big, 0x5a, sizeof(big));
	s1 = sign_check(k, &raw, big, sizeof(big) - 1, &n);
	free(s1);
	s1 = NULL;
	assert_int_equal(kw_ckey_sign(k, &raw, big, sizeof(big), &s1, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_sign(k, &raw, big, 0, &s1, &n), KW_E_INVALID);
	assert_null(s1);
	free(prefix);
}

static void test_rsa_pss(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_RSA_2048);
	for (size_t h = 0; h < 5; h++) {
		size_t hl = kw_hash_size(sha_all[h]);
		/* emLen = 256 for a 2048-bit key: the largest salt is
		 * 256 - hLen - 2. */
		int salts[] = {-1, 0, 20, (int)(256 - hl - 2)};
		for (size_t s = 0; s < 4; s++) {
			kw_sign_params p = {.scheme = KW_SIG_RSA_PSS,
					    .hash = sha_all[h],
					    .pss_salt_len = salts[s]};
			size_t n1 = 0, n2 = 0;
			uint8_t *s1 = sign_check(k, &p, msg, sizeof(msg), &n1);
			uint8_t *s2 = sign_check(k, &p, msg, sizeof(msg), &n2);
			/* Salted: two signatures differ (unless empty). */
			if (salts[s] != 0)
				assert_memory_not_equal(s1, s2, n1);
			else
				assert_memory_equal(s1, s2, n1);
			/* Verifying with another salt length fails. */
			int used = salts[s] == -1 ? (int)hl : salts[s];
			p.pss_salt_len = used == 20 ? 21 : 20;
			assert_int_equal(
				kw_ckey_verify(k, &p, msg, sizeof(msg), s1, n1),
				KW_E_VERIFY);
			/* And it is not a PKCS#1 v1.5 signature. */
			p.scheme = KW_SIG_RSA_PKCS1;
			assert_int_equal(
				kw_ckey_verify(k, &p, msg, sizeof(msg), s1, n1),
				KW_E_VERIFY);
			free(s1);
			free(s2);
		}
		kw_sign_params too_big = {.scheme = KW_SIG_RSA_PSS,
					  .hash = sha_all[h],
					  .pss_salt_len = (int)(256 - hl - 1)};
		uint8_t *sig = NULL;
		size_t n = 0;
		assert_int_equal(
			kw_ckey_sign(k, &too_big, msg, sizeof(msg), &sig, &n),
			KW_E_INVALID);
		too_big.pss_salt_len = -2;
		assert_int_equal(
			kw_ckey_sign(k, &too_big, msg, sizeof(msg), &sig, &n),
			KW_E_INVALID);
		assert_null(sig);
	}
}

static void test_ecdsa(void **state)
{
	(void)state;
	static const struct {
		kw_key_type t;
		size_t flen;
	} ec[] = {{KW_KEY_EC_P256, 32},
		  {KW_KEY_EC_P384, 48},
		  {KW_KEY_EC_P521, 66}};
	for (size_t i = 0; i < 3; i++) {
		kw_ckey *k = t_key(ec[i].t);
		for (size_t h = 0; h < 5; h++) {
			kw_sign_params p = {.scheme = KW_SIG_ECDSA,
					    .hash = sha_all[h]};
			size_t n = 0, dl = 0;
			uint8_t dig[KW_DIGEST_MAX];
			uint8_t *der = sign_check(k, &p, msg, sizeof(msg), &n);
			assert_int_equal(der[0], 0x30);
			free(der);
			p.format = KW_SIG_FORMAT_RAW;
			uint8_t *raw = sign_check(k, &p, msg, sizeof(msg), &n);
			assert_int_equal(n, 2 * ec[i].flen);
			/* CKM_ECDSA: the caller's digest with hash NONE gives
			 * a signature that verifies as hash-and-sign. */
			assert_int_equal(kw_digest(sha_all[h], msg, sizeof(msg),
						   dig, &dl),
					 KW_OK);
			kw_sign_params none = {.scheme = KW_SIG_ECDSA,
					       .hash = KW_HASH_NONE,
					       .prehashed = true,
					       .format = KW_SIG_FORMAT_RAW};
			assert_int_equal(
				kw_ckey_verify(k, &none, dig, dl, raw, n),
				KW_OK);
			free(raw);
			raw = sign_check(k, &none, dig, dl, &n);
			assert_int_equal(
				kw_ckey_verify(k, &p, msg, sizeof(msg), raw, n),
				KW_OK);
			/* r||s is not DER and DER is not r||s. */
			p.format = KW_SIG_FORMAT_DER;
			assert_int_equal(
				kw_ckey_verify(k, &p, msg, sizeof(msg), raw, n),
				KW_E_VERIFY);
			/* Wrong r||s lengths cannot verify. */
			p.format = KW_SIG_FORMAT_RAW;
			assert_int_equal(kw_ckey_verify(k, &p, msg, sizeof(msg),
							raw, n - 1),
					 KW_E_VERIFY);
			free(raw);
		}
		/* An empty message can be signed; a digest of any length
		 * 1..64 with hash NONE too. */
		kw_sign_params p = {.scheme = KW_SIG_DEFAULT,
				    .hash = KW_HASH_SHA384};
		size_t n = 0;
		free(sign_check(k, &p, NULL, 0, &n));
		kw_sign_params none = {.scheme = KW_SIG_ECDSA,
				       .hash = KW_HASH_NONE,
				       .prehashed = true};
		uint8_t dig[65];
		memset(dig, 0xc3, sizeof(dig));
		free(sign_check(k, &none, dig, 1, &n));
		free(sign_check(k, &none, dig, 64, &n));
		uint8_t *sig = NULL;
		assert_int_equal(kw_ckey_sign(k, &none, dig, 65, &sig, &n),
				 KW_E_INVALID);
		assert_int_equal(kw_ckey_sign(k, &none, dig, 0, &sig, &n),
				 KW_E_INVALID);
		assert_null(sig);
	}
}

static void test_ed25519(void **state)
{
	(void)state;
	kw_ckey *k = t_key(KW_KEY_ED25519);
	kw_sign_params p = {.scheme = KW_SIG_EDDSA, .hash = KW_HASH_NONE};
	size_t n1 = 0, n2 = 0;
	uint8_t *s1 = sign_check(k, &p, msg, sizeof(msg), &n1);
	/* Deterministic (RFC 8032), also through a reused context. */
	p.scheme = KW_SIG_DEFAULT;
	uint8_t *s2 = sign_check(k, &p, msg, sizeof(msg), &n2);
	assert_int_equal(n1, 64);
	assert_memory_equal(s1, s2, 64);
	free(s1);
	free(s2);
	free(sign_check(k, &p, NULL, 0, &n1));
	uint8_t *big = calloc(1, 100000);
	free(sign_check(k, &p, big, 100000, &n1));
	free(big);
}

/* Wrong combinations of key and parameters: KW_E_UNSUPPORTED; malformed
 * arguments: KW_E_INVALID. Nothing is written on failure. */
static void test_sign_bad_input(void **state)
{
	(void)state;
	kw_ckey *rsa = t_key(KW_KEY_RSA_2048), *ec = t_key(KW_KEY_EC_P256);
	kw_ckey *ed = t_key(KW_KEY_ED25519);
	uint8_t *sig = NULL, buf[64] = {0};
	size_t n = 0;
	static const struct {
		kw_key_type t;
		kw_sign_params p;
	} unsup[] = {
		{KW_KEY_RSA_2048, {.scheme = KW_SIG_ECDSA, .hash = 3}},
		{KW_KEY_RSA_2048, {.scheme = KW_SIG_EDDSA}},
		{KW_KEY_RSA_2048, {.scheme = KW_SIG_RSA_PSS}},
		{KW_KEY_RSA_2048, {.scheme = KW_SIG_RSA_PKCS1}},
		{KW_KEY_EC_P256, {.scheme = KW_SIG_RSA_PSS, .hash = 3}},
		{KW_KEY_EC_P256, {.scheme = KW_SIG_RSA_PKCS1, .hash = 3}},
		{KW_KEY_EC_P256, {.scheme = KW_SIG_EDDSA}},
		{KW_KEY_EC_P256, {.scheme = KW_SIG_ECDSA}},
		{KW_KEY_ED25519, {.scheme = KW_SIG_EDDSA, .hash = 3}},
		{KW_KEY_ED25519, {.scheme = KW_SIG_EDDSA, .prehashed = true}},
		{KW_KEY_ED25519, {.scheme = KW_SIG_ECDSA}},
		{KW_KEY_AES_256, {.scheme = KW_SIG_DEFAULT, .hash = 3}},
		{KW_KEY_HMAC_SHA256, {.scheme = KW_SIG_DEFAULT, .hash = 3}},
	};
	for (size_t i = 0; i < sizeof(unsup) / sizeof(unsup[0]); i++) {
		kw_ckey *k = t_key(unsup[i].t);
		assert_int_equal(
			kw_ckey_sign(k, &unsup[i].p, buf, 32, &sig, &n),
			KW_E_UNSUPPORTED);
		assert_int_equal(
			kw_ckey_verify(k, &unsup[i].p, buf, 32, buf, 64),
			KW_E_UNSUPPORTED);
	}
	kw_sign_params ok = {.hash = KW_HASH_SHA256};
	kw_sign_params bad = ok;
	bad.scheme = (kw_sig_scheme)99;
	assert_int_equal(kw_ckey_sign(ec, &bad, buf, 1, &sig, &n),
			 KW_E_INVALID);
	bad = ok;
	bad.hash = (kw_hash)99;
	assert_int_equal(kw_ckey_sign(ec, &bad, buf, 1, &sig, &n),
			 KW_E_INVALID);
	bad = ok;
	bad.format = (kw_sig_format)5;
	assert_int_equal(kw_ckey_sign(ec, &bad, buf, 1, &sig, &n),
			 KW_E_INVALID);
	/* A prehashed input must have the digest's length. */
	bad = ok;
	bad.prehashed = true;
	assert_int_equal(kw_ckey_sign(ec, &bad, buf, 31, &sig, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_sign(rsa, &bad, buf, 33, &sig, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_verify(rsa, &bad, buf, 33, buf, 64),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_sign(NULL, &ok, buf, 1, &sig, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_sign(ec, NULL, buf, 1, &sig, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_sign(ec, &ok, NULL, 1, &sig, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_sign(ec, &ok, buf, 1, NULL, &n), KW_E_INVALID);
	assert_int_equal(kw_ckey_sign(ec, &ok, buf, 1, &sig, NULL),
			 KW_E_INVALID);
	assert_int_equal(
		kw_ckey_sign(ec, &ok, buf, KW_CRYPTO_INPUT_MAX + 1, &sig, &n),
		KW_E_INVALID);
	assert_null(sig);
	assert_int_equal(n, 0);
	assert_int_equal(kw_ckey_verify(NULL, &ok, buf, 1, buf, 64),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_verify(ec, NULL, buf, 1, buf, 64),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_verify(ec, &ok, NULL, 1, buf, 64),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_verify(ec, &ok, buf, 1, NULL, 64),
			 KW_E_INVALID);
	assert_int_equal(
		kw_ckey_verify(ec, &ok, buf, 1, buf, KW_CRYPTO_INPUT_MAX + 1),
		KW_E_INVALID);
	assert_int_equal(
		kw_ckey_verify(ec, &ok, buf, KW_CRYPTO_INPUT_MAX + 1, buf, 64),
		KW_E_INVALID);
	/* Empty or garbage signatures are invalid signatures. */
	kw_sign_params edp = {.scheme = KW_SIG_EDDSA};
	assert_int_equal(kw_ckey_verify(ec, &ok, buf, 1, buf, 0), KW_E_VERIFY);
	assert_int_equal(kw_ckey_verify(ec, &ok, buf, 1, buf, 64), KW_E_VERIFY);
	assert_int_equal(kw_ckey_verify(rsa, &ok, buf, 1, buf, 64),
			 KW_E_VERIFY);
	assert_int_equal(kw_ckey_verify(ed, &edp, buf, 1, buf, 64),
			 KW_E_VERIFY);
	assert_int_equal(kw_ckey_verify(ed, &edp, buf, 1, buf, 63),
			 KW_E_VERIFY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa_pkcs1),
		cmocka_unit_test(test_rsa_raw_digestinfo),
		cmocka_unit_test(test_rsa_pss),
		cmocka_unit_test(test_ecdsa),
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_sign_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, t_keys_free);
}
