/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/internal.h"
#include "quorum/rules.h"

/*
 * Key policy documents (docs/roles.md, "Key policies"):
 *
 *   {"version": 1,
 *    "allow": [{"principals": ["ci", "*\/root"], "roles": ["crypto-user"],
 *               "ops": ["sign", "verify"]}]}
 *
 * Parsed strictly: unknown fields, wrong types, unknown names, empty rules
 * and duplicate keys are errors. A parsed document is compiled into bit
 * sets and a list of names.
 *
 * A policy may also carry a "quorum" member: the key's quorum rules
 * (docs/quorum.md), checked here with the quorum module's parser and
 * applied by it. A policy with "quorum" and without "allow" does not
 * narrow use ops.
 */

#define POL_RULES_MAX 64
#define POL_NAMES_MAX 256

typedef struct pol_name {
	char name[KW_NAME_MAX + 1];
	bool system; /* written "*\/name": a system principal */
} pol_name;

typedef struct pol_rule {
	uint32_t ops; /* bit (op - KW_OP_KEY_SIGN) per use op */
	uint32_t roles;
	size_t n_names;
	pol_name *names;
} pol_rule;

typedef struct kw_policy {
	size_t n_rules;
	pol_rule *rules;
	bool narrows; /* has "allow" */
} kw_policy;

static void pol_free(kw_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		free(p->rules[i].names);
	free(p->rules);
	free(p);
}

__attribute__((format(printf, 3, 4))) static kw_rc
pol_err(char *err, size_t err_len, const char *fmt, ...)
{
	if (err != NULL && err_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return KW_E_INVALID;
}

/* Checks that v is a non-empty array of at most max strings. */
static kw_rc pol_str_array(json_t *v, size_t max, const char *where,
			   const char *field, char *err, size_t err_len)
{
	if (!json_is_array(v))
		return pol_err(err, err_len, "%s.%s: not an array", where,
			       field);
	size_t n = json_array_size(v);
	if (n == 0 || n > max)
		return pol_err(err, err_len, "%s.%s: needs 1..%zu entries",
			       where, field, max);
	for (size_t i = 0; i < n; i++) {
		if (!json_is_string(json_array_get(v, i)))
			return pol_err(err, err_len, "%s.%s[%zu]: not a string",
				       where, field, i);
	}
	return KW_OK;
}

static kw_rc pol_rule_ops(json_t *v, pol_rule *r, const char *where, char *err,
			  size_t err_len)
{
	kw_rc rc = pol_str_array(v, KW_OP_COUNT_, where, "ops", err, err_len);
	for (size_t i = 0; rc == KW_OK && i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		kw_op op;
		if (kw_auth_use_op_parse(s, &op) != KW_OK)
			return pol_err(err, err_len,
				       "%s.ops[%zu]: unknown op \"%.32s\"",
				       where, i, s);
		r->ops |= 1u << (op - KW_OP_KEY_SIGN);
	}
	return rc;
}

static kw_rc pol_rule_roles(json_t *v, pol_rule *r, const char *where,
			    char *err, size_t err_len)
{
	kw_rc rc = pol_str_array(v, 8, where, "roles", err, err_len);
	for (size_t i = 0; rc == KW_OK && i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		uint32_t bit;
		if (kw_role_parse(s, &bit) != KW_OK)
			return pol_err(err, err_len,
				       "%s.roles[%zu]: unknown role \"%.32s\"",
				       where, i, s);
		r->roles |= bit;
	}
	return rc;
}

static kw_rc pol_rule_names(json_t *v, pol_rule *r, const char *where,
			    char *err, size_t err_len)
{
	kw_rc rc = pol_str_array(v, POL_NAMES_MAX, where, "principals", err,
				 err_len);
	if (rc != KW_OK)
		return rc;
	size_t n = json_array_size(v);
	r->names = calloc(n, sizeof(*r->names));
	if (r->names == NULL)
		return KW_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(v, i));
		bool sys = strncmp(s, KW_AUTH_SYSTEM_NS "/", 2) == 0;
		const char *name = sys ? s + 2 : s;
		if (!kw_auth_name_valid(name))
			return pol_err(err, err_len,
				       "%s.principals[%zu]: not a principal "
				       "name",
				       where, i);
		snprintf(r->names[i].name, sizeof(r->names[i].name), "%s",
			 name);
		r->names[i].system = sys;
	}
	r->n_names = n;
	return KW_OK;
}

