/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "util/tlv.h"

#define TLV_HDR	     6u
#define TLV_ITEM_MAX (64u * 1024u * 1024u)

void kw_tlv_writer_init(kw_tlv_writer *w)
{
	w->buf = NULL;
	w->used = 0;
	w->err = KW_OK;
}

/* Makes room for n more bytes, moving the contents to a larger secret (the
 * old one is wiped by kw_secret_free). */
static bool tlv_reserve(kw_tlv_writer *w, size_t n)
{
	if (w->err != KW_OK)
		return false;
	size_t cap = w->buf != NULL ? w->buf->len : 0;
	if (n > KW_SECRET_MAX - w->used) {
		w->err = KW_E_LIMIT;
		return false;
	}
	if (w->used + n <= cap)
		return true;
	size_t ncap = cap < 256 ? 256 : cap;
	while (ncap < w->used + n)
		ncap *= 2;
	if (ncap > KW_SECRET_MAX)
		ncap = KW_SECRET_MAX;
	kw_secret *nb = NULL;
	kw_rc rc = kw_secret_new(ncap, &nb);
	if (rc != KW_OK) {
		w->err = rc;
		return false;
	}
	if (w->used > 0)
		memcpy(nb->data, w->buf->data, w->used);
	kw_secret_free(w->buf);
	w->buf = nb;
	return true;
}

void kw_tlv_put_bytes(kw_tlv_writer *w, uint16_t tag, const void *p, size_t len)
{
	if (w->err != KW_OK)
		return;
	if ((p == NULL && len != 0) || len > TLV_ITEM_MAX) {
		w->err = KW_E_INVALID;
		return;
	}
	if (!tlv_reserve(w, TLV_HDR + len))
		return;
	uint8_t *d = w->buf->data + w->used;
	d[0] = (uint8_t)(tag >> 8);
	d[1] = (uint8_t)tag;
	d[2] = (uint8_t)(len >> 24);
	d[3] = (uint8_t)(len >> 16);
	d[4] = (uint8_t)(len >> 8);
	d[5] = (uint8_t)len;
	if (len > 0)
		memcpy(d + TLV_HDR, p, len);
	w->used += TLV_HDR + len;
}

void kw_tlv_put_str(kw_tlv_writer *w, uint16_t tag, const char *s)
{
	if (s == NULL) {
		if (w->err == KW_OK)
			w->err = KW_E_INVALID;
		return;
	}
	kw_tlv_put_bytes(w, tag, s, strlen(s));
}

void kw_tlv_put_u64(kw_tlv_writer *w, uint16_t tag, uint64_t v)
{
	uint8_t b[8];
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
	kw_tlv_put_bytes(w, tag, b, sizeof(b));
}

void kw_tlv_put_i64(kw_tlv_writer *w, uint16_t tag, int64_t v)
{
	kw_tlv_put_u64(w, tag, (uint64_t)v);
}

kw_rc kw_tlv_writer_finish(kw_tlv_writer *w, kw_secret **out)
{
	kw_rc rc = w->err;
	kw_secret *s = NULL;
	if (out == NULL)
		rc = KW_E_INVALID;
	if (rc != KW_OK)
		goto out;
	rc = kw_secret_from(w->buf != NULL ? w->buf->data : NULL, w->used, &s);
	if (rc != KW_OK)
		goto out;
	*out = s;
out:
	kw_tlv_writer_clear(w);
	return rc;
}

void kw_tlv_writer_clear(kw_tlv_writer *w)
{
	kw_secret_free(w->buf);
	kw_tlv_writer_init(w);
}

void kw_tlv_reader_init(kw_tlv_reader *r, const void *p, size_t len)
{
	r->p = p;
	r->left = p != NULL ? len : 0;
}

kw_rc kw_tlv_next(kw_tlv_reader *r, kw_tlv_item *out)
{
	if (r->left == 0)
		return KW_E_NOT_FOUND;
	if (r->left < TLV_HDR)
		return KW_E_INTEGRITY;
	const uint8_t *d = r->p;
	size_t len = (size_t)d[2] << 24 | (size_t)d[3] << 16 |
		     (size_t)d[4] << 8 | d[5];
	if (len > r->left - TLV_HDR)
		return KW_E_INTEGRITY;
	out->tag = (uint16_t)(d[0] << 8 | d[1]);
	out->val = d + TLV_HDR;
	out->len = len;
	r->p += TLV_HDR + len;
	r->left -= TLV_HDR + len;
	return KW_OK;
}

kw_rc kw_tlv_item_u64(const kw_tlv_item *it, uint64_t *out)
{
	if (it->len != 8)
		return KW_E_INTEGRITY;
	uint64_t v = 0;
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | it->val[i];
	*out = v;
	return KW_OK;
}

kw_rc kw_tlv_item_i64(const kw_tlv_item *it, int64_t *out)
{
	uint64_t v;
	kw_rc rc = kw_tlv_item_u64(it, &v);
	if (rc == KW_OK)
		*out = (int64_t)v;
	return rc;
}

kw_rc kw_tlv_item_str(const kw_tlv_item *it, char *out, size_t max)
{
	if (it->len > max || memchr(it->val, 0, it->len) != NULL)
		return KW_E_INTEGRITY;
	if (it->len > 0)
		memcpy(out, it->val, it->len);
	out[it->len] = '\0';
	return KW_OK;
}

kw_rc kw_tlv_item_strdup(const kw_tlv_item *it, size_t max, char **out)
{
	if (it->len > max || memchr(it->val, 0, it->len) != NULL)
		return KW_E_INTEGRITY;
	char *s = malloc(it->len + 1);
	if (s == NULL)
		return KW_E_NOMEM;
	if (it->len > 0)
		memcpy(s, it->val, it->len);
	s[it->len] = '\0';
	*out = s;
	return KW_OK;
}
