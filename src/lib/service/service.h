/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_SERVICE_SERVICE_H
#define KW_SERVICE_SERVICE_H

/*
 * The service facade: one kw_svc_* function per API operation, so that the
 * front ends (the daemon's REST handlers) stay thin. Each function takes
 * the request's kw_svc_call (who is calling, from where, request id) and
 * plain C arguments, and does, in order:
 *   1. authorisation: kw_authz_check() with the caller's roles and, for
 *      operations on a key, the key's policy (deny by default: any failure
 *      to decide is a denial);
 *   2. quorum: operations that quorum rules guard return
 *      KW_E_QUORUM_PENDING instead of running, until their requester
 *      resubmits them with an approved approval's id (svc_quorum_gate();
 *      docs/quorum.md);
 *   3. the operation itself (barrier, auth, keys);
 *   4. the audit event: call->ev is filled with the operation, partition,
 *      key, key version, denial reason and a detail object.
 * The caller submits the event with kw_svc_audit_submit() and returns the
 * result to the client only once the event is durable (the daemon does so
 * from the audit completion callback). Every call is audited: also
 * denials, failed logins, errors and unauthenticated requests.
 *
 * Return codes are the core's, normalised to the API's meaning (e.g. a
 * mistyped share is KW_E_INVALID, not KW_E_INTEGRITY; a plaintext too long
 * for an RSA key is KW_E_INVALID, not KW_E_LIMIT): the daemon maps them to
 * HTTP with one function. When a function fails, ev.reason says why in
 * words fit for the client (never a secret).
 *
 * All functions are thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/audit.h"
#include "keywarden/auth.h"
#include "keywarden/barrier.h"
#include "keywarden/keys.h"
#include "keywarden/pki.h"
#include "keywarden/quorum.h"
#include "keywarden/rc.h"
#include "keywarden/secret.h"
#include "keywarden/store.h"

typedef struct kw_service kw_service;

typedef struct kw_service_config {
	kw_store_config store;
	kw_auth_config auth;
	kw_audit_config audit;
	kw_quorum_config quorum; /* approvals' default TTL */
	kw_pki_config pki;	 /* CRL files (docs/pki.md) */
	size_t key_cache_max;	 /* 0 = 10000 */
} kw_service_config;

/* Opens the store, the barrier (sealed), auth, keys and the audit trail.
 * KW_OK or the first failing layer's code (nothing is left open). */
kw_rc kw_service_open(const kw_service_config *cfg, kw_service **out);

/* Writes a final audit checkpoint and drains the audit queue (every
 * pending completion callback has run when this returns), seals, closes
 * the store, frees. NULL is allowed. */
void kw_service_close(kw_service *svc);

/* Housekeeping, called now and then (the daemon: every few seconds):
 * destroys keys whose waiting period is over, purges expired tokens,
 * records approvals that expired. */
void kw_service_tick(kw_service *svc);

/* ---- one request -------------------------------------------------------- */

#define KW_SVC_REASON_MAX 160
#define KW_SVC_DETAIL_MAX 256
#define KW_REQUEST_ID_MAX 40

/* What the audit entry of a call says. */
typedef struct kw_svc_event {
	const char *op; /* static string: "key_sign", "auth_login", ... */
	char partition[KW_NAME_MAX + 1];
	char key[KW_NAME_MAX + 1];
	uint32_t key_version;
	kw_audit_result result;
	char reason[KW_SVC_REASON_MAX]; /* why it failed; client-safe */
	char detail[KW_SVC_DETAIL_MAX]; /* JSON object text or "" */
} kw_svc_event;

typedef struct kw_svc_call {
	kw_caller caller; /* valid when authenticated */
	bool authenticated;
	char source[KW_SOURCE_MAX + 1];
	char request_id[KW_REQUEST_ID_MAX + 1];
	kw_svc_event ev;
	/* Quorum (issue 4): the approval id the operation was parked under
	 * when a function returns KW_E_QUORUM_PENDING. */
	char approval_id[48];
	/* In: the approval a resubmission presents (X-Keywarden-Approval),
	 * "" for none; the quorum gate consumes it. */
	char use_approval[48];
} kw_svc_call;

