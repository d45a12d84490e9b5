/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/handlers.h"
#include "daemon/specs.h"
#include "daemon/wire.h"

/*
 * Crypto requests come single ({"input":...}) or as a batch
 * ({"batch":[{...},...]}, up to limits.max_batch_items). Both decode into
 * the same item struct; the handler turns each item into the service's
 * item, calls the service once, and answers either the one result or an
 * array with a result or an error per item.
 */

/* The items of a request: the batch, or the single one embedded at the
 * top (one_set: some field of the single request was given; missing: the
 * name of the single request's required field if absent, else NULL), and
 * a zeroed array of as many service items of svc_size bytes. Answers 400
 * and returns 0 if the body mixes both, or lacks a required field. */
static size_t items_of(kw_req *r, bool one_set, const char *missing,
		       const kw_batch *batch, void *one, void **out,
		       size_t svc_size, void **out_svc)
{
	char msg[64];

	if (batch->set && one_set) {
		kw_reply_error(r, 400, "invalid_argument",
			       "batch excludes the fields of a single request");
		return 0;
	}
	if (!batch->set && missing != NULL) {
		snprintf(msg, sizeof(msg), "%s is required", missing);
		kw_reply_error(r, 400, "missing_field", msg);
		return 0;
	}
	*out = batch->set ? batch->items : one;
	*out_svc = calloc(batch->set ? batch->n : 1, svc_size);
	if (*out_svc == NULL) {
		kw_reply_rc(r, KW_E_NOMEM);
		return 0;
	}
	return batch->set ? batch->n : 1;
}

/* Answers a crypto call: its error, the one result of a single request, or
 * {"batch":[...]} with result(svc, i) per item. */
static void reply_items(kw_req *r, kw_rc rc, bool batch, size_t n,
			json_t *(*result)(const void *svc, size_t i),
			const void *svc)
{
	json_t *out;

	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		return;
	}
	if (!batch) {
		kw_reply_json(r, 200, result(svc, 0));
		return;
	}
	out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, result(svc, i));
	kw_reply_json(r, 200, json_pack("{s:o}", "batch", out));
}

/* ---- sign, verify ---------------------------------------------------------- */

static bool sign_item_set(const kw_sign_item *it)
{
	return it->input.set || it->digest.set || it->hash != NULL ||
	       it->scheme != NULL || it->salt_length.set ||
	       it->format != NULL || it->signature.set || it->key_version.set;
}

/* An item's parameters. KW_OK, KW_E_INVALID (not exactly one of input and
 * digest) or KW_E_UNSUPPORTED (unknown name); for a single request a
 * failure is answered (400) and false returned. */
static bool sign_params_of(kw_req *r, bool batch, const kw_sign_item *it,
			   kw_sign_params *p, bool *hash_set,
			   const uint8_t **in, size_t *in_len, kw_rc *out_rc)
{
	kw_rc rc = KW_OK;

	memset(p, 0, sizeof(*p));
	p->pss_salt_len = -1;
	*hash_set = it->hash != NULL;
	if (it->input.set == it->digest.set)
		rc = KW_E_INVALID;
	else if ((it->hash != NULL &&
		  kw_hash_parse(it->hash, &p->hash) != KW_OK) ||
		 (it->scheme != NULL &&
		  kw_sig_scheme_parse(it->scheme, &p->scheme) != KW_OK) ||
		 (it->format != NULL && strcmp(it->format, "raw") != 0 &&
		  strcmp(it->format, "der") != 0))
		rc = KW_E_UNSUPPORTED;
	*out_rc = rc;
	if (rc != KW_OK && !batch) {
		kw_reply_error(
			r, 400, kw_rc_str(rc),
			rc == KW_E_INVALID
				? "give exactly one of input and digest"
				: "unknown hash, scheme or format (hash: "
				  "sha1, sha224, sha256, sha384, sha512, "
				  "none; scheme: pkcs1, pss, ecdsa, "
				  "eddsa; format: der, raw)");
		return false;
	}
	if (it->format != NULL && strcmp(it->format, "raw") == 0)
		p->format = KW_SIG_FORMAT_RAW;
	if (it->salt_length.set)
		p->pss_salt_len = (int)it->salt_length.v;
	p->prehashed = it->digest.set;
	*in = it->digest.set ? it->digest.data : it->input.data;
	*in_len = it->digest.set ? it->digest.len : it->input.len;
	return true;
}

static json_t *sign_result(const void *svc, size_t i)
{
	const kw_svc_sign_item *it = (const kw_svc_sign_item *)svc + i;
	if (it->rc != KW_OK)
		return kw_json_item_error(it->rc);
	return json_pack("{s:o,s:I}", "signature",
			 kw_json_b64(it->sig, it->sig_len), "key_version",
			 (json_int_t)it->version);
}

