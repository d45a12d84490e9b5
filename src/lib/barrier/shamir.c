/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "barrier/shamir.h"
#include "crypto/crypto.h"

/*
 * Shift-and-add multiplication: for each bit of b, add a (masked, not
 * branched) and multiply a by x, reducing by 0x11b with a mask taken from
 * its top bit. Eight rounds whatever the operands.
 */
uint8_t kw_gf256_mul(uint8_t a, uint8_t b)
{
	unsigned r = 0, x = a, y = b;
	for (int i = 0; i < 8; i++) {
		r ^= x & (0u - (y & 1u));
		y >>= 1;
		x = (x << 1) ^ (0x11bu & (0u - (x >> 7)));
	}
	return (uint8_t)r;
}

/* a^254 = a^-1 in GF(2^8) (and 0 for 0). The exponent is public, so the
 * square-and-multiply chain below is the same for every a. */
uint8_t kw_gf256_inv(uint8_t a)
{
	uint8_t r = 1;
	for (int bit = 7; bit >= 0; bit--) {
		r = kw_gf256_mul(r, r);
		if ((254u >> bit) & 1u)
			r = kw_gf256_mul(r, a);
	}
	return r;
}

kw_rc kw_shamir_split(const uint8_t secret[static KW_SHAMIR_SECRET_LEN],
		      unsigned n, unsigned m, kw_shamir_share *out)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_secret *coef = NULL; /* (m - 1) x 32 random coefficients */
	kw_secret *tmp = NULL;	/* n shares, copied to out on success */

	if (secret == NULL || out == NULL || m < 1 || m > n ||
	    n > KW_SHAMIR_SHARES_MAX) {
		rc = KW_E_INVALID;
		goto out;
	}
	rc = kw_secret_new((size_t)(m - 1) * KW_SHAMIR_SECRET_LEN, &coef);
	if (rc != KW_OK)
		goto out;
	rc = kw_secret_new((size_t)n * sizeof(kw_shamir_share), &tmp);
	if (rc != KW_OK)
		goto out;
	if (m > 1) {
		rc = kw_random(coef->data, coef->len);
		if (rc != KW_OK)
			goto out;
	}

	kw_shamir_share *sh = (kw_shamir_share *)tmp->data;
	for (unsigned i = 0; i < n; i++) {
		uint8_t x = (uint8_t)(i + 1);
		sh[i].x = x;
		for (size_t j = 0; j < KW_SHAMIR_SECRET_LEN; j++) {
			/* Horner: f(x) = s + x(c1 + x(c2 + ... x c_{m-1})) */
			uint8_t y = 0;
			for (unsigned c = m - 1; c >= 1; c--) {
				const uint8_t *cf =
					coef->data +
					(size_t)(c - 1) * KW_SHAMIR_SECRET_LEN;
				y = kw_gf256_mul(y, x) ^ cf[j];
			}
			sh[i].y[j] = kw_gf256_mul(y, x) ^ secret[j];
		}
	}
	memcpy(out, tmp->data, tmp->len);
	rc = KW_OK;
out:
	kw_secret_free(coef);
	kw_secret_free(tmp);
	return rc;
}

kw_rc kw_shamir_combine(const kw_shamir_share *shares, unsigned k,
			uint8_t out[static KW_SHAMIR_SECRET_LEN])
{
	kw_rc rc = KW_E_INTERNAL;
	uint8_t acc[KW_SHAMIR_SECRET_LEN] = {0};
	uint8_t seen[256 / 8] = {0};

	if (shares == NULL || out == NULL || k < 1 ||
	    k > KW_SHAMIR_SHARES_MAX) {
		rc = KW_E_INVALID;
		goto out;
	}
	/* The indexes are public: checking them may branch. */
	for (unsigned i = 0; i < k; i++) {
		uint8_t x = shares[i].x;
		if (x == 0) {
			rc = KW_E_INVALID;
			goto out;
		}
		if (seen[x / 8] & (1u << (x % 8))) {
			rc = KW_E_EXISTS;
			goto out;
		}
		seen[x / 8] |= (uint8_t)(1u << (x % 8));
	}

	for (unsigned i = 0; i < k; i++) {
		/* Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i);
		 * in characteristic 2, minus is xor. */
		uint8_t num = 1, den = 1;
		for (unsigned j = 0; j < k; j++) {
			if (j == i)
				continue;
			num = kw_gf256_mul(num, shares[j].x);
			den = kw_gf256_mul(den, shares[j].x ^ shares[i].x);
		}
		uint8_t l = kw_gf256_mul(num, kw_gf256_inv(den));
		for (size_t b = 0; b < KW_SHAMIR_SECRET_LEN; b++)
			acc[b] ^= kw_gf256_mul(l, shares[i].y[b]);
	}
	memcpy(out, acc, sizeof(acc));
	rc = KW_OK;
out:
	kw_wipe(acc, sizeof(acc));
	return rc;
}
