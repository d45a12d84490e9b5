/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "daemon/daemon.h"
#include "daemon/request.h"
#include "daemon/routes_approvals.h"

#define JSON_TYPE "application/json"

/* ---- the one mapping of kw_rc to HTTP ----------------------------------- */

typedef struct http_err {
	unsigned status;
	const char *code;
	const char *message; /* default text */
} http_err;

static const http_err rc_map[KW_RC_COUNT_] = {
	[KW_OK] = {200, NULL, NULL},
	[KW_E_INVALID] = {400, "invalid_argument", "invalid argument"},
	[KW_E_UNSUPPORTED] = {400, "unsupported", "not supported"},
	[KW_E_NOT_FOUND] = {404, "not_found", "not found"},
	[KW_E_EXISTS] = {409, "already_exists", "already exists"},
	[KW_E_DENIED] = {403, "permission_denied", "permission denied"},
	[KW_E_UNAUTHENTICATED] = {401, "unauthenticated",
				  "authentication required"},
	[KW_E_SEALED] = {503, "sealed", "the instance is sealed"},
	[KW_E_QUORUM_PENDING] = {202, "quorum_pending",
				 "the operation needs approvals"},
	[KW_E_STATE] = {409, "invalid_state",
			"the object's state does not allow this"},
	[KW_E_INTEGRITY] = {500, "integrity_error",
			    "stored data failed its integrity check"},
	[KW_E_CONFLICT] = {409, "conflict",
			   "changed concurrently; read it again and retry"},
	[KW_E_STORAGE] = {500, "storage_error", "the store failed"},
	[KW_E_CRYPTO] = {500, "crypto_error", "a crypto operation failed"},
	[KW_E_TPM] = {500, "tpm_error", "the TPM failed"},
	[KW_E_NOMEM] = {500, "internal_error", "out of memory"},
	[KW_E_LIMIT] = {429, "rate_limited", "too many attempts; retry later"},
	[KW_E_AUDIT] = {503, "audit_unavailable",
			"the audit trail cannot be written"},
	[KW_E_VERIFY] = {400, "verification_failed",
			 "the input does not verify under this key"},
	[KW_E_BUFFER] = {500, "internal_error", "internal error"},
	[KW_E_NOT_INITIALIZED] = {503, "not_initialized",
				  "the instance is not initialised"},
	[KW_E_INTERNAL] = {500, "internal_error", "internal error"},
	[KW_E_EXPIRED] = {401, "token_expired",
			  "the token has expired or was revoked"},
	[KW_E_UNAVAILABLE] = {503, "unavailable", "service unavailable"},
};

static const http_err *err_of(kw_rc rc)
{
	static const http_err fallback = {500, "internal_error",
					  "internal error"};
	if ((unsigned)rc >= KW_RC_COUNT_ || rc_map[rc].code == NULL)
		return &fallback;
	return &rc_map[rc];
}

void kw_http_error(kw_rc rc, const char *reason, unsigned *out_status,
		   const char **out_code, const char **out_message)
{
	const http_err *e = err_of(rc);
	*out_status = rc == KW_OK ? 200 : e->status;
	*out_code = e->code;
	if (out_message != NULL)
		*out_message = e->message;
	if (rc == KW_E_LIMIT && reason != NULL &&
	    strcmp(reason, "locked_out") == 0)
		*out_code = "locked_out";
}

/* ---- answers ---------------------------------------------------------------- */

static void set_body(kw_req *r, unsigned status, const char *type, char *text,
		     size_t len)
{
	if (r->resp != NULL) {
		kw_wipe(r->resp, r->resp_len);
		free(r->resp);
	}
	r->status = status;
	r->resp = text;
	r->resp_len = len;
	r->resp_type = type;
}

void kw_reply_json(kw_req *r, unsigned status, json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (text == NULL) {
		kw_reply_error(r, 500, "internal_error", "out of memory");
		return;
	}
	r->code = NULL;
	set_body(r, status, JSON_TYPE, text, strlen(text));
}

void kw_reply_empty(kw_req *r, unsigned status)
{
	r->code = NULL;
	set_body(r, status, NULL, NULL, 0);
}

void kw_reply_text(kw_req *r, unsigned status, const char *content_type,
		   char *text, size_t len)
{
	r->code = NULL;
	set_body(r, status, content_type, text, len);
}

void kw_reply_error(kw_req *r, unsigned status, const char *code,
		    const char *message)
{
	json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
			      message != NULL ? message : code);
	char *text = e != NULL ? json_dumps(e, JSON_COMPACT) : NULL;

	json_decref(e);
	r->code = code;
	set_body(r, status, JSON_TYPE, text, text != NULL ? strlen(text) : 0);
	if (r->call.ev.reason[0] == '\0' && message != NULL)
		snprintf(r->call.ev.reason, sizeof(r->call.ev.reason), "%s",
			 message);
}

void kw_reply_rc(kw_req *r, kw_rc rc)
{
	unsigned status;
	const char *code;
	const char *msg = r->call.ev.reason;

	if (rc == KW_E_QUORUM_PENDING) {
		/* Not an error: the request is parked until approved. */
		kw_reply_pending(r);
		return;
	}
	const char *dflt;

	kw_http_error(rc, msg, &status, &code, &dflt);
	if (rc == KW_E_LIMIT && strcmp(msg, "locked_out") == 0)
		msg = "too many failed logins: the principal is locked out";
	else if (rc == KW_E_LIMIT && strcmp(msg, "rate_limited") == 0)
		msg = NULL;
	if (msg == NULL || msg[0] == '\0')
		msg = dflt;
	kw_reply_error(r, status, code, msg);
}

/* ---- reading the request ----------------------------------------------------- */

const char *kw_req_param(const kw_req *r, size_t i)
{
	return i < r->m.nparams ? r->m.params[i] : "";
}

const char *kw_req_query(const kw_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

const char *kw_req_partition(const kw_req *r)
{
	const char *q = kw_req_query(r, "partition");

	if (q != NULL)
		return strcmp(q, "*") == 0 ? "" : q;
	if (r->call.authenticated && !r->call.caller.system)
		return r->call.caller.partition;
	return "default";
}

size_t kw_req_max_batch(const kw_req *r)
{
	return (size_t)r->d->cfg->max_batch_items;
}

bool kw_req_decode(kw_req *r, const kw_field *spec, size_t n, void *out)
{
	kw_decode_error err;
	kw_decode_opts opts = {.max_batch = kw_req_max_batch(r)};

	if (kw_json_decode(r->body, spec, n, &opts, out, &err) == KW_OK)
		return true;
	kw_reply_error(r, err.code == KW_DECODE_NOMEM ? 500 : 400,
		       kw_decode_code_str(err.code), err.message);
	return false;
}

bool kw_req_query_uint(kw_req *r, const char *name, uint64_t min, uint64_t max,
		       uint64_t dflt, uint64_t *out)
{
	const char *q = kw_req_query(r, name);
	char *end = NULL;
	unsigned long long v;
	char msg[128];

	if (q == NULL) {
		*out = dflt;
		return true;
	}
	errno = 0;
	v = strtoull(q, &end, 10);
	if (q[0] < '0' || q[0] > '9' || *end != '\0' || errno != 0 || v < min ||
	    v > max) {
		snprintf(msg, sizeof(msg), "?%s must be an integer %llu..%llu",
			 name, (unsigned long long)min,
			 (unsigned long long)max);
		kw_reply_error(r, 400, "invalid_argument", msg);
		return false;
	}
	*out = v;
	return true;
}
