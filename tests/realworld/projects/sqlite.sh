# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# SQLite 3.40 (Debian source package sqlite3): configure (out of tree) with
# CFLAGS and Debian's Tcl, make testfixture speedtest1, then
#   veryquick   test/testrunner.tcl --jobs N veryquick [PATTERNS], run as
#               `nobody` when we are root (its permission tests fail as
#               root); a test is a script of testrunner.db (PASS: it
#               finished without an error), failed cases are named in the log
#   speedtest1  --verify --size 20: the "Verification Hash" must be the same
#               instrumented as plain
#   tables      speedtest1 once more with the report on (MPROF_OUTPUT), and
#               the tables checked against the sources (check_tables.py)
#   lines       (not with --ci) the plain speedtest1 --size 5 under `mprof lines`
#               against the instrumented one's profile, heap backend then
#               rss (tests/lines/e2e_agree.py: the ten lines each ranks
#               highest carry the same figures, equal (heap) or within 10%
#               (rss), no event lost, and the profile reads in mprof report;
#               docs/lines.md)
# --sqlite-steps LIST (RW_SQLITE_STEPS, comma-separated: veryquick,
# speedtest1, tables, lines; default all) runs only those steps; the builds
# are kept when both variants' programs are already in the work directory
# and veryquick is not asked for (testfixture is built only for it).

SQLITE_SPEEDTEST_SIZE=20

# sqlite_step NAME: whether --sqlite-steps asks for it.
sqlite_step() {
	case ",${RW_SQLITE_STEPS:-veryquick,speedtest1,tables,lines}," in
	*",$1,"*) return 0 ;;
	esac
	return 1
}

# sqlite_build SRC: configure and make both variants, unless kept (above).
sqlite_build() {
	local src=$1 v dir tcldir targets="testfixture speedtest1"
	if ! sqlite_step veryquick; then
		targets=speedtest1
		if [ -x "$RW_WORK/sqlite/plain/speedtest1" ] && [ -x "$RW_WORK/sqlite/prof/speedtest1" ]; then
			rw_log "builds kept ($RW_WORK/sqlite)"
			return 0
		fi
	fi
	tcldir=$(dirname "$(ls /usr/lib/tcl8.6/tclConfig.sh /usr/lib/*/tcl8.6/tclConfig.sh 2>/dev/null | head -n 1)")
	for v in $RW_VARIANTS; do
		dir=$RW_WORK/sqlite/$v
		rm -rf "$dir"
		mkdir -p "$dir"
		rw_log "$v: build"
		# shellcheck disable=SC2086
		if ! (cd "$dir" && rw_with_env "$v" rw_logged "$dir/configure.out" \
			"$src/configure" CC="$RW_CC" CFLAGS="$(rw_cflags "$v")" \
			--with-tcl="$tcldir" &&
		      rw_with_env "$v" rw_logged "$dir/make.out" \
			make -j"$RW_JOBS" $targets); then
			rw_row sqlite - - - "FAIL ($v build)"
			rw_verdict 1
			return 1
		fi
	done
	rw_same_config sqlite sqlite_cfg.h
	rw_same_warnings sqlite make.out
}

p_main() {
	local src v dir
	rw_need_packages tcl8.6-dev make
	src=$(rw_source sqlite3)
	sqlite_build "$src" || return
	if sqlite_step veryquick; then sqlite_suite "$src" || return; fi
	if sqlite_step speedtest1; then sqlite_speedtest; fi
	if sqlite_step tables; then sqlite_tables "$src"; fi
	if [ "$RW_MODE" != ci ] && sqlite_step lines; then sqlite_lines; fi
}

# sqlite_suite SRC: veryquick, plain and instrumented, compared.
sqlite_suite() {
	local src=$1 v
	for v in $RW_VARIANTS; do
		rw_log "$v: veryquick${RW_SQLITE_TESTS:+ $RW_SQLITE_TESTS}"
		sqlite_veryquick "$v" "$src" || return
	done
	rw_compare "sqlite veryquick" "$RW_WORK/sqlite/plain.tests" "$RW_WORK/sqlite/prof.tests"
}

