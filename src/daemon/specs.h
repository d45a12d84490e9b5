/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_SPECS_H
#define KW_DAEMON_SPECS_H

/*
 * The request bodies of docs/api.md: one struct and one field spec per
 * body. Kept together (rather than beside each handler) so that the fuzz
 * target can run every decoder the daemon has (kw_specs_all).
 */

#include "daemon/decode.h"

/* ---- sys ---------------------------------------------------------------- */

typedef struct kw_init_req {
	kw_opt_uint shares;
	kw_opt_uint threshold;
	kw_secret *root_password;
} kw_init_req;
extern const kw_field kw_init_spec[3];

typedef struct kw_unseal_req {
	kw_secret *share;
	kw_opt_bool reset;
} kw_unseal_req;
extern const kw_field kw_unseal_spec[2];

/* ---- auth ---------------------------------------------------------------- */

typedef struct kw_login_req {
	const char *user;
	kw_secret *password;
	const char *partition;
} kw_login_req;
extern const kw_field kw_login_spec[3];

typedef struct kw_token_req {
	const char *principal;
	kw_opt_uint ttl;
	const char *name;
} kw_token_req;
extern const kw_field kw_token_spec[3];

/* ---- partitions, principals ------------------------------------------------ */

typedef struct kw_partition_req {
	const char *name;
} kw_partition_req;
extern const kw_field kw_partition_spec[1];

typedef struct kw_principal_req {
	const char *name;
	const char *kind;
	const json_t *roles;
	kw_secret *password;
} kw_principal_req;
extern const kw_field kw_principal_spec[4];

typedef struct kw_principal_patch_req {
	const json_t *roles;
} kw_principal_patch_req;
extern const kw_field kw_principal_patch_spec[1];

typedef struct kw_password_req {
	kw_secret *password;
} kw_password_req;
extern const kw_field kw_password_spec[1];

/* ---- keys ------------------------------------------------------------------- */

typedef struct kw_key_create_req {
	const char *name;
	const char *type;
	const json_t *usages;
	kw_opt_bool exportable;
	kw_opt_uint rotation_period;
	const json_t *labels;
	const json_t *policy;
	const char *state;
} kw_key_create_req;
extern const kw_field kw_key_create_spec[8];

typedef struct kw_key_patch_req {
	kw_opt_bool exportable;
	const json_t *labels;
	const json_t *policy;
	kw_opt_uint rotation_period;
	const json_t *usages;
} kw_key_patch_req;
extern const kw_field kw_key_patch_spec[5];

typedef struct kw_destroy_req {
	kw_opt_uint waiting_period;
} kw_destroy_req;
extern const kw_field kw_destroy_spec[1];

/* ---- crypto (single requests embed one item; or a batch of items) ---------- */

typedef struct kw_sign_item {
	kw_bytes input;
	kw_bytes digest;
	const char *hash;
	const char *scheme;
	kw_opt_uint salt_length;
	const char *format;
	/* verify only */
	kw_bytes signature;
	kw_opt_uint key_version;
} kw_sign_item;
typedef struct kw_sign_req {
	kw_sign_item one;
	kw_batch batch;
} kw_sign_req;
extern const kw_field kw_sign_item_spec[6];
extern const kw_field kw_sign_spec[7];
extern const kw_field kw_verify_item_spec[8];
extern const kw_field kw_verify_spec[9];

typedef struct kw_enc_item {
	kw_secret *plaintext;	  /* encrypt */
	kw_ciphertext ciphertext; /* decrypt */
	kw_bytes aad;
	const char *oaep_hash;
	kw_bytes label;
} kw_enc_item;
typedef struct kw_enc_req {
	kw_enc_item one;
	kw_batch batch;
} kw_enc_req;
extern const kw_field kw_encrypt_item_spec[4];
extern const kw_field kw_encrypt_spec[5];
extern const kw_field kw_decrypt_item_spec[4];
extern const kw_field kw_decrypt_spec[5];

typedef struct kw_mac_req {
	kw_bytes input;
	kw_bytes mac;
	kw_opt_uint key_version;
} kw_mac_req;
extern const kw_field kw_mac_spec[1];
extern const kw_field kw_mac_verify_spec[3];

typedef struct kw_wrap_req {
	kw_secret *input;
	kw_ciphertext wrapped;
	const char *mode;
} kw_wrap_req;
extern const kw_field kw_wrap_spec[2];
extern const kw_field kw_unwrap_spec[2];

typedef struct kw_datakey_req {
	const char *type;
	kw_bytes aad;
	const char *oaep_hash;
	kw_bytes label;
} kw_datakey_req;
extern const kw_field kw_datakey_spec[4];

typedef struct kw_random_req {
	kw_opt_uint bytes;
} kw_random_req;
extern const kw_field kw_random_spec[1];

/* Every body spec, for the fuzz target: spec, its length, the size of its
 * output struct. */
typedef struct kw_spec_entry {
	const char *name;
	const kw_field *spec;
	size_t n;
	size_t size;
} kw_spec_entry;
extern const kw_spec_entry kw_specs_all[];
extern const size_t kw_specs_all_count;

#endif
