/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "daemon"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "daemon/daemon.h"
#include "daemon/dev.h"
#include "daemon/harden.h"
#include "daemon/metrics.h"
#include "daemon/routes_attest.h"
#include "daemon/router.h"
#include "daemon/server.h"
#include "service/svc_backup.h"
#include "keywarden/log.h"
#include "kw_config.h"

/* Housekeeping (key destruction, token purge) every this many seconds. */
#define TICK_S 5

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keywardend --config FILE\n"
		"       keywardend --dev [--data DIR] [--port N]\n"
		"       keywardend --check-config FILE\n"
		"\n"
		"  --config FILE        run with the YAML configuration FILE\n"
		"  --check-config FILE  check FILE and exit (0 if valid)\n"
		"  --dev                run an initialised, unsealed "
		"development "
		"instance\n"
		"                       (INSECURE: keeps its unseal share on "
		"disk)\n"
		"  --data DIR           dev data directory (default ./.dev)\n"
		"  --port N             dev TLS port on 127.0.0.1 (default "
		"8200; 0 = any)\n"
		"  --version            print the version\n"
		"See docs/operations.md.\n");
}

/* jansson holds request and response bodies, which can carry secrets
 * (decrypted data, shares, tokens): every block it frees is wiped. */
static void *json_alloc(size_t n)
{
	return malloc(n);
}

static void json_release(void *p)
{
	if (p == NULL)
		return;
	kw_wipe(p, malloc_usable_size(p));
	free(p);
}

typedef struct opts {
	const char *config;
	bool check_only;
	bool dev;
	kw_dev devo;
} opts;

