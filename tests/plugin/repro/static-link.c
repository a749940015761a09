/* SPDX-License-Identifier: MIT */
/*
 * Expect: a silent link; one line on stderr without the runtime, a report
 * with -Wl,--undefined=__mprof_bind -lmprof (tests/plugin/static.sh)
 *
 * static-link.c - an instrumented program linked with -static: a linker
 * warning, then no report and no message.  Fixed; kept as the reproducer.
 *
 * Found by: tests/realworld/run jq -- libtool's configure check "does the
 * -static flag work?" fails instrumented (it treats any linker output as
 * failure), so jq's config.status differs: lt_prog_compiler_static='' when
 * instrumented, '-static' plain.  Any configure script with that check
 * decided differently when CFLAGS carried the plugin.
 * Run:
 *     gcc -static -fplugin=build/lib/mprof.so static-link.c -o st
 *         was -> /usr/bin/ld: ...: in function `__mprof_ctor':
 *                warning: Using 'dlopen' in statically linked applications
 *                requires at runtime the shared libraries from the glibc
 *                version used for linking
 *         now -> nothing, as `gcc -static static-link.c`
 *     ./st; echo $?
 *         was -> 0, and no table on stderr, no message
 *         now -> 0 and one line: "mprof: statically linked without the
 *                runtime: link with -Wl,--undefined=__mprof_bind
 *                -L<dir> -lmprof for a report; the program runs without
 *                its memory profile"
 *     gcc -static -fplugin=build/lib/mprof.so static-link.c -o st \
 *         -Wl,--undefined=__mprof_bind -Lbuild/lib -lmprof
 *         was -> the same dlopen warning (from libmprof.a's rss.c)
 *         now -> a silent link; ./st prints the table (rss backend: the
 *                heap backend cannot hook malloc in a static program)
 *
 * Analysis: the constructor the plugin emitted called dlsym(RTLD_DEFAULT,
 * "__mprof_bind"), dlopen()ed libmprof.so.0 and looked again.  In a static
 * executable dlopen does load the runtime (with a second libc: strace
 * showed libc.so.6 being mapped; the runtime's own constructor ran), but
 * dlsym(RTLD_DEFAULT) never searches it, so bind was never called.
 * Making dlopen a weak reference did not silence the linker: every static
 * glibc program links libc.a's dlopen.o anyway (stdio -> gconv_db ->
 * gconv_dl: __libc_dlopen_mode -> dl-open -> rtld_static_init: __dlopen;
 * see -Wl,-Map), and ld warns for any reference to the symbol `dlopen`,
 * weak or not, once the member that carries .gnu.warning.dlopen is in.
 * Also, since __mprof_bind was only named in a string, -lmprof pulled
 * nothing from the static archive.
 *
 * Fix (plugin/emit.cc, runtime/rss.c): nothing names dlopen any more; the
 * constructor gets it with dlsym(RTLD_DEFAULT, "dlopen") (dlsym.o carries
 * no warning).  It binds a linked-in runtime through a weak __mprof_bind
 * (pulled from libmprof.a by -Wl,--undefined=__mprof_bind); failing that,
 * a static executable -- weak hidden _DYNAMIC null (static), or no
 * "dlopen" visible to dlsym (static-pie: libc.a's dlsym sees no symbol of
 * the executable) -- gets the one-line message (once per module, however
 * many units are instrumented) and no dlopen; a dynamic one is unchanged.
 * The runtime's rss.c likewise calls dlopen("libc.so.6", RTLD_NOLOAD)
 * through dlsym.
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
