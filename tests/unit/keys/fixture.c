/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "fixture.h"
#include "keys/internal.h"
#include "util/codec.h"

static kw_secret *rsa_material[KW_KEY_TYPE_COUNT_];

/* A test-only RSA-2048 key (PKCS#8 DER, generated for these tests with
 * `openssl genpkey`), so that most tests need no RSA generation: that
 * takes seconds under valgrind. */
static const char rsa2048_pkcs8_hex[] =
	"308204bc020100300d06092a864886f70d0101010500048204a6308204a20201"
	"000282010100bfdeb038da4041b08d968275111a2cdc28d0e2d29233b92fc961"
	"f51e7235a510e94157bcb41419a6946c66f24811acb57aef09598eceecf4a810"
	"aba741ab9c39b2b66e47b21c378f20659a0094769f3a0e218fce016c6a52396d"
	"dca90208d6992827afc5f18d3c3e284c3493036c1ccf07c2c36637cc67b1a7e2"
	"3ae63d3415fe38d22224c3bd09a45ee43683b4cef836632a8e2f7c94c0a5926a"
	"2a5bceb078999185fe82d854f1fd54a7eff4b5d20118a40dfc756ef049926289"
	"e561fc3592ba8bc57185ca1be1f66d5fae9c22d8dd8973bd5f06a5e0f58102e8"
	"a0e11cc5d7abdb1bfac75c1f8e032bf810acd232f073100d8bcc2f8e834015f2"
	"465a6d02e26b02030100010282010003e6441dd2cb0cc00f8fb823262c38a02e"
	"662e31830e29f2114b8a89115f7cbc644e8c0de2b261374cfbb5e9773647dbce"
	"cf86fc49247478f5905b64bd53a8d2c726fde83ac92f06545f2c4079c3f73108"
	"40d2ebc484a3805186d03ddf50368f6edb364bd1dd1e3f98edbc015c399cc646"
	"d4613a6036b757aed14cf57b109f35fe31eaacd99ef7112300f20244114cf122"
	"36aa9e652ff2e83b3dfa0c170608188ad164faabe503346c8ea966f5c010dcf8"
	"97d3df35ea16a5039924f836e0a588caeadce4bfde0e94200ec0f2dd541dbd82"
	"fbb44892f5949e93c9abe32a132685054b4c1bd331eaa4a0bffe0d50da2ec8a8"
	"c6ae4c40073223ef816646a83d1fb902818100e128960dac8b1a1a11ab31afb3"
	"ae42c66f0f9db3272c584dd02874d2357633b822a89a24b10e7904fe862e9557"
	"d9c5922483621c613a9f80cb18f50634b1793244274dcd171c2154c6ef7b6b88"
	"802688bd807937ce5532e2e95b41b9fdd5ae13e3fd815593fc452f86dee5c85d"
	"1a7652d8531c7a925e485eecdb74a5b688ee5302818100da26cd2177444134ac"
	"6e7572eafd992cd8852c44f97b0de0c21965f42baea24ec78e5735f456c2283a"
	"b7566eb3fee26409e92ecdf3cd1cb249d0b1e8efe4e3b4e3e0eef39c9fa175c2"
	"756e4cfc0d51015ceb5d3d2bef50c312cf385135941f860a834a994e55235f05"
	"73f209bb09106f77a7a6299b12eb4b47c6da3cbbfc4889028180165e80e1e4e5"
	"80f75c100504aeb63e5e168497a747da08ffda115ae1d37be5d18267fbc06f72"
	"bfa53660405a87fad3bd1c318d5ac2721f8c9d20e29ef63737923de125c29d6c"
	"2707942810bbf338c01b4fb066da9b7e2d6b0bc20c3a9d3450721b71811aee73"
	"deafc51779feb8f93b0e29fdbfd3919d1a558bf495972d16578f0281806371ba"
	"a2ddce7477017f9cf494e0a3d9c89df48f40b6f29d997da0774d0e5f98cfe938"
	"22354ef355096717f48102d8cac7a5cf9b3cdf2c8cad8f7ffa729901a02d1d15"
	"7061de76e8ca8b638b9e7ea7859a890448e565438899637305ba09dad0ecabea"
	"eeb5c1a3cd261c33a271eb70dd8f4b1238f72309b59873b27a6b2b5719028180"
	"3a8bd2ac5d5935abaa797febf612dca2141a4da0dc82d18bb67992b96abb5cb5"
	"52609abdc1b28dfd338107f215fdf0eed9414a705c51573013181afe314fe386"
	"84f5072a8ea2149a79dda263223f8764c2232961c1f1754e7d5906e3dc920716"
	"5f3bf0136756f633b9348498bf03232f10477e4819be76350379b61a9a55e6c0";

kfx *kfx_new(const char *backend, bool fault_injection, size_t cache_max)
{
	kfx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->backend = backend;
	if (fault_injection)
		assert_int_equal(kw_store_fault_new(kw_store_backend(backend),
						    &f->fault),
				 KW_OK);
	f->cache_max = cache_max;
	if (strcmp(f->backend, "sqlite") == 0) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/kwkeys-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->path, sizeof(f->path), "%s/keys.db", f->dir);
	}
	kfx_open(f);
	return f;
}

