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
 * Creating and destroying objects. A generated key is created by the
 * daemon (POST /v1/keys): its label becomes the key's name (reversibly
 * encoded), its CKA_ID the key label "p11.id". Certificates and data
 * objects are stored by the daemon (/v1/objects) with all their
 * attributes. Importing key material is not possible: keys are born in the
 * daemon.
 */

CK_ATTRIBUTE_PTR p11_tmpl_find(CK_ATTRIBUTE_PTR t, CK_ULONG n,
			       CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; t != NULL && i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

/* A fixed-size attribute of the template into out, if present. */
static CK_RV tmpl_fixed(CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_ATTRIBUTE_TYPE type,
			void *out, size_t size)
{
	CK_ATTRIBUTE_PTR a = p11_tmpl_find(t, n, type);

	if (a == NULL)
		return CKR_OK;
	if (a->pValue == NULL || a->ulValueLen != size)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(out, a->pValue, size);
	return CKR_OK;
}

CK_RV p11_tmpl_bool(CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_ATTRIBUTE_TYPE type,
		    bool *out)
{
	CK_BBOOL b = *out ? CK_TRUE : CK_FALSE;
	CK_RV rv = tmpl_fixed(t, n, type, &b, sizeof(b));

	if (rv == CKR_OK)
		*out = b != CK_FALSE;
	return rv;
}

CK_RV p11_tmpl_ulong(CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_ATTRIBUTE_TYPE type,
		     CK_ULONG *out)
{
	return tmpl_fixed(t, n, type, out, sizeof(*out));
}

/* Object creation needs a R/W session and, for private objects, a user. */
static CK_RV may_create(p11_session *s)
{
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (!p11_slot_logged_in(s->slot))
		return CKR_USER_NOT_LOGGED_IN;
	return CKR_OK;
}

/* What every key template may say about the key as a whole. */
typedef struct key_req {
	kw_key_type type;
	uint32_t usages;
	bool exportable;
	bool ed_name;
	const CK_ATTRIBUTE *label;
	const CK_ATTRIBUTE *id;
} key_req;

/* Reads the common attributes of one template. */
static CK_RV common(CK_ATTRIBUTE_PTR t, CK_ULONG n, key_req *r)
{
	static const struct {
		CK_ATTRIBUTE_TYPE a;
		uint32_t usage;
	} uses[] = {
		{CKA_SIGN, 1u},	   {CKA_VERIFY, 2u}, {CKA_ENCRYPT, 4u},
		{CKA_DECRYPT, 8u}, {CKA_WRAP, 16u},  {CKA_UNWRAP, 32u},
	};
	bool token = true, sensitive = true, extractable = false, b;
	CK_RV rv = CKR_OK;

	for (size_t i = 0; rv == CKR_OK && i < sizeof(uses) / sizeof(uses[0]);
	     i++) {
		b = false;
		rv = p11_tmpl_bool(t, n, uses[i].a, &b);
		if (b)
			r->usages |= uses[i].usage;
	}
	if (rv == CKR_OK)
		rv = p11_tmpl_bool(t, n, CKA_TOKEN, &token);
	if (rv == CKR_OK)
		rv = p11_tmpl_bool(t, n, CKA_SENSITIVE, &sensitive);
	if (rv == CKR_OK)
		rv = p11_tmpl_bool(t, n, CKA_EXTRACTABLE, &extractable);
	if (rv != CKR_OK)
		return rv;
	/* Keys live in the daemon: no session keys, no plaintext values. */
	if (!token || !sensitive) {
		KW_LOG_WARN("keys are token objects and always sensitive: "
			    "CKA_TOKEN and CKA_SENSITIVE cannot be false");
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	r->exportable |= extractable;
	if (r->label == NULL)
		r->label = p11_tmpl_find(t, n, CKA_LABEL);
	if (r->id == NULL)
		r->id = p11_tmpl_find(t, n, CKA_ID);
	return CKR_OK;
}

/* The daemon's usages for the requested PKCS#11 ones: what the type can
 * do of them (sign implies verify, decrypt implies encrypt), else its
 * default. */
static json_t *usages_json(kw_key_type t, uint32_t u)
{
	static const char *const names[] = {"sign",    "verify", "encrypt",
					    "decrypt", "wrap",	 "unwrap",
					    "mac"};
	kw_key_class c = kw_key_type_class(t);
	json_t *a = json_array();

	if (u & 3u)
		u |= 3u;
	if (u & 12u)
		u |= 12u;
	if (u & 48u)
		u |= 48u;
	if (c == KW_CLASS_EC || c == KW_CLASS_EDDSA)
		u = 3u;
	else if (c == KW_CLASS_RSA)
		u = (u & 15u) != 0 ? u & 15u : 3u;
	else if (c == KW_CLASS_AES)
		u = (u & 60u) != 0 ? u & 60u : 60u;
	else
		u = 64u;
	for (size_t i = 0; a != NULL && i < 7; i++)
		if (u & (1u << i))
			json_array_append_new(a, json_string(names[i]));
	return a;
}

/* A name for a key without a label. */
static void fresh_name(char out[P11_NAME_MAX + 1])
{
	uint8_t r[8] = {0};

	(void)kw_random(r, sizeof(r));
	memcpy(out, "p11-", 4);
	kw_hex_encode(r, sizeof(r), out + 4);
}

/* POST /v1/keys and the objects of the new key. */
static CK_RV create_key(p11_session *s, const key_req *r, CK_OBJECT_HANDLE **h,
			size_t *n)
{
	p11_module *m = p11_module_get();
	char name[P11_NAME_MAX + 1];
	char idhex[2 * 255 + 1];
	json_t *body, *labels = json_object(), *key = NULL;
	kw_client_path p;
	kw_rc rc;
	CK_RV rv = CKR_ATTRIBUTE_VALUE_INVALID;

	if (r->label != NULL && r->label->ulValueLen > 0) {
		if (r->label->pValue == NULL ||
		    !p11_label_to_name(r->label->pValue, r->label->ulValueLen,
				       name)) {
			KW_LOG_WARN("C_Generate*: the label is too long for a "
				    "key name");
			goto out;
		}
	} else {
		fresh_name(name);
	}
	if (r->id != NULL && r->id->ulValueLen > 0) {
		if (r->id->pValue == NULL || r->id->ulValueLen > 255)
			goto out;
		kw_hex_encode(r->id->pValue, r->id->ulValueLen, idhex);
		json_object_set_new(labels, "p11.id", json_string(idhex));
	}
	if (r->type == KW_KEY_ED25519)
		json_object_set_new(labels, "p11.ecparams",
				    json_string(r->ed_name ? "name" : "oid"));
	body = json_pack("{s:s,s:s,s:o,s:b,s:O}", "name", name, "type",
			 kw_key_type_name(r->type), "usages",
			 usages_json(r->type, r->usages), "exportable",
			 r->exportable, "labels", labels);
	kw_client_path_init(&p, "/v1/keys");
	kw_client_path_query(&p, "partition", s->slot->partition);
	rc = body == NULL
		     ? KW_E_NOMEM
		     : p11_call(m, s->slot, NULL, "POST",
				kw_client_path_get(&p), body, NULL, &key, NULL);
	json_decref(body);
	if (rc == KW_E_EXISTS)
		KW_LOG_WARN("a key named %s exists in partition %s: labels of "
			    "keys are unique",
			    name, s->slot->partition);
	if (rc == KW_OK)
		rc = p11_obj_from_key(m, s->slot, key, NULL, NULL, h, n);
	rv = p11_rv(rc, P11_CTX_GENERIC);
out:
	json_decref(labels);
	json_decref(key);
	return rv;
}

/* The handle of kind k among the new key's objects. */
static CK_OBJECT_HANDLE pick(p11_module *m, const CK_OBJECT_HANDLE *h, size_t n,
			     p11_kind k)
{
	CK_OBJECT_HANDLE out = 0;

	pthread_rwlock_rdlock(&m->lock);
	for (size_t i = 0; i < n && out == 0; i++)
		if (m->objs[h[i] - 1]->kind == k && m->objs[h[i] - 1]->primary)
			out = h[i];
	pthread_rwlock_unlock(&m->lock);
	return out;
}

static CK_RV pair_type(CK_MECHANISM_TYPE mt, CK_ATTRIBUTE_PTR pub,
		       CK_ULONG n_pub, key_req *r)
{
	CK_ULONG bits = 0;
	CK_ATTRIBUTE_PTR a;
	kw_key_type t;
	CK_RV rv;

	if (mt == CKM_RSA_PKCS_KEY_PAIR_GEN) {
		rv = p11_tmpl_ulong(pub, n_pub, CKA_MODULUS_BITS, &bits);
		if (rv != CKR_OK)
			return rv;
		a = p11_tmpl_find(pub, n_pub, CKA_PUBLIC_EXPONENT);
		if (a != NULL) {
			const uint8_t *e = a->pValue;
			size_t len = a->ulValueLen;
			while (e != NULL && len > 0 && *e == 0)
				e++, len--;
			if (e == NULL || len != 3 || e[0] != 1 || e[1] != 0 ||
			    e[2] != 1)
				return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		r->type = bits == 2048	 ? KW_KEY_RSA_2048
			  : bits == 3072 ? KW_KEY_RSA_3072
			  : bits == 4096 ? KW_KEY_RSA_4096
					 : KW_KEY_NONE;
		return bits == 0		? CKR_TEMPLATE_INCOMPLETE
		       : r->type == KW_KEY_NONE ? CKR_KEY_SIZE_RANGE
						: CKR_OK;
	}
	a = p11_tmpl_find(pub, n_pub, CKA_EC_PARAMS);
	if (a == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	if (!p11_ec_params_type(a->pValue, a->ulValueLen, &t, &r->ed_name))
		return CKR_CURVE_NOT_SUPPORTED;
	if ((mt == CKM_EC_EDWARDS_KEY_PAIR_GEN) != (t == KW_KEY_ED25519))
		return CKR_TEMPLATE_INCONSISTENT;
	r->type = t;
	return CKR_OK;
}

static CK_RV secret_type(CK_MECHANISM_TYPE mt, CK_ATTRIBUTE_PTR t, CK_ULONG n,
			 key_req *r)
{
	CK_ULONG len = 0, kt = CKK_GENERIC_SECRET;
	CK_RV rv = p11_tmpl_ulong(t, n, CKA_VALUE_LEN, &len);

	if (rv == CKR_OK)
		rv = p11_tmpl_ulong(t, n, CKA_KEY_TYPE, &kt);
	if (rv != CKR_OK)
		return rv;
	if (mt == CKM_AES_KEY_GEN) {
		r->type = len == 16   ? KW_KEY_AES_128
			  : len == 32 ? KW_KEY_AES_256
				      : KW_KEY_NONE;
		return len == 0			? CKR_TEMPLATE_INCOMPLETE
		       : r->type == KW_KEY_NONE ? CKR_KEY_SIZE_RANGE
						: CKR_OK;
	}
	/* Generic secrets are HMAC keys: by CKA_KEY_TYPE (3.0 CKK_SHA*_HMAC)
	 * or by length. */
	if (kt == CKK_SHA256_HMAC || (kt == CKK_GENERIC_SECRET && len == 32))
		r->type = KW_KEY_HMAC_SHA256;
	else if (kt == CKK_SHA384_HMAC ||
		 (kt == CKK_GENERIC_SECRET && len == 48))
		r->type = KW_KEY_HMAC_SHA384;
	else if (kt == CKK_SHA512_HMAC ||
		 (kt == CKK_GENERIC_SECRET && len == 64))
		r->type = KW_KEY_HMAC_SHA512;
	else
		return CKR_KEY_SIZE_RANGE;
	if (len != 0 && len != kw_key_type_bits(r->type) / 8)
		return CKR_TEMPLATE_INCONSISTENT;
	return CKR_OK;
}

/* Key generation with a mechanism that has flag: the type comes from
 * template a (the public key's, or the secret key's), the common
 * attributes from a and b (the private key's). out_b: the private key
 * handle of a pair, NULL for a secret key. */
static CK_RV generate(p11_session *s, CK_MECHANISM_PTR mech, CK_FLAGS flag,
		      CK_ATTRIBUTE_PTR a, CK_ULONG na, CK_ATTRIBUTE_PTR b,
		      CK_ULONG nb, CK_OBJECT_HANDLE_PTR out_a,
		      CK_OBJECT_HANDLE_PTR out_b)
{
	p11_module *m = p11_module_get();
	bool pair = flag == CKF_GENERATE_KEY_PAIR;
	const p11_mech *pm;
	key_req r = {0};
	CK_OBJECT_HANDLE *h = NULL;
	size_t n = 0;
	CK_RV rv;

	if (mech == NULL || out_a == NULL || (pair && out_b == NULL) ||
	    (a == NULL && na > 0) || (b == NULL && nb > 0))
		return CKR_ARGUMENTS_BAD;
	pm = p11_mech_find(mech->mechanism);
	if (pm == NULL || pm->alg != P11_ALG_KEYGEN || !(pm->info.flags & flag))
		return CKR_MECHANISM_INVALID;
	rv = may_create(s);
	if (rv == CKR_OK)
		rv = pair ? pair_type(mech->mechanism, a, na, &r)
			  : secret_type(mech->mechanism, a, na, &r);
	if (rv == CKR_OK)
		rv = common(b, nb, &r);
	if (rv == CKR_OK)
		rv = common(a, na, &r);
	if (rv == CKR_OK)
		rv = create_key(s, &r, &h, &n);
	if (rv == CKR_OK) {
		*out_a = pick(m, h, n, pair ? P11_PUB : P11_SECRET);
		if (pair)
			*out_b = pick(m, h, n, P11_PRIV);
		rv = *out_a != 0 && (!pair || *out_b != 0) ? CKR_OK
							   : CKR_DEVICE_ERROR;
	}
	free(h);
	return rv;
}

CK_RV p11_generate_key_pair(p11_session *s, CK_MECHANISM_PTR mech,
			    CK_ATTRIBUTE_PTR pub, CK_ULONG n_pub,
			    CK_ATTRIBUTE_PTR priv, CK_ULONG n_priv,
			    CK_OBJECT_HANDLE_PTR out_pub,
			    CK_OBJECT_HANDLE_PTR out_priv)
{
	return generate(s, mech, CKF_GENERATE_KEY_PAIR, pub, n_pub, priv,
			n_priv, out_pub, out_priv);
}

CK_RV p11_generate_key(p11_session *s, CK_MECHANISM_PTR mech,
		       CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
	return generate(s, mech, CKF_GENERATE, t, n, NULL, 0, out, NULL);
}

/* ---- certificates and data objects ------------------------------------------------- */

/* {"<type hex>":"<base64>"} of a template, without the attributes the
 * store decides itself. */
static CK_RV attrs_json(CK_ATTRIBUTE_PTR t, CK_ULONG n, json_t *into)
{
	char k[24];

	for (CK_ULONG i = 0; i < n; i++) {
		if (t[i].type == CKA_CLASS || t[i].type == CKA_TOKEN ||
		    t[i].type == CKA_PRIVATE)
			continue;
		if ((t[i].pValue == NULL && t[i].ulValueLen > 0) ||
		    t[i].ulValueLen > P11_ATTR_MAX ||
		    t[i].ulValueLen == CK_UNAVAILABLE_INFORMATION)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		snprintf(k, sizeof(k), "%lx", (unsigned long)t[i].type);
		if (json_object_set_new(
			    into, k,
			    kw_client_json_b64_new(t[i].pValue,
						   t[i].ulValueLen)) != 0)
			return CKR_HOST_MEMORY;
	}
	return CKR_OK;
}

/* The indexed fields: label (a string) and CKA_ID (base64). */
static CK_RV index_fields(CK_ATTRIBUTE_PTR t, CK_ULONG n, json_t *body)
{
	CK_ATTRIBUTE_PTR l = p11_tmpl_find(t, n, CKA_LABEL);
	CK_ATTRIBUTE_PTR id = p11_tmpl_find(t, n, CKA_ID);

	if (l != NULL && l->ulValueLen > 0) {
		json_t *s = l->pValue != NULL
				    ? json_stringn(l->pValue, l->ulValueLen)
				    : NULL;
		if (s == NULL)
			return CKR_ATTRIBUTE_VALUE_INVALID; /* not UTF-8 */
		json_object_set_new(body, "label", s);
	}
	if (id != NULL && id->ulValueLen > 0 && id->pValue != NULL)
		json_object_set_new(
			body, "ckaid",
			kw_client_json_b64_new(id->pValue, id->ulValueLen));
	return CKR_OK;
}

CK_RV p11_create_object(p11_session *s, CK_ATTRIBUTE_PTR t, CK_ULONG n,
			CK_OBJECT_HANDLE_PTR out)
{
	p11_module *m = p11_module_get();
	CK_ULONG cls = (CK_ULONG)-1;
	bool token = true, priv = false;
	json_t *body = NULL, *attrs = json_object(), *resp = NULL;
	CK_OBJECT_HANDLE *h = NULL;
	size_t nh = 0;
	kw_client_path p;
	kw_client_error err;
	kw_rc rc;
	CK_RV rv;

	if (out == NULL || (t == NULL && n > 0))
		return CKR_ARGUMENTS_BAD;
	rv = p11_tmpl_ulong(t, n, CKA_CLASS, &cls);
	if (rv == CKR_OK)
		rv = p11_tmpl_bool(t, n, CKA_TOKEN, &token);
	if (rv == CKR_OK)
		rv = p11_tmpl_bool(t, n, CKA_PRIVATE, &priv);
	if (rv != CKR_OK)
		goto out;
	if (cls == (CK_ULONG)-1) {
		rv = CKR_TEMPLATE_INCOMPLETE;
		goto out;
	}
	if ((cls != CKO_CERTIFICATE && cls != CKO_DATA) || !token) {
		KW_LOG_WARN("C_CreateObject makes certificates and data "
			    "objects on the token; keys are generated by the "
			    "daemon, never imported in the clear");
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	rv = may_create(s);
	if (rv != CKR_OK)
		goto out;
	rv = CKR_HOST_MEMORY;
	body = json_pack("{s:s,s:b}", "class",
			 cls == CKO_CERTIFICATE ? "certificate" : "data",
			 "private", priv);
	if (body == NULL || attrs == NULL)
		goto out;
	rv = attrs_json(t, n, attrs);
	if (rv == CKR_OK)
		rv = index_fields(t, n, body);
	if (rv != CKR_OK)
		goto out;
	json_object_set(body, "attrs", attrs);
	kw_client_path_init(&p, "/v1/objects");
	kw_client_path_query(&p, "partition", s->slot->partition);
	rc = p11_call(m, s->slot, NULL, "POST", kw_client_path_get(&p), body,
		      NULL, &resp, &err);
	if (rc == KW_E_NOT_FOUND && strcmp(err.code, "unknown_route") == 0) {
		KW_LOG_WARN("this keywardend stores no certificates or data "
			    "objects (no /v1/objects)");
		rv = CKR_FUNCTION_NOT_SUPPORTED;
		goto out;
	}
	if (rc == KW_OK)
		rc = p11_obj_from_stored(m, s->slot, resp, NULL, NULL, &h, &nh);
	rv = p11_rv(rc, P11_CTX_GENERIC);
	if (rv == CKR_OK && nh == 1)
		*out = h[0];
	else if (rv == CKR_OK)
		rv = CKR_DEVICE_ERROR;
out:
	free(h);
	json_decref(body);
	json_decref(attrs);
	json_decref(resp);
	return rv;
}

static void stored_path(kw_client_path *p, p11_session *s, const char *id)
{
	kw_client_path_init(p, "/v1/objects");
	kw_client_path_seg(p, id);
	kw_client_path_query(p, "partition", s->slot->partition);
}

CK_RV p11_stored_set(p11_module *m, p11_session *s, CK_OBJECT_HANDLE h,
		     CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	json_t *attrs = json_object(), *body = json_object(), *resp = NULL;
	CK_OBJECT_HANDLE *hs = NULL;
	size_t nh = 0;
	char id[P11_NAME_MAX + 1];
	kw_client_path p;
	CK_RV rv = CKR_HOST_MEMORY;
	kw_rc rc;

	if (attrs == NULL || body == NULL)
		goto out;
	/* The new attribute set: the stored one with t applied. */
	pthread_rwlock_rdlock(&m->lock);
	p11_obj *o = m->objs[h - 1];
	snprintf(id, sizeof(id), "%s", o->name);
	rv = attrs_json(o->attrs, o->n_attrs, attrs);
	pthread_rwlock_unlock(&m->lock);
	for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++)
		if (t[i].type == CKA_CLASS || t[i].type == CKA_TOKEN ||
		    t[i].type == CKA_PRIVATE)
			rv = CKR_ATTRIBUTE_READ_ONLY;
	if (rv == CKR_OK)
		rv = attrs_json(t, n, attrs);
	if (rv == CKR_OK)
		rv = index_fields(t, n, body);
	if (rv != CKR_OK)
		goto out;
	json_object_set(body, "attrs", attrs);
	stored_path(&p, s, id);
	rc = p11_call(m, s->slot, NULL, "PATCH", kw_client_path_get(&p), body,
		      NULL, &resp, NULL);
	if (rc == KW_OK)
		rc = p11_obj_from_stored(m, s->slot, resp, NULL, NULL, &hs,
					 &nh);
	rv = p11_rv(rc, P11_CTX_GENERIC);
out:
	free(hs);
	json_decref(attrs);
	json_decref(body);
	json_decref(resp);
	return rv;
}

CK_RV p11_destroy_object(p11_session *s, CK_OBJECT_HANDLE h)
{
	p11_module *m = p11_module_get();
	char id[P11_NAME_MAX + 1], kid[P11_KEY_ID_LEN + 1];
	p11_kind kind = P11_DATA;
	bool found = false, primary = false;
	kw_client_path p;
	json_t *body = NULL;
	kw_rc rc;

	pthread_rwlock_wrlock(&m->lock);
	if (h >= 1 && h <= m->n_objs && m->objs[h - 1]->orphan &&
	    !m->objs[h - 1]->gone && m->objs[h - 1]->slot == s->slot) {
		/* The other half of a key pair destroyed before. */
		m->objs[h - 1]->gone = true;
		pthread_rwlock_unlock(&m->lock);
		return CKR_OK;
	}
	if (h >= 1 && h <= m->n_objs && !m->objs[h - 1]->gone &&
	    m->objs[h - 1]->slot == s->slot) {
		p11_obj *o = m->objs[h - 1];
		found = !o->private_obj || p11_slot_logged_in(s->slot);
		kind = o->kind;
		primary = o->primary;
		snprintf(id, sizeof(id), "%s", o->name);
		snprintf(kid, sizeof(kid), "%s", o->kid);
	}
	pthread_rwlock_unlock(&m->lock);
	if (!found)
		return CKR_OBJECT_HANDLE_INVALID;
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (kind == P11_CERT || kind == P11_DATA) {
		stored_path(&p, s, id);
		rc = p11_call(m, s->slot, NULL, "DELETE",
			      kw_client_path_get(&p), NULL, NULL, NULL, NULL);
		if (rc == KW_OK || rc == KW_E_NOT_FOUND)
			p11_obj_forget(m, h);
		return p11_rv(rc == KW_E_NOT_FOUND ? KW_OK : rc,
			      P11_CTX_GENERIC);
	}
	/* A version cannot go alone; destroying an object of the primary
	 * version schedules the whole key's destruction: its other objects
	 * then only take C_DestroyObject (so destroying both halves of a
	 * pair, in either order, works). */
	if (!primary)
		return CKR_ACTION_PROHIBITED;
	kw_client_path_init(&p, "/v1/keys");
	kw_client_path_seg(&p, kid);
	kw_client_path_lit(&p, "/destroy");
	kw_client_path_query(&p, "partition", s->slot->partition);
	body = m->cfg.destroy_wait_s >= 0
		       ? json_pack("{s:I}", "waiting_period",
				   (json_int_t)m->cfg.destroy_wait_s)
		       : json_object();
	rc = body == NULL
		     ? KW_E_NOMEM
		     : p11_call(m, s->slot, NULL, "POST",
				kw_client_path_get(&p), body, NULL, NULL, NULL);
	json_decref(body);
	if (rc == KW_OK)
		p11_obj_forget_key(m, s->slot, kid, h);
	return p11_rv(rc, P11_CTX_GENERIC);
}
