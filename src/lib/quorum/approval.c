/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "quorum/internal.h"
#include "util/codec.h"

/*
 * The life of an approval: parked (pending) -> approved once every factor
 * has its M -> executed by its requester's resubmission; or rejected, or
 * expired. Every change is one read-modify-write of the sealed record in a
 * write transaction with compare-and-swap on its version, so concurrent
 * votes, rejections and resubmissions are serialised: a resubmission that
 * finds the approval executed already, or loses the swap, does not run.
 */

#define LIST_LIMIT_MAX 1000
/* A scan stops early with this when a list page is full. */
#define PAGE_FULL KW_E_BUFFER

static const char *const state_names[] = {
	[KW_APPROVAL_PENDING] = "pending",
	[KW_APPROVAL_APPROVED] = "approved",
	[KW_APPROVAL_REJECTED] = "rejected",
	[KW_APPROVAL_EXECUTED] = "executed",
	[KW_APPROVAL_EXPIRED] = "expired",
};

const char *kw_approval_state_name(kw_approval_state s)
{
	return s >= KW_APPROVAL_PENDING && s <= KW_APPROVAL_EXPIRED
		       ? state_names[s]
		       : NULL;
}

kw_rc kw_approval_state_parse(const char *name, kw_approval_state *out)
{
	if (name == NULL || out == NULL)
		return KW_E_INVALID;
	for (int s = KW_APPROVAL_PENDING; s <= KW_APPROVAL_EXPIRED; s++) {
		if (strcmp(name, state_names[s]) == 0) {
			*out = (kw_approval_state)s;
			return KW_OK;
		}
	}
	return KW_E_INVALID;
}

static void why_set(char *why, const char *text)
{
	if (why != NULL)
		snprintf(why, KW_QUORUM_REASON_MAX + 1, "%s", text);
}

static kw_quorum_member member_of(const kw_caller *c)
{
	kw_quorum_member m = {.system = c->system};
	memcpy(m.name, c->principal, strnlen(c->principal, KW_NAME_MAX));
	return m;
}

static bool same_member(const kw_quorum_member *a, const kw_quorum_member *b)
{
	return a->system == b->system && strcmp(a->name, b->name) == 0;
}

bool kw_quorum_in_factor(const kw_quorum_factor *f, const kw_quorum_member *who,
			 uint32_t roles)
{
	if ((f->roles & roles) != 0)
		return true;
	for (size_t i = 0; i < f->n_members; i++)
		if (same_member(&f->members[i], who))
			return true;
	return false;
}

/* In some factor's group. */
static bool eligible(const kw_approval *a, const kw_caller *c)
{
	kw_quorum_member me = member_of(c);
	for (size_t i = 0; i < a->n_factors; i++)
		if (kw_quorum_in_factor(&a->factors[i], &me, c->roles))
			return true;
	return false;
}

static bool is_requester(const kw_approval *a, const kw_caller *c)
{
	kw_quorum_member me = member_of(c);
	return same_member(&a->requester, &me);
}

/* A principal of another partition never learns that an approval exists. */
static bool in_scope(const kw_approval *a, const kw_caller *c)
{
	return c->system || (c->partition[0] != '\0' &&
			     strcmp(c->partition, a->partition) == 0);
}

bool kw_approval_visible(const kw_approval *a, const kw_caller *caller)
{
	const uint32_t readers =
		KW_ROLE_SECURITY_OFFICER | KW_ROLE_CUSTODIAN | KW_ROLE_AUDITOR;
	if (a == NULL || caller == NULL || !in_scope(a, caller))
		return false;
	return caller->system || is_requester(a, caller) ||
	       eligible(a, caller) || (caller->roles & readers) != 0;
}

/* Pending and approved requests read as expired past their expiry. */
static void effective_state(const kw_quorum *q, kw_approval *a)
{
	if ((a->state == KW_APPROVAL_PENDING ||
	     a->state == KW_APPROVAL_APPROVED) &&
	    kw_quorum_now(q) >= a->expires_at)
		a->state = KW_APPROVAL_EXPIRED;
}

