/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CRYPTO_INTERNAL_H
#define KW_CRYPTO_INTERNAL_H

/*
 * Shared inside src/lib/crypto/ only: the body of kw_ckey, the pool of
 * prepared OpenSSL contexts, the algorithm objects fetched once, and the
 * hooks the self-test and its unit test use. Nothing outside this folder
 * includes this header (it pulls in OpenSSL).
 */

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto/crypto.h"

/* ---- algorithm objects, fetched once (fetch.c) ------------------------- */

typedef enum kw_cipher_id {
	KW_CIPHER_AES128_GCM = 0,
	KW_CIPHER_AES256_GCM,
	KW_CIPHER_AES128_KW,
	KW_CIPHER_AES256_KW,
	KW_CIPHER_AES128_KWP,
	KW_CIPHER_AES256_KWP,
	KW_CIPHER_AES192_KWP, /* only for the RFC 5649 known-answer tests */
	KW_CIPHER_COUNT_
} kw_cipher_id;

/* The digest for h, or NULL for KW_HASH_NONE, unknown values, or if the
 * provider does not have it. Fetched on first use (pthread_once), never
 * freed; thread-safe. */
const EVP_MD *kw_md(kw_hash h);
const EVP_CIPHER *kw_cipher(kw_cipher_id id);
EVP_MAC *kw_mac_hmac(void);
EVP_KDF *kw_kdf_hkdf(void);

/* Logs (debug level) the reason OpenSSL gave for a failed call named what,
 * clears this thread's OpenSSL error queue, and returns KW_E_CRYPTO. */
kw_rc kw_ossl_fail(const char *what);

/* A new HMAC context for digest h with key[0..key_len) set (digest.c).
 * KW_OK, KW_E_UNSUPPORTED, KW_E_NOMEM, KW_E_CRYPTO. */
kw_rc kw_hmac_ctx_new(kw_hash h, const uint8_t *key, size_t key_len,
		      EVP_MAC_CTX **out);
/* Runs an initialised HMAC context over in; out has EVP_MAX_MD_SIZE bytes
 * of room. KW_OK or KW_E_CRYPTO. */
kw_rc kw_hmac_ctx_run(EVP_MAC_CTX *ctx, const uint8_t *in, size_t in_len,
		      uint8_t *out, size_t *out_len);

/* ---- keys ---------------------------------------------------------------- */

/* What a pooled context is, so the pool can free it. */
typedef enum kw_ctx_kind {
	KW_CTX_PKEY = 1, /* EVP_PKEY_CTX */
	KW_CTX_MD,	 /* EVP_MD_CTX */
	KW_CTX_CIPHER,	 /* EVP_CIPHER_CTX */
	KW_CTX_MAC,	 /* EVP_MAC_CTX */
} kw_ctx_kind;

/* One prepared context on a key's free list. tag says what it was prepared
 * for (operation and parameters); see KW_TAG. */
typedef struct kw_pooled {
	struct kw_pooled *next;
	unsigned tag;
	kw_ctx_kind kind;
	void *ctx;
} kw_pooled;

/* Operations a context is prepared for; the variant says the parameters
 * (padding and digest for RSA, cipher for AES). */
enum {
	KW_OP_SIGN = 1,
	KW_OP_VERIFY,
	KW_OP_ENCRYPT,
	KW_OP_DECRYPT,
	KW_OP_MAC,
};
#define KW_TAG(op, variant) ((unsigned)(op) << 8 | (unsigned)(variant))

/* Variants of AES contexts. */
enum {
	KW_AES_GCM = 0,
	KW_AES_KW,
	KW_AES_KWP,
};

/* Contexts kept per key; more are made under load and freed when returned
 * to a full list. */
#define KW_POOL_MAX 16

struct kw_ckey {
	kw_key_type type;
	kw_key_class cls;
	bool priv;	/* holds a private (or symmetric) key */
	EVP_PKEY *pkey; /* RSA/EC/Ed25519, parsed once; OpenSSL keeps the
			 * private parts on its secure heap */
	kw_secret *raw; /* AES/HMAC key bytes */
	size_t sig_max; /* EVP_PKEY_get_size(): largest signature/ciphertext */
	pthread_mutex_t lock; /* guards free_list and n_free only */
	kw_pooled *free_list;
	unsigned n_free;
};

/* Makes a fresh context for tag on k (called without the lock held). */
typedef kw_rc (*kw_pool_make_fn)(const kw_ckey *k, unsigned tag,
				 void **out_ctx);

