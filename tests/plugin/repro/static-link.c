/* SPDX-License-Identifier: MIT */
/*
 * Expect: no report unless -lmprof is linked (documented limitation)
 *
 * static-link.c - an instrumented program linked with -static: a linker
 * warning, then no report and no message.
 *
 * Found by: tests/realworld/run jq -- libtool's configure check "does the
 * -static flag work?" fails instrumented (it treats any linker output as
 * failure), so jq's config.status differs: lt_prog_compiler_static='' when
 * instrumented, '-static' plain.  Any configure script with that check
 * decides differently when CFLAGS carry the plugin.
 * Run:
 *     gcc -static -fplugin=build/lib/mprof.so static-link.c -o st
 *         -> /usr/bin/ld: ...: in function `__mprof_ctor':
 *            warning: Using 'dlopen' in statically linked applications
 *            requires at runtime the shared libraries from the glibc version
 *            used for linking
 *     ./st; echo $?           -> 0, and no table on stderr, no message
 *     gcc -static -fplugin=build/lib/mprof.so static-link.c -o st \
 *         -Lbuild/lib -lmprof -lm   -> the same: nothing pulls libmprof.a in
 *
 * Analysis: the constructor the plugin emits calls dlsym(RTLD_DEFAULT,
 * "__mprof_bind"), dlopen()s libmprof.so.0 and looks again.  In a static
 * executable dlopen does load the runtime (with a second libc: strace shows
 * libc.so.6 being mapped; the runtime's own constructor runs and opens
 * /proc/self/statm), but dlsym(RTLD_DEFAULT) never searches it, so bind is
 * never called: the probes stay no-ops, silently (the "cannot load the
 * runtime" message is not printed because dlopen succeeded).  And since
 * __mprof_bind is only named in a string, -lmprof pulls nothing from the
 * static archive either.
 *
 * Done in emit.cc: the constructor calls a linked-in __mprof_bind
 * directly through a weak reference, so `-static ... -Wl,--undefined=
 * __mprof_bind -lmprof` works (dynamic builds unchanged).  Still open:
 * without the runtime, a static executable's dlopen() loads the runtime
 * with a second libc, whose at-exit report never runs: no report, no
 * message; and libc.a's own code pulls in dlopen, so the linker warning
 * (and libtool's -static check) remains.  The original suggestion was:
 * reference the runtime weakly instead of by name --
 *     extern void __mprof_bind(struct __mprof_probes *) __attribute__((weak));
 *     extern void *dlopen(...) __attribute__((weak)), *dlsym(...) weak;
 *     if (__mprof_bind) __mprof_bind(&tab);          -- -lmprof, static or not
 *     else if (dlsym) { ...today's path... }
 *     else write(2, "mprof: statically linked: link with -lmprof\n")
 * Weak undefined dlopen/dlsym do not pull libc.a's dl code (no linker
 * warning, so libtool's check passes), a static link with -lmprof works
 * (libmprof.a's member defining __mprof_bind is pulled by... -- note a weak
 * reference does not pull an archive member either: -Wl,-u,__mprof_bind or
 * a strong reference in pkg-config's --libs --static would), and the
 * dynamic case keeps working.  Failing that: print a clear message when
 * the runtime loaded but __mprof_bind is not found, and document that
 * static executables are not supported.
 */
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *p = malloc(1 << 20);

	memset(p, 1, 1 << 20);
	free(p);
	return 0;
}
