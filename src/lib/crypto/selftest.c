/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

#include <stdlib.h>
#include <string.h>

#include "crypto/internal.h"
#include "keywarden/log.h"

kw_rc kw_ckey_pairwise_test(kw_ckey *k)
{
	static const uint8_t msg[] = "keywarden pairwise test";
	kw_rc rc = KW_E_CRYPTO;
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	kw_secret *pt = NULL;

	switch (k->cls) {
	case KW_CLASS_AES:
		if (kw_ckey_gcm_encrypt(k, NULL, msg, sizeof(msg), msg,
					sizeof(msg), &ct, &ct_len) != KW_OK ||
		    kw_ckey_gcm_decrypt(k, msg, sizeof(msg), ct, ct_len, &pt) !=
			    KW_OK ||
		    pt->len != sizeof(msg) ||
		    memcmp(pt->data, msg, sizeof(msg)) != 0)
			goto out;
		break;
	case KW_CLASS_HMAC:
		if (kw_ckey_mac(k, msg, sizeof(msg), &ct, &ct_len) != KW_OK ||
		    kw_ckey_mac_verify(k, msg, sizeof(msg), ct, ct_len) !=
			    KW_OK)
			goto out;
		break;
	default:
		rc = KW_E_UNSUPPORTED;
		goto out;
	}
	rc = KW_OK;
out:
	free(ct);
	kw_secret_free(pt);
	return rc;
}
