/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_HANDLERS_H
#define KW_DAEMON_HANDLERS_H

/* The REST handlers, one per route of docs/api.md (table in routes.c). */

#include "daemon/request.h"
#include "daemon/specs.h"

/* h_keys.c: the key spec of a create request's members (also key
 * import's, routes_backup.c). Answers 400 and returns false when one is
 * unacceptable. *labels and *policy (malloc, start NULL) are the caller's
 * to free, also on failure. */
bool kw_h_key_spec_of(kw_req *r, const kw_key_create_req *in, kw_key_spec *spec,
		      kw_label **labels, char **policy);

/* h_sys.c */
void kw_h_health(kw_req *r);
void kw_h_metrics(kw_req *r);
void kw_h_sys_status(kw_req *r);
void kw_h_sys_init(kw_req *r);
void kw_h_sys_unseal(kw_req *r);
void kw_h_sys_seal(kw_req *r);

/* h_auth.c */
void kw_h_login(kw_req *r);
void kw_h_logout(kw_req *r);
void kw_h_whoami(kw_req *r);
void kw_h_token_create(kw_req *r);
void kw_h_token_list(kw_req *r);
void kw_h_token_revoke(kw_req *r);

/* h_admin.c */
void kw_h_partition_create(kw_req *r);
void kw_h_partition_list(kw_req *r);
void kw_h_partition_get(kw_req *r);
void kw_h_partition_delete(kw_req *r);
void kw_h_principal_create(kw_req *r);
void kw_h_principal_list(kw_req *r);
void kw_h_principal_get(kw_req *r);
void kw_h_principal_patch(kw_req *r);
void kw_h_principal_password(kw_req *r);
void kw_h_principal_delete(kw_req *r);

/* h_audit.c */
void kw_h_audit_read(kw_req *r);
void kw_h_audit_pubkey(kw_req *r);
void kw_h_audit_checkpoint(kw_req *r);

/* h_keys.c */
void kw_h_key_create(kw_req *r);
void kw_h_key_list(kw_req *r);
void kw_h_key_get(kw_req *r);
void kw_h_key_patch(kw_req *r);
void kw_h_key_rotate(kw_req *r);
void kw_h_key_enable(kw_req *r);
void kw_h_key_disable(kw_req *r);
void kw_h_key_compromise(kw_req *r);
void kw_h_key_destroy(kw_req *r);
void kw_h_key_cancel_destroy(kw_req *r);
void kw_h_key_public(kw_req *r);

/* h_crypto.c */
void kw_h_sign(kw_req *r);
void kw_h_verify(kw_req *r);
void kw_h_encrypt(kw_req *r);
void kw_h_decrypt(kw_req *r);
void kw_h_mac(kw_req *r);
void kw_h_mac_verify(kw_req *r);
void kw_h_wrap(kw_req *r);
void kw_h_unwrap(kw_req *r);
void kw_h_datakey(kw_req *r);
void kw_h_random(kw_req *r);

#endif
