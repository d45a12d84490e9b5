/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_DECODE_H
#define KW_DAEMON_DECODE_H

/*
 * Strict decoding of JSON request bodies against a declarative field spec,
 * so that handlers never walk JSON by hand.
 *
 * A spec is an array of kw_field; each names a member of the handler's
 * input struct (by offset) and its kind. The decoder refuses, with a
 * stable error code and the path of the offending field:
 *   invalid_json      not JSON, or not an object at the top level
 *   unknown_field     a member the spec does not name
 *   invalid_type      a member of the wrong JSON type
 *   missing_field     a required member that is absent (or null)
 *   invalid_base64    a binary member that is not canonical base64
 *   invalid_argument  a value out of its range (length, number, items)
 * JSON null is treated as absent. Output members are written only for
 * present fields; kw_decoded_free() releases what the decoder allocated
 * (secrets are wiped), also after a failure.
 *
 * Pure functions; thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keywarden/rc.h"
#include "keywarden/secret.h"

typedef enum kw_field_kind {
	KW_FIELD_STRING = 1, /* const char * into the JSON (NULL = absent) */
	KW_FIELD_SECRET,     /* string -> kw_secret * (passwords, shares) */
	KW_FIELD_B64,	     /* standard base64 -> kw_bytes (malloc) */
	KW_FIELD_B64_SECRET, /* standard base64 -> kw_secret * */
	KW_FIELD_UINT,	     /* non-negative integer -> kw_opt_uint */
	KW_FIELD_BOOL,	     /* true/false -> kw_opt_bool */
	KW_FIELD_OBJECT,     /* object -> const json_t * (borrowed) */
	KW_FIELD_STRINGS,    /* array of strings -> const json_t * */
	KW_FIELD_STRMAP,     /* object of string values -> const json_t * */
	KW_FIELD_CIPHERTEXT, /* "kw:v<N>:<base64>" -> kw_ciphertext */
	KW_FIELD_BATCH,	     /* array of objects -> kw_batch (each item
			      * decoded with sub/sub_n into sub_size) */
} kw_field_kind;

typedef struct kw_bytes {
	uint8_t *data;
	size_t len;
	bool set;
} kw_bytes;

typedef struct kw_opt_uint {
	uint64_t v;
	bool set;
} kw_opt_uint;

typedef struct kw_opt_bool {
	bool v;
	bool set;
} kw_opt_bool;

/* A versioned ciphertext or wrapped blob, "kw:v3:AAEC...". */
typedef struct kw_ciphertext {
	uint32_t version;
	uint8_t *data;
	size_t len;
	bool set;
} kw_ciphertext;

typedef struct kw_field kw_field;

typedef struct kw_batch {
	void *items; /* n structs of the item spec's size (calloc) */
	size_t n;
	bool set;
	const kw_field *spec; /* the item spec, for kw_decoded_free */
	size_t spec_n;
	size_t item_size;
} kw_batch;

struct kw_field {
	const char *name;
	kw_field_kind kind;
	bool required;
	size_t offset;
	/* UINT: value range; strings, bytes: length range in bytes (max 0 =
	 * no limit); STRINGS, STRMAP, BATCH: number of items (max 0 = no
	 * limit; BATCH is also bounded by kw_decode_opts.max_batch). */
	uint64_t min, max;
	/* BATCH only. */
	const kw_field *sub;
	size_t sub_n;
	size_t sub_size;
};

#define KW_FIELD(type, member, name, kind, required, min, max)             \
	{                                                                  \
		(name), (kind), (required), offsetof(type, member), (min), \
			(max), NULL, 0, 0                                  \
	}
#define KW_FIELD_BATCH_OF(type, member, name, item_type, item_spec)          \
	{                                                                    \
		(name), KW_FIELD_BATCH, false, offsetof(type, member), 1, 0, \
			(item_spec),                                         \
			sizeof(item_spec) / sizeof((item_spec)[0]),          \
			sizeof(item_type)                                    \
	}
#define KW_NFIELDS(spec) (sizeof(spec) / sizeof((spec)[0]))

typedef enum kw_decode_code {
	KW_DECODE_OK = 0,
	KW_DECODE_INVALID_JSON,
	KW_DECODE_UNKNOWN_FIELD,
	KW_DECODE_INVALID_TYPE,
	KW_DECODE_MISSING_FIELD,
	KW_DECODE_INVALID_BASE64,
	KW_DECODE_INVALID_ARGUMENT,
	KW_DECODE_NOMEM,
} kw_decode_code;

typedef struct kw_decode_error {
	kw_decode_code code;
	char field[160];   /* "batch[3].input"; "" for the whole body */
	char message[256]; /* human text, no input values */
} kw_decode_error;

typedef struct kw_decode_opts {
	size_t max_batch; /* items per batch; 0 = 1000 */
} kw_decode_opts;

/* The stable error code for an error ("invalid_json", ...). */
const char *kw_decode_code_str(kw_decode_code c);

/* Parses a request body: UTF-8 JSON with an object at the top level,
 * duplicate keys refused. len 0 gives an empty object. KW_OK with *out
 * (json_decref it), or KW_E_INVALID with err filled. */
kw_rc kw_json_parse_body(const char *body, size_t len, json_t **out,
			 kw_decode_error *err);

/* Decodes obj (NULL = empty object) against spec[0..n) into out. KW_OK, or
 * KW_E_INVALID / KW_E_NOMEM with err filled. Borrowed pointers (STRING,
 * OBJECT, STRINGS, STRMAP) stay valid while obj lives. */
kw_rc kw_json_decode(const json_t *obj, const kw_field *spec, size_t n,
		     const kw_decode_opts *opts, void *out,
		     kw_decode_error *err);

/* Frees (and wipes, for secrets) what kw_json_decode put into out. */
void kw_decoded_free(const kw_field *spec, size_t n, void *out);

/* Formats "kw:v<version>:<base64>" (malloc). KW_OK, KW_E_NOMEM. */
kw_rc kw_ciphertext_format(uint32_t version, const uint8_t *data, size_t len,
			   char **out);

/* Parses a "kw:v<N>:<base64>" string: KW_OK, KW_E_INVALID (not of that
 * form: *out_b64_bad false) or (bad base64: *out_b64_bad true). */
kw_rc kw_ciphertext_parse(const char *s, size_t len, kw_ciphertext *out,
			  bool *out_b64_bad);

#endif
