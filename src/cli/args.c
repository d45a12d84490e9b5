/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const kw_cli_opt kw_cli_global_opts[] = {
	{"addr", "URL", 0,
	 "daemon address, unix:///path or https://host:port "
	 "(env KEYWARDEN_ADDR)"},
	{"cacert", "FILE", 0,
	 "CA certificate(s) to verify an https daemon (env KEYWARDEN_CACERT)"},
	{"client-cert", "FILE", 0,
	 "client certificate for mutual TLS (env KEYWARDEN_CLIENT_CERT)"},
	{"client-key", "FILE", 0,
	 "private key of --client-cert (env KEYWARDEN_CLIENT_KEY)"},
	{"timeout", "SECONDS", 0, "I/O timeout (default 30)"},
	{"json", NULL, 0, "print the API's JSON response"},
	{"approval", "ID", 0,
	 "run a request a quorum parked, once approved (the same command "
	 "and options again)"},
	{"help", NULL, 0, "show this help"},
	{NULL},
};

/* Options that would put a secret on the command line, where every user of
 * the machine can read it (ps, /proc, shell history). */
static const char *const secret_opts[] = {
	"password", "new-password", "root-password", "share", "token",
	"secret",   "pin",	    "passphrase",    NULL,
};

static bool is_secret_name(const char *name, size_t n)
{
	for (size_t i = 0; secret_opts[i] != NULL; i++)
		if (strlen(secret_opts[i]) == n &&
		    strncmp(secret_opts[i], name, n) == 0)
			return true;
	return false;
}

/* A share or token pasted as an operand. */
static bool looks_secret(const char *s)
{
	return strncmp(s, "kwshare", 7) == 0 || strncmp(s, "kwt_", 4) == 0;
}

static kw_rc refuse_secret(kw_cli *cli, const char *name, size_t n)
{
	if (n == 5 && strncmp(name, "token", 5) == 0)
		return kw_cli_usage(cli,
				    "--token: tokens are never taken from the "
				    "command line; set KEYWARDEN_TOKEN or run "
				    "'keywarden login --save'");
	return kw_cli_usage(cli,
			    "--%.*s: passwords and shares are never taken "
			    "from the command line; they are read from the "
			    "terminal, or from stdin (one per line) when it "
			    "is not a terminal",
			    (int)n, name);
}

static const kw_cli_opt *find_opt(const kw_cli_opt *table, const char *name,
				  size_t n)
{
	for (const kw_cli_opt *o = table; o != NULL && o->name != NULL; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	return NULL;
}

static bool given(const kw_cli_args *a, const kw_cli_opt *o)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].opt == o)
			return true;
	return false;
}

/* One "--name[=value]" at argv[*i]; may consume the next argument. */
static kw_rc parse_option(kw_cli *cli, const kw_cli_cmd *cmd, int argc,
			  char **argv, int *i, kw_cli_args *a)
{
	const char *name = argv[*i] + 2;
	const char *eq = strchr(name, '=');
	size_t n = eq != NULL ? (size_t)(eq - name) : strlen(name);
	const char *value = eq != NULL ? eq + 1 : NULL;
	const kw_cli_opt *o = find_opt(cmd->opts, name, n);
	if (o == NULL)
		o = find_opt(kw_cli_global_opts, name, n);
	if (is_secret_name(name, n) && (o == NULL || value != NULL))
		return refuse_secret(cli, name, n);
	if (o == NULL)
		return kw_cli_usage(cli, "unknown option --%.*s",
				    (int)(n > 40 ? 40 : n), name);
	if (o->arg == NULL && value != NULL)
		return kw_cli_usage(cli, "option --%s takes no value", o->name);
	if (o->arg != NULL && value == NULL) {
		if (*i + 1 >= argc)
			return kw_cli_usage(cli,
					    "option --%s needs a value (%s)",
					    o->name, o->arg);
		value = argv[++*i];
	}
	if (!(o->flags & KW_CLI_OPT_MULTI) && given(a, o))
		return kw_cli_usage(cli, "option --%s given twice", o->name);
	if (a->n == KW_CLI_MAX_VALUES)
		return kw_cli_usage(cli, "too many options");
	if (strcmp(o->name, "help") == 0)
		a->help = true;
	a->v[a->n].opt = o;
	a->v[a->n].value = value;
	a->n++;
	return KW_OK;
}

