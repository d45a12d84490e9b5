/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "fixture.h"
#include "util/codec.h"

#define THREADS		 8
#define ASYNC_PER_THREAD 250
#define SYNC_PER_THREAD	 50
#define EVENTS		 (THREADS * (ASYNC_PER_THREAD + SYNC_PER_THREAD))

/* Completion bookkeeping shared by the callbacks of one test. */
typedef struct tally {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	afx *f;
	size_t done;
	size_t failed;
	uint8_t *seen; /* seen[seq] counts callbacks per seq */
	size_t seen_len;
} tally;

static void tally_init(tally *t, afx *f, size_t max_seq)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->f = f;
	t->seen = calloc(max_seq + 1, 1);
	assert_non_null(t->seen);
	t->seen_len = max_seq + 1;
}

static void tally_wait(tally *t, size_t n)
{
	pthread_mutex_lock(&t->mu);
	while (t->done < n)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

static void tally_destroy(tally *t)
{
	free(t->seen);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
}

/* The callback: the entry must already be durable, i.e. visible to a new
 * read transaction, when we hear about it. */
static void on_done(void *arg, kw_rc rc, uint64_t seq)
{
	tally *t = arg;
	kw_store_txn *txn = NULL;
	uint64_t last = 0;

	if (rc == KW_OK) {
		assert_int_equal(kw_store_txn_begin(t->f->store, false, &txn),
				 KW_OK);
		assert_int_equal(kw_store_audit_last(txn, &last), KW_OK);
		kw_store_txn_abort(txn);
		assert_true(last >= seq);
	}
	pthread_mutex_lock(&t->mu);
	if (rc == KW_OK) {
		assert_true(seq > 0 && seq < t->seen_len);
		t->seen[seq]++;
	} else {
		t->failed++;
	}
	t->done++;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

typedef struct worker {
	pthread_t th;
	afx *f;
	tally *t;
	int id;
	size_t async_n;
	size_t sync_n;
	uint64_t sync_seqs[SYNC_PER_THREAD];
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	char principal[32];
	kw_audit_event ev;

	snprintf(principal, sizeof(principal), "user-%d", w->id);
	ev = afx_event("key_sign", principal, KW_AUDIT_OK);
	for (size_t i = 0; i < w->async_n + w->sync_n; i++) {
		if (i % 6 == 5 && i / 6 < w->sync_n) {
			assert_int_equal(kw_audit_append(w->f->audit, &ev,
							 &w->sync_seqs[i / 6]),
					 KW_OK);
			continue;
		}
		assert_int_equal(
			kw_audit_submit(w->f->audit, &ev, on_done, w->t),
			KW_OK);
	}
	return NULL;
}

/* The hash recomputed without the code under test: jansson's own sorted
 * compact output equals RFC 8785 for the ASCII-only entries used here. */
static void independent_hash(const json_t *entry, char out[65])
{
	json_t *copy = json_deep_copy(entry);
	uint8_t md[KW_DIGEST_MAX];
	size_t md_len = 0;
	char *text;

	json_object_del(copy, "hash");
	text = json_dumps(copy, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(text);
	assert_int_equal(
		kw_digest(KW_HASH_SHA256, text, strlen(text), md, &md_len),
		KW_OK);
	kw_hex_encode(md, md_len, out);
	free(text);
	json_decref(copy);
}

/* Checks seq 1..n, prev links and hashes; returns the number of entries
 * with op `op`. */
static size_t check_chain(char **lines, size_t n, const char *op,
			  uint64_t max_uncertified)
{
	char prev[65] = KW_AUDIT_ZERO_HASH;
	size_t count = 0;
	uint64_t since_cp = 0;

	for (size_t i = 0; i < n; i++) {
		json_error_t err;
		json_t *e = json_loads(lines[i], 0, &err);
		char hash[65];

		assert_non_null(e);
		assert_int_equal(json_integer_value(json_object_get(e, "seq")),
				 i + 1);
		assert_string_equal(
			json_string_value(json_object_get(e, "prev")), prev);
		independent_hash(e, hash);
		assert_string_equal(
			json_string_value(json_object_get(e, "hash")), hash);
		memcpy(prev, hash, sizeof(prev));
		if (strcmp(json_string_value(json_object_get(e, "op")), op) ==
		    0)
			count++;
		if (strcmp(json_string_value(json_object_get(e, "op")),
			   "checkpoint") == 0)
			since_cp = 0;
		else
			assert_true(++since_cp <= max_uncertified);
		json_decref(e);
	}
	return count;
}

static void test_chain_many_threads(void **state)
{
	afx *f = *state;
	worker w[THREADS];
	tally t;
	char **lines = NULL;
	size_t n;
	char *pem;
	kw_audit_verify_report rep;
	uint64_t cp = 0;

	f->cfg.checkpoint_every = 100;
	f->cfg.max_batch = 64;
	afx_open_audit(f);
	tally_init(&t, f, EVENTS * 2);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker){.f = f,
				.t = &t,
				.id = i,
				.async_n = ASYNC_PER_THREAD,
				.sync_n = SYNC_PER_THREAD};
		assert_int_equal(pthread_create(&w[i].th, NULL, work, &w[i]),
				 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(w[i].th, NULL);
	tally_wait(&t, THREADS * ASYNC_PER_THREAD);
	assert_int_equal(t.failed, 0);
	/* Every async seq seen once, never one a sync caller got too. */
	for (int i = 0; i < THREADS; i++)
		for (size_t k = 0; k < SYNC_PER_THREAD; k++) {
			assert_true(w[i].sync_seqs[k] < t.seen_len);
			assert_int_equal(t.seen[w[i].sync_seqs[k]]++, 0);
		}
	assert_int_equal(kw_audit_checkpoint(f->audit, &cp), KW_OK);

	n = afx_export(f, &lines);
	assert_int_equal(cp, n); /* the checkpoint is the last entry */
	assert_int_equal(check_chain(lines, n, "key_sign", 100), EVENTS);
	for (size_t s = 1; s < t.seen_len; s++)
		assert_true(t.seen[s] <= 1);
	pem = afx_pubkeys_pem(f);
	assert_int_equal(afx_verify(lines, n, pem, NULL, &rep), KW_OK);
	assert_int_equal(rep.entries, n);
	assert_true(rep.checkpoints >= EVENTS / 100);
	assert_int_equal(rep.last_checkpoint_seq, n);
	free(pem);
	afx_lines_free(lines, n);
	tally_destroy(&t);
}

/* While the writer cannot begin a transaction (the test holds the store's
 * write gate), submissions queue up; released, they are written in batches
 * of max_batch: far fewer commits (fsyncs) than entries. */
static void test_group_commit_shares_transactions(void **state)
{
	afx *f = *state;
	kw_store_txn *hold = NULL;
	kw_audit_event ev = afx_event("key_verify", "app", KW_AUDIT_OK);
	kw_audit_stats st;
	tally t;

	f->cfg.max_batch = 256;
	afx_open_audit(f);
	assert_int_equal(kw_audit_checkpoint(f->audit, NULL), KW_OK);
	kw_audit_stats_get(f->audit, &st);
	uint64_t commits0 = st.commits;

	tally_init(&t, f, 2000);
	assert_int_equal(kw_store_txn_begin(f->store, true, &hold), KW_OK);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(kw_audit_submit(f->audit, &ev, on_done, &t),
				 KW_OK);
	assert_int_equal(kw_audit_backlog(f->audit), 1000);
	kw_store_txn_abort(hold);
	tally_wait(&t, 1000);
	assert_int_equal(t.failed, 0);
	kw_audit_stats_get(f->audit, &st);
	/* One batch may have started before the gate; the rest is 999 items
	 * in batches of 256; allow one interval checkpoint on its own. */
	assert_true(st.commits - commits0 <= 1 + 4 + 1);
	assert_int_equal(kw_audit_backlog(f->audit), 0);
	tally_destroy(&t);
}

static void test_queue_bound(void **state)
{
	afx *f = *state;
	kw_store_txn *hold = NULL;
	kw_audit_event ev = afx_event("key_verify", "app", KW_AUDIT_OK);
	tally t;

	f->cfg.max_pending = 10;
	afx_open_audit(f);
	assert_int_equal(kw_audit_checkpoint(f->audit, NULL), KW_OK);
	tally_init(&t, f, 100);
	assert_int_equal(kw_store_txn_begin(f->store, true, &hold), KW_OK);
	for (int i = 0; i < 10; i++)
		assert_int_equal(kw_audit_submit(f->audit, &ev, on_done, &t),
				 KW_OK);
	assert_int_equal(kw_audit_submit(f->audit, &ev, on_done, &t),
			 KW_E_LIMIT);
	kw_store_txn_abort(hold);
	tally_wait(&t, 10);
	assert_int_equal(t.done, 10); /* the refused one never calls back */
	assert_int_equal(kw_audit_submit(f->audit, &ev, on_done, &t), KW_OK);
	tally_wait(&t, 11);
	tally_destroy(&t);
}

static void test_restart_continues_chain(void **state)
{
	afx *f = *state;
	kw_audit_event ev = afx_event("auth_login", "alice", KW_AUDIT_OK);
	char **lines = NULL;
	size_t n;
	char *pem;
	kw_audit_verify_report rep;
	uint64_t seq = 0;

	afx_open_audit(f);
	for (int i = 0; i < 10; i++)
		assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	afx_restart(f, true);
	for (int i = 0; i < 10; i++)
		assert_int_equal(kw_audit_append(f->audit, &ev, &seq), KW_OK);
	assert_int_equal(kw_audit_checkpoint(f->audit, NULL), KW_OK);
	n = afx_export(f, &lines);
	/* 10 events, the key's creation, the close checkpoint, 10 events,
	 * the requested checkpoint. */
	assert_int_equal(n, 23);
	assert_int_equal(seq, 22);
	assert_int_equal(check_chain(lines, n, "auth_login", 1000), 20);
	pem = afx_pubkeys_pem(f);
	assert_int_equal(afx_verify(lines, n, pem, NULL, &rep), KW_OK);
	free(pem);
	afx_lines_free(lines, n);
}

static void test_entry_fields(void **state)
{
	afx *f = *state;
	kw_audit_event ev = afx_event("key_sign", "alice", KW_AUDIT_DENIED);
	char **lines = NULL;
	size_t n;
	json_t *e;
	json_t *want;
	json_error_t err;

	afx_open_audit(f);
	ev.key = "k1";
	ev.key_version = 3;
	ev.detail = "{\"digest\":\"00ff\",\"n\":2}";
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	ev.key_version = 0;
	ev.detail = NULL;
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	ev.key = "";
	ev.principal = NULL;
	ev.result = KW_AUDIT_ERROR;
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	n = afx_export(f, &lines);
	assert_int_equal(n, 4);
	/* The first batch of a new instance records the audit key. */
	assert_non_null(strstr(lines[0], "\"op\":\"audit_key_create\""));

	e = json_loads(lines[1], 0, &err);
	assert_string_equal(json_string_value(json_object_get(e, "node")),
			    "node-1");
	assert_string_equal(json_string_value(json_object_get(e, "result")),
			    "denied");
	assert_string_equal(json_string_value(json_object_get(e, "reason")),
			    "not_allowed");
	assert_string_equal(json_string_value(json_object_get(e, "request_id")),
			    "req-1");
	want = json_pack("{s:s,s:i}", "name", "k1", "version", 3);
	assert_true(json_equal(json_object_get(e, "key"), want));
	json_decref(want);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(e, "detail"), "n")),
			 2);
	json_decref(e);
	/* Canonical text: sorted keys, no whitespace. */
	assert_non_null(strstr(lines[2], "\"key\":{\"name\":\"k1\"},"));
	assert_null(strstr(lines[2], "\"detail\""));
	assert_non_null(strstr(lines[3], "\"key\":null,"));
	assert_non_null(strstr(lines[3], "\"principal\":\"\","));
	assert_non_null(strstr(lines[3], "\"result\":\"error\","));
	afx_lines_free(lines, n);
}

