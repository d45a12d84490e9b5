/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the PKI encodings of src/lib/crypto (pki.h): what is built
 * here is checked by OpenSSL's own verifiers (X509_verify_cert, CMS_verify,
 * TS_RESP_verify_response), never by the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "../crypto/common.h"
#include "crypto/pki.h"
#include "helpers.h"

/* ---- helpers ------------------------------------------------------------ */

static kw_rc ckey_sign(void *arg, kw_hash h, const uint8_t *msg, size_t len,
		       uint8_t **sig, size_t *sig_len)
{
	kw_sign_params p = {.hash = h, .pss_salt_len = -1};
	return kw_ckey_sign(arg, &p, msg, len, sig, sig_len);
}

static kw_dn dn1(const char *cn)
{
	kw_dn d = {.n = 2};
	d.attrs[0].type = KW_DN_O;
	strcpy(d.attrs[0].value, "Example");
	d.attrs[1].type = KW_DN_CN;
	strcpy(d.attrs[1].value, cn);
	return d;
}

typedef struct cert {
	uint8_t *der;
	size_t len;
} cert;

static void spki_of(kw_ckey *k, uint8_t **spki, size_t *len)
{
	assert_int_equal(kw_ckey_public_der(k, spki, len), KW_OK);
}

/* A certificate for key `subject_key`, issued by issuer (NULL: self). */
static cert issue(kw_ckey *subject_key, const char *cn, kw_ckey *issuer_key,
		  const cert *issuer, bool ca, uint32_t ku, uint32_t eku,
		  bool eku_crit)
{
	kw_dn subject = dn1(cn);
	kw_san sans[2] = {{KW_SAN_DNS, "www.example.com"},
			  {KW_SAN_IP, "192.0.2.7"}};
	kw_san permitted = {KW_SAN_DNS, "example.com"};
	kw_name_constraints nc = {.permitted = &permitted, .n_permitted = 1};
	kw_x509_tbs t = {
		.serial = {0x4a, 0x01, 0x02, 0x03},
		.serial_len = 4,
		.subject = &subject,
		.not_before = time(NULL) - 60,
		.not_after = time(NULL) + 86400,
		.ca = ca,
		.path_len = ca ? 1 : -1,
		.ku = ku,
		.eku = eku,
		.eku_critical = eku_crit,
		.sans = ca ? NULL : sans,
		.n_sans = ca ? 0 : 2,
		.nc = ca && issuer != NULL ? &nc : NULL,
		.crl_url = ca ? NULL : "http://crl.example.com/ca.crl",
	};
	kw_x509_signer s = {
		.type = kw_ckey_type(issuer_key),
		.cert = issuer != NULL ? issuer->der : NULL,
		.cert_len = issuer != NULL ? issuer->len : 0,
		.sign = ckey_sign,
		.arg = issuer_key,
	};
	cert c = {0};
	uint8_t *spki = NULL;
	size_t spki_len = 0;

	spki_of(subject_key, &spki, &spki_len);
	t.spki = spki;
	t.spki_len = spki_len;
	assert_int_equal(kw_x509_cert_sign(&t, &s, &c.der, &c.len), KW_OK);
	free(spki);
	return c;
}

/* OpenSSL's verdict on leaf with the intermediate untrusted and the root
 * trusted, under purpose (0: default), with a DER CRL if crl is not NULL. */
static int openssl_verify(const cert *root, const cert *mid, const cert *leaf,
			  int purpose, const cert *crl)
{
	const uint8_t *m = mid != NULL ? mid->der : NULL;
	size_t ml = mid != NULL ? mid->len : 0;
	const uint8_t *c = crl != NULL ? crl->der : NULL;
	size_t cl = crl != NULL ? crl->len : 0;

	return h_verify(root->der, root->len, &m, &ml, mid != NULL, leaf->der,
			leaf->len, purpose, &c, &cl, crl != NULL);
}

/* ---- certificates ------------------------------------------------------- */

