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

#include "fixture.h"

/*
 * The public key API (keywarden/keys.h) as its caller sees it, each test run
 * once over the mem store and once over a SQLite file.
 */

#define P KFX_PART

static const uint8_t msg[] = "pay 100 to alice";

static void test_create_get(void **state)
{
	kfx *f = *state;
	kw_label labels[2] = {{"env", "prod"}, {"team", "payments"}};
	kw_key_spec spec = {.partition = P,
			    .name = "orders",
			    .type = KW_KEY_ED25519,
			    .exportable = true,
			    .rotation_period_s = 3600,
			    .labels = labels,
			    .label_count = 2,
			    .policy = "{\"sign\":\"quorum\"}"};
	kw_key_info *k = NULL, *g = NULL;
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_OK);
	assert_memory_equal(k->id, "k-", 2);
	assert_int_equal(strlen(k->id), KW_KEY_ID_LEN);
	assert_string_equal(k->partition, P);
	assert_string_equal(k->name, "orders");
	assert_int_equal(k->type, KW_KEY_ED25519);
	assert_int_equal(k->usages, KW_USAGE_SIGN | KW_USAGE_VERIFY);
	assert_int_equal(k->state, KW_KEY_ACTIVE);
	assert_true(k->exportable);
	assert_int_equal(k->primary_version, 1);
	assert_int_equal(k->version_count, 1);
	assert_int_equal(k->versions[0].version, 1);
	assert_true(k->created > 1600000000);
	assert_int_equal(k->next_rotation, k->created + 3600);
	assert_int_equal(k->label_count, 2);
	assert_string_equal(k->labels[1].value, "payments");
	assert_string_equal(k->policy, "{\"sign\":\"quorum\"}");
	assert_true(k->record_version >= 1);

	/* By name and by id: the same key. */
	assert_int_equal(kw_key_get(f->ks, P, "orders", &g), KW_OK);
	assert_string_equal(g->id, k->id);
	assert_int_equal(g->record_version, k->record_version);
	assert_string_equal(g->labels[0].key, "env");
	kw_key_info_free(g);
	assert_int_equal(kw_key_get(f->ks, P, k->id, &g), KW_OK);
	assert_string_equal(g->name, "orders");
	kw_key_info_free(g);
	g = NULL;

	/* Other partitions see neither its name nor its id. */
	assert_int_equal(kw_key_get(f->ks, "p2", "orders", &g), KW_E_NOT_FOUND);
	assert_int_equal(kw_key_get(f->ks, "p2", k->id, &g), KW_E_NOT_FOUND);
	assert_int_equal(kw_key_get(f->ks, P, "nope", &g), KW_E_NOT_FOUND);
	assert_int_equal(
		kw_key_get(f->ks, P, "k-00000000000000000000000000000000", &g),
		KW_E_NOT_FOUND);
	assert_null(g);

	/* The name is taken in p1, whatever the type; free in p2. */
	kw_key_info *dup = NULL;
	spec.type = KW_KEY_AES_256;
	spec.label_count = 0;
	spec.policy = NULL;
	assert_int_equal(kw_key_create(f->ks, &spec, &dup), KW_E_EXISTS);
	assert_null(dup);
	spec.partition = "p2";
	spec.initial_state = KW_KEY_PRE_ACTIVE;
	assert_int_equal(kw_key_create(f->ks, &spec, &dup), KW_OK);
	assert_int_equal(dup->state, KW_KEY_PRE_ACTIVE);
	assert_int_equal(dup->usages, KW_USAGE_ENCRYPT | KW_USAGE_DECRYPT);
	assert_false(dup->exportable == false);
	assert_string_not_equal(dup->id, k->id);
	kw_key_info_free(dup);
	kw_key_info_free(k);
}

