/* SPDX-License-Identifier: MIT */
/*
 * test_exit.c - the at-exit report (runtime/exit.c, init.c): where it goes
 * (MPROF_OUTPUT), that it is written once per process, survives fork
 * (children append, %p gives each its own file, a child's report is
 * labelled and starts from empty tables) and is printed whatever the exit
 * status.
 *
 * The runtime reads its settings once per process, so each test runs its
 * scenario in a forked child that sets the environment, installs a fake
 * backend and calls exit(); this process never initialises the runtime.
 */
#define _GNU_SOURCE		/* memmem */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"
#include "mprof_inline.h"

#define MIB (1024 * 1024)

static int64_t mem;

static int64_t fake_read(void)
{
	return mem;
}

static const struct mp_backend fake = { "fake", NULL, fake_read, NULL, NULL,
					NULL };

static struct __mprof_func fn;
static struct __mprof_site fn_s[2] = {
	{ .func = &fn }, { .func = &fn },
};
static const int32_t fn_l[2] = { 300, 301 };
static struct __mprof_func fn = {
	.version = MPROF_ABI_VERSION, .nsites = 2, .file = "/dev/null",
	.dir = "", .name = "exitfn", .first_line = 300, .last_line = 302,
	.sites = fn_s, .lines = fn_l,
};

/* The rows one run_fn() call gives (precision 1).  The "source" is
 * /dev/null: it exists, so the report adds no note about a missing file,
 * and it is empty, so the source column stays blank. */
#define ROW_SIG	"   300      1.0 MiB      1.0 MiB           1"
#define ROW_1	"   301      3.0 MiB      2.0 MiB           1"
#define ROW_BLANK	"\n   300                                         \n"

static void run_fn(void)
{
	struct __mprof_frame *mpf;

	mem = 1 * MIB;
	mpf = __mprof_enter(&fn_s[0]);
	LINE(&fn_s[1], mpf);
	mem = 3 * MIB;
	__mprof_exit(mpf);
}

static char dir[] = "/tmp/mprof-test-exit-XXXXXX";
static char report[PATH_MAX];		/* dir/report.txt */
static char errpath[PATH_MAX];		/* dir/err.txt */

static int make_dir(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(report, sizeof(report), "%s/report.txt", dir);
	snprintf(errpath, sizeof(errpath), "%s/err.txt", dir);
	return 0;
}

static int empty_dir(void **state)
{
	(void)state;
	return dir_empty(dir);
}

static int remove_dir(void **state)
{
	(void)state;
	return dir_remove(dir);
}

static int occurrences(const char *text, const char *needle)
{
	int n = 0;

	while ((text = strstr(text, needle))) {
		n++;
		text++;
	}
	return n;
}

static pid_t last_child;		/* pid of in_child()'s last child */

static int starts_with(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Run `body` in a child that exits with the status body returns. */
static int in_child(int (*body)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = last_child = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (mp_backend_set(&fake) < 0)
			_exit(99);
		exit(body());
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int write_report(void)
{
	setenv("MPROF_OUTPUT", report, 1);
	run_fn();
	return 0;
}

/* MPROF_OUTPUT names the file that gets the tables. */
static void test_report_to_file(void **state)
{
	const char *text;

	(void)state;
	assert_int_equal(in_child(write_report), 0);
	text = slurp(report);
	assert_non_null(text);
	assert_int_equal(occurrences(text, "Filename: /dev/null\n"), 1);
	assert_int_equal(occurrences(text, ROW_SIG), 1);
	assert_int_equal(occurrences(text, ROW_1), 1);
	assert_int_equal(occurrences(text, "Process "), 0);
}

static int run_nothing(void)
{
	setenv("MPROF_OUTPUT", report, 1);
	mp_init();
	return 0;
}

/* With no profiled function run, nothing is written (the file is left
 * empty: it was truncated when the runtime started). */
static void test_nothing_ran(void **state)
{
	const char *text;

	(void)state;
	assert_int_equal(in_child(run_nothing), 0);
	text = slurp(report);
	assert_non_null(text);
	assert_string_equal(text, "");
}

static int fail_after_report(void)
{
	write_report();
	return 3;
}

/* The report is written even when the program exits with a failure. */
static void test_nonzero_exit(void **state)
{
	const char *text;

	(void)state;
	assert_int_equal(in_child(fail_after_report), 3);
	text = slurp(report);
	assert_non_null(text);
	assert_int_equal(occurrences(text, ROW_1), 1);
}

static int stale_file(void)
{
	int fd = open(report, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, "stale\n", 6) != 6)
		return 1;
	close(fd);
	return write_report();
}

/* A report file left by an earlier run is replaced, not appended to. */
static void test_truncates_old_file(void **state)
{
	const char *text;

	(void)state;
	assert_int_equal(in_child(stale_file), 0);
	text = slurp(report);
	assert_non_null(text);
	assert_null(strstr(text, "stale"));
	assert_int_equal(occurrences(text, ROW_1), 1);
}

/* Runs fn, forks a child that runs it again, waits for it, exits. */
static int fork_and_run(void)
{
	int status;
	pid_t pid;

	run_fn();
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		run_fn();
		exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status);
}

