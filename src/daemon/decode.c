/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/decode.h"
#include "util/codec.h"

#define DEFAULT_MAX_BATCH 1000

static const char *const code_names[] = {
	[KW_DECODE_OK] = "ok",
	[KW_DECODE_INVALID_JSON] = "invalid_json",
	[KW_DECODE_UNKNOWN_FIELD] = "unknown_field",
	[KW_DECODE_INVALID_TYPE] = "invalid_type",
	[KW_DECODE_MISSING_FIELD] = "missing_field",
	[KW_DECODE_INVALID_BASE64] = "invalid_base64",
	[KW_DECODE_INVALID_ARGUMENT] = "invalid_argument",
	[KW_DECODE_NOMEM] = "internal_error",
};

const char *kw_decode_code_str(kw_decode_code c)
{
	if ((size_t)c >= sizeof(code_names) / sizeof(code_names[0]))
		return "internal_error";
	return code_names[c];
}

/* Fills err: the message is "<path> <text>" ("<text>" for the body). */
static kw_rc fail(kw_decode_error *err, kw_decode_code code, const char *path,
		  const char *text)
{
	if (err != NULL) {
		err->code = code;
		snprintf(err->field, sizeof(err->field), "%s", path);
		snprintf(err->message, sizeof(err->message), "%s%s%s", path,
			 path[0] != '\0' ? " " : "", text);
	}
	return code == KW_DECODE_NOMEM ? KW_E_NOMEM : KW_E_INVALID;
}

kw_rc kw_json_parse_body(const char *body, size_t len, json_t **out,
			 kw_decode_error *err)
{
	json_error_t jerr;
	json_t *v = NULL;

	if (out == NULL)
		return KW_E_INVALID;
	if (len == 0) {
		v = json_object();
		if (v == NULL)
			return fail(err, KW_DECODE_NOMEM, "", "out of memory");
		*out = v;
		return KW_OK;
	}
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL) {
		/* jerr.text may quote the input; the body can hold secrets,
		 * so only the position is reported. */
		char where[64];
		snprintf(where, sizeof(where), "line %d, column %d", jerr.line,
			 jerr.column);
		char text[96];
		snprintf(text, sizeof(text), "the body is not valid JSON (%s)",
			 where);
		return fail(err, KW_DECODE_INVALID_JSON, "", text);
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return fail(err, KW_DECODE_INVALID_JSON, "",
			    "the body must be a JSON object");
	}
	*out = v;
	return KW_OK;
}

static const kw_field *spec_find(const kw_field *spec, size_t n,
				 const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(spec[i].name, key) == 0)
			return &spec[i];
	return NULL;
}

static bool len_ok(const kw_field *f, uint64_t len)
{
	return len >= f->min && (f->max == 0 || len <= f->max);
}

/* unit NULL: the value itself is out of range; else a length or count. */
static kw_rc range_fail(kw_decode_error *err, const char *path,
			const kw_field *f, const char *unit)
{
	char text[128];
	if (unit == NULL && f->max != 0)
		snprintf(text, sizeof(text),
			 "must be between %" PRIu64 " and %" PRIu64, f->min,
			 f->max);
	else if (unit == NULL)
		snprintf(text, sizeof(text), "must be at least %" PRIu64,
			 f->min);
	else if (f->max != 0)
		snprintf(text, sizeof(text),
			 "must have %" PRIu64 "..%" PRIu64 " %s", f->min,
			 f->max, unit);
	else
		snprintf(text, sizeof(text),
			 "must have at least %" PRIu64 " %s", f->min, unit);
	return fail(err, KW_DECODE_INVALID_ARGUMENT, path, text);
}

kw_rc kw_ciphertext_parse(const char *s, size_t len, kw_ciphertext *out,
			  bool *out_b64_bad)
{
	uint64_t v = 0;
	size_t i = 4;
	uint8_t *data = NULL;
	size_t data_len = 0;

	*out_b64_bad = false;
	if (len < 6 || memcmp(s, "kw:v", 4) != 0)
		return KW_E_INVALID;
	/* A version is 1..999999 without leading zeros. */
	if (s[i] < '1' || s[i] > '9')
		return KW_E_INVALID;
	while (i < len && s[i] >= '0' && s[i] <= '9' && i < 4 + 6) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (i >= len || s[i] != ':')
		return KW_E_INVALID;
	i++;
	if (kw_base64_decode_alloc(s + i, len - i, false, &data, &data_len) !=
	    KW_OK) {
		*out_b64_bad = true;
		return KW_E_INVALID;
	}
	out->version = (uint32_t)v;
	out->data = data;
	out->len = data_len;
	out->set = true;
	return KW_OK;
}

