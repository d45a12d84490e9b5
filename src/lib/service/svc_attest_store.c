/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "service"

/* Records of the TPM features (type KW_REC_AGENT, sealed by the barrier
 * like every record): enrolled agents and attestation policies, and the
 * policy routes. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "service/attest_int.h"
#include "util/codec.h"

int64_t att_now(void)
{
	return (int64_t)time(NULL);
}

kw_rc att_new_id(char prefix, char out[ATT_ID_LEN + 1])
{
	uint8_t r[16];
	kw_rc rc = kw_random(r, sizeof(r));

	if (rc != KW_OK)
		return rc;
	out[0] = prefix;
	out[1] = '-';
	kw_hex_encode(r, sizeof(r), out + 2);
	out[ATT_ID_LEN] = '\0';
	return KW_OK;
}

void att_sel_text(const kw_tpm_pcrsel *sel, char *out, size_t n)
{
	size_t off = (size_t)snprintf(out, n, "%s:", kw_hash_name(sel->bank));

	for (unsigned i = 0; i < KW_TPM_PCRS && off < n; i++)
		if (sel->mask & (1u << i))
			off += (size_t)snprintf(out + off, n - off, "%s%u",
						out[off - 1] == ':' ? "" : ",",
						i);
}

kw_rc att_rec_bytes(const json_t *rec, const char *member, uint8_t **out,
		    size_t *out_len)
{
	const char *v = json_string_value(json_object_get(rec, member));
	kw_rc rc = KW_E_INTEGRITY;

	if (v != NULL)
		rc = kw_base64_decode_alloc(v, strlen(v), false, out, out_len);
	return rc == KW_E_INVALID ? KW_E_INTEGRITY : rc;
}

kw_rc att_credential(const uint8_t *ek_pub, size_t ek_pub_len,
		     const uint8_t *name, size_t name_len, kw_secret **out_cred,
		     uint8_t **out_blob, size_t *out_blob_len,
		     uint8_t **out_secret, size_t *out_secret_len)
{
	kw_secret *cred = NULL;
	kw_rc rc = kw_secret_new(32, &cred);

	if (rc == KW_OK)
		rc = kw_random(cred->data, 32);
	if (rc == KW_OK)
		rc = kw_tpm_credential_make(ek_pub, ek_pub_len, name, name_len,
					    cred, out_blob, out_blob_len,
					    out_secret, out_secret_len);
	if (rc == KW_OK) {
		*out_cred = cred;
		cred = NULL;
	}
	kw_secret_free(cred);
	return rc;
}

kw_rc att_rec_get(kw_service *svc, const char *lookup, json_t **out_doc,
		  char *out_id, uint64_t *out_version)
{
	kw_store_txn *t = NULL;
	kw_secret *data = NULL;
	char id[KW_STORE_ID_MAX + 1];
	json_t *doc = NULL;
	kw_rc rc = kw_store_txn_begin(svc->store, false, &t);

	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_rec_find(svc->barrier, t, KW_REC_AGENT, lookup, id,
				 &data, out_version);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INTEGRITY;
	doc = json_loadb((const char *)data->data, data->len, 0, NULL);
	if (!json_is_object(doc))
		goto out;
	if (out_id != NULL)
		strcpy(out_id, id);
	*out_doc = doc;
	doc = NULL;
	rc = KW_OK;
out:
	json_decref(doc);
	kw_secret_free(data);
	kw_store_txn_abort(t);
	return rc;
}

kw_rc att_rec_put(kw_service *svc, const char *partition, const char *lookup,
		  const char *id, const json_t *doc, uint64_t expected_version)
{
	kw_store_txn *t = NULL;
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	kw_rc rc = KW_E_NOMEM;

	if (text == NULL)
		goto out;
	rc = kw_store_txn_begin(svc->store, true, &t);
	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_rec_put(svc->barrier, t, KW_REC_AGENT, id, partition,
				lookup, (const uint8_t *)text, strlen(text),
				expected_version, NULL);
	if (rc == KW_OK)
		rc = kw_store_txn_commit(t);
	else
		kw_store_txn_abort(t);
out:
	free(text);
	return rc;
}

/* Checks a policy document; *out_sel its selection. err: client text. */
static kw_rc policy_check(const json_t *doc, kw_tpm_pcrsel *out_sel, char *err,
			  size_t err_len)
{
	kw_rc rc = KW_E_INVALID;
	const char *pcrs = json_string_value(json_object_get(doc, "pcrs"));
	const json_t *golden = json_object_get(doc, "golden");
	const char *key = NULL;
	const json_t *v = NULL, *e = NULL;
	kw_tpm_pcrsel sel;
	size_t i = 0, hl = 0;
	char num[4];

	snprintf(err, err_len,
		 "a policy is {\"pcrs\":\"sha256:16,23\","
		 "\"golden\":{\"16\":[\"<hex>\"]...}}");
	if (!json_is_object(doc) || json_object_size(doc) != 2 ||
	    pcrs == NULL || !json_is_object(golden) ||
	    kw_tpm_pcrsel_parse(pcrs, &sel) != KW_OK)
		goto out;
	hl = kw_hash_size(sel.bank);
	json_object_foreach((json_t *)golden, key, v)
	{
		snprintf(err, err_len, "golden.%.8s: not a selected PCR", key);
		for (i = 0; i < KW_TPM_PCRS; i++) {
			snprintf(num, sizeof(num), "%zu", i);
			if (strcmp(num, key) == 0 && (sel.mask & (1u << i)))
				break;
		}
		if (i == KW_TPM_PCRS || !json_is_array(v) ||
		    json_array_size(v) == 0 || json_array_size(v) > 64)
			goto out;
		json_array_foreach(v, i, e)
		{
			const char *h = json_string_value(e);
			uint8_t d[KW_DIGEST_MAX];

			snprintf(err, err_len,
				 "golden.%.8s[%zu]: not %zu bytes in hex", key,
				 i, hl);
			if (h == NULL || strlen(h) != 2 * hl ||
			    kw_hex_decode(h, 2 * hl, d) != KW_OK)
				goto out;
		}
	}
	for (i = 0; i < KW_TPM_PCRS; i++) {
		snprintf(num, sizeof(num), "%zu", i);
		if ((sel.mask & (1u << i)) && !json_object_get(golden, num)) {
			snprintf(err, err_len, "golden: PCR %zu has no value",
				 i);
			goto out;
		}
	}
	*out_sel = sel;
	rc = KW_OK;
out:
	return rc;
}

