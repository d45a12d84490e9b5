/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static int64_t qfx_clock(void *arg)
{
	return ((qfx *)arg)->now;
}

int qfx_setup(void **state)
{
	qfx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->backend = *state;
	f->now = QFX_T0;
	assert_int_equal(
		kw_store_fault_new(kw_store_backend(f->backend), &f->fault),
		KW_OK);
	if (strcmp(f->backend, "sqlite") == 0) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/kwquorum-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->path, sizeof(f->path), "%s/q.db", f->dir);
	}
	kw_store_config cfg = {.backend = f->backend,
			       .path = f->dir[0] ? f->path : NULL};
	assert_int_equal(kw_store_fault_open(f->fault, &cfg, &f->store), KW_OK);
	assert_int_equal(kw_barrier_open(f->store, &f->b), KW_OK);
	assert_int_equal(kw_barrier_init(f->b, 1, 1, &f->shares), KW_OK);
	kw_quorum_config qc = {.now = qfx_clock, .now_arg = f};
	assert_int_equal(kw_quorum_open(f->b, f->store, &qc, &f->q), KW_OK);
	*state = f;
	return 0;
}

static void unlink_suffix(const qfx *f, const char *suffix)
{
	char p[160];
	snprintf(p, sizeof(p), "%s%s", f->path, suffix);
	unlink(p);
}

int qfx_teardown(void **state)
{
	qfx *f = *state;
	kw_quorum_free(f->q);
	kw_barrier_free(f->b);
	kw_store_close(f->store);
	kw_barrier_shares_free(f->shares, 1);
	kw_store_fault_free(f->fault);
	if (f->dir[0] != '\0') {
		unlink_suffix(f, "");
		unlink_suffix(f, "-wal");
		unlink_suffix(f, "-shm");
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

kw_caller qfx_caller(const char *partition, const char *name, uint32_t roles)
{
	kw_caller c;
	memset(&c, 0, sizeof(c));
	snprintf(c.principal, sizeof(c.principal), "%s", name);
	snprintf(c.partition, sizeof(c.partition), "%s", partition);
	c.system = partition[0] == '\0';
	c.roles = roles;
	c.kind = KW_PRINCIPAL_APP;
	return c;
}

void qfx_rules(qfx *f, const char *partition, const char *json)
{
	char err[160];
	kw_rc rc =
		kw_quorum_policy_put(f->q, partition, json, err, sizeof(err));
	if (rc != KW_OK)
		fail_msg("rules refused: %s (%s)", kw_rc_str(rc), err);
}

kw_quorum_request qfx_req(kw_qop op, const kw_caller *caller,
			  const char *partition, const char *key,
			  const char *params)
{
	kw_quorum_request r = {
		.op = op,
		.partition = partition,
		.key_name = key,
		.key_id = key != NULL ? "k-0123456789abcdef0123456789abcdef"
				      : NULL,
		.params = params,
		.caller = caller,
	};
	return r;
}

kw_approval *qfx_park(qfx *f, const kw_quorum_request *req)
{
	kw_approval *a = NULL;
	assert_int_equal(kw_quorum_request_open(f->q, req, &a, NULL),
			 KW_E_QUORUM_PENDING);
	assert_non_null(a);
	assert_int_equal(a->state, KW_APPROVAL_PENDING);
	return a;
}

kw_rc qfx_approve(qfx *f, const kw_caller *c, const char *id)
{
	kw_approval *a = NULL;
	kw_rc rc = kw_quorum_request_approve(f->q, c, id, &a, NULL);
	assert_true((rc == KW_OK) == (a != NULL));
	kw_approval_free(a);
	return rc;
}

kw_approval *qfx_get(qfx *f, const kw_caller *c, const char *id)
{
	kw_approval *a = NULL;
	assert_int_equal(kw_quorum_request_get(f->q, c, id, &a), KW_OK);
	return a;
}
