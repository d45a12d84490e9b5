/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_KEYS_INTERNAL_H
#define KW_KEYS_INTERNAL_H

/*
 * Shared inside src/lib/keys only: the key record (plaintext of a KW_REC_KEY
 * record), its TLV tags, the cache of unsealed keys and the rules tables.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "keywarden/keys.h"

/* ---- record plaintext (TLV, util/tlv.h) -------------------------------- */

/*
 * Top-level tags of a key record, written in ascending order. Every tag
 * appears at most once, except LABEL and VERSION which repeat (in label
 * order and in version order). Numbers are stored in every database: append
 * only, never renumber.
 */
enum {
	KW_KT_FORMAT = 1,	  /* u64, KW_KEY_REC_FORMAT */
	KW_KT_ID = 2,		  /* str, "k-" + 32 hex */
	KW_KT_PARTITION = 3,	  /* str, name rules */
	KW_KT_NAME = 4,		  /* str, name rules */
	KW_KT_TYPE = 5,		  /* u64, kw_key_type */
	KW_KT_USAGES = 6,	  /* u64, subset of the type's usages */
	KW_KT_STATE = 7,	  /* u64, kw_key_state (not NONE) */
	KW_KT_EXPORTABLE = 8,	  /* u64, 0 or 1 */
	KW_KT_PRIMARY = 9,	  /* u64, a version present */
	KW_KT_ROTATION = 10,	  /* u64, seconds (0 = none) */
	KW_KT_NEXT_ROTATION = 11, /* i64 */
	KW_KT_CREATED = 12,	  /* i64 */
	KW_KT_UPDATED = 13,	  /* i64 */
	KW_KT_DESTROY_AFTER = 14, /* i64 */
	KW_KT_LABEL = 15,	  /* nested: LABEL_KEY, LABEL_VALUE */
	KW_KT_POLICY = 16,	  /* str, optional */
	KW_KT_VERSION = 17, /* nested: VER_NUMBER, VER_CREATED, VER_MATERIAL */
	KW_KT_MAX_ = KW_KT_VERSION /* highest top-level tag */
};

/* Tags inside a LABEL item. Both required, in this order. */
enum {
	KW_KT_LABEL_KEY = 1,   /* str, 1..KW_LABEL_MAX */
	KW_KT_LABEL_VALUE = 2, /* str, 0..KW_LABEL_MAX */
};

/* Tags inside a VERSION item, in this order. NUMBER and CREATED required;
 * MATERIAL is required unless the key is destroyed, and absent if it is. */
enum {
	KW_KT_VER_NUMBER = 1,	/* u64, versions are 1..n in order */
	KW_KT_VER_CREATED = 2,	/* i64 */
	KW_KT_VER_MATERIAL = 3, /* bytes, kw_ckey_private_export() */
};

#define KW_KEY_REC_FORMAT 1
/* Largest private encoding accepted in a record (RSA-4096 PKCS#8 is about
 * 2.4 KiB). */
#define KW_KEY_MATERIAL_MAX 8192

/* The decoded plaintext: metadata and, per version, its material (NULL in a
 * tombstone, or when decoded without material). */
typedef struct kw_key_rec {
	kw_key_info info;
	kw_secret **material; /* [info.version_count] */
} kw_key_rec;

/* Encodes r into a new secret. KW_OK, KW_E_INVALID (r inconsistent: no
 * version, material missing on a live key), KW_E_NOMEM, KW_E_LIMIT. */
kw_rc kw_keys_rec_encode(const kw_key_rec *r, kw_secret **out);

/*
 * Decodes a record plaintext strictly: an unknown or duplicated tag, a
 * missing required field, an out-of-range value, a bad name or id, versions
 * not numbered 1..n, or material present in a tombstone / absent in a live
 * key give KW_E_INTEGRITY. With want_material false the material is checked
 * for presence but not copied. info.record_version is left 0 (it is the
 * store's). KW_OK, KW_E_INVALID (NULL args), KW_E_INTEGRITY, KW_E_NOMEM.
 */
