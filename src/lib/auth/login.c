/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "auth"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "keywarden/log.h"

/*
 * Password login, the per-principal lockout (persisted in the principal
 * record) and the per-source rate limit (in memory).
 */

/* ---- per-source limiter ------------------------------------------------- */

/*
 * A bounded table of sources, each with the times of its failed logins in
 * the last WINDOW seconds (a ring of `rate` slots: a sliding window, exact).
 * When the table is full, the source whose last failure is the oldest
 * makes room. Login is not a hot path, so a linear scan is fine.
 */
#define LIM_SOURCES 1024u
#define LIM_WINDOW  60

typedef struct lim_source {
	char source[KW_SOURCE_MAX + 1];
	unsigned head;	/* oldest time in the ring */
	unsigned count; /* times in the ring */
	int64_t last;
} lim_source;

struct kw_auth_limiter {
	pthread_mutex_t mu;
	unsigned rate;
	lim_source src[LIM_SOURCES];
	int64_t *times; /* LIM_SOURCES * rate */
};

kw_rc kw_auth_limiter_new(unsigned rate_per_min, kw_auth_limiter **out)
{
	if (rate_per_min == 0 || rate_per_min > KW_AUTH_SOURCE_RATE_MAX)
		return KW_E_INVALID;
	kw_auth_limiter *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return KW_E_NOMEM;
	l->times =
		calloc((size_t)LIM_SOURCES * rate_per_min, sizeof(*l->times));
	if (l->times == NULL || pthread_mutex_init(&l->mu, NULL) != 0) {
		free(l->times);
		free(l);
		return KW_E_NOMEM;
	}
	l->rate = rate_per_min;
	*out = l;
	return KW_OK;
}

void kw_auth_limiter_free(kw_auth_limiter *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->times);
	free(l);
}

/* Forgets the failures of entry i that left the window. mu held. */
static void lim_expire(kw_auth_limiter *l, size_t i, int64_t now)
{
	lim_source *s = &l->src[i];
	int64_t *ring = l->times + i * l->rate;
	while (s->count > 0 && ring[s->head] <= now - LIM_WINDOW) {
		s->head = (s->head + 1) % l->rate;
		s->count--;
	}
}

/* The entry of source, or -1. mu held. */
static long lim_find(kw_auth_limiter *l, const char *source, int64_t now)
{
	for (size_t i = 0; i < LIM_SOURCES; i++) {
		if (l->src[i].count > 0 &&
		    strcmp(l->src[i].source, source) == 0) {
			lim_expire(l, i, now);
			return l->src[i].count > 0 ? (long)i : -1;
		}
	}
	return -1;
}

uint64_t kw_auth_limiter_wait(kw_auth_limiter *l, const char *source,
			      int64_t now)
{
	uint64_t wait = 0;
	pthread_mutex_lock(&l->mu);
	long i = lim_find(l, source, now);
	if (i >= 0 && l->src[i].count >= l->rate) {
		int64_t oldest = l->times[(size_t)i * l->rate + l->src[i].head];
		int64_t w = oldest + LIM_WINDOW - now;
		wait = w > 0 ? (uint64_t)w : 1;
	}
	pthread_mutex_unlock(&l->mu);
	return wait;
}

void kw_auth_limiter_fail(kw_auth_limiter *l, const char *source, int64_t now)
{
	pthread_mutex_lock(&l->mu);
	long i = lim_find(l, source, now);
	if (i < 0) {
		/* A free entry (nothing in its window), else the stalest. */
		size_t pick = 0;
		for (size_t j = 0; j < LIM_SOURCES; j++) {
			lim_expire(l, j, now);
			if (l->src[j].count == 0) {
				pick = j;
				break;
			}
			if (l->src[j].last < l->src[pick].last)
				pick = j;
		}
		i = (long)pick;
		lim_source *s = &l->src[i];
		snprintf(s->source, sizeof(s->source), "%s", source);
		s->head = 0;
		s->count = 0;
	}
	lim_source *s = &l->src[i];
	int64_t *ring = l->times + (size_t)i * l->rate;
	if (s->count == l->rate) { /* full: the oldest gives way */
		s->head = (s->head + 1) % l->rate;
		s->count--;
	}
	ring[(s->head + s->count) % l->rate] = now;
	s->count++;
	s->last = now;
	pthread_mutex_unlock(&l->mu);
}

/* ---- login -------------------------------------------------------------- */

typedef struct login_arg {
	const char *partition;
	const char *user;
	int64_t now;
	kw_auth_principal p;
	char verified[KW_PASSWORD_HASH_MAX + 1]; /* the hash we checked */
	char rehash[KW_PASSWORD_HASH_MAX + 1];	 /* new hash, or "" */
	kw_secret *token;
	kw_auth_token tk;
} login_arg;

static kw_rc login_read_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	login_arg *arg = argp;
	return kw_auth_principal_load(a, t, arg->partition, arg->user, &arg->p);
}

/* Counts a wrong password; the max-th in a row locks the principal out
 * for lockout_s (and starts the count again). */
