/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "fixture.h"

/*
 * Key transfer between two instances: a key exported from A under B's
 * transport key (or a shared AES key) and imported into B does what it
 * did in A; a key that is not exportable never leaves.
 */

typedef struct xfx {
	bfx *a, *b;
	char *transport_pem; /* B's RSA transport key, public */
} xfx;

static int setup(void **state)
{
	xfx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->a = bfx_new("mem", false);
	x->b = bfx_new("mem", false);
	kw_key_info_free(bfx_key(x->b, "transport", KW_KEY_RSA_2048,
				 KW_USAGE_ENCRYPT | KW_USAGE_DECRYPT, false));
	assert_int_equal(kw_key_public_pem(x->b->ks, BFX_PART, "transport", 0,
					   &x->transport_pem),
			 KW_OK);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	xfx *x = *state;
	free(x->transport_pem);
	bfx_free(x->a);
	bfx_free(x->b);
	free(x);
	return 0;
}

/* Moves key `name` from A to B (same name, type, usages) under the RSA
 * transport key. */
static void move_rsa(xfx *x, const char *name, kw_key_type t, uint32_t usages)
{
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	uint32_t v = 0;
	kw_key_info *k = NULL;
	assert_int_equal(
		kw_backup_transfer_export(
			x->a->ks, BFX_PART, name, 0, KW_TRANSFER_RSA_AES_KWP,
			(const uint8_t *)x->transport_pem,
			strlen(x->transport_pem), NULL, &blob, &blob_len, &v),
		KW_OK);
	assert_int_equal(v, 1);
	assert_true(blob_len > 256);
	kw_key_spec spec = {.partition = BFX_PART,
			    .name = name,
			    .type = t,
			    .usages = usages};
	assert_int_equal(kw_backup_transfer_import(
				 x->b->ks, &spec, KW_TRANSFER_RSA_AES_KWP,
				 "transport", 0, blob, blob_len, &k),
			 KW_OK);
	assert_int_equal(k->type, t);
	assert_false(k->exportable);
	kw_key_info_free(k);
	free(blob);
}

static const uint8_t msg[] = "signed on both sides";

static void test_ed25519_signs_identically(void **state)
{
	xfx *x = *state;
	kw_sign_params p = {.scheme = KW_SIG_EDDSA};
	uint8_t *s1 = NULL, *s2 = NULL;
	size_t l1 = 0, l2 = 0;
	uint32_t v = 0;
	char *pa = NULL, *pb = NULL;

	kw_key_info_free(bfx_key(x->a, "ed", KW_KEY_ED25519, 0, true));
	move_rsa(x, "ed", KW_KEY_ED25519, 0);
	assert_int_equal(kw_key_sign(x->a->ks, BFX_PART, "ed", 0, &p, msg,
				     sizeof(msg), &s1, &l1, &v),
			 KW_OK);
	assert_int_equal(kw_key_sign(x->b->ks, BFX_PART, "ed", 0, &p, msg,
				     sizeof(msg), &s2, &l2, &v),
			 KW_OK);
	assert_int_equal(l1, l2);
	assert_memory_equal(s1, s2, l1);
	assert_int_equal(kw_key_public_pem(x->a->ks, BFX_PART, "ed", 0, &pa),
			 KW_OK);
	assert_int_equal(kw_key_public_pem(x->b->ks, BFX_PART, "ed", 0, &pb),
			 KW_OK);
	assert_string_equal(pa, pb);
	free(pa);
	free(pb);
	free(s1);
	free(s2);
}

