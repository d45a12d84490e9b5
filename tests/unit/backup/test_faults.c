/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

/*
 * Disk-full and I/O errors while making a backup, while restoring and
 * while writing scheduled backups: a clear error, nothing half-written,
 * and the same operation succeeds once the fault is gone. Also the
 * database swap.
 */

typedef struct ffx {
	bfx *src;
	bfx_buf buf;
	kw_backup_key *k;
} ffx;

static int setup(void **state)
{
	ffx *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->src = bfx_new("mem", true);
	kw_key_info_free(bfx_key(x->src, "a", KW_KEY_ED25519, 0, false));
	kw_key_info_free(bfx_key(x->src, "b", KW_KEY_AES_128, 0, false));
	bfx_audit(x->src, 150);
	x->k = bfx_master_backup(x->src, KW_BACKUP_CHUNK_MIN, &x->buf);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	ffx *x = *state;
	kw_backup_key_free(x->k);
	free(x->buf.p);
	bfx_free(x->src);
	free(x);
	return 0;
}

/* A restore into a target whose store fails as armed by arm(): the
 * error is a storage error, the target stays empty, and once the fault
 * is cleared the restore succeeds. */
static void restore_with_fault(ffx *x, kw_fault_op op, uint64_t nth,
			       bool disk_full)
{
	bfx *t = bfx_new_empty("mem", true);
	kw_secret *master = NULL;
	char why[KW_BACKUP_WHY_MAX] = "";

	if (disk_full)
		kw_store_fault_disk_full(t->fault, true);
	else
		kw_store_fault_fail(t->fault, op, nth, 1, KW_E_STORAGE);
	assert_int_equal(kw_backup_restore(x->buf.p, x->buf.len, x->k, t->store,
					   NULL, NULL, &master, why,
					   sizeof(why)),
			 KW_E_STORAGE);
	assert_non_null(strstr(why, "cannot "));
	assert_null(master);
	kw_store_fault_clear(t->fault);
	assert_int_equal(bfx_records(t), 0);
	assert_int_equal(bfx_audit_last(t), 0);

	assert_int_equal(kw_backup_restore(x->buf.p, x->buf.len, x->k, t->store,
					   NULL, NULL, &master, why,
					   sizeof(why)),
			 KW_OK);
	assert_int_equal(bfx_records(t), bfx_records(x->src));
	assert_int_equal(bfx_audit_last(t), 150);
	bfx_open_with_master(t, master);
	assert_int_equal(kw_barrier_verify(t->b), KW_OK);
	kw_secret_free(master);
	bfx_free(t);
}

static void test_restore_disk_full(void **state)
{
	restore_with_fault(*state, KW_FAULT_OPEN, 0, true);
}

static void test_restore_put_fails(void **state)
{
	restore_with_fault(*state, KW_FAULT_REC_PUT, 5, false);
}

static void test_restore_audit_fails(void **state)
{
	restore_with_fault(*state, KW_FAULT_AUDIT_APPEND, 117, false);
}

static void test_restore_commit_fails(void **state)
{
	restore_with_fault(*state, KW_FAULT_TXN_COMMIT, 1, false);
}

/* The sink fails (disk full under the file being written). */
static void test_create_sink_full(void **state)
{
	ffx *x = *state;
	kw_backup_params p = {.keying = KW_BACKUP_KEYING_MASTER,
			      .chunk_size = KW_BACKUP_CHUNK_MIN};
	bfx_buf b = {.fail_after = 3 * KW_BACKUP_CHUNK_MIN};
	kw_backup_info info;
	memset(&info, 0x5a, sizeof(info));
	assert_int_equal(kw_backup_create(x->src->store, x->src->b, &p,
					  bfx_buf_write, &b, &info, NULL),
			 KW_E_STORAGE);
	/* Outputs only on success. */
	assert_int_equal(info.format, 0x5a5a5a5a);
	free(b.p);
	bfx_buf ok = {0};
	assert_int_equal(kw_backup_create(x->src->store, x->src->b, &p,
					  bfx_buf_write, &ok, NULL, NULL),
			 KW_OK);
	free(ok.p);
}

