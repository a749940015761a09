/* SPDX-License-Identifier: MIT */
/* The attribute takes no arguments: an error each time, never an ICE.
 * badinput: mode=error flags=-std=c2x */
__attribute__((mprof(1))) int a(void) { return 1; }		/* error */
__attribute__((mprof("x"))) int b(void) { return 1; }		/* error */
__attribute__((mprof(a))) int c(void) { return 1; }		/* error */
__attribute__((mprof(1, 2))) int d(void) { return 1; }		/* error */
[[gnu::mprof(2)]] int e(void) { return 1; }			/* error */
int main(void) { return 0; }
