/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "backup"

#include <stdlib.h>
#include <string.h>

#include "backup/internal.h"
#include "keywarden/log.h"
#include "util/codec.h"

/*
 * The keyed check and the restore share one walk over the decrypted items,
 * which enforces the payload's grammar:
 *     [MASTER (custodians only, first)] RECORD* AUDIT* END
 * records in ascending (type, id) (so no record appears twice), audit
 * entries numbered 1, 2, ... and an END whose counts match both what was
 * read and the header. A restore writes each item into the target's one
 * write transaction as it goes, and commits only after END checked out.
 */

typedef struct walk walk;
struct walk {
	const bk_layout *l;
	uint64_t records, audit;
	uint64_t by_type[KW_REC_TYPE_MAX_ + 1];
	uint32_t last_type;
	char last_id[KW_STORE_ID_MAX + 1];
	kw_secret *master; /* custodians: from the MASTER item */
	kw_rc (*on_record)(walk *w, const kw_store_rec *rec);
	kw_rc (*on_audit)(walk *w, uint64_t seq, const uint8_t *e, size_t len);
	void *arg;
	char *why;
	size_t why_len;
};

static kw_rc bad(walk *w, const char *what)
{
	bk_why(w->why, w->why_len, "malformed payload: %s", what);
	return KW_E_INTEGRITY;
}

static kw_rc walk_record(walk *w, const uint8_t *body, size_t len)
{
	kw_store_rec rec;
	kw_rc rc = bk_record_decode(body, len, &rec);
	if (rc != KW_OK)
		return bad(w, "a record item");
	if (w->audit != 0)
		return bad(w, "a record after the audit trail");
	if (rec.type < w->last_type ||
	    (rec.type == w->last_type && strcmp(rec.id, w->last_id) <= 0))
		return bad(w, "records out of order or repeated");
	w->last_type = rec.type;
	memcpy(w->last_id, rec.id, sizeof(w->last_id));
	w->records++;
	w->by_type[rec.type]++;
	return w->on_record != NULL ? w->on_record(w, &rec) : KW_OK;
}

static kw_rc walk_audit(walk *w, const uint8_t *body, size_t len)
{
	if (len < 9)
		return bad(w, "an audit item");
	uint64_t seq = bk_be64_get(body);
	if (seq != w->audit + 1)
		return bad(w, "audit entries out of order");
	w->audit++;
	return w->on_audit != NULL ? w->on_audit(w, seq, body + 8, len - 8)
				   : KW_OK;
}

static kw_rc walk_end(walk *w, const uint8_t *body, size_t len)
{
	const bk_header *h = &w->l->h;
	if (len != 16)
		return bad(w, "the end marker");
	if (bk_be64_get(body) != w->records ||
	    bk_be64_get(body + 8) != w->audit || w->records != h->records ||
	    w->audit != h->audit_entries ||
	    memcmp(w->by_type, h->by_type, sizeof(w->by_type)) != 0) {
		bk_why(w->why, w->why_len,
		       "incomplete: %llu records and %llu audit entries "
		       "found, the header says %llu and %llu",
		       (unsigned long long)w->records,
		       (unsigned long long)w->audit,
		       (unsigned long long)h->records,
		       (unsigned long long)h->audit_entries);
		return KW_E_INTEGRITY;
	}
	return KW_OK;
}

