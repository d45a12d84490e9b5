/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/*
 * Known-answer self-tests (vectors in vectors.c) and the pairwise
 * consistency test of keys. Each test goes through the same public functions
 * the service uses (kw_digest, kw_ckey_sign, ...), so a fault anywhere on
 * those paths shows. The daemon refuses to start if kw_crypto_selftest()
 * fails (DESIGN.md §1.8).
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/internal.h"
#include "keywarden/log.h"
#include "util/codec.h"

/* The byte strings of one test, decoded. */
typedef struct kat_bytes {
	uint8_t *key, *iv, *aad, *msg, *expect;
	size_t key_len, iv_len, aad_len, msg_len, expect_len;
} kat_bytes;

kw_rc kw_ckey_pairwise_test(kw_ckey *k)
{
	static const uint8_t msg[] = "keywarden pairwise test";
	kw_rc rc = KW_E_CRYPTO;
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	kw_secret *pt = NULL;
	kw_sign_params params = {.scheme = KW_SIG_DEFAULT,
				 .hash = k->cls == KW_CLASS_EDDSA
						 ? KW_HASH_NONE
						 : KW_HASH_SHA256,
				 .pss_salt_len = -1};

	switch (k->cls) {
	case KW_CLASS_AES:
		if (kw_ckey_gcm_encrypt(k, NULL, msg, sizeof(msg), msg,
					sizeof(msg), &ct, &ct_len) != KW_OK ||
		    kw_ckey_gcm_decrypt(k, msg, sizeof(msg), ct, ct_len, &pt) !=
			    KW_OK ||
		    pt->len != sizeof(msg) ||
		    memcmp(pt->data, msg, sizeof(msg)) != 0)
			goto out;
		break;
	case KW_CLASS_HMAC:
		if (kw_ckey_mac(k, msg, sizeof(msg), &ct, &ct_len) != KW_OK ||
		    kw_ckey_mac_verify(k, msg, sizeof(msg), ct, ct_len) !=
			    KW_OK)
			goto out;
		break;
	case KW_CLASS_RSA:
		/* Signing and decryption both use the private exponent. */
		if (kw_ckey_oaep_encrypt(k, KW_HASH_SHA256, msg, sizeof(msg),
					 msg, sizeof(msg), &ct,
					 &ct_len) != KW_OK ||
		    kw_ckey_oaep_decrypt(k, KW_HASH_SHA256, msg, sizeof(msg),
					 ct, ct_len, &pt) != KW_OK ||
		    pt->len != sizeof(msg) ||
		    memcmp(pt->data, msg, sizeof(msg)) != 0)
			goto out;
		free(ct);
		ct = NULL;
		/* fall through */
	default:
		if (kw_ckey_sign(k, &params, msg, sizeof(msg), &ct, &ct_len) !=
			    KW_OK ||
		    kw_ckey_verify(k, &params, msg, sizeof(msg), ct, ct_len) !=
			    KW_OK)
			goto out;
		/* A signature over other data must fail. */
		if (kw_ckey_verify(k, &params, msg, sizeof(msg) - 1, ct,
				   ct_len) != KW_E_VERIFY)
			goto out;
		break;
	}
	rc = KW_OK;
out:
	free(ct);
	kw_secret_free(pt);
	return rc;
}

/* ---- decoding ------------------------------------------------------------ */

static kw_rc hex_dup(const char *hex, uint8_t **out, size_t *out_len)
{
	kw_rc rc = KW_OK;
	size_t n = hex != NULL ? strlen(hex) : 0;

	*out = NULL;
	*out_len = 0;
	if (hex == NULL)
		goto out;
	rc = KW_E_NOMEM;
	*out = malloc(n / 2 + 1);
	if (*out == NULL)
		goto out;
	rc = kw_hex_decode(hex, n, *out);
	*out_len = n / 2;
out:
	return rc;
}

static void kat_bytes_free(kat_bytes *b)
{
	free(b->key);
	free(b->iv);
	free(b->aad);
	free(b->msg);
	free(b->expect);
	memset(b, 0, sizeof(*b));
}

static kw_rc kat_bytes_load(const kw_kat *t, kat_bytes *b)
{
	kw_rc rc = hex_dup(t->key, &b->key, &b->key_len);

	if (rc == KW_OK)
		rc = hex_dup(t->iv, &b->iv, &b->iv_len);
	if (rc == KW_OK)
		rc = hex_dup(t->aad, &b->aad, &b->aad_len);
	if (rc == KW_OK)
		rc = hex_dup(t->msg, &b->msg, &b->msg_len);
	if (rc == KW_OK)
		rc = hex_dup(t->expect, &b->expect, &b->expect_len);
	return rc;
}

