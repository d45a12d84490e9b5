/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_QUORUM_H
#define KEYWARDEN_QUORUM_H

/*
 * M-of-N quorum approvals (DESIGN.md §1.6; docs/quorum.md).
 *
 * Quorum rules say which operations need M approvals from a group of
 * principals (named, and/or holders of a role) before they run. Rules are
 * set at three levels: the instance (global), a partition, and a key (the
 * "quorum" member of the key's policy). Every level that has a rule for an
 * operation adds a factor; a request runs only when every factor has its M
 * approvals (a key or partition can add to the global rule, never weaken
 * it).
 *
 * A request that needs a quorum does not run: it is parked as an approval
 * (a sealed record of type KW_REC_APPROVAL) bound to a SHA-256 digest of
 * its canonical parameters (operation, partition, key id and every
 * parameter). Approvers in a factor's group approve or reject it; the
 * requester cannot approve their own request, a principal counts once, a
 * single rejection ends it, and it expires after its TTL. Once approved,
 * the requester resubmits the identical request with the approval's id:
 * the digest is recomputed and the approval is consumed by a
 * compare-and-swap on its record, so it runs exactly once.
 *
 * The module decides and records; it does not audit (the service does, for
 * every step) and does no role checks beyond group membership (the service
 * checks the role matrix first).
 *
 * All functions are thread-safe, return KW_E_SEALED while the barrier is
 * sealed, KW_E_INVALID on bad arguments, KW_E_STORAGE / KW_E_INTEGRITY from
 * the layers below and KW_E_NOMEM, besides the codes named per function.
 * Outputs are written only on the results named as giving them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/auth.h"
#include "keywarden/barrier.h"
#include "keywarden/keys.h"
#include "keywarden/rc.h"
#include "keywarden/store.h"

#define KW_APPROVAL_ID_LEN    34 /* "a-" + 32 lowercase hex */
#define KW_QUORUM_RULES_MAX   32 /* rules per document */
#define KW_QUORUM_MEMBERS_MAX 32 /* principals named per group */
#define KW_QUORUM_M_MAX	      16
#define KW_QUORUM_FACTORS_MAX 3 /* global, partition, key */
#define KW_QUORUM_VOTES_MAX   (KW_QUORUM_FACTORS_MAX * KW_QUORUM_M_MAX)
#define KW_QUORUM_TTL_DEFAULT 86400u	     /* 1 day */
#define KW_QUORUM_TTL_MAX     (30u * 86400u) /* 30 days */
#define KW_QUORUM_PARAMS_MAX  16384	     /* bytes of canonical parameters */
#define KW_QUORUM_REASON_MAX  200
#define KW_QUORUM_DIGEST_LEN  32
#define KW_QUORUM_POLICY_MAX  65536 /* bytes of a rules document */
#define KW_QUORUM_OPEN_MAX    10000 /* approval records per partition */

/* Operations a quorum can guard. Stable numbers; names as in audit
 * entries and rule documents. */
typedef enum kw_qop {
	KW_QOP_NONE = 0,
	KW_QOP_KEY_DESTROY,	 /* "key_destroy": schedule destruction */
	KW_QOP_KEY_EXPORT,	 /* "key_export" */
	KW_QOP_KEY_POLICY,	 /* "key_policy": replace a key's policy */
	KW_QOP_KEY_SIGN,	 /* "key_sign": every signature (key only) */
	KW_QOP_ROLE_GRANT,	 /* "role_grant": give or change roles */
	KW_QOP_PARTITION_DELETE, /* "partition_delete" */
	KW_QOP_AUDIT_KEY_ROTATE, /* "audit_key_rotate" (global only) */
	KW_QOP_BACKUP_RESTORE,	 /* "backup_restore" (global only) */
	KW_QOP_QUORUM_POLICY,	 /* "quorum_policy": set a rules document */
	KW_QOP_TPM_SEAL,	 /* "tpm_seal": master key to the host TPM
				    (global only) */
	KW_QOP_COUNT_
} kw_qop;

