/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "keys/internal.h"

/*
 * The key record decoder (kw_keys_rec_decode): the plaintext of a sealed
 * KW_REC_KEY record. It may only answer KW_OK, KW_E_INTEGRITY or KW_E_NOMEM
 * and writes its output only on success. Whatever it accepts must hold the
 * record's invariants, decode the same without material, and re-encode to
 * exactly the bytes it came from (the encoding is canonical: one tag order,
 * one integer width), so nothing is silently dropped or reinterpreted.
 */

static void check_invariants(const kw_key_rec *r, bool with_material)
{
	const kw_key_info *k = &r->info;
	if (k->version_count < 1 || k->version_count > KW_KEY_VERSIONS_MAX ||
	    k->primary_version < 1 || k->primary_version > k->version_count ||
	    k->label_count > KW_LABELS_MAX || k->type == KW_KEY_NONE ||
	    k->type >= KW_KEY_TYPE_COUNT_ || k->state == KW_KEY_STATE_NONE ||
	    k->state >= KW_KEY_STATE_COUNT_ ||
	    (k->usages & ~kw_key_type_usages_possible(k->type)) != 0 ||
	    !kw_keys_id_valid(k->id) || !kw_keys_name_valid(k->name) ||
	    !kw_keys_partition_valid(k->partition) || k->record_version != 0)
		abort();
	for (size_t i = 0; i < k->version_count; i++) {
		if (k->versions[i].version != i + 1)
			abort();
		if (!with_material)
			continue;
		bool has = r->material[i] != NULL;
		if (has == (k->state == KW_KEY_DESTROYED))
			abort();
	}
	if (!with_material && r->material != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw_key_rec *r = NULL, *meta = NULL;
	kw_secret *again = NULL;
	kw_rc rc = kw_keys_rec_decode(data, size, true, &r);
	kw_rc rc2 = kw_keys_rec_decode(data, size, false, &meta);
	if (rc != rc2 && rc != KW_E_NOMEM && rc2 != KW_E_NOMEM)
		abort();
	if (rc != KW_OK) {
		if ((rc != KW_E_INTEGRITY && rc != KW_E_NOMEM) || r != NULL)
			abort();
		goto out;
	}
	check_invariants(r, true);
	if (meta != NULL)
		check_invariants(meta, false);
	if (kw_keys_rec_encode(r, &again) != KW_OK)
		abort();
	if (again->len != size || memcmp(again->data, data, size) != 0)
		abort();
out:
	kw_secret_free(again);
	kw_keys_rec_free(meta);
	kw_keys_rec_free(r);
	return 0;
}