static void chain_of(kw_key_type root_t, kw_key_type mid_t, kw_key_type leaf_t)
{
	kw_ckey *rk = t_key(root_t), *mk = t_key(mid_t), *lk = t_key(leaf_t);
	const uint32_t ca_ku = KW_KU_KEY_CERT_SIGN | KW_KU_CRL_SIGN;
	cert root = issue(rk, "Root", rk, NULL, true, ca_ku, 0, false);
	cert mid = issue(mk, "Mid", rk, &root, true, ca_ku, 0, false);
	cert leaf = issue(lk, "www.example.com", mk, &mid, false,
			  KW_KU_DIGITAL_SIGNATURE, KW_EKU_SERVER_AUTH, false);
	kw_x509_info *i = NULL;

	assert_int_equal(openssl_verify(&root, &mid, &leaf,
					X509_PURPOSE_SSL_SERVER, NULL),
			 1);
	assert_int_equal(
		kw_x509_check_issued(leaf.der, leaf.len, mid.der, mid.len),
		KW_OK);
	assert_int_equal(
		kw_x509_check_issued(leaf.der, leaf.len, root.der, root.len),
		KW_E_VERIFY);
	assert_int_equal(kw_x509_info_parse(leaf.der, leaf.len, &i), KW_OK);
	assert_int_equal(i->key_type, leaf_t);
	assert_false(i->ca);
	assert_int_equal(i->eku, KW_EKU_SERVER_AUTH);
	assert_int_equal(i->ku, KW_KU_DIGITAL_SIGNATURE);
	assert_int_equal(i->subject.n, 2);
	assert_string_equal(i->subject.attrs[1].value, "www.example.com");
	assert_string_equal(i->issuer.attrs[1].value, "Mid");
	assert_int_equal(i->serial_len, 4);
	kw_x509_info_free(i);
	assert_int_equal(kw_x509_info_parse(mid.der, mid.len, &i), KW_OK);
	assert_true(i->ca);
	assert_int_equal(i->path_len, 1);
	kw_x509_info_free(i);
	free(root.der);
	free(mid.der);
	free(leaf.der);
}

static void test_chain_ecdsa(void **state)
{
	(void)state;
	chain_of(KW_KEY_EC_P384, KW_KEY_EC_P256, KW_KEY_EC_P256);
}

static void test_chain_rsa(void **state)
{
	(void)state;
	chain_of(KW_KEY_RSA_2048, KW_KEY_RSA_2048, KW_KEY_RSA_2048);
}

static void test_chain_mixed(void **state)
{
	(void)state;
	chain_of(KW_KEY_ED25519, KW_KEY_RSA_2048, KW_KEY_EC_P521);
}

/* A name outside the intermediate's permitted subtree: OpenSSL refuses the
 * chain, so the constraint was encoded (and is critical). */
static void test_name_constraints_enforced(void **state)
{
	kw_ckey *k = t_key(KW_KEY_EC_P256);
	const uint32_t ca_ku = KW_KU_KEY_CERT_SIGN | KW_KU_CRL_SIGN;
	cert root = issue(k, "Root", k, NULL, true, ca_ku, 0, false);
	cert mid = issue(k, "Mid", k, &root, true, ca_ku, 0, false);
	kw_dn subject = dn1("evil.example.org");
	kw_san san = {KW_SAN_DNS, "evil.example.org"};
	uint8_t *spki = NULL;
	size_t spki_len = 0;
	cert leaf = {0};
	kw_x509_signer s = {.type = KW_KEY_EC_P256,
			    .cert = mid.der,
			    .cert_len = mid.len,
			    .sign = ckey_sign,
			    .arg = k};

	(void)state;
	spki_of(k, &spki, &spki_len);
	kw_x509_tbs t = {.serial = {1},
			 .serial_len = 1,
			 .subject = &subject,
			 .spki = spki,
			 .spki_len = spki_len,
			 .not_before = time(NULL) - 60,
			 .not_after = time(NULL) + 3600,
			 .path_len = -1,
			 .sans = &san,
			 .n_sans = 1};
	assert_int_equal(kw_x509_cert_sign(&t, &s, &leaf.der, &leaf.len),
			 KW_OK);
	assert_int_equal(openssl_verify(&root, &mid, &leaf, 0, NULL), 0);
	free(spki);
	free(root.der);
	free(mid.der);
	free(leaf.der);
}

