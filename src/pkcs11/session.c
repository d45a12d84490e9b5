/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pkcs11"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "pkcs11/p11.h"

/*
 * Sessions and login. Handles are never reused, so a stale handle is
 * always invalid. A session is reference-counted: the table holds one
 * reference, every call in progress one more; closing takes it out of the
 * table, waits for the call in progress (its lock) and frees it with the
 * last reference.
 *
 * Login is per slot (PKCS#11: per application and token). A user or SO
 * PIN is either an application token ("kwt_...", checked with whoami) or
 * the password of the principal the configuration names for that role
 * (`user`, `so`; default "user" and "so"), exchanged for a session token
 * that C_Logout revokes. The PIN itself is kept nowhere.
 */

static atomic_uint_fast64_t next_tag = 2; /* 1 is the base credential */

static void session_unref(p11_session *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int k = 0; k < P11_OP_KINDS_; k++)
		p11_op_reset(&s->op[k]);
	free(s->find.h);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

CK_RV p11_session_enter(CK_SESSION_HANDLE h, p11_session **out)
{
	p11_module *m = p11_module_get();
	p11_session *s = NULL;

	if (m == NULL)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	pthread_rwlock_rdlock(&m->lock);
	if (h >= 1 && h <= m->n_sessions)
		s = m->sessions[h - 1];
	if (s != NULL)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL);
	pthread_rwlock_unlock(&m->lock);
	if (s == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	pthread_mutex_lock(&s->lock);
	if (s->closed) {
		pthread_mutex_unlock(&s->lock);
		session_unref(s);
		return CKR_SESSION_HANDLE_INVALID;
	}
	*out = s;
	return CKR_OK;
}

CK_RV p11_session_leave(p11_session *s, CK_RV rv)
{
	pthread_mutex_unlock(&s->lock);
	session_unref(s);
	return rv;
}

