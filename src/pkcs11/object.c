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
 * Objects. A key of the daemon is a private and a public key object (or
 * one secret key object) per version: the primary version under the key's
 * label, older versions (which still verify and decrypt) labelled
 * "<label>/v<N>". Certificates and data objects are the partition's stored
 * objects. An object is a snapshot of the daemon's metadata, refreshed
 * whenever a search sees it again; the same key version always has the
 * same handle. Handles are never reused. objs[] and the map are guarded by
 * the module's table lock; a handle's p11_obj lives until C_Finalize.
 */

/* ---- the object table ---------------------------------------------------------- */

typedef struct p11_objmap {
	size_t cap; /* power of two */
	size_t used;
	CK_OBJECT_HANDLE h[];
} p11_objmap;

static uint64_t ident_hash(const p11_obj *o)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *ids[] = {o->kid, o->name};

	h = (h ^ (uint64_t)o->slot->id) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)o->kind) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)o->version) * 0x100000001b3ULL;
	for (size_t i = 0; i < 2; i++)
		for (const char *p = ids[i]; *p != '\0'; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	return h;
}

static bool ident_eq(const p11_obj *a, const p11_obj *b)
{
	return a->slot == b->slot && a->kind == b->kind &&
	       a->version == b->version && strcmp(a->kid, b->kid) == 0 &&
	       (a->kid[0] != '\0' || strcmp(a->name, b->name) == 0);
}

/* The handle of o's identity in the map, or 0. */
static CK_OBJECT_HANDLE map_find(p11_module *m, const p11_obj *o)
{
	p11_objmap *mp = m->objmap;

	if (mp == NULL)
		return 0;
	for (size_t i = ident_hash(o) & (mp->cap - 1);;
	     i = (i + 1) & (mp->cap - 1)) {
		CK_OBJECT_HANDLE h = mp->h[i];
		if (h == 0)
			return 0;
		if (ident_eq(m->objs[h - 1], o))
			return h;
	}
}

static bool map_put(p11_module *m, CK_OBJECT_HANDLE h)
{
	p11_objmap *mp = m->objmap;

	if (mp == NULL || (mp->used + 1) * 2 > mp->cap) {
		size_t cap = mp == NULL ? 256 : mp->cap * 2;
		p11_objmap *nm =
			calloc(1, sizeof(*nm) + cap * sizeof(nm->h[0]));
		if (nm == NULL)
			return false;
		nm->cap = cap;
		m->objmap = nm;
		for (size_t i = 0; mp != NULL && i < mp->cap; i++)
			if (mp->h[i] != 0)
				map_put(m, mp->h[i]);
		free(mp);
		mp = nm;
	}
	for (size_t i = ident_hash(m->objs[h - 1]) & (mp->cap - 1);;
	     i = (i + 1) & (mp->cap - 1))
		if (mp->h[i] == 0) {
			mp->h[i] = h;
			mp->used++;
			return true;
		}
}

static void obj_fields_free(p11_obj *o)
{
	free(o->label);
	free(o->ckaid);
	free(o->subject);
	for (size_t i = 0; i < o->n_attrs; i++)
		free(o->attrs[i].pValue);
	free(o->attrs);
}

void p11_obj_free(p11_obj *o)
{
	if (o == NULL)
		return;
	obj_fields_free(o);
	free(o->pub_a);
	free(o->pub_b);
	free(o);
}