/* Starts a call: op is the operation's audit name (static). */
void kw_svc_call_init(kw_svc_call *c, const char *op, const char *source,
		      const char *request_id);

/* Sets ev.result and ev.reason from an outcome decided at the edge
 * (e.g. a malformed body): code is the API error code, reason the text. */
void kw_svc_call_outcome(kw_svc_call *c, kw_audit_result result,
			 const char *code, const char *reason);

/* Submits c's event to the audit trail; cb runs exactly once when it is
 * durable (KW_OK) or has failed, if this returns KW_OK. Otherwise
 * (KW_E_AUDIT: trail down; KW_E_LIMIT: queue full) cb does not run. */
kw_rc kw_svc_audit_submit(kw_service *svc, const kw_svc_call *c,
			  kw_audit_done_cb cb, void *arg);

/* The same, waiting until the event is durable (start-up, dev mode).
 * KW_OK, KW_E_AUDIT, KW_E_LIMIT. */
kw_rc kw_svc_audit_append(kw_service *svc, const kw_svc_call *c);

/* ---- status (unauthenticated, not audited) -------------------------------- */

typedef struct kw_svc_health {
	bool initialized;
	bool sealed;
	bool audit_ok;
	char audit_reason[128];
	uint64_t audit_backlog;
	uint64_t audit_entries; /* written since start, all kinds */
	uint64_t audit_commits; /* write transactions (fsyncs) since start */
} kw_svc_health;

void kw_svc_health_get(kw_service *svc, kw_svc_health *out);

/* ---- authentication --------------------------------------------------------- */

/* Checks a bearer token; fills c->caller. KW_E_UNAUTHENTICATED,
 * KW_E_EXPIRED (expired or revoked), KW_E_SEALED. */
kw_rc kw_svc_authenticate(kw_service *svc, kw_svc_call *c, const char *token,
			  size_t token_len);

/* ---- sys ---------------------------------------------------------------------- */

kw_rc kw_svc_sys_status(kw_service *svc, kw_svc_call *c,
			kw_barrier_status *out);
/* Initialises the instance (unsealed afterwards) and bootstraps auth:
 * *out_shares (n secrets, free with kw_barrier_shares_free) and the root
 * token. root_password may be NULL. KW_E_EXISTS if initialised. */
kw_rc kw_svc_sys_init(kw_service *svc, kw_svc_call *c, unsigned n,
		      unsigned threshold, const kw_secret *root_password,
		      kw_secret ***out_shares, kw_secret **out_root_token);
/* share NULL: reset the progress. */
kw_rc kw_svc_sys_unseal(kw_service *svc, kw_svc_call *c, const kw_secret *share,
			kw_barrier_status *out);
kw_rc kw_svc_sys_seal(kw_service *svc, kw_svc_call *c, kw_barrier_status *out);
/* Dev mode only (not an API operation): a fresh application token for the
 * root principal, valid ttl_s; the ones earlier dev starts issued are
 * revoked. */
kw_rc kw_svc_dev_root_token(kw_service *svc, kw_svc_call *c, uint64_t ttl_s,
			    kw_secret **out_token);

/* ---- audit --------------------------------------------------------------------- */

/* Entries matching f (a caller that is not a system principal is held to
 * its own partition: f->partition is overwritten). Needs audit_read. */
kw_rc kw_svc_audit_read(kw_service *svc, kw_svc_call *c, kw_audit_filter *f,
			kw_audit_page *out);
/* The audit public keys (any authenticated caller). */
kw_rc kw_svc_audit_pubkeys(kw_service *svc, kw_svc_call *c,
			   kw_audit_pubkey **out, size_t *out_n);
/* A checkpoint covering everything before (audit_read). KW_E_SEALED while
 * sealed. */
kw_rc kw_svc_audit_checkpoint(kw_service *svc, kw_svc_call *c,
			      uint64_t *out_seq);

/* ---- auth ------------------------------------------------------------------------ */

kw_rc kw_svc_auth_login(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *user, const kw_secret *password,
			kw_secret **out_token, kw_caller *out_caller,
			uint64_t *out_retry_after);
kw_rc kw_svc_auth_logout(kw_service *svc, kw_svc_call *c, const char *token,
			 size_t token_len);
