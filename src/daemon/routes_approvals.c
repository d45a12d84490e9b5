/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "daemon/routes_approvals.h"
#include "daemon/wire.h"
#include "service/svc_quorum.h"
#include "util/codec.h"

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX	   1000
#define APPROVAL_HEADER	   "X-Keywarden-Approval"

/* ---- the approval object --------------------------------------------------- */

/* "name", or "*\/name" for a system principal. */
static json_t *member_json(const kw_quorum_member *m)
{
	char buf[KW_NAME_MAX + 3];
	snprintf(buf, sizeof(buf), "%s%s", m->system ? "*/" : "", m->name);
	return json_string(buf);
}

static json_t *roles_of(uint32_t roles)
{
	json_t *arr = json_array();
	for (unsigned i = 0; arr != NULL && i < 8; i++)
		if ((roles & (1u << i)) != 0 && kw_role_name(1u << i) != NULL)
			json_array_append_new(
				arr, json_string(kw_role_name(1u << i)));
	return arr;
}

static json_t *factor_json(const kw_quorum_factor *f)
{
	json_t *members = json_array();
	for (size_t i = 0; members != NULL && i < f->n_members; i++)
		json_array_append_new(members, member_json(&f->members[i]));
	return json_pack("{s:s,s:s,s:I,s:I,s:o,s:o,s:I}", "level",
			 kw_quorum_level_name(f->level), "group", f->group, "m",
			 (json_int_t)f->m, "n", (json_int_t)f->n_members,
			 "principals", members, "roles", roles_of(f->roles),
			 "approvals", (json_int_t)f->have);
}

static json_t *str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *approval_json(const kw_approval *a)
{
	char hex[2 * KW_QUORUM_DIGEST_LEN + 1];
	json_t *factors = json_array(), *votes = json_array();
	json_t *params =
		json_loads(a->params != NULL ? a->params : "{}", 0, NULL);
	bool rejected = a->state == KW_APPROVAL_REJECTED;

	kw_hex_encode(a->digest, sizeof(a->digest), hex);
	for (size_t i = 0; factors != NULL && i < a->n_factors; i++)
		json_array_append_new(factors, factor_json(&a->factors[i]));
	for (size_t i = 0; votes != NULL && i < a->n_votes; i++)
		json_array_append_new(
			votes, json_pack("{s:o,s:o}", "principal",
					 member_json(&a->votes[i].who), "at",
					 kw_json_time(a->votes[i].at)));
	return json_pack(
		"{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:I,"
		"s:I,s:o,s:o,s:o,s:o}",
		"id", a->id, "op", kw_qop_name(a->op), "state",
		kw_approval_state_name(a->state), "partition",
		a->partition[0] != '\0' ? a->partition : "*", "key",
		str_or_null(a->key), "key_id", str_or_null(a->key_id),
		"requester", member_json(&a->requester), "created",
		kw_json_time(a->created), "expires_at",
		kw_json_time(a->expires_at), "decided_at",
		kw_json_time(a->decided_at), "params",
		params != NULL ? params : json_object(), "digest", hex, "group",
		a->factors[0].group, "m", (json_int_t)a->factors[0].m,
		"approvals", (json_int_t)a->n_votes, "approved_by", votes,
		"factors", factors, "rejected_by",
		rejected ? member_json(&a->decided_by) : json_null(), "reason",
		rejected ? str_or_null(a->reason) : json_null());
}

/* Answers with one approval (taken) or the error. */
static void reply_approval(kw_req *r, kw_rc rc, kw_approval *a)
{
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, approval_json(a));
	kw_approval_free(a);
}

void kw_reply_pending(kw_req *r)
{
	kw_approval *a = NULL;
	json_t *obj =
		kw_svc_approval_parked(r->svc, &r->call, &a) == KW_OK
			? approval_json(a)
			: json_pack("{s:s,s:s}", "id", r->call.approval_id,
				    "state", "pending");
	kw_approval_free(a);
	kw_reply_json(r, 202, json_pack("{s:o}", "approval", obj));
	r->code = "quorum_pending";
}

void kw_req_approval_read(kw_req *r)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    APPROVAL_HEADER);
	if (v == NULL)
		v = kw_req_query(r, "approval");
	if (v == NULL)
		return;
	/* Too long for an id: a value no approval has (so: not found). */
	if (strlen(v) >= sizeof(r->call.use_approval) || v[0] == '\0')
		v = " ";
	snprintf(r->call.use_approval, sizeof(r->call.use_approval), "%s", v);
}

/* ---- /v1/approvals ---------------------------------------------------------- */

void kw_h_approval_list(kw_req *r)
{
	const char *s = kw_req_query(r, "state");
	kw_approval_state st = 0;
	kw_approval **list = NULL;
	size_t n = 0;
	char *next = NULL;
	uint64_t limit;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL) ||
	    !kw_req_query_uint(r, "limit", 1, LIST_LIMIT_MAX,
			       LIST_LIMIT_DEFAULT, &limit))
		return;
	if (s != NULL && kw_approval_state_parse(s, &st) != KW_OK) {
		kw_reply_error(r, 400, "invalid_argument",
			       "?state must be pending, approved, rejected, "
			       "executed or expired");
		return;
	}
	rc = kw_svc_approval_list(r->svc, &r->call, kw_req_partition(r),
				  (int)st, kw_req_query(r, "cursor"),
				  (size_t)limit, &list, &n, &next);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, approval_json(list[i]));
	kw_reply_json(
		r, 200,
		json_pack("{s:o,s:o}", "approvals", arr, "next_cursor",
			  next != NULL ? json_string(next) : json_null()));
	kw_approval_list_free(list, n, next);
}

