/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backup/json.h"
#include "daemon/handlers.h"
#include "daemon/routes_backup.h"
#include "daemon/wire.h"
#include "service/svc_backup.h"

/* The name of the transfer document's format (docs/backup.md). */
#define TRANSFER_FORMAT "keywarden-key-transfer-1"

/* ---- shares ------------------------------------------------------------ */

/* A JSON array of share texts as secrets (*out NULL and n 0 for none). */
static bool shares_of(kw_req *r, const json_t *arr, kw_secret ***out,
		      size_t *out_n)
{
	size_t n = json_array_size(arr), i;
	json_t *v;
	kw_secret **s = NULL;

	*out = NULL;
	*out_n = 0;
	if (n == 0)
		return true;
	s = calloc(n, sizeof(*s));
	if (s == NULL) {
		kw_reply_rc(r, KW_E_NOMEM);
		return false;
	}
	json_array_foreach(arr, i, v)
	{
		if (kw_secret_from(json_string_value(v), json_string_length(v),
				   &s[i]) != KW_OK) {
			kw_barrier_shares_free(s, (unsigned)n);
			kw_reply_rc(r, KW_E_NOMEM);
			return false;
		}
	}
	*out = s;
	*out_n = n;
	return true;
}

static json_t *shares_json(kw_secret **s, unsigned n)
{
	json_t *arr = json_array();
	for (unsigned i = 0; arr != NULL && i < n; i++)
		json_array_append_new(
			arr, json_stringn((const char *)s[i]->data, s[i]->len));
	return arr;
}

/* ---- create, verify, restore ------------------------------------------------ */

typedef struct create_req {
	const char *keying;
	kw_opt_uint shares, threshold, chunk_size;
} create_req;

static const kw_field create_spec[] = {
	KW_FIELD(create_req, keying, "keying", KW_FIELD_STRING, false, 1, 16),
	KW_FIELD(create_req, shares, "shares", KW_FIELD_UINT, false, 1, 255),
	KW_FIELD(create_req, threshold, "threshold", KW_FIELD_UINT, false, 1,
		 255),
	KW_FIELD(create_req, chunk_size, "chunk_size", KW_FIELD_UINT, false,
		 KW_BACKUP_CHUNK_MIN, KW_BACKUP_CHUNK_MAX),
};

void kw_h_backup_create(kw_req *r)
{
	create_req in = {0};
	kw_backup_params p = {.keying = KW_BACKUP_KEYING_MASTER};
	kw_backup_info info;
	kw_secret **shares = NULL;
	uint8_t *file = NULL;
	size_t len = 0;
	kw_rc rc;

	if (!kw_req_decode(r, create_spec, KW_NFIELDS(create_spec), &in))
		goto out;
	if (in.keying != NULL &&
	    kw_backup_keying_parse(in.keying, &p.keying) != KW_OK) {
		kw_reply_error(r, 400, "invalid_argument",
			       "keying is master or custodians");
		goto out;
	}
	p.shares = (unsigned)in.shares.v;
	p.threshold = (unsigned)in.threshold.v;
	p.chunk_size = (size_t)in.chunk_size.v;
	rc = kw_svc_backup_create(r->svc, &r->call, &p, &file, &len, &info,
				  &shares);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	json_t *body = json_pack("{s:o,s:o}", "backup", kw_json_b64(file, len),
				 "info", kw_backup_info_json(&info));
	if (body != NULL && shares != NULL)
		json_object_set_new(body, "shares",
				    shares_json(shares, p.shares));
	kw_reply_json(r, 200, body);
out:
	kw_barrier_shares_free(shares, p.shares);
	free(file);
}

typedef struct verify_req {
	kw_bytes backup;
	const json_t *shares;
	kw_opt_uint new_shares, new_threshold;
} verify_req;

#define BACKUP_FIELDS                                                     \
	KW_FIELD(verify_req, backup, "backup", KW_FIELD_B64, true, 1, 0), \
		KW_FIELD(verify_req, shares, "shares", KW_FIELD_STRINGS,  \
			 false, 1, KW_SHARES_MAX)

