/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_CLI_CLI_H
#define KW_CLI_CLI_H

/*
 * The keywarden CLI: `keywarden <noun> [<verb>] [options]`. Each noun is a
 * table of commands in its own cmd_<noun>.c; main.c holds the table of
 * nouns. A command parses nothing itself: args.c parses against the
 * command's option table, the command calls the API once (or a few times)
 * through kw_cli_call and prints the result. Exit status: 0 success, 1 the
 * operation was refused or failed, 2 usage error (kw_cli_exit_status).
 *
 * Secrets (passwords, shares) are never taken from argv: prompt.c reads
 * them from the terminal without echo, or from stdin when it is not a
 * terminal. Tokens come from KEYWARDEN_TOKEN or the token file.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "client/client.h"
#include "keywarden/rc.h"

/* ---- command tables ----------------------------------------------------- */

#define KW_CLI_OPT_REQUIRED 1u /* must be given */
#define KW_CLI_OPT_MULTI    2u /* may be repeated */

typedef struct kw_cli_opt {
	const char *name; /* "key" for --key; NULL ends a table */
	const char *arg;  /* metavariable ("NAME"), NULL for a flag */
	unsigned flags;
	const char *help;
} kw_cli_opt;

/* --partition, for routes that act in a partition */
#define KW_CLI_PARTITION_OPT                                                  \
	{                                                                     \
		"partition", "NAME", 0,                                       \
			"act in this partition (system principals; default: " \
			"default)"                                            \
	}

typedef struct kw_cli kw_cli;
typedef struct kw_cli_args kw_cli_args;

#define KW_CLI_NO_TOKEN 1u /* the route needs no token */

typedef struct kw_cli_cmd {
	const char *verb;    /* NULL: the noun alone is the command */
	const char *summary; /* one line */
	const char *operand; /* "NAME": one required operand; NULL: none */
	const kw_cli_opt *opts;
	kw_rc (*run)(kw_cli *cli, const kw_cli_args *a);
	const char *details; /* more help text, may be NULL */
	const char *example; /* one command line */
	unsigned flags;
} kw_cli_cmd;

typedef struct kw_cli_noun {
	const char *name;
	const char *summary;
	const kw_cli_cmd *cmds; /* ends with run == NULL */
} kw_cli_noun;

extern const kw_cli_noun kw_cli_noun_sys, kw_cli_noun_login, kw_cli_noun_logout,
	kw_cli_noun_whoami, kw_cli_noun_partition, kw_cli_noun_principal,
	kw_cli_noun_token, kw_cli_noun_key, kw_cli_noun_sign,
	kw_cli_noun_verify, kw_cli_noun_mac, kw_cli_noun_encrypt,
	kw_cli_noun_decrypt, kw_cli_noun_datakey, kw_cli_noun_random;
extern const kw_cli_noun kw_cli_noun_audit;    /* cmd_audit.c */
extern const kw_cli_noun kw_cli_noun_bench;    /* cmd_bench.c */
extern const kw_cli_noun kw_cli_noun_approval; /* cmd_approval.c */
extern const kw_cli_noun kw_cli_noun_agent;    /* cmd_agent.c */
extern const kw_cli_noun kw_cli_noun_backup;   /* cmd_backup.c */
extern const kw_cli_noun kw_cli_noun_ca,
	kw_cli_noun_codesign; /* cmd_ca.c, cmd_codesign.c */

/* `key export` and `key import`: rows of the key noun (cmd_key.c), in
 * cmd_key_transfer.c. */
extern const kw_cli_opt kw_cli_key_export_opts[], kw_cli_key_import_opts[];
kw_rc kw_cli_key_export(kw_cli *cli, const kw_cli_args *a);
kw_rc kw_cli_key_import(kw_cli *cli, const kw_cli_args *a);

/* ---- parsed arguments (args.c) ------------------------------------------ */

#define KW_CLI_MAX_VALUES 64

struct kw_cli_args {
	const kw_cli_noun *noun;
	const kw_cli_cmd *cmd;
	const char *operand;
	bool help;
	size_t n;
	struct {
		const kw_cli_opt *opt;
		const char *value; /* NULL for a flag */
	} v[KW_CLI_MAX_VALUES];
};

/* The options every command accepts (--addr, --json, ...). */
extern const kw_cli_opt kw_cli_global_opts[];

