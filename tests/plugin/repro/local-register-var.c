/* SPDX-License-Identifier: MIT */
/*
 * Expect: same
 *
 * local-register-var.c - a line probe clobbers local register variables.
 *
 * Found by: tests/realworld/run tcc (tests/tcctest.c, `asm_test`: "regvar=0"
 * instead of "regvar=4243" in the reference built by gcc with the plugin).
 * Run:
 *     gcc -O0 local-register-var.c -o plain && ./plain; echo $?      -> hello, 0
 *     gcc -O0 -fplugin=build/lib/mprof.so -fplugin-arg-mprof-all \
 *         local-register-var.c -o prof && MPROF_OUTPUT=/dev/null ./prof; echo $?
 *                                                   -> no output, 1 (also at -O2)
 *
 * Analysis: `register long rdi asm("rdi") = fd;` keeps the value in %rdi
 * only until the next call (GCC manual, "Specifying Registers for Local
 * Variables": the only supported use is as asm operands, and a call in
 * between may clobber the register).  The user's code has no call between
 * the assignments and the asm; the plugin puts a line probe before each
 * line, and each probe is a call: the syscall gets the probe's arguments
 * instead of fd/buf/n.  This is the syscall-wrapper pattern of nolibc,
 * musl-style code, kernel selftests.
 *
 * Fixed in plugin.cc: when
 * cfun->has_local_explicit_reg_vars (set by the gimplifier for any
 * non-static DECL_HARD_REGISTER variable), keep the entry and exit probes
 * (they run before the first and after the last user statement) and drop
 * the line probes; warn when the function was asked for by attribute.
 * Checked: this file and tcc's test3 pass at -O0 and -O2 with it.
 * (Alternative: thunks declared no_caller_saved_registers and written to
 * save every call-clobbered register -- x86 only, and SSE state is not
 * covered by that attribute.)
 */
static long sys_write(int fd, const void *buf, long n)
{
	register long rax asm("rax") = 1;	/* __NR_write, x86_64 */
	register long rdi asm("rdi") = fd;
	register long rsi asm("rsi") = (long)buf;
	register long rdx asm("rdx") = n;
	asm volatile("syscall" : "+r"(rax) : "r"(rdi), "r"(rsi), "r"(rdx)
		     : "rcx", "r11", "memory");
	return rax;
}

/* tcctest.c's variant: the value is read back after the asm. */
static int regvar_test(void)
{
	register int regvar asm("esi");
	asm volatile("mov $0x4243, %%esi" : "=r"(regvar));
	return regvar == 0x4243;
}

int main(void)
{
	return !(sys_write(1, "hello\n", 6) == 6 && regvar_test());
}
