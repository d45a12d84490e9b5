/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11.h"

/*
 * The mechanisms, each with its complete CK_MECHANISM_INFO: key sizes in
 * bits for RSA and EC (field size), in bytes for AES and generic secrets
 * (PKCS#11 3.0 §2: "the units depend on the key type"). CKF_HW marks what
 * the daemon (the device) does; digests run in this process.
 */

#define SV  (CKF_HW | CKF_SIGN | CKF_VERIFY)
#define ED  (CKF_HW | CKF_ENCRYPT | CKF_DECRYPT)
#define GKP (CKF_HW | CKF_GENERATE_KEY_PAIR)
#define GK  (CKF_HW | CKF_GENERATE)
#define ECF (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)

/* clang-format off */
static const p11_mech mechs[] = {
	/* RSA */
	{CKM_RSA_PKCS_KEY_PAIR_GEN, P11_ALG_KEYGEN, KW_CLASS_RSA, KW_HASH_NONE, 0, false, {2048, 4096, GKP}, NULL},
	{CKM_RSA_PKCS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_NONE, KW_SIG_RSA_PKCS1, true, {2048, 4096, SV}, NULL},
	{CKM_SHA1_RSA_PKCS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_SHA1, KW_SIG_RSA_PKCS1, true, {2048, 4096, SV}, NULL},
	{CKM_SHA224_RSA_PKCS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_SHA224, KW_SIG_RSA_PKCS1, true, {2048, 4096, SV}, NULL},
	{CKM_SHA256_RSA_PKCS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_SHA256, KW_SIG_RSA_PKCS1, true, {2048, 4096, SV}, NULL},
	{CKM_SHA384_RSA_PKCS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_SHA384, KW_SIG_RSA_PKCS1, true, {2048, 4096, SV}, NULL},
	{CKM_SHA512_RSA_PKCS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_SHA512, KW_SIG_RSA_PKCS1, true, {2048, 4096, SV}, NULL},
	{CKM_RSA_PKCS_PSS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_NONE, KW_SIG_RSA_PSS, true, {2048, 4096, SV}, NULL},
	{CKM_SHA1_RSA_PKCS_PSS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_SHA1, KW_SIG_RSA_PSS, true, {2048, 4096, SV}, NULL},
	{CKM_SHA224_RSA_PKCS_PSS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_SHA224, KW_SIG_RSA_PSS, true, {2048, 4096, SV}, NULL},
	{CKM_SHA256_RSA_PKCS_PSS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_SHA256, KW_SIG_RSA_PSS, true, {2048, 4096, SV}, NULL},
	{CKM_SHA384_RSA_PKCS_PSS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_SHA384, KW_SIG_RSA_PSS, true, {2048, 4096, SV}, NULL},
	{CKM_SHA512_RSA_PKCS_PSS, P11_ALG_SIGN, KW_CLASS_RSA, KW_HASH_SHA512, KW_SIG_RSA_PSS, true, {2048, 4096, SV}, NULL},
	{CKM_RSA_PKCS_OAEP, P11_ALG_OAEP, KW_CLASS_RSA, KW_HASH_NONE, 0, true, {2048, 4096, ED}, NULL},
	/* EC */
	{CKM_EC_KEY_PAIR_GEN, P11_ALG_KEYGEN, KW_CLASS_EC, KW_HASH_NONE, 0, false, {256, 521, GKP | ECF}, NULL},
	{CKM_ECDSA, P11_ALG_SIGN, KW_CLASS_EC, KW_HASH_NONE, KW_SIG_ECDSA, true, {256, 521, SV | ECF}, NULL},
	{CKM_ECDSA_SHA1, P11_ALG_SIGN, KW_CLASS_EC, KW_HASH_SHA1, KW_SIG_ECDSA, true, {256, 521, SV | ECF}, NULL},
	{CKM_ECDSA_SHA224, P11_ALG_SIGN, KW_CLASS_EC, KW_HASH_SHA224, KW_SIG_ECDSA, true, {256, 521, SV | ECF}, NULL},
	{CKM_ECDSA_SHA256, P11_ALG_SIGN, KW_CLASS_EC, KW_HASH_SHA256, KW_SIG_ECDSA, true, {256, 521, SV | ECF}, NULL},
	{CKM_ECDSA_SHA384, P11_ALG_SIGN, KW_CLASS_EC, KW_HASH_SHA384, KW_SIG_ECDSA, true, {256, 521, SV | ECF}, NULL},
	{CKM_ECDSA_SHA512, P11_ALG_SIGN, KW_CLASS_EC, KW_HASH_SHA512, KW_SIG_ECDSA, true, {256, 521, SV | ECF}, NULL},
	/* Ed25519 */
	{CKM_EC_EDWARDS_KEY_PAIR_GEN, P11_ALG_KEYGEN, KW_CLASS_EDDSA, KW_HASH_NONE, 0, false, {255, 255, GKP | CKF_EC_F_P | CKF_EC_NAMEDCURVE}, NULL},
	{CKM_EDDSA, P11_ALG_SIGN, KW_CLASS_EDDSA, KW_HASH_NONE, KW_SIG_EDDSA, true, {255, 255, SV | CKF_EC_F_P | CKF_EC_NAMEDCURVE}, NULL},
	/* AES */
	{CKM_AES_KEY_GEN, P11_ALG_KEYGEN, KW_CLASS_AES, KW_HASH_NONE, 0, false, {16, 32, GK}, NULL},
	{CKM_AES_GCM, P11_ALG_GCM, KW_CLASS_AES, KW_HASH_NONE, 0, true, {16, 32, ED}, NULL},
	{CKM_AES_KEY_WRAP, P11_ALG_KW, KW_CLASS_AES, KW_HASH_NONE, 0, true, {16, 32, ED}, "kw"},
	{CKM_AES_KEY_WRAP_KWP, P11_ALG_KW, KW_CLASS_AES, KW_HASH_NONE, 0, true, {16, 32, ED}, "kwp"},
	/* HMAC */
	{CKM_GENERIC_SECRET_KEY_GEN, P11_ALG_KEYGEN, KW_CLASS_HMAC, KW_HASH_NONE, 0, false, {32, 64, GK}, NULL},
	{CKM_SHA256_HMAC, P11_ALG_HMAC, KW_CLASS_HMAC, KW_HASH_SHA256, 0, true, {32, 32, SV}, NULL},
	{CKM_SHA384_HMAC, P11_ALG_HMAC, KW_CLASS_HMAC, KW_HASH_SHA384, 0, true, {48, 48, SV}, NULL},
	{CKM_SHA512_HMAC, P11_ALG_HMAC, KW_CLASS_HMAC, KW_HASH_SHA512, 0, true, {64, 64, SV}, NULL},
	/* digests (no key) */
	{CKM_SHA_1, P11_ALG_DIGEST, KW_CLASS_NONE, KW_HASH_SHA1, 0, true, {0, 0, CKF_DIGEST}, NULL},
	{CKM_SHA224, P11_ALG_DIGEST, KW_CLASS_NONE, KW_HASH_SHA224, 0, true, {0, 0, CKF_DIGEST}, NULL},
	{CKM_SHA256, P11_ALG_DIGEST, KW_CLASS_NONE, KW_HASH_SHA256, 0, true, {0, 0, CKF_DIGEST}, NULL},
	{CKM_SHA384, P11_ALG_DIGEST, KW_CLASS_NONE, KW_HASH_SHA384, 0, true, {0, 0, CKF_DIGEST}, NULL},
	{CKM_SHA512, P11_ALG_DIGEST, KW_CLASS_NONE, KW_HASH_SHA512, 0, true, {0, 0, CKF_DIGEST}, NULL},
};
/* clang-format on */

