# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# cJSON (Debian source package cjson): CMake with CMAKE_C_FLAGS (so its
# compiler checks build instrumented test programs too), cJSON_Utils on,
# the project's -Werror flags kept (a warning from the plugin would fail the
# build), then ctest; one test per ctest entry.

p_main() {
	local src v dir
	rw_need_packages cmake
	src=$(rw_source cjson)
	for v in $RW_VARIANTS; do
		dir=$RW_WORK/cjson/$v
		rm -rf "$dir"
		mkdir -p "$dir"
		rw_log "$v: build"
		if ! rw_cmake_build "$v" "$src" "$dir" C \
			-DENABLE_CJSON_UTILS=On -DENABLE_CJSON_TEST=On; then
			rw_row cjson - - - "FAIL ($v build)"
			rw_verdict 1
			return
		fi
		rw_log "$v: test"
		(cd "$dir" && rw_with_env "$v" timeout 900 ctest --timeout 300) \
			>"$dir/test.out" 2>&1 || true
		rw_ctest_results "$dir/test.out" >"$RW_WORK/cjson/$v.tests"
		[ -s "$RW_WORK/cjson/$v.tests" ] || echo "FAIL ctest" >"$RW_WORK/cjson/$v.tests"
	done
	rw_same_config cjson CMakeCache.txt
	rw_same_warnings cjson make.out
	rw_compare cjson "$RW_WORK/cjson/plain.tests" "$RW_WORK/cjson/prof.tests"
}
