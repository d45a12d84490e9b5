/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_UTIL_JCS_H
#define KW_UTIL_JCS_H

/*
 * Canonical JSON: the subset of RFC 8785 (JCS) that the audit trail uses.
 *
 *  - values: objects, arrays, strings, integers, true, false, null; a real
 *    number is refused (KW_E_UNSUPPORTED), and so is an integer outside the
 *    I-JSON range -(2^53 - 1) .. 2^53 - 1;
 *  - object members sorted by their names as arrays of UTF-16 code units
 *    (RFC 8785 §3.2.3), so a name with a character above U+FFFF (a
 *    surrogate pair, 0xD800..) sorts before one with U+E000..U+FFFF;
 *  - strings as RFC 8785 §3.2.2.2: \b \t \n \f \r, \" and \\ in short form,
 *    other characters below U+0020 as \u00xx with lowercase hex, everything
 *    else (also U+007F, "/" and non-ASCII) as its UTF-8 bytes;
 *  - no whitespace; integers in plain decimal.
 *
 * Part of the kw_auditverify library, which the CLI links: no secrets here.
 * Thread-safe (no state).
 */

#include <stddef.h>

#include <jansson.h>

#include "keywarden/rc.h"

#define KW_JCS_DEPTH_MAX 32

/*
 * Serialises v canonically into *out (malloc()ed, NUL-terminated; *out_len
 * is its length without the NUL; out_len may be NULL). If omit is not NULL
 * and v is an object, its top-level member of that name is left out (the
 * audit hash covers an entry without its "hash" member).
 *
 * KW_OK; KW_E_INVALID (v or out NULL, a string that is not valid UTF-8 or
 * holds U+0000, nesting deeper than KW_JCS_DEPTH_MAX, duplicate names);
 * KW_E_UNSUPPORTED (a real number, an integer out of range); KW_E_NOMEM.
 */
kw_rc kw_jcs_encode(const json_t *v, const char *omit, char **out,
		    size_t *out_len);

/*
 * The members of object obj in canonical form, without the braces, cut into
 * ncuts + 1 parts at the names cuts[] (canonically sorted, none of them a
 * member of obj): part k holds, comma-separated, the members that sort
 * after cuts[k - 1] and before cuts[k]; it is (*out)[ends[k - 1] ..
 * ends[k]), with ends[-1] taken as 0. Joining the non-empty parts and the
 * members named by cuts, in order, with commas, inside braces gives the
 * canonical form of obj with those members added. The audit writer
 * completes prepared entries this way.
 *
 * KW_OK; KW_E_INVALID (obj not an object, cuts unsorted or invalid, a cut
 * name that is a member of obj, and what kw_jcs_encode refuses);
 * KW_E_UNSUPPORTED; KW_E_NOMEM.
 */
kw_rc kw_jcs_encode_parts(const json_t *obj, const char *const *cuts,
			  size_t ncuts, char **out, size_t *ends);

/*
 * Parses text[0..len) strictly (one JSON value, duplicate member names and
 * U+0000 in strings refused) into *out (a new reference).
 * KW_OK, KW_E_INVALID.
 */
kw_rc kw_jcs_parse(const char *text, size_t len, json_t **out);

#endif
