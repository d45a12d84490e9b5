/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "audit"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/internal.h"
#include "keywarden/log.h"

/*
 * The submission side of the trail. Submitters build their entry (the JSON
 * without seq/time/prev/hash) in their own thread, then queue it under a->mu;
 * the writer thread (writer.c) does the rest. Synchronous callers wait on a
 * waiter of their own, signalled from the completion callback.
 */

#define DEFAULT_CHECKPOINT_EVERY    1000u
#define DEFAULT_CHECKPOINT_INTERVAL 10u
#define DEFAULT_MAX_BATCH	    512u
#define DEFAULT_MAX_PENDING	    65536u
#define DEFAULT_RETRY_MS	    1000u
#define DEFAULT_ALERT_THRESHOLD	    10u
#define DEFAULT_ALERT_WINDOW	    60u

static unsigned or_default(unsigned v, unsigned def)
{
	return v != 0 ? v : def;
}

void kw_audit_pubkeys_free(kw_audit_pubkey *keys, size_t count)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		free(keys[i].pem);
	free(keys);
}

void audit_items_complete(kw_audit *a, audit_item *list)
{
	(void)a;
	while (list != NULL) {
		audit_item *it = list;

		list = it->next;
		it->cb(it->arg, it->rc, it->rc == KW_OK ? it->seq : 0);
		json_decref(it->entry);
		audit_text_clear(&it->text);
		free(it);
	}
}

static void audit_free(kw_audit *a)
{
	audit_keyset_clear(&a->keys);
	kw_audit_pubkeys_free(a->pubs, a->pub_count);
	audit_alerts_free(a->alerts);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

kw_rc kw_audit_open(kw_store *s, kw_barrier *b, const kw_audit_config *cfg,
		    kw_audit **out)
{
	kw_audit_config def = {0};
	pthread_condattr_t ca;
	kw_audit *a = NULL;
	kw_rc rc = KW_E_INVALID;

	if (s == NULL || b == NULL || out == NULL)
		goto out;
	if (cfg == NULL)
		cfg = &def;
	rc = KW_E_NOMEM;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		goto out;
	a->store = s;
	a->barrier = b;
	a->cfg = *cfg;
	a->cfg.node = NULL; /* copied into a->node */
	a->cfg.checkpoint_every =
		or_default(cfg->checkpoint_every, DEFAULT_CHECKPOINT_EVERY);
	a->cfg.checkpoint_interval_s = or_default(cfg->checkpoint_interval_s,
						  DEFAULT_CHECKPOINT_INTERVAL);
	a->cfg.max_batch = or_default(cfg->max_batch, DEFAULT_MAX_BATCH);
	a->cfg.max_pending = or_default(cfg->max_pending, DEFAULT_MAX_PENDING);
	a->cfg.retry_interval_ms =
		or_default(cfg->retry_interval_ms, DEFAULT_RETRY_MS);
	a->cfg.alert_threshold =
		or_default(cfg->alert_threshold, DEFAULT_ALERT_THRESHOLD);
	a->cfg.alert_window_s =
		or_default(cfg->alert_window_s, DEFAULT_ALERT_WINDOW);
	if (cfg->node != NULL)
		snprintf(a->node, sizeof(a->node), "%s", cfg->node);
	else if (gethostname(a->node, sizeof(a->node) - 1) != 0)
		snprintf(a->node, sizeof(a->node), "unknown");
	a->healthy = true;
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &ca);
	pthread_condattr_destroy(&ca);
	rc = audit_alerts_new(a->cfg.alert_threshold, a->cfg.alert_window_s,
			      &a->alerts);
	if (rc != KW_OK)
		goto out;
	rc = audit_head_load(s, &a->head);
	if (rc != KW_OK)
		goto out;
	a->stats.last_seq = a->head.seq;
	a->stats.healthy = true;
	rc = KW_E_NOMEM;
	if (pthread_create(&a->thread, NULL, audit_writer_main, a) != 0)
		goto out;
	a->thread_started = true;
	*out = a;
	a = NULL;
	rc = KW_OK;
out:
	if (a != NULL)
		audit_free(a);
	return rc;
}

void kw_audit_close(kw_audit *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	if (a->thread_started)
		pthread_join(a->thread, NULL);
	/* The writer leaves an empty queue: it drains it while healthy, and
	 * going down fails everything queued. */
	audit_free(a);
}

