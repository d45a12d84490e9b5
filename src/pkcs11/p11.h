/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_PKCS11_P11_H
#define KW_PKCS11_P11_H

/*
 * libkeywarden-pkcs11.so: PKCS#11 3.0 (and 2.40) as a client of keywardend
 * (docs/pkcs11.md). Shared by the files of src/pkcs11 only.
 *
 *   entry.c    the C_* functions (one line each) and the function lists
 *   module.c   C_Initialize/C_Finalize, the module state, fork, CK_RV map
 *   config.c   KEYWARDEN_PKCS11_CONF / KEYWARDEN_ADDR
 *   conn.c     the pool of daemon connections, one request
 *   slot.c     slots and tokens, mechanisms, C_InitToken/InitPIN/SetPIN
 *   session.c  sessions, login, logout
 *   object.c   object handles, objects from the daemon's JSON
 *   attr.c     attribute values, template matching, C_SetAttributeValue
 *   names.c    labels as key names, curve parameters, public key DER
 *   find.c     C_FindObjects* (answered by the daemon's indexes)
 *   keygen.c   key generation, object creation and destruction
 *   mech.c     the mechanism table and mechanism parameters
 *   op.c       sign, verify, encrypt, decrypt, digest, random
 *
 * Locks, outermost first: a session's lock (held for a whole operation on
 * that session, also across its request); the module's table lock (rwlock:
 * sessions, objects; never held across a request); a slot's lock (login
 * state); the pool's lock. No lock but a session's own is ever held while
 * a request is in flight.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Debian's PKCS#11 3.0 headers (libnss3-dev, headers only; see
 * docs/pkcs11.md): CK_INTERFACE, CK_FUNCTION_LIST_3_0, CKM_EDDSA, ... */
#include <pkcs11.h>

#include "client/client.h"
#include "keywarden/algs.h"
#include "keywarden/rc.h"

#define P11_PIN_MIN	    4
#define P11_PIN_MAX	    64
#define P11_SLOTS_MAX	    64
#define P11_NAME_MAX	    64 /* key and partition names */
#define P11_KEY_ID_LEN	    34 /* "k-" + 32 hex */
#define P11_ATTR_MAX	    (1u << 20)
#define P11_INPUT_MAX	    (16u * 1024u * 1024u) /* buffered op input */
#define P11_CKA_KW_VERSION  (CKA_VENDOR_DEFINED | 0x4b570001UL)
#define P11_CKA_KW_KEY_NAME (CKA_VENDOR_DEFINED | 0x4b570002UL)

/* ---- config.c ------------------------------------------------------------ */

typedef struct p11_config {
	char *addr;
	char *cacert;
	char *cert;
	char *key;
	char *token_file;	/* base credential: public objects, slots */
	char *token_env;	/* default KEYWARDEN_TOKEN */
	char *admin_token_file; /* C_InitToken: a system security officer */
	char *admin_token_env;
	char *user; /* principal whose password is the user PIN */
	char *so;   /* principal whose password is the SO PIN */
	char **partitions;
	size_t n_partitions;
	int connect_timeout_ms;
	int io_timeout_ms;
	unsigned pool_max;
	long long destroy_wait_s; /* -1: the daemon's default */
	bool show_versions;	  /* older key versions as objects */
} p11_config;

/* Reads $KEYWARDEN_PKCS11_CONF, else takes $KEYWARDEN_ADDR and
 * $KEYWARDEN_CACERT. CKR_OK, CKR_GENERAL_ERROR (message logged),
 * CKR_HOST_MEMORY. */
CK_RV p11_config_load(p11_config *out);
void p11_config_clear(p11_config *c);

/* ---- module.c ------------------------------------------------------------ */

typedef enum p11_ctx {
	P11_CTX_GENERIC = 0,
	P11_CTX_TOKEN,	 /* presence: unreachable is "token not present" */
	P11_CTX_LOGIN,	 /* bad credential is "PIN incorrect" */
	P11_CTX_SIGN,	 /* sign, mac, encrypt: data problems */
	P11_CTX_VERIFY,	 /* verification failure is "signature invalid" */
	P11_CTX_DECRYPT, /* a ciphertext that does not open */
} p11_ctx;

/* The one kw_rc -> CK_RV mapping. */
CK_RV p11_rv(kw_rc rc, p11_ctx ctx);

/* Wipes n bytes at p (OPENSSL_cleanse through kw_wipe). */
void p11_wipe(void *p, size_t n);
/* Wipes and frees a buffer of n bytes. NULL is allowed. */
void p11_free_wiped(void *p, size_t n);

