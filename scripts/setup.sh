#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# setup.sh - the README's first command on a fresh Debian 12 machine:
# installs what is missing (apt-get), builds mprof into build/ (the samples
# into build/samples), then builds samples/basic.c with the plugin, as a
# user would, and runs it so that its line table prints.
set -euo pipefail

if [ $# -gt 0 ]; then
	case $1 in
	-h | --help)
		echo "usage: scripts/setup.sh"
		echo "installs the Debian packages mprof needs (apt-get), builds it into build/,"
		echo "then builds and runs samples/basic.c with the plugin"
		exit 0 ;;
	*) echo "usage: scripts/setup.sh" >&2; exit 2 ;;
	esac
fi

# shellcheck source=deps.sh
. "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

mp_install_missing
mp_build

cd "$MP_ROOT/samples"
cmd=("${CC:-gcc}" -g -O2 -fplugin=../build/lib/mprof.so basic.c -o ../build/samples/basic)
echo "+ (cd samples && ${cmd[*]} && ../build/samples/basic)"
"${cmd[@]}"
../build/samples/basic