/* 0 to run, 1 on bad usage, 2 to exit 0 (help, version). */
static int parse_args(int argc, char **argv, opts *o)
{
	static const struct option lo[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", required_argument, NULL, 'C'},
		{"dev", no_argument, NULL, 'd'},
		{"data", required_argument, NULL, 'D'},
		{"port", required_argument, NULL, 'p'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool port_set = false;
	int c;

	o->devo.dir_arg = ".dev";
	o->devo.port = 8200;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'C':
			o->config = optarg;
			o->check_only = true;
			break;
		case 'd':
			o->dev = true;
			break;
		case 'D':
			o->devo.dir_arg = optarg;
			break;
		case 'p': {
			char *end = NULL;
			unsigned long p = strtoul(optarg, &end, 10);
			if (*end != '\0' || p > 65535) {
				fprintf(stderr, "keywardend: bad --port\n");
				return 1;
			}
			o->devo.port = (unsigned)p;
			port_set = true;
			break;
		}
		case 'V':
			printf("keywardend %s\n", KW_VERSION);
			return 2;
		case 'h':
			usage(stdout);
			return 2;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc || o->dev == (o->config != NULL) ||
	    (!o->dev && port_set)) {
		usage(stderr);
		return 1;
	}
	return 0;
}

/* A request prepared a restore (routes_backup.c): stop serving, let the
 * requests in flight finish, swap the database in, serve again. False if
 * the daemon cannot go on (it then stops; the files are intact). */
static bool restore_apply(kw_daemon *d)
{
	kw_server_quiesce(d->server);
	kw_server_drain(d->server);
	kw_server_stop(d->server);
	d->server = NULL;
	bool reopened = false;
	kw_svc_backup_apply(&d->svc, &reopened);
	/* A new service gets its TPM features set up as at start. */
	return d->svc != NULL &&
	       (!reopened ||
		kw_svc_attest_open(d->svc, &d->cfg->tpm) == KW_OK) &&
	       kw_server_start(d, &d->server) == KW_OK;
}

/* Runs until SIGTERM or SIGINT; SIGHUP reopens the log file. Returns
 * false if serving had to stop for another reason. */
static bool serve(kw_daemon *d, const sigset_t *sigs)
{
	struct timespec ts = {1, 0};
	time_t last_tick = time(NULL), last_backup = time(NULL);

	for (;;) {
		int sig = sigtimedwait(sigs, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			KW_LOG_INFO("signal %d: shutting down", sig);
			return true;
		}
		if (kw_svc_backup_pending(d->svc) && !restore_apply(d))
			return false;
		if (d->cfg->backup_dir != NULL &&
		    time(NULL) - last_backup >=
			    (time_t)d->cfg->backup_interval_s) {
			kw_svc_backup_scheduled(d->svc, d->cfg->backup_dir,
						d->cfg->backup_keep);
			last_backup = time(NULL);
		}
		if (sig == SIGHUP) {
			if (kw_log_open(d->cfg->log_file) != 0)
				KW_LOG_ERROR("cannot reopen the log file: %s",
					     strerror(errno));
			else
				KW_LOG_INFO("log file reopened");
		}
		if (time(NULL) - last_tick >= TICK_S) {
			kw_service_tick(d->svc);
			last_tick = time(NULL);
		}
	}
}

int main(int argc, char **argv)
{
	opts o;
	kw_daemon d;
	kw_service_config sc;
	kw_secret *dev_token = NULL;
	sigset_t sigs;
	char err[KW_CONFIG_ERR_MAX];
	int status = 1;

	memset(&o, 0, sizeof(o));
	memset(&d, 0, sizeof(d));
	switch (parse_args(argc, argv, &o)) {
	case 1:
		return 2;
	case 2:
		return 0;
	default:
		break;
	}
	/* Signals are taken synchronously by the main thread only: block
	 * them before any thread starts (threads inherit the mask). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	json_set_alloc_funcs(json_alloc, json_release);
	kw_log_level_set(KW_LOG_LEVEL_INFO);
	kw_log_init_from_env();

	if (!o.dev &&
	    kw_config_load(o.config, &d.cfg, err, sizeof(err)) != KW_OK) {
		fprintf(stderr, "keywardend: %s\n", err);
		goto out;
	}
	if (o.check_only) {
		printf("%s: OK\n", o.config);
		status = 0;
		goto out;
	}
	if (!o.dev) {
		kw_log_level_set((kw_log_level)d.cfg->log_level);
		kw_log_init_from_env();
		if (d.cfg->log_file != NULL &&
		    kw_log_open(d.cfg->log_file) != 0) {
			fprintf(stderr, "keywardend: cannot open %s: %s\n",
				d.cfg->log_file, strerror(errno));
			goto out;
		}
	}
	if (kw_harden_process() != KW_OK)
		goto out;
	if (kw_crypto_selftest() != KW_OK) {
		KW_LOG_ERROR("crypto self-test failed: refusing to start");
		goto out;
	}
	/* The secure heap comes before the first secret (the dev TLS key
	 * included). */
	if (kw_harden_memory(o.dev ? KW_MLOCK_BEST_EFFORT : d.cfg->mlock,
			     o.dev ? KW_CFG_SECURE_HEAP
				   : (size_t)d.cfg->secure_heap_bytes) != KW_OK)
		goto out;
	if (o.dev) {
		d.dev = true;
		if (kw_dev_config(&o.devo, &d.cfg) != KW_OK)
			goto out;
	}
	if (o.dev)
		KW_LOG_WARN("DEV MODE: INSECURE BY DESIGN (unseal share and "
			    "root token on disk in %s); never use it for real "
			    "keys",
			    o.devo.dir);

	memset(&sc, 0, sizeof(sc));
	sc.store.backend = d.cfg->store_backend;
	sc.store.path = d.cfg->store_path;
	sc.auth = d.cfg->auth;
	sc.audit = d.cfg->audit;
	sc.audit.node = d.cfg->audit_node;
	sc.key_cache_max = (size_t)d.cfg->cache_keys;
	sc.pki.crl_dir = d.cfg->crl_dir;
	if (kw_service_open(&sc, &d.svc) != KW_OK ||
	    kw_svc_attest_open(d.svc, &d.cfg->tpm) != KW_OK)
		goto out;
	kw_tpm_autounseal_at_start(d.svc);
	if (o.dev && kw_dev_bootstrap(&o.devo, d.svc, &dev_token) != KW_OK)
		goto out;
	d.metrics = kw_metrics_new(kw_routes, kw_routes_count);
	if (d.metrics == NULL || kw_server_start(&d, &d.server) != KW_OK)
		goto out;
	if (o.dev) {
		if (kw_dev_announce(&o.devo, kw_server_port(d.server, 1),
				    dev_token, stdout) != KW_OK)
			goto out;
		kw_secret_free(dev_token);
		dev_token = NULL;
	}
	KW_LOG_INFO("keywardend %s ready", KW_VERSION);

	if (!serve(&d, &sigs))
		goto out;

	/* Stop accepting, let requests in flight finish (their audit events
	 * included), then checkpoint the audit trail and seal. */
	kw_server_quiesce(d.server);
	kw_server_drain(d.server);
	status = 0;
out:
	kw_server_stop(d.server);
	kw_service_close(d.svc);
	kw_metrics_free(d.metrics);
	kw_secret_free(dev_token);
	kw_config_free(d.cfg);
	if (status == 0 && !o.check_only)
		KW_LOG_INFO("stopped");
	return status;
}