/* Blank-padded copy of s into a fixed PKCS#11 text field. */
void p11_pad(CK_UTF8CHAR *dst, size_t n, const char *s);

typedef struct p11_slot p11_slot;
typedef struct p11_session p11_session;
typedef struct p11_obj p11_obj;
typedef struct p11_pool p11_pool;

typedef struct p11_module {
	p11_config cfg;
	p11_pool *pool;
	char *base_token; /* from token_file / token_env; wiped */
	size_t base_token_len;
	p11_slot *slots[P11_SLOTS_MAX];
	size_t n_slots;
	bool slots_listed;
	pthread_mutex_t slots_lock; /* the slot list */

	pthread_rwlock_t lock; /* sessions[] and objs[] */
	p11_session **sessions;
	size_t n_sessions; /* handle h is sessions[h - 1] */
	p11_obj **objs;
	size_t n_objs; /* handle h is objs[h - 1] */
	struct p11_objmap *objmap;
} p11_module;

/* The initialised module, or NULL (not initialised, or this process is a
 * fork child that has not called C_Initialize again). */
p11_module *p11_module_get(void);

CK_RV p11_initialize(CK_VOID_PTR args);
CK_RV p11_finalize(CK_VOID_PTR reserved);
CK_RV p11_get_info(CK_INFO_PTR info);

/* ---- conn.c -------------------------------------------------------------- */

kw_rc p11_pool_new(const p11_config *cfg, p11_pool **out);
void p11_pool_free(p11_pool *p);
/* After fork: forget the parent's connections without touching them (no
 * TLS close_notify may reach the parent's sessions). */
void p11_pool_abandon(p11_pool *p);

typedef struct p11_cred {
	const char *token; /* NULL: none */
	size_t len;
	uint64_t tag; /* distinct per credential, so a pooled connection
		       * knows when to swap its token */
} p11_cred;

/*
 * One request to the daemon as the slot's current principal (logged in,
 * else the base credential; or cred when not NULL). *out_status, *out
 * optional; on failure *out_err (optional) gets the client's error. A
 * failure to reach the daemon is logged (once per outage) on stderr.
 */
kw_rc p11_call(p11_module *m, p11_slot *slot, const p11_cred *cred,
	       const char *method, const char *path, json_t *body,
	       long *out_status, json_t **out, kw_client_error *out_err);

/* ---- slot.c --------------------------------------------------------------- */

struct p11_slot {
	CK_SLOT_ID id;
	char partition[P11_NAME_MAX + 1];
	pthread_mutex_t lock; /* the fields below */
	CK_USER_TYPE user;    /* P11_NOBODY when logged out */
	char *token;	      /* logged-in credential; wiped */
	size_t token_len;
	bool token_revoke; /* a session token of ours: revoke at logout */
	char principal[P11_NAME_MAX + 1];
	char login_name[P11_NAME_MAX + 1]; /* for C_SetPIN */
	uint64_t tag;			   /* changes at login and logout */
	unsigned n_sessions;
	unsigned n_rw_sessions;
};

#define P11_NOBODY ((CK_USER_TYPE)0xffffffffUL)

CK_RV p11_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR n);
CK_RV p11_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info);
CK_RV p11_token_info(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info);
CK_RV p11_mech_list(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n);
CK_RV p11_mech_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type,
		    CK_MECHANISM_INFO_PTR info);
CK_RV p11_init_token(CK_SLOT_ID id, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len,
		     CK_UTF8CHAR_PTR label);
CK_RV p11_slot_get(p11_module *m, CK_SLOT_ID id, p11_slot **out);
void p11_slot_free(p11_slot *s);
bool p11_slot_logged_in(p11_slot *s);

/* ---- session.c ------------------------------------------------------------- */

typedef enum p11_op_kind {
	P11_OP_SIGN = 0,
	P11_OP_VERIFY,
	P11_OP_ENCRYPT,
	P11_OP_DECRYPT,
	P11_OP_DIGEST,
	P11_OP_KINDS_
} p11_op_kind;

typedef struct p11_mech p11_mech;
typedef struct kw_digest_ctx kw_digest_ctx;

/* A key as an operation uses it: copied from its object at Init, so the
 * operation needs no lookup (and no request) until it runs. */
typedef struct p11_keyref {
	char name[P11_NAME_MAX + 1];
	kw_key_type type;
	uint32_t version;
	bool primary;
} p11_keyref;