/* Takes a context prepared for tag from k's free list, or makes one with
 * make if there is none. KW_OK or what make returned. Thread-safe. */
kw_rc kw_pool_take(kw_ckey *k, unsigned tag, kw_ctx_kind kind,
		   kw_pool_make_fn make, kw_pooled **out);

/* Returns p to k's free list if ok (the operation left the context in a
 * reusable state), else frees it. NULL p is allowed. Thread-safe. */
void kw_pool_put(kw_ckey *k, kw_pooled *p, bool ok);

/* Frees every pooled context of k (k is being destroyed). */
void kw_pool_drain(kw_ckey *k);

/* kw_pool_make_fn for AES keys: an EVP_CIPHER_CTX with k's key schedule
 * set, for tag KW_TAG(KW_OP_ENCRYPT or KW_OP_DECRYPT, KW_AES_*). */
kw_rc kw_aes_ctx_make(const kw_ckey *k, unsigned tag, void **out_ctx);

/* Wraps an EVP_PKEY (taking ownership of it, also on failure) in a kw_ckey
 * of type t after checking that it is exactly that type (curve, RSA size).
 * KW_OK, KW_E_INVALID (mismatch), KW_E_NOMEM. */
kw_rc kw_ckey_from_pkey(kw_key_type t, EVP_PKEY *pkey, bool priv,
			kw_ckey **out);

/* Sign-then-verify (or encrypt-then-decrypt) once with k: the pairwise
 * consistency test run on every generated key and by the self-test.
 * KW_OK or KW_E_CRYPTO. */
kw_rc kw_ckey_pairwise_test(kw_ckey *k);

/* Field size in bytes of an EC key's curve (32, 48, 66); 0 otherwise. */
size_t kw_ec_field_len(kw_key_type t);
/* OpenSSL's group name of an EC key type ("prime256v1", ...); NULL
 * otherwise. */
const char *kw_ec_group(kw_key_type t);

/* Wipes s->data[len..) and sets s->len = len (len <= s->len): a secret
 * decrypted into a buffer of the largest possible size is cut to what was
 * written. Implemented in secret.c. */
void kw_secret_shrink(kw_secret *s, size_t len);

/* ---- self-test (selftest.c, vectors.c) ------------------------------------ */

typedef enum kw_kat_kind {
	KW_KAT_DIGEST = 1, /* hash: msg -> expect */
	KW_KAT_HMAC,	   /* hash: key, msg -> expect (raw key and, where the
			    * length allows, an HMAC key of that hash) */
	KW_KAT_HKDF,	   /* key = IKM, iv = salt, aad = info -> expect */
	KW_KAT_GCM,	   /* type: key, iv, aad, msg -> expect = ct || tag */
	KW_KAT_WRAP,	   /* cipher (type, or KW_KEY_NONE for the raw
			    * cipher): key, msg -> expect, and back */
	KW_KAT_ED25519,	   /* key = seed, iv = public key: sign msg ->
			    * expect, verify */
	KW_KAT_ECDSA,	   /* type, hash: key = private scalar, iv = public
			    * point: verify msg, expect = r || s; pairwise */
	KW_KAT_SIGVER,	   /* type, scheme, hash, salt: key = n, iv = e:
			    * verify msg, expect */
	KW_KAT_SIGGEN,	   /* type, scheme, hash: key = PKCS#8: sign msg ->
			    * expect (deterministic), verify */
	KW_KAT_OAEP_DEC,   /* type, hash: key = PKCS#8, msg = ct, aad = label
			    * -> expect; pairwise */
} kw_kat_kind;

/* One known-answer test. Byte strings are hex (NUL-terminated, "" empty,
 * NULL absent). */
typedef struct kw_kat {
	const char *name; /* logged when the test fails */
	kw_kat_kind kind;
	kw_key_type type;
	kw_hash hash;
	kw_sig_scheme scheme;
	kw_cipher_id cipher;
	int salt; /* PSS salt length */
	const char *key;
	const char *iv;
	const char *aad;
	const char *msg;
	const char *expect;
} kw_kat;

extern const kw_kat kw_kat_table[];
extern const size_t kw_kat_count;

/* Runs n tests of table; KW_OK, or KW_E_CRYPTO after logging the name of the
 * first failing test (and KW_E_NOMEM if memory ran out). The unit test calls
 * it with a corrupted copy of the table. */
kw_rc kw_crypto_selftest_table(const kw_kat *table, size_t n);

#endif
