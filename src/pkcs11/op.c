/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pkcs11"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "pkcs11/p11.h"
#include "util/codec.h"

/*
 * Cryptographic operations. Init costs no request: the key's metadata was
 * copied from its object. Sign, verify, encrypt and decrypt are one
 * request each, at C_Sign or C_*Final. Hash-and-sign mechanisms hash here
 * (public data, OpenSSL's digests) and send the digest; EdDSA, HMAC,
 * AES-GCM and key wrap buffer their input until Final. A result too big
 * for the caller's buffer is kept (wiped later) so that the second call,
 * with a bigger buffer, sends nothing.
 */

void p11_op_reset(p11_op *op)
{
	kw_digest_ctx_free(op->dctx);
	p11_free_wiped(op->buf, op->cap);
	p11_free_wiped(op->label, op->label_len);
	p11_free_wiped(op->res, op->res_len);
	p11_wipe(op, sizeof(*op));
}

static bool usage_ok(const p11_mech *mech, p11_op_kind kind, p11_kind ok,
		     uint32_t u)
{
	bool hmac = mech->alg == P11_ALG_HMAC;
	bool kw = mech->alg == P11_ALG_KW;

	switch (kind) {
	case P11_OP_SIGN:
		return (ok == P11_PRIV || (hmac && ok == P11_SECRET)) &&
		       (u & (hmac ? 64u : 1u));
	case P11_OP_VERIFY:
		return (ok != P11_SECRET || hmac) && (u & (hmac ? 64u : 2u));
	case P11_OP_ENCRYPT:
		return ok != P11_PRIV && (u & (kw ? 16u : 4u));
	case P11_OP_DECRYPT:
		return ok != P11_PUB && (u & (kw ? 32u : 8u));
	default:
		return false;
	}
}

static bool alg_fits(const p11_mech *mech, p11_op_kind kind)
{
	switch (mech->alg) {
	case P11_ALG_SIGN:
	case P11_ALG_HMAC:
		return kind == P11_OP_SIGN || kind == P11_OP_VERIFY;
	case P11_ALG_OAEP:
	case P11_ALG_GCM:
	case P11_ALG_KW:
		return kind == P11_OP_ENCRYPT || kind == P11_OP_DECRYPT;
	case P11_ALG_DIGEST:
		return kind == P11_OP_DIGEST;
	default:
		return false;
	}
}

CK_RV p11_op_init(p11_session *s, p11_op_kind kind, CK_MECHANISM_PTR m,
		  CK_OBJECT_HANDLE key)
{
	p11_op *op = &s->op[kind];
	const p11_mech *mech;
	p11_kind ok = P11_DATA;
	uint32_t usages = 0;
	CK_RV rv;

	if (op->active)
		return CKR_OPERATION_ACTIVE;
	if (m == NULL)
		return CKR_ARGUMENTS_BAD;
	mech = p11_mech_find(m->mechanism);
	if (mech == NULL || !alg_fits(mech, kind))
		return CKR_MECHANISM_INVALID;
	p11_op_reset(op);
	op->mech = mech;
	if (kind != P11_OP_DIGEST) {
		rv = p11_obj_keyref(s, key, &ok, &op->key, &usages);
		if (rv != CKR_OK)
			goto out;
		rv = CKR_KEY_TYPE_INCONSISTENT;
		if (kw_key_type_class(op->key.type) != mech->cls ||
		    (mech->alg == P11_ALG_HMAC &&
		     kw_key_type_hmac_hash(op->key.type) != mech->hash))
			goto out;
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
		if (!usage_ok(mech, kind, ok, usages) ||
		    ((kind == P11_OP_SIGN || kind == P11_OP_ENCRYPT) &&
		     !op->key.primary))
			goto out;
	}
	rv = p11_mech_params(mech, m, kind, op);
	if (rv != CKR_OK)
		goto out;
	/* Hash-and-sign and digests stream into a digest context. */
	if ((mech->alg == P11_ALG_SIGN || mech->alg == P11_ALG_DIGEST) &&
	    mech->hash != KW_HASH_NONE &&
	    kw_digest_ctx_new(mech->hash, &op->dctx) != KW_OK) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	op->active = true;
out:
	if (rv != CKR_OK)
		p11_op_reset(op);
	return rv;
}

