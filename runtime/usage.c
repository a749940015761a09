/* SPDX-License-Identifier: MIT */
/*
 * usage.c - mprof_memory_usage_call/_pid(): memory_profiler's
 * memory_usage() for C (docs/memory_usage.md), and the one sampler behind
 * it.  The `mprof` command compiles this file in too: `mprof run` and
 * `mprof attach` are mprof_memory_usage_pid() with a stream callback that
 * writes .dat lines, so the CLI and the library sample the same way.
 *
 * A sample reads /proc/PID/statm through a descriptor kept open (one pread
 * per sample) and, for pss/uss, /proc/PID/smaps_rollup; what the figure is
 * in that text is sys.c's measure, the one the runtime's backends read.
 * Descendants and their figures are kids.h's (kids.c): the backends add
 * them under MPROF_INCLUDE_CHILDREN with the same code.
 * Deadlines are absolute on
 * CLOCK_MONOTONIC, so the period does not drift by the cost of a sample; a
 * deadline missed is skipped, never made up in a burst.  Every scratch
 * buffer is reused from sample to sample: with a stream callback the
 * sampler's memory stays constant however long it runs.
 *
 * A process has ended when its statm reads size 0 (a zombie has no mm) or
 * cannot be read any more (reaped: the kept descriptor then fails with
 * ESRCH, even if the pid has been reused).
 *
 * Library code: nothing here prints or exits; errors go back as -1/errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kids.h"
#include "mprof.h"
#include "sys.h"

#define MIB (1024.0 * 1024.0)

/* The kernel's statm is a short line; smaps_rollup is about 1 KiB. */
#define PROCBUF 4096

struct sampler {
	const struct mprof_usage_opts *o;
	struct mprof_usage *out;
	pid_t pid;			/* the process sampled */
	int self;			/* pid is the calling process */
	double interval;		/* s, > 0 */
	int64_t page;			/* bytes */
	int statm_fd;			/* /proc/PID/statm, kept open */
	int rollup_fd;			/* /proc/PID/smaps_rollup (pss/uss), or -1 */
	int stop;			/* the stream callback asked to stop */
	size_t mem_cap;			/* entries allocated in out->mem/time */
	size_t *series_cap;		/* per out->children[i]: entries allocated */
	size_t series_hint;		/* where the last child lookup matched */
	struct mp_kids kids;		/* descendants found in this sample */
	struct mprof_child_sample *cs;	/* this sample's per-child figures */
	size_t cs_cap;
};

static double ts_sec(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec * 1e-9;
}

static double wall_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return ts_sec(&t);
}

