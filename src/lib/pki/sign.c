/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pki"

/* Signatures over content the daemon never sees: detached CMS for code
 * signing (the client sends the digest) and RFC 3161 time stamps. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "pki/internal.h"

#define CHAIN_PEM_MAX 16
/* keywarden's TSA policy when none is set: an OID under 2.25 (a UUID,
 * ITU-T X.667), so it needs no registration. */
#define TSA_POLICY_DEFAULT "2.25.30389122980416619309039621274671590957"

/* The signer's certificate and the chain to include. */
typedef struct signer_certs {
	uint8_t **pem_certs; /* from PEM: [0] the signer's */
	size_t *pem_lens, n_pem;
	kw_cert_info *inv; /* from the inventory */
	uint8_t **chain;   /* its CA chain */
	size_t *chain_lens, n_chain;
	kw_blob *blobs; /* what goes into the SignedData besides [0] */
	size_t n_blobs;
	const uint8_t *der; /* the signer's certificate */
	size_t der_len;
} signer_certs;

static void certs_free(signer_certs *s)
{
	kw_blobs_free(s->pem_certs, s->pem_lens, s->n_pem);
	kw_cert_info_free(s->inv);
	kw_ca_chain_free(s->chain, s->chain_lens, s->n_chain);
	free(s->blobs);
	memset(s, 0, sizeof(*s));
}

/* An inventory certificate that is valid now, with its CA chain. */
static kw_rc certs_inventory(kw_pki *p, const char *partition,
			     const char *serial, signer_certs *s, char *err,
			     size_t err_len)
{
	int64_t now = kw_pki_now(p);
	kw_rc rc = kw_cert_get(p, partition, serial, &s->inv);

	if (rc == KW_E_NOT_FOUND)
		return kw_pki_fail(err, err_len, rc, "no certificate %.48s",
				   serial);
	if (rc != KW_OK)
		return rc;
	if (s->inv->status == KW_CERT_REVOKED)
		return kw_pki_fail(err, err_len, KW_E_STATE,
				   "certificate %s is revoked", s->inv->serial);
	if (now < s->inv->not_before || now >= s->inv->not_after)
		return kw_pki_fail(err, err_len, KW_E_STATE,
				   "certificate %s is not valid now",
				   s->inv->serial);
	rc = kw_ca_chain(p, partition, s->inv->ca, &s->chain, &s->chain_lens,
			 &s->n_chain);
	if (rc != KW_OK)
		return rc == KW_E_NOT_FOUND ? KW_E_INTEGRITY : rc;
	s->blobs = calloc(s->n_chain + 1, sizeof(*s->blobs));
	if (s->blobs == NULL)
		return KW_E_NOMEM;
	for (size_t i = 0; i < s->n_chain; i++)
		s->blobs[s->n_blobs++] =
			(kw_blob){s->chain[i], s->chain_lens[i]};
	s->der = s->inv->der;
	s->der_len = s->inv->der_len;
	return KW_OK;
}

/* Certificates given as PEM: the first is the signer's. */
static kw_rc certs_pem(const char *pem, size_t len, signer_certs *s, char *err,
		       size_t err_len)
{
	kw_rc rc = kw_pem_certs(pem, len, CHAIN_PEM_MAX, &s->pem_certs,
				&s->pem_lens, &s->n_pem);

	if (rc != KW_OK)
		return kw_pki_fail(
			err, err_len, rc == KW_E_LIMIT ? KW_E_INVALID : rc,
			"cert_pem: %s certificates",
			rc == KW_E_LIMIT ? "too many" : "no or malformed");
	s->blobs = calloc(s->n_pem, sizeof(*s->blobs));
	if (s->blobs == NULL)
		return KW_E_NOMEM;
	for (size_t i = 1; i < s->n_pem; i++)
		s->blobs[s->n_blobs++] =
			(kw_blob){s->pem_certs[i], s->pem_lens[i]};
	s->der = s->pem_certs[0];
	s->der_len = s->pem_lens[0];
	return KW_OK;
}

