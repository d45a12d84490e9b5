/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */

/* Names as text: distinguished names, general names, the patterns of
 * issuance profiles and RFC 5280 name constraints. */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pki/internal.h"

/* ---- distinguished names ------------------------------------------------ */

/* Copies s[0..n) into out trimming unescaped spaces at both ends and
 * removing escapes. false if the result is too long or a '\' ends s. */
static bool unescape(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0, last_kept = 0;
	bool started = false;

	for (size_t i = 0; i < n; i++) {
		bool esc = s[i] == '\\';
		if (esc && ++i == n)
			return false;
		if (!esc && !started && s[i] == ' ')
			continue;
		started = true;
		if (o + 1 >= size)
			return false;
		out[o++] = s[i];
		if (esc || s[i] != ' ')
			last_kept = o;
	}
	out[last_kept] = '\0';
	return true;
}

/* One "type=value" element. */
static kw_rc dn_elem(const char *s, size_t n, kw_dn *dn, char *err,
		     size_t err_len)
{
	const char *eq = memchr(s, '=', n);
	size_t tl;
	kw_dn_type t;
	kw_dn_attr *a;

	if (eq == NULL)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "name element without '='");
	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	tl = (size_t)(eq - s);
	while (tl > 0 && s[tl - 1] == ' ')
		tl--;
	if (kw_dn_type_parse(s, tl, &t) != KW_OK)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "unknown name attribute \"%.*s\" (use CN, "
				   "O, OU, C, ST, L, serialNumber, DC)",
				   (int)(tl < 32 ? tl : 32), s);
	if (dn->n == KW_DN_ATTRS_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "more than %d name attributes",
				   KW_DN_ATTRS_MAX);
	a = &dn->attrs[dn->n];
	memset(a->value, 0, sizeof(a->value));
	if (!unescape(eq + 1, n - (size_t)(eq + 1 - s), a->value,
		      sizeof(a->value)) ||
	    !kw_dn_value_valid(a->value))
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "%s: an empty, too long (over %d bytes), "
				   "badly escaped or not UTF-8 value",
				   kw_dn_type_name(t), KW_DN_VALUE_MAX);
	a->type = t;
	dn->n++;
	return KW_OK;
}

kw_rc kw_pki_dn_parse(const char *text, kw_dn *out, char *err, size_t err_len)
{
	kw_dn dn;
	char sep = ',';
	const char *s = text, *start;
	kw_rc rc = KW_OK;

	memset(&dn, 0, sizeof(dn));
	if (text == NULL || out == NULL)
		return KW_E_INVALID;
	if (strlen(text) > KW_PKI_DN_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "name over %d bytes", KW_PKI_DN_MAX);
	if (*s == '/') { /* openssl -subj style */
		sep = '/';
		s++;
	}
	start = s;
	while (rc == KW_OK && *start != '\0') {
		const char *e = start;
		while (*e != '\0' && *e != sep) {
			if (*e == '+')
				return kw_pki_fail(err, err_len, KW_E_INVALID,
						   "multi-valued name "
						   "elements ('+') are not "
						   "supported");
			if (*e == '\\' && e[1] != '\0')
				e++;
			e++;
		}
		rc = dn_elem(start, (size_t)(e - start), &dn, err, err_len);
		start = *e == sep ? e + 1 : e;
	}
	if (rc == KW_OK)
		*out = dn;
	return rc;
}

bool kw_pki_dn_format(const kw_dn *dn, char *out, size_t size)
{
	size_t o = 0;
	bool whole = true;

	for (size_t i = 0; i < dn->n && whole; i++) {
		const char *v = dn->attrs[i].value;
		size_t n = strlen(v);
		int w = snprintf(out + o, size - o, "%s%s=", i > 0 ? "," : "",
				 kw_dn_type_name(dn->attrs[i].type));
		if (w < 0 || (size_t)w >= size - o) {
			whole = false;
			break;
		}
		o += (size_t)w;
		for (size_t k = 0; k < n && whole; k++) {
			bool esc = strchr(",+\"\\<>;=", v[k]) != NULL ||
				   (k == 0 && (v[k] == '#' || v[k] == ' ')) ||
				   (k == n - 1 && v[k] == ' ');
			whole = o + 2 < size;
			if (whole && esc)
				out[o++] = '\\';
			if (whole)
				out[o++] = v[k];
		}
	}
	out[o < size ? o : size - 1] = '\0';
	return whole;
}

