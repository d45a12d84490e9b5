/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* The TPM routes: parse, call one kw_svc_* function, answer. */
#define KW_LOG_MODULE "daemon"

#include <string.h>

#include "daemon/routes_attest.h"
#include "keywarden/log.h"
#include "daemon/wire.h"
#include "service/svc_attest.h"

static void reply(kw_req *r, kw_rc rc, unsigned status, json_t *doc)
{
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, status, doc);
}

void kw_tpm_autounseal_at_start(kw_service *svc)
{
	kw_svc_call c;
	kw_rc rc;

	kw_svc_call_init(&c, "sys_tpm_unseal", "tpm", "start");
	rc = kw_svc_tpm_autounseal(svc, &c);
	if (rc == KW_E_NOT_FOUND)
		return; /* no host TPM, or nothing sealed to it */
	c.ev.result = rc == KW_OK	  ? KW_AUDIT_OK
		      : rc == KW_E_DENIED ? KW_AUDIT_DENIED
					  : KW_AUDIT_ERROR;
	if (kw_svc_audit_append(svc, &c) != KW_OK)
		KW_LOG_WARN("the TPM unseal attempt could not be audited");
}

typedef struct seal_req {
	const char *pcrs;
} seal_req;

static const kw_field seal_spec[] = {
	KW_FIELD(seal_req, pcrs, "pcrs", KW_FIELD_STRING, false, 1, 96),
};

void kw_h_tpm_seal(kw_req *r)
{
	seal_req in = {0};
	json_t *doc = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, seal_spec, KW_NFIELDS(seal_spec), &in))
		return;
	rc = kw_svc_tpm_seal(r->svc, &r->call, in.pcrs, &doc);
	reply(r, rc, 200, doc);
	kw_decoded_free(seal_spec, KW_NFIELDS(seal_spec), &in);
}

void kw_h_tpm_status(kw_req *r)
{
	json_t *doc = json_object();

	if (!kw_req_decode(r, NULL, 0, NULL)) {
		json_decref(doc);
		return;
	}
	kw_svc_tpm_status(r->svc, doc);
	kw_reply_json(r, 200, doc);
}

typedef struct policy_req {
	const char *pcrs;
	const json_t *golden;
} policy_req;

static const kw_field policy_spec[] = {
	KW_FIELD(policy_req, pcrs, "pcrs", KW_FIELD_STRING, true, 1, 96),
	KW_FIELD(policy_req, golden, "golden", KW_FIELD_OBJECT, true, 0, 0),
};

void kw_h_attest_policy_put(kw_req *r)
{
	policy_req in = {0};
	json_t *doc = NULL, *body = NULL;
	kw_rc rc = KW_E_NOMEM;

	if (!kw_req_decode(r, policy_spec, KW_NFIELDS(policy_spec), &in))
		return;
	body = json_pack("{s:s,s:O}", "pcrs", in.pcrs, "golden", in.golden);
	if (body != NULL)
		rc = kw_svc_attest_policy_put(r->svc, &r->call,
					      kw_req_partition(r),
					      kw_req_param(r, 0), body, &doc);
	reply(r, rc, 200, doc);
	json_decref(body);
	kw_decoded_free(policy_spec, KW_NFIELDS(policy_spec), &in);
}

void kw_h_attest_policy_get(kw_req *r)
{
	json_t *doc = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_attest_policy_get(r->svc, &r->call, kw_req_partition(r),
				      kw_req_param(r, 0), &doc);
	reply(r, rc, 200, doc);
}

typedef struct enroll_req {
	const char *name, *policy;
	const json_t *roles;
	kw_bytes ek_pub, ek_cert, ak_pub;
} enroll_req;

static const kw_field enroll_spec[] = {
	KW_FIELD(enroll_req, name, "name", KW_FIELD_STRING, true, 1, 64),
	KW_FIELD(enroll_req, policy, "policy", KW_FIELD_STRING, true, 1, 64),
	KW_FIELD(enroll_req, roles, "roles", KW_FIELD_STRINGS, false, 0, 8),
	KW_FIELD(enroll_req, ek_pub, "ek_pub", KW_FIELD_B64, true, 4, 1024),
	KW_FIELD(enroll_req, ek_cert, "ek_cert", KW_FIELD_B64, true, 1, 8192),
	KW_FIELD(enroll_req, ak_pub, "ak_pub", KW_FIELD_B64, true, 4, 1024),
};

