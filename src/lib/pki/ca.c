/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pki"

/* Certificate authorities: creation (root and intermediate), reading,
 * chains and rule updates. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywarden/log.h"
#include "pki/internal.h"

#define CRL_DAYS_DEFAULT 7
#define CRL_DAYS_MAX	 366
#define DAY		 86400
#define DEPTH_MAX	 (KW_PKI_CHAIN_MAX - 1)

static bool name_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	return n >= 1 && n <= KW_NAME_MAX && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._-") == n;
}

/* Name constraints of the spec into kw_san (for the certificate) and
 * their canonical text (for the record). */
static kw_rc constraints(const char *const *in, size_t n, kw_san *out,
			 char (*text)[KW_PKI_NAME_MAX + 1], const char *what,
			 char *err, size_t err_len)
{
	if (n > KW_CA_CONSTRAINTS_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "more than %d %s name constraints",
				   KW_CA_CONSTRAINTS_MAX, what);
	for (size_t i = 0; i < n; i++) {
		char why[128] = "";
		if (kw_pki_san_parse(in[i], true, &out[i], why, sizeof(why)) !=
		    KW_OK)
			return kw_pki_fail(err, err_len, KW_E_INVALID,
					   "%s[%zu]: %s", what, i, why);
		kw_pki_san_format(&out[i], text[i], KW_PKI_NAME_MAX + 1);
	}
	return KW_OK;
}

/* Everything about the spec that needs no store. */
static kw_rc spec_check(const kw_ca_spec *s, kw_ca_rec *r, kw_dn *dn,
			kw_san *perm, kw_san *excl, char *err, size_t err_len)
{
	kw_ca_info *c = &r->info;
	kw_rc rc;

	if (!name_ok(s->partition) || !name_ok(s->name) || !name_ok(s->key))
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "partition, CA and key names are 1-%d of "
				   "A-Z a-z 0-9 . _ -",
				   KW_NAME_MAX);
	if (s->parent == NULL && s->key_type == KW_KEY_NONE)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "a root CA's key is created with it: give "
				   "its key type");
	if (s->parent != NULL && !name_ok(s->parent))
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "malformed parent CA name");
	if (s->days == 0 || s->days > KW_PKI_DAYS_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "days must be 1-%d", KW_PKI_DAYS_MAX);
	if (s->path_len < -1 || s->path_len > DEPTH_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "path_len must be 0-%d (or none)",
				   DEPTH_MAX);
	if (s->crl_days > CRL_DAYS_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "crl_days must be 1-%d", CRL_DAYS_MAX);
	rc = kw_pki_dn_parse(s->subject != NULL ? s->subject : "", dn, err,
			     err_len);
	if (rc == KW_OK && dn->n == 0)
		rc = kw_pki_fail(err, err_len, KW_E_INVALID,
				 "a CA needs a subject name");
	if (rc == KW_OK)
		rc = constraints(s->permitted, s->n_permitted, perm,
				 c->permitted, "permitted", err, err_len);
	if (rc == KW_OK)
		rc = constraints(s->excluded, s->n_excluded, excl, c->excluded,
				 "excluded", err, err_len);
	if (rc != KW_OK)
		return rc;
	c->n_permitted = s->n_permitted;
	c->n_excluded = s->n_excluded;
	if (s->crl_url != NULL) {
		kw_san u;
		char text[KW_PKI_NAME_MAX + 8];
		snprintf(text, sizeof(text), "URI:%s", s->crl_url);
		if (strlen(s->crl_url) > KW_SAN_VALUE_MAX ||
		    kw_pki_san_parse(text, false, &u, NULL, 0) != KW_OK)
			return kw_pki_fail(err, err_len, KW_E_INVALID,
					   "malformed crl_url");
		snprintf(c->crl_url, sizeof(c->crl_url), "%s", u.value);
	}
	for (int p = KW_PROFILE_TLS_SERVER; p < KW_PROFILE_CA; p++) {
		if (s->profiles == NULL) {
			kw_profile_rules_default((kw_profile)p,
						 &c->profiles[p]);
			continue;
		}
		rc = kw_pki_rules_valid((kw_profile)p, &s->profiles[p], err,
					err_len);
		if (rc != KW_OK)
			return rc;
		c->profiles[p] = s->profiles[p];
	}
	snprintf(c->partition, sizeof(c->partition), "%s", s->partition);
	snprintf(c->name, sizeof(c->name), "%s", s->name);
	snprintf(c->created_by, sizeof(c->created_by), "%s",
		 s->created_by != NULL ? s->created_by : "");
	if (!kw_pki_dn_format(dn, c->subject, sizeof(c->subject)))
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "the subject is too long");
	c->crl_days = s->crl_days != 0 ? s->crl_days : CRL_DAYS_DEFAULT;
	c->path_len = s->path_len;
	c->quorum = s->quorum;
	return KW_OK;
}

