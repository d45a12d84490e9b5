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
#include <time.h>

#include <cmocka.h>

#include "fixture.h"
#include "util/jcs.h"

/*
 * Fail-closed: store faults injected through the ops table make every
 * pending and later submission fail with KW_E_AUDIT, without hanging; the
 * trail says why, retries by itself and, once the store accepts writes,
 * resumes with the chain intact (no gap, no duplicate seq) and an entry
 * that records the outage.
 */

typedef struct results {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t done;
	size_t ok;
	size_t audit_failed;
} results;

static void on_done(void *arg, kw_rc rc, uint64_t seq)
{
	results *r = arg;

	pthread_mutex_lock(&r->mu);
	r->done++;
	if (rc == KW_OK && seq > 0)
		r->ok++;
	if (rc == KW_E_AUDIT && seq == 0)
		r->audit_failed++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void results_wait(results *r, size_t n)
{
	pthread_mutex_lock(&r->mu);
	while (r->done < n)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

/* Waits (sleeping 1 ms at a time) until the trail is healthy again; fails
 * the test after a minute, which only a broken recovery would take. */
static void wait_healthy(afx *f)
{
	const struct timespec ms = {0, 1000000};

	for (int i = 0; i < 60000; i++) {
		if (kw_audit_healthy(f->audit, NULL, 0))
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("the audit trail did not recover");
}

static void open_fast_retry(afx *f)
{
	f->cfg.retry_interval_ms = 2;
	afx_open_audit(f);
	/* Let the first batch create the audit key before faults start. */
	assert_int_equal(kw_audit_checkpoint(f->audit, NULL), KW_OK);
}

/* Seq 1..n contiguous with prev links (the C verifier checks it all) and
 * the number of entries with op. */
static size_t chain_ok(afx *f, const char *op, json_t **out_last_of_op)
{
	char **lines = NULL;
	size_t n = afx_export(f, &lines);
	size_t count = 0;
	char *pem = afx_pubkeys_pem(f);
	kw_audit_verify_report rep;
	kw_audit_verify_opts opts = {.allow_tail = true};

	assert_int_equal(afx_verify(lines, n, pem, &opts, &rep), KW_OK);
	assert_int_equal(rep.entries, n);
	for (size_t i = 0; i < n; i++) {
		if (strstr(lines[i], op) == NULL)
			continue;
		count++;
		if (out_last_of_op != NULL) {
			json_decref(*out_last_of_op);
			assert_int_equal(kw_jcs_parse(lines[i],
						      strlen(lines[i]),
						      out_last_of_op),
					 KW_OK);
		}
	}
	free(pem);
	afx_lines_free(lines, n);
	return count;
}

static void test_disk_full_fails_closed_and_recovers(void **state)
{
	afx *f = *state;
	kw_audit_event ev = afx_event("key_sign", "alice", KW_AUDIT_OK);
	results r = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0,
		     0};
	char reason[128] = "";
	kw_audit_stats st;
	json_t *resumed = NULL;
	json_int_t refused;
	uint64_t before = 0;
	uint64_t seq = 0;
	size_t queued = 0;

	open_fast_retry(f);
	assert_int_equal(kw_audit_append(f->audit, &ev, &before), KW_OK);
	kw_store_fault_disk_full(f->fault, true);
	/* Everything queued now fails; once down, submissions fail fast. */
	for (int i = 0; i < 50; i++) {
		kw_rc rc = kw_audit_submit(f->audit, &ev, on_done, &r);

		assert_true(rc == KW_OK || rc == KW_E_AUDIT);
		queued += rc == KW_OK;
	}
	results_wait(&r, queued);
	assert_int_equal(r.audit_failed, queued);
	assert_int_equal(r.ok, 0);
	assert_false(kw_audit_healthy(f->audit, reason, sizeof(reason)));
	assert_non_null(strstr(reason, "cannot be written"));
	assert_non_null(strstr(reason, "storage_error"));
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_AUDIT);
	assert_int_equal(kw_audit_submit(f->audit, &ev, on_done, &r),
			 KW_E_AUDIT);
	kw_audit_stats_get(f->audit, &st);
	assert_false(st.healthy);
	assert_true(st.failures >= 1);
	assert_true(st.refused >= 52);
	assert_int_equal(st.last_seq, before);

	kw_store_fault_disk_full(f->fault, false);
	wait_healthy(f);
	assert_int_equal(kw_audit_append(f->audit, &ev, &seq), KW_OK);
	/* The resumed entry comes right after the last good one (then maybe
	 * a checkpoint): no gap, nothing of the failed batches was kept. */
	assert_true(seq >= before + 2);
	assert_int_equal(chain_ok(f, "\"op\":\"key_sign\"", NULL), 2);
	assert_int_equal(chain_ok(f, "\"op\":\"audit_resumed\"", &resumed), 1);
	assert_int_equal(json_integer_value(json_object_get(resumed, "seq")),
			 before + 1);
	/* It counts the refusals before the recovery attempt that worked:
	 * all 50 of the failed batch, and the 2 fast failures unless that
	 * attempt had begun before them (it may, while the fault clears). */
	kw_audit_stats_get(f->audit, &st);
	refused = json_integer_value(
		json_object_get(json_object_get(resumed, "detail"), "refused"));
	assert_int_equal(st.refused, 52);
	assert_true(refused >= 50 && refused <= 52);
	json_decref(resumed);
}

/* A commit that fails once: that batch fails, the next retry succeeds. */
static void test_failed_commit(void **state)
{
	afx *f = *state;
	kw_audit_event ev = afx_event("key_sign", "alice", KW_AUDIT_OK);
	uint64_t seq = 0;

	open_fast_retry(f);
	kw_store_fault_fail(f->fault, KW_FAULT_TXN_COMMIT, 1, 1, KW_E_STORAGE);
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_AUDIT);
	assert_int_equal(kw_store_fault_failures(f->fault, KW_FAULT_TXN_COMMIT),
			 1);
	wait_healthy(f);
	assert_int_equal(kw_audit_append(f->audit, &ev, &seq), KW_OK);
	assert_int_equal(chain_ok(f, "\"op\":\"key_sign\"", NULL), 1);
	assert_int_equal(chain_ok(f, "\"op\":\"audit_resumed\"", NULL), 1);
}