static void test_cert_refusals(void **state)
{
	kw_ckey *k = t_key(KW_KEY_EC_P256), *other = t_key(KW_KEY_EC_P384);
	kw_dn subject = dn1("x");
	uint8_t *spki = NULL, *out = NULL;
	size_t spki_len = 0, out_len = 0;
	kw_x509_signer s = {
		.type = KW_KEY_EC_P384, .sign = ckey_sign, .arg = other};

	(void)state;
	spki_of(k, &spki, &spki_len);
	kw_x509_tbs t = {.serial = {1},
			 .serial_len = 1,
			 .subject = &subject,
			 .spki = spki,
			 .spki_len = spki_len,
			 .not_before = 1000000000,
			 .not_after = 1100000000,
			 .path_len = -1};
	/* self-signed with a key that is not the subject's */
	assert_int_equal(kw_x509_cert_sign(&t, &s, &out, &out_len),
			 KW_E_CRYPTO);
	s.arg = k;
	s.type = KW_KEY_EC_P256;
	t.serial[0] = 0; /* serial 0 */
	assert_int_equal(kw_x509_cert_sign(&t, &s, &out, &out_len),
			 KW_E_INVALID);
	t.serial[0] = 0x80; /* negative */
	assert_int_equal(kw_x509_cert_sign(&t, &s, &out, &out_len),
			 KW_E_INVALID);
	t.serial[0] = 1;
	t.eku = KW_EKU_OTHER;
	assert_int_equal(kw_x509_cert_sign(&t, &s, &out, &out_len),
			 KW_E_INVALID);
	t.eku = 0;
	t.not_after = t.not_before - 1;
	assert_int_equal(kw_x509_cert_sign(&t, &s, &out, &out_len),
			 KW_E_INVALID);
	t.not_after = t.not_before + 10;
	strcpy(subject.attrs[0].value, "\x01"); /* control character */
	assert_int_equal(kw_x509_cert_sign(&t, &s, &out, &out_len),
			 KW_E_INVALID);
	strcpy(subject.attrs[0].value, "Example");
	subject.attrs[0].type = KW_DN_C; /* C must be two letters */
	assert_int_equal(kw_x509_cert_sign(&t, &s, &out, &out_len),
			 KW_E_INVALID);
	assert_null(out);
	free(spki);
}

/* ---- requests -------------------------------------------------------------- */

static void test_csr_parse(void **state)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	size_t len = 0;
	uint8_t *der;
	kw_csr *c = NULL;

	(void)state;
	der = h_csr(pk, "host.example.com",
		    "DNS:host.example.com,IP:2001:db8::1,email:a@example.com,"
		    "URI:spiffe://example.com/x",
		    "digitalSignature,keyCertSign",
		    "serverAuth,codeSigning,1.2.3.4", true, &len);
	assert_int_equal(kw_csr_parse(der, len, &c), KW_OK);
	assert_int_equal(c->key_type, KW_KEY_EC_P256);
	assert_int_equal(c->subject.n, 1);
	assert_int_equal(c->subject.attrs[0].type, KW_DN_CN);
	assert_string_equal(c->subject.attrs[0].value, "host.example.com");
	assert_true(c->has_eku);
	assert_int_equal(c->eku, KW_EKU_SERVER_AUTH | KW_EKU_CODE_SIGNING |
					 KW_EKU_OTHER);
	assert_true(c->has_ku);
	assert_int_equal(c->ku, KW_KU_DIGITAL_SIGNATURE | KW_KU_KEY_CERT_SIGN);
	assert_true(c->ca);
	assert_int_equal(c->n_other_ext, 0);
	kw_csr_free(c);
	c = NULL;

	/* a flipped bit in the signature: no proof of possession */
	der[len - 3] ^= 0x01;
	assert_int_equal(kw_csr_parse(der, len, &c), KW_E_VERIFY);
	der[len - 3] ^= 0x01;
	/* trailing bytes, truncation, nothing */
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, der, len);
	longer[len] = 0;
	assert_int_equal(kw_csr_parse(longer, len + 1, &c), KW_E_INVALID);
	assert_int_equal(kw_csr_parse(der, len - 1, &c), KW_E_INVALID);
	assert_int_equal(kw_csr_parse(der, 0, &c), KW_E_INVALID);
	assert_null(c);
	free(longer);
	free(der);
	EVP_PKEY_free(pk);
}

