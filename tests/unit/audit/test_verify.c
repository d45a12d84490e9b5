/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "fixture.h"
#include "util/codec.h"
#include "util/jcs.h"

/*
 * The C verifier against a real log and every kind of tampering: edits,
 * deletions, swaps, truncation, forged signatures, and an attacker who
 * rewrites the chain after an edit (only the signatures stop that).
 */

typedef struct vlog {
	afx *f;
	char **lines;
	size_t n;
	char *pem;
} vlog;

/* 12 events, a checkpoint every 4 entries, a final checkpoint. */
static void vlog_build(afx *f, vlog *l)
{
	f->cfg.checkpoint_every = 4;
	afx_open_audit(f);
	for (int i = 0; i < 12; i++) {
		kw_audit_event ev =
			afx_event(i % 3 ? "key_sign" : "auth_login",
				  i % 2 ? "alice" : "bob",
				  i % 4 ? KW_AUDIT_OK : KW_AUDIT_DENIED);
		assert_int_equal(kw_audit_append(f->audit, &ev, NULL), KW_OK);
	}
	assert_int_equal(kw_audit_checkpoint(f->audit, NULL), KW_OK);
	l->f = f;
	l->n = afx_export(f, &l->lines);
	l->pem = afx_pubkeys_pem(f);
}

static void vlog_free(vlog *l)
{
	afx_lines_free(l->lines, l->n);
	free(l->pem);
}

static char **lines_copy(char **lines, size_t n)
{
	char **c = calloc(n ? n : 1, sizeof(*c));

	assert_non_null(c);
	for (size_t i = 0; i < n; i++) {
		c[i] = strdup(lines[i]);
		assert_non_null(c[i]);
	}
	return c;
}

static bool is_checkpoint(const char *line)
{
	return strstr(line, "\"op\":\"checkpoint\"") != NULL;
}

/* Verifies; on failure returns the report's reason through *rep. */
static kw_rc verify(char **lines, size_t n, const char *pem,
		    kw_audit_verify_report *rep)
{
	return afx_verify(lines, n, pem, NULL, rep);
}

/* What a capable attacker does after an edit: recompute every later prev
 * and hash so the chain itself is consistent again. */
static void rechain(char **lines, size_t n, size_t from)
{
	for (size_t i = from; i < n; i++) {
		json_t *e = NULL;
		char hash[65];
		char prev[65] = KW_AUDIT_ZERO_HASH;

		if (i > 0) {
			json_t *p = NULL;

			assert_int_equal(kw_jcs_parse(lines[i - 1],
						      strlen(lines[i - 1]), &p),
					 KW_OK);
			snprintf(prev, sizeof(prev), "%s",
				 json_string_value(json_object_get(p, "hash")));
			json_decref(p);
		}
		assert_int_equal(kw_jcs_parse(lines[i], strlen(lines[i]), &e),
				 KW_OK);
		json_object_set_new(e, "prev", json_string(prev));
		assert_int_equal(kw_audit_entry_hash(e, hash), KW_OK);
		json_object_set_new(e, "hash", json_string(hash));
		free(lines[i]);
		assert_int_equal(kw_jcs_encode(e, NULL, &lines[i], NULL),
				 KW_OK);
		json_decref(e);
	}
}

static void test_valid_log(void **state)
{
	vlog l;
	kw_audit_verify_report rep;

	vlog_build(*state, &l);
	assert_int_equal(verify(l.lines, l.n, l.pem, &rep), KW_OK);
	assert_int_equal(rep.entries, l.n);
	assert_int_equal(rep.first_seq, 1);
	assert_int_equal(rep.last_seq, l.n);
	assert_true(rep.checkpoints >= 3);
	assert_int_equal(rep.last_checkpoint_seq, l.n);
	assert_int_equal(rep.tail, 0);
	assert_string_equal(rep.reason, "");
	vlog_free(&l);
}

/* Any one changed byte anywhere in the log is detected. Under valgrind
 * every 7th byte is tried, to keep the run short. */
