/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "cli.h"
#include "keywarden/algs.h"

/* keywarden sign | verify | mac: signatures and MACs over files. A file to
 * sign is digested here, streaming, so it may have any size; only the
 * digest travels (EdDSA signs the message itself, so there the file is sent
 * whole). MACs need the whole input. */

#define SIG_MAX 16384u
#define MAC_MAX 1024u

/* The fields sign and verify share: what is signed, and how. */
static kw_rc sign_request(kw_cli *cli, const kw_cli_args *a, json_t *body)
{
	kw_sig_scheme scheme = KW_SIG_DEFAULT;
	const char *s = kw_cli_arg(a, "scheme");
	const char *hash = kw_cli_arg(a, "hash");
	const char *format = kw_cli_arg(a, "format");
	uint8_t digest[64];
	size_t dlen = 0;
	long long salt = 0;
	kw_rc rc;
	if (s != NULL && (kw_sig_scheme_parse(s, &scheme) != KW_OK ||
			  scheme == KW_SIG_DEFAULT))
		return kw_cli_usage(cli, "--scheme: expected pkcs1, pss, ecdsa "
					 "or eddsa");
	if (format != NULL && strcmp(format, "der") != 0 &&
	    strcmp(format, "raw") != 0)
		return kw_cli_usage(cli, "--format: expected der or raw");
	if (scheme == KW_SIG_EDDSA && hash != NULL)
		return kw_cli_usage(cli,
				    "--hash does not apply to eddsa, which "
				    "signs the message itself");
	if (scheme == KW_SIG_EDDSA) {
		rc = kw_cli_file_b64(cli, kw_cli_arg(a, "in"), KW_CLI_INPUT_MAX,
				     body, "input");
	} else {
		if (hash == NULL)
			hash = "sha256";
		rc = kw_cli_file_digest(cli, kw_cli_arg(a, "in"), hash, digest,
					&dlen);
		if (rc == KW_OK &&
		    (json_object_set_new(
			     body, "digest",
			     kw_client_json_b64_new(digest, dlen)) != 0 ||
		     json_object_set_new(body, "hash", json_string(hash)) != 0))
			rc = kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	}
	if (rc == KW_OK && s != NULL)
		json_object_set_new(body, "scheme", json_string(s));
	if (rc == KW_OK && format != NULL)
		json_object_set_new(body, "format", json_string(format));
	if (rc == KW_OK && kw_cli_flag(a, "salt-length")) {
		rc = kw_cli_arg_int(cli, a, "salt-length", 0, 0, 1024, &salt);
		if (rc == KW_OK)
			json_object_set_new(body, "salt_length",
					    json_integer(salt));
	}
	return rc;
}

/* body.key_version from --key-version. */
static kw_rc key_version(kw_cli *cli, const kw_cli_args *a, json_t *body)
{
	long long v = 0;
	kw_rc rc = KW_OK;
	if (kw_cli_flag(a, "key-version")) {
		rc = kw_cli_arg_int(cli, a, "key-version", 1, 1, 1000000, &v);
		if (rc == KW_OK)
			json_object_set_new(body, "key_version",
					    json_integer(v));
	}
	return rc;
}

/* Prints the verdict of a verify or mac-verify: exit 0 if valid, 1 if
 * not. */
static kw_rc verdict(kw_cli *cli, const json_t *res, const char *what)
{
	bool valid = json_is_true(json_object_get(res, "valid"));
	if (cli->json)
		kw_cli_print_json(cli, res);
	else if (valid)
		fprintf(cli->out, "%s is valid\n", what);
	if (!valid)
		return kw_cli_fail(cli, KW_E_VERIFY, "%s is NOT valid", what);
	return KW_OK;
}

static kw_rc sign(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_object(), *res = NULL;
	kw_rc rc = body != NULL ? sign_request(cli, a, body)
				: kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (rc == KW_OK)
		rc = kw_cli_key_call(cli, a, "/sign", body, &res);
	if (rc == KW_E_UNSUPPORTED && kw_cli_arg(a, "scheme") == NULL)
		fprintf(cli->err, "keywarden: hint: an ed25519 key signs the "
				  "message itself, not a digest: add --scheme "
				  "eddsa\n");
	if (rc == KW_OK)
		rc = kw_cli_b64_to_file(cli, res, "signature",
					kw_cli_arg(a, "out"), 0644);
	if (rc == KW_OK)
		kw_cli_key_done(cli, a, res, "Signed");
	json_decref(body);
	json_decref(res);
	return rc;
}

static kw_rc verify(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_object(), *res = NULL;
	kw_rc rc = body != NULL ? sign_request(cli, a, body)
				: kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (rc == KW_OK)
		rc = kw_cli_file_b64(cli, kw_cli_arg(a, "sig"), SIG_MAX, body,
				     "signature");
	if (rc == KW_OK)
		rc = key_version(cli, a, body);
	if (rc == KW_OK)
		rc = kw_cli_key_call(cli, a, "/verify", body, &res);
	if (rc == KW_OK)
		rc = verdict(cli, res, "the signature");
	json_decref(body);
	json_decref(res);
	return rc;
}

