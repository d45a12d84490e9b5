/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "../unit/tpm/vectors.h"
#include "fuzz.h"
#include "keywarden/tpm.h"

/*
 * The TPM structure parsers of the verifier (no TPM needed), chosen by the
 * first byte of the input:
 *   0  a quote and its signature against the swtpm AK of the unit test
 *      vectors: u16 length, TPMS_ATTEST (or TPM2B_ATTEST), TPMT_SIGNATURE;
 *      the expectation is the vectors' (nonce 0011..ff, sha256:16,23);
 *   1  a quote alone (the rest of the input), signed here by a software AK
 *      (ECC P-256, ECDSA-SHA256) so the checks after the signature are
 *      reached; second byte odd: a last quote's counters to compare with
 *   2  kw_tpm_key_check in the role of the second byte, then EK and SPKI
 *      checks: u16 length, TPM2B_PUBLIC, rest (certificate / SPKI DER)
 *   3  kw_tpm_blob_pcrsel (a sealed blob)
 *   4  kw_tpm_pcrsel_parse (text)
 * Every field is copied to its own buffer of its exact size so that a read
 * past it is seen. Each may only fail cleanly with a documented code; what
 * it accepts must hold the contract's invariants.
 */

static const uint8_t nonce[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
				  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
				  0xcc, 0xdd, 0xee, 0xff};

static uint8_t *dup(const uint8_t *d, size_t n)
{
	uint8_t *p = malloc(n > 0 ? n : 1);
	if (p == NULL)
		abort();
	memcpy(p, d, n);
	return p;
}

/* Splits d into a u16-length-prefixed first field and the rest. */
static int split(const uint8_t *d, size_t n, uint8_t **a, size_t *a_len,
		 uint8_t **b, size_t *b_len)
{
	size_t l = 0;

	if (n < 2)
		return -1;
	l = ((size_t)d[0] << 8) | d[1];
	if (l > n - 2)
		return -1;
	*a = dup(d + 2, l);
	*a_len = l;
	*b = dup(d + 2 + l, n - 2 - l);
	*b_len = n - 2 - l;
	return 0;
}

static void quote_check(const kw_tpm_quote_expect *e, const uint8_t *attest,
			size_t attest_len, const uint8_t *sig, size_t sig_len)
{
	kw_tpm_clock c = {0};
	uint8_t ev[32];
	const char *why = NULL;
	kw_rc rc = kw_tpm_quote_verify(e, attest, attest_len, sig, sig_len, &c,
				       ev, &why);

	if (rc == KW_OK) {
		if (why != NULL ||
		    (e->last != NULL && c.reset_count < e->last->reset_count))
			abort();
	} else if ((rc != KW_E_VERIFY && rc != KW_E_INVALID &&
		    rc != KW_E_UNSUPPORTED && rc != KW_E_NOMEM) ||
		   why == NULL) {
		abort();
	}
}

static void expect_vectors(kw_tpm_quote_expect *e, uint8_t (*pcrs)[64])
{
	memset(pcrs, 0, KW_TPM_PCRS * sizeof(*pcrs));
	memcpy(pcrs[16], vec_pcrs, 32);
	memcpy(pcrs[23], vec_pcrs + 32, 32);
	memset(e, 0, sizeof(*e));
	e->ak_pub = vec_ak_pub;
	e->ak_pub_len = vec_ak_pub_len;
	e->nonce = nonce;
	e->nonce_len = sizeof(nonce);
	e->sel.bank = KW_HASH_SHA256;
	e->sel.mask = (1u << 16) | (1u << 23);
	e->pcrs = (const uint8_t(*)[64])pcrs;
}

static void quote_given(const uint8_t *d, size_t n)
{
	uint8_t pcrs[KW_TPM_PCRS][64];
	kw_tpm_quote_expect e;
	uint8_t *attest = NULL, *sig = NULL;
	size_t attest_len = 0, sig_len = 0;

	if (split(d, n, &attest, &attest_len, &sig, &sig_len) != 0)
		return;
	expect_vectors(&e, pcrs);
	quote_check(&e, attest, attest_len, sig, sig_len);
	free(attest);
	free(sig);
}

