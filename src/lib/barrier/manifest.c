/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "barrier"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "barrier/internal.h"
#include "keywarden/log.h"

/*
 * Version manifests against row rollback (see internal.h for the layout).
 *
 * Bucket plaintext: format (1), then entries sorted strictly ascending by
 * (type, id bytes, id length):
 *     type (u32 BE) | id length (u8, 1..128) | id | version (u64 BE, >= 1)
 * Root plaintext: format (1) | acc (32) | counter | buckets | records (u64
 * BE each).
 *
 * The root's acc is a XOR of keyed digests, one per bucket record, so a
 * change of one bucket updates it in O(1): acc ^= H(old) ^ H(new). The
 * digests are HMACs under the manifest key and the root is sealed, so
 * without the master key no one can compute, see or fit a digest.
 */

#define BUCKET_FORMAT 1
#define ROOT_FORMAT   1
#define ENTRY_FIXED   (4 + 1 + 8)

static void bucket_id(uint32_t b, char id[static 5])
{
	snprintf(id, 5, "%04" PRIx32, b);
}

/* The bucket number of a bucket record id; -1 unless canonical. */
static long bucket_of_id(const char *id)
{
	long b = 0;
	for (int i = 0; i < 4 && b >= 0; i++) {
		char c = id[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
					       : -1;
		b = v < 0 ? -1 : b * 16 + v;
	}
	if (b >= 0 && (id[4] != '\0' || b >= (long)KW_MANIFEST_BUCKETS))
		b = -1;
	return b;
}

static kw_rc bucket_of(const kw_barrier_keys *k, uint32_t type, const char *id,
		       uint32_t *out)
{
	uint8_t buf[1 + 4 + KW_STORE_ID_MAX];
	uint8_t mac[32];
	size_t n = strlen(id);

	buf[0] = 0x01;
	kw_be32_put(buf + 1, type);
	memcpy(buf + 5, id, n);
	kw_rc rc = kw_barrier_mac(k->manifest, buf, 5 + n, mac);
	if (rc == KW_OK)
		*out = kw_be32_get(mac) % KW_MANIFEST_BUCKETS;
	return rc;
}

/* H(b) = HMAC(manifest key, 0x02 || b (u32 BE) || SHA-256(plain)). */
static kw_rc bucket_digest(const kw_barrier_keys *k, uint32_t b,
			   const uint8_t *plain, size_t len,
			   uint8_t out[static 32])
{
	uint8_t buf[1 + 4 + 32];
	uint8_t md[KW_DIGEST_MAX];
	size_t md_len = 0;

	kw_rc rc = kw_digest(KW_HASH_SHA256, plain, len, md, &md_len);
	if (rc != KW_OK)
		goto out;
	buf[0] = 0x02;
	kw_be32_put(buf + 1, b);
	memcpy(buf + 5, md, 32);
	rc = kw_barrier_mac(k->manifest, buf, sizeof(buf), out);
out:
	return rc;
}

/* One entry of a bucket plaintext (or the entry looked for). */
typedef struct entry {
	uint32_t type;
	const uint8_t *id;
	size_t id_len;
	uint64_t version;
	size_t size; /* bytes in the plaintext */
} entry;

/* Parses the entry at p[off..len); false if it is malformed. */
static bool entry_parse(const uint8_t *p, size_t len, size_t off, entry *e)
{
	bool ok = len - off >= ENTRY_FIXED;
	if (ok) {
		e->type = kw_be32_get(p + off);
		e->id_len = p[off + 4];
		e->id = p + off + 5;
		ok = e->id_len >= 1 && e->id_len <= KW_STORE_ID_MAX &&
		     len - off - ENTRY_FIXED >= e->id_len;
	}
	for (size_t i = 0; ok && i < e->id_len; i++)
		ok = e->id[i] >= 0x21 && e->id[i] <= 0x7e;
	if (ok) {
		e->version = kw_be64_get(e->id + e->id_len);
		e->size = ENTRY_FIXED + e->id_len;
		ok = e->version != 0;
	}
	return ok;
}

/* Order of entries: type, then id bytes, then id length. */
static int entry_cmp(const entry *a, const entry *b)
{
	int c = a->type < b->type ? -1 : a->type > b->type ? 1 : 0;
	if (c == 0)
		c = memcmp(a->id, b->id,
			   a->id_len < b->id_len ? a->id_len : b->id_len);
	if (c == 0)
		c = a->id_len < b->id_len ? -1 : a->id_len > b->id_len ? 1 : 0;
	return c;
}

kw_rc kw_manifest_bucket_scan(const uint8_t *p, size_t len, uint32_t type,
			      const char *id, uint64_t *out_version,
			      size_t *out_pos, size_t *out_end,
			      uint64_t *out_count)
{
	kw_rc rc = KW_E_INTEGRITY;
	entry want = {type, (const uint8_t *)id, id ? strlen(id) : 0, 0, 0};
	entry e, prev;
	size_t off = 1, pos = len, end = len;
	uint64_t version = 0, count = 0;
	bool placed = id == NULL;

	if (p == NULL || len < 1 || p[0] != BUCKET_FORMAT)
		goto out;
	while (off < len) {
		if (!entry_parse(p, len, off, &e))
			goto out;
		if (count > 0 && entry_cmp(&prev, &e) >= 0)
			goto out; /* not strictly ascending */
		int c = placed ? -1 : entry_cmp(&e, &want);
		if (c >= 0) {
			placed = true;
			pos = end = off;
			if (c == 0) {
				version = e.version;
				end = off + e.size;
			}
		}
		prev = e;
		off += e.size;
		count++;
	}
	if (out_version)
		*out_version = version;
	if (out_pos)
		*out_pos = pos;
	if (out_end)
		*out_end = end;
	if (out_count)
		*out_count = count;
	rc = KW_OK;
out:
	return rc;
}

kw_rc kw_manifest_root_decode(const uint8_t *p, size_t len,
			      kw_manifest_root *out)
{
	kw_rc rc = KW_E_INVALID;
	if (p == NULL || out == NULL)
		goto out;
	rc = KW_E_INTEGRITY;
	if (len != KW_MANIFEST_ROOT_LEN || p[0] != ROOT_FORMAT)
		goto out;
	memcpy(out->acc, p + 1, 32);
	out->counter = kw_be64_get(p + 33);
	out->buckets = kw_be64_get(p + 41);
	out->records = kw_be64_get(p + 49);
	rc = KW_OK;
out:
	return rc;
}

static void root_encode(const kw_manifest_root *r,
			uint8_t p[static KW_MANIFEST_ROOT_LEN])
{
	p[0] = ROOT_FORMAT;
	memcpy(p + 1, r->acc, 32);
	kw_be64_put(p + 33, r->counter);
	kw_be64_put(p + 41, r->buckets);
	kw_be64_put(p + 49, r->records);
}

/* Seals plain as the record (type, id, version) without tags and puts it
 * over expected_version. */
static kw_rc sealed_put(const kw_barrier_keys *k, kw_store_txn *t,
			uint32_t type, const char *id, uint64_t expected,
			const uint8_t *plain, size_t len)
{
	kw_store_rec rec;
	kw_seal_ident ident = {type, id, expected + 1, NULL, NULL};
	memset(&rec, 0, sizeof(rec));
	rec.type = type;
	snprintf(rec.id, sizeof(rec.id), "%s", id);
	rec.version = expected + 1;
	kw_rc rc = kw_barrier_data_seal(k->record, &ident, plain, len,
					&rec.data, &rec.data_len);
	if (rc == KW_OK)
		rc = kw_store_rec_put(t, &rec, expected);
	free(rec.data);
	return rc;
}

/* Gets and opens a barrier-internal record. KW_E_NOT_FOUND if absent. */
static kw_rc sealed_get(const kw_barrier_keys *k, kw_store_txn *t,
			uint32_t type, const char *id, kw_secret **out_plain,
			uint64_t *out_version)
{
	kw_store_rec rec;
	kw_seal_ident ident;
	memset(&rec, 0, sizeof(rec));
	kw_rc rc = kw_store_rec_get(t, type, id, &rec);
	if (rc != KW_OK)
		goto out;
	kw_seal_ident_of(&rec, &ident);
	rc = kw_barrier_data_open(k->record, &ident, rec.data, rec.data_len,
				  out_plain);
	if (rc != KW_OK)
		goto out;
	*out_version = rec.version;
out:
	kw_store_rec_clear(&rec);
	return rc;
}

static kw_rc root_load(const kw_barrier_keys *k, kw_store_txn *t,
		       kw_manifest_root *out, uint64_t *out_version)
{
	kw_secret *plain = NULL;
	kw_rc rc = sealed_get(k, t, KW_REC_META, KW_BARRIER_ROOT_ID, &plain,
			      out_version);
	if (rc == KW_E_NOT_FOUND) {
		KW_LOG_ERROR("the manifest root record is missing");
		rc = KW_E_INTEGRITY;
	}
	if (rc == KW_OK)
		rc = kw_manifest_root_decode(plain->data, plain->len, out);
	kw_secret_free(plain);
	return rc;
}

kw_rc kw_manifest_root_create(const kw_barrier_keys *k, kw_store_txn *t)
{
	kw_manifest_root r;
	uint8_t p[KW_MANIFEST_ROOT_LEN];
	memset(&r, 0, sizeof(r));
	root_encode(&r, p);
	return sealed_put(k, t, KW_REC_META, KW_BARRIER_ROOT_ID, 0, p,
			  sizeof(p));
}

kw_rc kw_manifest_edit_begin(const kw_barrier_keys *k, kw_store_txn *t,
			     uint32_t type, const char *id,
			     kw_manifest_edit *out)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_manifest_edit e;
	char bid[5];

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.id = id;
	rc = bucket_of(k, type, id, &e.bucket);
	if (rc != KW_OK)
		goto out;
	bucket_id(e.bucket, bid);
	rc = sealed_get(k, t, KW_REC_BUCKET, bid, &e.plain, &e.bucket_version);
	if (rc == KW_E_NOT_FOUND) {
		static const uint8_t empty = BUCKET_FORMAT;
		e.bucket_version = 0;
		rc = kw_secret_from(&empty, 1, &e.plain);
	}
	if (rc != KW_OK)
		goto out;
	rc = kw_manifest_bucket_scan(e.plain->data, e.plain->len, type, id,
				     &e.version, &e.pos, &e.end, NULL);
	if (rc != KW_OK) {
		KW_LOG_ERROR("manifest bucket %s does not parse", bid);
		goto out;
	}
	*out = e;
	e.plain = NULL;
out:
	kw_secret_free(e.plain);
	return rc;
}

