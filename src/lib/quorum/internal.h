/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_QUORUM_INTERNAL_H
#define KW_QUORUM_INTERNAL_H

/*
 * Shared by the files of src/lib/quorum only.
 *
 *   rules.c     op names, rules documents (built into kw_auth, see rules.h)
 *   quorum.c    the handle, clock, transactions, the rules documents of the
 *               instance and partitions, the factors of a request, digests
 *   approval.c  parking, consuming, approving, rejecting, listing, expiry
 *   record.c    the TLV encoding of approval records
 */

#include <stdbool.h>
#include <stdint.h>

#include "keywarden/quorum.h"
#include "keywarden/secret.h"

struct kw_quorum {
	kw_barrier *b;
	kw_store *s;
	kw_quorum_config cfg; /* defaults filled in */
};

/* ---- quorum.c ------------------------------------------------------------ */

int64_t kw_quorum_now(const kw_quorum *q);

/* Runs fn in a write transaction (read-only: once, in a read one),
 * committing if it returns KW_OK; a write is retried a few times when a
 * compare-and-swap or the commit loses a race (KW_E_CONFLICT). Any other
 * result of fn aborts the transaction and is returned (so fn may return
 * KW_E_QUORUM_PENDING or KW_E_STATE with its outputs set). */
typedef kw_rc (*kw_quorum_txn_fn)(kw_quorum *q, kw_store_txn *t, void *arg);
kw_rc kw_quorum_txn(kw_quorum *q, bool write, kw_quorum_txn_fn fn, void *arg);

/* The group name of a partition's approval records ("*" for ""). */
const char *kw_quorum_ns(const char *partition);

/* The factors guarding req, most specific first (key, partition,
 * global), read in t; *out_n 0 when nothing guards it. KW_E_DENIED (why
 * filled) when a key policy or stored document does not parse. */
kw_rc kw_quorum_factors(kw_quorum *q, kw_store_txn *t,
			const kw_quorum_request *req,
			kw_quorum_factor out[static KW_QUORUM_FACTORS_MAX],
			size_t *out_n, char *why);

/* SHA-256 of the factors as they bind an approval (level, group, M,
 * members, roles; not the TTL). */
kw_rc kw_quorum_factors_digest(const kw_quorum_factor *f, size_t n,
			       uint8_t out[static KW_QUORUM_DIGEST_LEN]);

/* The canonical text of req->params (malloc) and the request digest:
 * SHA-256 of the canonical JSON {"key":key id or null,"op":name,
 * "params":{...},"partition":partition}. KW_E_INVALID for params that are
 * not a JSON object or are over KW_QUORUM_PARAMS_MAX bytes. */
kw_rc kw_quorum_request_digest(const kw_quorum_request *req, char **out_params,
			       uint8_t out[static KW_QUORUM_DIGEST_LEN]);

/* ---- approval.c ---------------------------------------------------------- */

/* Whether who (holding roles) belongs to the group of factor f. */
bool kw_quorum_in_factor(const kw_quorum_factor *f, const kw_quorum_member *who,
			 uint32_t roles);

/* ---- record.c ------------------------------------------------------------ */

kw_rc kw_quorum_rec_encode(const kw_approval *a, kw_secret **out);
/* Strict: anything but what encode writes is KW_E_INTEGRITY. The factors'
 * `have` counts are computed from the votes. */
kw_rc kw_quorum_rec_decode(const uint8_t *d, size_t n, kw_approval **out);

/* Loads approval id in t (KW_E_NOT_FOUND), with its record version. */
kw_rc kw_quorum_rec_load(kw_quorum *q, kw_store_txn *t, const char *id,
			 kw_approval **out);
/* Writes a (new if a->record_version is 0, else compare-and-swap on it;
 * a->record_version is updated). */
kw_rc kw_quorum_rec_store(kw_quorum *q, kw_store_txn *t, kw_approval *a);

#endif
