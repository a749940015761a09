#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tests of the plugin itself, one case per ctest entry:
#   run.sh CASE SRCDIR BUILDDIR
# lines        the line-event rule: tests/plugin/lines.c gives the table in
#              tests/expected/plugin_lines.txt at every -O level, with -g,
#              -flto, -fcompare-debug and -masm=intel (inline events built
#              as GIMPLE, not as the x86-64 asm)
# asm          x86-64: each inline line event of lines.c is one asm
#              statement with its own call, none with -masm=intel; the
#              one-line functions inlined in badinput/quiet_calls.c are
#              quiet calls
# diagnostics  attribute misuse (on a non-function, on a function the unit
#              declares but does not define), bad plugin arguments and a
#              32-bit target (-m32, -mx32: one warning, nothing profiled):
#              warnings/errors with locations, never an internal compiler
#              error
# shared       an instrumented -fPIC library linked into, and another
#              dlopen()ed and dlclose()d by, an instrumented executable:
#              one runtime, one report with all their functions
# nolink       `gcc -g -fplugin=mprof.so basic.c` and nothing else gives a
#              program that prints its table on stderr
# frames       tests/plugin/frames/*.c, whose stack pointer moves inside an
#              activation, built at -O0..-O3 and -Os with each flag that
#              changes how GCC addresses a frame: output as plain, no
#              dropped event, and one table for all the builds of a file
# warnings     tests/plugin/warnings/*.c, compiled with -Wall -Wextra
#              -Winline at -O0..-O3 and -Os: the instrumented build gives
#              the plain build's warnings (file, line, option)
# patterns     -fplugin-arg-mprof-functions with a pattern that matches no
#              function of the program: one note at exit names it, with
#              the report (stderr, or MPROF_OUTPUT), once however many
#              units were compiled with it
# repro        every tests/plugin/repro/*.c whose header says `Expect: same`
#              prints and exits the same plain and with -all, at -O0 and -O2
set -euo pipefail
case_name=$1 src=$2 build=$3
plugin=$build/lib/mprof.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-gcc}
fail() { echo "FAIL: $*" >&2; exit 1; }

case $case_name in
lines)
	expected=$src/tests/expected/plugin_lines.txt
	cd "$src/tests/plugin"
	while read -r flags; do
		# shellcheck disable=SC2086
		$cc $flags -fplugin="$plugin" lines.c -o "$tmp/lines" ||
			fail "compile with $flags"
		MPROF_BACKEND=heap MPROF_OUTPUT="$tmp/table" "$tmp/lines" >"$tmp/out"
		if [ "${REGEN:-}" = 1 ]; then
			cp "$tmp/table" "$expected"
			echo "regenerated $expected"
			exit 0
		fi
		diff -u "$expected" "$tmp/table" || fail "table differs with $flags"
		echo "ok: $flags"
	done <<'FLAGS'
-O0
-O1
-O2
-O3
-Os
-O2 -g
-O0 -g -fcompare-debug
-O2 -g -fcompare-debug
-O2 -flto
-O2 -masm=intel
FLAGS
	;;