/* ---- requests --------------------------------------------------------------- */

static void key_path(kw_client_path *p, p11_session *s, const p11_op *op,
		     const char *verb)
{
	kw_client_path_init(p, "/v1/keys");
	kw_client_path_seg(p, op->key.name);
	kw_client_path_lit(p, verb);
	kw_client_path_query(p, "partition", s->slot->partition);
}

/* Decodes base64 field name of j (a string, or "kw:vN:<base64>") into a
 * malloc()ed buffer and wipes the text in j. */
static kw_rc take_b64(json_t *j, const char *name, uint8_t **out,
		      size_t *out_len)
{
	json_t *v = json_object_get(j, name);
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	const char *b = s;
	kw_rc rc;

	if (s == NULL)
		return KW_E_UNAVAILABLE;
	if (strncmp(s, "kw:v", 4) == 0 && (b = strchr(s + 4, ':')) != NULL)
		b++;
	else
		b = s;
	rc = kw_base64_decode_alloc(b, len - (size_t)(b - s), false, out,
				    out_len);
	p11_wipe((char *)s, len);
	return rc == KW_OK ? KW_OK : KW_E_UNAVAILABLE;
}

static json_t *b64(const uint8_t *p, size_t n)
{
	return kw_client_json_b64_new(p, n);
}

/* "kw:v<N>:<base64>" of the data, for the daemon's consuming routes. */
static json_t *versioned(uint32_t version, const uint8_t *p, size_t n)
{
	json_t *b = b64(p, n), *out = NULL;
	const char *s = json_string_value(b);
	char *text;
	size_t len;

	if (s == NULL)
		goto out;
	len = strlen(s) + 24;
	text = malloc(len);
	if (text != NULL) {
		snprintf(text, len, "kw:v%u:%s", version, s);
		out = json_string(text);
		p11_free_wiped(text, len);
	}
out:
	json_decref(b);
	return out;
}

/* CKM_RSA_PKCS is given a DigestInfo by nearly every caller (OpenSSL
 * engines, OpenSSH, TLS): its hash and digest are sent as such, so the
 * daemon builds the same DigestInfo and records which hash was signed.
 * Other input goes as it is (hash "none"). */
static bool digest_info(const uint8_t *in, size_t n, kw_hash *h, size_t *skip)
{
	static const struct {
		kw_hash h;
		uint8_t oid_last;
		uint8_t len;
	} tab[] = {{KW_HASH_SHA224, 4, 28},
		   {KW_HASH_SHA256, 1, 32},
		   {KW_HASH_SHA384, 2, 48},
		   {KW_HASH_SHA512, 3, 64}};
	static const uint8_t sha1[] = {0x30, 0x21, 0x30, 0x09, 0x06,
				       0x05, 0x2b, 0x0e, 0x03, 0x02,
				       0x1a, 0x05, 0x00, 0x04, 0x14};
	/* SEQ { SEQ { OID 2.16.840.1.101.3.4.2.x, NULL }, OCTET STRING } */
	uint8_t p[19] = {0x30, 0,    0x30, 0x0d, 0x06, 0x09, 0x60,
			 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
			 0,    0x05, 0x00, 0x04, 0};

	if (n == sizeof(sha1) + 20 && memcmp(in, sha1, sizeof(sha1)) == 0) {
		*h = KW_HASH_SHA1;
		*skip = sizeof(sha1);
		return true;
	}
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		p[1] = (uint8_t)(17 + tab[i].len);
		p[14] = tab[i].oid_last;
		p[18] = tab[i].len;
		if (n == sizeof(p) + tab[i].len &&
		    memcmp(in, p, sizeof(p)) == 0) {
			*h = tab[i].h;
			*skip = sizeof(p);
			return true;
		}
	}
	return false;
}

