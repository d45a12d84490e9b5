/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keywarden/audit.h"
#include "keywarden/barrier.h"
#include "keywarden/store.h"

/*
 * The cost of durable auditing with group commit (docs/audit.md).
 *
 *   audit_bench [--threads 1,8,64] [--seconds 5] [--dir DIR] [--batch 512]
 *
 * For each thread count: a fresh SQLite file in DIR (default: a temporary
 * directory under /var/tmp, i.e. a real disk, not tmpfs), a barrier
 * initialised 1-of-1 and unsealed (so checkpoints are signed as in
 * production), and N submitters that each append an entry and wait until it
 * is durable, then the next, for the given time. Prints entries/s, commits
 * (fsyncs)/s, entries per commit and the latency of one durable append.
 */

typedef struct sub {
	pthread_t th;
	kw_audit *audit;
	atomic_bool *stop;
	int id;
	double *lat_us; /* samples */
	size_t n;
	size_t cap;
	int failed;
} sub;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void *submitter(void *arg)
{
	sub *s = arg;
	char principal[32];
	kw_audit_event ev = {
		.principal = principal,
		.partition = "default",
		.op = "key_sign",
		.key = "bench-key",
		.key_version = 1,
		.result = KW_AUDIT_OK,
		.request_id = "bench",
		.source = "unix",
		.detail =
			"{\"digest\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
			"2b0b822cd15d6c15b0f00a08\"}",
	};

	snprintf(principal, sizeof(principal), "app-%d", s->id);
	while (!atomic_load(s->stop)) {
		double t0 = now_us();

		if (kw_audit_append(s->audit, &ev, NULL) != KW_OK) {
			s->failed++;
			break;
		}
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 4096;
			double *p = realloc(s->lat_us, cap * sizeof(*p));

			if (p == NULL) {
				s->failed++;
				break;
			}
			s->lat_us = p;
			s->cap = cap;
		}
		s->lat_us[s->n++] = now_us() - t0;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

static void remove_db(const char *path)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[600];

	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

static int run(const char *dir, int threads, double seconds, unsigned batch)
{
	char path[512];
	kw_store_config sc = {.backend = "sqlite", .path = path};
	kw_audit_config ac = {.node = "bench", .max_batch = batch};
	kw_store *store = NULL;
	kw_barrier *b = NULL;
	kw_secret **shares = NULL;
	kw_audit *a = NULL;
	kw_audit_stats st0;
	kw_audit_stats st1;
	atomic_bool stop = false;
	sub *subs = calloc((size_t)threads, sizeof(*subs));
	double *all = NULL;
	size_t total = 0;
	double t0;
	double elapsed;
	int bad = 0;

	snprintf(path, sizeof(path), "%s/bench-%d.db", dir, threads);
	remove_db(path);
	if (subs == NULL || kw_store_open(&sc, &store) != KW_OK ||
	    kw_barrier_open(store, &b) != KW_OK ||
	    kw_barrier_init(b, 1, 1, &shares) != KW_OK ||
	    kw_audit_open(store, b, &ac, &a) != KW_OK ||
	    kw_audit_checkpoint(a, NULL) != KW_OK) {
		fprintf(stderr, "set-up failed\n");
		bad = 1;
		goto out;
	}
	kw_audit_stats_get(a, &st0);
	t0 = now_us();
	for (int i = 0; i < threads; i++) {
		subs[i] = (sub){.audit = a, .stop = &stop, .id = i};
		pthread_create(&subs[i].th, NULL, submitter, &subs[i]);
	}
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop, true);
	for (int i = 0; i < threads; i++) {
		pthread_join(subs[i].th, NULL);
		total += subs[i].n;
		bad |= subs[i].failed;
	}
	elapsed = (now_us() - t0) / 1e6;
	kw_audit_stats_get(a, &st1);
	all = malloc((total ? total : 1) * sizeof(*all));
	if (all == NULL) {
		bad = 1;
		goto out;
	}
	total = 0;
	for (int i = 0; i < threads; i++) {
		memcpy(all + total, subs[i].lat_us, subs[i].n * sizeof(*all));
		total += subs[i].n;
	}
	qsort(all, total, sizeof(*all), cmp_double);
	if (total > 0) {
		uint64_t commits = st1.commits - st0.commits;

		printf("%8d %12.0f %10.0f %10.1f %10.0f %10.0f %10.0f %8llu\n",
		       threads, (double)total / elapsed,
		       (double)commits / elapsed,
		       commits ? (double)(st1.entries - st0.entries) /
					 (double)commits
			       : 0.0,
		       all[total / 2], all[total * 99 / 100], all[total - 1],
		       (unsigned long long)(st1.checkpoints - st0.checkpoints));
	}
out:
	kw_audit_close(a);
	kw_barrier_shares_free(shares, 1);
	kw_barrier_free(b);
	kw_store_close(store);
	remove_db(path);
	for (int i = 0; subs != NULL && i < threads; i++)
		free(subs[i].lat_us);
	free(subs);
	free(all);
	return bad;
}

int main(int argc, char **argv)
{
	const char *list = "1,8,64,256";
	const char *dir = NULL;
	char tmp[] = "/var/tmp/kwbench-XXXXXX";
	double seconds = 5;
	unsigned batch = 0;
	int bad = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--threads") == 0)
			list = argv[i + 1];
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--batch") == 0)
			batch = (unsigned)atoi(argv[i + 1]);
		else
			bad = 1;
	}
	if (bad || argc % 2 == 0 || seconds <= 0) {
		fprintf(stderr, "usage: audit_bench [--threads 1,8,64] "
				"[--seconds 5] [--dir DIR] [--batch 512]\n");
		return 2;
	}
	if (dir == NULL && (dir = mkdtemp(tmp)) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	printf("# durable audit appends, SQLite WAL synchronous=FULL in %s\n",
	       dir);
	printf("# %6s %12s %10s %10s %10s %10s %10s %8s\n", "threads",
	       "entries/s", "commits/s", "per-commit", "p50 us", "p99 us",
	       "max us", "cps");
	for (const char *p = list; *p != '\0' && !bad;) {
		int n = atoi(p);

		if (n <= 0) {
			bad = 1;
			break;
		}
		bad |= run(dir, n, seconds, batch);
		p = strchr(p, ',');
		if (p == NULL)
			break;
		p++;
	}
	if (dir == tmp)
		rmdir(tmp);
	return bad;
}
