/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keywarden/auth.h"

/*
 * kw_authz_check against the matrix of docs/roles.md, written out here a
 * second time on purpose: a change to one without the other fails.
 */

#define SO   KW_ROLE_SECURITY_OFFICER
#define CO   KW_ROLE_CRYPTO_OFFICER
#define CU   KW_ROLE_CRYPTO_USER
#define AUD  KW_ROLE_AUDITOR
#define CUST KW_ROLE_CUSTODIAN

typedef struct expect {
	kw_op op;
	const char *name;
	uint32_t roles;
	bool system_only;
} expect;

static const expect matrix[] = {
	{KW_OP_SYS_SEAL, "sys_seal", SO, true},
	{KW_OP_SYS_STATUS_DETAIL, "sys_status_detail", SO, false},
	{KW_OP_PARTITION_CREATE, "partition_create", SO, true},
	{KW_OP_PARTITION_READ, "partition_read", SO | CO | CU, false},
	{KW_OP_PARTITION_DELETE, "partition_delete", SO, true},
	{KW_OP_PRINCIPAL_MANAGE, "principal_manage", SO, false},
	{KW_OP_PRINCIPAL_READ, "principal_read", SO, false},
	{KW_OP_ROLE_GRANT, "role_grant", SO, false},
	{KW_OP_TOKEN_MANAGE, "token_manage", SO, false},
	{KW_OP_KEY_CREATE, "key_create", CO, false},
	{KW_OP_KEY_READ, "key_read", SO | CO | CU, false},
	{KW_OP_KEY_ROTATE, "key_rotate", CO, false},
	{KW_OP_KEY_STATE, "key_state", CO, false},
	{KW_OP_KEY_DESTROY, "key_destroy", CO, false},
	{KW_OP_KEY_UPDATE, "key_update", CO, false},
	{KW_OP_KEY_POLICY, "key_policy", SO, false},
	{KW_OP_KEY_EXPORT, "key_export", CO, false},
	{KW_OP_KEY_IMPORT, "key_import", CO, false},
	{KW_OP_KEY_SIGN, "key_sign", CU, false},
	{KW_OP_KEY_VERIFY, "key_verify", CU, false},
	{KW_OP_KEY_ENCRYPT, "key_encrypt", CU, false},
	{KW_OP_KEY_DECRYPT, "key_decrypt", CU, false},
	{KW_OP_KEY_MAC, "key_mac", CU, false},
	{KW_OP_KEY_WRAP, "key_wrap", CU, false},
	{KW_OP_KEY_UNWRAP, "key_unwrap", CU, false},
	{KW_OP_KEY_DATAKEY, "key_datakey", CU, false},
	{KW_OP_RANDOM, "random", CU, false},
	{KW_OP_AUDIT_READ, "audit_read", AUD, false},
	{KW_OP_APPROVAL_DECIDE, "approval_decide", CUST, false},
	{KW_OP_BACKUP_CREATE, "backup_create", SO, true},
	{KW_OP_BACKUP_RESTORE, "backup_restore", SO, true},
};

static kw_caller caller(const char *name, const char *partition, uint32_t roles)
{
	kw_caller c;
	memset(&c, 0, sizeof(c));
	snprintf(c.principal, sizeof(c.principal), "%s", name);
	snprintf(c.partition, sizeof(c.partition), "%s", partition);
	c.roles = roles;
	c.system = partition[0] == '\0';
	c.kind = KW_PRINCIPAL_APP;
	return c;
}

static void test_matrix_covers_every_op(void **state)
{
	(void)state;
	assert_int_equal(sizeof(matrix) / sizeof(matrix[0]), KW_OP_COUNT_ - 1);
	for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
		assert_int_equal(matrix[i].op, (kw_op)(i + 1));
		assert_string_equal(kw_op_name(matrix[i].op), matrix[i].name);
	}
	assert_string_equal(kw_op_name(KW_OP_COUNT_), "unknown");
	assert_string_equal(kw_op_name((kw_op)-1), "unknown");
}

