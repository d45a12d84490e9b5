/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_AUTH_INTERNAL_H
#define KW_AUTH_INTERNAL_H

/*
 * Shared by the files of src/lib/auth only.
 *
 *   auth.c       kw_auth itself: config, clock, derived keys, bootstrap,
 *                partitions
 *   principal.c  principals
 *   login.c      password login, lockout, per-source rate limit
 *   token.c      tokens: create, check (hot path), revoke, list, purge
 *   cache.c      the bounded table of token verdicts
 *   record.c     TLV encodings of the partition, principal, token records
 *   roles.c      roles, op names, the role matrix, kw_authz_check
 *   policy.c     key policy documents (jansson), memoised evaluation
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "keywarden/auth.h"

/* Defaults of kw_auth_config (0 selects them). */
#define KW_AUTH_SESSION_TTL_DEFAULT   3600u
#define KW_AUTH_APP_TTL_DEFAULT	      (365u * 86400u)
#define KW_AUTH_MAX_FAILED_DEFAULT    5u
#define KW_AUTH_LOCKOUT_DEFAULT	      900u
#define KW_AUTH_SOURCE_RATE_DEFAULT   30u
#define KW_AUTH_SOURCE_RATE_MAX	      600u
#define KW_AUTH_SCRYPT_LOG2_N_DEFAULT 15u
#define KW_AUTH_CACHE_TTL_DEFAULT     30u

#define KW_AUTH_TOKEN_PREFIX	 "kwt_"
#define KW_AUTH_TOKEN_RAW_LEN	 32
#define KW_AUTH_TOKEN_TEXT_LEN	 47 /* "kwt_" + 43 base64url characters */
#define KW_AUTH_HASH_LEN	 32 /* HMAC-SHA-256 */
#define KW_AUTH_PRINCIPAL_ID_LEN 34 /* "p-" + 32 hex */
/* Group and lookup names use "*" for the system namespace ("" in the API):
 * "*" is not a valid partition name, so the two never collide. */
#define KW_AUTH_SYSTEM_NS "*"

typedef struct kw_auth_cache kw_auth_cache;
typedef struct kw_auth_limiter kw_auth_limiter;

struct kw_auth {
	kw_barrier *b;
	kw_store *s;
	kw_auth_config cfg; /* defaults filled in */
	kw_password_params pw;
	/* HMAC-SHA-256 keys derived from the master key on first use and
	 * held as prepared contexts (kw_ckey), wiped by
	 * kw_auth_cache_flush(). Readers hold key_lock shared while they use
	 * them. */
	pthread_rwlock_t key_lock;
	kw_ckey *token_key; /* "token-hash" */
	kw_ckey *id_key;    /* "principal-id" */
	char *dummy_hash;   /* scrypt hash that unknown users are checked
				 against, so they take as long as known ones */
	kw_auth_cache *cache;
	kw_auth_limiter *limiter;
};

/* ---- auth.c ------------------------------------------------------------ */

int64_t kw_auth_now(const kw_auth *a);
/* [A-Za-z0-9._-], 1..KW_NAME_MAX. */
bool kw_auth_name_valid(const char *s);
/* "" or a valid name. */
bool kw_auth_partition_arg_valid(const char *s);
/* The namespace string of a partition argument ("" -> "*"). */
const char *kw_auth_ns(const char *partition);
/* True if password may be set: KW_PASSWORD_MIN..KW_PASSWORD_MAX bytes. */
bool kw_auth_password_ok(const kw_secret *password);
/* Hashes password under the configured cost into out, after checking that
 * the barrier is unsealed (no scrypt work for a sealed instance). The caller
 * wipes out. */
kw_rc kw_auth_password_hash(kw_auth *a, const kw_secret *password,
			    char out[static KW_PASSWORD_HASH_MAX + 1]);
/* KW_E_SEALED unless the barrier is unsealed. */
kw_rc kw_auth_unsealed(kw_auth *a);

enum kw_auth_key_use { KW_AUTH_KEY_TOKEN, KW_AUTH_KEY_ID };
/* HMAC-SHA-256 of in under one of the derived keys (deriving it first if
 * needed). KW_E_SEALED while sealed. */
kw_rc kw_auth_hmac(kw_auth *a, enum kw_auth_key_use which, const void *in,
		   size_t in_len, uint8_t out[static KW_AUTH_HASH_LEN]);

/* Runs fn in a write transaction, committing if it returns KW_OK and
 * retrying (a few times) when the commit or a compare-and-swap inside
 * loses a race (KW_E_CONFLICT). */
typedef kw_rc (*kw_auth_txn_fn)(kw_auth *a, kw_store_txn *t, void *arg);
kw_rc kw_auth_write(kw_auth *a, kw_auth_txn_fn fn, void *arg);
/* The same, read-only, once. */
kw_rc kw_auth_read(kw_auth *a, kw_auth_txn_fn fn, void *arg);

/* KW_OK if the partition exists ("" always does). */
kw_rc kw_auth_partition_exists(kw_auth *a, kw_store_txn *t,
			       const char *partition);

/* ---- record.c ---------------------------------------------------------- */

