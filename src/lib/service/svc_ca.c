/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "service"

/* Certificate authorities, issuance, the inventory, revocation, CRLs, code
 * signing and the time-stamping authority (svc_ca.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "crypto/pki.h"
#include "keywarden/log.h"
#include "objects/objects.h"
#include "service/internal.h"
#include "service/svc_ca.h"
#include "util/codec.h"

/* The pki module's reason for a refusal, or a generic one. */
static kw_rc pki_done(kw_svc_call *c, kw_rc rc, const char *err)
{
	if (rc != KW_OK && err[0] != '\0')
		svc_reason(c, "%s", err);
	return rc;
}

/* Canonical JSON text of a parameters object (taken), for the gate. */
static char *params_text(json_t *o)
{
	char *s =
		o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return s;
}

/* Lowercase hex of SHA-256 over p[0..n), into out (65 bytes). */
static void sha256_hex(const void *p, size_t n, char out[65])
{
	uint8_t dg[KW_DIGEST_MAX];
	size_t dl = 0;

	out[0] = '\0';
	if (kw_digest(KW_HASH_SHA256, p, n, dg, &dl) == KW_OK)
		kw_hex_encode(dg, dl, out);
}

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* Authorises a signature by a CA's key and passes the quorum gate with
 * params (taken). *out is the CA. */
static kw_rc ca_sign_gate(kw_service *svc, kw_svc_call *c,
			  const char *partition, const char *ca, json_t *params,
			  kw_ca_info **out)
{
	kw_key_info *k = NULL;
	kw_ca_info *info = NULL;
	char *text = NULL;
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);

	if (rc == KW_OK)
		rc = kw_ca_get(svc->pki, partition, ca, &info);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no CA %s", svc_safe_name(ca));
	if (rc == KW_OK)
		rc = svc_authorize_key(svc, c, KW_OP_KEY_SIGN, partition,
				       info->key_id, &k);
	if (rc == KW_OK) {
		text = params_text(params);
		params = NULL;
		rc = svc_quorum_gate(svc, c, KW_QOP_KEY_SIGN, partition, k,
				     text);
	}
	if (rc == KW_OK) {
		*out = info;
		info = NULL;
	}
	json_decref(params);
	free(text);
	kw_ca_info_free(info);
	kw_key_info_free(k);
	return rc;
}

/* ---- CAs -------------------------------------------------------------------- */

/* The rules document of a root key's signing quorum (docs/quorum.md). */
static json_t *quorum_rules(const char *ca, const kw_svc_ca_quorum *q)
{
	static const char *const custodian[] = {"custodian"};
	bool named = q != NULL && (q->n_roles > 0 || q->n_principals > 0);
	char group[KW_NAME_MAX + 8];
	json_t *rule;

	snprintf(group, sizeof(group), "ca-%s", svc_safe_name(ca));
	rule = json_pack(
		"{s:[s],s:s,s:i,s:o}", "ops", "key_sign", "group", group, "m",
		q != NULL && q->m != 0 ? (int)q->m : 2, "roles",
		named ? strings(q->roles, q->n_roles) : strings(custodian, 1));
	if (rule != NULL && q != NULL && q->n_principals > 0 &&
	    json_object_set_new(rule, "principals",
				strings(q->principals, q->n_principals)) != 0) {
		json_decref(rule);
		rule = NULL;
	}
	return rule != NULL
		       ? json_pack("{s:i,s:[o]}", "version", 1, "rules", rule)
		       : NULL;
}

/* The new root key's policy: the caller's, plus the signing quorum
 * unless q->off. */
static kw_rc root_policy(kw_svc_call *c, const kw_ca_spec *spec,
			 const kw_svc_ca_quorum *q, char **out)
{
	json_error_t jerr;
	json_t *pol;
	json_t *rules = NULL;
	char why[KW_SVC_REASON_MAX] = "";
	kw_rc rc = KW_E_INVALID;

	*out = NULL;
	if (q != NULL && q->off && spec->key_policy == NULL)
		return KW_OK; /* no policy: the role matrix alone decides */
	pol = spec->key_policy != NULL
		      ? json_loads(spec->key_policy, JSON_REJECT_DUPLICATES,
				   &jerr)
		      : json_pack("{s:i}", "version", 1);
	if (!json_is_object(pol)) {
		svc_reason(c, "key_policy: not a JSON object");
		goto out;
	}
	rc = KW_E_NOMEM;
	if (q == NULL || !q->off) {
		rules = quorum_rules(spec->name, q);
		if (rules == NULL || json_object_set(pol, "quorum", rules) != 0)
			goto out;
	}
	*out = params_text(json_incref(pol));
	if (*out == NULL)
		goto out;
	rc = kw_key_policy_validate(*out, why, sizeof(why));
	if (rc != KW_OK) {
		rc = KW_E_INVALID;
		svc_reason(c, "key policy: %s", why);
		free(*out);
		*out = NULL;
	}
out:
	json_decref(rules);
	json_decref(pol);
	return rc;
}

