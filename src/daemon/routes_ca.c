/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* /v1/ca, /v1/certs and POST /v1/keys/{name}/codesign (docs/pki.md):
 * parse, call one kw_svc_* function, answer. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/pki.h"
#include "daemon/routes_ca.h"
#include "daemon/wire.h"
#include "service/svc_ca.h"

#define ROOT_DAYS	  3650
#define MID_DAYS	  1825
#define CERT_LIST_DEFAULT 100

/* RFC 5280 reason codes by name (7 is unused; 8 removeFromCRL is not
 * supported). */
static const char *const reasons[11] = {
	"unspecified",
	"keyCompromise",
	"cACompromise",
	"affiliationChanged",
	"superseded",
	"cessationOfOperation",
	"certificateHold",
	NULL,
	NULL,
	"privilegeWithdrawn",
	"aACompromise",
};

/* ---- answers -------------------------------------------------------------- */

static json_t *pem_json(const char *label, const uint8_t *der, size_t len)
{
	char *pem = NULL;
	json_t *j = kw_pem_encode(label, der, len, &pem) == KW_OK
			    ? json_string(pem)
			    : NULL;
	free(pem);
	return j;
}

static json_t *names_json(char (*v)[KW_PKI_NAME_MAX + 1], size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *profiles_json(const kw_profile_rules *p)
{
	json_t *o = json_object();

	for (int i = KW_PROFILE_TLS_SERVER; o != NULL && i < KW_PROFILE_CA; i++)
		json_object_set_new(
			o, kw_profile_name((kw_profile)i),
			json_pack(
				"{s:b,s:I,s:o,s:o}", "enabled", p[i].enabled,
				"max_days",
				(json_int_t)kw_profile_max_days((kw_profile)i,
								&p[i]),
				"names",
				names_json((char(*)[KW_PKI_NAME_MAX + 1]) p[i]
						   .names,
					   p[i].n_names),
				"cn",
				names_json(
					(char(*)[KW_PKI_NAME_MAX + 1]) p[i].cn,
					p[i].n_cn)));
	return o;
}

static json_t *ca_json(const kw_ca_info *c)
{
	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:s,s:s?,s:I,s:s,s:s,s:o,s:o,s:o,s:o}",
		"name", c->name, "id", c->id, "partition", c->partition, "key",
		c->key, "key_id", c->key_id, "key_type",
		kw_key_type_name(c->key_type), "parent",
		c->parent[0] != '\0' ? c->parent : NULL, "depth",
		(json_int_t)c->depth, "subject", c->subject, "serial",
		c->serial, "not_before", kw_json_time(c->not_before),
		"not_after", kw_json_time(c->not_after), "created",
		kw_json_time(c->created), "pem",
		pem_json("CERTIFICATE", c->cert, c->cert_len));

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "path_len",
			    c->path_len >= 0 ? json_integer(c->path_len)
					     : json_null());
	json_object_set_new(
		o, "permitted",
		names_json((char(*)[KW_PKI_NAME_MAX + 1]) c->permitted,
			   c->n_permitted));
	json_object_set_new(
		o, "excluded",
		names_json((char(*)[KW_PKI_NAME_MAX + 1]) c->excluded,
			   c->n_excluded));
	json_object_set_new(o, "profiles", profiles_json(c->profiles));
	json_object_set_new(o, "crl_url",
			    c->crl_url[0] != '\0' ? json_string(c->crl_url)
						  : json_null());
	json_object_set_new(o, "crl_days", json_integer(c->crl_days));
	json_object_set_new(o, "crl_number",
			    json_integer((json_int_t)c->crl_number));
	json_object_set_new(o, "crl_next_update",
			    kw_json_time(c->crl_next_update));
	json_object_set_new(o, "revoked", json_integer((json_int_t)c->revoked));
	json_object_set_new(o, "quorum", json_boolean(c->quorum));
	json_object_set_new(o, "created_by", json_string(c->created_by));
	return o;
}

static json_t *sans_json(const char *sans)
{
	json_t *a = json_array();
	const char *s = sans != NULL ? sans : "";

	while (a != NULL && *s != '\0') {
		size_t n = strcspn(s, ",");
		json_array_append_new(a, json_stringn(s, n));
		s += n + (s[n] == ',');
	}
	return a;
}

