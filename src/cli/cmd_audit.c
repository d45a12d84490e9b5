/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/verify.h"
#include "cli.h"
#include "util/jcs.h"

/*
 * keywarden audit list | export | verify | pubkey (docs/audit.md)
 *
 * export writes each entry as its canonical JSON (RFC 8785), which is
 * exactly the text the daemon hashed and stored, one per line. verify is
 * offline: it reads the file and the public keys and needs no daemon and no
 * token; it uses the same verifier library as the daemon (kw_auditverify).
 */

#define PAGE	1000
#define PEM_MAX (64u * 1024u)
#define FILTERS 7

static const char *const filter_names[FILTERS] = {
	"since", "until", "principal", "key", "op", "result", "partition",
};

static const kw_cli_field list_cols[] = {
	{"seq", "seq"},	      {"time", "time"}, {"principal", "principal"},
	{"op", "op"},	      {"key", "key"},	{"result", "result"},
	{"reason", "reason"}, {NULL, NULL},
};

/* GET /v1/audit with the filters given as options, limit and cursor. */
static void audit_path(const kw_cli_args *a, const char *cursor,
		       long long limit, kw_client_path *p)
{
	char n[24];

	kw_client_path_init(p, "/v1/audit");
	for (size_t i = 0; i < FILTERS; i++)
		kw_client_path_query(p, filter_names[i],
				     kw_cli_arg(a, filter_names[i]));
	snprintf(n, sizeof(n), "%lld", limit);
	kw_client_path_query(p, "limit", n);
	kw_client_path_query(p, "cursor", cursor);
}

/* A row for the table: the key as "name vN", the rest as it is. */
static json_t *list_row(const json_t *e)
{
	const json_t *key = json_object_get(e, "key");
	json_t *row = json_deep_copy(e);
	char text[160];

	if (row == NULL)
		return NULL;
	if (json_is_object(key) &&
	    json_is_integer(json_object_get(key, "version")))
		snprintf(text, sizeof(text), "%s v%lld",
			 kw_cli_jstr(key, "name"),
			 (long long)json_integer_value(
				 json_object_get(key, "version")));
	else
		snprintf(text, sizeof(text), "%s",
			 json_is_object(key) ? kw_cli_jstr(key, "name") : "-");
	json_object_set_new(row, "key", json_string(text));
	return row;
}

static kw_rc audit_list(kw_cli *cli, const kw_cli_args *a)
{
	kw_client_path p;
	json_t *res = NULL;
	json_t *rows = NULL;
	long long limit = 0;
	kw_rc rc = kw_cli_arg_int(cli, a, "limit", 100, 1, 1000, &limit);

	if (rc != KW_OK)
		return rc;
	audit_path(a, kw_cli_arg(a, "cursor"), limit, &p);
	rc = kw_cli_call(cli, "GET", kw_client_path_get(&p), NULL, NULL, &res);
	if (rc != KW_OK)
		goto out;
	if (cli->json) {
		kw_cli_print_json(cli, res);
		goto out;
	}
	rows = json_array();
	for (size_t i = 0; rows != NULL &&
			   i < json_array_size(json_object_get(res, "entries"));
	     i++)
		json_array_append_new(
			rows, list_row(json_array_get(
				      json_object_get(res, "entries"), i)));
	json_object_set_new(res, "entries", rows);
	kw_cli_print_list(cli, res, "entries", list_cols);
out:
	json_decref(res);
	return rc;
}

/* Writes the entries of one page to f, stopping after seq `last` (0: no
 * bound). *out_done is set when the bound was reached. */