kw_rc kw_svc_auth_whoami(kw_service *svc, kw_svc_call *c);
kw_rc kw_svc_token_create(kw_service *svc, kw_svc_call *c,
			  const char *partition, const char *principal,
			  uint64_t ttl_s, const char *name,
			  kw_secret **out_token,
			  char out_id[KW_TOKEN_ID_LEN + 1],
			  int64_t *out_expires_at);
kw_rc kw_svc_token_list(kw_service *svc, kw_svc_call *c, const char *partition,
			kw_token_info *out, size_t max, size_t *out_n);
kw_rc kw_svc_token_revoke(kw_service *svc, kw_svc_call *c,
			  const char *partition, const char *token_id);

/* ---- partitions ------------------------------------------------------------------- */

kw_rc kw_svc_partition_create(kw_service *svc, kw_svc_call *c, const char *name,
			      kw_partition_info *out);
kw_rc kw_svc_partition_get(kw_service *svc, kw_svc_call *c, const char *name,
			   kw_partition_info *out);
kw_rc kw_svc_partition_list(kw_service *svc, kw_svc_call *c,
			    kw_partition_info *out, size_t max, size_t *out_n);
kw_rc kw_svc_partition_delete(kw_service *svc, kw_svc_call *c,
			      const char *name);

/* ---- principals -------------------------------------------------------------------- */

kw_rc kw_svc_principal_create(kw_service *svc, kw_svc_call *c,
			      const char *partition, const char *name,
			      kw_principal_kind kind, uint32_t roles,
			      const kw_secret *password,
			      kw_principal_info *out);
kw_rc kw_svc_principal_get(kw_service *svc, kw_svc_call *c,
			   const char *partition, const char *name,
			   kw_principal_info *out);
kw_rc kw_svc_principal_list(kw_service *svc, kw_svc_call *c,
			    const char *partition, const char *cursor,
			    kw_principal_info *out, size_t max, size_t *out_n);
kw_rc kw_svc_principal_set_roles(kw_service *svc, kw_svc_call *c,
				 const char *partition, const char *name,
				 uint32_t roles, kw_principal_info *out);
kw_rc kw_svc_principal_set_password(kw_service *svc, kw_svc_call *c,
				    const char *partition, const char *name,
				    const kw_secret *password);
kw_rc kw_svc_principal_delete(kw_service *svc, kw_svc_call *c,
			      const char *partition, const char *name);

/* ---- keys ------------------------------------------------------------------------------ */

kw_rc kw_svc_key_create(kw_service *svc, kw_svc_call *c,
			const kw_key_spec *spec, kw_key_info **out);
kw_rc kw_svc_key_get(kw_service *svc, kw_svc_call *c, const char *partition,
		     const char *name, kw_key_info **out);
kw_rc kw_svc_key_list(kw_service *svc, kw_svc_call *c, const char *partition,
		      const kw_key_filter *filter, const char *cursor,
		      size_t limit, kw_key_info ***out, size_t *out_n,
		      char **out_next);
/* op: KW_OP_KEY_UPDATE, or KW_OP_KEY_POLICY when u->set_policy. */
kw_rc kw_svc_key_update(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, const kw_key_update *u,
			kw_key_info **out);
kw_rc kw_svc_key_rotate(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, kw_key_info **out);
/* to: active (enable), disabled (disable, cancel destruction),
 * compromised. */
kw_rc kw_svc_key_set_state(kw_service *svc, kw_svc_call *c,
			   const char *partition, const char *name,
			   kw_key_state to, kw_key_info **out);
kw_rc kw_svc_key_destroy(kw_service *svc, kw_svc_call *c, const char *partition,
			 const char *name, uint64_t waiting_s,
			 kw_key_info **out);

/* A public key: PEM, and the raw components for a JWK. */
typedef struct kw_svc_pubkey {
	kw_key_type type;
	uint32_t version;
	char *pem;	/* malloc */
	uint8_t *a, *b; /* RSA n, e; EC x, y; Ed25519 key, NULL (malloc) */
	size_t a_len, b_len;
} kw_svc_pubkey;
void kw_svc_pubkey_clear(kw_svc_pubkey *p);
kw_rc kw_svc_key_public(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, uint32_t version, kw_svc_pubkey *out);

