/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "auth"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "keywarden/log.h"
#include "util/codec.h"

/*
 * Principals. Record id "p-" + 32 hex of HMAC(principal-id key, ns "/"
 * name): derived, so a principal is read by id without a lookup, and
 * keyed, so the store never sees names. group = namespace (the partition,
 * or "*" for system principals), lookup = namespace "/" name.
 */

#define LIST_INITIAL 16

kw_rc kw_auth_principal_id(kw_auth *a, const char *partition, const char *name,
			   char out[static KW_AUTH_PRINCIPAL_ID_LEN + 1])
{
	char buf[2 * KW_NAME_MAX + 2];
	uint8_t mac[KW_AUTH_HASH_LEN];
	int n = snprintf(buf, sizeof(buf), "%s/%s", kw_auth_ns(partition),
			 name);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return KW_E_INVALID;
	kw_rc rc = kw_auth_hmac(a, KW_AUTH_KEY_ID, buf, (size_t)n, mac);
	if (rc != KW_OK)
		return rc;
	out[0] = 'p';
	out[1] = '-';
	kw_hex_encode(mac, (KW_AUTH_PRINCIPAL_ID_LEN - 2) / 2, out + 2);
	return KW_OK;
}

kw_rc kw_auth_principal_load(kw_auth *a, kw_store_txn *t, const char *partition,
			     const char *name, kw_auth_principal *out)
{
	char id[KW_AUTH_PRINCIPAL_ID_LEN + 1];
	kw_secret *data = NULL;
	uint64_t version = 0;
	kw_auth_principal p;

	kw_rc rc = kw_auth_principal_id(a, partition, name, id);
	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_rec_get(a->b, t, KW_REC_PRINCIPAL, id, &data, &version);
	if (rc != KW_OK)
		goto out;
	rc = kw_auth_principal_decode(data->data, data->len, &p);
	if (rc != KW_OK)
		goto out;
	/* The record must be the one its id was derived from. */
	if (strcmp(p.info.name, name) != 0 ||
	    strcmp(p.info.partition, partition) != 0) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	p.info.record_version = version;
	p.info.locked = p.info.locked_until > kw_auth_now(a);
	*out = p;
out:
	kw_wipe(&p, sizeof(p));
	kw_secret_free(data);
	return rc;
}

kw_rc kw_auth_principal_store(kw_auth *a, kw_store_txn *t, kw_auth_principal *p)
{
	char id[KW_AUTH_PRINCIPAL_ID_LEN + 1];
	char lookup[2 * KW_NAME_MAX + 2];
	kw_secret *data = NULL;
	uint64_t version = 0;
	const char *ns = kw_auth_ns(p->info.partition);

	kw_rc rc = kw_auth_principal_id(a, p->info.partition, p->info.name, id);
	if (rc != KW_OK)
		goto out;
	snprintf(lookup, sizeof(lookup), "%s/%s", ns, p->info.name);
	rc = kw_auth_principal_encode(p, &data);
	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_rec_put(a->b, t, KW_REC_PRINCIPAL, id, ns, lookup,
				data->data, data->len, p->info.record_version,
				&version);
	if (rc != KW_OK)
		goto out;
	p->info.record_version = version;
	p->info.locked = p->info.locked_until > kw_auth_now(a);
out:
	kw_secret_free(data);
	return rc;
}

/* ---- create / get ------------------------------------------------------ */

typedef struct pr_arg {
	const char *partition;
	const char *name;
	kw_auth_principal p; /* in: new record; out: the stored one */
	uint32_t roles;
	char pw_hash[KW_PASSWORD_HASH_MAX + 1]; /* set_password */
} pr_arg;

static kw_rc pr_create_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	pr_arg *arg = argp;
	kw_rc rc = kw_auth_partition_exists(a, t, arg->partition);
	if (rc != KW_OK)
		return rc;
	arg->p.info.record_version = 0;
	return kw_auth_principal_store(a, t, &arg->p);
}