static void test_create_bad_input(void **state)
{
	kfx *f = *state;
	char n65[66];
	memset(n65, 'x', 65);
	n65[65] = '\0';
	const char *bad_names[] = {
		"",
		n65,
		"a/b",
		"a b",
		" lead",
		"\0hidden",
		"tab\tname",
		"k-0123456789abcdef0123456789abcdef", /* looks like an id */
	};
	kw_key_info *out = NULL;
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		kw_key_spec spec = {.partition = P,
				    .name = bad_names[i],
				    .type = KW_KEY_AES_128};
		assert_int_equal(kw_key_create(f->ks, &spec, &out),
				 KW_E_INVALID);
		spec.name = "ok";
		spec.partition = bad_names[i];
		if (i != 7) /* an id-like partition name is a fine name */
			assert_int_equal(kw_key_create(f->ks, &spec, &out),
					 KW_E_INVALID);
		assert_int_equal(kw_key_get(f->ks, P, bad_names[i], &out),
				 i == 7 ? KW_E_NOT_FOUND : KW_E_INVALID);
	}
	kw_key_spec good = {
		.partition = P, .name = "k", .type = KW_KEY_AES_128};
	kw_key_spec s = good;
	assert_int_equal(kw_key_create(NULL, &good, &out), KW_E_INVALID);
	assert_int_equal(kw_key_create(f->ks, NULL, &out), KW_E_INVALID);
	assert_int_equal(kw_key_create(f->ks, &good, NULL), KW_E_INVALID);
	s.name = NULL;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_INVALID);
	s = good;
	s.partition = NULL;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_INVALID);
	const kw_key_type bad_types[] = {KW_KEY_NONE, KW_KEY_TYPE_COUNT_,
					 (kw_key_type)99};
	for (size_t i = 0; i < 3; i++) {
		s = good;
		s.type = bad_types[i];
		assert_int_equal(kw_key_create(f->ks, &s, &out),
				 KW_E_UNSUPPORTED);
	}
	s = good;
	s.usages = KW_USAGE_SIGN; /* AES cannot sign */
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_UNSUPPORTED);
	s.type = KW_KEY_ED25519;
	s.usages = KW_USAGE_ENCRYPT;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_UNSUPPORTED);
	s.usages = 1u << 9;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_INVALID);
	s = good;
	s.initial_state = KW_KEY_DISABLED;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_INVALID);
	s.initial_state = (kw_key_state)42;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_INVALID);
	s = good;
	s.rotation_period_s = UINT64_MAX;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_INVALID);

	kw_label many[KW_LABELS_MAX + 1];
	char keys[KW_LABELS_MAX + 1][8];
	for (int i = 0; i <= KW_LABELS_MAX; i++) {
		snprintf(keys[i], sizeof(keys[i]), "l%d", i);
		many[i].key = keys[i];
		many[i].value = "v";
	}
	s = good;
	s.labels = many;
	s.label_count = KW_LABELS_MAX + 1;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_LIMIT);
	s.label_count = KW_LABELS_MAX; /* exactly the limit is fine */
	s.name = "many-labels";
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_OK);
	assert_int_equal(out->label_count, KW_LABELS_MAX);
	kw_key_info_free(out);
	out = NULL;
	kw_label dupl[2] = {{"a", "1"}, {"a", "2"}};
	s = good;
	s.labels = dupl;
	s.label_count = 2;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_INVALID);
	s.labels = NULL;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_INVALID);

	char *big = malloc(KW_POLICY_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', KW_POLICY_MAX + 1);
	big[KW_POLICY_MAX + 1] = '\0';
	s = good;
	s.policy = big;
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_LIMIT);
	free(big);
	s.policy = "";
	assert_int_equal(kw_key_create(f->ks, &s, &out), KW_E_INVALID);
	assert_null(out);

	/* Import: material that is no key of the type. */
	kw_secret *junk = NULL;
	assert_int_equal(kw_secret_from("not a key", 9, &junk), KW_OK);
	s = good;
	s.type = KW_KEY_EC_P256;
	assert_int_equal(kw_key_import(f->ks, &s, junk, &out), KW_E_INVALID);
	assert_int_equal(kw_key_import(f->ks, &s, NULL, &out), KW_E_INVALID);
	junk->len = 0;
	assert_int_equal(kw_key_import(f->ks, &s, junk, &out), KW_E_INVALID);
	kw_secret_free(junk);
	assert_null(out);
	/* Nothing of this was stored. */
	kw_key_info **list = NULL;
	size_t n = 0;
	char *next = NULL;
	assert_int_equal(
		kw_key_list(f->ks, P, NULL, NULL, 100, &list, &n, &next),
		KW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0]->name, "many-labels");
	kw_key_list_free(list, n, next);
}

