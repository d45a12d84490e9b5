/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "cli.h"

/* keywarden approval list | show | approve | reject: M-of-N quorum
 * approvals (docs/quorum.md) */

static const kw_cli_field approval_cols[] = {
	{"id", "id"},	    {"op", "op"},
	{"key", "key"},	    {"requester", "requester"},
	{"state", "state"}, {"approvals", "approvals"},
	{"m", "m"},	    {"expires_at", "expires"},
	{NULL, NULL},
};

static const kw_cli_field approval_fields[] = {
	{"id", "id"},
	{"op", "op"},
	{"state", "state"},
	{"partition", "partition"},
	{"key", "key"},
	{"key_id", "key id"},
	{"requester", "requester"},
	{"params", "parameters"},
	{"digest", "digest"},
	{"group", "group"},
	{"m", "m"},
	{"approvals", "approvals"},
	{"approved_by", "approved by"},
	{"factors", "factors"},
	{"rejected_by", "rejected by"},
	{"reason", "reason"},
	{"created", "created"},
	{"expires_at", "expires"},
	{"decided_at", "decided"},
	{NULL, NULL},
};

static const char *const states[] = {
	"pending", "approved", "rejected", "executed", "expired", NULL,
};

static kw_rc approval_list(kw_cli *cli, const kw_cli_args *a)
{
	static const char *const query[] = {"state", "limit", "cursor", NULL};
	const char *s = kw_cli_arg(a, "state");
	size_t k = 0;
	while (s != NULL && states[k] != NULL && strcmp(states[k], s) != 0)
		k++;
	if (s != NULL && states[k] == NULL)
		return kw_cli_usage(cli, "--state: expected pending, approved, "
					 "rejected, executed or expired");
	return kw_cli_list(cli, a, "/v1/approvals", query, "approvals",
			   approval_cols);
}

static kw_rc approval_show(kw_cli *cli, const kw_cli_args *a)
{
	return kw_cli_show(cli, a, "/v1/approvals", approval_fields);
}

/* POST /v1/approvals/ID/<verb>; prints the approval as it is now. */
static kw_rc approval_decide(kw_cli *cli, const kw_cli_args *a,
			     const char *verb, json_t *body)
{
	kw_rc rc = kw_cli_object_call(cli, "POST", "/v1/approvals", a->operand,
				      verb, body, approval_fields);
	json_decref(body);
	return rc;
}

static kw_rc approval_approve(kw_cli *cli, const kw_cli_args *a)
{
	return approval_decide(cli, a, "/approve", json_object());
}

static kw_rc approval_reject(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_object();
	const char *reason = kw_cli_arg(a, "reason");
	if (body != NULL && reason != NULL)
		json_object_set_new(body, "reason", json_string(reason));
	return approval_decide(cli, a, "/reject", body);
}

static const kw_cli_opt list_opts[] = {
	{"state", "STATE", 0,
	 "only pending, approved, rejected, executed or expired ones"},
	{"limit", "N", 0, "at most N entries (1-1000, default 100)"},
	{"cursor", "C", 0, "continue after a previous page"},
	{"partition", "NAME", 0,
	 "the partition's approvals (system principals; '*' for "
	 "instance-wide operations; default: default)"},
	{NULL},
};

static const kw_cli_opt reject_opts[] = {
	{"reason", "TEXT", 0,
	 "why (printable text, at most 200 characters; kept with the "
	 "request)"},
	{NULL},
};

static const kw_cli_cmd approval_cmds[] = {
	{"list", "list approval requests you may see", NULL, list_opts,
	 approval_list,
	 "Shows the requests of a partition that you made, that you may "
	 "approve, or,\nas a security officer, custodian or auditor, all of "
	 "them.",
	 "keywarden approval list --state pending", 0},
	{"show", "show a request: operation, key, parameters and their digest",
	 "ID", NULL, approval_show,
	 "The digest is SHA-256 over the canonical JSON of the operation, "
	 "partition,\nkey id and parameters (docs/quorum.md): the approval "
	 "counts for that exact\nrequest only.",
	 "keywarden approval show a-0123456789abcdef0123456789abcdef", 0},
	{"approve", "approve a pending request", "ID", NULL, approval_approve,
	 "Counts once per principal, never for the requester, and only for "
	 "members of\nthe request's approver groups. Once every group has "
	 "its M approvals, the\nrequester resubmits the same request with the "
	 "approval id to run it once.",
	 "keywarden approval approve a-0123456789abcdef0123456789abcdef", 0},
	{"reject", "reject a request (or withdraw your own); this ends it",
	 "ID", reject_opts, approval_reject, NULL,
	 "keywarden approval reject a-0123456789abcdef0123456789abcdef "
	 "--reason 'not planned'",
	 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_approval = {
	"approval", "review, approve and reject M-of-N quorum requests",
	approval_cmds};
