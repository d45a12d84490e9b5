/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "helpers.h"

/*
 * Transactions, isolation, concurrency and the audit trail, against every
 * backend (argv[1] is "mem" or "sqlite").
 */

static const uint8_t *bytes(const char *s)
{
	return (const uint8_t *)s;
}

static uint64_t audit_last(kw_store_txn *t)
{
	uint64_t n = 999;
	assert_int_equal(kw_store_audit_last(t, &n), KW_OK);
	return n;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_abort_discards(void **state)
{
	fx *f = *state;
	kw_store_txn *t;
	kw_store_rec r;
	uint8_t l[KW_STORE_TAG_LEN];
	assert_int_equal(put_one(f->s, KW_REC_KEY, "a", 1, 1, 0, "A"), KW_OK);
	assert_int_equal(put_one(f->s, KW_REC_KEY, "b", 1, 1, 2, "B"), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	assert_int_equal(kw_store_audit_append(t, 1, bytes("e1"), 2), KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);

	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	rec_make(&r, KW_REC_KEY, "c", 1, 1, 3, "C");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	rec_make(&r, KW_REC_KEY, "a", 2, 0, 4, "A2");
	assert_int_equal(kw_store_rec_put(t, &r, 1), KW_OK);
	assert_int_equal(kw_store_rec_delete(t, KW_REC_KEY, "b", 1), KW_OK);
	assert_int_equal(kw_store_audit_append(t, 2, bytes("e2"), 2), KW_OK);
	/* The transaction sees its own writes... */
	assert_int_equal(kw_store_rec_get(t, KW_REC_KEY, "a", &r), KW_OK);
	assert_int_equal(r.version, 2);
	kw_store_rec_clear(&r);
	assert_int_equal(kw_store_rec_get(t, KW_REC_KEY, "b", &r),
			 KW_E_NOT_FOUND);
	assert_int_equal(audit_last(t), 2);
	kw_store_txn_abort(t);
	kw_store_txn_abort(NULL);

	/* ...and abort undoes every one of them. */
	assert_rec(f->s, KW_REC_KEY, "a", 1, "A");
	assert_rec(f->s, KW_REC_KEY, "b", 1, "B");
	assert_int_equal(get_one(f->s, KW_REC_KEY, "c", &r), KW_E_NOT_FOUND);
	assert_int_equal(kw_store_txn_begin(f->s, false, &t), KW_OK);
	assert_int_equal(audit_last(t), 1);
	tag_fill(l, 2);
	assert_int_equal(kw_store_rec_get_by_lookup(t, KW_REC_KEY, l, &r),
			 KW_OK);
	assert_string_equal(r.id, "b");
	kw_store_rec_clear(&r);
	tag_fill(l, 4);
	assert_int_equal(kw_store_rec_get_by_lookup(t, KW_REC_KEY, l, &r),
			 KW_E_NOT_FOUND);
	uint8_t g[KW_STORE_TAG_LEN];
	uint64_t n = 0;
	tag_fill(g, 1);
	assert_int_equal(kw_store_rec_count(t, KW_REC_KEY, g, &n), KW_OK);
	assert_int_equal(n, 2);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	/* The same work can then be done and committed. */
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	assert_int_equal(kw_store_audit_append(t, 2, bytes("e2"), 2), KW_OK);
	rec_make(&r, KW_REC_KEY, "c", 1, 1, 3, "C");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	assert_rec(f->s, KW_REC_KEY, "c", 1, "C");
}

static void test_snapshot_isolation(void **state)
{
	fx *f = *state;
	kw_store_txn *w, *old, *during;
	kw_store_rec r;
	uint64_t n = 0;
	assert_int_equal(put_one(f->s, KW_REC_KEY, "a", 1, 0, 0, "old"), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, false, &old), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, true, &w), KW_OK);
	rec_make(&r, KW_REC_KEY, "a", 2, 0, 0, "new");
	assert_int_equal(kw_store_rec_put(w, &r, 1), KW_OK);
	rec_make(&r, KW_REC_KEY, "b", 1, 0, 0, "b");
	assert_int_equal(kw_store_rec_put(w, &r, 0), KW_OK);
	assert_int_equal(kw_store_audit_append(w, 1, bytes("x"), 1), KW_OK);
	/* A reader begun while the writer is open does not wait for it and
	 * does not see its uncommitted work. */
	assert_int_equal(kw_store_txn_begin(f->s, false, &during), KW_OK);
	assert_int_equal(kw_store_rec_get(during, KW_REC_KEY, "a", &r), KW_OK);
	assert_int_equal(r.version, 1);
	kw_store_rec_clear(&r);
	assert_int_equal(kw_store_txn_commit(w), KW_OK);
	/* Both older readers keep their snapshot after the commit. */
	kw_store_txn *readers[] = {old, during};
	for (size_t i = 0; i < 2; i++) {
		kw_store_txn *t = readers[i];
		assert_int_equal(kw_store_rec_get(t, KW_REC_KEY, "a", &r),
				 KW_OK);
		assert_int_equal(r.version, 1);
		assert_memory_equal(r.data, "old", 3);
		kw_store_rec_clear(&r);
		assert_int_equal(kw_store_rec_get(t, KW_REC_KEY, "b", &r),
				 KW_E_NOT_FOUND);
		assert_int_equal(kw_store_rec_count(t, KW_REC_KEY, NULL, &n),
				 KW_OK);
		assert_int_equal(n, 1);
		assert_int_equal(audit_last(t), 0);
		assert_int_equal(kw_store_txn_commit(t), KW_OK);
	}
	/* A new reader sees the commit. */
	assert_rec(f->s, KW_REC_KEY, "a", 2, "new");
	assert_rec(f->s, KW_REC_KEY, "b", 1, "b");
}

