/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "auth"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/internal.h"
#include "keywarden/log.h"

#define AUTH_TXN_TRIES 3

/* Checked against by kw_auth_login for unknown users: any fixed text. */
static const char dummy_password[] = "keywarden: no such principal";

static kw_rc auth_config_resolve(const kw_auth_config *in, kw_auth_config *out)
{
	kw_auth_config c = {0};
	if (in != NULL)
		c = *in;
	if (c.session_ttl_s == 0)
		c.session_ttl_s = KW_AUTH_SESSION_TTL_DEFAULT;
	if (c.app_token_max_ttl_s == 0)
		c.app_token_max_ttl_s = KW_AUTH_APP_TTL_DEFAULT;
	if (c.max_failed_logins == 0)
		c.max_failed_logins = KW_AUTH_MAX_FAILED_DEFAULT;
	if (c.lockout_s == 0)
		c.lockout_s = KW_AUTH_LOCKOUT_DEFAULT;
	if (c.source_rate_per_min == 0)
		c.source_rate_per_min = KW_AUTH_SOURCE_RATE_DEFAULT;
	if (c.scrypt_log2_n == 0)
		c.scrypt_log2_n = KW_AUTH_SCRYPT_LOG2_N_DEFAULT;
	if (c.token_cache_ttl_s == 0)
		c.token_cache_ttl_s = KW_AUTH_CACHE_TTL_DEFAULT;
	/* Bounds keep now + ttl far from overflow and the tables small. */
	const uint64_t ten_years = 10ull * 366 * 86400;
	if (c.session_ttl_s > ten_years || c.app_token_max_ttl_s > ten_years ||
	    c.lockout_s > ten_years || c.token_cache_ttl_s > 86400 ||
	    c.max_failed_logins > 1000 ||
	    c.source_rate_per_min > KW_AUTH_SOURCE_RATE_MAX ||
	    c.scrypt_log2_n > 20)
		return KW_E_INVALID;
	*out = c;
	return KW_OK;
}

kw_rc kw_auth_open(kw_barrier *b, kw_store *s, const kw_auth_config *cfg,
		   kw_auth **out)
{
	kw_rc rc = KW_E_INVALID;
	kw_auth *a = NULL;
	kw_secret *dummy = NULL;

	if (b == NULL || s == NULL || out == NULL)
		goto out;
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	rc = auth_config_resolve(cfg, &a->cfg);
	if (rc != KW_OK)
		goto out;
	a->b = b;
	a->s = s;
	a->pw.log2_n = a->cfg.scrypt_log2_n;
	a->pw.r = 8;
	a->pw.p = 1;
	if (pthread_rwlock_init(&a->key_lock, NULL) != 0) {
		free(a);
		a = NULL;
		rc = KW_E_NOMEM;
		goto out;
	}
	rc = kw_auth_cache_new(&a->cache);
	if (rc != KW_OK)
		goto out;
	rc = kw_auth_limiter_new(a->cfg.source_rate_per_min, &a->limiter);
	if (rc != KW_OK)
		goto out;
	rc = kw_secret_from(dummy_password, sizeof(dummy_password) - 1, &dummy);
	if (rc != KW_OK)
		goto out;
	rc = kw_password_hash(&a->pw, dummy, &a->dummy_hash);
	if (rc != KW_OK)
		goto out;
	*out = a;
	a = NULL;
out:
	kw_secret_free(dummy);
	kw_auth_free(a);
	return rc;
}

void kw_auth_free(kw_auth *a)
{
	if (a == NULL)
		return;
	kw_ckey_free(a->token_key);
	kw_ckey_free(a->id_key);
	pthread_rwlock_destroy(&a->key_lock);
	free(a->dummy_hash);
	kw_auth_cache_free(a->cache);
	kw_auth_limiter_free(a->limiter);
	free(a);
}

void kw_auth_cache_flush(kw_auth *a)
{
	if (a == NULL)
		return;
	pthread_rwlock_wrlock(&a->key_lock);
	kw_ckey_free(a->token_key);
	kw_ckey_free(a->id_key);
	a->token_key = NULL;
	a->id_key = NULL;
	pthread_rwlock_unlock(&a->key_lock);
	kw_auth_cache_clear(a->cache);
}

/* ---- helpers shared by the folder -------------------------------------- */

int64_t kw_auth_now(const kw_auth *a)
{
	if (a->cfg.now != NULL)
		return a->cfg.now(a->cfg.now_arg);
	return (int64_t)time(NULL);
}

