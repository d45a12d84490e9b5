/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/*
 * Resubmission: an approved request runs once, only for its requester,
 * only for the exact request it was approved for, only under the rules it
 * was approved under, and never after it expired or was rejected.
 */

#define P "pay"
#define RULES                                                              \
	"{\"rules\":[{\"ops\":[\"key_destroy\",\"key_policy\",\"key_"      \
	"export\"],\"principals\":[\"c1\",\"c2\",\"c3\"],\"m\":2,\"ttl\":" \
	"600}]}"
#define PARAMS "{\"waiting_period\":86400}"

typedef struct ctx {
	kw_caller so, c1, c2, c3;
	kw_quorum_request req;
	kw_approval *a; /* approved */
} ctx;

/* A key_destroy by so, approved by c1 and c2. */
static void approved(qfx *f, ctx *x)
{
	x->so = qfx_caller(P, "so", KW_ROLE_CRYPTO_OFFICER);
	x->c1 = qfx_caller(P, "c1", KW_ROLE_CUSTODIAN);
	x->c2 = qfx_caller(P, "c2", KW_ROLE_CUSTODIAN);
	x->c3 = qfx_caller(P, "c3", KW_ROLE_CUSTODIAN);
	qfx_rules(f, P, RULES);
	x->req = qfx_req(KW_QOP_KEY_DESTROY, &x->so, P, "k1", PARAMS);
	x->a = qfx_park(f, &x->req);
	assert_int_equal(qfx_approve(f, &x->c1, x->a->id), KW_OK);
	assert_int_equal(qfx_approve(f, &x->c2, x->a->id), KW_OK);
}

static kw_rc consume(qfx *f, const kw_quorum_request *r, const char *id,
		     char *why)
{
	kw_approval *a = NULL;
	kw_rc rc = kw_quorum_request_consume(f->q, r, id, &a, why);
	assert_true((a != NULL) == (rc == KW_OK || rc == KW_E_QUORUM_PENDING));
	if (a != NULL && rc == KW_OK)
		assert_int_equal(a->state, KW_APPROVAL_EXECUTED);
	kw_approval_free(a);
	return rc;
}

static void test_runs_once(void **state)
{
	qfx *f = *state;
	ctx x;
	char why[KW_QUORUM_REASON_MAX + 1];
	approved(f, &x);
	assert_int_equal(consume(f, &x.req, x.a->id, why), KW_OK);
	assert_int_equal(consume(f, &x.req, x.a->id, why), KW_E_STATE);
	assert_non_null(strstr(why, "is executed"));
	kw_approval *a = qfx_get(f, &x.c3, x.a->id);
	assert_int_equal(a->state, KW_APPROVAL_EXECUTED);
	assert_int_equal(a->decided_at, QFX_T0);
	kw_approval_free(a);
	kw_approval_free(x.a);
}

static void test_only_the_exact_request(void **state)
{
	qfx *f = *state;
	ctx x;
	char why[KW_QUORUM_REASON_MAX + 1];
	approved(f, &x);
	kw_quorum_request r = x.req;
	/* a changed parameter */
	r.params = "{\"waiting_period\":0}";
	assert_int_equal(consume(f, &r, x.a->id, why), KW_E_DENIED);
	assert_non_null(strstr(why, "different request"));
	/* an added parameter */
	r.params = "{\"waiting_period\":86400,\"x\":null}";
	assert_int_equal(consume(f, &r, x.a->id, why), KW_E_DENIED);
	/* another key (same name, other id: recreated), another name */
	r = x.req;
	r.key_id = "k-ffffffffffffffffffffffffffffffff";
	assert_int_equal(consume(f, &r, x.a->id, why), KW_E_DENIED);
	r = x.req;
	r.key_name = "k2";
	r.key_id = "k-00000000000000000000000000000002";
	assert_int_equal(consume(f, &r, x.a->id, why), KW_E_DENIED);
	/* another op on the same key and parameters */
	r = x.req;
	r.op = KW_QOP_KEY_EXPORT;
	assert_int_equal(consume(f, &r, x.a->id, why), KW_E_DENIED);
	/* another principal: even one who approved it */
	r = x.req;
	r.caller = &x.c1;
	assert_int_equal(consume(f, &r, x.a->id, why), KW_E_DENIED);
	assert_string_equal(why, "only the requester may use an approval");
	/* none of that used it up: the exact request runs, reformatted */
	r = x.req;
	r.params = "{ \"waiting_period\" : 86400 }";
	assert_int_equal(consume(f, &r, x.a->id, why), KW_OK);
	kw_approval_free(x.a);
	assert_int_equal(consume(f, &r, "a-00", why), KW_E_NOT_FOUND);
}

