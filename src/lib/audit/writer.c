/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "audit"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/internal.h"
#include "keywarden/log.h"

/*
 * The writer thread: group commit.
 *
 * It takes up to max_batch queued items, gives each the next seq, the time,
 * the previous hash and its own hash, appends them (plus any checkpoint or
 * alert entries they cause) in ONE write transaction and commits: one fsync
 * for the whole batch. Only then does it run the callbacks, so no caller
 * hears "done" before its entry is durable. While it commits, new items
 * queue up and form the next batch: under load, batches grow and the cost
 * of an fsync is shared by all of them.
 *
 * The chain state is staged in a copy of a->head and made current only
 * after a successful commit, so a failed batch leaves no gap and no
 * duplicate: its seqs are given again to the next batch.
 *
 * Fail-closed: a failed batch fails its items and everything queued with
 * KW_E_AUDIT and marks the trail down; submissions then fail fast. Every
 * retry_interval_ms the writer rereads the head from the store and tries to
 * append an "audit_resumed" entry; once that commits the trail is up again.
 */

#define POLL_MS		1000 /* re-check the barrier while a checkpoint waits */
#define IDLE_WAIT_MS	60000
#define CHECKPOINT_OP	"checkpoint"
#define NANOS_PER_MILLI 1000000L

typedef struct batch {
	kw_audit *a;
	kw_store_txn *t;
	audit_head st;	   /* staged head */
	audit_keyset next; /* keys after a rotation in this batch */
	bool rotated;
	uint64_t checkpoints;
	uint64_t alerts;
} batch;

static const audit_keyset *batch_keys(const batch *b)
{
	return b->rotated ? &b->next : &b->a->keys;
}

static void publish_pubs(kw_audit *a, const audit_keyset *ks)
{
	kw_audit_pubkey *copy = NULL;

	if (audit_pubkeys_copy(ks->pubs, ks->count, &copy) != KW_OK)
		return; /* keep the previous copy */
	pthread_mutex_lock(&a->mu);
	kw_audit_pubkeys_free(a->pubs, a->pub_count);
	a->pubs = copy;
	a->pub_count = ks->count;
	pthread_mutex_unlock(&a->mu);
}

/* Makes the signing key follow the barrier: wiped while sealed, loaded (or
 * created) once unsealed. */
static void keys_refresh(kw_audit *a)
{
	kw_barrier_status bs;
	audit_keyset ks = {0};
	bool created = false;
	kw_rc rc;

	if (kw_barrier_status_get(a->barrier, &bs) != KW_OK)
		return;
	if (!bs.initialized || bs.sealed) {
		kw_ckey_free(a->keys.signer);
		a->keys.signer = NULL;
		return;
	}
	if (a->keys.signer != NULL)
		return;
	rc = audit_keyset_load(a->barrier, a->store, &ks, &created);
	if (rc != KW_OK) {
		KW_LOG_WARN("cannot load the audit key: %s", kw_rc_str(rc));
		return;
	}
	audit_keyset_clear(&a->keys);
	a->keys = ks;
	a->key_created = a->key_created || created;
	publish_pubs(a, &a->keys);
}

static kw_rc append_checkpoint(batch *b)
{
	json_t *e = NULL;
	kw_rc rc = audit_entry_system(b->a->node, CHECKPOINT_OP, "", NULL, &e);

	if (rc == KW_OK)
		rc = audit_keyset_sign(batch_keys(b), b->st.hash, e);
	if (rc == KW_OK)
		rc = audit_entry_append(b->t, &b->st, e);
	if (rc == KW_OK)
		b->checkpoints++;
	json_decref(e);
	return rc;
}

/* A checkpoint if one is due (by count, or by time) and a key is there. */
static kw_rc checkpoint_if_due(batch *b, bool by_time)
{
	const kw_audit_config *c = &b->a->cfg;
	int64_t now = audit_mono_ms();
	bool due;

	if (b->st.since_cp == 0)
		return KW_OK;
	due = b->st.since_cp >= c->checkpoint_every ||
	      (by_time && now - b->st.last_cp_mono_ms >=
				  (int64_t)c->checkpoint_interval_s * 1000);
	if (!due)
		return KW_OK;
	if (batch_keys(b)->signer == NULL) {
		b->a->cp_blocked_until = now + POLL_MS;
		return KW_OK;
	}
	return append_checkpoint(b);
}

