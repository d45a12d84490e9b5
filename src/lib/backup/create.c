/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "backup"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup/internal.h"
#include "keywarden/log.h"
#include "kw_config.h"
#include "util/codec.h"

/*
 * The snapshot. Everything is read in one read transaction of the store,
 * so the backup is one consistent state even while writers go on (SQLite
 * WAL: readers never block writers). Records are copied as stored: they
 * stay sealed by the barrier inside the backup's own encryption, and their
 * versions and index tags survive, so a restored instance opens them with
 * the same master key and its manifests still agree.
 */

typedef struct snap {
	bk_writer *w;
	uint64_t records;
	uint64_t audit;
	uint64_t by_type[KW_REC_TYPE_MAX_ + 1];
} snap;

static kw_rc snap_record(const kw_store_rec *rec, void *arg)
{
	snap *s = arg;
	uint8_t head[BK_RECORD_HEAD_MAX];
	size_t n = 0;
	kw_rc rc = bk_record_encode_head(rec, head, &n);
	if (rc == KW_OK)
		rc = bk_writer_item(s->w, BK_ITEM_RECORD, head, n, rec->data,
				    rec->data_len);
	if (rc == KW_OK) {
		s->records++;
		s->by_type[rec->type]++;
	}
	return rc;
}

static kw_rc snap_audit(uint64_t seq, const uint8_t *entry, size_t len,
			void *arg)
{
	snap *s = arg;
	uint8_t be[8];
	/* The store numbers entries 1, 2, ... without gaps. */
	if (seq != s->audit + 1)
		return KW_E_INTERNAL;
	bk_be64_put(be, seq);
	kw_rc rc =
		bk_writer_item(s->w, BK_ITEM_AUDIT, be, sizeof(be), entry, len);
	if (rc == KW_OK)
		s->audit++;
	return rc;
}

/* Counts of every record type and of the trail, in t. */
static kw_rc counts_read(kw_store_txn *t, bk_header *h)
{
	kw_rc rc = KW_OK;
	for (uint32_t type = 1; type <= KW_REC_TYPE_MAX_ && rc == KW_OK;
	     type++) {
		rc = kw_store_rec_count(t, type, NULL, &h->by_type[type]);
		h->records += h->by_type[type];
	}
	if (rc == KW_OK)
		rc = kw_store_audit_last(t, &h->audit_entries);
	return rc;
}

static bool params_valid(const kw_backup_params *p)
{
	if (p->chunk_size != 0 && (p->chunk_size < KW_BACKUP_CHUNK_MIN ||
				   p->chunk_size > KW_BACKUP_CHUNK_MAX))
		return false;
	if (p->keying == KW_BACKUP_KEYING_MASTER)
		return true;
	return p->keying == KW_BACKUP_KEYING_CUSTODIANS && p->threshold >= 1 &&
	       p->threshold <= p->shares && p->shares <= KW_SHARES_MAX;
}

/* The header fields that do not come from the store. */
static kw_rc header_fill(kw_barrier *b, const kw_backup_params *p, bk_header *h)
{
	kw_barrier_status st;
	kw_rc rc = kw_barrier_status_get(b, &st);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOT_INITIALIZED;
	if (!st.initialized)
		goto out;
	rc = kw_hex_decode(st.instance_id, strlen(st.instance_id),
			   h->instance_id);
	if (rc != KW_OK || strlen(st.instance_id) != 2 * BK_INSTANCE_LEN) {
		rc = KW_E_INTERNAL;
		goto out;
	}
	h->format = KW_BACKUP_FORMAT;
	h->created = p->now != 0 ? p->now : (int64_t)time(NULL);
	h->keying = p->keying;
	h->shares =
		p->keying == KW_BACKUP_KEYING_MASTER ? st.shares : p->shares;
	h->threshold = p->keying == KW_BACKUP_KEYING_MASTER ? st.threshold
							    : p->threshold;
	h->chunk_size =
		p->chunk_size != 0 ? p->chunk_size : KW_BACKUP_CHUNK_DEFAULT;
	snprintf(h->version, sizeof(h->version), "%s", KW_VERSION);
	rc = kw_random(h->salt, sizeof(h->salt));
out:
	return rc;
}

/* The base key: the master key, or a fresh backup key split among the
 * custodians (h->split_id set). */
static kw_rc base_make(const kw_backup_params *p, const kw_secret *master,
		       bk_header *h, kw_secret **out_base,
		       kw_secret ***out_shares)
{
	kw_rc rc;
	if (p->keying == KW_BACKUP_KEYING_MASTER)
		return kw_secret_from(master->data, master->len, out_base);
	rc = kw_secret_new(KW_MASTER_KEY_LEN, out_base);
	if (rc == KW_OK)
		rc = kw_random((*out_base)->data, (*out_base)->len);
	if (rc == KW_OK)
		rc = bk_shares_split(*out_base, p->shares, p->threshold,
				     h->split_id, out_shares);
	return rc;
}

