/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "barrier"

#include <stdlib.h>
#include <string.h>

#include "barrier/internal.h"
#include "keywarden/log.h"
#include "util/codec.h"

#define INFO_DERIVE "keywarden/v1/derive/"

/* Reads the metadata record in its own read transaction. KW_E_NOT_FOUND if
 * the instance is not initialised. */
static kw_rc meta_load(kw_store *s, kw_barrier_meta *out)
{
	kw_store_txn *t = NULL;
	kw_store_rec rec;
	memset(&rec, 0, sizeof(rec));
	kw_rc rc = kw_store_txn_begin(s, false, &t);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_rec_get(t, KW_REC_META, KW_BARRIER_META_ID, &rec);
	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_meta_decode(rec.data, rec.data_len, out);
	if (rc != KW_OK)
		KW_LOG_ERROR("the barrier metadata record is malformed");
out:
	kw_store_rec_clear(&rec);
	kw_store_txn_abort(t);
	return rc;
}

/* Refreshes b->initialized/meta from the store if not yet initialised
 * (another process may have initialised the store). unseal_mu held. */
static kw_rc meta_refresh(kw_barrier *b)
{
	kw_rc rc = KW_OK;
	kw_barrier_meta m;

	if (b->initialized)
		goto out;
	rc = meta_load(b->store, &m);
	if (rc == KW_E_NOT_FOUND) {
		rc = KW_OK; /* not initialised yet */
	} else if (rc == KW_OK) {
		b->meta = m;
		b->initialized = true;
	}
out:
	return rc;
}

kw_rc kw_barrier_open(kw_store *store, kw_barrier **out)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_barrier *b = NULL;
	pthread_rwlockattr_t attr;
	bool attr_ok = false;

	if (store == NULL || out == NULL) {
		rc = KW_E_INVALID;
		goto out;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	b->store = store;
	/* Writers first, so a seal is not starved by a stream of reads. No
	 * barrier function takes the shared lock twice in one thread. */
	if (pthread_rwlockattr_init(&attr) != 0) {
		rc = KW_E_NOMEM;
		goto out;
	}
	attr_ok = true;
	pthread_rwlockattr_setkind_np(
		&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	if (pthread_rwlock_init(&b->lock, &attr) != 0) {
		rc = KW_E_NOMEM;
		goto out;
	}
	if (pthread_mutex_init(&b->unseal_mu, NULL) != 0) {
		pthread_rwlock_destroy(&b->lock);
		rc = KW_E_NOMEM;
		goto out;
	}
	rc = meta_refresh(b);
	if (rc != KW_OK) {
		pthread_mutex_destroy(&b->unseal_mu);
		pthread_rwlock_destroy(&b->lock);
		goto out;
	}
	*out = b;
	b = NULL;
out:
	if (attr_ok)
		pthread_rwlockattr_destroy(&attr);
	free(b);
	return rc;
}

/* Forgets the shares given so far. unseal_mu held. */
static void progress_reset(kw_barrier *b)
{
	kw_secret_free(b->given);
	b->given = NULL;
	b->progress = 0;
}

void kw_barrier_free(kw_barrier *b)
{
	if (b == NULL)
		return;
	kw_barrier_keys_free(b->keys);
	progress_reset(b);
	pthread_mutex_destroy(&b->unseal_mu);
	pthread_rwlock_destroy(&b->lock);
	free(b);
}

kw_rc kw_barrier_enter(kw_barrier *b, const kw_barrier_keys **out)
{
	kw_rc rc = KW_OK;
	pthread_rwlock_rdlock(&b->lock);
	if (b->keys == NULL) {
		pthread_rwlock_unlock(&b->lock);
		rc = KW_E_SEALED;
	} else {
		*out = b->keys;
	}
	return rc;
}

void kw_barrier_leave(kw_barrier *b)
{
	pthread_rwlock_unlock(&b->lock);
}

/* Status under unseal_mu (held by the caller). */
static void status_fill(kw_barrier *b, kw_barrier_status *out)
{
	memset(out, 0, sizeof(*out));
	out->initialized = b->initialized;
	pthread_rwlock_rdlock(&b->lock);
	out->sealed = b->keys == NULL;
	pthread_rwlock_unlock(&b->lock);
	if (b->initialized) {
		out->shares = b->meta.shares;
		out->threshold = b->meta.threshold;
		out->progress = b->progress;
		kw_hex_encode(b->meta.instance_id, KW_INSTANCE_ID_LEN,
			      out->instance_id);
	}
}

kw_rc kw_barrier_status_get(kw_barrier *b, kw_barrier_status *out)
{
	kw_rc rc = KW_E_INVALID;
	if (b == NULL || out == NULL)
		goto out;
	pthread_mutex_lock(&b->unseal_mu);
	rc = meta_refresh(b);
	if (rc == KW_OK)
		status_fill(b, out);
	pthread_mutex_unlock(&b->unseal_mu);
out:
	return rc;
}

/* Verifies master against the metadata and the manifests, then installs
 * its keys. unseal_mu held. KW_OK, KW_E_VERIFY, KW_E_INTEGRITY, ... */
static kw_rc install_master(kw_barrier *b, const kw_secret *master)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_barrier_keys *keys = NULL;
	kw_store_txn *t = NULL;

	rc = kw_barrier_meta_kcv_check(master, &b->meta);
	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_keys_derive(master, &keys);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_txn_begin(b->store, false, &t);
	if (rc != KW_OK)
		goto out;
	rc = kw_manifest_verify(keys, t);
	if (rc != KW_OK) {
		KW_LOG_ERROR("unseal refused: the manifests do not verify (%s)",
			     kw_rc_str(rc));
		goto out;
	}
	pthread_rwlock_wrlock(&b->lock);
	if (b->keys == NULL) {
		b->keys = keys;
		keys = NULL;
	}
	pthread_rwlock_unlock(&b->lock);
	KW_LOG_INFO("unsealed");
	rc = KW_OK;
out:
	kw_store_txn_abort(t);
	kw_barrier_keys_free(keys);
	return rc;
}

