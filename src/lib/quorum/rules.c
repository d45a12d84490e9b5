/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "quorum/rules.h"

/*
 * Rules documents:
 *
 *   {"version": 1, "ttl": 86400,
 *    "rules": [{"ops": ["key_destroy", "key_export"], "group": "custodians",
 *               "principals": ["alice", "*\/bob"], "roles": ["custodian"],
 *               "m": 2, "ttl": 3600}]}
 *
 * Read strictly, like key policies: unknown members, wrong types, unknown
 * names, an operation the level cannot guard or named by two rules, an M
 * that the named principals cannot reach, are all errors.
 */

static const char *const qop_names[KW_QOP_COUNT_] = {
	[KW_QOP_KEY_DESTROY] = "key_destroy",
	[KW_QOP_KEY_EXPORT] = "key_export",
	[KW_QOP_KEY_POLICY] = "key_policy",
	[KW_QOP_KEY_SIGN] = "key_sign",
	[KW_QOP_ROLE_GRANT] = "role_grant",
	[KW_QOP_PARTITION_DELETE] = "partition_delete",
	[KW_QOP_AUDIT_KEY_ROTATE] = "audit_key_rotate",
	[KW_QOP_BACKUP_RESTORE] = "backup_restore",
	[KW_QOP_QUORUM_POLICY] = "quorum_policy",
	[KW_QOP_TPM_SEAL] = "tpm_seal",
};

#define G (1u << KW_QUORUM_GLOBAL)
#define P (1u << KW_QUORUM_PARTITION)
#define K (1u << KW_QUORUM_KEY)

/* The levels whose rules may name each op. */
static const unsigned qop_levels[KW_QOP_COUNT_] = {
	[KW_QOP_KEY_DESTROY] = G | P | K, [KW_QOP_KEY_EXPORT] = G | P | K,
	[KW_QOP_KEY_POLICY] = G | P | K,  [KW_QOP_KEY_SIGN] = K,
	[KW_QOP_ROLE_GRANT] = G | P,	  [KW_QOP_PARTITION_DELETE] = G | P,
	[KW_QOP_AUDIT_KEY_ROTATE] = G,	  [KW_QOP_BACKUP_RESTORE] = G,
	[KW_QOP_QUORUM_POLICY] = G | P,	  [KW_QOP_TPM_SEAL] = G,
};

const char *kw_qop_name(kw_qop op)
{
	return (unsigned)op < KW_QOP_COUNT_ ? qop_names[op] : NULL;
}

kw_rc kw_qop_parse(const char *name, kw_qop *out)
{
	if (name == NULL || out == NULL)
		return KW_E_INVALID;
	for (unsigned i = 1; i < KW_QOP_COUNT_; i++) {
		if (strcmp(name, qop_names[i]) == 0) {
			*out = (kw_qop)i;
			return KW_OK;
		}
	}
	return KW_E_INVALID;
}

const char *kw_quorum_level_name(kw_quorum_level l)
{
	switch (l) {
	case KW_QUORUM_GLOBAL:
		return "global";
	case KW_QUORUM_PARTITION:
		return "partition";
	case KW_QUORUM_KEY:
		return "key";
	}
	return NULL;
}

bool kw_quorum_op_at_level(kw_qop op, kw_quorum_level level)
{
	if ((unsigned)op >= KW_QOP_COUNT_ || level < KW_QUORUM_GLOBAL ||
	    level > KW_QUORUM_KEY)
		return false;
	return (qop_levels[op] & (1u << level)) != 0;
}

/* ---- the parser ------------------------------------------------------- */

typedef struct rparse {
	kw_quorum_level level;
	const char *where;
	char *err;
	size_t err_len;
	unsigned named; /* bit per op named by some rule so far */
} rparse;

/* "<where>.<path>: ..." for a message about a member ("rules[0].m: ..."),
 * "<where>: ..." for one about the document (fmt starting ": "). */
