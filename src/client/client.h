/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CLIENT_CLIENT_H
#define KW_CLIENT_CLIENT_H

/*
 * libkeywarden-client: the one client of the keywarden REST/JSON API
 * (docs/api.md), shared by the keywarden CLI and the PKCS#11 module.
 *
 * HTTP/1.1 over one persistent connection, to a Unix socket
 * ("unix:///run/keywarden/keywarden.sock") or over TCP with TLS 1.2+
 * ("https://host:port"; the server certificate is verified against the
 * given CA file, else $KEYWARDEN_CACERT, else the system store, and its
 * name or IP address is checked; a client certificate is optional).
 *
 * The connection is opened on first use and kept alive. If the server has
 * closed an idle connection, the client notices before sending and opens a
 * new one; if a reused connection fails while the request is being sent,
 * or (for GET, HEAD, PUT, DELETE) closes before any byte of the response,
 * the request is sent once more on a new connection. Nothing else is
 * retried. Connecting (including the TLS handshake) is bounded by the
 * connect timeout; one whole exchange (sending the request, receiving the
 * response) by the I/O timeout.
 *
 * Thread safety: a kw_client is not thread-safe. Use one per thread, or
 * guard each one with a lock (a pool of clients). Different clients may be
 * used from different threads at once; the library has no global state.
 * While a call runs, SIGPIPE is blocked in the calling thread (a write to
 * a closed connection then fails with EPIPE instead of killing the
 * process); a SIGPIPE it caused itself is consumed.
 *
 * Secrets: the token and every request and response buffer are wiped
 * (OPENSSL_cleanse) before they are freed; nothing is logged. JSON values
 * built or returned by jansson are the caller's to handle (the CLI installs
 * wiping allocators with json_set_alloc_funcs).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keywarden/rc.h"

#define KW_CLIENT_DEFAULT_ADDR	     "unix:///run/keywarden/keywarden.sock"
#define KW_CLIENT_CONNECT_TIMEOUT_MS 5000
#define KW_CLIENT_IO_TIMEOUT_MS	     30000
#define KW_CLIENT_MAX_BODY	     (64u * 1024u * 1024u)

typedef struct kw_client kw_client;

typedef struct kw_client_opts {
	const char *addr;	/* "unix:///path" or "https://host[:port]" */
	const char *cacert;	/* PEM CA file; NULL: $KEYWARDEN_CACERT, else
				  * the system default store */
	const char *cert;	/* client certificate chain (PEM), optional */
	const char *key;	/* its private key (PEM, unencrypted) */
	int connect_timeout_ms; /* 0: KW_CLIENT_CONNECT_TIMEOUT_MS */
	int io_timeout_ms;	/* 0: KW_CLIENT_IO_TIMEOUT_MS */
	size_t max_body;	/* 0: KW_CLIENT_MAX_BODY */
} kw_client_opts;

/*
 * What went wrong in the last call. code is the API's stable error code
 * ("permission_denied", "sealed", ...) when the server answered with an
 * error, or one of the client's own:
 *   "connect_failed"    cannot connect (message names the address and why)
 *   "tls_failed"        TLS handshake or certificate verification failed
 *   "timeout"           connect or I/O timeout
 *   "connection_closed" the server closed or reset the connection
 *   "invalid_response"  not a well-formed HTTP/JSON response
 *   "response_too_large" response body over max_body
 *   "invalid_request"   bad arguments to the client (method, path, token)
 *   "invalid_address"   the address is malformed or too long
 *   "invalid_config"    unreadable or unusable CA/certificate/key file
 *   "out_of_memory"
 * message is human text without secrets; status the HTTP status (0 when no
 * response arrived); request_id the server's X-Request-Id, if any.
 */
typedef struct kw_client_error {
	kw_rc rc;
	long status;
	char code[64];
	char message[1024];
	char request_id[128];
} kw_client_error;

