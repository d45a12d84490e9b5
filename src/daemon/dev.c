/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "dev"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/x509.h"
#include "daemon/dev.h"
#include "daemon/server.h"
#include "keywarden/log.h"

/*
 * Dev mode: an initialised, unsealed instance in one directory, ready for
 * curl, the CLI and the PKCS#11 module. INSECURE BY DESIGN: the only unseal
 * share is kept next to the data (DIR/dev-unseal-share, 0600) so that the
 * instance unseals itself, and the root token is written to DIR/dev.env.
 */

#define SHARE_FILE "dev-unseal-share"
#define ENV_FILE   "dev.env"
#define CA_FILE	   "ca.pem"
#define CERT_FILE  "tls-cert.pem"
#define KEY_FILE   "tls-key.pem"
#define DB_FILE	   "keywarden.db"
#define SOCK_FILE  "keywarden.sock"
#define TLS_DAYS   365
#define ROOT_TTL   (30u * 86400u)
#define SHARE_MAX  4096

static char *path_in(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);
	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, file);
	return p;
}

static bool exists(const char *dir, const char *file)
{
	char *p = path_in(dir, file);
	bool e = p != NULL && access(p, F_OK) == 0;
	free(p);
	return e;
}

kw_rc kw_dev_config(kw_dev *dev, kw_config **out)
{
	kw_config *c = NULL;
	char *ca = NULL, *cert = NULL, *key = NULL;
	char addr[32];
	kw_rc rc = KW_E_INVALID;

	if (mkdir(dev->dir_arg, 0700) != 0 && errno != EEXIST) {
		KW_LOG_ERROR("cannot create %s: %s", dev->dir_arg,
			     strerror(errno));
		goto out;
	}
	if (realpath(dev->dir_arg, dev->dir) == NULL) {
		KW_LOG_ERROR("%s: %s", dev->dir_arg, strerror(errno));
		goto out;
	}
	rc = KW_E_NOMEM;
	c = kw_config_new_defaults();
	ca = path_in(dev->dir, CA_FILE);
	cert = path_in(dev->dir, CERT_FILE);
	key = path_in(dev->dir, KEY_FILE);
	if (c == NULL || ca == NULL || cert == NULL || key == NULL)
		goto out;
	if (!exists(dev->dir, CA_FILE) || !exists(dev->dir, CERT_FILE) ||
	    !exists(dev->dir, KEY_FILE)) {
		rc = kw_x509_dev_tls_generate(ca, cert, key, TLS_DAYS);
		if (rc != KW_OK) {
			KW_LOG_ERROR("cannot write the dev TLS certificates "
				     "to %s: %s",
				     dev->dir, kw_rc_str(rc));
			goto out;
		}
	}
	c->listeners[0].is_unix = true;
	c->listeners[0].path = path_in(dev->dir, SOCK_FILE);
	c->listeners[0].mode = 0600;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", dev->port);
	c->listeners[1].address = strdup(addr);
	c->listeners[1].tls_cert = cert;
	c->listeners[1].tls_key = key;
	c->listeners[1].tls_min = 12;
	cert = key = NULL;
	c->n_listeners = 2;
	c->store_backend = strdup("sqlite");
	c->store_path = path_in(dev->dir, DB_FILE);
	c->mlock = KW_MLOCK_BEST_EFFORT;
	if (c->listeners[0].path == NULL || c->listeners[1].address == NULL ||
	    c->store_backend == NULL || c->store_path == NULL)
		goto out;
	if (strlen(c->listeners[0].path) >= 108) {
		KW_LOG_ERROR("%s is too long a path for a Unix socket",
			     c->listeners[0].path);
		rc = KW_E_INVALID;
		goto out;
	}
	*out = c;
	c = NULL;
	rc = KW_OK;
out:
	free(ca);
	free(cert);
	free(key);
	kw_config_free(c);
	return rc;
}

/* Reads the share file (at most SHARE_MAX bytes, trailing newline cut). */
static kw_rc read_share(const char *path, kw_secret **out)
{
	kw_secret *s = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	kw_rc rc = KW_E_NOT_FOUND;

	if (fd < 0)
		goto out;
	rc = kw_secret_new(SHARE_MAX, &s);
	if (rc != KW_OK)
		goto out;
	n = read(fd, s->data, SHARE_MAX);
	rc = KW_E_INVALID;
	if (n <= 0)
		goto out;
	while (n > 0 && (s->data[n - 1] == '\n' || s->data[n - 1] == '\r'))
		n--;
	s->len = (size_t)n; /* the tail is still zero */
	*out = s;
	s = NULL;
	rc = KW_OK;
out:
	if (fd >= 0)
		close(fd);
	kw_secret_free(s);
	return rc;
}