void kw_manifest_edit_clear(kw_manifest_edit *e)
{
	if (e == NULL)
		return;
	kw_secret_free(e->plain);
	memset(e, 0, sizeof(*e));
}

/* The bucket plaintext with the entry of e set to version (0: removed). */
static kw_rc bucket_rebuild(const kw_manifest_edit *e, uint64_t version,
			    kw_secret **out)
{
	size_t id_len = strlen(e->id);
	size_t add = version ? ENTRY_FIXED + id_len : 0;
	size_t len = e->plain->len - (e->end - e->pos) + add;
	kw_secret *s = NULL;
	kw_rc rc = kw_secret_new(len, &s);
	if (rc != KW_OK)
		goto out;
	uint8_t *p = s->data;
	memcpy(p, e->plain->data, e->pos);
	p += e->pos;
	if (version) {
		kw_be32_put(p, e->type);
		p[4] = (uint8_t)id_len;
		memcpy(p + 5, e->id, id_len);
		kw_be64_put(p + 5 + id_len, version);
		p += add;
	}
	memcpy(p, e->plain->data + e->end, e->plain->len - e->end);
	*out = s;
out:
	return rc;
}

static void xor32(uint8_t *acc, const uint8_t *d)
{
	for (int i = 0; i < 32; i++)
		acc[i] ^= d[i];
}

