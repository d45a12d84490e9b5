/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "http"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "crypto/crypto.h"
#include "daemon/listener.h"
#include "daemon/metrics.h"
#include "daemon/request.h"
#include "daemon/routes_approvals.h"
#include "daemon/server.h"
#include "keywarden/log.h"
#include "service/svc_attest.h"

/*
 * The life of a request (each step on the MHD thread that owns the
 * connection):
 *   first call      route lookup, limits that can be judged from the
 *                   headers (connection count, header size, declared body
 *                   size, media type); an answer decided here is sent
 *                   without reading the body (and the connection closed)
 *   upload calls    the body is collected up to max_body_bytes
 *   final call      authentication, body parsing, the handler
 *   then            the audit event is submitted and the connection
 *                   suspended; the audit writer's callback resumes it, and
 *                   the next call queues the answer (or 503
 *                   audit_unavailable if the event could not be written).
 */

/* MHD's own hard limit is a little above ours, so that connections over
 * our limit still get a 503 instead of a silent close. */
#define CONN_SLACK 64
/* A chunked body over the limit is read and dropped up to this many times
 * the limit (to answer 413), then the connection is closed. */
#define DISCARD_FACTOR 4

enum { RS_RECEIVING = 0, RS_AUDITING, RS_READY };

typedef struct kw_conn {
	bool over_limit;
	int cert_ok; /* 0 unknown, 1 verified, -1 refused */
	char source[KW_SOURCE_MAX + 1];
} kw_conn;

typedef struct req_ctx {
	kw_req r; /* what handlers see */
	kw_server *srv;
	_Atomic int state;
	kw_rc audit_rc;
	bool audited;
	kw_route_result route_res;
	char *buf;
	size_t len, cap;
	uint64_t discarded;
	bool too_large;
	struct timespec t0;
} req_ctx;

struct kw_server {
	kw_daemon *d;
	kw_listener lis[KW_LISTENERS_MAX];
	size_t n;
	atomic_long connections;
	atomic_long inflight;
	atomic_bool stopping;
	atomic_uint_fast64_t seq;
	char id_prefix[9];
};

/* ---- small helpers ------------------------------------------------------ */

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static kw_conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

typedef struct hdr_sum {
	size_t bytes;
} hdr_sum;

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind,
				       const char *key, const char *value)
{
	hdr_sum *s = cls;
	(void)kind;
	s->bytes += strlen(key) + (value != NULL ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* "application/json", optionally with parameters. */
static bool media_type_ok(const char *ct)
{
	size_t n = strlen("application/json");
	if (ct == NULL)
		return true;
	return strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* ---- answering ----------------------------------------------------------- */

typedef struct body_buf {
	char *p;
	size_t len;
} body_buf;

/* Bodies can hold secrets (decrypted data, shares, tokens): wiped. */
static void body_free(void *cls)
{
	body_buf *b = cls;
	kw_wipe(b->p, b->len);
	free(b->p);
	free(b);
}

static kw_audit_result audit_result_of(unsigned status)
{
	if (status < 300)
		return KW_AUDIT_OK;
	if (status == 401 || status == 403 || status == 429)
		return KW_AUDIT_DENIED;
	return KW_AUDIT_ERROR;
}

static enum MHD_Result respond(req_ctx *x)
{
	kw_req *r = &x->r;
	struct MHD_Response *resp = NULL;
	body_buf *b = NULL;
	enum MHD_Result ret = MHD_NO;
	char num[24];

	if (x->audited && x->audit_rc != KW_OK) {
		/* Fail closed: a result that is not in the audit trail is
		 * never returned. */
		kw_reply_error(r, 503, "audit_unavailable",
			       "the audit trail cannot be written; the "
			       "result is withheld");
	}
	if (r->status == 0)
		kw_reply_error(r, 500, "internal_error", "no answer");
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		goto out;
	b->p = r->resp;
	b->len = r->resp_len;
	r->resp = NULL;
	r->resp_len = 0;
	resp = MHD_create_response_from_buffer_with_free_callback_cls(
		b->len, b->p != NULL ? b->p : (void *)"", body_free, b);
	if (resp == NULL) {
		body_free(b);
		goto out;
	}
	if (r->resp_type != NULL)
		MHD_add_response_header(resp, "Content-Type", r->resp_type);
	MHD_add_response_header(resp, "X-Request-Id", r->call.request_id);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->status == 405 && r->m.allow[0] != '\0')
		MHD_add_response_header(resp, "Allow", r->m.allow);
	if (r->retry_after > 0) {
		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)r->retry_after);
		MHD_add_response_header(resp, "Retry-After", num);
	}
	if (r->close)
		MHD_add_response_header(resp, "Connection", "close");
	ret = MHD_queue_response(r->conn, r->status, resp);
	MHD_destroy_response(resp);
	kw_metrics_request(r->d->metrics,
			   r->m.route != NULL ? r->m.index : kw_routes_count,
			   r->status, since(&x->t0));
out:
	return ret;
}

