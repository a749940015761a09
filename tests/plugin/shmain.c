/* SPDX-License-Identifier: MIT */
/*
 * shmain.c - an instrumented executable using an instrumented shared
 * library (linked) and a module (dlopen()ed, then dlclose()d before exit).
 * One runtime serves all three: the report has main_work, lib_alloc and
 * module_work.
 */
#include <dlfcn.h>
#include <mprof.h>
#include <stdio.h>
#include <stdlib.h>

char *lib_alloc(size_t n);

MPROF static int main_work(void)
{
	char *a = lib_alloc(1 << 20);
	void *h = dlopen(MODULE, RTLD_NOW);
	if (!h)
		return 1;
	size_t (*work)(size_t) = (size_t (*)(size_t))dlsym(h, "module_work");
	size_t r = work(2 << 20);
	dlclose(h);
	free(a);
	return (int)r;
}

int main(void)
{
	printf("%d\n", main_work());
	return 0;
}
