/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "auth/internal.h"
#include "util/tlv.h"

/*
 * The plaintexts of the auth records (sealed by the barrier before they
 * reach the store). TLV items; tag 1 is the format version (1). Decoders
 * are strict: an unknown or repeated tag, a missing required item, a value
 * of the wrong size or out of range is KW_E_INTEGRITY — the record was not
 * written by this code, so nothing of it is trusted.
 *
 *   partition: 2 name, 3 created
 *   principal: 2 name, 3 partition ("" = system), 4 kind, 5 roles,
 *              6 system, 7 created, 8 password hash (optional),
 *              9 failed logins, 10 locked until
 *   token:     2 id, 3 principal, 4 partition, 5 name, 6 created,
 *              7 expires at, 8 revoked, 9 session, 10 keyed hash
 */

#define REC_FORMAT 1u

enum { T_FORMAT = 1 };
enum { T_PART_NAME = 2, T_PART_CREATED = 3 };
enum {
	T_PR_NAME = 2,
	T_PR_PARTITION = 3,
	T_PR_KIND = 4,
	T_PR_ROLES = 5,
	T_PR_SYSTEM = 6,
	T_PR_CREATED = 7,
	T_PR_PWHASH = 8,
	T_PR_FAILED = 9,
	T_PR_LOCKED_UNTIL = 10,
};
enum {
	T_TK_ID = 2,
	T_TK_PRINCIPAL = 3,
	T_TK_PARTITION = 4,
	T_TK_NAME = 5,
	T_TK_CREATED = 6,
	T_TK_EXPIRES = 7,
	T_TK_REVOKED = 8,
	T_TK_SESSION = 9,
	T_TK_HASH = 10,
};

typedef enum field_kind { F_STR, F_U64, F_I64, F_HASH } field_kind;

typedef struct rec_field {
	uint16_t tag;
	field_kind kind;
	bool required;
	void *dst;  /* char[max + 1], uint64_t, int64_t or uint8_t[32] */
	size_t max; /* F_STR: bytes without the NUL */
	bool seen;
} rec_field;

static kw_rc field_read(rec_field *f, const kw_tlv_item *it)
{
	switch (f->kind) {
	case F_STR:
		return kw_tlv_item_str(it, f->dst, f->max);
	case F_U64:
		return kw_tlv_item_u64(it, f->dst);
	case F_I64:
		return kw_tlv_item_i64(it, f->dst);
	case F_HASH:
		if (it->len != KW_AUTH_HASH_LEN)
			return KW_E_INTEGRITY;
		memcpy(f->dst, it->val, KW_AUTH_HASH_LEN);
		return KW_OK;
	}
	return KW_E_INTERNAL;
}

/* Reads d[0..n) into the fields; the format item must come first. */
static kw_rc rec_decode(const uint8_t *d, size_t n, rec_field *fields,
			size_t nf)
{
	kw_tlv_reader r;
	kw_tlv_item it;
	uint64_t format = 0;

	if (d == NULL)
		return KW_E_INTEGRITY;
	kw_tlv_reader_init(&r, d, n);
	if (kw_tlv_next(&r, &it) != KW_OK || it.tag != T_FORMAT ||
	    kw_tlv_item_u64(&it, &format) != KW_OK || format != REC_FORMAT)
		return KW_E_INTEGRITY;
	kw_rc rc;
	while ((rc = kw_tlv_next(&r, &it)) == KW_OK) {
		rec_field *f = NULL;
		for (size_t i = 0; i < nf && f == NULL; i++) {
			if (fields[i].tag == it.tag)
				f = &fields[i];
		}
		if (f == NULL || f->seen)
			return KW_E_INTEGRITY;
		f->seen = true;
		rc = field_read(f, &it);
		if (rc != KW_OK)
			return KW_E_INTEGRITY;
	}
	if (rc != KW_E_NOT_FOUND)
		return KW_E_INTEGRITY;
	for (size_t i = 0; i < nf; i++) {
		if (fields[i].required && !fields[i].seen)
			return KW_E_INTEGRITY;
	}
	return KW_OK;
}

static void rec_begin(kw_tlv_writer *w)
{
	kw_tlv_writer_init(w);
	kw_tlv_put_u64(w, T_FORMAT, REC_FORMAT);
}

/* ---- partitions ------------------------------------------------------- */

kw_rc kw_auth_partition_encode(const kw_partition_info *p, kw_secret **out)
{
	kw_tlv_writer w;
	rec_begin(&w);
	kw_tlv_put_str(&w, T_PART_NAME, p->name);
	kw_tlv_put_i64(&w, T_PART_CREATED, p->created);
	return kw_tlv_writer_finish(&w, out);
}

kw_rc kw_auth_partition_decode(const uint8_t *d, size_t n,
			       kw_partition_info *out)
{
	kw_partition_info p = {0};
	rec_field f[] = {
		{T_PART_NAME, F_STR, true, p.name, KW_NAME_MAX, false},
		{T_PART_CREATED, F_I64, true, &p.created, 0, false},
	};
	kw_rc rc = rec_decode(d, n, f, sizeof(f) / sizeof(f[0]));
	if (rc == KW_OK && !kw_auth_name_valid(p.name))
		rc = KW_E_INTEGRITY;
	if (rc == KW_OK)
		*out = p;
	return rc;
}

/* ---- principals ------------------------------------------------------- */

