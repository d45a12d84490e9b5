/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_ROUTES_BACKUP_H
#define KW_DAEMON_ROUTES_BACKUP_H

/* /v1/backup and key transfer (docs/api.md "backup", docs/backup.md).
 * Handlers in routes_backup.c; KW_ROUTES_BACKUP is their part of the route
 * table (routes.c). verify needs no token (the shares are what it takes);
 * restore takes one when given (a running instance needs it, an
 * uninitialised one has no principals yet). */

#include "daemon/request.h"

void kw_h_backup_create(kw_req *r);
void kw_h_backup_verify(kw_req *r);
void kw_h_backup_restore(kw_req *r);
void kw_h_key_export(kw_req *r);
void kw_h_key_import(kw_req *r);

/* clang-format off */
#define KW_ROUTES_BACKUP \
	{"POST", "/v1/backup", kw_h_backup_create, 0, "backup_create"}, \
	{"POST", "/v1/backup/verify", kw_h_backup_verify, KW_RF_NO_AUTH, \
	 "backup_verify"}, \
	{"POST", "/v1/backup/restore", kw_h_backup_restore, \
	 KW_RF_AUTH_OPTIONAL, "backup_restore"}, \
	{"POST", "/v1/keys/{name}/export", kw_h_key_export, 0, "key_export"}, \
	{"POST", "/v1/keys/import", kw_h_key_import, 0, "key_import"}
/* clang-format on */

#endif
