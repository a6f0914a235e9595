/*
 * fuzz_check.h - what every fuzz target shares: the libFuzzer entry point
 * each one defines, and check(), which aborts on a broken invariant so
 * that libFuzzer and the replay (replay.c) both report the input.
 */
#ifndef GH_FUZZ_CHECK_H
#define GH_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
check(bool ok)
{
	if (!ok)
		abort();
}

#endif
