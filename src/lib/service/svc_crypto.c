/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "service/internal.h"
#include "service/svc_attest.h"

#define RANDOM_MAX 65536

/* The codes of one crypto item, in the API's terms: input the key cannot
 * take is the caller's mistake (KW_E_INVALID), not a rate limit. */
static kw_rc item_rc(kw_rc rc)
{
	return rc == KW_E_LIMIT ? KW_E_INVALID : rc;
}

/* Reason for a failed single operation (batches report per item). */
static void item_reason(kw_svc_call *c, kw_rc rc)
{
	switch (rc) {
	case KW_E_STATE:
		svc_reason(c, "the key's state does not allow this");
		break;
	case KW_E_DENIED:
		svc_reason(c, "the key's usages do not include this");
		break;
	case KW_E_UNSUPPORTED:
		svc_reason(c, "not possible with this key type or these "
			      "parameters");
		break;
	case KW_E_INVALID:
		svc_reason(c, "input or parameters not valid for this key");
		break;
	case KW_E_VERIFY:
		svc_reason(c, "the input does not open under this key version "
			      "(wrong key, version, data or AAD)");
		break;
	case KW_E_NOT_FOUND:
		svc_reason(c, "no such key version");
		break;
	default:
		break;
	}
}

/* After the items ran: the event's version and detail; for a single item
 * its result is the call's result. */
static kw_rc items_done(kw_svc_call *c, size_t n, size_t failed,
			uint32_t version, kw_rc first_rc)
{
	size_t len = strlen(c->ev.detail);

	if (version != 0)
		c->ev.key_version = version;
	/* A detail set before the items ran (the attestation a signature
	 * relied on) is kept: the counts join it. */
	if (n > 1 && len > 2 && c->ev.detail[len - 1] == '}')
		snprintf(c->ev.detail + len - 1, sizeof(c->ev.detail) - len + 1,
			 ",\"items\":%zu,\"failed\":%zu}", n, failed);
	else if (n > 1)
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"items\":%zu,\"failed\":%zu}", n, failed);
	if (n == 1 && first_rc != KW_OK)
		item_reason(c, first_rc);
	return n == 1 ? first_rc : KW_OK;
}

/* version 0 means "the primary" for operations that consume earlier
 * output (verify, decrypt): the key module wants it explicit. */
static uint32_t consume_version(const kw_key_info *k, uint32_t v)
{
	return v != 0 ? v : k->primary_version;
}

static void default_hash(const kw_key_info *k, kw_sign_params *p, bool set)
{
	if (!set)
		p->hash = k->type == KW_KEY_ED25519 ? KW_HASH_NONE
						    : KW_HASH_SHA256;
}

/* One item of a batch: runs it (unless the front end refused it already:
 * rc not KW_OK on entry) and returns its result; *version is the key
 * version it used. */
typedef kw_rc (*item_fn)(kw_service *svc, const kw_key_info *k,
			 const char *partition, void *items, size_t i,
			 uint32_t *version);

/*
 * The common frame of sign, verify, encrypt and decrypt: authorise the use
 * of the key once, run every item, and describe the batch in the audit
 * event. KW_E_VERIFY counts as an answer (not a failure) when
 * verify_is_answer.
 */
static kw_rc run_items(kw_service *svc, kw_svc_call *c, kw_op op,
		       const char *partition, const char *name, void *items,
		       size_t n, item_fn fn, bool verify_is_answer)
{
	kw_key_info *k = NULL;
	size_t failed = 0;
	uint32_t version = 0;
	kw_rc first = KW_OK;
	kw_rc rc = svc_authorize_key(svc, c, op, partition, name, &k);

	if (rc == KW_OK)
		rc = svc_quorum_gate_items(svc, c, op, k, items, n);
	if (rc == KW_OK && op == KW_OP_KEY_SIGN)
		rc = kw_svc_attest_sign_gate(svc, c, k);
	if (rc != KW_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = 0;
		kw_rc irc = fn(svc, k, partition, items, i, &v);
		bool answer = irc == KW_OK ||
			      (verify_is_answer && irc == KW_E_VERIFY);
		if (!answer)
			failed++;
		else if (version == 0)
			version = v;
		if (i == 0)
			first = irc;
	}
	if (verify_is_answer && n == 1 &&
	    (first == KW_OK || first == KW_E_VERIFY))
		snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"valid\":%s}",
			 first == KW_OK ? "true" : "false");
	rc = items_done(c, n, failed, version,
			verify_is_answer && first == KW_E_VERIFY ? KW_OK
								 : first);
