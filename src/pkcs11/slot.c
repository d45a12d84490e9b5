/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "pkcs11"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywarden/log.h"
#include "pkcs11/p11.h"

/*
 * Slots and tokens: one slot per partition. The partitions are those the
 * configuration names, else those the daemon lists for the base
 * credential, else the base credential's own partition, else "default".
 * They are read once per C_Initialize. A token is present while the daemon
 * answers its health check unsealed; it is initialised once its partition
 * exists.
 */

static kw_rc slot_add(p11_module *m, const char *partition)
{
	p11_slot *s;

	if (m->n_slots == P11_SLOTS_MAX || strlen(partition) > P11_NAME_MAX)
		return KW_E_LIMIT;
	for (size_t i = 0; i < m->n_slots; i++)
		if (strcmp(m->slots[i]->partition, partition) == 0)
			return KW_OK;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return KW_E_NOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->id = m->n_slots;
	s->user = P11_NOBODY;
	snprintf(s->partition, sizeof(s->partition), "%s", partition);
	m->slots[m->n_slots++] = s;
	return KW_OK;
}

void p11_slot_free(p11_slot *s)
{
	if (s == NULL)
		return;
	p11_free_wiped(s->token, s->token_len);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The partitions the daemon shows the base credential. */
static void slots_from_daemon(p11_module *m)
{
	json_t *j = NULL;
	size_t i;
	json_t *v;

	if (m->base_token == NULL)
		return;
	if (p11_call(m, NULL, NULL, "GET", "/v1/partitions", NULL, NULL, &j,
		     NULL) == KW_OK) {
		json_array_foreach(json_object_get(j, "partitions"), i, v)
			slot_add(m,
				 json_string_value(json_object_get(v, "name"))
					 ?: "");
		json_decref(j);
		j = NULL;
	}
	if (m->n_slots == 0 && p11_call(m, NULL, NULL, "GET", "/v1/auth/whoami",
					NULL, NULL, &j, NULL) == KW_OK) {
		const char *p =
			json_string_value(json_object_get(j, "partition"));
		if (p != NULL && *p != '\0' && strcmp(p, "*") != 0)
			slot_add(m, p);
	}
	json_decref(j);
}

static void slots_ensure(p11_module *m)
{
	pthread_mutex_lock(&m->slots_lock);
	if (!m->slots_listed) {
		for (size_t i = 0; i < m->cfg.n_partitions; i++)
			slot_add(m, m->cfg.partitions[i]);
		if (m->n_slots == 0)
			slots_from_daemon(m);
		if (m->n_slots == 0)
			slot_add(m, "default");
		m->slots_listed = true;
	}
	pthread_mutex_unlock(&m->slots_lock);
}

CK_RV p11_slot_get(p11_module *m, CK_SLOT_ID id, p11_slot **out)
{
	slots_ensure(m);
	if (id >= m->n_slots)
		return CKR_SLOT_ID_INVALID;
	*out = m->slots[id];
	return CKR_OK;
}

/* The module and slot id of a slot call whose output arg must not be
 * NULL. CKR_OK, CKR_CRYPTOKI_NOT_INITIALIZED, CKR_ARGUMENTS_BAD,
 * CKR_SLOT_ID_INVALID. */
static CK_RV slot_enter(CK_SLOT_ID id, const void *arg, p11_module **m,
			p11_slot **s)
{
	*m = p11_module_get();
	if (*m == NULL)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (arg == NULL)
		return CKR_ARGUMENTS_BAD;
	return p11_slot_get(*m, id, s);
}

bool p11_slot_logged_in(p11_slot *s)
{
	bool in;

	pthread_mutex_lock(&s->lock);
	in = s->user != P11_NOBODY;
	pthread_mutex_unlock(&s->lock);
	return in;
}

/* The daemon is up and unsealed. */
static kw_rc health(p11_module *m, json_t **out_status)
{
	kw_rc rc = p11_call(m, NULL, NULL, "GET", "/v1/sys/health", NULL, NULL,
			    NULL, NULL);

	if (rc == KW_OK && out_status != NULL)
		rc = p11_call(m, NULL, NULL, "GET", "/v1/sys/status", NULL,
			      NULL, out_status, NULL);
	return rc;
}

CK_RV p11_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR n)
{
	p11_module *m = p11_module_get();
	CK_ULONG count;
	bool up;

	if (m == NULL)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (n == NULL)
		return CKR_ARGUMENTS_BAD;
	slots_ensure(m);
	up = !present || health(m, NULL) == KW_OK;
	count = up ? m->n_slots : 0;
	if (list != NULL && *n < count) {
		*n = count;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (CK_ULONG i = 0; list != NULL && i < count; i++)
		list[i] = m->slots[i]->id;
	*n = count;
	return CKR_OK;
}

CK_RV p11_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
	p11_module *m;
	p11_slot *s;
	char desc[128];
	CK_RV rv;

	rv = slot_enter(id, info, &m, &s);
	if (rv != CKR_OK)
		return rv;
	memset(info, 0, sizeof(*info));
	snprintf(desc, sizeof(desc), "keywarden partition %s", s->partition);
	p11_pad(info->slotDescription, sizeof(info->slotDescription), desc);
	p11_pad(info->manufacturerID, sizeof(info->manufacturerID),
		"keywarden");
	info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
	if (health(m, NULL) == KW_OK)
		info->flags |= CKF_TOKEN_PRESENT;
	info->hardwareVersion.minor = 1;
	info->firmwareVersion.minor = 1;
	return CKR_OK;
}

