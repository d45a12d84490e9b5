/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_ROUTES_APPROVALS_H
#define KW_DAEMON_ROUTES_APPROVALS_H

/* Quorum approvals and rules (docs/quorum.md): /v1/approvals, the rules of
 * the instance, of partitions and of keys, and the audit key rotation they
 * guard. Handlers in routes_approvals.c; KW_ROUTES_APPROVALS is their part
 * of the route table (routes.c). */

#include "daemon/request.h"

void kw_h_approval_list(kw_req *r);
void kw_h_approval_get(kw_req *r);
void kw_h_approval_approve(kw_req *r);
void kw_h_approval_reject(kw_req *r);
void kw_h_quorum_get(kw_req *r);
void kw_h_quorum_put(kw_req *r);
void kw_h_partition_quorum_get(kw_req *r);
void kw_h_partition_quorum_put(kw_req *r);
void kw_h_key_quorum_get(kw_req *r);
void kw_h_key_quorum_put(kw_req *r);
void kw_h_audit_key_rotate(kw_req *r);

/* Takes the approval a resubmission presents (header X-Keywarden-Approval,
 * else ?approval=) into r->call, before the handler runs. */
void kw_req_approval_read(kw_req *r);

/* The 202 answer of a request parked for approvals: {"approval":{...}}. */
void kw_reply_pending(kw_req *r);

/* clang-format off */
#define KW_ROUTES_APPROVALS \
	{"GET", "/v1/approvals", kw_h_approval_list, 0, "approval_list"}, \
	{"GET", "/v1/approvals/{id}", kw_h_approval_get, 0, "approval_read"}, \
	{"POST", "/v1/approvals/{id}/approve", kw_h_approval_approve, 0, \
	 "approval_approve"}, \
	{"POST", "/v1/approvals/{id}/reject", kw_h_approval_reject, 0, \
	 "approval_reject"}, \
	{"GET", "/v1/quorum/policy", kw_h_quorum_get, 0, "quorum_policy_read"}, \
	{"PUT", "/v1/quorum/policy", kw_h_quorum_put, 0, "quorum_policy"}, \
	{"GET", "/v1/partitions/{name}/quorum/policy", \
	 kw_h_partition_quorum_get, 0, "quorum_policy_read"}, \
	{"PUT", "/v1/partitions/{name}/quorum/policy", \
	 kw_h_partition_quorum_put, 0, "quorum_policy"}, \
	{"GET", "/v1/keys/{name}/quorum/policy", kw_h_key_quorum_get, 0, \
	 "key_read"}, \
	{"PUT", "/v1/keys/{name}/quorum/policy", kw_h_key_quorum_put, 0, \
	 "key_policy"}, \
	{"POST", "/v1/audit/rotate-key", kw_h_audit_key_rotate, 0, \
	 "audit_key_rotate"}
/* clang-format on */

#endif
