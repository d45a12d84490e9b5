/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "helpers.h"

static uint8_t *copy_out(unsigned char *der, int n, size_t *len)
{
	uint8_t *out;

	assert_true(n > 0);
	out = malloc((size_t)n);
	assert_non_null(out);
	memcpy(out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	return out;
}

static void add_ext(STACK_OF(X509_EXTENSION) * sk, X509V3_CTX *ctx, int nid,
		    const char *value)
{
	X509_EXTENSION *e;

	if (value == NULL)
		return;
	e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	assert_non_null(e);
	sk_X509_EXTENSION_push(sk, e);
}

uint8_t *h_csr(EVP_PKEY *pk, const char *cn, const char *san, const char *ku,
	       const char *eku, bool ca, size_t *len)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *sk = sk_X509_EXTENSION_new_null();
	X509V3_CTX ctx;
	unsigned char *der = NULL;
	uint8_t *out;

	if (cn != NULL)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
					   (const unsigned char *)cn, -1, -1,
					   0);
	X509_REQ_set_subject_name(r, n);
	X509_REQ_set_pubkey(r, pk);
	X509V3_set_ctx(&ctx, NULL, NULL, r, NULL, 0);
	add_ext(sk, &ctx, NID_subject_alt_name, san);
	add_ext(sk, &ctx, NID_key_usage, ku);
	add_ext(sk, &ctx, NID_ext_key_usage, eku);
	add_ext(sk, &ctx, NID_basic_constraints, ca ? "CA:TRUE" : NULL);
	if (sk_X509_EXTENSION_num(sk) > 0)
		X509_REQ_add_extensions(r, sk);
	assert_true(X509_REQ_sign(r, pk,
				  EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519
					  ? NULL
					  : EVP_sha256()) > 0);
	out = copy_out(der, i2d_X509_REQ(r, &der), len);
	sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
	X509_NAME_free(n);
	X509_REQ_free(r);
	return out;
}

static X509 *x509_of(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	assert_non_null(x);
	return x;
}

int h_verify(const uint8_t *root, size_t root_len, const uint8_t *const *mids,
	     const size_t *mid_lens, size_t n_mids, const uint8_t *leaf,
	     size_t leaf_len, int purpose, const uint8_t *const *crls,
	     const size_t *crl_lens, size_t n_crls)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509 *r = x509_of(root, root_len), *l = x509_of(leaf, leaf_len);
	int ok;

	assert_true(X509_STORE_add_cert(st, r));
	for (size_t i = 0; i < n_mids; i++)
		sk_X509_push(untrusted, x509_of(mids[i], mid_lens[i]));
	for (size_t i = 0; i < n_crls; i++) {
		const unsigned char *p = crls[i];
		X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)crl_lens[i]);
		assert_non_null(crl);
		assert_true(X509_STORE_add_crl(st, crl));
		X509_CRL_free(crl);
	}
	if (n_crls > 0)
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK |
						 X509_V_FLAG_CRL_CHECK_ALL);
	assert_true(X509_STORE_CTX_init(ctx, st, l, untrusted));
	if (purpose != 0)
		X509_STORE_CTX_set_purpose(ctx, purpose);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(r);
	X509_free(l);
	ERR_clear_error();
	return ok;
}

int h_cms_verify(const uint8_t *sig, size_t len, const uint8_t *root,
		 size_t root_len, const void *content, size_t content_len)
{
	BIO *in = BIO_new_mem_buf(sig, (int)len);
	BIO *data = BIO_new_mem_buf(content, (int)content_len);
	CMS_ContentInfo *cms = d2i_CMS_bio(in, NULL);
	X509_STORE *st = X509_STORE_new();
	X509 *r = x509_of(root, root_len);
	int ok;

	assert_non_null(cms);
	X509_STORE_add_cert(st, r);
	X509_STORE_set_purpose(st, X509_PURPOSE_ANY);
	ok = CMS_verify(cms, NULL, st, data, NULL, CMS_BINARY);
	CMS_ContentInfo_free(cms);
	X509_STORE_free(st);
	X509_free(r);
	BIO_free(in);
	BIO_free(data);
	ERR_clear_error();
	return ok;
}

uint8_t *h_ts_query(const EVP_MD *md, const uint8_t *dg, bool nonce,
		    bool cert_req, const char *policy, size_t *len)
{
	TS_REQ *r = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	uint8_t *out;

	X509_ALGOR_set_md(alg, md);
	TS_MSG_IMPRINT_set_algo(mi, alg);
	TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)dg, EVP_MD_get_size(md));
	TS_REQ_set_version(r, 1);
	TS_REQ_set_msg_imprint(r, mi);
	if (nonce) {
		/* the high bit set: its DER needs a leading zero byte */
		ASN1_INTEGER_set_uint64(n, 0x8122334455667788ULL);
		TS_REQ_set_nonce(r, n);
	}
	if (policy != NULL) {
		ASN1_OBJECT *o = OBJ_txt2obj(policy, 1);
		TS_REQ_set_policy_id(r, o);
		ASN1_OBJECT_free(o);
	}
	TS_REQ_set_cert_req(r, cert_req);
	out = copy_out(der, i2d_TS_REQ(r, &der), len);
	ASN1_INTEGER_free(n);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(r);
	return out;
}

int h_ts_verify(const uint8_t *q, size_t ql, const uint8_t *resp, size_t rl,
		const uint8_t *root, size_t root_len, const uint8_t *tsa,
		size_t tsa_len)
{
	const unsigned char *p = q, *pr = resp;
	TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)ql);
	TS_RESP *r = d2i_TS_RESP(NULL, &pr, (long)rl);
	TS_VERIFY_CTX *ctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL);
	X509_STORE *st = X509_STORE_new();
	X509 *x = x509_of(root, root_len);
	int ok;

	assert_non_null(r);
	X509_STORE_add_cert(st, x);
	TS_VERIFY_CTX_set_store(ctx, st);
	if (tsa != NULL) {
		STACK_OF(X509) *certs = sk_X509_new_null();
		sk_X509_push(certs, x509_of(tsa, tsa_len));
		TS_VERIFY_CTX_set_certs(ctx, certs);
	}
	ok = TS_RESP_verify_response(ctx, r);
	TS_VERIFY_CTX_free(ctx);
	TS_RESP_free(r);
	TS_REQ_free(req);
	X509_free(x);
	ERR_clear_error();
	return ok;
}

long h_ts_status(const uint8_t *resp, size_t rl)
{
	const unsigned char *p = resp;
	TS_RESP *r = d2i_TS_RESP(NULL, &p, (long)rl);
	long s;

	assert_non_null(r);
	s = ASN1_INTEGER_get(
		TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r)));
	TS_RESP_free(r);
	return s;
}

bool h_crl_lists(const uint8_t *crl, size_t len, const uint8_t *serial,
		 size_t serial_len, long *out_number)
{
	const unsigned char *p = crl;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);
	ASN1_INTEGER *s = ASN1_INTEGER_new(), *num;
	X509_REVOKED *rev = NULL;
	BIGNUM *bn = BN_bin2bn(serial, (int)serial_len, NULL);
	bool listed;

	assert_non_null(c);
	BN_to_ASN1_INTEGER(bn, s);
	listed = X509_CRL_get0_by_serial(c, &rev, s) == 1;
	num = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL);
	if (out_number != NULL)
		*out_number = num != NULL ? ASN1_INTEGER_get(num) : -1;
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(s);
	BN_free(bn);
	X509_CRL_free(c);
	return listed;
}