static json_t *cert_json(const kw_cert_info *c, bool full)
{
	const char *status = c->status == KW_CERT_REVOKED ? "revoked"
			     : time(NULL) >= c->not_after ? "expired"
							  : "valid";
	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:s?,s:s,s:o}", "id",
		c->id, "serial", c->serial, "ca", c->ca, "profile",
		kw_profile_name(c->profile), "subject", c->subject, "sans",
		sans_json(c->sans), "not_before", kw_json_time(c->not_before),
		"not_after", kw_json_time(c->not_after), "status", status,
		"key", c->key[0] != '\0' ? c->key : NULL, "issued_by",
		c->issued_by, "created", kw_json_time(c->created));

	if (o != NULL && c->status == KW_CERT_REVOKED) {
		json_object_set_new(o, "revoked_at",
				    kw_json_time(c->revoked_at));
		json_object_set_new(
			o, "reason",
			json_string(c->reason < 11 && reasons[c->reason] != NULL
					    ? reasons[c->reason]
					    : "unspecified"));
	}
	if (o != NULL && full)
		json_object_set_new(
			o, "pem", pem_json("CERTIFICATE", c->der, c->der_len));
	return o;
}

/* The chain of CA name as PEM text (the CA first); NULL on failure,
 * after answering. */
static json_t *chain_pem(kw_req *r, const char *ca, kw_rc *out_rc)
{
	uint8_t **certs = NULL;
	size_t *lens = NULL, n = 0, used = 0;
	char *all = NULL;
	json_t *j = NULL;
	kw_rc rc = kw_svc_ca_chain(r->svc, &r->call, kw_req_partition(r), ca,
				   &certs, &lens, &n);

	for (size_t i = 0; rc == KW_OK && i < n; i++) {
		char *pem = NULL, *grown;
		rc = kw_pem_encode("CERTIFICATE", certs[i], lens[i], &pem);
		grown = rc == KW_OK ? realloc(all, used + strlen(pem) + 1)
				    : NULL;
		if (grown == NULL && rc == KW_OK)
			rc = KW_E_NOMEM;
		if (rc == KW_OK) {
			all = grown;
			memcpy(all + used, pem, strlen(pem) + 1);
			used += strlen(pem);
		}
		free(pem);
	}
	if (rc == KW_OK && (j = json_string(all != NULL ? all : "")) == NULL)
		rc = KW_E_NOMEM;
	free(all);
	kw_ca_chain_free(certs, lens, n);
	*out_rc = rc;
	return j;
}

/* ---- request bodies --------------------------------------------------------- */

typedef struct rules_in {
	kw_opt_bool enabled;
	kw_opt_uint max_days;
	const json_t *names, *cn;
} rules_in;

static const kw_field rules_spec[] = {
	KW_FIELD(rules_in, enabled, "enabled", KW_FIELD_BOOL, false, 0, 0),
	KW_FIELD(rules_in, max_days, "max_days", KW_FIELD_UINT, false, 1,
		 KW_PKI_DAYS_MAX),
	KW_FIELD(rules_in, names, "names", KW_FIELD_STRINGS, false, 0,
		 KW_PROFILE_PATTERNS_MAX),
	KW_FIELD(rules_in, cn, "cn", KW_FIELD_STRINGS, false, 0,
		 KW_PROFILE_PATTERNS_MAX),
};

/* Copies an array of strings into fixed slots; false if one is too long. */
static bool copy_names(const json_t *a, char (*out)[KW_PKI_NAME_MAX + 1],
		       size_t *n)
{
	size_t i;
	json_t *v;

	*n = 0;
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		if (strlen(s) > KW_PKI_NAME_MAX)
			return false;
		memcpy(out[(*n)++], s, strlen(s) + 1);
	}
	return true;
}

/* "profiles": {"tls-server": {...}, ...} into out[]; *set gets a bit per
 * profile named. Answers 400 and returns false when malformed. */
