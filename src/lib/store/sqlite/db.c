/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "store.sqlite"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keywarden/log.h"
#include "store/sqlite/internal.h"

/*
 * Connections, the pool, statements, errors and transactions of the
 * sqlite backend. The record operations are in records.c, the schema in
 * schema.c.
 *
 * Concurrency: connections are opened with SQLITE_OPEN_NOMUTEX, so one
 * connection is never used by two threads at once: the pool hands each
 * transaction its own connection (under pool_mu). Write transactions pass
 * the writer gate first, then BEGIN IMMEDIATE; SQLite's busy timeout is
 * then only ever waited on for writers in other processes. WAL lets read
 * transactions run while a write transaction is open.
 */

const char *const kw_sq_sql[KW_SQ_STMT_COUNT_] = {
	[KW_SQ_BEGIN_READ] = "BEGIN DEFERRED",
	[KW_SQ_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[KW_SQ_COMMIT] = "COMMIT",
	[KW_SQ_ROLLBACK] = "ROLLBACK",
	[KW_SQ_GET] = "SELECT id, version, grp, lookup, data FROM records"
		      " WHERE type = ?1 AND id = ?2",
	[KW_SQ_GET_LOOKUP] =
		"SELECT id, version, grp, lookup, data FROM records"
		" WHERE type = ?1 AND lookup = ?2",
	[KW_SQ_VERSION] = "SELECT version FROM records"
			  " WHERE type = ?1 AND id = ?2",
	[KW_SQ_INSERT] = "INSERT INTO records"
			 " (type, id, version, grp, lookup, data)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[KW_SQ_UPDATE] = "UPDATE records"
			 " SET version = ?3, grp = ?4, lookup = ?5, data = ?6"
			 " WHERE type = ?1 AND id = ?2 AND version = ?7",
	[KW_SQ_DELETE] = "DELETE FROM records"
			 " WHERE type = ?1 AND id = ?2 AND version = ?3",
	[KW_SQ_LIST] = "SELECT id, version, grp, lookup, data FROM records"
		       " WHERE type = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
	[KW_SQ_LIST_GROUP] =
		"SELECT id, version, grp, lookup, data FROM records"
		" WHERE type = ?1 AND grp = ?2 AND id > ?3"
		" ORDER BY id LIMIT ?4",
	[KW_SQ_COUNT] = "SELECT count(*) FROM records WHERE type = ?1",
	[KW_SQ_COUNT_GROUP] = "SELECT count(*) FROM records"
			      " WHERE type = ?1 AND grp = ?2",
	[KW_SQ_AUDIT_APPEND] = "INSERT INTO audit (seq, entry) VALUES (?1, ?2)",
	[KW_SQ_AUDIT_READ] = "SELECT seq, entry FROM audit WHERE seq >= ?1"
			     " ORDER BY seq LIMIT ?2",
	/* max() of the rowid is one b-tree descent, not a scan. */
	[KW_SQ_AUDIT_LAST] = "SELECT max(seq) FROM audit",
};

kw_rc kw_sq_rc(const kw_sq_conn *c, int src, const char *what)
{
	sqlite3 *db = c != NULL ? c->db : NULL;
	kw_rc rc = KW_E_STORAGE;
	switch (src & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		rc = KW_OK;
		break;
	case SQLITE_CONSTRAINT:
		/* Unique violations are answers (KW_E_EXISTS), not failures:
		 * not logged. Any other constraint is a bug. */
		if (src == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    src == SQLITE_CONSTRAINT_UNIQUE) {
			rc = KW_E_EXISTS;
			break;
		}
		KW_LOG_ERROR("%s: %s", what, sqlite3_errmsg(db));
		rc = KW_E_INTERNAL;
		break;
	case SQLITE_NOMEM:
		KW_LOG_ERROR("%s: out of memory", what);
		rc = KW_E_NOMEM;
		break;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
		KW_LOG_ERROR("%s: %s (a bug)", what, sqlite3_errstr(src));
		rc = KW_E_INTERNAL;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		KW_LOG_ERROR("%s: database still locked by another process "
			     "after %u ms",
			     what, c != NULL ? c->be->busy_ms : 0u);
		break;
	default: /* FULL, IOERR, CORRUPT, NOTADB, CANTOPEN, READONLY, ... */
		KW_LOG_ERROR("%s: %s (%s)", what,
			     db != NULL ? sqlite3_errmsg(db) : "",
			     sqlite3_errstr(src));
		break;
	}
	return rc;
}

kw_rc kw_sq_stmt_get(kw_sq_conn *c, kw_sq_stmt id, sqlite3_stmt **out)
{
	kw_rc rc = KW_OK;
	sqlite3_stmt *st = c->stmts[id];
	if (st != NULL && !sqlite3_stmt_busy(st))
		goto out;
	/* Not prepared yet: prepare and keep it. In use further up the
	 * stack (re-entered from a list callback): a fresh one, freed by
	 * kw_sq_stmt_put(). */
	unsigned flags = st == NULL ? SQLITE_PREPARE_PERSISTENT : 0;
	bool keep = st == NULL;
	int src =
		sqlite3_prepare_v3(c->db, kw_sq_sql[id], -1, flags, &st, NULL);
	if (src != SQLITE_OK) {
		rc = kw_sq_rc(c, src, kw_sq_stmt_name(id));
		goto out;
	}
	if (keep)
		c->stmts[id] = st;
out:
	if (rc == KW_OK)
		*out = st;
	return rc;
}

void kw_sq_stmt_put(kw_sq_conn *c, kw_sq_stmt id, sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	if (st != c->stmts[id]) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st); /* no pointer to caller memory stays */
}

