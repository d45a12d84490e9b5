/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "bench/kwbench.h"

/*
 * The ceiling: the same operations straight through OpenSSL's EVP API in
 * this process, each thread with its own contexts set up once and reused
 * (what keywarden's crypto/ does with its pooled contexts): a signature is
 * EVP_Digest + EVP_PKEY_sign on a ready context (Ed25519: EVP_DigestSign
 * on a ready EVP_MD_CTX); AES-GCM re-keys nothing, only sets a fresh random
 * IV. Lookups have no raw counterpart.
 */

typedef struct raw_ctx {
	const kw_bench_op *op;
	EVP_PKEY *pkey;	 /* signing key */
	uint8_t key[32]; /* AES key */
	const EVP_MD *md;
} raw_ctx;

typedef struct raw_thread {
	raw_ctx *c;
	unsigned idx;
	EVP_PKEY_CTX *pctx; /* sign or keygen */
	EVP_MD_CTX *mctx;   /* Ed25519 */
	EVP_CIPHER_CTX *cctx;
	uint8_t *pt, *ct;
	uint8_t sig[512];
	kwb_samples ss;
} raw_thread;

static EVP_PKEY *key_of(const kw_bench_op *op)
{
	const char *t = op->key_type;

	if (strcmp(t, "ecdsa-p256") == 0)
		return EVP_EC_gen("P-256");
	if (strcmp(t, "ecdsa-p384") == 0)
		return EVP_EC_gen("P-384");
	if (strcmp(t, "ed25519") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (strcmp(t, "rsa-2048") == 0)
		return EVP_RSA_gen(2048);
	if (strcmp(t, "rsa-3072") == 0)
		return EVP_RSA_gen(3072);
	return NULL;
}

static void thread_fini(void *state)
{
	raw_thread *t = state;

	kwb_samples_free(&t->ss);
	EVP_PKEY_CTX_free(t->pctx);
	EVP_MD_CTX_free(t->mctx);
	EVP_CIPHER_CTX_free(t->cctx);
	free(t->pt);
	free(t->ct);
	free(t);
}

static kw_rc thread_init(void *ctx, unsigned idx, void **out)
{
	raw_ctx *c = ctx;
	const kw_bench_op *op = c->op;
	raw_thread *t = calloc(1, sizeof(*t));
	kw_rc rc = KW_E_CRYPTO;

	if (t == NULL)
		return KW_E_NOMEM;
	t->c = c;
	t->idx = idx;
	switch (op->kind) {
	case KW_BENCH_SIGN:
		if (strcmp(op->scheme, "eddsa") == 0) {
			t->mctx = EVP_MD_CTX_new();
			if (t->mctx == NULL ||
			    EVP_DigestSignInit(t->mctx, NULL, NULL, NULL,
					       c->pkey) != 1)
				goto out;
			break;
		}
		t->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, c->pkey, NULL);
		if (t->pctx == NULL || EVP_PKEY_sign_init(t->pctx) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(t->pctx, c->md) != 1)
			goto out;
		if (strcmp(op->scheme, "pss") == 0 &&
		    (EVP_PKEY_CTX_set_rsa_padding(t->pctx,
						  RSA_PKCS1_PSS_PADDING) != 1 ||
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(
			     t->pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
		     EVP_PKEY_CTX_set_rsa_mgf1_md(t->pctx, c->md) != 1))
			goto out;
		break;
	case KW_BENCH_ENCRYPT:
	case KW_BENCH_DATAKEY:
		t->cctx = EVP_CIPHER_CTX_new();
		t->pt = calloc(1, op->len);
		t->ct = calloc(1, op->len);
		if (t->cctx == NULL || t->pt == NULL || t->ct == NULL ||
		    EVP_EncryptInit_ex(t->cctx, EVP_aes_256_gcm(), NULL, c->key,
				       NULL) != 1)
			goto out;
		memset(t->pt, 0xa5, op->len);
		break;
	case KW_BENCH_KEYGEN:
		t->pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (t->pctx == NULL || EVP_PKEY_keygen_init(t->pctx) != 1 ||
		    EVP_PKEY_CTX_set_group_name(t->pctx, "P-256") != 1)
			goto out;
		break;
	default:
		rc = KW_E_UNSUPPORTED;
		goto out;
	}
	*out = t;
	t = NULL;
	rc = KW_OK;
out:
	if (t != NULL)
		thread_fini(t);
	return rc;
}

/* GCM with a fresh IV on the ready context; ct and tag out. */
static bool gcm(raw_thread *t, const uint8_t *pt, size_t len, uint8_t iv[12],
		uint8_t tag[16])
{
	int n = 0, m = 0;

	return RAND_bytes(iv, 12) == 1 &&
	       EVP_EncryptInit_ex(t->cctx, NULL, NULL, NULL, iv) == 1 &&
	       EVP_EncryptUpdate(t->cctx, t->ct, &n, pt, (int)len) == 1 &&
	       EVP_EncryptFinal_ex(t->cctx, t->ct + n, &m) == 1 &&
	       EVP_CIPHER_CTX_ctrl(t->cctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
}

static kw_rc call(void *state, uint64_t seq, bool want)
{
	raw_thread *t = state;
	const kw_bench_op *op = t->c->op;
	uint8_t msg[KW_BENCH_MSG_LEN], dg[EVP_MAX_MD_SIZE], iv[12], tag[16];
	uint8_t dk[32];
	unsigned dl = 0;
	size_t sl = sizeof(t->sig);
	EVP_PKEY *pk = NULL;
	kwb_sample *s;

	switch (op->kind) {
	case KW_BENCH_SIGN:
		kw_bench_msg(t->idx, seq, msg, sizeof(msg));
		if (t->mctx != NULL) {
			if (EVP_DigestSign(t->mctx, t->sig, &sl, msg,
					   sizeof(msg)) != 1)
				return KW_E_CRYPTO;
		} else if (EVP_Digest(msg, sizeof(msg), dg, &dl, t->c->md,
				      NULL) != 1 ||
			   EVP_PKEY_sign(t->pctx, t->sig, &sl, dg, dl) != 1) {
			return KW_E_CRYPTO;
		}
		if (want)
			kwb_sample_keep(&t->ss, seq, t->sig, sl);
		break;
	case KW_BENCH_ENCRYPT:
		if (!gcm(t, t->pt, op->len, iv, tag))
			return KW_E_CRYPTO;
		if (want && (s = kwb_sample_keep(&t->ss, seq, t->ct,
						 op->len)) != NULL) {
			memcpy(s->iv, iv, 12);
			memcpy(s->tag, tag, 16);
		}
		break;
	case KW_BENCH_DATAKEY:
		if (RAND_priv_bytes(dk, sizeof(dk)) != 1 ||
		    !gcm(t, dk, sizeof(dk), iv, tag))
			return KW_E_CRYPTO;
		if (want && (s = kwb_sample_keep(&t->ss, seq, t->ct,
						 sizeof(dk))) != NULL) {
			memcpy(s->iv, iv, 12);
			memcpy(s->tag, tag, 16);
			memcpy(s->dk, dk, 32);
		}
		OPENSSL_cleanse(dk, sizeof(dk));
		break;
	case KW_BENCH_KEYGEN:
		if (EVP_PKEY_generate(t->pctx, &pk) != 1)
			return KW_E_CRYPTO;
		if (want &&
		    (s = kwb_sample_keep(&t->ss, seq, NULL, 0)) != NULL) {
			s->pk = pk;
			pk = NULL;
		}
		EVP_PKEY_free(pk);
		break;
	default:
		return KW_E_UNSUPPORTED;
	}
	return KW_OK;
}

/* A fresh key checked by signing with it and verifying. */
static bool keygen_ok(EVP_PKEY *pk)
{
	static const kw_bench_op es = {
		"ecdsa-p256", KW_BENCH_SIGN, "ecdsa-p256", "sha256", "ecdsa", 0,
		NULL};
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	uint8_t msg[KW_BENCH_MSG_LEN] = {1}, sig[128];
	size_t sl = sizeof(sig);
	bool ok = m != NULL &&
		  EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, pk) == 1 &&
		  EVP_DigestSign(m, sig, &sl, msg, sizeof(msg)) == 1 &&
		  EVP_PKEY_get_bits(pk) == 256 &&
		  kwb_sig_ok(pk, &es, msg, sizeof(msg), sig, sl, false);

	EVP_MD_CTX_free(m);
	return ok;
}

static void verify(void *state, uint64_t *verified, uint64_t *failed)
{
	raw_thread *t = state;
	const kw_bench_op *op = t->c->op;
	uint8_t msg[KW_BENCH_MSG_LEN];

	for (size_t i = 0; i < t->ss.n; i++) {
		kwb_sample *s = &t->ss.s[i];
		bool ok = false;

		switch (op->kind) {
		case KW_BENCH_SIGN:
			kw_bench_msg(t->idx, s->seq, msg, sizeof(msg));
			ok = kwb_sig_ok(t->c->pkey, op, msg, sizeof(msg),
					s->out, s->out_len, false);
			break;
		case KW_BENCH_ENCRYPT:
			ok = kwb_gcm_ok(t->c->key, s->iv, s->out, s->out_len,
					s->tag, t->pt, op->len);
			break;
		case KW_BENCH_DATAKEY:
			ok = kwb_gcm_ok(t->c->key, s->iv, s->out, s->out_len,
					s->tag, s->dk, 32);
			break;
		case KW_BENCH_KEYGEN:
			ok = keygen_ok(s->pk);
			break;
		default:
			break;
		}
		if (ok)
			(*verified)++;
		else
			(*failed)++;
	}
}

static const kw_bench_ops raw_ops = {thread_init, call, verify, thread_fini};

kw_rc kwb_raw_run(kwb_opts *o, kw_bench_result *out)
{
	raw_ctx c = {.op = o->op};
	kw_rc rc = KW_E_UNSUPPORTED;

	if (o->op->kind == KW_BENCH_LOOKUP)
		goto out;
	rc = KW_E_CRYPTO;
	c.md = kwb_md(o->op);
	if (o->op->kind == KW_BENCH_SIGN &&
	    ((c.pkey = key_of(o->op)) == NULL ||
	     (o->op->hash != NULL && c.md == NULL)))
		goto out;
	if (RAND_priv_bytes(c.key, sizeof(c.key)) != 1)
		goto out;
	o->spec.ops = &raw_ops;
	o->spec.ctx = &c;
	rc = kw_bench_run(&o->spec, out);
out:
	EVP_PKEY_free(c.pkey);
	OPENSSL_cleanse(c.key, sizeof(c.key));
	return rc;
}
