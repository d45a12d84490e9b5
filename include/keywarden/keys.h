/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_KEYS_H
#define KEYWARDEN_KEYS_H

/*
 * Key objects (DESIGN.md §4 "Key model"). A key has a name unique in its
 * partition, an id, a type, allowed usages, a state, versions (1, 2, ...;
 * one primary; older versions keep verifying / decrypting / unwrapping until
 * the key is destroyed), a one-way `exportable` flag, an optional rotation
 * period, labels and a policy (an opaque JSON document that the daemon's
 * policy engine interprets; the keys module only stores it).
 *
 * Keys in use are held unsealed in a bounded cache with prepared crypto
 * contexts, so an operation costs what the crypto costs. Every state or
 * metadata change is a compare-and-swap on the key record; the cache entry is
 * replaced after a successful commit.
 *
 * The keys module does no authorisation: the daemon checks roles, policy and
 * quorum first. It does enforce the key's own rules: state, usages, type.
 *
 * All functions are thread-safe. Every function returns KW_E_SEALED while the
 * barrier is sealed (a seal the keys module was not told about is noticed
 * at the next call, which also wipes the cache), KW_E_INVALID on bad
 * arguments (checked first), KW_E_NOT_FOUND for an unknown key, KW_E_INTEGRITY
 * if the stored key fails to open, KW_E_STORAGE on backend failures,
 * KW_E_NOMEM, besides the codes named per function. Outputs are written only
 * on success.
 *
 * Keys are named by partition and name, or by partition and id wherever a
 * "name" is taken: a key name never has the form of an id. An id of a key of
 * another partition is KW_E_NOT_FOUND.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/algs.h"
#include "keywarden/barrier.h"
#include "keywarden/rc.h"
#include "keywarden/secret.h"
#include "keywarden/store.h"

/* Key and partition names: [A-Za-z0-9._-], 1..KW_NAME_MAX bytes; a key
 * name never has the form of a key id. */
#define KW_NAME_MAX	    64
#define KW_KEY_ID_LEN	    34	  /* "k-" + 32 lowercase hex */
#define KW_LABELS_MAX	    32	  /* labels per key */
#define KW_LABEL_MAX	    128	  /* bytes per label key or value */
#define KW_POLICY_MAX	    65536 /* bytes of policy JSON */
#define KW_KEY_VERSIONS_MAX 1000

typedef enum kw_key_state {
	KW_KEY_STATE_NONE = 0,
	KW_KEY_PRE_ACTIVE = 1,
	KW_KEY_ACTIVE = 2,
	KW_KEY_DISABLED = 3,
	KW_KEY_COMPROMISED = 4,
	KW_KEY_PENDING_DESTRUCTION = 5,
	KW_KEY_DESTROYED = 6,
	KW_KEY_STATE_COUNT_
} kw_key_state;

/* "pre-active", "active", "disabled", "compromised", "pending-destruction",
 * "destroyed". */
const char *kw_key_state_name(kw_key_state s);
kw_rc kw_key_state_parse(const char *name, kw_key_state *out);

/* Usages (bit set). */
enum {
	KW_USAGE_SIGN = 1u << 0,
	KW_USAGE_VERIFY = 1u << 1,
	KW_USAGE_ENCRYPT = 1u << 2,
	KW_USAGE_DECRYPT = 1u << 3,
	KW_USAGE_WRAP = 1u << 4,
	KW_USAGE_UNWRAP = 1u << 5,
	KW_USAGE_MAC = 1u << 6, /* compute and verify */
	KW_USAGE_ALL_ = (1u << 7) - 1,
};

/* "sign", "verify", "encrypt", "decrypt", "wrap", "unwrap", "mac". */
const char *kw_usage_name(uint32_t single_bit);
kw_rc kw_usage_parse(const char *name, uint32_t *out_bit);
/* The usages a key type can have at all, and its default set (AES keys
 * default to encrypt + decrypt: a key-wrapping key is asked for). */
uint32_t kw_key_type_usages_possible(kw_key_type t);
uint32_t kw_key_type_usages_default(kw_key_type t);

typedef struct kw_label {
	char *key;
	char *value;
} kw_label;

typedef struct kw_key_version_info {
	uint32_t version;
	int64_t created; /* unix seconds */
} kw_key_version_info;

