/* SPDX-License-Identifier: MIT */
/*
 * stack_moves.c - functions whose stack pointer moves while they run:
 * alloca, VLAs made and freed in a loop, 32-byte-aligned locals (a
 * realigned frame), calls with stack arguments.  Built with each of the
 * flags that change how GCC addresses a frame (tests/plugin/run.sh
 * frames), every build must give the same table with no dropped event.
 * Prints 4407.
 */
#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;	/* the blocks escape: no -O removes them */

__attribute__((noinline)) static long many(long a, long b, long c, long d,
                                           long e, long f, long g, long h)
{
  return a + b + c + d + e + f + g + h;
}

static long grow(int n)
{
  char *p = alloca(n);
  memset(p, 1, n);
  char *keep = malloc(1000);
  sink = keep;
  long s = many(1, 2, 3, 4, 5, 6, p[0], p[n - 1]);
  free(keep);
  return s;
}

static long vla(int n)
{
  char buf[n];
  memset(buf, 2, n);
  long s = buf[0];
  for (int i = 1; i < n; i++) {
    char inner[i + 1];
    inner[i] = buf[i];
    s += inner[i];
  }
  return s;
}

static long aligned(int n)
{
  char big[64] __attribute__((aligned(32)));
  memset(big, n, sizeof big);
  char *kept = malloc(100);
  sink = kept;
  long s = many(big[0], 1, 2, 3, 4, 5, 6, 7);
  free(kept);
  return s + ((unsigned long)big & 31);
}

int main(int argc, char **argv)
{
  long t = 0;
  (void)argv;
  for (int i = 1; i < 40; i++) {
    t += grow(i * 16 + argc);
    t += vla(i + argc);
    t += aligned(i);
  }
  printf("%ld\n", t);
  return 0;
}
