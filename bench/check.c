/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "bench/kwbench.h"

/*
 * Checks of results against OpenSSL, done after the measured window on the
 * samples each thread kept: the answers counted as fast must be right.
 */

kwb_sample *kwb_sample_keep(kwb_samples *ss, uint64_t seq, const uint8_t *out,
			    size_t len)
{
	kwb_sample *s;

	if (ss->n == KWB_MAX_SAMPLES)
		return NULL;
	s = &ss->s[ss->n];
	memset(s, 0, sizeof(*s));
	s->out = malloc(len != 0 ? len : 1);
	if (s->out == NULL)
		return NULL;
	if (len != 0)
		memcpy(s->out, out, len);
	s->out_len = len;
	s->seq = seq;
	ss->n++;
	return s;
}

void kwb_samples_free(kwb_samples *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		free(ss->s[i].out);
		EVP_PKEY_free(ss->s[i].pk);
		OPENSSL_cleanse(ss->s[i].dk, sizeof(ss->s[i].dk));
	}
	ss->n = 0;
}

const EVP_MD *kwb_md(const kw_bench_op *op)
{
	if (op->hash == NULL)
		return NULL;
	return EVP_get_digestbyname(op->hash);
}

/* r||s (two halves) to a DER ECDSA-Sig-Value; *out_len gets its length. */
static bool ecdsa_der(const uint8_t *sig, size_t len, uint8_t *out, size_t cap,
		      size_t *out_len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL);
	BIGNUM *sv = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
	unsigned char *p = out;
	bool ok = false;
	int n;

	if (s == NULL || r == NULL || sv == NULL || len % 2 != 0 ||
	    ECDSA_SIG_set0(s, r, sv) != 1)
		goto out;
	r = sv = NULL;
	n = i2d_ECDSA_SIG(s, NULL);
	if (n <= 0 || (size_t)n > cap)
		goto out;
	*out_len = (size_t)i2d_ECDSA_SIG(s, &p);
	ok = true;
out:
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	return ok;
}

bool kwb_sig_ok(EVP_PKEY *pk, const kw_bench_op *op, const uint8_t *msg,
		size_t msg_len, const uint8_t *sig, size_t sig_len,
		bool raw_ecdsa)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	uint8_t der[160];
	bool ok = false;

	if (m == NULL)
		goto out;
	if (raw_ecdsa && strcmp(op->scheme, "ecdsa") == 0) {
		if (!ecdsa_der(sig, sig_len, der, sizeof(der), &sig_len))
			goto out;
		sig = der;
	}
	if (EVP_DigestVerifyInit(m, &pc, kwb_md(op), NULL, pk) != 1)
		goto out;
	if (strcmp(op->scheme, "pss") == 0 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	ok = EVP_DigestVerify(m, sig, sig_len, msg, msg_len) == 1;
out:
	EVP_MD_CTX_free(m);
	return ok;
}

bool kwb_gcm_ok(const uint8_t key[32], const uint8_t iv[12], const uint8_t *ct,
		size_t ct_len, const uint8_t tag[16], const uint8_t *pt,
		size_t pt_len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t *out = OPENSSL_malloc(ct_len + 16);
	int n = 0, m = 0;
	bool ok = false;

	if (c == NULL || out == NULL || ct_len != pt_len ||
	    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) != 1 ||
	    EVP_DecryptUpdate(c, out, &n, ct, (int)ct_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) !=
		    1 ||
	    EVP_DecryptFinal_ex(c, out + n, &m) != 1)
		goto out;
	ok = (size_t)(n + m) == pt_len && memcmp(out, pt, pt_len) == 0;
out:
	OPENSSL_free(out);
	EVP_CIPHER_CTX_free(c);
	return ok;
}
