# SPDX-License-Identifier: MIT
# mprof list, rm and clean, as Python's mprof: order, format, indices,
# --dry-run, the legacy _ts companions, nothing removed on a bad argument.
. "$(dirname "$0")/lib.sh"

mk() { for f in "$@"; do echo "MEM 1.0 1.0" >"$f"; done; }
mk mprofile_20240102030405.dat mprofile_20231231235959.dat \
   mprofile_20240102030405_ts.dat mprofile_short.dat other.dat

run "$MPROF" list
check "list: oldest first, Python's format" out_is "0 mprofile_20231231235959.dat 23:59:59 31/12/2023
1 mprofile_20240102030405.dat 03:04:05 02/01/2024"
run "$MPROF" rm --dry-run -1
check "rm --dry-run: Python's header, the file and its _ts companion" out_is "Files to be removed: 
mprofile_20240102030405.dat
mprofile_20240102030405_ts.dat"
check "rm --dry-run: removes nothing" test -e mprofile_20240102030405.dat
run "$MPROF" rm 0 nosuch.dat
check "rm: a bad argument is status 1 and removes nothing" eval "status_is 1 && test -e mprofile_20231231235959.dat && err_has \"'nosuch.dat': No such file\""
run "$MPROF" rm 5
check "rm: a bad index is status 1" eval "status_is 1 && err_has 'no profile with index 5'"
mkdir adir
run "$MPROF" rm adir
check "rm: a directory is status 1" eval "status_is 1 && err_has \"'adir' is a directory\""
run "$MPROF" rm
check "rm: nothing to remove is a usage error" eval "status_is 2 && err_has 'a profile to remove must be provided'"
run "$MPROF" rm -1
check "rm INDEX: removes the newest and its _ts file" eval "status_is 0 && test ! -e mprofile_20240102030405.dat && test ! -e mprofile_20240102030405_ts.dat && test -e mprofile_20231231235959.dat"
run "$MPROF" rm other.dat
check "rm FILE: any file named" eval "status_is 0 && test ! -e other.dat"
mk mprofile_20250101000000.dat mprofile_20250101000001.dat
run "$MPROF" clean --dry-run
check "clean --dry-run: lists every profile" out_is "Files to be removed: 
mprofile_20231231235959.dat
mprofile_20250101000000.dat
mprofile_20250101000001.dat"
run "$MPROF" clean
check "clean: removes the profiles, not other files" eval "status_is 0 && [ -z \"\$(ls mprofile_??????????????.dat 2>/dev/null)\" ] && test -e mprofile_short.dat"
run "$MPROF" list
check "list: nothing left" eval 'status_is 0 && [ ! -s out ]'

finish