typedef struct p11_op {
	bool active;
	const p11_mech *mech;
	p11_keyref key;
	kw_digest_ctx *dctx; /* hash-and-sign, digest */
	uint8_t *buf;	     /* buffered input (wiped) */
	size_t len, cap;
	/* parameters */
	kw_hash hash;
	int salt_len;
	uint8_t *label; /* OAEP label, GCM AAD */
	size_t label_len;
	uint8_t iv[12];
	CK_BYTE_PTR iv_out; /* GCM encrypt: the caller's pIv */
	/* a result kept for a second call after CKR_BUFFER_TOO_SMALL */
	uint8_t *res;
	size_t res_len;
	bool has_res;
} p11_op;

typedef struct p11_find {
	bool active;
	CK_OBJECT_HANDLE *h;
	size_t n, pos;
} p11_find;

struct p11_session {
	CK_SESSION_HANDLE h;
	p11_slot *slot;
	CK_FLAGS flags;
	pthread_mutex_t lock; /* held during every call on the session */
	unsigned refs;	      /* under the module's table lock */
	bool closed;
	p11_find find;
	p11_op op[P11_OP_KINDS_];
};

/* Looks up session h and locks it (a reference is held until
 * p11_session_leave). CKR_OK, CKR_CRYPTOKI_NOT_INITIALIZED,
 * CKR_SESSION_HANDLE_INVALID. */
CK_RV p11_session_enter(CK_SESSION_HANDLE h, p11_session **out);
/* Unlocks and drops the reference; returns rv unchanged. */
CK_RV p11_session_leave(p11_session *s, CK_RV rv);

CK_RV p11_session_open(CK_SLOT_ID slot, CK_FLAGS flags,
		       CK_SESSION_HANDLE_PTR out);
CK_RV p11_session_close(CK_SESSION_HANDLE h);
CK_RV p11_session_close_all(CK_SLOT_ID slot);
CK_RV p11_session_info(p11_session *s, CK_SESSION_INFO_PTR info);
CK_RV p11_login(p11_session *s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
		CK_ULONG pin_len);
CK_RV p11_logout(p11_session *s);
CK_RV p11_init_pin(p11_session *s, CK_UTF8CHAR_PTR pin, CK_ULONG len);
CK_RV p11_set_pin(p11_session *s, CK_UTF8CHAR_PTR old, CK_ULONG old_len,
		  CK_UTF8CHAR_PTR pin, CK_ULONG len);
/* Creates user principal name with roles and the PIN as password in the
 * slot's partition, or sets its password if it exists (as cred, or the
 * slot's credential when cred is NULL). */
CK_RV p11_principal_password(p11_module *m, p11_slot *slot,
			     const p11_cred *cred, const char *name,
			     const char *const *roles, CK_UTF8CHAR_PTR pin,
			     CK_ULONG len);
extern const char *const p11_so_roles[];
/* Frees a module's sessions (C_Finalize). */
void p11_sessions_free(p11_module *m);
void p11_op_reset(p11_op *op);

/* ---- object.c ---------------------------------------------------------------- */

typedef enum p11_kind {
	P11_PRIV = 0,
	P11_PUB,
	P11_SECRET,
	P11_CERT,
	P11_DATA,
} p11_kind;

struct p11_obj {
	CK_OBJECT_HANDLE h;
	p11_slot *slot;
	p11_kind kind;
	bool gone;   /* destroyed; the handle stays invalid */
	bool orphan; /* the other half of a destroyed key pair: only
		      * C_DestroyObject still works on it */
	/* keys */
	char name[P11_NAME_MAX + 1]; /* key name; object id for cert/data */
	char kid[P11_KEY_ID_LEN + 1];
	kw_key_type type;
	uint32_t usages;
	uint32_t version;
	bool primary;
	bool exportable;
	bool ec_name; /* Ed25519 CKA_EC_PARAMS as "edwards25519" */
	char *label;
	uint8_t *ckaid;
	size_t ckaid_len;
	uint8_t *subject; /* keys: CKA_SUBJECT as set by the application */
	size_t subject_len;
	/* public key parts, fetched on first use: RSA n, e; EC/Ed point */
	uint8_t *pub_a, *pub_b;
	size_t pub_a_len, pub_b_len;
	bool pub_loaded;
	/* certificates and data objects: their attributes as stored */
	CK_ATTRIBUTE *attrs;
	size_t n_attrs;
	bool private_obj;
	bool modifiable;
};

/* Finds or adds the object for (slot, kind, identity); takes ownership of
 * *fresh's fields (refreshing an existing object). Under the table lock
 * (write) internally. Returns the handle, 0 on allocation failure. */