kw_rc kw_cli_args_parse(kw_cli *cli, const kw_cli_noun *noun,
			const kw_cli_cmd *cmd, int argc, char **argv,
			kw_cli_args *out)
{
	kw_rc rc = KW_OK;
	bool only_operands = false;
	int operands = 0;
	memset(out, 0, sizeof(*out));
	out->noun = noun;
	out->cmd = cmd;
	cli->noun = noun;
	cli->cmd = cmd;
	cli->args = out;
	for (int i = 0; i < argc && rc == KW_OK; i++) {
		const char *s = argv[i];
		if (!only_operands && strcmp(s, "--") == 0) {
			only_operands = true;
		} else if (!only_operands && strncmp(s, "--", 2) == 0) {
			rc = parse_option(cli, cmd, argc, argv, &i, out);
		} else if (!only_operands && strcmp(s, "-h") == 0) {
			out->help = true;
		} else if (!only_operands && s[0] == '-' && s[1] != '\0') {
			rc = kw_cli_usage(cli, "unknown option -%c", s[1]);
		} else if (looks_secret(s)) {
			rc = kw_cli_usage(cli,
					  "argument %d looks like a share "
					  "or token; those are never "
					  "taken from the command line",
					  i + 1);
		} else if (cmd->operand == NULL || ++operands > 1) {
			rc = kw_cli_usage(cli, "unexpected argument %d", i + 1);
		} else {
			out->operand = s;
		}
	}
	if (rc != KW_OK || out->help)
		return rc;
	if (cmd->operand != NULL && out->operand == NULL)
		return kw_cli_usage(cli, "missing %s", cmd->operand);
	for (const kw_cli_opt *o = cmd->opts; o != NULL && o->name != NULL; o++)
		if ((o->flags & KW_CLI_OPT_REQUIRED) && !given(out, o))
			return kw_cli_usage(cli, "missing --%s %s", o->name,
					    o->arg != NULL ? o->arg : "");
	return KW_OK;
}

const char *kw_cli_arg_at(const kw_cli_args *a, const char *name, size_t i)
{
	for (size_t k = 0; k < a->n; k++)
		if (strcmp(a->v[k].opt->name, name) == 0 && i-- == 0)
			return a->v[k].value;
	return NULL;
}

const char *kw_cli_arg(const kw_cli_args *a, const char *name)
{
	return kw_cli_arg_at(a, name, 0);
}

bool kw_cli_flag(const kw_cli_args *a, const char *name)
{
	for (size_t k = 0; k < a->n; k++)
		if (strcmp(a->v[k].opt->name, name) == 0)
			return true;
	return false;
}

kw_rc kw_cli_arg_int(kw_cli *cli, const kw_cli_args *a, const char *name,
		     long long def, long long min, long long max,
		     long long *out)
{
	const char *s = kw_cli_arg(a, name);
	char *end = NULL;
	if (s == NULL) {
		*out = def;
		return KW_OK;
	}
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return kw_cli_usage(cli,
				    "--%s: expected a whole number from "
				    "%lld to %lld",
				    name, min, max);
	*out = v;
	return KW_OK;
}

/* ---- help --------------------------------------------------------------- */

#define HELP_COL   26
#define HELP_WIDTH 79

/* Prints the words of text from column col, wrapping at HELP_WIDTH with
 * continuation lines indented by indent. A single newline is a space; an
 * empty line starts a new paragraph. */
static void help_wrap(kw_cli *cli, int col, int indent, const char *text)
{
	int start = col;
	while (*text != '\0') {
		if (strncmp(text, "\n\n", 2) == 0) {
			fprintf(cli->out, "\n\n%*s", indent, "");
			col = start = indent;
			text += 2;
			continue;
		}
		if (*text == ' ' || *text == '\n') {
			text++;
			continue;
		}
		size_t w = strcspn(text, " \n");
		if (col > start && col + 1 + (int)w > HELP_WIDTH) {
			fprintf(cli->out, "\n%*s", indent, "");
			col = start = indent;
		} else if (col > start) {
			fputc(' ', cli->out);
			col++;
		}
		fprintf(cli->out, "%.*s", (int)w, text);
		col += (int)w;
		text += w;
	}
	fputc('\n', cli->out);
}

