/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "keys/internal.h"

/*
 * The bounded cache of unsealed keys (DESIGN.md §7).
 *
 * Entries live in "id shards" (chosen by a keyed hash of the key id): each
 * shard has its own mutex, a chained hash table by id and a CLOCK ring for
 * eviction. A second set of "name shards" indexes the same entries by
 * partition + "/" + name. A lookup takes one shard mutex for a few pointer
 * steps and a reference count increment; the crypto runs with no lock held.
 *
 * The bound is global: an insert first reserves a slot in an atomic count
 * that never exceeds cache_max (evicting, one shard lock at a time, while
 * the cache is full), so any cache_max keys fit whatever shards they hash
 * to, and the count of entries never passes the bound, even for a moment.
 *
 * Lock order: an id shard, then a name shard; never two of one kind. Only
 * insert, invalidate and clear take both; lookups take one.
 *
 * Eviction is CLOCK (second chance), the usual approximation of LRU that
 * lets a hit mark an entry with a relaxed atomic store instead of moving it
 * in a list under a lock. It runs in the inserting key's shard (else the
 * next non-empty one), so the entry evicted is the least recently used of
 * that shard, not necessarily of the whole cache.
 *
 * The keyed hash (SipHash-2-4, key from kw_random at start) keeps key names,
 * which officers choose, from being crafted into one long chain.
 */

#define SHARDS_MAX	  64
#define SHARD_MIN_ENTRIES 8
#define BUCKETS_INITIAL	  8
#define NAME_KEY_MAX	  (2 * KW_NAME_MAX + 2)
#define CACHE_LINE	  64

typedef struct id_shard {
	_Alignas(CACHE_LINE) pthread_mutex_t mu;
	kw_keys_entry **buckets; /* nbuckets, a power of two */
	size_t nbuckets;
	size_t count;
	kw_keys_entry *hand; /* CLOCK hand into the ring; NULL when empty */
} id_shard;

typedef struct name_shard {
	_Alignas(CACHE_LINE) pthread_mutex_t mu;
	kw_keys_entry **buckets;
	size_t nbuckets;
	size_t count;
} name_shard;

struct kw_keys_cache {
	size_t max;
	size_t nshards; /* a power of two */
	uint64_t hkey[2];
	atomic_uint_fast64_t gen;
	atomic_size_t count; /* linked entries and reserved slots */
	atomic_size_t peak;
	atomic_size_t
		evict_next; /* shard to evict from when the home is empty */
	id_shard *ids;
	name_shard *names;
};

/* ---- SipHash-2-4 (Aumasson, Bernstein 2012) ----------------------------- */

