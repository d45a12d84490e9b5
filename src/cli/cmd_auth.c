/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

/* keywarden login | logout | whoami: the session of the operator. */

static const kw_cli_field whoami_fields[] = {
	{"principal", "principal"}, {"partition", "partition"},
	{"roles", "roles"},	    {"token_id", "token"},
	{"expires_at", "expires"},  {NULL, NULL},
};

static kw_rc login(kw_cli *cli, const kw_cli_args *a)
{
	char *pw = NULL;
	char path[4096];
	json_t *body = NULL, *res = NULL;
	const char *user = kw_cli_arg(a, "user");
	const char *partition = kw_cli_arg(a, "partition");
	kw_rc rc = kw_cli_secret_read(cli, "password", false, &pw);
	if (rc == KW_E_NOT_FOUND)
		rc = kw_cli_usage(cli, "no password on stdin");
	if (rc != KW_OK)
		goto out;
	body = json_pack("{s:s,s:s}", "user", user, "password", pw);
	if (body != NULL && partition != NULL)
		json_object_set_new(body, "partition", json_string(partition));
	kw_cli_secret_free(pw);
	pw = NULL;
	rc = kw_cli_call(cli, "POST", "/v1/auth/login", body, NULL, &res);
	if (rc != KW_OK)
		goto out;
	const char *token = json_string_value(json_object_get(res, "token"));
	if (token == NULL) {
		rc = kw_cli_fail(cli, KW_E_UNAVAILABLE,
				 "the login response has no token");
		goto out;
	}
	if (kw_cli_flag(a, "save")) {
		rc = kw_cli_token_save(cli, token, path, sizeof(path));
		if (rc != KW_OK)
			goto out;
	}
	if (cli->json) {
		kw_cli_print_json(cli, res);
	} else if (!kw_cli_flag(a, "save")) {
		/* the token alone on stdout: $(keywarden login ...) */
		fputs(token, cli->out);
		fputc('\n', cli->out);
	}
	fprintf(cli->err, "Logged in as %s", kw_cli_jstr(res, "principal"));
	const char *exp = json_string_value(json_object_get(res, "expires_at"));
	if (exp != NULL)
		fprintf(cli->err, "; the token expires at %s", exp);
	if (kw_cli_flag(a, "save"))
		fprintf(cli->err, "; saved to %s", path);
	fputs(".\n", cli->err);
out:
	kw_cli_secret_free(pw);
	json_decref(body);
	json_decref(res);
	return rc;
}

static kw_rc logout(kw_cli *cli, const kw_cli_args *a)
{
	(void)a;
	kw_rc rc =
		kw_cli_call(cli, "POST", "/v1/auth/logout", NULL, NULL, NULL);
	/* a saved token that no longer works is removed either way */
	if ((rc == KW_OK || rc == KW_E_UNAUTHENTICATED || rc == KW_E_EXPIRED) &&
	    cli->token_from_file) {
		kw_rc r2 = kw_cli_token_remove(cli);
		if (rc == KW_OK)
			rc = r2;
	}
	if (rc == KW_OK && !cli->json)
		fprintf(cli->err, "Logged out; the token is revoked.\n");
	return rc;
}

static kw_rc whoami(kw_cli *cli, const kw_cli_args *a)
{
	(void)a;
	return kw_cli_object_call(cli, "GET", "/v1/auth/whoami", NULL, NULL,
				  NULL, whoami_fields);
}

static const kw_cli_opt login_opts[] = {
	{"user", "NAME", KW_CLI_OPT_REQUIRED, "principal to log in as"},
	{"partition", "NAME", 0,
	 "partition of the principal (default: "
	 "default)"},
	{"save", NULL, 0,
	 "save the token to ~/.config/keywarden/token (mode 0600) instead of "
	 "printing it"},
	{NULL},
};

static const kw_cli_cmd login_cmds[] = {
	{NULL, "log in with a password and get a session token", NULL,
	 login_opts, login,
	 "The password is prompted for (not echoed), or read from the first "
	 "line of\nstdin when it is not a terminal. The token is printed alone "
	 "on stdout, or\nwith --save written to $XDG_CONFIG_HOME/keywarden/"
	 "token (else\n~/.config/keywarden/token), which later commands use "
	 "when KEYWARDEN_TOKEN\nis not set.",
	 "export KEYWARDEN_TOKEN=$(keywarden login --user alice)",
	 KW_CLI_NO_TOKEN},
	{NULL},
};

static const kw_cli_cmd logout_cmds[] = {
	{NULL, "revoke the current token (and remove the saved one)", NULL,
	 NULL, logout, NULL, "keywarden logout", 0},
	{NULL},
};

static const kw_cli_cmd whoami_cmds[] = {
	{NULL, "show the principal, partition and roles of the token", NULL,
	 NULL, whoami, NULL, "keywarden whoami", 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_login = {"login", "log in with a password",
				       login_cmds};
const kw_cli_noun kw_cli_noun_logout = {"logout", "revoke the current token",
					logout_cmds};
const kw_cli_noun kw_cli_noun_whoami = {"whoami", "show who the token is",
					whoami_cmds};
