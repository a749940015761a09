#!/bin/sh
# SPDX-License-Identifier: MIT
# split_debug.sh - moves a library's DWARF to a separate debug file, as
# distributions do:
#   split_debug.sh link LIB      LIB.debug beside LIB, named by .gnu_debuglink
#   split_debug.sh link-subdir LIB
#                                the same in .debug/ beside LIB
#   split_debug.sh link-root LIB ROOT
#                                the same in ROOT/<LIB's directory>/
#   split_debug.sh build-id LIB ROOT
#                                ROOT/.build-id/xx/yyyy.debug, found by LIB's
#                                build id alone
#   split_debug.sh strip LIB     no debug file, no .symtab (.dynsym stays)
set -eu
mode=$1 lib=$2
case $mode in
link)
	objcopy --only-keep-debug "$lib" "$lib.debug"
	objcopy --strip-debug --add-gnu-debuglink="$lib.debug" "$lib"
	;;
link-subdir | link-root)
	if [ "$mode" = link-subdir ]; then
		dir=$(dirname "$lib")/.debug
	else
		dir=$3$(cd "$(dirname "$lib")" && pwd)
	fi
	mkdir -p "$dir"
	objcopy --only-keep-debug "$lib" "$dir/$(basename "$lib").debug"
	# objcopy needs the debug file where it can read it, by its name
	cp "$dir/$(basename "$lib").debug" "$lib.debug"
	objcopy --strip-debug --add-gnu-debuglink="$lib.debug" "$lib"
	rm "$lib.debug"
	;;
build-id)
	root=$3
	id=$(readelf -n "$lib" | awk '/Build ID:/ { print $3 }')
	[ -n "$id" ] || { echo "split_debug.sh: $lib has no build id" >&2; exit 1; }
	dir=$root/.build-id/$(echo "$id" | cut -c1-2)
	mkdir -p "$dir"
	objcopy --only-keep-debug "$lib" "$dir/$(echo "$id" | cut -c3-).debug"
	objcopy --strip-debug "$lib"
	;;
strip)
	strip --strip-all "$lib"
	;;
esac
