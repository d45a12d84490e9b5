/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <time.h>

#include "backup/json.h"

json_t *kw_backup_info_json(const kw_backup_info *i)
{
	char created[32], other[16];
	struct tm tm;
	time_t t = (time_t)i->created;
	json_t *counts = json_object();

	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (uint32_t type = 1; type <= KW_REC_TYPE_MAX_ && counts != NULL;
	     type++) {
		if (i->by_type[type] == 0)
			continue;
		const char *name = kw_backup_type_name(type);
		if (name == NULL) {
			snprintf(other, sizeof(other), "type%u", type);
			name = other;
		}
		json_object_set_new(counts, name,
				    json_integer((json_int_t)i->by_type[type]));
	}
	return json_pack(
		"{s:i,s:s,s:s,s:s,s:i,s:i,s:o,s:s,s:I,s:o,s:I,s:I,s:I,s:b}",
		"format", (int)i->format, "instance_id", i->instance_id,
		"created", created, "keying",
		kw_backup_keying_name(i->keying) != NULL
			? kw_backup_keying_name(i->keying)
			: "unknown",
		"shares", (int)i->shares, "threshold", (int)i->threshold,
		"split_id",
		i->split_id[0] != '\0' ? json_string(i->split_id) : json_null(),
		"version", i->version, "records", (json_int_t)i->records,
		"counts", counts, "audit_entries", (json_int_t)i->audit_entries,
		"chunks", (json_int_t)i->chunks, "size", (json_int_t)i->size,
		"authenticated", i->authenticated);
}
