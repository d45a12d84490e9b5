/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "tpm"

/* PCR selections: their text form ("sha256:0,1,7"), the TPM's
 * TPML_PCR_SELECTION, and strict equality between the two. */

#include <stdlib.h>
#include <string.h>

#include "tpm/internal.h"

kw_rc kw_tpm_pcrsel_parse(const char *text, kw_tpm_pcrsel *out)
{
	kw_rc rc = KW_E_INVALID;
	kw_tpm_pcrsel s = {0};
	char bank[16];
	const char *colon = NULL, *p = NULL;
	char *end = NULL;
	unsigned long n = 0;

	if (text == NULL || out == NULL)
		goto out;
	colon = strchr(text, ':');
	if (colon == NULL || colon == text ||
	    (size_t)(colon - text) >= sizeof(bank))
		goto out;
	memcpy(bank, text, (size_t)(colon - text));
	bank[colon - text] = '\0';
	if (kw_hash_parse(bank, &s.bank) != KW_OK ||
	    tpm_alg(s.bank) == TPM2_ALG_NULL)
		goto out;
	for (p = colon + 1;; p = end + 1) {
		if (*p < '0' || *p > '9')
			goto out;
		n = strtoul(p, &end, 10);
		if (n >= KW_TPM_PCRS || (s.mask & (1u << n)) != 0)
			goto out;
		s.mask |= 1u << n;
		if (*end == '\0')
			break;
		if (*end != ',')
			goto out;
	}
	*out = s;
	rc = KW_OK;
out:
	return rc;
}

kw_rc tpm_pcrsel_to(const kw_tpm_pcrsel *sel, TPML_PCR_SELECTION *out)
{
	kw_rc rc = KW_E_INVALID;
	TPML_PCR_SELECTION s;

	memset(&s, 0, sizeof(s));
	if (sel == NULL || sel->mask == 0 || sel->mask >= (1u << KW_TPM_PCRS) ||
	    tpm_alg(sel->bank) == TPM2_ALG_NULL)
		goto out;
	s.count = 1;
	s.pcrSelections[0].hash = tpm_alg(sel->bank);
	s.pcrSelections[0].sizeofSelect = 3;
	s.pcrSelections[0].pcrSelect[0] = (BYTE)sel->mask;
	s.pcrSelections[0].pcrSelect[1] = (BYTE)(sel->mask >> 8);
	s.pcrSelections[0].pcrSelect[2] = (BYTE)(sel->mask >> 16);
	*out = s;
	rc = KW_OK;
out:
	return rc;
}

int tpm_pcrsel_equal(const TPML_PCR_SELECTION *s, const kw_tpm_pcrsel *sel)
{
	const TPMS_PCR_SELECTION *p = &s->pcrSelections[0];
	uint32_t mask = 0;
	unsigned i = 0;

	if (s->count != 1 || p->hash != tpm_alg(sel->bank) ||
	    p->sizeofSelect < 3 || p->sizeofSelect > TPM2_PCR_SELECT_MAX)
		return 0;
	for (i = 0; i < p->sizeofSelect; i++) {
		if (i >= 3 && p->pcrSelect[i] != 0)
			return 0;
		if (i < 3)
			mask |= (uint32_t)p->pcrSelect[i] << (8 * i);
	}
	return mask == sel->mask;
}
