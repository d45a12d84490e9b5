/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "daemon/handlers.h"
#include "daemon/specs.h"
#include "daemon/wire.h"

#define TOKENS_MAX 1000

/* The bearer token of the request (already checked by the server). */
static const char *bearer(const kw_req *r)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    "Authorization");
	if (h == NULL || strlen(h) < 7)
		return "";
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

void kw_h_login(kw_req *r)
{
	kw_login_req in = {0};
	kw_secret *token = NULL;
	kw_caller who;
	uint64_t retry = 0;
	const char *part;
	kw_rc rc;

	if (!kw_req_decode(r, kw_login_spec, KW_NFIELDS(kw_login_spec), &in))
		goto out;
	part = in.partition == NULL		? "default"
	       : strcmp(in.partition, "*") == 0 ? ""
						: in.partition;
	rc = kw_svc_auth_login(r->svc, &r->call, part, in.user, in.password,
			       &token, &who, &retry);
	if (rc != KW_OK) {
		r->retry_after = retry;
		kw_reply_rc(r, rc);
		goto out;
	}
	kw_reply_json(r, 200,
		      json_pack("{s:s%,s:o,s:s,s:s,s:o,s:s}", "token",
				(const char *)token->data, token->len,
				"expires_at", kw_json_time(who.expires_at),
				"principal", who.principal, "partition",
				who.system ? "*" : who.partition, "roles",
				kw_json_roles(who.roles), "token_id",
				who.token_id));
out:
	kw_secret_free(token);
	kw_decoded_free(kw_login_spec, KW_NFIELDS(kw_login_spec), &in);
}

void kw_h_logout(kw_req *r)
{
	const char *tok = bearer(r);
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_auth_logout(r->svc, &r->call, tok, strlen(tok));
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_empty(r, 204);
}

void kw_h_whoami(kw_req *r)
{
	const kw_caller *c = &r->call.caller;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_auth_whoami(r->svc, &r->call);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		return;
	}
	kw_reply_json(r, 200,
		      json_pack("{s:s,s:s,s:o,s:b,s:s,s:o}", "principal",
				c->principal, "partition",
				c->system ? "*" : c->partition, "roles",
				kw_json_roles(c->roles), "system", c->system,
				"token_id", c->token_id, "expires_at",
				kw_json_time(c->expires_at)));
}

void kw_h_token_create(kw_req *r)
{
	kw_token_req in = {0};
	kw_secret *token = NULL;
	char id[KW_TOKEN_ID_LEN + 1];
	int64_t expires = 0;
	kw_rc rc;

	if (!kw_req_decode(r, kw_token_spec, KW_NFIELDS(kw_token_spec), &in))
		goto out;
	rc = kw_svc_token_create(r->svc, &r->call, kw_req_partition(r),
				 in.principal, in.ttl.set ? in.ttl.v : 86400,
				 in.name != NULL ? in.name : "", &token, id,
				 &expires);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	kw_reply_json(r, 201,
		      json_pack("{s:s%,s:s,s:s,s:o}", "token",
				(const char *)token->data, token->len, "id", id,
				"principal", in.principal, "expires_at",
				kw_json_time(expires)));
out:
	kw_secret_free(token);
	kw_decoded_free(kw_token_spec, KW_NFIELDS(kw_token_spec), &in);
}

void kw_h_token_list(kw_req *r)
{
	kw_token_info *list = calloc(TOKENS_MAX, sizeof(*list));
	size_t n = 0;
	json_t *arr;
	kw_rc rc = KW_E_NOMEM;

	if (!kw_req_decode(r, NULL, 0, NULL))
		goto out;
	if (list != NULL)
		rc = kw_svc_token_list(r->svc, &r->call, kw_req_partition(r),
				       list, TOKENS_MAX, &n);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, kw_json_token(&list[i]));
	kw_reply_json(r, 200, json_pack("{s:o}", "tokens", arr));
out:
	free(list);
}

void kw_h_token_revoke(kw_req *r)
{
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_token_revoke(r->svc, &r->call, kw_req_partition(r),
				 kw_req_param(r, 0));
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_empty(r, 204);
}