/* Parses argv[0..argc) (what follows the noun and verb) for cmd into *out.
 * KW_OK, or KW_E_INVALID after a usage message (cli->usage_error set). */
kw_rc kw_cli_args_parse(kw_cli *cli, const kw_cli_noun *noun,
			const kw_cli_cmd *cmd, int argc, char **argv,
			kw_cli_args *out);

/* The first value of option name, NULL if absent. */
const char *kw_cli_arg(const kw_cli_args *a, const char *name);
/* Whether flag (or option) name was given. */
bool kw_cli_flag(const kw_cli_args *a, const char *name);
/* The i-th value of a repeatable option, NULL past the end. */
const char *kw_cli_arg_at(const kw_cli_args *a, const char *name, size_t i);
/* Parses option name as an integer in [min, max]; def if absent. Usage
 * error otherwise. */
kw_rc kw_cli_arg_int(kw_cli *cli, const kw_cli_args *a, const char *name,
		     long long def, long long min, long long max,
		     long long *out);

void kw_cli_help_main(kw_cli *cli, const kw_cli_noun *const *nouns);
void kw_cli_help_noun(kw_cli *cli, const kw_cli_noun *noun);
void kw_cli_help_cmd(kw_cli *cli, const kw_cli_noun *noun,
		     const kw_cli_cmd *cmd);

/* ---- context, API calls, errors (common.c) ------------------------------ */

struct kw_cli {
	FILE *out;		 /* results */
	FILE *err;		 /* messages */
	const kw_cli_noun *noun; /* for the --help hint of usage errors */
	const kw_cli_cmd *cmd;
	const kw_cli_args *args;
	bool json;
	bool usage_error;
	kw_client *client;
	bool token_from_file;
};

/* Prints "keywarden: <message>" and the hint to try --help; marks the run
 * as a usage error (exit 2). Returns KW_E_INVALID. */
