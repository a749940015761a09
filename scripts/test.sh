#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test.sh - the README's second command: installs what is missing, builds
# mprof into build/ and runs the whole test suite with ctest (unit, plugin,
# end-to-end, csmith); as root it mounts tracefs if the machine has not
# (mp_mount_tracefs).  Arguments go to ctest (e.g. `-L e2e`); the exit
# status is ctest's.
set -euo pipefail

case ${1:-} in
-h | --help)
	echo "usage: scripts/test.sh [CTEST-ARGUMENTS...]"
	echo "installs what is missing, builds into build/, runs ctest (e.g. -L e2e, -R NAME)"
	exit 0 ;;
esac

# shellcheck source=deps.sh
. "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

mp_install_missing
mp_mount_tracefs
mp_build

status=0
ctest --test-dir "$MP_ROOT/build" --output-on-failure -j2 "$@" || status=$?
exit "$status"