/* The parent's limits on the new CA: path length and validity. */
static kw_rc parent_check(const kw_ca_rec *parent, kw_ca_rec *r,
			  int64_t not_after, char *err, size_t err_len)
{
	kw_ca_info *c = &r->info;
	int plen = parent->info.path_len;

	if (plen == 0)
		return kw_pki_fail(err, err_len, KW_E_STATE,
				   "CA %s has path length 0: it may not "
				   "certify another CA",
				   parent->info.name);
	if (plen > 0 && c->path_len == -1)
		c->path_len = plen - 1;
	else if (plen > 0 && c->path_len > plen - 1)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "path_len %d is more than CA %s allows (%d)",
				   c->path_len, parent->info.name, plen - 1);
	if (not_after > parent->info.not_after)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "the validity ends after that of CA %s",
				   parent->info.name);
	if (parent->info.depth + 1 > DEPTH_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "the hierarchy is %d CAs deep at most",
				   DEPTH_MAX);
	snprintf(c->parent, sizeof(c->parent), "%s", parent->info.name);
	snprintf(c->parent_id, sizeof(c->parent_id), "%s", parent->info.id);
	c->depth = parent->info.depth + 1;
	return KW_OK;
}

typedef struct load_arg {
	const char *partition, *name;
	bool by_id;
	kw_ca_rec *rec;
} load_arg;

static kw_rc load_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	load_arg *a = arg;
	return kw_pki_ca_load(p, t, a->partition, a->name, a->by_id, &a->rec);
}

typedef struct save_arg {
	kw_ca_rec *ca;
	kw_cert_info *cert;
} save_arg;

static kw_rc save_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	save_arg *a = arg;
	kw_rc rc;

	a->ca->info.record_version = 0;
	a->cert->record_version = 0;
	rc = kw_pki_ca_save(p, t, a->ca);
	if (rc == KW_OK)
		rc = kw_pki_cert_save(p, t, a->cert);
	return rc;
}