out:
	kw_key_info_free(k);
	return rc;
}

static kw_rc sign_one(kw_service *svc, const kw_key_info *k,
		      const char *partition, void *items, size_t i,
		      uint32_t *version)
{
	kw_svc_sign_item *it = (kw_svc_sign_item *)items + i;
	if (it->rc == KW_OK) {
		default_hash(k, &it->params, it->hash_set);
		it->rc = item_rc(kw_key_sign(
			svc->keys, partition, k->name, 0, &it->params, it->in,
			it->in_len, &it->sig, &it->sig_len, &it->version));
	}
	*version = it->version;
	return it->rc;
}

kw_rc kw_svc_key_sign(kw_service *svc, kw_svc_call *c, const char *partition,
		      const char *name, kw_svc_sign_item *items, size_t n)
{
	return run_items(svc, c, KW_OP_KEY_SIGN, partition, name, items, n,
			 sign_one, false);
}

static kw_rc verify_one(kw_service *svc, const kw_key_info *k,
			const char *partition, void *items, size_t i,
			uint32_t *version)
{
	kw_svc_verify_item *it = (kw_svc_verify_item *)items + i;
	if (it->rc == KW_OK) {
		default_hash(k, &it->params, it->hash_set);
		it->version = consume_version(k, it->version);
		it->rc = item_rc(kw_key_verify(
			svc->keys, partition, k->name, it->version, &it->params,
			it->in, it->in_len, it->sig, it->sig_len));
	}
	*version = it->version;
	return it->rc;
}

kw_rc kw_svc_key_verify(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, kw_svc_verify_item *items, size_t n)
{
	/* An invalid signature is an answer, not a failure. */
	return run_items(svc, c, KW_OP_KEY_VERIFY, partition, name, items, n,
			 verify_one, true);
}

static kw_rc encrypt_one(kw_service *svc, const kw_key_info *k,
			 const char *partition, void *items, size_t i,
			 uint32_t *version)
{
	kw_svc_enc_item *it = (kw_svc_enc_item *)items + i;
	if (it->rc == KW_OK)
		it->rc = item_rc(kw_key_encrypt(
			svc->keys, partition, k->name, &it->params, it->pt,
			it->pt_len, &it->ct, &it->ct_len, &it->version));
	*version = it->version;
	return it->rc;
}

kw_rc kw_svc_key_encrypt(kw_service *svc, kw_svc_call *c, const char *partition,
			 const char *name, kw_svc_enc_item *items, size_t n)
{
	return run_items(svc, c, KW_OP_KEY_ENCRYPT, partition, name, items, n,
			 encrypt_one, false);
}

static kw_rc decrypt_one(kw_service *svc, const kw_key_info *k,
			 const char *partition, void *items, size_t i,
			 uint32_t *version)
{
	kw_svc_dec_item *it = (kw_svc_dec_item *)items + i;
	if (it->rc == KW_OK) {
		it->version = consume_version(k, it->version);
		it->rc = item_rc(kw_key_decrypt(svc->keys, partition, k->name,
						it->version, &it->params,
						it->ct, it->ct_len, &it->pt));
	}
	*version = it->version;
	return it->rc;
}

kw_rc kw_svc_key_decrypt(kw_service *svc, kw_svc_call *c, const char *partition,
			 const char *name, kw_svc_dec_item *items, size_t n)
{
	return run_items(svc, c, KW_OP_KEY_DECRYPT, partition, name, items, n,
			 decrypt_one, false);
}