static void test_ecdsa_and_aes(void **state)
{
	xfx *x = *state;
	kw_sign_params p = {.scheme = KW_SIG_ECDSA, .hash = KW_HASH_SHA256};
	uint8_t *sig = NULL, *ct = NULL;
	size_t sig_len = 0, ct_len = 0;
	uint32_t v = 0;
	kw_secret *pt = NULL;

	kw_key_info_free(bfx_key(x->a, "ec", KW_KEY_EC_P384, 0, true));
	kw_key_info_free(bfx_key(x->a, "dek", KW_KEY_AES_256, 0, true));
	move_rsa(x, "ec", KW_KEY_EC_P384, 0);
	move_rsa(x, "dek", KW_KEY_AES_256, 0);
	/* Signed by the copy, verified by the original. */
	assert_int_equal(kw_key_sign(x->b->ks, BFX_PART, "ec", 0, &p, msg,
				     sizeof(msg), &sig, &sig_len, &v),
			 KW_OK);
	assert_int_equal(kw_key_verify(x->a->ks, BFX_PART, "ec", 1, &p, msg,
				       sizeof(msg), sig, sig_len),
			 KW_OK);
	assert_int_equal(kw_key_encrypt(x->a->ks, BFX_PART, "dek", NULL, msg,
					sizeof(msg), &ct, &ct_len, &v),
			 KW_OK);
	assert_int_equal(kw_key_decrypt(x->b->ks, BFX_PART, "dek", 1, NULL, ct,
					ct_len, &pt),
			 KW_OK);
	assert_memory_equal(pt->data, msg, sizeof(msg));
	kw_secret_free(pt);
	free(sig);
	free(ct);
}

/* AES-KWP under a key both sides hold (itself moved with RSA first). */
static void test_shared_wrapping_key(void **state)
{
	xfx *x = *state;
	uint8_t *blob = NULL, *m1 = NULL, *m2 = NULL;
	size_t blob_len = 0, l1 = 0, l2 = 0;
	uint32_t v = 0;
	kw_key_info *k = NULL;
	uint32_t wrap = KW_USAGE_WRAP | KW_USAGE_UNWRAP;

	kw_key_info_free(bfx_key(x->a, "shared", KW_KEY_AES_256, wrap, true));
	move_rsa(x, "shared", KW_KEY_AES_256, wrap);
	kw_key_info_free(bfx_key(x->a, "mac", KW_KEY_HMAC_SHA384, 0, true));
	assert_int_equal(kw_backup_transfer_export(x->a->ks, BFX_PART, "mac", 0,
						   KW_TRANSFER_AES_KWP, NULL, 0,
						   "shared", &blob, &blob_len,
						   &v),
			 KW_OK);
	kw_key_spec spec = {.partition = BFX_PART,
			    .name = "mac",
			    .type = KW_KEY_HMAC_SHA384};
	/* A damaged blob does not unwrap. */
	blob[3] ^= 1;
	assert_int_equal(
		kw_backup_transfer_import(x->b->ks, &spec, KW_TRANSFER_AES_KWP,
					  "shared", 0, blob, blob_len, &k),
		KW_E_VERIFY);
	blob[3] ^= 1;
	assert_int_equal(
		kw_backup_transfer_import(x->b->ks, &spec, KW_TRANSFER_AES_KWP,
					  "shared", 0, blob, blob_len, &k),
		KW_OK);
	kw_key_info_free(k);
	assert_int_equal(kw_key_mac(x->a->ks, BFX_PART, "mac", msg, sizeof(msg),
				    &m1, &l1, &v),
			 KW_OK);
	assert_int_equal(kw_key_mac(x->b->ks, BFX_PART, "mac", msg, sizeof(msg),
				    &m2, &l2, &v),
			 KW_OK);
	assert_int_equal(l1, l2);
	assert_memory_equal(m1, m2, l1);
	free(m1);
	free(m2);
	free(blob);
}

/* A key that is not exportable (from the start, or made so) never
 * leaves, and neither does a compromised one. */
