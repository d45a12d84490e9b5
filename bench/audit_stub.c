/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "bench"

#include <stdbool.h>

#include "daemon/dev.h"
#include "keywarden/audit.h"
#include "keywarden/log.h"
#include "keywarden/store.h"

/*
 * BENCHMARK ONLY. Linked into two binaries (meson option bench_stub_audit,
 * off by default; never installed) with -Wl,--wrap for the functions
 * below, over the daemon's own objects (bench/meson.build):
 *   keywardend-bench-stub-audit   the audit trail is opened as usual, but
 *                                 no operation's event is built, written
 *                                 or waited for;
 *   keywardend-bench-stub-writes  (KW_BENCH_STUB_WRITES) every step of
 *                                 auditing runs but the store append: the
 *                                 writer's transactions commit nothing.
 * bench/run.py compares them with the real daemon to show what durable
 * auditing costs (issue 7: durable audit >= 0.9x of audit writes stubbed).
 *
 * It refuses to run except in dev mode and says so loudly at start: a
 * daemon that audits nothing must never hold real keys. The normal
 * keywardend is built from the same objects without these wrappers, so no
 * build option changes it.
 */

kw_rc __real_kw_dev_config(kw_dev *dev, kw_config **out);
kw_rc __wrap_kw_dev_config(kw_dev *dev, kw_config **out);
kw_rc __real_kw_audit_open(kw_store *s, kw_barrier *b,
			   const kw_audit_config *cfg, kw_audit **out);
kw_rc __wrap_kw_audit_open(kw_store *s, kw_barrier *b,
			   const kw_audit_config *cfg, kw_audit **out);
kw_rc __wrap_kw_audit_submit(kw_audit *a, const kw_audit_event *ev,
			     kw_audit_done_cb cb, void *arg);
kw_rc __wrap_kw_audit_append(kw_audit *a, const kw_audit_event *ev,
			     uint64_t *out_seq);

static bool dev_mode;

kw_rc __wrap_kw_dev_config(kw_dev *dev, kw_config **out)
{
	dev_mode = true;
	return __real_kw_dev_config(dev, out);
}

kw_rc __wrap_kw_audit_open(kw_store *s, kw_barrier *b,
			   const kw_audit_config *cfg, kw_audit **out)
{
	if (!dev_mode) {
		KW_LOG_ERROR("keywardend-bench-stub-audit audits NOTHING and "
			     "runs only with --dev: refusing to start");
		return KW_E_INVALID;
	}
	KW_LOG_ERROR(
		"********************************************************");
	KW_LOG_ERROR("BENCHMARK-ONLY BUILD (bench_stub_audit): operations are "
		     "NOT AUDITED.");
	KW_LOG_ERROR("Never use this binary for real keys; it exists to "
		     "measure the cost of auditing.");
	KW_LOG_ERROR(
		"********************************************************");
	return __real_kw_audit_open(s, b, cfg, out);
}

#ifdef KW_BENCH_STUB_WRITES
/* keywardend-bench-stub-writes: the writer does all its work but the
 * append; its transactions then commit nothing (no WAL write, no fsync). */
kw_rc __wrap_kw_store_audit_append(kw_store_txn *t, uint64_t seq,
				   const uint8_t *entry, size_t len);

kw_rc __wrap_kw_store_audit_append(kw_store_txn *t, uint64_t seq,
				   const uint8_t *entry, size_t len)
{
	return t == NULL || seq == 0 || entry == NULL || len == 0 ? KW_E_INVALID
								  : KW_OK;
}
#else
kw_rc __wrap_kw_audit_submit(kw_audit *a, const kw_audit_event *ev,
			     kw_audit_done_cb cb, void *arg)
{
	(void)a;
	(void)ev;
	if (cb == NULL)
		return KW_E_INVALID;
	cb(arg, KW_OK, 0);
	return KW_OK;
}

kw_rc __wrap_kw_audit_append(kw_audit *a, const kw_audit_event *ev,
			     uint64_t *out_seq)
{
	(void)a;
	(void)ev;
	if (out_seq != NULL)
		*out_seq = 0;
	return KW_OK;
}
#endif
