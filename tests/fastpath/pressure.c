/* SPDX-License-Identifier: MIT */
/*
 * pressure.c - line events outside loops, each one asm that calls the
 * runtime itself when the figure moved (runtime/mprof_abi.h, "Calls from
 * inside an event"), with the program's values in the registers a call
 * would clobber.  mix() touches a fresh page on every other line, so the
 * next event calls, while the values it computed live on in registers;
 * mix_ref() is the same code, not profiled.  A register the call did not keep
 * changes a result, and the program fails.  tests/fastpath/compare.sh
 * also runs it with the fast path and with MPROF_EXACT=1: the tables must
 * be equal.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mprof.h>

#define PAGES (256 * 1024)	/* mmapped: fresh pages every call */

static void *(*volatile alloc)(size_t) = malloc;

MPROF __attribute__((noinline)) static double mix(double a, long k,
						  char **keep)
{
	char *p = alloc(PAGES);
	double b = a * 1.5, c = a + 2.0, d = a - 3.0, e = a * a;
	p[0] = (char)k;
	long i = k * 3, j = k ^ 5, l = k + 7, m = k * k;
	p[4096] = (char)i;
	double f = b * c + d, g = e - b / (c + 1.0);
	p[8192] = (char)j;
	long n = i * j + l, o = m - i, q = n ^ o;
	p[12288] = (char)n;
	double h = f * g - (double)q, r = h / (e + 1.0);
	p[16384] = (char)q;
	long s = q * 7 + n, t = s ^ (o << 3);
	keep[k % 8] = p;
	return b + c + d + e + f + g + h + r +
	       (double)(i + j + l + m + n + o + q + s + t) + p[4096];
}

/* mix(), line for line. */
__attribute__((noinline)) static double mix_ref(double a, long k,
						char **keep)
{
	char *p = alloc(PAGES);
	double b = a * 1.5, c = a + 2.0, d = a - 3.0, e = a * a;
	p[0] = (char)k;
	long i = k * 3, j = k ^ 5, l = k + 7, m = k * k;
	p[4096] = (char)i;
	double f = b * c + d, g = e - b / (c + 1.0);
	p[8192] = (char)j;
	long n = i * j + l, o = m - i, q = n ^ o;
	p[12288] = (char)n;
	double h = f * g - (double)q, r = h / (e + 1.0);
	p[16384] = (char)q;
	long s = q * 7 + n, t = s ^ (o << 3);
	keep[k % 8] = p;
	return b + c + d + e + f + g + h + r +
	       (double)(i + j + l + m + n + o + q + s + t) + p[4096];
}

int main(void)
{
	static char *keep[8], *ref_keep[8];
	double sum = 0, ref = 0;

	for (long k = 0; k < 400; k++) {
		free(keep[k % 8]);
		sum += mix((double)k * 0.5, k, keep);
		free(ref_keep[k % 8]);
		ref += mix_ref((double)k * 0.5, k, ref_keep);
		if (sum != ref) {
			printf("k = %ld: %.17g, not %.17g\n", k, sum, ref);
			return 1;
		}
	}
	printf("%.17g\n", sum);
	return 0;
}
