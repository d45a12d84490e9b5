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
 * C_FindObjectsInit asks the daemon, C_FindObjects hands out the result.
 * A label is a key's name (p11_label_to_name), so a search by label is one
 * indexed lookup (GET /v1/keys/{name}); only a label no name stands for
 * falls back to the daemon's filter on "p11.label"; by CKA_ID it filters on
 * the key label "p11.id" or looks the key id up; anything else lists the
 * partition. Certificates and data objects come from /v1/objects, by
 * label through its index too. The module then checks every attribute of
 * the template against the objects it got back.
 */

typedef struct find_ctx {
	p11_slot *slot;
	bool logged_in;
	CK_ATTRIBUTE_PTR t;
	CK_ULONG n;
} find_ctx;

static bool match(const p11_obj *o, void *arg)
{
	find_ctx *c = arg;

	if (o->private_obj && !c->logged_in)
		return false;
	return p11_obj_matches(o, c->t, c->n);
}

typedef struct found {
	CK_OBJECT_HANDLE *h;
	size_t n;
} found;

static void path_keys(kw_client_path *p, p11_slot *slot, const char *name)
{
	kw_client_path_init(p, "/v1/keys");
	if (name != NULL)
		kw_client_path_seg(p, name);
	kw_client_path_query(p, "partition", slot->partition);
}

/* One key by name or id; a missing key is no error. */
static kw_rc one_key(p11_module *m, find_ctx *c, const char *name, found *f)
{
	kw_client_path p;
	json_t *j = NULL;
	kw_rc rc;

	path_keys(&p, c->slot, name);
	if (kw_client_path_get(&p) == NULL)
		return KW_OK;
	rc = p11_call(m, c->slot, NULL, "GET", kw_client_path_get(&p), NULL,
		      NULL, &j, NULL);
	if (rc == KW_OK)
		rc = p11_obj_from_key(m, c->slot, j, match, c, &f->h, &f->n);
	json_decref(j);
	/* A key the caller may not read is no object of its token. */
	return rc == KW_E_NOT_FOUND || rc == KW_E_DENIED ? KW_OK : rc;
}

typedef kw_rc (*item_fn)(p11_module *m, p11_slot *slot, const json_t *item,
			 p11_obj_match_fn match, void *arg,
			 CK_OBJECT_HANDLE **h, size_t *n);

/* Every page of a listing (base: the route and its filters): the objects
 * of each item of array `member`. A route this daemon does not have lists
 * nothing; a path too long for any object finds nothing. */
static kw_rc pages(p11_module *m, find_ctx *c, const kw_client_path *base,
		   const char *member, item_fn fn, found *f)
{
	char *cursor = NULL;
	kw_rc rc;

	do {
		kw_client_path p = *base;
		kw_client_error err = {0};
		json_t *j = NULL, *v;
		const char *next;
		size_t i;
		kw_client_path_query(&p, "limit", "1000");
		kw_client_path_query(&p, "cursor", cursor);
		free(cursor);
		cursor = NULL;
		rc = kw_client_path_get(&p) == NULL
			     ? KW_OK
			     : p11_call(m, c->slot, NULL, "GET",
					kw_client_path_get(&p), NULL, NULL, &j,
					&err);
		if (rc == KW_E_NOT_FOUND &&
		    strcmp(err.code, "unknown_route") == 0)
			rc = KW_OK;
		json_array_foreach(json_object_get(j, member), i, v)
		{
			if (rc == KW_OK)
				rc = fn(m, c->slot, v, match, c, &f->h, &f->n);
		}
		next = json_string_value(json_object_get(j, "next_cursor"));
		if (rc == KW_OK && next != NULL &&
		    (cursor = strdup(next)) == NULL)
			rc = KW_E_NOMEM;
		json_decref(j);
	} while (rc == KW_OK && cursor != NULL);
	free(cursor);
	return rc;
}

/* Every key of the partition (optionally with label key:value). */
static kw_rc all_keys(p11_module *m, find_ctx *c, const char *label_filter,
		      found *f)
{
	kw_client_path p;

	path_keys(&p, c->slot, NULL);
	kw_client_path_query(&p, "label", label_filter);
	return pages(m, c, &p, "keys", p11_obj_from_key, f);
}

/* Keys by CKA_ID: those labelled p11.id, and the key whose id the
 * default CKA_ID is (16 bytes, + 4 for an older version). */
static kw_rc keys_by_id(p11_module *m, find_ctx *c, const CK_ATTRIBUTE *id,
			found *f)
{
	char filter[16 + 2 * 255 + 1];
	char kid[P11_KEY_ID_LEN + 1];
	kw_rc rc = KW_OK;

	for (size_t cut = 0; cut <= 4 && rc == KW_OK; cut += 4) {
		size_t len = id->ulValueLen;
		if (len <= cut || len - cut > 255)
			continue;
		memcpy(filter, "p11.id:", 7);
		kw_hex_encode(id->pValue, len - cut, filter + 7);
		rc = all_keys(m, c, filter, f);
		if (rc == KW_OK && len - cut == 16) {
			memcpy(kid, "k-", 2);
			kw_hex_encode(id->pValue, 16, kid + 2);
			rc = one_key(m, c, kid, f);
		}
	}
	return rc;
}

/* Keys by label: the name it encodes, the label itself if it is a name,
 * and the key an older version's "<label>/vN" belongs to. */