/* Writes data to path with mode, atomically (temporary file, rename). */
static kw_rc write_file(const char *path, mode_t mode, const void *data,
			size_t len)
{
	char tmp[PATH_MAX];
	int fd;
	bool ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return KW_E_STORAGE;
	ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return KW_E_STORAGE;
	}
	return KW_OK;
}

/* One audited start-up step. */
static void audit_step(kw_service *svc, kw_svc_call *c, kw_rc rc)
{
	kw_svc_call_outcome(c, rc == KW_OK ? KW_AUDIT_OK : KW_AUDIT_ERROR,
			    rc == KW_OK ? NULL : kw_rc_str(rc), c->ev.reason);
	if (kw_svc_audit_append(svc, c) != KW_OK)
		KW_LOG_ERROR("dev start-up step %s could not be audited",
			     c->ev.op);
}

kw_rc kw_dev_bootstrap(kw_dev *dev, kw_service *svc, kw_secret **out_token)
{
	kw_barrier_status st;
	kw_secret **shares = NULL;
	kw_secret *tok = NULL;
	kw_secret *share = NULL;
	char *share_path = path_in(dev->dir, SHARE_FILE);
	kw_svc_call c;
	kw_rc rc = KW_E_NOMEM;

	if (share_path == NULL)
		goto out;
	kw_svc_call_init(&c, "sys_status", "dev", "dev-start");
	rc = kw_svc_sys_status(svc, &c, &st);
	if (rc != KW_OK)
		goto out;
	if (!st.initialized) {
		kw_svc_call_init(&c, "sys_init", "dev", "dev-start");
		rc = kw_svc_sys_init(svc, &c, 1, 1, NULL, &shares, &tok);
		audit_step(svc, &c, rc);
		if (rc != KW_OK)
			goto out;
		rc = write_file(share_path, 0600, shares[0]->data,
				shares[0]->len);
		if (rc != KW_OK) {
			KW_LOG_ERROR("cannot write %s", share_path);
			goto out;
		}
		KW_LOG_WARN("dev mode: initialised a new instance; its only "
			    "unseal share is in %s",
			    share_path);
	} else if (st.sealed) {
		rc = read_share(share_path, &share);
		if (rc != KW_OK) {
			KW_LOG_ERROR("%s holds an instance but its dev unseal "
				     "share %s is missing or unreadable",
				     dev->dir, share_path);
			goto out;
		}
		kw_svc_call_init(&c, "sys_unseal", "dev", "dev-start");
		rc = kw_svc_sys_unseal(svc, &c, share, &st);
		audit_step(svc, &c, rc);
		if (rc == KW_OK && st.sealed)
			rc = KW_E_SEALED;
		if (rc != KW_OK) {
			KW_LOG_ERROR("cannot unseal with %s: %s", share_path,
				     kw_rc_str(rc));
			goto out;
		}
	}
	kw_svc_call_init(&c, "dev_root_token", "dev", "dev-start");
	rc = kw_svc_dev_root_token(svc, &c, ROOT_TTL, out_token);
	audit_step(svc, &c, rc);
	if (rc != KW_OK)
		KW_LOG_ERROR("cannot issue the root token: %s", kw_rc_str(rc));
out:
	if (shares != NULL)
		kw_barrier_shares_free(shares, 1);
	kw_secret_free(tok);
	kw_secret_free(share);
	free(share_path);
	return rc;
}

/* A value for a shell line: bare if it has only safe characters, else in
 * single quotes (paths with spaces). */
static void shell_value(char *buf, size_t len, const char *v)
{
	if (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789/._-:+") == strlen(v) &&
	    strchr(v, '\'') == NULL)
		snprintf(buf, len, "%s", v);
	else
		snprintf(buf, len, "'%s'", v);
}

