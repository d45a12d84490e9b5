/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_SERVICE_SVC_BACKUP_H
#define KW_SERVICE_SVC_BACKUP_H

/*
 * The service functions of backups and key transfer (docs/backup.md): the
 * same contract as service.h.
 *
 * Who may: create a backup, restore into a running instance — a system
 * security officer (backup_create, backup_restore; the restore also under
 * the backup_restore quorum); restore into an uninitialised instance and
 * check a backup with shares — whoever holds the shares (no principal
 * exists yet, as for sys init and unseal); export a key — a crypto officer
 * (key_export, under the key_export quorum), and only an exportable key;
 * import — a crypto officer (key_import).
 *
 * A restore is prepared by kw_svc_backup_restore (the whole new database
 * is written next to the live one and checked) and applied by
 * kw_svc_backup_apply, which the daemon calls once no request is in
 * flight: it records the restore in the restored audit trail, closes the
 * service, swaps the database file in one rename and opens the service
 * again, unsealed.
 */

#include "keywarden/backup.h"
#include "service/service.h"

/* A backup of the whole instance into *out (malloc; the file's bytes).
 * Custodians keying: *out_shares gets the p->shares share texts (free with
 * kw_barrier_shares_free). */
kw_rc kw_svc_backup_create(kw_service *svc, kw_svc_call *c,
			   const kw_backup_params *p, uint8_t **out,
			   size_t *out_len, kw_backup_info *out_info,
			   kw_secret ***out_shares);

/* The full check with n shares (n 0: the structure only). */
kw_rc kw_svc_backup_verify(kw_service *svc, kw_svc_call *c, const uint8_t *file,
			   size_t len, kw_secret *const *shares, size_t n,
			   kw_backup_info *out);

/*
 * Prepares the restore of file. Into an uninitialised instance: with the
 * shares that open it (no caller needed). Into a running instance (same
 * instance id): authorised and quorum-gated; shares may be omitted for a
 * master-keyed backup. new_shares/new_threshold (0: keep the split; a
 * custodians backup always gets a new split, by default its custodians'
 * N and M) split the restored master key anew: *out_shares then holds
 * *out_n share texts, handed out once. KW_E_STATE while a restore is
 * pending; KW_E_UNSUPPORTED for a store that is not SQLite.
 */
kw_rc kw_svc_backup_restore(kw_service *svc, kw_svc_call *c,
			    const uint8_t *file, size_t len,
			    kw_secret *const *shares, size_t n,
			    unsigned new_shares, unsigned new_threshold,
			    kw_backup_info *out_info, kw_secret ***out_shares,
			    unsigned *out_n);

/* Whether a prepared restore waits for kw_svc_backup_apply. */
bool kw_svc_backup_pending(kw_service *svc);

/*
 * Applies the prepared restore. The caller guarantees that nothing else
 * uses *svc (no request in flight, no tick). On KW_OK *svc is a new
 * service on the restored database, unsealed. On failure before the swap
 * the failure is audited in the live trail and *svc is unchanged; if the
 * swap itself failed, *svc is the old database opened anew. Whenever *svc
 * was opened anew, *out_reopened is true (the caller repeats what it does
 * after kw_service_open). If the service cannot be opened again *svc is
 * NULL (the daemon must stop; the database files are intact).
 */
kw_rc kw_svc_backup_apply(kw_service **svc, bool *out_reopened);

/* A scheduled backup into dir, keeping the newest keep (0: all), verified
 * after writing; audited as "backup_scheduled". KW_E_SEALED (skipped,
 * not audited). */
kw_rc kw_svc_backup_scheduled(kw_service *svc, const char *dir, unsigned keep);

/* ---- key transfer ---------------------------------------------------------- */

typedef struct kw_svc_export {
	uint8_t *wrapped; /* malloc */
	size_t wrapped_len;
	uint32_t version;
	kw_key_info *key; /* its attributes, for the transfer document */
} kw_svc_export;
void kw_svc_export_clear(kw_svc_export *e);

/* Wraps version (0 = primary) of key name for a receiver: under
 * transport_pub (RSA_AES_KWP) or the AES key wrapping_key (AES_KWP). */
kw_rc kw_svc_key_export(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, uint32_t version, kw_transfer_wrap w,
			const uint8_t *transport_pub, size_t transport_pub_len,
			const char *wrapping_key, kw_svc_export *out);

/* Creates spec from a wrapped blob (BYOK). */
kw_rc kw_svc_key_import(kw_service *svc, kw_svc_call *c,
			const kw_key_spec *spec, kw_transfer_wrap w,
			const char *unwrapping_key, uint32_t unwrapping_version,
			const uint8_t *blob, size_t blob_len,
			kw_key_info **out);

#endif
