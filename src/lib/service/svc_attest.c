/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "service"

/*
 * Attested agents (docs/tpm.md): enrollment with credential activation,
 * challenges, quotes checked by the verifier of src/lib/tpm against the
 * agent's attestation policy, grants, and the gate keys with
 * "require_attestation" put before signing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "keywarden/log.h"
#include "service/attest_int.h"
#include "util/codec.h"

kw_rc kw_svc_attest_open(kw_service *svc, const kw_svc_tpm_config *cfg)
{
	kw_rc rc = KW_E_NOMEM;
	struct kw_svc_attest *a = calloc(1, sizeof(*a));
	const char *pcrs =
		cfg->seal_pcrs != NULL ? cfg->seal_pcrs : "sha256:0,7";

	if (a == NULL)
		goto out;
	pthread_mutex_init(&a->mu, NULL);
	strcpy(a->unseal_state, "none");
	a->grant_ttl_s = cfg->grant_ttl_s ? cfg->grant_ttl_s : 300;
	a->challenge_ttl_s = cfg->challenge_ttl_s ? cfg->challenge_ttl_s : 120;
	if ((cfg->tcti && !(a->tcti = strdup(cfg->tcti))) ||
	    (cfg->seal_file && !(a->seal_file = strdup(cfg->seal_file))) ||
	    (cfg->ek_ca_file && !(a->ek_ca_file = strdup(cfg->ek_ca_file))))
		goto out;
	rc = kw_tpm_pcrsel_parse(pcrs, &a->seal_pcrs);
	if (rc != KW_OK)
		goto out;
	svc->attest = a;
	a = NULL;
out:
	if (a != NULL) {
		svc->attest = a;
		kw_svc_attest_close(svc);
	}
	return rc;
}

void kw_svc_attest_close(kw_service *svc)
{
	struct kw_svc_attest *a = svc != NULL ? svc->attest : NULL;

	if (a == NULL)
		return;
	for (size_t i = 0; i < ATT_PENDING_MAX; i++)
		att_pending_clear(&a->pending[i]);
	pthread_mutex_destroy(&a->mu);
	free(a->tcti);
	free(a->seal_file);
	free(a->ek_ca_file);
	kw_wipe(a, sizeof(*a));
	free(a);
	svc->attest = NULL;
}

char *att_b64(const uint8_t *p, size_t n)
{
	char *s = NULL;

	return kw_base64_encode_alloc(p, n, false, &s) == KW_OK ? s : NULL;
}

void att_pending_clear(att_pending *p)
{
	free(p->ek_b64);
	free(p->ak_b64);
	free(p->key_b64);
	kw_wipe(p, sizeof(*p));
}

/* The slot a new entry of a table goes to: a free or expired one, else
 * the one that expires first. */
#define OLDEST_SLOT(tab, n, now, out)                                 \
	do {                                                          \
		size_t i_;                                            \
		(out) = 0;                                            \
		for (i_ = 0; i_ < (n); i_++) {                        \
			if ((tab)[i_].expires <= (now)) {             \
				(out) = i_;                           \
				break;                                \
			}                                             \
			if ((tab)[i_].expires < (tab)[(out)].expires) \
				(out) = i_;                           \
		}                                                     \
	} while (0)

att_pending *att_pending_slot(struct kw_svc_attest *a)
{
	int64_t now = att_now();
	size_t slot = 0;

	pthread_mutex_lock(&a->mu);
	OLDEST_SLOT(a->pending, ATT_PENDING_MAX, now, slot);
	att_pending_clear(&a->pending[slot]);
	return &a->pending[slot];
}

bool att_pending_take(struct kw_svc_attest *a, const char *id,
		      const char *partition, bool device, att_pending *out)
{
	int64_t now = att_now();
	bool found = false;

	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < ATT_PENDING_MAX; i++) {
		att_pending *q = &a->pending[i];
		if (q->expires > now && q->device == device &&
		    strcmp(q->id, id) == 0 &&
		    strcmp(q->partition, partition) == 0) {
			*out = *q;
			memset(q, 0, sizeof(*q));
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&a->mu);
	return found;
}