static void test_every_byte_changed(void **state)
{
	vlog l;
	kw_audit_verify_report rep;
	size_t step = getenv("KW_UNDER_VALGRIND") != NULL ? 7 : 1;
	size_t tried = 0;

	vlog_build(*state, &l);
	for (size_t i = 0; i < l.n; i++) {
		for (size_t j = 0; j < strlen(l.lines[i]); j += step) {
			char **c = lines_copy(l.lines, l.n);

			c[i][j] ^= 0x01;
			assert_int_equal(verify(c, l.n, l.pem, &rep),
					 KW_E_VERIFY);
			assert_true(rep.bad_line == i + 1 ||
				    (rep.bad_line == i + 2 && i + 1 < l.n));
			afx_lines_free(c, l.n);
			tried++;
		}
	}
	assert_true(tried > l.n * 20);
	vlog_free(&l);
}

static void test_deleted_entry(void **state)
{
	vlog l;
	kw_audit_verify_report rep;

	vlog_build(*state, &l);
	for (size_t del = 0; del < l.n; del++) {
		char **c = lines_copy(l.lines, l.n);

		free(c[del]);
		memmove(&c[del], &c[del + 1], (l.n - del - 1) * sizeof(*c));
		assert_int_equal(verify(c, l.n - 1, l.pem, &rep), KW_E_VERIFY);
		if (del + 1 < l.n) {
			/* The next entry is reported (or the first one, which
			 * now does not start at 1). */
			assert_int_equal(rep.bad_line, del + 1);
			assert_int_equal(rep.bad_seq, del + 2);
		} else {
			assert_non_null(strstr(rep.reason, "not signed"));
		}
		afx_lines_free(c, l.n - 1);
	}
	vlog_free(&l);
}

static void test_swapped_entries(void **state)
{
	vlog l;
	kw_audit_verify_report rep;

	vlog_build(*state, &l);
	for (size_t i = 0; i + 1 < l.n; i++) {
		char **c = lines_copy(l.lines, l.n);
		char *tmp = c[i];

		c[i] = c[i + 1];
		c[i + 1] = tmp;
		assert_int_equal(verify(c, l.n, l.pem, &rep), KW_E_VERIFY);
		assert_int_equal(rep.bad_line, i + 1);
		afx_lines_free(c, l.n);
	}
	vlog_free(&l);
}

/* Cutting the log before its last checkpoint leaves an unsigned tail:
 * refused, unless the reader explicitly accepts a tail. */
static void test_truncated_before_last_checkpoint(void **state)
{
	vlog l;
	kw_audit_verify_report rep;
	kw_audit_verify_opts tail_ok = {.allow_tail = true};
	size_t cut = 0;

	vlog_build(*state, &l);
	for (size_t i = 0; i + 1 < l.n; i++)
		if (is_checkpoint(l.lines[i]))
			cut = i; /* the checkpoint before the last one */
	assert_true(cut > 0);
	/* Keep the entries after that checkpoint but not the last one. */
	assert_int_equal(verify(l.lines, l.n - 1, l.pem, &rep), KW_E_VERIFY);
	assert_int_equal(rep.bad_line, 0);
	assert_non_null(strstr(rep.reason, "not signed"));
	assert_int_equal(rep.tail, l.n - 2 - cut);
	assert_int_equal(afx_verify(l.lines, l.n - 1, l.pem, &tail_ok, &rep),
			 KW_OK);
	assert_int_equal(rep.tail, l.n - 2 - cut);
	vlog_free(&l);
}

/* Edit an entry and rewrite the whole chain after it: consistent hashes,
 * but the next checkpoint's signature covers the old head. */
