/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_OBJECTS_OBJECTS_H
#define KW_OBJECTS_OBJECTS_H

/*
 * Stored objects of a partition that are not keys: the PKCS#11 module's
 * X.509 certificates and data objects (KW_REC_OBJECT records, sealed by
 * the barrier like every record). An object is a JSON document:
 *
 *   {"id":"o-<32 hex>","partition":"p","class":"certificate"|"data",
 *    "label":"...","ckaid":"<base64>","private":false,
 *    "attrs":{"<attribute type in hex>":"<base64 value>",...},
 *    "created":<unix s>,"updated":<unix s>}
 *
 * label and ckaid are optional. A label is unique per partition and class
 * and indexed (the record's lookup tag), so a search by label is one
 * lookup; other searches scan the partition's objects (group tag). attrs
 * is opaque here: the module stores what the application gave it.
 *
 * Every function returns KW_E_INVALID for malformed arguments (with a
 * reason in *why when given), KW_E_NOT_FOUND for an id not in the
 * partition, KW_E_EXISTS for a label taken in the partition and class,
 * KW_E_SEALED, KW_E_STORAGE, KW_E_INTEGRITY, KW_E_NOMEM. Thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "keywarden/barrier.h"
#include "keywarden/rc.h"
#include "keywarden/store.h"

#define KW_OBJECT_ID_LEN    34 /* "o-" + 32 hex */
#define KW_OBJECT_LABEL_MAX 256
#define KW_OBJECT_CKAID_MAX 255
#define KW_OBJECT_DATA_MAX  (1024u * 1024u) /* bytes of the document */

typedef struct kw_object_spec {
	const char *cls;   /* "certificate" or "data"; required at create */
	bool set_label;	   /* update: replace the label (NULL drops it) */
	const char *label; /* NULL: none */
	bool set_ckaid;	   /* update: replace CKA_ID (NULL drops it) */
	const uint8_t *ckaid;
	size_t ckaid_len;
	bool set_private;
	bool private_obj;
	const json_t *attrs; /* {"<hex>":"<base64>"}; NULL: keep / none */
} kw_object_spec;

typedef struct kw_object_filter {
	const char *cls;   /* NULL: both */
	const char *label; /* NULL: any (else one indexed lookup per class) */
	const uint8_t *ckaid;
	size_t ckaid_len;
	bool has_ckaid;
} kw_object_filter;

/* Creates an object; *out is its document (json_decref it). */
kw_rc kw_object_create(kw_barrier *b, kw_store *s, const char *partition,
		       const kw_object_spec *spec, json_t **out,
		       const char **why);

kw_rc kw_object_get(kw_barrier *b, kw_store *s, const char *partition,
		    const char *id, json_t **out);

/* One page (1..1000) after cursor (an id; NULL = the start): *out is an
 * array of documents, *out_next the next cursor or NULL (free it). */
kw_rc kw_object_list(kw_barrier *b, kw_store *s, const char *partition,
		     const kw_object_filter *f, const char *cursor,
		     size_t limit, json_t **out, char **out_next);

/* Applies the set_* fields and attrs (replaced whole) of spec. */
kw_rc kw_object_update(kw_barrier *b, kw_store *s, const char *partition,
		       const char *id, const kw_object_spec *spec, json_t **out,
		       const char **why);

kw_rc kw_object_delete(kw_barrier *b, kw_store *s, const char *partition,
		       const char *id);

#endif
