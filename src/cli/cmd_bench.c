/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "bench/harness.h"
#include "bench/ops.h"
#include "cli.h"

/*
 * keywarden bench: the speed of the user's own instance through the REST
 * API, like `openssl speed`: N connections (threads, each with its own
 * keep-alive client) send requests back to back, or at a given total rate;
 * the result is operations per second, the latency of a request (p50, p99)
 * and the CPU time per operation of this process (and of the daemon with
 * --daemon-pid, when it runs on this machine). bench/run.py uses it for the
 * REST rows of the benchmark.
 *
 * Every answer is checked for its shape, and every n-th is kept and checked
 * after the measured window through the API (signatures verified,
 * ciphertexts and data keys decrypted and compared, generated keys used,
 * lookups repeated by id), so a wrong answer cannot look fast. --samples
 * writes some signatures with the public key as JSON lines, for a check
 * outside keywarden.
 *
 * Keys: the key of an operation is --key NAME if given, else a new key
 * named bench-<random>-<type>, destroyed (waiting period 0) at the end,
 * as are the keys ec-keygen makes. The caller needs crypto-officer for
 * those, crypto-user for the operations.
 */

#define MAX_SAMPLES   256
#define SAMPLES_OUT   16 /* per operation, with --samples */
#define DEFAULT_SECS  3.0
#define DEFAULT_CONNS 4
#define MAX_CONNS     256
#define MAX_BATCH     1000

typedef struct bench_ctx {
	kw_cli *cli;
	const kw_bench_op *op;
	const char *key;
	const char *partition;
	char run_id[17];
	unsigned batch;
	char *pem; /* the key's public key, for --samples */
	FILE *samples;
	unsigned samples_left;
	pthread_mutex_t mu; /* samples, samples_left */
} bench_ctx;

typedef struct sample {
	uint64_t seq;
	char *a; /* signature / ciphertext / generated key name / key id */
	char *b; /* data key plaintext */
	unsigned version;
} sample;

typedef struct bench_thread {
	bench_ctx *c;
	unsigned idx;
	kw_client *cl;
	json_t *body;
	char *b64; /* base64 of the call's data; its first 16 characters
			 * change with the call */
	size_t b64_len;
	uint8_t *data;
	size_t len;
	sample s[MAX_SAMPLES];
	size_t ns;
	char **gen; /* keys made by ec-keygen */
	size_t ngen, capgen;
} bench_thread;

/* ---- paths and bodies ------------------------------------------------------ */

/* /v1/keys[/name][suffix][?partition=] */
static const char *key_path(const bench_ctx *c, kw_client_path *p,
			    const char *name, const char *suffix)
{
	kw_client_path_init(p, "/v1/keys");
	if (name != NULL)
		kw_client_path_seg(p, name);
	if (suffix != NULL)
		kw_client_path_lit(p, suffix);
	kw_client_path_query(p, "partition", c->partition);
	return kw_client_path_get(p);
}

static bool set_str(json_t *o, const char *k, const char *v)
{
	return v == NULL || json_object_set_new(o, k, json_string(v)) == 0;
}

/* The call's data, as base64 into t->b64: only the first 16 characters
 * (the 12-byte prefix) change from call to call. */
static bool data_b64(bench_thread *t, uint64_t seq, json_t **out)
{
	json_t *pre;

	kw_bench_msg(t->idx, seq, t->data, KW_BENCH_PREFIX_LEN);
	pre = kw_client_json_b64_new(t->data, KW_BENCH_PREFIX_LEN);
	if (pre == NULL)
		return false;
	memcpy(t->b64, json_string_value(pre), 16);
	json_decref(pre);
	*out = json_stringn_nocheck(t->b64, t->b64_len);
	return *out != NULL;
}

/* One sign / encrypt item with the data of seq. */
static bool item_set(bench_thread *t, json_t *item, uint64_t seq)
{
	const kw_bench_op *op = t->c->op;
	json_t *d = NULL;

	if (!data_b64(t, seq, &d))
		return false;
	return json_object_set_new(
		       item, op->kind == KW_BENCH_SIGN ? "input" : "plaintext",
		       d) == 0;
}