/* KW_OK if b is initialised and sealed (unseal_mu held). */
static kw_rc expect_sealed(kw_barrier *b)
{
	kw_rc rc = meta_refresh(b);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOT_INITIALIZED;
	if (!b->initialized)
		goto out;
	pthread_rwlock_rdlock(&b->lock);
	rc = b->keys == NULL ? KW_OK : KW_E_STATE;
	pthread_rwlock_unlock(&b->lock);
out:
	return rc;
}

kw_rc kw_barrier_unseal(kw_barrier *b, const char *share, size_t share_len,
			kw_barrier_status *out_status)
{
	kw_rc rc = KW_E_INVALID;
	kw_share s;
	kw_secret *master = NULL;
	bool locked = false;

	memset(&s, 0, sizeof(s));
	if (b == NULL || share == NULL || share_len == 0)
		goto out;
	pthread_mutex_lock(&b->unseal_mu);
	locked = true;
	rc = expect_sealed(b);
	if (rc != KW_OK)
		goto out;
	rc = kw_share_decode(share, share_len, &s);
	if (rc != KW_OK)
		goto out;
	if (!kw_ct_equal(s.split_id, b->meta.split_id, KW_SHARE_SPLIT_ID_LEN)) {
		rc = KW_E_DENIED;
		goto out;
	}
	if (s.threshold != b->meta.threshold) {
		/* Same split, intact share, other threshold: the metadata was
		 * edited. */
		KW_LOG_ERROR("a share's threshold disagrees with the barrier "
			     "metadata");
		rc = KW_E_INTEGRITY;
		goto out;
	}
	if (b->given == NULL) {
		rc = kw_secret_new(b->meta.threshold * sizeof(kw_shamir_share),
				   &b->given);
		if (rc != KW_OK)
			goto out;
	}
	kw_shamir_share *pts = (kw_shamir_share *)b->given->data;
	for (unsigned i = 0; i < b->progress; i++) {
		if (pts[i].x == s.point.x) {
			rc = KW_E_EXISTS;
			goto out;
		}
	}
	pts[b->progress++] = s.point;
	rc = KW_OK;
	if (b->progress < b->meta.threshold)
		goto out;

	rc = kw_secret_new(KW_MASTER_KEY_LEN, &master);
	if (rc == KW_OK)
		rc = kw_shamir_combine(pts, b->progress, master->data);
	if (rc == KW_OK)
		rc = install_master(b, master);
	if (rc != KW_OK)
		KW_LOG_WARN("unseal with %u shares failed (%s); progress reset",
			    b->progress, kw_rc_str(rc));
	/* Unsealed or not, this attempt is over. */
	progress_reset(b);
out:
	if (out_status != NULL && rc == KW_OK)
		status_fill(b, out_status);
	if (locked)
		pthread_mutex_unlock(&b->unseal_mu);
	kw_wipe(&s, sizeof(s));
	kw_secret_free(master);
	return rc;
}

