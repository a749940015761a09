# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# GCC's C torture execution tests, from the gcc-N-source package of the
# compiler in use (its tarball holds gcc/testsuite/gcc.c-torture/execute,
# ieee/ included), run by torture.py at each level of --torture-opt; known
# instrumented failures are listed in torture.xfail.

# torture.py reads each instrumented run's messages itself (a warning).
RW_OWN_DROP_CHECK=1

p_main() {
	local major tarball dest=$RW_WORK/src/gcc-torture opt opts rc=0
	major=$("$RW_CC" -dumpversion | cut -d. -f1)
	rw_need_packages "gcc-$major-source" xz-utils python3
	if [ ! -f "$dest/.rw-extracted" ]; then
		tarball=$(ls /usr/src/gcc-"$major"/gcc-*.tar.* 2>/dev/null | head -n 1)
		[ -n "$tarball" ] || rw_die "no tarball in /usr/src/gcc-$major (package gcc-$major-source)"
		rw_log "extracting the torture tests from $tarball"
		rm -rf "$dest"
		mkdir -p "$dest"
		tar -xf "$tarball" -C "$dest" --strip-components=4 --wildcards \
			'*/gcc/testsuite/gcc.c-torture/execute/*' ||
			rw_die "cannot extract the torture tests from $tarball"
		touch "$dest/.rw-extracted"
	fi
	local args=()
	if [ "$RW_LAZY_PLAIN" = 1 ]; then args+=(--lazy-plain); fi
	IFS=, read -ra opts <<<"$RW_TORTURE_OPTS"
	for opt in "${opts[@]}"; do
		args+=("--opt=$opt")
	done
	rm -f "$RW_WORK/torture.rc"
	{ python3 "$RW_DIR/torture.py" --plugin "$RW_PLUGIN" --cc "$RW_CC" \
		--src "$dest/execute" --work "$RW_WORK/torture" --jobs "$RW_JOBS" \
		--xfail "$RW_DIR/torture.xfail" "${args[@]}" 2>&1 ||
		echo $? >"$RW_WORK/torture.rc"; } | tee "$RW_WORK/torture.out"
	rc=$(cat "$RW_WORK/torture.rc" 2>/dev/null || echo 0)
	local level run plain prof failed xf
	while read -r level run plain prof failed xf; do
		level=${level#torture}
		if [ "$failed" != 0 ]; then
			rw_row "torture $level" "$run" "$plain" "$prof" "FAIL ($failed)"
		elif [ "$xf" != 0 ]; then
			rw_row "torture $level" "$run" "$plain" "$prof" "ok, $xf known"
		else
			rw_row "torture $level" "$run" "$plain" "$prof" ok
		fi
	done < <(sed -n 's/^SUMMARY //p' "$RW_WORK/torture.out")
	[ -s "$RW_WORK/results/torture.rows" ] || rw_row torture - - - "FAIL (no summary)"
	if [ "$rc" = 0 ]; then rw_verdict 0; else rw_verdict 1; fi
}
