/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"

#define SECRET_MAX 4096

/* ---- jansson memory wiped on free --------------------------------------- */

/* Every JSON string may be a password, share, token or data key: jansson
 * allocates through these, which remember the size and wipe on free. The
 * 16-byte header keeps malloc's alignment. */
#define HDR 16u

static void *wipe_malloc(size_t n)
{
	if (n > SIZE_MAX - HDR)
		return NULL;
	unsigned char *p = malloc(n + HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HDR;
}

static void wipe_free(void *ptr)
{
	size_t n;
	if (ptr == NULL)
		return;
	unsigned char *p = (unsigned char *)ptr - HDR;
	memcpy(&n, p, sizeof(n));
	OPENSSL_cleanse(p, n + HDR);
	free(p);
}

void kw_cli_json_wipe_on_free(void)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
}

/* ---- the terminal ------------------------------------------------------- */

/* Echo is off while a secret is typed; a signal in that window must not
 * leave the terminal without echo. Only async-signal-safe calls here. */
static int tty_fd = -1;
static struct termios tty_saved;
static volatile sig_atomic_t tty_raw;

static void tty_restore_on_signal(int sig)
{
	if (tty_raw)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* Reads one line (without its end) into buf from fd, byte by byte so that
 * nothing is read ahead into a buffer nobody wipes. KW_E_NOT_FOUND at end
 * of input before any byte. */
static kw_rc read_line(kw_cli *cli, int fd, const char *what, char *buf,
		       size_t *out_len)
{
	size_t n = 0;
	bool any = false;
	for (;;) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kw_cli_fail(cli, KW_E_INVALID,
					   "cannot read the %s: %s", what,
					   strerror(errno));
		if (r == 0 && !any)
			return KW_E_NOT_FOUND;
		if (r == 0 || ch == '\n')
			break;
		any = true;
		if (n == SECRET_MAX)
			return kw_cli_fail(cli, KW_E_INVALID,
					   "the %s is longer than %d bytes",
					   what, SECRET_MAX);
		buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n == 0)
		return kw_cli_fail(cli, KW_E_INVALID, "empty %s", what);
	*out_len = n;
	return KW_OK;
}

/* Prompts on the terminal with echo off and reads one line. */
static kw_rc tty_read(kw_cli *cli, const char *prompt, const char *what,
		      char *buf, size_t *out_len)
{
	struct termios quiet;
	kw_rc rc;
	if (tcgetattr(tty_fd, &tty_saved) != 0)
		return kw_cli_fail(cli, KW_E_INVALID,
				   "cannot set up the terminal: %s",
				   strerror(errno));
	quiet = tty_saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	for (size_t i = 0; i < sizeof(tty_signals) / sizeof(int); i++)
		signal(tty_signals[i], tty_restore_on_signal);
	tty_raw = 1;
	(void)tcsetattr(tty_fd, TCSAFLUSH, &quiet);
	(void)!write(tty_fd, prompt, strlen(prompt));
	rc = read_line(cli, tty_fd, what, buf, out_len);
	(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	tty_raw = 0;
	for (size_t i = 0; i < sizeof(tty_signals) / sizeof(int); i++)
		signal(tty_signals[i], SIG_DFL);
	(void)!write(tty_fd, "\n", 1);
	return rc;
}

kw_rc kw_cli_secret_read(kw_cli *cli, const char *what, bool confirm,
			 char **out)
{
	char prompt[128];
	size_t n = 0, n2 = 0;
	kw_rc rc = KW_E_NOMEM;
	char *buf = OPENSSL_secure_zalloc(SECRET_MAX + 1);
	char *again = NULL;
	if (buf == NULL)
		return kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (!isatty(STDIN_FILENO)) {
		rc = read_line(cli, STDIN_FILENO, what, buf, &n);
		goto out;
	}
	tty_fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty_fd < 0) {
		rc = kw_cli_fail(cli, KW_E_INVALID,
				 "cannot open the terminal: "
				 "%s",
				 strerror(errno));
		goto out;
	}
	snprintf(prompt, sizeof(prompt), "Enter the %s (input hidden): ", what);
	rc = tty_read(cli, prompt, what, buf, &n);
	if (rc == KW_OK && confirm) {
		again = OPENSSL_secure_zalloc(SECRET_MAX + 1);
		if (again == NULL) {
			rc = kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
			goto out;
		}
		snprintf(prompt, sizeof(prompt), "Repeat the %s: ", what);
		rc = tty_read(cli, prompt, what, again, &n2);
		if (rc == KW_OK &&
		    (n != n2 || CRYPTO_memcmp(buf, again, n) != 0))
			rc = kw_cli_fail(cli, KW_E_INVALID,
					 "the two entries differ");
	}
	if (rc == KW_E_NOT_FOUND)
		rc = kw_cli_fail(cli, KW_E_INVALID, "no %s entered", what);
out:
	if (tty_fd >= 0)
		close(tty_fd);
	tty_fd = -1;
	OPENSSL_secure_clear_free(again, SECRET_MAX + 1);
	if (rc == KW_OK)
		*out = buf;
	else
		OPENSSL_secure_clear_free(buf, SECRET_MAX + 1);
	return rc;
}

void kw_cli_secret_free(char *s)
{
	OPENSSL_secure_clear_free(s, SECRET_MAX + 1);
}
