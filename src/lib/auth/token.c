/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "auth"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "keywarden/log.h"
#include "util/codec.h"

/*
 * Tokens: "kwt_" + base64url(32 random bytes). Only HMAC-SHA-256(token-hash
 * key, the 32 bytes) is kept: as the record's lookup (so a presented token
 * is found by one indexed read) and inside the record. Record id "t-" + 16
 * random hex (for listing and revocation), group = the namespace.
 */

bool kw_auth_token_id_valid(const char *s)
{
	if (s == NULL || strnlen(s, KW_TOKEN_ID_LEN + 1) != KW_TOKEN_ID_LEN ||
	    s[0] != 't' || s[1] != '-')
		return false;
	for (size_t i = 2; i < KW_TOKEN_ID_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* The keyed hash of a presented token; KW_E_UNAUTHENTICATED unless it has
 * exactly the form of a token. */
static kw_rc token_hash(kw_auth *a, const char *token, size_t len,
			uint8_t out[static KW_AUTH_HASH_LEN])
{
	const size_t plen = sizeof(KW_AUTH_TOKEN_PREFIX) - 1;
	uint8_t raw[KW_AUTH_TOKEN_RAW_LEN + 3];
	size_t raw_len = 0;
	kw_rc rc = KW_E_UNAUTHENTICATED;

	if (token == NULL || len != KW_AUTH_TOKEN_TEXT_LEN ||
	    memcmp(token, KW_AUTH_TOKEN_PREFIX, plen) != 0)
		goto out;
	if (kw_base64_decode(token + plen, len - plen, true, raw, &raw_len) !=
		    KW_OK ||
	    raw_len != KW_AUTH_TOKEN_RAW_LEN)
		goto out;
	rc = kw_auth_hmac(a, KW_AUTH_KEY_TOKEN, raw, raw_len, out);
out:
	kw_wipe(raw, sizeof(raw));
	return rc;
}

static void lookup_name(const uint8_t hash[static KW_AUTH_HASH_LEN],
			char out[static 2 * KW_AUTH_HASH_LEN + 1])
{
	kw_hex_encode(hash, KW_AUTH_HASH_LEN, out);
}

static kw_rc token_store(kw_auth *a, kw_store_txn *t, kw_auth_token *tk,
			 uint64_t expected_version)
{
	char lookup[2 * KW_AUTH_HASH_LEN + 1];
	kw_secret *data = NULL;
	lookup_name(tk->hash, lookup);
	kw_rc rc = kw_auth_token_encode(tk, &data);
	if (rc == KW_OK)
		rc = kw_barrier_rec_put(a->b, t, KW_REC_TOKEN, tk->info.id,
					kw_auth_ns(tk->info.partition), lookup,
					data->data, data->len, expected_version,
					NULL);
	kw_secret_free(data);
	return rc;
}

kw_rc kw_auth_token_issue(kw_auth *a, kw_store_txn *t,
			  const kw_principal_info *p, uint64_t ttl_s,
			  const char *name, bool session, kw_secret **out_token,
			  kw_auth_token *out_rec)
{
	kw_rc rc = KW_E_INTERNAL;
	uint8_t raw[KW_AUTH_TOKEN_RAW_LEN];
	uint8_t idb[(KW_TOKEN_ID_LEN - 2) / 2];
	char text[KW_AUTH_TOKEN_TEXT_LEN + 1];
	kw_secret *tok = NULL;
	kw_auth_token tk;
	const size_t plen = sizeof(KW_AUTH_TOKEN_PREFIX) - 1;
	memset(&tk, 0, sizeof(tk));

	rc = kw_random(raw, sizeof(raw));
	if (rc != KW_OK)
		goto out;
	rc = kw_auth_hmac(a, KW_AUTH_KEY_TOKEN, raw, sizeof(raw), tk.hash);
	if (rc != KW_OK)
		goto out;
	memcpy(text, KW_AUTH_TOKEN_PREFIX, plen);
	kw_base64_encode(raw, sizeof(raw), true, text + plen);
	rc = kw_secret_from(text, KW_AUTH_TOKEN_TEXT_LEN, &tok);
	if (rc != KW_OK)
		goto out;
	snprintf(tk.info.principal, sizeof(tk.info.principal), "%s", p->name);
	snprintf(tk.info.partition, sizeof(tk.info.partition), "%s",
		 p->partition);
	snprintf(tk.info.name, sizeof(tk.info.name), "%s", name);
	tk.info.created = kw_auth_now(a);
	tk.info.expires_at = tk.info.created + (int64_t)ttl_s;
	tk.info.session = session;
	/* 64 random bits of id: a clash is all but impossible, and is
	 * answered by drawing again. */
	rc = KW_E_EXISTS;
	for (int i = 0; i < 3 && rc == KW_E_EXISTS; i++) {
		rc = kw_random(idb, sizeof(idb));
		if (rc != KW_OK)
			goto out;
		tk.info.id[0] = 't';
		tk.info.id[1] = '-';
		kw_hex_encode(idb, sizeof(idb), tk.info.id + 2);
		rc = token_store(a, t, &tk, 0);
	}
	if (rc != KW_OK)
		goto out;
	*out_token = tok;
	tok = NULL;
	if (out_rec != NULL)
		*out_rec = tk;
out:
	kw_secret_free(tok);
	kw_wipe(raw, sizeof(raw));
	kw_wipe(text, sizeof(text));
	kw_wipe(&tk, sizeof(tk));
	return rc;
}

void kw_auth_caller_fill(const kw_auth_token *tk, const kw_principal_info *p,
			 kw_caller *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->principal, sizeof(out->principal), "%s", p->name);
	snprintf(out->partition, sizeof(out->partition), "%s", p->partition);
	out->roles = p->roles;
	out->system = p->system;
	out->kind = p->kind;
	snprintf(out->token_id, sizeof(out->token_id), "%s", tk->info.id);
	out->expires_at = tk->info.expires_at;
}

/* ---- create ------------------------------------------------------------ */

typedef struct tk_arg {
	const char *partition;
	const char *principal;
	const char *name;
	const char *id;
	uint64_t ttl_s;
	uint8_t hash[KW_AUTH_HASH_LEN];
	int64_t now;
	kw_secret *token;
	kw_auth_token rec;
	kw_caller caller;
	kw_token_info *list;
	size_t max;
	size_t n;
} tk_arg;

static kw_rc tk_create_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	tk_arg *arg = argp;
	kw_auth_principal p;
	kw_secret_free(arg->token); /* from a lost attempt */
	arg->token = NULL;
	kw_rc rc = kw_auth_principal_load(a, t, arg->partition, arg->principal,
					  &p);
	if (rc == KW_OK)
		rc = kw_auth_token_issue(a, t, &p.info, arg->ttl_s, arg->name,
					 false, &arg->token, &arg->rec);
	kw_wipe(&p, sizeof(p));
	return rc;
}

