/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "tpm"

/* TPM keys as the verifier sees them: TPM2B_PUBLIC parsing, the checks an
 * EK, an AK or a device key must pass, names, EK certificates, and the
 * marshalling of a software MakeCredential. */

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "tpm/internal.h"

kw_hash tpm_hash(TPM2_ALG_ID alg)
{
	switch (alg) {
	case TPM2_ALG_SHA1:
		return KW_HASH_SHA1;
	case TPM2_ALG_SHA256:
		return KW_HASH_SHA256;
	case TPM2_ALG_SHA384:
		return KW_HASH_SHA384;
	case TPM2_ALG_SHA512:
		return KW_HASH_SHA512;
	default:
		return KW_HASH_NONE;
	}
}

TPM2_ALG_ID tpm_alg(kw_hash h)
{
	switch (h) {
	case KW_HASH_SHA1:
		return TPM2_ALG_SHA1;
	case KW_HASH_SHA256:
		return TPM2_ALG_SHA256;
	case KW_HASH_SHA384:
		return TPM2_ALG_SHA384;
	case KW_HASH_SHA512:
		return TPM2_ALG_SHA512;
	default:
		return TPM2_ALG_NULL;
	}
}

kw_rc tpm_pub_parse(const uint8_t *pub, size_t len, TPM2B_PUBLIC *out)
{
	kw_rc rc = KW_E_INVALID;
	TPM2B_PUBLIC p;
	size_t off = 0;

	memset(&p, 0, sizeof(p));
	if (pub == NULL || out == NULL || len < 4 || len > KW_TPM_OBJECT_MAX)
		goto out;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, len, &off, &p) !=
		    TSS2_RC_SUCCESS ||
	    off != len || p.size + 2u != len)
		goto out;
	*out = p;
	rc = KW_OK;
out:
	return rc;
}

kw_rc tpm_pub_crypto(const TPMT_PUBLIC *p, kw_tpm_pubkey *out)
{
	kw_rc rc = KW_E_UNSUPPORTED;
	kw_tpm_pubkey k;
	const TPMT_SYM_DEF_OBJECT *sym = NULL;

	memset(&k, 0, sizeof(k));
	k.name_hash = tpm_hash(p->nameAlg);
	if (k.name_hash == KW_HASH_NONE || k.name_hash == KW_HASH_SHA1)
		goto out;
	if (p->type == TPM2_ALG_RSA) {
		k.alg = KW_TPM_KEY_RSA;
		if (p->unique.rsa.size == 0 || p->unique.rsa.size > sizeof(k.n))
			goto out;
		memcpy(k.n, p->unique.rsa.buffer, p->unique.rsa.size);
		k.n_len = p->unique.rsa.size;
		k.exponent = p->parameters.rsaDetail.exponent;
		sym = &p->parameters.rsaDetail.symmetric;
	} else if (p->type == TPM2_ALG_ECC) {
		k.alg = KW_TPM_KEY_ECC;
		switch (p->parameters.eccDetail.curveID) {
		case TPM2_ECC_NIST_P256:
			k.curve_bits = 256;
			break;
		case TPM2_ECC_NIST_P384:
			k.curve_bits = 384;
			break;
		case TPM2_ECC_NIST_P521:
			k.curve_bits = 521;
			break;
		default:
			goto out;
		}
		if (p->unique.ecc.x.size > sizeof(k.x) ||
		    p->unique.ecc.y.size > sizeof(k.y))
			goto out;
		memcpy(k.x, p->unique.ecc.x.buffer, p->unique.ecc.x.size);
		memcpy(k.y, p->unique.ecc.y.buffer, p->unique.ecc.y.size);
		k.x_len = p->unique.ecc.x.size;
		k.y_len = p->unique.ecc.y.size;
		sym = &p->parameters.eccDetail.symmetric;
	} else {
		goto out;
	}
	if (sym->algorithm == TPM2_ALG_AES && sym->mode.aes == TPM2_ALG_CFB &&
	    (sym->keyBits.aes == 128 || sym->keyBits.aes == 256))
		k.sym_bits = sym->keyBits.aes;
	*out = k;
	rc = KW_OK;
out:
	return rc;
}

