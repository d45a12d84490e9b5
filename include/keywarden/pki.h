/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_PKI_H
#define KEYWARDEN_PKI_H

/*
 * Certificate authorities whose keys live in keywarden, issuance under
 * profiles, the certificate inventory, revocation and CRLs, code signing
 * (detached CMS) and an RFC 3161 time-stamping authority (docs/pki.md).
 *
 * Every signature is made by the keys module's sign operation on a key of
 * the CA's partition: no private key leaves the keys module. The pki module
 * does no authorisation and no quorum check (the service does both before
 * calling it, on the CA's key); it does enforce the profiles, the CA
 * hierarchy's rules (path length, name constraints, validity inside the
 * issuer's) and the keys' own rules (state, usages).
 *
 * Records: a CA is a sealed KW_REC_CA record (with its revocation list and
 * its latest CRL), every issued certificate (CA certificates included) a
 * KW_REC_CERT record of its partition, the TSA of a partition a KW_REC_CA
 * record "tsa-<partition>".
 *
 * All functions are thread-safe, return KW_E_SEALED while the barrier is
 * sealed, KW_E_INVALID on bad arguments, KW_E_NOT_FOUND for an unknown CA,
 * certificate, key or TSA, KW_E_INTEGRITY / KW_E_STORAGE from the layers
 * below, KW_E_NOMEM, besides the codes named per function. Where a
 * function takes err/err_len, a refusal (KW_E_INVALID, KW_E_DENIED,
 * KW_E_STATE, KW_E_UNSUPPORTED) is explained there in words fit for the
 * client (no secrets); err may be NULL. Outputs are written only on
 * success.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keywarden/algs.h"
#include "keywarden/barrier.h"
#include "keywarden/keys.h"
#include "keywarden/rc.h"
#include "keywarden/store.h"

#define KW_CA_ID_LEN		35 /* "ca-" + 32 lowercase hex */
#define KW_CERT_SERIAL_MAX	40 /* hex digits of a serial (20 bytes) */
#define KW_CERT_ID_MAX		(2 + KW_CERT_SERIAL_MAX) /* "x-" + serial */
#define KW_PKI_DN_MAX		1024 /* bytes of a name's text form */
#define KW_PKI_NAME_MAX		260  /* bytes of "DNS:..." and the like */
#define KW_PROFILE_PATTERNS_MAX 16
#define KW_CA_CONSTRAINTS_MAX	16 /* permitted, and again excluded */
#define KW_PKI_DAYS_MAX		36500
#define KW_TSA_POLICY_MAX	64

/* Issuance profiles. Stable numbers (stored). */
typedef enum kw_profile {
	KW_PROFILE_NONE = 0,
	KW_PROFILE_TLS_SERVER = 1,
	KW_PROFILE_TLS_CLIENT = 2,
	KW_PROFILE_CODE_SIGNING = 3,
	KW_PROFILE_DEVICE = 4,
	KW_PROFILE_TIME_STAMPING = 5,
	KW_PROFILE_CA = 6, /* CA certificates (not requestable) */
	KW_PROFILE_COUNT_
} kw_profile;

/* "tls-server", "tls-client", "code-signing", "device", "time-stamping",
 * "ca"; NULL otherwise. */
const char *kw_profile_name(kw_profile p);
/* KW_E_INVALID for an unknown name (and for "ca"). */
kw_rc kw_profile_parse(const char *name, kw_profile *out);

/*
 * A CA's rules for one requestable profile. names are the allowed
 * subjectAltName patterns ("DNS:example.com", "DNS:*.example.com" (one
 * label), "DNS:.example.com" (any depth), "DNS:*" (any), "IP:10.0.0.0/8",
 * "email:*@example.com", "URI:spiffe://example.com/x*" (a prefix)); cn the
 * allowed common-name patterns ('*' matches any run of characters). An
 * empty list means the profile's default (docs/pki.md). max_days 0 means
 * the profile's default maximum.
 */
typedef struct kw_profile_rules {
	bool enabled;
	uint32_t max_days;
	size_t n_names;
	char names[KW_PROFILE_PATTERNS_MAX][KW_PKI_NAME_MAX + 1];
	size_t n_cn;
	char cn[KW_PROFILE_PATTERNS_MAX][KW_PKI_NAME_MAX + 1];
} kw_profile_rules;

/* The maximum validity of profile p under rules r (r->max_days, or the
 * profile's default when 0), in days; 0 for "ca" and unknown profiles. */
uint32_t kw_profile_max_days(kw_profile p, const kw_profile_rules *r);

/* The built-in rules of profile p (every requestable profile enabled, the
 * default maximum validity, no patterns = the defaults). */
void kw_profile_rules_default(kw_profile p, kw_profile_rules *out);

