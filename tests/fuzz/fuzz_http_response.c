/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "client/http.h"
#include "fuzz.h"

/*
 * The client's HTTP/1.1 response parser (kw_http_parser) on arbitrary
 * bytes from a server, the end of the input standing for the close of the
 * connection. Besides not crashing, it must keep its contract: only the
 * documented results; a finished response has a final status and a body
 * within the limit; and the outcome does not depend on how the bytes were
 * split into reads (the whole input at once, and in pieces of 1 to 16
 * bytes chosen by the first byte, must agree on everything).
 */

#define MAX_BODY 65536u

typedef struct outcome {
	kw_http_parser p;
	kw_rc rc;
	size_t used;
} outcome;

static void parse(const uint8_t *d, size_t n, size_t step, outcome *o)
{
	size_t off = 0;
	kw_http_parser_init(&o->p, MAX_BODY, false);
	o->rc = KW_OK;
	while (off < n && !kw_http_parser_done(&o->p)) {
		size_t chunk = n - off < step ? n - off : step, used = 0;
		o->rc = kw_http_parser_feed(&o->p, d + off, chunk, &used);
		if (o->rc != KW_OK)
			break;
		if (used > chunk)
			abort();
		off += used;
		if (used < chunk && !kw_http_parser_done(&o->p))
			abort(); /* stops early only at the end of a response */
	}
	if (o->rc == KW_OK && !kw_http_parser_done(&o->p))
		o->rc = kw_http_parser_eof(&o->p);
	o->used = off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static outcome a, b;
	size_t step = size > 0 ? (size_t)(data[0] % 16) + 1 : 1;
	parse(data, size, size > 0 ? size : 1, &a);
	parse(data, size, step, &b);
	if (a.rc != KW_OK && a.rc != KW_E_INVALID && a.rc != KW_E_UNSUPPORTED &&
	    a.rc != KW_E_LIMIT && a.rc != KW_E_NOMEM)
		abort();
	if (a.rc != b.rc)
		abort();
	if (a.rc != KW_OK) {
		if (a.p.error == NULL || b.p.error == NULL)
			abort();
	} else {
		if (!kw_http_parser_done(&a.p) || !kw_http_parser_done(&b.p) ||
		    a.p.status < 200 || a.p.status > 599 ||
		    a.p.status != b.p.status || a.p.close != b.p.close ||
		    a.used != b.used || a.p.body_len > MAX_BODY ||
		    a.p.body_len != b.p.body_len ||
		    (a.p.body_len > 0 &&
		     memcmp(a.p.body, b.p.body, a.p.body_len) != 0) ||
		    strcmp(a.p.request_id, b.p.request_id) != 0)
			abort();
	}
	kw_http_parser_release(&a.p);
	kw_http_parser_release(&b.p);
	return 0;
}