static kw_rc write_page(kw_cli *cli, FILE *f, const json_t *entries,
			uint64_t last, uint64_t *io_count, uint64_t *io_seq,
			bool *out_done)
{
	for (size_t i = 0; i < json_array_size(entries); i++) {
		const json_t *e = json_array_get(entries, i);
		json_int_t seq = json_integer_value(json_object_get(e, "seq"));
		char *line = NULL;
		size_t len = 0;

		if (last != 0 && (uint64_t)seq > last) {
			*out_done = true;
			return KW_OK;
		}
		if (seq <= 0 || kw_jcs_encode(e, NULL, &line, &len) != KW_OK)
			return kw_cli_fail(cli, KW_E_UNAVAILABLE,
					   "the daemon sent a malformed entry");
		if (fwrite(line, 1, len, f) != len || fputc('\n', f) == EOF) {
			free(line);
			return kw_cli_fail(cli, KW_E_INVALID,
					   "cannot write the export: %s",
					   strerror(errno));
		}
		free(line);
		(*io_count)++;
		*io_seq = (uint64_t)seq;
	}
	return KW_OK;
}

/* The checkpoint that will end the export, or 0 when none can be made
 * (sealed): the export then ends with an unsigned tail. */
static uint64_t export_checkpoint(kw_cli *cli, const kw_cli_args *a)
{
	json_t *res = NULL;
	uint64_t seq = 0;

	if (kw_cli_flag(a, "no-checkpoint"))
		return 0;
	if (kw_cli_call(cli, "POST", "/v1/audit/checkpoint", NULL, NULL,
			&res) == KW_OK)
		seq = (uint64_t)json_integer_value(json_object_get(res, "seq"));
	else
		fprintf(cli->err, "keywarden: no new checkpoint (see above); "
				  "the export may end with unsigned entries\n");
	json_decref(res);
	return seq;
}

static kw_rc audit_export(kw_cli *cli, const kw_cli_args *a)
{
	const char *out_path = kw_cli_arg(a, "out");
	char tmp[4096];
	char cursor[24] = "";
	uint64_t last;
	uint64_t count = 0;
	uint64_t seq = 0;
	bool done = false;
	json_t *res = NULL;
	FILE *f = NULL;
	kw_rc rc = KW_OK;

	if (snprintf(tmp, sizeof(tmp), "%s.partial", out_path) >=
	    (int)sizeof(tmp))
		return kw_cli_usage(cli, "--out path too long");
	last = export_checkpoint(cli, a);
	f = fopen(tmp, "w");
	if (f == NULL)
		return kw_cli_fail(cli, KW_E_INVALID, "cannot create %s: %s",
				   tmp, strerror(errno));
	while (!done) {
		kw_client_path p;

		audit_path(a, cursor[0] ? cursor : NULL, PAGE, &p);
		rc = kw_cli_call(cli, "GET", kw_client_path_get(&p), NULL, NULL,
				 &res);
		if (rc != KW_OK)
			goto out;
		rc = write_page(cli, f, json_object_get(res, "entries"), last,
				&count, &seq, &done);
		if (rc != KW_OK)
			goto out;
		if (!json_is_string(json_object_get(res, "next_cursor")))
			done = true;
		else
			snprintf(cursor, sizeof(cursor), "%s",
				 json_string_value(
					 json_object_get(res, "next_cursor")));
		json_decref(res);
		res = NULL;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = kw_cli_fail(cli, KW_E_INVALID, "cannot write %s: %s", tmp,
				 strerror(errno));
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, out_path) != 0) {
		f = NULL;
		rc = kw_cli_fail(cli, KW_E_INVALID, "cannot write %s: %s",
				 out_path, strerror(errno));
		goto out;
	}
	f = NULL;
	if (cli->json)
		fprintf(cli->out,
			"{\"entries\":%llu,\"last_seq\":%llu,"
			"\"checkpoint_seq\":%llu}\n",
			(unsigned long long)count, (unsigned long long)seq,
			(unsigned long long)last);
	else
		fprintf(cli->err,
			"Exported %llu entries (up to seq %llu) to %s%s.\n",
			(unsigned long long)count, (unsigned long long)seq,
			out_path,
			last != 0 && seq == last ? ", ending with a checkpoint"
						 : "");
out:
	if (f != NULL) {
		fclose(f);
		unlink(tmp);
	}
	json_decref(res);
	return rc;
}

