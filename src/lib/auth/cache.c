/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"

/*
 * The token verdict cache: keyed hash of a token -> the caller it stands
 * for. Bounded (STRIPES * SETS * WAYS entries), set-associative: a hash
 * picks one stripe and one set in it, and a full set evicts its oldest
 * entry. Each stripe has its own mutex, held only to copy an entry in or
 * out, so concurrent requests rarely meet on a lock and no lock is global.
 *
 * Invalidation (revocation, role change, deletion, seal) bumps the epoch
 * and then clears the matching entries stripe by stripe. A reader that
 * missed reads the epoch before the store and put() compares it under the
 * stripe lock, so a verdict read before an invalidation is never cached
 * after it.
 */

#define STRIPES 64u
#define SETS	16u
#define WAYS	4u

typedef struct centry {
	bool used;
	uint8_t hash[KW_AUTH_HASH_LEN];
	int64_t at; /* when the verdict was read from the store */
	kw_caller caller;
} centry;

typedef struct cstripe {
	pthread_mutex_t mu;
	centry e[SETS][WAYS];
} cstripe;

struct kw_auth_cache {
	atomic_uint_fast64_t epoch;
	cstripe s[STRIPES];
};

kw_rc kw_auth_cache_new(kw_auth_cache **out)
{
	kw_auth_cache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return KW_E_NOMEM;
	atomic_init(&c->epoch, 0);
	for (size_t i = 0; i < STRIPES; i++) {
		if (pthread_mutex_init(&c->s[i].mu, NULL) != 0) {
			for (size_t j = 0; j < i; j++)
				pthread_mutex_destroy(&c->s[j].mu);
			free(c);
			return KW_E_NOMEM;
		}
	}
	*out = c;
	return KW_OK;
}

void kw_auth_cache_free(kw_auth_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&c->s[i].mu);
	kw_wipe(c, sizeof(*c));
	free(c);
}

/* The hash is an HMAC output: its first bytes are uniformly spread. */
static centry *cache_set(kw_auth_cache *c,
			 const uint8_t hash[static KW_AUTH_HASH_LEN],
			 cstripe **out_stripe)
{
	uint32_t h = (uint32_t)hash[0] | (uint32_t)hash[1] << 8 |
		     (uint32_t)hash[2] << 16 | (uint32_t)hash[3] << 24;
	cstripe *s = &c->s[h % STRIPES];
	*out_stripe = s;
	return s->e[(h / STRIPES) % SETS];
}

static void centry_clear(centry *e)
{
	kw_wipe(e, sizeof(*e));
}

uint64_t kw_auth_cache_epoch(kw_auth_cache *c)
{
	return atomic_load(&c->epoch);
}

kw_rc kw_auth_cache_get(kw_auth_cache *c,
			const uint8_t hash[static KW_AUTH_HASH_LEN],
			int64_t now, uint64_t max_age_s, kw_caller *out)
{
	cstripe *s;
	centry *set = cache_set(c, hash, &s);
	kw_rc rc = KW_E_NOT_FOUND;

	pthread_mutex_lock(&s->mu);
	for (size_t w = 0; w < WAYS; w++) {
		centry *e = &set[w];
		if (!e->used || !kw_ct_equal(e->hash, hash, KW_AUTH_HASH_LEN))
			continue;
		/* Too old, or the clock went back: read the store again. */
		if (now < e->at || (uint64_t)(now - e->at) >= max_age_s) {
			centry_clear(e);
			break;
		}
		*out = e->caller;
		rc = KW_OK;
		break;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void kw_auth_cache_put(kw_auth_cache *c,
		       const uint8_t hash[static KW_AUTH_HASH_LEN],
		       const kw_caller *caller, int64_t now, uint64_t epoch)
{
	cstripe *s;
	centry *set = cache_set(c, hash, &s);

	pthread_mutex_lock(&s->mu);
	if (atomic_load(&c->epoch) != epoch)
		goto out;
	centry *victim = NULL;
	for (size_t w = 0; w < WAYS; w++) {
		centry *e = &set[w];
		if (e->used && kw_ct_equal(e->hash, hash, KW_AUTH_HASH_LEN)) {
			victim = e;
			break;
		}
		if (victim == NULL || (victim->used && !e->used) ||
		    (victim->used && e->used && e->at < victim->at))
			victim = e;
	}
	victim->used = true;
	memcpy(victim->hash, hash, KW_AUTH_HASH_LEN);
	victim->at = now;
	victim->caller = *caller;
	victim->caller.source[0] = '\0';
out:
	pthread_mutex_unlock(&s->mu);
}

typedef bool (*centry_match)(const centry *e, const void *arg);

/* Bumps the epoch first (so a reader in flight cannot put back what is
 * dropped here), then clears the matching entries. */
static void cache_drop(kw_auth_cache *c, centry_match match, const void *arg)
{
	atomic_fetch_add(&c->epoch, 1);
	for (size_t i = 0; i < STRIPES; i++) {
		cstripe *s = &c->s[i];
		pthread_mutex_lock(&s->mu);
		for (size_t j = 0; j < SETS; j++) {
			for (size_t w = 0; w < WAYS; w++) {
				centry *e = &s->e[j][w];
				if (e->used && (match == NULL || match(e, arg)))
					centry_clear(e);
			}
		}
		pthread_mutex_unlock(&s->mu);
	}
}

static bool match_token(const centry *e, const void *arg)
{
	return strcmp(e->caller.token_id, arg) == 0;
}

typedef struct principal_key {
	const char *partition;
	const char *name;
} principal_key;

static bool match_principal(const centry *e, const void *arg)
{
	const principal_key *k = arg;
	return strcmp(e->caller.principal, k->name) == 0 &&
	       strcmp(e->caller.partition, k->partition) == 0;
}

void kw_auth_cache_drop_token(kw_auth_cache *c, const char *token_id)
{
	cache_drop(c, match_token, token_id);
}

void kw_auth_cache_drop_principal(kw_auth_cache *c, const char *partition,
				  const char *name)
{
	principal_key k = {partition, name};
	cache_drop(c, match_principal, &k);
}

void kw_auth_cache_clear(kw_auth_cache *c)
{
	cache_drop(c, NULL, NULL);
}