static void test_write_needs_write_txn(void **state)
{
	fx *f = *state;
	kw_store_txn *t;
	kw_store_rec r;
	rec_make(&r, KW_REC_KEY, "a", 1, 0, 0, "A");
	assert_int_equal(kw_store_txn_begin(f->s, false, &t), KW_OK);
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_E_INVALID);
	assert_int_equal(kw_store_rec_delete(t, KW_REC_KEY, "a", 1),
			 KW_E_INVALID);
	assert_int_equal(kw_store_audit_append(t, 1, bytes("e"), 1),
			 KW_E_INVALID);
	/* Misuse is not a storage failure: the transaction still works. */
	assert_int_equal(audit_last(t), 0);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	assert_int_equal(get_one(f->s, KW_REC_KEY, "a", &r), KW_E_NOT_FOUND);
}

/* A second writer waits for the busy timeout, then gets KW_E_STORAGE. */
static void test_second_writer_times_out(void **state)
{
	fx *f = *state;
	kw_store_txn *w1, *w2 = (kw_store_txn *)&w2;
	f->cfg.busy_timeout_ms = 150;
	assert_int_equal(fx_reopen(f), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, true, &w1), KW_OK);
	double t0 = now_ms();
	assert_int_equal(kw_store_txn_begin(f->s, true, &w2), KW_E_STORAGE);
	double waited = now_ms() - t0;
	assert_ptr_equal(w2, (kw_store_txn *)&w2);
	assert_true(waited >= 140.0);
	assert_true(waited < 5000.0);
	kw_store_txn_abort(w1);
	assert_int_equal(kw_store_txn_begin(f->s, true, &w2), KW_OK);
	assert_int_equal(kw_store_txn_commit(w2), KW_OK);
}

struct waiter {
	kw_store *s;
	kw_rc rc;
	uint64_t seen_version;
};

static void *wait_and_write(void *arg)
{
	struct waiter *w = arg;
	kw_store_txn *t;
	kw_store_rec r;
	w->rc = kw_store_txn_begin(w->s, true, &t);
	if (w->rc != KW_OK)
		return NULL;
	w->rc = kw_store_rec_get(t, KW_REC_KEY, "a", &r);
	if (w->rc == KW_OK) {
		w->seen_version = r.version;
		kw_store_rec_clear(&r);
	}
	rec_make(&r, KW_REC_KEY, "a", w->seen_version + 1, 0, 0, "late");
	if (w->rc == KW_OK)
		w->rc = kw_store_rec_put(t, &r, w->seen_version);
	if (w->rc == KW_OK)
		w->rc = kw_store_txn_commit(t);
	else
		kw_store_txn_abort(t);
	return NULL;
}

