/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_UTIL_TLV_H
#define KW_UTIL_TLV_H

/*
 * A small tag-length-value encoding for the plaintext of sealed records.
 * Each item is: tag (u16, big-endian), length (u32, big-endian), value.
 * Integers are 8-byte big-endian values; strings are UTF-8 without NUL;
 * nested structures are TLV inside a value.
 *
 * The writer keeps its buffer in a kw_secret (records carry key material).
 * The reader never allocates; it checks every length against the input and
 * rejects truncated or oversized items with KW_E_INTEGRITY.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/rc.h"
#include "keywarden/secret.h"

typedef struct kw_tlv_writer {
	kw_secret *buf; /* data[0..used) is the encoding so far */
	size_t used;
	kw_rc err; /* first error; later calls do nothing */
} kw_tlv_writer;

void kw_tlv_writer_init(kw_tlv_writer *w);
void kw_tlv_put_bytes(kw_tlv_writer *w, uint16_t tag, const void *p,
		      size_t len);
void kw_tlv_put_str(kw_tlv_writer *w, uint16_t tag, const char *s);
void kw_tlv_put_u64(kw_tlv_writer *w, uint16_t tag, uint64_t v);
void kw_tlv_put_i64(kw_tlv_writer *w, uint16_t tag, int64_t v);
/* Moves the encoding into *out (a kw_secret of exactly the used length) and
 * resets the writer. Returns the first error of any put instead, if any. */
kw_rc kw_tlv_writer_finish(kw_tlv_writer *w, kw_secret **out);
/* Discards (wipes) the buffer. */
void kw_tlv_writer_clear(kw_tlv_writer *w);

typedef struct kw_tlv_reader {
	const uint8_t *p;
	size_t left;
} kw_tlv_reader;

typedef struct kw_tlv_item {
	uint16_t tag;
	const uint8_t *val;
	size_t len;
} kw_tlv_item;

void kw_tlv_reader_init(kw_tlv_reader *r, const void *p, size_t len);
/* KW_OK with the next item, KW_E_NOT_FOUND at the end, KW_E_INTEGRITY if
 * the input is truncated. */
kw_rc kw_tlv_next(kw_tlv_reader *r, kw_tlv_item *out);

/* Typed views of an item: KW_E_INTEGRITY if the length is wrong or the
 * string holds a NUL or exceeds max (bytes, excluding the NUL written). */
kw_rc kw_tlv_item_u64(const kw_tlv_item *it, uint64_t *out);
kw_rc kw_tlv_item_i64(const kw_tlv_item *it, int64_t *out);
kw_rc kw_tlv_item_str(const kw_tlv_item *it, char *out, size_t max);
/* A malloc()ed NUL-terminated copy. */
kw_rc kw_tlv_item_strdup(const kw_tlv_item *it, size_t max, char **out);

#endif