kw_rc kw_auth_token_create(kw_auth *a, const char *partition,
			   const char *principal, uint64_t ttl_s,
			   const char *name, kw_secret **out_token,
			   char out_id[KW_TOKEN_ID_LEN + 1],
			   int64_t *out_expires_at)
{
	tk_arg arg;
	memset(&arg, 0, sizeof(arg));
	arg.partition = partition;
	arg.principal = principal;
	arg.name = name != NULL ? name : "";
	arg.ttl_s = ttl_s;
	if (a == NULL || !kw_auth_partition_arg_valid(partition) ||
	    !kw_auth_name_valid(principal) ||
	    (arg.name[0] != '\0' && !kw_auth_name_valid(arg.name)) ||
	    ttl_s == 0 || ttl_s > a->cfg.app_token_max_ttl_s ||
	    out_token == NULL)
		return KW_E_INVALID;
	kw_rc rc = kw_auth_write(a, tk_create_txn, &arg);
	if (rc == KW_OK) {
		*out_token = arg.token;
		arg.token = NULL;
		if (out_id != NULL)
			memcpy(out_id, arg.rec.info.id, KW_TOKEN_ID_LEN + 1);
		if (out_expires_at != NULL)
			*out_expires_at = arg.rec.info.expires_at;
	}
	kw_secret_free(arg.token);
	kw_wipe(&arg, sizeof(arg));
	return rc;
}

