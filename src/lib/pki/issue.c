/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pki"

/* Issuance of leaf certificates under a CA's profile rules, and the
 * certificate inventory. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywarden/log.h"
#include "pki/internal.h"

#define DAY	 86400
#define LIST_MAX 1000

/* The issuing CA and its ancestors, the CA first. */
typedef struct chain {
	const char *partition, *ca;
	kw_ca_rec *r[KW_PKI_CHAIN_MAX];
	size_t n;
} chain;

static kw_rc chain_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	chain *c = arg;
	return kw_pki_ca_chain_load(p, t, c->partition, c->ca, c->r, &c->n);
}

/* The names a certificate will carry: overrides, else the request's. */
static kw_rc names_of(const kw_issue_req *r, const kw_csr *csr, kw_dn *dn,
		      kw_san *sans, size_t *n_sans, char *err, size_t err_len)
{
	kw_rc rc = KW_OK;

	if (r->subject != NULL)
		rc = kw_pki_dn_parse(r->subject, dn, err, err_len);
	else if (csr != NULL)
		*dn = csr->subject;
	if (rc != KW_OK)
		return rc;
	if (r->sans_set && r->n_sans > KW_SANS_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "more than %d names", KW_SANS_MAX);
	*n_sans = 0;
	for (size_t i = 0; r->sans_set && i < r->n_sans; i++) {
		char why[128] = "";
		rc = kw_pki_san_parse(r->sans[i], false, &sans[i], why,
				      sizeof(why));
		if (rc != KW_OK)
			return kw_pki_fail(err, err_len, rc, "sans[%zu]: %s", i,
					   why);
		(*n_sans)++;
	}
	for (size_t i = 0; !r->sans_set && csr != NULL && i < csr->n_sans;
	     i++) {
		/* the request's names go through the same parser, so the
		 * same rules apply to them (case, wildcards, addresses) */
		char text[KW_PKI_NAME_MAX + 8], why[128] = "";
		kw_pki_san_format(&csr->sans[i], text, sizeof(text));
		rc = kw_pki_san_parse(text, false, &sans[i], why, sizeof(why));
		if (rc != KW_OK)
			return kw_pki_fail(err, err_len, rc,
					   "the request's name %.100s: %s",
					   text, why);
		(*n_sans)++;
	}
	return KW_OK;
}

/* not_after under the rules (see kw_cert_issue). */
static kw_rc validity(const kw_ca_rec *ca, kw_profile prof, uint32_t days,
		      int64_t now, int64_t *out, char *err, size_t err_len)
{
	uint32_t max = kw_profile_max_days(prof, &ca->info.profiles[prof]);

	if (now >= ca->info.not_after)
		return kw_pki_fail(err, err_len, KW_E_STATE,
				   "CA %s has expired", ca->info.name);
	if (days > max)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "a validity of %u days is over the %s "
				   "profile's maximum of %u days at CA %s",
				   days, kw_profile_name(prof), max,
				   ca->info.name);
	if (days == 0) {
		*out = now + (int64_t)max * DAY;
		if (*out > ca->info.not_after)
			*out = ca->info.not_after;
		return KW_OK;
	}
	*out = now + (int64_t)days * DAY;
	if (*out > ca->info.not_after)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "a validity of %u days ends after CA %s "
				   "expires",
				   days, ca->info.name);
	return KW_OK;
}

/* The inventory record of a certificate just signed. */
static kw_rc record_of(const kw_issue_req *r, const kw_ca_rec *ca,
		       const kw_x509_tbs *t, const kw_key_info *key,
		       uint8_t *der, size_t der_len, int64_t now,
		       kw_cert_info *c)
{
	size_t room = (size_t)t->n_sans * (KW_PKI_NAME_MAX + 1) + 1, o = 0;

	kw_pki_serial_hex(t->serial, t->serial_len, c->serial);
	snprintf(c->id, sizeof(c->id), "x-%s", c->serial);
	snprintf(c->partition, sizeof(c->partition), "%s", r->partition);
	snprintf(c->ca, sizeof(c->ca), "%s", ca->info.name);
	snprintf(c->ca_id, sizeof(c->ca_id), "%s", ca->info.id);
	c->profile = r->profile;
	kw_pki_dn_format(t->subject, c->subject, sizeof(c->subject));
	c->not_before = t->not_before;
	c->not_after = t->not_after;
	c->created = now;
	c->status = KW_CERT_VALID;
	if (key != NULL) {
		snprintf(c->key, sizeof(c->key), "%s", key->name);
		snprintf(c->key_id, sizeof(c->key_id), "%s", key->id);
	}
	snprintf(c->issued_by, sizeof(c->issued_by), "%s",
		 r->issued_by != NULL ? r->issued_by : "");
	c->sans = calloc(1, room);
	if (c->sans == NULL)
		return KW_E_NOMEM;
	for (size_t i = 0; i < t->n_sans; i++) {
		if (i > 0)
			c->sans[o++] = ',';
		kw_pki_san_format(&t->sans[i], c->sans + o, room - o);
		o += strlen(c->sans + o);
	}
	c->der = der;
	c->der_len = der_len;
	return KW_OK;
}

