/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

#include <string.h>

#include <openssl/crypto.h>

#include "crypto/internal.h"
#include "keywarden/log.h"
#include "keywarden/secret.h"

kw_rc kw_secure_heap_init(size_t size)
{
	if (size < 4096 || (size & (size - 1)) != 0)
		return KW_E_INVALID;
	if (CRYPTO_secure_malloc_initialized())
		return KW_OK;
	/* minsize 32: small allocations (share bytes, tags) are common. */
	if (CRYPTO_secure_malloc_init(size, 32) == 0) {
		KW_LOG_ERROR("cannot set up the secure heap (%zu bytes); "
			     "is RLIMIT_MEMLOCK too low?",
			     size);
		return KW_E_NOMEM;
	}
	return KW_OK;
}

kw_rc kw_secret_new(size_t len, kw_secret **out)
{
	if (out == NULL || len > KW_SECRET_MAX)
		return KW_E_INVALID;
	kw_secret *s = OPENSSL_zalloc(sizeof(*s));
	if (s == NULL)
		return KW_E_NOMEM;
	/* Allocate at least one byte so data is never NULL. */
	s->data = OPENSSL_secure_zalloc(len > 0 ? len : 1);
	if (s->data == NULL) {
		OPENSSL_free(s);
		return KW_E_NOMEM;
	}
	s->len = len;
	*out = s;
	return KW_OK;
}

kw_rc kw_secret_from(const void *p, size_t len, kw_secret **out)
{
	if (p == NULL && len != 0)
		return KW_E_INVALID;
	kw_secret *s = NULL;
	kw_rc rc = kw_secret_new(len, &s);
	if (rc != KW_OK)
		return rc;
	if (len > 0)
		memcpy(s->data, p, len);
	*out = s;
	return KW_OK;
}

void kw_secret_free(kw_secret *s)
{
	if (s == NULL)
		return;
	/* OPENSSL_secure_clear_free wipes before freeing, on and off the
	 * secure heap alike. */
	OPENSSL_secure_clear_free(s->data, s->len > 0 ? s->len : 1);
	OPENSSL_free(s);
}

void kw_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

int kw_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void kw_secret_shrink(kw_secret *s, size_t len)
{
	if (s == NULL || len >= s->len)
		return;
	OPENSSL_cleanse(s->data + len, s->len - len);
	s->len = len;
}
