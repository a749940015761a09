/* SPDX-License-Identifier: MIT */
/*
 * test_backend.c - the memory figure behind a method table
 * (runtime/backend.c): the table of built-in backends and their names (the
 * ones MPROF_BACKEND accepts), installing a backend (a failing init keeps
 * the one in use; a test's fake is kept by mp_backend_choose), and the
 * /proc readers on fixture text: statm's size and resident fields,
 * smaps_rollup's Pss and Private_* lines, malformed text, the last good
 * figure kept when a read fails, a descriptor the program closed, errno
 * kept throughout; MPROF_INCLUDE_CHILDREN's figure and its missing watch.
 *
 * The fixtures are bind-mounted over /proc/self/statm and
 * /proc/self/smaps_rollup in a forked child with a mount namespace of its
 * own (root only: skipped otherwise).  Each scenario runs in a child, as
 * backends, once opened, stay open; the child exits with 0 or the number
 * of the check that failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"

#define SKIPPED 77

/* ---- the table --------------------------------------------------------- */

static char *no_env(const char *name)
{
	(void)name;
	return NULL;
}

static const char *backend_env;

static char *env_backend(const char *name)
{
	return strcmp(name, "MPROF_BACKEND") ? NULL : (char *)backend_env;
}

/* One entry per id, with the name MPROF_BACKEND spells, which the
 * settings map back to the same id; nothing outside the ids. */
static void test_name_table(void **state)
{
	static const char *const names[MP_BACKEND_COUNT] = {
		[MP_BACKEND_RSS] = "rss", [MP_BACKEND_PSS] = "pss",
		[MP_BACKEND_USS] = "uss", [MP_BACKEND_VMS] = "vms",
		[MP_BACKEND_HEAP] = "heap",
	};
	struct mp_settings s;

	(void)state;
	for (int id = 0; id < MP_BACKEND_COUNT; id++) {
		const struct mp_backend *b = mp_backend_get(id);

		assert_non_null(b);
		assert_string_equal(b->name, names[id]);
		assert_non_null(b->init);
		assert_non_null(b->read);
		backend_env = names[id];
		mp_settings_parse(&s, env_backend);
		assert_int_equal(s.backend, id);
		assert_int_equal(s.nwarn, 0);
	}
	assert_null(mp_backend_get(MP_BACKEND_COUNT));
	assert_null(mp_backend_get((enum mp_backend_id)-1));
	mp_settings_parse(&s, no_env);
	assert_int_equal(s.backend, MP_BACKEND_RSS);
}

/* ---- installing --------------------------------------------------------- */

static int64_t fake_figure;
static int fake_inits;

static int64_t fake_read(void)
{
	return fake_figure;
}

static int fake_init(void)
{
	fake_inits++;
	return 0;
}

static int fail_init(void)
{
	errno = ENOSYS;
	return -1;
}

static int64_t other_read(void)
{
	return -42;
}

static const struct mp_backend fake = { "fake", fake_init, fake_read, NULL,
					NULL, NULL };
static const struct mp_backend failing = { "failing", fail_init, other_read,
					   NULL, NULL, NULL };

static int install(void)
{
	if (mp_backend_read() != 0)
		return 1;		/* nothing installed: 0 */
	fake_figure = 123;
	if (mp_backend_set(&fake) != 0 || fake_inits != 1)
		return 2;
	if (mp_backend_read() != 123)
		return 3;
	if (mp_backend_fast() != (enum mp_backend_id)-1)
		return 4;
	if (mp_backend_set(&failing) != -1 || errno != ENOSYS)
		return 5;
	if (mp_backend_read() != 123)
		return 6;		/* the fake is still in use */
	mp_backend_choose(MP_BACKEND_VMS);
	if (mp_backend_read() != 123 || fake_inits != 1)
		return 7;		/* a test's backend is kept */
	mp_backend_atfork_child();	/* the fake has no handler */
	return 0;
}

/* A backend installed by a test is the one probes read; one whose init
 * fails is refused, and the settings' choice does not replace it. */
static void test_install(void **state)
{
	(void)state;
	assert_int_equal(run_child(install), 0);
}

static int choose_vms(void)
{
	mp_backend_choose(MP_BACKEND_VMS);
	if (mp_backend_fast() != (enum mp_backend_id)-1)
		return 1;
	if (mp_backend_read() <= 0)
		return 2;
	mp_backend_choose(MP_BACKEND_HEAP);	/* already chosen: kept */
	return mp_backend_fast() == (enum mp_backend_id)-1 ? 0 : 3;
}

/* The settings' choice is installed once; the fast probes are for heap
 * and rss only. */
static void test_choose(void **state)
{
	(void)state;
	assert_int_equal(run_child(choose_vms), 0);
}

/* Only the /proc measures can be read apart from the backend in use. */
/*
 * With MPROF_INCLUDE_CHILDREN, rss gives no watch (every line event
 * calls) and its figure holds a child's memory while the child lives.
 */