/* A waiting writer gets in once the first commits, and starts from what
 * the first committed. */
static void test_writer_waits_for_writer(void **state)
{
	fx *f = *state;
	kw_store_txn *w;
	kw_store_rec r;
	pthread_t th;
	struct waiter wt = {.s = f->s, .rc = KW_E_INTERNAL};
	assert_int_equal(put_one(f->s, KW_REC_KEY, "a", 1, 0, 0, "A"), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, true, &w), KW_OK);
	assert_int_equal(pthread_create(&th, NULL, wait_and_write, &wt), 0);
	struct timespec pause = {0, 50 * 1000 * 1000};
	nanosleep(&pause, NULL);
	rec_make(&r, KW_REC_KEY, "a", 2, 0, 0, "first");
	assert_int_equal(kw_store_rec_put(w, &r, 1), KW_OK);
	assert_int_equal(kw_store_txn_commit(w), KW_OK);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(wt.rc, KW_OK);
	assert_int_equal(wt.seen_version, 2);
	assert_rec(f->s, KW_REC_KEY, "a", 3, "late");
}

#define THREADS	   8
#define INCREMENTS 40

struct counter_ctx {
	kw_store *s;
	atomic_int failures;
	atomic_int conflicts;
};

/* Optimistic increment: read in a read transaction, write with CAS on the
 * version read, retry on KW_E_CONFLICT. */
static kw_rc increment(struct counter_ctx *c)
{
	for (;;) {
		kw_store_rec r;
		kw_store_txn *t;
		char text[32];
		kw_rc rc = get_one(c->s, KW_REC_META, "counter", &r);
		if (rc != KW_OK)
			return rc;
		long v = strtol((const char *)r.data, NULL, 10);
		uint64_t ver = r.version;
		kw_store_rec_clear(&r);
		snprintf(text, sizeof(text), "%ld", v + 1);
		rec_make(&r, KW_REC_META, "counter", ver + 1, 0, 0, text);
		r.data_len++; /* keep the NUL, for strtol */
		rc = kw_store_txn_begin(c->s, true, &t);
		if (rc != KW_OK)
			return rc;
		rc = kw_store_rec_put(t, &r, ver);
		if (rc == KW_E_CONFLICT) {
			atomic_fetch_add(&c->conflicts, 1);
			kw_store_txn_abort(t);
			continue;
		}
		if (rc != KW_OK) {
			kw_store_txn_abort(t);
			return rc;
		}
		return kw_store_txn_commit(t);
	}
}

static void *counter_thread(void *arg)
{
	struct counter_ctx *c = arg;
	for (int i = 0; i < INCREMENTS; i++)
		if (increment(c) != KW_OK)
			atomic_fetch_add(&c->failures, 1);
	return NULL;
}

static void test_concurrent_writers_no_lost_update(void **state)
{
	fx *f = *state;
	pthread_t th[THREADS];
	struct counter_ctx c = {.s = f->s};
	kw_store_rec r;
	rec_make(&r, KW_REC_META, "counter", 1, 0, 0, "0");
	r.data_len++;
	kw_store_txn *t;
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, counter_thread, &c), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(atomic_load(&c.failures), 0);
	char want[16];
	snprintf(want, sizeof(want), "%d", THREADS * INCREMENTS);
	assert_int_equal(get_one(f->s, KW_REC_META, "counter", &r), KW_OK);
	assert_string_equal((const char *)r.data, want);
	assert_int_equal(r.version, 1 + THREADS * INCREMENTS);
	kw_store_rec_clear(&r);
}

struct pair_ctx {
	kw_store *s;
	atomic_bool done;
	atomic_int torn;
	atomic_int reads;
	atomic_int errors;
};

