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
