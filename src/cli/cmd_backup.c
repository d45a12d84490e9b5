/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/json.h"
#include "cli.h"

/*
 * keywarden backup create | verify | restore (docs/backup.md)
 *
 * The file travels base64 in the JSON body (so it is bounded by the
 * daemon's request limit). verify without --shares is offline: it checks
 * the structure and the SHA-256 manifest with the same code the daemon
 * uses (kw_backupfmt: no key, no secret) and needs no daemon. Shares are
 * read like unseal shares: one per line of stdin, or prompted for on a
 * terminal; never from the command line.
 */

#define BACKUP_MAX (1024u * 1024u * 1024u)

static const kw_cli_field info_fields[] = {
	{"instance_id", "instance"},
	{"created", "created"},
	{"keying", "keying"},
	{"threshold", "shares needed"},
	{"shares", "shares made"},
	{"split_id", "custodian split"},
	{"records", "records"},
	{"audit_entries", "audit entries"},
	{"chunks", "chunks"},
	{"size", "bytes"},
	{"version", "written by keywarden"},
	{NULL, NULL},
};

/* Info fields, then the counts by record type. */
static void print_info(kw_cli *cli, const json_t *info)
{
	const char *k;
	json_t *v;
	kw_cli_print_fields(cli, info, info_fields);
	json_object_foreach(json_object_get(info, "counts"), k, v) fprintf(
		cli->out, "  %s: %lld\n", k, (long long)json_integer_value(v));
}

/* Shares are written, never formatted (as `sys init` does). */
static void print_shares(kw_cli *cli, const json_t *shares, const char *what)
{
	size_t i;
	json_t *s;
	json_array_foreach(shares, i, s)
	{
		fprintf(cli->out, "%s %zu: ", what, i + 1);
		fputs(json_string_value(s), cli->out);
		fputc('\n', cli->out);
	}
}

/* Reads shares: n prompts on a terminal, else every line of stdin. */
static kw_rc read_shares(kw_cli *cli, long long n, json_t **out)
{
	json_t *arr = json_array();
	char *s = NULL;
	kw_rc rc = KW_OK;
	bool tty = isatty(STDIN_FILENO);
	for (long long i = 0; arr != NULL && (!tty || i < n); i++) {
		rc = kw_cli_secret_read(cli, "share", false, &s);
		if (rc == KW_E_NOT_FOUND && json_array_size(arr) > 0) {
			rc = KW_OK;
			break;
		}
		if (rc == KW_E_NOT_FOUND)
			rc = kw_cli_usage(cli, "no share on stdin");
		if (rc != KW_OK)
			break;
		json_array_append_new(arr, json_string(s));
		kw_cli_secret_free(s);
		s = NULL;
	}
	if (arr == NULL)
		rc = kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (rc == KW_OK)
		*out = arr;
	else
		json_decref(arr);
	return rc;
}

/* Token for routes that need one on an initialised instance only: sent
 * when KEYWARDEN_TOKEN is set. */
static kw_rc optional_token(kw_cli *cli)
{
	const char *t = getenv("KEYWARDEN_TOKEN");
	kw_rc rc = KW_OK;
	if (t == NULL || t[0] == '\0')
		return KW_OK;
	if (cli->client == NULL)
		rc = kw_cli_client_new(cli, &cli->client);
	if (rc == KW_OK)
		rc = kw_client_set_token(cli->client, t);
	return rc;
}

