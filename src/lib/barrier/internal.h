/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_BARRIER_INTERNAL_H
#define KW_BARRIER_INTERNAL_H

/*
 * Shared inside src/lib/barrier only: the barrier struct, the derived keys,
 * record sealing (seal.c), the barrier metadata (meta.c) and the
 * anti-rollback manifests (manifest.c).
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "barrier/shamir.h"
#include "crypto/crypto.h"
#include "keywarden/barrier.h"
#include "keywarden/store.h"

#define KW_BARRIER_FORMAT      1
#define KW_BARRIER_META_ID     "barrier" /* KW_REC_META, not sealed */
#define KW_BARRIER_ROOT_ID     "root"	 /* KW_REC_META, sealed */
#define KW_BARRIER_PURPOSE_MAX 128	 /* bytes of a derive_key purpose */
#define KW_INSTANCE_ID_LEN     16

/* Big-endian integers of the barrier's binary formats. */
static inline void kw_be32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline void kw_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint32_t kw_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t kw_be64_get(const uint8_t *p)
{
	return (uint64_t)kw_be32_get(p) << 32 | kw_be32_get(p + 4);
}

/* ---- derived keys (seal.c) ---------------------------------------------- */

/* Everything derived from one master key. Immutable once built, so many
 * record operations may use it at once under the shared lock. */
typedef struct kw_barrier_keys {
	kw_secret *master; /* 32 bytes */
	kw_ckey *record;   /* AES-256-GCM: record data */
	kw_ckey *index;	   /* HMAC-SHA-256: group / lookup tags */
	kw_ckey *manifest; /* HMAC-SHA-256: bucket numbers and digests */
} kw_barrier_keys;

/* Derives the keys from master (copied). KW_OK, KW_E_INVALID, KW_E_CRYPTO,
 * KW_E_NOMEM. */
kw_rc kw_barrier_keys_derive(const kw_secret *master, kw_barrier_keys **out);
/* Wipes and frees; NULL is allowed. */
void kw_barrier_keys_free(kw_barrier_keys *k);

/* HKDF-SHA-256 of master with info; the one derivation of the barrier. */
kw_rc kw_barrier_hkdf(const kw_secret *master, const char *info,
		      size_t info_len, size_t len, kw_secret **out);

/* HMAC-SHA-256 of in under k (an HMAC key of the barrier) into out. */
kw_rc kw_barrier_mac(kw_ckey *k, const void *in, size_t len,
		     uint8_t out[static 32]);

/* Keyed tag of a group ('g') or lookup ('l') name of a record type:
 * HMAC(index key, type (u32 BE) || kind || 0x00 || name). KW_E_INVALID for
 * a NULL, empty or over-long name. */
kw_rc kw_barrier_tag(const kw_barrier_keys *k, uint32_t type, char kind,
		     const char *name, uint8_t out[static KW_STORE_TAG_LEN]);

/* ---- sealed record data (seal.c) ---------------------------------------- */

/* The identity of a record, bound into its sealed data as AAD: a row that
 * is edited, moved to another id, version, group or lookup fails to open. */
typedef struct kw_seal_ident {
	uint32_t type;
	const char *id;
	uint64_t version;
	const uint8_t *group;  /* KW_STORE_TAG_LEN bytes, or NULL */
	const uint8_t *lookup; /* KW_STORE_TAG_LEN bytes, or NULL */
} kw_seal_ident;

/* Sealed data: format (1) || 12-byte random nonce || ciphertext || tag. */
#define KW_SEALED_FORMAT   1
#define KW_SEALED_OVERHEAD (1 + KW_GCM_IV_LEN + KW_GCM_TAG_LEN)

/* The identity of a stored row, as kw_barrier_data_open wants it. */
void kw_seal_ident_of(const kw_store_rec *rec, kw_seal_ident *out);

/* Seals pt (may be empty) into *out (malloc). KW_OK, KW_E_INVALID,
 * KW_E_LIMIT (over KW_STORE_DATA_MAX once sealed), KW_E_CRYPTO,
 * KW_E_NOMEM. */
kw_rc kw_barrier_data_seal(kw_ckey *k, const kw_seal_ident *ident,
			   const uint8_t *pt, size_t pt_len, uint8_t **out,
			   size_t *out_len);

/* Opens sealed data (a parser of untrusted input). KW_OK,
 * KW_E_INTEGRITY (truncated, unknown format, wrong key or identity, any
 * edit), KW_E_INVALID (NULL arguments, a bad identity), KW_E_NOMEM,
 * KW_E_CRYPTO. */
kw_rc kw_barrier_data_open(kw_ckey *k, const kw_seal_ident *ident,
			   const uint8_t *in, size_t in_len, kw_secret **out);

/* ---- barrier metadata (meta.c) ------------------------------------------ */

#define KW_KCV_PLAIN_LEN 16
#define KW_KCV_LEN	 (KW_GCM_IV_LEN + KW_KCV_PLAIN_LEN + KW_GCM_TAG_LEN)

typedef struct kw_barrier_meta {
	unsigned shares;    /* N */
	unsigned threshold; /* M */
	uint8_t split_id[KW_SHARE_SPLIT_ID_LEN];
	uint8_t instance_id[KW_INSTANCE_ID_LEN];
	uint8_t kcv[KW_KCV_LEN]; /* GCM under the key-check key, AAD above */
} kw_barrier_meta;

