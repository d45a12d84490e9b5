/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/* Bootstrap, partitions, principals and tokens (test_login.c has logins). */

static void test_bootstrap(void **state)
{
	afx *f = *state;
	kw_secret *tok = afx_bootstrap(f);
	assert_int_equal(tok->len, 47);
	assert_memory_equal(tok->data, "kwt_", 4);

	kw_caller c;
	assert_int_equal(afx_check(f, tok, &c), KW_OK);
	assert_string_equal(c.principal, "root");
	assert_string_equal(c.partition, "");
	assert_true(c.system);
	assert_int_equal(c.roles, KW_ROLE_ALL_);
	assert_string_equal(c.source, "test");
	assert_int_equal(strlen(c.token_id), KW_TOKEN_ID_LEN);
	assert_int_equal(c.expires_at, AFX_T0 + 365 * 86400);

	kw_secret *again = NULL;
	assert_int_equal(kw_auth_bootstrap(f->a, NULL, &again), KW_E_EXISTS);
	assert_null(again);
	kw_partition_info p;
	assert_int_equal(kw_partition_get(f->a, "default", &p), KW_OK);
	assert_int_equal(p.created, AFX_T0);
	kw_principal_info root;
	assert_int_equal(kw_principal_get(f->a, "", "root", &root), KW_OK);
	assert_true(root.system);
	assert_int_equal(root.kind, KW_PRINCIPAL_USER);

	/* A too-short root password is refused before anything is done. */
	kw_secret *shortpw = afx_secret("short");
	assert_int_equal(kw_auth_bootstrap(f->a, shortpw, &again),
			 KW_E_INVALID);
	assert_int_equal(kw_auth_bootstrap(NULL, NULL, &again), KW_E_INVALID);
	assert_int_equal(kw_auth_bootstrap(f->a, NULL, NULL), KW_E_INVALID);
	kw_secret_free(shortpw);
	kw_secret_free(tok);
}

static void test_partitions(void **state)
{
	afx *f = *state;
	kw_secret_free(afx_bootstrap(f));
	kw_partition_info p;
	assert_int_equal(kw_partition_create(f->a, "b", &p), KW_OK);
	assert_string_equal(p.name, "b");
	assert_true(p.record_version >= 1);
	assert_int_equal(kw_partition_create(f->a, "a", NULL), KW_OK);
	assert_int_equal(kw_partition_create(f->a, "c-1.x_y", NULL), KW_OK);
	assert_int_equal(kw_partition_create(f->a, "b", &p), KW_E_EXISTS);

	char long_name[KW_NAME_MAX + 2];
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	static const char *const bad[] = {"", "a b", "*", "a/b", "é", NULL};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kw_partition_create(f->a, bad[i], NULL),
				 KW_E_INVALID);
	assert_int_equal(kw_partition_create(f->a, long_name, NULL),
			 KW_E_INVALID);
	long_name[KW_NAME_MAX] = '\0'; /* exactly 64: fine */
	assert_int_equal(kw_partition_create(f->a, long_name, NULL), KW_OK);

	kw_partition_info list[10];
	size_t n = 99;
	assert_int_equal(kw_partition_list(f->a, list, 10, &n), KW_OK);
	assert_int_equal(n, 5);
	assert_string_equal(list[0].name, "a");
	assert_string_equal(list[1].name, "b");
	assert_string_equal(list[2].name, "c-1.x_y");
	assert_string_equal(list[3].name, "default");
	assert_string_equal(list[4].name, long_name);
	assert_int_equal(kw_partition_list(f->a, list, 2, &n), KW_OK);
	assert_int_equal(n, 2);
	assert_int_equal(kw_partition_list(f->a, NULL, 0, &n), KW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(kw_partition_list(f->a, NULL, 3, &n), KW_E_INVALID);

	/* Deletion: "default" never; not while keys or principals are in
	 * it; then gone. */
	assert_int_equal(kw_partition_delete(f->a, "default", false),
			 KW_E_STATE);
	assert_int_equal(kw_partition_delete(f->a, "a", true), KW_E_STATE);
	afx_principal(f, "a", "app1", KW_ROLE_CRYPTO_USER, NULL);
	assert_int_equal(kw_partition_delete(f->a, "a", false), KW_E_STATE);
	assert_int_equal(kw_principal_delete(f->a, "a", "app1"), KW_OK);
	assert_int_equal(kw_partition_delete(f->a, "a", false), KW_OK);
	assert_int_equal(kw_partition_get(f->a, "a", &p), KW_E_NOT_FOUND);
	assert_int_equal(kw_partition_delete(f->a, "a", false), KW_E_NOT_FOUND);
	assert_int_equal(kw_partition_delete(f->a, "", false), KW_E_INVALID);
	assert_int_equal(kw_partition_get(f->a, "", &p), KW_E_INVALID);
	assert_int_equal(kw_partition_get(f->a, "b", NULL), KW_E_INVALID);
}

