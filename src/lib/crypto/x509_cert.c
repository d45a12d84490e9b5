/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "crypto"

/* Certificates: the TBSCertificate assembled here, signed by the caller's
 * signer, parsed back and checked; reading certificates back. */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "crypto/internal.h"
#include "crypto/x509_int.h"
#include "keywarden/log.h"

kw_rc kw_spki_key_id(const uint8_t *spki, size_t len, uint8_t out[20])
{
	const unsigned char *p = spki;
	X509_PUBKEY *xpk = d2i_X509_PUBKEY(NULL, &p, (long)len);
	const unsigned char *bits = NULL;
	int bits_len = 0;
	unsigned int md_len = 0;
	kw_rc rc = KW_E_INVALID;

	if (xpk == NULL || p != spki + len ||
	    X509_PUBKEY_get0_param(NULL, &bits, &bits_len, NULL, xpk) != 1)
		goto out;
	rc = EVP_Digest(bits, (size_t)bits_len, out, &md_len,
			kw_md(KW_HASH_SHA1), NULL) == 1 &&
			     md_len == 20
		     ? KW_OK
		     : kw_ossl_fail("EVP_Digest");
out:
	X509_PUBKEY_free(xpk);
	ERR_clear_error();
	return rc;
}

kw_rc kw_signer_cert(const kw_x509_signer *s, X509 **out)
{
	const unsigned char *p = s->cert;
	X509 *x = NULL;

	if (s->cert == NULL) {
		*out = NULL;
		return KW_OK;
	}
	x = d2i_X509(NULL, &p, (long)s->cert_len);
	if (x == NULL || p != s->cert + s->cert_len) {
		X509_free(x);
		ERR_clear_error();
		return KW_E_INVALID;
	}
	*out = x;
	return KW_OK;
}

kw_rc kw_x509_sign_wrap(kw_der *d, const kw_x509_signer *s, const uint8_t *tbs,
			size_t tbs_len)
{
	kw_hash h = kw_x509_sig_hash(s->type);
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	kw_der body;
	kw_rc rc;

	kw_der_init(&body);
	kw_der_raw(&body, tbs, tbs_len);
	rc = kw_sig_alg(&body, s->type, h);
	if (rc != KW_OK)
		goto out;
	rc = s->sign(s->arg, h, tbs, tbs_len, &sig, &sig_len);
	if (rc != KW_OK)
		goto out;
	/* BIT STRING: no unused bits, then the signature */
	uint8_t zero = 0;
	kw_der bits;
	kw_der_init(&bits);
	kw_der_raw(&bits, &zero, 1);
	kw_der_raw(&bits, sig, sig_len);
	kw_der_wrap(&body, KW_DER_BIT_STRING, &bits);
	kw_der_wrap(d, KW_DER_SEQUENCE, &body);
	rc = d->err;
out:
	free(sig);
	kw_der_clear(&body);
	return rc;
}

/* ---- extensions ---------------------------------------------------------- */

/* Adds extension nid made from value (freed here with its free function
 * as OpenSSL's X509V3_EXT_i2d does not take it). */
static bool ext_add(STACK_OF(X509_EXTENSION) * exts, int nid, int crit,
		    void *value)
{
	X509_EXTENSION *e =
		value != NULL ? X509V3_EXT_i2d(nid, crit, value) : NULL;
	if (e == NULL || !sk_X509_EXTENSION_push(exts, e)) {
		X509_EXTENSION_free(e);
		return false;
	}
	return true;
}

static bool ext_basic(STACK_OF(X509_EXTENSION) * exts, const kw_x509_tbs *t)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	bool ok = bc != NULL;

	if (ok && t->ca) {
		bc->ca = 0xff;
		if (t->path_len >= 0) {
			bc->pathlen = ASN1_INTEGER_new();
			ok = bc->pathlen != NULL &&
			     ASN1_INTEGER_set(bc->pathlen, t->path_len) == 1;
		}
	}
	ok = ok && ext_add(exts, NID_basic_constraints, 1, bc);
	BASIC_CONSTRAINTS_free(bc);
	return ok;
}

