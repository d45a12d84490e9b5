/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/* TPM 2.0 verifier primitives: KDFa, KDFe, MakeCredential in software,
 * TPM signature checks and EK certificate checks (see tpm_crypto.h). */

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "crypto/internal.h"
#include "crypto/tpm_crypto.h"
#include "keywarden/log.h"

#define CRED_MAX 64 /* a TPM2B_DIGEST holds at most a SHA-512 digest */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static const char *curve_name(unsigned bits)
{
	switch (bits) {
	case 256:
		return "P-256";
	case 384:
		return "P-384";
	case 521:
		return "P-521";
	default:
		return NULL;
	}
}

kw_rc kw_tpm_kdfa(kw_hash h, const uint8_t *key, size_t key_len,
		  const char *label, const uint8_t *ctx_u, size_t ctx_u_len,
		  const uint8_t *ctx_v, size_t ctx_v_len, size_t bits,
		  uint8_t *out)
{
	kw_rc rc = KW_E_INVALID;
	EVP_MAC_CTX *base = NULL, *ctx = NULL;
	uint8_t block[EVP_MAX_MD_SIZE], num[4];
	size_t done = 0, want = bits / 8, blen = 0;
	uint32_t i = 0;

	if (key == NULL || label == NULL || out == NULL || bits == 0 ||
	    bits % 8 != 0 || bits > 8192 || (ctx_u == NULL && ctx_u_len) ||
	    (ctx_v == NULL && ctx_v_len))
		goto out;
	rc = kw_hmac_ctx_new(h, key, key_len, &base);
	if (rc != KW_OK)
		goto out;
	while (done < want) {
		/* K(i) = HMAC(key, [i]32 || label || 0 || ctxU || ctxV ||
		 * [bits]32) */
		rc = KW_E_NOMEM;
		ctx = EVP_MAC_CTX_dup(base);
		if (ctx == NULL)
			goto out;
		rc = KW_E_CRYPTO;
		put32(num, ++i);
		if (EVP_MAC_update(ctx, num, 4) != 1 ||
		    EVP_MAC_update(ctx, (const uint8_t *)label,
				   strlen(label) + 1) != 1 ||
		    (ctx_u_len && EVP_MAC_update(ctx, ctx_u, ctx_u_len) != 1) ||
		    (ctx_v_len && EVP_MAC_update(ctx, ctx_v, ctx_v_len) != 1))
			goto out;
		put32(num, (uint32_t)bits);
		if (EVP_MAC_update(ctx, num, 4) != 1 ||
		    EVP_MAC_final(ctx, block, &blen, sizeof(block)) != 1) {
			rc = kw_ossl_fail("KDFa HMAC");
			goto out;
		}
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
		if (blen > want - done)
			blen = want - done;
		memcpy(out + done, block, blen);
		done += blen;
	}
	rc = KW_OK;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_CTX_free(base);
	OPENSSL_cleanse(block, sizeof(block));
	return rc;
}

/* KDFe (Part 1 §11.4.10.3, SP 800-56A concatenation): one or more
 * H([i]32 || Z || label || 0 || partyU || partyV). */
static kw_rc kdfe(kw_hash h, const uint8_t *z, size_t z_len, const char *label,
		  const uint8_t *u, size_t u_len, const uint8_t *v,
		  size_t v_len, uint8_t *out, size_t out_len)
{
	kw_rc rc = KW_E_UNSUPPORTED;
	const EVP_MD *md = kw_md(h);
	EVP_MD_CTX *ctx = NULL;
	uint8_t block[EVP_MAX_MD_SIZE], num[4];
	unsigned blen = 0;
	size_t done = 0;
	uint32_t i = 0;

	if (md == NULL)
		goto out;
	rc = KW_E_NOMEM;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		goto out;
	while (done < out_len) {
		put32(num, ++i);
		if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, num, 4) != 1 ||
		    EVP_DigestUpdate(ctx, z, z_len) != 1 ||
		    EVP_DigestUpdate(ctx, label, strlen(label) + 1) != 1 ||
		    EVP_DigestUpdate(ctx, u, u_len) != 1 ||
		    EVP_DigestUpdate(ctx, v, v_len) != 1 ||
		    EVP_DigestFinal_ex(ctx, block, &blen) != 1) {
			rc = kw_ossl_fail("KDFe");
			goto out;
		}
		if (blen > out_len - done)
			blen = (unsigned)(out_len - done);
		memcpy(out + done, block, blen);
		done += blen;
	}
	rc = KW_OK;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(block, sizeof(block));
	return rc;
}