# sqlite_speedtest: speedtest1 --verify, the same hash plain and instrumented.
sqlite_speedtest() {
	local v dir hash_plain hash_prof np=0 ni=0 verdict=ok
	for v in $RW_VARIANTS; do
		rw_log "$v: speedtest1 --verify"
		dir=$RW_WORK/sqlite/$v
		rm -f "$dir/speedtest1.db"
		(cd "$dir" && rw_with_env "$v" timeout 3600 ./speedtest1 --verify \
			--size "$SQLITE_SPEEDTEST_SIZE" speedtest1.db) >"$dir/speedtest1.out" 2>&1 || true
	done
	hash_plain=$(grep '^Verification Hash:' "$RW_WORK/sqlite/plain/speedtest1.out" || true)
	hash_prof=$(grep '^Verification Hash:' "$RW_WORK/sqlite/prof/speedtest1.out" || true)
	[ -n "$hash_plain" ] && np=1
	if [ -n "$hash_prof" ] && [ "$hash_prof" = "$hash_plain" ]; then
		ni=1
	elif [ -n "$hash_plain" ]; then
		verdict=FAIL
		rw_log "speedtest1: FAIL: plain '$hash_plain', instrumented '$hash_prof'"
		rw_verdict 1
	fi
	rw_log "speedtest1: ${hash_plain:-no hash} plain, ${hash_prof:-no hash} instrumented"
	rw_row "sqlite speedtest1" 1 "$np" "$ni" "$verdict"
}

# sqlite_lines: mprof lines on the plain speedtest1 against the -all
# build's profile, heap backend (both exact: equal) then rss (within 10%;
# the default 8 KiB of stack per sample reaches speedtest1's main() and
# sqlite3_step() lines, 2 to 8 KiB above the faults in malloc; skipped
# where perf events are refused or, with no tracefs, memory given back
# is not seen); no event may be lost.  Both run in
# $RW_WORK/sqlite/lines on the same lines.db: SQLite allocates the
# database's full path, whose length must not differ.
sqlite_lines() {
	local plain=$RW_WORK/sqlite/plain prof=$RW_WORK/sqlite/prof b tol verdict
	local dir=$RW_WORK/sqlite/lines
	mkdir -p "$dir"
	for b in heap rss; do
		verdict=ok
		tol=0
		[ $b = rss ] && tol=0.10
		rw_log "lines: plain speedtest1 --size 5 under mprof lines --backend $b"
		rm -f "$dir/lines.db" "$dir/lines.$b.json" "$dir/all.$b.json"
		(cd "$dir" && timeout 1800 "$RW_BUILD/bin/mprof" lines --backend $b \
			--functions 0 -o lines.$b.json "$plain/speedtest1" --size 5 lines.db) >"$dir/lines.$b.out" 2>&1 || true
		if [ $b = rss ] && grep -q 'perf events are not allowed' "$dir/lines.$b.out"; then
			rw_log "lines: perf events are not allowed here: the rss comparison is skipped"
			rw_row "sqlite lines (rss)" - - - skipped
			continue
		fi
		if [ $b = rss ] && grep -q 'given back (munmap, madvise, brk) is not seen' "$dir/lines.$b.out"; then
			rw_log "lines: memory given back is not seen here (no tracefs; run as root without --no-setup): the rss comparison is skipped"
			rw_row "sqlite lines (rss)" - - - "skipped (no tracefs)"
			continue
		fi
		rm -f "$dir/lines.db"
		(cd "$dir" && MPROF_BACKEND=$b MPROF_JSON=all.$b.json MPROF_OUTPUT=/dev/null \
			timeout 1800 "$prof/speedtest1" --size 5 lines.db) >"$dir/all.$b.out" 2>&1 || true
		if ! python3 "$RW_ROOT/tests/lines/e2e_agree.py" --json "$dir/lines.$b.json" \
			"$dir/all.$b.json" --tol $tol >"$RW_WORK/sqlite/lines.$b.agree" 2>&1; then
			verdict=FAIL
			rw_verdict 1
		fi
		# the profile is one mprof report reads (every function's lines
		# from 1, even one the debug information gives no line)
		if ! "$RW_BUILD/bin/mprof" report --top 10 "$dir/lines.$b.json" \
			>/dev/null 2>>"$RW_WORK/sqlite/lines.$b.agree"; then
			verdict=FAIL
			rw_verdict 1
		fi
		if grep 'were lost\|throttled' "$dir/lines.$b.out" >>"$RW_WORK/sqlite/lines.$b.agree"; then
			verdict=FAIL
			rw_verdict 1
		fi
		sed "s/^/[$RW_PROJECT] lines ($b): /" "$RW_WORK/sqlite/lines.$b.agree"
		rw_row "sqlite lines ($b)" 1 1 "$([ $verdict = ok ] && echo 1 || echo 0)" "$verdict"
	done
}

