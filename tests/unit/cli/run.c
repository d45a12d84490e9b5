/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define RUN_TIMEOUT_MS 20000

const char *cli_home(void)
{
	static char home[64];
	if (home[0] == '\0') {
		snprintf(home, sizeof(home), "/tmp/kwcli.XXXXXX");
		if (mkdtemp(home) == NULL)
			abort();
	}
	return home;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int cli_test_main(const struct CMUnitTest *tests, size_t n)
{
	if (getenv("KW_CLI") == NULL) {
		fprintf(stderr, "KW_CLI is not set\n");
		return 1;
	}
	/* a CLI that stops reading its stdin early must not kill the test */
	signal(SIGPIPE, SIG_IGN);
	int failed = _cmocka_run_group_tests("cli", tests, n, NULL, NULL);
	nftw(cli_home(), remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return failed;
}

static void append(char **buf, size_t *len, const char *d, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, d, n);
	*len += n;
	(*buf)[*len] = '\0';
}

void cli_exec(cli_run *r, const char *input, const char *const *env,
	      const char *const *argv)
{
	const char *prog = getenv("KW_CLI");
	char *envp[32], *args[64], home[128];
	int in[2], out[2], err[2];
	size_t ne = 0, na = 0, lo = 0, le = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	snprintf(home, sizeof(home), "HOME=%s", cli_home());
	envp[ne++] = "PATH=/usr/bin:/bin";
	envp[ne++] = home;
	/* sanitizer settings reach the child, so its findings fail the run */
	static char asan[256], ubsan[256];
	if (getenv("ASAN_OPTIONS") != NULL) {
		snprintf(asan, sizeof(asan), "ASAN_OPTIONS=%s",
			 getenv("ASAN_OPTIONS"));
		envp[ne++] = asan;
	}
	if (getenv("UBSAN_OPTIONS") != NULL) {
		snprintf(ubsan, sizeof(ubsan), "UBSAN_OPTIONS=%s",
			 getenv("UBSAN_OPTIONS"));
		envp[ne++] = ubsan;
	}
	for (size_t i = 0; env != NULL && env[i] != NULL && ne < 31; i++)
		envp[ne++] = (char *)env[i];
	envp[ne] = NULL;
	args[na++] = (char *)(prog != NULL ? prog : "keywarden");
	for (size_t i = 0; argv[i] != NULL && na < 63; i++)
		args[na++] = (char *)argv[i];
	args[na] = NULL;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
	    pipe2(err, O_CLOEXEC))
		abort();
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	if (posix_spawn(&pid, args[0], &fa, NULL, args, envp) != 0)
		abort();
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	/* the input fits in the pipe; a child that stops reading early is
	 * fine (SIGPIPE is ignored in the test) */
	if (input != NULL)
		(void)!write(in[1], input, strlen(input));
	close(in[1]);

	struct pollfd p[2] = {{.fd = out[0], .events = POLLIN},
			      {.fd = err[0], .events = POLLIN}};
	int open_fds = 2;
	while (open_fds > 0) {
		if (poll(p, 2, RUN_TIMEOUT_MS) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		for (int i = 0; i < 2; i++) {
			char buf[4096];
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
			} else if (i == 0) {
				append(&r->out, &lo, buf, (size_t)n);
			} else {
				append(&r->err, &le, buf, (size_t)n);
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void cli_run_free(cli_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}