/* A snapshot of a key's metadata; the caller owns it. */
typedef struct kw_key_info {
	char id[KW_KEY_ID_LEN + 1];
	char partition[KW_NAME_MAX + 1];
	char name[KW_NAME_MAX + 1];
	kw_key_type type;
	uint32_t usages;
	kw_key_state state;
	bool exportable;
	uint32_t primary_version;
	size_t version_count;
	kw_key_version_info *versions; /* ascending */
	uint64_t rotation_period_s;    /* 0 = none */
	int64_t next_rotation;	       /* 0 = none */
	int64_t created;
	int64_t updated;
	int64_t destroy_after; /* pending-destruction: when it goes */
	size_t label_count;
	kw_label *labels;
	char *policy; /* NULL = none */
	uint64_t record_version;
} kw_key_info;

void kw_key_info_free(kw_key_info *k);

typedef struct kw_keys kw_keys;

/* cache_max: keys held unsealed at most (>= 1). b and s must outlive the
 * handle. kw_keys_free must not race with operations on the handle. */
kw_rc kw_keys_open(kw_barrier *b, kw_store *s, size_t cache_max, kw_keys **out);
void kw_keys_free(kw_keys *ks);
/* Drops every cached key (wiping it). Called when the barrier seals. */
void kw_keys_cache_flush(kw_keys *ks);

typedef struct kw_key_spec {
	const char *partition;
	const char *name;
	kw_key_type type;
	uint32_t usages; /* 0 = kw_key_type_usages_default(type) */
	bool exportable;
	uint64_t rotation_period_s;
	const kw_label *labels;
	size_t label_count;
	const char *policy;	    /* NULL = none */
	kw_key_state initial_state; /* NONE = active; or pre-active */
} kw_key_spec;

/* Creates a key with fresh material as version 1. KW_E_EXISTS if the name is
 * taken in the partition (also by a destroyed key); KW_E_UNSUPPORTED for an
 * unknown type or usages that don't fit it; KW_E_LIMIT for more than
 * KW_LABELS_MAX labels or a policy over KW_POLICY_MAX; KW_E_INVALID for an
 * initial_state other than NONE or pre-active. The new key is not cached
 * until it is first used. */
kw_rc kw_key_create(kw_keys *ks, const kw_key_spec *spec, kw_key_info **out);

/* Creates a key from plaintext private material (the encoding of
 * kw_ckey_from_private: PKCS#8 DER or raw secret bytes), already unwrapped
 * by the caller inside the daemon; the caller keeps (and frees) material.
 * KW_E_INVALID if it is no key of spec->type. The canonical encoding is
 * stored, whatever form came in. Otherwise as kw_key_create. */
kw_rc kw_key_import(kw_keys *ks, const kw_key_spec *spec,
		    const kw_secret *material, kw_key_info **out);

/*
 * The private material of one version of an exportable key (version 0: the
 * primary), as kw_ckey_private_export encodes it, for an approved export
 * that wraps it at once (src/lib/backup/transfer.c; never returned
 * unwrapped by any route). KW_E_DENIED if the key is not exportable;
 * KW_E_STATE unless it is pre-active, active or disabled (a compromised,
 * pending-destruction or destroyed key never leaves); KW_E_NOT_FOUND for a
 * version it does not have. *out_version (optional) gets the version.
 */
kw_rc kw_key_export_material(kw_keys *ks, const char *partition,
			     const char *name, uint32_t version,
			     kw_secret **out, uint32_t *out_version);

/* By name or by id ("k-..."). */
kw_rc kw_key_get(kw_keys *ks, const char *partition, const char *name_or_id,
		 kw_key_info **out);

typedef struct kw_key_filter {
	kw_key_type type;   /* NONE = any */
	kw_key_state state; /* NONE = any */
	const char *name_prefix;
	const char *label_key; /* with label_value: exact match */
	const char *label_value;
} kw_key_filter;

/* One page of a partition's keys in id order, after `cursor` (NULL = from
 * the start; else a key id), at most limit (1..1000). filter may be NULL;
 * label_value needs label_key (label_key alone: any value). *out_next is
 * the cursor of the next page or NULL when this was the last. Free with
 * kw_key_list_free. Filters are applied while scanning the partition's
 * records, so a selective filter on a large partition reads them all. */
