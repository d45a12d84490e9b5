/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/*
 * Parking, approving, rejecting, reading and expiring approvals: the rules
 * of docs/quorum.md as the quorum module enforces them (the service and
 * the daemon add the role matrix and the audit trail on top).
 */

#define P "pay"
/* key_destroy and key_export need 2 of c1, c2, c3 in partition "pay". */
#define RULES_2_OF_3                                                       \
	"{\"rules\":[{\"ops\":[\"key_destroy\",\"key_export\"],\"group\":" \
	"\"custodians\",\"principals\":[\"c1\",\"c2\",\"c3\"],\"m\":2,"    \
	"\"ttl\":600}]}"

typedef struct people {
	kw_caller so, c1, c2, c3, out, other;
} people;

static people cast(void)
{
	people p = {
		.so = qfx_caller(P, "so",
				 KW_ROLE_SECURITY_OFFICER |
					 KW_ROLE_CRYPTO_OFFICER),
		.c1 = qfx_caller(P, "c1", KW_ROLE_CUSTODIAN),
		.c2 = qfx_caller(P, "c2", KW_ROLE_CUSTODIAN),
		.c3 = qfx_caller(P, "c3", KW_ROLE_CUSTODIAN),
		/* a custodian, but not named by the rule */
		.out = qfx_caller(P, "c4", KW_ROLE_CUSTODIAN),
		/* c1 of another partition: not the same principal */
		.other = qfx_caller("other", "c1", KW_ROLE_CUSTODIAN),
	};
	return p;
}

static void test_nothing_guards(void **state)
{
	qfx *f = *state;
	people p = cast();
	kw_quorum_request r = qfx_req(KW_QOP_KEY_DESTROY, &p.so, P, "k1",
				      "{\"waiting_period\":0}");
	kw_approval *a = NULL;
	assert_int_equal(kw_quorum_request_open(f->q, &r, &a, NULL), KW_OK);
	assert_null(a);
	/* rules for other ops do not guard it either */
	qfx_rules(f, NULL,
		  "{\"rules\":[{\"ops\":[\"role_grant\"],\"roles\":["
		  "\"custodian\"],\"m\":1}]}");
	assert_int_equal(kw_quorum_request_open(f->q, &r, &a, NULL), KW_OK);
	assert_null(a);
	kw_approval **list = NULL;
	size_t n = 9;
	char *next = NULL;
	assert_int_equal(kw_quorum_request_list(f->q, &p.so, P, 0, NULL, 10,
						&list, &n, &next),
			 KW_OK);
	assert_int_equal(n, 0);
	kw_approval_list_free(list, n, next);
}

static void test_parked_request(void **state)
{
	qfx *f = *state;
	people p = cast();
	qfx_rules(f, NULL, RULES_2_OF_3);
	kw_quorum_request r = qfx_req(KW_QOP_KEY_DESTROY, &p.so, P, "k1",
				      "{\"waiting_period\":0}");
	kw_approval *a = qfx_park(f, &r);
	assert_int_equal(strlen(a->id), KW_APPROVAL_ID_LEN);
	assert_memory_equal(a->id, "a-", 2);
	assert_int_equal(a->op, KW_QOP_KEY_DESTROY);
	assert_string_equal(a->partition, P);
	assert_string_equal(a->key, "k1");
	assert_string_equal(a->key_id, r.key_id);
	assert_string_equal(a->requester.name, "so");
	assert_false(a->requester.system);
	assert_string_equal(a->params, "{\"waiting_period\":0}");
	assert_int_equal(a->created, QFX_T0);
	assert_int_equal(a->expires_at, QFX_T0 + 600);
	assert_int_equal(a->n_factors, 1);
	assert_int_equal(a->factors[0].level, KW_QUORUM_GLOBAL);
	assert_string_equal(a->factors[0].group, "custodians");
	assert_int_equal(a->factors[0].m, 2);
	assert_int_equal(a->factors[0].n_members, 3);
	assert_int_equal(a->factors[0].have, 0);
	assert_int_equal(a->n_votes, 0);
	/* the same request parks with the same digest, another id */
	kw_approval *b = qfx_park(f, &r);
	assert_string_not_equal(a->id, b->id);
	assert_memory_equal(a->digest, b->digest, KW_QUORUM_DIGEST_LEN);
	/* parameters are canonicalised: member order and spacing do not
	 * matter, values do */
	kw_quorum_request r2 =
		qfx_req(KW_QOP_KEY_DESTROY, &p.so, P, "k1",
			"{ \"b\": [1, true], \"waiting_period\" : 0 }");
	kw_approval *c = qfx_park(f, &r2);
	assert_string_equal(c->params, "{\"b\":[1,true],\"waiting_period\":0}");
	assert_memory_not_equal(a->digest, c->digest, KW_QUORUM_DIGEST_LEN);
	kw_approval_free(a);
	kw_approval_free(b);
	kw_approval_free(c);
	/* what cannot be canonicalised is refused */
	kw_quorum_request bad =
		qfx_req(KW_QOP_KEY_DESTROY, &p.so, P, "k1", "{\"w\":1.5}");
	assert_int_equal(kw_quorum_request_open(f->q, &bad, &a, NULL),
			 KW_E_INVALID);
	bad.params = "[1]";
	assert_int_equal(kw_quorum_request_open(f->q, &bad, &a, NULL),
			 KW_E_INVALID);
}

