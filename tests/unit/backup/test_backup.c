/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "fixture.h"

/* Backups made, checked and restored: round trips under both keyings,
 * wrong keys, and what a restored instance can do. */

static const uint8_t msg[] = "the message signed before the backup";

typedef struct before {
	uint8_t *sig;
	size_t sig_len;
	uint8_t *ct;
	size_t ct_len;
	uint64_t records, audit;
} before;

/* Fills f with keys (one rotated), audit entries; remembers a signature
 * and a ciphertext. */
static void populate(bfx *f, before *b)
{
	uint32_t v = 0;
	kw_key_info *k;
	k = bfx_key(f, "sig", KW_KEY_ED25519, 0, false);
	kw_key_info_free(k);
	k = bfx_key(f, "ecc", KW_KEY_EC_P256, 0, true);
	kw_key_info_free(k);
	k = bfx_key(f, "dek", KW_KEY_AES_256, 0, false);
	kw_key_info_free(k);
	assert_int_equal(kw_key_rotate(f->ks, BFX_PART, "dek", NULL), KW_OK);
	kw_sign_params sp = {.scheme = KW_SIG_EDDSA};
	assert_int_equal(kw_key_sign(f->ks, BFX_PART, "sig", 0, &sp, msg,
				     sizeof(msg), &b->sig, &b->sig_len, &v),
			 KW_OK);
	assert_int_equal(kw_key_encrypt(f->ks, BFX_PART, "dek", NULL, msg,
					sizeof(msg), &b->ct, &b->ct_len, &v),
			 KW_OK);
	assert_int_equal(v, 2);
	bfx_audit(f, 300);
	b->records = bfx_records(f);
	b->audit = bfx_audit_last(f);
}

static void before_clear(before *b)
{
	free(b->sig);
	free(b->ct);
}