static bool ext_ku(STACK_OF(X509_EXTENSION) * exts, uint32_t ku)
{
	ASN1_BIT_STRING *b = ASN1_BIT_STRING_new();
	bool ok = b != NULL;

	for (int i = 0; ok && i <= 8; i++)
		if (ku & (1u << i))
			ok = ASN1_BIT_STRING_set_bit(b, i, 1) == 1;
	ok = ok && ext_add(exts, NID_key_usage, 1, b);
	ASN1_BIT_STRING_free(b);
	return ok;
}

static bool ext_eku(STACK_OF(X509_EXTENSION) * exts, uint32_t eku, bool crit)
{
	static const int nids[] = {NID_server_auth, NID_client_auth,
				   NID_code_sign,   NID_email_protect,
				   NID_time_stamp,  NID_OCSP_sign};
	EXTENDED_KEY_USAGE *s = sk_ASN1_OBJECT_new_null();
	bool ok = s != NULL;

	for (size_t i = 0; ok && i < sizeof(nids) / sizeof(nids[0]); i++)
		if (eku & (1u << i))
			ok = sk_ASN1_OBJECT_push(s, OBJ_nid2obj(nids[i])) > 0;
	ok = ok && ext_add(exts, NID_ext_key_usage, crit ? 1 : 0, s);
	/* the objects are OpenSSL's static ones: free the stack only */
	sk_ASN1_OBJECT_free(s);
	return ok;
}

static bool ext_keyid(STACK_OF(X509_EXTENSION) * exts, bool authority,
		      const uint8_t id[20])
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	AUTHORITY_KEYID *akid = NULL;
	bool ok = os != NULL && ASN1_OCTET_STRING_set(os, id, 20) == 1;

	if (ok && authority) {
		akid = AUTHORITY_KEYID_new();
		ok = akid != NULL;
		if (ok) {
			akid->keyid = os;
			os = NULL;
		}
		ok = ok && ext_add(exts, NID_authority_key_identifier, 0, akid);
	} else if (ok) {
		ok = ext_add(exts, NID_subject_key_identifier, 0, os);
	}
	AUTHORITY_KEYID_free(akid);
	ASN1_OCTET_STRING_free(os);
	return ok;
}

static GENERAL_NAMES *gens_of(const kw_san *s, size_t n, bool subtree)
{
	GENERAL_NAMES *g = sk_GENERAL_NAME_new_null();

	for (size_t i = 0; g != NULL && i < n; i++) {
		GENERAL_NAME *one = kw_san_to_gen(&s[i], subtree);
		if (one == NULL || !sk_GENERAL_NAME_push(g, one)) {
			GENERAL_NAME_free(one);
			GENERAL_NAMES_free(g);
			g = NULL;
		}
	}
	return g;
}

static STACK_OF(GENERAL_SUBTREE) * subtrees_of(const kw_san *s, size_t n)
{
	STACK_OF(GENERAL_SUBTREE) *st = NULL;

	if (n == 0)
		return NULL;
	st = sk_GENERAL_SUBTREE_new_null();
	for (size_t i = 0; st != NULL && i < n; i++) {
		GENERAL_SUBTREE *t = GENERAL_SUBTREE_new();
		GENERAL_NAME *g = kw_san_to_gen(&s[i], true);
		if (t != NULL && g != NULL) {
			GENERAL_NAME_free(t->base);
			t->base = g;
			g = NULL;
		}
		if (t == NULL || g != NULL || !sk_GENERAL_SUBTREE_push(st, t)) {
			GENERAL_NAME_free(g);
			GENERAL_SUBTREE_free(t);
			sk_GENERAL_SUBTREE_pop_free(st, GENERAL_SUBTREE_free);
			st = NULL;
		}
	}
	return st;
}

static bool ext_nc(STACK_OF(X509_EXTENSION) * exts,
		   const kw_name_constraints *c)
{
	NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
	bool ok = nc != NULL;

	if (ok && c->n_permitted > 0)
		ok = (nc->permittedSubtrees = subtrees_of(
			      c->permitted, c->n_permitted)) != NULL;
	if (ok && c->n_excluded > 0)
		ok = (nc->excludedSubtrees =
			      subtrees_of(c->excluded, c->n_excluded)) != NULL;
	/* RFC 5280 4.2.1.10: conforming CAs MUST mark it critical */
	ok = ok && ext_add(exts, NID_name_constraints, 1, nc);
	NAME_CONSTRAINTS_free(nc);
	return ok;
}

