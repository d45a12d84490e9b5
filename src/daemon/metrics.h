/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_METRICS_H
#define KW_DAEMON_METRICS_H

/*
 * Prometheus metrics (GET /metrics): requests by route and status, latency
 * histograms per operation, sealed state, audit backlog and health, open
 * connections. Counters are lock-free atomics; rendering reads them
 * without stopping the world.
 */

#include <stddef.h>

#include "daemon/router.h"
#include "service/service.h"

typedef struct kw_metrics kw_metrics;

/* For the routes table[0..n); requests matching no route count as
 * route "unknown". NULL on allocation failure. */
kw_metrics *kw_metrics_new(const kw_route *table, size_t n);
void kw_metrics_free(kw_metrics *m);

/* route_index n (or larger) = no route. Thread-safe. */
void kw_metrics_request(kw_metrics *m, size_t route_index, unsigned status,
			double seconds);

/* The exposition text (malloc, NUL-terminated); NULL on failure. */
char *kw_metrics_render(kw_metrics *m, const kw_svc_health *h, long connections,
			size_t *out_len);

#endif