static int fork_shared_file(void)
{
	setenv("MPROF_OUTPUT", report, 1);
	return fork_and_run();
}

/* Parent and child share the file: both reports are there, the child's
 * labelled, each counting only its own calls. */
static void test_fork_shares_file(void **state)
{
	const char *text;
	int pid = 0, ppid = 0, len = 0;

	(void)state;
	assert_int_equal(in_child(fork_shared_file), 0);
	text = slurp(report);
	assert_non_null(text);
	assert_int_equal(occurrences(text, "Filename: /dev/null\n"), 2);
	assert_int_equal(occurrences(text, ROW_SIG), 2);
	assert_int_equal(occurrences(text, ROW_1), 2);
	assert_int_equal(occurrences(text, "Process "), 1);
	/* The grandchild finished first: its labelled report comes first. */
	assert_int_equal(sscanf(text, "Process %d (child of %d)%n", &pid,
				&ppid, &len), 2);
	assert_int_equal(ppid, last_child);
	assert_int_not_equal(pid, last_child);
	assert_true(starts_with(text + len, "\n\nFilename: /dev/null\n"));
}

static int fork_pid_files(void)
{
	char tmpl[PATH_MAX + 8];

	snprintf(tmpl, sizeof(tmpl), "%s/r.%%p.txt", dir);
	setenv("MPROF_OUTPUT", tmpl, 1);
	return fork_and_run();
}

/* With %p each process writes a file of its own, named by its pid. */
static void test_fork_pid_files(void **state)
{
	char path[PATH_MAX], label[64];
	const char *text;
	struct dirent *e;
	int files = 0, labelled = 0, pid;
	DIR *d;

	(void)state;
	assert_int_equal(in_child(fork_pid_files), 0);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "r.", 2))
			continue;
		files++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		text = slurp(path);
		assert_non_null(text);
		assert_int_equal(occurrences(text, "Filename: /dev/null\n"), 1);
		assert_int_equal(occurrences(text, ROW_1), 1);
		pid = atoi(e->d_name + 2);
		snprintf(label, sizeof(label), "Process %d (child of %d)\n\n",
			 pid, (int)last_child);
		if (pid == last_child)
			assert_null(strstr(text, "Process "));
		else
			labelled += strncmp(text, label, strlen(label)) == 0;
	}
	closedir(d);
	assert_int_equal(files, 2);
	assert_int_equal(labelled, 1);
}

static int fork_inside(void)
{
	struct __mprof_frame *mpf;
	int status;
	pid_t pid;

	setenv("MPROF_OUTPUT", report, 1);
	mem = 1 * MIB;
	mpf = __mprof_enter(&fn_s[0]);
	LINE(&fn_s[1], mpf);
	pid = fork();
	if (pid < 0)
		return 1;
	mem = 3 * MIB;
	__mprof_exit(mpf);
	if (pid == 0)
		exit(0);
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status);
}

/* A child forked in the middle of a call reports the rest of that call:
 * the lines it ran, without the call itself, which began in the parent. */
