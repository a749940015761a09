# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# csmith: tests/csmith/run.sh (plain vs instrumented checksums, seeds 1..N,
# instrumented runs with a longer timeout, seeds whose plain run times out
# skipped) with N = --csmith-seeds.

# tests/csmith/run.sh fails a seed whose run drops events itself.
RW_OWN_DROP_CHECK=1

p_main() {
	local out=$RW_WORK/csmith.out line seeds compared skipped failed rc=0
	rw_need_packages csmith libcsmith-dev
	[ -f "$RW_ROOT/tests/csmith/run.sh" ] || rw_die "tests/csmith/run.sh not found"
	mkdir -p "$RW_WORK"
	rm -f "$out.rc"
	{ MPROF_CSMITH_SEEDS=$RW_CSMITH_SEEDS MPROF_CSMITH_JOBS=$RW_JOBS CC=$RW_CC \
		bash "$RW_ROOT/tests/csmith/run.sh" "$RW_BUILD" 2>&1 ||
		echo $? >"$out.rc"; } | tee "$out"
	rc=$(cat "$out.rc" 2>/dev/null || echo 0)
	line=$(grep -E '^csmith: [0-9]+ seeds, ' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		rw_row csmith - - - "FAIL (no summary)"
		rw_verdict 1
		return
	fi
	read -r seeds compared skipped failed < <(echo "$line" |
		sed 's/csmith: \([0-9]*\) seeds, \([0-9]*\) compared, \([0-9]*\) skipped, \([0-9]*\) failed/\1 \2 \3 \4/')
	if [ "$failed" = 0 ] && [ "$rc" = 0 ]; then
		rw_row csmith "$compared" "$compared" "$compared" ok "$seeds seeds, $skipped skipped"
		rw_verdict 0
	else
		rw_row csmith "$compared" "$compared" "$((compared - failed))" "FAIL ($failed)" \
			"$seeds seeds, $skipped skipped; programs in $RW_BUILD/csmith-failures"
		rw_verdict 1
	fi
}
