/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_STORE_H
#define KEYWARDEN_STORE_H

/*
 * The storage interface (DESIGN.md §6): an ops table per backend ("sqlite",
 * "mem"; later "pg"), reached through the kw_store_* wrappers below. Callers
 * never test which backend they have.
 *
 * Backends store opaque records; they never see plaintext secrets: the
 * barrier seals every record's data before it gets here, and the index tags
 * (group, lookup) are keyed hashes computed by the barrier.
 *
 * Every record operation runs in a transaction. A write transaction sees its
 * own writes; commit makes them durable (SQLite: WAL, synchronous=FULL) or
 * fails with nothing applied; abort discards them. One transaction belongs
 * to one thread at a time. kw_store itself is thread-safe: many threads may
 * hold transactions at once (read transactions run concurrently; write
 * transactions are serialised by the backend).
 *
 * Transactions in detail (identical in every backend):
 *  - a transaction sees the committed state as of its begin (a snapshot),
 *    plus, for a write transaction, its own writes; readers never wait for
 *    a writer and never see uncommitted work;
 *  - at most one write transaction per store at a time: kw_store_txn_begin
 *    (write) waits up to busy_timeout_ms for the current writer, then fails
 *    with KW_E_STORAGE (so one thread must not begin a second write
 *    transaction while it holds one); sqlite: a read transaction also
 *    waits when all pool_size connections are in use;
 *  - an operation that fails with KW_E_EXISTS, KW_E_CONFLICT,
 *    KW_E_NOT_FOUND or KW_E_INVALID changed nothing, and the transaction
 *    goes on; after KW_E_STORAGE, KW_E_NOMEM or KW_E_INTERNAL it is dead:
 *    every later call returns KW_E_STORAGE and commit rolls back (returning
 *    KW_E_STORAGE), so partial work can never be committed;
 *  - write operations (put, delete, audit_append) on a read transaction
 *    give KW_E_INVALID.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/rc.h"

/* Record types. Stable numbers (they are in every database): append only. */
enum {
	KW_REC_META = 1,   /* instance metadata, barrier state */
	KW_REC_BUCKET = 2, /* barrier version manifests (anti-rollback) */
	KW_REC_PARTITION = 3,
	KW_REC_KEY = 4,
	KW_REC_PRINCIPAL = 5,
	KW_REC_TOKEN = 6,
	KW_REC_POLICY = 7,
	KW_REC_APPROVAL = 8,
	KW_REC_OBJECT = 9, /* PKCS#11 data objects, certificates */
	KW_REC_CA = 10,
	KW_REC_CERT = 11,
	KW_REC_AGENT = 12,
	KW_REC_TYPE_MAX_ = 255,
};

#define KW_STORE_ID_MAX	  128 /* bytes of an id, without the NUL */
#define KW_STORE_TAG_LEN  32  /* group / lookup tag size */
#define KW_STORE_DATA_MAX (16u * 1024u * 1024u)

/*
 * One record. type is 1..KW_REC_TYPE_MAX_. id is printable ASCII
 * (0x21..0x7e), 1..KW_STORE_ID_MAX bytes, unique per type; ids list in
 * byte order. version starts at 1 and grows by one on every put; it is at
 * most INT64_MAX.
 * group (optional) lets list() select a subset (e.g. one partition's keys);
 * lookup (optional) is unique per type among records that have one (e.g.
 * partition + key name). data is owned by the record when a backend returns
 * it; release with kw_store_rec_clear(). data may be NULL only when
 * data_len is 0 (and a returned record has data NULL iff data_len is 0).
 */
typedef struct kw_store_rec {
	uint32_t type;
	char id[KW_STORE_ID_MAX + 1];
	uint64_t version;
	bool has_group;
	uint8_t group[KW_STORE_TAG_LEN];
	bool has_lookup;
	uint8_t lookup[KW_STORE_TAG_LEN];
	uint8_t *data;
	size_t data_len;
} kw_store_rec;