/* The key of the new CA: created, or an existing one that can sign. */
static kw_rc ca_key(kw_pki *p, const kw_ca_spec *s, kw_key_info **out,
		    bool *created, char *err, size_t err_len)
{
	kw_key_spec ks = {
		.partition = s->partition,
		.name = s->key,
		.type = s->key_type,
		.usages = KW_USAGE_SIGN | KW_USAGE_VERIFY,
		.policy = s->key_policy,
	};
	kw_rc rc;

	if (s->key_type != KW_KEY_NONE) {
		if (kw_x509_sig_hash(s->key_type) == KW_HASH_NONE &&
		    s->key_type != KW_KEY_ED25519)
			return kw_pki_fail(err, err_len, KW_E_UNSUPPORTED,
					   "a CA key is RSA, ECDSA or "
					   "Ed25519");
		rc = kw_key_create(p->ks, &ks, out);
		*created = rc == KW_OK;
		if (rc == KW_E_EXISTS)
			kw_pki_fail(err, err_len, rc, "a key named %s exists",
				    s->key);
		return rc;
	}
	rc = kw_key_get(p->ks, s->partition, s->key, out);
	if (rc == KW_E_NOT_FOUND)
		kw_pki_fail(err, err_len, rc, "no key %s", s->key);
	else if (rc == KW_OK && !kw_key_type_is_asymmetric((*out)->type))
		rc = kw_pki_fail(err, err_len, KW_E_UNSUPPORTED,
				 "key %s cannot sign certificates", s->key);
	else if (rc == KW_OK && (*out)->state != KW_KEY_ACTIVE)
		rc = kw_pki_fail(err, err_len, KW_E_STATE,
				 "key %s is not active", s->key);
	else if (rc == KW_OK && !((*out)->usages & KW_USAGE_SIGN))
		rc = kw_pki_fail(err, err_len, KW_E_DENIED,
				 "key %s may not sign", s->key);
	if (rc != KW_OK && *out != NULL) {
		kw_key_info_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Signs the new CA's certificate and fills the records. */
static kw_rc ca_sign(kw_pki *p, const kw_ca_rec *parent, kw_ca_rec *r,
		     const kw_dn *dn, const kw_san *perm, const kw_san *excl,
		     const kw_key_info *key, int64_t now, int64_t not_after,
		     kw_cert_info *cert)
{
	kw_ca_info *c = &r->info;
	kw_name_constraints nc = {perm, c->n_permitted, excl, c->n_excluded};
	kw_x509_tbs t = {
		.serial_len = 16,
		.subject = dn,
		.not_before = now,
		.not_after = not_after,
		.ca = true,
		.path_len = c->path_len,
		.ku = KW_KU_DIGITAL_SIGNATURE | KW_KU_KEY_CERT_SIGN |
		      KW_KU_CRL_SIGN,
		.nc = c->n_permitted + c->n_excluded > 0 ? &nc : NULL,
		.crl_url = parent != NULL && parent->info.crl_url[0] != '\0'
				   ? parent->info.crl_url
				   : NULL,
	};
	kw_pki_key_ref ref = {p, c->partition,
			      parent != NULL ? parent->info.key_id : key->id};
	kw_x509_signer s = {
		.type = parent != NULL ? parent->info.key_type : key->type,
		.cert = parent != NULL ? parent->info.cert : NULL,
		.cert_len = parent != NULL ? parent->info.cert_len : 0,
		.sign = kw_pki_sign_cb,
		.arg = &ref,
	};
	kw_rc rc = kw_pki_serial_new(t.serial);

	if (rc == KW_OK)
		rc = kw_pki_key_spki(p, c->partition, key->id,
				     (uint8_t **)&t.spki, &t.spki_len, NULL);
	if (rc == KW_OK)
		rc = kw_x509_cert_sign(&t, &s, &c->cert, &c->cert_len);
	free((void *)t.spki);
	if (rc != KW_OK)
		return rc;
	snprintf(c->key, sizeof(c->key), "%s", key->name);
	snprintf(c->key_id, sizeof(c->key_id), "%s", key->id);
	c->key_type = key->type;
	kw_pki_serial_hex(t.serial, t.serial_len, c->serial);
	c->not_before = now;
	c->not_after = not_after;
	c->created = now;
	/* its inventory record: issued by the parent (a root by itself) */
	snprintf(cert->id, sizeof(cert->id), "x-%s", c->serial);
	snprintf(cert->serial, sizeof(cert->serial), "%s", c->serial);
	snprintf(cert->partition, sizeof(cert->partition), "%s", c->partition);
	snprintf(cert->ca, sizeof(cert->ca), "%s",
		 parent != NULL ? parent->info.name : c->name);
	snprintf(cert->ca_id, sizeof(cert->ca_id), "%s",
		 parent != NULL ? parent->info.id : c->id);
	cert->profile = KW_PROFILE_CA;
	snprintf(cert->subject, sizeof(cert->subject), "%s", c->subject);
	cert->not_before = now;
	cert->not_after = not_after;
	cert->created = now;
	cert->status = KW_CERT_VALID;
	snprintf(cert->key, sizeof(cert->key), "%s", key->name);
	snprintf(cert->key_id, sizeof(cert->key_id), "%s", key->id);
	snprintf(cert->issued_by, sizeof(cert->issued_by), "%s", c->created_by);
	cert->sans = strdup("");
	cert->der = malloc(c->cert_len);
	if (cert->sans == NULL || cert->der == NULL)
		return KW_E_NOMEM;
	memcpy(cert->der, c->cert, c->cert_len);
	cert->der_len = c->cert_len;
	return KW_OK;
}

kw_rc kw_ca_create(kw_pki *p, const kw_ca_spec *spec, kw_ca_info **out,
		   char *err, size_t err_len)
{
	kw_ca_rec *r = calloc(1, sizeof(*r));
	kw_cert_info *cert = calloc(1, sizeof(*cert));
	kw_dn *dn = calloc(1, sizeof(*dn));
	kw_san *perm = calloc(2 * KW_CA_CONSTRAINTS_MAX, sizeof(*perm));
	load_arg parent = {0}, exists = {0};
	kw_key_info *key = NULL;
	bool created = false;
	uint8_t rnd[16];
	int64_t now = kw_pki_now(p), not_after;
	kw_rc rc = KW_E_NOMEM;

	if (r == NULL || cert == NULL || dn == NULL || perm == NULL)
		goto out;
	rc = KW_E_INVALID;
	if (spec == NULL || out == NULL)
		goto out;
	rc = spec_check(spec, r, dn, perm, perm + KW_CA_CONSTRAINTS_MAX, err,
			err_len);
	if (rc != KW_OK)
		goto out;
	not_after = now + (int64_t)spec->days * DAY;
	exists = (load_arg){spec->partition, spec->name, false, NULL};
	rc = kw_pki_read(p, load_fn, &exists);
	if (rc == KW_OK) {
		rc = kw_pki_fail(err, err_len, KW_E_EXISTS,
				 "a CA named %s exists", spec->name);
		goto out;
	}
	if (rc != KW_E_NOT_FOUND)
		goto out;
	if (spec->parent != NULL) {
		parent = (load_arg){spec->partition, spec->parent, false, NULL};
		rc = kw_pki_read(p, load_fn, &parent);
		if (rc == KW_E_NOT_FOUND)
			kw_pki_fail(err, err_len, rc, "no CA %s", spec->parent);
		if (rc == KW_OK)
			rc = parent_check(parent.rec, r, not_after, err,
					  err_len);
		if (rc != KW_OK)
			goto out;
	}
	rc = kw_random(rnd, sizeof(rnd));
	if (rc != KW_OK)
		goto out;
	memcpy(r->info.id, "ca-", 3);
	kw_pki_serial_hex(rnd, sizeof(rnd), r->info.id + 3);
	rc = ca_key(p, spec, &key, &created, err, err_len);
	if (rc == KW_OK)
		rc = ca_sign(p, parent.rec, r, dn, perm,
			     perm + KW_CA_CONSTRAINTS_MAX, key, now, not_after,
			     cert);
	if (rc == KW_E_STATE)
		kw_pki_fail(err, err_len, rc,
			    "the signing key's state does not allow signing");
	if (rc == KW_OK)
		rc = kw_pki_crl_sign(p, r);
	if (rc == KW_OK) {
		save_arg sa = {r, cert};
		rc = kw_pki_write(p, save_fn, &sa);
		if (rc == KW_E_EXISTS)
			kw_pki_fail(err, err_len, rc, "a CA named %s exists",
				    spec->name);
	}
	if (rc == KW_OK) {
		kw_pki_crl_write(p, r);
		rc = kw_pki_ca_info_copy(&r->info, out);
	}
out:
	if (rc != KW_OK && created &&
	    kw_key_schedule_destroy(p->ks, spec->partition, key->id, 0, NULL) !=
		    KW_OK)
		KW_LOG_WARN("key %s, made for a CA that could not be created, "
			    "could not be destroyed",
			    key->name);
	kw_key_info_free(key);
	kw_pki_ca_rec_free(parent.rec);
	kw_pki_ca_rec_free(exists.rec);
	kw_pki_ca_rec_free(r);
	kw_cert_info_free(cert);
	free(dn);
	free(perm);
	return rc;
}

kw_rc kw_ca_get(kw_pki *p, const char *partition, const char *name,
		kw_ca_info **out)
{
	load_arg a = {partition, name, false, NULL};
	kw_rc rc;

	if (p == NULL || partition == NULL || name == NULL || out == NULL)
		return KW_E_INVALID;
	if (!name_ok(name))
		return KW_E_NOT_FOUND;
	rc = kw_pki_read(p, load_fn, &a);
	if (rc == KW_OK)
		rc = kw_pki_ca_info_copy(&a.rec->info, out);
	kw_pki_ca_rec_free(a.rec);
	return rc;
}

/* ---- lists and chains ------------------------------------------------------ */

typedef struct list_arg {
	const char *partition;
	kw_ca_info **v;
	size_t n;
} list_arg;

static kw_rc list_cb(const char *id, uint64_t version, const uint8_t *data,
		     size_t len, void *arg)
{
	list_arg *a = arg;
	kw_ca_rec *r = NULL;
	kw_ca_info **v;
	kw_rc rc = kw_pki_ca_decode(data, len, &r);

	(void)id;
	if (rc == KW_OK && strcmp(r->info.partition, a->partition) != 0)
		rc = KW_E_INTEGRITY; /* in the partition's group */
	if (rc == KW_OK) {
		r->info.record_version = version;
		v = realloc(a->v, (a->n + 1) * sizeof(*v));
		rc = v != NULL ? KW_OK : KW_E_NOMEM;
		if (v != NULL)
			a->v = v;
	}
	if (rc == KW_OK)
		rc = kw_pki_ca_info_copy(&r->info, &a->v[a->n]);
	if (rc == KW_OK)
		a->n++;
	kw_pki_ca_rec_free(r);
	return rc;
}

static kw_rc list_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	list_arg *a = arg;
	char group[KW_NAME_MAX + 8];

	kw_pki_ca_group(a->partition, group, sizeof(group));
	return kw_barrier_rec_list(p->b, t, KW_REC_CA, group, NULL, 0, list_cb,
				   a);
}

kw_rc kw_ca_list(kw_pki *p, const char *partition, kw_ca_info ***out,
		 size_t *out_n)
{
	list_arg a = {partition, NULL, 0};
	kw_rc rc;

	if (p == NULL || partition == NULL || out == NULL || out_n == NULL)
		return KW_E_INVALID;
	rc = kw_pki_read(p, list_fn, &a);
	if (rc == KW_OK) {
		*out = a.v;
		*out_n = a.n;
		a.v = NULL;
		a.n = 0;
	}
	kw_ca_list_free(a.v, a.n);
	return rc;
}

void kw_ca_list_free(kw_ca_info **list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		kw_ca_info_free(list[i]);
	free(list);
}

kw_rc kw_pki_ca_chain_load(kw_pki *p, kw_store_txn *t, const char *partition,
			   const char *name, kw_ca_rec **out, size_t *out_n)
{
	kw_rc rc = KW_OK;
	size_t n = 0;

	kw_pki_ca_chain_free(out, *out_n); /* from an earlier attempt */
	*out_n = 0;
	while (rc == KW_OK && n < KW_PKI_CHAIN_MAX) {
		const kw_ca_rec *last = n > 0 ? out[n - 1] : NULL;
		if (last != NULL && last->info.parent_id[0] == '\0') {
			*out_n = n;
			return KW_OK;
		}
		rc = kw_pki_ca_load(p, t, partition,
				    last == NULL ? name : last->info.parent_id,
				    last != NULL, &out[n]);
		if (rc == KW_OK)
			n++;
		else if (rc == KW_E_NOT_FOUND && last != NULL)
			rc = KW_E_INTEGRITY; /* a parent went missing */
	}
	kw_pki_ca_chain_free(out, n);
	return rc == KW_OK ? KW_E_INTEGRITY : rc;
}

void kw_pki_ca_chain_free(kw_ca_rec **r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		kw_pki_ca_rec_free(r[i]);
		r[i] = NULL;
	}
}

