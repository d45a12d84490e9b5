/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "client/http.h"
#include "kw_config.h"

enum {
	ST_STATUS = 0,
	ST_HEADER,
	ST_BODY,       /* Content-Length body */
	ST_BODY_CLOSE, /* body delimited by the close of the connection */
	ST_CHUNK_SIZE, /* chunk-size [ext] line */
	ST_CHUNK_DATA, /* chunk bytes */
	ST_CHUNK_END,  /* the CRLF after chunk bytes */
	ST_TRAILER,    /* trailer fields after the last chunk */
	ST_DONE,
	ST_ERROR,
};

#define MAX_METHOD 16u
#define MAX_TARGET 8000u
#define MAX_HOST   300u
#define MAX_TOKEN  4096u

/* Every failure ends in ST_ERROR; later feeds return the same rc. */
static kw_rc parser_fail(kw_http_parser *p, kw_rc rc, const char *why)
{
	p->state = ST_ERROR;
	p->error = why;
	p->failed = rc;
	return rc;
}

static void headers_reset(kw_http_parser *p)
{
	p->status = 0;
	p->minor = 1;
	p->close = false;
	p->keep_alive = false;
	p->have_length = false;
	p->chunked = false;
	p->length = 0;
	p->request_id[0] = '\0';
}

void kw_http_parser_init(kw_http_parser *p, size_t max_body, bool head)
{
	memset(p, 0, sizeof(*p));
	p->max_body = max_body;
	p->head = head;
	p->state = ST_STATUS;
	headers_reset(p);
}

void kw_http_parser_release(kw_http_parser *p)
{
	if (p->body != NULL) {
		OPENSSL_cleanse(p->body, p->body_cap);
		free(p->body);
	}
	p->body = NULL;
	p->body_len = 0;
	p->body_cap = 0;
	OPENSSL_cleanse(p->line, sizeof(p->line));
}

bool kw_http_parser_done(const kw_http_parser *p)
{
	return p->state == ST_DONE;
}

bool kw_http_parser_until_close(const kw_http_parser *p)
{
	return p->state == ST_BODY_CLOSE;
}

/* Grows the body buffer to hold need bytes. The old buffer is wiped, not
 * realloc()ed: a body may hold a token or a data key. */
static kw_rc body_reserve(kw_http_parser *p, size_t need)
{
	if (need <= p->body_cap)
		return KW_OK;
	size_t cap = p->body_cap < 4096 ? 4096 : p->body_cap;
	while (cap < need)
		cap = cap > p->max_body / 2 ? need : cap * 2;
	if (cap > p->max_body)
		cap = need;
	uint8_t *b = malloc(cap);
	if (b == NULL)
		return parser_fail(p, KW_E_NOMEM, "out of memory");
	if (p->body != NULL) {
		memcpy(b, p->body, p->body_len);
		OPENSSL_cleanse(p->body, p->body_cap);
		free(p->body);
	}
	p->body = b;
	p->body_cap = cap;
	return KW_OK;
}

static kw_rc body_append(kw_http_parser *p, const uint8_t *d, size_t n)
{
	if (n > p->max_body - p->body_len)
		return parser_fail(p, KW_E_LIMIT, "response body too large");
	kw_rc rc = body_reserve(p, p->body_len + n);
	if (rc != KW_OK)
		return rc;
	memcpy(p->body + p->body_len, d, n);
	p->body_len += n;
	return KW_OK;
}

static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar / SP / HTAB / obs-text: no control characters. */
static bool is_text(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The value of the hex digit c, or -1. */
static int hex_value(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *d =
		c != '\0' ? strchr(digits, tolower((unsigned char)c)) : NULL;
	return d != NULL ? (int)(d - digits) : -1;
}

static kw_rc parse_status_line(kw_http_parser *p)
{
	const char *l = p->line;
	size_t n = p->line_len;
	if (n < 5 || memcmp(l, "HTTP/", 5) != 0)
		return parser_fail(p, KW_E_INVALID, "not an HTTP response");
	if (n < 12 || l[5] != '1' || l[6] != '.' || l[7] < '0' || l[7] > '9' ||
	    l[8] != ' ') {
		if (n >= 6 && l[5] >= '2' && l[5] <= '9')
			return parser_fail(p, KW_E_UNSUPPORTED,
					   "HTTP version not supported");
		return parser_fail(p, KW_E_INVALID, "malformed status line");
	}
	int status = 0;
	for (size_t i = 9; i < 12; i++) {
		if (l[i] < '0' || l[i] > '9')
			return parser_fail(p, KW_E_INVALID,
					   "malformed status code");
		status = status * 10 + (l[i] - '0');
	}
	if (status < 100 || status > 599)
		return parser_fail(p, KW_E_INVALID, "status code out of range");
	if (n > 12 && l[12] != ' ')
		return parser_fail(p, KW_E_INVALID, "malformed status line");
	for (size_t i = 13; i < n; i++)
		if (!is_text((unsigned char)l[i]))
			return parser_fail(p, KW_E_INVALID,
					   "control character in reason");
	p->status = status;
	p->minor = l[7] - '0';
	p->state = ST_HEADER;
	return KW_OK;
}

/* Content-Length: 1*DIGIT, bounded; repeats must carry the same value. */
static kw_rc apply_length(kw_http_parser *p, const char *v, size_t n)
{
	if (n == 0 || n > 19)
		return parser_fail(p, KW_E_INVALID, "malformed Content-Length");
	uint64_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return parser_fail(p, KW_E_INVALID,
					   "malformed Content-Length");
		len = len * 10 + (uint64_t)(v[i] - '0');
	}
	if (p->have_length && p->length != len)
		return parser_fail(p, KW_E_INVALID,
				   "conflicting Content-Length values");
	p->have_length = true;
	p->length = len;
	return KW_OK;
}

