/* SPDX-License-Identifier: MIT */
/*
 * test_jsonout.c - MPROF_JSON (runtime/jsonout.c): the runtime writes the
 * profile it printed as JSON, which reads back (report/jsonread.c) into the
 * same table; what it records about the run (pid, precision, backend);
 * an empty profile when nothing ran; truncation at start, so a crash
 * leaves no stale profile; %p and fork (a child writes only to a file of
 * its own); "-" for stdout; a relative name and chdir; a bad name.
 *
 * As in test_exit.c, each scenario runs in a forked child that sets the
 * environment and calls exit(); this process never initialises the
 * runtime.
 */
#define _GNU_SOURCE
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
#include "jsonread.h"
#include "profile.h"

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
	.dir = "", .name = "jsonfn", .first_line = 300, .last_line = 302,
	.sites = fn_s, .lines = fn_l,
};

static void run_fn(void)
{
	struct __mprof_frame *mpf;

	mem = 1 * MIB;
	mpf = __mprof_enter(&fn_s[0]);
	LINE(&fn_s[1], mpf);
	mem = 3 * MIB;
	__mprof_exit(mpf);
}

static char dir[] = "/tmp/mprof-test-jsonout-XXXXXX";
static char json[PATH_MAX];		/* dir/p.json */
static char report[PATH_MAX];		/* dir/report.txt */
static char errfile[PATH_MAX];		/* the child's stderr */

static int make_dir(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(json, sizeof json, "%s/p.json", dir);
	snprintf(report, sizeof report, "%s/report.txt", dir);
	snprintf(errfile, sizeof errfile, "%s/err.txt", dir);
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

static pid_t last_child;

/* Run `body` in a child (stderr to errfile) that exits with its status. */
static int in_child(int (*body)(void), int fake_backend)
{
	int status, fd;
	pid_t pid;

	fflush(NULL);
	pid = last_child = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(98);
		close(fd);
		if (fake_backend && mp_backend_set(&fake) < 0)
			_exit(99);
		exit(body());
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Read a JSON profile or fail the test with the reader's message. */
static void read_json(const char *path, struct mp_profile *p,
		      struct mp_json_meta *m)
{
	char err[512];

	mp_profile_init(p);
	if (mp_json_read(path, p, m, err, sizeof err))
		fail_msg("%s", err);
}

static int table_and_json(void)
{
	setenv("MPROF_OUTPUT", report, 1);
	setenv("MPROF_JSON", json, 1);
	setenv("MPROF_PRECISION", "3", 1);
	run_fn();
	return 0;
}

/* The JSON holds what the table showed: printed again from it, the table
 * is the same to the byte; pid and precision are the run's. */
static void test_same_table(void **state)
{
	struct mp_report_opts opts;
	struct mp_json_meta m;
	struct mp_profile p;
	char *buf = NULL, *table;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(in_child(table_and_json, 1), 0);
	read_json(json, &p, &m);
	assert_int_equal(m.pid, last_child);
	assert_int_equal(m.parent, 0);
	assert_int_equal(m.precision, 3);
	assert_string_equal(m.backend, "");
	assert_int_equal(p.nfuncs, 1);
	assert_string_equal(p.funcs[0].name, "jsonfn");
	assert_int_equal(p.funcs[0].nrows, 2);
	assert_true(p.funcs[0].rows[1].incr == 2 * MIB);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	opts.precision = m.precision;
	assert_int_equal(mp_report_print(f, &p, &opts), 0);
	assert_int_equal(fclose(f), 0);
	table = strdup(slurp(report));
	assert_non_null(table);
	assert_string_equal(buf, table);
	free(table);
	assert_string_equal(slurp(errfile), "");
	free(buf);
	mp_profile_free(&p);
}

static int real_backend(void)
{
	setenv("MPROF_OUTPUT", report, 1);
	setenv("MPROF_JSON", json, 1);
	setenv("MPROF_BACKEND", "vms", 1);
	run_fn();
	return 0;
}

/* "backend" names the backend that measured. */
static void test_backend_name(void **state)
{
	struct mp_json_meta m;
	struct mp_profile p;

	(void)state;
	assert_int_equal(in_child(real_backend, 0), 0);
	read_json(json, &p, &m);
	assert_string_equal(m.backend, "vms");
	mp_profile_free(&p);
}

static int nothing_runs(void)
{
	setenv("MPROF_JSON", json, 1);
	mp_init();
	return 0;
}

/* With no profiled function run, the profile is still written, empty. */
static void test_nothing_ran(void **state)
{
	struct mp_json_meta m;
	struct mp_profile p;

	(void)state;
	assert_int_equal(in_child(nothing_runs, 1), 0);
	read_json(json, &p, &m);
	assert_int_equal(p.nfuncs, 0);
	assert_int_equal(m.pid, last_child);
}

static int crash_after_start(void)
{
	int fd = open(json, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, "stale\n", 6) != 6)
		return 1;
	close(fd);
	setenv("MPROF_JSON", json, 1);
	run_fn();
	_exit(0);		/* no exit handlers: as a crash would */
}

/* The file is truncated when the runtime starts: a run that dies leaves
 * it empty, never an earlier run's profile. */
static void test_truncated_at_start(void **state)
{
	(void)state;
	assert_int_equal(in_child(crash_after_start, 1), 0);
	assert_string_equal(slurp(json), "");
}

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
		run_fn();
		exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status);
}

