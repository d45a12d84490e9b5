/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/internal.h"

int64_t kw_transport_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- addresses ---------------------------------------------------------- */

static bool host_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
}

static kw_rc parse_unix(kw_client *c, const char *path)
{
	if (path[0] != '/' || strlen(path) >= sizeof(c->path))
		return kw_client_fail(c, KW_E_INVALID, "invalid_address",
				      "invalid address %s: expected "
				      "unix:///absolute/path (at most %zu "
				      "bytes)",
				      c->addr, sizeof(c->path) - 1);
	c->kind = KW_ADDR_UNIX;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->host_header, sizeof(c->host_header), "localhost");
	return KW_OK;
}

/* host[:port][/] or [v6][:port][/] */
static kw_rc parse_https(kw_client *c, const char *s)
{
	const char *h = s, *he, *rest;
	if (*s == '[') {
		h = s + 1;
		he = strchr(h, ']');
		if (he == NULL)
			goto bad;
		rest = he + 1;
		for (const char *q = h; q < he; q++)
			if (!host_char(*q) && *q != ':')
				goto bad;
	} else {
		he = h;
		while (host_char(*he))
			he++;
		rest = he;
	}
	size_t hl = (size_t)(he - h);
	if (hl == 0 || hl >= sizeof(c->host))
		goto bad;
	unsigned long port = 443;
	if (*rest == ':') {
		char *end = NULL;
		if (rest[1] < '0' || rest[1] > '9')
			goto bad;
		errno = 0;
		port = strtoul(rest + 1, &end, 10);
		if (errno != 0 || port == 0 || port > 65535)
			goto bad;
		rest = end;
	}
	if (strcmp(rest, "") != 0 && strcmp(rest, "/") != 0)
		goto bad;
	memcpy(c->host, h, hl);
	c->host[hl] = '\0';
	snprintf(c->port, sizeof(c->port), "%lu", port);
	struct in6_addr a6;
	c->host_is_ip = inet_pton(AF_INET, c->host, &a6) == 1 ||
			inet_pton(AF_INET6, c->host, &a6) == 1;
	if (*s == '[' && !c->host_is_ip)
		goto bad;
	snprintf(c->host_header, sizeof(c->host_header), "%s%s%s:%s",
		 *s == '[' ? "[" : "", c->host, *s == '[' ? "]" : "", c->port);
	c->kind = KW_ADDR_HTTPS;
	return KW_OK;
bad:
	return kw_client_fail(c, KW_E_INVALID, "invalid_address",
			      "invalid address %s: expected https://host:port",
			      c->addr);
}

kw_rc kw_transport_setup(kw_client *c, const kw_client_opts *opts)
{
	const char *addr =
		opts->addr != NULL ? opts->addr : KW_CLIENT_DEFAULT_ADDR;
	kw_rc rc;
	if (strlen(addr) >= sizeof(c->addr))
		return kw_client_fail(c, KW_E_INVALID, "invalid_address",
				      "address too long");
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->connect_timeout_ms = opts->connect_timeout_ms > 0
					? opts->connect_timeout_ms
					: KW_CLIENT_CONNECT_TIMEOUT_MS;
	c->io_timeout_ms = opts->io_timeout_ms > 0 ? opts->io_timeout_ms
						   : KW_CLIENT_IO_TIMEOUT_MS;
	c->max_body = opts->max_body > 0 ? opts->max_body : KW_CLIENT_MAX_BODY;
	if (strncmp(addr, "unix://", 7) == 0)
		return parse_unix(c, addr + 7);
	if (strncmp(addr, "https://", 8) == 0) {
		rc = parse_https(c, addr + 8);
		if (rc == KW_OK)
			rc = kw_tls_setup(c, opts);
		return rc;
	}
	if (strncmp(addr, "http://", 7) == 0)
		return kw_client_fail(c, KW_E_INVALID, "invalid_address",
				      "invalid address %s: plain HTTP is not "
				      "supported, use https:// or unix://",
				      c->addr);
	return kw_client_fail(c, KW_E_INVALID, "invalid_address",
			      "invalid address %s: expected unix:///path or "
			      "https://host:port",
			      c->addr);
}

/* ---- waiting ------------------------------------------------------------ */

kw_rc kw_transport_wait(kw_client *c, short events, int64_t deadline,
			const char *doing)
{
	bool connecting = strncmp(doing, "connect", 7) == 0;
	for (;;) {
		int64_t left = deadline - kw_transport_now_ms();
		if (left <= 0)
			break;
		struct pollfd pfd = {.fd = c->fd, .events = events};
		int r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return KW_OK;
		if (r < 0 && errno != EINTR)
			return kw_client_fail(c, KW_E_UNAVAILABLE,
					      "connection_closed", "%s %s: %s",
					      doing, c->addr, strerror(errno));
	}
	/* a stalled TLS handshake reads as what it is to the user: no
	 * connection, as a stalled TCP connect does */
	if (connecting)
		return kw_client_fail(c, KW_E_UNAVAILABLE, "timeout",
				      "cannot connect to %s: timed out after "
				      "%d ms",
				      c->addr, c->connect_timeout_ms);
	return kw_client_fail(c, KW_E_UNAVAILABLE, "timeout",
			      "timed out %s %s (I/O timeout %d ms)", doing,
			      c->addr, c->io_timeout_ms);
}

/* ---- connecting --------------------------------------------------------- */