kw_rc kw_svc_agent_enroll(kw_service *svc, kw_svc_call *c,
			  const char *partition, const kw_svc_enroll *e,
			  json_t **out)
{
	struct kw_svc_attest *a = svc->attest;
	uint8_t name[KW_TPM_NAME_MAX], *blob = NULL, *sec = NULL;
	size_t name_len = 0, blen = 0, slen = 0;
	char hexname[2 * KW_TPM_NAME_MAX + 1], id[ATT_ID_LEN + 1];
	char *ek = NULL, *ak = NULL, *bs = NULL, *ss = NULL;
	kw_principal_info pi;
	kw_tpm_pcrsel sel;
	json_t *pol = NULL;
	kw_secret *cred = NULL;
	const char *why = NULL;
	int64_t now = att_now();
	kw_rc rc = svc_authorize(svc, c, KW_OP_PRINCIPAL_MANAGE, partition);

	if (rc != KW_OK)
		goto out;
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"agent\":\"%s\",\"policy\":\"%s\"}", svc_safe_name(e->name),
		 svc_safe_name(e->policy));
	rc = KW_E_STATE;
	if (a == NULL || a->ek_ca_file == NULL) {
		svc_reason(c, "no TPM manufacturer CAs are configured "
			      "(tpm.ek_ca_file)");
		goto out;
	}
	rc = KW_E_INVALID;
	if (strcmp(svc_safe_name(e->name), e->name) != 0 ||
	    strcmp(e->name, "*") == 0) {
		svc_reason(c, "invalid agent name");
		goto out;
	}
	rc = att_policy_load(svc, partition, e->policy, &sel, &pol);
	if (rc == KW_E_NOT_FOUND)
		svc_reason(c, "no such attestation policy");
	if (rc != KW_OK)
		goto out;
	rc = kw_principal_get(svc->auth, partition, e->name, &pi);
	if (rc == KW_OK) {
		rc = KW_E_EXISTS;
		svc_reason(c, "a principal of that name exists");
		goto out;
	}
	rc = kw_tpm_ek_check(e->ek_pub, e->ek_pub_len, e->ek_cert,
			     e->ek_cert_len, a->ek_ca_file, &why);
	if (rc == KW_OK)
		rc = kw_tpm_key_check(e->ak_pub, e->ak_pub_len, KW_TPM_ROLE_AK,
				      name, &name_len, &why);
	if (rc != KW_OK) {
		KW_LOG_INFO("enrollment of %s refused: %s",
			    svc_safe_name(e->name), why);
		svc_reason(c, "%s", why != NULL ? why : "refused");
		rc = rc == KW_E_STORAGE ? KW_E_STATE : KW_E_DENIED;
		goto out;
	}
	rc = att_credential(e->ek_pub, e->ek_pub_len, name, name_len, &cred,
			    &blob, &blen, &sec, &slen);
	if (rc == KW_OK)
		rc = att_new_id('e', id);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	ek = att_b64(e->ek_pub, e->ek_pub_len);
	ak = att_b64(e->ak_pub, e->ak_pub_len);
	bs = att_b64(blob, blen);
	ss = att_b64(sec, slen);
	if (ek == NULL || ak == NULL || bs == NULL || ss == NULL)
		goto out;
	kw_hex_encode(name, name_len, hexname);
	hexname[2 * name_len] = '\0';
	*out = json_pack("{s:s,s:s,s:s,s:s}", "enrollment", id,
			 "credential_blob", bs, "secret", ss, "ak_name",
			 hexname);
	if (*out == NULL)
		goto out;
	att_pending *p = att_pending_slot(a);
	strcpy(p->id, id);
	snprintf(p->partition, sizeof(p->partition), "%s", partition);
	snprintf(p->name, sizeof(p->name), "%s", e->name);
	snprintf(p->policy, sizeof(p->policy), "%s", e->policy);
	p->roles = e->roles;
	memcpy(p->cred, cred->data, 32);
	p->ek_b64 = ek;
	p->ak_b64 = ak;
	p->expires = now + (int64_t)a->challenge_ttl_s;
	ek = ak = NULL;
	pthread_mutex_unlock(&a->mu);
	rc = KW_OK;
out:
	json_decref(pol);
	kw_secret_free(cred);
	free(blob);
	free(sec);
	free(ek);
	free(ak);
	free(bs);
	free(ss);
	return rc;
}

