/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TESTS_STORE_FAULT_H
#define KW_TESTS_STORE_FAULT_H

/*
 * Fault injection for the store (tests only). A kw_store_fault wraps a real
 * ops table (kw_store_backend("mem") or ("sqlite")) and makes chosen calls
 * fail, so tests of the barrier, keys and audit layers can show that they
 * fail closed:
 *
 *     kw_store_fault *f;
 *     kw_store_fault_new(kw_store_backend("mem"), &f);
 *     kw_store_fault_open(f, &cfg, &store);
 *     kw_store_fault_fail(f, KW_FAULT_REC_PUT, 2, 1, KW_E_STORAGE);
 *         ... the 2nd rec_put from now fails, the others pass ...
 *     kw_store_fault_disk_full(f, true);
 *         ... every write fails with KW_E_STORAGE ...
 *     kw_store_close(store);
 *     kw_store_fault_free(f);
 *
 * An injected failure does not reach the backend: nothing is written. A
 * failed commit aborts the backend transaction (nothing is applied), as a
 * failed commit must. Argument validation stays in the kw_store_* wrappers,
 * so injected faults only ever hit well-formed calls.
 *
 * All functions are thread-safe; counters count calls from every thread.
 */

#include <stdbool.h>
#include <stdint.h>

#include "keywarden/store.h"

typedef enum kw_fault_op {
	KW_FAULT_OPEN,
	KW_FAULT_TXN_BEGIN,
	KW_FAULT_TXN_COMMIT,
	KW_FAULT_REC_GET,
	KW_FAULT_REC_GET_BY_LOOKUP,
	KW_FAULT_REC_PUT,
	KW_FAULT_REC_DELETE,
	KW_FAULT_REC_LIST,
	KW_FAULT_REC_COUNT,
	KW_FAULT_AUDIT_APPEND,
	KW_FAULT_AUDIT_READ,
	KW_FAULT_AUDIT_LAST,
	KW_FAULT_OP_COUNT_
} kw_fault_op;

typedef struct kw_store_fault kw_store_fault;

/* A new injector around inner, which must outlive it. No fault is armed.
 * KW_OK, KW_E_INVALID (inner NULL or out NULL), KW_E_NOMEM. */
kw_rc kw_store_fault_new(const kw_store_ops *inner, kw_store_fault **out);

/* Frees f; every store opened through it must be closed. NULL is allowed. */
void kw_store_fault_free(kw_store_fault *f);

/* Opens a store whose every call goes through f (then as kw_store_open).
 * Several stores may be opened through one injector (e.g. to reopen a
 * file); they share its rules and counters. */
kw_rc kw_store_fault_open(kw_store_fault *f, const kw_store_config *cfg,
			  kw_store **out);

/* Arms op: of the calls of op made from now on, numbers nth .. nth+count-1
 * (1-based) fail with rc; count 0 means "and every later call". Replaces
 * the previous rule for op. nth 0 is taken as 1. */
void kw_store_fault_fail(kw_store_fault *f, kw_fault_op op, uint64_t nth,
			 uint64_t count, kw_rc rc);

/* Every call of op fails with rc until kw_store_fault_clear(). */
void kw_store_fault_fail_always(kw_store_fault *f, kw_fault_op op, kw_rc rc);

/* While on, every write fails with KW_E_STORAGE as if the disk were full:
 * rec_put, rec_delete, audit_append, and the commit of a write transaction
 * (read transactions still commit). */
void kw_store_fault_disk_full(kw_store_fault *f, bool on);

/* Disarms every rule and disk_full; counters are kept. */
void kw_store_fault_clear(kw_store_fault *f);

/* Calls of op seen so far (failed or not), and failures injected into op. */
uint64_t kw_store_fault_calls(kw_store_fault *f, kw_fault_op op);
uint64_t kw_store_fault_failures(kw_store_fault *f, kw_fault_op op);

#endif
