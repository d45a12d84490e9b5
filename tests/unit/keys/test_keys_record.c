/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys/internal.h"
#include "util/tlv.h"

/*
 * The parts of src/lib/keys that need no store: state and usage rules, name
 * checks, the record encoding and its strict decoder, the cache structure
 * and its keyed hash.
 */

/* ---- rules ----------------------------------------------------------------- */

static void test_state_names(void **state)
{
	(void)state;
	for (int s = KW_KEY_PRE_ACTIVE; s < KW_KEY_STATE_COUNT_; s++) {
		const char *n = kw_key_state_name((kw_key_state)s);
		assert_non_null(n);
		kw_key_state back = KW_KEY_STATE_NONE;
		assert_int_equal(kw_key_state_parse(n, &back), KW_OK);
		assert_int_equal(back, s);
	}
	assert_string_equal(kw_key_state_name(KW_KEY_PENDING_DESTRUCTION),
			    "pending-destruction");
	assert_null(kw_key_state_name(KW_KEY_STATE_COUNT_));
	kw_key_state out = KW_KEY_ACTIVE;
	assert_int_equal(kw_key_state_parse("Active", &out), KW_E_INVALID);
	assert_int_equal(kw_key_state_parse("", &out), KW_E_INVALID);
	assert_int_equal(kw_key_state_parse(NULL, &out), KW_E_INVALID);
	assert_int_equal(out, KW_KEY_ACTIVE); /* untouched */
	assert_int_equal(kw_key_state_parse("active", NULL), KW_E_INVALID);
}

/* The table of keys.h, written out once more as the test's own oracle. */
static void test_transitions(void **state)
{
	(void)state;
	enum { PA = 1, AC, DI, CO, PD, DE };
	static const bool allowed[7][7] = {
		[PA] = {[AC] = true, [DI] = true, [PD] = true},
		[AC] = {[DI] = true, [CO] = true, [PD] = true},
		[DI] = {[AC] = true, [CO] = true, [PD] = true},
		[CO] = {[PD] = true},
		[PD] = {[DI] = true, [DE] = true},
		[DE] = {0},
	};
	for (int from = 0; from < 7; from++)
		for (int to = 0; to < 7; to++)
			assert_int_equal(
				kw_keys_transition_allowed((kw_key_state)from,
							   (kw_key_state)to),
				allowed[from][to]);
	assert_false(kw_keys_transition_allowed(KW_KEY_ACTIVE, 99));
	assert_false(kw_keys_transition_allowed(99, KW_KEY_ACTIVE));
}

static void test_usages(void **state)
{
	(void)state;
	for (uint32_t b = 1; b < KW_USAGE_ALL_; b <<= 1) {
		const char *n = kw_usage_name(b);
		assert_non_null(n);
		uint32_t back = 0;
		assert_int_equal(kw_usage_parse(n, &back), KW_OK);
		assert_int_equal(back, b);
	}
	assert_string_equal(kw_usage_name(KW_USAGE_UNWRAP), "unwrap");
	assert_null(kw_usage_name(KW_USAGE_SIGN | KW_USAGE_VERIFY));
	assert_null(kw_usage_name(0));
	uint32_t out = 7;
	assert_int_equal(kw_usage_parse("derive", &out), KW_E_INVALID);
	assert_int_equal(kw_usage_parse(NULL, &out), KW_E_INVALID);
	assert_int_equal(out, 7);

	for (int t = 1; t < KW_KEY_TYPE_COUNT_; t++) {
		uint32_t p = kw_key_type_usages_possible((kw_key_type)t);
		uint32_t d = kw_key_type_usages_default((kw_key_type)t);
		assert_int_not_equal(d, 0);
		assert_int_equal(d & ~p, 0);
	}
	assert_int_equal(kw_key_type_usages_possible(KW_KEY_ED25519),
			 KW_USAGE_SIGN | KW_USAGE_VERIFY);
	assert_int_equal(kw_key_type_usages_possible(KW_KEY_HMAC_SHA384),
			 KW_USAGE_MAC);
	assert_true(kw_key_type_usages_possible(KW_KEY_AES_128) &
		    KW_USAGE_UNWRAP);
	assert_true(kw_key_type_usages_possible(KW_KEY_RSA_2048) &
		    KW_USAGE_DECRYPT);
	assert_false(kw_key_type_usages_possible(KW_KEY_EC_P256) &
		     KW_USAGE_ENCRYPT);
	assert_int_equal(kw_key_type_usages_possible(KW_KEY_NONE), 0);
	assert_int_equal(kw_key_type_usages_default(KW_KEY_TYPE_COUNT_), 0);
}