/* The signer's certificate must be the key's, valid now, and for eku. */
static kw_rc cert_fits(kw_pki *p, const signer_certs *s, const uint8_t *spki,
		       size_t spki_len, uint32_t eku, char *err, size_t err_len)
{
	kw_x509_info *i = NULL;
	int64_t now = kw_pki_now(p);
	kw_rc rc = kw_x509_info_parse(s->der, s->der_len, &i);

	if (rc != KW_OK)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "the signer's certificate does not parse "
				   "or holds a key of another type");
	if (i->spki_len != spki_len || memcmp(i->spki, spki, spki_len) != 0)
		rc = kw_pki_fail(err, err_len, KW_E_INVALID,
				 "the certificate is not the key's (another "
				 "public key)");
	else if ((i->eku & eku) == 0)
		rc = kw_pki_fail(err, err_len, KW_E_INVALID,
				 "the certificate's extended key usage does "
				 "not allow %s",
				 kw_eku_name(eku));
	else if (now < i->not_before || now >= i->not_after)
		rc = kw_pki_fail(err, err_len, KW_E_INVALID,
				 "the certificate is not valid now");
	kw_x509_info_free(i);
	return rc;
}

kw_rc kw_codesign(kw_pki *p, const kw_codesign_req *r, uint8_t **out,
		  size_t *out_len, char *out_cert_serial, char *err,
		  size_t err_len)
{
	signer_certs sc;
	kw_key_info *key = NULL;
	uint8_t *spki = NULL;
	size_t spki_len = 0;
	kw_x509_info *ci = NULL;
	kw_rc rc = KW_E_INVALID;

	memset(&sc, 0, sizeof(sc));
	if (p == NULL || r == NULL || r->partition == NULL || r->key == NULL ||
	    out == NULL || out_len == NULL || r->digest == NULL ||
	    (r->cert == NULL) == (r->cert_pem == NULL))
		goto out;
	if (r->hash != KW_HASH_SHA256 && r->hash != KW_HASH_SHA384 &&
	    r->hash != KW_HASH_SHA512) {
		rc = kw_pki_fail(err, err_len, KW_E_UNSUPPORTED,
				 "the digest must be SHA-256, SHA-384 or "
				 "SHA-512");
		goto out;
	}
	if (r->digest_len != kw_hash_size(r->hash)) {
		rc = kw_pki_fail(err, err_len, KW_E_INVALID,
				 "a %s digest is %zu bytes",
				 kw_hash_name(r->hash), kw_hash_size(r->hash));
		goto out;
	}
	rc = kw_pki_key_spki(p, r->partition, r->key, &spki, &spki_len, &key);
	if (rc == KW_E_UNSUPPORTED ||
	    (rc == KW_OK && key->type == KW_KEY_ED25519)) {
		rc = kw_pki_fail(err, err_len, KW_E_UNSUPPORTED,
				 "code signing takes RSA or ECDSA keys (no "
				 "Ed25519 CMS in OpenSSL 3.0)");
		goto out;
	}
	if (rc != KW_OK)
		goto out;
	rc = r->cert != NULL ? certs_inventory(p, r->partition, r->cert, &sc,
					       err, err_len)
			     : certs_pem(r->cert_pem, r->cert_pem_len, &sc, err,
					 err_len);
	if (rc == KW_OK)
		rc = cert_fits(p, &sc, spki, spki_len, KW_EKU_CODE_SIGNING, err,
			       err_len);
	if (rc != KW_OK)
		goto out;
	kw_pki_key_ref ref = {p, r->partition, key->id};
	kw_x509_signer s = {key->type, sc.der, sc.der_len, kw_pki_sign_cb,
			    &ref};
	rc = kw_cms_sign_digest(&s, sc.blobs, sc.n_blobs, r->hash, r->digest,
				r->digest_len, kw_pki_now(p), out, out_len);
	if (rc == KW_E_STATE || rc == KW_E_DENIED)
		kw_pki_fail(err, err_len, rc,
			    "key %s cannot sign now (its state or usages)",
			    key->name);
	if (rc == KW_OK && out_cert_serial != NULL &&
	    kw_x509_info_parse(sc.der, sc.der_len, &ci) == KW_OK)
		kw_pki_serial_hex(ci->serial, ci->serial_len, out_cert_serial);
out:
	kw_x509_info_free(ci);
	certs_free(&sc);
	kw_key_info_free(key);
	free(spki);
	return rc;
}

