/* SPDX-License-Identifier: MIT */
/*
 * mprof.c - the `mprof` command: the table of subcommands, every usage
 * text, and main(), the only place that exits.
 *
 * Subcommands follow Python's mprof (README.md, "Memory over time", and
 * docs/mprof-run.md): run, attach, plot, peak, list, rm, clean, plus report
 * (the line tables again, from a profile the runtime saved as JSON) and
 * help, and the memory gates check and diff (docs/gates.md).
 *
 * Exit statuses: 0 ok, 1 failure, 2 usage error; `run -E` passes on the
 * program's own.  If a command that prints results cannot write them
 * (CMD_STDOUT, e.g. `mprof list >/dev/full`) it fails with status 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef MPROF_VERSION
#define MPROF_VERSION "0.0.0"
#endif

const struct cmd commands[] = {
	{ "run", cmd_run, 0 },
	{ "attach", cmd_attach, 0 },
	{ "plot", cmd_plot, CMD_STDOUT },
	{ "peak", cmd_peak, CMD_STDOUT },
	{ "list", cmd_list, CMD_STDOUT },
	{ "rm", cmd_rm, CMD_STDOUT },
	{ "clean", cmd_clean, CMD_STDOUT },
	{ "report", cmd_report, CMD_STDOUT },
	{ "check", cmd_check, CMD_STDOUT },
	{ "diff", cmd_diff, CMD_STDOUT },
	{ "lines", cmd_lines, 0 },
	{ "help", cmd_help, CMD_STDOUT },
};
const size_t ncommands = sizeof commands / sizeof commands[0];

const char usage_main[] =
	"usage: mprof <command> [<options>] [<arguments>]\n"
	"\n"
	"Sample the memory of a program over time and plot it, as Python's\n"
	"mprof does, for any executable.\n"
	"\n"
	"commands:\n"
	"    run      run a program and sample its memory into a .dat file\n"
	"    attach   sample a running process, by pid or name\n"
	"    plot     plot memory over time from .dat files\n"
	"    peak     print the peak memory of .dat files\n"
	"    list     list the mprofile_*.dat files here, with indices\n"
	"    rm       remove .dat files, by name or index\n"
	"    clean    remove every mprofile_*.dat file here\n"
	"    report   print the line tables of a profile saved as JSON\n"
	"    check    check a profile against memory limits (a CI gate)\n"
	"    diff     compare two profiles line by line\n"
	"    lines    per-line memory tables of a program built with -g,\n"
	"             without rebuilding it\n"
	"    help     show this text, or a command's usage\n"
	"\n"
	"'mprof <command> -h' or 'mprof help <command>' describes a command.\n";

/* One entry per command, same order as commands[]. */
static const struct {
	const char *name;
	const char *text;
} usages[] = {
	{ "run",
	  "usage: mprof run [<options>] PROGRAM [ARGS...]\n"
	  "\n"
	  "Run PROGRAM (looked up in PATH) and sample its memory into\n"
	  "mprofile_<YYYYMMDDhhmmss>.dat in the current directory.  The\n"
	  "program's stdin, stdout and stderr are its own; it finds the path\n"
	  "of the .dat in MPROF_DAT (a program built with the mprof plugin\n"
	  "appends its FUNC records there).\n"
	  "\n"
	  "    -T, --interval S         seconds between samples (default 0.1)\n"
	  "    -t, --timeout S          stop sampling after S seconds (the\n"
	  "                             program runs on to its end)\n"
	  "    -C, --include-children   add the memory of child processes\n"
	  "    -M, --multiprocess       a CHLD series per child process\n"
	  "    -E, --exit-code          exit with the program's status\n"
	  "                             (128+N when killed by signal N)\n"
	  "    -o, --output FILE        write the samples to FILE\n"
	  "        --backend B          rss (default), pss, uss or vms\n"
	  "        --funcs WHICH        the FUNC records a program built with\n"
	  "                             the plugin writes: long (default: a\n"
	  "                             record per call of at least the\n"
	  "                             interval, shorter calls merged, none\n"
	  "                             inside a recursion), all or none\n"
	  "    -h, --help               show this text\n" },
	{ "attach",
	  "usage: mprof attach [<options>] PID|NAME\n"
	  "\n"
	  "Sample a running process (by pid, or the first whose name contains\n"
	  "NAME) until it exits, the timeout expires, or Ctrl-C.\n"
	  "\n"
	  "    -T, --interval S         seconds between samples (default 0.1)\n"
	  "    -t, --timeout S          stop after S seconds (default 3600;\n"
	  "                             0: no limit)\n"
	  "    -C, --include-children   add the memory of child processes\n"
	  "    -M, --multiprocess       a CHLD series per child process\n"
	  "    -o, --output FILE        write the samples to FILE\n"
	  "        --backend B          rss (default), pss, uss or vms\n"
	  "    -h, --help               show this text\n" },
	{ "plot",
	  "usage: mprof plot [<options>] [FILE|INDEX...]\n"
	  "\n"
	  "Plot memory over time from .dat files (default: the newest\n"
	  "mprofile_*.dat here; INDEX as in 'mprof list', -1 the newest).\n"
	  "Several files are overlaid.  Without -o the plot goes to the\n"
	  "first file's name with .png for .dat.\n"
	  "\n"
	  "    -o, --output FILE        write FILE (.png, .svg or .pdf)\n"
	  "    -t, --title TITLE        title (default: the command line)\n"
	  "    -n, --no-function-ts     hide function brackets (FUNC)\n"
	  "    -w, --window A,B         only the seconds A to B\n"
	  "    -f, --flame              function calls as a flame graph\n"
	  "    -s, --slope              trend lines and their slope (MiB/s)\n"
	  "    -h, --help               show this text\n" },
	{ "peak",
	  "usage: mprof peak [<options>] [FILE|INDEX...]\n"
	  "\n"
	  "Print the peak memory of each file (default: the newest\n"
	  "mprofile_*.dat here), and of each child process it recorded.\n"
	  "\n"
	  "    --func NAME              peak while function NAME ran\n"
	  "    -h, --help               show this text\n" },
	{ "list",
	  "usage: mprof list\n"
	  "\n"
	  "List the mprofile_*.dat files here, oldest first, with the index\n"
	  "that plot, peak and rm accept.\n"
	  "\n"
	  "    -h, --help               show this text\n" },
	{ "rm",
	  "usage: mprof rm [--dry-run] FILE|INDEX...\n"
	  "\n"
	  "Remove the given .dat files (and their legacy _ts companions).\n"
	  "\n"
	  "    --dry-run                show what would be removed\n"
	  "    -h, --help               show this text\n" },
	{ "clean",
	  "usage: mprof clean [--dry-run]\n"
	  "\n"
	  "Remove every mprofile_*.dat file in the current directory.\n"
	  "\n"
	  "    --dry-run                show what would be removed\n"
	  "    -h, --help               show this text\n" },
	{ "report",
	  "usage: mprof report [<options>] [FILE]\n"
	  "   or: mprof report --html DIR [<options>] [FILE] [RUN.dat]\n"
	  "\n"
	  "Print the line tables of a profile the program saved as JSON\n"
	  "(MPROF_JSON=FILE), exactly as it printed them at exit; the source\n"
	  "is read again.  Default: the newest mprofile_*.json here; - reads\n"
	  "standard input.\n"
	  "\n"
	  "        --precision N        decimals of the MiB figures (0 to 10;\n"
	  "                             default: the run's MPROF_PRECISION)\n"
	  "        --columns LIST       only these optional columns (time,\n"
	  "                             allocs, peak, leaked, all) of those\n"
	  "                             the run recorded (MPROF_COLUMNS)\n"
	  "        --json               print the profile as normalised JSON\n"
	  "        --top N              print the N lines with the largest\n"
	  "                             figure across the whole profile\n"
	  "        --by COLUMN          rank by increment (default), mem,\n"
	  "                             occurrences, or an optional column\n"
	  "                             the profile has: time, allocs,\n"
	  "                             allocated, peak, leaked\n"
	  "        --signatures         rank signature rows too\n"
	  "        --pprof OUT          write the profile for pprof (gzipped\n"
	  "                             profile.proto; --by: its default\n"
	  "                             sample type)\n"
	  "        --html DIR           write an HTML report into DIR: top lines,\n"
	  "                             functions, annotated source, and RUN.dat's\n"
	  "                             memory curve when given\n"
	  "    -h, --help               show this text\n" },
	{ "check",
	  "usage: mprof check [<options>] PROFILE.json\n"
	  "\n"
	  "Check a profile saved as JSON (MPROF_JSON=FILE; - reads standard\n"
	  "input) against memory limits.  Each violation is one line on\n"
	  "stderr in the compiler's format,\n"
	  "'file:line: error: <rule> exceeded (<figures>) in <func>'.\n"
	  "Exit status: 0 every rule holds, 1 one does not, 2 usage error,\n"
	  "unreadable profile or bad lines in the budget file.  SIZE: bytes,\n"
	  "or 512K, 24MiB, 1.5G (K, M, G = 1024^n; KB, MB, GB = 1000^n).\n"
	  "Signature rows (the memory at entry) count only for --max-peak.\n"
	  "\n"
	  "        --max-line SIZE      no line's Increment above SIZE\n"
	  "        --max-peak SIZE      no Mem usage above SIZE (the highest\n"
	  "                             one is checked)\n"
	  "        --baseline BASE.json the profile to compare with\n"
	  "        --max-growth SIZE|PCT\n"
	  "                             per line, new Increment minus the\n"
	  "                             baseline's at most SIZE, or PCT% of\n"
	  "                             the baseline's (lines matched across\n"
	  "                             edits; new lines count from 0)\n"
	  "        --budget FILE        per-function and per-file limits:\n"
	  "                             lines 'function GLOB RULE LIMIT' or\n"
	  "                             'file GLOB RULE LIMIT' (RULE:\n"
	  "                             max-line, max-peak, max-growth; LIMIT:\n"
	  "                             a size, none, or PCT% for growth)\n"
	  "    -h, --help               show this text\n" },
	{ "diff",
	  "usage: mprof diff [<options>] BASE.json NEW.json\n"
	  "\n"
	  "Compare two profiles saved as JSON, function by function: each\n"
	  "line whose Increment changed, with the base, new and delta\n"
	  "Increment (and the delta of the optional columns both recorded).\n"
	  "Lines are matched across edits: by source text when both runs'\n"
	  "files can be read, else by distance from the signature.\n"
	  "Exit status: 0, or 1 when --max-growth is exceeded (each line\n"
	  "named on stderr as 'mprof check' does); 2 usage error or\n"
	  "unreadable profile.\n"
	  "\n"
	  "        --threshold SIZE     only lines whose Increment changed by\n"
	  "                             more than SIZE (default: 0)\n"
	  "        --max-growth SIZE|PCT\n"
	  "                             fail when a line's Increment grew by\n"
	  "                             more than SIZE, or PCT% of the base's\n"
	  "        --json               print the comparison as JSON\n"
	  "    -h, --help               show this text\n" },
	{ "lines",
	  "usage: mprof lines [<options>] PROGRAM [ARGS...]\n"
	  "\n"
	  "Run PROGRAM (built with -g, no plugin needed) and print, at its\n"
	  "end, memory per source line for the functions where memory grew\n"
	  "most, on stderr; the profile goes to mprofile_<YYYYMMDDhhmmss>.json\n"
	  "for 'mprof report'.  Occurrences counts the events charged to a\n"
	  "line (page faults, or allocation calls), not executions.\n"
	  "\n"
	  "        --backend B          rss (default: page faults, through\n"
	  "                             perf events) or heap (bytes asked of\n"
	  "                             malloc & co., exact)\n"
	  "        --functions N        tables for the N functions that grew\n"
	  "                             memory most (default 5; 0: all)\n"
	  "    -C, --include-children   one profile for the program and its\n"
	  "                             children (default: one each)\n"
	  "    -E, --exit-code          exit with the program's status\n"
	  "                             (128+N when killed by signal N)\n"
	  "    -o, --output FILE        write the JSON profile to FILE\n"
	  "    -h, --help               show this text\n" },
	{ "help",
	  "usage: mprof help [COMMAND]\n"
	  "\n"
	  "Show the list of commands, or COMMAND's usage.\n" },
};

const char *usage_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof usages / sizeof usages[0]; i++)
		if (strcmp(usages[i].name, name) == 0)
			return usages[i].text;
	return usage_main;
}

const struct cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ncommands; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * Run a command and check that what it printed reached stdout; a command
 * whose output is lost (disk full, closed pipe) must not report success.
 */
static int run_command(const struct cmd *c, int argc, char **argv)
{
	int rc = c->fn(argc, argv);

	if (c->flags & CMD_STDOUT) {
		if (fflush(stdout) || ferror(stdout)) {
			if (errno != EPIPE)
				error("cannot write to stdout: %s",
				      strerror(errno));
			return EXIT_FAIL;
		}
	}
	return rc;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_main, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("mprof %s\n", MPROF_VERSION);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c) {
		if (argv[1][0] == '-')
			error("unknown option '%s'", argv[1]);
		else
			error("'%s' is not an mprof command (see 'mprof help')",
			      argv[1]);
		return EXIT_USAGE;
	}
	return run_command(c, argc - 1, argv + 1);
}
