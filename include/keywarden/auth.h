/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_AUTH_H
#define KEYWARDEN_AUTH_H

/*
 * Partitions, principals, roles, credentials and authorisation
 * (DESIGN.md §1.4, §1.7, §4).
 *
 * A partition is an isolated namespace (an HSM partition / PKCS#11 token)
 * with its own keys and principals. A principal belongs to one partition,
 * or is a system principal (partition "" in this API, shown as "*"), which
 * may act in every partition. Principals are users (log in with a password,
 * get a short-lived session token) or applications (use long-lived
 * application tokens issued by a security officer).
 *
 * Passwords are stored as scrypt hashes (memory-hard), tokens as keyed
 * hashes (HMAC with a key derived from the master key); neither is ever
 * stored or logged in the clear. Failed logins are rate-limited per
 * principal and per source, and lock a principal out after a configurable
 * count; comparisons are constant-time.
 *
 * Authorisation is deny by default: kw_authz_check() grants an operation
 * only if a rule allows it; a failure to decide is a denial.
 *
 * All functions are thread-safe, return KW_E_SEALED while the barrier is
 * sealed (KW_E_NOT_INITIALIZED before it is initialised), KW_E_INVALID on
 * bad arguments, KW_E_STORAGE/KW_E_INTEGRITY from the layers below, besides
 * the codes named per function. Outputs are written only on success. Token
 * texts are kw_secret holding exactly the text ("kwt_" + 43 characters of
 * base64url, 47 bytes, no NUL). docs/roles.md describes all of it for users.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/barrier.h"
#include "keywarden/keys.h"
#include "keywarden/rc.h"
#include "keywarden/secret.h"
#include "keywarden/store.h"

#define KW_PASSWORD_MIN 8
#define KW_PASSWORD_MAX 1024
#define KW_TOKEN_ID_LEN 18 /* "t-" + 16 hex */
#define KW_SOURCE_MAX	64

/* Roles (bit set). */
enum {
	KW_ROLE_SECURITY_OFFICER = 1u << 0,
	KW_ROLE_CRYPTO_OFFICER = 1u << 1,
	KW_ROLE_CRYPTO_USER = 1u << 2,
	KW_ROLE_AUDITOR = 1u << 3,
	KW_ROLE_CUSTODIAN = 1u << 4,
	KW_ROLE_ALL_ = (1u << 5) - 1,
};

/* "security-officer", "crypto-officer", "crypto-user", "auditor",
 * "custodian". */
const char *kw_role_name(uint32_t single_bit);
kw_rc kw_role_parse(const char *name, uint32_t *out_bit);

typedef enum kw_principal_kind {
	KW_PRINCIPAL_USER = 1,
	KW_PRINCIPAL_APP = 2,
	KW_PRINCIPAL_AGENT = 3, /* TPM-attested agent (later) */
} kw_principal_kind;

/* Who is calling: the result of authentication, passed to every operation.
 * Plain data; copy freely. */
typedef struct kw_caller {
	char principal[KW_NAME_MAX + 1];
	char partition[KW_NAME_MAX + 1]; /* "" for system principals */
	uint32_t roles;
	bool system;
	kw_principal_kind kind;
	char token_id[KW_TOKEN_ID_LEN + 1];
	int64_t expires_at;
	char source[KW_SOURCE_MAX + 1]; /* "unix", "203.0.113.7", ... */
} kw_caller;

typedef struct kw_principal_info {
	char name[KW_NAME_MAX + 1];
	char partition[KW_NAME_MAX + 1];
	kw_principal_kind kind;
	uint32_t roles;
	bool system;
	int64_t created;
	bool locked; /* locked out after failed logins */
	int64_t locked_until;
	uint64_t record_version;
} kw_principal_info;

typedef struct kw_partition_info {
	char name[KW_NAME_MAX + 1];
	int64_t created;
	uint64_t record_version;
} kw_partition_info;

typedef struct kw_auth_config {
	uint64_t session_ttl_s;	      /* 0 = 3600 */
	uint64_t app_token_max_ttl_s; /* 0 = 365 days */
	unsigned max_failed_logins;   /* 0 = 5: then locked out */
	uint64_t lockout_s;	      /* 0 = 900 */
	unsigned source_rate_per_min; /* failed logins per source; 0 = 30 */
	unsigned scrypt_log2_n;	      /* 0 = 15 (N = 32768, r 8, p 1) */
	/* A cached token verdict is re-read from the store after this long,
	 * so a revocation made by another node (shared PostgreSQL store) is
	 * seen within it; this node's own changes are seen at once.
	 * 0 = 30. */
	uint64_t token_cache_ttl_s;
	/* Clock (unix seconds) for expiry, lockout and rate limits; NULL =
	 * time(). Tests move time with it. */
	int64_t (*now)(void *now_arg);
	void *now_arg;
} kw_auth_config;

typedef struct kw_auth kw_auth;

