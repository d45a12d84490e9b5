/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#define KW_LOG_MODULE "backup"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/internal.h"
#include "keywarden/log.h"

/*
 * Files: reading a backup, scheduled backups written durably (temporary
 * file, fsync, rename, fsync of the directory) and verified after
 * writing, and the atomic swap of a restored database into place.
 */

#define PREFIX	 "keywarden-"
#define SUFFIX	 ".kwb"
#define PRE_NAME ".pre-restore"

kw_rc kw_backup_file_read(const char *path, uint8_t **out, size_t *out_len)
{
	kw_rc rc = KW_E_INVALID;
	uint8_t *buf = NULL;
	struct stat st;
	size_t got = 0;
	int fd = -1;

	if (path == NULL || out == NULL || out_len == NULL)
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? KW_E_NOT_FOUND : KW_E_STORAGE;
		goto out;
	}
	rc = KW_E_STORAGE;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	rc = KW_E_LIMIT;
	if ((uint64_t)st.st_size > KW_BACKUP_FILE_MAX)
		goto out;
	rc = KW_E_NOMEM;
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL)
		goto out;
	rc = KW_E_STORAGE;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	*out = buf;
	*out_len = got;
	buf = NULL;
	rc = KW_OK;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

typedef struct fd_sink {
	int fd;
	int err; /* errno of the first failed write */
} fd_sink;

static kw_rc fd_write(void *arg, const void *p, size_t len)
{
	fd_sink *s = arg;
	const uint8_t *b = p;
	while (len > 0) {
		ssize_t n = write(s->fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->err = n < 0 ? errno : ENOSPC;
			return KW_E_STORAGE;
		}
		b += n;
		len -= (size_t)n;
	}
	return KW_OK;
}

static kw_rc dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	kw_rc rc = KW_E_STORAGE;
	if (fd >= 0) {
		if (fsync(fd) == 0)
			rc = KW_OK;
		close(fd);
	}
	return rc;
}

/* The directory part of path into dir (room for PATH_MAX). */
static void dir_of(const char *path, char *dir)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		strcpy(dir, ".");
		return;
	}
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	memcpy(dir, path, n);
	dir[n] = '\0';
}

/* Writes the backup into tmp; fsync; rename to path; fsync the directory.
 * On failure tmp is removed. */
static kw_rc write_durable(kw_store *s, kw_barrier *b, int64_t now,
			   const char *tmp, const char *path, const char *dir,
			   kw_backup_info *info, char *why, size_t why_len)
{
	kw_backup_params p = {.keying = KW_BACKUP_KEYING_MASTER, .now = now};
	fd_sink sink = {.fd = -1, .err = 0};
	kw_rc rc = KW_E_STORAGE;

	sink.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (sink.fd < 0) {
		bk_why(why, why_len, "cannot create a file in %s: %s", dir,
		       strerror(errno));
		goto out;
	}
	rc = kw_backup_create(s, b, &p, fd_write, &sink, info, NULL);
	if (rc == KW_OK && fsync(sink.fd) != 0) {
		sink.err = errno;
		rc = KW_E_STORAGE;
	}
	if (rc == KW_E_STORAGE && sink.err != 0)
		bk_why(why, why_len, "writing the backup: %s",
		       strerror(sink.err));
	else if (rc != KW_OK)
		bk_why(why, why_len, "cannot take the snapshot: %s",
		       kw_rc_str(rc));
	if (rc != KW_OK)
		goto out;
	if (close(sink.fd) != 0) {
		sink.fd = -1;
		rc = KW_E_STORAGE;
		bk_why(why, why_len, "writing the backup: %s", strerror(errno));
		goto out;
	}
	sink.fd = -1;
	if (rename(tmp, path) != 0 || dir_sync(dir) != KW_OK) {
		rc = KW_E_STORAGE;
		bk_why(why, why_len, "cannot put the backup in place: %s",
		       strerror(errno));
		unlink(path);
	}
out:
	if (sink.fd >= 0)
		close(sink.fd);
	if (rc != KW_OK)
		unlink(tmp);
	return rc;
}

