/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "service"

/*
 * Device identity (docs/tpm.md): an enrolled agent proves that a key it
 * made in its TPM is there, fixed to it, by credential activation over
 * the key's name under the agent's enrolled EK; then a keywarden CA
 * issues a device certificate for that key (the PKI's "device" profile),
 * from a request the key itself signed. The private key never leaves the
 * TPM; the CA key never leaves keywarden.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/pki.h"
#include "keywarden/log.h"
#include "service/attest_int.h"
#include "service/svc_ca.h"
#include "util/codec.h"

kw_rc kw_svc_device_challenge(kw_service *svc, kw_svc_call *c,
			      const uint8_t *key_pub, size_t key_pub_len,
			      json_t **out)
{
	struct kw_svc_attest *a = svc->attest;
	uint8_t name[KW_TPM_NAME_MAX], *ek = NULL, *blob = NULL, *sec = NULL;
	size_t name_len = 0, ek_len = 0, blen = 0, slen = 0;
	char hexname[2 * KW_TPM_NAME_MAX + 1], id[ATT_ID_LEN + 1];
	char *bs = NULL, *ss = NULL, *kb = NULL;
	const char *why = NULL;
	json_t *rec = NULL, *pol = NULL;
	kw_secret *cred = NULL;
	kw_tpm_pcrsel sel;
	kw_rc rc = att_agent_of(svc, c, &rec, NULL, NULL, &sel, &pol);

	if (rc != KW_OK)
		goto out;
	rc = kw_tpm_key_check(key_pub, key_pub_len, KW_TPM_ROLE_DEVICE, name,
			      &name_len, &why);
	if (rc != KW_OK) {
		svc_reason(c, "%s", why != NULL ? why : "not a device key");
		rc = rc == KW_E_DENIED ? KW_E_DENIED : KW_E_INVALID;
		goto out;
	}
	rc = att_rec_bytes(rec, "ek", &ek, &ek_len);
	if (rc == KW_OK)
		rc = att_credential(ek, ek_len, name, name_len, &cred, &blob,
				    &blen, &sec, &slen);
	if (rc == KW_OK)
		rc = att_new_id('d', id);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	bs = att_b64(blob, blen);
	ss = att_b64(sec, slen);
	kb = att_b64(key_pub, key_pub_len);
	if (bs == NULL || ss == NULL || kb == NULL)
		goto out;
	kw_hex_encode(name, name_len, hexname);
	*out = json_pack("{s:s,s:s,s:s,s:s}", "device", id, "credential_blob",
			 bs, "secret", ss, "key_name", hexname);
	if (*out == NULL)
		goto out;
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"device\":\"%s\",\"key_name\":\"%.68s\"}", id, hexname);
	att_pending *p = att_pending_slot(a); /* takes a->mu */
	strcpy(p->id, id);
	snprintf(p->partition, sizeof(p->partition), "%s", c->caller.partition);
	snprintf(p->name, sizeof(p->name), "%s", c->caller.principal);
	memcpy(p->cred, cred->data, 32);
	p->device = true;
	p->key_b64 = kb;
	p->expires = att_now() + (int64_t)a->challenge_ttl_s;
	kb = NULL;
	pthread_mutex_unlock(&a->mu);
	rc = KW_OK;
out:
	kw_secret_free(cred);
	json_decref(rec);
	json_decref(pol);
	free(ek);
	free(blob);
	free(sec);
	free(bs);
	free(ss);
	free(kb);
	return rc;
}

/* The lookup name of a device certificate: "devcert/" + SHA-256 hex. */
static kw_rc cert_lookup(const uint8_t *der, size_t len, char *out, size_t n)
{
	uint8_t d[KW_DIGEST_MAX];
	char hex[2 * 32 + 1];
	size_t dlen = 0;
	kw_rc rc = kw_digest(KW_HASH_SHA256, der, len, d, &dlen);

	if (rc == KW_OK) {
		kw_hex_encode(d, 32, hex);
		snprintf(out, n, "devcert/%s", hex);
	}
	return rc;
}

/* Remembers which agent a device certificate belongs to, so the mTLS
 * listener can map it to its principal. */
static kw_rc cert_map(kw_service *svc, kw_svc_call *c, const kw_cert_info *ci)
{
	char lookup[128], id[ATT_ID_LEN + 1];
	json_t *doc = json_pack("{s:s,s:s,s:s}", "partition",
				c->caller.partition, "principal",
				c->caller.principal, "serial", ci->serial);
	kw_rc rc = doc != NULL ? cert_lookup(ci->der, ci->der_len, lookup,
					     sizeof(lookup))
			       : KW_E_NOMEM;

	if (rc == KW_OK)
		rc = att_new_id('c', id);
	if (rc == KW_OK)
		rc = att_rec_put(svc, c->caller.partition, lookup, id, doc, 0);
	json_decref(doc);
	return rc;
}