static bool profiles_of(kw_req *r, const json_t *obj, kw_profile_rules *out,
			unsigned *set)
{
	const char *name;
	json_t *v;
	char msg[300];

	*set = 0;
	for (int i = 0; i < KW_PROFILE_COUNT_; i++)
		kw_profile_rules_default((kw_profile)i, &out[i]);
	json_object_foreach((json_t *)obj, name, v)
	{
		kw_profile p;
		rules_in in = {0};
		kw_decode_error err;
		bool ok;
		if (kw_profile_parse(name, &p) != KW_OK) {
			snprintf(msg, sizeof(msg),
				 "profiles: unknown profile \"%.40s\"", name);
			kw_reply_error(r, 400, "invalid_argument", msg);
			return false;
		}
		if (kw_json_decode(v, rules_spec, KW_NFIELDS(rules_spec), NULL,
				   &in, &err) != KW_OK) {
			snprintf(msg, sizeof(msg), "profiles.%s: %s", name,
				 err.message);
			kw_reply_error(r, 400, kw_decode_code_str(err.code),
				       msg);
			return false;
		}
		out[p].enabled = !in.enabled.set || in.enabled.v;
		out[p].max_days = (uint32_t)in.max_days.v;
		ok = copy_names(in.names, out[p].names, &out[p].n_names) &&
		     copy_names(in.cn, out[p].cn, &out[p].n_cn);
		kw_decoded_free(rules_spec, KW_NFIELDS(rules_spec), &in);
		if (!ok) {
			snprintf(msg, sizeof(msg),
				 "profiles.%s: a pattern is over %d bytes",
				 name, KW_PKI_NAME_MAX);
			kw_reply_error(r, 400, "invalid_argument", msg);
			return false;
		}
		*set |= 1u << p;
	}
	return true;
}

/* Borrowed string pointers of a JSON array of strings (NULL-free). */
static const char **strs_of(const json_t *a, size_t *n)
{
	size_t i;
	json_t *v;
	const char **s = calloc(json_array_size(a) + 1, sizeof(*s));

	*n = 0;
	json_array_foreach(a, i, v) if (s != NULL) s[(*n)++] =
		json_string_value(v);
	return s;
}

/* ---- CAs -------------------------------------------------------------------- */

typedef struct ca_in {
	const char *name, *parent, *key, *key_type, *subject, *crl_url;
	const json_t *key_policy, *permitted, *excluded, *profiles, *quorum;
	kw_opt_uint days, path_len, crl_days;
} ca_in;

static const kw_field ca_spec_fields[] = {
	KW_FIELD(ca_in, name, "name", KW_FIELD_STRING, true, 1, KW_NAME_MAX),
	KW_FIELD(ca_in, parent, "parent", KW_FIELD_STRING, false, 1,
		 KW_NAME_MAX),
	KW_FIELD(ca_in, key, "key", KW_FIELD_STRING, false, 1, KW_NAME_MAX),
	KW_FIELD(ca_in, key_type, "key_type", KW_FIELD_STRING, false, 1, 16),
	KW_FIELD(ca_in, subject, "subject", KW_FIELD_STRING, true, 1,
		 KW_PKI_DN_MAX),
	KW_FIELD(ca_in, crl_url, "crl_url", KW_FIELD_STRING, false, 1,
		 KW_PKI_NAME_MAX),
	KW_FIELD(ca_in, key_policy, "key_policy", KW_FIELD_OBJECT, false, 0, 0),
	KW_FIELD(ca_in, permitted, "permitted", KW_FIELD_STRINGS, false, 0,
		 KW_CA_CONSTRAINTS_MAX),
	KW_FIELD(ca_in, excluded, "excluded", KW_FIELD_STRINGS, false, 0,
		 KW_CA_CONSTRAINTS_MAX),
	KW_FIELD(ca_in, profiles, "profiles", KW_FIELD_OBJECT, false, 0, 0),
	KW_FIELD(ca_in, quorum, "quorum", KW_FIELD_OBJECT, false, 0, 0),
	KW_FIELD(ca_in, days, "days", KW_FIELD_UINT, false, 1, KW_PKI_DAYS_MAX),
	KW_FIELD(ca_in, path_len, "path_len", KW_FIELD_UINT, false, 0, 16),
	KW_FIELD(ca_in, crl_days, "crl_days", KW_FIELD_UINT, false, 1, 366),
};

typedef struct quorum_in {
	kw_opt_uint m;
	const json_t *roles, *principals;
} quorum_in;

static const kw_field quorum_spec[] = {
	KW_FIELD(quorum_in, m, "m", KW_FIELD_UINT, false, 1, 16),
	KW_FIELD(quorum_in, roles, "roles", KW_FIELD_STRINGS, false, 0, 8),
	KW_FIELD(quorum_in, principals, "principals", KW_FIELD_STRINGS, false,
		 0, 32),
};