/* Calls fn on each element of a comma-separated list (OWS trimmed). */
typedef kw_rc (*list_fn)(kw_http_parser *p, const char *e, size_t n);

static kw_rc list_each(kw_http_parser *p, const char *v, size_t n, list_fn fn)
{
	size_t i = 0;
	while (i <= n) {
		size_t j = i;
		while (j < n && v[j] != ',')
			j++;
		size_t a = i, b = j;
		while (a < b && is_ows(v[a]))
			a++;
		while (b > a && is_ows(v[b - 1]))
			b--;
		kw_rc rc = fn(p, v + a, b - a);
		if (rc != KW_OK)
			return rc;
		i = j + 1;
	}
	return KW_OK;
}

static kw_rc te_element(kw_http_parser *p, const char *e, size_t n)
{
	if (n == 7 && strncasecmp(e, "chunked", 7) == 0) {
		if (p->chunked)
			return parser_fail(p, KW_E_INVALID,
					   "chunked applied twice");
		p->chunked = true;
		return KW_OK;
	}
	if (n == 0)
		return parser_fail(p, KW_E_INVALID,
				   "malformed Transfer-Encoding");
	return parser_fail(p, KW_E_UNSUPPORTED,
			   "unsupported Transfer-Encoding");
}

static kw_rc connection_element(kw_http_parser *p, const char *e, size_t n)
{
	if (n == 5 && strncasecmp(e, "close", 5) == 0)
		p->close = true;
	else if (n == 10 && strncasecmp(e, "keep-alive", 10) == 0)
		p->keep_alive = true;
	return KW_OK;
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* One field line; apply is false for trailers (checked, then ignored). */
static kw_rc parse_field(kw_http_parser *p, bool apply)
{
	const char *l = p->line;
	size_t n = p->line_len;
	if (is_ows(l[0]))
		return parser_fail(p, KW_E_INVALID, "obsolete line folding");
	if (++p->header_count > KW_HTTP_MAX_HEADERS)
		return parser_fail(p, KW_E_LIMIT, "too many header fields");
	size_t c = 0;
	while (c < n && is_tchar((unsigned char)l[c]))
		c++;
	if (c == 0 || c == n || l[c] != ':')
		return parser_fail(p, KW_E_INVALID, "malformed header field");
	size_t v = c + 1, e = n;
	while (v < e && is_ows(l[v]))
		v++;
	while (e > v && is_ows(l[e - 1]))
		e--;
	for (size_t i = v; i < e; i++)
		if (!is_text((unsigned char)l[i]))
			return parser_fail(p, KW_E_INVALID,
					   "control character in header");
	if (!apply)
		return KW_OK;
	if (name_is(l, c, "content-length"))
		return apply_length(p, l + v, e - v);
	if (name_is(l, c, "transfer-encoding"))
		return list_each(p, l + v, e - v, te_element);
	if (name_is(l, c, "connection"))
		return list_each(p, l + v, e - v, connection_element);
	if (name_is(l, c, "x-request-id")) {
		size_t k = 0;
		for (size_t i = v; i < e && k < KW_HTTP_REQUEST_ID_MAX; i++)
			if (l[i] > 0x20 && l[i] < 0x7f)
				p->request_id[k++] = l[i];
		p->request_id[k] = '\0';
	}
	return KW_OK;
}

static kw_rc headers_end(kw_http_parser *p)
{
	if (p->status < 200) {
		if (p->status == 101)
			return parser_fail(p, KW_E_INVALID,
					   "unexpected protocol switch");
		if (++p->interim > KW_HTTP_MAX_INTERIM)
			return parser_fail(p, KW_E_LIMIT,
					   "too many interim responses");
		headers_reset(p);
		p->state = ST_STATUS;
		return KW_OK;
	}
	if (p->minor == 0 && !p->keep_alive)
		p->close = true;
	if (p->chunked && p->have_length)
		return parser_fail(p, KW_E_INVALID,
				   "both Transfer-Encoding and Content-Length");
	if (p->head || p->status == 204 || p->status == 304) {
		p->state = ST_DONE;
		return KW_OK;
	}
	if (p->chunked) {
		p->state = ST_CHUNK_SIZE;
		return KW_OK;
	}
	if (!p->have_length) {
		p->close = true;
		p->state = ST_BODY_CLOSE;
		return KW_OK;
	}
	if (p->length > p->max_body)
		return parser_fail(p, KW_E_LIMIT, "response body too large");
	if (p->length == 0) {
		p->state = ST_DONE;
		return KW_OK;
	}
	kw_rc rc = body_reserve(p, (size_t)p->length);
	if (rc != KW_OK)
		return rc;
	p->remaining = p->length;
	p->state = ST_BODY;
	return KW_OK;
}

/* chunk-size [ BWS ";" chunk-ext ] */
static kw_rc parse_chunk_size(kw_http_parser *p)
{
	const char *l = p->line;
	size_t n = p->line_len, c = 0;
	uint64_t size = 0;
	int h;
	while (c < n && (h = hex_value(l[c])) >= 0) {
		if (c == 16)
			return parser_fail(p, KW_E_LIMIT, "chunk too large");
		size = size << 4 | (uint64_t)h;
		c++;
	}
	if (c == 0)
		return parser_fail(p, KW_E_INVALID, "malformed chunk size");
	if (c < n) {
		while (c < n && is_ows(l[c]))
			c++;
		if (c == n || l[c] != ';')
			return parser_fail(p, KW_E_INVALID,
					   "malformed chunk size");
		for (size_t i = c; i < n; i++)
			if (!is_text((unsigned char)l[i]))
				return parser_fail(
					p, KW_E_INVALID,
					"control character in chunk");
		/* extensions are ignored but bounded like headers */
		p->header_bytes += n - c;
		if (p->header_bytes > KW_HTTP_MAX_HEADER_BYTES)
			return parser_fail(p, KW_E_LIMIT,
					   "chunk extensions too large");
	}
	if (size == 0) {
		p->state = ST_TRAILER;
		return KW_OK;
	}
	if (size > p->max_body - p->body_len)
		return parser_fail(p, KW_E_LIMIT, "response body too large");
	p->remaining = size;
	p->state = ST_CHUNK_DATA;
	return KW_OK;
}

static kw_rc line_done(kw_http_parser *p)
{
	switch (p->state) {
	case ST_STATUS:
		return parse_status_line(p);
	case ST_HEADER:
		return p->line_len == 0 ? headers_end(p) : parse_field(p, true);
	case ST_TRAILER:
		if (p->line_len == 0) {
			p->state = ST_DONE;
			return KW_OK;
		}
		return parse_field(p, false);
	case ST_CHUNK_SIZE:
		return parse_chunk_size(p);
	case ST_CHUNK_END:
		if (p->line_len != 0)
			return parser_fail(p, KW_E_INVALID,
					   "chunk longer than its size");
		p->state = ST_CHUNK_SIZE;
		return KW_OK;
	default:
		return parser_fail(p, KW_E_INTERNAL, "parser state");
	}
}

/* Adds one byte to the current line; *out_complete when CRLF ended it. */
static kw_rc line_byte(kw_http_parser *p, uint8_t b, bool *out_complete)
{
	bool header = p->state == ST_STATUS || p->state == ST_HEADER ||
		      p->state == ST_TRAILER;
	if (header && ++p->header_bytes > KW_HTTP_MAX_HEADER_BYTES)
		return parser_fail(p, KW_E_LIMIT, "response header too large");
	if (p->line_cr) {
		if (b != '\n')
			return parser_fail(p, KW_E_INVALID,
					   "CR without LF in header");
		p->line_cr = false;
		p->line[p->line_len] = '\0';
		*out_complete = true;
		return KW_OK;
	}
	if (b == '\r') {
		p->line_cr = true;
		return KW_OK;
	}
	if (b == '\n')
		return parser_fail(p, KW_E_INVALID, "bare LF in header");
	if (b == '\0')
		return parser_fail(p, KW_E_INVALID, "NUL byte in header");
	if (p->line_len >= KW_HTTP_MAX_LINE - 1)
		return parser_fail(p, KW_E_LIMIT, "header line too long");
	p->line[p->line_len++] = (char)b;
	return KW_OK;
}

kw_rc kw_http_parser_feed(kw_http_parser *p, const uint8_t *data, size_t len,
			  size_t *out_used)
{
	kw_rc rc = KW_OK;
	size_t i = 0;
	if (p->state == ST_ERROR)
		return p->failed;
	while (i < len && p->state != ST_DONE) {
		if (p->state == ST_BODY || p->state == ST_CHUNK_DATA) {
			size_t n = len - i;
			if (n > p->remaining)
				n = (size_t)p->remaining;
			rc = body_append(p, data + i, n);
			if (rc != KW_OK)
				goto out;
			i += n;
			p->remaining -= n;
			if (p->remaining == 0)
				p->state = p->state == ST_BODY ? ST_DONE
							       : ST_CHUNK_END;
			continue;
		}
		if (p->state == ST_BODY_CLOSE) {
			rc = body_append(p, data + i, len - i);
			if (rc != KW_OK)
				goto out;
			i = len;
			continue;
		}
		bool complete = false;
		rc = line_byte(p, data[i++], &complete);
		if (rc == KW_OK && complete) {
			rc = line_done(p);
			p->line_len = 0;
		}
		if (rc != KW_OK)
			goto out;
	}
out:
	p->total_in += i;
	if (rc == KW_OK && out_used != NULL)
		*out_used = i;
	return rc;
}

kw_rc kw_http_parser_eof(kw_http_parser *p)
{
	switch (p->state) {
	case ST_DONE:
		return KW_OK;
	case ST_BODY_CLOSE:
		p->state = ST_DONE;
		return KW_OK;
	case ST_ERROR:
		return p->failed;
	default:
		return parser_fail(
			p, KW_E_INVALID,
			p->total_in == 0 ? "connection closed before a response"
					 : "truncated response");
	}
}

/* ---- requests ----------------------------------------------------------- */

static bool visible_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static void put(uint8_t **w, const void *s, size_t n)
{
	memcpy(*w, s, n);
	*w += n;
}

static void put_str(uint8_t **w, const char *s)
{
	put(w, s, strlen(s));
}

kw_rc kw_http_request_build(const char *method, const char *path,
			    const char *host, const char *token,
			    size_t token_len, const uint8_t *body,
			    size_t body_len, uint8_t **out, size_t *out_len)
{
	static const char fixed[] =
		"User-Agent: keywarden-client/" KW_VERSION "\r\n"
		"Accept: application/json\r\n";
	static const char bearer[] = "Authorization: Bearer ";
	static const char ctype[] = "Content-Type: application/json\r\n";
	kw_rc rc = KW_E_INVALID;
	uint8_t *buf = NULL;
	char clen[48];
	size_t ml, pl, hl;

	if (method == NULL || path == NULL || host == NULL || out == NULL ||
	    out_len == NULL || (body == NULL && body_len != 0))
		goto out;
	ml = strlen(method);
	pl = strlen(path);
	hl = strlen(host);
	if (ml == 0 || ml > MAX_METHOD || pl == 0 || pl > MAX_TARGET ||
	    path[0] != '/' || hl == 0 || hl > MAX_HOST ||
	    !visible_ascii(path, pl) || !visible_ascii(host, hl))
		goto out;
	for (size_t i = 0; i < ml; i++)
		if (!is_tchar((unsigned char)method[i]))
			goto out;
	if (token != NULL && (token_len == 0 || token_len > MAX_TOKEN ||
			      !visible_ascii(token, token_len)))
		goto out;
	bool with_length = body != NULL || strcmp(method, "POST") == 0 ||
			   strcmp(method, "PUT") == 0 ||
			   strcmp(method, "PATCH") == 0;
	clen[0] = '\0';
	if (with_length)
		snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n",
			 body_len);
	size_t total = ml + 1 + pl + sizeof(" HTTP/1.1\r\nHost: ") - 1 + hl +
		       2 + sizeof(fixed) - 1 + strlen(clen) + 2 + body_len;
	if (token != NULL)
		total += sizeof(bearer) - 1 + token_len + 2;
	if (body != NULL)
		total += sizeof(ctype) - 1;
	buf = malloc(total);
	if (buf == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	uint8_t *w = buf;
	put(&w, method, ml);
	put_str(&w, " ");
	put(&w, path, pl);
	put_str(&w, " HTTP/1.1\r\nHost: ");
	put(&w, host, hl);
	put_str(&w, "\r\n");
	put_str(&w, fixed);
	if (token != NULL) {
		put_str(&w, bearer);
		put(&w, token, token_len);
		put_str(&w, "\r\n");
	}
	if (body != NULL)
		put_str(&w, ctype);
	put_str(&w, clen);
	put_str(&w, "\r\n");
	if (body_len > 0)
		put(&w, body, body_len);
	assert((size_t)(w - buf) == total);
	*out = buf;
	*out_len = total;
	buf = NULL;
	rc = KW_OK;
out:
	free(buf);
	return rc;
}
