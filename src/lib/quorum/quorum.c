/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "quorum"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "quorum/internal.h"
#include "quorum/rules.h"
#include "util/jcs.h"

/* Tries of a write transaction that loses a compare-and-swap race. */
#define TXN_TRIES 5
/* Record ids of the rules documents (type KW_REC_POLICY): "quorum" for the
 * instance, "quorum/<partition>" for a partition. */
#define POLICY_ID_GLOBAL "quorum"

kw_rc kw_quorum_open(kw_barrier *b, kw_store *s, const kw_quorum_config *cfg,
		     kw_quorum **out)
{
	kw_quorum *q = NULL;

	if (b == NULL || s == NULL || out == NULL)
		return KW_E_INVALID;
	if (cfg != NULL && cfg->default_ttl_s > KW_QUORUM_TTL_MAX)
		return KW_E_INVALID;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return KW_E_NOMEM;
	q->b = b;
	q->s = s;
	if (cfg != NULL)
		q->cfg = *cfg;
	if (q->cfg.default_ttl_s == 0)
		q->cfg.default_ttl_s = KW_QUORUM_TTL_DEFAULT;
	*out = q;
	return KW_OK;
}

void kw_quorum_free(kw_quorum *q)
{
	free(q);
}

int64_t kw_quorum_now(const kw_quorum *q)
{
	return q->cfg.now != NULL ? q->cfg.now(q->cfg.now_arg)
				  : (int64_t)time(NULL);
}

kw_rc kw_quorum_txn(kw_quorum *q, bool write, kw_quorum_txn_fn fn, void *arg)
{
	kw_rc rc = KW_E_CONFLICT;
	for (int i = 0; i < (write ? TXN_TRIES : 1) && rc == KW_E_CONFLICT;
	     i++) {
		kw_store_txn *t = NULL;
		rc = kw_store_txn_begin(q->s, write, &t);
		if (rc != KW_OK)
			break;
		rc = fn(q, t, arg);
		if (rc == KW_OK && write)
			rc = kw_store_txn_commit(t);
		else
			kw_store_txn_abort(t);
	}
	return rc;
}

const char *kw_quorum_ns(const char *partition)
{
	return partition == NULL || partition[0] == '\0' ? "*" : partition;
}

/* [A-Za-z0-9._-], 1..KW_NAME_MAX. */
static bool partition_ok(const char *p)
{
	size_t n = strnlen(p, KW_NAME_MAX + 1);
	return n >= 1 && n <= KW_NAME_MAX &&
	       strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._-") == n;
}

static void policy_id(const char *partition, char out[KW_STORE_ID_MAX + 1])
{
	if (partition == NULL)
		snprintf(out, KW_STORE_ID_MAX + 1, "%s", POLICY_ID_GLOBAL);
	else
		snprintf(out, KW_STORE_ID_MAX + 1, "%s/%s", POLICY_ID_GLOBAL,
			 partition);
}

/* ---- the rules documents of the instance and of partitions ------------- */

typedef struct policy_op {
	const char *partition; /* NULL = the instance's */
	const char *json;      /* put: NULL removes */
	char *text;	       /* get: out */
} policy_op;

static kw_rc policy_read(kw_quorum *q, kw_store_txn *t, const char *partition,
			 char **out)
{
	char id[KW_STORE_ID_MAX + 1];
	kw_secret *data = NULL;
	uint64_t version = 0;
	char *text = NULL;
	kw_rc rc;

	policy_id(partition, id);
	rc = kw_barrier_rec_get(q->b, t, KW_REC_POLICY, id, &data, &version);
	if (rc != KW_OK)
		goto out;
	if (data->len == 0 || memchr(data->data, '\0', data->len) != NULL) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	text = malloc(data->len + 1);
	if (text == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	memcpy(text, data->data, data->len);
	text[data->len] = '\0';
	*out = text;
out:
	kw_secret_free(data);
	return rc;
}

static kw_rc policy_get_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	policy_op *op = arg;
	return policy_read(q, t, op->partition, &op->text);
}

kw_rc kw_quorum_policy_get(kw_quorum *q, const char *partition, char **out)
{
	policy_op op = {.partition = partition};
	kw_rc rc;

	if (q == NULL || out == NULL ||
	    (partition != NULL && !partition_ok(partition)))
		return KW_E_INVALID;
	rc = kw_quorum_txn(q, false, policy_get_fn, &op);
	if (rc == KW_OK)
		*out = op.text;
	return rc;
}

