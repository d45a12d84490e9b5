/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CRYPTO_TPM_CRYPTO_H
#define KW_CRYPTO_TPM_CRYPTO_H

/*
 * The software half of the TPM 2.0 protocols keywarden runs as a verifier
 * (TPM 2.0 Library, Part 1 "Architecture", §11.4.10 KDFa, §24 credential
 * protection; Part 3 TPM2_MakeCredential): the credential-activation
 * challenge made without a TPM, signature checks of quotes, and the check
 * of an endorsement-key certificate. The TPM structures themselves are
 * parsed by src/lib/tpm/ (tss2-mu); this file sees only their fields.
 *
 * Conventions of crypto.h: KW_OK or a listed code, outputs only on
 * success, malloc()ed outputs freed by the caller. Thread-safe.
 */

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

/* The public part of a TPM key as the verifier needs it. */
typedef enum kw_tpm_keyalg {
	KW_TPM_KEY_RSA = 1,
	KW_TPM_KEY_ECC = 2,
} kw_tpm_keyalg;

#define KW_TPM_RSA_MAX 512 /* bytes of a 4096-bit modulus */
#define KW_TPM_ECC_MAX 66  /* bytes of a P-521 coordinate */

typedef struct kw_tpm_pubkey {
	kw_tpm_keyalg alg;
	kw_hash name_hash; /* the object's nameAlg */
	/* RSA: the modulus, big-endian, and the exponent (0 means 65537) */
	uint8_t n[KW_TPM_RSA_MAX];
	size_t n_len;
	uint32_t exponent;
	/* ECC: the NIST curve by its bits (256, 384, 521) and the point */
	unsigned curve_bits;
	uint8_t x[KW_TPM_ECC_MAX], y[KW_TPM_ECC_MAX];
	size_t x_len, y_len;
	/* Storage keys (an EK): AES-CFB key bits of the symmetric scheme
	 * used to protect credentials (128 or 256); 0 for other keys. */
	unsigned sym_bits;
} kw_tpm_pubkey;

/*
 * KDFa (Part 1 §11.4.10.2, SP 800-108 counter mode with HMAC-h): bits
 * (8..8192, a multiple of 8) of output into out (bits/8 bytes). label is a
 * C string whose terminating NUL is part of the input, as the TPM uses it.
 * ctx_u and ctx_v may be NULL (empty). KW_OK, KW_E_INVALID,
 * KW_E_UNSUPPORTED (h not SHA-2), KW_E_CRYPTO, KW_E_NOMEM.
 */
kw_rc kw_tpm_kdfa(kw_hash h, const uint8_t *key, size_t key_len,
		  const char *label, const uint8_t *ctx_u, size_t ctx_u_len,
		  const uint8_t *ctx_v, size_t ctx_v_len, size_t bits,
		  uint8_t *out);

/* What TPM2_MakeCredential returns, as field contents (src/lib/tpm/
 * marshals them into TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET). */
typedef struct kw_tpm_credential {
	uint8_t hmac[KW_DIGEST_MAX]; /* integrityHMAC */
	size_t hmac_len;
	uint8_t *enc_identity; /* encIdentity: the encrypted TPM2B_DIGEST */
	size_t enc_identity_len;
	uint8_t *secret; /* RSA: the OAEP ciphertext of the seed; ECC: the
			  * marshalled TPMS_ECC_POINT of the ephemeral key */
	size_t secret_len;
} kw_tpm_credential;

/*
 * TPM2_MakeCredential in software: protects credential (1..64 bytes) for
 * the object whose TPM name is name (nameAlg || digest), under ek (a
 * storage key with sym_bits set; RSA with OAEP and the label "IDENTITY",
 * or ECC on P-256/P-384 with one-pass ECDH and KDFe). Only the TPM that
 * holds ek's private key, and has the object `name` loaded, recovers the
 * credential (TPM2_ActivateCredential). *out is filled on KW_OK; release
 * it with kw_tpm_credential_clear. KW_OK, KW_E_INVALID (NULL, empty or
 * over-long credential or name, a key without sym_bits),
 * KW_E_UNSUPPORTED (curve or hash), KW_E_CRYPTO, KW_E_NOMEM.
 */
kw_rc kw_tpm_make_credential(const kw_tpm_pubkey *ek, const uint8_t *name,
			     size_t name_len, const kw_secret *credential,
			     kw_tpm_credential *out);
void kw_tpm_credential_clear(kw_tpm_credential *c);

/* Signature schemes a TPM signs attestation structures with. */
typedef enum kw_tpm_sigscheme {
	KW_TPM_SIG_RSASSA = 1,
	KW_TPM_SIG_RSAPSS = 2,
	KW_TPM_SIG_ECDSA = 3,
} kw_tpm_sigscheme;

/*
 * Checks a TPM signature by key over msg, hashed with h. sig is the RSA
 * signature (RSASSA, RSAPSS with a salt of any length, as TPMs use the
 * largest or the digest size), or r || s for ECDSA (sig_len/2 bytes each,
 * any length up to the coordinate size). KW_OK if valid; KW_E_VERIFY if
 * not (also for a scheme that does not fit the key); KW_E_INVALID,
 * KW_E_UNSUPPORTED, KW_E_CRYPTO, KW_E_NOMEM.
 */
KW_WUR kw_rc kw_tpm_sig_verify(const kw_tpm_pubkey *key, kw_tpm_sigscheme s,
			       kw_hash h, const uint8_t *msg, size_t msg_len,
			       const uint8_t *sig, size_t sig_len);

/*
 * Checks an endorsement-key certificate (DER) against the trust anchors in
 * ca_file (a PEM file of one or more certificates: root and intermediate
 * CAs of TPM manufacturers; every certificate in it is trusted) and that
 * its public key is ek. On failure *out_why (optional) points to a static
 * text saying why. KW_OK; KW_E_VERIFY (no chain to a trusted CA, expired,
 * malformed); KW_E_DENIED (the certificate is for another key);
 * KW_E_INVALID; KW_E_STORAGE (ca_file unreadable); KW_E_NOMEM.
 */
KW_WUR kw_rc kw_tpm_ekcert_check(const uint8_t *cert, size_t cert_len,
				 const char *ca_file, const kw_tpm_pubkey *ek,
				 const char **out_why);

/* Whether the SubjectPublicKeyInfo spki (DER) holds the key k (e.g. the
 * key of a certificate request for a TPM-resident key). KW_OK if it does;
 * KW_E_VERIFY if it is another key; KW_E_INVALID (malformed),
 * KW_E_NOMEM. */
KW_WUR kw_rc kw_tpm_spki_match(const kw_tpm_pubkey *k, const uint8_t *spki,
			       size_t spki_len);

#endif
