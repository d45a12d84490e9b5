/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_TPM_H
#define KEYWARDEN_TPM_H

/*
 * TPM 2.0 for keywardend (DESIGN.md §1.3, §4 "attest"; docs/tpm.md):
 *
 *  - the verifier of remote TPMs: endorsement keys and their certificates,
 *    attestation keys (AK), the credential-activation challenge made in
 *    software, and quotes checked field by field (no tpm2_checkquote);
 *  - the host TPM: the master key sealed to a PCR policy (auto-unseal).
 *
 * TPM structures travel in their TPM wire encoding (as tpm2-tools write
 * them with -f tss / -m): a TPM2B_PUBLIC for keys, a TPMS_ATTEST (the
 * attestationData of a TPM2B_ATTEST; a TPM2B_ATTEST is accepted too) and a
 * TPMT_SIGNATURE for quotes, TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET for
 * a credential. Every parser refuses trailing bytes.
 *
 * On a failure, functions that take `const char **out_why` point it (if not
 * NULL) to a static, client-safe text naming the first check that failed.
 * All functions are thread-safe; none keeps state between calls.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/algs.h"
#include "keywarden/rc.h"
#include "keywarden/secret.h"

#define KW_TPM_NAME_MAX	  (2 + 64) /* nameAlg || digest */
#define KW_TPM_PCRS	  24	   /* PCRs 0..23 of a PC-client TPM */
#define KW_TPM_NONCE_MAX  64
#define KW_TPM_OBJECT_MAX 1024 /* bytes of a marshalled TPM2B_PUBLIC */

/* What a key is for; checked by kw_tpm_key_check. */
typedef enum kw_tpm_key_role {
	/* an EK: restricted decryption key, fixedTPM, fixedParent, RSA or
	 * ECC with an AES-CFB symmetric scheme (for credentials) */
	KW_TPM_ROLE_EK = 1,
	/* an AK: restricted signing key, fixedTPM, fixedParent,
	 * sensitiveDataOrigin, not a decryption key */
	KW_TPM_ROLE_AK = 2,
	/* a device key: unrestricted signing key (TLS client auth),
	 * fixedTPM, fixedParent, sensitiveDataOrigin, not a decryption key */
	KW_TPM_ROLE_DEVICE = 3,
} kw_tpm_key_role;

/*
 * Parses pub (a TPM2B_PUBLIC) and checks it fits role. On KW_OK writes the
 * object's TPM name (nameAlg || H(TPMT_PUBLIC)) to out_name (optional; room
 * for KW_TPM_NAME_MAX bytes) and its length to *out_name_len.
 * KW_OK; KW_E_INVALID (NULL, not a TPM2B_PUBLIC, trailing bytes);
 * KW_E_DENIED (attributes or algorithms that do not fit role: e.g. an AK
 * that is not restricted or not fixedTPM; out_why says which);
 * KW_E_UNSUPPORTED (an algorithm the verifier does not know).
 */
kw_rc kw_tpm_key_check(const uint8_t *pub, size_t pub_len, kw_tpm_key_role role,
		       uint8_t *out_name, size_t *out_name_len,
		       const char **out_why);

/*
 * Checks an EK certificate (DER) against the TPM manufacturer CAs in
 * ca_file (PEM, every certificate an anchor) and that it certifies the EK
 * ek_pub (a TPM2B_PUBLIC that passes KW_TPM_ROLE_EK). KW_OK; KW_E_VERIFY
 * (no chain); KW_E_DENIED (another key, or not an EK); KW_E_INVALID;
 * KW_E_STORAGE (ca_file unreadable); KW_E_NOMEM.
 */
kw_rc kw_tpm_ek_check(const uint8_t *ek_pub, size_t ek_pub_len,
		      const uint8_t *cert, size_t cert_len, const char *ca_file,
		      const char **out_why);

/*
 * TPM2_MakeCredential in software: protects credential (1..32 bytes) so
 * that only the TPM holding ek_pub's private key, with the object named
 * name loaded, recovers it with TPM2_ActivateCredential. Outputs (malloc)
 * are the marshalled TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET.
 * KW_OK, KW_E_INVALID, KW_E_DENIED (ek_pub is not an EK), KW_E_CRYPTO,
 * KW_E_NOMEM.
 */
kw_rc kw_tpm_credential_make(const uint8_t *ek_pub, size_t ek_pub_len,
			     const uint8_t *name, size_t name_len,
			     const kw_secret *credential, uint8_t **out_blob,
			     size_t *out_blob_len, uint8_t **out_secret,
			     size_t *out_secret_len);

/* Whether the SubjectPublicKeyInfo spki (DER; e.g. of a certificate
 * request) holds the public key of pub (a TPM2B_PUBLIC). KW_OK; KW_E_VERIFY
 * (another key); KW_E_INVALID; KW_E_UNSUPPORTED; KW_E_NOMEM. */