kw_rc kw_keys_rec_decode(const uint8_t *p, size_t len, bool want_material,
			 kw_key_rec **out);

/* Frees (wiping the material). NULL is allowed. */
void kw_keys_rec_free(kw_key_rec *r);

/* A deep copy of the metadata of in (never material). */
kw_rc kw_keys_info_copy(const kw_key_info *in, kw_key_info **out);
/* Releases what a kw_key_info points to, not the struct itself. */
void kw_keys_info_clear(kw_key_info *k);

/* Longest rotation period accepted. */
#define KW_KEY_ROTATION_MAX_S (100ull * 365 * 86400)

/* ---- rules (state.c) ------------------------------------------------- */

/* [A-Za-z0-9._-], 1..KW_NAME_MAX; for key names also not of the form of a
 * key id, so "name or id" arguments are never ambiguous. */
bool kw_keys_partition_valid(const char *s);
bool kw_keys_name_valid(const char *s);
/* "k-" + 32 lowercase hex. */
bool kw_keys_id_valid(const char *s);
/* Label keys 1..KW_LABEL_MAX bytes, values 0..KW_LABEL_MAX bytes, neither
 * with control characters; keys distinct; at most KW_LABELS_MAX. */
bool kw_keys_labels_valid(const kw_label *l, size_t n);
/* NULL, or 1..KW_POLICY_MAX bytes. */
bool kw_keys_policy_valid(const char *policy);

bool kw_keys_transition_allowed(kw_key_state from, kw_key_state to);

/* Checks that an operation of usage `u` (a single bit) can run on key
 * `info`: KW_E_UNSUPPORTED if the type cannot do it at all, KW_E_STATE if
 * the state forbids it (creating operations - sign, encrypt, wrap, mac -
 * need active; consuming ones - verify, decrypt, unwrap, mac verify -
 * active or compromised), KW_E_DENIED if the key lacks the usage. */
kw_rc kw_keys_op_allowed(const kw_key_info *info, uint32_t u, bool creating);

/* The time now, unix seconds. */
int64_t kw_keys_now(void);

/* ---- the cache of unsealed keys (cache.c) ------------------------------ */

/*
 * One cached key: an immutable snapshot of its metadata and a prepared
 * kw_ckey per version (NULL for a destroyed key). Shared by reference count:
 * the cache holds one reference while the entry is linked, every operation
 * one while it runs. The last release wipes the keys.
 */
typedef struct kw_keys_entry kw_keys_entry;
struct kw_keys_entry {
	atomic_uint refs;
	atomic_bool referenced; /* CLOCK bit, set on every hit */
	uint64_t id_hash;
	uint64_t name_hash;
	kw_keys_entry *id_next;	  /* id bucket chain */
	kw_keys_entry *name_next; /* name bucket chain */
	kw_keys_entry *ring_prev; /* the id shard's CLOCK ring */
	kw_keys_entry *ring_next;
	bool linked;
	kw_key_info *info;
	kw_ckey **ckeys; /* [info->version_count] or NULL */
};

typedef struct kw_keys_cache kw_keys_cache;

/* A cache of at most max entries (max >= 1). */
kw_rc kw_keys_cache_new(size_t max, kw_keys_cache **out);
/* Frees the cache and every entry no operation holds. */
void kw_keys_cache_free(kw_keys_cache *c);

/* The entry for (partition, name_or_id) with a reference taken, or NULL.
 * Lock: one shard mutex for the lookup only. */
kw_keys_entry *kw_keys_cache_get(kw_keys_cache *c, const char *partition,
				 const char *name_or_id);
/* Drops a reference; the last one frees the entry (wiping its keys). */
void kw_keys_entry_release(kw_keys_entry *e);

