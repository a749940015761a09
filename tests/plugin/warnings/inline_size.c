/* SPDX-License-Identifier: MIT */
/*
 * inline_size.c - a `static inline` function just under GCC's inlining
 * limit for `inline` functions (max-inline-insns-single), called 4 times.
 * Probe calls, which cost inline-size units, made it look too big:
 * -Winline gave 4 "inlining failed" warnings at -O1 and -O2, none plain.
 * (tests/plugin/run.sh warnings)
 */
static inline void mix(unsigned *s, unsigned a, unsigned b)
{
  s[1] += s[2] ^ (a + 1);
  s[2] += s[3] ^ (a + 2);
  s[3] += s[0] ^ (a + 3);
  s[0] += s[1] ^ (a + 4);
  s[1] += s[2] ^ (a + 5);
  s[2] += s[3] ^ (a + 6);
  s[3] += s[0] ^ (a + 7);
  s[0] += s[1] ^ (a + 8);
  s[1] += s[2] ^ (a + 9);
  s[2] += s[3] ^ (a + 10);
  s[3] += s[0] ^ (a + 11);
  s[0] += s[1] ^ (a + 12);
  s[0] ^= b;
}

unsigned run(unsigned *s, unsigned n)
{
  mix(s, n + 1, 1);
  mix(s, n + 2, 2);
  mix(s, n + 3, 3);
  mix(s, n + 4, 4);
  return s[0] ^ s[1] ^ s[2] ^ s[3];
}
