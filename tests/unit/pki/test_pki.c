/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of src/lib/pki over a real keys module (the keys fixture):
 * CA hierarchies, issuance under profiles, the inventory, revocation and
 * CRLs, code signing and time stamps. What is issued is checked by
 * OpenSSL (helpers.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "../keys/fixture.h"
#include "crypto/crypto.h"
#include "crypto/pki.h"
#include "helpers.h"
#include "keywarden/pki.h"
#include "util/codec.h"

#define DAY 86400

static int64_t now_s;
static int64_t now_fn(void *arg)
{
	(void)arg;
	return now_s;
}

typedef struct tfx {
	kfx *k;
	kw_pki *p;
	char crl_dir[64];
} tfx;

static int setup(void **state)
{
	tfx *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->k = kfx_new("mem", false, 64);
	snprintf(t->crl_dir, sizeof(t->crl_dir), "/tmp/kwpki-XXXXXX");
	assert_non_null(mkdtemp(t->crl_dir));
	now_s = (int64_t)time(NULL);
	kw_pki_config cfg = {.crl_dir = t->crl_dir, .now = now_fn};
	assert_int_equal(
		kw_pki_open(t->k->b, t->k->store, t->k->ks, &cfg, &t->p),
		KW_OK);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tfx *t = *state;
	char cmd[128];
	void *k = t->k;
	kw_pki_free(t->p);
	kfx_teardown(&k);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->crl_dir);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static kw_ca_info *root(tfx *t, const char *name, kw_key_type kt,
			const char *const *permitted, size_t n_permitted)
{
	char key[80], subject[120];
	kw_ca_info *ca = NULL;
	char err[200] = "";
	snprintf(key, sizeof(key), "%s-key", name);
	snprintf(subject, sizeof(subject), "CN=%s,O=Example", name);
	kw_ca_spec s = {.partition = KFX_PART,
			.name = name,
			.key = key,
			.key_type = kt,
			.subject = subject,
			.days = 3650,
			.path_len = 2,
			.permitted = permitted,
			.n_permitted = n_permitted,
			.created_by = "alice"};
	assert_int_equal(kw_ca_create(t->p, &s, &ca, err, sizeof(err)), KW_OK);
	return ca;
}

/* An intermediate under parent with an existing key. */
static kw_ca_info *mid(tfx *t, const char *name, const char *parent,
		       const char *key)
{
	kw_ca_info *ca = NULL;
	char err[200] = "";
	kw_ca_spec s = {.partition = KFX_PART,
			.name = name,
			.key = key,
			.parent = parent,
			.subject = "CN=Issuing CA,O=Example",
			.days = 1000,
			.path_len = -1};
	assert_int_equal(kw_ca_create(t->p, &s, &ca, err, sizeof(err)), KW_OK);
	return ca;
}

static kw_rc issue_csr(tfx *t, const char *ca, kw_profile prof,
		       const uint8_t *csr, size_t len, uint32_t days,
		       kw_cert_info **out, char *err)
{
	kw_issue_req r = {.partition = KFX_PART,
			  .ca = ca,
			  .profile = prof,
			  .csr = csr,
			  .csr_len = len,
			  .days = days,
			  .issued_by = "ci"};
	return kw_cert_issue(t->p, &r, out, err, 200);
}

static uint8_t *serial_bytes(const char *hex, size_t *n)
{
	uint8_t *b = malloc(strlen(hex) / 2 + 1);
	*n = strlen(hex) / 2;
	assert_int_equal(kw_hex_decode(hex, strlen(hex), b), KW_OK);
	return b;
}

/* root (ECDSA) -> intermediate (RSA, existing key) -> tls-server leaf from
 * a CSR: OpenSSL verifies the chain for TLS servers. */
static void test_chain(void **state)
{
	tfx *t = *state;
	kw_ca_info *r = root(t, "root", KW_KEY_EC_P384, NULL, 0), *m;
	kw_key_info *k = kfx_import_rsa(t->k, "mid-key", KW_KEY_RSA_2048, 0);
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	size_t len = 0, n = 0;
	uint8_t *csr = h_csr(pk, "www.example.com", "DNS:api.example.com", NULL,
			     "serverAuth", false, &len);
	uint8_t **chain = NULL;
	size_t *lens = NULL;
	kw_cert_info *c = NULL;
	char err[200] = "";

	m = mid(t, "issuing", "root", "mid-key");
	assert_string_equal(m->parent, "root");
	assert_int_equal(m->depth, 1);
	assert_int_equal(m->path_len, 1); /* the root's 2, less one */
	assert_int_equal(issue_csr(t, "issuing", KW_PROFILE_TLS_SERVER, csr,
				   len, 90, &c, err),
			 KW_OK);
	assert_string_equal(c->ca, "issuing");
	assert_string_equal(c->issued_by, "ci");
	/* the CN is a SAN too */
	assert_string_equal(c->sans, "DNS:api.example.com,DNS:www.example.com");
	assert_int_equal(c->not_after - c->not_before, 90 * DAY);
	const uint8_t *mids[] = {m->cert};
	size_t mid_lens[] = {m->cert_len};
	assert_int_equal(h_verify(r->cert, r->cert_len, mids, mid_lens, 1,
				  c->der, c->der_len, X509_PURPOSE_SSL_SERVER,
				  NULL, NULL, 0),
			 1);
	/* not for a TLS client */
	assert_int_equal(h_verify(r->cert, r->cert_len, mids, mid_lens, 1,
				  c->der, c->der_len, X509_PURPOSE_SSL_CLIENT,
				  NULL, NULL, 0),
			 0);
	assert_int_equal(
		kw_ca_chain(t->p, KFX_PART, "issuing", &chain, &lens, &n),
		KW_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(chain[1], r->cert, r->cert_len);
	kw_ca_chain_free(chain, lens, n);
	kw_cert_info_free(c);
	free(csr);
	EVP_PKEY_free(pk);
	kw_key_info_free(k);
	kw_ca_info_free(m);
	kw_ca_info_free(r);
}

/* What a request may not have, and validities: refused or (only when
 * nothing is asked) cut at the CA's end. */
static void test_profile_enforced(void **state)
{
	tfx *t = *state;
	kw_ca_info *r = root(t, "root", KW_KEY_EC_P256, NULL, 0), *u = NULL;
	kw_profile_rules rules[KW_PROFILE_COUNT_];
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	uint8_t *csr;
	size_t len = 0;
	kw_cert_info *c = NULL;
	char err[200];

	for (int i = 0; i < KW_PROFILE_COUNT_; i++)
		kw_profile_rules_default((kw_profile)i, &rules[i]);
	rules[KW_PROFILE_TLS_SERVER].n_names = 2;
	strcpy(rules[KW_PROFILE_TLS_SERVER].names[0], "DNS:*.example.com");
	strcpy(rules[KW_PROFILE_TLS_SERVER].names[1], "DNS:example.com");
	rules[KW_PROFILE_TLS_SERVER].max_days = 30;
	rules[KW_PROFILE_DEVICE].enabled = false;
	kw_ca_update up = {.profiles = rules};
	assert_int_equal(kw_ca_update_rules(t->p, KFX_PART, "root", &up, &u,
					    err, sizeof(err)),
			 KW_OK);
	assert_int_equal(u->profiles[KW_PROFILE_TLS_SERVER].max_days, 30);
	kw_ca_info_free(u);

	/* a forbidden name */
	csr = h_csr(pk, "www.evil.com", NULL, NULL, NULL, false, &len);
	assert_int_equal(issue_csr(t, "root", KW_PROFILE_TLS_SERVER, csr, len,
				   0, &c, err),
			 KW_E_INVALID);
	assert_non_null(strstr(err, "DNS:www.evil.com is not allowed"));
	free(csr);
	/* a forbidden extended key usage */
	csr = h_csr(pk, "www.example.com", NULL, NULL, "serverAuth,codeSigning",
		    false, &len);
	assert_int_equal(issue_csr(t, "root", KW_PROFILE_TLS_SERVER, csr, len,
				   0, &c, err),
			 KW_E_INVALID);
	assert_non_null(strstr(err, "codeSigning"));
	free(csr);
	/* a CA, a key usage beyond the profile's */
	csr = h_csr(pk, "www.example.com", NULL, NULL, NULL, true, &len);
	assert_int_equal(issue_csr(t, "root", KW_PROFILE_TLS_SERVER, csr, len,
				   0, &c, err),
			 KW_E_INVALID);
	free(csr);
	csr = h_csr(pk, "www.example.com", NULL, "keyCertSign", NULL, false,
		    &len);
	assert_int_equal(issue_csr(t, "root", KW_PROFILE_TLS_SERVER, csr, len,
				   0, &c, err),
			 KW_E_INVALID);
	free(csr);
	/* a name type the profile does not carry */
	csr = h_csr(pk, "www.example.com", "email:a@example.com", NULL, NULL,
		    false, &len);
	assert_int_equal(issue_csr(t, "root", KW_PROFILE_TLS_SERVER, csr, len,
				   0, &c, err),
			 KW_E_INVALID);
	free(csr);
	/* a validity over the maximum: refused, never cut */
	csr = h_csr(pk, "www.example.com", NULL, NULL, "serverAuth", false,
		    &len);
	assert_int_equal(issue_csr(t, "root", KW_PROFILE_TLS_SERVER, csr, len,
				   31, &c, err),
			 KW_E_INVALID);
	assert_non_null(strstr(err, "maximum of 30 days"));
	/* none asked: the maximum */
	assert_int_equal(issue_csr(t, "root", KW_PROFILE_TLS_SERVER, csr, len,
				   0, &c, err),
			 KW_OK);
	assert_int_equal(c->not_after - c->not_before, 30 * DAY);
	kw_cert_info_free(c);
	/* a disabled profile */
	assert_int_equal(
		issue_csr(t, "root", KW_PROFILE_DEVICE, csr, len, 0, &c, err),
		KW_E_STATE);
	free(csr);
	/* a request signed by another key: no proof of possession */
	csr = h_csr(pk, "www.example.com", NULL, NULL, NULL, false, &len);
	csr[len - 5] ^= 0x10;
	assert_int_equal(issue_csr(t, "root", KW_PROFILE_TLS_SERVER, csr, len,
				   0, &c, err),
			 KW_E_VERIFY);
	free(csr);
	EVP_PKEY_free(pk);
	kw_ca_info_free(r);
}

/* Near the CA's end: an asked validity past it is refused, none asked is
 * cut to it. */
static void test_validity_at_ca_end(void **state)
{
	tfx *t = *state;
	kw_ca_info *r = root(t, "root", KW_KEY_EC_P256, NULL, 0);
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	size_t len = 0;
	uint8_t *csr = h_csr(pk, "dev-1", "URI:spiffe://example.com/dev-1",
			     NULL, NULL, false, &len);
	kw_cert_info *c = NULL;
	char err[200];

	now_s = r->not_after - 10 * DAY;
	assert_int_equal(
		issue_csr(t, "root", KW_PROFILE_DEVICE, csr, len, 11, &c, err),
		KW_E_INVALID);
	assert_non_null(strstr(err, "ends after CA root expires"));
	assert_int_equal(
		issue_csr(t, "root", KW_PROFILE_DEVICE, csr, len, 0, &c, err),
		KW_OK);
	assert_int_equal(c->not_after, r->not_after);
	kw_cert_info_free(c);
	now_s = r->not_after;
	assert_int_equal(
		issue_csr(t, "root", KW_PROFILE_DEVICE, csr, len, 0, &c, err),
		KW_E_STATE);
	free(csr);
	EVP_PKEY_free(pk);
	kw_ca_info_free(r);
}

static void test_name_constraints(void **state)
{
	tfx *t = *state;
	const char *perm[] = {"DNS:example.com", "IP:10.0.0.0/8"};
	kw_ca_info *r = root(t, "root", KW_KEY_EC_P256, perm, 2);
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	size_t len = 0;
	uint8_t *csr;
	kw_cert_info *c = NULL;
	char err[200];

	csr = h_csr(pk, "host.example.com", "IP:10.1.2.3", NULL, NULL, false,
		    &len);
	assert_int_equal(issue_csr(t, "root", KW_PROFILE_TLS_SERVER, csr, len,
				   0, &c, err),
			 KW_OK);
	assert_int_equal(h_verify(r->cert, r->cert_len, NULL, NULL, 0, c->der,
				  c->der_len, 0, NULL, NULL, 0),
			 1);
	kw_cert_info_free(c);
	free(csr);
	csr = h_csr(pk, "host.example.org", NULL, NULL, NULL, false, &len);
	assert_int_equal(issue_csr(t, "root", KW_PROFILE_TLS_SERVER, csr, len,
				   0, &c, err),
			 KW_E_INVALID);
	assert_non_null(strstr(err, "outside the name constraints"));
	free(csr);
	EVP_PKEY_free(pk);
	kw_ca_info_free(r);
}

/* Issued for a keywarden key: subject and names from the request, the key
 * in the inventory. */
static void test_issue_for_key(void **state)
{
	tfx *t = *state;
	kw_ca_info *r = root(t, "root", KW_KEY_EC_P256, NULL, 0);
	kw_key_info *k = kfx_create(t->k, "release", KW_KEY_EC_P256, 0);
	const char *sans[] = {"email:release@example.com"};
	kw_issue_req q = {.partition = KFX_PART,
			  .ca = "root",
			  .profile = KW_PROFILE_CODE_SIGNING,
			  .key = "release",
			  .subject = "CN=Release Signing,O=Example",
			  .sans = sans,
			  .n_sans = 1,
			  .sans_set = true};
	kw_cert_info *c = NULL, **list = NULL;
	kw_cert_filter f = {.key = "release"};
	size_t n = 0;
	char *next = NULL, err[200];

	assert_int_equal(kw_cert_issue(t->p, &q, &c, err, sizeof(err)), KW_OK);
	assert_string_equal(c->key, "release");
	assert_string_equal(c->key_id, k->id);
	assert_int_equal(c->profile, KW_PROFILE_CODE_SIGNING);
	assert_int_equal(h_verify(r->cert, r->cert_len, NULL, NULL, 0, c->der,
				  c->der_len, 0, NULL, NULL, 0),
			 1);
	kw_cert_info_free(c);
	/* a subject is required for a key */
	q.subject = NULL;
	assert_int_equal(kw_cert_issue(t->p, &q, &c, err, sizeof(err)),
			 KW_E_INVALID);
	/* an attribute the profile does not allow */
	q.subject = "CN=x,emailAddress=a@example.com";
	assert_int_equal(kw_cert_issue(t->p, &q, &c, err, sizeof(err)),
			 KW_E_INVALID);
	q.subject = "CN=x";
	q.key = "nope";
	assert_int_equal(kw_cert_issue(t->p, &q, &c, err, sizeof(err)),
			 KW_E_NOT_FOUND);
	assert_int_equal(
		kw_cert_list(t->p, KFX_PART, &f, NULL, 10, &list, &n, &next),
		KW_OK);
	assert_int_equal(n, 1);
	assert_null(next);
	kw_cert_list_free(list, n, next);
	kw_key_info_free(k);
	kw_ca_info_free(r);
}

static void test_list_pages(void **state)
{
	tfx *t = *state;
	kw_ca_info *r = root(t, "root", KW_KEY_EC_P256, NULL, 0);
	kw_key_info *k = kfx_create(t->k, "dev", KW_KEY_EC_P256, 0);
	kw_issue_req q = {.partition = KFX_PART,
			  .ca = "root",
			  .profile = KW_PROFILE_DEVICE,
			  .key = "dev",
			  .subject = "CN=device"};
	kw_cert_filter f = {.profile = KW_PROFILE_DEVICE};
	kw_cert_info *c = NULL, **list = NULL;
	size_t n = 0, total = 0;
	char *next = NULL, *cursor = NULL, err[200];

	for (int i = 0; i < 5; i++) {
		assert_int_equal(kw_cert_issue(t->p, &q, &c, err, sizeof(err)),
				 KW_OK);
		kw_cert_info_free(c);
	}
	/* the root's own certificate is in the inventory too */
	assert_int_equal(
		kw_cert_list(t->p, KFX_PART, NULL, NULL, 100, &list, &n, &next),
		KW_OK);
	assert_int_equal(n, 6);
	kw_cert_list_free(list, n, next);
	do {
		assert_int_equal(kw_cert_list(t->p, KFX_PART, &f, cursor, 2,
					      &list, &n, &next),
				 KW_OK);
		assert_true(n <= 2);
		total += n;
		free(cursor);
		cursor = next;
		next = NULL;
		kw_cert_list_free(list, n, NULL);
	} while (cursor != NULL);
	assert_int_equal(total, 5);
	assert_int_equal(
		kw_cert_list(t->p, KFX_PART, NULL, NULL, 0, &list, &n, &next),
		KW_E_INVALID);
	kw_key_info_free(k);
	kw_ca_info_free(r);
}

static bool file_exists(const char *dir, const char *name)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, KFX_PART, name);
	return stat(path, &st) == 0 && st.st_size > 0;
}