static void test_list(void **state)
{
	kfx *f = *state;
	enum { N = 250 };
	char name[32];
	for (int i = 0; i < N; i++) {
		kw_label l = {"parity", i % 2 ? "odd" : "even"};
		kw_key_spec spec = {.partition = P,
				    .name = name,
				    .type = i % 5 == 0 ? KW_KEY_HMAC_SHA256
						       : KW_KEY_AES_128,
				    .labels = &l,
				    .label_count = 1};
		snprintf(name, sizeof(name), "%s-%03d",
			 i < 20 ? "batch" : "key", i);
		kw_key_info *k = NULL;
		assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_OK);
		kw_key_info_free(k);
	}
	kw_key_info_free(kfx_create(f, "elsewhere", KW_KEY_AES_128, 0));
	kw_key_spec other = {
		.partition = "p2", .name = "hidden", .type = KW_KEY_AES_128};
	kw_key_info *k = NULL;
	assert_int_equal(kw_key_create(f->ks, &other, &k), KW_OK);
	kw_key_info_free(k);
	assert_int_equal(
		kw_key_set_state(f->ks, P, "key-021", KW_KEY_DISABLED, NULL),
		KW_OK);

	/* All of p1 in pages of 100: every key once, in id order. */
	bool seen[N + 1] = {false};
	char *cursor = NULL;
	char last_id[KW_KEY_ID_LEN + 1] = "";
	int pages = 0, total = 0;
	do {
		kw_key_info **list = NULL;
		size_t n = 0;
		char *next = NULL;
		assert_int_equal(kw_key_list(f->ks, P, NULL, cursor, 100, &list,
					     &n, &next),
				 KW_OK);
		pages++;
		assert_true(n <= 100);
		for (size_t i = 0; i < n; i++) {
			assert_true(strcmp(list[i]->id, last_id) > 0);
			strcpy(last_id, list[i]->id);
			int idx = N;
			if (strcmp(list[i]->name, "elsewhere") != 0)
				idx = atoi(strchr(list[i]->name, '-') + 1);
			assert_false(seen[idx]);
			seen[idx] = true;
			total++;
		}
		free(cursor);
		cursor = next ? strdup(next) : NULL;
		kw_key_list_free(list, n, next);
	} while (cursor != NULL);
	assert_int_equal(total, N + 1);
	assert_int_equal(pages, 3);

	/* Filters. */
	struct {
		kw_key_filter f;
		int want;
	} cases[] = {
		{{.type = KW_KEY_HMAC_SHA256}, N / 5},
		{{.state = KW_KEY_DISABLED}, 1},
		{{.name_prefix = "batch-"}, 20},
		{{.label_key = "parity", .label_value = "odd"}, N / 2},
		{{.label_key = "parity"}, N},
		{{.type = KW_KEY_HMAC_SHA256,
		  .label_key = "parity",
		  .label_value = "even"},
		 N / 10},
		{{.name_prefix = "zzz"}, 0},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		kw_key_info **list = NULL;
		size_t n = 0;
		char *next = NULL;
		assert_int_equal(kw_key_list(f->ks, P, &cases[c].f, NULL, 1000,
					     &list, &n, &next),
				 KW_OK);
		assert_int_equal(n, cases[c].want);
		assert_null(next);
		for (size_t i = 0; i < n; i++)
			if (cases[c].f.type != KW_KEY_NONE)
				assert_int_equal(list[i]->type,
						 cases[c].f.type);
		kw_key_list_free(list, n, next);
	}

	/* A page that ends exactly at the last match says so. */
	kw_key_filter dis = {.state = KW_KEY_DISABLED};
	kw_key_info **list = NULL;
	size_t n = 0;
	char *next = NULL;
	assert_int_equal(kw_key_list(f->ks, P, &dis, NULL, 1, &list, &n, &next),
			 KW_OK);
	assert_int_equal(n, 1);
	assert_null(next);
	assert_string_equal(list[0]->name, "key-021");
	kw_key_list_free(list, n, next);

	/* Bad arguments. */
	list = NULL;
	assert_int_equal(kw_key_list(f->ks, P, NULL, NULL, 0, &list, &n, &next),
			 KW_E_INVALID);
	assert_int_equal(
		kw_key_list(f->ks, P, NULL, NULL, 1001, &list, &n, &next),
		KW_E_INVALID);
	assert_int_equal(
		kw_key_list(f->ks, P, NULL, "garbage", 10, &list, &n, &next),
		KW_E_INVALID);
	assert_int_equal(
		kw_key_list(f->ks, "a/b", NULL, NULL, 10, &list, &n, &next),
		KW_E_INVALID);
	assert_int_equal(kw_key_list(f->ks, P, NULL, NULL, 10, NULL, &n, &next),
			 KW_E_INVALID);
	kw_key_filter badf = {.type = (kw_key_type)77};
	assert_int_equal(
		kw_key_list(f->ks, P, &badf, NULL, 10, &list, &n, &next),
		KW_E_INVALID);
	kw_key_filter badv = {.label_value = "odd"};
	assert_int_equal(
		kw_key_list(f->ks, P, &badv, NULL, 10, &list, &n, &next),
		KW_E_INVALID);
	assert_null(list);
	/* An empty partition. */
	assert_int_equal(
		kw_key_list(f->ks, "empty", NULL, NULL, 10, &list, &n, &next),
		KW_OK);
	assert_int_equal(n, 0);
	assert_null(next);
	kw_key_list_free(list, n, next);
}

/* Signs msg with (name, params) and checks the signature verifies, and
 * fails to verify for another message. */