/* The restored instance r behaves as the original did. */
static void check_restored(bfx *r, const before *b, bfx *orig)
{
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	uint32_t v = 0;
	kw_secret *pt = NULL;
	kw_sign_params sp = {.scheme = KW_SIG_EDDSA};

	assert_int_equal(kw_barrier_verify(r->b), KW_OK);
	assert_int_equal(kw_key_sign(r->ks, BFX_PART, "sig", 0, &sp, msg,
				     sizeof(msg), &sig, &sig_len, &v),
			 KW_OK);
	assert_int_equal(sig_len, b->sig_len);
	assert_memory_equal(sig, b->sig, sig_len);
	free(sig);
	assert_int_equal(kw_key_decrypt(r->ks, BFX_PART, "dek", 2, NULL, b->ct,
					b->ct_len, &pt),
			 KW_OK);
	assert_memory_equal(pt->data, msg, sizeof(msg));
	kw_secret_free(pt);
	assert_int_equal(bfx_records(r), b->records);
	assert_int_equal(bfx_audit_last(r), b->audit);
	for (uint64_t s = 1; s <= b->audit; s += 37) {
		char *x = bfx_audit_entry(r, s), *y = bfx_audit_entry(orig, s);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
}

static void test_master_round_trip(void **state)
{
	const char *backend = *state;
	bfx *f = bfx_new(backend, false);
	before b = {0};
	bfx_buf buf;
	kw_backup_info info, vinfo;
	kw_backup_key *k = NULL;
	kw_secret *master = NULL;
	char why[KW_BACKUP_WHY_MAX] = "";

	populate(f, &b);
	bfx_backup(f, KW_BACKUP_KEYING_MASTER, KW_BACKUP_CHUNK_MIN, &buf, NULL);

	assert_int_equal(
		kw_backup_inspect(buf.p, buf.len, &info, why, sizeof(why)),
		KW_OK);
	assert_false(info.authenticated);
	assert_int_equal(info.keying, KW_BACKUP_KEYING_MASTER);
	assert_int_equal(info.records, b.records);
	assert_int_equal(info.audit_entries, b.audit);
	assert_int_equal(info.by_type[KW_REC_KEY], 3);
	assert_int_equal(info.shares, 3);
	assert_int_equal(info.threshold, 2);
	assert_true(info.chunks > 3);
	assert_int_equal(info.size, buf.len);
	kw_barrier_status st;
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	assert_string_equal(info.instance_id, st.instance_id);

	assert_int_equal(kw_backup_key_from_barrier(buf.p, buf.len, f->b, &k,
						    why, sizeof(why)),
			 KW_OK);
	assert_int_equal(
		kw_backup_verify(buf.p, buf.len, k, &vinfo, why, sizeof(why)),
		KW_OK);
	assert_true(vinfo.authenticated);
	assert_int_equal(vinfo.records, b.records);

	bfx *r = bfx_new_empty(backend, false);
	assert_int_equal(kw_backup_restore(buf.p, buf.len, k, r->store, NULL,
					   NULL, &master, why, sizeof(why)),
			 KW_OK);
	bfx_open_with_master(r, master);
	check_restored(r, &b, f);
	kw_barrier_status rst;
	assert_int_equal(kw_barrier_status_get(r->b, &rst), KW_OK);
	assert_string_equal(rst.instance_id, st.instance_id);
	/* The instance's own shares keep working on the restored copy. */
	assert_int_equal(kw_barrier_seal(r->b), KW_OK);
	assert_int_equal(kw_barrier_unseal(r->b,
					   (const char *)f->shares[1]->data,
					   f->shares[1]->len, NULL),
			 KW_OK);
	assert_int_equal(kw_barrier_unseal(r->b,
					   (const char *)f->shares[2]->data,
					   f->shares[2]->len, &rst),
			 KW_OK);
	assert_false(rst.sealed);

	kw_secret_free(master);
	kw_backup_key_free(k);
	free(buf.p);
	before_clear(&b);
	bfx_free(r);
	bfx_free(f);
}

static void test_master_from_shares(void **state)
{
	(void)state;
	bfx *f = bfx_new("mem", false);
	bfx *other = bfx_new("mem", false);
	bfx_buf buf;
	kw_backup_key *k = NULL;
	char why[KW_BACKUP_WHY_MAX] = "";

	bfx_audit(f, 3);
	bfx_backup(f, KW_BACKUP_KEYING_MASTER, 0, &buf, NULL);
	assert_int_equal(kw_backup_key_from_shares(
				 buf.p, buf.len,
				 BFX_SHARES(f->shares[2], f->shares[0]), 2, &k,
				 why, sizeof(why)),
			 KW_OK);
	assert_int_equal(
		kw_backup_verify(buf.p, buf.len, k, NULL, why, sizeof(why)),
		KW_OK);
	kw_backup_key_free(k);
	k = NULL;

	/* Too few, twice the same, another instance's, a corrupt share. */
	assert_int_equal(kw_backup_key_from_shares(buf.p, buf.len,
						   BFX_SHARES(f->shares[0]), 1,
						   &k, why, sizeof(why)),
			 KW_E_INVALID);
	assert_non_null(strstr(why, "1 shares given, 2 needed"));
	assert_int_equal(kw_backup_key_from_shares(
				 buf.p, buf.len,
				 BFX_SHARES(f->shares[0], f->shares[0]), 2, &k,
				 why, sizeof(why)),
			 KW_E_EXISTS);
	assert_int_equal(kw_backup_key_from_shares(
				 buf.p, buf.len,
				 BFX_SHARES(other->shares[0], other->shares[1]),
				 2, &k, why, sizeof(why)),
			 KW_E_VERIFY);
	assert_non_null(strstr(why, "does not open this backup"));
	kw_secret *bad = NULL;
	assert_int_equal(
		kw_secret_from(f->shares[1]->data, f->shares[1]->len, &bad),
		KW_OK);
	bad->data[20] = bad->data[20] == 'A' ? 'B' : 'A';
	assert_int_equal(kw_backup_key_from_shares(
				 buf.p, buf.len, BFX_SHARES(f->shares[0], bad),
				 2, &k, why, sizeof(why)),
			 KW_E_INTEGRITY);
	assert_non_null(strstr(why, "share 2 is corrupt"));
	assert_null(k);

	kw_secret_free(bad);
	free(buf.p);
	bfx_free(other);
	bfx_free(f);
}

static void test_custodians(void **state)
{
	(void)state;
	bfx *f = bfx_new("mem", false);
	before b = {0};
	bfx_buf buf;
	kw_secret **cs = NULL, **fresh = NULL, *master = NULL;
	kw_backup_key *k = NULL;
	kw_backup_info info;
	char why[KW_BACKUP_WHY_MAX] = "";

	populate(f, &b);
	bfx_backup(f, KW_BACKUP_KEYING_CUSTODIANS, 0, &buf, &cs);
	assert_non_null(cs);
	assert_int_equal(
		kw_backup_inspect(buf.p, buf.len, &info, why, sizeof(why)),
		KW_OK);
	assert_int_equal(info.keying, KW_BACKUP_KEYING_CUSTODIANS);
	assert_int_equal(info.shares, 5);
	assert_int_equal(info.threshold, 3);
	assert_int_equal(strlen(info.split_id), 16);

	/* Not with the instance's key or shares, not with two custodians. */
	assert_int_equal(kw_backup_key_from_barrier(buf.p, buf.len, f->b, &k,
						    why, sizeof(why)),
			 KW_E_STATE);
	assert_int_equal(kw_backup_key_from_shares(
				 buf.p, buf.len,
				 BFX_SHARES(f->shares[0], f->shares[1]), 2, &k,
				 why, sizeof(why)),
			 KW_E_VERIFY);
	assert_int_equal(kw_backup_key_from_shares(buf.p, buf.len,
						   BFX_SHARES(cs[0], cs[3]), 2,
						   &k, why, sizeof(why)),
			 KW_E_INVALID);

	/* Three custodians restore it into a brand-new instance. */
	assert_int_equal(
		kw_backup_key_from_shares(buf.p, buf.len,
					  BFX_SHARES(cs[4], cs[0], cs[2]), 3,
					  &k, why, sizeof(why)),
		KW_OK);
	bfx *r = bfx_new_empty("mem", false);
	assert_int_equal(kw_backup_restore(buf.p, buf.len, k, r->store, NULL,
					   &info, &master, why, sizeof(why)),
			 KW_OK);
	assert_true(info.authenticated);
	bfx_open_with_master(r, master);
	check_restored(r, &b, f);

	/* The new instance's custodians get shares of their own. */
	assert_int_equal(kw_barrier_rekey(r->b, 2, 2, &fresh), KW_OK);
	assert_int_equal(kw_barrier_seal(r->b), KW_OK);
	assert_int_equal(kw_barrier_unseal(r->b,
					   (const char *)f->shares[0]->data,
					   f->shares[0]->len, NULL),
			 KW_E_DENIED);
	for (int i = 0; i < 2; i++)
		assert_int_equal(kw_barrier_unseal(r->b,
						   (const char *)fresh[i]->data,
						   fresh[i]->len, NULL),
				 KW_OK);
	assert_int_equal(kw_barrier_verify(r->b), KW_OK);

	kw_barrier_shares_free(fresh, 2);
	kw_barrier_shares_free(cs, 5);
	kw_secret_free(master);
	kw_backup_key_free(k);
	free(buf.p);
	before_clear(&b);
	bfx_free(r);
	bfx_free(f);
}

static void test_target_not_empty(void **state)
{
	(void)state;
	bfx *f = bfx_new("mem", false);
	bfx_buf buf;
	kw_backup_key *k = NULL;
	kw_secret *master = NULL;
	char why[KW_BACKUP_WHY_MAX] = "";

	k = bfx_master_backup(f, 0, &buf);
	uint64_t n = bfx_records(f);
	assert_int_equal(kw_backup_restore(buf.p, buf.len, k, f->store, NULL,
					   NULL, &master, why, sizeof(why)),
			 KW_E_EXISTS);
	assert_string_equal(why, "the target store is not empty");
	assert_null(master);
	assert_int_equal(bfx_records(f), n);
	kw_backup_key_free(k);
	free(buf.p);
	bfx_free(f);
}

/* Rolling a running instance back: records from the backup, the trail
 * and the current split kept. */
static void test_running_restore(void **state)
{
	(void)state;
	bfx *f = bfx_new("mem", false);
	bfx_buf buf;
	kw_backup_key *k = NULL;
	kw_secret *master = NULL, **fresh = NULL;
	kw_key_info *info = NULL;
	char why[KW_BACKUP_WHY_MAX] = "";
	kw_backup_restore_params p = {.live = f->store};
	kw_barrier_status st;

	kw_key_info_free(bfx_key(f, "keep", KW_KEY_ED25519, 0, false));
	bfx_audit(f, 10);
	k = bfx_master_backup(f, 0, &buf);
	kw_key_info_free(bfx_key(f, "later", KW_KEY_ED25519, 0, false));
	bfx_audit(f, 5);
	assert_int_equal(kw_barrier_rekey(f->b, 2, 1, &fresh), KW_OK);
	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);

	/* Another instance's id: refused. */
	bfx *t = bfx_new_empty("mem", false);
	p.live_instance_id = "00000000000000000000000000000000";
	assert_int_equal(kw_backup_restore(buf.p, buf.len, k, t->store, &p,
					   NULL, &master, why, sizeof(why)),
			 KW_E_DENIED);
	assert_int_equal(bfx_records(t), 0);

	p.live_instance_id = st.instance_id;
	assert_int_equal(kw_backup_restore(buf.p, buf.len, k, t->store, &p,
					   NULL, &master, why, sizeof(why)),
			 KW_OK);
	assert_int_equal(bfx_audit_last(t), 15);
	bfx_open_with_master(t, master);
	assert_int_equal(kw_key_get(t->ks, BFX_PART, "keep", &info), KW_OK);
	kw_key_info_free(info);
	assert_int_equal(kw_key_get(t->ks, BFX_PART, "later", &info),
			 KW_E_NOT_FOUND);
	/* The split made after the backup unseals the rolled-back copy. */
	assert_int_equal(kw_barrier_seal(t->b), KW_OK);
	assert_int_equal(kw_barrier_unseal(t->b, (const char *)fresh[1]->data,
					   fresh[1]->len, &st),
			 KW_OK);
	assert_false(st.sealed);
	bfx_free(t);
	kw_secret_free(master);
	master = NULL;

	/* An instance record added since: refused, target untouched. */
	kw_store_txn *tx = NULL;
	assert_int_equal(kw_store_txn_begin(f->store, true, &tx), KW_OK);
	assert_int_equal(kw_barrier_rec_put(f->b, tx, KW_REC_META, "x", NULL,
					    NULL, (const uint8_t *)"1", 1, 0,
					    NULL),
			 KW_OK);
	assert_int_equal(kw_store_txn_commit(tx), KW_OK);
	t = bfx_new_empty("mem", false);
	assert_int_equal(kw_backup_restore(buf.p, buf.len, k, t->store, &p,
					   NULL, &master, why, sizeof(why)),
			 KW_E_CONFLICT);
	assert_non_null(strstr(why, "instance records changed"));
	assert_int_equal(bfx_records(t), 0);
	assert_int_equal(bfx_audit_last(t), 0);
	bfx_free(t);

	kw_barrier_shares_free(fresh, 2);
	kw_backup_key_free(k);
	free(buf.p);
	bfx_free(f);
}

