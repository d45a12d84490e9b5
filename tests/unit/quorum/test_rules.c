/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "keywarden/quorum.h"

/* Rules documents (docs/quorum.md) as kw_quorum_policy_validate reads
 * them, and the "quorum" member of key policies as kw_key_policy_validate
 * and kw_authz_check read it. */

static void valid(const char *json, kw_quorum_level level)
{
	char err[160] = "x";
	kw_rc rc = kw_quorum_policy_validate(json, level, err, sizeof(err));
	if (rc != KW_OK)
		fail_msg("refused %s: %s", json, err);
	assert_string_equal(err, "");
}

/* Refused, with a message containing want. */
static void invalid(const char *json, kw_quorum_level level, const char *want)
{
	char err[160] = "";
	assert_int_equal(
		kw_quorum_policy_validate(json, level, err, sizeof(err)),
		KW_E_INVALID);
	if (strstr(err, want) == NULL)
		fail_msg("for %s: got \"%s\", want \"%s\"",
			 json != NULL ? json : "(null)", err, want);
}

static void test_names(void **state)
{
	(void)state;
	kw_qop op;
	for (int i = 1; i < KW_QOP_COUNT_; i++) {
		assert_non_null(kw_qop_name((kw_qop)i));
		assert_int_equal(kw_qop_parse(kw_qop_name((kw_qop)i), &op),
				 KW_OK);
		assert_int_equal(op, i);
	}
	assert_null(kw_qop_name(KW_QOP_NONE));
	assert_null(kw_qop_name(KW_QOP_COUNT_));
	assert_int_equal(kw_qop_parse("key_destroyy", &op), KW_E_INVALID);
	assert_int_equal(kw_qop_parse(NULL, &op), KW_E_INVALID);
	assert_string_equal(kw_qop_name(KW_QOP_BACKUP_RESTORE),
			    "backup_restore");
	kw_approval_state s;
	assert_int_equal(kw_approval_state_parse("executed", &s), KW_OK);
	assert_int_equal(s, KW_APPROVAL_EXECUTED);
	assert_int_equal(kw_approval_state_parse("done", &s), KW_E_INVALID);
	assert_null(kw_approval_state_name((kw_approval_state)0));
}

static void test_levels(void **state)
{
	(void)state;
	/* signatures per key only; instance-wide ops globally only */
	assert_true(kw_quorum_op_at_level(KW_QOP_KEY_SIGN, KW_QUORUM_KEY));
	assert_false(kw_quorum_op_at_level(KW_QOP_KEY_SIGN, KW_QUORUM_GLOBAL));
	assert_true(
		kw_quorum_op_at_level(KW_QOP_BACKUP_RESTORE, KW_QUORUM_GLOBAL));
	assert_false(kw_quorum_op_at_level(KW_QOP_AUDIT_KEY_ROTATE,
					   KW_QUORUM_PARTITION));
	assert_false(kw_quorum_op_at_level(KW_QOP_ROLE_GRANT, KW_QUORUM_KEY));
	assert_true(kw_quorum_op_at_level(KW_QOP_KEY_DESTROY, KW_QUORUM_KEY));
	assert_false(kw_quorum_op_at_level(KW_QOP_NONE, KW_QUORUM_GLOBAL));
	assert_false(
		kw_quorum_op_at_level(KW_QOP_KEY_DESTROY, (kw_quorum_level)9));
}

static void test_valid_documents(void **state)
{
	(void)state;
	valid("{\"rules\":[]}", KW_QUORUM_GLOBAL);
	valid("{\"version\":1,\"ttl\":3600,\"rules\":[{\"ops\":[\"key_"
	      "destroy\",\"key_export\",\"key_policy\",\"role_grant\","
	      "\"partition_delete\",\"audit_key_rotate\",\"backup_"
	      "restore\",\"quorum_policy\"],\"group\":\"custodians\","
	      "\"principals\":[\"c1\",\"c2\",\"*/c3\"],\"m\":2,\"ttl\":60}]}",
	      KW_QUORUM_GLOBAL);
	valid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"roles\":["
	      "\"custodian\"],\"m\":16}]}",
	      KW_QUORUM_PARTITION);
	valid("{\"rules\":[{\"ops\":[\"key_sign\"],\"principals\":[\"a\"],"
	      "\"m\":1},{\"ops\":[\"key_destroy\"],\"principals\":[\"b\","
	      "\"c\"],\"roles\":[\"security-officer\"],\"m\":2}]}",
	      KW_QUORUM_KEY);
}

