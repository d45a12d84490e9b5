/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "store"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "keywarden/log.h"
#include "store/internal.h"

unsigned kw_store_busy_timeout(const kw_store_config *cfg)
{
	if (cfg == NULL || cfg->busy_timeout_ms == 0)
		return KW_STORE_BUSY_TIMEOUT_DEFAULT;
	return cfg->busy_timeout_ms;
}

int kw_store_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t attr;
	int err = pthread_condattr_init(&attr);
	if (err != 0)
		return err;
	/* Monotonic, so a wall-clock step does not stretch or cut a wait. */
	err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (err == 0)
		err = pthread_cond_init(cv, &attr);
	pthread_condattr_destroy(&attr);
	return err;
}

void kw_store_deadline(unsigned timeout_ms, struct timespec *out)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_sec += (time_t)(timeout_ms / 1000u);
	now.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
	if (now.tv_nsec >= 1000000000L) {
		now.tv_sec++;
		now.tv_nsec -= 1000000000L;
	}
	*out = now;
}

kw_rc kw_store_gate_init(kw_store_gate *g)
{
	kw_rc rc = KW_E_STORAGE;
	if (pthread_mutex_init(&g->mu, NULL) != 0)
		goto out;
	if (kw_store_cond_init(&g->cv) != 0) {
		pthread_mutex_destroy(&g->mu);
		goto out;
	}
	g->held = false;
	rc = KW_OK;
out:
	return rc;
}

void kw_store_gate_destroy(kw_store_gate *g)
{
	assert(!g->held);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

kw_rc kw_store_gate_enter(kw_store_gate *g, unsigned timeout_ms,
			  const char *who)
{
	kw_rc rc = KW_OK;
	struct timespec deadline;
	kw_store_deadline(timeout_ms, &deadline);
	pthread_mutex_lock(&g->mu);
	while (g->held) {
		int err = pthread_cond_timedwait(&g->cv, &g->mu, &deadline);
		if (err == ETIMEDOUT && g->held) {
			rc = KW_E_STORAGE;
			break;
		}
	}
	if (rc == KW_OK)
		g->held = true;
	pthread_mutex_unlock(&g->mu);
	if (rc != KW_OK)
		KW_LOG_ERROR("%s: another write transaction held the store "
			     "for more than %u ms",
			     who, timeout_ms);
	return rc;
}

void kw_store_gate_leave(kw_store_gate *g)
{
	pthread_mutex_lock(&g->mu);
	assert(g->held);
	g->held = false;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}
