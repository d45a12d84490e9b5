/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pkcs11"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywarden/log.h"
#include "pkcs11/p11.h"

/*
 * The configuration: a small file named by $KEYWARDEN_PKCS11_CONF, one
 * "key = value" per line, '#' starts a comment (docs/pkcs11.md lists the
 * keys). Without it, $KEYWARDEN_ADDR and $KEYWARDEN_CACERT. An unknown key
 * or a malformed value is an error: C_Initialize fails rather than run
 * with a configuration other than the one written.
 */

#define LINE_MAX_LEN 4096

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool set_str(char **dst, const char *v)
{
	char *d = strdup(v);

	if (d == NULL)
		return false;
	free(*dst);
	*dst = d;
	return true;
}

static bool parse_int(const char *v, long long min, long long max,
		      long long *out)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || x < min || x > max)
		return false;
	*out = x;
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
		 strcmp(v, "0") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* "a, b,c" -> the list. An empty item ("a,,b", a trailing comma) is
 * malformed, not skipped. */
static bool parse_list(const char *v, p11_config *c)
{
	char *copy = strdup(v), *rest = copy, *tok;
	bool ok = copy != NULL;

	while (ok && (tok = strsep(&rest, ",")) != NULL) {
		char *name = trim(tok);
		char **grown;
		if (*name == '\0' || strlen(name) > P11_NAME_MAX ||
		    c->n_partitions == P11_SLOTS_MAX) {
			ok = false;
			break;
		}
		grown = realloc(c->partitions,
				(c->n_partitions + 1) * sizeof(*grown));
		if (grown == NULL) {
			ok = false;
			break;
		}
		c->partitions = grown;
		c->partitions[c->n_partitions] = strdup(name);
		ok = c->partitions[c->n_partitions] != NULL;
		if (ok)
			c->n_partitions++;
	}
	free(copy);
	return ok;
}

/* One "key = value". false: unknown key or bad value. */
static bool apply(p11_config *c, const char *k, const char *v)
{
	long long n;
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{"addr", offsetof(p11_config, addr)},
		{"cacert", offsetof(p11_config, cacert)},
		{"cert", offsetof(p11_config, cert)},
		{"key", offsetof(p11_config, key)},
		{"token_file", offsetof(p11_config, token_file)},
		{"token_env", offsetof(p11_config, token_env)},
		{"admin_token_file", offsetof(p11_config, admin_token_file)},
		{"admin_token_env", offsetof(p11_config, admin_token_env)},
		{"user", offsetof(p11_config, user)},
		{"so", offsetof(p11_config, so)},
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(k, strs[i].key) == 0)
			return set_str((char **)((char *)c + strs[i].off), v);
	if (strcmp(k, "partitions") == 0)
		return parse_list(v, c);
	if (strcmp(k, "show_versions") == 0)
		return parse_bool(v, &c->show_versions);
	if (strcmp(k, "connect_timeout_ms") == 0 &&
	    parse_int(v, 1, 600000, &n)) {
		c->connect_timeout_ms = (int)n;
		return true;
	}
	if (strcmp(k, "io_timeout_ms") == 0 && parse_int(v, 1, 600000, &n)) {
		c->io_timeout_ms = (int)n;
		return true;
	}
	if (strcmp(k, "connections") == 0 && parse_int(v, 1, 1024, &n)) {
		c->pool_max = (unsigned)n;
		return true;
	}
	if (strcmp(k, "destroy_waiting_period") == 0 &&
	    parse_int(v, 0, 365LL * 86400, &n)) {
		c->destroy_wait_s = n;
		return true;
	}
	return false;
}

/* One line without its newline into buf: 1, 0 at the end of the file,
 * -1 if longer than the buffer, -2 if it holds a NUL byte. Reads at most
 * one buffer's worth before deciding, whatever the file holds. */
static int read_line(FILE *f, char *buf, size_t cap)
{
	size_t len = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0')
			return -2;
		if (len + 1 >= cap)
			return -1;
		buf[len++] = (char)c;
	}
	buf[len] = '\0';
	return c == EOF && len == 0 ? 0 : 1;
}

static CK_RV load_file(const char *path, p11_config *c)
{
	FILE *f = fopen(path, "re");
	char line[LINE_MAX_LEN];
	unsigned no = 0;
	int got;
	CK_RV rv = CKR_OK;

	if (f == NULL) {
		KW_LOG_ERROR("cannot read KEYWARDEN_PKCS11_CONF %s: %s", path,
			     strerror(errno));
		return CKR_GENERAL_ERROR;
	}
	while (rv == CKR_OK && (got = read_line(f, line, sizeof(line))) != 0) {
		char *s, *eq;
		no++;
		if (got < 0) {
			KW_LOG_ERROR("%s:%u: %s", path, no,
				     got == -1 ? "line too long"
					       : "NUL byte in the line");
			rv = CKR_GENERAL_ERROR;
			break;
		}
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		s = trim(line);
		if (*s == '\0')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			KW_LOG_ERROR("%s:%u: expected key = value", path, no);
			rv = CKR_GENERAL_ERROR;
			break;
		}
		*eq = '\0';
		if (!apply(c, trim(s), trim(eq + 1))) {
			KW_LOG_ERROR("%s:%u: unknown key or bad value for "
				     "\"%s\"",
				     path, no, trim(s));
			rv = CKR_GENERAL_ERROR;
		}
	}
	if (rv == CKR_OK && ferror(f)) {
		KW_LOG_ERROR("cannot read KEYWARDEN_PKCS11_CONF %s: %s", path,
			     strerror(errno));
		rv = CKR_GENERAL_ERROR;
	}
	fclose(f);
	return rv;
}

CK_RV p11_config_load(p11_config *out)
{
	p11_config c = {.destroy_wait_s = -1, .show_versions = true};
	const char *path = getenv("KEYWARDEN_PKCS11_CONF");
	const char *addr = getenv("KEYWARDEN_ADDR");
	const char *ca = getenv("KEYWARDEN_CACERT");
	CK_RV rv = CKR_HOST_MEMORY;

	if ((addr != NULL && *addr != '\0' && !set_str(&c.addr, addr)) ||
	    (ca != NULL && *ca != '\0' && !set_str(&c.cacert, ca)))
		goto out;
	rv = CKR_OK;
	if (path != NULL && *path != '\0')
		rv = load_file(path, &c);
	if (rv != CKR_OK)
		goto out;
	if (c.token_env == NULL && c.token_file == NULL &&
	    !set_str(&c.token_env, "KEYWARDEN_TOKEN")) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	*out = c;
	memset(&c, 0, sizeof(c));
out:
	p11_config_clear(&c);
	return rv;
}

void p11_config_clear(p11_config *c)
{
	free(c->addr);
	free(c->cacert);
	free(c->cert);
	free(c->key);
	free(c->token_file);
	free(c->token_env);
	free(c->admin_token_file);
	free(c->admin_token_env);
	free(c->user);
	free(c->so);
	for (size_t i = 0; i < c->n_partitions; i++)
		free(c->partitions[i]);
	free(c->partitions);
	memset(c, 0, sizeof(*c));
}