/* Reading the source fails mid-snapshot. */
static void test_create_read_fails(void **state)
{
	ffx *x = *state;
	kw_backup_params p = {.keying = KW_BACKUP_KEYING_CUSTODIANS,
			      .shares = 3,
			      .threshold = 2};
	kw_secret **shares = NULL;
	bfx_buf b = {0};
	kw_fault_op ops[] = {KW_FAULT_REC_LIST, KW_FAULT_AUDIT_READ,
			     KW_FAULT_REC_COUNT, KW_FAULT_TXN_BEGIN};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		kw_store_fault_fail(x->src->fault, ops[i], 1, 1, KW_E_STORAGE);
		assert_int_equal(kw_backup_create(x->src->store, x->src->b, &p,
						  bfx_buf_write, &b, NULL,
						  &shares),
				 KW_E_STORAGE);
		assert_null(shares);
		kw_store_fault_clear(x->src->fault);
		b.len = 0;
	}
	free(b.p);
}

static void test_create_refusals(void **state)
{
	ffx *x = *state;
	kw_backup_params p = {.keying = KW_BACKUP_KEYING_MASTER};
	bfx_buf b = {0};
	kw_secret **shares = NULL;

	p.chunk_size = 100;
	assert_int_equal(kw_backup_create(x->src->store, x->src->b, &p,
					  bfx_buf_write, &b, NULL, NULL),
			 KW_E_INVALID);
	p.chunk_size = 0;
	p.keying = KW_BACKUP_KEYING_CUSTODIANS;
	p.shares = 2;
	p.threshold = 3;
	assert_int_equal(kw_backup_create(x->src->store, x->src->b, &p,
					  bfx_buf_write, &b, NULL, &shares),
			 KW_E_INVALID);
	p.keying = KW_BACKUP_KEYING_MASTER;
	assert_int_equal(kw_barrier_seal(x->src->b), KW_OK);
	assert_int_equal(kw_backup_create(x->src->store, x->src->b, &p,
					  bfx_buf_write, &b, NULL, NULL),
			 KW_E_SEALED);
	for (int i = 0; i < 2; i++)
		assert_int_equal(
			kw_barrier_unseal(x->src->b,
					  (const char *)x->src->shares[i]->data,
					  x->src->shares[i]->len, NULL),
			KW_OK);
	bfx *empty = bfx_new_empty("mem", false);
	assert_int_equal(kw_barrier_open(empty->store, &empty->b), KW_OK);
	assert_int_equal(kw_backup_create(empty->store, empty->b, &p,
					  bfx_buf_write, &b, NULL, NULL),
			 KW_E_NOT_INITIALIZED);
	assert_int_equal(b.len, 0);
	bfx_free(empty);
	free(b.p);
}

