/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_WIRE_H
#define KW_DAEMON_WIRE_H

/*
 * The JSON shapes of docs/api.md: core objects to jansson values. Every
 * function returns a new reference, or NULL when memory ran out (jansson's
 * json_object_set_new() and friends accept NULL and fail, so callers can
 * build whole objects and check once).
 */

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keywarden/auth.h"
#include "keywarden/barrier.h"
#include "keywarden/keys.h"
#include "keywarden/secret.h"

/* RFC 3339 UTC, or null for 0. */
json_t *kw_json_time(int64_t t);
/* Standard base64 with padding. */
json_t *kw_json_b64(const uint8_t *p, size_t n);
/* "kw:v<N>:<base64>". */
json_t *kw_json_ciphertext(uint32_t version, const uint8_t *p, size_t n);
json_t *kw_json_roles(uint32_t roles);
json_t *kw_json_usages(uint32_t usages);
json_t *kw_json_key(const kw_key_info *k);
json_t *kw_json_principal(const kw_principal_info *p);
json_t *kw_json_partition(const kw_partition_info *p);
json_t *kw_json_status(const kw_barrier_status *st);
json_t *kw_json_token(const kw_token_info *t);
/* {"error":{"code","message"}} for one failed batch item. */
json_t *kw_json_item_error(kw_rc rc);

/* Parses a role name array (strings) into a bit set. KW_OK or
 * KW_E_INVALID (unknown role). */
kw_rc kw_roles_parse(const json_t *arr, uint32_t *out);
/* The same for usages. */
kw_rc kw_usages_parse(const json_t *arr, uint32_t *out);

#endif