static kw_rc walk_run(walk *w, const kw_backup_key *k)
{
	bk_reader *r = NULL;
	bool first = true, ended = false;
	uint8_t kind = 0;
	const uint8_t *body = NULL;
	size_t len = 0;
	bool custodians = w->l->h.keying == KW_BACKUP_KEYING_CUSTODIANS;

	kw_rc rc = bk_reader_new(w->l, k, &r);
	while (rc == KW_OK) {
		rc = bk_reader_next(r, &kind, &body, &len, w->why, w->why_len);
		if (rc == KW_E_NOT_FOUND && ended) {
			rc = KW_OK;
			break;
		}
		if (rc == KW_E_NOT_FOUND)
			rc = bad(w, "the end marker is missing");
		if (rc != KW_OK)
			break;
		if (ended) {
			rc = bad(w, "data after the end marker");
		} else if (first && custodians) {
			if (kind != BK_ITEM_MASTER || len != KW_MASTER_KEY_LEN)
				rc = bad(w, "no master key item");
			else
				rc = kw_secret_from(body, len, &w->master);
		} else if (kind == BK_ITEM_RECORD) {
			rc = walk_record(w, body, len);
		} else if (kind == BK_ITEM_AUDIT) {
			rc = walk_audit(w, body, len);
		} else if (kind == BK_ITEM_END) {
			rc = walk_end(w, body, len);
			ended = true;
		} else {
			rc = bad(w, "an unknown item");
		}
		first = false;
	}
	bk_reader_free(r);
	return rc;
}

/* Parses file and checks that k was made for it. */
static kw_rc open_file(const uint8_t *file, size_t len, const kw_backup_key *k,
		       bk_layout *l, char *why, size_t why_len)
{
	kw_rc rc = KW_E_INVALID;
	if (k == NULL)
		goto out;
	rc = bk_layout_parse(file, len, l, why, why_len);
	if (rc != KW_OK)
		goto out;
	if (memcmp(k->aad_digest, l->aad_digest, BK_SHA_LEN) != 0) {
		rc = KW_E_INVALID;
		bk_why(why, why_len, "the key was made for another file");
	}
out:
	return rc;
}

/* open_file, and w set up for the file. */
static kw_rc walk_open(const uint8_t *file, size_t len, const kw_backup_key *k,
		       bk_layout *l, walk *w, char *why, size_t why_len)
{
	kw_rc rc = open_file(file, len, k, l, why, why_len);
	if (rc == KW_OK) {
		w->l = l;
		w->why = why;
		w->why_len = why_len;
	}
	return rc;
}

static void info_counts(const walk *w, kw_backup_info *out)
{
	bk_info_from_header(w->l, out);
	out->authenticated = true;
}

kw_rc kw_backup_verify(const uint8_t *file, size_t len, const kw_backup_key *k,
		       kw_backup_info *out, char *why, size_t why_len)
{
	bk_layout *l = calloc(1, sizeof(*l));
	walk *w = calloc(1, sizeof(*w));
	kw_rc rc = KW_E_NOMEM;

	if (l == NULL || w == NULL)
		goto out;
	rc = walk_open(file, len, k, l, w, why, why_len);
	if (rc != KW_OK)
		goto out;
	rc = walk_run(w, k);
	if (rc == KW_OK && out != NULL)
		info_counts(w, out);
out:
	if (w != NULL)
		kw_secret_free(w->master);
	free(w);
	free(l);
	return rc;
}

/* ---- restore ------------------------------------------------------------ */

typedef struct load {
	kw_store_txn *target;
	kw_store_txn *live; /* running restore: the live store, read */
	uint64_t live_meta; /* instance records of the backup matched */
	bool barrier_seen;
} load;

static bool is_id(const kw_store_rec *rec, uint32_t type, const char *id)
{
	return rec->type == type && strcmp(rec->id, id) == 0;
}

/* Running restore: instance records other than the barrier's must be as
 * in the live store; the barrier metadata is the live one. */
static kw_rc live_meta(walk *w, load *ld, const kw_store_rec *rec,
		       kw_store_rec *cur)
{
	kw_rc rc = kw_store_rec_get(ld->live, rec->type, rec->id, cur);
	if (rc == KW_E_NOT_FOUND ||
	    (rc == KW_OK && cur->version != rec->version &&
	     !is_id(rec, KW_REC_META, BK_META_BARRIER))) {
		bk_why(w->why, w->why_len,
		       "the instance record \"%s\" changed since this backup "
		       "(e.g. the audit key was rotated): restore it into a "
		       "new instance instead",
		       rec->id);
		rc = KW_E_CONFLICT;
	}
	if (rc == KW_OK && !is_id(rec, KW_REC_META, BK_META_BARRIER))
		ld->live_meta++;
	return rc;
}

