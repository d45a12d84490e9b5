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
 */

#include "service/service.h"

struct kw_service {
	kw_store *store;
	kw_barrier *barrier;
	kw_auth *auth;
	kw_keys *keys;
	kw_audit *audit;
	unsigned ticks;
};

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
 * The quorum gate (issue 4): called after authorisation and before an
 * operation runs. Returns KW_OK to let it run, or KW_E_QUORUM_PENDING after
 * parking the exact request (op, partition, key, digest of the parameters)
 * as a pending approval whose id goes into c->approval_id. The quorum
 * module is not there yet: every operation runs.
 */
kw_rc svc_quorum_gate(kw_service *svc, kw_svc_call *c, kw_op op,
		      const kw_key_info *key, const void *params_digest,
		      size_t params_digest_len);

/* Writes ev.reason (printf-style, client-safe text only). */
void svc_reason(kw_svc_call *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* s if it is a valid name ([A-Za-z0-9._-], 1..KW_NAME_MAX) or "*", else
 * "(invalid)": what the audit detail may quote of caller input. */
const char *svc_safe_name(const char *s);

/* Sets ev.key (and the version, if not 0). */
void svc_event_key(kw_svc_call *c, const char *name, uint32_t version);

#endif
