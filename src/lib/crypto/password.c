/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "util/codec.h"

/*
 * scrypt password hashes (RFC 7914) in one self-describing text form:
 *
 *     $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>
 *
 * salt (16 bytes) and hash (32 bytes) in unpadded base64url. The parameters
 * travel with the hash, so raising the cost later does not break the hashes
 * already stored. The parser accepts exactly this form (decimal numbers
 * without leading zeros, canonical base64url) and nothing else.
 */

#define PW_PREFIX     "$scrypt$"
#define PW_SALT_LEN   16
#define PW_HASH_LEN   32
#define PW_INPUT_MAX  65536u
#define PW_MEM_MAX    (1024ull * 1024ull * 1024ull)
#define PW_LOG2_N_MAX 20u
#define PW_R_MAX      32u
#define PW_P_MAX      16u

/* Bytes scrypt needs for these parameters (B plus V, as OpenSSL counts
 * them), or 0 if they are out of range. */
static uint64_t pw_mem_needed(const kw_password_params *pp)
{
	if (pp->log2_n < 1 || pp->log2_n > PW_LOG2_N_MAX || pp->r < 1 ||
	    pp->r > PW_R_MAX || pp->p < 1 || pp->p > PW_P_MAX)
		return 0;
	uint64_t n = 1ull << pp->log2_n;
	uint64_t mem = 128ull * pp->r * (n + 2 + pp->p);
	return mem <= PW_MEM_MAX ? mem : 0;
}

static kw_rc pw_derive(const kw_password_params *pp, const kw_secret *password,
		       const uint8_t salt[static PW_SALT_LEN],
		       uint8_t out[static PW_HASH_LEN])
{
	kw_rc rc = KW_E_CRYPTO;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	uint64_t n = 1ull << pp->log2_n;
	uint32_t r = pp->r;
	uint32_t p = pp->p;
	/* Leave headroom over the exact need: OpenSSL rounds internally. */
	uint64_t maxmem = pw_mem_needed(pp) + 65536u;
	/* OpenSSL wants a non-NULL pointer even for an empty password. */
	static uint8_t empty[1];
	void *pass = password->len > 0 ? password->data : empty;

	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_SCRYPT, NULL);
	if (kdf == NULL)
		goto out;
	kctx = EVP_KDF_CTX_new(kdf);
	if (kctx == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, pass,
						  password->len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						  (void *)salt, PW_SALT_LEN),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
					    &maxmem),
		OSSL_PARAM_construct_end(),
	};
	if (EVP_KDF_derive(kctx, out, PW_HASH_LEN, params) != 1) {
		KW_LOG_ERROR("scrypt failed (ln=%u r=%u p=%u)", pp->log2_n,
			     pp->r, pp->p);
		goto out;
	}
	rc = KW_OK;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

static bool pw_input_ok(const kw_secret *password)
{
	return password != NULL &&
	       (password->data != NULL || password->len == 0) &&
	       password->len <= PW_INPUT_MAX;
}