/* A revoked certificate is in the next CRL (and the file), OpenSSL then
 * refuses the chain; the CRL is renewed past half its validity. */
static void test_revoke_crl(void **state)
{
	tfx *t = *state;
	kw_ca_info *r = root(t, "root", KW_KEY_EC_P256, NULL, 0);
	kw_key_info *k = kfx_create(t->k, "dev", KW_KEY_EC_P256, 0);
	kw_issue_req q = {.partition = KFX_PART,
			  .ca = "root",
			  .profile = KW_PROFILE_TLS_CLIENT,
			  .key = "dev",
			  .subject = "CN=client"};
	kw_cert_info *c = NULL, *rv = NULL;
	uint8_t *crl = NULL, *serial;
	size_t crl_len = 0, sl = 0, count = 0;
	uint64_t number = 0;
	long num = 0;
	char err[200];

	assert_true(file_exists(t->crl_dir, "root.crl"));
	assert_true(file_exists(t->crl_dir, "root.crl.pem"));
	assert_int_equal(kw_cert_issue(t->p, &q, &c, err, sizeof(err)), KW_OK);
	serial = serial_bytes(c->serial, &sl);
	assert_int_equal(
		kw_ca_crl(t->p, KFX_PART, "root", &crl, &crl_len, &number),
		KW_OK);
	assert_int_equal(number, 1);
	const uint8_t *crls[] = {crl};
	size_t crl_lens[] = {crl_len};
	assert_int_equal(h_verify(r->cert, r->cert_len, NULL, NULL, 0, c->der,
				  c->der_len, 0, crls, crl_lens, 1),
			 1);
	free(crl);
	assert_int_equal(kw_cert_revoke(t->p, KFX_PART, c->serial, 1, &rv, err,
					sizeof(err)),
			 KW_OK);
	assert_int_equal(rv->status, KW_CERT_REVOKED);
	assert_int_equal(rv->reason, 1);
	kw_cert_info_free(rv);
	assert_int_equal(
		kw_ca_crl(t->p, KFX_PART, "root", &crl, &crl_len, &number),
		KW_OK);
	assert_int_equal(number, 2);
	assert_true(h_crl_lists(crl, crl_len, serial, sl, &num));
	assert_int_equal(num, 2);
	crls[0] = crl;
	crl_lens[0] = crl_len;
	assert_int_equal(h_verify(r->cert, r->cert_len, NULL, NULL, 0, c->der,
				  c->der_len, 0, crls, crl_lens, 1),
			 0);
	free(crl);
	/* again, another reason, a root's own certificate */
	assert_int_equal(kw_cert_revoke(t->p, KFX_PART, c->id, 4, NULL, err,
					sizeof(err)),
			 KW_E_STATE);
	assert_int_equal(kw_cert_revoke(t->p, KFX_PART, r->serial, 1, NULL, err,
					sizeof(err)),
			 KW_E_STATE);
	assert_int_equal(kw_cert_revoke(t->p, KFX_PART, c->serial, 8, NULL, err,
					sizeof(err)),
			 KW_E_INVALID);
	assert_int_equal(kw_cert_revoke(t->p, KFX_PART, "abcdef", 0, NULL, err,
					sizeof(err)),
			 KW_E_NOT_FOUND);
	/* a CRL is kept until half its validity (7 days) is over */
	assert_int_equal(kw_pki_tick(t->p, &count), KW_OK);
	assert_int_equal(count, 0);
	now_s += 4 * DAY;
	assert_int_equal(kw_pki_tick(t->p, &count), KW_OK);
	assert_int_equal(count, 1);
	assert_int_equal(
		kw_ca_crl(t->p, KFX_PART, "root", &crl, &crl_len, &number),
		KW_OK);
	assert_int_equal(number, 3);
	assert_true(h_crl_lists(crl, crl_len, serial, sl, NULL));
	free(crl);
	free(serial);
	kw_cert_info_free(c);
	kw_key_info_free(k);
	kw_ca_info_free(r);
}

