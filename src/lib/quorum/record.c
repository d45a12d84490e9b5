/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "quorum/internal.h"
#include "util/tlv.h"

/*
 * The plaintext of an approval record (sealed by the barrier; id "a-" + 32
 * hex, group: the partition's namespace). TLV items, tag 1 the format (1):
 *
 *   2 id, 3 op, 4 partition, 5 key, 6 key id, 7 requester, 8 requester is
 *   a system principal, 9 created, 10 expires at, 11 state, 12 digest,
 *   13 policy digest, 14 params, 15 factor (repeated, nested), 16 vote
 *   (repeated, nested), 17 decided by, 18 decided by a system principal,
 *   19 decided at, 20 reason
 *   factor: 1 level, 2 group, 3 m, 4 member (repeated, nested: 1 name,
 *           2 system), 5 roles, 6 ttl
 *   vote:   1 name, 2 system, 3 roles, 4 at
 *
 * The decoder is strict: an unknown or repeated (non-repeatable) tag, a
 * missing item, a value of the wrong size or out of range is
 * KW_E_INTEGRITY — the record was not written by this code.
 */

#define REC_FORMAT 1u

enum {
	T_FORMAT = 1,
	T_ID,
	T_OP,
	T_PARTITION,
	T_KEY,
	T_KEY_ID,
	T_REQUESTER,
	T_REQUESTER_SYS,
	T_CREATED,
	T_EXPIRES,
	T_STATE,
	T_DIGEST,
	T_POLICY_DIGEST,
	T_PARAMS,
	T_FACTOR,
	T_VOTE,
	T_DECIDED_BY,
	T_DECIDED_SYS,
	T_DECIDED_AT,
	T_REASON,
	T_COUNT_
};
enum { F_LEVEL = 1, F_GROUP, F_M, F_MEMBER, F_ROLES, F_TTL };
enum { M_NAME = 1, M_SYSTEM };
enum { V_NAME = 1, V_SYSTEM, V_ROLES, V_AT };

/* Puts the encoding of an inner writer as one item of w. */
static void put_nested(kw_tlv_writer *w, uint16_t tag, kw_tlv_writer *in)
{
	kw_secret *s = NULL;
	kw_rc rc = kw_tlv_writer_finish(in, &s);
	if (rc == KW_OK)
		kw_tlv_put_bytes(w, tag, s->data, s->len);
	else if (w->err == KW_OK)
		w->err = rc;
	kw_secret_free(s);
}

static void put_factor(kw_tlv_writer *w, const kw_quorum_factor *f)
{
	kw_tlv_writer fw;
	kw_tlv_writer_init(&fw);
	kw_tlv_put_u64(&fw, F_LEVEL, (uint64_t)f->level);
	kw_tlv_put_str(&fw, F_GROUP, f->group);
	kw_tlv_put_u64(&fw, F_M, f->m);
	for (size_t i = 0; i < f->n_members; i++) {
		kw_tlv_writer mw;
		kw_tlv_writer_init(&mw);
		kw_tlv_put_str(&mw, M_NAME, f->members[i].name);
		kw_tlv_put_u64(&mw, M_SYSTEM, f->members[i].system);
		put_nested(&fw, F_MEMBER, &mw);
	}
	kw_tlv_put_u64(&fw, F_ROLES, f->roles);
	kw_tlv_put_u64(&fw, F_TTL, f->ttl_s);
	put_nested(w, T_FACTOR, &fw);
}

static void put_vote(kw_tlv_writer *w, const kw_approval_vote *v)
{
	kw_tlv_writer vw;
	kw_tlv_writer_init(&vw);
	kw_tlv_put_str(&vw, V_NAME, v->who.name);
	kw_tlv_put_u64(&vw, V_SYSTEM, v->who.system);
	kw_tlv_put_u64(&vw, V_ROLES, v->roles);
	kw_tlv_put_i64(&vw, V_AT, v->at);
	put_nested(w, T_VOTE, &vw);
}