static kw_rc add_pubkeys(kw_cli *cli, const kw_cli_args *a,
			 kw_audit_verifier *v)
{
	const char *path;
	kw_rc rc = KW_OK;

	for (size_t i = 0;
	     rc == KW_OK && (path = kw_cli_arg_at(a, "pubkey", i)); i++) {
		uint8_t *pem = NULL;
		size_t len = 0;

		rc = kw_cli_file_read(cli, path, PEM_MAX, &pem, &len);
		if (rc != KW_OK)
			break;
		rc = kw_audit_verifier_add_keys(v, pem, len);
		if (rc != KW_OK)
			rc = kw_cli_usage(
				cli, "%s holds no Ed25519 public key (PEM)",
				path);
		free(pem);
	}
	return rc;
}

static void print_report(kw_cli *cli, kw_rc rc, const kw_audit_verify_report *r)
{
	json_t *j;

	if (cli->json) {
		j = json_pack(
			"{s:b, s:I, s:I, s:I, s:I, s:I, s:s}", "valid",
			rc == KW_OK, "entries", (json_int_t)r->entries,
			"checkpoints", (json_int_t)r->checkpoints, "last_seq",
			(json_int_t)r->last_seq, "last_checkpoint_seq",
			(json_int_t)r->last_checkpoint_seq, "unsigned_tail",
			(json_int_t)r->tail, "head", r->head);
		if (j != NULL && rc != KW_OK)
			json_object_set_new(j, "first_bad",
					    json_pack("{s:I, s:I, s:s}", "line",
						      (json_int_t)r->bad_line,
						      "seq",
						      (json_int_t)r->bad_seq,
						      "reason", r->reason));
		kw_cli_print_json(cli, j);
		json_decref(j);
		return;
	}
	if (rc == KW_OK) {
		fprintf(cli->out,
			"valid: %llu entries (seq %llu..%llu), %llu "
			"checkpoints, last checkpoint at seq %llu",
			(unsigned long long)r->entries,
			(unsigned long long)r->first_seq,
			(unsigned long long)r->last_seq,
			(unsigned long long)r->checkpoints,
			(unsigned long long)r->last_checkpoint_seq);
		if (r->tail > 0)
			fprintf(cli->out, "; %llu unsigned entries after it",
				(unsigned long long)r->tail);
		fputc('\n', cli->out);
	} else if (r->bad_line > 0) {
		fprintf(cli->out, "INVALID: line %llu",
			(unsigned long long)r->bad_line);
		if (r->bad_seq > 0)
			fprintf(cli->out, " (seq %llu)",
				(unsigned long long)r->bad_seq);
		fprintf(cli->out, ": %s\n", r->reason);
	} else {
		fprintf(cli->out, "INVALID: %s\n", r->reason);
	}
}

static kw_rc audit_verify(kw_cli *cli, const kw_cli_args *a)
{
	kw_audit_verify_opts opts = {.allow_tail =
					     kw_cli_flag(a, "allow-tail")};
	kw_audit_verify_report rep;
	kw_audit_verifier *v = NULL;
	bool from_stdin = strcmp(a->operand, "-") == 0;
	FILE *f = NULL;
	kw_rc rc = kw_audit_verifier_new(&opts, &v);

	if (rc != KW_OK)
		return kw_cli_fail(cli, rc, "out of memory");
	rc = add_pubkeys(cli, a, v);
	if (rc != KW_OK)
		goto out;
	f = from_stdin ? stdin : fopen(a->operand, "r");
	if (f == NULL) {
		rc = kw_cli_fail(cli, KW_E_NOT_FOUND, "cannot open %s: %s",
				 a->operand, strerror(errno));
		goto out;
	}
	rc = kw_audit_verify_stream(v, f, &rep);
	if (rc == KW_OK || rc == KW_E_VERIFY)
		print_report(cli, rc, &rep);
	else
		rc = kw_cli_fail(cli, rc, "cannot read %s", a->operand);
out:
	if (f != NULL && !from_stdin)
		fclose(f);
	kw_audit_verifier_free(v);
	return rc;
}

