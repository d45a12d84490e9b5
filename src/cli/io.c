/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cli.h"
#include "keywarden/algs.h"

#define CHUNK 65536

static int open_in(const char *path)
{
	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* read(2), again after EINTR; -1 after reporting the error. */
static ssize_t read_some(kw_cli *cli, int fd, const char *path, void *buf,
			 size_t n)
{
	ssize_t r;
	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		kw_cli_fail(cli, KW_E_INVALID, "cannot read %s: %s", path,
			    strerror(errno));
	return r;
}

static void close_in(int fd)
{
	if (fd != STDIN_FILENO)
		close(fd);
}

kw_rc kw_cli_file_read(kw_cli *cli, const char *path, size_t max, uint8_t **out,
		       size_t *out_len)
{
	kw_rc rc = KW_E_INVALID;
	size_t len = 0, cap = 0;
	uint8_t *buf = NULL;
	int fd = open_in(path);
	if (fd < 0)
		return kw_cli_fail(cli, KW_E_NOT_FOUND, "cannot open %s: %s",
				   path, strerror(errno));
	for (;;) {
		if (len == cap) {
			/* grow by copying, so the old buffer can be wiped */
			size_t ncap = cap == 0 ? CHUNK : cap * 2;
			if (ncap > max + 1)
				ncap = max + 1;
			uint8_t *nb = malloc(ncap);
			if (nb == NULL) {
				rc = kw_cli_fail(cli, KW_E_NOMEM,
						 "out of memory");
				goto out;
			}
			if (buf != NULL) {
				memcpy(nb, buf, len);
				OPENSSL_cleanse(buf, cap);
				free(buf);
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read_some(cli, fd, path, buf + len, cap - len);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			rc = kw_cli_fail(cli, KW_E_LIMIT,
					 "%s is larger than %zu bytes", path,
					 max);
			goto out;
		}
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = KW_OK;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, cap);
		free(buf);
	}
	close_in(fd);
	return rc;
}

static bool write_all(int fd, const uint8_t *d, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, d, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		d += w;
		n -= (size_t)w;
	}
	return true;
}

kw_rc kw_cli_file_write(kw_cli *cli, const char *path, const void *data,
			size_t len, unsigned mode)
{
	char tmp[4096];
	int fd = -1;
	kw_rc rc = KW_E_INVALID;
	if (strcmp(path, "-") == 0) {
		fflush(cli->out);
		if (!write_all(STDOUT_FILENO, data, len))
			return kw_cli_fail(cli, KW_E_INVALID,
					   "cannot write to stdout: %s",
					   strerror(errno));
		return KW_OK;
	}
	/* a temporary file next to the target, renamed over it only once it
	 * is complete: the output appears whole or not at all */
	const char *slash = strrchr(path, '/');
	int dl = slash == NULL ? 1 : (int)(slash - path);
	if (snprintf(tmp, sizeof(tmp), "%.*s/.keywarden-XXXXXX", dl,
		     slash == NULL ? "." : (dl == 0 ? "/" : path)) >=
	    (int)sizeof(tmp))
		return kw_cli_fail(cli, KW_E_INVALID, "path too long: %s",
				   path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return kw_cli_fail(cli, KW_E_INVALID, "cannot write %s: %s",
				   path, strerror(errno));
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, (mode_t)mode & ~mask) != 0 ||
	    !write_all(fd, data, len) || fsync(fd) != 0) {
		rc = kw_cli_fail(cli, KW_E_INVALID, "cannot write %s: %s", path,
				 strerror(errno));
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		fd = -1;
		rc = kw_cli_fail(cli, KW_E_INVALID, "cannot write %s: %s", path,
				 strerror(errno));
		goto out;
	}
	fd = -1;
	tmp[0] = '\0';
	rc = KW_OK;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return rc;
}

kw_rc kw_cli_file_digest(kw_cli *cli, const char *path, const char *hash,
			 uint8_t out[64], size_t *out_len)
{
	kw_rc rc = KW_E_CRYPTO;
	kw_hash h;
	unsigned int n = 0;
	EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;
	uint8_t *buf = NULL;
	int fd = -1;
	if (kw_hash_parse(hash, &h) != KW_OK || h == KW_HASH_NONE)
		return kw_cli_usage(cli, "--hash: unsupported digest (use "
					 "sha256, sha384, sha512, sha224 or "
					 "sha1)");
	md = EVP_MD_fetch(NULL, hash, NULL);
	ctx = EVP_MD_CTX_new();
	buf = malloc(CHUNK);
	if (md == NULL || ctx == NULL || buf == NULL ||
	    EVP_DigestInit_ex2(ctx, md, NULL) != 1)
		goto out;
	fd = open_in(path);
	if (fd < 0) {
		rc = kw_cli_fail(cli, KW_E_NOT_FOUND, "cannot open %s: %s",
				 path, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t r = read_some(cli, fd, path, buf, CHUNK);
		if (r < 0) {
			rc = KW_E_INVALID; /* reported */
			goto out;
		}
		if (r == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, out, &n) != 1)
		goto out;
	*out_len = n;
	rc = KW_OK;
out:
	if (fd >= 0)
		close_in(fd);
	if (rc == KW_E_CRYPTO)
		kw_cli_fail(cli, rc, "cannot compute %s of %s", hash, path);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, CHUNK);
		free(buf);
	}
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return rc;
}

kw_rc kw_cli_file_b64(kw_cli *cli, const char *path, size_t max, json_t *obj,
		      const char *member)
{
	uint8_t *data = NULL;
	size_t n = 0;
	kw_rc rc = kw_cli_file_read(cli, path, max, &data, &n);
	if (rc != KW_OK)
		return rc;
	json_t *v = kw_client_json_b64_new(data, n);
	OPENSSL_cleanse(data, n);
	free(data);
	if (v == NULL || json_object_set_new(obj, member, v) != 0)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	return KW_OK;
}

kw_rc kw_cli_b64_to_file(kw_cli *cli, const json_t *res, const char *member,
			 const char *path, unsigned mode)
{
	uint8_t *data = NULL;
	size_t n = 0;
	kw_rc rc = kw_client_json_b64(res, member, &data, &n);
	if (rc == KW_E_NOMEM)
		return kw_cli_fail(cli, rc, "out of memory");
	if (rc != KW_OK)
		return kw_cli_fail(cli, KW_E_UNAVAILABLE,
				   "the response has no valid \"%s\"", member);
	rc = kw_cli_file_write(cli, path, data, n, mode);
	OPENSSL_cleanse(data, n);
	free(data);
	return rc;
}

kw_rc kw_cli_file_write_line(kw_cli *cli, const char *path, const char *text,
			     unsigned mode)
{
	size_t n = strlen(text);
	char *line = malloc(n + 1);
	if (line == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	memcpy(line, text, n);
	line[n] = '\n';
	kw_rc rc = kw_cli_file_write(cli, path, line, n + 1, mode);
	OPENSSL_cleanse(line, n + 1);
	free(line);
	return rc;
}
