/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "client/http.h"
#include "client/internal.h"

#define TOKEN_MAX 4096u

kw_rc kw_client_new(const kw_client_opts *opts, kw_client_error *err,
		    kw_client **out)
{
	kw_rc rc = KW_E_NOMEM;
	kw_client *c = NULL;
	static const kw_client_opts none = {0};
	if (out == NULL)
		return KW_E_INVALID;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		if (err != NULL) {
			kw_client_error_clear(err);
			err->rc = KW_E_NOMEM;
			snprintf(err->code, sizeof(err->code), "out_of_memory");
			snprintf(err->message, sizeof(err->message),
				 "out of memory");
		}
		goto out;
	}
	c->fd = -1;
	kw_client_error_clear(&c->err);
	rc = kw_transport_setup(c, opts != NULL ? opts : &none);
	if (rc != KW_OK) {
		if (err != NULL)
			*err = c->err;
		goto out;
	}
	kw_client_error_clear(&c->err);
	*out = c;
	c = NULL;
out:
	kw_client_free(c);
	return rc;
}

void kw_client_free(kw_client *c)
{
	kw_sigpipe_guard g;
	if (c == NULL)
		return;
	kw_sigpipe_block(&g);
	kw_transport_close(c);
	kw_sigpipe_restore(&g);
	SSL_CTX_free(c->ssl_ctx);
	(void)kw_client_set_token(c, NULL);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

kw_rc kw_client_set_token(kw_client *c, const char *token)
{
	char *copy = NULL;
	size_t n = 0;
	if (c == NULL)
		return KW_E_INVALID;
	if (token != NULL) {
		n = strnlen(token, TOKEN_MAX + 1);
		if (n == 0 || n > TOKEN_MAX)
			return KW_E_INVALID;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)token[i] <= 0x20 ||
			    (unsigned char)token[i] >= 0x7f)
				return KW_E_INVALID;
		copy = malloc(n + 1);
		if (copy == NULL)
			return KW_E_NOMEM;
		memcpy(copy, token, n + 1);
	}
	if (c->token != NULL) {
		OPENSSL_cleanse(c->token, c->token_len);
		free(c->token);
	}
	c->token = copy;
	c->token_len = n;
	return KW_OK;
}

const char *kw_client_addr(const kw_client *c)
{
	return c->addr;
}

const kw_client_error *kw_client_last_error(const kw_client *c)
{
	return &c->err;
}

/* The state of one attempt, for the retry decision. */
typedef struct attempt {
	bool sent;     /* the whole request went out */
	bool leftover; /* bytes after the response: drop the connection */
} attempt;

static kw_rc parser_failed(kw_client *c, const kw_http_parser *p, kw_rc rc)
{
	if (rc == KW_E_NOMEM)
		return kw_client_fail(c, rc, "out_of_memory", "out of memory");
	if (rc == KW_E_LIMIT && strstr(p->error, "body") != NULL)
		return kw_client_fail(c, KW_E_UNAVAILABLE, "response_too_large",
				      "response from %s too large (limit %zu "
				      "bytes)",
				      c->addr, c->max_body);
	return kw_client_fail(c, KW_E_UNAVAILABLE, "invalid_response",
			      "malformed response from %s: %s", c->addr,
			      p->error);
}

/* Sends req and reads one response into p within the I/O timeout. */
static kw_rc exchange(kw_client *c, const uint8_t *req, size_t req_len,
		      kw_http_parser *p, attempt *a)
{
	uint8_t buf[16384];
	size_t dirty = 0; /* bytes of buf ever written: wiped at the end */
	int64_t deadline = kw_transport_now_ms() + c->io_timeout_ms;
	kw_rc rc = kw_transport_write(c, req, req_len, deadline);
	if (rc != KW_OK)
		goto out;
	a->sent = true;
	while (!kw_http_parser_done(p)) {
		size_t n = 0, used = 0;
		rc = kw_transport_read(c, buf, sizeof(buf), deadline, &n);
		if (rc != KW_OK)
			goto out;
		if (n > dirty)
			dirty = n;
		if (n == 0 && p->total_in == 0) {
			rc = kw_client_fail(c, KW_E_UNAVAILABLE,
					    "connection_closed",
					    "%s closed the connection before "
					    "responding",
					    c->addr);
			goto out;
		}
		if (n == 0) {
			if (c->eof_unclean && kw_http_parser_until_close(p))
				rc = kw_client_fail(
					c, KW_E_UNAVAILABLE, "invalid_response",
					"malformed response from %s: "
					"truncated response",
					c->addr);
			else if ((rc = kw_http_parser_eof(p)) != KW_OK)
				rc = parser_failed(c, p, rc);
			goto out;
		}
		rc = kw_http_parser_feed(p, buf, n, &used);
		if (rc != KW_OK) {
			rc = parser_failed(c, p, rc);
			goto out;
		}
		a->leftover = used < n;
	}
out:
	OPENSSL_cleanse(buf, dirty);
	return rc;
}