static json_t *item_new(const kw_bench_op *op)
{
	json_t *it = json_object();

	if (it != NULL && op->kind == KW_BENCH_SIGN &&
	    (!set_str(it, "hash", op->hash) ||
	     !set_str(it, "scheme", op->scheme))) {
		json_decref(it);
		it = NULL;
	}
	return it;
}

/* The request body of call seq, made once and updated in place. */
static bool body_update(bench_thread *t, uint64_t seq)
{
	bench_ctx *c = t->c;
	const kw_bench_op *op = c->op;
	json_t *arr;
	char name[96];

	switch (op->kind) {
	case KW_BENCH_SIGN:
	case KW_BENCH_ENCRYPT:
		if (c->batch <= 1)
			return item_set(t, t->body, seq);
		arr = json_object_get(t->body, "batch");
		for (unsigned k = 0; k < c->batch; k++)
			if (!item_set(t, json_array_get(arr, k),
				      seq * c->batch + k))
				return false;
		return true;
	case KW_BENCH_KEYGEN:
		snprintf(name, sizeof(name), "bench-%s-gen-%u-%llu", c->run_id,
			 t->idx, (unsigned long long)seq);
		return set_str(t->body, "name", name);
	default:
		return true;
	}
}

static bool body_init(bench_thread *t)
{
	bench_ctx *c = t->c;
	const kw_bench_op *op = c->op;
	size_t len = op->kind == KW_BENCH_ENCRYPT ? op->len : KW_BENCH_MSG_LEN;
	json_t *tmp, *arr;

	t->data = malloc(len);
	if (t->data == NULL)
		return false;
	t->len = len;
	kw_bench_msg(t->idx, 0, t->data, len);
	tmp = kw_client_json_b64_new(t->data, len);
	if (tmp == NULL)
		return false;
	t->b64_len = json_string_length(tmp);
	t->b64 = malloc(t->b64_len + 1);
	if (t->b64 != NULL)
		memcpy(t->b64, json_string_value(tmp), t->b64_len + 1);
	json_decref(tmp);
	if (t->b64 == NULL)
		return false;
	switch (op->kind) {
	case KW_BENCH_SIGN:
	case KW_BENCH_ENCRYPT:
		if (c->batch <= 1) {
			t->body = item_new(op);
			return t->body != NULL;
		}
		arr = json_array();
		t->body = json_pack("{s:o}", "batch", arr);
		for (unsigned k = 0; t->body != NULL && k < c->batch; k++)
			if (json_array_append_new(arr, item_new(op)) != 0)
				return false;
		return t->body != NULL;
	case KW_BENCH_DATAKEY:
		t->body = json_pack("{s:s}", "type", "aes-256");
		return t->body != NULL;
	case KW_BENCH_KEYGEN:
		t->body = json_pack("{s:s}", "type", op->key_type);
		return t->body != NULL;
	default:
		return true;
	}
}

/* ---- the thread's calls ----------------------------------------------------- */

static kw_rc thread_init(void *ctx, unsigned idx, void **out)
{
	bench_ctx *c = ctx;
	bench_thread *t = calloc(1, sizeof(*t));
	kw_rc rc = KW_E_NOMEM;

	if (t == NULL)
		return rc;
	t->c = c;
	t->idx = idx;
	if (!body_init(t))
		goto out;
	rc = kw_cli_client_new(c->cli, &t->cl);
out:
	if (rc != KW_OK) {
		json_decref(t->body);
		free(t->b64);
		free(t->data);
		free(t);
		return rc;
	}
	*out = t;
	return KW_OK;
}

static char *dup_str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? strdup(v) : NULL;
}

static sample *keep(bench_thread *t, uint64_t seq)
{
	if (t->ns == MAX_SAMPLES)
		return NULL;
	memset(&t->s[t->ns], 0, sizeof(t->s[0]));
	t->s[t->ns].seq = seq;
	return &t->s[t->ns++];
}

static bool remember_gen(bench_thread *t, const char *name)
{
	char *d;

	if (t->ngen == t->capgen) {
		size_t cap = t->capgen != 0 ? t->capgen * 2 : 256;
		char **p = realloc(t->gen, cap * sizeof(*p));
		if (p == NULL)
			return false;
		t->gen = p;
		t->capgen = cap;
	}
	d = strdup(name);
	if (d == NULL)
		return false;
	t->gen[t->ngen++] = d;
	return true;
}