/* An EVP_PKEY for the public key k. */
static kw_rc pubkey_pkey(const kw_tpm_pubkey *k, EVP_PKEY **out)
{
	kw_rc rc = KW_E_NOMEM;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *e = NULL;
	uint8_t point[1 + 2 * KW_TPM_ECC_MAX];
	size_t clen = 0;
	const char *curve = NULL;

	if (bld == NULL)
		goto out;
	rc = KW_E_INVALID;
	if (k->alg == KW_TPM_KEY_RSA) {
		if (k->n_len < 128 || k->n_len > KW_TPM_RSA_MAX)
			goto out;
		rc = KW_E_NOMEM;
		n = BN_bin2bn(k->n, (int)k->n_len, NULL);
		e = BN_new();
		if (n == NULL || e == NULL ||
		    BN_set_word(e, k->exponent ? k->exponent : 65537) != 1 ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) !=
			    1 ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else if (k->alg == KW_TPM_KEY_ECC) {
		curve = curve_name(k->curve_bits);
		rc = KW_E_UNSUPPORTED;
		if (curve == NULL)
			goto out;
		/* The uncompressed point, coordinates left-padded. */
		clen = (k->curve_bits + 7) / 8;
		rc = KW_E_INVALID;
		if (k->x_len > clen || k->y_len > clen || k->x_len == 0 ||
		    k->y_len == 0)
			goto out;
		memset(point, 0, sizeof(point));
		point[0] = 4;
		memcpy(point + 1 + clen - k->x_len, k->x, k->x_len);
		memcpy(point + 1 + 2 * clen - k->y_len, k->y, k->y_len);
		rc = KW_E_NOMEM;
		if (OSSL_PARAM_BLD_push_utf8_string(
			    bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) != 1 ||
		    OSSL_PARAM_BLD_push_octet_string(bld,
						     OSSL_PKEY_PARAM_PUB_KEY,
						     point, 1 + 2 * clen) != 1)
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	} else {
		goto out;
	}
	rc = KW_E_NOMEM;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (ctx == NULL || params == NULL)
		goto out;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		/* e.g. an EC point that is not on the curve */
		kw_ossl_fail("EVP_PKEY_fromdata");
		rc = KW_E_INVALID;
		goto out;
	}
	rc = KW_OK;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return rc;
}

/* The seed for an RSA storage key: random, OAEP-encrypted with the label
 * "IDENTITY". */
static kw_rc seed_rsa(const kw_tpm_pubkey *ek, EVP_PKEY *pk, uint8_t *seed,
		      size_t seed_len, kw_tpm_credential *c)
{
	static const char label[] = "IDENTITY";
	kw_rc rc = KW_E_NOMEM;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	char *lab = OPENSSL_malloc(sizeof(label));
	size_t len = 0;

	if (ctx == NULL || lab == NULL)
		goto out;
	memcpy(lab, label, sizeof(label));
	rc = kw_random(seed, seed_len);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_CRYPTO;
	if (EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, kw_md(ek->name_hash)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, kw_md(ek->name_hash)) != 1 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, lab, sizeof(label)) != 1) {
		rc = kw_ossl_fail("OAEP set-up");
		goto out;
	}
	lab = NULL; /* owned by ctx now */
	if (EVP_PKEY_encrypt(ctx, NULL, &len, seed, seed_len) != 1)
		goto out;
	rc = KW_E_NOMEM;
	c->secret = malloc(len);
	if (c->secret == NULL)
		goto out;
	if (EVP_PKEY_encrypt(ctx, c->secret, &len, seed, seed_len) != 1) {
		rc = kw_ossl_fail("OAEP encrypt");
		goto out;
	}
	c->secret_len = len;
	rc = KW_OK;
