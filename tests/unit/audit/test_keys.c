/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
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
 * The audit key: created at the first unseal, sealed with everything else,
 * checkpoints wait while sealed, rotation keeps old checkpoints verifiable,
 * close certifies the tail.
 */

static size_t count_op(char **lines, size_t n, const char *op)
{
	char needle[64];
	size_t c = 0;

	snprintf(needle, sizeof(needle), "\"op\":\"%s\"", op);
	for (size_t i = 0; i < n; i++)
		c += strstr(lines[i], needle) != NULL;
	return c;
}

static void append_n(afx *f, int n, const char *op)
{
	kw_audit_event ev = afx_event(op, "", KW_AUDIT_OK);

	for (int i = 0; i < n; i++)
		assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
}

static void current_key_id(afx *f, char out[65])
{
	kw_audit_pubkey *keys = NULL;
	size_t n = 0;

	assert_int_equal(kw_audit_pubkeys(f->audit, &keys, &n), KW_OK);
	assert_true(n >= 1);
	assert_true(keys[n - 1].current);
	for (size_t i = 0; i + 1 < n; i++)
		assert_false(keys[i].current);
	memcpy(out, keys[n - 1].key_id, 65);
	kw_audit_pubkeys_free(keys, n);
}

/* Sealed: entries (unseal attempts, health) are written, checkpoints and
 * the public key wait; after the unseal the key is made and the waiting
 * checkpoint is written. */
static void test_sealed_then_unsealed(void **state)
{
	afx *f = *state;
	kw_audit_pubkey *keys = NULL;
	size_t nkeys = 0;
	char **lines = NULL;
	size_t n;
	uint64_t cp = 0;
	char *pem;
	kw_audit_verify_report rep;

	f->cfg.checkpoint_every = 3;
	afx_open_audit(f);
	append_n(f, 7, "sys_unseal");
	assert_int_equal(kw_audit_checkpoint(f->audit, &cp), KW_E_SEALED);
	assert_int_equal(kw_audit_pubkeys(f->audit, &keys, &nkeys),
			 KW_E_SEALED);
	assert_int_equal(kw_audit_key_rotate(f->audit, NULL), KW_E_SEALED);
	n = afx_export(f, &lines);
	assert_int_equal(n, 7);
	assert_int_equal(count_op(lines, n, "checkpoint"), 0);
	afx_lines_free(lines, n);

	afx_unseal(f);
	assert_int_equal(kw_audit_checkpoint(f->audit, &cp), KW_OK);
	n = afx_export(f, &lines);
	assert_int_equal(cp, n);
	assert_int_equal(count_op(lines, n, "audit_key_create"), 1);
	assert_int_equal(count_op(lines, n, "checkpoint"), 1);
	pem = afx_pubkeys_pem(f);
	assert_int_equal(afx_verify(lines, n, pem, NULL, &rep), KW_OK);
	free(pem);
	afx_lines_free(lines, n);

	/* Sealed again: the key is gone from the writer at once. */
	afx_seal(f);
	append_n(f, 2, "sys_health");
	assert_int_equal(kw_audit_checkpoint(f->audit, &cp), KW_E_SEALED);
	/* The public keys stay known: they are public. */
	assert_int_equal(kw_audit_pubkeys(f->audit, &keys, &nkeys), KW_OK);
	assert_int_equal(nkeys, 1);
	assert_non_null(strstr(keys[0].pem, "BEGIN PUBLIC KEY"));
	kw_audit_pubkeys_free(keys, nkeys);
}

/* The key survives restarts (sealed record); close certifies the tail. */
static void test_key_persists_and_close_checkpoints(void **state)
{
	afx *f = *state;
	char id1[65];
	char id2[65];
	char **lines = NULL;
	size_t n;

	afx_open_audit(f);
	afx_unseal(f);
	assert_int_equal(kw_audit_checkpoint(f->audit, NULL), KW_OK);
	current_key_id(f, id1);
	append_n(f, 3, "key_create");
	afx_restart(f, true);
	n = afx_export(f, &lines);
	assert_non_null(strstr(lines[n - 1], "\"op\":\"checkpoint\""));
	assert_non_null(strstr(lines[n - 1], id1));
	afx_lines_free(lines, n);
	assert_int_equal(kw_audit_checkpoint(f->audit, NULL), KW_OK);
	current_key_id(f, id2);
	assert_string_equal(id1, id2);
	n = afx_export(f, &lines);
	assert_int_equal(count_op(lines, n, "audit_key_create"), 1);
	afx_lines_free(lines, n);
}

/* Rotation: old checkpoints verify with the old key, new ones with the new
 * key; the rotation entry names the new key and is certified by the old. */
