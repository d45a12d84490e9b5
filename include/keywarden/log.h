/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KEYWARDEN_LOG_H
#define KEYWARDEN_LOG_H

#include <stdarg.h>

/*
 * Operational logging. Logging is not auditing: the audit trail has its own
 * module and durability rules. Never pass key material, PINs, shares,
 * passwords or tokens to these functions.
 *
 * Each .c file that logs defines KW_LOG_MODULE before including this header:
 *     #define KW_LOG_MODULE "store"
 */
typedef enum kw_log_level {
	KW_LOG_LEVEL_ERROR = 0,
	KW_LOG_LEVEL_WARN = 1,
	KW_LOG_LEVEL_INFO = 2,
	KW_LOG_LEVEL_DEBUG = 3,
	KW_LOG_LEVEL_TRACE = 4,
} kw_log_level;

/* Sets the threshold; messages above it are dropped. Thread-safe. */
void kw_log_level_set(kw_log_level level);
kw_log_level kw_log_level_get(void);

/* Parses "error", "warn", "info", "debug", "trace"; returns -1 if unknown. */
int kw_log_level_parse(const char *name);

/* Reads KEYWARDEN_LOG (a level name) from the environment, if set. */
void kw_log_init_from_env(void);

/* Sends output to path (appending), or to stderr when path is NULL.
 * Called again (SIGHUP) it reopens the file. Returns 0, or -1 with errno. */
int kw_log_open(const char *path);

void kw_log_write(kw_log_level level, const char *module, const char *file,
		  int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#ifndef KW_LOG_MODULE
#define KW_LOG_MODULE "keywarden"
#endif

#define KW_LOG_AT(lvl, ...)                                                    \
	do {                                                                   \
		if ((lvl) <= kw_log_level_get())                               \
			kw_log_write((lvl), KW_LOG_MODULE, __FILE__, __LINE__, \
				     __VA_ARGS__);                             \
	} while (0)

#define KW_LOG_ERROR(...) KW_LOG_AT(KW_LOG_LEVEL_ERROR, __VA_ARGS__)
#define KW_LOG_WARN(...)  KW_LOG_AT(KW_LOG_LEVEL_WARN, __VA_ARGS__)
#define KW_LOG_INFO(...)  KW_LOG_AT(KW_LOG_LEVEL_INFO, __VA_ARGS__)
#define KW_LOG_DEBUG(...) KW_LOG_AT(KW_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define KW_LOG_TRACE(...) KW_LOG_AT(KW_LOG_LEVEL_TRACE, __VA_ARGS__)

#endif
