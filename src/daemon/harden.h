/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_DAEMON_HARDEN_H
#define KW_DAEMON_HARDEN_H

/* Process hardening at start-up (DESIGN.md §1.8, STYLE.md §16). */

#include <stddef.h>

#include "daemon/config.h"
#include "keywarden/rc.h"

/* No core dumps (RLIMIT_CORE 0), no ptrace / core by other processes
 * (PR_SET_DUMPABLE 0), and as many file descriptors as allowed (soft limit
 * raised to the hard one). KW_OK or KW_E_INTERNAL after logging. */
kw_rc kw_harden_process(void);

/* Sets up the OpenSSL secure heap and locks memory (mlockall), each
 * failure fatal in mode KW_MLOCK_REQUIRED and a warning otherwise.
 * KW_OK or KW_E_NOMEM. */
kw_rc kw_harden_memory(kw_mlock_mode mode, size_t secure_heap);

#endif