typedef struct kw_pki_config {
	/* Where the CRL of every CA is written (as <partition>/<ca>.crl,
	 * DER, and <ca>.crl.pem) when it changes; NULL = not written. */
	const char *crl_dir;
	/* Clock (unix seconds); NULL = time(). */
	int64_t (*now)(void *now_arg);
	void *now_arg;
} kw_pki_config;

typedef struct kw_pki kw_pki;

/* cfg may be NULL. b, s and ks must outlive the handle. */
kw_rc kw_pki_open(kw_barrier *b, kw_store *s, kw_keys *ks,
		  const kw_pki_config *cfg, kw_pki **out);
void kw_pki_free(kw_pki *p);

/* ---- certificate authorities ------------------------------------------------- */

typedef struct kw_ca_info {
	char id[KW_CA_ID_LEN + 1];
	char partition[KW_NAME_MAX + 1];
	char name[KW_NAME_MAX + 1];
	char key[KW_NAME_MAX + 1]; /* the CA key's name */
	char key_id[KW_KEY_ID_LEN + 1];
	kw_key_type key_type;
	char parent[KW_NAME_MAX + 1]; /* "" for a root */
	char parent_id[KW_CA_ID_LEN + 1];
	unsigned depth; /* 0 for a root */
	char subject[KW_PKI_DN_MAX + 1];
	char serial[KW_CERT_SERIAL_MAX + 1];
	int64_t not_before, not_after, created;
	int path_len; /* -1 = no limit */
	size_t n_permitted, n_excluded;
	char permitted[KW_CA_CONSTRAINTS_MAX][KW_PKI_NAME_MAX + 1];
	char excluded[KW_CA_CONSTRAINTS_MAX][KW_PKI_NAME_MAX + 1];
	kw_profile_rules profiles[KW_PROFILE_COUNT_]; /* [0] and [CA] unused */
	char crl_url[KW_PKI_NAME_MAX + 1];	      /* "" = none */
	uint32_t crl_days;
	uint64_t crl_number; /* of the latest CRL; 0 = none yet */
	int64_t crl_next_update;
	size_t revoked;
	bool quorum; /* created with a quorum on its key's signatures */
	char created_by[KW_NAME_MAX + 1];
	uint8_t *cert; /* DER (malloc) */
	size_t cert_len;
	uint64_t record_version;
} kw_ca_info;

void kw_ca_info_free(kw_ca_info *c);

typedef struct kw_ca_spec {
	const char *partition;
	const char *name; /* [A-Za-z0-9._-], 1..KW_NAME_MAX */
	/* The CA's key: created as a new key of key_type named key (with
	 * policy key_policy), or, when key_type is KW_KEY_NONE, the existing
	 * key `key` (intermediates only: a root's key is always born with
	 * it). */
	const char *key;
	kw_key_type key_type;
	const char *key_policy;
	const char *parent;  /* NULL = a root */
	const char *subject; /* "CN=Example Root,O=Example" */
	uint32_t days;	     /* 1..KW_PKI_DAYS_MAX */
	int path_len;	     /* -1 = no limit (or the parent's limit - 1) */
	const char *const *permitted; /* name constraints, "DNS:..." */
	size_t n_permitted;
	const char *const *excluded;
	size_t n_excluded;
	const char *crl_url; /* NULL = no cRLDistributionPoints */
	uint32_t crl_days;   /* CRL validity; 0 = 7 */
	/* NULL = the defaults; else [KW_PROFILE_COUNT_] ([0], [CA] unused) */
	const kw_profile_rules *profiles;
	bool quorum; /* recorded: key_policy puts a quorum on signing */
	const char *created_by;
} kw_ca_spec;

/*
 * Creates a CA: its key (or takes the existing one), its certificate
 * (self-signed for a root; signed by the parent's key otherwise), the
 * CA record and the certificate's inventory record. A key created here is
 * destroyed again if a later step fails.
 * KW_E_EXISTS: a CA of that name, or (new key) a key of that name;
 * KW_E_NOT_FOUND: the parent or the existing key;
 * KW_E_INVALID: a malformed subject, constraint, profile rule, name, days;
 *   an existing key for a root; a validity past the parent's;
 * KW_E_STATE: the parent's path length allows no further CA, or a key
 *   state that does not allow signing;
 * KW_E_UNSUPPORTED: a key type that cannot sign certificates;
 * KW_E_DENIED: the key lacks the sign usage.
 */
kw_rc kw_ca_create(kw_pki *p, const kw_ca_spec *spec, kw_ca_info **out,
		   char *err, size_t err_len);

kw_rc kw_ca_get(kw_pki *p, const char *partition, const char *name,
		kw_ca_info **out);

/* Every CA of a partition (in id order; there are few); free with
 * kw_ca_list_free. */
