/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/* AES key wrap: RFC 3394 (KW) and RFC 5649 (KWP, with padding), with
 * OpenSSL's AES-*-WRAP and AES-*-WRAP-PAD ciphers on pooled contexts that
 * hold the key schedule; the default IVs of the RFCs are used. */

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/internal.h"
#include "keywarden/log.h"

/* The integrity check value the wrapping adds (RFC 3394 §2.2.1). */
#define WRAP_ICV_LEN 8

/* Input length rules: KW wraps n >= 2 64-bit blocks (RFC 3394 §2); KWP
 * wraps 1..2^32-1 bytes (RFC 5649 §3) and both outputs are whole blocks,
 * KW of at least 3 and KWP of at least 2. */
static bool wrap_len_ok(kw_wrap_mode m, size_t len, bool unwrap)
{
	if (m == KW_WRAP_AES_KW)
		return len % 8 == 0 && len >= (unwrap ? 24u : 16u);
	if (unwrap)
		return len % 8 == 0 && len >= 16;
	return len >= 1 && len <= UINT32_MAX;
}

/* Runs the pooled wrap or unwrap context once: out has room for in_len +
 * 16 bytes. */
static kw_rc wrap_run(kw_ckey *k, kw_wrap_mode m, unsigned op,
		      const uint8_t *in, size_t in_len, uint8_t *out,
		      size_t *out_len)
{
	kw_rc rc = KW_E_CRYPTO;
	kw_pooled *c = NULL;
	int n = 0, fn = 0;
	unsigned variant = m == KW_WRAP_AES_KW ? KW_AES_KW : KW_AES_KWP;

	rc = kw_pool_take(k, KW_TAG(op, variant), KW_CTX_CIPHER,
			  kw_aes_ctx_make, &c);
	if (rc != KW_OK)
		goto out;
	/* Re-init with no key and no IV: the default IV of the RFC. */
	if (EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, NULL, -1) != 1) {
		rc = kw_ossl_fail("EVP_CipherInit_ex");
		goto out;
	}
	if (EVP_CipherUpdate(c->ctx, out, &n, in, (int)in_len) != 1 ||
	    EVP_CipherFinal_ex(c->ctx, out + n, &fn) != 1) {
		/* For unwrap this is the integrity check failing. */
		ERR_clear_error();
		rc = op == KW_OP_DECRYPT ? KW_E_VERIFY : KW_E_CRYPTO;
		goto out;
	}
	*out_len = (size_t)n + (size_t)fn;
	rc = KW_OK;
out:
	kw_pool_put(k, c, rc == KW_OK || rc == KW_E_VERIFY);
	return rc;
}

/* Common checks of wrap and unwrap. */
static kw_rc wrap_check(const kw_ckey *k, kw_wrap_mode m, const uint8_t *in,
			size_t in_len, const void *out, bool unwrap)
{
	kw_rc rc = KW_E_INVALID;

	if (k == NULL || out == NULL || in == NULL ||
	    in_len > KW_CRYPTO_INPUT_MAX ||
	    (m != KW_WRAP_AES_KW && m != KW_WRAP_AES_KWP))
		goto out;
	rc = KW_E_UNSUPPORTED;
	if (k->cls != KW_CLASS_AES)
		goto out;
	rc = wrap_len_ok(m, in_len, unwrap) ? KW_OK : KW_E_INVALID;
out:
	return rc;
}

kw_rc kw_ckey_wrap(kw_ckey *k, kw_wrap_mode m, const uint8_t *in, size_t in_len,
		   uint8_t **out, size_t *out_len)
{
	kw_rc rc = wrap_check(k, m, in, in_len, out, false);
	uint8_t *buf = NULL;
	size_t len = 0;

	if (rc == KW_OK && out_len == NULL)
		rc = KW_E_INVALID;
	if (rc != KW_OK)
		goto out;
	buf = malloc(in_len + 2 * WRAP_ICV_LEN);
	if (buf == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	rc = wrap_run(k, m, KW_OP_ENCRYPT, in, in_len, buf, &len);
	if (rc != KW_OK)
		goto out;
	*out = buf;
	*out_len = len;
	buf = NULL;
out:
	free(buf);
	return rc;
}

kw_rc kw_ckey_unwrap(kw_ckey *k, kw_wrap_mode m, const uint8_t *in,
		     size_t in_len, kw_secret **out)
{
	kw_rc rc = wrap_check(k, m, in, in_len, out, true);
	kw_secret *pt = NULL;
	size_t len = 0;

	if (rc != KW_OK)
		goto out;
	/* OpenSSL writes the whole last block before checking the padding;
	 * give it room, then cut to what was unwrapped. */
	rc = kw_secret_new(in_len + WRAP_ICV_LEN, &pt);
	if (rc != KW_OK)
		goto out;
	rc = wrap_run(k, m, KW_OP_DECRYPT, in, in_len, pt->data, &len);
	if (rc != KW_OK)
		goto out;
	kw_secret_shrink(pt, len);
	*out = pt;
	pt = NULL;
out:
	kw_secret_free(pt);
	return rc;
}