static bool all_met(const kw_approval *a)
{
	for (size_t i = 0; i < a->n_factors; i++)
		if (a->factors[i].have < a->factors[i].m)
			return false;
	return true;
}

static bool request_ok(const kw_quorum_request *req)
{
	return req != NULL && req->caller != NULL &&
	       kw_qop_name(req->op) != NULL && req->partition != NULL &&
	       strnlen(req->partition, KW_NAME_MAX + 1) <= KW_NAME_MAX &&
	       (req->key_name == NULL ||
		strnlen(req->key_name, KW_NAME_MAX + 1) <= KW_NAME_MAX) &&
	       (req->key_id == NULL ||
		strnlen(req->key_id, KW_KEY_ID_LEN + 1) <= KW_KEY_ID_LEN);
}

/* ---- parking a request ---------------------------------------------------- */

typedef struct open_op {
	const kw_quorum_request *req;
	kw_quorum_factor factors[KW_QUORUM_FACTORS_MAX];
	size_t n;
	char *why;
	kw_approval *a; /* out */
} open_op;

static kw_rc open_read_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	open_op *op = arg;
	return kw_quorum_factors(q, t, op->req, op->factors, &op->n, op->why);
}

static kw_rc new_id(char out[static KW_APPROVAL_ID_LEN + 1])
{
	uint8_t raw[16];
	kw_rc rc = kw_random(raw, sizeof(raw));
	if (rc != KW_OK)
		return rc;
	memcpy(out, "a-", 2);
	kw_hex_encode(raw, sizeof(raw), out + 2);
	return KW_OK;
}

/* The record of a new request guarded by op->factors. */
static kw_rc approval_new(kw_quorum *q, const open_op *op, kw_approval **out)
{
	const kw_quorum_request *req = op->req;
	uint64_t ttl = 0;
	kw_rc rc = KW_E_NOMEM;
	kw_approval *a = calloc(1, sizeof(*a));

	if (a == NULL)
		goto out;
	rc = new_id(a->id);
	if (rc == KW_OK)
		rc = kw_quorum_request_digest(req, &a->params, a->digest);
	if (rc == KW_OK)
		rc = kw_quorum_factors_digest(op->factors, op->n,
					      a->policy_digest);
	if (rc != KW_OK)
		goto out;
	a->op = req->op;
	snprintf(a->partition, sizeof(a->partition), "%s", req->partition);
	snprintf(a->key, sizeof(a->key), "%s",
		 req->key_name != NULL ? req->key_name : "");
	snprintf(a->key_id, sizeof(a->key_id), "%s",
		 req->key_id != NULL ? req->key_id : "");
	a->requester = member_of(req->caller);
	a->created = kw_quorum_now(q);
	/* The shortest TTL of any factor, else the default. */
	for (size_t i = 0; i < op->n; i++) {
		uint64_t t = op->factors[i].ttl_s != 0 ? op->factors[i].ttl_s
						       : q->cfg.default_ttl_s;
		if (ttl == 0 || t < ttl)
			ttl = t;
	}
	a->expires_at = a->created + (int64_t)ttl;
	a->state = KW_APPROVAL_PENDING;
	a->n_factors = op->n;
	memcpy(a->factors, op->factors, op->n * sizeof(op->factors[0]));
	*out = a;
	a = NULL;
out:
	kw_approval_free(a);
	return rc;
}

static kw_rc open_write_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	open_op *op = arg;
	uint64_t count = 0;
	kw_rc rc = kw_barrier_rec_count(q->b, t, KW_REC_APPROVAL,
					kw_quorum_ns(op->a->partition), &count);
	if (rc == KW_OK && count >= KW_QUORUM_OPEN_MAX)
		rc = KW_E_LIMIT;
	if (rc == KW_OK) {
		op->a->record_version = 0;
		rc = kw_quorum_rec_store(q, t, op->a);
	}
	return rc;
}

