/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "audit"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/internal.h"
#include "keywarden/log.h"
#include "util/codec.h"
#include "util/tlv.h"

/*
 * The audit keyring is one sealed record (KW_REC_META "audit-keys") opened
 * only through the barrier, so the signing key is as well kept as any other
 * key and unavailable while sealed. Its plaintext (TLV):
 *   1  u64    format (1)
 *   2  bytes  PKCS#8 of the current signing key (Ed25519)
 *   3  nested one per public key, oldest first, the current one last:
 *             1 str PEM (SubjectPublicKeyInfo), 2 i64 created (unix s)
 * Retired private keys are not kept: only checkpoints need signing, and old
 * checkpoints only need verifying.
 */

enum {
	TAG_FORMAT = 1,
	TAG_PRIVATE = 2,
	TAG_PUBLIC = 3,
	TAG_PUB_PEM = 1,
	TAG_PUB_CREATED = 2,
};

#define KEYRING_FORMAT	 1
#define KEYRING_KEYS_MAX 256
#define PEM_MAX		 1024

static const kw_sign_params ed25519_params = {.scheme = KW_SIG_EDDSA,
					      .hash = KW_HASH_NONE};

void audit_keyset_clear(audit_keyset *ks)
{
	if (ks == NULL)
		return;
	kw_ckey_free(ks->signer);
	kw_audit_pubkeys_free(ks->pubs, ks->count);
	memset(ks, 0, sizeof(*ks));
}

kw_rc audit_pubkeys_copy(const kw_audit_pubkey *in, size_t n,
			 kw_audit_pubkey **out)
{
	kw_audit_pubkey *c = calloc(n ? n : 1, sizeof(*c));
	kw_rc rc = KW_E_NOMEM;

	if (c == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		c[i] = in[i];
		c[i].pem = strdup(in[i].pem);
		if (c[i].pem == NULL) {
			kw_audit_pubkeys_free(c, i);
			c = NULL;
			goto out;
		}
	}
	*out = c;
	c = NULL;
	rc = KW_OK;
out:
	free(c);
	return rc;
}

/* Appends the public key of k (created at `created`) to ks->pubs. */
static kw_rc pubs_add(audit_keyset *ks, const kw_ckey *k, int64_t created)
{
	kw_audit_pubkey *np;
	kw_audit_pubkey p = {.created = created};
	kw_rc rc = KW_E_INTEGRITY;

	if (ks->count == KEYRING_KEYS_MAX)
		goto out;
	rc = kw_audit_key_id(k, p.key_id);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_public_pem(k, &p.pem);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	np = realloc(ks->pubs, (ks->count + 1) * sizeof(*np));
	if (np == NULL)
		goto out;
	for (size_t i = 0; i < ks->count; i++)
		np[i].current = false;
	p.current = true;
	np[ks->count++] = p;
	ks->pubs = np;
	p.pem = NULL;
	rc = KW_OK;
out:
	free(p.pem);
	return rc;
}

/* Parses one nested public-key item into ks. */
static kw_rc parse_public(audit_keyset *ks, const kw_tlv_item *it)
{
	kw_tlv_reader r;
	kw_tlv_item f;
	char *pem = NULL;
	int64_t created = 0;
	kw_ckey *k = NULL;
	kw_rc rc;

	kw_tlv_reader_init(&r, it->val, it->len);
	while ((rc = kw_tlv_next(&r, &f)) == KW_OK) {
		if (f.tag == TAG_PUB_PEM && pem == NULL)
			rc = kw_tlv_item_strdup(&f, PEM_MAX, &pem);
		else if (f.tag == TAG_PUB_CREATED)
			rc = kw_tlv_item_i64(&f, &created);
		if (rc != KW_OK)
			goto out;
	}
	rc = KW_E_INTEGRITY;
	if (pem == NULL ||
	    kw_ckey_from_public(KW_KEY_ED25519, (const uint8_t *)pem,
				strlen(pem), &k) != KW_OK)
		goto out;
	rc = pubs_add(ks, k, created);
out:
	kw_ckey_free(k);
	free(pem);
	return rc;
}

