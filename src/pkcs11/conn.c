/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pkcs11"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
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

/* Requests parked for a quorum (202): the digest of the request and the
 * approval's id. When the application makes the identical call again, the
 * module sends it with ?approval=<id>: it runs once the approvers have
 * approved it, and answers CKR_FUNCTION_REJECTED while they have not. */
#define PARKED_MAX 64
#define PARKED_ID  64

typedef struct parked {
	uint8_t digest[32];
	char id[PARKED_ID];
	bool used;
} parked;

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
	parked parked[PARKED_MAX]; /* under lock */
	unsigned parked_next;
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

/* The digest identifying a key operation's request (method, path, body);
 * false for any other request (no credential or password goes in). */
static bool request_digest(const char *method, const char *path, json_t *body,
			   uint8_t out[32])
{
	char *text;
	size_t len = 0;
	kw_digest_ctx *d = NULL;
	uint8_t dg[KW_DIGEST_MAX];
	bool ok;

	if (strcmp(method, "POST") != 0 || strncmp(path, "/v1/keys/", 9) != 0)
		return false;
	text = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)
			    : NULL;
	ok = kw_digest_ctx_new(KW_HASH_SHA256, &d) == KW_OK &&
	     kw_digest_ctx_update(d, method, strlen(method) + 1) == KW_OK &&
	     kw_digest_ctx_update(d, path, strlen(path) + 1) == KW_OK &&
	     (text == NULL ||
	      kw_digest_ctx_update(d, text, strlen(text)) == KW_OK) &&
	     kw_digest_ctx_final(d, dg, &len) == KW_OK && len == 32;
	if (ok)
		memcpy(out, dg, 32);
	kw_digest_ctx_free(d);
	free(text);
	return ok;
}

/* Finds (id non-NULL: sets, "" forgets) the approval of digest. */
static bool parked_use(p11_pool *p, const uint8_t digest[32], const char *set,
		       char found[PARKED_ID])
{
	bool hit = false;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < PARKED_MAX && !hit; i++) {
		parked *e = &p->parked[i];
		if (!e->used || memcmp(e->digest, digest, 32) != 0)
			continue;
		hit = true;
		if (found != NULL)
			snprintf(found, PARKED_ID, "%s", e->id);
		if (set != NULL && set[0] == '\0')
			e->used = false;
		else if (set != NULL)
			snprintf(e->id, sizeof(e->id), "%s", set);
	}
	if (!hit && set != NULL && set[0] != '\0') {
		parked *e = &p->parked[p->parked_next++ % PARKED_MAX];
		memcpy(e->digest, digest, 32);
		snprintf(e->id, sizeof(e->id), "%s", set);
		e->used = true;
	}
	pthread_mutex_unlock(&p->lock);
	return hit;
}

kw_rc p11_call(p11_module *m, p11_slot *slot, const p11_cred *cred,
	       const char *method, const char *path, json_t *body,
	       long *out_status, json_t **out, kw_client_error *out_err)
{
	kw_client_error err = {0};
	json_t *j = NULL;
	long status = 0;
	uint8_t digest[32];
	char approval[PARKED_ID], full[sizeof(((kw_client_path *)0)->buf) + 80];
	bool keyed = request_digest(method, path, body, digest);
	bool resubmit = keyed && parked_use(m->pool, digest, NULL, approval);
	pconn *n = checkout(m->pool, &err);
	kw_rc rc = KW_E_NOMEM;

	if (n == NULL)
		goto out;
	if (resubmit) {
		snprintf(full, sizeof(full), "%s%capproval=%s", path,
			 strchr(path, '?') != NULL ? '&' : '?', approval);
		path = full;
	}
	rc = use_cred(m, slot, cred, n);
	if (rc == KW_OK)
		rc = kw_client_call(n->c, method, path, body, &status, &j);
	if (rc != KW_OK)
		err = *kw_client_last_error(n->c);
	note_reachability(m->pool, rc, &err);
	checkin(m->pool, n);
	/* 202: the daemon parked the request until a quorum approves it;
	 * the identical request later goes with the approval's id. An
	 * approval that ran, expired or was rejected is forgotten. */
	if (rc == KW_OK && status == 202) {
		json_t *a = json_object_get(j, "approval");
		const char *id = json_string_value(json_object_get(a, "id"));
		KW_LOG_WARN("%s %s needs approval%s%s before it runs", method,
			    path, id != NULL ? ": request " : "",
			    id != NULL ? id : "");
		if (keyed && id != NULL && strlen(id) < PARKED_ID)
			parked_use(m->pool, digest, id, NULL);
		snprintf(err.code, sizeof(err.code), "quorum_pending");
		rc = KW_E_QUORUM_PENDING;
	} else if (resubmit && rc != KW_E_UNAVAILABLE) {
		if (rc != KW_OK)
			KW_LOG_WARN("approval %s: %s", approval, err.message);
		parked_use(m->pool, digest, "", NULL);
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