static bool ext_crl_dp(STACK_OF(X509_EXTENSION) * exts, const char *url)
{
	CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
	DIST_POINT *dp = DIST_POINT_new();
	kw_san s = {.type = KW_SAN_URI};
	bool ok = dps != NULL && dp != NULL && strlen(url) <= KW_SAN_VALUE_MAX;

	if (ok) {
		memcpy(s.value, url, strlen(url) + 1);
		dp->distpoint = DIST_POINT_NAME_new();
		ok = dp->distpoint != NULL;
	}
	if (ok) {
		dp->distpoint->type = 0; /* fullName */
		dp->distpoint->name.fullname = gens_of(&s, 1, false);
		ok = dp->distpoint->name.fullname != NULL &&
		     sk_DIST_POINT_push(dps, dp) > 0;
	}
	if (ok)
		dp = NULL;
	ok = ok && ext_add(exts, NID_crl_distribution_points, 0, dps);
	DIST_POINT_free(dp);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return ok;
}

/* The extensions of t, in a fixed order. */
static kw_rc extensions(const kw_x509_tbs *t, const uint8_t ski[20],
			const uint8_t aki[20], kw_der *d)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	GENERAL_NAMES *sans = NULL;
	unsigned char *buf = NULL;
	bool ok = exts != NULL;

	ok = ok && ext_basic(exts, t);
	ok = ok && (t->ku == 0 || ext_ku(exts, t->ku));
	ok = ok && (t->eku == 0 || ext_eku(exts, t->eku, t->eku_critical));
	ok = ok && ext_keyid(exts, false, ski);
	ok = ok && ext_keyid(exts, true, aki);
	if (ok && t->n_sans > 0) {
		sans = gens_of(t->sans, t->n_sans, false);
		/* critical when the subject is empty (RFC 5280 4.2.1.6) */
		ok = sans != NULL && ext_add(exts, NID_subject_alt_name,
					     t->subject->n == 0, sans);
	}
	ok = ok && (t->nc == NULL || ext_nc(exts, t->nc));
	ok = ok && (t->crl_url == NULL || ext_crl_dp(exts, t->crl_url));
	if (ok) {
		kw_der e;
		kw_der_init(&e);
		kw_der_ossl(&e, &buf, i2d_X509_EXTENSIONS(exts, &buf));
		kw_der_wrap(d, KW_DER_CTX0 + 3, &e);
	}
	GENERAL_NAMES_free(sans);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
	return ok ? KW_OK : KW_E_INVALID;
}

/* ---- certificates -------------------------------------------------------- */

static bool tbs_valid(const kw_x509_tbs *t)
{
	bool nonzero = false;

	for (size_t i = 0; i < t->serial_len && i < KW_X509_SERIAL_MAX; i++)
		nonzero = nonzero || t->serial[i] != 0;
	return t->subject != NULL && t->spki != NULL && nonzero &&
	       t->serial_len <= KW_X509_SERIAL_MAX &&
	       (t->serial[0] & 0x80) == 0 && t->not_after >= t->not_before &&
	       (t->eku & KW_EKU_OTHER) == 0 &&
	       (t->subject->n > 0 || t->n_sans > 0) &&
	       (t->n_sans == 0 || t->sans != NULL) && (t->ca || t->nc == NULL);
}

/* Checks the signature of the certificate in der with the issuer's key. */
static kw_rc check_signed(const uint8_t *der, size_t len, X509 *issuer)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	EVP_PKEY *pk = x == NULL	? NULL
		       : issuer != NULL ? X509_get0_pubkey(issuer)
					: X509_get0_pubkey(x);
	kw_rc rc = x != NULL && p == der + len && pk != NULL &&
				   X509_verify(x, pk) == 1
			   ? KW_OK
			   : KW_E_CRYPTO;

	if (rc != KW_OK)
		KW_LOG_ERROR("a certificate just signed does not verify with "
			     "its issuer's key");
	X509_free(x);
	ERR_clear_error();
	return rc;
}