/* The parts of a creation request that are not plain fields. */
typedef struct ca_parts {
	kw_profile_rules profiles[KW_PROFILE_COUNT_];
	const char **permitted, **excluded, **roles, **principals;
	char *policy;
	char key[KW_NAME_MAX + 8];
	quorum_in q;
} ca_parts;

static void parts_free(ca_parts *p)
{
	free(p->permitted);
	free(p->excluded);
	free(p->roles);
	free(p->principals);
	free(p->policy);
	kw_decoded_free(quorum_spec, KW_NFIELDS(quorum_spec), &p->q);
}

/* The spec and quorum of a creation; false after answering 400. */
static bool ca_spec_of(kw_req *r, const ca_in *in, ca_parts *p, kw_ca_spec *s,
		       kw_svc_ca_quorum *q)
{
	kw_decode_error err;
	unsigned set = 0;

	s->partition = kw_req_partition(r);
	s->name = in->name;
	s->parent = in->parent;
	s->subject = in->subject;
	s->crl_url = in->crl_url;
	s->crl_days = (uint32_t)in->crl_days.v;
	s->days = in->days.set	       ? (uint32_t)in->days.v
		  : in->parent != NULL ? MID_DAYS
				       : ROOT_DAYS;
	s->path_len = in->path_len.set ? (int)in->path_len.v : -1;
	s->key_type = KW_KEY_NONE;
	if (in->key_type != NULL &&
	    kw_key_type_parse(in->key_type, &s->key_type) != KW_OK) {
		kw_reply_error(r, 400, "unsupported", "unknown key_type");
		return false;
	}
	/* a new key is named after the CA unless named */
	snprintf(p->key, sizeof(p->key), "%s-key", in->name);
	s->key = in->key != NULL ? in->key : p->key;
	p->permitted = strs_of(in->permitted, &s->n_permitted);
	p->excluded = strs_of(in->excluded, &s->n_excluded);
	s->permitted = p->permitted;
	s->excluded = p->excluded;
	if (in->key_policy != NULL &&
	    (p->policy = json_dumps(in->key_policy,
				    JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		kw_reply_error(r, 400, "invalid_argument", "key_policy");
		return false;
	}
	s->key_policy = p->policy;
	if (in->profiles != NULL &&
	    !profiles_of(r, in->profiles, p->profiles, &set))
		return false;
	s->profiles = in->profiles != NULL ? p->profiles : NULL;
	if (in->quorum == NULL)
		return true;
	if (kw_json_decode(in->quorum, quorum_spec, KW_NFIELDS(quorum_spec),
			   NULL, &p->q, &err) != KW_OK) {
		kw_reply_error(r, 400, kw_decode_code_str(err.code),
			       err.message);
		return false;
	}
	q->m = (unsigned)p->q.m.v;
	p->roles = strs_of(p->q.roles, &q->n_roles);
	p->principals = strs_of(p->q.principals, &q->n_principals);
	q->roles = p->roles;
	q->principals = p->principals;
	return true;
}

void kw_h_ca_create(kw_req *r)
{
	ca_in in = {0};
	ca_parts *p = calloc(1, sizeof(*p));
	kw_ca_spec spec = {0};
	kw_svc_ca_quorum q = {0};
	kw_ca_info *ca = NULL;
	kw_rc rc;

	if (p == NULL) {
		kw_reply_rc(r, KW_E_NOMEM);
		return;
	}
	/* "quorum": false turns the root's signing quorum off; an object
	 * sets it (decoded below) */
	if (json_is_false(json_object_get(r->body, "quorum"))) {
		q.off = true;
		json_object_del(r->body, "quorum");
	}
	if (!kw_req_decode(r, ca_spec_fields, KW_NFIELDS(ca_spec_fields), &in))
		goto out;
	if (!ca_spec_of(r, &in, p, &spec, &q))
		goto out;
	rc = kw_svc_ca_create(r->svc, &r->call, &spec,
			      in.parent == NULL ? &q : NULL, &ca);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 201, ca_json(ca));
out:
	kw_ca_info_free(ca);
	parts_free(p);
	free(p);
	kw_decoded_free(ca_spec_fields, KW_NFIELDS(ca_spec_fields), &in);
}

void kw_h_ca_list(kw_req *r)
{
	kw_ca_info **list = NULL;
	size_t n = 0;
	kw_rc rc = kw_svc_ca_list(r->svc, &r->call, kw_req_partition(r), &list,
				  &n);
	json_t *a = rc == KW_OK ? json_array() : NULL;

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, ca_json(list[i]));
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, json_pack("{s:o}", "cas", a));
	kw_ca_list_free(list, n);
}

