/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/internal.h"
#include "util/codec.h"
#include "util/tlv.h"

/*
 * The header codec and the keyless check of a file's structure. Every
 * parser here reads untrusted bytes: each length is checked against what
 * is left before it is used.
 *
 * Header TLV items, each exactly once and in this order:
 *   1 format (u64)        2 instance id (16)    3 created (i64)
 *   4 keying (u64)        5 salt (32)           6 split id (8)
 *   7 N (u64)             8 M (u64)             9 chunk size (u64)
 *  10 records (u64)      11 audit entries (u64)
 *  12 counts by type: (u32 type, u64 count) for each type with records,
 *     ascending type     13 software version (string)
 */
enum {
	T_FORMAT = 1,
	T_INSTANCE = 2,
	T_CREATED = 3,
	T_KEYING = 4,
	T_SALT = 5,
	T_SPLIT = 6,
	T_SHARES = 7,
	T_THRESHOLD = 8,
	T_CHUNK = 9,
	T_RECORDS = 10,
	T_AUDIT = 11,
	T_TYPES = 12,
	T_VERSION = 13,
};

#define TYPE_ENTRY_LEN 12

void bk_why(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;
	if (why == NULL || why_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

const char *kw_backup_keying_name(kw_backup_keying k)
{
	switch (k) {
	case KW_BACKUP_KEYING_MASTER:
		return "master";
	case KW_BACKUP_KEYING_CUSTODIANS:
		return "custodians";
	}
	return NULL;
}

kw_rc kw_backup_keying_parse(const char *name, kw_backup_keying *out)
{
	kw_rc rc = KW_E_INVALID;
	if (name == NULL || out == NULL)
		goto out;
	if (strcmp(name, "master") == 0) {
		*out = KW_BACKUP_KEYING_MASTER;
		rc = KW_OK;
	} else if (strcmp(name, "custodians") == 0) {
		*out = KW_BACKUP_KEYING_CUSTODIANS;
		rc = KW_OK;
	}
out:
	return rc;
}

const char *kw_backup_type_name(uint32_t type)
{
	static const char *const names[] = {
		[KW_REC_META] = "instance",
		[KW_REC_BUCKET] = "manifests",
		[KW_REC_PARTITION] = "partitions",
		[KW_REC_KEY] = "keys",
		[KW_REC_PRINCIPAL] = "principals",
		[KW_REC_TOKEN] = "tokens",
		[KW_REC_POLICY] = "policies",
		[KW_REC_APPROVAL] = "approvals",
		[KW_REC_OBJECT] = "objects",
		[KW_REC_CA] = "ca",
		[KW_REC_CERT] = "certs",
		[KW_REC_AGENT] = "agents",
	};
	if (type >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[type];
}

kw_rc bk_header_encode(const bk_header *h, uint8_t **out, size_t *out_len)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_tlv_writer w;
	kw_secret *enc = NULL;
	uint8_t *types = NULL, *res = NULL;
	size_t nt = 0;

	types = malloc((KW_REC_TYPE_MAX_ + 1) * TYPE_ENTRY_LEN);
	if (types == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	for (uint32_t t = 1; t <= KW_REC_TYPE_MAX_; t++) {
		if (h->by_type[t] == 0)
			continue;
		bk_be32_put(types + nt * TYPE_ENTRY_LEN, t);
		bk_be64_put(types + nt * TYPE_ENTRY_LEN + 4, h->by_type[t]);
		nt++;
	}
	kw_tlv_writer_init(&w);
	kw_tlv_put_u64(&w, T_FORMAT, h->format);
	kw_tlv_put_bytes(&w, T_INSTANCE, h->instance_id, BK_INSTANCE_LEN);
	kw_tlv_put_i64(&w, T_CREATED, h->created);
	kw_tlv_put_u64(&w, T_KEYING, h->keying);
	kw_tlv_put_bytes(&w, T_SALT, h->salt, BK_SALT_LEN);
	kw_tlv_put_bytes(&w, T_SPLIT, h->split_id, BK_SPLIT_LEN);
	kw_tlv_put_u64(&w, T_SHARES, h->shares);
	kw_tlv_put_u64(&w, T_THRESHOLD, h->threshold);
	kw_tlv_put_u64(&w, T_CHUNK, h->chunk_size);
	kw_tlv_put_u64(&w, T_RECORDS, h->records);
	kw_tlv_put_u64(&w, T_AUDIT, h->audit_entries);
	kw_tlv_put_bytes(&w, T_TYPES, types, nt * TYPE_ENTRY_LEN);
	kw_tlv_put_str(&w, T_VERSION, h->version);
	rc = kw_tlv_writer_finish(&w, &enc);
	kw_tlv_writer_clear(&w);
	if (rc != KW_OK)
		goto out;
	res = malloc(enc->len);
	if (res == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	memcpy(res, enc->data, enc->len);
	*out = res;
	*out_len = enc->len;
	res = NULL;
out:
	free(types);
	free(res);
	kw_secret_free(enc);
	return rc;
}

/* The next item, which must have tag `tag` and, if len != 0, that length. */
static bool next_item(kw_tlv_reader *r, uint16_t tag, size_t len,
		      kw_tlv_item *it)
{
	return kw_tlv_next(r, it) == KW_OK && it->tag == tag &&
	       (len == 0 || it->len == len);
}

static bool next_u64(kw_tlv_reader *r, uint16_t tag, uint64_t *out)
{
	kw_tlv_item it;
	return next_item(r, tag, 0, &it) && kw_tlv_item_u64(&it, out) == KW_OK;
}

static bool next_bytes(kw_tlv_reader *r, uint16_t tag, void *out, size_t len)
{
	kw_tlv_item it;
	if (!next_item(r, tag, len, &it))
		return false;
	memcpy(out, it.val, len);
	return true;
}

/* Item 12: ascending types, non-zero counts that add up to records. */
static bool types_decode(const kw_tlv_item *it, bk_header *h)
{
	uint64_t sum = 0;
	uint32_t prev = 0;
	if (it->len % TYPE_ENTRY_LEN != 0)
		return false;
	for (size_t i = 0; i < it->len; i += TYPE_ENTRY_LEN) {
		uint32_t t = bk_be32_get(it->val + i);
		uint64_t n = bk_be64_get(it->val + i + 4);
		if (t <= prev || t > KW_REC_TYPE_MAX_ || n == 0 ||
		    n > UINT64_MAX - sum)
			return false;
		h->by_type[t] = n;
		sum += n;
		prev = t;
	}
	return sum == h->records;
}

kw_rc bk_header_decode(const uint8_t *p, size_t len, bk_header *out)
{
	kw_rc rc = KW_E_INTEGRITY;
	kw_tlv_reader r;
	kw_tlv_item it;
	bk_header *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return KW_E_NOMEM;
	kw_tlv_reader_init(&r, p, len);
	if (!next_u64(&r, T_FORMAT, &h->format))
		goto out;
	if (h->format != KW_BACKUP_FORMAT) {
		rc = h->format > KW_BACKUP_FORMAT ? KW_E_UNSUPPORTED
						  : KW_E_INTEGRITY;
		goto out;
	}
	if (!next_bytes(&r, T_INSTANCE, h->instance_id, BK_INSTANCE_LEN) ||
	    !next_item(&r, T_CREATED, 0, &it) ||
	    kw_tlv_item_i64(&it, &h->created) != KW_OK ||
	    !next_u64(&r, T_KEYING, &h->keying) ||
	    !next_bytes(&r, T_SALT, h->salt, BK_SALT_LEN) ||
	    !next_bytes(&r, T_SPLIT, h->split_id, BK_SPLIT_LEN) ||
	    !next_u64(&r, T_SHARES, &h->shares) ||
	    !next_u64(&r, T_THRESHOLD, &h->threshold) ||
	    !next_u64(&r, T_CHUNK, &h->chunk_size) ||
	    !next_u64(&r, T_RECORDS, &h->records) ||
	    !next_u64(&r, T_AUDIT, &h->audit_entries) ||
	    !next_item(&r, T_TYPES, 0, &it) || !types_decode(&it, h) ||
	    !next_item(&r, T_VERSION, 0, &it) ||
	    kw_tlv_item_str(&it, h->version, sizeof(h->version) - 1) != KW_OK)
		goto out;
	if (kw_tlv_next(&r, &it) != KW_E_NOT_FOUND)
		goto out;
	if ((h->keying != KW_BACKUP_KEYING_MASTER &&
	     h->keying != KW_BACKUP_KEYING_CUSTODIANS) ||
	    h->threshold < 1 || h->threshold > h->shares ||
	    h->shares > KW_SHARES_MAX || h->chunk_size < KW_BACKUP_CHUNK_MIN ||
	    h->chunk_size > KW_BACKUP_CHUNK_MAX)
		goto out;
	*out = *h;
	rc = KW_OK;
out:
	free(h);
	return rc;
}

/* SHA-256 of file[off, off + len) compared with want. */
static kw_rc digest_check(const uint8_t *p, size_t len,
			  const uint8_t want[static BK_SHA_LEN], bool *ok)
{
	uint8_t md[KW_DIGEST_MAX];
	size_t md_len = 0;
	kw_rc rc = kw_digest(KW_HASH_SHA256, p, len, md, &md_len);
	if (rc == KW_OK)
		*ok = md_len == BK_SHA_LEN && memcmp(md, want, BK_SHA_LEN) == 0;
	return rc;
}

/* The header part: magic, length, header, MAC. */
static kw_rc layout_head(bk_layout *l, char *why, size_t why_len)
{
	kw_rc rc = KW_E_INVALID;
	const uint8_t *f = l->file;
	if (l->len < BK_MAGIC_LEN + 4 ||
	    memcmp(f, BK_MAGIC, BK_MAGIC_LEN) != 0) {
		bk_why(why, why_len, "not a keywarden backup file");
		goto out;
	}
	rc = KW_E_INTEGRITY;
	uint32_t hlen = bk_be32_get(f + BK_MAGIC_LEN);
	if (hlen == 0 || hlen > BK_HEADER_MAX ||
	    l->len - BK_MAGIC_LEN - 4 < (size_t)hlen + BK_MAC_LEN) {
		bk_why(why, why_len, "truncated or damaged header");
		goto out;
	}
	rc = bk_header_decode(f + BK_MAGIC_LEN + 4, hlen, &l->h);
	if (rc == KW_E_UNSUPPORTED) {
		bk_why(why, why_len, "backup format newer than this keywarden");
		goto out;
	}
	if (rc != KW_OK) {
		bk_why(why, why_len, "damaged header");
		goto out;
	}
	l->mac_off = BK_MAGIC_LEN + 4 + hlen;
	l->chunks_off = l->mac_off + BK_MAC_LEN;
	size_t md_len = 0;
	uint8_t md[KW_DIGEST_MAX];
	rc = kw_digest(KW_HASH_SHA256, f, l->chunks_off, md, &md_len);
	if (rc == KW_OK)
		memcpy(l->aad_digest, md, BK_SHA_LEN);
out:
	return rc;
}

/* The trailer: count, per-chunk digests, whole-file digest. */
static kw_rc layout_trailer(bk_layout *l, uint64_t walked, char *why,
			    size_t why_len)
{
	kw_rc rc = KW_E_INTEGRITY;
	const uint8_t *t = l->file + l->trailer_off;
	size_t left = l->len - l->trailer_off;

	if (left < BK_MAGIC_LEN + 8 + BK_SHA_LEN ||
	    memcmp(t, BK_TRAIL_MAGIC, BK_MAGIC_LEN) != 0) {
		bk_why(why, why_len, "truncated: the trailer is missing");
		goto out;
	}
	uint64_t n = bk_be64_get(t + BK_MAGIC_LEN);
	if (n != walked || n > (left - BK_MAGIC_LEN - 8) / BK_SHA_LEN ||
	    left != BK_MAGIC_LEN + 8 + (n + 1) * BK_SHA_LEN) {
		bk_why(why, why_len,
		       "truncated or damaged: %llu chunks found, the trailer "
		       "lists another number",
		       (unsigned long long)walked);
		goto out;
	}
	l->chunks = n;
	rc = KW_OK;
out:
	return rc;
}

/* The manifest: each chunk's SHA-256 (to name a damaged one), then the
 * whole file's (header and trailer included). */
static kw_rc layout_digests(const bk_layout *l, char *why, size_t why_len)
{
	const uint8_t *file = l->file;
	size_t off = l->chunks_off;
	bool ok = false;
	kw_rc rc = KW_OK;

	for (uint64_t i = 0; i < l->chunks && rc == KW_OK; i++) {
		size_t rlen = 4 + (size_t)bk_be32_get(file + off);
		const uint8_t *want = file + l->trailer_off + BK_MAGIC_LEN + 8 +
				      i * BK_SHA_LEN;
		rc = digest_check(file + off, rlen, want, &ok);
		if (rc == KW_OK && !ok) {
			rc = KW_E_INTEGRITY;
			bk_why(why, why_len,
			       "damaged: chunk %llu of %llu fails its SHA-256",
			       (unsigned long long)i + 1,
			       (unsigned long long)l->chunks);
		}
		off += rlen;
	}
	if (rc == KW_OK)
		rc = digest_check(file, l->len - BK_SHA_LEN,
				  file + l->len - BK_SHA_LEN, &ok);
	if (rc == KW_OK && !ok) {
		rc = KW_E_INTEGRITY;
		bk_why(why, why_len,
		       "damaged: the file's SHA-256 does not match (header "
		       "or trailer)");
	}
	return rc;
}

kw_rc bk_layout_parse(const uint8_t *file, size_t len, bk_layout *out,
		      char *why, size_t why_len)
{
	kw_rc rc = KW_E_INVALID;
	bk_layout *l = calloc(1, sizeof(*l));
	uint64_t walked = 0;
	size_t off;

	if (l == NULL)
		return KW_E_NOMEM;
	if (file == NULL || out == NULL) {
		bk_why(why, why_len, "no file");
		goto out;
	}
	l->file = file;
	l->len = len;
	rc = layout_head(l, why, why_len);
	if (rc != KW_OK)
		goto out;
	/* Chunk records until the trailer's magic, which no chunk length can
	 * look like ("KWBT" is far above any chunk size). */
	rc = KW_E_INTEGRITY;
	off = l->chunks_off;
	for (;;) {
		if (len - off < 4) {
			bk_why(why, why_len, "truncated after chunk %llu",
			       (unsigned long long)walked);
			goto out;
		}
		if (memcmp(file + off, BK_TRAIL_MAGIC, 4) == 0)
			break;
		uint32_t clen = bk_be32_get(file + off);
		if (clen < KW_GCM_TAG_LEN ||
		    clen > l->h.chunk_size + KW_GCM_TAG_LEN ||
		    len - off - 4 < clen) {
			bk_why(why, why_len, "chunk %llu is damaged or cut off",
			       (unsigned long long)walked + 1);
			goto out;
		}
		off += 4 + (size_t)clen;
		walked++;
	}
	l->trailer_off = off;
	rc = layout_trailer(l, walked, why, why_len);
	if (rc != KW_OK)
		goto out;
	if (walked == 0) {
		rc = KW_E_INTEGRITY;
		bk_why(why, why_len, "no chunks");
		goto out;
	}
	rc = layout_digests(l, why, why_len);
	if (rc != KW_OK)
		goto out;
	*out = *l;
	rc = KW_OK;
out:
	free(l);
	return rc;
}

void bk_info_from_header(const bk_layout *l, kw_backup_info *out)
{
	const bk_header *h = &l->h;
	memset(out, 0, sizeof(*out));
	out->format = (unsigned)h->format;
	kw_hex_encode(h->instance_id, BK_INSTANCE_LEN, out->instance_id);
	out->created = h->created;
	out->keying = (kw_backup_keying)h->keying;
	out->shares = (unsigned)h->shares;
	out->threshold = (unsigned)h->threshold;
	if (h->keying == KW_BACKUP_KEYING_CUSTODIANS)
		kw_hex_encode(h->split_id, BK_SPLIT_LEN, out->split_id);
	memcpy(out->version, h->version, sizeof(out->version));
	out->records = h->records;
	memcpy(out->by_type, h->by_type, sizeof(out->by_type));
	out->audit_entries = h->audit_entries;
	out->chunks = l->chunks;
	out->size = l->len;
}

kw_rc kw_backup_inspect(const uint8_t *file, size_t len, kw_backup_info *out,
			char *why, size_t why_len)
{
	bk_layout *l = calloc(1, sizeof(*l));
	kw_rc rc = KW_E_NOMEM;
	if (l == NULL)
		goto out;
	rc = bk_layout_parse(file, len, l, why, why_len);
	if (rc == KW_OK && out != NULL)
		bk_info_from_header(l, out);
out:
	free(l);
	return rc;
}
