/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pki"

/* Revocation, CRLs (signed by the CA's key, kept in the CA's record) and
 * the CRL files the daemon publishes. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keywarden/log.h"
#include "pki/internal.h"
#include "util/codec.h"

#define DAY (int64_t)86400

kw_rc kw_pki_crl_sign(kw_pki *p, kw_ca_rec *r)
{
	kw_ca_info *c = &r->info;
	kw_crl_entry *e = NULL;
	kw_pki_key_ref ref = {p, c->partition, c->key_id};
	kw_x509_signer s = {c->key_type, c->cert, c->cert_len, kw_pki_sign_cb,
			    &ref};
	int64_t now = kw_pki_now(p), next = now + (int64_t)c->crl_days * DAY;
	uint8_t *der = NULL;
	size_t len = 0;
	kw_rc rc = KW_E_NOMEM;

	if (next > c->not_after)
		next = c->not_after > now ? c->not_after : now + 1;
	e = calloc(c->revoked + 1, sizeof(*e));
	if (e == NULL)
		return KW_E_NOMEM;
	for (size_t i = 0; i < c->revoked; i++) {
		memcpy(e[i].serial, r->revoked[i].serial,
		       r->revoked[i].serial_len);
		e[i].serial_len = r->revoked[i].serial_len;
		e[i].revoked_at = r->revoked[i].at;
		e[i].reason = (kw_crl_reason)r->revoked[i].reason;
	}
	rc = kw_x509_crl_sign(&s, c->crl_number + 1, now, next, e, c->revoked,
			      &der, &len);
	free(e);
	if (rc != KW_OK)
		return rc;
	free(r->crl);
	r->crl = der;
	r->crl_len = len;
	r->crl_this_update = now;
	c->crl_number++;
	c->crl_next_update = next;
	return KW_OK;
}

/* ---- files ------------------------------------------------------------------ */

/* Replaces path with data (through a temporary file and rename) unless it
 * holds exactly data already. */