static void sign_roundtrip(kfx *f, const char *name, kw_sign_params p)
{
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	uint32_t v = 0;
	assert_int_equal(kw_key_sign(f->ks, P, name, 0, &p, msg, sizeof(msg),
				     &sig, &sig_len, &v),
			 KW_OK);
	assert_int_equal(v, 1);
	assert_int_equal(kw_key_verify(f->ks, P, name, 1, &p, msg, sizeof(msg),
				       sig, sig_len),
			 KW_OK);
	assert_int_equal(kw_key_verify(f->ks, P, name, 1, &p, msg,
				       sizeof(msg) - 1, sig, sig_len),
			 KW_E_VERIFY);
	sig[sig_len / 2] ^= 1;
	assert_int_equal(kw_key_verify(f->ks, P, name, 1, &p, msg, sizeof(msg),
				       sig, sig_len),
			 KW_E_VERIFY);
	free(sig);
}

static void test_sign_verify(void **state)
{
	kfx *f = *state;
	kw_key_info *k[] = {
		kfx_create(f, "ed", KW_KEY_ED25519, 0),
		kfx_create(f, "p256", KW_KEY_EC_P256, 0),
		kfx_create(f, "p384", KW_KEY_EC_P384, 0),
		kfx_create(f, "p521", KW_KEY_EC_P521, 0),
		kfx_import_rsa(f, "rsa", KW_KEY_RSA_2048, 0),
	};
	sign_roundtrip(f, "ed", (kw_sign_params){.scheme = KW_SIG_EDDSA});
	sign_roundtrip(f, "p256", (kw_sign_params){.hash = KW_HASH_SHA256});
	sign_roundtrip(f, "p256",
		       (kw_sign_params){.hash = KW_HASH_SHA256,
					.format = KW_SIG_FORMAT_RAW});
	sign_roundtrip(f, "p384", (kw_sign_params){.hash = KW_HASH_SHA384});
	sign_roundtrip(f, "p521", (kw_sign_params){.hash = KW_HASH_SHA512});
	sign_roundtrip(f, "rsa",
		       (kw_sign_params){.scheme = KW_SIG_RSA_PKCS1,
					.hash = KW_HASH_SHA256});
	sign_roundtrip(f, "rsa",
		       (kw_sign_params){.scheme = KW_SIG_RSA_PSS,
					.hash = KW_HASH_SHA384,
					.pss_salt_len = -1});

	/* By id too; prehashed ECDSA of a digest. */
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	uint32_t v = 9;
	uint8_t dg[32];
	memset(dg, 0x5a, sizeof(dg));
	kw_sign_params ph = {.hash = KW_HASH_SHA256, .prehashed = true};
	assert_int_equal(kw_key_sign(f->ks, P, k[1]->id, 0, &ph, dg, sizeof(dg),
				     &sig, &sig_len, &v),
			 KW_OK);
	assert_int_equal(kw_key_verify(f->ks, P, "p256", 1, &ph, dg, sizeof(dg),
				       sig, sig_len),
			 KW_OK);
	free(sig);
	sig = NULL;

	/* Bad calls, nothing written. */
	kw_sign_params ed = {.scheme = KW_SIG_EDDSA};
	v = 9;
	assert_int_equal(kw_key_sign(f->ks, P, "ed", 0, NULL, msg, 3, &sig,
				     &sig_len, &v),
			 KW_E_INVALID);
	assert_int_equal(kw_key_sign(f->ks, P, "ed", 0, &ed, NULL, 3, &sig,
				     &sig_len, &v),
			 KW_E_INVALID);
	assert_int_equal(
		kw_key_sign(f->ks, P, "ed", 0, &ed, msg, 3, NULL, &sig_len, &v),
		KW_E_INVALID);
	assert_int_equal(
		kw_key_sign(NULL, P, "ed", 0, &ed, msg, 3, &sig, &sig_len, &v),
		KW_E_INVALID);
	assert_int_equal(
		kw_key_sign(f->ks, P, "", 0, &ed, msg, 3, &sig, &sig_len, &v),
		KW_E_INVALID);
	assert_int_equal(kw_key_sign(f->ks, P, "absent", 0, &ed, msg, 3, &sig,
				     &sig_len, &v),
			 KW_E_NOT_FOUND);
	assert_int_equal(
		kw_key_sign(f->ks, P, "ed", 2, &ed, msg, 3, &sig, &sig_len, &v),
		KW_E_NOT_FOUND);
	/* A scheme the type cannot do: the crypto layer's answer. */
	kw_sign_params pss = {.scheme = KW_SIG_RSA_PSS, .hash = KW_HASH_SHA256};
	assert_int_equal(kw_key_sign(f->ks, P, "ed", 0, &pss, msg, 3, &sig,
				     &sig_len, &v),
			 KW_E_UNSUPPORTED);
	assert_null(sig);
	assert_int_equal(v, 9);
	uint8_t fake[64] = {0};
	assert_int_equal(
		kw_key_verify(f->ks, P, "ed", 0, &ed, msg, 3, fake, 64),
		KW_E_INVALID); /* version required */
	assert_int_equal(
		kw_key_verify(f->ks, P, "ed", 1, &ed, msg, 3, NULL, 64),
		KW_E_INVALID);
	assert_int_equal(kw_key_verify(f->ks, P, "ed", 1, &ed, msg, 3, fake, 0),
			 KW_E_INVALID);
	assert_int_equal(
		kw_key_verify(f->ks, P, "ed", 7, &ed, msg, 3, fake, 64),
		KW_E_NOT_FOUND);
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		kw_key_info_free(k[i]);
}