/* A stable 16-hex-digit serial number: FNV-1a of instance and partition. */
static void serial_of(const char *instance, const char *partition, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[] = {instance, "/", partition};

	for (size_t i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p != '\0'; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

CK_RV p11_token_info(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
	p11_module *m;
	kw_client_path path;
	json_t *st = NULL;
	p11_slot *s;
	char serial[17];
	kw_rc rc;
	CK_RV rv;

	rv = slot_enter(id, info, &m, &s);
	if (rv != CKR_OK)
		return rv;
	rc = health(m, &st);
	if (rc != KW_OK) {
		rv = p11_rv(rc, P11_CTX_TOKEN);
		goto out;
	}
	memset(info, 0, sizeof(*info));
	p11_pad(info->label, sizeof(info->label), s->partition);
	p11_pad(info->manufacturerID, sizeof(info->manufacturerID),
		"keywarden");
	p11_pad(info->model, sizeof(info->model), "keywardend");
	serial_of(json_string_value(json_object_get(st, "instance_id")) ?: "",
		  s->partition, serial);
	p11_pad(info->serialNumber, sizeof(info->serialNumber), serial);
	info->flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
	/* Initialised unless the daemon says the partition does not exist
	 * (a credential that may not read it leaves it initialised). */
	kw_client_path_init(&path, "/v1/partitions");
	kw_client_path_seg(&path, s->partition);
	rc = kw_client_path_get(&path) == NULL
		     ? KW_E_INVALID
		     : p11_call(m, s, NULL, "GET", kw_client_path_get(&path),
				NULL, NULL, NULL, NULL);
	if (rc != KW_E_NOT_FOUND)
		info->flags |= CKF_TOKEN_INITIALIZED;
	pthread_mutex_lock(&s->lock);
	info->ulSessionCount = s->n_sessions;
	info->ulRwSessionCount = s->n_rw_sessions;
	pthread_mutex_unlock(&s->lock);
	info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulMaxPinLen = P11_PIN_MAX;
	info->ulMinPinLen = P11_PIN_MIN;
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->hardwareVersion.minor = 1;
	info->firmwareVersion.minor = 1;
	rv = CKR_OK;
out:
	json_decref(st);
	return rv;
}

CK_RV p11_mech_list(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n)
{
	p11_module *m;
	p11_slot *s;
	CK_RV rv;

	rv = slot_enter(id, n, &m, &s);
	if (rv != CKR_OK)
		return rv;
	if (list != NULL && *n < p11_mech_count()) {
		*n = p11_mech_count();
		return CKR_BUFFER_TOO_SMALL;
	}
	for (size_t i = 0; list != NULL && i < p11_mech_count(); i++)
		list[i] = p11_mech_at(i)->type;
	*n = p11_mech_count();
	return CKR_OK;
}

CK_RV p11_mech_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type,
		    CK_MECHANISM_INFO_PTR info)
{
	p11_module *m;
	const p11_mech *mech;
	p11_slot *s;
	CK_RV rv;

	rv = slot_enter(id, info, &m, &s);
	if (rv != CKR_OK)
		return rv;
	mech = p11_mech_find(type);
	if (mech == NULL)
		return CKR_MECHANISM_INVALID;
	*info = mech->info;
	return CKR_OK;
}

/* The admin credential for C_InitToken (a system security officer's
 * token from admin_token_file / admin_token_env), in buf. */
static bool admin_cred(p11_module *m, char *buf, size_t len, p11_cred *out)
{
	const char *v = NULL;

	buf[0] = '\0';
	if (m->cfg.admin_token_file != NULL) {
		FILE *f = fopen(m->cfg.admin_token_file, "re");
		if (f != NULL && fgets(buf, (int)len, f) != NULL)
			buf[strcspn(buf, "\r\n")] = '\0';
		if (f != NULL)
			fclose(f);
	} else if (m->cfg.admin_token_env != NULL &&
		   (v = getenv(m->cfg.admin_token_env)) != NULL) {
		snprintf(buf, len, "%s", v);
	}
	if (buf[0] == '\0')
		return false;
	out->token = buf;
	out->len = strlen(buf);
	out->tag = 0; /* set on every use */
	return true;
}

CK_RV p11_init_token(CK_SLOT_ID id, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len,
		     CK_UTF8CHAR_PTR label)
{
	p11_module *m = p11_module_get();
	char tok[4097];
	char want[33];
	p11_cred cred;
	p11_slot *s;
	CK_RV rv;
	kw_rc rc;

	if (m == NULL)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (pin == NULL || label == NULL)
		return CKR_ARGUMENTS_BAD;
	rv = p11_slot_get(m, id, &s);
	if (rv != CKR_OK)
		return rv;
	memcpy(want, label, 32);
	want[32] = '\0';
	for (int i = 31; i >= 0 && want[i] == ' '; i--)
		want[i] = '\0';
	if (want[0] != '\0' && strcmp(want, s->partition) != 0) {
		KW_LOG_ERROR("C_InitToken: the label must be the slot's "
			     "partition name %s",
			     s->partition);
		return CKR_ARGUMENTS_BAD;
	}
	pthread_mutex_lock(&s->lock);
	rv = s->n_sessions > 0 ? CKR_SESSION_EXISTS : CKR_OK;
	pthread_mutex_unlock(&s->lock);
	if (rv != CKR_OK)
		return rv;
	if (!admin_cred(m, tok, sizeof(tok), &cred)) {
		KW_LOG_ERROR("C_InitToken needs admin_token_file or "
			     "admin_token_env in KEYWARDEN_PKCS11_CONF");
		rv = CKR_FUNCTION_NOT_SUPPORTED;
		goto out;
	}
	json_t *body = json_pack("{s:s}", "name", s->partition);
	rc = body == NULL ? KW_E_NOMEM
			  : p11_call(m, s, &cred, "POST", "/v1/partitions",
				     body, NULL, NULL, NULL);
	json_decref(body);
	if (rc != KW_OK && rc != KW_E_EXISTS) {
		rv = p11_rv(rc, P11_CTX_GENERIC);
		goto out;
	}
	rv = p11_principal_password(m, s, &cred, m->cfg.so ?: "so",
				    p11_so_roles, pin, pin_len);
out:
	p11_wipe(tok, sizeof(tok));
	return rv;
}
