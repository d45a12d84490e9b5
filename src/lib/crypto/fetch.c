/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/*
 * Algorithm objects fetched once, the per-key pool of prepared contexts, and
 * the one place that turns an OpenSSL failure into a kw_rc.
 *
 * Fetching by name takes a lock in OpenSSL's method store; doing it once per
 * process (pthread_once) keeps that lock off the hot path. The objects live
 * until exit, like OpenSSL's own provider tables.
 */

#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/internal.h"
#include "keywarden/log.h"

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *mds[KW_HASH_COUNT_];
static EVP_CIPHER *ciphers[KW_CIPHER_COUNT_];
static EVP_MAC *hmac;
static EVP_KDF *hkdf;

static const char *const md_names[KW_HASH_COUNT_] = {
	[KW_HASH_SHA1] = "SHA1",       [KW_HASH_SHA224] = "SHA2-224",
	[KW_HASH_SHA256] = "SHA2-256", [KW_HASH_SHA384] = "SHA2-384",
	[KW_HASH_SHA512] = "SHA2-512",
};

static const char *const cipher_names[KW_CIPHER_COUNT_] = {
	[KW_CIPHER_AES128_GCM] = "AES-128-GCM",
	[KW_CIPHER_AES256_GCM] = "AES-256-GCM",
	[KW_CIPHER_AES128_KW] = "AES-128-WRAP",
	[KW_CIPHER_AES256_KW] = "AES-256-WRAP",
	[KW_CIPHER_AES128_KWP] = "AES-128-WRAP-PAD",
	[KW_CIPHER_AES256_KWP] = "AES-256-WRAP-PAD",
	[KW_CIPHER_AES192_KWP] = "AES-192-WRAP-PAD",
};

static void fetch_all(void)
{
	for (int i = 0; i < KW_HASH_COUNT_; i++)
		if (md_names[i] != NULL)
			mds[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
	for (int i = 0; i < KW_CIPHER_COUNT_; i++)
		ciphers[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	/* A missing algorithm shows as NULL to its users, who report it. */
	ERR_clear_error();
}

const EVP_MD *kw_md(kw_hash h)
{
	if ((unsigned)h >= KW_HASH_COUNT_)
		return NULL;
	pthread_once(&fetch_once, fetch_all);
	return mds[h];
}

const EVP_CIPHER *kw_cipher(kw_cipher_id id)
{
	if ((unsigned)id >= KW_CIPHER_COUNT_)
		return NULL;
	pthread_once(&fetch_once, fetch_all);
	return ciphers[id];
}

EVP_MAC *kw_mac_hmac(void)
{
	pthread_once(&fetch_once, fetch_all);
	return hmac;
}

EVP_KDF *kw_kdf_hkdf(void)
{
	pthread_once(&fetch_once, fetch_all);
	return hkdf;
}

kw_rc kw_ossl_fail(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	if (e != 0) {
		char buf[256];
		ERR_error_string_n(e, buf, sizeof(buf));
		KW_LOG_DEBUG("%s failed: %s", what, buf);
	} else {
		KW_LOG_DEBUG("%s failed", what);
	}
	ERR_clear_error();
	return KW_E_CRYPTO;
}

static void ctx_free(kw_ctx_kind kind, void *ctx)
{
	switch (kind) {
	case KW_CTX_PKEY:
		EVP_PKEY_CTX_free(ctx);
		break;
	case KW_CTX_MD:
		EVP_MD_CTX_free(ctx);
		break;
	case KW_CTX_CIPHER:
		/* Frees (and cleanses) the key schedule. */
		EVP_CIPHER_CTX_free(ctx);
		break;
	case KW_CTX_MAC:
		EVP_MAC_CTX_free(ctx);
		break;
	}
}

kw_rc kw_pool_take(kw_ckey *k, unsigned tag, kw_ctx_kind kind,
		   kw_pool_make_fn make, kw_pooled **out)
{
	kw_rc rc = KW_E_INTERNAL;
	kw_pooled *p = NULL;
	void *ctx = NULL;

	pthread_mutex_lock(&k->lock);
	for (kw_pooled **pp = &k->free_list; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->tag == tag) {
			p = *pp;
			*pp = p->next;
			k->n_free--;
			break;
		}
	}
	pthread_mutex_unlock(&k->lock);
	if (p != NULL) {
		p->next = NULL;
		*out = p;
		rc = KW_OK;
		goto out;
	}

	/* None free: prepare a new one outside the lock. */
	rc = make(k, tag, &ctx);
	if (rc != KW_OK)
		goto out;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	p->tag = tag;
	p->kind = kind;
	p->ctx = ctx;
	ctx = NULL;
	*out = p;
	rc = KW_OK;
out:
	if (ctx != NULL)
		ctx_free(kind, ctx);
	return rc;
}

void kw_pool_put(kw_ckey *k, kw_pooled *p, bool ok)
{
	if (p == NULL)
		return;
	if (ok) {
		pthread_mutex_lock(&k->lock);
		if (k->n_free < KW_POOL_MAX) {
			p->next = k->free_list;
			k->free_list = p;
			k->n_free++;
			p = NULL;
		}
		pthread_mutex_unlock(&k->lock);
	}
	if (p != NULL) {
		ctx_free(p->kind, p->ctx);
		free(p);
	}
	/* A failed operation may leave reasons on this thread's queue. */
	if (!ok)
		ERR_clear_error();
}

void kw_pool_drain(kw_ckey *k)
{
	kw_pooled *p = k->free_list;
	while (p != NULL) {
		kw_pooled *next = p->next;
		ctx_free(p->kind, p->ctx);
		free(p);
		p = next;
	}
	k->free_list = NULL;
	k->n_free = 0;
}