static void test_ca_refusals(void **state)
{
	tfx *t = *state;
	kw_ca_info *r = root(t, "root", KW_KEY_EC_P256, NULL, 0), *c = NULL;
	kw_key_info *k = kfx_create(t->k, "other", KW_KEY_EC_P256, 0);
	kw_key_info *aes = kfx_create(t->k, "aes", KW_KEY_AES_256, 0);
	kw_key_info *info = NULL;
	char err[200];
	kw_ca_spec s = {.partition = KFX_PART,
			.name = "root",
			.key = "k2",
			.key_type = KW_KEY_EC_P256,
			.subject = "CN=x",
			.days = 10,
			.path_len = -1};

	/* the name is taken */
	assert_int_equal(kw_ca_create(t->p, &s, &c, err, sizeof(err)),
			 KW_E_EXISTS);
	/* a root with an existing key */
	s.name = "r2";
	s.key = "other";
	s.key_type = KW_KEY_NONE;
	assert_int_equal(kw_ca_create(t->p, &s, &c, err, sizeof(err)),
			 KW_E_INVALID);
	/* past the parent's end, a deeper path than allowed */
	s.parent = "root";
	s.days = 4000;
	assert_int_equal(kw_ca_create(t->p, &s, &c, err, sizeof(err)),
			 KW_E_INVALID);
	s.days = 10;
	s.path_len = 5;
	assert_int_equal(kw_ca_create(t->p, &s, &c, err, sizeof(err)),
			 KW_E_INVALID);
	s.path_len = -1;
	s.key = "aes";
	assert_int_equal(kw_ca_create(t->p, &s, &c, err, sizeof(err)),
			 KW_E_UNSUPPORTED);
	s.key = "other";
	s.subject = "X=1";
	assert_int_equal(kw_ca_create(t->p, &s, &c, err, sizeof(err)),
			 KW_E_INVALID);
	s.subject = "CN=Leaf CA";
	s.path_len = 0;
	assert_int_equal(kw_ca_create(t->p, &s, &c, err, sizeof(err)), KW_OK);
	kw_ca_info_free(c);
	/* path length 0: no CA below */
	s.parent = "r2";
	s.name = "r3";
	s.key = "k3";
	s.key_type = KW_KEY_EC_P256;
	assert_int_equal(kw_ca_create(t->p, &s, &c, err, sizeof(err)),
			 KW_E_STATE);
	/* the key made for it is not left behind */
	assert_int_equal(kw_key_get(t->k->ks, KFX_PART, "k3", &info),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_ca_get(t->p, KFX_PART, "nope", &c), KW_E_NOT_FOUND);
	kw_key_info_free(k);
	kw_key_info_free(aes);
	kw_ca_info_free(r);
}