static void test_names(void **state)
{
	(void)state;
	char n64[65], n65[66];
	memset(n64, 'a', 64);
	n64[64] = '\0';
	memset(n65, 'b', 65);
	n65[65] = '\0';
	assert_true(kw_keys_name_valid("a"));
	assert_true(kw_keys_name_valid("Signing_key-2.v1"));
	assert_true(kw_keys_name_valid(n64));
	assert_false(kw_keys_name_valid(n65));
	assert_false(kw_keys_name_valid(""));
	assert_false(kw_keys_name_valid(NULL));
	assert_false(kw_keys_name_valid("a/b"));
	assert_false(kw_keys_name_valid("a b"));
	assert_false(kw_keys_name_valid("tab\t"));
	assert_false(kw_keys_name_valid("caf\xc3\xa9"));
	/* A key name never looks like a key id. */
	const char *id = "k-0123456789abcdef0123456789abcdef";
	assert_true(kw_keys_id_valid(id));
	assert_false(kw_keys_name_valid(id));
	assert_true(kw_keys_name_valid("k-0123"));
	assert_true(kw_keys_partition_valid(id));
	assert_false(kw_keys_id_valid("k-0123456789ABCDEF0123456789abcdef"));
	assert_false(kw_keys_id_valid("k-0123456789abcdef0123456789abcde"));
	assert_false(kw_keys_id_valid("x-0123456789abcdef0123456789abcdef"));
	assert_false(kw_keys_partition_valid("p/q"));

	kw_label ok[2] = {{"env", "prod"}, {"team", ""}};
	assert_true(kw_keys_labels_valid(ok, 2));
	assert_true(kw_keys_labels_valid(NULL, 0));
	assert_false(kw_keys_labels_valid(NULL, 1));
	kw_label dup[2] = {{"env", "a"}, {"env", "b"}};
	assert_false(kw_keys_labels_valid(dup, 2));
	kw_label empty_key[1] = {{"", "x"}};
	assert_false(kw_keys_labels_valid(empty_key, 1));
	kw_label ctl[1] = {{"env", "a\nb"}};
	assert_false(kw_keys_labels_valid(ctl, 1));
	assert_false(kw_keys_policy_valid(""));
	assert_true(kw_keys_policy_valid(NULL));
	assert_true(kw_keys_policy_valid("{}"));
}

static void test_op_allowed(void **state)
{
	(void)state;
	kw_key_info k;
	memset(&k, 0, sizeof(k));
	k.type = KW_KEY_EC_P256;
	k.usages = KW_USAGE_SIGN | KW_USAGE_VERIFY;
	k.state = KW_KEY_ACTIVE;
	assert_int_equal(kw_keys_op_allowed(&k, KW_USAGE_SIGN, true), KW_OK);
	assert_int_equal(kw_keys_op_allowed(&k, KW_USAGE_ENCRYPT, true),
			 KW_E_UNSUPPORTED);
	k.usages = KW_USAGE_VERIFY;
	assert_int_equal(kw_keys_op_allowed(&k, KW_USAGE_SIGN, true),
			 KW_E_DENIED);
	k.usages = KW_USAGE_SIGN | KW_USAGE_VERIFY;
	k.state = KW_KEY_COMPROMISED;
	assert_int_equal(kw_keys_op_allowed(&k, KW_USAGE_SIGN, true),
			 KW_E_STATE);
	assert_int_equal(kw_keys_op_allowed(&k, KW_USAGE_VERIFY, false), KW_OK);
	for (int s = KW_KEY_PRE_ACTIVE; s < KW_KEY_STATE_COUNT_; s++) {
		if (s == KW_KEY_ACTIVE || s == KW_KEY_COMPROMISED)
			continue;
		k.state = (kw_key_state)s;
		assert_int_equal(kw_keys_op_allowed(&k, KW_USAGE_SIGN, true),
				 KW_E_STATE);
		assert_int_equal(kw_keys_op_allowed(&k, KW_USAGE_VERIFY, false),
				 KW_E_STATE);
	}
	k.type = KW_KEY_AES_256;
	k.state = KW_KEY_ACTIVE;
	k.usages = KW_USAGE_ENCRYPT | KW_USAGE_DECRYPT;
	assert_int_equal(kw_keys_op_allowed(&k, KW_USAGE_SIGN, true),
			 KW_E_UNSUPPORTED);
	assert_int_equal(kw_keys_op_allowed(&k, KW_USAGE_WRAP, true),
			 KW_E_DENIED);
}

