/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "util/codec.h"

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t kw_base64_encoded_len(size_t n, bool url)
{
	if (url)
		return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
	return (n + 2) / 3 * 4;
}

void kw_base64_encode(const uint8_t *in, size_t n, bool url, char *out)
{
	const char *a = url ? b64_url : b64_std;
	size_t i = 0, o = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (!url) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
}

kw_rc kw_base64_encode_alloc(const uint8_t *in, size_t n, bool url, char **out)
{
	if ((in == NULL && n != 0) || out == NULL || n > SIZE_MAX / 2)
		return KW_E_INVALID;
	char *s = malloc(kw_base64_encoded_len(n, url) + 1);
	if (s == NULL)
		return KW_E_NOMEM;
	kw_base64_encode(in, n, url, s);
	*out = s;
	return KW_OK;
}

static int b64_val(char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

kw_rc kw_base64_decode(const char *in, size_t in_len, bool url, uint8_t *out,
		       size_t *out_len)
{
	if ((in == NULL && in_len != 0) || out == NULL || out_len == NULL)
		return KW_E_INVALID;
	size_t data_len = in_len;
	if (!url) {
		if (in_len % 4 != 0)
			return KW_E_INVALID;
		if (data_len > 0 && in[data_len - 1] == '=')
			data_len--;
		if (data_len > 0 && in[data_len - 1] == '=')
			data_len--;
	}
	if (data_len % 4 == 1)
		return KW_E_INVALID;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < data_len; i++) {
		int v = b64_val(in[i], url);
		if (v < 0)
			return KW_E_INVALID;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* The leftover bits must be zero (canonical encoding). */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return KW_E_INVALID;
	*out_len = o;
	return KW_OK;
}

kw_rc kw_base64_decode_alloc(const char *in, size_t in_len, bool url,
			     uint8_t **out, size_t *out_len)
{
	if (out == NULL || out_len == NULL || in_len > SIZE_MAX / 2)
		return KW_E_INVALID;
	uint8_t *b = malloc(in_len / 4 * 3 + 3);
	if (b == NULL)
		return KW_E_NOMEM;
	size_t n = 0;
	kw_rc rc = kw_base64_decode(in, in_len, url, b, &n);
	if (rc != KW_OK) {
		free(b);
		return rc;
	}
	*out = b;
	*out_len = n;
	return KW_OK;
}

void kw_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

kw_rc kw_hex_decode(const char *in, size_t in_len, uint8_t *out)
{
	if ((in == NULL && in_len != 0) || out == NULL || in_len % 2 != 0)
		return KW_E_INVALID;
	for (size_t i = 0; i < in_len; i += 2) {
		int hi = hex_val(in[i]), lo = hex_val(in[i + 1]);
		if (hi < 0 || lo < 0)
			return KW_E_INVALID;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return KW_OK;
}