/* A failure after the CA's key was made destroys that key again. */
static void test_ca_key_cleanup(void **state)
{
	tfx *t = *state;
	kw_ca_info *c = NULL;
	kw_key_info *info = NULL;
	char err[200];
	kw_ca_spec s = {.partition = KFX_PART,
			.name = "root",
			.key = "root-key",
			.key_type = KW_KEY_EC_P256,
			.subject = "CN=root",
			.days = 10,
			.path_len = -1};

	/* a disabled parent key cannot sign the child */
	kw_ca_info *r = root(t, "top", KW_KEY_EC_P256, NULL, 0);
	assert_int_equal(kw_key_set_state(t->k->ks, KFX_PART, "top-key",
					  KW_KEY_DISABLED, NULL),
			 KW_OK);
	s.parent = "top";
	assert_int_equal(kw_ca_create(t->p, &s, &c, err, sizeof(err)),
			 KW_E_STATE);
	assert_int_equal(kw_key_get(t->k->ks, KFX_PART, "root-key", &info),
			 KW_OK);
	assert_int_equal(info->state, KW_KEY_DESTROYED);
	kw_key_info_free(info);
	kw_ca_info_free(r);
}

static void test_codesign(void **state)
{
	static const char file[] = "release-2.0.tar.gz";
	tfx *t = *state;
	kw_ca_info *r = root(t, "root", KW_KEY_EC_P256, NULL, 0);
	kw_key_info *k = kfx_import_rsa(t->k, "release", KW_KEY_RSA_2048, 0);
	kw_key_info *o = kfx_create(t->k, "other", KW_KEY_EC_P256, 0);
	kw_issue_req q = {.partition = KFX_PART,
			  .ca = "root",
			  .profile = KW_PROFILE_CODE_SIGNING,
			  .key = "release",
			  .subject = "CN=Release"};
	kw_cert_info *c = NULL, *tls = NULL;
	uint8_t dg[64], *sig = NULL;
	size_t dl = 0, sl = 0;
	char serial[KW_CERT_SERIAL_MAX + 1], err[200];
	char *pem = NULL;

	assert_int_equal(kw_cert_issue(t->p, &q, &c, err, sizeof(err)), KW_OK);
	assert_int_equal(kw_digest(KW_HASH_SHA256, file, strlen(file), dg, &dl),
			 KW_OK);
	kw_codesign_req cs = {.partition = KFX_PART,
			      .key = "release",
			      .cert = c->serial,
			      .hash = KW_HASH_SHA256,
			      .digest = dg,
			      .digest_len = dl};
	assert_int_equal(
		kw_codesign(t->p, &cs, &sig, &sl, serial, err, sizeof(err)),
		KW_OK);
	assert_string_equal(serial, c->serial);
	assert_int_equal(
		h_cms_verify(sig, sl, r->cert, r->cert_len, file, strlen(file)),
		1);
	assert_int_equal(h_cms_verify(sig, sl, r->cert, r->cert_len,
				      "release-2.0.tar.gZ", strlen(file)),
			 0);
	free(sig);
	/* the same with the certificate as PEM */
	assert_int_equal(kw_pem_encode("CERTIFICATE", c->der, c->der_len, &pem),
			 KW_OK);
	cs.cert = NULL;
	cs.cert_pem = pem;
	cs.cert_pem_len = strlen(pem);
	assert_int_equal(
		kw_codesign(t->p, &cs, &sig, &sl, NULL, err, sizeof(err)),
		KW_OK);
	assert_int_equal(
		h_cms_verify(sig, sl, r->cert, r->cert_len, file, strlen(file)),
		1);
	free(sig);
	/* another key than the certificate's */
	cs.key = "other";
	assert_int_equal(
		kw_codesign(t->p, &cs, &sig, &sl, NULL, err, sizeof(err)),
		KW_E_INVALID);
	assert_non_null(strstr(err, "not the key's"));
	/* a certificate not for code signing */
	q.profile = KW_PROFILE_TLS_CLIENT;
	q.key = "other";
	assert_int_equal(kw_cert_issue(t->p, &q, &tls, err, sizeof(err)),
			 KW_OK);
	cs.cert = tls->serial;
	cs.cert_pem = NULL;
	assert_int_equal(
		kw_codesign(t->p, &cs, &sig, &sl, NULL, err, sizeof(err)),
		KW_E_INVALID);
	assert_non_null(strstr(err, "codeSigning"));
	/* a revoked one; a wrong digest length */
	cs.key = "release";
	cs.cert = c->serial;
	cs.digest_len = 31;
	assert_int_equal(
		kw_codesign(t->p, &cs, &sig, &sl, NULL, err, sizeof(err)),
		KW_E_INVALID);
	cs.digest_len = dl;
	assert_int_equal(kw_cert_revoke(t->p, KFX_PART, c->serial, 1, NULL, err,
					sizeof(err)),
			 KW_OK);
	assert_int_equal(
		kw_codesign(t->p, &cs, &sig, &sl, NULL, err, sizeof(err)),
		KW_E_STATE);
	free(pem);
	kw_cert_info_free(c);
	kw_cert_info_free(tls);
	kw_key_info_free(k);
	kw_key_info_free(o);
	kw_ca_info_free(r);
}