static kw_rc append_system(batch *b, const char *op, const char *reason,
			   json_t *detail)
{
	json_t *e = NULL;
	kw_rc rc = audit_entry_system(b->a->node, op, reason, detail, &e);

	if (rc == KW_OK)
		rc = audit_entry_append(b->t, &b->st, e);
	json_decref(e);
	return rc;
}

/* An "alert" entry if this denial completes a burst. */
static kw_rc alert_if_burst(batch *b, const json_t *e)
{
	static const char *const kinds[] = {"principal", "source"};
	kw_rc rc = KW_OK;

	if (e == NULL || !audit_entry_denied(e))
		return KW_OK;
	for (size_t i = 0; i < 2 && rc == KW_OK; i++) {
		const char *v = json_string_value(json_object_get(e, kinds[i]));

		if (!audit_alerts_note(b->a->alerts, kinds[i], v,
				       b->st.time_ms))
			continue;
		rc = append_system(
			b, "alert", "repeated_denials",
			json_pack("{s:s, s:s, s:I, s:I}", "subject", kinds[i],
				  "value", v, "denials",
				  (json_int_t)b->a->cfg.alert_threshold,
				  "window_s",
				  (json_int_t)b->a->cfg.alert_window_s));
		if (rc == KW_OK)
			b->alerts++;
	}
	return rc;
}

static kw_rc do_rotate(batch *b, audit_item *it)
{
	const audit_keyset *cur = batch_keys(b);
	audit_keyset nk = {0};
	uint64_t seq;
	kw_rc rc = KW_OK;

	it->rc = KW_E_SEALED;
	if (cur->signer == NULL)
		goto out;
	rc = audit_keyset_rotate(b->a->barrier, b->t, cur, &nk);
	/* Sealed since the batch began: no store failure, the caller just
	 * hears KW_E_SEALED. */
	if (rc == KW_E_SEALED) {
		rc = KW_OK;
		goto out;
	}
	if (rc != KW_OK)
		goto out;
	rc = append_system(b, "audit_key_rotate", "",
			   json_pack("{s:s, s:s, s:s}", "old_key_id",
				     cur->signer_id, "new_key_id", nk.signer_id,
				     "new_public_key",
				     nk.pubs[nk.count - 1].pem));
	if (rc != KW_OK)
		goto out;
	seq = b->st.seq;
	/* Signed by the old key: it vouches for the entry naming the new. */
	rc = append_checkpoint(b);
	if (rc != KW_OK)
		goto out;
	audit_keyset_clear(&b->next);
	b->next = nk;
	memset(&nk, 0, sizeof(nk));
	b->rotated = true;
	it->rc = KW_OK;
	it->seq = seq;
	if (it->out_key_id != NULL)
		memcpy(it->out_key_id, b->next.signer_id,
		       sizeof(b->next.signer_id));
out:
	audit_keyset_clear(&nk);
	return rc;
}

static kw_rc do_item(batch *b, audit_item *it)
{
	kw_rc rc = KW_OK;

	switch (it->kind) {
	case AUDIT_ITEM_EVENT:
		rc = audit_entry_append_text(b->t, &b->st, &it->text, false);
		if (rc != KW_OK)
			break;
		it->rc = KW_OK;
		it->seq = b->st.seq;
		rc = alert_if_burst(b, it->entry);
		if (rc == KW_OK)
			rc = checkpoint_if_due(b, false);
		break;
	case AUDIT_ITEM_CHECKPOINT:
		it->rc = KW_E_SEALED;
		if (batch_keys(b)->signer == NULL)
			break;
		if (b->st.since_cp > 0 || b->st.last_cp_seq == 0)
			rc = append_checkpoint(b);
		if (rc == KW_OK) {
			it->rc = KW_OK;
			it->seq = b->st.last_cp_seq;
		}
		break;
	case AUDIT_ITEM_ROTATE:
		rc = do_rotate(b, it);
		break;
	}
	return rc;
}

