/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pkcs11"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keywarden/log.h"
#include "keywarden/secret.h"
#include "kw_config.h"
#include "pkcs11/p11.h"

/*
 * The module's state lives in one heap object created by C_Initialize. A
 * fork child inherits it but must not use it: the parent's connections
 * (and TLS sessions) are shared with the child, and a lock may have been
 * held by a thread that does not exist in the child. The fork handler only
 * flips a flag; the child's C_Initialize then abandons the inherited state
 * (wiping the credentials in it) and builds a new one.
 */

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static p11_module *module; /* under init_lock for writes */
static atomic_bool forked; /* set in a fork child */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
	atomic_store(&forked, true);
	pthread_mutex_init(&init_lock, NULL);
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

p11_module *p11_module_get(void)
{
	if (atomic_load_explicit(&forked, memory_order_relaxed))
		return NULL;
	return module;
}

void p11_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		kw_wipe(p, n);
}

void p11_free_wiped(void *p, size_t n)
{
	p11_wipe(p, n);
	free(p);
}

void p11_pad(CK_UTF8CHAR *dst, size_t n, const char *s)
{
	size_t len = strlen(s);

	memset(dst, ' ', n);
	memcpy(dst, s, len < n ? len : n);
}

/* The base credential: the token file's first line, else the variable. */
static kw_rc base_token_load(p11_module *m)
{
	char buf[4097];
	const char *src = NULL;
	size_t len;
	kw_rc rc = KW_OK;

	if (m->cfg.token_file != NULL) {
		int fd = open(m->cfg.token_file, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n < 0) {
			KW_LOG_ERROR("cannot read token_file %s: %s",
				     m->cfg.token_file, strerror(errno));
			rc = KW_E_INVALID;
			goto out;
		}
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		src = buf;
	} else if (m->cfg.token_env != NULL) {
		src = getenv(m->cfg.token_env);
	}
	if (src == NULL || *src == '\0')
		goto out;
	len = strlen(src);
	m->base_token = malloc(len + 1);
	if (m->base_token == NULL) {
		rc = KW_E_NOMEM;
		goto out;
	}
	memcpy(m->base_token, src, len + 1);
	m->base_token_len = len;
out:
	p11_wipe(buf, sizeof(buf));
	return rc;
}

static void module_free(p11_module *m)
{
	if (m == NULL)
		return;
	p11_sessions_free(m);
	for (size_t i = 0; i < m->n_objs; i++)
		p11_obj_free(m->objs[i]);
	free(m->objs);
	free(m->objmap);
	for (size_t i = 0; i < m->n_slots; i++)
		p11_slot_free(m->slots[i]);
	p11_pool_free(m->pool);
	p11_free_wiped(m->base_token, m->base_token_len);
	p11_config_clear(&m->cfg);
	pthread_rwlock_destroy(&m->lock);
	pthread_mutex_destroy(&m->slots_lock);
	free(m);
}

/* A fork child's inherited module: wipe the credentials it holds, leave
 * its connections and locks alone, forget it. */
static void module_abandon(p11_module *m)
{
	if (m == NULL)
		return;
	p11_wipe(m->base_token, m->base_token_len);
	for (size_t i = 0; i < m->n_slots; i++)
		p11_wipe(m->slots[i]->token, m->slots[i]->token_len);
	p11_pool_abandon(m->pool);
}

static CK_RV check_args(CK_VOID_PTR p)
{
	CK_C_INITIALIZE_ARGS *a = p;
	bool fns;

	/* pReserved is ignored: p11-kit (GnuTLS) passes its module options
	 * string there, as NSS does for softoken; the spec wants NULL. */
	if (a == NULL)
		return CKR_OK;
	fns = a->CreateMutex != NULL || a->DestroyMutex != NULL ||
	      a->LockMutex != NULL || a->UnlockMutex != NULL;
	if (fns && (a->CreateMutex == NULL || a->DestroyMutex == NULL ||
		    a->LockMutex == NULL || a->UnlockMutex == NULL))
		return CKR_ARGUMENTS_BAD;
	/* We lock with the OS's primitives; an application that insists
	 * on its own cannot have us. */
	if (fns && !(a->flags & CKF_OS_LOCKING_OK))
		return CKR_CANT_LOCK;
	return CKR_OK;
}

