/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>

#include "keywarden/rc.h"

static const char *const kw_rc_names[KW_RC_COUNT_] = {
	[KW_OK] = "ok",
	[KW_E_INVALID] = "invalid_argument",
	[KW_E_UNSUPPORTED] = "unsupported",
	[KW_E_NOT_FOUND] = "not_found",
	[KW_E_EXISTS] = "already_exists",
	[KW_E_DENIED] = "permission_denied",
	[KW_E_UNAUTHENTICATED] = "unauthenticated",
	[KW_E_SEALED] = "sealed",
	[KW_E_QUORUM_PENDING] = "quorum_pending",
	[KW_E_STATE] = "invalid_state",
	[KW_E_INTEGRITY] = "integrity_error",
	[KW_E_CONFLICT] = "conflict",
	[KW_E_STORAGE] = "storage_error",
	[KW_E_CRYPTO] = "crypto_error",
	[KW_E_TPM] = "tpm_error",
	[KW_E_NOMEM] = "out_of_memory",
	[KW_E_LIMIT] = "limit_exceeded",
	[KW_E_AUDIT] = "audit_unavailable",
	[KW_E_VERIFY] = "verification_failed",
	[KW_E_BUFFER] = "buffer_too_small",
	[KW_E_NOT_INITIALIZED] = "not_initialized",
	[KW_E_INTERNAL] = "internal_error",
	[KW_E_EXPIRED] = "expired",
	[KW_E_UNAVAILABLE] = "unavailable",
};

const char *kw_rc_str(kw_rc rc)
{
	if ((unsigned)rc >= KW_RC_COUNT_ || kw_rc_names[rc] == NULL)
		return "unknown";
	return kw_rc_names[rc];
}