static void items_fail(audit_item *list, kw_rc rc, uint64_t *count)
{
	for (audit_item *it = list; it != NULL; it = it->next) {
		it->rc = rc;
		it->seq = 0;
		(*count)++;
	}
}

/* The batch failed: the trail goes down, everything queued fails too. */
static void go_down(kw_audit *a, audit_item *items, size_t n, kw_rc rc)
{
	audit_item *queued;
	uint64_t failed = 0;

	KW_LOG_ERROR("audit trail write failed (%s): refusing operations "
		     "until the store accepts writes again",
		     kw_rc_str(rc));
	pthread_mutex_lock(&a->mu);
	queued = a->q_head;
	a->q_head = a->q_tail = NULL;
	a->q_len = 0;
	a->inflight -= n;
	if (a->healthy) {
		a->healthy = false;
		a->down_since_ms = audit_now_ms();
		a->refused_while_down = 0;
	}
	snprintf(a->reason, sizeof(a->reason),
		 "audit trail cannot be written: store error (%s)",
		 kw_rc_str(rc));
	a->stats.failures++;
	items_fail(items, KW_E_AUDIT, &failed);
	items_fail(queued, KW_E_AUDIT, &failed);
	a->stats.refused += failed;
	a->refused_while_down += failed;
	pthread_mutex_unlock(&a->mu);
	a->next_retry_mono_ms = audit_mono_ms() + a->cfg.retry_interval_ms;
	audit_items_complete(a, items);
	audit_items_complete(a, queued);
}

/* Writes items (n of them; may be none) in one transaction and completes
 * them. force_cp asks for a checkpoint if anything is uncertified. A batch
 * that ends up writing nothing is rolled back (no fsync). */
static void write_batch(kw_audit *a, audit_item *items, size_t n, bool force_cp)
{
	batch b = {.a = a, .st = a->head};
	bool wrote_creation = false;
	kw_rc rc;

	keys_refresh(a);
	rc = kw_store_txn_begin(a->store, true, &b.t);
	if (rc != KW_OK)
		goto out;
	if (a->key_created && a->keys.signer != NULL) {
		rc = append_system(
			&b, "audit_key_create", "",
			json_pack("{s:s, s:s}", "key_id", a->keys.signer_id,
				  "public_key",
				  a->keys.pubs[a->keys.count - 1].pem));
		wrote_creation = true;
	}
	for (audit_item *it = items; it != NULL && rc == KW_OK; it = it->next)
		rc = do_item(&b, it);
	if (rc == KW_OK && force_cp && b.st.since_cp > 0 &&
	    batch_keys(&b)->signer != NULL)
		rc = append_checkpoint(&b);
	if (rc == KW_OK && audit_mono_ms() >= a->cp_blocked_until)
		rc = checkpoint_if_due(&b, true);
	if (rc != KW_OK || b.st.seq == a->head.seq)
		goto out;
	rc = kw_store_txn_commit(b.t);
	b.t = NULL;
out:
	kw_store_txn_abort(b.t);
	if (rc != KW_OK) {
		audit_keyset_clear(&b.next);
		go_down(a, items, n, rc);
		return;
	}
	a->head = b.st;
	if (wrote_creation)
		a->key_created = false;
	if (b.rotated) {
		audit_keyset_clear(&a->keys);
		a->keys = b.next;
		publish_pubs(a, &a->keys);
	}
	pthread_mutex_lock(&a->mu);
	a->inflight -= n;
	if (a->head.seq != a->stats.last_seq)
		a->stats.commits++;
	a->stats.entries += a->head.seq - a->stats.last_seq;
	a->stats.last_seq = a->head.seq;
	a->stats.checkpoints += b.checkpoints;
	a->stats.alerts += b.alerts;
	pthread_mutex_unlock(&a->mu);
	audit_items_complete(a, items);
}

