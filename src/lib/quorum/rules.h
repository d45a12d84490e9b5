/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_QUORUM_RULES_H
#define KW_QUORUM_RULES_H

/*
 * Quorum rules documents (docs/quorum.md), for the rest of the library.
 * rules.c is built into kw_auth (src/lib/auth/meson.build) so that the key
 * policy parser can check a key's "quorum" member with the same code; the
 * rest of the quorum module links kw_auth.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "keywarden/quorum.h"

/*
 * Checks the rules document doc for level. Messages name the member at
 * fault, each path prefixed with `where` ("" or e.g. "quorum", joined by "."
 * or ": ").
 * If op is not KW_QOP_NONE and the document is valid, *out_found tells
 * whether a rule names op, and then *out (may be NULL) is its factor
 * (have 0). KW_OK, KW_E_INVALID (err filled; may be NULL), KW_E_NOMEM.
 * Pure; thread-safe.
 */
kw_rc kw_quorum_rules_check(const json_t *doc, kw_quorum_level level,
			    const char *where, kw_qop op, kw_quorum_factor *out,
			    bool *out_found, char *err, size_t err_len);

#endif
