/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "audit"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/internal.h"
#include "keywarden/log.h"
#include "util/jcs.h"

/*
 * An entry is a flat JSON object (DESIGN.md §5, docs/audit.md):
 *   seq, time, node, principal, partition, op, key ({name, version} or
 *   null), result, reason, request_id, source, prev, hash
 * plus "detail" (an object) when the event has one, and "key_id" + "sig" on
 * checkpoints. The store keeps each entry as its canonical JSON text, hash
 * included, which is also the exported line.
 */

static const char *const result_names[] = {"ok", "denied", "error"};

int64_t audit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t audit_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void audit_time_format(int64_t ms, char out[static 32])
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	/* The modulos tell the compiler each field's width. */
	snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
		 (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
		 (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
		 (unsigned)tm.tm_sec % 100u, (unsigned)(ms % 1000) % 1000u);
}

/* A string field: NULL becomes "", over-long or non-UTF-8 text fails. */
static kw_rc set_str(json_t *e, const char *name, const char *value)
{
	json_t *s;

	if (value == NULL)
		value = "";
	if (strnlen(value, KW_AUDIT_FIELD_MAX + 1) > KW_AUDIT_FIELD_MAX)
		return KW_E_INVALID;
	s = json_string(value); /* NULL for invalid UTF-8 */
	if (s == NULL)
		return KW_E_INVALID;
	return json_object_set_new(e, name, s) == 0 ? KW_OK : KW_E_NOMEM;
}

/* What canonical JSON cannot hold (reals) is refused when the entry's
 * text is made (audit.c, submit_item). */
static kw_rc set_detail(json_t *e, const char *detail)
{
	json_t *d = NULL;
	kw_rc rc = KW_OK;

	if (detail == NULL)
		goto out;
	rc = KW_E_INVALID;
	if (strnlen(detail, KW_AUDIT_DETAIL_MAX + 1) > KW_AUDIT_DETAIL_MAX)
		goto out;
	if (kw_jcs_parse(detail, strlen(detail), &d) != KW_OK ||
	    !json_is_object(d))
		goto out;
	rc = json_object_set(e, "detail", d) == 0 ? KW_OK : KW_E_NOMEM;
out:
	json_decref(d);
	return rc;
}

kw_rc audit_entry_from_event(const kw_audit_event *ev, const char *node,
			     json_t **out)
{
	json_t *e = NULL;
	json_t *key = NULL;
	kw_rc rc = KW_E_INVALID;

	if (ev == NULL || ev->op == NULL || ev->op[0] == '\0' ||
	    (unsigned)ev->result > KW_AUDIT_ERROR)
		goto out;
	rc = KW_E_NOMEM;
	e = json_object();
	if (e == NULL)
		goto out;
	rc = set_str(e, "node", node);
	if (rc == KW_OK)
		rc = set_str(e, "principal", ev->principal);
	if (rc == KW_OK)
		rc = set_str(e, "partition", ev->partition);
	if (rc == KW_OK)
		rc = set_str(e, "op", ev->op);
	if (rc == KW_OK)
		rc = set_str(e, "result", result_names[ev->result]);
	if (rc == KW_OK)
		rc = set_str(e, "reason", ev->reason);
	if (rc == KW_OK)
		rc = set_str(e, "request_id", ev->request_id);
	if (rc == KW_OK)
		rc = set_str(e, "source", ev->source);
	if (rc == KW_OK)
		rc = set_detail(e, ev->detail);
	if (rc != KW_OK)
		goto out;
	if (ev->key != NULL && ev->key[0] != '\0') {
		rc = KW_E_NOMEM;
		key = json_object();
		if (key == NULL)
			goto out;
		rc = set_str(key, "name", ev->key);
		if (rc == KW_OK && ev->key_version != 0 &&
		    json_object_set_new(key, "version",
					json_integer(ev->key_version)) != 0)
			rc = KW_E_NOMEM;
		if (rc != KW_OK)
			goto out;
	}
	rc = json_object_set_new(e, "key", key != NULL ? key : json_null()) == 0
		     ? KW_OK
		     : KW_E_NOMEM;
	key = NULL;
	if (rc != KW_OK)
		goto out;
	*out = e;
	e = NULL;
out:
	json_decref(key);
	json_decref(e);
	return rc;
}

