/* SPDX-License-Identifier: MIT */
/*
 * threads.c - whether counting line events scales with threads, measured
 * from inside a program built with the plugin:
 *
 *     gcc -O2 -fplugin=build/lib/mprof.so -Iinclude bench/micro/threads.c \
 *         -o /tmp/threads -pthread && /tmp/threads
 *
 * N threads (1, then 2) each run the same one-line loop (micro.h) at
 * once, all on the same line of the same function: an instrumented copy (one probe
 * call per iteration, no memory change) and a plain copy, timed the same
 * way.  The cost of an event is (instrumented wall - plain wall) / the
 * events of one thread: when counting scales, it is the same with 2
 * threads as with 1; counters shared between threads make it grow (the
 * cache line of the site's counters goes back and forth between cores).
 * The CPU column is the same difference in CPU time over all the events.
 * Each figure is the median of RUNS runs, then the fastest and slowest.
 *
 * Without arguments it runs itself again under the heap and rss backends
 * (MPROF_OUTPUT=/dev/null) and prints one table; with --one it measures
 * the current environment only.  THREADS_SCALE=N divides the events.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "micro.h"
#include "timing.h"

#define RUNS		9
#define EVENTS		(20u * 1000 * 1000)
#define MAXTHREADS	2

static volatile uint64_t sink;

struct job {
	uint64_t (*fn)(uint64_t);
	uint64_t n;
	pthread_barrier_t *start;
};

static void *worker(void *arg)
{
	struct job *j = arg;

	pthread_barrier_wait(j->start);
	sink += j->fn(j->n);
	return NULL;
}

static double clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Wall and process CPU ns of `threads` threads running fn(n) at once. */
static void run(uint64_t (*fn)(uint64_t), uint64_t n, int threads,
		double *wall, double *cpu)
{
	pthread_t t[MAXTHREADS];
	pthread_barrier_t start;
	struct job j = { fn, n, &start };
	double w0, c0;

	pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
	for (int k = 0; k < threads; k++)
		if (pthread_create(&t[k], NULL, worker, &j)) {
			perror("threads: pthread_create");
			exit(1);
		}
	w0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	pthread_barrier_wait(&start);
	for (int k = 0; k < threads; k++)
		pthread_join(t[k], NULL);
	*wall = clock_ns(CLOCK_MONOTONIC) - w0;
	*cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	pthread_barrier_destroy(&start);
}

static void row(const char *what, double *v)
{
	qsort(v, RUNS, sizeof *v, cmp);
	printf("  %-34s %8.2f ns   (fastest %.2f, slowest %.2f)\n", what,
	       v[RUNS / 2], v[0], v[RUNS - 1]);
}

static int one(void)
{
	const char *sc = getenv("THREADS_SCALE");
	uint64_t n = EVENTS / (sc && atoi(sc) > 0 ? (unsigned)atoi(sc) : 1);
	double wall[RUNS], cpu[RUNS], pw, pc, iw, ic;
	char what[64];

	for (int threads = 1; threads <= MAXTHREADS; threads++) {
		for (int r = 0; r < RUNS; r++) {
			run(quiet_plain, n, threads, &pw, &pc);
			run(quiet_prof, n, threads, &iw, &ic);
			wall[r] = (iw - pw) / n;
			cpu[r] = (ic - pc) / ((double)n * threads);
		}
		snprintf(what, sizeof what, "line event, %d thread%s, wall", threads,
			 threads > 1 ? "s" : "");
		row(what, wall);
		snprintf(what, sizeof what, "line event, %d thread%s, CPU", threads,
			 threads > 1 ? "s" : "");
		row(what, cpu);
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const backends[] = { "heap", "rss" };

	if (argc > 1 && !strcmp(argv[1], "--one"))
		return one();
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
		printf("%s backend, threads\n", backends[i]);
		if (run_self(argv[0], backends[i], NULL))
			return 1;
	}
	return 0;
}