kw_rc att_policy_load(kw_service *svc, const char *partition, const char *name,
		      kw_tpm_pcrsel *out_sel, json_t **out_doc)
{
	char lookup[KW_BARRIER_NAME_MAX], err[128];
	json_t *doc = NULL, *body = NULL;
	kw_rc rc = KW_E_INVALID;

	snprintf(lookup, sizeof(lookup), "attest-policy/%s/%s", partition,
		 name);
	rc = att_rec_get(svc, lookup, &doc, NULL, NULL);
	if (rc != KW_OK)
		goto out;
	body = json_pack("{s:O,s:O}", "pcrs", json_object_get(doc, "pcrs"),
			 "golden", json_object_get(doc, "golden"));
	rc = body != NULL && policy_check(body, out_sel, err, sizeof(err)) ==
				     KW_OK
		     ? KW_OK
		     : KW_E_INTEGRITY;
	if (rc != KW_OK)
		goto out;
	*out_doc = doc;
	doc = NULL;
out:
	json_decref(body);
	json_decref(doc);
	return rc;
}

kw_rc kw_svc_attest_policy_put(kw_service *svc, kw_svc_call *c,
			       const char *partition, const char *name,
			       const json_t *doc, json_t **out)
{
	char lookup[KW_BARRIER_NAME_MAX], id[KW_STORE_ID_MAX + 1], err[128];
	json_t *old = NULL, *rec = NULL;
	kw_tpm_pcrsel sel;
	uint64_t ver = 0;
	kw_rc rc = svc_authorize(svc, c, KW_OP_PRINCIPAL_MANAGE, partition);

	if (rc != KW_OK)
		goto out;
	snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"policy\":\"%s\"}",
		 svc_safe_name(name));
	rc = KW_E_INVALID;
	if (strcmp(svc_safe_name(name), name) != 0 || strcmp(name, "*") == 0) {
		svc_reason(c, "invalid policy name");
		goto out;
	}
	if (policy_check(doc, &sel, err, sizeof(err)) != KW_OK) {
		svc_reason(c, "%s", err);
		goto out;
	}
	snprintf(lookup, sizeof(lookup), "attest-policy/%s/%s", partition,
		 name);
	rc = att_rec_get(svc, lookup, &old, id, &ver);
	if (rc == KW_E_NOT_FOUND) {
		ver = 0;
		rc = att_new_id('p', id);
	}
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	rec = json_pack("{s:s,s:s,s:O,s:O}", "name", name, "partition",
			partition, "pcrs", json_object_get(doc, "pcrs"),
			"golden", json_object_get(doc, "golden"));
	if (rec == NULL)
		goto out;
	rc = att_rec_put(svc, partition, lookup, id, rec, ver);
	if (rc != KW_OK)
		goto out;
	*out = rec;
	rec = NULL;
out:
	json_decref(old);
	json_decref(rec);
	return rc;
}

kw_rc kw_svc_attest_policy_get(kw_service *svc, kw_svc_call *c,
			       const char *partition, const char *name,
			       json_t **out)
{
	char lookup[KW_BARRIER_NAME_MAX];
	kw_rc rc = svc_authorize(svc, c, KW_OP_PRINCIPAL_READ, partition);

	if (rc != KW_OK)
		goto out;
	snprintf(lookup, sizeof(lookup), "attest-policy/%s/%s", partition,
		 name);
	rc = att_rec_get(svc, lookup, out, NULL, NULL);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no such attestation policy");
out:
	return rc;
}