asm)
	[ "$(uname -m)" = x86_64 ] || { echo "skip: not x86-64"; exit 0; }
	cd "$src/tests/plugin"
	$cc -O2 -S -fplugin="$plugin" lines.c -o "$tmp/att.s"
	# In loops an asm goto whose block calls the thunk; elsewhere one asm
	# whose branch calls the table's line_slow itself, after the function
	# (runtime/mprof_abi.h, "Calls from inside an event").
	n=$(grep -c '# mprof line event$' "$tmp/att.s" || true)
	calls=$(grep -c 'call.*__mprof_line_thunk' "$tmp/att.s" || true)
	c=$(grep -c '# mprof line event (calls)' "$tmp/att.s" || true)
	slow=$(grep -c 'call[[:space:]]*\*[0-9]*+__mprof_tab(%rip)' "$tmp/att.s" || true)
	sub=$(grep -c '\.subsection 1' "$tmp/att.s" || true)
	[ "$((n + c))" -gt 100 ] || fail "$((n + c)) inline line events as asm, over 100 expected"
	[ "$n" = "$calls" ] || fail "$n asm goto line events, $calls calls"
	[ "$c" = "$slow" ] && [ "$c" = "$sub" ] ||
		fail "$c calling line events, $slow calls of line_slow, $sub branches after the function"
	# (lines.c's loops are all unrolled at -O2; loop10.c keeps its own)
	$cc -O2 -S -fplugin="$plugin" -I"$src/include" "$src/samples/loop10.c" \
		-o "$tmp/loop10.s"
	l=$(grep -c '# mprof line event$' "$tmp/loop10.s" || true)
	lc=$(grep -c 'call.*__mprof_line_thunk' "$tmp/loop10.s" || true)
	[ "$l" -gt 0 ] && [ "$l" = "$lc" ] ||
		fail "loop10.c: $l asm goto line events, $lc calls"
	# line_slow keeps no AVX-512 register: such a unit has asm gotos only
	$cc -O2 -mavx512f -S -fplugin="$plugin" lines.c -o "$tmp/avx512.s"
	a=$(grep -c '# mprof line event$' "$tmp/avx512.s" || true)
	ac=$(grep -c '# mprof line event (calls)' "$tmp/avx512.s" || true)
	[ "$a" -gt 100 ] && [ "$ac" = 0 ] ||
		fail "-mavx512f: $a asm goto events, $ac calling events"
	$cc -O2 -masm=intel -S -fplugin="$plugin" lines.c -o "$tmp/intel.s"
	! grep -q '# mprof line event' "$tmp/intel.s" ||
		fail "asm line events with -masm=intel"
	# The eight inlined calls of one-line functions in quiet_calls.c's
	# main are quiet calls: an asm entry whose call is enter's, an asm
	# exit whose call is quiet_exit's.
	$cc -O2 -S -fplugin="$plugin" -fplugin-arg-mprof-all \
		badinput/quiet_calls.c -o "$tmp/quiet.s"
	q=$(grep -c '# mprof quiet call' "$tmp/quiet.s" || true)
	r=$(grep -c '# mprof quiet return' "$tmp/quiet.s" || true)
	e=$(grep -c 'call.*__mprof_enter_thunk' "$tmp/quiet.s" || true)
	x=$(grep -c 'call.*__mprof_quiet_exit_thunk' "$tmp/quiet.s" || true)
	[ "$q" = 8 ] && [ "$r" = 8 ] && [ "$x" = 8 ] && [ "$e" = 10 ] ||
		fail "quiet_calls.c: $q quiet calls, $r returns, $x quiet exits, $e entries (8, 8, 8, 10 expected)"
	$cc -O2 -masm=intel -S -fplugin="$plugin" -fplugin-arg-mprof-all \
		badinput/quiet_calls.c -o "$tmp/quiet-intel.s"
	! grep -q '# mprof quiet' "$tmp/quiet-intel.s" ||
		fail "quiet calls with -masm=intel"
	echo "ok: $n asm goto line events with a call each, $c calling line_slow; 8 quiet calls"
	;;
diagnostics)
	cd "$src/tests/plugin"
	$cc -c -fplugin="$plugin" misuse_warn.c -o "$tmp/w.o" 2>"$tmp/err" ||
		{ cat "$tmp/err"; fail "misuse_warn.c must compile"; }
	for line in 4 5 6 7 8; do
		grep -q "misuse_warn.c:$line:[0-9]*: warning: .mprof. attribute applies only to function definitions" "$tmp/err" ||
			{ cat "$tmp/err"; fail "no warning for line $line"; }
	done
	grep -q "misuse_warn.c:9:[0-9]*: warning: .naked. cannot be profiled" "$tmp/err" ||
		{ cat "$tmp/err"; fail "no warning for the naked function"; }
	grep -q "misuse_warn.c:12:5: warning: .mprof. attribute on .elsewhere., which is not defined in this translation unit; ignored" "$tmp/err" ||
		{ cat "$tmp/err"; fail "no warning for the attribute on a declaration only"; }
	[ "$(grep -c 'warning:' "$tmp/err")" = 7 ] ||
		{ cat "$tmp/err"; fail "misuse_warn.c: 7 warnings expected"; }
	# The attribute on prototypes (file and block scope) never defined here.
	$cc -c -fplugin="$plugin" repro/attr-prototype-only.c -o "$tmp/p.o" 2>"$tmp/err" ||
		{ cat "$tmp/err"; fail "attr-prototype-only.c must compile"; }
	grep -q "attr-prototype-only.c:30:5: warning: .mprof. attribute on .helper., which is not defined" "$tmp/err" ||
		{ cat "$tmp/err"; fail "no warning for the prototype of helper"; }
	grep -q "attr-prototype-only.c:34:[0-9]*: warning: .mprof. attribute on .local_proto., which is not defined" "$tmp/err" ||
		{ cat "$tmp/err"; fail "no warning for the block-scope prototype"; }
	# -all adds no warning for declarations without the attribute.
	$cc -c -fplugin="$plugin" -fplugin-arg-mprof-all lines.c -o "$tmp/l.o" 2>"$tmp/err" ||
		{ cat "$tmp/err"; fail "lines.c must compile with -all"; }
	[ ! -s "$tmp/err" ] || { cat "$tmp/err"; fail "lines.c -all: unexpected diagnostics"; }
	if $cc -c -fplugin="$plugin" misuse_args.c -o "$tmp/a.o" 2>"$tmp/err"; then
		fail "misuse_args.c must not compile"
	fi
	grep -q "misuse_args.c:3:[0-9]*: error: wrong number of arguments specified for .mprof. attribute" "$tmp/err" ||
		{ cat "$tmp/err"; fail "no error for attribute arguments"; }
	if $cc -c -fplugin="$plugin" -fplugin-arg-mprof-bogus lines.c -o "$tmp/b.o" 2>"$tmp/err"; then
		fail "an unknown plugin argument must be an error"
	fi
	grep -q "unknown argument .-fplugin-arg-mprof-bogus." "$tmp/err" ||
		{ cat "$tmp/err"; fail "the unknown argument is not named"; }
	if $cc -c -fplugin="$plugin" -fplugin-arg-mprof-functions lines.c -o "$tmp/b.o" 2>"$tmp/err"; then
		fail "functions= without a value must be an error"
	fi
	# A target whose types are not the runtime's (-m32, -mx32): one
	# warning, and the unit compiles as without the plugin.  No header, so
	# no 32-bit C library is needed.
	printf 'int twice(int x)\n{\n\treturn 2 * x;\n}\n' >"$tmp/ilp32.c"
	for m in -m32 -mx32; do
		$cc $m -O2 -c -fplugin="$plugin" -fplugin-arg-mprof-all "$tmp/ilp32.c" \
			-o "$tmp/i.o" 2>"$tmp/err" ||
			{ cat "$tmp/err"; fail "$m: must compile"; }
		[ "$(grep -c 'warning: the target has 32-bit pointers and 32-bit longs; mprof profiles 64-bit (LP64) code only' "$tmp/err")" = 1 ] ||
			{ cat "$tmp/err"; fail "$m: one warning expected"; }
		! nm "$tmp/i.o" | grep -q __mprof || fail "$m: the unit was instrumented"
	done
	if grep -qi "internal compiler error" "$tmp"/err; then
		fail "internal compiler error"
	fi
	echo "ok: diagnostics"
	;;