typedef struct chain_arg {
	const char *partition, *name;
	kw_ca_rec *r[KW_PKI_CHAIN_MAX];
	size_t n;
} chain_arg;

static kw_rc chain_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	chain_arg *a = arg;
	return kw_pki_ca_chain_load(p, t, a->partition, a->name, a->r, &a->n);
}

kw_rc kw_ca_chain(kw_pki *p, const char *partition, const char *name,
		  uint8_t ***out, size_t **out_lens, size_t *out_n)
{
	chain_arg a = {partition, name, {NULL}, 0};
	uint8_t **certs = NULL;
	size_t *lens = NULL;
	kw_rc rc;

	if (p == NULL || partition == NULL || name == NULL || out == NULL ||
	    out_lens == NULL || out_n == NULL)
		return KW_E_INVALID;
	if (!name_ok(name))
		return KW_E_NOT_FOUND;
	rc = kw_pki_read(p, chain_fn, &a);
	if (rc == KW_OK) {
		certs = calloc(a.n, sizeof(*certs));
		lens = calloc(a.n, sizeof(*lens));
		rc = certs != NULL && lens != NULL ? KW_OK : KW_E_NOMEM;
	}
	for (size_t i = 0; rc == KW_OK && i < a.n; i++) {
		certs[i] = a.r[i]->info.cert; /* moved out of the record */
		lens[i] = a.r[i]->info.cert_len;
		a.r[i]->info.cert = NULL;
	}
	if (rc == KW_OK) {
		*out = certs;
		*out_lens = lens;
		*out_n = a.n;
		certs = NULL;
		lens = NULL;
	}
	free(certs);
	free(lens);
	kw_pki_ca_chain_free(a.r, a.n);
	return rc;
}

