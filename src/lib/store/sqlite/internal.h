/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_STORE_SQLITE_INTERNAL_H
#define KW_STORE_SQLITE_INTERNAL_H

/* Shared by the files of store/sqlite/ only. */

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "store/internal.h"
#include "store/sqlite/sqlite.h"

/* Bytes of the database file memory-mapped by all the pool's connections
 * together (each maps KW_SQ_MMAP_TOTAL / pool size). */
#define KW_SQ_MMAP_TOTAL (128ull << 20)

/* One connection of the pool, used by one transaction at a time. Its
 * statements are prepared on first use and kept (SQLITE_PREPARE_PERSISTENT):
 * no operation prepares SQL again. */
typedef struct kw_sq_conn {
	sqlite3 *db;
	struct kw_sq_be *be;
	sqlite3_stmt *stmts[KW_SQ_STMT_COUNT_];
	struct kw_sq_conn *next_free;
} kw_sq_conn;

typedef struct kw_sq_be {
	char *path;
	unsigned busy_ms;
	unsigned pool_max;
	kw_store_gate gate; /* one write transaction at a time */
	pthread_mutex_t pool_mu;
	pthread_cond_t pool_cv; /* signalled when a connection comes back */
	kw_sq_conn *free_list;	/* idle connections; guarded by pool_mu */
	unsigned conns;		/* open connections; guarded by pool_mu */
} kw_sq_be;

typedef struct kw_sq_txn {
	kw_sq_be *be;
	kw_sq_conn *c;
	bool write;
	bool audit_known; /* write: audit_last is the trail's last seq */
	uint64_t audit_last;
} kw_sq_txn;

/* Maps an SQLite result code to a kw_rc and logs failures (what = the
 * operation). Constraint violations of a primary key or unique index give
 * KW_E_EXISTS; SQLITE_NOMEM KW_E_NOMEM; misuse KW_E_INTERNAL; everything
 * else (busy after the timeout, full, I/O error, corrupt, not a database)
 * KW_E_STORAGE. */
kw_rc kw_sq_rc(const kw_sq_conn *c, int rc, const char *what);

/* A statement ready for binding: the cached one, or, if that one is in use
 * further up the stack (a list callback calling list), a fresh one.
 * Give it back with kw_sq_stmt_put(). */
kw_rc kw_sq_stmt_get(kw_sq_conn *c, kw_sq_stmt id, sqlite3_stmt **out);
/* Resets (cached) or finalises (fresh) st; NULL is allowed. */
void kw_sq_stmt_put(kw_sq_conn *c, kw_sq_stmt id, sqlite3_stmt *st);
/* Steps a statement that returns no row (or whose row is not needed)
 * once and gives it back. */
kw_rc kw_sq_stmt_run(kw_sq_conn *c, kw_sq_stmt id, const char *what);

/* Opens a connection (pragmas set, no statement prepared yet).
 * KW_OK, KW_E_NOMEM, KW_E_STORAGE. */
kw_rc kw_sq_conn_open(kw_sq_be *be, kw_sq_conn **out);
void kw_sq_conn_close(kw_sq_conn *c);

/* Brings the schema of c's database up to date (schema.c). KW_OK or
 * KW_E_STORAGE (not a database, not ours, newer than this code). */
kw_rc kw_sq_schema_migrate(kw_sq_conn *c);

/* The record and audit operations of the ops table (records.c). */
kw_rc kw_sq_rec_get(void *txn, uint32_t type, const char *id,
		    kw_store_rec *out);
kw_rc kw_sq_rec_get_by_lookup(void *txn, uint32_t type,
			      const uint8_t lookup[KW_STORE_TAG_LEN],
			      kw_store_rec *out);
kw_rc kw_sq_rec_put(void *txn, const kw_store_rec *rec,
		    uint64_t expected_version);
kw_rc kw_sq_rec_delete(void *txn, uint32_t type, const char *id,
		       uint64_t expected_version);
kw_rc kw_sq_rec_list(void *txn, uint32_t type, const uint8_t *group,
		     const char *after_id, size_t limit, kw_store_list_cb cb,
		     void *arg);
kw_rc kw_sq_rec_count(void *txn, uint32_t type, const uint8_t *group,
		      uint64_t *out_count);
kw_rc kw_sq_audit_append(void *txn, uint64_t seq, const uint8_t *entry,
			 size_t len);
kw_rc kw_sq_audit_read(void *txn, uint64_t from_seq, size_t limit,
		       kw_store_audit_cb cb, void *arg);
kw_rc kw_sq_audit_last(void *txn, uint64_t *out_seq);

/* The SQL of each cached statement. */
extern const char *const kw_sq_sql[KW_SQ_STMT_COUNT_];

#endif
