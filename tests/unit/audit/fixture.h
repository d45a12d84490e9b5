/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TESTS_AUDIT_FIXTURE_H
#define KW_TESTS_AUDIT_FIXTURE_H

/*
 * An audit trail over a real store (mem, or SQLite in a temporary
 * directory) opened through the store fault injector, with a real barrier
 * initialised 1-of-1. Every helper asserts success with cmocka.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/verify.h"
#include "keywarden/audit.h"
#include "keywarden/barrier.h"
#include "keywarden/store.h"
#include "store_fault.h"

typedef struct afx {
	const char *backend; /* "mem" or "sqlite" */
	char dir[64];
	char path[128];
	kw_store_fault *fault;
	kw_store *store;
	kw_barrier *b;
	kw_secret **shares; /* 1 share */
	kw_audit *audit;
	kw_audit_config cfg; /* used by afx_open_audit */
} afx;

/* cmocka setup/teardown: a store and a barrier, initialised and unsealed;
 * the trail is not open yet (set f->cfg, then afx_open_audit). */
int afx_setup_mem(void **state);
int afx_setup_sqlite(void **state);
/* As afx_setup_sqlite, but the barrier is left sealed after init. */
int afx_setup_sealed(void **state);
int afx_teardown(void **state);

void afx_open_audit(afx *f);
void afx_close_audit(afx *f);
/* Closes the trail, the barrier and the store, and opens them again
 * (sealed), as a daemon restart does; then unseals if asked. */
void afx_restart(afx *f, bool unseal);
void afx_unseal(afx *f);
void afx_seal(afx *f);

/* An event; op and principal as given, result as given. */
kw_audit_event afx_event(const char *op, const char *principal,
			 kw_audit_result result);

/* Every stored entry, in seq order, as NUL-terminated lines (the export
 * format). Free with afx_lines_free. */
size_t afx_export(afx *f, char ***out_lines);
void afx_lines_free(char **lines, size_t n);

/* The audit public keys, concatenated PEM (malloc). */
char *afx_pubkeys_pem(afx *f);

/* Verifies lines with the C verifier, trusting pem. */
kw_rc afx_verify(char **lines, size_t n, const char *pem,
		 const kw_audit_verify_opts *opts, kw_audit_verify_report *out);

#endif
