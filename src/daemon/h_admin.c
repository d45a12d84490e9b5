/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "daemon/handlers.h"
#include "daemon/specs.h"
#include "daemon/wire.h"

#define PARTITIONS_MAX 1000

/* ---- partitions ---------------------------------------------------------- */

void kw_h_partition_create(kw_req *r)
{
	kw_partition_req in = {0};
	kw_partition_info p;
	kw_rc rc;

	if (!kw_req_decode(r, kw_partition_spec, KW_NFIELDS(kw_partition_spec),
			   &in))
		return;
	rc = kw_svc_partition_create(r->svc, &r->call, in.name, &p);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 201, kw_json_partition(&p));
}

void kw_h_partition_list(kw_req *r)
{
	kw_partition_info *list = calloc(PARTITIONS_MAX, sizeof(*list));
	size_t n = 0;
	json_t *arr;
	kw_rc rc = KW_E_NOMEM;

	if (!kw_req_decode(r, NULL, 0, NULL))
		goto out;
	if (list != NULL)
		rc = kw_svc_partition_list(r->svc, &r->call, list,
					   PARTITIONS_MAX, &n);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, kw_json_partition(&list[i]));
	kw_reply_json(r, 200, json_pack("{s:o}", "partitions", arr));
out:
	free(list);
}

void kw_h_partition_get(kw_req *r)
{
	kw_partition_info p;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_partition_get(r->svc, &r->call, kw_req_param(r, 0), &p);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, 200, kw_json_partition(&p));
}

void kw_h_partition_delete(kw_req *r)
{
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_partition_delete(r->svc, &r->call, kw_req_param(r, 0));
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_empty(r, 204);
}

/* ---- principals ------------------------------------------------------------ */

static void reply_principal(kw_req *r, kw_rc rc, unsigned status,
			    const kw_principal_info *p)
{
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_json(r, status, kw_json_principal(p));
}

/* Roles from the body; answers 400 on an unknown role name. */
static bool roles_of(kw_req *r, const json_t *arr, uint32_t *out)
{
	*out = 0;
	if (arr == NULL || kw_roles_parse(arr, out) == KW_OK)
		return true;
	kw_reply_error(r, 400, "invalid_argument",
		       "roles are security-officer, crypto-officer, "
		       "crypto-user, auditor, custodian");
	return false;
}

void kw_h_principal_create(kw_req *r)
{
	kw_principal_req in = {0};
	kw_principal_info p;
	kw_principal_kind kind = KW_PRINCIPAL_USER;
	uint32_t roles = 0;
	kw_rc rc;

	if (!kw_req_decode(r, kw_principal_spec, KW_NFIELDS(kw_principal_spec),
			   &in) ||
	    !roles_of(r, in.roles, &roles))
		goto out;
	if (in.kind != NULL && strcmp(in.kind, "app") == 0) {
		kind = KW_PRINCIPAL_APP;
	} else if (in.kind != NULL && strcmp(in.kind, "user") != 0) {
		kw_reply_error(r, 400, "invalid_argument",
			       "kind is user or app");
		goto out;
	}
	if ((kind == KW_PRINCIPAL_USER) != (in.password != NULL)) {
		kw_reply_error(r, 400, "invalid_argument",
			       "a user needs a password; an app has none");
		goto out;
	}
	rc = kw_svc_principal_create(r->svc, &r->call, kw_req_partition(r),
				     in.name, kind, roles, in.password, &p);
	reply_principal(r, rc, 201, &p);
out:
	kw_decoded_free(kw_principal_spec, KW_NFIELDS(kw_principal_spec), &in);
}

void kw_h_principal_list(kw_req *r)
{
	uint64_t limit = 100;
	kw_principal_info *list = NULL;
	size_t n = 0;
	json_t *arr;
	kw_rc rc = KW_E_NOMEM;

	if (!kw_req_decode(r, NULL, 0, NULL) ||
	    !kw_req_query_uint(r, "limit", 1, 1000, 100, &limit))
		goto out;
	/* One more than asked, to know whether there is a next page. */
	list = calloc((size_t)limit + 1, sizeof(*list));
	if (list != NULL)
		rc = kw_svc_principal_list(
			r->svc, &r->call, kw_req_partition(r),
			kw_req_query(r, "cursor"), list, (size_t)limit + 1, &n);
	if (rc != KW_OK) {
		kw_reply_rc(r, rc);
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; i < n && i < limit; i++)
		json_array_append_new(arr, kw_json_principal(&list[i]));
	kw_reply_json(r, 200,
		      json_pack("{s:o,s:o}", "principals", arr, "next_cursor",
				n > limit ? json_string(list[limit - 1].name)
					  : json_null()));
out:
	free(list);
}

void kw_h_principal_get(kw_req *r)
{
	kw_principal_info p;
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_principal_get(r->svc, &r->call, kw_req_partition(r),
				  kw_req_param(r, 0), &p);
	reply_principal(r, rc, 200, &p);
}

void kw_h_principal_patch(kw_req *r)
{
	kw_principal_patch_req in = {0};
	kw_principal_info p;
	uint32_t roles = 0;
	kw_rc rc;

	if (!kw_req_decode(r, kw_principal_patch_spec,
			   KW_NFIELDS(kw_principal_patch_spec), &in) ||
	    !roles_of(r, in.roles, &roles))
		return;
	rc = kw_svc_principal_set_roles(r->svc, &r->call, kw_req_partition(r),
					kw_req_param(r, 0), roles, &p);
	reply_principal(r, rc, 200, &p);
}

void kw_h_principal_password(kw_req *r)
{
	kw_password_req in = {0};
	kw_rc rc;

	if (!kw_req_decode(r, kw_password_spec, KW_NFIELDS(kw_password_spec),
			   &in))
		goto out;
	rc = kw_svc_principal_set_password(r->svc, &r->call,
					   kw_req_partition(r),
					   kw_req_param(r, 0), in.password);
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_empty(r, 204);
out:
	kw_decoded_free(kw_password_spec, KW_NFIELDS(kw_password_spec), &in);
}

void kw_h_principal_delete(kw_req *r)
{
	kw_rc rc;

	if (!kw_req_decode(r, NULL, 0, NULL))
		return;
	rc = kw_svc_principal_delete(r->svc, &r->call, kw_req_partition(r),
				     kw_req_param(r, 0));
	if (rc != KW_OK)
		kw_reply_rc(r, rc);
	else
		kw_reply_empty(r, 204);
}
