/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit/internal.h"
#include "fixture.h"
#include "util/jcs.h"

/*
 * kw_audit_read (GET /v1/audit): every filter and the cursor, checked
 * against a plain scan of the exported log; the alert hook; time parsing.
 */

static const char *const principals[] = {"alice", "bob", "carol"};
static const char *const ops[] = {"key_sign", "key_create", "auth_login"};
static const char *const keys[] = {"k1", "k2", NULL};

static void fill(afx *f, int n)
{
	for (int i = 0; i < n; i++) {
		kw_audit_event ev =
			afx_event(ops[i % 3], principals[i % 2 + (i % 5 == 0)],
				  (kw_audit_result)(i % 7 == 0	  ? 1
						    : i % 11 == 0 ? 2
								  : 0));

		ev.key = keys[i % 3];
		ev.key_version = 1;
		ev.partition = i % 4 == 0 ? "p2" : "default";
		assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	}
}

static bool field_is(const json_t *e, const char *name, const char *want)
{
	const char *v = json_string_value(json_object_get(e, name));

	return want == NULL || (v != NULL && strcmp(v, want) == 0);
}

/* The reference: does line match f? */
static bool ref_match(const char *line, const kw_audit_filter *f)
{
	static const char *const results[] = {"ok", "denied", "error"};
	json_t *e = NULL;
	int64_t t = 0;
	bool m;

	assert_int_equal(kw_jcs_parse(line, strlen(line), &e), KW_OK);
	assert_int_equal(
		kw_audit_time_parse(
			json_string_value(json_object_get(e, "time")), &t),
		KW_OK);
	m = field_is(e, "principal", f->principal) &&
	    field_is(e, "partition", f->partition) &&
	    field_is(e, "op", f->op) &&
	    (f->result < 0 || field_is(e, "result", results[f->result])) &&
	    (f->key == NULL ||
	     field_is(json_object_get(e, "key"), "name", f->key)) &&
	    (f->since_ms == 0 || t >= f->since_ms) &&
	    (f->until_ms == 0 || t < f->until_ms) &&
	    (uint64_t)json_integer_value(json_object_get(e, "seq")) >
		    f->after_seq;
	json_decref(e);
	return m;
}

/* Pages through kw_audit_read with f and compares with the reference. */
static void check_filter(afx *f, char **lines, size_t n, kw_audit_filter flt)
{
	size_t want = 0;
	size_t got = 0;
	int pages = 0;

	for (size_t i = 0; i < n; i++)
		want += ref_match(lines[i], &flt);
	for (;;) {
		kw_audit_page p;

		assert_int_equal(kw_audit_read(f->audit, &flt, &p), KW_OK);
		assert_true(p.count <= (flt.limit ? flt.limit : 100));
		for (size_t i = 0; i < p.count; i++) {
			/* In order, each one the next reference match. */
			while (got < n && !ref_match(lines[got], &flt))
				got++;
			assert_true(got < n);
			assert_string_equal(p.entries[i], lines[got]);
			got++;
			want--;
		}
		pages++;
		flt.after_seq = p.next_after;
		kw_audit_page_clear(&p);
		if (flt.after_seq == 0)
			break;
		assert_true(pages < 1000);
	}
	assert_int_equal(want, 0);
}

static void test_filters_and_pages(void **state)
{
	afx *f = *state;
	char **lines = NULL;
	size_t n;
	int64_t mid = 0;
	json_t *e = NULL;
	const kw_audit_filter any = {.result = -1};
	kw_audit_filter flt;

	afx_open_audit(f);
	fill(f, 120);
	n = afx_export(f, &lines);
	assert_int_equal(kw_jcs_parse(lines[n / 2], strlen(lines[n / 2]), &e),
			 KW_OK);
	assert_int_equal(
		kw_audit_time_parse(
			json_string_value(json_object_get(e, "time")), &mid),
		KW_OK);
	json_decref(e);

	check_filter(f, lines, n, any);
	flt = any;
	flt.limit = 7;
	check_filter(f, lines, n, flt);
	flt = any;
	flt.principal = "alice";
	flt.limit = 5;
	check_filter(f, lines, n, flt);
	flt = any;
	flt.op = "auth_login";
	flt.partition = "p2";
	check_filter(f, lines, n, flt);
	flt = any;
	flt.key = "k2";
	flt.result = KW_AUDIT_DENIED;
	check_filter(f, lines, n, flt);
	flt = any;
	flt.result = KW_AUDIT_ERROR;
	flt.limit = 1;
	check_filter(f, lines, n, flt);
	flt = any;
	flt.since_ms = mid;
	check_filter(f, lines, n, flt);
	flt = any;
	flt.until_ms = mid;
	flt.limit = 9;
	check_filter(f, lines, n, flt);
	flt = any;
	flt.since_ms = mid;
	flt.until_ms = mid + 1;
	check_filter(f, lines, n, flt);
	flt = any;
	flt.after_seq = 100;
	check_filter(f, lines, n, flt);
	flt = any;
	flt.principal = "nobody";
	check_filter(f, lines, n, flt);
	afx_lines_free(lines, n);
}

