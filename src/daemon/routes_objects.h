/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_ROUTES_OBJECTS_H
#define KW_DAEMON_ROUTES_OBJECTS_H

/* /v1/objects: a partition's certificates and data objects (for the
 * PKCS#11 module; docs/api.md "objects"). Handlers in routes_objects.c;
 * KW_ROUTES_OBJECTS is their part of the route table (routes.c). */

#include "daemon/request.h"

void kw_h_object_create(kw_req *r);
void kw_h_object_list(kw_req *r);
void kw_h_object_get(kw_req *r);
void kw_h_object_update(kw_req *r);
void kw_h_object_delete(kw_req *r);

#define KW_ROUTES_OBJECTS                                                   \
	{"POST", "/v1/objects", kw_h_object_create, 0, "object_create"},    \
		{"GET", "/v1/objects", kw_h_object_list, 0, "object_list"}, \
		{"GET", "/v1/objects/{id}", kw_h_object_get, 0,             \
		 "object_read"},                                            \
		{"PATCH", "/v1/objects/{id}", kw_h_object_update, 0,        \
		 "object_update"},                                          \
	{                                                                   \
		"DELETE", "/v1/objects/{id}", kw_h_object_delete, 0,        \
			"object_delete"                                     \
	}

#endif
