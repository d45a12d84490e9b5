/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

const char *fx_backend = "mem";

int fx_init(fx *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/kw-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	f->cfg.backend = fx_backend;
	f->cfg.path = f->path;
	f->cfg.busy_timeout_ms = 2000;
	return 0;
}

int fx_fini(fx *f)
{
	kw_store_close(f->s);
	f->s = NULL;
	DIR *d = opendir(f->dir);
	if (d != NULL) {
		struct dirent *e;
		char p[512];
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	return rmdir(f->dir);
}

int fx_setup_closed(void **state)
{
	fx *f = malloc(sizeof(*f));
	if (f == NULL || fx_init(f) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int fx_setup(void **state)
{
	if (fx_setup_closed(state) != 0)
		return -1;
	fx *f = *state;
	return kw_store_open(&f->cfg, &f->s) == KW_OK ? 0 : -1;
}

int fx_teardown(void **state)
{
	fx *f = *state;
	int r = fx_fini(f);
	free(f);
	return r;
}

kw_rc fx_reopen(fx *f)
{
	kw_store_close(f->s);
	f->s = NULL;
	return kw_store_open(&f->cfg, &f->s);
}

void tag_fill(uint8_t tag[KW_STORE_TAG_LEN], uint8_t seed)
{
	memset(tag, seed, KW_STORE_TAG_LEN);
	tag[KW_STORE_TAG_LEN - 1] ^= 0x5a; /* not all bytes equal */
}

void rec_make(kw_store_rec *r, uint32_t type, const char *id, uint64_t version,
	      uint8_t group, uint8_t lookup, const char *text)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->version = version;
	r->has_group = group != 0;
	if (group != 0)
		tag_fill(r->group, group);
	r->has_lookup = lookup != 0;
	if (lookup != 0)
		tag_fill(r->lookup, lookup);
	r->data = (uint8_t *)text;
	r->data_len = text != NULL ? strlen(text) : 0;
}

kw_rc put_one(kw_store *s, uint32_t type, const char *id, uint64_t version,
	      uint8_t group, uint8_t lookup, const char *text)
{
	kw_store_txn *t = NULL;
	kw_store_rec r;
	rec_make(&r, type, id, version, group, lookup, text);
	kw_rc rc = kw_store_txn_begin(s, true, &t);
	if (rc != KW_OK)
		return rc;
	rc = kw_store_rec_put(t, &r, version - 1);
	if (rc != KW_OK) {
		kw_store_txn_abort(t);
		return rc;
	}
	return kw_store_txn_commit(t);
}

kw_rc get_one(kw_store *s, uint32_t type, const char *id, kw_store_rec *out)
{
	kw_store_txn *t = NULL;
	kw_rc rc = kw_store_txn_begin(s, false, &t);
	if (rc != KW_OK)
		return rc;
	rc = kw_store_rec_get(t, type, id, out);
	kw_rc crc = kw_store_txn_commit(t);
	return rc != KW_OK ? rc : crc;
}

void assert_rec(kw_store *s, uint32_t type, const char *id, uint64_t version,
		const char *text)
{
	kw_store_rec r;
	assert_int_equal(get_one(s, type, id, &r), KW_OK);
	assert_int_equal(r.type, type);
	assert_string_equal(r.id, id);
	assert_int_equal(r.version, version);
	assert_int_equal(r.data_len, strlen(text));
	if (r.data_len != 0)
		assert_memory_equal(r.data, text, r.data_len);
	else
		assert_null(r.data);
	kw_store_rec_clear(&r);
}

kw_rc id_list_cb(const kw_store_rec *rec, void *arg)
{
	id_list *l = arg;
	size_t used = strlen(l->ids);
	snprintf(l->ids + used, sizeof(l->ids) - used, "%s%s",
		 used != 0 ? "," : "", rec->id);
	l->n++;
	if (l->stop_after != 0 && l->n >= l->stop_after)
		return KW_E_LIMIT;
	return KW_OK;
}
