/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "keywarden/log.h"
#include "store/sqlite/sqlite.h"

/*
 * What only the sqlite backend has: a file (durability, mode, damage), a
 * schema with migrations, query plans, a connection pool, other processes.
 */

static int64_t query(const char *path, const char *sql)
{
	int64_t v = -1;
	assert_int_equal(kw_sq_query_int(path, sql, &v), KW_OK);
	return v;
}

static void write_file(const char *path, const void *p, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Starts capturing the log into dir/log; log_end() returns its text. */
static void log_begin(fx *f)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/log", f->dir);
	assert_int_equal(kw_log_open(p), 0);
}

static char *log_end(fx *f)
{
	static char text[8192];
	char p[128];
	assert_int_equal(kw_log_open(NULL), 0);
	snprintf(p, sizeof(p), "%s/log", f->dir);
	FILE *fp = fopen(p, "r");
	assert_non_null(fp);
	size_t n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	unlink(p);
	return text;
}

static void test_durable_after_reopen(void **state)
{
	fx *f = *state;
	kw_store_txn *t;
	kw_store_rec r;
	assert_int_equal(put_one(f->s, KW_REC_KEY, "kept", 1, 1, 2, "K"),
			 KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	assert_int_equal(kw_store_audit_append(t, 1, (const uint8_t *)"a1", 2),
			 KW_OK);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, true, &t), KW_OK);
	rec_make(&r, KW_REC_KEY, "aborted", 1, 0, 0, "X");
	assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	kw_store_txn_abort(t);
	assert_int_equal(fx_reopen(f), KW_OK);
	assert_rec(f->s, KW_REC_KEY, "kept", 1, "K");
	assert_int_equal(get_one(f->s, KW_REC_KEY, "aborted", &r),
			 KW_E_NOT_FOUND);
	uint64_t last = 0;
	assert_int_equal(kw_store_txn_begin(f->s, false, &t), KW_OK);
	assert_int_equal(kw_store_audit_last(t, &last), KW_OK);
	assert_int_equal(last, 1);
	kw_store_txn_abort(t);
}

/* A committed transaction survives the death of its process (no close, no
 * checkpoint: the commit is only in the WAL). */
static void test_durable_after_crash(void **state)
{
	fx *f = *state;
	kw_store_close(f->s);
	f->s = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		kw_store *s;
		if (kw_store_open(&f->cfg, &s) != KW_OK ||
		    put_one(s, KW_REC_KEY, "crash", 1, 0, 0, "survived") !=
			    KW_OK)
			_exit(1);
		_exit(0); /* no kw_store_close */
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(kw_store_open(&f->cfg, &f->s), KW_OK);
	assert_rec(f->s, KW_REC_KEY, "crash", 1, "survived");
}

static void test_migration_fresh_and_idempotent(void **state)
{
	fx *f = *state;
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 1, 0, 0, "v"), KW_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(query(f->path, "SELECT count(*) FROM "
						"schema_version"),
				 KW_SQ_SCHEMA_VERSION);
		assert_int_equal(query(f->path, "SELECT max(version) FROM "
						"schema_version"),
				 KW_SQ_SCHEMA_VERSION);
		assert_int_equal(query(f->path, "SELECT count(*) FROM "
						"pragma_journal_mode"
						" WHERE journal_mode = 'wal'"),
				 1);
		assert_int_equal(query(f->path, "PRAGMA application_id"),
				 0x4b57444e);
		assert_int_equal(query(f->path, "SELECT count(*) FROM "
						"sqlite_schema WHERE name IN "
						"('records', 'audit', "
						"'records_lookup', "
						"'records_grp')"),
				 4);
		assert_int_equal(fx_reopen(f), KW_OK);
	}
	assert_rec(f->s, KW_REC_KEY, "k", 1, "v");
}

static void test_future_schema_refused(void **state)
{
	fx *f = *state;
	char sql[128];
	kw_store *s = (kw_store *)&s;
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 1, 0, 0, "v"), KW_OK);
	kw_store_close(f->s);
	f->s = NULL;
	snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d, 0)",
		 KW_SQ_SCHEMA_VERSION + 1);
	assert_int_equal(kw_sq_exec_file(f->path, sql), KW_OK);
	log_begin(f);
	assert_int_equal(kw_store_open(&f->cfg, &s), KW_E_STORAGE);
	assert_non_null(strstr(log_end(f), "newer than"));
	assert_ptr_equal(s, (kw_store *)&s);
	/* Refusing did not touch the data. */
	assert_int_equal(query(f->path, "SELECT count(*) FROM records"), 1);
}

