/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/decode.h"
#include "daemon/specs.h"

typedef struct item {
	kw_bytes data;
	const char *tag;
} item;

static const kw_field item_spec[] = {
	KW_FIELD(item, data, "data", KW_FIELD_B64, true, 0, 8),
	KW_FIELD(item, tag, "tag", KW_FIELD_STRING, false, 1, 4),
};

typedef struct req {
	const char *name;
	kw_secret *password;
	kw_bytes blob;
	kw_secret *key;
	kw_opt_uint count;
	kw_opt_bool flag;
	const json_t *obj;
	const json_t *list;
	const json_t *map;
	kw_ciphertext ct;
	kw_batch batch;
} req;

static const kw_field spec[] = {
	KW_FIELD(req, name, "name", KW_FIELD_STRING, true, 1, 8),
	KW_FIELD(req, password, "password", KW_FIELD_SECRET, false, 8, 64),
	KW_FIELD(req, blob, "blob", KW_FIELD_B64, false, 0, 0),
	KW_FIELD(req, key, "key", KW_FIELD_B64_SECRET, false, 16, 32),
	KW_FIELD(req, count, "count", KW_FIELD_UINT, false, 1, 100),
	KW_FIELD(req, flag, "flag", KW_FIELD_BOOL, false, 0, 0),
	KW_FIELD(req, obj, "obj", KW_FIELD_OBJECT, false, 0, 0),
	KW_FIELD(req, list, "list", KW_FIELD_STRINGS, false, 0, 3),
	KW_FIELD(req, map, "map", KW_FIELD_STRMAP, false, 0, 2),
	KW_FIELD(req, ct, "ct", KW_FIELD_CIPHERTEXT, false, 1, 0),
	KW_FIELD_BATCH_OF(req, batch, "batch", item, item_spec),
};

/* Decodes text against spec; the decode error code (OK on success). The
 * output is checked by the caller through *out and freed by it. */
static kw_decode_code decode(const char *text, req *out, kw_decode_error *err,
			     size_t max_batch)
{
	json_t *j = NULL;
	kw_decode_opts opts = {.max_batch = max_batch};
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (kw_json_parse_body(text, strlen(text), &j, err) != KW_OK)
		return err->code;
	kw_rc rc = kw_json_decode(j, spec, KW_NFIELDS(spec), &opts, out, err);
	/* Borrowed pointers must not outlive j: the tests only look at the
	 * owned outputs after this returns, or at the code. */
	if (rc == KW_OK) {
		out->name = NULL;
		out->obj = out->list = out->map = NULL;
		for (size_t i = 0; i < out->batch.n; i++)
			((item *)out->batch.items)[i].tag = NULL;
	}
	json_decref(j);
	return rc == KW_OK ? KW_DECODE_OK : err->code;
}

static void expect(const char *text, kw_decode_code code, const char *field)
{
	req r;
	kw_decode_error err;
	kw_decode_code got = decode(text, &r, &err, 0);
	kw_decoded_free(spec, KW_NFIELDS(spec), &r);
	if (got != code)
		fail_msg("%s: got %s, want %s (%s)", text,
			 kw_decode_code_str(got), kw_decode_code_str(code),
			 err.message);
	if (field != NULL)
		assert_string_equal(err.field, field);
}

static void test_body_parse(void **state)
{
	json_t *j = NULL;
	kw_decode_error err;
	(void)state;
	assert_int_equal(kw_json_parse_body("", 0, &j, &err), KW_OK);
	assert_true(json_is_object(j) && json_object_size(j) == 0);
	json_decref(j);
	expect("{", KW_DECODE_INVALID_JSON, "");
	expect("[]", KW_DECODE_INVALID_JSON, "");
	expect("1", KW_DECODE_INVALID_JSON, "");
	expect("{} {}", KW_DECODE_INVALID_JSON, "");
	expect("{\"name\":\"a\",\"name\":\"b\"}", KW_DECODE_INVALID_JSON, "");
	expect("{\"name\":\"\xc3\x28\"}", KW_DECODE_INVALID_JSON, "");
	expect("{\"name\":\"a\\u0000\"}", KW_DECODE_INVALID_JSON, "");
	/* The message gives a position, never the input. */
	assert_int_not_equal(
		kw_json_parse_body("{\"password\":\"hunter2", 20, &j, &err),
		KW_OK);
	assert_null(strstr(err.message, "hunter2"));
	assert_non_null(strstr(err.message, "line 1"));
}