static inline uint64_t rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13) ^ v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17) ^ v[2];
	v[2] = rotl64(v[2], 32);
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t kw_keys_hash(const uint64_t key[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v[4] = {
		key[0] ^ 0x736f6d6570736575ull,
		key[1] ^ 0x646f72616e646f6dull,
		key[0] ^ 0x6c7967656e657261ull,
		key[1] ^ 0x7465646279746573ull,
	};
	size_t full = len & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = load_le64(p + i);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	for (size_t i = 0; i < (len & 7); i++)
		last |= (uint64_t)p[full + i] << (8 * i);
	v[3] ^= last;
	sip_round(v);
	sip_round(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- entries ------------------------------------------------------------- */

/* Frees an entry (also a half-built one); kw_ckey_free wipes the keys. */
static void entry_free(kw_keys_entry *e)
{
	if (e->ckeys != NULL)
		for (size_t i = 0; i < e->info->version_count; i++)
			kw_ckey_free(e->ckeys[i]);
	free(e->ckeys);
	kw_key_info_free(e->info);
	free(e);
}

void kw_keys_entry_release(kw_keys_entry *e)
{
	if (e != NULL && atomic_fetch_sub(&e->refs, 1) == 1)
		entry_free(e);
}

kw_rc kw_keys_entry_new(const kw_key_rec *r, kw_keys_entry **out)
{
	kw_rc rc = KW_E_NOMEM;
	size_t n = r->info.version_count;
	kw_keys_entry *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return KW_E_NOMEM;
	atomic_init(&e->refs, 1);
	atomic_init(&e->referenced, true);
	rc = kw_keys_info_copy(&r->info, &e->info);
	if (rc != KW_OK)
		goto out;
	if (r->info.state != KW_KEY_DESTROYED) {
		rc = KW_E_INVALID;
		if (r->material == NULL)
			goto out;
		rc = KW_E_NOMEM;
		e->ckeys = calloc(n, sizeof(*e->ckeys));
		if (e->ckeys == NULL)
			goto out;
		for (size_t i = 0; i < n; i++) {
			const kw_secret *m = r->material[i];
			rc = kw_ckey_from_private(r->info.type, m->data, m->len,
						  &e->ckeys[i]);
			/* The record opened, so its material is ours: not
			 * parsing is corruption, not bad input. */
			if (rc == KW_E_INVALID)
				rc = KW_E_INTEGRITY;
			if (rc != KW_OK)
				goto out;
		}
	}
	*out = e;
	e = NULL;
	rc = KW_OK;
out:
	if (e != NULL)
		entry_free(e);
	return rc;
}

/* ---- hash tables ------------------------------------------------------- */

static inline size_t shard_of(const kw_keys_cache *c, uint64_t h)
{
	return (size_t)(h >> 40) & (c->nshards - 1);
}

static uint64_t id_hash(const kw_keys_cache *c, const char *id)
{
	return kw_keys_hash(c->hkey, id, strlen(id));
}

/* Hash of partition "/" name (unambiguous: neither may hold a '/'). */
static uint64_t name_hash(const kw_keys_cache *c, const char *partition,
			  const char *name)
{
	char buf[NAME_KEY_MAX];
	size_t pl = strnlen(partition, KW_NAME_MAX);
	size_t nl = strnlen(name, KW_NAME_MAX);
	memcpy(buf, partition, pl);
	buf[pl] = '/';
	memcpy(buf + pl + 1, name, nl);
	return kw_keys_hash(c->hkey, buf, pl + 1 + nl);
}

/* Doubles a table when it holds more entries than buckets; a failed
 * allocation just leaves the chains longer. next_of picks the chain link. */
static void table_grow(kw_keys_entry ***buckets, size_t *nbuckets, size_t count,
		       bool by_name)
{
	if (count <= *nbuckets)
		return;
	size_t nb = *nbuckets * 2;
	kw_keys_entry **nt = calloc(nb, sizeof(*nt));
	if (nt == NULL)
		return;
	for (size_t i = 0; i < *nbuckets; i++) {
		kw_keys_entry *e = (*buckets)[i];
		while (e != NULL) {
			kw_keys_entry **link =
				by_name ? &e->name_next : &e->id_next;
			kw_keys_entry *next = *link;
			size_t b = (by_name ? e->name_hash : e->id_hash) &
				   (nb - 1);
			*link = nt[b];
			nt[b] = e;
			e = next;
		}
	}
	free(*buckets);
	*buckets = nt;
	*nbuckets = nb;
}

/* Unlinks e from its id shard s (locked by the caller) and from the name
 * index; the cache's reference passes to the caller. */
static void unlink_locked(kw_keys_cache *c, id_shard *s, kw_keys_entry *e)
{
	kw_keys_entry **pp = &s->buckets[e->id_hash & (s->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->id_next;
	*pp = e->id_next;
	if (e->ring_next == e) {
		s->hand = NULL;
	} else {
		if (s->hand == e)
			s->hand = e->ring_next;
		e->ring_prev->ring_next = e->ring_next;
		e->ring_next->ring_prev = e->ring_prev;
	}
	s->count--;

	name_shard *ns = &c->names[shard_of(c, e->name_hash)];
	pthread_mutex_lock(&ns->mu);
	pp = &ns->buckets[e->name_hash & (ns->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->name_next;
	*pp = e->name_next;
	ns->count--;
	pthread_mutex_unlock(&ns->mu);

	e->linked = false;
	e->id_next = e->name_next = e->ring_prev = e->ring_next = NULL;
	atomic_fetch_sub(&c->count, 1);
}

/* Links e into shard s (locked by the caller) and the name index, using a
 * slot reserved with reserve_slot(); the cache takes a reference. */
static void link_locked(kw_keys_cache *c, id_shard *s, kw_keys_entry *e)
{
	atomic_fetch_add(&e->refs, 1);
	s->count++;
	table_grow(&s->buckets, &s->nbuckets, s->count, false);
	size_t b = e->id_hash & (s->nbuckets - 1);
	e->id_next = s->buckets[b];
	s->buckets[b] = e;
	if (s->hand == NULL) {
		e->ring_prev = e->ring_next = e;
		s->hand = e;
	} else {
		/* Just behind the hand: the last the hand will reach. */
		e->ring_next = s->hand;
		e->ring_prev = s->hand->ring_prev;
		e->ring_prev->ring_next = e;
		s->hand->ring_prev = e;
	}

	name_shard *ns = &c->names[shard_of(c, e->name_hash)];
	pthread_mutex_lock(&ns->mu);
	ns->count++;
	table_grow(&ns->buckets, &ns->nbuckets, ns->count, true);
	b = e->name_hash & (ns->nbuckets - 1);
	e->name_next = ns->buckets[b];
	ns->buckets[b] = e;
	pthread_mutex_unlock(&ns->mu);

	e->linked = true;
}

/* The CLOCK victim of a non-empty shard: the first entry at or after the
 * hand not used since the hand last passed it. */
static kw_keys_entry *clock_victim(id_shard *s)
{
	for (;;) {
		kw_keys_entry *e = s->hand;
		if (!atomic_exchange_explicit(&e->referenced, false,
					      memory_order_relaxed))
			return e;
		s->hand = e->ring_next;
	}
}

/* Takes one slot of the bound for an insert into shard `home`, evicting
 * while the cache is full: from home first, then from the other shards in
 * turn. False if nothing could be evicted (every slot is reserved by
 * inserts in flight); the caller then does not cache. Takes one shard lock
 * at a time, none held on entry. */
static bool reserve_slot(kw_keys_cache *c, id_shard *home)
{
	for (size_t tries = 0; tries <= c->nshards; tries++) {
		size_t n = atomic_load(&c->count);
		while (n < c->max) {
			if (atomic_compare_exchange_weak(&c->count, &n,
							 n + 1)) {
				size_t peak = atomic_load(&c->peak);
				while (n + 1 > peak &&
				       !atomic_compare_exchange_weak(
					       &c->peak, &peak, n + 1))
					;
				return true;
			}
		}
		id_shard *s =
			tries == 0
				? home
				: &c->ids[atomic_fetch_add(&c->evict_next, 1) &
					  (c->nshards - 1)];
		kw_keys_entry *victim = NULL;
		pthread_mutex_lock(&s->mu);
		if (s->hand != NULL) {
			victim = clock_victim(s);
			unlink_locked(c, s, victim);
		}
		pthread_mutex_unlock(&s->mu);
		kw_keys_entry_release(victim);
	}
	return false;
}

static kw_keys_entry *find_by_id(id_shard *s, uint64_t h, const char *id)
{
	kw_keys_entry *e = s->buckets[h & (s->nbuckets - 1)];
	while (e != NULL && (e->id_hash != h || strcmp(e->info->id, id) != 0))
		e = e->id_next;
	return e;
}

/* ---- the cache ----------------------------------------------------------- */

kw_rc kw_keys_cache_new(size_t max, kw_keys_cache **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_keys_cache *c = NULL;
	if (max == 0 || out == NULL)
		goto out;
	rc = KW_E_NOMEM;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out;
	c->max = max;
	c->nshards = 1;
	/* Enough shards to spread the locks, few enough that each holds a
	 * useful share of the bound. */
	while (c->nshards * 2 <= SHARDS_MAX &&
	       c->nshards * 2 * SHARD_MIN_ENTRIES <= max)
		c->nshards *= 2;
	atomic_init(&c->gen, 1);
	atomic_init(&c->count, 0);
	atomic_init(&c->peak, 0);
	atomic_init(&c->evict_next, 0);
	c->ids = aligned_alloc(CACHE_LINE, c->nshards * sizeof(*c->ids));
	c->names = aligned_alloc(CACHE_LINE, c->nshards * sizeof(*c->names));
	if (c->ids == NULL || c->names == NULL)
		goto out;
	memset(c->ids, 0, c->nshards * sizeof(*c->ids));
	memset(c->names, 0, c->nshards * sizeof(*c->names));
	for (size_t i = 0; i < c->nshards; i++) {
		id_shard *s = &c->ids[i];
		name_shard *ns = &c->names[i];
		pthread_mutex_init(&s->mu, NULL);
		pthread_mutex_init(&ns->mu, NULL);
		s->nbuckets = ns->nbuckets = BUCKETS_INITIAL;
		s->buckets = calloc(BUCKETS_INITIAL, sizeof(*s->buckets));
		ns->buckets = calloc(BUCKETS_INITIAL, sizeof(*ns->buckets));
		if (s->buckets == NULL || ns->buckets == NULL)
			goto out;
	}
	rc = kw_random(c->hkey, sizeof(c->hkey));
	if (rc != KW_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	kw_keys_cache_free(c);
	return rc;
}

void kw_keys_cache_free(kw_keys_cache *c)
{
	if (c == NULL)
		return;
	if (c->ids != NULL && c->names != NULL) {
		kw_keys_cache_clear(c);
		for (size_t i = 0; i < c->nshards; i++) {
			free(c->ids[i].buckets);
			free(c->names[i].buckets);
			pthread_mutex_destroy(&c->ids[i].mu);
			pthread_mutex_destroy(&c->names[i].mu);
		}
	}
	free(c->ids);
	free(c->names);
	kw_wipe(c->hkey, sizeof(c->hkey));
	free(c);
}

kw_keys_entry *kw_keys_cache_get(kw_keys_cache *c, const char *partition,
				 const char *name_or_id)
{
	kw_keys_entry *e = NULL;
	if (kw_keys_id_valid(name_or_id)) {
		uint64_t h = id_hash(c, name_or_id);
		id_shard *s = &c->ids[shard_of(c, h)];
		pthread_mutex_lock(&s->mu);
		e = find_by_id(s, h, name_or_id);
		/* Ids are global; a key is only visible in its partition. */
		if (e != NULL && strcmp(e->info->partition, partition) != 0)
			e = NULL;
		if (e != NULL)
			atomic_fetch_add(&e->refs, 1);
		pthread_mutex_unlock(&s->mu);
	} else {
		uint64_t h = name_hash(c, partition, name_or_id);
		name_shard *ns = &c->names[shard_of(c, h)];
		pthread_mutex_lock(&ns->mu);
		e = ns->buckets[h & (ns->nbuckets - 1)];
		while (e != NULL &&
		       (e->name_hash != h ||
			strcmp(e->info->name, name_or_id) != 0 ||
			strcmp(e->info->partition, partition) != 0))
			e = e->name_next;
		if (e != NULL)
			atomic_fetch_add(&e->refs, 1);
		pthread_mutex_unlock(&ns->mu);
	}
	/* Read first: a hot entry's cache line is not written on every hit. */
	if (e != NULL &&
	    !atomic_load_explicit(&e->referenced, memory_order_relaxed))
		atomic_store_explicit(&e->referenced, true,
				      memory_order_relaxed);
	return e;
}

uint64_t kw_keys_cache_gen(kw_keys_cache *c)
{
	return atomic_load(&c->gen);
}

void kw_keys_cache_insert(kw_keys_cache *c, kw_keys_entry *e, uint64_t gen)
{
	kw_keys_entry *old = NULL;
	e->id_hash = id_hash(c, e->info->id);
	e->name_hash = name_hash(c, e->info->partition, e->info->name);
	id_shard *s = &c->ids[shard_of(c, e->id_hash)];

	if (atomic_load(&c->gen) != gen || !reserve_slot(c, s))
		return;
	bool reserved = true;
	pthread_mutex_lock(&s->mu);
	/* Checked under the shard lock that invalidate also holds when it
	 * bumps the generation: either we see the bump, or it sees us. */
	if (atomic_load(&c->gen) != gen || e->linked)
		goto out;
	old = find_by_id(s, e->id_hash, e->info->id);
	if (old != NULL &&
	    old->info->record_version >= e->info->record_version) {
		old = NULL;
		goto out;
	}
	if (old != NULL)
		unlink_locked(c, s, old);
	link_locked(c, s, e);
	reserved = false;
out:
	pthread_mutex_unlock(&s->mu);
	if (reserved)
		atomic_fetch_sub(&c->count, 1);
	/* Outside the lock: the last release wipes keys, which takes time. */
	kw_keys_entry_release(old);
}

bool kw_keys_cache_invalidate(kw_keys_cache *c, const char *id,
			      uint64_t committed, uint64_t *out_gen)
{
	uint64_t h = id_hash(c, id);
	id_shard *s = &c->ids[shard_of(c, h)];
	pthread_mutex_lock(&s->mu);
	uint64_t gen = atomic_fetch_add(&c->gen, 1) + 1;
	kw_keys_entry *e = find_by_id(s, h, id);
	bool cached = e != NULL;
	/* A newer commit may already have put its copy in. */
	if (e != NULL && e->info->record_version < committed)
		unlink_locked(c, s, e);
	else
		e = NULL;
	pthread_mutex_unlock(&s->mu);
	kw_keys_entry_release(e);
	*out_gen = gen;
	return cached;
}

void kw_keys_cache_clear(kw_keys_cache *c)
{
	if (c == NULL)
		return;
	/* Loads that started before the flush must not insert after it. */
	atomic_fetch_add(&c->gen, 1);
	for (size_t i = 0; i < c->nshards; i++) {
		id_shard *s = &c->ids[i];
		kw_keys_entry *list = NULL;
		pthread_mutex_lock(&s->mu);
		while (s->hand != NULL) {
			kw_keys_entry *e = s->hand;
			unlink_locked(c, s, e);
			e->id_next = list;
			list = e;
		}
		pthread_mutex_unlock(&s->mu);
		while (list != NULL) {
			kw_keys_entry *next = list->id_next;
			kw_keys_entry_release(list);
			list = next;
		}
	}
}

size_t kw_keys_cache_count(kw_keys_cache *c)
{
	return atomic_load(&c->count);
}

size_t kw_keys_cache_peak(kw_keys_cache *c)
{
	return atomic_load(&c->peak);
}