kw_rc kw_ciphertext_format(uint32_t version, const uint8_t *data, size_t len,
			   char **out)
{
	char prefix[24];
	int p = snprintf(prefix, sizeof(prefix), "kw:v%" PRIu32 ":", version);
	size_t b = kw_base64_encoded_len(len, false);
	char *s = malloc((size_t)p + b + 1);

	if (s == NULL)
		return KW_E_NOMEM;
	memcpy(s, prefix, (size_t)p);
	kw_base64_encode(data, len, false, s + p);
	*out = s;
	return KW_OK;
}

static kw_rc decode_secret_b64(const char *s, size_t len, kw_secret **out)
{
	kw_secret *sec = NULL;
	size_t n = 0;
	kw_rc rc = kw_secret_new(len / 4 * 3 + 3, &sec);

	if (rc != KW_OK)
		return rc;
	rc = kw_base64_decode(s, len, false, sec->data, &n);
	if (rc != KW_OK) {
		kw_secret_free(sec);
		return rc;
	}
	/* The tail past n was never written (still zero): shrinking the
	 * length loses nothing that needs wiping. */
	sec->len = n;
	*out = sec;
	return KW_OK;
}

static kw_rc decode_one(const json_t *v, const kw_field *f, const char *path,
			const kw_decode_opts *opts, void *out,
			kw_decode_error *err);

static kw_rc decode_batch(const json_t *v, const kw_field *f, const char *path,
			  const kw_decode_opts *opts, kw_batch *b,
			  kw_decode_error *err)
{
	size_t max = opts != NULL && opts->max_batch != 0 ? opts->max_batch
							  : DEFAULT_MAX_BATCH;
	size_t n = json_array_size(v);
	kw_rc rc = KW_OK;

	if (!json_is_array(v))
		return fail(err, KW_DECODE_INVALID_TYPE, path,
			    "must be an array of objects");
	if (n < 1 || n > max) {
		char text[64];
		snprintf(text, sizeof(text), "must have 1..%zu items", max);
		return fail(err, KW_DECODE_INVALID_ARGUMENT, path, text);
	}
	b->spec = f->sub;
	b->spec_n = f->sub_n;
	b->item_size = f->sub_size;
	b->items = calloc(n, f->sub_size);
	if (b->items == NULL)
		return fail(err, KW_DECODE_NOMEM, path, "out of memory");
	b->set = true;
	for (size_t i = 0; i < n; i++) {
		char sub[96];
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		const json_t *item = json_array_get(v, i);
		if (!json_is_object(item)) {
			b->n = i;
			return fail(err, KW_DECODE_INVALID_TYPE, sub,
				    "must be an object");
		}
		b->n = i + 1;
		void *dst = (uint8_t *)b->items + i * f->sub_size;
		json_t *it = (json_t *)item;
		const char *key;
		json_t *val;
		json_object_foreach(it, key, val)
		{
			const kw_field *sf = spec_find(f->sub, f->sub_n, key);
			char fp[160];
			snprintf(fp, sizeof(fp), "%s.%s", sub, key);
			if (sf == NULL || sf->kind == KW_FIELD_BATCH)
				return fail(err, KW_DECODE_UNKNOWN_FIELD, fp,
					    "is not a known field");
			if (json_is_null(val))
				continue;
			rc = decode_one(val, sf, fp, opts, dst, err);
			if (rc != KW_OK)
				return rc;
		}
		for (size_t j = 0; j < f->sub_n; j++) {
			const json_t *m = json_object_get(item, f->sub[j].name);
			if (f->sub[j].required &&
			    (m == NULL || json_is_null(m))) {
				char fp[160];
				snprintf(fp, sizeof(fp), "%s.%s", sub,
					 f->sub[j].name);
				return fail(err, KW_DECODE_MISSING_FIELD, fp,
					    "is required");
			}
		}
	}
	return KW_OK;
}