static void test_read_edges(void **state)
{
	afx *f = *state;
	kw_audit_filter flt = {.result = -1};
	kw_audit_page p;

	afx_open_audit(f);
	/* Empty trail. */
	assert_int_equal(kw_audit_read(f->audit, &flt, &p), KW_OK);
	assert_int_equal(p.count, 0);
	assert_int_equal(p.next_after, 0);
	kw_audit_page_clear(&p);
	fill(f, 3);
	/* Far cursor, future start. */
	flt.after_seq = UINT64_MAX;
	assert_int_equal(kw_audit_read(f->audit, &flt, &p), KW_OK);
	assert_int_equal(p.count, 0);
	kw_audit_page_clear(&p);
	flt.after_seq = 0;
	flt.since_ms = INT64_MAX / 2;
	assert_int_equal(kw_audit_read(f->audit, &flt, &p), KW_OK);
	assert_int_equal(p.count, 0);
	assert_int_equal(p.next_after, 0);
	kw_audit_page_clear(&p);
	/* Bad arguments. */
	flt.since_ms = 0;
	flt.limit = KW_AUDIT_READ_LIMIT_MAX + 1;
	assert_int_equal(kw_audit_read(f->audit, &flt, &p), KW_E_INVALID);
	flt.limit = 0;
	flt.result = 3;
	assert_int_equal(kw_audit_read(f->audit, &flt, &p), KW_E_INVALID);
	assert_int_equal(kw_audit_read(NULL, &flt, &p), KW_E_INVALID);
}

/* Runs on the writer thread only, one call at a time. */
static void count_done(void *arg, kw_rc rc, uint64_t seq)
{
	(void)seq;
	if (rc == KW_OK)
		(*(size_t *)arg)++;
}

/* A scan stops after KW_AUDIT_READ_SCAN_MAX entries with a cursor, so one
 * request never walks the whole trail. */
static void test_scan_budget(void **state)
{
	afx *f = *state;
	kw_audit_filter flt = {.result = -1, .principal = "needle"};
	kw_audit_event ev = afx_event("key_sign", "hay", KW_AUDIT_OK);
	kw_audit_page p;
	size_t done = 0;

	afx_open_audit(f);
	for (int i = 0; i < KW_AUDIT_READ_SCAN_MAX + 10; i++)
		assert_int_equal(
			kw_audit_submit(f->audit, &ev, count_done, &done),
			KW_OK);
	ev.principal = "needle";
	/* FIFO: once this is durable, so is everything before it. */
	assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	assert_int_equal(kw_audit_read(f->audit, &flt, &p), KW_OK);
	assert_int_equal(p.count, 0);
	assert_true(p.next_after > 0);
	flt.after_seq = p.next_after;
	kw_audit_page_clear(&p);
	assert_int_equal(kw_audit_read(f->audit, &flt, &p), KW_OK);
	assert_int_equal(p.count, 1);
	assert_non_null(strstr(p.entries[0], "\"principal\":\"needle\""));
	assert_int_equal(p.next_after, 0);
	kw_audit_page_clear(&p);
}

static void test_alerts(void **state)
{
	afx *f = *state;
	kw_audit_event ev;
	kw_audit_stats st;
	kw_audit_filter flt = {.result = -1, .op = "alert"};
	kw_audit_page p;
	json_t *e = NULL;

	f->cfg.alert_threshold = 3;
	f->cfg.alert_window_s = 3600;
	afx_open_audit(f);
	/* alice: 3 denials (from 3 sources) -> one alert after the third. */
	static const char *const alice_sources[] = {"10.0.0.1", "10.0.0.3",
						    "10.0.0.4"};
	ev = afx_event("key_sign", "alice", KW_AUDIT_DENIED);
	for (int i = 0; i < 3; i++) {
		ev.source = alice_sources[i];
		assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	}
	/* bob: 2 denials and successes -> nothing. */
	ev = afx_event("key_sign", "bob", KW_AUDIT_DENIED);
	ev.source = "10.0.0.2";
	for (int i = 0; i < 2; i++)
		assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	ev.result = KW_AUDIT_OK;
	for (int i = 0; i < 5; i++)
		assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	/* Failed logins of three unknown users from one source. */
	ev = afx_event("auth_login", "", KW_AUDIT_DENIED);
	ev.source = "10.0.0.9";
	for (int i = 0; i < 3; i++)
		assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);

	kw_audit_stats_get(f->audit, &st);
	assert_int_equal(st.alerts, 2);
	assert_int_equal(kw_audit_read(f->audit, &flt, &p), KW_OK);
	assert_int_equal(p.count, 2);
	assert_int_equal(kw_jcs_parse(p.entries[0], strlen(p.entries[0]), &e),
			 KW_OK);
	assert_string_equal(json_string_value(json_object_get(e, "reason")),
			    "repeated_denials");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(e, "detail"), "subject")),
			    "principal");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(e, "detail"), "value")),
			    "alice");
	/* It follows alice's third denial (seq 1 is the key's creation). */
	assert_int_equal(json_integer_value(json_object_get(e, "seq")), 5);
	json_decref(e);
	assert_non_null(strstr(p.entries[1], "\"value\":\"10.0.0.9\""));
	kw_audit_page_clear(&p);
}