kw_rc kw_svc_agent_activate(kw_service *svc, kw_svc_call *c,
			    const char *partition, const char *id,
			    const uint8_t *credential, size_t credential_len,
			    json_t **out)
{
	struct kw_svc_attest *a = svc->attest;
	att_pending p;
	bool found = false;
	char lookup[KW_BARRIER_NAME_MAX], rid[ATT_ID_LEN + 1];
	char tid[KW_TOKEN_ID_LEN + 1];
	kw_principal_info pi;
	kw_secret *token = NULL;
	int64_t expires = 0, now = att_now();
	json_t *rec = NULL;
	kw_rc rc = svc_authorize(svc, c, KW_OP_PRINCIPAL_MANAGE, partition);

	memset(&p, 0, sizeof(p));
	if (rc != KW_OK)
		goto out;
	snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"enrollment\":\"%s\"}",
		 svc_safe_name(id));
	rc = KW_E_NOT_FOUND;
	if (a == NULL)
		goto out;
	/* One attempt per enrollment: whatever the outcome, it is over. */
	found = att_pending_take(a, id, partition, false, &p);
	if (!found) {
		svc_reason(c, "no such enrollment (or it expired)");
		goto out;
	}
	snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"agent\":\"%s\"}",
		 p.name);
	rc = KW_E_DENIED;
	if (credential_len != 32 || !kw_ct_equal(credential, p.cred, 32)) {
		svc_reason(c, "the credential does not match: the TPM that "
			      "answered does not hold this EK and AK");
		goto out;
	}
	rc = kw_principal_create(svc->auth, partition, p.name,
				 KW_PRINCIPAL_AGENT, p.roles, NULL, &pi);
	if (rc == KW_E_EXISTS)
		svc_reason(c, "a principal of that name exists");
	if (rc == KW_OK)
		rc = att_new_id('a', rid);
	if (rc != KW_OK)
		goto out;
	rc = KW_E_NOMEM;
	rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "name", p.name,
			"partition", partition, "policy", p.policy, "ek",
			p.ek_b64, "ak", p.ak_b64, "enrolled", (json_int_t)now);
	if (rec == NULL)
		goto out;
	snprintf(lookup, sizeof(lookup), "agent/%s/%s", partition, p.name);
	rc = att_rec_put(svc, partition, lookup, rid, rec, 0);
	if (rc == KW_OK)
		rc = kw_auth_token_create(svc->auth, partition, p.name,
					  86400u * 30, "agent", &token, tid,
					  &expires);
	if (rc != KW_OK) {
		(void)kw_principal_delete(svc->auth, partition, p.name);
		goto out;
	}
	*out = json_pack("{s:s,s:s,s:s%,s:I}", "principal", p.name, "partition",
			 partition, "token", (const char *)token->data,
			 token->len, "expires_at", (json_int_t)expires);
	rc = *out != NULL ? KW_OK : KW_E_NOMEM;
out:
	att_pending_clear(&p);
	kw_secret_free(token);
	json_decref(rec);
	return rc;
}

/* The calling agent's record and its policy's selection. */
kw_rc att_agent_of(kw_service *svc, kw_svc_call *c, json_t **out_rec,
		   char *out_id, uint64_t *out_ver, kw_tpm_pcrsel *out_sel,
		   json_t **out_pol)
{
	char lookup[KW_BARRIER_NAME_MAX];
	kw_rc rc = KW_E_DENIED;

	svc_reason(c, "only enrolled agents attest");
	if (!c->authenticated || c->caller.kind != KW_PRINCIPAL_AGENT ||
	    svc->attest == NULL)
		goto out;
	snprintf(c->ev.partition, sizeof(c->ev.partition), "%s",
		 c->caller.partition);
	snprintf(lookup, sizeof(lookup), "agent/%s/%s", c->caller.partition,
		 c->caller.principal);
	rc = att_rec_get(svc, lookup, out_rec, out_id, out_ver);
	if (rc == KW_E_NOT_FOUND)
		rc = KW_E_DENIED;
	if (rc != KW_OK)
		goto out;
	rc = att_policy_load(
		svc, c->caller.partition,
		json_string_value(json_object_get(*out_rec, "policy")), out_sel,
		out_pol);
	if (rc != KW_OK) {
		svc_reason(c, "the agent's attestation policy is missing");
		json_decref(*out_rec);
		*out_rec = NULL;
		rc = KW_E_DENIED;
		goto out;
	}
	c->ev.reason[0] = '\0';
out:
	return rc;
}

