/* SPDX-License-Identifier: MIT */
/* Computed goto: a threaded interpreter.  Each label's first line runs as
 * often as its opcode (tests/plugin/repro/computed-goto-lines.c).
 * badinput: */
#include <stdio.h>

static int run(const unsigned char *code)			/* occ 10 */
{
	static void *ops[] = { &&op_inc, &&op_dbl, &&op_end };
	int acc = 0;						/* occ 10 */
	const unsigned char *pc = code;				/* occ 10 */

	goto *ops[*pc++];					/* occ 10 */
op_inc:
	acc += 1;						/* occ 40 */
	goto *ops[*pc++];					/* occ 40 */
op_dbl:
	acc *= 2;						/* occ 30 */
	goto *ops[*pc++];					/* occ 30 */
op_end:
	return acc;						/* occ 10 */
}

int main(void)							/* occ 1 */
{
	unsigned char prog[] = { 0, 0, 1, 0, 1, 1, 0, 2 };	/* occ 1 */
	int r = 0;						/* occ 1 */

	for (int i = 0; i < 10; i++)				/* occ 11 */
		r += run(prog);					/* occ 10 */
	printf("%d\n", r);					/* occ 1 */
	return r != 210;					/* occ 1 */
}
