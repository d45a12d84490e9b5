/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_SERVICE_SVC_OBJECTS_H
#define KW_SERVICE_SVC_OBJECTS_H

/*
 * The service functions of /v1/objects (certificates and data objects of a
 * partition, for the PKCS#11 module; src/lib/objects/objects.h): the same
 * contract as service.h. Reading needs the key_read right, writing
 * key_create (create, update) or key_destroy (delete): whoever may manage
 * the partition's keys may manage the certificates that go with them.
 */

#include "objects/objects.h"
#include "service/service.h"

kw_rc kw_svc_object_create(kw_service *svc, kw_svc_call *c,
			   const char *partition, const kw_object_spec *spec,
			   json_t **out);
kw_rc kw_svc_object_get(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *id, json_t **out);
kw_rc kw_svc_object_list(kw_service *svc, kw_svc_call *c, const char *partition,
			 const kw_object_filter *f, const char *cursor,
			 size_t limit, json_t **out, char **out_next);
kw_rc kw_svc_object_update(kw_service *svc, kw_svc_call *c,
			   const char *partition, const char *id,
			   const kw_object_spec *spec, json_t **out);
kw_rc kw_svc_object_delete(kw_service *svc, kw_svc_call *c,
			   const char *partition, const char *id);

#endif