kw_rc kw_svc_attest_challenge(kw_service *svc, kw_svc_call *c, json_t **out)
{
	struct kw_svc_attest *a = svc->attest;
	json_t *rec = NULL, *pol = NULL;
	kw_tpm_pcrsel sel;
	att_nonce n;
	char text[96], *nb = NULL;
	size_t slot = 0;
	int64_t now = att_now();
	kw_rc rc = att_agent_of(svc, c, &rec, NULL, NULL, &sel, &pol);

	memset(&n, 0, sizeof(n));
	if (rc != KW_OK)
		goto out;
	rc = kw_random(n.nonce, sizeof(n.nonce));
	if (rc != KW_OK)
		goto out;
	snprintf(n.partition, sizeof(n.partition), "%s", c->caller.partition);
	snprintf(n.principal, sizeof(n.principal), "%s", c->caller.principal);
	n.expires = now + (int64_t)a->challenge_ttl_s;
	att_sel_text(&sel, text, sizeof(text));
	rc = KW_E_NOMEM;
	nb = att_b64(n.nonce, sizeof(n.nonce));
	if (nb == NULL)
		goto out;
	*out = json_pack("{s:s,s:s,s:I}", "nonce", nb, "pcrs", text,
			 "expires_at", (json_int_t)n.expires);
	if (*out == NULL)
		goto out;
	/* One outstanding nonce per agent: a new one replaces the old. */
	pthread_mutex_lock(&a->mu);
	OLDEST_SLOT(a->nonces, ATT_NONCES_MAX, now, slot);
	for (size_t i = 0; i < ATT_NONCES_MAX; i++)
		if (strcmp(a->nonces[i].principal, n.principal) == 0 &&
		    strcmp(a->nonces[i].partition, n.partition) == 0)
			slot = i;
	a->nonces[slot] = n;
	pthread_mutex_unlock(&a->mu);
	rc = KW_OK;
out:
	free(nb);
	json_decref(rec);
	json_decref(pol);
	return rc;
}

/* Takes the caller's outstanding nonce (it is used once, whatever the
 * outcome). */
static bool nonce_take(struct kw_svc_attest *a, const kw_caller *who,
		       uint8_t out[32])
{
	int64_t now = att_now();
	bool found = false;

	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < ATT_NONCES_MAX; i++) {
		att_nonce *n = &a->nonces[i];
		if (n->expires > now &&
		    strcmp(n->principal, who->principal) == 0 &&
		    strcmp(n->partition, who->partition) == 0) {
			memcpy(out, n->nonce, 32);
			memset(n, 0, sizeof(*n));
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&a->mu);
	return found;
}

/* Drops the caller's grant (a refused quote ends it). */
static void grant_revoke(struct kw_svc_attest *a, const kw_caller *who)
{
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < ATT_GRANTS_MAX; i++)
		if (strcmp(a->grants[i].principal, who->principal) == 0 &&
		    strcmp(a->grants[i].partition, who->partition) == 0)
			memset(&a->grants[i], 0, sizeof(a->grants[i]));
	pthread_mutex_unlock(&a->mu);
}

/* The reported values into pcrs[]; every PCR of sel must be there with a
 * digest of the bank's size. */
static kw_rc pcrs_read(kw_svc_call *c, const json_t *in,
		       const kw_tpm_pcrsel *sel, uint8_t (*pcrs)[64])
{
	size_t hl = kw_hash_size(sel->bank);
	char num[4];

	if (!json_is_object(in))
		goto bad;
	for (unsigned i = 0; i < KW_TPM_PCRS; i++) {
		const char *h = NULL;
		if (!(sel->mask & (1u << i)))
			continue;
		snprintf(num, sizeof(num), "%u", i);
		h = json_string_value(json_object_get(in, num));
		if (h == NULL || strlen(h) != 2 * hl ||
		    kw_hex_decode(h, 2 * hl, pcrs[i]) != KW_OK) {
			svc_reason(c,
				   "pcrs.%u: missing or not a %zu-byte hex "
				   "digest",
				   i, hl);
			return KW_E_INVALID;
		}
	}
	return KW_OK;
bad:
	svc_reason(c, "pcrs must be an object of PCR number to hex digest");
	return KW_E_INVALID;
}