const char *kw_pki_dn_get(const kw_dn *dn, kw_dn_type t)
{
	for (size_t i = 0; i < dn->n; i++)
		if (dn->attrs[i].type == t)
			return dn->attrs[i].value;
	return NULL;
}

/* ---- general names --------------------------------------------------------- */

/* A host name of LDH labels (1..63 each, 253 at most), lowercased in
 * place; a first label "*" when wildcard. */
static bool dns_ok(char *s, bool wildcard)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253 || s[n - 1] == '.')
		return false;
	if (wildcard && strncmp(s, "*.", 2) == 0)
		s += 2;
	for (char *c = s; *c != '\0'; c++) {
		*c = (char)tolower((unsigned char)*c);
		if (*c == '.') {
			if (label == 0 || c[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*c) || *c == '-') ||
		    (label == 0 && *c == '-') || ++label > 63)
			return false;
	}
	return label > 0 && s[strlen(s) - 1] != '-';
}

static bool ascii_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/* Canonical text of an IP address, or "addr/prefix" with subtree. */
static bool ip_norm(char *v, size_t size, bool subtree)
{
	char addr[64];
	unsigned char b[16];
	const char *slash = strchr(v, '/');
	size_t al = slash != NULL ? (size_t)(slash - v) : strlen(v);
	int fam, prefix = -1;

	if ((slash != NULL) != subtree || al >= sizeof(addr))
		return false;
	memcpy(addr, v, al);
	addr[al] = '\0';
	fam = inet_pton(AF_INET, addr, b) == 1	  ? AF_INET
	      : inet_pton(AF_INET6, addr, b) == 1 ? AF_INET6
						  : 0;
	if (fam == 0)
		return false;
	if (subtree) {
		char *end;
		long l = strtol(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end != '\0' ||
		    l < 0 || l > (fam == AF_INET ? 32 : 128))
			return false;
		prefix = (int)l;
		for (int i = prefix; i < (fam == AF_INET ? 32 : 128); i++)
			if ((b[i / 8] >> (7 - i % 8)) & 1)
				return false; /* host bits under the mask */
	}
	if (inet_ntop(fam, b, addr, sizeof(addr)) == NULL)
		return false;
	if (subtree)
		return snprintf(v, size, "%s/%d", addr, prefix) < (int)size;
	return snprintf(v, size, "%s", addr) < (int)size;
}

static bool value_ok(kw_san *s, bool subtree)
{
	char *v = s->value, *at;

	switch (s->type) {
	case KW_SAN_DNS:
		return subtree ? dns_ok(v[0] == '.' ? v + 1 : v, false)
			       : dns_ok(v, true);
	case KW_SAN_IP:
		return ip_norm(v, sizeof(s->value), subtree);
	case KW_SAN_EMAIL:
		at = strchr(v, '@');
		if (!ascii_ok(v))
			return false;
		if (at == NULL) /* a subtree: a domain */
			return subtree &&
			       dns_ok(v[0] == '.' ? v + 1 : v, false);
		return at != v && strchr(at + 1, '@') == NULL &&
		       dns_ok(at + 1, false);
	case KW_SAN_URI:
		if (subtree)
			return dns_ok(v[0] == '.' ? v + 1 : v, false);
		return ascii_ok(v) && strchr(v, ':') != NULL && v[0] != ':';
	default:
		return false;
	}
}

