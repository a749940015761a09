# SPDX-License-Identifier: MIT
# Replaced allocators: a program built with the plugin runs under valgrind's
# memcheck with exactly the plain build's error count (the runtime reads no
# glibc chunk header of a block valgrind made), and the heap backend counts
# the same bytes under glibc, valgrind, AddressSanitizer (+UBSan),
# ThreadSanitizer and a preloaded jemalloc: progs/allocators.c, tests/expected/allocators.txt.
# A malloc defined in the program itself cannot be followed: the heap
# backend says so in one note, with the report, and falls back to rss.
. "$(dirname "$0")/lib.sh"

plugin_setup
jemalloc=$(ls /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -1)
command -v valgrind >/dev/null || { echo "valgrind is not installed (scripts/deps.sh)"; exit 77; }
[ -n "$jemalloc" ] || { echo "libjemalloc2 is not installed (scripts/deps.sh)"; exit 77; }

build_prog allocators plain
build_prog allocators al -fplugin="$plugin"
build_prog allocators al_asan -fplugin="$plugin" -fsanitize=address,undefined
build_prog allocators al_tsan -fplugin="$plugin" -fsanitize=thread

expected=$SRCDIR/tests/expected/allocators.txt
./plain >plain.out

# heap TAG CMD...: the heap backend's table (3 decimals) into TAG.txt
heap() {
	local tag=$1
	shift
	MPROF_BACKEND=heap MPROF_PRECISION=3 MPROF_OUTPUT=$tag.txt "$@" >"$tag.out" 2>"$tag.err"
	status=$?
}

heap glibc ./al
check "glibc: the expected table, output unchanged" eval 'status_is 0 && cmp -s glibc.txt "$expected" && cmp -s glibc.out plain.out && [ ! -s glibc.err ]'

heap asan ./al_asan
check "AddressSanitizer+UBSan: strdup, strndup and the frees counted exactly" eval 'status_is 0 && cmp -s asan.txt "$expected" && cmp -s asan.out plain.out && [ ! -s asan.err ]'

heap tsan ./al_tsan
check "ThreadSanitizer: strndup and posix_memalign counted exactly" eval 'status_is 0 && cmp -s tsan.txt "$expected" && cmp -s tsan.out plain.out && [ ! -s tsan.err ]'

heap jemalloc env LD_PRELOAD="$jemalloc" ./al
check "jemalloc preloaded: the same table" eval 'status_is 0 && cmp -s jemalloc.txt "$expected" && cmp -s jemalloc.out plain.out && [ ! -s jemalloc.err ]'
MPROF_OUTPUT=jrss.txt LD_PRELOAD="$jemalloc" ./al >jrss.out 2>jrss.err
check "jemalloc preloaded, rss backend: a table, quiet" eval 'grep -q "^    24 .* strdup" jrss.txt && [ ! -s jrss.err ] && cmp -s jrss.out plain.out'

# memcheck: the error count and the leak summary of the plain build; the
# blocks still reachable at exit are the runtime's own (dlopen, atexit).
summary() {
	grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|no leaks are possible' "$1" |
		sed -e 's/^==[0-9]*== *//' -e 's/All heap blocks were freed -- no leaks are possible/definitely lost: 0 bytes in 0 blocks/'
}
valgrind --leak-check=full ./plain >vg_plain.out 2>vg_plain.err
summary vg_plain.err | grep -v 'indirectly\|possibly' >want
for backend in rss heap; do
	MPROF_BACKEND=$backend MPROF_OUTPUT=vg_$backend.txt valgrind --leak-check=full ./al >vg_$backend.out 2>vg_$backend.err
	summary vg_$backend.err | grep -v 'indirectly\|possibly' >got_$backend
	check "memcheck, $backend backend: the plain build's result (0 errors)" eval "cmp -s want got_$backend && grep -q 'ERROR SUMMARY: 0 errors' got_$backend && cmp -s vg_$backend.out plain.out && grep -q '^Filename: allocators.c' vg_$backend.txt"
done
check "memcheck, heap backend: the expected table" eval 'MPROF_BACKEND=heap MPROF_PRECISION=3 MPROF_OUTPUT=vg.txt valgrind -q ./al >/dev/null 2>&1 && cmp -s vg.txt "$expected"'

# A malloc of the program's own: one note after the table, nothing on stderr.
build_prog ownmalloc own -fplugin="$plugin"
MPROF_BACKEND=heap MPROF_OUTPUT=own.txt ./own >own.out 2>own.err
status=$?
check "own malloc: heap refused in one note with the report, rss table" eval 'status_is 0 && [ ! -s own.err ] && [ "$(grep -c "^mprof:" own.txt)" -eq 1 ] && tail -1 own.txt | grep -q "^mprof: MPROF_BACKEND: heap unavailable (malloc is defined in the program itself, whose own calls to it cannot be wrapped); using rss$" && grep -q "^Filename: ownmalloc.c" own.txt'
MPROF_JSON=own.json MPROF_BACKEND=heap MPROF_OUTPUT=/dev/null ./own >/dev/null 2>own.err
check "own malloc: the note in the JSON profile, its backend rss" eval '[ ! -s own.err ] && grep -q "\"backend\": \"rss\"" own.json && grep -q "^    \"mprof: MPROF_BACKEND: heap unavailable" own.json && "$MPROF" report own.json >/dev/null'

finish