static kw_rc backup_create(kw_cli *cli, const kw_cli_args *a)
{
	long long n = 0, m = 0;
	json_t *body = NULL, *res = NULL;
	bool cust = kw_cli_flag(a, "custodians");
	kw_rc rc = kw_cli_arg_int(cli, a, "custodians", 0, 1, 255, &n);
	if (rc == KW_OK)
		rc = kw_cli_arg_int(cli, a, "threshold", n < 3 ? n : 3, 1, 255,
				    &m);
	if (rc != KW_OK)
		goto out;
	if (cust && m > n) {
		rc = kw_cli_usage(cli, "--threshold is more than --custodians");
		goto out;
	}
	if (!cust && kw_cli_flag(a, "threshold")) {
		rc = kw_cli_usage(cli, "--threshold goes with --custodians");
		goto out;
	}
	body = cust ? json_pack("{s:s,s:I,s:I}", "keying", "custodians",
				"shares", (json_int_t)n, "threshold",
				(json_int_t)m)
		    : json_pack("{s:s}", "keying", "master");
	rc = kw_cli_call(cli, "POST", "/v1/backup", body, NULL, &res);
	if (rc == KW_OK)
		rc = kw_cli_b64_to_file(cli, res, "backup",
					kw_cli_arg(a, "out"), 0600);
	if (rc != KW_OK)
		goto out;
	json_object_del(res, "backup");
	if (cli->json) {
		kw_cli_print_json(cli, res);
		goto out;
	}
	print_info(cli, json_object_get(res, "info"));
	if (cust)
		print_shares(cli, json_object_get(res, "shares"),
			     "Custodian share");
	fprintf(cli->err, "Backup written to %s.%s\n", kw_cli_arg(a, "out"),
		cust ? " Give each share to a different custodian: any of "
		       "them\nas many as the threshold restore it anywhere. "
		       "They are shown only this once."
		     : " It restores with this instance's unseal shares.");
out:
	json_decref(body);
	json_decref(res);
	return rc;
}

