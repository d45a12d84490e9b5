/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CRYPTO_CRYPTO_H
#define KW_CRYPTO_CRYPTO_H

/*
 * The crypto interface of libkeywarden. crypto/ is the only directory of the
 * core that includes <openssl/...>; everything else calls these functions.
 *
 * Conventions for every function here:
 *  - returns KW_OK or one of the kw_rc listed; out-parameters are written
 *    only on success;
 *  - byte outputs that are not secrets are malloc()ed and freed by the
 *    caller with free(); secret outputs are kw_secret;
 *  - NULL pointers with a non-zero length, NULL out-parameters, unknown
 *    enum values and inputs over KW_CRYPTO_INPUT_MAX give KW_E_INVALID;
 *    an operation the key type cannot do gives KW_E_UNSUPPORTED;
 *  - a kw_ckey is immutable after creation and safe to use from many threads
 *    at once (it keeps a small pool of prepared OpenSSL contexts, so no
 *    operation re-parses the key or sets up the curve again).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/algs.h"
#include "keywarden/rc.h"
#include "keywarden/secret.h"

#define KW_CRYPTO_INPUT_MAX (64u * 1024u * 1024u)
#define KW_GCM_IV_LEN	    12
#define KW_GCM_TAG_LEN	    16
#define KW_DIGEST_MAX	    64

/* ---- random, digests, HKDF ------------------------------------------- */

/* Fills buf with len bytes from the DRBG (len 0 does nothing, and buf may
 * then be NULL). KW_OK, KW_E_INVALID, KW_E_CRYPTO. */
kw_rc kw_random(void *buf, size_t len);

/* out receives kw_hash_size(h) bytes. h must not be KW_HASH_NONE. */
kw_rc kw_digest(kw_hash h, const void *in, size_t in_len,
		uint8_t out[static KW_DIGEST_MAX], size_t *out_len);

/* Streaming digest, for inputs of any size. A context is used by one thread
 * at a time; after final, update and final give KW_E_STATE. */
typedef struct kw_digest_ctx kw_digest_ctx;
kw_rc kw_digest_ctx_new(kw_hash h, kw_digest_ctx **out);
kw_rc kw_digest_ctx_update(kw_digest_ctx *c, const void *in, size_t len);
kw_rc kw_digest_ctx_final(kw_digest_ctx *c, uint8_t out[static KW_DIGEST_MAX],
			  size_t *out_len);
void kw_digest_ctx_free(kw_digest_ctx *c);

/* HKDF-SHA-256 (RFC 5869): out_len bytes into a new secret. ikm must not be
 * empty; salt may be NULL (zero-length); out_len 1..8160. */
kw_rc kw_hkdf_sha256(const kw_secret *ikm, const void *salt, size_t salt_len,
		     const void *info, size_t info_len, size_t out_len,
		     kw_secret **out);

/* One-shot HMAC with a raw key (for internal uses: blind indexes, share
 * checksums). h must be a SHA-2 hash (SHA-1: KW_E_UNSUPPORTED). */
kw_rc kw_hmac(kw_hash h, const kw_secret *key, const void *in, size_t in_len,
	      uint8_t out[static KW_DIGEST_MAX], size_t *out_len);

/* ---- keys --------------------------------------------------------------- */

typedef struct kw_ckey kw_ckey;

/* A fresh key of type t (HMAC keys get the digest's size), checked by a
 * pairwise test before it is returned. KW_OK, KW_E_INVALID, KW_E_CRYPTO,
 * KW_E_NOMEM. */
kw_rc kw_ckey_generate(kw_key_type t, kw_ckey **out);

/* A key from its private encoding: PKCS#8 DER for RSA/EC/Ed25519 (the type
 * must match the encoded key, e.g. an RSA-3072 key is refused as rsa-2048),
 * raw key bytes for AES (16/32) and HMAC (any length 16..128).
 * KW_E_INVALID on malformed or mismatched input: trailing bytes, encrypted
 * PKCS#8, explicit EC curve parameters, RSASSA-PSS-restricted keys, and EC
 * keys whose public point is not the private scalar times the generator. */
kw_rc kw_ckey_from_private(kw_key_type t, const uint8_t *in, size_t in_len,
			   kw_ckey **out);

/* The private encoding of k (as accepted by kw_ckey_from_private), for
 * sealing into the store or wrapping for an approved export only. */