static kw_rc decode_one(const json_t *v, const kw_field *f, const char *path,
			const kw_decode_opts *opts, void *out,
			kw_decode_error *err)
{
	void *dst = (uint8_t *)out + f->offset;
	const char *s = NULL;
	size_t len = 0;
	bool b64_bad = false;

	switch (f->kind) {
	case KW_FIELD_STRING:
	case KW_FIELD_SECRET:
	case KW_FIELD_B64:
	case KW_FIELD_B64_SECRET:
	case KW_FIELD_CIPHERTEXT:
		if (!json_is_string(v))
			return fail(err, KW_DECODE_INVALID_TYPE, path,
				    "must be a string");
		s = json_string_value(v);
		len = json_string_length(v);
		break;
	default:
		break;
	}

	switch (f->kind) {
	case KW_FIELD_STRING:
		if (!len_ok(f, len))
			return range_fail(err, path, f, "bytes");
		*(const char **)dst = s;
		return KW_OK;
	case KW_FIELD_SECRET: {
		kw_secret *sec = NULL;
		if (!len_ok(f, len))
			return range_fail(err, path, f, "bytes");
		if (kw_secret_from(s, len, &sec) != KW_OK)
			return fail(err, KW_DECODE_NOMEM, path,
				    "out of memory");
		kw_secret_free(*(kw_secret **)dst);
		*(kw_secret **)dst = sec;
		return KW_OK;
	}
	case KW_FIELD_B64: {
		kw_bytes *bytes = dst;
		uint8_t *data = NULL;
		size_t n = 0;
		if (kw_base64_decode_alloc(s, len, false, &data, &n) != KW_OK)
			return fail(err, KW_DECODE_INVALID_BASE64, path,
				    "must be standard base64");
		if (!len_ok(f, n)) {
			free(data);
			return range_fail(err, path, f, "bytes (decoded)");
		}
		free(bytes->data);
		bytes->data = data;
		bytes->len = n;
		bytes->set = true;
		return KW_OK;
	}
	case KW_FIELD_B64_SECRET: {
		kw_secret *sec = NULL;
		kw_rc rc = decode_secret_b64(s, len, &sec);
		if (rc == KW_E_NOMEM)
			return fail(err, KW_DECODE_NOMEM, path,
				    "out of memory");
		if (rc != KW_OK)
			return fail(err, KW_DECODE_INVALID_BASE64, path,
				    "must be standard base64");
		if (!len_ok(f, sec->len)) {
			kw_secret_free(sec);
			return range_fail(err, path, f, "bytes (decoded)");
		}
		kw_secret_free(*(kw_secret **)dst);
		*(kw_secret **)dst = sec;
		return KW_OK;
	}
	case KW_FIELD_CIPHERTEXT: {
		kw_ciphertext *ct = dst;
		kw_ciphertext tmp = {0};
		if (kw_ciphertext_parse(s, len, &tmp, &b64_bad) != KW_OK) {
			if (b64_bad)
				return fail(
					err, KW_DECODE_INVALID_BASE64, path,
					"must be kw:v<N>:<standard base64>");
			return fail(err, KW_DECODE_INVALID_ARGUMENT, path,
				    "must be of the form kw:v<N>:<base64>");
		}
		if (!len_ok(f, tmp.len)) {
			free(tmp.data);
			return range_fail(err, path, f, "bytes (decoded)");
		}
		free(ct->data);
		*ct = tmp;
		return KW_OK;
	}
	case KW_FIELD_UINT: {
		kw_opt_uint *u = dst;
		json_int_t i;
		if (!json_is_integer(v))
			return fail(err, KW_DECODE_INVALID_TYPE, path,
				    "must be an integer");
		i = json_integer_value(v);
		if (i < 0 || (uint64_t)i < f->min ||
		    (f->max != 0 && (uint64_t)i > f->max))
			return range_fail(err, path, f, NULL);
		u->v = (uint64_t)i;
		u->set = true;
		return KW_OK;
	}
	case KW_FIELD_BOOL: {
		kw_opt_bool *b = dst;
		if (!json_is_boolean(v))
			return fail(err, KW_DECODE_INVALID_TYPE, path,
				    "must be true or false");
		b->v = json_is_true(v);
		b->set = true;
		return KW_OK;
	}
	case KW_FIELD_OBJECT:
		if (!json_is_object(v))
			return fail(err, KW_DECODE_INVALID_TYPE, path,
				    "must be an object");
		*(const json_t **)dst = v;
		return KW_OK;
	case KW_FIELD_STRINGS: {
		size_t i;
		const json_t *item;
		if (!json_is_array(v))
			return fail(err, KW_DECODE_INVALID_TYPE, path,
				    "must be an array of strings");
		if (!len_ok(f, json_array_size(v)))
			return range_fail(err, path, f, "items");
		json_array_foreach(v, i, item)
		{
			if (!json_is_string(item))
				return fail(err, KW_DECODE_INVALID_TYPE, path,
					    "must be an array of strings");
		}
		*(const json_t **)dst = v;
		return KW_OK;
	}
	case KW_FIELD_STRMAP: {
		const char *k;
		json_t *item;
		if (!json_is_object(v))
			return fail(err, KW_DECODE_INVALID_TYPE, path,
				    "must be an object of string values");
		if (!len_ok(f, json_object_size(v)))
			return range_fail(err, path, f, "members");
		json_object_foreach((json_t *)v, k, item)
		{
			if (!json_is_string(item))
				return fail(
					err, KW_DECODE_INVALID_TYPE, path,
					"must be an object of string values");
		}
		*(const json_t **)dst = v;
		return KW_OK;
	}
	case KW_FIELD_BATCH:
		return decode_batch(v, f, path, opts, dst, err);
	}
	return fail(err, KW_DECODE_INVALID_ARGUMENT, path,
		    "unknown field kind");
}