static void test_role_names(void **state)
{
	(void)state;
	static const char *const names[] = {"security-officer",
					    "crypto-officer", "crypto-user",
					    "auditor", "custodian"};
	for (unsigned i = 0; i < 5; i++) {
		uint32_t bit = 0;
		assert_string_equal(kw_role_name(1u << i), names[i]);
		assert_int_equal(kw_role_parse(names[i], &bit), KW_OK);
		assert_int_equal(bit, 1u << i);
	}
	uint32_t bit = 77;
	assert_null(kw_role_name(0));
	assert_null(kw_role_name(SO | CO));
	assert_null(kw_role_name(1u << 5));
	assert_int_equal(kw_role_parse("admin", &bit), KW_E_INVALID);
	assert_int_equal(kw_role_parse("Auditor", &bit), KW_E_INVALID);
	assert_int_equal(kw_role_parse(NULL, &bit), KW_E_INVALID);
	assert_int_equal(kw_role_parse("auditor", NULL), KW_E_INVALID);
	assert_int_equal(bit, 77);
}

/* Every single role against every op, in its own partition. */
static void test_matrix_per_role(void **state)
{
	(void)state;
	char reason[64];
	for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
		const expect *e = &matrix[i];
		for (unsigned r = 0; r < 5; r++) {
			uint32_t role = 1u << r;
			kw_caller c = caller("alice", "p1", role);
			kw_rc want = (e->roles & role) && !e->system_only
					     ? KW_OK
					     : KW_E_DENIED;
			kw_rc got = kw_authz_check(&c, e->op, "p1", NULL,
						   reason, sizeof(reason));
			if (got != want)
				fail_msg("%s as %s: got %s, want %s", e->name,
					 kw_role_name(role), kw_rc_str(got),
					 kw_rc_str(want));
			if (got == KW_OK)
				assert_string_equal(reason, "");
			else
				assert_true(strlen(reason) > 0);

			/* The same role as a system principal. */
			kw_caller s = caller("root2", "", role);
			want = (e->roles & role) ? KW_OK : KW_E_DENIED;
			assert_int_equal(
				kw_authz_check(&s, e->op, "p1", NULL, NULL, 0),
				want);
		}
		/* No roles: nothing. */
		kw_caller none = caller("nobody", "p1", 0);
		assert_int_equal(
			kw_authz_check(&none, e->op, "p1", NULL, NULL, 0),
			KW_E_DENIED);
	}
}

static void test_partition_isolation(void **state)
{
	(void)state;
	char reason[64];
	kw_caller c = caller("alice", "A", KW_ROLE_ALL_);
	assert_int_equal(kw_authz_check(&c, KW_OP_KEY_SIGN, "A", NULL, reason,
					sizeof(reason)),
			 KW_OK);
	assert_int_equal(kw_authz_check(&c, KW_OP_KEY_SIGN, "B", NULL, reason,
					sizeof(reason)),
			 KW_E_DENIED);
	assert_string_equal(reason, "other partition");
	/* The system namespace is another partition too. */
	assert_int_equal(kw_authz_check(&c, KW_OP_PRINCIPAL_MANAGE, "", NULL,
					reason, sizeof(reason)),
			 KW_E_DENIED);
	assert_string_equal(reason, "other partition");
	/* A system principal acts anywhere. */
	kw_caller root = caller("root", "", KW_ROLE_ALL_);
	assert_int_equal(
		kw_authz_check(&root, KW_OP_KEY_SIGN, "B", NULL, NULL, 0),
		KW_OK);
	assert_int_equal(kw_authz_check(&root, KW_OP_PRINCIPAL_MANAGE, "", NULL,
					NULL, 0),
			 KW_OK);
	/* Instance-wide ops: system principals only. */
	assert_int_equal(kw_authz_check(&c, KW_OP_SYS_SEAL, "A", NULL, reason,
					sizeof(reason)),
			 KW_E_DENIED);
	assert_string_equal(reason, "system principals only");
	assert_int_equal(
		kw_authz_check(&root, KW_OP_SYS_SEAL, "", NULL, NULL, 0),
		KW_OK);
}