static bool idempotent(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	       strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
}

/* Copies printable ASCII of s[0..n) into out (bounded, NUL-terminated):
 * text from the server never reaches a terminal raw. */
static void copy_printable(char *out, size_t cap, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[k] = '\0';
}

static kw_rc api_error(kw_client *c, const kw_http_parser *p)
{
	json_t *j = NULL, *e;
	const char *code = NULL, *msg = NULL;
	if (p->body_len > 0)
		j = json_loadb((const char *)p->body, p->body_len, 0, NULL);
	e = json_object_get(json_object_get(j, "error"), "code");
	if (json_is_string(e))
		code = json_string_value(e);
	e = json_object_get(json_object_get(j, "error"), "message");
	if (json_is_string(e))
		msg = json_string_value(e);
	kw_client_error_clear(&c->err);
	c->err.rc = kw_client_rc_from_api(code, p->status);
	c->err.status = p->status;
	if (code != NULL)
		copy_printable(c->err.code, sizeof(c->err.code), code,
			       strlen(code));
	else
		snprintf(c->err.code, sizeof(c->err.code), "http_%d",
			 p->status);
	if (msg != NULL)
		copy_printable(c->err.message, sizeof(c->err.message), msg,
			       strlen(msg));
	else
		snprintf(c->err.message, sizeof(c->err.message),
			 "HTTP status %d from %s", p->status, c->addr);
	json_decref(j);
	return c->err.rc;
}

static kw_rc take_response(kw_client *c, const kw_http_parser *p,
			   long *out_status, json_t **out_json)
{
	json_error_t jerr;
	json_t *j = NULL;
	if (p->status < 200 || p->status > 299)
		return api_error(c, p);
	if (p->body_len > 0) {
		j = json_loadb((const char *)p->body, p->body_len,
			       JSON_REJECT_DUPLICATES, &jerr);
		if (j == NULL || !json_is_object(j)) {
			json_decref(j);
			return kw_client_fail(
				c, KW_E_UNAVAILABLE, "invalid_response",
				"malformed response from %s: %s", c->addr,
				j == NULL ? "body is not JSON"
					  : "not a JSON object");
		}
	}
	if (out_status != NULL)
		*out_status = p->status;
	if (out_json != NULL)
		*out_json = j;
	else
		json_decref(j);
	return KW_OK;
}

/* The serialised body, grown by dump_chunk. Outgrown buffers are wiped,
 * not realloc()ed: a body may hold plaintext or a password. */
typedef struct dump_buf {
	char *p;
	size_t len;
	size_t cap;
	bool nomem;
} dump_buf;

static int dump_chunk(const char *s, size_t n, void *arg)
{
	dump_buf *d = arg;
	if (n > d->cap - d->len) {
		size_t cap = d->cap != 0 ? d->cap : 1024;
		while (cap - d->len < n && cap <= SIZE_MAX / 2)
			cap *= 2;
		char *b = cap - d->len >= n ? malloc(cap) : NULL;
		if (b == NULL) {
			d->nomem = true;
			return -1;
		}
		if (d->p != NULL) {
			memcpy(b, d->p, d->len);
			OPENSSL_cleanse(d->p, d->cap);
			free(d->p);
		}
		d->p = b;
		d->cap = cap;
	}
	memcpy(d->p + d->len, s, n);
	d->len += n;
	return 0;
}

