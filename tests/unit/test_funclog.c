/* SPDX-License-Identifier: MIT */
/*
 * test_funclog.c - FUNC records (runtime/funclog.c), driven through the
 * wrapped probes mp_funclog_enter/exit with hand-made sites, as a program
 * whose probe tables __mprof_bind() filled with them would call them: the
 * record's text (name, %.4f figures, stack level), nesting, recursion,
 * threads, longjmp, exit() inside calls, fork, a .dat that cannot be used
 * or written, and that the wrapped probes still count exactly as the
 * plain ones (they hand on the site and the record), also once
 * mp_funclog_wrap() has given them the probes __mprof_bind() picked.
 *
 * The runtime reads its settings once per process, so each scenario runs
 * in a forked child that sets MPROF_DAT, installs a fake backend, runs and
 * exits; the child's stderr goes to a file the test reads.  Each
 * "function" is a C function of its own (noinline), so frames nest as in
 * instrumented code: the wrappers compare frame addresses.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"
#include "mprof_inline.h"

#define MIB (1024 * 1024)
#define NOINLINE __attribute__((noinline))

static int64_t mem;

static int64_t fake_read(void)
{
	return __atomic_load_n(&mem, __ATOMIC_RELAXED);
}

static const struct mp_backend fake = { "fake", NULL, fake_read, NULL, NULL,
					NULL };

static struct __mprof_func fa, fb;
static struct __mprof_site fa_s[2] = {
	{ .func = &fa }, { .func = &fa },
};
static struct __mprof_site fb_s[2] = {
	{ .func = &fb }, { .func = &fb },
};
static const int32_t fa_l[2] = { 10, 11 }, fb_l[2] = { 20, 21 };
static struct __mprof_func fa = {
	.version = MPROF_ABI_VERSION, .nsites = 2, .file = "dir/a file.c",
	.dir = "", .name = "fa", .first_line = 10, .last_line = 12,
	.sites = fa_s, .lines = fa_l,
};
static struct __mprof_func fb = {
	.version = MPROF_ABI_VERSION, .nsites = 2, .file = "b.c",
	.dir = "", .name = "fb", .first_line = 20, .last_line = 22,
	.sites = fb_s, .lines = fb_l,
};

#define NAME_A "dir/a_file.c.fa"
#define NAME_B "b.c.fb"

/* ---- the "instrumented" functions ---------------------------------------- */

NOINLINE static void call_b(void)
{
	struct __mprof_frame *mpf;

	mpf = mp_funclog_enter(&fb_s[0]);
	mp_funclog_exit(mpf);
}

/* fa calls fb `n` times. */
NOINLINE static void call_a(int n)
{
	struct __mprof_frame *mpf;

	mpf = mp_funclog_enter(&fa_s[0]);
	while (n-- > 0)
		call_b();
	mp_funclog_exit(mpf);
}

NOINLINE static void recurse_a(int n)
{
	struct __mprof_frame *mpf;

	mpf = mp_funclog_enter(&fa_s[0]);
	if (n > 0)
		recurse_a(n - 1);
	mp_funclog_exit(mpf);
}

static jmp_buf jb;

/*
 * fb, left by longjmp from `depth` frames further down.  The asm after the
 * recursive call keeps it a real call, not a loop in one frame.
 */
NOINLINE static void jump_b(int depth)
{
	if (depth < 0)
		return;
	if (depth > 0) {
		jump_b(depth - 1);
		__asm__ volatile("" ::: "memory");
		return;
	}
	mp_funclog_enter(&fb_s[0]);
	longjmp(jb, 1);
}

/* fa: fb is left by longjmp, then fb is called and returns normally. */
NOINLINE static void a_with_longjmp(int depth, int then_b)
{
	struct __mprof_frame *mpf;

	mpf = mp_funclog_enter(&fa_s[0]);
	if (!setjmp(jb))
		jump_b(depth);
	LINE(&fa_s[1], mpf);	/* the line after the setjmp's */
	if (then_b)
		call_b();
	mp_funclog_exit(mpf);
}

/* ---- running a scenario in a child --------------------------------------- */

