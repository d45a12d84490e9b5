/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CLIENT_HTTP_H
#define KW_CLIENT_HTTP_H

/*
 * The HTTP/1.1 pieces of the client (RFC 9112), internal to src/client (and
 * its tests and fuzz target): a request writer and a strict, incremental
 * response parser.
 *
 * The parser accepts only what a conforming server sends: CRLF line ends,
 * token header names, no obsolete line folding, no control characters, one
 * Content-Length (repeats must agree), Transfer-Encoding "chunked" only and
 * never together with Content-Length, interim 1xx responses (skipped, at
 * most KW_HTTP_MAX_INTERIM). Every size is bounded. A parser object is not
 * thread-safe; use one per exchange.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/rc.h"

#define KW_HTTP_MAX_LINE	 8192u	/* one status/header/chunk line */
#define KW_HTTP_MAX_HEADER_BYTES 65536u /* all header + trailer lines */
#define KW_HTTP_MAX_HEADERS	 100u	/* header + trailer fields */
#define KW_HTTP_MAX_INTERIM	 8u	/* 1xx responses before the final */
#define KW_HTTP_REQUEST_ID_MAX	 127u

typedef struct kw_http_parser {
	/* settings (kw_http_parser_init) */
	size_t max_body;
	bool head; /* the request was HEAD: no body follows */

	/* results, valid once kw_http_parser_done() */
	int status;	   /* 100..599 */
	bool close;	   /* the server ends the connection after this */
	uint8_t *body;	   /* body_len bytes (NULL when empty) */
	size_t body_len;   /* decoded (de-chunked) length */
	uint64_t total_in; /* every byte fed so far */
	const char *error; /* static reason after a failed feed/eof */
	char request_id[KW_HTTP_REQUEST_ID_MAX + 1]; /* X-Request-Id or "" */

	/* private state */
	int state;
	kw_rc failed; /* the rc of the failure that ended in the error state */
	size_t body_cap;
	char line[KW_HTTP_MAX_LINE];
	size_t line_len;
	bool line_cr;
	size_t header_bytes;
	unsigned header_count;
	unsigned interim;
	int minor;
	bool have_length;
	bool chunked;
	bool keep_alive;    /* HTTP/1.0 "Connection: keep-alive" */
	uint64_t length;    /* Content-Length value */
	uint64_t remaining; /* bytes left of the body or current chunk */
} kw_http_parser;

/* Prepares p for one response. max_body bounds the decoded body; head says
 * the request was HEAD. Never fails. */
void kw_http_parser_init(kw_http_parser *p, size_t max_body, bool head);

/*
 * Feeds len bytes received from the server. Stops at the end of the
 * response: *out_used (optional) gets the number of bytes consumed, which
 * is less than len only when the response ended early (the rest belongs to
 * no request: the caller must drop the connection).
 * KW_OK (more wanted, or done: see kw_http_parser_done), KW_E_INVALID
 * (malformed), KW_E_UNSUPPORTED (HTTP version or transfer coding),
 * KW_E_LIMIT (a bound was exceeded); on failure p->error says why and
 * further feeds fail the same way.
 */
kw_rc kw_http_parser_feed(kw_http_parser *p, const uint8_t *data, size_t len,
			  size_t *out_used);

/* The server closed the connection. Completes a body delimited by the close
 * (KW_OK); anything else unfinished is KW_E_INVALID ("truncated"). */
kw_rc kw_http_parser_eof(kw_http_parser *p);

bool kw_http_parser_done(const kw_http_parser *p);
/* True when the body of an unfinished response is delimited by the close
 * of the connection (a TLS close without close_notify may truncate it). */
bool kw_http_parser_until_close(const kw_http_parser *p);

/* Wipes and frees the body; p may be reused after kw_http_parser_init. */
void kw_http_parser_release(kw_http_parser *p);

/*
 * Writes a request into one malloc()ed buffer (*out, *out_len), which the
 * caller wipes and frees: it holds the token and the body. method is an
 * HTTP token, path an origin-form target ("/v1/keys?limit=5") of visible
 * ASCII, host the Host header value, token (optional, visible ASCII) goes
 * into "Authorization: Bearer", body (optional) is sent as JSON.
 * KW_OK, KW_E_INVALID (a bad method, path, host or token), KW_E_NOMEM.
 */
kw_rc kw_http_request_build(const char *method, const char *path,
			    const char *host, const char *token,
			    size_t token_len, const uint8_t *body,
			    size_t body_len, uint8_t **out, size_t *out_len);

#endif
