# SPDX-License-Identifier: MIT
# Shared by the shell tests of the mprof command: each test script sources
# this, runs in a fresh temporary directory, and ends with `finish`, which
# prints "N passed, M failed" and exits non-zero on any failure.
#
# Environment (set by tests/cli/CMakeLists.txt): MPROF (the binary),
# CLI_ALLOC (tests/cli/alloc.c), CLI_MAXRSS (tests/cli/maxrss.c), SAMPLES_BIN (built samples), MPROF_PYTHON
# (a python3 with memory_profiler and matplotlib, or empty), SRCDIR,
# BUILDDIR (build/lib/mprof.so is the plugin), CC (the build's compiler),
# FUZZ_DRIVER and FUZZ_JSON_DRIVER (the fuzz targets' standalone builds).

set -u
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mprof-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() {
	failed=$((failed + 1))
	echo "FAIL - $1"
	[ -f out ] && sed 's/^/    stdout: /' out | head -20
	[ -f err ] && sed 's/^/    stderr: /' err | head -20
	return 0
}

# run CMD...: status in $status, output in ./out and ./err
run() {
	"$@" >out 2>err
	status=$?
}

# check DESC CMD...: pass if CMD succeeds
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

status_is() { [ "$status" -eq "$1" ]; }
out_has() { grep -Eq -- "$1" out; }
err_has() { grep -Eq -- "$1" err; }
out_is() { [ "$(cat out)" = "$1" ]; }
err_lines() { [ "$(wc -l <err)" -eq "$1" ]; }

# no_room CMD...: run CMD where no file may grow (a file size limit of 0,
# SIGXFSZ ignored: writes fail with EFBIG); status in $status, its stderr
# in ./err (through a pipe, which the limit does not stop).
no_room() {
	(trap '' XFSZ; ulimit -f 0; exec "$@") 2>&1 >/dev/null | cat >err
	status=${PIPESTATUS[0]}
}

# A float comparison for awk: near A B TOL
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# Count the records of a kind in a .dat
count() { grep -c "^$1 " "$2" || true; }

# The largest MEM figure in a .dat, by awk (an independent reader)
max_mem() { awk '$1 == "MEM" { v = $2 + 0; if (!n || v > m) { m = v; n = 1 } } END { printf "%.3f\n", m }' "$1"; }

# plugin_setup: for tests of programs built with the plugin: checks that
# it exists, clears the caller's MPROF_* settings, and defines
# build NAME: samples/NAME.c with the plugin into $tmp/NAME, from within
# samples/ as the end-to-end tests do, so tables say "Filename: NAME.c".
plugin_setup() {
	plugin=$BUILDDIR/lib/mprof.so
	[ -f "$plugin" ] || { echo "no plugin '$plugin'"; exit 1; }
	while IFS= read -r var; do
		unset "$var"
	done < <(compgen -e | grep '^MPROF_' | grep -v '^MPROF_PYTHON$' || true)
}

build() {
	(cd "$SRCDIR/samples" && ${CC:-cc} -O1 -g -pthread -I"$SRCDIR/include" \
		-fplugin="$plugin" "$1.c" -o "$tmp/$1") ||
		{ echo "cannot build $1"; exit 1; }
}

# build_prog NAME OUT [FLAGS...]: tests/cli/progs/NAME.c into $tmp/OUT,
# from within progs/ so tables say "Filename: NAME.c" (-O1 -g, mprof.h
# on the include path; FLAGS add -fplugin=..., -fsanitize=...).
build_prog() {
	local name=$1 out=$2
	shift 2
	(cd "$SRCDIR/tests/cli/progs" && ${CC:-cc} -O1 -g -I"$SRCDIR/include" "$@" "$name.c" -o "$tmp/$out") ||
		{ echo "cannot build $name"; exit 1; }
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}