static int choose_rss_children(void)
{
	struct mp_watch w;
	int fds[2];
	int64_t alone, with;
	pid_t pid;
	char c;

	mp_backend_children(1);
	mp_backend_choose(MP_BACKEND_RSS);
	alone = mp_backend_watch(&w);
	if (w.s != MPROF_SEEN_NEVER || alone <= 0)
		return 1;
	if (pipe(fds))
		return 2;
	pid = fork();
	if (pid == 0) {
		volatile char *p = malloc((size_t)16 << 20);

		for (size_t i = 0; p && i < (size_t)16 << 20; i += 4096)
			p[i] = 1;
		(void)!write(fds[1], "x", 1);
		pause();
		_exit(0);
	}
	if (pid < 0 || read(fds[0], &c, 1) != 1)
		return 3;
	with = mp_backend_read();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (with < alone + ((int64_t)16 << 20))
		return 4;
	return mp_backend_read() < alone + ((int64_t)8 << 20) ? 0 : 5;
}

/* The heap backend takes no descendants: a note says so. */
static int choose_heap_children(void)
{
	size_t len;
	const char *notes;

	mp_backend_children(1);
	mp_backend_choose(MP_BACKEND_HEAP);
	notes = mp_notes(&len);
	if (mp_backend_fast() != MP_BACKEND_HEAP)
		return 1;
	return notes && strstr(notes, "mprof: MPROF_INCLUDE_CHILDREN: the heap "
				      "backend counts this process's "
				      "allocations only") ? 0 : 2;
}

static void test_include_children(void **state)
{
	(void)state;
	assert_int_equal(run_child(choose_rss_children), 0);
	assert_int_equal(run_child(choose_heap_children), 0);
}

static void test_read_proc_ids(void **state)
{
	(void)state;
	errno = 77;
	assert_int_equal(mp_backend_open_proc(MP_BACKEND_HEAP), -1);
	assert_int_equal(errno, EINVAL);
	errno = 77;
	assert_int_equal(mp_backend_read_proc(MP_BACKEND_HEAP), -1);
	assert_int_equal(mp_backend_read_proc(MP_BACKEND_COUNT), -1);
	assert_int_equal(errno, 77);
}

/* ---- the /proc readers on fixture text ----------------------------------- */

static char dir[] = "/tmp/mprof-test-backend-XXXXXX";
static char statm[PATH_MAX], smaps[PATH_MAX];
static int64_t page;

static int make_dir(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(statm, sizeof statm, "%s/statm", dir);
	snprintf(smaps, sizeof smaps, "%s/smaps_rollup", dir);
	page = sysconf(_SC_PAGESIZE);
	return 0;
}

static int remove_dir(void **state)
{
	(void)state;
	return dir_remove(dir);
}

/* run_child(body) for a body that mounts the fixtures: skipped when it
 * cannot. */
static void with_fixtures(int (*body)(void))
{
	int rc = run_child(body);

	if (rc == SKIPPED)
		skip();
	assert_int_equal(rc, 0);
}

/* Replace the text of a fixture in place (the mount keeps the inode). */
static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n = (ssize_t)strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

#define SMAPS(pss, clean, dirty)                                              \
	"55d0c0a00000-7ffc2b3f4000 ---p 00000000 00:00 0    [rollup]\n"        \
	"Rss:                3456 kB\n"                                         \
	"Pss:                " pss " kB\n"                                      \
	"Pss_Anon:            100 kB\n"                                         \
	"Shared_Clean:       1000 kB\n"                                         \
	"Private_Clean:      " clean " kB\n"                                    \
	"Private_Dirty:      " dirty " kB\n"                                    \
	"Referenced:         3456 kB\n"

/*
 * In a mount namespace of this child's own, the fixtures in place of
 * this process's statm and smaps_rollup; SKIPPED when that cannot be
 * done (not root).
 */
static int mount_fixtures(void)
{
	if (put(statm, "1000 250 30 4 0 200 0\n") ||
	    put(smaps, SMAPS("1234", "10", "20")))
		return 90;
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(statm, "/proc/self/statm", NULL, MS_BIND, NULL) ||
	    mount(smaps, "/proc/self/smaps_rollup", NULL, MS_BIND, NULL))
		return SKIPPED;
	return 0;
}