static kw_rc file_put(const char *path, const void *data, size_t len)
{
	char tmp[4096];
	struct stat st;
	int fd;
	kw_rc rc = KW_E_STORAGE;

	if (stat(path, &st) == 0 && (size_t)st.st_size == len) {
		uint8_t *old = malloc(len + 1);
		FILE *f = old != NULL ? fopen(path, "rb") : NULL;
		bool same = f != NULL && fread(old, 1, len, f) == len &&
			    memcmp(old, data, len) == 0;
		if (f != NULL)
			fclose(f);
		free(old);
		if (same)
			return KW_OK;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return KW_E_INVALID;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return KW_E_STORAGE;
	if (write(fd, data, len) == (ssize_t)len && fsync(fd) == 0)
		rc = KW_OK;
	if (close(fd) != 0)
		rc = KW_E_STORAGE;
	if (rc == KW_OK && rename(tmp, path) != 0)
		rc = KW_E_STORAGE;
	if (rc != KW_OK)
		unlink(tmp);
	return rc;
}

void kw_pki_crl_write(kw_pki *p, const kw_ca_rec *r)
{
	const kw_ca_info *c = &r->info;
	char dir[4096], path[4096 + 80];
	char *pem = NULL;
	kw_rc rc;

	if (p->crl_dir == NULL || r->crl == NULL)
		return;
	/* names are [A-Za-z0-9._-]: only these two could leave the
	 * directory */
	if (strcmp(c->partition, ".") == 0 || strcmp(c->partition, "..") == 0 ||
	    strcmp(c->name, ".") == 0 || strcmp(c->name, "..") == 0) {
		KW_LOG_WARN("no CRL file for CA %s of partition %s: name not "
			    "fit for a path",
			    c->name, c->partition);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/%s", p->crl_dir, c->partition);
	if ((mkdir(p->crl_dir, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0755) != 0 && errno != EEXIST)) {
		KW_LOG_WARN("cannot create the CRL directory %s", dir);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s.crl", dir, c->name);
	rc = file_put(path, r->crl, r->crl_len);
	if (rc == KW_OK)
		rc = kw_pem_encode("X509 CRL", r->crl, r->crl_len, &pem);
	if (rc == KW_OK) {
		snprintf(path, sizeof(path), "%s/%s.crl.pem", dir, c->name);
		rc = file_put(path, pem, strlen(pem));
	}
	if (rc != KW_OK)
		KW_LOG_WARN("cannot write the CRL of CA %s to %s: %s", c->name,
			    path, kw_rc_str(rc));
	free(pem);
}

/* ---- revocation --------------------------------------------------------------- */

typedef struct revoke_arg {
	const char *partition, *serial;
	unsigned reason;
	char *err;
	size_t err_len;
	kw_cert_info *cert;
	kw_ca_rec *ca;
} revoke_arg;

static kw_rc revoke_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	revoke_arg *a = arg;
	kw_pki_rev *v;
	uint8_t serial[KW_X509_SERIAL_MAX];
	size_t n;
	kw_rc rc;

	kw_cert_info_free(a->cert);
	kw_pki_ca_rec_free(a->ca);
	a->cert = NULL;
	a->ca = NULL;
	rc = kw_pki_cert_load(p, t, a->partition, a->serial, &a->cert);
	if (rc == KW_E_NOT_FOUND)
		return kw_pki_fail(a->err, a->err_len, rc,
				   "no certificate %.48s", a->serial);
	if (rc != KW_OK)
		return rc;
	if (a->cert->status == KW_CERT_REVOKED)
		return kw_pki_fail(a->err, a->err_len, KW_E_STATE,
				   "certificate %s is revoked already",
				   a->cert->serial);
	rc = kw_pki_ca_load(p, t, a->partition, a->cert->ca_id, true, &a->ca);
	if (rc == KW_E_NOT_FOUND)
		rc = KW_E_INTEGRITY; /* its issuer must exist */
	if (rc != KW_OK)
		return rc;
	if (a->cert->profile == KW_PROFILE_CA &&
	    a->ca->info.parent_id[0] == '\0' &&
	    strcmp(a->ca->info.serial, a->cert->serial) == 0)
		return kw_pki_fail(a->err, a->err_len, KW_E_STATE,
				   "a root CA's own certificate cannot be "
				   "revoked");
	n = strlen(a->cert->serial) / 2;
	rc = kw_hex_decode(a->cert->serial, 2 * n, serial) == KW_OK &&
			     n <= KW_X509_SERIAL_MAX
		     ? KW_OK
		     : KW_E_INTEGRITY;
	if (rc != KW_OK)
		return rc;
	v = realloc(a->ca->revoked, (a->ca->info.revoked + 1) * sizeof(*v));
	if (v == NULL)
		return KW_E_NOMEM;
	a->ca->revoked = v;
	memset(&v[a->ca->info.revoked], 0, sizeof(*v));
	memcpy(v[a->ca->info.revoked].serial, serial, n);
	v[a->ca->info.revoked].serial_len = n;
	v[a->ca->info.revoked].at = kw_pki_now(p);
	v[a->ca->info.revoked].reason = a->reason;
	a->ca->info.revoked++;
	a->cert->status = KW_CERT_REVOKED;
	a->cert->revoked_at = v[a->ca->info.revoked - 1].at;
	a->cert->reason = a->reason;
	rc = kw_pki_crl_sign(p, a->ca);
	if (rc == KW_E_STATE || rc == KW_E_DENIED)
		return kw_pki_fail(a->err, a->err_len, KW_E_STATE,
				   "the key of CA %s cannot sign the CRL now",
				   a->ca->info.name);
	if (rc == KW_OK)
		rc = kw_pki_ca_save(p, t, a->ca);
	if (rc == KW_OK)
		rc = kw_pki_cert_save(p, t, a->cert);
	return rc;
}

kw_rc kw_cert_revoke(kw_pki *p, const char *partition, const char *serial_or_id,
		     unsigned reason, kw_cert_info **out, char *err,
		     size_t err_len)
{
	revoke_arg a = {partition, serial_or_id, reason, err,
			err_len,   NULL,	 NULL};
	kw_rc rc;

	if (p == NULL || partition == NULL || serial_or_id == NULL)
		return KW_E_INVALID;
	if (reason > 10 || reason == 7 || reason == 8)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "reason must be an RFC 5280 code: 0-6, 9 "
				   "or 10 (removeFromCRL is not supported)");
	pthread_mutex_lock(&p->crl_lock);
	rc = kw_pki_write(p, revoke_fn, &a);
	pthread_mutex_unlock(&p->crl_lock);
	if (rc == KW_OK) {
		kw_pki_crl_write(p, a.ca);
		if (out != NULL) {
			*out = a.cert;
			a.cert = NULL;
		}
	}
	kw_cert_info_free(a.cert);
	kw_pki_ca_rec_free(a.ca);
	return rc;
}

/* ---- the current CRL ------------------------------------------------------------ */

/* Past half its validity (or none yet): time for a new one. */
static bool crl_due(const kw_pki *p, const kw_ca_rec *r)
{
	int64_t half = (r->info.crl_next_update - r->crl_this_update) / 2;
	return r->crl == NULL || kw_pki_now(p) >= r->crl_this_update + half;
}

typedef struct crl_arg {
	const char *partition, *name;
	bool by_id;
	bool resign;
	bool signed_now;
	kw_ca_rec *ca;
} crl_arg;

static kw_rc crl_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	crl_arg *a = arg;
	kw_rc rc;

	kw_pki_ca_rec_free(a->ca);
	a->ca = NULL;
	a->signed_now = false;
	rc = kw_pki_ca_load(p, t, a->partition, a->name, a->by_id, &a->ca);
	if (rc != KW_OK || !a->resign || !crl_due(p, a->ca))
		return rc;
	rc = kw_pki_crl_sign(p, a->ca);
	if (rc == KW_E_DENIED)
		rc = KW_E_STATE;
	if (rc == KW_OK)
		rc = kw_pki_ca_save(p, t, a->ca);
	a->signed_now = rc == KW_OK;
	return rc;
}