/* The signing fields of a request: digest or input, hash, scheme. */
static json_t *sign_body(const p11_op *op, const uint8_t *in, size_t n,
			 bool prehashed)
{
	const p11_mech *mech = op->mech;
	json_t *b = json_object();
	kw_hash h = op->hash;
	size_t skip = 0;

	if (b == NULL)
		return NULL;
	if (mech->type == CKM_RSA_PKCS && digest_info(in, n, &h, &skip)) {
		in += skip;
		n -= skip;
		prehashed = true;
	}
	if (mech->scheme == KW_SIG_EDDSA) {
		json_object_set_new(b, "input", b64(in, n));
	} else {
		json_object_set_new(b, "digest", b64(in, n));
		json_object_set_new(b, "hash",
				    json_string(prehashed || h != KW_HASH_NONE
							? kw_hash_name(h)
							: "none"));
	}
	json_object_set_new(b, "scheme",
			    json_string(kw_sig_scheme_name(mech->scheme)));
	if (mech->scheme == KW_SIG_ECDSA)
		json_object_set_new(b, "format", json_string("raw"));
	if (mech->scheme == KW_SIG_RSA_PSS && op->salt_len >= 0)
		json_object_set_new(b, "salt_length",
				    json_integer(op->salt_len));
	return b;
}

/* The request of an operation on input in[0..n) (a digest for
 * hash-and-sign). sig: the signature to verify. *out (malloc) gets the
 * result of sign, encrypt and decrypt. */
static kw_rc run(p11_session *s, p11_op_kind kind, p11_op *op,
		 const uint8_t *in, size_t n, const uint8_t *sig,
		 size_t sig_len, uint8_t **out, size_t *out_len)
{
	p11_module *m = p11_module_get();
	const p11_mech *mech = op->mech;
	kw_client_path p;
	json_t *body = NULL, *resp = NULL;
	const char *verb = NULL, *field = NULL;
	bool verify = kind == P11_OP_VERIFY;
	kw_rc rc = KW_E_NOMEM;

	switch (mech->alg) {
	case P11_ALG_SIGN:
		body = sign_body(op, in, n, op->dctx != NULL);
		verb = verify ? "/verify" : "/sign";
		field = "signature";
		break;
	case P11_ALG_HMAC:
		body = json_pack("{s:o}", "input", b64(in, n));
		verb = verify ? "/mac-verify" : "/mac";
		field = "mac";
		break;
	case P11_ALG_OAEP:
	case P11_ALG_GCM:
		body = json_object();
		if (kind == P11_OP_ENCRYPT) {
			json_object_set_new(body, "plaintext", b64(in, n));
			verb = "/encrypt";
			field = "ciphertext";
		} else {
			uint8_t *ct = malloc(n + sizeof(op->iv));
			bool gcm = mech->alg == P11_ALG_GCM;
			size_t iv = gcm ? sizeof(op->iv) : 0;
			if (ct == NULL)
				break;
			memcpy(ct, op->iv, iv);
			memcpy(ct + iv, in, n);
			json_object_set_new(
				body, "ciphertext",
				versioned(op->key.version, ct, n + iv));
			free(ct);
			verb = "/decrypt";
			field = "plaintext";
		}
		if (mech->alg == P11_ALG_OAEP)
			json_object_set_new(
				body, "oaep_hash",
				json_string(kw_hash_name(op->hash)));
		if (op->label_len > 0)
			json_object_set_new(body,
					    mech->alg == P11_ALG_OAEP ? "label"
								      : "aad",
					    b64(op->label, op->label_len));
		break;
	case P11_ALG_KW:
		body = json_pack("{s:s}", "mode", mech->wrap_mode);
		if (body == NULL)
			break;
		if (kind == P11_OP_ENCRYPT) {
			json_object_set_new(body, "input", b64(in, n));
			verb = "/wrap";
			field = "wrapped";
		} else {
			json_object_set_new(body, "wrapped",
					    versioned(op->key.version, in, n));
			verb = "/unwrap";
			field = "plaintext";
		}
		break;
	default:
		rc = KW_E_INTERNAL;
		break;
	}
	if (body == NULL || verb == NULL)
		goto out;
	if (verify) {
		json_object_set_new(body, field, b64(sig, sig_len));
		json_object_set_new(body, "key_version",
				    json_integer(op->key.version));
	}
	key_path(&p, s, op, verb);
	rc = p11_call(m, s->slot, NULL, "POST", kw_client_path_get(&p), body,
		      NULL, &resp, NULL);
	if (rc != KW_OK)
		goto out;
	if (verify) {
		json_t *v = json_object_get(resp, "valid");
		rc = json_is_true(v)	? KW_OK
		     : json_is_false(v) ? KW_E_VERIFY
					: KW_E_UNAVAILABLE;
		goto out;
	}
	rc = take_b64(resp, field, out, out_len);
out:
	json_decref(body);
	json_decref(resp);
	return rc;
}

