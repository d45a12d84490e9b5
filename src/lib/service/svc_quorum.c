/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "service"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "service/internal.h"
#include "service/svc_quorum.h"
#include "util/codec.h"

/*
 * Quorum in the service: the gate every guarded operation passes, the
 * audit entries of the steps that are not API calls of their own
 * (executed, expired), and the approval and rules functions of the API.
 */

/* Finished approvals are kept this long after their expiry. */
#define APPROVAL_RETENTION_S (7u * 86400u)

static const char *ns_of(const char *partition)
{
	return partition[0] != '\0' ? partition : "*";
}

/* An approval id from the request, or "(invalid)", for the audit detail. */
static const char *safe_id(const char *id)
{
	return id != NULL && strlen(id) == KW_APPROVAL_ID_LEN &&
			       kw_store_id_valid(id)
		       ? id
		       : "(invalid)";
}

/* The event of an API call about approval a (or id, before it is read). */
static void event_approval(kw_svc_call *c, const char *id, const kw_approval *a)
{
	if (a == NULL) {
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"approval\":\"%s\"}", safe_id(id));
		return;
	}
	snprintf(c->ev.partition, sizeof(c->ev.partition), "%s",
		 ns_of(a->partition));
	svc_event_key(c, a->key[0] != '\0' ? a->key : NULL, 0);
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"approval\":\"%s\",\"op\":\"%s\",\"state\":\"%s\","
		 "\"approvals\":%zu}",
		 a->id, kw_qop_name(a->op), kw_approval_state_name(a->state),
		 a->n_votes);
}

/* An entry of its own for a step that is no API call: "approval_executed"
 * (by c) or "approval_expired" (c NULL: the daemon). Durable on KW_OK. */
static kw_rc audit_step(kw_service *svc, const kw_svc_call *c, const char *op,
			const kw_approval *a)
{
	char detail[KW_SVC_DETAIL_MAX];
	snprintf(detail, sizeof(detail), "{\"approval\":\"%s\",\"op\":\"%s\"}",
		 a->id, kw_qop_name(a->op));
	kw_audit_event ev = {
		.principal = c != NULL ? c->caller.principal : "",
		.partition = ns_of(a->partition),
		.op = op,
		.key = a->key,
		.result = KW_AUDIT_OK,
		.reason = "",
		.request_id = c != NULL ? c->request_id : "",
		.source = c != NULL ? c->source : "daemon",
		.detail = detail,
	};
	return kw_audit_append(svc->audit, &ev, NULL);
}

static void on_expired(const kw_approval *a, void *arg)
{
	kw_service *svc = arg;
	if (audit_step(svc, NULL, "approval_expired", a) != KW_OK)
		KW_LOG_ERROR("approval %s expired but could not be audited",
			     a->id);
}

/* Marks what has expired and audits it; also called at once when an
 * operation found an approval expired, so the trail says so now. */
static void sweep(kw_service *svc)
{
	kw_rc rc = kw_quorum_expire_due(svc->quorum, APPROVAL_RETENTION_S,
					on_expired, svc, NULL);
	if (rc != KW_OK && rc != KW_E_SEALED)
		KW_LOG_WARN("expiring approvals: %s", kw_rc_str(rc));
}

void svc_quorum_tick(kw_service *svc)
{
	sweep(svc);
}

/* ---- the gate ------------------------------------------------------------- */

