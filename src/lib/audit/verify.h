/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_AUDIT_VERIFY_H
#define KW_AUDIT_VERIFY_H

/*
 * The offline audit log verifier (DESIGN.md §5, docs/audit.md), and the
 * entry hash that the writer uses too.
 *
 * Part of the kw_auditverify library (with util/jcs.c): it holds no secrets
 * and needs no daemon, so the CLI links it for `keywarden audit verify`.
 * It uses kw_base's kw_digest and verify-only kw_ckey for SHA-256 and
 * Ed25519, so OpenSSL stays behind src/lib/crypto.
 *
 * What a valid log is (checked line by line, in one pass):
 *  - every line is one JSON object, byte for byte its own canonical JSON
 *    (so no edit can hide in a non-canonical spelling);
 *  - it has the fields of §5 with their types; result is ok/denied/error;
 *  - seq starts at 1 (or anywhere with allow_partial) and grows by one;
 *  - prev is the previous line's hash (64 zeros for seq 1);
 *  - hash is the lowercase hex SHA-256 of the canonical JSON of the entry
 *    without "hash";
 *  - an entry with op "checkpoint" has a base64 "sig" that one of the
 *    trusted public keys (the one named by its "key_id", if present)
 *    verifies over the 32 raw bytes of its prev;
 *  - the log ends with a checkpoint (unless allow_tail): entries after the
 *    last checkpoint could have been cut off or rewritten unnoticed.
 *
 * A verifier object is used by one thread at a time.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "keywarden/rc.h"

#define KW_AUDIT_HASH_HEX_LEN 64 /* hex digits of a hash or key id */
#define KW_AUDIT_ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define KW_AUDIT_SIG_LEN    64 /* Ed25519 signature bytes */
#define KW_AUDIT_REASON_MAX 256

/* Lowercase hex SHA-256 of p[0..len), NUL-terminated. KW_OK, KW_E_INVALID,
 * KW_E_CRYPTO. */
kw_rc kw_audit_sha256_hex(const void *p, size_t len,
			  char out[static KW_AUDIT_HASH_HEX_LEN + 1]);

/* Lowercase hex SHA-256 of the canonical JSON of entry without its "hash"
 * member, NUL-terminated. KW_OK, KW_E_INVALID, KW_E_UNSUPPORTED (see
 * kw_jcs_encode), KW_E_CRYPTO, KW_E_NOMEM. */
kw_rc kw_audit_entry_hash(const json_t *entry,
			  char out[static KW_AUDIT_HASH_HEX_LEN + 1]);

/* The id of an audit key: lowercase hex SHA-256 of its public key's
 * SubjectPublicKeyInfo DER. KW_OK, KW_E_INVALID, KW_E_CRYPTO, KW_E_NOMEM. */
kw_rc kw_audit_key_id(const kw_ckey *k,
		      char out[static KW_AUDIT_HASH_HEX_LEN + 1]);

typedef struct kw_audit_verify_opts {
	bool allow_tail;    /* a tail after the last checkpoint is no error */
	bool allow_partial; /* first seq may be > 1; its prev is trusted */
} kw_audit_verify_opts;

typedef struct kw_audit_verify_report {
	uint64_t entries;
	uint64_t checkpoints;
	uint64_t first_seq; /* 0 if no entry */
	uint64_t last_seq;
	uint64_t last_checkpoint_seq; /* 0 if none */
	uint64_t tail;		      /* entries after the last checkpoint */
	char head[KW_AUDIT_HASH_HEX_LEN + 1]; /* hash of the last good entry */
	/* The first problem, when the log is not valid: */
	uint64_t bad_line; /* 1-based line number, 0 if at the end */
	uint64_t bad_seq;  /* seq of that line if it had one, else 0 */
	char reason[KW_AUDIT_REASON_MAX];
} kw_audit_verify_report;

typedef struct kw_audit_verifier kw_audit_verifier;

/* opts may be NULL (all false). KW_OK, KW_E_INVALID, KW_E_NOMEM. */
kw_rc kw_audit_verifier_new(const kw_audit_verify_opts *opts,
			    kw_audit_verifier **out);
void kw_audit_verifier_free(kw_audit_verifier *v);

/* Trusts the Ed25519 public keys in pem[0..len): one or more PEM
 * "PUBLIC KEY" blocks (or one SubjectPublicKeyInfo DER). Call before the
 * first line. KW_OK; KW_E_INVALID (no key, not Ed25519, malformed);
 * KW_E_NOMEM. */
kw_rc kw_audit_verifier_add_keys(kw_audit_verifier *v, const uint8_t *pem,
				 size_t len);

/* Checks the next line (without its '\n'). KW_OK, or KW_E_VERIFY when this
 * or an earlier line is bad (the report of finish says where and why);
 * KW_E_NOMEM. */
KW_WUR kw_rc kw_audit_verifier_line(kw_audit_verifier *v, const char *line,
				    size_t len);

/* Ends the log and fills *out (also when invalid). KW_OK if the whole log
 * is valid, KW_E_VERIFY if not, KW_E_INVALID for NULL arguments. */
KW_WUR kw_rc kw_audit_verifier_finish(kw_audit_verifier *v,
				      kw_audit_verify_report *out);

/* Reads JSON Lines from f to the end (each line ends with '\n') through v
 * and finishes: same results as finish, or KW_E_STORAGE on a read error. */
KW_WUR kw_rc kw_audit_verify_stream(kw_audit_verifier *v, FILE *f,
				    kw_audit_verify_report *out);

#endif