void kw_h_sign(kw_req *r)
{
	kw_sign_req in = {0};
	kw_sign_item *items = NULL;
	kw_svc_sign_item *si = NULL;
	size_t n = 0;

	if (!kw_req_decode(r, kw_sign_spec, KW_NFIELDS(kw_sign_spec), &in))
		goto out;
	n = items_of(r, sign_item_set(&in.one), NULL, &in.batch, &in.one,
		     (void **)&items, sizeof(*si), (void **)&si);
	for (size_t i = 0; i < n; i++)
		if (!sign_params_of(r, in.batch.set, &items[i], &si[i].params,
				    &si[i].hash_set, &si[i].in, &si[i].in_len,
				    &si[i].rc))
			goto out;
	if (n > 0)
		reply_items(r,
			    kw_svc_key_sign(r->svc, &r->call,
					    kw_req_partition(r),
					    kw_req_param(r, 0), si, n),
			    in.batch.set, n, sign_result, si);
out:
	for (size_t i = 0; si != NULL && i < n; i++)
		free(si[i].sig);
	free(si);
	kw_decoded_free(kw_sign_spec, KW_NFIELDS(kw_sign_spec), &in);
}

static json_t *verify_result(const void *svc, size_t i)
{
	const kw_svc_verify_item *it = (const kw_svc_verify_item *)svc + i;
	if (it->rc != KW_OK && it->rc != KW_E_VERIFY)
		return kw_json_item_error(it->rc);
	return json_pack("{s:b,s:I}", "valid", it->rc == KW_OK, "key_version",
			 (json_int_t)it->version);
}

void kw_h_verify(kw_req *r)
{
	kw_sign_req in = {0};
	kw_sign_item *items = NULL;
	kw_svc_verify_item *vi = NULL;
	size_t n = 0;

	if (!kw_req_decode(r, kw_verify_spec, KW_NFIELDS(kw_verify_spec), &in))
		goto out;
	n = items_of(r, sign_item_set(&in.one),
		     in.one.signature.set ? NULL : "signature", &in.batch,
		     &in.one, (void **)&items, sizeof(*vi), (void **)&vi);
	for (size_t i = 0; i < n; i++) {
		if (!sign_params_of(r, in.batch.set, &items[i], &vi[i].params,
				    &vi[i].hash_set, &vi[i].in, &vi[i].in_len,
				    &vi[i].rc))
			goto out;
		vi[i].sig = items[i].signature.data;
		vi[i].sig_len = items[i].signature.len;
		vi[i].version = (uint32_t)items[i].key_version.v;
	}
	if (n > 0)
		reply_items(r,
			    kw_svc_key_verify(r->svc, &r->call,
					      kw_req_partition(r),
					      kw_req_param(r, 0), vi, n),
			    in.batch.set, n, verify_result, vi);
out:
	free(vi);
	kw_decoded_free(kw_verify_spec, KW_NFIELDS(kw_verify_spec), &in);
}

/* ---- encrypt, decrypt ---------------------------------------------------------- */

static bool enc_item_set(const kw_enc_item *it)
{
	return it->plaintext != NULL || it->ciphertext.set || it->aad.set ||
	       it->oaep_hash != NULL || it->label.set;
}

/* An item's parameters; an unknown OAEP hash is KW_E_UNSUPPORTED (for a
 * single request answered 400, and false returned). */
static bool enc_params_of(kw_req *r, bool batch, const kw_enc_item *it,
			  kw_enc_params *p, kw_rc *out_rc)
{
	memset(p, 0, sizeof(*p));
	p->aad = it->aad.data;
	p->aad_len = it->aad.len;
	p->label = it->label.data;
	p->label_len = it->label.len;
	*out_rc = KW_OK;
	if (it->oaep_hash != NULL &&
	    (kw_hash_parse(it->oaep_hash, &p->oaep_hash) != KW_OK ||
	     p->oaep_hash == KW_HASH_NONE))
		*out_rc = KW_E_UNSUPPORTED;
	if (*out_rc != KW_OK && !batch) {
		kw_reply_error(r, 400, "unsupported",
			       "oaep_hash is sha1, sha224, sha256, sha384 or "
			       "sha512");
		return false;
	}
	return true;
}

static json_t *enc_result(const void *svc, size_t i)
{
	const kw_svc_enc_item *it = (const kw_svc_enc_item *)svc + i;
	if (it->rc != KW_OK)
		return kw_json_item_error(it->rc);
	return json_pack("{s:o,s:I}", "ciphertext",
			 kw_json_ciphertext(it->version, it->ct, it->ct_len),
			 "key_version", (json_int_t)it->version);
}