kw_rc kw_cli_usage(kw_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "keywarden: <message>" and returns rc (exit 1 unless KW_OK). */
kw_rc kw_cli_fail(kw_cli *cli, kw_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The one translation of a command's result into an exit status. */
int kw_cli_exit_status(const kw_cli *cli, kw_rc rc);

/* One API call with the client made from the options and environment.
 * On failure prints the API error code and message (or the transport
 * error) and returns its rc. body is borrowed. With --approval the request
 * carries ?approval=ID. A 202 (parked for a quorum) is not a success: it
 * prints the approval id and what to run once approved (with --json also
 * the response) and returns KW_E_QUORUM_PENDING (exit status 1). */
kw_rc kw_cli_call(kw_cli *cli, const char *method, const char *path,
		  json_t *body, long *out_status, json_t **out_json);
/* Like kw_cli_call for routes scoped to a partition: adds ?partition= when
 * --partition was given. */
kw_rc kw_cli_call_in(kw_cli *cli, const char *method, kw_client_path *p,
		     json_t *body, json_t **out_json);
/* A new client made from the options and environment, with the token, for
 * a caller that needs more than one connection (keywarden bench); the
 * caller frees it. Prints why on failure. */
kw_rc kw_cli_client_new(kw_cli *cli, kw_client **out);
void kw_cli_free(kw_cli *cli);

/* Token file: $XDG_CONFIG_HOME/keywarden/token, else
 * $HOME/.config/keywarden/token. */
kw_rc kw_cli_token_path(kw_cli *cli, char *out, size_t len);
kw_rc kw_cli_token_save(kw_cli *cli, const char *token, char *out_path,
			size_t path_len);
kw_rc kw_cli_token_remove(kw_cli *cli);

/* ---- shared command shapes (resource.c) -------------------------------- */

typedef struct kw_cli_field kw_cli_field;

/* method prefix[/name][suffix] with body (borrowed); prints the object
 * that comes back. */
kw_rc kw_cli_object_call(kw_cli *cli, const char *method, const char *prefix,
			 const char *name, const char *suffix, json_t *body,
			 const kw_cli_field *fields);
/* GET prefix/OPERAND, printed. */
kw_rc kw_cli_show(kw_cli *cli, const kw_cli_args *a, const char *prefix,
		  const kw_cli_field *fields);
/* DELETE prefix/OPERAND; then says "<done> OPERAND." ("Deleted key"). */
kw_rc kw_cli_delete(kw_cli *cli, const kw_cli_args *a, const char *prefix,
		    const char *done);
/* GET prefix?name=<--name>&... for each option name in query (NULL-
 * terminated, may be NULL); prints obj[member] as a table of cols. */
kw_rc kw_cli_list(kw_cli *cli, const kw_cli_args *a, const char *prefix,
		  const char *const *query, const char *member,
		  const kw_cli_field *cols);
/* POST /v1/keys/<--key><op> (op "/sign", ...) with body (borrowed). */
kw_rc kw_cli_key_call(kw_cli *cli, const kw_cli_args *a, const char *op,
		      json_t *body, json_t **out_res);
/* After an operation that wrote --out: the JSON with --json, else
 * "<did> <--in> with <--key> version N into <--out>." on stderr. */
void kw_cli_key_done(kw_cli *cli, const kw_cli_args *a, const json_t *res,
		     const char *did);
/* obj[member] = the values of the repeatable option opt. */
kw_rc kw_cli_json_strings(kw_cli *cli, const kw_cli_args *a, const char *opt,
			  json_t *obj, const char *member);

/* ---- output (output.c) -------------------------------------------------- */

struct kw_cli_field {
	const char *key;   /* JSON member; NULL ends a table */
	const char *label; /* shown name */
};

/* obj[key] if it is a string, else "-". */
const char *kw_cli_jstr(const json_t *obj, const char *key);
/* Prints json indented on cli->out (the --json output). */
void kw_cli_print_json(kw_cli *cli, const json_t *json);
/* "label: value" lines for the listed members that are present. */
void kw_cli_print_fields(kw_cli *cli, const json_t *obj,
			 const kw_cli_field *fields);
/* A table of the objects in array, one column per field. */
void kw_cli_print_table(kw_cli *cli, const json_t *array,
			const kw_cli_field *cols);
/* --json: the raw object; else the fields. For single-object results. */
void kw_cli_print_object(kw_cli *cli, const json_t *obj,
			 const kw_cli_field *fields);
/* --json: the raw object; else a table of obj[member] and the cursor. */
void kw_cli_print_list(kw_cli *cli, const json_t *obj, const char *member,
		       const kw_cli_field *cols);

/* ---- secrets (prompt.c) ------------------------------------------------- */

/* Reads one secret: from the terminal without echo (prompting on it) when
 * stdin is a terminal, and then, if confirm, a second time to compare;
 * else one line of stdin. *out is NUL-terminated, freed with
 * kw_cli_secret_free. KW_E_NOT_FOUND at the end of stdin (nothing read),
 * KW_E_INVALID (empty, too long, mismatch: message printed). */
kw_rc kw_cli_secret_read(kw_cli *cli, const char *what, bool confirm,
			 char **out);
void kw_cli_secret_free(char *s);
/* Installs jansson allocators that wipe memory on free (once, at start). */
void kw_cli_json_wipe_on_free(void);

/* Largest file sent whole (encrypt, mac, EdDSA sign); the daemon may
 * have a lower request limit. */
#define KW_CLI_INPUT_MAX (16u * 1024u * 1024u)

/* ---- files (io.c) ------------------------------------------------------- */

/* Reads a whole file ("-": stdin) of at most max bytes into a malloc()ed
 * buffer the caller wipes and frees. */
kw_rc kw_cli_file_read(kw_cli *cli, const char *path, size_t max, uint8_t **out,
		       size_t *out_len);
/* Writes data to path ("-": stdout) through a temporary file renamed into
 * place, created with mode (0600 for secrets). */
kw_rc kw_cli_file_write(kw_cli *cli, const char *path, const void *data,
			size_t len, unsigned mode);
/* Writes text and a newline (the line may be a token: it is wiped). */
kw_rc kw_cli_file_write_line(kw_cli *cli, const char *path, const char *text,
			     unsigned mode);
/* obj[member] = base64 of the file's contents (at most max bytes). */
kw_rc kw_cli_file_b64(kw_cli *cli, const char *path, size_t max, json_t *obj,
		      const char *member);
/* Decodes the base64 string res[member] and writes it to path. */
kw_rc kw_cli_b64_to_file(kw_cli *cli, const json_t *res, const char *member,
			 const char *path, unsigned mode);
/* Streams path ("-": stdin) through the digest hash ("sha256", ...);
 * *out_len gets the digest size. */
kw_rc kw_cli_file_digest(kw_cli *cli, const char *path, const char *hash,
			 uint8_t out[64], size_t *out_len);

#endif