static void test_fields(void **state)
{
	req r;
	kw_decode_error err;
	(void)state;
	assert_int_equal(
		decode("{\"name\":\"ab\",\"password\":\"12345678\","
		       "\"blob\":\"AAEC\",\"key\":\"AAAAAAAAAAAAAAAAAAAAAA==\","
		       "\"count\":100,\"flag\":false,\"obj\":{},"
		       "\"list\":[\"x\"],\"map\":{\"k\":\"v\"},"
		       "\"ct\":\"kw:v12:AAEC\"}",
		       &r, &err, 0),
		KW_DECODE_OK);
	assert_int_equal(r.password->len, 8);
	assert_memory_equal(r.password->data, "12345678", 8);
	assert_true(r.blob.set);
	assert_int_equal(r.blob.len, 3);
	assert_int_equal(r.blob.data[2], 2);
	assert_int_equal(r.key->len, 16);
	assert_true(r.count.set && r.count.v == 100);
	assert_true(r.flag.set && !r.flag.v);
	assert_true(r.ct.set);
	assert_int_equal(r.ct.version, 12);
	assert_int_equal(r.ct.len, 3);
	kw_decoded_free(spec, KW_NFIELDS(spec), &r);
	assert_null(r.password);
	assert_false(r.blob.set);
	/* null is absent */
	assert_int_equal(decode("{\"name\":\"a\",\"count\":null}", &r, &err, 0),
			 KW_DECODE_OK);
	assert_false(r.count.set);
	kw_decoded_free(spec, KW_NFIELDS(spec), &r);
}

static void test_field_errors(void **state)
{
	(void)state;
	expect("{}", KW_DECODE_MISSING_FIELD, "name");
	expect("{\"name\":null}", KW_DECODE_MISSING_FIELD, "name");
	expect("{\"name\":\"a\",\"x\":1}", KW_DECODE_UNKNOWN_FIELD, "x");
	/* unknown fields are reported before wrong ones */
	expect("{\"count\":\"a\",\"x\":1}", KW_DECODE_UNKNOWN_FIELD, "x");
	expect("{\"name\":1}", KW_DECODE_INVALID_TYPE, "name");
	expect("{\"name\":\"\"}", KW_DECODE_INVALID_ARGUMENT, "name");
	expect("{\"name\":\"123456789\"}", KW_DECODE_INVALID_ARGUMENT, "name");
	expect("{\"name\":\"a\",\"password\":\"short\"}",
	       KW_DECODE_INVALID_ARGUMENT, "password");
	expect("{\"name\":\"a\",\"count\":0}", KW_DECODE_INVALID_ARGUMENT,
	       "count");
	expect("{\"name\":\"a\",\"count\":101}", KW_DECODE_INVALID_ARGUMENT,
	       "count");
	expect("{\"name\":\"a\",\"count\":-1}", KW_DECODE_INVALID_ARGUMENT,
	       "count");
	expect("{\"name\":\"a\",\"count\":1.0}", KW_DECODE_INVALID_TYPE,
	       "count");
	expect("{\"name\":\"a\",\"count\":true}", KW_DECODE_INVALID_TYPE,
	       "count");
	expect("{\"name\":\"a\",\"flag\":1}", KW_DECODE_INVALID_TYPE, "flag");
	expect("{\"name\":\"a\",\"obj\":[]}", KW_DECODE_INVALID_TYPE, "obj");
	expect("{\"name\":\"a\",\"list\":[1]}", KW_DECODE_INVALID_TYPE, "list");
	expect("{\"name\":\"a\",\"list\":[\"a\",\"b\",\"c\",\"d\"]}",
	       KW_DECODE_INVALID_ARGUMENT, "list");
	expect("{\"name\":\"a\",\"map\":{\"k\":1}}", KW_DECODE_INVALID_TYPE,
	       "map");
	expect("{\"name\":\"a\",\"map\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}",
	       KW_DECODE_INVALID_ARGUMENT, "map");
}

