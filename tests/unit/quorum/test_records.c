/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "quorum/internal.h"

/* The approval record's encoding: what is written reads back the same,
 * and anything else is refused as KW_E_INTEGRITY. */

static kw_approval *sample(void)
{
	kw_approval *a = calloc(1, sizeof(*a));
	assert_non_null(a);
	memcpy(a->id, "a-00112233445566778899aabbccddeeff", KW_APPROVAL_ID_LEN);
	a->op = KW_QOP_KEY_POLICY;
	strcpy(a->partition, "pay");
	strcpy(a->key, "ca-root");
	strcpy(a->key_id, "k-0123456789abcdef0123456789abcdef");
	strcpy(a->requester.name, "so");
	a->created = 1700000000;
	a->expires_at = 1700086400;
	a->state = KW_APPROVAL_PENDING;
	memset(a->digest, 0xab, sizeof(a->digest));
	memset(a->policy_digest, 0xcd, sizeof(a->policy_digest));
	a->params = strdup("{\"policy\":null}");
	a->n_factors = 2;
	a->factors[0].level = KW_QUORUM_KEY;
	strcpy(a->factors[0].group, "custodians");
	a->factors[0].m = 2;
	a->factors[0].n_members = 2;
	strcpy(a->factors[0].members[0].name, "c1");
	strcpy(a->factors[0].members[1].name, "root");
	a->factors[0].members[1].system = true;
	a->factors[0].ttl_s = 60;
	a->factors[1].level = KW_QUORUM_GLOBAL;
	strcpy(a->factors[1].group, "approvers");
	a->factors[1].m = 1;
	a->factors[1].roles = KW_ROLE_CUSTODIAN;
	a->n_votes = 1;
	strcpy(a->votes[0].who.name, "c1");
	a->votes[0].roles = KW_ROLE_CUSTODIAN;
	a->votes[0].at = 1700000100;
	strcpy(a->reason, "");
	return a;
}

static void test_round_trip(void **state)
{
	(void)state;
	kw_approval *a = sample(), *b = NULL;
	kw_secret *enc = NULL;
	assert_int_equal(kw_quorum_rec_encode(a, &enc), KW_OK);
	assert_int_equal(kw_quorum_rec_decode(enc->data, enc->len, &b), KW_OK);
	assert_string_equal(b->id, a->id);
	assert_int_equal(b->op, a->op);
	assert_string_equal(b->key_id, a->key_id);
	assert_string_equal(b->params, a->params);
	assert_memory_equal(b->digest, a->digest, sizeof(a->digest));
	assert_memory_equal(b->policy_digest, a->policy_digest,
			    sizeof(a->digest));
	assert_int_equal(b->n_factors, 2);
	assert_true(b->factors[0].members[1].system);
	assert_int_equal(b->factors[0].ttl_s, 60);
	assert_int_equal(b->factors[1].roles, KW_ROLE_CUSTODIAN);
	/* the tally is computed from the votes: c1 is in both groups */
	assert_int_equal(b->factors[0].have, 1);
	assert_int_equal(b->factors[1].have, 1);
	assert_int_equal(b->votes[0].at, 1700000100);
	/* encoding is deterministic */
	kw_secret *again = NULL;
	assert_int_equal(kw_quorum_rec_encode(b, &again), KW_OK);
	assert_int_equal(again->len, enc->len);
	assert_memory_equal(again->data, enc->data, enc->len);
	kw_secret_free(again);
	kw_secret_free(enc);
	kw_approval_free(a);
	kw_approval_free(b);
}

/* Every truncation, and a flipped byte in each item header, is refused
 * (or, for a flipped value byte, decodes to something else but never
 * crashes). */
static void test_tampered(void **state)
{
	(void)state;
	kw_approval *a = sample(), *b = NULL;
	kw_secret *enc = NULL;
	assert_int_equal(kw_quorum_rec_encode(a, &enc), KW_OK);
	for (size_t n = 0; n < enc->len; n++) {
		kw_rc rc = kw_quorum_rec_decode(enc->data, n, &b);
		if (rc == KW_OK)
			fail_msg("a %zu-byte prefix decoded", n);
		assert_int_equal(rc, KW_E_INTEGRITY);
	}
	for (size_t i = 0; i < enc->len; i++) {
		enc->data[i] ^= 0x41;
		kw_rc rc = kw_quorum_rec_decode(enc->data, enc->len, &b);
		assert_true(rc == KW_OK || rc == KW_E_INTEGRITY);
		kw_approval_free(rc == KW_OK ? b : NULL);
		enc->data[i] ^= 0x41;
	}
	assert_int_equal(kw_quorum_rec_decode(NULL, 0, &b), KW_E_INTEGRITY);
	kw_secret_free(enc);

	/* out-of-range values written by something else */
	a->state = (kw_approval_state)0;
	assert_int_equal(kw_quorum_rec_encode(a, &enc), KW_OK);
	assert_int_equal(kw_quorum_rec_decode(enc->data, enc->len, &b),
			 KW_E_INTEGRITY);
	kw_secret_free(enc);
	a->state = KW_APPROVAL_PENDING;
	a->n_factors = 0;
	assert_int_equal(kw_quorum_rec_encode(a, &enc), KW_OK);
	assert_int_equal(kw_quorum_rec_decode(enc->data, enc->len, &b),
			 KW_E_INTEGRITY);
	kw_secret_free(enc);
	a->n_factors = 1;
	a->factors[0].m = KW_QUORUM_M_MAX + 1;
	assert_int_equal(kw_quorum_rec_encode(a, &enc), KW_OK);
	assert_int_equal(kw_quorum_rec_decode(enc->data, enc->len, &b),
			 KW_E_INTEGRITY);
	kw_secret_free(enc);
	kw_approval_free(a);
}

/* A stored record is sealed: its bytes in the store open only as that
 * record, and an edited row fails to open. */
static void test_sealed_at_rest(void **state)
{
	qfx *f = *state;
	kw_caller so = qfx_caller("pay", "so", KW_ROLE_SECURITY_OFFICER);
	kw_caller c1 = qfx_caller("pay", "c1", KW_ROLE_CUSTODIAN);
	qfx_rules(f, NULL,
		  "{\"rules\":[{\"ops\":[\"role_grant\"],\"principals\":["
		  "\"c1\"],\"m\":1}]}");
	kw_quorum_request r = qfx_req(KW_QOP_ROLE_GRANT, &so, "pay", NULL,
				      "{\"principal\":\"mallory\"}");
	kw_approval *a = qfx_park(f, &r);

	kw_store_txn *t = NULL;
	kw_store_rec rec;
	assert_int_equal(kw_store_txn_begin(f->store, true, &t), KW_OK);
	assert_int_equal(kw_store_rec_get(t, KW_REC_APPROVAL, a->id, &rec),
			 KW_OK);
	/* names and parameters are not in the clear */
	for (size_t i = 0; i + 7 <= rec.data_len; i++)
		assert_memory_not_equal(rec.data + i, "mallory", 7);
	rec.data[rec.data_len / 2] ^= 1;
	rec.version++;
	assert_int_equal(kw_store_rec_put(t, &rec, rec.version - 1), KW_OK);
	kw_store_rec_clear(&rec);
	assert_int_equal(kw_store_txn_commit(t), KW_OK);
	kw_approval *b = NULL;
	assert_int_equal(kw_quorum_request_get(f->q, &c1, a->id, &b),
			 KW_E_INTEGRITY);
	assert_int_equal(qfx_approve(f, &c1, a->id), KW_E_INTEGRITY);
	kw_approval_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tampered),
		QFX_BOTH(test_sealed_at_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