static void test_fork_inside_call(void **state)
{
	const char *text, *parent;
	size_t child_len;

	(void)state;
	assert_int_equal(in_child(fork_inside), 0);
	text = slurp(report);
	assert_non_null(text);
	/* The child's report comes first, then the parent's. */
	assert_true(starts_with(text, "Process "));
	parent = strstr(strstr(text, "Filename: ") + 1, "Filename: ");
	assert_non_null(parent);
	assert_int_equal(occurrences(parent, ROW_SIG), 1);
	assert_int_equal(occurrences(parent, ROW_1), 1);
	child_len = (size_t)(parent - text);
	assert_int_equal(occurrences(text, ROW_SIG), 1);
	assert_int_equal(occurrences(text, ROW_1), 2);
	assert_non_null(memmem(text, child_len, ROW_BLANK, strlen(ROW_BLANK)));
	assert_null(memmem(text, child_len, ROW_SIG, strlen(ROW_SIG)));
}

static int relative_then_chdir(void)
{
	if (chdir(dir) < 0)
		return 1;
	setenv("MPROF_OUTPUT", "rel.txt", 1);
	run_fn();
	return chdir("/") < 0;
}

/* A relative MPROF_OUTPUT is resolved when the runtime starts, so a later
 * chdir does not move the report. */
static void test_relative_output(void **state)
{
	char path[PATH_MAX];
	const char *text;

	(void)state;
	assert_int_equal(in_child(relative_then_chdir), 0);
	snprintf(path, sizeof(path), "%s/rel.txt", dir);
	text = slurp(path);
	assert_non_null(text);
	assert_int_equal(occurrences(text, ROW_1), 1);
}

/* Redirect fd `fd` of this (child) process to `path`. */
static int redirect(int fd, const char *path)
{
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (f < 0 || dup2(f, fd) < 0)
		return -1;
	close(f);
	return 0;
}

static int to_stdout(void)
{
	if (redirect(STDOUT_FILENO, report) < 0)
		return 1;
	printf("program output\n");
	setenv("MPROF_OUTPUT", "-", 1);
	run_fn();
	return 0;
}

/* MPROF_OUTPUT=- prints on stdout, after the program's own output. */
static void test_output_stdout(void **state)
{
	const char *text;

	(void)state;
	assert_int_equal(in_child(to_stdout), 0);
	text = slurp(report);
	assert_non_null(text);
	assert_true(starts_with(text, "program output\nFilename: /dev/null\n"));
	assert_int_equal(occurrences(text, ROW_1), 1);
}

static int to_stderr(void)
{
	unsetenv("MPROF_OUTPUT");
	if (redirect(STDERR_FILENO, report) < 0)
		return 1;
	setenv("MPROF_PRECISION", "3", 1);
	setenv("MPROF_BACKEND", "foo", 1);
	run_fn();
	return 0;
}

/* By default the tables go to stderr, after the one line about a bad
 * setting; MPROF_PRECISION sets the decimals. */
static void test_default_stderr(void **state)
{
	const char *text;

	(void)state;
	assert_int_equal(in_child(to_stderr), 0);
	text = slurp(report);
	assert_non_null(text);
	assert_true(starts_with(text,
		"mprof: MPROF_BACKEND: unknown value 'foo' (accepted: rss, pss, uss, vms, heap); using rss\n"
		"Filename: /dev/null\n"));
	assert_int_equal(occurrences(text,
		"   301    3.000 MiB    2.000 MiB           1"), 1);
}

/* Notes made at start and at exit, a bad setting, the report in a file. */
static int notes_to_file(void)
{
	if (redirect(STDERR_FILENO, errpath) < 0)
		return 1;
	setenv("MPROF_OUTPUT", report, 1);
	setenv("MPROF_PRECISION", "x", 1);
	mp_note("mprof: a note made before the runtime started");
	run_fn();
	mp_note("mprof: a note made while the program ran");
	return 0;
}

/* With MPROF_OUTPUT set, the runtime's notes follow the tables in the
 * report file, in the order they were made; stderr has only the line
 * about the bad setting. */
static void test_notes_go_with_report(void **state)
{
	const char *text;

	(void)state;
	assert_int_equal(in_child(notes_to_file), 0);
	text = slurp(errpath);
	assert_non_null(text);
	assert_true(starts_with(text, "mprof: MPROF_PRECISION: "));
	assert_int_equal(occurrences(text, "\n"), 1);
	text = slurp(report);
	assert_non_null(text);
	assert_true(starts_with(text, "Filename: /dev/null\n"));
	assert_non_null(strstr(text, ROW_1));
	assert_non_null(strstr(text, "\n\n\n"
		"mprof: a note made before the runtime started\n"
		"mprof: a note made while the program ran\n"));
	assert_int_equal(text[strlen(text) - 2], 'n');
}

