/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keywarden/log.h"

static _Atomic int log_level = KW_LOG_LEVEL_WARN;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file; /* NULL = stderr; guarded by log_lock */

static const char *const level_names[] = {"error", "warn", "info", "debug",
					  "trace"};

void kw_log_level_set(kw_log_level level)
{
	if (level >= KW_LOG_LEVEL_ERROR && level <= KW_LOG_LEVEL_TRACE)
		atomic_store(&log_level, (int)level);
}

kw_log_level kw_log_level_get(void)
{
	return (kw_log_level)atomic_load(&log_level);
}

int kw_log_level_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0]));
	     i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void kw_log_init_from_env(void)
{
	int l = kw_log_level_parse(getenv("KEYWARDEN_LOG"));
	if (l >= 0)
		kw_log_level_set((kw_log_level)l);
}

int kw_log_open(const char *path)
{
	FILE *f = NULL;
	if (path != NULL) {
		f = fopen(path, "ae");
		if (f == NULL)
			return -1;
		setvbuf(f, NULL, _IOLBF, 0);
	}
	pthread_mutex_lock(&log_lock);
	FILE *old = log_file;
	log_file = f;
	pthread_mutex_unlock(&log_lock);
	if (old != NULL)
		fclose(old);
	return 0;
}

void kw_log_write(kw_log_level level, const char *module, const char *file,
		  int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char when[32];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);

	const char *base = strrchr(file, '/');
	base = base != NULL ? base + 1 : file;
	const char *lname =
		(level >= KW_LOG_LEVEL_ERROR && level <= KW_LOG_LEVEL_TRACE)
			? level_names[level]
			: "?";

	int saved = errno;
	pthread_mutex_lock(&log_lock);
	FILE *f = log_file != NULL ? log_file : stderr;
	fprintf(f, "%s.%03ldZ %-5s %s: %s (%s:%d)\n", when,
		ts.tv_nsec / 1000000, lname, module, msg, base, line);
	pthread_mutex_unlock(&log_lock);
	errno = saved;
}