kw_rc kw_barrier_unseal_with_key(kw_barrier *b, const kw_secret *master)
{
	kw_rc rc = KW_E_INVALID;
	if (b == NULL || master == NULL || master->len != KW_MASTER_KEY_LEN)
		goto out;
	pthread_mutex_lock(&b->unseal_mu);
	rc = expect_sealed(b);
	if (rc == KW_OK)
		rc = install_master(b, master);
	pthread_mutex_unlock(&b->unseal_mu);
out:
	return rc;
}

kw_rc kw_barrier_unseal_reset(kw_barrier *b)
{
	kw_rc rc = KW_E_INVALID;
	if (b == NULL)
		goto out;
	pthread_mutex_lock(&b->unseal_mu);
	progress_reset(b);
	pthread_mutex_unlock(&b->unseal_mu);
	rc = KW_OK;
out:
	return rc;
}

kw_rc kw_barrier_seal(kw_barrier *b)
{
	kw_rc rc = KW_E_INVALID;
	if (b == NULL)
		goto out;
	pthread_mutex_lock(&b->unseal_mu);
	progress_reset(b);
	/* Exclusive: waits for every record operation in flight. */
	pthread_rwlock_wrlock(&b->lock);
	kw_barrier_keys *keys = b->keys;
	b->keys = NULL;
	pthread_rwlock_unlock(&b->lock);
	pthread_mutex_unlock(&b->unseal_mu);
	if (keys != NULL)
		KW_LOG_INFO("sealed");
	kw_barrier_keys_free(keys);
	rc = KW_OK;
out:
	return rc;
}

void kw_barrier_shares_free(kw_secret **shares, unsigned n)
{
	if (shares == NULL)
		return;
	for (unsigned i = 0; i < n; i++)
		kw_secret_free(shares[i]);
	free(shares);
}

/* Writes the metadata and the empty root in one transaction. */
static kw_rc init_write(kw_store *s, const kw_barrier_meta *m,
			const kw_barrier_keys *keys)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_store_txn *t = NULL;
	kw_secret *enc = NULL;
	kw_store_rec rec;

	memset(&rec, 0, sizeof(rec));
	rc = kw_barrier_meta_encode(m, &enc);
	if (rc != KW_OK)
		goto out;
	rec.type = KW_REC_META;
	strcpy(rec.id, KW_BARRIER_META_ID);
	rec.version = 1;
	rec.data = enc->data;
	rec.data_len = enc->len;
	rc = kw_store_txn_begin(s, true, &t);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_rec_put(t, &rec, 0);
	if (rc != KW_OK)
		goto out;
	rc = kw_manifest_root_create(keys, t);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_txn_commit(t);
	t = NULL;