kw_rc kw_ca_list(kw_pki *p, const char *partition, kw_ca_info ***out,
		 size_t *out_n);
void kw_ca_list_free(kw_ca_info **list, size_t n);

/* The CA's certificate and those of its ancestors, the CA's first and the
 * root's last; free with kw_ca_chain_free. */
kw_rc kw_ca_chain(kw_pki *p, const char *partition, const char *name,
		  uint8_t ***out, size_t **out_lens, size_t *out_n);
void kw_ca_chain_free(uint8_t **certs, size_t *lens, size_t n);

/* Replaces a CA's profile rules and CRL settings (what is set). */
typedef struct kw_ca_update {
	const kw_profile_rules *profiles; /* NULL = unchanged */
	unsigned profiles_set; /* bit per kw_profile replaced; 0 = all */
	const char *crl_url;   /* NULL = unchanged, "" = none */
	uint32_t crl_days;     /* 0 = unchanged */
} kw_ca_update;

kw_rc kw_ca_update_rules(kw_pki *p, const char *partition, const char *name,
			 const kw_ca_update *u, kw_ca_info **out, char *err,
			 size_t err_len);

/* ---- issuance and the inventory --------------------------------------------------- */

typedef enum kw_cert_status {
	KW_CERT_VALID = 1,
	KW_CERT_REVOKED = 2,
} kw_cert_status;

typedef struct kw_cert_info {
	char id[KW_CERT_ID_MAX + 1];
	char serial[KW_CERT_SERIAL_MAX + 1]; /* lowercase hex */
	char partition[KW_NAME_MAX + 1];
	char ca[KW_NAME_MAX + 1];
	char ca_id[KW_CA_ID_LEN + 1];
	kw_profile profile;
	char subject[KW_PKI_DN_MAX + 1];
	char *sans; /* "DNS:a.example.com,IP:10.0.0.1" or "" (malloc) */
	int64_t not_before, not_after, created;
	kw_cert_status status;
	int64_t revoked_at;
	unsigned reason;	   /* RFC 5280 reason code when revoked */
	char key[KW_NAME_MAX + 1]; /* "" unless issued for a keywarden key */
	char key_id[KW_KEY_ID_LEN + 1];
	char issued_by[KW_NAME_MAX + 1];
	uint8_t *der; /* malloc */
	size_t der_len;
	uint64_t record_version;
} kw_cert_info;

void kw_cert_info_free(kw_cert_info *c);

typedef struct kw_issue_req {
	const char *partition;
	const char *ca;
	kw_profile profile;
	/* The subject key: a PKCS#10 request (PEM or DER; its signature is
	 * checked) or the name of a key of the partition (not both). */
	const uint8_t *csr;
	size_t csr_len;
	const char *key;
	/* Overrides of what the request asks (required with key): */
	const char *subject;	 /* NULL = the request's */
	const char *const *sans; /* used when sans_set */
	size_t n_sans;
	bool sans_set;
	uint32_t days; /* 0 = the profile's maximum, cut at the CA's end */
	const char *issued_by;
} kw_issue_req;

/*
 * Issues a certificate under the CA's rules for the profile. The profile
 * decides key usage, extended key usage and basic constraints; names are
 * checked against its patterns and the CA chain's name constraints;
 * nothing else the request asks for is copied. Refused (KW_E_INVALID with
 * err): a name, SAN type or subject attribute the profile does not allow;
 * a requested extended key usage outside the profile's; a request for a
 * CA; a keyUsage beyond the profile's; a validity over the profile's
 * maximum or past the CA's own expiry (a validity that is asked for is
 * never cut short; one that is not is the profile's maximum cut at the
 * CA's expiry). KW_E_VERIFY: the request's signature does not verify;
 * KW_E_UNSUPPORTED: a key type the CA does not certify; KW_E_STATE: the
 * profile is disabled for this CA, the CA's key cannot sign (state).
 */
kw_rc kw_cert_issue(kw_pki *p, const kw_issue_req *r, kw_cert_info **out,
		    char *err, size_t err_len);

/* By serial (hex, any case, with or without leading zeros) or id. */
kw_rc kw_cert_get(kw_pki *p, const char *partition, const char *serial_or_id,
		  kw_cert_info **out);

typedef struct kw_cert_filter {
	const char *ca;	    /* NULL = any CA */
	kw_profile profile; /* NONE = any */
	const char *key;    /* NULL = any */
	int status;	    /* 0 = any, or a kw_cert_status */
} kw_cert_filter;

/* One page of a partition's certificates in id order after cursor (NULL =
 * from the start; else an id), at most limit (1..1000); filter may be
 * NULL. Filters are applied while scanning. *out_next: the next page's
 * cursor or NULL. Free with kw_cert_list_free. */
