/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "barrier/shamir.h"
#include "fuzz.h"

/*
 * The share text decoder (kw_share_decode) on arbitrary bytes. Besides not
 * crashing, it must keep its contract: only the three documented results,
 * and a share it accepts re-encodes to exactly the input (the text form is
 * canonical, so two texts never decode to the same share).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw_share s;
	kw_secret *text = NULL;
	kw_rc rc = kw_share_decode((const char *)data, size, &s);
	if (rc == KW_OK) {
		if (kw_share_encode(&s, &text) != KW_OK || text->len != size ||
		    memcmp(text->data, data, size) != 0)
			abort();
		kw_secret_free(text);
	} else if (rc != KW_E_INVALID && rc != KW_E_INTEGRITY) {
		abort();
	}
	kw_wipe(&s, sizeof(s));
	return 0;
}