static void test_principals(void **state)
{
	afx *f = *state;
	kw_secret_free(afx_bootstrap(f));
	kw_secret *pw = afx_secret("a good password");
	kw_secret *shortpw = afx_secret("1234567");
	kw_principal_info info;
	assert_int_equal(kw_partition_create(f->a, "A", NULL), KW_OK);
	assert_int_equal(kw_principal_create(f->a, "A", "alice",
					     KW_PRINCIPAL_USER,
					     KW_ROLE_CRYPTO_USER, pw, &info),
			 KW_OK);
	assert_string_equal(info.partition, "A");
	assert_false(info.system);
	assert_false(info.locked);
	assert_int_equal(info.created, AFX_T0);

	/* The rules of creation. */
	assert_int_equal(kw_principal_create(f->a, "A", "alice",
					     KW_PRINCIPAL_USER, 0, pw, NULL),
			 KW_E_EXISTS);
	assert_int_equal(kw_principal_create(f->a, "A", "u2", KW_PRINCIPAL_USER,
					     0, NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_create(f->a, "A", "u2", KW_PRINCIPAL_USER,
					     0, shortpw, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_create(f->a, "A", "app", KW_PRINCIPAL_APP,
					     0, pw, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_create(f->a, "nope", "app",
					     KW_PRINCIPAL_APP, 0, NULL, NULL),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_principal_create(f->a, "A", "app", KW_PRINCIPAL_APP,
					     1u << 5, NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_create(f->a, "A", "app",
					     (kw_principal_kind)9, 0, NULL,
					     NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_create(f->a, "A", "a/b", KW_PRINCIPAL_APP,
					     0, NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_get(f->a, "A", "u2", &info),
			 KW_E_NOT_FOUND);

	/* Same name, other namespace: another principal. */
	afx_principal(f, "B", "alice", KW_ROLE_AUDITOR, NULL);
	afx_principal(f, "", "ops", KW_ROLE_SECURITY_OFFICER, NULL);
	assert_int_equal(kw_principal_get(f->a, "B", "alice", &info), KW_OK);
	assert_int_equal(info.roles, KW_ROLE_AUDITOR);
	assert_int_equal(info.kind, KW_PRINCIPAL_APP);
	assert_int_equal(kw_principal_get(f->a, "A", "alice", &info), KW_OK);
	assert_int_equal(info.roles, KW_ROLE_CRYPTO_USER);
	assert_int_equal(kw_principal_get(f->a, "", "ops", &info), KW_OK);
	assert_true(info.system);

	/* Roles. */
	assert_int_equal(
		kw_principal_set_roles(f->a, "A", "alice",
				       KW_ROLE_CRYPTO_OFFICER | KW_ROLE_AUDITOR,
				       &info),
		KW_OK);
	assert_int_equal(info.roles, KW_ROLE_CRYPTO_OFFICER | KW_ROLE_AUDITOR);
	assert_int_equal(
		kw_principal_set_roles(f->a, "A", "alice", 1u << 7, &info),
		KW_E_INVALID);
	assert_int_equal(kw_principal_set_roles(f->a, "A", "ghost", 0, NULL),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_principal_get(f->a, "A", "alice", &info), KW_OK);
	assert_int_equal(info.roles, KW_ROLE_CRYPTO_OFFICER | KW_ROLE_AUDITOR);

	/* Passwords: users only. */
	assert_int_equal(kw_principal_set_password(f->a, "B", "alice", pw),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_set_password(f->a, "A", "alice", shortpw),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_set_password(f->a, "A", "ghost", pw),
			 KW_E_NOT_FOUND);

	/* Deletion. */
	assert_int_equal(kw_principal_delete(f->a, "B", "alice"), KW_OK);
	assert_int_equal(kw_principal_get(f->a, "B", "alice", &info),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_principal_delete(f->a, "B", "alice"),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_principal_get(f->a, "A", "alice", &info), KW_OK);
	kw_secret_free(pw);
	kw_secret_free(shortpw);
}

static void test_principal_list_pages(void **state)
{
	afx *f = *state;
	kw_secret_free(afx_bootstrap(f));
	assert_int_equal(kw_partition_create(f->a, "P", NULL), KW_OK);
	/* 23 apps, created out of order. */
	for (int i = 0; i < 23; i++) {
		char name[16];
		snprintf(name, sizeof(name), "app%02d", (i * 7) % 23);
		afx_principal(f, "P", name, KW_ROLE_CRYPTO_USER, NULL);
	}
	afx_principal(f, "Q", "other", 0, NULL);

	kw_principal_info page[10];
	char cursor[KW_NAME_MAX + 1] = "";
	int seen = 0;
	size_t n = 0;
	int pages = 0;
	do {
		assert_int_equal(kw_principal_list(f->a, "P",
						   seen ? cursor : NULL, page,
						   10, &n),
				 KW_OK);
		for (size_t i = 0; i < n; i++) {
			char want[16];
			snprintf(want, sizeof(want), "app%02d", seen++);
			assert_string_equal(page[i].name, want);
			assert_string_equal(page[i].partition, "P");
		}
		if (n > 0)
			snprintf(cursor, sizeof(cursor), "%s",
				 page[n - 1].name);
		pages++;
	} while (n == 10);
	assert_int_equal(seen, 23);
	assert_int_equal(pages, 3);

	assert_int_equal(kw_principal_list(f->a, "", NULL, page, 10, &n),
			 KW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(page[0].name, "root");
	assert_int_equal(kw_principal_list(f->a, "nope", NULL, page, 10, &n),
			 KW_E_NOT_FOUND);
	assert_int_equal(
		kw_principal_list(f->a, "P", "bad cursor", page, 10, &n),
		KW_E_INVALID);
	assert_int_equal(kw_principal_list(f->a, "P", NULL, NULL, 10, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_list(f->a, "P", NULL, page, 0, &n),
			 KW_OK);
	assert_int_equal(n, 0);
}

static kw_secret *app_token(afx *f, const char *p, const char *name,
			    uint64_t ttl, char id[KW_TOKEN_ID_LEN + 1])
{
	kw_secret *tok = NULL;
	int64_t exp = 0;
	assert_int_equal(
		kw_auth_token_create(f->a, p, name, ttl, "ci", &tok, id, &exp),
		KW_OK);
	assert_int_equal(exp, f->now + (int64_t)ttl);
	return tok;
}

static void test_tokens(void **state)
{
	afx *f = *state;
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "ci", KW_ROLE_CRYPTO_USER, NULL);
	char id[KW_TOKEN_ID_LEN + 1];
	kw_secret *tok = app_token(f, "A", "ci", 600, id);
	assert_int_equal(tok->len, 47);

	kw_caller c;
	assert_int_equal(afx_check(f, tok, &c), KW_OK);
	assert_string_equal(c.principal, "ci");
	assert_string_equal(c.partition, "A");
	assert_int_equal(c.roles, KW_ROLE_CRYPTO_USER);
	assert_false(c.system);
	assert_int_equal(c.kind, KW_PRINCIPAL_APP);
	assert_string_equal(c.token_id, id);
	assert_int_equal(c.expires_at, AFX_T0 + 600);

	kw_token_info ti;
	assert_int_equal(kw_auth_token_get(f->a, id, &ti), KW_OK);
	assert_string_equal(ti.principal, "ci");
	assert_string_equal(ti.name, "ci");
	assert_false(ti.revoked);
	assert_false(ti.session);

	/* Creation rules. */
	kw_secret *t2 = NULL;
	assert_int_equal(
		kw_auth_token_create(f->a, "A", "ci", 0, NULL, &t2, NULL, NULL),
		KW_E_INVALID);
	assert_int_equal(kw_auth_token_create(f->a, "A", "ci",
					      365ull * 86400 + 1, NULL, &t2,
					      NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_auth_token_create(f->a, "A", "ghost", 60, NULL, &t2,
					      NULL, NULL),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_auth_token_create(f->a, "A", "ci", 60, "bad name",
					      &t2, NULL, NULL),
			 KW_E_INVALID);
	assert_null(t2);

	/* Expiry: valid up to the second before, refused from then on,
	 * also when the verdict is cached. */
	f->now = AFX_T0 + 599;
	assert_int_equal(afx_check(f, tok, NULL), KW_OK);
	f->now = AFX_T0 + 600;
	assert_int_equal(afx_check(f, tok, NULL), KW_E_EXPIRED);

	/* Two tokens listed; purge drops the expired one only. */
	char id2[KW_TOKEN_ID_LEN + 1];
	kw_secret *tok2 = app_token(f, "A", "ci", 600, id2);
	kw_token_info list[8];
	size_t n = 0;
	assert_int_equal(kw_auth_token_list(f->a, "A", list, 8, &n), KW_OK);
	assert_int_equal(n, 2);
	assert_true(strcmp(list[0].id, list[1].id) < 0);
	assert_int_equal(kw_auth_token_list(f->a, "", list, 8, &n), KW_OK);
	assert_int_equal(n, 1); /* root's */
	assert_int_equal(kw_auth_token_list(f->a, "nope", list, 8, &n),
			 KW_E_NOT_FOUND);
	size_t purged = 0;
	assert_int_equal(kw_auth_token_purge(f->a, &purged), KW_OK);
	assert_int_equal(purged, 1);
	assert_int_equal(kw_auth_token_get(f->a, id, &ti), KW_E_NOT_FOUND);
	/* Still known as expired while this node remembers it; once the
	 * cache forgets it, it is simply unknown. Refused either way. */
	assert_int_equal(afx_check(f, tok, NULL), KW_E_EXPIRED);
	kw_auth_cache_flush(f->a);
	assert_int_equal(afx_check(f, tok, NULL), KW_E_UNAUTHENTICATED);
	assert_int_equal(kw_auth_token_list(f->a, "A", list, 8, &n), KW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, id2);

	/* Revocation: at once, although the verdict is cached. */
	assert_int_equal(afx_check(f, tok2, NULL), KW_OK);
	assert_int_equal(kw_auth_token_revoke(f->a, id2), KW_OK);
	assert_int_equal(afx_check(f, tok2, NULL), KW_E_EXPIRED);
	assert_int_equal(kw_auth_token_revoke(f->a, id2), KW_OK);
	assert_int_equal(kw_auth_token_get(f->a, id2, &ti), KW_OK);
	assert_true(ti.revoked);
	assert_int_equal(kw_auth_token_revoke(f->a, "t-0000000000000000"),
			 KW_E_NOT_FOUND);
	assert_int_equal(kw_auth_token_revoke(f->a, "t-000000000000000G"),
			 KW_E_INVALID);
	assert_int_equal(kw_auth_token_revoke(f->a, "k-0000000000000000"),
			 KW_E_INVALID);
	assert_int_equal(kw_auth_token_revoke(f->a, NULL), KW_E_INVALID);

	/* Logout revokes the presented token itself. */
	kw_secret *tok3 = app_token(f, "A", "ci", 600, NULL);
	assert_int_equal(afx_check(f, tok3, NULL), KW_OK);
	assert_int_equal(
		kw_auth_logout(f->a, (const char *)tok3->data, tok3->len),
		KW_OK);
	assert_int_equal(afx_check(f, tok3, NULL), KW_E_EXPIRED);
	assert_int_equal(kw_auth_logout(f->a, "kwt_nope", 8),
			 KW_E_UNAUTHENTICATED);
	kw_secret_free(tok);
	kw_secret_free(tok2);
	kw_secret_free(tok3);
}

static void test_changes_reach_cache(void **state)
{
	afx *f = *state;
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "svc", KW_ROLE_CRYPTO_USER, NULL);
	afx_principal(f, "B", "svc", KW_ROLE_CRYPTO_USER, NULL);
	kw_secret *ta = app_token(f, "A", "svc", 3600, NULL);
	kw_secret *tb = app_token(f, "B", "svc", 3600, NULL);
	kw_caller c;
	char reason[64];

	/* A's token acts in A, not in B. */
	assert_int_equal(afx_check(f, ta, &c), KW_OK);
	assert_int_equal(kw_authz_check(&c, KW_OP_KEY_SIGN, "A", NULL, reason,
					sizeof(reason)),
			 KW_OK);
	assert_int_equal(kw_authz_check(&c, KW_OP_KEY_SIGN, "B", NULL, reason,
					sizeof(reason)),
			 KW_E_DENIED);
	assert_string_equal(reason, "other partition");

	/* A role change is seen by the very next check. */
	assert_int_equal(
		kw_principal_set_roles(f->a, "A", "svc", KW_ROLE_AUDITOR, NULL),
		KW_OK);
	assert_int_equal(afx_check(f, ta, &c), KW_OK);
	assert_int_equal(c.roles, KW_ROLE_AUDITOR);
	assert_int_equal(kw_authz_check(&c, KW_OP_KEY_SIGN, "A", NULL, NULL, 0),
			 KW_E_DENIED);
	/* B's principal of the same name kept its verdict and roles. */
	assert_int_equal(afx_check(f, tb, &c), KW_OK);
	assert_int_equal(c.roles, KW_ROLE_CRYPTO_USER);

	/* Deleting the principal kills its tokens at once. */
	assert_int_equal(kw_principal_delete(f->a, "A", "svc"), KW_OK);
	assert_int_equal(afx_check(f, ta, NULL), KW_E_UNAUTHENTICATED);
	assert_int_equal(afx_check(f, tb, NULL), KW_OK);
	/* Re-creating the name does not revive the old tokens. */
	afx_principal(f, "A", "svc", KW_ROLE_CRYPTO_USER, NULL);
	assert_int_equal(afx_check(f, ta, NULL), KW_E_UNAUTHENTICATED);
	kw_secret_free(ta);
	kw_secret_free(tb);
}

/* Another node (a second kw_auth on the same store) revokes: this node
 * answers from its cache until the entry's age reaches token_cache_ttl_s,
 * then reads the store again. */
static void test_cache_ttl_other_node(void **state)
{
	afx *f = *state;
	kw_secret_free(afx_bootstrap(f));
	afx_principal(f, "A", "svc", KW_ROLE_CRYPTO_USER, NULL);
	char id[KW_TOKEN_ID_LEN + 1];
	kw_secret *tok = app_token(f, "A", "svc", 3600, id);
	kw_auth *other = NULL;
	assert_int_equal(kw_auth_open(f->b, f->store, &f->cfg, &other), KW_OK);

	assert_int_equal(afx_check(f, tok, NULL), KW_OK);
	assert_int_equal(kw_auth_token_revoke(other, id), KW_OK);
	f->now = AFX_T0 + 29;
	assert_int_equal(afx_check(f, tok, NULL), KW_OK); /* cached */
	f->now = AFX_T0 + 30;
	assert_int_equal(afx_check(f, tok, NULL), KW_E_EXPIRED);
	/* The other node itself saw it at once. */
	kw_caller c;
	assert_int_equal(kw_auth_token_check(other, (const char *)tok->data,
					     tok->len, NULL, &c),
			 KW_E_EXPIRED);
	kw_auth_free(other);
	kw_secret_free(tok);
}

static void test_malformed_tokens(void **state)
{
	afx *f = *state;
	kw_secret *root = afx_bootstrap(f);
	char buf[64];
	kw_caller c;
	memset(&c, 0x5a, sizeof(c));
	const kw_caller before = c;

	assert_int_equal(kw_auth_token_check(f->a, "", 0, "x", &c),
			 KW_E_UNAUTHENTICATED);
	assert_int_equal(kw_auth_token_check(f->a, NULL, 0, "x", &c),
			 KW_E_UNAUTHENTICATED);
	/* Wrong prefix. */
	memcpy(buf, root->data, root->len);
	buf[0] = 'K';
	assert_int_equal(kw_auth_token_check(f->a, buf, root->len, "x", &c),
			 KW_E_UNAUTHENTICATED);
	/* A character outside base64url. */
	memcpy(buf, root->data, root->len);
	buf[10] = '+';
	assert_int_equal(kw_auth_token_check(f->a, buf, root->len, "x", &c),
			 KW_E_UNAUTHENTICATED);
	/* Non-canonical last character (trailing bits set). */
	memcpy(buf, root->data, root->len);
	buf[46] = buf[46] == 'A' ? 'B' : (buf[46] == 'B' ? 'C' : 'B');
	assert_int_equal(kw_auth_token_check(f->a, buf, root->len, "x", &c),
			 KW_E_UNAUTHENTICATED);
	/* One character short, one too many. */
	assert_int_equal(kw_auth_token_check(f->a, (const char *)root->data,
					     root->len - 1, "x", &c),
			 KW_E_UNAUTHENTICATED);
	memcpy(buf, root->data, root->len);
	buf[47] = 'A';
	assert_int_equal(kw_auth_token_check(f->a, buf, 48, "x", &c),
			 KW_E_UNAUTHENTICATED);
	/* Well-formed but never issued. */
	memcpy(buf, "kwt_", 4);
	memset(buf + 4, 'A', 43);
	assert_int_equal(kw_auth_token_check(f->a, buf, 47, "x", &c),
			 KW_E_UNAUTHENTICATED);
	/* 10 KB. */
	char *big = malloc(10240);
	assert_non_null(big);
	memcpy(big, "kwt_", 4);
	memset(big + 4, 'A', 10236);
	assert_int_equal(kw_auth_token_check(f->a, big, 10240, "x", &c),
			 KW_E_UNAUTHENTICATED);
	free(big);
	/* Nothing was written to the output. */
	assert_memory_equal(&c, &before, sizeof(c));

	/* Bad arguments. */
	char longsrc[KW_SOURCE_MAX + 2];
	memset(longsrc, 's', sizeof(longsrc) - 1);
	longsrc[sizeof(longsrc) - 1] = '\0';
	assert_int_equal(kw_auth_token_check(f->a, (const char *)root->data,
					     root->len, longsrc, &c),
			 KW_E_INVALID);
	assert_int_equal(kw_auth_token_check(f->a, (const char *)root->data,
					     root->len, "x", NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_auth_token_check(NULL, (const char *)root->data,
					     root->len, "x", &c),
			 KW_E_INVALID);
	/* The real one still works, source copied in. */
	assert_int_equal(kw_auth_token_check(f->a, (const char *)root->data,
					     root->len, "203.0.113.7", &c),
			 KW_OK);
	assert_string_equal(c.source, "203.0.113.7");
	kw_secret_free(root);
}

static void test_sealed(void **state)
{
	afx *f = *state;
	kw_secret *root = afx_bootstrap(f);
	kw_secret *pw = afx_secret("a good password");
	afx_principal(f, "A", "alice", KW_ROLE_CRYPTO_USER, "a good password");
	assert_int_equal(afx_check(f, root, NULL), KW_OK); /* cached */

	assert_int_equal(kw_barrier_seal(f->b), KW_OK);
	kw_caller c;
	kw_secret *tok = NULL;
	kw_principal_info pi;
	kw_partition_info pa;
	size_t n;
	assert_int_equal(afx_check(f, root, &c), KW_E_SEALED);
	assert_int_equal(
		kw_auth_login(f->a, "A", "alice", pw, "x", &tok, &c, NULL),
		KW_E_SEALED);
	assert_int_equal(kw_partition_create(f->a, "B", NULL), KW_E_SEALED);
	assert_int_equal(kw_partition_list(f->a, &pa, 1, &n), KW_E_SEALED);
	assert_int_equal(kw_principal_get(f->a, "A", "alice", &pi),
			 KW_E_SEALED);
	assert_int_equal(kw_principal_create(f->a, "A", "bob", KW_PRINCIPAL_APP,
					     0, NULL, NULL),
			 KW_E_SEALED);
	assert_int_equal(kw_auth_token_create(f->a, "A", "alice", 60, NULL,
					      &tok, NULL, NULL),
			 KW_E_SEALED);
	assert_int_equal(
		kw_auth_logout(f->a, (const char *)root->data, root->len),
		KW_E_SEALED);
	assert_null(tok);

	/* What the daemon does on seal, then unseal: all works again. */
	kw_auth_cache_flush(f->a);
	kw_barrier_status st;
	assert_int_equal(kw_barrier_unseal(f->b,
					   (const char *)f->shares[0]->data,
					   f->shares[0]->len, &st),
			 KW_OK);
	assert_int_equal(afx_check(f, root, &c), KW_OK);
	assert_string_equal(c.principal, "root");
	assert_int_equal(
		kw_auth_login(f->a, "A", "alice", pw, "x", &tok, &c, NULL),
		KW_OK);
	kw_secret_free(tok);
	kw_secret_free(pw);
	kw_secret_free(root);
}

static void test_bad_arguments(void **state)
{
	afx *f = *state;
	kw_auth *a = NULL;
	kw_auth_config cfg = {.scrypt_log2_n = 21};
	assert_int_equal(kw_auth_open(NULL, f->store, NULL, &a), KW_E_INVALID);
	assert_int_equal(kw_auth_open(f->b, NULL, NULL, &a), KW_E_INVALID);
	assert_int_equal(kw_auth_open(f->b, f->store, NULL, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_auth_open(f->b, f->store, &cfg, &a), KW_E_INVALID);
	cfg.scrypt_log2_n = 4;
	cfg.source_rate_per_min = 601;
	assert_int_equal(kw_auth_open(f->b, f->store, &cfg, &a), KW_E_INVALID);
	assert_null(a);
	kw_auth_free(NULL);
	kw_auth_cache_flush(NULL);

	kw_principal_info pi;
	size_t n;
	kw_token_info ti;
	assert_int_equal(kw_partition_create(NULL, "x", NULL), KW_E_INVALID);
	assert_int_equal(kw_partition_list(f->a, NULL, 1, &n), KW_E_INVALID);
	assert_int_equal(kw_partition_list(f->a, NULL, 0, NULL), KW_E_INVALID);
	assert_int_equal(kw_principal_get(f->a, NULL, "x", &pi), KW_E_INVALID);
	assert_int_equal(kw_principal_get(f->a, "A", NULL, &pi), KW_E_INVALID);
	assert_int_equal(kw_principal_get(f->a, "A", "x", NULL), KW_E_INVALID);
	assert_int_equal(kw_principal_set_roles(NULL, "A", "x", 0, NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_set_password(f->a, "A", "x", NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_principal_delete(f->a, "*", "x"), KW_E_INVALID);
	assert_int_equal(kw_auth_token_get(f->a, "t-00", &ti), KW_E_INVALID);
	assert_int_equal(kw_auth_token_get(f->a, "t-0000000000000000", NULL),
			 KW_E_INVALID);
	assert_int_equal(kw_auth_token_list(f->a, "A", &ti, 0, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_auth_token_list(f->a, "A b", &ti, 1, &n),
			 KW_E_INVALID);
	assert_int_equal(kw_auth_token_purge(NULL, &n), KW_E_INVALID);
	assert_int_equal(kw_auth_logout(NULL, "kwt_", 4), KW_E_INVALID);
	assert_int_equal(kw_auth_token_create(f->a, "A", "x", 60, NULL, NULL,
					      NULL, NULL),
			 KW_E_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		AFX_BOTH(test_bootstrap),
		AFX_MEM(test_partitions),
		AFX_BOTH(test_principals),
		AFX_MEM(test_principal_list_pages),
		AFX_BOTH(test_tokens),
		AFX_MEM(test_changes_reach_cache),
		AFX_MEM(test_cache_ttl_other_node),
		AFX_MEM(test_malformed_tokens),
		AFX_MEM(test_sealed),
		AFX_MEM(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
