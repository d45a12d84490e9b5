/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* Names, general names, key usages and key types: the plain types of
 * pki.h and their OpenSSL counterparts. */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "crypto/internal.h"
#include "crypto/x509_int.h"

static const struct {
	const char *name;
	int nid;
} dn_types[KW_DN_TYPE_COUNT_] = {
	[KW_DN_CN] = {"CN", NID_commonName},
	[KW_DN_O] = {"O", NID_organizationName},
	[KW_DN_OU] = {"OU", NID_organizationalUnitName},
	[KW_DN_C] = {"C", NID_countryName},
	[KW_DN_ST] = {"ST", NID_stateOrProvinceName},
	[KW_DN_L] = {"L", NID_localityName},
	[KW_DN_SERIAL] = {"serialNumber", NID_serialNumber},
	[KW_DN_EMAIL] = {"emailAddress", NID_pkcs9_emailAddress},
	[KW_DN_DC] = {"DC", NID_domainComponent},
};

const char *kw_dn_type_name(kw_dn_type t)
{
	return t > KW_DN_NONE && t < KW_DN_TYPE_COUNT_ ? dn_types[t].name
						       : NULL;
}

kw_rc kw_dn_type_parse(const char *name, size_t len, kw_dn_type *out)
{
	if (name == NULL || out == NULL)
		return KW_E_INVALID;
	for (int t = KW_DN_CN; t < KW_DN_TYPE_COUNT_; t++) {
		if (strlen(dn_types[t].name) == len &&
		    strncasecmp(dn_types[t].name, name, len) == 0) {
			*out = (kw_dn_type)t;
			return KW_OK;
		}
	}
	return KW_E_UNSUPPORTED;
}

const char *kw_san_type_name(kw_san_type t)
{
	static const char *const names[KW_SAN_TYPE_COUNT_] = {
		[KW_SAN_DNS] = "DNS",
		[KW_SAN_IP] = "IP",
		[KW_SAN_EMAIL] = "email",
		[KW_SAN_URI] = "URI",
	};
	return t > KW_SAN_NONE && t < KW_SAN_TYPE_COUNT_ ? names[t] : NULL;
}

static const struct {
	uint32_t bit;
	int nid;
	const char *name;
} ekus[] = {
	{KW_EKU_SERVER_AUTH, NID_server_auth, "serverAuth"},
	{KW_EKU_CLIENT_AUTH, NID_client_auth, "clientAuth"},
	{KW_EKU_CODE_SIGNING, NID_code_sign, "codeSigning"},
	{KW_EKU_EMAIL_PROTECTION, NID_email_protect, "emailProtection"},
	{KW_EKU_TIME_STAMPING, NID_time_stamp, "timeStamping"},
	{KW_EKU_OCSP_SIGNING, NID_OCSP_sign, "OCSPSigning"},
};

const char *kw_eku_name(uint32_t single_bit)
{
	for (size_t i = 0; i < sizeof(ekus) / sizeof(ekus[0]); i++)
		if (ekus[i].bit == single_bit)
			return ekus[i].name;
	return NULL;
}

uint32_t kw_eku_bits(const EXTENDED_KEY_USAGE *eku)
{
	uint32_t bits = 0;

	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		uint32_t bit = KW_EKU_OTHER;
		for (size_t k = 0; k < sizeof(ekus) / sizeof(ekus[0]); k++)
			if (ekus[k].nid == nid)
				bit = ekus[k].bit;
		bits |= bit;
	}
	return bits;
}

uint32_t kw_ku_bits(const ASN1_BIT_STRING *ku)
{
	uint32_t bits = 0;

	for (int i = 0; i <= 8; i++)
		if (ASN1_BIT_STRING_get_bit(ku, i))
			bits |= 1u << i;
	return bits;
}

/* ---- distinguished names --------------------------------------------------- */

/* Well-formed UTF-8 (no overlong forms, no surrogates) without control
 * characters. */