/* ---- check (the hot path) ---------------------------------------------- */

/* The token record whose lookup is the keyed hash in arg->hash, into
 * arg->rec, its version into *out_version. KW_E_UNAUTHENTICATED if there is
 * none. */
static kw_rc tk_find(kw_auth *a, kw_store_txn *t, tk_arg *arg,
		     uint64_t *out_version)
{
	char lookup[2 * KW_AUTH_HASH_LEN + 1];
	char id[KW_STORE_ID_MAX + 1];
	kw_secret *data = NULL;

	lookup_name(arg->hash, lookup);
	kw_rc rc = kw_barrier_rec_find(a->b, t, KW_REC_TOKEN, lookup, id, &data,
				       out_version);
	if (rc == KW_E_NOT_FOUND)
		rc = KW_E_UNAUTHENTICATED;
	if (rc != KW_OK)
		goto out;
	rc = kw_auth_token_decode(data->data, data->len, &arg->rec);
	if (rc != KW_OK)
		goto out;
	if (strcmp(arg->rec.info.id, id) != 0 ||
	    !kw_ct_equal(arg->rec.hash, arg->hash, KW_AUTH_HASH_LEN))
		rc = KW_E_INTEGRITY;
out:
	kw_secret_free(data);
	return rc;
}

static kw_rc tk_check_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	tk_arg *arg = argp;
	uint64_t version = 0;
	kw_auth_principal p;
	memset(&p, 0, sizeof(p));

	kw_rc rc = tk_find(a, t, arg, &version);
	if (rc != KW_OK)
		goto out;
	if (arg->rec.info.revoked || arg->rec.info.expires_at <= arg->now) {
		rc = KW_E_EXPIRED;
		goto out;
	}
	rc = kw_auth_principal_load(a, t, arg->rec.info.partition,
				    arg->rec.info.principal, &p);
	if (rc == KW_E_NOT_FOUND)
		rc = KW_E_UNAUTHENTICATED;
	if (rc != KW_OK)
		goto out;
	kw_auth_caller_fill(&arg->rec, &p.info, &arg->caller);
out:
	kw_wipe(&p, sizeof(p));
	return rc;
}

kw_rc kw_auth_token_check(kw_auth *a, const char *token, size_t token_len,
			  const char *source, kw_caller *out)
{
	kw_rc rc = KW_E_INVALID;
	tk_arg arg;

	if (source == NULL)
		source = "";
	if (a == NULL || out == NULL ||
	    strnlen(source, KW_SOURCE_MAX + 1) > KW_SOURCE_MAX)
		return KW_E_INVALID;
	rc = kw_auth_unsealed(a);
	if (rc != KW_OK)
		return rc;
	memset(&arg, 0, sizeof(arg));
	rc = token_hash(a, token, token_len, arg.hash);
	if (rc != KW_OK)
		goto out;
	arg.now = kw_auth_now(a);
	rc = kw_auth_cache_get(a->cache, arg.hash, arg.now,
			       a->cfg.token_cache_ttl_s, &arg.caller);
	if (rc == KW_OK) {
		if (arg.caller.expires_at <= arg.now)
			rc = KW_E_EXPIRED;
		goto done;
	}
	/* Read the epoch before the store, so that put() can tell whether
	 * an invalidation ran while we read. */
	uint64_t epoch = kw_auth_cache_epoch(a->cache);
	rc = kw_auth_read(a, tk_check_txn, &arg);
	if (rc != KW_OK)
		goto out;
	kw_auth_cache_put(a->cache, arg.hash, &arg.caller, arg.now, epoch);
done:
	if (rc == KW_OK) {
		*out = arg.caller;
		snprintf(out->source, sizeof(out->source), "%s", source);
	}
out:
	kw_wipe(&arg, sizeof(arg));
	return rc;
}

/* ---- get, revoke, logout ----------------------------------------------- */