kw_rc kw_pki_san_parse(const char *text, bool subtree, kw_san *out, char *err,
		       size_t err_len)
{
	static const kw_san_type types[] = {KW_SAN_DNS, KW_SAN_IP, KW_SAN_EMAIL,
					    KW_SAN_URI};
	const char *colon = text != NULL ? strchr(text, ':') : NULL;
	kw_san s;

	memset(&s, 0, sizeof(s));
	if (colon == NULL)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "a name needs a type: DNS:, IP:, email: or "
				   "URI:");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const char *tn = kw_san_type_name(types[i]);
		if (strlen(tn) == (size_t)(colon - text) &&
		    strncasecmp(tn, text, strlen(tn)) == 0)
			s.type = types[i];
	}
	if (s.type == KW_SAN_NONE)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "unknown name type (use DNS:, IP:, email: "
				   "or URI:)");
	if (strlen(colon + 1) > KW_SAN_VALUE_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "%s name over %d bytes",
				   kw_san_type_name(s.type), KW_SAN_VALUE_MAX);
	memcpy(s.value, colon + 1, strlen(colon + 1) + 1);
	if (!value_ok(&s, subtree))
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "malformed %s %s", kw_san_type_name(s.type),
				   subtree ? "constraint" : "name");
	*out = s;
	return KW_OK;
}

void kw_pki_san_format(const kw_san *s, char *out, size_t size)
{
	snprintf(out, size, "%s:%s",
		 kw_san_type_name(s->type) != NULL ? kw_san_type_name(s->type)
						   : "?",
		 s->value);
}

/* ---- patterns ------------------------------------------------------------------ */

bool kw_pki_glob(const char *p, const char *s)
{
	/* iterative glob with one backtrack point: linear enough for
	 * names of a few hundred bytes */
	const char *star = NULL, *mark = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			mark = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++mark;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Address bytes and family of text ("a" or "a/p"); *prefix -1 without. */
static int ip_bytes(const char *text, unsigned char b[16], int *prefix)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t al = slash != NULL ? (size_t)(slash - text) : strlen(text);

	*prefix = slash != NULL ? atoi(slash + 1) : -1;
	if (al >= sizeof(addr))
		return 0;
	memcpy(addr, text, al);
	addr[al] = '\0';
	if (inet_pton(AF_INET, addr, b) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, addr, b) == 1)
		return AF_INET6;
	return 0;
}