void kw_h_encrypt(kw_req *r)
{
	kw_enc_req in = {0};
	kw_enc_item *items = NULL;
	kw_svc_enc_item *ei = NULL;
	size_t n = 0;

	if (!kw_req_decode(r, kw_encrypt_spec, KW_NFIELDS(kw_encrypt_spec),
			   &in))
		goto out;
	n = items_of(r, enc_item_set(&in.one),
		     in.one.plaintext != NULL ? NULL : "plaintext", &in.batch,
		     &in.one, (void **)&items, sizeof(*ei), (void **)&ei);
	for (size_t i = 0; i < n; i++) {
		if (!enc_params_of(r, in.batch.set, &items[i], &ei[i].params,
				   &ei[i].rc))
			goto out;
		ei[i].pt = items[i].plaintext->data;
		ei[i].pt_len = items[i].plaintext->len;
	}
	if (n > 0)
		reply_items(r,
			    kw_svc_key_encrypt(r->svc, &r->call,
					       kw_req_partition(r),
					       kw_req_param(r, 0), ei, n),
			    in.batch.set, n, enc_result, ei);
out:
	for (size_t i = 0; ei != NULL && i < n; i++)
		free(ei[i].ct);
	free(ei);
	kw_decoded_free(kw_encrypt_spec, KW_NFIELDS(kw_encrypt_spec), &in);
}

static json_t *dec_result(const void *svc, size_t i)
{
	const kw_svc_dec_item *it = (const kw_svc_dec_item *)svc + i;
	if (it->rc != KW_OK)
		return kw_json_item_error(it->rc);
	return json_pack("{s:o}", "plaintext",
			 kw_json_b64(it->pt->data, it->pt->len));
}

void kw_h_decrypt(kw_req *r)
{
	kw_enc_req in = {0};
	kw_enc_item *items = NULL;
	kw_svc_dec_item *di = NULL;
	size_t n = 0;

	if (!kw_req_decode(r, kw_decrypt_spec, KW_NFIELDS(kw_decrypt_spec),
			   &in))
		goto out;
	n = items_of(r, enc_item_set(&in.one),
		     in.one.ciphertext.set ? NULL : "ciphertext", &in.batch,
		     &in.one, (void **)&items, sizeof(*di), (void **)&di);
	for (size_t i = 0; i < n; i++) {
		if (!enc_params_of(r, in.batch.set, &items[i], &di[i].params,
				   &di[i].rc))
			goto out;
		di[i].ct = items[i].ciphertext.data;
		di[i].ct_len = items[i].ciphertext.len;
		di[i].version = items[i].ciphertext.version;
	}
	if (n > 0)
		reply_items(r,
			    kw_svc_key_decrypt(r->svc, &r->call,
					       kw_req_partition(r),
					       kw_req_param(r, 0), di, n),
			    in.batch.set, n, dec_result, di);
out:
	for (size_t i = 0; di != NULL && i < n; i++)
		kw_secret_free(di[i].pt);
	free(di);
	kw_decoded_free(kw_decrypt_spec, KW_NFIELDS(kw_decrypt_spec), &in);
}

/* ---- mac, wrap, data keys, random ------------------------------------------------ */

void kw_h_mac(kw_req *r)
{
	kw_mac_req in = {0};
	uint8_t *mac = NULL;
	size_t len = 0;
	uint32_t version = 0;
	kw_rc rc;

	if (!kw_req_decode(r, kw_mac_spec, KW_NFIELDS(kw_mac_spec), &in))
		goto out;
	rc = kw_svc_key_mac(r->svc, &r->call, kw_req_partition(r),
			    kw_req_param(r, 0), in.input.data, in.input.len,
			    &mac, &len, &version);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      json_pack("{s:o,s:I}", "mac",
					kw_json_b64(mac, len), "key_version",
					(json_int_t)version));
out:
	free(mac);
	kw_decoded_free(kw_mac_spec, KW_NFIELDS(kw_mac_spec), &in);
}

void kw_h_mac_verify(kw_req *r)
{
	kw_mac_req in = {0};
	kw_rc rc;

	if (!kw_req_decode(r, kw_mac_verify_spec,
			   KW_NFIELDS(kw_mac_verify_spec), &in))
		goto out;
	rc = kw_svc_key_mac_verify(r->svc, &r->call, kw_req_partition(r),
				   kw_req_param(r, 0),
				   (uint32_t)in.key_version.v, in.input.data,
				   in.input.len, in.mac.data, in.mac.len);
	if (rc != KW_OK && rc != KW_E_VERIFY)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      json_pack("{s:b,s:I}", "valid", rc == KW_OK,
					"key_version",
					(json_int_t)r->call.ev.key_version));