static void test_invalid_documents(void **state)
{
	(void)state;
	const kw_quorum_level G = KW_QUORUM_GLOBAL, K = KW_QUORUM_KEY;
	invalid(NULL, G, "no document");
	invalid("", G, "not JSON");
	invalid("[]", G, "not a JSON object");
	invalid("{}", G, "\"rules\" is missing");
	invalid("{\"rules\":{}}", G, "rules: not an array");
	invalid("{\"rules\":[],\"rules\":[]}", G, "not JSON");
	invalid("{\"rules\":[],\"extra\":1}", G, "unknown field \"extra\"");
	invalid("{\"version\":2,\"rules\":[]}", G, "version: must be 1..1");
	invalid("{\"ttl\":0,\"rules\":[]}", G, "ttl: must be 1..2592000");
	invalid("{\"ttl\":1.5,\"rules\":[]}", G, "ttl: not an integer");
	invalid("{\"rules\":[1]}", G, "rules[0]: not an object");
	invalid("{\"rules\":[{\"m\":1,\"principals\":[\"a\"]}]}", G,
		"rules[0]: \"ops\" is missing");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"principals\":[\"a\""
		"]}]}",
		G, "rules[0]: \"m\" is missing");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"m\":1}]}", G,
		"needs \"principals\" or \"roles\"");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"principals\":[\"a\""
		",\"b\"],\"m\":3}]}",
		G, "rules[0].m: 3 is more than the 2 principals named");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"roles\":["
		"\"custodian\"],\"m\":17}]}",
		G, "rules[0].m: must be 1..16");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"roles\":["
		"\"custodian\"],\"m\":0}]}",
		G, "rules[0].m: must be 1..16");
	invalid("{\"rules\":[{\"ops\":[\"key_destroyed\"],\"roles\":["
		"\"custodian\"],\"m\":1}]}",
		G, "rules[0].ops[0]: unknown op \"key_destroyed\"");
	invalid("{\"rules\":[{\"ops\":[],\"roles\":[\"custodian\"],\"m\":1}]}",
		G, "rules[0].ops: needs 1..");
	invalid("{\"rules\":[{\"ops\":[\"key_sign\"],\"roles\":[\"custodian\""
		"],\"m\":1}]}",
		G, "key_sign cannot be guarded at the global level");
	invalid("{\"rules\":[{\"ops\":[\"backup_restore\"],\"roles\":["
		"\"custodian\"],\"m\":1}]}",
		KW_QUORUM_PARTITION,
		"backup_restore cannot be guarded at the partition level");
	invalid("{\"rules\":[{\"ops\":[\"role_grant\"],\"roles\":["
		"\"custodian\"],\"m\":1}]}",
		K, "role_grant cannot be guarded at the key level");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\",\"key_destroy\"],"
		"\"roles\":[\"custodian\"],\"m\":1}]}",
		G, "rules[0].ops[1]: key_destroy is named twice");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"roles\":["
		"\"custodian\"],\"m\":1},{\"ops\":[\"key_export\",\"key_"
		"destroy\"],\"roles\":[\"custodian\"],\"m\":1}]}",
		G, "rules[1].ops[1]: key_destroy is named twice");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"roles\":[\"boss\"],"
		"\"m\":1}]}",
		G, "rules[0].roles[0]: unknown role \"boss\"");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"principals\":["
		"\"a b\"],\"m\":1}]}",
		G, "rules[0].principals[0]: not a principal name");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"principals\":["
		"\"*/\"],\"m\":1}]}",
		G, "rules[0].principals[0]: not a principal name");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"principals\":["
		"\"a\",\"*/a\",\"a\"],\"m\":1}]}",
		G, "rules[0].principals[2]: named twice");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"principals\":[7],"
		"\"m\":1}]}",
		G, "rules[0].principals[0]: not a string");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"roles\":["
		"\"custodian\"],\"m\":1,\"group\":\"\"}]}",
		G, "rules[0].group: not a group name");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"roles\":["
		"\"custodian\"],\"m\":1,\"n\":3}]}",
		G, "rules[0]: unknown field \"n\"");
	invalid("{\"rules\":[{\"ops\":[\"key_destroy\"],\"roles\":["
		"\"custodian\"],\"m\":1,\"ttl\":2592001}]}",
		G, "rules[0].ttl: must be 1..2592000");
}

