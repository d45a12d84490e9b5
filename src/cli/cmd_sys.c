/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* keywarden sys init | unseal | seal | status */

static const kw_cli_field status_fields[] = {
	{"initialized", "initialized"},	 {"sealed", "sealed"},
	{"threshold", "threshold"},	 {"shares", "shares"},
	{"progress", "unseal progress"}, {"instance_id", "instance"},
	{"version", "version"},		 {NULL, NULL},
};

/* Shares and tokens go to stdout, where the operator asked for them; they
 * are written, never formatted. */
static void put_secret(kw_cli *cli, const char *label, const char *value)
{
	fputs(label, cli->out);
	fputs(value != NULL ? value : "-", cli->out);
	fputc('\n', cli->out);
}

static kw_rc sys_init(kw_cli *cli, const kw_cli_args *a)
{
	long long shares = 0, threshold = 0;
	char *pw = NULL;
	json_t *body = NULL, *res = NULL, *share;
	size_t i;
	kw_rc rc = kw_cli_arg_int(cli, a, "shares", 5, 1, 255, &shares);
	if (rc == KW_OK)
		rc = kw_cli_arg_int(cli, a, "threshold",
				    shares < 3 ? shares : 3, 1, 255,
				    &threshold);
	if (rc != KW_OK)
		goto out;
	if (threshold > shares) {
		rc = kw_cli_usage(cli,
				  "--threshold %lld is more than --shares "
				  "%lld",
				  threshold, shares);
		goto out;
	}
	if (kw_cli_flag(a, "root-password")) {
		rc = kw_cli_secret_read(cli, "root password", true, &pw);
		if (rc != KW_OK)
			goto out;
	}
	body = json_pack("{s:I,s:I}", "shares", (json_int_t)shares, "threshold",
			 (json_int_t)threshold);
	if (body == NULL ||
	    (pw != NULL && json_object_set_new(body, "root_password",
					       json_string(pw)) != 0)) {
		rc = kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
		goto out;
	}
	rc = kw_cli_call(cli, "POST", "/v1/sys/init", body, NULL, &res);
	if (rc != KW_OK)
		goto out;
	if (cli->json) {
		kw_cli_print_json(cli, res);
		goto out;
	}
	json_array_foreach(json_object_get(res, "shares"), i, share)
	{
		fprintf(cli->out, "Unseal share %zu: ", i + 1);
		put_secret(cli, "", json_string_value(share));
	}
	put_secret(cli, "Root token: ",
		   json_string_value(json_object_get(res, "root_token")));
	fprintf(cli->err,
		"The instance is initialised and unsealed. Give each share to "
		"a different\ncustodian: any %lld of the %lld unseal it. They "
		"are shown only this once.\n",
		threshold, shares);
out:
	kw_cli_secret_free(pw);
	json_decref(body);
	json_decref(res);
	return rc;
}

/* One share per line of stdin until unsealed; one share from a prompt on
 * a terminal (each custodian types their own). */
static kw_rc sys_unseal(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = NULL, *res = NULL;
	char *share = NULL;
	int sent = 0;
	kw_rc rc = KW_OK;
	if (kw_cli_flag(a, "reset")) {
		body = json_pack("{s:b}", "reset", 1);
		rc = kw_cli_call(cli, "POST", "/v1/sys/unseal", body, NULL,
				 &res);
		goto out;
	}
	for (;;) {
		rc = kw_cli_secret_read(cli, "unseal share", false, &share);
		if (rc == KW_E_NOT_FOUND && sent > 0) {
			rc = KW_OK;
			break;
		}
		if (rc == KW_E_NOT_FOUND)
			rc = kw_cli_usage(cli, "no share on stdin");
		if (rc != KW_OK)
			goto out;
		body = json_pack("{s:s}", "share", share);
		kw_cli_secret_free(share);
		share = NULL;
		json_decref(res);
		res = NULL;
		rc = kw_cli_call(cli, "POST", "/v1/sys/unseal", body, NULL,
				 &res);
		json_decref(body);
		body = NULL;
		if (rc != KW_OK)
			goto out;
		sent++;
		if (!json_is_true(json_object_get(res, "sealed")) ||
		    isatty(STDIN_FILENO))
			break;
	}
out:
	if (rc == KW_OK)
		kw_cli_print_object(cli, res, status_fields);
	json_decref(body);
	json_decref(res);
	return rc;
}

/* seal and status: one call, the status object back. */
static kw_rc sys_seal_status(kw_cli *cli, const kw_cli_args *a)
{
	bool seal = strcmp(a->cmd->verb, "seal") == 0;
	return kw_cli_object_call(cli, seal ? "POST" : "GET",
				  seal ? "/v1/sys/seal" : "/v1/sys/status",
				  NULL, NULL, NULL, status_fields);
}

static const kw_cli_opt init_opts[] = {
	{"shares", "N", 0, "number of unseal shares to make (default 5)"},
	{"threshold", "M", 0, "shares needed to unseal (default 3)"},
	{"root-password", NULL, 0,
	 "also set a password for the root principal (prompted)"},
	{NULL},
};

static const kw_cli_opt unseal_opts[] = {
	{"reset", NULL, 0, "forget the shares entered so far"},
	{NULL},
};

static const kw_cli_cmd sys_cmds[] = {
	{"init", "initialise a new instance: make the master key and shares",
	 NULL, init_opts, sys_init,
	 "Prints the unseal shares and the root token, once. Each share goes "
	 "to a\ndifferent custodian; keywarden keeps no copy.",
	 "keywarden sys init --shares 5 --threshold 3", KW_CLI_NO_TOKEN},
	{"unseal", "enter unseal shares", NULL, unseal_opts, sys_unseal,
	 "On a terminal, prompts for one share (not echoed). Otherwise reads "
	 "one share\nper line of stdin and sends them until the instance is "
	 "unsealed.",
	 "keywarden sys unseal < my-share.txt", KW_CLI_NO_TOKEN},
	{"seal", "seal the instance: forget the master key and every key", NULL,
	 NULL, sys_seal_status, NULL, "keywarden sys seal", 0},
	{"status", "show whether the instance is initialised and sealed", NULL,
	 NULL, sys_seal_status, NULL, "keywarden sys status", KW_CLI_NO_TOKEN},
	{NULL},
};

const kw_cli_noun kw_cli_noun_sys = {
	"sys", "initialise, unseal, seal; instance status", sys_cmds};
