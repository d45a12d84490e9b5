/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_SERVICE_INTERNAL_H
#define KW_SERVICE_INTERNAL_H

/*
 * Shared by the files of src/lib/service only.
 *
 *   service.c     open/close/tick, calls and their audit events, health,
 *                 authentication, the authorisation and quorum gates
 *   svc_sys.c     init, unseal, seal, status, dev-mode root token
 *   svc_auth.c    login, logout, tokens, partitions, principals
 *   svc_keys.c    key management
 *   svc_crypto.c  operations with keys, random
 *   svc_audit.c   reading the audit trail, its public keys, checkpoints
 *   svc_quorum.c  the quorum gate, approvals, quorum rules (svc_quorum.h)
 */

#include "service/service.h"

struct kw_service {
	kw_store *store;
	kw_barrier *barrier;
	kw_auth *auth;
	kw_keys *keys;
	kw_audit *audit;
	kw_quorum *quorum;
	kw_pki *pki; /* CAs, certificates, TSA (svc_ca.c) */
	unsigned ticks;
	struct kw_svc_attest *attest; /* TPM features (svc_attest.c) */
	kw_service_config cfg;	      /* as opened: a restore reopens it */
	struct svc_restore *restore;  /* prepared, not applied (svc_backup.c) */
};

/* Drops a prepared restore (wiping its master key); kw_service_close. */
void svc_backup_forget(kw_service *svc);

/* Role check for op in partition (no key involved). KW_OK, or
 * KW_E_UNAUTHENTICATED (no caller), KW_E_DENIED with ev.reason set. Sets
 * ev.partition. */
kw_rc svc_authorize(kw_service *svc, kw_svc_call *c, kw_op op,
		    const char *partition);

/* Role check, then the key lookup (by name or id), then the check against
 * the key's policy. On KW_OK *out is the key (kw_key_info_free it); ev.key
 * is its name. A caller without the role learns nothing about the key's
 * existence. */
kw_rc svc_authorize_key(kw_service *svc, kw_svc_call *c, kw_op op,
			const char *partition, const char *name,
			kw_key_info **out);

/*
 * The quorum gate (svc_quorum.c; docs/quorum.md): called after
 * authorisation and before an operation runs, with the operation, the
 * partition it acts in ("" for instance-wide ones), its key (or NULL) and
 * every parameter of the request as a JSON object text without secrets
 * (digests of secret or bulky inputs instead; NULL means the builder ran
 * out of memory). Returns:
 *   KW_OK                no rule guards it; or c->use_approval names an
 *                        approved approval of this exact request by this
 *                        caller, now used up and audited
 *                        ("approval_executed"): run it
 *   KW_E_QUORUM_PENDING  parked (event op "approval_request"), or still
 *                        pending; c->approval_id is the approval
 *   KW_E_DENIED, KW_E_STATE, KW_E_NOT_FOUND, KW_E_LIMIT, KW_E_AUDIT, ...
 *                        refused, ev.reason says why
 * For instance: svc_quorum_gate(svc, c, KW_QOP_BACKUP_RESTORE, "", NULL,
 * "{\"sha256\":\"<hex of the backup file>\"}").
 */
kw_rc svc_quorum_gate(kw_service *svc, kw_svc_call *c, kw_qop op,
		      const char *partition, const kw_key_info *key,
		      const char *params);

/* The gate of a batch of crypto items (op's items: kw_svc_sign_item for
 * KW_OP_KEY_SIGN): only signing can be guarded, by the key's own rules;
 * each input is bound by its SHA-256. */
kw_rc svc_quorum_gate_items(kw_service *svc, kw_svc_call *c, kw_op op,
			    const kw_key_info *k, const void *items, size_t n);

/* Parameters of guarded operations as JSON text (malloc; NULL when out of
 * memory or, for a key update, when its policy is not JSON). */
char *svc_params_key_update(const kw_key_update *u);
char *svc_params_roles(const char *principal, uint32_t roles, const char *kind);
char *svc_params_partition(const char *partition);

/* Marks expired approvals and audits them (kw_service_tick). */
void svc_quorum_tick(kw_service *svc);

/* Writes ev.reason (printf-style, client-safe text only). */
void svc_reason(kw_svc_call *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* s if it is a valid name ([A-Za-z0-9._-], 1..KW_NAME_MAX) or "*", else
 * "(invalid)": what the audit detail may quote of caller input. */
const char *svc_safe_name(const char *s);

/* Sets ev.key (and the version, if not 0). */
void svc_event_key(kw_svc_call *c, const char *name, uint32_t version);

#endif