static void test_csr_pem_and_sans(void **state)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509_REQ *r = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *sk = sk_X509_EXTENSION_new_null();
	X509V3_CTX ctx;
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long n;
	kw_csr *c = NULL;

	(void)state;
	X509_REQ_set_pubkey(r, pk);
	X509V3_set_ctx(&ctx, NULL, NULL, r, NULL, 0);
	sk_X509_EXTENSION_push(
		sk, X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
					"DNS:a.example.com,IP:10.1.2.3,IP:2001:"
					"db8::1,email:a@example.com,URI:https:"
					"//example.com/x,RID:1.2.3"));
	X509_REQ_add_extensions(r, sk);
	assert_true(X509_REQ_sign(r, pk, NULL) > 0);
	PEM_write_bio_X509_REQ(b, r);
	n = BIO_get_mem_data(b, &pem);
	assert_int_equal(kw_csr_parse((const uint8_t *)pem, (size_t)n, &c),
			 KW_OK);
	assert_int_equal(c->key_type, KW_KEY_ED25519);
	assert_int_equal(c->subject.n, 0);
	assert_int_equal(c->n_sans, 5);
	assert_true(c->unrepresentable); /* the registeredID */
	assert_int_equal(c->sans[0].type, KW_SAN_DNS);
	assert_string_equal(c->sans[1].value, "10.1.2.3");
	assert_string_equal(c->sans[2].value, "2001:db8::1");
	assert_int_equal(c->sans[3].type, KW_SAN_EMAIL);
	assert_string_equal(c->sans[4].value, "https://example.com/x");
	assert_false(c->has_eku);
	kw_csr_free(c);
	BIO_free(b);
	sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
	X509_REQ_free(r);
	EVP_PKEY_free(pk);
}

static void test_csr_key_types(void **state)
{
	EVP_PKEY *small = EVP_RSA_gen(1024), *k1 = EVP_EC_gen("P-521");
	EVP_PKEY *k2 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	size_t len = 0;
	uint8_t *der;
	kw_csr *c = NULL;

	(void)state;
	der = h_csr(small, "x", NULL, NULL, NULL, false, &len);
	assert_int_equal(kw_csr_parse(der, len, &c), KW_E_UNSUPPORTED);
	free(der);
	der = h_csr(k1, "x", NULL, NULL, NULL, false, &len);
	assert_int_equal(kw_csr_parse(der, len, &c), KW_OK);
	assert_int_equal(c->key_type, KW_KEY_EC_P521);
	kw_csr_free(c);
	free(der);
	/* X25519 cannot sign its request; the key type is refused first */
	assert_non_null(k2);
	EVP_PKEY_free(small);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

/* ---- CRLs -------------------------------------------------------------- */

static void test_crl(void **state)
{
	kw_ckey *k = t_key(KW_KEY_EC_P256);
	const uint32_t ca_ku = KW_KU_KEY_CERT_SIGN | KW_KU_CRL_SIGN;
	cert root = issue(k, "Root", k, NULL, true, ca_ku, 0, false);
	cert leaf =
		issue(t_key(KW_KEY_EC_P384), "www.example.com", k, &root, false,
		      KW_KU_DIGITAL_SIGNATURE, KW_EKU_SERVER_AUTH, false);
	kw_crl_entry e[2] = {
		{.serial = {0x4a, 1, 2, 3},
		 .serial_len = 4,
		 .revoked_at = time(NULL) - 10,
		 .reason = KW_CRL_KEY_COMPROMISE},
		{.serial = {0x77},
		 .serial_len = 1,
		 .revoked_at = time(NULL) - 5,
		 .reason = KW_CRL_UNSPECIFIED},
	};
	kw_x509_signer s = {.type = KW_KEY_EC_P256,
			    .cert = root.der,
			    .cert_len = root.len,
			    .sign = ckey_sign,
			    .arg = k};
	uint8_t *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	X509_CRL *crl;
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *num;
	ASN1_ENUMERATED *reason;

	(void)state;
	/* no entries: the chain verifies with CRL checking on */
	assert_int_equal(kw_x509_crl_sign(&s, 1, time(NULL) - 60,
					  time(NULL) + 3600, NULL, 0, &der,
					  &len),
			 KW_OK);
	cert c = {der, len};
	assert_int_equal(openssl_verify(&root, NULL, &leaf, 0, &c), 1);
	free(der);

	assert_int_equal(kw_x509_crl_sign(&s, 7, time(NULL) - 60,
					  time(NULL) + 3600, e, 2, &der, &len),
			 KW_OK);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(crl);
	assert_int_equal(X509_CRL_get_version(crl), 1);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_int_equal(ASN1_INTEGER_get(num), 7);
	ASN1_INTEGER_free(num);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	rev = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0);
	reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
	assert_int_equal(ASN1_ENUMERATED_get(reason), 1);
	ASN1_ENUMERATED_free(reason);
	X509_CRL_free(crl);
	/* the leaf (serial 4a010203) is revoked: the chain fails */
	c = (cert){der, len};
	assert_int_equal(openssl_verify(&root, NULL, &leaf, 0, &c), 0);
	free(der);

	e[0].reason = (kw_crl_reason)7; /* unused in RFC 5280 */
	assert_int_equal(kw_x509_crl_sign(&s, 8, 100, 200, e, 2, &der, &len),
			 KW_E_INVALID);
	e[0].reason = KW_CRL_SUPERSEDED;
	assert_int_equal(kw_x509_crl_sign(&s, 8, 200, 200, e, 2, &der, &len),
			 KW_E_INVALID);
	s.cert = NULL;
	assert_int_equal(kw_x509_crl_sign(&s, 8, 100, 200, e, 2, &der, &len),
			 KW_E_INVALID);
	free(root.der);
	free(leaf.der);
}