/* Checks the shape of one answer (an item of a batch or the whole); keeps
 * it if want. */
static kw_rc answer(bench_thread *t, const json_t *res, uint64_t seq, bool want)
{
	const kw_bench_op *op = t->c->op;
	const char *field = op->kind == KW_BENCH_SIGN	  ? "signature"
			    : op->kind == KW_BENCH_KEYGEN ? "name"
			    : op->kind == KW_BENCH_LOOKUP ? "id"
							  : "ciphertext";
	const char *v = json_string_value(json_object_get(res, field));
	sample *s;

	if (v == NULL || v[0] == '\0') {
		kw_bench_note_error("an answer without %s", field);
		return KW_E_VERIFY;
	}
	if (op->kind == KW_BENCH_LOOKUP &&
	    strcmp(json_string_value(json_object_get(res, "name")) != NULL
			   ? json_string_value(json_object_get(res, "name"))
			   : "",
		   t->c->key) != 0) {
		kw_bench_note_error("lookup found another key");
		return KW_E_VERIFY;
	}
	if (op->kind == KW_BENCH_KEYGEN && !remember_gen(t, v))
		return KW_E_NOMEM;
	if (!want || (s = keep(t, seq)) == NULL)
		return KW_OK;
	s->a = strdup(v);
	s->version = (unsigned)json_integer_value(
		json_object_get(res, "key_version"));
	if (op->kind == KW_BENCH_DATAKEY)
		s->b = dup_str(res, "plaintext");
	return KW_OK;
}

static kw_rc call(void *state, uint64_t seq, bool want)
{
	bench_thread *t = state;
	bench_ctx *c = t->c;
	const kw_bench_op *op = c->op;
	static const char *const suffix[] = {
		[KW_BENCH_SIGN] = "/sign",
		[KW_BENCH_ENCRYPT] = "/encrypt",
		[KW_BENCH_DATAKEY] = "/datakey",
		[KW_BENCH_KEYGEN] = NULL,
		[KW_BENCH_LOOKUP] = NULL,
	};
	bool create = op->kind == KW_BENCH_KEYGEN;
	bool get = op->kind == KW_BENCH_LOOKUP;
	kw_client_path p;
	json_t *res = NULL, *arr;
	kw_rc rc = KW_E_NOMEM;

	if (!body_update(t, seq))
		goto out;
	rc = kw_client_call(
		t->cl, get ? "GET" : "POST",
		key_path(c, &p, create ? NULL : c->key, suffix[op->kind]),
		get ? NULL : t->body, NULL, &res);
	if (rc != KW_OK) {
		const kw_client_error *e = kw_client_last_error(t->cl);
		kw_bench_note_error("%s: %s", e->code, e->message);
		goto out;
	}
	if (c->batch <= 1) {
		rc = answer(t, res, seq, want);
		goto out;
	}
	arr = json_object_get(res, "batch");
	rc = json_array_size(arr) == c->batch ? KW_OK : KW_E_VERIFY;
	for (unsigned k = 0; rc == KW_OK && k < c->batch; k++)
		rc = answer(t, json_array_get(arr, k), seq * c->batch + k,
			    want && k == seq % c->batch);
out:
	json_decref(res);
	return rc;
}

/* ---- checks after the window ------------------------------------------------ */

static void sample_out(bench_thread *t, const json_t *input, const char *sig)
{
	bench_ctx *c = t->c;
	json_t *j;

	pthread_mutex_lock(&c->mu);
	if (c->samples != NULL && c->samples_left > 0 && c->pem != NULL) {
		j = json_pack("{s:s, s:s, s:O, s:s, s:s?, s:s?}", "op",
			      c->op->name, "pem", c->pem, "input", input,
			      "signature", sig, "hash", c->op->hash, "scheme",
			      c->op->scheme);
		if (j != NULL && json_dumpf(j, c->samples, JSON_COMPACT) == 0) {
			fputc('\n', c->samples);
			c->samples_left--;
		}
		json_decref(j);
	}
	pthread_mutex_unlock(&c->mu);
}

