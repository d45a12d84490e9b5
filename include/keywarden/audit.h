/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_AUDIT_H
#define KEYWARDEN_AUDIT_H

/*
 * The tamper-evident audit trail (DESIGN.md §1.5, §5; docs/audit.md).
 *
 * Entries are JSON objects hash-chained in the format of DESIGN.md §5 and
 * appended to the store's audit table, each as its canonical JSON text,
 * through a group-commit writer: many concurrent submissions share one write
 * transaction (one fsync). A submission completes (its callback runs) only
 * once its entry is durable; the daemon sends the response only then. If
 * the trail cannot be written, every pending and later submission completes
 * with KW_E_AUDIT (fail-closed) until the store accepts writes again; the
 * writer retries by itself and then records an "audit_resumed" entry.
 *
 * The trail is integrity-protected, not encrypted: it holds no secrets by
 * construction (names, results, reasons, digests), it must be exportable and
 * verifiable offline by anyone holding the audit public key, and it must be
 * writable while the barrier is sealed (unseal attempts are audited too).
 *
 * Checkpoint entries carry an Ed25519 signature by the audit key over the
 * head of the chain; they are written every checkpoint_every entries or
 * checkpoint_interval_s seconds (when entries were added since the last
 * one), on request, after a key rotation and on close — but only while the
 * barrier is unsealed: the audit key is a sealed record. While sealed,
 * entries are still written and the checkpoint waits.
 *
 * Audit entries never contain inputs or outputs of crypto operations, only
 * digests of them where useful.
 *
 * Thread-safe, except kw_audit_open/kw_audit_close.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/barrier.h"
#include "keywarden/rc.h"
#include "keywarden/store.h"

typedef enum kw_audit_result {
	KW_AUDIT_OK = 0,
	KW_AUDIT_DENIED = 1,
	KW_AUDIT_ERROR = 2,
} kw_audit_result;

#define KW_AUDIT_FIELD_MAX  1024  /* bytes of one string field */
#define KW_AUDIT_DETAIL_MAX 16384 /* bytes of the detail JSON text */
#define KW_AUDIT_KEY_ID_LEN 64	  /* hex: SHA-256 of the key's SPKI DER */

/* One event. Strings may be NULL (written as ""); op is required. The audit
 * module copies everything it needs before kw_audit_submit returns. */
typedef struct kw_audit_event {
	const char *principal; /* "" or NULL when unauthenticated */
	const char *partition;
	const char *op;	 /* stable op name, e.g. "key_sign", "auth_login" */
	const char *key; /* key name, if any (NULL or "": key is null) */
	uint32_t key_version; /* 0 = none */
	kw_audit_result result;
	const char *reason; /* short, no secrets; error code or denial reason */
	const char *request_id;
	const char *source; /* "unix", client address */
	const char *detail; /* optional JSON object text with extra fields,
				  e.g. {"digest":"..."} (no secrets, integers
				  only, no reals) */
} kw_audit_event;

typedef struct kw_audit_config {
	const char *node;	   /* node name in entries; NULL = hostname */
	unsigned checkpoint_every; /* 0 = 1000 */
	unsigned checkpoint_interval_s; /* 0 = 10 */
	unsigned max_batch;		/* entries per transaction; 0 = 512 */
	unsigned max_pending; /* queue bound; 0 = 65536 (then KW_E_LIMIT) */
	unsigned
		retry_interval_ms; /* while failed, retry this often; 0 = 1000 */
	unsigned alert_threshold;  /* denials by one principal or one source
					   within the window that raise an alert;
					   0 = 10 */
	unsigned alert_window_s;   /* 0 = 60 */
} kw_audit_config;

typedef struct kw_audit kw_audit;

/* Opens the trail on store s: reads the head of the chain (checking that the
 * last entry is well-formed), starts the writer thread. b provides the audit
 * signing key once unsealed (created on the first unseal that finds none, as
 * a sealed record). s and b must outlive the trail. KW_OK, KW_E_INVALID,
 * KW_E_STORAGE, KW_E_INTEGRITY (the stored head is malformed), KW_E_NOMEM.
 * Not thread-safe. */
kw_rc kw_audit_open(kw_store *s, kw_barrier *b, const kw_audit_config *cfg,
		    kw_audit **out);

/* Stops accepting submissions (later ones get KW_E_AUDIT), drains the queue,
 * writes a final checkpoint (if unsealed and entries were added since the
 * last one), stops the writer and frees. NULL is allowed. Must not race
 * with other calls on a. */
void kw_audit_close(kw_audit *a);

/* Called when the submission is durable (rc KW_OK, seq its number) or has
 * failed (KW_E_AUDIT, seq 0). Runs on the writer thread, without any audit
 * lock held: keep it short (e.g. queue the response and resume the
 * connection); it must not call kw_audit_append or kw_audit_checkpoint. */
typedef void (*kw_audit_done_cb)(void *arg, kw_rc rc, uint64_t seq);

/* Queues an event. KW_OK if queued (cb will run exactly once), or an error
 * (cb will not run): KW_E_INVALID (no op, a field over KW_AUDIT_FIELD_MAX or
 * not UTF-8, detail not a JSON object), KW_E_AUDIT (trail down: fails fast),
 * KW_E_LIMIT (max_pending reached), KW_E_NOMEM. */
kw_rc kw_audit_submit(kw_audit *a, const kw_audit_event *ev,
		      kw_audit_done_cb cb, void *arg);

/* Queues and waits until durable. KW_OK (*out_seq, optional, its number) or
 * the errors of kw_audit_submit. */