/* ---- CMS ----------------------------------------------------------------- */

static void cms_case(kw_key_type ct, kw_hash h)
{
	static const char file[] = "release-1.0.tar.gz contents";
	kw_ckey *rk = t_key(KW_KEY_EC_P256), *k = t_key(ct);
	const uint32_t ca_ku = KW_KU_KEY_CERT_SIGN | KW_KU_CRL_SIGN;
	cert root = issue(rk, "Root", rk, NULL, true, ca_ku, 0, false);
	cert mid = issue(rk, "Mid", rk, &root, true, ca_ku, 0, false);
	cert leaf = issue(k, "Release", rk, &mid, false,
			  KW_KU_DIGITAL_SIGNATURE, KW_EKU_CODE_SIGNING, false);
	kw_x509_signer s = {.type = ct,
			    .cert = leaf.der,
			    .cert_len = leaf.len,
			    .sign = ckey_sign,
			    .arg = k};
	kw_blob chain = {mid.der, mid.len};
	uint8_t dg[KW_DIGEST_MAX], *sig = NULL;
	size_t dl = 0, sl = 0;

	assert_int_equal(kw_digest(h, file, strlen(file), dg, &dl), KW_OK);
	assert_int_equal(kw_cms_sign_digest(&s, &chain, 1, h, dg, dl,
					    time(NULL), &sig, &sl),
			 KW_OK);
	assert_int_equal(
		h_cms_verify(sig, sl, root.der, root.len, file, strlen(file)),
		1);
	assert_int_equal(h_cms_verify(sig, sl, root.der, root.len,
				      "release-1.0.tar.gz contentS",
				      strlen(file)),
			 0);
	free(sig);
	free(root.der);
	free(mid.der);
	free(leaf.der);
}

static void test_cms_detached(void **state)
{
	(void)state;
	cms_case(KW_KEY_EC_P256, KW_HASH_SHA256);
	cms_case(KW_KEY_EC_P384, KW_HASH_SHA384);
	cms_case(KW_KEY_RSA_2048, KW_HASH_SHA256);
	cms_case(KW_KEY_RSA_2048, KW_HASH_SHA512);
}

static void test_cms_refusals(void **state)
{
	kw_ckey *k = t_key(KW_KEY_EC_P256), *ed = t_key(KW_KEY_ED25519);
	cert c = issue(k, "Release", k, NULL, false, KW_KU_DIGITAL_SIGNATURE,
		       KW_EKU_CODE_SIGNING, false);
	cert ce = issue(ed, "Release", k, &c, false, 0, 0, false);
	kw_x509_signer s = {.type = KW_KEY_EC_P384,
			    .cert = c.der,
			    .cert_len = c.len,
			    .sign = ckey_sign,
			    .arg = t_key(KW_KEY_EC_P384)};
	uint8_t dg[64] = {0}, *sig = NULL;
	size_t sl = 0;
	kw_blob bad = {dg, 10};

	(void)state;
	/* a key that is not the certificate's */
	assert_int_equal(kw_cms_sign_digest(&s, NULL, 0, KW_HASH_SHA256, dg, 32,
					    1700000000, &sig, &sl),
			 KW_E_CRYPTO);
	s.type = KW_KEY_EC_P256;
	s.arg = k;
	assert_int_equal(kw_cms_sign_digest(&s, NULL, 0, KW_HASH_SHA256, dg, 31,
					    1700000000, &sig, &sl),
			 KW_E_INVALID);
	assert_int_equal(kw_cms_sign_digest(&s, NULL, 0, KW_HASH_SHA1, dg, 20,
					    1700000000, &sig, &sl),
			 KW_E_UNSUPPORTED);
	assert_int_equal(kw_cms_sign_digest(&s, &bad, 1, KW_HASH_SHA256, dg, 32,
					    1700000000, &sig, &sl),
			 KW_E_INVALID);
	/* no Ed25519 signers: OpenSSL 3.0 cannot check them */
	s.type = KW_KEY_ED25519;
	s.arg = ed;
	s.cert = ce.der;
	s.cert_len = ce.len;
	assert_int_equal(kw_cms_sign_digest(&s, NULL, 0, KW_HASH_SHA512, dg, 64,
					    1700000000, &sig, &sl),
			 KW_E_UNSUPPORTED);
	assert_null(sig);
	free(c.der);
	free(ce.der);
}