/* Whether each selected PCR's value is one of the policy's golden values. */
static bool golden_ok(kw_svc_call *c, const json_t *pol,
		      const kw_tpm_pcrsel *sel, uint8_t (*pcrs)[64])
{
	const json_t *g = json_object_get(pol, "golden");
	size_t hl = kw_hash_size(sel->bank), k = 0;
	char num[4], hex[2 * KW_DIGEST_MAX + 1];
	const json_t *v = NULL;

	for (unsigned i = 0; i < KW_TPM_PCRS; i++) {
		bool ok = false;
		if (!(sel->mask & (1u << i)))
			continue;
		snprintf(num, sizeof(num), "%u", i);
		kw_hex_encode(pcrs[i], hl, hex);
		hex[2 * hl] = '\0';
		json_array_foreach(json_object_get(g, num), k, v)
		{
			const char *s = json_string_value(v);
			if (s != NULL && strcasecmp(s, hex) == 0)
				ok = true;
		}
		if (!ok) {
			svc_reason(c,
				   "PCR %u value is not in the golden values "
				   "of policy %s",
				   i,
				   svc_safe_name(json_string_value(
					   json_object_get(pol, "name"))));
			return false;
		}
	}
	return true;
}

/* The counters of the last accepted quote, from the agent's record. */
static bool last_clock(const json_t *rec, kw_tpm_clock *out)
{
	const json_t *k = json_object_get(rec, "clock");

	if (!json_is_object(k))
		return false;
	out->clock = (uint64_t)json_integer_value(json_object_get(k, "clock"));
	out->reset_count =
		(uint32_t)json_integer_value(json_object_get(k, "reset"));
	out->restart_count =
		(uint32_t)json_integer_value(json_object_get(k, "restart"));
	return true;
}

kw_rc kw_svc_attest_quote(kw_service *svc, kw_svc_call *c,
			  const kw_svc_quote *q, json_t **out)
{
	struct kw_svc_attest *a = svc->attest;
	uint8_t nonce[32], (*pcrs)[64] = NULL, *ak = NULL;
	uint8_t evidence[32];
	char id[KW_STORE_ID_MAX + 1], ev_hex[65], lookup[KW_BARRIER_NAME_MAX];
	const char *why = NULL;
	json_t *rec = NULL, *pol = NULL;
	kw_tpm_quote_expect e;
	kw_tpm_clock last, now_clock;
	kw_tpm_pcrsel sel;
	att_grant g;
	size_t ak_len = 0, slot = 0;
	uint64_t ver = 0;
	kw_rc rc = att_agent_of(svc, c, &rec, id, &ver, &sel, &pol);

	memset(&e, 0, sizeof(e));
	memset(&g, 0, sizeof(g));
	if (rc != KW_OK)
		goto out;
	rc = KW_E_DENIED;
	if (!nonce_take(a, &c->caller, nonce)) {
		svc_reason(c, "no outstanding challenge: ask for a nonce "
			      "first (a quote answers one nonce, once)");
		goto refused;
	}
	rc = KW_E_NOMEM;
	pcrs = calloc(KW_TPM_PCRS, sizeof(*pcrs));
	if (pcrs == NULL)
		goto out;
	rc = pcrs_read(c, q->pcrs, &sel, pcrs);
	if (rc != KW_OK)
		goto refused;
	rc = att_rec_bytes(rec, "ak", &ak, &ak_len);
	if (rc != KW_OK)
		goto out;
	e.ak_pub = ak;
	e.ak_pub_len = ak_len;
	/* The nonce the agent says it answers must be the one we issued;
	 * the verifier then checks the TPM signed that same value. */
	rc = KW_E_DENIED;
	if (q->nonce_len != sizeof(nonce) ||
	    !kw_ct_equal(q->nonce, nonce, sizeof(nonce))) {
		svc_reason(c, "quote nonce does not match the challenge");
		goto refused;
	}
	e.nonce = nonce;
	e.nonce_len = sizeof(nonce);
	e.sel = sel;
	e.pcrs = (const uint8_t(*)[64])pcrs;
	e.last = last_clock(rec, &last) ? &last : NULL;
	rc = kw_tpm_quote_verify(&e, q->attest, q->attest_len, q->sig,
				 q->sig_len, &now_clock, evidence, &why);
	if (rc != KW_OK) {
		svc_reason(c, "%s", why != NULL ? why : "quote refused");
		rc = rc == KW_E_VERIFY ? KW_E_DENIED : rc;
		goto refused;
	}
	kw_hex_encode(evidence, 32, ev_hex);
	ev_hex[64] = '\0';
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"evidence\":\"%s\",\"reset\":%u,\"restart\":%u}", ev_hex,
		 now_clock.reset_count, now_clock.restart_count);
	rc = KW_E_DENIED;
	if (!golden_ok(c, pol, &sel, pcrs))
		goto refused;
	/* Remember the counters, so that an older quote never passes. */
	rc = KW_E_NOMEM;
	if (json_object_set_new(
		    rec, "clock",
		    json_pack("{s:I,s:I,s:I}", "clock",
			      (json_int_t)now_clock.clock, "reset",
			      (json_int_t)now_clock.reset_count, "restart",
			      (json_int_t)now_clock.restart_count)) != 0)
		goto out;
	snprintf(lookup, sizeof(lookup), "agent/%s/%s", c->caller.partition,
		 c->caller.principal);
	rc = att_rec_put(svc, c->caller.partition, lookup, id, rec, ver);
	if (rc == KW_OK)
		rc = att_new_id('g', g.id);
	if (rc != KW_OK)
		goto out;
	snprintf(g.partition, sizeof(g.partition), "%s", c->caller.partition);
	snprintf(g.principal, sizeof(g.principal), "%s", c->caller.principal);
	memcpy(g.evidence, evidence, 32);
	g.expires = att_now() + (int64_t)a->grant_ttl_s;
	rc = KW_E_NOMEM;
	*out = json_pack("{s:s,s:I,s:s}", "grant", g.id, "expires_at",
			 (json_int_t)g.expires, "evidence", ev_hex);
	if (*out == NULL)
		goto out;
	grant_revoke(a, &c->caller);
	pthread_mutex_lock(&a->mu);
	OLDEST_SLOT(a->grants, ATT_GRANTS_MAX, att_now(), slot);
	a->grants[slot] = g;
	pthread_mutex_unlock(&a->mu);
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"evidence\":\"%s\",\"grant\":\"%s\"}", ev_hex, g.id);
	rc = KW_OK;
	goto out;
