/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* Issuance profiles: what each profile puts into a certificate, what a
 * request may ask for under it, and the checks of a CA's rules. The table
 * is the contract of docs/pki.md. */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pki/internal.h"

#define BIT(x) (1u << (x))
#define DN_BASE                                                        \
	(BIT(KW_DN_CN) | BIT(KW_DN_O) | BIT(KW_DN_OU) | BIT(KW_DN_C) | \
	 BIT(KW_DN_ST) | BIT(KW_DN_L))

typedef struct profile_def {
	const char *name;
	uint32_t eku;
	bool eku_critical;
	uint32_t ku;	 /* always */
	uint32_t ku_rsa; /* added for RSA keys (key transport) */
	unsigned san_types;
	unsigned dn_types;
	uint32_t max_days;
	bool cn_is_host; /* the CN is a host name: checked, and put into
			  * the SANs (tls-server) */
	const char *default_names[4];
} profile_def;

static const profile_def defs[KW_PROFILE_COUNT_] = {
	[KW_PROFILE_TLS_SERVER] =
		{
			.name = "tls-server",
			.eku = KW_EKU_SERVER_AUTH,
			.ku = KW_KU_DIGITAL_SIGNATURE,
			.ku_rsa = KW_KU_KEY_ENCIPHERMENT,
			.san_types = BIT(KW_SAN_DNS) | BIT(KW_SAN_IP),
			.dn_types = DN_BASE,
			.max_days = 397,
			.cn_is_host = true,
			.default_names = {"DNS:*", "IP:*"},
		},
	[KW_PROFILE_TLS_CLIENT] =
		{
			.name = "tls-client",
			.eku = KW_EKU_CLIENT_AUTH,
			.ku = KW_KU_DIGITAL_SIGNATURE,
			.san_types = BIT(KW_SAN_DNS) | BIT(KW_SAN_IP) |
				     BIT(KW_SAN_EMAIL) | BIT(KW_SAN_URI),
			.dn_types = DN_BASE | BIT(KW_DN_SERIAL),
			.max_days = 397,
			.default_names = {"DNS:*", "IP:*", "email:*", "URI:*"},
		},
	[KW_PROFILE_CODE_SIGNING] =
		{
			.name = "code-signing",
			.eku = KW_EKU_CODE_SIGNING,
			.ku = KW_KU_DIGITAL_SIGNATURE,
			.san_types = BIT(KW_SAN_EMAIL) | BIT(KW_SAN_URI),
			.dn_types = DN_BASE,
			.max_days = 1095,
			.default_names = {"email:*", "URI:*"},
		},
	[KW_PROFILE_DEVICE] =
		{
			.name = "device",
			.eku = KW_EKU_CLIENT_AUTH | KW_EKU_SERVER_AUTH,
			.ku = KW_KU_DIGITAL_SIGNATURE,
			.ku_rsa = KW_KU_KEY_ENCIPHERMENT,
			.san_types = BIT(KW_SAN_DNS) | BIT(KW_SAN_IP) |
				     BIT(KW_SAN_URI),
			.dn_types = DN_BASE | BIT(KW_DN_SERIAL),
			.max_days = 1825,
			.default_names = {"DNS:*", "IP:*", "URI:*"},
		},
	/* RFC 3161 2.3: the only extended key usage, and critical */
	[KW_PROFILE_TIME_STAMPING] =
		{
			.name = "time-stamping",
			.eku = KW_EKU_TIME_STAMPING,
			.eku_critical = true,
			.ku = KW_KU_DIGITAL_SIGNATURE,
			.dn_types = DN_BASE,
			.max_days = 3650,
		},
	[KW_PROFILE_CA] = {.name = "ca"},
};

const char *kw_profile_name(kw_profile p)
{
	return p > KW_PROFILE_NONE && p < KW_PROFILE_COUNT_ ? defs[p].name
							    : NULL;
}

kw_rc kw_profile_parse(const char *name, kw_profile *out)
{
	if (name == NULL || out == NULL)
		return KW_E_INVALID;
	for (int p = KW_PROFILE_TLS_SERVER; p < KW_PROFILE_CA; p++) {
		if (strcmp(defs[p].name, name) == 0) {
			*out = (kw_profile)p;
			return KW_OK;
		}
	}
	return KW_E_INVALID;
}

void kw_profile_rules_default(kw_profile p, kw_profile_rules *out)
{
	memset(out, 0, sizeof(*out));
	out->enabled = p > KW_PROFILE_NONE && p < KW_PROFILE_CA;
}

uint32_t kw_profile_max_days(kw_profile p, const kw_profile_rules *r)
{
	if (p <= KW_PROFILE_NONE || p >= KW_PROFILE_CA)
		return 0;
	return r != NULL && r->max_days != 0 ? r->max_days : defs[p].max_days;
}

