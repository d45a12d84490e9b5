/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client/internal.h"

/* The API's error codes (docs/api.md, "Errors") and what they mean to a
 * caller. Codes not listed here are matched against kw_rc_str() names,
 * then the HTTP status decides. */
static const struct {
	const char *code;
	kw_rc rc;
} api_codes[] = {
	{"invalid_json", KW_E_INVALID},
	{"invalid_type", KW_E_INVALID},
	{"unknown_field", KW_E_INVALID},
	{"missing_field", KW_E_INVALID},
	{"invalid_base64", KW_E_INVALID},
	{"invalid_argument", KW_E_INVALID},
	{"unsupported", KW_E_UNSUPPORTED},
	{"unsupported_media_type", KW_E_UNSUPPORTED},
	{"method_not_allowed", KW_E_UNSUPPORTED},
	{"unauthenticated", KW_E_UNAUTHENTICATED},
	{"token_expired", KW_E_EXPIRED},
	{"permission_denied", KW_E_DENIED},
	{"not_found", KW_E_NOT_FOUND},
	{"unknown_route", KW_E_NOT_FOUND},
	{"already_exists", KW_E_EXISTS},
	{"invalid_state", KW_E_STATE},
	{"conflict", KW_E_CONFLICT},
	{"body_too_large", KW_E_LIMIT},
	{"headers_too_large", KW_E_LIMIT},
	{"rate_limited", KW_E_LIMIT},
	{"locked_out", KW_E_LIMIT},
	{"integrity_error", KW_E_INTEGRITY},
	{"storage_error", KW_E_STORAGE},
	{"crypto_error", KW_E_CRYPTO},
	{"internal_error", KW_E_INTERNAL},
	{"sealed", KW_E_SEALED},
	{"not_initialized", KW_E_NOT_INITIALIZED},
	{"audit_unavailable", KW_E_AUDIT},
	{"too_many_connections", KW_E_UNAVAILABLE},
	{"quorum_pending", KW_E_QUORUM_PENDING},
};

kw_rc kw_client_rc_from_api(const char *code, long status)
{
	if (code != NULL) {
		for (size_t i = 0; i < sizeof(api_codes) / sizeof(api_codes[0]);
		     i++)
			if (strcmp(code, api_codes[i].code) == 0)
				return api_codes[i].rc;
		for (int r = 1; r < KW_RC_COUNT_; r++)
			if (strcmp(code, kw_rc_str((kw_rc)r)) == 0)
				return (kw_rc)r;
	}
	switch (status) {
	case 401:
		return KW_E_UNAUTHENTICATED;
	case 403:
		return KW_E_DENIED;
	case 404:
		return KW_E_NOT_FOUND;
	case 405:
	case 415:
		return KW_E_UNSUPPORTED;
	case 409:
		return KW_E_CONFLICT;
	case 413:
	case 429:
	case 431:
		return KW_E_LIMIT;
	case 503:
		return KW_E_UNAVAILABLE;
	default:
		break;
	}
	if (status >= 400 && status < 500)
		return KW_E_INVALID;
	if (status >= 500 && status < 600)
		return KW_E_INTERNAL;
	return KW_E_UNAVAILABLE;
}

void kw_client_error_clear(kw_client_error *e)
{
	memset(e, 0, sizeof(*e));
	e->rc = KW_OK;
}

kw_rc kw_client_fail(kw_client *c, kw_rc rc, const char *code, const char *fmt,
		     ...)
{
	va_list ap;
	kw_client_error_clear(&c->err);
	c->err.rc = rc;
	snprintf(c->err.code, sizeof(c->err.code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(c->err.message, sizeof(c->err.message), fmt, ap);
	va_end(ap);
	return rc;
}