/* ---- time stamps ----------------------------------------------------------- */

static void test_tsa(void **state)
{
	kw_ckey *rk = t_key(KW_KEY_EC_P256), *tk = t_key(KW_KEY_RSA_2048);
	cert root = issue(rk, "Root", rk, NULL, true,
			  KW_KU_KEY_CERT_SIGN | KW_KU_CRL_SIGN, 0, false);
	cert tsa = issue(tk, "TSA", rk, &root, false, KW_KU_DIGITAL_SIGNATURE,
			 KW_EKU_TIME_STAMPING, true);
	kw_x509_signer s = {.type = KW_KEY_RSA_2048,
			    .cert = tsa.der,
			    .cert_len = tsa.len,
			    .sign = ckey_sign,
			    .arg = tk};
	uint8_t dg[64], serial[16] = {0x11, 0x22}, *q, *resp = NULL;
	size_t ql = 0, rl = 0;
	kw_ts_req req;

	(void)state;
	memset(dg, 0xab, sizeof(dg));
	/* with certificates in the token */
	q = h_ts_query(EVP_sha256(), dg, true, true, NULL, &ql);
	assert_int_equal(kw_ts_req_parse(q, ql, &req), KW_OK);
	assert_int_equal(req.hash, KW_HASH_SHA256);
	assert_true(req.has_nonce);
	assert_true(req.cert_req);
	assert_string_equal(req.policy, "");
	assert_int_equal(kw_ts_resp_sign(&req, &s, NULL, 0, "1.3.6.1.4.1.1.1",
					 serial, sizeof(serial), time(NULL), 1,
					 &resp, &rl),
			 KW_OK);
	assert_int_equal(
		h_ts_verify(q, ql, resp, rl, root.der, root.len, NULL, 0), 1);
	free(resp);
	/* a different nonce in the verifier's request: refused */
	free(q);
	q = h_ts_query(EVP_sha256(), dg, false, true, NULL, &ql);
	uint8_t *q2 = NULL;
	size_t q2l = 0;
	q2 = h_ts_query(EVP_sha256(), dg, true, true, NULL, &q2l);
	assert_int_equal(kw_ts_req_parse(q, ql, &req), KW_OK);
	assert_int_equal(kw_ts_resp_sign(&req, &s, NULL, 0, "1.3.6.1.4.1.1.1",
					 serial, 2, time(NULL), 1, &resp, &rl),
			 KW_OK);
	assert_int_equal(
		h_ts_verify(q, ql, resp, rl, root.der, root.len, NULL, 0), 1);
	assert_int_equal(
		h_ts_verify(q2, q2l, resp, rl, root.der, root.len, NULL, 0), 0);
	free(resp);
	free(q2);
	/* without certificates: the verifier brings the TSA's */
	free(q);
	q = h_ts_query(EVP_sha512(), dg, true, false, "1.3.6.1.4.1.1.1", &ql);
	assert_int_equal(kw_ts_req_parse(q, ql, &req), KW_OK);
	assert_string_equal(req.policy, "1.3.6.1.4.1.1.1");
	assert_int_equal(kw_ts_resp_sign(&req, &s, NULL, 0, "1.3.6.1.4.1.1.1",
					 serial, 16, time(NULL), 1, &resp, &rl),
			 KW_OK);
	assert_int_equal(h_ts_verify(q, ql, resp, rl, root.der, root.len,
				     tsa.der, tsa.len),
			 1);
	free(resp);
	free(q);
	/* SHA-1 imprints are refused */
	q = h_ts_query(EVP_sha1(), dg, false, false, NULL, &ql);
	assert_int_equal(kw_ts_req_parse(q, ql, &req), KW_E_UNSUPPORTED);
	assert_int_equal(kw_ts_req_parse(q, ql - 1, &req), KW_E_INVALID);
	free(q);
	free(root.der);
	free(tsa.der);
}