/* NULL for values outside the enum. */
const char *kw_qop_name(kw_qop op);
/* KW_OK, KW_E_INVALID (unknown name). */
kw_rc kw_qop_parse(const char *name, kw_qop *out);

typedef enum kw_quorum_level {
	KW_QUORUM_GLOBAL = 1,
	KW_QUORUM_PARTITION = 2,
	KW_QUORUM_KEY = 3,
} kw_quorum_level;

/* "global", "partition", "key"; NULL otherwise. */
const char *kw_quorum_level_name(kw_quorum_level l);

/* Whether a rule at level may name op: key_sign only per key;
 * audit_key_rotate, backup_restore and tpm_seal only globally; role_grant,
 * partition_delete and quorum_policy globally or per partition;
 * key_destroy, key_export and key_policy at every level. */
bool kw_quorum_op_at_level(kw_qop op, kw_quorum_level level);

/*
 * Checks a rules document (docs/quorum.md) for a level: the instance's or a
 * partition's document, or the "quorum" member of a key policy (text of
 * that member alone). KW_OK, or KW_E_INVALID with a message naming the
 * problem (e.g. "rules[0].m: 3 is more than the 2 principals named") in
 * err[0..err_len) (err may be NULL). Pure; thread-safe.
 */
kw_rc kw_quorum_policy_validate(const char *json, kw_quorum_level level,
				char *err, size_t err_len);

/* A fast, conservative test for hot paths: false only when the key policy
 * text (NULL: none) certainly has no "quorum" member, so no key-level rule
 * can guard an operation on the key. Pure; thread-safe. */
bool kw_quorum_key_policy_may_guard(const char *key_policy);

/* A principal as groups name it: a principal of the request's partition,
 * or a system principal (written "*\/name"). */
typedef struct kw_quorum_member {
	char name[KW_NAME_MAX + 1];
	bool system;
} kw_quorum_member;

/* One factor of a request: the rule of one level. */
typedef struct kw_quorum_factor {
	kw_quorum_level level;
	char group[KW_NAME_MAX + 1];
	unsigned m;
	size_t n_members;
	kw_quorum_member members[KW_QUORUM_MEMBERS_MAX];
	uint32_t roles; /* holders of any of these roles count too */
	uint64_t ttl_s; /* 0 = the document's or the default */
	unsigned have;	/* approvals that count for it (computed) */
} kw_quorum_factor;

typedef enum kw_approval_state {
	KW_APPROVAL_PENDING = 1,
	KW_APPROVAL_APPROVED = 2, /* every factor met; may run once */
	KW_APPROVAL_REJECTED = 3,
	KW_APPROVAL_EXECUTED = 4,
	KW_APPROVAL_EXPIRED = 5,
} kw_approval_state;

/* "pending", "approved", "rejected", "executed", "expired". */
const char *kw_approval_state_name(kw_approval_state s);
kw_rc kw_approval_state_parse(const char *name, kw_approval_state *out);

typedef struct kw_approval_vote {
	kw_quorum_member who;
	uint32_t roles; /* the voter's roles when voting */
	int64_t at;
} kw_approval_vote;

