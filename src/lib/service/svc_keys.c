/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "service/internal.h"

/* Reasons for the key module's codes, in the words of the API. */
static void key_reason(kw_svc_call *c, kw_rc rc, const char *name)
{
	switch (rc) {
	case KW_E_NOT_FOUND:
		svc_reason(c, "no key %s", name);
		break;
	case KW_E_EXISTS:
		svc_reason(c, "a key named %s exists", name);
		break;
	case KW_E_STATE:
		svc_reason(c, "the key's state does not allow this");
		break;
	case KW_E_UNSUPPORTED:
		svc_reason(c, "not possible with this key type");
		break;
	case KW_E_LIMIT:
		svc_reason(c, "the key has the most versions it may have");
		break;
	default:
		break;
	}
}

/* Common tail of the functions that return a key: event version. */
static void key_done(kw_svc_call *c, const kw_key_info *k)
{
	if (k != NULL)
		svc_event_key(c, k->name, k->primary_version);
}

/* A key policy is checked when it is set (docs/roles.md, docs/quorum.md):
 * KW_E_INVALID with the parser's message. */
static kw_rc policy_check(kw_svc_call *c, const char *policy)
{
	char err[KW_SVC_REASON_MAX - 10];
	if (policy == NULL ||
	    kw_key_policy_validate(policy, err, sizeof(err)) == KW_OK)
		return KW_OK;
	svc_reason(c, "policy: %s", err);
	return KW_E_INVALID;
}

kw_rc kw_svc_key_create(kw_service *svc, kw_svc_call *c,
			const kw_key_spec *spec, kw_key_info **out)
{
	kw_rc rc;

	svc_event_key(c, spec->name, 0);
	rc = svc_authorize(svc, c, KW_OP_KEY_CREATE, spec->partition);
	if (rc == KW_OK)
		rc = policy_check(c, spec->policy);
	if (rc != KW_OK)
		goto out;
	snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"type\":\"%s\"}",
		 kw_key_type_name(spec->type) != NULL
			 ? kw_key_type_name(spec->type)
			 : "");
	rc = kw_key_create(svc->keys, spec, out);
	if (rc == KW_E_UNSUPPORTED)
		svc_reason(c, "these usages do not fit a %s key",
			   kw_key_type_name(spec->type));
	else
		key_reason(c, rc, spec->name);
	if (rc == KW_OK)
		key_done(c, *out);
out:
	return rc;
}

kw_rc kw_svc_key_get(kw_service *svc, kw_svc_call *c, const char *partition,
		     const char *name, kw_key_info **out)
{
	kw_rc rc =
		svc_authorize_key(svc, c, KW_OP_KEY_READ, partition, name, out);
	if (rc == KW_OK)
		key_done(c, *out);
	return rc;
}

kw_rc kw_svc_key_list(kw_service *svc, kw_svc_call *c, const char *partition,
		      const kw_key_filter *filter, const char *cursor,
		      size_t limit, kw_key_info ***out, size_t *out_n,
		      char **out_next)
{
	kw_rc rc = svc_authorize(svc, c, KW_OP_KEY_READ, partition);

	if (rc == KW_OK)
		rc = kw_key_list(svc->keys, partition, filter, cursor, limit,
				 out, out_n, out_next);
	if (rc == KW_E_INVALID)
		svc_reason(c, "bad filter or cursor");
	if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"count\":%zu}",
			 *out_n);
	return rc;
}