kw_rc audit_entry_system(const char *node, const char *op, const char *reason,
			 json_t *detail, json_t **out)
{
	const kw_audit_event ev = {.op = op, .reason = reason};
	json_t *e = NULL;
	kw_rc rc = audit_entry_from_event(&ev, node, &e);

	if (rc == KW_OK && detail != NULL &&
	    json_object_set(e, "detail", detail) != 0)
		rc = KW_E_NOMEM;
	if (rc != KW_OK)
		goto out;
	*out = e;
	e = NULL;
out:
	json_decref(detail);
	json_decref(e);
	return rc;
}

bool audit_entry_denied(const json_t *e)
{
	const char *r = json_string_value(json_object_get(e, "result"));

	return r != NULL && strcmp(r, result_names[KW_AUDIT_DENIED]) == 0;
}

static const char *const chain_names[AUDIT_CHAIN_MEMBERS] = {"hash", "prev",
							     "seq", "time"};

kw_rc audit_text_make(const json_t *e, audit_text *out)
{
	return kw_jcs_encode_parts(e, chain_names, AUDIT_CHAIN_MEMBERS,
				   &out->text, out->ends);
}

void audit_text_clear(audit_text *t)
{
	free(t->text);
	t->text = NULL;
}

/* The canonical text of p with the chain's members chain[] (each
 * '"name":value', NULL to leave it out) put in their places. */
static char *join(const audit_text *p, const char *const *chain,
		  size_t *out_len)
{
	/* braces, commas, NUL */
	size_t len = 3 + AUDIT_CHAIN_MEMBERS * 2 + p->ends[AUDIT_CHAIN_MEMBERS];
	size_t start = 0;
	size_t n = 0;
	char *out;

	for (size_t k = 0; k < AUDIT_CHAIN_MEMBERS; k++)
		len += chain[k] != NULL ? strlen(chain[k]) : 0;
	out = malloc(len);
	if (out == NULL)
		return NULL;
	out[n++] = '{';
	for (size_t k = 0; k <= AUDIT_CHAIN_MEMBERS; k++) {
		size_t part = p->ends[k] - start;

		if (part > 0) {
			if (n > 1)
				out[n++] = ',';
			memcpy(out + n, p->text + start, part);
			n += part;
		}
		start = p->ends[k];
		if (k == AUDIT_CHAIN_MEMBERS || chain[k] == NULL)
			continue;
		if (n > 1)
			out[n++] = ',';
		memcpy(out + n, chain[k], strlen(chain[k]));
		n += strlen(chain[k]);
	}
	out[n++] = '}';
	out[n] = '\0';
	*out_len = n;
	return out;
}

kw_rc audit_entry_append_text(kw_store_txn *t, audit_head *h,
			      const audit_text *p, bool checkpoint)
{
	char time_text[32];
	char hash[KW_AUDIT_HASH_HEX_LEN + 1];
	char m_hash[KW_AUDIT_HASH_HEX_LEN + 16];
	char m_prev[KW_AUDIT_HASH_HEX_LEN + 16];
	char m_seq[40];
	char m_time[48];
	const char *chain[AUDIT_CHAIN_MEMBERS] = {NULL, m_prev, m_seq, m_time};
	char *text = NULL;
	size_t len = 0;
	int64_t now = audit_now_ms();
	/* Times never go backwards along the chain (reads rely on it). */
	int64_t when = now > h->time_ms ? now : h->time_ms;
	kw_rc rc = KW_E_NOMEM;

	audit_time_format(when, time_text);
	snprintf(m_prev, sizeof(m_prev), "\"prev\":\"%s\"", h->hash);
	snprintf(m_seq, sizeof(m_seq), "\"seq\":%llu",
		 (unsigned long long)h->seq + 1);
	snprintf(m_time, sizeof(m_time), "\"time\":\"%s\"", time_text);
	/* The hash covers the entry without its "hash" member. */
	text = join(p, chain, &len);
	if (text == NULL)
		goto out;
	rc = kw_audit_sha256_hex(text, len, hash);
	if (rc != KW_OK)
		goto out;
	snprintf(m_hash, sizeof(m_hash), "\"hash\":\"%s\"", hash);
	chain[0] = m_hash;
	free(text);
	rc = KW_E_NOMEM;
	text = join(p, chain, &len);
	if (text == NULL)
		goto out;
	rc = kw_store_audit_append(t, h->seq + 1, (const uint8_t *)text, len);
	if (rc != KW_OK)
		goto out;
	h->seq++;
	memcpy(h->hash, hash, sizeof(h->hash));
	h->time_ms = when;
	if (checkpoint) {
		h->since_cp = 0;
		h->last_cp_seq = h->seq;
		h->last_cp_mono_ms = audit_mono_ms();
	} else {
		h->since_cp++;
	}
out:
	free(text);
	return rc;
}

