/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TESTS_STORE_HELPERS_H
#define KW_TESTS_STORE_HELPERS_H

/* Fixtures shared by the store tests (cmocka). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/store.h"

/* A store in a fresh mkdtemp() directory under /tmp, removed with every
 * file in it by fx_teardown(). */
typedef struct fx {
	char dir[64];
	char path[96];
	kw_store_config cfg;
	kw_store *s;
} fx;

/* The backend under test ("mem" or "sqlite"), from argv[1]. */
extern const char *fx_backend;

/* Makes the directory and fills in cfg for fx_backend; no store yet.
 * fx_fini() closes f->s (if any) and removes the directory. 0 or -1. */
int fx_init(fx *f);
int fx_fini(fx *f);

/* cmocka setup/teardown: *state becomes an fx with an open store. */
int fx_setup(void **state);
int fx_teardown(void **state);
/* Setup without opening the store (sqlite file tests). */
int fx_setup_closed(void **state);
/* Closes and reopens f->s with f->cfg. */
kw_rc fx_reopen(fx *f);

/* A record with data = the bytes of text (no NUL); group / lookup from a
 * one-byte seed (0 = none): every tag byte is the seed. */
void rec_make(kw_store_rec *r, uint32_t type, const char *id, uint64_t version,
	      uint8_t group, uint8_t lookup, const char *text);
void tag_fill(uint8_t tag[KW_STORE_TAG_LEN], uint8_t seed);

/* One write transaction doing one put, committed. Returns the first error. */
kw_rc put_one(kw_store *s, uint32_t type, const char *id, uint64_t version,
	      uint8_t group, uint8_t lookup, const char *text);
/* A read transaction doing one get; *out owned by the caller. */
kw_rc get_one(kw_store *s, uint32_t type, const char *id, kw_store_rec *out);

/* Asserts that the record type/id is at version with data text. */
void assert_rec(kw_store *s, uint32_t type, const char *id, uint64_t version,
		const char *text);

/* A list callback collecting ids ("a,b,c") into a string list. */
typedef struct id_list {
	char ids[4096];
	size_t n;
	size_t stop_after; /* return KW_E_LIMIT after this many (0 = never) */
} id_list;
kw_rc id_list_cb(const kw_store_rec *rec, void *arg);

#endif