/* Queues it (owned by the queue on KW_OK). */
static kw_rc enqueue(kw_audit *a, audit_item *it)
{
	kw_rc rc = KW_OK;

	pthread_mutex_lock(&a->mu);
	if (a->stopping || !a->healthy) {
		rc = KW_E_AUDIT;
		a->stats.refused++;
		a->refused_while_down++;
	} else if (a->q_len + a->inflight >= a->cfg.max_pending) {
		rc = KW_E_LIMIT;
	} else {
		if (a->q_tail != NULL)
			a->q_tail->next = it;
		else
			a->q_head = it;
		a->q_tail = it;
		a->q_len++;
		pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

static kw_rc submit_item(kw_audit *a, audit_item_kind kind, json_t *entry,
			 kw_audit_done_cb cb, void *arg, char *out_key_id)
{
	audit_item *it = calloc(1, sizeof(*it));
	kw_rc rc = KW_E_NOMEM;

	if (it == NULL)
		goto out;
	it->kind = kind;
	it->entry = entry;
	it->cb = cb;
	it->arg = arg;
	it->out_key_id = out_key_id;
	entry = NULL;
	/* The canonical text is made here, on the submitter's thread. */
	if (kind == AUDIT_ITEM_EVENT) {
		rc = audit_text_make(it->entry, &it->text);
		if (rc != KW_OK) {
			rc = rc == KW_E_NOMEM ? rc : KW_E_INVALID; /* a real */
			goto out;
		}
		/* The writer needs the object only to count denials (alerts);
		 * freeing the others here keeps that work off its thread. */
		if (!audit_entry_denied(it->entry)) {
			json_decref(it->entry);
			it->entry = NULL;
		}
	}
	rc = enqueue(a, it);
	if (rc == KW_OK)
		it = NULL;
out:
	if (it != NULL) {
		json_decref(it->entry);
		audit_text_clear(&it->text);
	}
	free(it);
	json_decref(entry);
	return rc;
}

kw_rc kw_audit_submit(kw_audit *a, const kw_audit_event *ev,
		      kw_audit_done_cb cb, void *arg)
{
	json_t *e = NULL;
	kw_rc rc = KW_E_INVALID;

	if (a == NULL || ev == NULL || cb == NULL)
		goto out;
	rc = audit_entry_from_event(ev, a->node, &e);
	if (rc != KW_OK)
		goto out;
	rc = submit_item(a, AUDIT_ITEM_EVENT, e, cb, arg, NULL);
out:
	return rc;
}

/* A synchronous caller's wait for its callback. */
typedef struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	kw_rc rc;
	uint64_t seq;
} waiter;

static void waiter_done(void *arg, kw_rc rc, uint64_t seq)
{
	waiter *w = arg;

	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	w->seq = seq;
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Submits and waits; the waiter lives on this stack until the callback has
 * signalled, which it does exactly once if the submission was queued. */
static kw_rc submit_wait(kw_audit *a, audit_item_kind kind, json_t *entry,
			 char *out_key_id, uint64_t *out_seq)
{
	waiter w = {.done = false};
	kw_rc rc;

	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	rc = submit_item(a, kind, entry, waiter_done, &w, out_key_id);
	if (rc != KW_OK)
		goto out;
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	rc = w.rc;
	if (rc == KW_OK && out_seq != NULL)
		*out_seq = w.seq;
out:
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return rc;
}

kw_rc kw_audit_append(kw_audit *a, const kw_audit_event *ev, uint64_t *out_seq)
{
	json_t *e = NULL;
	kw_rc rc = KW_E_INVALID;

	if (a == NULL || ev == NULL)
		goto out;
	rc = audit_entry_from_event(ev, a->node, &e);
	if (rc != KW_OK)
		goto out;
	rc = submit_wait(a, AUDIT_ITEM_EVENT, e, NULL, out_seq);
out:
	return rc;
}

kw_rc kw_audit_checkpoint(kw_audit *a, uint64_t *out_seq)
{
	if (a == NULL)
		return KW_E_INVALID;
	return submit_wait(a, AUDIT_ITEM_CHECKPOINT, NULL, NULL, out_seq);
}

kw_rc kw_audit_key_rotate(kw_audit *a, char *out_key_id)
{
	char id[KW_AUDIT_KEY_ID_LEN + 1] = "";
	kw_rc rc;

	if (a == NULL)
		return KW_E_INVALID;
	rc = submit_wait(a, AUDIT_ITEM_ROTATE, NULL, id, NULL);
	if (rc == KW_OK && out_key_id != NULL)
		memcpy(out_key_id, id, sizeof(id));
	return rc;
}

void kw_audit_barrier_changed(kw_audit *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->barrier_changed = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

kw_rc kw_audit_pubkeys(kw_audit *a, kw_audit_pubkey **out, size_t *out_count)
{
	kw_rc rc = KW_E_INVALID;

	if (a == NULL || out == NULL || out_count == NULL)
		return rc;
	pthread_mutex_lock(&a->mu);
	if (a->pub_count == 0) {
		rc = KW_E_SEALED;
	} else {
		rc = audit_pubkeys_copy(a->pubs, a->pub_count, out);
		if (rc == KW_OK)
			*out_count = a->pub_count;
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

bool kw_audit_healthy(kw_audit *a, char *reason, size_t reason_len)
{
	bool healthy;

	if (a == NULL)
		return false;
	pthread_mutex_lock(&a->mu);
	healthy = a->healthy;
	if (!healthy && reason != NULL && reason_len > 0)
		snprintf(reason, reason_len, "%s", a->reason);
	pthread_mutex_unlock(&a->mu);
	return healthy;
}

uint64_t kw_audit_backlog(kw_audit *a)
{
	uint64_t n;

	if (a == NULL)
		return 0;
	pthread_mutex_lock(&a->mu);
	n = a->q_len + a->inflight;
	pthread_mutex_unlock(&a->mu);
	return n;
}

void kw_audit_stats_get(kw_audit *a, kw_audit_stats *out)
{
	if (a == NULL || out == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	*out = a->stats;
	out->backlog = a->q_len + a->inflight;
	out->healthy = a->healthy;
	pthread_mutex_unlock(&a->mu);
}