kw_rc tpm_pub_name(const TPMT_PUBLIC *p, uint8_t *out, size_t *out_len)
{
	kw_rc rc = KW_E_UNSUPPORTED;
	kw_hash h = tpm_hash(p->nameAlg);
	uint8_t buf[sizeof(TPMT_PUBLIC)], d[KW_DIGEST_MAX];
	size_t off = 0, dlen = 0;

	if (h == KW_HASH_NONE)
		goto out;
	rc = KW_E_INVALID;
	if (Tss2_MU_TPMT_PUBLIC_Marshal(p, buf, sizeof(buf), &off) !=
	    TSS2_RC_SUCCESS)
		goto out;
	rc = kw_digest(h, buf, off, d, &dlen);
	if (rc != KW_OK)
		goto out;
	out[0] = (uint8_t)(p->nameAlg >> 8);
	out[1] = (uint8_t)p->nameAlg;
	memcpy(out + 2, d, dlen);
	*out_len = 2 + dlen;
out:
	return rc;
}

/* The attribute rules of each role: bits that must be set, bits that must
 * be clear. */
static const struct role_rule {
	TPMA_OBJECT set, clear;
	const char *why;
} role_rules[] = {
	[KW_TPM_ROLE_EK] = {TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_RESTRICTED |
				    TPMA_OBJECT_DECRYPT,
			    TPMA_OBJECT_SIGN_ENCRYPT,
			    "EK is not a restricted, fixedTPM decryption key"},
	[KW_TPM_ROLE_AK] = {TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_SENSITIVEDATAORIGIN |
				    TPMA_OBJECT_RESTRICTED |
				    TPMA_OBJECT_SIGN_ENCRYPT,
			    TPMA_OBJECT_DECRYPT,
			    "AK is not a restricted, fixedTPM, fixedParent "
			    "signing key made in the TPM"},
	[KW_TPM_ROLE_DEVICE] = {TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					TPMA_OBJECT_SENSITIVEDATAORIGIN |
					TPMA_OBJECT_SIGN_ENCRYPT,
				TPMA_OBJECT_RESTRICTED,
				"device key is not an unrestricted, fixedTPM, "
				"fixedParent signing key made in the TPM"},
};

kw_rc kw_tpm_key_check(const uint8_t *pub, size_t pub_len, kw_tpm_key_role role,
		       uint8_t *out_name, size_t *out_name_len,
		       const char **out_why)
{
	kw_rc rc = KW_E_INVALID;
	TPM2B_PUBLIC p;
	kw_tpm_pubkey k;
	uint8_t name[KW_TPM_NAME_MAX];
	size_t name_len = 0;
	TPMA_OBJECT a = 0;
	const char *why = "not a TPM2B_PUBLIC";

	if (role < KW_TPM_ROLE_EK || role > KW_TPM_ROLE_DEVICE ||
	    (out_name != NULL && out_name_len == NULL))
		goto out;
	rc = tpm_pub_parse(pub, pub_len, &p);
	if (rc != KW_OK)
		goto out;
	why = "unsupported key algorithm or name algorithm";
	rc = tpm_pub_crypto(&p.publicArea, &k);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_DENIED;
	why = role_rules[role].why;
	a = p.publicArea.objectAttributes;
	if ((a & role_rules[role].set) != role_rules[role].set ||
	    (a & role_rules[role].clear) != 0)
		goto out;
	if (role == KW_TPM_ROLE_EK && k.sym_bits == 0) {
		why = "EK has no AES-CFB symmetric scheme";
		goto out;
	}
	why = "cannot compute the key's name";
	rc = tpm_pub_name(&p.publicArea, name, &name_len);
	if (rc != KW_OK)
		goto out;
	if (out_name != NULL) {
		memcpy(out_name, name, name_len);
		*out_name_len = name_len;
	}
	why = NULL;
out:
	if (rc != KW_OK && out_why != NULL)
		*out_why = why;
	return rc;
}

/* pub as the verifier's key, after the checks of role. */
static kw_rc pub_of_role(const uint8_t *pub, size_t pub_len,
			 kw_tpm_key_role role, kw_tpm_pubkey *out,
			 const char **out_why)
{
	TPM2B_PUBLIC p;
	kw_rc rc = kw_tpm_key_check(pub, pub_len, role, NULL, NULL, out_why);

	if (rc == KW_OK)
		rc = tpm_pub_parse(pub, pub_len, &p);
	if (rc == KW_OK)
		rc = tpm_pub_crypto(&p.publicArea, out);
	return rc;
}