/* Every commit sets x and y to the same value and appends one audit entry
 * holding it: a snapshot must never show them apart. */
static void *pair_writer(void *arg)
{
	struct pair_ctx *c = arg;
	char v[16];
	for (uint64_t i = 1; i <= 60; i++) {
		kw_store_txn *t;
		kw_store_rec r;
		snprintf(v, sizeof(v), "%06llu", (unsigned long long)i);
		kw_rc rc = kw_store_txn_begin(c->s, true, &t);
		rec_make(&r, KW_REC_META, "x", i, 0, 0, v);
		if (rc == KW_OK)
			rc = kw_store_rec_put(t, &r, i - 1);
		rec_make(&r, KW_REC_META, "y", i, 0, 0, v);
		if (rc == KW_OK)
			rc = kw_store_rec_put(t, &r, i - 1);
		if (rc == KW_OK)
			rc = kw_store_audit_append(t, i, bytes(v), strlen(v));
		if (rc == KW_OK)
			rc = kw_store_txn_commit(t);
		else
			kw_store_txn_abort(t);
		if (rc != KW_OK)
			atomic_fetch_add(&c->errors, 1);
	}
	atomic_store(&c->done, true);
	return NULL;
}

static kw_rc audit_tail(uint64_t seq, const uint8_t *e, size_t len, void *arg)
{
	(void)seq;
	memcpy(arg, e, len < 16 ? len : 15);
	return KW_OK;
}

static void *pair_reader(void *arg)
{
	struct pair_ctx *c = arg;
	while (!atomic_load(&c->done)) {
		kw_store_txn *t;
		kw_store_rec x, y;
		char tail[16] = "";
		uint64_t last = 0;
		if (kw_store_txn_begin(c->s, false, &t) != KW_OK) {
			atomic_fetch_add(&c->errors, 1);
			continue;
		}
		kw_rc rc = kw_store_rec_get(t, KW_REC_META, "x", &x);
		if (rc == KW_OK) {
			rc = kw_store_rec_get(t, KW_REC_META, "y", &y);
			if (rc == KW_OK &&
			    (x.version != y.version ||
			     memcmp(x.data, y.data, x.data_len) != 0))
				atomic_fetch_add(&c->torn, 1);
			if (rc == KW_OK)
				kw_store_rec_clear(&y);
			if (kw_store_audit_last(t, &last) != KW_OK ||
			    last != x.version ||
			    kw_store_audit_read(t, last, 1, audit_tail, tail) !=
				    KW_OK ||
			    memcmp(tail, x.data, x.data_len) != 0)
				atomic_fetch_add(&c->torn, 1);
			kw_store_rec_clear(&x);
		}
		if (rc != KW_OK && rc != KW_E_NOT_FOUND)
			atomic_fetch_add(&c->errors, 1);
		if (kw_store_txn_commit(t) != KW_OK)
			atomic_fetch_add(&c->errors, 1);
		atomic_fetch_add(&c->reads, 1);
	}
	return NULL;
}

static void test_readers_concurrent_with_writer(void **state)
{
	fx *f = *state;
	pthread_t w, r[4];
	struct pair_ctx c = {.s = f->s};
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&r[i], NULL, pair_reader, &c),
				 0);
	assert_int_equal(pthread_create(&w, NULL, pair_writer, &c), 0);
	assert_int_equal(pthread_join(w, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(r[i], NULL), 0);
	assert_int_equal(atomic_load(&c.errors), 0);
	assert_int_equal(atomic_load(&c.torn), 0);
	assert_true(atomic_load(&c.reads) > 0);
	assert_rec(f->s, KW_REC_META, "y", 60, "000060");
}

struct audit_seen {
	char text[256];
	uint64_t first, last;
	size_t n, stop_after;
};

static kw_rc audit_cb(uint64_t seq, const uint8_t *e, size_t len, void *arg)
{
	struct audit_seen *a = arg;
	size_t used = strlen(a->text);
	if (a->n == 0)
		a->first = seq;
	else if (seq != a->last + 1)
		return KW_E_INTERNAL;
	a->last = seq;
	snprintf(a->text + used, sizeof(a->text) - used, "%s%.*s",
		 used != 0 ? "," : "", (int)len, (const char *)e);
	a->n++;
	return a->stop_after != 0 && a->n >= a->stop_after ? KW_E_LIMIT : KW_OK;
}