/* The 3rd append of a 10-entry batch fails: the two before it were in the
 * same transaction and are gone too; their seqs are given again. */
static void test_failed_append_mid_batch(void **state)
{
	afx *f = *state;
	kw_audit_event ev = afx_event("key_sign", "alice", KW_AUDIT_OK);
	results r = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0,
		     0};
	kw_store_txn *hold = NULL;
	uint64_t last = 0;

	open_fast_retry(f);
	assert_int_equal(kw_store_txn_begin(f->store, true, &hold), KW_OK);
	for (int i = 0; i < 10; i++)
		assert_int_equal(kw_audit_submit(f->audit, &ev, on_done, &r),
				 KW_OK);
	kw_store_fault_fail(f->fault, KW_FAULT_AUDIT_APPEND, 3, 1,
			    KW_E_STORAGE);
	kw_store_txn_abort(hold);
	results_wait(&r, 10);
	/* A batch that had begun before the gate may hold one entry. */
	assert_true(r.audit_failed >= 9);
	assert_int_equal(r.ok + r.audit_failed, 10);
	wait_healthy(f);
	assert_int_equal(kw_audit_append(f->audit, &ev, &last), KW_OK);
	assert_int_equal(chain_ok(f, "\"op\":\"key_sign\"", NULL), r.ok + 1);
}

/* While the store cannot even be read, the trail stays down and keeps
 * retrying; submissions keep failing fast. */
static void test_stays_down_while_store_unreadable(void **state)
{
	afx *f = *state;
	kw_audit_event ev = afx_event("key_sign", "alice", KW_AUDIT_OK);
	uint64_t calls;

	open_fast_retry(f);
	kw_store_fault_fail_always(f->fault, KW_FAULT_AUDIT_LAST, KW_E_STORAGE);
	kw_store_fault_disk_full(f->fault, true);
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_E_AUDIT);
	kw_store_fault_disk_full(f->fault, false);
	/* Wait for a few retries to have hit the unreadable store. */
	calls = kw_store_fault_calls(f->fault, KW_FAULT_AUDIT_LAST);
	while (kw_store_fault_calls(f->fault, KW_FAULT_AUDIT_LAST) < calls + 3)
		assert_int_equal(kw_audit_append(f->audit, &ev, NULL),
				 KW_E_AUDIT);
	assert_false(kw_audit_healthy(f->audit, NULL, 0));
	kw_store_fault_clear(f->fault);
	wait_healthy(f);
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	assert_int_equal(chain_ok(f, "\"op\":\"key_sign\"", NULL), 1);
}

static void test_open_fails_on_unreadable_head(void **state)
{
	afx *f = *state;
	kw_audit *a = NULL;

	kw_store_fault_fail(f->fault, KW_FAULT_AUDIT_LAST, 1, 1, KW_E_STORAGE);
	assert_int_equal(kw_audit_open(f->store, f->b, &f->cfg, &a),
			 KW_E_STORAGE);
	assert_null(a);
}

/* A head that is not a valid entry refuses to open: the chain cannot be
 * continued from it. */
static void test_open_fails_on_corrupt_head(void **state)
{
	afx *f = *state;
	kw_store_txn *t = NULL;
	kw_audit *a = NULL;
	const char *bad = "{\"seq\":1,\"hash\":\"00\",\"time\":\"x\","
			  "\"op\":\"key_sign\"}";

	assert_int_equal(kw_store_txn_begin(f->store, true, &t), KW_OK);
	assert_int_equal(
		kw_store_audit_append(t, 1, (const uint8_t *)bad, strlen(bad)),
		KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	assert_int_equal(kw_audit_open(f->store, f->b, &f->cfg, &a),
			 KW_E_INTEGRITY);
	assert_null(a);
}

#define T(name, setup) \
	cmocka_unit_test_setup_teardown(name, setup, afx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_disk_full_fails_closed_and_recovers, afx_setup_sqlite),
		T(test_failed_commit, afx_setup_sqlite),
		T(test_failed_append_mid_batch, afx_setup_mem),
		T(test_stays_down_while_store_unreadable, afx_setup_mem),
		T(test_open_fails_on_unreadable_head, afx_setup_mem),
		T(test_open_fails_on_corrupt_head, afx_setup_mem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
