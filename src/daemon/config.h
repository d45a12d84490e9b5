/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_CONFIG_H
#define KW_DAEMON_CONFIG_H

/*
 * keywardend's configuration: a YAML file read with libcyaml against a
 * schema (docs/operations.md is the reference). An unknown key, a value of
 * the wrong type or a value out of range stops start-up with
 * "FILE:LINE: reason". Every field has a default except the listeners and
 * the store.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/audit.h"
#include "keywarden/auth.h"
#include "keywarden/rc.h"
#include "service/svc_attest.h"

#define KW_LISTENERS_MAX  8
#define KW_CONFIG_ERR_MAX 512

typedef enum kw_mlock_mode {
	KW_MLOCK_REQUIRED = 0, /* refuse to start if mlockall fails */
	KW_MLOCK_BEST_EFFORT,  /* warn */
	KW_MLOCK_OFF,
} kw_mlock_mode;

typedef struct kw_listener_config {
	bool is_unix;
	/* unix */
	char *path;
	unsigned mode; /* permission bits of the socket file */
	/* tcp + tls */
	char *address; /* "127.0.0.1:8200", "[::1]:8200", "0.0.0.0:8200" */
	char *tls_cert;
	char *tls_key;
	char *tls_client_ca; /* NULL = no client certificates */
	bool require_client_cert;
	unsigned tls_min; /* 12 or 13 */
} kw_listener_config;

typedef struct kw_config {
	kw_listener_config listeners[KW_LISTENERS_MAX];
	size_t n_listeners;

	char *store_backend; /* "sqlite", "mem" */
	char *store_path;

	uint64_t max_body_bytes;
	uint64_t max_header_bytes;
	uint64_t max_connections;
	uint64_t idle_timeout_s;
	uint64_t max_batch_items;

	kw_auth_config auth;
	kw_audit_config audit;
	char *audit_node;

	uint64_t cache_keys;
	int log_level; /* kw_log_level */
	char *log_file;
	uint64_t secure_heap_bytes;
	kw_mlock_mode mlock;
	unsigned threads; /* per listener; 0 = number of cores */

	/* Scheduled backups (docs/backup.md): none when backup_dir is NULL. */
	char *backup_dir;
	uint64_t backup_interval_s;
	unsigned backup_keep;
	kw_svc_tpm_config tpm; /* strings owned (docs/tpm.md) */
	char *crl_dir;	       /* CRL files (docs/pki.md); NULL = none */
} kw_config;

/* Defaults. */
#define KW_CFG_MAX_BODY	       (32u * 1024u * 1024u)
#define KW_CFG_MAX_HEADER      8192u
#define KW_CFG_MAX_CONNECTIONS 4096u
#define KW_CFG_IDLE_TIMEOUT    60u
#define KW_CFG_MAX_BATCH       1000u
#define KW_CFG_CACHE_KEYS      10000u
#define KW_CFG_SECURE_HEAP     (32u * 1024u * 1024u)
#define KW_CFG_BACKUP_INTERVAL 86400u
#define KW_CFG_BACKUP_KEEP     7u

/* Loads and checks path. KW_OK with *out (kw_config_free it), or
 * KW_E_INVALID with err = "FILE:LINE: reason" (or "FILE: reason"). */
kw_rc kw_config_load(const char *path, kw_config **out, char *err,
		     size_t err_len);

/* A configuration with every default and no listeners or store (dev mode
 * fills them in). NULL on allocation failure. */
kw_config *kw_config_new_defaults(void);

void kw_config_free(kw_config *c);

/* "unix:/path" or "tcp:addr" for logs. */
void kw_listener_config_name(const kw_listener_config *l, char *buf,
			     size_t len);

/* Parses "host:port" / "[v6]:port" into its parts (numeric host).
 * Returns 0, or -1 when malformed. */
int kw_address_split(const char *addr, char *host, size_t host_len,
		     unsigned *port);

/* The 1-based line of the node at path ("limits.max_connections",
 * "listeners.0.tcp.address") in the YAML file, or 0 if not found. */
unsigned kw_yaml_locate(const char *file, const char *path);

#endif