static void test_votes(void **state)
{
	qfx *f = *state;
	people p = cast();
	char why[KW_QUORUM_REASON_MAX + 1];
	kw_approval *a = NULL;
	qfx_rules(f, NULL, RULES_2_OF_3);
	kw_quorum_request r = qfx_req(KW_QOP_KEY_EXPORT, &p.c1, P, "k1", NULL);
	kw_approval *req = qfx_park(f, &r);

	/* self-approval refused, also for a requester in the group */
	assert_int_equal(
		kw_quorum_request_approve(f->q, &p.c1, req->id, &a, why),
		KW_E_DENIED);
	assert_string_equal(why,
			    "the requester cannot approve their own request");
	/* outside the group: refused and not counted */
	assert_int_equal(
		kw_quorum_request_approve(f->q, &p.out, req->id, &a, why),
		KW_E_DENIED);
	assert_string_equal(why, "not in the approver group of this request");
	/* the same name in another partition does not see it at all */
	assert_int_equal(qfx_approve(f, &p.other, req->id), KW_E_NOT_FOUND);
	/* one principal counts once */
	assert_int_equal(qfx_approve(f, &p.c2, req->id), KW_OK);
	assert_int_equal(
		kw_quorum_request_approve(f->q, &p.c2, req->id, &a, why),
		KW_E_EXISTS);
	a = qfx_get(f, &p.c1, req->id);
	assert_int_equal(a->state, KW_APPROVAL_PENDING);
	assert_int_equal(a->n_votes, 1);
	assert_int_equal(a->factors[0].have, 1);
	assert_string_equal(a->votes[0].who.name, "c2");
	kw_approval_free(a);
	/* the second distinct member approves it */
	assert_int_equal(
		kw_quorum_request_approve(f->q, &p.c3, req->id, &a, why),
		KW_OK);
	assert_int_equal(a->state, KW_APPROVAL_APPROVED);
	assert_int_equal(a->factors[0].have, 2);
	kw_approval_free(a);
	/* approved: no further votes */
	assert_int_equal(qfx_approve(f, &p.so, req->id), KW_E_STATE);
	kw_approval_free(req);
	assert_int_equal(qfx_approve(f, &p.c2, "a-nonexistent"),
			 KW_E_NOT_FOUND);
	assert_int_equal(qfx_approve(f, &p.c2, "bad id"), KW_E_INVALID);
}

/* Role holders count where the rule names a role; system principals are
 * "*\/name" in rules and never the same as a partition's principal. */
static void test_roles_and_system(void **state)
{
	qfx *f = *state;
	kw_caller root = qfx_caller("", "root", KW_ROLE_ALL_);
	kw_caller sys_c1 = qfx_caller("", "c1", 0);
	kw_caller cust = qfx_caller(P, "anyone", KW_ROLE_CUSTODIAN);
	kw_caller user = qfx_caller(P, "u", KW_ROLE_CRYPTO_USER);
	kw_caller c1 = qfx_caller(P, "c1", 0);
	qfx_rules(f, P,
		  "{\"rules\":[{\"ops\":[\"partition_delete\"],\"roles\":["
		  "\"custodian\"],\"principals\":[\"*/c1\"],\"m\":2}]}");
	kw_quorum_request r =
		qfx_req(KW_QOP_PARTITION_DELETE, &root, P, NULL, NULL);
	kw_approval *req = qfx_park(f, &r);
	assert_string_equal(req->factors[0].group, "approvers");
	assert_int_equal(req->factors[0].level, KW_QUORUM_PARTITION);
	assert_string_equal(req->key, "");
	assert_string_equal(req->key_id, "");
	assert_true(req->requester.system);
	/* c1 of the partition is not the system principal c1 */
	assert_int_equal(qfx_approve(f, &c1, req->id), KW_E_DENIED);
	/* a crypto-user of the partition may not even see it */
	kw_approval *a = NULL;
	assert_int_equal(kw_quorum_request_get(f->q, &user, req->id, &a),
			 KW_E_NOT_FOUND);
	assert_int_equal(qfx_approve(f, &cust, req->id), KW_OK);
	assert_int_equal(qfx_approve(f, &sys_c1, req->id), KW_OK);
	a = qfx_get(f, &root, req->id);
	assert_int_equal(a->state, KW_APPROVAL_APPROVED);
	assert_true(a->votes[1].who.system);
	assert_int_equal(a->votes[0].roles, KW_ROLE_CUSTODIAN);
	kw_approval_free(a);
	kw_approval_free(req);
}