/* ---- the time-stamping authority ------------------------------------------------ */

static void tsa_id(const char *partition, char *out, size_t size)
{
	snprintf(out, size, KW_PKI_TSA_PREFIX "%s", partition);
}

typedef struct tsa_arg {
	kw_tsa_info *t;
	bool write;
} tsa_arg;

static kw_rc tsa_fn(kw_pki *p, kw_store_txn *t, void *arg)
{
	tsa_arg *a = arg;
	char id[KW_STORE_ID_MAX + 1], group[KW_NAME_MAX + 8];
	kw_secret *data = NULL;
	uint64_t version = 0;
	kw_tsa_info old;
	kw_rc rc;

	tsa_id(a->t->partition, id, sizeof(id));
	rc = kw_barrier_rec_get(p->b, t, KW_REC_CA, id, &data, &version);
	if (rc == KW_OK)
		rc = kw_pki_tsa_decode(data->data, data->len, &old);
	kw_secret_free(data);
	data = NULL;
	if (rc == KW_OK && strcmp(old.partition, a->t->partition) != 0)
		rc = KW_E_INTEGRITY;
	if (!a->write) {
		if (rc == KW_OK) {
			*a->t = old;
			a->t->record_version = version;
		}
		return rc;
	}
	if (rc != KW_OK && rc != KW_E_NOT_FOUND)
		return rc;
	snprintf(group, sizeof(group), "tsa/%s", a->t->partition);
	rc = kw_pki_tsa_encode(a->t, &data);
	if (rc == KW_OK)
		rc = kw_barrier_rec_put(p->b, t, KW_REC_CA, id, group, NULL,
					data->data, data->len, version,
					&a->t->record_version);
	kw_secret_free(data);
	return rc;
}

static bool oid_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 3 && n <= KW_TSA_POLICY_MAX &&
	       (s[0] >= '0' && s[0] <= '2') && s[1] == '.' &&
	       strspn(s, "0123456789.") == n && strstr(s, "..") == NULL &&
	       s[n - 1] != '.';
}

kw_rc kw_tsa_set(kw_pki *p, const char *partition, const char *serial_or_id,
		 const char *policy, kw_tsa_info *out, char *err,
		 size_t err_len)
{
	kw_cert_info *c = NULL;
	kw_tsa_info t;
	tsa_arg a = {&t, true};
	int64_t now;
	kw_rc rc;

	if (p == NULL || partition == NULL || serial_or_id == NULL ||
	    out == NULL)
		return KW_E_INVALID;
	if (policy == NULL)
		policy = TSA_POLICY_DEFAULT;
	if (!oid_ok(policy))
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "policy must be a dotted OID");
	now = kw_pki_now(p);
	rc = kw_cert_get(p, partition, serial_or_id, &c);
	if (rc == KW_E_NOT_FOUND)
		kw_pki_fail(err, err_len, rc, "no certificate %.48s",
			    serial_or_id);
	else if (rc == KW_OK && c->profile != KW_PROFILE_TIME_STAMPING)
		rc = kw_pki_fail(err, err_len, KW_E_INVALID,
				 "certificate %s is not of the time-stamping "
				 "profile",
				 c->serial);
	else if (rc == KW_OK && c->key[0] == '\0')
		rc = kw_pki_fail(err, err_len, KW_E_INVALID,
				 "certificate %s was not issued for a "
				 "keywarden key",
				 c->serial);
	else if (rc == KW_OK && (c->status != KW_CERT_VALID ||
				 now >= c->not_after || now < c->not_before))
		rc = kw_pki_fail(err, err_len, KW_E_INVALID,
				 "certificate %s is revoked or not valid now",
				 c->serial);
	if (rc == KW_OK) {
		memset(&t, 0, sizeof(t));
		snprintf(t.partition, sizeof(t.partition), "%s", partition);
		snprintf(t.cert_id, sizeof(t.cert_id), "%s", c->id);
		snprintf(t.serial, sizeof(t.serial), "%s", c->serial);
		snprintf(t.key, sizeof(t.key), "%s", c->key_id);
		snprintf(t.policy, sizeof(t.policy), "%s", policy);
		t.updated = now;
		rc = kw_pki_write(p, tsa_fn, &a);
	}
	if (rc == KW_OK) {
		*out = t;
		snprintf(out->key, sizeof(out->key), "%s", c->key);
	}
	kw_cert_info_free(c);
	return rc;
}

