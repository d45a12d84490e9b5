/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_BARRIER_H
#define KEYWARDEN_BARRIER_H

/*
 * The barrier (DESIGN.md §1.2, §1.3): the master key and everything sealed
 * under it.
 *
 * The master key is 32 random bytes, never stored: init splits it into N
 * Shamir shares (threshold M) and returns them once; unseal rebuilds it from
 * M shares. From it HKDF derives the record key (AES-256-GCM), the index key
 * (keyed tags for lookups, so names never reach the store in the clear) and
 * the manifest key.
 *
 * Every record is sealed with AES-256-GCM under the record key with (type,
 * id, version) as associated data, so an edited or swapped row fails to open.
 * Rollback of a single row (an older copy of a record put back) is caught by
 * version manifests: records are hashed into buckets whose sealed manifest
 * lists each record's current version; a root record authenticates the set
 * of manifests and is checked at unseal. A read whose record version differs
 * from its manifest fails with KW_E_INTEGRITY and returns nothing.
 * (A rollback of the whole database file to an older copy cannot be seen
 * from inside it; see docs/threat-model.md.)
 *
 * Thread safety: all functions are thread-safe. Sealing waits for in-flight
 * record operations to finish, then wipes every derived key.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/rc.h"
#include "keywarden/secret.h"
#include "keywarden/store.h"

#define KW_SHARES_MAX	  255
#define KW_MASTER_KEY_LEN 32

typedef struct kw_barrier kw_barrier;

typedef struct kw_barrier_status {
	bool initialized;
	bool sealed;
	unsigned shares;      /* N, 0 before init */
	unsigned threshold;   /* M, 0 before init */
	unsigned progress;    /* distinct valid shares given since last reset */
	char instance_id[33]; /* hex, "" before init */
} kw_barrier_status;

/* Opens the barrier on store (reads the barrier metadata if the instance is
 * initialised). Starts sealed. KW_OK, KW_E_INVALID, KW_E_STORAGE,
 * KW_E_INTEGRITY (metadata malformed), KW_E_NOMEM. */
kw_rc kw_barrier_open(kw_store *store, kw_barrier **out);

/* Seals (wipes every key) and frees. NULL is allowed. */
void kw_barrier_free(kw_barrier *b);

kw_rc kw_barrier_status_get(kw_barrier *b, kw_barrier_status *out);

/*
 * Initialises an uninitialised instance: generates the master key, splits it
 * into `shares` shares with threshold `threshold` (1 <= M <= N <= 255),
 * writes the barrier metadata. On success *out_shares is an array of N
 * secrets, each the text form of one share ("kwshare1-..."), to be handed
 * out and then freed with kw_barrier_shares_free(); the barrier is left
 * unsealed. KW_E_EXISTS if already initialised; KW_E_INVALID for bad N/M.
 */
kw_rc kw_barrier_init(kw_barrier *b, unsigned shares, unsigned threshold,
		      kw_secret ***out_shares);
void kw_barrier_shares_free(kw_secret **shares, unsigned n);

/*
 * Submits one share (its text form). Returns:
 *   KW_OK            accepted; out_status (optional) tells the progress, and
 *                    sealed == false once the M-th share has unsealed it
 *   KW_E_INVALID     not a share (malformed text: wrong length or
 *                    prefix), NULL, or share_len 0
 *   KW_E_INTEGRITY   a share whose checksum fails (corrupt, mistyped: any
 *                    one changed character); a share of this split whose
 *                    threshold disagrees with the metadata; or, at the
 *                    M-th share, manifests that do not verify against
 *                    their root (the store was rolled back or edited; the
 *                    reason is logged; the barrier stays sealed)
 *   KW_E_DENIED      a well-formed share of another instance or split
 *   KW_E_EXISTS      a share with an index already given in this attempt
 *   KW_E_VERIFY      M shares combined into a key that is not the master
 *                    key (or the metadata was edited)
 *   KW_E_STATE       already unsealed
 *   KW_E_NOT_INITIALIZED
 *   KW_E_STORAGE, KW_E_NOMEM, KW_E_CRYPTO
 * After the M-th share the attempt is over whatever the result: progress is
 * reset. A rejected share does not count. out_status is written on KW_OK
 * only. Nothing about the master key or other shares is revealed by any
 * result.
 */
kw_rc kw_barrier_unseal(kw_barrier *b, const char *share, size_t share_len,
			kw_barrier_status *out_status);

/* Unseals with the master key itself (TPM auto-unseal, restore).
 * KW_OK, KW_E_INVALID (NULL, not 32 bytes), KW_E_VERIFY (not this
 * instance's key), KW_E_INTEGRITY (manifests do not verify, as above),
 * KW_E_STATE, KW_E_NOT_INITIALIZED, KW_E_STORAGE. */
kw_rc kw_barrier_unseal_with_key(kw_barrier *b, const kw_secret *master);

/* A copy of the master key, for the backup module only: a backup made for
 * custodians carries it encrypted under the backup key, and a backup keyed
 * by the master key is encrypted under keys derived from it. Never to be
 * written anywhere else. KW_OK, KW_E_INVALID, KW_E_SEALED, KW_E_NOMEM. */
kw_rc kw_barrier_master_export(kw_barrier *b, kw_secret **out);

