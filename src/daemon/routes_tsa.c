/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* The time-stamping authority's routes (routes_tsa.h). */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/pki.h"
#include "daemon/routes_tsa.h"
#include "daemon/wire.h"
#include "service/svc_ca.h"

#define QUERY_TYPE "application/timestamp-query"
#define REPLY_TYPE "application/timestamp-reply"

/* The TSA's settings with its certificate chain as PEM. */
static void reply_tsa(kw_req *r, kw_rc rc, const kw_tsa_info *t)
{
	kw_cert_info *c = NULL;
	char *pem = NULL;
	json_t *o;

	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		return;
	}
	/* the certificate; the CA chain above it is GET /v1/ca/{ca}/chain */
	rc = kw_svc_cert_get(r->svc, &r->call, t->partition, t->cert_id, &c);
	if (rc == KW_OK)
		rc = kw_pem_encode("CERTIFICATE", c->der, c->der_len, &pem);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "cert", t->cert_id, "serial",
		      t->serial, "key", t->key, "policy", t->policy, "updated",
		      kw_json_time(t->updated), "pem", pem);
	if (o != NULL)
		json_object_set_new(o, "ca", json_string(c->ca));
	kw_reply_json(r, 200, o);
out:
	kw_cert_info_free(c);
	free(pem);
}

void kw_h_tsa_get(kw_req *r)
{
	kw_tsa_info t;
	kw_rc rc = kw_svc_tsa_get(r->svc, &r->call, kw_req_partition(r), &t);
	reply_tsa(r, rc, &t);
}

typedef struct tsa_in {
	const char *cert, *policy;
} tsa_in;

static const kw_field tsa_fields[] = {
	KW_FIELD(tsa_in, cert, "cert", KW_FIELD_STRING, true, 1,
		 KW_CERT_ID_MAX),
	KW_FIELD(tsa_in, policy, "policy", KW_FIELD_STRING, false, 1,
		 KW_TSA_POLICY_MAX),
};

void kw_h_tsa_set(kw_req *r)
{
	tsa_in in = {0};
	kw_tsa_info t;
	kw_rc rc;

	if (!kw_req_decode(r, tsa_fields, KW_NFIELDS(tsa_fields), &in))
		goto out;
	rc = kw_svc_tsa_set(r->svc, &r->call, kw_req_partition(r), in.cert,
			    in.policy, &t);
	reply_tsa(r, rc, &t);
out:
	kw_decoded_free(tsa_fields, KW_NFIELDS(tsa_fields), &in);
}

void kw_h_tsa_stamp(kw_req *r)
{
	const char *ct = r->raw_type;
	size_t n = strlen(QUERY_TYPE);
	uint8_t *resp = NULL;
	size_t len = 0;
	kw_rc rc;

	if (ct == NULL || strncasecmp(ct, QUERY_TYPE, n) != 0 ||
	    (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ')) {
		kw_reply_error(r, 415, "unsupported_media_type",
			       "the body must be " QUERY_TYPE);
		return;
	}
	rc = kw_svc_tsa_stamp(r->svc, &r->call, kw_req_partition(r), r->raw,
			      r->raw_len, &resp, &len);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		return;
	}
	kw_reply_text(r, 200, REPLY_TYPE, (char *)resp, len);
}
