/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "service/internal.h"
#include "service/svc_objects.h"

/* The audit detail and the reason of an object operation. */
static void object_done(kw_svc_call *c, kw_rc rc, const char *id,
			const char *why)
{
	if (id != NULL && strlen(id) == KW_OBJECT_ID_LEN)
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"object\":\"%s\"}", svc_safe_name(id));
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no such object");
	else if (rc == KW_E_EXISTS)
		svc_reason(c, "an object of this class has this label");
	else if (rc == KW_E_INVALID && why != NULL)
		svc_reason(c, "%s", why);
}

static const char *id_of(const json_t *doc)
{
	return json_string_value(json_object_get(doc, "id"));
}

kw_rc kw_svc_object_create(kw_service *svc, kw_svc_call *c,
			   const char *partition, const kw_object_spec *spec,
			   json_t **out)
{
	const char *why = NULL;
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_CREATE, partition);

	if (rc != KW_OK)
		return rc;
	rc = kw_object_create(svc->barrier, svc->store, partition, spec, out,
			      &why);
	object_done(c, rc, rc == KW_OK ? id_of(*out) : NULL, why);
	return rc;
}

kw_rc kw_svc_object_get(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *id, json_t **out)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);

	if (rc != KW_OK)
		return rc;
	rc = kw_object_get(svc->barrier, svc->store, partition, id, out);
	object_done(c, rc, id, NULL);
	return rc;
}

kw_rc kw_svc_object_list(kw_service *svc, kw_svc_call *c, const char *partition,
			 const kw_object_filter *f, const char *cursor,
			 size_t limit, json_t **out, char **out_next)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);

	if (rc != KW_OK)
		return rc;
	rc = kw_object_list(svc->barrier, svc->store, partition, f, cursor,
			    limit, out, out_next);
	if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"count\":%zu}",
			 json_array_size(*out));
	else
		object_done(c, rc, NULL, "bad filter or cursor");
	return rc;
}

kw_rc kw_svc_object_update(kw_service *svc, kw_svc_call *c,
			   const char *partition, const char *id,
			   const kw_object_spec *spec, json_t **out)
{
	const char *why = NULL;
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_CREATE, partition);

	if (rc != KW_OK)
		return rc;
	rc = kw_object_update(svc->barrier, svc->store, partition, id, spec,
			      out, &why);
	object_done(c, rc, id, why);
	return rc;
}

kw_rc kw_svc_object_delete(kw_service *svc, kw_svc_call *c,
			   const char *partition, const char *id)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_DESTROY, partition);

	if (rc != KW_OK)
		return rc;
	rc = kw_object_delete(svc->barrier, svc->store, partition, id);
	object_done(c, rc, id, NULL);
	return rc;
}
