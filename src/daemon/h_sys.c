/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/metrics.h"
#include "daemon/server.h"
#include "daemon/specs.h"
#include "daemon/wire.h"
#include "service/svc_attest.h"
#include "kw_config.h"

void kw_h_health(kw_req *r)
{
	kw_svc_health h;
	json_t *body;

	kw_svc_health_get(r->svc, &h);
	body = json_pack("{s:b,s:b,s:s,s:s,s:I}", "initialized", h.initialized,
			 "sealed", h.sealed, "version", KW_VERSION, "audit",
			 h.audit_ok ? "ok" : h.audit_reason, "audit_backlog",
			 (json_int_t)h.audit_backlog);
	kw_svc_tpm_status(r->svc, body); /* "tpm": why it is sealed */
	/* 200 only when the instance can serve: initialised, unsealed and
	 * with a writable audit trail (load balancers route on it). */
	kw_reply_json(r, h.initialized && !h.sealed && h.audit_ok ? 200 : 503,
		      body);
}

void kw_h_metrics(kw_req *r)
{
	kw_svc_health h;
	size_t len = 0;
	char *text;

	kw_svc_health_get(r->svc, &h);
	text = kw_metrics_render(r->d->metrics, &h,
				 kw_server_connections(r->d->server), &len);
	if (text == NULL) {
		kw_reply_rc(r, KW_E_NOMEM);
		return;
	}
	kw_reply_text(r, 200, "text/plain; version=0.0.4", text, len);
}

void kw_h_sys_status(kw_req *r)
{
	kw_barrier_status st;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_sys_status(r->svc, &r->call, &st);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      kw_svc_tpm_status(r->svc, kw_json_status(&st)));
}

void kw_h_sys_init(kw_req *r)
{
	kw_init_req in = {0};
	kw_secret **shares = NULL;
	kw_secret *token = NULL;
	json_t *arr;
	kw_rc rc;

	if (!kw_req_decode(r, kw_init_spec, KW_NFIELDS(kw_init_spec), &in))
		goto out;
	rc = kw_svc_sys_init(r->svc, &r->call, (unsigned)in.shares.v,
			     (unsigned)in.threshold.v, in.root_password,
			     &shares, &token);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	arr = json_array();
	for (unsigned i = 0; i < in.shares.v; i++)
		json_array_append_new(
			arr, json_stringn((const char *)shares[i]->data,
					  shares[i]->len));
	kw_reply_json(r, 200,
		      json_pack("{s:o,s:s%,s:I}", "shares", arr, "root_token",
				(const char *)token->data, token->len,
				"threshold", (json_int_t)in.threshold.v));
out:
	if (shares != NULL)
		kw_barrier_shares_free(shares, (unsigned)in.shares.v);
	kw_secret_free(token);
	kw_decoded_free(kw_init_spec, KW_NFIELDS(kw_init_spec), &in);
}

void kw_h_sys_unseal(kw_req *r)
{
	kw_unseal_req in = {0};
	kw_barrier_status st;
	kw_rc rc;

	if (!kw_req_decode(r, kw_unseal_spec, KW_NFIELDS(kw_unseal_spec), &in))
		goto out;
	if ((in.share == NULL) == !(in.reset.set && in.reset.v)) {
		kw_reply_error(r, 400, "invalid_argument",
			       "give either share or \"reset\": true");
		goto out;
	}
	rc = kw_svc_sys_unseal(r->svc, &r->call, in.share, &st);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, kw_json_status(&st));
out:
	kw_decoded_free(kw_unseal_spec, KW_NFIELDS(kw_unseal_spec), &in);
}

void kw_h_sys_seal(kw_req *r)
{
	kw_barrier_status st;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_sys_seal(r->svc, &r->call, &st);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, kw_json_status(&st));
}