kw_rc kw_pki_rules_valid(kw_profile p, const kw_profile_rules *r, char *err,
			 size_t err_len)
{
	const profile_def *d = &defs[p < KW_PROFILE_COUNT_ ? p : 0];
	kw_san s;

	if (d->name == NULL || p == KW_PROFILE_CA)
		return KW_E_INVALID;
	if (r->max_days > KW_PKI_DAYS_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "%s: max_days over %d", d->name,
				   KW_PKI_DAYS_MAX);
	if (r->n_names > KW_PROFILE_PATTERNS_MAX ||
	    r->n_cn > KW_PROFILE_PATTERNS_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "%s: more than %d patterns", d->name,
				   KW_PROFILE_PATTERNS_MAX);
	for (size_t i = 0; i < r->n_names; i++) {
		char why[128] = "";
		kw_rc rc = kw_pki_pattern_valid(r->names[i], why, sizeof(why));
		if (rc != KW_OK)
			return kw_pki_fail(err, err_len, rc,
					   "%s: names[%zu]: %s", d->name, i,
					   why);
		/* the type of a pattern must be one the profile issues */
		memset(&s, 0, sizeof(s));
		for (int t = KW_SAN_DNS; t < KW_SAN_TYPE_COUNT_; t++) {
			const char *tn = kw_san_type_name((kw_san_type)t);
			if (strncasecmp(r->names[i], tn, strlen(tn)) == 0 &&
			    r->names[i][strlen(tn)] == ':')
				s.type = (kw_san_type)t;
		}
		if ((d->san_types & BIT(s.type)) == 0)
			return kw_pki_fail(err, err_len, KW_E_INVALID,
					   "%s: names[%zu]: %s certificates "
					   "carry no %s names",
					   d->name, i, d->name,
					   kw_san_type_name(s.type));
	}
	for (size_t i = 0; i < r->n_cn; i++)
		if (r->cn[i][0] == '\0' || strlen(r->cn[i]) > KW_DN_VALUE_MAX)
			return kw_pki_fail(err, err_len, KW_E_INVALID,
					   "%s: cn[%zu]: empty or too long",
					   d->name, i);
	return KW_OK;
}

/* ---- issuance ------------------------------------------------------------ */

static bool name_allowed(const profile_def *d, const kw_profile_rules *r,
			 const kw_san *n)
{
	if (r->n_names == 0) {
		for (size_t i = 0; i < 4 && d->default_names[i] != NULL; i++)
			if (kw_pki_pattern_match(d->default_names[i], n))
				return true;
		return false;
	}
	for (size_t i = 0; i < r->n_names; i++)
		if (kw_pki_pattern_match(r->names[i], n))
			return true;
	return false;
}

static bool cn_allowed(const kw_profile_rules *r, const char *cn)
{
	if (r->n_cn == 0)
		return true;
	for (size_t i = 0; i < r->n_cn; i++)
		if (kw_pki_glob(r->cn[i], cn))
			return true;
	return false;
}

/* What the request asks beyond the names: refused unless the profile
 * gives it anyway. */
static kw_rc check_asked(const profile_def *d, const kw_pki_ask *a, uint32_t ku,
			 char *err, size_t err_len)
{
	const kw_csr *c = a->csr;

	if (a->odd_names)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "the request holds names keywarden does "
				   "not issue (directory or other names, "
				   "multi-valued or unknown name "
				   "attributes): override them");
	if (c == NULL)
		return KW_OK;
	if (c->ca)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "the request asks for a CA certificate; "
				   "%s certificates are not CAs",
				   d->name);
	if (c->has_eku && (c->eku & ~d->eku) != 0) {
		uint32_t extra = c->eku & ~d->eku;
		const char *n = NULL;
		for (unsigned b = 0; b < 31 && n == NULL; b++)
			if (extra & (1u << b))
				n = kw_eku_name(1u << b);
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "the request asks for extended key usage "
				   "%s, which the %s profile does not allow",
				   n != NULL ? n : "(another purpose)",
				   d->name);
	}
	if (c->has_ku && (c->ku & ~ku) != 0)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "the request asks for key usages the %s "
				   "profile does not allow",
				   d->name);
	return KW_OK;
}

/* Subject attributes and the common name. */
static kw_rc check_subject(const profile_def *d, const kw_profile_rules *r,
			   const kw_dn *dn, const char *ca, char *err,
			   size_t err_len)
{
	for (size_t i = 0; i < dn->n; i++)
		if ((d->dn_types & BIT(dn->attrs[i].type)) == 0)
			return kw_pki_fail(err, err_len, KW_E_INVALID,
					   "name attribute %s is not allowed "
					   "in %s certificates",
					   kw_dn_type_name(dn->attrs[i].type),
					   d->name);
	const char *cn = kw_pki_dn_get(dn, KW_DN_CN);
	if (cn != NULL && !cn_allowed(r, cn))
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "common name \"%.64s\" is not allowed by "
				   "the %s rules of CA %s",
				   cn, d->name, ca);
	return KW_OK;
}