/* Frees rec->data and zeroes *rec; NULL is allowed. */
void kw_store_rec_clear(kw_store_rec *rec);

/* Called by list() once per record, in ascending id order. rec (and its data)
 * is valid during the call only. Return KW_OK to go on; anything else stops
 * the listing and becomes list()'s result. The callback may call other
 * operations on the same transaction (also list); whether records it
 * writes during the listing are visited is unspecified. */
typedef kw_rc (*kw_store_list_cb)(const kw_store_rec *rec, void *arg);

/* Called by audit_read() per entry, ascending seq. Same rules. */
typedef kw_rc (*kw_store_audit_cb)(uint64_t seq, const uint8_t *entry,
				   size_t len, void *arg);

typedef struct kw_store_config {
	const char *backend; /* "sqlite" (default when NULL) or "mem" */
	const char *path;    /* sqlite: database file; created if missing */
	unsigned busy_timeout_ms; /* sqlite: 0 = 5000 */
	unsigned pool_size;	  /* sqlite: connections; 0 = 8 */
} kw_store_config;

#define KW_STORE_OPS_VERSION 1

/*
 * The ops table. Every function returns KW_OK or:
 *   KW_E_INVALID   bad arguments (NULL, bad id, oversize data)
 *   KW_E_NOT_FOUND no such record (get, get_by_lookup, delete, and put
 *                  replacing a record that does not exist)
 *   KW_E_EXISTS    put with expected_version 0 of an existing id, or a
 *                  lookup tag another record of that type already has
 *   KW_E_CONFLICT  expected_version is not the stored version
 *   KW_E_STORAGE   the backend failed (I/O error, disk full, corrupt file);
 *                  the transaction must then be aborted
 *   KW_E_NOMEM
 * "be" is the backend's handle from open(), "txn" the backend's transaction.
 * The kw_store_* wrappers validate every argument before calling an op, so
 * ops only see well-formed calls. out-parameters are written on KW_OK only.
 */
typedef struct kw_store_ops {
	unsigned version; /* KW_STORE_OPS_VERSION */
	const char *name;

	kw_rc (*open)(const kw_store_config *cfg, void **out_be);
	void (*close)(void *be);

	kw_rc (*txn_begin)(void *be, bool write, void **out_txn);
	kw_rc (*txn_commit)(void *txn); /* frees txn, also on failure */
	void (*txn_abort)(void *txn);	/* frees txn */

	kw_rc (*rec_get)(void *txn, uint32_t type, const char *id,
			 kw_store_rec *out);
	kw_rc (*rec_get_by_lookup)(void *txn, uint32_t type,
				   const uint8_t lookup[KW_STORE_TAG_LEN],
				   kw_store_rec *out);
	/* Insert (expected_version 0, rec->version must be 1) or replace
	 * (rec->version must be expected_version + 1). Compare-and-swap: a
	 * replace succeeds only if the stored version is expected_version.
	 * A put may move or drop the record's lookup tag. */
	kw_rc (*rec_put)(void *txn, const kw_store_rec *rec,
			 uint64_t expected_version);
	/* Compare-and-swap too: expected_version (>= 1) must be stored. */
	kw_rc (*rec_delete)(void *txn, uint32_t type, const char *id,
			    uint64_t expected_version);
	/* Records of type (and group, if not NULL) with id > after_id (NULL =
	 * from the start), at most limit (0 = no limit), ascending id. */
	kw_rc (*rec_list)(void *txn, uint32_t type, const uint8_t *group,
			  const char *after_id, size_t limit,
			  kw_store_list_cb cb, void *arg);
	kw_rc (*rec_count)(void *txn, uint32_t type, const uint8_t *group,
			   uint64_t *out_count);

	/* The audit trail: entries numbered 1, 2, ... without gaps. append
	 * refuses (KW_E_CONFLICT) a seq that is not last + 1; entries are
	 * 1..KW_STORE_DATA_MAX bytes. One write transaction may append many
	 * entries (a group commit: one durable commit for the batch).
	 * audit_read reports entries with seq >= from_seq (0 reads as 1), at
	 * most limit (0 = no limit). audit_last gives 0 for an empty trail. */
	kw_rc (*audit_append)(void *txn, uint64_t seq, const uint8_t *entry,
			      size_t len);
	kw_rc (*audit_read)(void *txn, uint64_t from_seq, size_t limit,
			    kw_store_audit_cb cb, void *arg);
	kw_rc (*audit_last)(void *txn, uint64_t *out_seq);
} kw_store_ops;

