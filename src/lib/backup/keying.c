/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "backup/internal.h"
#include "barrier/shamir.h"

/*
 * File keys. A file's base key is the master key (master keying) or a
 * fresh random backup key (custodians); HKDF-SHA-256 with the file's random
 * salt turns it into 64 bytes: the AES-256-GCM key of the chunks and the
 * HMAC-SHA-256 key of the header. The salt makes every file's keys
 * distinct, which is what lets chunk nonces be plain counters.
 *
 * Shares are the barrier's share texts ("kwshare1-", barrier/shamir.h): a
 * custodians backup gets its own split id, so its shares are never taken
 * for master-key shares and the other way round.
 */

#define INFO_FILE "keywarden/v1/backup/file"
#define BASE_LEN  32

void kw_backup_key_free(kw_backup_key *k)
{
	if (k == NULL)
		return;
	kw_ckey_free(k->enc);
	kw_secret_free(k->mac);
	kw_secret_free(k->master);
	free(k);
}

kw_rc bk_key_derive(const kw_secret *base, const uint8_t salt[BK_SALT_LEN],
		    kw_backup_key **out)
{
	kw_rc rc = KW_E_NOMEM;
	kw_secret *okm = NULL;
	kw_backup_key *k = calloc(1, sizeof(*k));

	if (k == NULL)
		goto out;
	rc = kw_hkdf_sha256(base, salt, BK_SALT_LEN, INFO_FILE,
			    strlen(INFO_FILE), 64, &okm);
	if (rc != KW_OK)
		goto out;
	rc = kw_ckey_from_private(KW_KEY_AES_256, okm->data, 32, &k->enc);
	if (rc == KW_OK)
		rc = kw_secret_from(okm->data + 32, 32, &k->mac);
	if (rc != KW_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	kw_secret_free(okm);
	kw_backup_key_free(k);
	return rc;
}

kw_rc bk_header_mac(const kw_backup_key *k, const uint8_t *file, size_t mac_off,
		    uint8_t mac[static BK_MAC_LEN])
{
	uint8_t md[KW_DIGEST_MAX];
	size_t md_len = 0;
	kw_rc rc = kw_hmac(KW_HASH_SHA256, k->mac, file, mac_off, md, &md_len);
	if (rc == KW_OK)
		memcpy(mac, md, BK_MAC_LEN);
	return rc;
}

kw_rc bk_shares_split(const kw_secret *secret, unsigned n, unsigned m,
		      uint8_t split_id[BK_SPLIT_LEN], kw_secret ***out)
{
	uint8_t id[BK_SPLIT_LEN];
	kw_rc rc = kw_random(id, sizeof(id));
	if (rc == KW_OK)
		rc = kw_share_split_texts(secret->data, n, m, id, out);
	if (rc == KW_OK)
		memcpy(split_id, id, BK_SPLIT_LEN);
	return rc;
}

/* Decodes n share texts into points (a secret array): one split, one
 * threshold, distinct indexes, at least threshold of them. */
static kw_rc shares_decode(kw_secret *const *shares, size_t n, kw_share *first,
			   kw_secret **out_pts, unsigned *out_k, char *why,
			   size_t why_len)
{
	kw_rc rc = KW_E_INVALID;
	kw_secret *pts = NULL;
	kw_share s;
	unsigned k = 0;

	memset(&s, 0, sizeof(s));
	if (n == 0 || n > KW_SHAMIR_SHARES_MAX) {
		bk_why(why, why_len, "no shares given");
		goto out;
	}
	rc = kw_secret_new(n * sizeof(kw_shamir_share), &pts);
	if (rc != KW_OK)
		goto out;
	kw_shamir_share *p = (kw_shamir_share *)pts->data;
	for (size_t i = 0; i < n; i++) {
		rc = KW_E_INVALID;
		if (shares[i] == NULL)
			goto out;
		rc = kw_share_decode((const char *)shares[i]->data,
				     shares[i]->len, &s);
		if (rc != KW_OK) {
			bk_why(why, why_len, "share %zu is %s", i + 1,
			       rc == KW_E_INTEGRITY ? "corrupt or mistyped"
						    : "not a share");
			goto out;
		}
		if (i == 0) {
			*first = s;
		} else if (memcmp(s.split_id, first->split_id, BK_SPLIT_LEN) !=
				   0 ||
			   s.threshold != first->threshold) {
			rc = KW_E_INVALID;
			bk_why(why, why_len,
			       "share %zu belongs to another split", i + 1);
			goto out;
		}
		for (unsigned j = 0; j < k; j++) {
			if (p[j].x == s.point.x) {
				rc = KW_E_EXISTS;
				bk_why(why, why_len, "share %zu given twice",
				       i + 1);
				goto out;
			}
		}
		p[k++] = s.point;
	}
	rc = KW_E_INVALID;
	if (k < first->threshold) {
		bk_why(why, why_len, "%u shares given, %u needed", k,
		       (unsigned)first->threshold);
		goto out;
	}
	*out_pts = pts;
	*out_k = k;
	pts = NULL;
	rc = KW_OK;
out:
	kw_wipe(&s, sizeof(s));
	kw_secret_free(pts);
	return rc;
}

/* Derives the file key from base and checks it against the header MAC. */
static kw_rc key_check(const bk_layout *l, const kw_secret *base,
		       kw_backup_key **out, char *why, size_t why_len)
{
	kw_backup_key *k = NULL;
	uint8_t mac[BK_MAC_LEN];
	kw_rc rc = bk_key_derive(base, l->h.salt, &k);
	if (rc != KW_OK)
		goto out;
	rc = bk_header_mac(k, l->file, l->mac_off, mac);
	if (rc != KW_OK)
		goto out;
	if (!kw_ct_equal(mac, l->file + l->mac_off, BK_MAC_LEN)) {
		rc = KW_E_VERIFY;
		bk_why(why, why_len,
		       "the key does not open this backup (shares of another "
		       "instance or split, or an edited header)");
		goto out;
	}
	memcpy(k->aad_digest, l->aad_digest, BK_SHA_LEN);
	if (l->h.keying == KW_BACKUP_KEYING_MASTER) {
		rc = kw_secret_from(base->data, base->len, &k->master);
		if (rc != KW_OK)
			goto out;
	}
	*out = k;
	k = NULL;
out:
	kw_backup_key_free(k);
	return rc;
}

kw_rc kw_backup_key_from_shares(const uint8_t *file, size_t len,
				kw_secret *const *shares, size_t n,
				kw_backup_key **out, char *why, size_t why_len)
{
	kw_rc rc = KW_E_INVALID;
	bk_layout *l = calloc(1, sizeof(*l));
	kw_secret *pts = NULL, *base = NULL;
	kw_share first;
	unsigned k = 0;

	memset(&first, 0, sizeof(first));
	if (l == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	if (shares == NULL || out == NULL)
		goto out;
	rc = bk_layout_parse(file, len, l, why, why_len);
	if (rc != KW_OK)
		goto out;
	rc = shares_decode(shares, n, &first, &pts, &k, why, why_len);
	if (rc != KW_OK)
		goto out;
	if (l->h.keying == KW_BACKUP_KEYING_CUSTODIANS &&
	    memcmp(first.split_id, l->h.split_id, BK_SPLIT_LEN) != 0) {
		rc = KW_E_VERIFY;
		bk_why(why, why_len,
		       "the shares are not the custodians' shares of this "
		       "backup");
		goto out;
	}
	rc = kw_secret_new(BASE_LEN, &base);
	if (rc == KW_OK)
		rc = kw_shamir_combine((const kw_shamir_share *)pts->data, k,
				       base->data);
	if (rc == KW_OK)
		rc = key_check(l, base, out, why, why_len);
out:
	kw_wipe(&first, sizeof(first));
	kw_secret_free(pts);
	kw_secret_free(base);
	free(l);
	return rc;
}

kw_rc kw_backup_key_from_barrier(const uint8_t *file, size_t len, kw_barrier *b,
				 kw_backup_key **out, char *why, size_t why_len)
{
	kw_rc rc = KW_E_INVALID;
	bk_layout *l = calloc(1, sizeof(*l));
	kw_secret *master = NULL;

	if (l == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	if (b == NULL || out == NULL)
		goto out;
	rc = bk_layout_parse(file, len, l, why, why_len);
	if (rc != KW_OK)
		goto out;
	if (l->h.keying != KW_BACKUP_KEYING_MASTER) {
		rc = KW_E_STATE;
		bk_why(why, why_len,
		       "a custodians backup opens with its custodians' shares "
		       "only");
		goto out;
	}
	rc = kw_barrier_master_export(b, &master);
	if (rc == KW_OK)
		rc = key_check(l, master, out, why, why_len);
out:
	kw_secret_free(master);
	free(l);
	return rc;
}