/* cfg may be NULL (all defaults). KW_E_INVALID for out-of-range settings
 * (scrypt_log2_n > 20, source_rate_per_min > 600, max_failed_logins >
 * 1000, ttls over 10 years, token_cache_ttl_s over a day). Computes one
 * scrypt hash (the dummy that unknown users are checked against). b and s
 * must outlive the kw_auth. */
kw_rc kw_auth_open(kw_barrier *b, kw_store *s, const kw_auth_config *cfg,
		   kw_auth **out);
void kw_auth_free(kw_auth *a);
/* Drops cached token verdicts and the keys derived from the master key
 * (call it when sealing). */
void kw_auth_cache_flush(kw_auth *a);

/* ---- bootstrap ---------------------------------------------------------- */

/* Right after barrier init: creates partition "default" and the system
 * principal "root" (all roles) with a root application token (and, if
 * password is not NULL, a password). *out_token is the token text
 * ("kwt_..."), shown once. KW_E_EXISTS if already bootstrapped. */
kw_rc kw_auth_bootstrap(kw_auth *a, const kw_secret *password,
			kw_secret **out_token);

/* ---- partitions --------------------------------------------------------- */

kw_rc kw_partition_create(kw_auth *a, const char *name, kw_partition_info *out);
kw_rc kw_partition_get(kw_auth *a, const char *name, kw_partition_info *out);
/* Fills up to max entries; *out_n gets the count. Ascending name. */
kw_rc kw_partition_list(kw_auth *a, kw_partition_info *out, size_t max,
			size_t *out_n);
/* KW_E_STATE if it still has keys or principals (the caller checks keys
 * with kw_key_list and passes has_keys), and for "default", which cannot be
 * deleted. KW_E_NOT_FOUND. */
kw_rc kw_partition_delete(kw_auth *a, const char *name, bool has_keys);

/* ---- principals --------------------------------------------------------- */

/* partition "" creates a system principal. A user needs a password
 * (KW_PASSWORD_MIN..MAX bytes); an app must not have one. KW_E_EXISTS,
 * KW_E_NOT_FOUND (partition). */
kw_rc kw_principal_create(kw_auth *a, const char *partition, const char *name,
			  kw_principal_kind kind, uint32_t roles,
			  const kw_secret *password, kw_principal_info *out);
kw_rc kw_principal_get(kw_auth *a, const char *partition, const char *name,
		       kw_principal_info *out);
/* One page of at most max, ascending name, after cursor (NULL = start).
 * KW_E_NOT_FOUND for an unknown partition. */
kw_rc kw_principal_list(kw_auth *a, const char *partition, const char *cursor,
			kw_principal_info *out, size_t max, size_t *out_n);
/* Replaces the roles; the principal's existing tokens carry the new roles
 * from the next check on. KW_E_NOT_FOUND. */
kw_rc kw_principal_set_roles(kw_auth *a, const char *partition,
			     const char *name, uint32_t roles,
			     kw_principal_info *out);
/* Users only (KW_E_INVALID for apps and agents); also lifts a lockout.
 * KW_E_NOT_FOUND. */
kw_rc kw_principal_set_password(kw_auth *a, const char *partition,
				const char *name, const kw_secret *password);
/* Deletes and revokes every token of the principal. */
kw_rc kw_principal_delete(kw_auth *a, const char *partition, const char *name);

/* ---- credentials -------------------------------------------------------- */

/*
 * Password login. Returns KW_OK with a session token (valid session_ttl_s)
 * and the caller; KW_E_UNAUTHENTICATED for an unknown user or wrong
 * password (the same answer and about the same time for both);
 * KW_E_LIMIT when the principal is locked out or the source is over its
 * rate (*out_retry_after, optional, gets seconds). partition "" for system
 * users; password 1..KW_PASSWORD_MAX bytes; source (NULL = "") at most
 * KW_SOURCE_MAX bytes. A success resets the principal's failure count.
 */
kw_rc kw_auth_login(kw_auth *a, const char *partition, const char *user,
		    const kw_secret *password, const char *source,
		    kw_secret **out_token, kw_caller *out_caller,
		    uint64_t *out_retry_after);

/* Application token for an app (or user) principal; ttl_s
 * 1..app_token_max_ttl_s; name NULL or a name for listings. *out_id
 * (optional) is the token's id (for listing, revocation). KW_E_NOT_FOUND
 * for an unknown principal. */
kw_rc kw_auth_token_create(kw_auth *a, const char *partition,
			   const char *principal, uint64_t ttl_s,
			   const char *name, kw_secret **out_token,
			   char out_id[KW_TOKEN_ID_LEN + 1],
			   int64_t *out_expires_at);

typedef struct kw_token_info {
	char id[KW_TOKEN_ID_LEN + 1];
	char principal[KW_NAME_MAX + 1];
	char partition[KW_NAME_MAX + 1];
	char name[KW_NAME_MAX + 1];
	int64_t created;
	int64_t expires_at;
	bool revoked;
	bool session;
} kw_token_info;