kw_rc kw_key_list(kw_keys *ks, const char *partition,
		  const kw_key_filter *filter, const char *cursor, size_t limit,
		  kw_key_info ***out, size_t *out_n, char **out_next);
void kw_key_list_free(kw_key_info **list, size_t n, char *next);

/*
 * Changes (rotate, set_state, schedule_destroy, destroy_due, update_meta)
 * are each one read-modify-write in a write transaction with
 * compare-and-swap on the record version, retried a few times when it
 * loses a race, then KW_E_CONFLICT. A cached copy of the key is replaced
 * after the commit. *out (optional: may be NULL) gets the new metadata.
 */

/* Adds a version with fresh material and makes it primary; the rotation
 * clock restarts (next_rotation). KW_E_STATE unless active; KW_E_LIMIT at
 * KW_KEY_VERSIONS_MAX. */
kw_rc kw_key_rotate(kw_keys *ks, const char *partition, const char *name,
		    kw_key_info **out);

/*
 * State changes. Allowed transitions:
 *   pre-active  -> active, disabled, pending-destruction
 *   active      -> disabled, compromised, pending-destruction
 *   disabled    -> active, compromised, pending-destruction
 *   compromised -> pending-destruction
 *   pending-destruction -> disabled (cancel), destroyed (when due)
 *   destroyed   -> (none)
 * Anything else: KW_E_STATE (also "to" = the current state). Use
 * kw_key_schedule_destroy for pending-destruction and kw_key_destroy_due
 * for destroyed: kw_key_set_state refuses those (and NONE) as targets with
 * KW_E_INVALID. Cancelling a pending destruction clears destroy_after.
 */
kw_rc kw_key_set_state(kw_keys *ks, const char *partition, const char *name,
		       kw_key_state to, kw_key_info **out);

/* Moves to pending-destruction; destroyed at now + waiting_s (waiting_s
 * between 0 and 365 days, else KW_E_INVALID; 0 destroys at once). KW_E_STATE
 * where the table above has no way to pending-destruction. */
kw_rc kw_key_schedule_destroy(kw_keys *ks, const char *partition,
			      const char *name, uint64_t waiting_s,
			      kw_key_info **out);

/* Destroys every key whose waiting period has ended by `now`: the material
 * of every version is erased from the record (the record stays as a
 * tombstone in state destroyed, with its versions' numbers and dates, so
 * its name stays taken and the audit trail keeps meaning one key) and
 * wiped from memory once no running operation holds it. A key cancelled
 * meanwhile is left alone. *out_count (optional) gets the number. Scans
 * every key of every partition (the scheduler's job, run rarely). */
kw_rc kw_key_destroy_due(kw_keys *ks, int64_t now, size_t *out_count);

typedef struct kw_key_update {
	bool set_exportable_false;
	bool set_rotation; /* with rotation_period_s */
	uint64_t rotation_period_s;
	bool set_labels; /* replace all labels */
	const kw_label *labels;
	size_t label_count;
	bool set_policy; /* replace the policy (NULL = none) */
	const char *policy;
	bool set_usages; /* narrow only: new must be a subset */
	uint32_t usages;
} kw_key_update;

/* Metadata changes. Setting exportable back to true is impossible by
 * construction; widening usages gives KW_E_STATE, usages 0 KW_E_INVALID.
 * An update that sets nothing is KW_E_INVALID; labels and policy are checked
 * as at create (KW_E_INVALID, KW_E_LIMIT). A destroyed key takes no change
 * (KW_E_STATE). Setting a rotation period restarts the rotation clock. */
kw_rc kw_key_update_meta(kw_keys *ks, const char *partition, const char *name,
			 const kw_key_update *u, kw_key_info **out);

/* Public key of a version (0 = primary) as SubjectPublicKeyInfo PEM
 * (malloc, NUL-terminated). KW_E_UNSUPPORTED for symmetric keys; KW_E_STATE
 * when destroyed; KW_E_NOT_FOUND for a version the key does not have. Any
 * other state may give its public key. */
kw_rc kw_key_public_pem(kw_keys *ks, const char *partition, const char *name,
			uint32_t version, char **out);