static void test_tsa_reject(void **state)
{
	uint8_t *resp = NULL;
	size_t rl = 0;
	const unsigned char *p;
	TS_RESP *r;

	(void)state;
	assert_int_equal(kw_ts_resp_reject(KW_TS_BAD_ALG, "SHA-1 is refused",
					   &resp, &rl),
			 KW_OK);
	p = resp;
	r = d2i_TS_RESP(NULL, &p, (long)rl);
	assert_non_null(r);
	assert_int_equal(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(
				 TS_RESP_get_status_info(r))),
			 2);
	assert_true(ASN1_BIT_STRING_get_bit(
		(ASN1_BIT_STRING *)TS_STATUS_INFO_get0_failure_info(
			TS_RESP_get_status_info(r)),
		KW_TS_BAD_ALG));
	TS_RESP_free(r);
	free(resp);
	assert_int_equal(
		kw_ts_resp_reject(KW_TS_SYSTEM_FAILURE, NULL, &resp, &rl),
		KW_OK);
	p = resp;
	r = d2i_TS_RESP(NULL, &p, (long)rl);
	assert_non_null(r);
	assert_true(ASN1_BIT_STRING_get_bit(
		(ASN1_BIT_STRING *)TS_STATUS_INFO_get0_failure_info(
			TS_RESP_get_status_info(r)),
		KW_TS_SYSTEM_FAILURE));
	TS_RESP_free(r);
	free(resp);
}

/* ---- PEM -------------------------------------------------------------- */

static void test_pem(void **state)
{
	kw_ckey *k = t_key(KW_KEY_EC_P256);
	cert c = issue(k, "Root", k, NULL, true, KW_KU_KEY_CERT_SIGN, 0, false);
	char *pem = NULL, *two;
	uint8_t **ders = NULL, *spki = NULL;
	size_t *lens = NULL, n = 0, spki_len = 0;
	char *kpem = NULL;
	kw_key_type t;

	(void)state;
	assert_int_equal(kw_pem_encode("CERTIFICATE", c.der, c.len, &pem),
			 KW_OK);
	size_t room = 2 * strlen(pem) + 40;
	two = malloc(room);
	assert_non_null(two);
	snprintf(two, room, "junk before\n%s%s", pem, pem);
	assert_int_equal(kw_pem_certs(two, strlen(two), 8, &ders, &lens, &n),
			 KW_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(ders[1], c.der, c.len);
	kw_blobs_free(ders, lens, n);
	assert_int_equal(kw_pem_certs(two, strlen(two), 1, &ders, &lens, &n),
			 KW_E_LIMIT);
	assert_int_equal(kw_pem_certs("nothing", 7, 8, &ders, &lens, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_ckey_public_pem(k, &kpem), KW_OK);
	assert_int_equal(kw_spki_from_pem(kpem, &spki, &spki_len), KW_OK);
	assert_int_equal(kw_spki_key_type(spki, spki_len, &t), KW_OK);
	assert_int_equal(t, KW_KEY_EC_P256);
	assert_int_equal(kw_spki_key_type(spki, spki_len - 1, &t),
			 KW_E_INVALID);
	free(spki);
	free(kpem);
	free(two);
	free(pem);
	free(c.der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_ecdsa),
		cmocka_unit_test(test_chain_rsa),
		cmocka_unit_test(test_chain_mixed),
		cmocka_unit_test(test_name_constraints_enforced),
		cmocka_unit_test(test_cert_refusals),
		cmocka_unit_test(test_csr_parse),
		cmocka_unit_test(test_csr_pem_and_sans),
		cmocka_unit_test(test_csr_key_types),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_cms_detached),
		cmocka_unit_test(test_cms_refusals),
		cmocka_unit_test(test_tsa),
		cmocka_unit_test(test_tsa_reject),
		cmocka_unit_test(test_pem),
	};
	return cmocka_run_group_tests(tests, NULL, t_keys_free);
}
