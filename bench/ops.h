/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_BENCH_OPS_H
#define KW_BENCH_OPS_H

/*
 * The operations every target of the benchmark measures (raw OpenSSL,
 * REST, PKCS#11), one table so that each target runs the same thing:
 * the same key type, hash, scheme and data size.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum kw_bench_kind {
	KW_BENCH_SIGN,	  /* sign a BENCH_MSG_LEN-byte message */
	KW_BENCH_ENCRYPT, /* AES-256-GCM encrypt len bytes */
	KW_BENCH_DATAKEY, /* a new AES-256 data key, wrapped under the key */
	KW_BENCH_KEYGEN,  /* a new persistent EC P-256 key pair */
	KW_BENCH_LOOKUP,  /* find a key by name / label */
} kw_bench_kind;

typedef struct kw_bench_op {
	const char *name; /* "ecdsa-p256", "rsa2048-pss", ... */
	kw_bench_kind kind;
	const char *key_type; /* the API's key type of the key used */
	const char *hash;     /* "sha256", "sha384", NULL (Ed25519) */
	const char *scheme;   /* "ecdsa", "pkcs1", "pss", "eddsa", NULL */
	size_t len;	      /* plaintext bytes (KW_BENCH_ENCRYPT) */
	const char *summary;
} kw_bench_op;

/* Signed messages are this long (a digest is made of them). */
#define KW_BENCH_MSG_LEN 64

/* The table, ending with name == NULL, in the order results are shown. */
extern const kw_bench_op kw_bench_ops_table[];

/* The op called name, or NULL. */
const kw_bench_op *kw_bench_op_find(const char *name);

/* The data of call seq of thread idx, len bytes (len >= 12): seq, idx,
 * then 0x5a bytes. Distinct for every call; the first 12 bytes are the
 * first 16 characters of its base64, which is how `keywarden bench` varies
 * a large body cheaply. */
#define KW_BENCH_PREFIX_LEN 12
void kw_bench_msg(unsigned idx, uint64_t seq, uint8_t *buf, size_t len);

/* "ecdsa-p256,ed25519,..." into buf (for help texts). */
void kw_bench_op_names(char *buf, size_t len);

#endif
