/* SPDX-License-Identifier: MIT */
/* Misplaced mprof attributes: each is a warning with its location, and the
 * unit still compiles.  tests/plugin/run.sh checks every line number. */
int variable __attribute__((mprof));			/* line 4 */
struct s { int field __attribute__((mprof)); };		/* line 5 */
typedef int type_t __attribute__((mprof));		/* line 6 */
void param(int p __attribute__((mprof)));		/* line 7 */
void (*fnptr)(void) __attribute__((mprof));		/* line 8 */
__attribute__((mprof, naked)) void naked(void) { __asm__("ret"); }	/* line 9 */
int prototype(void) __attribute__((mprof));		/* fine: applies to the definition */
int prototype(void) { return 2; }
int elsewhere(int) __attribute__((mprof));		/* line 12: not defined here */
int plain_proto(int);					/* no attribute: silent */
int later(void);
__attribute__((mprof)) int later(void) { return 3; }	/* fine */
