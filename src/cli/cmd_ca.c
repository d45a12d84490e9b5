/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "pki_cli.h"

/* keywarden ca create-root | create-intermediate | list | show | chain |
 * update | issue | certs | cert | revoke | crl | tsa-set | tsa-show
 * (docs/pki.md) */

#define PROFILES_MAX (64u * 1024u)
#define CSR_MAX	     (64u * 1024u)

static const kw_cli_field ca_fields[] = {
	{"name", "name"},
	{"subject", "subject"},
	{"parent", "parent"},
	{"key", "key"},
	{"key_type", "key type"},
	{"serial", "serial"},
	{"not_before", "not before"},
	{"not_after", "not after"},
	{"path_len", "path length"},
	{"permitted", "permitted"},
	{"excluded", "excluded"},
	{"quorum", "signing quorum"},
	{"crl_url", "CRL URL"},
	{"crl_number", "CRL number"},
	{"crl_next_update", "CRL next update"},
	{"revoked", "revoked"},
	{"created_by", "created by"},
	{NULL, NULL},
};

static const kw_cli_field ca_cols[] = {
	{"name", "name"},	    {"parent", "parent"},
	{"key_type", "key type"},   {"subject", "subject"},
	{"not_after", "not after"}, {NULL, NULL},
};

static const kw_cli_field cert_fields[] = {
	{"serial", "serial"},
	{"ca", "CA"},
	{"profile", "profile"},
	{"subject", "subject"},
	{"sans", "names"},
	{"not_before", "not before"},
	{"not_after", "not after"},
	{"status", "status"},
	{"revoked_at", "revoked at"},
	{"reason", "reason"},
	{"key", "key"},
	{"issued_by", "issued by"},
	{NULL, NULL},
};

static const kw_cli_field cert_cols[] = {
	{"serial", "serial"},	{"ca", "CA"},
	{"profile", "profile"}, {"status", "status"},
	{"subject", "subject"}, {"not_after", "not after"},
	{NULL, NULL},
};

static const kw_cli_field tsa_fields[] = {
	{"serial", "certificate"}, {"key", "key"}, {"policy", "policy"},
	{"updated", "updated"},	   {NULL, NULL},
};

kw_rc kw_cli_pem_out(kw_cli *cli, const json_t *res, const char *member,
		     const char *path)
{
	const char *pem = json_string_value(json_object_get(res, member));

	if (pem == NULL)
		return kw_cli_fail(cli, KW_E_UNAVAILABLE,
				   "the response holds no %s", member);
	return kw_cli_file_write(cli, path, pem, strlen(pem), 0644);
}

/* Prints res (fields, or --json) and writes the PEM outputs asked for. */
static kw_rc done(kw_cli *cli, const kw_cli_args *a, const json_t *res,
		  const kw_cli_field *fields)
{
	kw_rc rc = KW_OK;
	const char *out = kw_cli_arg(a, "out");
	const char *chain = kw_cli_arg(a, "chain-out");

	if (out != NULL)
		rc = kw_cli_pem_out(cli, res, "pem", out);
	if (rc == KW_OK && chain != NULL)
		rc = kw_cli_pem_out(cli, res, "chain_pem", chain);
	if (rc == KW_OK)
		kw_cli_print_object(cli, res, fields);
	return rc;
}

/* A JSON object from a file into body[member]. */
static kw_rc json_file(kw_cli *cli, const char *path, json_t *body,
		       const char *member)
{
	uint8_t *text = NULL;
	size_t n = 0;
	json_error_t jerr;
	json_t *v;
	kw_rc rc = kw_cli_file_read(cli, path, PROFILES_MAX, &text, &n);

	if (rc != KW_OK)
		return rc;
	v = json_loadb((const char *)text, n, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!json_is_object(v)) {
		json_decref(v);
		return kw_cli_usage(cli, "%s: not a JSON object (line %d: %s)",
				    path, jerr.line, jerr.text);
	}
	json_object_set_new(body, member, v);
	return KW_OK;
}