kw_rc kw_auth_principal_encode(const kw_auth_principal *p, kw_secret **out)
{
	kw_tlv_writer w;
	rec_begin(&w);
	kw_tlv_put_str(&w, T_PR_NAME, p->info.name);
	kw_tlv_put_str(&w, T_PR_PARTITION, p->info.partition);
	kw_tlv_put_u64(&w, T_PR_KIND, (uint64_t)p->info.kind);
	kw_tlv_put_u64(&w, T_PR_ROLES, p->info.roles);
	kw_tlv_put_u64(&w, T_PR_SYSTEM, p->info.system ? 1 : 0);
	kw_tlv_put_i64(&w, T_PR_CREATED, p->info.created);
	if (p->pw_hash[0] != '\0')
		kw_tlv_put_str(&w, T_PR_PWHASH, p->pw_hash);
	kw_tlv_put_u64(&w, T_PR_FAILED, p->failed);
	kw_tlv_put_i64(&w, T_PR_LOCKED_UNTIL, p->info.locked_until);
	return kw_tlv_writer_finish(&w, out);
}

kw_rc kw_auth_principal_decode(const uint8_t *d, size_t n,
			       kw_auth_principal *out)
{
	kw_auth_principal p;
	uint64_t kind = 0, roles = 0, sys = 0, failed = 0;
	memset(&p, 0, sizeof(p));
	rec_field f[] = {
		{T_PR_NAME, F_STR, true, p.info.name, KW_NAME_MAX, false},
		{T_PR_PARTITION, F_STR, true, p.info.partition, KW_NAME_MAX,
		 false},
		{T_PR_KIND, F_U64, true, &kind, 0, false},
		{T_PR_ROLES, F_U64, true, &roles, 0, false},
		{T_PR_SYSTEM, F_U64, true, &sys, 0, false},
		{T_PR_CREATED, F_I64, true, &p.info.created, 0, false},
		{T_PR_PWHASH, F_STR, false, p.pw_hash, KW_PASSWORD_HASH_MAX,
		 false},
		{T_PR_FAILED, F_U64, true, &failed, 0, false},
		{T_PR_LOCKED_UNTIL, F_I64, true, &p.info.locked_until, 0,
		 false},
	};
	kw_rc rc = rec_decode(d, n, f, sizeof(f) / sizeof(f[0]));
	if (rc != KW_OK)
		goto out;
	/* system is exactly "partition is empty"; both are stored so a
	 * record that disagrees with itself is caught. */
	bool sys_ok = (sys == 1 && p.info.partition[0] == '\0') ||
		      (sys == 0 && kw_auth_name_valid(p.info.partition));
	if (!kw_auth_name_valid(p.info.name) || !sys_ok ||
	    kind < KW_PRINCIPAL_USER || kind > KW_PRINCIPAL_AGENT ||
	    (roles & ~(uint64_t)KW_ROLE_ALL_) != 0 || failed > UINT32_MAX) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	p.info.kind = (kw_principal_kind)kind;
	p.info.roles = (uint32_t)roles;
	p.info.system = sys == 1;
	p.failed = (uint32_t)failed;
	*out = p;
out:
	kw_wipe(&p, sizeof(p));
	return rc;
}

/* ---- tokens ----------------------------------------------------------- */

kw_rc kw_auth_token_encode(const kw_auth_token *tk, kw_secret **out)
{
	kw_tlv_writer w;
	rec_begin(&w);
	kw_tlv_put_str(&w, T_TK_ID, tk->info.id);
	kw_tlv_put_str(&w, T_TK_PRINCIPAL, tk->info.principal);
	kw_tlv_put_str(&w, T_TK_PARTITION, tk->info.partition);
	kw_tlv_put_str(&w, T_TK_NAME, tk->info.name);
	kw_tlv_put_i64(&w, T_TK_CREATED, tk->info.created);
	kw_tlv_put_i64(&w, T_TK_EXPIRES, tk->info.expires_at);
	kw_tlv_put_u64(&w, T_TK_REVOKED, tk->info.revoked ? 1 : 0);
	kw_tlv_put_u64(&w, T_TK_SESSION, tk->info.session ? 1 : 0);
	kw_tlv_put_bytes(&w, T_TK_HASH, tk->hash, KW_AUTH_HASH_LEN);
	return kw_tlv_writer_finish(&w, out);
}

kw_rc kw_auth_token_decode(const uint8_t *d, size_t n, kw_auth_token *out)
{
	kw_auth_token tk;
	uint64_t revoked = 0, session = 0;
	memset(&tk, 0, sizeof(tk));
	rec_field f[] = {
		{T_TK_ID, F_STR, true, tk.info.id, KW_TOKEN_ID_LEN, false},
		{T_TK_PRINCIPAL, F_STR, true, tk.info.principal, KW_NAME_MAX,
		 false},
		{T_TK_PARTITION, F_STR, true, tk.info.partition, KW_NAME_MAX,
		 false},
		{T_TK_NAME, F_STR, true, tk.info.name, KW_NAME_MAX, false},
		{T_TK_CREATED, F_I64, true, &tk.info.created, 0, false},
		{T_TK_EXPIRES, F_I64, true, &tk.info.expires_at, 0, false},
		{T_TK_REVOKED, F_U64, true, &revoked, 0, false},
		{T_TK_SESSION, F_U64, true, &session, 0, false},
		{T_TK_HASH, F_HASH, true, tk.hash, 0, false},
	};
	kw_rc rc = rec_decode(d, n, f, sizeof(f) / sizeof(f[0]));
	if (rc == KW_OK &&
	    (!kw_auth_token_id_valid(tk.info.id) ||
	     !kw_auth_name_valid(tk.info.principal) ||
	     !kw_auth_partition_arg_valid(tk.info.partition) ||
	     (tk.info.name[0] != '\0' && !kw_auth_name_valid(tk.info.name)) ||
	     revoked > 1 || session > 1))
		rc = KW_E_INTEGRITY;
	if (rc == KW_OK) {
		tk.info.revoked = revoked == 1;
		tk.info.session = session == 1;
		*out = tk;
	}
	kw_wipe(&tk, sizeof(tk));
	return rc;
}