/*
 * Checks a presented token. KW_OK fills *out (source copied in);
 * KW_E_UNAUTHENTICATED for an unknown or malformed token; KW_E_EXPIRED for
 * one past its expiry or revoked. source may be NULL. The hot path of
 * every request: answered from a bounded in-memory cache after the first
 * use, no store access (see token_cache_ttl_s).
 */
kw_rc kw_auth_token_check(kw_auth *a, const char *token, size_t token_len,
			  const char *source, kw_caller *out);

/* The token with this id (so the caller can check the partition before
 * revoking it). KW_E_NOT_FOUND. */
kw_rc kw_auth_token_get(kw_auth *a, const char *token_id, kw_token_info *out);

/* Marks the token revoked (idempotent); it is refused at once, also from
 * the cache. KW_E_NOT_FOUND. */
kw_rc kw_auth_token_revoke(kw_auth *a, const char *token_id);
/* Revokes the presented token itself (logout). KW_E_UNAUTHENTICATED for
 * an unknown or malformed token. */
kw_rc kw_auth_logout(kw_auth *a, const char *token, size_t token_len);

/* Up to max (>= 1) tokens of a partition ("" = system), ascending id.
 * KW_E_NOT_FOUND for an unknown partition. */
kw_rc kw_auth_token_list(kw_auth *a, const char *partition, kw_token_info *out,
			 size_t max, size_t *out_n);

/* Deletes every token record past its expiry (revoked or not); the daemon
 * calls it now and then. *out_count (optional) gets the number. */
kw_rc kw_auth_token_purge(kw_auth *a, size_t *out_count);

/* ---- authorisation ------------------------------------------------------ */

/* Operations a caller may be granted. Stable numbers. */
typedef enum kw_op {
	KW_OP_NONE = 0,
	/* system */
	KW_OP_SYS_SEAL,
	KW_OP_SYS_STATUS_DETAIL,
	/* partitions, principals, tokens */
	KW_OP_PARTITION_CREATE,
	KW_OP_PARTITION_READ,
	KW_OP_PARTITION_DELETE,
	KW_OP_PRINCIPAL_MANAGE, /* create, delete, set password */
	KW_OP_PRINCIPAL_READ,
	KW_OP_ROLE_GRANT,
	KW_OP_TOKEN_MANAGE,
	/* key management */
	KW_OP_KEY_CREATE,
	KW_OP_KEY_READ, /* show, list, public key */
	KW_OP_KEY_ROTATE,
	KW_OP_KEY_STATE, /* enable, disable, compromise */
	KW_OP_KEY_DESTROY,
	KW_OP_KEY_UPDATE, /* labels, rotation, usages, exportable false */
	KW_OP_KEY_POLICY, /* policy change */
	KW_OP_KEY_EXPORT,
	KW_OP_KEY_IMPORT,
	/* key use */
	KW_OP_KEY_SIGN,
	KW_OP_KEY_VERIFY,
	KW_OP_KEY_ENCRYPT,
	KW_OP_KEY_DECRYPT,
	KW_OP_KEY_MAC,
	KW_OP_KEY_WRAP,
	KW_OP_KEY_UNWRAP,
	KW_OP_KEY_DATAKEY,
	KW_OP_RANDOM,
	/* audit, approvals */
	KW_OP_AUDIT_READ,
	KW_OP_APPROVAL_DECIDE,
	/* backup (docs/backup.md) */
	KW_OP_BACKUP_CREATE,
	KW_OP_BACKUP_RESTORE, /* into a running instance */
	KW_OP_COUNT_
} kw_op;

/* Stable snake_case names ("key_sign"), used in audit entries. */
const char *kw_op_name(kw_op op);

/*
 * Decides whether caller may perform op in partition (on the key whose
 * policy JSON is key_policy, NULL if no key is involved or the key has no
 * policy). KW_OK to allow; KW_E_DENIED otherwise, with a short reason
 * (no secrets) in reason[0..reason_len). Rules:
 *  - a non-system caller acts only in its own partition;
 *  - the role matrix (docs/roles.md) grants ops to roles;
 *  - a key policy can narrow use ops (sign, encrypt, ...) to named
 *    principals and roles: {"allow":[{"principals":["ci"],"roles":[...],
 *    "ops":["sign","verify"]}]}; an unparsable policy denies every op on
 *    the key except KW_OP_KEY_POLICY (so it can be replaced).
 * NULL caller, partition or an unknown op are denied too.
 * Pure function of its inputs (no store access; parsed policies are
 * memoised in a small bounded table); thread-safe.
 */
kw_rc kw_authz_check(const kw_caller *caller, kw_op op, const char *partition,
		     const char *key_policy, char *reason, size_t reason_len);

/*
 * Checks a key policy document before it is stored (docs/roles.md gives the
 * format). KW_OK if valid; KW_E_INVALID otherwise, with a message naming
 * the problem (e.g. "allow[0]: unknown field \"opz\"") in err[0..err_len).
 * err may be NULL. Thread-safe.
 */
kw_rc kw_key_policy_validate(const char *json, char *err, size_t err_len);

#endif
