/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_STORE_INTERNAL_H
#define KW_STORE_INTERNAL_H

/*
 * Shared by store.c and the backends of this folder only.
 *
 * Backends may rely on the wrappers of store.c having validated every
 * argument (ids valid, types 1..KW_REC_TYPE_MAX_, data sizes, version
 * rules, write operations only on write transactions): they check
 * nothing of that again, and assert() it instead.
 */

#include <pthread.h>
#include <stdbool.h>

#include "keywarden/store.h"

extern const kw_store_ops kw_store_mem_ops;
extern const kw_store_ops kw_store_sqlite_ops;

#define KW_STORE_BUSY_TIMEOUT_DEFAULT 5000u
#define KW_STORE_POOL_DEFAULT	      8u

/* cfg->busy_timeout_ms, or the default when 0. */
unsigned kw_store_busy_timeout(const kw_store_config *cfg);

/*
 * The writer gate: at most one write transaction per store at a time.
 * Writers queue on a condition variable instead of polling (SQLite's own
 * busy handler sleeps), and a writer that waits longer than the busy
 * timeout gets KW_E_STORAGE. The gate is not a mutex: it may be left by
 * another thread than the one that entered it, so a transaction can move
 * between threads.
 */
typedef struct kw_store_gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool held; /* guarded by mu */
} kw_store_gate;

/* KW_OK or KW_E_STORAGE (pthread set-up failed). */
kw_rc kw_store_gate_init(kw_store_gate *g);
void kw_store_gate_destroy(kw_store_gate *g);

/* Waits until the gate is free and takes it. KW_OK, or KW_E_STORAGE after
 * timeout_ms (logged with what waited). */
kw_rc kw_store_gate_enter(kw_store_gate *g, unsigned timeout_ms,
			  const char *who);
void kw_store_gate_leave(kw_store_gate *g);

/* Monotonic-clock deadline timeout_ms from now, for pthread_cond_timedwait
 * on a condition variable set up with kw_store_cond_init(). */
void kw_store_deadline(unsigned timeout_ms, struct timespec *out);
/* A condition variable that waits on CLOCK_MONOTONIC. 0 or an errno. */
int kw_store_cond_init(pthread_cond_t *cv);

#endif
