/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "tpm"

/*
 * The master key sealed to the host TPM under a PCR policy (auto-unseal).
 *
 * A sealed data object (keyedhash, no userWithAuth: only its policy
 * authorises it) whose authPolicy is PolicyPCR over the chosen PCRs,
 * created under a primary storage key that is re-created from a fixed
 * template each time (the owner hierarchy's seed makes it the same key),
 * so nothing stays loaded in the TPM: every object and session is flushed
 * before a function returns (a TPM without a resource manager holds only
 * three objects).
 *
 * The blob: "KWTS", version 1, then the marshalled TPML_PCR_SELECTION,
 * TPM2B_PUBLIC and TPM2B_PRIVATE of the sealed object.
 */

#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "keywarden/log.h"
#include "tpm/internal.h"

#define BLOB_MAGIC   "KWTS"
#define BLOB_VERSION 1
#define SEAL_MAX     128

typedef struct tpm_conn {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR srk, obj, sess;
} tpm_conn;

/* Logs a TSS error of call what and gives KW_E_TPM. */
static kw_rc tss_fail(const char *what, TSS2_RC r)
{
	KW_LOG_WARN("%s: %s", what, Tss2_RC_Decode(r));
	return KW_E_TPM;
}

static kw_rc conn_open(const char *tcti, tpm_conn *c)
{
	kw_rc rc = KW_E_UNAVAILABLE;
	TSS2_RC r = 0;

	memset(c, 0, sizeof(*c));
	c->srk = c->obj = c->sess = ESYS_TR_NONE;
	r = Tss2_TctiLdr_Initialize(tcti, &c->tcti);
	if (r != TSS2_RC_SUCCESS) {
		KW_LOG_WARN("no TPM at the configured TCTI: %s",
			    Tss2_RC_Decode(r));
		goto out;
	}
	r = Esys_Initialize(&c->esys, c->tcti, NULL);
	if (r != TSS2_RC_SUCCESS) {
		KW_LOG_WARN("TPM does not answer: %s", Tss2_RC_Decode(r));
		goto out;
	}
	rc = KW_OK;
out:
	return rc;
}

static void conn_close(tpm_conn *c)
{
	ESYS_TR *h[] = {&c->sess, &c->obj, &c->srk};
	size_t i = 0;

	for (i = 0; c->esys != NULL && i < sizeof(h) / sizeof(h[0]); i++)
		if (*h[i] != ESYS_TR_NONE)
			(void)Esys_FlushContext(c->esys, *h[i]);
	Esys_Finalize(&c->esys);
	Tss2_TctiLdr_Finalize(&c->tcti);
}

/* The primary storage key: ECC P-256, AES-128-CFB, owner hierarchy. */
static kw_rc srk_create(tpm_conn *c)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC pub;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION none;
	TSS2_RC r = 0;

	memset(&sens, 0, sizeof(sens));
	memset(&pub, 0, sizeof(pub));
	memset(&outside, 0, sizeof(outside));
	memset(&none, 0, sizeof(none));
	pub.publicArea.type = TPM2_ALG_ECC;
	pub.publicArea.nameAlg = TPM2_ALG_SHA256;
	pub.publicArea.objectAttributes =
		TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
		TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	pub.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	pub.publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
	pub.publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	pub.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	pub.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	pub.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	r = Esys_CreatePrimary(c->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
			       ESYS_TR_NONE, ESYS_TR_NONE, &sens, &pub,
			       &outside, &none, &c->srk, NULL, NULL, NULL,
			       NULL);
	return r == TSS2_RC_SUCCESS ? KW_OK : tss_fail("CreatePrimary", r);
}

/* A session of type (trial or policy) with PolicyPCR(sel) run in it; for a
 * trial session the resulting digest goes to out_digest. */
