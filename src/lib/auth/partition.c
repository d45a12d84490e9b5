/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "auth"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "keywarden/log.h"

/*
 * Partitions (record id = the name; no group, no lookup) and the bootstrap
 * of a fresh instance.
 */

#define DEFAULT_PARTITION "default"
#define ROOT_PRINCIPAL	  "root"

static kw_rc partition_load(kw_auth *a, kw_store_txn *t, const char *name,
			    kw_partition_info *out)
{
	kw_secret *data = NULL;
	uint64_t version = 0;
	kw_partition_info p;
	kw_rc rc = kw_barrier_rec_get(a->b, t, KW_REC_PARTITION, name, &data,
				      &version);
	if (rc != KW_OK)
		goto out;
	rc = kw_auth_partition_decode(data->data, data->len, &p);
	if (rc != KW_OK)
		goto out;
	if (strcmp(p.name, name) != 0) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	p.record_version = version;
	*out = p;
out:
	kw_secret_free(data);
	return rc;
}

static kw_rc partition_put_new(kw_auth *a, kw_store_txn *t, const char *name,
			       kw_partition_info *out)
{
	kw_partition_info p = {0};
	kw_secret *data = NULL;
	snprintf(p.name, sizeof(p.name), "%s", name);
	p.created = kw_auth_now(a);
	kw_rc rc = kw_auth_partition_encode(&p, &data);
	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_rec_put(a->b, t, KW_REC_PARTITION, name, NULL, NULL,
				data->data, data->len, 0, &p.record_version);
	if (rc != KW_OK)
		goto out;
	if (out != NULL)
		*out = p;
out:
	kw_secret_free(data);
	return rc;
}

/* ---- bootstrap --------------------------------------------------------- */

typedef struct bootstrap_arg {
	char pw_hash[KW_PASSWORD_HASH_MAX + 1]; /* "" = no password */
	kw_secret *token;			/* out */
} bootstrap_arg;

static kw_rc bootstrap_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	bootstrap_arg *arg = argp;
	kw_auth_principal root;
	kw_auth_token tk;
	memset(&root, 0, sizeof(root));

	kw_secret_free(arg->token); /* from a lost attempt */
	arg->token = NULL;
	kw_rc rc = partition_put_new(a, t, DEFAULT_PARTITION, NULL);
	if (rc != KW_OK)
		goto out;
	snprintf(root.info.name, sizeof(root.info.name), ROOT_PRINCIPAL);
	root.info.kind = KW_PRINCIPAL_USER;
	root.info.roles = KW_ROLE_ALL_;
	root.info.system = true;
	root.info.created = kw_auth_now(a);
	memcpy(root.pw_hash, arg->pw_hash, sizeof(root.pw_hash));
	rc = kw_auth_principal_store(a, t, &root);
	if (rc != KW_OK)
		goto out;
	rc = kw_auth_token_issue(a, t, &root.info, a->cfg.app_token_max_ttl_s,
				 ROOT_PRINCIPAL, false, &arg->token, &tk);
out:
	kw_wipe(&root, sizeof(root));
	return rc;
}

kw_rc kw_auth_bootstrap(kw_auth *a, const kw_secret *password,
			kw_secret **out_token)
{
	kw_rc rc = KW_E_INVALID;
	bootstrap_arg arg;
	memset(&arg, 0, sizeof(arg));

	if (a == NULL || out_token == NULL ||
	    (password != NULL && !kw_auth_password_ok(password)))
		goto out;
	rc = password != NULL ? kw_auth_password_hash(a, password, arg.pw_hash)
			      : kw_auth_unsealed(a);
	if (rc != KW_OK)
		goto out;
	/* The partition "default" exists exactly when bootstrap ran: its
	 * insert fails with KW_E_EXISTS the second time. */
	rc = kw_auth_write(a, bootstrap_txn, &arg);
	if (rc != KW_OK)
		goto out;
	KW_LOG_INFO("bootstrapped: partition \"%s\", system principal \"%s\"",
		    DEFAULT_PARTITION, ROOT_PRINCIPAL);
	*out_token = arg.token;
	arg.token = NULL;
out:
	kw_secret_free(arg.token);
	kw_wipe(&arg, sizeof(arg));
	return rc;
}

