/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "keywarden/algs.h"

/* keywarden key create | list | show | update | rotate | enable | disable |
 * compromise | destroy | cancel-destroy | public | export | import */

#define POLICY_MAX (64u * 1024u)

static const kw_cli_field key_fields[] = {
	{"name", "name"},
	{"id", "id"},
	{"partition", "partition"},
	{"type", "type"},
	{"state", "state"},
	{"usages", "usages"},
	{"exportable", "exportable"},
	{"primary_version", "primary version"},
	{"rotation_period", "rotation period (s)"},
	{"next_rotation", "next rotation"},
	{"destroy_after", "destroy after"},
	{"labels", "labels"},
	{"created", "created"},
	{"updated", "updated"},
	{NULL, NULL},
};

static const kw_cli_field key_cols[] = {
	{"name", "name"},     {"type", "type"},
	{"state", "state"},   {"primary_version", "version"},
	{"usages", "usages"}, {"labels", "labels"},
	{NULL, NULL},
};

static const char *const usages[] = {
	"sign", "verify", "encrypt", "decrypt", "wrap", "unwrap", "mac", NULL,
};

/* The options a create and an update share, added to body. */
static kw_rc key_attrs(kw_cli *cli, const kw_cli_args *a, json_t *body)
{
	const char *v;
	long long period = 0;
	kw_rc rc = KW_OK;
	for (size_t i = 0; (v = kw_cli_arg_at(a, "usage", i)) != NULL; i++) {
		size_t k = 0;
		while (usages[k] != NULL && strcmp(usages[k], v) != 0)
			k++;
		if (usages[k] == NULL)
			return kw_cli_usage(cli, "--usage: unknown usage (use "
						 "sign, verify, encrypt, "
						 "decrypt, wrap, unwrap or "
						 "mac)");
	}
	if (kw_cli_flag(a, "usage"))
		rc = kw_cli_json_strings(cli, a, "usage", body, "usages");
	if (rc == KW_OK && kw_cli_flag(a, "rotation-period")) {
		rc = kw_cli_arg_int(cli, a, "rotation-period", 0, 0,
				    100LL * 366 * 86400, &period);
		if (rc == KW_OK)
			json_object_set_new(body, "rotation_period",
					    json_integer(period));
	}
	if (rc == KW_OK && kw_cli_flag(a, "label")) {
		json_t *labels = json_object();
		json_object_set_new(body, "labels", labels);
		for (size_t i = 0; (v = kw_cli_arg_at(a, "label", i)) != NULL;
		     i++) {
			const char *eq = strchr(v, '=');
			if (eq == NULL || eq == v)
				return kw_cli_usage(cli, "--label: expected "
							 "KEY=VALUE");
			char *k = strndup(v, (size_t)(eq - v));
			json_object_set_new(labels, k, json_string(eq + 1));
			free(k);
		}
	}
	if (rc == KW_OK && (v = kw_cli_arg(a, "policy")) != NULL) {
		uint8_t *text = NULL;
		size_t n = 0;
		json_error_t jerr;
		rc = kw_cli_file_read(cli, v, POLICY_MAX, &text, &n);
		if (rc != KW_OK)
			return rc;
		json_t *policy = json_loadb((const char *)text, n,
					    JSON_REJECT_DUPLICATES, &jerr);
		free(text);
		if (!json_is_object(policy)) {
			json_decref(policy);
			return kw_cli_usage(cli,
					    "--policy %s: not a JSON "
					    "object",
					    v);
		}
		json_object_set_new(body, "policy", policy);
	}
	return rc;
}