/* Options create-root and create-intermediate share. */
static kw_rc ca_spec(kw_cli *cli, const kw_cli_args *a, json_t *body)
{
	long long v = 0;
	const char *s;
	kw_rc rc = KW_OK;

	json_object_set_new(body, "name", json_string(a->operand));
	json_object_set_new(body, "subject",
			    json_string(kw_cli_arg(a, "subject")));
	if ((s = kw_cli_arg(a, "key-type")) != NULL)
		json_object_set_new(body, "key_type", json_string(s));
	if ((s = kw_cli_arg(a, "key")) != NULL)
		json_object_set_new(body, "key", json_string(s));
	if (kw_cli_flag(a, "days")) {
		rc = kw_cli_arg_int(cli, a, "days", 0, 1, 36500, &v);
		if (rc == KW_OK)
			json_object_set_new(body, "days", json_integer(v));
	}
	if (rc == KW_OK && kw_cli_flag(a, "path-len")) {
		rc = kw_cli_arg_int(cli, a, "path-len", 0, 0, 16, &v);
		if (rc == KW_OK)
			json_object_set_new(body, "path_len", json_integer(v));
	}
	if (rc == KW_OK && kw_cli_flag(a, "crl-days")) {
		rc = kw_cli_arg_int(cli, a, "crl-days", 0, 1, 366, &v);
		if (rc == KW_OK)
			json_object_set_new(body, "crl_days", json_integer(v));
	}
	if (rc == KW_OK && (s = kw_cli_arg(a, "crl-url")) != NULL)
		json_object_set_new(body, "crl_url", json_string(s));
	if (rc == KW_OK && kw_cli_flag(a, "permit"))
		rc = kw_cli_json_strings(cli, a, "permit", body, "permitted");
	if (rc == KW_OK && kw_cli_flag(a, "exclude"))
		rc = kw_cli_json_strings(cli, a, "exclude", body, "excluded");
	if (rc == KW_OK && (s = kw_cli_arg(a, "profiles")) != NULL)
		rc = json_file(cli, s, body, "profiles");
	return rc;
}

static kw_rc ca_create(kw_cli *cli, const kw_cli_args *a, json_t *body)
{
	kw_client_path p;
	json_t *res = NULL;
	kw_rc rc;

	kw_client_path_init(&p, "/v1/ca");
	rc = kw_cli_call_in(cli, "POST", &p, body, &res);
	if (rc == KW_OK)
		rc = done(cli, a, res, ca_fields);
	json_decref(res);
	return rc;
}