/* ---- partitions -------------------------------------------------------- */

typedef struct part_arg {
	const char *name;
	kw_partition_info *info;
	size_t max;
	size_t n;
	bool has_keys;
} part_arg;

static kw_rc part_create_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	part_arg *arg = argp;
	return partition_put_new(a, t, arg->name, arg->info);
}

kw_rc kw_partition_create(kw_auth *a, const char *name, kw_partition_info *out)
{
	kw_partition_info p;
	part_arg arg = {.name = name, .info = &p};
	if (a == NULL || !kw_auth_name_valid(name))
		return KW_E_INVALID;
	kw_rc rc = kw_auth_write(a, part_create_txn, &arg);
	if (rc == KW_OK && out != NULL)
		*out = p;
	return rc;
}

static kw_rc part_get_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	part_arg *arg = argp;
	return partition_load(a, t, arg->name, arg->info);
}

kw_rc kw_partition_get(kw_auth *a, const char *name, kw_partition_info *out)
{
	kw_partition_info p;
	part_arg arg = {.name = name, .info = &p};
	if (a == NULL || !kw_auth_name_valid(name) || out == NULL)
		return KW_E_INVALID;
	kw_rc rc = kw_auth_read(a, part_get_txn, &arg);
	if (rc == KW_OK)
		*out = p;
	return rc;
}

static kw_rc part_list_cb(const char *id, uint64_t version, const uint8_t *data,
			  size_t len, void *argp)
{
	part_arg *arg = argp;
	kw_partition_info p;
	if (arg->n >= arg->max)
		return KW_E_INTERNAL; /* the limit passed to list() */
	kw_rc rc = kw_auth_partition_decode(data, len, &p);
	if (rc != KW_OK)
		return rc;
	if (strcmp(p.name, id) != 0)
		return KW_E_INTEGRITY;
	p.record_version = version;
	arg->info[arg->n++] = p;
	return KW_OK;
}

static kw_rc part_list_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	part_arg *arg = argp;
	arg->n = 0;
	return kw_barrier_rec_list(a->b, t, KW_REC_PARTITION, NULL, NULL,
				   arg->max, part_list_cb, arg);
}

kw_rc kw_partition_list(kw_auth *a, kw_partition_info *out, size_t max,
			size_t *out_n)
{
	if (a == NULL || out_n == NULL || (out == NULL && max > 0))
		return KW_E_INVALID;
	if (max == 0) {
		kw_rc rc = kw_auth_unsealed(a);
		if (rc == KW_OK)
			*out_n = 0;
		return rc;
	}
	part_arg arg = {.info = out, .max = max};
	kw_rc rc = kw_auth_read(a, part_list_txn, &arg);
	if (rc == KW_OK)
		*out_n = arg.n;
	return rc;
}

static kw_rc part_delete_txn(kw_auth *a, kw_store_txn *t, void *argp)
{
	part_arg *arg = argp;
	kw_partition_info p;
	uint64_t principals = 0;
	kw_rc rc = partition_load(a, t, arg->name, &p);
	if (rc != KW_OK)
		return rc;
	if (arg->has_keys)
		return KW_E_STATE;
	rc = kw_barrier_rec_count(a->b, t, KW_REC_PRINCIPAL, arg->name,
				  &principals);
	if (rc != KW_OK)
		return rc;
	if (principals > 0)
		return KW_E_STATE;
	return kw_barrier_rec_delete(a->b, t, KW_REC_PARTITION, arg->name,
				     p.record_version);
}

kw_rc kw_partition_delete(kw_auth *a, const char *name, bool has_keys)
{
	if (a == NULL || !kw_auth_name_valid(name))
		return KW_E_INVALID;
	if (strcmp(name, DEFAULT_PARTITION) == 0)
		return KW_E_STATE;
	part_arg arg = {.name = name, .has_keys = has_keys};
	return kw_auth_write(a, part_delete_txn, &arg);
}
