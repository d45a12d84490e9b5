/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_SERVICE_SVC_ATTEST_H
#define KW_SERVICE_SVC_ATTEST_H

/*
 * The service functions of the TPM features (docs/tpm.md), with the
 * contract of service.h:
 *
 *  - auto-unseal: the master key sealed to the host TPM under a PCR policy
 *    (svc_tpm.c); sealing is a system security officer's operation that
 *    passes the quorum gate;
 *  - attested agents (svc_attest.c): enrollment (EK certificate, EK, AK,
 *    credential activation) makes an agent principal; an agent answers a
 *    fresh nonce with a quote, checked by keywarden's own verifier and
 *    against the attestation policy's golden PCR values; success gives the
 *    agent a short-lived grant, which keys whose policy says
 *    "require_attestation": true ask for before they sign;
 *  - attestation policies, records of a partition (svc_attest_store.c);
 *  - device identity (svc_attest.c): credential activation over a
 *    TPM-resident key, then a device certificate for it.
 *
 * Enrollment and policies need the principal_manage right; challenge and
 * quote are for agent principals only. Grants live in the memory of the
 * node that issued them (they are short-lived).
 */

#include <jansson.h>

#include "service/service.h"

typedef struct kw_svc_tpm_config {
	/* The host TPM (a TCTI string, e.g. "device:/dev/tpmrm0"); NULL: no
	 * host TPM, auto-unseal is off. */
	const char *tcti;
	/* Where the sealed master key is kept (TPM-encrypted; useless
	 * without this TPM); NULL: <store path>.tpmseal is not assumed, the
	 * feature is off. */
	const char *seal_file;
	/* The PCRs to seal to when a request names none: "sha256:0,7". */
	const char *seal_pcrs;
	/* TPM manufacturer CA certificates (PEM) that EK certificates must
	 * chain to; NULL: enrollment is refused. */
	const char *ek_ca_file;
	uint64_t grant_ttl_s;	  /* 0 = 300 */
	uint64_t challenge_ttl_s; /* 0 = 120 */
} kw_svc_tpm_config;

/* Sets the TPM features up (copies cfg). Call once after
 * kw_service_open. KW_OK, KW_E_INVALID (a bad seal_pcrs), KW_E_NOMEM. */
kw_rc kw_svc_attest_open(kw_service *svc, const kw_svc_tpm_config *cfg);
/* Frees what kw_svc_attest_open made; from kw_service_close. */
void kw_svc_attest_close(kw_service *svc);

/* ---- auto-unseal (svc_tpm.c) --------------------------------------------- */

/* At start: unseals with the host TPM when one is configured and a sealed
 * master key exists. KW_OK (unsealed); KW_E_NOT_FOUND (nothing to do: no
 * TPM or no sealed key; the call is not worth an audit entry);
 * KW_E_DENIED (the PCRs changed: ev.reason says so, and status tells it
 * until an unseal succeeds); KW_E_UNAVAILABLE, KW_E_TPM, KW_E_VERIFY (a
 * blob of another instance), KW_E_STATE (already unsealed). */
kw_rc kw_svc_tpm_autounseal(kw_service *svc, kw_svc_call *c);

/* Seals the master key to the host TPM under the current values of pcrs
 * ("sha256:0,7"; NULL: the configured default), replacing an earlier
 * seal. System security officers only, through the quorum gate.
 * *out: {"sealed_to":"sha256:0,7"}. KW_OK, KW_E_DENIED, KW_E_QUORUM_PENDING,
 * KW_E_INVALID (pcrs), KW_E_STATE (no host TPM configured), KW_E_SEALED,
 * KW_E_UNAVAILABLE, KW_E_TPM, KW_E_STORAGE (the file). */
kw_rc kw_svc_tpm_seal(kw_service *svc, kw_svc_call *c, const char *pcrs,
		      json_t **out);

/* The TPM auto-unseal state for status and health: {"configured",
 * "sealed_to", "unseal":"ok"|"failed"|"none", "reason"} added to obj as
 * member "tpm" when a host TPM is configured. Returns obj (NULL stays
 * NULL). Not audited. */
json_t *kw_svc_tpm_status(kw_service *svc, json_t *obj);

/* ---- attestation policies (svc_attest_store.c) ---------------------------- */

/* doc: {"pcrs":"sha256:16,23","golden":{"16":["<hex>",...],...}} (every
 * selected PCR needs at least one allowed value). Creates or replaces.
 * *out: the stored policy. KW_OK, KW_E_DENIED, KW_E_INVALID. */
kw_rc kw_svc_attest_policy_put(kw_service *svc, kw_svc_call *c,
			       const char *partition, const char *name,
			       const json_t *doc, json_t **out);
kw_rc kw_svc_attest_policy_get(kw_service *svc, kw_svc_call *c,
			       const char *partition, const char *name,
			       json_t **out);

/* ---- agents (svc_attest.c) ------------------------------------------------- */