CK_OBJECT_HANDLE p11_obj_intern(p11_module *m, p11_obj *fresh);
/* The objects of a key (its JSON from the daemon) in slot: appends their
 * handles to *h (realloc) if match() accepts them. */
typedef bool (*p11_obj_match_fn)(const p11_obj *o, void *arg);
kw_rc p11_obj_from_key(p11_module *m, p11_slot *slot, const json_t *key,
		       p11_obj_match_fn match, void *arg, CK_OBJECT_HANDLE **h,
		       size_t *n);
kw_rc p11_obj_from_stored(p11_module *m, p11_slot *slot, const json_t *obj,
			  p11_obj_match_fn match, void *arg,
			  CK_OBJECT_HANDLE **h, size_t *n);
/* True if o matches every attribute of the template. */
bool p11_obj_matches(const p11_obj *o, CK_ATTRIBUTE_PTR t, CK_ULONG n);
/* Copies the key reference of object h for an operation, checking that
 * the session may see it. */
CK_RV p11_obj_keyref(p11_session *s, CK_OBJECT_HANDLE h, p11_kind *out_kind,
		     p11_keyref *out, uint32_t *out_usages);
void p11_obj_free(p11_obj *o);
void p11_obj_forget(p11_module *m, CK_OBJECT_HANDLE h);
/* Marks object h gone and the other objects of key kid in slot orphans.
 * Returns false if h was an orphan already (now gone). */
void p11_obj_forget_key(p11_module *m, p11_slot *slot, const char *kid,
			CK_OBJECT_HANDLE h);

CK_RV p11_attr_get(p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_PTR t,
		   CK_ULONG n);
CK_RV p11_attr_set(p11_session *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_PTR t,
		   CK_ULONG n);
CK_RV p11_obj_size(p11_session *s, CK_OBJECT_HANDLE h, CK_ULONG_PTR size);
/* C_SetAttributeValue of a certificate or data object (keygen.c). */
CK_RV p11_stored_set(p11_module *m, p11_session *s, CK_OBJECT_HANDLE h,
		     CK_ATTRIBUTE_PTR t, CK_ULONG n);

/* Encodes a PKCS#11 label as a key name (reversible: bytes outside
 * [A-Za-z0-9.-] become _XX); false if it does not fit. */
bool p11_label_to_name(const uint8_t *label, size_t len,
		       char out[P11_NAME_MAX + 1]);
/* The label a key name stands for (malloc). */
char *p11_name_to_label(const char *name);

/* Public-key helpers (object.c): CKA_EC_PARAMS of a type. */
bool p11_ec_params(kw_key_type t, bool ed_name, const uint8_t **out,
		   size_t *out_len);
/* The type named by DER EC parameters; *out_name for "edwards25519". */
bool p11_ec_params_type(const uint8_t *p, size_t n, kw_key_type *out,
			bool *out_name);
/* The public parts of a DER SubjectPublicKeyInfo: RSA n and e, or the EC /
 * Ed25519 point (in *a). malloc()ed; false if malformed. */
bool p11_spki_parts(const uint8_t *der, size_t n, bool rsa, uint8_t **a,
		    size_t *a_len, uint8_t **b, size_t *b_len);
/* DER length octets of n (< 65536) into p; returns their count. */
size_t p11_der_len(size_t n, uint8_t *p);
/* Object h as session s may see it (the table lock held), or NULL. */
p11_obj *p11_obj_visible(p11_module *m, p11_session *s, CK_OBJECT_HANDLE h);

/* ---- find.c ---------------------------------------------------------------- */

CK_RV p11_find_init(p11_session *s, CK_ATTRIBUTE_PTR t, CK_ULONG n);
CK_RV p11_find_next(p11_session *s, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
		    CK_ULONG_PTR n);
CK_RV p11_find_final(p11_session *s);
/* Re-reads key name (or id) of slot and returns its objects' handles. */
kw_rc p11_find_key(p11_module *m, p11_slot *slot, const char *name,
		   CK_OBJECT_HANDLE **h, size_t *n);

/* ---- keygen.c ----------------------------------------------------------------- */

CK_RV p11_generate_key(p11_session *s, CK_MECHANISM_PTR mech,
		       CK_ATTRIBUTE_PTR t, CK_ULONG n,
		       CK_OBJECT_HANDLE_PTR out);
