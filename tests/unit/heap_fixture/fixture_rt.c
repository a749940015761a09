/* SPDX-License-Identifier: MIT */
/*
 * fixture_rt.c - the heap backend inside a module that test_heap
 * dlopen()s, as the plugin's constructor dlopen()s libmprof.so: no symbol
 * interposition, only GOT patching.  The static runtime it links keeps
 * mp_heap_* hidden; these two exports reach them.
 */
#include <stdint.h>

#include "heap.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT int fixture_rt_start(void)
{
	return mp_heap_start();
}

EXPORT int64_t fixture_rt_current(void)
{
	return mp_heap_current();
}
