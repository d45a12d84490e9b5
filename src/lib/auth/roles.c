/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "auth/internal.h"

/*
 * The role matrix (docs/roles.md is its user-facing copy; the unit test
 * test_authz asserts both agree). Deny by default: an op is granted only to
 * the roles listed here. SYS marks ops on the whole instance, which only
 * system principals may do, whatever their roles.
 */

#define SO   KW_ROLE_SECURITY_OFFICER
#define CO   KW_ROLE_CRYPTO_OFFICER
#define CU   KW_ROLE_CRYPTO_USER
#define AUD  KW_ROLE_AUDITOR
#define CUST KW_ROLE_CUSTODIAN

#define F_SYS 1u /* system principals only */
#define F_USE 2u /* a use op: a key policy may narrow it */

typedef struct op_rule {
	const char *name;     /* stable, in audit entries */
	const char *use_name; /* name in key policies, use ops only */
	uint32_t roles;
	unsigned flags;
} op_rule;

static const op_rule op_rules[KW_OP_COUNT_] = {
	[KW_OP_NONE] = {"none", NULL, 0, 0},
	[KW_OP_SYS_SEAL] = {"sys_seal", NULL, SO, F_SYS},
	[KW_OP_SYS_STATUS_DETAIL] = {"sys_status_detail", NULL, SO, 0},
	[KW_OP_PARTITION_CREATE] = {"partition_create", NULL, SO, F_SYS},
	[KW_OP_PARTITION_READ] = {"partition_read", NULL, SO | CO | CU, 0},
	[KW_OP_PARTITION_DELETE] = {"partition_delete", NULL, SO, F_SYS},
	[KW_OP_PRINCIPAL_MANAGE] = {"principal_manage", NULL, SO, 0},
	[KW_OP_PRINCIPAL_READ] = {"principal_read", NULL, SO, 0},
	[KW_OP_ROLE_GRANT] = {"role_grant", NULL, SO, 0},
	[KW_OP_TOKEN_MANAGE] = {"token_manage", NULL, SO, 0},
	[KW_OP_KEY_CREATE] = {"key_create", NULL, CO, 0},
	[KW_OP_KEY_READ] = {"key_read", NULL, SO | CO | CU, 0},
	[KW_OP_KEY_ROTATE] = {"key_rotate", NULL, CO, 0},
	[KW_OP_KEY_STATE] = {"key_state", NULL, CO, 0},
	[KW_OP_KEY_DESTROY] = {"key_destroy", NULL, CO, 0},
	[KW_OP_KEY_UPDATE] = {"key_update", NULL, CO, 0},
	[KW_OP_KEY_POLICY] = {"key_policy", NULL, SO, 0},
	[KW_OP_KEY_EXPORT] = {"key_export", NULL, CO, 0},
	[KW_OP_KEY_IMPORT] = {"key_import", NULL, CO, 0},
	[KW_OP_KEY_SIGN] = {"key_sign", "sign", CU, F_USE},
	[KW_OP_KEY_VERIFY] = {"key_verify", "verify", CU, F_USE},
	[KW_OP_KEY_ENCRYPT] = {"key_encrypt", "encrypt", CU, F_USE},
	[KW_OP_KEY_DECRYPT] = {"key_decrypt", "decrypt", CU, F_USE},
	[KW_OP_KEY_MAC] = {"key_mac", "mac", CU, F_USE},
	[KW_OP_KEY_WRAP] = {"key_wrap", "wrap", CU, F_USE},
	[KW_OP_KEY_UNWRAP] = {"key_unwrap", "unwrap", CU, F_USE},
	[KW_OP_KEY_DATAKEY] = {"key_datakey", "datakey", CU, F_USE},
	[KW_OP_RANDOM] = {"random", NULL, CU, 0},
	[KW_OP_AUDIT_READ] = {"audit_read", NULL, AUD, 0},
	[KW_OP_APPROVAL_DECIDE] = {"approval_decide", NULL, CUST, 0},
	[KW_OP_BACKUP_CREATE] = {"backup_create", NULL, SO, F_SYS},
	[KW_OP_BACKUP_RESTORE] = {"backup_restore", NULL, SO, F_SYS},
};

static const char *const role_names[] = {
	"security-officer", "crypto-officer", "crypto-user",
	"auditor",	    "custodian",
};

const char *kw_role_name(uint32_t single_bit)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]);
	     i++) {
		if (single_bit == (1u << i))
			return role_names[i];
	}
	return NULL;
}

kw_rc kw_role_parse(const char *name, uint32_t *out_bit)
{
	if (name == NULL || out_bit == NULL)
		return KW_E_INVALID;
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]);
	     i++) {
		if (strcmp(name, role_names[i]) == 0) {
			*out_bit = 1u << i;
			return KW_OK;
		}
	}
	return KW_E_INVALID;
}

const char *kw_op_name(kw_op op)
{
	if ((unsigned)op >= KW_OP_COUNT_)
		return "unknown";
	return op_rules[op].name;
}

bool kw_auth_op_is_use(kw_op op)
{
	return (unsigned)op < KW_OP_COUNT_ && (op_rules[op].flags & F_USE);
}

const char *kw_auth_use_op_name(kw_op op)
{
	return kw_auth_op_is_use(op) ? op_rules[op].use_name : NULL;
}

kw_rc kw_auth_use_op_parse(const char *name, kw_op *out)
{
	if (name == NULL || out == NULL)
		return KW_E_INVALID;
	for (unsigned i = 0; i < KW_OP_COUNT_; i++) {
		if ((op_rules[i].flags & F_USE) &&
		    strcmp(name, op_rules[i].use_name) == 0) {
			*out = (kw_op)i;
			return KW_OK;
		}
	}
	return KW_E_INVALID;
}

kw_rc kw_authz_check(const kw_caller *caller, kw_op op, const char *partition,
		     const char *key_policy, char *reason, size_t reason_len)
{
	const char *why = NULL;
	const op_rule *r = NULL;

	if (caller == NULL || partition == NULL) {
		why = "no caller or partition";
		goto out;
	}
	if ((unsigned)op >= KW_OP_COUNT_ || op == KW_OP_NONE) {
		why = "unknown operation";
		goto out;
	}
	r = &op_rules[op];
	if ((r->flags & F_SYS) && !caller->system) {
		why = "system principals only";
		goto out;
	}
	/* A system principal has partition "" and acts everywhere; anyone
	 * else only in its own partition (never in "", the system one). */
	if (!caller->system && (caller->partition[0] == '\0' ||
				strcmp(caller->partition, partition) != 0)) {
		why = "other partition";
		goto out;
	}
	if ((caller->roles & r->roles) == 0) {
		why = "role does not allow it";
		goto out;
	}
	/* A key policy narrows use ops. An unparsable one denies every op
	 * on its key but its own replacement. */
	if (key_policy == NULL || op == KW_OP_KEY_POLICY)
		goto out;
	kw_rc prc = kw_policy_eval(key_policy, caller, op);
	if (prc == KW_E_INVALID)
		why = "key policy invalid";
	else if (prc != KW_OK && prc != KW_E_DENIED)
		why = "key policy cannot be evaluated";
	else if ((r->flags & F_USE) && prc != KW_OK)
		why = "key policy does not allow it";
out:
	if (reason != NULL && reason_len > 0)
		snprintf(reason, reason_len, "%s", why != NULL ? why : "");
	return why == NULL ? KW_OK : KW_E_DENIED;
}