static kw_rc login_fail_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	login_arg *arg = argp;
	kw_rc rc = kw_auth_principal_load(a, t, arg->partition, arg->user,
					  &arg->p);
	if (rc != KW_OK)
		return rc;
	arg->p.failed++;
	if (arg->p.failed >= a->cfg.max_failed_logins) {
		arg->p.failed = 0;
		arg->p.info.locked_until = arg->now + (int64_t)a->cfg.lockout_s;
		KW_LOG_WARN("principal %s/%s locked out for %llu s after %u "
			    "failed logins",
			    kw_auth_ns(arg->partition), arg->user,
			    (unsigned long long)a->cfg.lockout_s,
			    a->cfg.max_failed_logins);
	}
	return kw_auth_principal_store(a, t, &arg->p);
}

static kw_rc login_ok_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	login_arg *arg = argp;
	kw_secret_free(arg->token); /* from a lost attempt */
	arg->token = NULL;
	kw_rc rc = kw_auth_principal_load(a, t, arg->partition, arg->user,
					  &arg->p);
	if (rc == KW_E_NOT_FOUND)
		return KW_E_UNAUTHENTICATED;
	if (rc != KW_OK)
		return rc;
	/* The password was changed while we checked the old one. */
	if (strcmp(arg->p.pw_hash, arg->verified) != 0)
		return KW_E_UNAUTHENTICATED;
	if (arg->p.failed != 0 || arg->p.info.locked_until != 0 ||
	    arg->rehash[0] != '\0') {
		arg->p.failed = 0;
		arg->p.info.locked_until = 0;
		if (arg->rehash[0] != '\0')
			memcpy(arg->p.pw_hash, arg->rehash,
			       sizeof(arg->p.pw_hash));
		rc = kw_auth_principal_store(a, t, &arg->p);
		if (rc != KW_OK)
			return rc;
	}
	return kw_auth_token_issue(a, t, &arg->p.info, a->cfg.session_ttl_s,
				   "session", true, &arg->token, &arg->tk);
}

/* A hash under the configured cost into out, if the stored one used
 * another; else out is left "". */
static kw_rc login_rehash(kw_auth *a, const kw_secret *password,
			  const char *stored,
			  char out[static KW_PASSWORD_HASH_MAX + 1])
{
	kw_password_params pp;
	if (kw_password_params_get(stored, &pp) != KW_OK ||
	    (pp.log2_n == a->pw.log2_n && pp.r == a->pw.r && pp.p == a->pw.p))
		return KW_OK;
	return kw_auth_password_hash(a, password, out);
}

kw_rc kw_auth_login(kw_auth *a, const char *partition, const char *user,
		    const kw_secret *password, const char *source,
		    kw_secret **out_token, kw_caller *out_caller,
		    uint64_t *out_retry_after)
{
	kw_rc rc = KW_E_INVALID;
	login_arg arg;
	memset(&arg, 0, sizeof(arg));

	if (source == NULL)
		source = "";
	if (a == NULL || !kw_auth_partition_arg_valid(partition) ||
	    !kw_auth_name_valid(user) || password == NULL ||
	    password->len == 0 || password->len > KW_PASSWORD_MAX ||
	    strnlen(source, KW_SOURCE_MAX + 1) > KW_SOURCE_MAX ||
	    out_token == NULL || out_caller == NULL)
		goto out;
	rc = kw_auth_unsealed(a);
	if (rc != KW_OK)
		goto out;
	arg.partition = partition;
	arg.user = user;
	arg.now = kw_auth_now(a);
	uint64_t wait = kw_auth_limiter_wait(a->limiter, source, arg.now);
	if (wait > 0) {
		if (out_retry_after != NULL)
			*out_retry_after = wait;
		rc = KW_E_LIMIT;
		goto out;
	}
	rc = kw_auth_read(a, login_read_txn, &arg);
	if (rc == KW_OK && arg.p.info.locked_until > arg.now) {
		kw_auth_limiter_fail(a->limiter, source, arg.now);
		if (out_retry_after != NULL)
			*out_retry_after =
				(uint64_t)(arg.p.info.locked_until - arg.now);
		rc = KW_E_LIMIT;
		goto out;
	}
	if (rc == KW_E_NOT_FOUND || (rc == KW_OK && arg.p.pw_hash[0] == '\0')) {
		/* No such user (or one without a password): spend the same
		 * scrypt work as for a wrong password, then say the same. */
		kw_rc vrc = kw_password_verify(a->dummy_hash, password);
		(void)vrc;
		kw_auth_limiter_fail(a->limiter, source, arg.now);
		rc = KW_E_UNAUTHENTICATED;
		goto out;
	}
	if (rc != KW_OK)
		goto out;
	snprintf(arg.verified, sizeof(arg.verified), "%s", arg.p.pw_hash);
	rc = kw_password_verify(arg.verified, password);
	if (rc == KW_E_VERIFY) {
		kw_auth_limiter_fail(a->limiter, source, arg.now);
		rc = kw_auth_write(a, login_fail_txn, &arg);
		if (rc == KW_OK || rc == KW_E_NOT_FOUND)
			rc = KW_E_UNAUTHENTICATED;
		goto out;
	}
	if (rc != KW_OK)
		goto out;
	rc = login_rehash(a, password, arg.verified, arg.rehash);
	if (rc != KW_OK)
		goto out;
	rc = kw_auth_write(a, login_ok_txn, &arg);
	if (rc != KW_OK)
		goto out;
	kw_auth_caller_fill(&arg.tk, &arg.p.info, out_caller);
	snprintf(out_caller->source, sizeof(out_caller->source), "%s", source);
	*out_token = arg.token;
	arg.token = NULL;
out:
	kw_secret_free(arg.token);
	kw_wipe(&arg, sizeof(arg));
	return rc;
}