static const kw_field verify_spec[] = {BACKUP_FIELDS};

static const kw_field restore_spec[] = {
	BACKUP_FIELDS,
	KW_FIELD(verify_req, new_shares, "new_shares", KW_FIELD_UINT, false, 1,
		 KW_SHARES_MAX),
	KW_FIELD(verify_req, new_threshold, "new_threshold", KW_FIELD_UINT,
		 false, 1, KW_SHARES_MAX),
};

/* verify and restore: the same body (restore adds the new split). */
static void backup_send(kw_req *r, bool restore)
{
	verify_req in = {0};
	const kw_field *spec = restore ? restore_spec : verify_spec;
	size_t spec_n =
		restore ? KW_NFIELDS(restore_spec) : KW_NFIELDS(verify_spec);
	kw_secret **shares = NULL, **fresh = NULL;
	size_t n = 0;
	unsigned fresh_n = 0;
	kw_backup_info info;
	json_t *body;
	kw_rc rc;

	if (!kw_req_decode(r, spec, spec_n, &in) ||
	    !shares_of(r, in.shares, &shares, &n))
		goto out;
	if (restore)
		rc = kw_svc_backup_restore(
			r->svc, &r->call, in.backup.data, in.backup.len, shares,
			n, (unsigned)in.new_shares.v,
			(unsigned)(in.new_threshold.set ? in.new_threshold.v
							: in.new_shares.v),
			&info, &fresh, &fresh_n);
	else
		rc = kw_svc_backup_verify(r->svc, &r->call, in.backup.data,
					  in.backup.len, shares, n, &info);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	body = json_pack("{s:o}", "info", kw_backup_info_json(&info));
	if (body != NULL && restore) {
		/* Applied once the requests in flight are done: the daemon
		 * reopens on the restored database within a second. */
		json_object_set_new(body, "applying", json_true());
		if (fresh != NULL)
			json_object_set_new(body, "shares",
					    shares_json(fresh, fresh_n));
	}
	kw_reply_json(r, 200, body);
out:
	kw_barrier_shares_free(fresh, fresh_n);
	kw_barrier_shares_free(shares, (unsigned)n);
	kw_decoded_free(spec, spec_n, &in);
}

void kw_h_backup_verify(kw_req *r)
{
	backup_send(r, false);
}

void kw_h_backup_restore(kw_req *r)
{
	backup_send(r, true);
}

/* ---- key transfer ------------------------------------------------------------- */

typedef struct export_req {
	const char *wrapping;
	const char *transport_key;
	const char *wrapping_key;
	kw_opt_uint version;
} export_req;

static const kw_field export_spec[] = {
	KW_FIELD(export_req, wrapping, "wrapping", KW_FIELD_STRING, false, 1,
		 32),
	KW_FIELD(export_req, transport_key, "transport_key", KW_FIELD_STRING,
		 false, 1, 16384),
	KW_FIELD(export_req, wrapping_key, "wrapping_key", KW_FIELD_STRING,
		 false, 1, KW_NAME_MAX),
	KW_FIELD(export_req, version, "version", KW_FIELD_UINT, false, 1,
		 KW_KEY_VERSIONS_MAX),
};

/* The transfer document: the key's attributes, how it is wrapped, the
 * wrapped bytes. */
static json_t *transfer_doc(const kw_svc_export *e, const char *wrapping,
			    const char *wrapping_key)
{
	json_t *key = kw_json_key(e->key);
	json_t *doc = json_pack(
		"{s:s,s:s,s:O?,s:O?,s:O?,s:O?,s:i,s:s,s:s?,s:o}", "format",
		TRANSFER_FORMAT, "name", e->key->name, "type",
		json_object_get(key, "type"), "usages",
		json_object_get(key, "usages"), "labels",
		json_object_get(key, "labels"), "policy",
		json_object_get(key, "policy"), "version", (int)e->version,
		"wrapping", wrapping, "wrapping_key", wrapping_key, "wrapped",
		kw_json_b64(e->wrapped, e->wrapped_len));
	json_decref(key);
	return doc;
}