static void test_invalid_events(void **state)
{
	afx *f = *state;
	kw_audit_event ev = afx_event("key_sign", "alice", KW_AUDIT_OK);
	char big[KW_AUDIT_FIELD_MAX + 2];
	tally t;

	afx_open_audit(f);
	tally_init(&t, f, 1);
	ev.op = NULL;
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_INVALID);
	ev.op = "";
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_INVALID);
	ev.op = "key_sign";
	ev.principal = "\xc3\x28";
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_INVALID);
	ev.principal = "alice";
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ev.reason = big;
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_INVALID);
	ev.reason = NULL;
	ev.detail = "[1]";
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_INVALID);
	ev.detail = "{\"x\":1.5}";
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_INVALID);
	ev.detail = "{\"x\":1,\"x\":2}";
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_INVALID);
	ev.detail = NULL;
	ev.result = (kw_audit_result)7;
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_INVALID);
	ev.result = KW_AUDIT_OK;
	assert_int_equal(kw_audit_submit(f->audit, &ev, NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_audit_submit(NULL, &ev, on_done, &t), KW_E_INVALID);
	assert_int_equal(kw_audit_backlog(f->audit), 0);
	assert_int_equal(t.done, 0);
	tally_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain_many_threads,
						afx_setup_sqlite, afx_teardown),
		cmocka_unit_test_setup_teardown(
			test_group_commit_shares_transactions, afx_setup_sqlite,
			afx_teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound, afx_setup_mem,
						afx_teardown),
		cmocka_unit_test_setup_teardown(test_restart_continues_chain,
						afx_setup_sqlite, afx_teardown),
		cmocka_unit_test_setup_teardown(test_entry_fields,
						afx_setup_mem, afx_teardown),
		cmocka_unit_test_setup_teardown(test_invalid_events,
						afx_setup_mem, afx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