static bool same(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

/* A copy of b[0..len) with one bit flipped (len > 0), or NULL. */
static uint8_t *flipped(const uint8_t *b, size_t len)
{
	uint8_t *c = len > 0 ? malloc(len) : NULL;

	if (c != NULL) {
		memcpy(c, b, len);
		c[len / 2] ^= 0x01;
	}
	return c;
}

/* ---- symmetric ------------------------------------------------------------ */

static kw_rc kat_digest(const kw_kat *t, const kat_bytes *b)
{
	kw_rc rc = KW_E_CRYPTO;
	uint8_t out[KW_DIGEST_MAX];
	size_t n = 0, half = b->msg_len / 2;
	kw_digest_ctx *c = NULL;

	if (kw_digest(t->hash, b->msg, b->msg_len, out, &n) != KW_OK ||
	    !same(out, n, b->expect, b->expect_len))
		goto out;
	/* The streaming interface, split in the middle, agrees. */
	if (kw_digest_ctx_new(t->hash, &c) != KW_OK ||
	    kw_digest_ctx_update(c, b->msg, half) != KW_OK ||
	    kw_digest_ctx_update(c, b->msg + half, b->msg_len - half) !=
		    KW_OK ||
	    kw_digest_ctx_final(c, out, &n) != KW_OK ||
	    !same(out, n, b->expect, b->expect_len))
		goto out;
	rc = KW_OK;
out:
	kw_digest_ctx_free(c);
	return rc;
}

/* The HMAC key type using digest h. */
static kw_key_type hmac_type(kw_hash h)
{
	switch (h) {
	case KW_HASH_SHA256:
		return KW_KEY_HMAC_SHA256;
	case KW_HASH_SHA384:
		return KW_KEY_HMAC_SHA384;
	case KW_HASH_SHA512:
		return KW_KEY_HMAC_SHA512;
	default:
		return KW_KEY_NONE;
	}
}

static kw_rc kat_hmac(const kw_kat *t, const kat_bytes *b)
{
	kw_rc rc = KW_E_CRYPTO;
	kw_secret *key = NULL;
	kw_ckey *k = NULL;
	uint8_t out[KW_DIGEST_MAX], *tag = NULL;
	size_t n = 0;

	if (kw_secret_from(b->key, b->key_len, &key) != KW_OK ||
	    kw_hmac(t->hash, key, b->msg, b->msg_len, out, &n) != KW_OK ||
	    !same(out, n, b->expect, b->expect_len))
		goto out;
	/* Keys of a length an HMAC key may have also go through kw_ckey. */
	if (kw_ckey_from_private(hmac_type(t->hash), b->key, b->key_len, &k) ==
		    KW_OK &&
	    (kw_ckey_mac(k, b->msg, b->msg_len, &tag, &n) != KW_OK ||
	     !same(tag, n, b->expect, b->expect_len) ||
	     kw_ckey_mac_verify(k, b->msg, b->msg_len, b->expect,
				b->expect_len) != KW_OK))
		goto out;
	rc = KW_OK;
out:
	free(tag);
	kw_ckey_free(k);
	kw_secret_free(key);
	return rc;
}

static kw_rc kat_hkdf(const kw_kat *t, const kat_bytes *b)
{
	kw_rc rc = KW_E_CRYPTO;
	kw_secret *ikm = NULL, *okm = NULL;

	(void)t;
	if (kw_secret_from(b->key, b->key_len, &ikm) != KW_OK ||
	    kw_hkdf_sha256(ikm, b->iv, b->iv_len, b->aad, b->aad_len,
			   b->expect_len, &okm) != KW_OK ||
	    !same(okm->data, okm->len, b->expect, b->expect_len))
		goto out;
	rc = KW_OK;
out:
	kw_secret_free(ikm);
	kw_secret_free(okm);
	return rc;
}

static kw_rc kat_gcm(const kw_kat *t, const kat_bytes *b)
{
	kw_rc rc = KW_E_CRYPTO;
	kw_ckey *k = NULL;
	uint8_t *ct = NULL;
	size_t n = 0;
	kw_secret *pt = NULL;

	if (b->iv_len != KW_GCM_IV_LEN ||
	    kw_ckey_from_private(t->type, b->key, b->key_len, &k) != KW_OK ||
	    kw_ckey_gcm_encrypt(k, b->iv, b->aad, b->aad_len, b->msg,
				b->msg_len, &ct, &n) != KW_OK ||
	    !same(ct + KW_GCM_IV_LEN, n - KW_GCM_IV_LEN, b->expect,
		  b->expect_len) ||
	    kw_ckey_gcm_decrypt(k, b->aad, b->aad_len, ct, n, &pt) != KW_OK ||
	    !same(pt->data, pt->len, b->msg, b->msg_len))
		goto out;
	/* A changed tag must not open. */
	kw_secret_free(pt);
	pt = NULL;
	ct[n - 1] ^= 0x80;
	if (kw_ckey_gcm_decrypt(k, b->aad, b->aad_len, ct, n, &pt) !=
	    KW_E_VERIFY)
		goto out;
	rc = KW_OK;
out:
	free(ct);
	kw_secret_free(pt);
	kw_ckey_free(k);
	return rc;
}

/* Wraps (enc) or unwraps in with a wrap cipher used directly. */
static kw_rc raw_wrap(const kw_kat *t, const kat_bytes *b, int enc,
		      const uint8_t *in, size_t in_len, uint8_t *out,
		      size_t *out_len)
{
	kw_rc rc = KW_E_CRYPTO;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fn = 0;

	if (ctx == NULL || kw_cipher(t->cipher) == NULL)
		goto out;
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_CipherInit_ex(ctx, kw_cipher(t->cipher), NULL, b->key, NULL,
			      enc) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + n, &fn) != 1)
		goto out;
	*out_len = (size_t)n + (size_t)fn;
	rc = KW_OK;