static char dir[] = "/tmp/mprof-test-funclog-XXXXXX";
static char dat[PATH_MAX];		/* dir/f.dat, made empty per test */
static char errfile[PATH_MAX];		/* the child's stderr */
static char repfile[PATH_MAX];		/* its report (MPROF_OUTPUT) */
static double t_before, t_after;	/* wall clock around the child */
static const char *funcs_env;		/* MPROF_DAT_FUNCS, NULL: unset */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int make_dir(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(dat, sizeof dat, "%s/f.dat", dir);
	snprintf(errfile, sizeof errfile, "%s/err.txt", dir);
	snprintf(repfile, sizeof repfile, "%s/report.txt", dir);
	return 0;
}

static int fresh_dat(void **state)
{
	funcs_env = NULL;
	int fd = open(dat, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	unlink(errfile);
	unlink(repfile);
	return 0;
}

static int remove_dir(void **state)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	(void)state;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	return rmdir(dir);
}

/*
 * Run `body` in a child with MPROF_DAT=dat_path (NULL: unset) and the
 * fake backend; the child exits with what body returns.
 */
/* The runtime's notes follow the report (MPROF_OUTPUT), at its end. */
static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && !strcmp(s + n - m, tail);
}

static int in_child(int (*body)(void), const char *dat_path)
{
	int status, fd;
	pid_t pid;

	fflush(NULL);
	t_before = now();
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(98);
		close(fd);
		if (dat_path)
			setenv("MPROF_DAT", dat_path, 1);
		else
			unsetenv("MPROF_DAT");
		if (funcs_env)
			setenv("MPROF_DAT_FUNCS", funcs_env, 1);
		else
			unsetenv("MPROF_DAT_FUNCS");
		setenv("MPROF_OUTPUT", repfile, 1);
		if (mp_backend_set(&fake) < 0)
			_exit(99);
		mp_init();
		exit(body());
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	t_after = now();
	return WEXITSTATUS(status);
}

