/* SPDX-License-Identifier: MIT */
/*
 * shlib.c - an instrumented shared library for tests/plugin/run.sh shared.
 * Built twice: as libshlib.so (linked by shmain) and, with PLUGIN_MODULE,
 * as plugmod.so (dlopen()ed and dlclose()d by shmain): its table must
 * survive the dlclose.
 */
#include <mprof.h>
#include <stdlib.h>
#include <string.h>

#ifndef PLUGIN_MODULE
MPROF char *lib_alloc(size_t n)
{
	char *p = malloc(n);
	memset(p, 1, n);
	return p;
}
#else
MPROF size_t module_work(size_t n)
{
	char *p = malloc(n);
	memset(p, 2, n);
	size_t s = p[n - 1];
	free(p);
	return s;
}
#endif
