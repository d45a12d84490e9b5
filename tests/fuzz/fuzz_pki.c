/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pki/internal.h"

/*
 * The PKI's parsers of outside input, chosen by the first byte:
 *   0  PKCS#10 requests (kw_csr_parse)        4  CA records (decoder)
 *   1  RFC 3161 requests (kw_ts_req_parse)    5  certificate records
 *   2  distinguished names as text            6  PEM certificate lists
 *   3  general names / constraints as text    7  certificates (DER)
 *   8  profile name patterns
 * Each may only fail cleanly; what it accepts must hold its invariants, and
 * the text forms must read back to what they were read as.
 */

static void csr(const uint8_t *d, size_t n)
{
	kw_csr *c = NULL;
	kw_key_type t;

	if (kw_csr_parse(d, n, &c) != KW_OK)
		return;
	if (c->n_sans > KW_SANS_MAX || c->subject.n > KW_DN_ATTRS_MAX ||
	    kw_spki_key_type(c->spki, c->spki_len, &t) != KW_OK ||
	    t != c->key_type)
		abort();
	kw_csr_free(c);
}

static void ts_req(const uint8_t *d, size_t n)
{
	kw_ts_req q;

	if (kw_ts_req_parse(d, n, &q) != KW_OK)
		return;
	if (q.imprint_len != kw_hash_size(q.hash) || q.imprint_len == 0 ||
	    (q.has_nonce && (q.nonce_len == 0 || q.nonce_len > 32)) ||
	    strlen(q.policy) > KW_TS_POLICY_MAX)
		abort();
}

/* NUL-terminated copy of d[0..n). */
static char *text(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);
	if (s == NULL)
		abort();
	memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

static void dn(const uint8_t *d, size_t n)
{
	char *s = text(d, n), out[KW_PKI_DN_MAX + 1];
	kw_dn a, b;

	if (kw_pki_dn_parse(s, &a, NULL, 0) != KW_OK) {
		free(s);
		return;
	}
	for (size_t i = 0; i < a.n; i++)
		if (!kw_dn_value_valid(a.attrs[i].value))
			abort();
	/* a name that fits its text form reads back the same */
	if (kw_pki_dn_format(&a, out, sizeof(out))) {
		if (kw_pki_dn_parse(out, &b, NULL, 0) != KW_OK || a.n != b.n)
			abort();
		for (size_t i = 0; i < a.n; i++)
			if (a.attrs[i].type != b.attrs[i].type ||
			    strcmp(a.attrs[i].value, b.attrs[i].value) != 0)
				abort();
	}
	free(s);
}

static void san(const uint8_t *d, size_t n)
{
	bool subtree = n > 0 && (d[0] & 1);
	char *s = text(d + (n > 0), n - (n > 0)), out[KW_PKI_NAME_MAX + 8];
	kw_san a, b;

	if (kw_pki_san_parse(s, subtree, &a, NULL, 0) == KW_OK) {
		kw_pki_san_format(&a, out, sizeof(out));
		if (kw_pki_san_parse(out, subtree, &b, NULL, 0) != KW_OK ||
		    a.type != b.type || strcmp(a.value, b.value) != 0)
			abort();
		(void)kw_pki_nc_allows(&a, &b, 1, NULL, 0);
	}
	free(s);
}

static void records(const uint8_t *d, size_t n, bool ca)
{
	kw_ca_rec *r = NULL;
	kw_cert_info *c = NULL;

	if (ca && kw_pki_ca_decode(d, n, &r) == KW_OK) {
		if (r->info.n_permitted > KW_CA_CONSTRAINTS_MAX ||
		    r->info.n_excluded > KW_CA_CONSTRAINTS_MAX ||
		    r->info.key_type >= KW_KEY_TYPE_COUNT_ ||
		    r->info.path_len < -1 || r->info.cert == NULL)
			abort();
		kw_pki_ca_rec_free(r);
	}
	if (!ca && kw_pki_cert_decode(d, n, &c) == KW_OK) {
		if (c->profile <= KW_PROFILE_NONE ||
		    c->profile >= KW_PROFILE_COUNT_ || c->sans == NULL ||
		    c->der == NULL || c->reason > 10)
			abort();
		kw_cert_info_free(c);
	}
}

static void pem(const uint8_t *d, size_t n)
{
	uint8_t **p = NULL;
	size_t *lens = NULL, k = 0;

	if (kw_pem_certs((const char *)d, n, 4, &p, &lens, &k) == KW_OK &&
	    (k == 0 || k > 4))
		abort();
	kw_blobs_free(p, lens, k);
}

static void cert(const uint8_t *d, size_t n)
{
	kw_x509_info *i = NULL;
	kw_x509_parts parts = {0};

	if (kw_x509_info_parse(d, n, &i) == KW_OK &&
	    (i->serial_len == 0 || i->serial_len > KW_X509_SERIAL_MAX ||
	     i->spki == NULL || kw_x509_parts_get(d, n, &parts) != KW_OK))
		abort();
	kw_x509_parts_clear(&parts);
	kw_x509_info_free(i);
}

static void pattern(const uint8_t *d, size_t n)
{
	static const kw_san names[] = {{KW_SAN_DNS, "www.example.com"},
				       {KW_SAN_IP, "10.1.2.3"},
				       {KW_SAN_EMAIL, "ci@example.com"},
				       {KW_SAN_URI, "spiffe://example.com/x"}};
	char *s = text(d, n);

	if (kw_pki_pattern_valid(s, NULL, 0) == KW_OK)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			(void)kw_pki_pattern_match(s, &names[i]);
	(void)kw_pki_glob(s, "www.example.com");
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *d = data + 1;
	size_t n = size - 1;

	if (size == 0)
		return 0;
	switch (data[0] % 9) {
	case 0:
		csr(d, n);
		break;
	case 1:
		ts_req(d, n);
		break;
	case 2:
		dn(d, n);
		break;
	case 3:
		san(d, n);
		break;
	case 4:
	case 5:
		records(d, n, data[0] % 9 == 4);
		break;
	case 6:
		pem(d, n);
		break;
	case 7:
		cert(d, n);
		break;
	default:
		pattern(d, n);
		break;
	}
	return 0;
}
