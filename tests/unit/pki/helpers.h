/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TESTS_PKI_HELPERS_H
#define KW_TESTS_PKI_HELPERS_H

/*
 * OpenSSL as the independent party of the PKI tests: it makes requests
 * and checks what keywarden builds (chains, CRLs, CMS, time stamps), so no
 * test checks the code under test with the code under test. Every helper
 * asserts with cmocka where it cannot go on (include after <cmocka.h>).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* A PKCS#10 request (DER, malloc, *len bytes) signed by pk, with subject
 * CN cn (NULL: empty subject) and, where not NULL, subjectAltName, keyUsage
 * and extendedKeyUsage values in OpenSSL's configuration syntax
 * ("DNS:a,IP:1.2.3.4", "digitalSignature", "serverAuth"), basicConstraints
 * CA:TRUE when ca. */
uint8_t *h_csr(EVP_PKEY *pk, const char *cn, const char *san, const char *ku,
	       const char *eku, bool ca, size_t *len);

/* OpenSSL's verdict (1 or 0) on leaf, built up through the untrusted
 * intermediates mids[0..n_mids) (DER) to the trusted root, under purpose
 * (an X509_PURPOSE_*, 0: the default), checking crls[0..n_crls) (DER) when
 * n_crls > 0. */
int h_verify(const uint8_t *root, size_t root_len, const uint8_t *const *mids,
	     const size_t *mid_lens, size_t n_mids, const uint8_t *leaf,
	     size_t leaf_len, int purpose, const uint8_t *const *crls,
	     const size_t *crl_lens, size_t n_crls);

/* CMS_verify of a detached signature (DER) over content with root as the
 * only trust anchor, any purpose. */
int h_cms_verify(const uint8_t *sig, size_t len, const uint8_t *root,
		 size_t root_len, const void *content, size_t content_len);

/* A DER TimeStampReq for digest dg under md. */
uint8_t *h_ts_query(const EVP_MD *md, const uint8_t *dg, bool nonce,
		    bool cert_req, const char *policy, size_t *len);

/* TS_RESP_verify_response of resp against the request q, root trusted,
 * tsa (NULL: the response must carry it) as the signer's certificate. */
int h_ts_verify(const uint8_t *q, size_t ql, const uint8_t *resp, size_t rl,
		const uint8_t *root, size_t root_len, const uint8_t *tsa,
		size_t tsa_len);

/* The status (0 granted, 2 rejection) of a DER TimeStampResp. */
long h_ts_status(const uint8_t *resp, size_t rl);

/* Whether serial (big-endian) is listed by the DER CRL; and its number. */
bool h_crl_lists(const uint8_t *crl, size_t len, const uint8_t *serial,
		 size_t serial_len, long *out_number);

#endif