/* The PKCS#11 module next to this binary in the build tree, if built. */
static bool pkcs11_module(char *buf, size_t len)
{
	char exe[PATH_MAX];
	char cand[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	snprintf(cand, sizeof(cand), "%s/../pkcs11/libkeywarden-pkcs11.so",
		 exe);
	if (realpath(cand, buf) == NULL || len < PATH_MAX)
		return false;
	return access(buf, R_OK) == 0;
}

kw_rc kw_dev_announce(kw_dev *dev, unsigned port, const kw_secret *token,
		      FILE *out)
{
	char addr[64], sock[PATH_MAX + 32], ca[PATH_MAX + 32],
		env[PATH_MAX + 32];
	char q_addr[80], q_ca[PATH_MAX + 40], q_sock[PATH_MAX + 40];
	char q_env[PATH_MAX + 40];
	char p11[PATH_MAX];
	char *text = NULL;
	size_t text_len = 0;
	bool has_p11 = pkcs11_module(p11, sizeof(p11));
	FILE *f;
	kw_rc rc;

	snprintf(addr, sizeof(addr), "https://127.0.0.1:%u", port);
	snprintf(sock, sizeof(sock), "%s/%s", dev->dir, SOCK_FILE);
	snprintf(ca, sizeof(ca), "%s/%s", dev->dir, CA_FILE);
	snprintf(env, sizeof(env), "%s/%s", dev->dir, ENV_FILE);
	shell_value(q_addr, sizeof(q_addr), addr);
	shell_value(q_ca, sizeof(q_ca), ca);
	shell_value(q_sock, sizeof(q_sock), sock);
	shell_value(q_env, sizeof(q_env), env);

	/* dev.env: the same, as shell lines; 0600, it holds the token. */
	f = open_memstream(&text, &text_len);
	if (f == NULL)
		return KW_E_NOMEM;
	fprintf(f,
		"# keywarden dev instance - INSECURE, for development only.\n"
		"# Use it with: . %s\n"
		"KEYWARDEN_ADDR=%s\nKEYWARDEN_CACERT=%s\n"
		"KEYWARDEN_SOCKET=%s\n",
		q_env, q_addr, q_ca, q_sock);
	/* The token is written, not formatted: no printf sees a secret. */
	fputs("KEYWARDEN_TOKEN=", f);
	fwrite(token->data, 1, token->len, f);
	fputc('\n', f);
	if (has_p11)
		fprintf(f, "KEYWARDEN_PKCS11_MODULE=%s\n", p11);
	fprintf(f,
		"export KEYWARDEN_ADDR KEYWARDEN_CACERT KEYWARDEN_SOCKET "
		"KEYWARDEN_TOKEN%s\n",
		has_p11 ? " KEYWARDEN_PKCS11_MODULE" : "");
	if (fclose(f) != 0) {
		free(text);
		return KW_E_NOMEM;
	}
	rc = write_file(env, 0600, text, text_len);
	kw_wipe(text, text_len);
	free(text);
	if (rc != KW_OK) {
		KW_LOG_ERROR("cannot write %s", env);
		return rc;
	}

	fprintf(out,
		"\n==> keywarden dev instance is running\n\n"
		"WARNING: dev mode is INSECURE BY DESIGN. The only unseal "
		"share is stored in\n"
		"%s/%s and the root token below can do everything.\n"
		"Use it for development only, never for real keys.\n\n"
		"    HTTPS:        %s\n"
		"    Unix socket:  unix://%s\n"
		"    CA cert:      %s\n"
		"    Root token:   ",
		dev->dir, SHARE_FILE, addr, sock, ca);
	fwrite(token->data, 1, token->len, out);
	fprintf(out, "\n");
	if (has_p11)
		fprintf(out, "    PKCS#11:      %s\n", p11);
	fprintf(out,
		"    Environment:  %s  (KEYWARDEN_ADDR, KEYWARDEN_TOKEN, "
		"KEYWARDEN_CACERT)\n\n"
		"Try it: create a key, sign, verify (paste into a shell):\n\n"
		"# --- example ---\n"
		". %s\n"
		"curl -sS --cacert \"$KEYWARDEN_CACERT\" -H \"Authorization: "
		"Bearer $KEYWARDEN_TOKEN\" \\\n"
		"  --json '{\"name\":\"example\",\"type\":\"ecdsa-p256\"}' "
		"\"$KEYWARDEN_ADDR/v1/keys\"; echo\n"
		"SIG=$(curl -sS --cacert \"$KEYWARDEN_CACERT\" -H "
		"\"Authorization: Bearer $KEYWARDEN_TOKEN\" \\\n"
		"  --json '{\"input\":\"aGVsbG8=\"}' "
		"\"$KEYWARDEN_ADDR/v1/keys/example/sign\" | sed -n "
		"'s/.*\"signature\":\"\\([^\"]*\\)\".*/\\1/p'); echo \"$SIG\"\n"
		"curl -sS --cacert \"$KEYWARDEN_CACERT\" -H \"Authorization: "
		"Bearer $KEYWARDEN_TOKEN\" \\\n"
		"  --json \"{\\\"input\\\":\\\"aGVsbG8=\\\",\\\"signature\\\":"
		"\\\"$SIG\\\"}\" \"$KEYWARDEN_ADDR/v1/keys/example/verify\"; "
		"echo\n"
		"# --- end ---\n\n",
		env, q_env);
	fflush(out);
	return KW_OK;
}