kw_rc kw_quorum_request_open(kw_quorum *q, const kw_quorum_request *req,
			     kw_approval **out, char *out_why)
{
	char why[KW_QUORUM_REASON_MAX + 1] = "";
	open_op op = {.req = req, .why = why};
	kw_rc rc = KW_E_INVALID;

	if (q == NULL || out == NULL || !request_ok(req))
		goto out;
	/* The common case, nothing guards it, reads only. */
	rc = kw_quorum_txn(q, false, open_read_fn, &op);
	if (rc == KW_E_DENIED)
		why_set(out_why, why);
	if (rc != KW_OK || op.n == 0)
		goto out;
	rc = approval_new(q, &op, &op.a);
	if (rc == KW_OK)
		rc = kw_quorum_txn(q, true, open_write_fn, &op);
	if (rc != KW_OK)
		goto out;
	*out = op.a;
	op.a = NULL;
	rc = KW_E_QUORUM_PENDING;
out:
	kw_approval_free(op.a);
	return rc;
}

/* ---- consuming an approval ------------------------------------------------ */

typedef struct use_op {
	const kw_quorum_request *req;
	const kw_caller *caller;
	const char *id;
	const char *reason;
	char *why;
	kw_approval *a; /* out (also with KW_E_QUORUM_PENDING) */
} use_op;

/* Loads op->id for op->caller, in its state as of now; KW_E_NOT_FOUND if
 * not in scope. */
static kw_rc use_load(kw_quorum *q, kw_store_txn *t, use_op *op)
{
	kw_approval_free(op->a);
	op->a = NULL;
	kw_rc rc = kw_quorum_rec_load(q, t, op->id, &op->a);
	if (rc == KW_OK && !in_scope(op->a, op->caller))
		rc = KW_E_NOT_FOUND;
	if (rc == KW_OK)
		effective_state(q, op->a);
	if (rc == KW_E_NOT_FOUND)
		why_set(op->why, "no such approval");
	return rc;
}

/* The codes of a request that is no longer open. */
static kw_rc closed_rc(const kw_approval *a, char *why)
{
	char text[96];
	snprintf(text, sizeof(text), "approval %s is %s", a->id,
		 kw_approval_state_name(a->state));
	why_set(why, text);
	return KW_E_STATE;
}

static kw_rc consume_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	use_op *op = arg;
	const kw_quorum_request *req = op->req;
	kw_quorum_factor now_f[KW_QUORUM_FACTORS_MAX];
	uint8_t digest[KW_QUORUM_DIGEST_LEN], pdig[KW_QUORUM_DIGEST_LEN];
	char *params = NULL;
	size_t n = 0;
	kw_rc rc = use_load(q, t, op);

	if (rc != KW_OK)
		goto out;
	kw_approval *a = op->a;
	if (!is_requester(a, op->caller)) {
		why_set(op->why, "only the requester may use an approval");
		rc = KW_E_DENIED;
		goto out;
	}
	rc = kw_quorum_request_digest(req, &params, digest);
	if (rc != KW_OK)
		goto out;
	if (a->op != req->op || strcmp(a->partition, req->partition) != 0 ||
	    strcmp(a->key_id, req->key_id != NULL ? req->key_id : "") != 0 ||
	    memcmp(a->digest, digest, sizeof(digest)) != 0) {
		why_set(op->why, "the approval is for a different request "
				 "(operation, key or parameters)");
		rc = KW_E_DENIED;
		goto out;
	}
	if (a->state == KW_APPROVAL_PENDING) {
		why_set(op->why, "the request still needs approvals");
		rc = KW_E_QUORUM_PENDING;
		goto out;
	}
	if (a->state != KW_APPROVAL_APPROVED) {
		rc = closed_rc(a, op->why);
		goto out;
	}
	/* The rules in force now must be those it was approved under: a
	 * stricter rule set since then needs a new request. */
	rc = kw_quorum_factors(q, t, req, now_f, &n, op->why);
	if (rc == KW_OK)
		rc = kw_quorum_factors_digest(now_f, n, pdig);
	if (rc != KW_OK)
		goto out;
	if (n == 0 || memcmp(pdig, a->policy_digest, sizeof(pdig)) != 0) {
		why_set(op->why, "the quorum rules changed since the request; "
				 "submit it again");
		rc = KW_E_STATE;
		goto out;
	}
	a->state = KW_APPROVAL_EXECUTED;
	a->decided_at = kw_quorum_now(q);
	rc = kw_quorum_rec_store(q, t, a);