kw_rc kw_svc_key_mac(kw_service *svc, kw_svc_call *c, const char *partition,
		     const char *name, const uint8_t *in, size_t in_len,
		     uint8_t **out, size_t *out_len, uint32_t *out_version)
{
	kw_key_info *k = NULL;
	kw_rc rc =
		svc_authorize_key(svc, c, KW_OP_KEY_MAC, partition, name, &k);

	if (rc != KW_OK)
		goto out;
	rc = item_rc(kw_key_mac(svc->keys, partition, k->name, in, in_len, out,
				out_len, out_version));
	rc = items_done(c, 1, 0, rc == KW_OK ? *out_version : 0, rc);
out:
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_key_mac_verify(kw_service *svc, kw_svc_call *c,
			    const char *partition, const char *name,
			    uint32_t version, const uint8_t *in, size_t in_len,
			    const uint8_t *tag, size_t tag_len)
{
	kw_key_info *k = NULL;
	kw_rc rc =
		svc_authorize_key(svc, c, KW_OP_KEY_MAC, partition, name, &k);

	if (rc != KW_OK)
		goto out;
	version = consume_version(k, version);
	rc = item_rc(kw_key_mac_verify(svc->keys, partition, k->name, version,
				       in, in_len, tag, tag_len));
	items_done(c, 1, 0, version, rc == KW_E_VERIFY ? KW_OK : rc);
	snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"valid\":%s}",
		 rc == KW_OK ? "true" : "false");
out:
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_key_wrap(kw_service *svc, kw_svc_call *c, const char *partition,
		      const char *name, kw_wrap_mode mode, const kw_secret *in,
		      uint8_t **out, size_t *out_len, uint32_t *out_version)
{
	kw_key_info *k = NULL;
	kw_rc rc =
		svc_authorize_key(svc, c, KW_OP_KEY_WRAP, partition, name, &k);

	if (rc != KW_OK)
		goto out;
	rc = item_rc(kw_key_wrap(svc->keys, partition, k->name, mode, in->data,
				 in->len, out, out_len, out_version));
	rc = items_done(c, 1, 0, rc == KW_OK ? *out_version : 0, rc);
out:
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_key_unwrap(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, uint32_t version, kw_wrap_mode mode,
			const uint8_t *in, size_t in_len, kw_secret **out)
{
	kw_key_info *k = NULL;
	kw_rc rc = svc_authorize_key(svc, c, KW_OP_KEY_UNWRAP, partition, name,
				     &k);

	if (rc != KW_OK)
		goto out;
	version = consume_version(k, version);
	rc = item_rc(kw_key_unwrap(svc->keys, partition, k->name, version, mode,
				   in, in_len, out));
	rc = items_done(c, 1, 0, version, rc);
out:
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_key_datakey(kw_service *svc, kw_svc_call *c, const char *partition,
			 const char *name, kw_key_type dk,
			 const kw_enc_params *p, kw_secret **out_pt,
			 uint8_t **out_ct, size_t *out_ct_len,
			 uint32_t *out_version)
{
	kw_key_info *k = NULL;
	kw_secret *pt = NULL;
	kw_rc rc = svc_authorize_key(svc, c, KW_OP_KEY_DATAKEY, partition, name,
				     &k);

	if (rc != KW_OK)
		goto out;
	if (dk != KW_KEY_AES_128 && dk != KW_KEY_AES_256) {
		rc = KW_E_UNSUPPORTED;
		svc_reason(c, "data keys are aes-128 or aes-256");
		goto out;
	}
	snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"type\":\"%s\"}",
		 kw_key_type_name(dk));
	rc = kw_secret_new(kw_key_type_bits(dk) / 8, &pt);
	if (rc == KW_OK)
		rc = kw_random(pt->data, pt->len);
	if (rc != KW_OK)
		goto out;
	rc = item_rc(kw_key_encrypt(svc->keys, partition, k->name, p, pt->data,
				    pt->len, out_ct, out_ct_len, out_version));
	rc = items_done(c, 1, 0, rc == KW_OK ? *out_version : 0, rc);
	if (rc != KW_OK)
		goto out;
	*out_pt = pt;
	pt = NULL;
out:
	kw_secret_free(pt);
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_random(kw_service *svc, kw_svc_call *c, const char *partition,
		    size_t n, kw_secret **out)
{
	kw_secret *s = NULL;
	kw_rc rc = svc_authorize(svc, c, KW_OP_RANDOM, partition);

	if (rc != KW_OK)
		goto out;
	if (n < 1 || n > RANDOM_MAX) {
		rc = KW_E_INVALID;
		svc_reason(c, "bytes must be 1..%d", RANDOM_MAX);
		goto out;
	}
	snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"bytes\":%zu}", n);
	rc = kw_secret_new(n, &s);
	if (rc == KW_OK)
		rc = kw_random(s->data, s->len);
	if (rc != KW_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	kw_secret_free(s);
	return rc;
}