static void help_opts(kw_cli *cli, const kw_cli_opt *opts)
{
	char text[512];
	for (const kw_cli_opt *o = opts; o != NULL && o->name != NULL; o++) {
		int col = fprintf(cli->out, "  --%s%s%s", o->name,
				  o->arg != NULL ? " " : "",
				  o->arg != NULL ? o->arg : "");
		if (col >= HELP_COL) {
			fputc('\n', cli->out);
			col = 0;
		}
		fprintf(cli->out, "%*s", HELP_COL - col, "");
		snprintf(text, sizeof(text), "%s%s%s", o->help,
			 (o->flags & KW_CLI_OPT_REQUIRED) ? " (required)" : "",
			 (o->flags & KW_CLI_OPT_MULTI) ? " (repeatable)" : "");
		help_wrap(cli, HELP_COL, HELP_COL, text);
	}
}

static void cmd_name(const kw_cli_noun *noun, const kw_cli_cmd *cmd, char *out,
		     size_t len)
{
	snprintf(out, len, "%s%s%s", noun->name, cmd->verb != NULL ? " " : "",
		 cmd->verb != NULL ? cmd->verb : "");
}

void kw_cli_help_main(kw_cli *cli, const kw_cli_noun *const *nouns)
{
	fprintf(cli->out,
		"Usage: keywarden <command> [<verb>] [options]\n\n"
		"The operator CLI of keywarden, a software HSM. Every command "
		"is a call to\nthe keywardend REST API.\n\nCommands:\n");
	for (size_t i = 0; nouns[i] != NULL; i++)
		fprintf(cli->out, "  %-12s %s\n", nouns[i]->name,
			nouns[i]->summary);
	fprintf(cli->out, "\nGlobal options:\n");
	help_opts(cli, kw_cli_global_opts);
	fprintf(cli->out,
		"\nEnvironment: KEYWARDEN_ADDR, KEYWARDEN_TOKEN (else the "
		"token file written by\n'keywarden login --save'), "
		"KEYWARDEN_CACERT.\nExit status: 0 success, 1 refused or "
		"failed, 2 usage error.\nRun 'keywarden <command> --help' "
		"for more.\n");
}

void kw_cli_help_noun(kw_cli *cli, const kw_cli_noun *noun)
{
	fprintf(cli->out,
		"Usage: keywarden %s <verb> [options]\n\n%s\n\n"
		"Verbs:\n",
		noun->name, noun->summary);
	for (const kw_cli_cmd *c = noun->cmds; c->run != NULL; c++)
		fprintf(cli->out, "  %-16s %s\n", c->verb, c->summary);
	fprintf(cli->out, "\nRun 'keywarden %s <verb> --help' for more.\n",
		noun->name);
}

void kw_cli_help_cmd(kw_cli *cli, const kw_cli_noun *noun,
		     const kw_cli_cmd *cmd)
{
	char name[64];
	cmd_name(noun, cmd, name, sizeof(name));
	fprintf(cli->out, "Usage: keywarden %s%s%s", name,
		cmd->operand != NULL ? " " : "",
		cmd->operand != NULL ? cmd->operand : "");
	for (const kw_cli_opt *o = cmd->opts; o != NULL && o->name != NULL; o++)
		if (o->flags & KW_CLI_OPT_REQUIRED)
			fprintf(cli->out, " --%s %s", o->name, o->arg);
	fprintf(cli->out, " [options]\n\n%s\n", cmd->summary);
	if (cmd->details != NULL) {
		fputc('\n', cli->out);
		help_wrap(cli, 0, 0, cmd->details);
	}
	if (cmd->opts != NULL && cmd->opts[0].name != NULL) {
		fprintf(cli->out, "\nOptions:\n");
		help_opts(cli, cmd->opts);
	}
	fprintf(cli->out, "\nGlobal options:\n");
	help_opts(cli, kw_cli_global_opts);
	if (cmd->example != NULL)
		fprintf(cli->out, "\nExample:\n  %s\n", cmd->example);
}
