/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TESTS_KEYS_FIXTURE_H
#define KW_TESTS_KEYS_FIXTURE_H

/*
 * A kw_keys over an initialised, unsealed barrier on a fresh store (mem, or
 * sqlite in a temporary directory), for the keys unit tests. Every helper
 * asserts success with cmocka.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/keys.h"
#include "store_fault.h"

typedef struct kfx {
	const char *backend;   /* "mem" or "sqlite" */
	kw_store_fault *fault; /* if set: the store is opened through it */
	size_t cache_max;
	char dir[64];
	char path[128];
	kw_store *store;
	kw_barrier *b;
	kw_keys *ks;
	kw_secret **shares; /* 1-of-1 */
} kfx;

/* A fresh initialised, unsealed instance on backend with a cache of
 * cache_max keys; with fault_injection, its store is opened through a
 * kw_store_fault (f->fault). Free with kfx_teardown(&f). */
kfx *kfx_new(const char *backend, bool fault_injection, size_t cache_max);

/* cmocka setup/teardown; the prestate is the backend name; cache_max 64. */
int kfx_setup(void **state);
int kfx_teardown(void **state);

/* (Re)opens store, barrier (unsealing it if initialised) and keys. */
void kfx_open(kfx *f);
void kfx_close(kfx *f);
void kfx_unseal(kfx *f);

/* Creates (name, type, usages: 0 = default) in partition "p1". */
kw_key_info *kfx_create(kfx *f, const char *name, kw_key_type t,
			uint32_t usages);
/* Imports a key of RSA type t: RSA-2048 from a fixed test key, the others
 * from material generated once per process (RSA generation is slow, above
 * all under valgrind). */
kw_key_info *kfx_import_rsa(kfx *f, const char *name, kw_key_type t,
			    uint32_t usages);
/* Keeps m (taken) as the material kfx_import_rsa uses for its type, unless
 * there is one already. */
void kfx_rsa_keep(kw_key_type t, kw_secret *m);
bool kfx_rsa_have(kw_key_type t);
/* True when run by the valgrind test setup (KW_UNDER_VALGRIND set). */
bool kfx_under_valgrind(void);
/* Releases the material kept by kfx_import_rsa (call at the end). */
void kfx_rsa_free(void);

/* The stored record of key `name` in partition KFX_PART, with material
 * (white-box: keys/internal.h). Free with kw_keys_rec_free. */
struct kw_key_rec *kfx_load(kfx *f, const char *name);

/* The whole file at path (malloc), or NULL if there is none. */
uint8_t *kfx_file_read(const char *path, size_t *out_len);

#define KFX_PART "p1"

#endif