static kw_rc key_create(kw_cli *cli, const kw_cli_args *a)
{
	kw_key_type t;
	const char *type = kw_cli_arg(a, "type");
	if (kw_key_type_parse(type, &t) != KW_OK)
		return kw_cli_usage(cli, "--type: unknown key type (use "
					 "rsa-2048, rsa-3072, rsa-4096, "
					 "ecdsa-p256, ecdsa-p384, ecdsa-p521, "
					 "ed25519, aes-128, aes-256, "
					 "hmac-sha256, hmac-sha384 or "
					 "hmac-sha512)");
	json_t *body = json_pack("{s:s,s:s}", "name", a->operand, "type", type);
	if (body == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	kw_rc rc = key_attrs(cli, a, body);
	if (kw_cli_flag(a, "exportable"))
		json_object_set_new(body, "exportable", json_true());
	if (kw_cli_flag(a, "pre-active"))
		json_object_set_new(body, "state", json_string("pre-active"));
	if (rc == KW_OK)
		rc = kw_cli_object_call(cli, "POST", "/v1/keys", NULL, NULL,
					body, key_fields);
	json_decref(body);
	return rc;
}

static kw_rc key_list(kw_cli *cli, const kw_cli_args *a)
{
	static const char *const query[] = {
		"type", "state", "prefix", "label", "limit", "cursor", NULL};
	return kw_cli_list(cli, a, "/v1/keys", query, "keys", key_cols);
}

static kw_rc key_show(kw_cli *cli, const kw_cli_args *a)
{
	return kw_cli_show(cli, a, "/v1/keys", key_fields);
}

static kw_rc key_update(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_object();
	if (body == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	kw_rc rc = key_attrs(cli, a, body);
	if (kw_cli_flag(a, "no-exportable"))
		json_object_set_new(body, "exportable", json_false());
	if (rc == KW_OK && json_object_size(body) == 0)
		rc = kw_cli_usage(cli, "nothing to update");
	if (rc == KW_OK)
		rc = kw_cli_object_call(cli, "PATCH", "/v1/keys", a->operand,
					NULL, body, key_fields);
	json_decref(body);
	return rc;
}

/* rotate, enable, disable, compromise, cancel-destroy, destroy: a POST to
 * /v1/keys/NAME/<verb>. */
static kw_rc key_action(kw_cli *cli, const kw_cli_args *a)
{
	char suffix[32];
	json_t *body = NULL;
	long long wait = 0;
	kw_rc rc = KW_OK;
	const char *verb = a->cmd->verb;
	if (strcmp(verb, "compromise") == 0 && !kw_cli_flag(a, "yes"))
		return kw_cli_usage(cli, "marking a key compromised cannot be "
					 "undone; add --yes");
	if (strcmp(verb, "destroy") == 0 && kw_cli_flag(a, "waiting-period")) {
		rc = kw_cli_arg_int(cli, a, "waiting-period", 0, 0,
				    10LL * 366 * 86400, &wait);
		if (rc != KW_OK)
			return rc;
		body = json_pack("{s:I}", "waiting_period", (json_int_t)wait);
	}
	snprintf(suffix, sizeof(suffix), "/%s", verb);
	rc = kw_cli_object_call(cli, "POST", "/v1/keys", a->operand, suffix,
				body, key_fields);
	json_decref(body);
	return rc;
}

static kw_rc key_public(kw_cli *cli, const kw_cli_args *a)
{
	kw_client_path p;
	json_t *res = NULL;
	const char *format = kw_cli_arg(a, "format");
	const char *out = kw_cli_arg(a, "out");
	kw_rc rc = KW_OK;
	if (format != NULL && strcmp(format, "pem") != 0 &&
	    strcmp(format, "jwk") != 0)
		return kw_cli_usage(cli, "--format: expected pem or jwk");
	kw_client_path_init(&p, "/v1/keys");
	kw_client_path_seg(&p, a->operand);
	kw_client_path_lit(&p, "/public");
	kw_client_path_query(&p, "version", kw_cli_arg(a, "version"));
	kw_client_path_query(&p, "format", format);
	rc = kw_cli_call_in(cli, "GET", &p, NULL, &res);
	if (rc != KW_OK)
		goto out;
	char *text = NULL;
	const char *pem = json_string_value(json_object_get(res, "pem"));
	if (cli->json)
		kw_cli_print_json(cli, res);
	if (pem == NULL)
		text = json_dumps(json_object_get(res, "jwk"), JSON_INDENT(2));
	const char *what = pem != NULL ? pem : text;
	if (what == NULL) {
		rc = kw_cli_fail(cli, KW_E_UNAVAILABLE,
				 "the response holds no public key");
	} else if (out != NULL) {
		rc = kw_cli_file_write(cli, out, what, strlen(what), 0644);
	} else if (!cli->json) {
		fputs(what, cli->out);
		if (what[0] != '\0' && what[strlen(what) - 1] != '\n')
			fputc('\n', cli->out);
	}
	if (text != NULL) {
		/* json_dumps memory belongs to jansson's allocator */
		json_free_t free_fn;
		json_get_alloc_funcs(NULL, &free_fn);
		free_fn(text);
	}
out:
	json_decref(res);
	return rc;
}

static const kw_cli_opt create_opts[] = {
	{"type", "TYPE", KW_CLI_OPT_REQUIRED,
	 "rsa-2048|3072|4096, ecdsa-p256|p384|p521, ed25519, aes-128|256, "
	 "hmac-sha256|384|512"},
	{"usage", "USAGE", KW_CLI_OPT_MULTI,
	 "allowed use: sign, verify, encrypt, decrypt, wrap, unwrap, mac "
	 "(default: what the type allows)"},
	{"exportable", NULL, 0, "allow export (wrapped, with approval)"},
	{"rotation-period", "SECONDS", 0, "rotate automatically"},
	{"label", "KEY=VALUE", KW_CLI_OPT_MULTI, "a label"},
	{"policy", "FILE", 0, "key policy (JSON object)"},
	{"pre-active", NULL, 0, "create in state pre-active"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt list_opts[] = {
	{"type", "TYPE", 0, "only keys of this type"},
	{"state", "STATE", 0, "only keys in this state"},
	{"prefix", "TEXT", 0, "only names starting with TEXT"},
	{"label", "KEY:VALUE", 0, "only keys with this label"},
	{"limit", "N", 0, "at most N keys (1-1000, default 100)"},
	{"cursor", "C", 0, "continue after a previous page"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt update_opts[] = {
	{"usage", "USAGE", KW_CLI_OPT_MULTI,
	 "narrow the allowed uses to these"},
	{"no-exportable", NULL, 0, "forbid export (cannot be undone)"},
	{"rotation-period", "SECONDS", 0, "rotation period (0: never)"},
	{"label", "KEY=VALUE", KW_CLI_OPT_MULTI, "replace the labels"},
	{"policy", "FILE", 0, "replace the key policy (JSON object)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt partition_opts[] = {KW_CLI_PARTITION_OPT, {NULL}};

static const kw_cli_opt compromise_opts[] = {
	{"yes", NULL, KW_CLI_OPT_REQUIRED, "confirm: this cannot be undone"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt destroy_opts[] = {
	{"waiting-period", "SECONDS", 0,
	 "destroy after this delay (default: the server's, 30 days)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt public_opts[] = {
	{"version", "N", 0, "key version (default: primary)"},
	{"format", "FORMAT", 0, "pem (default) or jwk"},
	{"out", "FILE", 0, "write to FILE instead of stdout"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_cmd key_cmds[] = {
	{"create", "create a key", "NAME", create_opts, key_create, NULL,
	 "keywarden key create release-signing --type ecdsa-p256 --label "
	 "team=release",
	 0},
	{"list", "list keys", NULL, list_opts, key_list, NULL,
	 "keywarden key list --type ecdsa-p256 --state active", 0},
	{"show", "show a key (never its secret)", "NAME", partition_opts,
	 key_show, NULL, "keywarden key show release-signing", 0},
	{"update", "change usages, labels, rotation, policy, exportability",
	 "NAME", update_opts, key_update, NULL,
	 "keywarden key update release-signing --rotation-period 7776000", 0},
	{"rotate", "make a new primary version", "NAME", partition_opts,
	 key_action,
	 "Older versions keep verifying and decrypting what they made.",
	 "keywarden key rotate release-signing", 0},
	{"enable", "allow the key to be used", "NAME", partition_opts,
	 key_action, NULL, "keywarden key enable release-signing", 0},
	{"disable", "stop all use of the key until enabled", "NAME",
	 partition_opts, key_action, NULL,
	 "keywarden key disable release-signing", 0},
	{"compromise",
	 "mark the key compromised (only verify and decrypt "
	 "remain)",
	 "NAME", compromise_opts, key_action, NULL,
	 "keywarden key compromise release-signing --yes", 0},
	{"destroy", "schedule destruction after a waiting period", "NAME",
	 destroy_opts, key_action,
	 "The key is disabled at once and destroyed when the waiting period "
	 "ends;\n'keywarden key cancel-destroy' stops it until then.",
	 "keywarden key destroy old-key --waiting-period 604800", 0},
	{"cancel-destroy",
	 "cancel a scheduled destruction (key stays "
	 "disabled)",
	 "NAME", partition_opts, key_action, NULL,
	 "keywarden key cancel-destroy old-key", 0},
	{"public", "print the public key (PEM or JWK)", "NAME", public_opts,
	 key_public, NULL,
	 "keywarden key public release-signing --out release.pub.pem", 0},
	{"export", "export an exportable key, wrapped for another HSM", "NAME",
	 kw_cli_key_export_opts, kw_cli_key_export,
	 "Needs the quorum's approval; a key that is not exportable never "
	 "leaves.",
	 "keywarden key export app-key --transport-key peer.pem --out app.kwx",
	 0},
	{"import", "import a wrapped key (BYOK)", "NAME",
	 kw_cli_key_import_opts, kw_cli_key_import, NULL,
	 "keywarden key import app-key --in app.kwx --unwrapping-key transport",
	 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_key = {"key", "manage keys and their life cycle",
				     key_cmds};
