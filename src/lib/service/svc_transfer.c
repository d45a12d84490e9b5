/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "service/internal.h"
#include "service/svc_backup.h"
#include "util/codec.h"

/*
 * Key export and import (docs/backup.md "Key transfer"). An export is a
 * key_export by a crypto officer, under the key_export quorum; a key that
 * is not exportable is refused before any approval is asked for, and
 * kw_key_export_material refuses it again below, whatever the route.
 */

void kw_svc_export_clear(kw_svc_export *e)
{
	if (e == NULL)
		return;
	free(e->wrapped);
	kw_key_info_free(e->key);
	memset(e, 0, sizeof(*e));
}

static void transfer_reason(kw_svc_call *c, kw_rc rc, const char *name)
{
	switch (rc) {
	case KW_E_DENIED:
		svc_reason(c, "key %s is not exportable", name);
		break;
	case KW_E_STATE:
		svc_reason(c, "the key's state does not allow this");
		break;
	case KW_E_NOT_FOUND:
		svc_reason(c, "no such key or version");
		break;
	case KW_E_VERIFY:
		svc_reason(c, "the wrapped key does not unwrap under %s", name);
		break;
	case KW_E_UNSUPPORTED:
		svc_reason(c, "the wrapping key cannot do this");
		break;
	case KW_E_EXISTS:
		svc_reason(c, "a key named %s exists", name);
		break;
	default:
		break;
	}
}

kw_rc kw_svc_key_export(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, uint32_t version, kw_transfer_wrap w,
			const uint8_t *transport_pub, size_t transport_pub_len,
			const char *wrapping_key, kw_svc_export *out)
{
	kw_key_info *k = NULL;
	char params[320], tk[65] = "";
	kw_svc_export e = {0};
	const char *wname = kw_transfer_wrap_name(w);
	kw_rc rc = svc_authorize_key(svc, c, KW_OP_KEY_EXPORT, partition, name,
				     &k);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_DENIED;
	if (!k->exportable) {
		transfer_reason(c, rc, k->name);
		goto out;
	}
	if (transport_pub != NULL) {
		uint8_t md[KW_DIGEST_MAX];
		size_t n = 0;
		if (kw_digest(KW_HASH_SHA256, transport_pub, transport_pub_len,
			      md, &n) == KW_OK)
			kw_hex_encode(md, n, tk);
	}
	/* The approval binds the receiver: its key's digest or name. */
	snprintf(params, sizeof(params),
		 "{\"version\":%u,\"wrapping\":\"%s\",\"transport_key_sha256\":"
		 "\"%s\",\"wrapping_key\":\"%s\"}",
		 version, wname != NULL ? wname : "", tk,
		 svc_safe_name(wrapping_key));
	rc = svc_quorum_gate(svc, c, KW_QOP_KEY_EXPORT, partition, k, params);
	if (rc != KW_OK)
		goto out;
	rc = kw_backup_transfer_export(svc->keys, partition, k->name, version,
				       w, transport_pub, transport_pub_len,
				       wrapping_key, &e.wrapped, &e.wrapped_len,
				       &e.version);
	if (rc == KW_E_INVALID && w == KW_TRANSFER_RSA_AES_KWP)
		svc_reason(c, "transport_key is no RSA public key (PEM or DER, "
			      "2048-4096 bits)");
	transfer_reason(c, rc, k->name);
	if (rc != KW_OK)
		goto out;
	svc_event_key(c, k->name, e.version);
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"wrapping\":\"%s\",\"transport_key_sha256\":\"%s\","
		 "\"wrapping_key\":\"%s\"}",
		 wname, tk, svc_safe_name(wrapping_key));
	e.key = k;
	k = NULL;
	*out = e;
	memset(&e, 0, sizeof(e));
out:
	kw_svc_export_clear(&e);
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_key_import(kw_service *svc, kw_svc_call *c,
			const kw_key_spec *spec, kw_transfer_wrap w,
			const char *unwrapping_key, uint32_t unwrapping_version,
			const uint8_t *blob, size_t blob_len, kw_key_info **out)
{
	char err[KW_SVC_REASON_MAX - 10];
	const char *wname = kw_transfer_wrap_name(w);
	kw_rc rc;

	svc_event_key(c, spec->name, 0);
	rc = svc_authorize(svc, c, KW_OP_KEY_IMPORT, spec->partition);
	if (rc != KW_OK)
		goto out;
	if (spec->policy != NULL &&
	    kw_key_policy_validate(spec->policy, err, sizeof(err)) != KW_OK) {
		rc = KW_E_INVALID;
		svc_reason(c, "policy: %s", err);
		goto out;
	}
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"type\":\"%s\",\"wrapping\":\"%s\",\"unwrapping_key\":"
		 "\"%s\"}",
		 kw_key_type_name(spec->type) != NULL
			 ? kw_key_type_name(spec->type)
			 : "",
		 wname != NULL ? wname : "", svc_safe_name(unwrapping_key));
	rc = kw_backup_transfer_import(svc->keys, spec, w, unwrapping_key,
				       unwrapping_version, blob, blob_len, out);
	if (rc == KW_E_INVALID)
		svc_reason(c, "the unwrapped material is no %s key",
			   kw_key_type_name(spec->type));
	transfer_reason(c, rc,
			rc == KW_E_EXISTS ? spec->name
					  : svc_safe_name(unwrapping_key));
	if (rc == KW_OK)
		svc_event_key(c, (*out)->name, (*out)->primary_version);
out:
	return rc;
}
