/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_ROUTES_TSA_H
#define KW_DAEMON_ROUTES_TSA_H

/* /v1/tsa: the partition's RFC 3161 time-stamping authority (docs/pki.md).
 * POST takes a DER TimeStampReq (application/timestamp-query, a raw body:
 * KW_RF_RAW_BODY) and answers a DER TimeStampResp
 * (application/timestamp-reply). Handlers in routes_tsa.c. */

#include "daemon/request.h"

void kw_h_tsa_get(kw_req *r);
void kw_h_tsa_set(kw_req *r);
void kw_h_tsa_stamp(kw_req *r);

/* clang-format off */
#define KW_ROUTES_TSA \
	{"GET", "/v1/tsa", kw_h_tsa_get, 0, "tsa_read"}, \
	{"PUT", "/v1/tsa", kw_h_tsa_set, 0, "tsa_set"}, \
	{"POST", "/v1/tsa", kw_h_tsa_stamp, KW_RF_RAW_BODY, "tsa_stamp"}
/* clang-format on */

#endif
