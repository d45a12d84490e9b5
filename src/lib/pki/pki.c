/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pki"

/* The handle, serials, signing through the keys module, and the record
 * plumbing every other file of the module uses. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "pki/internal.h"
#include "util/codec.h"

#define WRITE_RETRIES 5

kw_rc kw_pki_open(kw_barrier *b, kw_store *s, kw_keys *ks,
		  const kw_pki_config *cfg, kw_pki **out)
{
	kw_pki *p = NULL;

	if (b == NULL || s == NULL || ks == NULL || out == NULL)
		return KW_E_INVALID;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return KW_E_NOMEM;
	p->b = b;
	p->s = s;
	p->ks = ks;
	if (cfg != NULL) {
		p->now = cfg->now;
		p->now_arg = cfg->now_arg;
		if (cfg->crl_dir != NULL &&
		    (p->crl_dir = strdup(cfg->crl_dir)) == NULL) {
			free(p);
			return KW_E_NOMEM;
		}
	}
	pthread_mutex_init(&p->crl_lock, NULL);
	*out = p;
	return KW_OK;
}

void kw_pki_free(kw_pki *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->crl_lock);
	free(p->crl_dir);
	free(p);
}

int64_t kw_pki_now(const kw_pki *p)
{
	return p->now != NULL ? p->now(p->now_arg) : (int64_t)time(NULL);
}

kw_rc kw_pki_fail(char *err, size_t err_len, kw_rc rc, const char *fmt, ...)
{
	if (err != NULL && err_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---- serials ---------------------------------------------------------- */

kw_rc kw_pki_serial_new(uint8_t out[16])
{
	kw_rc rc = kw_random(out, 16);
	if (rc == KW_OK)
		out[0] = (uint8_t)((out[0] & 0x3f) | 0x40);
	return rc;
}

void kw_pki_serial_hex(const uint8_t *serial, size_t len, char *out)
{
	while (len > 1 && serial[0] == 0) {
		serial++;
		len--;
	}
	kw_hex_encode(serial, len, out);
}

kw_rc kw_pki_serial_norm(const char *in, char out[KW_CERT_SERIAL_MAX + 1])
{
	size_t n;

	if (in == NULL)
		return KW_E_INVALID;
	if (strncmp(in, "x-", 2) == 0)
		in += 2;
	while (in[0] == '0' && in[1] != '\0')
		in++;
	n = strlen(in);
	if (n == 0 || n > KW_CERT_SERIAL_MAX)
		return KW_E_INVALID;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)in[i]))
			return KW_E_INVALID;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[n] = '\0';
	/* the record ids carry an even number of digits (whole bytes) */
	if (n % 2 != 0) {
		if (n == KW_CERT_SERIAL_MAX)
			return KW_E_INVALID;
		memmove(out + 1, out, n + 1);
		out[0] = '0';
	}
	return KW_OK;
}

/* ---- signing through the keys module ---------------------------------------- */

kw_rc kw_pki_sign_cb(void *arg, kw_hash h, const uint8_t *msg, size_t len,
		     uint8_t **out_sig, size_t *out_len)
{
	const kw_pki_key_ref *ref = arg;
	kw_sign_params sp = {
		.scheme = KW_SIG_DEFAULT,
		.hash = h,
		.pss_salt_len = -1,
		.format = KW_SIG_FORMAT_DER,
	};
	uint32_t version = 0;

	return kw_key_sign(ref->p->ks, ref->partition, ref->key_id, 0, &sp, msg,
			   len, out_sig, out_len, &version);
}

kw_rc kw_pki_key_spki(kw_pki *p, const char *partition, const char *key,
		      uint8_t **out_spki, size_t *out_len,
		      kw_key_info **out_info)
{
	kw_key_info *k = NULL;
	char *pem = NULL;
	kw_rc rc = kw_key_get(p->ks, partition, key, &k);

	if (rc == KW_OK && !kw_key_type_is_asymmetric(k->type))
		rc = KW_E_UNSUPPORTED;
	if (rc == KW_OK)
		rc = kw_key_public_pem(p->ks, partition, k->id, 0, &pem);
	if (rc == KW_OK)
		rc = kw_spki_from_pem(pem, out_spki, out_len);
	if (rc == KW_OK && out_info != NULL) {
		*out_info = k;
		k = NULL;
	}
	free(pem);
	kw_key_info_free(k);
	return rc;
}

/* ---- records ---------------------------------------------------------------- */

void kw_pki_ca_group(const char *partition, char *out, size_t size)
{
	snprintf(out, size, "ca/%s", partition);
}

void kw_pki_ca_lookup(const char *partition, const char *name, char *out,
		      size_t size)
{
	snprintf(out, size, "ca/%s/%s", partition, name);
}

void kw_pki_cert_group(const char *partition, char *out, size_t size)
{
	snprintf(out, size, "cert/%s", partition);
}