/* The CA's CRL, re-signed first if it is due. */
static kw_rc crl_current(kw_pki *p, crl_arg *a)
{
	kw_rc rc = kw_pki_read(p, crl_fn, a);

	if (rc == KW_OK && crl_due(p, a->ca)) {
		a->resign = true;
		pthread_mutex_lock(&p->crl_lock);
		rc = kw_pki_write(p, crl_fn, a);
		pthread_mutex_unlock(&p->crl_lock);
		if (rc == KW_OK && a->signed_now)
			kw_pki_crl_write(p, a->ca);
	}
	return rc;
}

kw_rc kw_ca_crl(kw_pki *p, const char *partition, const char *name,
		uint8_t **out, size_t *out_len, uint64_t *out_number)
{
	crl_arg a = {partition, name, false, false, false, NULL};
	kw_rc rc;

	if (p == NULL || partition == NULL || name == NULL || out == NULL ||
	    out_len == NULL)
		return KW_E_INVALID;
	rc = crl_current(p, &a);
	if (rc == KW_OK && a.ca->crl == NULL)
		rc = KW_E_STATE;
	if (rc == KW_OK) {
		*out = a.ca->crl;
		*out_len = a.ca->crl_len;
		if (out_number != NULL)
			*out_number = a.ca->info.crl_number;
		a.ca->crl = NULL;
	}
	kw_pki_ca_rec_free(a.ca);
	return rc;
}

/* ---- housekeeping --------------------------------------------------------------- */

typedef struct tick_arg {
	char (*ids)[KW_STORE_ID_MAX + 1];
	char (*parts)[KW_NAME_MAX + 1];
	size_t n;
} tick_arg;

static kw_rc tick_cb(const char *id, uint64_t version, const uint8_t *data,
		     size_t len, void *arg)
{
	tick_arg *a = arg;
	kw_ca_rec *r = NULL;
	kw_rc rc;

	(void)version;
	if (strncmp(id, "ca-", 3) != 0)
		return KW_OK; /* a TSA record */
	rc = kw_pki_ca_decode(data, len, &r);
	if (rc == KW_OK) {
		void *ni = realloc(a->ids, (a->n + 1) * sizeof(*a->ids));
		void *np = ni != NULL ? realloc(a->parts,
						(a->n + 1) * sizeof(*a->parts))
				      : NULL;
		if (ni != NULL)
			a->ids = ni;
		if (np != NULL)
			a->parts = np;
		rc = ni != NULL && np != NULL ? KW_OK : KW_E_NOMEM;
	}
	if (rc == KW_OK) {
		snprintf(a->ids[a->n], sizeof(a->ids[0]), "%s", id);
		snprintf(a->parts[a->n], sizeof(a->parts[0]), "%s",
			 r->info.partition);
		a->n++;
	}
	kw_pki_ca_rec_free(r);
	return rc;
}

static kw_rc tick_list(kw_pki *p, kw_store_txn *t, void *arg)
{
	return kw_barrier_rec_list(p->b, t, KW_REC_CA, NULL, NULL, 0, tick_cb,
				   arg);
}

kw_rc kw_pki_tick(kw_pki *p, size_t *out_count)
{
	tick_arg all = {NULL, NULL, 0};
	size_t count = 0;
	kw_rc rc, first = KW_OK;

	if (p == NULL)
		return KW_E_INVALID;
	rc = kw_pki_read(p, tick_list, &all);
	for (size_t i = 0; rc == KW_OK && i < all.n; i++) {
		crl_arg a = {all.parts[i], all.ids[i], true,
			     false,	   false,      NULL};
		kw_rc one = crl_current(p, &a);
		if (one == KW_OK) {
			count += a.signed_now ? 1 : 0;
			/* a file lost or left behind by another node */
			kw_pki_crl_write(p, a.ca);
		} else if (first == KW_OK) {
			first = one;
			KW_LOG_WARN("cannot renew the CRL of CA %s: %s",
				    all.ids[i], kw_rc_str(one));
		}
		kw_pki_ca_rec_free(a.ca);
	}
	free(all.ids);
	free(all.parts);
	if (out_count != NULL)
		*out_count = count;
	return rc != KW_OK ? rc : first;
}
