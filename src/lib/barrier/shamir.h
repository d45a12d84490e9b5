/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_BARRIER_SHAMIR_H
#define KW_BARRIER_SHAMIR_H

/*
 * Shamir secret sharing of a 32-byte secret over GF(2^8) (the AES field,
 * polynomial x^8 + x^4 + x^3 + x + 1 = 0x11b), and the text form of a share
 * handed to a custodian.
 *
 * Field arithmetic is constant time: multiplication is shift-and-add with
 * masks, inversion is exponentiation (a^254); no table is indexed by secret
 * data. Every temporary holding secret-derived bytes is wiped.
 *
 * Share text (version 1): "kwshare1-" followed by the unpadded base64url of
 * 51 bytes:
 *     [0]      format version (1)
 *     [1..8]   split id: random, the same in every share of one split
 *     [9]      threshold M
 *     [10]     index x (1..255)
 *     [11..42] y: the 32 share bytes
 *     [43..50] checksum: the first 8 bytes of SHA-256 over bytes [0..43)
 * 51 bytes is a multiple of 3, so the text has no partial trailing group:
 * each of its 68 characters carries exactly 6 bits, and any changed
 * character changes the decoded bytes.
 */

#include <stddef.h>
#include <stdint.h>

#include "keywarden/rc.h"
#include "keywarden/secret.h"

#define KW_SHAMIR_SECRET_LEN 32
#define KW_SHAMIR_SHARES_MAX 255

#define KW_SHARE_VERSION      1
#define KW_SHARE_PREFIX	      "kwshare1-"
#define KW_SHARE_PREFIX_LEN   9
#define KW_SHARE_SPLIT_ID_LEN 8
#define KW_SHARE_CHECKSUM_LEN 8
#define KW_SHARE_BIN_LEN      51
#define KW_SHARE_TEXT_LEN     (KW_SHARE_PREFIX_LEN + 68)

/* One point (x, f(x)) of the 32 sharing polynomials. y is secret. */
typedef struct kw_shamir_share {
	uint8_t x;
	uint8_t y[KW_SHAMIR_SECRET_LEN];
} kw_shamir_share;

/* GF(2^8) product and inverse (inverse of 0 is 0), constant time. */
uint8_t kw_gf256_mul(uint8_t a, uint8_t b);
uint8_t kw_gf256_inv(uint8_t a);

/*
 * Splits secret into n points with threshold m (1 <= m <= n <= 255): for
 * each secret byte a random polynomial of degree m - 1 (coefficients from
 * kw_random) whose constant term is that byte, evaluated at x = 1..n.
 * out has room for n shares and should be secure memory (a kw_secret); it
 * is written only on success.
 * KW_OK, KW_E_INVALID (NULL, bad n/m), KW_E_CRYPTO (no randomness),
 * KW_E_NOMEM. Thread-safe.
 */
kw_rc kw_shamir_split(const uint8_t secret[static KW_SHAMIR_SECRET_LEN],
		      unsigned n, unsigned m, kw_shamir_share *out);

/*
 * Rebuilds the secret from k points by Lagrange interpolation at x = 0.
 * With fewer points than the threshold the result is an unrelated value (it
 * cannot be told apart from random; the caller verifies it).
 * KW_OK, KW_E_INVALID (NULL, k == 0 or > 255, an index 0),
 * KW_E_EXISTS (two points with the same index). out is written only on
 * success. Thread-safe.
 */
kw_rc kw_shamir_combine(const kw_shamir_share *shares, unsigned k,
			uint8_t out[static KW_SHAMIR_SECRET_LEN]);

/* A decoded share text. */
typedef struct kw_share {
	uint8_t split_id[KW_SHARE_SPLIT_ID_LEN];
	uint8_t threshold;
	kw_shamir_share point;
} kw_share;

/*
 * Encodes s as text into a new secret of exactly KW_SHARE_TEXT_LEN bytes
 * (no NUL). KW_OK, KW_E_INVALID (NULL, threshold 0, index 0),
 * KW_E_CRYPTO, KW_E_NOMEM. Thread-safe.
 */
kw_rc kw_share_encode(const kw_share *s, kw_secret **out);

/*
 * Splits secret into n share texts (threshold m) of the split split_id:
 * kw_shamir_split, then kw_share_encode of each point. *out is an array of
 * n secrets (free with kw_barrier_shares_free); written only on success.
 * Used for the master key (init, rekey) and for custodians' backup keys.
 * KW_OK, KW_E_INVALID, KW_E_CRYPTO, KW_E_NOMEM. Thread-safe.
 */
kw_rc kw_share_split_texts(const uint8_t secret[static KW_SHAMIR_SECRET_LEN],
			   unsigned n, unsigned m,
			   const uint8_t split_id[static KW_SHARE_SPLIT_ID_LEN],
			   kw_secret ***out);

/*
 * Decodes a share text (a parser of untrusted input: it never reads past
 * len and needs no NUL). Results:
 *   KW_OK          *out holds the share
 *   KW_E_INVALID   NULL, or not a share: wrong length, or a prefix that
 *                  differs from "kwshare1-" in more than one character;
 *                  or an intact share of an unknown version, threshold 0
 *                  or index 0
 *   KW_E_INTEGRITY the text has the shape of a share but is corrupt or
 *                  mistyped: one wrong prefix character, a character
 *                  outside base64url, or a checksum that does not match
 * So any single changed character or bit of a valid share text is
 * KW_E_INTEGRITY. out is written only on success; temporaries are wiped.
 * Thread-safe.
 */
kw_rc kw_share_decode(const char *text, size_t len, kw_share *out);

#endif