/* The whole of a small file, NUL-terminated (static buffer). */
static const char *slurp(const char *path)
{
	static char buf[1 << 16];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return "";
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

struct rec {
	char name[1100];
	char m0[32], t0[32], m1[32], t1[32];
	int level;
	unsigned long calls;	/* the merged count, 1 when absent */
	char peak[32];		/* the peak field, "" when absent */
};

/* The FUNC lines of the .dat, checked for shape (a merged record has a
 * count > 1 as seventh field); their number. */
static int records(struct rec *r, int max)
{
	const char *text = slurp(dat), *line, *nl;
	int n = 0, used;

	for (line = text; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(n < max);
		assert_int_equal(sscanf(line, "FUNC %1099s %31s %31s %31s %31s %d%n",
					r[n].name, r[n].m0, r[n].t0, r[n].m1,
					r[n].t1, &r[n].level, &used), 6);
		r[n].calls = 1;
		r[n].peak[0] = '\0';
		if (line + used != nl) {
			int more;

			assert_int_equal(sscanf(line + used, " %lu%n",
						&r[n].calls, &more), 1);
			used += more;
		}
		if (line + used != nl) {
			int more;

			assert_int_equal(sscanf(line + used, " %31s%n",
						r[n].peak, &more), 1);
			used += more;
		} else {
			assert_true(r[n].calls > 1 || line + used == nl);
		}
		assert_ptr_equal(line + used, nl);
		n++;
	}
	return n;
}

/* A %.4f field: digits, a point, four digits. */
static void assert_fixed4(const char *s)
{
	const char *dot = strchr(s, '.');

	assert_non_null(dot);
	assert_int_equal(strlen(dot + 1), 4);
	assert_int_equal(strspn(s, "-0123456789."), strlen(s));
}

/* Times inside the child's lifetime, start before end. */
static void assert_times(const struct rec *r)
{
	double t0 = atof(r->t0), t1 = atof(r->t1);

	assert_fixed4(r->t0);
	assert_fixed4(r->t1);
	assert_true(t0 <= t1);
	assert_true(t0 >= t_before - 0.0001);
	assert_true(t1 <= t_after + 0.0001);
}

static void assert_mib(const char *field, int64_t bytes)
{
	char want[64];

	snprintf(want, sizeof want, "%.4f", (double)bytes / MIB);
	assert_string_equal(field, want);
}

/* ---- tests ---------------------------------------------------------------- */

static int one_call(void)
{
	struct __mprof_frame *mpf;

	mem = 1 * MIB;
	mpf = mp_funclog_enter(&fa_s[0]);
	mem = 3 * MIB + 123457;
	mp_funclog_exit(mpf);
	return !mp_funclog_active();
}

/* One call, one line: the name, both figures as %.4f MiB, level 0. */
static void test_one_record(void **state)
{
	struct rec r[4];

	(void)state;
	assert_int_equal(in_child(one_call, dat), 0);
	assert_int_equal(records(r, 4), 1);
	assert_string_equal(r[0].name, NAME_A);
	assert_string_equal(r[0].m0, "1.0000");
	assert_mib(r[0].m1, 3 * MIB + 123457);
	assert_int_equal(r[0].level, 0);
	assert_times(&r[0]);
	assert_string_equal(slurp(errfile), "");
}

static const int64_t figures[] = {
	0, 1, 52, 524288, 1048575, 1048576 + 104857, 123456789,
	(int64_t)5 << 40, 999999999999, -(int64_t)5 * MIB / 2,
};

static int many_figures(void)
{
	struct __mprof_frame *mpf;
	size_t i;

	for (i = 0; i < sizeof figures / sizeof figures[0]; i++) {
		mem = figures[i];
		mpf = mp_funclog_enter(&fa_s[0]);
		mp_funclog_exit(mpf);
	}
	return 0;
}

/* MiB figures print as Python's "%.4f" % (bytes / 2**20) does. */
static void test_mib_rounding(void **state)
{
	struct rec r[16];
	size_t i;

	(void)state;
	assert_int_equal(in_child(many_figures, dat), 0);
	assert_int_equal(records(r, 16), sizeof figures / sizeof figures[0]);
	for (i = 0; i < sizeof figures / sizeof figures[0]; i++) {
		assert_mib(r[i].m0, figures[i]);
		assert_mib(r[i].m1, figures[i]);
	}
}

static int nested(void)
{
	call_a(2);
	return 0;
}

/* fa calls fb twice: fb's records (level 1) come first, as they end first. */
static void test_levels(void **state)
{
	struct rec r[4];

	(void)state;
	assert_int_equal(in_child(nested, dat), 0);
	assert_int_equal(records(r, 4), 3);
	assert_string_equal(r[0].name, NAME_B);
	assert_int_equal(r[0].level, 1);
	assert_string_equal(r[1].name, NAME_B);
	assert_int_equal(r[1].level, 1);
	assert_string_equal(r[2].name, NAME_A);
	assert_int_equal(r[2].level, 0);
	assert_true(atof(r[2].t0) <= atof(r[0].t0));
	assert_true(atof(r[1].t1) <= atof(r[2].t1));
}

static int recursion(void)
{
	recurse_a(2);
	return 0;
}

/* Recursion: one record per call, the innermost (deepest) first. */
static void test_recursion(void **state)
{
	struct rec r[4];

	(void)state;
	assert_int_equal(in_child(recursion, dat), 0);
	assert_int_equal(records(r, 4), 3);
	assert_int_equal(r[0].level, 2);
	assert_int_equal(r[1].level, 1);
	assert_int_equal(r[2].level, 0);
}

NOINLINE static void a_with_lines(void)
{
	struct __mprof_frame *mpf;

	mem = 1 * MIB;
	mpf = mp_funclog_enter(&fa_s[0]);
	LINE(&fa_s[1], mpf);
	mem = 2 * MIB;
	mp_funclog_exit(mpf);
}

static int probes_count(void)
{
	a_with_lines();
	a_with_lines();
	return !(fa_s[0].count == 2 && fa_s[1].count == 2 &&
		 fa_s[1].incr == 2 * MIB && mp_probe_dropped() == 0 &&
		 mp_probe_depth() == 0);
}

/* The wrapped probes reach the normal ones in the frame a direct call
 * would have: line events between them match their frame (no drop) and
 * every figure is counted. */
static void test_probes_still_count(void **state)
{
	(void)state;
	assert_int_equal(in_child(probes_count, dat), 0);
	assert_string_equal(slurp(errfile), "");
}

/* Stand-ins for the probes __mprof_bind() picks: what they were given. */
static struct __mprof_site *picked_site;
static struct __mprof_frame picked_rec, *picked_exit_rec;

NOINLINE static struct __mprof_frame *picked_enter(struct __mprof_site *s)
{
	picked_site = s;
	return &picked_rec;
}

NOINLINE static void picked_exit(struct __mprof_frame *f)
{
	picked_exit_rec = f;
}

/* An instrumented function calling its probes through a table. */
NOINLINE static struct __mprof_frame *through(const struct __mprof_probes *tab)
{
	struct __mprof_frame *f = tab->enter(&fa_s[0]);

	tab->exit(f);
	return f;
}

static int wrap_picked(void)
{
	struct __mprof_probes tab = { MPROF_ABI_VERSION, 0, picked_enter,
				      NULL, picked_exit, NULL, NULL, NULL };
	struct __mprof_frame *f;

	mp_funclog_wrap(&tab.enter, &tab.exit);
	if (tab.enter != mp_funclog_enter || tab.exit != mp_funclog_exit)
		return 1;
	mp_funclog_wrap(&tab.enter, &tab.exit);	/* again: no change */
	f = through(&tab);
	return picked_site != &fa_s[0] || f != &picked_rec ||
	       picked_exit_rec != &picked_rec || fa_s[0].count != 0;
}

/* mp_funclog_wrap(): the wrappers take the places of the probes bind
 * picked and hand on to those the site and the record; wrapping twice
 * changes nothing. */
static void test_wrap(void **state)
{
	struct rec r[2];

	(void)state;
	assert_int_equal(in_child(wrap_picked, dat), 0);
	assert_int_equal(records(r, 2), 1);
	assert_string_equal(r[0].name, NAME_A);
}

static int unset_dat(void)
{
	call_a(1);
	return mp_funclog_active() || fa_s[0].count != 1 || fb_s[0].count != 1;
}

/* Without MPROF_DAT the wrappers only pass the events on. */
static void test_inactive(void **state)
{
	struct rec r[1];

	(void)state;
	assert_int_equal(in_child(unset_dat, NULL), 0);
	assert_int_equal(records(r, 1), 0);
}

static int longjmp_out(void)
{
	a_with_longjmp(0, 0);
	return mp_funclog_lost() != 1;
}

/* fb left by longjmp: no record for it, fa's is right, the loss is said
 * once at exit. */
static void test_longjmp(void **state)
{
	struct rec r[4];

	(void)state;
	assert_int_equal(in_child(longjmp_out, dat), 0);
	assert_int_equal(records(r, 4), 1);
	assert_string_equal(r[0].name, NAME_A);
	assert_int_equal(r[0].level, 0);
	assert_string_equal(slurp(errfile), "");
	assert_true(ends_with(slurp(repfile),
		"\nmprof: 1 call without a FUNC record (left by longjmp, made while a signal interrupted the runtime, or no memory for the call stack)\n"));
}

static int longjmp_then_call(void)
{
	a_with_longjmp(3, 1);
	return mp_funclog_lost() != 1;
}

/* A call after the longjmp (and the caller's line event, which pops the
 * probe's dead record) drops the dead call at its entry, so it gets the
 * level it really has. */
static void test_longjmp_then_call(void **state)
{
	struct rec r[4];

	(void)state;
	assert_int_equal(in_child(longjmp_then_call, dat), 0);
	assert_int_equal(records(r, 4), 2);
	assert_string_equal(r[0].name, NAME_B);
	assert_int_equal(r[0].level, 1);
	assert_string_equal(r[1].name, NAME_A);
	assert_int_equal(r[1].level, 0);
}

NOINLINE static void b_exits(void)
{
	mp_funclog_enter(&fb_s[0]);
	mem = 5 * MIB;
	exit(0);
}

static int exit_inside(void)
{
	mem = 1 * MIB;
	mp_funclog_enter(&fa_s[0]);
	b_exits();
	return 1;
}

/* exit() inside two calls: both get records, ending at exit. */
static void test_exit_inside_calls(void **state)
{
	struct rec r[4];

	(void)state;
	assert_int_equal(in_child(exit_inside, dat), 0);
	assert_int_equal(records(r, 4), 2);
	assert_string_equal(r[0].name, NAME_B);
	assert_int_equal(r[0].level, 1);
	assert_string_equal(r[1].name, NAME_A);
	assert_int_equal(r[1].level, 0);
	assert_string_equal(r[1].m0, "1.0000");
	assert_string_equal(r[1].m1, "5.0000");
	assert_string_equal(r[0].t1, r[1].t1);
}

static int fork_child(void)
{
	int status;
	pid_t pid;

	call_a(0);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		call_a(0);
		exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	call_a(0);
	return 0;
}

/* A forked child writes no records: the .dat's curve is the parent's. */
static void test_fork_child_silent(void **state)
{
	struct rec r[4];

	(void)state;
	assert_int_equal(in_child(fork_child, dat), 0);
	assert_int_equal(records(r, 4), 2);
}

static void *thread_main(void *arg)
{
	(void)arg;
	call_a(1);
	return NULL;
}

static int two_threads(void)
{
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, thread_main, NULL))
			return 1;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/* Stack levels count per thread. */