/* The parameters of an intermediate's creation, bound by the gate. */
static json_t *ca_params(const kw_ca_spec *s)
{
	return json_pack("{s:{s:s,s:s,s:s?,s:s?,s:i,s:i,s:o,s:o,s:s?}}", "ca",
			 "name", s->name, "parent", s->parent, "subject",
			 s->subject, "key", s->key, "days", (int)s->days,
			 "path_len", s->path_len, "permitted",
			 strings(s->permitted, s->n_permitted), "excluded",
			 strings(s->excluded, s->n_excluded), "key_type",
			 kw_key_type_name(s->key_type));
}

kw_rc kw_svc_ca_create(kw_service *svc, kw_svc_call *c, kw_ca_spec *spec,
		       const kw_svc_ca_quorum *q, kw_ca_info **out)
{
	kw_ca_info *parent = NULL;
	char *policy = NULL, err[KW_SVC_REASON_MAX] = "";
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_CREATE, spec->partition);

	svc_event_key(c, spec->key, 0);
	if (rc == KW_OK && spec->parent == NULL) {
		rc = root_policy(c, spec, q, &policy);
		spec->key_policy = policy;
		spec->quorum = q == NULL || !q->off;
	} else if (rc == KW_OK) {
		rc = ca_sign_gate(svc, c, spec->partition, spec->parent,
				  ca_params(spec), &parent);
	}
	spec->created_by = c->caller.principal;
	if (rc == KW_OK)
		rc = pki_done(
			c, kw_ca_create(svc->pki, spec, out, err, sizeof(err)),
			err);
	if (rc == KW_OK) {
		svc_event_key(c, (*out)->key, 0);
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"ca\":\"%s\",\"parent\":\"%s\",\"serial\":\"%s\","
			 "\"quorum\":%s}",
			 (*out)->name, (*out)->parent, (*out)->serial,
			 (*out)->quorum ? "true" : "false");
	}
	spec->key_policy = NULL;
	free(policy);
	kw_ca_info_free(parent);
	return rc;
}

kw_rc kw_svc_ca_get(kw_service *svc, kw_svc_call *c, const char *partition,
		    const char *name, kw_ca_info **out)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);

	if (rc == KW_OK)
		rc = kw_ca_get(svc->pki, partition, name, out);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no CA %s", svc_safe_name(name));
	return rc;
}

kw_rc kw_svc_ca_list(kw_service *svc, kw_svc_call *c, const char *partition,
		     kw_ca_info ***out, size_t *out_n)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);
	return rc == KW_OK ? kw_ca_list(svc->pki, partition, out, out_n) : rc;
}

kw_rc kw_svc_ca_chain(kw_service *svc, kw_svc_call *c, const char *partition,
		      const char *name, uint8_t ***out, size_t **out_lens,
		      size_t *out_n)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);

	if (rc == KW_OK)
		rc = kw_ca_chain(svc->pki, partition, name, out, out_lens,
				 out_n);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no CA %s", svc_safe_name(name));
	return rc;
}

kw_rc kw_svc_ca_update(kw_service *svc, kw_svc_call *c, const char *partition,
		       const char *name, const kw_ca_update *u,
		       kw_ca_info **out)
{
	kw_ca_info *ca = NULL;
	kw_key_info *k = NULL;
	char err[KW_SVC_REASON_MAX] = "";
	kw_rc rc = kw_svc_ca_get(svc, c, partition, name, &ca);

	if (rc == KW_OK)
		rc = svc_authorize_key(svc, c, KW_OP_KEY_UPDATE, partition,
				       ca->key_id, &k);
	if (rc == KW_OK)
		rc = pki_done(c,
			      kw_ca_update_rules(svc->pki, partition, name, u,
						 out, err, sizeof(err)),
			      err);
	if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"ca\":\"%s\"}",
			 ca->name);
	kw_key_info_free(k);
	kw_ca_info_free(ca);
	return rc;
}

/* ---- PKCS#11 copies of issued certificates ------------------------------------ */

