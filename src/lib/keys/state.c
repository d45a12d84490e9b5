/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <time.h>

#include "keys/internal.h"

/*
 * The key's own rules: state names and transitions, usage names, which
 * usages each type can have, and which operations a state allows. Pure
 * tables; no locks.
 */

static const char *const state_names[KW_KEY_STATE_COUNT_] = {
	[KW_KEY_PRE_ACTIVE] = "pre-active",
	[KW_KEY_ACTIVE] = "active",
	[KW_KEY_DISABLED] = "disabled",
	[KW_KEY_COMPROMISED] = "compromised",
	[KW_KEY_PENDING_DESTRUCTION] = "pending-destruction",
	[KW_KEY_DESTROYED] = "destroyed",
};

#define BIT(s) (1u << (s))

/* allowed[from] = set of states reachable in one step (keys.h). */
static const unsigned transitions[KW_KEY_STATE_COUNT_] = {
	[KW_KEY_PRE_ACTIVE] = BIT(KW_KEY_ACTIVE) | BIT(KW_KEY_DISABLED) |
			      BIT(KW_KEY_PENDING_DESTRUCTION),
	[KW_KEY_ACTIVE] = BIT(KW_KEY_DISABLED) | BIT(KW_KEY_COMPROMISED) |
			  BIT(KW_KEY_PENDING_DESTRUCTION),
	[KW_KEY_DISABLED] = BIT(KW_KEY_ACTIVE) | BIT(KW_KEY_COMPROMISED) |
			    BIT(KW_KEY_PENDING_DESTRUCTION),
	[KW_KEY_COMPROMISED] = BIT(KW_KEY_PENDING_DESTRUCTION),
	[KW_KEY_PENDING_DESTRUCTION] =
		BIT(KW_KEY_DISABLED) | BIT(KW_KEY_DESTROYED),
	[KW_KEY_DESTROYED] = 0,
};

static const char *const usage_names[] = {
	"sign", "verify", "encrypt", "decrypt", "wrap", "unwrap", "mac",
};

#define USAGES_SIGNING (KW_USAGE_SIGN | KW_USAGE_VERIFY)
#define USAGES_RSA     (USAGES_SIGNING | KW_USAGE_ENCRYPT | KW_USAGE_DECRYPT)
#define USAGES_AES \
	(KW_USAGE_ENCRYPT | KW_USAGE_DECRYPT | KW_USAGE_WRAP | KW_USAGE_UNWRAP)

const char *kw_key_state_name(kw_key_state s)
{
	return (unsigned)s < KW_KEY_STATE_COUNT_ ? state_names[s] : NULL;
}

kw_rc kw_key_state_parse(const char *name, kw_key_state *out)
{
	if (name == NULL || out == NULL)
		return KW_E_INVALID;
	for (int i = KW_KEY_PRE_ACTIVE; i < KW_KEY_STATE_COUNT_; i++) {
		if (strcmp(state_names[i], name) == 0) {
			*out = (kw_key_state)i;
			return KW_OK;
		}
	}
	return KW_E_INVALID;
}

const char *kw_usage_name(uint32_t single_bit)
{
	for (size_t i = 0; i < sizeof(usage_names) / sizeof(usage_names[0]);
	     i++)
		if (single_bit == 1u << i)
			return usage_names[i];
	return NULL;
}

kw_rc kw_usage_parse(const char *name, uint32_t *out_bit)
{
	if (name == NULL || out_bit == NULL)
		return KW_E_INVALID;
	for (size_t i = 0; i < sizeof(usage_names) / sizeof(usage_names[0]);
	     i++) {
		if (strcmp(usage_names[i], name) == 0) {
			*out_bit = 1u << i;
			return KW_OK;
		}
	}
	return KW_E_INVALID;
}

uint32_t kw_key_type_usages_possible(kw_key_type t)
{
	switch (kw_key_type_class(t)) {
	case KW_CLASS_RSA:
		return USAGES_RSA;
	case KW_CLASS_EC:
	case KW_CLASS_EDDSA:
		return USAGES_SIGNING;
	case KW_CLASS_AES:
		return USAGES_AES;
	case KW_CLASS_HMAC:
		return KW_USAGE_MAC;
	case KW_CLASS_NONE:
		break;
	}
	return 0;
}

uint32_t kw_key_type_usages_default(kw_key_type t)
{
	switch (kw_key_type_class(t)) {
	case KW_CLASS_RSA:
	case KW_CLASS_EC:
	case KW_CLASS_EDDSA:
		return USAGES_SIGNING;
	case KW_CLASS_AES:
		/* Data keys by default: a key-wrapping key is asked for. */
		return KW_USAGE_ENCRYPT | KW_USAGE_DECRYPT;
	case KW_CLASS_HMAC:
		return KW_USAGE_MAC;
	case KW_CLASS_NONE:
		break;
	}
	return 0;
}

static bool name_chars_valid(const char *s)
{
	if (s == NULL)
		return false;
	size_t n = strnlen(s, KW_NAME_MAX + 1);
	if (n == 0 || n > KW_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			  c == '-';
		if (!ok)
			return false;
	}
	return true;
}

bool kw_keys_partition_valid(const char *s)
{
	return name_chars_valid(s);
}

bool kw_keys_name_valid(const char *s)
{
	return name_chars_valid(s) && !kw_keys_id_valid(s);
}

bool kw_keys_id_valid(const char *s)
{
	if (s == NULL || strnlen(s, KW_KEY_ID_LEN + 1) != KW_KEY_ID_LEN ||
	    s[0] != 'k' || s[1] != '-')
		return false;
	for (size_t i = 2; i < KW_KEY_ID_LEN; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

static bool label_text_valid(const char *s, size_t min)
{
	if (s == NULL)
		return false;
	size_t n = strnlen(s, KW_LABEL_MAX + 1);
	if (n < min || n > KW_LABEL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

bool kw_keys_labels_valid(const kw_label *l, size_t n)
{
	if (n > KW_LABELS_MAX || (l == NULL && n != 0))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!label_text_valid(l[i].key, 1) ||
		    !label_text_valid(l[i].value, 0))
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(l[i].key, l[j].key) == 0)
				return false;
	}
	return true;
}

bool kw_keys_policy_valid(const char *policy)
{
	if (policy == NULL)
		return true;
	size_t n = strnlen(policy, KW_POLICY_MAX + 1);
	return n >= 1 && n <= KW_POLICY_MAX;
}

bool kw_keys_transition_allowed(kw_key_state from, kw_key_state to)
{
	if ((unsigned)from >= KW_KEY_STATE_COUNT_ ||
	    (unsigned)to >= KW_KEY_STATE_COUNT_)
		return false;
	return (transitions[from] & BIT(to)) != 0;
}

kw_rc kw_keys_op_allowed(const kw_key_info *info, uint32_t u, bool creating)
{
	if ((kw_key_type_usages_possible(info->type) & u) == 0)
		return KW_E_UNSUPPORTED;
	/* A compromised key may still open and check what it made, so that
	 * data can be recovered and old signatures judged; it makes nothing
	 * new. */
	if (info->state != KW_KEY_ACTIVE &&
	    (creating || info->state != KW_KEY_COMPROMISED))
		return KW_E_STATE;
	if ((info->usages & u) == 0)
		return KW_E_DENIED;
	return KW_OK;
}

int64_t kw_keys_now(void)
{
	return (int64_t)time(NULL);
}
