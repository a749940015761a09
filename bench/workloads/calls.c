/* SPDX-License-Identifier: MIT */
/*
 * calls.c - a word counter that makes millions of short calls, the
 * workload of bench/funcs and tests/cli/t_funcs.sh: built with
 * -fplugin-arg-mprof-all, every call is a FUNC record candidate under
 * `mprof run`.  It reads N pseudo-random words from a vocabulary of 4096
 * (next_word, one call each) and counts them in a binary search tree
 * (count, recursive: one call per level, about 13 per word).
 *
 *     calls [N]        N words, default 350000 (about 5 million calls)
 *
 * Prints the number of distinct words, the calls of next_word and of count
 * (each level of the recursion is a call), and a checksum.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCABULARY 4096

struct node {
	char word[16];
	unsigned long n;
	struct node *left, *right;
};

static uint64_t state = 88172645463325252u;
static unsigned long next_calls, count_calls;

static void next_word(char *w)
{
	uint64_t x = state, k;
	int i;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	state = x;
	k = x % VOCABULARY * 2654435761u;
	for (i = 0; i < 6; i++, k /= 26)
		w[i] = (char)('a' + k % 26);
	w[6] = '\0';
	next_calls++;
}

static struct node *count(struct node *t, const char *w, unsigned long *distinct)
{
	int c;

	count_calls++;
	if (!t) {
		t = calloc(1, sizeof *t);
		if (!t)
			exit(1);
		strcpy(t->word, w);
		t->n = 1;
		(*distinct)++;
		return t;
	}
	c = strcmp(w, t->word);
	if (c < 0)
		t->left = count(t->left, w, distinct);
	else if (c > 0)
		t->right = count(t->right, w, distinct);
	else
		t->n++;
	return t;
}

static uint64_t checksum(const struct node *t)
{
	if (!t)
		return 0;
	return t->n * (uint64_t)(unsigned char)t->word[0] + checksum(t->left) +
	       checksum(t->right);
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 350000;
	unsigned long distinct = 0, i;
	struct node *root = NULL;
	char w[16];

	for (i = 0; i < n; i++) {
		next_word(w);
		root = count(root, w, &distinct);
	}
	printf("calls: %lu distinct words, next_word %lu calls, count %lu calls, checksum %llu\n",
	       distinct, next_calls, count_calls,
	       (unsigned long long)checksum(root));
	return 0;
}