CK_OBJECT_HANDLE p11_obj_intern(p11_module *m, p11_obj *fresh)
{
	CK_OBJECT_HANDLE h;
	p11_obj *o, **grown;

	pthread_rwlock_wrlock(&m->lock);
	h = map_find(m, fresh);
	if (h != 0) {
		/* Refresh: the metadata may have changed; the public key of
		 * a version never does. */
		o = m->objs[h - 1];
		obj_fields_free(o);
		uint8_t *a = o->pub_a, *b = o->pub_b;
		size_t al = o->pub_a_len, bl = o->pub_b_len;
		bool loaded = o->pub_loaded;
		CK_OBJECT_HANDLE keep = o->h;
		*o = *fresh;
		o->h = keep;
		if (loaded && !fresh->pub_loaded) {
			o->pub_a = a, o->pub_b = b;
			o->pub_a_len = al, o->pub_b_len = bl;
			o->pub_loaded = true;
		} else {
			free(a);
			free(b);
		}
		goto done;
	}
	o = malloc(sizeof(*o));
	grown = o != NULL ? realloc(m->objs, (m->n_objs + 1) * sizeof(*grown))
			  : NULL;
	if (grown == NULL) {
		free(o);
		pthread_rwlock_unlock(&m->lock);
		return 0;
	}
	m->objs = grown;
	*o = *fresh;
	o->h = h = m->n_objs + 1;
	m->objs[m->n_objs++] = o;
	if (!map_put(m, h)) {
		/* Without a map entry the next search makes another handle
		 * for the same object: wasteful, not wrong. */
		KW_LOG_WARN("out of memory indexing object handles");
	}
done:
	memset(fresh, 0, sizeof(*fresh));
	pthread_rwlock_unlock(&m->lock);
	return h;
}

void p11_obj_forget(p11_module *m, CK_OBJECT_HANDLE h)
{
	pthread_rwlock_wrlock(&m->lock);
	if (h >= 1 && h <= m->n_objs)
		m->objs[h - 1]->gone = true;
	pthread_rwlock_unlock(&m->lock);
}

void p11_obj_forget_key(p11_module *m, p11_slot *slot, const char *kid,
			CK_OBJECT_HANDLE h)
{
	pthread_rwlock_wrlock(&m->lock);
	for (size_t i = 0; i < m->n_objs; i++) {
		p11_obj *o = m->objs[i];
		if (o->slot != slot || strcmp(o->kid, kid) != 0 || o->gone)
			continue;
		if (o->h == h)
			o->gone = true;
		else
			o->orphan = true;
	}
	pthread_rwlock_unlock(&m->lock);
}

/* ---- building objects from the daemon's JSON ------------------------------------- */

static uint32_t usages_of(const json_t *arr)
{
	static const char *const names[] = {"sign",    "verify", "encrypt",
					    "decrypt", "wrap",	 "unwrap",
					    "mac"};
	uint32_t u = 0;
	size_t i;
	json_t *v;

	json_array_foreach(
		arr, i,
		v) for (size_t k = 0; k < sizeof(names) / sizeof(names[0]);
			k++) if (json_string_value(v) != NULL &&
				 strcmp(json_string_value(v), names[k]) == 0)
		u |= 1u << k;
	return u;
}

static bool append(CK_OBJECT_HANDLE **h, size_t *n, CK_OBJECT_HANDLE x)
{
	CK_OBJECT_HANDLE *g = realloc(*h, (*n + 1) * sizeof(*g));

	if (g == NULL)
		return false;
	g[(*n)++] = x;
	*h = g;
	return true;
}

/* One object of a key version: fills label and CKA_ID. */
static bool key_obj_ids(p11_obj *o, const json_t *labels, uint32_t primary)
{
	const char *idhex =
		json_string_value(json_object_get(labels, "p11.id"));
	const char *set =
		json_string_value(json_object_get(labels, "p11.label"));
	const char *subj =
		json_string_value(json_object_get(labels, "p11.subject"));
	char *label = set != NULL ? strdup(set) : p11_name_to_label(o->name);
	size_t base;

	if (label == NULL)
		return false;
	if (subj != NULL &&
	    kw_base64_decode_alloc(subj, strlen(subj), false, &o->subject,
				   &o->subject_len) != KW_OK)
		o->subject = NULL;
	if (idhex != NULL && strlen(idhex) % 2 == 0 && strlen(idhex) <= 512) {
		base = strlen(idhex) / 2;
		o->ckaid = malloc(base + 4);
		if (o->ckaid == NULL ||
		    kw_hex_decode(idhex, strlen(idhex), o->ckaid) != KW_OK)
			base = 0;
	} else {
		/* No CKA_ID given: the key id's 16 bytes. */
		base = 16;
		o->ckaid = malloc(base + 4);
		if (o->ckaid == NULL ||
		    kw_hex_decode(o->kid + 2, 32, o->ckaid) != KW_OK)
			base = 0;
	}
	o->ckaid_len = base;
	if (o->version == primary) {
		o->label = label;
		return o->ckaid != NULL;
	}
	/* Older versions: "<label>/vN", CKA_ID + the version (big-endian). */
	size_t n = strlen(label) + 16;
	o->label = malloc(n);
	if (o->label != NULL)
		snprintf(o->label, n, "%s/v%u", label, o->version);
	free(label);
	if (o->ckaid != NULL) {
		for (int i = 0; i < 4; i++)
			o->ckaid[base + (size_t)i] =
				(uint8_t)(o->version >> (24 - 8 * i));
		o->ckaid_len = base + 4;
	}
	return o->label != NULL && o->ckaid != NULL;
}