static bool utf8_text(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t more;
		unsigned cp;
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= more)
			return false;
		for (size_t k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((more == 2 &&
		     (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (more == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += more + 1;
	}
	return true;
}

bool kw_dn_value_valid(const char *s)
{
	size_t n = s != NULL ? strnlen(s, KW_DN_VALUE_MAX + 1) : 0;
	return n >= 1 && n <= KW_DN_VALUE_MAX &&
	       utf8_text((const unsigned char *)s, n);
}

X509_NAME *kw_dn_to_x509(const kw_dn *dn)
{
	X509_NAME *n = X509_NAME_new();

	for (size_t i = 0; n != NULL && i < dn->n; i++) {
		const kw_dn_attr *a = &dn->attrs[i];
		const char *tn = kw_dn_type_name(a->type);
		size_t len = strnlen(a->value, sizeof(a->value));
		if (tn == NULL || len == 0 || len > KW_DN_VALUE_MAX ||
		    !utf8_text((const unsigned char *)a->value, len) ||
		    X509_NAME_add_entry_by_NID(n, dn_types[a->type].nid,
					       MBSTRING_UTF8,
					       (const unsigned char *)a->value,
					       (int)len, -1, 0) != 1) {
			X509_NAME_free(n);
			n = NULL;
		}
	}
	ERR_clear_error();
	return n;
}

kw_rc kw_dn_from_x509(const X509_NAME *n, kw_dn *out, bool *unrepresentable)
{
	kw_rc rc = KW_OK;
	kw_dn *dn = calloc(1, sizeof(*dn));
	bool odd = false;
	int last_set = -1;

	if (dn == NULL)
		return KW_E_NOMEM;
	for (int i = 0; rc == KW_OK && i < X509_NAME_entry_count(n); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		int set = X509_NAME_ENTRY_set(e);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		kw_dn_type t = KW_DN_NONE;
		unsigned char *u = NULL;
		int len;

		if (set == last_set)
			odd = true; /* a multi-valued RDN */
		last_set = set;
		for (int k = KW_DN_CN; k < KW_DN_TYPE_COUNT_; k++)
			if (dn_types[k].nid == nid)
				t = (kw_dn_type)k;
		if (t == KW_DN_NONE) {
			odd = true;
			continue;
		}
		rc = KW_E_LIMIT;
		if (dn->n == KW_DN_ATTRS_MAX)
			break;
		rc = KW_E_INVALID;
		len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
		if (len > 0 && (size_t)len <= KW_DN_VALUE_MAX &&
		    memchr(u, 0, (size_t)len) == NULL &&
		    utf8_text(u, (size_t)len)) {
			dn->attrs[dn->n].type = t;
			memcpy(dn->attrs[dn->n].value, u, (size_t)len);
			dn->attrs[dn->n].value[len] = '\0';
			dn->n++;
			rc = KW_OK;
		}
		OPENSSL_free(u);
	}
	ERR_clear_error();
	if (rc == KW_OK) {
		*out = *dn;
		if (unrepresentable != NULL)
			*unrepresentable = odd;
	}
	free(dn);
	return rc;
}

/* ---- general names ------------------------------------------------------------ */

static bool ascii_text(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return n > 0;
}

/* "addr" (subtree false) or "addr/prefix" into bytes: address, then the
 * mask for a subtree. Returns the byte count, 0 if malformed. */
static size_t ip_parse(const char *text, bool subtree, uint8_t out[32])
{
	char buf[KW_SAN_VALUE_MAX + 1];
	const char *slash = strchr(text, '/');
	size_t alen, plen;
	long prefix = -1;

	if ((slash != NULL) != subtree || strlen(text) > KW_SAN_VALUE_MAX)
		return 0;
	memcpy(buf, text, strlen(text) + 1);
	if (slash != NULL) {
		char *end;
		buf[slash - text] = '\0';
		prefix = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0')
			return 0;
	}
	if (inet_pton(AF_INET, buf, out) == 1)
		alen = 4;
	else if (inet_pton(AF_INET6, buf, out) == 1)
		alen = 16;
	else
		return 0;
	if (!subtree)
		return alen;
	if (prefix < 0 || (size_t)prefix > alen * 8)
		return 0;
	plen = (size_t)prefix;
	for (size_t i = 0; i < alen; i++) {
		size_t bits = plen >= 8 * (i + 1) ? 8
			      : plen > 8 * i	  ? plen - 8 * i
						  : 0;
		uint8_t m = (uint8_t)(0xff00u >> bits);
		out[alen + i] = m;
		if ((out[i] & (uint8_t)~m) != 0)
			return 0; /* host bits set under the mask */
	}
	return 2 * alen;
}

GENERAL_NAME *kw_san_to_gen(const kw_san *s, bool subtree)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_STRING *v = NULL;
	size_t len = strnlen(s->value, sizeof(s->value));
	int type = -1;
	uint8_t ip[32];
	size_t ip_len = 0;

	switch (s->type) {
	case KW_SAN_DNS:
		type = GEN_DNS;
		break;
	case KW_SAN_EMAIL:
		type = GEN_EMAIL;
		break;
	case KW_SAN_URI:
		type = GEN_URI;
		break;
	case KW_SAN_IP:
		type = GEN_IPADD;
		ip_len = ip_parse(s->value, subtree, ip);
		break;
	default:
		break;
	}
	if (g == NULL || type < 0 || len > KW_SAN_VALUE_MAX ||
	    (type == GEN_IPADD && ip_len == 0) ||
	    (type != GEN_IPADD &&
	     !ascii_text((const unsigned char *)s->value, len)))
		goto fail;
	v = type == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
	if (v == NULL ||
	    ASN1_STRING_set(v, type == GEN_IPADD ? (const void *)ip : s->value,
			    (int)(type == GEN_IPADD ? ip_len : len)) != 1)
		goto fail;
	GENERAL_NAME_set0_value(g, type, v);
	return g;
fail:
	ASN1_STRING_free(v);
	GENERAL_NAME_free(g);
	return NULL;
}

/* Text of an IP address (4 or 16 bytes) or subtree (8 or 32). */
static kw_rc ip_text(const unsigned char *b, size_t n, char *out, size_t size)
{
	size_t alen = n == 4 || n == 8 ? 4 : 16;
	int prefix = 0;
	bool ended = false;

	if (n != 4 && n != 16 && n != 8 && n != 32)
		return KW_E_INVALID;
	if (inet_ntop(alen == 4 ? AF_INET : AF_INET6, b, out,
		      (socklen_t)size) == NULL)
		return KW_E_INVALID;
	if (n == alen)
		return KW_OK;
	for (size_t i = 0; i < alen; i++) {
		for (int bit = 7; bit >= 0; bit--) {
			bool on = (b[alen + i] >> bit) & 1;
			if (on && ended)
				return KW_E_INVALID; /* not a prefix mask */
			if (on)
				prefix++;
			else
				ended = true;
		}
	}
	size_t used = strlen(out);
	if (snprintf(out + used, size - used, "/%d", prefix) >=
	    (int)(size - used))
		return KW_E_INVALID;
	return KW_OK;
}

kw_rc kw_san_from_gen(const GENERAL_NAME *g, kw_san *out)
{
	int type;
	const ASN1_STRING *v = GENERAL_NAME_get0_value(g, &type);
	kw_san s = {0};
	const unsigned char *d = v != NULL ? ASN1_STRING_get0_data(v) : NULL;
	size_t n = v != NULL ? (size_t)ASN1_STRING_length(v) : 0;

	switch (type) {
	case GEN_DNS:
		s.type = KW_SAN_DNS;
		break;
	case GEN_EMAIL:
		s.type = KW_SAN_EMAIL;
		break;
	case GEN_URI:
		s.type = KW_SAN_URI;
		break;
	case GEN_IPADD:
		s.type = KW_SAN_IP;
		break;
	default:
		return KW_E_UNSUPPORTED;
	}
	if (d == NULL)
		return KW_E_INVALID;
	if (s.type == KW_SAN_IP) {
		if (ip_text(d, n, s.value, sizeof(s.value)) != KW_OK)
			return KW_E_INVALID;
	} else {
		if (n > KW_SAN_VALUE_MAX || !ascii_text(d, n))
			return KW_E_INVALID;
		memcpy(s.value, d, n);
	}
	*out = s;
	return KW_OK;
}

/* ---- key types ---------------------------------------------------------------- */

kw_rc kw_pkey_key_type(EVP_PKEY *pkey, kw_key_type *out)
{
	static const kw_key_type ec[] = {KW_KEY_EC_P256, KW_KEY_EC_P384,
					 KW_KEY_EC_P521};
	char group[64];
	size_t glen = 0;

	if (pkey == NULL)
		return KW_E_INVALID; /* a public key OpenSSL cannot decode */
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(pkey)) {
		case 2048:
			*out = KW_KEY_RSA_2048;
			return KW_OK;
		case 3072:
			*out = KW_KEY_RSA_3072;
			return KW_OK;
		case 4096:
			*out = KW_KEY_RSA_4096;
			return KW_OK;
		default:
			return KW_E_UNSUPPORTED;
		}
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(
			    pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
			    sizeof(group), &glen) != 1) {
			ERR_clear_error();
			return KW_E_UNSUPPORTED;
		}
		for (size_t i = 0; i < sizeof(ec) / sizeof(ec[0]); i++) {
			if (strcmp(group, kw_ec_group(ec[i])) == 0) {
				*out = ec[i];
				return KW_OK;
			}
		}
		return KW_E_UNSUPPORTED;
	case EVP_PKEY_ED25519:
		*out = KW_KEY_ED25519;
		return KW_OK;
	default:
		return KW_E_UNSUPPORTED;
	}
}