static void test_encrypt_decrypt(void **state)
{
	kfx *f = *state;
	kw_key_info *k[] = {
		kfx_create(f, "aes128", KW_KEY_AES_128, 0),
		kfx_create(f, "aes256", KW_KEY_AES_256, 0),
		kfx_import_rsa(f, "rsa", KW_KEY_RSA_2048,
			       KW_USAGE_ENCRYPT | KW_USAGE_DECRYPT),
		kfx_create(f, "ed", KW_KEY_ED25519, 0),
		kfx_create(f, "wraponly", KW_KEY_AES_256,
			   KW_USAGE_WRAP | KW_USAGE_UNWRAP),
	};
	static const uint8_t aad[] = "order-42";
	static const uint8_t label[] = "billing";
	kw_enc_params gcm = {.aad = aad, .aad_len = sizeof(aad)};
	kw_enc_params oaep = {.alg = KW_ENC_RSA_OAEP,
			      .oaep_hash = KW_HASH_SHA384,
			      .label = label,
			      .label_len = sizeof(label)};
	const char *names[] = {"aes128", "aes256", "rsa", "rsa"};
	const kw_enc_params *params[] = {&gcm, &gcm, &oaep, NULL};
	for (size_t i = 0; i < 4; i++) {
		uint8_t *ct = NULL;
		size_t ct_len = 0;
		uint32_t v = 0;
		kw_secret *pt = NULL;
		assert_int_equal(kw_key_encrypt(f->ks, P, names[i], params[i],
						msg, sizeof(msg), &ct, &ct_len,
						&v),
				 KW_OK);
		assert_int_equal(v, 1);
		assert_true(ct_len > sizeof(msg));
		assert_null(memmem(ct, ct_len, msg, 8));
		assert_int_equal(kw_key_decrypt(f->ks, P, names[i], 1,
						params[i], ct, ct_len, &pt),
				 KW_OK);
		assert_int_equal(pt->len, sizeof(msg));
		assert_memory_equal(pt->data, msg, sizeof(msg));
		kw_secret_free(pt);
		pt = NULL;
		/* Other AAD / label / hash, or a flipped bit: nothing opens. */
		kw_enc_params other =
			params[i] ? *params[i] : (kw_enc_params){0};
		if (i < 2)
			other.aad_len--;
		else if (i == 2)
			other.label_len--;
		else
			other.oaep_hash = KW_HASH_SHA512;
		assert_int_equal(kw_key_decrypt(f->ks, P, names[i], 1, &other,
						ct, ct_len, &pt),
				 KW_E_VERIFY);
		ct[ct_len - 1] ^= 0x80;
		assert_int_equal(kw_key_decrypt(f->ks, P, names[i], 1,
						params[i], ct, ct_len, &pt),
				 KW_E_VERIFY);
		assert_null(pt);
		free(ct);
	}

	uint8_t *ct = NULL;
	size_t ct_len = 0;
	uint32_t v = 0;
	kw_secret *pt = NULL;
	/* Encrypt with a signing key; a mode the type does not have; a key
	 * without the usage. */
	assert_int_equal(
		kw_key_encrypt(f->ks, P, "ed", NULL, msg, 4, &ct, &ct_len, &v),
		KW_E_UNSUPPORTED);
	kw_enc_params wrong = {.alg = KW_ENC_RSA_OAEP};
	assert_int_equal(kw_key_encrypt(f->ks, P, "aes128", &wrong, msg, 4, &ct,
					&ct_len, &v),
			 KW_E_UNSUPPORTED);
	wrong.alg = KW_ENC_AES_GCM;
	assert_int_equal(kw_key_encrypt(f->ks, P, "rsa", &wrong, msg, 4, &ct,
					&ct_len, &v),
			 KW_E_UNSUPPORTED);
	assert_int_equal(kw_key_encrypt(f->ks, P, "wraponly", NULL, msg, 4, &ct,
					&ct_len, &v),
			 KW_E_DENIED);
	wrong.alg = (kw_enc_alg)9;
	assert_int_equal(kw_key_encrypt(f->ks, P, "aes128", &wrong, msg, 4, &ct,
					&ct_len, &v),
			 KW_E_INVALID);
	kw_enc_params nullaad = {.aad_len = 4};
	assert_int_equal(kw_key_encrypt(f->ks, P, "aes128", &nullaad, msg, 4,
					&ct, &ct_len, &v),
			 KW_E_INVALID);
	assert_int_equal(kw_key_encrypt(f->ks, P, "aes128", NULL, NULL, 4, &ct,
					&ct_len, &v),
			 KW_E_INVALID);
	assert_int_equal(kw_key_encrypt(f->ks, P, "aes128", NULL, msg, 4, NULL,
					&ct_len, &v),
			 KW_E_INVALID);
	assert_null(ct);
	assert_int_equal(
		kw_key_decrypt(f->ks, P, "aes128", 0, NULL, msg, 4, &pt),
		KW_E_INVALID);
	assert_int_equal(
		kw_key_decrypt(f->ks, P, "aes128", 1, NULL, NULL, 4, &pt),
		KW_E_INVALID);
	assert_int_equal(
		kw_key_decrypt(f->ks, P, "aes128", 1, NULL, msg, 0, &pt),
		KW_E_INVALID);
	assert_int_equal(kw_key_decrypt(f->ks, P, "ed", 1, NULL, msg, 4, &pt),
			 KW_E_UNSUPPORTED);
	assert_null(pt);
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		kw_key_info_free(k[i]);
}