/* Reads path back and checks it in full with the key from b. */
static kw_rc verify_written(const char *path, kw_barrier *b, char *why,
			    size_t why_len)
{
	uint8_t *file = NULL;
	size_t len = 0;
	kw_backup_key *k = NULL;
	kw_rc rc = kw_backup_file_read(path, &file, &len);
	if (rc != KW_OK) {
		bk_why(why, why_len, "cannot read the backup back");
		goto out;
	}
	rc = kw_backup_key_from_barrier(file, len, b, &k, why, why_len);
	if (rc == KW_OK)
		rc = kw_backup_verify(file, len, k, NULL, why, why_len);
out:
	kw_backup_key_free(k);
	free(file);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes the oldest "keywarden-<instance>-*.kwb" in dir beyond keep (the
 * UTC time in the name sorts by age). */
static void prune(const char *dir, const char *instance, unsigned keep)
{
	char prefix[64];
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	snprintf(prefix, sizeof(prefix), PREFIX "%s-", instance);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    len < strlen(SUFFIX) ||
		    strcmp(e->d_name + len - strlen(SUFFIX), SUFFIX) != 0)
			continue;
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (nn == NULL)
				break;
			names = nn;
		}
		names[n] = strdup(e->d_name);
		if (names[n] != NULL)
			n++;
	}
	closedir(d);
	if (n > keep) {
		qsort(names, n, sizeof(*names), name_cmp);
		for (size_t i = 0; i < n - keep; i++) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			if (unlink(path) == 0)
				KW_LOG_INFO("removed old backup %s", names[i]);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

kw_rc kw_backup_file_scheduled(kw_store *s, kw_barrier *b, const char *dir,
			       unsigned keep, int64_t now, char *out_path,
			       kw_backup_info *out_info, char *why,
			       size_t why_len)
{
	kw_rc rc = KW_E_INVALID;
	kw_barrier_status st;
	char path[PATH_MAX], tmp[PATH_MAX], stamp[32];
	kw_backup_info info;
	struct tm tm;

	if (s == NULL || b == NULL || dir == NULL)
		goto out;
	rc = kw_barrier_status_get(b, &st);
	if (rc != KW_OK)
		goto out;
	if (now == 0)
		now = (int64_t)time(NULL);
	time_t tt = (time_t)now;
	gmtime_r(&tt, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	rc = KW_E_INVALID;
	if (snprintf(path, sizeof(path), "%s/" PREFIX "%s-%s" SUFFIX, dir,
		     st.instance_id, stamp) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		goto out;
	rc = write_durable(s, b, now, tmp, path, dir, &info, why, why_len);
	if (rc != KW_OK)
		goto out;
	rc = verify_written(path, b, why, why_len);
	if (rc != KW_OK) {
		/* A backup that does not verify is worse than none. */
		KW_LOG_ERROR(
			"the backup just written does not verify; removed");
		unlink(path);
		goto out;
	}
	if (keep > 0)
		prune(dir, st.instance_id, keep);
	if (out_path != NULL)
		snprintf(out_path, PATH_MAX, "%s", path);
	if (out_info != NULL)
		*out_info = info;
out:
	return rc;
}

/* Size of path, -1 if it does not exist. */
static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

kw_rc kw_backup_db_swap(const char *fresh_path, const char *live_path,
			char *why, size_t why_len)
{
	kw_rc rc = KW_E_INVALID;
	char wal[PATH_MAX], pre[PATH_MAX], dir[PATH_MAX];

	if (fresh_path == NULL || live_path == NULL ||
	    snprintf(wal, sizeof(wal), "%s-wal", live_path) >=
		    (int)sizeof(wal) ||
	    snprintf(pre, sizeof(pre), "%s" PRE_NAME, live_path) >=
		    (int)sizeof(pre))
		goto out;
	/* A journal left behind would be replayed onto the new file. */
	rc = KW_E_STATE;
	if (file_size(wal) > 0 || file_size(fresh_path) <= 0) {
		bk_why(why, why_len,
		       "the database was not closed cleanly; nothing swapped");
		goto out;
	}
	rc = KW_E_STORAGE;
	unlink(pre);
	if (file_size(live_path) >= 0 && link(live_path, pre) != 0) {
		bk_why(why, why_len, "cannot keep the old database: %s",
		       strerror(errno));
		goto out;
	}
	unlink(wal);
	char shm[PATH_MAX];
	snprintf(shm, sizeof(shm), "%s-shm", live_path);
	unlink(shm);
	/* The one step that switches: before it the old database is in
	 * place, after it the new one, whole. */
	if (rename(fresh_path, live_path) != 0) {
		bk_why(why, why_len,
		       "cannot put the restored database in "
		       "place: %s",
		       strerror(errno));
		goto out;
	}
	dir_of(live_path, dir);
	rc = dir_sync(dir);
	if (rc != KW_OK)
		bk_why(why, why_len, "cannot sync %s", dir);
out:
	return rc;
}
