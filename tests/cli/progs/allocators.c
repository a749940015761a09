/* SPDX-License-Identifier: MIT */
/*
 * allocators.c - one profiled function that allocates through every path
 * an allocator can be reached by: malloc, calloc, realloc, strdup,
 * strndup, posix_memalign, asprintf, and frees it all.  Its heap-backend
 * table (tests/expected/allocators.txt) must be the same under glibc's
 * malloc, valgrind's, AddressSanitizer's and a preloaded jemalloc
 * (tests/cli/t_allocators.sh).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

#define MIB (1024 * 1024)

MPROF static size_t allocate(void)
{
	char *text = malloc(MIB);
	memset(text, 'x', MIB - 1);
	text[MIB - 1] = '\0';
	char *copy = strdup(text);
	char *half = strndup(text, MIB / 2);
	char *zeros = calloc(2, MIB);
	zeros = realloc(zeros, 3 * MIB);
	void *aligned = NULL;
	if (posix_memalign(&aligned, 4096, MIB))
		return 0;
	char *line = NULL;
	if (asprintf(&line, "%.*s", MIB / 4, text) < 0)
		return 0;
	size_t n = strlen(copy) + strlen(half) + strlen(line) + zeros[5];
	free(line);
	free(aligned);
	free(zeros);
	free(half);
	free(copy);
	free(text);
	return n;
}

int main(void)
{
	printf("%zu\n", allocate());
	return 0;
}