static kw_rc keyring_parse(const kw_secret *data, audit_keyset *out)
{
	audit_keyset ks = {0};
	kw_tlv_reader r;
	kw_tlv_item it;
	uint64_t format = 0;
	kw_rc rc;

	kw_tlv_reader_init(&r, data->data, data->len);
	while ((rc = kw_tlv_next(&r, &it)) == KW_OK) {
		if (it.tag == TAG_FORMAT)
			rc = kw_tlv_item_u64(&it, &format);
		else if (it.tag == TAG_PRIVATE && ks.signer == NULL)
			rc = kw_ckey_from_private(KW_KEY_ED25519, it.val,
						  it.len, &ks.signer);
		else if (it.tag == TAG_PUBLIC)
			rc = parse_public(&ks, &it);
		if (rc != KW_OK)
			goto out;
	}
	rc = KW_E_INTEGRITY;
	if (format != KEYRING_FORMAT || ks.signer == NULL || ks.count == 0 ||
	    kw_audit_key_id(ks.signer, ks.signer_id) != KW_OK ||
	    strcmp(ks.signer_id, ks.pubs[ks.count - 1].key_id) != 0)
		goto out;
	*out = ks;
	memset(&ks, 0, sizeof(ks));
	rc = KW_OK;
out:
	audit_keyset_clear(&ks);
	return rc;
}

/* Writes ks as the keyring record in t (expected_version 0 creates it). */
static kw_rc keyring_put(kw_barrier *b, kw_store_txn *t, audit_keyset *ks,
			 uint64_t expected_version)
{
	kw_tlv_writer w;
	kw_secret *priv = NULL;
	kw_secret *data = NULL;
	kw_rc rc;

	kw_tlv_writer_init(&w);
	rc = kw_ckey_private_export(ks->signer, &priv);
	if (rc != KW_OK)
		goto out;
	kw_tlv_put_u64(&w, TAG_FORMAT, KEYRING_FORMAT);
	kw_tlv_put_bytes(&w, TAG_PRIVATE, priv->data, priv->len);
	for (size_t i = 0; i < ks->count; i++) {
		kw_tlv_writer pw;
		kw_secret *pub = NULL;

		kw_tlv_writer_init(&pw);
		kw_tlv_put_str(&pw, TAG_PUB_PEM, ks->pubs[i].pem);
		kw_tlv_put_i64(&pw, TAG_PUB_CREATED, ks->pubs[i].created);
		rc = kw_tlv_writer_finish(&pw, &pub);
		if (rc == KW_OK)
			kw_tlv_put_bytes(&w, TAG_PUBLIC, pub->data, pub->len);
		kw_secret_free(pub);
		if (rc != KW_OK)
			goto out;
	}
	rc = kw_tlv_writer_finish(&w, &data);
	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_rec_put(b, t, KW_REC_META, AUDIT_KEYS_ID, NULL, NULL,
				data->data, data->len, expected_version,
				&ks->version);
out:
	kw_tlv_writer_clear(&w);
	kw_secret_free(data);
	kw_secret_free(priv);
	return rc;
}

/* A fresh signing key appended to a copy of cur's public keys (cur may be
 * NULL for the first key). */
static kw_rc keyset_grow(const audit_keyset *cur, audit_keyset *out)
{
	audit_keyset ks = {0};
	kw_rc rc = KW_OK;

	if (cur != NULL && cur->count > 0) {
		rc = audit_pubkeys_copy(cur->pubs, cur->count, &ks.pubs);
		if (rc != KW_OK)
			goto out;
		ks.count = cur->count;
		ks.version = cur->version;
	}
	rc = kw_ckey_generate(KW_KEY_ED25519, &ks.signer);
	if (rc != KW_OK)
		goto out;
	rc = pubs_add(&ks, ks.signer, (int64_t)time(NULL));
	if (rc != KW_OK)
		goto out;
	memcpy(ks.signer_id, ks.pubs[ks.count - 1].key_id,
	       sizeof(ks.signer_id));
	*out = ks;
	memset(&ks, 0, sizeof(ks));
out:
	audit_keyset_clear(&ks);
	return rc;
}