static void test_mac(void **state)
{
	kfx *f = *state;
	const kw_key_type types[] = {KW_KEY_HMAC_SHA256, KW_KEY_HMAC_SHA384,
				     KW_KEY_HMAC_SHA512};
	const size_t lens[] = {32, 48, 64};
	for (size_t i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "hmac%zu", i);
		kw_key_info_free(kfx_create(f, name, types[i], 0));
		uint8_t *tag = NULL;
		size_t tag_len = 0;
		uint32_t v = 0;
		assert_int_equal(kw_key_mac(f->ks, P, name, msg, sizeof(msg),
					    &tag, &tag_len, &v),
				 KW_OK);
		assert_int_equal(tag_len, lens[i]);
		assert_int_equal(v, 1);
		assert_int_equal(kw_key_mac_verify(f->ks, P, name, 1, msg,
						   sizeof(msg), tag, tag_len),
				 KW_OK);
		/* A truncated tag of at least 16 bytes still checks. */
		assert_int_equal(kw_key_mac_verify(f->ks, P, name, 1, msg,
						   sizeof(msg), tag, 16),
				 KW_OK);
		assert_int_equal(kw_key_mac_verify(f->ks, P, name, 1, msg,
						   sizeof(msg), tag, 8),
				 KW_E_INVALID);
		tag[0] ^= 1;
		assert_int_equal(kw_key_mac_verify(f->ks, P, name, 1, msg,
						   sizeof(msg), tag, tag_len),
				 KW_E_VERIFY);
		assert_int_equal(kw_key_mac_verify(f->ks, P, name, 0, msg,
						   sizeof(msg), tag, tag_len),
				 KW_E_INVALID);
		free(tag);
	}
	kw_key_info_free(kfx_create(f, "aes", KW_KEY_AES_128, 0));
	uint8_t *tag = NULL;
	size_t tag_len = 0;
	uint32_t v = 0;
	assert_int_equal(
		kw_key_mac(f->ks, P, "aes", msg, 4, &tag, &tag_len, &v),
		KW_E_UNSUPPORTED);
	assert_int_equal(
		kw_key_mac(f->ks, P, "hmac0", NULL, 4, &tag, &tag_len, &v),
		KW_E_INVALID);
	assert_int_equal(kw_key_mac(f->ks, P, "hmac0", msg, 4, &tag, NULL, &v),
			 KW_E_INVALID);
	assert_int_equal(
		kw_key_mac_verify(f->ks, P, "hmac0", 1, msg, 4, NULL, 32),
		KW_E_INVALID);
	assert_null(tag);
}