CK_RV p11_initialize(CK_VOID_PTR args)
{
	p11_module *m = NULL;
	CK_RV rv = check_args(args);

	if (rv != CKR_OK)
		return rv;
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&init_lock);
	if (atomic_load(&forked)) {
		module_abandon(module);
		module = NULL;
		atomic_store(&forked, false);
	}
	if (module != NULL) {
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
		goto out;
	}
	kw_log_init_from_env();
	rv = CKR_HOST_MEMORY;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		goto out;
	pthread_rwlock_init(&m->lock, NULL);
	pthread_mutex_init(&m->slots_lock, NULL);
	rv = p11_config_load(&m->cfg);
	if (rv != CKR_OK)
		goto out;
	rv = CKR_GENERAL_ERROR;
	if (base_token_load(m) != KW_OK)
		goto out;
	switch (p11_pool_new(&m->cfg, &m->pool)) {
	case KW_OK:
		break;
	case KW_E_NOMEM:
		rv = CKR_HOST_MEMORY;
		goto out;
	default:
		goto out; /* logged: bad address or CA file */
	}
	module = m;
	m = NULL;
	rv = CKR_OK;
out:
	pthread_mutex_unlock(&init_lock);
	module_free(m);
	return rv;
}

CK_RV p11_finalize(CK_VOID_PTR reserved)
{
	CK_RV rv = CKR_OK;

	if (reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&init_lock);
	if (module == NULL || atomic_load(&forked))
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else
		module_free(module);
	if (rv == CKR_OK)
		module = NULL;
	pthread_mutex_unlock(&init_lock);
	return rv;
}

CK_RV p11_get_info(CK_INFO_PTR info)
{
	if (p11_module_get() == NULL)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 3;
	info->cryptokiVersion.minor = 0;
	p11_pad(info->manufacturerID, sizeof(info->manufacturerID),
		"keywarden");
	p11_pad(info->libraryDescription, sizeof(info->libraryDescription),
		"keywarden PKCS#11 module");
	info->libraryVersion.major = 0;
	info->libraryVersion.minor = 1;
	return CKR_OK;
}

CK_RV p11_rv(kw_rc rc, p11_ctx ctx)
{
	switch (rc) {
	case KW_OK:
		return CKR_OK;
	case KW_E_INVALID:
		return ctx == P11_CTX_SIGN	? CKR_DATA_LEN_RANGE
		       : ctx == P11_CTX_VERIFY	? CKR_SIGNATURE_LEN_RANGE
		       : ctx == P11_CTX_DECRYPT ? CKR_ENCRYPTED_DATA_INVALID
		       : ctx == P11_CTX_LOGIN	? CKR_PIN_INVALID
						: CKR_ARGUMENTS_BAD;
	case KW_E_UNSUPPORTED:
		return CKR_MECHANISM_INVALID;
	case KW_E_NOT_FOUND:
		return ctx == P11_CTX_LOGIN ? CKR_PIN_INCORRECT
					    : CKR_OBJECT_HANDLE_INVALID;
	case KW_E_EXISTS:
		return CKR_ATTRIBUTE_VALUE_INVALID;
	case KW_E_DENIED:
		return ctx == P11_CTX_SIGN || ctx == P11_CTX_VERIFY ||
				       ctx == P11_CTX_DECRYPT
			       ? CKR_KEY_FUNCTION_NOT_PERMITTED
			       : CKR_ACTION_PROHIBITED;
	case KW_E_UNAUTHENTICATED:
		return ctx == P11_CTX_LOGIN ? CKR_PIN_INCORRECT
					    : CKR_USER_NOT_LOGGED_IN;
	case KW_E_EXPIRED:
		return ctx == P11_CTX_LOGIN ? CKR_PIN_EXPIRED
					    : CKR_USER_NOT_LOGGED_IN;
	case KW_E_QUORUM_PENDING:
		return CKR_FUNCTION_REJECTED;
	case KW_E_STATE:
		return ctx == P11_CTX_GENERIC ? CKR_ACTION_PROHIBITED
					      : CKR_KEY_FUNCTION_NOT_PERMITTED;
	case KW_E_VERIFY:
		return ctx == P11_CTX_DECRYPT ? CKR_ENCRYPTED_DATA_INVALID
					      : CKR_SIGNATURE_INVALID;
	case KW_E_BUFFER:
		return CKR_BUFFER_TOO_SMALL;
	case KW_E_NOMEM:
		return CKR_HOST_MEMORY;
	case KW_E_LIMIT:
		return ctx == P11_CTX_LOGIN  ? CKR_PIN_LOCKED
		       : ctx == P11_CTX_SIGN ? CKR_DATA_LEN_RANGE
					     : CKR_DEVICE_MEMORY;
	case KW_E_UNAVAILABLE:
	case KW_E_SEALED:
	case KW_E_NOT_INITIALIZED:
		return ctx == P11_CTX_TOKEN ? CKR_TOKEN_NOT_PRESENT
					    : CKR_DEVICE_ERROR;
	case KW_E_INTEGRITY:
	case KW_E_CONFLICT:
	case KW_E_STORAGE:
	case KW_E_CRYPTO:
	case KW_E_TPM:
	case KW_E_AUDIT:
	case KW_E_INTERNAL:
	case KW_RC_COUNT_:
		break;
	}
	return CKR_DEVICE_ERROR;
}