kw_rc kw_svc_authenticate_cert(kw_service *svc, kw_svc_call *c,
			       const uint8_t *cert, size_t cert_len)
{
	char lookup[128];
	const char *partition = NULL, *principal = NULL, *serial = NULL;
	json_t *doc = NULL;
	kw_cert_info *ci = NULL;
	kw_principal_info pi;
	kw_rc rc = KW_E_UNAUTHENTICATED;

	c->authenticated = false;
	svc_reason(c, "no bearer token, and the client certificate is not a "
		      "keywarden device certificate");
	if (cert == NULL || cert_len == 0 ||
	    cert_lookup(cert, cert_len, lookup, sizeof(lookup)) != KW_OK)
		goto out;
	rc = att_rec_get(svc, lookup, &doc, NULL, NULL);
	if (rc == KW_E_NOT_FOUND || rc == KW_E_INTEGRITY)
		rc = KW_E_UNAUTHENTICATED;
	if (rc != KW_OK)
		goto out;
	partition = json_string_value(json_object_get(doc, "partition"));
	principal = json_string_value(json_object_get(doc, "principal"));
	serial = json_string_value(json_object_get(doc, "serial"));
	rc = KW_E_UNAUTHENTICATED;
	if (partition == NULL || principal == NULL || serial == NULL ||
	    kw_principal_get(svc->auth, partition, principal, &pi) != KW_OK ||
	    pi.kind != KW_PRINCIPAL_AGENT)
		goto out;
	/* Revocation and expiry are the inventory's word. */
	rc = kw_cert_get(svc->pki, partition, serial, &ci);
	if (rc == KW_E_SEALED)
		goto out;
	if (rc != KW_OK || ci->status != KW_CERT_VALID ||
	    ci->not_after <= att_now()) {
		rc = KW_E_EXPIRED;
		svc_reason(c, "the device certificate was revoked or expired");
		goto out;
	}
	memset(&c->caller, 0, sizeof(c->caller));
	snprintf(c->caller.principal, sizeof(c->caller.principal), "%s",
		 principal);
	snprintf(c->caller.partition, sizeof(c->caller.partition), "%s",
		 partition);
	snprintf(c->caller.source, sizeof(c->caller.source), "%s", c->source);
	c->caller.roles = pi.roles;
	c->caller.kind = KW_PRINCIPAL_AGENT;
	c->caller.expires_at = ci->not_after;
	c->authenticated = true;
	c->ev.reason[0] = '\0';
	rc = KW_OK;
out:
	kw_cert_info_free(ci);
	json_decref(doc);
	return rc;
}

/* The certificate and its CA chain as PEM. */
static kw_rc cert_doc(kw_service *svc, const kw_cert_info *ci, json_t **out)
{
	uint8_t **chain = NULL;
	size_t *lens = NULL, n = 0;
	char *pem = NULL;
	json_t *arr = json_array();
	kw_rc rc = kw_pem_encode("CERTIFICATE", ci->der, ci->der_len, &pem);

	if (rc == KW_OK)
		rc = kw_ca_chain(svc->pki, ci->partition, ci->ca, &chain, &lens,
				 &n);
	for (size_t i = 0; rc == KW_OK && i < n; i++) {
		char *p = NULL;
		rc = kw_pem_encode("CERTIFICATE", chain[i], lens[i], &p);
		if (rc == KW_OK && json_array_append_new(arr, json_string(p)))
			rc = KW_E_NOMEM;
		free(p);
	}
	if (rc == KW_OK) {
		*out = json_pack("{s:s,s:s,s:O}", "serial", ci->serial,
				 "certificate", pem, "chain", arr);
		rc = *out != NULL ? KW_OK : KW_E_NOMEM;
	}
	kw_ca_chain_free(chain, lens, n);
	json_decref(arr);
	free(pem);
	return rc;
}

kw_rc kw_svc_device_certificate(kw_service *svc, kw_svc_call *c,
				const kw_svc_device_cert *d, json_t **out)
{
	struct kw_svc_attest *a = svc->attest;
	att_pending p;
	uint8_t *key = NULL;
	size_t key_len = 0;
	kw_csr *csr = NULL;
	kw_cert_info *ci = NULL;
	kw_issue_req req;
	kw_rc rc = KW_E_DENIED;

	memset(&p, 0, sizeof(p));
	memset(&req, 0, sizeof(req));
	svc_reason(c, "only enrolled agents get device certificates");
	if (a == NULL || !c->authenticated ||
	    c->caller.kind != KW_PRINCIPAL_AGENT)
		goto out;
	c->ev.reason[0] = '\0';
	snprintf(c->ev.partition, sizeof(c->ev.partition), "%s",
		 c->caller.partition);
	rc = KW_E_NOT_FOUND;
	if (!att_pending_take(a, d->id, c->caller.partition, true, &p) ||
	    strcmp(p.name, c->caller.principal) != 0) {
		svc_reason(c, "no such device challenge (or it expired)");
		goto out;
	}
	rc = KW_E_DENIED;
	if (d->credential_len != 32 ||
	    !kw_ct_equal(d->credential, p.cred, 32)) {
		svc_reason(c, "the credential does not match: the key is not "
			      "in the agent's enrolled TPM");
		goto out;
	}
	rc = KW_E_INVALID;
	if (kw_base64_decode_alloc(p.key_b64, strlen(p.key_b64), false, &key,
				   &key_len) != KW_OK ||
	    kw_csr_parse(d->csr, d->csr_len, &csr) != KW_OK) {
		svc_reason(c, "csr: not a PKCS#10 request signed by its key");
		goto out;
	}
	rc = kw_tpm_key_spki_match(key, key_len, csr->spki, csr->spki_len);
	if (rc != KW_OK) {
		svc_reason(c, "the request is for another key than the TPM "
			      "key that was proven");
		rc = KW_E_DENIED;
		goto out;
	}
	req.partition = c->caller.partition;
	req.ca = d->ca;
	req.profile = KW_PROFILE_DEVICE;
	req.csr = d->csr;
	req.csr_len = d->csr_len;
	req.days = d->days;
	/* The CA key's policy and quorum still decide (as for any issuance). */
	rc = kw_svc_cert_issue(svc, c, &req, &ci);
	if (rc == KW_OK)
		rc = cert_map(svc, c, ci);
	if (rc == KW_OK)
		rc = cert_doc(svc, ci, out);
out:
	att_pending_clear(&p);
	kw_cert_info_free(ci);
	kw_csr_free(csr);
	free(key);
	return rc;
}