# sqlite_veryquick VARIANT SRC: testrunner.tcl in $RW_WORK/sqlite/run-VARIANT,
# results in $RW_WORK/sqlite/VARIANT.tests.
sqlite_veryquick() {
	local v=$1 src=$2 dir=$RW_WORK/sqlite/$1 run=$RW_WORK/sqlite/run-$1 limit
	rm -rf "$run"
	mkdir -p "$run"
	if [ "$(id -u)" = 0 ]; then
		chown nobody:nogroup "$run"
		if ! (cd "$run" && rw_user_can_read "$dir/testfixture" "$src/test/testrunner.tcl" \
			"$RW_BUILD/lib/libmprof.so.0"); then
			rw_log "nobody cannot read $dir/testfixture, $src/test or $RW_BUILD/lib:"
			rw_log "put --work and --build where every user can read them (e.g. under /tmp)"
			rw_row "sqlite veryquick" - - - "FAIL (setup: permissions)"
			rw_verdict 2
			return 1
		fi
	fi
	limit=7200
	[ "$v" = prof ] && limit=21600
	# shellcheck disable=SC2086
	(cd "$run" && rw_with_env "$v" rw_as_user timeout "$limit" "$dir/testfixture" \
		"$src/test/testrunner.tcl" --jobs "$RW_JOBS" veryquick $RW_SQLITE_TESTS) \
		>"$run/runner.out" 2>&1 || true
	grep -E '^[0-9]+ errors? from [0-9]+ tests|^Errors in:' "$run/runner.out" |
		sed "s/^/[$RW_PROJECT] $v: /" || true
	cat >"$run/counts.tcl" <<'TCL'
sqlite3 db [lindex $argv 0]
db eval {SELECT filename, nerr, ntest, state FROM script ORDER BY filename} {
  puts "[file tail $filename] $nerr $ntest $state"
}
TCL
	if ! "$dir/testfixture" "$run/counts.tcl" "$run/testrunner.db" >"$run/counts.txt" 2>"$run/counts.err"; then
		rw_log "$v: no results in $run/testrunner.db"
		echo "FAIL testrunner" >"$RW_WORK/sqlite/$v.tests"
		return 0
	fi
	# One result per script: PASS when it finished without an error.
	# Its number of cases is no test: the fault-injection loops run one
	# case per malloc of their body, and how many that is follows what
	# earlier scripts left in the runner's directory (docs/realworld.md).
	awk '{ print ($4 == "done" && $2 == 0 ? "PASS " : "FAIL ") $1 }' \
		"$run/counts.txt" >"$RW_WORK/sqlite/$v.tests"
	rw_log "$v: $(awk '{ n += $3; e += $2 } END { print n " cases, " e " errors" }' "$run/counts.txt")"
	# The names of the failed tests, for the log.
	grep -E '^! [^ ]+ (expected|got):' "$run/testrunner.log" 2>/dev/null |
		awk '{ print $2 }' | sort -u | sed "s/^/[$RW_PROJECT] $v: failed test /" || true
}

# sqlite_tables SRC: the report of instrumented speedtest1 against the sources.
sqlite_tables() {
	local src=$1 dir=$RW_WORK/sqlite/prof report=$RW_WORK/sqlite/prof/speedtest1.table
	rw_log "tables: speedtest1 --verify --size 5 with MPROF_OUTPUT"
	rm -f "$dir/tables.db" "$report"
	(cd "$dir" && MPROF_OUTPUT="$report" timeout 1800 ./speedtest1 --verify --size 5 tables.db) \
		>"$dir/tables.out" 2>&1 || true
	rw_check_tables "sqlite tables" "$dir" "$report" \
		--expect-file sqlite3.c --expect-file test/speedtest1.c \
		--expect-row 'speedtest1.c:148=257' \
		--expect-row 'speedtest1.c:main()=1'
}