static void test_not_a_database(void **state)
{
	fx *f = *state;
	char text[8192], back[8192];
	kw_store *s = (kw_store *)&s;
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	write_file(f->path, text, sizeof(text));
	assert_int_equal(kw_store_open(&f->cfg, &s), KW_E_STORAGE);
	assert_ptr_equal(s, (kw_store *)&s);
	FILE *fp = fopen(f->path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(back, 1, sizeof(back), fp), sizeof(back));
	assert_int_equal(fgetc(fp), EOF);
	fclose(fp);
	assert_memory_equal(text, back, sizeof(text));
}

static void test_other_applications_database(void **state)
{
	fx *f = *state;
	kw_store *s;
	write_file(f->path, "", 0);
	assert_int_equal(kw_sq_exec_file(f->path, "CREATE TABLE moz(url)"),
			 KW_OK);
	assert_int_equal(kw_store_open(&f->cfg, &s), KW_E_STORAGE);
	assert_int_equal(query(f->path, "SELECT count(*) FROM sqlite_schema"),
			 1);
	unlink(f->path);
	/* Ours in shape, but stamped by another application. */
	assert_int_equal(kw_store_open(&f->cfg, &s), KW_OK);
	kw_store_close(s);
	assert_int_equal(kw_sq_exec_file(f->path, "PRAGMA application_id = 7"),
			 KW_OK);
	assert_int_equal(kw_store_open(&f->cfg, &s), KW_E_STORAGE);
}

static void fill(kw_store *s, int n)
{
	kw_store_txn *t;
	kw_store_rec r;
	char id[16], data[2000];
	memset(data, 'd', sizeof(data) - 1);
	data[sizeof(data) - 1] = '\0';
	assert_int_equal(kw_store_txn_begin(s, true, &t), KW_OK);
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "rec%04d", i);
		rec_make(&r, KW_REC_KEY, id, 1, 1, 0, data);
		assert_int_equal(kw_store_rec_put(t, &r, 0), KW_OK);
	}
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
}

static void test_corrupt_header(void **state)
{
	fx *f = *state;
	kw_store *s;
	fill(f->s, 50);
	kw_store_close(f->s); /* checkpoints: everything is in the file */
	f->s = NULL;
	int fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	char junk[100];
	memset(junk, 0x5c, sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), sizeof(junk));
	close(fd);
	assert_int_equal(kw_store_open(&f->cfg, &s), KW_E_STORAGE);
}

static kw_rc count_rec(const kw_store_rec *rec, void *arg)
{
	(void)rec;
	(*(int *)arg)++;
	return KW_OK;
}

/*
 * Damage that leaves the header intact: the open may still work, but the
 * damaged b-tree reads as KW_E_STORAGE, never as a crash or as a short
 * listing that looks complete. (SQLite has no page checksums: bytes changed
 * inside a record's data are caught one layer up, by the barrier's AEAD.)
 */
static void check_damaged(fx *f, int records)
{
	kw_store *s;
	kw_store_txn *t;
	int seen = 0;
	kw_rc rc = kw_store_open(&f->cfg, &s);
	if (rc != KW_OK) {
		assert_int_equal(rc, KW_E_STORAGE);
		return;
	}
	rc = kw_store_txn_begin(s, false, &t);
	if (rc == KW_OK) {
		rc = kw_store_rec_list(t, KW_REC_KEY, NULL, NULL, 0, count_rec,
				       &seen);
		kw_store_txn_abort(t);
	}
	kw_store_close(s);
	assert_int_equal(rc, KW_E_STORAGE);
	assert_true(seen < records);
}

static void test_truncated_file(void **state)
{
	fx *f = *state;
	fill(f->s, 300);
	kw_store_close(f->s);
	f->s = NULL;
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(st.st_size > 300 * 2000);
	assert_int_equal(truncate(f->path, st.st_size / 2), 0);
	check_damaged(f, 300);
}

