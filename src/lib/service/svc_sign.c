/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* Code signing and the time-stamping authority (svc_ca.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "service/internal.h"
#include "service/svc_ca.h"
#include "util/codec.h"

/* Lowercase hex of SHA-256 over p[0..n), into out (65 bytes). */
static void sha256_hex(const void *p, size_t n, char out[65])
{
	uint8_t dg[KW_DIGEST_MAX];
	size_t dl = 0;

	out[0] = '\0';
	if (kw_digest(KW_HASH_SHA256, p, n, dg, &dl) == KW_OK)
		kw_hex_encode(dg, dl, out);
}

static char *params_text(json_t *o)
{
	char *s =
		o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return s;
}

kw_rc kw_svc_codesign(kw_service *svc, kw_svc_call *c, const kw_codesign_req *r,
		      uint8_t **out, size_t *out_len, char *out_serial)
{
	kw_key_info *k = NULL;
	char err[KW_SVC_REASON_MAX] = "", *params = NULL;
	char digest[2 * KW_DIGEST_MAX + 1] = "", pem_sha[65] = "";
	kw_rc rc = svc_authorize_key(svc, c, KW_OP_KEY_SIGN, r->partition,
				     r->key, &k);

	if (rc != KW_OK)
		goto out;
	/* An approval binds the exact release: the file's digest and the
	 * certificate that will vouch for it. */
	if (r->digest_len <= KW_DIGEST_MAX)
		kw_hex_encode(r->digest, r->digest_len, digest);
	if (r->cert_pem != NULL)
		sha256_hex(r->cert_pem, r->cert_pem_len, pem_sha);
	params = params_text(json_pack(
		"{s:{s:s?,s:s,s:s?,s:s?}}", "codesign", "hash",
		kw_hash_name(r->hash), "digest", digest, "cert", r->cert,
		"cert_pem_sha256", r->cert_pem != NULL ? pem_sha : NULL));
	rc = svc_quorum_gate(svc, c, KW_QOP_KEY_SIGN, r->partition, k, params);
	if (rc != KW_OK)
		goto out;
	kw_codesign_req q = *r;
	q.key = k->id;
	rc = kw_codesign(svc->pki, &q, out, out_len, out_serial, err,
			 sizeof(err));
	if (rc != KW_OK && err[0] != '\0')
		svc_reason(c, "%s", err);
	if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"cert\":\"%s\",\"digest\":\"%.128s\",\"hash\":"
			 "\"%s\"}",
			 out_serial != NULL ? out_serial : "", digest,
			 kw_hash_name(r->hash));
out:
	free(params);
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_tsa_set(kw_service *svc, kw_svc_call *c, const char *partition,
		     const char *serial, const char *policy, kw_tsa_info *out)
{
	char err[KW_SVC_REASON_MAX] = "";
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_UPDATE, partition);

	if (rc == KW_OK)
		rc = kw_tsa_set(svc->pki, partition, serial, policy, out, err,
				sizeof(err));
	if (rc != KW_OK && err[0] != '\0')
		svc_reason(c, "%s", err);
	if (rc == KW_OK) {
		svc_event_key(c, out->key, 0);
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"cert\":\"%s\",\"policy\":\"%s\"}", out->serial,
			 out->policy);
	}
	return rc;
}

kw_rc kw_svc_tsa_get(kw_service *svc, kw_svc_call *c, const char *partition,
		     kw_tsa_info *out)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);

	if (rc == KW_OK)
		rc = kw_tsa_get(svc->pki, partition, out);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no time-stamping authority is set in this "
			      "partition");
	return rc;
}

kw_rc kw_svc_tsa_stamp(kw_service *svc, kw_svc_call *c, const char *partition,
		       const uint8_t *req, size_t req_len, uint8_t **out,
		       size_t *out_len)
{
	kw_tsa_info tsa;
	kw_tsa_result res;
	kw_key_info *k = NULL;
	char hex[65], *params = NULL;
	kw_rc rc = kw_svc_tsa_get(svc, c, partition, &tsa);

	if (rc == KW_OK)
		rc = svc_authorize_key(svc, c, KW_OP_KEY_SIGN, partition,
				       tsa.key, &k);
	if (rc != KW_OK)
		goto out;
	sha256_hex(req, req_len, hex);
	params = params_text(
		json_pack("{s:{s:s}}", "timestamp", "request_sha256", hex));
	rc = svc_quorum_gate(svc, c, KW_QOP_KEY_SIGN, partition, k, params);
	if (rc == KW_OK)
		rc = kw_tsa_stamp(svc->pki, partition, req, req_len, out,
				  out_len, &res);
	if (rc == KW_E_STATE)
		svc_reason(c, "the TSA certificate is revoked or expired, or "
			      "its key cannot sign");
	if (rc == KW_OK && res.granted)
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"granted\":true,\"request_sha256\":\"%s\","
			 "\"serial\":\"%s\"}",
			 hex, res.serial);
	else if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"granted\":false,\"reason\":\"%s\"}", res.reason);
out:
	free(params);
	kw_key_info_free(k);
	return rc;
}