static void test_rewritten_chain_caught_by_signature(void **state)
{
	vlog l;
	kw_audit_verify_report rep;
	char **c;
	char *p;
	size_t next_cp = 0;

	vlog_build(*state, &l);
	c = lines_copy(l.lines, l.n);
	p = strstr(c[2], "\"principal\":\"");
	assert_non_null(p);
	p[strlen("\"principal\":\"")] = 'm'; /* alice/bob -> mlice/mob */
	rechain(c, l.n, 2);
	for (next_cp = 3; !is_checkpoint(c[next_cp]); next_cp++)
		;
	assert_int_equal(verify(c, l.n, l.pem, &rep), KW_E_VERIFY);
	assert_int_equal(rep.bad_line, next_cp + 1);
	assert_non_null(strstr(rep.reason, "signature does not verify"));
	afx_lines_free(c, l.n);
	vlog_free(&l);
}

/* A checkpoint re-signed by the attacker's own key (and the chain fixed):
 * refused whether it keeps the real key id or names its own key. */
static void test_forged_checkpoint_signature(void **state)
{
	const kw_sign_params ed = {.scheme = KW_SIG_EDDSA};
	vlog l;
	kw_audit_verify_report rep;
	kw_ckey *evil = NULL;
	char evil_id[65];
	size_t cp = 0;

	vlog_build(*state, &l);
	assert_int_equal(kw_ckey_generate(KW_KEY_ED25519, &evil), KW_OK);
	assert_int_equal(kw_audit_key_id(evil, evil_id), KW_OK);
	while (!is_checkpoint(l.lines[cp]))
		cp++;
	for (int rename = 0; rename < 2; rename++) {
		char **c = lines_copy(l.lines, l.n);
		json_t *e = NULL;
		uint8_t head[32];
		uint8_t *sig = NULL;
		size_t sig_len = 0;
		char *b64 = NULL;

		assert_int_equal(kw_jcs_parse(c[cp], strlen(c[cp]), &e), KW_OK);
		assert_int_equal(
			kw_hex_decode(
				json_string_value(json_object_get(e, "prev")),
				64, head),
			KW_OK);
		assert_int_equal(
			kw_ckey_sign(evil, &ed, head, 32, &sig, &sig_len),
			KW_OK);
		assert_int_equal(
			kw_base64_encode_alloc(sig, sig_len, false, &b64),
			KW_OK);
		json_object_set_new(e, "sig", json_string(b64));
		if (rename)
			json_object_set_new(e, "key_id", json_string(evil_id));
		free(c[cp]);
		assert_int_equal(kw_jcs_encode(e, NULL, &c[cp], NULL), KW_OK);
		rechain(c, l.n, cp);
		assert_int_equal(verify(c, l.n, l.pem, &rep), KW_E_VERIFY);
		assert_int_equal(rep.bad_line, cp + 1);
		assert_non_null(strstr(rep.reason, rename ? "not trusted"
							  : "does not verify"));
		json_decref(e);
		free(sig);
		free(b64);
		afx_lines_free(c, l.n);
	}
	kw_ckey_free(evil);
	vlog_free(&l);
}

static void test_non_canonical_and_malformed(void **state)
{
	vlog l;
	kw_audit_verify_report rep;
	char **c;
	char *grown;

	vlog_build(*state, &l);
	/* The same object with a space after the first colon. */
	c = lines_copy(l.lines, l.n);
	grown = malloc(strlen(c[1]) + 2);
	assert_non_null(grown);
	char *colon = strchr(c[1], ':');
	size_t k = (size_t)(colon - c[1]) + 1;
	memcpy(grown, c[1], k);
	grown[k] = ' ';
	strcpy(grown + k + 1, c[1] + k);
	free(c[1]);
	c[1] = grown;
	assert_int_equal(verify(c, l.n, l.pem, &rep), KW_E_VERIFY);
	assert_int_equal(rep.bad_line, 2);
	assert_non_null(strstr(rep.reason, "canonical"));
	/* Not JSON at all. */
	free(c[1]);
	c[1] = strdup("hello");
	assert_int_equal(verify(c, l.n, l.pem, &rep), KW_E_VERIFY);
	assert_non_null(strstr(rep.reason, "not a JSON object"));
	afx_lines_free(c, l.n);
	/* An empty log proves nothing. */
	assert_int_equal(verify(l.lines, 0, l.pem, &rep), KW_E_VERIFY);
	assert_non_null(strstr(rep.reason, "empty"));
	vlog_free(&l);
}

