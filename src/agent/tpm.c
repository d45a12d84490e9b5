/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* The agent's TPM operations through tss2-esys (see agent.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "agent/agent.h"

#define EK_CERT_NV_RSA 0x01c00002u
#define NV_CHUNK       512

struct kwa_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	const char *err;
	char errbuf[160];
};

/* Records that call what failed with r; KW_E_TPM. */
static kw_rc fail(kwa_tpm *t, const char *what, TSS2_RC r)
{
	snprintf(t->errbuf, sizeof(t->errbuf), "TPM %s: %s", what,
		 Tss2_RC_Decode(r));
	t->err = t->errbuf;
	return KW_E_TPM;
}

static void flush(kwa_tpm *t, ESYS_TR *h)
{
	if (*h != ESYS_TR_NONE)
		(void)Esys_FlushContext(t->esys, *h);
	*h = ESYS_TR_NONE;
}

kw_rc kwa_open(const char *tcti, kwa_tpm **out)
{
	kw_rc rc = KW_E_NOMEM;
	kwa_tpm *t = calloc(1, sizeof(*t));
	TSS2_RC r = 0;

	if (t == NULL)
		goto out;
	rc = KW_E_UNAVAILABLE;
	r = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (r == TSS2_RC_SUCCESS)
		r = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (r != TSS2_RC_SUCCESS)
		goto out;
	t->err = "";
	*out = t;
	t = NULL;
	rc = KW_OK;
out:
	kwa_close(t);
	return rc;
}

void kwa_close(kwa_tpm *t)
{
	if (t == NULL)
		return;
	Esys_Finalize(&t->esys);
	Tss2_TctiLdr_Finalize(&t->tcti);
	free(t);
}

const char *kwa_error(const kwa_tpm *t)
{
	return t != NULL && t->err != NULL ? t->err : "";
}

/* An RSA 2048 key made in the TPM, fixed to it, SHA-256 names; attrs are
 * added to fixedTPM, fixedParent and sensitiveDataOrigin. */
static TPMT_PUBLIC *rsa2048(TPM2B_PUBLIC *p, TPMA_OBJECT attrs)
{
	TPMT_PUBLIC *a = &p->publicArea;

	memset(p, 0, sizeof(*p));
	a->type = TPM2_ALG_RSA;
	a->nameAlg = TPM2_ALG_SHA256;
	a->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | attrs;
	a->parameters.rsaDetail.keyBits = 2048;
	return a;
}

/* The TCG default EK (EK Credential Profile, template L-1). */
static void ek_template(TPM2B_PUBLIC *p)
{
	static const uint8_t policy[32] = {
		0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8,
		0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
		0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
		0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};
	TPMT_PUBLIC *a = rsa2048(p, TPMA_OBJECT_ADMINWITHPOLICY |
					    TPMA_OBJECT_RESTRICTED |
					    TPMA_OBJECT_DECRYPT);

	memcpy(a->authPolicy.buffer, policy, sizeof(policy));
	a->authPolicy.size = sizeof(policy);
	a->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	a->parameters.rsaDetail.symmetric.keyBits.aes = 128;
	a->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	a->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	a->unique.rsa.size = 256;
}

/* The AK: RSA 2048 restricted signing, RSASSA-SHA-256. */
static void ak_template(TPM2B_PUBLIC *p)
{
	TPMT_PUBLIC *a =
		rsa2048(p, TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
				   TPMA_OBJECT_SIGN_ENCRYPT);

	a->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	a->parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
	a->parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
}

/* Creates the primary of template tmpl in the endorsement hierarchy; its
 * public part to out_pub (optional). */
static kw_rc primary(kwa_tpm *t, const TPM2B_PUBLIC *tmpl, ESYS_TR *out,
		     TPM2B_PUBLIC **out_pub)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION none;
	TSS2_RC r = 0;

	memset(&sens, 0, sizeof(sens));
	memset(&outside, 0, sizeof(outside));
	memset(&none, 0, sizeof(none));
	r = Esys_CreatePrimary(t->esys, ESYS_TR_RH_ENDORSEMENT,
			       ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
			       &sens, tmpl, &outside, &none, out, out_pub, NULL,
			       NULL, NULL);
	return r == TSS2_RC_SUCCESS ? KW_OK : fail(t, "CreatePrimary", r);
}