static kw_rc pcr_session(tpm_conn *c, TPM2_SE type,
			 const TPML_PCR_SELECTION *sel,
			 TPM2B_DIGEST *out_digest)
{
	kw_rc rc = KW_E_TPM;
	TPMT_SYM_DEF sym = {.algorithm = TPM2_ALG_NULL};
	TPM2B_DIGEST empty = {.size = 0};
	TPM2B_DIGEST *d = NULL;
	TSS2_RC r = 0;

	r = Esys_StartAuthSession(c->esys, ESYS_TR_NONE, ESYS_TR_NONE,
				  ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				  NULL, type, &sym, TPM2_ALG_SHA256, &c->sess);
	if (r != TSS2_RC_SUCCESS) {
		rc = tss_fail("StartAuthSession", r);
		goto out;
	}
	r = Esys_PolicyPCR(c->esys, c->sess, ESYS_TR_NONE, ESYS_TR_NONE,
			   ESYS_TR_NONE, &empty, sel);
	if (r != TSS2_RC_SUCCESS) {
		rc = tss_fail("PolicyPCR", r);
		goto out;
	}
	if (out_digest != NULL) {
		r = Esys_PolicyGetDigest(c->esys, c->sess, ESYS_TR_NONE,
					 ESYS_TR_NONE, ESYS_TR_NONE, &d);
		if (r != TSS2_RC_SUCCESS) {
			rc = tss_fail("PolicyGetDigest", r);
			goto out;
		}
		*out_digest = *d;
	}
	rc = KW_OK;
out:
	Esys_Free(d);
	return rc;
}

static kw_rc blob_write(const TPML_PCR_SELECTION *sel, const TPM2B_PUBLIC *pub,
			const TPM2B_PRIVATE *priv, uint8_t **out,
			size_t *out_len)
{
	kw_rc rc = KW_E_NOMEM;
	size_t cap = 8 + sizeof(*sel) + sizeof(*pub) + sizeof(*priv), off = 6;
	uint8_t *b = malloc(cap);

	if (b == NULL)
		goto out;
	memcpy(b, BLOB_MAGIC, 4);
	b[4] = BLOB_VERSION;
	b[5] = 0;
	rc = KW_E_INTERNAL;
	if (Tss2_MU_TPML_PCR_SELECTION_Marshal(sel, b, cap, &off) !=
		    TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(pub, b, cap, &off) !=
		    TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Marshal(priv, b, cap, &off) !=
		    TSS2_RC_SUCCESS)
		goto out;
	*out = b;
	*out_len = off;
	b = NULL;
	rc = KW_OK;
out:
	free(b);
	return rc;
}

static kw_rc blob_read(const uint8_t *b, size_t len, TPML_PCR_SELECTION *sel,
		       TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv)
{
	size_t off = 6;

	if (b == NULL || len < 6 || len > 8192 || memcmp(b, BLOB_MAGIC, 4) ||
	    b[4] != BLOB_VERSION)
		return KW_E_INVALID;
	memset(sel, 0, sizeof(*sel));
	memset(pub, 0, sizeof(*pub));
	memset(priv, 0, sizeof(*priv));
	if (Tss2_MU_TPML_PCR_SELECTION_Unmarshal(b, len, &off, sel) !=
		    TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(b, len, &off, pub) !=
		    TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Unmarshal(b, len, &off, priv) !=
		    TSS2_RC_SUCCESS ||
	    off != len || sel->count != 1)
		return KW_E_INVALID;
	return KW_OK;
}

kw_rc kw_tpm_blob_pcrsel(const uint8_t *blob, size_t blob_len,
			 kw_tpm_pcrsel *out)
{
	kw_rc rc = KW_E_INVALID;
	TPML_PCR_SELECTION sel;
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	const TPMS_PCR_SELECTION *s = &sel.pcrSelections[0];
	kw_tpm_pcrsel r = {0};

	if (out == NULL || blob_read(blob, blob_len, &sel, &pub, &priv))
		goto out;
	r.bank = tpm_hash(s->hash);
	r.mask = (uint32_t)s->pcrSelect[0] | (uint32_t)s->pcrSelect[1] << 8 |
		 (uint32_t)s->pcrSelect[2] << 16;
	/* kw_tpm_seal never seals to no PCR (tpm_pcrsel_to refuses it) */
	if (r.bank == KW_HASH_NONE || r.mask == 0 ||
	    !tpm_pcrsel_equal(&sel, &r))
		goto out;
	*out = r;
	rc = KW_OK;
out:
	return rc;
}