static void test_threads(void **state)
{
	struct rec r[8];
	int i, n;

	(void)state;
	assert_int_equal(in_child(two_threads, dat), 0);
	n = records(r, 8);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++)
		assert_int_equal(r[i].level,
				 strcmp(r[i].name, NAME_B) == 0 ? 1 : 0);
}

static void *thread_exits(void *arg)
{
	(void)arg;
	mp_funclog_enter(&fb_s[0]);
	pthread_exit(NULL);
}

static int thread_ends_inside(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, thread_exits, NULL))
		return 1;
	pthread_join(t, NULL);
	return 0;
}

/* A thread that ends inside a call closes it. */
static void test_thread_exit_inside_call(void **state)
{
	struct rec r[4];

	(void)state;
	assert_int_equal(in_child(thread_ends_inside, dat), 0);
	assert_int_equal(records(r, 4), 1);
	assert_string_equal(r[0].name, NAME_B);
}

static struct __mprof_func longname;
static struct __mprof_site longname_s[1] = { { .func = &longname } };
static const int32_t longname_l[1] = { 1 };
static char long_file[3000];
static struct __mprof_func longname = {
	.version = MPROF_ABI_VERSION, .nsites = 1, .file = long_file,
	.dir = "", .name = "f g", .first_line = 1, .last_line = 1,
	.sites = longname_s, .lines = longname_l,
};