static void test_never_leaves(void **state)
{
	xfx *x = *state;
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	kw_secret *m = NULL;

	kw_key_info_free(bfx_key(x->a, "fixed", KW_KEY_ED25519, 0, false));
	assert_int_equal(
		kw_backup_transfer_export(
			x->a->ks, BFX_PART, "fixed", 0, KW_TRANSFER_RSA_AES_KWP,
			(const uint8_t *)x->transport_pem,
			strlen(x->transport_pem), NULL, &blob, &blob_len, NULL),
		KW_E_DENIED);
	assert_int_equal(kw_key_export_material(x->a->ks, BFX_PART, "fixed", 0,
						&m, NULL),
			 KW_E_DENIED);
	kw_key_info_free(bfx_key(x->a, "once", KW_KEY_ED25519, 0, true));
	kw_key_update u = {.set_exportable_false = true};
	assert_int_equal(
		kw_key_update_meta(x->a->ks, BFX_PART, "once", &u, NULL),
		KW_OK);
	assert_int_equal(kw_backup_transfer_export(x->a->ks, BFX_PART, "once",
						   0, KW_TRANSFER_AES_KWP, NULL,
						   0, "shared", &blob,
						   &blob_len, NULL),
			 KW_E_DENIED);
	kw_key_info_free(bfx_key(x->a, "burnt", KW_KEY_ED25519, 0, true));
	assert_int_equal(kw_key_set_state(x->a->ks, BFX_PART, "burnt",
					  KW_KEY_COMPROMISED, NULL),
			 KW_OK);
	assert_int_equal(kw_key_export_material(x->a->ks, BFX_PART, "burnt", 0,
						&m, NULL),
			 KW_E_STATE);
	assert_null(blob);
	assert_null(m);
}

static void test_bad_input(void **state)
{
	xfx *x = *state;
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	kw_key_info *k = NULL;
	const char junk[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n";

	kw_key_info_free(bfx_key(x->a, "e2", KW_KEY_EC_P256, 0, true));
	assert_int_equal(kw_backup_transfer_export(x->a->ks, BFX_PART, "e2", 0,
						   KW_TRANSFER_RSA_AES_KWP,
						   (const uint8_t *)junk,
						   sizeof(junk) - 1, NULL,
						   &blob, &blob_len, NULL),
			 KW_E_INVALID);
	assert_int_equal(
		kw_backup_transfer_export(
			x->a->ks, BFX_PART, "e2", 9, KW_TRANSFER_RSA_AES_KWP,
			(const uint8_t *)x->transport_pem,
			strlen(x->transport_pem), NULL, &blob, &blob_len, NULL),
		KW_E_NOT_FOUND);
	assert_int_equal(
		kw_backup_transfer_export(
			x->a->ks, BFX_PART, "e2", 0, KW_TRANSFER_RSA_AES_KWP,
			(const uint8_t *)x->transport_pem,
			strlen(x->transport_pem), NULL, &blob, &blob_len, NULL),
		KW_OK);
	/* Imported as another type: refused. */
	kw_key_spec spec = {
		.partition = BFX_PART, .name = "e2", .type = KW_KEY_EC_P384};
	assert_int_equal(kw_backup_transfer_import(
				 x->b->ks, &spec, KW_TRANSFER_RSA_AES_KWP,
				 "transport", 0, blob, blob_len, &k),
			 KW_E_INVALID);
	/* A damaged RSA part, a damaged KWP part, a blob too short. */
	spec.type = KW_KEY_EC_P256;
	blob[10] ^= 1;
	assert_int_equal(kw_backup_transfer_import(
				 x->b->ks, &spec, KW_TRANSFER_RSA_AES_KWP,
				 "transport", 0, blob, blob_len, &k),
			 KW_E_VERIFY);
	blob[10] ^= 1;
	blob[blob_len - 1] ^= 1;
	assert_int_equal(kw_backup_transfer_import(
				 x->b->ks, &spec, KW_TRANSFER_RSA_AES_KWP,
				 "transport", 0, blob, blob_len, &k),
			 KW_E_VERIFY);
	assert_int_equal(kw_backup_transfer_import(
				 x->b->ks, &spec, KW_TRANSFER_RSA_AES_KWP,
				 "transport", 0, blob, 200, &k),
			 KW_E_VERIFY);
	assert_null(k);
	kw_key_info *none = NULL;
	assert_int_equal(kw_key_get(x->b->ks, BFX_PART, "e2", &none),
			 KW_E_NOT_FOUND);
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ed25519_signs_identically),
		cmocka_unit_test(test_ecdsa_and_aes),
		cmocka_unit_test(test_shared_wrapping_key),
		cmocka_unit_test(test_never_leaves),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
