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

#include "auth/internal.h"
#include "util/tlv.h"

/*
 * The record decoders are strict: a record that this code did not write
 * (unknown or repeated item, missing item, bad size or value) is
 * KW_E_INTEGRITY and gives nothing. The tags are those documented in
 * src/lib/auth/record.c.
 */

enum { STR, U64, BYTES };

typedef struct item {
	uint16_t tag;
	int kind;
	const char *s; /* STR */
	uint64_t v;    /* U64; BYTES: length of a 0x11 fill */
} item;

static kw_secret *build(const item *it, size_t n)
{
	kw_tlv_writer w;
	kw_secret *out = NULL;
	uint8_t fill[64];
	memset(fill, 0x11, sizeof(fill));
	kw_tlv_writer_init(&w);
	for (size_t i = 0; i < n; i++) {
		if (it[i].kind == STR)
			kw_tlv_put_bytes(&w, it[i].tag, it[i].s,
					 strlen(it[i].s));
		else if (it[i].kind == U64)
			kw_tlv_put_u64(&w, it[i].tag, it[i].v);
		else
			kw_tlv_put_bytes(&w, it[i].tag, fill, it[i].v);
	}
	assert_int_equal(kw_tlv_writer_finish(&w, &out), KW_OK);
	return out;
}

static const item principal_ok[] = {
	{1, U64, NULL, 1},	    {2, STR, "alice", 0},
	{3, STR, "A", 0},	    {4, U64, NULL, KW_PRINCIPAL_USER},
	{5, U64, NULL, 4},	    {6, U64, NULL, 0},
	{7, U64, NULL, 1700000000}, {8, STR, "$scrypt$x", 0},
	{9, U64, NULL, 2},	    {10, U64, NULL, 1700000900},
};
#define NP (sizeof(principal_ok) / sizeof(principal_ok[0]))

static kw_rc decode_principal(const item *it, size_t n)
{
	kw_secret *d = build(it, n);
	kw_auth_principal p;
	memset(&p, 0x5a, sizeof(p));
	kw_auth_principal before = p;
	kw_rc rc = kw_auth_principal_decode(d->data, d->len, &p);
	if (rc != KW_OK)
		assert_memory_equal(&p, &before, sizeof(p));
	kw_secret_free(d);
	return rc;
}

/* Decodes principal_ok with item `at` replaced by `with`. */
static kw_rc principal_with(size_t at, item with)
{
	item it[NP];
	memcpy(it, principal_ok, sizeof(it));
	it[at] = with;
	return decode_principal(it, NP);
}

static void test_principal_roundtrip(void **state)
{
	(void)state;
	kw_secret *d = build(principal_ok, NP);
	kw_auth_principal p, q;
	assert_int_equal(kw_auth_principal_decode(d->data, d->len, &p), KW_OK);
	assert_string_equal(p.info.name, "alice");
	assert_string_equal(p.info.partition, "A");
	assert_int_equal(p.info.roles, 4);
	assert_false(p.info.system);
	assert_int_equal(p.failed, 2);
	assert_int_equal(p.info.locked_until, 1700000900);
	assert_string_equal(p.pw_hash, "$scrypt$x");
	kw_secret *e = NULL;
	assert_int_equal(kw_auth_principal_encode(&p, &e), KW_OK);
	assert_int_equal(e->len, d->len);
	assert_memory_equal(e->data, d->data, d->len);
	assert_int_equal(kw_auth_principal_decode(e->data, e->len, &q), KW_OK);
	assert_memory_equal(&p, &q, sizeof(p));
	kw_secret_free(d);
	kw_secret_free(e);
}