kw_rc kw_manifest_edit_commit(const kw_barrier_keys *k, kw_store_txn *t,
			      kw_manifest_edit *e, uint64_t new_version)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_secret *plain = NULL;
	kw_manifest_root root;
	uint64_t root_version = 0;
	uint8_t d[32], rp[KW_MANIFEST_ROOT_LEN];
	char bid[5];

	rc = bucket_rebuild(e, new_version, &plain);
	if (rc != KW_OK)
		goto out;
	rc = root_load(k, t, &root, &root_version);
	if (rc != KW_OK)
		goto out;
	if (e->bucket_version != 0) {
		rc = bucket_digest(k, e->bucket, e->plain->data, e->plain->len,
				   d);
		if (rc != KW_OK)
			goto out;
		xor32(root.acc, d);
	} else {
		root.buckets++;
	}
	rc = bucket_digest(k, e->bucket, plain->data, plain->len, d);
	if (rc != KW_OK)
		goto out;
	xor32(root.acc, d);
	if (e->version == 0 && new_version != 0)
		root.records++;
	else if (e->version != 0 && new_version == 0)
		root.records--;
	root.counter++;

	bucket_id(e->bucket, bid);
	rc = sealed_put(k, t, KW_REC_BUCKET, bid, e->bucket_version,
			plain->data, plain->len);
	if (rc != KW_OK)
		goto out;
	root_encode(&root, rp);
	rc = sealed_put(k, t, KW_REC_META, KW_BARRIER_ROOT_ID, root_version, rp,
			sizeof(rp));