kw_rc svc_quorum_gate(kw_service *svc, kw_svc_call *c, kw_qop op,
		      const char *partition, const kw_key_info *key,
		      const char *params)
{
	char why[KW_QUORUM_REASON_MAX + 1] = "";
	kw_approval *a = NULL;
	kw_quorum_request req = {
		.op = op,
		.partition = partition != NULL ? partition : "",
		.key_name = key != NULL ? key->name : NULL,
		.key_id = key != NULL ? key->id : NULL,
		.key_policy = key != NULL ? key->policy : NULL,
		.params = params,
		.caller = &c->caller,
	};
	kw_rc rc = KW_E_UNAUTHENTICATED;

	if (!c->authenticated)
		goto out;
	if (params == NULL) {
		rc = KW_E_NOMEM; /* the builders' only failure */
		goto out;
	}
	if (c->use_approval[0] != '\0' && !kw_store_id_valid(c->use_approval))
		rc = KW_E_NOT_FOUND; /* not even an id */
	else if (c->use_approval[0] != '\0')
		rc = kw_quorum_request_consume(svc->quorum, &req,
					       c->use_approval, &a, why);
	else
		rc = kw_quorum_request_open(svc->quorum, &req, &a, why);
	if (rc == KW_OK && a != NULL) {
		/* Recorded before it runs; no record, no run. */
		rc = audit_step(svc, c, "approval_executed", a);
		if (rc != KW_OK)
			svc_reason(c,
				   "approval %s is used up, but the audit "
				   "trail cannot record it",
				   a->id);
	} else if (rc == KW_E_QUORUM_PENDING) {
		char hex[2 * KW_QUORUM_DIGEST_LEN + 1];
		kw_hex_encode(a->digest, sizeof(a->digest), hex);
		snprintf(c->approval_id, sizeof(c->approval_id), "%s", a->id);
		if (c->use_approval[0] == '\0')
			c->ev.op = "approval_request";
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"approval\":\"%s\",\"digest\":\"%s\",\"op\":"
			 "\"%s\"}",
			 a->id, hex, kw_qop_name(op));
		svc_reason(c, "approvals needed: %s", a->id);
	} else if (rc != KW_OK) {
		if (c->use_approval[0] != '\0')
			snprintf(c->ev.detail, sizeof(c->ev.detail),
				 "{\"approval\":\"%s\"}",
				 safe_id(c->use_approval));
		if (why[0] != '\0')
			svc_reason(c, "%s", why);
		else if (rc == KW_E_NOT_FOUND)
			svc_reason(c, "no such approval");
		else if (rc == KW_E_INVALID)
			svc_reason(c, "the request's parameters cannot be "
				      "bound to an approval");
		if (rc == KW_E_STATE)
			sweep(svc);
	}
out:
	kw_approval_free(a);
	return rc;
}

/* {"items":[{"sha256","prehashed","scheme","hash","salt_length",
 * "format"}]}: each input by its digest only. */
static char *sign_params(const kw_svc_sign_item *items, size_t n)
{
	json_t *arr = json_array(), *o = NULL;
	char *text = NULL;

	for (size_t i = 0; arr != NULL && i < n; i++) {
		const kw_svc_sign_item *it = &items[i];
		uint8_t md[KW_DIGEST_MAX];
		char hex[2 * KW_DIGEST_MAX + 1];
		size_t md_len = 0;
		if (kw_digest(KW_HASH_SHA256, it->in != NULL ? it->in : md,
			      it->in_len, md, &md_len) != KW_OK)
			goto out;
		kw_hex_encode(md, md_len, hex);
		const char *scheme = kw_sig_scheme_name(it->params.scheme);
		const char *hash = kw_hash_name(it->params.hash);
		json_t *item = json_pack(
			"{s:s,s:b,s:s?,s:s?,s:i,s:s}", "sha256", hex,
			"prehashed", it->params.prehashed, "scheme", scheme,
			"hash", it->hash_set ? hash : NULL, "salt_length",
			it->params.pss_salt_len, "format",
			it->params.format == KW_SIG_FORMAT_RAW ? "raw" : "der");
		if (json_array_append_new(arr, item) != 0)
			goto out;
	}
	o = json_pack("{s:O}", "items", arr);
	if (o != NULL)
		text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(o);
	json_decref(arr);
	return text;
}

kw_rc svc_quorum_gate_items(kw_service *svc, kw_svc_call *c, kw_op op,
			    const kw_key_info *k, const void *items, size_t n)
{
	/* Only signing can be guarded, and only by the key's own rules:
	 * without a policy that may hold them nothing needs computing. */
	if (op != KW_OP_KEY_SIGN ||
	    (!kw_quorum_key_policy_may_guard(k->policy) &&
	     c->use_approval[0] == '\0'))
		return KW_OK;
	char *params = sign_params(items, n);
	kw_rc rc = svc_quorum_gate(svc, c, KW_QOP_KEY_SIGN, k->partition, k,
				   params);
	free(params);
	return rc;
}

/* ---- parameters of the guarded operations --------------------------------- */

static json_t *names_of(uint32_t bits, const char *(*name)(uint32_t))
{
	json_t *arr = json_array();
	for (unsigned i = 0; arr != NULL && i < 32; i++)
		if ((bits & (1u << i)) != 0 && name(1u << i) != NULL)
			json_array_append_new(arr, json_string(name(1u << i)));
	return arr;
}

static char *dump(json_t *o)
{
	char *text =
		o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return text;
}