/* A live trail that does not continue the backup's is refused. */
static void test_running_restore_trail(void **state)
{
	(void)state;
	bfx *f = bfx_new("mem", false);
	bfx_buf buf;
	kw_backup_key *k = NULL;
	kw_secret *master = NULL;
	char why[KW_BACKUP_WHY_MAX] = "";
	kw_barrier_status st;

	bfx_audit(f, 4);
	k = bfx_master_backup(f, 0, &buf);
	/* live: a copy of the instance whose trail went another way. */
	bfx *live = bfx_new_empty("mem", false);
	assert_int_equal(kw_backup_restore(buf.p, buf.len, k, live->store, NULL,
					   NULL, &master, why, sizeof(why)),
			 KW_OK);
	kw_secret_free(master);
	master = NULL;
	bfx_audit(f, 3);
	bfx_buf later;
	kw_backup_key *k2 = bfx_master_backup(f, 0, &later);
	kw_store_txn *tx = NULL;
	assert_int_equal(kw_store_txn_begin(live->store, true, &tx), KW_OK);
	assert_int_equal(kw_store_audit_append(tx, 5, (const uint8_t *)"{}", 2),
			 KW_OK);
	assert_int_equal(kw_store_txn_commit(tx), KW_OK);

	assert_int_equal(kw_barrier_status_get(f->b, &st), KW_OK);
	kw_backup_restore_params p = {.live = live->store,
				      .live_instance_id = st.instance_id};
	bfx *t = bfx_new_empty("mem", false);
	assert_int_equal(kw_backup_restore(later.p, later.len, k2, t->store, &p,
					   NULL, &master, why, sizeof(why)),
			 KW_E_CONFLICT);
	assert_non_null(strstr(why, "differs from this instance's at entry 5"));
	assert_int_equal(bfx_records(t), 0);
	/* The older backup is the beginning of live's trail: accepted. */
	assert_int_equal(kw_backup_restore(buf.p, buf.len, k, t->store, &p,
					   NULL, &master, why, sizeof(why)),
			 KW_OK);
	assert_int_equal(bfx_audit_last(t), 5);

	kw_secret_free(master);
	kw_backup_key_free(k);
	kw_backup_key_free(k2);
	free(buf.p);
	free(later.p);
	bfx_free(t);
	bfx_free(live);
	bfx_free(f);
}