/* The invalidation generation. A loader reads it before it reads the store
 * and passes it to insert, which refuses the entry if any change was
 * committed (or the cache flushed) in between: a stale copy can never
 * overwrite a newer one. */
uint64_t kw_keys_cache_gen(kw_keys_cache *c);
/* Inserts e (the caller's reference stays the caller's) unless the
 * generation moved since `gen` or a copy of the same or a newer record
 * version is cached. May evict. */
void kw_keys_cache_insert(kw_keys_cache *c, kw_keys_entry *e, uint64_t gen);
/* After the commit of record version `committed` of key `id`: bumps the
 * generation and unlinks the cached entry if it is older. Returns whether
 * the key was cached and, in *out_gen, the generation a replacement must be
 * inserted with. */
bool kw_keys_cache_invalidate(kw_keys_cache *c, const char *id,
			      uint64_t committed, uint64_t *out_gen);
/* Unlinks every entry (each wiped when its last operation ends). */
void kw_keys_cache_clear(kw_keys_cache *c);

/* SipHash-2-4 of data under key (the cache's keyed hash; exposed for its
 * known-answer test). */
uint64_t kw_keys_hash(const uint64_t key[2], const void *data, size_t len);

/* Test-only accessors: entries linked now, and the most ever linked. */
size_t kw_keys_cache_count(kw_keys_cache *c);
size_t kw_keys_cache_peak(kw_keys_cache *c);

/* Builds an entry (refs = 1) from a decoded record with material: a kw_ckey
 * per version, none for a tombstone. Takes nothing from r. */
kw_rc kw_keys_entry_new(const kw_key_rec *r, kw_keys_entry **out);

/* ---- the keys handle (keys.c) ----------------------------------------- */

struct kw_keys {
	kw_barrier *barrier;
	kw_store *store;
	kw_keys_cache *cache;
};

/* The cache of ks, for tests. */
kw_keys_cache *kw_keys_cache_of(kw_keys *ks);

/* KW_E_SEALED (and flushes the cache) if the barrier is sealed. */
kw_rc kw_keys_check_unsealed(kw_keys *ks);

/* Reads key (partition, name_or_id) in transaction t. want_material picks
 * whether versions' material is decoded. KW_E_NOT_FOUND also when an id
 * belongs to another partition. */
kw_rc kw_keys_load(kw_keys *ks, kw_store_txn *t, const char *partition,
		   const char *name_or_id, bool want_material,
		   kw_key_rec **out);

/* An entry for (partition, name_or_id) with a reference: from the cache,
 * or loaded from the store and inserted. */
kw_rc kw_keys_acquire(kw_keys *ks, const char *partition,
		      const char *name_or_id, kw_keys_entry **out);

/*
 * Read-modify-write of one key in a write transaction, retried on
 * KW_E_CONFLICT: loads the record with material, calls fn to change it
 * (fn returns KW_OK to write it back, anything else aborts with that code),
 * writes it with compare-and-swap on the record version, commits, then
 * replaces the cache entry. *out (optional) receives the new metadata.
 */
typedef kw_rc (*kw_keys_change_fn)(kw_key_rec *r, int64_t now, void *arg);
kw_rc kw_keys_change(kw_keys *ks, const char *partition, const char *name,
		     kw_keys_change_fn fn, void *arg, kw_key_info **out);

/* Calls fn for each key of partition (NULL = all partitions) with id >
 * after_id (NULL = from the start), in id order, with the metadata decoded
 * (no material). fn may take the record (*r = NULL); it sets *stop to end
 * the scan early. Runs in one read transaction; fn must not touch the
 * store. fn's error ends the scan and is returned. */
typedef kw_rc (*kw_keys_scan_fn)(kw_key_rec **r, void *arg, bool *stop);
kw_rc kw_keys_scan(kw_keys *ks, const char *partition, const char *after_id,
		   kw_keys_scan_fn fn, void *arg);

#endif