static kw_rc keyring_read(kw_barrier *b, kw_store *s, audit_keyset *out)
{
	kw_store_txn *t = NULL;
	kw_secret *data = NULL;
	uint64_t version = 0;
	kw_rc rc = kw_store_txn_begin(s, false, &t);

	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_rec_get(b, t, KW_REC_META, AUDIT_KEYS_ID, &data,
				&version);
	if (rc != KW_OK)
		goto out;
	rc = keyring_parse(data, out);
	if (rc == KW_OK)
		out->version = version;
out:
	kw_secret_free(data);
	kw_store_txn_abort(t);
	return rc;
}

kw_rc audit_keyset_load(kw_barrier *b, kw_store *s, audit_keyset *out,
			bool *out_created)
{
	audit_keyset ks = {0};
	kw_store_txn *t = NULL;
	bool created = false;
	kw_rc rc = keyring_read(b, s, &ks);

	if (rc != KW_E_NOT_FOUND)
		goto out;
	/* The first unseal of this instance: make the key. */
	rc = keyset_grow(NULL, &ks);
	if (rc != KW_OK)
		goto out;
	rc = kw_store_txn_begin(s, true, &t);
	if (rc != KW_OK)
		goto out;
	rc = keyring_put(b, t, &ks, 0);
	if (rc == KW_OK) {
		rc = kw_store_txn_commit(t);
		t = NULL;
	}
	if (rc == KW_E_EXISTS) { /* another node made it first */
		audit_keyset_clear(&ks);
		rc = keyring_read(b, s, &ks);
		goto out;
	}
	created = rc == KW_OK;
	if (created)
		KW_LOG_INFO("created the audit signing key %s", ks.signer_id);
out:
	kw_store_txn_abort(t);
	if (rc == KW_OK) {
		*out = ks;
		memset(&ks, 0, sizeof(ks));
		if (out_created != NULL)
			*out_created = created;
	}
	audit_keyset_clear(&ks);
	return rc;
}

kw_rc audit_keyset_rotate(kw_barrier *b, kw_store_txn *t,
			  const audit_keyset *cur, audit_keyset *out)
{
	audit_keyset ks = {0};
	kw_rc rc = KW_E_SEALED;

	if (cur->signer == NULL)
		goto out;
	rc = keyset_grow(cur, &ks);
	if (rc != KW_OK)
		goto out;
	rc = keyring_put(b, t, &ks, cur->version);
	if (rc != KW_OK)
		goto out;
	*out = ks;
	memset(&ks, 0, sizeof(ks));
out:
	audit_keyset_clear(&ks);
	return rc;
}

kw_rc audit_keyset_sign(const audit_keyset *ks, const char *prev, json_t *e)
{
	uint8_t head[32];
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	char *b64 = NULL;
	kw_rc rc = KW_E_SEALED;

	if (ks->signer == NULL)
		goto out;
	rc = kw_hex_decode(prev, KW_AUDIT_HASH_HEX_LEN, head);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_sign(ks->signer, &ed25519_params, head, sizeof(head), &sig,
			  &sig_len);
	if (rc != KW_OK)
		goto out;
	rc = kw_base64_encode_alloc(sig, sig_len, false, &b64);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	if (json_object_set_new(e, "key_id", json_string(ks->signer_id)) != 0 ||
	    json_object_set_new(e, "sig", json_string(b64)) != 0)
		goto out;
	rc = KW_OK;
out:
	free(b64);
	free(sig);
	return rc;
}