kw_rc kw_tsa_get(kw_pki *p, const char *partition, kw_tsa_info *out)
{
	kw_tsa_info t;
	tsa_arg a = {&t, false};
	kw_cert_info *c = NULL;
	kw_rc rc;

	if (p == NULL || partition == NULL || out == NULL)
		return KW_E_INVALID;
	memset(&t, 0, sizeof(t));
	snprintf(t.partition, sizeof(t.partition), "%s", partition);
	rc = kw_pki_read(p, tsa_fn, &a);
	/* the record keeps the key's id; callers want its name */
	if (rc == KW_OK)
		rc = kw_cert_get(p, partition, t.cert_id, &c);
	if (rc == KW_E_NOT_FOUND && c == NULL && t.cert_id[0] != '\0')
		rc = KW_E_INTEGRITY;
	if (rc == KW_OK) {
		snprintf(t.key, sizeof(t.key), "%s", c->key);
		*out = t;
	}
	kw_cert_info_free(c);
	return rc;
}

/* A rejection response; the request was answered, so KW_OK. */
static kw_rc reject(kw_ts_fail f, const char *why, uint8_t **out,
		    size_t *out_len, kw_tsa_result *res)
{
	snprintf(res->reason, sizeof(res->reason), "%s", why);
	return kw_ts_resp_reject(f, why, out, out_len);
}

kw_rc kw_tsa_stamp(kw_pki *p, const char *partition, const uint8_t *req,
		   size_t req_len, uint8_t **out, size_t *out_len,
		   kw_tsa_result *res)
{
	signer_certs sc;
	kw_tsa_info tsa;
	kw_ts_req q;
	uint8_t serial[16];
	kw_rc rc;

	memset(&sc, 0, sizeof(sc));
	if (p == NULL || partition == NULL || out == NULL || out_len == NULL ||
	    res == NULL)
		return KW_E_INVALID;
	memset(res, 0, sizeof(*res));
	rc = kw_tsa_get(p, partition, &tsa);
	if (rc == KW_OK)
		rc = certs_inventory(p, partition, tsa.cert_id, &sc, NULL, 0);
	if (rc != KW_OK)
		goto out;
	rc = kw_ts_req_parse(req, req_len, &q);
	if (rc == KW_E_UNSUPPORTED) {
		rc = reject(KW_TS_BAD_ALG,
			    "unsupported hash (SHA-256/384/512 only) or "
			    "request extensions",
			    out, out_len, res);
		goto out;
	}
	if (rc != KW_OK) {
		rc = reject(KW_TS_BAD_DATA_FORMAT, "malformed request", out,
			    out_len, res);
		goto out;
	}
	if (q.policy[0] != '\0' && strcmp(q.policy, tsa.policy) != 0) {
		rc = reject(KW_TS_UNACCEPTED_POLICY,
			    "this TSA does not stamp under that policy", out,
			    out_len, res);
		goto out;
	}
	rc = kw_pki_serial_new(serial);
	if (rc != KW_OK)
		goto out;
	kw_pki_key_ref ref = {p, partition, sc.inv->key_id};
	kw_x509_signer s = {KW_KEY_NONE, sc.der, sc.der_len, kw_pki_sign_cb,
			    &ref};
	kw_x509_info *ci = NULL;
	rc = kw_x509_info_parse(sc.der, sc.der_len, &ci);
	if (rc == KW_OK) {
		s.type = ci->key_type;
		rc = kw_ts_resp_sign(&q, &s, sc.blobs, sc.n_blobs, tsa.policy,
				     serial, sizeof(serial), kw_pki_now(p), 1,
				     out, out_len);
	}
	kw_x509_info_free(ci);
	if (rc == KW_E_DENIED)
		rc = KW_E_STATE;
	if (rc == KW_OK) {
		res->granted = true;
		kw_pki_serial_hex(serial, sizeof(serial), res->serial);
	}
out:
	certs_free(&sc);
	return rc;
}
