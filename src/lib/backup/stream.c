/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "backup/internal.h"

/*
 * The encrypted payload: a stream of items (u8 kind, u32 body length,
 * body) cut into chunks of chunk_size plaintext bytes, each sealed with
 * AES-256-GCM (nonce 0^4 || u64 index; AAD: the header digest, index,
 * final flag). Items span chunks freely. The plaintext buffers are
 * kw_secret: the custodians' MASTER item is key material.
 */

#define AAD_LEN (BK_SHA_LEN + 8 + 1)

static void chunk_iv_aad(const uint8_t digest[static BK_SHA_LEN],
			 uint64_t index, bool final,
			 uint8_t iv[static KW_GCM_IV_LEN],
			 uint8_t aad[static AAD_LEN])
{
	memset(iv, 0, 4);
	bk_be64_put(iv + 4, index);
	memcpy(aad, digest, BK_SHA_LEN);
	bk_be64_put(aad + BK_SHA_LEN, index);
	aad[BK_SHA_LEN + 8] = final ? 1 : 0;
}

/* ---- writer --------------------------------------------------------------- */

struct bk_writer {
	const kw_backup_key *k;
	kw_backup_write_fn write;
	void *arg;
	kw_secret *buf; /* one chunk of plaintext */
	size_t used;
	uint64_t index;
	uint64_t size;
	kw_digest_ctx *file_md;
	uint8_t *chunk_mds; /* BK_SHA_LEN per chunk written */
	size_t chunk_mds_cap;
};

kw_rc bk_writer_new(const kw_backup_key *k, size_t chunk_size,
		    kw_backup_write_fn write, void *arg, bk_writer **out)
{
	kw_rc rc = KW_E_NOMEM;
	bk_writer *w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto out;
	w->k = k;
	w->write = write;
	w->arg = arg;
	rc = kw_secret_new(chunk_size, &w->buf);
	if (rc == KW_OK)
		rc = kw_digest_ctx_new(KW_HASH_SHA256, &w->file_md);
	if (rc != KW_OK)
		goto out;
	*out = w;
	w = NULL;
out:
	bk_writer_free(w);
	return rc;
}

void bk_writer_free(bk_writer *w)
{
	if (w == NULL)
		return;
	kw_secret_free(w->buf);
	kw_digest_ctx_free(w->file_md);
	free(w->chunk_mds);
	free(w);
}

kw_rc bk_writer_raw(bk_writer *w, const void *p, size_t len)
{
	kw_rc rc = kw_digest_ctx_update(w->file_md, p, len);
	if (rc == KW_OK)
		rc = w->write(w->arg, p, len);
	if (rc == KW_OK)
		w->size += len;
	return rc;
}

/* Remembers the SHA-256 of one chunk record for the trailer. */
static kw_rc chunk_md_add(bk_writer *w, const uint8_t *rec, size_t len)
{
	uint8_t md[KW_DIGEST_MAX];
	size_t md_len = 0;
	if (w->index >= w->chunk_mds_cap) {
		size_t cap = w->chunk_mds_cap != 0 ? w->chunk_mds_cap * 2 : 64;
		uint8_t *n = realloc(w->chunk_mds, cap * BK_SHA_LEN);
		if (n == NULL)
			return KW_E_NOMEM;
		w->chunk_mds = n;
		w->chunk_mds_cap = cap;
	}
	kw_rc rc = kw_digest(KW_HASH_SHA256, rec, len, md, &md_len);
	if (rc == KW_OK)
		memcpy(w->chunk_mds + w->index * BK_SHA_LEN, md, BK_SHA_LEN);
	return rc;
}