static kw_rc policy_put_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	policy_op *op = arg;
	char id[KW_STORE_ID_MAX + 1];
	kw_secret *old = NULL;
	uint64_t version = 0;
	kw_rc rc;

	policy_id(op->partition, id);
	rc = kw_barrier_rec_get(q->b, t, KW_REC_POLICY, id, &old, &version);
	kw_secret_free(old);
	if (rc == KW_E_NOT_FOUND && op->json != NULL)
		rc = KW_OK; /* a new one */
	if (rc != KW_OK)
		return rc;
	if (op->json == NULL)
		return kw_barrier_rec_delete(q->b, t, KW_REC_POLICY, id,
					     version);
	return kw_barrier_rec_put(q->b, t, KW_REC_POLICY, id, NULL, NULL,
				  (const uint8_t *)op->json, strlen(op->json),
				  version, NULL);
}

kw_rc kw_quorum_policy_put(kw_quorum *q, const char *partition,
			   const char *json, char *err, size_t err_len)
{
	policy_op op = {.partition = partition, .json = json};
	kw_rc rc = KW_E_INVALID;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (q == NULL || (partition != NULL && !partition_ok(partition)))
		goto out;
	if (json != NULL) {
		rc = kw_quorum_policy_validate(json,
					       partition == NULL
						       ? KW_QUORUM_GLOBAL
						       : KW_QUORUM_PARTITION,
					       err, err_len);
		if (rc != KW_OK)
			goto out;
	}
	rc = kw_quorum_txn(q, true, policy_put_fn, &op);
out:
	return rc;
}

static kw_rc forget_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	kw_rc rc = policy_put_fn(q, t, arg);
	return rc == KW_E_NOT_FOUND ? KW_OK : rc;
}

kw_rc kw_quorum_partition_forget(kw_quorum *q, const char *partition)
{
	policy_op op = {.partition = partition};

	if (q == NULL || partition == NULL || !partition_ok(partition))
		return KW_E_INVALID;
	return kw_quorum_txn(q, true, forget_fn, &op);
}

/* ---- the factors of a request ------------------------------------------ */

/* The rule of one document for op: *found and *out. A document that does
 * not parse is reported (fail closed). */
static kw_rc doc_factor(const char *text, bool key_policy,
			kw_quorum_level level, kw_qop op, kw_quorum_factor *out,
			bool *found)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *rules = doc;
	kw_rc rc = KW_E_INVALID;

	*found = false;
	if (doc == NULL || !json_is_object(doc))
		goto out;
	if (key_policy) {
		rules = json_object_get(doc, "quorum");
		if (rules == NULL) {
			rc = KW_OK; /* a policy without a quorum section */
			goto out;
		}
	}
	rc = kw_quorum_rules_check(rules, level, "", op, out, found, NULL, 0);
out:
	json_decref(doc);
	return rc;
}

/* Cheap test first: the signing path asks for every signature. A key
 * policy can name "quorum" only literally or through a \u escape. */
bool kw_quorum_key_policy_may_guard(const char *policy)
{
	return policy != NULL && (strstr(policy, "quorum") != NULL ||
				  strstr(policy, "\\u") != NULL);
}

kw_rc kw_quorum_factors(kw_quorum *q, kw_store_txn *t,
			const kw_quorum_request *req,
			kw_quorum_factor out[static KW_QUORUM_FACTORS_MAX],
			size_t *out_n, char *why)
{
	size_t n = 0;
	bool found = false;
	char *text = NULL;
	kw_rc rc = KW_OK;

	if (kw_quorum_key_policy_may_guard(req->key_policy)) {
		rc = doc_factor(req->key_policy, true, KW_QUORUM_KEY, req->op,
				&out[n], &found);
		/* An unreadable key policy guards everything on the key but
		 * its own replacement (as kw_authz_check does). */
		if (rc == KW_E_INVALID && req->op != KW_QOP_KEY_POLICY) {
			snprintf(why, KW_QUORUM_REASON_MAX + 1,
				 "key policy invalid");
			rc = KW_E_DENIED;
		} else if (rc == KW_E_INVALID) {
			rc = KW_OK;
		}
		if (rc != KW_OK)
			goto out;
		n += found;
	}
	/* Every signature: a per-key rule only; no store access. */
	if (req->op == KW_QOP_KEY_SIGN)
		goto out;
	for (int lv = KW_QUORUM_PARTITION; lv >= KW_QUORUM_GLOBAL; lv--) {
		const char *p = lv == KW_QUORUM_GLOBAL ? NULL : req->partition;
		if (lv == KW_QUORUM_PARTITION && (p == NULL || p[0] == '\0'))
			continue;
		rc = policy_read(q, t, p, &text);
		if (rc == KW_E_NOT_FOUND) {
			rc = KW_OK;
			continue;
		}
		if (rc != KW_OK)
			goto out;
		rc = doc_factor(text, false, (kw_quorum_level)lv, req->op,
				&out[n], &found);
		free(text);
		text = NULL;
		if (rc == KW_E_INVALID) {
			snprintf(why, KW_QUORUM_REASON_MAX + 1,
				 "the %s quorum rules do not parse",
				 kw_quorum_level_name((kw_quorum_level)lv));
			rc = KW_E_DENIED;
		}
		if (rc != KW_OK)
			goto out;
		n += found;
	}
out:
	free(text);
	if (rc == KW_OK)
		*out_n = n;
	return rc;
}

