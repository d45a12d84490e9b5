/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audit/verify.h"
#include "util/codec.h"
#include "util/jcs.h"

#define VERIFY_KEYS_MAX 64

typedef struct verify_key {
	char id[KW_AUDIT_HASH_HEX_LEN + 1];
	kw_ckey *key;
} verify_key;

struct kw_audit_verifier {
	kw_audit_verify_opts opts;
	verify_key keys[VERIFY_KEYS_MAX];
	size_t key_count;
	uint64_t line_no;
	uint64_t next_seq; /* 0 before the first entry */
	char prev[KW_AUDIT_HASH_HEX_LEN + 1];
	bool failed;
	kw_audit_verify_report rep;
};

/* Lowercase hex SHA-256 of p[0..len). */
kw_rc kw_audit_sha256_hex(const void *p, size_t len,
			  char out[static KW_AUDIT_HASH_HEX_LEN + 1])
{
	uint8_t md[KW_DIGEST_MAX];
	size_t md_len = 0;
	kw_rc rc = kw_digest(KW_HASH_SHA256, p, len, md, &md_len);

	if (rc == KW_OK)
		kw_hex_encode(md, md_len, out);
	return rc;
}

kw_rc kw_audit_entry_hash(const json_t *entry,
			  char out[static KW_AUDIT_HASH_HEX_LEN + 1])
{
	char *text = NULL;
	size_t len = 0;
	kw_rc rc = KW_E_INVALID;

	if (!json_is_object(entry))
		goto out;
	rc = kw_jcs_encode(entry, "hash", &text, &len);
	if (rc == KW_OK)
		rc = kw_audit_sha256_hex(text, len, out);
out:
	free(text);
	return rc;
}

kw_rc kw_audit_key_id(const kw_ckey *k,
		      char out[static KW_AUDIT_HASH_HEX_LEN + 1])
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	kw_rc rc = KW_E_INVALID;

	if (k == NULL)
		goto out;
	rc = kw_ckey_public_der(k, &der, &der_len);
	if (rc == KW_OK)
		rc = kw_audit_sha256_hex(der, der_len, out);
out:
	free(der);
	return rc;
}

kw_rc kw_audit_verifier_new(const kw_audit_verify_opts *opts,
			    kw_audit_verifier **out)
{
	kw_audit_verifier *v = NULL;

	if (out == NULL)
		return KW_E_INVALID;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return KW_E_NOMEM;
	if (opts != NULL)
		v->opts = *opts;
	memcpy(v->prev, KW_AUDIT_ZERO_HASH, sizeof(v->prev));
	*out = v;
	return KW_OK;
}

void kw_audit_verifier_free(kw_audit_verifier *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->key_count; i++)
		kw_ckey_free(v->keys[i].key);
	free(v);
}

static kw_rc add_one_key(kw_audit_verifier *v, const uint8_t *in, size_t len)
{
	kw_ckey *k = NULL;
	kw_rc rc = KW_E_INVALID;

	if (v->key_count == VERIFY_KEYS_MAX)
		goto out;
	rc = kw_ckey_from_public(KW_KEY_ED25519, in, len, &k);
	if (rc != KW_OK)
		goto out;
	rc = kw_audit_key_id(k, v->keys[v->key_count].id);
	if (rc != KW_OK)
		goto out;
	v->keys[v->key_count++].key = k;
	k = NULL;
out:
	kw_ckey_free(k);
	return rc;
}

kw_rc kw_audit_verifier_add_keys(kw_audit_verifier *v, const uint8_t *pem,
				 size_t len)
{
	static const char begin[] = "-----BEGIN PUBLIC KEY-----";
	static const char end[] = "-----END PUBLIC KEY-----";
	const char *p = (const char *)pem;
	const char *stop = p + len;
	size_t added = 0;
	kw_rc rc = KW_E_INVALID;

	if (v == NULL || pem == NULL || len == 0)
		goto out;
	if (memmem(p, len, begin, sizeof(begin) - 1) == NULL) {
		rc = add_one_key(v, pem, len); /* DER */
		goto out;
	}
	for (;;) {
		const char *b =
			memmem(p, (size_t)(stop - p), begin, sizeof(begin) - 1);
		const char *e;

		if (b == NULL)
			break;
		e = memmem(b, (size_t)(stop - b), end, sizeof(end) - 1);
		if (e == NULL) {
			rc = KW_E_INVALID;
			goto out;
		}
		e += sizeof(end) - 1;
		rc = add_one_key(v, (const uint8_t *)b, (size_t)(e - b));
		if (rc != KW_OK)
			goto out;
		added++;
		p = e;
	}
	rc = added > 0 ? KW_OK : KW_E_INVALID;
out:
	return rc;
}

