/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/internal.h"

/*
 * Filtered reads for GET /v1/audit. The store keeps the trail by seq only,
 * so filters are applied here, on at most KW_AUDIT_READ_SCAN_MAX entries
 * per call (a page may come back short, with a cursor to go on). The time
 * range is cheap anyway: entry times never decrease along the chain (the
 * writer makes sure), so "since" is found by binary search over seq and
 * "until" ends the scan.
 */

#define DEFAULT_LIMIT 100
#define READ_CHUNK    256

static const char *const result_names[] = {"ok", "denied", "error"};

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

kw_rc kw_audit_time_parse(const char *text, int64_t *out_ms)
{
	struct tm tm = {0};
	const char *p;
	int64_t ms = 0;
	int64_t offset_s = 0;
	int scale = 100;
	time_t sec;

	if (text == NULL || out_ms == NULL || strlen(text) < 20 ||
	    text[4] != '-' || text[7] != '-' ||
	    (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
	    text[16] != ':')
		return KW_E_INVALID;
	tm.tm_year = digits(text, 4) - 1900;
	tm.tm_mon = digits(text + 5, 2) - 1;
	tm.tm_mday = digits(text + 8, 2);
	tm.tm_hour = digits(text + 11, 2);
	tm.tm_min = digits(text + 14, 2);
	tm.tm_sec = digits(text + 17, 2);
	if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
	    tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 60)
		return KW_E_INVALID;
	p = text + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return KW_E_INVALID;
		for (; *p >= '0' && *p <= '9'; p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		offset_s = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int h = digits(p + 1, 2);
		int m = digits(p + 4, 2);

		if (h < 0 || h > 23 || m < 0 || m > 59)
			return KW_E_INVALID;
		offset_s = (int64_t)(h * 3600 + m * 60) * (*p == '+' ? 1 : -1);
	} else {
		return KW_E_INVALID;
	}
	sec = timegm(&tm);
	if (sec == (time_t)-1)
		return KW_E_INVALID;
	*out_ms = ((int64_t)sec - offset_s) * 1000 + ms;
	return KW_OK;
}

void kw_audit_page_clear(kw_audit_page *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->count; i++)
		free(p->entries[i]);
	free(p->entries);
	memset(p, 0, sizeof(*p));
}

/* ---- since: binary search ----------------------------------------------- */

typedef struct probe {
	int64_t time_ms;
	kw_rc rc;
} probe;

static kw_rc probe_cb(uint64_t seq, const uint8_t *entry, size_t len, void *arg)
{
	probe *pr = arg;
	json_t *e = NULL;

	(void)seq;
	pr->rc = audit_entry_parse(entry, len, &e);
	if (pr->rc == KW_OK)
		pr->rc = kw_audit_time_parse(
				 json_string_value(json_object_get(e, "time")),
				 &pr->time_ms) == KW_OK
				 ? KW_OK
				 : KW_E_INTEGRITY;
	json_decref(e);
	return pr->rc;
}

