#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# setup.sh - the README's first command on a fresh Debian 12 machine:
# installs what is missing (apt-get), builds mprof into build/, then builds
# samples/basic.c with the plugin, as a user would, and runs it so that its
# line table prints.
set -euo pipefail

# shellcheck source=deps.sh
. "$(dirname "${BASH_SOURCE[0]}")/deps.sh"

mp_install_missing
mp_build

cd "$MP_ROOT/samples"
cmd=("${CC:-gcc}" -g -O2 -fplugin=../build/lib/mprof.so basic.c -o ../build/basic)
echo "+ (cd samples && ${cmd[*]} && ../build/basic)"
"${cmd[@]}"
../build/basic