kw_rc kw_ckey_private_export(const kw_ckey *k, kw_secret **out);

/* A verify-only key from a SubjectPublicKeyInfo DER or PEM (t must match).
 * KW_E_UNSUPPORTED for symmetric types. */
kw_rc kw_ckey_from_public(kw_key_type t, const uint8_t *in, size_t in_len,
			  kw_ckey **out);

/* SubjectPublicKeyInfo, DER (malloc) or PEM (NUL-terminated, malloc).
 * KW_E_UNSUPPORTED for symmetric keys. */
kw_rc kw_ckey_public_der(const kw_ckey *k, uint8_t **out, size_t *out_len);
kw_rc kw_ckey_public_pem(const kw_ckey *k, char **out);

/* Raw public components, big-endian, minimal length (malloc each):
 *   RSA: a = n, b = e;  EC: a = x, b = y (each padded to the field size);
 *   Ed25519: a = the 32-byte public key, b = NULL/0.
 * Used for JWK and PKCS#11 attributes. */
kw_rc kw_ckey_public_components(const kw_ckey *k, uint8_t **out_a,
				size_t *out_a_len, uint8_t **out_b,
				size_t *out_b_len);

kw_key_type kw_ckey_type(const kw_ckey *k);
bool kw_ckey_has_private(const kw_ckey *k);
void kw_ckey_free(kw_ckey *k);

/* ---- signatures --------------------------------------------------------- */

/*
 * Valid combinations:
 *  RSA  PKCS1 : hash SHA-1/224/256/384/512 (message or prehashed); or
 *               hash NONE + prehashed: in is signed as-is with PKCS#1 type 1
 *               padding (CKM_RSA_PKCS: the caller supplies the DigestInfo).
 *  RSA  PSS   : hash SHA-1/224/256/384/512, MGF1 with the same hash.
 *  EC   ECDSA : hash SHA-*, or hash NONE + prehashed (any digest length,
 *               truncated as X9.62 says: CKM_ECDSA).
 *  Ed25519    : hash NONE, prehashed false (pure EdDSA, RFC 8032).
 * Anything else: KW_E_UNSUPPORTED, as is signing with a verify-only key.
 * KW_E_INVALID: a prehashed input of the wrong length; a CKM_ECDSA input
 * outside 1..KW_DIGEST_MAX bytes; a CKM_RSA_PKCS input outside 1..k-11
 * bytes; a PSS salt length other than -1 or 0..emLen-hLen-2.
 * Output: RSA k bytes; ECDSA DER (<= 139 bytes) or r||s (2 x 32/48/66);
 * Ed25519 64 bytes. Hash-and-sign is one EVP_Digest and one EVP_PKEY_sign.
 */
kw_rc kw_ckey_sign(kw_ckey *k, const kw_sign_params *p, const uint8_t *in,
		   size_t in_len, uint8_t **out_sig, size_t *out_len);

/* KW_OK if sig is valid, KW_E_VERIFY if not (also for a signature of the
 * wrong length or encoding, or empty), other codes for bad input. */
KW_WUR kw_rc kw_ckey_verify(kw_ckey *k, const kw_sign_params *p,
			    const uint8_t *in, size_t in_len,
			    const uint8_t *sig, size_t sig_len);

/* ---- encryption --------------------------------------------------------- */

/* AES-GCM. iv is KW_GCM_IV_LEN bytes; pass NULL to encrypt to have a random
 * one generated. out receives iv || ciphertext || tag (malloc).
 * KW_E_UNSUPPORTED for non-AES keys. */
kw_rc kw_ckey_gcm_encrypt(kw_ckey *k, const uint8_t *iv, const uint8_t *aad,
			  size_t aad_len, const uint8_t *pt, size_t pt_len,
			  uint8_t **out, size_t *out_len);

/* Takes iv || ciphertext || tag; KW_E_VERIFY if the tag (or AAD) is wrong,
 * KW_E_INVALID if in is shorter than IV + tag. The plaintext is a
 * kw_secret: it may be key material (unwrapping, data keys). */
kw_rc kw_ckey_gcm_decrypt(kw_ckey *k, const uint8_t *aad, size_t aad_len,
			  const uint8_t *in, size_t in_len, kw_secret **out);

/* RSA-OAEP with hash h for both the label hash and MGF1 (SHA-1/224/256/384/
 * 512; KW_HASH_NONE: KW_E_UNSUPPORTED); label may be NULL. KW_E_LIMIT if pt
 * is longer than k - 2 hLen - 2 bytes. A public key may encrypt. */
