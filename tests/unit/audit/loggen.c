/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/verify.h"
#include "keywarden/audit.h"
#include "keywarden/barrier.h"
#include "keywarden/store.h"

/*
 * Test tooling for tests/integration/test_audit_verifiers.py, which checks
 * the C verifier and the independent Python one against each other:
 *
 *   audit_loggen gen DIR EVENTS   a busy log (4 threads, denials, odd
 *                                 strings, a key rotation) written by the
 *                                 real trail on SQLite; leaves DIR/audit.jsonl
 *                                 and DIR/audit.pem (every public key)
 *   audit_loggen verify LOG PEM [--allow-tail]
 *                                 the C verifier: exit 0 valid, 1 invalid;
 *                                 prints "line N seq S: reason"
 */

typedef struct gen {
	kw_audit *audit;
	int id;
	int n;
} gen;

/* Strings that exercise canonical escaping: controls, quotes, non-ASCII,
 * a character outside the BMP. */
static const char *const odd[] = {
	"plain",
	"tab\there",
	"quote\"back\\slash",
	"caf\xc3\xa9 \xe2\x82\xac",
	"emoji \xf0\x9f\x98\x80",
	"ctl\x01\x1f\x7f",
	"slash/ok",
};

static void *submit_many(void *arg)
{
	gen *g = arg;
	char principal[32];
	char detail[96];

	for (int i = 0; i < g->n; i++) {
		kw_audit_event ev = {
			.principal = principal,
			.partition = i % 3 ? "default" : "p2",
			.op = i % 5 ? "key_sign" : "auth_login",
			.key = i % 4 ? "k1" : NULL,
			.key_version = (uint32_t)(i % 3),
			.result = (kw_audit_result)(i % 9 == 0 ? 1 : 0),
			.reason = odd[i % 7],
			.request_id = "r",
			.source = i % 2 ? "unix" : "10.0.0.5",
			.detail = detail,
		};
		snprintf(principal, sizeof(principal), "user-%d", g->id);
		snprintf(detail, sizeof(detail),
			 "{\"digest\":\"%08x\",\"n\":%d,\"b\":%s}",
			 i * 2654435761u, i, i % 2 ? "true" : "null");
		if (kw_audit_append(g->audit, &ev, NULL) != KW_OK)
			return (void *)1;
	}
	return NULL;
}

static kw_rc write_line(uint64_t seq, const uint8_t *entry, size_t len,
			void *arg)
{
	(void)seq;
	return fwrite(entry, 1, len, arg) == len && fputc('\n', arg) != EOF
		       ? KW_OK
		       : KW_E_STORAGE;
}

static int export(kw_store *s, const char *dir)
{
	char path[512];
	kw_store_txn *t = NULL;
	FILE *f;
	kw_rc rc;

	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return 1;
	rc = kw_store_txn_begin(s, false, &t);
	if (rc == KW_OK)
		rc = kw_store_audit_read(t, 1, 0, write_line, f);
	kw_store_txn_abort(t);
	return (fclose(f) != 0 || rc != KW_OK) ? 1 : 0;
}

static int write_pubkeys(kw_audit *a, const char *dir)
{
	char path[512];
	kw_audit_pubkey *keys = NULL;
	size_t n = 0;
	FILE *f;
	int bad = 0;

	if (kw_audit_pubkeys(a, &keys, &n) != KW_OK)
		return 1;
	snprintf(path, sizeof(path), "%s/audit.pem", dir);
	f = fopen(path, "w");
	if (f == NULL)
		bad = 1;
	for (size_t i = 0; f != NULL && i < n; i++)
		bad |= fputs(keys[i].pem, f) == EOF;
	if (f != NULL)
		bad |= fclose(f) != 0;
	kw_audit_pubkeys_free(keys, n);
	return bad;
}

static int cmd_gen(const char *dir, int events)
{
	char path[512];
	kw_store_config sc = {.backend = "sqlite", .path = path};
	kw_audit_config ac = {.node = "loggen",
			      .checkpoint_every = 50,
			      .checkpoint_interval_s = 3600};
	kw_store *s = NULL;
	kw_barrier *b = NULL;
	kw_secret **shares = NULL;
	kw_audit *a = NULL;
	gen g[4];
	pthread_t th[4];
	int bad = 0;

	snprintf(path, sizeof(path), "%s/kw.db", dir);
	if (kw_store_open(&sc, &s) != KW_OK ||
	    kw_barrier_open(s, &b) != KW_OK ||
	    kw_barrier_init(b, 1, 1, &shares) != KW_OK ||
	    kw_audit_open(s, b, &ac, &a) != KW_OK)
		bad = 1;
	for (int round = 0; !bad && round < 2; round++) {
		for (int i = 0; i < 4; i++) {
			g[i] = (gen){a, i, events / 8};
			bad |= pthread_create(&th[i], NULL, submit_many, &g[i]);
		}
		for (int i = 0; i < 4; i++) {
			void *r = NULL;

			pthread_join(th[i], &r);
			bad |= r != NULL;
		}
		if (round == 0)
			bad |= kw_audit_key_rotate(a, NULL) != KW_OK;
	}
	if (!bad)
		bad = write_pubkeys(a, dir);
	kw_audit_close(a); /* the final checkpoint */
	if (!bad)
		bad = export(s, dir);
	kw_barrier_shares_free(shares, 1);
	kw_barrier_free(b);
	kw_store_close(s);
	return bad;
}

static char *slurp(const char *path, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)len + 1);
		if (buf != NULL &&
		    fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		}
		*out_len = (size_t)len;
	}
	fclose(f);
	return buf;
}

static int cmd_verify(const char *log, const char *pem_path, bool allow_tail)
{
	kw_audit_verify_opts opts = {.allow_tail = allow_tail};
	kw_audit_verify_report rep;
	kw_audit_verifier *v = NULL;
	size_t pem_len = 0;
	char *pem = slurp(pem_path, &pem_len);
	FILE *f = fopen(log, "rb");
	kw_rc rc = KW_E_INVALID;

	if (pem != NULL && f != NULL &&
	    kw_audit_verifier_new(&opts, &v) == KW_OK &&
	    kw_audit_verifier_add_keys(v, (const uint8_t *)pem, pem_len) ==
		    KW_OK)
		rc = kw_audit_verify_stream(v, f, &rep);
	if (rc == KW_OK)
		printf("valid: %llu entries, %llu checkpoints\n",
		       (unsigned long long)rep.entries,
		       (unsigned long long)rep.checkpoints);
	else if (rc == KW_E_VERIFY)
		printf("line %llu seq %llu: %s\n",
		       (unsigned long long)rep.bad_line,
		       (unsigned long long)rep.bad_seq, rep.reason);
	kw_audit_verifier_free(v);
	if (f != NULL)
		fclose(f);
	free(pem);
	return rc == KW_OK ? 0 : rc == KW_E_VERIFY ? 1 : 2;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return cmd_gen(argv[2], atoi(argv[3]));
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argv[2], argv[3],
				  argc == 5 &&
					  strcmp(argv[4], "--allow-tail") == 0);
	fprintf(stderr, "usage: audit_loggen gen DIR EVENTS | "
			"verify LOG PEM [--allow-tail]\n");
	return 2;
}
