/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "fixture.h"

/*
 * Tampered backups: every flipped byte, truncation, and forgeries that
 * recompute the keyless SHA-256 manifest (chunks edited, swapped, dropped,
 * repeated, spliced from another file; the header edited) are refused, and
 * a refused restore leaves its target empty.
 */

typedef struct tfx {
	bfx *f;
	bfx_buf buf;
	kw_backup_key *k;
} tfx;

static int setup(void **state)
{
	tfx *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->f = bfx_new("mem", false);
	kw_key_info_free(bfx_key(t->f, "a", KW_KEY_EC_P256, 0, false));
	bfx_audit(t->f, 200);
	t->k = bfx_master_backup(t->f, KW_BACKUP_CHUNK_MIN, &t->buf);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tfx *t = *state;
	kw_backup_key_free(t->k);
	free(t->buf.p);
	bfx_free(t->f);
	free(t);
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static size_t chunks_start(const uint8_t *p)
{
	return 8 + 4 + be32(p + 8) + 32;
}

/* Offset and record length (with its u32) of chunk i. */
static size_t chunk_at(const uint8_t *p, size_t i, size_t *rec_len)
{
	size_t off = chunks_start(p);
	for (size_t j = 0; j < i; j++)
		off += 4 + be32(p + off);
	*rec_len = 4 + be32(p + off);
	return off;
}

static size_t chunk_count(const uint8_t *p, size_t len)
{
	size_t off = chunks_start(p), n = 0;
	while (off < len && memcmp(p + off, "KWBTRAIL", 4) != 0) {
		off += 4 + be32(p + off);
		n++;
	}
	return n;
}

static void sha(const uint8_t *p, size_t len, uint8_t *out)
{
	uint8_t md[KW_DIGEST_MAX];
	size_t n = 0;
	assert_int_equal(kw_digest(KW_HASH_SHA256, p, len, md, &n), KW_OK);
	memcpy(out, md, 32);
}

/* What a forger does after editing the chunks: a fresh trailer with the
 * right count and digests. The buffer is rebuilt in place (cap allows). */
static size_t reforge(uint8_t *p, size_t len)
{
	size_t n = chunk_count(p, len), rec = 0;
	size_t trail = chunk_at(p, n, &rec);
	(void)len;
	memcpy(p + trail, "KWBTRAIL", 8);
	for (int i = 0; i < 8; i++)
		p[trail + 8 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	for (size_t i = 0; i < n; i++) {
		size_t off = chunk_at(p, i, &rec);
		sha(p + off, rec, p + trail + 16 + 32 * i);
	}
	size_t end = trail + 16 + 32 * n;
	sha(p, end, p + end);
	return end + 32;
}

static uint8_t *copy(const tfx *t)
{
	uint8_t *c = malloc(t->buf.len);
	assert_non_null(c);
	memcpy(c, t->buf.p, t->buf.len);
	return c;
}

/* Restore of (p, len) with the good key fails with `want` (0: any error)
 * and leaves a fresh target empty. */
static void restore_refused(const tfx *t, const uint8_t *p, size_t len,
			    kw_rc want)
{
	bfx *target = bfx_new_empty("mem", false);
	kw_secret *master = NULL;
	char why[KW_BACKUP_WHY_MAX] = "";
	kw_rc rc = kw_backup_restore(p, len, t->k, target->store, NULL, NULL,
				     &master, why, sizeof(why));
	if (want != KW_OK)
		assert_int_equal(rc, want);
	else
		assert_int_not_equal(rc, KW_OK);
	assert_true(why[0] != '\0');
	assert_null(master);
	assert_int_equal(bfx_records(target), 0);
	assert_int_equal(bfx_audit_last(target), 0);
	bfx_free(target);
}

static void test_intact(void **state)
{
	tfx *t = *state;
	char why[KW_BACKUP_WHY_MAX] = "";
	assert_true(chunk_count(t->buf.p, t->buf.len) >= 4);
	assert_int_equal(kw_backup_verify(t->buf.p, t->buf.len, t->k, NULL, why,
					  sizeof(why)),
			 KW_OK);
	/* reforge() of an unedited file changes nothing. */
	uint8_t *c = copy(t);
	assert_int_equal(reforge(c, t->buf.len), t->buf.len);
	assert_memory_equal(c, t->buf.p, t->buf.len);
	free(c);
}

/* One flipped byte anywhere: refused without the key already. */
static void test_flip_anywhere(void **state)
{
	tfx *t = *state;
	size_t len = t->buf.len, checked = 0;
	char why[KW_BACKUP_WHY_MAX];
	uint8_t *c = copy(t);

	for (size_t i = 0; i < len; i++) {
		/* Every byte of the head and the tail, a stride between. */
		if (i >= 400 && i + 400 < len && i % 41 != 0)
			continue;
		c[i] ^= 0x04;
		why[0] = '\0';
		kw_rc rc = kw_backup_inspect(c, len, NULL, why, sizeof(why));
		if (rc == KW_E_UNSUPPORTED) /* the format number grew */
			assert_true(i >= 12 + 6 && i < 12 + 6 + 8);
		else
			assert_true(rc == KW_E_INTEGRITY || rc == KW_E_INVALID);
		assert_true(why[0] != '\0');
		assert_int_not_equal(
			kw_backup_verify(c, len, t->k, NULL, why, sizeof(why)),
			KW_OK);
		if (checked % 64 == 0)
			restore_refused(t, c, len, KW_OK);
		c[i] ^= 0x04;
		checked++;
	}
	assert_true(checked > 1000);
	free(c);
}

static void test_truncated(void **state)
{
	tfx *t = *state;
	size_t rec = 0;
	size_t cuts[] = {0,
			 5,
			 8,
			 12,
			 chunks_start(t->buf.p) - 1,
			 chunks_start(t->buf.p) + 2,
			 chunk_at(t->buf.p, 1, &rec) + 100,
			 chunk_at(t->buf.p, 2, &rec),
			 t->buf.len - 33,
			 t->buf.len - 1};
	char why[KW_BACKUP_WHY_MAX];
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		why[0] = '\0';
		kw_rc rc = kw_backup_inspect(t->buf.p, cuts[i], NULL, why,
					     sizeof(why));
		assert_true(rc == KW_E_INTEGRITY || rc == KW_E_INVALID);
		assert_true(why[0] != '\0');
		restore_refused(t, t->buf.p, cuts[i], KW_OK);
	}
	assert_int_equal(kw_backup_inspect(t->buf.p,
					   chunk_at(t->buf.p, 2, &rec) + 50,
					   NULL, why, sizeof(why)),
			 KW_E_INTEGRITY);
	assert_non_null(strstr(why, "chunk 3"));
}

/* An edited chunk with recomputed digests passes the keyless check but
 * not the keyed one. */
static void test_forged_chunk(void **state)
{
	tfx *t = *state;
	size_t rec = 0;
	char why[KW_BACKUP_WHY_MAX] = "";
	uint8_t *c = copy(t);
	size_t off = chunk_at(c, 1, &rec);
	c[off + 4 + 100] ^= 1;
	assert_int_equal(reforge(c, t->buf.len), t->buf.len);
	assert_int_equal(
		kw_backup_inspect(c, t->buf.len, NULL, why, sizeof(why)),
		KW_OK);
	assert_int_equal(
		kw_backup_verify(c, t->buf.len, t->k, NULL, why, sizeof(why)),
		KW_E_VERIFY);
	assert_non_null(strstr(why, "chunk 2 of"));
	restore_refused(t, c, t->buf.len, KW_E_VERIFY);
	free(c);
}

static void test_reordered(void **state)
{
	tfx *t = *state;
	size_t r1 = 0, r2 = 0;
	char why[KW_BACKUP_WHY_MAX] = "";
	uint8_t *c = copy(t);
	size_t o1 = chunk_at(c, 1, &r1), o2 = chunk_at(c, 2, &r2);
	assert_int_equal(r1, r2); /* full chunks */
	memcpy(c + o1, t->buf.p + o2, r1);
	memcpy(c + o2, t->buf.p + o1, r2);
	reforge(c, t->buf.len);
	assert_int_equal(
		kw_backup_inspect(c, t->buf.len, NULL, why, sizeof(why)),
		KW_OK);
	assert_int_equal(
		kw_backup_verify(c, t->buf.len, t->k, NULL, why, sizeof(why)),
		KW_E_VERIFY);
	restore_refused(t, c, t->buf.len, KW_E_VERIFY);

	/* Chunk 3 replaced by a copy of chunk 2. */
	memcpy(c, t->buf.p, t->buf.len);
	memcpy(c + chunk_at(c, 2, &r2), t->buf.p + o1, r1);
	reforge(c, t->buf.len);
	assert_int_equal(
		kw_backup_verify(c, t->buf.len, t->k, NULL, why, sizeof(why)),
		KW_E_VERIFY);
	assert_non_null(strstr(why, "chunk 3 of"));
	free(c);
}

/* Whole chunks cut off the end (or from the middle), trailer forged. */
static void test_dropped_chunks(void **state)
{
	tfx *t = *state;
	size_t rec = 0, n = chunk_count(t->buf.p, t->buf.len);
	char why[KW_BACKUP_WHY_MAX] = "";
	uint8_t *c = copy(t);

	size_t last = chunk_at(c, n - 1, &rec);
	memcpy(c + last, "KWBTRAIL", 8);
	size_t len = reforge(c, last + 8);
	assert_int_equal(kw_backup_inspect(c, len, NULL, why, sizeof(why)),
			 KW_OK);
	assert_int_equal(kw_backup_verify(c, len, t->k, NULL, why, sizeof(why)),
			 KW_E_VERIFY);
	assert_non_null(strstr(why, "last chunks are missing"));
	restore_refused(t, c, len, KW_E_VERIFY);

	/* Chunk 2 taken out of the middle. */
	memcpy(c, t->buf.p, t->buf.len);
	size_t o1 = chunk_at(c, 1, &rec);
	memmove(c + o1, c + o1 + rec, t->buf.len - o1 - rec);
	len = reforge(c, t->buf.len - rec);
	assert_int_equal(kw_backup_verify(c, len, t->k, NULL, why, sizeof(why)),
			 KW_E_VERIFY);
	free(c);
}

/* A chunk from another backup of the same instance (same key, other
 * salt) does not fit. */
static void test_spliced(void **state)
{
	tfx *t = *state;
	bfx_buf other;
	size_t r1 = 0, r2 = 0;
	char why[KW_BACKUP_WHY_MAX] = "";
	bfx_backup(t->f, KW_BACKUP_KEYING_MASTER, KW_BACKUP_CHUNK_MIN, &other,
		   NULL);
	uint8_t *c = copy(t);
	size_t o1 = chunk_at(c, 1, &r1), o2 = chunk_at(other.p, 1, &r2);
	assert_int_equal(r1, r2);
	memcpy(c + o1, other.p + o2, r1);
	reforge(c, t->buf.len);
	assert_int_equal(
		kw_backup_verify(c, t->buf.len, t->k, NULL, why, sizeof(why)),
		KW_E_VERIFY);
	free(other.p);
	free(c);
}

/* The header is authenticated: an edit is refused by the keyed check,
 * and a key made for one file does not open another. */
static void test_header(void **state)
{
	tfx *t = *state;
	char why[KW_BACKUP_WHY_MAX] = "";
	kw_backup_key *k = NULL;
	uint8_t *c = copy(t);
	/* The last byte of the created time (TLV item 3 after the 14-byte
	 * format item and the 22-byte instance item). */
	size_t at = 12 + 14 + 22 + 6 + 7;
	c[at] ^= 1;
	reforge(c, t->buf.len);
	assert_int_equal(
		kw_backup_inspect(c, t->buf.len, NULL, why, sizeof(why)),
		KW_OK);
	assert_int_equal(kw_backup_key_from_barrier(c, t->buf.len, t->f->b, &k,
						    why, sizeof(why)),
			 KW_E_VERIFY);
	assert_null(k);
	assert_int_equal(
		kw_backup_verify(c, t->buf.len, t->k, NULL, why, sizeof(why)),
		KW_E_INVALID);
	assert_string_equal(why, "the key was made for another file");

	/* A newer format is named as such. */
	memcpy(c, t->buf.p, t->buf.len);
	c[12 + 6 + 7] = 2;
	reforge(c, t->buf.len);
	assert_int_equal(
		kw_backup_inspect(c, t->buf.len, NULL, why, sizeof(why)),
		KW_E_UNSUPPORTED);
	free(c);
}

static void test_not_a_backup(void **state)
{
	(void)state;
	char why[KW_BACKUP_WHY_MAX] = "";
	uint8_t junk[256];
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(
		kw_backup_inspect(junk, sizeof(junk), NULL, why, sizeof(why)),
		KW_E_INVALID);
	assert_string_equal(why, "not a keywarden backup file");
	assert_int_equal(kw_backup_inspect(NULL, 0, NULL, why, sizeof(why)),
			 KW_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_flip_anywhere),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_forged_chunk),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_dropped_chunks),
		cmocka_unit_test(test_spliced),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_not_a_backup),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