kw_rc p11_obj_from_key(p11_module *m, p11_slot *slot, const json_t *key,
		       p11_obj_match_fn match, void *arg, CK_OBJECT_HANDLE **h,
		       size_t *n)
{
	const char *id = json_string_value(json_object_get(key, "id"));
	const char *name = json_string_value(json_object_get(key, "name"));
	const char *type = json_string_value(json_object_get(key, "type"));
	const char *state = json_string_value(json_object_get(key, "state"));
	const json_t *labels = json_object_get(key, "labels");
	const char *ecform =
		json_string_value(json_object_get(labels, "p11.ecparams"));
	uint32_t primary = (uint32_t)json_integer_value(
		json_object_get(key, "primary_version"));
	kw_key_type t;
	size_t i;
	json_t *v;

	if (id == NULL || name == NULL || type == NULL || state == NULL ||
	    strlen(id) != P11_KEY_ID_LEN || strlen(name) > P11_NAME_MAX ||
	    kw_key_type_parse(type, &t) != KW_OK)
		return KW_E_UNAVAILABLE;
	/* Keys on their way out are no longer objects. */
	if (strcmp(state, "pending-destruction") == 0 ||
	    strcmp(state, "destroyed") == 0)
		return KW_OK;
	json_array_foreach(json_object_get(key, "versions"), i, v)
	{
		uint32_t ver = (uint32_t)json_integer_value(
			json_object_get(v, "version"));
		if (ver == 0 || (ver != primary && !m->cfg.show_versions))
			continue;
		p11_kind kinds[2] = {P11_PRIV, P11_PUB};
		size_t nk = 2;
		if (!kw_key_type_is_asymmetric(t)) {
			kinds[0] = P11_SECRET;
			nk = 1;
		}
		for (size_t k = 0; k < nk; k++) {
			p11_obj o = {.slot = slot, .kind = kinds[k], .type = t};
			snprintf(o.name, sizeof(o.name), "%s", name);
			snprintf(o.kid, sizeof(o.kid), "%s", id);
			o.usages = usages_of(json_object_get(key, "usages"));
			o.version = ver;
			o.primary = ver == primary;
			o.exportable = json_is_true(
				json_object_get(key, "exportable"));
			o.ec_name =
				ecform != NULL && strcmp(ecform, "name") == 0;
			o.private_obj = kinds[k] != P11_PUB;
			o.modifiable = true;
			if (!key_obj_ids(&o, labels, primary)) {
				obj_fields_free(&o);
				return KW_E_NOMEM;
			}
			if (match != NULL && !match(&o, arg)) {
				obj_fields_free(&o);
				free(o.pub_a);
				free(o.pub_b);
				continue;
			}
			CK_OBJECT_HANDLE x = p11_obj_intern(m, &o);
			if (x == 0)
				obj_fields_free(&o);
			if (x == 0 || !append(h, n, x))
				return KW_E_NOMEM;
		}
	}
	return KW_OK;
}

/* Stored objects: {"id","class":"certificate"|"data","private":bool,
 * "attrs":{"<type in hex>":"<base64>",...}}. */
