/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TESTS_BARRIER_HELPERS_H
#define KW_TESTS_BARRIER_HELPERS_H

/*
 * A barrier over a fresh store (mem, or sqlite in a temporary directory),
 * for the barrier's unit tests. Every helper asserts success with cmocka.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/barrier.h"
#include "keywarden/store.h"
#include "store_fault.h"

typedef struct bfx {
	const char *backend;   /* "mem" or "sqlite" */
	kw_store_fault *fault; /* if not NULL: open the store through it */
	char dir[64];
	char path[128];
	kw_store *store;
	kw_barrier *b;
	kw_secret **shares; /* from bfx_init */
	unsigned n, m;
} bfx;

/* cmocka setup/teardown; the prestate is the backend name. */
int bfx_setup(void **state);
/* The part of bfx_setup before opening: a new fixture for backend (with a
 * temporary directory for sqlite). */
bfx *bfx_new(const char *backend);
int bfx_teardown(void **state);

/* Opens f->store (through f->fault if set) and f->b. */
void bfx_open(bfx *f);
/* Frees the barrier and closes the store (the file stays). */
void bfx_close(bfx *f);

/* Initialises with n shares, threshold m; keeps the shares. */
void bfx_init(bfx *f, unsigned n, unsigned m);
/* Submits shares i0, i0 + 1, ... until unsealed. */
void bfx_unseal(bfx *f, unsigned i0);

/* One record operation in its own committed transaction. */
uint64_t bfx_put(bfx *f, uint32_t type, const char *id, const char *group,
		 const char *lookup, const char *data, uint64_t expected);
/* Gets a record in a read transaction: its rc, and its data compared with
 * want (if rc is KW_OK and want is not NULL). */
kw_rc bfx_get(bfx *f, uint32_t type, const char *id, const char *want);
void bfx_delete(bfx *f, uint32_t type, const char *id, uint64_t expected);

/* The master key, rebuilt from the kept shares. */
kw_secret *bfx_master(bfx *f);

/* A kw_barrier_list_cb that counts the records in the int at arg. */
kw_rc bfx_count_cb(const char *id, uint64_t version, const uint8_t *data,
		   size_t len, void *arg);

/* True if the needle bytes occur in the file at path (missing file: no). */
bool bfx_file_contains(const char *path, const void *needle, size_t len);

#endif