static int fork_shared_name(void)
{
	setenv("MPROF_OUTPUT", report, 1);
	setenv("MPROF_JSON", json, 1);
	return fork_and_run();
}

/* Without %p a forked child writes nothing: the file is the parent's. */
static void test_fork_without_pid(void **state)
{
	struct mp_json_meta m;
	struct mp_profile p;

	(void)state;
	assert_int_equal(in_child(fork_shared_name, 1), 0);
	read_json(json, &p, &m);
	assert_int_equal(m.pid, last_child);
	assert_int_equal(m.parent, 0);
	assert_int_equal(p.nfuncs, 1);
	assert_true(p.funcs[0].rows[0].count == 1);
	mp_profile_free(&p);
}

static int fork_pid_names(void)
{
	char tmpl[PATH_MAX + 16];

	snprintf(tmpl, sizeof tmpl, "%s/j.%%p.json", dir);
	setenv("MPROF_OUTPUT", report, 1);
	setenv("MPROF_JSON", tmpl, 1);
	return fork_and_run();
}

/* With %p each process writes its own file; the child's names its parent
 * and counts only its own calls. */
static void test_fork_with_pid(void **state)
{
	char path[PATH_MAX];
	struct mp_json_meta m;
	struct mp_profile p;
	struct dirent *e;
	int files = 0, children = 0;
	DIR *d;

	(void)state;
	assert_int_equal(in_child(fork_pid_names, 1), 0);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "j.", 2))
			continue;
		files++;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		read_json(path, &p, &m);
		assert_int_equal(m.pid, atoi(e->d_name + 2));
		assert_int_equal(p.nfuncs, 1);
		if (m.pid == last_child) {
			assert_int_equal(m.parent, 0);
			assert_true(p.funcs[0].rows[0].count == 1);
		} else {
			children++;
			assert_int_equal(m.parent, last_child);
			assert_true(p.funcs[0].rows[0].count == 2);
		}
		mp_profile_free(&p);
	}
	closedir(d);
	assert_int_equal(files, 2);
	assert_int_equal(children, 1);
}

static int to_stdout(void)
{
	int fd = open(json, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		return 1;
	close(fd);
	printf("program output\n");
	fflush(stdout);
	setenv("MPROF_OUTPUT", report, 1);
	setenv("MPROF_JSON", "-", 1);
	return fork_and_run();
}

/* MPROF_JSON=- prints on stdout after the program's output, once: a
 * forked child does not add a second document. */
static void test_stdout(void **state)
{
	struct mp_json_meta m;
	struct mp_profile p;
	const char *text;
	char err[256];

	(void)state;
	assert_int_equal(in_child(to_stdout, 1), 0);
	text = slurp(json);
	assert_non_null(text);
	assert_int_equal(strncmp(text, "program output\n{\n", 17), 0);
	text += strlen("program output\n");
	mp_profile_init(&p);
	assert_int_equal(mp_json_parse(text, strlen(text), "stdout", &p, &m,
				       err, sizeof err), 0);
	assert_int_equal(m.pid, last_child);
	mp_profile_free(&p);
}

static int relative_then_chdir(void)
{
	if (chdir(dir) < 0)
		return 1;
	setenv("MPROF_OUTPUT", report, 1);
	setenv("MPROF_JSON", "rel.json", 1);
	run_fn();
	return chdir("/") < 0;
}

/* A relative name is resolved when the runtime starts. */
static void test_relative_name(void **state)
{
	char path[PATH_MAX + 16];
	struct mp_json_meta m;
	struct mp_profile p;

	(void)state;
	assert_int_equal(in_child(relative_then_chdir, 1), 0);
	snprintf(path, sizeof path, "%s/rel.json", dir);
	read_json(path, &p, &m);
	assert_int_equal(p.nfuncs, 1);
	mp_profile_free(&p);
}

static int bad_name(void)
{
	setenv("MPROF_OUTPUT", report, 1);
	setenv("MPROF_JSON", "/nonexistent-dir/p.json", 1);
	run_fn();
	return 0;
}

/* A file that cannot be made: one line at start, the program runs on. */
static void test_bad_name(void **state)
{
	(void)state;
	assert_int_equal(in_child(bad_name, 1), 0);
	assert_string_equal(slurp(errfile),
		"mprof: MPROF_JSON: cannot open '/nonexistent-dir/p.json': No such file or directory; no JSON profile\n");
	assert_non_null(strstr(slurp(report), "Filename: /dev/null"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_same_table, empty_dir),
		cmocka_unit_test_teardown(test_backend_name, empty_dir),
		cmocka_unit_test_teardown(test_nothing_ran, empty_dir),
		cmocka_unit_test_teardown(test_truncated_at_start, empty_dir),
		cmocka_unit_test_teardown(test_fork_without_pid, empty_dir),
		cmocka_unit_test_teardown(test_fork_with_pid, empty_dir),
		cmocka_unit_test_teardown(test_stdout, empty_dir),
		cmocka_unit_test_teardown(test_relative_name, empty_dir),
		cmocka_unit_test_teardown(test_bad_name, empty_dir),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