static kw_rc pol_rule_parse(json_t *o, pol_rule *r, size_t idx, char *err,
			    size_t err_len)
{
	char where[32];
	snprintf(where, sizeof(where), "allow[%zu]", idx);
	if (!json_is_object(o))
		return pol_err(err, err_len, "%s: not an object", where);
	const char *key;
	json_t *v;
	kw_rc rc = KW_OK;
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "ops") == 0)
			rc = pol_rule_ops(v, r, where, err, err_len);
		else if (strcmp(key, "roles") == 0)
			rc = pol_rule_roles(v, r, where, err, err_len);
		else if (strcmp(key, "principals") == 0)
			rc = pol_rule_names(v, r, where, err, err_len);
		else
			rc = pol_err(err, err_len,
				     "%s: unknown field \"%.32s\"", where, key);
		if (rc != KW_OK)
			return rc;
	}
	if (r->ops == 0)
		return pol_err(err, err_len, "%s: \"ops\" is missing", where);
	if (r->roles == 0 && r->n_names == 0)
		return pol_err(err, err_len,
			       "%s: needs \"principals\" or \"roles\"", where);
	return KW_OK;
}

static kw_rc pol_allow_parse(json_t *v, kw_policy *p, char *err, size_t err_len)
{
	if (!json_is_array(v))
		return pol_err(err, err_len, "allow: not an array");
	size_t n = json_array_size(v);
	if (n > POL_RULES_MAX)
		return pol_err(err, err_len, "allow: more than %d rules",
			       POL_RULES_MAX);
	p->rules = calloc(n > 0 ? n : 1, sizeof(*p->rules));
	if (p->rules == NULL)
		return KW_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		/* Count the rule before filling it, so pol_free releases what
		 * a failed parse allocated. */
		p->n_rules = i + 1;
		kw_rc rc = pol_rule_parse(json_array_get(v, i), &p->rules[i], i,
					  err, err_len);
		if (rc != KW_OK)
			return rc;
	}
	return KW_OK;
}

static kw_rc pol_parse(const char *text, kw_policy **out, char *err,
		       size_t err_len)
{
	kw_rc rc = KW_E_INVALID;
	json_t *root = NULL;
	kw_policy *p = NULL;
	json_error_t jerr;
	bool have_allow = false, have_quorum = false, have_attest = false;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (text == NULL) {
		rc = pol_err(err, err_len, "no policy");
		goto out;
	}
	size_t len = strnlen(text, KW_POLICY_MAX + 1);
	if (len > KW_POLICY_MAX) {
		rc = pol_err(err, err_len, "longer than %u bytes",
			     (unsigned)KW_POLICY_MAX);
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = pol_err(err, err_len, "not JSON: %s (at byte %d)",
			     jerr.text, jerr.position);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = pol_err(err, err_len, "not a JSON object");
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "version") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) != 1) {
				rc = pol_err(err, err_len,
					     "version: must be the number 1");
				goto out;
			}
		} else if (strcmp(key, "allow") == 0) {
			rc = pol_allow_parse(v, p, err, err_len);
			if (rc != KW_OK)
				goto out;
			have_allow = true;
		} else if (strcmp(key, "quorum") == 0) {
			rc = kw_quorum_rules_check(v, KW_QUORUM_KEY, "quorum",
						   KW_QOP_NONE, NULL, NULL, err,
						   err_len);
			if (rc != KW_OK)
				goto out;
			have_quorum = true;
		} else if (strcmp(key, "require_attestation") == 0) {
			/* read by the service's sign gate (docs/tpm.md) */
			if (!json_is_boolean(v)) {
				rc = pol_err(
					err, err_len,
					"require_attestation: must be true "
					"or false");
				goto out;
			}
			have_attest = true;
		} else {
			rc = pol_err(err, err_len, "unknown field \"%.32s\"",
				     key);
			goto out;
		}
	}
	if (!have_allow && !have_quorum && !have_attest) {
		rc = pol_err(err, err_len, "\"allow\" is missing");
		goto out;
	}
	p->narrows = have_allow;
	*out = p;
	p = NULL;
	rc = KW_OK;