__attribute__((format(printf, 2, 3))) static kw_rc rp_err(rparse *p,
							  const char *fmt, ...)
{
	bool top = strncmp(fmt, ": ", 2) == 0;
	if (p->err != NULL && p->err_len > 0) {
		int n = snprintf(p->err, p->err_len, "%s%s", p->where,
				 p->where[0] != '\0' && !top ? "." : "");
		if (top && p->where[0] == '\0')
			fmt += 2;
		if (n >= 0 && (size_t)n < p->err_len) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return KW_E_INVALID;
}

/* [A-Za-z0-9._-], 1..KW_NAME_MAX: the principal and group name rule. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > KW_NAME_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._-") == n;
}

/* An integer member in [min, max]. */
static kw_rc rp_int(rparse *p, const json_t *v, const char *what, int64_t min,
		    int64_t max, int64_t *out)
{
	if (!json_is_integer(v))
		return rp_err(p, "%s: not an integer", what);
	int64_t x = json_integer_value(v);
	if (x < min || x > max)
		return rp_err(p, "%s: must be %lld..%lld", what, (long long)min,
			      (long long)max);
	*out = x;
	return KW_OK;
}

/* A non-empty array of at most max strings. */
static kw_rc rp_strings(rparse *p, const json_t *v, const char *what,
			size_t max)
{
	if (!json_is_array(v))
		return rp_err(p, "%s: not an array", what);
	size_t n = json_array_size(v);
	if (n == 0 || n > max)
		return rp_err(p, "%s: needs 1..%zu entries", what, max);
	for (size_t i = 0; i < n; i++) {
		if (!json_is_string(json_array_get(v, i)))
			return rp_err(p, "%s[%zu]: not a string", what, i);
	}
	return KW_OK;
}

static kw_rc rp_ops(rparse *p, const json_t *v, const char *what, unsigned *out)
{
	kw_rc rc = rp_strings(p, v, what, KW_QOP_COUNT_);
	for (size_t i = 0; rc == KW_OK && i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		kw_qop op;
		if (kw_qop_parse(s, &op) != KW_OK)
			return rp_err(p, "%s[%zu]: unknown op \"%.32s\"", what,
				      i, s);
		if (!kw_quorum_op_at_level(op, p->level))
			return rp_err(p,
				      "%s[%zu]: %s cannot be guarded at the "
				      "%s level",
				      what, i, s,
				      kw_quorum_level_name(p->level));
		if ((p->named | *out) & (1u << op))
			return rp_err(p, "%s[%zu]: %s is named twice", what, i,
				      s);
		*out |= 1u << op;
	}
	return rc;
}

static kw_rc rp_roles(rparse *p, const json_t *v, const char *what,
		      uint32_t *out)
{
	kw_rc rc = rp_strings(p, v, what, 8);
	for (size_t i = 0; rc == KW_OK && i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		uint32_t bit;
		if (kw_role_parse(s, &bit) != KW_OK)
			return rp_err(p, "%s[%zu]: unknown role \"%.32s\"",
				      what, i, s);
		*out |= bit;
	}
	return rc;
}

static kw_rc rp_members(rparse *p, const json_t *v, const char *what,
			kw_quorum_factor *f)
{
	kw_rc rc = rp_strings(p, v, what, KW_QUORUM_MEMBERS_MAX);
	for (size_t i = 0; rc == KW_OK && i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		kw_quorum_member m = {.system = strncmp(s, "*/", 2) == 0};
		const char *name = m.system ? s + 2 : s;
		if (!name_ok(name))
			return rp_err(p, "%s[%zu]: not a principal name", what,
				      i);
		memcpy(m.name, name, strlen(name) + 1);
		for (size_t j = 0; j < f->n_members; j++) {
			if (f->members[j].system == m.system &&
			    strcmp(f->members[j].name, m.name) == 0)
				return rp_err(p, "%s[%zu]: named twice", what,
					      i);
		}
		f->members[f->n_members++] = m;
	}
	return rc;
}

static kw_rc rp_rule(rparse *p, const json_t *o, size_t idx,
		     kw_quorum_factor *f, unsigned *ops)
{
	char at[48], what[72];
	const char *key;
	json_t *v;
	int64_t m = 0, ttl = 0;
	bool have_m = false;
	kw_rc rc = KW_OK;

	snprintf(at, sizeof(at), "rules[%zu]", idx);
	if (!json_is_object(o))
		return rp_err(p, "%s: not an object", at);
	memset(f, 0, sizeof(*f));
	f->level = p->level;
	memcpy(f->group, "approvers", sizeof("approvers"));
	json_object_foreach((json_t *)o, key, v)
	{
		snprintf(what, sizeof(what), "%s.%.16s", at, key);
		if (strcmp(key, "ops") == 0) {
			rc = rp_ops(p, v, what, ops);
		} else if (strcmp(key, "principals") == 0) {
			rc = rp_members(p, v, what, f);
		} else if (strcmp(key, "roles") == 0) {
			rc = rp_roles(p, v, what, &f->roles);
		} else if (strcmp(key, "m") == 0) {
			rc = rp_int(p, v, what, 1, KW_QUORUM_M_MAX, &m);
			have_m = true;
		} else if (strcmp(key, "ttl") == 0) {
			rc = rp_int(p, v, what, 1, KW_QUORUM_TTL_MAX, &ttl);
		} else if (strcmp(key, "group") == 0) {
			if (!json_is_string(v) ||
			    !name_ok(json_string_value(v)))
				return rp_err(p, "%s: not a group name", what);
			memcpy(f->group, json_string_value(v),
			       strlen(json_string_value(v)) + 1);
		} else {
			return rp_err(p, "%s: unknown field \"%.32s\"", at,
				      key);
		}
		if (rc != KW_OK)
			return rc;
	}
	if (*ops == 0)
		return rp_err(p, "%s: \"ops\" is missing", at);
	if (!have_m)
		return rp_err(p, "%s: \"m\" is missing", at);
	if (f->n_members == 0 && f->roles == 0)
		return rp_err(p, "%s: needs \"principals\" or \"roles\"", at);
	if (f->roles == 0 && (size_t)m > f->n_members)
		return rp_err(p,
			      "%s.m: %lld is more than the %zu principals "
			      "named",
			      at, (long long)m, f->n_members);
	f->m = (unsigned)m;
	f->ttl_s = (uint64_t)ttl;
	return KW_OK;
}

kw_rc kw_quorum_rules_check(const json_t *doc, kw_quorum_level level,
			    const char *where, kw_qop op, kw_quorum_factor *out,
			    bool *out_found, char *err, size_t err_len)
{
	rparse p = {.level = level,
		    .where = where != NULL ? where : "",
		    .err = err,
		    .err_len = err_len};
	const json_t *rules = NULL;
	kw_quorum_factor f;
	int64_t doc_ttl = 0;
	bool found = false;
	const char *key;
	json_t *v;
	kw_rc rc = KW_OK;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (kw_quorum_level_name(level) == NULL)
		return KW_E_INVALID;
	if (!json_is_object(doc))
		return rp_err(&p, ": not a JSON object");
	json_object_foreach((json_t *)doc, key, v)
	{
		int64_t version;
		if (strcmp(key, "version") == 0)
			rc = rp_int(&p, v, "version", 1, 1, &version);
		else if (strcmp(key, "ttl") == 0)
			rc = rp_int(&p, v, "ttl", 1, KW_QUORUM_TTL_MAX,
				    &doc_ttl);
		else if (strcmp(key, "rules") == 0)
			rules = v;
		else
			rc = rp_err(&p, ": unknown field \"%.32s\"", key);
		if (rc != KW_OK)
			return rc;
	}
	if (rules == NULL)
		return rp_err(&p, ": \"rules\" is missing");
	if (!json_is_array(rules))
		return rp_err(&p, "rules: not an array");
	if (json_array_size(rules) > KW_QUORUM_RULES_MAX)
		return rp_err(&p, "rules: more than %d rules",
			      KW_QUORUM_RULES_MAX);
	for (size_t i = 0; i < json_array_size(rules); i++) {
		unsigned ops = 0;
		rc = rp_rule(&p, json_array_get(rules, i), i, &f, &ops);
		if (rc != KW_OK)
			return rc;
		p.named |= ops;
		if (op != KW_QOP_NONE && (ops & (1u << op)) != 0) {
			if (f.ttl_s == 0)
				f.ttl_s = (uint64_t)doc_ttl;
			if (out != NULL)
				*out = f;
			found = true;
		}
	}
	if (out_found != NULL)
		*out_found = found;
	return KW_OK;
}

kw_rc kw_quorum_policy_validate(const char *json, kw_quorum_level level,
				char *err, size_t err_len)
{
	json_error_t jerr;
	json_t *doc = NULL;
	kw_rc rc = KW_E_INVALID;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (json == NULL || kw_quorum_level_name(level) == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "no document");
		goto out;
	}
	size_t len = strnlen(json, KW_QUORUM_POLICY_MAX + 1);
	if (len > KW_QUORUM_POLICY_MAX) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "longer than %d bytes",
				 KW_QUORUM_POLICY_MAX);
		goto out;
	}
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "not JSON: %s (at byte %d)",
				 jerr.text, jerr.position);
		goto out;
	}
	rc = kw_quorum_rules_check(doc, level, "", KW_QOP_NONE, NULL, NULL, err,
				   err_len);
out:
	json_decref(doc);
	return rc;
}
