/* SPDX-License-Identifier: MIT */
/*
 * Expect: same
 *
 * inline-label-address.c - instrumentation changes an inlining decision
 * that GCC's torture test execute/990208-1.c depends on.
 *
 * Found by: tests/realworld/run torture, -O2 and -O3 (passes at -O0).
 * Run:
 *     gcc -O2 inline-label-address.c -o plain && ./plain; echo $?    -> 0
 *     gcc -O2 -fplugin=build/lib/mprof.so -fplugin-arg-mprof-all \
 *         inline-label-address.c -o prof && MPROF_OUTPUT=/dev/null ./prof; echo $?   -> 1
 * (-fopt-info-inline-all: "f -> doit, call is unlikely and code size would
 * grow".)
 *
 * Analysis: plain, doit() is a single store, inlining it shrinks f and g,
 * so each gets its own copy of the label and ptr1 != ptr2.  Instrumented,
 * doit carries an entry, a line and an exit probe: inlining would grow the
 * caller, and f and g are called only from main (executed once), so the
 * IPA inliner declines and both pointers hold the one label of the
 * out-of-line doit.  The program's result is not defined by C (comparing
 * addresses of labels from different inline copies is a quality-of-
 * implementation property, which is why the test is under __OPTIMIZE__).
 * -finstrument-functions restricted to doit (exclude-function-list=f,g,main)
 * fails the same way; with every function instrumented it happens to pass
 * only because __cyg_profile_func_enter takes f's and g's addresses, which
 * stops GCC from treating them as executed once.
 *
 * Fixed: the pass after "cfg" inserts zero-cost placeholders (internal
 * calls) that become probe calls only after inlining and the last warning
 * pass (plugin/emit.cc), so GCC inlines doit() as it does plain.  The
 * run behaves as plain at -O0 and -O2 (tests/plugin/run.sh repro), and
 * 990208-1 passes instrumented.
 */
static void *ptr1, *ptr2;
static int i = 1;

static __inline__ void doit(void **pptr, int cond)
{
	if (cond) {
	here:
		*pptr = &&here;
	}
}

__attribute__((noinline)) static void f(int cond) { doit(&ptr1, cond); }
__attribute__((noinline)) static void g(int cond) { doit(&ptr2, cond); }

int main(void)
{
	f(i);
	g(i);
	return ptr1 == ptr2;
}
