/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * The plaintext of the PKI's records (TLV, util/tlv.h), described by field
 * tables: one table per record says tag, type and place of every scalar
 * field; repeated and nested items are read by small functions. Tags are
 * written in ascending order; the decoder is strict like the keys
 * module's: an unknown, repeated or out-of-order tag, a missing required
 * field or a value out of range is KW_E_INTEGRITY.
 */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pki/internal.h"
#include "util/tlv.h"

#define FORMAT 1

typedef enum ftype {
	F_STR,	 /* char[max + 1] */
	F_U32,	 /* uint32_t, at most max (0: any) */
	F_U64,	 /* uint64_t */
	F_I64,	 /* int64_t */
	F_INT,	 /* int, -1..max */
	F_BOOL,	 /* bool */
	F_BYTES, /* uint8_t * at off, size_t at off2 */
	F_HSTR,	 /* char * (malloc) */
} ftype;

typedef struct field {
	uint16_t tag;
	ftype type;
	size_t off, off2, max;
	bool required;
} field;

#define STR(t, s, m, req)                                                 \
	{                                                                 \
		t, F_STR, offsetof(s, m), 0, sizeof(((s *)0)->m) - 1, req \
	}
#define NUM(t, ty, s, m, mx)                       \
	{                                          \
		t, ty, offsetof(s, m), 0, mx, true \
	}
#define BYTES(t, s, m, l, req)                                     \
	{                                                          \
		t, F_BYTES, offsetof(s, m), offsetof(s, l), 0, req \
	}

/* ---- generic table encoding ---------------------------------------------- */

static void put_fields(kw_tlv_writer *w, const field *f, size_t n,
		       const void *rec)
{
	const char *b = rec;

	for (size_t i = 0; i < n; i++) {
		const void *at = b + f[i].off;
		switch (f[i].type) {
		case F_STR:
			if (f[i].required || ((const char *)at)[0] != '\0')
				kw_tlv_put_str(w, f[i].tag, at);
			break;
		case F_HSTR:
			kw_tlv_put_str(w, f[i].tag,
				       *(char *const *)at != NULL
					       ? *(char *const *)at
					       : "");
			break;
		case F_U32:
			kw_tlv_put_u64(w, f[i].tag, *(const uint32_t *)at);
			break;
		case F_U64:
			kw_tlv_put_u64(w, f[i].tag, *(const uint64_t *)at);
			break;
		case F_I64:
			kw_tlv_put_i64(w, f[i].tag, *(const int64_t *)at);
			break;
		case F_INT:
			kw_tlv_put_i64(w, f[i].tag, *(const int *)at);
			break;
		case F_BOOL:
			kw_tlv_put_u64(w, f[i].tag, *(const bool *)at ? 1 : 0);
			break;
		case F_BYTES:
			if (*(uint8_t *const *)at != NULL)
				kw_tlv_put_bytes(
					w, f[i].tag, *(uint8_t *const *)at,
					*(const size_t *)(b + f[i].off2));
			break;
		}
	}
}

/* Reads item it into the field of the table with its tag. KW_E_NOT_FOUND
 * if the table has no such tag; *seen gets the field's bit. */
static kw_rc get_field(const kw_tlv_item *it, const field *f, size_t n,
		       void *rec, uint64_t *seen)
{
	char *b = rec;
	uint64_t u;
	int64_t v;

	for (size_t i = 0; i < n; i++) {
		void *at = b + f[i].off;
		if (f[i].tag != it->tag)
			continue;
		if (*seen & (1ull << i))
			return KW_E_INTEGRITY;
		*seen |= 1ull << i;
		switch (f[i].type) {
		case F_STR:
			return kw_tlv_item_str(it, at, f[i].max);
		case F_HSTR:
			return kw_tlv_item_strdup(it, KW_STORE_DATA_MAX, at);
		case F_U32:
		case F_BOOL:
		case F_U64:
			if (kw_tlv_item_u64(it, &u) != KW_OK ||
			    (f[i].type == F_BOOL && u > 1) ||
			    (f[i].type == F_U32 &&
			     (u > UINT32_MAX ||
			      (f[i].max != 0 && u > f[i].max))))
				return KW_E_INTEGRITY;
			if (f[i].type == F_U32)
				*(uint32_t *)at = (uint32_t)u;
			else if (f[i].type == F_BOOL)
				*(bool *)at = u == 1;
			else
				*(uint64_t *)at = u;
			return KW_OK;
		case F_I64:
		case F_INT:
			if (kw_tlv_item_i64(it, &v) != KW_OK ||
			    (f[i].type == F_INT &&
			     (v < -1 || v > (int64_t)f[i].max)))
				return KW_E_INTEGRITY;
			if (f[i].type == F_INT)
				*(int *)at = (int)v;
			else
				*(int64_t *)at = v;
			return KW_OK;
		case F_BYTES:
			if (it->len == 0 ||
			    (*(uint8_t **)at = malloc(it->len)) == NULL)
				return it->len == 0 ? KW_E_INTEGRITY
						    : KW_E_NOMEM;
			memcpy(*(uint8_t **)at, it->val, it->len);
			*(size_t *)(b + f[i].off2) = it->len;
			return KW_OK;
		}
	}
	return KW_E_NOT_FOUND;
}

