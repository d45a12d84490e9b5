/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "daemon"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "daemon/harden.h"
#include "keywarden/log.h"
#include "keywarden/secret.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

kw_rc kw_harden_process(void)
{
	struct rlimit rl = {0, 0};
	kw_rc rc = KW_E_INTERNAL;

	if (setrlimit(RLIMIT_CORE, &rl) != 0) {
		KW_LOG_ERROR("cannot disable core dumps: %s", strerror(errno));
		goto out;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		KW_LOG_ERROR("cannot clear the dumpable flag: %s",
			     strerror(errno));
		goto out;
	}
	/* Every connection is a descriptor: thousands of them are normal. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			KW_LOG_WARN("cannot raise the descriptor limit: %s",
				    strerror(errno));
	}
	rc = KW_OK;
out:
	return rc;
}

kw_rc kw_harden_memory(kw_mlock_mode mode, size_t secure_heap)
{
	kw_rc rc = kw_secure_heap_init(secure_heap);

	if (rc != KW_OK) {
		if (mode == KW_MLOCK_REQUIRED) {
			KW_LOG_ERROR("cannot set up the %zu-byte secure heap "
				     "(raise RLIMIT_MEMLOCK or lower "
				     "security.secure_heap)",
				     secure_heap);
			return KW_E_NOMEM;
		}
		KW_LOG_WARN("no secure heap: secrets live on the normal heap "
			    "(still wiped after use)");
	}
	if (mode == KW_MLOCK_OFF)
		return KW_OK;
#ifdef UNDER_ASAN
	/* The sanitizer's shadow memory is terabytes of reserved address
	 * space: it cannot be locked. */
	KW_LOG_WARN("built with AddressSanitizer: memory is not locked");
	return KW_OK;
#else
	/* MCL_ONFAULT: pages are locked as they are touched, not all at
	 * once (thread stacks, connection pools). */
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0) {
		if (mode == KW_MLOCK_REQUIRED) {
			KW_LOG_ERROR("cannot lock memory (mlockall: %s); "
				     "give the service CAP_IPC_LOCK or set "
				     "security.mlock: best_effort",
				     strerror(errno));
			return KW_E_NOMEM;
		}
		KW_LOG_WARN("cannot lock memory (mlockall: %s): pages may be "
			    "swapped out",
			    strerror(errno));
	}
	return KW_OK;
#endif
}