kw_rc kw_cert_list(kw_pki *p, const char *partition, const kw_cert_filter *f,
		   const char *cursor, size_t limit, kw_cert_info ***out,
		   size_t *out_n, char **out_next);
void kw_cert_list_free(kw_cert_info **list, size_t n, char *next);

/*
 * Revokes a certificate with an RFC 5280 reason (0..6, 8..10; 8
 * removeFromCRL is refused) and re-signs its CA's CRL at once, so the next
 * CRL lists it. KW_E_STATE: already revoked; a root's own certificate
 * (retire a root instead). out (optional) gets the certificate.
 */
kw_rc kw_cert_revoke(kw_pki *p, const char *partition, const char *serial_or_id,
		     unsigned reason, kw_cert_info **out, char *err,
		     size_t err_len);

/* ---- CRLs -------------------------------------------------------------------- */

/* The CA's current CRL (DER, malloc): the stored one while it is younger
 * than half its validity, else a freshly signed one (stored, and written
 * to the CRL directory). *out_number (optional) its cRLNumber. KW_E_STATE
 * when none can be signed (the CA key's state). */
kw_rc kw_ca_crl(kw_pki *p, const char *partition, const char *name,
		uint8_t **out, size_t *out_len, uint64_t *out_number);

/* Housekeeping: re-signs every CRL past half its validity and writes the
 * CRL files that are missing or out of date. *out_count (optional): CRLs
 * signed. Scans every CA (the scheduler's job). */
kw_rc kw_pki_tick(kw_pki *p, size_t *out_count);

/* ---- code signing ------------------------------------------------------------ */

typedef struct kw_codesign_req {
	const char *partition;
	const char *key; /* the signing key (name or id) */
	/* The signer's certificate: an inventory certificate (serial or id),
	 * whose CA chain is included; or PEM text whose first certificate
	 * is the signer's and whose others are included as its chain. */
	const char *cert;
	const char *cert_pem;
	size_t cert_pem_len;
	kw_hash hash; /* SHA-256, SHA-384 or SHA-512 */
	const uint8_t *digest;
	size_t digest_len;
} kw_codesign_req;

/*
 * A detached CMS SignedData over the content whose digest is given, by
 * the key, carrying the signer's certificate and chain. The certificate
 * must be the key's (same public key), currently valid, not revoked (an
 * inventory certificate), and allow code signing (extendedKeyUsage
 * codeSigning). KW_E_INVALID with err otherwise; KW_E_UNSUPPORTED for an
 * Ed25519 key (docs/pki.md). Output DER (malloc); *out_cert_serial
 * (optional, KW_CERT_SERIAL_MAX + 1) the certificate's serial.
 */
kw_rc kw_codesign(kw_pki *p, const kw_codesign_req *r, uint8_t **out,
		  size_t *out_len, char *out_cert_serial, char *err,
		  size_t err_len);

/* ---- time stamping ------------------------------------------------------------ */

typedef struct kw_tsa_info {
	char partition[KW_NAME_MAX + 1];
	char cert_id[KW_CERT_ID_MAX + 1];
	char serial[KW_CERT_SERIAL_MAX + 1];
	char key[KW_NAME_MAX + 1];
	char policy[KW_TSA_POLICY_MAX + 1];
	int64_t updated;
	uint64_t record_version;
} kw_tsa_info;

/* Makes the inventory certificate serial_or_id the partition's TSA
 * certificate: it must be of the time-stamping profile, issued for a
 * keywarden key, valid and not revoked (KW_E_INVALID with err). policy is
 * the TSA policy OID (dotted; NULL = keywarden's default). */
kw_rc kw_tsa_set(kw_pki *p, const char *partition, const char *serial_or_id,
		 const char *policy, kw_tsa_info *out, char *err,
		 size_t err_len);
kw_rc kw_tsa_get(kw_pki *p, const char *partition, kw_tsa_info *out);

/* What a time stamp said, for the audit trail. */
typedef struct kw_tsa_result {
	bool granted;
	char serial[KW_CERT_SERIAL_MAX + 1]; /* of the token */
	char reason[96];		     /* why rejected */
} kw_tsa_result;

/*
 * Answers a DER TimeStampReq with a DER TimeStampResp (malloc): granted,
 * signed by the partition's TSA key with its certificate (and the chain
 * when the request asks for certificates); or a rejection response for a
 * request that is malformed, uses another hash than SHA-256/384/512, asks
 * for another policy or carries extensions. KW_E_NOT_FOUND: no TSA is set;
 * KW_E_STATE: its certificate expired or was revoked, or its key cannot
 * sign; other codes when no response can be made.
 */
kw_rc kw_tsa_stamp(kw_pki *p, const char *partition, const uint8_t *req,
		   size_t req_len, uint8_t **out, size_t *out_len,
		   kw_tsa_result *result);

#endif
