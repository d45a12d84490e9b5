/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_BACKUP_H
#define KEYWARDEN_BACKUP_H

/*
 * Backup, restore and key transfer (docs/backup.md).
 *
 * A backup is one file holding a consistent snapshot of a store (one read
 * transaction): every record of every type exactly as stored (so still
 * sealed by the barrier, versions and index tags included), the whole
 * audit trail, and the barrier metadata. The file is encrypted and
 * authenticated as a whole under a file key derived (HKDF, with a random
 * per-file salt) from either
 *   - the master key ("master"): restorable with the instance's shares, or
 *   - a fresh random backup key ("custodians") split M-of-N with the
 *     barrier's Shamir code; its shares are returned once at creation.
 *     The file then also carries the master key, so the custodians'
 *     shares alone restore it into a brand-new instance.
 *
 * Layout (format 1; all integers big-endian):
 *   "KWBACKUP" | u32 header length | header (TLV) | header MAC (32)
 *   chunks: u32 length | AES-256-GCM ciphertext || tag
 *   "KWBTRAIL" | u64 chunk count | SHA-256 of each chunk record |
 *   SHA-256 of every byte before this last digest
 * The header is not encrypted but is authenticated (HMAC-SHA-256 under the
 * file's MAC key); it names the format, source instance, creation time,
 * keying, split and counts. Chunk i is encrypted with the nonce 0^4 || i
 * under the file's encryption key (unique per file) with the AAD
 * SHA-256(magic .. header MAC) || u64 i || u8 final, so a chunk moved,
 * dropped, repeated, cut off at the end or taken from another file fails.
 *
 * Without the key only the structure and the SHA-256 manifest of the
 * trailer can be checked (kw_backup_inspect): that catches corruption and
 * truncation, and names the damaged chunk, but not a deliberate forgery,
 * since anyone can recompute SHA-256. Only the keyed check
 * (kw_backup_verify) proves a backup authentic and complete.
 *
 * Reasons: functions taking (why, why_len) write a short client-safe text
 * there on failure (never a secret); why may be NULL.
 *
 * Thread safety: functions on distinct objects may run concurrently; a
 * kw_backup_key is read-only once made and may be shared.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/barrier.h"
#include "keywarden/keys.h"
#include "keywarden/rc.h"
#include "keywarden/secret.h"
#include "keywarden/store.h"

#define KW_BACKUP_FORMAT	1
#define KW_BACKUP_CHUNK_DEFAULT (64u * 1024u)
#define KW_BACKUP_CHUNK_MIN	4096u
#define KW_BACKUP_CHUNK_MAX	(1024u * 1024u)
#define KW_BACKUP_WHY_MAX	160

typedef enum kw_backup_keying {
	KW_BACKUP_KEYING_MASTER = 1,
	KW_BACKUP_KEYING_CUSTODIANS = 2,
} kw_backup_keying;

/* "master", "custodians"; NULL for other values. */
const char *kw_backup_keying_name(kw_backup_keying k);
/* KW_OK, KW_E_INVALID (NULL or unknown name). */
kw_rc kw_backup_keying_parse(const char *name, kw_backup_keying *out);

/* What a backup holds, as its header states it (and, after a keyed check,
 * as counted while decrypting). */
typedef struct kw_backup_info {
	unsigned format;
	char instance_id[33]; /* hex */
	int64_t created;      /* unix seconds */
	kw_backup_keying keying;
	unsigned shares;    /* N of the split that opens it */
	unsigned threshold; /* M */
	char split_id[17];  /* hex; custodians only, else "" */
	char version[32];   /* keywarden version that wrote it */
	uint64_t records;   /* all records, every type */
	uint64_t by_type[KW_REC_TYPE_MAX_ + 1];
	uint64_t audit_entries; /* the trail: seq 1..audit_entries */
	uint64_t chunks;
	uint64_t size;	    /* bytes of the file */
	bool authenticated; /* checked with the key, not only the structure */
} kw_backup_info;

/* A name for the records of a type ("keys", "principals", ...), or NULL
 * for a type this build does not know ("other"). */
const char *kw_backup_type_name(uint32_t type);

/* ---- creating ------------------------------------------------------------ */

/* Receives the file's bytes in order. KW_OK to go on; anything else stops
 * the backup and is returned (a sink on a full disk returns
 * KW_E_STORAGE). */
typedef kw_rc (*kw_backup_write_fn)(void *arg, const void *p, size_t len);

typedef struct kw_backup_params {
	kw_backup_keying keying;
	unsigned shares;    /* custodians: N (1..255) */
	unsigned threshold; /* custodians: M (1..N) */
	size_t chunk_size;  /* 0 = KW_BACKUP_CHUNK_DEFAULT; MIN..MAX */
	int64_t now;	    /* creation time; 0 = the clock */
} kw_backup_params;