/*
 * Splits the master key anew (a "rekey" of the shares; the master key and
 * every record stay as they are): new N and M, a new split id, the metadata
 * rewritten in one transaction; the old shares stop working. Used after a
 * restore into a new instance, whose custodians hold other shares. Returns
 * the N new share texts like kw_barrier_init. KW_OK, KW_E_INVALID (bad
 * N/M), KW_E_SEALED, KW_E_CONFLICT (the metadata changed meanwhile),
 * KW_E_STORAGE, KW_E_NOMEM, KW_E_CRYPTO.
 */
kw_rc kw_barrier_rekey(kw_barrier *b, unsigned shares, unsigned threshold,
		       kw_secret ***out_shares);

/* Forgets the shares given so far. */
kw_rc kw_barrier_unseal_reset(kw_barrier *b);

/* Seals: wipes the master key and every derived key. KW_OK (also if it was
 * already sealed). */
kw_rc kw_barrier_seal(kw_barrier *b);

/* ---- sealed records ----------------------------------------------------- */

/* Most bytes of data a record may hold (its sealed form adds 29 bytes). */
#define KW_BARRIER_DATA_MAX (KW_STORE_DATA_MAX - 29u)
/* Most bytes of a group or lookup name. */
#define KW_BARRIER_NAME_MAX 1024

/*
 * All record functions return KW_E_SEALED while sealed, KW_E_INTEGRITY when a
 * record fails to open or disagrees with its manifest (nothing is returned
 * then), and the store's codes otherwise. `group` and `lookup` are names
 * (e.g. "partition-id" and "partition-id/key-name", 1..KW_BARRIER_NAME_MAX
 * bytes); the barrier turns them into keyed tags so the store never sees
 * them. Writes need a write transaction; manifests are updated in the same
 * transaction. After a write fails the caller must abort the transaction
 * (part of the change may be in it). KW_E_INVALID for NULL arguments, a bad
 * id or type, and for the barrier's own records (type KW_REC_BUCKET, and
 * KW_REC_META ids "barrier" and "root"), which callers never see.
 * Thread-safe; every function holds the barrier's lock shared while it
 * runs, so a seal waits for it.
 */
kw_rc kw_barrier_rec_get(kw_barrier *b, kw_store_txn *t, uint32_t type,
			 const char *id, kw_secret **out_data,
			 uint64_t *out_version);

/* Finds the record of `type` whose lookup name is `lookup`; also gives its
 * id (out_id has room for KW_STORE_ID_MAX + 1 bytes). */
kw_rc kw_barrier_rec_find(kw_barrier *b, kw_store_txn *t, uint32_t type,
			  const char *lookup, char *out_id,
			  kw_secret **out_data, uint64_t *out_version);

/* Creates (expected_version 0) or replaces a record; *out_version (optional)
 * receives the new version. group and lookup may be NULL. data_len at most
 * KW_BARRIER_DATA_MAX (else KW_E_LIMIT). KW_E_EXISTS: create of an existing
 * id, or a lookup name another record of the type has; KW_E_CONFLICT:
 * expected_version is not the current version. */
kw_rc kw_barrier_rec_put(kw_barrier *b, kw_store_txn *t, uint32_t type,
			 const char *id, const char *group, const char *lookup,
			 const uint8_t *data, size_t data_len,
			 uint64_t expected_version, uint64_t *out_version);

/* Deletes the record at expected_version (>= 1). KW_E_NOT_FOUND,
 * KW_E_CONFLICT. */
kw_rc kw_barrier_rec_delete(kw_barrier *b, kw_store_txn *t, uint32_t type,
			    const char *id, uint64_t expected_version);

/* Called per record with its opened data, valid during the call only. The
 * barrier's lock is not held during the call: it may call any barrier
 * function (a seal makes the listing stop with KW_E_SEALED). A result other
 * than KW_OK stops the listing and is returned by kw_barrier_rec_list. */
typedef kw_rc (*kw_barrier_list_cb)(const char *id, uint64_t version,
				    const uint8_t *data, size_t len, void *arg);

/* Records of type (in group, if not NULL), id > after_id, at most limit
 * (0 = all), ascending id, each opened and checked against its manifest. */
kw_rc kw_barrier_rec_list(kw_barrier *b, kw_store_txn *t, uint32_t type,
			  const char *group, const char *after_id, size_t limit,
			  kw_barrier_list_cb cb, void *arg);

/* Number of records of type (in group, if not NULL), as the store counts
 * them (rows are not opened). */
kw_rc kw_barrier_rec_count(kw_barrier *b, kw_store_txn *t, uint32_t type,
			   const char *group, uint64_t *out_count);

/* Checks every manifest bucket against the root, as unseal does. Reads
 * check a record against its bucket only; a record rolled back together
 * with its bucket while unsealed is found here or at the next unseal.
 * KW_OK, KW_E_SEALED, KW_E_INTEGRITY (logged), store codes. */
kw_rc kw_barrier_verify(kw_barrier *b);

/* A key for another module, derived from the master key with HKDF and the
 * purpose string (1..128 bytes, e.g. "token-pepper") in the info, under a
 * prefix none of the barrier's own keys uses; len 1..8160 bytes. The same
 * purpose gives the same key for the life of the instance. KW_OK,
 * KW_E_SEALED while sealed, KW_E_INVALID, KW_E_CRYPTO, KW_E_NOMEM. */
kw_rc kw_barrier_derive_key(kw_barrier *b, const char *purpose, size_t len,
			    kw_secret **out);

#endif
