/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_SERVICE_SVC_CA_H
#define KW_SERVICE_SVC_CA_H

/*
 * The PKI operations of the service (docs/pki.md): each authorises the
 * caller, passes the quorum gate where a signature by a guarded key is
 * made, calls src/lib/pki and says in the call's audit event what was done
 * (CA, serial, profile). Conventions as in service.h; refusals of the pki
 * module come back with their reason in ev.reason.
 *
 * Authorisation: reading (CAs, certificates, CRLs, the TSA) needs
 * key_read; creating a CA key_create, and for an intermediate also
 * key_sign on the parent CA's key; issuing and revoking key_sign on the
 * issuing CA's key (whose policy applies, and whose quorum rules gate the
 * signature); changing a CA's rules and setting the TSA key_update; code
 * signing and time stamps key_sign on the signing key.
 *
 * All in svc_ca.c, with the PKCS#11 copy of issued certificates.
 */

#include "keywarden/pki.h"
#include "service/service.h"

/* The signing quorum put on a new root's key (docs/pki.md): M approvals
 * by holders of roles or by named principals; custodians when neither is
 * given. off: none (the root key signs alone). */
typedef struct kw_svc_ca_quorum {
	bool off;
	unsigned m; /* 0 = 2 */
	const char *const *roles;
	size_t n_roles;
	const char *const *principals;
	size_t n_principals;
} kw_svc_ca_quorum;

/* Creates a CA. spec->key_policy is the caller's key policy for a new key
 * (JSON text or NULL); for a root the quorum member is added to it (q may
 * be NULL: the default). KW_E_QUORUM_PENDING when the parent's key is
 * guarded. */
kw_rc kw_svc_ca_create(kw_service *svc, kw_svc_call *c, kw_ca_spec *spec,
		       const kw_svc_ca_quorum *q, kw_ca_info **out);
kw_rc kw_svc_ca_get(kw_service *svc, kw_svc_call *c, const char *partition,
		    const char *name, kw_ca_info **out);
kw_rc kw_svc_ca_list(kw_service *svc, kw_svc_call *c, const char *partition,
		     kw_ca_info ***out, size_t *out_n);
kw_rc kw_svc_ca_chain(kw_service *svc, kw_svc_call *c, const char *partition,
		      const char *name, uint8_t ***out, size_t **out_lens,
		      size_t *out_n);
kw_rc kw_svc_ca_update(kw_service *svc, kw_svc_call *c, const char *partition,
		       const char *name, const kw_ca_update *u,
		       kw_ca_info **out);

/* Issues; the new certificate is also stored as a PKCS#11 certificate
 * object of the partition (docs/pki.md). */
kw_rc kw_svc_cert_issue(kw_service *svc, kw_svc_call *c, const kw_issue_req *r,
			kw_cert_info **out);
kw_rc kw_svc_cert_get(kw_service *svc, kw_svc_call *c, const char *partition,
		      const char *serial, kw_cert_info **out);
kw_rc kw_svc_cert_list(kw_service *svc, kw_svc_call *c, const char *partition,
		       const kw_cert_filter *f, const char *cursor,
		       size_t limit, kw_cert_info ***out, size_t *out_n,
		       char **out_next);
kw_rc kw_svc_cert_revoke(kw_service *svc, kw_svc_call *c, const char *partition,
			 const char *serial, unsigned reason,
			 kw_cert_info **out);
kw_rc kw_svc_ca_crl(kw_service *svc, kw_svc_call *c, const char *partition,
		    const char *name, uint8_t **out, size_t *out_len,
		    uint64_t *out_number);

kw_rc kw_svc_codesign(kw_service *svc, kw_svc_call *c, const kw_codesign_req *r,
		      uint8_t **out, size_t *out_len, char *out_serial);

kw_rc kw_svc_tsa_set(kw_service *svc, kw_svc_call *c, const char *partition,
		     const char *serial, const char *policy, kw_tsa_info *out);
kw_rc kw_svc_tsa_get(kw_service *svc, kw_svc_call *c, const char *partition,
		     kw_tsa_info *out);
/* A TimeStampResp (granted, or a rejection for a bad request). */
kw_rc kw_svc_tsa_stamp(kw_service *svc, kw_svc_call *c, const char *partition,
		       const uint8_t *req, size_t req_len, uint8_t **out,
		       size_t *out_len);

/* Housekeeping (kw_service_tick, about once a minute): CRLs renewed and
 * written; a renewal is audited ("crl_renew"). */
void svc_ca_tick(kw_service *svc);

#endif