/* Runs on the audit writer's thread: hand the result back to the
 * connection's thread. x stays valid: the connection is suspended and
 * cannot complete before it is resumed. */
static void audit_done(void *arg, kw_rc rc, uint64_t seq)
{
	req_ctx *x = arg;
	struct MHD_Connection *conn = x->r.conn;
	(void)seq;
	x->audit_rc = rc;
	atomic_store(&x->state, RS_READY);
	MHD_resume_connection(conn);
}

/* The answer is decided: audit it, then send it. */
static enum MHD_Result finish(req_ctx *x)
{
	kw_req *r = &x->r;
	kw_rc rc;

	if (r->m.route != NULL && (r->m.route->flags & KW_RF_NO_AUDIT) != 0) {
		atomic_store(&x->state, RS_READY);
		return respond(x);
	}
	kw_svc_call_outcome(&r->call, audit_result_of(r->status), r->code,
			    r->call.ev.reason);
	x->audited = true;
	atomic_store(&x->state, RS_AUDITING);
	/* Suspend before submitting: the callback may run at once. */
	MHD_suspend_connection(r->conn);
	rc = kw_svc_audit_submit(r->svc, &r->call, audit_done, x);
	if (rc != KW_OK) {
		x->audit_rc = rc;
		atomic_store(&x->state, RS_READY);
		MHD_resume_connection(r->conn);
	}
	return MHD_YES;
}

/* ---- the request itself ---------------------------------------------------- */

static bool need_auth(const kw_req *r)
{
	unsigned f = r->m.route->flags;
	if ((f & KW_RF_NO_AUTH) != 0)
		return false;
	if ((f & KW_RF_AUTH_ON_TCP) != 0 && r->lis->cfg->is_unix)
		return false;
	if ((f & KW_RF_AUTH_OPTIONAL) != 0)
		return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						   "Authorization") != NULL;
	return true;
}

/* Checks the bearer token, before the body is read: an unauthenticated
 * client cannot make the server buffer bodies. True if authenticated. */
static bool authenticate(kw_req *r)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						    "Authorization");
	const char *tok = NULL;
	kw_rc rc;

	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		tok = h + 7;
		while (*tok == ' ')
			tok++;
	}
	rc = kw_svc_authenticate(r->svc, &r->call, tok,
				 tok != NULL ? strlen(tok) : 0);
	if (rc != KW_OK && tok == NULL) {
		/* No token: a device certificate may name the principal. */
		const uint8_t *der = NULL;
		size_t len = 0;
		if (kw_listener_peer_cert(r->lis, r->conn, &der, &len))
			rc = kw_svc_authenticate_cert(r->svc, &r->call, der,
						      len);
	}
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		r->close = true;
		return false;
	}
	return true;
}

static void run_route(req_ctx *x)
{
	kw_req *r = &x->r;
	kw_decode_error err;
	kw_rc rc;

	if ((r->m.route->flags & KW_RF_RAW_BODY) != 0) {
		/* bytes for the handler; x->buf is wiped and freed when the
		 * request completes */
		r->raw = (const uint8_t *)x->buf;
		r->raw_len = x->len;
		r->raw_type = MHD_lookup_connection_value(
			r->conn, MHD_HEADER_KIND, "Content-Type");
		kw_req_approval_read(r);
		r->m.route->handler(r);
		return;
	}
	rc = kw_json_parse_body(x->buf, x->len, &r->body, &err);
	/* The JSON holds what it needs; the raw body may hold secrets. */
	if (x->buf != NULL) {
		kw_wipe(x->buf, x->cap);
		free(x->buf);
		x->buf = NULL;
	}
	if (rc != KW_OK) {
		kw_reply_error(r, 400, kw_decode_code_str(err.code),
			       err.message);
		return;
	}
	kw_req_approval_read(r); /* a resubmission's approval (quorum) */
	r->m.route->handler(r);
}

