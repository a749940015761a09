/* SPDX-License-Identifier: MIT */
/*
 * e2e_lib.c - a shared library: lib_fill touches n bytes of a new block
 * (built as libe2e.so, linked, and as libe2edl.so, dlopened; stripped, as
 * libe2es.so).
 */
#include <stdlib.h>

char *lib_fill(size_t n)
{
	volatile char *p = malloc(n);
	for (size_t i = 0; i < n; i += 4096) p[i] = 1;
	return (char *)p;
}
