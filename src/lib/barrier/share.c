/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "barrier/shamir.h"
#include "crypto/crypto.h"
#include "keywarden/barrier.h"
#include "util/codec.h"

#define OFF_VERSION  0
#define OFF_SPLIT_ID 1
#define OFF_M	     (OFF_SPLIT_ID + KW_SHARE_SPLIT_ID_LEN)
#define OFF_X	     (OFF_M + 1)
#define OFF_Y	     (OFF_X + 1)
#define OFF_CHECKSUM (OFF_Y + KW_SHAMIR_SECRET_LEN)

_Static_assert(OFF_CHECKSUM + KW_SHARE_CHECKSUM_LEN == KW_SHARE_BIN_LEN,
	       "share layout");
_Static_assert(KW_SHARE_BIN_LEN % 3 == 0, "share text has no partial group");
_Static_assert(KW_SHARE_TEXT_LEN ==
		       KW_SHARE_PREFIX_LEN + KW_SHARE_BIN_LEN / 3 * 4,
	       "share text length");

/* The checksum of bin[0..OFF_CHECKSUM) into sum. */
static kw_rc share_checksum(const uint8_t *bin,
			    uint8_t sum[static KW_SHARE_CHECKSUM_LEN])
{
	uint8_t md[KW_DIGEST_MAX];
	size_t md_len = 0;
	kw_rc rc = kw_digest(KW_HASH_SHA256, bin, OFF_CHECKSUM, md, &md_len);
	if (rc != KW_OK)
		goto out;
	memcpy(sum, md, KW_SHARE_CHECKSUM_LEN);
out:
	kw_wipe(md, sizeof(md));
	return rc;
}

kw_rc kw_share_encode(const kw_share *s, kw_secret **out)
{
	kw_rc rc = KW_E_INTERNAL;
	uint8_t bin[KW_SHARE_BIN_LEN];
	char text[KW_SHARE_TEXT_LEN + 1];
	kw_secret *res = NULL;

	if (s == NULL || out == NULL || s->threshold == 0 || s->point.x == 0) {
		rc = KW_E_INVALID;
		goto out;
	}
	bin[OFF_VERSION] = KW_SHARE_VERSION;
	memcpy(bin + OFF_SPLIT_ID, s->split_id, KW_SHARE_SPLIT_ID_LEN);
	bin[OFF_M] = s->threshold;
	bin[OFF_X] = s->point.x;
	memcpy(bin + OFF_Y, s->point.y, KW_SHAMIR_SECRET_LEN);
	rc = share_checksum(bin, bin + OFF_CHECKSUM);
	if (rc != KW_OK)
		goto out;
	memcpy(text, KW_SHARE_PREFIX, KW_SHARE_PREFIX_LEN);
	kw_base64_encode(bin, sizeof(bin), true, text + KW_SHARE_PREFIX_LEN);
	rc = kw_secret_from(text, KW_SHARE_TEXT_LEN, &res);
	if (rc != KW_OK)
		goto out;
	*out = res;
	res = NULL;
out:
	kw_wipe(bin, sizeof(bin));
	kw_wipe(text, sizeof(text));
	kw_secret_free(res);
	return rc;
}

kw_rc kw_share_split_texts(const uint8_t secret[static KW_SHAMIR_SECRET_LEN],
			   unsigned n, unsigned m,
			   const uint8_t split_id[static KW_SHARE_SPLIT_ID_LEN],
			   kw_secret ***out)
{
	kw_rc rc = KW_E_NOMEM;
	kw_secret *pts = NULL;
	kw_secret **texts = NULL;
	kw_share s;

	memset(&s, 0, sizeof(s));
	if (out == NULL || n == 0 || n > KW_SHAMIR_SHARES_MAX) {
		rc = KW_E_INVALID;
		goto out;
	}
	texts = calloc(n, sizeof(*texts));
	if (texts == NULL)
		goto out;
	rc = kw_secret_new(n * sizeof(kw_shamir_share), &pts);
	if (rc == KW_OK)
		rc = kw_shamir_split(secret, n, m,
				     (kw_shamir_share *)pts->data);
	if (rc != KW_OK)
		goto out;
	memcpy(s.split_id, split_id, sizeof(s.split_id));
	s.threshold = (uint8_t)m;
	for (unsigned i = 0; i < n && rc == KW_OK; i++) {
		s.point = ((kw_shamir_share *)pts->data)[i];
		rc = kw_share_encode(&s, &texts[i]);
	}
	if (rc != KW_OK)
		goto out;
	*out = texts;
	texts = NULL;
out:
	kw_wipe(&s, sizeof(s));
	kw_secret_free(pts);
	kw_barrier_shares_free(texts, texts != NULL ? n : 0);
	return rc;
}

kw_rc kw_share_decode(const char *text, size_t len, kw_share *out)
{
	kw_rc rc = KW_E_INTERNAL;
	uint8_t bin[KW_SHARE_BIN_LEN + 3]; /* decoder room: len / 4 * 3 + 3 */
	uint8_t sum[KW_SHARE_CHECKSUM_LEN];
	size_t bin_len = 0;

	if (text == NULL || out == NULL || len != KW_SHARE_TEXT_LEN) {
		rc = KW_E_INVALID;
		goto out;
	}
	/* One wrong prefix character is a mistyped share; more is some other
	 * text of the same length. */
	unsigned diff = 0;
	for (size_t i = 0; i < KW_SHARE_PREFIX_LEN; i++)
		diff += text[i] != KW_SHARE_PREFIX[i];
	if (diff > 1) {
		rc = KW_E_INVALID;
		goto out;
	}
	if (diff == 1) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	/* Past this point the text has the shape of a share, so a character
	 * outside the alphabet is a corruption, not a format error. */
	rc = kw_base64_decode(text + KW_SHARE_PREFIX_LEN,
			      len - KW_SHARE_PREFIX_LEN, true, bin, &bin_len);
	if (rc != KW_OK || bin_len != KW_SHARE_BIN_LEN) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	rc = share_checksum(bin, sum);
	if (rc != KW_OK)
		goto out;
	/* The checksum is over secret bytes: compare in constant time. */
	if (!kw_ct_equal(sum, bin + OFF_CHECKSUM, KW_SHARE_CHECKSUM_LEN)) {
		rc = KW_E_INTEGRITY;
		goto out;
	}
	if (bin[OFF_VERSION] != KW_SHARE_VERSION || bin[OFF_M] == 0 ||
	    bin[OFF_X] == 0) {
		rc = KW_E_INVALID;
		goto out;
	}
	memcpy(out->split_id, bin + OFF_SPLIT_ID, KW_SHARE_SPLIT_ID_LEN);
	out->threshold = bin[OFF_M];
	out->point.x = bin[OFF_X];
	memcpy(out->point.y, bin + OFF_Y, KW_SHAMIR_SECRET_LEN);
	rc = KW_OK;
out:
	kw_wipe(bin, sizeof(bin));
	kw_wipe(sum, sizeof(sum));
	return rc;
}
