/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_DEV_H
#define KW_DAEMON_DEV_H

/*
 * keywardend --dev [--data DIR] [--port N]: an initialised, unsealed
 * instance in DIR with a Unix socket and TLS on 127.0.0.1 (INSECURE BY
 * DESIGN; docs/operations.md).
 */

#include <limits.h>
#include <stdio.h>

#include "daemon/config.h"
#include "keywarden/secret.h"
#include "service/service.h"

typedef struct kw_dev {
	const char *dir_arg; /* as given */
	char dir[PATH_MAX];  /* absolute, set by kw_dev_config */
	unsigned port;	     /* TLS port; 0 = any free one */
} kw_dev;

/* Creates DIR (0700) if needed, writes the dev CA and server certificate
 * if missing, and builds the configuration: DIR/keywarden.sock (0600),
 * 127.0.0.1:port with TLS, SQLite in DIR/keywarden.db. */
kw_rc kw_dev_config(kw_dev *dev, kw_config **out);

/* Initialises the instance (1-of-1, the share to DIR/dev-unseal-share)
 * or unseals it with that share, then issues a fresh root token (earlier
 * dev root tokens are revoked). Each step is audited. */
kw_rc kw_dev_bootstrap(kw_dev *dev, kw_service *svc, kw_secret **out_token);

/* Writes DIR/dev.env and prints the banner with the addresses, the token,
 * the CA, the PKCS#11 module (if built) and a curl example to out. */
kw_rc kw_dev_announce(kw_dev *dev, unsigned port, const kw_secret *token,
		      FILE *out);

#endif
