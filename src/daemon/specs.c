/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include "daemon/specs.h"
#include "keywarden/auth.h"
#include "keywarden/keys.h"

#define S    KW_FIELD_STRING
#define SEC  KW_FIELD_SECRET
#define B64  KW_FIELD_B64
#define B64S KW_FIELD_B64_SECRET
#define U    KW_FIELD_UINT
#define BOOL KW_FIELD_BOOL
#define OBJ  KW_FIELD_OBJECT
#define STRS KW_FIELD_STRINGS
#define MAP  KW_FIELD_STRMAP
#define CT   KW_FIELD_CIPHERTEXT

#define YEAR (365ull * 86400)

const kw_field kw_init_spec[3] = {
	KW_FIELD(kw_init_req, shares, "shares", U, true, 1, KW_SHARES_MAX),
	KW_FIELD(kw_init_req, threshold, "threshold", U, true, 1,
		 KW_SHARES_MAX),
	KW_FIELD(kw_init_req, root_password, "root_password", SEC, false,
		 KW_PASSWORD_MIN, KW_PASSWORD_MAX),
};

const kw_field kw_unseal_spec[2] = {
	KW_FIELD(kw_unseal_req, share, "share", SEC, false, 1, 4096),
	KW_FIELD(kw_unseal_req, reset, "reset", BOOL, false, 0, 0),
};

const kw_field kw_login_spec[3] = {
	KW_FIELD(kw_login_req, user, "user", S, true, 1, KW_NAME_MAX),
	/* Any length: a wrong password is answered 401 like any other. */
	KW_FIELD(kw_login_req, password, "password", SEC, true, 1,
		 KW_PASSWORD_MAX),
	KW_FIELD(kw_login_req, partition, "partition", S, false, 0,
		 KW_NAME_MAX),
};

const kw_field kw_token_spec[3] = {
	KW_FIELD(kw_token_req, principal, "principal", S, true, 1, KW_NAME_MAX),
	KW_FIELD(kw_token_req, ttl, "ttl", U, false, 1, 10 * YEAR),
	KW_FIELD(kw_token_req, name, "name", S, false, 1, KW_NAME_MAX),
};

const kw_field kw_partition_spec[1] = {
	KW_FIELD(kw_partition_req, name, "name", S, true, 1, KW_NAME_MAX),
};

const kw_field kw_principal_spec[4] = {
	KW_FIELD(kw_principal_req, name, "name", S, true, 1, KW_NAME_MAX),
	KW_FIELD(kw_principal_req, kind, "kind", S, false, 1, 16),
	KW_FIELD(kw_principal_req, roles, "roles", STRS, false, 0, 8),
	KW_FIELD(kw_principal_req, password, "password", SEC, false,
		 KW_PASSWORD_MIN, KW_PASSWORD_MAX),
};

const kw_field kw_principal_patch_spec[1] = {
	KW_FIELD(kw_principal_patch_req, roles, "roles", STRS, true, 0, 8),
};

const kw_field kw_password_spec[1] = {
	KW_FIELD(kw_password_req, password, "password", SEC, true,
		 KW_PASSWORD_MIN, KW_PASSWORD_MAX),
};

const kw_field kw_key_create_spec[8] = {
	KW_FIELD(kw_key_create_req, name, "name", S, true, 1, KW_NAME_MAX),
	KW_FIELD(kw_key_create_req, type, "type", S, true, 1, 32),
	KW_FIELD(kw_key_create_req, usages, "usages", STRS, false, 1, 7),
	KW_FIELD(kw_key_create_req, exportable, "exportable", BOOL, false, 0,
		 0),
	KW_FIELD(kw_key_create_req, rotation_period, "rotation_period", U,
		 false, 0, 10 * YEAR),
	KW_FIELD(kw_key_create_req, labels, "labels", MAP, false, 0,
		 KW_LABELS_MAX),
	KW_FIELD(kw_key_create_req, policy, "policy", OBJ, false, 0, 0),
	KW_FIELD(kw_key_create_req, state, "state", S, false, 1, 32),
};