void kw_h_ca_get(kw_req *r)
{
	kw_ca_info *ca = NULL;
	kw_rc rc = kw_svc_ca_get(r->svc, &r->call, kw_req_partition(r),
				 kw_req_param(r, 0), &ca);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, ca_json(ca));
	kw_ca_info_free(ca);
}

typedef struct update_in {
	const json_t *profiles;
	const char *crl_url;
	kw_opt_uint crl_days;
} update_in;

static const kw_field update_fields[] = {
	KW_FIELD(update_in, profiles, "profiles", KW_FIELD_OBJECT, false, 0, 0),
	KW_FIELD(update_in, crl_url, "crl_url", KW_FIELD_STRING, false, 0,
		 KW_PKI_NAME_MAX),
	KW_FIELD(update_in, crl_days, "crl_days", KW_FIELD_UINT, false, 1, 366),
};

void kw_h_ca_update(kw_req *r)
{
	update_in in = {0};
	kw_profile_rules *rules = calloc(KW_PROFILE_COUNT_, sizeof(*rules));
	kw_ca_update u = {0};
	kw_ca_info *ca = NULL;
	kw_rc rc;

	if (rules == NULL) {
		kw_reply_rc(r, KW_E_NOMEM);
		return;
	}
	if (!kw_req_decode(r, update_fields, KW_NFIELDS(update_fields), &in))
		goto out;
	if (in.profiles != NULL &&
	    !profiles_of(r, in.profiles, rules, &u.profiles_set))
		goto out;
	/* only the profiles named change */
	u.profiles = in.profiles != NULL && u.profiles_set != 0 ? rules : NULL;
	u.crl_url = in.crl_url;
	u.crl_days = (uint32_t)in.crl_days.v;
	rc = kw_svc_ca_update(r->svc, &r->call, kw_req_partition(r),
			      kw_req_param(r, 0), &u, &ca);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, ca_json(ca));
out:
	kw_ca_info_free(ca);
	free(rules);
	kw_decoded_free(update_fields, KW_NFIELDS(update_fields), &in);
}

void kw_h_ca_chain(kw_req *r)
{
	kw_rc rc = KW_OK;
	json_t *pem = chain_pem(r, kw_req_param(r, 0), &rc);

	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, json_pack("{s:o}", "pem", pem));
}

void kw_h_ca_crl(kw_req *r)
{
	const char *format = kw_req_query(r, "format");
	uint8_t *der = NULL;
	size_t len = 0;
	uint64_t number = 0;
	char *pem = NULL;
	kw_rc rc;

	if (format != NULL && strcmp(format, "json") != 0 &&
	    strcmp(format, "pem") != 0 && strcmp(format, "der") != 0) {
		kw_reply_error(r, 400, "invalid_argument",
			       "format must be json, pem or der");
		return;
	}
	rc = kw_svc_ca_crl(r->svc, &r->call, kw_req_partition(r),
			   kw_req_param(r, 0), &der, &len, &number);
	if (rc == KW_OK && (format == NULL || strcmp(format, "der") != 0))
		rc = kw_pem_encode("X509 CRL", der, len, &pem);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
	} else if (format != NULL && strcmp(format, "der") == 0) {
		kw_reply_text(r, 200, "application/pkix-crl", (char *)der, len);
		der = NULL;
	} else if (format != NULL && strcmp(format, "pem") == 0) {
		kw_reply_text(r, 200, "application/x-pem-file", pem,
			      strlen(pem));
		pem = NULL;
	} else {
		kw_reply_json(r, 200,
			      json_pack("{s:s,s:I,s:s}", "ca",
					kw_req_param(r, 0), "number",
					(json_int_t)number, "pem", pem));
	}
	free(pem);
	free(der);
}

/* ---- issuance and the inventory ----------------------------------------------- */