static void ts_add(struct timespec *t, double sec)
{
	long long ns = (long long)t->tv_nsec + llround(sec * 1e9);

	t->tv_sec += (time_t)(ns / 1000000000LL);
	ns %= 1000000000LL;
	if (ns < 0) {
		ns += 1000000000LL;
		t->tv_sec--;
	}
	t->tv_nsec = (long)ns;
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Grow *p (elements of size elem) to hold need entries, doubling.  On
 * failure *p is left as it was (possibly already larger than *cap).
 */
static int grow(void *p, size_t *cap, size_t need, size_t elem)
{
	void **pp = p;
	size_t n = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	np = realloc(*pp, n * elem);
	if (!np)
		return -1;
	*pp = np;
	*cap = n;
	return 0;
}

/* What a sample makes of the text it read (declared in internal.h). */
int mp_usage_figure(const char *statm, const char *rollup,
		    enum mprof_backend b, int64_t page, double *mib);

/*
 * The figure of measure `b` from the process's statm text and, for a
 * smaps_rollup measure, that file's text (else NULL): 0 and *mib set; 1
 * when the process has no memory map any more (exited) or the text lacks
 * the figure.
 */
int mp_usage_figure(const char *statm, const char *rollup,
		    enum mprof_backend b, int64_t page, double *mib)
{
	const struct mp_measure *m = mp_sys_measure((enum mp_backend_id)b);
	uint64_t size, resident;
	int64_t v;

	if (mp_sys_statm(statm, &size, &resident) < 0 || size == 0)
		return 1;
	v = m->file == MP_PROC_STATM ? m->parse(statm, page)
	  : rollup ? m->parse(rollup, page) : -1;
	if (v < 0)
		return 1;
	*mib = (double)v / MIB;
	return 0;
}

static int read_own(struct sampler *s, double *mib)
{
	char statm[PROCBUF], rollup[PROCBUF];

	if (mp_sys_pread(s->statm_fd, statm, sizeof statm) < 0)
		return 1;
	if (s->rollup_fd >= 0 &&
	    mp_sys_pread(s->rollup_fd, rollup, sizeof rollup) < 0)
		return 1;
	return mp_usage_figure(statm, s->rollup_fd >= 0 ? rollup : NULL,
			    s->o->backend, s->page, mib);
}

/* A descendant's figure, in MiB; 1 if it is gone or a zombie. */
static int read_pid(struct sampler *s, pid_t pid, double *mib)
{
	int64_t v;

	if (mp_kids_figure(pid, s->o->backend, s->page, &v))
		return 1;
	*mib = (double)v / MIB;
	return 0;
}

static struct mprof_series *series_of(struct sampler *s, pid_t pid)
{
	struct mprof_usage *u = s->out;
	struct mprof_series *c;
	size_t i;

	for (i = 0; i < u->nchildren; i++) {
		size_t k = (s->series_hint + i) % u->nchildren;

		if (u->children[k].pid == pid) {
			s->series_hint = k + 1;
			return &u->children[k];
		}
	}
	if (u->nchildren >= MP_KIDS_MAX)
		return NULL;
	if (u->nchildren % 16 == 0) {
		size_t n = u->nchildren + 16;
		struct mprof_series *nc = realloc(u->children, n * sizeof *nc);
		size_t *caps;

		if (!nc)
			return NULL;
		u->children = nc;
		caps = realloc(s->series_cap, n * sizeof *caps);
		if (!caps)
			return NULL;
		s->series_cap = caps;
	}
	c = &u->children[u->nchildren];
	memset(c, 0, sizeof *c);
	c->pid = pid;
	s->series_cap[u->nchildren++] = 0;
	return c;
}

/* Append (mem, t) to a series, or keep its maximum with max_usage. */
static int push(double **mem, double **tm, size_t *n, size_t *cap,
		int max_only, int want_time, double v, double t)
{
	if (max_only && *n == 1) {
		if (v > (*mem)[0]) {
			(*mem)[0] = v;
			if (want_time)
				(*tm)[0] = t;
		}
		return 0;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		double *p = realloc(*mem, nc * sizeof *p);

		if (!p)
			return -1;
		*mem = p;
		if (want_time) {
			p = realloc(*tm, nc * sizeof *p);
			if (!p)
				return -1;
			*tm = p;
		}
		*cap = nc;
	}
	(*mem)[*n] = v;
	if (want_time)
		(*tm)[*n] = t;
	(*n)++;
	return 0;
}

static void record(struct sampler *s, double mib, double t, size_t nc)
{
	const struct mprof_usage_opts *o = s->o;
	struct mprof_usage *u = s->out;
	size_t i;

	if (u->nsamples == 0 || mib > u->peak) {
		u->peak = mib;
		u->peak_time = t;
	}
	u->nsamples++;
	if (o->stream) {
		struct mprof_sample smp = { mib, t, NULL, 0 };

		if (o->multiprocess) {
			smp.children = s->cs;
			smp.nchildren = nc;
		}
		if (o->stream(o->stream_ctx, &smp))
			s->stop = 1;
		return;
	}
	if (push(&u->mem, &u->time, &u->n, &s->mem_cap, o->max_usage,
		 o->timestamps, mib, t))
		u->dropped++;
	if (!o->multiprocess)
		return;
	for (i = 0; i < nc; i++) {
		struct mprof_series *c = series_of(s, s->cs[i].pid);

		if (!c || push(&c->mem, &c->time, &c->n,
			       &s->series_cap[c - u->children], o->max_usage,
			       1, s->cs[i].mem, t))
			u->dropped++;
	}
}

/* One sample; 1 when the process has ended (nothing recorded). */
static int take_sample(struct sampler *s)
{
	const struct mprof_usage_opts *o = s->o;
	double mib, sum = 0, t;
	size_t i, nc = 0;

	if (read_own(s, &mib))
		return 1;
	t = wall_now();
	if (o->include_children || o->multiprocess) {
		mp_kids_find(&s->kids, s->pid);
		if (grow(&s->cs, &s->cs_cap, s->kids.n, sizeof *s->cs))
			s->kids.n = s->cs_cap;
		for (i = 0; i < s->kids.n; i++) {
			double m;

			if (read_pid(s, s->kids.pid[i], &m))
				continue;
			s->cs[nc].pid = s->kids.pid[i];
			s->cs[nc++].mem = m;
			sum += m;
		}
	}
	if (o->include_children)
		mib += sum;
	record(s, mib, t, nc);
	return 0;
}

static int check_opts(const struct mprof_usage_opts *o)
{
	/* a billion seconds is past any real run and keeps ts_add exact */
	if (!(o->interval >= 0 && o->interval <= 1e9) ||
	    !(o->timeout >= 0 && o->timeout <= 1e9) ||
	    !mp_sys_measure((enum mp_backend_id)o->backend) ||
	    mp_sys_measure((enum mp_backend_id)o->backend)->file == MP_PROC_NONE) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static void sampler_done(struct sampler *s)
{
	if (s->statm_fd >= 0)
		close(s->statm_fd);
	if (s->rollup_fd >= 0)
		close(s->rollup_fd);
	free(s->series_cap);
	free(s->kids.pid);
	free(s->cs);
}

/*
 * Open what every sample reads.  ENOENT on statm means no such process:
 * it becomes ESRCH; smaps_rollup missing (Linux < 4.14) stays ENOENT.
 */
static int sampler_init(struct sampler *s, pid_t pid,
			const struct mprof_usage_opts *o,
			struct mprof_usage *out)
{
	char path[64];
	long page = sysconf(_SC_PAGESIZE);

	memset(s, 0, sizeof *s);
	s->statm_fd = s->rollup_fd = -1;
	s->o = o;
	s->out = out;
	s->self = pid == 0 || pid == getpid();
	s->pid = s->self ? getpid() : pid;
	s->interval = o->interval > 0 ? o->interval : 0.1;
	s->page = page > 0 ? page : 4096;
	if (pid < 0) {
		errno = ESRCH;
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%d/statm", (int)s->pid);
	s->statm_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->statm_fd < 0) {
		if (errno == ENOENT)
			errno = ESRCH;
		return -1;
	}
	if (mp_sys_measure((enum mp_backend_id)o->backend)->file ==
	    MP_PROC_ROLLUP) {
		snprintf(path, sizeof path, "/proc/%d/%s", (int)s->pid,
			 mp_sys_proc_name(MP_PROC_ROLLUP));
		s->rollup_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->rollup_fd < 0) {
			int e = errno;

			if (e == ENOENT && access(path, F_OK) != 0 &&
			    kill(s->pid, 0) != 0 && errno == ESRCH)
				e = ESRCH;
			close(s->statm_fd);
			s->statm_fd = -1;
			errno = e;
			return -1;
		}
	}
	s->kids.grow = grow;
	s->kids.child_files = mp_kids_child_files(s->pid);
	memset(out, 0, sizeof *out);
	return 0;
}

int mprof_memory_usage_pid(pid_t pid, const struct mprof_usage_opts *opts,
			   struct mprof_usage *out)
{
	static const struct mprof_usage_opts defaults = MPROF_USAGE_OPTS_INIT;
	const struct mprof_usage_opts *o = opts ? opts : &defaults;
	struct timespec next, end, now;
	struct sampler s;

	if (!out || check_opts(o))
		return (errno = EINVAL), -1;
	if (sampler_init(&s, pid, o, out))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &next);
	end = next;
	ts_add(&end, o->timeout - s.interval * 1e-3);
	for (;;) {
		if (take_sample(&s) || s.stop)
			break;
		if (s.self && o->timeout == 0)
			break;
		ts_add(&next, s.interval);
		if (o->timeout > 0 && !ts_before(&next, &end))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_before(&next, &now))
			next = now;
		/* EINTR samples at once: a caller's signal handler may have
		 * set what its stream callback checks */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	sampler_done(&s);
	return 0;
}

