/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_ALGS_H
#define KEYWARDEN_ALGS_H

#include <stdbool.h>
#include <stddef.h>

#include "keywarden/rc.h"

/*
 * Algorithm identifiers shared by every layer, with their stable names as
 * they appear in the API ("ecdsa-p256", "sha256", "pss"). The numeric values
 * are stored in sealed records: append only, never renumber.
 */
typedef enum kw_key_type {
	KW_KEY_NONE = 0,
	KW_KEY_RSA_2048 = 1,
	KW_KEY_RSA_3072 = 2,
	KW_KEY_RSA_4096 = 3,
	KW_KEY_EC_P256 = 4,
	KW_KEY_EC_P384 = 5,
	KW_KEY_EC_P521 = 6,
	KW_KEY_ED25519 = 7,
	KW_KEY_AES_128 = 8,
	KW_KEY_AES_256 = 9,
	KW_KEY_HMAC_SHA256 = 10,
	KW_KEY_HMAC_SHA384 = 11,
	KW_KEY_HMAC_SHA512 = 12,
	KW_KEY_TYPE_COUNT_
} kw_key_type;

typedef enum kw_key_class {
	KW_CLASS_NONE = 0,
	KW_CLASS_RSA,
	KW_CLASS_EC,
	KW_CLASS_EDDSA,
	KW_CLASS_AES,
	KW_CLASS_HMAC,
} kw_key_class;

typedef enum kw_hash {
	KW_HASH_NONE = 0,
	KW_HASH_SHA1 = 1,
	KW_HASH_SHA224 = 2,
	KW_HASH_SHA256 = 3,
	KW_HASH_SHA384 = 4,
	KW_HASH_SHA512 = 5,
	KW_HASH_COUNT_
} kw_hash;

/* Signature schemes. KW_SIG_DEFAULT picks the key's natural scheme: PKCS#1
 * v1.5 for RSA, ECDSA for EC, EdDSA for Ed25519. */
typedef enum kw_sig_scheme {
	KW_SIG_DEFAULT = 0,
	KW_SIG_RSA_PKCS1 = 1,
	KW_SIG_RSA_PSS = 2,
	KW_SIG_ECDSA = 3,
	KW_SIG_EDDSA = 4,
	KW_SIG_SCHEME_COUNT_
} kw_sig_scheme;

/* Encoding of ECDSA signatures: DER (X9.62 / what openssl produces) or the
 * fixed-size r||s concatenation (PKCS#11, JOSE). Ignored for other keys. */
typedef enum kw_sig_format {
	KW_SIG_FORMAT_DER = 0,
	KW_SIG_FORMAT_RAW = 1,
} kw_sig_format;

/* Parameters of a signature. Valid combinations are listed at
 * kw_ckey_sign() in src/lib/crypto/crypto.h. */
typedef struct kw_sign_params {
	kw_sig_scheme scheme; /* KW_SIG_DEFAULT: the key's natural scheme */
	kw_hash hash;	      /* digest; KW_HASH_NONE only where allowed */
	bool prehashed;	      /* in is already a digest of kw_hash_size(hash) */
	int pss_salt_len;     /* PSS only; -1 = the digest length */
	kw_sig_format format; /* ECDSA only */
} kw_sign_params;

typedef enum kw_wrap_mode {
	KW_WRAP_AES_KW = 1,  /* RFC 3394; input a multiple of 8, >= 16 bytes */
	KW_WRAP_AES_KWP = 2, /* RFC 5649; input 1.. bytes */
} kw_wrap_mode;

/* Stable API names; NULL for out-of-range values. */
const char *kw_key_type_name(kw_key_type t);
const char *kw_hash_name(kw_hash h);
const char *kw_sig_scheme_name(kw_sig_scheme s);

/* Parse API names (exact, lowercase). KW_OK, KW_E_INVALID (NULL args),
 * KW_E_UNSUPPORTED (unknown name). out untouched on failure. */
kw_rc kw_key_type_parse(const char *name, kw_key_type *out);
kw_rc kw_hash_parse(const char *name, kw_hash *out);
kw_rc kw_sig_scheme_parse(const char *name, kw_sig_scheme *out);

kw_key_class kw_key_type_class(kw_key_type t);
bool kw_key_type_is_asymmetric(kw_key_type t);
/* Key size in bits (RSA modulus, curve order, AES/HMAC key); 0 if unknown. */
unsigned kw_key_type_bits(kw_key_type t);
/* Digest size in bytes; 0 for KW_HASH_NONE or unknown. */
size_t kw_hash_size(kw_hash h);
/* For HMAC key types the hash they use; KW_HASH_NONE otherwise. */
kw_hash kw_key_type_hmac_hash(kw_key_type t);

#endif