out:
	kw_store_txn_abort(t);
	kw_secret_free(enc);
	return rc;
}

/* Splits master into m->shares share texts. */
static kw_rc init_shares(const kw_secret *master, const kw_barrier_meta *m,
			 kw_secret ***out)
{
	return kw_share_split_texts(master->data, m->shares, m->threshold,
				    m->split_id, out);
}

kw_rc kw_barrier_init(kw_barrier *b, unsigned shares, unsigned threshold,
		      kw_secret ***out_shares)
{
	kw_rc rc = KW_E_INVALID;
	kw_secret *master = NULL;
	kw_secret **texts = NULL;
	kw_barrier_keys *keys = NULL;
	kw_barrier_meta m;
	bool locked = false;

	memset(&m, 0, sizeof(m));
	if (b == NULL || out_shares == NULL || threshold < 1 ||
	    threshold > shares || shares > KW_SHARES_MAX)
		goto out;
	pthread_mutex_lock(&b->unseal_mu);
	locked = true;
	rc = meta_refresh(b);
	if (rc != KW_OK)
		goto out;
	if (b->initialized) {
		rc = KW_E_EXISTS;
		goto out;
	}
	m.shares = shares;
	m.threshold = threshold;
	rc = kw_random(m.split_id, sizeof(m.split_id));
	if (rc == KW_OK)
		rc = kw_random(m.instance_id, sizeof(m.instance_id));
	if (rc == KW_OK)
		rc = kw_secret_new(KW_MASTER_KEY_LEN, &master);
	if (rc == KW_OK)
		rc = kw_random(master->data, master->len);
	if (rc == KW_OK)
		rc = kw_barrier_meta_kcv_make(master, &m);
	if (rc == KW_OK)
		rc = kw_barrier_keys_derive(master, &keys);
	if (rc == KW_OK)
		rc = init_shares(master, &m, &texts);
	if (rc != KW_OK)
		goto out;
	/* Another process may have initialised the store meanwhile: the
	 * insert of the metadata then fails with KW_E_EXISTS. */
	rc = init_write(b->store, &m, keys);
	if (rc != KW_OK)
		goto out;
	b->meta = m;
	b->initialized = true;
	progress_reset(b);
	pthread_rwlock_wrlock(&b->lock);
	kw_barrier_keys_free(b->keys);
	b->keys = keys;
	keys = NULL;
	pthread_rwlock_unlock(&b->lock);
	KW_LOG_INFO("initialised with %u shares, threshold %u", shares,
		    threshold);
	*out_shares = texts;
	texts = NULL;
out:
	if (locked)
		pthread_mutex_unlock(&b->unseal_mu);
	kw_barrier_keys_free(keys);
	kw_secret_free(master);
	kw_barrier_shares_free(texts, shares);
	return rc;
}

kw_rc kw_barrier_verify(kw_barrier *b)
{
	kw_rc rc = KW_E_INVALID;
	const kw_barrier_keys *keys = NULL;
	kw_store_txn *t = NULL;
	bool entered = false;

	if (b == NULL)
		goto out;
	rc = kw_barrier_enter(b, &keys);
	if (rc != KW_OK)
		goto out;
	entered = true;
	rc = kw_store_txn_begin(b->store, false, &t);
	if (rc != KW_OK)
		goto out;
	rc = kw_manifest_verify(keys, t);
out:
	kw_store_txn_abort(t);
	if (entered)
		kw_barrier_leave(b);
	return rc;
}