kw_rc kw_principal_create(kw_auth *a, const char *partition, const char *name,
			  kw_principal_kind kind, uint32_t roles,
			  const kw_secret *password, kw_principal_info *out)
{
	kw_rc rc = KW_E_INVALID;
	pr_arg arg;
	memset(&arg, 0, sizeof(arg));

	if (a == NULL || !kw_auth_partition_arg_valid(partition) ||
	    !kw_auth_name_valid(name) || kind < KW_PRINCIPAL_USER ||
	    kind > KW_PRINCIPAL_AGENT || (roles & ~(uint32_t)KW_ROLE_ALL_))
		goto out;
	/* Users log in with a password; apps and agents never do. */
	if (kind == KW_PRINCIPAL_USER ? !kw_auth_password_ok(password)
				      : password != NULL)
		goto out;
	rc = password != NULL
		     ? kw_auth_password_hash(a, password, arg.p.pw_hash)
		     : kw_auth_unsealed(a);
	if (rc != KW_OK)
		goto out;
	arg.partition = partition;
	snprintf(arg.p.info.name, sizeof(arg.p.info.name), "%s", name);
	snprintf(arg.p.info.partition, sizeof(arg.p.info.partition), "%s",
		 partition);
	arg.p.info.kind = kind;
	arg.p.info.roles = roles;
	arg.p.info.system = partition[0] == '\0';
	arg.p.info.created = kw_auth_now(a);
	rc = kw_auth_write(a, pr_create_txn, &arg);
	if (rc != KW_OK)
		goto out;
	if (out != NULL)
		*out = arg.p.info;
out:
	kw_wipe(&arg, sizeof(arg));
	return rc;
}

static kw_rc pr_get_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	pr_arg *arg = argp;
	return kw_auth_principal_load(a, t, arg->partition, arg->name, &arg->p);
}

kw_rc kw_principal_get(kw_auth *a, const char *partition, const char *name,
		       kw_principal_info *out)
{
	pr_arg arg;
	memset(&arg, 0, sizeof(arg));
	arg.partition = partition;
	arg.name = name;
	if (a == NULL || !kw_auth_partition_arg_valid(partition) ||
	    !kw_auth_name_valid(name) || out == NULL)
		return KW_E_INVALID;
	kw_rc rc = kw_auth_read(a, pr_get_txn, &arg);
	if (rc == KW_OK)
		*out = arg.p.info;
	kw_wipe(&arg, sizeof(arg));
	return rc;
}

/* ---- list -------------------------------------------------------------- */

typedef struct pr_list {
	const char *partition;
	int64_t now;
	kw_principal_info *all;
	size_t n;
	size_t cap;
} pr_list;

static kw_rc pr_list_cb(const char *id, uint64_t version, const uint8_t *data,
			size_t len, void *argp)
{
	pr_list *l = argp;
	kw_auth_principal p;
	(void)id;
	kw_rc rc = kw_auth_principal_decode(data, len, &p);
	if (rc != KW_OK)
		goto out;
	if (strcmp(p.info.partition, l->partition) != 0) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap == 0 ? LIST_INITIAL : 2 * l->cap;
		kw_principal_info *na = realloc(l->all, ncap * sizeof(*na));
		if (na == NULL) {
			rc = KW_E_NOMEM;
			goto out;
		}
		l->all = na;
		l->cap = ncap;
	}
	p.info.record_version = version;
	p.info.locked = p.info.locked_until > l->now;
	l->all[l->n++] = p.info;
out:
	kw_wipe(&p, sizeof(p));
	return rc;
}

static kw_rc pr_list_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	pr_list *l = argp;
	l->n = 0;
	kw_rc rc = kw_auth_partition_exists(a, t, l->partition);
	if (rc != KW_OK)
		return rc;
	return kw_barrier_rec_list(a->b, t, KW_REC_PRINCIPAL,
				   kw_auth_ns(l->partition), NULL, 0,
				   pr_list_cb, l);
}

static int pr_cmp(const void *x, const void *y)
{
	const kw_principal_info *a = x, *b = y;
	return strcmp(a->name, b->name);
}

/* Record ids are keyed hashes, so the store cannot order by name: the
 * partition's principals are read, sorted, and one page is cut out. A
 * partition has tens to hundreds of principals, not millions. */
kw_rc kw_principal_list(kw_auth *a, const char *partition, const char *cursor,
			kw_principal_info *out, size_t max, size_t *out_n)
{
	pr_list l = {.partition = partition};
	if (a == NULL || !kw_auth_partition_arg_valid(partition) ||
	    (cursor != NULL && !kw_auth_name_valid(cursor)) || out_n == NULL ||
	    (out == NULL && max > 0))
		return KW_E_INVALID;
	l.now = kw_auth_now(a);
	kw_rc rc = kw_auth_read(a, pr_list_txn, &l);
	if (rc != KW_OK)
		goto out;
	if (l.n > 0)
		qsort(l.all, l.n, sizeof(*l.all), pr_cmp);
	size_t k = 0;
	for (size_t i = 0; i < l.n && k < max; i++) {
		if (cursor == NULL || strcmp(l.all[i].name, cursor) > 0)
			out[k++] = l.all[i];
	}
	*out_n = k;
out:
	free(l.all);
	return rc;
}