/*
 * Creates a client; does not connect yet. opts->addr NULL means
 * KW_CLIENT_DEFAULT_ADDR. On failure *err (optional) says why.
 * KW_OK, KW_E_INVALID (bad address, unreadable or mismatched CA, cert or
 * key file), KW_E_NOMEM, KW_E_CRYPTO (TLS context).
 */
kw_rc kw_client_new(const kw_client_opts *opts, kw_client_error *err,
		    kw_client **out);

/* Closes the connection, wipes the token, frees. NULL is allowed. */
void kw_client_free(kw_client *c);

/* Sets (copies) the bearer token sent with every request, wiping the old
 * one; NULL clears it. KW_OK, KW_E_INVALID (empty, over 4096 bytes, or not
 * visible ASCII), KW_E_NOMEM. */
kw_rc kw_client_set_token(kw_client *c, const char *token);

/* The address as given (for messages). */
const char *kw_client_addr(const kw_client *c);

/*
 * One request. method "GET", "POST", "PATCH", "DELETE", ...; path an
 * origin-form target ("/v1/keys?limit=10", escape names with
 * kw_client_path_*); body (optional, borrowed) is sent as JSON.
 *
 * KW_OK when the server answered 2xx: *out_status (optional) gets it and
 * *out_json (optional) the parsed body (a new reference; NULL for an empty
 * body, e.g. 204). A 202 is a success too (quorum pending: the body holds
 * {"approval":{...}}).
 * Otherwise the rc mapped from the API error code (KW_E_DENIED for
 * "permission_denied", KW_E_SEALED, KW_E_NOT_FOUND, ...), or
 * KW_E_UNAVAILABLE when the service could not be reached or answered
 * malformed data, KW_E_INVALID for bad arguments, KW_E_NOMEM; details in
 * kw_client_last_error(). Outputs are written only on KW_OK.
 */
kw_rc kw_client_call(kw_client *c, const char *method, const char *path,
		     json_t *body, long *out_status, json_t **out_json);

/* The error of the last failed call (rc KW_OK if the last call worked).
 * Valid until the next call on c. */
const kw_client_error *kw_client_last_error(const kw_client *c);

/* Maps an API error code to a kw_rc (by the code, else by the HTTP status
 * when code is unknown or NULL). Never KW_OK. */
kw_rc kw_client_rc_from_api(const char *code, long status);

/* ---- request paths ------------------------------------------------------ */

/* Builds an origin-form path; segments and query values are percent-
 * encoded (RFC 3986 unreserved characters pass). Overflow is sticky and
 * reported by kw_client_path_get. */
typedef struct kw_client_path {
	char buf[2048];
	size_t len;
	bool overflow;
	bool query;
} kw_client_path;

/* Starts with prefix (literal; it may hold a query already). */
void kw_client_path_init(kw_client_path *p, const char *prefix);
/* Appends "/" and the escaped segment. */
void kw_client_path_seg(kw_client_path *p, const char *segment);
/* Appends literal text (no escaping), e.g. "/rotate". */
void kw_client_path_lit(kw_client_path *p, const char *text);
/* Appends ?name=value or &name=value; a NULL value appends nothing. */
void kw_client_path_query(kw_client_path *p, const char *name,
			  const char *value);
/* The path, or NULL after an overflow. */
const char *kw_client_path_get(const kw_client_path *p);

/* ---- JSON helpers ------------------------------------------------------- */

/* Decodes the standard-base64 string field name of object obj into a new
 * malloc()ed buffer (*out, *out_len; at least one byte allocated), which
 * the caller wipes and frees. KW_OK, KW_E_INVALID (missing, not a string,
 * bad base64), KW_E_NOMEM. */
kw_rc kw_client_json_b64(const json_t *obj, const char *name, uint8_t **out,
			 size_t *out_len);

/* A new JSON string holding the standard base64 of in[0..n). NULL on
 * allocation failure. */
json_t *kw_client_json_b64_new(const uint8_t *in, size_t n);

#endif
