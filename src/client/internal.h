/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CLIENT_INTERNAL_H
#define KW_CLIENT_INTERNAL_H

/*
 * Shared by the files of src/client: the client object, the transport
 * (transport.c: address, sockets, timeouts; tls.c: OpenSSL) and error
 * reporting (error.c). Every function that fails fills c->err.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include <openssl/ssl.h>

#include "client/client.h"

typedef enum kw_addr_kind {
	KW_ADDR_UNIX = 1,
	KW_ADDR_HTTPS = 2,
} kw_addr_kind;

struct kw_client {
	kw_addr_kind kind;
	char addr[512]; /* as given, for messages */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char host[256];	       /* https: host name or IP, no brackets */
	char port[6];	       /* https: decimal port */
	char host_header[300]; /* Host: value */
	bool host_is_ip;

	SSL_CTX *ssl_ctx; /* https only */
	int fd;		  /* -1 when not connected */
	SSL *ssl;
	bool ssl_broken;  /* fatal TLS error: no close_notify on close */
	bool eof_unclean; /* last EOF was a reset or a TLS close without
			   * close_notify */

	int connect_timeout_ms;
	int io_timeout_ms;
	size_t max_body;

	char *token; /* NUL-terminated, wiped on free */
	size_t token_len;

	kw_client_error err;
};

/* ---- error.c ------------------------------------------------------------ */

/* Fills c->err (status 0) and returns rc. The message must hold no secret.
 */
kw_rc kw_client_fail(kw_client *c, kw_rc rc, const char *code, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));
void kw_client_error_clear(kw_client_error *e);

/* ---- transport.c -------------------------------------------------------- */

/* Parses opts->addr, sets timeouts and, for https, the TLS context. */
kw_rc kw_transport_setup(kw_client *c, const kw_client_opts *opts);
/* Opens the connection (and the TLS session) within the connect timeout. */
kw_rc kw_transport_connect(kw_client *c);
/* True when an idle open connection can carry a request: the server has
 * neither closed it nor sent anything unasked. */
bool kw_transport_alive(kw_client *c);
/* Writes all n bytes before deadline (ms, CLOCK_MONOTONIC).
 * KW_E_UNAVAILABLE ("timeout", "connection_closed") on failure. */
kw_rc kw_transport_write(kw_client *c, const uint8_t *d, size_t n,
			 int64_t deadline);
/* Reads up to cap bytes before deadline; *out_n 0 means end of stream
 * (c->eof_unclean tells whether it was a clean one). */
kw_rc kw_transport_read(kw_client *c, uint8_t *buf, size_t cap,
			int64_t deadline, size_t *out_n);
void kw_transport_close(kw_client *c);
int64_t kw_transport_now_ms(void);
/* Waits until fd is ready for events or deadline passes ("timeout"). */
kw_rc kw_transport_wait(kw_client *c, short events, int64_t deadline,
			const char *doing);

/* Blocks SIGPIPE in this thread for the duration of a call. */
typedef struct kw_sigpipe_guard {
	sigset_t old;
	bool pending_before;
} kw_sigpipe_guard;
void kw_sigpipe_block(kw_sigpipe_guard *g);
void kw_sigpipe_restore(const kw_sigpipe_guard *g);

/* ---- tls.c -------------------------------------------------------------- */

kw_rc kw_tls_setup(kw_client *c, const kw_client_opts *opts);
/* Handshake on the connected c->fd before deadline. */
kw_rc kw_tls_connect(kw_client *c, int64_t deadline);
kw_rc kw_tls_write(kw_client *c, const uint8_t *d, size_t n, int64_t deadline);
kw_rc kw_tls_read(kw_client *c, uint8_t *buf, size_t cap, int64_t deadline,
		  size_t *out_n);
bool kw_tls_alive(kw_client *c);
void kw_tls_close(kw_client *c);

#endif