/* Seals the buffered plaintext as chunk w->index and writes it. */
static kw_rc chunk_flush(bk_writer *w, bool final)
{
	uint8_t iv[KW_GCM_IV_LEN], aad[AAD_LEN];
	uint8_t *ct = NULL;
	size_t ct_len = 0;

	chunk_iv_aad(w->k->aad_digest, w->index, final, iv, aad);
	kw_rc rc = kw_ckey_gcm_encrypt(w->k->enc, iv, aad, sizeof(aad),
				       w->buf->data, w->used, &ct, &ct_len);
	if (rc != KW_OK)
		goto out;
	/* The output is iv || ciphertext || tag; the record drops the iv
	 * (it is the index) and takes a length instead. */
	rc = KW_E_INTERNAL;
	if (ct_len != KW_GCM_IV_LEN + w->used + KW_GCM_TAG_LEN)
		goto out;
	uint8_t *rec = ct + KW_GCM_IV_LEN - 4;
	size_t rec_len = 4 + w->used + KW_GCM_TAG_LEN;
	bk_be32_put(rec, (uint32_t)(w->used + KW_GCM_TAG_LEN));
	rc = chunk_md_add(w, rec, rec_len);
	if (rc == KW_OK)
		rc = bk_writer_raw(w, rec, rec_len);
	if (rc != KW_OK)
		goto out;
	w->index++;
	w->used = 0;
out:
	free(ct);
	return rc;
}

/* A full chunk is flushed only when more follows, so the last chunk is
 * always written by finish with the final flag. */
kw_rc bk_writer_plain(bk_writer *w, const void *p, size_t len)
{
	kw_rc rc = KW_OK;
	const uint8_t *s = p;
	while (len > 0 && rc == KW_OK) {
		if (w->used == w->buf->len) {
			rc = chunk_flush(w, false);
			continue;
		}
		size_t n = w->buf->len - w->used;
		n = n < len ? n : len;
		memcpy(w->buf->data + w->used, s, n);
		w->used += n;
		s += n;
		len -= n;
	}
	return rc;
}

kw_rc bk_writer_item(bk_writer *w, uint8_t kind, const void *a, size_t a_len,
		     const void *b, size_t b_len)
{
	uint8_t hdr[BK_ITEM_HDR_LEN];
	if (a_len + b_len > BK_ITEM_MAX)
		return KW_E_LIMIT;
	hdr[0] = kind;
	bk_be32_put(hdr + 1, (uint32_t)(a_len + b_len));
	kw_rc rc = bk_writer_plain(w, hdr, sizeof(hdr));
	if (rc == KW_OK && a_len > 0)
		rc = bk_writer_plain(w, a, a_len);
	if (rc == KW_OK && b_len > 0)
		rc = bk_writer_plain(w, b, b_len);
	return rc;
}

kw_rc bk_writer_finish(bk_writer *w, uint64_t *out_chunks, uint64_t *out_size)
{
	uint8_t head[BK_MAGIC_LEN + 8];
	uint8_t md[KW_DIGEST_MAX];
	size_t md_len = 0;

	kw_rc rc = chunk_flush(w, true);
	if (rc != KW_OK)
		goto out;
	memcpy(head, BK_TRAIL_MAGIC, BK_MAGIC_LEN);
	bk_be64_put(head + BK_MAGIC_LEN, w->index);
	rc = bk_writer_raw(w, head, sizeof(head));
	if (rc == KW_OK)
		rc = bk_writer_raw(w, w->chunk_mds, w->index * BK_SHA_LEN);
	if (rc == KW_OK)
		rc = kw_digest_ctx_final(w->file_md, md, &md_len);
	if (rc != KW_OK)
		goto out;
	rc = w->write(w->arg, md, BK_SHA_LEN);
	if (rc != KW_OK)
		goto out;
	*out_chunks = w->index;
	*out_size = w->size + BK_SHA_LEN;
out:
	return rc;
}

/* ---- reader --------------------------------------------------------------- */

