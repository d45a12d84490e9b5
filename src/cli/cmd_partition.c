/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

/* keywarden partition create | list | show | delete */

static const kw_cli_field partition_fields[] = {
	{"name", "name"},
	{"created", "created"},
	{NULL, NULL},
};

static kw_rc partition_create(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_pack("{s:s}", "name", a->operand);
	kw_rc rc = kw_cli_object_call(cli, "POST", "/v1/partitions", NULL, NULL,
				      body, partition_fields);
	json_decref(body);
	return rc;
}

static kw_rc partition_list(kw_cli *cli, const kw_cli_args *a)
{
	return kw_cli_list(cli, a, "/v1/partitions", NULL, "partitions",
			   partition_fields);
}

static kw_rc partition_show(kw_cli *cli, const kw_cli_args *a)
{
	return kw_cli_show(cli, a, "/v1/partitions", partition_fields);
}

static kw_rc partition_delete(kw_cli *cli, const kw_cli_args *a)
{
	return kw_cli_delete(cli, a, "/v1/partitions", "Deleted partition");
}

static const kw_cli_cmd partition_cmds[] = {
	{"create",
	 "create a partition (an isolated namespace of keys and "
	 "principals)",
	 "NAME", NULL, partition_create, NULL,
	 "keywarden partition create payments", 0},
	{"list", "list partitions", NULL, NULL, partition_list, NULL,
	 "keywarden partition list", 0},
	{"show", "show a partition", "NAME", NULL, partition_show, NULL,
	 "keywarden partition show payments", 0},
	{"delete", "delete an empty partition", "NAME", NULL, partition_delete,
	 NULL, "keywarden partition delete payments", 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_partition = {
	"partition", "manage partitions (security officer)", partition_cmds};