/* ---- record encoding --------------------------------------------------- */

/* A record with n versions whose material is distinct bytes. */
static kw_key_rec *rec_make(size_t n, kw_key_state st)
{
	kw_key_rec *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	kw_key_info *k = &r->info;
	strcpy(k->id, "k-00112233445566778899aabbccddeeff");
	strcpy(k->partition, "default");
	strcpy(k->name, "orders-signing");
	k->type = KW_KEY_EC_P256;
	k->usages = KW_USAGE_SIGN | KW_USAGE_VERIFY;
	k->state = st;
	k->exportable = true;
	k->primary_version = (uint32_t)n;
	k->rotation_period_s = 86400;
	k->next_rotation = 1700086400;
	k->created = 1700000000;
	k->updated = 1700000500;
	k->destroy_after = -5;
	k->version_count = n;
	k->versions = calloc(n + 1, sizeof(*k->versions));
	r->material = calloc(n + 1, sizeof(*r->material));
	assert_non_null(k->versions);
	assert_non_null(r->material);
	for (size_t i = 0; i < n; i++) {
		k->versions[i].version = (uint32_t)i + 1;
		k->versions[i].created = 1700000000 + (int64_t)i;
		if (st == KW_KEY_DESTROYED)
			continue;
		uint8_t m[40];
		memset(m, (int)(0xa0 + i), sizeof(m));
		assert_int_equal(kw_secret_from(m, sizeof(m), &r->material[i]),
				 KW_OK);
	}
	k->labels = calloc(2, sizeof(*k->labels));
	assert_non_null(k->labels);
	k->labels[0].key = strdup("env");
	k->labels[0].value = strdup("prod");
	k->labels[1].key = strdup("owner");
	k->labels[1].value = strdup("");
	k->label_count = 2;
	k->policy = strdup("{\"sign\":{\"quorum\":2}}");
	return r;
}

static kw_secret *enc(const kw_key_rec *r)
{
	kw_secret *s = NULL;
	assert_int_equal(kw_keys_rec_encode(r, &s), KW_OK);
	return s;
}

static kw_rc dec(const kw_secret *s)
{
	kw_key_rec *r = NULL;
	kw_rc rc = kw_keys_rec_decode(s->data, s->len, true, &r);
	if (rc == KW_OK)
		assert_non_null(r);
	kw_keys_rec_free(r);
	return rc;
}

static void assert_info_equal(const kw_key_info *a, const kw_key_info *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->partition, b->partition);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->usages, b->usages);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->exportable, b->exportable);
	assert_int_equal(a->primary_version, b->primary_version);
	assert_int_equal(a->rotation_period_s, b->rotation_period_s);
	assert_int_equal(a->next_rotation, b->next_rotation);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->updated, b->updated);
	assert_int_equal(a->destroy_after, b->destroy_after);
	assert_int_equal(a->version_count, b->version_count);
	for (size_t i = 0; i < a->version_count; i++) {
		assert_int_equal(a->versions[i].version,
				 b->versions[i].version);
		assert_int_equal(a->versions[i].created,
				 b->versions[i].created);
	}
	assert_int_equal(a->label_count, b->label_count);
	for (size_t i = 0; i < a->label_count; i++) {
		assert_string_equal(a->labels[i].key, b->labels[i].key);
		assert_string_equal(a->labels[i].value, b->labels[i].value);
	}
	if (a->policy == NULL)
		assert_null(b->policy);
	else
		assert_string_equal(a->policy, b->policy);
}