static void test_wrap(void **state)
{
	kfx *f = *state;
	kw_key_info_free(kfx_create(f, "kek", KW_KEY_AES_256,
				    KW_USAGE_WRAP | KW_USAGE_UNWRAP));
	kw_key_info_free(kfx_create(f, "dek", KW_KEY_AES_128, 0));
	kw_key_info_free(kfx_create(f, "mac", KW_KEY_HMAC_SHA256, 0));
	uint8_t secret[32];
	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)(i * 7);
	const kw_wrap_mode modes[] = {KW_WRAP_AES_KW, KW_WRAP_AES_KWP};
	const size_t lens[] = {32, 13};
	for (size_t i = 0; i < 2; i++) {
		uint8_t *w = NULL;
		size_t w_len = 0;
		uint32_t v = 0;
		kw_secret *back = NULL;
		assert_int_equal(kw_key_wrap(f->ks, P, "kek", modes[i], secret,
					     lens[i], &w, &w_len, &v),
				 KW_OK);
		assert_int_equal(v, 1);
		assert_int_equal(kw_key_unwrap(f->ks, P, "kek", 1, modes[i], w,
					       w_len, &back),
				 KW_OK);
		assert_int_equal(back->len, lens[i]);
		assert_memory_equal(back->data, secret, lens[i]);
		kw_secret_free(back);
		back = NULL;
		w[3] ^= 4;
		assert_int_equal(kw_key_unwrap(f->ks, P, "kek", 1, modes[i], w,
					       w_len, &back),
				 KW_E_VERIFY);
		assert_null(back);
		free(w);
	}
	uint8_t *w = NULL;
	size_t w_len = 0;
	uint32_t v = 0;
	kw_secret *back = NULL;
	/* RFC 3394 needs a multiple of 8 bytes. */
	assert_int_equal(kw_key_wrap(f->ks, P, "kek", KW_WRAP_AES_KW, secret,
				     13, &w, &w_len, &v),
			 KW_E_INVALID);
	assert_int_equal(kw_key_wrap(f->ks, P, "dek", KW_WRAP_AES_KW, secret,
				     16, &w, &w_len, &v),
			 KW_E_DENIED);
	assert_int_equal(kw_key_wrap(f->ks, P, "mac", KW_WRAP_AES_KW, secret,
				     16, &w, &w_len, &v),
			 KW_E_UNSUPPORTED);
	assert_int_equal(kw_key_wrap(f->ks, P, "kek", (kw_wrap_mode)0, secret,
				     16, &w, &w_len, &v),
			 KW_E_INVALID);
	assert_int_equal(kw_key_wrap(f->ks, P, "kek", KW_WRAP_AES_KW, secret, 0,
				     &w, &w_len, &v),
			 KW_E_INVALID);
	assert_int_equal(kw_key_unwrap(f->ks, P, "kek", 0, KW_WRAP_AES_KW,
				       secret, 24, &back),
			 KW_E_INVALID);
	assert_int_equal(kw_key_unwrap(f->ks, P, "kek", 1, KW_WRAP_AES_KW,
				       secret, 24, NULL),
			 KW_E_INVALID);
	assert_null(w);
	assert_null(back);
}

