/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TEST_CLI_RUN_H
#define KW_TEST_CLI_RUN_H

/*
 * Runs the keywarden binary ($KW_CLI) as a user would: argv, a clean
 * environment (PATH, HOME of the test, plus what the test adds), stdin fed
 * from a pipe (so it is not a terminal), stdout and stderr captured.
 */

#include <stddef.h>

typedef struct cli_run {
	int status; /* exit status, or 128 + signal */
	char *out;  /* NUL-terminated, malloc()ed */
	char *err;
} cli_run;

/* env: NULL-terminated "NAME=value" list added to the base environment;
 * argv: NULL-terminated arguments after the program name. */
void cli_exec(cli_run *r, const char *input, const char *const *env,
	      const char *const *argv);
void cli_run_free(cli_run *r);
/* The HOME the runs get (a temporary directory made on first use). */
const char *cli_home(void);
/* The main() of a CLI test program: checks $KW_CLI, runs the cmocka
 * tests, removes the HOME directory; returns the number of failures. */
struct CMUnitTest;
int cli_test_main(const struct CMUnitTest *tests, size_t n);

#endif
