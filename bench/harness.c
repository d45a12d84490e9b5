/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench/harness.h"

/*
 * Phases, driven by the main thread: the workers start together (all
 * thread_init calls done), run through the warm-up, count inside the
 * window, stop, then verify their samples. A call is measured if it
 * ends inside the window, wherever it began: in a steady state as many
 * calls straddle the opening as the closing.
 */

enum { PH_INIT = 0, PH_WARMUP, PH_MEASURE, PH_STOP };

typedef struct worker {
	pthread_t th;
	const kw_bench_spec *spec;
	unsigned idx;
	_Atomic int *phase;
	pthread_barrier_t *ready;
	kw_rc init_rc;
	void *state;
	float *lat; /* microseconds, one per measured call */
	size_t n, cap;
	uint64_t errors;
	uint64_t verified, verify_failed;
	bool nomem;
} worker;

static pthread_mutex_t note_mu = PTHREAD_MUTEX_INITIALIZER;
static char note_buf[160];

void kw_bench_note_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&note_mu);
	if (note_buf[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(note_buf, sizeof(note_buf), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&note_mu);
}

const char *kw_bench_last_error(void)
{
	return note_buf;
}

double kw_bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double kw_bench_cpu_self(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

double kw_bench_cpu_pid(long pid)
{
	char path[64], buf[1024];
	unsigned long long ut = 0, st = 0;
	double cpu = -1;
	FILE *f;
	char *p;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (f == NULL)
		goto out;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields are
	 * counted from the last ')'. utime and stime are fields 14, 15. */
	p = strrchr(buf, ')');
	if (p == NULL ||
	    sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
		   &st) != 2)
		goto out;
	cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
out:
	return cpu;
}

long long kw_bench_rss_pid(long pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static void sleep_until(double t)
{
	double d = t - kw_bench_now();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool lat_add(worker *w, double us)
{
	if (w->n == w->cap) {
		size_t cap = w->cap != 0 ? w->cap * 2 : 65536;
		float *p = realloc(w->lat, cap * sizeof(*p));
		if (p == NULL)
			return false;
		w->lat = p;
		w->cap = cap;
	}
	w->lat[w->n++] = (float)us;
	return true;
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	const kw_bench_spec *s = w->spec;
	unsigned every = s->sample_every != 0 ? s->sample_every : 64;
	double interval = 0, due = 0;
	uint64_t seq = 0;

	w->init_rc = s->ops->thread_init(s->ctx, w->idx, &w->state);
	pthread_barrier_wait(w->ready);
	if (w->init_rc != KW_OK)
		return NULL;
	while (atomic_load(w->phase) == PH_INIT)
		sleep_until(kw_bench_now() + 0.001);
	if (s->rate > 0) {
		/* This thread's share of the rate, its first call offset so
		 * that the threads interleave. */
		interval = (double)s->threads / s->rate;
		due = kw_bench_now() + interval * w->idx / s->threads;
	}
	for (;;) {
		int ph = atomic_load(w->phase);
		double t0, t1;
		kw_rc rc;

		if (ph == PH_STOP)
			break;
		if (s->rate > 0) {
			sleep_until(due);
			t0 = due;
			due += interval;
		} else {
			t0 = kw_bench_now();
		}
		rc = s->ops->call(w->state, seq, seq % every == 0);
		t1 = kw_bench_now();
		/* A call counts if it ends inside the window (long calls, such
		 * as batches of slow operations, still count when they began
		 * in the warm-up). */
		ph = atomic_load(w->phase);
		seq++;
		if (rc != KW_OK) {
			w->errors++;
			continue;
		}
		if (ph == PH_MEASURE && !w->nomem)
			w->nomem = !lat_add(w, (t1 - t0) * 1e6);
	}
	if (s->ops->verify != NULL)
		s->ops->verify(w->state, &w->verified, &w->verify_failed);
	return NULL;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct(const float *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)ceil(p / 100.0 * (double)n);
	return v[i > 0 ? i - 1 : 0];
}

static kw_rc summarise(const kw_bench_spec *s, worker *w, double window,
		       double cpu_self, double cpu_daemon, kw_bench_result *r)
{
	size_t total = 0, k = 0;
	double sum = 0;
	float *all;

	for (unsigned i = 0; i < s->threads; i++)
		total += w[i].n;
	all = malloc((total != 0 ? total : 1) * sizeof(*all));
	if (all == NULL)
		return KW_E_NOMEM;
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < s->threads; i++) {
		if (w[i].n > 0) /* lat is NULL when no call ended in time */
			memcpy(all + k, w[i].lat, w[i].n * sizeof(*all));
		k += w[i].n;
		r->errors += w[i].errors;
		r->verified += w[i].verified;
		r->verify_failed += w[i].verify_failed;
		if (w[i].nomem)
			r->errors++;
	}
	qsort(all, total, sizeof(*all), cmp_float);
	for (size_t i = 0; i < total; i++)
		sum += all[i];
	r->calls = total;
	r->ops = total * (s->items != 0 ? s->items : 1);
	r->seconds = window;
	r->ops_per_s = window > 0 ? (double)r->ops / window : 0;
	r->lat_p50_us = pct(all, total, 50);
	r->lat_p99_us = pct(all, total, 99);
	r->lat_max_us = total != 0 ? all[total - 1] : 0;
	r->lat_mean_us = total != 0 ? sum / (double)total : 0;
	r->cpu_client_s = cpu_self;
	r->cpu_daemon_s = cpu_daemon;
	if (r->ops > 0)
		r->cpu_us_per_op =
			(cpu_self + (cpu_daemon > 0 ? cpu_daemon : 0)) * 1e6 /
			(double)r->ops;
	free(all);
	return KW_OK;
}

kw_rc kw_bench_run(const kw_bench_spec *s, kw_bench_result *out)
{
	_Atomic int phase = PH_INIT;
	pthread_barrier_t ready;
	worker *w = NULL;
	unsigned started = 0;
	double t0 = 0, t1 = 0, c0 = 0, c1 = 0, d0 = -1, d1 = -1;
	kw_rc rc = KW_E_INVALID;

	if (s == NULL || s->ops == NULL || s->ops->thread_init == NULL ||
	    s->ops->call == NULL || s->threads == 0 || s->seconds <= 0 ||
	    s->warmup < 0 || s->rate < 0)
		return rc;
	pthread_mutex_lock(&note_mu);
	note_buf[0] = '\0';
	pthread_mutex_unlock(&note_mu);
	rc = KW_E_NOMEM;
	w = calloc(s->threads, sizeof(*w));
	if (w == NULL ||
	    pthread_barrier_init(&ready, NULL, s->threads + 1) != 0) {
		free(w);
		return rc;
	}
	for (unsigned i = 0; i < s->threads; i++) {
		w[i].spec = s;
		w[i].idx = i;
		w[i].phase = &phase;
		w[i].ready = &ready;
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	if (started < s->threads) {
		/* The barrier counts every thread: without all of them no
		 * one passes it. Abandon the process's remaining work. */
		fprintf(stderr, "kw_bench_run: cannot start threads\n");
		exit(1);
	}
	pthread_barrier_wait(&ready);
	rc = KW_OK;
	for (unsigned i = 0; i < s->threads; i++)
		if (w[i].init_rc != KW_OK && rc == KW_OK)
			rc = w[i].init_rc;
	if (rc != KW_OK) {
		atomic_store(&phase, PH_STOP);
		goto join;
	}
	atomic_store(&phase, PH_WARMUP);
	sleep_until(kw_bench_now() + s->warmup);
	t0 = kw_bench_now();
	c0 = kw_bench_cpu_self();
	if (s->daemon_pid > 0)
		d0 = kw_bench_cpu_pid(s->daemon_pid);
	atomic_store(&phase, PH_MEASURE);
	sleep_until(t0 + s->seconds);
	atomic_store(&phase, PH_STOP);
	t1 = kw_bench_now();
	c1 = kw_bench_cpu_self();
	if (s->daemon_pid > 0)
		d1 = kw_bench_cpu_pid(s->daemon_pid);
join:
	for (unsigned i = 0; i < started; i++)
		pthread_join(w[i].th, NULL);
	if (rc == KW_OK)
		rc = summarise(s, w, t1 - t0, c1 - c0,
			       d0 >= 0 && d1 >= 0 ? d1 - d0 : -1, out);
	pthread_mutex_lock(&note_mu);
	if (rc == KW_OK)
		snprintf(out->error, sizeof(out->error), "%s", note_buf);
	pthread_mutex_unlock(&note_mu);
	for (unsigned i = 0; i < started; i++) {
		if (s->ops->thread_fini != NULL && w[i].init_rc == KW_OK)
			s->ops->thread_fini(w[i].state);
		free(w[i].lat);
	}
	pthread_barrier_destroy(&ready);
	free(w);
	return rc;
}

json_t *kw_bench_result_json(const kw_bench_result *r)
{
	return json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
		"s:f, s:f, s:s}",
		"calls", (json_int_t)r->calls, "ops", (json_int_t)r->ops,
		"errors", (json_int_t)r->errors, "verified",
		(json_int_t)r->verified, "verify_failed",
		(json_int_t)r->verify_failed, "seconds", r->seconds,
		"ops_per_s", r->ops_per_s, "lat_p50_us", r->lat_p50_us,
		"lat_p99_us", r->lat_p99_us, "lat_max_us", r->lat_max_us,
		"lat_mean_us", r->lat_mean_us, "cpu_client_s", r->cpu_client_s,
		"cpu_daemon_s", r->cpu_daemon_s, "cpu_us_per_op",
		r->cpu_us_per_op, "error", r->error);
}