refused:
	grant_revoke(a, &c->caller);
out:
	free(ak);
	free(pcrs);
	json_decref(rec);
	json_decref(pol);
	return rc;
}

/* Whether key policy text asks for attestation. Keys without the word
 * cost one strstr on the signing path. */
static bool requires_attestation(const char *policy)
{
	json_t *doc = NULL;
	bool yes = false;

	if (policy == NULL || strstr(policy, "require_attestation") == NULL)
		return false;
	doc = json_loads(policy, 0, NULL);
	/* A policy that says it but cannot be read: fail closed. */
	yes = doc == NULL ||
	      !json_is_false(json_object_get(doc, "require_attestation"));
	json_decref(doc);
	return yes;
}

kw_rc kw_svc_attest_sign_gate(kw_service *svc, kw_svc_call *c,
			      const kw_key_info *k)
{
	struct kw_svc_attest *a = svc->attest;
	char ev_hex[65];
	int64_t now = att_now();
	kw_rc rc = KW_E_DENIED;

	if (!requires_attestation(k->policy))
		return KW_OK;
	svc_reason(c,
		   "key %s requires a valid TPM attestation grant; the "
		   "caller holds none (attest first, or it expired)",
		   svc_safe_name(k->name));
	if (a == NULL)
		return rc;
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < ATT_GRANTS_MAX; i++) {
		const att_grant *g = &a->grants[i];
		if (g->expires > now &&
		    strcmp(g->principal, c->caller.principal) == 0 &&
		    strcmp(g->partition, c->caller.partition) == 0 &&
		    !c->caller.system) {
			kw_hex_encode(g->evidence, 32, ev_hex);
			ev_hex[64] = '\0';
			snprintf(c->ev.detail, sizeof(c->ev.detail),
				 "{\"attestation\":{\"evidence\":\"%s\","
				 "\"grant\":\"%s\"}}",
				 ev_hex, g->id);
			rc = KW_OK;
			break;
		}
	}
	pthread_mutex_unlock(&a->mu);
	if (rc == KW_OK)
		c->ev.reason[0] = '\0';
	return rc;
}
