/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/internal.h"

/* Never prompt for a key passphrase: the key must be unencrypted. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* The reason of the newest queued OpenSSL error, then the queue cleared. */
static const char *ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
	if (r != NULL)
		snprintf(buf, len, "%s", r);
	else if (e != 0)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "unknown TLS error");
	ERR_clear_error();
	return buf;
}

static kw_rc load_file_check(kw_client *c, const char *what, const char *path)
{
	if (access(path, R_OK) != 0)
		return kw_client_fail(c, KW_E_INVALID, "invalid_config",
				      "cannot read %s %s: %s", what, path,
				      strerror(errno));
	return KW_OK;
}

kw_rc kw_tls_setup(kw_client *c, const kw_client_opts *opts)
{
	char why[256];
	kw_rc rc = KW_E_CRYPTO;
	const char *ca = opts->cacert;
	if (ca == NULL || ca[0] == '\0')
		ca = secure_getenv("KEYWARDEN_CACERT");
	ERR_clear_error();
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		rc = kw_client_fail(c, KW_E_CRYPTO, "invalid_config",
				    "cannot create a TLS context: %s",
				    ossl_reason(why, sizeof(why)));
		goto out;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto out;
	SSL_CTX_set_options(ctx,
			    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	if (ca != NULL && ca[0] != '\0') {
		rc = load_file_check(c, "CA file", ca);
		if (rc != KW_OK)
			goto out;
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			rc = kw_client_fail(c, KW_E_INVALID, "invalid_config",
					    "cannot load CA file %s: %s", ca,
					    ossl_reason(why, sizeof(why)));
			goto out;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		rc = kw_client_fail(c, KW_E_CRYPTO, "invalid_config",
				    "cannot load the system CA store: %s",
				    ossl_reason(why, sizeof(why)));
		goto out;
	}
	if ((opts->cert == NULL) != (opts->key == NULL)) {
		rc = kw_client_fail(c, KW_E_INVALID, "invalid_config",
				    "a client certificate needs its key and a "
				    "key its certificate");
		goto out;
	}
	if (opts->cert != NULL) {
		rc = load_file_check(c, "client certificate", opts->cert);
		if (rc == KW_OK)
			rc = load_file_check(c, "client key", opts->key);
		if (rc != KW_OK)
			goto out;
		if (SSL_CTX_use_certificate_chain_file(ctx, opts->cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, opts->key,
						SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			rc = kw_client_fail(c, KW_E_INVALID, "invalid_config",
					    "cannot use client certificate %s "
					    "with key %s: %s",
					    opts->cert, opts->key,
					    ossl_reason(why, sizeof(why)));
			goto out;
		}
	}
	c->ssl_ctx = ctx;
	ctx = NULL;
	rc = KW_OK;
out:
	if (rc == KW_E_CRYPTO && c->err.rc == KW_OK)
		kw_client_fail(c, rc, "invalid_config", "TLS set-up failed: %s",
			       ossl_reason(why, sizeof(why)));
	SSL_CTX_free(ctx);
	return rc;
}

/* After a failed SSL_* call: waits if OpenSSL wants I/O (KW_OK: call
 * again), else reports the failure. */
static kw_rc tls_step(kw_client *c, int ret, int64_t deadline,
		      const char *doing)
{
	char why[256];
	int e = SSL_get_error(c->ssl, ret);
	if (e == SSL_ERROR_WANT_READ)
		return kw_transport_wait(c, POLLIN, deadline, doing);
	if (e == SSL_ERROR_WANT_WRITE)
		return kw_transport_wait(c, POLLOUT, deadline, doing);
	c->ssl_broken = e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL;
	if (e == SSL_ERROR_SYSCALL && errno != 0)
		return kw_client_fail(c, KW_E_UNAVAILABLE, "connection_closed",
				      "connection to %s lost: %s", c->addr,
				      strerror(errno));
	if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
		return kw_client_fail(c, KW_E_UNAVAILABLE, "connection_closed",
				      "%s closed the connection", c->addr);
	return kw_client_fail(c, KW_E_UNAVAILABLE, "connection_closed",
			      "TLS error with %s: %s", c->addr,
			      ossl_reason(why, sizeof(why)));
}

kw_rc kw_tls_connect(kw_client *c, int64_t deadline)
{
	char why[256];
	kw_rc rc = KW_E_NOMEM;
	ERR_clear_error();
	c->ssl = SSL_new(c->ssl_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return kw_client_fail(c, KW_E_NOMEM, "out_of_memory",
				      "cannot start TLS: %s",
				      ossl_reason(why, sizeof(why)));
	if (c->host_is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
						  c->host) != 1)
			goto nomem;
	} else if (SSL_set_tlsext_host_name(c->ssl, c->host) != 1 ||
		   SSL_set1_host(c->ssl, c->host) != 1) {
		goto nomem;
	}
	for (;;) {
		ERR_clear_error();
		errno = 0;
		int r = SSL_connect(c->ssl);
		if (r == 1)
			return KW_OK;
		long v = SSL_get_verify_result(c->ssl);
		if (v != X509_V_OK) {
			c->ssl_broken = true;
			ERR_clear_error();
			return kw_client_fail(
				c, KW_E_UNAVAILABLE, "tls_failed",
				"TLS handshake with %s failed: server "
				"certificate not trusted: %s",
				c->addr, X509_verify_cert_error_string(v));
		}
		rc = tls_step(c, r, deadline, "connecting to");
		if (rc != KW_OK) {
			if (strcmp(c->err.code, "timeout") != 0)
				snprintf(c->err.code, sizeof(c->err.code),
					 "tls_failed");
			return rc;
		}
	}
nomem:
	return kw_client_fail(c, KW_E_NOMEM, "out_of_memory",
			      "cannot set the expected server name: %s",
			      ossl_reason(why, sizeof(why)));
}

kw_rc kw_tls_write(kw_client *c, const uint8_t *d, size_t n, int64_t deadline)
{
	size_t off = 0;
	while (off < n) {
		size_t w = 0;
		ERR_clear_error();
		errno = 0;
		int r = SSL_write_ex(c->ssl, d + off, n - off, &w);
		if (r == 1) {
			off += w;
			continue;
		}
		kw_rc rc = tls_step(c, r, deadline, "sending");
		if (rc != KW_OK)
			return rc;
	}
	return KW_OK;
}

kw_rc kw_tls_read(kw_client *c, uint8_t *buf, size_t cap, int64_t deadline,
		  size_t *out_n)
{
	for (;;) {
		size_t n = 0;
		ERR_clear_error();
		errno = 0;
		int r = SSL_read_ex(c->ssl, buf, cap, &n);
		if (r == 1) {
			*out_n = n;
			return KW_OK;
		}
		int e = SSL_get_error(c->ssl, r);
		bool unexpected_eof =
			(e == SSL_ERROR_SYSCALL &&
			 (errno == 0 || errno == ECONNRESET)) ||
			(e == SSL_ERROR_SSL &&
			 ERR_GET_REASON(ERR_peek_last_error()) ==
				 SSL_R_UNEXPECTED_EOF_WHILE_READING);
		if (e == SSL_ERROR_ZERO_RETURN || unexpected_eof) {
			c->eof_unclean = unexpected_eof;
			c->ssl_broken = unexpected_eof;
			ERR_clear_error();
			*out_n = 0;
			return KW_OK;
		}
		kw_rc rc =
			tls_step(c, r, deadline, "waiting for a response from");
		if (rc != KW_OK)
			return rc;
	}
}

bool kw_tls_alive(kw_client *c)
{
	char b;
	size_t n = 0;
	ERR_clear_error();
	/* The socket is non-blocking: WANT_READ means only a TLS record
	 * without data (a session ticket) was waiting. */
	int r = SSL_peek_ex(c->ssl, &b, 1, &n);
	int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL)
		c->ssl_broken = true;
	ERR_clear_error();
	return e == SSL_ERROR_WANT_READ;
}

void kw_tls_close(kw_client *c)
{
	if (!c->ssl_broken) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl); /* send close_notify; no wait */
	}
	ERR_clear_error();
	SSL_free(c->ssl);
	c->ssl = NULL;
}
