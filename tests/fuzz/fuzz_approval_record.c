/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "quorum/internal.h"

/*
 * The quorum module's two parsers on arbitrary bytes:
 *  - the approval record decoder (kw_quorum_rec_decode), the plaintext of
 *    a sealed KW_REC_APPROVAL record: it answers only KW_OK,
 *    KW_E_INTEGRITY or KW_E_NOMEM; what it accepts holds the record's
 *    invariants and re-encodes to exactly the bytes it came from (one tag
 *    order, one integer width), so nothing is dropped or reinterpreted;
 *  - the rules document parser (kw_quorum_policy_validate) at every
 *    level: KW_OK or KW_E_INVALID, always a terminated message, and a
 *    message exactly when it refuses.
 */

static void check_record(const kw_approval *a)
{
	if (a->n_factors < 1 || a->n_factors > KW_QUORUM_FACTORS_MAX ||
	    a->n_votes > KW_QUORUM_VOTES_MAX || kw_qop_name(a->op) == NULL ||
	    kw_approval_state_name(a->state) == NULL || a->params == NULL ||
	    strlen(a->params) > KW_QUORUM_PARAMS_MAX || a->record_version != 0)
		abort();
	for (size_t i = 0; i < a->n_factors; i++) {
		const kw_quorum_factor *f = &a->factors[i];
		if (kw_quorum_level_name(f->level) == NULL || f->m < 1 ||
		    f->m > KW_QUORUM_M_MAX ||
		    f->n_members > KW_QUORUM_MEMBERS_MAX ||
		    f->have > a->n_votes || f->ttl_s > KW_QUORUM_TTL_MAX ||
		    (f->roles & ~(uint32_t)KW_ROLE_ALL_) != 0)
			abort();
	}
}

static void check_rules(const char *text)
{
	static const kw_quorum_level levels[] = {
		KW_QUORUM_GLOBAL, KW_QUORUM_PARTITION, KW_QUORUM_KEY};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		char err[128];
		memset(err, 'x', sizeof(err));
		kw_rc rc = kw_quorum_policy_validate(text, levels[i], err,
						     sizeof(err));
		if (rc != KW_OK && rc != KW_E_INVALID)
			abort();
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		if ((rc == KW_OK) != (err[0] == '\0'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw_approval *a = NULL;
	kw_secret *again = NULL;
	kw_rc rc = kw_quorum_rec_decode(data, size, &a);

	if (rc != KW_OK && rc != KW_E_INTEGRITY && rc != KW_E_NOMEM)
		abort();
	if (rc == KW_OK) {
		check_record(a);
		if (kw_quorum_rec_encode(a, &again) == KW_OK &&
		    (again->len != size ||
		     memcmp(again->data, data, size) != 0))
			abort();
	}
	kw_secret_free(again);
	kw_approval_free(a);

	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_rules(text);
	free(text);
	return 0;
}
