/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_BENCH_HARNESS_H
#define KW_BENCH_HARNESS_H

/*
 * The measuring loop shared by bench/kwbench (raw OpenSSL, PKCS#11) and
 * `keywarden bench` (REST): N threads call one operation over and over, for
 * a warm-up and then for a measured window; the harness counts operations
 * started and finished inside the window, the latency of every call, the
 * CPU time of this process (and of the daemon, when its pid is known), and
 * afterwards lets every thread verify the results it kept as samples, so
 * that a wrong answer cannot look fast.
 *
 * Open loop at a given rate: each thread follows its own schedule (the
 * rate split evenly) and a call's latency counts from when it was due, not
 * from when it could start, so a stalled server shows as latency, not as a
 * lower offered load (no coordinated omission).
 *
 * Not a timed test: nothing here decides pass or fail by speed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keywarden/rc.h"

typedef struct kw_bench_ops {
	/* Per thread, in that thread, before the warm-up: *out_state is the
	 * thread's own (connection, context, buffers). */
	kw_rc (*thread_init)(void *ctx, unsigned idx, void **out_state);
	/* One call; seq counts this thread's calls. If sample, keep what is
	 * needed to check the result later. */
	kw_rc (*call)(void *state, uint64_t seq, bool sample);
	/* After the window, in the thread: checks the kept samples and adds
	 * to *verified / *failed. */
	void (*verify)(void *state, uint64_t *verified, uint64_t *failed);
	void (*thread_fini)(void *state);
} kw_bench_ops;

typedef struct kw_bench_spec {
	const kw_bench_ops *ops;
	void *ctx;
	unsigned threads;      /* >= 1 */
	double seconds;	       /* the measured window */
	double warmup;	       /* before it, not measured */
	double rate;	       /* calls/s for all threads together; 0: closed
			       * loop, each thread as fast as it can */
	unsigned items;	       /* operations per call (a batch); 0 means 1 */
	unsigned sample_every; /* keep every n-th call of a thread; 0: 64 */
	long daemon_pid;       /* > 0: also measure that process's CPU */
} kw_bench_spec;

typedef struct kw_bench_result {
	uint64_t calls;	 /* ended inside the window */
	uint64_t ops;	 /* calls * items */
	uint64_t errors; /* failed calls (whole run) */
	uint64_t verified, verify_failed;
	double seconds; /* the window as measured */
	double ops_per_s;
	double lat_p50_us, lat_p99_us, lat_max_us, lat_mean_us; /* per call */
	double cpu_client_s;
	double cpu_daemon_s;  /* -1: not measured */
	double cpu_us_per_op; /* (client + daemon, if measured) / ops */
	char error[160];      /* the first failure, if any */
} kw_bench_result;

/* Runs spec; *out is filled on KW_OK. KW_E_INVALID (bad spec), KW_E_NOMEM,
 * or the thread_init error of any thread (then nothing is measured).
 * Failed calls do not stop the run: they are counted in out->errors. */
kw_rc kw_bench_run(const kw_bench_spec *spec, kw_bench_result *out);

/* Records the first error text of a run (thread-safe; later ones are
 * dropped). For ops' call functions, which know why they failed. */
void kw_bench_note_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* The first error noted since the last kw_bench_run began ("" if none);
 * also after a failed set-up. */
const char *kw_bench_last_error(void);

/* The result as a JSON object (a new reference; NULL on allocation
 * failure). */
json_t *kw_bench_result_json(const kw_bench_result *r);

/* Monotonic time in seconds. */
double kw_bench_now(void);

/* user + system CPU seconds: of this process; of process pid (from
 * /proc/<pid>/stat; -1 if it cannot be read). */
double kw_bench_cpu_self(void);
double kw_bench_cpu_pid(long pid);

/* Resident set size of pid in bytes (/proc/<pid>/status), -1 if unknown. */
long long kw_bench_rss_pid(long pid);

#endif