static void test_member_limit(void **state)
{
	(void)state;
	char doc[4096];
	int n = snprintf(doc, sizeof(doc),
			 "{\"rules\":[{\"ops\":[\"key_destroy\"],\"m\":1,"
			 "\"principals\":[");
	for (int i = 0; i <= KW_QUORUM_MEMBERS_MAX; i++)
		n += snprintf(doc + n, sizeof(doc) - (size_t)n, "%s\"p%d\"",
			      i ? "," : "", i);
	snprintf(doc + n, sizeof(doc) - (size_t)n, "]}]}");
	invalid(doc, KW_QUORUM_GLOBAL, "rules[0].principals: needs 1..32");
}

/* The "quorum" member of a key policy is read with the same rules, and a
 * policy holding only it does not narrow who may use the key. */
static void test_key_policy_member(void **state)
{
	(void)state;
	char err[160];
	const char *ok = "{\"quorum\":{\"rules\":[{\"ops\":[\"key_sign\"],"
			 "\"principals\":[\"a\",\"b\"],\"m\":2}]}}";
	assert_int_equal(kw_key_policy_validate(ok, err, sizeof(err)), KW_OK);
	assert_int_equal(
		kw_key_policy_validate("{\"quorum\":{\"rules\":[{\"ops\":["
				       "\"role_grant\"],\"principals\":["
				       "\"a\"],\"m\":1}]}}",
				       err, sizeof(err)),
		KW_E_INVALID);
	assert_string_equal(err, "quorum.rules[0].ops[0]: role_grant cannot "
				 "be guarded at the key level");
	assert_int_equal(
		kw_key_policy_validate("{\"quorum\":[]}", err, sizeof(err)),
		KW_E_INVALID);
	assert_string_equal(err, "quorum: not a JSON object");
	assert_int_equal(
		kw_key_policy_validate("{\"version\":1}", err, sizeof(err)),
		KW_E_INVALID);
	assert_string_equal(err, "\"allow\" is missing");

	kw_caller c;
	memset(&c, 0, sizeof(c));
	memcpy(c.principal, "ci", 3);
	memcpy(c.partition, "A", 2);
	c.roles = KW_ROLE_CRYPTO_USER;
	assert_int_equal(
		kw_authz_check(&c, KW_OP_KEY_SIGN, "A", ok, err, sizeof(err)),
		KW_OK);
	/* with "allow" as well, "allow" narrows as before */
	const char *both = "{\"allow\":[{\"principals\":[\"other\"],\"ops\":["
			   "\"sign\"]}],\"quorum\":{\"rules\":[]}}";
	assert_int_equal(
		kw_authz_check(&c, KW_OP_KEY_SIGN, "A", both, err, sizeof(err)),
		KW_E_DENIED);
	assert_string_equal(err, "key policy does not allow it");
	/* the hot path's test: false only when there is certainly no member */
	assert_false(kw_quorum_key_policy_may_guard(NULL));
	assert_false(kw_quorum_key_policy_may_guard(
		"{\"allow\":[{\"roles\":[\"crypto-user\"],\"ops\":[\"sign\"]}]"
		"}"));
	assert_true(kw_quorum_key_policy_may_guard(ok));
	assert_true(kw_quorum_key_policy_may_guard(both));
	assert_true(kw_quorum_key_policy_may_guard("{\"\\u0071uorum\":{}}"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_valid_documents),
		cmocka_unit_test(test_invalid_documents),
		cmocka_unit_test(test_member_limit),
		cmocka_unit_test(test_key_policy_member),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
