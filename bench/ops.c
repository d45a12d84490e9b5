/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "bench/ops.h"

const kw_bench_op kw_bench_ops_table[] = {
	{"ecdsa-p256", KW_BENCH_SIGN, "ecdsa-p256", "sha256", "ecdsa", 0,
	 "ECDSA P-256 sign (SHA-256)"},
	{"ecdsa-p384", KW_BENCH_SIGN, "ecdsa-p384", "sha384", "ecdsa", 0,
	 "ECDSA P-384 sign (SHA-384)"},
	{"ed25519", KW_BENCH_SIGN, "ed25519", NULL, "eddsa", 0, "Ed25519 sign"},
	{"rsa2048-pkcs1", KW_BENCH_SIGN, "rsa-2048", "sha256", "pkcs1", 0,
	 "RSA-2048 PKCS#1 v1.5 sign (SHA-256)"},
	{"rsa2048-pss", KW_BENCH_SIGN, "rsa-2048", "sha256", "pss", 0,
	 "RSA-2048 PSS sign (SHA-256, salt 32)"},
	{"rsa3072-pkcs1", KW_BENCH_SIGN, "rsa-3072", "sha256", "pkcs1", 0,
	 "RSA-3072 PKCS#1 v1.5 sign (SHA-256)"},
	{"rsa3072-pss", KW_BENCH_SIGN, "rsa-3072", "sha256", "pss", 0,
	 "RSA-3072 PSS sign (SHA-256, salt 32)"},
	{"aes-gcm-1k", KW_BENCH_ENCRYPT, "aes-256", NULL, NULL, 1024,
	 "AES-256-GCM encrypt 1 KiB"},
	{"aes-gcm-64k", KW_BENCH_ENCRYPT, "aes-256", NULL, NULL, 65536,
	 "AES-256-GCM encrypt 64 KiB"},
	{"datakey", KW_BENCH_DATAKEY, "aes-256", NULL, NULL, 32,
	 "data key (AES-256) generated and wrapped"},
	{"ec-keygen", KW_BENCH_KEYGEN, "ecdsa-p256", NULL, NULL, 0,
	 "EC P-256 key pair generated (persistent)"},
	{"lookup", KW_BENCH_LOOKUP, "ecdsa-p256", NULL, NULL, 0,
	 "key looked up by name"},
	{NULL, 0, NULL, NULL, NULL, 0, NULL},
};

const kw_bench_op *kw_bench_op_find(const char *name)
{
	for (const kw_bench_op *o = kw_bench_ops_table; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

void kw_bench_msg(unsigned idx, uint64_t seq, uint8_t *buf, size_t len)
{
	uint32_t i = idx;

	memset(buf, 0x5a, len);
	memcpy(buf, &seq, sizeof(seq));
	memcpy(buf + sizeof(seq), &i, sizeof(i));
}

void kw_bench_op_names(char *buf, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (const kw_bench_op *o = kw_bench_ops_table; o->name != NULL; o++) {
		int w = snprintf(buf + n, len - n, "%s%s", n != 0 ? "," : "",
				 o->name);
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
}
