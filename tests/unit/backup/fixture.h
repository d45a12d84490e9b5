/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TESTS_BACKUP_FIXTURE_H
#define KW_TESTS_BACKUP_FIXTURE_H

/*
 * Instances for the backup unit tests: a store (mem, or SQLite in a
 * temporary directory; optionally through the store fault injector), a
 * barrier initialised 2-of-3 and unsealed, and keys. Every helper asserts
 * success with cmocka.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/backup.h"
#include "keywarden/keys.h"
#include "store_fault.h"

#define BFX_PART "p1"

typedef struct bfx {
	const char *backend;
	char dir[64];
	char path[128];
	kw_store_fault *fault; /* NULL: no injection */
	kw_store *store;
	kw_barrier *b;
	kw_keys *ks;
	kw_secret **shares; /* 3 shares, threshold 2 (init only) */
} bfx;

/* A new initialised, unsealed instance. */
bfx *bfx_new(const char *backend, bool fault_injection);
/* An empty store (no barrier metadata): a restore target. */
bfx *bfx_new_empty(const char *backend, bool fault_injection);
void bfx_free(bfx *f);

/* Opens barrier and keys on f->store and unseals with master. */
void bfx_open_with_master(bfx *f, const kw_secret *master);

/* A key in BFX_PART (usages 0 = default; exportable as given). */
kw_key_info *bfx_key(bfx *f, const char *name, kw_key_type t, uint32_t usages,
		     bool exportable);
/* Appends n opaque audit entries after the last one. */
void bfx_audit(bfx *f, unsigned n);
uint64_t bfx_audit_last(bfx *f);
/* The stored audit entry seq (malloc, NUL-terminated). */
char *bfx_audit_entry(bfx *f, uint64_t seq);
/* Number of records of every type. */
uint64_t bfx_records(bfx *f);

/* A growing memory buffer as a kw_backup_write_fn sink. fail_after: the
 * write that would pass that many bytes fails with KW_E_STORAGE (0 = never). */
typedef struct bfx_buf {
	uint8_t *p;
	size_t len, cap;
	size_t fail_after;
} bfx_buf;
kw_rc bfx_buf_write(void *arg, const void *p, size_t len);

/* A backup of f (keying, custodians 3-of-5 when custodians; chunk size
 * 0 = default); *shares gets the custodians' shares. */
void bfx_backup(bfx *f, kw_backup_keying k, size_t chunk, bfx_buf *out,
		kw_secret ***shares);

/* A master-keyed backup of f into *out and its key from f's barrier. */
kw_backup_key *bfx_master_backup(bfx *f, size_t chunk, bfx_buf *out);

/* Shares as a pointer array of n (taken from list by indexes). */
#define BFX_SHARES(...) ((kw_secret *[]){__VA_ARGS__})

#endif