static void test_pending_rejected_expired(void **state)
{
	qfx *f = *state;
	ctx x;
	char why[KW_QUORUM_REASON_MAX + 1];
	kw_approval *a = NULL;
	approved(f, &x);
	/* pending: gives the approval back as it is */
	kw_approval *p = qfx_park(f, &x.req);
	assert_int_equal(qfx_approve(f, &x.c3, p->id), KW_OK);
	assert_int_equal(
		kw_quorum_request_consume(f->q, &x.req, p->id, &a, why),
		KW_E_QUORUM_PENDING);
	assert_int_equal(a->state, KW_APPROVAL_PENDING);
	assert_int_equal(a->n_votes, 1);
	kw_approval_free(a);
	/* rejected after approval */
	assert_int_equal(qfx_approve(f, &x.c1, p->id), KW_OK);
	assert_int_equal(
		kw_quorum_request_reject(f->q, &x.c2, p->id, "no", &a, why),
		KW_OK);
	kw_approval_free(a);
	assert_int_equal(consume(f, &x.req, p->id, why), KW_E_STATE);
	assert_non_null(strstr(why, "is rejected"));
	kw_approval_free(p);
	/* approved, then expired before its use */
	*f->now += 600;
	assert_int_equal(consume(f, &x.req, x.a->id, why), KW_E_STATE);
	assert_non_null(strstr(why, "is expired"));
	kw_approval_free(x.a);
}

/* A change of the rules after the approval voids it: a quorum cannot be
 * raised under an approval given for the lower one. */
static void test_rules_changed(void **state)
{
	qfx *f = *state;
	ctx x;
	char why[KW_QUORUM_REASON_MAX + 1];
	approved(f, &x);
	qfx_rules(f, P,
		  "{\"rules\":[{\"ops\":[\"key_destroy\"],\"principals\":["
		  "\"c1\",\"c2\",\"c3\"],\"m\":3}]}");
	assert_int_equal(consume(f, &x.req, x.a->id, why), KW_E_STATE);
	assert_non_null(strstr(why, "rules changed"));
	/* a TTL change alone does not matter */
	qfx_rules(f, P,
		  "{\"rules\":[{\"ops\":[\"key_destroy\",\"key_policy\",\"key_"
		  "export\"],\"principals\":[\"c1\",\"c2\",\"c3\"],\"m\":2,"
		  "\"ttl\":60}]}");
	assert_int_equal(consume(f, &x.req, x.a->id, why), KW_OK);
	kw_approval_free(x.a);
	/* nor can rules removed since let an approval run */
	approved(f, &x);
	qfx_rules(f, P, "{\"rules\":[]}");
	assert_int_equal(consume(f, &x.req, x.a->id, why), KW_E_STATE);
	kw_approval_free(x.a);
}

/* Per-signature quorum and what a key policy says. */
static void test_key_policy(void **state)
{
	qfx *f = *state;
	kw_caller user = qfx_caller(P, "u", KW_ROLE_CRYPTO_USER);
	kw_caller c1 = qfx_caller(P, "c1", KW_ROLE_CUSTODIAN);
	kw_approval *a = NULL;
	char why[KW_QUORUM_REASON_MAX + 1];
	kw_quorum_request r = qfx_req(KW_QOP_KEY_SIGN, &user, P, "ca",
				      "{\"items\":[{\"sha256\":\"00\"}]}");
	/* no policy, a policy without quorum, one with other rules */
	assert_int_equal(kw_quorum_request_open(f->q, &r, &a, NULL), KW_OK);
	r.key_policy = "{\"allow\":[{\"roles\":[\"crypto-user\"],\"ops\":["
		       "\"sign\"]}]}";
	assert_int_equal(kw_quorum_request_open(f->q, &r, &a, NULL), KW_OK);
	r.key_policy = "{\"quorum\":{\"rules\":[{\"ops\":[\"key_destroy\"],"
		       "\"principals\":[\"c1\"],\"m\":1}]}}";
	assert_int_equal(kw_quorum_request_open(f->q, &r, &a, NULL), KW_OK);
	/* every signature; the member name may be escaped */
	r.key_policy = "{\"\\u0071uorum\":{\"rules\":[{\"ops\":[\"key_sign\"],"
		       "\"principals\":[\"c1\"],\"m\":1}]}}";
	kw_approval *p = qfx_park(f, &r);
	assert_int_equal(p->factors[0].level, KW_QUORUM_KEY);
	assert_int_equal(qfx_approve(f, &c1, p->id), KW_OK);
	assert_int_equal(consume(f, &r, p->id, why), KW_OK);
	kw_approval_free(p);
	/* a key policy that does not parse denies all but its replacement */
	r.key_policy = "{\"quorum\":";
	assert_int_equal(kw_quorum_request_open(f->q, &r, &a, why),
			 KW_E_DENIED);
	assert_string_equal(why, "key policy invalid");
	r.op = KW_QOP_KEY_POLICY;
	assert_int_equal(kw_quorum_request_open(f->q, &r, &a, why), KW_OK);
}

