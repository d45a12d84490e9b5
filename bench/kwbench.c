/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/kwbench.h"

/*
 * kwbench TARGET --op OP [options]: one measurement, one JSON line on
 * stdout. bench/run.py runs it (and `keywarden bench` for REST) in turns.
 *
 *   raw       OpenSSL in this process (the ceiling)
 *   p11       a PKCS#11 module: --module PATH --pin PIN [--token LABEL]
 *   populate  p11 set-up: --count N filler secret keys in the token
 *
 * Common: --threads N (1), --seconds S (5), --warmup S (1), --rate R
 * (calls/s, open loop; 0: as fast as possible), --sample-every N (64),
 * --daemon-pid PID (also count that process's CPU time).
 */

static const char usage[] =
	"usage: kwbench raw|p11|populate --op OP [--threads N] [--seconds S]\n"
	"       [--warmup S] [--rate R] [--sample-every N] [--daemon-pid P]\n"
	"       [--module SO --pin PIN [--token LABEL]] [--count N]\n"
	"ops: %s\n";

static bool num(const char *s, double min, double max, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int parse(int argc, char **argv, kwb_opts *o)
{
	double v;

	o->spec.threads = 1;
	o->spec.seconds = 5;
	o->spec.warmup = 1;
	/* options come in pairs: --name value */
	for (int i = 2; i < argc; i += 2) {
		const char *k = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = a != NULL;

		if (!ok)
			return -1;
		if (strcmp(k, "--op") == 0)
			ok = (o->op = kw_bench_op_find(a)) != NULL;
		else if (strcmp(k, "--threads") == 0 && num(a, 1, 1024, &v))
			o->spec.threads = (unsigned)v;
		else if (strcmp(k, "--seconds") == 0 && num(a, 0.01, 3600, &v))
			o->spec.seconds = v;
		else if (strcmp(k, "--warmup") == 0 && num(a, 0, 600, &v))
			o->spec.warmup = v;
		else if (strcmp(k, "--rate") == 0 && num(a, 0, 1e7, &v))
			o->spec.rate = v;
		else if (strcmp(k, "--sample-every") == 0 && num(a, 1, 1e6, &v))
			o->spec.sample_every = (unsigned)v;
		else if (strcmp(k, "--daemon-pid") == 0 && num(a, 1, 1e9, &v))
			o->spec.daemon_pid = (long)v;
		else if (strcmp(k, "--count") == 0 && num(a, 0, 1e7, &v))
			o->count = (unsigned)v;
		else if (strcmp(k, "--module") == 0)
			o->module = a;
		else if (strcmp(k, "--pin") == 0)
			o->pin = a;
		else if (strcmp(k, "--token") == 0)
			o->token = a;
		else
			ok = false;
		if (!ok)
			return -1;
	}
	return o->op != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
	kwb_opts o = {0};
	kw_bench_result r;
	char names[512];
	json_t *j = NULL;
	const char *target = argc > 1 ? argv[1] : "";
	bool p11 = strcmp(target, "p11") == 0;
	bool pop = strcmp(target, "populate") == 0;
	kw_rc rc;

	if ((!p11 && !pop && strcmp(target, "raw") != 0) ||
	    parse(argc, argv, &o) != 0 ||
	    ((p11 || pop) && (o.module == NULL || o.pin == NULL))) {
		kw_bench_op_names(names, sizeof(names));
		fprintf(stderr, usage, names);
		return 2;
	}
	if (pop) {
		rc = kwb_p11_populate(&o);
		if (rc != KW_OK)
			fprintf(stderr, "kwbench: populate: %s %s\n",
				kw_rc_str(rc), kw_bench_last_error());
		return rc == KW_OK ? 0 : 1;
	}
	rc = p11 ? kwb_p11_run(&o, &r) : kwb_raw_run(&o, &r);
	if (rc == KW_E_UNSUPPORTED) {
		printf("{\"target\": \"%s\", \"op\": \"%s\", "
		       "\"unsupported\": true}\n",
		       target, o.op->name);
		return 0;
	}
	if (rc != KW_OK) {
		fprintf(stderr, "kwbench: %s %s: %s %s\n", target, o.op->name,
			kw_rc_str(rc), kw_bench_last_error());
		return 1;
	}
	j = kw_bench_result_json(&r);
	if (j == NULL ||
	    json_object_set_new(j, "target", json_string(target)) != 0 ||
	    json_object_set_new(j, "op", json_string(o.op->name)) != 0 ||
	    json_object_set_new(j, "threads", json_integer(o.spec.threads)) !=
		    0 ||
	    json_object_set_new(j, "rate", json_real(o.spec.rate)) != 0)
		return 1;
	json_dumpf(j, stdout, JSON_COMPACT);
	printf("\n");
	json_decref(j);
	return r.errors == 0 && r.verify_failed == 0 && r.verified > 0 ? 0 : 1;
}