static void test_names(void **state)
{
	(void)state;
	kw_backup_keying k;
	kw_transfer_wrap w;
	assert_string_equal(kw_backup_keying_name(KW_BACKUP_KEYING_MASTER),
			    "master");
	assert_int_equal(kw_backup_keying_parse("custodians", &k), KW_OK);
	assert_int_equal(k, KW_BACKUP_KEYING_CUSTODIANS);
	assert_int_equal(kw_backup_keying_parse("Master", &k), KW_E_INVALID);
	assert_null(kw_backup_keying_name((kw_backup_keying)7));
	assert_string_equal(kw_backup_type_name(KW_REC_KEY), "keys");
	assert_null(kw_backup_type_name(200));
	assert_int_equal(kw_transfer_wrap_parse("rsa-aes-kwp", &w), KW_OK);
	assert_int_equal(w, KW_TRANSFER_RSA_AES_KWP);
	assert_string_equal(kw_transfer_wrap_name(KW_TRANSFER_AES_KWP),
			    "aes-kwp");
	assert_int_equal(kw_transfer_wrap_parse("aes-kw", &w), KW_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_master_round_trip, "mem"),
		cmocka_unit_test_prestate(test_master_round_trip, "sqlite"),
		cmocka_unit_test(test_master_from_shares),
		cmocka_unit_test(test_custodians),
		cmocka_unit_test(test_target_not_empty),
		cmocka_unit_test(test_running_restore),
		cmocka_unit_test(test_running_restore_trail),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