int kfx_setup(void **state)
{
	*state = kfx_new(*state, false, 64);
	return 0;
}

static void unlink_suffix(const kfx *f, const char *suffix)
{
	char p[160];
	snprintf(p, sizeof(p), "%s%s", f->path, suffix);
	unlink(p);
}

int kfx_teardown(void **state)
{
	kfx *f = *state;
	kfx_close(f);
	kw_barrier_shares_free(f->shares, 1);
	kw_store_fault_free(f->fault);
	if (f->dir[0] != '\0') {
		unlink_suffix(f, "");
		unlink_suffix(f, "-wal");
		unlink_suffix(f, "-shm");
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

void kfx_open(kfx *f)
{
	kw_store_config cfg = {.backend = f->backend,
			       .path = f->dir[0] ? f->path : NULL};
	if (f->fault != NULL)
		assert_int_equal(kw_store_fault_open(f->fault, &cfg, &f->store),
				 KW_OK);
	else
		assert_int_equal(kw_store_open(&cfg, &f->store), KW_OK);
	assert_int_equal(kw_barrier_open(f->store, &f->b), KW_OK);
	if (f->shares == NULL)
		assert_int_equal(kw_barrier_init(f->b, 1, 1, &f->shares),
				 KW_OK);
	else
		kfx_unseal(f);
	assert_int_equal(kw_keys_open(f->b, f->store, f->cache_max, &f->ks),
			 KW_OK);
}

void kfx_close(kfx *f)
{
	kw_keys_free(f->ks);
	kw_barrier_free(f->b);
	kw_store_close(f->store);
	f->ks = NULL;
	f->b = NULL;
	f->store = NULL;
}

void kfx_unseal(kfx *f)
{
	kw_barrier_status st;
	assert_int_equal(kw_barrier_unseal(f->b,
					   (const char *)f->shares[0]->data,
					   f->shares[0]->len, &st),
			 KW_OK);
	assert_false(st.sealed);
}

kw_key_info *kfx_create(kfx *f, const char *name, kw_key_type t,
			uint32_t usages)
{
	kw_key_spec spec = {.partition = KFX_PART,
			    .name = name,
			    .type = t,
			    .usages = usages};
	kw_key_info *k = NULL;
	assert_int_equal(kw_key_create(f->ks, &spec, &k), KW_OK);
	assert_non_null(k);
	return k;
}

kw_key_info *kfx_import_rsa(kfx *f, const char *name, kw_key_type t,
			    uint32_t usages)
{
	assert_int_equal(kw_key_type_class(t), KW_CLASS_RSA);
	if (rsa_material[t] == NULL && t == KW_KEY_RSA_2048) {
		size_t n = sizeof(rsa2048_pkcs8_hex) - 1;
		assert_int_equal(kw_secret_new(n / 2, &rsa_material[t]), KW_OK);
		assert_int_equal(kw_hex_decode(rsa2048_pkcs8_hex, n,
					       rsa_material[t]->data),
				 KW_OK);
	}
	if (rsa_material[t] == NULL) {
		kw_ckey *k = NULL;
		assert_int_equal(kw_ckey_generate(t, &k), KW_OK);
		assert_int_equal(kw_ckey_private_export(k, &rsa_material[t]),
				 KW_OK);
		kw_ckey_free(k);
	}
	kw_key_spec spec = {.partition = KFX_PART,
			    .name = name,
			    .type = t,
			    .usages = usages};
	kw_key_info *k = NULL;
	assert_int_equal(kw_key_import(f->ks, &spec, rsa_material[t], &k),
			 KW_OK);
	return k;
}

void kfx_rsa_keep(kw_key_type t, kw_secret *m)
{
	if (rsa_material[t] == NULL)
		rsa_material[t] = m;
	else
		kw_secret_free(m);
}

bool kfx_under_valgrind(void)
{
	return getenv("KW_UNDER_VALGRIND") != NULL;
}

bool kfx_rsa_have(kw_key_type t)
{
	return rsa_material[t] != NULL;
}

kw_key_rec *kfx_load(kfx *f, const char *name)
{
	kw_store_txn *t = NULL;
	kw_key_rec *r = NULL;
	assert_int_equal(kw_store_txn_begin(f->store, false, &t), KW_OK);
	assert_int_equal(kw_keys_load(f->ks, t, KFX_PART, name, true, &r),
			 KW_OK);
	kw_store_txn_abort(t);
	return r;
}

void kfx_rsa_free(void)
{
	for (int i = 0; i < KW_KEY_TYPE_COUNT_; i++) {
		kw_secret_free(rsa_material[i]);
		rsa_material[i] = NULL;
	}
}

uint8_t *kfx_file_read(const char *path, size_t *out_len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n = 0;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	assert_int_equal(ferror(fp), 0);
	fclose(fp);
	*out_len = len;
	return buf;
}