/* The window slides: only denials within window_s of each other count. */
static void test_alert_window(void **state)
{
	audit_alerts *al = NULL;
	char name[32];

	(void)state;
	assert_int_equal(audit_alerts_new(3, 10, &al), KW_OK);
	assert_false(audit_alerts_note(al, "principal", "eve", 0));
	assert_false(audit_alerts_note(al, "principal", "eve", 5000));
	assert_false(audit_alerts_note(al, "principal", "eve", 10000));
	assert_true(audit_alerts_note(al, "principal", "eve", 12000));
	/* The count starts again after an alert. */
	assert_false(audit_alerts_note(al, "principal", "eve", 12001));
	assert_false(audit_alerts_note(al, "principal", "eve", 12002));
	assert_true(audit_alerts_note(al, "principal", "eve", 12003));
	/* Kinds are separate (two each here); empty subjects never alert. */
	for (int i = 0; i < 4; i++) {
		assert_false(audit_alerts_note(al, "source", "", 20000 + i));
		assert_false(audit_alerts_note(al, i % 2 ? "source" : "x",
					       "eve", 20000 + i));
	}
	/* Many distinct subjects: memory stays bounded (subjects are
	 * evicted) and a fresh burst still alerts. */
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "10.1.%d.%d", i / 256, i % 256);
		assert_false(audit_alerts_note(al, "source", name, 30000));
	}
	assert_false(audit_alerts_note(al, "principal", "mallory", 30001));
	assert_false(audit_alerts_note(al, "principal", "mallory", 30002));
	assert_true(audit_alerts_note(al, "principal", "mallory", 30003));
	audit_alerts_free(al);
	assert_int_equal(audit_alerts_new(0, 10, &al), KW_E_INVALID);
}

static void test_time_parse(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(kw_audit_time_parse("1970-01-01T00:00:00Z", &ms),
			 KW_OK);
	assert_int_equal(ms, 0);
	assert_int_equal(kw_audit_time_parse("2026-11-26T09:37:00.123Z", &ms),
			 KW_OK);
	assert_int_equal(ms, 1795685820123LL);
	assert_int_equal(
		kw_audit_time_parse("2026-11-26T10:37:00.1+01:00", &ms), KW_OK);
	assert_int_equal(ms, 1795685820100LL);
	assert_int_equal(kw_audit_time_parse("2026-11-26t09:37:00-00:30", &ms),
			 KW_OK);
	assert_int_equal(ms, 1795687620000LL);
	ms = 42;
	assert_int_equal(kw_audit_time_parse("2026-11-26T09:37:00", &ms),
			 KW_E_INVALID);
	assert_int_equal(kw_audit_time_parse("2026-13-26T09:37:00Z", &ms),
			 KW_E_INVALID);
	assert_int_equal(kw_audit_time_parse("2026-11-26T09:37:00.Z", &ms),
			 KW_E_INVALID);
	assert_int_equal(kw_audit_time_parse("2026-11-26T09:37:00Zjunk", &ms),
			 KW_E_INVALID);
	assert_int_equal(kw_audit_time_parse("yesterday", &ms), KW_E_INVALID);
	assert_int_equal(kw_audit_time_parse(NULL, &ms), KW_E_INVALID);
	assert_int_equal(ms, 42);
}

#define T(name) \
	cmocka_unit_test_setup_teardown(name, afx_setup_mem, afx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_filters_and_pages),
		T(test_read_edges),
		T(test_scan_budget),
		T(test_alerts),
		cmocka_unit_test(test_alert_window),
		cmocka_unit_test(test_time_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
