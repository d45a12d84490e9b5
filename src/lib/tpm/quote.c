/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "tpm"

/*
 * The quote verifier: keywarden's own, field by field (docs/tpm.md lists
 * the checks). A quote is accepted only when every check passes; each
 * failure names the check, so an operator sees why an agent was refused.
 */

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "tpm/internal.h"

#define ATTEST_MAX 2048 /* bytes of a marshalled TPMS_ATTEST */

/* ---- PCR selections: text, TPML_PCR_SELECTION, strict equality ---------- */

kw_rc kw_tpm_pcrsel_parse(const char *text, kw_tpm_pcrsel *out)
{
	kw_rc rc = KW_E_INVALID;
	kw_tpm_pcrsel s = {0};
	char bank[16];
	const char *colon = NULL, *p = NULL;
	char *end = NULL;
	unsigned long n = 0;

	if (text == NULL || out == NULL)
		goto out;
	colon = strchr(text, ':');
	if (colon == NULL || colon == text ||
	    (size_t)(colon - text) >= sizeof(bank))
		goto out;
	memcpy(bank, text, (size_t)(colon - text));
	bank[colon - text] = '\0';
	if (kw_hash_parse(bank, &s.bank) != KW_OK ||
	    tpm_alg(s.bank) == TPM2_ALG_NULL)
		goto out;
	for (p = colon + 1;; p = end + 1) {
		if (*p < '0' || *p > '9')
			goto out;
		n = strtoul(p, &end, 10);
		if (n >= KW_TPM_PCRS || (s.mask & (1u << n)) != 0)
			goto out;
		s.mask |= 1u << n;
		if (*end == '\0')
			break;
		if (*end != ',')
			goto out;
	}
	*out = s;
	rc = KW_OK;
out:
	return rc;
}

kw_rc tpm_pcrsel_to(const kw_tpm_pcrsel *sel, TPML_PCR_SELECTION *out)
{
	kw_rc rc = KW_E_INVALID;
	TPML_PCR_SELECTION s;

	memset(&s, 0, sizeof(s));
	if (sel == NULL || sel->mask == 0 || sel->mask >= (1u << KW_TPM_PCRS) ||
	    tpm_alg(sel->bank) == TPM2_ALG_NULL)
		goto out;
	s.count = 1;
	s.pcrSelections[0].hash = tpm_alg(sel->bank);
	s.pcrSelections[0].sizeofSelect = 3;
	s.pcrSelections[0].pcrSelect[0] = (BYTE)sel->mask;
	s.pcrSelections[0].pcrSelect[1] = (BYTE)(sel->mask >> 8);
	s.pcrSelections[0].pcrSelect[2] = (BYTE)(sel->mask >> 16);
	*out = s;
	rc = KW_OK;
out:
	return rc;
}

int tpm_pcrsel_equal(const TPML_PCR_SELECTION *s, const kw_tpm_pcrsel *sel)
{
	const TPMS_PCR_SELECTION *p = &s->pcrSelections[0];
	uint32_t mask = 0;
	unsigned i = 0;

	if (s->count != 1 || p->hash != tpm_alg(sel->bank) ||
	    p->sizeofSelect < 3 || p->sizeofSelect > TPM2_PCR_SELECT_MAX)
		return 0;
	for (i = 0; i < p->sizeofSelect; i++) {
		if (i >= 3 && p->pcrSelect[i] != 0)
			return 0;
		if (i < 3)
			mask |= (uint32_t)p->pcrSelect[i] << (8 * i);
	}
	return mask == sel->mask;
}

/* ---- the verifier --------------------------------------------------------- */

/* attest as a TPMS_ATTEST; a TPM2B_ATTEST is unwrapped first. On KW_OK
 * msg and msg_len give the signed message (the TPMS_ATTEST bytes). */
static kw_rc attest_parse(const uint8_t *in, size_t len, TPMS_ATTEST *out,
			  const uint8_t **msg, size_t *msg_len)
{
	kw_rc rc = KW_E_VERIFY;
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	/* 4 bytes at least: the size and the magic's first two bytes */
	if (len >= 4 && (((size_t)in[0] << 8) | in[1]) == len - 2 &&
	    in[2] == 0xff && in[3] == 0x54) {
		/* a TPM2B_ATTEST around a TPMS_ATTEST with the magic's first
		 * bytes (a bare TPMS_ATTEST starts with the magic itself) */
		in += 2;
		len -= 2;
	}
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(in, len, &off, out) !=
		    TSS2_RC_SUCCESS ||
	    off != len)
		goto out;
	*msg = in;
	*msg_len = len;
	rc = KW_OK;