out:
	ERR_clear_error();
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

static kw_rc kat_wrap(const kw_kat *t, const kat_bytes *b)
{
	kw_rc rc = KW_E_CRYPTO;
	kw_ckey *k = NULL;
	kw_wrap_mode m = t->cipher == KW_CIPHER_AES128_KW ||
					 t->cipher == KW_CIPHER_AES256_KW
				 ? KW_WRAP_AES_KW
				 : KW_WRAP_AES_KWP;
	uint8_t *w = NULL, *bad = flipped(b->expect, b->expect_len);
	uint8_t buf[64];
	size_t n = 0;
	kw_secret *back = NULL;

	if (bad == NULL || b->expect_len + 16 > sizeof(buf))
		goto out;
	if (t->type == KW_KEY_NONE) {
		if (raw_wrap(t, b, 1, b->msg, b->msg_len, buf, &n) != KW_OK ||
		    !same(buf, n, b->expect, b->expect_len) ||
		    raw_wrap(t, b, 0, b->expect, b->expect_len, buf, &n) !=
			    KW_OK ||
		    !same(buf, n, b->msg, b->msg_len) ||
		    raw_wrap(t, b, 0, bad, b->expect_len, buf, &n) == KW_OK)
			goto out;
	} else {
		if (kw_ckey_from_private(t->type, b->key, b->key_len, &k) !=
			    KW_OK ||
		    kw_ckey_wrap(k, m, b->msg, b->msg_len, &w, &n) != KW_OK ||
		    !same(w, n, b->expect, b->expect_len) ||
		    kw_ckey_unwrap(k, m, b->expect, b->expect_len, &back) !=
			    KW_OK ||
		    !same(back->data, back->len, b->msg, b->msg_len))
			goto out;
		kw_secret_free(back);
		back = NULL;
		if (kw_ckey_unwrap(k, m, bad, b->expect_len, &back) !=
		    KW_E_VERIFY)
			goto out;
	}
	rc = KW_OK;
out:
	kw_wipe(buf, sizeof(buf));
	free(w);
	free(bad);
	kw_secret_free(back);
	kw_ckey_free(k);
	return rc;
}

/* ---- asymmetric ----------------------------------------------------------- */

/* An EVP_PKEY of algorithm alg from the parameters in bld. */
static kw_rc pkey_fromdata(const char *alg, int selection, OSSL_PARAM_BLD *bld,
			   EVP_PKEY **out)
{
	kw_rc rc = KW_E_CRYPTO;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, selection, params) != 1)
		goto out;
	rc = KW_OK;