/* One check through the API; true if it holds. */
static bool check_one(bench_thread *t, const sample *s)
{
	bench_ctx *c = t->c;
	const kw_bench_op *op = c->op;
	json_t *body = NULL, *res = NULL, *d = NULL, *res2 = NULL;
	json_t *want = NULL;
	kw_client_path p;
	bool ok = false;

	switch (op->kind) {
	case KW_BENCH_SIGN:
		body = item_new(op);
		if (body == NULL || !data_b64(t, s->seq, &d) ||
		    json_object_set(body, "input", d) != 0 ||
		    !set_str(body, "signature", s->a) ||
		    json_object_set_new(body, "key_version",
					json_integer(s->version)) != 0 ||
		    kw_client_call(t->cl, "POST",
				   key_path(c, &p, c->key, "/verify"), body,
				   NULL, &res) != KW_OK)
			break;
		ok = json_is_true(json_object_get(res, "valid"));
		if (ok)
			sample_out(t, d, s->a);
		break;
	case KW_BENCH_ENCRYPT:
	case KW_BENCH_DATAKEY:
		body = json_pack("{s:s}", "ciphertext", s->a);
		if (body == NULL ||
		    (op->kind == KW_BENCH_ENCRYPT &&
		     !data_b64(t, s->seq, &d)) ||
		    kw_client_call(t->cl, "POST",
				   key_path(c, &p, c->key, "/decrypt"), body,
				   NULL, &res) != KW_OK)
			break;
		want = op->kind == KW_BENCH_ENCRYPT ? json_incref(d)
						    : json_string(s->b);
		ok = json_equal(json_object_get(res, "plaintext"), want) == 1;
		break;
	case KW_BENCH_KEYGEN:
		/* The new key signs, and the signature verifies. */
		body = json_pack("{s:s}", "input", "a2V5d2FyZGVu");
		if (body == NULL ||
		    kw_client_call(t->cl, "POST",
				   key_path(c, &p, s->a, "/sign"), body, NULL,
				   &res) != KW_OK ||
		    json_object_set(body, "signature",
				    json_object_get(res, "signature")) != 0 ||
		    kw_client_call(t->cl, "POST",
				   key_path(c, &p, s->a, "/verify"), body, NULL,
				   &res2) != KW_OK)
			break;
		ok = json_is_true(json_object_get(res2, "valid"));
		break;
	case KW_BENCH_LOOKUP:
		/* The same key, asked for by its id. */
		ok = kw_client_call(t->cl, "GET", key_path(c, &p, s->a, NULL),
				    NULL, NULL, &res) == KW_OK &&
		     json_string_value(json_object_get(res, "name")) != NULL &&
		     strcmp(json_string_value(json_object_get(res, "name")),
			    c->key) == 0;
		break;
	}
	json_decref(body);
	json_decref(res);
	json_decref(res2);
	json_decref(d);
	json_decref(want);
	return ok;
}

static void verify(void *state, uint64_t *verified, uint64_t *failed)
{
	bench_thread *t = state;

	for (size_t i = 0; i < t->ns; i++) {
		if (check_one(t, &t->s[i]))
			(*verified)++;
		else
			(*failed)++;
	}
}

static void key_destroy(bench_ctx *c, kw_client *cl, const char *name)
{
	kw_client_path p;
	json_t *body = json_pack("{s:i}", "waiting_period", 0);

	if (body != NULL)
		(void)kw_client_call(cl, "POST",
				     key_path(c, &p, name, "/destroy"), body,
				     NULL, NULL);
	json_decref(body);
}

static void thread_fini(void *state)
{
	bench_thread *t = state;

	for (size_t i = 0; i < t->ngen; i++) {
		key_destroy(t->c, t->cl, t->gen[i]);
		free(t->gen[i]);
	}
	for (size_t i = 0; i < t->ns; i++) {
		free(t->s[i].a);
		if (t->s[i].b != NULL)
			OPENSSL_cleanse(t->s[i].b, strlen(t->s[i].b));
		free(t->s[i].b);
	}
	kw_client_free(t->cl);
	json_decref(t->body);
	free(t->gen);
	free(t->b64);
	free(t->data);
	free(t);
}

