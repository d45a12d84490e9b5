/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fixture.h"
#include "keys/internal.h"

/*
 * A key's life through the public API: rotation, every state transition,
 * scheduled destruction, metadata changes, and sealing. Each test runs over
 * the mem store and over a SQLite file.
 */

#define P KFX_PART

static const uint8_t msg[] = "release v1.2.3";
static const kw_sign_params ed = {.scheme = KW_SIG_EDDSA};

static kw_rc sign(kfx *f, const char *name, uint32_t version, uint32_t *out_v)
{
	uint8_t *sig = NULL;
	size_t len = 0;
	uint32_t v = 0;
	kw_rc rc = kw_key_sign(f->ks, P, name, version, &ed, msg, sizeof(msg),
			       &sig, &len, &v);
	free(sig);
	if (out_v != NULL)
		*out_v = v;
	return rc;
}

static void test_rotate(void **state)
{
	kfx *f = *state;
	kw_key_spec spec = {.partition = P,
			    .name = "ed",
			    .type = KW_KEY_ED25519,
			    .rotation_period_s = 100};
	kw_key_info *k = NULL;
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_OK);
	kw_key_info_free(k);
	kw_key_info_free(kfx_create(f, "aes", KW_KEY_AES_256, 0));
	kw_key_info_free(kfx_create(f, "mac", KW_KEY_HMAC_SHA512, 0));

	/* Made under version 1. */
	uint8_t *sig1 = NULL, *ct1 = NULL, *tag1 = NULL;
	size_t sig1_len, ct1_len, tag1_len;
	uint32_t v = 0;
	assert_int_equal(kw_key_sign(f->ks, P, "ed", 0, &ed, msg, sizeof(msg),
				     &sig1, &sig1_len, &v),
			 KW_OK);
	assert_int_equal(kw_key_encrypt(f->ks, P, "aes", NULL, msg, sizeof(msg),
					&ct1, &ct1_len, &v),
			 KW_OK);
	assert_int_equal(kw_key_mac(f->ks, P, "mac", msg, sizeof(msg), &tag1,
				    &tag1_len, &v),
			 KW_OK);
	char *pem1 = NULL;
	assert_int_equal(kw_key_public_pem(f->ks, P, "ed", 0, &pem1), KW_OK);

	const char *names[] = {"ed", "aes", "mac"};
	for (size_t i = 0; i < 3; i++) {
		for (uint32_t want = 2; want <= 3; want++) {
			int64_t before = (int64_t)time(NULL);
			assert_int_equal(kw_key_rotate(f->ks, P, names[i], &k),
					 KW_OK);
			assert_int_equal(k->primary_version, want);
			assert_int_equal(k->version_count, want);
			for (uint32_t j = 0; j < want; j++)
				assert_int_equal(k->versions[j].version, j + 1);
			assert_true(k->versions[want - 1].created >= before);
			if (i == 0)
				assert_true(k->next_rotation >= before + 100);
			else
				assert_int_equal(k->next_rotation, 0);
			kw_key_info_free(k);
		}
	}

	/* New results use v3; what v1 made still checks and opens with v1
	 * (and with v1 only). */
	uint8_t *sig3 = NULL, *ct3 = NULL, *tag3 = NULL;
	size_t sig3_len, ct3_len, tag3_len;
	assert_int_equal(kw_key_sign(f->ks, P, "ed", 0, &ed, msg, sizeof(msg),
				     &sig3, &sig3_len, &v),
			 KW_OK);
	assert_int_equal(v, 3);
	assert_int_equal(kw_key_verify(f->ks, P, "ed", 1, &ed, msg, sizeof(msg),
				       sig1, sig1_len),
			 KW_OK);
	assert_int_equal(kw_key_verify(f->ks, P, "ed", 3, &ed, msg, sizeof(msg),
				       sig3, sig3_len),
			 KW_OK);
	assert_int_equal(kw_key_verify(f->ks, P, "ed", 3, &ed, msg, sizeof(msg),
				       sig1, sig1_len),
			 KW_E_VERIFY);
	assert_int_equal(kw_key_verify(f->ks, P, "ed", 1, &ed, msg, sizeof(msg),
				       sig3, sig3_len),
			 KW_E_VERIFY);
	assert_int_equal(kw_key_encrypt(f->ks, P, "aes", NULL, msg, sizeof(msg),
					&ct3, &ct3_len, &v),
			 KW_OK);
	assert_int_equal(v, 3);
	kw_secret *pt = NULL;
	assert_int_equal(
		kw_key_decrypt(f->ks, P, "aes", 1, NULL, ct1, ct1_len, &pt),
		KW_OK);
	assert_memory_equal(pt->data, msg, sizeof(msg));
	kw_secret_free(pt);
	pt = NULL;
	assert_int_equal(
		kw_key_decrypt(f->ks, P, "aes", 1, NULL, ct3, ct3_len, &pt),
		KW_E_VERIFY);
	assert_int_equal(
		kw_key_decrypt(f->ks, P, "aes", 3, NULL, ct3, ct3_len, &pt),
		KW_OK);
	kw_secret_free(pt);
	assert_int_equal(kw_key_mac(f->ks, P, "mac", msg, sizeof(msg), &tag3,
				    &tag3_len, &v),
			 KW_OK);
	assert_int_equal(v, 3);
	assert_int_equal(kw_key_mac_verify(f->ks, P, "mac", 1, msg, sizeof(msg),
					   tag1, tag1_len),
			 KW_OK);
	assert_int_equal(kw_key_mac_verify(f->ks, P, "mac", 2, msg, sizeof(msg),
					   tag1, tag1_len),
			 KW_E_VERIFY);
	assert_int_equal(kw_key_mac_verify(f->ks, P, "mac", 3, msg, sizeof(msg),
					   tag3, tag3_len),
			 KW_OK);
	/* Old versions only check; the public key of each version. */
	assert_int_equal(sign(f, "ed", 1, NULL), KW_E_STATE);
	assert_int_equal(sign(f, "ed", 3, &v), KW_OK);
	assert_int_equal(sign(f, "ed", 4, NULL), KW_E_NOT_FOUND);
	char *pem = NULL;
	assert_int_equal(kw_key_public_pem(f->ks, P, "ed", 1, &pem), KW_OK);
	assert_string_equal(pem, pem1);
	free(pem);
	assert_int_equal(kw_key_public_pem(f->ks, P, "ed", 0, &pem), KW_OK);
	assert_string_not_equal(pem, pem1);
	free(pem);
	free(pem1);

	/* Only active keys rotate. */
	assert_int_equal(
		kw_key_set_state(f->ks, P, "aes", KW_KEY_DISABLED, NULL),
		KW_OK);
	k = NULL;
	assert_int_equal(kw_key_rotate(f->ks, P, "aes", &k), KW_E_STATE);
	assert_int_equal(
		kw_key_set_state(f->ks, P, "mac", KW_KEY_COMPROMISED, NULL),
		KW_OK);
	assert_int_equal(kw_key_rotate(f->ks, P, "mac", &k), KW_E_STATE);
	assert_int_equal(kw_key_rotate(f->ks, P, "nope", &k), KW_E_NOT_FOUND);
	assert_int_equal(kw_key_rotate(f->ks, P, "no pe", &k), KW_E_INVALID);
	assert_null(k);
	/* The rotated versions are stored, not just cached. */
	kw_keys_cache_flush(f->ks);
	assert_int_equal(kw_key_get(f->ks, P, "ed", &k), KW_OK);
	assert_int_equal(k->version_count, 3);
	kw_key_info_free(k);
	assert_int_equal(kw_key_verify(f->ks, P, "ed", 1, &ed, msg, sizeof(msg),
				       sig1, sig1_len),
			 KW_OK);
	free(sig1);
	free(sig3);
	free(ct1);
	free(ct3);
	free(tag1);
	free(tag3);
}