/* Every required field of the table seen. */
static bool all_required(const field *f, size_t n, uint64_t seen)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].required && !(seen & (1ull << i)))
			return false;
	return true;
}

/* Reads the items of an encoding: table fields, and the others through
 * extra (NULL: none allowed). Tags must not decrease. */
typedef kw_rc (*extra_fn)(const kw_tlv_item *it, void *rec);

static kw_rc decode(const uint8_t *p, size_t len, const field *f, size_t n,
		    extra_fn extra, void *rec)
{
	kw_tlv_reader rd;
	kw_tlv_item it;
	uint64_t seen = 0, format = 0;
	unsigned last = 0;
	kw_rc rc;

	kw_tlv_reader_init(&rd, p, len);
	while ((rc = kw_tlv_next(&rd, &it)) == KW_OK) {
		if (it.tag < last)
			return KW_E_INTEGRITY;
		last = it.tag;
		if (it.tag == FORMAT) {
			if (format != 0 ||
			    kw_tlv_item_u64(&it, &format) != KW_OK ||
			    format != FORMAT)
				return KW_E_INTEGRITY;
			continue;
		}
		rc = get_field(&it, f, n, rec, &seen);
		if (rc == KW_E_NOT_FOUND && extra != NULL)
			rc = extra(&it, rec);
		if (rc != KW_OK)
			return rc == KW_E_NOMEM ? rc : KW_E_INTEGRITY;
	}
	if (rc != KW_E_NOT_FOUND || format != FORMAT ||
	    !all_required(f, n, seen))
		return KW_E_INTEGRITY;
	return KW_OK;
}

/* ---- CA records ------------------------------------------------------------- */

enum {
	CA_PERMITTED = 26,
	CA_EXCLUDED = 27,
	CA_PROFILE = 28,
	CA_REVOKED = 29,
};

static const field ca_fields[] = {
	STR(2, kw_ca_rec, info.id, true),
	STR(3, kw_ca_rec, info.partition, true),
	STR(4, kw_ca_rec, info.name, true),
	STR(5, kw_ca_rec, info.key, true),
	STR(6, kw_ca_rec, info.key_id, true),
	NUM(7, F_U32, kw_ca_rec, info.key_type, KW_KEY_TYPE_COUNT_ - 1),
	STR(8, kw_ca_rec, info.parent, false),
	STR(9, kw_ca_rec, info.parent_id, false),
	NUM(10, F_U32, kw_ca_rec, info.depth, 64),
	STR(11, kw_ca_rec, info.subject, true),
	STR(12, kw_ca_rec, info.serial, true),
	NUM(13, F_I64, kw_ca_rec, info.not_before, 0),
	NUM(14, F_I64, kw_ca_rec, info.not_after, 0),
	NUM(15, F_I64, kw_ca_rec, info.created, 0),
	NUM(16, F_INT, kw_ca_rec, info.path_len, 64),
	STR(17, kw_ca_rec, info.crl_url, false),
	NUM(18, F_U32, kw_ca_rec, info.crl_days, KW_PKI_DAYS_MAX),
	NUM(19, F_U64, kw_ca_rec, info.crl_number, 0),
	NUM(20, F_I64, kw_ca_rec, info.crl_next_update, 0),
	NUM(21, F_I64, kw_ca_rec, crl_this_update, 0),
	NUM(22, F_BOOL, kw_ca_rec, info.quorum, 0),
	STR(23, kw_ca_rec, info.created_by, false),
	BYTES(24, kw_ca_rec, info.cert, info.cert_len, true),
	BYTES(25, kw_ca_rec, crl, crl_len, false),
};
#define N_CA (sizeof(ca_fields) / sizeof(ca_fields[0]))