static kw_rc connect_unix(kw_client *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = c->connect_timeout_ms / 1000,
			     .tv_usec = c->connect_timeout_ms % 1000 * 1000};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kw_client_fail(c, KW_E_UNAVAILABLE, "connect_failed",
				      "cannot connect to %s: %s", c->addr,
				      strerror(errno));
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	/* A Unix-socket connect blocks only while the listen backlog is full;
	 * SO_SNDTIMEO bounds that wait. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		if (e == EAGAIN || e == EINPROGRESS)
			return kw_client_fail(c, KW_E_UNAVAILABLE, "timeout",
					      "cannot connect to %s: timed out",
					      c->addr);
		return kw_client_fail(c, KW_E_UNAVAILABLE, "connect_failed",
				      "cannot connect to %s: %s", c->addr,
				      strerror(e));
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	return KW_OK;
}

/* One address of the host: non-blocking connect, then wait. Returns an
 * errno value (0 on success). */
static int connect_one(kw_client *c, const struct addrinfo *ai,
		       int64_t deadline)
{
	int fd = socket(ai->ai_family,
			ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	if (fd < 0)
		return errno;
	int e = 0;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		e = errno;
		if (e == EINPROGRESS) {
			c->fd = fd;
			if (kw_transport_wait(c, POLLOUT, deadline,
					      "connecting to") != KW_OK) {
				e = ETIMEDOUT;
			} else {
				socklen_t el = sizeof(e);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
					       &el) != 0)
					e = errno;
			}
			c->fd = -1;
		}
	}
	if (e != 0) {
		close(fd);
		return e;
	}
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	return 0;
}

static kw_rc connect_tcp(kw_client *c, int64_t deadline)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int g = getaddrinfo(c->host, c->port, &hints, &res);
	if (g != 0)
		return kw_client_fail(c, KW_E_UNAVAILABLE, "connect_failed",
				      "cannot connect to %s: %s", c->addr,
				      g == EAI_SYSTEM ? strerror(errno)
						      : gai_strerror(g));
	int e = ECONNREFUSED;
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		e = connect_one(c, ai, deadline);
		if (e == 0 || e == ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (e == ETIMEDOUT)
		return kw_client_fail(c, KW_E_UNAVAILABLE, "timeout",
				      "cannot connect to %s: timed out after "
				      "%d ms",
				      c->addr, c->connect_timeout_ms);
	if (e != 0)
		return kw_client_fail(c, KW_E_UNAVAILABLE, "connect_failed",
				      "cannot connect to %s: %s", c->addr,
				      strerror(e));
	return KW_OK;
}

kw_rc kw_transport_connect(kw_client *c)
{
	int64_t deadline = kw_transport_now_ms() + c->connect_timeout_ms;
	kw_rc rc;
	c->eof_unclean = false;
	c->ssl_broken = false;
	if (c->kind == KW_ADDR_UNIX)
		return connect_unix(c);
	rc = connect_tcp(c, deadline);
	if (rc == KW_OK)
		rc = kw_tls_connect(c, deadline);
	if (rc != KW_OK)
		kw_transport_close(c);
	return rc;
}

void kw_transport_close(kw_client *c)
{
	if (c->ssl != NULL)
		kw_tls_close(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* ---- I/O ---------------------------------------------------------------- */

bool kw_transport_alive(kw_client *c)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	if (c->fd < 0)
		return false;
	if (poll(&pfd, 1, 0) == 0)
		return true;
	if (c->ssl != NULL)
		return kw_tls_alive(c);
	/* readable while idle: end of stream, or data nobody asked for */
	char b;
	ssize_t r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static kw_rc io_error(kw_client *c, const char *doing, int e)
{
	return kw_client_fail(c, KW_E_UNAVAILABLE, "connection_closed",
			      "connection to %s lost while %s: %s", c->addr,
			      doing, strerror(e));
}

kw_rc kw_transport_write(kw_client *c, const uint8_t *d, size_t n,
			 int64_t deadline)
{
	if (c->ssl != NULL)
		return kw_tls_write(c, d, n, deadline);
	size_t off = 0;
	while (off < n) {
		ssize_t w = send(c->fd, d + off, n - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			kw_rc rc = kw_transport_wait(c, POLLOUT, deadline,
						     "sending to");
			if (rc != KW_OK)
				return rc;
			continue;
		}
		return io_error(c, "sending", w < 0 ? errno : EPIPE);
	}
	return KW_OK;
}

kw_rc kw_transport_read(kw_client *c, uint8_t *buf, size_t cap,
			int64_t deadline, size_t *out_n)
{
	if (c->ssl != NULL)
		return kw_tls_read(c, buf, cap, deadline, out_n);
	for (;;) {
		ssize_t r = recv(c->fd, buf, cap, 0);
		if (r >= 0) {
			*out_n = (size_t)r;
			return KW_OK;
		}
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET) {
			c->eof_unclean = true;
			*out_n = 0;
			return KW_OK;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return io_error(c, "receiving", errno);
		kw_rc rc = kw_transport_wait(c, POLLIN, deadline,
					     "waiting for a response from");
		if (rc != KW_OK)
			return rc;
	}
}

/* ---- SIGPIPE ------------------------------------------------------------ */

void kw_sigpipe_block(kw_sigpipe_guard *g)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pending);
	(void)sigpending(&pending);
	g->pending_before = sigismember(&pending, SIGPIPE) == 1;
	(void)pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

void kw_sigpipe_restore(const kw_sigpipe_guard *g)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pending);
	if (!g->pending_before && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE) == 1) {
		struct timespec zero = {0, 0};
		(void)sigtimedwait(&set, NULL, &zero);
	}
	(void)pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}