static void read_audit(kw_store_txn *t, uint64_t from, size_t limit,
		       size_t stop_after, kw_rc want, const char *text)
{
	struct audit_seen a = {.stop_after = stop_after};
	assert_int_equal(kw_store_audit_read(t, from, limit, audit_cb, &a),
			 want);
	assert_string_equal(a.text, text);
}

static void test_audit_trail(void **state)
{
	fx *f = *state;
	kw_store_txn *t, *r;
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	assert_int_equal(audit_last(t), 0);
	assert_int_equal(kw_store_audit_append(t, 2, bytes("e2"), 2),
			 KW_E_CONFLICT);
	/* A batch in one transaction (what group commit will do). */
	const char *e[] = {"e1", "e2", "e3", "e4", "e5"};
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(
			kw_store_audit_append(t, i, bytes(e[i - 1]), 2), KW_OK);
	assert_int_equal(kw_store_audit_append(t, 7, bytes("e7"), 2),
			 KW_E_CONFLICT);
	assert_int_equal(kw_store_audit_append(t, 3, bytes("e3"), 2),
			 KW_E_CONFLICT);
	assert_int_equal(kw_store_audit_append(t, 5, bytes("e5"), 2),
			 KW_E_CONFLICT);
	assert_int_equal(kw_store_audit_append(t, 0, bytes("e0"), 2),
			 KW_E_INVALID);
	assert_int_equal(kw_store_audit_append(t, 6, bytes("e6"), 0),
			 KW_E_INVALID);
	assert_int_equal(kw_store_audit_append(t, 6, NULL, 2), KW_E_INVALID);
	assert_int_equal(audit_last(t), 5);
	read_audit(t, 4, 0, 0, KW_OK, "e4,e5");
	/* Not visible to others before commit. */
	assert_int_equal(kw_store_txn_begin(f->s, false, &r), KW_OK);
	assert_int_equal(audit_last(r), 0);
	read_audit(r, 1, 0, 0, KW_OK, "");
	kw_store_txn_abort(r);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);

	assert_int_equal(kw_store_txn_begin(f->s, false, &r), KW_OK);
	assert_int_equal(audit_last(r), 5);
	read_audit(r, 1, 0, 0, KW_OK, "e1,e2,e3,e4,e5");
	read_audit(r, 0, 0, 0, KW_OK, "e1,e2,e3,e4,e5");
	read_audit(r, 2, 2, 0, KW_OK, "e2,e3");
	read_audit(r, 5, 10, 0, KW_OK, "e5");
	read_audit(r, 6, 0, 0, KW_OK, "");
	read_audit(r, UINT64_MAX, 0, 0, KW_OK, "");
	read_audit(r, 1, 0, 2, KW_E_LIMIT, "e1,e2");
	assert_int_equal(kw_store_audit_read(r, 1, 0, NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_store_txn_commit(r), KW_OK);

	/* An aborted append leaves no hole and no entry. */
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	assert_int_equal(kw_store_audit_append(t, 6, bytes("lost"), 4), KW_OK);
	kw_store_txn_abort(t);
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	assert_int_equal(audit_last(t), 5);
	uint8_t bin[3] = {0, 0xff, 0};
	assert_int_equal(kw_store_audit_append(t, 6, bin, sizeof(bin)), KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, false, &r), KW_OK);
	read_audit(r, 5, 1, 0, KW_OK, "e5");
	assert_int_equal(audit_last(r), 6);
	kw_store_txn_abort(r);
}

static kw_rc never_cb(const kw_store_rec *rec, void *arg)
{
	(void)rec;
	(void)arg;
	return KW_E_INTERNAL;
}