enum { P_KIND = 1, P_ENABLED, P_MAX_DAYS, P_NAME, P_CN };
enum { R_SERIAL = 1, R_AT, R_REASON };

kw_rc kw_pki_ca_encode(const kw_ca_rec *r, kw_secret **out)
{
	const kw_ca_info *c = &r->info;
	kw_tlv_writer w, sub;
	kw_secret *item = NULL;
	kw_rc rc = KW_OK;

	kw_tlv_writer_init(&w);
	kw_tlv_writer_init(&sub);
	kw_tlv_put_u64(&w, FORMAT, FORMAT);
	put_fields(&w, ca_fields, N_CA, r);
	for (size_t i = 0; i < c->n_permitted; i++)
		kw_tlv_put_str(&w, CA_PERMITTED, c->permitted[i]);
	for (size_t i = 0; i < c->n_excluded; i++)
		kw_tlv_put_str(&w, CA_EXCLUDED, c->excluded[i]);
	for (int p = KW_PROFILE_TLS_SERVER; rc == KW_OK && p < KW_PROFILE_CA;
	     p++) {
		const kw_profile_rules *pr = &c->profiles[p];
		kw_tlv_put_u64(&sub, P_KIND, (uint64_t)p);
		kw_tlv_put_u64(&sub, P_ENABLED, pr->enabled ? 1 : 0);
		kw_tlv_put_u64(&sub, P_MAX_DAYS, pr->max_days);
		for (size_t i = 0; i < pr->n_names; i++)
			kw_tlv_put_str(&sub, P_NAME, pr->names[i]);
		for (size_t i = 0; i < pr->n_cn; i++)
			kw_tlv_put_str(&sub, P_CN, pr->cn[i]);
		rc = kw_tlv_writer_finish(&sub, &item);
		if (rc == KW_OK)
			kw_tlv_put_bytes(&w, CA_PROFILE, item->data, item->len);
		kw_secret_free(item);
		item = NULL;
	}
	for (size_t i = 0; rc == KW_OK && i < c->revoked; i++) {
		kw_tlv_put_bytes(&sub, R_SERIAL, r->revoked[i].serial,
				 r->revoked[i].serial_len);
		kw_tlv_put_i64(&sub, R_AT, r->revoked[i].at);
		kw_tlv_put_u64(&sub, R_REASON, r->revoked[i].reason);
		rc = kw_tlv_writer_finish(&sub, &item);
		if (rc == KW_OK)
			kw_tlv_put_bytes(&w, CA_REVOKED, item->data, item->len);
		kw_secret_free(item);
		item = NULL;
	}
	if (rc == KW_OK)
		rc = kw_tlv_writer_finish(&w, out);
	kw_tlv_writer_clear(&sub);
	kw_tlv_writer_clear(&w);
	return rc;
}

static kw_rc strs_add(const kw_tlv_item *it, char (*arr)[KW_PKI_NAME_MAX + 1],
		      size_t *n, size_t max)
{
	if (*n == max)
		return KW_E_INTEGRITY;
	kw_rc rc = kw_tlv_item_str(it, arr[*n], KW_PKI_NAME_MAX);
	if (rc == KW_OK)
		(*n)++;
	return rc;
}

static kw_rc profile_item(const kw_tlv_item *outer, kw_ca_info *c)
{
	kw_tlv_reader rd;
	kw_tlv_item it;
	kw_profile_rules pr;
	uint64_t kind = 0, v = 0;
	unsigned last = 0;
	kw_rc rc;

	memset(&pr, 0, sizeof(pr));
	kw_tlv_reader_init(&rd, outer->val, outer->len);
	while ((rc = kw_tlv_next(&rd, &it)) == KW_OK) {
		if (it.tag < last || (it.tag == last && it.tag < P_NAME))
			return KW_E_INTEGRITY;
		last = it.tag;
		if (it.tag == P_NAME || it.tag == P_CN) {
			rc = it.tag == P_NAME
				     ? strs_add(&it, pr.names, &pr.n_names,
						KW_PROFILE_PATTERNS_MAX)
				     : strs_add(&it, pr.cn, &pr.n_cn,
						KW_PROFILE_PATTERNS_MAX);
		} else if (it.tag >= P_KIND && it.tag <= P_MAX_DAYS &&
			   kw_tlv_item_u64(&it, &v) == KW_OK) {
			rc = KW_OK;
			if (it.tag == P_KIND)
				kind = v;
			else if (it.tag == P_ENABLED && v <= 1)
				pr.enabled = v == 1;
			else if (it.tag == P_MAX_DAYS && v <= KW_PKI_DAYS_MAX)
				pr.max_days = (uint32_t)v;
			else
				rc = KW_E_INTEGRITY;
		} else {
			rc = KW_E_INTEGRITY;
		}
		if (rc != KW_OK)
			return rc;
	}
	if (rc != KW_E_NOT_FOUND || kind <= KW_PROFILE_NONE ||
	    kind >= KW_PROFILE_CA || c->profiles[kind].enabled ||
	    c->profiles[kind].max_days != 0)
		return KW_E_INTEGRITY;
	c->profiles[kind] = pr;
	return KW_OK;
}