typedef struct kw_store kw_store;
typedef struct kw_store_txn kw_store_txn;

/* Backends known to this build; NULL if name is unknown. */
const kw_store_ops *kw_store_backend(const char *name);

/* Opens the backend named by cfg->backend. KW_OK, KW_E_INVALID (unknown
 * backend, bad config), KW_E_STORAGE (cannot open; not a database, or
 * another application's; damaged; schema version newer than this code),
 * KW_E_NOMEM. sqlite: creates the file with mode 0600 if missing and runs
 * the schema migrations. */
kw_rc kw_store_open(const kw_store_config *cfg, kw_store **out);

/* Opens with an explicit ops table (tests inject faults this way). The ops
 * table must outlive the store. */
kw_rc kw_store_open_with_ops(const kw_store_ops *ops,
			     const kw_store_config *cfg, kw_store **out);

/* Closes; all transactions must be finished (asserted). NULL is allowed. */
void kw_store_close(kw_store *s);

/* The ops table's name ("sqlite", "mem"); NULL for NULL. */
const char *kw_store_backend_name(const kw_store *s);

kw_rc kw_store_txn_begin(kw_store *s, bool write, kw_store_txn **out);
kw_rc kw_store_txn_commit(kw_store_txn *t); /* frees t, also on failure */
void kw_store_txn_abort(kw_store_txn *t);   /* frees t; NULL is allowed */

kw_rc kw_store_rec_get(kw_store_txn *t, uint32_t type, const char *id,
		       kw_store_rec *out);
kw_rc kw_store_rec_get_by_lookup(kw_store_txn *t, uint32_t type,
				 const uint8_t lookup[KW_STORE_TAG_LEN],
				 kw_store_rec *out);
kw_rc kw_store_rec_put(kw_store_txn *t, const kw_store_rec *rec,
		       uint64_t expected_version);
kw_rc kw_store_rec_delete(kw_store_txn *t, uint32_t type, const char *id,
			  uint64_t expected_version);
/* Inserts a record copied from another store (a backup being restored)
 * with its version as it was (>= 1), so sealed data whose identity binds
 * the version still opens. The id must be new (KW_E_EXISTS), as must its
 * lookup tag; otherwise as kw_store_rec_put (added for src/lib/backup). */
kw_rc kw_store_rec_load(kw_store_txn *t, const kw_store_rec *rec);
kw_rc kw_store_rec_list(kw_store_txn *t, uint32_t type, const uint8_t *group,
			const char *after_id, size_t limit, kw_store_list_cb cb,
			void *arg);
kw_rc kw_store_rec_count(kw_store_txn *t, uint32_t type, const uint8_t *group,
			 uint64_t *out_count);
kw_rc kw_store_audit_append(kw_store_txn *t, uint64_t seq, const uint8_t *entry,
			    size_t len);
kw_rc kw_store_audit_read(kw_store_txn *t, uint64_t from_seq, size_t limit,
			  kw_store_audit_cb cb, void *arg);
kw_rc kw_store_audit_last(kw_store_txn *t, uint64_t *out_seq);

/* True if id is a valid record id (see kw_store_rec). */
bool kw_store_id_valid(const char *id);

#endif