kw_rc kw_json_decode(const json_t *obj, const kw_field *spec, size_t n,
		     const kw_decode_opts *opts, void *out,
		     kw_decode_error *err)
{
	const char *key;
	json_t *val;
	kw_rc rc = KW_OK;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (obj == NULL)
		goto required;
	if (!json_is_object(obj))
		return fail(err, KW_DECODE_INVALID_JSON, "",
			    "the body must be a JSON object");
	/* Unknown members first, so the answer does not depend on which
	 * known fields happen to be wrong as well. */
	json_object_foreach((json_t *)obj, key, val)
	{
		if (spec_find(spec, n, key) == NULL)
			return fail(err, KW_DECODE_UNKNOWN_FIELD, key,
				    "is not a known field");
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(obj, spec[i].name);
		if (v == NULL || json_is_null(v))
			continue;
		rc = decode_one(v, &spec[i], spec[i].name, opts, out, err);
		if (rc != KW_OK)
			return rc;
	}
required:
	for (size_t i = 0; i < n; i++) {
		const json_t *v =
			obj != NULL ? json_object_get(obj, spec[i].name) : NULL;
		if (spec[i].required && (v == NULL || json_is_null(v)))
			return fail(err, KW_DECODE_MISSING_FIELD, spec[i].name,
				    "is required");
	}
	return rc;
}

void kw_decoded_free(const kw_field *spec, size_t n, void *out)
{
	if (out == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		void *dst = (uint8_t *)out + spec[i].offset;
		switch (spec[i].kind) {
		case KW_FIELD_SECRET:
		case KW_FIELD_B64_SECRET:
			kw_secret_free(*(kw_secret **)dst);
			*(kw_secret **)dst = NULL;
			break;
		case KW_FIELD_B64: {
			kw_bytes *b = dst;
			free(b->data);
			memset(b, 0, sizeof(*b));
			break;
		}
		case KW_FIELD_CIPHERTEXT: {
			kw_ciphertext *c = dst;
			free(c->data);
			memset(c, 0, sizeof(*c));
			break;
		}
		case KW_FIELD_BATCH: {
			kw_batch *b = dst;
			for (size_t j = 0; j < b->n; j++)
				kw_decoded_free(b->spec, b->spec_n,
						(uint8_t *)b->items +
							j * b->item_size);
			free(b->items);
			memset(b, 0, sizeof(*b));
			break;
		}
		default:
			break;
		}
	}
}