out:
	return rc;
}

/* The scheme and hash the signature claims, and its bytes. */
static kw_rc sig_parse(const uint8_t *in, size_t len, TPMT_SIGNATURE *out)
{
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(in, len, &off, out) !=
		    TSS2_RC_SUCCESS ||
	    off != len)
		return KW_E_VERIFY;
	return KW_OK;
}

/* Checks sig by the AK over msg. The AK's own scheme, if it has one, must
 * be the one the signature names. */
static kw_rc sig_check(const TPMT_PUBLIC *ak, const TPMT_SIGNATURE *sig,
		       const uint8_t *msg, size_t msg_len, const char **why)
{
	kw_rc rc = KW_E_VERIFY;
	kw_tpm_pubkey k;
	const TPMT_RSA_SCHEME *rs = &ak->parameters.rsaDetail.scheme;
	const TPMT_ECC_SCHEME *es = &ak->parameters.eccDetail.scheme;
	TPM2_ALG_ID want = TPM2_ALG_NULL, want_hash = TPM2_ALG_NULL;
	kw_tpm_sigscheme s = KW_TPM_SIG_RSASSA;
	uint8_t rsbuf[2 * KW_TPM_ECC_MAX];
	const uint8_t *sb = NULL;
	size_t sl = 0;
	kw_hash h = KW_HASH_NONE;

	*why = "AK signature is not valid";
	if (tpm_pub_crypto(ak, &k) != KW_OK)
		goto out;
	if (ak->type == TPM2_ALG_RSA) {
		want = rs->scheme;
		want_hash = rs->details.anySig.hashAlg;
	} else {
		want = es->scheme;
		want_hash = es->details.anySig.hashAlg;
	}
	if (want != TPM2_ALG_NULL &&
	    (sig->sigAlg != want || sig->signature.any.hashAlg != want_hash)) {
		*why = "signature scheme differs from the AK's";
		goto out;
	}
	h = tpm_hash(sig->signature.any.hashAlg);
	switch (sig->sigAlg) {
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
		s = sig->sigAlg == TPM2_ALG_RSASSA ? KW_TPM_SIG_RSASSA
						   : KW_TPM_SIG_RSAPSS;
		sb = sig->signature.rsassa.sig.buffer;
		sl = sig->signature.rsassa.sig.size;
		break;
	case TPM2_ALG_ECDSA: {
		const TPMS_SIGNATURE_ECC *e = &sig->signature.ecdsa;
		size_t c = (k.curve_bits + 7) / 8;

		if (e->signatureR.size > c || e->signatureS.size > c)
			goto out;
		/* r and s left-padded to the coordinate size */
		memset(rsbuf, 0, sizeof(rsbuf));
		memcpy(rsbuf + c - e->signatureR.size, e->signatureR.buffer,
		       e->signatureR.size);
		memcpy(rsbuf + 2 * c - e->signatureS.size, e->signatureS.buffer,
		       e->signatureS.size);
		s = KW_TPM_SIG_ECDSA;
		sb = rsbuf;
		sl = 2 * c;
		break;
	}
	default:
		*why = "unsupported signature scheme";
		goto out;
	}
	if (h == KW_HASH_NONE || h == KW_HASH_SHA1) {
		*why = "unsupported signature hash";
		goto out;
	}
	rc = kw_tpm_sig_verify(&k, s, h, msg, msg_len, sb, sl);
	if (rc != KW_OK && rc != KW_E_VERIFY)
		*why = "AK signature cannot be checked";
out:
	return rc;
}

/* The digest of the reported values of sel's PCRs, in PCR order. */
static kw_rc pcr_digest(const kw_tpm_quote_expect *e, uint8_t *out,
			size_t *out_len)
{
	kw_rc rc = KW_E_NOMEM;
	kw_digest_ctx *d = NULL;
	size_t hl = kw_hash_size(e->sel.bank);
	unsigned i = 0;

	rc = kw_digest_ctx_new(e->sel.bank, &d);
	for (i = 0; rc == KW_OK && i < KW_TPM_PCRS; i++)
		if (e->sel.mask & (1u << i))
			rc = kw_digest_ctx_update(d, e->pcrs[i], hl);
	if (rc == KW_OK)
		rc = kw_digest_ctx_final(d, out, out_len);
	kw_digest_ctx_free(d);
	return rc;
}