/* Records the first problem; later ones are not reported. */
__attribute__((format(printf, 3, 4))) static void
fail(kw_audit_verifier *v, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (v->failed)
		return;
	v->failed = true;
	v->rep.bad_line = v->line_no;
	v->rep.bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->rep.reason, sizeof(v->rep.reason), fmt, ap);
	va_end(ap);
}

static bool is_hex64(const char *s)
{
	if (s == NULL || strlen(s) != KW_AUDIT_HASH_HEX_LEN)
		return false;
	for (size_t i = 0; i < KW_AUDIT_HASH_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* YYYY-MM-DDTHH:MM:SS[.fraction]Z */
static bool is_rfc3339_utc(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9')
				    : s[i] != shape[i])
			return false;
	}
	if (s[i] == '.') {
		i++;
		if (s[i] < '0' || s[i] > '9')
			return false;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return s[i] == 'Z' && s[i + 1] == '\0';
}

/* Checks the §5 fields and their types; the message names the first bad
 * one. */
static const char *check_fields(const json_t *e)
{
	static const char *const strings[] = {
		"time",	  "node",   "principal",  "partition", "op",
		"result", "reason", "request_id", "prev",      "hash",
	};
	const json_t *key = json_object_get(e, "key");
	const char *result = NULL;

	if (!json_is_integer(json_object_get(e, "seq")) ||
	    json_integer_value(json_object_get(e, "seq")) < 1)
		return "missing or bad \"seq\"";
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (!json_is_string(json_object_get(e, strings[i])))
			return "a required string field is missing";
	if (!is_rfc3339_utc(json_string_value(json_object_get(e, "time"))))
		return "\"time\" is not RFC 3339 UTC";
	result = json_string_value(json_object_get(e, "result"));
	if (strcmp(result, "ok") != 0 && strcmp(result, "denied") != 0 &&
	    strcmp(result, "error") != 0)
		return "\"result\" is not ok, denied or error";
	if (key == NULL || !(json_is_null(key) ||
			     (json_is_object(key) &&
			      json_is_string(json_object_get(key, "name")))))
		return "\"key\" is not null or {\"name\", \"version\"}";
	if (!is_hex64(json_string_value(json_object_get(e, "prev"))) ||
	    !is_hex64(json_string_value(json_object_get(e, "hash"))))
		return "\"prev\" or \"hash\" is not 64 lowercase hex digits";
	return NULL;
}

/* Verifies a checkpoint's signature over the raw bytes of its prev. */
static void check_checkpoint(kw_audit_verifier *v, const json_t *e,
			     uint64_t seq)
{
	const kw_sign_params ed = {.scheme = KW_SIG_EDDSA,
				   .hash = KW_HASH_NONE};
	const json_t *jsig = json_object_get(e, "sig");
	const json_t *jkid = json_object_get(e, "key_id");
	const char *kid = json_string_value(jkid);
	uint8_t head[32];
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	bool named = false;
	bool good = false;

	if (!json_is_string(jsig) || (jkid != NULL && !json_is_string(jkid))) {
		fail(v, seq, "checkpoint without a \"sig\" string");
		goto out;
	}
	if (kw_base64_decode_alloc(json_string_value(jsig),
				   json_string_length(jsig), false, &sig,
				   &sig_len) != KW_OK ||
	    sig_len != KW_AUDIT_SIG_LEN) {
		fail(v, seq, "checkpoint \"sig\" is not a base64 signature");
		goto out;
	}
	if (kw_hex_decode(json_string_value(json_object_get(e, "prev")),
			  KW_AUDIT_HASH_HEX_LEN, head) != KW_OK) {
		fail(v, seq, "checkpoint \"prev\" is not hex");
		goto out;
	}
	for (size_t i = 0; i < v->key_count && !good; i++) {
		if (kid != NULL && strcmp(kid, v->keys[i].id) != 0)
			continue;
		named = true;
		good = kw_ckey_verify(v->keys[i].key, &ed, head, sizeof(head),
				      sig, sig_len) == KW_OK;
	}
	if (!named)
		fail(v, seq,
		     "checkpoint signed by key %s, which is not trusted",
		     is_hex64(kid) ? kid : "(unnamed)");
	else if (!good)
		fail(v, seq, "checkpoint signature does not verify");
	else
		v->rep.checkpoints++;
out:
	free(sig);
}

kw_rc kw_audit_verifier_line(kw_audit_verifier *v, const char *line, size_t len)
{
	json_t *e = NULL;
	char *canon = NULL;
	size_t canon_len = 0;
	char hash[KW_AUDIT_HASH_HEX_LEN + 1];
	const char *problem;
	uint64_t seq = 0;
	kw_rc rc = KW_E_INVALID;

	if (v == NULL || (line == NULL && len > 0))
		goto out;
	rc = KW_E_VERIFY;
	if (v->failed)
		goto out;
	v->line_no++;
	if (kw_jcs_parse(line, len, &e) != KW_OK || !json_is_object(e)) {
		fail(v, 0, "not a JSON object");
		goto out;
	}
	if (json_is_integer(json_object_get(e, "seq")))
		seq = (uint64_t)json_integer_value(json_object_get(e, "seq"));
	problem = check_fields(e);
	if (problem != NULL) {
		fail(v, seq, "%s", problem);
		goto out;
	}
	rc = kw_jcs_encode(e, NULL, &canon, &canon_len);
	if (rc == KW_E_NOMEM)
		goto out;
	rc = KW_E_VERIFY;
	if (canon == NULL || canon_len != len ||
	    memcmp(canon, line, len) != 0) {
		fail(v, seq, "entry is not in canonical JSON form");
		goto out;
	}
	if (v->next_seq == 0 && seq != 1 && !v->opts.allow_partial) {
		fail(v, seq, "log starts at seq %llu, not 1",
		     (unsigned long long)seq);
		goto out;
	}
	if (v->next_seq != 0 && seq != v->next_seq) {
		fail(v, seq,
		     "seq %llu where %llu was expected (entry missing, "
		     "inserted or moved)",
		     (unsigned long long)seq, (unsigned long long)v->next_seq);
		goto out;
	}
	if ((v->next_seq != 0 || seq == 1) &&
	    strcmp(json_string_value(json_object_get(e, "prev")), v->prev) !=
		    0) {
		fail(v, seq, "prev is not the hash of the entry before");
		goto out;
	}
	if (kw_audit_entry_hash(e, hash) != KW_OK ||
	    strcmp(hash, json_string_value(json_object_get(e, "hash"))) != 0) {
		fail(v, seq, "hash does not match the entry's content");
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(e, "op")), "checkpoint") ==
	    0) {
		check_checkpoint(v, e, seq);
		if (v->failed)
			goto out;
		v->rep.last_checkpoint_seq = seq;
		v->rep.tail = 0;
	} else {
		v->rep.tail++;
	}
	if (v->next_seq == 0)
		v->rep.first_seq = seq;
	v->rep.last_seq = seq;
	v->rep.entries++;
	v->next_seq = seq + 1;
	memcpy(v->prev, hash, sizeof(v->prev));
	memcpy(v->rep.head, hash, sizeof(v->rep.head));
	rc = KW_OK;
