/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "kw_config.h"

/* Every command, in the order of `keywarden --help`. */
static const kw_cli_noun *const nouns[] = {
	&kw_cli_noun_sys,
	&kw_cli_noun_login,
	&kw_cli_noun_logout,
	&kw_cli_noun_whoami,
	&kw_cli_noun_partition,
	&kw_cli_noun_principal,
	&kw_cli_noun_token,
	&kw_cli_noun_key,
	&kw_cli_noun_sign,
	&kw_cli_noun_verify,
	&kw_cli_noun_encrypt,
	&kw_cli_noun_decrypt,
	&kw_cli_noun_datakey,
	&kw_cli_noun_mac,
	&kw_cli_noun_random,
	&kw_cli_noun_audit,
	&kw_cli_noun_bench,
	&kw_cli_noun_approval,
	&kw_cli_noun_agent,
	&kw_cli_noun_backup,
	&kw_cli_noun_ca,
	&kw_cli_noun_codesign, /* cmd_ca.c, cmd_codesign.c */
	NULL,
};

static bool is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0 ||
	       strcmp(s, "help") == 0;
}

/* Words are echoed in messages only when they look like words: a mistyped
 * command line may hold anything. */
static const char *safe_word(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 32 || strspn(s, "abcdefghijklmnopqrstuvwxyz-") != n)
		return "(not shown)";
	return s;
}

/* Global options may come before the command; they are moved behind it, so
 * that one parser sees them all. Returns the index of the command word. */
static int skip_leading_options(int argc, char **argv)
{
	int i = 1;
	while (i < argc && strncmp(argv[i], "--", 2) == 0 &&
	       !is_help(argv[i]) && strcmp(argv[i], "--version") != 0) {
		const kw_cli_opt *o = kw_cli_global_opts;
		while (o->name != NULL && strcmp(o->name, argv[i] + 2) != 0)
			o++;
		if (o->name == NULL)
			break; /* not a global option: reported by run() */
		i += o->arg != NULL ? 2 : 1;
	}
	return i;
}

static kw_rc run(kw_cli *cli, int argc, char **argv)
{
	kw_cli_args args;
	char **rest = NULL;
	kw_rc rc;
	int first = skip_leading_options(argc, argv);
	if (first >= argc)
		return kw_cli_usage(cli, "missing command");
	if (strncmp(argv[first], "--", 2) == 0 && !is_help(argv[first]) &&
	    strcmp(argv[first], "--version") != 0)
		return kw_cli_usage(cli,
				    "only global options (--addr, --cacert, "
				    "--client-cert, --client-key, "
				    "--timeout, --json, --approval) may "
				    "come before the command");
	if (is_help(argv[first])) {
		kw_cli_help_main(cli, nouns);
		return KW_OK;
	}
	if (strcmp(argv[first], "--version") == 0) {
		fprintf(cli->out, "keywarden %s\n", KW_VERSION);
		return KW_OK;
	}
	const kw_cli_noun *noun = NULL;
	for (size_t i = 0; nouns[i] != NULL && noun == NULL; i++)
		if (strcmp(nouns[i]->name, argv[first]) == 0)
			noun = nouns[i];
	if (noun == NULL)
		return kw_cli_usage(cli, "unknown command '%s'",
				    safe_word(argv[first]));
	cli->noun = noun;
	int next = first + 1;
	const kw_cli_cmd *cmd = noun->cmds;
	if (cmd->verb != NULL) {
		if (next >= argc)
			return kw_cli_usage(cli, "missing verb");
		if (is_help(argv[next])) {
			kw_cli_help_noun(cli, noun);
			return KW_OK;
		}
		while (cmd->run != NULL && strcmp(cmd->verb, argv[next]) != 0)
			cmd++;
		if (cmd->run == NULL)
			return kw_cli_usage(cli, "unknown verb '%s' for %s",
					    safe_word(argv[next]), noun->name);
		next++;
	}
	cli->cmd = cmd;
	/* the words after the command, then the leading global options */
	int nrest = argc - next + first - 1;
	rest = calloc((size_t)nrest + 1, sizeof(*rest));
	if (rest == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	memcpy(rest, argv + next, (size_t)(argc - next) * sizeof(*rest));
	memcpy(rest + argc - next, argv + 1,
	       (size_t)(first - 1) * sizeof(*rest));
	rc = kw_cli_args_parse(cli, noun, cmd, nrest, rest, &args);
	if (rc == KW_OK && args.help) {
		kw_cli_help_cmd(cli, noun, cmd);
	} else if (rc == KW_OK) {
		cli->json = kw_cli_flag(&args, "json");
		rc = cmd->run(cli, &args);
	}
	free(rest);
	return rc;
}

int main(int argc, char **argv)
{
	kw_cli cli = {.out = stdout, .err = stderr};
	/* before any other jansson call */
	kw_cli_json_wipe_on_free();
	/* a small locked heap for the secrets typed in; optional */
	(void)CRYPTO_secure_malloc_init(64 * 1024, 64);
	kw_rc rc = run(&cli, argc, argv);
	kw_cli_free(&cli);
	if (fflush(stdout) != 0 && rc == KW_OK)
		rc = kw_cli_fail(&cli, KW_E_INVALID, "cannot write the output");
	CRYPTO_secure_malloc_done();
	return kw_cli_exit_status(&cli, rc);
}
