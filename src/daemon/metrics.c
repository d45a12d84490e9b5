/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/metrics.h"

/* The statuses the daemon answers with; anything else counts as "other". */
static const unsigned statuses[] = {200, 201, 202, 204, 400, 401, 403, 404, 405,
				    409, 413, 415, 429, 431, 500, 503, 0};
#define N_STATUS (sizeof(statuses) / sizeof(statuses[0]))

/* Latency bucket upper bounds, seconds. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				0.05,	0.1,   0.25,   0.5,   1,    2.5};
#define N_BUCKET (sizeof(bounds) / sizeof(bounds[0]))

typedef struct route_stats {
	atomic_uint_fast64_t by_status[N_STATUS];
	atomic_uint_fast64_t bucket[N_BUCKET + 1]; /* last: +Inf */
	atomic_uint_fast64_t sum_us;
	atomic_uint_fast64_t count;
} route_stats;

struct kw_metrics {
	const kw_route *table;
	size_t n;
	route_stats *stats; /* n + 1: the last is "unknown" */
};

kw_metrics *kw_metrics_new(const kw_route *table, size_t n)
{
	kw_metrics *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->stats = calloc(n + 1, sizeof(*m->stats));
	if (m->stats == NULL) {
		free(m);
		return NULL;
	}
	m->table = table;
	m->n = n;
	return m;
}

void kw_metrics_free(kw_metrics *m)
{
	if (m == NULL)
		return;
	free(m->stats);
	free(m);
}

void kw_metrics_request(kw_metrics *m, size_t route_index, unsigned status,
			double seconds)
{
	route_stats *s = &m->stats[route_index < m->n ? route_index : m->n];
	size_t i = 0;

	while (statuses[i] != 0 && statuses[i] != status)
		i++;
	atomic_fetch_add_explicit(&s->by_status[i], 1, memory_order_relaxed);
	for (i = 0; i < N_BUCKET && seconds > bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&s->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_us, (uint64_t)(seconds * 1e6),
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

/* A growing text buffer. */
typedef struct buf {
	char *p;
	size_t len, cap;
	bool failed;
} buf;

static void put(buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap * 2 + (size_t)n;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static const char *route_label(const kw_metrics *m, size_t i)
{
	return i < m->n ? m->table[i].op : "unknown";
}

char *kw_metrics_render(kw_metrics *m, const kw_svc_health *h, long connections,
			size_t *out_len)
{
	buf b = {.cap = 16384};

	b.p = malloc(b.cap);
	if (b.p == NULL)
		return NULL;
	b.p[0] = '\0';
	put(&b, "# HELP keywarden_requests_total HTTP requests by route "
		"and status.\n# TYPE keywarden_requests_total counter\n");
	for (size_t r = 0; r <= m->n; r++)
		for (size_t i = 0; i < N_STATUS; i++) {
			uint64_t v = atomic_load(&m->stats[r].by_status[i]);
			if (v == 0)
				continue;
			if (statuses[i] != 0)
				put(&b,
				    "keywarden_requests_total{op=\"%s\","
				    "status=\"%u\"} %llu\n",
				    route_label(m, r), statuses[i],
				    (unsigned long long)v);
			else
				put(&b,
				    "keywarden_requests_total{op=\"%s\","
				    "status=\"other\"} %llu\n",
				    route_label(m, r), (unsigned long long)v);
		}
	put(&b, "# HELP keywarden_request_duration_seconds Time from the "
		"request's headers to its answer (audit included).\n"
		"# TYPE keywarden_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= m->n; r++) {
		route_stats *s = &m->stats[r];
		uint64_t count = atomic_load(&s->count);
		uint64_t cum = 0;
		if (count == 0)
			continue;
		for (size_t i = 0; i <= N_BUCKET; i++) {
			cum += atomic_load(&s->bucket[i]);
			if (i < N_BUCKET)
				put(&b,
				    "keywarden_request_duration_seconds_bucket"
				    "{op=\"%s\",le=\"%g\"} %llu\n",
				    route_label(m, r), bounds[i],
				    (unsigned long long)cum);
			else
				put(&b,
				    "keywarden_request_duration_seconds_bucket"
				    "{op=\"%s\",le=\"+Inf\"} %llu\n",
				    route_label(m, r), (unsigned long long)cum);
		}
		put(&b,
		    "keywarden_request_duration_seconds_sum{op=\"%s\"} %.6f\n"
		    "keywarden_request_duration_seconds_count{op=\"%s\"} "
		    "%llu\n",
		    route_label(m, r), (double)atomic_load(&s->sum_us) / 1e6,
		    route_label(m, r), (unsigned long long)count);
	}
	put(&b,
	    "# HELP keywarden_initialized 1 if the instance is initialised.\n"
	    "# TYPE keywarden_initialized gauge\nkeywarden_initialized %d\n"
	    "# HELP keywarden_sealed 1 while the instance is sealed.\n"
	    "# TYPE keywarden_sealed gauge\nkeywarden_sealed %d\n"
	    "# HELP keywarden_audit_healthy 1 while the audit trail is "
	    "writable.\n# TYPE keywarden_audit_healthy gauge\n"
	    "keywarden_audit_healthy %d\n"
	    "# HELP keywarden_audit_backlog Audit events queued, not yet "
	    "durable.\n# TYPE keywarden_audit_backlog gauge\n"
	    "keywarden_audit_backlog %llu\n"
	    "# HELP keywarden_audit_entries_total Audit entries written "
	    "since start (events, checkpoints, alerts).\n"
	    "# TYPE keywarden_audit_entries_total counter\n"
	    "keywarden_audit_entries_total %llu\n"
	    "# HELP keywarden_audit_commits_total Audit write transactions "
	    "(one fsync each) since start.\n"
	    "# TYPE keywarden_audit_commits_total counter\n"
	    "keywarden_audit_commits_total %llu\n"
	    "# HELP keywarden_connections Open client connections.\n"
	    "# TYPE keywarden_connections gauge\nkeywarden_connections %ld\n",
	    h->initialized ? 1 : 0, h->sealed ? 1 : 0, h->audit_ok ? 1 : 0,
	    (unsigned long long)h->audit_backlog,
	    (unsigned long long)h->audit_entries,
	    (unsigned long long)h->audit_commits, connections);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*out_len = b.len;
	return b.p;
}
