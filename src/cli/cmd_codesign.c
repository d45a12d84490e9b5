/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pki_cli.h"

/* keywarden codesign --key K --cert C FILE: a detached CMS signature over
 * FILE made by the daemon (docs/pki.md). The file is digested here,
 * streaming; only the digest travels. */

#define CERT_PEM_MAX (256u * 1024u)

static kw_rc codesign(kw_cli *cli, const kw_cli_args *a)
{
	const char *file = a->operand, *cert = kw_cli_arg(a, "cert");
	const char *hash = kw_cli_arg(a, "hash"), *out = kw_cli_arg(a, "out");
	char def_out[4096];
	uint8_t digest[64];
	size_t dlen = 0;
	json_t *body = json_object(), *res = NULL;
	kw_client_path p;
	kw_rc rc;

	if (body == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (hash == NULL)
		hash = "sha256";
	if (strcmp(hash, "sha256") != 0 && strcmp(hash, "sha384") != 0 &&
	    strcmp(hash, "sha512") != 0) {
		json_decref(body);
		return kw_cli_usage(cli, "--hash: expected sha256, sha384 or "
					 "sha512");
	}
	if (out == NULL) {
		if (snprintf(def_out, sizeof(def_out), "%s.p7s", file) >=
		    (int)sizeof(def_out)) {
			json_decref(body);
			return kw_cli_usage(cli, "the file name is too long");
		}
		out = def_out;
	}
	rc = kw_cli_file_digest(cli, file, hash, digest, &dlen);
	if (rc == KW_OK) {
		json_object_set_new(body, "digest",
				    kw_client_json_b64_new(digest, dlen));
		json_object_set_new(body, "hash", json_string(hash));
	}
	/* --cert: a PEM file (the signer's certificate, then its chain), or
	 * the serial of a certificate in keywarden's inventory */
	if (rc == KW_OK && access(cert, R_OK) == 0) {
		uint8_t *text = NULL;
		size_t n = 0;
		rc = kw_cli_file_read(cli, cert, CERT_PEM_MAX, &text, &n);
		if (rc == KW_OK)
			json_object_set_new(body, "cert_pem",
					    json_stringn((char *)text, n));
		free(text);
	} else if (rc == KW_OK) {
		json_object_set_new(body, "cert", json_string(cert));
	}
	if (rc == KW_OK) {
		kw_client_path_init(&p, "/v1/keys");
		kw_client_path_seg(&p, kw_cli_arg(a, "key"));
		kw_client_path_lit(&p, "/codesign");
		rc = kw_cli_call_in(cli, "POST", &p, body, &res);
	}
	if (rc == KW_OK)
		rc = kw_cli_b64_to_file(cli, res, "cms", out, 0644);
	if (rc == KW_OK && cli->json)
		kw_cli_print_json(cli, res);
	else if (rc == KW_OK)
		fprintf(cli->err,
			"Signed %s with %s (certificate %s) into %s.\n", file,
			kw_cli_arg(a, "key"), kw_cli_jstr(res, "cert"), out);
	json_decref(res);
	json_decref(body);
	return rc;
}

static const kw_cli_opt codesign_opts[] = {
	{"key", "NAME", KW_CLI_OPT_REQUIRED, "the signing key"},
	{"cert", "CERT", KW_CLI_OPT_REQUIRED,
	 "the signer's certificate: a PEM file (with its chain), or the "
	 "serial of a certificate keywarden issued"},
	{"hash", "HASH", 0, "sha256 (default), sha384 or sha512"},
	{"out", "FILE", 0, "the signature (DER; default FILE.p7s)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_cmd codesign_cmds[] = {
	{NULL, "sign a file: a detached CMS (PKCS#7) signature", "FILE",
	 codesign_opts, codesign,
	 "Verify with: openssl cms -verify -binary -inform DER -in FILE.p7s\n"
	 "-content FILE -CAfile root.pem -purpose any -out /dev/null",
	 "keywarden codesign --key release --cert 6a0e... app.tar.gz", 0},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
};

const kw_cli_noun kw_cli_noun_codesign = {
	"codesign", "sign files for release (detached CMS)", codesign_cmds};