static enum MHD_Result dispatch(req_ctx *x)
{
	kw_req *r = &x->r;

	if (x->too_large) {
		char msg[96];
		snprintf(msg, sizeof(msg), "the body is over %llu bytes",
			 (unsigned long long)r->d->cfg->max_body_bytes);
		kw_reply_error(r, 413, "body_too_large", msg);
		r->close = true;
	} else if (x->route_res == KW_ROUTE_NO_PATH) {
		kw_reply_error(r, 404, "unknown_route", "no such route");
	} else if (x->route_res == KW_ROUTE_NO_METHOD) {
		kw_reply_error(r, 405, "method_not_allowed",
			       "the route does not take this method");
	} else {
		run_route(x);
	}
	return finish(x);
}

/* Judges what can be judged from the request line and headers. Returns
 * true if an answer is decided (sent without reading the body). */
static bool check_headers(req_ctx *x, const char *url, const char *method,
			  kw_conn *kc)
{
	kw_req *r = &x->r;
	const kw_config *cfg = r->d->cfg;
	hdr_sum hs = {strlen(url) + strlen(method) + 12};
	const char *cl, *te, *ct;
	char msg[128];

	if (kc == NULL || kc->over_limit) {
		snprintf(msg, sizeof(msg),
			 "the server has its maximum of %llu connections",
			 (unsigned long long)cfg->max_connections);
		kw_reply_error(r, 503, "too_many_connections", msg);
		r->retry_after = 1;
		r->close = true;
		return true;
	}
	if (r->lis->cfg->require_client_cert && kc->cert_ok <= 0) {
		if (kc->cert_ok == 0)
			kc->cert_ok = kw_listener_peer_verified(r->lis, r->conn)
					      ? 1
					      : -1;
		if (kc->cert_ok < 0) {
			kw_reply_error(r, 401, "unauthenticated",
				       "a valid client certificate is "
				       "required");
			r->close = true;
			return true;
		}
	}
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, add_header_size,
				  &hs);
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
				  add_header_size, &hs);
	if (hs.bytes > cfg->max_header_bytes) {
		snprintf(msg, sizeof(msg),
			 "the request line and headers are over %llu bytes",
			 (unsigned long long)cfg->max_header_bytes);
		kw_reply_error(r, 431, "headers_too_large", msg);
		r->close = true;
		return true;
	}
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					 "Content-Length");
	te = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					 "Transfer-Encoding");
	if (cl != NULL && strtoull(cl, NULL, 10) > cfg->max_body_bytes) {
		x->too_large = true;
		return true;
	}
	ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					 "Content-Type");
	if (((cl != NULL && strcmp(cl, "0") != 0) || te != NULL) &&
	    !media_type_ok(ct) &&
	    !(x->route_res == KW_ROUTE_FOUND &&
	      (r->m.route->flags & KW_RF_RAW_BODY) != 0)) {
		kw_reply_error(r, 415, "unsupported_media_type",
			       "the body must be application/json");
		r->close = true;
		return true;
	}
	return false;
}

static void request_id(kw_server *s, char *out, size_t len)
{
	uint64_t n = atomic_fetch_add(&s->seq, 1) + 1;
	snprintf(out, len, "r-%s-%08llx", s->id_prefix, (unsigned long long)n);
}

