/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "listener"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "daemon/listener.h"
#include "keywarden/log.h"

#define BACKLOG	     1024
#define PEM_FILE_MAX (1024 * 1024)

/* Reads a whole file plus a NUL into a kw_secret (keys) or malloc (certs).
 * Returns 0, or -1 with errno. */
static int read_file(const char *path, bool secret, char **out_text,
		     kw_secret **out_secret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	kw_secret *s = NULL;
	char *t = NULL;
	char *dst;
	size_t got = 0;
	int ret = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto out;
	if (st.st_size <= 0 || st.st_size > PEM_FILE_MAX) {
		errno = EFBIG;
		goto out;
	}
	if (secret) {
		if (kw_secret_new((size_t)st.st_size + 1, &s) != KW_OK) {
			errno = ENOMEM;
			goto out;
		}
		dst = (char *)s->data;
	} else {
		t = calloc(1, (size_t)st.st_size + 1);
		if (t == NULL)
			goto out;
		dst = t;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, dst + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	dst[got] = '\0';
	if (secret)
		*out_secret = s;
	else
		*out_text = t;
	s = NULL;
	t = NULL;
	ret = 0;
out:
	kw_secret_free(s);
	free(t);
	close(fd);
	return ret;
}

static kw_rc open_unix(kw_listener *l)
{
	const kw_listener_config *c = l->cfg;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	if (lstat(c->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			KW_LOG_ERROR("%s exists and is not a socket", c->path);
			return KW_E_INVALID;
		}
		/* A socket file left by an earlier run can go; one with a
		 * live server behind it cannot. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			KW_LOG_ERROR("%s is in use by another server", c->path);
			return KW_E_INVALID;
		}
		if (probe >= 0)
			close(probe);
		unlink(c->path);
	}
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail;
	/* Nobody else may connect in the moment between bind and chmod. */
	old = umask(0177);
	rc = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || chmod(c->path, c->mode) != 0 ||
	    listen(l->fd, BACKLOG) != 0)
		goto fail;
	snprintf(l->name, sizeof(l->name), "unix:%s", c->path);
	return KW_OK;
fail:
	KW_LOG_ERROR("cannot listen on %s: %s", c->path, strerror(errno));
	return KW_E_INVALID;
}

static kw_rc open_tcp(kw_listener *l)
{
	const kw_listener_config *c = l->cfg;
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[64];
	unsigned port = 0;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (kw_address_split(c->address, host, sizeof(host), &port) != 0) {
		KW_LOG_ERROR("bad address %s", c->address);
		return KW_E_INVALID;
	}
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) ==
	    1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return KW_E_INVALID;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*sin6);
	}
	l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&ss, sl) != 0 ||
	    listen(l->fd, BACKLOG) != 0)
		goto fail;
	sl = sizeof(ss);
	if (getsockname(l->fd, (struct sockaddr *)&ss, &sl) == 0)
		l->port = ntohs(
			ss.ss_family == AF_INET
				? ((struct sockaddr_in *)&ss)->sin_port
				: ((struct sockaddr_in6 *)&ss)->sin6_port);
	if (ss.ss_family == AF_INET6)
		snprintf(l->name, sizeof(l->name), "https://[%s]:%u", host,
			 l->port);
	else
		snprintf(l->name, sizeof(l->name), "https://%s:%u", host,
			 l->port);
	return KW_OK;
fail:
	KW_LOG_ERROR("cannot listen on %s: %s", c->address, strerror(errno));
	return KW_E_INVALID;
}

static kw_rc read_tls(kw_listener *l)
{
	const kw_listener_config *c = l->cfg;
	const char *what = c->tls_cert;

	if (read_file(c->tls_cert, false, &l->cert_pem, NULL) != 0)
		goto fail;
	what = c->tls_key;
	if (read_file(c->tls_key, true, NULL, &l->key_pem) != 0)
		goto fail;
	what = c->tls_client_ca;
	if (c->tls_client_ca != NULL &&
	    read_file(c->tls_client_ca, false, &l->trust_pem, NULL) != 0)
		goto fail;
	return KW_OK;
fail:
	KW_LOG_ERROR("cannot read %s: %s", what, strerror(errno));
	return KW_E_INVALID;
}

kw_rc kw_listener_open(kw_listener *l, const kw_listener_config *cfg)
{
	kw_rc rc;

	l->cfg = cfg;
	l->fd = -1;
	if (cfg->is_unix)
		return open_unix(l);
	rc = read_tls(l);
	if (rc == KW_OK)
		rc = open_tcp(l);
	return rc;
}

void kw_listener_close(kw_listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (l->cfg != NULL && l->cfg->is_unix && l->name[0] != '\0')
		unlink(l->cfg->path);
	free(l->cert_pem);
	free(l->trust_pem);
	kw_secret_free(l->key_pem);
	l->cert_pem = NULL;
	l->trust_pem = NULL;
	l->key_pem = NULL;
}

const char *kw_listener_priorities(const kw_listener *l)
{
	/* GnuTLS priority strings: everything NORMAL allows, restricted to
	 * the configured versions. */
	if (l->cfg->tls_min >= 13)
		return "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	return "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
}

void kw_listener_peer_name(const kw_listener *l, struct MHD_Connection *c,
			   char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(buf, len, "%s", l->cfg->is_unix ? "unix" : "unknown");
	if (l->cfg->is_unix)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

bool kw_listener_peer_verified(const kw_listener *l, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t session;
	unsigned status = 0;

	if (l->cfg->is_unix || l->trust_pem == NULL)
		return false;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return false;
	session = (gnutls_session_t)ci->tls_session;
	/* MHD loaded the client CA bundle as the session's trust list and
	 * asked the peer for a certificate; we check the answer. */
	if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509)
		return false;
	if (gnutls_certificate_verify_peers2(session, &status) != 0)
		return false;
	return status == 0;
}

bool kw_listener_peer_cert(const kw_listener *l, struct MHD_Connection *c,
			   const uint8_t **out, size_t *out_len)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs = NULL;
	unsigned n = 0;

	if (!kw_listener_peer_verified(l, c))
		return false;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	certs = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session,
					     &n);
	if (certs == NULL || n == 0 || certs[0].size == 0)
		return false;
	*out = certs[0].data;
	*out_len = certs[0].size;
	return true;
}