void kw_ca_chain_free(uint8_t **certs, size_t *lens, size_t n)
{
	kw_blobs_free(certs, lens, n);
}

/* ---- rule updates ---------------------------------------------------------- */

typedef struct update_arg {
	const char *partition, *name;
	const kw_ca_update *u;
	kw_ca_info *out;
} update_arg;

static kw_rc update_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	update_arg *a = arg;
	kw_ca_rec *r = NULL;
	kw_rc rc = kw_pki_ca_load(p, t, a->partition, a->name, false, &r);

	kw_ca_info_free(a->out); /* from an attempt that lost a race */
	a->out = NULL;
	if (rc != KW_OK)
		return rc;
	for (int i = KW_PROFILE_TLS_SERVER;
	     a->u->profiles != NULL && i < KW_PROFILE_CA; i++)
		if (a->u->profiles_set == 0 || (a->u->profiles_set & (1u << i)))
			r->info.profiles[i] = a->u->profiles[i];
	if (a->u->crl_url != NULL)
		snprintf(r->info.crl_url, sizeof(r->info.crl_url), "%s",
			 a->u->crl_url);
	if (a->u->crl_days != 0)
		r->info.crl_days = a->u->crl_days;
	rc = kw_pki_ca_save(p, t, r);
	if (rc == KW_OK)
		rc = kw_pki_ca_info_copy(&r->info, &a->out);
	kw_pki_ca_rec_free(r);
	return rc;
}