/* While down: reread the head and try to record the outage. */
static void try_recover(kw_audit *a)
{
	audit_head h;
	batch b = {.a = a};
	char since[32];
	uint64_t refused;
	int64_t down_since;
	kw_rc rc;

	a->next_retry_mono_ms = audit_mono_ms() + a->cfg.retry_interval_ms;
	rc = audit_head_load(a->store, &h);
	if (rc != KW_OK)
		return;
	pthread_mutex_lock(&a->mu);
	refused = a->refused_while_down;
	down_since = a->down_since_ms;
	pthread_mutex_unlock(&a->mu);
	audit_time_format(down_since, since);
	b.st = h;
	rc = kw_store_txn_begin(a->store, true, &b.t);
	if (rc == KW_OK)
		rc = append_system(&b, "audit_resumed", "store_error",
				   json_pack("{s:s, s:I}", "down_since", since,
					     "refused", (json_int_t)refused));
	if (rc == KW_OK) {
		rc = kw_store_txn_commit(b.t);
		b.t = NULL;
	}
	kw_store_txn_abort(b.t);
	if (rc != KW_OK)
		return;
	KW_LOG_INFO("audit trail writable again at seq %llu (%llu operations "
		    "refused meanwhile)",
		    (unsigned long long)b.st.seq, (unsigned long long)refused);
	a->head = b.st;
	pthread_mutex_lock(&a->mu);
	a->healthy = true;
	a->reason[0] = '\0';
	a->stats.commits++;
	a->stats.entries += b.st.seq - a->stats.last_seq;
	a->stats.last_seq = b.st.seq;
	pthread_mutex_unlock(&a->mu);
}

/* Monotonic deadline for the next timed wake-up (mu held). */
static int64_t next_wake(kw_audit *a, int64_t now)
{
	int64_t wake = now + IDLE_WAIT_MS;

	if (!a->healthy)
		return a->next_retry_mono_ms;
	if (a->head.since_cp > 0) {
		int64_t cp = a->head.last_cp_mono_ms +
			     (int64_t)a->cfg.checkpoint_interval_s * 1000;

		if (cp < a->cp_blocked_until)
			cp = a->cp_blocked_until;
		if (cp < wake)
			wake = cp;
	}
	return wake;
}

static void wait_until(kw_audit *a, int64_t mono_ms)
{
	struct timespec ts = {.tv_sec = (time_t)(mono_ms / 1000),
			      .tv_nsec =
				      (long)(mono_ms % 1000) * NANOS_PER_MILLI};

	pthread_cond_timedwait(&a->cv, &a->mu, &ts);
}

void *audit_writer_main(void *arg)
{
	kw_audit *a = arg;
	bool healthy;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		int64_t now = audit_mono_ms();
		bool changed = a->barrier_changed;
		audit_item *items = a->q_head;
		audit_item *last = NULL;
		size_t n = 0;

		if (!a->healthy) {
			if (a->stopping)
				break;
			if (now < a->next_retry_mono_ms) {
				wait_until(a, a->next_retry_mono_ms);
				continue;
			}
			pthread_mutex_unlock(&a->mu);
			try_recover(a);
			pthread_mutex_lock(&a->mu);
			continue;
		}
		a->barrier_changed = false;
		if (changed)
			a->cp_blocked_until = 0;
		if (items == NULL && a->stopping)
			break;
		if (items == NULL && !changed && now < next_wake(a, now)) {
			wait_until(a, next_wake(a, now));
			continue;
		}
		for (audit_item *it = items; it != NULL && n < a->cfg.max_batch;
		     it = it->next) {
			last = it;
			n++;
		}
		if (last != NULL) {
			a->q_head = last->next;
			if (a->q_head == NULL)
				a->q_tail = NULL;
			last->next = NULL;
			a->q_len -= n;
			a->inflight += n;
		}
		pthread_mutex_unlock(&a->mu);
		write_batch(a, items, n, false);
		pthread_mutex_lock(&a->mu);
	}
	healthy = a->healthy;
	pthread_mutex_unlock(&a->mu);
	/* Clean shutdown: certify the tail if the key is at hand. */
	if (healthy && a->head.since_cp > 0)
		write_batch(a, NULL, 0, true);
	return NULL;
}