/* 1 if c is not earlier than last. */
static int clock_forward(const TPMS_CLOCK_INFO *c, const kw_tpm_clock *last)
{
	if (last == NULL)
		return 1;
	/* After a TPM Reset the restart count starts again, and Clock may
	 * have lost what was not yet saved (an unorderly shutdown): only
	 * the reset count must have grown. */
	if (c->resetCount != last->reset_count)
		return c->resetCount > last->reset_count;
	return c->restartCount >= last->restart_count &&
	       c->clock >= last->clock;
}

kw_rc kw_tpm_quote_verify(const kw_tpm_quote_expect *e, const uint8_t *attest,
			  size_t attest_len, const uint8_t *sig, size_t sig_len,
			  kw_tpm_clock *out_clock, uint8_t out_evidence[32],
			  const char **out_why)
{
	kw_rc rc = KW_E_INVALID;
	TPM2B_PUBLIC ak;
	TPMS_ATTEST a;
	TPMT_SIGNATURE s;
	const TPMS_QUOTE_INFO *q = &a.attested.quote;
	const uint8_t *msg = NULL;
	uint8_t dig[KW_DIGEST_MAX];
	size_t msg_len = 0, dlen = 0;
	kw_digest_ctx *ev = NULL;
	const char *why = "invalid argument";

	if (e == NULL || attest == NULL || sig == NULL || e->nonce == NULL ||
	    e->nonce_len == 0 || e->nonce_len > KW_TPM_NONCE_MAX ||
	    e->pcrs == NULL || attest_len == 0 || attest_len > ATTEST_MAX ||
	    sig_len == 0 || sig_len > sizeof(TPMT_SIGNATURE) ||
	    tpm_pub_parse(e->ak_pub, e->ak_pub_len, &ak) != KW_OK)
		goto out;
	rc = KW_E_VERIFY;
	why = "quote is not a TPMS_ATTEST";
	if (attest_parse(attest, attest_len, &a, &msg, &msg_len) != KW_OK)
		goto out;
	why = "signature is not a TPMT_SIGNATURE";
	if (sig_parse(sig, sig_len, &s) != KW_OK)
		goto out;
	rc = sig_check(&ak.publicArea, &s, msg, msg_len, &why);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_VERIFY;
	why = "quote magic is not TPM_GENERATED_VALUE";
	if (a.magic != TPM2_GENERATED_VALUE)
		goto out;
	why = "attestation is not a quote (TPM_ST_ATTEST_QUOTE)";
	if (a.type != TPM2_ST_ATTEST_QUOTE)
		goto out;
	why = "quote nonce does not match the challenge";
	if (a.extraData.size != e->nonce_len ||
	    !kw_ct_equal(a.extraData.buffer, e->nonce, e->nonce_len))
		goto out;
	why = "quoted PCR selection differs from the policy's";
	if (!tpm_pcrsel_equal(&q->pcrSelect, &e->sel))
		goto out;
	rc = pcr_digest(e, dig, &dlen);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_VERIFY;
	why = "reported PCR values do not match the quoted digest";
	if (q->pcrDigest.size != dlen ||
	    !kw_ct_equal(q->pcrDigest.buffer, dig, dlen))
		goto out;
	why = "TPM clock or reset/restart counter went backwards";
	if (!clock_forward(&a.clockInfo, e->last))
		goto out;
	if (out_evidence != NULL) {
		rc = kw_digest_ctx_new(KW_HASH_SHA256, &ev);
		if (rc == KW_OK)
			rc = kw_digest_ctx_update(ev, attest, attest_len);
		if (rc == KW_OK)
			rc = kw_digest_ctx_update(ev, sig, sig_len);
		if (rc == KW_OK)
			rc = kw_digest_ctx_final(ev, dig, &dlen);
		if (rc != KW_OK)
			goto out;
		memcpy(out_evidence, dig, 32);
	}
	if (out_clock != NULL) {
		out_clock->clock = a.clockInfo.clock;
		out_clock->reset_count = a.clockInfo.resetCount;
		out_clock->restart_count = a.clockInfo.restartCount;
		out_clock->safe = a.clockInfo.safe != 0;
	}
	why = NULL;
	rc = KW_OK;
out:
	kw_digest_ctx_free(ev);
	if (rc != KW_OK && out_why != NULL)
		*out_why = why;
	return rc;
}
