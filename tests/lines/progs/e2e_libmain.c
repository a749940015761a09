/* SPDX-License-Identifier: MIT */
/*
 * e2e_libmain.c - calls lib_fill of a linked library (3 MiB) and of a
 * dlopened one (5 MiB, the library named by argv[1]).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

char *lib_fill(size_t n);

int main(int argc, char **argv)
{
	char *a = lib_fill(3u << 20);
	void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
	char *(*f)(size_t) = h ? (char *(*)(size_t))dlsym(h, "lib_fill") : NULL;

	if (!f)
		return 1;
	char *b = f(5u << 20);
	printf("%d %d\n", a[0], b[0]);
	return 0;
}
