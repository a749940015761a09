#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The conventional ways a project builds a profiled program, from the build
# tree and from an installed prefix:
#   pkg-config   gcc x.c $(pkg-config --cflags --libs mprof)
#   CMake        find_package(mprof) + target_link_libraries(x mprof::mprof)
# Build tree: PKG_CONFIG_PATH=build (build/mprof-uninstalled.pc) and
# -Dmprof_DIR=<absolute build>.  Installed: `cmake --install build --prefix
# ~/.local` as README says, with HOME a scratch directory; then PATH alone
# finds `mprof`, `man mprof` and the CMake package, PKG_CONFIG_PATH the
# .pc file.  Each program must print its table and load the runtime of the
# tree it was built against.  Usage: run.sh SRCDIR BUILDDIR
set -euo pipefail
src=$1 build=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
unset PKG_CONFIG_PATH CMAKE_PREFIX_PATH mprof_DIR
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^MPROF_' || true)

check_table() {
	grep -q '^Filename: ' "$1" || { cat "$1"; fail "$2: no table"; }
	grep -q '^Line #    Mem usage    Increment  Occurrences   Line Contents$' "$1" ||
		fail "$2: no header"
}

# runs_from EXE LIBDIR WHAT: the runtime EXE loads at run time (linked,
# or loaded by the plugin's constructor from beside the plugin) is the one
# in LIBDIR, the tree EXE was built against.
runs_from() {
	local f n=0
	while IFS= read -r f; do
		[ "$(dirname "$(realpath -m "$f")")" = "$(realpath -m "$2")" ] ||
			fail "$3: runtime loaded from $f, not from $2"
		n=$((n + 1))
	done < <(LD_DEBUG=files "$1" 2>&1 >/dev/null |
		sed -n 's/.*file=\(\/[^ ]*libmprof[^ ]*\) .*/\1/p' | sort -u)
	[ "$n" -gt 0 ] || fail "$3: no runtime loaded"
}

# with_pkg_config NAME LIBDIR: builds and runs samples/basic.c with the
# flags of whatever mprof.pc PKG_CONFIG_PATH leads to.
with_pkg_config() {
	local exe=$tmp/$1-pc
	# shellcheck disable=SC2046
	gcc -g $(pkg-config --cflags mprof) "$src/samples/basic.c" -o "$exe" \
		$(pkg-config --libs mprof)
	"$exe" >/dev/null 2>"$exe.err"
	check_table "$exe.err" "$1, pkg-config"
	runs_from "$exe" "$2" "$1, pkg-config"
	echo "ok: $1, pkg-config"
}

# with_cmake NAME LIBDIR CMAKE-ARGS...: a project of its own that finds
# the package, built and run.
with_cmake() {
	local name=$1 libdir=$2 proj=$tmp/$1-proj
	shift 2
	mkdir -p "$proj"
	cp "$src/samples/basic.c" "$proj/"
	cat >"$proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(mprof REQUIRED)
add_executable(basic basic.c)
target_link_libraries(basic PRIVATE mprof::mprof)
CMAKE
	cmake -S "$proj" -B "$proj/build" "$@" >"$proj.log" 2>&1 || { cat "$proj.log"; fail "$name: cmake"; }
	cmake --build "$proj/build" >>"$proj.log" 2>&1 || { cat "$proj.log"; fail "$name: build"; }
	"$proj/build/basic" >/dev/null 2>"$proj.err"
	check_table "$proj.err" "$name, CMake"
	runs_from "$proj/build/basic" "$libdir" "$name, CMake"
	echo "ok: $name, CMake"
}

# The build tree.  Without mprof-uninstalled.pc pkg-config would find
# nothing there (the installed .pc file is kept out of the way).
PKG_CONFIG_PATH=$build with_pkg_config build-tree "$build/lib"
[ "$(PKG_CONFIG_PATH=$build PKG_CONFIG_DISABLE_UNINSTALLED=1 pkg-config --exists mprof; echo $?)" != 0 ] ||
	fail "build tree: a mprof.pc other than mprof-uninstalled.pc is found in $build"
with_cmake build-tree "$build/lib" -Dmprof_DIR="$build"

# Installed where README says, with nothing but the variables it names.
export HOME=$tmp/home
mkdir -p "$HOME"
cmake --install "$build" --prefix ~/.local >/dev/null
prefix=$HOME/.local
[ -f "$prefix/lib/pkgconfig/mprof.pc" ] || fail "not installed: lib/pkgconfig/mprof.pc"
export PATH=$prefix/bin:$PATH
[ "$(command -v mprof)" = "$prefix/bin/mprof" ] || fail "mprof is not the installed one"
mprof --version | grep -q '^mprof ' || fail "installed mprof --version"
[ "$(man -w mprof)" = "$prefix/share/man/man1/mprof.1" ] || fail "man mprof: $(man -w mprof 2>&1)"
man mprof 2>/dev/null | grep -q 'mprof run' || fail "man mprof prints no page"
if grep -rq "$build" "$prefix/lib/pkgconfig" "$prefix/lib/cmake"; then
	fail "installed package files name the build tree"
fi
PKG_CONFIG_PATH=$prefix/lib/pkgconfig with_pkg_config installed "$prefix/lib"
with_cmake installed "$prefix/lib"
