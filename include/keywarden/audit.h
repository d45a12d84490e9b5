/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_AUDIT_H
#define KEYWARDEN_AUDIT_H

/*
 * The tamper-evident audit trail (DESIGN.md §1.5, §5).
 *
 * Entries are JSON objects hash-chained in the format of DESIGN.md §5 and
 * appended to the store's audit table through a group-commit writer: many
 * concurrent submissions share one write transaction (one fsync). A
 * submission completes (its callback runs) only once its entry is durable;
 * the daemon sends the response only then. If the trail cannot be written,
 * every pending and later submission completes with KW_E_AUDIT
 * (fail-closed) until the store accepts writes again.
 *
 * Checkpoint entries carry an Ed25519 signature by the audit key over the
 * head of the chain; they are written every checkpoint_every entries or
 * checkpoint_interval_s seconds, on request and on clean shutdown.
 *
 * Audit entries never contain inputs or outputs of crypto operations, only
 * digests of them where useful.
 *
 * Thread-safe.
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

/* One event. Strings may be NULL (omitted / empty). The audit module copies
 * everything it needs before kw_audit_submit returns. */
typedef struct kw_audit_event {
	const char *principal; /* "" or NULL when unauthenticated */
	const char *partition;
	const char *op;	       /* stable op name, e.g. "key_sign", "auth_login" */
	const char *key;       /* key name, if any */
	uint32_t key_version;  /* 0 = none */
	kw_audit_result result;
	const char *reason;    /* short, no secrets; error code or denial reason */
	const char *request_id;
	const char *source;    /* "unix", client address */
	const char *detail;    /* optional JSON object text with extra fields,
				  e.g. {"digest":"..."} (no secrets) */
} kw_audit_event;

typedef struct kw_audit_config {
	const char *node;		/* node name in entries; NULL = hostname */
	unsigned checkpoint_every;	/* 0 = 1000 */
	unsigned checkpoint_interval_s; /* 0 = 10 */
	unsigned max_batch;		/* entries per transaction; 0 = 512 */
	unsigned max_pending;		/* queue bound; 0 = 65536 (then KW_E_LIMIT) */
} kw_audit_config;

typedef struct kw_audit kw_audit;

/* Opens the trail on store s: reads the head of the chain, starts the
 * writer thread. b is used for the audit signing key once unsealed. */
kw_rc kw_audit_open(kw_store *s, kw_barrier *b, const kw_audit_config *cfg,
		    kw_audit **out);
/* Writes a checkpoint (if unsealed), drains the queue, stops the writer. */
void kw_audit_close(kw_audit *a);

/* Called when the submission is durable (rc KW_OK, *seq its number) or has
 * failed (KW_E_AUDIT, KW_E_LIMIT). Runs on the writer thread: keep it short
 * (e.g. queue the response and resume the connection). */
typedef void (*kw_audit_done_cb)(void *arg, kw_rc rc, uint64_t seq);

/* Queues an event. KW_OK if queued (cb will run exactly once), or an error
 * (cb will not run): KW_E_INVALID, KW_E_AUDIT (trail down), KW_E_LIMIT. */
kw_rc kw_audit_submit(kw_audit *a, const kw_audit_event *ev,
		      kw_audit_done_cb cb, void *arg);

/* Queues and waits until durable. KW_OK or KW_E_AUDIT / KW_E_LIMIT. */
kw_rc kw_audit_append(kw_audit *a, const kw_audit_event *ev,
		      uint64_t *out_seq);

/* True while the trail is writable; with a reason when not. */
bool kw_audit_healthy(kw_audit *a, char *reason, size_t reason_len);

/* Submissions queued and not yet durable. */
uint64_t kw_audit_backlog(kw_audit *a);

#endif