static void test_rotation(void **state)
{
	afx *f = *state;
	char old_id[65];
	char new_id[65] = "";
	char **lines = NULL;
	size_t n;
	kw_audit_pubkey *keys = NULL;
	size_t nkeys = 0;
	kw_audit_verify_report rep;
	json_t *rot = NULL;
	size_t rot_i = 0;

	f->cfg.checkpoint_every = 4;
	afx_open_audit(f);
	afx_unseal(f);
	append_n(f, 6, "key_sign");
	current_key_id(f, old_id);
	assert_int_equal(kw_audit_key_rotate(f->audit, new_id), KW_OK);
	assert_string_not_equal(old_id, new_id);
	append_n(f, 6, "key_sign");
	assert_int_equal(kw_audit_checkpoint(f->audit, NULL), KW_OK);
	assert_int_equal(kw_audit_pubkeys(f->audit, &keys, &nkeys), KW_OK);
	assert_int_equal(nkeys, 2);
	assert_string_equal(keys[0].key_id, old_id);
	assert_string_equal(keys[1].key_id, new_id);

	n = afx_export(f, &lines);
	for (rot_i = 0; rot_i < n; rot_i++)
		if (strstr(lines[rot_i], "\"op\":\"audit_key_rotate\""))
			break;
	assert_true(rot_i + 1 < n);
	assert_int_equal(kw_jcs_parse(lines[rot_i], strlen(lines[rot_i]), &rot),
			 KW_OK);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(rot, "detail"), "new_public_key")),
		keys[1].pem);
	json_decref(rot);
	/* Right after it, a checkpoint by the old key. */
	assert_non_null(strstr(lines[rot_i + 1], "\"op\":\"checkpoint\""));
	assert_non_null(strstr(lines[rot_i + 1], old_id));
	assert_non_null(strstr(lines[n - 1], new_id));

	/* Both keys: valid. One of them: the first checkpoint of the other
	 * fails. */
	char *both = afx_pubkeys_pem(f);
	assert_int_equal(afx_verify(lines, n, both, NULL, &rep), KW_OK);
	assert_int_equal(afx_verify(lines, n, keys[1].pem, NULL, &rep),
			 KW_E_VERIFY);
	assert_non_null(strstr(rep.reason, old_id));
	assert_int_equal(afx_verify(lines, n, keys[0].pem, NULL, &rep),
			 KW_E_VERIFY);
	assert_true(rep.bad_line > rot_i + 2);
	assert_non_null(strstr(rep.reason, new_id));
	free(both);
	afx_lines_free(lines, n);
	kw_audit_pubkeys_free(keys, nkeys);

	/* After a restart the new key signs, the old one is still listed. */
	afx_restart(f, true);
	append_n(f, 1, "key_sign");
	assert_int_equal(kw_audit_checkpoint(f->audit, NULL), KW_OK);
	current_key_id(f, old_id);
	assert_string_equal(old_id, new_id);
	n = afx_export(f, &lines);
	both = afx_pubkeys_pem(f);
	assert_int_equal(afx_verify(lines, n, both, NULL, &rep), KW_OK);
	free(both);
	afx_lines_free(lines, n);
}

/* A checkpoint request when the last entry is one already returns it. */
static void test_checkpoint_idempotent(void **state)
{
	afx *f = *state;
	uint64_t a = 0;
	uint64_t b = 0;

	afx_open_audit(f);
	afx_unseal(f);
	append_n(f, 2, "key_sign");
	assert_int_equal(kw_audit_checkpoint(f->audit, &a), KW_OK);
	assert_int_equal(kw_audit_checkpoint(f->audit, &b), KW_OK);
	assert_int_equal(a, b);
	append_n(f, 1, "key_sign");
	assert_int_equal(kw_audit_checkpoint(f->audit, &b), KW_OK);
	assert_int_equal(b, a + 2);
}

/* With entries since the last checkpoint, the interval writes one by
 * itself (waited for, not timed). */
static void test_interval_checkpoint(void **state)
{
	afx *f = *state;
	const struct timespec ms = {0, 1000000};
	kw_audit_stats st;
	uint64_t seq = 0;

	f->cfg.checkpoint_interval_s = 1;
	afx_open_audit(f);
	afx_unseal(f);
	append_n(f, 1, "key_sign");
	assert_int_equal(kw_audit_checkpoint(f->audit, &seq), KW_OK);
	append_n(f, 1, "key_sign");
	for (int i = 0; i < 60000; i++) {
		kw_audit_stats_get(f->audit, &st);
		if (st.checkpoints == 2)
			break;
		nanosleep(&ms, NULL);
	}
	assert_int_equal(st.checkpoints, 2);
	assert_int_equal(st.last_seq, seq + 2);
}

#define T(name) \
	cmocka_unit_test_setup_teardown(name, afx_setup_sealed, afx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sealed_then_unsealed),
		T(test_key_persists_and_close_checkpoints),
		T(test_rotation),
		T(test_checkpoint_idempotent),
		T(test_interval_checkpoint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
