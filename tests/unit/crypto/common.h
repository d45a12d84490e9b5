/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TEST_CRYPTO_COMMON_H
#define KW_TEST_CRYPTO_COMMON_H

/* Helpers shared by the crypto unit tests (include after <cmocka.h>). */

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

/* Decodes hex (asserting it is valid) into a malloc()ed buffer of *len bytes
 * (at least one byte is allocated). */
uint8_t *t_hex(const char *s, size_t *len);

/* Asserts that buf[0..len) equals the bytes of hex string s. */
void t_assert_hex(const uint8_t *buf, size_t len, const char *s);

/* A key of type t, generated once per test program and cached (RSA key
 * generation is slow, above all under valgrind). The caller must not free
 * it. */
kw_ckey *t_key(kw_key_type t);
/* Frees the keys t_key() cached; called by the group teardown. */
int t_keys_free(void **state);

/* A temporary directory made for this test program (removed with its
 * files by t_tmpdir_remove()). */
const char *t_tmpdir(void);
int t_tmpdir_remove(void **state);
/* Writes len bytes to t_tmpdir()/name; returns the path (static buffer,
 * overwritten by the next call). */
const char *t_write_file(const char *name, const void *data, size_t len);
/* Reads a whole file into a malloc()ed buffer. */
uint8_t *t_read_file(const char *path, size_t *len);
/* Runs a shell command (output sent to /dev/null); its exit status. */
int t_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
