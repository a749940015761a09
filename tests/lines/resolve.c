/* SPDX-License-Identifier: MIT */
/*
 * resolve.c - the symbolizer from the command line, for tests and
 * debugging:
 *   sym_resolve -e FILE VADDR...   ELF virtual addresses of FILE
 *   sym_resolve PID ADDR...        addresses of a running process
 * prints each address's frames, innermost first, one per line:
 *   ADDR FUNC FILE:LINE [FUNC_LINE-FUNC_LAST_LINE] MODULE+OFFSET
 * (addr2line -i -f -e FILE prints the same function and file:line pairs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize.h"

int main(int argc, char **argv)
{
	struct mp_sym *s = mp_sym_new();
	const char *file = NULL;
	unsigned long pid = 0;
	int i = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: sym_resolve -e FILE VADDR... | PID ADDR...\n");
		return 2;
	}
	if (!strcmp(argv[1], "-e")) {
		file = argv[2];
		i = 3;
	} else {
		pid = strtoul(argv[1], NULL, 10);
		if (mp_sym_read_maps(s, pid) < 0) {
			fprintf(stderr, "sym_resolve: cannot read /proc/%lu/maps\n", pid);
			return 1;
		}
		i = 2;
	}
	for (; i < argc; i++) {
		struct mp_sym_frame f[32];
		unsigned long long addr = strtoull(argv[i], NULL, 16);
		int n = file ? mp_sym_lookup_file(s, file, addr, f, 32)
			     : mp_sym_lookup(s, pid, addr, f, 32);

		if (!n)
			printf("%llx ?\n", addr);
		for (int k = 0; k < n; k++)
			printf("%llx %s %s:%d [%d-%d] %s+0x%llx\n", addr, f[k].func ? f[k].func : "??",
			       f[k].file ? f[k].file : "??", f[k].line, f[k].func_line,
			       f[k].func_last_line, f[k].module ? f[k].module : "?",
			       (unsigned long long)f[k].offset);
	}
	mp_sym_free(s);
	return 0;
}
