/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_BENCH_KWBENCH_H
#define KW_BENCH_KWBENCH_H

/*
 * kwbench: the C side of the benchmark for the targets that are not REST
 * (REST is `keywarden bench`): raw OpenSSL (raw.c) and any PKCS#11 module
 * (p11.c: keywarden's and SoftHSMv2's). Shared here: the options of one
 * run and the checks of results against OpenSSL (check.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "bench/harness.h"
#include "bench/ops.h"

typedef struct kwb_opts {
	const kw_bench_op *op;
	kw_bench_spec spec;
	/* p11 */
	const char *module;
	const char *pin;
	const char *token; /* token label; NULL: the first with a token */
	unsigned count;	   /* populate: objects wanted in the token */
} kwb_opts;

/* Runs the raw OpenSSL target / the PKCS#11 target for o into *out.
 * KW_E_UNSUPPORTED if the target has no such operation. */
kw_rc kwb_raw_run(kwb_opts *o, kw_bench_result *out);
kw_rc kwb_p11_run(kwb_opts *o, kw_bench_result *out);
/* Creates filler objects until the token holds o->count of them. */
kw_rc kwb_p11_populate(kwb_opts *o);

/* A result kept to be checked after the window (what each target needs of
 * it: the output, the IV and tag of an encryption, a data key, a key pair
 * made by the benchmark, as OpenSSL key or PKCS#11 handles). */
#define KWB_MAX_SAMPLES 1024

typedef struct kwb_sample {
	uint64_t seq;
	uint8_t *out;
	size_t out_len;
	uint8_t iv[12];
	uint8_t tag[16];
	uint8_t dk[32];
	EVP_PKEY *pk;
	unsigned long h[2];
} kwb_sample;

typedef struct kwb_samples {
	kwb_sample s[KWB_MAX_SAMPLES];
	size_t n;
} kwb_samples;

/* Keeps a copy of out[0..len) for call seq; NULL when full or out of
 * memory (the sample is then not taken). */
kwb_sample *kwb_sample_keep(kwb_samples *ss, uint64_t seq, const uint8_t *out,
			    size_t len);
void kwb_samples_free(kwb_samples *ss);

/* The digest an op signs (by name, "sha256"), NULL for none. */
const EVP_MD *kwb_md(const kw_bench_op *op);

/* Checks sig over msg with the public (or private) key pk as op makes it;
 * raw_ecdsa: r||s instead of DER. */
bool kwb_sig_ok(EVP_PKEY *pk, const kw_bench_op *op, const uint8_t *msg,
		size_t msg_len, const uint8_t *sig, size_t sig_len,
		bool raw_ecdsa);

/* AES-256-GCM decrypts ct (tag after it) under key with iv and compares
 * with pt. */
bool kwb_gcm_ok(const uint8_t key[32], const uint8_t iv[12], const uint8_t *ct,
		size_t ct_len, const uint8_t tag[16], const uint8_t *pt,
		size_t pt_len);

#endif
