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

/* ---- labels and names --------------------------------------------------- */

static bool plain(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool p11_label_to_name(const uint8_t *label, size_t len,
		       char out[P11_NAME_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (plain(label[i])) {
			if (o + 1 > P11_NAME_MAX)
				return false;
			out[o++] = (char)label[i];
			continue;
		}
		if (o + 3 > P11_NAME_MAX)
			return false;
		out[o++] = '_';
		out[o++] = hex[label[i] >> 4];
		out[o++] = hex[label[i] & 15];
	}
	out[o] = '\0';
	return o > 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *p11_name_to_label(const char *name)
{
	size_t n = strlen(name), o = 0;
	char *out = malloc(n + 1);
	bool canonical = true;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n && canonical; i++) {
		if (name[i] != '_') {
			out[o++] = name[i];
			continue;
		}
		int hi = i + 2 < n + 1 ? hexval(name[i + 1]) : -1;
		int lo = hi >= 0 ? hexval(name[i + 2]) : -1;
		/* Only what p11_label_to_name makes decodes; any other name
		 * is its own label. */
		canonical = lo >= 0 && !plain((uint8_t)(hi << 4 | lo));
		if (canonical)
			out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	if (!canonical) {
		memcpy(out, name, n);
		o = n;
	}
	out[o] = '\0';
	return out;
}

/* ---- DER -------------------------------------------------------------------- */

static const uint8_t OID_P256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
				   0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t OID_P384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t OID_P521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t OID_ED25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const uint8_t OID_ED25519_GNU[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x04,
					  0x01, 0xda, 0x47, 0x0f, 0x01};
static const uint8_t NAME_ED25519[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
				       'd',  's',  '2', '5', '5', '1', '9'};

bool p11_ec_params(kw_key_type t, bool ed_name, const uint8_t **out,
		   size_t *out_len)
{
#define RET(a)                        \
	do {                          \
		*out = (a);           \
		*out_len = sizeof(a); \
	} while (0)
	switch (t) {
	case KW_KEY_EC_P256:
		RET(OID_P256);
		return true;
	case KW_KEY_EC_P384:
		RET(OID_P384);
		return true;
	case KW_KEY_EC_P521:
		RET(OID_P521);
		return true;
	case KW_KEY_ED25519:
		if (ed_name)
			RET(NAME_ED25519);
		else
			RET(OID_ED25519);
		return true;
	default:
		return false;
	}
#undef RET
}

bool p11_ec_params_type(const uint8_t *p, size_t n, kw_key_type *out,
			bool *out_name)
{
	static const struct {
		const uint8_t *der;
		size_t len;
		kw_key_type t;
		bool name;
	} tab[] = {
		{OID_P256, sizeof(OID_P256), KW_KEY_EC_P256, false},
		{OID_P384, sizeof(OID_P384), KW_KEY_EC_P384, false},
		{OID_P521, sizeof(OID_P521), KW_KEY_EC_P521, false},
		{OID_ED25519, sizeof(OID_ED25519), KW_KEY_ED25519, false},
		{OID_ED25519_GNU, sizeof(OID_ED25519_GNU), KW_KEY_ED25519,
		 false},
		{NAME_ED25519, sizeof(NAME_ED25519), KW_KEY_ED25519, true},
	};

	for (size_t i = 0; p != NULL && i < sizeof(tab) / sizeof(tab[0]); i++)
		if (n == tab[i].len && memcmp(p, tab[i].der, n) == 0) {
			*out = tab[i].t;
			*out_name = tab[i].name;
			return true;
		}
	return false;
}

/* Reads one DER element at *p (before end): its tag, content, length. */
static bool der_next(const uint8_t **p, const uint8_t *end, uint8_t *tag,
		     const uint8_t **content, size_t *len)
{
	const uint8_t *q = *p;
	size_t l;

	if (end - q < 2)
		return false;
	*tag = *q++;
	l = *q++;
	if (l & 0x80) {
		size_t nb = l & 0x7f;
		if (nb == 0 || nb > 3 || (size_t)(end - q) < nb)
			return false;
		l = 0;
		while (nb-- > 0)
			l = l << 8 | *q++;
	}
	if ((size_t)(end - q) < l)
		return false;
	*content = q;
	*len = l;
	*p = q + l;
	return true;
}

/* The public parts of a SubjectPublicKeyInfo: RSA n and e (leading zero
 * bytes stripped), or the EC / Ed25519 point. */
static bool spki_parts(const uint8_t *der, size_t n, bool rsa, uint8_t **a,
		       size_t *a_len, uint8_t **b, size_t *b_len)
{
	const uint8_t *p = der, *end = der + n, *c, *bits;
	size_t len, bits_len;
	uint8_t tag;

	if (!der_next(&p, end, &tag, &c, &len) || tag != 0x30)
		return false;
	p = c;
	end = c + len;
	if (!der_next(&p, end, &tag, &c, &len) || tag != 0x30 ||
	    !der_next(&p, end, &tag, &bits, &bits_len) || tag != 0x03 ||
	    bits_len < 2 || bits[0] != 0)
		return false;
	bits++;
	bits_len--;
	if (!rsa) {
		*a = malloc(bits_len);
		if (*a == NULL)
			return false;
		memcpy(*a, bits, bits_len);
		*a_len = bits_len;
		return true;
	}
	p = bits;
	end = bits + bits_len;
	const uint8_t *nn, *ee;
	size_t nl, el;
	if (!der_next(&p, end, &tag, &c, &len) || tag != 0x30)
		return false;
	p = c;
	end = c + len;
	if (!der_next(&p, end, &tag, &nn, &nl) || tag != 0x02 ||
	    !der_next(&p, end, &tag, &ee, &el) || tag != 0x02)
		return false;
	while (nl > 1 && nn[0] == 0) {
		nn++;
		nl--;
	}
	while (el > 1 && ee[0] == 0) {
		ee++;
		el--;
	}
	*a = malloc(nl);
	*b = malloc(el);
	if (*a == NULL || *b == NULL) {
		free(*a);
		free(*b);
		*a = *b = NULL;
		return false;
	}
	memcpy(*a, nn, nl);
	memcpy(*b, ee, el);
	*a_len = nl;
	*b_len = el;
	return true;
}

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

/* ---- attributes ------------------------------------------------------------------ */

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
	    !spki_parts(der, der_len,
			kw_key_type_class(snap->type) == KW_CLASS_RSA, a, a_len,
			b, b_len))
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

/* DER length octets of n into p; returns their count. */
static size_t der_len(size_t n, uint8_t *p)
{
	if (n < 0x80) {
		p[0] = (uint8_t)n;
		return 1;
	}
	if (n < 0x100) {
		p[0] = 0x81;
		p[1] = (uint8_t)n;
		return 2;
	}
	p[0] = 0x82;
	p[1] = (uint8_t)(n >> 8);
	p[2] = (uint8_t)n;
	return 3;
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
		h = 1 + der_len(o->pub_a_len, buf->u.bytes + 1);
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
static p11_obj *visible(p11_module *m, p11_session *s, CK_OBJECT_HANDLE h)
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
	o = visible(m, s, h);
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

CK_RV p11_obj_size(p11_session *s, CK_OBJECT_HANDLE h, CK_ULONG_PTR size)
{
	p11_module *m = p11_module_get();
	CK_RV rv = CKR_OBJECT_HANDLE_INVALID;

	if (size == NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_rwlock_rdlock(&m->lock);
	if (visible(m, s, h) != NULL) {
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
	o = visible(m, s, h);
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
	o = visible(m, s, h);
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
