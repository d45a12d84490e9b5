/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "backup/internal.h"
#include "fuzz.h"

/*
 * The backup readers (src/lib/backup): the first input byte picks one, the
 * rest is its input.
 *   0  a whole file through the keyless check (kw_backup_inspect): only its
 *      documented codes; an accepted file describes itself (size, chunks)
 *   1  a payload (the decrypted item stream) sealed into a genuine file
 *      under a fixed key, then the keyed check (kw_backup_verify) and a
 *      restore into an empty in-memory store (kw_backup_restore): both
 *      agree, and a refused restore leaves the store empty (all or
 *      nothing)
 */

static const uint8_t fuzz_base[32] = "keywarden-fuzz-backup-base-key!";

typedef struct sink {
	uint8_t *p;
	size_t n;
} sink;

static kw_rc buf_write(void *arg, const void *p, size_t len)
{
	sink *s = arg;
	uint8_t *m = realloc(s->p, s->n + len);
	if (m == NULL)
		return KW_E_NOMEM;
	memcpy(m + s->n, p, len);
	s->p = m;
	s->n += len;
	return KW_OK;
}

static void fuzz_inspect(const uint8_t *p, size_t n)
{
	kw_backup_info info;
	char why[KW_BACKUP_WHY_MAX] = "";
	kw_rc rc = kw_backup_inspect(p, n, &info, why, sizeof(why));
	if (rc == KW_OK) {
		if (info.size != n || info.chunks == 0)
			abort();
	} else if ((rc != KW_E_INVALID && rc != KW_E_INTEGRITY &&
		    rc != KW_E_UNSUPPORTED) ||
		   why[0] == '\0') {
		abort();
	}
}

/* A file around payload p (master keying, fixed key), in *out. */
static void seal(const uint8_t *p, size_t n, uint8_t **out, size_t *out_len,
		 kw_backup_key **out_key)
{
	bk_header *h = calloc(1, sizeof(*h));
	kw_secret *base = NULL;
	bk_writer *w = NULL;
	sink out_buf = {NULL, 0};
	uint64_t chunks = 0, size = 0;

	if (h == NULL || kw_secret_from(fuzz_base, 32, &base) != KW_OK ||
	    bk_key_derive(base, h->salt, out_key) != KW_OK ||
	    kw_secret_from(fuzz_base, 32, &(*out_key)->master) != KW_OK)
		abort();
	h->format = KW_BACKUP_FORMAT;
	h->keying = KW_BACKUP_KEYING_MASTER;
	h->shares = h->threshold = 1;
	h->chunk_size = KW_BACKUP_CHUNK_MIN;
	strcpy(h->version, "fuzz");
	if (bk_writer_new(*out_key, h->chunk_size, buf_write, &out_buf, &w) !=
		    KW_OK ||
	    bk_head_write(w, *out_key, h) != KW_OK ||
	    bk_writer_plain(w, p, n) != KW_OK ||
	    bk_writer_finish(w, &chunks, &size) != KW_OK || size != out_buf.n)
		abort();
	*out = out_buf.p;
	*out_len = out_buf.n;
	bk_writer_free(w);
	kw_secret_free(base);
	free(h);
}

static uint64_t stored(kw_store *s)
{
	kw_store_txn *t = NULL;
	uint64_t sum = 0, n = 0;
	if (kw_store_txn_begin(s, false, &t) != KW_OK)
		abort();
	for (uint32_t type = 1; type <= KW_REC_TYPE_MAX_; type++) {
		if (kw_store_rec_count(t, type, NULL, &n) != KW_OK)
			abort();
		sum += n;
	}
	if (kw_store_audit_last(t, &n) != KW_OK)
		abort();
	kw_store_txn_abort(t);
	return sum + n;
}

static void fuzz_payload(const uint8_t *p, size_t n)
{
	uint8_t *file = NULL;
	size_t len = 0;
	kw_backup_key *k = NULL;
	kw_backup_info info;
	kw_secret *master = NULL;
	kw_store *s = NULL;
	kw_store_config cfg = {.backend = "mem"};
	char why[KW_BACKUP_WHY_MAX] = "";

	seal(p, n, &file, &len, &k);
	kw_rc v = kw_backup_verify(file, len, k, &info, why, sizeof(why));
	if (kw_store_open(&cfg, &s) != KW_OK)
		abort();
	kw_rc r = kw_backup_restore(file, len, k, s, NULL, NULL, &master, why,
				    sizeof(why));
	/* A payload the check accepts restores, and the other way round; a
	 * refused restore wrote nothing. */
	if ((v == KW_OK) != (r == KW_OK))
		abort();
	if (r == KW_OK && stored(s) != info.records + info.audit_entries)
		abort();
	if (r != KW_OK && (stored(s) != 0 || master != NULL))
		abort();
	kw_secret_free(master);
	kw_store_close(s);
	kw_backup_key_free(k);
	free(file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] == 0)
		fuzz_inspect(data + 1, size - 1);
	else if (data[0] == 1)
		fuzz_payload(data + 1, size - 1);
	return 0;
}
