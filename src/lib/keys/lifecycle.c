/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "keys/internal.h"

/*
 * Changes to a key: rotation, state transitions, scheduled destruction and
 * metadata. Each is a change function run by kw_keys_change inside one
 * write transaction with compare-and-swap on the record version; a change
 * function may run more than once (a lost race is retried), so it takes
 * nothing from its argument.
 */

#define DESTROY_WAIT_MAX_S (365ull * 86400)

static int64_t next_rotation(uint64_t period, int64_t now)
{
	return period > 0 ? now + (int64_t)period : 0;
}

/* ---- rotation ------------------------------------------------------------ */

typedef struct rotate_arg {
	const kw_secret *material; /* the new version's, generated up front */
	kw_key_type type;
} rotate_arg;

static kw_rc rotate_fn(kw_key_rec *r, int64_t now, void *arg)
{
	const rotate_arg *a = arg;
	kw_key_info *k = &r->info;
	size_t n = k->version_count;
	if (k->state != KW_KEY_ACTIVE)
		return KW_E_STATE;
	if (n >= KW_KEY_VERSIONS_MAX)
		return KW_E_LIMIT;
	if (k->type != a->type)
		return KW_E_INTERNAL; /* types never change */
	kw_key_version_info *v = realloc(k->versions, (n + 1) * sizeof(*v));
	if (v == NULL)
		return KW_E_NOMEM;
	k->versions = v;
	kw_secret **m = realloc(r->material, (n + 1) * sizeof(*m));
	if (m == NULL)
		return KW_E_NOMEM;
	r->material = m;
	m[n] = NULL;
	kw_rc rc = kw_secret_from(a->material->data, a->material->len, &m[n]);
	if (rc != KW_OK)
		return rc;
	v[n].version = (uint32_t)n + 1;
	v[n].created = now;
	k->version_count = n + 1;
	k->primary_version = (uint32_t)n + 1;
	k->next_rotation = next_rotation(k->rotation_period_s, now);
	return KW_OK;
}

kw_rc kw_key_rotate(kw_keys *ks, const char *partition, const char *name,
		    kw_key_info **out)
{
	kw_rc rc;
	kw_key_info *cur = NULL;
	kw_ckey *k = NULL;
	kw_secret *material = NULL;
	rc = kw_key_get(ks, partition, name, &cur);
	if (rc != KW_OK)
		goto out;
	/* Refused before the (possibly slow) key generation; checked again
	 * inside the transaction. */
	rc = KW_E_STATE;
	if (cur->state != KW_KEY_ACTIVE)
		goto out;
	rc = KW_E_LIMIT;
	if (cur->version_count >= KW_KEY_VERSIONS_MAX)
		goto out;
	/* Generated outside the write transaction, which would otherwise
	 * block every other writer for the length of an RSA generation. */
	rc = kw_ckey_generate(cur->type, &k);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_private_export(k, &material);
	if (rc != KW_OK)
		goto out;
	rotate_arg a = {.material = material, .type = cur->type};
	rc = kw_keys_change(ks, partition, name, rotate_fn, &a, out);
out:
	kw_secret_free(material);
	kw_ckey_free(k);
	kw_key_info_free(cur);
	return rc;
}

/* ---- states -------------------------------------------------------------- */

/* Erases every version's material (kw_secret_free wipes it). */
static void make_tombstone(kw_key_rec *r)
{
	for (size_t i = 0; i < r->info.version_count; i++) {
		kw_secret_free(r->material[i]);
		r->material[i] = NULL;
	}
	r->info.state = KW_KEY_DESTROYED;
	r->info.next_rotation = 0;
}