static void test_bad_input_denied(void **state)
{
	(void)state;
	char reason[64];
	char tiny[4];
	kw_caller c = caller("alice", "A", KW_ROLE_ALL_);
	assert_int_equal(kw_authz_check(NULL, KW_OP_KEY_SIGN, "A", NULL, reason,
					sizeof(reason)),
			 KW_E_DENIED);
	assert_int_equal(
		kw_authz_check(&c, KW_OP_KEY_SIGN, NULL, NULL, NULL, 0),
		KW_E_DENIED);
	assert_int_equal(kw_authz_check(&c, KW_OP_NONE, "A", NULL, reason,
					sizeof(reason)),
			 KW_E_DENIED);
	assert_string_equal(reason, "unknown operation");
	assert_int_equal(kw_authz_check(&c, KW_OP_COUNT_, "A", NULL, NULL, 0),
			 KW_E_DENIED);
	assert_int_equal(kw_authz_check(&c, (kw_op)-5, "A", NULL, NULL, 0),
			 KW_E_DENIED);
	/* A short reason buffer is truncated, not overrun. */
	assert_int_equal(kw_authz_check(&c, KW_OP_KEY_SIGN, "B", NULL, tiny,
					sizeof(tiny)),
			 KW_E_DENIED);
	assert_string_equal(tiny, "oth");
}

static const char policy_ci[] =
	"{\"version\":1,\"allow\":["
	"{\"principals\":[\"ci\",\"*/deployer\"],\"ops\":[\"sign\"]},"
	"{\"roles\":[\"crypto-user\"],\"ops\":[\"verify\"]}]}";

static void test_policy_narrows_use(void **state)
{
	(void)state;
	char reason[64];
	kw_caller ci = caller("ci", "A", CU);
	kw_caller bob = caller("bob", "A", CU);
	kw_caller dep = caller("deployer", "", CU);
	kw_caller dep_local = caller("deployer", "A", CU);

	assert_int_equal(kw_authz_check(&ci, KW_OP_KEY_SIGN, "A", policy_ci,
					reason, sizeof(reason)),
			 KW_OK);
	assert_int_equal(kw_authz_check(&bob, KW_OP_KEY_SIGN, "A", policy_ci,
					reason, sizeof(reason)),
			 KW_E_DENIED);
	assert_string_equal(reason, "key policy does not allow it");
	/* "*\/deployer" is the system principal, not A's "deployer". */
	assert_int_equal(
		kw_authz_check(&dep, KW_OP_KEY_SIGN, "A", policy_ci, NULL, 0),
		KW_OK);
	assert_int_equal(kw_authz_check(&dep_local, KW_OP_KEY_SIGN, "A",
					policy_ci, NULL, 0),
			 KW_E_DENIED);
	/* verify: by role. */
	assert_int_equal(
		kw_authz_check(&bob, KW_OP_KEY_VERIFY, "A", policy_ci, NULL, 0),
		KW_OK);
	/* Ops the policy does not name are denied to everyone. */
	assert_int_equal(
		kw_authz_check(&ci, KW_OP_KEY_ENCRYPT, "A", policy_ci, NULL, 0),
		KW_E_DENIED);
	/* A policy never widens the matrix: an auditor named in it still
	 * cannot sign. */
	kw_caller aud = caller("ci", "A", AUD);
	assert_int_equal(kw_authz_check(&aud, KW_OP_KEY_SIGN, "A", policy_ci,
					reason, sizeof(reason)),
			 KW_E_DENIED);
	assert_string_equal(reason, "role does not allow it");
	/* Management ops are not narrowed by a valid policy. */
	kw_caller co = caller("officer", "A", CO);
	assert_int_equal(
		kw_authz_check(&co, KW_OP_KEY_ROTATE, "A", policy_ci, NULL, 0),
		KW_OK);
	/* An empty allow list: nobody may use the key. */
	assert_int_equal(kw_authz_check(&ci, KW_OP_KEY_SIGN, "A",
					"{\"allow\":[]}", NULL, 0),
			 KW_E_DENIED);
}

static void test_policy_malformed_denies(void **state)
{
	(void)state;
	char reason[64];
	kw_caller ci = caller("ci", "A", KW_ROLE_ALL_);
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"{\"allow\":[{\"principals\":[\"ci\"],\"ops\":[\"sgn\"]}]}",
		("{\"allow\":[{\"principals\":[\"ci\"],\"ops\":[\"sign\"],"
		 "\"x\":1}]}"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kw_authz_check(&ci, KW_OP_KEY_SIGN, "A",
						bad[i], reason, sizeof(reason)),
				 KW_E_DENIED);
		assert_string_equal(reason, "key policy invalid");
		/* Every op on the key, not only use ops ... */
		assert_int_equal(kw_authz_check(&ci, KW_OP_KEY_ROTATE, "A",
						bad[i], NULL, 0),
				 KW_E_DENIED);
		/* ... except replacing the policy. */
		assert_int_equal(kw_authz_check(&ci, KW_OP_KEY_POLICY, "A",
						bad[i], NULL, 0),
				 KW_OK);
	}
}