/*
 * Writes a backup of store s (whose barrier b must be unsealed) through
 * write. The snapshot is one read transaction: writers go on meanwhile
 * and are not waited for. On KW_OK *out_info (optional) describes it, and
 * for custodians *out_shares holds the N share texts of the backup key
 * (free with kw_barrier_shares_free; handed out once: they are not kept);
 * out_shares may be NULL for the master keying. On failure nothing is
 * returned and the bytes written so far are not a valid backup.
 * KW_OK, KW_E_INVALID (NULL, bad params), KW_E_SEALED, KW_E_NOT_INITIALIZED,
 * KW_E_STORAGE (reading the store), the sink's code, KW_E_CRYPTO,
 * KW_E_NOMEM.
 */
kw_rc kw_backup_create(kw_store *s, kw_barrier *b, const kw_backup_params *p,
		       kw_backup_write_fn write, void *arg,
		       kw_backup_info *out_info, kw_secret ***out_shares);

/* ---- checking and opening ---------------------------------------------- */

/*
 * The check anyone can run without a key: magic, header, chunk framing,
 * the trailer's per-chunk and whole-file SHA-256. *out (optional) gets the
 * header's description (authenticated false). KW_OK, KW_E_INVALID (NULL;
 * not a keywarden backup at all), KW_E_UNSUPPORTED (a newer format),
 * KW_E_INTEGRITY (damaged or truncated; why names where).
 */
KW_WUR kw_rc kw_backup_inspect(const uint8_t *file, size_t len,
			       kw_backup_info *out, char *why, size_t why_len);

/* The key of one backup file. */
typedef struct kw_backup_key kw_backup_key;

/*
 * Rebuilds the key of `file` from share texts: for the master keying the
 * instance's master-key shares (any current split of the same master key
 * works), for custodians the backup key's shares. At least M distinct
 * shares of one split. The key is checked against the header MAC.
 * KW_OK, KW_E_INVALID (NULL, a text that is no share, fewer than M
 * shares, shares of several splits), KW_E_INTEGRITY (a corrupt share, or
 * the file fails kw_backup_inspect), KW_E_EXISTS (the same share twice),
 * KW_E_VERIFY (the shares do not open this backup: another instance's or
 * split's shares, or an edited header), KW_E_CRYPTO, KW_E_NOMEM.
 */
kw_rc kw_backup_key_from_shares(const uint8_t *file, size_t len,
				kw_secret *const *shares, size_t n,
				kw_backup_key **out, char *why, size_t why_len);

/* The key of a master-keyed `file` from the unsealed barrier b (same
 * master key). KW_E_STATE for a custodians backup; KW_E_SEALED; else as
 * kw_backup_key_from_shares. */
kw_rc kw_backup_key_from_barrier(const uint8_t *file, size_t len, kw_barrier *b,
				 kw_backup_key **out, char *why,
				 size_t why_len);

/* Wipes and frees; NULL is allowed. */
void kw_backup_key_free(kw_backup_key *k);

/*
 * The full check: decrypts every chunk, parses every item, and checks the
 * counts against the header and the end marker. *out (optional) gets the
 * counts (authenticated true). KW_OK, KW_E_INVALID (NULL; k made for
 * another file), KW_E_INTEGRITY (damaged, truncated, reordered, a
 * malformed item, counts that disagree), KW_E_VERIFY (a chunk fails
 * authentication), KW_E_NOMEM.
 */
KW_WUR kw_rc kw_backup_verify(const uint8_t *file, size_t len,
			      const kw_backup_key *k, kw_backup_info *out,
			      char *why, size_t why_len);

/* ---- restoring ------------------------------------------------------------ */

typedef struct kw_backup_restore_params {
	/*
	 * NULL: restore into a new instance; everything comes from the
	 * backup. Otherwise the running instance the backup rolls back
	 * (live_instance_id, hex, must be the backup's): its audit trail is
	 * kept whole (the backup's trail must be its beginning, entry for
	 * entry) and its barrier metadata (current split) is kept; its other
	 * instance records (KW_REC_META: the audit keys) must be as in the
	 * backup. live is only read.
	 */
	kw_store *live;
	const char *live_instance_id;
} kw_backup_restore_params;

/*
 * Loads the backup into target, which must be empty (no record, no audit
 * entry), in one write transaction: everything or nothing. Every chunk is
 * authenticated before its items are written; the commit comes after the
 * end marker checked out. On KW_OK *out_master gets the master key of the
 * restored instance (to unseal it with kw_barrier_unseal_with_key) and
 * *out_info (optional) the counts. p may be NULL (a new instance).
 * KW_OK, KW_E_INVALID, KW_E_EXISTS (target not empty), KW_E_DENIED
 * (live_instance_id is another instance), KW_E_CONFLICT (the live trail
 * does not continue the backup's, or instance records changed since),
 * the codes of kw_backup_verify, KW_E_STORAGE (writing target; nothing
 * was written), KW_E_NOMEM.
 */