typedef struct kw_svc_enroll {
	const char *name;   /* the agent principal to be */
	uint32_t roles;	    /* its roles, e.g. crypto-user */
	const char *policy; /* its attestation policy */
	const uint8_t *ek_pub, *ek_cert, *ak_pub;
	size_t ek_pub_len, ek_cert_len, ak_pub_len;
} kw_svc_enroll;

/* Checks the EK certificate, the EK and the AK, and returns the challenge:
 * *out {"enrollment":"e-...","credential_blob":b64,"secret":b64,
 * "ak_name":hex}. KW_OK, KW_E_DENIED (a check failed: ev.reason),
 * KW_E_INVALID, KW_E_NOT_FOUND (policy), KW_E_EXISTS (principal),
 * KW_E_STATE (no TPM manufacturer CAs configured). */
kw_rc kw_svc_agent_enroll(kw_service *svc, kw_svc_call *c,
			  const char *partition, const kw_svc_enroll *e,
			  json_t **out);

/* Ends an enrollment with the credential the agent's TPM recovered:
 * creates the agent principal and its record, and an application token
 * for it. *out {"principal","partition","token","expires_at"}. KW_OK,
 * KW_E_DENIED (wrong credential; the enrollment is over),
 * KW_E_NOT_FOUND (no such enrollment, or expired). */
kw_rc kw_svc_agent_activate(kw_service *svc, kw_svc_call *c,
			    const char *partition, const char *id,
			    const uint8_t *credential, size_t credential_len,
			    json_t **out);

/* A fresh nonce for the calling agent: {"nonce":b64,"pcrs":"sha256:..",
 * "expires_at"}. KW_OK, KW_E_DENIED (not an agent). */
kw_rc kw_svc_attest_challenge(kw_service *svc, kw_svc_call *c, json_t **out);

typedef struct kw_svc_quote {
	const uint8_t *nonce, *attest, *sig;
	size_t nonce_len, attest_len, sig_len;
	const json_t *pcrs; /* {"16":"<hex>",...} */
} kw_svc_quote;

/* Verifies the calling agent's quote (docs/tpm.md lists every check) and
 * on success grants: {"grant":"g-...","expires_at","evidence":hex}. A
 * refused quote also revokes the agent's current grant. KW_OK,
 * KW_E_DENIED (ev.reason names the failed check), KW_E_INVALID. */
kw_rc kw_svc_attest_quote(kw_service *svc, kw_svc_call *c,
			  const kw_svc_quote *q, json_t **out);

/* The sign path's gate: KW_OK if key k does not require attestation or
 * the caller holds a valid grant (ev.detail then names the grant and the
 * digest of its evidence); KW_E_DENIED otherwise. */
kw_rc kw_svc_attest_sign_gate(kw_service *svc, kw_svc_call *c,
			      const kw_key_info *k);

/* ---- devices (svc_device.c) ----------------------------------------------- */

/* An enrolled agent asks to prove that key_pub (a TPM2B_PUBLIC: an
 * unrestricted, fixedTPM, fixedParent signing key made in the TPM) is in
 * its TPM: *out {"device":"d-...","credential_blob","secret","key_name"},
 * a credential for that key's name under the agent's EK. KW_OK,
 * KW_E_DENIED (not an agent; not such a key), KW_E_INVALID. */
kw_rc kw_svc_device_challenge(kw_service *svc, kw_svc_call *c,
			      const uint8_t *key_pub, size_t key_pub_len,
			      json_t **out);

typedef struct kw_svc_device_cert {
	const char *id; /* from kw_svc_device_challenge */
	const uint8_t *credential;
	size_t credential_len;
	const uint8_t *csr; /* PKCS#10 (PEM or DER) signed by the TPM key */
	size_t csr_len;
	const char *ca; /* a CA of the agent's partition */
	uint32_t days;	/* 0: the profile's maximum */
} kw_svc_device_cert;

/* Checks the recovered credential and that the request is for the proven
 * key, then issues a certificate of the "device" profile through the CA
 * (its key's policy and quorum apply as for any issuance): *out
 * {"serial","certificate":PEM,"chain":[PEM, ...]}. KW_OK, KW_E_DENIED,
 * KW_E_NOT_FOUND (no such challenge), KW_E_INVALID, and the codes of
 * issuance. */
kw_rc kw_svc_device_certificate(kw_service *svc, kw_svc_call *c,
				const kw_svc_device_cert *d, json_t **out);

/* Authenticates a request by the TLS client certificate cert (DER) that
 * the listener verified against its client CAs: a device certificate
 * issued by kw_svc_device_certificate, not revoked, names its agent
 * principal, which c->caller becomes (no token; expires_at the
 * certificate's end). KW_OK; KW_E_UNAUTHENTICATED (no such certificate,
 * or the principal is gone); KW_E_EXPIRED (revoked or past its end);
 * KW_E_SEALED. */
kw_rc kw_svc_authenticate_cert(kw_service *svc, kw_svc_call *c,
			       const uint8_t *cert, size_t cert_len);

#endif