static kw_rc save_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	kw_cert_info *c = arg;
	c->record_version = 0;
	return kw_pki_cert_save(p, t, c);
}

/* The subject key: its SubjectPublicKeyInfo and type, from the request or
 * the keywarden key. */
static kw_rc subject_key(kw_pki *p, const kw_issue_req *r, kw_csr **csr,
			 uint8_t **spki, size_t *spki_len, kw_key_type *type,
			 kw_key_info **key, char *err, size_t err_len)
{
	kw_rc rc;

	if (r->csr != NULL) {
		rc = kw_csr_parse(r->csr, r->csr_len, csr);
		if (rc == KW_E_VERIFY)
			return kw_pki_fail(err, err_len, rc,
					   "the request's signature does not "
					   "verify (no proof of possession)");
		if (rc == KW_E_UNSUPPORTED)
			return kw_pki_fail(
				err, err_len, rc,
				"the request's key is not RSA "
				"2048/3072/4096, ECDSA P-256/384/521 "
				"or Ed25519");
		if (rc != KW_OK)
			return kw_pki_fail(err, err_len, KW_E_INVALID,
					   "not a certificate request");
		*type = (*csr)->key_type;
		*spki = malloc((*csr)->spki_len);
		if (*spki == NULL)
			return KW_E_NOMEM;
		memcpy(*spki, (*csr)->spki, (*csr)->spki_len);
		*spki_len = (*csr)->spki_len;
		return KW_OK;
	}
	rc = kw_pki_key_spki(p, r->partition, r->key, spki, spki_len, key);
	if (rc == KW_E_NOT_FOUND)
		return kw_pki_fail(err, err_len, rc, "no key %s", r->key);
	if (rc == KW_E_UNSUPPORTED)
		return kw_pki_fail(err, err_len, rc, "key %s is not a key pair",
				   r->key);
	if (rc == KW_OK)
		*type = (*key)->type;
	return rc;
}

kw_rc kw_cert_issue(kw_pki *p, const kw_issue_req *r, kw_cert_info **out,
		    char *err, size_t err_len)
{
	chain ch = {r != NULL ? r->partition : NULL,
		    r != NULL ? r->ca : NULL,
		    {NULL},
		    0};
	kw_csr *csr = NULL;
	kw_key_info *key = NULL;
	kw_dn *dn = calloc(1, sizeof(*dn));
	kw_san *sans = calloc(KW_SANS_MAX + 1, sizeof(*sans));
	kw_cert_info *c = calloc(1, sizeof(*c));
	uint8_t *spki = NULL, *der = NULL;
	size_t spki_len = 0, der_len = 0, n_sans = 0;
	kw_x509_tbs t = {.serial_len = 16, .path_len = -1};
	kw_pki_key_ref ref;
	kw_x509_signer s;
	kw_pki_ask ask;
	int64_t now = kw_pki_now(p);
	kw_rc rc = KW_E_NOMEM;

	if (dn == NULL || sans == NULL || c == NULL)
		goto out;
	rc = KW_E_INVALID;
	if (r == NULL || out == NULL || r->partition == NULL || r->ca == NULL ||
	    (r->csr == NULL) == (r->key == NULL) ||
	    (r->key != NULL && r->subject == NULL) ||
	    r->profile <= KW_PROFILE_NONE || r->profile >= KW_PROFILE_CA)
		goto out;
	rc = kw_pki_read(p, chain_fn, &ch);
	if (rc == KW_E_NOT_FOUND)
		kw_pki_fail(err, err_len, rc, "no CA %.64s", r->ca);
	if (rc == KW_OK)
		rc = subject_key(p, r, &csr, &spki, &spki_len, &ask.key_type,
				 &key, err, err_len);
	if (rc == KW_OK)
		rc = names_of(r, csr, dn, sans, &n_sans, err, err_len);
	if (rc == KW_OK)
		rc = validity(ch.r[0], r->profile, r->days, now, &t.not_after,
			      err, err_len);
	if (rc != KW_OK)
		goto out;
	ask.profile = r->profile;
	ask.subject = dn;
	ask.csr = csr;
	ask.odd_names = csr != NULL && csr->unrepresentable &&
			!(r->subject != NULL && r->sans_set);
	t.subject = dn;
	t.spki = spki;
	t.spki_len = spki_len;
	t.not_before = now;
	t.crl_url =
		ch.r[0]->info.crl_url[0] != '\0' ? ch.r[0]->info.crl_url : NULL;
	rc = kw_pki_profile_apply((const kw_ca_rec *const *)ch.r, ch.n, &ask,
				  sans, &n_sans, &t, err, err_len);
	if (rc != KW_OK)
		goto out;
	t.sans = sans;
	t.n_sans = n_sans;
	rc = kw_pki_serial_new(t.serial);
	if (rc != KW_OK)
		goto out;
	ref = (kw_pki_key_ref){p, r->partition, ch.r[0]->info.key_id};
	s = (kw_x509_signer){ch.r[0]->info.key_type, ch.r[0]->info.cert,
			     ch.r[0]->info.cert_len, kw_pki_sign_cb, &ref};
	rc = kw_x509_cert_sign(&t, &s, &der, &der_len);
	if (rc == KW_E_STATE || rc == KW_E_DENIED)
		kw_pki_fail(err, err_len, KW_E_STATE,
			    "the key of CA %s cannot sign now (its state or "
			    "usages)",
			    ch.r[0]->info.name);
	if (rc == KW_E_DENIED)
		rc = KW_E_STATE;
	if (rc != KW_OK)
		goto out;
	rc = record_of(r, ch.r[0], &t, key, der, der_len, now, c);
	if (rc != KW_OK)
		goto out;
	der = NULL;
	rc = kw_pki_write(p, save_fn, c);
	if (rc == KW_OK)
		rc = kw_pki_cert_info_copy(c, out);
out:
	free(der);
	free(spki);
	kw_csr_free(csr);
	kw_key_info_free(key);
	kw_cert_info_free(c);
	kw_pki_ca_chain_free(ch.r, ch.n);
	free(dn);
	free(sans);
	return rc;
}