kw_rc kw_sq_stmt_run(kw_sq_conn *c, kw_sq_stmt id, const char *what)
{
	sqlite3_stmt *st = NULL;
	kw_rc rc = kw_sq_stmt_get(c, id, &st);
	if (rc != KW_OK)
		goto out;
	int src = sqlite3_step(st);
	rc = src == SQLITE_DONE || src == SQLITE_ROW ? KW_OK
						     : kw_sq_rc(c, src, what);
out:
	kw_sq_stmt_put(c, id, st);
	return rc;
}

kw_rc kw_sq_conn_open(kw_sq_be *be, kw_sq_conn **out)
{
	kw_rc rc = KW_E_NOMEM;
	kw_sq_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out;
	c->be = be;
	/* A plain file name (no SQLITE_OPEN_URI); the file exists already
	 * with mode 0600, so no SQLITE_OPEN_CREATE either. */
	int src = sqlite3_open_v2(be->path, &c->db,
				  SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
					  SQLITE_OPEN_PRIVATECACHE |
					  SQLITE_OPEN_EXRESCODE,
				  NULL);
	if (src == SQLITE_OK)
		src = sqlite3_busy_timeout(c->db, be->busy_ms > INT_MAX
							  ? INT_MAX
							  : (int)be->busy_ms);
	if (src == SQLITE_OK)
		src = sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1,
					NULL);
	if (src == SQLITE_OK)
		src = sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA,
					0, NULL);
	/* FULL: every commit syncs the WAL. secure_delete: a destroyed
	 * key's sealed bytes do not linger in free pages. mmap: reads copy
	 * from the OS page cache without a syscall per page (4x faster point
	 * gets on 100k records); the price is SIGBUS if another process
	 * truncates the file under a running daemon. Each connection maps
	 * the file on its own and the process's RSS counts every mapping,
	 * so the pool shares one budget (KW_SQ_MMAP_TOTAL): the daemon's
	 * memory stays bounded whatever the size of the database. */
	if (src == SQLITE_OK) {
		char sql[160];
		snprintf(sql, sizeof(sql),
			 "PRAGMA synchronous = FULL;"
			 "PRAGMA secure_delete = ON;"
			 "PRAGMA mmap_size = %llu;",
			 (unsigned long long)(KW_SQ_MMAP_TOTAL / be->pool_max));
		src = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	}
	if (src != SQLITE_OK) {
		rc = kw_sq_rc(c, src, "open database");
		goto out;
	}
	*out = c;
	c = NULL;
	rc = KW_OK;
out:
	kw_sq_conn_close(c);
	return rc;
}

void kw_sq_conn_close(kw_sq_conn *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < KW_SQ_STMT_COUNT_; i++)
		sqlite3_finalize(c->stmts[i]);
	/* The last connection to close checkpoints and removes the WAL. */
	if (sqlite3_close(c->db) != SQLITE_OK)
		KW_LOG_ERROR("close: %s", sqlite3_errmsg(c->db));
	free(c);
}

