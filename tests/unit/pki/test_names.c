/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the PKI's pure parts: names as text, profile patterns,
 * name constraints, profile rules and the record encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pki/internal.h"

static void test_dn(void **state)
{
	kw_dn dn;
	char text[KW_PKI_DN_MAX + 1], err[160];

	(void)state;
	assert_int_equal(
		kw_pki_dn_parse(" CN = Example Root , O=Ex\\, Inc.,C=US", &dn,
				err, sizeof(err)),
		KW_OK);
	assert_int_equal(dn.n, 3);
	assert_int_equal(dn.attrs[0].type, KW_DN_CN);
	assert_string_equal(dn.attrs[0].value, "Example Root");
	assert_string_equal(dn.attrs[1].value, "Ex, Inc.");
	kw_pki_dn_format(&dn, text, sizeof(text));
	assert_string_equal(text, "CN=Example Root,O=Ex\\, Inc.,C=US");
	assert_int_equal(
		kw_pki_dn_parse("/C=DE/O=Acme/CN=a.b", &dn, err, sizeof(err)),
		KW_OK);
	assert_int_equal(dn.n, 3);
	assert_int_equal(dn.attrs[0].type, KW_DN_C);
	assert_string_equal(kw_pki_dn_get(&dn, KW_DN_CN), "a.b");
	assert_int_equal(kw_pki_dn_parse("", &dn, err, sizeof(err)), KW_OK);
	assert_int_equal(dn.n, 0);
	assert_int_equal(
		kw_pki_dn_parse("cn=x,serialnumber=42", &dn, err, sizeof(err)),
		KW_OK);
	assert_int_equal(dn.attrs[1].type, KW_DN_SERIAL);
	/* refusals, each with a reason */
	const char *bad[] = {"CN",	 "CN=",	   "X=1",
			     "CN=a+O=b", "CN=a\\", "CN=a,,O=b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(kw_pki_dn_parse(bad[i], &dn, err, sizeof(err)),
				 KW_E_INVALID);
		assert_true(err[0] != '\0');
	}
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memcpy(text, "CN=", 3);
	assert_int_equal(kw_pki_dn_parse(text, &dn, err, sizeof(err)),
			 KW_E_INVALID);
}

