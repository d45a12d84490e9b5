/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_BACKUP_INTERNAL_H
#define KW_BACKUP_INTERNAL_H

/*
 * Shared inside src/lib/backup only.
 *
 *   format.c    header codec, the file layout, the keyless check
 *   keying.c    file keys: derivation, custodians' shares, the header MAC
 *   stream.c    the chunked AES-GCM stream (writer and reader) and items
 *   create.c    the snapshot
 *   restore.c   the keyed check and the restore
 *   files.c     scheduled backups, reading files, the database swap
 *   transfer.c  key export and import (wrapping)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "keywarden/backup.h"

#define BK_MAGIC	"KWBACKUP"
#define BK_TRAIL_MAGIC	"KWBTRAIL"
#define BK_MAGIC_LEN	8
#define BK_MAC_LEN	32
#define BK_SHA_LEN	32
#define BK_SALT_LEN	32
#define BK_SPLIT_LEN	8
#define BK_INSTANCE_LEN 16
#define BK_HEADER_MAX	8192 /* bytes of the header TLV */

/* The barrier's own records, treated specially on a running restore. */
#define BK_META_BARRIER "barrier"
#define BK_META_ROOT	"root"

/* Writes a reason (printf-style) into why[0..why_len) if why is set. */
void bk_why(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void bk_be32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline void bk_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint32_t bk_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t bk_be64_get(const uint8_t *p)
{
	return (uint64_t)bk_be32_get(p) << 32 | bk_be32_get(p + 4);
}

/* ---- the header (format.c) ---------------------------------------------- */

typedef struct bk_header {
	uint64_t format;
	uint8_t instance_id[BK_INSTANCE_LEN];
	int64_t created;
	uint64_t keying;
	uint8_t salt[BK_SALT_LEN];
	uint8_t split_id[BK_SPLIT_LEN]; /* custodians; zero for master */
	uint64_t shares, threshold;
	uint64_t chunk_size;
	uint64_t records;
	uint64_t audit_entries;
	uint64_t by_type[KW_REC_TYPE_MAX_ + 1];
	char version[32];
} bk_header;

/* Encodes h into *out (malloc). */
kw_rc bk_header_encode(const bk_header *h, uint8_t **out, size_t *out_len);
/* Strict parser of untrusted input: KW_OK, KW_E_UNSUPPORTED (a newer
 * format), KW_E_INTEGRITY (anything malformed). */
kw_rc bk_header_decode(const uint8_t *p, size_t len, bk_header *out);

/* A parsed file: where everything is. Points into the caller's bytes. */
typedef struct bk_layout {
	const uint8_t *file;
	size_t len;
	bk_header h;
	size_t mac_off;	    /* the header MAC; the header is [12, mac_off) */
	size_t chunks_off;  /* first chunk record */
	size_t trailer_off; /* "KWBTRAIL" */
	uint64_t chunks;
	uint8_t aad_digest[BK_SHA_LEN]; /* SHA-256 of [0, chunks_off) */
} bk_layout;

/* Parses and checks the structure and the SHA-256 manifest (the keyless
 * check). Codes as kw_backup_inspect. */
kw_rc bk_layout_parse(const uint8_t *file, size_t len, bk_layout *out,
		      char *why, size_t why_len);

/* Fills info from the layout's header. */
void bk_info_from_header(const bk_layout *l, kw_backup_info *out);

/* ---- file keys (keying.c) ----------------------------------------------- */

struct kw_backup_key {
	kw_ckey *enc;	   /* AES-256-GCM: chunks */
	kw_secret *mac;	   /* HMAC-SHA-256: the header */
	kw_secret *master; /* master keying: the master key; else NULL */
	uint8_t aad_digest[BK_SHA_LEN]; /* of the file it opens */
};

/* The file key of base (master key or backup key) and salt, unchecked. */
kw_rc bk_key_derive(const kw_secret *base, const uint8_t salt[BK_SALT_LEN],
		    kw_backup_key **out);

/* HMAC of the header bytes [0, mac_off) into mac. */
kw_rc bk_header_mac(const kw_backup_key *k, const uint8_t *file, size_t mac_off,
		    uint8_t mac[static BK_MAC_LEN]);

/* Splits secret (32 bytes) into n share texts with threshold m under a
 * fresh split id (written to split_id). */
kw_rc bk_shares_split(const kw_secret *secret, unsigned n, unsigned m,
		      uint8_t split_id[BK_SPLIT_LEN], kw_secret ***out);

/* ---- the chunk stream (stream.c) ---------------------------------------- */

enum {
	BK_ITEM_RECORD = 1,
	BK_ITEM_AUDIT = 2,
	BK_ITEM_MASTER = 3,
	BK_ITEM_END = 4,
};
#define BK_ITEM_HDR_LEN 5 /* u8 kind, u32 body length */
#define BK_ITEM_MAX	(KW_STORE_DATA_MAX + 256u)

typedef struct bk_writer bk_writer;

/* A writer emitting the file through write: header bytes (magic .. MAC)
 * are passed in, chunks follow as items are added, finish writes the
 * last chunk and the trailer. */
kw_rc bk_writer_new(const kw_backup_key *k, size_t chunk_size,
		    kw_backup_write_fn write, void *arg, bk_writer **out);
/* Bytes outside the chunks (the head, before any item). */
kw_rc bk_writer_raw(bk_writer *w, const void *p, size_t len);
/* Payload plaintext, chunked and sealed as it fills chunks. */
kw_rc bk_writer_plain(bk_writer *w, const void *p, size_t len);
kw_rc bk_writer_item(bk_writer *w, uint8_t kind, const void *a, size_t a_len,
		     const void *b, size_t b_len);
/* magic | u32 length | header | MAC of h, written raw; sets
 * k->aad_digest (create.c). */
kw_rc bk_head_write(bk_writer *w, kw_backup_key *k, const bk_header *h);
kw_rc bk_writer_finish(bk_writer *w, uint64_t *out_chunks, uint64_t *out_size);
void bk_writer_free(bk_writer *w);

/* A reader over a parsed, keyed file. next gives the items in order: the
 * body is valid until the next call (a secret buffer: it may be the
 * master key). KW_E_NOT_FOUND after the last item of the last chunk. */
typedef struct bk_reader bk_reader;
kw_rc bk_reader_new(const bk_layout *l, const kw_backup_key *k,
		    bk_reader **out);
kw_rc bk_reader_next(bk_reader *r, uint8_t *out_kind, const uint8_t **out_body,
		     size_t *out_len, char *why, size_t why_len);
void bk_reader_free(bk_reader *r);

/* A RECORD item body <-> a store record (data points into the body). */
kw_rc bk_record_encode_head(const kw_store_rec *rec, uint8_t *out,
			    size_t *out_len);
#define BK_RECORD_HEAD_MAX \
	(4 + 8 + 1 + 2 * KW_STORE_TAG_LEN + 1 + KW_STORE_ID_MAX)
kw_rc bk_record_decode(const uint8_t *p, size_t len, kw_store_rec *out);

#endif
