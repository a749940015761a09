# SPDX-License-Identifier: MIT
# `cmake --install` puts the command, its man page and its bash
# completion in place (component cli); the man page renders; the
# completion offers the subcommands and each one's options.
. "$(dirname "$0")/lib.sh"

run cmake --install "$BUILDDIR" --component cli --prefix "$tmp/inst"
check "install: status 0" status_is 0
check "install: bin/mprof runs" eval '"$tmp/inst/bin/mprof" --version | grep -q "^mprof "'
check "install: share/man/man1/mprof.1" test -s "$tmp/inst/share/man/man1/mprof.1"
check "install: share/bash-completion/completions/mprof" test -s "$tmp/inst/share/bash-completion/completions/mprof"
if command -v groff >/dev/null; then
	run groff -man -Tutf8 -ww -z "$SRCDIR/cli/mprof.1"
	check "man page: groff renders it without warnings" eval 'status_is 0 && [ ! -s err ]'
fi

complete_words() {
	bash -c '
		complete() { :; }
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_mprof
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$SRCDIR/cli/mprof.bash-completion" "$@"
}
check "completion: subcommands" eval '[ "$(complete_words mprof "" | sort | tr "\n" " ")" = "attach check clean diff help lines list peak plot report rm run " ]'
check "completion: run options" eval 'complete_words mprof run --in | grep -qx -- --interval'
check "completion: plot options" eval 'complete_words mprof plot --fl | grep -qx -- --flame'
check "completion: --backend values" eval '[ "$(complete_words mprof run --backend "" | sort | tr "\n" " ")" = "pss rss uss vms " ]'
check "completion: lines --backend values" eval '[ "$(complete_words mprof lines --backend "" | sort | tr "\n" " ")" = "heap rss " ]'
touch mprofile_20240101000000.dat other.txt p.json
check "completion: plot offers .dat files" eval '[ "$(complete_words mprof plot "" | grep -v "^-")" = mprofile_20240101000000.dat ]'
check "completion: report offers .json files" eval '[ "$(complete_words mprof report "" | grep -v "^-")" = p.json ]'
check "completion: report options" eval 'complete_words mprof report --pr | grep -qx -- --precision'
check "completion: check options" eval 'complete_words mprof check --max-g | grep -qx -- --max-growth'
check "completion: check --baseline offers .json files" eval '[ "$(complete_words mprof check --baseline "")" = p.json ]'
check "completion: diff offers .json files" eval '[ "$(complete_words mprof diff p.json "" | grep -v "^-")" = p.json ]'

finish