/* GET one approval, or approve it: the same shape. */
typedef kw_rc (*approval_fn)(kw_service *svc, kw_svc_call *c, const char *id,
			     kw_approval **out);

static void one_approval(kw_req *r, approval_fn fn)
{
	kw_approval *a = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = fn(r->svc, &r->call, kw_req_param(r, 0), &a);
	reply_approval(r, rc, a);
}

void kw_h_approval_get(kw_req *r)
{
	one_approval(r, kw_svc_approval_get);
}

void kw_h_approval_approve(kw_req *r)
{
	one_approval(r, kw_svc_approval_approve);
}

typedef struct reject_req {
	const char *reason;
} reject_req;

static const kw_field reject_spec[] = {
	KW_FIELD(reject_req, reason, "reason", KW_FIELD_STRING, false, 0,
		 KW_QUORUM_REASON_MAX),
};

void kw_h_approval_reject(kw_req *r)
{
	reject_req in = {0};
	kw_approval *a = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, reject_spec, KW_NFIELDS(reject_spec), &in))
		return;
	rc = kw_svc_approval_reject(r->svc, &r->call, kw_req_param(r, 0),
				    in.reason, &a);
	reply_approval(r, rc, a);
	kw_decoded_free(reject_spec, KW_NFIELDS(reject_spec), &in);
}

/* ---- rules ---------------------------------------------------------------- */

/* {"level": level, "policy": text as JSON or null}; takes text. */
static void reply_rules(kw_req *r, kw_rc rc, const char *level, char *text)
{
	json_t *doc = text != NULL ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      json_pack("{s:s,s:o}", "level", level, "policy",
					doc != NULL ? doc : json_null()));
	if (rc != KW_OK)
		json_decref(doc);
}

typedef struct rules_req {
	const json_t *policy;
} rules_req;

static const kw_field rules_spec[] = {
	KW_FIELD(rules_req, policy, "policy", KW_FIELD_OBJECT, false, 0, 0),
};

/* The body of a PUT: {"policy": {...} or null} (the member must be
 * there: a missing one removes nothing by accident). *out: the document
 * as compact text with sorted keys, NULL for null. */
static bool rules_of(kw_req *r, char **out)
{
	rules_req in = {0};
	*out = NULL;
	if (!kw_req_decode(r, rules_spec, KW_NFIELDS(rules_spec), &in))
		return false;
	if (r->body == NULL || json_object_get(r->body, "policy") == NULL) {
		kw_reply_error(r, 400, "missing_field",
			       "policy: required (null removes the rules)");
		return false;
	}
	if (in.policy == NULL)
		return true;
	*out = json_dumps(in.policy, JSON_COMPACT | JSON_SORT_KEYS);
	if (*out != NULL && strlen(*out) <= KW_QUORUM_POLICY_MAX)
		return true;
	free(*out);
	*out = NULL;
	kw_reply_error(r, 400, "invalid_argument", "policy is too large");
	return false;
}

/* GET and PUT of the rules of the instance (partition NULL) or of a
 * partition. */
static void rules_get(kw_req *r, const char *partition, const char *level)
{
	char *text = NULL;
	kw_rc rc;
	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_quorum_policy_get(r->svc, &r->call, partition, &text);
	reply_rules(r, rc, level, text);
}

static void rules_put(kw_req *r, const char *partition, const char *level)
{
	char *text = NULL;
	kw_rc rc;
	if (!rules_of(r, &text))
		return;
	rc = kw_svc_quorum_policy_set(r->svc, &r->call, partition, text);
	/* the answer: the rules as set */
	reply_rules(r, rc, level, text);
}

void kw_h_quorum_get(kw_req *r)
{
	rules_get(r, NULL, "global");
}

void kw_h_quorum_put(kw_req *r)
{
	rules_put(r, NULL, "global");
}

void kw_h_partition_quorum_get(kw_req *r)
{
	rules_get(r, kw_req_param(r, 0), "partition");
}

void kw_h_partition_quorum_put(kw_req *r)
{
	rules_put(r, kw_req_param(r, 0), "partition");
}

void kw_h_key_quorum_get(kw_req *r)
{
	char *text = NULL;
	kw_rc rc;
	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_key_quorum_get(r->svc, &r->call, kw_req_partition(r),
				   kw_req_param(r, 0), &text);
	reply_rules(r, rc, "key", text);
}

void kw_h_key_quorum_put(kw_req *r)
{
	char *text = NULL;
	kw_key_info *k = NULL;
	kw_rc rc;
	if (!rules_of(r, &text))
		return;
	rc = kw_svc_key_quorum_set(r->svc, &r->call, kw_req_partition(r),
				   kw_req_param(r, 0), text, &k);
	kw_key_info_free(k);
	reply_rules(r, rc, "key", text);
}

void kw_h_audit_key_rotate(kw_req *r)
{
	char id[KW_AUDIT_KEY_ID_LEN + 1];
	kw_rc rc;
	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_audit_key_rotate(r->svc, &r->call, id);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, json_pack("{s:s}", "key_id", id));
}