static kw_rc ca_create_root(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_object();
	long long m = 2;
	kw_rc rc;

	if (body == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	rc = ca_spec(cli, a, body);
	if (rc == KW_OK && kw_cli_flag(a, "no-quorum") &&
	    (kw_cli_flag(a, "quorum") || kw_cli_flag(a, "quorum-role") ||
	     kw_cli_flag(a, "quorum-principal")))
		rc = kw_cli_usage(cli, "--no-quorum excludes the other "
				       "--quorum options");
	if (rc == KW_OK && kw_cli_flag(a, "no-quorum")) {
		json_object_set_new(body, "quorum", json_false());
	} else if (rc == KW_OK) {
		json_t *q = json_object();
		json_object_set_new(body, "quorum", q);
		rc = kw_cli_arg_int(cli, a, "quorum", 2, 1, 16, &m);
		if (rc == KW_OK)
			json_object_set_new(q, "m", json_integer(m));
		if (rc == KW_OK && kw_cli_flag(a, "quorum-role"))
			rc = kw_cli_json_strings(cli, a, "quorum-role", q,
						 "roles");
		if (rc == KW_OK && kw_cli_flag(a, "quorum-principal"))
			rc = kw_cli_json_strings(cli, a, "quorum-principal", q,
						 "principals");
	}
	if (rc == KW_OK)
		rc = ca_create(cli, a, body);
	json_decref(body);
	return rc;
}

static kw_rc ca_create_intermediate(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_object();
	kw_rc rc;

	if (body == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	rc = ca_spec(cli, a, body);
	json_object_set_new(body, "parent",
			    json_string(kw_cli_arg(a, "parent")));
	if (rc == KW_OK && !kw_cli_flag(a, "key") &&
	    !kw_cli_flag(a, "key-type"))
		rc = kw_cli_usage(cli, "give --key-type (a new key) or --key "
				       "(an existing one)");
	if (rc == KW_OK)
		rc = ca_create(cli, a, body);
	json_decref(body);
	return rc;
}

static kw_rc ca_list(kw_cli *cli, const kw_cli_args *a)
{
	return kw_cli_list(cli, a, "/v1/ca", NULL, "cas", ca_cols);
}

/* GET /v1/ca/NAME[suffix], printed, PEM written with --out. */
static kw_rc ca_get(kw_cli *cli, const kw_cli_args *a, const char *prefix,
		    const char *suffix, const kw_cli_field *fields)
{
	kw_client_path p;
	json_t *res = NULL;
	kw_rc rc;

	kw_client_path_init(&p, prefix);
	if (a->operand != NULL)
		kw_client_path_seg(&p, a->operand);
	if (suffix != NULL)
		kw_client_path_lit(&p, suffix);
	rc = kw_cli_call_in(cli, "GET", &p, NULL, &res);
	if (rc == KW_OK)
		rc = done(cli, a, res, fields);
	json_decref(res);
	return rc;
}

static kw_rc ca_show(kw_cli *cli, const kw_cli_args *a)
{
	return ca_get(cli, a, "/v1/ca", NULL, ca_fields);
}

static kw_rc ca_chain(kw_cli *cli, const kw_cli_args *a)
{
	static const kw_cli_field none[] = {{NULL, NULL}};
	return ca_get(cli, a, "/v1/ca", "/chain", none);
}

static kw_rc ca_update(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_object();
	long long v = 0;
	const char *s;
	kw_rc rc = KW_OK;

	if (body == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if ((s = kw_cli_arg(a, "profiles")) != NULL)
		rc = json_file(cli, s, body, "profiles");
	if (rc == KW_OK && (s = kw_cli_arg(a, "crl-url")) != NULL)
		json_object_set_new(body, "crl_url", json_string(s));
	if (rc == KW_OK && kw_cli_flag(a, "crl-days")) {
		rc = kw_cli_arg_int(cli, a, "crl-days", 0, 1, 366, &v);
		if (rc == KW_OK)
			json_object_set_new(body, "crl_days", json_integer(v));
	}
	if (rc == KW_OK && json_object_size(body) == 0)
		rc = kw_cli_usage(cli, "nothing to update");
	if (rc == KW_OK)
		rc = kw_cli_object_call(cli, "PATCH", "/v1/ca", a->operand,
					NULL, body, ca_fields);
	json_decref(body);
	return rc;
}

static kw_rc ca_issue(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_object(), *res = NULL;
	const char *csr = kw_cli_arg(a, "csr"), *s;
	kw_client_path p;
	long long days = 0;
	kw_rc rc = KW_OK;

	if (body == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if ((csr != NULL) == kw_cli_flag(a, "key"))
		rc = kw_cli_usage(cli, "give --csr FILE or --key NAME");
	json_object_set_new(body, "profile",
			    json_string(kw_cli_arg(a, "profile")));
	if (rc == KW_OK && csr != NULL) {
		uint8_t *text = NULL;
		size_t n = 0;
		rc = kw_cli_file_read(cli, csr, CSR_MAX, &text, &n);
		/* a PEM request goes as text, a DER one as base64 */
		if (rc == KW_OK && n > 10 &&
		    memcmp(text, "-----BEGIN", 10) == 0)
			json_object_set_new(body, "csr",
					    json_stringn((char *)text, n));
		else if (rc == KW_OK)
			json_object_set_new(body, "csr_der",
					    kw_client_json_b64_new(text, n));
		free(text);
	}
	if (rc == KW_OK && (s = kw_cli_arg(a, "key")) != NULL)
		json_object_set_new(body, "key", json_string(s));
	if (rc == KW_OK && (s = kw_cli_arg(a, "subject")) != NULL)
		json_object_set_new(body, "subject", json_string(s));
	if (rc == KW_OK && kw_cli_flag(a, "san"))
		rc = kw_cli_json_strings(cli, a, "san", body, "sans");
	if (rc == KW_OK && kw_cli_flag(a, "days")) {
		rc = kw_cli_arg_int(cli, a, "days", 0, 1, 36500, &days);
		if (rc == KW_OK)
			json_object_set_new(body, "days", json_integer(days));
	}
	if (rc == KW_OK) {
		kw_client_path_init(&p, "/v1/ca");
		kw_client_path_seg(&p, a->operand);
		kw_client_path_lit(&p, "/issue");
		rc = kw_cli_call_in(cli, "POST", &p, body, &res);
	}
	if (rc == KW_OK)
		rc = done(cli, a, res, cert_fields);
	json_decref(res);
	json_decref(body);
	return rc;
}

static kw_rc ca_certs(kw_cli *cli, const kw_cli_args *a)
{
	static const char *const query[] = {"ca",    "profile", "key", "status",
					    "limit", "cursor",	NULL};
	return kw_cli_list(cli, a, "/v1/certs", query, "certs", cert_cols);
}

static kw_rc ca_cert(kw_cli *cli, const kw_cli_args *a)
{
	return ca_get(cli, a, "/v1/certs", NULL, cert_fields);
}

static kw_rc ca_revoke(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_pack("{s:s}", "reason",
				 kw_cli_arg(a, "reason") != NULL
					 ? kw_cli_arg(a, "reason")
					 : "unspecified");
	json_t *res = NULL;
	kw_client_path p;
	kw_rc rc;

	if (body == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	kw_client_path_init(&p, "/v1/certs");
	kw_client_path_seg(&p, a->operand);
	kw_client_path_lit(&p, "/revoke");
	rc = kw_cli_call_in(cli, "POST", &p, body, &res);
	if (rc == KW_OK)
		kw_cli_print_object(cli, res, cert_fields);
	json_decref(res);
	json_decref(body);
	return rc;
}

static kw_rc ca_crl(kw_cli *cli, const kw_cli_args *a)
{
	static const kw_cli_field fields[] = {
		{"number", "number"},
		{"this_update", "this update"},
		{"next_update", "next update"},
		{"revoked", "revoked"},
		{NULL, NULL},
	};
	return ca_get(cli, a, "/v1/ca", "/crl", fields);
}

static kw_rc ca_tsa_set(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_pack("{s:s}", "cert", kw_cli_arg(a, "cert"));
	kw_rc rc;

	if (body == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (kw_cli_arg(a, "policy") != NULL)
		json_object_set_new(body, "policy",
				    json_string(kw_cli_arg(a, "policy")));
	rc = kw_cli_object_call(cli, "PUT", "/v1/tsa", NULL, NULL, body,
				tsa_fields);
	json_decref(body);
	return rc;
}

static kw_rc ca_tsa_show(kw_cli *cli, const kw_cli_args *a)
{
	return ca_get(cli, a, "/v1/tsa", NULL, tsa_fields);
}

/* ---- options ------------------------------------------------------------- */

#define CA_SPEC_OPTS                                                          \
	{"subject", "DN", KW_CLI_OPT_REQUIRED,                                \
	 "the CA's name, e.g. \"CN=Example Root CA,O=Example\""},             \
		{"days", "N", 0, "validity in days"},                         \
		{"path-len", "N", 0,                                          \
		 "CAs allowed below this one (default: no limit, or the "     \
		 "parent's less one)"},                                       \
		{"permit", "NAME", KW_CLI_OPT_MULTI,                          \
		 "name constraint: permitted subtree (DNS:example.com, "      \
		 "IP:10.0.0.0/8, email:example.com, URI:.example.com)"},      \
		{"exclude", "NAME", KW_CLI_OPT_MULTI,                         \
		 "name constraint: excluded subtree"},                        \
		{"crl-url", "URL", 0,                                         \
		 "where this CA's CRL is published (put into the "            \
		 "certificates it issues)"},                                  \
		{"crl-days", "N", 0, "validity of its CRLs (default 7)"},     \
		{"profiles", "FILE", 0,                                       \
		 "issuance rules per profile (JSON object, docs/pki.md)"},    \
		{"out", "FILE", 0, "write the CA certificate (PEM) to FILE"}, \
		KW_CLI_PARTITION_OPT

static const kw_cli_opt root_opts[] = {
	{"key-type", "TYPE", KW_CLI_OPT_REQUIRED,
	 "the new key: rsa-2048|3072|4096, ecdsa-p256|p384|p521, ed25519"},
	{"key", "NAME", 0, "the new key's name (default: NAME-key)"},
	CA_SPEC_OPTS,
	{"quorum", "M", 0,
	 "approvals every signature by the root key needs (default 2)"},
	{"quorum-role", "ROLE", KW_CLI_OPT_MULTI,
	 "approvers: holders of ROLE (default custodian)"},
	{"quorum-principal", "NAME", KW_CLI_OPT_MULTI, "approvers: NAME"},
	{"no-quorum", NULL, 0, "let the root key sign without approvals"},
	{NULL},
};

static const kw_cli_opt mid_opts[] = {
	{"parent", "CA", KW_CLI_OPT_REQUIRED, "the issuing CA"},
	{"key-type", "TYPE", 0, "make a new key of TYPE"},
	{"key", "NAME", 0,
	 "the key: an existing one, or the new key's name (default "
	 "NAME-key)"},
	CA_SPEC_OPTS,
	{NULL},
};

static const kw_cli_opt list_opts[] = {KW_CLI_PARTITION_OPT, {NULL}};

static const kw_cli_opt show_opts[] = {
	{"out", "FILE", 0, "write the certificate (PEM) to FILE"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt chain_opts[] = {
	{"out", "FILE", KW_CLI_OPT_REQUIRED,
	 "write the chain (PEM: the CA first, the root last)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt update_opts[] = {
	{"profiles", "FILE", 0, "replace the issuance rules (JSON object)"},
	{"crl-url", "URL", 0, "CRL location for new certificates (\"\": none)"},
	{"crl-days", "N", 0, "validity of new CRLs"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt issue_opts[] = {
	{"profile", "PROFILE", KW_CLI_OPT_REQUIRED,
	 "tls-server, tls-client, code-signing, device or time-stamping"},
	{"csr", "FILE", 0, "a PKCS#10 request (PEM or DER)"},
	{"key", "NAME", 0, "or a key held in keywarden"},
	{"subject", "DN", 0, "the subject (required with --key)"},
	{"san", "NAME", KW_CLI_OPT_MULTI,
	 "a subject alternative name (DNS:..., IP:..., email:..., URI:...); "
	 "replaces the request's"},
	{"days", "N", 0, "validity (default: the profile's maximum)"},
	{"out", "FILE", 0, "write the certificate (PEM) to FILE"},
	{"chain-out", "FILE", 0, "write the CA chain (PEM) to FILE"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt certs_opts[] = {
	{"ca", "NAME", 0, "only certificates issued by this CA"},
	{"profile", "PROFILE", 0, "only this profile"},
	{"key", "NAME", 0, "only certificates of this key"},
	{"status", "STATUS", 0, "valid or revoked"},
	{"limit", "N", 0, "at most N (1-1000, default 100)"},
	{"cursor", "C", 0, "continue after a previous page"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt revoke_opts[] = {
	{"reason", "REASON", 0,
	 "unspecified, keyCompromise, cACompromise, affiliationChanged, "
	 "superseded, cessationOfOperation, certificateHold, "
	 "privilegeWithdrawn, aACompromise"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt crl_opts[] = {
	{"out", "FILE", 0, "write the CRL (PEM) to FILE"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt tsa_set_opts[] = {
	{"cert", "SERIAL", KW_CLI_OPT_REQUIRED,
	 "a time-stamping certificate issued for a keywarden key"},
	{"policy", "OID", 0, "the TSA policy (default: keywarden's)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt tsa_show_opts[] = {
	{"out", "FILE", 0, "write the TSA certificate and chain (PEM)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_cmd ca_cmds[] = {
	{"create-root", "create a root CA with a new key", "NAME", root_opts,
	 ca_create_root,
	 "The root's key is born with it; every later signature by it\n"
	 "(intermediates, certificates, revocations) needs M approvals\n"
	 "unless --no-quorum.",
	 "keywarden ca create-root root --key-type ecdsa-p384 --subject "
	 "\"CN=Example Root CA\" --out root.pem",
	 0},
	{"create-intermediate", "create a CA signed by another", "NAME",
	 mid_opts, ca_create_intermediate, NULL,
	 "keywarden ca create-intermediate issuing --parent root --key-type "
	 "ecdsa-p256 --subject \"CN=Example Issuing CA\"",
	 0},
	{"list", "list CAs", NULL, list_opts, ca_list, NULL,
	 "keywarden ca list", 0},
	{"show", "show a CA", "NAME", show_opts, ca_show, NULL,
	 "keywarden ca show root --out root.pem", 0},
	{"chain", "write a CA's chain", "NAME", chain_opts, ca_chain, NULL,
	 "keywarden ca chain issuing --out chain.pem", 0},
	{"update", "change a CA's issuance rules or CRL settings", "NAME",
	 update_opts, ca_update, NULL,
	 "keywarden ca update issuing --profiles rules.json", 0},
	{"issue", "issue a certificate under a profile", "CA", issue_opts,
	 ca_issue,
	 "The profile decides usages and extensions; names, usages and a\n"
	 "validity the profile does not allow are refused.",
	 "keywarden ca issue issuing --profile tls-server --csr www.csr "
	 "--out www.pem",
	 0},
	{"certs", "list issued certificates", NULL, certs_opts, ca_certs, NULL,
	 "keywarden ca certs --ca issuing --status valid", 0},
	{"cert", "show a certificate", "SERIAL", show_opts, ca_cert, NULL,
	 "keywarden ca cert 4f1c... --out cert.pem", 0},
	{"revoke", "revoke a certificate (the CRL is renewed at once)",
	 "SERIAL", revoke_opts, ca_revoke, NULL,
	 "keywarden ca revoke 4f1c... --reason keyCompromise", 0},
	{"crl", "show and write a CA's current CRL", "NAME", crl_opts, ca_crl,
	 NULL, "keywarden ca crl issuing --out issuing.crl.pem", 0},
	{"tsa-set",
	 "make a certificate the partition's time-stamping "
	 "authority",
	 NULL, tsa_set_opts, ca_tsa_set, NULL,
	 "keywarden ca tsa-set --cert 6a0e...", 0},
	{"tsa-show", "show the partition's time-stamping authority", NULL,
	 tsa_show_opts, ca_tsa_show, NULL,
	 "keywarden ca tsa-show --out tsa.pem", 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_ca = {
	"ca", "certificate authorities, certificates, CRLs, the TSA", ca_cmds};
