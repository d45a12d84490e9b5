/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "keywarden/log.h"
#include "pkcs11/p11.h"

/*
 * The PKCS#11 module's configuration file, through the module's own loader
 * (p11_config_load reads the file $KEYWARDEN_PKCS11_CONF names): the input
 * is the file's content, in a memfd named by its /proc/self/fd path. The
 * loader may only answer CKR_OK, CKR_GENERAL_ERROR or CKR_HOST_MEMORY and
 * fills its output only on CKR_OK; what it accepts must hold the ranges
 * and shapes docs/pkcs11.md states.
 */

static int conf_fd = -1;

static void conf_init(void)
{
	char path[64];

	if (conf_fd >= 0)
		return;
	conf_fd = memfd_create("kw-p11-conf", MFD_CLOEXEC);
	if (conf_fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", conf_fd);
	if (setenv("KEYWARDEN_PKCS11_CONF", path, 1) != 0 ||
	    unsetenv("KEYWARDEN_ADDR") != 0 ||
	    unsetenv("KEYWARDEN_CACERT") != 0)
		abort();
	/* every refused line is logged: not to the fuzzer's output */
	if (kw_log_open("/dev/null") != 0)
		abort();
}

static void check_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > P11_NAME_MAX || strpbrk(s, ",#") != NULL ||
	    isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
		abort();
}

static void check(const p11_config *c)
{
	if ((c->token_env == NULL && c->token_file == NULL) ||
	    c->n_partitions > P11_SLOTS_MAX ||
	    (c->n_partitions > 0) != (c->partitions != NULL) ||
	    c->connect_timeout_ms < 0 || c->connect_timeout_ms > 600000 ||
	    c->io_timeout_ms < 0 || c->io_timeout_ms > 600000 ||
	    c->pool_max > 1024 || c->destroy_wait_s < -1 ||
	    c->destroy_wait_s > 365LL * 86400)
		abort();
	for (size_t i = 0; i < c->n_partitions; i++)
		check_name(c->partitions[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	p11_config c;
	CK_RV rv;

	conf_init();
	if (ftruncate(conf_fd, 0) != 0 ||
	    pwrite(conf_fd, data, size, 0) != (ssize_t)size)
		abort();
	memset(&c, 0xa5, sizeof(c));
	rv = p11_config_load(&c);
	if (rv == CKR_OK) {
		check(&c);
		p11_config_clear(&c);
	} else if (rv != CKR_GENERAL_ERROR && rv != CKR_HOST_MEMORY) {
		abort();
	} else {
		/* untouched on failure */
		for (size_t i = 0; i < sizeof(c); i++)
			if (((const uint8_t *)&c)[i] != 0xa5)
				abort();
	}
	return 0;
}