shared)
	cd "$src/tests/plugin"
	$cc -O1 -g -fPIC -shared -fplugin="$plugin" shlib.c -o "$tmp/libshlib.so"
	$cc -O1 -g -fPIC -shared -fplugin="$plugin" -DPLUGIN_MODULE shlib.c -o "$tmp/plugmod.so"
	$cc -O1 -g -fplugin="$plugin" shmain.c -L"$tmp" -lshlib -Wl,-rpath,"$tmp" \
		-DMODULE="\"$tmp/plugmod.so\"" -o "$tmp/shmain"
	MPROF_BACKEND=heap MPROF_OUTPUT="$tmp/table" "$tmp/shmain" >"$tmp/out"
	if [ "${REGEN:-}" = 1 ]; then
		cp "$tmp/table" "$src/tests/expected/plugin_shared.txt"
		exit 0
	fi
	diff -u "$src/tests/expected/plugin_shared.txt" "$tmp/table" ||
		fail "shared-library table differs"
	[ "$(grep -c '^mprof:' "$tmp/table" || true)" = 0 ] || fail "runtime complained"
	echo "ok: shared"
	;;
nolink)
	cd "$src/samples"
	$cc -g -fplugin="$plugin" basic.c -o "$tmp/x"
	"$tmp/x" >"$tmp/out" 2>"$tmp/err"
	grep -q '^Filename: basic.c$' "$tmp/err" || { cat "$tmp/err"; fail "no table on stderr"; }
	grep -q '^Line #    Mem usage    Increment  Occurrences   Line Contents$' "$tmp/err" ||
		fail "no table header"
	echo "ok: nolink"
	;;
