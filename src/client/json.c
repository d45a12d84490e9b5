/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "client/client.h"
#include "util/codec.h"

kw_rc kw_client_json_b64(const json_t *obj, const char *name, uint8_t **out,
			 size_t *out_len)
{
	json_t *v = json_object_get(obj, name);
	if (!json_is_string(v) || out == NULL || out_len == NULL)
		return KW_E_INVALID;
	return kw_base64_decode_alloc(json_string_value(v),
				      json_string_length(v), false, out,
				      out_len);
}

json_t *kw_client_json_b64_new(const uint8_t *in, size_t n)
{
	char *text = NULL;
	json_t *j = NULL;
	if (kw_base64_encode_alloc(in, n, false, &text) != KW_OK)
		return NULL;
	j = json_string(text);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return j;
}