kw_rc kw_tpm_key_spki_match(const uint8_t *pub, size_t pub_len,
			    const uint8_t *spki, size_t spki_len);

/* A PCR selection in one bank: bit i of mask selects PCR i (0..23). */
typedef struct kw_tpm_pcrsel {
	kw_hash bank; /* KW_HASH_SHA1/256/384/512 */
	uint32_t mask;
} kw_tpm_pcrsel;

/* The TPM's counters from a quote's clockInfo. Ordered: a later quote of
 * the same TPM never has a smaller (reset, restart, clock), restart only
 * compared within one reset. */
typedef struct kw_tpm_clock {
	uint64_t clock;
	uint32_t reset_count;
	uint32_t restart_count;
	bool safe;
} kw_tpm_clock;

/* What a quote must show. */
typedef struct kw_tpm_quote_expect {
	const uint8_t *ak_pub; /* the enrolled AK (TPM2B_PUBLIC) */
	size_t ak_pub_len;
	const uint8_t *nonce; /* the server's challenge = extraData */
	size_t nonce_len;
	kw_tpm_pcrsel sel; /* exactly this selection must be signed */
	/* the PCR values the agent reports, in the bank's digest size, for
	 * every PCR of sel (others ignored) */
	const uint8_t (*pcrs)[64];
	/* the counters of the last accepted quote of this TPM (NULL: none
	 * yet) */
	const kw_tpm_clock *last;
} kw_tpm_quote_expect;

/*
 * The verifier. Checks, in order and each refusing on its own: that attest
 * is one TPMS_ATTEST (or TPM2B_ATTEST) and sig one TPMT_SIGNATURE; the
 * signature by the AK over attest (scheme and hash of the AK, or the
 * scheme the signature names if the AK allows any); magic ==
 * TPM_GENERATED_VALUE; type == TPM_ST_ATTEST_QUOTE; extraData == nonce;
 * the signed PCR selection equals e->sel exactly; pcrDigest ==
 * H(reported values in PCR order); and that the counters did not go
 * backwards from e->last. On KW_OK writes the quote's counters to
 * out_clock (optional) and SHA-256(attest || sig) to out_evidence
 * (optional, 32 bytes): the digest audit entries carry.
 * KW_OK; KW_E_VERIFY (a check failed; out_why says which); KW_E_INVALID
 * (NULL, lengths); KW_E_UNSUPPORTED; KW_E_NOMEM.
 */
kw_rc kw_tpm_quote_verify(const kw_tpm_quote_expect *e, const uint8_t *attest,
			  size_t attest_len, const uint8_t *sig, size_t sig_len,
			  kw_tpm_clock *out_clock, uint8_t out_evidence[32],
			  const char **out_why);

/* ---- the host TPM (tss2-esys through the TCTI loader) ------------------ */

/*
 * Seals data (1..128 bytes, e.g. the master key) to the TPM reached by
 * tcti (a TCTI configuration string such as "device:/dev/tpmrm0" or
 * "swtpm:host=127.0.0.1,port=2321"; NULL: the TCTI loader's default) under
 * a policy on the current values of the PCRs of sel: a sealed data object
 * under a primary storage key (ECC P-256, owner hierarchy, re-created from
 * its template each time). *out_blob (malloc) holds the object's public
 * and private parts and sel; it is useless without this TPM. The TPM's
 * objects and sessions are flushed before return. KW_OK; KW_E_INVALID;
 * KW_E_UNAVAILABLE (no TPM at tcti); KW_E_TPM (the TPM refused; logged);
 * KW_E_NOMEM.
 */
kw_rc kw_tpm_seal(const char *tcti, const kw_tpm_pcrsel *sel,
		  const kw_secret *data, uint8_t **out_blob,
		  size_t *out_blob_len);

/*
 * Unseals a blob from kw_tpm_seal with a policy session on the PCRs it
 * names. KW_OK and *out; KW_E_DENIED (the PCR values differ from those
 * sealed to: out_why says so); KW_E_INVALID (malformed blob);
 * KW_E_UNAVAILABLE (no TPM); KW_E_TPM (another TPM error, e.g. a blob of
 * another TPM); KW_E_NOMEM.
 */
kw_rc kw_tpm_unseal(const char *tcti, const uint8_t *blob, size_t blob_len,
		    kw_secret **out, const char **out_why);

/* The PCR selection a sealed blob names. KW_OK or KW_E_INVALID (not a
 * blob of kw_tpm_seal: malformed, or a selection of no PCR or of more than
 * one bank). */
kw_rc kw_tpm_blob_pcrsel(const uint8_t *blob, size_t blob_len,
			 kw_tpm_pcrsel *out);

/* Parses "sha256:0,1,7" (bank, then PCR numbers 0..23) into out.
 * KW_OK or KW_E_INVALID. */
kw_rc kw_tpm_pcrsel_parse(const char *text, kw_tpm_pcrsel *out);

#endif