/* ---- changes ----------------------------------------------------------- */

static kw_rc pr_roles_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	pr_arg *arg = argp;
	kw_rc rc = kw_auth_principal_load(a, t, arg->partition, arg->name,
					  &arg->p);
	if (rc != KW_OK)
		return rc;
	arg->p.info.roles = arg->roles;
	return kw_auth_principal_store(a, t, &arg->p);
}

kw_rc kw_principal_set_roles(kw_auth *a, const char *partition,
			     const char *name, uint32_t roles,
			     kw_principal_info *out)
{
	pr_arg arg;
	memset(&arg, 0, sizeof(arg));
	arg.partition = partition;
	arg.name = name;
	arg.roles = roles;
	if (a == NULL || !kw_auth_partition_arg_valid(partition) ||
	    !kw_auth_name_valid(name) || (roles & ~(uint32_t)KW_ROLE_ALL_))
		return KW_E_INVALID;
	kw_rc rc = kw_auth_write(a, pr_roles_txn, &arg);
	if (rc == KW_OK) {
		/* After the commit: every cached verdict of this principal
		 * carries the old roles. */
		kw_auth_cache_drop_principal(a->cache, partition, name);
		if (out != NULL)
			*out = arg.p.info;
	}
	kw_wipe(&arg, sizeof(arg));
	return rc;
}

static kw_rc pr_password_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	pr_arg *arg = argp;
	kw_rc rc = kw_auth_principal_load(a, t, arg->partition, arg->name,
					  &arg->p);
	if (rc != KW_OK)
		return rc;
	if (arg->p.info.kind != KW_PRINCIPAL_USER)
		return KW_E_INVALID;
	memcpy(arg->p.pw_hash, arg->pw_hash, sizeof(arg->p.pw_hash));
	/* A new password set by an officer also lifts a lockout. */
	arg->p.failed = 0;
	arg->p.info.locked_until = 0;
	return kw_auth_principal_store(a, t, &arg->p);
}

kw_rc kw_principal_set_password(kw_auth *a, const char *partition,
				const char *name, const kw_secret *password)
{
	kw_rc rc = KW_E_INVALID;
	pr_arg arg;
	memset(&arg, 0, sizeof(arg));

	if (a == NULL || !kw_auth_partition_arg_valid(partition) ||
	    !kw_auth_name_valid(name) || !kw_auth_password_ok(password))
		goto out;
	rc = kw_auth_password_hash(a, password, arg.pw_hash);
	if (rc != KW_OK)
		goto out;
	arg.partition = partition;
	arg.name = name;
	rc = kw_auth_write(a, pr_password_txn, &arg);
out:
	kw_wipe(&arg, sizeof(arg));
	return rc;
}

static kw_rc pr_delete_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	pr_arg *arg = argp;
	char id[KW_AUTH_PRINCIPAL_ID_LEN + 1];
	kw_rc rc = kw_auth_principal_load(a, t, arg->partition, arg->name,
					  &arg->p);
	if (rc != KW_OK)
		return rc;
	rc = kw_auth_token_delete_all(a, t, arg->partition, arg->name);
	if (rc != KW_OK)
		return rc;
	rc = kw_auth_principal_id(a, arg->partition, arg->name, id);
	if (rc != KW_OK)
		return rc;
	return kw_barrier_rec_delete(a->b, t, KW_REC_PRINCIPAL, id,
				     arg->p.info.record_version);
}

kw_rc kw_principal_delete(kw_auth *a, const char *partition, const char *name)
{
	pr_arg arg;
	memset(&arg, 0, sizeof(arg));
	arg.partition = partition;
	arg.name = name;
	if (a == NULL || !kw_auth_partition_arg_valid(partition) ||
	    !kw_auth_name_valid(name))
		return KW_E_INVALID;
	kw_rc rc = kw_auth_write(a, pr_delete_txn, &arg);
	if (rc == KW_OK) {
		kw_auth_cache_drop_principal(a->cache, partition, name);
		KW_LOG_INFO("principal deleted with its tokens");
	}
	kw_wipe(&arg, sizeof(arg));
	return rc;
}
