/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TESTS_QUORUM_FIXTURE_H
#define KW_TESTS_QUORUM_FIXTURE_H

/*
 * A kw_quorum on the auth tests' instance (tests/unit/auth/fixture.h: an
 * initialised, unsealed barrier on a fresh mem or sqlite store opened
 * through the fault injector, with a clock the test moves). Callers are
 * plain kw_caller values. Every helper asserts success with cmocka.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../auth/fixture.h"
#include "keywarden/quorum.h"

#define QFX_T0 AFX_T0 /* the clock at setup */

typedef struct qfx {
	afx *base;	       /* owns store, barrier, fault injector, clock */
	kw_store_fault *fault; /* = base->fault */
	kw_store *store;       /* = base->store */
	kw_barrier *b;	       /* = base->b */
	int64_t *now;	       /* = &base->now: the clock both see */
	kw_quorum *q;
} qfx;

int qfx_setup(void **state);
int qfx_teardown(void **state);

/* A caller: partition "" makes a system principal. */
kw_caller qfx_caller(const char *partition, const char *name, uint32_t roles);

/* Sets the instance's (partition NULL) or a partition's rules. */
void qfx_rules(qfx *f, const char *partition, const char *json);

/* A request of op by caller on key (NULL: none) with params (NULL: {}). */
kw_quorum_request qfx_req(kw_qop op, const kw_caller *caller,
			  const char *partition, const char *key,
			  const char *params);

/* Parks req, asserting KW_E_QUORUM_PENDING; the new approval. */
kw_approval *qfx_park(qfx *f, const kw_quorum_request *req);

/* kw_quorum_request_approve by c; the rc (the approval is dropped). */
kw_rc qfx_approve(qfx *f, const kw_caller *c, const char *id);

/* The approval as c sees it now (asserting it is found). */
kw_approval *qfx_get(qfx *f, const kw_caller *c, const char *id);

#define QFX_MEM(fn)                                                           \
	cmocka_unit_test_prestate_setup_teardown(fn, qfx_setup, qfx_teardown, \
						 (void *)"mem")
#define QFX_SQLITE(fn)                                                        \
	cmocka_unit_test_prestate_setup_teardown(fn, qfx_setup, qfx_teardown, \
						 (void *)"sqlite")
#define QFX_BOTH(fn) QFX_MEM(fn), QFX_SQLITE(fn)

#endif
