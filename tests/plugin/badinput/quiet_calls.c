/* SPDX-License-Identifier: MIT */
/* One-line functions inlined below a profiled caller at -O2: quiet calls
 * (runtime/mprof_abi.h, "Quiet calls"), entered and left with no call
 * while memory holds.  Their rows must be what real calls give at -O0:
 * one that allocates or frees (the figure moves during the call: the
 * exit charges the row), one nested in another, one that calls a profiled
 * function that is not inlined, and the caller's lines around them.
 * (A signature row's Increment starts at the figure of the first call:
 * drop's is 4.0 - 4.0, via's 3.0 + 1.0.)
 * badinput: */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024 * 1024)

static char *volatile seen;	/* keeps the blocks from being optimised out */

static unsigned rd(const unsigned char *p) { return p[0] | p[1] << 8; }	/* occ 999 inc 0.0 */
static unsigned hash(const unsigned char *p) { return rd(p) * 2654435761u >> 20; }	/* occ 999 inc 0.0 */
static void *grab(size_t n) { return malloc(n); }			/* occ 2 inc 3.0 */
static void drop(void *p) { free(p); }					/* occ 3 inc 0.0 */

__attribute__((noinline)) static char *made(size_t n)			/* occ 1 */
{
	char *p = malloc(n);						/* occ 1 inc 1.0 */
	memset(p, 1, n);						/* occ 1 inc 0.0 */
	seen = p;							/* occ 1 */
	return p;							/* occ 1 */
}

static char *via(size_t n) { return made(n); }				/* occ 1 inc 4.0 */

int main(void)								/* occ 1 */
{
	static unsigned char b[1000];
	unsigned s = 0;							/* occ 1 */
	for (int i = 0; i < 1000; i++)					/* occ 1001 */
		b[i] = (unsigned char)(i * 7);				/* occ 1000 */
	for (int i = 0; i + 1 < 1000; i++)				/* occ 1000 */
		s += hash(b + i);					/* occ 999 inc 0.0 */
	char *p = grab(MIB);						/* occ 1 inc 1.0 */
	char *q = grab(2 * MIB);					/* occ 1 inc 2.0 */
	memset(p, 2, MIB);						/* occ 1 */
	memset(q, 3, 2 * MIB);						/* occ 1 */
	seen = p;							/* occ 1 */
	seen = q;							/* occ 1 */
	char *r = via(MIB);						/* occ 1 inc 1.0 */
	s += (unsigned)(p[5] + q[7] + r[9]);				/* occ 1 */
	drop(p);							/* occ 1 inc -1.0 */
	drop(q);							/* occ 1 inc -2.0 */
	drop(r);							/* occ 1 inc -1.0 */
	printf("%u\n", s);						/* occ 1 */
	return 0;							/* occ 1 */
}
