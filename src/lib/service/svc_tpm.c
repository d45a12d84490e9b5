/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "service"

/*
 * Auto-unseal with the host TPM (docs/tpm.md): the master key sealed to a
 * PCR policy in a file beside the store, unsealed at start. The shares
 * always work as well: the TPM is a convenience, never the only way in.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "service/attest_int.h"

#define BLOB_MAX 8192

static void unseal_state(struct kw_svc_attest *a, const char *state,
			 const char *reason)
{
	pthread_mutex_lock(&a->mu);
	snprintf(a->unseal_state, sizeof(a->unseal_state), "%s", state);
	snprintf(a->unseal_reason, sizeof(a->unseal_reason), "%s",
		 reason != NULL ? reason : "");
	pthread_mutex_unlock(&a->mu);
}

static kw_rc blob_read(const char *path, uint8_t **out, size_t *out_len)
{
	kw_rc rc = KW_E_NOT_FOUND;
	uint8_t *b = NULL;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		goto out;
	rc = KW_E_NOMEM;
	b = malloc(BLOB_MAX);
	if (b == NULL)
		goto out;
	rc = KW_E_STORAGE;
	n = read(fd, b, BLOB_MAX);
	if (n <= 0 || n == BLOB_MAX)
		goto out;
	*out = b;
	*out_len = (size_t)n;
	b = NULL;
	rc = KW_OK;
out:
	if (fd >= 0)
		close(fd);
	free(b);
	return rc;
}

/* Replaces the file atomically (write a temporary file, fsync, rename). */
static kw_rc blob_write(const char *path, const uint8_t *b, size_t len)
{
	kw_rc rc = KW_E_NOMEM;
	size_t plen = strlen(path) + 5;
	char *tmp = malloc(plen);
	int fd = -1;

	if (tmp == NULL)
		goto out;
	snprintf(tmp, plen, "%s.new", path);
	rc = KW_E_STORAGE;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, b, len) != (ssize_t)len || fsync(fd) != 0 ||
	    close(fd) != 0) {
		KW_LOG_ERROR("cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		KW_LOG_ERROR("cannot rename to %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = KW_OK;
out:
	free(tmp);
	return rc;
}

kw_rc kw_svc_tpm_autounseal(kw_service *svc, kw_svc_call *c)
{
	struct kw_svc_attest *a = svc->attest;
	uint8_t *blob = NULL;
	size_t len = 0;
	kw_secret *master = NULL;
	const char *why = NULL;
	kw_rc rc = KW_E_NOT_FOUND;

	if (a == NULL || a->tcti == NULL || a->seal_file == NULL)
		goto out;
	rc = blob_read(a->seal_file, &blob, &len);
	if (rc == KW_E_NOT_FOUND)
		goto out;
	if (rc != KW_OK) {
		svc_reason(c, "the sealed master key file cannot be read");
		goto failed;
	}
	rc = kw_tpm_unseal(a->tcti, blob, len, &master, &why);
	if (rc != KW_OK) {
		svc_reason(c,
			   "TPM auto-unseal failed: %s; unseal with the "
			   "custodians' shares",
			   why != NULL ? why : kw_rc_str(rc));
		goto failed;
	}
	rc = kw_barrier_unseal_with_key(svc->barrier, master);
	if (rc == KW_OK) {
		kw_audit_barrier_changed(svc->audit);
		unseal_state(a, "ok", NULL);
		strcpy(c->ev.detail, "{\"method\":\"tpm\"}");
		KW_LOG_INFO("unsealed with the host TPM");
		goto out;
	}
	svc_reason(c,
		   "TPM auto-unseal failed: the sealed key is not this "
		   "instance's (%s)",
		   kw_rc_str(rc));
failed:
	KW_LOG_WARN("%s", c->ev.reason);
	unseal_state(a, "failed", c->ev.reason);
out:
	kw_secret_free(master);
	free(blob);
	return rc;
}

kw_rc kw_svc_tpm_seal(kw_service *svc, kw_svc_call *c, const char *pcrs,
		      json_t **out)
{
	struct kw_svc_attest *a = svc->attest;
	kw_tpm_pcrsel sel;
	kw_secret *master = NULL;
	uint8_t *blob = NULL;
	size_t len = 0;
	char text[96], params[96];
	kw_rc rc = svc_authorize(svc, c, KW_OP_SYS_SEAL, "");

	if (rc != KW_OK)
		goto out;
	rc = KW_E_STATE;
	if (a == NULL || a->tcti == NULL || a->seal_file == NULL) {
		svc_reason(c, "no host TPM is configured (tpm.tcti, "
			      "tpm.seal_file)");
		goto out;
	}
	sel = a->seal_pcrs;
	rc = KW_E_INVALID;
	if (pcrs != NULL && kw_tpm_pcrsel_parse(pcrs, &sel) != KW_OK) {
		svc_reason(c, "pcrs: expected a bank and PCR numbers 0..23 "
			      "like \"sha256:0,7\"");
		goto out;
	}
	att_sel_text(&sel, text, sizeof(text));
	snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"pcrs\":\"%s\"}", text);
	/* The request the quorum binds: the selection sealed to. */
	snprintf(params, sizeof(params), "{\"bank\":\"%s\",\"mask\":%u}",
		 kw_hash_name(sel.bank), sel.mask);
	rc = svc_quorum_gate(svc, c, KW_QOP_TPM_SEAL, "", NULL, params);
	if (rc != KW_OK)
		goto out;
	rc = kw_barrier_master_export(svc->barrier, &master);
	if (rc != KW_OK)
		goto out;
	rc = kw_tpm_seal(a->tcti, &sel, master, &blob, &len);
	if (rc != KW_OK) {
		svc_reason(c, "the host TPM refused or is unreachable");
		goto out;
	}
	rc = blob_write(a->seal_file, blob, len);
	if (rc != KW_OK) {
		svc_reason(c, "the sealed master key cannot be written");
		goto out;
	}
	unseal_state(a, "ok", NULL);
	*out = json_pack("{s:s}", "sealed_to", text);
	rc = *out != NULL ? KW_OK : KW_E_NOMEM;
out:
	kw_secret_free(master);
	free(blob);
	return rc;
}

json_t *kw_svc_tpm_status(kw_service *svc, json_t *obj)
{
	struct kw_svc_attest *a = svc->attest;
	uint8_t *blob = NULL;
	size_t len = 0;
	kw_tpm_pcrsel sel;
	char text[96] = "";
	json_t *t = NULL;

	if (a == NULL || obj == NULL || a->tcti == NULL)
		return obj;
	if (a->seal_file != NULL &&
	    blob_read(a->seal_file, &blob, &len) == KW_OK &&
	    kw_tpm_blob_pcrsel(blob, len, &sel) == KW_OK)
		att_sel_text(&sel, text, sizeof(text));
	free(blob);
	pthread_mutex_lock(&a->mu);
	t = json_pack("{s:b,s:s?,s:s,s:s}", "configured",
		      a->tcti != NULL && a->seal_file != NULL, "sealed_to",
		      text[0] ? text : NULL, "unseal", a->unseal_state,
		      "reason", a->unseal_reason);
	pthread_mutex_unlock(&a->mu);
	if (t != NULL)
		json_object_set_new(obj, "tpm", t);
	return obj;
}