/* ---- crypto ------------------------------------------------------------------------------ */

/* Batches: the caller passes n items (1 for a single request); the
 * operation is authorised once for all of them, each item then succeeds or
 * fails on its own (items[i].rc). The function fails as a whole only when
 * authorisation or the key lookup fails; for n == 1 the item's result is
 * the function's result. Items whose rc is not KW_OK on entry (refused by
 * the front end, e.g. an unknown hash name) are skipped and counted as
 * failed; all others must come in with rc KW_OK. One audit entry covers the batch
 * (detail: items and failures). */

/* hash_set false: the key's natural hash (SHA-256 for RSA and ECDSA, none
 * for Ed25519) is filled into params.hash. */
typedef struct kw_svc_sign_item {
	kw_sign_params params;
	bool hash_set;
	const uint8_t *in; /* message, or digest if params.prehashed */
	size_t in_len;
	/* out */
	kw_rc rc;
	uint8_t *sig; /* malloc */
	size_t sig_len;
	uint32_t version;
} kw_svc_sign_item;
kw_rc kw_svc_key_sign(kw_service *svc, kw_svc_call *c, const char *partition,
		      const char *name, kw_svc_sign_item *items, size_t n);

typedef struct kw_svc_verify_item {
	kw_sign_params params;
	bool hash_set;
	const uint8_t *in;
	size_t in_len;
	const uint8_t *sig;
	size_t sig_len;
	uint32_t version; /* 0 = primary */
	/* out: KW_OK valid, KW_E_VERIFY invalid, else an error */
	kw_rc rc;
} kw_svc_verify_item;
kw_rc kw_svc_key_verify(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, kw_svc_verify_item *items, size_t n);

typedef struct kw_svc_enc_item {
	kw_enc_params params;
	const uint8_t *pt;
	size_t pt_len;
	/* out */
	kw_rc rc;
	uint8_t *ct; /* malloc */
	size_t ct_len;
	uint32_t version;
} kw_svc_enc_item;
kw_rc kw_svc_key_encrypt(kw_service *svc, kw_svc_call *c, const char *partition,
			 const char *name, kw_svc_enc_item *items, size_t n);

typedef struct kw_svc_dec_item {
	kw_enc_params params;
	const uint8_t *ct;
	size_t ct_len;
	uint32_t version;
	/* out */
	kw_rc rc;
	kw_secret *pt;
} kw_svc_dec_item;
kw_rc kw_svc_key_decrypt(kw_service *svc, kw_svc_call *c, const char *partition,
			 const char *name, kw_svc_dec_item *items, size_t n);

kw_rc kw_svc_key_mac(kw_service *svc, kw_svc_call *c, const char *partition,
		     const char *name, const uint8_t *in, size_t in_len,
		     uint8_t **out, size_t *out_len, uint32_t *out_version);
/* KW_OK valid, KW_E_VERIFY not. */
kw_rc kw_svc_key_mac_verify(kw_service *svc, kw_svc_call *c,
			    const char *partition, const char *name,
			    uint32_t version, const uint8_t *in, size_t in_len,
			    const uint8_t *tag, size_t tag_len);
kw_rc kw_svc_key_wrap(kw_service *svc, kw_svc_call *c, const char *partition,
		      const char *name, kw_wrap_mode mode, const kw_secret *in,
		      uint8_t **out, size_t *out_len, uint32_t *out_version);
kw_rc kw_svc_key_unwrap(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, uint32_t version, kw_wrap_mode mode,
			const uint8_t *in, size_t in_len, kw_secret **out);
/* A fresh data key of type dk (aes-128, aes-256): its plaintext and its
 * encryption under the key (AES-GCM with aad, or RSA-OAEP). */
kw_rc kw_svc_key_datakey(kw_service *svc, kw_svc_call *c, const char *partition,
			 const char *name, kw_key_type dk,
			 const kw_enc_params *p, kw_secret **out_pt,
			 uint8_t **out_ct, size_t *out_ct_len,
			 uint32_t *out_version);
/* n bytes (1..65536) from the DRBG, in the caller's partition. */
kw_rc kw_svc_random(kw_service *svc, kw_svc_call *c, const char *partition,
		    size_t n, kw_secret **out);

#endif