/* Adds the CN of a host certificate to the SANs when it is not there. */
static kw_rc cn_to_san(const kw_dn *dn, kw_san *sans, size_t *n, char *err,
		       size_t err_len)
{
	const char *cn = kw_pki_dn_get(dn, KW_DN_CN);
	char text[KW_PKI_NAME_MAX + 8];
	kw_san s;

	if (cn == NULL)
		return KW_OK;
	snprintf(text, sizeof(text), "%s:%s",
		 strchr(cn, ':') != NULL ||
				 strspn(cn, "0123456789.") == strlen(cn)
			 ? "IP"
			 : "DNS",
		 cn);
	if (kw_pki_san_parse(text, false, &s, NULL, 0) != KW_OK)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "the common name of a tls-server "
				   "certificate must be a host name or IP "
				   "address");
	for (size_t i = 0; i < *n; i++)
		if (sans[i].type == s.type &&
		    strcmp(sans[i].value, s.value) == 0)
			return KW_OK;
	if (*n == KW_SANS_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "more than %d names", KW_SANS_MAX);
	sans[(*n)++] = s;
	return KW_OK;
}

/* The name constraints of one CA of the chain, parsed. */
static kw_rc check_constraints(const kw_ca_rec *ca, const kw_san *sans,
			       size_t n, char *err, size_t err_len)
{
	kw_san perm[KW_CA_CONSTRAINTS_MAX], excl[KW_CA_CONSTRAINTS_MAX];
	const kw_ca_info *c = &ca->info;

	for (size_t i = 0; i < c->n_permitted; i++)
		if (kw_pki_san_parse(c->permitted[i], true, &perm[i], NULL,
				     0) != KW_OK)
			return KW_E_INTEGRITY;
	for (size_t i = 0; i < c->n_excluded; i++)
		if (kw_pki_san_parse(c->excluded[i], true, &excl[i], NULL, 0) !=
		    KW_OK)
			return KW_E_INTEGRITY;
	for (size_t i = 0; i < n; i++) {
		if (!kw_pki_nc_allows(&sans[i], perm, c->n_permitted, excl,
				      c->n_excluded)) {
			char t[KW_PKI_NAME_MAX + 8];
			kw_pki_san_format(&sans[i], t, sizeof(t));
			return kw_pki_fail(err, err_len, KW_E_INVALID,
					   "%.100s is outside the name "
					   "constraints of CA %s",
					   t, c->name);
		}
	}
	return KW_OK;
}

kw_rc kw_pki_profile_apply(const kw_ca_rec *const *chain, size_t n_chain,
			   const kw_pki_ask *a, kw_san *sans, size_t *n_sans,
			   kw_x509_tbs *t, char *err, size_t err_len)
{
	const kw_ca_rec *ca = chain[0];
	const profile_def *d = &defs[a->profile];
	const kw_profile_rules *r = &ca->info.profiles[a->profile];
	uint32_t ku = d->ku | (kw_key_type_class(a->key_type) == KW_CLASS_RSA
				       ? d->ku_rsa
				       : 0);
	kw_rc rc;

	if (a->profile <= KW_PROFILE_NONE || a->profile >= KW_PROFILE_CA)
		return KW_E_INVALID;
	if (!r->enabled)
		return kw_pki_fail(err, err_len, KW_E_STATE,
				   "CA %s does not issue %s certificates",
				   ca->info.name, d->name);
	rc = check_asked(d, a, ku, err, err_len);
	if (rc == KW_OK)
		rc = check_subject(d, r, a->subject, ca->info.name, err,
				   err_len);
	if (rc == KW_OK && d->cn_is_host)
		rc = cn_to_san(a->subject, sans, n_sans, err, err_len);
	if (rc != KW_OK)
		return rc;
	for (size_t i = 0; i < *n_sans; i++) {
		char text[KW_PKI_NAME_MAX + 8];
		kw_pki_san_format(&sans[i], text, sizeof(text));
		if ((d->san_types & BIT(sans[i].type)) == 0)
			return kw_pki_fail(
				err, err_len, KW_E_INVALID,
				"%s certificates carry no %s names "
				"(%.100s)",
				d->name, kw_san_type_name(sans[i].type), text);
		if (!name_allowed(d, r, &sans[i]))
			return kw_pki_fail(err, err_len, KW_E_INVALID,
					   "%.100s is not allowed by the %s "
					   "rules of CA %s",
					   text, d->name, ca->info.name);
	}
	if (d->cn_is_host && *n_sans == 0)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "a tls-server certificate needs a host "
				   "name (CN or DNS:/IP: names)");
	if (a->subject->n == 0 && *n_sans == 0)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "the certificate would name nobody: give a "
				   "subject or names");
	for (size_t i = 0; i < n_chain; i++) {
		rc = check_constraints(chain[i], sans, *n_sans, err, err_len);
		if (rc != KW_OK)
			return rc;
	}
	t->ku = ku;
	t->eku = d->eku;
	t->eku_critical = d->eku_critical;
	return KW_OK;
}