char *svc_params_key_update(const kw_key_update *u)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	if (u->set_policy) {
		json_t *p = u->policy != NULL
				    ? json_loads(u->policy,
						 JSON_REJECT_DUPLICATES, NULL)
				    : json_null();
		if (p == NULL || json_object_set_new(o, "policy", p) != 0)
			goto fail;
	}
	if (u->set_exportable_false)
		json_object_set_new(o, "exportable", json_false());
	if (u->set_rotation)
		json_object_set_new(
			o, "rotation_period",
			json_integer((json_int_t)u->rotation_period_s));
	if (u->set_usages)
		json_object_set_new(o, "usages",
				    names_of(u->usages, kw_usage_name));
	if (u->set_labels) {
		json_t *l = json_object();
		for (size_t i = 0; l != NULL && i < u->label_count; i++)
			json_object_set_new(l, u->labels[i].key,
					    json_string(u->labels[i].value));
		json_object_set_new(o, "labels", l);
	}
	return dump(o);
fail:
	json_decref(o);
	return NULL;
}

char *svc_params_roles(const char *principal, uint32_t roles, const char *kind)
{
	return dump(json_pack("{s:s,s:o,s:s?}", "principal", principal, "roles",
			      names_of(roles, kw_role_name), "kind", kind));
}

char *svc_params_partition(const char *partition)
{
	return dump(json_pack("{s:s}", "partition", partition));
}

/* ---- approvals ------------------------------------------------------------ */

/* Ids come from the URL: a malformed one names no approval. */
static kw_rc id_rc(kw_rc rc)
{
	return rc == KW_E_INVALID ? KW_E_NOT_FOUND : rc;
}

/* The start of every call on one approval. */
static kw_rc approval_call(kw_svc_call *c, const char *id)
{
	event_approval(c, id, NULL);
	if (!c->authenticated) {
		svc_reason(c, "not authenticated");
		return KW_E_UNAUTHENTICATED;
	}
	return KW_OK;
}

kw_rc kw_svc_approval_get(kw_service *svc, kw_svc_call *c, const char *id,
			  kw_approval **out)
{
	kw_rc rc = approval_call(c, id);
	if (rc == KW_OK)
		rc = id_rc(kw_quorum_request_get(svc->quorum, &c->caller, id,
						 out));
	if (rc == KW_OK)
		event_approval(c, id, *out);
	else if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no approval %s", safe_id(id));
	return rc;
}

kw_rc kw_svc_approval_parked(kw_service *svc, const kw_svc_call *c,
			     kw_approval **out)
{
	return kw_quorum_request_get(svc->quorum, &c->caller, c->approval_id,
				     out);
}

/* The end of a vote or a rejection: the event names the request (when
 * refused too, if the caller may see it); an expiry found on the way is
 * recorded at once. Takes a. */
static kw_rc decided(kw_service *svc, kw_svc_call *c, const char *id, kw_rc rc,
		     const char *why, kw_approval *a, kw_approval **out)
{
	if (rc == KW_OK) {
		event_approval(c, id, a);
		*out = a;
		return KW_OK;
	}
	kw_approval_free(a);
	a = NULL;
	if (why[0] != '\0')
		svc_reason(c, "%s", why);
	if (kw_quorum_request_get(svc->quorum, &c->caller, id, &a) == KW_OK)
		event_approval(c, id, a);
	kw_approval_free(a);
	if (rc == KW_E_STATE)
		sweep(svc);
	return rc;
}

kw_rc kw_svc_approval_approve(kw_service *svc, kw_svc_call *c, const char *id,
			      kw_approval **out)
{
	char why[KW_QUORUM_REASON_MAX + 1] = "";
	kw_approval *a = NULL;
	kw_rc rc = approval_call(c, id);

	if (rc == KW_OK)
		rc = id_rc(kw_quorum_request_approve(svc->quorum, &c->caller,
						     id, &a, why));
	return decided(svc, c, id, rc, why, a, out);
}

kw_rc kw_svc_approval_reject(kw_service *svc, kw_svc_call *c, const char *id,
			     const char *reason, kw_approval **out)
{
	char why[KW_QUORUM_REASON_MAX + 1] = "";
	kw_approval *a = NULL;
	kw_rc rc = approval_call(c, id);

	if (rc == KW_OK) {
		rc = kw_quorum_request_reject(svc->quorum, &c->caller, id,
					      reason, &a, why);
		/* a bad reason, not a bad id, when the id is well-formed */
		if (rc == KW_E_INVALID && strcmp(safe_id(id), id) == 0)
			snprintf(why, sizeof(why),
				 "reason: printable text of at most %d "
				 "characters",
				 KW_QUORUM_REASON_MAX);
		else
			rc = id_rc(rc);
	}
	return decided(svc, c, id, rc, why, a, out);
}