static kw_rc pool_acquire(kw_sq_be *be, kw_sq_conn **out)
{
	kw_rc rc = KW_OK;
	kw_sq_conn *c = NULL;
	bool open_new = false;
	struct timespec deadline;
	kw_store_deadline(be->busy_ms, &deadline);
	pthread_mutex_lock(&be->pool_mu);
	while (be->free_list == NULL && be->conns >= be->pool_max) {
		if (pthread_cond_timedwait(&be->pool_cv, &be->pool_mu,
					   &deadline) == ETIMEDOUT &&
		    be->free_list == NULL && be->conns >= be->pool_max) {
			rc = KW_E_STORAGE;
			break;
		}
	}
	if (rc == KW_OK && be->free_list != NULL) {
		c = be->free_list;
		be->free_list = c->next_free;
		c->next_free = NULL;
	} else if (rc == KW_OK) {
		be->conns++; /* reserved; opened outside the lock */
		open_new = true;
	}
	pthread_mutex_unlock(&be->pool_mu);
	if (rc != KW_OK) {
		KW_LOG_ERROR("all %u connections stayed in use for %u ms",
			     be->pool_max, be->busy_ms);
		goto out;
	}
	if (open_new) {
		rc = kw_sq_conn_open(be, &c);
		if (rc != KW_OK) {
			pthread_mutex_lock(&be->pool_mu);
			be->conns--;
			pthread_cond_signal(&be->pool_cv);
			pthread_mutex_unlock(&be->pool_mu);
			goto out;
		}
	}
	*out = c;
out:
	return rc;
}

/* Returns c to the pool, or closes it if it is still inside a transaction
 * (a failed ROLLBACK): the next user must get a clean connection. */
static void pool_release(kw_sq_be *be, kw_sq_conn *c)
{
	bool discard = !sqlite3_get_autocommit(c->db);
	if (discard) {
		KW_LOG_WARN("dropping a connection left inside a transaction");
		kw_sq_conn_close(c);
	}
	pthread_mutex_lock(&be->pool_mu);
	if (discard) {
		be->conns--;
	} else {
		c->next_free = be->free_list;
		be->free_list = c;
	}
	pthread_cond_signal(&be->pool_cv);
	pthread_mutex_unlock(&be->pool_mu);
}

/* Creates the file with mode 0600 before SQLite sees it: SQLite would
 * create it 0644, and it gives the -wal and -shm files the mode of the
 * database file. */