kw_rc kw_backup_restore(const uint8_t *file, size_t len, const kw_backup_key *k,
			kw_store *target, const kw_backup_restore_params *p,
			kw_backup_info *out_info, kw_secret **out_master,
			char *why, size_t why_len);

/* ---- files: scheduled backups, the atomic swap ---------------------------- */

/* Reads a whole file (at most KW_BACKUP_FILE_MAX bytes) into *out
 * (malloc). KW_OK, KW_E_INVALID, KW_E_NOT_FOUND, KW_E_LIMIT, KW_E_STORAGE. */
#define KW_BACKUP_FILE_MAX (1024ull * 1024u * 1024u)
kw_rc kw_backup_file_read(const char *path, uint8_t **out, size_t *out_len);

/*
 * Writes a master-keyed backup of (s, b) into directory dir as
 * "keywarden-<instance>-<UTC time>.kwb": to a temporary file (mode 0600),
 * fsync, rename, fsync of the directory; then reads it back and verifies
 * it with the key from b; then removes the oldest of this instance's
 * backups in dir beyond `keep` (0 = keep all). out_path (optional, room
 * for PATH_MAX) gets the file's path. On any failure no new file is left
 * behind and the older ones are untouched. KW_OK, KW_E_INVALID,
 * KW_E_SEALED, KW_E_STORAGE (why: e.g. "no space left on device"),
 * the codes of kw_backup_create and kw_backup_verify.
 */
kw_rc kw_backup_file_scheduled(kw_store *s, kw_barrier *b, const char *dir,
			       unsigned keep, int64_t now, char *out_path,
			       kw_backup_info *out_info, char *why,
			       size_t why_len);

/*
 * Puts the database file fresh_path in the place of live_path in one
 * rename(2) (both closed, on one file system; fresh's journal
 * checkpointed). The file being replaced stays reachable as
 * "<live_path>.pre-restore" (a hard link) for the operator. Refuses
 * (KW_E_STATE) when live_path still has a non-empty "-wal" file (it was
 * not closed cleanly: its last commits would be lost). KW_OK, KW_E_INVALID,
 * KW_E_STATE, KW_E_STORAGE.
 */
kw_rc kw_backup_db_swap(const char *fresh_path, const char *live_path,
			char *why, size_t why_len);

/* ---- key transfer (cloning, BYOK) ---------------------------------------- */

typedef enum kw_transfer_wrap {
	/* PKCS#11 CKM_RSA_AES_KEY_WRAP: a fresh AES-256 key wraps the
	 * material with RFC 5649 (KWP) and is itself encrypted with
	 * RSA-OAEP (SHA-256, MGF1-SHA-256, no label) under the receiver's
	 * transport public key: RSA ciphertext || KWP output. */
	KW_TRANSFER_RSA_AES_KWP = 1,
	/* RFC 5649 under an AES key both sides hold (by name). */
	KW_TRANSFER_AES_KWP = 2,
} kw_transfer_wrap;

/* "rsa-aes-kwp", "aes-kwp"; NULL for other values. */
const char *kw_transfer_wrap_name(kw_transfer_wrap w);
kw_rc kw_transfer_wrap_parse(const char *name, kw_transfer_wrap *out);

/*
 * Wraps version `version` (0 = primary) of exportable key (partition,
 * name) for the receiving side: under transport_pub (an RSA public key,
 * SubjectPublicKeyInfo PEM or DER, 2048..4096 bits) for RSA_AES_KWP, or
 * under the AES key wrapping_key of the same partition (usage wrap) for
 * AES_KWP. The material is the PKCS#8 DER of a private key, the raw bytes
 * of a secret key. The caller authorises and gets the quorum first.
 * KW_OK (*out malloc), KW_E_DENIED (not exportable; no such route exists
 * for such a key), KW_E_STATE, KW_E_NOT_FOUND, KW_E_INVALID (bad transport
 * key), KW_E_UNSUPPORTED, KW_E_SEALED, KW_E_CRYPTO, KW_E_NOMEM.
 */
kw_rc kw_backup_transfer_export(kw_keys *ks, const char *partition,
				const char *name, uint32_t version,
				kw_transfer_wrap w,
				const uint8_t *transport_pub,
				size_t transport_pub_len,
				const char *wrapping_key, uint8_t **out,
				size_t *out_len, uint32_t *out_version);

/*
 * Unwraps blob with the key unwrapping_key of spec->partition (an RSA key
 * with usage decrypt for RSA_AES_KWP, an AES key with usage unwrap for
 * AES_KWP; version 0 = primary) and creates key spec from it, as
 * kw_key_import does. KW_OK, KW_E_VERIFY (the blob does not unwrap under
 * that key), KW_E_INVALID (material of another type than spec->type), the
 * codes of kw_key_import.
 */
kw_rc kw_backup_transfer_import(kw_keys *ks, const kw_key_spec *spec,
				kw_transfer_wrap w, const char *unwrapping_key,
				uint32_t unwrapping_version,
				const uint8_t *blob, size_t blob_len,
				kw_key_info **out);

#endif