/* Puts key `name` (new, Ed25519) into state s the ordinary way. */
static void drive_to(kfx *f, const char *name, kw_key_state s)
{
	kw_key_spec spec = {.partition = P,
			    .name = name,
			    .type = KW_KEY_ED25519,
			    .initial_state = s == KW_KEY_PRE_ACTIVE
						     ? KW_KEY_PRE_ACTIVE
						     : KW_KEY_STATE_NONE};
	kw_key_info *k = NULL;
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_OK);
	kw_key_info_free(k);
	if (s == KW_KEY_DISABLED || s == KW_KEY_COMPROMISED)
		assert_int_equal(kw_key_set_state(f->ks, P, name, s, NULL),
				 KW_OK);
	if (s == KW_KEY_PENDING_DESTRUCTION || s == KW_KEY_DESTROYED)
		assert_int_equal(kw_key_schedule_destroy(
					 f->ks, P, name,
					 s == KW_KEY_DESTROYED ? 0 : 3600,
					 NULL),
				 KW_OK);
	assert_int_equal(kw_key_get(f->ks, P, name, &k), KW_OK);
	assert_int_equal(k->state, s);
	kw_key_info_free(k);
}

/* Every (from, to) pair through the API, against the table of keys.h. */
static void test_transitions(void **state)
{
	kfx *f = *state;
	enum { PA = 1, AC, DI, CO, PD, DE };
	static const bool allowed[7][7] = {
		[PA] = {[AC] = true, [DI] = true, [PD] = true},
		[AC] = {[DI] = true, [CO] = true, [PD] = true},
		[DI] = {[AC] = true, [CO] = true, [PD] = true},
		[CO] = {[PD] = true},
		[PD] = {[DI] = true, [DE] = true},
	};
	for (int from = PA; from <= DE; from++) {
		for (int to = PA; to <= DE; to++) {
			char name[16];
			snprintf(name, sizeof(name), "k%d-%d", from, to);
			drive_to(f, name, (kw_key_state)from);
			kw_key_info *k = NULL;
			kw_rc rc;
			if (to == PD) {
				rc = kw_key_schedule_destroy(f->ks, P, name, 60,
							     &k);
			} else if (to == DE) {
				/* Only the sweep destroys, and only what is
				 * pending and due. */
				size_t n = 99;
				assert_int_equal(
					kw_key_destroy_due(
						f->ks,
						(int64_t)time(NULL) + 7200, &n),
					KW_OK);
				assert_int_equal(kw_key_get(f->ks, P, name, &k),
						 KW_OK);
				rc = k->state == KW_KEY_DESTROYED && from != DE
					     ? KW_OK
					     : KW_E_STATE;
				kw_key_info_free(k);
				k = NULL;
			} else {
				rc = kw_key_set_state(f->ks, P, name,
						      (kw_key_state)to, &k);
			}
			if (allowed[from][to]) {
				assert_int_equal(rc, KW_OK);
				if (k != NULL)
					assert_int_equal(k->state, to);
			} else {
				assert_int_equal(rc, KW_E_STATE);
				assert_null(k);
			}
			kw_key_info_free(k);
		}
	}
	/* Destruction has its own functions. */
	assert_int_equal(kw_key_set_state(f->ks, P, "k2-1",
					  KW_KEY_PENDING_DESTRUCTION, NULL),
			 KW_E_INVALID);
	assert_int_equal(
		kw_key_set_state(f->ks, P, "k2-1", KW_KEY_DESTROYED, NULL),
		KW_E_INVALID);
	assert_int_equal(
		kw_key_set_state(f->ks, P, "k2-1", KW_KEY_STATE_NONE, NULL),
		KW_E_INVALID);
	assert_int_equal(
		kw_key_set_state(f->ks, P, "k2-1", (kw_key_state)99, NULL),
		KW_E_INVALID);
}