static void test_overwritten_pages(void **state)
{
	fx *f = *state;
	fill(f->s, 300);
	kw_store_close(f->s);
	f->s = NULL;
	int fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	static char junk[64 * 1024];
	memset(junk, 0xa7, sizeof(junk));
	/* Pages in the middle of the records' b-tree. */
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 200 * 1024),
			 sizeof(junk));
	close(fd);
	check_damaged(f, 300);
}

/* A real write failure (RLIMIT_FSIZE makes writes past 512 KiB fail, as a
 * full disk does): the write transaction fails with KW_E_STORAGE, nothing
 * of it is applied, and the store works again once there is room. */
static void test_disk_full(void **state)
{
	fx *f = *state;
	kw_store_txn *t;
	kw_store_rec r;
	struct rlimit old, small;
	assert_int_equal(put_one(f->s, KW_REC_KEY, "before", 1, 0, 0, "b"),
			 KW_OK);
	rec_make(&r, KW_REC_OBJECT, "big", 1, 0, 0, NULL);
	r.data_len = 2u * 1024u * 1024u;
	r.data = calloc(1, r.data_len);
	assert_non_null(r.data);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 512 * 1024;
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	kw_rc rc = kw_store_txn_begin(f->s, true, &t);
	if (rc == KW_OK)
		rc = kw_store_rec_put(t, &r, 0);
	if (rc == KW_OK)
		rc = kw_store_txn_commit(t);
	else
		kw_store_txn_abort(t);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	assert_int_equal(rc, KW_E_STORAGE);
	kw_store_rec back;
	assert_int_equal(get_one(f->s, KW_REC_OBJECT, "big", &back),
			 KW_E_NOT_FOUND);
	assert_rec(f->s, KW_REC_KEY, "before", 1, "b");
	assert_int_equal(put_one(f->s, KW_REC_KEY, "after", 1, 0, 0, "a"),
			 KW_OK);
	assert_int_equal(fx_reopen(f), KW_OK);
	assert_rec(f->s, KW_REC_KEY, "after", 1, "a");
	assert_int_equal(get_one(f->s, KW_REC_OBJECT, "big", &back),
			 KW_E_NOT_FOUND);
	free(r.data);
}

static void test_file_mode_0600(void **state)
{
	fx *f = *state;
	char p[160];
	struct stat st;
	kw_store_close(f->s);
	unlink(f->path);
	mode_t old = umask(0); /* the mode must not depend on the umask */
	assert_int_equal(kw_store_open(&f->cfg, &f->s), KW_OK);
	umask(old);
	assert_int_equal(put_one(f->s, KW_REC_KEY, "k", 1, 0, 0, "v"), KW_OK);
	const char *suffix[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
}

static kw_rc plan_cb(kw_sq_stmt id, const char *plan, void *arg)
{
	int *seen = arg;
	const char *name = kw_sq_stmt_name(id);
	assert_non_null(name);
	print_message("  %-12s %s\n", name, plan);
	assert_null(strstr(plan, "SCAN"));
	assert_null(strstr(plan, "TEMP B-TREE")); /* no sort step */
	switch (id) {
	case KW_SQ_GET:
	case KW_SQ_VERSION:
	case KW_SQ_UPDATE:
	case KW_SQ_DELETE:
		assert_non_null(strstr(plan, "USING PRIMARY KEY (type=? AND "
					     "id=?)"));
		break;
	case KW_SQ_LIST:
		assert_non_null(strstr(plan, "USING PRIMARY KEY (type=? AND "
					     "id>?)"));
		break;
	case KW_SQ_GET_LOOKUP:
		assert_non_null(strstr(plan, "records_lookup (type=? AND "
					     "lookup=?)"));
		break;
	case KW_SQ_LIST_GROUP:
		assert_non_null(strstr(plan, "records_grp (type=? AND grp=? "
					     "AND id>?)"));
		break;
	case KW_SQ_COUNT_GROUP:
		assert_non_null(strstr(plan, "records_grp (type=? AND "
					     "grp=?)"));
		break;
	case KW_SQ_AUDIT_READ:
		assert_non_null(strstr(plan, "INTEGER PRIMARY KEY (rowid>?)"));
		break;
	case KW_SQ_AUDIT_LAST:
		assert_string_equal(plan, "SEARCH audit");
		break;
	default:
		break;
	}
	(*seen)++;
	return KW_OK;
}

static void test_query_plans_indexed(void **state)
{
	fx *f = *state;
	int seen = 0;
	fill(f->s, 20);
	assert_int_equal(kw_sq_query_plans(f->path, plan_cb, &seen), KW_OK);
	assert_int_equal(seen, KW_SQ_STMT_COUNT_);
	assert_null(kw_sq_stmt_name(KW_SQ_STMT_COUNT_));
	assert_int_equal(kw_sq_query_plans(NULL, plan_cb, &seen), KW_E_INVALID);
}

static void test_pool_exhaustion(void **state)
{
	fx *f = *state;
	kw_store_txn *a, *b, *c;
	f->cfg.pool_size = 2;
	f->cfg.busy_timeout_ms = 100;
	assert_int_equal(fx_reopen(f), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, false, &a), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, false, &b), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, false, &c), KW_E_STORAGE);
	assert_int_equal(kw_store_txn_commit(a), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, true, &c), KW_OK);
	assert_int_equal(kw_store_txn_commit(c), KW_OK);
	kw_store_txn_abort(b);
}

