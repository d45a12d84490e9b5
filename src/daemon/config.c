/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cyaml/cyaml.h>

#include "daemon/config.h"
#include "keywarden/log.h"

/* ---- the YAML shape (what libcyaml fills) --------------------------------- */

typedef struct y_tls {
	char *cert;
	char *key;
	int min_version;
	char *client_ca;
	bool require_client_cert;
} y_tls;

typedef struct y_unix {
	char *path;
	char *mode;
} y_unix;

typedef struct y_tcp {
	char *address;
	y_tls *tls;
} y_tcp;

typedef struct y_listener {
	y_unix *unix_socket;
	y_tcp *tcp;
} y_listener;

typedef struct y_store {
	int backend;
	char *path;
} y_store;

typedef struct y_limits {
	uint64_t max_body_bytes;
	uint64_t max_header_bytes;
	uint64_t max_connections;
	uint64_t idle_timeout;
	uint64_t max_batch_items;
} y_limits;

typedef struct y_auth {
	uint64_t session_ttl;
	uint64_t app_token_max_ttl;
	uint64_t max_failed_logins;
	uint64_t lockout;
	uint64_t failed_login_rate;
	uint64_t scrypt_log2_n;
	uint64_t token_cache_ttl;
} y_auth;

typedef struct y_audit {
	char *node;
	uint64_t checkpoint_every;
	uint64_t checkpoint_interval;
	uint64_t max_batch;
	uint64_t max_pending;
} y_audit;

typedef struct y_cache {
	uint64_t keys;
} y_cache;

typedef struct y_log {
	int level;
	char *file;
} y_log;

typedef struct y_security {
	uint64_t secure_heap;
	int mlock;
} y_security;

/* Scheduled backups (docs/backup.md). */
typedef struct y_backup {
	char *directory;
	uint64_t interval;
	uint64_t keep;
} y_backup;

/* The host TPM and attestation (docs/tpm.md). */
typedef struct y_tpm {
	char *tcti;
	char *seal_file;
	char *seal_pcrs;
	char *ek_ca_file;
	uint64_t grant_ttl;
	uint64_t challenge_ttl;
} y_tpm;

/* CRL publication (docs/pki.md). */
typedef struct y_pki {
	char *crl_dir;
} y_pki;

typedef struct y_root {
	y_listener *listeners;
	unsigned listeners_count;
	y_store *store;
	y_limits *limits;
	y_auth *auth;
	y_audit *audit;
	y_cache *cache;
	y_log *log;
	y_security *security;
	uint64_t threads;
	y_backup *backup;
	y_tpm *tpm;
	y_pki *pki;
} y_root;

#define OPT  CYAML_FLAG_OPTIONAL
#define OPTP (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)

static const cyaml_strval_t tls_versions[] = {{"1.2", 12}, {"1.3", 13}};
static const cyaml_strval_t backends[] = {{"sqlite", 1}, {"mem", 2}};
/* Levels are stored + 1 so that 0 means "not given". */
static const cyaml_strval_t log_levels[] = {
	{"error", KW_LOG_LEVEL_ERROR + 1}, {"warn", KW_LOG_LEVEL_WARN + 1},
	{"info", KW_LOG_LEVEL_INFO + 1},   {"debug", KW_LOG_LEVEL_DEBUG + 1},
	{"trace", KW_LOG_LEVEL_TRACE + 1},
};
static const cyaml_strval_t mlock_modes[] = {
	{"required", KW_MLOCK_REQUIRED},
	{"best_effort", KW_MLOCK_BEST_EFFORT},
	{"off", KW_MLOCK_OFF},
};
#define NSTR(a) (sizeof(a) / sizeof((a)[0]))

