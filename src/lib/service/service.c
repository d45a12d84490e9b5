/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "service"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keywarden/log.h"
#include "service/internal.h"
#include "service/svc_ca.h"
#include "service/svc_attest.h"

#define KEY_CACHE_DEFAULT 10000
/* Expired tokens are purged every this many ticks. */
#define PURGE_EVERY_TICKS 60

/* Copies src (NULL = "") into dst, cut to size - 1 bytes. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strnlen(src, size - 1) : 0;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

kw_rc kw_service_open(const kw_service_config *cfg, kw_service **out)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_service *svc = NULL;

	if (cfg == NULL || out == NULL)
		return KW_E_INVALID;
	svc = calloc(1, sizeof(*svc));
	if (svc == NULL)
		return KW_E_NOMEM;
	svc->cfg = *cfg;
	rc = kw_store_open(&cfg->store, &svc->store);
	if (rc != KW_OK) {
		KW_LOG_ERROR("cannot open the %s store: %s",
			     cfg->store.backend != NULL ? cfg->store.backend
							: "sqlite",
			     kw_rc_str(rc));
		goto out;
	}
	rc = kw_barrier_open(svc->store, &svc->barrier);
	if (rc != KW_OK) {
		KW_LOG_ERROR("cannot open the barrier: %s", kw_rc_str(rc));
		goto out;
	}
	rc = kw_auth_open(svc->barrier, svc->store, &cfg->auth, &svc->auth);
	if (rc != KW_OK) {
		KW_LOG_ERROR("cannot open auth: %s", kw_rc_str(rc));
		goto out;
	}
	rc = kw_keys_open(svc->barrier, svc->store,
			  cfg->key_cache_max != 0 ? cfg->key_cache_max
						  : KEY_CACHE_DEFAULT,
			  &svc->keys);
	if (rc != KW_OK) {
		KW_LOG_ERROR("cannot open keys: %s", kw_rc_str(rc));
		goto out;
	}
	rc = kw_audit_open(svc->store, svc->barrier, &cfg->audit, &svc->audit);
	if (rc != KW_OK) {
		KW_LOG_ERROR("cannot open the audit trail: %s", kw_rc_str(rc));
		goto out;
	}
	rc = kw_pki_open(svc->barrier, svc->store, svc->keys, &cfg->pki,
			 &svc->pki);
	if (rc != KW_OK) {
		KW_LOG_ERROR("cannot open the PKI: %s", kw_rc_str(rc));
		goto out;
	}
	rc = kw_quorum_open(svc->barrier, svc->store, &cfg->quorum,
			    &svc->quorum);
	if (rc != KW_OK) {
		KW_LOG_ERROR("cannot open quorum: %s", kw_rc_str(rc));
		goto out;
	}
	*out = svc;
	svc = NULL;
out:
	kw_service_close(svc);
	return rc;
}

void kw_service_close(kw_service *svc)
{
	if (svc == NULL)
		return;
	/* The audit trail goes first: it writes its checkpoint with the
	 * audit key, which needs the barrier still unsealed. */
	if (svc->audit != NULL)
		kw_audit_close(svc->audit);
	if (svc->barrier != NULL)
		kw_barrier_seal(svc->barrier);
	kw_svc_attest_close(svc);
	if (svc->keys != NULL)
		kw_keys_free(svc->keys);
	if (svc->auth != NULL)
		kw_auth_free(svc->auth);
	kw_quorum_free(svc->quorum);
	kw_pki_free(svc->pki);
	kw_barrier_free(svc->barrier);
	kw_store_close(svc->store);
	svc_backup_forget(svc);
	free(svc);
}