static enum MHD_Result request_begin(kw_listener *l,
				     struct MHD_Connection *conn,
				     const char *url, const char *method,
				     void **req_cls)
{
	kw_server *s = l->srv;
	kw_conn *kc = conn_of(conn);
	char rid[KW_REQUEST_ID_MAX + 1];
	req_ctx *x;

	/* Counted before the stop flag is read, so that the drain either
	 * sees this request or this request sees the flag. */
	atomic_fetch_add(&s->inflight, 1);
	if (atomic_load(&s->stopping)) {
		atomic_fetch_sub(&s->inflight, 1);
		return MHD_NO;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		atomic_fetch_sub(&s->inflight, 1);
		return MHD_NO;
	}
	*req_cls = x;
	clock_gettime(CLOCK_MONOTONIC, &x->t0);
	x->srv = s;
	x->r.d = s->d;
	x->r.svc = s->d->svc;
	x->r.conn = conn;
	x->r.lis = l;
	x->route_res =
		kw_route_find(kw_routes, kw_routes_count, method, url, &x->r.m);
	request_id(s, rid, sizeof(rid));
	kw_svc_call_init(&x->r.call,
			 x->r.m.route != NULL ? x->r.m.route->op : "request",
			 kc != NULL ? kc->source : "unknown", rid);
	if (x->route_res != KW_ROUTE_FOUND) {
		/* Which path was asked for (not the query: it may hold
		 * anything). */
		snprintf(x->r.call.ev.detail, sizeof(x->r.call.ev.detail),
			 "{\"method\":\"%.16s\"}",
			 strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
					 strlen(method)
				 ? method
				 : "?");
	}
	if (check_headers(x, url, method, kc)) {
		if (x->too_large)
			return dispatch(x);
		return finish(x);
	}
	if (x->route_res == KW_ROUTE_FOUND && need_auth(&x->r) &&
	    !authenticate(&x->r))
		return finish(x);
	return MHD_YES;
}

static enum MHD_Result body_add(req_ctx *x, const char *data, size_t n)
{
	uint64_t max = x->r.d->cfg->max_body_bytes;

	if (x->too_large || x->len + n > max) {
		x->too_large = true;
		x->discarded += n;
		return x->discarded > DISCARD_FACTOR * max ? MHD_NO : MHD_YES;
	}
	if (x->len + n > x->cap) {
		size_t cap = x->cap != 0 ? x->cap : 1024;
		while (cap < x->len + n)
			cap *= 2;
		if (cap > max)
			cap = (size_t)max;
		char *nb = malloc(cap);
		if (nb == NULL)
			return MHD_NO;
		if (x->buf != NULL) {
			memcpy(nb, x->buf, x->len);
			kw_wipe(x->buf, x->cap);
			free(x->buf);
		}
		x->buf = nb;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, data, n);
	x->len += n;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	req_ctx *x = *req_cls;
	(void)version;

	if (x == NULL)
		return request_begin(cls, conn, url, method, req_cls);
	switch (atomic_load(&x->state)) {
	case RS_RECEIVING:
		if (*upload_data_size > 0) {
			enum MHD_Result ret =
				body_add(x, upload_data, *upload_data_size);
			*upload_data_size = 0;
			return ret;
		}
		return dispatch(x);
	case RS_READY:
		return respond(x);
	default:
		/* Suspended: MHD does not call us until resumed. */
		return MHD_YES;
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	kw_listener *l = cls;
	req_ctx *x = *req_cls;
	(void)conn;
	(void)toe;

	if (x == NULL)
		return;
	*req_cls = NULL;
	if (x->buf != NULL) {
		kw_wipe(x->buf, x->cap);
		free(x->buf);
	}
	if (x->r.resp != NULL) {
		kw_wipe(x->r.resp, x->r.resp_len);
		free(x->r.resp);
	}
	json_decref(x->r.body);
	kw_wipe(&x->r.call, sizeof(x->r.call));
	free(x);
	atomic_fetch_sub(&l->srv->inflight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	kw_listener *l = cls;
	kw_server *s = l->srv;
	kw_conn *kc;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		atomic_fetch_sub(&s->connections, 1);
		free(*socket_context);
		*socket_context = NULL;
		return;
	}
	long n = atomic_fetch_add(&s->connections, 1) + 1;
	kc = calloc(1, sizeof(*kc));
	*socket_context = kc;
	if (kc == NULL)
		return;
	kc->over_limit = (uint64_t)n > s->d->cfg->max_connections;
	kw_listener_peer_name(l, conn, kc->source, sizeof(kc->source));
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	KW_LOG_DEBUG("libmicrohttpd: %s", msg);
}

/* ---- start and stop ----------------------------------------------------------- */

static unsigned threads_of(const kw_config *cfg)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (cfg->threads != 0)
		return cfg->threads;
	return n > 0 ? (unsigned)n : 1;
}