frames)
	cd "$src/tests/plugin/frames"
	n=0
	for f in late_pop.c:-fplugin-arg-mprof-all \
		 late_pop.c:-fplugin-arg-mprof-functions=upd \
		 stack_moves.c:-fplugin-arg-mprof-all; do
		sel=${f#*:} f=${f%%:*}
		$cc -O2 -w "$f" -o "$tmp/plain"
		"$tmp/plain" >"$tmp/plain.out"
		first=
		for fl in "" -maccumulate-outgoing-args -mno-accumulate-outgoing-args \
			  -fno-omit-frame-pointer -mstackrealign -fsplit-stack; do
			for o in -O0 -O1 -O2 -O3 -Os; do
				what="$f $sel $o $fl"
				# shellcheck disable=SC2086
				$cc $o $fl -w -fplugin="$plugin" "$sel" "$f" \
					-o "$tmp/prof" || fail "compile $what"
				MPROF_BACKEND=heap MPROF_OUTPUT="$tmp/table" \
					"$tmp/prof" >"$tmp/prof.out" ||
					fail "$what: exit status"
				cmp -s "$tmp/plain.out" "$tmp/prof.out" ||
					fail "$what: output differs"
				if grep '^mprof:' "$tmp/table"; then
					fail "$what: the runtime complained"
				fi
				if [ -z "$first" ]; then
					first=$what
					cp "$tmp/table" "$tmp/first"
				fi
				diff -u "$tmp/first" "$tmp/table" ||
					fail "$what: table differs from $first"
				n=$((n + 1))
			done
		done
	done
	echo "ok: $n builds, no dropped event"
	;;
warnings)
	cd "$src/tests/plugin/warnings"
	# file:line -Woption of each warning, sorted
	warnset() {
		sed -nE 's/^([^:]+:[0-9]+):[0-9]+: warning: .*\[(-W[^]]+)\]$/\1 \2/p' |
			sort -u
	}
	n=0
	for f in *.c; do
		for o in -O0 -O1 -O2 -O3 -Os; do
			w="-Wall -Wextra -Winline"
			# shellcheck disable=SC2086
			$cc $o $w -c "$f" -o "$tmp/p.o" 2>&1 | warnset >"$tmp/plain.w"
			# shellcheck disable=SC2086
			$cc $o $w -c -fplugin="$plugin" -fplugin-arg-mprof-all \
				"$f" -o "$tmp/i.o" 2>&1 | warnset >"$tmp/prof.w"
			diff -u "$tmp/plain.w" "$tmp/prof.w" ||
				fail "$f $o: warnings differ (- plain, + instrumented)"
			n=$((n + 1))
		done
	done
	echo "ok: $n builds warn as plain"
	;;
patterns)
	cd "$src/tests/plugin/patterns"
	note="mprof: no profiled function matching 'nomatch_*' ran"
	# No function matches: no table, the program as plain, one note.
	$cc -O2 -fplugin="$plugin" -fplugin-arg-mprof-functions='nomatch_*' \
		main.c parse.c -o "$tmp/none" || fail "compile (no match)"
	$cc -O2 main.c parse.c -o "$tmp/plain" || fail "compile (plain)"
	"$tmp/none" >"$tmp/out" 2>"$tmp/err" || fail "the program failed"
	"$tmp/plain" | cmp -s - "$tmp/out" || fail "output differs from plain"
	[ "$(grep -cF "$note" "$tmp/err")" = 1 ] ||
		{ cat "$tmp/err"; fail "one note for nomatch_* expected on stderr"; }
	[ "$(wc -l <"$tmp/err")" = 1 ] ||
		{ cat "$tmp/err"; fail "the note alone expected on stderr"; }
	echo "ok: no match, one note"
	# One pattern matches, the other not: the table, then the note for
	# the other one, in MPROF_OUTPUT; stderr stays empty.
	$cc -O2 -fplugin="$plugin" -fplugin-arg-mprof-functions='parse_*,nomatch_*' \
		main.c parse.c -o "$tmp/some" || fail "compile (some match)"
	MPROF_OUTPUT="$tmp/report" "$tmp/some" >/dev/null 2>"$tmp/err" ||
		fail "the program failed"
	[ ! -s "$tmp/err" ] || { cat "$tmp/err"; fail "stderr must stay empty"; }
	grep -q "parse_line" "$tmp/report" ||
		{ cat "$tmp/report"; fail "no table of parse_line"; }
	[ "$(grep -cF "$note" "$tmp/report")" = 1 ] ||
		{ cat "$tmp/report"; fail "one note for nomatch_* expected"; }
	! grep -q "matching 'parse_\*'" "$tmp/report" ||
		{ cat "$tmp/report"; fail "a note for a pattern that matched"; }
	echo "ok: a note for the pattern that matched nothing, none for the other"
	;;
repro)
	cd "$src/tests/plugin/repro"
	n=0
	for f in *.c; do
		grep -q '^ \* Expect: same$' "$f" || continue
		for o in -O0 -O2; do
			$cc $o -w "$f" -o "$tmp/plain"
			$cc $o -w -fplugin="$plugin" -fplugin-arg-mprof-all "$f" -o "$tmp/prof"
			set +e
			"$tmp/plain" >"$tmp/plain.out" 2>&1; a=$?
			MPROF_OUTPUT=/dev/null "$tmp/prof" >"$tmp/prof.out" 2>&1; b=$?
			set -e
			[ "$a" = "$b" ] || fail "$f $o: exit $a plain, $b instrumented"
			cmp -s "$tmp/plain.out" "$tmp/prof.out" || fail "$f $o: output differs"
			n=$((n + 1))
		done
	done
	[ "$n" -gt 0 ] || fail "no reproducer was run"
	echo "ok: $n reproducer builds behave as plain"
	;;
*)
	fail "unknown case $case_name"
	;;
esac