typedef struct racer {
	qfx *f;
	const kw_quorum_request *req;
	const char *id;
	pthread_barrier_t *go;
	kw_rc rc;
} racer;

static void *race(void *arg)
{
	racer *r = arg;
	kw_approval *a = NULL;
	pthread_barrier_wait(r->go);
	r->rc = kw_quorum_request_consume(r->f->q, r->req, r->id, &a, NULL);
	kw_approval_free(a);
	return NULL;
}

/* Concurrent resubmissions: exactly one runs. */
static void test_concurrent_consume(void **state)
{
	enum { N = 8 };
	qfx *f = *state;
	ctx x;
	pthread_t th[N];
	racer rs[N];
	pthread_barrier_t go;
	approved(f, &x);
	pthread_barrier_init(&go, NULL, N);
	for (int i = 0; i < N; i++) {
		rs[i] = (racer){f, &x.req, x.a->id, &go, KW_E_INTERNAL};
		assert_int_equal(pthread_create(&th[i], NULL, race, &rs[i]), 0);
	}
	int ok = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (rs[i].rc == KW_OK)
			ok++;
		else
			assert_true(rs[i].rc == KW_E_STATE ||
				    rs[i].rc == KW_E_CONFLICT ||
				    rs[i].rc == KW_E_STORAGE);
	}
	assert_int_equal(ok, 1);
	pthread_barrier_destroy(&go);
	kw_approval_free(x.a);
}

/* A store failure while consuming changes nothing: the approval is still
 * there to use. */
static void test_store_failure(void **state)
{
	qfx *f = *state;
	ctx x;
	char why[KW_QUORUM_REASON_MAX + 1];
	approved(f, &x);
	kw_store_fault_fail(f->fault, KW_FAULT_TXN_COMMIT, 1, 1, KW_E_STORAGE);
	assert_int_equal(consume(f, &x.req, x.a->id, why), KW_E_STORAGE);
	kw_store_fault_fail(f->fault, KW_FAULT_REC_PUT, 1, 1, KW_E_STORAGE);
	assert_int_equal(consume(f, &x.req, x.a->id, why), KW_E_STORAGE);
	kw_store_fault_clear(f->fault);
	kw_approval *a = qfx_get(f, &x.so, x.a->id);
	assert_int_equal(a->state, KW_APPROVAL_APPROVED);
	kw_approval_free(a);
	assert_int_equal(consume(f, &x.req, x.a->id, why), KW_OK);
	/* and a vote that cannot be stored is not counted */
	kw_approval *p = qfx_park(f, &x.req);
	kw_store_fault_disk_full(f->fault, true);
	assert_int_equal(qfx_approve(f, &x.c1, p->id), KW_E_STORAGE);
	kw_store_fault_disk_full(f->fault, false);
	a = qfx_get(f, &x.so, p->id);
	assert_int_equal(a->n_votes, 0);
	kw_approval_free(a);
	kw_approval_free(p);
	kw_approval_free(x.a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		QFX_BOTH(test_runs_once),
		QFX_BOTH(test_only_the_exact_request),
		QFX_BOTH(test_pending_rejected_expired),
		QFX_MEM(test_rules_changed),
		QFX_MEM(test_key_policy),
		QFX_BOTH(test_concurrent_consume),
		QFX_BOTH(test_store_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
