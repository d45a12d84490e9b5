/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include "daemon/handlers.h"
#include "daemon/router.h"
#include "daemon/routes_approvals.h"
#include "daemon/routes_attest.h"
#include "daemon/routes_backup.h"
#include "daemon/routes_ca.h"
#include "daemon/routes_objects.h"
#include "daemon/routes_tsa.h"

#define NOAUTH KW_RF_NO_AUTH
#define PROBE  (KW_RF_NO_AUTH | KW_RF_NO_AUDIT)

/* The API of docs/api.md. The op names are those of the audit trail
 * (kw_op_name() where an authorisation op exists). */
const kw_route kw_routes[] = {
	/* sys */
	{"GET", "/v1/sys/health", kw_h_health, PROBE, "sys_health"},
	{"GET", "/metrics", kw_h_metrics, KW_RF_AUTH_ON_TCP | KW_RF_NO_AUDIT,
	 "metrics"},
	{"GET", "/v1/sys/status", kw_h_sys_status, NOAUTH, "sys_status"},
	{"POST", "/v1/sys/init", kw_h_sys_init, NOAUTH, "sys_init"},
	{"POST", "/v1/sys/unseal", kw_h_sys_unseal, NOAUTH, "sys_unseal"},
	{"POST", "/v1/sys/seal", kw_h_sys_seal, 0, "sys_seal"},
	/* auth */
	{"POST", "/v1/auth/login", kw_h_login, NOAUTH, "auth_login"},
	{"POST", "/v1/auth/logout", kw_h_logout, 0, "auth_logout"},
	{"GET", "/v1/auth/whoami", kw_h_whoami, 0, "auth_whoami"},
	{"POST", "/v1/auth/tokens", kw_h_token_create, 0, "token_create"},
	{"GET", "/v1/auth/tokens", kw_h_token_list, 0, "token_list"},
	{"DELETE", "/v1/auth/tokens/{id}", kw_h_token_revoke, 0,
	 "token_revoke"},
	/* audit (docs/audit.md) */
	{"GET", "/v1/audit", kw_h_audit_read, 0, "audit_read"},
	{"GET", "/v1/audit/pubkey", kw_h_audit_pubkey, 0, "audit_pubkey"},
	{"POST", "/v1/audit/checkpoint", kw_h_audit_checkpoint, 0,
	 "audit_checkpoint"},
	/* partitions */
	{"POST", "/v1/partitions", kw_h_partition_create, 0,
	 "partition_create"},
	{"GET", "/v1/partitions", kw_h_partition_list, 0, "partition_list"},
	{"GET", "/v1/partitions/{name}", kw_h_partition_get, 0,
	 "partition_read"},
	{"DELETE", "/v1/partitions/{name}", kw_h_partition_delete, 0,
	 "partition_delete"},
	/* principals */
	{"POST", "/v1/principals", kw_h_principal_create, 0,
	 "principal_create"},
	{"GET", "/v1/principals", kw_h_principal_list, 0, "principal_list"},
	{"GET", "/v1/principals/{name}", kw_h_principal_get, 0,
	 "principal_read"},
	{"PATCH", "/v1/principals/{name}", kw_h_principal_patch, 0,
	 "role_grant"},
	{"POST", "/v1/principals/{name}/password", kw_h_principal_password, 0,
	 "principal_password"},
	{"DELETE", "/v1/principals/{name}", kw_h_principal_delete, 0,
	 "principal_delete"},
	/* keys */
	{"POST", "/v1/keys", kw_h_key_create, 0, "key_create"},
	{"GET", "/v1/keys", kw_h_key_list, 0, "key_list"},
	{"GET", "/v1/keys/{name}", kw_h_key_get, 0, "key_read"},
	{"PATCH", "/v1/keys/{name}", kw_h_key_patch, 0, "key_update"},
	{"POST", "/v1/keys/{name}/rotate", kw_h_key_rotate, 0, "key_rotate"},
	{"POST", "/v1/keys/{name}/enable", kw_h_key_enable, 0, "key_enable"},
	{"POST", "/v1/keys/{name}/disable", kw_h_key_disable, 0, "key_disable"},
	{"POST", "/v1/keys/{name}/compromise", kw_h_key_compromise, 0,
	 "key_compromise"},
	{"POST", "/v1/keys/{name}/destroy", kw_h_key_destroy, 0, "key_destroy"},
	{"POST", "/v1/keys/{name}/cancel-destroy", kw_h_key_cancel_destroy, 0,
	 "key_cancel_destroy"},
	{"GET", "/v1/keys/{name}/public", kw_h_key_public, 0, "key_public"},
	/* crypto */
	{"POST", "/v1/keys/{name}/sign", kw_h_sign, 0, "key_sign"},
	{"POST", "/v1/keys/{name}/verify", kw_h_verify, 0, "key_verify"},
	{"POST", "/v1/keys/{name}/encrypt", kw_h_encrypt, 0, "key_encrypt"},
	{"POST", "/v1/keys/{name}/decrypt", kw_h_decrypt, 0, "key_decrypt"},
	{"POST", "/v1/keys/{name}/mac", kw_h_mac, 0, "key_mac"},
	{"POST", "/v1/keys/{name}/mac-verify", kw_h_mac_verify, 0,
	 "key_mac_verify"},
	{"POST", "/v1/keys/{name}/wrap", kw_h_wrap, 0, "key_wrap"},
	{"POST", "/v1/keys/{name}/unwrap", kw_h_unwrap, 0, "key_unwrap"},
	{"POST", "/v1/keys/{name}/datakey", kw_h_datakey, 0, "key_datakey"},
	{"POST", "/v1/random", kw_h_random, 0, "random"},
	KW_ROUTES_OBJECTS, /* certificates, data objects (PKCS#11) */
	KW_ROUTES_BACKUP,  /* backup, restore, key transfer (docs/backup.md) */
	KW_ROUTES_ATTEST,  /* TPM: auto-unseal, attested agents */
	KW_ROUTES_APPROVALS, /* quorum approvals and rules (docs/quorum.md) */
	KW_ROUTES_CA,	     /* CAs, certificates, code signing (docs/pki.md) */
	KW_ROUTES_TSA,	     /* RFC 3161 time stamps (docs/pki.md) */
};

const size_t kw_routes_count = sizeof(kw_routes) / sizeof(kw_routes[0]);
