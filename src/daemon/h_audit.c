/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/handlers.h"
#include "daemon/wire.h"

/* A time filter (RFC 3339) into unix ms; answers 400 if malformed. */
static bool time_arg(kw_req *r, const char *name, int64_t *out)
{
	const char *q = kw_req_query(r, name);

	*out = 0;
	if (q == NULL || kw_audit_time_parse(q, out) == KW_OK)
		return true;
	kw_reply_error(r, 400, "invalid_argument",
		       "?since and ?until are RFC 3339 times");
	return false;
}

/* ?result= as a kw_audit_result (-1 when absent); answers 400 and
 * returns false when it is not ok, denied or error. */
static bool result_arg(kw_req *r, int *out)
{
	static const char *const names[] = {"ok", "denied", "error"};
	const char *q = kw_req_query(r, "result");

	*out = -1;
	for (int i = 0; q != NULL && i < 3; i++)
		if (strcmp(q, names[i]) == 0)
			*out = i;
	if (q == NULL || *out >= 0)
		return true;
	kw_reply_error(r, 400, "invalid_argument",
		       "?result is ok, denied or error");
	return false;
}

void kw_h_audit_read(kw_req *r)
{
	kw_audit_filter f = {.result = -1};
	kw_audit_page page = {0};
	uint64_t limit, after;
	char cursor[24];
	json_t *arr;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL) ||
	    !time_arg(r, "since", &f.since_ms) ||
	    !time_arg(r, "until", &f.until_ms) || !result_arg(r, &f.result) ||
	    !kw_req_query_uint(r, "limit", 1, KW_AUDIT_READ_LIMIT_MAX, 100,
			       &limit) ||
	    !kw_req_query_uint(r, "cursor", 0, UINT64_MAX, 0, &after))
		goto out;
	f.principal = kw_req_query(r, "principal");
	f.partition = kw_req_query(r, "partition");
	f.key = kw_req_query(r, "key");
	f.op = kw_req_query(r, "op");
	f.after_seq = after;
	f.limit = (size_t)limit;
	rc = kw_svc_audit_read(r->svc, &r->call, &f, &page);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; i < page.count; i++)
		json_array_append_new(arr,
				      json_loads(page.entries[i], 0, NULL));
	snprintf(cursor, sizeof(cursor), "%" PRIu64, page.next_after);
	kw_reply_json(r, 200,
		      json_pack("{s:o,s:o}", "entries", arr, "next_cursor",
				page.next_after != 0 ? json_string(cursor)
						     : json_null()));
out:
	kw_audit_page_clear(&page);
}

void kw_h_audit_pubkey(kw_req *r)
{
	kw_audit_pubkey *keys = NULL;
	size_t n = 0;
	json_t *arr;
	char *all = NULL;
	size_t all_len = 0;
	FILE *f;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		goto out;
	rc = kw_svc_audit_pubkeys(r->svc, &r->call, &keys, &n);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	arr = json_array();
	/* "pem": every key, oldest first, for verifiers that take one file */
	f = open_memstream(&all, &all_len);
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(
			arr, json_pack("{s:s,s:s,s:o,s:b}", "key_id",
				       keys[i].key_id, "pem", keys[i].pem,
				       "created", kw_json_time(keys[i].created),
				       "current", keys[i].current));
		if (f != NULL)
			fputs(keys[i].pem, f);
	}
	if (f != NULL)
		fclose(f);
	kw_reply_json(r, 200,
		      json_pack("{s:o,s:s}", "keys", arr, "pem",
				all != NULL ? all : ""));
out:
	free(all);
	kw_audit_pubkeys_free(keys, n);
}

void kw_h_audit_checkpoint(kw_req *r)
{
	uint64_t seq = 0;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_audit_checkpoint(r->svc, &r->call, &seq);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      json_pack("{s:I}", "seq", (json_int_t)seq));
}