/* Every level with a rule adds a factor; all must be met. */
static void test_factors_combine(void **state)
{
	qfx *f = *state;
	people p = cast();
	kw_caller sys = qfx_caller("", "g1", 0);
	qfx_rules(f, NULL,
		  "{\"rules\":[{\"ops\":[\"key_destroy\"],\"principals\":["
		  "\"*/g1\"],\"m\":1}]}");
	qfx_rules(f, P,
		  "{\"ttl\":300,\"rules\":[{\"ops\":[\"key_destroy\"],"
		  "\"principals\":[\"c2\"],\"m\":1}]}");
	kw_quorum_request r = qfx_req(KW_QOP_KEY_DESTROY, &p.so, P, "k1", NULL);
	r.key_policy = "{\"quorum\":{\"rules\":[{\"ops\":[\"key_destroy\"],"
		       "\"principals\":[\"c1\",\"c3\"],\"m\":1,\"ttl\":900}]}}";
	kw_approval *req = qfx_park(f, &r);
	assert_int_equal(req->n_factors, 3);
	assert_int_equal(req->factors[0].level, KW_QUORUM_KEY);
	assert_int_equal(req->factors[1].level, KW_QUORUM_PARTITION);
	assert_int_equal(req->factors[2].level, KW_QUORUM_GLOBAL);
	/* the shortest TTL: the partition's document ttl */
	assert_int_equal(req->expires_at, QFX_T0 + 300);
	assert_int_equal(qfx_approve(f, &p.c1, req->id), KW_OK);
	/* c3 is in the key's group, whose M is reached: no use */
	assert_int_equal(qfx_approve(f, &p.c3, req->id), KW_E_DENIED);
	assert_int_equal(qfx_approve(f, &p.c2, req->id), KW_OK);
	kw_approval *a = qfx_get(f, &p.so, req->id);
	assert_int_equal(a->state, KW_APPROVAL_PENDING);
	kw_approval_free(a);
	assert_int_equal(qfx_approve(f, &sys, req->id), KW_OK);
	a = qfx_get(f, &p.so, req->id);
	assert_int_equal(a->state, KW_APPROVAL_APPROVED);
	kw_approval_free(a);
	kw_approval_free(req);
}

static void test_reject(void **state)
{
	qfx *f = *state;
	people p = cast();
	char why[KW_QUORUM_REASON_MAX + 1];
	kw_approval *a = NULL;
	qfx_rules(f, NULL, RULES_2_OF_3);
	kw_quorum_request r = qfx_req(KW_QOP_KEY_DESTROY, &p.so, P, "k1", NULL);
	kw_approval *req = qfx_park(f, &r);
	assert_int_equal(qfx_approve(f, &p.c1, req->id), KW_OK);
	/* outsiders cannot reject */
	assert_int_equal(
		kw_quorum_request_reject(f->q, &p.out, req->id, "no", &a, why),
		KW_E_DENIED);
	assert_int_equal(kw_quorum_request_reject(f->q, &p.c2, req->id,
						  "bad\ntext", &a, why),
			 KW_E_INVALID);
	/* one rejection by a member ends it */
	assert_int_equal(kw_quorum_request_reject(f->q, &p.c2, req->id,
						  "not today", &a, why),
			 KW_OK);
	assert_int_equal(a->state, KW_APPROVAL_REJECTED);
	assert_string_equal(a->decided_by.name, "c2");
	assert_string_equal(a->reason, "not today");
	assert_int_equal(a->decided_at, QFX_T0);
	kw_approval_free(a);
	assert_int_equal(
		kw_quorum_request_approve(f->q, &p.c3, req->id, &a, why),
		KW_E_STATE);
	assert_string_equal(why + strlen(why) - strlen("is rejected"),
			    "is rejected");
	assert_int_equal(
		kw_quorum_request_reject(f->q, &p.c3, req->id, NULL, &a, why),
		KW_E_STATE);
	kw_approval_free(req);

	/* the requester may withdraw their own, also once approved */
	req = qfx_park(f, &r);
	assert_int_equal(qfx_approve(f, &p.c1, req->id), KW_OK);
	assert_int_equal(qfx_approve(f, &p.c2, req->id), KW_OK);
	assert_int_equal(
		kw_quorum_request_reject(f->q, &p.so, req->id, NULL, &a, why),
		KW_OK);
	assert_int_equal(a->state, KW_APPROVAL_REJECTED);
	assert_string_equal(a->decided_by.name, "so");
	kw_approval_free(a);
	kw_approval_free(req);
}