static const cyaml_schema_field_t tls_fields[] = {
	CYAML_FIELD_STRING_PTR("cert", CYAML_FLAG_POINTER, y_tls, cert, 1,
			       CYAML_UNLIMITED),
	CYAML_FIELD_STRING_PTR("key", CYAML_FLAG_POINTER, y_tls, key, 1,
			       CYAML_UNLIMITED),
	CYAML_FIELD_ENUM("min_version", OPT | CYAML_FLAG_STRICT, y_tls,
			 min_version, tls_versions, NSTR(tls_versions)),
	CYAML_FIELD_STRING_PTR("client_ca", OPTP, y_tls, client_ca, 1,
			       CYAML_UNLIMITED),
	CYAML_FIELD_BOOL("require_client_cert", OPT, y_tls,
			 require_client_cert),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t unix_fields[] = {
	CYAML_FIELD_STRING_PTR("path", CYAML_FLAG_POINTER, y_unix, path, 1,
			       CYAML_UNLIMITED),
	CYAML_FIELD_STRING_PTR("mode", OPTP, y_unix, mode, 1, 8),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t tcp_fields[] = {
	CYAML_FIELD_STRING_PTR("address", CYAML_FLAG_POINTER, y_tcp, address, 1,
			       128),
	CYAML_FIELD_MAPPING_PTR("tls", CYAML_FLAG_POINTER, y_tcp, tls,
				tls_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t listener_fields[] = {
	CYAML_FIELD_MAPPING_PTR("unix", OPTP, y_listener, unix_socket,
				unix_fields),
	CYAML_FIELD_MAPPING_PTR("tcp", OPTP, y_listener, tcp, tcp_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t listener_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, y_listener, listener_fields),
};

static const cyaml_schema_field_t store_fields[] = {
	CYAML_FIELD_ENUM("backend", OPT | CYAML_FLAG_STRICT, y_store, backend,
			 backends, NSTR(backends)),
	CYAML_FIELD_STRING_PTR("path", OPTP, y_store, path, 1, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t limits_fields[] = {
	CYAML_FIELD_UINT("max_body_bytes", OPT, y_limits, max_body_bytes),
	CYAML_FIELD_UINT("max_header_bytes", OPT, y_limits, max_header_bytes),
	CYAML_FIELD_UINT("max_connections", OPT, y_limits, max_connections),
	CYAML_FIELD_UINT("idle_timeout", OPT, y_limits, idle_timeout),
	CYAML_FIELD_UINT("max_batch_items", OPT, y_limits, max_batch_items),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t auth_fields[] = {
	CYAML_FIELD_UINT("session_ttl", OPT, y_auth, session_ttl),
	CYAML_FIELD_UINT("app_token_max_ttl", OPT, y_auth, app_token_max_ttl),
	CYAML_FIELD_UINT("max_failed_logins", OPT, y_auth, max_failed_logins),
	CYAML_FIELD_UINT("lockout", OPT, y_auth, lockout),
	CYAML_FIELD_UINT("failed_login_rate", OPT, y_auth, failed_login_rate),
	CYAML_FIELD_UINT("scrypt_log2_n", OPT, y_auth, scrypt_log2_n),
	CYAML_FIELD_UINT("token_cache_ttl", OPT, y_auth, token_cache_ttl),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t audit_fields[] = {
	CYAML_FIELD_STRING_PTR("node", OPTP, y_audit, node, 1, 64),
	CYAML_FIELD_UINT("checkpoint_every", OPT, y_audit, checkpoint_every),
	CYAML_FIELD_UINT("checkpoint_interval", OPT, y_audit,
			 checkpoint_interval),
	CYAML_FIELD_UINT("max_batch", OPT, y_audit, max_batch),
	CYAML_FIELD_UINT("max_pending", OPT, y_audit, max_pending),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t cache_fields[] = {
	CYAML_FIELD_UINT("keys", OPT, y_cache, keys),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t log_fields[] = {
	CYAML_FIELD_ENUM("level", OPT | CYAML_FLAG_STRICT, y_log, level,
			 log_levels, NSTR(log_levels)),
	CYAML_FIELD_STRING_PTR("file", OPTP, y_log, file, 1, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t security_fields[] = {
	CYAML_FIELD_UINT("secure_heap", OPT, y_security, secure_heap),
	CYAML_FIELD_ENUM("mlock", OPT | CYAML_FLAG_STRICT, y_security, mlock,
			 mlock_modes, NSTR(mlock_modes)),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t tpm_fields[] = {
	CYAML_FIELD_STRING_PTR("tcti", OPTP, y_tpm, tcti, 1, 1024),
	CYAML_FIELD_STRING_PTR("seal_file", OPTP, y_tpm, seal_file, 1,
			       CYAML_UNLIMITED),
	CYAML_FIELD_STRING_PTR("seal_pcrs", OPTP, y_tpm, seal_pcrs, 1, 96),
	CYAML_FIELD_STRING_PTR("ek_ca_file", OPTP, y_tpm, ek_ca_file, 1,
			       CYAML_UNLIMITED),
	CYAML_FIELD_UINT("grant_ttl", OPT, y_tpm, grant_ttl),
	CYAML_FIELD_UINT("challenge_ttl", OPT, y_tpm, challenge_ttl),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t pki_fields[] = {
	CYAML_FIELD_STRING_PTR("crl_dir", OPTP, y_pki, crl_dir, 1,
			       CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t backup_fields[] = {
	CYAML_FIELD_STRING_PTR("directory", CYAML_FLAG_POINTER, y_backup,
			       directory, 1, CYAML_UNLIMITED),
	CYAML_FIELD_UINT("interval", OPT, y_backup, interval),
	CYAML_FIELD_UINT("keep", OPT, y_backup, keep),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t root_fields[] = {
	CYAML_FIELD_SEQUENCE("listeners", CYAML_FLAG_POINTER, y_root, listeners,
			     &listener_entry, 1, KW_LISTENERS_MAX),
	CYAML_FIELD_MAPPING_PTR("store", CYAML_FLAG_POINTER, y_root, store,
				store_fields),
	CYAML_FIELD_MAPPING_PTR("limits", OPTP, y_root, limits, limits_fields),
	CYAML_FIELD_MAPPING_PTR("auth", OPTP, y_root, auth, auth_fields),
	CYAML_FIELD_MAPPING_PTR("audit", OPTP, y_root, audit, audit_fields),
	CYAML_FIELD_MAPPING_PTR("cache", OPTP, y_root, cache, cache_fields),
	CYAML_FIELD_MAPPING_PTR("log", OPTP, y_root, log, log_fields),
	CYAML_FIELD_MAPPING_PTR("security", OPTP, y_root, security,
				security_fields),
	CYAML_FIELD_UINT("threads", OPT, y_root, threads),
	CYAML_FIELD_MAPPING_PTR("backup", OPTP, y_root, backup, backup_fields),
	CYAML_FIELD_MAPPING_PTR("tpm", OPTP, y_root, tpm, tpm_fields),
	CYAML_FIELD_MAPPING_PTR("pki", OPTP, y_root, pki, pki_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, y_root, root_fields),
};

/* ---- libcyaml's messages -> "FILE:LINE: reason" ----------------------------- */

/* libcyaml reports an error as a message ("Load: Unexpected key: foo")
 * followed by a backtrace ("  in mapping field 'limits' (line: 2, ...)").
 * We keep the first message and the innermost backtrace line number, and
 * build the dotted path from the backtrace's field names. */
typedef struct cy_log {
	char reason[256];
	unsigned line;
	char fields[8][64];
	size_t n_fields;
	char seq_index[8][16];
	bool in_backtrace;
} cy_log;

static void cy_log_fn(cyaml_log_t level, void *ctx, const char *fmt,
		      va_list args) __attribute__((format(printf, 3, 0)));

static void cy_log_fn(cyaml_log_t level, void *ctx, const char *fmt,
		      va_list args)
{
	cy_log *l = ctx;
	char msg[256];
	const char *p;

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(msg, sizeof(msg), fmt, args);
	msg[strcspn(msg, "\n")] = '\0';
	if (strstr(msg, "Backtrace:") != NULL) {
		l->in_backtrace = true;
		return;
	}
	if (!l->in_backtrace) {
		if (l->reason[0] == '\0') {
			p = strncmp(msg, "Load: ", 6) == 0 ? msg + 6 : msg;
			snprintf(l->reason, sizeof(l->reason), "%s", p);
		}
		return;
	}
	p = strstr(msg, "(line: ");
	if (p != NULL && l->line == 0)
		l->line = (unsigned)strtoul(p + 7, NULL, 10);
	p = strstr(msg, "field '");
	if (p != NULL && l->n_fields < 8) {
		p += 7;
		size_t n = strcspn(p, "'");
		if (n >= sizeof(l->fields[0]))
			n = sizeof(l->fields[0]) - 1;
		memcpy(l->fields[l->n_fields], p, n);
		l->fields[l->n_fields][n] = '\0';
		l->n_fields++;
	}
}

/* ---- checks of values ------------------------------------------------------------ */

typedef struct checker {
	const char *file;
	char *err;
	size_t err_len;
	bool failed;
} checker;

static void bad(checker *ck, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad(checker *ck, const char *path, const char *fmt, ...)
{
	char reason[256];
	va_list ap;
	unsigned line;

	if (ck->failed)
		return;
	ck->failed = true;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	line = ck->file != NULL ? kw_yaml_locate(ck->file, path) : 0;
	if (line > 0)
		snprintf(ck->err, ck->err_len, "%s:%u: %s: %s", ck->file, line,
			 path, reason);
	else
		snprintf(ck->err, ck->err_len, "%s: %s: %s",
			 ck->file != NULL ? ck->file : "config", path, reason);
}

/* v == 0 means "not given": the default. Else it must be in range. */
static uint64_t ranged(checker *ck, const char *path, uint64_t v, uint64_t dflt,
		       uint64_t min, uint64_t max)
{
	if (v == 0)
		return dflt;
	if (v < min || v > max) {
		bad(ck, path, "must be between %llu and %llu",
		    (unsigned long long)min, (unsigned long long)max);
		return dflt;
	}
	return v;
}

static char *dup_str(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void check_readable(checker *ck, const char *path, const char *file)
{
	if (file != NULL && access(file, R_OK) != 0)
		bad(ck, path, "cannot read %s: %s", file, strerror(errno));
}

int kw_address_split(const char *addr, char *host, size_t host_len,
		     unsigned *port)
{
	const char *colon;
	size_t hl;
	const char *h = addr;
	char *end = NULL;
	unsigned long p;
	unsigned char buf[16];

	if (addr == NULL)
		return -1;
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		h = addr + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - addr);
	}
	if (hl == 0 || hl >= host_len)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	/* An IPv6 address needs its brackets: "::1:80" is ambiguous. */
	if (addr[0] != '[' && strchr(host, ':') != NULL)
		return -1;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || p > 65535)
		return -1;
	if (inet_pton(AF_INET, host, buf) != 1 &&
	    inet_pton(AF_INET6, host, buf) != 1)
		return -1;
	*port = (unsigned)p;
	return 0;
}

static void convert_listener(checker *ck, const y_listener *y, size_t i,
			     kw_listener_config *l)
{
	char path[64];

	snprintf(path, sizeof(path), "listeners.%zu", i);
	if ((y->unix_socket == NULL) == (y->tcp == NULL)) {
		bad(ck, path, "a listener is either unix or tcp (exactly one)");
		return;
	}
	if (y->unix_socket != NULL) {
		l->is_unix = true;
		snprintf(path, sizeof(path), "listeners.%zu.unix.path", i);
		if (y->unix_socket->path[0] != '/' ||
		    strlen(y->unix_socket->path) >= 108)
			bad(ck, path,
			    "must be an absolute path shorter than "
			    "108 bytes");
		l->path = dup_str(y->unix_socket->path);
		l->mode = 0600;
		if (y->unix_socket->mode != NULL) {
			char *end = NULL;
			unsigned long m =
				strtoul(y->unix_socket->mode, &end, 8);
			snprintf(path, sizeof(path), "listeners.%zu.unix.mode",
				 i);
			if (*end != '\0' || m > 0777 || (m & 0600) != 0600)
				bad(ck, path,
				    "must be octal permission bits "
				    "including 0600, e.g. \"0660\"");
			l->mode = (unsigned)m;
		}
		return;
	}
	const y_tcp *t = y->tcp;
	char host[64];
	unsigned port;
	snprintf(path, sizeof(path), "listeners.%zu.tcp.address", i);
	if (kw_address_split(t->address, host, sizeof(host), &port) != 0)
		bad(ck, path, "must be IP:port or [IPv6]:port (numeric)");
	l->address = dup_str(t->address);
	l->tls_cert = dup_str(t->tls->cert);
	l->tls_key = dup_str(t->tls->key);
	l->tls_client_ca = dup_str(t->tls->client_ca);
	l->require_client_cert = t->tls->require_client_cert;
	l->tls_min =
		t->tls->min_version != 0 ? (unsigned)t->tls->min_version : 12;
	snprintf(path, sizeof(path), "listeners.%zu.tcp.tls.cert", i);
	check_readable(ck, path, l->tls_cert);
	snprintf(path, sizeof(path), "listeners.%zu.tcp.tls.key", i);
	check_readable(ck, path, l->tls_key);
	snprintf(path, sizeof(path), "listeners.%zu.tcp.tls.client_ca", i);
	check_readable(ck, path, l->tls_client_ca);
	if (l->require_client_cert && l->tls_client_ca == NULL) {
		snprintf(path, sizeof(path),
			 "listeners.%zu.tcp.tls.require_client_cert", i);
		bad(ck, path,
		    "needs client_ca (the CA bundle to check client "
		    "certificates against)");
	}
}

static void convert(checker *ck, const y_root *y, kw_config *c)
{
	for (size_t i = 0; i < y->listeners_count; i++)
		convert_listener(ck, &y->listeners[i], i, &c->listeners[i]);
	c->n_listeners = y->listeners_count;

	c->store_backend = strdup(y->store->backend == 2 ? "mem" : "sqlite");
	c->store_path = dup_str(y->store->path);
	if (y->store->backend != 2 && c->store_path == NULL)
		bad(ck, "store", "the sqlite backend needs a path");

	if (y->limits != NULL) {
		const y_limits *l = y->limits;
		c->max_body_bytes =
			ranged(ck, "limits.max_body_bytes", l->max_body_bytes,
			       KW_CFG_MAX_BODY, 1024, 64u * 1024 * 1024);
		c->max_header_bytes = ranged(ck, "limits.max_header_bytes",
					     l->max_header_bytes,
					     KW_CFG_MAX_HEADER, 1024, 65536);
		c->max_connections =
			ranged(ck, "limits.max_connections", l->max_connections,
			       KW_CFG_MAX_CONNECTIONS, 1, 100000);
		c->idle_timeout_s =
			ranged(ck, "limits.idle_timeout", l->idle_timeout,
			       KW_CFG_IDLE_TIMEOUT, 1, 3600);
		c->max_batch_items =
			ranged(ck, "limits.max_batch_items", l->max_batch_items,
			       KW_CFG_MAX_BATCH, 1, 1000);
	}
	if (y->auth != NULL) {
		const y_auth *a = y->auth;
		c->auth.session_ttl_s =
			ranged(ck, "auth.session_ttl", a->session_ttl, 0, 60,
			       30u * 86400);
		c->auth.app_token_max_ttl_s =
			ranged(ck, "auth.app_token_max_ttl",
			       a->app_token_max_ttl, 0, 60, 10u * 365 * 86400);
		c->auth.max_failed_logins =
			(unsigned)ranged(ck, "auth.max_failed_logins",
					 a->max_failed_logins, 0, 1, 1000);
		c->auth.lockout_s = ranged(ck, "auth.lockout", a->lockout, 0, 1,
					   7u * 86400);
		c->auth.source_rate_per_min =
			(unsigned)ranged(ck, "auth.failed_login_rate",
					 a->failed_login_rate, 0, 1, 600);
		c->auth.scrypt_log2_n = (unsigned)ranged(
			ck, "auth.scrypt_log2_n", a->scrypt_log2_n, 0, 10, 20);
		c->auth.token_cache_ttl_s =
			ranged(ck, "auth.token_cache_ttl", a->token_cache_ttl,
			       0, 1, 3600);
	}
	if (y->audit != NULL) {
		const y_audit *a = y->audit;
		c->audit_node = dup_str(a->node);
		c->audit.checkpoint_every =
			(unsigned)ranged(ck, "audit.checkpoint_every",
					 a->checkpoint_every, 0, 1, 100000);
		c->audit.checkpoint_interval_s =
			(unsigned)ranged(ck, "audit.checkpoint_interval",
					 a->checkpoint_interval, 0, 1, 3600);
		c->audit.max_batch = (unsigned)ranged(
			ck, "audit.max_batch", a->max_batch, 0, 1, 65536);
		c->audit.max_pending =
			(unsigned)ranged(ck, "audit.max_pending",
					 a->max_pending, 0, 16, 1u << 24);
	}
	if (y->tpm != NULL) {
		c->tpm.tcti = dup_str(y->tpm->tcti);
		c->tpm.seal_file = dup_str(y->tpm->seal_file);
		c->tpm.seal_pcrs = dup_str(y->tpm->seal_pcrs);
		c->tpm.ek_ca_file = dup_str(y->tpm->ek_ca_file);
		c->tpm.grant_ttl_s = ranged(ck, "tpm.grant_ttl",
					    y->tpm->grant_ttl, 0, 10, 86400);
		c->tpm.challenge_ttl_s =
			ranged(ck, "tpm.challenge_ttl", y->tpm->challenge_ttl,
			       0, 10, 3600);
	}
	if (y->cache != NULL)
		c->cache_keys = ranged(ck, "cache.keys", y->cache->keys,
				       KW_CFG_CACHE_KEYS, 1, 10000000);
	if (y->log != NULL) {
		if (y->log->level != 0)
			c->log_level = y->log->level - 1;
		c->log_file = dup_str(y->log->file);
		if (c->log_file != NULL && c->log_file[0] != '/')
			bad(ck, "log.file", "must be an absolute path");
	}
	if (y->security != NULL) {
		uint64_t h = ranged(ck, "security.secure_heap",
				    y->security->secure_heap,
				    KW_CFG_SECURE_HEAP, 65536, 1u << 30);
		if ((h & (h - 1)) != 0)
			bad(ck, "security.secure_heap",
			    "must be a power of two");
		c->secure_heap_bytes = h;
		c->mlock = (kw_mlock_mode)y->security->mlock;
	}
	c->threads = (unsigned)ranged(ck, "threads", y->threads, 0, 1, 256);
	if (y->pki != NULL && y->pki->crl_dir != NULL) {
		c->crl_dir = dup_str(y->pki->crl_dir);
		if (c->crl_dir != NULL && c->crl_dir[0] != '/')
			bad(ck, "pki.crl_dir", "must be an absolute path");
	}
	if (y->backup != NULL) {
		c->backup_dir = dup_str(y->backup->directory);
		if (c->backup_dir != NULL && c->backup_dir[0] != '/')
			bad(ck, "backup.directory", "must be an absolute path");
		c->backup_interval_s =
			ranged(ck, "backup.interval", y->backup->interval,
			       KW_CFG_BACKUP_INTERVAL, 1, 366 * 86400ull);
		c->backup_keep =
			(unsigned)ranged(ck, "backup.keep", y->backup->keep,
					 KW_CFG_BACKUP_KEEP, 1, 100000);
	}
}

kw_config *kw_config_new_defaults(void)
{
	kw_config *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->max_body_bytes = KW_CFG_MAX_BODY;
	c->max_header_bytes = KW_CFG_MAX_HEADER;
	c->max_connections = KW_CFG_MAX_CONNECTIONS;
	c->idle_timeout_s = KW_CFG_IDLE_TIMEOUT;
	c->max_batch_items = KW_CFG_MAX_BATCH;
	c->cache_keys = KW_CFG_CACHE_KEYS;
	c->log_level = KW_LOG_LEVEL_INFO;
	c->secure_heap_bytes = KW_CFG_SECURE_HEAP;
	c->mlock = KW_MLOCK_REQUIRED;
	return c;
}

kw_rc kw_config_load(const char *path, kw_config **out, char *err,
		     size_t err_len)
{
	cy_log log = {0};
	cyaml_config_t cc = {
		.log_fn = cy_log_fn,
		.log_ctx = &log,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_NO_ALIAS,
	};
	y_root *y = NULL;
	checker ck = {.file = path, .err = err, .err_len = err_len};
	kw_config *c = NULL;
	kw_rc rc = KW_E_INVALID;
	cyaml_err_t e;

	if (access(path, R_OK) != 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		goto out;
	}
	e = cyaml_load_file(path, &cc, &root_schema, (cyaml_data_t **)&y, NULL);
	if (e != CYAML_OK) {
		/* The dotted path of the failing node, outermost first. */
		char where[256] = "";
		size_t w = 0;
		for (size_t i = log.n_fields; i > 0 && w < sizeof(where); i--)
			w += (size_t)snprintf(where + w, sizeof(where) - w,
					      "%s%s", w > 0 ? "." : "",
					      log.fields[i - 1]);
		const char *reason =
			log.reason[0] != '\0' ? log.reason : cyaml_strerror(e);
		/* For an unknown key libcyaml names the mapping's line; the
		 * key's own line is more useful. */
		unsigned line = log.line;
		const char *uk = strstr(reason, "Unexpected key: ");
		if (uk != NULL) {
			char kp[320];
			snprintf(kp, sizeof(kp), "%s%s%s", where,
				 where[0] != '\0' ? "." : "", uk + 16);
			unsigned l2 = kw_yaml_locate(path, kp);
			if (l2 > 0)
				line = l2;
		}
		if (line > 0)
			snprintf(err, err_len, "%s:%u: %s%s%s", path, line,
				 where, where[0] != '\0' ? ": " : "", reason);
		else
			snprintf(err, err_len, "%s: %s%s%s", path, where,
				 where[0] != '\0' ? ": " : "", reason);
		goto out;
	}
	c = kw_config_new_defaults();
	if (c == NULL) {
		snprintf(err, err_len, "%s: out of memory", path);
		goto out;
	}
	convert(&ck, y, c);
	if (ck.failed)
		goto out;
	*out = c;
	c = NULL;
	rc = KW_OK;
out:
	if (y != NULL)
		cyaml_free(&cc, &root_schema, y, 0);
	kw_config_free(c);
	return rc;
}

void kw_config_free(kw_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < KW_LISTENERS_MAX; i++) {
		kw_listener_config *l = &c->listeners[i];
		free(l->path);
		free(l->address);
		free(l->tls_cert);
		free(l->tls_key);
		free(l->tls_client_ca);
	}
	free(c->store_backend);
	free(c->store_path);
	free(c->audit_node);
	free(c->backup_dir);
	free(c->crl_dir);
	free((char *)c->tpm.tcti);
	free((char *)c->tpm.seal_file);
	free((char *)c->tpm.seal_pcrs);
	free((char *)c->tpm.ek_ca_file);
	free(c->log_file);
	free(c);
}

void kw_listener_config_name(const kw_listener_config *l, char *buf, size_t len)
{
	if (l->is_unix)
		snprintf(buf, len, "unix:%s", l->path);
	else
		snprintf(buf, len, "https://%s", l->address);
}
