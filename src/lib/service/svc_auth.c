/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/internal.h"

static void detail_user(kw_svc_call *c, const char *partition, const char *user)
{
	snprintf(c->ev.partition, sizeof(c->ev.partition), "%s",
		 svc_safe_name(partition != NULL && partition[0] != '\0'
				       ? partition
				       : "*"));
	snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"user\":\"%s\"}",
		 svc_safe_name(user));
}

kw_rc kw_svc_auth_login(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *user, const kw_secret *password,
			kw_secret **out_token, kw_caller *out_caller,
			uint64_t *out_retry_after)
{
	kw_principal_info pi;
	kw_rc rc;

	detail_user(c, partition, user);
	rc = kw_auth_login(svc->auth, partition, user, password, c->source,
			   out_token, out_caller, out_retry_after);
	switch (rc) {
	case KW_OK:
		/* The entry names who logged in. */
		c->caller = *out_caller;
		c->authenticated = true;
		break;
	case KW_E_UNAUTHENTICATED:
	case KW_E_NOT_FOUND:
	case KW_E_INVALID:
		/* One answer for unknown users and wrong passwords. */
		rc = KW_E_UNAUTHENTICATED;
		svc_reason(c, "wrong user or password");
		break;
	case KW_E_LIMIT:
		if (kw_principal_get(svc->auth, partition, user, &pi) ==
			    KW_OK &&
		    pi.locked)
			svc_reason(c, "locked_out");
		else
			svc_reason(c, "rate_limited");
		break;
	default:
		break;
	}
	return rc;
}

kw_rc kw_svc_auth_logout(kw_service *svc, kw_svc_call *c, const char *token,
			 size_t token_len)
{
	if (!c->authenticated)
		return KW_E_UNAUTHENTICATED;
	snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"token_id\":\"%s\"}",
		 c->caller.token_id);
	return kw_auth_logout(svc->auth, token, token_len);
}

kw_rc kw_svc_auth_whoami(kw_service *svc, kw_svc_call *c)
{
	(void)svc;
	return c->authenticated ? KW_OK : KW_E_UNAUTHENTICATED;
}

kw_rc kw_svc_token_create(kw_service *svc, kw_svc_call *c,
			  const char *partition, const char *principal,
			  uint64_t ttl_s, const char *name,
			  kw_secret **out_token,
			  char out_id[KW_TOKEN_ID_LEN + 1],
			  int64_t *out_expires_at)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_TOKEN_MANAGE, partition);

	if (rc != KW_OK)
		goto out;
	rc = kw_auth_token_create(svc->auth, partition, principal, ttl_s, name,
				  out_token, out_id, out_expires_at);
	if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"token_id\":\"%s\",\"principal\":\"%s\"}", out_id,
			 svc_safe_name(principal));
	else if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no principal %s", principal);
out:
	return rc;
}

kw_rc kw_svc_token_list(kw_service *svc, kw_svc_call *c, const char *partition,
			kw_token_info *out, size_t max, size_t *out_n)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_TOKEN_MANAGE, partition);

	if (rc == KW_OK)
		rc = kw_auth_token_list(svc->auth, partition, out, max, out_n);
	return rc;
}

kw_rc kw_svc_token_revoke(kw_service *svc, kw_svc_call *c,
			  const char *partition, const char *token_id)
{
	kw_token_info ti;
	kw_rc rc = svc_authorize(svc, c, KW_OP_TOKEN_MANAGE, partition);

	if (rc != KW_OK)
		goto out;
	rc = kw_auth_token_get(svc->auth, token_id, &ti);
	/* A token of another partition does not exist for this caller. */
	if (rc == KW_OK && strcmp(ti.partition, partition) != 0)
		rc = KW_E_NOT_FOUND;
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no token %s", token_id);
	if (rc != KW_OK)
		goto out;
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"token_id\":\"%s\",\"principal\":\"%s\"}", ti.id,
		 ti.principal);
	rc = kw_auth_token_revoke(svc->auth, token_id);
out:
	return rc;
}

/* ---- partitions ---------------------------------------------------------- */

kw_rc kw_svc_partition_create(kw_service *svc, kw_svc_call *c, const char *name,
			      kw_partition_info *out)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_PARTITION_CREATE, name);

	if (rc == KW_OK)
		rc = kw_partition_create(svc->auth, name, out);
	if (rc == KW_E_EXISTS)
		svc_reason(c, "partition %s exists", name);
	return rc;
}

kw_rc kw_svc_partition_get(kw_service *svc, kw_svc_call *c, const char *name,
			   kw_partition_info *out)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_PARTITION_READ, name);

	if (rc == KW_OK)
		rc = kw_partition_get(svc->auth, name, out);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no partition %s", name);
	return rc;
}

kw_rc kw_svc_partition_list(kw_service *svc, kw_svc_call *c,
			    kw_partition_info *out, size_t max, size_t *out_n)
{
	kw_rc rc;

	/* Everyone may see their own partition; only system principals see
	 * the list of all of them. */
	if (c->authenticated && !c->caller.system) {
		rc = kw_svc_partition_get(svc, c, c->caller.partition, out);
		if (rc == KW_OK)
			*out_n = 1;
		return rc;
	}
	rc = svc_authorize(svc, c, KW_OP_PARTITION_READ, "");
	if (rc == KW_OK)
		rc = kw_partition_list(svc->auth, out, max, out_n);
	return rc;
}