kw_rc bk_head_write(bk_writer *w, kw_backup_key *k, const bk_header *h)
{
	uint8_t *enc = NULL, *head = NULL;
	size_t enc_len = 0, md_len = 0;
	uint8_t md[KW_DIGEST_MAX];
	kw_rc rc = bk_header_encode(h, &enc, &enc_len);
	if (rc != KW_OK)
		goto out;
	size_t n = BK_MAGIC_LEN + 4 + enc_len;
	rc = KW_E_NOMEM;
	head = malloc(n + BK_MAC_LEN);
	if (head == NULL)
		goto out;
	memcpy(head, BK_MAGIC, BK_MAGIC_LEN);
	bk_be32_put(head + BK_MAGIC_LEN, (uint32_t)enc_len);
	memcpy(head + BK_MAGIC_LEN + 4, enc, enc_len);
	rc = bk_header_mac(k, head, n, head + n);
	if (rc == KW_OK)
		rc = kw_digest(KW_HASH_SHA256, head, n + BK_MAC_LEN, md,
			       &md_len);
	if (rc != KW_OK)
		goto out;
	memcpy(k->aad_digest, md, BK_SHA_LEN);
	rc = bk_writer_raw(w, head, n + BK_MAC_LEN);
out:
	free(enc);
	free(head);
	return rc;
}

kw_rc kw_backup_create(kw_store *s, kw_barrier *b, const kw_backup_params *p,
		       kw_backup_write_fn write, void *arg,
		       kw_backup_info *out_info, kw_secret ***out_shares)
{
	kw_rc rc = KW_E_INVALID;
	bk_header *h = calloc(1, sizeof(*h));
	snap *sn = calloc(1, sizeof(*sn));
	kw_store_txn *t = NULL;
	kw_secret *master = NULL, *base = NULL;
	kw_secret **shares = NULL;
	kw_backup_key *k = NULL;
	uint64_t chunks = 0, size = 0;
	uint8_t end[16];

	if (h == NULL || sn == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	if (s == NULL || b == NULL || p == NULL || write == NULL ||
	    !params_valid(p) ||
	    (p->keying == KW_BACKUP_KEYING_CUSTODIANS && out_shares == NULL))
		goto out;
	rc = header_fill(b, p, h);
	if (rc == KW_OK)
		rc = kw_barrier_master_export(b, &master);
	if (rc == KW_OK)
		rc = base_make(p, master, h, &base, &shares);
	if (rc == KW_OK)
		rc = bk_key_derive(base, h->salt, &k);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_txn_begin(s, false, &t);
	if (rc == KW_OK)
		rc = counts_read(t, h);
	if (rc == KW_OK)
		rc = bk_writer_new(k, h->chunk_size, write, arg, &sn->w);
	if (rc == KW_OK)
		rc = bk_head_write(sn->w, k, h);
	if (rc == KW_OK && p->keying == KW_BACKUP_KEYING_CUSTODIANS)
		rc = bk_writer_item(sn->w, BK_ITEM_MASTER, master->data,
				    master->len, NULL, 0);
	for (uint32_t type = 1; type <= KW_REC_TYPE_MAX_ && rc == KW_OK; type++)
		if (h->by_type[type] != 0)
			rc = kw_store_rec_list(t, type, NULL, NULL, 0,
					       snap_record, sn);
	if (rc == KW_OK && h->audit_entries != 0)
		rc = kw_store_audit_read(t, 1, 0, snap_audit, sn);
	if (rc != KW_OK)
		goto out;
	/* Same transaction: the listing must agree with the counts. */
	if (sn->records != h->records || sn->audit != h->audit_entries ||
	    memcmp(sn->by_type, h->by_type, sizeof(h->by_type)) != 0) {
		KW_LOG_ERROR("snapshot listing disagrees with its counts");
		rc = KW_E_INTERNAL;
		goto out;
	}
	bk_be64_put(end, sn->records);
	bk_be64_put(end + 8, sn->audit);
	rc = bk_writer_item(sn->w, BK_ITEM_END, end, sizeof(end), NULL, 0);
	if (rc == KW_OK)
		rc = bk_writer_finish(sn->w, &chunks, &size);
	if (rc != KW_OK)
		goto out;
	if (out_info != NULL) {
		bk_layout l;
		memset(&l, 0, sizeof(l));
		l.h = *h;
		l.chunks = chunks;
		l.len = size;
		bk_info_from_header(&l, out_info);
		out_info->authenticated = true;
	}
	if (out_shares != NULL)
		*out_shares = shares;
	shares = NULL;
	KW_LOG_INFO("backup written: %llu records, %llu audit entries, "
		    "%llu bytes",
		    (unsigned long long)h->records,
		    (unsigned long long)h->audit_entries,
		    (unsigned long long)size);
out:
	kw_store_txn_abort(t);
	if (sn != NULL)
		bk_writer_free(sn->w);
	kw_barrier_shares_free(shares, p != NULL ? p->shares : 0);
	kw_backup_key_free(k);
	kw_secret_free(base);
	kw_secret_free(master);
	free(sn);
	free(h);
	return rc;
}