static kw_rc set_state_fn(kw_key_rec *r, int64_t now, void *arg)
{
	kw_key_state to = *(const kw_key_state *)arg;
	kw_key_info *k = &r->info;
	if (!kw_keys_transition_allowed(k->state, to))
		return KW_E_STATE;
	if (k->state == KW_KEY_PENDING_DESTRUCTION)
		k->destroy_after = 0; /* cancelled */
	if (k->state == KW_KEY_PRE_ACTIVE && to == KW_KEY_ACTIVE)
		k->next_rotation = next_rotation(k->rotation_period_s, now);
	k->state = to;
	return KW_OK;
}

kw_rc kw_key_set_state(kw_keys *ks, const char *partition, const char *name,
		       kw_key_state to, kw_key_info **out)
{
	/* Destruction has its own functions: one with a waiting period, one
	 * run by the scheduler when it ends. */
	if (to != KW_KEY_PRE_ACTIVE && to != KW_KEY_ACTIVE &&
	    to != KW_KEY_DISABLED && to != KW_KEY_COMPROMISED)
		return KW_E_INVALID;
	return kw_keys_change(ks, partition, name, set_state_fn, &to, out);
}

static kw_rc schedule_fn(kw_key_rec *r, int64_t now, void *arg)
{
	uint64_t wait = *(const uint64_t *)arg;
	kw_key_info *k = &r->info;
	if (!kw_keys_transition_allowed(k->state, KW_KEY_PENDING_DESTRUCTION))
		return KW_E_STATE;
	k->state = KW_KEY_PENDING_DESTRUCTION;
	k->destroy_after = now + (int64_t)wait;
	if (wait == 0)
		make_tombstone(r);
	return KW_OK;
}

kw_rc kw_key_schedule_destroy(kw_keys *ks, const char *partition,
			      const char *name, uint64_t waiting_s,
			      kw_key_info **out)
{
	if (waiting_s > DESTROY_WAIT_MAX_S)
		return KW_E_INVALID;
	return kw_keys_change(ks, partition, name, schedule_fn, &waiting_s,
			      out);
}

typedef struct due_key {
	char partition[KW_NAME_MAX + 1];
	char id[KW_KEY_ID_LEN + 1];
} due_key;

typedef struct due_ctx {
	int64_t now;
	due_key *keys;
	size_t n, cap;
} due_ctx;

static bool is_due(const kw_key_info *k, int64_t now)
{
	return k->state == KW_KEY_PENDING_DESTRUCTION &&
	       k->destroy_after <= now;
}

static kw_rc due_collect(kw_key_rec **r, void *arg, bool *stop)
{
	due_ctx *c = arg;
	(void)stop;
	if (!is_due(&(*r)->info, c->now))
		return KW_OK;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		due_key *nk = realloc(c->keys, ncap * sizeof(*nk));
		if (nk == NULL)
			return KW_E_NOMEM;
		c->keys = nk;
		c->cap = ncap;
	}
	memcpy(c->keys[c->n].partition, (*r)->info.partition,
	       sizeof(c->keys[c->n].partition));
	memcpy(c->keys[c->n].id, (*r)->info.id, sizeof(c->keys[c->n].id));
	c->n++;
	return KW_OK;
}

static kw_rc destroy_fn(kw_key_rec *r, int64_t now, void *arg)
{
	(void)now;
	/* Cancelled or rescheduled since the scan: not ours to destroy. */
	if (!is_due(&r->info, *(const int64_t *)arg))
		return KW_E_STATE;
	make_tombstone(r);
	return KW_OK;
}

kw_rc kw_key_destroy_due(kw_keys *ks, int64_t now, size_t *out_count)
{
	kw_rc rc = KW_E_INVALID;
	due_ctx c = {.now = now};
	size_t done = 0;
	if (ks == NULL)
		goto out;
	rc = kw_keys_check_unsealed(ks);
	if (rc != KW_OK)
		goto out;
	/* A sweep over every key: the scheduler runs it rarely; an index on
	 * state would need one in the store too. */
	rc = kw_keys_scan(ks, NULL, NULL, due_collect, &c);
	for (size_t i = 0; rc == KW_OK && i < c.n; i++) {
		kw_rc one =
			kw_keys_change(ks, c.keys[i].partition, c.keys[i].id,
				       destroy_fn, &now, NULL);
		if (one == KW_OK)
			done++;
		else if (one != KW_E_STATE && one != KW_E_NOT_FOUND)
			rc = one;
	}
	if (rc == KW_OK && out_count != NULL)
		*out_count = done;
out:
	free(c.keys);
	return rc;
}