static int long_name(void)
{
	struct __mprof_frame *mpf;

	memset(long_file, 'x', sizeof long_file - 3);
	memcpy(long_file + sizeof long_file - 3, ".c", 3);
	mpf = mp_funclog_enter(&longname_s[0]);
	mp_funclog_exit(mpf);
	return 0;
}

/* A name too long for a record is cut from the left; blanks become '_'. */
static void test_long_name(void **state)
{
	struct rec r[2];
	size_t n;

	(void)state;
	assert_int_equal(in_child(long_name, dat), 0);
	assert_int_equal(records(r, 2), 1);
	n = strlen(r[0].name);
	assert_true(n > 500 && n < 1000);
	assert_string_equal(r[0].name + n - 6, ".c.f_g");
	assert_true(strlen(slurp(dat)) <= 1024);
}

static int report_active(void)
{
	return mp_funclog_active();
}

/* A .dat that cannot be opened: one line, no records, the program runs. */
static void test_bad_dat(void **state)
{
	char path[PATH_MAX + 16], want[2 * PATH_MAX];

	(void)state;
	snprintf(path, sizeof path, "%s/missing.dat", dir);
	assert_int_equal(in_child(report_active, path), 0);
	snprintf(want, sizeof want, "mprof: MPROF_DAT: cannot open '%s': No such file or directory; no FUNC records\n", path);
	assert_string_equal(slurp(errfile), want);

	assert_int_equal(in_child(report_active, dir), 0);
	snprintf(want, sizeof want, "mprof: MPROF_DAT: cannot open '%s': Is a directory; no FUNC records\n", dir);
	assert_string_equal(slurp(errfile), want);

	/* a FIFO without a reader must not block the program */
	snprintf(path, sizeof path, "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(in_child(report_active, path), 0);
	assert_non_null(strstr(slurp(errfile), "mprof: MPROF_DAT: "));
	assert_non_null(strstr(slurp(errfile), "; no FUNC records\n"));
	unlink(path);
}

/* The .dat is already past the limit; the child's stderr is not. */
static int file_too_large(void)
{
	struct rlimit rl = { 2048, 2048 };

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl))
		return 1;
	call_a(1);
	return 0;
}

