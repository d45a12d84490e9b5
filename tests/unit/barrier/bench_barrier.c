/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keywarden/barrier.h"

/*
 * A measurement, not a test (never run by meson test): fills a sqlite store
 * with N sealed records, then times a restart (open + unseal, which checks
 * every manifest bucket against the root) and lookups by id and by name.
 *
 *     bench_barrier N [DIR]      (default DIR: a fresh /tmp directory)
 */

#define BATCH 2000
#define READS 20000

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this process (user + system): steadier than wall time on a
 * busy machine, and the file is in the page cache, so reads are CPU. */
static double cpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

typedef struct lap {
	double wall, cpu;
} lap;

static lap lap_start(void)
{
	return (lap){now(), cpu()};
}

static void lap_print(const char *what, lap l, unsigned ops)
{
	printf("%-24s %7.1f us/op wall, %7.1f us/op cpu\n", what,
	       (now() - l.wall) / ops * 1e6, (cpu() - l.cpu) / ops * 1e6);
}

static void check(kw_rc rc, const char *what)
{
	if (rc != KW_OK) {
		fprintf(stderr, "%s: %s\n", what, kw_rc_str(rc));
		exit(1);
	}
}

static void open_all(const char *path, kw_store **s, kw_barrier **b)
{
	kw_store_config cfg = {.backend = "sqlite", .path = path};
	check(kw_store_open(&cfg, s), "store open");
	check(kw_barrier_open(*s, b), "barrier open");
}

static void fill(kw_store *s, kw_barrier *b, unsigned n)
{
	uint8_t data[256];
	memset(data, 0x5a, sizeof(data));
	for (unsigned i = 0; i < n; i += BATCH) {
		kw_store_txn *t = NULL;
		check(kw_store_txn_begin(s, true, &t), "begin");
		for (unsigned j = i; j < i + BATCH && j < n; j++) {
			char id[32], lookup[64];
			snprintf(id, sizeof(id), "key-%08u", j);
			snprintf(lookup, sizeof(lookup), "partition-%u/name-%u",
				 j % 16, j);
			char group[32];
			snprintf(group, sizeof(group), "partition-%u", j % 16);
			check(kw_barrier_rec_put(b, t, 4, id, group, lookup,
						 data, sizeof(data), 0, NULL),
			      "put");
		}
		check(kw_store_txn_commit(t), "commit");
	}
}

static void reads(kw_store *s, kw_barrier *b, unsigned n)
{
	char id[KW_STORE_ID_MAX + 1];
	lap l = lap_start();
	unsigned seed = 1;
	for (unsigned i = 0; i < READS; i++) {
		kw_store_txn *t = NULL;
		kw_secret *d = NULL;
		snprintf(id, sizeof(id), "key-%08u", rand_r(&seed) % n);
		check(kw_store_txn_begin(s, false, &t), "begin");
		check(kw_barrier_rec_get(b, t, 4, id, &d, NULL), "get");
		kw_store_txn_abort(t);
		kw_secret_free(d);
	}
	lap_print("get by id:", l, READS);
	l = lap_start();
	for (unsigned i = 0; i < READS; i++) {
		kw_store_txn *t = NULL;
		kw_secret *d = NULL;
		char lookup[64];
		unsigned j = rand_r(&seed) % n;
		snprintf(lookup, sizeof(lookup), "partition-%u/name-%u", j % 16,
			 j);
		check(kw_store_txn_begin(s, false, &t), "begin");
		check(kw_barrier_rec_find(b, t, 4, lookup, id, &d, NULL),
		      "find");
		kw_store_txn_abort(t);
		kw_secret_free(d);
	}
	lap_print("find by name:", l, READS);
	l = lap_start();
	/* The floor: the same point reads straight from the store. */
	for (unsigned i = 0; i < READS; i++) {
		kw_store_txn *t = NULL;
		kw_store_rec rec;
		memset(&rec, 0, sizeof(rec));
		snprintf(id, sizeof(id), "key-%08u", rand_r(&seed) % n);
		check(kw_store_txn_begin(s, false, &t), "begin");
		check(kw_store_rec_get(t, 4, id, &rec), "raw get");
		kw_store_txn_abort(t);
		kw_store_rec_clear(&rec);
	}
	lap_print("store get (no barrier):", l, READS);
}

int main(int argc, char **argv)
{
	char dir[64] = "/tmp/kwbench-XXXXXX", path[128];
	kw_store *s = NULL;
	kw_barrier *b = NULL;
	kw_secret **shares = NULL;
	kw_barrier_status st;

	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100000;
	if (n == 0) {
		fprintf(stderr, "usage: bench_barrier N [DIR]\n");
		return 2;
	}
	if (argc > 2)
		snprintf(dir, sizeof(dir), "%s", argv[2]);
	else if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	unlink(path);

	open_all(path, &s, &b);
	check(kw_barrier_init(b, 3, 2, &shares), "init");
	double t0 = now();
	fill(s, b, n);
	double t1 = now();
	printf("%u records written in %.2f s (%.1f us/put)\n", n, t1 - t0,
	       (t1 - t0) / n * 1e6);
	kw_barrier_free(b);
	kw_store_close(s);

	t0 = now();
	double c0 = cpu();
	open_all(path, &s, &b);
	double t_open = now();
	for (unsigned i = 0; i < 2; i++)
		check(kw_barrier_unseal(b, (const char *)shares[i]->data,
					shares[i]->len, &st),
		      "unseal");
	t1 = now();
	printf("start (open) %.3f s, unseal %.3f s, total %.3f s wall, "
	       "%.3f s cpu%s\n",
	       t_open - t0, t1 - t_open, t1 - t0, cpu() - c0,
	       st.sealed ? " (still sealed?)" : "");
	reads(s, b, n);

	kw_barrier_shares_free(shares, 3);
	kw_barrier_free(b);
	kw_store_close(s);
	if (argc <= 2) {
		char p[160];
		unlink(path);
		snprintf(p, sizeof(p), "%s-wal", path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", path);
		unlink(p);
		rmdir(dir);
	}
	return 0;
}