const kw_field kw_key_patch_spec[5] = {
	KW_FIELD(kw_key_patch_req, exportable, "exportable", BOOL, false, 0, 0),
	KW_FIELD(kw_key_patch_req, labels, "labels", MAP, false, 0,
		 KW_LABELS_MAX),
	KW_FIELD(kw_key_patch_req, policy, "policy", OBJ, false, 0, 0),
	KW_FIELD(kw_key_patch_req, rotation_period, "rotation_period", U, false,
		 0, 10 * YEAR),
	KW_FIELD(kw_key_patch_req, usages, "usages", STRS, false, 1, 7),
};

const kw_field kw_destroy_spec[1] = {
	KW_FIELD(kw_destroy_req, waiting_period, "waiting_period", U, false, 0,
		 YEAR),
};

/* The fields of one signature item, at prefix P of struct T. */
#define SIGN_FIELDS(T, P)                                                     \
	KW_FIELD(T, P input, "input", B64, false, 0, 0),                      \
		KW_FIELD(T, P digest, "digest", B64, false, 1, 64),           \
		KW_FIELD(T, P hash, "hash", S, false, 1, 16),                 \
		KW_FIELD(T, P scheme, "scheme", S, false, 1, 16),             \
		KW_FIELD(T, P salt_length, "salt_length", U, false, 0, 1024), \
		KW_FIELD(T, P format, "format", S, false, 1, 8)
#define VERIFY_FIELDS(T, P)                                                \
	SIGN_FIELDS(T, P),                                                 \
		KW_FIELD(T, P signature, "signature", B64, true, 1, 4096), \
		KW_FIELD(T, P key_version, "key_version", U, false, 1,     \
			 KW_KEY_VERSIONS_MAX)

const kw_field kw_sign_item_spec[6] = {SIGN_FIELDS(kw_sign_item, )};
const kw_field kw_sign_spec[7] = {
	SIGN_FIELDS(kw_sign_req, one.),
	KW_FIELD_BATCH_OF(kw_sign_req, batch, "batch", kw_sign_item,
			  kw_sign_item_spec),
};

/* In a verify request "signature" is required per item, so the
 * single-request spec has it optional and the handler checks it (a batch
 * request has none at the top). */
const kw_field kw_verify_item_spec[8] = {VERIFY_FIELDS(kw_sign_item, )};
const kw_field kw_verify_spec[9] = {
	SIGN_FIELDS(kw_sign_req, one.),
	KW_FIELD(kw_sign_req, one.signature, "signature", B64, false, 1, 4096),
	KW_FIELD(kw_sign_req, one.key_version, "key_version", U, false, 1,
		 KW_KEY_VERSIONS_MAX),
	KW_FIELD_BATCH_OF(kw_sign_req, batch, "batch", kw_sign_item,
			  kw_verify_item_spec),
};

#define ENC_COMMON(T, P)                                                \
	KW_FIELD(T, P aad, "aad", B64, false, 0, 0),                    \
		KW_FIELD(T, P oaep_hash, "oaep_hash", S, false, 1, 16), \
		KW_FIELD(T, P label, "label", B64, false, 0, 0)

const kw_field kw_encrypt_item_spec[4] = {
	KW_FIELD(kw_enc_item, plaintext, "plaintext", B64S, true, 0, 0),
	ENC_COMMON(kw_enc_item, ),
};
const kw_field kw_encrypt_spec[5] = {
	KW_FIELD(kw_enc_req, one.plaintext, "plaintext", B64S, false, 0, 0),
	ENC_COMMON(kw_enc_req, one.),
	KW_FIELD_BATCH_OF(kw_enc_req, batch, "batch", kw_enc_item,
			  kw_encrypt_item_spec),
};
const kw_field kw_decrypt_item_spec[4] = {
	KW_FIELD(kw_enc_item, ciphertext, "ciphertext", CT, true, 1, 0),
	ENC_COMMON(kw_enc_item, ),
};
const kw_field kw_decrypt_spec[5] = {
	KW_FIELD(kw_enc_req, one.ciphertext, "ciphertext", CT, false, 1, 0),
	ENC_COMMON(kw_enc_req, one.),
	KW_FIELD_BATCH_OF(kw_enc_req, batch, "batch", kw_enc_item,
			  kw_decrypt_item_spec),
};

