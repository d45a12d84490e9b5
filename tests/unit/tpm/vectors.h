/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TEST_TPM_VECTORS_H
#define KW_TEST_TPM_VECTORS_H

#include <stddef.h>
#include <stdint.h>

/* TPM2B_PUBLIC of the EK and the AK, the AK's name, a TPMS_ATTEST quote
 * and its TPMT_SIGNATURE, and the two PCR values (16 then 23). */
extern const uint8_t vec_ek_pub[], vec_ak_pub[], vec_ak_name[];
extern const uint8_t vec_quote[], vec_sig[], vec_pcrs[];
extern const size_t vec_ek_pub_len, vec_ak_pub_len, vec_ak_name_len,
	vec_quote_len, vec_sig_len, vec_pcrs_len;

#endif