out:
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* A verify-only RSA kw_ckey from its modulus and exponent. */
static kw_rc rsa_public(kw_key_type t, const kat_bytes *b, kw_ckey **out)
{
	kw_rc rc = KW_E_CRYPTO;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = BN_bin2bn(b->key, (int)b->key_len, NULL);
	BIGNUM *e = BN_bin2bn(b->iv, (int)b->iv_len, NULL);
	EVP_PKEY *pkey = NULL;

	if (bld == NULL || n == NULL || e == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    pkey_fromdata("RSA", EVP_PKEY_PUBLIC_KEY, bld, &pkey) != KW_OK)
		goto out;
	rc = kw_ckey_from_pkey(t, pkey, false, out);
out:
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

/* An EC kw_ckey from the private scalar and the public point, after
 * checking that the point is the scalar times the generator. */
static kw_rc ec_keypair(kw_key_type t, const kat_bytes *b, kw_ckey **out)
{
	kw_rc rc = KW_E_CRYPTO;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *d = BN_bin2bn(b->key, (int)b->key_len, NULL);
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *check = NULL;

	if (bld == NULL || d == NULL || kw_ec_group(t) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    kw_ec_group(t), 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					     b->iv, b->iv_len) != 1 ||
	    pkey_fromdata("EC", EVP_PKEY_KEYPAIR, bld, &pkey) != KW_OK)
		goto out;
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (check == NULL || EVP_PKEY_pairwise_check(check) != 1)
		goto out;
	rc = kw_ckey_from_pkey(t, pkey, true, out);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(check);
	BN_clear_free(d);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

/* sig verifies over msg with p, and not over msg with a bit flipped. */
static bool verifies(kw_ckey *k, const kw_sign_params *p, const kat_bytes *b,
		     const uint8_t *sig, size_t sig_len)
{
	uint8_t *bad = flipped(b->msg, b->msg_len);
	bool ok =
		kw_ckey_verify(k, p, b->msg, b->msg_len, sig, sig_len) == KW_OK;

	if (ok && b->msg_len > 0)
		ok = bad != NULL && kw_ckey_verify(k, p, bad, b->msg_len, sig,
						   sig_len) == KW_E_VERIFY;
	free(bad);
	return ok;
}

static kw_rc kat_ed25519(const kw_kat *t, const kat_bytes *b)
{
	kw_rc rc = KW_E_CRYPTO;
	kw_sign_params p = {.scheme = KW_SIG_EDDSA, .hash = KW_HASH_NONE};
	EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL,
							 b->key, b->key_len);
	kw_ckey *k = NULL;
	uint8_t *pub = NULL, *other = NULL, *sig = NULL;
	size_t pub_len = 0, other_len = 0, n = 0;

	if (kw_ckey_from_pkey(t->type, pkey, true, &k) != KW_OK ||
	    kw_ckey_public_components(k, &pub, &pub_len, &other, &other_len) !=
		    KW_OK ||
	    !same(pub, pub_len, b->iv, b->iv_len) ||
	    kw_ckey_sign(k, &p, b->msg, b->msg_len, &sig, &n) != KW_OK ||
	    !same(sig, n, b->expect, b->expect_len) ||
	    !verifies(k, &p, b, sig, n))
		goto out;
	rc = KW_OK;
out:
	free(pub);
	free(sig);
	kw_ckey_free(k);
	return rc;
}

static kw_rc kat_ecdsa(const kw_kat *t, const kat_bytes *b)
{
	kw_rc rc = KW_E_CRYPTO;
	kw_sign_params p = {.scheme = KW_SIG_ECDSA,
			    .hash = t->hash,
			    .format = KW_SIG_FORMAT_RAW};
	kw_ckey *k = NULL;

	/* ECDSA signing is randomised in OpenSSL 3.0: verify the published
	 * signature, then sign-and-verify with the same key. */
	if (ec_keypair(t->type, b, &k) != KW_OK ||
	    !verifies(k, &p, b, b->expect, b->expect_len) ||
	    kw_ckey_pairwise_test(k) != KW_OK)
		goto out;
	rc = KW_OK;
out:
	kw_ckey_free(k);
	return rc;
}

static kw_rc kat_sigver(const kw_kat *t, const kat_bytes *b)
{
	kw_rc rc = KW_E_CRYPTO;
	kw_sign_params p = {
		.scheme = t->scheme, .hash = t->hash, .pss_salt_len = t->salt};
	kw_ckey *k = NULL;

	if (rsa_public(t->type, b, &k) != KW_OK ||
	    !verifies(k, &p, b, b->expect, b->expect_len))
		goto out;
	rc = KW_OK;
out:
	kw_ckey_free(k);
	return rc;
}