static kw_rc load_record(walk *w, const kw_store_rec *rec)
{
	load *ld = w->arg;
	kw_store_rec cur;
	kw_rc rc = KW_OK;

	memset(&cur, 0, sizeof(cur));
	if (ld->live != NULL && rec->type == KW_REC_META &&
	    !is_id(rec, KW_REC_META, BK_META_ROOT)) {
		rc = live_meta(w, ld, rec, &cur);
		if (rc != KW_OK)
			goto out;
		if (is_id(rec, KW_REC_META, BK_META_BARRIER)) {
			ld->barrier_seen = true;
			rc = kw_store_rec_load(ld->target, &cur);
			goto out;
		}
	}
	rc = kw_store_rec_load(ld->target, rec);
out:
	if (rc == KW_E_STORAGE || rc == KW_E_NOMEM)
		bk_why(w->why, w->why_len,
		       "cannot write the restored database (%s: disk full or "
		       "failing); nothing was changed",
		       kw_rc_str(rc));
	kw_store_rec_clear(&cur);
	return rc;
}

typedef struct cmp {
	const uint8_t *e;
	size_t len;
	bool same;
} cmp;

static kw_rc cmp_entry(uint64_t seq, const uint8_t *entry, size_t len,
		       void *arg)
{
	cmp *c = arg;
	(void)seq;
	c->same = len == c->len && memcmp(entry, c->e, len) == 0;
	return KW_OK;
}

static kw_rc load_audit(walk *w, uint64_t seq, const uint8_t *e, size_t len)
{
	load *ld = w->arg;
	kw_rc rc;
	if (ld->live == NULL) {
		rc = kw_store_audit_append(ld->target, seq, e, len);
		if (rc == KW_E_STORAGE)
			bk_why(w->why, w->why_len,
			       "cannot write the restored audit trail (disk "
			       "full or failing); nothing was changed");
		return rc;
	}
	/* A rollback keeps the live trail: the backup's must be its
	 * beginning, entry for entry. */
	cmp c = {.e = e, .len = len, .same = false};
	rc = kw_store_audit_read(ld->live, seq, 1, cmp_entry, &c);
	if (rc == KW_OK && !c.same) {
		bk_why(w->why, w->why_len,
		       "the backup's audit trail differs from this instance's "
		       "at entry %llu",
		       (unsigned long long)seq);
		rc = KW_E_CONFLICT;
	}
	return rc;
}

static kw_rc copy_entry(uint64_t seq, const uint8_t *entry, size_t len,
			void *arg)
{
	return kw_store_audit_append(arg, seq, entry, len);
}

static kw_rc count_meta(const kw_store_rec *rec, void *arg)
{
	uint64_t *n = arg;
	if (!is_id(rec, KW_REC_META, BK_META_BARRIER) &&
	    !is_id(rec, KW_REC_META, BK_META_ROOT))
		(*n)++;
	return KW_OK;
}

/* Running restore, after the walk: the same instance records on both sides,
 * then the whole live trail. */
static kw_rc live_finish(walk *w, load *ld)
{
	uint64_t n = 0;
	kw_rc rc = kw_store_rec_list(ld->live, KW_REC_META, NULL, NULL, 0,
				     count_meta, &n);
	if (rc != KW_OK)
		goto out;
	if (n != ld->live_meta || !ld->barrier_seen) {
		rc = KW_E_CONFLICT;
		bk_why(w->why, w->why_len,
		       "the instance records changed since this backup: "
		       "restore it into a new instance instead");
		goto out;
	}
	rc = kw_store_audit_read(ld->live, 1, 0, copy_entry, ld->target);
out:
	return rc;
}

