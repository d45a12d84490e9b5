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
		rc = cert_doc(svc, ci, out);
out:
	att_pending_clear(&p);
	kw_cert_info_free(ci);
	kw_csr_free(csr);
	free(key);
	return rc;
}