static void test_record_roundtrip(void **state)
{
	(void)state;
	kw_key_rec *r = rec_make(3, KW_KEY_ACTIVE);
	kw_secret *s = enc(r);
	kw_key_rec *back = NULL;
	assert_int_equal(kw_keys_rec_decode(s->data, s->len, true, &back),
			 KW_OK);
	assert_info_equal(&r->info, &back->info);
	assert_int_equal(back->info.record_version, 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(back->material[i]->len, r->material[i]->len);
		assert_memory_equal(back->material[i]->data,
				    r->material[i]->data, r->material[i]->len);
	}
	kw_keys_rec_free(back);
	back = NULL;
	/* Metadata only: the same, without material. */
	assert_int_equal(kw_keys_rec_decode(s->data, s->len, false, &back),
			 KW_OK);
	assert_info_equal(&r->info, &back->info);
	assert_null(back->material);

	kw_key_info *copy = NULL;
	assert_int_equal(kw_keys_info_copy(&back->info, &copy), KW_OK);
	assert_info_equal(&back->info, copy);
	kw_key_info_free(copy);
	kw_keys_rec_free(back);
	kw_secret_free(s);

	/* No labels, no policy. */
	kw_keys_rec_free(r);
	r = rec_make(1, KW_KEY_PRE_ACTIVE);
	for (size_t i = 0; i < r->info.label_count; i++) {
		free(r->info.labels[i].key);
		free(r->info.labels[i].value);
	}
	r->info.label_count = 0;
	free(r->info.policy);
	r->info.policy = NULL;
	s = enc(r);
	assert_int_equal(kw_keys_rec_decode(s->data, s->len, true, &back),
			 KW_OK);
	assert_info_equal(&r->info, &back->info);
	kw_keys_rec_free(back);
	kw_secret_free(s);
	kw_keys_rec_free(r);
}

static void test_record_tombstone(void **state)
{
	(void)state;
	kw_key_rec *r = rec_make(2, KW_KEY_DESTROYED);
	kw_secret *s = enc(r);
	kw_key_rec *back = NULL;
	assert_int_equal(kw_keys_rec_decode(s->data, s->len, true, &back),
			 KW_OK);
	assert_int_equal(back->info.state, KW_KEY_DESTROYED);
	assert_null(back->material[0]);
	assert_null(back->material[1]);
	kw_keys_rec_free(back);
	kw_secret_free(s);

	/* A tombstone that holds material, or a live key without: refused
	 * by the encoder. */
	kw_secret *out = NULL;
	assert_int_equal(kw_secret_from("x", 1, &r->material[1]), KW_OK);
	assert_int_equal(kw_keys_rec_encode(r, &out), KW_E_INVALID);
	r->info.state = KW_KEY_ACTIVE;
	assert_int_equal(kw_keys_rec_encode(r, &out), KW_E_INVALID);
	assert_null(out);
	kw_keys_rec_free(r);
}

/* Field-level edits of a valid record that the encoder writes faithfully
 * and the decoder must refuse. */
static void test_record_inconsistent(void **state)
{
	(void)state;
	for (int c = 0; c < 11; c++) {
		kw_key_rec *r = rec_make(3, KW_KEY_ACTIVE);
		kw_key_info *k = &r->info;
		switch (c) {
		case 0:
			k->versions[1].version = 3;
			break;
		case 1:
			k->primary_version = 4;
			break;
		case 2:
			k->primary_version = 0;
			break;
		case 3:
			k->usages |= KW_USAGE_ENCRYPT;
			break; /* EC */
		case 4:
			k->usages = 0;
			break;
		case 5:
			strcpy(k->name, "a b");
			break;
		case 6:
			strcpy(k->id, "k-zz");
			break;
		case 7:
			strcpy(k->partition, "");
			break;
		case 8:
			k->labels[1].key[0] = '\0';
			break;
		case 9:
			strcpy(k->labels[1].key, "env");
			break; /* dup */
		case 10:
			k->versions[0].version = 0;
			break;
		}
		kw_secret *s = enc(r);
		assert_int_equal(dec(s), KW_E_INTEGRITY);
		kw_secret_free(s);
		kw_keys_rec_free(r);
	}
}