/* ---- digests -------------------------------------------------------------- */

kw_rc kw_quorum_factors_digest(const kw_quorum_factor *f, size_t n,
			       uint8_t out[static KW_QUORUM_DIGEST_LEN])
{
	uint8_t md[KW_DIGEST_MAX];
	size_t md_len = 0;
	kw_digest_ctx *c = NULL;
	kw_rc rc = kw_digest_ctx_new(KW_HASH_SHA256, &c);

	/* Fixed-size fields and NUL-terminated names: unambiguous. */
	for (size_t i = 0; rc == KW_OK && i < n; i++) {
		uint32_t hdr[3] = {(uint32_t)f[i].level, f[i].m, f[i].roles};
		rc = kw_digest_ctx_update(c, hdr, sizeof(hdr));
		if (rc == KW_OK)
			rc = kw_digest_ctx_update(c, f[i].group,
						  strlen(f[i].group) + 1);
		for (size_t j = 0; rc == KW_OK && j < f[i].n_members; j++) {
			const kw_quorum_member *m = &f[i].members[j];
			rc = kw_digest_ctx_update(c, m->system ? "*" : "-", 1);
			if (rc == KW_OK)
				rc = kw_digest_ctx_update(c, m->name,
							  strlen(m->name) + 1);
		}
		if (rc == KW_OK)
			rc = kw_digest_ctx_update(c, "|", 1);
	}
	if (rc == KW_OK)
		rc = kw_digest_ctx_final(c, md, &md_len);
	if (rc == KW_OK)
		memcpy(out, md, KW_QUORUM_DIGEST_LEN);
	kw_digest_ctx_free(c);
	return rc;
}

kw_rc kw_quorum_request_digest(const kw_quorum_request *req, char **out_params,
			       uint8_t out[static KW_QUORUM_DIGEST_LEN])
{
	const char *ptext = req->params != NULL ? req->params : "{}";
	json_t *params = NULL, *whole = NULL;
	char *canon = NULL, *all = NULL;
	size_t canon_len = 0, all_len = 0, md_len = 0;
	uint8_t md[KW_DIGEST_MAX];
	kw_rc rc = kw_jcs_parse(ptext, strlen(ptext), &params);

	if (rc != KW_OK || !json_is_object(params)) {
		rc = KW_E_INVALID;
		goto out;
	}
	rc = kw_jcs_encode(params, NULL, &canon, &canon_len);
	if (rc == KW_OK && canon_len > KW_QUORUM_PARAMS_MAX)
		rc = KW_E_INVALID;
	if (rc != KW_OK) {
		rc = rc == KW_E_NOMEM ? rc : KW_E_INVALID;
		goto out;
	}
	bool has_key = req->key_id != NULL && req->key_id[0] != '\0';
	whole = json_pack(
		"{s:s,s:s,s:O,s:o}", "op", kw_qop_name(req->op), "partition",
		req->partition != NULL ? req->partition : "", "params", params,
		"key", has_key ? json_string(req->key_id) : json_null());
	if (whole == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	rc = kw_jcs_encode(whole, NULL, &all, &all_len);
	if (rc == KW_OK)
		rc = kw_digest(KW_HASH_SHA256, all, all_len, md, &md_len);
	if (rc != KW_OK) {
		rc = rc == KW_E_NOMEM ? rc : KW_E_INVALID;
		goto out;
	}
	memcpy(out, md, KW_QUORUM_DIGEST_LEN);
	*out_params = canon;
	canon = NULL;
out:
	free(canon);
	free(all);
	json_decref(params);
	json_decref(whole);
	return rc;
}