/* What each state lets a key do. */
static void test_state_ops(void **state)
{
	kfx *f = *state;
	const kw_key_state states[] = {
		KW_KEY_PRE_ACTIVE,
		KW_KEY_ACTIVE,
		KW_KEY_DISABLED,
		KW_KEY_COMPROMISED,
		KW_KEY_PENDING_DESTRUCTION,
		KW_KEY_DESTROYED,
	};
	/* A signature of a key made while it was active. */
	kw_key_info_free(kfx_create(f, "probe", KW_KEY_ED25519, 0));
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	uint32_t v = 0;
	assert_int_equal(kw_key_sign(f->ks, P, "probe", 0, &ed, msg,
				     sizeof(msg), &sig, &sig_len, &v),
			 KW_OK);
	for (size_t i = 0; i < 6; i++) {
		char name[16];
		snprintf(name, sizeof(name), "s%zu", i);
		drive_to(f, name, states[i]);
		kw_rc want_sign =
			states[i] == KW_KEY_ACTIVE ? KW_OK : KW_E_STATE;
		assert_int_equal(sign(f, name, 0, NULL), want_sign);
		/* Checking is allowed to a compromised key too (the probe's
		 * signature is not this key's, hence KW_E_VERIFY). */
		kw_rc want_verify =
			states[i] == KW_KEY_ACTIVE ||
					states[i] == KW_KEY_COMPROMISED
				? KW_E_VERIFY
				: KW_E_STATE;
		assert_int_equal(kw_key_verify(f->ks, P, name, 1, &ed, msg,
					       sizeof(msg), sig, sig_len),
				 want_verify);
	}
	free(sig);
	/* A compromised key still checks what it signed before. */
	drive_to(f, "c", KW_KEY_ACTIVE);
	assert_int_equal(kw_key_sign(f->ks, P, "c", 0, &ed, msg, sizeof(msg),
				     &sig, &sig_len, &v),
			 KW_OK);
	assert_int_equal(
		kw_key_set_state(f->ks, P, "c", KW_KEY_COMPROMISED, NULL),
		KW_OK);
	assert_int_equal(sign(f, "c", 0, NULL), KW_E_STATE);
	assert_int_equal(kw_key_verify(f->ks, P, "c", 1, &ed, msg, sizeof(msg),
				       sig, sig_len),
			 KW_OK);
	free(sig);
	/* Disabled and back. */
	assert_int_equal(kw_key_set_state(f->ks, P, "s2", KW_KEY_ACTIVE, NULL),
			 KW_OK);
	assert_int_equal(sign(f, "s2", 0, NULL), KW_OK);
	/* A destroyed key never comes back. */
	for (int s = KW_KEY_PRE_ACTIVE; s <= KW_KEY_COMPROMISED; s++)
		assert_int_equal(
			kw_key_set_state(f->ks, P, "s5", (kw_key_state)s, NULL),
			KW_E_STATE);
	assert_int_equal(kw_key_schedule_destroy(f->ks, P, "s5", 0, NULL),
			 KW_E_STATE);
}

