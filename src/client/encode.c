/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "client/client.h"
#include "util/codec.h"

/* What goes into requests and comes out of responses besides JSON itself:
 * escaped request paths, base64 values. */
static void append(kw_client_path *p, const char *s, size_t n)
{
	if (p->overflow || n >= sizeof(p->buf) - p->len) {
		p->overflow = true;
		return;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

/* RFC 3986 unreserved characters pass; every other byte is %XX. */
static void append_escaped(kw_client_path *p, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			append(p, (const char *)&ch, 1);
		} else {
			char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
			append(p, e, 3);
		}
	}
}

void kw_client_path_init(kw_client_path *p, const char *prefix)
{
	p->len = 0;
	p->buf[0] = '\0';
	p->overflow = false;
	/* a prefix with a query already: further arguments follow with & */
	p->query = strchr(prefix, '?') != NULL;
	append(p, prefix, strlen(prefix));
}

void kw_client_path_seg(kw_client_path *p, const char *segment)
{
	append(p, "/", 1);
	/* "." and ".." would be resolved away by a server as dot-segments */
	if (strcmp(segment, ".") == 0 || strcmp(segment, "..") == 0 ||
	    segment[0] == '\0')
		p->overflow = true;
	append_escaped(p, segment);
}

void kw_client_path_lit(kw_client_path *p, const char *text)
{
	append(p, text, strlen(text));
}

void kw_client_path_query(kw_client_path *p, const char *name,
			  const char *value)
{
	if (value == NULL)
		return;
	append(p, p->query ? "&" : "?", 1);
	p->query = true;
	append_escaped(p, name);
	append(p, "=", 1);
	append_escaped(p, value);
}

const char *kw_client_path_get(const kw_client_path *p)
{
	return p->overflow ? NULL : p->buf;
}

/* ---- base64 JSON values ------------------------------------------------ */

kw_rc kw_client_json_b64(const json_t *obj, const char *name, uint8_t **out,
			 size_t *out_len)
{
	json_t *v = json_object_get(obj, name);
	if (!json_is_string(v) || out == NULL || out_len == NULL)
		return KW_E_INVALID;
	return kw_base64_decode_alloc(json_string_value(v),
				      json_string_length(v), false, out,
				      out_len);
}

json_t *kw_client_json_b64_new(const uint8_t *in, size_t n)
{
	char *text = NULL;
	json_t *j = NULL;
	if (kw_base64_encode_alloc(in, n, false, &text) != KW_OK)
		return NULL;
	j = json_string(text);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return j;
}
