/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "crypto/x509_int.h"

void kw_der_init(kw_der *d)
{
	memset(d, 0, sizeof(*d));
}

void kw_der_clear(kw_der *d)
{
	free(d->p);
	memset(d, 0, sizeof(*d));
}

static void fail(kw_der *d, kw_rc rc)
{
	if (d->err == KW_OK)
		d->err = rc;
}

/* Room for n more bytes. */
static uint8_t *grow(kw_der *d, size_t n)
{
	if (d->err != KW_OK)
		return NULL;
	if (n > KW_DER_MAX || d->len > KW_DER_MAX - n) {
		fail(d, KW_E_LIMIT);
		return NULL;
	}
	if (d->len + n > d->cap) {
		size_t cap = d->cap != 0 ? d->cap : 256;
		while (cap < d->len + n)
			cap *= 2;
		uint8_t *p = realloc(d->p, cap);
		if (p == NULL) {
			fail(d, KW_E_NOMEM);
			return NULL;
		}
		d->p = p;
		d->cap = cap;
	}
	uint8_t *at = d->p + d->len;
	d->len += n;
	return at;
}

void kw_der_raw(kw_der *d, const void *p, size_t n)
{
	uint8_t *at = grow(d, n);
	if (at != NULL && n > 0)
		memcpy(at, p, n);
}

/* Tag and length octets (X.690 8.1.3: short form below 128, else the
 * fewest length bytes). */
static void header(kw_der *d, uint8_t tag, size_t n)
{
	uint8_t h[6];
	size_t hl = 0;

	h[hl++] = tag;
	if (n < 0x80) {
		h[hl++] = (uint8_t)n;
	} else {
		size_t bytes = n > 0xffffff ? 4
			       : n > 0xffff ? 3
			       : n > 0xff   ? 2
					    : 1;
		h[hl++] = (uint8_t)(0x80 | bytes);
		for (size_t i = bytes; i > 0; i--)
			h[hl++] = (uint8_t)(n >> (8 * (i - 1)));
	}
	kw_der_raw(d, h, hl);
}

void kw_der_tlv(kw_der *d, uint8_t tag, const void *p, size_t n)
{
	header(d, tag, n);
	kw_der_raw(d, p, n);
}

void kw_der_wrap(kw_der *d, uint8_t tag, kw_der *inner)
{
	if (inner->err != KW_OK)
		fail(d, inner->err);
	else
		kw_der_tlv(d, tag, inner->p, inner->len);
	kw_der_clear(inner);
}

void kw_der_ossl(kw_der *d, unsigned char **buf, int n)
{
	if (n <= 0 || *buf == NULL)
		fail(d, KW_E_CRYPTO);
	else
		kw_der_raw(d, *buf, (size_t)n);
	OPENSSL_free(*buf);
	*buf = NULL;
}

void kw_der_uint_bytes(kw_der *d, const uint8_t *be, size_t n)
{
	static const uint8_t zero = 0;

	while (n > 1 && be[0] == 0) {
		be++;
		n--;
	}
	if (n == 0) {
		be = &zero;
		n = 1;
	}
	if (be[0] & 0x80) {
		header(d, KW_DER_INTEGER, n + 1);
		kw_der_raw(d, &zero, 1);
		kw_der_raw(d, be, n);
	} else {
		kw_der_tlv(d, KW_DER_INTEGER, be, n);
	}
}

void kw_der_uint(kw_der *d, uint64_t v)
{
	uint8_t be[8];
	for (size_t i = 0; i < 8; i++)
		be[i] = (uint8_t)(v >> (56 - 8 * i));
	kw_der_uint_bytes(d, be, sizeof(be));
}

void kw_der_oid(kw_der *d, int nid)
{
	const ASN1_OBJECT *o = OBJ_nid2obj(nid);
	const unsigned char *p = o != NULL ? OBJ_get0_data(o) : NULL;
	size_t n = o != NULL ? OBJ_length(o) : 0;

	if (p == NULL || n == 0) {
		fail(d, KW_E_INTERNAL);
		return;
	}
	kw_der_tlv(d, KW_DER_OID, p, n);
}

void kw_der_alg(kw_der *d, int nid, bool with_null)
{
	kw_der a;
	kw_der_init(&a);
	kw_der_oid(&a, nid);
	if (with_null)
		kw_der_tlv(&a, KW_DER_NULL, NULL, 0);
	kw_der_wrap(d, KW_DER_SEQUENCE, &a);
}

static int blob_cmp(const void *a, const void *b)
{
	const kw_blob *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);
	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

void kw_der_set_of(kw_der *d, uint8_t tag, const kw_blob *elems, size_t n)
{
	kw_blob *sorted = NULL;
	size_t total = 0;

	if (n > 0) {
		sorted = malloc(n * sizeof(*sorted));
		if (sorted == NULL) {
			fail(d, KW_E_NOMEM);
			return;
		}
		memcpy(sorted, elems, n * sizeof(*sorted));
		/* X.690 11.6: the encodings in ascending order, compared
		 * as octet strings with the shorter padded by zeros; DER
		 * elements that are prefixes of one another cannot occur
		 * (each is a complete TLV), so a plain compare suffices. */
		qsort(sorted, n, sizeof(*sorted), blob_cmp);
	}
	for (size_t i = 0; i < n; i++)
		total += sorted[i].len;
	header(d, tag, total);
	for (size_t i = 0; i < n; i++)
		kw_der_raw(d, sorted[i].p, sorted[i].len);
	free(sorted);
}

/* Writes t as YYMMDDHHMMSSZ (digits4 false) or YYYYMMDDHHMMSSZ. */
static void time_tlv(kw_der *d, int64_t t, bool gen)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char s[20];
	int n;

	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 < 1950 ||
	    tm.tm_year + 1900 > 9999) {
		fail(d, KW_E_INVALID);
		return;
	}
	if (!gen && tm.tm_year + 1900 >= 2050)
		gen = true;
	if (gen)
		n = snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		n = snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ",
			     tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n <= 0 || (size_t)n >= sizeof(s)) {
		fail(d, KW_E_INTERNAL);
		return;
	}
	kw_der_tlv(d, gen ? KW_DER_GENERALIZED_TIME : KW_DER_UTC_TIME, s,
		   (size_t)n);
}

void kw_der_time(kw_der *d, int64_t t)
{
	time_tlv(d, t, false);
}

void kw_der_gentime(kw_der *d, int64_t t)
{
	time_tlv(d, t, true);
}

uint8_t *kw_i2d_copy(unsigned char **buf, int n, size_t *out_len)
{
	uint8_t *out = n > 0 && *buf != NULL ? malloc((size_t)n) : NULL;

	if (out != NULL) {
		memcpy(out, *buf, (size_t)n);
		*out_len = (size_t)n;
	}
	OPENSSL_free(*buf);
	*buf = NULL;
	return out;
}

kw_rc kw_der_finish(kw_der *d, uint8_t **out, size_t *out_len)
{
	kw_rc rc = d->err;

	if (rc == KW_OK && (d->len == 0 || out == NULL || out_len == NULL))
		rc = KW_E_INVALID;
	if (rc == KW_OK) {
		*out = d->p;
		*out_len = d->len;
		d->p = NULL;
	}
	kw_der_clear(d);
	return rc;
}
