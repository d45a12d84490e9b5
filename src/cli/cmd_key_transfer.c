/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * keywarden key export | import (rows of the key noun's table in
 * cmd_key.c; docs/backup.md "Key transfer").
 *
 * export asks the daemon to wrap an exportable key for a receiver and
 * writes the answer, a transfer document (JSON: the key's attributes, the
 * wrapping, the wrapped material in base64), to --out. import sends such a
 * document to the receiving instance with the name of its unwrapping key.
 * The material is never in the clear outside the two daemons.
 */

#define PEM_MAX	 (64u * 1024u)
#define DOC_MAX	 (1024u * 1024u)
#define DOC_NAME "keywarden-key-transfer-1"

static const kw_cli_field transfer_fields[] = {
	{"name", "key"},	   {"type", "type"},
	{"version", "version"},	   {"wrapping", "wrapping"},
	{"wrapping_key", "under"}, {NULL, NULL},
};

kw_rc kw_cli_key_export(kw_cli *cli, const kw_cli_args *a)
{
	const char *pem_path = kw_cli_arg(a, "transport-key");
	const char *wk = kw_cli_arg(a, "wrapping-key");
	uint8_t *pem = NULL;
	size_t pem_len = 0;
	long long version = 0;
	json_t *body = NULL, *res = NULL;
	char *text = NULL;
	kw_client_path p;

	kw_rc rc = kw_cli_arg_int(cli, a, "version", 0, 1, 1000, &version);
	if (rc != KW_OK)
		goto out;
	if ((pem_path == NULL) == (wk == NULL)) {
		rc = kw_cli_usage(cli, "give either --transport-key or "
				       "--wrapping-key");
		goto out;
	}
	if (pem_path != NULL) {
		rc = kw_cli_file_read(cli, pem_path, PEM_MAX, &pem, &pem_len);
		if (rc != KW_OK)
			goto out;
		body = json_pack("{s:s,s:s%}", "wrapping", "rsa-aes-kwp",
				 "transport_key", (const char *)pem, pem_len);
	} else {
		body = json_pack("{s:s,s:s}", "wrapping", "aes-kwp",
				 "wrapping_key", wk);
	}
	if (body != NULL && version > 0)
		json_object_set_new(body, "version", json_integer(version));
	kw_client_path_init(&p, "/v1/keys");
	kw_client_path_seg(&p, a->operand);
	kw_client_path_lit(&p, "/export");
	rc = kw_cli_call_in(cli, "POST", &p, body, &res);
	if (rc != KW_OK)
		goto out;
	text = json_dumps(res, JSON_SORT_KEYS | JSON_INDENT(1));
	if (text == NULL) {
		rc = kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
		goto out;
	}
	rc = kw_cli_file_write_line(cli, kw_cli_arg(a, "out"), text, 0600);
	if (rc != KW_OK)
		goto out;
	json_object_del(res, "wrapped");
	kw_cli_print_object(cli, res, transfer_fields);
	if (!cli->json)
		fprintf(cli->err,
			"Wrapped for the receiver into %s. Import it there "
			"with 'keywarden key import'.\n",
			kw_cli_arg(a, "out"));
out:
	if (text != NULL) {
		/* json_dumps memory belongs to jansson's allocator */
		json_free_t free_fn;
		json_get_alloc_funcs(NULL, &free_fn);
		free_fn(text);
	}
	free(pem);
	json_decref(body);
	json_decref(res);
	return rc;
}

/* The transfer document of --in, checked for the members import needs. */
static kw_rc doc_load(kw_cli *cli, const char *path, json_t **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	json_error_t e;
	json_t *doc = NULL;
	kw_rc rc = kw_cli_file_read(cli, path, DOC_MAX, &data, &len);
	if (rc != KW_OK)
		return rc;
	doc = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &e);
	free(data);
	if (!json_is_object(doc) ||
	    !json_is_string(json_object_get(doc, "format")) ||
	    strcmp(json_string_value(json_object_get(doc, "format")),
		   DOC_NAME) != 0 ||
	    !json_is_string(json_object_get(doc, "type")) ||
	    !json_is_string(json_object_get(doc, "wrapping")) ||
	    !json_is_string(json_object_get(doc, "wrapped"))) {
		json_decref(doc);
		return kw_cli_fail(cli, KW_E_INVALID,
				   "%s is not a key transfer document", path);
	}
	*out = doc;
	return KW_OK;
}

kw_rc kw_cli_key_import(kw_cli *cli, const kw_cli_args *a)
{
	json_t *doc = NULL, *body = NULL, *res = NULL;
	kw_client_path p;
	kw_rc rc = doc_load(cli, kw_cli_arg(a, "in"), &doc);
	if (rc != KW_OK)
		goto out;
	body = json_pack("{s:s,s:O,s:O,s:O,s:s,s:b}", "name", a->operand,
			 "type", json_object_get(doc, "type"), "wrapping",
			 json_object_get(doc, "wrapping"), "wrapped",
			 json_object_get(doc, "wrapped"), "unwrapping_key",
			 kw_cli_arg(a, "unwrapping-key"), "exportable",
			 kw_cli_flag(a, "exportable"));
	if (body == NULL) {
		rc = kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
		goto out;
	}
	/* The receiver may narrow the usages; by default the sender's. */
	if (kw_cli_flag(a, "usage"))
		rc = kw_cli_json_strings(cli, a, "usage", body, "usages");
	else if (json_is_array(json_object_get(doc, "usages")))
		json_object_set(body, "usages", json_object_get(doc, "usages"));
	if (rc == KW_OK && json_is_object(json_object_get(doc, "labels")))
		json_object_set(body, "labels", json_object_get(doc, "labels"));
	if (rc == KW_OK && json_is_object(json_object_get(doc, "policy")) &&
	    !kw_cli_flag(a, "no-policy"))
		json_object_set(body, "policy", json_object_get(doc, "policy"));
	if (rc != KW_OK)
		goto out;
	kw_client_path_init(&p, "/v1/keys/import");
	rc = kw_cli_call_in(cli, "POST", &p, body, &res);
	if (rc != KW_OK)
		goto out;
	kw_cli_print_object(cli, res, transfer_fields);
	if (!cli->json)
		fprintf(cli->err, "Imported %s.\n", a->operand);
out:
	json_decref(doc);
	json_decref(body);
	json_decref(res);
	return rc;
}

const kw_cli_opt kw_cli_key_export_opts[] = {
	{"out", "FILE", KW_CLI_OPT_REQUIRED, "write the transfer document"},
	{"transport-key", "PEM", 0,
	 "the receiver's RSA public key (CKM_RSA_AES_KEY_WRAP)"},
	{"wrapping-key", "NAME", 0,
	 "an AES key both sides hold (AES key wrap with padding)"},
	{"version", "N", 0, "key version (default: primary)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

const kw_cli_opt kw_cli_key_import_opts[] = {
	{"in", "FILE", KW_CLI_OPT_REQUIRED, "the transfer document"},
	{"unwrapping-key", "NAME", KW_CLI_OPT_REQUIRED,
	 "this instance's key that unwraps it (RSA transport key or shared "
	 "AES key)"},
	{"usage", "USAGE", KW_CLI_OPT_MULTI,
	 "allowed uses (default: the sender's)"},
	{"exportable", NULL, 0, "allow export from here too"},
	{"no-policy", NULL, 0, "do not take the sender's key policy"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};
