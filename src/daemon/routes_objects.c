/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "daemon/routes_objects.h"
#include "service/svc_objects.h"
#include "util/codec.h"

/* The body of POST and PATCH /v1/objects. */
typedef struct object_req {
	const char *cls;
	const char *label;
	kw_bytes ckaid;
	kw_opt_bool private_obj;
	const json_t *attrs;
} object_req;

static const kw_field create_spec[] = {
	KW_FIELD(object_req, cls, "class", KW_FIELD_STRING, true, 1, 16),
	KW_FIELD(object_req, label, "label", KW_FIELD_STRING, false, 1,
		 KW_OBJECT_LABEL_MAX),
	KW_FIELD(object_req, ckaid, "ckaid", KW_FIELD_B64, false, 1,
		 KW_OBJECT_CKAID_MAX),
	KW_FIELD(object_req, private_obj, "private", KW_FIELD_BOOL, false, 0,
		 0),
	KW_FIELD(object_req, attrs, "attrs", KW_FIELD_STRMAP, false, 0, 256),
};

/* PATCH takes the same fields but the class (which is the first). */
static const kw_field *const update_spec = create_spec + 1;
#define UPDATE_NFIELDS (KW_NFIELDS(create_spec) - 1)

static kw_object_spec spec_of(const object_req *in)
{
	kw_object_spec s = {
		.cls = in->cls,
		.set_label = in->label != NULL,
		.label = in->label,
		.set_ckaid = in->ckaid.set,
		.ckaid = in->ckaid.set ? in->ckaid.data : NULL,
		.ckaid_len = in->ckaid.len,
		.set_private = in->private_obj.set,
		.private_obj = in->private_obj.v,
		.attrs = in->attrs,
	};
	return s;
}

static void reply_object(kw_req *r, kw_rc rc, unsigned status, json_t *doc)
{
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, status, doc);
}

/* POST (create: id NULL) and PATCH of an object. */
static void object_write(kw_req *r, const kw_field *fields, size_t n,
			 const char *id)
{
	object_req in = {0};
	json_t *doc = NULL;
	kw_object_spec spec;
	kw_rc rc;

	if (!kw_req_decode(r, fields, n, &in))
		goto out;
	spec = spec_of(&in);
	rc = id == NULL ? kw_svc_object_create(r->svc, &r->call,
					       kw_req_partition(r), &spec, &doc)
			: kw_svc_object_update(r->svc, &r->call,
					       kw_req_partition(r), id, &spec,
					       &doc);
	reply_object(r, rc, id == NULL ? 201 : 200, doc);
out:
	kw_decoded_free(fields, n, &in);
}

void kw_h_object_create(kw_req *r)
{
	object_write(r, create_spec, KW_NFIELDS(create_spec), NULL);
}

void kw_h_object_list(kw_req *r)
{
	kw_object_filter f = {0};
	const char *ckaid = kw_req_query(r, "ckaid");
	uint8_t id[KW_OBJECT_CKAID_MAX];
	json_t *arr = NULL;
	char *next = NULL;
	uint64_t limit;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL) ||
	    !kw_req_query_uint(r, "limit", 1, 1000, 100, &limit))
		return;
	f.cls = kw_req_query(r, "class");
	f.label = kw_req_query(r, "label");
	if (ckaid != NULL) {
		size_t n = strlen(ckaid);
		if (n == 0 || n % 2 != 0 || n / 2 > sizeof(id) ||
		    kw_hex_decode(ckaid, n, id) != KW_OK) {
			kw_reply_error(r, 400, "invalid_argument",
				       "?ckaid is 1..255 bytes in hex");
			return;
		}
		f.ckaid = id;
		f.ckaid_len = n / 2;
		f.has_ckaid = true;
	}
	rc = kw_svc_object_list(r->svc, &r->call, kw_req_partition(r), &f,
				kw_req_query(r, "cursor"), (size_t)limit, &arr,
				&next);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		return;
	}
	kw_reply_json(
		r, 200,
		json_pack("{s:o,s:o}", "objects", arr, "next_cursor",
			  next != NULL ? json_string(next) : json_null()));
	free(next);
}

void kw_h_object_get(kw_req *r)
{
	json_t *doc = NULL;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_object_get(r->svc, &r->call, kw_req_partition(r),
			       kw_req_param(r, 0), &doc);
	reply_object(r, rc, 200, doc);
}

void kw_h_object_update(kw_req *r)
{
	object_write(r, update_spec, UPDATE_NFIELDS, kw_req_param(r, 0));
}

void kw_h_object_delete(kw_req *r)
{
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_object_delete(r->svc, &r->call, kw_req_partition(r),
				  kw_req_param(r, 0));
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_empty(r, 204);
}
