/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_AUDIT_INTERNAL_H
#define KW_AUDIT_INTERNAL_H

/*
 * Shared by the files of src/lib/audit only.
 *
 *   audit.c   the public API: submission queue, waiting, health, stats
 *   writer.c  the writer thread: group commit, checkpoints, fail-closed
 *   entry.c   building, hashing and storing entries; the head of the chain
 *   keyring.c the audit signing key (a sealed record) and its public keys
 *   alert.c   repeated-denial detection
 *   read.c    filtered reads for GET /v1/audit
 *   verify.c  the offline verifier (kw_auditverify, also used by the CLI)
 *
 * Locking: a->mu guards the queue, the health state, the stats and the
 * published public keys. Everything under "writer thread only" is touched
 * by the writer thread alone (and by open/close before it starts / after it
 * ends), so building and committing a batch holds no lock.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "audit/verify.h"
#include "crypto/crypto.h"
#include "keywarden/audit.h"

#define AUDIT_NODE_MAX	 256
#define AUDIT_REASON_MAX 256
#define AUDIT_KEYS_ID	 "audit-keys" /* KW_REC_META record of the keyring */

typedef enum audit_item_kind {
	AUDIT_ITEM_EVENT = 0,
	AUDIT_ITEM_CHECKPOINT = 1,
	AUDIT_ITEM_ROTATE = 2,
} audit_item_kind;

/* The members the writer adds to an entry: hash, prev, seq, time. */
#define AUDIT_CHAIN_MEMBERS 4

/* An entry without the chain's members, in canonical form and cut where
 * they go (kw_jcs_encode_parts): made on the submitter's thread, so that
 * the writer, which works through the chain one entry at a time, only
 * joins strings and hashes. */
typedef struct audit_text {
	char *text;
	size_t ends[AUDIT_CHAIN_MEMBERS + 1];
} audit_text;

/* One submission. The writer fills rc and seq, then calls cb once. */
typedef struct audit_item {
	struct audit_item *next;
	audit_item_kind kind;
	json_t *entry;	 /* EVENT, denied: every field but seq, time, prev,
			  * hash (for the alerts); else NULL */
	audit_text text; /* EVENT: entry, canonical */
	kw_audit_done_cb cb;
	void *arg;
	char *out_key_id; /* ROTATE: receives the new key id, or NULL */
	kw_rc rc;
	uint64_t seq;
} audit_item;

/* The head of the chain and the checkpoint bookkeeping. */
typedef struct audit_head {
	uint64_t seq; /* last seq, 0 for an empty trail */
	char hash[KW_AUDIT_HASH_HEX_LEN + 1];
	int64_t time_ms;	 /* time of the last entry */
	uint64_t since_cp;	 /* entries after the last checkpoint */
	uint64_t last_cp_seq;	 /* 0 if none */
	int64_t last_cp_mono_ms; /* monotonic time of the last checkpoint */
} audit_head;

/* The audit keys: the current signing key and every public key. */
typedef struct audit_keyset {
	kw_ckey *signer; /* private; NULL when not loaded */
	char signer_id[KW_AUDIT_KEY_ID_LEN + 1];
	kw_audit_pubkey *pubs; /* oldest first; the signer's is last */
	size_t count;
	uint64_t version; /* of the sealed record */
} audit_keyset;

typedef struct audit_alerts audit_alerts;

struct kw_audit {
	kw_store *store;
	kw_barrier *barrier;
	kw_audit_config cfg; /* defaults filled in */
	char node[AUDIT_NODE_MAX];
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t mu;
	pthread_cond_t cv; /* wakes the writer; CLOCK_MONOTONIC */
	/* guarded by mu: */
	audit_item *q_head;
	audit_item *q_tail;
	size_t q_len;
	size_t inflight; /* taken by the writer, callbacks not yet run */
	bool stopping;
	bool barrier_changed;
	bool healthy;
	char reason[AUDIT_REASON_MAX];
	int64_t down_since_ms;
	uint64_t refused_while_down;
	kw_audit_stats stats;
	kw_audit_pubkey *pubs; /* published copy of the public keys */
	size_t pub_count;

	/* writer thread only: */
	audit_head head;
	audit_keyset keys;
	audit_alerts *alerts;
	int64_t next_retry_mono_ms;
	int64_t cp_blocked_until; /* a due checkpoint waits for the key */
	bool key_created;	  /* its "audit_key_create" entry is due */
};