kw_hash kw_x509_sig_hash(kw_key_type t)
{
	switch (t) {
	case KW_KEY_RSA_2048:
	case KW_KEY_RSA_3072:
	case KW_KEY_RSA_4096:
	case KW_KEY_EC_P256:
		return KW_HASH_SHA256;
	case KW_KEY_EC_P384:
		return KW_HASH_SHA384;
	case KW_KEY_EC_P521:
		return KW_HASH_SHA512;
	default:
		return KW_HASH_NONE;
	}
}

kw_rc kw_sig_alg(kw_der *d, kw_key_type t, kw_hash h)
{
	static const int rsa[KW_HASH_COUNT_] = {
		[KW_HASH_SHA256] = NID_sha256WithRSAEncryption,
		[KW_HASH_SHA384] = NID_sha384WithRSAEncryption,
		[KW_HASH_SHA512] = NID_sha512WithRSAEncryption,
	};
	static const int ecdsa[KW_HASH_COUNT_] = {
		[KW_HASH_SHA256] = NID_ecdsa_with_SHA256,
		[KW_HASH_SHA384] = NID_ecdsa_with_SHA384,
		[KW_HASH_SHA512] = NID_ecdsa_with_SHA512,
	};
	unsigned hi = (unsigned)h < KW_HASH_COUNT_ ? (unsigned)h : 0;

	switch (kw_key_type_class(t)) {
	case KW_CLASS_RSA:
		if (rsa[hi] == 0)
			return KW_E_UNSUPPORTED;
		kw_der_alg(d, rsa[hi], true);
		return KW_OK;
	case KW_CLASS_EC:
		if (ecdsa[hi] == 0)
			return KW_E_UNSUPPORTED;
		kw_der_alg(d, ecdsa[hi], false);
		return KW_OK;
	case KW_CLASS_EDDSA:
		if (h != KW_HASH_NONE)
			return KW_E_UNSUPPORTED;
		kw_der_alg(d, NID_ED25519, false);
		return KW_OK;
	default:
		return KW_E_UNSUPPORTED;
	}
}
