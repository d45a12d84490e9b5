/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "store/mem/table.h"

typedef int (*rec_cmp)(const kw_store_rec *a, const kw_store_rec *b);

/* Record ids are printable ASCII, so strcmp() orders them byte-wise, the
 * same order as SQLite's BINARY collation. */
static int cmp_id(const kw_store_rec *a, const kw_store_rec *b)
{
	return strcmp(a->id, b->id);
}

static int cmp_lookup(const kw_store_rec *a, const kw_store_rec *b)
{
	return memcmp(a->lookup, b->lookup, KW_STORE_TAG_LEN);
}

static int cmp_group_only(const kw_store_rec *a, const kw_store_rec *b)
{
	return memcmp(a->group, b->group, KW_STORE_TAG_LEN);
}

static int cmp_group(const kw_store_rec *a, const kw_store_rec *b)
{
	int c = cmp_group_only(a, b);
	return c != 0 ? c : strcmp(a->id, b->id);
}

/* The first position whose element is >= probe (or > probe if upper). */
static size_t bound(const kw_mem_index *ix, rec_cmp cmp,
		    const kw_store_rec *probe, bool upper)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(&ix->v[mid]->r, probe);
		if (c < 0 || (upper && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Position of the element equal to probe, or ix->n. */
static size_t find(const kw_mem_index *ix, rec_cmp cmp,
		   const kw_store_rec *probe)
{
	size_t pos = bound(ix, cmp, probe, false);
	if (pos < ix->n && cmp(&ix->v[pos]->r, probe) == 0)
		return pos;
	return ix->n;
}

static kw_rc index_reserve(kw_mem_index *ix, size_t want)
{
	if (want <= ix->cap)
		return KW_OK;
	size_t cap = ix->cap < 16 ? 16 : ix->cap;
	while (cap < want)
		cap *= 2;
	kw_mem_rec **v = realloc(ix->v, cap * sizeof(*v));
	if (v == NULL)
		return KW_E_NOMEM;
	ix->v = v;
	ix->cap = cap;
	return KW_OK;
}

static kw_rc index_copy(kw_mem_index *dst, const kw_mem_index *src)
{
	kw_rc rc = index_reserve(dst, src->n);
	if (rc != KW_OK)
		return rc;
	if (src->n != 0)
		memcpy(dst->v, src->v, src->n * sizeof(*src->v));
	dst->n = src->n;
	return KW_OK;
}

/* Capacity must have been reserved. */
static void index_insert(kw_mem_index *ix, rec_cmp cmp, kw_mem_rec *rec)
{
	assert(ix->n < ix->cap);
	size_t pos = bound(ix, cmp, &rec->r, false);
	memmove(&ix->v[pos + 1], &ix->v[pos], (ix->n - pos) * sizeof(*ix->v));
	ix->v[pos] = rec;
	ix->n++;
}

static void index_remove(kw_mem_index *ix, rec_cmp cmp,
			 const kw_store_rec *probe)
{
	size_t pos = find(ix, cmp, probe);
	assert(pos < ix->n);
	memmove(&ix->v[pos], &ix->v[pos + 1],
		(ix->n - pos - 1) * sizeof(*ix->v));
	ix->n--;
}

kw_rc kw_mem_rec_new(const kw_store_rec *src, kw_mem_rec **out)
{
	kw_rc rc = KW_E_NOMEM;
	kw_mem_rec *r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto out;
	r->r = *src;
	r->r.data = NULL;
	if (src->data_len != 0) {
		r->r.data = malloc(src->data_len);
		if (r->r.data == NULL)
			goto out;
		memcpy(r->r.data, src->data, src->data_len);
	}
	atomic_init(&r->refs, 1);
	*out = r;
	r = NULL;
	rc = KW_OK;
out:
	free(r);
	return rc;
}

kw_mem_rec *kw_mem_rec_retain(kw_mem_rec *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	return r;
}

void kw_mem_rec_release(kw_mem_rec *r)
{
	if (r == NULL ||
	    atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(r->r.data);
	free(r);
}

kw_rc kw_mem_rec_copy_out(const kw_mem_rec *r, kw_store_rec *out)
{
	uint8_t *data = NULL;
	if (r->r.data_len != 0) {
		data = malloc(r->r.data_len);
		if (data == NULL)
			return KW_E_NOMEM;
		memcpy(data, r->r.data, r->r.data_len);
	}
	*out = r->r;
	out->data = data;
	return KW_OK;
}

kw_rc kw_mem_table_clone(const kw_mem_table *base, kw_mem_table **out)
{
	kw_rc rc = KW_E_NOMEM;
	kw_mem_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto out;
	atomic_init(&t->refs, 1);
	if (base != NULL) {
		rc = index_copy(&t->by_id, &base->by_id);
		if (rc == KW_OK)
			rc = index_copy(&t->by_lookup, &base->by_lookup);
		if (rc == KW_OK)
			rc = index_copy(&t->by_group, &base->by_group);
		if (rc != KW_OK) {
			t->by_id.n = 0; /* no references taken yet */
			goto out;
		}
		for (size_t i = 0; i < t->by_id.n; i++)
			kw_mem_rec_retain(t->by_id.v[i]);
	}
	*out = t;
	t = NULL;
	rc = KW_OK;
out:
	kw_mem_table_release(t);
	return rc;
}

kw_mem_table *kw_mem_table_retain(kw_mem_table *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

void kw_mem_table_release(kw_mem_table *t)
{
	if (t == NULL ||
	    atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < t->by_id.n; i++)
		kw_mem_rec_release(t->by_id.v[i]);
	free(t->by_id.v);
	free(t->by_lookup.v);
	free(t->by_group.v);
	free(t);
}

kw_mem_rec *kw_mem_table_get(const kw_mem_table *t, const char *id)
{
	if (t == NULL)
		return NULL;
	kw_store_rec probe;
	strcpy(probe.id, id); /* the wrapper checked the length */
	size_t pos = find(&t->by_id, cmp_id, &probe);
	return pos < t->by_id.n ? t->by_id.v[pos] : NULL;
}

kw_mem_rec *kw_mem_table_get_by_lookup(const kw_mem_table *t,
				       const uint8_t lookup[KW_STORE_TAG_LEN])
{
	if (t == NULL)
		return NULL;
	kw_store_rec probe;
	memcpy(probe.lookup, lookup, KW_STORE_TAG_LEN);
	size_t pos = find(&t->by_lookup, cmp_lookup, &probe);
	return pos < t->by_lookup.n ? t->by_lookup.v[pos] : NULL;
}

kw_mem_rec *kw_mem_table_next(const kw_mem_table *t, const uint8_t *group,
			      const char *after)
{
	if (t == NULL)
		return NULL;
	kw_store_rec probe;
	strcpy(probe.id, after != NULL ? after : "");
	const kw_mem_index *ix = &t->by_id;
	rec_cmp cmp = cmp_id;
	if (group != NULL) {
		memcpy(probe.group, group, KW_STORE_TAG_LEN);
		ix = &t->by_group;
		cmp = cmp_group;
	}
	size_t pos = bound(ix, cmp, &probe, true);
	if (pos >= ix->n)
		return NULL;
	if (group != NULL && cmp_group_only(&ix->v[pos]->r, &probe) != 0)
		return NULL;
	return ix->v[pos];
}

uint64_t kw_mem_table_count(const kw_mem_table *t, const uint8_t *group)
{
	if (t == NULL)
		return 0;
	if (group == NULL)
		return t->by_id.n;
	kw_store_rec probe;
	memcpy(probe.group, group, KW_STORE_TAG_LEN);
	return bound(&t->by_group, cmp_group_only, &probe, true) -
	       bound(&t->by_group, cmp_group_only, &probe, false);
}

kw_rc kw_mem_table_put(kw_mem_table *t, kw_mem_rec *rec)
{
	kw_rc rc = KW_E_NOMEM;
	/* Reserve first, so nothing below can fail half-way. */
	if (index_reserve(&t->by_id, t->by_id.n + 1) != KW_OK ||
	    index_reserve(&t->by_lookup, t->by_lookup.n + 1) != KW_OK ||
	    index_reserve(&t->by_group, t->by_group.n + 1) != KW_OK)
		goto out;
	size_t pos = find(&t->by_id, cmp_id, &rec->r);
	kw_mem_rec *old = NULL;
	if (pos < t->by_id.n) {
		old = t->by_id.v[pos];
		t->by_id.v[pos] = rec;
		if (old->r.has_lookup)
			index_remove(&t->by_lookup, cmp_lookup, &old->r);
		if (old->r.has_group)
			index_remove(&t->by_group, cmp_group, &old->r);
	} else {
		index_insert(&t->by_id, cmp_id, rec);
	}
	if (rec->r.has_lookup)
		index_insert(&t->by_lookup, cmp_lookup, rec);
	if (rec->r.has_group)
		index_insert(&t->by_group, cmp_group, rec);
	kw_mem_rec_release(old);
	rc = KW_OK;
out:
	return rc;
}

void kw_mem_table_delete(kw_mem_table *t, const char *id)
{
	kw_mem_rec *old = kw_mem_table_get(t, id);
	assert(old != NULL);
	if (old->r.has_lookup)
		index_remove(&t->by_lookup, cmp_lookup, &old->r);
	if (old->r.has_group)
		index_remove(&t->by_group, cmp_group, &old->r);
	index_remove(&t->by_id, cmp_id, &old->r);
	kw_mem_rec_release(old);
}