/* ---- the inventory ---------------------------------------------------------- */

typedef struct get_arg {
	const char *partition, *serial;
	kw_cert_info *c;
} get_arg;

static kw_rc get_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	get_arg *a = arg;
	return kw_pki_cert_load(p, t, a->partition, a->serial, &a->c);
}

kw_rc kw_cert_get(kw_pki *p, const char *partition, const char *serial_or_id,
		  kw_cert_info **out)
{
	get_arg a = {partition, serial_or_id, NULL};
	kw_rc rc;

	if (p == NULL || partition == NULL || serial_or_id == NULL ||
	    out == NULL)
		return KW_E_INVALID;
	rc = kw_pki_read(p, get_fn, &a);
	if (rc == KW_OK)
		*out = a.c;
	return rc;
}

typedef struct list_arg {
	const char *partition;
	const kw_cert_filter *f;
	const char *after;
	size_t limit;
	kw_cert_info **v;
	size_t n;
	char *next;
} list_arg;

static bool matches(const kw_cert_filter *f, const kw_cert_info *c)
{
	return f == NULL ||
	       ((f->ca == NULL || strcmp(f->ca, c->ca) == 0) &&
		(f->profile == KW_PROFILE_NONE || f->profile == c->profile) &&
		(f->key == NULL || strcmp(f->key, c->key) == 0 ||
		 strcmp(f->key, c->key_id) == 0) &&
		(f->status == 0 || f->status == (int)c->status));
}

static kw_rc list_cb(const char *id, uint64_t version, const uint8_t *data,
		     size_t len, void *arg)
{
	list_arg *a = arg;
	kw_cert_info *c = NULL;
	kw_rc rc = kw_pki_cert_decode(data, len, &c);

	if (rc == KW_OK && strcmp(c->partition, a->partition) != 0)
		rc = KW_E_INTEGRITY;
	if (rc == KW_OK && matches(a->f, c)) {
		if (a->n == a->limit) {
			/* one more match: this page is full */
			a->next = strdup(a->v[a->n - 1]->id);
			rc = a->next != NULL ? KW_E_LIMIT : KW_E_NOMEM;
		} else {
			c->record_version = version;
			a->v[a->n++] = c;
			c = NULL;
		}
	}
	(void)id;
	kw_cert_info_free(c);
	return rc;
}

static kw_rc list_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	list_arg *a = arg;
	char group[KW_NAME_MAX + 8];
	kw_rc rc;

	kw_pki_cert_group(a->partition, group, sizeof(group));
	rc = kw_barrier_rec_list(p->b, t, KW_REC_CERT, group, a->after, 0,
				 list_cb, a);
	return rc == KW_E_LIMIT ? KW_OK : rc;
}

kw_rc kw_cert_list(kw_pki *p, const char *partition, const kw_cert_filter *f,
		   const char *cursor, size_t limit, kw_cert_info ***out,
		   size_t *out_n, char **out_next)
{
	list_arg a = {partition, f, cursor, limit, NULL, 0, NULL};
	kw_rc rc;

	if (p == NULL || partition == NULL || out == NULL || out_n == NULL ||
	    out_next == NULL || limit == 0 || limit > LIST_MAX)
		return KW_E_INVALID;
	a.v = calloc(limit, sizeof(*a.v));
	if (a.v == NULL)
		return KW_E_NOMEM;
	rc = kw_pki_read(p, list_fn, &a);
	if (rc == KW_OK) {
		*out = a.v;
		*out_n = a.n;
		*out_next = a.next; /* set only when another match exists */
		a.v = NULL;
		a.n = 0;
		a.next = NULL;
	}
	kw_cert_list_free(a.v, a.n, a.next);
	return rc;
}

void kw_cert_list_free(kw_cert_info **list, size_t n, char *next)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		kw_cert_info_free(list[i]);
	free(list);
	free(next);
}
