/* SPDX-License-Identifier: MIT */
/*
 * t_lines_padded.S - a fixture of t_lines_acct.c: a function whose one
 * line row (line 7 of "t_lines_padded.c") also covers 15 bytes of padding
 * past the function's symbol and past any DW_TAG_subprogram (the
 * assembler's own, with -g, spans the `ret` alone).  An address there has
 * a file and a line but no function.
 */
	.text
	.p2align 4
	.globl t_lines_padded
	.type t_lines_padded, @function
t_lines_padded:
	.file 1 "t_lines_padded.c"
	.loc 1 7
	ret
	.size t_lines_padded, .-t_lines_padded
	.skip 15, 0x90
	.section .note.GNU-stack,"",@progbits
