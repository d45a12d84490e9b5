/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TPM_INTERNAL_H
#define KW_TPM_INTERNAL_H

/*
 * Shared inside src/lib/tpm/ only (it pulls in tss2):
 *
 *   key.c    TPM2B_PUBLIC parsing, key checks, names, EK certificates,
 *            MakeCredential marshalling
 *   quote.c  PCR selections and the quote verifier
 *   seal.c   sealing to the host TPM under a PCR policy (ESYS)
 */

#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include "crypto/tpm_crypto.h"
#include "keywarden/tpm.h"

/* The kw_hash of a TPM hash algorithm, KW_HASH_NONE if unknown. */
kw_hash tpm_hash(TPM2_ALG_ID alg);
/* The TPM algorithm of h, TPM2_ALG_NULL if none. */
TPM2_ALG_ID tpm_alg(kw_hash h);

/* Unmarshals a whole TPM2B_PUBLIC (no trailing bytes). KW_OK or
 * KW_E_INVALID. */
kw_rc tpm_pub_parse(const uint8_t *pub, size_t len, TPM2B_PUBLIC *out);

/* The verifier's view of p (RSA or ECC). KW_OK, KW_E_UNSUPPORTED. */
kw_rc tpm_pub_crypto(const TPMT_PUBLIC *p, kw_tpm_pubkey *out);

/* The name of p: nameAlg || H_nameAlg(marshalled TPMT_PUBLIC). out has room
 * for KW_TPM_NAME_MAX bytes. KW_OK, KW_E_UNSUPPORTED, KW_E_INVALID. */
kw_rc tpm_pub_name(const TPMT_PUBLIC *p, uint8_t *out, size_t *out_len);

/* sel as a TPML_PCR_SELECTION of one bank, 3 bytes of bitmap. KW_OK or
 * KW_E_INVALID (no PCR, PCR >= 24, unknown bank). */
kw_rc tpm_pcrsel_to(const kw_tpm_pcrsel *sel, TPML_PCR_SELECTION *out);

/* 1 if s selects exactly sel (one bank, the same PCRs, no other bit set in
 * any byte), else 0. */
int tpm_pcrsel_equal(const TPML_PCR_SELECTION *s, const kw_tpm_pcrsel *sel);

#endif
