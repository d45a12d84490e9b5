/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

/* keywarden token create | list | revoke: application tokens */

static const kw_cli_field token_cols[] = {
	{"id", "id"},		{"principal", "principal"},
	{"name", "name"},	{"expires_at", "expires"},
	{"revoked", "revoked"}, {NULL, NULL},
};

static kw_rc token_create(kw_cli *cli, const kw_cli_args *a)
{
	long long ttl = 0;
	json_t *body = NULL, *res = NULL;
	kw_client_path p;
	kw_rc rc =
		kw_cli_arg_int(cli, a, "ttl", 0, 60, 10LL * 366 * 86400, &ttl);
	if (rc != KW_OK)
		return rc;
	body = json_pack("{s:s}", "principal", kw_cli_arg(a, "principal"));
	if (body != NULL && ttl > 0)
		json_object_set_new(body, "ttl", json_integer(ttl));
	if (body != NULL && kw_cli_arg(a, "name") != NULL)
		json_object_set_new(body, "name",
				    json_string(kw_cli_arg(a, "name")));
	kw_client_path_init(&p, "/v1/auth/tokens");
	rc = kw_cli_call_in(cli, "POST", &p, body, &res);
	if (rc != KW_OK)
		goto out;
	if (cli->json) {
		kw_cli_print_json(cli, res);
		goto out;
	}
	/* the token alone on stdout; it is shown only this once */
	fputs(kw_cli_jstr(res, "token"), cli->out);
	fputc('\n', cli->out);
	fprintf(cli->err,
		"Token %s for %s, expires %s. It is not shown "
		"again.\n",
		kw_cli_jstr(res, "id"), kw_cli_arg(a, "principal"),
		kw_cli_jstr(res, "expires_at"));
out:
	json_decref(body);
	json_decref(res);
	return rc;
}

static kw_rc token_list(kw_cli *cli, const kw_cli_args *a)
{
	return kw_cli_list(cli, a, "/v1/auth/tokens", NULL, "tokens",
			   token_cols);
}

static kw_rc token_revoke(kw_cli *cli, const kw_cli_args *a)
{
	return kw_cli_delete(cli, a, "/v1/auth/tokens", "Revoked token");
}

static const kw_cli_opt create_opts[] = {
	{"principal", "NAME", KW_CLI_OPT_REQUIRED,
	 "principal the token acts as"},
	{"ttl", "SECONDS", 0, "lifetime (default: the server's)"},
	{"name", "LABEL", 0, "a label to recognise the token by"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt partition_opts[] = {KW_CLI_PARTITION_OPT, {NULL}};

static const kw_cli_cmd token_cmds[] = {
	{"create", "issue an application token", NULL, create_opts,
	 token_create,
	 "The token is printed alone on stdout, once; keywarden keeps only a "
	 "hash of it.",
	 "keywarden token create --principal ci-app --ttl 86400 --name ci", 0},
	{"list", "list tokens (never their secret part)", NULL, partition_opts,
	 token_list, NULL, "keywarden token list", 0},
	{"revoke", "revoke a token by its id", "ID", partition_opts,
	 token_revoke, NULL, "keywarden token revoke t-0123456789abcdef", 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_token = {
	"token", "issue, list and revoke application tokens", token_cmds};