kw_rc kw_quorum_rec_encode(const kw_approval *a, kw_secret **out)
{
	kw_tlv_writer w;
	kw_tlv_writer_init(&w);
	kw_tlv_put_u64(&w, T_FORMAT, REC_FORMAT);
	kw_tlv_put_str(&w, T_ID, a->id);
	kw_tlv_put_u64(&w, T_OP, (uint64_t)a->op);
	kw_tlv_put_str(&w, T_PARTITION, a->partition);
	kw_tlv_put_str(&w, T_KEY, a->key);
	kw_tlv_put_str(&w, T_KEY_ID, a->key_id);
	kw_tlv_put_str(&w, T_REQUESTER, a->requester.name);
	kw_tlv_put_u64(&w, T_REQUESTER_SYS, a->requester.system);
	kw_tlv_put_i64(&w, T_CREATED, a->created);
	kw_tlv_put_i64(&w, T_EXPIRES, a->expires_at);
	kw_tlv_put_u64(&w, T_STATE, (uint64_t)a->state);
	kw_tlv_put_bytes(&w, T_DIGEST, a->digest, KW_QUORUM_DIGEST_LEN);
	kw_tlv_put_bytes(&w, T_POLICY_DIGEST, a->policy_digest,
			 KW_QUORUM_DIGEST_LEN);
	kw_tlv_put_str(&w, T_PARAMS, a->params != NULL ? a->params : "{}");
	for (size_t i = 0; i < a->n_factors; i++)
		put_factor(&w, &a->factors[i]);
	for (size_t i = 0; i < a->n_votes; i++)
		put_vote(&w, &a->votes[i]);
	kw_tlv_put_str(&w, T_DECIDED_BY, a->decided_by.name);
	kw_tlv_put_u64(&w, T_DECIDED_SYS, a->decided_by.system);
	kw_tlv_put_i64(&w, T_DECIDED_AT, a->decided_at);
	kw_tlv_put_str(&w, T_REASON, a->reason);
	return kw_tlv_writer_finish(&w, out);
}

/* ---- decoding ---------------------------------------------------------- */

/* A u64 item that must be at most max. */
static kw_rc item_small(const kw_tlv_item *it, uint64_t max, uint64_t *out)
{
	uint64_t v;
	if (kw_tlv_item_u64(it, &v) != KW_OK || v > max)
		return KW_E_INTEGRITY;
	*out = v;
	return KW_OK;
}

static kw_rc item_bool(const kw_tlv_item *it, bool *out)
{
	uint64_t v;
	kw_rc rc = item_small(it, 1, &v);
	if (rc == KW_OK)
		*out = v != 0;
	return rc;
}

/* Reads the items of d[0..n) with tags 1..max_tag in ascending order, each
 * through fn; a tag in `repeats` may come more than once (in a row), every
 * tag in `required` must come. Anything else is KW_E_INTEGRITY (KW_E_NOMEM
 * passes): what decodes is exactly what the encoder writes. */
typedef kw_rc (*item_fn)(const kw_tlv_item *it, void *dst);
static kw_rc dec_items(const uint8_t *d, size_t n, unsigned max_tag,
		       uint32_t repeats, uint32_t required, item_fn fn,
		       void *dst)
{
	kw_tlv_reader r;
	kw_tlv_item it;
	uint32_t seen = 0;
	unsigned last = 0;
	kw_rc rc;

	if (d == NULL)
		return KW_E_INTEGRITY;
	kw_tlv_reader_init(&r, d, n);
	while ((rc = kw_tlv_next(&r, &it)) == KW_OK) {
		uint32_t bit = 1u << (it.tag & 31);
		if (it.tag == 0 || it.tag > max_tag || it.tag < last ||
		    (seen & bit & ~repeats))
			return KW_E_INTEGRITY;
		last = it.tag;
		seen |= bit;
		rc = fn(&it, dst);
		if (rc != KW_OK)
			return rc == KW_E_NOMEM ? rc : KW_E_INTEGRITY;
	}
	return rc == KW_E_NOT_FOUND && (seen & required) == required
		       ? KW_OK
		       : KW_E_INTEGRITY;
}

#define TAGS(first, last) (((1u << ((last) + 1)) - 1) & ~((1u << (first)) - 1))