/* Records that cannot be written are counted and said once at exit. */
static void test_write_fails(void **state)
{
	char want[2 * PATH_MAX];

	static char fill[4096];
	int fd = open(dat, O_WRONLY | O_TRUNC);

	(void)state;
	memset(fill, '\n', sizeof fill);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, fill, sizeof fill), sizeof fill);
	close(fd);
	assert_int_equal(in_child(file_too_large, dat), 0);
	snprintf(want, sizeof want, "\nmprof: 2 FUNC records not written to '%s': File too large\n", dat);
	assert_string_equal(slurp(errfile), "");
	assert_true(ends_with(slurp(repfile), want));
}

/* ---- merged mode (MPROF_DAT_FUNCS=<seconds>) ------------------------------ */

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static int many_short(void)
{
	mem = 1 * MIB;
	call_a(1000);
	return 0;
}

/* 1000 short calls of fb in one short call of fa: one merged record of fb
 * (level 1, 1000 calls, first entry to last exit), one of fa, both written
 * at exit. */
static void test_merged_short_calls(void **state)
{
	struct rec r[8], t;

	(void)state;
	funcs_env = "10";
	assert_int_equal(in_child(many_short, dat), 0);
	assert_int_equal(records(r, 8), 2);
	if (strcmp(r[0].name, NAME_B)) {	/* merges are written in any order */
		t = r[0];
		r[0] = r[1];
		r[1] = t;
	}
	assert_string_equal(r[0].name, NAME_B);
	assert_int_equal(r[0].level, 1);
	assert_int_equal(r[0].calls, 1000);
	assert_string_equal(r[1].name, NAME_A);
	assert_int_equal(r[1].level, 0);
	assert_int_equal(r[1].calls, 1);
	assert_times(&r[0]);
	assert_true(atof(r[1].t0) <= atof(r[0].t0));
	assert_true(atof(r[0].t1) <= atof(r[1].t1));
	assert_string_equal(slurp(errfile), "");
}

/* fa, n levels deep, 1 MiB more held at each level. */
NOINLINE static void recurse_grow(int n)
{
	struct __mprof_frame *mpf;

	mpf = mp_funclog_enter(&fa_s[0]);
	mem += MIB;
	if (n > 0)
		recurse_grow(n - 1);
	mem -= MIB;
	mp_funclog_exit(mpf);
}

static int deep_recursion(void)
{
	mem = 2 * MIB;
	recurse_grow(100);
	return 0;
}

/* Recursion: the outermost call only, so its time is counted once, with
 * the largest figure its inner calls saw as the peak field: 2 MiB plus
 * the 100 MiB held when the deepest call begins. */
static void test_merged_recursion(void **state)
{
	struct rec r[8];

	(void)state;
	funcs_env = "10";
	assert_int_equal(in_child(deep_recursion, dat), 0);
	assert_int_equal(records(r, 8), 1);
	assert_string_equal(r[0].name, NAME_A);
	assert_int_equal(r[0].level, 0);
	assert_int_equal(r[0].calls, 1);
	assert_string_equal(r[0].m0, "2.0000");
	assert_string_equal(r[0].m1, "2.0000");
	assert_string_equal(r[0].peak, "102.0000");
}