static void test_san(void **state)
{
	kw_san s;
	char text[KW_PKI_NAME_MAX + 1];
	static const struct {
		const char *in, *out;
		bool subtree;
	} ok[] = {
		{"DNS:WWW.Example.COM", "DNS:www.example.com", false},
		{"dns:*.example.com", "DNS:*.example.com", false},
		{"IP:2001:DB8:0:0:0:0:0:1", "IP:2001:db8::1", false},
		{"IP:10.0.0.0/8", "IP:10.0.0.0/8", true},
		{"email:a.b@example.com", "email:a.b@example.com", false},
		{"email:.example.com", "email:.example.com", true},
		{"URI:spiffe://example.com/w", "URI:spiffe://example.com/w",
		 false},
		{"DNS:.example.com", "DNS:.example.com", true},
	};
	static const struct {
		const char *in;
		bool subtree;
	} bad[] = {
		{"www.example.com", false},    {"FTP:x", false},
		{"DNS:-a.com", false},	       {"DNS:a..com", false},
		{"DNS:a_b.com", false},	       {"DNS:a.*.com", false},
		{"IP:10.0.0.1/8", false},      {"IP:10.0.0.0", true},
		{"IP:10.0.0.0/33", true},      {"IP:300.1.1.1", false},
		{"email:@example.com", false}, {"email:a@b@c", false},
		{"URI:noscheme", false},       {"DNS:a b.com", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(
			kw_pki_san_parse(ok[i].in, ok[i].subtree, &s, NULL, 0),
			KW_OK);
		kw_pki_san_format(&s, text, sizeof(text));
		assert_string_equal(text, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kw_pki_san_parse(bad[i].in, bad[i].subtree, &s,
						  NULL, 0),
				 KW_E_INVALID);
}

static bool pm(const char *pattern, const char *name)
{
	kw_san s;
	assert_int_equal(kw_pki_san_parse(name, false, &s, NULL, 0), KW_OK);
	return kw_pki_pattern_match(pattern, &s);
}

static void test_patterns(void **state)
{
	(void)state;
	assert_true(pm("DNS:*", "DNS:anything.example"));
	assert_true(pm("DNS:*.example.com", "DNS:www.example.com"));
	assert_false(pm("DNS:*.example.com", "DNS:a.www.example.com"));
	assert_false(pm("DNS:*.example.com", "DNS:example.com"));
	assert_true(pm("DNS:.example.com", "DNS:a.www.example.com"));
	assert_false(pm("DNS:.example.com", "DNS:example.com"));
	assert_false(pm("DNS:.example.com", "DNS:badexample.com"));
	assert_true(pm("DNS:Example.com", "DNS:example.COM"));
	assert_false(pm("DNS:example.com", "DNS:evil.com"));
	assert_false(pm("DNS:*", "IP:10.0.0.1"));
	assert_true(pm("IP:10.0.0.0/8", "IP:10.200.3.4"));
	assert_false(pm("IP:10.0.0.0/8", "IP:11.0.0.1"));
	assert_false(pm("IP:10.0.0.0/8", "IP:::1"));
	assert_true(pm("IP:2001:db8::/32", "IP:2001:db8:1::5"));
	assert_true(pm("email:*@example.com", "email:ci@example.com"));
	assert_false(pm("email:*@example.com", "email:ci@sub.example.com"));
	assert_true(pm("URI:spiffe://example.com/*",
		       "URI:spiffe://example.com/ci/build"));
	assert_false(
		pm("URI:spiffe://example.com/*", "URI:spiffe://example.org/x"));
	assert_true(kw_pki_glob("Release * key", "Release 2026 key"));
	assert_true(kw_pki_glob("*", ""));
	assert_false(kw_pki_glob("a*b", "acbd"));
	assert_true(kw_pki_glob("a*b*c", "aXbYbZc"));
	/* pattern checks */
	const char *good[] = {"DNS:*",
			      "DNS:*.example.com",
			      "DNS:.example.com",
			      "IP:*",
			      "IP:10.0.0.0/8",
			      "email:*@example.com",
			      "URI:spiffe://example.com/*",
			      "email:*"};
	const char *badp[] = {"*",     "DNS:**", "DNS:*.*.com", "IP:10.0.0.1/8",
			      "FOO:*", "DNS:a b"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(kw_pki_pattern_valid(good[i], NULL, 0), KW_OK);
	for (size_t i = 0; i < sizeof(badp) / sizeof(badp[0]); i++)
		assert_int_equal(kw_pki_pattern_valid(badp[i], NULL, 0),
				 KW_E_INVALID);
}

static bool nc(const char *name, const char *perm, const char *excl)
{
	kw_san n, p, e;
	assert_int_equal(kw_pki_san_parse(name, false, &n, NULL, 0), KW_OK);
	if (perm != NULL)
		assert_int_equal(kw_pki_san_parse(perm, true, &p, NULL, 0),
				 KW_OK);
	if (excl != NULL)
		assert_int_equal(kw_pki_san_parse(excl, true, &e, NULL, 0),
				 KW_OK);
	return kw_pki_nc_allows(&n, &p, perm != NULL, &e, excl != NULL);
}

static void test_constraints(void **state)
{
	(void)state;
	assert_true(nc("DNS:example.com", "DNS:example.com", NULL));
	assert_true(nc("DNS:a.b.example.com", "DNS:example.com", NULL));
	assert_false(nc("DNS:badexample.com", "DNS:example.com", NULL));
	assert_false(nc("DNS:example.com", "DNS:.example.com", NULL));
	assert_true(
		nc("IP:10.0.0.1", "DNS:example.com", NULL)); /* other type */
	assert_false(nc("DNS:x.example.com", NULL, "DNS:x.example.com"));
	assert_false(nc("DNS:a.x.example.com", "DNS:example.com",
			"DNS:x.example.com"));
	assert_true(nc("IP:192.168.1.9", "IP:192.168.0.0/16", NULL));
	assert_false(nc("IP:192.169.1.9", "IP:192.168.0.0/16", NULL));
	assert_true(nc("email:a@example.com", "email:example.com", NULL));
	assert_false(nc("email:a@sub.example.com", "email:example.com", NULL));
	assert_true(nc("email:a@sub.example.com", "email:.example.com", NULL));
	assert_true(nc("URI:https://h.example.com:8443/x", "URI:.example.com",
		       NULL));
	assert_false(nc("URI:https://example.org/x", "URI:.example.com", NULL));
}

static void test_rules(void **state)
{
	kw_profile_rules r;
	char err[200];
	kw_profile p;

	(void)state;
	kw_profile_rules_default(KW_PROFILE_TLS_SERVER, &r);
	assert_true(r.enabled);
	assert_int_equal(kw_profile_max_days(KW_PROFILE_TLS_SERVER, &r), 397);
	assert_int_equal(
		kw_pki_rules_valid(KW_PROFILE_TLS_SERVER, &r, err, sizeof(err)),
		KW_OK);
	r.n_names = 1;
	strcpy(r.names[0], "email:*@example.com");
	assert_int_equal(
		kw_pki_rules_valid(KW_PROFILE_TLS_SERVER, &r, err, sizeof(err)),
		KW_E_INVALID);
	assert_non_null(strstr(err, "no email names"));
	assert_int_equal(kw_pki_rules_valid(KW_PROFILE_CODE_SIGNING, &r, err,
					    sizeof(err)),
			 KW_OK);
	r.max_days = KW_PKI_DAYS_MAX + 1;
	assert_int_equal(kw_pki_rules_valid(KW_PROFILE_CODE_SIGNING, &r, err,
					    sizeof(err)),
			 KW_E_INVALID);
	assert_int_equal(kw_profile_parse("time-stamping", &p), KW_OK);
	assert_int_equal(p, KW_PROFILE_TIME_STAMPING);
	assert_string_equal(kw_profile_name(p), "time-stamping");
	assert_int_equal(kw_profile_parse("ca", &p), KW_E_INVALID);
	assert_int_equal(kw_profile_parse("tls", &p), KW_E_INVALID);
	assert_null(kw_profile_name(KW_PROFILE_COUNT_));
}

static void test_serials(void **state)
{
	uint8_t s[16];
	char hex[KW_CERT_SERIAL_MAX + 1];

	(void)state;
	for (int i = 0; i < 64; i++) {
		assert_int_equal(kw_pki_serial_new(s), KW_OK);
		assert_int_equal(s[0] & 0xc0, 0x40); /* positive, 16 bytes */
	}
	assert_int_equal(kw_pki_serial_norm("x-00AbC", hex), KW_OK);
	assert_string_equal(hex, "0abc");
	assert_int_equal(kw_pki_serial_norm("0", hex), KW_OK);
	assert_string_equal(hex, "00");
	assert_int_equal(kw_pki_serial_norm("xyz", hex), KW_E_INVALID);
	assert_int_equal(kw_pki_serial_norm("", hex), KW_E_INVALID);
}

/* Records decode to what was encoded; a changed tag or a cut is an
 * integrity failure. */
static void test_records(void **state)
{
	kw_cert_info c = {.profile = KW_PROFILE_DEVICE,
			  .status = KW_CERT_REVOKED,
			  .reason = 1,
			  .not_before = 10,
			  .not_after = 20,
			  .revoked_at = 15};
	kw_cert_info *d = NULL;
	kw_ca_rec *r = calloc(1, sizeof(*r)), *r2 = NULL;
	kw_secret *enc = NULL;
	uint8_t der[3] = {1, 2, 3};
	kw_pki_rev rev = {
		.serial = {0x41, 2}, .serial_len = 2, .at = 5, .reason = 4};

	(void)state;
	strcpy(c.id, "x-4102");
	strcpy(c.serial, "4102");
	strcpy(c.partition, "p1");
	strcpy(c.ca, "root");
	strcpy(c.ca_id, "ca-00");
	c.sans = "DNS:a.example.com";
	c.der = der;
	c.der_len = 3;
	assert_int_equal(kw_pki_cert_encode(&c, &enc), KW_OK);
	assert_int_equal(kw_pki_cert_decode(enc->data, enc->len, &d), KW_OK);
	assert_string_equal(d->sans, "DNS:a.example.com");
	assert_int_equal(d->status, KW_CERT_REVOKED);
	assert_int_equal(d->not_after, 20);
	assert_memory_equal(d->der, der, 3);
	kw_cert_info_free(d);
	enc->data[1] = 99; /* the FORMAT tag becomes unknown */
	assert_int_equal(kw_pki_cert_decode(enc->data, enc->len, &d),
			 KW_E_INTEGRITY);
	enc->data[1] = 1;
	assert_int_equal(kw_pki_cert_decode(enc->data, enc->len - 1, &d),
			 KW_E_INTEGRITY);
	kw_secret_free(enc);

	strcpy(r->info.id, "ca-11");
	strcpy(r->info.partition, "p1");
	strcpy(r->info.name, "root");
	strcpy(r->info.key, "k");
	strcpy(r->info.key_id, "k-1");
	strcpy(r->info.subject, "CN=x");
	strcpy(r->info.serial, "01");
	r->info.key_type = KW_KEY_EC_P256;
	r->info.path_len = -1;
	r->info.crl_days = 7;
	r->info.n_permitted = 1;
	strcpy(r->info.permitted[0], "DNS:example.com");
	kw_profile_rules_default(KW_PROFILE_DEVICE, &r->info.profiles[4]);
	r->info.profiles[4].n_names = 1;
	strcpy(r->info.profiles[4].names[0], "URI:spiffe://e/*");
	r->info.cert = der;
	r->info.cert_len = 3;
	r->revoked = &rev;
	r->info.revoked = 1;
	assert_int_equal(kw_pki_ca_encode(r, &enc), KW_OK);
	assert_int_equal(kw_pki_ca_decode(enc->data, enc->len, &r2), KW_OK);
	assert_string_equal(r2->info.permitted[0], "DNS:example.com");
	assert_int_equal(r2->info.path_len, -1);
	assert_true(r2->info.profiles[4].enabled);
	assert_false(r2->info.profiles[1].enabled);
	assert_string_equal(r2->info.profiles[4].names[0], "URI:spiffe://e/*");
	assert_int_equal(r2->info.revoked, 1);
	assert_int_equal(r2->revoked[0].reason, 4);
	assert_int_equal(r2->revoked[0].serial_len, 2);
	kw_pki_ca_rec_free(r2);
	assert_int_equal(kw_pki_ca_decode(enc->data, enc->len / 2, &r2),
			 KW_E_INTEGRITY);
	kw_secret_free(enc);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dn),
		cmocka_unit_test(test_san),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_constraints),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