enum mut { DROP, DUP, SET_U64, SET_BYTES, APPEND, MOVE_END };

/* Re-emits the top-level items of s, changing the first item of `tag` as
 * `m` says (APPEND adds one at the end; MOVE_END moves it there). */
static kw_secret *mutate(const kw_secret *s, enum mut m, uint16_t tag,
			 uint64_t v, const void *bytes, size_t len)
{
	kw_tlv_writer w;
	kw_tlv_reader rd;
	kw_tlv_item it, moved = {0};
	bool done = false;
	kw_tlv_writer_init(&w);
	kw_tlv_reader_init(&rd, s->data, s->len);
	while (kw_tlv_next(&rd, &it) == KW_OK) {
		if (it.tag != tag || done || m == APPEND) {
			kw_tlv_put_bytes(&w, it.tag, it.val, it.len);
			continue;
		}
		done = true;
		if (m == DUP) {
			kw_tlv_put_bytes(&w, it.tag, it.val, it.len);
			kw_tlv_put_bytes(&w, it.tag, it.val, it.len);
		} else if (m == SET_U64) {
			kw_tlv_put_u64(&w, it.tag, v);
		} else if (m == SET_BYTES) {
			kw_tlv_put_bytes(&w, it.tag, bytes, len);
		} else if (m == MOVE_END) {
			moved = it;
		}
	}
	if (m == MOVE_END)
		kw_tlv_put_bytes(&w, moved.tag, moved.val, moved.len);
	if (m == APPEND)
		kw_tlv_put_bytes(&w, tag, bytes, len);
	else
		assert_true(done);
	kw_secret *out = NULL;
	assert_int_equal(kw_tlv_writer_finish(&w, &out), KW_OK);
	return out;
}

static void expect_mutation(const kw_secret *good, enum mut m, uint16_t tag,
			    uint64_t v, const void *bytes, size_t len,
			    kw_rc want)
{
	kw_secret *bad = mutate(good, m, tag, v, bytes, len);
	assert_int_equal(dec(bad), want);
	kw_secret_free(bad);
}