static kw_rc file_prepare(const char *path)
{
	kw_rc rc = KW_E_STORAGE;
	char err[128];
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		KW_LOG_ERROR("cannot open %s: %s", path,
			     strerror_r(errno, err, sizeof(err)));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		KW_LOG_ERROR("%s is not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0)
		KW_LOG_WARN("%s can be read by group or others (mode %03o)",
			    path, (unsigned)(st.st_mode & 0777));
	rc = KW_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static void be_free(kw_sq_be *be)
{
	while (be->free_list != NULL) {
		kw_sq_conn *c = be->free_list;
		be->free_list = c->next_free;
		be->conns--;
		kw_sq_conn_close(c);
	}
	assert(be->conns == 0);
	kw_store_gate_destroy(&be->gate);
	pthread_cond_destroy(&be->pool_cv);
	pthread_mutex_destroy(&be->pool_mu);
	free(be->path);
	free(be);
}

static kw_rc be_new(const kw_store_config *cfg, kw_sq_be **out)
{
	kw_rc rc = KW_E_NOMEM;
	kw_sq_be *be = calloc(1, sizeof(*be));
	if (be == NULL)
		goto out;
	be->path = strdup(cfg->path);
	if (be->path == NULL)
		goto out;
	be->busy_ms = kw_store_busy_timeout(cfg);
	be->pool_max =
		cfg->pool_size != 0 ? cfg->pool_size : KW_STORE_POOL_DEFAULT;
	rc = KW_E_STORAGE;
	if (pthread_mutex_init(&be->pool_mu, NULL) != 0)
		goto out;
	if (kw_store_cond_init(&be->pool_cv) != 0) {
		pthread_mutex_destroy(&be->pool_mu);
		goto out;
	}
	if (kw_store_gate_init(&be->gate) != KW_OK) {
		pthread_cond_destroy(&be->pool_cv);
		pthread_mutex_destroy(&be->pool_mu);
		goto out;
	}
	*out = be;
	be = NULL;
	rc = KW_OK;
out:
	if (be != NULL)
		free(be->path);
	free(be);
	return rc;
}

#define POOL_MAX 256

static kw_rc sq_open(const kw_store_config *cfg, void **out_be)
{
	kw_rc rc = KW_E_INVALID;
	kw_sq_be *be = NULL;
	kw_sq_conn *c = NULL;
	if (cfg->path == NULL || cfg->path[0] == '\0' ||
	    cfg->pool_size > POOL_MAX) {
		KW_LOG_ERROR("sqlite store needs a path and at most %u "
			     "connections",
			     POOL_MAX);
		goto out;
	}
	rc = KW_E_STORAGE;
	if (sqlite3_threadsafe() == 0) {
		KW_LOG_ERROR("libsqlite3 was built without thread support");
		goto out;
	}
	rc = file_prepare(cfg->path);
	if (rc == KW_OK)
		rc = be_new(cfg, &be);
	if (rc == KW_OK)
		rc = kw_sq_conn_open(be, &c);
	if (rc == KW_OK)
		rc = kw_sq_schema_migrate(c);
	if (rc != KW_OK)
		goto out;
	c->next_free = NULL;
	be->free_list = c;
	be->conns = 1;
	c = NULL;
	*out_be = be;
	be = NULL;
out:
	kw_sq_conn_close(c);
	if (be != NULL)
		be_free(be);
	return rc;
}

static void sq_close(void *p)
{
	be_free(p);
}

/* Ends t: rolls back what is still open, gives the connection back, leaves
 * the writer gate, frees t. */
static void txn_end(kw_sq_txn *t)
{
	if (t->c != NULL) {
		if (!sqlite3_get_autocommit(t->c->db))
			(void)kw_sq_stmt_run(t->c, KW_SQ_ROLLBACK, "rollback");
		pool_release(t->be, t->c);
	}
	if (t->write)
		kw_store_gate_leave(&t->be->gate);
	free(t);
}

static kw_rc sq_txn_begin(void *p, bool write, void **out_txn)
{
	kw_sq_be *be = p;
	kw_rc rc = KW_E_NOMEM;
	kw_sq_txn *t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto out;
	t->be = be;
	if (write) {
		rc = kw_store_gate_enter(&be->gate, be->busy_ms,
					 "sqlite write transaction");
		if (rc != KW_OK)
			goto out;
		t->write = true;
	}
	rc = pool_acquire(be, &t->c);
	if (rc != KW_OK)
		goto out;
	rc = kw_sq_stmt_run(t->c, write ? KW_SQ_BEGIN_WRITE : KW_SQ_BEGIN_READ,
			    "begin");
	/* A deferred transaction takes its snapshot at its first read; read
	 * now, so the snapshot is the one current at begin (as in mem). */
	if (rc == KW_OK && !write)
		rc = kw_sq_stmt_run(t->c, KW_SQ_AUDIT_LAST, "begin");
	if (rc != KW_OK)
		goto out;
	*out_txn = t;
	t = NULL;
out:
	if (t != NULL)
		txn_end(t);
	return rc;
}

static kw_rc sq_txn_commit(void *p)
{
	kw_sq_txn *t = p;
	kw_rc rc = kw_sq_stmt_run(t->c, KW_SQ_COMMIT, "commit");
	txn_end(t); /* rolls back if COMMIT failed */
	return rc;
}

static void sq_txn_abort(void *p)
{
	txn_end(p);
}

const kw_store_ops kw_store_sqlite_ops = {
	.version = KW_STORE_OPS_VERSION,
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.txn_begin = sq_txn_begin,
	.txn_commit = sq_txn_commit,
	.txn_abort = sq_txn_abort,
	.rec_get = kw_sq_rec_get,
	.rec_get_by_lookup = kw_sq_rec_get_by_lookup,
	.rec_put = kw_sq_rec_put,
	.rec_delete = kw_sq_rec_delete,
	.rec_list = kw_sq_rec_list,
	.rec_count = kw_sq_rec_count,
	.audit_append = kw_sq_audit_append,
	.audit_read = kw_sq_audit_read,
	.audit_last = kw_sq_audit_last,
};
