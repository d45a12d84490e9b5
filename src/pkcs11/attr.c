/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pkcs11"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywarden/log.h"
#include "pkcs11/p11.h"
#include "util/codec.h"

/*
 * Attributes: their values computed from an object's snapshot of the
 * daemon's metadata (C_GetAttributeValue needs no request, except once
 * per key version for the public key), template matching for
 * C_FindObjects, and C_SetAttributeValue. Read under the module's table
 * lock; the public key is fetched without it.
 */

/* Fetches the public key of a key object (no lock held). */
static kw_rc pub_fetch(p11_module *m, p11_obj *snap, uint8_t **a, size_t *a_len,
		       uint8_t **b, size_t *b_len)
{
	kw_client_path path;
	char ver[16];
	json_t *j = NULL;
	const char *pem;
	char *body = NULL;
	uint8_t *der = NULL;
	size_t der_len;
	kw_rc rc;

	snprintf(ver, sizeof(ver), "%u", snap->version);
	kw_client_path_init(&path, "/v1/keys");
	kw_client_path_seg(&path, snap->kid);
	kw_client_path_lit(&path, "/public");
	kw_client_path_query(&path, "version", ver);
	kw_client_path_query(&path, "partition", snap->slot->partition);
	rc = p11_call(m, snap->slot, NULL, "GET", kw_client_path_get(&path),
		      NULL, NULL, &j, NULL);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_UNAVAILABLE;
	pem = json_string_value(json_object_get(j, "pem"));
	const char *s = pem != NULL ? strstr(pem, "-----\n") : NULL;
	const char *e = s != NULL ? strstr(s + 6, "-----END") : NULL;
	if (e == NULL)
		goto out;
	s += 6;
	body = malloc((size_t)(e - s) + 1);
	if (body == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	size_t bl = 0;
	for (const char *p = s; p < e; p++)
		if (*p != '\n' && *p != '\r')
			body[bl++] = *p;
	if (kw_base64_decode_alloc(body, bl, false, &der, &der_len) != KW_OK ||
	    !p11_spki_parts(der, der_len,
			    kw_key_type_class(snap->type) == KW_CLASS_RSA, a,
			    a_len, b, b_len))
		goto out;
	rc = KW_OK;
out:
	free(body);
	free(der);
	json_decref(j);
	return rc;
}

static bool needs_pub(CK_ATTRIBUTE_TYPE t)
{
	return t == CKA_MODULUS || t == CKA_PUBLIC_EXPONENT ||
	       t == CKA_EC_POINT;
}

/* Loads o's public key if an attribute of t needs it and it is not there
 * yet. The request runs without the table lock. */
static CK_RV pub_ensure(p11_module *m, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_PTR t,
			CK_ULONG n)
{
	p11_obj snap;
	uint8_t *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	bool need = false;
	kw_rc rc;

	pthread_rwlock_rdlock(&m->lock);
	p11_obj *o = m->objs[h - 1];
	if ((o->kind == P11_PRIV || o->kind == P11_PUB) && !o->pub_loaded)
		for (CK_ULONG i = 0; i < n && !need; i++)
			need = needs_pub(t[i].type);
	snap = *o;
	pthread_rwlock_unlock(&m->lock);
	if (!need)
		return CKR_OK;
	rc = pub_fetch(m, &snap, &a, &al, &b, &bl);
	if (rc != KW_OK)
		return p11_rv(rc, P11_CTX_GENERIC);
	pthread_rwlock_wrlock(&m->lock);
	o = m->objs[h - 1];
	if (!o->pub_loaded) {
		o->pub_a = a, o->pub_b = b;
		o->pub_a_len = al, o->pub_b_len = bl;
		o->pub_loaded = true;
		a = b = NULL;
	}
	pthread_rwlock_unlock(&m->lock);
	free(a);
	free(b);
	return CKR_OK;
}

/* Scratch space for values computed on the fly. */
typedef struct attr_buf {
	union {
		CK_ULONG ul;
		CK_BBOOL b;
		CK_MECHANISM_TYPE mechs[64];
		uint8_t bytes[1024];
	} u;
} attr_buf;

static CK_KEY_TYPE ck_key_type(kw_key_type t)
{
	switch (kw_key_type_class(t)) {
	case KW_CLASS_RSA:
		return CKK_RSA;
	case KW_CLASS_EC:
		return CKK_EC;
	case KW_CLASS_EDDSA:
		return CKK_EC_EDWARDS;
	case KW_CLASS_AES:
		return CKK_AES;
	default:
		return CKK_GENERIC_SECRET;
	}
}

static CK_MECHANISM_TYPE keygen_mech(kw_key_type t)
{
	switch (kw_key_type_class(t)) {
	case KW_CLASS_RSA:
		return CKM_RSA_PKCS_KEY_PAIR_GEN;
	case KW_CLASS_EC:
		return CKM_EC_KEY_PAIR_GEN;
	case KW_CLASS_EDDSA:
		return CKM_EC_EDWARDS_KEY_PAIR_GEN;
	case KW_CLASS_AES:
		return CKM_AES_KEY_GEN;
	default:
		return CKM_GENERIC_SECRET_KEY_GEN;
	}
}

/* What the object may do, by PKCS#11 attribute. */
static bool can(const p11_obj *o, CK_ATTRIBUTE_TYPE t)
{
	uint32_t u = o->usages;
	bool aes = kw_key_type_class(o->type) == KW_CLASS_AES;
	bool hmac = kw_key_type_class(o->type) == KW_CLASS_HMAC;

	switch (t) {
	case CKA_SIGN:
		return o->primary && o->kind != P11_PUB &&
		       ((o->kind == P11_PRIV && (u & 1u)) ||
			(hmac && (u & 64u)));
	case CKA_VERIFY:
		return (o->kind == P11_PUB && (u & 2u)) || (hmac && (u & 64u));
	case CKA_ENCRYPT:
		return o->primary && ((o->kind == P11_PUB && (u & 4u)) ||
				      (aes && (u & (4u | 16u))));
	case CKA_DECRYPT:
		return (o->kind == P11_PRIV && (u & 8u)) ||
		       (aes && (u & (8u | 32u)));
	default:
		return false;
	}
}

/* The mechanisms o's key works with (CKA_ALLOWED_MECHANISMS). */
static size_t allowed_mechs(const p11_obj *o, CK_MECHANISM_TYPE *out,
			    size_t max)
{
	size_t n = 0;
	kw_key_class cls = kw_key_type_class(o->type);

	for (size_t i = 0; i < p11_mech_count() && n < max; i++) {
		const p11_mech *m = p11_mech_at(i);
		bool ok = m->cls == cls && m->alg != P11_ALG_KEYGEN &&
			  m->alg != P11_ALG_DIGEST;
		if (ok && m->alg == P11_ALG_SIGN)
			ok = o->usages & 3u;
		if (ok && m->alg == P11_ALG_HMAC)
			ok = (o->usages & 64u) &&
			     m->hash == kw_key_type_hmac_hash(o->type);
		if (ok && (m->alg == P11_ALG_OAEP || m->alg == P11_ALG_GCM))
			ok = o->usages & (4u | 8u);
		if (ok && m->alg == P11_ALG_KW)
			ok = o->usages & (16u | 32u);
		if (ok)
			out[n++] = m->type;
	}
	return n;
}

static const CK_ATTRIBUTE *stored_attr(const p11_obj *o, CK_ATTRIBUTE_TYPE t)
{
	for (size_t i = 0; i < o->n_attrs; i++)
		if (o->attrs[i].type == t)
			return &o->attrs[i];
	return NULL;
}

/*
 * The value of attribute t of o: *p and *len point into o or buf. Holds
 * the table lock (read) via the caller. CKR_OK, CKR_ATTRIBUTE_SENSITIVE,
 * CKR_ATTRIBUTE_TYPE_INVALID.
 */
static CK_RV attr_value(const p11_obj *o, CK_ATTRIBUTE_TYPE t, attr_buf *buf,
			const void **p, size_t *len)
{
	bool key = o->kind == P11_PRIV || o->kind == P11_PUB ||
		   o->kind == P11_SECRET;
	bool secret = o->kind == P11_PRIV || o->kind == P11_SECRET;
	kw_key_class cls = kw_key_type_class(o->type);
	const CK_ATTRIBUTE *sa;

#define UL(v)                              \
	do {                               \
		buf->u.ul = (CK_ULONG)(v); \
		*p = &buf->u.ul;           \
		*len = sizeof(CK_ULONG);   \
	} while (0)
#define BOOL(v)                                      \
	do {                                         \
		buf->u.b = (v) ? CK_TRUE : CK_FALSE; \
		*p = &buf->u.b;                      \
		*len = sizeof(CK_BBOOL);             \
	} while (0)
#define BYTES(ptr, n)       \
	do {                \
		*p = (ptr); \
		*len = (n); \
	} while (0)

	/* Stored objects answer from their attributes first. */
	if (!key && (sa = stored_attr(o, t)) != NULL) {
		BYTES(sa->pValue, sa->ulValueLen);
		return CKR_OK;
	}
	switch (t) {
	case CKA_CLASS:
		UL(o->kind == P11_PRIV	   ? CKO_PRIVATE_KEY
		   : o->kind == P11_PUB	   ? CKO_PUBLIC_KEY
		   : o->kind == P11_SECRET ? CKO_SECRET_KEY
		   : o->kind == P11_CERT   ? CKO_CERTIFICATE
					   : CKO_DATA);
		return CKR_OK;
	case CKA_TOKEN:
		BOOL(true);
		return CKR_OK;
	case CKA_PRIVATE:
		BOOL(o->private_obj);
		return CKR_OK;
	case CKA_MODIFIABLE:
		BOOL(o->modifiable);
		return CKR_OK;
	case CKA_COPYABLE:
		BOOL(false);
		return CKR_OK;
	case CKA_DESTROYABLE:
		BOOL(true);
		return CKR_OK;
	case CKA_LABEL:
		BYTES(o->label != NULL ? o->label : "",
		      o->label != NULL ? strlen(o->label) : 0);
		return CKR_OK;
	default:
		break;
	}
	if (o->kind == P11_CERT) {
		switch (t) {
		case CKA_CERTIFICATE_TYPE:
			UL(CKC_X_509);
			return CKR_OK;
		case CKA_TRUSTED:
			BOOL(false);
			return CKR_OK;
		case CKA_CERTIFICATE_CATEGORY:
			UL(0);
			return CKR_OK;
		case CKA_ID:
		case CKA_SUBJECT:
		case CKA_ISSUER:
		case CKA_SERIAL_NUMBER:
		case CKA_START_DATE:
		case CKA_END_DATE:
			BYTES("", 0);
			return CKR_OK;
		default:
			return CKR_ATTRIBUTE_TYPE_INVALID;
		}
	}
	if (o->kind == P11_DATA) {
		switch (t) {
		case CKA_APPLICATION:
		case CKA_OBJECT_ID:
		case CKA_VALUE:
			BYTES("", 0);
			return CKR_OK;
		default:
			return CKR_ATTRIBUTE_TYPE_INVALID;
		}
	}
	/* Keys. */
	switch (t) {
	case CKA_KEY_TYPE:
		UL(ck_key_type(o->type));
		return CKR_OK;
	case CKA_ID:
		BYTES(o->ckaid, o->ckaid_len);
		return CKR_OK;
	case CKA_START_DATE:
	case CKA_END_DATE:
		BYTES("", 0);
		return CKR_OK;
	case CKA_SUBJECT:
		if (o->kind == P11_SECRET)
			return CKR_ATTRIBUTE_TYPE_INVALID;
		BYTES(o->subject != NULL ? (void *)o->subject : "",
		      o->subject_len);
		return CKR_OK;
	case CKA_DERIVE:
	case CKA_SIGN_RECOVER:
	case CKA_VERIFY_RECOVER:
	case CKA_WRAP:
	case CKA_UNWRAP:
	case CKA_TRUSTED:
	case CKA_WRAP_WITH_TRUSTED:
	case CKA_ALWAYS_AUTHENTICATE:
		if (t == CKA_TRUSTED && o->kind == P11_PRIV)
			return CKR_ATTRIBUTE_TYPE_INVALID;
		BOOL(false);
		return CKR_OK;
	case CKA_LOCAL:
		BOOL(true);
		return CKR_OK;
	case CKA_KEY_GEN_MECHANISM:
		UL(keygen_mech(o->type));
		return CKR_OK;
	case CKA_SIGN:
	case CKA_VERIFY:
	case CKA_ENCRYPT:
	case CKA_DECRYPT:
		BOOL(can(o, t));
		return CKR_OK;
	case CKA_ALLOWED_MECHANISMS: {
		size_t n = allowed_mechs(o, buf->u.mechs, 64);
		BYTES(buf->u.mechs, n * sizeof(CK_MECHANISM_TYPE));
		return CKR_OK;
	}
	case P11_CKA_KW_VERSION:
		UL(o->version);
		return CKR_OK;
	case P11_CKA_KW_KEY_NAME:
		BYTES(o->name, strlen(o->name));
		return CKR_OK;
	default:
		break;
	}
	if (secret) {
		switch (t) {
		case CKA_SENSITIVE:
		case CKA_ALWAYS_SENSITIVE:
			BOOL(true);
			return CKR_OK;
		case CKA_EXTRACTABLE:
			BOOL(o->exportable);
			return CKR_OK;
		case CKA_NEVER_EXTRACTABLE:
			BOOL(!o->exportable);
			return CKR_OK;
		case CKA_VALUE:
		case CKA_PRIVATE_EXPONENT:
		case CKA_PRIME_1:
		case CKA_PRIME_2:
		case CKA_EXPONENT_1:
		case CKA_EXPONENT_2:
		case CKA_COEFFICIENT:
			if (t != CKA_VALUE && cls != KW_CLASS_RSA)
				return CKR_ATTRIBUTE_TYPE_INVALID;
			return CKR_ATTRIBUTE_SENSITIVE;
		default:
			break;
		}
	}
	if (o->kind == P11_SECRET) {
		if (t == CKA_VALUE_LEN) {
			UL(kw_key_type_bits(o->type) / 8);
			return CKR_OK;
		}
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
	/* Asymmetric key parts. */
	if (cls == KW_CLASS_RSA) {
		switch (t) {
		case CKA_MODULUS:
			BYTES(o->pub_a, o->pub_a_len);
			return CKR_OK;
		case CKA_PUBLIC_EXPONENT:
			BYTES(o->pub_b, o->pub_b_len);
			return CKR_OK;
		case CKA_MODULUS_BITS:
			UL(kw_key_type_bits(o->type));
			return CKR_OK;
		default:
			return CKR_ATTRIBUTE_TYPE_INVALID;
		}
	}
	switch (t) {
	case CKA_EC_PARAMS: {
		const uint8_t *d;
		size_t n;
		if (!p11_ec_params(o->type, o->ec_name, &d, &n))
			return CKR_ATTRIBUTE_TYPE_INVALID;
		BYTES(d, n);
		return CKR_OK;
	}
	case CKA_EC_POINT: {
		/* DER OCTET STRING of the point (X9.62 uncompressed, or the
		 * 32 Ed25519 bytes). */
		size_t h;
		if (o->pub_a_len + 4 > sizeof(buf->u.bytes))
			return CKR_ATTRIBUTE_TYPE_INVALID;
		buf->u.bytes[0] = 0x04;
		h = 1 + p11_der_len(o->pub_a_len, buf->u.bytes + 1);
		memcpy(buf->u.bytes + h, o->pub_a, o->pub_a_len);
		BYTES(buf->u.bytes, h + o->pub_a_len);
		return CKR_OK;
	}
	default:
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
#undef UL
#undef BOOL
#undef BYTES
}

bool p11_obj_matches(const p11_obj *o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	attr_buf buf;
	const void *p;
	size_t len;

	for (CK_ULONG i = 0; i < n; i++) {
		if (attr_value(o, t[i].type, &buf, &p, &len) != CKR_OK ||
		    len != t[i].ulValueLen ||
		    (len > 0 &&
		     (t[i].pValue == NULL || memcmp(p, t[i].pValue, len) != 0)))
			return false;
	}
	return true;
}

/* Object h as the session may see it (table lock held). */

CK_RV p11_attr_get(p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_PTR t,
		   CK_ULONG n)
{
	p11_module *m = p11_module_get();
	CK_RV rv = CKR_OK, r;
	attr_buf buf;
	const void *p;
	size_t len;
	p11_obj *o;

	if (t == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	pthread_rwlock_rdlock(&m->lock);
	o = p11_obj_visible(m, s, h);
	pthread_rwlock_unlock(&m->lock);
	if (o == NULL)
		return CKR_OBJECT_HANDLE_INVALID;
	r = pub_ensure(m, h, t, n);
	if (r != CKR_OK)
		return r;
	pthread_rwlock_rdlock(&m->lock);
	for (CK_ULONG i = 0; i < n; i++) {
		r = attr_value(o, t[i].type, &buf, &p, &len);
		if (r != CKR_OK) {
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = r;
		} else if (t[i].pValue == NULL) {
			t[i].ulValueLen = len;
		} else if (t[i].ulValueLen < len) {
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			memcpy(t[i].pValue, p, len);
			t[i].ulValueLen = len;
		}
	}
	pthread_rwlock_unlock(&m->lock);
	return rv;
}

/* ---- C_SetAttributeValue -------------------------------------------------------- */

/* C_SetAttributeValue of a key: CKA_ID, CKA_LABEL and CKA_SUBJECT become
 * the key labels "p11.id", "p11.label" and "p11.subject" (the other labels
 * are kept); CKA_EXTRACTABLE may only be turned off. */
static CK_RV key_labels_apply(json_t *labels, CK_ATTRIBUTE_PTR t, CK_ULONG n,
			      bool *set_exp)
{
	char buf[2 * 64 + 1];

	for (CK_ULONG i = 0; i < n; i++) {
		const CK_ATTRIBUTE *a = &t[i];
		json_t *v = NULL;
		if (a->pValue == NULL && a->ulValueLen > 0)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		switch (a->type) {
		case CKA_EXTRACTABLE:
			if (a->ulValueLen != sizeof(CK_BBOOL) ||
			    *(CK_BBOOL *)a->pValue != CK_FALSE)
				return CKR_ATTRIBUTE_READ_ONLY;
			*set_exp = true;
			continue;
		case CKA_ID:
			if (a->ulValueLen > 64)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			kw_hex_encode(a->pValue, a->ulValueLen, buf);
			v = json_string(buf);
			break;
		case CKA_LABEL:
			if (a->ulValueLen > 128)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			v = json_stringn(a->pValue, a->ulValueLen);
			break;
		case CKA_SUBJECT:
			if (a->ulValueLen > 96)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			v = kw_client_json_b64_new(a->pValue, a->ulValueLen);
			break;
		default:
			return CKR_ATTRIBUTE_READ_ONLY;
		}
		if (v == NULL)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		json_object_set_new(labels,
				    a->type == CKA_ID	   ? "p11.id"
				    : a->type == CKA_LABEL ? "p11.label"
							   : "p11.subject",
				    v);
	}
	return CKR_OK;
}

static CK_RV set_key_attrs(p11_module *m, p11_session *s, const p11_obj *snap,
			   CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	kw_client_path path;
	json_t *key = NULL, *labels = NULL, *body = NULL;
	bool set_exp = false;
	CK_RV rv = CKR_ATTRIBUTE_READ_ONLY;
	kw_rc rc;

	if (!snap->primary)
		return rv; /* an older version stays what it was */
	kw_client_path_init(&path, "/v1/keys");
	kw_client_path_seg(&path, snap->kid);
	kw_client_path_query(&path, "partition", s->slot->partition);
	rc = p11_call(m, s->slot, NULL, "GET", kw_client_path_get(&path), NULL,
		      NULL, &key, NULL);
	if (rc != KW_OK)
		return p11_rv(rc, P11_CTX_GENERIC);
	rv = CKR_HOST_MEMORY;
	labels = json_deep_copy(json_object_get(key, "labels"));
	if (labels == NULL)
		labels = json_object();
	body = json_object();
	if (body == NULL || labels == NULL)
		goto out;
	rv = key_labels_apply(labels, t, n, &set_exp);
	if (rv != CKR_OK)
		goto out;
	json_object_set(body, "labels", labels);
	if (set_exp)
		json_object_set_new(body, "exportable", json_false());
	json_decref(key);
	key = NULL;
	rc = p11_call(m, s->slot, NULL, "PATCH", kw_client_path_get(&path),
		      body, NULL, &key, NULL);
	rv = p11_rv(rc, P11_CTX_GENERIC);
	if (rc == KW_OK) {
		CK_OBJECT_HANDLE *hs = NULL;
		size_t nh = 0;
		(void)p11_obj_from_key(m, s->slot, key, NULL, NULL, &hs, &nh);
		free(hs);
	}
out:
	json_decref(key);
	json_decref(labels);
	json_decref(body);
	return rv;
}

CK_RV p11_attr_set(p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_PTR t,
		   CK_ULONG n)
{
	p11_module *m = p11_module_get();
	p11_obj snap;
	p11_obj *o;

	if (t == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	pthread_rwlock_rdlock(&m->lock);
	o = p11_obj_visible(m, s, h);
	if (o != NULL)
		snap = *o;
	pthread_rwlock_unlock(&m->lock);
	if (o == NULL)
		return CKR_OBJECT_HANDLE_INVALID;
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (snap.kind == P11_CERT || snap.kind == P11_DATA)
		return p11_stored_set(m, s, h, t, n);
	return set_key_attrs(m, s, &snap, t, n);
}