/* A second store on the same file stands for another process: it only has
 * SQLite's locks and busy timeout to wait on. */
static void test_other_process_writer(void **state)
{
	fx *f = *state;
	kw_store *other;
	kw_store_txn *w, *w2;
	kw_store_config cfg = f->cfg;
	cfg.busy_timeout_ms = 100;
	assert_int_equal(kw_store_open(&cfg, &other), KW_OK);
	assert_int_equal(kw_store_txn_begin(f->s, true, &w), KW_OK);
	log_begin(f);
	assert_int_equal(kw_store_txn_begin(other, true, &w2), KW_E_STORAGE);
	assert_non_null(strstr(log_end(f), "locked"));
	kw_store_rec r;
	rec_make(&r, KW_REC_KEY, "k", 1, 0, 0, "from s");
	assert_int_equal(kw_store_rec_put(w, &r, 0), KW_OK);
	assert_int_equal(kw_store_txn_commit(w), KW_OK);
	assert_rec(other, KW_REC_KEY, "k", 1, "from s");
	assert_int_equal(put_one(other, KW_REC_KEY, "k", 2, 0, 0, "other"),
			 KW_OK);
	assert_rec(f->s, KW_REC_KEY, "k", 2, "other");
	kw_store_close(other);
}

static void test_bad_paths(void **state)
{
	fx *f = *state;
	kw_store *s = (kw_store *)&s;
	kw_store_config cfg = f->cfg;
	cfg.path = NULL;
	assert_int_equal(kw_store_open(&cfg, &s), KW_E_INVALID);
	cfg.path = "";
	assert_int_equal(kw_store_open(&cfg, &s), KW_E_INVALID);
	cfg.path = f->dir; /* a directory */
	assert_int_equal(kw_store_open(&cfg, &s), KW_E_STORAGE);
	cfg.path = "/nonexistent-kw-dir/store.db";
	assert_int_equal(kw_store_open(&cfg, &s), KW_E_STORAGE);
	cfg = f->cfg;
	cfg.pool_size = 100000;
	assert_int_equal(kw_store_open(&cfg, &s), KW_E_INVALID);
	assert_ptr_equal(s, (kw_store *)&s);
	assert_int_equal(kw_sq_exec_file(NULL, "SELECT 1"), KW_E_INVALID);
	assert_int_equal(kw_sq_exec_file(f->path, "NOT SQL"), KW_E_STORAGE);
	int64_t v = 0;
	assert_int_equal(kw_sq_query_int(f->path, "SELECT 1 WHERE 0", &v),
			 KW_E_NOT_FOUND);
}

int main(void)
{
	fx_backend = "sqlite";
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_durable_after_reopen),
		T(test_durable_after_crash),
		T(test_migration_fresh_and_idempotent),
		T(test_future_schema_refused),
		cmocka_unit_test_setup_teardown(test_not_a_database,
						fx_setup_closed, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_other_applications_database, fx_setup_closed,
			fx_teardown),
		T(test_corrupt_header),
		T(test_truncated_file),
		T(test_overwritten_pages),
		T(test_disk_full),
		T(test_file_mode_0600),
		T(test_query_plans_indexed),
		T(test_pool_exhaustion),
		T(test_other_process_writer),
		T(test_bad_paths),
	};
#undef T
	return cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
}
