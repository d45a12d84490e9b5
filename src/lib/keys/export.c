/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include "keys/internal.h"

/*
 * The one way key material leaves the keys module: for an export that the
 * caller (src/lib/backup/transfer.c) wraps at once under the receiving
 * side's transport key, after authorisation and quorum. The exportable
 * flag is checked here, on the same immutable snapshot the material comes
 * from, so no route can skip it.
 */

static bool state_exportable(kw_key_state s)
{
	return s == KW_KEY_PRE_ACTIVE || s == KW_KEY_ACTIVE ||
	       s == KW_KEY_DISABLED;
}

kw_rc kw_key_export_material(kw_keys *ks, const char *partition,
			     const char *name, uint32_t version,
			     kw_secret **out, uint32_t *out_version)
{
	kw_rc rc = KW_E_INVALID;
	kw_keys_entry *e = NULL;

	if (out == NULL)
		goto out;
	rc = kw_keys_acquire(ks, partition, name, &e);
	if (rc != KW_OK)
		goto out;
	const kw_key_info *k = e->info;
	rc = KW_E_DENIED;
	if (!k->exportable)
		goto out;
	rc = KW_E_STATE;
	if (!state_exportable(k->state))
		goto out;
	if (version == 0)
		version = k->primary_version;
	rc = KW_E_NOT_FOUND;
	if (version > k->version_count)
		goto out;
	rc = KW_E_INTERNAL;
	if (e->ckeys == NULL || e->ckeys[version - 1] == NULL)
		goto out;
	rc = kw_ckey_private_export(e->ckeys[version - 1], out);
	if (rc == KW_OK && out_version != NULL)
		*out_version = version;
out:
	kw_keys_entry_release(e);
	return rc;
}