out:
	free(params);
	return rc;
}

/* Runs a use_op in a write transaction; *out on KW_OK and on the codes in
 * `also` (a second code that still gives the approval). */
static kw_rc use_run(kw_quorum *q, kw_quorum_txn_fn fn, use_op *op, kw_rc also,
		     kw_approval **out)
{
	kw_rc rc = kw_quorum_txn(q, true, fn, op);
	if (rc == KW_OK || (rc == also && op->a != NULL)) {
		*out = op->a;
		op->a = NULL;
	}
	kw_approval_free(op->a);
	return rc;
}

kw_rc kw_quorum_request_consume(kw_quorum *q, const kw_quorum_request *req,
				const char *id, kw_approval **out,
				char *out_why)
{
	use_op op = {.req = req, .id = id, .why = out_why};

	if (q == NULL || out == NULL || !request_ok(req) || id == NULL ||
	    !kw_store_id_valid(id))
		return KW_E_INVALID;
	op.caller = req->caller;
	return use_run(q, consume_fn, &op, KW_E_QUORUM_PENDING, out);
}

/* ---- votes ---------------------------------------------------------------- */

/* Whether a vote by c would count for a factor still short of its M. */
static bool counts_now(const kw_approval *a, const kw_caller *c)
{
	kw_quorum_member me = member_of(c);
	for (size_t i = 0; i < a->n_factors; i++) {
		const kw_quorum_factor *f = &a->factors[i];
		if (f->have < f->m && kw_quorum_in_factor(f, &me, c->roles))
			return true;
	}
	return false;
}

static kw_rc approve_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	use_op *op = arg;
	kw_rc rc = use_load(q, t, op);

	if (rc != KW_OK)
		return rc;
	kw_approval *a = op->a;
	kw_quorum_member me = member_of(op->caller);
	if (a->state != KW_APPROVAL_PENDING)
		return closed_rc(a, op->why);
	if (is_requester(a, op->caller)) {
		why_set(op->why,
			"the requester cannot approve their own request");
		return KW_E_DENIED;
	}
	if (!eligible(a, op->caller)) {
		why_set(op->why, "not in the approver group of this request");
		return KW_E_DENIED;
	}
	for (size_t i = 0; i < a->n_votes; i++) {
		if (same_member(&a->votes[i].who, &me)) {
			why_set(op->why, "already approved by this principal "
					 "(a principal counts once)");
			return KW_E_EXISTS;
		}
	}
	if (!counts_now(a, op->caller) || a->n_votes >= KW_QUORUM_VOTES_MAX) {
		why_set(op->why, "the groups this principal is in have "
				 "their approvals already");
		return KW_E_DENIED;
	}
	kw_approval_vote *v = &a->votes[a->n_votes++];
	v->who = me;
	v->roles = op->caller->roles;
	v->at = kw_quorum_now(q);
	for (size_t i = 0; i < a->n_factors; i++)
		if (kw_quorum_in_factor(&a->factors[i], &me, v->roles))
			a->factors[i].have++;
	if (all_met(a))
		a->state = KW_APPROVAL_APPROVED;
	return kw_quorum_rec_store(q, t, a);
}

kw_rc kw_quorum_request_approve(kw_quorum *q, const kw_caller *caller,
				const char *id, kw_approval **out,
				char *out_why)
{
	use_op op = {.caller = caller, .id = id, .why = out_why};

	if (q == NULL || caller == NULL || out == NULL || id == NULL ||
	    !kw_store_id_valid(id))
		return KW_E_INVALID;
	return use_run(q, approve_fn, &op, KW_OK, out);
}

static bool reason_ok(const char *r)
{
	if (r == NULL)
		return true;
	size_t n = strnlen(r, KW_QUORUM_REASON_MAX + 1);
	if (n > KW_QUORUM_REASON_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r[i] < 0x20 || (unsigned char)r[i] > 0x7e)
			return false;
	return true;
}

