/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "service"

#include <stdio.h>
#include <string.h>

#include "keywarden/log.h"
#include "service/internal.h"

kw_rc kw_svc_sys_status(kw_service *svc, kw_svc_call *c, kw_barrier_status *out)
{
	(void)c;
	return kw_barrier_status_get(svc->barrier, out);
}

kw_rc kw_svc_sys_init(kw_service *svc, kw_svc_call *c, unsigned n,
		      unsigned threshold, const kw_secret *root_password,
		      kw_secret ***out_shares, kw_secret **out_root_token)
{
	kw_secret **shares = NULL;
	kw_secret *token = NULL;
	kw_rc rc = KW_E_INVALID;

	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"shares\":%u,\"threshold\":%u}", n, threshold);
	if (n < 1 || n > KW_SHARES_MAX || threshold < 1 || threshold > n) {
		svc_reason(c, "need 1 <= threshold <= shares <= %d",
			   KW_SHARES_MAX);
		goto out;
	}
	if (root_password != NULL && (root_password->len < KW_PASSWORD_MIN ||
				      root_password->len > KW_PASSWORD_MAX)) {
		svc_reason(c, "root_password must have %d..%d bytes",
			   KW_PASSWORD_MIN, KW_PASSWORD_MAX);
		goto out;
	}
	rc = kw_barrier_init(svc->barrier, n, threshold, &shares);
	if (rc == KW_E_EXISTS)
		svc_reason(c, "the instance is already initialised");
	if (rc != KW_OK)
		goto out;
	rc = kw_auth_bootstrap(svc->auth, root_password, &token);
	if (rc != KW_OK) {
		/* The barrier is initialised but has no root principal: say
		 * so loudly; the shares are still returned to nobody. */
		KW_LOG_ERROR("instance initialised but the root principal "
			     "could not be created: %s",
			     kw_rc_str(rc));
		svc_reason(c, "root principal not created");
		goto out;
	}
	kw_audit_barrier_changed(svc->audit);
	*out_shares = shares;
	*out_root_token = token;
	shares = NULL;
	token = NULL;
out:
	if (shares != NULL)
		kw_barrier_shares_free(shares, n);
	kw_secret_free(token);
	return rc;
}

kw_rc kw_svc_sys_unseal(kw_service *svc, kw_svc_call *c, const kw_secret *share,
			kw_barrier_status *out)
{
	kw_barrier_status local;
	kw_barrier_status *st = out != NULL ? out : &local;
	kw_rc rc;

	if (share == NULL) {
		rc = kw_barrier_unseal_reset(svc->barrier);
		strcpy(c->ev.detail, "{\"reset\":true}");
		if (rc == KW_OK)
			rc = kw_barrier_status_get(svc->barrier, st);
		return rc;
	}
	rc = kw_barrier_unseal(svc->barrier, (const char *)share->data,
			       share->len, st);
	switch (rc) {
	case KW_OK:
		/* The audit trail loads its signing key now. */
		if (!st->sealed)
			kw_audit_barrier_changed(svc->audit);
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"progress\":%u,\"sealed\":%s}", st->progress,
			 st->sealed ? "true" : "false");
		break;
	case KW_E_INVALID:
		svc_reason(c, "not a keywarden share");
		break;
	case KW_E_INTEGRITY:
		/* A share whose checksum fails is a user error (mistyped,
		 * truncated), not a corrupt database. */
		rc = KW_E_INVALID;
		svc_reason(c, "the share's checksum does not match "
			      "(mistyped or corrupt)");
		break;
	case KW_E_DENIED:
		rc = KW_E_INVALID;
		svc_reason(c, "not a share of this instance");
		break;
	case KW_E_EXISTS:
		svc_reason(c, "a share with this index was already given");
		break;
	case KW_E_VERIFY:
		svc_reason(c, "the shares do not rebuild the master key; "
			      "progress reset");
		break;
	case KW_E_STATE:
		svc_reason(c, "already unsealed");
		break;
	case KW_E_NOT_INITIALIZED:
		svc_reason(c, "the instance is not initialised");
		break;
	default:
		break;
	}
	return rc;
}

kw_rc kw_svc_sys_seal(kw_service *svc, kw_svc_call *c, kw_barrier_status *out)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_SYS_SEAL, "");

	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_seal(svc->barrier);
	if (rc != KW_OK)
		goto out;
	/* The barrier wiped its keys; drop everything derived from them. */
	kw_keys_cache_flush(svc->keys);
	kw_auth_cache_flush(svc->auth);
	kw_audit_barrier_changed(svc->audit);
	rc = kw_barrier_status_get(svc->barrier, out);
out:
	return rc;
}

kw_rc kw_svc_dev_root_token(kw_service *svc, kw_svc_call *c, uint64_t ttl_s,
			    kw_secret **out_token)
{
	kw_token_info old[64];
	size_t n = 0;
	char id[KW_TOKEN_ID_LEN + 1];
	int64_t expires = 0;
	kw_rc rc;

	/* Revoke the root tokens of earlier starts (and the one bootstrap
	 * issued): only the newest, the one in dev.env, stays valid. */
	rc = kw_auth_token_list(svc->auth, "", old,
				sizeof(old) / sizeof(old[0]), &n);
	if (rc != KW_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!old[i].revoked && !old[i].session &&
		    strcmp(old[i].principal, "root") == 0 &&
		    (strcmp(old[i].name, "dev-root") == 0 ||
		     strcmp(old[i].name, "root") == 0))
			(void)kw_auth_token_revoke(svc->auth, old[i].id);
	rc = kw_auth_token_create(svc->auth, "", "root", ttl_s, "dev-root",
				  out_token, id, &expires);
	if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"token_id\":\"%s\",\"principal\":\"root\"}", id);
out:
	return rc;
}