static void test_principal_strict(void **state)
{
	(void)state;
	item it[NP + 1];
	/* Each item missing: only the password hash (8) is optional. */
	for (size_t i = 0; i < NP; i++) {
		size_t k = 0;
		for (size_t j = 0; j < NP; j++)
			if (j != i)
				it[k++] = principal_ok[j];
		kw_rc want = principal_ok[i].tag == 8 ? KW_OK : KW_E_INTEGRITY;
		assert_int_equal(decode_principal(it, NP - 1), want);
	}
	/* Each item twice. */
	for (size_t i = 1; i < NP; i++) {
		memcpy(it, principal_ok, sizeof(principal_ok));
		it[NP] = principal_ok[i];
		assert_int_equal(decode_principal(it, NP + 1), KW_E_INTEGRITY);
	}
	/* An unknown item. */
	memcpy(it, principal_ok, sizeof(principal_ok));
	it[NP] = (item){11, U64, NULL, 0};
	assert_int_equal(decode_principal(it, NP + 1), KW_E_INTEGRITY);
	/* Format: another version, or not first. */
	assert_int_equal(principal_with(0, (item){1, U64, NULL, 2}),
			 KW_E_INTEGRITY);
	memcpy(it, principal_ok, sizeof(principal_ok));
	it[0] = principal_ok[1];
	it[1] = principal_ok[0];
	assert_int_equal(decode_principal(it, NP), KW_E_INTEGRITY);
	/* Bad values. */
	char long_name[KW_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	const struct {
		size_t at;
		item with;
	} bad[] = {
		{1, {2, STR, "", 0}},
		{1, {2, STR, "a b", 0}},
		{1, {2, STR, long_name, 0}},
		{1, {2, U64, NULL, 5}}, /* 8 bytes, but not a name */
		{2, {3, STR, "*", 0}},
		{2, {3, STR, "", 0}}, /* "" with system 0 */
		{3, {4, U64, NULL, 0}},
		{3, {4, U64, NULL, 4}},
		{4, {5, U64, NULL, 1u << 5}},
		{5, {6, U64, NULL, 1}}, /* system with partition "A" */
		{5, {6, U64, NULL, 2}},
		{6, {7, BYTES, NULL, 4}},
		{8, {9, U64, NULL, 1ull << 32}},
		{9, {10, BYTES, NULL, 9}},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (principal_with(bad[i].at, bad[i].with) != KW_E_INTEGRITY)
			fail_msg("bad value %zu accepted", i);
	/* A system principal is partition "" with system 1. */
	memcpy(it, principal_ok, sizeof(principal_ok));
	it[2] = (item){3, STR, "", 0};
	it[5] = (item){6, U64, NULL, 1};
	assert_int_equal(decode_principal(it, NP), KW_OK);

	/* Truncated, empty, NULL. */
	kw_secret *d = build(principal_ok, NP);
	kw_auth_principal p;
	for (size_t cut = 1; cut < d->len; cut += 7)
		assert_int_equal(kw_auth_principal_decode(d->data, cut, &p),
				 KW_E_INTEGRITY);
	assert_int_equal(kw_auth_principal_decode(d->data, d->len - 1, &p),
			 KW_E_INTEGRITY);
	assert_int_equal(kw_auth_principal_decode(d->data, 0, &p),
			 KW_E_INTEGRITY);
	assert_int_equal(kw_auth_principal_decode(NULL, 0, &p), KW_E_INTEGRITY);
	kw_secret_free(d);
}

static const item token_ok[] = {
	{1, U64, NULL, 1},	    {2, STR, "t-0123456789abcdef", 0},
	{3, STR, "ci", 0},	    {4, STR, "A", 0},
	{5, STR, "deploy", 0},	    {6, U64, NULL, 1700000000},
	{7, U64, NULL, 1700003600}, {8, U64, NULL, 0},
	{9, U64, NULL, 1},	    {10, BYTES, NULL, 32},
};
#define NT (sizeof(token_ok) / sizeof(token_ok[0]))

static kw_rc token_with(size_t at, item with)
{
	item it[NT];
	memcpy(it, token_ok, sizeof(it));
	it[at] = with;
	kw_secret *d = build(it, NT);
	kw_auth_token tk;
	kw_rc rc = kw_auth_token_decode(d->data, d->len, &tk);
	kw_secret_free(d);
	return rc;
}

static void test_token_strict(void **state)
{
	(void)state;
	kw_secret *d = build(token_ok, NT);
	kw_auth_token tk;
	assert_int_equal(kw_auth_token_decode(d->data, d->len, &tk), KW_OK);
	assert_string_equal(tk.info.id, "t-0123456789abcdef");
	assert_true(tk.info.session);
	assert_false(tk.info.revoked);
	assert_int_equal(tk.hash[31], 0x11);
	kw_secret *e = NULL;
	assert_int_equal(kw_auth_token_encode(&tk, &e), KW_OK);
	assert_int_equal(e->len, d->len);
	assert_memory_equal(e->data, d->data, d->len);
	kw_secret_free(e);
	kw_secret_free(d);

	/* Partition "" (system) and an empty name are fine. */
	assert_int_equal(token_with(3, (item){4, STR, "", 0}), KW_OK);
	assert_int_equal(token_with(4, (item){5, STR, "", 0}), KW_OK);
	const struct {
		size_t at;
		item with;
	} bad[] = {
		{1, {2, STR, "t-0123456789ABCDEF", 0}},
		{1, {2, STR, "t-0123", 0}},
		{1, {2, STR, "k-0123456789abcdef", 0}},
		{2, {3, STR, "", 0}},
		{3, {4, STR, "*", 0}},
		{4, {5, STR, "no spaces", 0}},
		{7, {8, U64, NULL, 2}},
		{8, {9, U64, NULL, 7}},
		{9, {10, BYTES, NULL, 31}},
		{9, {10, BYTES, NULL, 33}},
		{9, {11, BYTES, NULL, 32}},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (token_with(bad[i].at, bad[i].with) != KW_E_INTEGRITY)
			fail_msg("bad token value %zu accepted", i);
}

static void test_partition_strict(void **state)
{
	(void)state;
	const item ok[] = {{1, U64, NULL, 1},
			   {2, STR, "prod", 0},
			   {3, U64, NULL, 1700000000}};
	kw_partition_info p;
	kw_secret *d = build(ok, 3);
	assert_int_equal(kw_auth_partition_decode(d->data, d->len, &p), KW_OK);
	assert_string_equal(p.name, "prod");
	assert_int_equal(p.created, 1700000000);
	kw_secret_free(d);
	const item bad_name[] = {{1, U64, NULL, 1},
				 {2, STR, "pr od", 0},
				 {3, U64, NULL, 1700000000}};
	d = build(bad_name, 3);
	assert_int_equal(kw_auth_partition_decode(d->data, d->len, &p),
			 KW_E_INTEGRITY);
	kw_secret_free(d);
	d = build(ok, 2);
	assert_int_equal(kw_auth_partition_decode(d->data, d->len, &p),
			 KW_E_INTEGRITY);
	kw_secret_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_principal_roundtrip),
		cmocka_unit_test(test_principal_strict),
		cmocka_unit_test(test_token_strict),
		cmocka_unit_test(test_partition_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