kw_rc kw_pki_ca_load(kw_pki *p, kw_store_txn *t, const char *partition,
		     const char *name, bool by_id, kw_ca_rec **out)
{
	char lookup[3 * KW_NAME_MAX + 8], id[KW_STORE_ID_MAX + 1];
	kw_secret *data = NULL;
	uint64_t version = 0;
	kw_ca_rec *r = NULL;
	kw_rc rc;

	if (by_id) {
		rc = kw_barrier_rec_get(p->b, t, KW_REC_CA, name, &data,
					&version);
	} else {
		kw_pki_ca_lookup(partition, name, lookup, sizeof(lookup));
		rc = kw_barrier_rec_find(p->b, t, KW_REC_CA, lookup, id, &data,
					 &version);
	}
	if (rc == KW_OK)
		rc = kw_pki_ca_decode(data->data, data->len, &r);
	if (rc == KW_OK && strcmp(r->info.partition, partition) != 0)
		rc = KW_E_NOT_FOUND;
	if (rc == KW_OK) {
		r->info.record_version = version;
		*out = r;
		r = NULL;
	}
	kw_pki_ca_rec_free(r);
	kw_secret_free(data);
	return rc;
}

kw_rc kw_pki_ca_save(kw_pki *p, kw_store_txn *t, kw_ca_rec *r)
{
	char group[KW_NAME_MAX + 8], lookup[3 * KW_NAME_MAX + 8];
	kw_secret *data = NULL;
	uint64_t v = 0;
	kw_rc rc = kw_pki_ca_encode(r, &data);

	kw_pki_ca_group(r->info.partition, group, sizeof(group));
	kw_pki_ca_lookup(r->info.partition, r->info.name, lookup,
			 sizeof(lookup));
	if (rc == KW_OK)
		rc = kw_barrier_rec_put(p->b, t, KW_REC_CA, r->info.id, group,
					lookup, data->data, data->len,
					r->info.record_version, &v);
	if (rc == KW_OK)
		r->info.record_version = v;
	kw_secret_free(data);
	return rc;
}

kw_rc kw_pki_cert_load(kw_pki *p, kw_store_txn *t, const char *partition,
		       const char *serial_or_id, kw_cert_info **out)
{
	char id[KW_CERT_ID_MAX + 1] = "x-";
	kw_secret *data = NULL;
	uint64_t version = 0;
	kw_cert_info *c = NULL;
	kw_rc rc = kw_pki_serial_norm(serial_or_id, id + 2);

	if (rc != KW_OK)
		return KW_E_NOT_FOUND; /* no certificate has that serial */
	rc = kw_barrier_rec_get(p->b, t, KW_REC_CERT, id, &data, &version);
	if (rc == KW_OK)
		rc = kw_pki_cert_decode(data->data, data->len, &c);
	if (rc == KW_OK && strcmp(c->partition, partition) != 0)
		rc = KW_E_NOT_FOUND;
	if (rc == KW_OK) {
		c->record_version = version;
		*out = c;
		c = NULL;
	}
	kw_cert_info_free(c);
	kw_secret_free(data);
	return rc;
}

kw_rc kw_pki_cert_save(kw_pki *p, kw_store_txn *t, kw_cert_info *c)
{
	char group[KW_NAME_MAX + 8];
	kw_secret *data = NULL;
	uint64_t v = 0;
	kw_rc rc = kw_pki_cert_encode(c, &data);

	kw_pki_cert_group(c->partition, group, sizeof(group));
	if (rc == KW_OK)
		rc = kw_barrier_rec_put(p->b, t, KW_REC_CERT, c->id, group,
					NULL, data->data, data->len,
					c->record_version, &v);
	if (rc == KW_OK)
		c->record_version = v;
	kw_secret_free(data);
	return rc;
}

static kw_rc run(kw_pki *p, bool write, kw_pki_txn_fn fn, void *arg)
{
	kw_store_txn *t = NULL;
	kw_rc rc = kw_store_txn_begin(p->s, write, &t);

	if (rc != KW_OK)
		return rc;
	rc = fn(p, t, arg);
	if (rc == KW_OK && write)
		return kw_store_txn_commit(t);
	kw_store_txn_abort(t);
	return rc;
}

kw_rc kw_pki_write(kw_pki *p, kw_pki_txn_fn fn, void *arg)
{
	kw_rc rc = KW_E_CONFLICT;

	/* a lost compare-and-swap means another writer changed a record
	 * meanwhile: run the whole function again on the new state */
	for (int i = 0; i < WRITE_RETRIES && rc == KW_E_CONFLICT; i++)
		rc = run(p, true, fn, arg);
	return rc;
}

kw_rc kw_pki_read(kw_pki *p, kw_pki_txn_fn fn, void *arg)
{
	return run(p, false, fn, arg);
}