static void test_base64_and_ciphertexts(void **state)
{
	static const char *const bad_b64[] = {"AAE",	 "AA=E",  "A===",
					      "AAF=",	 "AA\nE", "AA*E",
					      "AAECAw=", "-_8="};
	char text[128];
	(void)state;
	for (size_t i = 0; i < sizeof(bad_b64) / sizeof(bad_b64[0]); i++) {
		snprintf(text, sizeof(text), "{\"name\":\"a\",\"blob\":\"%s\"}",
			 bad_b64[i]);
		expect(text,
		       strchr(bad_b64[i], '\n') != NULL
			       ? KW_DECODE_INVALID_JSON
			       : KW_DECODE_INVALID_BASE64,
		       NULL);
	}
	expect("{\"name\":\"a\",\"key\":\"AAEC\"}", KW_DECODE_INVALID_ARGUMENT,
	       "key");
	expect("{\"name\":\"a\",\"key\":\"AAE\"}", KW_DECODE_INVALID_BASE64,
	       "key");
	expect("{\"name\":\"a\",\"ct\":\"kw:v1:AA\"}", KW_DECODE_INVALID_BASE64,
	       "ct");
	static const char *const bad_ct[] = {
		"kw:v0:AAEC",	 "kw:v01:AAEC",
		"kw:v:AAEC",	 "kw:1:AAEC",
		"kw:v1AAEC",	 "KW:v1:AAEC",
		"kw:v1234567:A", "kw:v-1:AAEC",
		"kw:v1",	 "",
	};
	for (size_t i = 0; i < sizeof(bad_ct) / sizeof(bad_ct[0]); i++) {
		snprintf(text, sizeof(text), "{\"name\":\"a\",\"ct\":\"%s\"}",
			 bad_ct[i]);
		expect(text, KW_DECODE_INVALID_ARGUMENT, "ct");
	}
	char *s = NULL;
	kw_ciphertext c;
	bool b64_bad;
	assert_int_equal(
		kw_ciphertext_format(7, (const uint8_t *)"\x01\x02", 2, &s),
		KW_OK);
	assert_string_equal(s, "kw:v7:AQI=");
	assert_int_equal(kw_ciphertext_parse(s, strlen(s), &c, &b64_bad),
			 KW_OK);
	assert_int_equal(c.version, 7);
	assert_int_equal(c.len, 2);
	free(c.data);
	free(s);
}

static void test_batches(void **state)
{
	req r;
	kw_decode_error err;
	(void)state;
	assert_int_equal(
		decode("{\"name\":\"a\",\"batch\":[{\"data\":\"AA==\"},"
		       "{\"data\":\"AAE=\",\"tag\":\"t\"}]}",
		       &r, &err, 0),
		KW_DECODE_OK);
	assert_int_equal(r.batch.n, 2);
	assert_int_equal(((item *)r.batch.items)[1].data.len, 2);
	kw_decoded_free(spec, KW_NFIELDS(spec), &r);
	expect("{\"name\":\"a\",\"batch\":[]}", KW_DECODE_INVALID_ARGUMENT,
	       "batch");
	expect("{\"name\":\"a\",\"batch\":{}}", KW_DECODE_INVALID_TYPE,
	       "batch");
	expect("{\"name\":\"a\",\"batch\":[{\"data\":\"AA==\"},1]}",
	       KW_DECODE_INVALID_TYPE, "batch[1]");
	expect("{\"name\":\"a\",\"batch\":[{\"data\":\"AA==\",\"x\":0}]}",
	       KW_DECODE_UNKNOWN_FIELD, "batch[0].x");
	expect("{\"name\":\"a\",\"batch\":[{\"data\":\"AA==\"},{}]}",
	       KW_DECODE_MISSING_FIELD, "batch[1].data");
	expect("{\"name\":\"a\",\"batch\":[{\"data\":\"AAAAAAAAAAAA\"}]}",
	       KW_DECODE_INVALID_ARGUMENT, "batch[0].data");
	/* A batch may not nest another. */
	expect("{\"name\":\"a\",\"batch\":[{\"data\":\"AA==\",\"batch\":[]}]}",
	       KW_DECODE_UNKNOWN_FIELD, "batch[0].batch");
	/* The configured limit. */
	assert_int_equal(decode("{\"name\":\"a\",\"batch\":[{\"data\":\"\"},"
				"{\"data\":\"\"},{\"data\":\"\"}]}",
				&r, &err, 2),
			 KW_DECODE_INVALID_ARGUMENT);
	assert_non_null(strstr(err.message, "1..2 items"));
	kw_decoded_free(spec, KW_NFIELDS(spec), &r);
}

/* The daemon's own specs are well-formed: unique names, members inside
 * the struct, batches pointing at item specs without batches. */
static void test_daemon_specs(void **state)
{
	(void)state;
	assert_true(kw_specs_all_count >= 20);
	for (size_t i = 0; i < kw_specs_all_count; i++) {
		const kw_spec_entry *e = &kw_specs_all[i];
		for (size_t a = 0; a < e->n; a++) {
			assert_true(e->spec[a].offset < e->size);
			for (size_t b = a + 1; b < e->n; b++)
				assert_string_not_equal(e->spec[a].name,
							e->spec[b].name);
			if (e->spec[a].kind == KW_FIELD_BATCH) {
				assert_non_null(e->spec[a].sub);
				for (size_t s = 0; s < e->spec[a].sub_n; s++)
					assert_int_not_equal(
						e->spec[a].sub[s].kind,
						KW_FIELD_BATCH);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_parse),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_base64_and_ciphertexts),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_daemon_specs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