static void test_bad_inputs(void **state)
{
	fx *f = *state;
	kw_store_txn *t, *bad = (kw_store_txn *)&bad;
	kw_store_rec r;
	uint8_t tag[KW_STORE_TAG_LEN] = {0};
	uint64_t n = 0;
	char long_id[KW_STORE_ID_MAX + 2];
	memset(long_id, 'i', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	const char *bad_ids[] = {NULL,	 "",	 "a b",	 "a\tb",
				 "\x01", "\x7f", long_id};

	assert_int_equal(kw_store_txn_begin(NULL, true, &t), KW_E_INVALID);
	assert_int_equal(kw_store_txn_begin(f->s, true, NULL), KW_E_INVALID);
	assert_int_equal(kw_store_txn_commit(NULL), KW_E_INVALID);
	assert_int_equal(kw_store_rec_get(NULL, KW_REC_KEY, "a", &r),
			 KW_E_INVALID);
	assert_int_equal(kw_store_rec_put(NULL, &r, 0), KW_E_INVALID);
	assert_int_equal(kw_store_audit_last(NULL, &n), KW_E_INVALID);
	assert_ptr_equal(bad, (kw_store_txn *)&bad);

	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		const char *id = bad_ids[i];
		assert_int_equal(kw_store_rec_get(t, KW_REC_KEY, id, &r),
				 KW_E_INVALID);
		assert_int_equal(kw_store_rec_delete(t, KW_REC_KEY, id, 1),
				 KW_E_INVALID);
		if (id != NULL && id[0] != '\0')
			assert_int_equal(kw_store_rec_list(t, KW_REC_KEY, NULL,
							   id, 0, never_cb,
							   NULL),
					 KW_E_INVALID);
		rec_make(&r, KW_REC_KEY, "x", 1, 0, 0, "d");
		snprintf(r.id, sizeof(r.id), "%s", id != NULL ? id : "");
		if (id == long_id)
			memcpy(r.id, long_id, sizeof(r.id)); /* no NUL */
		assert_int_equal(kw_store_rec_put(t, &r, 0), KW_E_INVALID);
	}
	/* Unknown types: 0 and above KW_REC_TYPE_MAX_. */
	uint32_t bad_types[] = {0, KW_REC_TYPE_MAX_ + 1, UINT32_MAX};
	for (size_t i = 0; i < 3; i++) {
		uint32_t ty = bad_types[i];
		assert_int_equal(kw_store_rec_get(t, ty, "a", &r),
				 KW_E_INVALID);
		assert_int_equal(kw_store_rec_get_by_lookup(t, ty, tag, &r),
				 KW_E_INVALID);
		assert_int_equal(kw_store_rec_delete(t, ty, "a", 1),
				 KW_E_INVALID);
		assert_int_equal(
			kw_store_rec_list(t, ty, NULL, NULL, 0, never_cb, NULL),
			KW_E_INVALID);
		assert_int_equal(kw_store_rec_count(t, ty, NULL, &n),
				 KW_E_INVALID);
		rec_make(&r, ty, "a", 1, 0, 0, "d");
		assert_int_equal(kw_store_rec_put(t, &r, 0), KW_E_INVALID);
	}
	/* NULL outputs, records, callbacks, tags. */
	assert_int_equal(kw_store_rec_get(t, KW_REC_KEY, "a", NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_store_rec_get_by_lookup(t, KW_REC_KEY, NULL, &r),
			 KW_E_INVALID);
	assert_int_equal(kw_store_rec_get_by_lookup(t, KW_REC_KEY, tag, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_store_rec_put(t, NULL, 0), KW_E_INVALID);
	assert_int_equal(
		kw_store_rec_list(t, KW_REC_KEY, NULL, NULL, 0, NULL, NULL),
		KW_E_INVALID);
	assert_int_equal(kw_store_rec_count(t, KW_REC_KEY, NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_store_audit_last(t, NULL), KW_E_INVALID);
	/* Data: NULL with a length, and over the maximum. */
	rec_make(&r, KW_REC_KEY, "a", 1, 0, 0, NULL);
	r.data_len = 4;
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_E_INVALID);
	rec_make(&r, KW_REC_KEY, "a", 1, 0, 0, "d");
	r.data_len = KW_STORE_DATA_MAX + 1u;
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_E_INVALID);
	assert_int_equal(
		kw_store_audit_append(t, 1, tag, KW_STORE_DATA_MAX + 1u),
		KW_E_INVALID);
	/* Version rules: create is version 1; replace is expected + 1. */
	rec_make(&r, KW_REC_KEY, "a", 2, 0, 0, "d");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_E_INVALID);
	rec_make(&r, KW_REC_KEY, "a", 0, 0, 0, "d");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_E_INVALID);
	rec_make(&r, KW_REC_KEY, "a", 3, 0, 0, "d");
	assert_int_equal(kw_store_rec_put(t, &r, 1), KW_E_INVALID);
	/* The largest version is INT64_MAX (valid, but "a" does not exist). */
	rec_make(&r, KW_REC_KEY, "a", (uint64_t)INT64_MAX, 0, 0, "d");
	assert_int_equal(kw_store_rec_put(t, &r, (uint64_t)INT64_MAX - 1),
			 KW_E_NOT_FOUND);
	r.version = 0;
	assert_int_equal(kw_store_rec_put(t, &r, UINT64_MAX), KW_E_INVALID);
	r.version = (uint64_t)INT64_MAX + 1;
	assert_int_equal(kw_store_rec_put(t, &r, (uint64_t)INT64_MAX),
			 KW_E_INVALID);
	assert_int_equal(kw_store_rec_delete(t, KW_REC_KEY, "a", 0),
			 KW_E_INVALID);
	assert_int_equal(kw_store_rec_delete(t, KW_REC_KEY, "a", UINT64_MAX),
			 KW_E_INVALID);
	assert_int_equal(kw_store_audit_append(t, UINT64_MAX, tag, 1),
			 KW_E_INVALID);
	/* None of it hurt the transaction. */
	rec_make(&r, KW_REC_KEY, "a", 1, 0, 0, "fine");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	assert_rec(f->s, KW_REC_KEY, "a", 1, "fine");
}

