/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_BACKUP_JSON_H
#define KW_BACKUP_JSON_H

/*
 * The JSON form of a kw_backup_info, one shape for the daemon's answers
 * (src/daemon/routes_backup.c) and the CLI's offline check:
 *   {"format","instance_id","created" (RFC 3339),"keying","shares",
 *    "threshold","split_id" (custodians, else null),"version","records",
 *    "counts":{"keys":N,...},"audit_entries","chunks","size",
 *    "authenticated"}
 * counts names only the record types present. NULL on allocation failure.
 */

#include <jansson.h>

#include "keywarden/backup.h"

json_t *kw_backup_info_json(const kw_backup_info *info);

#endif
