/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_ROUTES_CA_H
#define KW_DAEMON_ROUTES_CA_H

/* /v1/ca, /v1/certs and code signing (docs/pki.md). Handlers in
 * routes_ca.c; KW_ROUTES_CA is their part of the route table (routes.c).
 * The time-stamping authority is in routes_tsa.h. */

#include "daemon/request.h"

void kw_h_ca_create(kw_req *r);
void kw_h_ca_list(kw_req *r);
void kw_h_ca_get(kw_req *r);
void kw_h_ca_update(kw_req *r);
void kw_h_ca_chain(kw_req *r);
void kw_h_ca_crl(kw_req *r);
void kw_h_ca_issue(kw_req *r);
void kw_h_cert_list(kw_req *r);
void kw_h_cert_get(kw_req *r);
void kw_h_cert_revoke(kw_req *r);
void kw_h_codesign(kw_req *r);

/* clang-format off */
#define KW_ROUTES_CA \
	{"POST", "/v1/ca", kw_h_ca_create, 0, "ca_create"}, \
	{"GET", "/v1/ca", kw_h_ca_list, 0, "ca_list"}, \
	{"GET", "/v1/ca/{name}", kw_h_ca_get, 0, "ca_read"}, \
	{"PATCH", "/v1/ca/{name}", kw_h_ca_update, 0, "ca_update"}, \
	{"GET", "/v1/ca/{name}/chain", kw_h_ca_chain, 0, "ca_read"}, \
	{"GET", "/v1/ca/{name}/crl", kw_h_ca_crl, 0, "crl_read"}, \
	{"POST", "/v1/ca/{name}/issue", kw_h_ca_issue, 0, "cert_issue"}, \
	{"GET", "/v1/certs", kw_h_cert_list, 0, "cert_list"}, \
	{"GET", "/v1/certs/{serial}", kw_h_cert_get, 0, "cert_read"}, \
	{"POST", "/v1/certs/{serial}/revoke", kw_h_cert_revoke, 0, \
	 "cert_revoke"}, \
	{"POST", "/v1/keys/{name}/codesign", kw_h_codesign, 0, "key_codesign"}
/* clang-format on */

#endif