static kw_rc revoked_item(const kw_tlv_item *outer, kw_ca_rec *r)
{
	kw_tlv_reader rd;
	kw_tlv_item it;
	kw_pki_rev e;
	uint64_t reason = 0;
	unsigned seen = 0;
	kw_rc rc;

	memset(&e, 0, sizeof(e));
	kw_tlv_reader_init(&rd, outer->val, outer->len);
	while ((rc = kw_tlv_next(&rd, &it)) == KW_OK) {
		if (it.tag < R_SERIAL || it.tag > R_REASON ||
		    (seen & (1u << it.tag)))
			return KW_E_INTEGRITY;
		seen |= 1u << it.tag;
		if (it.tag == R_SERIAL && it.len >= 1 &&
		    it.len <= KW_X509_SERIAL_MAX) {
			memcpy(e.serial, it.val, it.len);
			e.serial_len = it.len;
		} else if (!(it.tag == R_AT &&
			     kw_tlv_item_i64(&it, &e.at) == KW_OK) &&
			   !(it.tag == R_REASON &&
			     kw_tlv_item_u64(&it, &reason) == KW_OK &&
			     reason <= 10)) {
			return KW_E_INTEGRITY;
		}
	}
	if (rc != KW_E_NOT_FOUND || seen != 0xe)
		return KW_E_INTEGRITY;
	e.reason = (unsigned)reason;
	kw_pki_rev *n = realloc(r->revoked, (r->info.revoked + 1) * sizeof(e));
	if (n == NULL)
		return KW_E_NOMEM;
	r->revoked = n;
	r->revoked[r->info.revoked++] = e;
	return KW_OK;
}

static kw_rc ca_extra(const kw_tlv_item *it, void *rec)
{
	kw_ca_rec *r = rec;
	kw_ca_info *c = &r->info;

	switch (it->tag) {
	case CA_PERMITTED:
		return strs_add(it, c->permitted, &c->n_permitted,
				KW_CA_CONSTRAINTS_MAX);
	case CA_EXCLUDED:
		return strs_add(it, c->excluded, &c->n_excluded,
				KW_CA_CONSTRAINTS_MAX);
	case CA_PROFILE:
		return profile_item(it, c);
	case CA_REVOKED:
		return revoked_item(it, r);
	default:
		return KW_E_INTEGRITY;
	}
}

kw_rc kw_pki_ca_decode(const uint8_t *p, size_t len, kw_ca_rec **out)
{
	kw_ca_rec *r = calloc(1, sizeof(*r));
	kw_rc rc;

	if (r == NULL)
		return KW_E_NOMEM;
	rc = decode(p, len, ca_fields, N_CA, ca_extra, r);
	if (rc == KW_OK && (r->info.key_type == KW_KEY_NONE ||
			    strncmp(r->info.id, "ca-", 3) != 0))
		rc = KW_E_INTEGRITY;
	if (rc == KW_OK) {
		*out = r;
		r = NULL;
	}
	kw_pki_ca_rec_free(r);
	return rc;
}

void kw_pki_ca_rec_free(kw_ca_rec *r)
{
	if (r == NULL)
		return;
	free(r->info.cert);
	free(r->revoked);
	free(r->crl);
	free(r);
}

void kw_ca_info_free(kw_ca_info *c)
{
	if (c == NULL)
		return;
	free(c->cert);
	free(c);
}

kw_rc kw_pki_ca_info_copy(const kw_ca_info *in, kw_ca_info **out)
{
	kw_ca_info *c = malloc(sizeof(*c));

	if (c == NULL)
		return KW_E_NOMEM;
	*c = *in;
	c->cert = malloc(in->cert_len);
	if (c->cert == NULL) {
		free(c);
		return KW_E_NOMEM;
	}
	memcpy(c->cert, in->cert, in->cert_len);
	*out = c;
	return KW_OK;
}

