/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_AGENT_AGENT_H
#define KW_AGENT_AGENT_H

/*
 * The agent side of attestation (`keywarden agent ...`): the endorsement
 * key and its certificate, the attestation key, TPM2_ActivateCredential and
 * TPM2_Quote, through tss2-esys against a TCTI. It runs on the agent's
 * machine, in the CLI's process, and holds no keywarden secret: only TPM
 * outputs pass through it.
 *
 * Keys: the EK is the TCG default RSA 2048 EK (template L-1; the same key
 * `tpm2_createek -G rsa` makes and swtpm_setup certifies); the AK is an RSA
 * 2048 restricted signing key (RSASSA, SHA-256), made as a primary key of
 * the endorsement hierarchy, so it is the same key every time and nothing
 * has to be stored. Every object and session is flushed before a function
 * returns (a TPM without a resource manager holds only three objects).
 *
 * Byte outputs are malloc()ed TPM wire encodings (TPM2B_PUBLIC,
 * TPMS_ATTEST, TPMT_SIGNATURE); the caller frees them. On failure
 * kwa_error() says why. A kwa_tpm is used by one thread at a time.
 */

#include <stddef.h>
#include <stdint.h>

#include "keywarden/rc.h"

typedef struct kwa_tpm kwa_tpm;

/* Connects to the TPM at tcti (NULL: the TCTI loader's default).
 * KW_OK, KW_E_UNAVAILABLE, KW_E_NOMEM. */
kw_rc kwa_open(const char *tcti, kwa_tpm **out);
void kwa_close(kwa_tpm *t);
/* Why the last call failed (static or owned by t), "" if it did not. */
const char *kwa_error(const kwa_tpm *t);

/* The EK's TPM2B_PUBLIC, and its certificate (DER) from the TCG NV index
 * 0x01c00002 (cert may be NULL; *cert_len 0 if the TPM has none).
 * KW_OK, KW_E_TPM, KW_E_NOMEM. */
kw_rc kwa_ek(kwa_tpm *t, uint8_t **pub, size_t *pub_len, uint8_t **cert,
	     size_t *cert_len);

/* The AK's TPM2B_PUBLIC. KW_OK, KW_E_TPM, KW_E_NOMEM. */
kw_rc kwa_ak(kwa_tpm *t, uint8_t **pub, size_t *pub_len);

/* The TPM2B_PUBLIC of the persistent key at handle (0x81xxxxxx).
 * KW_OK, KW_E_INVALID, KW_E_TPM, KW_E_NOMEM. */
kw_rc kwa_key_public(kwa_tpm *t, uint32_t handle, uint8_t **pub,
		     size_t *pub_len);

/* TPM2_ActivateCredential of a credential made for the AK (handle 0) or
 * for the persistent key at handle, under the EK: blob is a marshalled
 * TPM2B_ID_OBJECT, secret a TPM2B_ENCRYPTED_SECRET. The recovered
 * credential goes to out (room for 64 bytes; the caller wipes it).
 * KW_OK, KW_E_INVALID, KW_E_TPM (also: made for another TPM or key). */
kw_rc kwa_activate(kwa_tpm *t, uint32_t handle, const uint8_t *blob,
		   size_t blob_len, const uint8_t *secret, size_t secret_len,
		   uint8_t out[64], size_t *out_len);

/* A quote by the AK over the PCRs of mask (bit i = PCR i, 0..23) in bank
 * (a TPM2_ALG_ID: 0x000B SHA-256, 0x0004 SHA-1, ...) with nonce as
 * qualifying data; and the current values of those PCRs (pcrs[i] for each
 * selected i, *digest_len bytes each). KW_OK, KW_E_INVALID, KW_E_TPM,
 * KW_E_NOMEM. */
kw_rc kwa_quote(kwa_tpm *t, uint16_t bank, uint32_t mask, const uint8_t *nonce,
		size_t nonce_len, uint8_t **attest, size_t *attest_len,
		uint8_t **sig, size_t *sig_len, uint8_t pcrs[24][64],
		size_t *digest_len);

#endif