static kw_rc reject_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	use_op *op = arg;
	kw_rc rc = use_load(q, t, op);

	if (rc != KW_OK)
		return rc;
	kw_approval *a = op->a;
	if (a->state != KW_APPROVAL_PENDING && a->state != KW_APPROVAL_APPROVED)
		return closed_rc(a, op->why);
	if (!is_requester(a, op->caller) && !eligible(a, op->caller)) {
		why_set(op->why, "not in the approver group of this request");
		return KW_E_DENIED;
	}
	a->state = KW_APPROVAL_REJECTED;
	a->decided_by = member_of(op->caller);
	a->decided_at = kw_quorum_now(q);
	snprintf(a->reason, sizeof(a->reason), "%s",
		 op->reason != NULL ? op->reason : "");
	return kw_quorum_rec_store(q, t, a);
}

kw_rc kw_quorum_request_reject(kw_quorum *q, const kw_caller *caller,
			       const char *id, const char *reason,
			       kw_approval **out, char *out_why)
{
	use_op op = {
		.caller = caller, .id = id, .reason = reason, .why = out_why};

	if (q == NULL || caller == NULL || out == NULL || id == NULL ||
	    !kw_store_id_valid(id) || !reason_ok(reason))
		return KW_E_INVALID;
	return use_run(q, reject_fn, &op, KW_OK, out);
}

/* ---- reading -------------------------------------------------------------- */

static kw_rc get_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	use_op *op = arg;
	kw_rc rc = use_load(q, t, op);
	if (rc == KW_OK && !kw_approval_visible(op->a, op->caller))
		rc = KW_E_NOT_FOUND;
	return rc;
}

kw_rc kw_quorum_request_get(kw_quorum *q, const kw_caller *caller,
			    const char *id, kw_approval **out)
{
	use_op op = {.caller = caller, .id = id};
	kw_rc rc;

	if (q == NULL || caller == NULL || out == NULL || id == NULL ||
	    !kw_store_id_valid(id))
		return KW_E_INVALID;
	rc = kw_quorum_txn(q, false, get_fn, &op);
	if (rc == KW_OK) {
		*out = op.a;
		op.a = NULL;
	}
	kw_approval_free(op.a);
	return rc;
}

typedef struct list_op {
	kw_quorum *q;
	const kw_caller *caller;
	const char *partition;
	int state;
	const char *cursor;
	size_t limit;
	kw_approval **items; /* limit + 1 slots */
	size_t n;
} list_op;

static kw_rc list_cb(const char *id, uint64_t version, const uint8_t *data,
		     size_t len, void *arg)
{
	list_op *op = arg;
	kw_approval *a = NULL;
	kw_rc rc = kw_quorum_rec_decode(data, len, &a);

	if (rc != KW_OK)
		return rc;
	if (strcmp(a->id, id) != 0 || strcmp(a->partition, op->partition)) {
		kw_approval_free(a);
		return KW_E_INTEGRITY;
	}
	a->record_version = version;
	effective_state(op->q, a);
	if (!kw_approval_visible(a, op->caller) ||
	    (op->state != KW_APPROVAL_STATE_ANY &&
	     (int)a->state != op->state)) {
		kw_approval_free(a);
		return KW_OK;
	}
	op->items[op->n++] = a;
	return op->n > op->limit ? PAGE_FULL : KW_OK;
}

static kw_rc list_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	list_op *op = arg;
	kw_rc rc = kw_barrier_rec_list(q->b, t, KW_REC_APPROVAL,
				       kw_quorum_ns(op->partition), op->cursor,
				       0, list_cb, op);
	return rc == PAGE_FULL ? KW_OK : rc;
}

void kw_approval_list_free(kw_approval **list, size_t n, char *next)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		kw_approval_free(list[i]);
	free(list);
	free(next);
}

