/* SPDX-License-Identifier: MIT */
/*
 * invariant.c - unit.invariant, built only when the runtime checks its
 * invariants (MPROF_ASSERT=ON or the Debug build type: runtime/invariant.h):
 * proof that this build checks them.  Each test breaks one invariant in a
 * forked child, which must die of SIGABRT after one line on stderr naming
 * it; the same calls kept within the rules must not stop the program.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "counts.h"
#include "internal.h"

static struct __mprof_site f_sites[2];
static const int32_t f_lines[2] = { 1, 2 };
static struct __mprof_func f = {
	.version = MPROF_ABI_VERSION, .nsites = 2, .file = "f.c", .dir = "/",
	.name = "f", .first_line = 1, .last_line = 2, .sites = f_sites, .lines = f_lines,
};

/*
 * Run `fn` in a child with stderr into a pipe; the child's wait status,
 * and what it printed into `err`.
 */
static int in_child(void (*fn)(void), char *err, size_t size)
{
	int fds[2], status = 0;
	ssize_t n, got = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		fn();
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], err + got, size - 1 - (size_t)got)) > 0)
		got += n;
	err[got] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_aborted(int status, const char *err, const char *cond)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(err, "mprof: "));
	assert_non_null(strstr(err, cond));
	assert_non_null(strstr(err, "' broken\n"));
}

static void register_twice(void)
{
	mp_registry_add(&f);
	f.registered = 0;		/* as if bit 0 had not elected a pusher */
	mp_registry_add(&f);
}

static void register_once(void)
{
	mp_registry_add(&f);
	mp_registry_add(&f);
}

/* A function is in the registry's chain once. */
static void test_registry_once(void **state)
{
	char err[512];

	(void)state;
	assert_aborted(in_child(register_twice, err, sizeof err), err,
		       "invariant `!listed(fn)'");
	assert_int_equal(in_child(register_once, err, sizeof err), 0);
	assert_string_equal(err, "");
}

static void count_after_leaving(void)
{
	struct mp_table *t;

	mp_counts_join(&t);		/* the owner */
	mp_counts_join(&t);		/* a table of its own */
	mp_counts_leave(t);
	mp_counts_get(t, &f);
}

static void count_while_holding(void)
{
	struct mp_table *t;

	mp_counts_join(&t);
	mp_counts_join(&t);
	mp_counts_get(t, &f);
	mp_counts_leave(t);
}

/* Only the thread that holds a table counts in it. */
static void test_counts_single_writer(void **state)
{
	char err[512];

	(void)state;
	assert_aborted(in_child(count_after_leaving, err, sizeof err), err,
		       "counts.c:");
	assert_int_equal(in_child(count_while_holding, err, sizeof err), 0);
	assert_string_equal(err, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_once),
		cmocka_unit_test(test_counts_single_writer),
	};

	f_sites[0].func = f_sites[1].func = &f;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
