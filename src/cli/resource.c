/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

/* The shapes most commands share: act on prefix/NAME, print what comes
 * back. Every call goes through kw_cli_call_in, so --partition works
 * wherever a command offers it. */

kw_rc kw_cli_object_call(kw_cli *cli, const char *method, const char *prefix,
			 const char *name, const char *suffix, json_t *body,
			 const kw_cli_field *fields)
{
	kw_client_path p;
	json_t *res = NULL;
	kw_client_path_init(&p, prefix);
	if (name != NULL)
		kw_client_path_seg(&p, name);
	if (suffix != NULL)
		kw_client_path_lit(&p, suffix);
	kw_rc rc = kw_cli_call_in(cli, method, &p, body, &res);
	if (rc == KW_OK)
		kw_cli_print_object(cli, res, fields);
	json_decref(res);
	return rc;
}

kw_rc kw_cli_show(kw_cli *cli, const kw_cli_args *a, const char *prefix,
		  const kw_cli_field *fields)
{
	return kw_cli_object_call(cli, "GET", prefix, a->operand, NULL, NULL,
				  fields);
}

kw_rc kw_cli_delete(kw_cli *cli, const kw_cli_args *a, const char *prefix,
		    const char *done)
{
	kw_client_path p;
	kw_client_path_init(&p, prefix);
	kw_client_path_seg(&p, a->operand);
	kw_rc rc = kw_cli_call_in(cli, "DELETE", &p, NULL, NULL);
	if (rc == KW_OK && !cli->json)
		fprintf(cli->err, "%s %s.\n", done, a->operand);
	return rc;
}

kw_rc kw_cli_list(kw_cli *cli, const kw_cli_args *a, const char *prefix,
		  const char *const *query, const char *member,
		  const kw_cli_field *cols)
{
	kw_client_path p;
	json_t *res = NULL;
	kw_client_path_init(&p, prefix);
	for (size_t i = 0; query != NULL && query[i] != NULL; i++)
		kw_client_path_query(&p, query[i], kw_cli_arg(a, query[i]));
	kw_rc rc = kw_cli_call_in(cli, "GET", &p, NULL, &res);
	if (rc == KW_OK)
		kw_cli_print_list(cli, res, member, cols);
	json_decref(res);
	return rc;
}

/* Adds the values of the repeatable option opt to obj[member] as an array
 * of strings. */
kw_rc kw_cli_json_strings(kw_cli *cli, const kw_cli_args *a, const char *opt,
			  json_t *obj, const char *member)
{
	json_t *arr = json_array();
	const char *v;
	for (size_t i = 0; arr != NULL && (v = kw_cli_arg_at(a, opt, i)); i++)
		if (json_array_append_new(arr, json_string(v)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	if (arr == NULL || json_object_set_new(obj, member, arr) != 0)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	return KW_OK;
}

kw_rc kw_cli_key_call(kw_cli *cli, const kw_cli_args *a, const char *op,
		      json_t *body, json_t **out_res)
{
	kw_client_path p;
	kw_client_path_init(&p, "/v1/keys");
	kw_client_path_seg(&p, kw_cli_arg(a, "key"));
	kw_client_path_lit(&p, op);
	return kw_cli_call_in(cli, "POST", &p, body, out_res);
}

void kw_cli_key_done(kw_cli *cli, const kw_cli_args *a, const json_t *res,
		     const char *did)
{
	if (cli->json) {
		kw_cli_print_json(cli, res);
		return;
	}
	fprintf(cli->err, "%s %s with %s version %lld into %s.\n", did,
		kw_cli_arg(a, "in"), kw_cli_arg(a, "key"),
		(long long)json_integer_value(
			json_object_get(res, "key_version")),
		kw_cli_arg(a, "out"));
}
