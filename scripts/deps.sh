# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# deps.sh - sourced by setup.sh and test.sh (never run on its own): installs
# the Debian packages mprof needs that are missing, and builds mprof into
# build/.  apt-get runs only when a package is missing, after one
# `apt-get update`, through sudo when not root, never asking a question
# (CI runs with no standard input).
#
#   mp_install_missing   install what is missing; 0 or 1
#   mp_build             configure and build into $MP_ROOT/build; 0 or 1

MP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The plugin headers must match the gcc that loads the plugin: gcc 12 on
# Debian 12, or whatever gcc is already installed.
mp_gcc_major() {
	local v
	v=$(gcc -dumpversion 2>/dev/null || true)
	echo "${v%%.*}" | grep -E '^[0-9]+$' || echo 12
}

mp_packages() {
	echo gcc g++ cmake make pkg-config "gcc-$(mp_gcc_major)-plugin-dev" \
		libcmocka-dev libcairo2-dev libdwarf-dev zlib1g-dev csmith libcsmith-dev \
		git man-db python3 python3-memory-profiler python3-matplotlib \
		valgrind libjemalloc2 golang-go chromium
}

# The packages of mp_packages that dpkg does not list as installed.
mp_missing_packages() {
	local p missing=()
	for p in $(mp_packages); do
		if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
			missing+=("$p")
		fi
	done
	echo "${missing[*]}"
}

mp_install_missing() {
	local missing=() sudo=()
	if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
		echo "mprof: not a Debian system: install $(mp_packages) by hand" >&2
		return 0
	fi
	read -ra missing <<<"$(mp_missing_packages)"
	[ "${#missing[@]}" -gt 0 ] || return 0
	if [ "$(id -u)" != 0 ]; then
		if ! command -v sudo >/dev/null; then
			echo "mprof: missing packages (${missing[*]}): run as root or install sudo" >&2
			return 1
		fi
		sudo=(sudo)
		[ -t 0 ] || sudo=(sudo -n)
	fi
	echo "mprof: installing ${missing[*]}"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# As root, mount tracefs where the machine left it unmounted: `mprof lines`
# sees memory given back through its tracepoints (docs/lines.md), and the
# tests compare those figures with the plugin's.
mp_mount_tracefs() {
	local t=/sys/kernel/tracing
	[ "$(id -u)" = 0 ] && [ -d "$t" ] && [ ! -e "$t/events" ] || return 0
	mount -t tracefs tracefs "$t" 2>/dev/null ||
		echo "mprof: could not mount tracefs on $t: the rss comparisons of mprof lines are skipped" >&2
}

mp_build() {
	cmake -S "$MP_ROOT" -B "$MP_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
		cmake --build "$MP_ROOT/build" -j"$(nproc)"
}
