/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CRYPTO_DER_H
#define KW_CRYPTO_DER_H

/*
 * A small DER writer for the files of crypto/ that assemble signed
 * structures (certificates, CRLs, CMS, time stamps) from parts OpenSSL
 * encodes. It only writes: nothing here parses DER. A writer remembers its
 * first error; later calls do nothing, and kw_der_finish reports it, so a
 * builder checks once at the end.
 */

#include <stddef.h>
#include <stdint.h>

#include "crypto/pki.h"

enum {
	KW_DER_BOOLEAN = 0x01,
	KW_DER_INTEGER = 0x02,
	KW_DER_BIT_STRING = 0x03,
	KW_DER_OCTET_STRING = 0x04,
	KW_DER_NULL = 0x05,
	KW_DER_OID = 0x06,
	KW_DER_UTC_TIME = 0x17,
	KW_DER_GENERALIZED_TIME = 0x18,
	KW_DER_SEQUENCE = 0x30,
	KW_DER_SET = 0x31,
	KW_DER_CTX0 = 0xa0, /* [0] constructed; add n for [n] */
	KW_DER_CTX0_PRIM = 0x80,
};

/* Largest encoding a writer builds. */
#define KW_DER_MAX (16u * 1024u * 1024u)

typedef struct kw_der {
	uint8_t *p;
	size_t len, cap;
	kw_rc err; /* first error */
} kw_der;

void kw_der_init(kw_der *d);
/* Frees the buffer; the writer may be used again after kw_der_init. */
void kw_der_clear(kw_der *d);

/* Appends already encoded bytes. */
void kw_der_raw(kw_der *d, const void *p, size_t n);
/* Appends tag, length and p[0..n). */
void kw_der_tlv(kw_der *d, uint8_t tag, const void *p, size_t n);
/* Appends inner's bytes as the content of tag; clears inner. An error in
 * inner becomes d's. */
void kw_der_wrap(kw_der *d, uint8_t tag, kw_der *inner);
/* Appends what an OpenSSL i2d_*() call wrote into *buf (n bytes, n <= 0
 * meaning it failed), frees it with OPENSSL_free and sets *buf to NULL.
 * Written kw_der_ossl(d, &buf, i2d_X(x, &buf)): the pointer, not its value,
 * is passed, as the order in which arguments are evaluated is unspecified
 * and the value is only set by the i2d call. */
void kw_der_ossl(kw_der *d, unsigned char **buf, int n);
/* INTEGER from an unsigned big-endian magnitude (leading zeros dropped, a
 * 0x00 added before a high bit); and from a small number. */
void kw_der_uint_bytes(kw_der *d, const uint8_t *be, size_t n);
void kw_der_uint(kw_der *d, uint64_t v);
/* OBJECT IDENTIFIER of an OpenSSL NID. */
void kw_der_oid(kw_der *d, int nid);
/* AlgorithmIdentifier { nid, NULL } (with_null) or { nid } alone. */
void kw_der_alg(kw_der *d, int nid, bool with_null);
/* SET OF the n encodings in elems, sorted as DER requires (X.690
 * 11.6), under tag (KW_DER_SET, or a [n] IMPLICIT tag). */
void kw_der_set_of(kw_der *d, uint8_t tag, const kw_blob *elems, size_t n);
/* UTCTime for 1950..2049, else GeneralizedTime (RFC 5280 4.1.2.5); or
 * always GeneralizedTime. */
void kw_der_time(kw_der *d, int64_t t);
void kw_der_gentime(kw_der *d, int64_t t);

/* Moves the encoding into *out (malloc) and clears d; or returns d's
 * first error (and clears d). */
kw_rc kw_der_finish(kw_der *d, uint8_t **out, size_t *out_len);

#endif