const kw_field kw_mac_spec[1] = {
	KW_FIELD(kw_mac_req, input, "input", B64, true, 0, 0),
};
const kw_field kw_mac_verify_spec[3] = {
	KW_FIELD(kw_mac_req, input, "input", B64, true, 0, 0),
	KW_FIELD(kw_mac_req, mac, "mac", B64, true, 1, 64),
	KW_FIELD(kw_mac_req, key_version, "key_version", U, false, 1,
		 KW_KEY_VERSIONS_MAX),
};

const kw_field kw_wrap_spec[2] = {
	KW_FIELD(kw_wrap_req, input, "input", B64S, true, 1, 0),
	KW_FIELD(kw_wrap_req, mode, "mode", S, false, 1, 8),
};
const kw_field kw_unwrap_spec[2] = {
	KW_FIELD(kw_wrap_req, wrapped, "wrapped", CT, true, 1, 0),
	KW_FIELD(kw_wrap_req, mode, "mode", S, false, 1, 8),
};

const kw_field kw_datakey_spec[4] = {
	KW_FIELD(kw_datakey_req, type, "type", S, false, 1, 16),
	KW_FIELD(kw_datakey_req, aad, "aad", B64, false, 0, 0),
	KW_FIELD(kw_datakey_req, oaep_hash, "oaep_hash", S, false, 1, 16),
	KW_FIELD(kw_datakey_req, label, "label", B64, false, 0, 0),
};

const kw_field kw_random_spec[1] = {
	KW_FIELD(kw_random_req, bytes, "bytes", U, true, 1, 65536),
};

#define ENTRY(name, spec, type)                            \
	{                                                  \
		name, spec, KW_NFIELDS(spec), sizeof(type) \
	}

const kw_spec_entry kw_specs_all[] = {
	ENTRY("init", kw_init_spec, kw_init_req),
	ENTRY("unseal", kw_unseal_spec, kw_unseal_req),
	ENTRY("login", kw_login_spec, kw_login_req),
	ENTRY("token", kw_token_spec, kw_token_req),
	ENTRY("partition", kw_partition_spec, kw_partition_req),
	ENTRY("principal", kw_principal_spec, kw_principal_req),
	ENTRY("principal_patch", kw_principal_patch_spec,
	      kw_principal_patch_req),
	ENTRY("password", kw_password_spec, kw_password_req),
	ENTRY("key_create", kw_key_create_spec, kw_key_create_req),
	ENTRY("key_patch", kw_key_patch_spec, kw_key_patch_req),
	ENTRY("destroy", kw_destroy_spec, kw_destroy_req),
	ENTRY("sign", kw_sign_spec, kw_sign_req),
	ENTRY("verify", kw_verify_spec, kw_sign_req),
	ENTRY("encrypt", kw_encrypt_spec, kw_enc_req),
	ENTRY("decrypt", kw_decrypt_spec, kw_enc_req),
	ENTRY("mac", kw_mac_spec, kw_mac_req),
	ENTRY("mac_verify", kw_mac_verify_spec, kw_mac_req),
	ENTRY("wrap", kw_wrap_spec, kw_wrap_req),
	ENTRY("unwrap", kw_unwrap_spec, kw_wrap_req),
	ENTRY("datakey", kw_datakey_spec, kw_datakey_req),
	ENTRY("random", kw_random_spec, kw_random_req),
};
const size_t kw_specs_all_count = KW_NFIELDS(kw_specs_all);
