/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/decode.h"
#include "daemon/request.h"
#include "daemon/wire.h"
#include "util/codec.h"

json_t *kw_json_time(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[32];

	if (t == 0)
		return json_null();
	if (gmtime_r(&tt, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

json_t *kw_json_b64(const uint8_t *p, size_t n)
{
	char *s = NULL;
	json_t *j;

	if (kw_base64_encode_alloc(p, n, false, &s) != KW_OK)
		return NULL;
	j = json_stringn(s, strlen(s));
	kw_wipe(s, strlen(s));
	free(s);
	return j;
}

json_t *kw_json_ciphertext(uint32_t version, const uint8_t *p, size_t n)
{
	char *s = NULL;
	json_t *j;

	if (kw_ciphertext_format(version, p, n, &s) != KW_OK)
		return NULL;
	j = json_string(s);
	free(s);
	return j;
}

json_t *kw_json_roles(uint32_t roles)
{
	json_t *a = json_array();
	for (uint32_t bit = 1; bit != 0 && bit <= KW_ROLE_ALL_; bit <<= 1)
		if ((roles & bit) != 0 && kw_role_name(bit) != NULL)
			json_array_append_new(a,
					      json_string(kw_role_name(bit)));
	return a;
}

json_t *kw_json_usages(uint32_t usages)
{
	json_t *a = json_array();
	for (uint32_t bit = 1; bit != 0 && bit <= KW_USAGE_ALL_; bit <<= 1)
		if ((usages & bit) != 0 && kw_usage_name(bit) != NULL)
			json_array_append_new(a,
					      json_string(kw_usage_name(bit)));
	return a;
}

static kw_rc bits_parse(const json_t *arr,
			kw_rc (*parse)(const char *, uint32_t *), uint32_t *out)
{
	size_t i;
	const json_t *v;
	uint32_t bits = 0;

	json_array_foreach(arr, i, v)
	{
		uint32_t b = 0;
		if (!json_is_string(v) ||
		    parse(json_string_value(v), &b) != KW_OK)
			return KW_E_INVALID;
		bits |= b;
	}
	*out = bits;
	return KW_OK;
}

kw_rc kw_roles_parse(const json_t *arr, uint32_t *out)
{
	return bits_parse(arr, kw_role_parse, out);
}

kw_rc kw_usages_parse(const json_t *arr, uint32_t *out)
{
	return bits_parse(arr, kw_usage_parse, out);
}

json_t *kw_json_key(const kw_key_info *k)
{
	json_t *versions = json_array();
	json_t *labels = json_object();
	json_t *policy = NULL;

	for (size_t i = 0; i < k->version_count; i++)
		json_array_append_new(
			versions,
			json_pack("{s:I,s:o}", "version",
				  (json_int_t)k->versions[i].version, "created",
				  kw_json_time(k->versions[i].created)));
	for (size_t i = 0; i < k->label_count; i++)
		json_object_set_new(labels, k->labels[i].key,
				    json_string(k->labels[i].value));
	if (k->policy != NULL)
		policy = json_loads(k->policy, 0, NULL);
	if (policy == NULL)
		policy = json_null();
	return json_pack(
		"{s:s,s:s,s:s,s:s,s:o,s:s,s:b,s:I,s:o,s:I,s:o,s:o,s:o,s:o,"
		"s:o,s:o}",
		"id", k->id, "name", k->name, "partition", k->partition, "type",
		kw_key_type_name(k->type) ? kw_key_type_name(k->type) : "",
		"usages", kw_json_usages(k->usages), "state",
		kw_key_state_name(k->state) ? kw_key_state_name(k->state) : "",
		"exportable", k->exportable, "primary_version",
		(json_int_t)k->primary_version, "versions", versions,
		"rotation_period", (json_int_t)k->rotation_period_s,
		"next_rotation", kw_json_time(k->next_rotation), "created",
		kw_json_time(k->created), "updated", kw_json_time(k->updated),
		"destroy_after", kw_json_time(k->destroy_after), "labels",
		labels, "policy", policy);
}

json_t *kw_json_principal(const kw_principal_info *p)
{
	return json_pack(
		"{s:s,s:s,s:s,s:o,s:b,s:o,s:b,s:o}", "name", p->name, "kind",
		p->kind == KW_PRINCIPAL_USER  ? "user"
		: p->kind == KW_PRINCIPAL_APP ? "app"
					      : "agent",
		"partition", p->system ? "*" : p->partition, "roles",
		kw_json_roles(p->roles), "system", p->system, "created",
		kw_json_time(p->created), "locked", p->locked, "locked_until",
		kw_json_time(p->locked ? p->locked_until : 0));
}

json_t *kw_json_partition(const kw_partition_info *p)
{
	return json_pack("{s:s,s:o}", "name", p->name, "created",
			 kw_json_time(p->created));
}

json_t *kw_json_status(const kw_barrier_status *st)
{
	return json_pack(
		"{s:b,s:b,s:I,s:I,s:I,s:s}", "initialized", st->initialized,
		"sealed", st->sealed, "shares", (json_int_t)st->shares,
		"threshold", (json_int_t)st->threshold, "progress",
		(json_int_t)st->progress, "instance_id", st->instance_id);
}

json_t *kw_json_token(const kw_token_info *t)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:b,s:b}", "id", t->id,
			 "principal", t->principal, "partition",
			 t->partition[0] != '\0' ? t->partition : "*", "name",
			 t->name, "created", kw_json_time(t->created),
			 "expires_at", kw_json_time(t->expires_at), "revoked",
			 t->revoked, "session", t->session);
}

json_t *kw_json_item_error(kw_rc rc)
{
	unsigned status;
	const char *code, *message;
	kw_http_error(rc, NULL, &status, &code, &message);
	return json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
			 message);
}
