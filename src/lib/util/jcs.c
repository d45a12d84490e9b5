/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jcs.h"

/* The I-JSON integer range (RFC 7493 §2.2): exactly representable doubles. */
#define JCS_INT_MAX ((json_int_t)9007199254740991LL)

/* A growing output buffer; the first error sticks and later puts do nothing,
 * so the encoder checks once at the end. */
typedef struct jcs_buf {
	char *p;
	size_t len;
	size_t cap;
	kw_rc err;
} jcs_buf;

typedef struct jcs_member {
	const char *name;
	size_t name_len;
	json_t *value;
} jcs_member;

static void buf_put(jcs_buf *b, const void *s, size_t n)
{
	if (b->err != KW_OK)
		return;
	if (n > SIZE_MAX / 2 - b->len) {
		b->err = KW_E_NOMEM;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (np == NULL) {
			b->err = KW_E_NOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_putc(jcs_buf *b, char c)
{
	buf_put(b, &c, 1);
}

/*
 * Decodes the UTF-8 sequence at s[*pos] (len bytes in all) into *cp and
 * advances *pos. Refuses overlong forms, surrogates, values above U+10FFFF,
 * truncated sequences and U+0000 (not allowed in our strings). 0 or -1.
 */
static int utf8_next(const unsigned char *s, size_t len, size_t *pos,
		     uint32_t *cp)
{
	size_t i = *pos;
	unsigned char c = s[i];
	uint32_t v;
	size_t n;
	uint32_t min;

	if (c == 0)
		return -1;
	if (c < 0x80) {
		*cp = c;
		*pos = i + 1;
		return 0;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		v = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		v = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (len - i - 1 < n)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		if ((s[i + k] & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | (s[i + k] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*cp = v;
	*pos = i + n + 1;
	return 0;
}

static bool utf8_valid(const char *s, size_t len)
{
	size_t pos = 0;
	uint32_t cp;

	while (pos < len)
		if (utf8_next((const unsigned char *)s, len, &pos, &cp) != 0)
			return false;
	return true;
}

/* Iterates the UTF-16 code units of a valid UTF-8 string. */
typedef struct utf16_iter {
	const unsigned char *s;
	size_t len;
	size_t pos;
	uint16_t pending; /* low surrogate still to give, or 0 */
} utf16_iter;

/* Next code unit in *out; false at the end. */
static bool utf16_next(utf16_iter *it, uint16_t *out)
{
	uint32_t cp = 0;

	if (it->pending != 0) {
		*out = it->pending;
		it->pending = 0;
		return true;
	}
	if (it->pos >= it->len)
		return false;
	/* Names were validated before sorting; a failure here is a bug. */
	if (utf8_next(it->s, it->len, &it->pos, &cp) != 0)
		return false;
	if (cp < 0x10000) {
		*out = (uint16_t)cp;
		return true;
	}
	cp -= 0x10000;
	*out = (uint16_t)(0xd800 + (cp >> 10));
	it->pending = (uint16_t)(0xdc00 + (cp & 0x3ff));
	return true;
}

static int member_cmp(const void *pa, const void *pb)
{
	const jcs_member *a = pa;
	const jcs_member *b = pb;
	utf16_iter ia = {(const unsigned char *)a->name, a->name_len, 0, 0};
	utf16_iter ib = {(const unsigned char *)b->name, b->name_len, 0, 0};

	for (;;) {
		uint16_t ua = 0;
		uint16_t ub = 0;
		bool ha = utf16_next(&ia, &ua);
		bool hb = utf16_next(&ib, &ub);

		if (!ha || !hb)
			return (int)ha - (int)hb;
		if (ua != ub)
			return ua < ub ? -1 : 1;
	}
}

static void put_string(jcs_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0; /* start of the bytes not yet copied */

	if (!utf8_valid(s, len)) {
		if (b->err == KW_OK)
			b->err = KW_E_INVALID;
		return;
	}
	buf_putc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', 0, 0, 0, 0, 0};
		size_t esc_len = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		switch (c) {
		case '\b':
			esc[1] = 'b';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			esc_len = 6;
			break;
		}
		buf_put(b, s + run, i - run);
		buf_put(b, esc, esc_len);
		run = i + 1;
	}
	buf_put(b, s + run, len - run);
	buf_putc(b, '"');
}

static void put_value(jcs_buf *b, const json_t *v, const char *omit,
		      unsigned depth);

/* Where kw_jcs_encode_parts cuts a top-level object (NULL: nowhere). */
typedef struct jcs_cuts {
	const char *const *names;
	size_t n;
	size_t *ends;
} jcs_cuts;

static int name_cmp(const char *name, size_t name_len, const jcs_member *m)
{
	const jcs_member a = {name, name_len, NULL};

	return member_cmp(&a, m);
}

/* With cuts: the members without the braces, in parts split at the cut
 * names (see kw_jcs_encode_parts). */
static void put_object(jcs_buf *b, const json_t *v, const char *omit,
		       const jcs_cuts *cuts, unsigned depth)
{
	json_t *obj = (json_t *)v; /* jansson's iterators take non-const */
	size_t n = json_object_size(obj);
	size_t used = 0;
	jcs_member *m = NULL;
	const char *name;
	size_t name_len;
	json_t *val;

	if (n > 0) {
		m = calloc(n, sizeof(*m));
		if (m == NULL) {
			b->err = KW_E_NOMEM;
			return;
		}
	}
	json_object_keylen_foreach(obj, name, name_len, val)
	{
		if (omit != NULL && name_len == strlen(omit) &&
		    memcmp(name, omit, name_len) == 0)
			continue;
		if (used == n || !utf8_valid(name, name_len)) {
			b->err = KW_E_INVALID;
			goto out;
		}
		m[used].name = name;
		m[used].name_len = name_len;
		m[used].value = val;
		used++;
	}
	if (used > 1)
		qsort(m, used, sizeof(*m), member_cmp);
	if (cuts == NULL)
		buf_putc(b, '{');
	for (size_t i = 0, k = 0, first = 0; i < used; i++) {
		if (i > 0 && member_cmp(&m[i - 1], &m[i]) == 0) {
			b->err = KW_E_INVALID;
			goto out;
		}
		/* the parts that end before this member */
		for (; cuts != NULL && k < cuts->n; k++) {
			int c = name_cmp(cuts->names[k], strlen(cuts->names[k]),
					 &m[i]);

			if (c == 0) {
				b->err = KW_E_INVALID; /* a cut is a member */
				goto out;
			}
			if (c > 0)
				break;
			cuts->ends[k] = b->len;
			first = i;
		}
		if (i > first)
			buf_putc(b, ',');
		put_string(b, m[i].name, m[i].name_len);
		buf_putc(b, ':');
		put_value(b, m[i].value, NULL, depth + 1);
	}
	if (cuts == NULL)
		buf_putc(b, '}');
	for (size_t k = 0; cuts != NULL && k <= cuts->n; k++)
		if (k == cuts->n || cuts->ends[k] == SIZE_MAX)
			cuts->ends[k] = b->len;
out:
	free(m);
}

static void put_value(jcs_buf *b, const json_t *v, const char *omit,
		      unsigned depth)
{
	char num[32];
	json_int_t iv;

	if (b->err != KW_OK)
		return;
	if (depth > KW_JCS_DEPTH_MAX) {
		b->err = KW_E_INVALID;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		put_object(b, v, omit, NULL, depth);
		break;
	case JSON_ARRAY:
		buf_putc(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				buf_putc(b, ',');
			put_value(b, json_array_get(v, i), NULL, depth + 1);
		}
		buf_putc(b, ']');
		break;
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		iv = json_integer_value(v);
		if (iv > JCS_INT_MAX || iv < -JCS_INT_MAX) {
			b->err = KW_E_UNSUPPORTED;
			break;
		}
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, iv);
		buf_put(b, num, strlen(num));
		break;
	case JSON_TRUE:
		buf_put(b, "true", 4);
		break;
	case JSON_FALSE:
		buf_put(b, "false", 5);
		break;
	case JSON_NULL:
		buf_put(b, "null", 4);
		break;
	default: /* JSON_REAL: would need ES6 number formatting */
		b->err = KW_E_UNSUPPORTED;
		break;
	}
}

kw_rc kw_jcs_encode(const json_t *v, const char *omit, char **out,
		    size_t *out_len)
{
	jcs_buf b = {NULL, 0, 0, KW_OK};
	kw_rc rc = KW_E_INVALID;

	if (v == NULL || out == NULL)
		goto out;
	put_value(&b, v, omit, 0);
	rc = b.err;
	if (rc != KW_OK)
		goto out;
	*out = b.p;
	if (out_len != NULL)
		*out_len = b.len;
	b.p = NULL;
out:
	free(b.p);
	return rc;
}

kw_rc kw_jcs_parse(const char *text, size_t len, json_t **out)
{
	json_error_t err;
	json_t *v = NULL;
	kw_rc rc = KW_E_INVALID;

	if (text == NULL || out == NULL)
		goto out;
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
		       &err);
	if (v == NULL)
		goto out;
	*out = v;
	v = NULL;
	rc = KW_OK;
out:
	json_decref(v);
	return rc;
}

kw_rc kw_jcs_encode_parts(const json_t *obj, const char *const *cuts,
			  size_t ncuts, char **out, size_t *ends)
{
	jcs_buf b = {NULL, 0, 0, KW_OK};
	jcs_cuts c = {cuts, ncuts, ends};
	kw_rc rc = KW_E_INVALID;

	if (!json_is_object(obj) || (cuts == NULL && ncuts > 0) ||
	    out == NULL || ends == NULL)
		goto out;
	for (size_t k = 0; k < ncuts; k++) {
		if (cuts[k] == NULL || !utf8_valid(cuts[k], strlen(cuts[k])) ||
		    (k > 0 && name_cmp(cuts[k - 1], strlen(cuts[k - 1]),
				       &(jcs_member){cuts[k], strlen(cuts[k]),
						     NULL}) >= 0))
			goto out;
	}
	for (size_t k = 0; k <= ncuts; k++)
		ends[k] = SIZE_MAX;
	put_object(&b, obj, NULL, &c, 0);
	buf_put(&b, "", 0); /* an empty object still gets its NUL */
	rc = b.err;
	if (rc != KW_OK)
		goto out;
	*out = b.p;
	b.p = NULL;
out:
	free(b.p);
	return rc;
}