static int expired_seen;
static void on_expired(const kw_approval *a, void *arg)
{
	assert_int_equal(a->state, KW_APPROVAL_EXPIRED);
	assert_string_equal(a->id, (const char *)arg);
	expired_seen++;
}

static void test_expiry(void **state)
{
	qfx *f = *state;
	people p = cast();
	char why[KW_QUORUM_REASON_MAX + 1];
	kw_approval *a = NULL;
	size_t n = 9;
	qfx_rules(f, NULL, RULES_2_OF_3);
	kw_quorum_request r = qfx_req(KW_QOP_KEY_DESTROY, &p.so, P, "k1", NULL);
	kw_approval *req = qfx_park(f, &r);
	assert_int_equal(qfx_approve(f, &p.c1, req->id), KW_OK);
	*f->now += 599;
	assert_int_equal(kw_quorum_expire_due(f->q, 3600, NULL, NULL, &n),
			 KW_OK);
	assert_int_equal(n, 0);
	*f->now += 1;
	/* reads as expired at once; a late vote does not count */
	a = qfx_get(f, &p.c2, req->id);
	assert_int_equal(a->state, KW_APPROVAL_EXPIRED);
	kw_approval_free(a);
	assert_int_equal(
		kw_quorum_request_approve(f->q, &p.c2, req->id, &a, why),
		KW_E_STATE);
	assert_non_null(strstr(why, "is expired"));
	/* the sweep records it, once */
	expired_seen = 0;
	assert_int_equal(
		kw_quorum_expire_due(f->q, 3600, on_expired, req->id, &n),
		KW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(expired_seen, 1);
	assert_int_equal(
		kw_quorum_expire_due(f->q, 3600, on_expired, req->id, &n),
		KW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(expired_seen, 1);
	/* the clock going back does not revive it: it is stored expired */
	*f->now = QFX_T0;
	a = qfx_get(f, &p.c2, req->id);
	assert_int_equal(a->state, KW_APPROVAL_EXPIRED);
	kw_approval_free(a);
	/* finished records go after the retention period */
	*f->now = QFX_T0 + 600 + 3601;
	assert_int_equal(kw_quorum_expire_due(f->q, 3600, NULL, NULL, &n),
			 KW_OK);
	assert_int_equal(kw_quorum_request_get(f->q, &p.c2, req->id, &a),
			 KW_E_NOT_FOUND);
	kw_approval_free(req);
}

static void test_list(void **state)
{
	qfx *f = *state;
	people p = cast();
	kw_caller root = qfx_caller("", "root", KW_ROLE_ALL_);
	kw_caller user = qfx_caller(P, "u", KW_ROLE_CRYPTO_USER);
	kw_approval **list = NULL, *a = NULL;
	size_t n = 0;
	char *next = NULL;
	qfx_rules(f, NULL, RULES_2_OF_3);
	kw_quorum_request r = qfx_req(KW_QOP_KEY_DESTROY, &p.so, P, "k1", NULL);
	for (int i = 0; i < 5; i++) {
		a = qfx_park(f, &r);
		if (i == 0)
			assert_int_equal(qfx_approve(f, &p.c1, a->id), KW_OK);
		kw_approval_free(a);
	}
	kw_caller so_other = qfx_caller("other", "so", KW_ROLE_ALL_);
	r = qfx_req(KW_QOP_KEY_DESTROY, &so_other, "other", "k1", NULL);
	kw_approval_free(qfx_park(f, &r));

	/* pages of 2 of the 5 of partition pay, in id order */
	size_t total = 0;
	char last[KW_APPROVAL_ID_LEN + 1] = "";
	do {
		char *cur = next;
		assert_int_equal(kw_quorum_request_list(f->q, &p.c2, P, 0, cur,
							2, &list, &n, &next),
				 KW_OK);
		free(cur);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(list[i]->partition, P);
			assert_true(strcmp(list[i]->id, last) > 0);
			memcpy(last, list[i]->id, sizeof(last));
		}
		total += n;
		kw_approval_list_free(list, n, NULL);
	} while (next != NULL);
	assert_int_equal(total, 5);
	/* a crypto-user outside the group sees none; root sees them */
	assert_int_equal(kw_quorum_request_list(f->q, &user, P, 0, NULL, 100,
						&list, &n, &next),
			 KW_OK);
	assert_int_equal(n, 0);
	kw_approval_list_free(list, n, next);
	assert_int_equal(kw_quorum_request_list(f->q, &root, "other", 0, NULL,
						100, &list, &n, &next),
			 KW_OK);
	assert_int_equal(n, 1);
	kw_approval_list_free(list, n, next);
	/* by state */
	*f->now += 600;
	assert_int_equal(kw_quorum_request_list(f->q, &p.c2, P,
						KW_APPROVAL_EXPIRED, NULL, 100,
						&list, &n, &next),
			 KW_OK);
	assert_int_equal(n, 5);
	assert_int_equal(list[0]->state, KW_APPROVAL_EXPIRED);
	kw_approval_list_free(list, n, next);
	assert_int_equal(kw_quorum_request_list(f->q, &p.c2, P, 0, NULL, 0,
						&list, &n, &next),
			 KW_E_INVALID);
	assert_int_equal(kw_quorum_request_list(f->q, &p.c2, P, 0, "bad id", 10,
						&list, &n, &next),
			 KW_E_INVALID);
}

static void test_policy_documents(void **state)
{
	qfx *f = *state;
	char *text = NULL, err[160];
	assert_int_equal(kw_quorum_policy_get(f->q, NULL, &text),
			 KW_E_NOT_FOUND);
	assert_int_equal(
		kw_quorum_policy_put(f->q, NULL, NULL, err, sizeof(err)),
		KW_E_NOT_FOUND);
	qfx_rules(f, NULL, RULES_2_OF_3);
	qfx_rules(f, P, "{\"rules\":[]}");
	assert_int_equal(kw_quorum_policy_get(f->q, NULL, &text), KW_OK);
	assert_string_equal(text, RULES_2_OF_3);
	free(text);
	assert_int_equal(kw_quorum_policy_get(f->q, P, &text), KW_OK);
	assert_string_equal(text, "{\"rules\":[]}");
	free(text);
	/* partitions are checked at their level */
	assert_int_equal(
		kw_quorum_policy_put(f->q, P,
				     "{\"rules\":[{\"ops\":[\"backup_"
				     "restore\"],\"roles\":[\"custodian\"],"
				     "\"m\":1}]}",
				     err, sizeof(err)),
		KW_E_INVALID);
	assert_non_null(strstr(err, "cannot be guarded at the partition"));
	assert_int_equal(kw_quorum_policy_put(f->q, "a/b", "{\"rules\":[]}",
					      err, sizeof(err)),
			 KW_E_INVALID);
	assert_int_equal(kw_quorum_policy_get(f->q, "", &text), KW_E_INVALID);
	/* removal, and what a deleted partition leaves */
	assert_int_equal(kw_quorum_partition_forget(f->q, P), KW_OK);
	assert_int_equal(kw_quorum_policy_get(f->q, P, &text), KW_E_NOT_FOUND);
	assert_int_equal(kw_quorum_partition_forget(f->q, P), KW_OK);
	assert_int_equal(
		kw_quorum_policy_put(f->q, NULL, NULL, err, sizeof(err)),
		KW_OK);
	assert_int_equal(kw_quorum_policy_get(f->q, NULL, &text),
			 KW_E_NOT_FOUND);
}

/* Sealed: nothing is decided. */
static void test_sealed(void **state)
{
	qfx *f = *state;
	people p = cast();
	kw_approval *a = NULL;
	char *text = NULL;
	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	kw_quorum_request r = qfx_req(KW_QOP_KEY_DESTROY, &p.so, P, "k1", NULL);
	assert_int_equal(kw_quorum_request_open(f->q, &r, &a, NULL),
			 KW_E_SEALED);
	assert_int_equal(kw_quorum_policy_get(f->q, NULL, &text), KW_E_SEALED);
	assert_int_equal(qfx_approve(f, &p.c1, "a-0"), KW_E_SEALED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		QFX_BOTH(test_nothing_guards),	QFX_BOTH(test_parked_request),
		QFX_BOTH(test_votes),		QFX_MEM(test_roles_and_system),
		QFX_MEM(test_factors_combine),	QFX_BOTH(test_reject),
		QFX_BOTH(test_expiry),		QFX_BOTH(test_list),
		QFX_MEM(test_policy_documents), QFX_MEM(test_sealed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