/* ---- the software AK ----------------------------------------------------- */

static EVP_PKEY *ak_key;
static uint8_t ak_pub[KW_TPM_OBJECT_MAX];
static size_t ak_pub_len;

/* A P-256 AK made once, and its TPM2B_PUBLIC as a TPM would show it. */
static void ak_init(void)
{
	TPM2B_PUBLIC p;
	BIGNUM *x = NULL, *y = NULL;
	TPMS_ECC_PARMS *ecc = &p.publicArea.parameters.eccDetail;

	if (ak_key != NULL)
		return;
	ak_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (ak_key == NULL ||
	    !EVP_PKEY_get_bn_param(ak_key, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(ak_key, OSSL_PKEY_PARAM_EC_PUB_Y, &y))
		abort();
	memset(&p, 0, sizeof(p));
	p.publicArea.type = TPM2_ALG_ECC;
	p.publicArea.nameAlg = TPM2_ALG_SHA256;
	p.publicArea.objectAttributes =
		TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
		TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	ecc->symmetric.algorithm = TPM2_ALG_NULL;
	ecc->scheme.scheme = TPM2_ALG_ECDSA;
	ecc->scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	ecc->curveID = TPM2_ECC_NIST_P256;
	ecc->kdf.scheme = TPM2_ALG_NULL;
	p.publicArea.unique.ecc.x.size = 32;
	p.publicArea.unique.ecc.y.size = 32;
	if (BN_bn2binpad(x, p.publicArea.unique.ecc.x.buffer, 32) != 32 ||
	    BN_bn2binpad(y, p.publicArea.unique.ecc.y.buffer, 32) != 32 ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(&p, ak_pub, sizeof(ak_pub),
					 &ak_pub_len) != TSS2_RC_SUCCESS)
		abort();
	BN_free(x);
	BN_free(y);
	/* the harness's own key must pass as an AK */
	if (kw_tpm_key_check(ak_pub, ak_pub_len, KW_TPM_ROLE_AK, NULL, NULL,
			     NULL) != KW_OK)
		abort();
}

/* msg signed by the software AK, as a marshalled TPMT_SIGNATURE. */
static void ak_sign(const uint8_t *msg, size_t len, uint8_t *out,
		    size_t out_size, size_t *out_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[80];
	const uint8_t *p = der;
	size_t der_len = sizeof(der);
	ECDSA_SIG *es = NULL;
	TPMT_SIGNATURE s;

	memset(&s, 0, sizeof(s));
	if (md == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ak_key) != 1 ||
	    EVP_DigestSign(md, der, &der_len, msg, len) != 1 ||
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL)
		abort();
	s.sigAlg = TPM2_ALG_ECDSA;
	s.signature.ecdsa.hash = TPM2_ALG_SHA256;
	s.signature.ecdsa.signatureR.size = 32;
	s.signature.ecdsa.signatureS.size = 32;
	*out_len = 0;
	if (BN_bn2binpad(ECDSA_SIG_get0_r(es),
			 s.signature.ecdsa.signatureR.buffer, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es),
			 s.signature.ecdsa.signatureS.buffer, 32) != 32 ||
	    Tss2_MU_TPMT_SIGNATURE_Marshal(&s, out, out_size, out_len) !=
		    TSS2_RC_SUCCESS)
		abort();
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
}

