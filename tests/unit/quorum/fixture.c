/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static int64_t qfx_clock(void *arg)
{
	return *((qfx *)arg)->now;
}

int qfx_setup(void **state)
{
	qfx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	void *base = *state;
	assert_int_equal(afx_setup(&base), 0);
	f->base = base;
	f->fault = f->base->fault;
	f->store = f->base->store;
	f->b = f->base->b;
	f->now = &f->base->now;
	kw_quorum_config qc = {.now = qfx_clock, .now_arg = f};
	assert_int_equal(kw_quorum_open(f->b, f->store, &qc, &f->q), KW_OK);
	*state = f;
	return 0;
}

int qfx_teardown(void **state)
{
	qfx *f = *state;
	void *base = f->base;
	kw_quorum_free(f->q);
	free(f);
	return afx_teardown(&base);
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
