# SPDX-License-Identifier: MIT
# The command itself: help, usage, exit statuses, unknown commands and
# options for every subcommand, a failed write to stdout.
. "$(dirname "$0")/lib.sh"

run "$MPROF"
check "no command: usage on stderr, status 2" eval 'status_is 2 && err_has "^usage: mprof <command>"'
run "$MPROF" help
check "help: the commands on stdout, status 0" eval 'status_is 0 && out_has "^    run " && out_has "^    clean " && [ ! -s err ]'
run "$MPROF" --help
check "--help: same as help" eval 'status_is 0 && out_has "^usage: mprof <command>"'
run "$MPROF" --version
check "--version" eval 'status_is 0 && out_has "^mprof [0-9]+\.[0-9]+"'
run "$MPROF" frobnicate
check "unknown command: status 2" eval "status_is 2 && err_has \"^mprof: 'frobnicate' is not an mprof command\""
run "$MPROF" help
check "help lists report" out_has "^    report "
run "$MPROF" --frob
check "unknown top-level option: status 2" eval "status_is 2 && err_has \"unknown option '--frob'\""

for c in run attach plot peak list rm clean report; do
	run "$MPROF" help "$c"
	check "help $c: its usage" eval "status_is 0 && out_has '^usage: mprof $c'"
	run "$MPROF" "$c" -h
	check "$c -h: its usage on stdout" eval "status_is 0 && out_has '^usage: mprof $c' && [ ! -s err ]"
	run "$MPROF" "$c" --no-such-option
	check "$c rejects an unknown long option with status 2" eval "status_is 2 && err_has \"^mprof: unknown option '--no-such-option'\" && err_has '^usage: mprof $c'"
	run "$MPROF" "$c" -Z
	check "$c rejects an unknown short option with status 2" eval "status_is 2 && err_has \"^mprof: unknown option '-Z'\""
done
run "$MPROF" help nope
check "help of an unknown command: status 2" eval 'status_is 2'

run "$MPROF" run
check "run without a program: status 2" eval 'status_is 2 && err_has "a program to run must be provided"'
run "$MPROF" run -T 0 true
check "run -T 0: status 2" eval 'status_is 2 && err_has "interval must be more than 0"'
run "$MPROF" run -T abc true
check "run -T abc: status 2" eval "status_is 2 && err_has \"option '-T' takes a number of seconds, not 'abc'\""
run "$MPROF" run --interval=-1 true
check "run --interval=-1: status 2" eval "status_is 2 && err_has \"option '--interval' takes a number\""
run "$MPROF" run --backend heap true
check "run --backend heap: status 2" eval "status_is 2 && err_has \"unknown backend 'heap'\""
run "$MPROF" run -o
check "run -o without a value: status 2" eval "status_is 2 && err_has \"option '-o' needs a value\""
run "$MPROF" run -E=1 true
check "a flag given a value: status 2" eval 'status_is 2'
run "$MPROF" run --exit-code=yes true
check "a long flag given a value: status 2" eval "status_is 2 && err_has \"option '--exit-code' takes no value\""
run "$MPROF" attach
check "attach without a pid: status 2" eval 'status_is 2'
run "$MPROF" attach -E 1
check "attach has no -E: status 2" eval "status_is 2 && err_has \"unknown option '-E'\""
run "$MPROF" list extra
check "list takes no argument: status 2" eval 'status_is 2'
run "$MPROF" clean extra
check "clean takes no argument: status 2" eval 'status_is 2'
run "$MPROF" plot -w 3,1
check "plot -w with A >= B: status 2" eval 'status_is 2 && err_has "option .--window. takes A,B"'
run "$MPROF" plot -o x.jpg
check "plot to an unknown format: status 2" eval 'status_is 2 && err_has "use .png, .svg or .pdf"'
ls >listing
check "no file was created by usage errors" eval '[ "$(cat listing)" = "err
listing
out" ]'

touch mprofile_20240101000000.dat
if [ -w /dev/full ]; then
	"$MPROF" list >/dev/full 2>err
	status=$?
	check "list to a full disk fails with status 1" eval 'status_is 1 && err_has "cannot write to stdout"'
fi

finish