bool kw_auth_name_valid(const char *s)
{
	if (s == NULL)
		return false;
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		if (n >= KW_NAME_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return n > 0;
}

bool kw_auth_partition_arg_valid(const char *s)
{
	return s != NULL && (s[0] == '\0' || kw_auth_name_valid(s));
}

const char *kw_auth_ns(const char *partition)
{
	return partition[0] == '\0' ? KW_AUTH_SYSTEM_NS : partition;
}

bool kw_auth_password_ok(const kw_secret *password)
{
	return password != NULL && password->len >= KW_PASSWORD_MIN &&
	       password->len <= KW_PASSWORD_MAX;
}

kw_rc kw_auth_password_hash(kw_auth *a, const kw_secret *password,
			    char out[static KW_PASSWORD_HASH_MAX + 1])
{
	char *h = NULL;
	kw_rc rc = kw_auth_unsealed(a);
	if (rc != KW_OK)
		goto out;
	rc = kw_password_hash(&a->pw, password, &h);
	if (rc != KW_OK)
		goto out;
	snprintf(out, KW_PASSWORD_HASH_MAX + 1, "%s", h);
out:
	if (h != NULL) {
		kw_wipe(h, strlen(h));
		free(h);
	}
	return rc;
}

kw_rc kw_auth_unsealed(kw_auth *a)
{
	kw_barrier_status st;
	kw_rc rc = kw_barrier_status_get(a->b, &st);
	if (rc != KW_OK)
		return rc;
	if (!st.initialized)
		return KW_E_NOT_INITIALIZED;
	return st.sealed ? KW_E_SEALED : KW_OK;
}

/* Derives one of the HMAC keys. key_lock held exclusively. */
static kw_rc auth_key_derive(kw_auth *a, enum kw_auth_key_use which,
			     kw_ckey **out)
{
	kw_secret *raw = NULL;
	const char *purpose =
		which == KW_AUTH_KEY_TOKEN ? "token-hash" : "principal-id";
	kw_rc rc = kw_barrier_derive_key(a->b, purpose, KW_AUTH_HASH_LEN, &raw);
	if (rc == KW_OK)
		rc = kw_ckey_from_private(KW_KEY_HMAC_SHA256, raw->data,
					  raw->len, out);
	kw_secret_free(raw);
	return rc;
}

kw_rc kw_auth_hmac(kw_auth *a, enum kw_auth_key_use which, const void *in,
		   size_t in_len, uint8_t out[static KW_AUTH_HASH_LEN])
{
	kw_rc rc = KW_E_INTERNAL;
	uint8_t *mac = NULL;
	size_t mac_len = 0;

	pthread_rwlock_rdlock(&a->key_lock);
	kw_ckey **slot =
		which == KW_AUTH_KEY_TOKEN ? &a->token_key : &a->id_key;
	if (*slot == NULL) {
		/* Derive under the exclusive lock (another thread may have
		 * done it meanwhile), then go on under it. */
		pthread_rwlock_unlock(&a->key_lock);
		pthread_rwlock_wrlock(&a->key_lock);
		if (*slot == NULL) {
			rc = auth_key_derive(a, which, slot);
			if (rc != KW_OK)
				goto out;
		}
	}
	rc = kw_ckey_mac(*slot, in, in_len, &mac, &mac_len);
	if (rc != KW_OK)
		goto out;
	if (mac_len != KW_AUTH_HASH_LEN) {
		rc = KW_E_INTERNAL;
		goto out;
	}
	memcpy(out, mac, KW_AUTH_HASH_LEN);
out:
	pthread_rwlock_unlock(&a->key_lock);
	if (mac != NULL) {
		kw_wipe(mac, mac_len);
		free(mac);
	}
	return rc;
}

kw_rc kw_auth_write(kw_auth *a, kw_auth_txn_fn fn, void *arg)
{
	kw_rc rc = KW_E_CONFLICT;
	for (int i = 0; i < AUTH_TXN_TRIES && rc == KW_E_CONFLICT; i++) {
		kw_store_txn *t = NULL;
		rc = kw_store_txn_begin(a->s, true, &t);
		if (rc != KW_OK)
			break;
		rc = fn(a, t, arg);
		if (rc == KW_OK)
			rc = kw_store_txn_commit(t);
		else
			kw_store_txn_abort(t);
	}
	return rc;
}

kw_rc kw_auth_read(kw_auth *a, kw_auth_txn_fn fn, void *arg)
{
	kw_store_txn *t = NULL;
	kw_rc rc = kw_store_txn_begin(a->s, false, &t);
	if (rc != KW_OK)
		return rc;
	rc = fn(a, t, arg);
	kw_store_txn_abort(t);
	return rc;
}

kw_rc kw_auth_partition_exists(kw_auth *a, kw_store_txn *t,
			       const char *partition)
{
	if (partition[0] == '\0')
		return KW_OK;
	kw_secret *data = NULL;
	uint64_t version = 0;
	kw_rc rc = kw_barrier_rec_get(a->b, t, KW_REC_PARTITION, partition,
				      &data, &version);
	kw_secret_free(data);
	return rc;
}