out:
	OPENSSL_free(lab);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* Appends a TPM2B (2-byte big-endian size, then the bytes) at p. */
static size_t put_tpm2b(uint8_t *p, const uint8_t *b, size_t len)
{
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)len;
	memcpy(p + 2, b, len);
	return 2 + len;
}

/* The seed for an ECC storage key: one-pass ECDH with an ephemeral key
 * (Part 1 §C.6.4); the secret is the ephemeral public point. */
static kw_rc seed_ecc(const kw_tpm_pubkey *ek, EVP_PKEY *pk, uint8_t *seed,
		      size_t seed_len, kw_tpm_credential *c)
{
	kw_rc rc = KW_E_NOMEM;
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	uint8_t z[KW_TPM_ECC_MAX], pt[1 + 2 * KW_TPM_ECC_MAX];
	uint8_t ekx[KW_TPM_ECC_MAX];
	size_t zlen = sizeof(z), ptlen = 0, clen = (ek->curve_bits + 7) / 8;

	eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve_name(ek->curve_bits));
	if (eph == NULL)
		goto out;
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	rc = KW_E_CRYPTO;
	if (dctx == NULL || EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer(dctx, pk) != 1 ||
	    EVP_PKEY_derive(dctx, z, &zlen) != 1 ||
	    EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_PUB_KEY, pt,
					    sizeof(pt), &ptlen) != 1 ||
	    ptlen != 1 + 2 * clen) {
		rc = kw_ossl_fail("ECDH");
		goto out;
	}
	memset(ekx, 0, sizeof(ekx));
	memcpy(ekx + clen - ek->x_len, ek->x, ek->x_len);
	rc = kdfe(ek->name_hash, z, zlen, "IDENTITY", pt + 1, clen, ekx, clen,
		  seed, seed_len);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	c->secret = malloc(4 + 2 * clen);
	if (c->secret == NULL)
		goto out;
	c->secret_len = put_tpm2b(c->secret, pt + 1, clen);
	c->secret_len +=
		put_tpm2b(c->secret + c->secret_len, pt + 1 + clen, clen);
	rc = KW_OK;
out:
	OPENSSL_cleanse(z, sizeof(z));
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(eph);
	return rc;
}

