/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_SECRET_H
#define KEYWARDEN_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "keywarden/rc.h"

/*
 * The one type for secrets: key material, shares, PINs, passwords, tokens.
 * The bytes live on the OpenSSL secure heap (mlocked, guarded) once
 * kw_secure_heap_init() has run, otherwise on the normal heap; they are wiped
 * by kw_secret_free() in every case. The struct itself is on the normal heap.
 * A kw_secret is not thread-safe; share it read-only or not at all.
 */
typedef struct kw_secret {
	uint8_t *data;
	size_t len;
} kw_secret;

/* Sets up the secure heap (size bytes, a power of two). Call once at daemon
 * start before any secret is allocated. KW_OK, KW_E_INVALID (size),
 * KW_E_NOMEM (mlock or mmap failed). */
kw_rc kw_secure_heap_init(size_t size);

/* A new zeroed secret of len bytes (len may be 0). KW_OK, KW_E_INVALID
 * (out NULL or len > KW_SECRET_MAX), KW_E_NOMEM. */
kw_rc kw_secret_new(size_t len, kw_secret **out);

/* A new secret holding a copy of p[0..len). p may be NULL only if len is 0. */
kw_rc kw_secret_from(const void *p, size_t len, kw_secret **out);

/* Wipes and frees; NULL is allowed. */
void kw_secret_free(kw_secret *s);

/* Wipes len bytes at p in a way the compiler cannot elide. */
void kw_wipe(void *p, size_t len);

/* 1 if a and b hold the same len bytes, else 0, in time independent of the
 * contents. */
int kw_ct_equal(const void *a, const void *b, size_t len);

#define KW_SECRET_MAX (64u * 1024u * 1024u)

#endif