/* ---- metadata ------------------------------------------------------------ */

static kw_rc update_fn(kw_key_rec *r, int64_t now, void *arg)
{
	const kw_key_update *u = arg;
	kw_key_info *k = &r->info;
	kw_label *labels = NULL;
	char *policy = NULL;
	kw_rc rc = KW_E_STATE;
	if (k->state == KW_KEY_DESTROYED)
		goto out;
	/* Usages only narrow; exportable only goes to false (there is no
	 * way to ask for true). */
	if (u->set_usages && (u->usages & ~k->usages) != 0)
		goto out;
	rc = KW_E_NOMEM;
	if (u->set_labels) {
		labels = calloc(u->label_count + 1, sizeof(*labels));
		if (labels == NULL)
			goto out;
		for (size_t i = 0; i < u->label_count; i++) {
			labels[i].key = strdup(u->labels[i].key);
			labels[i].value = strdup(u->labels[i].value);
			if (labels[i].key == NULL || labels[i].value == NULL)
				goto out;
		}
	}
	if (u->set_policy && u->policy != NULL &&
	    (policy = strdup(u->policy)) == NULL)
		goto out;

	if (u->set_usages)
		k->usages = u->usages;
	if (u->set_exportable_false)
		k->exportable = false;
	if (u->set_rotation) {
		k->rotation_period_s = u->rotation_period_s;
		k->next_rotation =
			k->state == KW_KEY_PRE_ACTIVE
				? 0
				: next_rotation(u->rotation_period_s, now);
	}
	if (u->set_labels) {
		kw_label *old = k->labels;
		size_t old_n = k->label_count;
		k->labels = labels;
		k->label_count = u->label_count;
		labels = old;
		for (size_t i = 0; i < old_n; i++) {
			free(old[i].key);
			free(old[i].value);
			old[i].key = old[i].value = NULL;
		}
	}
	if (u->set_policy) {
		char *old = k->policy;
		k->policy = policy;
		policy = old;
	}
	rc = KW_OK;
out:
	if (labels != NULL && rc != KW_OK)
		for (size_t i = 0; i < u->label_count; i++) {
			free(labels[i].key);
			free(labels[i].value);
		}
	free(labels);
	free(policy);
	return rc;
}

kw_rc kw_key_update_meta(kw_keys *ks, const char *partition, const char *name,
			 const kw_key_update *u, kw_key_info **out)
{
	kw_rc rc = KW_E_INVALID;
	if (u == NULL || !(u->set_exportable_false || u->set_rotation ||
			   u->set_labels || u->set_policy || u->set_usages))
		goto out;
	rc = KW_E_LIMIT;
	if ((u->set_labels && u->label_count > KW_LABELS_MAX) ||
	    (u->set_policy && u->policy != NULL &&
	     strnlen(u->policy, KW_POLICY_MAX + 1) > KW_POLICY_MAX))
		goto out;
	rc = KW_E_INVALID;
	if ((u->set_labels &&
	     !kw_keys_labels_valid(u->labels, u->label_count)) ||
	    (u->set_policy && !kw_keys_policy_valid(u->policy)) ||
	    (u->set_rotation && u->rotation_period_s > KW_KEY_ROTATION_MAX_S) ||
	    (u->set_usages &&
	     (u->usages == 0 || (u->usages & ~(uint32_t)KW_USAGE_ALL_) != 0)))
		goto out;
	rc = kw_keys_change(ks, partition, name, update_fn, (void *)u, out);
out:
	return rc;
}