kw_rc kw_tpm_make_credential(const kw_tpm_pubkey *ek, const uint8_t *name,
			     size_t name_len, const kw_secret *credential,
			     kw_tpm_credential *out)
{
	kw_rc rc = KW_E_INVALID;
	kw_tpm_credential c = {0};
	EVP_PKEY *pk = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	EVP_MAC_CTX *mac = NULL;
	uint8_t seed[KW_DIGEST_MAX], symkey[32], hmackey[KW_DIGEST_MAX];
	uint8_t plain[2 + CRED_MAX];
	size_t hlen = ek != NULL ? kw_hash_size(ek->name_hash) : 0;
	size_t plen = 0;
	int n1 = 0, n2 = 0;

	if (ek == NULL || name == NULL || name_len < 4 || name_len > 2 + 64 ||
	    credential == NULL || credential->len == 0 ||
	    credential->len > CRED_MAX || out == NULL ||
	    (ek->sym_bits != 128 && ek->sym_bits != 256))
		goto out;
	rc = KW_E_UNSUPPORTED;
	if (hlen < 32 || kw_md(ek->name_hash) == NULL || credential->len > hlen)
		goto out;
	rc = pubkey_pkey(ek, &pk);
	if (rc != KW_OK)
		goto out;
	rc = ek->alg == KW_TPM_KEY_RSA ? seed_rsa(ek, pk, seed, hlen, &c)
				       : seed_ecc(ek, pk, seed, hlen, &c);
	if (rc != KW_OK)
		goto out;
	/* symKey = KDFa(nameAlg, seed, "STORAGE", name, -, symbits);
	 * HMACkey = KDFa(nameAlg, seed, "INTEGRITY", -, -, hash bits). */
	rc = kw_tpm_kdfa(ek->name_hash, seed, hlen, "STORAGE", name, name_len,
			 NULL, 0, ek->sym_bits, symkey);
	if (rc == KW_OK)
		rc = kw_tpm_kdfa(ek->name_hash, seed, hlen, "INTEGRITY", NULL,
				 0, NULL, 0, hlen * 8, hmackey);
	if (rc != KW_OK)
		goto out;
	/* encIdentity = AES-CFB(symKey, IV 0, the marshalled credential) */
	plen = put_tpm2b(plain, credential->data, credential->len);
	rc = KW_E_NOMEM;
	c.enc_identity = malloc(plen);
	cctx = EVP_CIPHER_CTX_new();
	if (c.enc_identity == NULL || cctx == NULL)
		goto out;
	rc = KW_E_CRYPTO;
	if (EVP_EncryptInit_ex(cctx,
			       ek->sym_bits == 128 ? EVP_aes_128_cfb128()
						   : EVP_aes_256_cfb128(),
			       NULL, symkey, NULL) != 1 ||
	    EVP_EncryptUpdate(cctx, c.enc_identity, &n1, plain, (int)plen) !=
		    1 ||
	    EVP_EncryptFinal_ex(cctx, c.enc_identity + n1, &n2) != 1 ||
	    (size_t)(n1 + n2) != plen) {
		rc = kw_ossl_fail("AES-CFB");
		goto out;
	}
	c.enc_identity_len = plen;
	/* integrityHMAC = HMAC(HMACkey, encIdentity || name) */
	rc = kw_hmac_ctx_new(ek->name_hash, hmackey, hlen, &mac);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_CRYPTO;
	if (EVP_MAC_update(mac, c.enc_identity, plen) != 1 ||
	    EVP_MAC_update(mac, name, name_len) != 1 ||
	    EVP_MAC_final(mac, c.hmac, &c.hmac_len, sizeof(c.hmac)) != 1) {
		rc = kw_ossl_fail("integrity HMAC");
		goto out;
	}
	*out = c;
	memset(&c, 0, sizeof(c));
	rc = KW_OK;
out:
	kw_tpm_credential_clear(&c);
	EVP_MAC_CTX_free(mac);
	EVP_CIPHER_CTX_free(cctx);
	EVP_PKEY_free(pk);
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(symkey, sizeof(symkey));
	OPENSSL_cleanse(hmackey, sizeof(hmackey));
	OPENSSL_cleanse(plain, sizeof(plain));
	return rc;
}

void kw_tpm_credential_clear(kw_tpm_credential *c)
{
	if (c == NULL)
		return;
	free(c->enc_identity);
	free(c->secret);
	memset(c, 0, sizeof(*c));
}

/* r || s as a DER ECDSA-Sig-Value (malloc). */
static kw_rc ecdsa_der(const uint8_t *sig, size_t sig_len, uint8_t **out,
		       size_t *out_len)
{
	kw_rc rc = KW_E_NOMEM;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(sig_len / 2), NULL);
	BIGNUM *s = BN_bin2bn(sig + sig_len / 2, (int)(sig_len / 2), NULL);
	unsigned char *der = NULL;
	int n = 0;

	if (es == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;
	n = i2d_ECDSA_SIG(es, &der);
	if (n <= 0)
		goto out;
	*out = der;
	*out_len = (size_t)n;
	rc = KW_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

kw_rc kw_tpm_sig_verify(const kw_tpm_pubkey *key, kw_tpm_sigscheme s, kw_hash h,
			const uint8_t *msg, size_t msg_len, const uint8_t *sig,
			size_t sig_len)
{
	kw_rc rc = KW_E_INVALID;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int ok = 0;

	if (key == NULL || msg == NULL || sig == NULL || msg_len == 0 ||
	    msg_len > KW_CRYPTO_INPUT_MAX || sig_len == 0 || sig_len > 1024)
		goto out;
	rc = KW_E_UNSUPPORTED;
	if (kw_md(h) == NULL)
		goto out;
	rc = KW_E_VERIFY;
	if ((key->alg == KW_TPM_KEY_RSA) != (s != KW_TPM_SIG_ECDSA))
		goto out;
	if (s == KW_TPM_SIG_ECDSA) {
		if (sig_len % 2 != 0 ||
		    sig_len / 2 > (size_t)(key->curve_bits + 7) / 8)
			goto out;
		rc = ecdsa_der(sig, sig_len, &der, &der_len);
		if (rc != KW_OK)
			goto out;
	}
	rc = pubkey_pkey(key, &pk);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	mctx = EVP_MD_CTX_new();
	if (mctx == NULL)
		goto out;
	rc = KW_E_CRYPTO;
	if (EVP_DigestVerifyInit_ex(mctx, &pctx, EVP_MD_get0_name(kw_md(h)),
				    NULL, NULL, pk, NULL) != 1)
		goto out;
	if (s == KW_TPM_SIG_RSAPSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1))
		goto out;
	ok = der != NULL ? EVP_DigestVerify(mctx, der, der_len, msg, msg_len)
			 : EVP_DigestVerify(mctx, sig, sig_len, msg, msg_len);
	ERR_clear_error();
	rc = ok == 1 ? KW_OK : KW_E_VERIFY;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pk);
	return rc;
}