kw_rc kw_svc_approval_list(kw_service *svc, kw_svc_call *c,
			   const char *partition, int state, const char *cursor,
			   size_t limit, kw_approval ***out, size_t *out_n,
			   char **out_next)
{
	kw_rc rc = KW_E_UNAUTHENTICATED;

	snprintf(c->ev.partition, sizeof(c->ev.partition), "%s",
		 svc_safe_name(ns_of(partition)));
	if (!c->authenticated) {
		svc_reason(c, "not authenticated");
		goto out;
	}
	/* Approvals of a partition are seen by its principals and system
	 * ones; which of them, kw_approval_visible decides. */
	rc = KW_E_DENIED;
	if (!c->caller.system && strcmp(c->caller.partition, partition) != 0) {
		svc_reason(c, "%s may not read approvals of another partition",
			   c->caller.principal);
		goto out;
	}
	rc = kw_quorum_request_list(svc->quorum, &c->caller, partition, state,
				    cursor, limit, out, out_n, out_next);
	if (rc == KW_E_INVALID)
		svc_reason(c, "bad state, cursor or limit");
	if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"count\":%zu}",
			 *out_n);
out:
	return rc;
}

/* ---- rules ---------------------------------------------------------------- */

/* Reading rules: security officers, custodians and auditors of the
 * partition (system ones: of any). */
static kw_rc may_read_rules(kw_svc_call *c, const char *partition)
{
	const uint32_t readers =
		KW_ROLE_SECURITY_OFFICER | KW_ROLE_CUSTODIAN | KW_ROLE_AUDITOR;
	snprintf(c->ev.partition, sizeof(c->ev.partition), "%s",
		 svc_safe_name(partition != NULL ? partition : "*"));
	if (!c->authenticated) {
		svc_reason(c, "not authenticated");
		return KW_E_UNAUTHENTICATED;
	}
	if ((c->caller.roles & readers) == 0 ||
	    (partition != NULL && !c->caller.system &&
	     strcmp(c->caller.partition, partition) != 0)) {
		svc_reason(c, "%s may not read these quorum rules",
			   c->caller.principal);
		return KW_E_DENIED;
	}
	return KW_OK;
}

/* KW_OK if partition (NULL: the instance) exists. */
static kw_rc partition_exists(kw_service *svc, kw_svc_call *c,
			      const char *partition)
{
	kw_partition_info info;
	kw_rc rc = partition != NULL
			   ? kw_partition_get(svc->auth, partition, &info)
			   : KW_OK;
	if (rc == KW_E_NOT_FOUND || rc == KW_E_INVALID) {
		svc_reason(c, "no partition %s", svc_safe_name(partition));
		rc = KW_E_NOT_FOUND;
	}
	return rc;
}

kw_rc kw_svc_quorum_policy_get(kw_service *svc, kw_svc_call *c,
			       const char *partition, char **out)
{
	char *text = NULL;
	kw_rc rc = may_read_rules(c, partition);
	if (rc == KW_OK)
		rc = partition_exists(svc, c, partition);
	if (rc == KW_OK) {
		rc = kw_quorum_policy_get(svc->quorum, partition, &text);
		if (rc == KW_E_NOT_FOUND)
			rc = KW_OK; /* no rules: null */
	}
	if (rc == KW_OK)
		*out = text;
	return rc;
}