kw_rc kw_svc_key_update(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, const kw_key_update *u,
			kw_key_info **out)
{
	kw_key_info *k = NULL;
	char *params = NULL;
	kw_op op = u->set_policy ? KW_OP_KEY_POLICY : KW_OP_KEY_UPDATE;
	kw_rc rc = svc_authorize_key(svc, c, op, partition, name, &k);

	/* A change of policy and of other metadata at once needs both
	 * rights. */
	if (rc == KW_OK && u->set_policy &&
	    (u->set_exportable_false || u->set_rotation || u->set_labels ||
	     u->set_usages))
		rc = svc_authorize(svc, c, KW_OP_KEY_UPDATE, partition);
	if (rc != KW_OK)
		goto out;
	if (u->set_policy) {
		/* checked before any quorum; the gate then binds the whole
		 * update, under the key's current rules */
		rc = policy_check(c, u->policy);
		if (rc != KW_OK)
			goto out;
		params = svc_params_key_update(u);
		rc = svc_quorum_gate(svc, c, KW_QOP_KEY_POLICY, partition, k,
				     params);
		if (rc != KW_OK)
			goto out;
	}
	rc = kw_key_update_meta(svc->keys, partition, k->name, u, out);
	if (rc == KW_E_STATE)
		svc_reason(c, "usages can only be narrowed and exportable "
			      "only turned off");
	else
		key_reason(c, rc, k->name);
	if (rc == KW_OK)
		key_done(c, *out);
out:
	free(params);
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_key_rotate(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, kw_key_info **out)
{
	kw_key_info *k = NULL;
	kw_rc rc = svc_authorize_key(svc, c, KW_OP_KEY_ROTATE, partition, name,
				     &k);

	if (rc != KW_OK)
		goto out;
	rc = kw_key_rotate(svc->keys, partition, k->name, out);
	if (rc == KW_E_LIMIT)
		rc = KW_E_STATE; /* too many versions: a state, not a rate */
	if (rc == KW_E_STATE)
		svc_reason(c,
			   "only an active key with fewer than %d versions "
			   "can be rotated",
			   KW_KEY_VERSIONS_MAX);
	else
		key_reason(c, rc, k->name);
	if (rc == KW_OK)
		key_done(c, *out);
out:
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_key_set_state(kw_service *svc, kw_svc_call *c,
			   const char *partition, const char *name,
			   kw_key_state to, kw_key_info **out)
{
	kw_key_info *k = NULL;
	kw_rc rc =
		svc_authorize_key(svc, c, KW_OP_KEY_STATE, partition, name, &k);

	if (rc != KW_OK)
		goto out;
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"from\":\"%s\",\"to\":\"%s\"}", kw_key_state_name(k->state),
		 kw_key_state_name(to));
	rc = kw_key_set_state(svc->keys, partition, k->name, to, out);
	if (rc == KW_E_STATE)
		svc_reason(c, "a %s key cannot become %s",
			   kw_key_state_name(k->state), kw_key_state_name(to));
	else
		key_reason(c, rc, k->name);
	if (rc == KW_OK)
		key_done(c, *out);
out:
	kw_key_info_free(k);
	return rc;
}

kw_rc kw_svc_key_destroy(kw_service *svc, kw_svc_call *c, const char *partition,
			 const char *name, uint64_t waiting_s,
			 kw_key_info **out)
{
	kw_key_info *k = NULL;
	char params[48];
	kw_rc rc = svc_authorize_key(svc, c, KW_OP_KEY_DESTROY, partition, name,
				     &k);

	if (rc != KW_OK)
		goto out;
	snprintf(params, sizeof(params), "{\"waiting_period\":%llu}",
		 (unsigned long long)waiting_s);
	rc = svc_quorum_gate(svc, c, KW_QOP_KEY_DESTROY, partition, k, params);
	if (rc != KW_OK)
		goto out;
	snprintf(c->ev.detail, sizeof(c->ev.detail),
		 "{\"waiting_period\":%llu}", (unsigned long long)waiting_s);
	rc = kw_key_schedule_destroy(svc->keys, partition, k->name, waiting_s,
				     out);
	if (rc == KW_E_INVALID)
		svc_reason(c, "waiting_period must be at most 365 days");
	else
		key_reason(c, rc, k->name);
	if (rc == KW_OK)
		key_done(c, *out);
out:
	kw_key_info_free(k);
	return rc;
}

void kw_svc_pubkey_clear(kw_svc_pubkey *p)
{
	if (p == NULL)
		return;
	free(p->pem);
	free(p->a);
	free(p->b);
	memset(p, 0, sizeof(*p));
}

kw_rc kw_svc_key_public(kw_service *svc, kw_svc_call *c, const char *partition,
			const char *name, uint32_t version, kw_svc_pubkey *out)
{
	kw_key_info *k = NULL;
	kw_ckey *ck = NULL;
	kw_svc_pubkey p = {0};
	kw_rc rc =
		svc_authorize_key(svc, c, KW_OP_KEY_READ, partition, name, &k);

	if (rc != KW_OK)
		goto out;
	p.type = k->type;
	p.version = version != 0 ? version : k->primary_version;
	svc_event_key(c, k->name, p.version);
	rc = kw_key_public_pem(svc->keys, partition, k->name, p.version,
			       &p.pem);
	if (rc == KW_E_UNSUPPORTED)
		svc_reason(c, "%s keys have no public key",
			   kw_key_type_name(k->type));
	else if (rc == KW_E_NOT_FOUND || rc == KW_E_INVALID)
		svc_reason(c, "key %s has no version %u", k->name, p.version);
	else
		key_reason(c, rc, k->name);
	if (rc == KW_E_INVALID)
		rc = KW_E_NOT_FOUND;
	if (rc != KW_OK)
		goto out;
	/* The JWK members come from the key itself, not from re-parsing
	 * text in the daemon. */
	rc = kw_ckey_from_public(k->type, (const uint8_t *)p.pem, strlen(p.pem),
				 &ck);
	if (rc == KW_OK)
		rc = kw_ckey_public_components(ck, &p.a, &p.a_len, &p.b,
					       &p.b_len);
	if (rc != KW_OK)
		goto out;
	*out = p;
	memset(&p, 0, sizeof(p));
out:
	kw_ckey_free(ck);
	kw_svc_pubkey_clear(&p);
	kw_key_info_free(k);
	return rc;
}
