/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "daemon/decode.h"
#include "daemon/specs.h"
#include "fuzz.h"
#include "util/codec.h"

/*
 * The daemon's request-body decoders (kw_json_parse_body, kw_json_decode)
 * on arbitrary bytes, against every body spec the daemon has. Besides not
 * crashing or leaking, they keep their contract: only KW_OK or KW_E_INVALID
 * (a stable error code, a field path), and what they accept is canonical:
 * a decoded base64 or kw:v<N>: field re-encodes to exactly its text.
 */

static void check_canonical(const json_t *obj, const kw_field *spec, size_t n,
			    const void *out)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(obj, spec[i].name);
		const void *dst = (const uint8_t *)out + spec[i].offset;
		char *text = NULL;
		if (v == NULL || !json_is_string(v))
			continue;
		if (spec[i].kind == KW_FIELD_B64) {
			const kw_bytes *b = dst;
			if (kw_base64_encode_alloc(b->data, b->len, false,
						   &text) != KW_OK)
				abort();
		} else if (spec[i].kind == KW_FIELD_CIPHERTEXT) {
			const kw_ciphertext *c = dst;
			if (kw_ciphertext_format(c->version, c->data, c->len,
						 &text) != KW_OK)
				abort();
		} else {
			continue;
		}
		if (strlen(text) != json_string_length(v) ||
		    memcmp(text, json_string_value(v), strlen(text)) != 0)
			abort();
		free(text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = NULL;
	kw_decode_error err;
	/* The first byte picks the batch limit, so its edge gets exercised. */
	kw_decode_opts opts = {.max_batch = size > 0 ? (size_t)data[0] % 8 : 0};

	if (kw_json_parse_body((const char *)data, size, &body, &err) !=
	    KW_OK) {
		if (err.code != KW_DECODE_INVALID_JSON)
			abort();
		return 0;
	}
	for (size_t s = 0; s < kw_specs_all_count; s++) {
		const kw_spec_entry *e = &kw_specs_all[s];
		void *out = calloc(1, e->size);
		if (out == NULL)
			abort();
		kw_rc rc =
			kw_json_decode(body, e->spec, e->n, &opts, out, &err);
		if (rc == KW_OK) {
			check_canonical(body, e->spec, e->n, out);
		} else if (rc != KW_E_INVALID || err.code == KW_DECODE_OK ||
			   err.message[0] == '\0') {
			abort();
		}
		kw_decoded_free(e->spec, e->n, out);
		free(out);
	}
	json_decref(body);
	return 0;
}