typedef struct issue_in {
	const char *profile, *csr, *key, *subject;
	kw_bytes csr_der;
	const json_t *sans;
	kw_opt_uint days;
} issue_in;

static const kw_field issue_fields[] = {
	KW_FIELD(issue_in, profile, "profile", KW_FIELD_STRING, true, 1, 32),
	KW_FIELD(issue_in, csr, "csr", KW_FIELD_STRING, false, 1, 65536),
	KW_FIELD(issue_in, csr_der, "csr_der", KW_FIELD_B64, false, 1, 65536),
	KW_FIELD(issue_in, key, "key", KW_FIELD_STRING, false, 1, KW_NAME_MAX),
	KW_FIELD(issue_in, subject, "subject", KW_FIELD_STRING, false, 0,
		 KW_PKI_DN_MAX),
	KW_FIELD(issue_in, sans, "sans", KW_FIELD_STRINGS, false, 0,
		 KW_SANS_MAX),
	KW_FIELD(issue_in, days, "days", KW_FIELD_UINT, false, 1,
		 KW_PKI_DAYS_MAX),
};

void kw_h_ca_issue(kw_req *r)
{
	issue_in in = {0};
	kw_issue_req q = {0};
	kw_cert_info *c = NULL;
	const char **sans = NULL;
	json_t *res = NULL, *chain = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, issue_fields, KW_NFIELDS(issue_fields), &in))
		goto out;
	if (kw_profile_parse(in.profile, &q.profile) != KW_OK) {
		kw_reply_error(r, 400, "invalid_argument",
			       "profile must be tls-server, tls-client, "
			       "code-signing, device or time-stamping");
		goto out;
	}
	if ((in.csr != NULL) + in.csr_der.set + (in.key != NULL) != 1) {
		kw_reply_error(r, 400, "invalid_argument",
			       "give one of csr, csr_der or key");
		goto out;
	}
	q.partition = kw_req_partition(r);
	q.ca = kw_req_param(r, 0);
	q.csr = in.csr != NULL ? (const uint8_t *)in.csr : in.csr_der.data;
	q.csr_len = in.csr != NULL ? strlen(in.csr) : in.csr_der.len;
	if (!in.csr_der.set && in.csr == NULL)
		q.csr = NULL;
	q.key = in.key;
	q.subject = in.subject;
	q.sans_set = in.sans != NULL;
	sans = strs_of(in.sans, &q.n_sans);
	q.sans = sans;
	q.days = (uint32_t)in.days.v;
	rc = kw_svc_cert_issue(r->svc, &r->call, &q, &c);
	if (rc == KW_OK)
		chain = chain_pem(r, q.ca, &rc);
	if (rc == KW_OK && (res = cert_json(c, true)) != NULL)
		json_object_set_new(res, "chain_pem", json_incref(chain));
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 201, res);
out:
	json_decref(chain);
	free(sans);
	kw_cert_info_free(c);
	kw_decoded_free(issue_fields, KW_NFIELDS(issue_fields), &in);
}

void kw_h_cert_list(kw_req *r)
{
	kw_cert_filter f = {.ca = kw_req_query(r, "ca"),
			    .key = kw_req_query(r, "key")};
	const char *profile = kw_req_query(r, "profile");
	const char *status = kw_req_query(r, "status");
	kw_cert_info **list = NULL;
	size_t n = 0;
	char *next = NULL;
	uint64_t limit = 0;
	json_t *a;
	kw_rc rc;

	if (!kw_req_query_uint(r, "limit", 1, 1000, CERT_LIST_DEFAULT, &limit))
		return;
	if ((profile != NULL &&
	     kw_profile_parse(profile, &f.profile) != KW_OK &&
	     strcmp(profile, "ca") != 0) ||
	    (status != NULL && strcmp(status, "valid") != 0 &&
	     strcmp(status, "revoked") != 0)) {
		kw_reply_error(r, 400, "invalid_argument",
			       "unknown profile or status (valid, revoked)");
		return;
	}
	if (profile != NULL && strcmp(profile, "ca") == 0)
		f.profile = KW_PROFILE_CA;
	if (status != NULL)
		f.status = strcmp(status, "valid") == 0 ? KW_CERT_VALID
							: KW_CERT_REVOKED;
	rc = kw_svc_cert_list(r->svc, &r->call, kw_req_partition(r), &f,
			      kw_req_query(r, "cursor"), (size_t)limit, &list,
			      &n, &next);
	a = rc == KW_OK ? json_array() : NULL;
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, cert_json(list[i], false));
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      json_pack("{s:o,s:s?}", "certs", a, "next_cursor",
					next));
	kw_cert_list_free(list, n, next);
}