/* ---- certificate records ------------------------------------------------ */

static const field cert_fields[] = {
	STR(2, kw_cert_info, id, true),
	STR(3, kw_cert_info, serial, true),
	STR(4, kw_cert_info, partition, true),
	STR(5, kw_cert_info, ca, true),
	STR(6, kw_cert_info, ca_id, true),
	NUM(7, F_U32, kw_cert_info, profile, KW_PROFILE_COUNT_ - 1),
	STR(8, kw_cert_info, subject, false),
	{9, F_HSTR, offsetof(kw_cert_info, sans), 0, 0, true},
	NUM(10, F_I64, kw_cert_info, not_before, 0),
	NUM(11, F_I64, kw_cert_info, not_after, 0),
	NUM(12, F_I64, kw_cert_info, created, 0),
	NUM(13, F_U32, kw_cert_info, status, KW_CERT_REVOKED),
	NUM(14, F_I64, kw_cert_info, revoked_at, 0),
	NUM(15, F_U32, kw_cert_info, reason, 10),
	STR(16, kw_cert_info, key, false),
	STR(17, kw_cert_info, key_id, false),
	STR(18, kw_cert_info, issued_by, false),
	BYTES(19, kw_cert_info, der, der_len, true),
};
#define N_CERT (sizeof(cert_fields) / sizeof(cert_fields[0]))

kw_rc kw_pki_cert_encode(const kw_cert_info *c, kw_secret **out)
{
	kw_tlv_writer w;
	kw_tlv_writer_init(&w);
	kw_tlv_put_u64(&w, FORMAT, FORMAT);
	put_fields(&w, cert_fields, N_CERT, c);
	return kw_tlv_writer_finish(&w, out);
}

kw_rc kw_pki_cert_decode(const uint8_t *p, size_t len, kw_cert_info **out)
{
	kw_cert_info *c = calloc(1, sizeof(*c));
	kw_rc rc;

	if (c == NULL)
		return KW_E_NOMEM;
	rc = decode(p, len, cert_fields, N_CERT, NULL, c);
	if (rc == KW_OK &&
	    (c->profile == KW_PROFILE_NONE || c->status < KW_CERT_VALID ||
	     strncmp(c->id, "x-", 2) != 0 || strcmp(c->id + 2, c->serial) != 0))
		rc = KW_E_INTEGRITY;
	if (rc == KW_OK) {
		*out = c;
		c = NULL;
	}
	kw_cert_info_free(c);
	return rc;
}

void kw_cert_info_free(kw_cert_info *c)
{
	if (c == NULL)
		return;
	free(c->sans);
	free(c->der);
	free(c);
}

kw_rc kw_pki_cert_info_copy(const kw_cert_info *in, kw_cert_info **out)
{
	kw_cert_info *c = malloc(sizeof(*c));

	if (c == NULL)
		return KW_E_NOMEM;
	*c = *in;
	c->sans = strdup(in->sans != NULL ? in->sans : "");
	c->der = malloc(in->der_len);
	if (c->sans == NULL || c->der == NULL) {
		c->der_len = 0;
		kw_cert_info_free(c);
		return KW_E_NOMEM;
	}
	memcpy(c->der, in->der, in->der_len);
	*out = c;
	return KW_OK;
}

/* ---- TSA records ----------------------------------------------------------- */

static const field tsa_fields[] = {
	STR(2, kw_tsa_info, partition, true),
	STR(3, kw_tsa_info, cert_id, true),
	STR(4, kw_tsa_info, serial, true),
	STR(5, kw_tsa_info, key, true),
	STR(6, kw_tsa_info, policy, true),
	NUM(7, F_I64, kw_tsa_info, updated, 0),
};
#define N_TSA (sizeof(tsa_fields) / sizeof(tsa_fields[0]))

kw_rc kw_pki_tsa_encode(const kw_tsa_info *t, kw_secret **out)
{
	kw_tlv_writer w;
	kw_tlv_writer_init(&w);
	kw_tlv_put_u64(&w, FORMAT, FORMAT);
	put_fields(&w, tsa_fields, N_TSA, t);
	return kw_tlv_writer_finish(&w, out);
}

kw_rc kw_pki_tsa_decode(const uint8_t *p, size_t len, kw_tsa_info *out)
{
	kw_tsa_info t;
	kw_rc rc;

	memset(&t, 0, sizeof(t));
	rc = decode(p, len, tsa_fields, N_TSA, NULL, &t);
	if (rc == KW_OK)
		*out = t;
	return rc;
}