CK_RV p11_session_open(CK_SLOT_ID id, CK_FLAGS flags, CK_SESSION_HANDLE_PTR out)
{
	p11_module *m = p11_module_get();
	p11_session *s, **grown;
	p11_slot *slot;
	CK_RV rv;

	if (m == NULL)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (out == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	rv = p11_slot_get(m, id, &slot);
	if (rv != CKR_OK)
		return rv;
	/* A session needs the token: the daemon up and unsealed. */
	rv = p11_rv(p11_call(m, NULL, NULL, "GET", "/v1/sys/health", NULL, NULL,
			     NULL, NULL),
		    P11_CTX_TOKEN);
	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&slot->lock);
	if (slot->user == CKU_SO && !(flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
	pthread_mutex_unlock(&slot->lock);
	if (rv != CKR_OK)
		return rv;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return CKR_HOST_MEMORY;
	pthread_mutex_init(&s->lock, NULL);
	s->slot = slot;
	s->flags = flags & (CKF_RW_SESSION | CKF_SERIAL_SESSION);
	s->refs = 1;
	pthread_rwlock_wrlock(&m->lock);
	grown = realloc(m->sessions, (m->n_sessions + 1) * sizeof(*grown));
	if (grown != NULL) {
		m->sessions = grown;
		m->sessions[m->n_sessions++] = s;
		s->h = m->n_sessions;
	}
	pthread_rwlock_unlock(&m->lock);
	if (grown == NULL) {
		session_unref(s);
		return CKR_HOST_MEMORY;
	}
	pthread_mutex_lock(&slot->lock);
	slot->n_sessions++;
	if (flags & CKF_RW_SESSION)
		slot->n_rw_sessions++;
	pthread_mutex_unlock(&slot->lock);
	*out = s->h;
	return CKR_OK;
}

static void logout_slot(p11_module *m, p11_slot *slot);

/* Takes s out of the table (under its write lock). */
static p11_session *take(p11_module *m, CK_SESSION_HANDLE h)
{
	p11_session *s = NULL;

	if (h >= 1 && h <= m->n_sessions) {
		s = m->sessions[h - 1];
		m->sessions[h - 1] = NULL;
	}
	return s;
}

static void close_taken(p11_module *m, p11_session *s)
{
	p11_slot *slot = s->slot;
	bool last;

	pthread_mutex_lock(&s->lock);
	s->closed = true;
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&slot->lock);
	slot->n_sessions--;
	if (s->flags & CKF_RW_SESSION)
		slot->n_rw_sessions--;
	last = slot->n_sessions == 0;
	pthread_mutex_unlock(&slot->lock);
	/* PKCS#11: closing the last session of a token logs it out. */
	if (last)
		logout_slot(m, slot);
	session_unref(s);
}

CK_RV p11_session_close(CK_SESSION_HANDLE h)
{
	p11_module *m = p11_module_get();
	p11_session *s;

	if (m == NULL)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	pthread_rwlock_wrlock(&m->lock);
	s = take(m, h);
	pthread_rwlock_unlock(&m->lock);
	if (s == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	close_taken(m, s);
	return CKR_OK;
}

CK_RV p11_session_close_all(CK_SLOT_ID id)
{
	p11_module *m = p11_module_get();
	p11_slot *slot;
	CK_RV rv;

	if (m == NULL)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	rv = p11_slot_get(m, id, &slot);
	for (size_t i = 0; rv == CKR_OK; i++) {
		p11_session *s = NULL;
		pthread_rwlock_wrlock(&m->lock);
		if (i >= m->n_sessions) {
			pthread_rwlock_unlock(&m->lock);
			break;
		}
		if (m->sessions[i] != NULL && m->sessions[i]->slot == slot)
			s = take(m, i + 1);
		pthread_rwlock_unlock(&m->lock);
		if (s != NULL)
			close_taken(m, s);
	}
	return rv;
}

void p11_sessions_free(p11_module *m)
{
	for (size_t i = 0; i < m->n_sessions; i++) {
		p11_session *s = m->sessions[i];
		if (s != NULL)
			close_taken(m, s);
	}
	free(m->sessions);
	m->sessions = NULL;
	m->n_sessions = 0;
}

CK_RV p11_session_info(p11_session *s, CK_SESSION_INFO_PTR info)
{
	CK_USER_TYPE u;
	bool rw = s->flags & CKF_RW_SESSION;

	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&s->slot->lock);
	u = s->slot->user;
	pthread_mutex_unlock(&s->slot->lock);
	info->slotID = s->slot->id;
	info->flags = s->flags;
	info->ulDeviceError = 0;
	if (u == CKU_SO)
		info->state = CKS_RW_SO_FUNCTIONS;
	else if (u == CKU_USER)
		info->state =
			rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	else
		info->state =
			rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	return CKR_OK;
}

/* ---- PINs ------------------------------------------------------------------ */

/* A PIN as a JSON string; its text is wiped by pin_json_wipe. */
static json_t *pin_json(CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	return json_stringn((const char *)pin, len);
}

static void pin_json_wipe(json_t *j)
{
	const char *v = json_string_value(j);

	if (v != NULL)
		p11_wipe((char *)v, json_string_length(j));
}

static CK_RV pin_check(CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	if (pin == NULL)
		return CKR_ARGUMENTS_BAD;
	if (len < P11_PIN_MIN || len > P11_PIN_MAX)
		return CKR_PIN_LEN_RANGE;
	for (CK_ULONG i = 0; i < len; i++)
		if (pin[i] < 0x20 || pin[i] == 0x7f)
			return CKR_PIN_INVALID;
	return CKR_OK;
}

static bool pin_is_token(CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	return len > 4 && memcmp(pin, "kwt_", 4) == 0;
}

static const char *principal_for(p11_module *m, CK_USER_TYPE u)
{
	if (u == CKU_SO)
		return m->cfg.so != NULL ? m->cfg.so : "so";
	return m->cfg.user != NULL ? m->cfg.user : "user";
}

/* Password login: *out_token (malloc, NUL-terminated) on success. */
static kw_rc password_login(p11_module *m, p11_slot *slot, const char *user,
			    CK_UTF8CHAR_PTR pin, CK_ULONG len, char **out,
			    size_t *out_len)
{
	json_t *pw = pin_json(pin, len);
	json_t *body = NULL, *resp = NULL;
	const char *tok;
	kw_rc rc = KW_E_NOMEM;

	if (pw == NULL)
		goto out;
	body = json_pack("{s:s,s:O,s:s}", "user", user, "password", pw,
			 "partition", slot->partition);
	if (body == NULL)
		goto out;
	/* No credential: the login route needs none. */
	p11_cred none = {.token = NULL, .tag = 0};
	rc = p11_call(m, slot, &none, "POST", "/v1/auth/login", body, NULL,
		      &resp, NULL);
	if (rc != KW_OK)
		goto out;
	tok = json_string_value(json_object_get(resp, "token"));
	rc = KW_E_UNAVAILABLE;
	if (tok == NULL)
		goto out;
	rc = KW_E_NOMEM;
	*out = strdup(tok);
	if (*out == NULL)
		goto out;
	*out_len = strlen(tok);
	p11_wipe((char *)tok, strlen(tok));
	rc = KW_OK;
out:
	pin_json_wipe(pw);
	json_decref(pw);
	json_decref(body);
	json_decref(resp);
	return rc;
}

/* Token login: checks who the token is. */
static kw_rc token_login(p11_module *m, p11_slot *slot, CK_USER_TYPE u,
			 CK_UTF8CHAR_PTR pin, CK_ULONG len, char **out,
			 size_t *out_len, char who[P11_NAME_MAX + 1])
{
	char *tok = malloc(len + 1);
	json_t *resp = NULL;
	const char *part, *name;
	bool so = false;
	size_t i;
	json_t *r;
	kw_rc rc = KW_E_NOMEM;

	if (tok == NULL)
		goto out;
	memcpy(tok, pin, len);
	tok[len] = '\0';
	p11_cred cred = {.token = tok, .len = len, .tag = 0};
	rc = p11_call(m, slot, &cred, "GET", "/v1/auth/whoami", NULL, NULL,
		      &resp, NULL);
	if (rc != KW_OK)
		goto out;
	part = json_string_value(json_object_get(resp, "partition"));
	name = json_string_value(json_object_get(resp, "principal"));
	json_array_foreach(json_object_get(resp, "roles"), i, r) so |=
		json_string_value(r) != NULL &&
		strcmp(json_string_value(r), "security-officer") == 0;
	/* A principal of this partition, or a system one ("*"). */
	rc = KW_E_UNAUTHENTICATED;
	if (part == NULL || name == NULL ||
	    (strcmp(part, slot->partition) != 0 && strcmp(part, "*") != 0 &&
	     part[0] != '\0') ||
	    (u == CKU_SO && !so)) {
		KW_LOG_WARN("C_Login: the token's principal may not act as %s "
			    "in partition %s",
			    u == CKU_SO ? "security officer" : "user",
			    slot->partition);
		goto out;
	}
	snprintf(who, P11_NAME_MAX + 1, "%s", name);
	*out = tok;
	*out_len = len;
	tok = NULL;
	rc = KW_OK;
out:
	p11_free_wiped(tok, len);
	json_decref(resp);
	return rc;
}

CK_RV p11_login(p11_session *s, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin,
		CK_ULONG len)
{
	p11_module *m = p11_module_get();
	p11_slot *slot = s->slot;
	char who[P11_NAME_MAX + 1] = "";
	char *tok = NULL;
	size_t tok_len = 0;
	bool is_token;
	CK_RV rv;
	kw_rc rc;

	if (u != CKU_USER && u != CKU_SO && u != CKU_CONTEXT_SPECIFIC)
		return CKR_USER_TYPE_INVALID;
	pthread_mutex_lock(&slot->lock);
	rv = CKR_OK;
	if (u == CKU_CONTEXT_SPECIFIC)
		rv = slot->user == CKU_USER ? CKR_OPERATION_NOT_INITIALIZED
					    : CKR_USER_NOT_LOGGED_IN;
	else if (slot->user == u)
		rv = CKR_USER_ALREADY_LOGGED_IN;
	else if (slot->user != P11_NOBODY)
		rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	else if (u == CKU_SO && slot->n_sessions > slot->n_rw_sessions)
		rv = CKR_SESSION_READ_ONLY_EXISTS;
	pthread_mutex_unlock(&slot->lock);
	if (rv != CKR_OK)
		return rv;
	rv = pin_check(pin, len);
	if (rv != CKR_OK)
		return rv;
	is_token = pin_is_token(pin, len);
	if (is_token) {
		rc = token_login(m, slot, u, pin, len, &tok, &tok_len, who);
	} else {
		snprintf(who, sizeof(who), "%s", principal_for(m, u));
		rc = password_login(m, slot, who, pin, len, &tok, &tok_len);
	}
	if (rc != KW_OK) {
		KW_LOG_WARN("C_Login as %s in partition %s failed: %s",
			    u == CKU_SO ? "SO" : "user", slot->partition,
			    kw_rc_str(rc));
		return p11_rv(rc, P11_CTX_LOGIN);
	}
	pthread_mutex_lock(&slot->lock);
	rv = slot->user == P11_NOBODY ? CKR_OK : CKR_USER_ALREADY_LOGGED_IN;
	if (rv == CKR_OK) {
		slot->user = u;
		slot->token = tok;
		slot->token_len = tok_len;
		slot->token_revoke = !is_token;
		slot->tag = atomic_fetch_add(&next_tag, 1);
		snprintf(slot->principal, sizeof(slot->principal), "%s", who);
		snprintf(slot->login_name, sizeof(slot->login_name), "%s",
			 is_token ? "" : who);
		tok = NULL;
	}
	pthread_mutex_unlock(&slot->lock);
	p11_free_wiped(tok, tok_len);
	return rv;
}

/* Forgets the slot's login; revokes a session token of ours. */
static void logout_slot(p11_module *m, p11_slot *slot)
{
	char *tok;
	size_t len;
	bool revoke;

	pthread_mutex_lock(&slot->lock);
	tok = slot->token;
	len = slot->token_len;
	revoke = slot->token_revoke;
	slot->token = NULL;
	slot->token_len = 0;
	slot->user = P11_NOBODY;
	slot->tag = atomic_fetch_add(&next_tag, 1);
	pthread_mutex_unlock(&slot->lock);
	if (tok != NULL && revoke) {
		p11_cred cred = {.token = tok, .len = len, .tag = 0};
		(void)p11_call(m, slot, &cred, "POST", "/v1/auth/logout", NULL,
			       NULL, NULL, NULL);
	}
	p11_free_wiped(tok, len);
}

CK_RV p11_logout(p11_session *s)
{
	p11_module *m = p11_module_get();

	if (!p11_slot_logged_in(s->slot))
		return CKR_USER_NOT_LOGGED_IN;
	logout_slot(m, s->slot);
	return CKR_OK;
}

CK_RV p11_principal_password(p11_module *m, p11_slot *slot,
			     const p11_cred *cred, const char *name,
			     const char *const *roles, CK_UTF8CHAR_PTR pin,
			     CK_ULONG len)
{
	kw_client_path path;
	json_t *pw, *body = NULL, *r = json_array();
	CK_RV rv = pin_check(pin, len);
	kw_rc rc;

	if (rv != CKR_OK)
		goto out2;
	if (pin_is_token(pin, len)) {
		rv = CKR_PIN_INVALID; /* a token cannot become a password */
		goto out2;
	}
	pw = pin_json(pin, len);
	rv = CKR_HOST_MEMORY;
	for (size_t i = 0; r != NULL && roles[i] != NULL; i++)
		json_array_append_new(r, json_string(roles[i]));
	if (pw == NULL || r == NULL)
		goto out;
	body = json_pack("{s:s,s:s,s:O,s:O}", "name", name, "kind", "user",
			 "roles", r, "password", pw);
	kw_client_path_init(&path, "/v1/principals");
	kw_client_path_query(&path, "partition", slot->partition);
	rc = body == NULL ? KW_E_NOMEM
			  : p11_call(m, slot, cred, "POST",
				     kw_client_path_get(&path), body, NULL,
				     NULL, NULL);
	if (rc == KW_E_EXISTS) {
		json_decref(body);
		body = json_pack("{s:O}", "password", pw);
		kw_client_path_init(&path, "/v1/principals");
		kw_client_path_seg(&path, name);
		kw_client_path_lit(&path, "/password");
		kw_client_path_query(&path, "partition", slot->partition);
		rc = body == NULL ? KW_E_NOMEM
				  : p11_call(m, slot, cred, "POST",
					     kw_client_path_get(&path), body,
					     NULL, NULL, NULL);
	}
	rv = rc == KW_E_INVALID ? CKR_PIN_INVALID : p11_rv(rc, P11_CTX_GENERIC);
out:
	pin_json_wipe(pw);
	json_decref(pw);
	json_decref(body);
out2:
	json_decref(r);
	return rv;
}

static const char *const user_roles[] = {"crypto-officer", "crypto-user", NULL};
const char *const p11_so_roles[] = {"security-officer", NULL};

CK_RV p11_init_pin(p11_session *s, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	p11_module *m = p11_module_get();
	CK_USER_TYPE u;

	pthread_mutex_lock(&s->slot->lock);
	u = s->slot->user;
	pthread_mutex_unlock(&s->slot->lock);
	if (u != CKU_SO)
		return CKR_USER_NOT_LOGGED_IN;
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	return p11_principal_password(m, s->slot, NULL,
				      principal_for(m, CKU_USER), user_roles,
				      pin, len);
}

CK_RV p11_set_pin(p11_session *s, CK_UTF8CHAR_PTR old, CK_ULONG old_len,
		  CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	p11_module *m = p11_module_get();
	kw_client_path path;
	char *tok = NULL;
	size_t tok_len = 0;
	json_t *pw = NULL, *body = NULL;
	CK_USER_TYPE u;
	CK_RV rv;
	kw_rc rc;

	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	rv = pin_check(old, old_len);
	if (rv == CKR_OK)
		rv = pin_check(pin, len);
	if (rv != CKR_OK)
		return rv;
	if (pin_is_token(old, old_len) || pin_is_token(pin, len))
		return CKR_PIN_INVALID;
	pthread_mutex_lock(&s->slot->lock);
	u = s->slot->user == CKU_SO ? CKU_SO : CKU_USER;
	pthread_mutex_unlock(&s->slot->lock);
	/* The old PIN must be right: log in with it, change the password as
	 * that principal, log that session out again. */
	rc = password_login(m, s->slot, principal_for(m, u), old, old_len, &tok,
			    &tok_len);
	if (rc != KW_OK)
		return p11_rv(rc, P11_CTX_LOGIN);
	p11_cred cred = {.token = tok, .len = tok_len, .tag = 0};
	pw = pin_json(pin, len);
	body = pw != NULL ? json_pack("{s:O}", "password", pw) : NULL;
	kw_client_path_init(&path, "/v1/principals");
	kw_client_path_seg(&path, principal_for(m, u));
	kw_client_path_lit(&path, "/password");
	kw_client_path_query(&path, "partition", s->slot->partition);
	rc = body == NULL ? KW_E_NOMEM
			  : p11_call(m, s->slot, &cred, "POST",
				     kw_client_path_get(&path), body, NULL,
				     NULL, NULL);
	rv = rc == KW_E_INVALID ? CKR_PIN_INVALID : p11_rv(rc, P11_CTX_GENERIC);
	(void)p11_call(m, s->slot, &cred, "POST", "/v1/auth/logout", NULL, NULL,
		       NULL, NULL);
	pin_json_wipe(pw);
	json_decref(pw);
	json_decref(body);
	p11_free_wiped(tok, tok_len);
	return rv;
}