kw_rc kw_tpm_ekcert_check(const uint8_t *cert, size_t cert_len,
			  const char *ca_file, const kw_tpm_pubkey *ek,
			  const char **out_why)
{
	kw_rc rc = KW_E_INVALID;
	const unsigned char *p = cert;
	X509 *x = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *vctx = NULL;
	EVP_PKEY *pk = NULL;
	const char *why = "invalid argument";

	if (cert == NULL || cert_len == 0 || cert_len > 65536 ||
	    ca_file == NULL || ek == NULL)
		goto out;
	rc = KW_E_VERIFY;
	why = "EK certificate is not a DER X.509 certificate";
	x = d2i_X509(NULL, &p, (long)cert_len);
	if (x == NULL || p != cert + cert_len)
		goto out;
	rc = KW_E_NOMEM;
	store = X509_STORE_new();
	vctx = X509_STORE_CTX_new();
	if (store == NULL || vctx == NULL)
		goto out;
	rc = KW_E_STORAGE;
	why = "TPM manufacturer CA file cannot be read";
	if (X509_STORE_load_file(store, ca_file) != 1)
		goto out;
	/* Every configured certificate is an anchor: intermediates of a
	 * manufacturer may be configured without their root. */
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	rc = KW_E_VERIFY;
	why = "EK certificate does not chain to a trusted TPM manufacturer CA";
	if (X509_STORE_CTX_init(vctx, store, x, NULL) != 1 ||
	    X509_verify_cert(vctx) != 1) {
		KW_LOG_INFO("EK certificate: %s",
			    X509_verify_cert_error_string(
				    X509_STORE_CTX_get_error(vctx)));
		goto out;
	}
	rc = pubkey_pkey(ek, &pk);
	if (rc != KW_OK) {
		why = "EK public key is malformed";
		goto out;
	}
	rc = KW_E_DENIED;
	why = "EK certificate is for another key than the EK presented";
	if (EVP_PKEY_eq(pk, X509_get0_pubkey(x)) != 1)
		goto out;
	rc = KW_OK;
	why = NULL;
out:
	ERR_clear_error();
	if (rc != KW_OK && out_why != NULL)
		*out_why = why;
	EVP_PKEY_free(pk);
	X509_STORE_CTX_free(vctx);
	X509_STORE_free(store);
	X509_free(x);
	return rc;
}

kw_rc kw_tpm_spki_match(const kw_tpm_pubkey *k, const uint8_t *spki,
			size_t spki_len)
{
	kw_rc rc = KW_E_INVALID;
	const unsigned char *p = spki;
	EVP_PKEY *theirs = NULL, *ours = NULL;

	if (k == NULL || spki == NULL || spki_len == 0 || spki_len > 65536)
		goto out;
	theirs = d2i_PUBKEY(NULL, &p, (long)spki_len);
	if (theirs == NULL || p != spki + spki_len)
		goto out;
	rc = pubkey_pkey(k, &ours);
	if (rc != KW_OK)
		goto out;
	rc = EVP_PKEY_eq(ours, theirs) == 1 ? KW_OK : KW_E_VERIFY;
out:
	ERR_clear_error();
	EVP_PKEY_free(ours);
	EVP_PKEY_free(theirs);
	return rc;
}
