/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_REQUEST_H
#define KW_DAEMON_REQUEST_H

/*
 * One HTTP request as the handlers see it, and the helpers they use to read
 * it and to answer. A handler parses (kw_req_decode), calls one kw_svc_*
 * function with &r->call, and maps the result (kw_reply_json on success,
 * kw_reply_rc otherwise). The server then submits r->call's audit event and
 * sends the answer only once the event is durable.
 *
 * A kw_req belongs to one MHD thread at a time; handlers need no locks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/decode.h"
#include "daemon/router.h"
#include "service/service.h"

typedef struct kw_daemon kw_daemon;
typedef struct kw_listener kw_listener;
struct MHD_Connection;

struct kw_req {
	kw_daemon *d;
	kw_service *svc;
	struct MHD_Connection *conn;
	const kw_listener *lis;
	kw_route_match m;
	kw_svc_call call;
	json_t *body; /* the parsed request body (an object), or NULL */
	/* KW_RF_RAW_BODY routes: the body as sent and its Content-Type
	 * (NULL if none); body is NULL. */
	const uint8_t *raw;
	size_t raw_len;
	const char *raw_type;

	/* The answer, set by kw_reply_*. */
	unsigned status;
	const char *code; /* error code, NULL on success */
	char *resp;	  /* body text (malloc; wiped when freed) */
	size_t resp_len;
	const char *resp_type;
	uint64_t retry_after; /* seconds, for 429; 0 = none */
	bool close;	      /* send Connection: close */
};

/* Path parameter i of the matched route ("{name}"). */
const char *kw_req_param(const kw_req *r, size_t i);
/* A query argument, or NULL. */
const char *kw_req_query(const kw_req *r, const char *name);
/* The partition the request acts in: ?partition=NAME ("*" = the system
 * namespace ""), else the caller's own, else "default" for system
 * principals. Authorisation refuses a partition the caller may not use. */
const char *kw_req_partition(const kw_req *r);
/* Items per batch, from the configuration. */
size_t kw_req_max_batch(const kw_req *r);

/* Decodes the body against spec into out; on failure answers 400 with
 * the decoder's code and returns false. */
bool kw_req_decode(kw_req *r, const kw_field *spec, size_t n, void *out);
/* Parses an unsigned query argument in [min, max] (absent: *out = dflt);
 * answers 400 invalid_argument and returns false when malformed. */
bool kw_req_query_uint(kw_req *r, const char *name, uint64_t min, uint64_t max,
		       uint64_t dflt, uint64_t *out);

/* Answers with a JSON body (takes the reference to body). */
void kw_reply_json(kw_req *r, unsigned status, json_t *body);
/* Answers with no body (204). */
void kw_reply_empty(kw_req *r, unsigned status);
/* Answers with text (takes text, malloc). */
void kw_reply_text(kw_req *r, unsigned status, const char *content_type,
		   char *text, size_t len);
/* Answers with an error body {"error":{"code","message"}}. */
void kw_reply_error(kw_req *r, unsigned status, const char *code,
		    const char *message);
/* Answers a failed kw_svc_* call: kw_http_error() gives the status and
 * code, r->call.ev.reason (if set) the message. */
void kw_reply_rc(kw_req *r, kw_rc rc);

/* The one mapping of core results to HTTP: status, stable error code and
 * a default message (out_message may be NULL). reason refines KW_E_LIMIT
 * ("locked_out" vs "rate_limited"). */
void kw_http_error(kw_rc rc, const char *reason, unsigned *out_status,
		   const char **out_code, const char **out_message);

#endif
