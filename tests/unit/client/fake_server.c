/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "fake_server.h"

#define WAIT_MS 5000

static void fail(fake_server *s, const char *what)
{
	if (s->failure[0] == '\0')
		snprintf(s->failure, sizeof(s->failure), "%s", what);
}

static void conn_close(fake_server *s)
{
	if (s->ssl != NULL) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int do_accept(fake_server *s)
{
	struct pollfd pfd = {.fd = s->lfd, .events = POLLIN};
	struct timeval tv = {.tv_sec = WAIT_MS / 1000};
	conn_close(s);
	if (poll(&pfd, 1, WAIT_MS) != 1) {
		fail(s, "no connection arrived");
		return -1;
	}
	s->fd = accept(s->lfd, NULL, NULL);
	if (s->fd < 0) {
		fail(s, "accept failed");
		return -1;
	}
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	s->connections++;
	if (s->ctx == NULL)
		return 0;
	s->ssl = SSL_new(s->ctx);
	SSL_set_fd(s->ssl, s->fd);
	if (SSL_accept(s->ssl) != 1) {
		ERR_clear_error();
		SSL_free(s->ssl);
		s->ssl = NULL;
		close(s->fd);
		s->fd = -1;
		return 1; /* a refused handshake is what some tests want */
	}
	return 0;
}

static ssize_t conn_read(fake_server *s, void *buf, size_t n)
{
	if (s->ssl != NULL) {
		int r = SSL_read(s->ssl, buf, (int)n);
		if (r <= 0)
			ERR_clear_error();
		return r < 0 ? 0 : r;
	}
	return recv(s->fd, buf, n, 0);
}

static int conn_write(fake_server *s, const void *buf, size_t n)
{
	if (s->ssl != NULL) {
		if (SSL_write(s->ssl, buf, (int)n) != (int)n) {
			ERR_clear_error();
			return -1;
		}
		return 0;
	}
	size_t off = 0;
	while (off < n) {
		ssize_t w = send(s->fd, (const char *)buf + off, n - off,
				 MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

const char *fake_header(const fake_request *r, const char *name, char *out,
			size_t out_len)
{
	size_t nl = strlen(name);
	for (const char *l = r->head; l != NULL && *l != '\0';) {
		const char *end = strstr(l, "\r\n");
		size_t len = end != NULL ? (size_t)(end - l) : strlen(l);
		if (len > nl && l[nl] == ':' && strncasecmp(l, name, nl) == 0) {
			const char *v = l + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = len - (size_t)(v - l);
			if (vl >= out_len)
				vl = out_len - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return out;
		}
		l = end != NULL ? end + 2 : NULL;
	}
	return NULL;
}

static void do_expect(fake_server *s)
{
	static char buf[65536];
	size_t len = 0;
	char *eoh = NULL;
	if (s->nreq >= FAKE_MAX_REQUESTS || s->fd < 0) {
		fail(s, "no connection or too many requests");
		return;
	}
	fake_request *r = &s->req[s->nreq];
	while (eoh == NULL) {
		ssize_t n = conn_read(s, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			fail(s, len == 0 ? "client sent no request"
					 : "request header cut short");
			return;
		}
		len += (size_t)n;
		buf[len] = '\0';
		eoh = strstr(buf, "\r\n\r\n");
	}
	char *sp1 = strchr(buf, ' ');
	char *sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
	char *eol = strstr(buf, "\r\n");
	if (sp1 == NULL || sp2 == NULL || sp2 > eol) {
		fail(s, "malformed request line");
		return;
	}
	snprintf(r->method, sizeof(r->method), "%.*s", (int)(sp1 - buf), buf);
	snprintf(r->path, sizeof(r->path), "%.*s", (int)(sp2 - sp1 - 1),
		 sp1 + 1);
	snprintf(r->head, sizeof(r->head), "%.*s", (int)(eoh - eol), eol + 2);
	char cl[32];
	size_t want = 0;
	if (fake_header(r, "Content-Length", cl, sizeof(cl)) != NULL)
		want = strtoul(cl, NULL, 10);
	r->body = calloc(1, want + 1);
	size_t have = len - (size_t)(eoh + 4 - buf);
	if (have > want)
		have = want; /* pipelining is not expected */
	memcpy(r->body, eoh + 4, have);
	while (have < want) {
		ssize_t n = conn_read(s, r->body + have, want - have);
		if (n <= 0) {
			fail(s, "request body cut short");
			break;
		}
		have += (size_t)n;
	}
	r->body_len = have;
	s->nreq++;
}

static void do_drain(fake_server *s)
{
	char buf[4096];
	while (s->fd >= 0 && conn_read(s, buf, sizeof(buf)) > 0)
		;
}

static void *run(void *arg)
{
	fake_server *s = arg;
	sigset_t set;
	/* this thread must not die of a write to a client that hung up */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (const fake_step *st = s->steps; st->kind != FAKE_END; st++) {
		switch (st->kind) {
		case FAKE_ACCEPT:
			if (do_accept(s) < 0)
				return NULL;
			break;
		case FAKE_EXPECT:
			do_expect(s);
			break;
		case FAKE_SEND:
			if (s->fd < 0 ||
			    conn_write(s, st->data,
				       st->len ? st->len : strlen(st->data)) !=
				    0)
				fail(s, "send failed");
			break;
		case FAKE_SLEEP: {
			struct timespec ts = {st->ms / 1000,
					      (long)(st->ms % 1000) * 1000000};
			nanosleep(&ts, NULL);
			break;
		}
		case FAKE_CLOSE:
			conn_close(s);
			break;
		case FAKE_DRAIN:
			do_drain(s);
			break;
		default:
			fail(s, "bad step");
			return NULL;
		}
		if (s->failure[0] != '\0')
			return NULL;
	}
	return NULL;
}

static void init(fake_server *s, const fake_step *steps)
{
	memset(s, 0, sizeof(*s));
	s->lfd = -1;
	s->fd = -1;
	s->steps = steps;
}

int fake_server_start(fake_server *s, const fake_step *steps)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	init(s, steps);
	snprintf(s->dir, sizeof(s->dir), "/tmp/kwtest.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", s->dir);
	snprintf(s->addr, sizeof(s->addr), "unix://%s", sa.sun_path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s->lfd, 8))
		return -1;
	return pthread_create(&s->thread, NULL, run, s);
}

int fake_server_start_tls(fake_server *s, const fake_step *steps,
			  const char *cert, const char *key,
			  const char *client_ca)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	init(s, steps);
	s->ctx = SSL_CTX_new(TLS_server_method());
	if (s->ctx == NULL ||
	    SSL_CTX_use_certificate_chain_file(s->ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM) != 1)
		return -1;
	if (client_ca != NULL) {
		if (SSL_CTX_load_verify_locations(s->ctx, client_ca, NULL) != 1)
			return -1;
		SSL_CTX_set_verify(s->ctx,
				   SSL_VERIFY_PEER |
					   SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				   NULL);
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s->lfd, 8) ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &sl))
		return -1;
	snprintf(s->addr, sizeof(s->addr), "https://localhost:%u",
		 ntohs(sa.sin_port));
	return pthread_create(&s->thread, NULL, run, s);
}

void fake_server_stop(fake_server *s)
{
	char path[128];
	pthread_join(s->thread, NULL);
	conn_close(s);
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
	SSL_CTX_free(s->ctx);
	s->ctx = NULL;
	if (s->dir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/sock", s->dir);
		unlink(path);
		rmdir(s->dir);
	}
}

void fake_server_free(fake_server *s)
{
	for (int i = 0; i < s->nreq; i++)
		free(s->req[i].body);
	s->nreq = 0;
}