static kw_rc member_item(const kw_tlv_item *it, void *dst)
{
	kw_quorum_member *m = dst;
	return it->tag == M_NAME ? kw_tlv_item_str(it, m->name, KW_NAME_MAX)
				 : item_bool(it, &m->system);
}

static kw_rc factor_item(const kw_tlv_item *it, void *dst)
{
	kw_quorum_factor *f = dst;
	uint64_t v = 0;
	kw_rc rc;
	switch (it->tag) {
	case F_LEVEL:
		rc = item_small(it, KW_QUORUM_KEY, &v);
		f->level = (kw_quorum_level)v;
		return rc == KW_OK && v == 0 ? KW_E_INTEGRITY : rc;
	case F_GROUP:
		return kw_tlv_item_str(it, f->group, KW_NAME_MAX);
	case F_M:
		rc = item_small(it, KW_QUORUM_M_MAX, &v);
		f->m = (unsigned)v;
		return rc == KW_OK && v == 0 ? KW_E_INTEGRITY : rc;
	case F_MEMBER:
		if (f->n_members >= KW_QUORUM_MEMBERS_MAX)
			return KW_E_INTEGRITY;
		return dec_items(it->val, it->len, M_SYSTEM, 0,
				 TAGS(M_NAME, M_SYSTEM), member_item,
				 &f->members[f->n_members++]);
	case F_ROLES:
		rc = item_small(it, KW_ROLE_ALL_, &v);
		f->roles = (uint32_t)v;
		return rc;
	default:
		return item_small(it, KW_QUORUM_TTL_MAX, &f->ttl_s);
	}
}

static kw_rc vote_item(const kw_tlv_item *it, void *dst)
{
	kw_approval_vote *v = dst;
	uint64_t roles = 0;
	kw_rc rc;
	switch (it->tag) {
	case V_NAME:
		return kw_tlv_item_str(it, v->who.name, KW_NAME_MAX);
	case V_SYSTEM:
		return item_bool(it, &v->who.system);
	case V_ROLES:
		rc = item_small(it, KW_ROLE_ALL_, &roles);
		v->roles = (uint32_t)roles;
		return rc;
	default:
		return kw_tlv_item_i64(it, &v->at);
	}
}

static kw_rc dec_bytes(const kw_tlv_item *it, uint8_t *out)
{
	if (it->len != KW_QUORUM_DIGEST_LEN)
		return KW_E_INTEGRITY;
	memcpy(out, it->val, KW_QUORUM_DIGEST_LEN);
	return KW_OK;
}

/* One top-level item into a. */
static kw_rc approval_item(const kw_tlv_item *it, void *dst)
{
	kw_approval *a = dst;
	uint64_t v = 0;
	kw_rc rc;
	switch (it->tag) {
	case T_FORMAT:
		rc = kw_tlv_item_u64(it, &v);
		return rc == KW_OK && v != REC_FORMAT ? KW_E_INTEGRITY : rc;
	case T_ID:
		return kw_tlv_item_str(it, a->id, KW_APPROVAL_ID_LEN);
	case T_OP:
		rc = item_small(it, KW_QOP_COUNT_ - 1, &v);
		a->op = (kw_qop)v;
		return rc;
	case T_PARTITION:
		return kw_tlv_item_str(it, a->partition, KW_NAME_MAX);
	case T_KEY:
		return kw_tlv_item_str(it, a->key, KW_NAME_MAX);
	case T_KEY_ID:
		return kw_tlv_item_str(it, a->key_id, KW_KEY_ID_LEN);
	case T_REQUESTER:
		return kw_tlv_item_str(it, a->requester.name, KW_NAME_MAX);
	case T_REQUESTER_SYS:
		return item_bool(it, &a->requester.system);
	case T_CREATED:
		return kw_tlv_item_i64(it, &a->created);
	case T_EXPIRES:
		return kw_tlv_item_i64(it, &a->expires_at);
	case T_STATE:
		rc = item_small(it, KW_APPROVAL_EXPIRED, &v);
		a->state = (kw_approval_state)v;
		return rc;
	case T_DIGEST:
		return dec_bytes(it, a->digest);
	case T_POLICY_DIGEST:
		return dec_bytes(it, a->policy_digest);
	case T_PARAMS:
		return kw_tlv_item_strdup(it, KW_QUORUM_PARAMS_MAX, &a->params);
	case T_FACTOR:
		if (a->n_factors >= KW_QUORUM_FACTORS_MAX)
			return KW_E_INTEGRITY;
		/* every item but the members is required */
		return dec_items(it->val, it->len, F_TTL, 1u << F_MEMBER,
				 TAGS(F_LEVEL, F_TTL) & ~(1u << F_MEMBER),
				 factor_item, &a->factors[a->n_factors++]);
	case T_VOTE:
		if (a->n_votes >= KW_QUORUM_VOTES_MAX)
			return KW_E_INTEGRITY;
		return dec_items(it->val, it->len, V_AT, 0, TAGS(V_NAME, V_AT),
				 vote_item, &a->votes[a->n_votes++]);
	case T_DECIDED_BY:
		return kw_tlv_item_str(it, a->decided_by.name, KW_NAME_MAX);
	case T_DECIDED_SYS:
		return item_bool(it, &a->decided_by.system);
	case T_DECIDED_AT:
		return kw_tlv_item_i64(it, &a->decided_at);
	default:
		return kw_tlv_item_str(it, a->reason, KW_QUORUM_REASON_MAX);
	}
}

