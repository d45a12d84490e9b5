/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/* HMAC with an HMAC key. Contexts are pooled with the key already absorbed
 * (the ipad/opad states computed), so a call only re-initialises them. */

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/internal.h"
#include "keywarden/log.h"

/* The shortest tag kw_ckey_mac_verify accepts (NIST SP 800-107 §5.3.4
 * allows truncation, but 128 bits is the floor we keep). */
#define MAC_TAG_MIN 16

static kw_rc mac_ctx_make(const kw_ckey *k, unsigned tag, void **out_ctx)
{
	(void)tag;
	return kw_hmac_ctx_new(kw_key_type_hmac_hash(k->type), k->raw->data,
			       k->raw->len, (EVP_MAC_CTX **)out_ctx);
}

/* The full tag of in under k into tag (EVP_MAX_MD_SIZE bytes). */
static kw_rc mac_compute(kw_ckey *k, const uint8_t *in, size_t in_len,
			 uint8_t *tag, size_t *tag_len)
{
	kw_rc rc = KW_E_INVALID;
	kw_pooled *p = NULL;

	if (k == NULL || (in == NULL && in_len != 0) ||
	    in_len > KW_CRYPTO_INPUT_MAX)
		goto out;
	if (k->cls != KW_CLASS_HMAC) {
		rc = KW_E_UNSUPPORTED;
		goto out;
	}
	rc = kw_pool_take(k, KW_TAG(KW_OP_MAC, 0), KW_CTX_MAC, mac_ctx_make,
			  &p);
	if (rc != KW_OK)
		goto out;
	/* A NULL key re-initialises with the key already set. */
	if (EVP_MAC_init(p->ctx, NULL, 0, NULL) != 1) {
		rc = kw_ossl_fail("EVP_MAC_init");
		goto out;
	}
	rc = kw_hmac_ctx_run(p->ctx, in, in_len, tag, tag_len);
out:
	kw_pool_put(k, p, rc == KW_OK);
	return rc;
}

kw_rc kw_ckey_mac(kw_ckey *k, const uint8_t *in, size_t in_len, uint8_t **out,
		  size_t *out_len)
{
	kw_rc rc = KW_E_INVALID;
	uint8_t tag[EVP_MAX_MD_SIZE];
	size_t n = 0;
	uint8_t *buf = NULL;

	if (out == NULL || out_len == NULL)
		goto out;
	rc = mac_compute(k, in, in_len, tag, &n);
	if (rc != KW_OK)
		goto out;
	buf = malloc(n);
	if (buf == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	memcpy(buf, tag, n);
	*out = buf;
	*out_len = n;
out:
	kw_wipe(tag, sizeof(tag));
	return rc;
}

kw_rc kw_ckey_mac_verify(kw_ckey *k, const uint8_t *in, size_t in_len,
			 const uint8_t *tag, size_t tag_len)
{
	kw_rc rc = KW_E_INVALID;
	uint8_t want[EVP_MAX_MD_SIZE];
	size_t n = 0;

	if (tag == NULL || tag_len < MAC_TAG_MIN)
		goto out;
	rc = mac_compute(k, in, in_len, want, &n);
	if (rc != KW_OK)
		goto out;
	/* A tag longer than the MAC is malformed, not merely wrong. */
	if (tag_len > n) {
		rc = KW_E_INVALID;
		goto out;
	}
	/* Truncated tags compare their prefix (RFC 2104 §5). */
	rc = kw_ct_equal(want, tag, tag_len) ? KW_OK : KW_E_VERIFY;
out:
	kw_wipe(want, sizeof(want));
	return rc;
}
