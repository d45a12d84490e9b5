/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CLI_PKI_CLI_H
#define KW_CLI_PKI_CLI_H

/* Shared by cmd_ca.c and cmd_codesign.c (docs/pki.md). */

#include "cli.h"

/* Writes the string res[member] (PEM) to path, mode 0644. */
kw_rc kw_cli_pem_out(kw_cli *cli, const json_t *res, const char *member,
		     const char *path);

#endif