/* Without --shares: the offline check. */
static kw_rc verify_offline(kw_cli *cli, const uint8_t *file, size_t len,
			    const char *path)
{
	kw_backup_info info;
	char why[KW_BACKUP_WHY_MAX] = "";
	json_t *j = NULL;
	kw_rc rc = kw_backup_inspect(file, len, &info, why, sizeof(why));
	if (rc != KW_OK)
		return kw_cli_fail(cli, rc, "%s: refused: %s", path, why);
	j = kw_backup_info_json(&info);
	if (j == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (cli->json)
		kw_cli_print_json(cli, j);
	else
		print_info(cli, j);
	fprintf(cli->err,
		"%s: structure and SHA-256 manifest intact. Not authenticated: "
		"that needs\nthe shares (--shares) and proves the backup is "
		"whole and unforged.\n",
		path);
	json_decref(j);
	return KW_OK;
}

/* verify --shares and restore: the file and the shares to the daemon. */
static kw_rc backup_send(kw_cli *cli, const kw_cli_args *a, bool restore)
{
	uint8_t *file = NULL;
	size_t len = 0;
	json_t *body = NULL, *res = NULL, *shares = NULL;
	kw_backup_info info;
	char why[KW_BACKUP_WHY_MAX] = "";
	long long nn = 0, nm = 0;
	kw_rc rc = kw_cli_file_read(cli, a->operand, BACKUP_MAX, &file, &len);
	if (rc != KW_OK)
		goto out;
	if (!restore && !kw_cli_flag(a, "shares")) {
		rc = verify_offline(cli, file, len, a->operand);
		goto out;
	}
	/* The header says how many shares to ask for. */
	rc = kw_backup_inspect(file, len, &info, why, sizeof(why));
	if (rc != KW_OK) {
		rc = kw_cli_fail(cli, rc, "%s: refused: %s", a->operand, why);
		goto out;
	}
	if (kw_cli_flag(a, "shares"))
		rc = read_shares(cli, info.threshold, &shares);
	if (rc == KW_OK && restore)
		rc = kw_cli_arg_int(cli, a, "new-shares", 0, 1, 255, &nn);
	if (rc == KW_OK && restore)
		rc = kw_cli_arg_int(cli, a, "new-threshold", nn < 3 ? nn : 3, 1,
				    255, &nm);
	if (rc == KW_OK)
		rc = optional_token(cli);
	if (rc != KW_OK)
		goto out;
	body = json_object();
	if (kw_cli_file_b64(cli, a->operand, BACKUP_MAX, body, "backup") !=
	    KW_OK) {
		rc = KW_E_INVALID;
		goto out;
	}
	if (shares != NULL)
		json_object_set(body, "shares", shares);
	if (nn > 0) {
		json_object_set_new(body, "new_shares", json_integer(nn));
		json_object_set_new(body, "new_threshold", json_integer(nm));
	}
	rc = kw_cli_call(cli, "POST",
			 restore ? "/v1/backup/restore" : "/v1/backup/verify",
			 body, NULL, &res);
	if (rc != KW_OK)
		goto out;
	if (cli->json) {
		kw_cli_print_json(cli, res);
		goto out;
	}
	print_info(cli, json_object_get(res, "info"));
	print_shares(cli, json_object_get(res, "shares"), "Unseal share");
	fprintf(cli->err, "%s: %s\n", a->operand,
		restore ? "restored; the instance is unsealed and its audit "
			  "trail records the restore."
			: "authentic and complete.");
out:
	if (file != NULL) {
		memset(file, 0, len);
		free(file);
	}
	json_decref(shares);
	json_decref(body);
	json_decref(res);
	return rc;
}

static kw_rc backup_verify(kw_cli *cli, const kw_cli_args *a)
{
	return backup_send(cli, a, false);
}

static kw_rc backup_restore(kw_cli *cli, const kw_cli_args *a)
{
	return backup_send(cli, a, true);
}

static const kw_cli_opt create_opts[] = {
	{"out", "FILE", KW_CLI_OPT_REQUIRED, "write the backup to FILE"},
	{"custodians", "N", 0,
	 "key it with a fresh backup key split among N custodians (default: "
	 "the instance's master key)"},
	{"threshold", "M", 0, "custodians needed to restore (default 3)"},
	{NULL},
};

static const kw_cli_opt verify_opts[] = {
	{"shares", NULL, 0,
	 "decrypt and check it all with shares read from stdin (needs a "
	 "daemon)"},
	{NULL},
};

static const kw_cli_opt restore_opts[] = {
	{"shares", NULL, 0,
	 "shares that open the backup, read from stdin (not needed to roll "
	 "back the same running instance with a master-keyed backup)"},
	{"new-shares", "N", 0,
	 "split the restored master key anew into N shares (returned once)"},
	{"new-threshold", "M", 0, "shares needed of the new split"},
	{NULL},
};

static const kw_cli_cmd backup_cmds[] = {
	{"create", "write a backup of the whole instance", NULL, create_opts,
	 backup_create,
	 "A consistent snapshot of every record and the audit trail, "
	 "encrypted and\nauthenticated. Needs a system security officer.",
	 "keywarden backup create --out kw-2026-01-01.kwb --custodians 5 "
	 "--threshold 3",
	 0},
	{"verify", "check a backup (offline; with --shares: completely)",
	 "FILE", verify_opts, backup_verify,
	 "Without --shares no daemon is needed: structure and SHA-256 "
	 "manifest catch\ndamage and truncation, not forgery. With --shares "
	 "the daemon decrypts\neverything and counts it.",
	 "keywarden backup verify kw-2026-01-01.kwb --shares < shares.txt",
	 KW_CLI_NO_TOKEN},
	{"restore", "restore a backup (new instance, or quorum rollback)",
	 "FILE", restore_opts, backup_restore,
	 "Into an uninitialised instance: with the shares, no token. Into a "
	 "running\ninstance of the same id: KEYWARDEN_TOKEN of a system "
	 "security officer and\nthe quorum's approval. All or nothing.",
	 "keywarden backup restore kw-2026-01-01.kwb --shares < shares.txt",
	 KW_CLI_NO_TOKEN},
	{NULL},
};

const kw_cli_noun kw_cli_noun_backup = {
	"backup", "back up, check and restore the whole instance", backup_cmds};
