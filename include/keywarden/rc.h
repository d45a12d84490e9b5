/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_RC_H
#define KEYWARDEN_RC_H

/*
 * The one result type of the core. Every core function returns a kw_rc; the
 * edges translate it exactly once (HTTP status + error code in the daemon,
 * CK_RV in the PKCS#11 module, exit status in the CLI).
 *
 * The numeric values are stable: they are never reordered, only appended.
 */
typedef enum kw_rc {
	KW_OK = 0,
	KW_E_INVALID = 1, /* malformed or out-of-range argument */
	KW_E_UNSUPPORTED =
		2, /* unknown algorithm, or op not valid for key type */
	KW_E_NOT_FOUND = 3,	  /* no such object */
	KW_E_EXISTS = 4,	  /* object already exists */
	KW_E_DENIED = 5,	  /* authenticated, but not allowed */
	KW_E_UNAUTHENTICATED = 6, /* no or bad credentials */
	KW_E_SEALED = 7, /* barrier is sealed: no key operation possible */
	KW_E_QUORUM_PENDING = 8, /* needs approvals first */
	KW_E_STATE = 9,		 /* object state forbids the operation */
	KW_E_INTEGRITY =
		10, /* sealed data failed authentication, corrupt share */
	KW_E_CONFLICT = 11, /* compare-and-swap lost: version changed */
	KW_E_STORAGE = 12,  /* backend failure */
	KW_E_CRYPTO = 13,   /* crypto library failure */
	KW_E_TPM = 14,	    /* TPM failure */
	KW_E_NOMEM = 15,    /* allocation failed */
	KW_E_LIMIT = 16,    /* too large, too many, rate-limited */
	KW_E_AUDIT = 17,    /* audit trail cannot be written (fail-closed) */
	KW_E_VERIFY = 18,   /* signature / MAC / tag did not verify */
	KW_E_BUFFER = 19,   /* output buffer too small; size reported */
	KW_E_NOT_INITIALIZED = 20, /* instance not initialised yet */
	KW_E_INTERNAL = 21,	   /* a bug: an invariant did not hold */
	KW_E_EXPIRED = 22, /* credential, approval or grant past its expiry */
	KW_E_UNAVAILABLE = 23, /* service unreachable: connect failed, timed
				* out, connection lost, malformed response */
	KW_RC_COUNT_
} kw_rc;

/* Short stable snake_case name of rc ("sealed", "integrity_error", ...);
 * never NULL; "unknown" for values outside the enum. Thread-safe. */
const char *kw_rc_str(kw_rc rc);

#if defined(__GNUC__)
#define KW_WUR	  __attribute__((warn_unused_result))
#define KW_EXPORT __attribute__((visibility("default")))
#else
#define KW_WUR
#define KW_EXPORT
#endif

#endif
