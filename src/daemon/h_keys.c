/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/handlers.h"
#include "daemon/specs.h"
#include "daemon/wire.h"
#include "util/codec.h"

#define DAY 86400ull

static void reply_key(kw_req *r, kw_rc rc, unsigned status, kw_key_info *k)
{
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, status, kw_json_key(k));
	kw_key_info_free(k);
}

/* Labels from a JSON object of strings (borrowed pointers). */
static kw_label *labels_of(const json_t *obj, size_t *out_n)
{
	const char *k;
	json_t *v;
	size_t i = 0;
	kw_label *l = calloc(json_object_size(obj) + 1, sizeof(*l));

	if (l == NULL)
		return NULL;
	json_object_foreach((json_t *)obj, k, v)
	{
		l[i].key = (char *)k;
		l[i].value = (char *)json_string_value(v);
		i++;
	}
	*out_n = i;
	return l;
}

/* The policy document as compact text with sorted keys ({} = none). */
static bool policy_of(kw_req *r, const json_t *obj, char **out)
{
	*out = NULL;
	if (obj == NULL || json_object_size(obj) == 0)
		return true;
	*out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (*out != NULL && strlen(*out) <= KW_POLICY_MAX)
		return true;
	free(*out);
	*out = NULL;
	kw_reply_error(r, 400, "invalid_argument", "policy is too large");
	return false;
}

static bool usages_of(kw_req *r, const json_t *arr, uint32_t *out)
{
	*out = 0;
	if (arr == NULL || kw_usages_parse(arr, out) == KW_OK)
		return true;
	kw_reply_error(r, 400, "invalid_argument",
		       "usages are sign, verify, encrypt, decrypt, wrap, "
		       "unwrap, mac");
	return false;
}

bool kw_h_key_spec_of(kw_req *r, const kw_key_create_req *in, kw_key_spec *spec,
		      kw_label **labels, char **policy)
{
	if (!usages_of(r, in->usages, &spec->usages) ||
	    !policy_of(r, in->policy, policy))
		return false;
	if (kw_key_type_parse(in->type, &spec->type) != KW_OK) {
		kw_reply_error(r, 400, "unsupported", "unknown key type");
		return false;
	}
	if (in->state != NULL && strcmp(in->state, "pre-active") != 0 &&
	    strcmp(in->state, "active") != 0) {
		kw_reply_error(r, 400, "invalid_argument",
			       "state is active or pre-active");
		return false;
	}
	if (in->labels != NULL &&
	    (*labels = labels_of(in->labels, &spec->label_count)) == NULL) {
		kw_reply_rc(r, KW_E_NOMEM);
		return false;
	}
	spec->partition = kw_req_partition(r);
	spec->name = in->name;
	spec->exportable = in->exportable.set && in->exportable.v;
	spec->rotation_period_s = in->rotation_period.v;
	spec->labels = *labels;
	spec->policy = *policy;
	spec->initial_state =
		in->state != NULL && strcmp(in->state, "pre-active") == 0
			? KW_KEY_PRE_ACTIVE
			: KW_KEY_STATE_NONE;
	return true;
}

void kw_h_key_create(kw_req *r)
{
	kw_key_create_req in = {0};
	kw_key_spec spec = {0};
	kw_key_info *k = NULL;
	kw_label *labels = NULL;
	char *policy = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, kw_key_create_spec,
			   KW_NFIELDS(kw_key_create_spec), &in) ||
	    !kw_h_key_spec_of(r, &in, &spec, &labels, &policy))
		goto out;
	rc = kw_svc_key_create(r->svc, &r->call, &spec, &k);
	reply_key(r, rc, 201, k);
out:
	free(labels);
	free(policy);
}

/* The filters of GET /v1/keys; answers 400 and returns false when one is
 * malformed. label (room for label_len) holds the label filter's text. */
static bool filter_of(kw_req *r, kw_key_filter *f, char *label,
		      size_t label_len)
{
	const char *q;
	const char *bad = NULL;

	if ((q = kw_req_query(r, "type")) != NULL &&
	    kw_key_type_parse(q, &f->type) != KW_OK)
		bad = "unknown ?type";
	else if ((q = kw_req_query(r, "state")) != NULL &&
		 kw_key_state_parse(q, &f->state) != KW_OK)
		bad = "unknown ?state";
	else if ((q = kw_req_query(r, "label")) != NULL &&
		 (strchr(q, ':') == NULL || strlen(q) >= label_len))
		bad = "?label is key:value";
	if (bad != NULL) {
		kw_reply_error(r, 400, "invalid_argument", bad);
		return false;
	}
	f->name_prefix = kw_req_query(r, "prefix");
	if (q != NULL) {
		size_t colon = (size_t)(strchr(q, ':') - q);
		snprintf(label, label_len, "%s", q);
		label[colon] = '\0';
		f->label_key = label;
		f->label_value = label + colon + 1;
	}
	return true;
}

void kw_h_key_list(kw_req *r)
{
	kw_key_filter f = {0};
	kw_key_info **list = NULL;
	char *next = NULL;
	size_t n = 0;
	uint64_t limit;
	char label[2 * KW_LABEL_MAX + 2];
	json_t *arr;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL) ||
	    !kw_req_query_uint(r, "limit", 1, 1000, 100, &limit) ||
	    !filter_of(r, &f, label, sizeof(label)))
		goto out;
	rc = kw_svc_key_list(r->svc, &r->call, kw_req_partition(r), &f,
			     kw_req_query(r, "cursor"), (size_t)limit, &list,
			     &n, &next);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, kw_json_key(list[i]));
	kw_reply_json(
		r, 200,
		json_pack("{s:o,s:o}", "keys", arr, "next_cursor",
			  next != NULL ? json_string(next) : json_null()));