static void test_wrong_or_bad_keys(void **state)
{
	vlog l;
	kw_audit_verify_report rep;
	kw_audit_verifier *v = NULL;
	kw_ckey *other = NULL;
	char *other_pem = NULL;
	char *both;
	const char *bad_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n"
			      "-----END PUBLIC KEY-----\n";

	vlog_build(*state, &l);
	assert_int_equal(kw_ckey_generate(KW_KEY_ED25519, &other), KW_OK);
	assert_int_equal(kw_ckey_public_pem(other, &other_pem), KW_OK);
	/* Only another key: the first checkpoint fails. */
	assert_int_equal(verify(l.lines, l.n, other_pem, &rep), KW_E_VERIFY);
	assert_non_null(strstr(rep.reason, "not trusted"));
	assert_true(is_checkpoint(l.lines[rep.bad_line - 1]));
	/* Both keys in one PEM file: fine. */
	both = malloc(strlen(other_pem) + strlen(l.pem) + 1);
	assert_non_null(both);
	strcpy(both, other_pem);
	strcat(both, l.pem);
	assert_int_equal(verify(l.lines, l.n, both, &rep), KW_OK);
	/* Garbage and non-Ed25519 input are refused. */
	assert_int_equal(kw_audit_verifier_new(NULL, &v), KW_OK);
	assert_int_equal(kw_audit_verifier_add_keys(v, (const uint8_t *)"x", 1),
			 KW_E_INVALID);
	assert_int_equal(kw_audit_verifier_add_keys(v, (const uint8_t *)bad_pem,
						    strlen(bad_pem)),
			 KW_E_INVALID);
	kw_audit_verifier_free(v);
	free(both);
	free(other_pem);
	kw_ckey_free(other);
	vlog_free(&l);
}

static void test_stream(void **state)
{
	vlog l;
	kw_audit_verify_report rep;
	kw_audit_verifier *v = NULL;
	FILE *fp = tmpfile();

	vlog_build(*state, &l);
	assert_non_null(fp);
	for (size_t i = 0; i < l.n; i++)
		fprintf(fp, "%s\n", l.lines[i]);
	rewind(fp);
	assert_int_equal(kw_audit_verifier_new(NULL, &v), KW_OK);
	assert_int_equal(kw_audit_verifier_add_keys(v, (const uint8_t *)l.pem,
						    strlen(l.pem)),
			 KW_OK);
	assert_int_equal(kw_audit_verify_stream(v, fp, &rep), KW_OK);
	assert_int_equal(rep.entries, l.n);
	kw_audit_verifier_free(v);
	/* Without the final newline: refused. */
	fflush(fp);
	assert_int_equal(ftruncate(fileno(fp), ftell(fp) - 1), 0);
	rewind(fp);
	assert_int_equal(kw_audit_verifier_new(NULL, &v), KW_OK);
	assert_int_equal(kw_audit_verifier_add_keys(v, (const uint8_t *)l.pem,
						    strlen(l.pem)),
			 KW_OK);
	assert_int_equal(kw_audit_verify_stream(v, fp, &rep), KW_E_VERIFY);
	assert_int_equal(rep.bad_line, l.n);
	kw_audit_verifier_free(v);
	fclose(fp);
	vlog_free(&l);
}

#define T(name) \
	cmocka_unit_test_setup_teardown(name, afx_setup_mem, afx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_valid_log),
		T(test_every_byte_changed),
		T(test_deleted_entry),
		T(test_swapped_entries),
		T(test_truncated_before_last_checkpoint),
		T(test_rewritten_chain_caught_by_signature),
		T(test_forged_checkpoint_signature),
		T(test_non_canonical_and_malformed),
		T(test_wrong_or_bad_keys),
		T(test_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