/* Shared by the caller and the sampler thread of mprof_memory_usage_call. */
struct call {
	struct sampler *s;
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* on CLOCK_MONOTONIC */
	int ready;			/* the baseline sample is taken */
	int done;			/* fn has returned */
};

/*
 * The sampler thread: a baseline sample, then one per deadline until the
 * caller says fn returned, then one last sample (memory_profiler's MemTimer
 * does the same "one more iteration").  Past the timeout it stops sampling.
 */
static void *call_sampler(void *arg)
{
	struct call *c = arg;
	struct sampler *s = c->s;
	const struct mprof_usage_opts *o = s->o;
	struct timespec next, end, now;

	clock_gettime(CLOCK_MONOTONIC, &next);
	end = next;
	ts_add(&end, o->timeout - s->interval * 1e-3);
	take_sample(s);
	pthread_mutex_lock(&c->mu);
	c->ready = 1;
	pthread_cond_broadcast(&c->cv);
	while (!c->done && !s->stop) {
		int rc = 0;

		ts_add(&next, s->interval);
		if (o->timeout > 0 && !ts_before(&next, &end))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_before(&next, &now))
			next = now;
		while (!c->done && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&c->cv, &c->mu, &next);
		pthread_mutex_unlock(&c->mu);
		take_sample(s);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int mprof_memory_usage_call(void *(*fn)(void *), void *arg,
			    const struct mprof_usage_opts *opts,
			    struct mprof_usage *out)
{
	static const struct mprof_usage_opts defaults = MPROF_USAGE_OPTS_INIT;
	const struct mprof_usage_opts *o = opts ? opts : &defaults;
	struct sampler s;
	struct call c;
	pthread_condattr_t ca;
	pthread_t th;
	sigset_t all, old;
	int rc;

	if (!fn || !out || check_opts(o))
		return (errno = EINVAL), -1;
	if (sampler_init(&s, 0, o, out))
		return -1;
	memset(&c, 0, sizeof c);
	c.s = &s;
	pthread_mutex_init(&c.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c.cv, &ca);
	pthread_condattr_destroy(&ca);

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&th, NULL, call_sampler, &c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_cond_destroy(&c.cv);
		pthread_mutex_destroy(&c.mu);
		sampler_done(&s);
		errno = rc;
		return -1;
	}
	pthread_mutex_lock(&c.mu);
	while (!c.ready)
		pthread_cond_wait(&c.cv, &c.mu);
	pthread_mutex_unlock(&c.mu);

	out->retval = fn(arg);

	pthread_mutex_lock(&c.mu);
	c.done = 1;
	pthread_cond_broadcast(&c.cv);
	pthread_mutex_unlock(&c.mu);
	pthread_join(th, NULL);
	pthread_cond_destroy(&c.cv);
	pthread_mutex_destroy(&c.mu);
	sampler_done(&s);
	return 0;
}

void mprof_usage_free(struct mprof_usage *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->nchildren; i++) {
		free(u->children[i].mem);
		free(u->children[i].time);
	}
	free(u->children);
	free(u->mem);
	free(u->time);
	memset(u, 0, sizeof *u);
}
