/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TESTS_AUTH_FIXTURE_H
#define KW_TESTS_AUTH_FIXTURE_H

/*
 * A kw_auth over an initialised, unsealed barrier on a fresh store (mem, or
 * sqlite in a temporary directory), with a clock the test moves and a low
 * scrypt cost. Every helper asserts success with cmocka.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/auth.h"
#include "store_fault.h"

#define AFX_T0 1700000000 /* the clock at setup */

typedef struct afx {
	const char *backend;   /* "mem" or "sqlite" */
	kw_store_fault *fault; /* the store is opened through it */
	char dir[64];
	char path[128];
	kw_store *store;
	kw_barrier *b;
	kw_auth *a;
	kw_secret **shares; /* 1-of-1 */
	kw_auth_config cfg; /* used by afx_open; tests may change it */
	int64_t now;	    /* the clock kw_auth sees */
} afx;

/* cmocka setup/teardown; the prestate is the backend name. Setup opens an
 * initialised, unsealed, not yet bootstrapped instance. */
int afx_setup(void **state);
int afx_teardown(void **state);

/* (Re)opens store, barrier (unsealing it if initialised) and auth. */
void afx_open(afx *f);
void afx_close(afx *f);

/* Replaces f->a by a kw_auth opened with f->cfg (store and barrier
 * stay: a mem store keeps its records). */
void afx_reconfigure(afx *f);

/* kw_auth_bootstrap without a password; returns the root token. */
kw_secret *afx_bootstrap(afx *f);

/* A secret holding the bytes of s. */
kw_secret *afx_secret(const char *s);

/* Creates partition p (if not "" and not there yet) and a user in it with
 * password pw, or an app when pw is NULL. */
void afx_principal(afx *f, const char *p, const char *name, uint32_t roles,
		   const char *pw);

/* kw_auth_token_check of a token secret, with source "test". */
kw_rc afx_check(afx *f, const kw_secret *token, kw_caller *out);

/* True if the needle bytes occur in the file at path (missing: false). */
bool afx_file_contains(const char *path, const void *needle, size_t len);

/* cmocka entries running fn on a fresh fixture of one backend / both. */
#define AFX_MEM(fn)                                                           \
	cmocka_unit_test_prestate_setup_teardown(fn, afx_setup, afx_teardown, \
						 (void *)"mem")
#define AFX_SQLITE(fn)                                                        \
	cmocka_unit_test_prestate_setup_teardown(fn, afx_setup, afx_teardown, \
						 (void *)"sqlite")
#define AFX_BOTH(fn) AFX_MEM(fn), AFX_SQLITE(fn)

#endif