static void test_record_strict(void **state)
{
	(void)state;
	kw_key_rec *r = rec_make(2, KW_KEY_ACTIVE);
	kw_secret *good = enc(r);
	assert_int_equal(dec(good), KW_OK);

	/* The mutation helper itself changes nothing when asked to set a
	 * field to the value it has. */
	expect_mutation(good, SET_U64, KW_KT_STATE, KW_KEY_ACTIVE, NULL, 0,
			KW_OK);
	/* Every required field missing, and every single field twice. */
	for (uint16_t t = 1; t <= KW_KT_MAX_; t++) {
		if (t != KW_KT_LABEL && t != KW_KT_POLICY)
			expect_mutation(good, DROP, t, 0, NULL, 0,
					KW_E_INTEGRITY);
		if (t != KW_KT_LABEL && t != KW_KT_VERSION)
			expect_mutation(good, DUP, t, 0, NULL, 0,
					KW_E_INTEGRITY);
	}
	/* Dropping the optional ones is fine. */
	expect_mutation(good, DROP, KW_KT_POLICY, 0, NULL, 0, KW_OK);
	expect_mutation(good, DROP, KW_KT_LABEL, 0, NULL, 0, KW_OK);
	/* Unknown tags. */
	expect_mutation(good, APPEND, KW_KT_MAX_ + 1, 0, "x", 1,
			KW_E_INTEGRITY);
	expect_mutation(good, APPEND, 0, 0, "x", 1, KW_E_INTEGRITY);
	expect_mutation(good, APPEND, 0xffff, 0, "", 0, KW_E_INTEGRITY);
	/* Out-of-range values. */
	expect_mutation(good, SET_U64, KW_KT_STATE, KW_KEY_STATE_COUNT_, NULL,
			0, KW_E_INTEGRITY);
	expect_mutation(good, SET_U64, KW_KT_STATE, 0, NULL, 0, KW_E_INTEGRITY);
	expect_mutation(good, SET_U64, KW_KT_TYPE, KW_KEY_TYPE_COUNT_, NULL, 0,
			KW_E_INTEGRITY);
	expect_mutation(good, SET_U64, KW_KT_TYPE, 0, NULL, 0, KW_E_INTEGRITY);
	expect_mutation(good, SET_U64, KW_KT_EXPORTABLE, 2, NULL, 0,
			KW_E_INTEGRITY);
	expect_mutation(good, SET_U64, KW_KT_USAGES, 1u << 7, NULL, 0,
			KW_E_INTEGRITY);
	expect_mutation(good, SET_U64, KW_KT_FORMAT, 2, NULL, 0,
			KW_E_INTEGRITY);
	expect_mutation(good, SET_U64, KW_KT_PRIMARY, 1ull << 40, NULL, 0,
			KW_E_INTEGRITY);
	/* A tombstone state over live material. */
	expect_mutation(good, SET_U64, KW_KT_STATE, KW_KEY_DESTROYED, NULL, 0,
			KW_E_INTEGRITY);
	/* Wrong sizes and embedded NULs. */
	expect_mutation(good, SET_BYTES, KW_KT_STATE, 0, "\0\0\0\2", 4,
			KW_E_INTEGRITY);
	expect_mutation(good, SET_BYTES, KW_KT_NAME, 0, "orders\0x", 8,
			KW_E_INTEGRITY);
	expect_mutation(good, SET_BYTES, KW_KT_POLICY, 0, "", 0,
			KW_E_INTEGRITY);
	/* Items out of the encoder's order: the decoder takes one form. */
	expect_mutation(good, MOVE_END, KW_KT_ID, 0, NULL, 0, KW_E_INTEGRITY);
	expect_mutation(good, MOVE_END, KW_KT_LABEL, 0, NULL, 0,
			KW_E_INTEGRITY);
	expect_mutation(good, SET_BYTES, KW_KT_LABEL, 0,
			"\0\2\0\0\0\1v\0\1\0\0\0\1k", 14, KW_E_INTEGRITY);
	expect_mutation(good, SET_BYTES, KW_KT_VERSION, 0,
			"\0\2\0\0\0\10\0\0\0\0\0\0\0\1"
			"\0\1\0\0\0\10\0\0\0\0\0\0\0\1"
			"\0\3\0\0\0\1m",
			35, KW_E_INTEGRITY);
	/* Nested items: a version without its number, a label with an
	 * unknown field, a version with material twice or empty. */
	expect_mutation(good, SET_BYTES, KW_KT_VERSION, 0,
			"\0\2\0\0\0\10\0\0\0\0\0\0\0\1", 14, KW_E_INTEGRITY);
	expect_mutation(good, SET_BYTES, KW_KT_LABEL, 0,
			"\0\1\0\0\0\1a\0\2\0\0\0\0\0\3\0\0\0\0", 19,
			KW_E_INTEGRITY);
	expect_mutation(good, SET_BYTES, KW_KT_VERSION, 0,
			"\0\1\0\0\0\10\0\0\0\0\0\0\0\1"
			"\0\2\0\0\0\10\0\0\0\0\0\0\0\1"
			"\0\3\0\0\0\0",
			34, KW_E_INTEGRITY);
	/* The same version item, well formed, is accepted. */
	expect_mutation(good, SET_BYTES, KW_KT_VERSION, 0,
			"\0\1\0\0\0\10\0\0\0\0\0\0\0\1"
			"\0\2\0\0\0\10\0\0\0\0\0\0\0\1"
			"\0\3\0\0\0\1m",
			35, KW_OK);

	/* Every truncation fails; nothing but the whole record opens. */
	for (size_t n = 0; n < good->len; n++) {
		kw_key_rec *out = NULL;
		assert_int_equal(kw_keys_rec_decode(good->data, n, true, &out),
				 KW_E_INTEGRITY);
		assert_null(out);
	}
	kw_key_rec *out = NULL;
	assert_int_equal(kw_keys_rec_decode(NULL, 5, true, &out), KW_E_INVALID);
	assert_int_equal(kw_keys_rec_decode(good->data, good->len, true, NULL),
			 KW_E_INVALID);
	kw_secret_free(good);
	kw_keys_rec_free(r);
}

/* Too many versions or labels are refused before anything is allocated
 * for them. */