kw_rc kw_password_hash(const kw_password_params *params,
		       const kw_secret *password, char **out)
{
	kw_rc rc = KW_E_INVALID;
	uint8_t salt[PW_SALT_LEN];
	uint8_t hash[PW_HASH_LEN];
	char salt_txt[32];
	char hash_txt[48];
	char *text = NULL;

	if (params == NULL || !pw_input_ok(password) || out == NULL ||
	    pw_mem_needed(params) == 0)
		goto out;
	if (RAND_bytes(salt, sizeof(salt)) != 1) {
		rc = KW_E_CRYPTO;
		goto out;
	}
	rc = pw_derive(params, password, salt, hash);
	if (rc != KW_OK)
		goto out;
	kw_base64_encode(salt, sizeof(salt), true, salt_txt);
	kw_base64_encode(hash, sizeof(hash), true, hash_txt);
	text = malloc(KW_PASSWORD_HASH_MAX + 1);
	if (text == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	int n = snprintf(text, KW_PASSWORD_HASH_MAX + 1,
			 PW_PREFIX "ln=%u,r=%u,p=%u$%s$%s", params->log2_n,
			 params->r, params->p, salt_txt, hash_txt);
	if (n < 0 || n > KW_PASSWORD_HASH_MAX) {
		rc = KW_E_INTERNAL;
		goto out;
	}
	*out = text;
	text = NULL;
	rc = KW_OK;
out:
	free(text);
	kw_wipe(hash, sizeof(hash));
	kw_wipe(hash_txt, sizeof(hash_txt));
	return rc;
}

/* Reads "<name>=<decimal>" up to the delimiter `end`: no sign, no leading
 * zero, at most 4 digits. Advances *pp past the delimiter. */
static bool pw_parse_num(const char **pp, const char *name, char end,
			 unsigned *out)
{
	const char *p = *pp;
	size_t nl = strlen(name);
	if (strncmp(p, name, nl) != 0 || p[nl] != '=')
		return false;
	p += nl + 1;
	unsigned v = 0;
	size_t digits = 0;
	while (*p >= '0' && *p <= '9') {
		if (digits == 0 && *p == '0' && p[1] >= '0' && p[1] <= '9')
			return false;
		if (++digits > 4)
			return false;
		v = v * 10 + (unsigned)(*p - '0');
		p++;
	}
	if (digits == 0 || *p != end)
		return false;
	*pp = p + 1;
	*out = v;
	return true;
}

/* Decodes a field of exactly want bytes of unpadded base64url ending at
 * `end` ('$' or NUL). */
static bool pw_parse_b64(const char **pp, char end, uint8_t *out, size_t want)
{
	const char *p = *pp;
	const char *stop = strchr(p, end);
	uint8_t buf[64];
	size_t got = 0;
	bool ok = false;

	if (stop == NULL ||
	    (size_t)(stop - p) != kw_base64_encoded_len(want, true))
		goto out;
	if (kw_base64_decode(p, (size_t)(stop - p), true, buf, &got) != KW_OK ||
	    got != want)
		goto out;
	memcpy(out, buf, want);
	*pp = end == '\0' ? stop : stop + 1;
	ok = true;
out:
	kw_wipe(buf, sizeof(buf));
	return ok;
}

static kw_rc pw_parse(const char *enc, kw_password_params *pp,
		      uint8_t salt[static PW_SALT_LEN],
		      uint8_t hash[static PW_HASH_LEN])
{
	if (strnlen(enc, KW_PASSWORD_HASH_MAX + 1) > KW_PASSWORD_HASH_MAX)
		return KW_E_INVALID;
	if (strncmp(enc, PW_PREFIX, strlen(PW_PREFIX)) != 0)
		return KW_E_INVALID;
	const char *p = enc + strlen(PW_PREFIX);
	if (!pw_parse_num(&p, "ln", ',', &pp->log2_n) ||
	    !pw_parse_num(&p, "r", ',', &pp->r) ||
	    !pw_parse_num(&p, "p", '$', &pp->p) || pw_mem_needed(pp) == 0)
		return KW_E_INVALID;
	if (!pw_parse_b64(&p, '$', salt, PW_SALT_LEN) ||
	    !pw_parse_b64(&p, '\0', hash, PW_HASH_LEN) || *p != '\0')
		return KW_E_INVALID;
	return KW_OK;
}

kw_rc kw_password_verify(const char *encoded, const kw_secret *password)
{
	kw_rc rc = KW_E_INVALID;
	kw_password_params pp = {0};
	uint8_t salt[PW_SALT_LEN];
	uint8_t want[PW_HASH_LEN];
	uint8_t got[PW_HASH_LEN];

	if (encoded == NULL || !pw_input_ok(password))
		goto out;
	rc = pw_parse(encoded, &pp, salt, want);
	if (rc != KW_OK)
		goto out;
	rc = pw_derive(&pp, password, salt, got);
	if (rc != KW_OK)
		goto out;
	rc = kw_ct_equal(want, got, PW_HASH_LEN) ? KW_OK : KW_E_VERIFY;
out:
	kw_wipe(want, sizeof(want));
	kw_wipe(got, sizeof(got));
	return rc;
}

kw_rc kw_password_params_get(const char *encoded, kw_password_params *out)
{
	uint8_t salt[PW_SALT_LEN];
	uint8_t hash[PW_HASH_LEN];
	kw_password_params pp = {0};

	if (encoded == NULL || out == NULL)
		return KW_E_INVALID;
	kw_rc rc = pw_parse(encoded, &pp, salt, hash);
	kw_wipe(hash, sizeof(hash));
	if (rc == KW_OK)
		*out = pp;
	return rc;
}
