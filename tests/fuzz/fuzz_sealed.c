/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "barrier/internal.h"
#include "fuzz.h"

/*
 * The decoders of what the barrier reads back from a store an attacker may
 * have written: the first input byte picks one, the rest is its input.
 *   0  sealed record data (kw_barrier_data_open) under a fixed key and
 *      identity: may only open if it is a genuine sealing
 *   1  a manifest bucket plaintext (kw_manifest_bucket_scan)
 *   2  a manifest root plaintext (kw_manifest_root_decode)
 *   3  the unsealed barrier metadata record (kw_barrier_meta_decode), which
 *      is parsed before any key exists
 *   4  seal then open the input: must give it back (reaches the decoder's
 *      success path, which mode 0 rarely can)
 * Each must return only its documented codes, and accepted input must be
 * self-consistent.
 */

/* Fixed test key and identity; the committed seeds of mode 0 are sealed
 * under them. */
static const uint8_t fuzz_key[32] = "keywarden-fuzz-key-0123456789abc";
static const uint8_t fuzz_group[KW_STORE_TAG_LEN] = {0x11, 0x22, 0x33};
static const kw_seal_ident fuzz_ident = {KW_REC_KEY, "fuzz-record", 1,
					 fuzz_group, NULL};

static kw_ckey *key(void)
{
	static kw_ckey *k;
	if (k == NULL && kw_ckey_from_private(KW_KEY_AES_256, fuzz_key,
					      sizeof(fuzz_key), &k) != KW_OK)
		abort();
	return k;
}

static void fuzz_open(const uint8_t *p, size_t n)
{
	kw_secret *pt = NULL;
	kw_rc rc = kw_barrier_data_open(key(), &fuzz_ident, p, n, &pt);
	if (rc == KW_OK) {
		if (pt->len + KW_SEALED_OVERHEAD != n)
			abort();
	} else if (rc != KW_E_INTEGRITY || pt != NULL) {
		abort();
	}
	kw_secret_free(pt);
}

static void fuzz_bucket(const uint8_t *p, size_t n)
{
	uint64_t version = 0, count = 0;
	size_t pos = 0, end = 0;
	kw_rc rc = kw_manifest_bucket_scan(p, n, KW_REC_KEY, "fuzz-record",
					   &version, &pos, &end, &count);
	if (rc == KW_OK) {
		/* the entry (or insertion point) lies inside the input, and
		 * each entry takes at least 14 bytes */
		if (pos > end || end > n || pos < 1 || count > n / 14 ||
		    (version == 0) != (pos == end))
			abort();
	} else if (rc != KW_E_INTEGRITY) {
		abort();
	}
}

static void fuzz_root(const uint8_t *p, size_t n)
{
	kw_manifest_root r;
	kw_rc rc = kw_manifest_root_decode(p, n, &r);
	if (rc == KW_OK ? n != KW_MANIFEST_ROOT_LEN : rc != KW_E_INTEGRITY)
		abort();
}

static void fuzz_meta(const uint8_t *p, size_t n)
{
	kw_barrier_meta m;
	kw_secret *enc = NULL;
	kw_rc rc = kw_barrier_meta_decode(p, n, &m);
	if (rc == KW_OK) {
		/* accepted metadata is canonical: it re-encodes to itself */
		if (m.threshold < 1 || m.threshold > m.shares ||
		    m.shares > KW_SHARES_MAX ||
		    kw_barrier_meta_encode(&m, &enc) != KW_OK ||
		    enc->len != n || memcmp(enc->data, p, n) != 0)
			abort();
		kw_secret_free(enc);
	} else if (rc != KW_E_INTEGRITY) {
		abort();
	}
}

static void fuzz_round_trip(const uint8_t *p, size_t n)
{
	uint8_t *sealed = NULL;
	size_t sealed_len = 0;
	kw_secret *pt = NULL;
	if (n > KW_BARRIER_DATA_MAX)
		return;
	if (kw_barrier_data_seal(key(), &fuzz_ident, p, n, &sealed,
				 &sealed_len) != KW_OK ||
	    kw_barrier_data_open(key(), &fuzz_ident, sealed, sealed_len, &pt) !=
		    KW_OK ||
	    pt->len != n || (n > 0 && memcmp(pt->data, p, n) != 0))
		abort();
	/* the same bytes under another identity do not open */
	kw_seal_ident other = fuzz_ident;
	other.version = 2;
	kw_secret *none = NULL;
	if (kw_barrier_data_open(key(), &other, sealed, sealed_len, &none) !=
	    KW_E_INTEGRITY)
		abort();
	kw_secret_free(pt);
	free(sealed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 5) {
	case 0:
		fuzz_open(p, n);
		break;
	case 1:
		fuzz_bucket(p, n);
		break;
	case 2:
		fuzz_root(p, n);
		break;
	case 3:
		fuzz_meta(p, n);
		break;
	default:
		fuzz_round_trip(p, n);
		break;
	}
	return 0;
}