kw_rc p11_obj_from_stored(p11_module *m, p11_slot *slot, const json_t *obj,
			  p11_obj_match_fn match, void *arg,
			  CK_OBJECT_HANDLE **h, size_t *n)
{
	const char *id = json_string_value(json_object_get(obj, "id"));
	const char *cls = json_string_value(json_object_get(obj, "class"));
	json_t *attrs = json_object_get(obj, "attrs");
	p11_obj o = {.slot = slot, .modifiable = true};
	const char *k;
	json_t *v;
	kw_rc rc = KW_E_UNAVAILABLE;

	if (id == NULL || cls == NULL || strlen(id) > P11_NAME_MAX ||
	    !json_is_object(attrs))
		goto out;
	o.kind = strcmp(cls, "certificate") == 0 ? P11_CERT : P11_DATA;
	o.private_obj = json_is_true(json_object_get(obj, "private"));
	snprintf(o.name, sizeof(o.name), "%s", id);
	rc = KW_E_NOMEM;
	o.attrs = calloc(json_object_size(attrs) + 1, sizeof(*o.attrs));
	if (o.attrs == NULL)
		goto out;
	json_object_foreach(attrs, k, v)
	{
		CK_ATTRIBUTE *a = &o.attrs[o.n_attrs];
		const char *b64 = json_string_value(v);
		uint8_t *val = NULL;
		size_t len = 0;
		char *end;
		a->type = strtoul(k, &end, 16);
		if (b64 == NULL || *end != '\0' ||
		    kw_base64_decode_alloc(b64, strlen(b64), false, &val,
					   &len) != KW_OK) {
			rc = KW_E_UNAVAILABLE;
			goto out;
		}
		a->pValue = val;
		a->ulValueLen = len;
		o.n_attrs++;
		if (a->type == CKA_LABEL) {
			free(o.label);
			o.label = strndup((char *)val, len);
		}
	}
	if (match != NULL && !match(&o, arg)) {
		rc = KW_OK;
		goto out;
	}
	CK_OBJECT_HANDLE x = p11_obj_intern(m, &o);
	rc = x != 0 && append(h, n, x) ? KW_OK : KW_E_NOMEM;
out:
	obj_fields_free(&o);
	return rc;
}

p11_obj *p11_obj_visible(p11_module *m, p11_session *s, CK_OBJECT_HANDLE h)
{
	p11_obj *o;

	if (h < 1 || h > m->n_objs)
		return NULL;
	o = m->objs[h - 1];
	if (o->gone || o->orphan || o->slot != s->slot ||
	    (o->private_obj && !p11_slot_logged_in(s->slot)))
		return NULL;
	return o;
}

CK_RV p11_obj_size(p11_session *s, CK_OBJECT_HANDLE h, CK_ULONG_PTR size)
{
	p11_module *m = p11_module_get();
	CK_RV rv = CKR_OBJECT_HANDLE_INVALID;

	if (size == NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_rwlock_rdlock(&m->lock);
	if (p11_obj_visible(m, s, h) != NULL) {
		*size = CK_UNAVAILABLE_INFORMATION;
		rv = CKR_OK;
	}
	pthread_rwlock_unlock(&m->lock);
	return rv;
}

CK_RV p11_obj_keyref(p11_session *s, CK_OBJECT_HANDLE h, p11_kind *out_kind,
		     p11_keyref *out, uint32_t *out_usages)
{
	p11_module *m = p11_module_get();
	CK_RV rv = CKR_KEY_HANDLE_INVALID;
	p11_obj *o;

	pthread_rwlock_rdlock(&m->lock);
	o = p11_obj_visible(m, s, h);
	if (o != NULL && (o->kind == P11_PRIV || o->kind == P11_PUB ||
			  o->kind == P11_SECRET)) {
		snprintf(out->name, sizeof(out->name), "%s", o->kid);
		out->type = o->type;
		out->version = o->version;
		out->primary = o->primary;
		*out_kind = o->kind;
		*out_usages = o->usages;
		rv = CKR_OK;
	}
	pthread_rwlock_unlock(&m->lock);
	return rv;
}