static size_t count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > strlen(suffix) &&
		    strcmp(e->d_name + l - strlen(suffix), suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Scheduled backups: written, verified, pruned; a full file system (a
 * file size limit) fails cleanly and the next run works. */
static void test_scheduled(void **state)
{
	ffx *x = *state;
	char dir[] = "/tmp/kwbackup-sched-XXXXXX";
	char path[4096], why[KW_BACKUP_WHY_MAX] = "";
	kw_backup_info info;
	int64_t t0 = 1767225600; /* 2026-01-01T00:00:00Z */

	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(kw_backup_file_scheduled(
					 x->src->store, x->src->b, dir, 2,
					 t0 + i, path, &info, why, sizeof(why)),
				 KW_OK);
		assert_true(info.authenticated);
	}
	assert_non_null(strstr(path, "20260101T000002Z.kwb"));
	assert_int_equal(count_files(dir, ".kwb"), 2);
	uint8_t *file = NULL;
	size_t len = 0;
	assert_int_equal(kw_backup_file_read(path, &file, &len), KW_OK);
	assert_int_equal(kw_backup_inspect(file, len, NULL, why, sizeof(why)),
			 KW_OK);
	free(file);

	/* Disk full: writes past 1 KiB fail (EFBIG, SIGXFSZ ignored). */
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1024;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	kw_rc rc =
		kw_backup_file_scheduled(x->src->store, x->src->b, dir, 2,
					 t0 + 10, path, NULL, why, sizeof(why));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(rc, KW_E_STORAGE);
	assert_non_null(strstr(why, "writing the backup"));
	assert_int_equal(count_files(dir, ".kwb"), 2);
	assert_int_equal(count_files(dir, ".tmp"), 0);
	assert_int_equal(kw_backup_file_scheduled(x->src->store, x->src->b, dir,
						  2, t0 + 11, path, NULL, why,
						  sizeof(why)),
			 KW_OK);
	assert_int_equal(count_files(dir, ".kwb"), 2);

	/* A directory that is not there. */
	assert_int_equal(kw_backup_file_scheduled(x->src->store, x->src->b,
						  "/nonexistent/kw", 2, t0,
						  path, NULL, why, sizeof(why)),
			 KW_E_STORAGE);
	assert_non_null(strstr(why, "cannot create a file in"));

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A restored SQLite database put in place of another in one rename. */
static void test_db_swap(void **state)
{
	ffx *x = *state;
	kw_secret *master = NULL;
	char why[KW_BACKUP_WHY_MAX] = "", pre[200], wal[200];
	kw_barrier_status st, want;

	bfx *fresh = bfx_new_empty("sqlite", false);
	bfx *live = bfx_new("sqlite", false);
	assert_int_equal(kw_backup_restore(x->buf.p, x->buf.len, x->k,
					   fresh->store, NULL, NULL, &master,
					   why, sizeof(why)),
			 KW_OK);
	kw_store_close(fresh->store);
	fresh->store = NULL;
	kw_keys_free(live->ks);
	kw_barrier_free(live->b);
	kw_store_close(live->store);
	live->ks = NULL;
	live->b = NULL;
	live->store = NULL;

	/* A journal left behind: refused, nothing moved. */
	snprintf(wal, sizeof(wal), "%s-wal", live->path);
	FILE *w = fopen(wal, "w");
	assert_non_null(w);
	fputs("journal", w);
	fclose(w);
	assert_int_equal(
		kw_backup_db_swap(fresh->path, live->path, why, sizeof(why)),
		KW_E_STATE);
	unlink(wal);

	assert_int_equal(
		kw_backup_db_swap(fresh->path, live->path, why, sizeof(why)),
		KW_OK);
	snprintf(pre, sizeof(pre), "%s.pre-restore", live->path);
	struct stat sb;
	assert_int_equal(stat(pre, &sb), 0);
	assert_int_not_equal(access(fresh->path, F_OK), 0);
	kw_store_config cfg = {.backend = "sqlite", .path = live->path};
	assert_int_equal(kw_store_open(&cfg, &live->store), KW_OK);
	bfx_open_with_master(live, master);
	assert_int_equal(kw_barrier_status_get(live->b, &st), KW_OK);
	assert_int_equal(kw_barrier_status_get(x->src->b, &want), KW_OK);
	assert_string_equal(st.instance_id, want.instance_id);
	assert_int_equal(bfx_audit_last(live), 150);
	unlink(pre);
	kw_secret_free(master);
	bfx_free(fresh);
	bfx_free(live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_disk_full),
		cmocka_unit_test(test_restore_put_fails),
		cmocka_unit_test(test_restore_audit_fails),
		cmocka_unit_test(test_restore_commit_fails),
		cmocka_unit_test(test_create_sink_full),
		cmocka_unit_test(test_create_read_fails),
		cmocka_unit_test(test_create_refusals),
		cmocka_unit_test(test_scheduled),
		cmocka_unit_test(test_db_swap),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
