/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "service/internal.h"

kw_rc kw_svc_audit_read(kw_service *svc, kw_svc_call *c, kw_audit_filter *f,
			kw_audit_page *out)
{
	/* A principal of a partition reads its own partition's entries only;
	 * system principals may filter by any partition (or none). */
	const char *part = c->authenticated && !c->caller.system
				   ? c->caller.partition
				   : "";
	kw_rc rc = svc_authorize(svc, c, KW_OP_AUDIT_READ, part);

	if (rc != KW_OK)
		goto out;
	if (!c->caller.system)
		f->partition = c->caller.partition;
	rc = kw_audit_read(svc->audit, f, out);
	if (rc == KW_E_INVALID)
		svc_reason(c, "bad filter or cursor");
	else if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail), "{\"count\":%zu}",
			 out->count);
out:
	return rc;
}

kw_rc kw_svc_audit_pubkeys(kw_service *svc, kw_svc_call *c,
			   kw_audit_pubkey **out, size_t *out_n)
{
	kw_rc rc;

	/* Public keys: any authenticated caller may have them. */
	if (!c->authenticated)
		return KW_E_UNAUTHENTICATED;
	rc = kw_audit_pubkeys(svc->audit, out, out_n);
	if (rc == KW_E_SEALED)
		svc_reason(c, "the audit key is known once the instance has "
			      "been unsealed");
	return rc;
}

kw_rc kw_svc_audit_checkpoint(kw_service *svc, kw_svc_call *c,
			      uint64_t *out_seq)
{
	const char *part = c->authenticated && !c->caller.system
				   ? c->caller.partition
				   : "";
	kw_rc rc = svc_authorize(svc, c, KW_OP_AUDIT_READ, part);

	if (rc == KW_OK)
		rc = kw_audit_checkpoint(svc->audit, out_seq);
	if (rc == KW_OK)
		snprintf(c->ev.detail, sizeof(c->ev.detail),
			 "{\"checkpoint\":%llu}", (unsigned long long)*out_seq);
	return rc;
}