out:
	pol_free(p);
	json_decref(root);
	return rc;
}

static bool pol_rule_matches(const pol_rule *r, const kw_caller *c)
{
	if ((r->roles & c->roles) != 0)
		return true;
	for (size_t i = 0; i < r->n_names; i++) {
		if (r->names[i].system == c->system &&
		    strcmp(r->names[i].name, c->principal) == 0)
			return true;
	}
	return false;
}

static bool pol_allows(const kw_policy *p, const kw_caller *c, kw_op op)
{
	uint32_t bit = 1u << (op - KW_OP_KEY_SIGN);
	for (size_t i = 0; i < p->n_rules; i++) {
		if ((p->rules[i].ops & bit) &&
		    pol_rule_matches(&p->rules[i], c))
			return true;
	}
	return false;
}

kw_rc kw_key_policy_validate(const char *json, char *err, size_t err_len)
{
	kw_policy *p = NULL;
	kw_rc rc = pol_parse(json, &p, err, err_len);
	pol_free(p);
	return rc;
}

/*
 * Memo of parsed policies, by text. Parsing a policy costs about as much as
 * a quarter of an ECDSA P-256 signature (measured: 13-21 us against
 * 58-80 us), and the same few policies are checked on every sign request,
 * so kw_authz_check looks the text up here first. MEMO_SLOTS direct-mapped
 * slots, each with its own mutex, held while the parsed policy is
 * consulted; parsing happens outside any lock. The memo is process-wide
 * because kw_authz_check is a pure function without a handle; it only
 * ever holds what the text parses to, so it cannot change an answer.
 */
#define MEMO_SLOTS    256u
#define MEMO_TEXT_MAX 8192u /* longer policies are parsed every time */

typedef struct memo_slot {
	pthread_mutex_t mu;
	uint64_t h;
	size_t len;
	char *text;   /* NULL: empty slot */
	kw_policy *p; /* NULL: the text does not parse */
} memo_slot;

static memo_slot memo[MEMO_SLOTS];
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;

static void memo_init(void)
{
	for (size_t i = 0; i < MEMO_SLOTS; i++)
		pthread_mutex_init(&memo[i].mu, NULL);
}

/* FNV-1a, 64 bits. */
static uint64_t memo_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static kw_rc pol_decide(const kw_policy *p, const kw_caller *c, kw_op op)
{
	if (p == NULL)
		return KW_E_INVALID;
	return kw_auth_op_is_use(op) && (!p->narrows || pol_allows(p, c, op))
		       ? KW_OK
		       : KW_E_DENIED;
}

kw_rc kw_policy_eval(const char *json, const kw_caller *caller, kw_op op)
{
	kw_policy *p = NULL;
	char *text = NULL;
	size_t len = strnlen(json, KW_POLICY_MAX + 1);
	kw_rc rc;

	if (len > MEMO_TEXT_MAX) {
		rc = pol_parse(json, &p, NULL, 0);
		if (rc == KW_OK)
			rc = pol_decide(p, caller, op);
		goto out;
	}
	pthread_once(&memo_once, memo_init);
	uint64_t h = memo_hash(json, len);
	memo_slot *m = &memo[h % MEMO_SLOTS];
	pthread_mutex_lock(&m->mu);
	bool hit = m->text != NULL && m->h == h && m->len == len &&
		   memcmp(m->text, json, len) == 0;
	if (hit)
		rc = pol_decide(m->p, caller, op);
	pthread_mutex_unlock(&m->mu);
	if (hit)
		goto out;

	/* Parse outside the lock, then install (an unparsable text too:
	 * it is remembered as such). */
	rc = pol_parse(json, &p, NULL, 0);
	if (rc == KW_E_NOMEM)
		goto out;
	rc = pol_decide(p, caller, op);
	text = malloc(len + 1);
	if (text == NULL)
		goto out;
	memcpy(text, json, len + 1);
	pthread_mutex_lock(&m->mu);
	char *old_text = m->text;
	kw_policy *old_p = m->p;
	m->h = h;
	m->len = len;
	m->text = text;
	m->p = p;
	pthread_mutex_unlock(&m->mu);
	text = old_text;
	p = old_p;
out:
	free(text);
	pol_free(p);
	return rc;
}
