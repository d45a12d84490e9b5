/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CLI_PKI_CLI_H
#define KW_CLI_PKI_CLI_H

/* Shared by cmd_ca.c and cmd_codesign.c (docs/pki.md). */

#include "cli.h"

/*
 * method p (with ?partition= from the options) and body; *out gets the
 * response. Through kw_cli_call: --approval applies, and a request parked
 * for approval (202) is KW_E_QUORUM_PENDING (exit status 1).
 */
kw_rc kw_cli_gated_call(kw_cli *cli, const kw_cli_args *a, const char *method,
			kw_client_path *p, json_t *body, json_t **out);

/* Writes the string res[member] (PEM) to path, mode 0644. */
kw_rc kw_cli_pem_out(kw_cli *cli, const json_t *res, const char *member,
		     const char *path);

#endif