/* CKA_ID of a key as the PKCS#11 module shows it: its "p11.id" label
 * (hex), else the 16 bytes of its id. */
static size_t key_ckaid(const kw_key_info *k, uint8_t out[256])
{
	for (size_t i = 0; i < k->label_count; i++) {
		const char *v = k->labels[i].value;
		size_t n = strlen(v);
		if (strcmp(k->labels[i].key, "p11.id") == 0 && n % 2 == 0 &&
		    n <= 2 * 255 && kw_hex_decode(v, n, out) == KW_OK)
			return n / 2;
	}
	return kw_hex_decode(k->id + 2, 32, out) == KW_OK ? 16 : 0;
}

/* attrs[type] = base64 of v; false when out of memory. */
static bool attr(json_t *attrs, const char *type, const uint8_t *v, size_t n)
{
	char *b64 = NULL;
	bool ok = kw_base64_encode_alloc(v, n, false, &b64) == KW_OK &&
		  json_object_set_new(attrs, type, json_string(b64)) == 0;
	free(b64);
	return ok;
}

/* Stores cert as a certificate object of its partition, labelled by its
 * key's name (or its subject's CN), with the key's CKA_ID. A failure is
 * logged: the certificate is issued and in the inventory all the same. */
static void p11_copy(kw_service *svc, const kw_cert_info *cert)
{
	kw_x509_parts parts = {0};
	kw_key_info *k = NULL;
	kw_object_spec spec = {
		.cls = "certificate", .set_label = true, .set_private = true};
	json_t *attrs = json_object(), *doc = NULL;
	uint8_t ckaid[256];
	char label[KW_NAME_MAX + 1 + 16 + 1];
	const char *why = NULL, *base = cert->key;
	kw_rc rc = kw_x509_parts_get(cert->der, cert->der_len, &parts);

	if (rc == KW_OK && cert->key_id[0] != '\0' &&
	    kw_key_get(svc->keys, cert->partition, cert->key_id, &k) == KW_OK) {
		spec.ckaid = ckaid;
		spec.ckaid_len = key_ckaid(k, ckaid);
		spec.set_ckaid = spec.ckaid_len > 0;
	}
	if (base[0] == '\0')
		base = "cert";
	snprintf(label, sizeof(label), "%s", base);
	/* CKA_VALUE, CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_LABEL;
	 * the module answers the class and certificate type itself */
	if (rc == KW_OK &&
	    (attrs == NULL || !attr(attrs, "11", cert->der, cert->der_len) ||
	     !attr(attrs, "101", parts.subject, parts.subject_len) ||
	     !attr(attrs, "81", parts.issuer, parts.issuer_len) ||
	     !attr(attrs, "82", parts.serial, parts.serial_len)))
		rc = KW_E_NOMEM;
	if (rc == KW_OK) {
		spec.attrs = attrs;
		for (int attempt = 0; attempt < 2; attempt++) {
			if (!attr(attrs, "3", (const uint8_t *)label,
				  strlen(label))) {
				rc = KW_E_NOMEM;
				break;
			}
			spec.label = label;
			rc = kw_object_create(svc->barrier, svc->store,
					      cert->partition, &spec, &doc,
					      &why);
			if (rc != KW_E_EXISTS)
				break;
			/* the name is taken (a renewal): add the serial */
			snprintf(label, sizeof(label), "%s.%.16s", base,
				 cert->serial);
		}
	}
	if (rc != KW_OK)
		KW_LOG_WARN("certificate %s is issued but not stored as a "
			    "PKCS#11 object: %s",
			    cert->serial, kw_rc_str(rc));
	json_decref(doc);
	json_decref(attrs);
	kw_key_info_free(k);
	kw_x509_parts_clear(&parts);
}

/* ---- issuance and the inventory ------------------------------------------------- */

static json_t *issue_params(const kw_issue_req *r)
{
	char hex[65] = "";

	if (r->csr != NULL)
		sha256_hex(r->csr, r->csr_len, hex);
	return json_pack("{s:{s:s,s:s,s:s?,s:s?,s:s?,s:o,s:i}}", "issue", "ca",
			 r->ca, "profile", kw_profile_name(r->profile),
			 "csr_sha256", r->csr != NULL ? hex : NULL, "key",
			 r->key, "subject", r->subject, "sans",
			 r->sans_set ? strings(r->sans, r->n_sans)
				     : json_null(),
			 "days", (int)r->days);
}

