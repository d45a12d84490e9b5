/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_SERVICE_ATTEST_INT_H
#define KW_SERVICE_ATTEST_INT_H

/*
 * Shared by svc_attest.c, svc_attest_store.c and svc_tpm.c only: the
 * in-memory state of the TPM features (svc->attest) and the record
 * helpers. Pending enrollments, outstanding nonces and grants are small
 * bounded tables under one mutex; none of it is a secret worth more than
 * its few minutes of life, but credentials are still compared in constant
 * time and wiped.
 */

#include <pthread.h>

#include "keywarden/tpm.h"
#include "service/internal.h"
#include "service/svc_attest.h"

#define ATT_PENDING_MAX 64
#define ATT_NONCES_MAX	256
#define ATT_GRANTS_MAX	1024
#define ATT_ID_LEN	34 /* "e-"/"g-" + 32 hex */

typedef struct att_pending {
	char id[ATT_ID_LEN + 1];
	char partition[KW_NAME_MAX + 1];
	char name[KW_NAME_MAX + 1];
	char policy[KW_NAME_MAX + 1];
	uint32_t roles;
	uint8_t cred[32];
	char *ek_b64, *ak_b64; /* malloc; agents */
	bool device;	       /* a device key's proof: name is the agent */
	char *key_b64;	       /* malloc; devices */
	int64_t expires;
} att_pending;

typedef struct att_nonce {
	char partition[KW_NAME_MAX + 1];
	char principal[KW_NAME_MAX + 1];
	uint8_t nonce[32];
	int64_t expires;
} att_nonce;

typedef struct att_grant {
	char id[ATT_ID_LEN + 1];
	char partition[KW_NAME_MAX + 1];
	char principal[KW_NAME_MAX + 1];
	uint8_t evidence[32];
	int64_t expires;
} att_grant;

struct kw_svc_attest {
	pthread_mutex_t mu;
	char *tcti, *seal_file, *ek_ca_file;
	kw_tpm_pcrsel seal_pcrs;
	uint64_t grant_ttl_s, challenge_ttl_s;
	/* auto-unseal state, for status and health */
	char unseal_state[16]; /* "none", "ok", "failed" */
	char unseal_reason[KW_SVC_REASON_MAX];
	att_pending pending[ATT_PENDING_MAX];
	att_nonce nonces[ATT_NONCES_MAX];
	att_grant grants[ATT_GRANTS_MAX];
};

/* Now, in unix seconds. */
int64_t att_now(void);

/* A record of type KW_REC_AGENT by lookup name ("agent/<p>/<name>",
 * "attest-policy/<p>/<name>"): its JSON document, id and version.
 * KW_OK, KW_E_NOT_FOUND, barrier codes. */
kw_rc att_rec_get(kw_service *svc, const char *lookup, json_t **out_doc,
		  char *out_id, uint64_t *out_version);
/* Writes doc as record id (expected_version 0: create) in group
 * partition under lookup. */
kw_rc att_rec_put(kw_service *svc, const char *partition, const char *lookup,
		  const char *id, const json_t *doc, uint64_t expected_version);

/* The attestation policy name of partition: its PCR selection and golden
 * values document ("golden" member). KW_OK, KW_E_NOT_FOUND,
 * KW_E_INTEGRITY (a stored policy that does not parse). */
kw_rc att_policy_load(kw_service *svc, const char *partition, const char *name,
		      kw_tpm_pcrsel *out_sel, json_t **out_doc);

/* sel as text, "sha256:0,7" (out has room for n bytes; 96 is enough). */
void att_sel_text(const kw_tpm_pcrsel *sel, char *out, size_t n);

/* The calling agent's record (out_id, out_ver optional) and its policy's
 * selection and document. KW_OK; KW_E_DENIED (not an enrolled agent, or
 * its policy is gone: ev.reason says so); store codes. */
kw_rc att_agent_of(kw_service *svc, kw_svc_call *c, json_t **out_rec,
		   char *out_id, uint64_t *out_ver, kw_tpm_pcrsel *out_sel,
		   json_t **out_pol);

/* Frees what a pending entry owns and clears it. */
void att_pending_clear(att_pending *p);

/* A new pending entry (the oldest or an expired one gives way); the
 * caller fills it under a->mu, which this takes. */
att_pending *att_pending_slot(struct kw_svc_attest *a);

/* Takes the unexpired pending entry id of partition (and, for devices,
 * of principal) out of the table into *out. */
bool att_pending_take(struct kw_svc_attest *a, const char *id,
		      const char *partition, bool device, att_pending *out);

/* The bytes of rec's base64 member (malloc). KW_OK, KW_E_INTEGRITY (absent
 * or malformed: a record keywarden wrote), KW_E_NOMEM. */
kw_rc att_rec_bytes(const json_t *rec, const char *member, uint8_t **out,
		    size_t *out_len);

/* A fresh 32-byte credential in *out_cred and TPM2_MakeCredential's
 * outputs for it (the object name under ek_pub): see
 * kw_tpm_credential_make. */
kw_rc att_credential(const uint8_t *ek_pub, size_t ek_pub_len,
		     const uint8_t *name, size_t name_len, kw_secret **out_cred,
		     uint8_t **out_blob, size_t *out_blob_len,
		     uint8_t **out_secret, size_t *out_secret_len);

/* base64 of p[0..n) (malloc), NULL if out of memory. */
char *att_b64(const uint8_t *p, size_t n);

/* A random id "<prefix>-" + 32 hex. */
kw_rc att_new_id(char prefix, char out[ATT_ID_LEN + 1]);

#endif