/* The MAC of a file, or with --verify the verdict on a given MAC. */
static kw_rc mac(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = NULL, *res = NULL;
	const char *check = kw_cli_arg(a, "verify");
	const char *out = kw_cli_arg(a, "out");
	kw_rc rc = KW_OK;
	if (check != NULL && out != NULL) {
		rc = kw_cli_usage(cli, "--verify and --out exclude each other");
		goto out;
	}
	body = json_object();
	rc = body != NULL ? kw_cli_file_b64(cli, kw_cli_arg(a, "in"),
					    KW_CLI_INPUT_MAX, body, "input")
			  : kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (rc == KW_OK && check != NULL)
		rc = kw_cli_file_b64(cli, check, MAC_MAX, body, "mac");
	if (rc == KW_OK && check != NULL)
		rc = key_version(cli, a, body);
	if (rc == KW_OK)
		rc = kw_cli_key_call(cli, a,
				     check != NULL ? "/mac-verify" : "/mac",
				     body, &res);
	if (rc != KW_OK)
		goto out;
	if (check != NULL)
		rc = verdict(cli, res, "the MAC");
	else if (out != NULL)
		rc = kw_cli_b64_to_file(cli, res, "mac", out, 0644);
	if (rc == KW_OK && check == NULL) {
		if (cli->json)
			kw_cli_print_json(cli, res);
		else if (out == NULL)
			fprintf(cli->out, "%s\n", kw_cli_jstr(res, "mac"));
	}
out:
	json_decref(body);
	json_decref(res);
	return rc;
}

#define SIGN_OPTS                                                           \
	{"key", "NAME", KW_CLI_OPT_REQUIRED, "key name or id"},             \
		{"in", "FILE", KW_CLI_OPT_REQUIRED,                         \
		 "the message (any size; - for stdin)"},                    \
		{"hash", "HASH", 0,                                         \
		 "digest: sha256 (default), sha384, sha512, sha224, sha1"}, \
		{"scheme", "SCHEME", 0,                                     \
		 "pkcs1, pss, ecdsa or eddsa (default: the key's own)"},    \
		{"salt-length", "N", 0,                                     \
		 "PSS salt length (default: digest "                        \
		 "length)"},                                                \
		{"format", "FORMAT", 0,                                     \
		 "ECDSA signature encoding: der (default) or raw (r||s)"},  \
		KW_CLI_PARTITION_OPT

static const kw_cli_opt sign_opts[] = {
	SIGN_OPTS,
	{"out", "FILE", KW_CLI_OPT_REQUIRED, "where the signature goes (raw)"},
	{NULL},
};

static const kw_cli_opt verify_opts[] = {
	SIGN_OPTS,
	{"sig", "FILE", KW_CLI_OPT_REQUIRED, "the signature (raw)"},
	{"key-version", "N", 0, "key version that signed (default: primary)"},
	{NULL},
};

static const kw_cli_opt mac_opts[] = {
	{"key", "NAME", KW_CLI_OPT_REQUIRED, "HMAC key name or id"},
	{"in", "FILE", KW_CLI_OPT_REQUIRED, "the message (up to 16 MiB)"},
	{"out", "FILE", 0,
	 "write the MAC (raw) here instead of base64 to "
	 "stdout"},
	{"verify", "FILE", 0, "check this MAC (raw) instead: exit 0 if valid"},
	{"key-version", "N", 0,
	 "with --verify: the key version (default: "
	 "primary)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_cmd sign_cmds[] = {
	{NULL, "sign a file", NULL, sign_opts, sign,
	 "The file is hashed here and only the digest is sent; with --scheme "
	 "eddsa the\nfile itself is sent (up to 16 MiB). The signature is "
	 "written raw (DER for\nECDSA), so 'openssl dgst -verify' checks it "
	 "against 'keywarden key public'.",
	 "keywarden sign --key release-signing --in app.tar.gz --out "
	 "app.tar.gz.sig",
	 0},
	{NULL},
};

static const kw_cli_cmd verify_cmds[] = {
	{NULL, "verify a file's signature: exit 0 if valid, 1 if not", NULL,
	 verify_opts, verify, NULL,
	 "keywarden verify --key release-signing --in app.tar.gz --sig "
	 "app.tar.gz.sig",
	 0},
	{NULL},
};

static const kw_cli_cmd mac_cmds[] = {
	{NULL, "compute or verify an HMAC over a file", NULL, mac_opts, mac,
	 NULL, "keywarden mac --key api-hmac --in request.json", 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_sign = {"sign", "sign a file with a key",
				      sign_cmds};
const kw_cli_noun kw_cli_noun_verify = {
	"verify", "verify a signature over a file", verify_cmds};
const kw_cli_noun kw_cli_noun_mac = {"mac", "compute or verify an HMAC",
				     mac_cmds};