/* ---- entry.c ------------------------------------------------------------ */

int64_t audit_now_ms(void);  /* CLOCK_REALTIME, ms */
int64_t audit_mono_ms(void); /* CLOCK_MONOTONIC, ms */
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
void audit_time_format(int64_t ms, char out[static 32]);

/* The entry for ev without seq/time/prev/hash. KW_OK, KW_E_INVALID,
 * KW_E_NOMEM. */
kw_rc audit_entry_from_event(const kw_audit_event *ev, const char *node,
			     json_t **out);

/* An entry of the trail itself (principal "", result ok): checkpoint,
 * alert, audit_resumed, audit_key_*. detail (may be NULL) is stolen. */
kw_rc audit_entry_system(const char *node, const char *op, const char *reason,
			 json_t *detail, json_t **out);

/* True if e's result is "denied". */
bool audit_entry_denied(const json_t *e);

/* e (without seq, time, prev, hash) as an audit_text. KW_OK, KW_E_INVALID
 * (e is not an entry kw_jcs_encode_parts takes), KW_E_NOMEM. */
kw_rc audit_text_make(const json_t *e, audit_text *out);
void audit_text_clear(audit_text *t);

/* Completes the prepared entry p as the next entry after *h (seq, time,
 * prev, hash), appends it in t and advances *h; checkpoint tells whether
 * it is one. KW_OK, the store's codes, KW_E_NOMEM. */
kw_rc audit_entry_append_text(kw_store_txn *t, audit_head *h,
			      const audit_text *p, bool checkpoint);

/* The same for an entry of the writer's own (audit_entry_system), with
 * sig/key_id already in e for a checkpoint. */
kw_rc audit_entry_append(kw_store_txn *t, audit_head *h, const json_t *e);

/* Reads the head of the chain from the store (its own read transaction).
 * KW_OK, KW_E_STORAGE, KW_E_INTEGRITY (the last entry is malformed or its
 * hash is wrong), KW_E_NOMEM. */
kw_rc audit_head_load(kw_store *s, audit_head *out);

/* Parses one stored entry. KW_OK, KW_E_INTEGRITY. */
kw_rc audit_entry_parse(const uint8_t *text, size_t len, json_t **out);

/* ---- keyring.c ---------------------------------------------------------- */

/* Loads the keyring through the barrier, creating it (a fresh Ed25519 key)
 * if there is none; *out_created tells which. KW_OK, KW_E_SEALED, the
 * barrier's and store's codes, KW_E_CRYPTO, KW_E_NOMEM. */
kw_rc audit_keyset_load(kw_barrier *b, kw_store *s, audit_keyset *out,
			bool *out_created);

/* Writes, in t, the keyring with a new signing key added after cur's keys
 * and fills *out with it (cur is untouched; swap after commit). */
kw_rc audit_keyset_rotate(kw_barrier *b, kw_store_txn *t,
			  const audit_keyset *cur, audit_keyset *out);

/* Wipes and frees; leaves ks zeroed. */
void audit_keyset_clear(audit_keyset *ks);

/* The public part of ks->pubs[i] as an entry detail / a copy. */
kw_rc audit_pubkeys_copy(const kw_audit_pubkey *in, size_t n,
			 kw_audit_pubkey **out);

/* The checkpoint fields for the head hash prev: adds "key_id" and "sig" to
 * e. KW_OK, KW_E_CRYPTO, KW_E_NOMEM. */
kw_rc audit_keyset_sign(const audit_keyset *ks, const char *prev, json_t *e);

/* ---- alert.c ------------------------------------------------------------ */

kw_rc audit_alerts_new(unsigned threshold, unsigned window_s,
		       audit_alerts **out);
void audit_alerts_free(audit_alerts *al);

/* Notes a denial by subject (e.g. "principal" + "alice") at now_ms. True
 * when this is the threshold-th denial by it within the window; its count
 * then starts again. Writer thread only. */
bool audit_alerts_note(audit_alerts *al, const char *kind, const char *value,
		       int64_t now_ms);

/* ---- writer.c ----------------------------------------------------------- */

void *audit_writer_main(void *arg);

/* ---- audit.c ------------------------------------------------------------ */

/* Runs each item's callback and frees the items (no lock held). */
void audit_items_complete(kw_audit *a, audit_item *list);

#endif
