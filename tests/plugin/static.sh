#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# plugin.static: instrumented programs linked with -static (and -static-pie
# where the toolchain has rcrt1.o); tests/plugin/repro/static-link.c.
#   static.sh SRCDIR BUILDDIR
# 1. The link prints nothing, as a plain `gcc -static` link does (a linker
#    warning about dlopen fails libtool's "-static works" check, and
#    configure scripts then decide differently when CFLAGS carry the
#    plugin), with and without -g, -O2, -flto, with the runtime or not.
# 2. Without the runtime the program prints one line on stderr saying how
#    to link it, loads nothing, and otherwise runs as the plain build.
# 3. With -Wl,--undefined=__mprof_bind -lmprof it prints its report.
# 4. The same source linked dynamically: a report, no message.
# Skipped (77) without libc.a.
set -euo pipefail
src=$1 build=$2
plugin=$build/lib/mprof.so
libdir=$build/lib
cc=${CC:-gcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

libc_a=$($cc -print-file-name=libc.a)
[ -f "$libc_a" ] || { echo "skip: no libc.a (libc6-dev)"; exit 77; }

cd "$tmp"
cp "$src/tests/plugin/repro/static-link.c" prog.c
free_line=$(grep -n 'free(p);' prog.c | cut -d: -f1)
cat >hello.c <<'EOF'
#include <stdio.h>
int helper(int x);
int main(void)
{
	printf("hello %d\n", helper(41));
	return 0;
}
EOF
cat >helper.c <<'EOF'
int helper(int x)
{
	return x + 1;
}
EOF
msg='^mprof: statically linked without the runtime: link with -Wl,--undefined=__mprof_bind (-L[^ ]+ )?-lmprof for a report; the program runs without its memory profile$'
inst="-fplugin=$plugin -fplugin-arg-mprof-all"
link_rt="-Wl,--undefined=__mprof_bind -L$libdir -lmprof"

# The reference: a plain static link says nothing.
$cc -static hello.c helper.c -o plain >plain.link 2>&1 ||
	{ cat plain.link; fail "plain -static link"; }
[ -s plain.link ] && { cat plain.link; fail "plain gcc -static prints on the link: cannot test"; }
./plain >plain.out

kinds=(-static)
rcrt=$($cc -print-file-name=rcrt1.o)
if [ -f "$rcrt" ] && $cc -static-pie hello.c helper.c -o plain-pie >/dev/null 2>&1; then
	kinds+=(-static-pie)
else
	echo "note: no -static-pie here, not tested"
fi

for kind in "${kinds[@]}"; do
	while read -r flags; do
		what="$kind $flags"
		# 1 + 2: no runtime linked.
		# shellcheck disable=SC2086
		$cc $flags $kind $inst hello.c helper.c -o st >link.out 2>&1 ||
			{ cat link.out; fail "$what: link"; }
		[ -s link.out ] && { cat link.out; fail "$what: the link printed something"; }
		rm -f report
		set +e
		MPROF_OUTPUT="$tmp/report" ./st >st.out 2>st.err
		rc=$?
		set -e
		[ "$rc" = 0 ] || fail "$what: exit status $rc"
		cmp -s plain.out st.out || fail "$what: stdout differs from the plain build"
		if [ "$(wc -l <st.err)" != 1 ] || ! grep -Eq "$msg" st.err; then
			cat st.err
			fail "$what: stderr is not the one static-link line"
		fi
		[ -e report ] && fail "$what: a report without the runtime?"
		if command -v strace >/dev/null; then
			strace -f -e trace=open,openat -o trace ./st >/dev/null 2>&1
			if grep -q 'libmprof\|libc\.so' trace; then
				grep 'libmprof\|libc\.so' trace
				fail "$what: loads a shared library"
			fi
		fi

		# 3: the runtime linked in.
		# shellcheck disable=SC2086
		$cc $flags $kind $inst prog.c -o rt $link_rt >link.out 2>&1 ||
			{ cat link.out; fail "$what: link with $link_rt"; }
		[ -s link.out ] && { cat link.out; fail "$what: the link with the runtime printed something"; }
		rm -f report
		MPROF_OUTPUT="$tmp/report" ./rt >rt.out 2>rt.err || fail "$what: with the runtime, exit status $?"
		[ -s rt.err ] && { cat rt.err; fail "$what: with the runtime, stderr not empty"; }
		grep -q '^Filename: prog.c$' report ||
			{ cat report 2>/dev/null; fail "$what: no report with the runtime"; }
		grep -Eq "^ +$free_line +[0-9.]+ MiB +-?[0-9.]+ MiB +1 +.*free\\(p\\);\$" report ||
			{ cat report; fail "$what: no row for line $free_line"; }
		echo "ok: $what"
	done <<'FLAGS'
-O0
-g
-O2
-g -O2
-O2 -flto
FLAGS
done

# 4: dynamic, as before: the runtime is loaded, a report, no message.
# shellcheck disable=SC2086
$cc -g $inst prog.c -o dyn >link.out 2>&1 || { cat link.out; fail "dynamic link"; }
[ -s link.out ] && { cat link.out; fail "the dynamic link printed something"; }
rm -f report
MPROF_OUTPUT="$tmp/report" ./dyn 2>dyn.err || fail "dynamic: exit status $?"
[ -s dyn.err ] && { cat dyn.err; fail "dynamic: stderr not empty"; }
grep -q '^Filename: prog.c$' report || fail "dynamic: no report"
echo "ok: dynamic"