static void test_destroy(void **state)
{
	kfx *f = *state;
	kw_key_info_free(kfx_create(f, "old", KW_KEY_EC_P256, 0));
	kw_key_info_free(kfx_create(f, "aes", KW_KEY_AES_128, 0));
	assert_int_equal(kw_key_rotate(f->ks, P, "old", NULL), KW_OK);
	kw_sign_params ecdsa = {.hash = KW_HASH_SHA256};
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	uint32_t v = 0;
	assert_int_equal(kw_key_sign(f->ks, P, "old", 0, &ecdsa, msg,
				     sizeof(msg), &sig, &sig_len, &v),
			 KW_OK);

	int64_t now = (int64_t)time(NULL);
	kw_key_info *k = NULL;
	assert_int_equal(kw_key_schedule_destroy(f->ks, P, "old", 100, &k),
			 KW_OK);
	assert_int_equal(k->state, KW_KEY_PENDING_DESTRUCTION);
	assert_true(k->destroy_after >= now + 100 &&
		    k->destroy_after <= now + 102);
	kw_key_info_free(k);
	/* Pending: nothing but cancelling, or waiting. */
	assert_int_equal(kw_key_verify(f->ks, P, "old", 2, &ecdsa, msg,
				       sizeof(msg), sig, sig_len),
			 KW_E_STATE);
	size_t n = 99;
	assert_int_equal(kw_key_destroy_due(f->ks, now, &n), KW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(kw_key_set_state(f->ks, P, "old", KW_KEY_DISABLED, &k),
			 KW_OK);
	assert_int_equal(k->destroy_after, 0);
	kw_key_info_free(k);
	assert_int_equal(kw_key_destroy_due(f->ks, now + 1000, &n), KW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(kw_key_schedule_destroy(f->ks, P, "old", 100, NULL),
			 KW_OK);
	assert_int_equal(kw_key_destroy_due(f->ks, now + 1000, &n), KW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(kw_key_destroy_due(f->ks, now + 1000, NULL), KW_OK);

	/* The tombstone: metadata kept, every version's material erased. */
	assert_int_equal(kw_key_get(f->ks, P, "old", &k), KW_OK);
	assert_int_equal(k->state, KW_KEY_DESTROYED);
	assert_int_equal(k->version_count, 2);
	kw_key_info_free(k);
	kw_key_rec *r = kfx_load(f, "old");
	assert_int_equal(r->info.state, KW_KEY_DESTROYED);
	assert_null(r->material[0]);
	assert_null(r->material[1]);
	kw_keys_rec_free(r);
	assert_int_equal(kw_key_verify(f->ks, P, "old", 2, &ecdsa, msg,
				       sizeof(msg), sig, sig_len),
			 KW_E_STATE);
	free(sig);
	char *pem = NULL;
	assert_int_equal(kw_key_public_pem(f->ks, P, "old", 0, &pem),
			 KW_E_STATE);
	/* Its name stays taken. */
	kw_key_spec spec = {
		.partition = P, .name = "old", .type = KW_KEY_EC_P256};
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_E_EXISTS);
	/* No metadata changes on a tombstone. */
	kw_key_update u = {.set_exportable_false = true};
	assert_int_equal(kw_key_update_meta(f->ks, P, "old", &u, NULL),
			 KW_E_STATE);

	/* Waiting 0 destroys at once; the limit is a year. */
	assert_int_equal(
		kw_key_schedule_destroy(f->ks, P, "aes", 366ull * 86400, NULL),
		KW_E_INVALID);
	assert_int_equal(kw_key_schedule_destroy(f->ks, P, "aes", 0, &k),
			 KW_OK);
	assert_int_equal(k->state, KW_KEY_DESTROYED);
	kw_key_info_free(k);
	r = kfx_load(f, "aes");
	assert_null(r->material[0]);
	kw_keys_rec_free(r);
	assert_int_equal(kw_key_destroy_due(NULL, now, &n), KW_E_INVALID);
	assert_int_equal(kw_key_schedule_destroy(f->ks, P, "gone", 5, NULL),
			 KW_E_NOT_FOUND);
}

static void test_update_meta(void **state)
{
	kfx *f = *state;
	kw_key_spec spec = {.partition = P,
			    .name = "m",
			    .type = KW_KEY_EC_P384,
			    .exportable = true};
	kw_key_info *k = NULL;
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_OK);
	uint64_t rv = k->record_version;
	kw_key_info_free(k);

	kw_key_update u = {.set_exportable_false = true};
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k), KW_OK);
	assert_false(k->exportable);
	assert_true(k->record_version > rv);
	rv = k->record_version;
	kw_key_info_free(k);

	/* Every other change leaves exportable false: kw_key_update has no
	 * field that could set it, and create refuses an existing name. */
	kw_label l[1] = {{"owner", "ops"}};
	u = (kw_key_update){.set_labels = true,
			    .labels = l,
			    .label_count = 1,
			    .set_policy = true,
			    .policy = "{\"export\":\"never\"}",
			    .set_rotation = true,
			    .rotation_period_s = 60};
	int64_t before = (int64_t)time(NULL);
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k), KW_OK);
	assert_false(k->exportable);
	assert_int_equal(k->label_count, 1);
	assert_string_equal(k->labels[0].value, "ops");
	assert_string_equal(k->policy, "{\"export\":\"never\"}");
	assert_int_equal(k->rotation_period_s, 60);
	assert_true(k->next_rotation >= before + 60);
	kw_key_info_free(k);
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_E_EXISTS);

	/* Clearing. */
	u = (kw_key_update){
		.set_labels = true, .set_policy = true, .set_rotation = true};
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k), KW_OK);
	assert_int_equal(k->label_count, 0);
	assert_null(k->policy);
	assert_int_equal(k->next_rotation, 0);
	kw_key_info_free(k);

	/* Usages narrow, never widen. */
	u = (kw_key_update){.set_usages = true, .usages = KW_USAGE_VERIFY};
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k), KW_OK);
	assert_int_equal(k->usages, KW_USAGE_VERIFY);
	kw_key_info_free(k);
	k = NULL;
	kw_sign_params p = {.hash = KW_HASH_SHA384};
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	uint32_t v = 0;
	assert_int_equal(kw_key_sign(f->ks, P, "m", 0, &p, msg, sizeof(msg),
				     &sig, &sig_len, &v),
			 KW_E_DENIED);
	u.usages = KW_USAGE_VERIFY | KW_USAGE_SIGN;
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k), KW_E_STATE);
	u.usages = 0;
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k),
			 KW_E_INVALID);
	u.usages = 1u << 12;
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k),
			 KW_E_INVALID);

	/* Bad updates change nothing. */
	kw_label dup[2] = {{"a", "1"}, {"a", "2"}};
	u = (kw_key_update){
		.set_labels = true, .labels = dup, .label_count = 2};
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k),
			 KW_E_INVALID);
	u.label_count = KW_LABELS_MAX + 1;
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k), KW_E_LIMIT);
	u = (kw_key_update){.set_policy = true, .policy = ""};
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k),
			 KW_E_INVALID);
	u = (kw_key_update){.set_rotation = true,
			    .rotation_period_s = UINT64_MAX};
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k),
			 KW_E_INVALID);
	u = (kw_key_update){0};
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", &u, &k),
			 KW_E_INVALID);
	assert_int_equal(kw_key_update_meta(f->ks, P, "m", NULL, &k),
			 KW_E_INVALID);
	u.set_exportable_false = true;
	assert_int_equal(kw_key_update_meta(f->ks, P, "zz", &u, &k),
			 KW_E_NOT_FOUND);
	assert_null(k);
	assert_int_equal(kw_key_get(f->ks, P, "m", &k), KW_OK);
	assert_int_equal(k->usages, KW_USAGE_VERIFY);
	assert_int_equal(k->label_count, 0);
	assert_false(k->exportable);
	kw_key_info_free(k);
}