static int read_fixtures(void)
{
	int rc = mount_fixtures();

	if (rc)
		return rc;
	errno = 5;
	if (mp_backend_open_proc(MP_BACKEND_RSS) || errno != 5)
		return 1;
	if (mp_backend_open_proc(MP_BACKEND_PSS) || errno != 5)
		return 2;
	if (mp_backend_read_proc(MP_BACKEND_RSS) != 250 * page)
		return 3;
	if (mp_backend_read_proc(MP_BACKEND_VMS) != 1000 * page)
		return 4;
	if (mp_backend_read_proc(MP_BACKEND_PSS) != 1234 * 1024)
		return 5;
	if (mp_backend_read_proc(MP_BACKEND_USS) != (10 + 20) * 1024)
		return 6;
	/* The files are read again, from the start, on every read. */
	if (put(statm, "77 7 1 1 0 1 0\n") ||
	    put(smaps, SMAPS("99999", "0", "4")))
		return 90;
	if (mp_backend_read_proc(MP_BACKEND_RSS) != 7 * page ||
	    mp_backend_read_proc(MP_BACKEND_VMS) != 77 * page)
		return 7;
	if (mp_backend_read_proc(MP_BACKEND_PSS) != 99999 * 1024 ||
	    mp_backend_read_proc(MP_BACKEND_USS) != 4 * 1024)
		return 8;
	/* Text that is not what the kernel writes: no figure. */
	if (put(statm, "1000 x\n") || put(smaps, "Rss: 10 kB\n"))
		return 90;
	if (mp_backend_read_proc(MP_BACKEND_RSS) != -1 ||
	    mp_backend_read_proc(MP_BACKEND_PSS) != -1 ||
	    mp_backend_read_proc(MP_BACKEND_USS) != -1)
		return 9;
	if (put(statm, "") || mp_backend_read_proc(MP_BACKEND_VMS) != -1)
		return 10;
	return errno == 5 ? 0 : 11;
}

/* statm and smaps_rollup as the kernel writes them, read again on every
 * read; malformed or empty text gives no figure; errno kept. */
static void test_proc_readers(void **state)
{
	(void)state;
	with_fixtures(read_fixtures);
}

static int last_good(void)
{
	int rc = mount_fixtures();

	if (rc)
		return rc;
	if (mp_backend_set(mp_backend_get(MP_BACKEND_VMS)))
		return 1;
	if (mp_backend_read() != 1000 * page)
		return 2;
	if (put(statm, "2000 250 30 4 0 200 0\n") ||
	    mp_backend_read() != 2000 * page)
		return 3;
	errno = 9;
	if (put(statm, "garbage\n") || mp_backend_read() != 2000 * page ||
	    errno != 9)
		return 4;
	if (put(statm, "3000 1 1 1 0 1 0\n") || mp_backend_read() != 3000 * page)
		return 5;
	if (mp_backend_set(mp_backend_get(MP_BACKEND_USS)) ||
	    mp_backend_read() != 30 * 1024)
		return 6;
	if (put(smaps, "Pss: 1 kB\n") || mp_backend_read() != 30 * 1024)
		return 7;
	return errno == 9 ? 0 : 8;
}

/* A backend's read that fails gives the last good figure, errno kept. */
static void test_last_good_figure(void **state)
{
	(void)state;
	with_fixtures(last_good);
}

static int bad_init(void)
{
	int rc = mount_fixtures();

	if (rc)
		return rc;
	/* No Private_Dirty line: pss and uss cannot both be had. */
	if (put(smaps, "Pss: 1 kB\nPrivate_Clean: 2 kB\n"))
		return 90;
	errno = 0;
	if (mp_backend_set(mp_backend_get(MP_BACKEND_PSS)) != -1 ||
	    errno != EINVAL)
		return 1;
	if (put(statm, "nothing\n"))
		return 90;
	errno = 0;
	if (mp_backend_set(mp_backend_get(MP_BACKEND_VMS)) != -1 ||
	    errno != EINVAL)
		return 2;
	return mp_backend_read() == 0 ? 0 : 3;	/* none installed */
}

/* A backend whose file does not read as expected at start is refused. */
static void test_init_checks_text(void **state)
{
	(void)state;
	with_fixtures(bad_init);
}

static int closed_by_program(void)
{
	int rc = mount_fixtures();

	if (rc)
		return rc;
	if (mp_backend_set(mp_backend_get(MP_BACKEND_VMS)) ||
	    mp_backend_open_proc(MP_BACKEND_PSS))
		return 1;
	/* The program closes every descriptor it did not open itself. */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	errno = 3;
	if (mp_backend_read() != 1000 * page || errno != 3)
		return 6;
	if (mp_backend_read_proc(MP_BACKEND_VMS) != 1000 * page)
		return 2;
	if (mp_backend_read_proc(MP_BACKEND_PSS) != 1234 * 1024)
		return 3;
	if (mp_backend_read_proc(MP_BACKEND_RSS) != 250 * page)
		return 4;
	return errno == 3 ? 0 : 5;
}

/* A descriptor the program closed is reopened by the next read, which
 * keeps errno (the failed read set it). */
static void test_reopen_after_close(void **state)
{
	(void)state;
	with_fixtures(closed_by_program);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_table),
		cmocka_unit_test(test_install),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_include_children),
		cmocka_unit_test(test_read_proc_ids),
		cmocka_unit_test(test_proc_readers),
		cmocka_unit_test(test_last_good_figure),
		cmocka_unit_test(test_init_checks_text),
		cmocka_unit_test(test_reopen_after_close),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