CK_RV p11_generate_key_pair(p11_session *s, CK_MECHANISM_PTR mech,
			    CK_ATTRIBUTE_PTR pub, CK_ULONG n_pub,
			    CK_ATTRIBUTE_PTR priv, CK_ULONG n_priv,
			    CK_OBJECT_HANDLE_PTR out_pub,
			    CK_OBJECT_HANDLE_PTR out_priv);
CK_RV p11_create_object(p11_session *s, CK_ATTRIBUTE_PTR t, CK_ULONG n,
			CK_OBJECT_HANDLE_PTR out);
CK_RV p11_destroy_object(p11_session *s, CK_OBJECT_HANDLE h);

/* Template helpers (keygen.c). */
CK_ATTRIBUTE_PTR p11_tmpl_find(CK_ATTRIBUTE_PTR t, CK_ULONG n,
			       CK_ATTRIBUTE_TYPE type);
/* CKR_OK with *out set when present and well-formed; CKR_OK and *out
 * untouched when absent; CKR_ATTRIBUTE_VALUE_INVALID otherwise. */
CK_RV p11_tmpl_bool(CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_ATTRIBUTE_TYPE type,
		    bool *out);
CK_RV p11_tmpl_ulong(CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_ATTRIBUTE_TYPE type,
		     CK_ULONG *out);

/* ---- mech.c ---------------------------------------------------------------- */

typedef enum p11_alg {
	P11_ALG_NONE = 0,
	P11_ALG_SIGN,	/* sign/verify through the daemon */
	P11_ALG_HMAC,	/* mac / mac-verify */
	P11_ALG_OAEP,	/* RSA-OAEP encrypt/decrypt */
	P11_ALG_GCM,	/* AES-GCM encrypt/decrypt */
	P11_ALG_KW,	/* AES key wrap of bytes (encrypt/decrypt) */
	P11_ALG_DIGEST, /* local digest */
	P11_ALG_KEYGEN, /* key (pair) generation */
} p11_alg;

struct p11_mech {
	CK_MECHANISM_TYPE type;
	p11_alg alg;
	kw_key_class cls; /* key class it works with */
	kw_hash hash;	  /* hash-and-sign, digest, HMAC hash; NONE: raw */
	kw_sig_scheme scheme;
	bool multi; /* Update/Final allowed */
	CK_MECHANISM_INFO info;
	const char *wrap_mode; /* "kw" or "kwp" */
};

const p11_mech *p11_mech_find(CK_MECHANISM_TYPE type);
const p11_mech *p11_mech_at(size_t i);
size_t p11_mech_count(void);
/* Reads mech's parameter into op (PSS, OAEP, GCM); checks it fits the
 * operation. CKR_OK, CKR_MECHANISM_PARAM_INVALID, CKR_HOST_MEMORY. */
CK_RV p11_mech_params(const p11_mech *mech, CK_MECHANISM_PTR m,
		      p11_op_kind kind, p11_op *op);
/* Length of a result for the key (signature, ciphertext upper bound). */
size_t p11_mech_out_len(const p11_mech *mech, kw_key_type t, size_t in_len,
			p11_op_kind kind);
/* kw_hash for a CKM_SHA* / CKG_MGF1_SHA* value. */
bool p11_hash_of_mech(CK_MECHANISM_TYPE t, kw_hash *out);
bool p11_hash_of_mgf(CK_RSA_PKCS_MGF_TYPE t, kw_hash *out);

/* ---- op.c ---------------------------------------------------------------- */

CK_RV p11_op_init(p11_session *s, p11_op_kind kind, CK_MECHANISM_PTR m,
		  CK_OBJECT_HANDLE key);
/* Single-part: in -> out (size query when out is NULL). */
CK_RV p11_op_one(p11_session *s, p11_op_kind kind, CK_BYTE_PTR in,
		 CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len);
CK_RV p11_op_update(p11_session *s, p11_op_kind kind, CK_BYTE_PTR in,
		    CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len);
CK_RV p11_op_final(p11_session *s, p11_op_kind kind, CK_BYTE_PTR out,
		   CK_ULONG_PTR out_len);
CK_RV p11_verify_one(p11_session *s, CK_BYTE_PTR in, CK_ULONG in_len,
		     CK_BYTE_PTR sig, CK_ULONG sig_len);
CK_RV p11_verify_final(p11_session *s, CK_BYTE_PTR sig, CK_ULONG sig_len);
CK_RV p11_digest_key(p11_session *s, CK_OBJECT_HANDLE key);
CK_RV p11_random(p11_session *s, CK_BYTE_PTR out, CK_ULONG n);

#endif