static kw_rc keys_by_label(p11_module *m, find_ctx *c, const CK_ATTRIBUTE *l,
			   found *f)
{
	const uint8_t *v = l->pValue;
	size_t len = l->ulValueLen, cut = len;
	char name[P11_NAME_MAX + 1], lit[P11_NAME_MAX + 1];
	size_t before = f->n;
	kw_rc rc = KW_OK;

	if (v == NULL || len == 0)
		return KW_OK;
	/* "<label>/v<digits>" */
	while (cut > 0 && v[cut - 1] >= '0' && v[cut - 1] <= '9')
		cut--;
	if (cut >= 3 && cut < len && v[cut - 1] == 'v' && v[cut - 2] == '/')
		cut -= 2;
	else
		cut = len;
	if (p11_label_to_name(v, cut, name))
		rc = one_key(m, c, name, f);
	if (rc == KW_OK && cut <= P11_NAME_MAX) {
		memcpy(lit, v, cut);
		lit[cut] = '\0';
		bool is_name = strspn(lit, "abcdefghijklmnopqrstuvwxyz"
					   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789._-") == cut;
		if (is_name && strcmp(lit, name) != 0)
			rc = one_key(m, c, lit, f);
	}
	/* Not found by name: a key relabelled with C_SetAttributeValue
	 * (key label "p11.label"; the daemon filters, not indexed). */
	if (rc == KW_OK && f->n == before && len <= 128) {
		char filter[10 + 128 + 1];
		memcpy(filter, "p11.label:", 10);
		memcpy(filter + 10, v, len);
		filter[10 + len] = '\0';
		if (strlen(filter) == 10 + len)
			rc = all_keys(m, c, filter, f);
	}
	return rc;
}

/* Certificates and data objects (GET /v1/objects), by label through its
 * index. */
static kw_rc stored(p11_module *m, find_ctx *c, const CK_ATTRIBUTE *label,
		    const char *cls, found *f)
{
	kw_client_path p;
	char *lab = NULL;
	kw_rc rc;

	if (label != NULL) {
		lab = strndup(label->pValue != NULL ? label->pValue : "",
			      label->ulValueLen);
		if (lab == NULL)
			return KW_E_NOMEM;
	}
	kw_client_path_init(&p, "/v1/objects");
	kw_client_path_query(&p, "partition", c->slot->partition);
	kw_client_path_query(&p, "class", cls);
	kw_client_path_query(&p, "label", lab);
	rc = pages(m, c, &p, "objects", p11_obj_from_stored, f);
	free(lab);
	return rc;
}

static void dedupe(found *f)
{
	size_t o = 0;

	for (size_t i = 0; i < f->n; i++) {
		bool seen = false;
		for (size_t k = 0; k < o && !seen; k++)
			seen = f->h[k] == f->h[i];
		if (!seen)
			f->h[o++] = f->h[i];
	}
	f->n = o;
}

CK_RV p11_find_init(p11_session *s, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	p11_module *m = p11_module_get();
	find_ctx c = {.slot = s->slot, .t = t, .n = n};
	found f = {0};
	CK_ATTRIBUTE_PTR cls = p11_tmpl_find(t, n, CKA_CLASS);
	CK_ATTRIBUTE_PTR label = p11_tmpl_find(t, n, CKA_LABEL);
	CK_ATTRIBUTE_PTR id = p11_tmpl_find(t, n, CKA_ID);
	CK_OBJECT_CLASS want = (CK_OBJECT_CLASS)-1;
	kw_rc rc = KW_OK;

	if (t == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	if (s->find.active)
		return CKR_OPERATION_ACTIVE;
	c.logged_in = p11_slot_logged_in(s->slot);
	if (cls != NULL && cls->pValue != NULL &&
	    cls->ulValueLen == sizeof(CK_OBJECT_CLASS))
		want = *(CK_OBJECT_CLASS *)cls->pValue;
	bool keys = want == (CK_OBJECT_CLASS)-1 || want == CKO_PRIVATE_KEY ||
		    want == CKO_PUBLIC_KEY || want == CKO_SECRET_KEY;
	bool objs = want == (CK_OBJECT_CLASS)-1 || want == CKO_CERTIFICATE ||
		    want == CKO_DATA;
	if (keys && label != NULL)
		rc = keys_by_label(m, &c, label, &f);
	else if (keys && id != NULL)
		rc = keys_by_id(m, &c, id, &f);
	else if (keys)
		rc = all_keys(m, &c, NULL, &f);
	if (rc == KW_OK && objs)
		rc = stored(m, &c, label,
			    want == CKO_CERTIFICATE ? "certificate"
			    : want == CKO_DATA	    ? "data"
						    : NULL,
			    &f);
	if (rc != KW_OK) {
		free(f.h);
		return p11_rv(rc, P11_CTX_GENERIC);
	}
	dedupe(&f);
	s->find.active = true;
	s->find.h = f.h;
	s->find.n = f.n;
	s->find.pos = 0;
	return CKR_OK;
}

CK_RV p11_find_next(p11_session *s, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
		    CK_ULONG_PTR n)
{
	CK_ULONG k = 0;

	if (!s->find.active)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (out == NULL || n == NULL)
		return CKR_ARGUMENTS_BAD;
	while (k < max && s->find.pos < s->find.n)
		out[k++] = s->find.h[s->find.pos++];
	*n = k;
	return CKR_OK;
}

CK_RV p11_find_final(p11_session *s)
{
	if (!s->find.active)
		return CKR_OPERATION_NOT_INITIALIZED;
	free(s->find.h);
	memset(&s->find, 0, sizeof(s->find));
	return CKR_OK;
}

kw_rc p11_find_key(p11_module *m, p11_slot *slot, const char *name,
		   CK_OBJECT_HANDLE **h, size_t *n)
{
	find_ctx c = {.slot = slot, .logged_in = true};
	found f = {0};
	kw_rc rc = one_key(m, &c, name, &f);

	if (rc != KW_OK) {
		free(f.h);
		return rc;
	}
	*h = f.h;
	*n = f.n;
	return KW_OK;
}
