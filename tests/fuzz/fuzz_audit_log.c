/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/verify.h"
#include "fuzz.h"

/*
 * The offline audit log verifier, through the entry point of `keywarden
 * audit verify` (kw_audit_verify_stream over the exported JSON Lines). The
 * first byte holds the options: bit 0 allow_tail, bit 1 allow_partial,
 * bit 2 the input starts with public keys (PEM or DER, up to the first NUL
 * byte) to trust besides the fixed key below. The seeds' checkpoints are
 * signed by that key's private half (an Ed25519 key derived from
 * SHA-256("keywarden fuzz audit key"), used nowhere else).
 *
 * The verifier may only answer KW_OK or KW_E_VERIFY (KW_E_NOMEM aside);
 * its report must be consistent with the answer and the options.
 */

static const char trusted[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEA0si/sMI8DBEBI6ELpbDhOzd+/NL5aI/gHeYwoKpeQfg=\n"
	"-----END PUBLIC KEY-----\n";

static void check_report(kw_rc rc, const kw_audit_verify_opts *o,
			 const kw_audit_verify_report *r)
{
	if (rc == KW_OK) {
		if (r->entries == 0 || r->reason[0] != '\0' ||
		    r->bad_line != 0 || r->last_seq < r->first_seq ||
		    r->last_seq - r->first_seq + 1 != r->entries ||
		    r->checkpoints > r->entries || r->tail > r->entries ||
		    strlen(r->head) != KW_AUDIT_HASH_HEX_LEN ||
		    (!o->allow_partial && r->first_seq != 1) ||
		    (!o->allow_tail &&
		     (r->tail != 0 || r->last_checkpoint_seq != r->last_seq)))
			abort();
	} else if (rc == KW_E_VERIFY) {
		if (r->reason[0] == '\0' ||
		    strlen(r->reason) >= KW_AUDIT_REASON_MAX)
			abort();
	} else if (rc != KW_E_NOMEM) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw_audit_verify_opts o = {0};
	kw_audit_verify_report r;
	kw_audit_verifier *v = NULL;
	const uint8_t *d = data + 1, *nul = NULL;
	size_t n = size - 1;
	char *copy = NULL;
	FILE *f = NULL;
	kw_rc rc;

	if (size == 0)
		return 0;
	o.allow_tail = data[0] & 1;
	o.allow_partial = (data[0] & 2) != 0;
	if (kw_audit_verifier_new(&o, &v) != KW_OK ||
	    kw_audit_verifier_add_keys(v, (const uint8_t *)trusted,
				       sizeof(trusted) - 1) != KW_OK)
		abort();
	if ((data[0] & 4) && (nul = memchr(d, '\0', n)) != NULL) {
		/* refused keys are no error here: the CLI stops on them */
		(void)kw_audit_verifier_add_keys(v, d, (size_t)(nul - d));
		n -= (size_t)(nul - d) + 1;
		d = nul + 1;
	}
	/* the log as a file of exactly its bytes (fmemopen refuses size 0) */
	copy = malloc(n > 0 ? n : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, d, n);
	memset(&r, 0, sizeof(r));
	if (n > 0) {
		f = fmemopen(copy, n, "r");
		if (f == NULL)
			abort();
		rc = kw_audit_verify_stream(v, f, &r);
	} else {
		rc = kw_audit_verifier_finish(v, &r);
	}
	check_report(rc, &o, &r);
	if (f != NULL)
		fclose(f);
	free(copy);
	kw_audit_verifier_free(v);
	return 0;
}