out:
	free(canon);
	json_decref(e);
	return rc;
}

kw_rc kw_audit_verifier_finish(kw_audit_verifier *v,
			       kw_audit_verify_report *out)
{
	if (v == NULL || out == NULL)
		return KW_E_INVALID;
	if (!v->failed && v->rep.entries == 0) {
		v->line_no = 0;
		fail(v, 0, "the log is empty");
	}
	if (!v->failed && v->rep.last_checkpoint_seq == 0 &&
	    !v->opts.allow_tail) {
		v->line_no = 0;
		fail(v, 0, "no checkpoint: nothing in the log is signed");
	}
	if (!v->failed && v->rep.tail > 0 && !v->opts.allow_tail) {
		v->line_no = 0;
		fail(v, 0,
		     "%llu entries after the last checkpoint (seq %llu) are "
		     "not signed: truncated or not yet certified",
		     (unsigned long long)v->rep.tail,
		     (unsigned long long)v->rep.last_checkpoint_seq);
	}
	*out = v->rep;
	return v->failed ? KW_E_VERIFY : KW_OK;
}

kw_rc kw_audit_verify_stream(kw_audit_verifier *v, FILE *f,
			     kw_audit_verify_report *out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	kw_rc rc = KW_E_INVALID;

	if (v == NULL || f == NULL || out == NULL)
		goto out;
	while ((n = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)n;

		bool newline = line[len - 1] == '\n';

		rc = kw_audit_verifier_line(v, line, newline ? len - 1 : len);
		if (rc == KW_E_NOMEM)
			goto out;
		if (rc == KW_OK && !newline)
			fail(v, 0, "the last line does not end with a newline");
		if (rc != KW_OK)
			break;
	}
	if (ferror(f)) {
		rc = KW_E_STORAGE;
		goto out;
	}
	rc = kw_audit_verifier_finish(v, out);
out:
	free(line);
	return rc;
}