out:
	kw_secret_free(plain);
	return rc;
}

kw_rc kw_manifest_check(const kw_barrier_keys *k, kw_store_txn *t,
			uint32_t type, const char *id, uint64_t version)
{
	kw_manifest_edit e;
	kw_rc rc = kw_manifest_edit_begin(k, t, type, id, &e);
	if (rc != KW_OK)
		goto out;
	if (e.version != version) {
		KW_LOG_WARN("record %" PRIu32
			    "/%s: the store has version %" PRIu64
			    " (0: no row), its manifest %" PRIu64
			    " (0: none): rolled back, revived or deleted",
			    type, id, version, e.version);
		rc = KW_E_INTEGRITY;
	}
	kw_manifest_edit_clear(&e);
out:
	return rc;
}

/* State of kw_manifest_verify over the bucket records. */
typedef struct verify_ctx {
	const kw_barrier_keys *k;
	kw_manifest_root sum;
} verify_ctx;

static kw_rc verify_bucket(const kw_store_rec *rec, void *arg)
{
	verify_ctx *v = arg;
	kw_seal_ident ident;
	kw_secret *plain = NULL;
	uint64_t count = 0;
	uint8_t d[32];

	kw_rc rc = KW_E_INTEGRITY;
	long b = bucket_of_id(rec->id);
	kw_seal_ident_of(rec, &ident);
	if (b >= 0)
		rc = kw_barrier_data_open(v->k->record, &ident, rec->data,
					  rec->data_len, &plain);
	if (rc == KW_OK)
		rc = kw_manifest_bucket_scan(plain->data, plain->len, 0, NULL,
					     NULL, NULL, NULL, &count);
	if (rc == KW_OK)
		rc = bucket_digest(v->k, (uint32_t)b, plain->data, plain->len,
				   d);
	if (rc == KW_OK) {
		xor32(v->sum.acc, d);
		v->sum.buckets++;
		v->sum.records += count;
	} else {
		KW_LOG_ERROR("manifest bucket %s fails to open", rec->id);
	}
	kw_secret_free(plain);
	return rc;
}

kw_rc kw_manifest_verify(const kw_barrier_keys *k, kw_store_txn *t)
{
	kw_rc rc = KW_E_INTERNAL;
	verify_ctx v;
	kw_manifest_root root;
	uint64_t root_version = 0;

	memset(&v, 0, sizeof(v));
	v.k = k;
	rc = kw_store_rec_list(t, KW_REC_BUCKET, NULL, NULL, 0, verify_bucket,
			       &v);
	if (rc != KW_OK)
		goto out;
	rc = root_load(k, t, &root, &root_version);
	if (rc != KW_OK)
		goto out;
	if (!kw_ct_equal(root.acc, v.sum.acc, sizeof(root.acc)) ||
	    root.buckets != v.sum.buckets || root.records != v.sum.records) {
		KW_LOG_ERROR(
			"the manifest root (change %" PRIu64 ", %" PRIu64
			" buckets, %" PRIu64
			" records) does not match the stored buckets (%" PRIu64
			" buckets, %" PRIu64
			" records): the store was rolled back or edited",
			root.counter, root.buckets, root.records, v.sum.buckets,
			v.sum.records);
		rc = KW_E_INTEGRITY;
		goto out;
	}
	KW_LOG_DEBUG("manifests verified: %" PRIu64 " buckets, %" PRIu64
		     " records, change %" PRIu64,
		     v.sum.buckets, v.sum.records, root.counter);
	rc = KW_OK;
out:
	return rc;
}