const p11_mech *p11_mech_find(CK_MECHANISM_TYPE type)
{
	for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (mechs[i].type == type)
			return &mechs[i];
	return NULL;
}

const p11_mech *p11_mech_at(size_t i)
{
	return &mechs[i];
}

size_t p11_mech_count(void)
{
	return sizeof(mechs) / sizeof(mechs[0]);
}

bool p11_hash_of_mech(CK_MECHANISM_TYPE t, kw_hash *out)
{
	switch (t) {
	case CKM_SHA_1:
		*out = KW_HASH_SHA1;
		return true;
	case CKM_SHA224:
		*out = KW_HASH_SHA224;
		return true;
	case CKM_SHA256:
		*out = KW_HASH_SHA256;
		return true;
	case CKM_SHA384:
		*out = KW_HASH_SHA384;
		return true;
	case CKM_SHA512:
		*out = KW_HASH_SHA512;
		return true;
	default:
		return false;
	}
}

bool p11_hash_of_mgf(CK_RSA_PKCS_MGF_TYPE t, kw_hash *out)
{
	switch (t) {
	case CKG_MGF1_SHA1:
		*out = KW_HASH_SHA1;
		return true;
	case CKG_MGF1_SHA224:
		*out = KW_HASH_SHA224;
		return true;
	case CKG_MGF1_SHA256:
		*out = KW_HASH_SHA256;
		return true;
	case CKG_MGF1_SHA384:
		*out = KW_HASH_SHA384;
		return true;
	case CKG_MGF1_SHA512:
		*out = KW_HASH_SHA512;
		return true;
	default:
		return false;
	}
}

static CK_RV copy_param(const void *p, CK_ULONG n, p11_op *op)
{
	if (n == 0)
		return CKR_OK;
	if (p == NULL || n > P11_INPUT_MAX)
		return CKR_MECHANISM_PARAM_INVALID;
	op->label = malloc(n);
	if (op->label == NULL)
		return CKR_HOST_MEMORY;
	memcpy(op->label, p, n);
	op->label_len = n;
	return CKR_OK;
}