/* Serialises body (in one pass: jansson's encoder is a large part of a
 * small request's cost) into a malloc()ed buffer the caller wipes and
 * frees. */
static kw_rc dump_body(kw_client *c, json_t *body, char **out, size_t *out_len)
{
	dump_buf d = {0};
	int r = json_dump_callback(body, dump_chunk, &d, JSON_COMPACT);
	if (r != 0 || d.len == 0) {
		if (d.p != NULL)
			OPENSSL_cleanse(d.p, d.cap);
		free(d.p);
		return d.nomem ? kw_client_fail(c, KW_E_NOMEM, "out_of_memory",
						"out of memory")
			       : kw_client_fail(c, KW_E_INVALID,
						"invalid_request",
						"request body cannot be "
						"serialised");
	}
	*out = d.p;
	*out_len = d.len;
	return KW_OK;
}

kw_rc kw_client_call(kw_client *c, const char *method, const char *path,
		     json_t *body, long *out_status, json_t **out_json)
{
	kw_rc rc = KW_E_INVALID;
	kw_sigpipe_guard guard;
	kw_http_parser p;
	char *text = NULL;
	size_t text_len = 0, req_len = 0;
	uint8_t *req = NULL;
	attempt a = {0};

	if (c == NULL)
		return KW_E_INVALID;
	kw_client_error_clear(&c->err);
	kw_http_parser_init(&p, c->max_body, false);
	/* Only TLS can raise SIGPIPE (OpenSSL writes with plain send()); a
	 * Unix socket is written with MSG_NOSIGNAL. The guard costs four
	 * system calls, so it is kept off the Unix path. */
	if (c->kind != KW_ADDR_UNIX)
		kw_sigpipe_block(&guard);
	if (method == NULL || path == NULL) {
		rc = kw_client_fail(c, KW_E_INVALID, "invalid_request",
				    "method and path are required");
		goto out;
	}
	if (body != NULL) {
		rc = dump_body(c, body, &text, &text_len);
		if (rc != KW_OK)
			goto out;
	}
	rc = kw_http_request_build(method, path, c->host_header, c->token,
				   c->token_len, (const uint8_t *)text,
				   text_len, &req, &req_len);
	if (rc == KW_E_NOMEM) {
		rc = kw_client_fail(c, rc, "out_of_memory", "out of memory");
		goto out;
	}
	if (rc != KW_OK) {
		rc = kw_client_fail(c, rc, "invalid_request",
				    "invalid request: bad method, path or "
				    "token");
		goto out;
	}
	for (int attempt_no = 0;; attempt_no++) {
		if (c->fd >= 0 && !kw_transport_alive(c))
			kw_transport_close(c);
		bool reused = c->fd >= 0;
		if (!reused) {
			rc = kw_transport_connect(c);
			if (rc != KW_OK)
				goto out;
		}
		kw_http_parser_release(&p);
		kw_http_parser_init(&p, c->max_body,
				    strcmp(method, "HEAD") == 0);
		a = (attempt){0};
		rc = exchange(c, req, req_len, &p, &a);
		if (rc == KW_OK)
			break;
		kw_transport_close(c);
		/* Only a reused connection the server may have closed while
		 * idle, and only when the request cannot have been acted on
		 * twice: the send failed, or an idempotent request got no
		 * byte back. Timeouts are never retried. */
		bool retry = reused && attempt_no == 0 &&
			     strcmp(c->err.code, "timeout") != 0 &&
			     (!a.sent ||
			      (p.total_in == 0 &&
			       strcmp(c->err.code, "connection_closed") == 0 &&
			       idempotent(method)));
		if (!retry)
			goto out;
	}
	if (p.close || a.leftover)
		kw_transport_close(c);
	rc = take_response(c, &p, out_status, out_json);
	if (rc != KW_OK)
		snprintf(c->err.request_id, sizeof(c->err.request_id), "%s",
			 p.request_id);
out:
	kw_http_parser_release(&p);
	if (req != NULL) {
		OPENSSL_cleanse(req, req_len);
		free(req);
	}
	if (text != NULL) {
		OPENSSL_cleanse(text, text_len);
		free(text);
	}
	if (c->kind != KW_ADDR_UNIX)
		kw_sigpipe_restore(&guard);
	return rc;
}