static void test_tsa(void **state)
{
	tfx *t = *state;
	kw_ca_info *r = root(t, "root", KW_KEY_EC_P256, NULL, 0);
	kw_key_info *k = kfx_create(t->k, "tsa", KW_KEY_EC_P256, 0);
	kw_issue_req q = {.partition = KFX_PART,
			  .ca = "root",
			  .profile = KW_PROFILE_TIME_STAMPING,
			  .key = "tsa",
			  .subject = "CN=Example TSA"};
	kw_cert_info *c = NULL, *other = NULL;
	kw_tsa_info ti;
	kw_tsa_result res;
	uint8_t dg[32], *tq, *resp = NULL;
	size_t ql = 0, rl = 0;
	char err[200];

	memset(dg, 7, sizeof(dg));
	tq = h_ts_query(EVP_sha256(), dg, true, true, NULL, &ql);
	assert_int_equal(kw_tsa_stamp(t->p, KFX_PART, tq, ql, &resp, &rl, &res),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_cert_issue(t->p, &q, &c, err, sizeof(err)), KW_OK);
	q.profile = KW_PROFILE_CODE_SIGNING;
	assert_int_equal(kw_cert_issue(t->p, &q, &other, err, sizeof(err)),
			 KW_OK);
	assert_int_equal(kw_tsa_set(t->p, KFX_PART, other->serial, NULL, &ti,
				    err, sizeof(err)),
			 KW_E_INVALID);
	assert_int_equal(kw_tsa_set(t->p, KFX_PART, c->serial, "1.2..3", &ti,
				    err, sizeof(err)),
			 KW_E_INVALID);
	assert_int_equal(kw_tsa_set(t->p, KFX_PART, c->serial, NULL, &ti, err,
				    sizeof(err)),
			 KW_OK);
	assert_string_equal(ti.key, "tsa");
	assert_int_equal(kw_tsa_get(t->p, KFX_PART, &ti), KW_OK);
	assert_string_equal(ti.serial, c->serial);
	assert_int_equal(kw_tsa_stamp(t->p, KFX_PART, tq, ql, &resp, &rl, &res),
			 KW_OK);
	assert_true(res.granted);
	assert_int_equal(
		h_ts_verify(tq, ql, resp, rl, r->cert, r->cert_len, NULL, 0),
		1);
	free(resp);
	free(tq);
	/* a policy of its own is refused; SHA-1 is refused */
	tq = h_ts_query(EVP_sha256(), dg, true, false, "1.2.3.4", &ql);
	assert_int_equal(kw_tsa_stamp(t->p, KFX_PART, tq, ql, &resp, &rl, &res),
			 KW_OK);
	assert_false(res.granted);
	assert_int_equal(h_ts_status(resp, rl), 2);
	free(resp);
	free(tq);
	tq = h_ts_query(EVP_sha1(), dg, false, false, NULL, &ql);
	assert_int_equal(kw_tsa_stamp(t->p, KFX_PART, tq, ql, &resp, &rl, &res),
			 KW_OK);
	assert_int_equal(h_ts_status(resp, rl), 2);
	free(resp);
	assert_int_equal(kw_tsa_stamp(t->p, KFX_PART, (const uint8_t *)"junk",
				      4, &resp, &rl, &res),
			 KW_OK);
	assert_int_equal(h_ts_status(resp, rl), 2);
	assert_non_null(strstr(res.reason, "malformed"));
	free(resp);
	free(tq);
	/* revoked: no more stamps */
	assert_int_equal(kw_cert_revoke(t->p, KFX_PART, c->serial, 5, NULL, err,
					sizeof(err)),
			 KW_OK);
	tq = h_ts_query(EVP_sha256(), dg, true, true, NULL, &ql);
	assert_int_equal(kw_tsa_stamp(t->p, KFX_PART, tq, ql, &resp, &rl, &res),
			 KW_E_STATE);
	free(tq);
	kw_cert_info_free(c);
	kw_cert_info_free(other);
	kw_key_info_free(k);
	kw_ca_info_free(r);
}

