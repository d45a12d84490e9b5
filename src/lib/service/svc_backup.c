/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "service"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "service/internal.h"
#include "service/svc_backup.h"
#include "util/codec.h"

/*
 * Backups and restores (docs/backup.md). A restore never writes into the
 * live database: it builds a complete new one next to it
 * ("<store>.restore", one write transaction), and kw_svc_backup_apply
 * swaps it in with one rename once the daemon has drained every request.
 * Until the rename the live database is untouched; after it the new one is
 * in place whole.
 */

/* A restore prepared and not yet applied (svc->restore). */
struct svc_restore {
	bool ready; /* the new database is complete (atomic) */
	char fresh[PATH_MAX];
	kw_secret *master;
	bool running;	   /* the live trail continues in the new one */
	uint64_t copied;   /* running: live entries copied when prepared */
	uint64_t replaced; /* new instance: entries of the trail replaced */
	kw_backup_info info;
	char sha256[2 * 32 + 1];
};

static void restore_free(struct svc_restore *p)
{
	if (p == NULL)
		return;
	kw_secret_free(p->master);
	free(p);
}

void svc_backup_forget(kw_service *svc)
{
	restore_free(svc->restore);
	svc->restore = NULL;
}

bool kw_svc_backup_pending(kw_service *svc)
{
	struct svc_restore *p =
		svc != NULL ? __atomic_load_n(&svc->restore, __ATOMIC_ACQUIRE)
			    : NULL;
	return p != NULL && __atomic_load_n(&p->ready, __ATOMIC_ACQUIRE);
}

/* One restore at a time: svc->restore is claimed (not ready) while one is
 * prepared, by whichever request gets there first. */