void kw_service_tick(kw_service *svc)
{
	size_t n = 0;
	kw_rc rc = kw_key_destroy_due(svc->keys, (int64_t)time(NULL), &n);

	if (rc == KW_OK && n > 0) {
		/* Destruction at the end of a waiting period is an operation
		 * of its own; it goes into the trail like any other. */
		kw_svc_call c;
		kw_svc_call_init(&c, "key_destroy_due", "daemon", "");
		snprintf(c.ev.detail, sizeof(c.ev.detail), "{\"count\":%zu}",
			 n);
		kw_audit_event ev = {
			.principal = "",
			.partition = "",
			.op = c.ev.op,
			.result = KW_AUDIT_OK,
			.reason = "",
			.request_id = "",
			.source = "daemon",
			.detail = c.ev.detail,
		};
		uint64_t seq = 0;
		if (kw_audit_append(svc->audit, &ev, &seq) != KW_OK)
			KW_LOG_ERROR("destroyed %zu keys but could not audit "
				     "it",
				     n);
		KW_LOG_INFO("destroyed %zu keys at the end of their waiting "
			    "period",
			    n);
	} else if (rc != KW_OK && rc != KW_E_SEALED) {
		KW_LOG_WARN("destroying due keys: %s", kw_rc_str(rc));
	}
	if (++svc->ticks % PURGE_EVERY_TICKS == 0) {
		rc = kw_auth_token_purge(svc->auth, NULL);
		if (rc != KW_OK && rc != KW_E_SEALED)
			KW_LOG_WARN("purging expired tokens: %s",
				    kw_rc_str(rc));
	}
	svc_quorum_tick(svc);
	svc_ca_tick(svc); /* CRLs (svc_ca.c) */
}

/* ---- calls and their audit events ------------------------------------ */

void kw_svc_call_init(kw_svc_call *c, const char *op, const char *source,
		      const char *request_id)
{
	memset(c, 0, sizeof(*c));
	c->ev.op = op != NULL ? op : "unknown";
	c->ev.result = KW_AUDIT_ERROR;
	copy_str(c->source, sizeof(c->source), source);
	copy_str(c->request_id, sizeof(c->request_id), request_id);
}

void kw_svc_call_outcome(kw_svc_call *c, kw_audit_result result,
			 const char *code, const char *reason)
{
	c->ev.result = result;
	if (code == NULL || code[0] == '\0') {
		c->ev.reason[0] = '\0';
		return;
	}
	/* "code" or "code: reason", so the trail says both what the client
	 * saw and why. */
	if (reason != NULL && reason[0] != '\0' && strcmp(reason, code) != 0) {
		char tmp[KW_SVC_REASON_MAX];
		size_t n;
		copy_str(tmp, sizeof(tmp), reason);
		copy_str(c->ev.reason, sizeof(c->ev.reason), code);
		n = strlen(c->ev.reason);
		if (n + 2 < sizeof(c->ev.reason)) {
			memcpy(c->ev.reason + n, ": ", 2);
			copy_str(c->ev.reason + n + 2,
				 sizeof(c->ev.reason) - n - 2, tmp);
		}
	} else {
		copy_str(c->ev.reason, sizeof(c->ev.reason), code);
	}
}

static void event_of(const kw_svc_call *c, kw_audit_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->principal = c->authenticated ? c->caller.principal : "";
	if (c->ev.partition[0] != '\0')
		ev->partition = c->ev.partition;
	else if (c->authenticated)
		ev->partition = c->caller.system ? "*" : c->caller.partition;
	else
		ev->partition = "";
	ev->op = c->ev.op;
	ev->key = c->ev.key;
	ev->key_version = c->ev.key_version;
	ev->result = c->ev.result;
	ev->reason = c->ev.reason;
	ev->request_id = c->request_id;
	ev->source = c->source;
	ev->detail = c->ev.detail[0] != '\0' ? c->ev.detail : NULL;
}

kw_rc kw_svc_audit_submit(kw_service *svc, const kw_svc_call *c,
			  kw_audit_done_cb cb, void *arg)
{
	kw_audit_event ev;
	event_of(c, &ev);
	return kw_audit_submit(svc->audit, &ev, cb, arg);
}

kw_rc kw_svc_audit_append(kw_service *svc, const kw_svc_call *c)
{
	kw_audit_event ev;
	uint64_t seq = 0;
	event_of(c, &ev);
	return kw_audit_append(svc->audit, &ev, &seq);
}

void svc_reason(kw_svc_call *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->ev.reason, sizeof(c->ev.reason), fmt, ap);
	va_end(ap);
}