/* A parked request. A snapshot; the caller owns it (kw_approval_free). */
typedef struct kw_approval {
	char id[KW_APPROVAL_ID_LEN + 1];
	kw_qop op;
	char partition[KW_NAME_MAX + 1]; /* "" = instance-wide */
	char key[KW_NAME_MAX + 1];	 /* "" = no key */
	char key_id[KW_KEY_ID_LEN + 1];
	kw_quorum_member requester;
	int64_t created;
	int64_t expires_at;
	/* As of reading: a pending or approved request past expires_at reads
	 * as KW_APPROVAL_EXPIRED. */
	kw_approval_state state;
	uint8_t digest[KW_QUORUM_DIGEST_LEN];	     /* of the request */
	uint8_t policy_digest[KW_QUORUM_DIGEST_LEN]; /* of the factors */
	char *params; /* canonical JSON text of the parameters */
	size_t n_factors;
	kw_quorum_factor factors[KW_QUORUM_FACTORS_MAX];
	size_t n_votes;
	kw_approval_vote votes[KW_QUORUM_VOTES_MAX];
	kw_quorum_member decided_by; /* who rejected; "" otherwise */
	int64_t decided_at;	     /* rejected or executed; 0 = not */
	char reason[KW_QUORUM_REASON_MAX + 1]; /* rejection reason */
	uint64_t record_version;
} kw_approval;

void kw_approval_free(kw_approval *a);

/* ---- the handle ----------------------------------------------------------- */

typedef struct kw_quorum_config {
	uint64_t default_ttl_s; /* 0 = KW_QUORUM_TTL_DEFAULT */
	/* Clock (unix seconds); NULL = time(). Tests move time with it. */
	int64_t (*now)(void *now_arg);
	void *now_arg;
} kw_quorum_config;

typedef struct kw_quorum kw_quorum;

/* cfg may be NULL. KW_E_INVALID for a default_ttl_s over
 * KW_QUORUM_TTL_MAX. b and s must outlive the handle. */
kw_rc kw_quorum_open(kw_barrier *b, kw_store *s, const kw_quorum_config *cfg,
		     kw_quorum **out);
void kw_quorum_free(kw_quorum *q);

/* ---- rules documents of the instance and of partitions ------------------- */

/* The document of the instance (partition NULL) or of a partition (a
 * valid name), as stored (malloc'd text). KW_OK; KW_E_NOT_FOUND if none
 * is set. */
kw_rc kw_quorum_policy_get(kw_quorum *q, const char *partition, char **out);

/* Sets (json not NULL; checked as kw_quorum_policy_validate does, else
 * KW_E_INVALID with err) or removes (json NULL; KW_E_NOT_FOUND if none)
 * the document. The caller has passed the quorum gate of
 * KW_QOP_QUORUM_POLICY under the documents in force before the change. */
kw_rc kw_quorum_policy_put(kw_quorum *q, const char *partition,
			   const char *json, char *err, size_t err_len);

/* ---- gating a request ----------------------------------------------------- */

/* An operation about to run. */
typedef struct kw_quorum_request {
	kw_qop op;
	const char *partition;	/* "" for instance-wide operations */
	const char *key_name;	/* NULL or "" when no key is involved */
	const char *key_id;	/* the key's id (binds the approval) */
	const char *key_policy; /* the key's policy text, or NULL */
	/* Every parameter of the request as a JSON object text (no
	 * secrets: digests of secret or bulky inputs instead); NULL = {}.
	 * Canonicalised (RFC 8785) before it is hashed and stored. */
	const char *params;
	const kw_caller *caller;
} kw_quorum_request;

/*
 * Decides whether req may run without approvals. KW_OK: no rule of any
 * level guards it (nothing stored). KW_E_QUORUM_PENDING: it was parked;
 * *out is the new approval (state pending). KW_E_DENIED: a key policy that
 * does not parse guards nothing but denies (fail closed) every operation
 * except key_policy. KW_E_LIMIT: the partition holds KW_QUORUM_OPEN_MAX
 * approval records. KW_E_INVALID: params is not a JSON object of at most
 * KW_QUORUM_PARAMS_MAX canonical bytes (or holds a real number).
 * *out_why (optional, room for KW_QUORUM_REASON_MAX + 1) says why on
 * KW_E_DENIED.
 */
kw_rc kw_quorum_request_open(kw_quorum *q, const kw_quorum_request *req,
			     kw_approval **out, char *out_why);