static bool restore_claim(kw_service *svc, struct svc_restore *p)
{
	struct svc_restore *none = NULL;
	return __atomic_compare_exchange_n(&svc->restore, &none, p, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void sha256_hex(const uint8_t *p, size_t len, char out[static 65])
{
	uint8_t md[KW_DIGEST_MAX];
	size_t n = 0;
	out[0] = '\0';
	if (kw_digest(KW_HASH_SHA256, p, len, md, &n) == KW_OK)
		kw_hex_encode(md, n, out);
}

/* The backup module's codes in the API's terms (a damaged upload is the
 * client's input, not the server's integrity), with why as the reason. */
static kw_rc backup_reason(kw_svc_call *c, kw_rc rc, const char *why)
{
	if (rc == KW_E_INTEGRITY)
		rc = KW_E_INVALID;
	if (rc != KW_OK && why[0] != '\0' &&
	    (rc == KW_E_STORAGE || rc == KW_E_NOMEM))
		svc_reason(c, "%s", why);
	else if (rc != KW_OK && why[0] != '\0')
		svc_reason(c, "backup refused: %s", why);
	else if (rc == KW_E_SEALED)
		svc_reason(c, "the instance is sealed");
	return rc;
}

/* "{...}" summary of a backup for the audit detail (no secrets). */
static void detail_of(kw_svc_call *c, const kw_backup_info *i,
		      const char *sha256)
{
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"source\":\"%s\",\"created\":%lld,\"keying\":\"%s\","
		 "\"records\":%llu,\"audit_entries\":%llu,\"sha256\":\"%s\"}",
		 i->instance_id, (long long)i->created,
		 kw_backup_keying_name(i->keying) != NULL
			 ? kw_backup_keying_name(i->keying)
			 : "",
		 (unsigned long long)i->records,
		 (unsigned long long)i->audit_entries, sha256);
}

/* An event of the daemon itself (no caller), appended and waited for. */
static kw_rc daemon_event(kw_audit *a, const char *op, kw_audit_result res,
			  const char *reason, const char *detail)
{
	kw_audit_event ev = {
		.principal = "",
		.partition = "",
		.op = op,
		.result = res,
		.reason = reason,
		.request_id = "",
		.source = "daemon",
		.detail = detail,
	};
	uint64_t seq = 0;
	return kw_audit_append(a, &ev, &seq);
}

/* ---- create, verify -------------------------------------------------------- */

typedef struct membuf {
	uint8_t *p;
	size_t len, cap;
} membuf;

static kw_rc membuf_write(void *arg, const void *p, size_t len)
{
	membuf *b = arg;
	if (len > KW_BACKUP_FILE_MAX - b->len)
		return KW_E_LIMIT;
	if (b->len + len > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 65536;
		while (cap < b->len + len)
			cap *= 2;
		uint8_t *n = realloc(b->p, cap);
		if (n == NULL)
			return KW_E_NOMEM;
		b->p = n;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return KW_OK;
}

kw_rc kw_svc_backup_create(kw_service *svc, kw_svc_call *c,
			   const kw_backup_params *p, uint8_t **out,
			   size_t *out_len, kw_backup_info *out_info,
			   kw_secret ***out_shares)
{
	membuf b = {0};
	kw_backup_info info;
	char hex[65];
	kw_rc rc = svc_authorize(svc, c, KW_OP_BACKUP_CREATE, "");
	if (rc != KW_OK)
		goto out;
	rc = kw_backup_create(svc->store, svc->barrier, p, membuf_write, &b,
			      &info, out_shares);
	if (rc == KW_E_INVALID)
		svc_reason(c, "custodians: 1 <= threshold <= shares <= 255");
	else if (rc == KW_E_SEALED)
		svc_reason(c, "the instance is sealed");
	if (rc != KW_OK)
		goto out;
	sha256_hex(b.p, b.len, hex);
	detail_of(c, &info, hex);
	*out = b.p;
	*out_len = b.len;
	b.p = NULL;
	if (out_info != NULL)
		*out_info = info;
out:
	free(b.p);
	return rc;
}

/* The key of file: from shares, or (running instance, master keying) from
 * the barrier. */
static kw_rc open_key(kw_service *svc, const uint8_t *file, size_t len,
		      kw_secret *const *shares, size_t n, bool from_barrier,
		      kw_backup_key **out, char *why, size_t why_len)
{
	if (n > 0)
		return kw_backup_key_from_shares(file, len, shares, n, out, why,
						 why_len);
	if (from_barrier)
		return kw_backup_key_from_barrier(file, len, svc->barrier, out,
						  why, why_len);
	snprintf(why, why_len, "the shares that open the backup are needed");
	return KW_E_INVALID;
}

kw_rc kw_svc_backup_verify(kw_service *svc, kw_svc_call *c, const uint8_t *file,
			   size_t len, kw_secret *const *shares, size_t n,
			   kw_backup_info *out)
{
	char why[KW_BACKUP_WHY_MAX] = "", hex[65];
	kw_backup_key *k = NULL;
	kw_backup_info info;
	kw_rc rc;

	(void)svc;
	if (n == 0)
		rc = kw_backup_inspect(file, len, &info, why, sizeof(why));
	else
		rc = kw_backup_key_from_shares(file, len, shares, n, &k, why,
					       sizeof(why));
	if (rc == KW_OK && k != NULL)
		rc = kw_backup_verify(file, len, k, &info, why, sizeof(why));
	rc = backup_reason(c, rc, why);
	if (rc == KW_OK) {
		sha256_hex(file, len, hex);
		detail_of(c, &info, hex);
		*out = info;
	}
	kw_backup_key_free(k);
	return rc;
}

/* ---- restore: prepare ------------------------------------------------------ */

static void db_remove(const char *path)
{
	char p[PATH_MAX + 8];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static kw_rc store_open_at(const kw_service *svc, const char *path,
			   kw_store **out)
{
	kw_store_config cfg = svc->cfg.store;
	cfg.path = path;
	return kw_store_open(&cfg, out);
}

static kw_rc audit_count(kw_store *s, uint64_t *out)
{
	kw_store_txn *t = NULL;
	kw_rc rc = kw_store_txn_begin(s, false, &t);
	if (rc == KW_OK)
		rc = kw_store_audit_last(t, out);
	kw_store_txn_abort(t);
	return rc;
}

/* Splits the restored master key anew in the new database. */
static kw_rc rekey(kw_store *s, const kw_secret *master, unsigned n, unsigned m,
		   kw_secret ***out)
{
	kw_barrier *b = NULL;
	kw_rc rc = kw_barrier_open(s, &b);
	if (rc == KW_OK)
		rc = kw_barrier_unseal_with_key(b, master);
	if (rc == KW_OK)
		rc = kw_barrier_rekey(b, n, m, out);
	kw_barrier_free(b);
	return rc;
}

/* Writes the new database: everything from the backup (and, running, the
 * live trail), then the new split. */
static kw_rc prepare(kw_service *svc, kw_svc_call *c, const uint8_t *file,
		     size_t len, const kw_backup_key *k,
		     const kw_barrier_status *st, unsigned nn, unsigned nm,
		     struct svc_restore *p, kw_secret ***out_shares)
{
	kw_backup_restore_params rp = {.live = svc->store,
				       .live_instance_id = st->instance_id};
	char why[KW_BACKUP_WHY_MAX] = "";
	kw_store *fs = NULL;
	kw_rc rc = KW_E_INVALID;

	if (snprintf(p->fresh, sizeof(p->fresh), "%s.restore",
		     svc->cfg.store.path) >= (int)sizeof(p->fresh))
		goto out;
	p->running = st->initialized;
	db_remove(p->fresh);
	rc = store_open_at(svc, p->fresh, &fs);
	if (rc == KW_OK)
		rc = kw_backup_restore(file, len, k, fs,
				       p->running ? &rp : NULL, &p->info,
				       &p->master, why, sizeof(why));
	if (rc == KW_OK)
		rc = audit_count(p->running ? fs : svc->store,
				 p->running ? &p->copied : &p->replaced);
	if (rc == KW_OK && nn > 0)
		rc = rekey(fs, p->master, nn, nm, out_shares);
	rc = backup_reason(c, rc, why);
	if (rc == KW_E_STORAGE && why[0] == '\0')
		svc_reason(c, "cannot write the restored database (disk full "
			      "or failing); nothing was changed");
out:
	kw_store_close(fs);
	if (rc != KW_OK && p->fresh[0] != '\0')
		db_remove(p->fresh);
	return rc;
}

kw_rc kw_svc_backup_restore(kw_service *svc, kw_svc_call *c,
			    const uint8_t *file, size_t len,
			    kw_secret *const *shares, size_t n,
			    unsigned new_shares, unsigned new_threshold,
			    kw_backup_info *out_info, kw_secret ***out_shares,
			    unsigned *out_n)
{
	char why[KW_BACKUP_WHY_MAX] = "", params[160];
	struct svc_restore *p = calloc(1, sizeof(*p));
	bool claimed = false;
	kw_backup_key *k = NULL;
	kw_secret **ns = NULL;
	kw_barrier_status st;
	kw_backup_info info;
	const char *be = svc->cfg.store.backend;

	kw_rc rc = p != NULL ? kw_barrier_status_get(svc->barrier, &st)
			     : KW_E_NOMEM;
	if (rc == KW_OK && st.initialized)
		rc = svc_authorize(svc, c, KW_OP_BACKUP_RESTORE, "");
	if (rc != KW_OK)
		goto out;
	rc = KW_E_STATE;
	claimed = restore_claim(svc, p);
	if (!claimed) {
		svc_reason(c, "another restore is being prepared or applied");
		goto out;
	}
	rc = KW_E_UNSUPPORTED;
	if ((be != NULL && strcmp(be, "sqlite") != 0) ||
	    svc->cfg.store.path == NULL) {
		svc_reason(c, "restore needs the sqlite store");
		goto out;
	}
	rc = open_key(svc, file, len, shares, n, st.initialized, &k, why,
		      sizeof(why));
	if (rc == KW_OK)
		rc = kw_backup_verify(file, len, k, &info, why, sizeof(why));
	rc = backup_reason(c, rc, why);
	if (rc != KW_OK)
		goto out;
	sha256_hex(file, len, p->sha256);
	detail_of(c, &info, p->sha256);
	if (st.initialized) {
		snprintf(params, sizeof(params),
			 "{\"sha256\":\"%s\",\"source\":\"%s\"}", p->sha256,
			 info.instance_id);
		rc = svc_quorum_gate(svc, c, KW_QOP_BACKUP_RESTORE, "", NULL,
				     params);
		if (rc != KW_OK)
			goto out;
	}
	/* A custodians backup restores under a split of its own: the
	 * custodians' shares open backups, never the instance. */
	if (new_shares == 0 && info.keying == KW_BACKUP_KEYING_CUSTODIANS) {
		new_shares = info.shares;
		new_threshold = info.threshold;
	}
	rc = KW_E_INVALID;
	if (new_shares > KW_SHARES_MAX || new_threshold > new_shares ||
	    (new_shares > 0 && new_threshold == 0)) {
		svc_reason(c, "new split: 1 <= threshold <= shares <= 255");
		goto out;
	}
	rc = prepare(svc, c, file, len, k, &st, new_shares, new_threshold, p,
		     &ns);
	if (rc != KW_OK)
		goto out;
	if (out_info != NULL)
		*out_info = p->info;
	*out_shares = ns;
	*out_n = ns != NULL ? new_shares : 0;
	ns = NULL;
	KW_LOG_INFO("restore of a backup of instance %s prepared; applied "
		    "once requests drain",
		    info.instance_id);
	/* Now the daemon may apply it (and svc->restore owns p). */
	__atomic_store_n(&p->ready, true, __ATOMIC_RELEASE);
	p = NULL;
out:
	if (claimed && p != NULL)
		__atomic_store_n(&svc->restore, NULL, __ATOMIC_RELEASE);
	kw_barrier_shares_free(ns, new_shares);
	restore_free(p);
	kw_backup_key_free(k);
	return rc;
}

/* ---- restore: apply -------------------------------------------------------- */

static kw_rc copy_entry(uint64_t seq, const uint8_t *e, size_t len, void *arg)
{
	return kw_store_audit_append(arg, seq, e, len);
}

/* Running restore: the live entries written since the copy. */
static kw_rc trail_catch_up(kw_store *live, kw_store *fs, uint64_t after)
{
	kw_store_txn *r = NULL, *w = NULL;
	kw_rc rc = kw_store_txn_begin(live, false, &r);
	if (rc == KW_OK)
		rc = kw_store_txn_begin(fs, true, &w);
	if (rc == KW_OK)
		rc = kw_store_audit_read(r, after + 1, 0, copy_entry, w);
	if (rc == KW_OK)
		rc = kw_store_txn_commit(w);
	else
		kw_store_txn_abort(w);
	kw_store_txn_abort(r);
	return rc;
}

/* Records the restore as the newest entry of the new trail, with the
 * audit module on the new database (its own key, its own checkpoint). */
static kw_rc record_restore(kw_service *svc, const struct svc_restore *p)
{
	kw_store *fs = NULL;
	kw_barrier *b = NULL;
	kw_audit *a = NULL;
	char detail[KW_SVC_DETAIL_MAX];
	kw_rc rc = store_open_at(svc, p->fresh, &fs);

	if (rc == KW_OK && p->running)
		rc = trail_catch_up(svc->store, fs, p->copied);
	if (rc == KW_OK)
		rc = kw_barrier_open(fs, &b);
	if (rc == KW_OK)
		rc = kw_barrier_unseal_with_key(b, p->master);
	if (rc == KW_OK)
		rc = kw_audit_open(fs, b, &svc->cfg.audit, &a);
	if (rc != KW_OK)
		goto out;
	kw_audit_barrier_changed(a);
	snprintf(detail, sizeof(detail),
		 "{\"source\":\"%s\",\"created\":%lld,\"keying\":\"%s\","
		 "\"records\":%llu,\"audit_entries\":%llu,\"sha256\":\"%s\","
		 "\"into\":\"%s\",\"replaced_entries\":%llu}",
		 p->info.instance_id, (long long)p->info.created,
		 kw_backup_keying_name(p->info.keying),
		 (unsigned long long)p->info.records,
		 (unsigned long long)p->info.audit_entries, p->sha256,
		 p->running ? "running" : "new",
		 (unsigned long long)p->replaced);
	rc = daemon_event(a, "backup_restored", KW_AUDIT_OK, "", detail);
out:
	kw_audit_close(a);
	kw_barrier_free(b);
	kw_store_close(fs);
	return rc;
}

kw_rc kw_svc_backup_apply(kw_service **psvc, bool *out_reopened)
{
	kw_service *svc = *psvc, *nsvc = NULL;
	struct svc_restore *p = svc->restore;
	char why[KW_BACKUP_WHY_MAX] = "";
	kw_service_config cfg = svc->cfg;
	kw_rc rc = KW_E_INVALID;

	if (p == NULL)
		return rc;
	svc->restore = NULL;
	rc = record_restore(svc, p);
	if (rc != KW_OK) {
		KW_LOG_ERROR("restore not applied: %s", kw_rc_str(rc));
		daemon_event(svc->audit, "backup_restored", KW_AUDIT_ERROR,
			     kw_rc_str(rc), NULL);
		db_remove(p->fresh);
		goto out;
	}
	kw_service_close(svc);
	*psvc = NULL;
	rc = kw_backup_db_swap(p->fresh, cfg.store.path, why, sizeof(why));
	if (rc != KW_OK) {
		KW_LOG_ERROR("restore not applied: %s", why);
		db_remove(p->fresh);
	}
	if (kw_service_open(&cfg, &nsvc) != KW_OK) {
		KW_LOG_ERROR("cannot open the service again after the restore");
		rc = KW_E_STORAGE;
		goto out;
	}
	*out_reopened = true;
	/* The master key is the backup's, and (rollback) the live one's. */
	if (kw_barrier_unseal_with_key(nsvc->barrier, p->master) == KW_OK)
		kw_audit_barrier_changed(nsvc->audit);
	if (rc != KW_OK)
		daemon_event(nsvc->audit, "backup_restored", KW_AUDIT_ERROR,
			     why, NULL);
	else
		KW_LOG_INFO("restore applied: instance %s",
			    p->info.instance_id);
	*psvc = nsvc;
out:
	restore_free(p);
	return rc;
}

/* ---- scheduled ------------------------------------------------------------- */

kw_rc kw_svc_backup_scheduled(kw_service *svc, const char *dir, unsigned keep)
{
	char path[PATH_MAX], why[KW_BACKUP_WHY_MAX] = "";
	char detail[KW_SVC_DETAIL_MAX];
	kw_backup_info info;
	kw_barrier_status st;

	kw_rc rc = kw_barrier_status_get(svc->barrier, &st);
	if (rc != KW_OK || st.sealed || !st.initialized)
		return KW_E_SEALED;
	rc = kw_backup_file_scheduled(svc->store, svc->barrier, dir, keep, 0,
				      path, &info, why, sizeof(why));
	if (rc == KW_OK) {
		const char *base = strrchr(path, '/');
		snprintf(detail, sizeof(detail),
			 "{\"file\":\"%.100s\",\"records\":%llu,"
			 "\"audit_entries\":%llu,\"bytes\":%llu}",
			 base != NULL ? base + 1 : path,
			 (unsigned long long)info.records,
			 (unsigned long long)info.audit_entries,
			 (unsigned long long)info.size);
		KW_LOG_INFO("scheduled backup written and verified: %s", path);
	} else {
		KW_LOG_ERROR("scheduled backup failed: %s", why);
	}
	if (daemon_event(svc->audit, "backup_scheduled",
			 rc == KW_OK ? KW_AUDIT_OK : KW_AUDIT_ERROR,
			 rc == KW_OK ? "" : why,
			 rc == KW_OK ? detail : NULL) != KW_OK)
		KW_LOG_ERROR("scheduled backup: the audit trail is down");
	return rc;
}
