/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_ROUTES_ATTEST_H
#define KW_DAEMON_ROUTES_ATTEST_H

/* /v1/attest and /v1/sys/tpm: TPM auto-unseal, attested agents and their
 * policies (docs/tpm.md, docs/api.md "attest"). Handlers in
 * routes_attest.c; KW_ROUTES_ATTEST is their part of the route table. */

#include "daemon/request.h"

/* At start, after kw_svc_attest_open: unseals with the host TPM if one
 * is configured with a sealed master key, and audits the attempt
 * ("sys_tpm_unseal"). A failure leaves the instance sealed (status and
 * /v1/sys/tpm say why); the shares still work. */
void kw_tpm_autounseal_at_start(kw_service *svc);

void kw_h_tpm_seal(kw_req *r);
void kw_h_tpm_status(kw_req *r);
void kw_h_attest_policy_put(kw_req *r);
void kw_h_attest_policy_get(kw_req *r);
void kw_h_agent_enroll(kw_req *r);
void kw_h_agent_activate(kw_req *r);
void kw_h_attest_challenge(kw_req *r);
void kw_h_attest_quote(kw_req *r);
void kw_h_device_challenge(kw_req *r);
void kw_h_device_certificate(kw_req *r);

#define KW_ROUTES_ATTEST                                                      \
	{"POST", "/v1/sys/tpm/seal", kw_h_tpm_seal, 0, "sys_tpm_seal"},       \
		{"GET", "/v1/sys/tpm", kw_h_tpm_status, KW_RF_NO_AUTH,        \
		 "sys_tpm_status"},                                           \
		{"PUT", "/v1/attest/policies/{name}", kw_h_attest_policy_put, \
		 0, "attest_policy_put"},                                     \
		{"GET", "/v1/attest/policies/{name}", kw_h_attest_policy_get, \
		 0, "attest_policy_read"},                                    \
		{"POST", "/v1/attest/enroll", kw_h_agent_enroll, 0,           \
		 "agent_enroll"},                                             \
		{"POST", "/v1/attest/enroll/{id}/activate",                   \
		 kw_h_agent_activate, 0, "agent_activate"},                   \
		{"POST", "/v1/attest/challenge", kw_h_attest_challenge, 0,    \
		 "attest_challenge"},                                         \
		{"POST", "/v1/attest/quote", kw_h_attest_quote, 0,            \
		 "attest_quote"},                                             \
		{"POST", "/v1/attest/devices", kw_h_device_challenge, 0,      \
		 "device_challenge"},                                         \
	{                                                                     \
		"POST", "/v1/attest/devices/{id}/certificate",                \
			kw_h_device_certificate, 0, "device_certificate"      \
	}

#endif
