/* SPDX-License-Identifier: MIT */
/*
 * slow.c - `line_slow`, the line event's call for code that makes no call
 * (runtime/mprof_abi.h, "Calls from inside an event").
 *
 * The plugin's one-asm line event calls it from its rarely taken branch,
 * where the compiler believes no call happens: every register holds a
 * value of the function, so this entry keeps them all -- the general
 * registers a C function may clobber and the vector registers, whose
 * upper halves too where the CPU has AVX (glibc's string functions end in
 * vzeroupper) -- and takes its arguments from the stack:
 *
 *     CFA - 128 .. CFA    the red zone of the function, untouched
 *     CFA - 136           f
 *     CFA - 144           &sites[i]
 *     CFA - 152           where the event resumes (for unwinders)
 *     CFA - 160           the return address, into the event's branch
 *
 * The call frame information names the resume address as the caller's,
 * so an unwinder (gdb, backtrace(), a C++ exception from a signal
 * handler) goes from here into the instrumented function at its event,
 * where that function's own CFI holds: the event's branch lies outside
 * the function, where no FDE covers it.  The x87 registers are not kept:
 * nothing the line probe runs uses them.
 *
 * x86-64 only; elsewhere the plugin never emits the event that calls it
 * and the table's entry stays NULL.
 */
#include <stddef.h>

#include "internal.h"
#include "mprof_abi.h"

#if defined(__x86_64__) && defined(__ELF__)

__attribute__((used, visibility("hidden"))) void
mp_line_slow_body(struct __mprof_site *s, struct __mprof_frame *f);

void mp_line_slow_body(struct __mprof_site *s, struct __mprof_frame *f)
{
	__mprof_line(s, f);
}

/* The entry: `save`/`restore` move the vector registers to and from
 * `area` bytes at a 32-byte aligned %rsp. */
#define SLOW_ENTRY(name, area, save, restore)				\
	"	.text\n"						\
	"	.p2align 4\n"						\
	"	.globl " name "\n"					\
	"	.hidden " name "\n"					\
	"	.type " name ", @function\n"				\
	name ":\n"							\
	"	.cfi_startproc\n"					\
	"	.cfi_def_cfa_offset 160\n"				\
	"	.cfi_offset 16, -152\n"					\
	"	.byte 0xf3, 0x0f, 0x1e, 0xfa\n"	/* endbr64 */		\
	"	pushq %rbp\n"						\
	"	.cfi_adjust_cfa_offset 8\n"				\
	"	.cfi_offset %rbp, -168\n"				\
	"	movq %rsp, %rbp\n"					\
	"	.cfi_def_cfa_register %rbp\n"				\
	"	pushq %rax\n"						\
	"	pushq %rcx\n"						\
	"	pushq %rdx\n"						\
	"	pushq %rsi\n"						\
	"	pushq %rdi\n"						\
	"	pushq %r8\n"						\
	"	pushq %r9\n"						\
	"	pushq %r10\n"						\
	"	pushq %r11\n"						\
	"	andq $-32, %rsp\n"					\
	"	subq $" #area ", %rsp\n"				\
	save								\
	"	movq 24(%rbp), %rdi\n"		/* &sites[i] */		\
	"	movq 32(%rbp), %rsi\n"		/* f */			\
	"	call mp_line_slow_body\n"				\
	restore								\
	"	leaq -72(%rbp), %rsp\n"					\
	"	popq %r11\n"						\
	"	popq %r10\n"						\
	"	popq %r9\n"						\
	"	popq %r8\n"						\
	"	popq %rdi\n"						\
	"	popq %rsi\n"						\
	"	popq %rdx\n"						\
	"	popq %rcx\n"						\
	"	popq %rax\n"						\
	"	popq %rbp\n"						\
	"	.cfi_def_cfa %rsp, 160\n"				\
	"	ret\n"							\
	"	.cfi_endproc\n"						\
	"	.size " name ", .-" name "\n"

#define V16(op, reg, step)						\
	"	" op " %" reg "0, 0*" #step "(%rsp)\n"			\
	"	" op " %" reg "1, 1*" #step "(%rsp)\n"			\
	"	" op " %" reg "2, 2*" #step "(%rsp)\n"			\
	"	" op " %" reg "3, 3*" #step "(%rsp)\n"			\
	"	" op " %" reg "4, 4*" #step "(%rsp)\n"			\
	"	" op " %" reg "5, 5*" #step "(%rsp)\n"			\
	"	" op " %" reg "6, 6*" #step "(%rsp)\n"			\
	"	" op " %" reg "7, 7*" #step "(%rsp)\n"			\
	"	" op " %" reg "8, 8*" #step "(%rsp)\n"			\
	"	" op " %" reg "9, 9*" #step "(%rsp)\n"			\
	"	" op " %" reg "10, 10*" #step "(%rsp)\n"		\
	"	" op " %" reg "11, 11*" #step "(%rsp)\n"		\
	"	" op " %" reg "12, 12*" #step "(%rsp)\n"		\
	"	" op " %" reg "13, 13*" #step "(%rsp)\n"		\
	"	" op " %" reg "14, 14*" #step "(%rsp)\n"		\
	"	" op " %" reg "15, 15*" #step "(%rsp)\n"

#define R16(op, reg, step)						\
	"	" op " 0*" #step "(%rsp), %" reg "0\n"			\
	"	" op " 1*" #step "(%rsp), %" reg "1\n"			\
	"	" op " 2*" #step "(%rsp), %" reg "2\n"			\
	"	" op " 3*" #step "(%rsp), %" reg "3\n"			\
	"	" op " 4*" #step "(%rsp), %" reg "4\n"			\
	"	" op " 5*" #step "(%rsp), %" reg "5\n"			\
	"	" op " 6*" #step "(%rsp), %" reg "6\n"			\
	"	" op " 7*" #step "(%rsp), %" reg "7\n"			\
	"	" op " 8*" #step "(%rsp), %" reg "8\n"			\
	"	" op " 9*" #step "(%rsp), %" reg "9\n"			\
	"	" op " 10*" #step "(%rsp), %" reg "10\n"		\
	"	" op " 11*" #step "(%rsp), %" reg "11\n"		\
	"	" op " 12*" #step "(%rsp), %" reg "12\n"		\
	"	" op " 13*" #step "(%rsp), %" reg "13\n"		\
	"	" op " 14*" #step "(%rsp), %" reg "14\n"		\
	"	" op " 15*" #step "(%rsp), %" reg "15\n"

__asm__(SLOW_ENTRY("mp_line_slow_sse", 256, V16("movups", "xmm", 16),
		   R16("movups", "xmm", 16))
	SLOW_ENTRY("mp_line_slow_avx", 512, V16("vmovdqu", "ymm", 32),
		   R16("vmovdqu", "ymm", 32)));

void mp_line_slow_sse(void);
void mp_line_slow_avx(void);

void (*mp_line_slow_entry(void))(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx") ? mp_line_slow_avx
					     : mp_line_slow_sse;
}

#else

void (*mp_line_slow_entry(void))(void)
{
	return NULL;
}

#endif