/* A principal record as stored. */
typedef struct kw_auth_principal {
	kw_principal_info info; /* record_version, locked: not encoded */
	char pw_hash[KW_PASSWORD_HASH_MAX + 1]; /* "" = no password */
	uint32_t failed; /* failed logins since the last success/lockout */
} kw_auth_principal;

typedef struct kw_auth_token {
	kw_token_info info;
	uint8_t hash[KW_AUTH_HASH_LEN]; /* keyed hash of the token */
} kw_auth_token;

kw_rc kw_auth_partition_encode(const kw_partition_info *p, kw_secret **out);
kw_rc kw_auth_partition_decode(const uint8_t *d, size_t n,
			       kw_partition_info *out);
kw_rc kw_auth_principal_encode(const kw_auth_principal *p, kw_secret **out);
kw_rc kw_auth_principal_decode(const uint8_t *d, size_t n,
			       kw_auth_principal *out);
kw_rc kw_auth_token_encode(const kw_auth_token *tk, kw_secret **out);
kw_rc kw_auth_token_decode(const uint8_t *d, size_t n, kw_auth_token *out);

/* ---- principal.c ------------------------------------------------------- */

/* The record id of a principal ("p-" + 32 hex of a keyed hash of the
 * namespace and name, so names do not reach the store). */
kw_rc kw_auth_principal_id(kw_auth *a, const char *partition, const char *name,
			   char out[static KW_AUTH_PRINCIPAL_ID_LEN + 1]);
/* Reads a principal; KW_E_NOT_FOUND. out->info.locked is computed. */
kw_rc kw_auth_principal_load(kw_auth *a, kw_store_txn *t, const char *partition,
			     const char *name, kw_auth_principal *out);
/* Writes p back (compare-and-swap on p->info.record_version, which is
 * updated). */
kw_rc kw_auth_principal_store(kw_auth *a, kw_store_txn *t,
			      kw_auth_principal *p);

/* ---- token.c ----------------------------------------------------------- */

/* Creates a token record for principal p in transaction t and returns its
 * text. Used by token create, login and bootstrap. */
kw_rc kw_auth_token_issue(kw_auth *a, kw_store_txn *t,
			  const kw_principal_info *p, uint64_t ttl_s,
			  const char *name, bool session, kw_secret **out_token,
			  kw_auth_token *out_rec);
/* "t-" + 16 lowercase hex. */
bool kw_auth_token_id_valid(const char *s);
/* Deletes every token of the principal (principal deletion). */
kw_rc kw_auth_token_delete_all(kw_auth *a, kw_store_txn *t,
			       const char *partition, const char *principal);
/* The caller a token record and its principal stand for. */
void kw_auth_caller_fill(const kw_auth_token *tk, const kw_principal_info *p,
			 kw_caller *out);

/* ---- login.c: the per-source limiter ---------------------------------- */

kw_rc kw_auth_limiter_new(unsigned rate_per_min, kw_auth_limiter **out);
void kw_auth_limiter_free(kw_auth_limiter *l);
/* 0 if source may try now, else the seconds until it may. */
uint64_t kw_auth_limiter_wait(kw_auth_limiter *l, const char *source,
			      int64_t now);
/* Counts a failed login of source at now. */
void kw_auth_limiter_fail(kw_auth_limiter *l, const char *source, int64_t now);

/* ---- cache.c ----------------------------------------------------------- */

kw_rc kw_auth_cache_new(kw_auth_cache **out);
void kw_auth_cache_free(kw_auth_cache *c);
/* The invalidation epoch: read it before reading the store for a verdict,
 * and hand it to put(), which drops the verdict if an invalidation ran in
 * between (so a stale verdict can never be cached). */
uint64_t kw_auth_cache_epoch(kw_auth_cache *c);
/* KW_OK with the cached caller (source left empty), KW_E_NOT_FOUND if none
 * or older than max_age_s (then dropped). */
kw_rc kw_auth_cache_get(kw_auth_cache *c,
			const uint8_t hash[static KW_AUTH_HASH_LEN],
			int64_t now, uint64_t max_age_s, kw_caller *out);
void kw_auth_cache_put(kw_auth_cache *c,
		       const uint8_t hash[static KW_AUTH_HASH_LEN],
		       const kw_caller *caller, int64_t now, uint64_t epoch);
/* Drop the verdicts of one token / of every token of a principal / all. */
void kw_auth_cache_drop_token(kw_auth_cache *c, const char *token_id);
void kw_auth_cache_drop_principal(kw_auth_cache *c, const char *partition,
				  const char *name);
void kw_auth_cache_clear(kw_auth_cache *c);

/* ---- roles.c / policy.c ------------------------------------------------ */

/* Use ops (the ones a key policy narrows): KW_OP_KEY_SIGN..KW_OP_KEY_DATAKEY,
 * named in policies "sign", "verify", ... */
bool kw_auth_op_is_use(kw_op op);
const char *kw_auth_use_op_name(kw_op op);
kw_rc kw_auth_use_op_parse(const char *name, kw_op *out);

/* KW_OK if the policy lets caller do use op `op`, KW_E_DENIED if not,
 * KW_E_INVALID if the document does not parse (memoised by text). */
kw_rc kw_policy_eval(const char *json, const kw_caller *caller, kw_op op);

#endif
