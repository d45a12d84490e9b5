/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef KW_TESTS_FUZZ_H
#define KW_TESTS_FUZZ_H

/*
 * Every fuzz target defines the libFuzzer entry point. The same source is
 * linked either with -fsanitize=fuzzer (a fuzzer, -Dfuzz=true) or with
 * replay.c (a regression test that feeds the committed seed corpus through
 * the entry point, built always).
 */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
