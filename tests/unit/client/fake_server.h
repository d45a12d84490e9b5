/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TEST_FAKE_SERVER_H
#define KW_TEST_FAKE_SERVER_H

/*
 * A scripted HTTP server for the client and CLI tests: a thread that
 * listens on a Unix socket (or on 127.0.0.1 with TLS) and plays a list of
 * steps — accept a connection, read one request and record it, send canned
 * bytes, sleep, close — so each test decides exactly what the client sees.
 * Every wait is bounded (5 s), so a broken client fails a test instead of
 * hanging it. fake_server_stop() joins the thread; s->failure then says
 * what went wrong on the server side ("" when the script ran to its end).
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

typedef enum fake_kind {
	FAKE_END = 0,
	FAKE_ACCEPT, /* accept the next connection (closing the current) */
	FAKE_EXPECT, /* read one whole request and record it */
	FAKE_SEND,   /* write data (len 0: strlen(data)) */
	FAKE_SLEEP,  /* ms */
	FAKE_CLOSE,  /* close the current connection */
	FAKE_DRAIN,  /* read and discard until the client closes */
} fake_kind;

typedef struct fake_step {
	fake_kind kind;
	const char *data;
	size_t len;
	int ms;
} fake_step;

#define FAKE_MAX_REQUESTS 16

typedef struct fake_request {
	char method[16];
	char path[2048];
	char head[16384]; /* the header block, "\r\n"-separated */
	char *body;	  /* NUL-terminated, malloc()ed */
	size_t body_len;
} fake_request;

typedef struct fake_server {
	char addr[256]; /* what the client connects to */
	char dir[64];	/* temporary directory of the socket */
	int lfd;
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	pthread_t thread;
	const fake_step *steps;
	fake_request req[FAKE_MAX_REQUESTS];
	int nreq;
	int connections;
	char failure[256];
} fake_server;

/* Starts the server on a Unix socket in a new temporary directory. */
int fake_server_start(fake_server *s, const fake_step *steps);
/* Starts a TLS server on 127.0.0.1 (addr "https://localhost:PORT") with the
 * PEM cert and key; client_ca, if not NULL, requires a client certificate
 * issued by it. */
int fake_server_start_tls(fake_server *s, const fake_step *steps,
			  const char *cert, const char *key,
			  const char *client_ca);
/* Waits for the script to end, closes everything, removes the socket; the
 * recorded requests stay readable until fake_server_free. */
void fake_server_stop(fake_server *s);
void fake_server_free(fake_server *s);
/* The value of header name in r (case-insensitive), copied into out; NULL
 * if absent. */
const char *fake_header(const fake_request *r, const char *name, char *out,
			size_t out_len);

#endif