struct bk_reader {
	const bk_layout *l;
	const kw_backup_key *k;
	uint64_t index; /* next chunk to open */
	size_t off;	/* its record in the file */
	kw_secret *pt;	/* the open chunk's plaintext */
	size_t pos;
	/* The current item's body: key material (MASTER) in a secret, any
	 * other item (up to 16 MiB: kept off the secure heap) in body. */
	kw_secret *secret;
	uint8_t *body;
	size_t body_cap;
};

kw_rc bk_reader_new(const bk_layout *l, const kw_backup_key *k, bk_reader **out)
{
	bk_reader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return KW_E_NOMEM;
	r->l = l;
	r->k = k;
	r->off = l->chunks_off;
	*out = r;
	return KW_OK;
}

void bk_reader_free(bk_reader *r)
{
	if (r == NULL)
		return;
	kw_secret_free(r->pt);
	kw_secret_free(r->secret);
	free(r->body);
	free(r);
}

/* Opens the next chunk. KW_E_NOT_FOUND when there is none. */
static kw_rc chunk_open(bk_reader *r, char *why, size_t why_len)
{
	kw_rc rc = KW_E_NOT_FOUND;
	uint8_t *in = NULL;
	uint8_t aad[AAD_LEN];

	if (r->index >= r->l->chunks)
		goto out;
	/* The layout was parsed: the record is in bounds. */
	uint32_t clen = bk_be32_get(r->l->file + r->off);
	rc = KW_E_NOMEM;
	in = malloc(KW_GCM_IV_LEN + (size_t)clen);
	if (in == NULL)
		goto out;
	chunk_iv_aad(r->k->aad_digest, r->index, r->index + 1 == r->l->chunks,
		     in, aad);
	memcpy(in + KW_GCM_IV_LEN, r->l->file + r->off + 4, clen);
	kw_secret_free(r->pt);
	r->pt = NULL;
	rc = kw_ckey_gcm_decrypt(r->k->enc, aad, sizeof(aad), in,
				 KW_GCM_IV_LEN + (size_t)clen, &r->pt);
	if (rc != KW_OK) {
		rc = KW_E_VERIFY;
		bk_why(why, why_len,
		       "chunk %llu of %llu fails authentication (edited, "
		       "moved, or the last chunks are missing)",
		       (unsigned long long)r->index + 1,
		       (unsigned long long)r->l->chunks);
		goto out;
	}
	r->off += 4 + (size_t)clen;
	r->index++;
	r->pos = 0;
out:
	free(in);
	return rc;
}

/* Reads exactly len plaintext bytes into dst. KW_E_NOT_FOUND at a clean
 * end (nothing read), KW_E_INTEGRITY when the stream ends inside. */
static kw_rc take(bk_reader *r, uint8_t *dst, size_t len, char *why,
		  size_t why_len)
{
	size_t got = 0;
	while (got < len) {
		if (r->pt == NULL || r->pos == r->pt->len) {
			kw_rc rc = chunk_open(r, why, why_len);
			if (rc == KW_E_NOT_FOUND && got > 0) {
				bk_why(why, why_len,
				       "the payload ends inside an item");
				rc = KW_E_INTEGRITY;
			}
			if (rc != KW_OK)
				return rc;
			continue;
		}
		size_t n = r->pt->len - r->pos;
		n = n < len - got ? n : len - got;
		memcpy(dst + got, r->pt->data + r->pos, n);
		r->pos += n;
		got += n;
	}
	return KW_OK;
}