static kw_rc listener_start(kw_server *s, kw_listener *l)
{
	const kw_config *cfg = s->d->cfg;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	size_t mem = cfg->max_header_bytes * 2 + 8192;
	struct MHD_OptionItem tls_opts[5];
	size_t nt = 0;

	if (mem < 32768)
		mem = 32768;
	if (!l->cfg->is_unix) {
		flags |= MHD_USE_TLS;
		tls_opts[nt++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_MEM_CERT, 0, l->cert_pem};
		tls_opts[nt++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_MEM_KEY, 0, l->key_pem->data};
		tls_opts[nt++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *)kw_listener_priorities(l)};
		if (l->trust_pem != NULL)
			tls_opts[nt++] = (struct MHD_OptionItem){
				MHD_OPTION_HTTPS_MEM_TRUST, 0, l->trust_pem};
	}
	tls_opts[nt] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	l->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, l, MHD_OPTION_LISTEN_SOCKET,
		l->fd, MHD_OPTION_THREAD_POOL_SIZE, threads_of(cfg),
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(cfg->max_connections + CONN_SLACK),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_ARRAY, tls_opts,
		MHD_OPTION_END);
	if (l->mhd == NULL) {
		KW_LOG_ERROR("cannot start the HTTP server on %s", l->name);
		return KW_E_INVALID;
	}
	KW_LOG_INFO("listening on %s", l->name);
	return KW_OK;
}

kw_rc kw_server_start(kw_daemon *d, kw_server **out)
{
	kw_server *s = calloc(1, sizeof(*s));
	uint8_t rnd[4];
	kw_rc rc = KW_E_NOMEM;

	if (s == NULL)
		goto out;
	s->d = d;
	rc = kw_random(rnd, sizeof(rnd));
	if (rc != KW_OK)
		goto out;
	snprintf(s->id_prefix, sizeof(s->id_prefix), "%02x%02x%02x%02x", rnd[0],
		 rnd[1], rnd[2], rnd[3]);
	for (size_t i = 0; i < d->cfg->n_listeners; i++) {
		kw_listener *l = &s->lis[i];
		l->srv = s;
		l->fd = -1;
		rc = kw_listener_open(l, &d->cfg->listeners[i]);
		s->n = i + 1;
		if (rc == KW_OK)
			rc = listener_start(s, l);
		if (rc != KW_OK)
			goto out;
	}
	*out = s;
	s = NULL;
out:
	kw_server_stop(s);
	return rc;
}

void kw_server_quiesce(kw_server *s)
{
	for (size_t i = 0; i < s->n; i++) {
		kw_listener *l = &s->lis[i];
		if (l->mhd != NULL) {
			/* The epoll thread takes the socket out of its set
			 * after this returns: closing it here races with that
			 * (libmicrohttpd aborts on EBADF). Shut it down so no
			 * new connection is accepted; kw_server_stop closes
			 * it once the daemon's thread has ended. */
			MHD_socket fd = MHD_quiesce_daemon(l->mhd);
			if (fd != MHD_INVALID_SOCKET && fd == l->fd)
				shutdown(fd, SHUT_RDWR);
		}
	}
}

void kw_server_drain(kw_server *s)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	unsigned waited = 0;

	atomic_store(&s->stopping, true);
	while (atomic_load(&s->inflight) > 0) {
		nanosleep(&ts, NULL);
		if (++waited % 500 == 0)
			KW_LOG_WARN("waiting for %ld requests in flight",
				    atomic_load(&s->inflight));
	}
}

void kw_server_stop(kw_server *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		kw_listener *l = &s->lis[i];
		if (l->mhd != NULL)
			MHD_stop_daemon(l->mhd);
		l->mhd = NULL;
		kw_listener_close(l);
	}
	free(s);
}

long kw_server_connections(kw_server *s)
{
	return atomic_load(&s->connections);
}

unsigned kw_server_port(kw_server *s, size_t i)
{
	return i < s->n ? s->lis[i].port : 0;
}