/* pub marshalled into a new buffer. */
static kw_rc pub_bytes(kwa_tpm *t, const TPM2B_PUBLIC *pub, uint8_t **out,
		       size_t *out_len)
{
	uint8_t *b = malloc(sizeof(*pub));
	size_t off = 0;

	if (b == NULL)
		return KW_E_NOMEM;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, b, sizeof(*pub), &off) !=
	    TSS2_RC_SUCCESS) {
		free(b);
		t->err = "cannot encode a public key";
		return KW_E_INTERNAL;
	}
	*out = b;
	*out_len = off;
	return KW_OK;
}

/* The EK certificate from NV, read in chunks the TPM accepts. */
static kw_rc ek_cert(kwa_tpm *t, uint8_t **out, size_t *out_len)
{
	kw_rc rc = KW_OK;
	ESYS_TR nv = ESYS_TR_NONE;
	TPM2B_NV_PUBLIC *np = NULL;
	TPM2B_MAX_NV_BUFFER *chunk = NULL;
	uint8_t *b = NULL;
	size_t size = 0, off = 0, n = 0;
	TSS2_RC r = 0;

	*out = NULL;
	*out_len = 0;
	r = Esys_TR_FromTPMPublic(t->esys, EK_CERT_NV_RSA, ESYS_TR_NONE,
				  ESYS_TR_NONE, ESYS_TR_NONE, &nv);
	if (r != TSS2_RC_SUCCESS)
		goto out; /* no certificate: not an error here */
	r = Esys_NV_ReadPublic(t->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE,
			       ESYS_TR_NONE, &np, NULL);
	if (r != TSS2_RC_SUCCESS) {
		rc = fail(t, "NV_ReadPublic", r);
		goto out;
	}
	size = np->nvPublic.dataSize;
	rc = KW_E_NOMEM;
	b = malloc(size ? size : 1);
	if (b == NULL)
		goto out;
	for (off = 0; off < size; off += n) {
		n = size - off < NV_CHUNK ? size - off : NV_CHUNK;
		r = Esys_NV_Read(t->esys, nv, nv, ESYS_TR_PASSWORD,
				 ESYS_TR_NONE, ESYS_TR_NONE, (UINT16)n,
				 (UINT16)off, &chunk);
		if (r != TSS2_RC_SUCCESS || chunk->size != n) {
			rc = fail(t, "NV_Read", r);
			goto out;
		}
		memcpy(b + off, chunk->buffer, n);
		Esys_Free(chunk);
		chunk = NULL;
	}
	*out = b;
	*out_len = size;
	b = NULL;
	rc = KW_OK;
out:
	if (nv != ESYS_TR_NONE)
		(void)Esys_TR_Close(t->esys, &nv);
	Esys_Free(np);
	Esys_Free(chunk);
	free(b);
	return rc;
}

kw_rc kwa_ek(kwa_tpm *t, uint8_t **pub, size_t *pub_len, uint8_t **cert,
	     size_t *cert_len)
{
	kw_rc rc = KW_E_INVALID;
	TPM2B_PUBLIC tmpl;
	TPM2B_PUBLIC *p = NULL;
	ESYS_TR ek = ESYS_TR_NONE;
	uint8_t *pb = NULL;
	size_t pl = 0;

	if (t == NULL || pub == NULL || pub_len == NULL ||
	    (cert != NULL && cert_len == NULL))
		goto out;
	ek_template(&tmpl);
	rc = primary(t, &tmpl, &ek, &p);
	if (rc == KW_OK)
		rc = pub_bytes(t, p, &pb, &pl);
	if (rc == KW_OK && cert != NULL)
		rc = ek_cert(t, cert, cert_len);
	if (rc != KW_OK)
		goto out;
	*pub = pb;
	*pub_len = pl;
	pb = NULL;
out:
	flush(t, &ek);
	Esys_Free(p);
	free(pb);
	return rc;
}

kw_rc kwa_ak(kwa_tpm *t, uint8_t **pub, size_t *pub_len)
{
	kw_rc rc = KW_E_INVALID;
	TPM2B_PUBLIC tmpl;
	TPM2B_PUBLIC *p = NULL;
	ESYS_TR ak = ESYS_TR_NONE;

	if (t == NULL || pub == NULL || pub_len == NULL)
		goto out;
	ak_template(&tmpl);
	rc = primary(t, &tmpl, &ak, &p);
	if (rc == KW_OK)
		rc = pub_bytes(t, p, pub, pub_len);
out:
	flush(t, &ak);
	Esys_Free(p);
	return rc;
}

