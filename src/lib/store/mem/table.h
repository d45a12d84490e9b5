/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_STORE_MEM_TABLE_H
#define KW_STORE_MEM_TABLE_H

/*
 * The record tables of the mem backend: one table per record type, with
 * three sorted indexes (id; lookup tag; group tag + id) searched by binary
 * search, so gets, lookups, group listings and group counts never scan.
 *
 * Records and tables are reference counted. A published table (one that a
 * committed state points to) is immutable and may be shared by many
 * states and read by many threads; a write transaction changes only its
 * own clone. Records are immutable once created and shared by tables.
 */

#include <stdatomic.h>
#include <stdint.h>

#include "keywarden/store.h"

typedef struct kw_mem_rec {
	atomic_uint refs;
	kw_store_rec r; /* r.data owned; NULL iff r.data_len == 0 */
} kw_mem_rec;

typedef struct kw_mem_index {
	kw_mem_rec **v; /* sorted; no references of its own */
	size_t n, cap;
} kw_mem_index;

typedef struct kw_mem_table {
	atomic_uint refs;
	kw_mem_index by_id;	/* every record; holds one reference each */
	kw_mem_index by_lookup; /* records with a lookup tag */
	kw_mem_index by_group;	/* records with a group tag, by (group, id) */
} kw_mem_table;

/* A new record (refs 1) holding a copy of src. KW_OK or KW_E_NOMEM. */
kw_rc kw_mem_rec_new(const kw_store_rec *src, kw_mem_rec **out);
kw_mem_rec *kw_mem_rec_retain(kw_mem_rec *r);
void kw_mem_rec_release(kw_mem_rec *r);
/* A caller-owned copy of r (data malloc()ed). KW_OK or KW_E_NOMEM. */
kw_rc kw_mem_rec_copy_out(const kw_mem_rec *r, kw_store_rec *out);

/* A new private table (refs 1) with the records of base (NULL = empty).
 * KW_OK or KW_E_NOMEM. */
kw_rc kw_mem_table_clone(const kw_mem_table *base, kw_mem_table **out);
kw_mem_table *kw_mem_table_retain(kw_mem_table *t);
/* NULL is allowed. */
void kw_mem_table_release(kw_mem_table *t);

/* Finders; t may be NULL (an empty table). The result is borrowed from t. */
kw_mem_rec *kw_mem_table_get(const kw_mem_table *t, const char *id);
kw_mem_rec *kw_mem_table_get_by_lookup(const kw_mem_table *t,
				       const uint8_t lookup[KW_STORE_TAG_LEN]);
/* The first record with id > after (NULL: the first record), among those of
 * group if group is not NULL; NULL if there is none. */
kw_mem_rec *kw_mem_table_next(const kw_mem_table *t, const uint8_t *group,
			      const char *after);
uint64_t kw_mem_table_count(const kw_mem_table *t, const uint8_t *group);

/* Inserts rec, or replaces the record with its id. Takes over the caller's
 * reference to rec on success. The caller has checked versions and lookup
 * uniqueness. KW_OK, or KW_E_NOMEM with t unchanged. t must be private. */
kw_rc kw_mem_table_put(kw_mem_table *t, kw_mem_rec *rec);
/* Removes the record with this id, which must exist. t must be private. */
void kw_mem_table_delete(kw_mem_table *t, const char *id);

#endif
