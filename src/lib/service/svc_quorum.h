/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_SERVICE_SVC_QUORUM_H
#define KW_SERVICE_SVC_QUORUM_H

/*
 * The service functions of quorum approvals and rules (docs/quorum.md;
 * include/keywarden/quorum.h): the same contract as service.h. Every call
 * is audited by its caller (the daemon) with the op of its route; the
 * approval's id is in the event's detail. Approval ids that are not
 * well-formed are KW_E_NOT_FOUND.
 *
 * Who may: see an approval — see kw_approval_visible(); decide one —
 * members of its groups (and the requester, to withdraw it); read rules —
 * security officers, custodians and auditors; set the global rules — a
 * system security officer; a partition's — its security officers (or a
 * system one); a key's — whoever may set the key's policy. Setting rules
 * passes the quorum gate of quorum_policy (key_policy for a key) under the
 * rules in force before the change.
 */

#include "keywarden/quorum.h"
#include "service/service.h"

/* partition: whose approvals ("" = instance-wide); state 0 or a
 * kw_approval_state. Free with kw_approval_list_free. KW_E_DENIED for a
 * partition that is not the caller's (non-system callers). */
kw_rc kw_svc_approval_list(kw_service *svc, kw_svc_call *c,
			   const char *partition, int state, const char *cursor,
			   size_t limit, kw_approval ***out, size_t *out_n,
			   char **out_next);
kw_rc kw_svc_approval_get(kw_service *svc, kw_svc_call *c, const char *id,
			  kw_approval **out);
/* KW_E_DENIED (own request, not in a group), KW_E_EXISTS (approved
 * already), KW_E_STATE (not pending: expired, rejected, ...). */
kw_rc kw_svc_approval_approve(kw_service *svc, kw_svc_call *c, const char *id,
			      kw_approval **out);
/* reason may be NULL. */
kw_rc kw_svc_approval_reject(kw_service *svc, kw_svc_call *c, const char *id,
			     const char *reason, kw_approval **out);

/* The approval the call was parked under (c->approval_id, after a
 * function returned KW_E_QUORUM_PENDING), for the 202 answer. Not an
 * operation of its own: nothing is audited or changed in c. */
kw_rc kw_svc_approval_parked(kw_service *svc, const kw_svc_call *c,
			     kw_approval **out);

/* The rules document of the instance (partition NULL) or of a partition;
 * *out NULL when none is set (malloc'd text otherwise). */
kw_rc kw_svc_quorum_policy_get(kw_service *svc, kw_svc_call *c,
			       const char *partition, char **out);
/* json NULL removes the document. KW_E_INVALID (reason says why),
 * KW_E_QUORUM_PENDING, KW_E_NOT_FOUND (partition). */
kw_rc kw_svc_quorum_policy_set(kw_service *svc, kw_svc_call *c,
			       const char *partition, const char *json);

/* The "quorum" member of a key's policy (*out NULL when it has none). */
kw_rc kw_svc_key_quorum_get(kw_service *svc, kw_svc_call *c,
			    const char *partition, const char *name,
			    char **out);
/* Replaces that member (json NULL removes it), keeping the rest of the
 * policy: a key policy change (kw_svc_key_update). */
kw_rc kw_svc_key_quorum_set(kw_service *svc, kw_svc_call *c,
			    const char *partition, const char *name,
			    const char *json, kw_key_info **out);

/* Rotates the audit signing key (kw_audit_key_rotate): system security
 * officers, under the audit_key_rotate quorum. out_key_id (room for
 * KW_AUDIT_KEY_ID_LEN + 1) gets the new key's id. */
kw_rc kw_svc_audit_key_rotate(kw_service *svc, kw_svc_call *c,
			      char *out_key_id);

#endif