/* An ESYS handle for the persistent object at handle (Esys_TR_Close it). */
static kw_rc persistent(kwa_tpm *t, uint32_t handle, ESYS_TR *out)
{
	TSS2_RC r = 0;

	if ((handle >> 24) != TPM2_HT_PERSISTENT) {
		t->err = "not a persistent handle (0x81xxxxxx)";
		return KW_E_INVALID;
	}
	r = Esys_TR_FromTPMPublic(t->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE,
				  ESYS_TR_NONE, out);
	return r == TSS2_RC_SUCCESS ? KW_OK : fail(t, "persistent key", r);
}

kw_rc kwa_key_public(kwa_tpm *t, uint32_t handle, uint8_t **pub,
		     size_t *pub_len)
{
	kw_rc rc = KW_E_INVALID;
	ESYS_TR h = ESYS_TR_NONE;
	TPM2B_PUBLIC *p = NULL;
	TSS2_RC r = 0;

	if (t == NULL || pub == NULL || pub_len == NULL)
		goto out;
	rc = persistent(t, handle, &h);
	if (rc != KW_OK)
		goto out;
	r = Esys_ReadPublic(t->esys, h, ESYS_TR_NONE, ESYS_TR_NONE,
			    ESYS_TR_NONE, &p, NULL, NULL);
	rc = r == TSS2_RC_SUCCESS ? pub_bytes(t, p, pub, pub_len)
				  : fail(t, "ReadPublic", r);
out:
	if (h != ESYS_TR_NONE)
		(void)Esys_TR_Close(t->esys, &h);
	Esys_Free(p);
	return rc;
}

/* A policy session satisfying the EK's policy: PolicySecret(endorsement). */
static kw_rc ek_session(kwa_tpm *t, ESYS_TR *out)
{
	TPMT_SYM_DEF sym = {.algorithm = TPM2_ALG_NULL};
	TSS2_RC r = 0;

	r = Esys_StartAuthSession(
		t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
		ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, out);
	if (r != TSS2_RC_SUCCESS)
		return fail(t, "StartAuthSession", r);
	r = Esys_PolicySecret(t->esys, ESYS_TR_RH_ENDORSEMENT, *out,
			      ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
			      NULL, NULL, NULL, 0, NULL, NULL);
	return r == TSS2_RC_SUCCESS ? KW_OK : fail(t, "PolicySecret", r);
}

kw_rc kwa_activate(kwa_tpm *t, uint32_t handle, const uint8_t *blob,
		   size_t blob_len, const uint8_t *secret, size_t secret_len,
		   uint8_t out[64], size_t *out_len)
{
	kw_rc rc = KW_E_INVALID;
	TPM2B_PUBLIC tmpl;
	TPM2B_ID_OBJECT id;
	TPM2B_ENCRYPTED_SECRET es;
	TPM2B_DIGEST *cred = NULL;
	ESYS_TR ek = ESYS_TR_NONE, obj = ESYS_TR_NONE, sess = ESYS_TR_NONE;
	size_t o1 = 0, o2 = 0;
	TSS2_RC r = 0;

	memset(&id, 0, sizeof(id));
	memset(&es, 0, sizeof(es));
	if (t == NULL || blob == NULL || secret == NULL || out == NULL ||
	    out_len == NULL)
		goto out;
	if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(blob, blob_len, &o1, &id) !=
		    TSS2_RC_SUCCESS ||
	    o1 != blob_len ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(secret, secret_len, &o2,
						     &es) != TSS2_RC_SUCCESS ||
	    o2 != secret_len) {
		t->err = "malformed credential";
		goto out;
	}
	if (handle == 0) {
		ak_template(&tmpl);
		rc = primary(t, &tmpl, &obj, NULL);
	} else {
		rc = persistent(t, handle, &obj);
	}
	if (rc != KW_OK)
		goto out;
	ek_template(&tmpl);
	rc = primary(t, &tmpl, &ek, NULL);
	if (rc == KW_OK)
		rc = ek_session(t, &sess);
	if (rc != KW_OK)
		goto out;
	r = Esys_ActivateCredential(t->esys, obj, ek, ESYS_TR_PASSWORD, sess,
				    ESYS_TR_NONE, &id, &es, &cred);
	if (r != TSS2_RC_SUCCESS) {
		rc = fail(t, "ActivateCredential", r);
		goto out;
	}
	memcpy(out, cred->buffer, cred->size);
	*out_len = cred->size;
	rc = KW_OK;