static void tally(kw_approval *a)
{
	for (size_t i = 0; i < a->n_factors; i++) {
		kw_quorum_factor *f = &a->factors[i];
		f->have = 0;
		for (size_t j = 0; j < a->n_votes; j++)
			if (kw_quorum_in_factor(f, &a->votes[j].who,
						a->votes[j].roles))
				f->have++;
	}
}

kw_rc kw_quorum_rec_decode(const uint8_t *d, size_t n, kw_approval **out)
{
	const uint32_t repeats = (1u << T_FACTOR) | (1u << T_VOTE);
	kw_approval *a = calloc(1, sizeof(*a));
	kw_rc rc = KW_E_NOMEM;

	if (a == NULL)
		goto out;
	/* every item is required but the factors and votes (at least one
	 * factor, checked below) */
	rc = dec_items(d, n, T_COUNT_ - 1, repeats,
		       TAGS(T_FORMAT, T_COUNT_ - 1) & ~repeats, approval_item,
		       a);
	if (rc == KW_OK && (a->n_factors == 0 || a->op == KW_QOP_NONE ||
			    a->state < KW_APPROVAL_PENDING))
		rc = KW_E_INTEGRITY;
	if (rc != KW_OK)
		goto out;
	tally(a);
	*out = a;
	a = NULL;
out:
	kw_approval_free(a);
	return rc;
}

void kw_approval_free(kw_approval *a)
{
	if (a == NULL)
		return;
	free(a->params);
	free(a);
}

/* ---- load and store ----------------------------------------------------- */

kw_rc kw_quorum_rec_load(kw_quorum *q, kw_store_txn *t, const char *id,
			 kw_approval **out)
{
	kw_secret *data = NULL;
	kw_approval *a = NULL;
	uint64_t version = 0;
	kw_rc rc = kw_barrier_rec_get(q->b, t, KW_REC_APPROVAL, id, &data,
				      &version);
	if (rc != KW_OK)
		goto out;
	rc = kw_quorum_rec_decode(data->data, data->len, &a);
	if (rc != KW_OK)
		goto out;
	/* The id inside must be the record's: a record copied to another
	 * id would otherwise pass as that one. */
	if (strcmp(a->id, id) != 0) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	a->record_version = version;
	*out = a;
	a = NULL;
out:
	kw_approval_free(a);
	kw_secret_free(data);
	return rc;
}

kw_rc kw_quorum_rec_store(kw_quorum *q, kw_store_txn *t, kw_approval *a)
{
	kw_secret *data = NULL;
	uint64_t version = 0;
	kw_rc rc = kw_quorum_rec_encode(a, &data);
	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_rec_put(q->b, t, KW_REC_APPROVAL, a->id,
				kw_quorum_ns(a->partition), NULL, data->data,
				data->len, a->record_version, &version);
	if (rc == KW_OK)
		a->record_version = version;
out:
	kw_secret_free(data);
	return rc;
}
