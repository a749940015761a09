# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# lib.sh - sourced by tests/realworld/run and by every projects/NAME.sh:
# packages and sources from Debian, the two build variants, per-test
# results and the summary.
#
# A project file defines p_main, run in a subshell with the RW_* variables
# of `run` exported.  It builds with rw_cflags VARIANT (plain|prof), runs
# its suite and records, per variant, one line per test in
# $RW_WORK/<project>/<variant>.tests ("PASS name" or "FAIL name"), then
# calls rw_compare, which writes the summary row.  A project that cannot
# set up or build calls rw_row with a verdict saying so.  After p_main,
# rw_drop_check fails the project if an instrumented program dropped
# probe events, unless the project file sets RW_OWN_DROP_CHECK=1 (its
# driver checks that itself).

RW_VARIANTS="plain prof"

rw_log() { echo "[$RW_PROJECT] $*"; }
rw_die() { rw_log "error: $*"; rw_verdict 2; exit 2; }

rw_duration() {
	local s=$1
	if [ "$s" -ge 3600 ]; then printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60))
	elif [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60))
	else printf '%ds' "$s"; fi
}

rw_filter_progress() { cat; }

# rw_cflags VARIANT: the compiler flags of a build variant (C or C++).
rw_cflags() {
	if [ "$1" = prof ]; then echo "$RW_CFLAGS $RW_PROF_FLAGS"; else echo "$RW_CFLAGS"; fi
}

# rw_with_env VARIANT CMD...: run CMD the way a variant's programs run.
# Instrumented programs (tools built during a build, tests) keep quiet:
# their reports go to the project's sink (rw_sink_start), or nowhere.
rw_with_env() {
	local v=$1
	shift
	if [ "$v" = prof ]; then
		MPROF_OUTPUT=${RW_SINK:-/dev/null} "$@"
	else
		"$@"
	fi
}

# rw_cmake_build VARIANT SRC DIR LANG CMAKE_ARGS...: configure SRC into
# DIR with the variant's flags as CMAKE_<LANG>_FLAGS (LANG C or CXX), then
# build; output in DIR/configure.out and DIR/make.out.
rw_cmake_build() {
	local v=$1 src=$2 dir=$3 lang=$4 compiler=$RW_CC
	shift 4
	if [ "$lang" = CXX ]; then compiler=$RW_CXX; fi
	rw_with_env "$v" rw_logged "$dir/configure.out" \
		cmake -S "$src" -B "$dir" -DCMAKE_"$lang"_COMPILER="$compiler" \
		-DCMAKE_BUILD_TYPE=None -DCMAKE_"$lang"_FLAGS="$(rw_cflags "$v")" "$@" &&
	rw_with_env "$v" rw_logged "$dir/make.out" cmake --build "$dir" -j"$RW_JOBS"
}

# rw_ctest_results LOG: "PASS name" or "FAIL name" for each test of
# ctest's output in LOG ("  1/22 Test  #1: name .......   Passed  0.01 sec").
rw_ctest_results() {
	sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \([^ ]*\) .*[ .]\(Passed\|Failed\|\*\*\*.*\|Not Run\|Timeout\).*/\1 \2/p' \
		"$1" | awk '{ print ($2 == "Passed" ? "PASS " : "FAIL ") $1 }'
}

# rw_logged FILE CMD...: run CMD with its output in FILE; on failure show
# the end of FILE.
rw_logged() {
	local log=$1
	shift
	local rc=0
	"$@" >"$log" 2>&1 || rc=$?
	[ "$rc" = 0 ] && return 0
	rw_log "failed ($rc): $* -- last lines of $log:"
	tail -n 15 "$log" | sed 's/^/    /'
	return "$rc"
}

# --- Debian packages and sources -------------------------------------------

rw_sudo() {
	if [ "$(id -u)" = 0 ]; then
		env DEBIAN_FRONTEND=noninteractive "$@"
	elif command -v sudo >/dev/null; then
		sudo -n env DEBIAN_FRONTEND=noninteractive "$@"
	else
		rw_log "need root (or sudo) for: $*"
		return 1
	fi
}