static void test_record_limits(void **state)
{
	(void)state;
	kw_tlv_writer w;
	kw_tlv_writer_init(&w);
	for (int i = 0; i <= KW_LABELS_MAX; i++)
		kw_tlv_put_bytes(&w, KW_KT_LABEL, "", 0);
	kw_secret *s = NULL;
	assert_int_equal(kw_tlv_writer_finish(&w, &s), KW_OK);
	assert_int_equal(dec(s), KW_E_INTEGRITY);
	kw_secret_free(s);
	kw_tlv_writer_init(&w);
	for (int i = 0; i <= KW_KEY_VERSIONS_MAX; i++)
		kw_tlv_put_bytes(&w, KW_KT_VERSION, "", 0);
	assert_int_equal(kw_tlv_writer_finish(&w, &s), KW_OK);
	assert_int_equal(dec(s), KW_E_INTEGRITY);
	kw_secret_free(s);
}

/* ---- the cache structure ------------------------------------------------ */

/* SipHash-2-4 reference vectors (key 00..0f, message 00..n-1). */
static void test_hash_kat(void **state)
{
	(void)state;
	const uint64_t key[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
	uint8_t msg[16];
	for (int i = 0; i < 16; i++)
		msg[i] = (uint8_t)i;
	assert_true(kw_keys_hash(key, msg, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(kw_keys_hash(key, msg, 1) == 0x74f839c593dc67fdull);
	assert_true(kw_keys_hash(key, msg, 8) == 0x93f5f5799a932462ull);
	assert_true(kw_keys_hash(key, msg, 15) == 0xa129ca6149be45e5ull);
}

/* A cache entry without keys (as for a tombstone). */
static kw_keys_entry *entry(const char *partition, int n, uint64_t version)
{
	kw_keys_entry *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	atomic_init(&e->refs, 1);
	atomic_init(&e->referenced, true);
	e->info = calloc(1, sizeof(*e->info));
	assert_non_null(e->info);
	snprintf(e->info->id, sizeof(e->info->id), "k-%032x", n);
	snprintf(e->info->partition, sizeof(e->info->partition), "%s",
		 partition);
	snprintf(e->info->name, sizeof(e->info->name), "key-%d", n);
	e->info->record_version = version;
	e->info->state = KW_KEY_DESTROYED;
	return e;
}

static void put(kw_keys_cache *c, kw_keys_entry *e)
{
	kw_keys_cache_insert(c, e, kw_keys_cache_gen(c));
	kw_keys_entry_release(e);
}

/* Looks up by name (id false) or id; returns the record version or 0. */
static uint64_t look(kw_keys_cache *c, const char *partition, int n, bool id)
{
	char ref[KW_KEY_ID_LEN + 1];
	if (id)
		snprintf(ref, sizeof(ref), "k-%032x", n);
	else
		snprintf(ref, sizeof(ref), "key-%d", n);
	kw_keys_entry *e = kw_keys_cache_get(c, partition, ref);
	if (e == NULL)
		return 0;
	uint64_t v = e->info->record_version;
	kw_keys_entry_release(e);
	return v;
}

static void test_cache_lookup(void **state)
{
	(void)state;
	kw_keys_cache *c = NULL;
	assert_int_equal(kw_keys_cache_new(0, &c), KW_E_INVALID);
	assert_int_equal(kw_keys_cache_new(100, &c), KW_OK);
	put(c, entry("p1", 1, 5));
	put(c, entry("p2", 2, 7));
	assert_int_equal(look(c, "p1", 1, false), 5);
	assert_int_equal(look(c, "p1", 1, true), 5);
	assert_int_equal(look(c, "p2", 2, true), 7);
	/* Another partition sees neither name nor id. */
	assert_int_equal(look(c, "p2", 1, false), 0);
	assert_int_equal(look(c, "p2", 1, true), 0);
	assert_int_equal(look(c, "p1", 3, false), 0);
	/* An older copy never replaces a newer one; a newer one does. */
	put(c, entry("p1", 1, 4));
	assert_int_equal(look(c, "p1", 1, false), 5);
	put(c, entry("p1", 1, 6));
	assert_int_equal(look(c, "p1", 1, false), 6);
	assert_int_equal(look(c, "p1", 1, true), 6);
	assert_int_equal(kw_keys_cache_count(c), 2);

	/* A load that started before a commit cannot insert after it. */
	uint64_t gen = kw_keys_cache_gen(c);
	uint64_t g2 = 0;
	assert_false(kw_keys_cache_invalidate(
		c, "k-00000000000000000000000000000009", 1, &g2));
	kw_keys_entry *stale = entry("p1", 3, 1);
	kw_keys_cache_insert(c, stale, gen);
	kw_keys_entry_release(stale);
	assert_int_equal(look(c, "p1", 3, false), 0);
	/* Invalidation of an older version keeps a newer copy. */
	char id1[KW_KEY_ID_LEN + 1];
	snprintf(id1, sizeof(id1), "k-%032x", 1);
	assert_true(kw_keys_cache_invalidate(c, id1, 6, &g2));
	assert_int_equal(look(c, "p1", 1, false), 6);
	assert_true(kw_keys_cache_invalidate(c, id1, 7, &g2));
	assert_int_equal(look(c, "p1", 1, false), 0);
	kw_keys_entry *fresh = entry("p1", 1, 7);
	kw_keys_cache_insert(c, fresh, g2);
	kw_keys_entry_release(fresh);
	assert_int_equal(look(c, "p1", 1, true), 7);

	/* An entry held by an operation outlives a clear. */
	kw_keys_entry *held = kw_keys_cache_get(c, "p2", "key-2");
	assert_non_null(held);
	kw_keys_cache_clear(c);
	assert_int_equal(kw_keys_cache_count(c), 0);
	assert_int_equal(look(c, "p2", 2, false), 0);
	assert_string_equal(held->info->name, "key-2");
	kw_keys_entry_release(held);
	kw_keys_cache_free(c);
}

static void test_cache_bounded(void **state)
{
	(void)state;
	const size_t sizes[] = {1, 3, 16, 100, 1000};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		kw_keys_cache *c = NULL;
		int max = (int)sizes[s];
		assert_int_equal(kw_keys_cache_new(sizes[s], &c), KW_OK);
		/* Any max keys fit, whatever shards they hash to. */
		for (int i = 1; i <= max; i++)
			put(c, entry("p", i, 1));
		for (int i = 1; i <= max; i++) {
			assert_int_equal(look(c, "p", i, false), 1);
			assert_int_equal(look(c, "p", i, true), 1);
		}
		for (int i = max + 1; i <= 3000; i++) {
			put(c, entry("p", i, 1));
			assert_true(kw_keys_cache_count(c) <= sizes[s]);
			/* The entry just added is there. */
			assert_int_equal(look(c, "p", i, false), 1);
		}
		assert_int_equal(kw_keys_cache_count(c), sizes[s]);
		assert_int_equal(kw_keys_cache_peak(c), sizes[s]);
		kw_keys_cache_free(c);
	}
}

/* Second chance: an entry used since the hand last passed survives an
 * eviction that takes an unused one. */
static void test_cache_clock(void **state)
{
	(void)state;
	kw_keys_cache *c = NULL;
	assert_int_equal(kw_keys_cache_new(4, &c), KW_OK); /* one shard */
	for (int i = 1; i <= 4; i++)
		put(c, entry("p", i, 1));
	put(c, entry("p", 5, 1)); /* all were fresh: the oldest goes */
	assert_int_equal(look(c, "p", 1, false), 0);
	assert_int_equal(look(c, "p", 2, false), 1); /* 2 is used */
	put(c, entry("p", 6, 1));
	assert_int_equal(look(c, "p", 2, true), 1);
	assert_int_equal(look(c, "p", 3, false), 0);
	assert_int_equal(kw_keys_cache_count(c), 4);
	kw_keys_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_usages),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_op_allowed),
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_tombstone),
		cmocka_unit_test(test_record_inconsistent),
		cmocka_unit_test(test_record_strict),
		cmocka_unit_test(test_record_limits),
		cmocka_unit_test(test_hash_kat),
		cmocka_unit_test(test_cache_lookup),
		cmocka_unit_test(test_cache_bounded),
		cmocka_unit_test(test_cache_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
