/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CRYPTO_X509_H
#define KW_CRYPTO_X509_H

/*
 * X.509 helpers the daemon needs (crypto/ is the only place that includes
 * OpenSSL).
 */

#include "keywarden/rc.h"

/*
 * Development TLS material (keywardend --dev): generates a throw-away CA
 * and a server certificate for localhost, 127.0.0.1 and ::1 signed by it,
 * both ECDSA P-256, valid for `days`. Writes the CA certificate to
 * ca_path (0644; the CA's private key is never written, so nothing else
 * can be signed with it), the server certificate to cert_path (0644) and
 * its private key, PKCS#8 PEM, to key_path (0600). Files are replaced.
 * KW_OK, KW_E_INVALID (NULL path, days 0), KW_E_CRYPTO, KW_E_STORAGE (a
 * file cannot be written).
 */
kw_rc kw_x509_dev_tls_generate(const char *ca_path, const char *cert_path,
			       const char *key_path, unsigned days);

#endif