out:
	kw_key_list_free(list, n, next);
}

void kw_h_key_get(kw_req *r)
{
	kw_key_info *k = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_key_get(r->svc, &r->call, kw_req_partition(r),
			    kw_req_param(r, 0), &k);
	reply_key(r, rc, 200, k);
}

void kw_h_key_patch(kw_req *r)
{
	kw_key_patch_req in = {0};
	kw_key_update u = {0};
	kw_key_info *k = NULL;
	kw_label *labels = NULL;
	char *policy = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, kw_key_patch_spec, KW_NFIELDS(kw_key_patch_spec),
			   &in) ||
	    !usages_of(r, in.usages, &u.usages) ||
	    !policy_of(r, in.policy, &policy))
		goto out;
	if (in.exportable.set && in.exportable.v) {
		kw_reply_error(r, 400, "invalid_argument",
			       "exportable can only be turned off");
		goto out;
	}
	if (in.labels != NULL &&
	    (labels = labels_of(in.labels, &u.label_count)) == NULL) {
		kw_reply_rc(r, KW_E_NOMEM);
		goto out;
	}
	u.set_exportable_false = in.exportable.set;
	u.set_rotation = in.rotation_period.set;
	u.rotation_period_s = in.rotation_period.v;
	u.set_labels = in.labels != NULL;
	u.labels = labels;
	u.set_policy = in.policy != NULL;
	u.policy = policy;
	u.set_usages = in.usages != NULL;
	rc = kw_svc_key_update(r->svc, &r->call, kw_req_partition(r),
			       kw_req_param(r, 0), &u, &k);
	reply_key(r, rc, 200, k);
out:
	free(labels);
	free(policy);
}

void kw_h_key_rotate(kw_req *r)
{
	kw_key_info *k = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_key_rotate(r->svc, &r->call, kw_req_partition(r),
			       kw_req_param(r, 0), &k);
	reply_key(r, rc, 200, k);
}

static void set_state(kw_req *r, kw_key_state to)
{
	kw_key_info *k = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_key_set_state(r->svc, &r->call, kw_req_partition(r),
				  kw_req_param(r, 0), to, &k);
	reply_key(r, rc, 200, k);
}

void kw_h_key_enable(kw_req *r)
{
	set_state(r, KW_KEY_ACTIVE);
}

void kw_h_key_disable(kw_req *r)
{
	set_state(r, KW_KEY_DISABLED);
}

void kw_h_key_compromise(kw_req *r)
{
	set_state(r, KW_KEY_COMPROMISED);
}

void kw_h_key_cancel_destroy(kw_req *r)
{
	set_state(r, KW_KEY_DISABLED);
}

void kw_h_key_destroy(kw_req *r)
{
	kw_destroy_req in = {0};
	kw_key_info *k = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, kw_destroy_spec, KW_NFIELDS(kw_destroy_spec),
			   &in))
		return;
	rc = kw_svc_key_destroy(
		r->svc, &r->call, kw_req_partition(r), kw_req_param(r, 0),
		in.waiting_period.set ? in.waiting_period.v : 30 * DAY, &k);
	reply_key(r, rc, 200, k);
}

static json_t *b64url(const uint8_t *p, size_t n)
{
	char *s = NULL;
	json_t *j;

	if (kw_base64_encode_alloc(p, n, true, &s) != KW_OK)
		return NULL;
	j = json_string(s);
	free(s);
	return j;
}

/* RFC 7517/7518/8037 members of a public key. */
static json_t *jwk_of(const kw_svc_pubkey *p, const char *kid)
{
	switch (kw_key_type_class(p->type)) {
	case KW_CLASS_RSA:
		return json_pack("{s:s,s:s,s:o,s:o}", "kty", "RSA", "kid", kid,
				 "n", b64url(p->a, p->a_len), "e",
				 b64url(p->b, p->b_len));
	case KW_CLASS_EC:
		return json_pack("{s:s,s:s,s:s,s:o,s:o}", "kty", "EC", "kid",
				 kid, "crv",
				 p->type == KW_KEY_EC_P256   ? "P-256"
				 : p->type == KW_KEY_EC_P384 ? "P-384"
							     : "P-521",
				 "x", b64url(p->a, p->a_len), "y",
				 b64url(p->b, p->b_len));
	case KW_CLASS_EDDSA:
		return json_pack("{s:s,s:s,s:s,s:o}", "kty", "OKP", "kid", kid,
				 "crv", "Ed25519", "x", b64url(p->a, p->a_len));
	default:
		return NULL;
	}
}

void kw_h_key_public(kw_req *r)
{
	kw_svc_pubkey p = {0};
	uint64_t version;
	const char *format = kw_req_query(r, "format");
	bool jwk = format != NULL && strcmp(format, "jwk") == 0;
	char kid[KW_ROUTE_PARAM_MAX + 16];
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL) ||
	    !kw_req_query_uint(r, "version", 1, KW_KEY_VERSIONS_MAX, 0,
			       &version))
		goto out;
	if (format != NULL && !jwk && strcmp(format, "pem") != 0) {
		kw_reply_error(r, 400, "invalid_argument",
			       "?format is pem or jwk");
		goto out;
	}
	rc = kw_svc_key_public(r->svc, &r->call, kw_req_partition(r),
			       kw_req_param(r, 0), (uint32_t)version, &p);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	snprintf(kid, sizeof(kid), "%s.v%u", r->call.ev.key, p.version);
	kw_reply_json(r, 200,
		      jwk ? json_pack("{s:o,s:I}", "jwk", jwk_of(&p, kid),
				      "version", (json_int_t)p.version)
			  : json_pack("{s:s,s:I}", "pem", p.pem, "version",
				      (json_int_t)p.version));
out:
	kw_svc_pubkey_clear(&p);
}