kw_rc kw_x509_cert_sign(const kw_x509_tbs *t, const kw_x509_signer *s,
			uint8_t **out, size_t *out_len)
{
	kw_rc rc = KW_E_INVALID;
	X509 *issuer = NULL;
	X509_NAME *subject = NULL;
	uint8_t ski[20], aki[20];
	unsigned char *buf = NULL;
	kw_der tbs, val, cert;

	kw_der_init(&tbs);
	kw_der_init(&val);
	kw_der_init(&cert);
	if (t == NULL || s == NULL || s->sign == NULL || out == NULL ||
	    out_len == NULL || !tbs_valid(t))
		goto out;
	rc = kw_signer_cert(s, &issuer);
	if (rc != KW_OK)
		goto out;
	rc = kw_spki_key_id(t->spki, t->spki_len, ski);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_INVALID;
	if (issuer != NULL) {
		const ASN1_OCTET_STRING *id = X509_get0_subject_key_id(issuer);
		if (id == NULL || ASN1_STRING_length(id) != 20) {
			/* an issuer without a 20-byte key id: compute it */
			unsigned char *spki = NULL;
			int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer),
						&spki);
			rc = n > 0 ? kw_spki_key_id(spki, (size_t)n, aki)
				   : KW_E_INVALID;
			OPENSSL_free(spki);
			if (rc != KW_OK)
				goto out;
		} else {
			memcpy(aki, ASN1_STRING_get0_data(id), 20);
		}
	} else {
		memcpy(aki, ski, 20);
	}
	subject = kw_dn_to_x509(t->subject);
	if (subject == NULL)
		goto out;

	kw_der_raw(&val, (const uint8_t[]){0x02, 0x01, 0x02}, 3); /* v3 */
	kw_der_wrap(&tbs, KW_DER_CTX0, &val);
	kw_der_uint_bytes(&tbs, t->serial, t->serial_len);
	rc = kw_sig_alg(&tbs, s->type, kw_x509_sig_hash(s->type));
	if (rc != KW_OK)
		goto out;
	kw_der_ossl(&tbs, &buf,
		    i2d_X509_NAME(issuer != NULL ? X509_get_subject_name(issuer)
						 : subject,
				  &buf));
	kw_der_time(&val, t->not_before);
	kw_der_time(&val, t->not_after);
	kw_der_wrap(&tbs, KW_DER_SEQUENCE, &val);
	kw_der_ossl(&tbs, &buf, i2d_X509_NAME(subject, &buf));
	kw_der_raw(&tbs, t->spki, t->spki_len);
	rc = extensions(t, ski, aki, &tbs);
	if (rc != KW_OK)
		goto out;
	kw_der_wrap(&val, KW_DER_SEQUENCE, &tbs);
	rc = val.err;
	if (rc != KW_OK)
		goto out;
	rc = kw_x509_sign_wrap(&cert, s, val.p, val.len);
	if (rc != KW_OK)
		goto out;
	rc = check_signed(cert.p, cert.len, issuer);
	if (rc == KW_OK)
		rc = kw_der_finish(&cert, out, out_len);
out:
	kw_der_clear(&tbs);
	kw_der_clear(&val);
	kw_der_clear(&cert);
	X509_NAME_free(subject);
	X509_free(issuer);
	ERR_clear_error();
	return rc;
}

/* ---- reading certificates -------------------------------------------------- */

static kw_rc asn1_time(const ASN1_TIME *a, int64_t *out)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return KW_E_INVALID;
	*out = (int64_t)timegm(&tm);
	return KW_OK;
}

static kw_rc serial_of(const ASN1_INTEGER *a, uint8_t out[KW_X509_SERIAL_MAX],
		       size_t *out_len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(a, NULL);
	int n = bn != NULL ? BN_num_bytes(bn) : -1;
	kw_rc rc = KW_E_INVALID;

	if (bn != NULL && !BN_is_negative(bn) && n >= 1 &&
	    n <= KW_X509_SERIAL_MAX && BN_bn2bin(bn, out) == n) {
		*out_len = (size_t)n;
		rc = KW_OK;
	}
	BN_free(bn);
	return rc;
}

