/* SPDX-License-Identifier: MIT */
/*
 * invariant.h - MP_ASSERT(), the runtime's invariants stated in code.
 *
 * Checked in debug and test builds (MPROF_DEBUG defined: the CMake Debug
 * type, and the CI configuration that runs the suite with them on);
 * compiled out otherwise, hot path included, without evaluating the
 * condition.  A failed check writes "mprof: file:line: invariant `cond'
 * broken" with write(2) -- no stdio, no malloc: the runtime may be inside
 * the program's allocator -- and aborts, so the test that reached it fails
 * where the bookkeeping went wrong rather than in a wrong table later.
 */
#ifndef MP_INVARIANT_H
#define MP_INVARIANT_H

#ifdef MPROF_DEBUG
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noreturn, cold, unused)) static void
mp_assert_fail(const char *cond, const char *file, int line)
{
	char num[12];
	int i = sizeof num;
	unsigned u = (unsigned)line;
	ssize_t r;

	do
		num[--i] = (char)('0' + u % 10);
	while ((u /= 10) && i > 0);
	r = write(2, "mprof: ", 7);
	r = write(2, file, strlen(file));
	r = write(2, ":", 1);
	r = write(2, num + i, sizeof num - (size_t)i);
	r = write(2, ": invariant `", 13);
	r = write(2, cond, strlen(cond));
	r = write(2, "' broken\n", 9);
	(void)r;
	abort();
}

#define MP_ASSERT(c) \
	(__builtin_expect(!!(c), 1) ? (void)0 : \
	 mp_assert_fail(#c, __FILE__, __LINE__))
#else
#define MP_ASSERT(c) ((void)sizeof(!(c)))
#endif

#endif /* MP_INVARIANT_H */