kw_rc kw_tpm_seal(const char *tcti, const kw_tpm_pcrsel *sel,
		  const kw_secret *data, uint8_t **out_blob,
		  size_t *out_blob_len)
{
	kw_rc rc = KW_E_INVALID;
	tpm_conn c = {0};
	TPML_PCR_SELECTION ts;
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION none;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	TSS2_RC r = 0;

	memset(&sens, 0, sizeof(sens));
	memset(&tmpl, 0, sizeof(tmpl));
	memset(&outside, 0, sizeof(outside));
	memset(&none, 0, sizeof(none));
	if (data == NULL || data->len == 0 || data->len > SEAL_MAX ||
	    out_blob == NULL || out_blob_len == NULL ||
	    tpm_pcrsel_to(sel, &ts) != KW_OK)
		goto out;
	rc = conn_open(tcti, &c);
	if (rc == KW_OK)
		rc = srk_create(&c);
	if (rc == KW_OK)
		rc = pcr_session(&c, TPM2_SE_TRIAL, &ts,
				 &tmpl.publicArea.authPolicy);
	if (rc != KW_OK)
		goto out;
	(void)Esys_FlushContext(c.esys, c.sess);
	c.sess = ESYS_TR_NONE;
	tmpl.publicArea.type = TPM2_ALG_KEYEDHASH;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	/* No userWithAuth: the object opens only through its policy. */
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM |
					   TPMA_OBJECT_FIXEDPARENT |
					   TPMA_OBJECT_NODA;
	tmpl.publicArea.parameters.keyedHashDetail.scheme.scheme =
		TPM2_ALG_NULL;
	memcpy(sens.sensitive.data.buffer, data->data, data->len);
	sens.sensitive.data.size = (UINT16)data->len;
	r = Esys_Create(c.esys, c.srk, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			ESYS_TR_NONE, &sens, &tmpl, &outside, &none, &priv,
			&pub, NULL, NULL, NULL);
	if (r != TSS2_RC_SUCCESS) {
		rc = tss_fail("Create (seal)", r);
		goto out;
	}
	rc = blob_write(&ts, pub, priv, out_blob, out_blob_len);
out:
	kw_wipe(&sens, sizeof(sens));
	Esys_Free(priv);
	Esys_Free(pub);
	conn_close(&c);
	return rc;
}

kw_rc kw_tpm_unseal(const char *tcti, const uint8_t *blob, size_t blob_len,
		    kw_secret **out, const char **out_why)
{
	kw_rc rc = KW_E_INVALID;
	tpm_conn c = {0};
	TPML_PCR_SELECTION sel;
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	TPM2B_SENSITIVE_DATA *data = NULL;
	const char *why = "sealed blob is malformed";
	TSS2_RC r = 0;

	if (out == NULL || blob_read(blob, blob_len, &sel, &pub, &priv))
		goto out;
	why = "TPM unavailable";
	rc = conn_open(tcti, &c);
	if (rc != KW_OK)
		goto out;
	why = "TPM error";
	rc = srk_create(&c);
	if (rc != KW_OK)
		goto out;
	r = Esys_Load(c.esys, c.srk, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		      ESYS_TR_NONE, &priv, &pub, &c.obj);
	if (r != TSS2_RC_SUCCESS) {
		why = "sealed blob does not load in this TPM";
		rc = tss_fail("Load (unseal)", r);
		goto out;
	}
	rc = pcr_session(&c, TPM2_SE_POLICY, &sel, NULL);
	if (rc != KW_OK)
		goto out;
	r = Esys_Unseal(c.esys, c.obj, c.sess, ESYS_TR_NONE, ESYS_TR_NONE,
			&data);
	if ((r & 0xFFFF00BFu) == TPM2_RC_POLICY_FAIL) {
		rc = KW_E_DENIED;
		why = "PCR values differ from those the master key was "
		      "sealed to";
		KW_LOG_WARN("TPM unseal refused: %s", why);
		goto out;
	}
	if (r != TSS2_RC_SUCCESS) {
		rc = tss_fail("Unseal", r);
		goto out;
	}
	rc = kw_secret_from(data->buffer, data->size, out);
	why = NULL;
out:
	if (data != NULL)
		kw_wipe(data, sizeof(*data));
	Esys_Free(data);
	conn_close(&c);
	if (rc != KW_OK && out_why != NULL)
		*out_why = why;
	return rc;
}
