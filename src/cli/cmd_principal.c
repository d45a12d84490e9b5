/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "cli.h"

/* keywarden principal create | list | show | set-roles | set-password |
 * delete */

static const kw_cli_field principal_fields[] = {
	{"name", "name"},   {"kind", "kind"},	  {"partition", "partition"},
	{"roles", "roles"}, {"locked", "locked"}, {"created", "created"},
	{NULL, NULL},
};

static const char *const roles[] = {
	"security-officer", "crypto-officer", "crypto-user",
	"auditor",	    "custodian",      NULL,
};

/* body.roles from --role, each checked against the known roles. */
static kw_rc roles_add(kw_cli *cli, const kw_cli_args *a, json_t *body)
{
	const char *r;
	for (size_t i = 0; (r = kw_cli_arg_at(a, "role", i)) != NULL; i++) {
		size_t k = 0;
		while (roles[k] != NULL && strcmp(roles[k], r) != 0)
			k++;
		if (roles[k] == NULL)
			return kw_cli_usage(cli,
					    "--role: unknown role (use "
					    "security-officer, crypto-officer, "
					    "crypto-user, auditor or "
					    "custodian)");
	}
	return kw_cli_json_strings(cli, a, "role", body, "roles");
}

static kw_rc principal_create(kw_cli *cli, const kw_cli_args *a)
{
	const char *kind = kw_cli_arg(a, "kind");
	char *pw = NULL;
	kw_rc rc = KW_OK;
	json_t *body = NULL;
	if (kind == NULL)
		kind = "user";
	if (strcmp(kind, "user") != 0 && strcmp(kind, "app") != 0)
		return kw_cli_usage(cli, "--kind: expected user or app");
	body = json_pack("{s:s,s:s}", "name", a->operand, "kind", kind);
	if (body == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	rc = roles_add(cli, a, body);
	if (rc == KW_OK && strcmp(kind, "user") == 0) {
		rc = kw_cli_secret_read(cli, "new password", true, &pw);
		if (rc == KW_E_NOT_FOUND)
			rc = kw_cli_usage(cli, "no password on stdin");
		if (rc == KW_OK)
			json_object_set_new(body, "password", json_string(pw));
	}
	kw_cli_secret_free(pw);
	if (rc == KW_OK)
		rc = kw_cli_object_call(cli, "POST", "/v1/principals", NULL,
					NULL, body, principal_fields);
	json_decref(body);
	return rc;
}

static kw_rc principal_list(kw_cli *cli, const kw_cli_args *a)
{
	static const char *const query[] = {"limit", "cursor", NULL};
	return kw_cli_list(cli, a, "/v1/principals", query, "principals",
			   principal_fields);
}

static kw_rc principal_show(kw_cli *cli, const kw_cli_args *a)
{
	return kw_cli_show(cli, a, "/v1/principals", principal_fields);
}

static kw_rc principal_set_roles(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_object();
	kw_rc rc = body != NULL ? roles_add(cli, a, body)
				: kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (rc == KW_OK)
		rc = kw_cli_object_call(cli, "PATCH", "/v1/principals",
					a->operand, NULL, body,
					principal_fields);
	json_decref(body);
	return rc;
}

static kw_rc principal_set_password(kw_cli *cli, const kw_cli_args *a)
{
	char *pw = NULL;
	json_t *body = NULL;
	kw_client_path p;
	kw_rc rc = kw_cli_secret_read(cli, "new password", true, &pw);
	if (rc == KW_E_NOT_FOUND)
		rc = kw_cli_usage(cli, "no password on stdin");
	if (rc != KW_OK)
		return rc;
	body = json_pack("{s:s}", "password", pw);
	kw_cli_secret_free(pw);
	kw_client_path_init(&p, "/v1/principals");
	kw_client_path_seg(&p, a->operand);
	kw_client_path_lit(&p, "/password");
	rc = kw_cli_call_in(cli, "POST", &p, body, NULL);
	json_decref(body);
	if (rc == KW_OK && !cli->json)
		fprintf(cli->err, "Password of %s changed.\n", a->operand);
	return rc;
}

static kw_rc principal_delete(kw_cli *cli, const kw_cli_args *a)
{
	return kw_cli_delete(cli, a, "/v1/principals", "Deleted principal");
}

static const kw_cli_opt create_opts[] = {
	{"kind", "KIND", 0,
	 "user (logs in with a password, prompted) or app (uses tokens); "
	 "default user"},
	{"role", "ROLE", KW_CLI_OPT_MULTI,
	 "security-officer, crypto-officer, crypto-user, auditor or "
	 "custodian"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt list_opts[] = {
	{"limit", "N", 0, "at most N entries (1-1000, default 100)"},
	{"cursor", "C", 0, "continue after a previous page"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt roles_opts[] = {
	{"role", "ROLE", KW_CLI_OPT_REQUIRED | KW_CLI_OPT_MULTI,
	 "the principal's roles, replacing the old ones"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt partition_opts[] = {KW_CLI_PARTITION_OPT, {NULL}};

static const kw_cli_cmd principal_cmds[] = {
	{"create", "create a user or application principal", "NAME",
	 create_opts, principal_create,
	 "A user's password is prompted for twice (not echoed), or read from "
	 "the first\nline of stdin when it is not a terminal.",
	 "keywarden principal create alice --role crypto-officer", 0},
	{"list", "list principals", NULL, list_opts, principal_list, NULL,
	 "keywarden principal list", 0},
	{"show", "show a principal", "NAME", partition_opts, principal_show,
	 NULL, "keywarden principal show alice", 0},
	{"set-roles", "replace the roles of a principal", "NAME", roles_opts,
	 principal_set_roles, NULL,
	 "keywarden principal set-roles alice --role crypto-user", 0},
	{"set-password", "set a user's password (prompted)", "NAME",
	 partition_opts, principal_set_password, NULL,
	 "keywarden principal set-password alice", 0},
	{"delete", "delete a principal and revoke its tokens", "NAME",
	 partition_opts, principal_delete, NULL,
	 "keywarden principal delete alice", 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_principal = {
	"principal", "manage users and applications and their roles",
	principal_cmds};