static kw_rc info_fill(X509 *x, kw_x509_info *i)
{
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	unsigned char *spki = NULL;
	bool odd1 = false, odd2 = false;
	kw_rc rc =
		kw_dn_from_x509(X509_get_subject_name(x), &i->subject, &odd1);

	if (rc == KW_OK)
		rc = kw_dn_from_x509(X509_get_issuer_name(x), &i->issuer,
				     &odd2);
	i->unrepresentable = odd1 || odd2;
	if (rc == KW_OK)
		rc = serial_of(X509_get0_serialNumber(x), i->serial,
			       &i->serial_len);
	if (rc == KW_OK)
		rc = asn1_time(X509_get0_notBefore(x), &i->not_before);
	if (rc == KW_OK)
		rc = asn1_time(X509_get0_notAfter(x), &i->not_after);
	if (rc == KW_OK)
		rc = kw_pkey_key_type(X509_get0_pubkey(x), &i->key_type);
	if (rc != KW_OK)
		goto out;
	i->path_len = -1;
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	if (bc != NULL && bc->ca) {
		i->ca = true;
		if (bc->pathlen != NULL)
			i->path_len = (int)ASN1_INTEGER_get(bc->pathlen);
	}
	ku = X509_get_ext_d2i(x, NID_key_usage, NULL, NULL);
	if (ku != NULL) {
		i->has_ku = true;
		i->ku = kw_ku_bits(ku);
	}
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	if (eku != NULL)
		i->eku = kw_eku_bits(eku);
	i->spki = kw_i2d_copy(&spki,
			      i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki),
			      &i->spki_len);
	rc = i->spki != NULL ? KW_OK : KW_E_NOMEM;
out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return rc;
}

kw_rc kw_x509_info_parse(const uint8_t *der, size_t len, kw_x509_info **out)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	kw_x509_info *i = NULL;
	kw_rc rc = KW_E_INVALID;

	if (der == NULL || out == NULL || len == 0 || len > KW_DER_MAX)
		goto out;
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != der + len)
		goto out;
	rc = KW_E_NOMEM;
	i = calloc(1, sizeof(*i));
	if (i == NULL)
		goto out;
	rc = info_fill(x, i);
	if (rc == KW_OK) {
		*out = i;
		i = NULL;
	}
out:
	kw_x509_info_free(i);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

void kw_x509_info_free(kw_x509_info *i)
{
	if (i == NULL)
		return;
	free(i->spki);
	free(i);
}

kw_rc kw_x509_check_issued(const uint8_t *cert, size_t cert_len,
			   const uint8_t *issuer, size_t issuer_len)
{
	const unsigned char *p = cert, *q = issuer;
	X509 *c = NULL, *i = NULL;
	kw_rc rc = KW_E_INVALID;

	if (cert == NULL || issuer == NULL)
		goto out;
	c = d2i_X509(NULL, &p, (long)cert_len);
	i = d2i_X509(NULL, &q, (long)issuer_len);
	if (c == NULL || i == NULL || p != cert + cert_len ||
	    q != issuer + issuer_len)
		goto out;
	rc = KW_E_VERIFY;
	if (X509_NAME_cmp(X509_get_issuer_name(c), X509_get_subject_name(i)) ==
		    0 &&
	    X509_get0_pubkey(i) != NULL &&
	    X509_verify(c, X509_get0_pubkey(i)) == 1)
		rc = KW_OK;
out:
	X509_free(c);
	X509_free(i);
	ERR_clear_error();
	return rc;
}

kw_rc kw_x509_parts_get(const uint8_t *der, size_t len, kw_x509_parts *out)
{
	const unsigned char *p = der;
	unsigned char *buf = NULL;
	X509 *x = NULL;
	kw_x509_parts r = {0};
	kw_rc rc = KW_E_INVALID;

	if (der == NULL || out == NULL || len == 0 || len > KW_DER_MAX)
		goto out;
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != der + len)
		goto out;
	rc = KW_E_NOMEM;
	r.subject =
		kw_i2d_copy(&buf, i2d_X509_NAME(X509_get_subject_name(x), &buf),
			    &r.subject_len);
	r.issuer =
		kw_i2d_copy(&buf, i2d_X509_NAME(X509_get_issuer_name(x), &buf),
			    &r.issuer_len);
	r.serial = kw_i2d_copy(
		&buf, i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &buf),
		&r.serial_len);
	if (r.subject != NULL && r.issuer != NULL && r.serial != NULL) {
		*out = r;
		memset(&r, 0, sizeof(r));
		rc = KW_OK;
	}
out:
	kw_x509_parts_clear(&r);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

void kw_x509_parts_clear(kw_x509_parts *p)
{
	if (p == NULL)
		return;
	free(p->subject);
	free(p->issuer);
	free(p->serial);
	memset(p, 0, sizeof(*p));
}