out:
	if (cred != NULL)
		memset(cred, 0, sizeof(*cred));
	Esys_Free(cred);
	flush(t, &sess);
	flush(t, &ek);
	if (handle == 0)
		flush(t, &obj);
	else if (obj != ESYS_TR_NONE)
		(void)Esys_TR_Close(t->esys, &obj);
	return rc;
}

/* The current value of each PCR of sel, one PCR per read. */
static kw_rc pcr_values(kwa_tpm *t, uint16_t bank, uint32_t mask,
			uint8_t pcrs[24][64], size_t *digest_len)
{
	TPML_PCR_SELECTION sel;
	TPML_DIGEST *v = NULL;
	unsigned i = 0;
	TSS2_RC r = 0;

	for (i = 0; i < 24; i++) {
		if (!(mask & (1u << i)))
			continue;
		memset(&sel, 0, sizeof(sel));
		sel.count = 1;
		sel.pcrSelections[0].hash = bank;
		sel.pcrSelections[0].sizeofSelect = 3;
		sel.pcrSelections[0].pcrSelect[i / 8] = (BYTE)(1u << (i % 8));
		r = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
				  ESYS_TR_NONE, &sel, NULL, NULL, &v);
		if (r != TSS2_RC_SUCCESS)
			return fail(t, "PCR_Read", r);
		if (v->count != 1 || v->digests[0].size > 64) {
			Esys_Free(v);
			t->err = "PCR bank not active";
			return KW_E_TPM;
		}
		memcpy(pcrs[i], v->digests[0].buffer, v->digests[0].size);
		*digest_len = v->digests[0].size;
		Esys_Free(v);
		v = NULL;
	}
	return KW_OK;
}

kw_rc kwa_quote(kwa_tpm *t, uint16_t bank, uint32_t mask, const uint8_t *nonce,
		size_t nonce_len, uint8_t **attest, size_t *attest_len,
		uint8_t **sig, size_t *sig_len, uint8_t pcrs[24][64],
		size_t *digest_len)
{
	kw_rc rc = KW_E_INVALID;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA q;
	TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_NULL};
	TPML_PCR_SELECTION sel;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *s = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
	uint8_t *ab = NULL, *sb = NULL;
	size_t so = 0;
	TSS2_RC r = 0;

	memset(&sel, 0, sizeof(sel));
	memset(&q, 0, sizeof(q));
	if (t == NULL || nonce == NULL || nonce_len == 0 ||
	    nonce_len > sizeof(q.buffer) || mask == 0 || mask >= (1u << 24) ||
	    attest == NULL || attest_len == NULL || sig == NULL ||
	    sig_len == NULL || pcrs == NULL || digest_len == NULL)
		goto out;
	memcpy(q.buffer, nonce, nonce_len);
	q.size = (UINT16)nonce_len;
	sel.count = 1;
	sel.pcrSelections[0].hash = bank;
	sel.pcrSelections[0].sizeofSelect = 3;
	sel.pcrSelections[0].pcrSelect[0] = (BYTE)mask;
	sel.pcrSelections[0].pcrSelect[1] = (BYTE)(mask >> 8);
	sel.pcrSelections[0].pcrSelect[2] = (BYTE)(mask >> 16);
	ak_template(&tmpl);
	rc = primary(t, &tmpl, &ak, NULL);
	if (rc != KW_OK)
		goto out;
	r = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		       ESYS_TR_NONE, &q, &scheme, &sel, &quoted, &s);
	if (r != TSS2_RC_SUCCESS) {
		rc = fail(t, "Quote", r);
		goto out;
	}
	rc = pcr_values(t, bank, mask, pcrs, digest_len);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	ab = malloc(quoted->size ? quoted->size : 1);
	sb = malloc(sizeof(*s));
	if (ab == NULL || sb == NULL)
		goto out;
	memcpy(ab, quoted->attestationData, quoted->size);
	rc = KW_E_INTERNAL;
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(s, sb, sizeof(*s), &so) !=
	    TSS2_RC_SUCCESS)
		goto out;
	*attest = ab;
	*attest_len = quoted->size;
	*sig = sb;
	*sig_len = so;
	ab = sb = NULL;
	rc = KW_OK;
out:
	flush(t, &ak);
	Esys_Free(quoted);
	Esys_Free(s);
	free(ab);
	free(sb);
	return rc;
}