static kw_rc kat_siggen(const kw_kat *t, const kat_bytes *b)
{
	kw_rc rc = KW_E_CRYPTO;
	kw_sign_params p = {.scheme = t->scheme, .hash = t->hash};
	kw_ckey *k = NULL;
	uint8_t *sig = NULL;
	size_t n = 0;

	if (kw_ckey_from_private(t->type, b->key, b->key_len, &k) != KW_OK ||
	    kw_ckey_sign(k, &p, b->msg, b->msg_len, &sig, &n) != KW_OK ||
	    !same(sig, n, b->expect, b->expect_len) ||
	    !verifies(k, &p, b, sig, n))
		goto out;
	rc = KW_OK;
out:
	free(sig);
	kw_ckey_free(k);
	return rc;
}

static kw_rc kat_oaep(const kw_kat *t, const kat_bytes *b)
{
	static const uint8_t msg[] = "keywarden PSS pairwise test";
	kw_rc rc = KW_E_CRYPTO;
	kw_sign_params pss = {.scheme = KW_SIG_RSA_PSS,
			      .hash = KW_HASH_SHA256,
			      .pss_salt_len = -1};
	kw_ckey *k = NULL;
	kw_secret *pt = NULL;
	uint8_t *sig = NULL;
	size_t n = 0;

	if (kw_ckey_from_private(t->type, b->key, b->key_len, &k) != KW_OK ||
	    kw_ckey_oaep_decrypt(k, t->hash, b->aad, b->aad_len, b->msg,
				 b->msg_len, &pt) != KW_OK ||
	    !same(pt->data, pt->len, b->expect, b->expect_len))
		goto out;
	kw_secret_free(pt);
	pt = NULL;
	/* Without the label the same ciphertext must not open. */
	if (kw_ckey_oaep_decrypt(k, t->hash, NULL, 0, b->msg, b->msg_len,
				 &pt) != KW_E_VERIFY ||
	    kw_ckey_pairwise_test(k) != KW_OK ||
	    kw_ckey_sign(k, &pss, msg, sizeof(msg), &sig, &n) != KW_OK ||
	    kw_ckey_verify(k, &pss, msg, sizeof(msg), sig, n) != KW_OK)
		goto out;
	rc = KW_OK;
out:
	free(sig);
	kw_secret_free(pt);
	kw_ckey_free(k);
	return rc;
}

/* ---- runner ----------------------------------------------------------------- */

typedef kw_rc (*kat_fn)(const kw_kat *t, const kat_bytes *b);

static const kat_fn kat_runners[] = {
	[KW_KAT_DIGEST] = kat_digest, [KW_KAT_HMAC] = kat_hmac,
	[KW_KAT_HKDF] = kat_hkdf,     [KW_KAT_GCM] = kat_gcm,
	[KW_KAT_WRAP] = kat_wrap,     [KW_KAT_ED25519] = kat_ed25519,
	[KW_KAT_ECDSA] = kat_ecdsa,   [KW_KAT_SIGVER] = kat_sigver,
	[KW_KAT_SIGGEN] = kat_siggen, [KW_KAT_OAEP_DEC] = kat_oaep,
};

static kw_rc kat_run(const kw_kat *t, const kat_bytes *b)
{
	kw_rc rc = KW_E_CRYPTO; /* an unknown kind never passes */
	unsigned kind = (unsigned)t->kind;

	if (kind < sizeof(kat_runners) / sizeof(kat_runners[0]) &&
	    kat_runners[kind] != NULL)
		rc = kat_runners[kind](t, b);
	return rc;
}

kw_rc kw_crypto_selftest_table(const kw_kat *table, size_t n)
{
	kw_rc rc = KW_E_INVALID;
	kat_bytes b;

	memset(&b, 0, sizeof(b));
	if (table == NULL || n == 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		rc = kat_bytes_load(&table[i], &b);
		if (rc == KW_OK)
			rc = kat_run(&table[i], &b);
		kat_bytes_free(&b);
		ERR_clear_error();
		if (rc != KW_OK) {
			KW_LOG_ERROR("crypto self-test %s failed",
				     table[i].name != NULL ? table[i].name
							   : "(unnamed)");
			if (rc != KW_E_NOMEM)
				rc = KW_E_CRYPTO;
			goto out;
		}
	}
	KW_LOG_DEBUG("crypto self-test: %zu known-answer tests passed", n);
out:
	return rc;
}

kw_rc kw_crypto_selftest(void)
{
	return kw_crypto_selftest_table(kw_kat_table, kw_kat_count);
}