/* The first seq in [lo, hi] whose time is >= since_ms, or hi + 1. */
static kw_rc seek_since(kw_store_txn *t, uint64_t lo, uint64_t hi,
			int64_t since_ms, uint64_t *out)
{
	kw_rc rc = KW_OK;

	while (lo <= hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		probe pr = {0, KW_E_INTEGRITY};

		rc = kw_store_audit_read(t, mid, 1, probe_cb, &pr);
		if (rc == KW_OK)
			rc = pr.rc;
		if (rc != KW_OK)
			return rc;
		if (pr.time_ms >= since_ms)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	*out = lo;
	return rc;
}

/* ---- the scan ----------------------------------------------------------- */

typedef struct scan {
	const kw_audit_filter *f;
	size_t limit;
	kw_audit_page page;
	uint64_t last_seen;
	bool past_until;
	kw_rc rc;
} scan;

static bool str_matches(const json_t *e, const char *field, const char *want)
{
	const char *v = json_string_value(json_object_get(e, field));

	return want == NULL || (v != NULL && strcmp(v, want) == 0);
}

static bool matches(const kw_audit_filter *f, const json_t *e)
{
	const json_t *key = json_object_get(e, "key");

	if (f->result >= 0 &&
	    (f->result > KW_AUDIT_ERROR ||
	     !str_matches(e, "result", result_names[f->result])))
		return false;
	if (f->key != NULL && !str_matches(key, "name", f->key))
		return false;
	return str_matches(e, "principal", f->principal) &&
	       str_matches(e, "partition", f->partition) &&
	       str_matches(e, "op", f->op);
}

static kw_rc scan_cb(uint64_t seq, const uint8_t *entry, size_t len, void *arg)
{
	scan *sc = arg;
	json_t *e = NULL;
	int64_t when = 0;
	char *copy = NULL;

	sc->rc = audit_entry_parse(entry, len, &e);
	if (sc->rc == KW_OK &&
	    kw_audit_time_parse(json_string_value(json_object_get(e, "time")),
				&when) != KW_OK)
		sc->rc = KW_E_INTEGRITY;
	if (sc->rc != KW_OK)
		goto out;
	if (sc->f->until_ms != 0 && when >= sc->f->until_ms) {
		sc->past_until = true;
		sc->rc = KW_E_LIMIT; /* stops the listing */
		goto out;
	}
	sc->last_seen = seq;
	if ((sc->f->since_ms != 0 && when < sc->f->since_ms) ||
	    !matches(sc->f, e))
		goto out;
	sc->rc = KW_E_NOMEM;
	copy = malloc(len + 1);
	if (copy == NULL)
		goto out;
	memcpy(copy, entry, len);
	copy[len] = '\0';
	sc->page.entries[sc->page.count++] = copy;
	sc->rc = sc->page.count == sc->limit ? KW_E_LIMIT : KW_OK;
out:
	json_decref(e);
	return sc->rc;
}

kw_rc kw_audit_read(kw_audit *a, const kw_audit_filter *f, kw_audit_page *out)
{
	scan sc = {.f = f, .rc = KW_OK};
	kw_store_txn *t = NULL;
	uint64_t last = 0;
	uint64_t from;
	size_t budget = KW_AUDIT_READ_SCAN_MAX;
	kw_rc rc = KW_E_INVALID;

	if (a == NULL || f == NULL || out == NULL ||
	    f->limit > KW_AUDIT_READ_LIMIT_MAX || f->result > KW_AUDIT_ERROR)
		goto out;
	sc.limit = f->limit != 0 ? f->limit : DEFAULT_LIMIT;
	rc = KW_E_NOMEM;
	sc.page.entries = calloc(sc.limit, sizeof(char *));
	if (sc.page.entries == NULL)
		goto out;
	rc = kw_store_txn_begin(a->store, false, &t);
	if (rc == KW_OK)
		rc = kw_store_audit_last(t, &last);
	if (rc != KW_OK)
		goto out;
	if (f->after_seq >= last) { /* nothing after the cursor */
		*out = sc.page;
		memset(&sc.page, 0, sizeof(sc.page));
		goto out;
	}
	from = f->after_seq + 1;
	if (f->since_ms != 0 && from <= last)
		rc = seek_since(t, from, last, f->since_ms, &from);
	if (rc != KW_OK)
		goto out;
	sc.last_seen = from - 1;
	while (from <= last && budget > 0 && sc.page.count < sc.limit &&
	       !sc.past_until) {
		size_t chunk = budget < READ_CHUNK ? budget : READ_CHUNK;

		rc = kw_store_audit_read(t, from, chunk, scan_cb, &sc);
		if (rc == KW_E_LIMIT && sc.rc == KW_E_LIMIT)
			rc = KW_OK; /* page full or past "until" */
		if (rc != KW_OK)
			goto out;
		budget -= chunk;
		from = sc.last_seen + 1;
	}
	sc.page.next_after =
		(sc.past_until || sc.last_seen >= last) ? 0 : sc.last_seen;
	*out = sc.page;
	memset(&sc.page, 0, sizeof(sc.page));
out:
	kw_store_txn_abort(t);
	kw_audit_page_clear(&sc.page);
	return rc;
}
