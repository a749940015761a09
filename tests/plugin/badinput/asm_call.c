/* SPDX-License-Identifier: MIT */
/* An asm that calls a function without saying what the call clobbers,
 * as tcc's tests do (tests/tcctest.c, test_asm_call): the plain build
 * survives it when nothing lives in a caller-saved register across the
 * asm.  The instrumented build must too, so no line event keeps a value
 * in such a register across it (plugin/emit.cc, mp_emit_lower: a
 * function with an asm of its own has no calling events).  At -O0 only:
 * at -O2 the asm gotos' own values may sit in such registers too (their
 * calls are on a rarely taken path), and the program then crashes with
 * the plugin as it did before the calling events: a known limit
 * (docs/DESIGN.md, "Calls from inside an event").
 * badinput: levels=-O0 */
#include <stdio.h>
#include <stdlib.h>

static char name[] = "PATH";

static const char *lookup(void)					/* occ 1 */
{
	char *s;						/* norow */
	__asm__ volatile("push %%rdi; push %%rdi; mov %1, %%rdi;"	/* occ 1 */
#if defined(__PIC__) || defined(__PIE__)
			 "call getenv@plt;"
#else
			 "call getenv;"
#endif
			 "pop %%rdi; pop %%rdi"
			 : "=a"(s) : "r"(name));
	return s ? "set" : "unset";				/* occ 1 */
}

int main(void)							/* occ 1 */
{
	printf("PATH %s\n", lookup());				/* occ 1 */
	return 0;						/* occ 1 */
}