kw_rc kw_svc_quorum_policy_set(kw_service *svc, kw_svc_call *c,
			       const char *partition, const char *json)
{
	char err[KW_SVC_REASON_MAX] = "";
	char *params = NULL;
	/* The global rules: system security officers (the right to create
	 * partitions); a partition's: its security officers (the right to
	 * set key policies there). */
	kw_rc rc = partition == NULL
			   ? svc_authorize(svc, c, KW_OP_PARTITION_CREATE, "")
			   : svc_authorize(svc, c, KW_OP_KEY_POLICY, partition);

	if (rc == KW_OK)
		rc = partition_exists(svc, c, partition);
	if (rc != KW_OK)
		goto out;
	/* A document that cannot be set is refused before any quorum. */
	if (json != NULL &&
	    kw_quorum_policy_validate(json,
				      partition == NULL ? KW_QUORUM_GLOBAL
							: KW_QUORUM_PARTITION,
				      err, sizeof(err)) != KW_OK) {
		svc_reason(c, "%s", err);
		rc = KW_E_INVALID;
		goto out;
	}
	params = dump(json_pack(
		"{s:s,s:o}", "level",
		partition == NULL ? "global" : "partition", "policy",
		json != NULL ? json_loads(json, JSON_REJECT_DUPLICATES, NULL)
			     : json_null()));
	rc = svc_quorum_gate(svc, c, KW_QOP_QUORUM_POLICY,
			     partition != NULL ? partition : "", NULL, params);
	if (rc != KW_OK)
		goto out;
	rc = kw_quorum_policy_put(svc->quorum, partition, json, err,
				  sizeof(err));
	if (rc == KW_E_NOT_FOUND)
		rc = KW_OK; /* removing what is not there */
out:
	free(params);
	return rc;
}

/* The policy text of a key with its "quorum" member replaced by json
 * (NULL: removed); *out NULL when nothing is left. */
static kw_rc merge_quorum(const char *policy, const char *json, char **out)
{
	json_t *doc = policy != NULL
			      ? json_loads(policy, JSON_REJECT_DUPLICATES, NULL)
			      : json_object();
	json_t *q = json != NULL
			    ? json_loads(json, JSON_REJECT_DUPLICATES, NULL)
			    : NULL;
	kw_rc rc = KW_E_INVALID;

	if (!json_is_object(doc) || (json != NULL && q == NULL))
		goto out;
	if (q != NULL)
		json_object_set(doc, "quorum", q);
	else
		json_object_del(doc, "quorum");
	*out = json_object_size(doc) == 0 ? NULL : dump(json_incref(doc));
	rc = json_object_size(doc) != 0 && *out == NULL ? KW_E_NOMEM : KW_OK;
out:
	json_decref(doc);
	json_decref(q);
	return rc;
}

kw_rc kw_svc_key_quorum_get(kw_service *svc, kw_svc_call *c,
			    const char *partition, const char *name, char **out)
{
	kw_key_info *k = NULL;
	json_t *doc = NULL;
	kw_rc rc =
		svc_authorize_key(svc, c, KW_OP_KEY_READ, partition, name, &k);

	if (rc != KW_OK)
		goto out;
	*out = NULL;
	if (k->policy == NULL)
		goto out;
	doc = json_loads(k->policy, JSON_REJECT_DUPLICATES, NULL);
	json_t *q = json_object_get(doc, "quorum");
	if (q != NULL) {
		*out = dump(json_incref(q));
		if (*out == NULL)
			rc = KW_E_NOMEM;
	}
out:
	json_decref(doc);
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_key_quorum_set(kw_service *svc, kw_svc_call *c,
			    const char *partition, const char *name,
			    const char *json, kw_key_info **out)
{
	kw_key_info *k = NULL;
	char *policy = NULL;
	kw_rc rc = svc_authorize_key(svc, c, KW_OP_KEY_POLICY, partition, name,
				     &k);

	if (rc != KW_OK)
		goto out;
	rc = merge_quorum(k->policy, json, &policy);
	if (rc == KW_E_INVALID)
		svc_reason(c, "the key's policy or the rules are not JSON "
			      "objects");
	if (rc != KW_OK)
		goto out;
	kw_key_update u = {.set_policy = true, .policy = policy};
	rc = kw_svc_key_update(svc, c, partition, k->name, &u, out);
out:
	free(policy);
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_audit_key_rotate(kw_service *svc, kw_svc_call *c, char *out_key_id)
{
	char id[KW_AUDIT_KEY_ID_LEN + 1];
	/* Instance-wide: system security officers (the sealing right). */
	kw_rc rc = svc_authorize(svc, c, KW_OP_SYS_SEAL, "");

	if (rc == KW_OK)
		rc = svc_quorum_gate(svc, c, KW_QOP_AUDIT_KEY_ROTATE, "", NULL,
				     "{}");
	if (rc != KW_OK)
		return rc;
	rc = kw_audit_key_rotate(svc->audit, id);
	if (rc == KW_OK) {
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"key_id\":\"%s\"}", id);
		memcpy(out_key_id, id, sizeof(id));
	}
	return rc;
}
