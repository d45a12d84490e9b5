/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* The TPM verifier without a TPM: KDFa against an independent vector, PCR
 * selections, key checks and names, MakeCredential's outputs, and the
 * quote verifier on evidence captured from swtpm, each check made to fail
 * on its own. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/tpm_crypto.h"
#include "keywarden/tpm.h"
#include "vectors.h"

static const uint8_t nonce[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
				  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
				  0xcc, 0xdd, 0xee, 0xff};

/* Computed with Python's hmac module from the definition of KDFa. */
static void test_kdfa_vector(void **state)
{
	static const uint8_t want[48] = {
		0xf5, 0x73, 0x97, 0xcc, 0x50, 0x15, 0x53, 0x54, 0xac, 0x87,
		0xf2, 0x2b, 0xde, 0xf6, 0xf0, 0xde, 0x1d, 0x20, 0xb6, 0x95,
		0xa4, 0x57, 0x87, 0x7f, 0x0e, 0x3a, 0xcd, 0x57, 0x64, 0x9f,
		0xf7, 0xa1, 0xaf, 0x95, 0x53, 0xa6, 0x15, 0x13, 0x15, 0xfe,
		0x53, 0x47, 0xa2, 0xac, 0x78, 0x90, 0x99, 0xb8};
	uint8_t key[32], u[34], out[48];

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	u[0] = 0x00;
	u[1] = 0x0b;
	memset(u + 2, 0x11, 32);
	assert_int_equal(kw_tpm_kdfa(KW_HASH_SHA256, key, sizeof(key),
				     "STORAGE", u, sizeof(u), NULL, 0, 384,
				     out),
			 KW_OK);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(kw_tpm_kdfa(KW_HASH_SHA256, key, sizeof(key),
				     "STORAGE", u, sizeof(u), NULL, 0, 7, out),
			 KW_E_INVALID);
}

static void test_pcrsel_parse(void **state)
{
	static const char *const bad[] = {
		"sha256:",   "sha256:24", "md5:1",     "sha256:1,1",
		"sha256:1,", "16,23",	  ":1",	       "sha256:x",
		"sha256:-1", "sha256: 1", "sha256:1;2"};
	kw_tpm_pcrsel s;

	(void)state;
	assert_int_equal(kw_tpm_pcrsel_parse("sha256:16,23", &s), KW_OK);
	assert_int_equal(s.bank, KW_HASH_SHA256);
	assert_int_equal(s.mask, (1u << 16) | (1u << 23));
	assert_int_equal(kw_tpm_pcrsel_parse("sha1:0", &s), KW_OK);
	assert_int_equal(s.mask, 1u);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kw_tpm_pcrsel_parse(bad[i], &s), KW_E_INVALID);
}

static void test_key_checks(void **state)
{
	uint8_t name[KW_TPM_NAME_MAX], copy[KW_TPM_OBJECT_MAX];
	size_t name_len = 0;
	const char *why = NULL;

	(void)state;
	assert_int_equal(kw_tpm_key_check(vec_ak_pub, vec_ak_pub_len,
					  KW_TPM_ROLE_AK, name, &name_len,
					  &why),
			 KW_OK);
	/* the name tpm2_createak printed */
	assert_int_equal(name_len, vec_ak_name_len);
	assert_memory_equal(name, vec_ak_name, name_len);
	assert_int_equal(kw_tpm_key_check(vec_ek_pub, vec_ek_pub_len,
					  KW_TPM_ROLE_EK, NULL, NULL, &why),
			 KW_OK);
	/* each key refused in the other's role */
	assert_int_equal(kw_tpm_key_check(vec_ek_pub, vec_ek_pub_len,
					  KW_TPM_ROLE_AK, NULL, NULL, &why),
			 KW_E_DENIED);
	assert_non_null(strstr(why, "AK is not a restricted"));
	assert_int_equal(kw_tpm_key_check(vec_ak_pub, vec_ak_pub_len,
					  KW_TPM_ROLE_EK, NULL, NULL, &why),
			 KW_E_DENIED);
	assert_int_equal(kw_tpm_key_check(vec_ak_pub, vec_ak_pub_len,
					  KW_TPM_ROLE_DEVICE, NULL, NULL, &why),
			 KW_E_DENIED);
	/* objectAttributes (bytes 6..9): restricted cleared */
	memcpy(copy, vec_ak_pub, vec_ak_pub_len);
	copy[7] &= (uint8_t)~0x01;
	assert_int_equal(kw_tpm_key_check(copy, vec_ak_pub_len, KW_TPM_ROLE_AK,
					  NULL, NULL, &why),
			 KW_E_DENIED);
	/* fixedTPM cleared */
	memcpy(copy, vec_ak_pub, vec_ak_pub_len);
	copy[9] &= (uint8_t)~0x02;
	assert_int_equal(kw_tpm_key_check(copy, vec_ak_pub_len, KW_TPM_ROLE_AK,
					  NULL, NULL, &why),
			 KW_E_DENIED);
	/* truncated, trailing byte, NULL */
	assert_int_equal(kw_tpm_key_check(vec_ak_pub, vec_ak_pub_len - 1,
					  KW_TPM_ROLE_AK, NULL, NULL, &why),
			 KW_E_INVALID);
	memcpy(copy, vec_ak_pub, vec_ak_pub_len);
	copy[vec_ak_pub_len] = 0;
	assert_int_equal(kw_tpm_key_check(copy, vec_ak_pub_len + 1,
					  KW_TPM_ROLE_AK, NULL, NULL, &why),
			 KW_E_INVALID);
	assert_int_equal(
		kw_tpm_key_check(NULL, 0, KW_TPM_ROLE_AK, NULL, NULL, &why),
		KW_E_INVALID);
}

