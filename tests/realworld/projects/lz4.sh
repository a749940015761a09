# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# lz4 (Debian source package lz4): make with CFLAGS, then, one test each,
# the targets of `make check` (test-lz4-essentials), frametest and fuzzer
# with a fixed seed and number of rounds (the upstream defaults run for
# minutes), and fullbench's round trips on a small file; across the
# variants, the compressed bytes of `lz4 -1/-9/-12` must be identical.

LZ4_CHECKS="test-lz4-basic test-lz4-multiple test-lz4-multiple-legacy
	test-lz4-frame-concatenation test-lz4-testmode test-lz4-contentSize
	test-lz4-dict"

p_main() {
	local src v dir t l
	src=$(rw_source lz4)
	for v in $RW_VARIANTS; do
		dir=$RW_WORK/lz4/$v
		rw_log "$v: build"
		rw_fresh_copy "$src" "$dir"
		if ! (cd "$dir" && rw_with_env "$v" rw_logged "$dir/make.out" \
			make -j"$RW_JOBS" CC="$RW_CC" CFLAGS="$(rw_cflags "$v")" all &&
		      rw_with_env "$v" rw_logged "$dir/make-tests.out" \
			make -C tests -j"$RW_JOBS" CC="$RW_CC" CFLAGS="$(rw_cflags "$v")" \
			lz4 datagen frametest fuzzer fullbench); then
			rw_row lz4 - - - "FAIL ($v build)"
			rw_verdict 1
			return
		fi
		rw_log "$v: test"
		local out=$RW_WORK/lz4/$v.tests
		: >"$out"
		for t in $LZ4_CHECKS; do
			rw_pass_fail "$out" "$t" rw_with_env "$v" rw_logged "$dir/$t.out" \
				timeout 1800 make -C "$dir/tests" CC="$RW_CC" \
				CFLAGS="$(rw_cflags "$v")" "$t"
		done
		rw_pass_fail "$out" frametest rw_with_env "$v" rw_logged "$dir/frametest.out" \
			timeout 1800 "$dir/tests/frametest" -s1 -i500
		rw_pass_fail "$out" fuzzer rw_with_env "$v" rw_logged "$dir/fuzzer.out" \
			timeout 1800 "$dir/tests/fuzzer" -s1 -i100
		cat "$src"/lib/*.c >"$dir/corpus"
		rw_pass_fail "$out" fullbench rw_with_env "$v" rw_logged "$dir/fullbench.out" \
			timeout 1800 "$dir/tests/fullbench" --no-prompt -i1 "$dir/corpus"
		for l in 1 9 12; do
			rw_pass_fail "$out" "roundtrip-$l" lz4_roundtrip "$v" "$dir" "$l"
		done
	done
	rw_same_warnings lz4 make.out make-tests.out
	rw_compare lz4 "$RW_WORK/lz4/plain.tests" "$RW_WORK/lz4/prof.tests"
	for l in 1 9 12; do
		if ! cmp -s "$RW_WORK/lz4/plain/corpus.$l.lz4" "$RW_WORK/lz4/prof/corpus.$l.lz4"; then
			rw_log "FAIL: lz4 -$l output differs plain and instrumented"
			rw_row "lz4 output bytes" 1 1 0 FAIL
			rw_verdict 1
		fi
	done
}

lz4_roundtrip() {
	local v=$1 dir=$2 l=$3
	rw_with_env "$v" "$dir/lz4" -q -f "-$l" "$dir/corpus" "$dir/corpus.$l.lz4" &&
	rw_with_env "$v" "$dir/lz4" -q -d -c "$dir/corpus.$l.lz4" | cmp -s - "$dir/corpus"
}