rw_apt_updated=0
rw_apt_update() {
	if [ "$rw_apt_updated" = 1 ]; then return 0; fi
	rw_log "apt-get update"
	rw_logged "$RW_WORK/logs/apt-update.log" \
		rw_sudo apt-get -q -o DPkg::Lock::Timeout=600 update || return 1
	rw_apt_updated=1
}

# rw_need_packages PKG...: install the packages dpkg does not list as
# installed; all apt work is serialised through a lock in WORK.
rw_need_packages() {
	local p missing=()
	for p in "$@"; do
		if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
			missing+=("$p")
		fi
	done
	if [ ${#missing[@]} = 0 ]; then return 0; fi
	[ "$RW_SETUP" = 1 ] || rw_die "missing packages: ${missing[*]} (run without --no-setup, or apt-get install them)"
	(
		flock 9
		rw_apt_update &&
		rw_log "apt-get install ${missing[*]}" &&
		rw_logged "$RW_WORK/logs/apt-install.log" \
			rw_sudo apt-get install -y -q --no-install-recommends \
			-o DPkg::Lock::Timeout=600 "${missing[@]}"
	) 9>"$RW_WORK/.apt.lock" || rw_die "cannot install ${missing[*]}"
}

# Source packages need a deb-src entry: add one, a copy of the first
# stanza of debian.sources (or of the deb lines of sources.list), when
# apt knows no source package yet.
rw_enable_deb_src() {
	if apt-cache showsrc zlib 2>/dev/null | grep -q '^Package:'; then
		return 0
	fi
	[ "$RW_SETUP" = 1 ] || rw_die "no deb-src entry in apt's sources (run without --no-setup)"
	local tmp
	tmp=$(mktemp)
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		awk 'BEGIN { RS = ""; ORS = "\n\n" } NR == 1 {
			sub(/Types:[^\n]*/, "Types: deb-src"); print; exit }' \
			/etc/apt/sources.list.d/debian.sources >"$tmp"
		rw_log "adding /etc/apt/sources.list.d/mprof-realworld-src.sources (deb-src)"
		rw_sudo install -m 644 "$tmp" /etc/apt/sources.list.d/mprof-realworld-src.sources
	elif [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | head -n 1 >"$tmp"
		rw_log "adding /etc/apt/sources.list.d/mprof-realworld-src.list (deb-src)"
		rw_sudo install -m 644 "$tmp" /etc/apt/sources.list.d/mprof-realworld-src.list
	fi
	rm -f "$tmp"
	rw_apt_updated=0
	( flock 9; rw_apt_update ) 9>"$RW_WORK/.apt.lock" || rw_die "apt-get update failed"
	apt-cache showsrc zlib 2>/dev/null | grep -q '^Package:' ||
		rw_die "apt still knows no source package after adding a deb-src entry"
}

# rw_source PKG: extract the Debian source package PKG (patches applied)
# into $RW_WORK/src/PKG once; prints that directory.
rw_source() {
	local pkg=$1 dir=$RW_WORK/src/$1 dl=$RW_WORK/src/dl-$1
	if [ -f "$dir/.rw-extracted" ]; then
		echo "$dir"
		return 0
	fi
	[ "$RW_SETUP" = 1 ] || rw_die "source of $pkg not in $dir (run without --no-setup)"
	rw_need_packages dpkg-dev >&2
	rw_enable_deb_src >&2
	rm -rf "$dir" "$dl"
	mkdir -p "$dl"
	rw_log "apt-get source $pkg" >&2
	( cd "$dl" && rw_logged "$RW_WORK/logs/source-$pkg.log" \
		apt-get source --download-only -o APT::Sandbox::User=root "$pkg" ) >&2 ||
		rw_die "apt-get source $pkg failed"
	local dsc
	dsc=$(ls -v "$dl"/*.dsc | tail -n 1)
	rw_logged "$RW_WORK/logs/source-$pkg.log" \
		dpkg-source --no-check -x "$dsc" "$dir" >&2 || rw_die "dpkg-source -x $dsc failed"
	rm -rf "$dl"
	touch "$dir/.rw-extracted"
	echo "$dir"
}

# rw_fresh_copy SRC DEST: a pristine copy of a source tree to build in.
rw_fresh_copy() {
	rm -rf "$2"
	mkdir -p "$(dirname "$2")"
	cp -a "$1" "$2"
}

# --- running tests as a user who is not root --------------------------------

# rw_as_user CMD...: CMD as `nobody` when we are root, else as ourselves.
rw_as_user() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env HOME="$PWD" USER=nobody LOGNAME=nobody "$@"
	else
		"$@"
	fi
}

# rw_user_can_read PATH...: the test user can read each PATH.
rw_user_can_read() {
	local p
	for p in "$@"; do
		rw_as_user test -r "$p" || return 1
	done
}

# --- results -----------------------------------------------------------------

# rw_pass_fail FILE NAME CMD...: run CMD, append "PASS NAME" or "FAIL NAME".
rw_pass_fail() {
	local file=$1 name=$2
	shift 2
	if "$@"; then
		echo "PASS $name" >>"$file"
	else
		echo "FAIL $name" >>"$file"
	fi
}

# rw_row LABEL RUN PLAIN PROF VERDICT [NOTE]: one line of the summary.
rw_row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" \
		>>"$RW_WORK/results/$RW_PROJECT.rows"
}

# rw_verdict RC: the project's exit status (the worst one recorded wins).
rw_verdict() {
	local f=$RW_WORK/results/$RW_PROJECT.rc old=0
	if [ -f "$f" ]; then old=$(cat "$f"); fi
	if [ "$1" -gt "$old" ]; then old=$1; fi
	echo "$old" >"$f"
}

# rw_check_tables LABEL DIR REPORT [CHECK_TABLES_ARGS...]: the report of an
# instrumented program checked against the sources in DIR
# (check_tables.py); one summary row.
rw_check_tables() {
	local label=$1 dir=$2 report=$3
	shift 3
	if python3 "$RW_DIR/check_tables.py" --base "$dir" "$@" "$report" \
		>"$dir/tables.check" 2>&1; then
		rw_log "tables: $(tail -n 1 "$dir/tables.check")"
		rw_row "$label" 1 1 1 ok
	else
		sed "s/^/[$RW_PROJECT] tables: /" "$dir/tables.check" | tail -n 20
		rw_row "$label" 1 1 0 FAIL "$dir/tables.check"
		rw_verdict 1
	fi
}

# rw_known PROJECT TEST: the reason TEST is a known instrumented failure,
# from tests/realworld/known-failures ("PROJECT TEST reason"), or nothing.
rw_known() {
	awk -v p="$1" -v t="$2" '$1 == p && $2 == t {
		$1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' \
		"$RW_DIR/known-failures" 2>/dev/null
}

# rw_compare LABEL PLAIN_FILE PROF_FILE: compare two per-test result
# files.  Every test passing plain must pass instrumented; a failure listed
# in known-failures is reported as expected.  Writes the summary row.
rw_compare() {
	local label=$1 plain=$2 prof=$3 n np ni t unexpected=0 known=0 why
	n=$(awk '{ print $2 }' "$plain" | sort -u | wc -l)
	np=$(grep -c '^PASS ' "$plain" || true)
	ni=$(grep -c '^PASS ' "$prof" || true)
	# Passing plain, not instrumented (one pass over each file: suites
	# such as SQLite's have hundreds of thousands of tests).
	while read -r t; do
		why=$(rw_known "$RW_PROJECT" "$t")
		if [ -n "$why" ]; then
			rw_log "$label: XFAIL $t (known: $why)"
			known=$((known + 1))
		else
			rw_log "$label: FAIL $t: passes plain, fails instrumented"
			unexpected=$((unexpected + 1))
		fi
	done < <(awk 'NR == FNR { if ($1 == "PASS") ok[$2] = 1; next }
		$1 == "PASS" { delete ok[$2] } END { for (t in ok) print t }' \
		"$plain" "$prof" | sort)
	# Known failures that pass now.
	while read -r t; do
		if grep -qxF "PASS $t" "$prof"; then
			rw_log "$label: XPASS $t (drop it from known-failures)"
		fi
	done < <(awk -v p="$RW_PROJECT" '$1 == p && $2 !~ /^(configure|warning):/ &&
		$2 != "drops" { print $2 }' \
		"$RW_DIR/known-failures" 2>/dev/null)
	t=$(grep -c '^FAIL ' "$plain" || true)
	if [ "$t" -gt 0 ]; then
		rw_log "$label: note: $t tests fail plain too: $(sed -n 's/^FAIL //p' "$plain" | head -n 10 | tr '\n' ' ')"
	fi
	local verdict=ok
	if [ "$unexpected" -gt 0 ]; then
		verdict="FAIL ($unexpected)"
		rw_verdict 1
	else
		if [ "$known" -gt 0 ]; then verdict="ok, $known known"; fi
		rw_verdict 0
	fi
	rw_row "$label" "$n" "$np" "$ni" "$verdict"
}

# rw_same_config LABEL FILE...: what configure found must not depend on the
# plugin.  Each FILE is relative to the plain and to the prof build
# directory ($RW_WORK/<project>/<variant>); the plugin's flags, the variant
# names and runs of blanks are normalised before comparing.
rw_same_config() {
	local label=$1 f v diff=$RW_WORK/logs/$RW_PROJECT-config.diff
	shift
	for v in plain prof; do
		for f in "$@"; do
			echo "== $f"
			sed "s# *$RW_PROF_FLAGS##g; s#/$v\\b#/VARIANT#g" \
				"$RW_WORK/$RW_PROJECT/$v/$f" | tr -s ' \t' | sed 's/[ \t]*$//'
		done >"$RW_WORK/$RW_PROJECT/$v.config"
	done
	# known-failures may list "PROJECT configure:WORD reason": lines
	# with WORD are left out of the comparison.
	local known
	known=$(awk -v p="$RW_PROJECT" '$1 == p && $2 ~ /^configure:/ {
		sub(/^configure:/, "", $2); print $2 }' "$RW_DIR/known-failures" 2>/dev/null)
	for f in $known; do
		if cmp -s <(grep -F "$f" "$RW_WORK/$RW_PROJECT/plain.config") \
			<(grep -F "$f" "$RW_WORK/$RW_PROJECT/prof.config"); then
			rw_log "$label: XPASS configure:$f is the same now (drop it from known-failures)"
		fi
	done
	for v in plain prof; do
		for f in $known; do
			if grep -qF "$f" "$RW_WORK/$RW_PROJECT/$v.config"; then
				grep -vF "$f" "$RW_WORK/$RW_PROJECT/$v.config" >"$RW_WORK/$RW_PROJECT/$v.config.tmp" || true
				mv "$RW_WORK/$RW_PROJECT/$v.config.tmp" "$RW_WORK/$RW_PROJECT/$v.config"
			fi
		done
	done
	if diff "$RW_WORK/$RW_PROJECT/plain.config" "$RW_WORK/$RW_PROJECT/prof.config" >"$diff"; then
		rw_log "$label: configure results identical plain and instrumented ($*${known:+; not compared, known: $known})"
	else
		rw_log "$label: FAIL configure results differ: $diff"
		head -n 20 "$diff" | sed 's/^/    /'
		rw_row "$label configure" 1 1 0 "FAIL" "configure results differ"
		rw_verdict 1
	fi
}

# --- dropped events ----------------------------------------------------------
#
# A program that neither longjmps out of instrumented code nor takes
# signals must never drop a probe event.  The runtime says it did at exit,
# "mprof: N probe events dropped (...)", on stderr or, with MPROF_OUTPUT
# set, in the report.  A project's instrumented programs send their
# reports to a FIFO (rw_sink_start) whose reader keeps only that message:
# no report is stored, none goes unread.  rw_drop_check looks for the
# message there and in the project's logs.

RW_DROP_RE='mprof: [0-9]+ probe events? dropped'

# rw_sink_start: create the FIFO $RW_SINK, read until rw_sink_stop; what
# it receives of RW_DROP_RE lands in $RW_WORK/results/<project>.drops.
rw_sink_start() {
	local fifo=$RW_WORK/results/$RW_PROJECT.sink
	rm -f "$fifo"
	mkfifo -m 666 "$fifo" || rw_die "cannot create the FIFO $fifo"
	# Opened read-write, the FIFO always has a reader: a program opening
	# it never blocks, and the reader never sees an end of file.
	grep -aoE --line-buffered "$RW_DROP_RE|^rw-sink-end\$" <>"$fifo" \
		>"$RW_WORK/results/$RW_PROJECT.drops" &
	RW_SINK_PID=$!
	RW_SINK=$fifo
	export RW_SINK
}

# rw_sink_stop: once the reader has read everything written before (an
# end marker written last has come through), stop it and remove the FIFO.
rw_sink_stop() {
	local drops=$RW_WORK/results/$RW_PROJECT.drops
	[ -n "${RW_SINK_PID:-}" ] || return 0
	if kill -0 "$RW_SINK_PID" 2>/dev/null &&
		timeout 10 bash -c 'printf "\nrw-sink-end\n" >"$1"' - "$RW_SINK"; then
		for _ in $(seq 1 300); do
			if grep -qx rw-sink-end "$drops"; then break; fi
			sleep 0.2
		done
	fi
	kill "$RW_SINK_PID" 2>/dev/null || true
	wait "$RW_SINK_PID" 2>/dev/null || true
	rm -f "$RW_SINK"
	sed -i '/^rw-sink-end$/d' "$drops"
	unset RW_SINK RW_SINK_PID
}

# rw_drop_check: the project's instrumented programs dropped no event --
# none said so through the sink, nor in a log, test output or report
# under $RW_WORK/<project>.  A known exception ("PROJECT drops reason" in
# known-failures) is reported, not failed.  Writes a summary row when
# something was dropped.
rw_drop_check() {
	local drops=$RW_WORK/results/$RW_PROJECT.drops files n why
	files=$(grep -rlaE --include='*.out' --include='*.log' --include='*.err' \
		--include='*.table' --include='*.trs' "$RW_DROP_RE" \
		"$RW_WORK/$RW_PROJECT" 2>/dev/null | sort || true)
	n=$(grep -c . "$drops" 2>/dev/null || true)
	why=$(rw_known "$RW_PROJECT" drops)
	if [ "${n:-0}" = 0 ] && [ -z "$files" ]; then
		rw_log "drops: no instrumented program dropped an event"
		if [ -n "$why" ]; then
			rw_log "drops: XPASS (drop 'drops' from known-failures)"
		fi
		return 0
	fi
	rw_log "drops: $n reports with '$RW_DROP_RE'${files:+; logs saying it:}"
	if [ -s "$drops" ]; then
		sort "$drops" | uniq -c | sort -rn | head -n 5 | sed 's/^/    /' || true
	fi
	for f in $files; do
		grep -aoE "$RW_DROP_RE" "$f" | head -n 1 | sed "s#^#    ${f#"$RW_WORK"/}: #"
	done | head -n 10 || true
	if [ -n "$why" ]; then
		rw_log "drops: known: $why"
		rw_row "$RW_PROJECT drops" - - - "ok, known" "$why"
	else
		rw_row "$RW_PROJECT drops" - - - FAIL \
			"events dropped, said by $n reports and $(echo "$files" | grep -c .) logs"
		rw_verdict 1
	fi
}

# --- compiler warnings --------------------------------------------------------

# rw_warning_set VARIANT: read a build log, print its warnings as a set of
# "FILE:LINE OPTION" ("-" for a warning with no line or no option), FILE
# relative to the variant's build directory.
rw_warning_set() {
	awk -v dir="$RW_WORK/$RW_PROJECT/$1/" '
		match($0, /^[^ :]+(:[0-9]+)?(:[0-9]+)?: warning: /) {
			n = split(substr($0, 1, RLENGTH), a, ":")
			file = a[1]; line = (n > 3 ? a[2] : "-")
			opt = "-"
			if (match($0, /\[-W[^]]*\]$/))
				opt = substr($0, RSTART + 1, RLENGTH - 2)
			if (index(file, dir) == 1)
				file = substr(file, length(dir) + 1)
			sub(/^\.\//, "", file)
			print file ":" line " " opt
		}' | sort -u
}

# rw_same_warnings LABEL LOG...: the instrumented build warns exactly
# where the plain one does: the same set of (file, line, option) in the
# build logs LOG (relative to each variant's build directory).  A
# difference fails the project and is printed.  known-failures may list
# "PROJECT warning:OPTION reason": warnings of OPTION (e.g.
# -Wuse-after-free) are then left out, and said to be.
rw_same_warnings() {
	local label=$1 v f known n diff=$RW_WORK/logs/$RW_PROJECT-warnings.diff
	shift
	known=$(awk -v p="$RW_PROJECT" '$1 == p && $2 ~ /^warning:/ {
		sub(/^warning:/, "", $2); print $2 }' "$RW_DIR/known-failures" 2>/dev/null)
	for v in plain prof; do
		for f in "$@"; do
			cat "$RW_WORK/$RW_PROJECT/$v/$f" 2>/dev/null || true
		done | rw_warning_set "$v" >"$RW_WORK/$RW_PROJECT/$v.warnings"
	done
	for f in $known; do
		if ! diff -q <(grep -F " $f" "$RW_WORK/$RW_PROJECT/plain.warnings") \
			<(grep -F " $f" "$RW_WORK/$RW_PROJECT/prof.warnings") >/dev/null; then
			rw_log "$label: known warning differences ($f): $(rw_known "$RW_PROJECT" "warning:$f")"
			diff <(grep -F " $f" "$RW_WORK/$RW_PROJECT/plain.warnings") \
				<(grep -F " $f" "$RW_WORK/$RW_PROJECT/prof.warnings") |
				grep '^[<>]' | head -n 5 | sed 's/^/    /' || true
		else
			rw_log "$label: XPASS warning:$f is the same now (drop it from known-failures)"
		fi
		for v in plain prof; do
			grep -vF " $f" "$RW_WORK/$RW_PROJECT/$v.warnings" \
				>"$RW_WORK/$RW_PROJECT/$v.warnings.tmp" || true
			mv "$RW_WORK/$RW_PROJECT/$v.warnings.tmp" "$RW_WORK/$RW_PROJECT/$v.warnings"
		done
	done
	n=$(grep -c . "$RW_WORK/$RW_PROJECT/plain.warnings" || true)
	if diff "$RW_WORK/$RW_PROJECT/plain.warnings" "$RW_WORK/$RW_PROJECT/prof.warnings" \
		>"$diff"; then
		rw_log "$label: the same $n warnings plain and instrumented ($*)"
		return 0
	fi
	rw_log "$label: FAIL warnings differ (< plain only, > instrumented only): $diff"
	grep '^[<>]' "$diff" | head -n 20 | sed 's/^/    /' || true
	rw_row "$label warnings" "$n" "$n" "$(grep -c . "$RW_WORK/$RW_PROJECT/prof.warnings" || true)" \
		"FAIL ($(grep -c '^>' "$diff" || true) new, $(grep -c '^<' "$diff" || true) gone)" \
		"$RW_PROJECT-warnings.diff"
	rw_verdict 1
}

rw_project() {
	RW_PROJECT=$1
	export RW_PROJECT
	rm -f "$RW_WORK/results/$RW_PROJECT".{rows,rc,drops}
	# shellcheck source=/dev/null
	. "$RW_DIR/projects/$RW_PROJECT.sh"
	rw_sink_start
	trap rw_sink_stop EXIT
	p_main
	rw_sink_stop
	trap - EXIT
	if [ "${RW_OWN_DROP_CHECK:-0}" = 0 ]; then rw_drop_check; fi
	[ -f "$RW_WORK/results/$RW_PROJECT.rc" ] || rw_verdict 0
}

rw_summary() {
	local p label run plain prof verdict note
	echo
	printf '%-22s %10s %13s %20s %8s  %s\n' project "tests run" "passed plain" \
		"passed instrumented" time verdict
	printf '%s\n' "--------------------------------------------------------------------------------------"
	for p in "$@"; do
		local t
		t=$(rw_duration "$(cat "$RW_WORK/results/$p.time" 2>/dev/null || echo 0)")
		if [ ! -s "$RW_WORK/results/$p.rows" ]; then
			printf '%-22s %10s %13s %20s %8s  %s\n' "$p" - - - "$t" "no result (see logs/$p.log)"
			continue
		fi
		while IFS=$'\t' read -r label run plain prof verdict note; do
			printf '%-22s %10s %13s %20s %8s  %s%s\n' "$label" "$run" "$plain" \
				"$prof" "$t" "$verdict" "${note:+ - $note}"
			t=
		done <"$RW_WORK/results/$p.rows"
	done
}
