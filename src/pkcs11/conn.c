/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pkcs11"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "keywarden/log.h"
#include "pkcs11/p11.h"

/*
 * The pool of daemon connections shared by every session. A request takes
 * an idle connection (or opens a new one: a thread never waits for
 * another's request), sets the credential of the slot it acts for if the
 * connection last carried another one, and gives the connection back.
 * Connections beyond `connections` idle ones are closed. The pool's lock
 * guards the idle list only; no request runs under it.
 */

typedef struct pconn {
	kw_client *c;
	uint64_t tag; /* credential last set on c; 0 = none */
	struct pconn *next;
} pconn;

struct p11_pool {
	pthread_mutex_t lock;
	pconn *idle;
	unsigned n_idle;
	unsigned max;
	kw_client_opts opts; /* strings borrowed from the module's config */
	atomic_bool down;    /* the last request could not reach the daemon */
};

kw_rc p11_pool_new(const p11_config *cfg, p11_pool **out)
{
	kw_client_error err = {0};
	kw_client *probe = NULL;
	p11_pool *p = calloc(1, sizeof(*p));
	kw_rc rc;

	if (p == NULL)
		return KW_E_NOMEM;
	pthread_mutex_init(&p->lock, NULL);
	p->max = cfg->pool_max != 0 ? cfg->pool_max : 8;
	p->opts.addr = cfg->addr;
	p->opts.cacert = cfg->cacert;
	p->opts.cert = cfg->cert;
	p->opts.key = cfg->key;
	p->opts.connect_timeout_ms = cfg->connect_timeout_ms;
	p->opts.io_timeout_ms = cfg->io_timeout_ms;
	/* A client checks the address and the CA file without connecting:
	 * a bad configuration fails C_Initialize, not the first request. */
	rc = kw_client_new(&p->opts, &err, &probe);
	if (rc != KW_OK) {
		KW_LOG_ERROR("bad daemon address or TLS files (%s): %s",
			     p->opts.addr != NULL ? p->opts.addr
						  : KW_CLIENT_DEFAULT_ADDR,
			     err.message);
		p11_pool_free(p);
		return rc;
	}
	p->idle = calloc(1, sizeof(*p->idle));
	if (p->idle == NULL) {
		kw_client_free(probe);
		p11_pool_free(p);
		return KW_E_NOMEM;
	}
	p->idle->c = probe;
	p->n_idle = 1;
	*out = p;
	return KW_OK;
}

void p11_pool_free(p11_pool *p)
{
	pconn *n;

	if (p == NULL)
		return;
	while ((n = p->idle) != NULL) {
		p->idle = n->next;
		kw_client_free(n->c);
		free(n);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void p11_pool_abandon(p11_pool *p)
{
	/* Wipes the tokens (memory only, no I/O); the connections, their
	 * buffers and the pool itself are left to the parent. */
	for (pconn *n = p != NULL ? p->idle : NULL; n != NULL; n = n->next)
		kw_client_set_token(n->c, NULL);
}

static pconn *checkout(p11_pool *p, kw_client_error *err)
{
	pconn *n;

	pthread_mutex_lock(&p->lock);
	n = p->idle;
	if (n != NULL) {
		p->idle = n->next;
		p->n_idle--;
	}
	pthread_mutex_unlock(&p->lock);
	if (n != NULL)
		return n;
	n = calloc(1, sizeof(*n));
	if (n != NULL && kw_client_new(&p->opts, err, &n->c) != KW_OK) {
		free(n);
		n = NULL;
	}
	return n;
}

static void checkin(p11_pool *p, pconn *n)
{
	bool keep;

	pthread_mutex_lock(&p->lock);
	keep = p->n_idle < p->max;
	if (keep) {
		n->next = p->idle;
		p->idle = n;
		p->n_idle++;
	}
	pthread_mutex_unlock(&p->lock);
	if (!keep) {
		kw_client_free(n->c);
		free(n);
	}
}

/* Sets the credential on the connection if it carries another one. */
static kw_rc use_cred(p11_module *m, p11_slot *slot, const p11_cred *cred,
		      pconn *n)
{
	kw_rc rc = KW_OK;

	if (cred != NULL) {
		if (n->tag != cred->tag || cred->tag == 0) {
			rc = kw_client_set_token(n->c, cred->token);
			n->tag = rc == KW_OK ? cred->tag : 0;
		}
		return rc;
	}
	if (slot == NULL) {
		rc = kw_client_set_token(n->c, m->base_token);
		n->tag = rc == KW_OK ? 1 : 0;
		return rc;
	}
	pthread_mutex_lock(&slot->lock);
	uint64_t tag = slot->token != NULL ? slot->tag : 1;
	if (n->tag != tag) {
		rc = kw_client_set_token(n->c, slot->token != NULL
						       ? slot->token
						       : m->base_token);
		n->tag = rc == KW_OK ? tag : 0;
	}
	pthread_mutex_unlock(&slot->lock);
	return rc;
}

/* Says once per outage that the daemon cannot be reached, and once that
 * it is back. */
static void note_reachability(p11_pool *p, kw_rc rc, const kw_client_error *e)
{
	bool was_down = atomic_load(&p->down);

	if (rc == KW_E_UNAVAILABLE && !was_down) {
		atomic_store(&p->down, true);
		KW_LOG_ERROR("cannot reach keywardend at %s: %s (%s)",
			     p->opts.addr != NULL ? p->opts.addr
						  : KW_CLIENT_DEFAULT_ADDR,
			     e->message, e->code);
	} else if (rc != KW_E_UNAVAILABLE && was_down) {
		atomic_store(&p->down, false);
		KW_LOG_WARN("keywardend reachable again");
	}
	if (rc == KW_E_SEALED)
		KW_LOG_ERROR("keywardend is sealed: no key can be used until "
			     "it is unsealed");
	if (rc == KW_E_AUDIT)
		KW_LOG_ERROR("keywardend cannot write its audit trail: "
			     "operations are refused (%s)",
			     e->message);
}

kw_rc p11_call(p11_module *m, p11_slot *slot, const p11_cred *cred,
	       const char *method, const char *path, json_t *body,
	       long *out_status, json_t **out, kw_client_error *out_err)
{
	kw_client_error err = {0};
	json_t *j = NULL;
	long status = 0;
	pconn *n = checkout(m->pool, &err);
	kw_rc rc = KW_E_NOMEM;

	if (n == NULL)
		goto out;
	rc = use_cred(m, slot, cred, n);
	if (rc == KW_OK)
		rc = kw_client_call(n->c, method, path, body, &status, &j);
	if (rc != KW_OK)
		err = *kw_client_last_error(n->c);
	note_reachability(m->pool, rc, &err);
	checkin(m->pool, n);
	/* 202: the daemon parked the request until a quorum approves it. */
	if (rc == KW_OK && status == 202) {
		json_t *a = json_object_get(j, "approval");
		const char *id = json_string_value(json_object_get(a, "id"));
		KW_LOG_WARN("%s %s needs approval%s%s before it runs", method,
			    path, id != NULL ? ": request " : "",
			    id != NULL ? id : "");
		snprintf(err.code, sizeof(err.code), "quorum_pending");
		rc = KW_E_QUORUM_PENDING;
	}
	if (rc != KW_OK)
		goto out;
	if (out_status != NULL)
		*out_status = status;
	if (out != NULL) {
		*out = j;
		j = NULL;
	}
out:
	if (rc != KW_OK && out_err != NULL)
		*out_err = err;
	json_decref(j);
	return rc;
}