/* TLV encoding of the metadata record (not sealed: read before unseal). */
kw_rc kw_barrier_meta_encode(const kw_barrier_meta *m, kw_secret **out);
/* Strict parser of untrusted input: KW_OK or KW_E_INTEGRITY (KW_E_INVALID
 * for NULL arguments). */
kw_rc kw_barrier_meta_decode(const uint8_t *p, size_t len,
			     kw_barrier_meta *out);
/* Fills m->kcv from master and the other fields of m. */
kw_rc kw_barrier_meta_kcv_make(const kw_secret *master, kw_barrier_meta *m);
/* KW_OK if master is the key m was made with and m is unedited,
 * KW_E_VERIFY if not. */
KW_WUR kw_rc kw_barrier_meta_kcv_check(const kw_secret *master,
				       const kw_barrier_meta *m);

/* ---- anti-rollback manifests (manifest.c) ------------------------------- */

/*
 * Records are spread over KW_MANIFEST_BUCKETS buckets by
 * HMAC(manifest key, 0x01 || type || id). A bucket record (KW_REC_BUCKET,
 * id = 4 lowercase hex digits) holds the sealed, sorted list of (type, id,
 * version) of its records; it is created with its first record and kept
 * (possibly empty) afterwards. The root (KW_REC_META "root", sealed) holds
 * acc = XOR over every bucket record b of
 * HMAC(manifest key, 0x02 || b || SHA-256(plaintext of b)), a change
 * counter, the bucket count and the record count.
 *
 * 65536 buckets keep a bucket to ~16 entries (~1 KB) at 1,000,000 records,
 * so the check under every read decrypts about one small row, and unseal
 * reads at most 65536 bucket rows.
 */
#define KW_MANIFEST_BUCKETS 65536u

/* Writes the empty root (init). */
kw_rc kw_manifest_root_create(const kw_barrier_keys *k, kw_store_txn *t);

/* One record's manifest entry, loaded for a change. */
typedef struct kw_manifest_edit {
	uint32_t type;
	const char *id;
	uint32_t bucket;
	uint64_t bucket_version; /* stored version; 0: no bucket record yet */
	kw_secret *plain;	 /* the bucket's plaintext */
	size_t pos, end;	 /* the entry's bytes (pos == end: absent) */
	uint64_t version;	 /* the record's listed version, 0: absent */
} kw_manifest_edit;

/* Loads the bucket of (type, id). KW_OK, KW_E_INTEGRITY (bucket fails to
 * open or parse), store codes. */
kw_rc kw_manifest_edit_begin(const kw_barrier_keys *k, kw_store_txn *t,
			     uint32_t type, const char *id,
			     kw_manifest_edit *out);
/* Sets the entry to new_version (0 removes it) and writes the bucket and
 * the root in t. On an error the transaction must be aborted. */
kw_rc kw_manifest_edit_commit(const kw_barrier_keys *k, kw_store_txn *t,
			      kw_manifest_edit *e, uint64_t new_version);
void kw_manifest_edit_clear(kw_manifest_edit *e);

/* KW_OK if the manifest lists (type, id) at version (version 0: not
 * listed), else KW_E_INTEGRITY. */
kw_rc kw_manifest_check(const kw_barrier_keys *k, kw_store_txn *t,
			uint32_t type, const char *id, uint64_t version);

/* Reads every bucket and checks the root. KW_OK, KW_E_INTEGRITY (logged:
 * the store was rolled back or edited), store codes. */
kw_rc kw_manifest_verify(const kw_barrier_keys *k, kw_store_txn *t);

/* Parsers, exposed for the fuzz target and tests. kw_manifest_bucket_scan
 * validates a whole bucket plaintext (strictly ascending, valid entries,
 * nothing trailing) and finds (type, id): *out_version (0 if absent),
 * [*out_pos, *out_end) its bytes or the insertion point; *out_count the
 * number of entries. type/id may be 0/NULL to only validate. KW_OK or
 * KW_E_INTEGRITY. */
kw_rc kw_manifest_bucket_scan(const uint8_t *p, size_t len, uint32_t type,
			      const char *id, uint64_t *out_version,
			      size_t *out_pos, size_t *out_end,
			      uint64_t *out_count);

typedef struct kw_manifest_root {
	uint8_t acc[32];
	uint64_t counter;
	uint64_t buckets;
	uint64_t records;
} kw_manifest_root;

#define KW_MANIFEST_ROOT_LEN (1 + 32 + 8 + 8 + 8)

kw_rc kw_manifest_root_decode(const uint8_t *p, size_t len,
			      kw_manifest_root *out);

/* ---- the barrier -------------------------------------------------------- */

struct kw_barrier {
	kw_store *store;

	/* Record operations hold lock shared for their whole run; seal and
	 * unseal take it exclusive to swap keys. keys == NULL: sealed. */
	pthread_rwlock_t lock;
	kw_barrier_keys *keys;

	/* Guards everything below. Taken before lock, never after. */
	pthread_mutex_t unseal_mu;
	bool initialized;
	kw_barrier_meta meta;
	unsigned progress;
	kw_secret *given; /* meta.threshold kw_shamir_share, [0..progress) */
};

/* Takes the shared lock and gives the keys; KW_E_SEALED (lock released) if
 * sealed. Every KW_OK must be followed by kw_barrier_leave. */
kw_rc kw_barrier_enter(kw_barrier *b, const kw_barrier_keys **out);
void kw_barrier_leave(kw_barrier *b);

#endif