static kw_rc tk_get_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	tk_arg *arg = argp;
	kw_secret *data = NULL;
	uint64_t version = 0;
	kw_rc rc = kw_barrier_rec_get(a->b, t, KW_REC_TOKEN, arg->id, &data,
				      &version);
	if (rc != KW_OK)
		goto out;
	rc = kw_auth_token_decode(data->data, data->len, &arg->rec);
	if (rc == KW_OK && strcmp(arg->rec.info.id, arg->id) != 0)
		rc = KW_E_INTEGRITY;
	if (rc == KW_OK)
		arg->n = version; /* for the revoke that may follow */
out:
	kw_secret_free(data);
	return rc;
}

kw_rc kw_auth_token_get(kw_auth *a, const char *token_id, kw_token_info *out)
{
	tk_arg arg;
	memset(&arg, 0, sizeof(arg));
	arg.id = token_id;
	if (a == NULL || !kw_auth_token_id_valid(token_id) || out == NULL)
		return KW_E_INVALID;
	kw_rc rc = kw_auth_read(a, tk_get_txn, &arg);
	if (rc == KW_OK)
		*out = arg.rec.info;
	return rc;
}

static kw_rc tk_revoke_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	tk_arg *arg = argp;
	kw_rc rc = tk_get_txn(a, t, arg);
	if (rc != KW_OK || arg->rec.info.revoked)
		return rc;
	arg->rec.info.revoked = true;
	return token_store(a, t, &arg->rec, arg->n);
}

kw_rc kw_auth_token_revoke(kw_auth *a, const char *token_id)
{
	tk_arg arg;
	memset(&arg, 0, sizeof(arg));
	arg.id = token_id;
	if (a == NULL || !kw_auth_token_id_valid(token_id))
		return KW_E_INVALID;
	kw_rc rc = kw_auth_write(a, tk_revoke_txn, &arg);
	if (rc == KW_OK)
		kw_auth_cache_drop_token(a->cache, token_id);
	return rc;
}

static kw_rc tk_logout_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	tk_arg *arg = argp;
	uint64_t version = 0;
	kw_rc rc = tk_find(a, t, arg, &version);
	if (rc != KW_OK || arg->rec.info.revoked)
		return rc;
	arg->rec.info.revoked = true;
	return token_store(a, t, &arg->rec, version);
}

kw_rc kw_auth_logout(kw_auth *a, const char *token, size_t token_len)
{
	tk_arg arg;
	if (a == NULL)
		return KW_E_INVALID;
	kw_rc rc = kw_auth_unsealed(a);
	if (rc != KW_OK)
		return rc;
	memset(&arg, 0, sizeof(arg));
	rc = token_hash(a, token, token_len, arg.hash);
	if (rc == KW_OK)
		rc = kw_auth_write(a, tk_logout_txn, &arg);
	if (rc == KW_OK)
		kw_auth_cache_drop_token(a->cache, arg.rec.info.id);
	kw_wipe(&arg, sizeof(arg));
	return rc;
}

/* ---- list, purge, delete_all ------------------------------------------- */

typedef struct tk_ids {
	const char *principal; /* only this principal's; NULL = all */
	bool only_expired;     /* only tokens expired by `now` */
	int64_t now;
	char (*ids)[KW_TOKEN_ID_LEN + 1];
	uint64_t *versions;
	size_t n;
	size_t cap;
} tk_ids;

static kw_rc tk_list_cb(const char *id, uint64_t version, const uint8_t *data,
			size_t len, void *argp)
{
	tk_arg *arg = argp;
	(void)version;
	if (arg->n >= arg->max)
		return KW_E_INTERNAL; /* the limit passed to list() */
	kw_rc rc = kw_auth_token_decode(data, len, &arg->rec);
	if (rc == KW_OK && strcmp(arg->rec.info.id, id) != 0)
		rc = KW_E_INTEGRITY;
	if (rc == KW_OK)
		arg->list[arg->n++] = arg->rec.info;
	return rc;
}