kw_rc kw_barrier_derive_key(kw_barrier *b, const char *purpose, size_t len,
			    kw_secret **out)
{
	kw_rc rc = KW_E_INVALID;
	const kw_barrier_keys *keys = NULL;
	char info[sizeof(INFO_DERIVE) + KW_BARRIER_PURPOSE_MAX];
	size_t n = 0;

	if (b == NULL || purpose == NULL || out == NULL || len == 0 ||
	    len > 255 * 32)
		goto out;
	n = strnlen(purpose, KW_BARRIER_PURPOSE_MAX + 1);
	if (n == 0 || n > KW_BARRIER_PURPOSE_MAX)
		goto out;
	memcpy(info, INFO_DERIVE, sizeof(INFO_DERIVE) - 1);
	memcpy(info + sizeof(INFO_DERIVE) - 1, purpose, n);
	rc = kw_barrier_enter(b, &keys);
	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_hkdf(keys->master, info, sizeof(INFO_DERIVE) - 1 + n,
			     len, out);
	kw_barrier_leave(b);
out:
	return rc;
}

kw_rc kw_barrier_master_export(kw_barrier *b, kw_secret **out)
{
	kw_rc rc = KW_E_INVALID;
	const kw_barrier_keys *keys = NULL;

	if (b == NULL || out == NULL)
		goto out;
	rc = kw_barrier_enter(b, &keys);
	if (rc != KW_OK)
		goto out;
	rc = kw_secret_from(keys->master->data, keys->master->len, out);
	kw_barrier_leave(b);
out:
	return rc;
}

/* Replaces the metadata record with m (compare-and-swap on its version). */
static kw_rc meta_replace(kw_store *s, const kw_barrier_meta *m)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_store_txn *t = NULL;
	kw_secret *enc = NULL;
	kw_store_rec cur, rec;

	memset(&cur, 0, sizeof(cur));
	memset(&rec, 0, sizeof(rec));
	rc = kw_barrier_meta_encode(m, &enc);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_txn_begin(s, true, &t);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_rec_get(t, KW_REC_META, KW_BARRIER_META_ID, &cur);
	if (rc != KW_OK)
		goto out;
	rec.type = KW_REC_META;
	strcpy(rec.id, KW_BARRIER_META_ID);
	rec.version = cur.version + 1;
	rec.data = enc->data;
	rec.data_len = enc->len;
	rc = kw_store_rec_put(t, &rec, cur.version);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_txn_commit(t);
	t = NULL;
out:
	kw_store_txn_abort(t);
	kw_store_rec_clear(&cur);
	kw_secret_free(enc);
	return rc;
}

kw_rc kw_barrier_rekey(kw_barrier *b, unsigned shares, unsigned threshold,
		       kw_secret ***out_shares)
{
	kw_rc rc = KW_E_INVALID;
	const kw_barrier_keys *keys = NULL;
	kw_secret **texts = NULL;
	kw_barrier_meta m;
	bool locked = false, entered = false;

	if (b == NULL || out_shares == NULL || threshold < 1 ||
	    threshold > shares || shares > KW_SHARES_MAX)
		goto out;
	pthread_mutex_lock(&b->unseal_mu);
	locked = true;
	rc = kw_barrier_enter(b, &keys);
	if (rc != KW_OK)
		goto out;
	entered = true;
	m = b->meta;
	m.shares = shares;
	m.threshold = threshold;
	rc = kw_random(m.split_id, sizeof(m.split_id));
	if (rc == KW_OK)
		rc = kw_barrier_meta_kcv_make(keys->master, &m);
	if (rc == KW_OK)
		rc = init_shares(keys->master, &m, &texts);
	if (rc == KW_OK)
		rc = meta_replace(b->store, &m);
	if (rc != KW_OK)
		goto out;
	b->meta = m;
	progress_reset(b);
	KW_LOG_INFO("master key split anew: %u shares, threshold %u", shares,
		    threshold);
	*out_shares = texts;
	texts = NULL;
out:
	if (entered)
		kw_barrier_leave(b);
	if (locked)
		pthread_mutex_unlock(&b->unseal_mu);
	kw_barrier_shares_free(texts, shares);
	return rc;
}