void kw_h_agent_enroll(kw_req *r)
{
	enroll_req in = {0};
	kw_svc_enroll e = {0};
	json_t *doc = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, enroll_spec, KW_NFIELDS(enroll_spec), &in))
		goto out;
	if (in.roles != NULL && kw_roles_parse(in.roles, &e.roles) != KW_OK) {
		kw_reply_error(r, 400, "invalid_argument",
			       "roles: unknown role name");
		goto out;
	}
	e.name = in.name;
	e.policy = in.policy;
	e.ek_pub = in.ek_pub.data;
	e.ek_pub_len = in.ek_pub.len;
	e.ek_cert = in.ek_cert.data;
	e.ek_cert_len = in.ek_cert.len;
	e.ak_pub = in.ak_pub.data;
	e.ak_pub_len = in.ak_pub.len;
	rc = kw_svc_agent_enroll(r->svc, &r->call, kw_req_partition(r), &e,
				 &doc);
	reply(r, rc, 200, doc);
out:
	kw_decoded_free(enroll_spec, KW_NFIELDS(enroll_spec), &in);
}

typedef struct activate_req {
	kw_bytes credential;
} activate_req;

static const kw_field activate_spec[] = {
	KW_FIELD(activate_req, credential, "credential", KW_FIELD_B64, true, 1,
		 64),
};

void kw_h_agent_activate(kw_req *r)
{
	activate_req in = {0};
	json_t *doc = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, activate_spec, KW_NFIELDS(activate_spec), &in))
		return;
	rc = kw_svc_agent_activate(r->svc, &r->call, kw_req_partition(r),
				   kw_req_param(r, 0), in.credential.data,
				   in.credential.len, &doc);
	reply(r, rc, 201, doc);
	kw_decoded_free(activate_spec, KW_NFIELDS(activate_spec), &in);
}

void kw_h_attest_challenge(kw_req *r)
{
	json_t *doc = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_attest_challenge(r->svc, &r->call, &doc);
	reply(r, rc, 200, doc);
}

typedef struct quote_req {
	kw_bytes nonce, quote, signature;
	const json_t *pcrs;
} quote_req;

static const kw_field quote_spec[] = {
	KW_FIELD(quote_req, nonce, "nonce", KW_FIELD_B64, true, 1, 64),
	KW_FIELD(quote_req, quote, "quote", KW_FIELD_B64, true, 1, 2048),
	KW_FIELD(quote_req, signature, "signature", KW_FIELD_B64, true, 1,
		 1024),
	KW_FIELD(quote_req, pcrs, "pcrs", KW_FIELD_STRMAP, true, 1, 24),
};

void kw_h_attest_quote(kw_req *r)
{
	quote_req in = {0};
	kw_svc_quote q = {0};
	json_t *doc = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, quote_spec, KW_NFIELDS(quote_spec), &in))
		return;
	q.nonce = in.nonce.data;
	q.nonce_len = in.nonce.len;
	q.attest = in.quote.data;
	q.attest_len = in.quote.len;
	q.sig = in.signature.data;
	q.sig_len = in.signature.len;
	q.pcrs = in.pcrs;
	rc = kw_svc_attest_quote(r->svc, &r->call, &q, &doc);
	reply(r, rc, 200, doc);
	kw_decoded_free(quote_spec, KW_NFIELDS(quote_spec), &in);
}

typedef struct device_req {
	kw_bytes key_pub;
} device_req;

static const kw_field device_spec[] = {
	KW_FIELD(device_req, key_pub, "key_pub", KW_FIELD_B64, true, 4, 1024),
};

void kw_h_device_challenge(kw_req *r)
{
	device_req in = {0};
	json_t *doc = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, device_spec, KW_NFIELDS(device_spec), &in))
		return;
	rc = kw_svc_device_challenge(r->svc, &r->call, in.key_pub.data,
				     in.key_pub.len, &doc);
	reply(r, rc, 200, doc);
	kw_decoded_free(device_spec, KW_NFIELDS(device_spec), &in);
}

typedef struct devcert_req {
	kw_bytes credential;
	const char *csr, *ca;
	kw_opt_uint days;
} devcert_req;

static const kw_field devcert_spec[] = {
	KW_FIELD(devcert_req, credential, "credential", KW_FIELD_B64, true, 1,
		 64),
	KW_FIELD(devcert_req, csr, "csr", KW_FIELD_STRING, true, 1, 65536),
	KW_FIELD(devcert_req, ca, "ca", KW_FIELD_STRING, true, 1, 64),
	KW_FIELD(devcert_req, days, "days", KW_FIELD_UINT, false, 1, 36500),
};

void kw_h_device_certificate(kw_req *r)
{
	devcert_req in = {0};
	kw_svc_device_cert d = {0};
	json_t *doc = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, devcert_spec, KW_NFIELDS(devcert_spec), &in))
		return;
	d.id = kw_req_param(r, 0);
	d.credential = in.credential.data;
	d.credential_len = in.credential.len;
	d.csr = (const uint8_t *)in.csr;
	d.csr_len = strlen(in.csr);
	d.ca = in.ca;
	d.days = (uint32_t)in.days.v;
	rc = kw_svc_device_certificate(r->svc, &r->call, &d, &doc);
	reply(r, rc, 201, doc);
	kw_decoded_free(devcert_spec, KW_NFIELDS(devcert_spec), &in);
}