void kw_h_key_export(kw_req *r)
{
	export_req in = {0};
	kw_transfer_wrap w;
	kw_svc_export e = {0};
	kw_rc rc;

	if (!kw_req_decode(r, export_spec, KW_NFIELDS(export_spec), &in))
		return;
	if (in.wrapping == NULL)
		in.wrapping =
			in.transport_key != NULL ? "rsa-aes-kwp" : "aes-kwp";
	if (kw_transfer_wrap_parse(in.wrapping, &w) != KW_OK ||
	    (w == KW_TRANSFER_RSA_AES_KWP &&
	     (in.transport_key == NULL || in.wrapping_key != NULL)) ||
	    (w == KW_TRANSFER_AES_KWP &&
	     (in.wrapping_key == NULL || in.transport_key != NULL))) {
		kw_reply_error(
			r, 400, "invalid_argument",
			"wrapping rsa-aes-kwp takes transport_key (PEM), "
			"aes-kwp takes wrapping_key (a key name)");
		return;
	}
	rc = kw_svc_key_export(
		r->svc, &r->call, kw_req_partition(r), kw_req_param(r, 0),
		(uint32_t)in.version.v, w, (const uint8_t *)in.transport_key,
		in.transport_key != NULL ? strlen(in.transport_key) : 0,
		in.wrapping_key, &e);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200,
			      transfer_doc(&e, in.wrapping, in.wrapping_key));
	kw_svc_export_clear(&e);
}

/* The body of POST /v1/keys/import: a key create request (first, so the
 * create spec's offsets hold) and the wrapped material. */
typedef struct import_req {
	kw_key_create_req k;
	const char *wrapping;
	kw_bytes wrapped;
	const char *unwrapping_key;
	kw_opt_uint unwrapping_version;
} import_req;

#define CREATE_N KW_NFIELDS(kw_key_create_spec)

static const kw_field import_extra[] = {
	KW_FIELD(import_req, wrapping, "wrapping", KW_FIELD_STRING, true, 1,
		 32),
	KW_FIELD(import_req, wrapped, "wrapped", KW_FIELD_B64, true, 1, 16384),
	KW_FIELD(import_req, unwrapping_key, "unwrapping_key", KW_FIELD_STRING,
		 true, 1, KW_NAME_MAX),
	KW_FIELD(import_req, unwrapping_version, "unwrapping_version",
		 KW_FIELD_UINT, false, 1, KW_KEY_VERSIONS_MAX),
};

static kw_field import_spec[CREATE_N + KW_NFIELDS(import_extra)];
static pthread_once_t import_once = PTHREAD_ONCE_INIT;

static void import_spec_init(void)
{
	memcpy(import_spec, kw_key_create_spec, sizeof(kw_key_create_spec));
	memcpy(import_spec + CREATE_N, import_extra, sizeof(import_extra));
}

void kw_h_key_import(kw_req *r)
{
	import_req in = {0};
	kw_key_spec spec = {0};
	kw_key_info *k = NULL;
	kw_label *labels = NULL;
	char *policy = NULL;
	kw_transfer_wrap w;
	kw_rc rc;

	pthread_once(&import_once, import_spec_init);
	if (!kw_req_decode(r, import_spec, KW_NFIELDS(import_spec), &in) ||
	    !kw_h_key_spec_of(r, &in.k, &spec, &labels, &policy))
		goto out;
	if (kw_transfer_wrap_parse(in.wrapping, &w) != KW_OK) {
		kw_reply_error(r, 400, "invalid_argument",
			       "wrapping is rsa-aes-kwp or aes-kwp");
		goto out;
	}
	rc = kw_svc_key_import(r->svc, &r->call, &spec, w, in.unwrapping_key,
			       (uint32_t)in.unwrapping_version.v,
			       in.wrapped.data, in.wrapped.len, &k);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 201, kw_json_key(k));
out:
	kw_key_info_free(k);
	free(labels);
	free(policy);
	kw_decoded_free(import_spec, KW_NFIELDS(import_spec), &in);
}
