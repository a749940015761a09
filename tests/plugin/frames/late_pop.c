/* SPDX-License-Identifier: MIT */
/*
 * late_pop.c - GCC leaves op()'s two stack arguments on the stack and pops
 * them (pop %r9; pop %r10) only after the entry probe and the first line
 * probe of upd() inlined into run(), so the later probes of the same
 * activation run 16 bytes higher.  Frames identified by where the probe
 * call happens were taken for dead there: "2 probe events dropped" and no
 * row for `return -2;`, at -O1 and above, unless -maccumulate-outgoing-args.
 * Prints `0 197`.  (tests/plugin/run.sh frames)
 */
#include <stdio.h>
struct comp { int error; long acc; };

__attribute__((noinline)) int op(struct comp *c, int a, int b, int d, int e,
                                 int f, long g, long h)
{
  c->acc += a + b + d + e + f + g + h;
  return 0;
}

static int upd(struct comp *c)
{
  if (c->error)
    return c->error;
  return -2;
}

int run(struct comp *c, int n)
{
  op(c, 1, 2, 3, 4, 5, 0x40, 0x58);
  int has = upd(c) == 0;
  op(c, n, 2, 3, 4, 5, 6, 7);
  return has;
}

int main(void)
{
  struct comp c = { 0, 0 };
  int r = run(&c, 3);
  printf("%d %ld\n", r, c.acc);
  return 0;
}