/* Whether address text a lies in net ("addr/prefix" or an address). */
static bool ip_in(const char *a, const char *net)
{
	unsigned char x[16], y[16];
	int px, py, fx = ip_bytes(a, x, &px), fy = ip_bytes(net, y, &py);
	int bits = fy == AF_INET ? 32 : 128;

	if (fx == 0 || fx != fy)
		return false;
	if (py < 0)
		py = bits;
	for (int i = 0; i < py; i++)
		if (((x[i / 8] ^ y[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

bool kw_pki_pattern_match(const char *pattern, const kw_san *name)
{
	const char *colon = strchr(pattern, ':');
	const char *v = colon != NULL ? colon + 1 : "";
	const char *tn = kw_san_type_name(name->type);

	if (colon == NULL || tn == NULL ||
	    strlen(tn) != (size_t)(colon - pattern) ||
	    strncasecmp(pattern, tn, strlen(tn)) != 0)
		return false;
	if (strcmp(v, "*") == 0)
		return true;
	switch (name->type) {
	case KW_SAN_DNS:
		if (v[0] == '.')
			return ends_with(name->value, v);
		if (strncmp(v, "*.", 2) == 0) {
			const char *dot = strchr(name->value, '.');
			return dot != NULL && dot != name->value &&
			       strcasecmp(dot, v + 1) == 0;
		}
		return strcasecmp(v, name->value) == 0;
	case KW_SAN_IP:
		return ip_in(name->value, v);
	case KW_SAN_EMAIL:
		if (strncmp(v, "*@", 2) == 0) {
			const char *at = strchr(name->value, '@');
			return at != NULL && strcasecmp(at + 1, v + 2) == 0;
		}
		return strcmp(v, name->value) == 0;
	case KW_SAN_URI:
		if (v[0] != '\0' && v[strlen(v) - 1] == '*')
			return strncmp(name->value, v, strlen(v) - 1) == 0;
		return strcmp(v, name->value) == 0;
	default:
		return false;
	}
}

kw_rc kw_pki_pattern_valid(const char *pattern, char *err, size_t err_len)
{
	/* a sample name for "TYPE:*", per type */
	static const char *const any[KW_SAN_TYPE_COUNT_] = {
		[KW_SAN_DNS] = "x",
		[KW_SAN_IP] = "0.0.0.0/0",
		[KW_SAN_EMAIL] = "a@x",
		[KW_SAN_URI] = "x:y",
	};
	char probe[KW_PKI_NAME_MAX + 16];
	const char *colon = pattern != NULL ? strchr(pattern, ':') : NULL;
	char *v, *star;
	kw_san s;

	if (colon == NULL || strlen(pattern) > KW_PKI_NAME_MAX)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "malformed name pattern");
	snprintf(probe, sizeof(probe), "%s", pattern);
	v = probe + (colon - pattern) + 1;
	/* the pattern with its wildcard replaced by a plain word (or, for
	 * "TYPE:*", a sample of the type) must be a valid name; an IP
	 * pattern with a prefix length a valid subtree */
	star = strchr(v, '*');
	if (star != NULL && strchr(star + 1, '*') != NULL)
		return kw_pki_fail(err, err_len, KW_E_INVALID,
				   "one '*' per name pattern");
	if (strcmp(v, "*") != 0) {
		if (star != NULL)
			*star = 'x';
		if (*v == '.')
			memmove(v, v + 1, strlen(v));
	}
	for (int t = KW_SAN_DNS; t < KW_SAN_TYPE_COUNT_; t++) {
		const char *tn = kw_san_type_name((kw_san_type)t);
		if (strlen(tn) != (size_t)(colon - pattern) ||
		    strncasecmp(tn, probe, strlen(tn)) != 0)
			continue;
		if (strcmp(v, "*") == 0)
			snprintf(v, sizeof(probe) - (size_t)(v - probe), "%s",
				 any[t]);
		if (kw_pki_san_parse(probe,
				     t == KW_SAN_IP && strchr(v, '/') != NULL,
				     &s, NULL, 0) == KW_OK)
			return KW_OK;
	}
	return kw_pki_fail(err, err_len, KW_E_INVALID,
			   "malformed name pattern");
}

/* ---- name constraints ------------------------------------------------------------ */

/* The host of a URI ("scheme://host[:port][/...]"), into out. */
static bool uri_host(const char *uri, char *out, size_t size)
{
	const char *h = strstr(uri, "://"), *e;
	size_t n;

	if (h == NULL)
		return false;
	h += 3;
	if (strchr(h, '@') != NULL && strchr(h, '@') < h + strcspn(h, "/"))
		h = strchr(h, '@') + 1;
	e = h + strcspn(h, ":/?#");
	n = (size_t)(e - h);
	if (n == 0 || n >= size)
		return false;
	memcpy(out, h, n);
	out[n] = '\0';
	return true;
}

/* RFC 5280 4.2.1.10 matching of one name against one subtree. */
static bool in_subtree(const kw_san *name, const kw_san *tree)
{
	const char *base = tree->value;
	char host[KW_SAN_VALUE_MAX + 1];
	const char *at;

	if (name->type != tree->type)
		return false;
	switch (name->type) {
	case KW_SAN_DNS:
		if (base[0] == '.')
			return ends_with(name->value, base);
		return strcasecmp(name->value, base) == 0 ||
		       (ends_with(name->value, base) &&
			name->value[strlen(name->value) - strlen(base) - 1] ==
				'.');
	case KW_SAN_IP:
		return ip_in(name->value, base);
	case KW_SAN_EMAIL:
		at = strchr(name->value, '@');
		if (strchr(base, '@') != NULL)
			return strcmp(name->value, base) == 0;
		if (at == NULL)
			return false;
		if (base[0] == '.')
			return ends_with(at + 1, base);
		return strcasecmp(at + 1, base) == 0;
	case KW_SAN_URI:
		if (!uri_host(name->value, host, sizeof(host)))
			return false;
		if (base[0] == '.')
			return ends_with(host, base);
		return strcasecmp(host, base) == 0;
	default:
		return false;
	}
}

bool kw_pki_nc_allows(const kw_san *name, const kw_san *permitted,
		      size_t n_permitted, const kw_san *excluded,
		      size_t n_excluded)
{
	bool typed = false, hit = false;

	for (size_t i = 0; i < n_excluded; i++)
		if (in_subtree(name, &excluded[i]))
			return false;
	for (size_t i = 0; i < n_permitted; i++) {
		if (permitted[i].type != name->type)
			continue;
		typed = true;
		hit = hit || in_subtree(name, &permitted[i]);
	}
	return !typed || hit;
}