static kw_rc tk_list_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	tk_arg *arg = argp;
	arg->n = 0;
	kw_rc rc = kw_auth_partition_exists(a, t, arg->partition);
	if (rc != KW_OK)
		return rc;
	return kw_barrier_rec_list(a->b, t, KW_REC_TOKEN,
				   kw_auth_ns(arg->partition), NULL, arg->max,
				   tk_list_cb, arg);
}

kw_rc kw_auth_token_list(kw_auth *a, const char *partition, kw_token_info *out,
			 size_t max, size_t *out_n)
{
	tk_arg arg;
	memset(&arg, 0, sizeof(arg));
	if (a == NULL || !kw_auth_partition_arg_valid(partition) ||
	    out_n == NULL || out == NULL || max == 0)
		return KW_E_INVALID;
	arg.partition = partition;
	arg.list = out;
	arg.max = max;
	kw_rc rc = kw_auth_read(a, tk_list_txn, &arg);
	if (rc == KW_OK)
		*out_n = arg.n;
	kw_wipe(&arg, sizeof(arg));
	return rc;
}

static kw_rc tk_ids_cb(const char *id, uint64_t version, const uint8_t *data,
		       size_t len, void *argp)
{
	tk_ids *l = argp;
	kw_auth_token tk;
	kw_rc rc = kw_auth_token_decode(data, len, &tk);
	if (rc != KW_OK || strcmp(tk.info.id, id) != 0)
		return KW_E_INTEGRITY;
	if ((l->principal != NULL &&
	     strcmp(tk.info.principal, l->principal) != 0) ||
	    (l->only_expired && tk.info.expires_at > l->now))
		return KW_OK;
	if (l->n == l->cap) {
		size_t ncap = l->cap == 0 ? 16 : 2 * l->cap;
		void *ni = realloc(l->ids, ncap * sizeof(*l->ids));
		if (ni == NULL)
			return KW_E_NOMEM;
		l->ids = ni;
		void *nv = realloc(l->versions, ncap * sizeof(*l->versions));
		if (nv == NULL)
			return KW_E_NOMEM;
		l->versions = nv;
		l->cap = ncap;
	}
	memcpy(l->ids[l->n], tk.info.id, KW_TOKEN_ID_LEN + 1);
	l->versions[l->n++] = version;
	return KW_OK;
}

/* Collects the matching tokens (of group ns, or all when ns is NULL), then
 * deletes them: the listing is finished before the first delete. */
static kw_rc tk_delete_matching(kw_auth *a, kw_store_txn *t, const char *ns,
				tk_ids *l, size_t *out_n)
{
	kw_rc rc = kw_barrier_rec_list(a->b, t, KW_REC_TOKEN, ns, NULL, 0,
				       tk_ids_cb, l);
	for (size_t i = 0; rc == KW_OK && i < l->n; i++)
		rc = kw_barrier_rec_delete(a->b, t, KW_REC_TOKEN, l->ids[i],
					   l->versions[i]);
	if (rc == KW_OK && out_n != NULL)
		*out_n = l->n;
	free(l->ids);
	free(l->versions);
	l->ids = NULL;
	l->versions = NULL;
	l->n = l->cap = 0;
	return rc;
}

kw_rc kw_auth_token_delete_all(kw_auth *a, kw_store_txn *t,
			       const char *partition, const char *principal)
{
	tk_ids l = {.principal = principal};
	return tk_delete_matching(a, t, kw_auth_ns(partition), &l, NULL);
}

static kw_rc tk_purge_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	tk_arg *arg = argp;
	tk_ids l = {.only_expired = true, .now = arg->now};
	return tk_delete_matching(a, t, NULL, &l, &arg->n);
}

kw_rc kw_auth_token_purge(kw_auth *a, size_t *out_count)
{
	tk_arg arg;
	memset(&arg, 0, sizeof(arg));
	if (a == NULL)
		return KW_E_INVALID;
	arg.now = kw_auth_now(a);
	kw_rc rc = kw_auth_write(a, tk_purge_txn, &arg);
	if (rc == KW_OK && out_count != NULL)
		*out_count = arg.n;
	return rc;
}
