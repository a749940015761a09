#!/bin/sh
# SPDX-License-Identifier: MIT
# runtime_symbols.sh LIB... - the runtime carries report/'s runtime part
# (the profile, the table, the JSON writer, the FUNC line formatter) and
# none of the readers the `mprof` command links (report/CMakeLists.txt):
# no mp_dat_* reader or writer, no JSON parser, in the copy made for a
# fatal signal neither.
set -eu
status=0
for lib in "$@"; do
	syms=$(nm "$lib")
	for want in mp_datline_func mp_json_write mp_report_print \
		    mp_crash_json_write; do
		if ! printf '%s\n' "$syms" | grep -q " $want\$"; then
			echo "$lib: $want missing" >&2
			status=1
		fi
	done
	if printf '%s\n' "$syms" |
	   grep -E ' (mp_dat_[a-z_]+|mp_(crash_)?json_(parse|read))$' >&2; then
		echo "$lib: carries report/'s readers (above)" >&2
		status=1
	fi
done
exit $status