static void test_credential_make(void **state)
{
	kw_secret *cred = NULL;
	uint8_t *blob = NULL, *sec = NULL;
	size_t blen = 0, slen = 0;

	(void)state;
	assert_int_equal(
		kw_secret_from("0123456789abcdef0123456789abcdef", 32, &cred),
		KW_OK);
	assert_int_equal(kw_tpm_credential_make(vec_ek_pub, vec_ek_pub_len,
						vec_ak_name, vec_ak_name_len,
						cred, &blob, &blen, &sec,
						&slen),
			 KW_OK);
	/* TPM2B_ID_OBJECT: size, HMAC as a TPM2B (2 + 32), encIdentity
	 * (the 2 + 32 bytes of the credential, encrypted) */
	assert_int_equal(blen, 2 + 34 + 34);
	assert_int_equal((blob[0] << 8) | blob[1], 68);
	/* TPM2B_ENCRYPTED_SECRET: the 256-byte OAEP ciphertext */
	assert_int_equal(slen, 2 + 256);
	free(blob);
	free(sec);
	/* an AK is not a key to encrypt credentials to */
	assert_int_equal(kw_tpm_credential_make(vec_ak_pub, vec_ak_pub_len,
						vec_ak_name, vec_ak_name_len,
						cred, &blob, &blen, &sec,
						&slen),
			 KW_E_DENIED);
	kw_secret_free(cred);
}

typedef struct qfix {
	uint8_t pcrs[KW_TPM_PCRS][64];
	uint8_t attest[1024], sig[512];
	kw_tpm_quote_expect e;
} qfix;

static int q_setup(void **state)
{
	qfix *f = calloc(1, sizeof(*f));

	memcpy(f->pcrs[16], vec_pcrs, 32);
	memcpy(f->pcrs[23], vec_pcrs + 32, 32);
	memcpy(f->attest, vec_quote, vec_quote_len);
	memcpy(f->sig, vec_sig, vec_sig_len);
	f->e.ak_pub = vec_ak_pub;
	f->e.ak_pub_len = vec_ak_pub_len;
	f->e.nonce = nonce;
	f->e.nonce_len = sizeof(nonce);
	f->e.sel.bank = KW_HASH_SHA256;
	f->e.sel.mask = (1u << 16) | (1u << 23);
	f->e.pcrs = (const uint8_t(*)[64])f->pcrs;
	*state = f;
	return 0;
}

static int q_teardown(void **state)
{
	free(*state);
	return 0;
}

static kw_rc verify(qfix *f, const char **why)
{
	return kw_tpm_quote_verify(&f->e, f->attest, vec_quote_len, f->sig,
				   vec_sig_len, NULL, NULL, why);
}