kw_rc kw_svc_cert_issue(kw_service *svc, kw_svc_call *c, const kw_issue_req *r,
			kw_cert_info **out)
{
	kw_ca_info *ca = NULL;
	kw_issue_req q = *r;
	char err[KW_SVC_REASON_MAX] = "";
	kw_rc rc =
		ca_sign_gate(svc, c, r->partition, r->ca, issue_params(r), &ca);

	q.issued_by = c->caller.principal;
	if (rc == KW_OK)
		rc = pki_done(
			c, kw_cert_issue(svc->pki, &q, out, err, sizeof(err)),
			err);
	if (rc == KW_OK) {
		p11_copy(svc, *out);
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"ca\":\"%s\",\"profile\":\"%s\",\"serial\":"
			 "\"%s\"}",
			 ca->name, kw_profile_name((*out)->profile),
			 (*out)->serial);
	}
	kw_ca_info_free(ca);
	return rc;
}

kw_rc kw_svc_cert_get(kw_service *svc, kw_svc_call *c, const char *partition,
		      const char *serial, kw_cert_info **out)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);

	if (rc == KW_OK)
		rc = kw_cert_get(svc->pki, partition, serial, out);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no such certificate");
	return rc;
}

kw_rc kw_svc_cert_list(kw_service *svc, kw_svc_call *c, const char *partition,
		       const kw_cert_filter *f, const char *cursor,
		       size_t limit, kw_cert_info ***out, size_t *out_n,
		       char **out_next)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);

	if (rc == KW_OK)
		rc = kw_cert_list(svc->pki, partition, f, cursor, limit, out,
				  out_n, out_next);
	return rc;
}

kw_rc kw_svc_cert_revoke(kw_service *svc, kw_svc_call *c, const char *partition,
			 const char *serial, unsigned reason,
			 kw_cert_info **out)
{
	kw_cert_info *cert = NULL;
	kw_ca_info *ca = NULL;
	char err[KW_SVC_REASON_MAX] = "";
	kw_rc rc = kw_svc_cert_get(svc, c, partition, serial, &cert);

	/* revoking re-signs the issuer's CRL: a signature by its key */
	if (rc == KW_OK)
		rc = ca_sign_gate(svc, c, partition, cert->ca,
				  json_pack("{s:{s:s,s:i}}", "revoke", "serial",
					    cert->serial, "reason",
					    (int)reason),
				  &ca);
	if (rc == KW_OK)
		rc = pki_done(c,
			      kw_cert_revoke(svc->pki, partition, cert->serial,
					     reason, out, err, sizeof(err)),
			      err);
	if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"ca\":\"%s\",\"reason\":%u,\"serial\":\"%s\"}",
			 ca->name, reason, cert->serial);
	kw_ca_info_free(ca);
	kw_cert_info_free(cert);
	return rc;
}

kw_rc kw_svc_ca_crl(kw_service *svc, kw_svc_call *c, const char *partition,
		    const char *name, uint8_t **out, size_t *out_len,
		    uint64_t *out_number)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);

	if (rc == KW_OK)
		rc = kw_ca_crl(svc->pki, partition, name, out, out_len,
			       out_number);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no CA %s", svc_safe_name(name));
	else if (rc == KW_E_STATE)
		svc_reason(c, "the CA's key cannot sign a new CRL now");
	if (rc == KW_OK && out_number != NULL)
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"ca\":\"%s\",\"number\":%llu}", svc_safe_name(name),
			 (unsigned long long)*out_number);
	return rc;
}

/* ---- code signing, the time-stamping authority --------------------------------- */

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

#define CRL_TICKS 12 /* kw_service_tick runs every few seconds */

void svc_ca_tick(kw_service *svc)
{
	size_t n = 0;
	kw_rc rc;

	if (svc->ticks % CRL_TICKS != 0)
		return;
	rc = kw_pki_tick(svc->pki, &n);
	if (rc != KW_OK && rc != KW_E_SEALED)
		KW_LOG_WARN("renewing CRLs: %s", kw_rc_str(rc));
	if (n > 0) {
		/* CRLs signed by the scheduler are operations of their own */
		kw_svc_call c;
		kw_svc_call_init(&c, "crl_renew", "daemon", "");
		c.ev.result = KW_AUDIT_OK;
		snprintf(c.ev.detail, sizeof(c.ev.detail), "{\"count\":%zu}",
			 n);
		if (kw_svc_audit_append(svc, &c) != KW_OK)
			KW_LOG_ERROR("renewed %zu CRLs but could not audit it",
				     n);
	}
}