/* Sealing the barrier (without telling the keys module) makes every key
 * function answer KW_E_SEALED and empties the cache. */
static void test_sealed(void **state)
{
	kfx *f = *state;
	kw_key_info_free(kfx_create(f, "ed", KW_KEY_ED25519, 0));
	kw_key_info_free(kfx_create(f, "aes", KW_KEY_AES_256,
				    KW_USAGE_ENCRYPT | KW_USAGE_DECRYPT |
					    KW_USAGE_WRAP | KW_USAGE_UNWRAP));
	kw_key_info_free(kfx_create(f, "mac", KW_KEY_HMAC_SHA256, 0));
	assert_int_equal(sign(f, "ed", 0, NULL), KW_OK);
	kw_keys_cache *c = kw_keys_cache_of(f->ks);
	assert_int_equal(kw_keys_cache_count(c), 1);
	/* The explicit flush wipes, and keys load again. */
	kw_keys_cache_flush(f->ks);
	assert_int_equal(kw_keys_cache_count(c), 0);
	assert_int_equal(sign(f, "ed", 0, NULL), KW_OK);
	uint8_t *ct = NULL, *tag = NULL, *w = NULL;
	size_t ct_len, tag_len, w_len;
	uint32_t v;
	uint8_t blob[16] = {1};
	assert_int_equal(
		kw_key_encrypt(f->ks, P, "aes", NULL, msg, 4, &ct, &ct_len, &v),
		KW_OK);
	assert_int_equal(
		kw_key_mac(f->ks, P, "mac", msg, 4, &tag, &tag_len, &v), KW_OK);
	assert_int_equal(kw_key_wrap(f->ks, P, "aes", KW_WRAP_AES_KW, blob, 16,
				     &w, &w_len, &v),
			 KW_OK);
	assert_int_equal(kw_keys_cache_count(c), 3);

	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	uint8_t *out = NULL;
	size_t out_len = 0;
	kw_secret *sec = NULL;
	kw_key_info *k = NULL;
	assert_int_equal(sign(f, "ed", 0, NULL), KW_E_SEALED);
	assert_int_equal(kw_keys_cache_count(c), 0);
	assert_int_equal(
		kw_key_verify(f->ks, P, "ed", 1, &ed, msg, 4, blob, 16),
		KW_E_SEALED);
	assert_int_equal(kw_key_encrypt(f->ks, P, "aes", NULL, msg, 4, &out,
					&out_len, &v),
			 KW_E_SEALED);
	assert_int_equal(
		kw_key_decrypt(f->ks, P, "aes", 1, NULL, ct, ct_len, &sec),
		KW_E_SEALED);
	assert_int_equal(
		kw_key_mac(f->ks, P, "mac", msg, 4, &out, &out_len, &v),
		KW_E_SEALED);
	assert_int_equal(
		kw_key_mac_verify(f->ks, P, "mac", 1, msg, 4, tag, tag_len),
		KW_E_SEALED);
	assert_int_equal(kw_key_wrap(f->ks, P, "aes", KW_WRAP_AES_KW, blob, 16,
				     &out, &out_len, &v),
			 KW_E_SEALED);
	assert_int_equal(kw_key_unwrap(f->ks, P, "aes", 1, KW_WRAP_AES_KW, w,
				       w_len, &sec),
			 KW_E_SEALED);
	char *pem = NULL;
	assert_int_equal(kw_key_public_pem(f->ks, P, "ed", 0, &pem),
			 KW_E_SEALED);
	kw_key_spec spec = {
		.partition = P, .name = "new", .type = KW_KEY_AES_128};
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_E_SEALED);
	kw_secret *raw = NULL;
	assert_int_equal(kw_secret_from(blob, 16, &raw), KW_OK);
	assert_int_equal(kw_key_import(f->ks, &spec, raw, &k), KW_E_SEALED);
	assert_int_equal(kw_key_get(f->ks, P, "ed", &k), KW_E_SEALED);
	kw_key_info **list = NULL;
	size_t n = 0;
	char *next = NULL;
	assert_int_equal(
		kw_key_list(f->ks, P, NULL, NULL, 10, &list, &n, &next),
		KW_E_SEALED);
	assert_int_equal(kw_key_rotate(f->ks, P, "ed", &k), KW_E_SEALED);
	assert_int_equal(kw_key_set_state(f->ks, P, "ed", KW_KEY_DISABLED, &k),
			 KW_E_SEALED);
	assert_int_equal(kw_key_schedule_destroy(f->ks, P, "ed", 10, &k),
			 KW_E_SEALED);
	assert_int_equal(kw_key_destroy_due(f->ks, 0, &n), KW_E_SEALED);
	kw_key_update u = {.set_exportable_false = true};
	assert_int_equal(kw_key_update_meta(f->ks, P, "ed", &u, &k),
			 KW_E_SEALED);
	assert_null(out);
	assert_null(sec);
	assert_null(k);
	assert_null(list);
	assert_null(pem);
	assert_int_equal(kw_keys_cache_count(c), 0);

	/* Unsealed again, everything works as before. */
	kfx_unseal(f);
	assert_int_equal(sign(f, "ed", 0, NULL), KW_OK);
	assert_int_equal(
		kw_key_decrypt(f->ks, P, "aes", 1, NULL, ct, ct_len, &sec),
		KW_OK);
	assert_int_equal(kw_key_import(f->ks, &spec, raw, &k), KW_OK);
	kw_key_info_free(k);
	kw_secret_free(raw);
	kw_secret_free(sec);
	free(ct);
	free(tag);
	free(w);
}

#define T(fn, backend)                                                        \
	cmocka_unit_test_prestate_setup_teardown(fn, kfx_setup, kfx_teardown, \
						 backend)
#define TESTS(b)                                                   \
	{                                                          \
		T(test_rotate, b), T(test_transitions, b),         \
			T(test_state_ops, b), T(test_destroy, b),  \
			T(test_update_meta, b), T(test_sealed, b), \
	}

int main(void)
{
	const struct CMUnitTest mem[] = TESTS((void *)"mem");
	const struct CMUnitTest sqlite[] = TESTS((void *)"sqlite");
	int failed = cmocka_run_group_tests_name("life-mem", mem, NULL, NULL);
	failed +=
		cmocka_run_group_tests_name("life-sqlite", sqlite, NULL, NULL);
	return failed;
}