/*
 * Crypto operations. version 0 means: the primary version for operations
 * that create (sign, encrypt, mac, wrap), and is invalid for those that
 * consume (verify, decrypt, unwrap, mac verify take the version that made
 * the input). *out_version receives the version used.
 *
 * State rules: create-type operations need state active; consume-type
 * operations are allowed in active and compromised (so data protected by a
 * compromised key can still be recovered and old signatures checked). Every
 * other state gives KW_E_STATE. The usage must be in the key's usages
 * (KW_E_DENIED otherwise); the operation must fit the type
 * (KW_E_UNSUPPORTED). Checked in the order: type, state, usage. A version
 * the key does not have is KW_E_NOT_FOUND; signing with an explicit version
 * other than the primary is KW_E_STATE (older versions only check what
 * they made). Byte outputs are malloc()ed (free()); plaintexts are
 * kw_secret. On a cached key no operation touches the store.
 *
 * kw_key_sign / kw_key_verify need p (KW_E_INVALID if NULL); the valid
 * scheme/hash combinations are those of kw_ckey_sign, other combinations
 * give KW_E_UNSUPPORTED.
 */
kw_rc kw_key_sign(kw_keys *ks, const char *partition, const char *name,
		  uint32_t version, const kw_sign_params *p, const uint8_t *in,
		  size_t in_len, uint8_t **out_sig, size_t *out_sig_len,
		  uint32_t *out_version);
KW_WUR kw_rc kw_key_verify(kw_keys *ks, const char *partition, const char *name,
			   uint32_t version, const kw_sign_params *p,
			   const uint8_t *in, size_t in_len, const uint8_t *sig,
			   size_t sig_len);

typedef enum kw_enc_alg {
	KW_ENC_DEFAULT = 0, /* AES-GCM for AES keys, OAEP-SHA256 for RSA */
	KW_ENC_AES_GCM = 1,
	KW_ENC_RSA_OAEP = 2,
} kw_enc_alg;

/* May be passed as NULL: all defaults, no AAD, no label. */
typedef struct kw_enc_params {
	kw_enc_alg alg;
	const uint8_t *aad; /* AES-GCM */
	size_t aad_len;
	kw_hash oaep_hash; /* RSA-OAEP; NONE = SHA-256 */
	const uint8_t *label;
	size_t label_len;
} kw_enc_params;

/* AES-GCM output is iv || ciphertext || tag. An alg the key type cannot do
 * (OAEP with AES, GCM with RSA) is KW_E_UNSUPPORTED; RSA-OAEP input too long
 * for the key is KW_E_LIMIT. */
kw_rc kw_key_encrypt(kw_keys *ks, const char *partition, const char *name,
		     const kw_enc_params *p, const uint8_t *pt, size_t pt_len,
		     uint8_t **out, size_t *out_len, uint32_t *out_version);
/* KW_E_VERIFY if the ciphertext does not open. */
kw_rc kw_key_decrypt(kw_keys *ks, const char *partition, const char *name,
		     uint32_t version, const kw_enc_params *p,
		     const uint8_t *ct, size_t ct_len, kw_secret **out);

kw_rc kw_key_mac(kw_keys *ks, const char *partition, const char *name,
		 const uint8_t *in, size_t in_len, uint8_t **out,
		 size_t *out_len, uint32_t *out_version);
KW_WUR kw_rc kw_key_mac_verify(kw_keys *ks, const char *partition,
			       const char *name, uint32_t version,
			       const uint8_t *in, size_t in_len,
			       const uint8_t *tag, size_t tag_len);

/* RFC 3394 / 5649 key wrap of caller-supplied bytes under an AES key (with
 * usage wrap / unwrap). KW_E_INVALID for input the mode cannot take (KW:
 * not a multiple of 8, under 16 bytes); unwrap: KW_E_VERIFY if the
 * integrity check fails. */
kw_rc kw_key_wrap(kw_keys *ks, const char *partition, const char *name,
		  kw_wrap_mode m, const uint8_t *in, size_t in_len,
		  uint8_t **out, size_t *out_len, uint32_t *out_version);
kw_rc kw_key_unwrap(kw_keys *ks, const char *partition, const char *name,
		    uint32_t version, kw_wrap_mode m, const uint8_t *in,
		    size_t in_len, kw_secret **out);

#endif