static const kw_bench_ops rest_ops = {thread_init, call, verify, thread_fini};

/* ---- the command ---------------------------------------------------------- */

typedef struct bench_args {
	kw_bench_spec spec;
	const char *key;
	unsigned batch;
	FILE *samples;
} bench_args;

static kw_rc dbl_arg(kw_cli *cli, const kw_cli_args *a, const char *name,
		     double def, double min, double max, double *out)
{
	const char *v = kw_cli_arg(a, name);
	char *end;
	double d;

	if (v == NULL) {
		*out = def;
		return KW_OK;
	}
	d = strtod(v, &end);
	if (end == v || *end != '\0' || !(d >= min && d <= max))
		return kw_cli_usage(cli,
				    "--%s: expected a number from %g to %g",
				    name, min, max);
	*out = d;
	return KW_OK;
}

/* The key of the run: --key, or a new one. *made says which. */
static kw_rc key_setup(kw_cli *cli, bench_ctx *c, const char *given, char *name,
		       size_t len, bool *made)
{
	kw_client_path p;
	json_t *body = NULL, *res = NULL;
	kw_rc rc = KW_OK;

	*made = false;
	if (c->op->kind == KW_BENCH_KEYGEN) {
		c->key = NULL;
		return KW_OK;
	}
	if (given != NULL) {
		snprintf(name, len, "%s", given);
	} else {
		snprintf(name, len, "bench-%s-%s", c->run_id, c->op->key_type);
		body = json_pack("{s:s, s:s}", "name", name, "type",
				 c->op->key_type);
		rc = body != NULL ? kw_cli_call(cli, "POST",
						key_path(c, &p, NULL, NULL),
						body, NULL, NULL)
				  : KW_E_NOMEM;
		*made = rc == KW_OK;
	}
	c->key = name;
	if (rc == KW_OK && c->op->kind == KW_BENCH_SIGN && c->samples != NULL)
		rc = kw_cli_call(cli, "GET", key_path(c, &p, name, "/public"),
				 NULL, NULL, &res);
	if (rc == KW_OK && res != NULL)
		c->pem = dup_str(res, "pem");
	json_decref(body);
	json_decref(res);
	return rc;
}

static void print_row(kw_cli *cli, const json_t *r)
{
	fprintf(cli->out, "%-16s %12.1f %10.0f %10.0f %12.1f  %s\n",
		json_string_value(json_object_get(r, "op")),
		json_number_value(json_object_get(r, "ops_per_s")),
		json_number_value(json_object_get(r, "lat_p50_us")),
		json_number_value(json_object_get(r, "lat_p99_us")),
		json_number_value(json_object_get(r, "cpu_us_per_op")),
		json_integer_value(json_object_get(r, "verify_failed")) != 0 ||
				json_integer_value(
					json_object_get(r, "errors")) != 0
			? "FAILED"
			: "");
}