kw_rc audit_entry_append(kw_store_txn *t, audit_head *h, const json_t *e)
{
	audit_text p = {0};
	kw_rc rc = audit_text_make(e, &p);

	if (rc == KW_OK)
		rc = audit_entry_append_text(
			t, h, &p,
			strcmp(json_string_value(json_object_get(e, "op")),
			       "checkpoint") == 0);
	audit_text_clear(&p);
	return rc;
}

kw_rc audit_entry_parse(const uint8_t *text, size_t len, json_t **out)
{
	json_t *e = NULL;
	kw_rc rc = KW_E_INTEGRITY;

	if (kw_jcs_parse((const char *)text, len, &e) != KW_OK ||
	    !json_is_object(e) || !json_is_integer(json_object_get(e, "seq")) ||
	    !json_is_string(json_object_get(e, "hash")) ||
	    !json_is_string(json_object_get(e, "time")) ||
	    !json_is_string(json_object_get(e, "op")))
		goto out;
	*out = e;
	e = NULL;
	rc = KW_OK;
out:
	json_decref(e);
	return rc;
}

typedef struct head_read {
	json_t *entry;
	kw_rc rc;
} head_read;

static kw_rc head_cb(uint64_t seq, const uint8_t *entry, size_t len, void *arg)
{
	head_read *hr = arg;

	(void)seq;
	hr->rc = audit_entry_parse(entry, len, &hr->entry);
	return hr->rc;
}

kw_rc audit_head_load(kw_store *s, audit_head *out)
{
	kw_store_txn *t = NULL;
	head_read hr = {NULL, KW_E_NOT_FOUND};
	audit_head h = {.seq = 0, .hash = KW_AUDIT_ZERO_HASH};
	char hash[KW_AUDIT_HASH_HEX_LEN + 1];
	kw_rc rc;

	rc = kw_store_txn_begin(s, false, &t);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_audit_last(t, &h.seq);
	if (rc != KW_OK || h.seq == 0)
		goto out;
	rc = kw_store_audit_read(t, h.seq, 1, head_cb, &hr);
	if (rc == KW_OK && hr.entry == NULL)
		rc = KW_E_INTEGRITY;
	if (rc != KW_OK)
		goto out;
	/* The head must be what it claims: its hash is what every later
	 * entry will chain to. */
	rc = KW_E_INTEGRITY;
	if ((uint64_t)json_integer_value(json_object_get(hr.entry, "seq")) !=
		    h.seq ||
	    kw_audit_entry_hash(hr.entry, hash) != KW_OK ||
	    strcmp(hash,
		   json_string_value(json_object_get(hr.entry, "hash"))) != 0 ||
	    kw_audit_time_parse(
		    json_string_value(json_object_get(hr.entry, "time")),
		    &h.time_ms) != KW_OK) {
		KW_LOG_ERROR("the last audit entry (seq %llu) is malformed",
			     (unsigned long long)h.seq);
		goto out;
	}
	memcpy(h.hash, hash, sizeof(h.hash));
	/* Entries before a restart count as uncertified until proven
	 * otherwise: a checkpoint is due at once unless the head is one. */
	if (strcmp(json_string_value(json_object_get(hr.entry, "op")),
		   "checkpoint") == 0)
		h.last_cp_seq = h.seq;
	else
		h.since_cp = 1;
	rc = KW_OK;
out:
	kw_store_txn_abort(t);
	json_decref(hr.entry);
	if (rc == KW_OK) {
		/* An uncertified head makes the interval checkpoint due now. */
		h.last_cp_mono_ms =
			h.since_cp > 0 ? INT64_MIN / 4 : audit_mono_ms();
		*out = h;
	}
	return rc;
}