/* The target must hold nothing at all. */
static kw_rc target_empty(kw_store_txn *t)
{
	uint64_t n = 0, sum = 0;
	kw_rc rc = KW_OK;
	for (uint32_t type = 1; type <= KW_REC_TYPE_MAX_ && rc == KW_OK;
	     type++) {
		rc = kw_store_rec_count(t, type, NULL, &n);
		sum += n;
	}
	if (rc == KW_OK)
		rc = kw_store_audit_last(t, &n);
	if (rc == KW_OK && (sum != 0 || n != 0))
		rc = KW_E_EXISTS;
	return rc;
}

/* Opens the target's write transaction (and the live read one). */
static kw_rc load_begin(walk *w, load *ld, kw_store *target,
			const kw_backup_restore_params *p)
{
	char hex[2 * BK_INSTANCE_LEN + 1];
	kw_rc rc = KW_OK;

	if (p != NULL && p->live != NULL) {
		kw_hex_encode(w->l->h.instance_id, BK_INSTANCE_LEN, hex);
		if (p->live_instance_id == NULL ||
		    strcmp(p->live_instance_id, hex) != 0) {
			bk_why(w->why, w->why_len,
			       "this backup is of instance %s: restore it into "
			       "a new instance",
			       hex);
			return KW_E_DENIED;
		}
		rc = kw_store_txn_begin(p->live, false, &ld->live);
	}
	if (rc == KW_OK)
		rc = kw_store_txn_begin(target, true, &ld->target);
	if (rc == KW_OK)
		rc = target_empty(ld->target);
	if (rc == KW_E_EXISTS)
		bk_why(w->why, w->why_len, "the target store is not empty");
	return rc;
}

kw_rc kw_backup_restore(const uint8_t *file, size_t len, const kw_backup_key *k,
			kw_store *target, const kw_backup_restore_params *p,
			kw_backup_info *out_info, kw_secret **out_master,
			char *why, size_t why_len)
{
	kw_rc rc = KW_E_NOMEM;
	bk_layout *l = calloc(1, sizeof(*l));
	walk *w = calloc(1, sizeof(*w));
	load ld = {0};
	kw_secret *master = NULL;

	if (l == NULL || w == NULL)
		goto out;
	rc = KW_E_INVALID;
	if (target == NULL || out_master == NULL)
		goto out;
	rc = walk_open(file, len, k, l, w, why, why_len);
	if (rc != KW_OK)
		goto out;
	w->on_record = load_record;
	w->on_audit = load_audit;
	w->arg = &ld;
	rc = load_begin(w, &ld, target, p);
	if (rc == KW_OK)
		rc = walk_run(w, k);
	if (rc == KW_OK && ld.live != NULL)
		rc = live_finish(w, &ld);
	if (rc != KW_OK)
		goto out;
	const kw_secret *m = k->master != NULL ? k->master : w->master;
	rc = KW_E_INTERNAL;
	if (m == NULL)
		goto out;
	rc = kw_secret_from(m->data, m->len, &master);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_txn_commit(ld.target);
	ld.target = NULL;
	if (rc != KW_OK) {
		bk_why(why, why_len,
		       "cannot commit the restored database (%s: disk full or "
		       "failing); nothing was changed",
		       kw_rc_str(rc));
		goto out;
	}
	if (out_info != NULL)
		info_counts(w, out_info);
	*out_master = master;
	master = NULL;
	KW_LOG_INFO("restored %llu records and %llu audit entries",
		    (unsigned long long)w->records,
		    (unsigned long long)w->audit);
out:
	kw_store_txn_abort(ld.target);
	kw_store_txn_abort(ld.live);
	kw_secret_free(master);
	if (w != NULL)
		kw_secret_free(w->master);
	free(w);
	free(l);
	return rc;
}