out:
	kw_decoded_free(kw_mac_verify_spec, KW_NFIELDS(kw_mac_verify_spec),
			&in);
}

/* "kwp" (RFC 5649, any length; the default) or "kw" (RFC 3394). */
static bool wrap_mode_of(kw_req *r, const char *s, kw_wrap_mode *out)
{
	*out = KW_WRAP_AES_KWP;
	if (s == NULL || strcmp(s, "kwp") == 0)
		return true;
	if (strcmp(s, "kw") == 0) {
		*out = KW_WRAP_AES_KW;
		return true;
	}
	kw_reply_error(r, 400, "unsupported", "mode is kw or kwp");
	return false;
}

void kw_h_wrap(kw_req *r)
{
	kw_wrap_req in = {0};
	kw_wrap_mode mode;
	uint8_t *out = NULL;
	size_t len = 0;
	uint32_t version = 0;
	kw_rc rc;

	if (!kw_req_decode(r, kw_wrap_spec, KW_NFIELDS(kw_wrap_spec), &in) ||
	    !wrap_mode_of(r, in.mode, &mode))
		goto out;
	rc = kw_svc_key_wrap(r->svc, &r->call, kw_req_partition(r),
			     kw_req_param(r, 0), mode, in.input, &out, &len,
			     &version);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      json_pack("{s:o,s:I}", "wrapped",
					kw_json_ciphertext(version, out, len),
					"key_version", (json_int_t)version));
out:
	free(out);
	kw_decoded_free(kw_wrap_spec, KW_NFIELDS(kw_wrap_spec), &in);
}

void kw_h_unwrap(kw_req *r)
{
	kw_wrap_req in = {0};
	kw_wrap_mode mode;
	kw_secret *pt = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, kw_unwrap_spec, KW_NFIELDS(kw_unwrap_spec),
			   &in) ||
	    !wrap_mode_of(r, in.mode, &mode))
		goto out;
	rc = kw_svc_key_unwrap(r->svc, &r->call, kw_req_partition(r),
			       kw_req_param(r, 0), in.wrapped.version, mode,
			       in.wrapped.data, in.wrapped.len, &pt);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      json_pack("{s:o}", "plaintext",
					kw_json_b64(pt->data, pt->len)));
out:
	kw_secret_free(pt);
	kw_decoded_free(kw_unwrap_spec, KW_NFIELDS(kw_unwrap_spec), &in);
}

void kw_h_datakey(kw_req *r)
{
	kw_datakey_req in = {0};
	kw_enc_item params_in = {0};
	kw_enc_params p;
	kw_key_type dk = KW_KEY_AES_256;
	kw_secret *pt = NULL;
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	uint32_t version = 0;
	kw_rc rc;

	if (!kw_req_decode(r, kw_datakey_spec, KW_NFIELDS(kw_datakey_spec),
			   &in))
		goto out;
	params_in.aad = in.aad;
	params_in.oaep_hash = in.oaep_hash;
	params_in.label = in.label;
	if (!enc_params_of(r, false, &params_in, &p, &rc))
		goto out;
	if (in.type != NULL && kw_key_type_parse(in.type, &dk) != KW_OK) {
		kw_reply_error(r, 400, "unsupported",
			       "type is aes-128 or aes-256");
		goto out;
	}
	rc = kw_svc_key_datakey(r->svc, &r->call, kw_req_partition(r),
				kw_req_param(r, 0), dk, &p, &pt, &ct, &ct_len,
				&version);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      json_pack("{s:o,s:o,s:I}", "plaintext",
					kw_json_b64(pt->data, pt->len),
					"ciphertext",
					kw_json_ciphertext(version, ct, ct_len),
					"key_version", (json_int_t)version));
out:
	kw_secret_free(pt);
	free(ct);
	kw_decoded_free(kw_datakey_spec, KW_NFIELDS(kw_datakey_spec), &in);
}

void kw_h_random(kw_req *r)
{
	kw_random_req in = {0};
	kw_secret *s = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, kw_random_spec, KW_NFIELDS(kw_random_spec), &in))
		return;
	rc = kw_svc_random(r->svc, &r->call, kw_req_partition(r),
			   (size_t)in.bytes.v, &s);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      json_pack("{s:o}", "random",
					kw_json_b64(s->data, s->len)));
	kw_secret_free(s);
}