/* ---- the result --------------------------------------------------------------- */

/* Gives the result (kept in op) to the caller: CKR_BUFFER_TOO_SMALL keeps
 * it for the next call; success ends the operation. */
static CK_RV deliver(p11_op *op, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	if (*out_len < op->res_len) {
		*out_len = op->res_len;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(out, op->res, op->res_len);
	*out_len = op->res_len;
	p11_op_reset(op);
	return CKR_OK;
}

/* GCM encrypt: the daemon's iv || ct || tag -> pIv, ct || tag. */
static void split_iv(p11_op *op)
{
	if (op->mech->alg != P11_ALG_GCM || op->res_len < sizeof(op->iv))
		return;
	if (op->iv_out != NULL)
		memcpy(op->iv_out, op->res, sizeof(op->iv));
	memmove(op->res, op->res + sizeof(op->iv),
		op->res_len - sizeof(op->iv));
	op->res_len -= sizeof(op->iv);
}

/* Runs the operation on in (or the digest of it) unless a result is
 * already kept, then delivers. A size query (out NULL) answers the
 * mechanism's length without a request. */
static CK_RV finish(p11_session *s, p11_op_kind kind, const uint8_t *in,
		    size_t n, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	p11_op *op = &s->op[kind];
	uint8_t dg[KW_DIGEST_MAX];
	size_t dg_len = 0;
	p11_ctx ctx = kind == P11_OP_DECRYPT ? P11_CTX_DECRYPT : P11_CTX_SIGN;
	CK_RV rv;
	kw_rc rc = KW_OK;

	if (out_len == NULL) {
		p11_op_reset(op);
		return CKR_ARGUMENTS_BAD;
	}
	if (!op->has_res) {
		size_t len = p11_mech_out_len(op->mech, op->key.type, n, kind);
		if (out == NULL || (kind != P11_OP_DECRYPT && *out_len < len)) {
			*out_len = len;
			return out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
		}
		if (op->dctx != NULL) {
			rc = kw_digest_ctx_final(op->dctx, dg, &dg_len);
			in = dg;
			n = dg_len;
		}
		if (rc == KW_OK && kind == P11_OP_DIGEST) {
			rc = KW_E_NOMEM;
			op->res = malloc(dg_len);
			if (op->res != NULL) {
				memcpy(op->res, dg, dg_len);
				op->res_len = dg_len;
				rc = KW_OK;
			}
		} else if (rc == KW_OK) {
			rc = run(s, kind, op, in, n, NULL, 0, &op->res,
				 &op->res_len);
		}
		if (rc != KW_OK) {
			p11_op_reset(op);
			return p11_rv(rc, ctx);
		}
		if (kind == P11_OP_ENCRYPT)
			split_iv(op);
		op->has_res = true;
	}
	rv = out == NULL ? CKR_OK : deliver(op, out, out_len);
	if (out == NULL)
		*out_len = op->res_len;
	return rv;
}

static CK_RV active(p11_session *s, p11_op_kind kind)
{
	return s->op[kind].active ? CKR_OK : CKR_OPERATION_NOT_INITIALIZED;
}

/* Appends to the op's input buffer. */
static CK_RV buffer(p11_op *op, const uint8_t *in, size_t n)
{
	if (n == 0)
		return CKR_OK;
	if (op->len + n > P11_INPUT_MAX || op->len + n < op->len)
		return CKR_DATA_LEN_RANGE;
	if (op->len + n > op->cap) {
		size_t cap = op->cap == 0 ? 256 : op->cap;
		while (cap < op->len + n)
			cap *= 2;
		uint8_t *g = malloc(cap);
		if (g == NULL)
			return CKR_HOST_MEMORY;
		if (op->len > 0)
			memcpy(g, op->buf, op->len);
		p11_free_wiped(op->buf, op->cap);
		op->buf = g;
		op->cap = cap;
	}
	memcpy(op->buf + op->len, in, n);
	op->len += n;
	return CKR_OK;
}

CK_RV p11_op_one(p11_session *s, p11_op_kind kind, CK_BYTE_PTR in,
		 CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	p11_op *op = &s->op[kind];
	CK_RV rv = active(s, kind);

	if (rv != CKR_OK)
		return rv;
	if ((in == NULL && in_len > 0) || out_len == NULL) {
		p11_op_reset(op);
		return CKR_ARGUMENTS_BAD;
	}
	/* A size query, or a buffer too small for the known length: answer
	 * before the digest context sees the input (it must see it once). */
	if (!op->has_res) {
		size_t len =
			p11_mech_out_len(op->mech, op->key.type, in_len, kind);
		if (out == NULL || (kind != P11_OP_DECRYPT && *out_len < len)) {
			*out_len = len;
			return out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
		}
	}
	if (op->dctx != NULL && !op->has_res) {
		if (kw_digest_ctx_update(op->dctx, in, in_len) != KW_OK) {
			p11_op_reset(op);
			return CKR_FUNCTION_FAILED;
		}
		in = NULL;
		in_len = 0;
	}
	return finish(s, kind, in, in_len, out, out_len);
}

CK_RV p11_op_update(p11_session *s, p11_op_kind kind, CK_BYTE_PTR in,
		    CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	p11_op *op = &s->op[kind];
	CK_RV rv = active(s, kind);

	(void)out; /* encrypt and decrypt give all their output at Final */
	if (rv != CKR_OK)
		return rv;
	if (in == NULL && in_len > 0)
		rv = CKR_ARGUMENTS_BAD;
	else if (!op->mech->multi)
		rv = CKR_FUNCTION_NOT_SUPPORTED;
	else if (op->dctx != NULL)
		rv = kw_digest_ctx_update(op->dctx, in, in_len) == KW_OK
			     ? CKR_OK
			     : CKR_FUNCTION_FAILED;
	else
		rv = buffer(op, in, in_len);
	/* Encrypt/decrypt updates give their output at Final. */
	if (rv == CKR_OK && out_len != NULL)
		*out_len = 0;
	if (rv == CKR_OK &&
	    (kind == P11_OP_ENCRYPT || kind == P11_OP_DECRYPT) &&
	    out_len == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv != CKR_OK)
		p11_op_reset(op);
	return rv;
}

CK_RV p11_op_final(p11_session *s, p11_op_kind kind, CK_BYTE_PTR out,
		   CK_ULONG_PTR out_len)
{
	p11_op *op = &s->op[kind];
	CK_RV rv = active(s, kind);

	if (rv != CKR_OK)
		return rv;
	return finish(s, kind, op->buf, op->len, out, out_len);
}

static CK_RV verify_with(p11_session *s, const uint8_t *in, size_t n,
			 CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	p11_op *op = &s->op[P11_OP_VERIFY];
	uint8_t dg[KW_DIGEST_MAX];
	size_t dg_len;
	size_t want =
		p11_mech_out_len(op->mech, op->key.type, 0, P11_OP_VERIFY);
	kw_rc rc;
	CK_RV rv;

	if (sig == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = CKR_SIGNATURE_LEN_RANGE;
	if (sig_len != want)
		goto out;
	if (op->dctx != NULL) {
		if (kw_digest_ctx_final(op->dctx, dg, &dg_len) != KW_OK) {
			rv = CKR_FUNCTION_FAILED;
			goto out;
		}
		in = dg;
		n = dg_len;
	}
	rc = run(s, P11_OP_VERIFY, op, in, n, sig, sig_len, NULL, NULL);
	rv = p11_rv(rc, P11_CTX_VERIFY);
out:
	p11_op_reset(op);
	return rv;
}

CK_RV p11_verify_one(p11_session *s, CK_BYTE_PTR in, CK_ULONG in_len,
		     CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	p11_op *op = &s->op[P11_OP_VERIFY];
	CK_RV rv = active(s, P11_OP_VERIFY);

	if (rv != CKR_OK)
		return rv;
	if (in == NULL && in_len > 0) {
		p11_op_reset(op);
		return CKR_ARGUMENTS_BAD;
	}
	if (op->dctx != NULL &&
	    kw_digest_ctx_update(op->dctx, in, in_len) != KW_OK) {
		p11_op_reset(op);
		return CKR_FUNCTION_FAILED;
	}
	return verify_with(s, in, in_len, sig, sig_len);
}

CK_RV p11_verify_final(p11_session *s, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	p11_op *op = &s->op[P11_OP_VERIFY];
	CK_RV rv = active(s, P11_OP_VERIFY);

	if (rv != CKR_OK)
		return rv;
	return verify_with(s, op->buf, op->len, sig, sig_len);
}

CK_RV p11_digest_key(p11_session *s, CK_OBJECT_HANDLE key)
{
	p11_op *op = &s->op[P11_OP_DIGEST];
	CK_RV rv = active(s, P11_OP_DIGEST);

	(void)key;
	if (rv != CKR_OK)
		return rv;
	/* Key values never leave the daemon. */
	p11_op_reset(op);
	return CKR_KEY_INDIGESTIBLE;
}

CK_RV p11_random(p11_session *s, CK_BYTE_PTR out, CK_ULONG n)
{
	p11_module *m = p11_module_get();
	CK_ULONG done = 0;
	kw_rc rc = KW_OK;

	if (out == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	while (done < n && rc == KW_OK) {
		size_t want = n - done > 65536 ? 65536 : n - done;
		json_t *body = json_pack("{s:I}", "bytes", (json_int_t)want);
		json_t *resp = NULL;
		uint8_t *r = NULL;
		size_t len = 0;
		kw_client_path p;
		kw_client_path_init(&p, "/v1/random");
		kw_client_path_query(&p, "partition", s->slot->partition);
		rc = body == NULL ? KW_E_NOMEM
				  : p11_call(m, s->slot, NULL, "POST",
					     kw_client_path_get(&p), body, NULL,
					     &resp, NULL);
		if (rc == KW_OK)
			rc = take_b64(resp, "random", &r, &len);
		if (rc == KW_OK && len != want)
			rc = KW_E_UNAVAILABLE;
		if (rc == KW_OK)
			memcpy(out + done, r, want);
		done += want;
		p11_free_wiped(r, len);
		json_decref(body);
		json_decref(resp);
	}
	return p11_rv(rc, P11_CTX_GENERIC);
}