/* The same recursion with every call recorded: no peak field. */
static void test_all_recursion(void **state)
{
	struct rec r[128];
	int i;

	(void)state;
	assert_int_equal(in_child(deep_recursion, dat), 0);
	assert_int_equal(records(r, 128), 101);
	for (i = 0; i < 101; i++) {
		assert_int_equal(r[i].level, 100 - i);
		assert_string_equal(r[i].peak, "");
	}
}

NOINLINE static void slow_b(int ms)
{
	struct __mprof_frame *mpf;

	mpf = mp_funclog_enter(&fb_s[0]);
	sleep_ms(ms);
	mp_funclog_exit(mpf);
}

static int long_and_gaps(void)
{
	call_b();
	call_b();		/* merged with the first */
	sleep_ms(30);		/* a gap longer than 10 ms */
	call_b();		/* a new merge */
	slow_b(30);		/* long: a record of its own, after the merge */
	return 0;
}

/* A call of at least the interval gets its own record; short calls apart
 * by more than the interval are not merged. */
static void test_merged_long_and_gaps(void **state)
{
	struct rec r[8];

	(void)state;
	funcs_env = "0.01";
	assert_int_equal(in_child(long_and_gaps, dat), 0);
	assert_int_equal(records(r, 8), 3);
	assert_int_equal(r[0].calls, 2);
	assert_int_equal(r[1].calls, 1);
	assert_int_equal(r[2].calls, 1);
	assert_true(atof(r[2].t1) - atof(r[2].t0) >= 0.0299);
	assert_true(atof(r[1].t0) - atof(r[0].t1) >= 0.0299);
}

static int open_at_exit(void)
{
	call_b();
	mp_funclog_enter(&fa_s[0]);
	exit(0);
}

/* At exit: the open call's record and the merged calls still pending. */
static void test_merged_at_exit(void **state)
{
	struct rec r[8];

	(void)state;
	funcs_env = "10";
	assert_int_equal(in_child(open_at_exit, dat), 0);
	assert_int_equal(records(r, 8), 2);
}

/* none: no record at all, and no complaint. */
static void test_none(void **state)
{
	(void)state;
	funcs_env = "none";
	assert_int_equal(in_child(many_short, dat), 0);
	assert_string_equal(slurp(dat), "");
	assert_string_equal(slurp(errfile), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_one_record, fresh_dat),
		cmocka_unit_test_setup(test_mib_rounding, fresh_dat),
		cmocka_unit_test_setup(test_levels, fresh_dat),
		cmocka_unit_test_setup(test_recursion, fresh_dat),
		cmocka_unit_test_setup(test_probes_still_count, fresh_dat),
		cmocka_unit_test_setup(test_wrap, fresh_dat),
		cmocka_unit_test_setup(test_inactive, fresh_dat),
		cmocka_unit_test_setup(test_longjmp, fresh_dat),
		cmocka_unit_test_setup(test_longjmp_then_call, fresh_dat),
		cmocka_unit_test_setup(test_exit_inside_calls, fresh_dat),
		cmocka_unit_test_setup(test_fork_child_silent, fresh_dat),
		cmocka_unit_test_setup(test_threads, fresh_dat),
		cmocka_unit_test_setup(test_thread_exit_inside_call, fresh_dat),
		cmocka_unit_test_setup(test_long_name, fresh_dat),
		cmocka_unit_test_setup(test_bad_dat, fresh_dat),
		cmocka_unit_test_setup(test_write_fails, fresh_dat),
		cmocka_unit_test_setup(test_merged_short_calls, fresh_dat),
		cmocka_unit_test_setup(test_merged_recursion, fresh_dat),
		cmocka_unit_test_setup(test_all_recursion, fresh_dat),
		cmocka_unit_test_setup(test_merged_long_and_gaps, fresh_dat),
		cmocka_unit_test_setup(test_merged_at_exit, fresh_dat),
		cmocka_unit_test_setup(test_none, fresh_dat),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