kw_rc kw_audit_append(kw_audit *a, const kw_audit_event *ev, uint64_t *out_seq);

/* Makes sure everything submitted before is covered by a durable checkpoint
 * and gives that checkpoint's seq (a new one, or the last entry if it is a
 * checkpoint already). KW_OK; KW_E_SEALED (no audit key: the barrier is
 * sealed); KW_E_AUDIT; KW_E_LIMIT; KW_E_NOMEM. */
kw_rc kw_audit_checkpoint(kw_audit *a, uint64_t *out_seq);

/* Tells the trail that the barrier was unsealed or sealed. The writer
 * loads (or creates) the audit key and writes a waiting checkpoint after an
 * unseal, and wipes the key after a seal (it also notices by itself before
 * each checkpoint; call this from the seal path so the key goes at once).
 * Returns at once. */
void kw_audit_barrier_changed(kw_audit *a);

/*
 * Rotates the audit key (callers obtain quorum approval first): writes an
 * "audit_key_rotate" entry naming the old and new key ids and the new public
 * key, then a checkpoint signed by the OLD key (so whoever trusts the old
 * key can trust the new one), and from then on signs with the new key. Old
 * public keys are kept, so older checkpoints still verify. out_key_id
 * (optional, room for KW_AUDIT_KEY_ID_LEN + 1) receives the new key id.
 * KW_OK, KW_E_SEALED, KW_E_AUDIT, KW_E_LIMIT, KW_E_NOMEM.
 */
kw_rc kw_audit_key_rotate(kw_audit *a, char *out_key_id);

/* An audit public key, for GET /v1/audit/pubkey. */
typedef struct kw_audit_pubkey {
	char key_id[KW_AUDIT_KEY_ID_LEN + 1];
	char *pem;	 /* SubjectPublicKeyInfo PEM */
	int64_t created; /* unix seconds */
	bool current;	 /* the key that signs new checkpoints */
} kw_audit_pubkey;

/* Every audit public key, oldest first, the current one last; free with
 * kw_audit_pubkeys_free. Known once the barrier has been unsealed since open
 * (kept after a seal: they are public). KW_OK, KW_E_SEALED (not yet known),
 * KW_E_INVALID, KW_E_NOMEM. */
kw_rc kw_audit_pubkeys(kw_audit *a, kw_audit_pubkey **out, size_t *out_count);
void kw_audit_pubkeys_free(kw_audit_pubkey *keys, size_t count);

/* ---- reading (GET /v1/audit) -------------------------------------------- */

#define KW_AUDIT_READ_LIMIT_MAX 1000
#define KW_AUDIT_READ_SCAN_MAX	10000 /* entries examined per call */

/* Every set field must match; NULL / 0 / -1 match anything. */
typedef struct kw_audit_filter {
	int64_t since_ms;      /* entry time >= since (unix ms); 0 = any */
	int64_t until_ms;      /* entry time < until; 0 = any */
	const char *principal; /* exact */
	const char *partition; /* exact */
	const char *key;       /* key name, exact */
	const char *op;	       /* exact */
	int result;	       /* kw_audit_result, or -1 */
	uint64_t after_seq;    /* cursor: entries with seq > after_seq */
	size_t limit;	       /* 0 = 100; at most KW_AUDIT_READ_LIMIT_MAX */
} kw_audit_filter;

typedef struct kw_audit_page {
	char **entries; /* canonical JSON text of each entry, by seq */
	size_t count;
	uint64_t next_after; /* cursor for the next page; 0 = no more */
} kw_audit_page;

/*
 * Reads matching entries in ascending seq. At most limit entries are
 * returned and at most KW_AUDIT_READ_SCAN_MAX examined per call, so a page
 * may hold fewer than limit (even none) while next_after is not 0: call
 * again with after_seq = next_after until it is 0. A since_ms filter starts
 * by binary search (entry times never decrease along the chain).
 * KW_OK (out filled; release with kw_audit_page_clear), KW_E_INVALID,
 * KW_E_STORAGE, KW_E_INTEGRITY (a stored entry is malformed), KW_E_NOMEM.
 * Thread-safe; runs in its own read transaction.
 */
kw_rc kw_audit_read(kw_audit *a, const kw_audit_filter *f, kw_audit_page *out);
void kw_audit_page_clear(kw_audit_page *p);

/* Parses an RFC 3339 time ("2026-01-02T03:04:05Z", optional fraction,
 * "Z" or a numeric offset) into unix milliseconds. KW_OK, KW_E_INVALID. */
kw_rc kw_audit_time_parse(const char *text, int64_t *out_ms);

/* ---- health and metrics ------------------------------------------------- */

/* True while the trail is writable; when not, reason (if not NULL) receives
 * why, NUL-terminated and truncated to reason_len. */
bool kw_audit_healthy(kw_audit *a, char *reason, size_t reason_len);

/* Submissions queued and not yet durable. */
uint64_t kw_audit_backlog(kw_audit *a);

/* Counters since open, for /metrics. */
typedef struct kw_audit_stats {
	uint64_t entries;     /* written, all kinds */
	uint64_t commits;     /* write transactions committed (fsyncs) */
	uint64_t checkpoints; /* written */
	uint64_t alerts;      /* "alert" entries written */
	uint64_t failures;    /* failed write transactions */
	uint64_t refused;     /* submissions failed with KW_E_AUDIT */
	uint64_t backlog;
	uint64_t last_seq;
	bool healthy;
} kw_audit_stats;

void kw_audit_stats_get(kw_audit *a, kw_audit_stats *out);

#endif