/* PSS: the hash must be the mechanism's (or, for CKM_RSA_PKCS_PSS, the
 * digest's), MGF1 with the same hash (all the daemon does). */
static CK_RV pss_params(const p11_mech *mech, CK_MECHANISM_PTR m, p11_op *op)
{
	CK_RSA_PKCS_PSS_PARAMS *p = m->pParameter;
	kw_hash h, mgf;

	if (p == NULL || m->ulParameterLen != sizeof(*p) ||
	    !p11_hash_of_mech(p->hashAlg, &h) ||
	    !p11_hash_of_mgf(p->mgf, &mgf) || h != mgf ||
	    (mech->hash != KW_HASH_NONE && mech->hash != h) || p->sLen > 1024)
		return CKR_MECHANISM_PARAM_INVALID;
	op->hash = h;
	op->salt_len = (int)p->sLen;
	return CKR_OK;
}

static CK_RV oaep_params(CK_MECHANISM_PTR m, p11_op *op)
{
	CK_RSA_PKCS_OAEP_PARAMS *p = m->pParameter;
	kw_hash h, mgf;

	if (p == NULL || m->ulParameterLen != sizeof(*p) ||
	    !p11_hash_of_mech(p->hashAlg, &h) ||
	    !p11_hash_of_mgf(p->mgf, &mgf) || h != mgf ||
	    (p->source != 0 && p->source != CKZ_DATA_SPECIFIED) ||
	    (p->source == 0 && p->ulSourceDataLen != 0))
		return CKR_MECHANISM_PARAM_INVALID;
	op->hash = h;
	return copy_param(p->pSourceData, p->ulSourceDataLen, op);
}

/* GCM: a 96-bit IV and a 128-bit tag, what the daemon makes. On encrypt
 * the daemon chooses the IV and it is written back to pIv (docs). */
static CK_RV gcm_params(CK_MECHANISM_PTR m, p11_op_kind kind, p11_op *op)
{
	CK_GCM_PARAMS *p = m->pParameter;

	if (p == NULL || m->ulParameterLen != sizeof(*p) || p->pIv == NULL ||
	    p->ulIvLen != sizeof(op->iv) || p->ulTagBits != 128)
		return CKR_MECHANISM_PARAM_INVALID;
	if (kind == P11_OP_DECRYPT)
		memcpy(op->iv, p->pIv, sizeof(op->iv));
	else
		op->iv_out = p->pIv;
	return copy_param(p->pAAD, p->ulAADLen, op);
}

CK_RV p11_mech_params(const p11_mech *mech, CK_MECHANISM_PTR m,
		      p11_op_kind kind, p11_op *op)
{
	bool none = m->pParameter == NULL && m->ulParameterLen == 0;

	op->hash = mech->hash;
	op->salt_len = -1;
	switch (mech->alg) {
	case P11_ALG_SIGN:
		if (mech->scheme == KW_SIG_RSA_PSS)
			return pss_params(mech, m, op);
		/* CKM_EDDSA may carry CK_EDDSA_PARAMS: only pure Ed25519
		 * (no prehash, no context) is there. */
		if (mech->scheme == KW_SIG_EDDSA && !none) {
			CK_EDDSA_PARAMS *e = m->pParameter;
			if (m->ulParameterLen != sizeof(*e) || e == NULL ||
			    e->phFlag || e->ulContextDataLen != 0)
				return CKR_MECHANISM_PARAM_INVALID;
			return CKR_OK;
		}
		return none ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
	case P11_ALG_OAEP:
		return oaep_params(m, op);
	case P11_ALG_GCM:
		return gcm_params(m, kind, op);
	default:
		return none ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
	}
}

static size_t ec_bytes(kw_key_type t)
{
	return (kw_key_type_bits(t) + 7) / 8;
}

size_t p11_mech_out_len(const p11_mech *mech, kw_key_type t, size_t in_len,
			p11_op_kind kind)
{
	switch (mech->alg) {
	case P11_ALG_SIGN:
		if (mech->scheme == KW_SIG_ECDSA)
			return 2 * ec_bytes(t);
		if (mech->scheme == KW_SIG_EDDSA)
			return 64;
		return kw_key_type_bits(t) / 8;
	case P11_ALG_HMAC:
		return kw_hash_size(mech->hash);
	case P11_ALG_OAEP:
		return kw_key_type_bits(t) / 8;
	case P11_ALG_GCM:
		return kind == P11_OP_ENCRYPT ? in_len + 16
		       : in_len >= 16	      ? in_len - 16
					      : 0;
	case P11_ALG_KW:
		if (kind == P11_OP_ENCRYPT)
			return (in_len + 7) / 8 * 8 + 8;
		return in_len >= 8 ? in_len - 8 : 0;
	case P11_ALG_DIGEST:
		return kw_hash_size(mech->hash);
	default:
		return 0;
	}
}
