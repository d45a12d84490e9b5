/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "keywarden/algs.h"

static const char *const key_type_names[KW_KEY_TYPE_COUNT_] = {
	[KW_KEY_RSA_2048] = "rsa-2048",
	[KW_KEY_RSA_3072] = "rsa-3072",
	[KW_KEY_RSA_4096] = "rsa-4096",
	[KW_KEY_EC_P256] = "ecdsa-p256",
	[KW_KEY_EC_P384] = "ecdsa-p384",
	[KW_KEY_EC_P521] = "ecdsa-p521",
	[KW_KEY_ED25519] = "ed25519",
	[KW_KEY_AES_128] = "aes-128",
	[KW_KEY_AES_256] = "aes-256",
	[KW_KEY_HMAC_SHA256] = "hmac-sha256",
	[KW_KEY_HMAC_SHA384] = "hmac-sha384",
	[KW_KEY_HMAC_SHA512] = "hmac-sha512",
};

static const char *const hash_names[KW_HASH_COUNT_] = {
	[KW_HASH_NONE] = "none",     [KW_HASH_SHA1] = "sha1",
	[KW_HASH_SHA224] = "sha224", [KW_HASH_SHA256] = "sha256",
	[KW_HASH_SHA384] = "sha384", [KW_HASH_SHA512] = "sha512",
};

static const char *const scheme_names[KW_SIG_SCHEME_COUNT_] = {
	[KW_SIG_DEFAULT] = "default", [KW_SIG_RSA_PKCS1] = "pkcs1",
	[KW_SIG_RSA_PSS] = "pss",     [KW_SIG_ECDSA] = "ecdsa",
	[KW_SIG_EDDSA] = "eddsa",
};

/* Looks name up in a table of n entries; index or -1. */
static int name_index(const char *const *table, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (table[i] != NULL && strcmp(table[i], name) == 0)
			return i;
	return -1;
}

const char *kw_key_type_name(kw_key_type t)
{
	return (unsigned)t < KW_KEY_TYPE_COUNT_ ? key_type_names[t] : NULL;
}

const char *kw_hash_name(kw_hash h)
{
	return (unsigned)h < KW_HASH_COUNT_ ? hash_names[h] : NULL;
}

const char *kw_sig_scheme_name(kw_sig_scheme s)
{
	return (unsigned)s < KW_SIG_SCHEME_COUNT_ ? scheme_names[s] : NULL;
}

kw_rc kw_key_type_parse(const char *name, kw_key_type *out)
{
	if (name == NULL || out == NULL)
		return KW_E_INVALID;
	int i = name_index(key_type_names, KW_KEY_TYPE_COUNT_, name);
	if (i <= 0)
		return KW_E_UNSUPPORTED;
	*out = (kw_key_type)i;
	return KW_OK;
}

kw_rc kw_hash_parse(const char *name, kw_hash *out)
{
	if (name == NULL || out == NULL)
		return KW_E_INVALID;
	int i = name_index(hash_names, KW_HASH_COUNT_, name);
	if (i < 0)
		return KW_E_UNSUPPORTED;
	*out = (kw_hash)i;
	return KW_OK;
}

kw_rc kw_sig_scheme_parse(const char *name, kw_sig_scheme *out)
{
	if (name == NULL || out == NULL)
		return KW_E_INVALID;
	int i = name_index(scheme_names, KW_SIG_SCHEME_COUNT_, name);
	if (i < 0)
		return KW_E_UNSUPPORTED;
	*out = (kw_sig_scheme)i;
	return KW_OK;
}

kw_key_class kw_key_type_class(kw_key_type t)
{
	switch (t) {
	case KW_KEY_RSA_2048:
	case KW_KEY_RSA_3072:
	case KW_KEY_RSA_4096:
		return KW_CLASS_RSA;
	case KW_KEY_EC_P256:
	case KW_KEY_EC_P384:
	case KW_KEY_EC_P521:
		return KW_CLASS_EC;
	case KW_KEY_ED25519:
		return KW_CLASS_EDDSA;
	case KW_KEY_AES_128:
	case KW_KEY_AES_256:
		return KW_CLASS_AES;
	case KW_KEY_HMAC_SHA256:
	case KW_KEY_HMAC_SHA384:
	case KW_KEY_HMAC_SHA512:
		return KW_CLASS_HMAC;
	default:
		return KW_CLASS_NONE;
	}
}

bool kw_key_type_is_asymmetric(kw_key_type t)
{
	kw_key_class c = kw_key_type_class(t);
	return c == KW_CLASS_RSA || c == KW_CLASS_EC || c == KW_CLASS_EDDSA;
}

unsigned kw_key_type_bits(kw_key_type t)
{
	static const unsigned bits[KW_KEY_TYPE_COUNT_] = {
		[KW_KEY_RSA_2048] = 2048,   [KW_KEY_RSA_3072] = 3072,
		[KW_KEY_RSA_4096] = 4096,   [KW_KEY_EC_P256] = 256,
		[KW_KEY_EC_P384] = 384,	    [KW_KEY_EC_P521] = 521,
		[KW_KEY_ED25519] = 256,	    [KW_KEY_AES_128] = 128,
		[KW_KEY_AES_256] = 256,	    [KW_KEY_HMAC_SHA256] = 256,
		[KW_KEY_HMAC_SHA384] = 384, [KW_KEY_HMAC_SHA512] = 512,
	};
	return (unsigned)t < KW_KEY_TYPE_COUNT_ ? bits[t] : 0;
}

size_t kw_hash_size(kw_hash h)
{
	static const size_t sizes[KW_HASH_COUNT_] = {
		[KW_HASH_SHA1] = 20,   [KW_HASH_SHA224] = 28,
		[KW_HASH_SHA256] = 32, [KW_HASH_SHA384] = 48,
		[KW_HASH_SHA512] = 64,
	};
	return (unsigned)h < KW_HASH_COUNT_ ? sizes[h] : 0;
}

kw_hash kw_key_type_hmac_hash(kw_key_type t)
{
	switch (t) {
	case KW_KEY_HMAC_SHA256:
		return KW_HASH_SHA256;
	case KW_KEY_HMAC_SHA384:
		return KW_HASH_SHA384;
	case KW_KEY_HMAC_SHA512:
		return KW_HASH_SHA512;
	default:
		return KW_HASH_NONE;
	}
}