/*
 * Consumes approval `id` for req (its resubmission). KW_OK: the approval was
 * approved, unexpired, made by this caller for this exact request under the
 * rules still in force, and is now marked executed (compare-and-swap: of
 * concurrent resubmissions exactly one gets KW_OK); *out is it.
 *   KW_E_QUORUM_PENDING  still pending; *out is it (unchanged)
 *   KW_E_NOT_FOUND       no such approval (or not visible to the caller)
 *   KW_E_DENIED          the caller is not the requester, or the request
 *                        differs (operation, partition, key or any
 *                        parameter): the approval does not count for it
 *   KW_E_STATE           rejected, expired, already executed, or the
 *                        rules changed since it was requested
 * *out_why (optional, room for KW_QUORUM_REASON_MAX + 1) says which.
 */
kw_rc kw_quorum_request_consume(kw_quorum *q, const kw_quorum_request *req,
				const char *id, kw_approval **out,
				char *out_why);

/* ---- approvers ------------------------------------------------------------ */

/*
 * Who may see an approval: a system principal, or a principal of its
 * partition who is the requester, in a factor's group, or holds the
 * security-officer, custodian or auditor role.
 */
bool kw_approval_visible(const kw_approval *a, const kw_caller *caller);

/* One approval. KW_OK; KW_E_NOT_FOUND (also when not visible). */
kw_rc kw_quorum_request_get(kw_quorum *q, const kw_caller *caller,
			    const char *id, kw_approval **out);

/* One page of the visible approvals of partition ("" = instance-wide), in
 * id order after cursor (NULL = from the start), at most limit (1..1000);
 * state KW_APPROVAL_STATE_ANY or a state to select. *out_next: the cursor
 * of the next page or NULL. Free with kw_approval_list_free. */
#define KW_APPROVAL_STATE_ANY 0
kw_rc kw_quorum_request_list(kw_quorum *q, const kw_caller *caller,
			     const char *partition, int state,
			     const char *cursor, size_t limit,
			     kw_approval ***out, size_t *out_n,
			     char **out_next);
void kw_approval_list_free(kw_approval **list, size_t n, char *next);

/*
 * Adds caller's approval. KW_OK with *out (state approved once every
 * factor has its M). KW_E_NOT_FOUND; KW_E_DENIED: the caller is the
 * requester, or in no factor's group; KW_E_EXISTS: the caller approved it
 * already (counted once); KW_E_STATE: not pending (rejected, executed,
 * expired, or approved already). *out_why (optional) says which.
 */
kw_rc kw_quorum_request_approve(kw_quorum *q, const kw_caller *caller,
				const char *id, kw_approval **out,
				char *out_why);

/*
 * Rejects: ends the request for good. Any principal in a factor's group
 * may reject, and the requester may withdraw their own. reason (NULL or
 * at most KW_QUORUM_REASON_MAX bytes of printable text) is kept. KW_OK with
 * *out; KW_E_NOT_FOUND; KW_E_DENIED (neither in a group nor the
 * requester); KW_E_STATE (no longer pending or approved).
 */
kw_rc kw_quorum_request_reject(kw_quorum *q, const kw_caller *caller,
			       const char *id, const char *reason,
			       kw_approval **out, char *out_why);

/* Called once per approval that expire_due marked expired (after the
 * commit); a is valid during the call only. */
typedef void (*kw_quorum_expired_cb)(const kw_approval *a, void *arg);

/* Marks every pending or approved request past its expiry as expired
 * (calling cb for each), and deletes finished records (rejected,
 * executed, expired) more than retention_s past their expiry. Scans every
 * approval (the scheduler's job). *out_count (optional): how many
 * expired. */
kw_rc kw_quorum_expire_due(kw_quorum *q, uint64_t retention_s,
			   kw_quorum_expired_cb cb, void *arg,
			   size_t *out_count);

/* Deletes the rules document of a partition that no longer exists. KW_OK
 * also when it had none. */
kw_rc kw_quorum_partition_forget(kw_quorum *q, const char *partition);

#endif