kw_rc kw_ca_update_rules(kw_pki *p, const char *partition, const char *name,
			 const kw_ca_update *u, kw_ca_info **out, char *err,
			 size_t err_len)
{
	update_arg a = {partition, name, u, NULL};
	kw_ca_update v;
	char url[KW_SAN_VALUE_MAX + 1];
	kw_rc rc;

	if (p == NULL || partition == NULL || name == NULL || u == NULL ||
	    out == NULL)
		return KW_E_INVALID;
	if (u->profiles == NULL && u->crl_url == NULL && u->crl_days == 0)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "nothing to change");
	if (u->crl_days > CRL_DAYS_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "crl_days must be 1-%d", CRL_DAYS_MAX);
	for (int i = KW_PROFILE_TLS_SERVER;
	     u->profiles != NULL && i < KW_PROFILE_CA; i++) {
		if (u->profiles_set != 0 && !(u->profiles_set & (1u << i)))
			continue;
		rc = kw_pki_rules_valid((kw_profile)i, &u->profiles[i], err,
					err_len);
		if (rc != KW_OK)
			return rc;
	}
	v = *u;
	if (u->crl_url != NULL && u->crl_url[0] != '\0') {
		char text[KW_PKI_NAME_MAX + 8];
		kw_san s;
		snprintf(text, sizeof(text), "URI:%s", u->crl_url);
		if (strlen(u->crl_url) > KW_SAN_VALUE_MAX ||
		    kw_pki_san_parse(text, false, &s, NULL, 0) != KW_OK)
			return kw_pki_fail(err, err_len, KW_E_INVALID,
					   "malformed crl_url");
		snprintf(url, sizeof(url), "%s", s.value);
		v.crl_url = url;
	}
	a.u = &v;
	if (!name_ok(name))
		return KW_E_NOT_FOUND;
	rc = kw_pki_write(p, update_fn, &a);
	if (rc == KW_OK) {
		*out = a.out;
		a.out = NULL;
	}
	kw_ca_info_free(a.out);
	return rc;
}
