/* SPDX-License-Identifier: MIT */
/*
 * fixture.c - a module test_heap dlopen()s after tracking started, to see
 * that its malloc and free get hooked: called through its PLT or its GOT
 * (the build decides which, see CMakeLists.txt) and through a function
 * pointer kept in its read-only data (an R_X86_64_64 relocation in RELRO).
 */
#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))

static void *(*const table[])(size_t) = { malloc };

EXPORT void *fixture_alloc(size_t n)
{
	return malloc(n);
}

/* The empty asm hides what the table holds, so the call loads it. */
EXPORT void *fixture_alloc_indirect(size_t n)
{
	void *(*const *t)(size_t) = table;

	__asm__("" : "+r"(t));
	return t[0](n);
}

EXPORT void fixture_release(void *p)
{
	free(p);
}
