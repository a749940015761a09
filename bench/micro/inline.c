/* SPDX-License-Identifier: MIT */
/*
 * inline.c - the cost of one line event of the probe ABI (runtime/mprof_abi.h)
 * without the plugin: the kernels run the event the plugin emits, written
 * in C (runtime/mprof_inline.h), with probes from __mprof_bind(), so the
 * runtime's side is measured on its own:
 *
 *     gcc -O2 -Iruntime bench/micro/inline.c -o /tmp/inline \
 *         -Lbuild/lib -lmprof -Wl,-rpath,$PWD/build/lib && /tmp/inline
 *
 *   quiet   one line event per iteration on the same line, no memory
 *           change: the inline path, no call
 *   two     two lines per iteration, alternating sites, no memory change
 *   calls   a profiled call per iteration (entry and exit probes, one
 *           line event), no memory change
 *
 * The cost of an event is (timed - plain) / events, the median of RUNS
 * runs, then the fastest and the slowest.  Without arguments the program
 * runs itself again under MPROF_BACKEND=heap and rss (rss reads its figure
 * on every event until its watch exists: runtime/rss.h, mp_rss_watch).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mprof_inline.h"
#include "timing.h"

#define RUNS	11
#define N	(20u * 1000 * 1000)

static struct __mprof_probes tab = { .version = MPROF_ABI_VERSION };

static struct __mprof_site k_s[3], c_s[2];
static const int32_t k_l[3] = { 1, 2, 3 }, c_l[2] = { 5, 6 };
static struct __mprof_func k_fn = {
	.version = MPROF_ABI_VERSION, .nsites = 3, .file = "inline.c",
	.dir = "", .name = "kernel", .first_line = 1, .last_line = 4,
	.sites = k_s, .lines = k_l,
};
static struct __mprof_func c_fn = {
	.version = MPROF_ABI_VERSION, .nsites = 2, .file = "inline.c",
	.dir = "", .name = "callee", .first_line = 5, .last_line = 7,
	.sites = c_s, .lines = c_l,
};

static volatile uint64_t sink;

#define EV(i, f) mp_inline_line(&k_s[i], (f), tab.line)

__attribute__((noinline)) static uint64_t quiet_prof(uint64_t n)
{
	struct __mprof_frame *f = tab.enter(&k_s[0]);
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++) {
		EV(1, f);
		x = x * 2862933555777941757u + i;
	}
	tab.exit(f);
	return x;
}

__attribute__((noinline)) static uint64_t two_prof(uint64_t n)
{
	struct __mprof_frame *f = tab.enter(&k_s[0]);
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++) {
		EV(1, f);
		x = x * 2862933555777941757u + i;
		EV(2, f);
		x ^= x >> 7;
	}
	tab.exit(f);
	return x;
}

__attribute__((noinline)) static uint64_t plain(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++)
		x = x * 2862933555777941757u + i;
	return x;
}

__attribute__((noinline)) static uint64_t two_plain(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 2862933555777941757u + i;
		x ^= x >> 7;
	}
	return x;
}

__attribute__((noinline)) static uint64_t callee(uint64_t x)
{
	struct __mprof_frame *f = tab.enter(&c_s[0]);

	mp_inline_line(&c_s[1], f, tab.line);
	x = x * 2862933555777941757u;
	tab.exit(f);
	return x;
}

__attribute__((noinline)) static uint64_t callee_plain(uint64_t x)
{
	return x * 2862933555777941757u;
}

__attribute__((noinline)) static uint64_t calls_prof(uint64_t n)
{
	struct __mprof_frame *f = tab.enter(&k_s[0]);
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++) {
		EV(1, f);
		x = callee(x) + i;
	}
	tab.exit(f);
	return x;
}

__attribute__((noinline)) static uint64_t calls_plain(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++)
		x = callee_plain(x) + i;
	return x;
}

/* ns per unit: (prof - plain) / (n * per), median, min, max of RUNS. */
static void timeit(const char *name, uint64_t (*prof)(uint64_t),
		   uint64_t (*base)(uint64_t), uint64_t n, double per)
{
	double v[RUNS], t0, t1, t2;

	for (int r = 0; r < RUNS; r++) {
		t0 = now();
		sink = prof(n);
		t1 = now();
		sink = base(n);
		t2 = now();
		v[r] = ((t1 - t0) - (t2 - t1)) / (n * per);
	}
	qsort(v, RUNS, sizeof *v, cmp);
	printf("  %-6s %6.2f ns  (%.2f .. %.2f)\n", name, v[RUNS / 2], v[0],
	       v[RUNS - 1]);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--one")) {
		static const char *const backends[] = { "heap", "rss" };

		for (int b = 0; b < 2; b++) {
			pid_t pid;
			int st;

			printf("MPROF_BACKEND=%s\n", backends[b]);
			fflush(stdout);
			pid = fork();
			if (pid == 0) {
				setenv("MPROF_BACKEND", backends[b], 1);
				setenv("MPROF_OUTPUT", "/dev/null", 1);
				execl("/proc/self/exe", argv[0], "--one",
				      (char *)NULL);
				_exit(127);
			}
			if (pid < 0 || waitpid(pid, &st, 0) < 0 ||
			    !WIFEXITED(st) || WEXITSTATUS(st))
				return 1;
		}
		return 0;
	}
	for (int i = 0; i < 3; i++)
		k_s[i] = (struct __mprof_site){ .func = &k_fn, .line = 1 + i };
	for (int i = 0; i < 2; i++)
		c_s[i] = (struct __mprof_site){ .func = &c_fn, .line = 5 + i };
	__mprof_bind(&tab);
	if (!tab.enter)
		return 1;
	timeit("quiet", quiet_prof, plain, N, 1);
	timeit("two", two_prof, two_plain, N / 2, 2);
	timeit("calls", calls_prof, calls_plain, N / 4, 1);
	return 0;
}