static kw_rc run_op(kw_cli *cli, const bench_args *ba, const kw_bench_op *op,
		    json_t *results)
{
	bench_ctx c = {.cli = cli,
		       .op = op,
		       .batch = ba->batch,
		       .samples = ba->samples,
		       .samples_left = SAMPLES_OUT};
	kw_bench_spec spec = ba->spec;
	kw_bench_result r;
	char name[160];
	uint8_t rnd[8];
	bool made = false;
	json_t *j;
	kw_rc rc;

	pthread_mutex_init(&c.mu, NULL);
	c.partition = kw_cli_arg(cli->args, "partition");
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return kw_cli_fail(cli, KW_E_INTERNAL, "no random bytes");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(c.run_id + 2 * i, 3, "%02x", rnd[i]);
	if (ba->batch > 1 && op->kind != KW_BENCH_SIGN &&
	    op->kind != KW_BENCH_ENCRYPT)
		return KW_E_UNSUPPORTED;
	rc = key_setup(cli, &c, ba->key, name, sizeof(name), &made);
	if (rc != KW_OK)
		goto out;
	spec.ops = &rest_ops;
	spec.ctx = &c;
	spec.items = ba->batch;
	if (op->kind == KW_BENCH_KEYGEN && spec.sample_every == 0)
		spec.sample_every = 8;
	rc = kw_bench_run(&spec, &r);
	if (rc != KW_OK) {
		rc = kw_cli_fail(cli, rc, "%s: %s", op->name,
				 kw_bench_last_error());
		goto out;
	}
	j = kw_bench_result_json(&r);
	if (j == NULL ||
	    json_object_set_new(j, "op", json_string(op->name)) != 0 ||
	    json_object_set_new(
		    j, "addr", json_string(kw_client_addr(cli->client))) != 0 ||
	    json_object_set_new(j, "conns", json_integer(spec.threads)) != 0 ||
	    json_object_set_new(j, "batch", json_integer(ba->batch)) != 0 ||
	    json_object_set_new(j, "rate", json_real(spec.rate)) != 0 ||
	    json_array_append_new(results, j) != 0) {
		rc = kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
		goto out;
	}
	if (!cli->json)
		print_row(cli, j);
	if (r.errors != 0 || r.verify_failed != 0 || r.verified == 0)
		rc = kw_cli_fail(
			cli, KW_E_VERIFY,
			"%s: %llu failed calls, %llu of %llu checked "
			"results wrong%s%s",
			op->name, (unsigned long long)r.errors,
			(unsigned long long)r.verify_failed,
			(unsigned long long)(r.verified + r.verify_failed),
			r.error[0] != '\0' ? ": " : "", r.error);
out:
	if (made)
		key_destroy(&c, cli->client, name);
	free(c.pem);
	pthread_mutex_destroy(&c.mu);
	return rc;
}

/* A power of two with 1 KiB per connection and 64 KiB to spare. */
static size_t secure_heap_size(unsigned conns)
{
	size_t n = 64 * 1024;

	while (n < (size_t)conns * 1024 + 64 * 1024)
		n *= 2;
	return n;
}

static kw_rc bench(kw_cli *cli, const kw_cli_args *a)
{
	bench_args ba = {0};
	const kw_bench_op *ops[32];
	size_t nops = 0;
	long long n = 0;
	json_t *results = json_array();
	const char *path;
	kw_rc rc = results != NULL ? KW_OK : KW_E_NOMEM;

	for (const char *v; rc == KW_OK && (v = kw_cli_arg_at(a, "op", nops));
	     nops++) {
		if (nops == 32 || (ops[nops] = kw_bench_op_find(v)) == NULL)
			rc = kw_cli_usage(cli, "--op: unknown operation");
	}
	for (const kw_bench_op *o = kw_bench_ops_table;
	     rc == KW_OK && kw_cli_arg(a, "op") == NULL && o->name != NULL; o++)
		if (o->kind != KW_BENCH_KEYGEN || kw_cli_flag(a, "keygen"))
			ops[nops++] = o;
	if (rc == KW_OK)
		rc = dbl_arg(cli, a, "seconds", DEFAULT_SECS, 0.1, 3600,
			     &ba.spec.seconds);
	if (rc == KW_OK)
		rc = dbl_arg(cli, a, "warmup", ba.spec.seconds / 5, 0, 600,
			     &ba.spec.warmup);
	if (rc == KW_OK)
		rc = dbl_arg(cli, a, "rate", 0, 0, 1e7, &ba.spec.rate);
	if (rc == KW_OK)
		rc = kw_cli_arg_int(cli, a, "conns", DEFAULT_CONNS, 1,
				    MAX_CONNS, &n);
	ba.spec.threads = (unsigned)n;
	if (rc == KW_OK)
		rc = kw_cli_arg_int(cli, a, "batch", 1, 1, MAX_BATCH, &n);
	ba.batch = (unsigned)n;
	if (rc == KW_OK)
		rc = kw_cli_arg_int(cli, a, "sample-every", 0, 1, 1000000, &n);
	ba.spec.sample_every = (unsigned)n;
	if (rc == KW_OK)
		rc = kw_cli_arg_int(cli, a, "daemon-pid", 0, 1, 1 << 30, &n);
	ba.spec.daemon_pid = (long)n;
	/* Every TLS client context takes a little of the secure heap (its
	 * ticket keys); the CLI's is sized for a few secrets. Nothing is in
	 * it yet: grow it to fit the connections. */
	if (rc == KW_OK && CRYPTO_secure_malloc_initialized() &&
	    CRYPTO_secure_malloc_done() == 1)
		(void)CRYPTO_secure_malloc_init(
			secure_heap_size(ba.spec.threads), 64);
	ba.key = kw_cli_arg(a, "key");
	if (rc == KW_OK && ba.key != NULL && nops != 1)
		rc = kw_cli_usage(cli, "--key needs exactly one --op");
	path = kw_cli_arg(a, "samples");
	if (rc == KW_OK && path != NULL &&
	    (ba.samples = fopen(path, "we")) == NULL)
		rc = kw_cli_fail(cli, KW_E_INVALID, "cannot write %s", path);
	/* A first call makes the client, and says early if the instance
	 * cannot be reached. */
	if (rc == KW_OK)
		rc = kw_cli_call(cli, "GET", "/v1/auth/whoami", NULL, NULL,
				 NULL);
	if (rc == KW_OK && !cli->json)
		fprintf(cli->out, "%-16s %12s %10s %10s %12s\n", "operation",
			"ops/s", "p50(us)", "p99(us)", "cpu(us/op)");
	for (size_t i = 0; rc == KW_OK && i < nops; i++) {
		rc = run_op(cli, &ba, ops[i], results);
		if (rc == KW_E_UNSUPPORTED)
			rc = KW_OK; /* not batchable: skipped */
	}
	if (rc == KW_OK && cli->json) {
		json_t *j = json_pack("{s:O}", "results", results);
		kw_cli_print_json(cli, j);
		json_decref(j);
	}
	if (ba.samples != NULL && fclose(ba.samples) != 0 && rc == KW_OK)
		rc = kw_cli_fail(cli, KW_E_INVALID, "cannot write %s", path);
	json_decref(results);
	return rc;
}