void kw_h_cert_get(kw_req *r)
{
	kw_cert_info *c = NULL;
	kw_rc rc = kw_svc_cert_get(r->svc, &r->call, kw_req_partition(r),
				   kw_req_param(r, 0), &c);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, cert_json(c, true));
	kw_cert_info_free(c);
}

typedef struct revoke_in {
	const char *reason;
} revoke_in;

static const kw_field revoke_fields[] = {
	KW_FIELD(revoke_in, reason, "reason", KW_FIELD_STRING, false, 1, 32),
};

void kw_h_cert_revoke(kw_req *r)
{
	revoke_in in = {0};
	kw_cert_info *c = NULL;
	unsigned reason = 0;
	kw_rc rc;

	if (!kw_req_decode(r, revoke_fields, KW_NFIELDS(revoke_fields), &in))
		goto out;
	while (in.reason != NULL && reason < 11 &&
	       (reasons[reason] == NULL ||
		strcmp(reasons[reason], in.reason) != 0))
		reason++;
	if (reason == 11) {
		kw_reply_error(r, 400, "invalid_argument",
			       "unknown reason (unspecified, keyCompromise, "
			       "cACompromise, affiliationChanged, superseded, "
			       "cessationOfOperation, certificateHold, "
			       "privilegeWithdrawn, aACompromise)");
		goto out;
	}
	rc = kw_svc_cert_revoke(r->svc, &r->call, kw_req_partition(r),
				kw_req_param(r, 0), reason, &c);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, cert_json(c, false));
out:
	kw_cert_info_free(c);
	kw_decoded_free(revoke_fields, KW_NFIELDS(revoke_fields), &in);
}

/* ---- code signing ------------------------------------------------------------ */

typedef struct codesign_in {
	kw_bytes digest;
	const char *hash, *cert, *cert_pem;
} codesign_in;

static const kw_field codesign_fields[] = {
	KW_FIELD(codesign_in, digest, "digest", KW_FIELD_B64, true, 1, 64),
	KW_FIELD(codesign_in, hash, "hash", KW_FIELD_STRING, false, 1, 16),
	KW_FIELD(codesign_in, cert, "cert", KW_FIELD_STRING, false, 1,
		 KW_CERT_ID_MAX),
	KW_FIELD(codesign_in, cert_pem, "cert_pem", KW_FIELD_STRING, false, 1,
		 256 * 1024),
};

void kw_h_codesign(kw_req *r)
{
	codesign_in in = {0};
	kw_codesign_req q = {0};
	uint8_t *cms = NULL;
	size_t len = 0;
	char serial[KW_CERT_SERIAL_MAX + 1] = "";
	kw_rc rc;

	if (!kw_req_decode(r, codesign_fields, KW_NFIELDS(codesign_fields),
			   &in))
		goto out;
	if ((in.cert == NULL) == (in.cert_pem == NULL)) {
		kw_reply_error(r, 400, "invalid_argument",
			       "give one of cert or cert_pem");
		goto out;
	}
	q.hash = KW_HASH_SHA256;
	if (in.hash != NULL && kw_hash_parse(in.hash, &q.hash) != KW_OK) {
		kw_reply_error(r, 400, "unsupported", "unknown hash");
		goto out;
	}
	q.partition = kw_req_partition(r);
	q.key = kw_req_param(r, 0);
	q.cert = in.cert;
	q.cert_pem = in.cert_pem;
	q.cert_pem_len = in.cert_pem != NULL ? strlen(in.cert_pem) : 0;
	q.digest = in.digest.data;
	q.digest_len = in.digest.len;
	rc = kw_svc_codesign(r->svc, &r->call, &q, &cms, &len, serial);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      json_pack("{s:o,s:s}", "cms",
					kw_json_b64(cms, len), "cert", serial));
out:
	free(cms);
	kw_decoded_free(codesign_fields, KW_NFIELDS(codesign_fields), &in);
}