static void quote_signed_here(const uint8_t *d, size_t n)
{
	static const kw_tpm_clock last = {
		.clock = 100000, .reset_count = 2, .restart_count = 1};
	uint8_t pcrs[KW_TPM_PCRS][64];
	kw_tpm_quote_expect e;
	uint8_t sig[sizeof(TPMT_SIGNATURE)], *attest = NULL, *s = NULL;
	size_t sig_len = 0, off = 0;

	if (n < 1)
		return;
	ak_init();
	expect_vectors(&e, pcrs);
	e.ak_pub = ak_pub;
	e.ak_pub_len = ak_pub_len;
	e.last = (d[0] & 1) ? &last : NULL;
	/* the signed message: the TPMS_ATTEST inside a TPM2B_ATTEST (one
	 * whose size is right and that starts with the magic's bytes) */
	if (n > 4 && (((size_t)d[1] << 8) | d[2]) == n - 3 && d[3] == 0xff &&
	    d[4] == 0x54)
		off = 2;
	ak_sign(d + 1 + off, n - 1 - off, sig, sizeof(sig), &sig_len);
	attest = dup(d + 1, n - 1);
	s = dup(sig, sig_len);
	quote_check(&e, attest, n - 1, s, sig_len);
	free(attest);
	free(s);
}

/* ---- keys, blobs, selections --------------------------------------------- */

static void key(const uint8_t *d, size_t n)
{
	uint8_t *pub = NULL, *rest = NULL, name[KW_TPM_NAME_MAX];
	size_t pub_len = 0, rest_len = 0, name_len = 0;
	const char *why = NULL;
	kw_tpm_key_role role = KW_TPM_ROLE_EK;
	kw_rc rc;

	if (n < 1 || split(d + 1, n - 1, &pub, &pub_len, &rest, &rest_len))
		return;
	role = (kw_tpm_key_role)(d[0] % 3 + 1);
	rc = kw_tpm_key_check(pub, pub_len, role, name, &name_len, &why);
	if (rc == KW_OK) {
		/* nameAlg || digest of a SHA-2 algorithm */
		if (why != NULL || (name_len != 2 + 32 && name_len != 2 + 48 &&
				    name_len != 2 + 64))
			abort();
	} else if ((rc != KW_E_INVALID && rc != KW_E_DENIED &&
		    rc != KW_E_UNSUPPORTED) ||
		   why == NULL) {
		abort();
	}
	/* No manufacturer CA: the certificate is parsed, never trusted. */
	rc = kw_tpm_ek_check(pub, pub_len, rest, rest_len, "/dev/null", &why);
	if (rc == KW_OK)
		abort();
	(void)kw_tpm_key_spki_match(pub, pub_len, rest, rest_len);
	free(pub);
	free(rest);
}

static void blob(const uint8_t *d, size_t n)
{
	uint8_t *b = dup(d, n);
	kw_tpm_pcrsel s = {0};

	if (kw_tpm_blob_pcrsel(b, n, &s) == KW_OK &&
	    (s.mask == 0 || s.mask >= (1u << KW_TPM_PCRS) ||
	     (s.bank != KW_HASH_SHA1 && s.bank != KW_HASH_SHA256 &&
	      s.bank != KW_HASH_SHA384 && s.bank != KW_HASH_SHA512)))
		abort();
	free(b);
}

static void pcrsel(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1), back[128];
	kw_tpm_pcrsel a = {0}, b = {0};
	size_t o = 0;

	if (s == NULL)
		abort();
	memcpy(s, d, n);
	s[n] = '\0';
	if (kw_tpm_pcrsel_parse(s, &a) == KW_OK) {
		if (a.mask == 0 || a.mask >= (1u << KW_TPM_PCRS))
			abort();
		/* the selection written back reads the same */
		o = (size_t)snprintf(back, sizeof(back),
				     "%s:", kw_hash_name(a.bank));
		for (unsigned i = 0; i < KW_TPM_PCRS; i++)
			if (a.mask & (1u << i))
				o += (size_t)snprintf(
					back + o, sizeof(back) - o, "%u,", i);
		back[o - 1] = '\0';
		if (kw_tpm_pcrsel_parse(back, &b) != KW_OK ||
		    b.bank != a.bank || b.mask != a.mask)
			abort();
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *d = data + 1;
	size_t n = size - 1;

	if (size == 0)
		return 0;
	switch (data[0] % 5) {
	case 0:
		quote_given(d, n);
		break;
	case 1:
		quote_signed_here(d, n);
		break;
	case 2:
		key(d, n);
		break;
	case 3:
		blob(d, n);
		break;
	default:
		pcrsel(d, n);
		break;
	}
	return 0;
}