kw_rc kw_quorum_request_list(kw_quorum *q, const kw_caller *caller,
			     const char *partition, int state,
			     const char *cursor, size_t limit,
			     kw_approval ***out, size_t *out_n, char **out_next)
{
	list_op op = {.q = q,
		      .caller = caller,
		      .partition = partition,
		      .state = state,
		      .cursor = cursor,
		      .limit = limit};
	char *next = NULL;
	kw_rc rc = KW_E_INVALID;

	if (q == NULL || caller == NULL || partition == NULL ||
	    strnlen(partition, KW_NAME_MAX + 1) > KW_NAME_MAX || out == NULL ||
	    out_n == NULL || out_next == NULL || limit == 0 ||
	    limit > LIST_LIMIT_MAX || state < 0 ||
	    state > KW_APPROVAL_EXPIRED ||
	    (cursor != NULL && !kw_store_id_valid(cursor)))
		goto out;
	op.items = calloc(limit + 1, sizeof(*op.items));
	rc = op.items != NULL ? kw_quorum_txn(q, false, list_fn, &op)
			      : KW_E_NOMEM;
	if (rc == KW_OK && op.n > limit) {
		kw_approval_free(op.items[limit]);
		op.n = limit;
		next = strdup(op.items[limit - 1]->id);
		if (next == NULL)
			rc = KW_E_NOMEM;
	}
	if (rc != KW_OK)
		goto out;
	*out = op.items;
	*out_n = op.n;
	*out_next = next;
	op.items = NULL;
	next = NULL;
out:
	kw_approval_list_free(op.items, op.n, next);
	return rc;
}

/* ---- expiry --------------------------------------------------------------- */

typedef struct sweep_op {
	kw_quorum *q;
	kw_store_txn *t;
	uint64_t retention_s;
	kw_approval **expired; /* marked in this transaction */
	size_t n, cap;
} sweep_op;

static kw_rc sweep_cb(const char *id, uint64_t version, const uint8_t *data,
		      size_t len, void *arg)
{
	sweep_op *op = arg;
	kw_approval *a = NULL;
	int64_t now = kw_quorum_now(op->q);
	kw_rc rc = kw_quorum_rec_decode(data, len, &a);

	if (rc != KW_OK)
		return rc;
	a->record_version = version;
	bool open = a->state == KW_APPROVAL_PENDING ||
		    a->state == KW_APPROVAL_APPROVED;
	int64_t end =
		a->decided_at > a->expires_at ? a->decided_at : a->expires_at;
	if (open && now >= a->expires_at) {
		if (op->n == op->cap) {
			size_t cap = op->cap != 0 ? op->cap * 2 : 16;
			kw_approval **g =
				realloc(op->expired, cap * sizeof(*g));
			if (g == NULL) {
				rc = KW_E_NOMEM;
				goto out;
			}
			op->expired = g;
			op->cap = cap;
		}
		a->state = KW_APPROVAL_EXPIRED;
		rc = kw_quorum_rec_store(op->q, op->t, a);
		if (rc == KW_OK) {
			op->expired[op->n++] = a;
			a = NULL;
		}
	} else if (!open && now - end > (int64_t)op->retention_s) {
		rc = kw_barrier_rec_delete(op->q->b, op->t, KW_REC_APPROVAL, id,
					   version);
	}
out:
	kw_approval_free(a);
	return rc;
}

static kw_rc sweep_fn(kw_quorum *q, kw_store_txn *t, void *arg)
{
	sweep_op *op = arg;
	/* A retry starts over: forget what a lost attempt marked. */
	kw_approval_list_free(op->expired, op->n, NULL);
	op->expired = NULL;
	op->n = op->cap = 0;
	op->t = t;
	return kw_barrier_rec_list(q->b, t, KW_REC_APPROVAL, NULL, NULL, 0,
				   sweep_cb, op);
}

kw_rc kw_quorum_expire_due(kw_quorum *q, uint64_t retention_s,
			   kw_quorum_expired_cb cb, void *arg,
			   size_t *out_count)
{
	sweep_op op = {.q = q, .retention_s = retention_s};
	kw_rc rc;

	if (q == NULL || retention_s > (uint64_t)INT32_MAX)
		return KW_E_INVALID;
	rc = kw_quorum_txn(q, true, sweep_fn, &op);
	if (rc == KW_OK) {
		for (size_t i = 0; cb != NULL && i < op.n; i++)
			cb(op.expired[i], arg);
		if (out_count != NULL)
			*out_count = op.n;
	}
	kw_approval_list_free(op.expired, op.n, NULL);
	return rc;
}
