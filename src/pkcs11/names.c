/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11.h"

/*
 * Encodings the module needs without OpenSSL: PKCS#11 labels as key names
 * (reversible), the DER of curve parameters, and the public parts of a
 * SubjectPublicKeyInfo (what GET /v1/keys/{name}/public returns).
 */

/* ---- labels and names --------------------------------------------------- */

static bool plain(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool p11_label_to_name(const uint8_t *label, size_t len,
		       char out[P11_NAME_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (plain(label[i])) {
			if (o + 1 > P11_NAME_MAX)
				return false;
			out[o++] = (char)label[i];
			continue;
		}
		if (o + 3 > P11_NAME_MAX)
			return false;
		out[o++] = '_';
		out[o++] = hex[label[i] >> 4];
		out[o++] = hex[label[i] & 15];
	}
	out[o] = '\0';
	return o > 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *p11_name_to_label(const char *name)
{
	size_t n = strlen(name), o = 0;
	char *out = malloc(n + 1);
	bool canonical = true;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n && canonical; i++) {
		if (name[i] != '_') {
			out[o++] = name[i];
			continue;
		}
		int hi = i + 2 < n + 1 ? hexval(name[i + 1]) : -1;
		int lo = hi >= 0 ? hexval(name[i + 2]) : -1;
		/* Only what p11_label_to_name makes decodes; any other name
		 * is its own label. */
		canonical = lo >= 0 && !plain((uint8_t)(hi << 4 | lo));
		if (canonical)
			out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	if (!canonical) {
		memcpy(out, name, n);
		o = n;
	}
	out[o] = '\0';
	return out;
}

/* ---- DER -------------------------------------------------------------------- */

static const uint8_t OID_P256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
				   0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t OID_P384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t OID_P521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t OID_ED25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
static const uint8_t OID_ED25519_GNU[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x04,
					  0x01, 0xda, 0x47, 0x0f, 0x01};
static const uint8_t NAME_ED25519[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
				       'd',  's',  '2', '5', '5', '1', '9'};

bool p11_ec_params(kw_key_type t, bool ed_name, const uint8_t **out,
		   size_t *out_len)
{
#define RET(a)                        \
	do {                          \
		*out = (a);           \
		*out_len = sizeof(a); \
	} while (0)
	switch (t) {
	case KW_KEY_EC_P256:
		RET(OID_P256);
		return true;
	case KW_KEY_EC_P384:
		RET(OID_P384);
		return true;
	case KW_KEY_EC_P521:
		RET(OID_P521);
		return true;
	case KW_KEY_ED25519:
		if (ed_name)
			RET(NAME_ED25519);
		else
			RET(OID_ED25519);
		return true;
	default:
		return false;
	}
#undef RET
}

bool p11_ec_params_type(const uint8_t *p, size_t n, kw_key_type *out,
			bool *out_name)
{
	static const struct {
		const uint8_t *der;
		size_t len;
		kw_key_type t;
		bool name;
	} tab[] = {
		{OID_P256, sizeof(OID_P256), KW_KEY_EC_P256, false},
		{OID_P384, sizeof(OID_P384), KW_KEY_EC_P384, false},
		{OID_P521, sizeof(OID_P521), KW_KEY_EC_P521, false},
		{OID_ED25519, sizeof(OID_ED25519), KW_KEY_ED25519, false},
		{OID_ED25519_GNU, sizeof(OID_ED25519_GNU), KW_KEY_ED25519,
		 false},
		{NAME_ED25519, sizeof(NAME_ED25519), KW_KEY_ED25519, true},
	};

	for (size_t i = 0; p != NULL && i < sizeof(tab) / sizeof(tab[0]); i++)
		if (n == tab[i].len && memcmp(p, tab[i].der, n) == 0) {
			*out = tab[i].t;
			*out_name = tab[i].name;
			return true;
		}
	return false;
}

/* Reads one DER element at *p (before end): its tag, content, length. */
static bool der_next(const uint8_t **p, const uint8_t *end, uint8_t *tag,
		     const uint8_t **content, size_t *len)
{
	const uint8_t *q = *p;
	size_t l;

	if (end - q < 2)
		return false;
	*tag = *q++;
	l = *q++;
	if (l & 0x80) {
		size_t nb = l & 0x7f;
		if (nb == 0 || nb > 3 || (size_t)(end - q) < nb)
			return false;
		l = 0;
		while (nb-- > 0)
			l = l << 8 | *q++;
	}
	if ((size_t)(end - q) < l)
		return false;
	*content = q;
	*len = l;
	*p = q + l;
	return true;
}

/* The public parts of a SubjectPublicKeyInfo: RSA n and e (leading zero
 * bytes stripped), or the EC / Ed25519 point. */
bool p11_spki_parts(const uint8_t *der, size_t n, bool rsa, uint8_t **a,
		    size_t *a_len, uint8_t **b, size_t *b_len)
{
	const uint8_t *p = der, *end = der + n, *c, *bits;
	size_t len, bits_len;
	uint8_t tag;

	if (!der_next(&p, end, &tag, &c, &len) || tag != 0x30)
		return false;
	p = c;
	end = c + len;
	if (!der_next(&p, end, &tag, &c, &len) || tag != 0x30 ||
	    !der_next(&p, end, &tag, &bits, &bits_len) || tag != 0x03 ||
	    bits_len < 2 || bits[0] != 0)
		return false;
	bits++;
	bits_len--;
	if (!rsa) {
		*a = malloc(bits_len);
		if (*a == NULL)
			return false;
		memcpy(*a, bits, bits_len);
		*a_len = bits_len;
		return true;
	}
	p = bits;
	end = bits + bits_len;
	const uint8_t *nn, *ee;
	size_t nl, el;
	if (!der_next(&p, end, &tag, &c, &len) || tag != 0x30)
		return false;
	p = c;
	end = c + len;
	if (!der_next(&p, end, &tag, &nn, &nl) || tag != 0x02 ||
	    !der_next(&p, end, &tag, &ee, &el) || tag != 0x02)
		return false;
	while (nl > 1 && nn[0] == 0) {
		nn++;
		nl--;
	}
	while (el > 1 && ee[0] == 0) {
		ee++;
		el--;
	}
	*a = malloc(nl);
	*b = malloc(el);
	if (*a == NULL || *b == NULL) {
		free(*a);
		free(*b);
		*a = *b = NULL;
		return false;
	}
	memcpy(*a, nn, nl);
	memcpy(*b, ee, el);
	*a_len = nl;
	*b_len = el;
	return true;
}

/* DER length octets of n into p; returns their count. */
size_t p11_der_len(size_t n, uint8_t *p)
{
	if (n < 0x80) {
		p[0] = (uint8_t)n;
		return 1;
	}
	if (n < 0x100) {
		p[0] = 0x81;
		p[1] = (uint8_t)n;
		return 2;
	}
	p[0] = 0x82;
	p[1] = (uint8_t)(n >> 8);
	p[2] = (uint8_t)n;
	return 3;
}