kw_rc kw_tpm_ek_check(const uint8_t *ek_pub, size_t ek_pub_len,
		      const uint8_t *cert, size_t cert_len, const char *ca_file,
		      const char **out_why)
{
	kw_tpm_pubkey k;
	kw_rc rc = pub_of_role(ek_pub, ek_pub_len, KW_TPM_ROLE_EK, &k, out_why);

	if (rc == KW_OK)
		rc = kw_tpm_ekcert_check(cert, cert_len, ca_file, &k, out_why);
	return rc;
}

kw_rc kw_tpm_key_spki_match(const uint8_t *pub, size_t pub_len,
			    const uint8_t *spki, size_t spki_len)
{
	TPM2B_PUBLIC p;
	kw_tpm_pubkey k;
	kw_rc rc = tpm_pub_parse(pub, pub_len, &p);

	if (rc == KW_OK)
		rc = tpm_pub_crypto(&p.publicArea, &k);
	if (rc == KW_OK)
		rc = kw_tpm_spki_match(&k, spki, spki_len);
	return rc;
}

kw_rc kw_tpm_credential_make(const uint8_t *ek_pub, size_t ek_pub_len,
			     const uint8_t *name, size_t name_len,
			     const kw_secret *credential, uint8_t **out_blob,
			     size_t *out_blob_len, uint8_t **out_secret,
			     size_t *out_secret_len)
{
	kw_rc rc = KW_E_INVALID;
	kw_tpm_pubkey k;
	kw_tpm_credential c = {0};
	TPM2B_ID_OBJECT id;
	TPM2B_ENCRYPTED_SECRET es;
	uint8_t *blob = NULL, *sec = NULL;
	size_t blen = 0, slen = 0;

	memset(&id, 0, sizeof(id));
	memset(&es, 0, sizeof(es));
	if (name == NULL || name_len > KW_TPM_NAME_MAX || out_blob == NULL ||
	    out_blob_len == NULL || out_secret == NULL ||
	    out_secret_len == NULL || credential == NULL ||
	    credential->len > 32)
		goto out;
	rc = pub_of_role(ek_pub, ek_pub_len, KW_TPM_ROLE_EK, &k, NULL);
	if (rc == KW_OK)
		rc = kw_tpm_make_credential(&k, name, name_len, credential, &c);
	if (rc != KW_OK)
		goto out;
	/* TPMS_ID_OBJECT: integrityHMAC as a TPM2B, then encIdentity as it
	 * is (it is itself an encrypted TPM2B). */
	rc = KW_E_INTERNAL;
	if (2 + c.hmac_len + c.enc_identity_len > sizeof(id.credential) ||
	    c.secret_len > sizeof(es.secret))
		goto out;
	id.credential[0] = (uint8_t)(c.hmac_len >> 8);
	id.credential[1] = (uint8_t)c.hmac_len;
	memcpy(id.credential + 2, c.hmac, c.hmac_len);
	memcpy(id.credential + 2 + c.hmac_len, c.enc_identity,
	       c.enc_identity_len);
	id.size = (UINT16)(2 + c.hmac_len + c.enc_identity_len);
	memcpy(es.secret, c.secret, c.secret_len);
	es.size = (UINT16)c.secret_len;
	rc = KW_E_NOMEM;
	blob = malloc(sizeof(id));
	sec = malloc(sizeof(es));
	if (blob == NULL || sec == NULL)
		goto out;
	rc = KW_E_INTERNAL;
	if (Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, blob, sizeof(id), &blen) !=
		    TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&es, sec, sizeof(es),
						   &slen) != TSS2_RC_SUCCESS)
		goto out;
	*out_blob = blob;
	*out_blob_len = blen;
	*out_secret = sec;
	*out_secret_len = slen;
	blob = sec = NULL;
	rc = KW_OK;
out:
	kw_tpm_credential_clear(&c);
	kw_wipe(&id, sizeof(id));
	free(blob);
	free(sec);
	return rc;
}
