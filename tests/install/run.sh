#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the build into a scratch prefix and builds a profiled program
# the two conventional ways a project would:
#   pkg-config   gcc x.c $(pkg-config --cflags --libs mprof)
#   CMake        find_package(mprof) + target_link_libraries(x mprof::mprof)
# Each program must print its table.  Usage: run.sh SRCDIR BUILDDIR
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
prefix=$tmp/prefix
pc=$(find "$prefix" -name mprof.pc | head -n1)
[ -n "$pc" ] || fail "mprof.pc not installed"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")

check_table() {
	grep -q '^Filename: ' "$1" || { cat "$1"; fail "$2: no table"; }
	grep -q '^Line #    Mem usage    Increment  Occurrences   Line Contents$' "$1" ||
		fail "$2: no header"
}

# shellcheck disable=SC2046
gcc -g $(pkg-config --cflags mprof) "$src/samples/basic.c" -o "$tmp/pc" \
	$(pkg-config --libs mprof)
"$tmp/pc" >/dev/null 2>"$tmp/pc.err"
check_table "$tmp/pc.err" pkg-config
readelf -d "$tmp/pc" | grep -q 'NEEDED.*libmprof.so.0' || fail "pkg-config --libs did not link the runtime"
echo "ok: pkg-config"

mkdir -p "$tmp/proj"
cp "$src/samples/basic.c" "$tmp/proj/"
cat >"$tmp/proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(mprof REQUIRED)
add_executable(basic basic.c)
target_link_libraries(basic PRIVATE mprof::mprof)
CMAKE
cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/proj/build" >/dev/null
"$tmp/proj/build/basic" >/dev/null 2>"$tmp/cm.err"
check_table "$tmp/cm.err" CMake
echo "ok: cmake package"