static kw_rc audit_pubkey(kw_cli *cli, const kw_cli_args *a)
{
	const char *out_path = kw_cli_arg(a, "out");
	json_t *res = NULL;
	const char *pem;
	kw_rc rc =
		kw_cli_call(cli, "GET", "/v1/audit/pubkey", NULL, NULL, &res);

	if (rc != KW_OK)
		goto out;
	if (cli->json) {
		kw_cli_print_json(cli, res);
		goto out;
	}
	pem = json_string_value(json_object_get(res, "pem"));
	if (pem == NULL) {
		rc = kw_cli_fail(cli, KW_E_UNAVAILABLE,
				 "the daemon sent no public key");
		goto out;
	}
	rc = kw_cli_file_write(cli, out_path != NULL ? out_path : "-", pem,
			       strlen(pem), 0644);
out:
	json_decref(res);
	return rc;
}

#define FILTER_OPTS                                                        \
	{"since", "TIME", 0, "entries at or after TIME (RFC 3339)"},       \
		{"until", "TIME", 0, "entries before TIME (RFC 3339)"},    \
		{"principal", "NAME", 0, "only this principal's entries"}, \
		{"key", "NAME", 0, "only entries about this key"},         \
		{"op", "OP", 0,                                            \
		 "only this operation (key_sign, auth_login, "             \
		 "...)"},                                                  \
		{"result", "RESULT", 0, "ok, denied or error"},            \
	{                                                                  \
		"partition", "NAME", 0, "only entries of this partition"   \
	}

static const kw_cli_opt list_opts[] = {
	FILTER_OPTS,
	{"limit", "N", 0, "entries per page, 1-1000 (default 100)"},
	{"cursor", "C", 0, "continue after this cursor"},
	{NULL},
};

static const kw_cli_opt export_opts[] = {
	{"out", "FILE", KW_CLI_OPT_REQUIRED, "write JSON Lines here"},
	FILTER_OPTS,
	{"no-checkpoint", NULL, 0,
	 "do not ask for a checkpoint first (the export may then end with "
	 "unsigned entries)"},
	{NULL},
};

static const kw_cli_opt verify_opts[] = {
	{"pubkey", "PEM", KW_CLI_OPT_REQUIRED | KW_CLI_OPT_MULTI,
	 "trusted audit public key(s); repeat for rotated keys"},
	{"allow-tail", NULL, 0,
	 "accept entries after the last checkpoint (still reported)"},
	{NULL},
};

static const kw_cli_opt pubkey_opts[] = {
	{"out", "FILE", 0, "write the PEM here (default: stdout)"},
	{NULL},
};

static const kw_cli_cmd audit_cmds[] = {
	{"list", "show audit entries, newest last, with filters", NULL,
	 list_opts, audit_list, NULL,
	 "keywarden audit list --principal alice --result denied", 0},
	{"export", "write the audit trail as JSON Lines", NULL, export_opts,
	 audit_export,
	 "Asks the daemon for a checkpoint first and stops at it, so that the "
	 "export ends with a signed entry; each line is the entry's canonical "
	 "JSON, exactly as hashed. With filters the export is a selection and "
	 "will not verify as a chain.",
	 "keywarden audit export --out audit.jsonl", 0},
	{"verify", "check an exported trail offline", "FILE", verify_opts,
	 audit_verify,
	 "Needs no daemon and no token. Checks the hash chain, every "
	 "checkpoint signature and that the log ends with a checkpoint; "
	 "reports the first bad entry and why. Exit 0 valid, 1 invalid.",
	 "keywarden audit verify audit.jsonl --pubkey audit.pem",
	 KW_CLI_NO_TOKEN},
	{"pubkey", "get the audit public key(s), PEM", NULL, pubkey_opts,
	 audit_pubkey, NULL, "keywarden audit pubkey --out audit.pem", 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_audit = {
	"audit", "read, export and verify the tamper-evident audit trail",
	audit_cmds};
