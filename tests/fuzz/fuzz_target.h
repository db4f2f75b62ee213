/* SPDX-License-Identifier: MIT */
/* What every fuzz target shares: libFuzzer's entry point and a check of an
 * invariant that aborts, so libFuzzer records the input as a crash. */
#ifndef ENTRYBOX_FUZZ_TARGET_H
#define ENTRYBOX_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                            \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                     \
		}                                                                                    \
	} while (0)

#endif