kw_rc bk_reader_next(bk_reader *r, uint8_t *out_kind, const uint8_t **out_body,
		     size_t *out_len, char *why, size_t why_len)
{
	uint8_t hdr[BK_ITEM_HDR_LEN];
	kw_rc rc = take(r, hdr, sizeof(hdr), why, why_len);
	if (rc != KW_OK)
		goto out;
	uint32_t len = bk_be32_get(hdr + 1);
	if (len > BK_ITEM_MAX) {
		rc = KW_E_INTEGRITY;
		bk_why(why, why_len, "an item is larger than any record");
		goto out;
	}
	uint8_t *dst = NULL;
	kw_secret_free(r->secret);
	r->secret = NULL;
	if (hdr[0] == BK_ITEM_MASTER) {
		rc = kw_secret_new(len, &r->secret);
		if (rc != KW_OK)
			goto out;
		dst = r->secret->data;
	} else {
		if (len > r->body_cap) {
			uint8_t *n = realloc(r->body, len);
			if (n == NULL) {
				rc = KW_E_NOMEM;
				goto out;
			}
			r->body = n;
			r->body_cap = len;
		}
		dst = r->body;
	}
	rc = take(r, dst, len, why, why_len);
	if (rc == KW_E_NOT_FOUND && len > 0) {
		rc = KW_E_INTEGRITY;
		bk_why(why, why_len, "the payload ends inside an item");
	}
	if (rc != KW_OK)
		goto out;
	*out_kind = hdr[0];
	*out_body = dst;
	*out_len = len;
out:
	return rc;
}

/* ---- RECORD items ----------------------------------------------------------- */

/* Head: u32 type | u64 version | u8 flags (1 group, 2 lookup) | group? |
 * lookup? | u8 id length | id; the data follows to the end of the body. */
kw_rc bk_record_encode_head(const kw_store_rec *rec, uint8_t *out,
			    size_t *out_len)
{
	size_t n = 0, id_len = strlen(rec->id);
	bk_be32_put(out, rec->type);
	bk_be64_put(out + 4, rec->version);
	out[12] =
		(uint8_t)((rec->has_group ? 1 : 0) | (rec->has_lookup ? 2 : 0));
	n = 13;
	if (rec->has_group) {
		memcpy(out + n, rec->group, KW_STORE_TAG_LEN);
		n += KW_STORE_TAG_LEN;
	}
	if (rec->has_lookup) {
		memcpy(out + n, rec->lookup, KW_STORE_TAG_LEN);
		n += KW_STORE_TAG_LEN;
	}
	out[n++] = (uint8_t)id_len;
	memcpy(out + n, rec->id, id_len);
	*out_len = n + id_len;
	return KW_OK;
}

kw_rc bk_record_decode(const uint8_t *p, size_t len, kw_store_rec *out)
{
	kw_rc rc = KW_E_INTEGRITY;
	kw_store_rec r;
	size_t n = 13;

	memset(&r, 0, sizeof(r));
	if (len < n + 1)
		goto out;
	r.type = bk_be32_get(p);
	r.version = bk_be64_get(p + 4);
	uint8_t flags = p[12];
	if (r.type < 1 || r.type > KW_REC_TYPE_MAX_ || r.version < 1 ||
	    r.version > INT64_MAX || (flags & ~3u) != 0)
		goto out;
	r.has_group = (flags & 1) != 0;
	r.has_lookup = (flags & 2) != 0;
	size_t need = n + (r.has_group ? KW_STORE_TAG_LEN : 0) +
		      (r.has_lookup ? KW_STORE_TAG_LEN : 0) + 1;
	if (len < need)
		goto out;
	if (r.has_group) {
		memcpy(r.group, p + n, KW_STORE_TAG_LEN);
		n += KW_STORE_TAG_LEN;
	}
	if (r.has_lookup) {
		memcpy(r.lookup, p + n, KW_STORE_TAG_LEN);
		n += KW_STORE_TAG_LEN;
	}
	size_t id_len = p[n++];
	if (id_len < 1 || id_len > KW_STORE_ID_MAX || len - n < id_len)
		goto out;
	memcpy(r.id, p + n, id_len);
	n += id_len;
	if (!kw_store_id_valid(r.id) || len - n > KW_STORE_DATA_MAX)
		goto out;
	r.data = len > n ? (uint8_t *)(p + n) : NULL;
	r.data_len = len - n;
	*out = r;
	rc = KW_OK;
out:
	return rc;
}