static void test_public_pem(void **state)
{
	kfx *f = *state;
	kw_key_info_free(kfx_create(f, "ec", KW_KEY_EC_P256, 0));
	kw_key_info_free(kfx_create(f, "aes", KW_KEY_AES_128, 0));
	char *pem = NULL;
	assert_int_equal(kw_key_public_pem(f->ks, P, "ec", 0, &pem), KW_OK);
	assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
	assert_null(strstr(pem, "PRIVATE"));
	free(pem);
	pem = NULL;
	assert_int_equal(kw_key_public_pem(f->ks, P, "aes", 0, &pem),
			 KW_E_UNSUPPORTED);
	assert_int_equal(kw_key_public_pem(f->ks, P, "ec", 2, &pem),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_key_public_pem(f->ks, P, "ec", 0, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_key_public_pem(f->ks, P, "none", 0, &pem),
			 KW_E_NOT_FOUND);
	assert_null(pem);
}

/* Every function with no handle, no partition or a bad one: KW_E_INVALID,
 * nothing written, no crash. */
static void test_null_args(void **state)
{
	kfx *f = *state;
	kw_key_info_free(kfx_create(f, "k", KW_KEY_AES_256, 0));
	kw_keys *none = NULL;
	kw_key_info *k = NULL;
	uint8_t *out = NULL;
	size_t len = 0, n = 0;
	uint32_t v = 0;
	kw_secret *sec = NULL;
	char *pem = NULL, *next = NULL;
	kw_key_info **list = NULL;
	kw_sign_params sp = {.scheme = KW_SIG_EDDSA};
	kw_key_update u = {.set_exportable_false = true};
	const char *parts[] = {NULL, "", "a b"};
	for (int i = 0; i < 4; i++) {
		kw_keys *ks = i == 0 ? none : f->ks;
		const char *pt = i == 0 ? P : parts[i - 1];
		assert_int_equal(kw_key_get(ks, pt, "k", &k), KW_E_INVALID);
		assert_int_equal(
			kw_key_list(ks, pt, NULL, NULL, 5, &list, &n, &next),
			KW_E_INVALID);
		assert_int_equal(kw_key_rotate(ks, pt, "k", &k), KW_E_INVALID);
		assert_int_equal(
			kw_key_set_state(ks, pt, "k", KW_KEY_DISABLED, &k),
			KW_E_INVALID);
		assert_int_equal(kw_key_schedule_destroy(ks, pt, "k", 5, &k),
				 KW_E_INVALID);
		assert_int_equal(kw_key_update_meta(ks, pt, "k", &u, &k),
				 KW_E_INVALID);
		assert_int_equal(kw_key_public_pem(ks, pt, "k", 0, &pem),
				 KW_E_INVALID);
		assert_int_equal(kw_key_sign(ks, pt, "k", 0, &sp, msg, 4, &out,
					     &len, &v),
				 KW_E_INVALID);
		assert_int_equal(
			kw_key_verify(ks, pt, "k", 1, &sp, msg, 4, msg, 4),
			KW_E_INVALID);
		assert_int_equal(kw_key_encrypt(ks, pt, "k", NULL, msg, 4, &out,
						&len, &v),
				 KW_E_INVALID);
		assert_int_equal(
			kw_key_decrypt(ks, pt, "k", 1, NULL, msg, 4, &sec),
			KW_E_INVALID);
		assert_int_equal(
			kw_key_mac(ks, pt, "k", msg, 4, &out, &len, &v),
			KW_E_INVALID);
		assert_int_equal(
			kw_key_mac_verify(ks, pt, "k", 1, msg, 4, msg, 4),
			KW_E_INVALID);
		assert_int_equal(kw_key_wrap(ks, pt, "k", KW_WRAP_AES_KWP, msg,
					     4, &out, &len, &v),
				 KW_E_INVALID);
		assert_int_equal(kw_key_unwrap(ks, pt, "k", 1, KW_WRAP_AES_KWP,
					       msg, 4, &sec),
				 KW_E_INVALID);
	}
	/* A NULL key name, everywhere a name is taken. */
	assert_int_equal(kw_key_get(f->ks, P, NULL, &k), KW_E_INVALID);
	assert_int_equal(
		kw_key_encrypt(f->ks, P, NULL, NULL, msg, 4, &out, &len, &v),
		KW_E_INVALID);
	assert_int_equal(kw_key_set_state(f->ks, P, NULL, KW_KEY_DISABLED, &k),
			 KW_E_INVALID);
	assert_int_equal(kw_key_get(f->ks, P, "k", NULL), KW_E_INVALID);
	assert_int_equal(kw_key_destroy_due(NULL, 0, &n), KW_E_INVALID);
	assert_null(k);
	assert_null(out);
	assert_null(sec);
	assert_null(pem);
	assert_null(list);
	/* Inputs over the crypto layer's limit are refused before they are
	 * read (a short buffer with a huge length: ASan would see a read). */
	assert_int_equal(kw_key_encrypt(f->ks, P, "k", NULL, msg,
					(size_t)KW_SECRET_MAX * 2, &out, &len,
					&v),
			 KW_E_INVALID);
	assert_null(out);
	/* Opening the handle. */
	kw_keys *ks = NULL;
	assert_int_equal(kw_keys_open(NULL, f->store, 4, &ks), KW_E_INVALID);
	assert_int_equal(kw_keys_open(f->b, NULL, 4, &ks), KW_E_INVALID);
	assert_int_equal(kw_keys_open(f->b, f->store, 0, &ks), KW_E_INVALID);
	assert_int_equal(kw_keys_open(f->b, f->store, 4, NULL), KW_E_INVALID);
	assert_null(ks);
	kw_keys_free(NULL);
	kw_keys_cache_flush(NULL);
	kw_key_info_free(NULL);
	kw_key_list_free(NULL, 0, NULL);
	/* A label too long. */
	char longv[KW_LABEL_MAX + 2];
	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	kw_label l = {"k", longv};
	kw_key_spec spec = {.partition = P,
			    .name = "l",
			    .type = KW_KEY_AES_128,
			    .labels = &l,
			    .label_count = 1};
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_E_INVALID);
	longv[KW_LABEL_MAX] = '\0';
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_OK);
	kw_key_info_free(k);
}

#define T(fn, backend)                                                        \
	cmocka_unit_test_prestate_setup_teardown(fn, kfx_setup, kfx_teardown, \
						 backend)
#define TESTS(b)                                                    \
	{                                                           \
		T(test_create_get, b), T(test_create_bad_input, b), \
			T(test_list, b), T(test_sign_verify, b),    \
			T(test_encrypt_decrypt, b), T(test_mac, b), \
			T(test_wrap, b), T(test_public_pem, b),     \
			T(test_null_args, b),                       \
	}

int main(void)
{
	const struct CMUnitTest mem[] = TESTS((void *)"mem");
	const struct CMUnitTest sqlite[] = TESTS((void *)"sqlite");
	int failed = cmocka_run_group_tests_name("keys-mem", mem, NULL, NULL);
	failed +=
		cmocka_run_group_tests_name("keys-sqlite", sqlite, NULL, NULL);
	kfx_rsa_free();
	return failed;
}