static void assert_refused(qfix *f, const char *reason)
{
	const char *why = NULL;

	assert_int_equal(verify(f, &why), KW_E_VERIFY);
	assert_non_null(why);
	assert_non_null(strstr(why, reason));
}

static void test_quote_ok(void **state)
{
	qfix *f = *state;
	kw_tpm_clock clk;
	uint8_t ev[32], ev2[32];

	assert_int_equal(kw_tpm_quote_verify(&f->e, f->attest, vec_quote_len,
					     f->sig, vec_sig_len, &clk, ev,
					     NULL),
			 KW_OK);
	assert_true(clk.reset_count >= 1);
	/* a TPM2B_ATTEST around it is the same quote and evidence */
	{
		uint8_t b[1024];
		b[0] = (uint8_t)(vec_quote_len >> 8);
		b[1] = (uint8_t)vec_quote_len;
		memcpy(b + 2, vec_quote, vec_quote_len);
		assert_int_equal(
			kw_tpm_quote_verify(&f->e, b, vec_quote_len + 2, f->sig,
					    vec_sig_len, NULL, ev2, NULL),
			KW_OK);
	}
	/* the same counters again are not "backwards" */
	f->e.last = &clk;
	assert_int_equal(verify(f, NULL), KW_OK);
}

static void test_quote_refusals(void **state)
{
	qfix *f = *state;
	uint8_t other_nonce[16];
	kw_tpm_clock later = {0};

	/* a changed byte anywhere in the quote breaks the signature */
	f->attest[40] ^= 1;
	assert_refused(f, "AK signature is not valid");
	f->attest[40] ^= 1;
	f->sig[vec_sig_len - 1] ^= 1;
	assert_refused(f, "AK signature is not valid");
	f->sig[vec_sig_len - 1] ^= 1;
	/* another nonce */
	memcpy(other_nonce, nonce, sizeof(nonce));
	other_nonce[0] ^= 1;
	f->e.nonce = other_nonce;
	assert_refused(f, "nonce does not match");
	f->e.nonce = nonce;
	/* another selection than the policy's */
	f->e.sel.mask = 1u << 16;
	assert_refused(f, "PCR selection differs");
	f->e.sel.mask = (1u << 16) | (1u << 23) | 1u;
	assert_refused(f, "PCR selection differs");
	f->e.sel.mask = (1u << 16) | (1u << 23);
	f->e.sel.bank = KW_HASH_SHA1;
	assert_refused(f, "PCR selection differs");
	f->e.sel.bank = KW_HASH_SHA256;
	/* reported values that are not what was quoted */
	f->pcrs[23][0] ^= 1;
	assert_refused(f, "do not match the quoted digest");
	f->pcrs[23][0] ^= 1;
	/* counters: a later reset was seen already */
	assert_int_equal(kw_tpm_quote_verify(&f->e, f->attest, vec_quote_len,
					     f->sig, vec_sig_len, &later, NULL,
					     NULL),
			 KW_OK);
	later.reset_count++;
	f->e.last = &later;
	assert_refused(f, "went backwards");
	later.reset_count--;
	later.clock += 1000;
	assert_refused(f, "went backwards");
	later.clock -= 1000;
	later.restart_count++;
	assert_refused(f, "went backwards");
	f->e.last = NULL;
	/* not a quote, not a signature */
	assert_int_equal(kw_tpm_quote_verify(&f->e, f->attest, 10, f->sig,
					     vec_sig_len, NULL, NULL, NULL),
			 KW_E_VERIFY);
	assert_int_equal(kw_tpm_quote_verify(&f->e, f->attest, vec_quote_len,
					     f->sig, 6, NULL, NULL, NULL),
			 KW_E_VERIFY);
	/* an AK that is not the one that signed: the EK's key */
	f->e.ak_pub = vec_ek_pub;
	f->e.ak_pub_len = vec_ek_pub_len;
	assert_refused(f, "signature");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdfa_vector),
		cmocka_unit_test(test_pcrsel_parse),
		cmocka_unit_test(test_key_checks),
		cmocka_unit_test(test_credential_make),
		cmocka_unit_test_setup_teardown(test_quote_ok, q_setup,
						q_teardown),
		cmocka_unit_test_setup_teardown(test_quote_refusals, q_setup,
						q_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