kw_rc kw_ckey_oaep_encrypt(kw_ckey *k, kw_hash h, const uint8_t *label,
			   size_t label_len, const uint8_t *pt, size_t pt_len,
			   uint8_t **out, size_t *out_len);
/* KW_E_VERIFY on a padding or label error or a ciphertext that is not k
 * bytes (one error, no oracle). Needs the private key (KW_E_UNSUPPORTED). */
kw_rc kw_ckey_oaep_decrypt(kw_ckey *k, kw_hash h, const uint8_t *label,
			   size_t label_len, const uint8_t *in, size_t in_len,
			   kw_secret **out);

/* ---- key wrap ----------------------------------------------------------- */

/* AES keys only. Lengths the RFCs do not allow are KW_E_INVALID: KW wraps a
 * multiple of 8 of at least 16 bytes, KWP 1.. bytes; wrapped inputs are
 * whole 8-byte blocks, at least 24 (KW) or 16 (KWP) bytes. */
kw_rc kw_ckey_wrap(kw_ckey *k, kw_wrap_mode m, const uint8_t *in, size_t in_len,
		   uint8_t **out, size_t *out_len);
/* KW_E_VERIFY if the integrity check fails. */
kw_rc kw_ckey_unwrap(kw_ckey *k, kw_wrap_mode m, const uint8_t *in,
		     size_t in_len, kw_secret **out);

/* ---- MAC ---------------------------------------------------------------- */

/* HMAC with the key's hash; out receives the full tag (malloc). */
kw_rc kw_ckey_mac(kw_ckey *k, const uint8_t *in, size_t in_len, uint8_t **out,
		  size_t *out_len);
/* Constant-time check of tag against the MAC's first tag_len bytes; tags
 * shorter than 16 bytes or longer than the MAC are refused (KW_E_INVALID). */
KW_WUR kw_rc kw_ckey_mac_verify(kw_ckey *k, const uint8_t *in, size_t in_len,
				const uint8_t *tag, size_t tag_len);

/* ---- self-tests --------------------------------------------------------- */

/* Runs the known-answer tests of every algorithm above with published
 * vectors (FIPS 180, NIST CAVP, RFC 8032, RFC 6979, RFC 3394, RFC 5649,
 * RFC 4231, RFC 5869, the GCM specification, Project Wycheproof) and
 * pairwise-consistency tests; the table is in vectors.c. KW_OK or
 * KW_E_CRYPTO (KW_E_NOMEM if memory runs out); the name of the first
 * failing test is logged. Thread-safe; takes about 20 ms. */
kw_rc kw_crypto_selftest(void);

/* ---- password hashing (scrypt, RFC 7914) ------------------------------ */

/* scrypt cost: N = 2^log2_n (1..20), r (1..32), p (1..16), and at most
 * 1 GiB of memory (128 * r * (N + p) bytes). */
typedef struct kw_password_params {
	unsigned log2_n;
	unsigned r;
	unsigned p;
} kw_password_params;

/* Longest encoded hash, without the NUL. */
#define KW_PASSWORD_HASH_MAX 128

/* Hashes password (0..65536 bytes) with scrypt under a fresh random 16-byte
 * salt. *out (malloc, NUL-terminated, at most KW_PASSWORD_HASH_MAX bytes) is
 * "$scrypt$ln=15,r=8,p=1$<salt>$<hash>", salt and 32-byte hash in unpadded
 * base64url. KW_OK, KW_E_INVALID (NULL, bad parameters), KW_E_CRYPTO,
 * KW_E_NOMEM. Thread-safe. */
kw_rc kw_password_hash(const kw_password_params *params,
		       const kw_secret *password, char **out);

/* Checks password against an encoded hash, with the parameters and salt of
 * the encoding, comparing in constant time. KW_OK on a match, KW_E_VERIFY
 * on a mismatch, KW_E_INVALID for a malformed encoding or bad arguments,
 * KW_E_CRYPTO, KW_E_NOMEM. Thread-safe. */
KW_WUR kw_rc kw_password_verify(const char *encoded, const kw_secret *password);

/* The parameters an encoded hash was made with (to re-hash on login after
 * the configured cost changed). KW_OK or KW_E_INVALID. */
kw_rc kw_password_params_get(const char *encoded, kw_password_params *out);

#endif