const char *svc_safe_name(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return "";
	if (strcmp(s, "*") == 0)
		return s;
	for (const char *p = s; *p != '\0'; p++, n++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			return "(invalid)";
	return n >= 1 && n <= KW_NAME_MAX ? s : "(invalid)";
}

void svc_event_key(kw_svc_call *c, const char *name, uint32_t version)
{
	copy_str(c->ev.key, sizeof(c->ev.key), svc_safe_name(name));
	if (version != 0)
		c->ev.key_version = version;
}

/* ---- health, authentication ------------------------------------------- */

void kw_svc_health_get(kw_service *svc, kw_svc_health *out)
{
	kw_barrier_status st;

	memset(out, 0, sizeof(*out));
	if (kw_barrier_status_get(svc->barrier, &st) == KW_OK) {
		out->initialized = st.initialized;
		out->sealed = st.sealed;
	} else {
		out->sealed = true;
	}
	kw_audit_stats as = {0};

	out->audit_ok = kw_audit_healthy(svc->audit, out->audit_reason,
					 sizeof(out->audit_reason));
	kw_audit_stats_get(svc->audit, &as);
	out->audit_backlog = as.backlog;
	out->audit_entries = as.entries;
	out->audit_commits = as.commits;
}

kw_rc kw_svc_authenticate(kw_service *svc, kw_svc_call *c, const char *token,
			  size_t token_len)
{
	kw_rc rc = KW_E_UNAUTHENTICATED;

	c->authenticated = false;
	if (token == NULL || token_len == 0) {
		svc_reason(c, "no bearer token");
		goto out;
	}
	rc = kw_auth_token_check(svc->auth, token, token_len, c->source,
				 &c->caller);
	if (rc == KW_OK)
		c->authenticated = true;
	else if (rc == KW_E_EXPIRED)
		svc_reason(c, "the token has expired or was revoked");
	else if (rc == KW_E_UNAUTHENTICATED || rc == KW_E_INVALID) {
		rc = KW_E_UNAUTHENTICATED;
		svc_reason(c, "unknown token");
	}
out:
	return rc;
}

/* ---- authorisation and quorum gates ------------------------------------ */

kw_rc svc_authorize(kw_service *svc, kw_svc_call *c, kw_op op,
		    const char *partition)
{
	char why[KW_SVC_REASON_MAX];
	kw_rc rc = KW_E_DENIED;

	(void)svc;
	copy_str(c->ev.partition, sizeof(c->ev.partition),
		 svc_safe_name(partition != NULL && partition[0] != '\0'
				       ? partition
				       : "*"));
	if (!c->authenticated) {
		svc_reason(c, "not authenticated");
		rc = KW_E_UNAUTHENTICATED;
		goto out;
	}
	why[0] = '\0';
	rc = kw_authz_check(&c->caller, op, partition != NULL ? partition : "",
			    NULL, why, sizeof(why));
	if (rc != KW_OK) {
		/* A failure to decide is a denial (DESIGN.md §1.4). */
		rc = KW_E_DENIED;
		svc_reason(c, "%s may not %s: %s", c->caller.principal,
			   kw_op_name(op), why[0] != '\0' ? why : "denied");
	}
out:
	return rc;
}

kw_rc svc_authorize_key(kw_service *svc, kw_svc_call *c, kw_op op,
			const char *partition, const char *name,
			kw_key_info **out)
{
	kw_key_info *k = NULL;
	char why[KW_SVC_REASON_MAX];
	kw_rc rc;

	svc_event_key(c, name, 0);
	rc = svc_authorize(svc, c, op, partition);
	if (rc != KW_OK)
		goto out;
	rc = kw_key_get(svc->keys, partition, name, &k);
	if (rc != KW_OK) {
		if (rc == KW_E_NOT_FOUND)
			svc_reason(c, "no key %s in partition %s", name,
				   partition);
		goto out;
	}
	svc_event_key(c, k->name, 0);
	why[0] = '\0';
	rc = kw_authz_check(&c->caller, op, partition, k->policy, why,
			    sizeof(why));
	if (rc != KW_OK) {
		rc = KW_E_DENIED;
		svc_reason(c, "%s may not %s with key %s: %s",
			   c->caller.principal, kw_op_name(op), k->name,
			   why[0] != '\0' ? why : "denied");
		goto out;
	}
	*out = k;
	k = NULL;
out:
	kw_key_info_free(k);
	return rc;
}