kw_rc kw_svc_partition_delete(kw_service *svc, kw_svc_call *c, const char *name)
{
	kw_key_info **keys = NULL;
	size_t n = 0;
	char *next = NULL;
	char *params = NULL;
	kw_rc rc = svc_authorize(svc, c, KW_OP_PARTITION_DELETE, name);

	if (rc != KW_OK)
		goto out;
	params = svc_params_partition(name);
	rc = svc_quorum_gate(svc, c, KW_QOP_PARTITION_DELETE, name, NULL,
			     params);
	if (rc != KW_OK)
		goto out;
	rc = kw_key_list(svc->keys, name, NULL, NULL, 1, &keys, &n, &next);
	if (rc != KW_OK && rc != KW_E_NOT_FOUND)
		goto out;
	rc = kw_partition_delete(svc->auth, name, n > 0);
	if (rc == KW_E_STATE)
		svc_reason(c, "partition %s still holds keys or principals",
			   name);
	else if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no partition %s", name);
	else if (rc == KW_E_INVALID)
		svc_reason(c, "partition %s cannot be deleted", name);
	/* its quorum rules go with it (a new partition of the name starts
	 * without them) */
	if (rc == KW_OK &&
	    kw_quorum_partition_forget(svc->quorum, name) != KW_OK)
		svc_reason(c, "partition %s deleted; its quorum rules remain",
			   name);
out:
	free(params);
	kw_key_list_free(keys, n, next);
	return rc;
}

/* ---- principals ------------------------------------------------------------ */

static void detail_principal(kw_svc_call *c, const char *name, uint32_t roles)
{
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"principal\":\"%s\",\"roles\":%u}", svc_safe_name(name),
		 roles);
}

/* The quorum gate of giving name (of kind, for a new principal) roles. */
static kw_rc role_grant_gate(kw_service *svc, kw_svc_call *c,
			     const char *partition, const char *name,
			     uint32_t roles, const char *kind)
{
	char *params = svc_params_roles(name, roles, kind);
	kw_rc rc = svc_quorum_gate(svc, c, KW_QOP_ROLE_GRANT, partition, NULL,
				   params);
	free(params);
	return rc;
}

kw_rc kw_svc_principal_create(kw_service *svc, kw_svc_call *c,
			      const char *partition, const char *name,
			      kw_principal_kind kind, uint32_t roles,
			      const kw_secret *password, kw_principal_info *out)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_PRINCIPAL_MANAGE, partition);

	if (rc == KW_OK && roles != 0)
		rc = svc_authorize(svc, c, KW_OP_ROLE_GRANT, partition);
	if (rc == KW_OK && roles != 0)
		rc = role_grant_gate(svc, c, partition, name, roles,
				     kind == KW_PRINCIPAL_USER ? "user"
							       : "app");
	if (rc != KW_OK)
		goto out;
	detail_principal(c, name, roles);
	rc = kw_principal_create(svc->auth, partition, name, kind, roles,
				 password, out);
	if (rc == KW_E_EXISTS)
		svc_reason(c, "principal %s exists", name);
	else if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no partition %s", partition);
	else if (rc == KW_E_INVALID)
		svc_reason(c,
			   "invalid principal (name, kind, roles or "
			   "password length %d..%d)",
			   KW_PASSWORD_MIN, KW_PASSWORD_MAX);
out:
	return rc;
}

kw_rc kw_svc_principal_get(kw_service *svc, kw_svc_call *c,
			   const char *partition, const char *name,
			   kw_principal_info *out)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_PRINCIPAL_READ, partition);

	if (rc == KW_OK)
		rc = kw_principal_get(svc->auth, partition, name, out);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no principal %s", name);
	return rc;
}

kw_rc kw_svc_principal_list(kw_service *svc, kw_svc_call *c,
			    const char *partition, const char *cursor,
			    kw_principal_info *out, size_t max, size_t *out_n)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_PRINCIPAL_READ, partition);

	if (rc == KW_OK)
		rc = kw_principal_list(svc->auth, partition, cursor, out, max,
				       out_n);
	return rc;
}

kw_rc kw_svc_principal_set_roles(kw_service *svc, kw_svc_call *c,
				 const char *partition, const char *name,
				 uint32_t roles, kw_principal_info *out)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_ROLE_GRANT, partition);

	if (rc == KW_OK)
		rc = role_grant_gate(svc, c, partition, name, roles, NULL);
	if (rc != KW_OK)
		goto out;
	detail_principal(c, name, roles);
	rc = kw_principal_set_roles(svc->auth, partition, name, roles, out);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no principal %s", name);
out:
	return rc;
}

kw_rc kw_svc_principal_set_password(kw_service *svc, kw_svc_call *c,
				    const char *partition, const char *name,
				    const kw_secret *password)
{
	kw_rc rc = KW_E_UNAUTHENTICATED;
	/* Users may change their own password; anyone else's needs the
	 * principal-management right. */
	bool self = c->authenticated &&
		    strcmp(c->caller.principal, name) == 0 &&
		    strcmp(c->caller.partition, partition) == 0;

	snprintf(c->ev.partition, sizeof(c->ev.partition), "%s",
		 svc_safe_name(partition[0] != '\0' ? partition : "*"));
	if (!self) {
		rc = svc_authorize(svc, c, KW_OP_PRINCIPAL_MANAGE, partition);
		if (rc != KW_OK)
			goto out;
	}
	detail_principal(c, name, 0);
	rc = kw_principal_set_password(svc->auth, partition, name, password);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no principal %s", name);
	else if (rc == KW_E_INVALID)
		svc_reason(c,
			   "a password has %d..%d bytes and only users "
			   "have one",
			   KW_PASSWORD_MIN, KW_PASSWORD_MAX);
out:
	return rc;
}

kw_rc kw_svc_principal_delete(kw_service *svc, kw_svc_call *c,
			      const char *partition, const char *name)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_PRINCIPAL_MANAGE, partition);

	if (rc != KW_OK)
		goto out;
	detail_principal(c, name, 0);
	rc = kw_principal_delete(svc->auth, partition, name);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no principal %s", name);
out:
	return rc;
}