/* Records survive a restart of the store (sqlite) and a re-read. */
static void test_persist(void **state)
{
	tfx *t = *state;
	kw_ca_info *r = root(t, "root", KW_KEY_ED25519, NULL, 0), *g = NULL;
	kw_ca_info **list = NULL;
	size_t n = 0;

	assert_int_equal(kw_ca_get(t->p, KFX_PART, "root", &g), KW_OK);
	assert_string_equal(g->id, r->id);
	assert_int_equal(g->key_type, KW_KEY_ED25519);
	assert_int_equal(g->cert_len, r->cert_len);
	assert_memory_equal(g->cert, r->cert, r->cert_len);
	assert_string_equal(g->created_by, "alice");
	assert_int_equal(g->crl_number, 1);
	kw_ca_info_free(g);
	assert_int_equal(kw_ca_list(t->p, KFX_PART, &list, &n), KW_OK);
	assert_int_equal(n, 1);
	kw_ca_list_free(list, n);
	assert_int_equal(kw_ca_list(t->p, "p2", &list, &n), KW_OK);
	assert_int_equal(n, 0);
	kw_ca_list_free(list, n);
	/* sealed: nothing is readable */
	assert_int_equal(kw_barrier_seal(t->k->b), KW_OK);
	assert_int_equal(kw_ca_get(t->p, KFX_PART, "root", &g), KW_E_SEALED);
	kfx_unseal(t->k);
	kw_ca_info_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_enforced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_validity_at_ca_end, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_name_constraints, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_issue_for_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_pages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_revoke_crl, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ca_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ca_key_cleanup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_codesign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	kfx_rsa_free();
	return rc;
}
