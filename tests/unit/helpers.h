/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - what the cmocka tests of tests/unit share: a scratch
 * directory emptied and removed by their fixtures, a small file read whole,
 * a scenario run in a forked child, and, for the tests that check what happens when memory runs out, a
 * malloc and realloc that fail on demand.
 *
 * Header-only: each test is one translation unit, and includes this after
 * <cmocka.h>.  The failing allocator replaces the program's malloc, so it
 * is compiled only where MP_TEST_FAILING_MALLOC is defined before the
 * include.
 */
#ifndef MP_TEST_HELPERS_H
#define MP_TEST_HELPERS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define MP_TEST_UNUSED __attribute__((unused))

/* Remove every file of `dir` but keep it; 0, or -1 if it cannot be read. */
MP_TEST_UNUSED static int dir_empty(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	return 0;
}

/* Remove `dir` and the files in it: rmdir()'s status. */
MP_TEST_UNUSED static int dir_remove(const char *dir)
{
	dir_empty(dir);
	return rmdir(dir);
}

/*
 * A test file's scratch directory, for cmocka's group fixtures:
 * cmocka_run_group_tests(tests, scratch_setup, scratch_teardown) makes it
 * before the first test, and removes it and its files after the last.
 */
MP_TEST_UNUSED static char scratch[] = "/tmp/mprof-test.XXXXXX";

MP_TEST_UNUSED static int scratch_setup(void **state)
{
	(void)state;
	return mkdtemp(scratch) ? 0 : -1;
}

MP_TEST_UNUSED static int scratch_teardown(void **state)
{
	(void)state;
	return dir_remove(scratch);
}

/* The whole of a small file, NUL-terminated, in a static buffer (the
 * next call overwrites it); NULL if it cannot be read. */
MP_TEST_UNUSED static const char *slurp(const char *path)
{
	static char buf[1 << 16];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/*
 * Run `body` in a forked child, which exits with what it returns (0, or
 * the number of the check that failed): for what a process does only once
 * (the runtime's settings, its first start, a switch to many threads).
 * Returns that status, or -1 if the child died.
 */
MP_TEST_UNUSED static int run_child(int (*body)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(body());
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#ifdef MP_TEST_FAILING_MALLOC
/*
 * malloc and realloc, forwarding to glibc's, except that a test can make
 * every allocation after the n-th fail with ENOMEM: fail_after is how many
 * succeed before, -1 for none failing.
 */
extern void *__libc_malloc(size_t size);
extern void *__libc_realloc(void *ptr, size_t size);

static long fail_after = -1;

void *malloc(size_t size)
{
	if (fail_after == 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (fail_after > 0)
		fail_after--;
	return __libc_malloc(size);
}

void *realloc(void *ptr, size_t size)
{
	if (fail_after == 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (fail_after > 0)
		fail_after--;
	return __libc_realloc(ptr, size);
}

/* False when a tool (valgrind, ASan) replaced the malloc above: the
 * tests of failures then have nothing to check. */
MP_TEST_UNUSED static int faults_work(void)
{
	void *(*volatile alloc)(size_t) = malloc;
	void *q;

	fail_after = 0;
	q = alloc(1);
	fail_after = -1;
	free(q);
	return q == NULL;
}
#endif

#endif /* MP_TEST_HELPERS_H */
