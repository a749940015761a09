# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# zlib (Debian source package zlib): ./configure with CFLAGS, make, then
#   make test       example, minigzip, their shared and 64-bit builds (one
#                   test per "*** zlib ... test OK ***" line)
#   roundtrip-N     minigzip -N then minigzip -d gives the input back, for
#                   levels 1, 6 and 9 (the input: the sources of zlib)
#   gzip-compat     what minigzip makes, gzip -d reads; what gzip makes,
#                   minigzip -d reads
# and, across the variants, the compressed bytes must be identical.

p_main() {
	local src v dir
	src=$(rw_source zlib)
	for v in $RW_VARIANTS; do
		dir=$RW_WORK/zlib/$v
		rw_log "$v: build"
		rw_fresh_copy "$src" "$dir"
		(
			cd "$dir" &&
			rw_with_env "$v" rw_logged "$dir/configure.out" \
				env CC="$RW_CC" CFLAGS="$(rw_cflags "$v")" ./configure &&
			rw_with_env "$v" rw_logged "$dir/make.out" make -j"$RW_JOBS"
		) || { rw_row "zlib" - - - "FAIL ($v build)"; rw_verdict 1; return; }
		rw_log "$v: test"
		zlib_tests "$v" "$dir"
	done
	rw_same_config zlib configure.out zconf.h
	rw_same_warnings zlib make.out
	rw_compare zlib "$RW_WORK/zlib/plain.tests" "$RW_WORK/zlib/prof.tests"
	local l
	for l in 1 6 9; do
		if ! cmp -s "$RW_WORK/zlib/plain/corpus.$l.gz" "$RW_WORK/zlib/prof/corpus.$l.gz"; then
			rw_log "FAIL: minigzip -$l output differs plain and instrumented"
			rw_row "zlib minigzip bytes" 1 1 0 FAIL
			rw_verdict 1
		fi
	done
}

zlib_tests() {
	local v=$1 dir=$2 out=$RW_WORK/zlib/$1.tests kind l
	: >"$out"
	(cd "$dir" && rw_with_env "$v" timeout 600 make test) >"$dir/test.out" 2>&1 || true
	for kind in static:"zlib test OK" shared:"zlib shared test OK" \
		64-bit:"zlib 64-bit test OK"; do
		if grep -qF "*** ${kind#*:} ***" "$dir/test.out"; then
			echo "PASS make-test-${kind%%:*}" >>"$out"
		else
			echo "FAIL make-test-${kind%%:*}" >>"$out"
		fi
	done
	cat "$dir"/*.c "$dir"/*.h "$dir"/ChangeLog >"$dir/corpus"
	for l in 1 6 9; do
		rw_pass_fail "$out" "roundtrip-$l" zlib_roundtrip "$v" "$dir" "$l"
	done
	rw_pass_fail "$out" gzip-compat zlib_gzip_compat "$v" "$dir"
}

zlib_roundtrip() {
	local v=$1 dir=$2 l=$3
	rw_with_env "$v" "$dir/minigzip" "-$l" <"$dir/corpus" >"$dir/corpus.$l.gz" &&
	rw_with_env "$v" "$dir/minigzip" -d <"$dir/corpus.$l.gz" | cmp -s - "$dir/corpus"
}

zlib_gzip_compat() {
	local v=$1 dir=$2
	gzip -dc <"$dir/corpus.6.gz" | cmp -s - "$dir/corpus" &&
	gzip -9c <"$dir/corpus" | rw_with_env "$v" "$dir/minigzip" -d | cmp -s - "$dir/corpus"
}