static void test_open_bad_config(void **state)
{
	fx *f = *state;
	kw_store *s = (kw_store *)&s;
	kw_store_config cfg = f->cfg;
	assert_non_null(kw_store_backend("mem"));
	assert_non_null(kw_store_backend("sqlite"));
	assert_null(kw_store_backend("pg-typo"));
	assert_null(kw_store_backend(NULL));
	assert_string_equal(kw_store_backend_name(f->s), fx_backend);
	assert_null(kw_store_backend_name(NULL));
	cfg.backend = "nosuch";
	assert_int_equal(kw_store_open(&cfg, &s), KW_E_INVALID);
	assert_int_equal(kw_store_open(NULL, &s), KW_E_INVALID);
	assert_int_equal(kw_store_open(&f->cfg, NULL), KW_E_INVALID);
	assert_int_equal(kw_store_open_with_ops(NULL, &f->cfg, &s),
			 KW_E_INVALID);
	/* Ops tables of another version or with a hole are refused. */
	kw_store_ops ops = *kw_store_backend(fx_backend);
	ops.version = KW_STORE_OPS_VERSION + 1;
	assert_int_equal(kw_store_open_with_ops(&ops, &f->cfg, &s),
			 KW_E_INVALID);
	ops = *kw_store_backend(fx_backend);
	ops.audit_last = NULL;
	assert_int_equal(kw_store_open_with_ops(&ops, &f->cfg, &s),
			 KW_E_INVALID);
	assert_ptr_equal(s, (kw_store *)&s);
	kw_store_close(NULL);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		fx_backend = argv[1];
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_abort_discards),
		T(test_snapshot_isolation),
		T(test_write_needs_write_txn),
		T(test_second_writer_times_out),
		T(test_writer_waits_for_writer),
		T(test_concurrent_writers_no_lost_update),
		T(test_readers_concurrent_with_writer),
		T(test_audit_trail),
		T(test_bad_inputs),
		T(test_open_bad_config),
	};
#undef T
	return cmocka_run_group_tests_name(fx_backend, tests, NULL, NULL);
}