typedef struct bad_policy {
	const char *json;
	const char *err; /* expected prefix of the message */
} bad_policy;

static void test_policy_validate(void **state)
{
	(void)state;
	char err[160];
	assert_int_equal(kw_key_policy_validate(policy_ci, err, sizeof(err)),
			 KW_OK);
	assert_string_equal(err, "");
	assert_int_equal(kw_key_policy_validate("{\"allow\":[]}", NULL, 0),
			 KW_OK);

	static const bad_policy bad[] = {
		{"", "not JSON"},
		{"nul", "not JSON"},
		{"{\"allow\":[]} x", "not JSON"},
		{"{\"allow\":[],\"allow\":[]}", "not JSON"},
		{"[1]", "not a JSON object"},
		{"{}", "\"allow\" is missing"},
		{"{\"allow\":{}}", "allow: not an array"},
		{"{\"allow\":[],\"deny\":[]}", "unknown field \"deny\""},
		{"{\"version\":2,\"allow\":[]}", "version: must be"},
		{"{\"version\":\"1\",\"allow\":[]}", "version: must be"},
		{"{\"allow\":[7]}", "allow[0]: not an object"},
		{"{\"allow\":[{\"principals\":[\"a\"]}]}",
		 "allow[0]: \"ops\" is missing"},
		{"{\"allow\":[{\"ops\":[\"sign\"]}]}",
		 "allow[0]: needs \"principals\" or \"roles\""},
		{"{\"allow\":[{\"ops\":[],\"roles\":[\"auditor\"]}]}",
		 "allow[0].ops: needs 1.."},
		{"{\"allow\":[{\"ops\":\"sign\",\"roles\":[\"auditor\"]}]}",
		 "allow[0].ops: not an array"},
		{"{\"allow\":[{\"ops\":[1],\"roles\":[\"auditor\"]}]}",
		 "allow[0].ops[0]: not a string"},
		{"{\"allow\":[{\"ops\":[\"rotate\"],\"roles\":[\"auditor\"]}]}",
		 "allow[0].ops[0]: unknown op \"rotate\""},
		{"{\"allow\":[{\"ops\":[\"sign\"],\"roles\":[\"root\"]}]}",
		 "allow[0].roles[0]: unknown role \"root\""},
		{"{\"allow\":[{\"ops\":[\"sign\"],\"principals\":[\"a b\"]}]}",
		 "allow[0].principals[0]: not a principal name"},
		{"{\"allow\":[{\"ops\":[\"sign\"],\"principals\":[\"*/\"]}]}",
		 "allow[0].principals[0]: not a principal name"},
		{"{\"allow\":[{\"ops\":[\"sign\"],\"principals\":[\"\"]}]}",
		 "allow[0].principals[0]: not a principal name"},
		{"{\"allow\":[{\"ops\":[\"sign\"],\"principals\":[\"a\"],"
		 "\"principles\":[\"b\"]}]}",
		 "allow[0]: unknown field \"principles\""},
		{"{\"allow\":[{\"ops\":[\"sign\"],\"roles\":[\"auditor\"]},"
		 "{\"ops\":[\"sign\"],\"roles\":null}]}",
		 "allow[1].roles: not an array"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(err, 0, sizeof(err));
		kw_rc rc =
			kw_key_policy_validate(bad[i].json, err, sizeof(err));
		if (rc != KW_E_INVALID ||
		    strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("policy %zu (%s): rc %s, err \"%s\"", i,
				 bad[i].json, kw_rc_str(rc), err);
	}
	assert_int_equal(kw_key_policy_validate(NULL, err, sizeof(err)),
			 KW_E_INVALID);
	/* A NUL inside the JSON text ends it: the rest is never seen, and
	 * a string value holding an escaped NUL is refused. */
	assert_int_equal(
		kw_key_policy_validate("{\"allow\":[{\"ops\":[\"sign\"],"
				       "\"principals\":[\"a\\u0000b\"]}]}",
				       err, sizeof(err)),
		KW_E_INVALID);
}

static void test_policy_limits(void **state)
{
	(void)state;
	char err[160];
	/* 65 rules: over the limit of 64. */
	size_t cap = 65 * 64 + 32;
	char *json = malloc(cap);
	assert_non_null(json);
	size_t n = (size_t)snprintf(json, cap, "{\"allow\":[");
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(json + n, cap - n,
				      "%s{\"ops\":[\"sign\"],\"roles\":["
				      "\"auditor\"]}",
				      i ? "," : "");
	snprintf(json + n, cap - n, "]}");
	assert_int_equal(kw_key_policy_validate(json, err, sizeof(err)),
			 KW_E_INVALID);
	assert_string_equal(err, "allow: more than 64 rules");
	free(json);

	/* Longer than KW_POLICY_MAX. */
	json = malloc(KW_POLICY_MAX + 2);
	assert_non_null(json);
	memset(json, ' ', KW_POLICY_MAX + 1);
	json[KW_POLICY_MAX + 1] = '\0';
	assert_int_equal(kw_key_policy_validate(json, err, sizeof(err)),
			 KW_E_INVALID);
	assert_string_equal(err, "longer than 65536 bytes");
	free(json);

	/* Deep nesting is an error, not a stack overflow. */
	json = malloc(40003);
	assert_non_null(json);
	memset(json, '[', 40000);
	json[40000] = '\0';
	assert_int_equal(kw_key_policy_validate(json, err, sizeof(err)),
			 KW_E_INVALID);
	free(json);
}

/* Parsed policies are memoised by text: many distinct policies (more than
 * the memo's slots), asked twice in different orders and from several
 * threads, must give exactly the answers of their texts. */
#define MEMO_POLICIES 600

static void memo_policy(int i, char *buf, size_t len)
{
	snprintf(buf, len,
		 "{\"allow\":[{\"principals\":[\"u%d\"],\"ops\":"
		 "[\"%s\"]}]}",
		 i, i % 2 ? "sign" : "decrypt");
}

static void *memo_worker(void *arg)
{
	int start = *(int *)arg;
	char pol[160];
	for (int k = 0; k < MEMO_POLICIES; k++) {
		int i = (start + k * 7) % MEMO_POLICIES;
		char name[16];
		memo_policy(i, pol, sizeof(pol));
		snprintf(name, sizeof(name), "u%d", i);
		kw_caller me = caller(name, "A", CU);
		kw_caller other = caller("u", "A", CU);
		kw_op op = i % 2 ? KW_OP_KEY_SIGN : KW_OP_KEY_DECRYPT;
		kw_op wrong = i % 2 ? KW_OP_KEY_DECRYPT : KW_OP_KEY_SIGN;
		if (kw_authz_check(&me, op, "A", pol, NULL, 0) != KW_OK ||
		    kw_authz_check(&me, wrong, "A", pol, NULL, 0) !=
			    KW_E_DENIED ||
		    kw_authz_check(&other, op, "A", pol, NULL, 0) !=
			    KW_E_DENIED)
			return (void *)1;
	}
	return NULL;
}

static void test_policy_memo(void **state)
{
	(void)state;
	int starts[4] = {0, 1, 2, 3};
	assert_null(memo_worker(&starts[0]));
	assert_null(memo_worker(&starts[1]));
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, memo_worker, &starts[i]),
			0);
	for (int i = 0; i < 4; i++) {
		void *ret = (void *)1;
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	/* An unparsable text is remembered as unparsable, and a valid text
	 * in the same place afterwards is not mistaken for it. */
	kw_caller ci = caller("ci", "A", CU);
	const char *bad = "{\"allow\":[{\"principals\":[\"ci\"]}]}";
	const char *good =
		"{\"allow\":[{\"principals\":[\"ci\"],\"ops\":[\"sign\"]}]}";
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
			kw_authz_check(&ci, KW_OP_KEY_SIGN, "A", bad, NULL, 0),
			KW_E_DENIED);
		assert_int_equal(
			kw_authz_check(&ci, KW_OP_KEY_SIGN, "A", good, NULL, 0),
			KW_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_covers_every_op),
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_matrix_per_role),
		cmocka_unit_test(test_partition_isolation),
		cmocka_unit_test(test_bad_input_denied),
		cmocka_unit_test(test_policy_narrows_use),
		cmocka_unit_test(test_policy_malformed_denies),
		cmocka_unit_test(test_policy_validate),
		cmocka_unit_test(test_policy_limits),
		cmocka_unit_test(test_policy_memo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