static const kw_cli_opt bench_opts[] = {
	{"op", "OP", KW_CLI_OPT_MULTI,
	 "operation to measure (repeatable; default: all but ec-keygen): "
	 "ecdsa-p256, ecdsa-p384, ed25519, rsa2048-pkcs1, rsa2048-pss, "
	 "rsa3072-pkcs1, rsa3072-pss, aes-gcm-1k, aes-gcm-64k, datakey, "
	 "ec-keygen, lookup"},
	{"seconds", "S", 0, "measured time per operation (default 3)"},
	{"warmup", "S", 0, "unmeasured time before it (default seconds/5)"},
	{"conns", "N", 0,
	 "concurrent connections, one thread each (default 4)"},
	{"batch", "N", 0,
	 "items per request, for sign and encrypt (default 1)"},
	{"rate", "R", 0,
	 "requests per second in all, paced (default: as fast as possible)"},
	{"key", "NAME", 0, "use this key (one --op) instead of a new one"},
	{"keygen", NULL, 0, "with no --op: also ec-keygen (makes keys)"},
	{"sample-every", "N", 0, "check every n-th answer (default 64)"},
	{"daemon-pid", "PID", 0,
	 "also count the CPU time of this process (a local daemon)"},
	{"samples", "FILE", 0,
	 "write checked signatures with their public keys (JSON lines)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_cmd bench_cmds[] = {
	{NULL, "measure the instance's speed, like 'openssl speed'", NULL,
	 bench_opts, bench,
	 "Each operation runs for --seconds on --conns keep-alive connections "
	 "(one\nthread each), after a warm-up. Shown: operations per second, "
	 "the latency\nof a request (p50, p99) and the CPU time of this "
	 "process per operation\n(plus the daemon's, with --daemon-pid). "
	 "Every 64th answer is checked\nthrough the API afterwards "
	 "(signatures verified, ciphertexts decrypted);\na failed check "
	 "fails the command. Keys are made for the run and destroyed\n"
	 "after it (crypto-officer), unless --key names one. Single "
	 "requests wait for\nthe durable audit write, so their throughput "
	 "needs several connections.",
	 "keywarden bench --op ecdsa-p256 --conns 8 --seconds 5", 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_bench = {
	"bench", "measure the instance's speed (like openssl speed)",
	bench_cmds};
