/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "keywarden/auth.h"

/*
 * The key policy parser (kw_key_policy_validate) and its use by
 * kw_authz_check on arbitrary text. Besides not crashing, the contract:
 * validate answers only KW_OK or KW_E_INVALID, always leaves a terminated
 * message, explains every refusal; and kw_authz_check calls a policy
 * invalid exactly when validate refuses it (also on the second, memoised
 * evaluation), and never lets a refused policy allow anything.
 */

static void check_authz(const char *text, bool valid)
{
	static const kw_op ops[] = {KW_OP_KEY_SIGN, KW_OP_KEY_DECRYPT,
				    KW_OP_KEY_ROTATE, KW_OP_KEY_POLICY};
	kw_caller c;
	memset(&c, 0, sizeof(c));
	memcpy(c.principal, "ci", 3);
	memcpy(c.partition, "A", 2);
	c.roles = KW_ROLE_ALL_;
	c.kind = KW_PRINCIPAL_APP;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			char why[64];
			kw_rc rc = kw_authz_check(&c, ops[i], "A", text, why,
						  sizeof(why));
			bool invalid = rc == KW_E_DENIED &&
				       strcmp(why, "key policy invalid") == 0;
			if (rc != KW_OK && rc != KW_E_DENIED)
				abort();
			/* Replacing the policy is never blocked by it. */
			if (ops[i] == KW_OP_KEY_POLICY && rc != KW_OK)
				abort();
			if (ops[i] != KW_OP_KEY_POLICY && invalid == valid)
				abort();
			/* A valid policy does not narrow management ops. */
			if (valid && ops[i] == KW_OP_KEY_ROTATE && rc != KW_OK)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char err[128];
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(err, 'x', sizeof(err));
	kw_rc rc = kw_key_policy_validate(text, err, sizeof(err));
	if (rc != KW_OK && rc != KW_E_INVALID)
		abort();
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if ((rc == KW_OK) != (err[0] == '\0'))
		abort();
	check_authz(text, rc == KW_OK);
	free(text);
	return 0;
}
