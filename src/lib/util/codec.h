/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_UTIL_CODEC_H
#define KW_UTIL_CODEC_H

/*
 * Strict text encodings. Decoders reject anything that is not exactly the
 * canonical form (wrong alphabet, bad padding, whitespace, non-zero trailing
 * bits) with KW_E_INVALID; they never read past in_len.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/rc.h"

/* Size of the base64 text (no NUL) for n bytes. */
size_t kw_base64_encoded_len(size_t n, bool url);
/* Writes the text and a NUL into out (room for encoded_len + 1). url picks
 * the URL-safe alphabet without padding (RFC 4648 §5); else standard with
 * padding. */
void kw_base64_encode(const uint8_t *in, size_t n, bool url, char *out);
/* malloc()ed, NUL-terminated. */
kw_rc kw_base64_encode_alloc(const uint8_t *in, size_t n, bool url, char **out);
/* Decodes into out (room for in_len / 4 * 3 + 3 bytes); *out_len set. */
kw_rc kw_base64_decode(const char *in, size_t in_len, bool url, uint8_t *out,
		       size_t *out_len);
/* malloc()ed result (at least 1 byte allocated). */
kw_rc kw_base64_decode_alloc(const char *in, size_t in_len, bool url,
			     uint8_t **out, size_t *out_len);

/* Lowercase hex; out has room for 2n + 1. */
void kw_hex_encode(const uint8_t *in, size_t n, char *out);
/* Accepts upper or lower case; in_len must be even; out has in_len / 2. */
kw_rc kw_hex_decode(const char *in, size_t in_len, uint8_t *out);

#endif