static int notes_to_stderr(void)
{
	char json[PATH_MAX];

	snprintf(json, sizeof(json), "%s/p.json", dir);
	setenv("MPROF_JSON", json, 1);
	unsetenv("MPROF_OUTPUT");
	if (redirect(STDERR_FILENO, report) < 0)
		return 1;
	mp_note("mprof: a note made before the runtime started");
	run_fn();
	mp_note("mprof: a note made while the program ran");
	return 0;
}

/* With the report on stderr, a note is printed when it is made, once;
 * the JSON profile lists them all. */
static void test_notes_on_stderr(void **state)
{
	char json[PATH_MAX];
	const char *text;

	(void)state;
	assert_int_equal(in_child(notes_to_stderr), 0);
	text = slurp(report);
	assert_non_null(text);
	assert_true(starts_with(text,
		"mprof: a note made before the runtime started\n"
		"mprof: a note made while the program ran\n"
		"Filename: /dev/null\n"));
	assert_int_equal(occurrences(text, "mprof: a note"), 2);
	snprintf(json, sizeof(json), "%s/p.json", dir);
	text = slurp(json);
	assert_non_null(text);
	assert_non_null(strstr(text, "  \"notes\": [\n"
		"    \"mprof: a note made before the runtime started\",\n"
		"    \"mprof: a note made while the program ran\"\n  ],\n"));
}

static int drop_events(void)
{
	struct __mprof_frame *mpf;
	unsigned held;

	if (redirect(STDERR_FILENO, errpath) < 0)
		return 1;
	setenv("MPROF_OUTPUT", report, 1);
	run_fn();
	held = mp_probe_hold();
	mpf = __mprof_enter(&fn_s[0]);	/* no frame kept: its events drop */
	mp_probe_release(held);
	LINE(&fn_s[1], mpf);
	LINE(&fn_s[1], mpf);
	return 0;
}

/* The count of dropped events ends the report file; stderr stays empty. */
static void test_dropped_note_in_report(void **state)
{
	const char *text;

	(void)state;
	assert_int_equal(in_child(drop_events), 0);
	text = slurp(errpath);
	assert_non_null(text);
	assert_string_equal(text, "");
	text = slurp(report);
	assert_non_null(text);
	assert_non_null(strstr(text, ROW_1));
	assert_non_null(strstr(text, "\n\n\nmprof: 2 probe events dropped ("));
}

static int note_only(void)
{
	setenv("MPROF_OUTPUT", report, 1);
	mp_init();
	mp_note("mprof: nothing ran, but this was said");
	return 0;
}

/* No table, yet a note: the report file holds the note. */
static void test_note_without_tables(void **state)
{
	const char *text;

	(void)state;
	assert_int_equal(in_child(note_only), 0);
	text = slurp(report);
	assert_non_null(text);
	assert_string_equal(text, "mprof: nothing ran, but this was said\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_report_to_file, empty_dir),
		cmocka_unit_test_teardown(test_nothing_ran, empty_dir),
		cmocka_unit_test_teardown(test_nonzero_exit, empty_dir),
		cmocka_unit_test_teardown(test_truncates_old_file, empty_dir),
		cmocka_unit_test_teardown(test_fork_shares_file, empty_dir),
		cmocka_unit_test_teardown(test_fork_pid_files, empty_dir),
		cmocka_unit_test_teardown(test_fork_inside_call, empty_dir),
		cmocka_unit_test_teardown(test_relative_output, empty_dir),
		cmocka_unit_test_teardown(test_output_stdout, empty_dir),
		cmocka_unit_test_teardown(test_default_stderr, empty_dir),
		cmocka_unit_test_teardown(test_notes_go_with_report, empty_dir),
		cmocka_unit_test_teardown(test_notes_on_stderr, empty_dir),
		cmocka_unit_test_teardown(test_note_without_tables, empty_dir),
		cmocka_unit_test_teardown(test_dropped_note_in_report, empty_dir),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
