/* SPDX-License-Identifier: MIT */
/*
 * perf.c - the rss recorder of `mprof lines` (record.h).
 *
 * One software event PERF_COUNT_SW_PAGE_FAULTS per CPU (an inherited
 * event cannot be mmap'ed per task), sample_period 1, on the program and
 * everything it starts (inherit), enabled at its exec (enable_on_exec) so
 * mprof's own fork is not counted.  Each sample carries the user
 * registers (ip, sp), the faulting data address and the first STACK_DUMP
 * bytes of the user stack, for unwind.c.  The same rings receive the
 * MMAP2, COMM (exec), FORK and EXIT records the symbolizer needs, and,
 * when tracefs can be read (root, or perf_event_paranoid -1), samples of
 * the sys_enter_munmap, sys_enter_madvise, sys_enter_brk and sys_exit_brk
 * tracepoints: the memory a process gives back.
 *
 * A fault is charged once per page: acct.c keeps the set of pages seen
 * resident, so a fault on a page already counted (a write after a read of
 * the zero page, copy-on-write) adds nothing, and a release takes off
 * exactly the pages that were counted.  Records of one drain are sorted
 * by time, so a munmap on one CPU and the fault that reuses the address
 * on another are seen in order.
 *
 * A thread of its own empties the rings into memory as soon as the kernel
 * wakes it, so the rings do not overflow while the main thread is busy
 * (reading a large program's DWARF on its first lookup takes a while);
 * the main thread takes what it gathered at each drain.
 */
#define _GNU_SOURCE
#include "record.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "acct.h"
#include "cfi.h"
#include "code.h"
#include "hmap.h"
#include "symbolize.h"
#include "unwind.h"

/* Bytes of user stack copied per sample: the callers up to that depth
   (deeper ones are not charged: 8 KiB reaches SQLite's main() from the
   faults in malloc); MPROF_LINES_STACK=BYTES in mprof's environment sets
   another (8 to STACK_DUMP_MAX, a multiple of 8: stack_dump()). */
#define STACK_DUMP 8192
#define STACK_DUMP_MAX 65528
/* The most callers charged with an event. */
#define MAX_CALLERS 32
/* Data pages per ring (a power of two): RING_PAGES for samples of up to
   2 KiB of stack, more for larger ones so that a ring holds as many
   samples, up to RING_TOTAL pages over all the CPUs (but never fewer
   than RING_PAGES a CPU); the fewest tried when the locked-memory limit
   refuses that many (ring_pages()). */
#define RING_PAGES 8192
#define RING_TOTAL 32768
#define RING_PAGES_MIN 64
/* The reader thread's priority (nice), where it may be raised. */
#define READER_NICE (-10)

#define REG_BP 6	/* PERF_REG_X86_BP */
#define REG_SP 7	/* PERF_REG_X86_SP */
#define REG_IP 8	/* PERF_REG_X86_IP */

enum ev { EV_FAULT, EV_MUNMAP, EV_MADVISE, EV_BRK, EV_BRK_EXIT, EV_N };

static const char *const tracepoints[EV_N] = {
	NULL, "sys_enter_munmap", "sys_enter_madvise", "sys_enter_brk",
	"sys_exit_brk",
};

struct ring {
	int fd;			/* the CPU's fault event, owner of the ring */
	struct perf_event_mmap_page *meta;
	unsigned char *data;
	size_t size;		/* data bytes */
	size_t pages;		/* data pages */
};

/* One record copied out of a ring, and its time. */
struct rec {
	uint64_t time;
	size_t off, len;	/* in mp_perf.batch */
};

/* Records copied out of the rings and their times. */
struct batch {
	unsigned char *buf;
	size_t blen, bcap;
	struct rec *recs;
	size_t nrecs, caprecs;
};

static void *reader(void *arg);

struct mp_perf {
	struct ring *rings;
	int nrings;
	int *fds;		/* every event opened */
	int nfds;
	struct mp_hmap ids;	/* event id -> enum ev + 1 */
	pthread_t reader;	/* empties the rings into gathered */
	int reading;		/* the reader runs */
	int stop;		/* tells the reader to end */
	pthread_mutex_t lock;	/* guards gathered */
	struct batch gathered;	/* filled by the reader */
	struct batch work;	/* the records of a drain */
	struct mp_hmap calls;	/* (pid, return address) -> 1 call, 2 not */
	struct mp_hmap brk;	/* pid + 1 -> the current break */
	struct mp_rec_stats st;
	struct mp_code *code;	/* of the drain under way */
	struct mp_cfi *cfi;	/* the objects' unwinding rules */
	size_t ring_pages;	/* data pages asked for each ring */
};

static long perf_open(struct perf_event_attr *a, pid_t pid, int cpu, int group)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, group,
		       PERF_FLAG_FD_CLOEXEC);
}

/* The tracepoint's id from tracefs, or -1. */
static long tracepoint_id(const char *name)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[256], buf[32];
	size_t i;

	for (i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		FILE *f;

		snprintf(path, sizeof path, "%s/events/syscalls/%s/id", roots[i],
			 name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof buf, f)) {
			fclose(f);
			return atol(buf);
		}
		fclose(f);
	}
	return -1;
}

/* The bytes of stack per sample: STACK_DUMP, or MPROF_LINES_STACK's. */
static uint32_t stack_dump(void)
{
	const char *env = getenv("MPROF_LINES_STACK");
	char *end;
	unsigned long v;

	if (!env || !*env)
		return STACK_DUMP;
	v = strtoul(env, &end, 10);
	if (*end || v < 8 || v > STACK_DUMP_MAX)
		return STACK_DUMP;
	return (uint32_t)(v & ~7ul);
}

/* Data pages of each CPU's ring for samples of `stack` bytes of stack. */
static size_t ring_pages(uint32_t stack, long ncpu)
{
	size_t want = RING_PAGES, cap = RING_TOTAL / (size_t)ncpu;

	while (want < RING_PAGES * (((size_t)stack + 2047) / 2048))
		want *= 2;
	if (cap < RING_PAGES)
		cap = RING_PAGES;
	while (want > cap)
		want /= 2;
	return want;
}

static void base_attr(struct perf_event_attr *a)
{
	memset(a, 0, sizeof *a);
	a->size = sizeof *a;
	a->sample_period = 1;
	a->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP |
			 PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			 PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	a->sample_regs_user = (1ull << REG_BP) | (1ull << REG_SP) |
			      (1ull << REG_IP);
	a->sample_stack_user = stack_dump();
	a->disabled = 1;
	a->enable_on_exec = 1;
	a->inherit = 1;
	a->exclude_hv = 1;
	a->sample_id_all = 1;
}

static int add_fd(struct mp_perf *p, int fd, enum ev e)
{
	uint64_t id, *v;
	int added;

	p->fds[p->nfds++] = fd;
	if (ioctl(fd, PERF_EVENT_IOC_ID, &id))
		return -1;
	v = mp_hmap_put(&p->ids, id, &added);
	if (!v)
		return -1;
	*v = (uint64_t)e + 1;
	return 0;
}

/* The fault event of one CPU, with its ring. */
static int open_fault(struct mp_perf *p, pid_t pid, int cpu)
{
	struct perf_event_attr a;
	struct ring *r = &p->rings[p->nrings];
	long fd;
	void *m;

	base_attr(&a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_PAGE_FAULTS;
	a.sample_type |= PERF_SAMPLE_ADDR;
	a.mmap = 1;
	a.mmap2 = 1;
	a.comm = 1;
	a.comm_exec = 1;
	a.task = 1;
	a.watermark = 1;
	a.wakeup_watermark = RING_PAGES_MIN * 4096 / 2;
	/* faults inside system calls (read() into a new buffer) count
	   too where the kernel allows it */
	fd = perf_open(&a, pid, cpu, -1);
	if (fd < 0 && (errno == EACCES || errno == EPERM)) {
		a.exclude_kernel = 1;
		fd = perf_open(&a, pid, cpu, -1);
	} else if (fd >= 0) {
		p->st.in_kernel = 1;
	}
	if (fd < 0)
		return -errno;
	r->fd = (int)fd;
	for (r->pages = p->ring_pages;; r->pages /= 2) {
		m = mmap(NULL, (r->pages + 1) * 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED, r->fd, 0);
		if (m != MAP_FAILED || errno != EPERM ||
		    r->pages <= RING_PAGES_MIN)
			break;
	}
	if (m == MAP_FAILED) {
		close(r->fd);
		return -errno;
	}
	r->meta = m;
	r->data = (unsigned char *)m + 4096;
	r->size = r->pages * 4096;
	p->nrings++;
	if (add_fd(p, r->fd, EV_FAULT))
		return -EINVAL;
	return 0;
}

/* The release tracepoints of one CPU, writing into its ring. */
static int open_releases(struct mp_perf *p, pid_t pid, int cpu,
			 const long *ids)
{
	int e;

	for (e = EV_MUNMAP; e < EV_N; e++) {
		struct perf_event_attr a;
		long fd;

		base_attr(&a);
		a.type = PERF_TYPE_TRACEPOINT;
		a.config = (uint64_t)ids[e];
		a.sample_type |= PERF_SAMPLE_RAW;
		if (e == EV_BRK_EXIT) {	/* only the new break is needed */
			a.sample_type &= ~(uint64_t)(PERF_SAMPLE_REGS_USER |
						     PERF_SAMPLE_STACK_USER);
			a.sample_regs_user = 0;
			a.sample_stack_user = 0;
		}
		fd = perf_open(&a, pid, cpu, -1);
		if (fd < 0)
			return -1;
		if (ioctl((int)fd, PERF_EVENT_IOC_SET_OUTPUT,
			  p->rings[p->nrings - 1].fd) ||
		    add_fd(p, (int)fd, (enum ev)e))
			return -1;
	}
	return 0;
}

int mp_perf_open(struct mp_perf **out, pid_t pid)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF), ids[EV_N];
	const char *refuse = getenv("MPROF_LINES_PERF_REFUSE");
	struct mp_perf *p;
	int cpu, rc = 0, e, releases = 1;

	*out = NULL;
	if (refuse && *refuse && strcmp(refuse, "0"))
		return -EACCES;
	if (ncpu < 1)
		ncpu = 1;
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->ring_pages = ring_pages(stack_dump(), ncpu);
	pthread_mutex_init(&p->lock, NULL);
	p->cfi = mp_cfi_new();
	p->rings = calloc((size_t)ncpu, sizeof *p->rings);
	p->fds = calloc((size_t)ncpu * EV_N, sizeof *p->fds);
	if (!p->rings || !p->fds) {
		free(p->rings);
		free(p->fds);
		free(p);
		return -ENOMEM;
	}
	for (e = EV_MUNMAP; e < EV_N; e++)
		if ((ids[e] = tracepoint_id(tracepoints[e])) < 0)
			releases = 0;
	for (cpu = 0; cpu < ncpu; cpu++) {
		rc = open_fault(p, pid, cpu);
		if (rc == -ENODEV || rc == -EINVAL) {
			rc = 0;	/* an offline CPU */
			continue;
		}
		if (rc)
			break;
		if (releases && open_releases(p, pid, cpu, ids))
			releases = 0;
	}
	if (!rc && !p->nrings)
		rc = -ENODEV;
	if (rc) {
		mp_perf_close(p, NULL);
		return rc;
	}
	if (!releases) {
		/* all or none: keep the fault events only */
		int i, k = 0;

		for (i = 0; i < p->nfds; i++) {
			int keep = 0, r;

			for (r = 0; r < p->nrings; r++)
				keep |= p->fds[i] == p->rings[r].fd;
			if (keep)
				p->fds[k++] = p->fds[i];
			else
				close(p->fds[i]);
		}
		p->nfds = k;
	}
	p->st.releases = releases;
	if (!pthread_create(&p->reader, NULL, reader, p))
		p->reading = 1;
	*out = p;
	return 0;
}

static int reserve(struct batch *p, size_t len)
{
	if (p->blen + len > p->bcap) {
		size_t cap = p->bcap ? p->bcap : 1 << 20;
		unsigned char *nb;

		while (cap < p->blen + len)
			cap *= 2;
		nb = realloc(p->buf, cap);
		if (!nb)
			return -1;
		p->buf = nb;
		p->bcap = cap;
	}
	if (p->nrecs == p->caprecs) {
		size_t cap = p->caprecs ? p->caprecs * 2 : 4096;
		struct rec *nr = realloc(p->recs, cap * sizeof *nr);

		if (!nr)
			return -1;
		p->recs = nr;
		p->caprecs = cap;
	}
	return 0;
}

/* Copy every record of ring r into the batch and free its space. */
static void copy_ring(struct batch *p, struct ring *r)
{
	uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->meta->data_tail;

	while (tail < head) {
		struct perf_event_header h;
		size_t off = tail & (r->size - 1), first;
		unsigned char *dst;
		struct rec *rc;

		memcpy(&h, r->data + off, sizeof h);	/* 8-aligned: no wrap */
		if (h.size < sizeof h || reserve(p, h.size))
			break;
		dst = p->buf + p->blen;
		first = r->size - off < h.size ? r->size - off : h.size;
		memcpy(dst, r->data + off, first);
		memcpy(dst + first, r->data, h.size - first);
		rc = &p->recs[p->nrecs++];
		rc->off = p->blen;
		rc->len = h.size;
		rc->time = 0;
		if (h.type == PERF_RECORD_SAMPLE && h.size >= 40)
			memcpy(&rc->time, dst + sizeof h + 24, 8);
		else if (h.type != PERF_RECORD_SAMPLE && h.size >= sizeof h + 16)
			memcpy(&rc->time, dst + h.size - 16, 8);
		p->blen += h.size;
		tail += h.size;
	}
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
}

static int cmp_rec(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->off < b->off ? -1 : a->off > b->off;
}

/*
 * What precedes return address ra in the live process's code: 0 no call,
 * 1 an indirect call (or code that cannot be read any more: the process
 * is gone, and the line information is trusted), 2 a direct call, whose
 * target goes to *target.  Cached per process and address.
 */
static int call_kind(struct mp_perf *p, uint32_t pid, uint64_t ra,
		     uint64_t *target)
{
	uint64_t key = ra ^ ((uint64_t)pid << 48), *v;
	unsigned char b[7];
	struct iovec l = { b, sizeof b }, rm = { (void *)(ra - 7), sizeof b };
	int32_t rel;
	int added;

	v = key ? mp_hmap_get(&p->calls, key) : NULL;
	if (!v) {
		if (process_vm_readv((pid_t)pid, &l, 1, &rm, 1, 0) !=
		    (ssize_t)sizeof b)
			return 1;
		v = key ? mp_hmap_put(&p->calls, key, &added) : NULL;
		if (!v)	/* no room to cache: 0 or 1, never a target */
			return mp_unwind_follows_call(b) ? 1 : 0;
		if (!mp_unwind_follows_call(b)) {
			*v = 1;
		} else if (b[2] == 0xe8) {
			memcpy(&rel, b + 3, 4);
			*v = ra + (uint64_t)(int64_t)rel;
			if (*v < 4096)
				*v = 2;
		} else {
			*v = 2;
		}
	}
	if (*v == 1)
		return 0;
	if (*v == 2)
		return 1;
	*target = *v;
	return 2;
}

/* unwind.c's call test. */
static int is_call(void *ctx, uint32_t pid, uint64_t ra)
{
	uint64_t target;

	return call_kind(ctx, pid, ra, &target) != 0;
}

/* The fields of a sample, as far as this recorder asks for them. */
struct sample {
	uint64_t id, ip, time, addr;
	uint32_t pid, tid;
	const unsigned char *raw;
	uint32_t rawlen;
	uint64_t uip, usp, ubp;	/* user registers; uip 0: none */
	const uint64_t *stack;	/* user stack words */
	size_t nstack;
};

static int parse_sample(const unsigned char *b, size_t len, uint64_t type,
			struct sample *s)
{
	const unsigned char *p = b + sizeof(struct perf_event_header),
			    *end = b + len;
	uint64_t abi, size, dyn;

#define TAKE(dst, n) do { if (p + (n) > end) return -1; \
		memcpy((dst), p, (n)); p += (n); } while (0)
	memset(s, 0, sizeof *s);
	TAKE(&s->id, 8);
	TAKE(&s->ip, 8);
	TAKE(&s->pid, 4);
	TAKE(&s->tid, 4);
	TAKE(&s->time, 8);
	if (type & PERF_SAMPLE_ADDR)
		TAKE(&s->addr, 8);
	if (type & PERF_SAMPLE_RAW) {
		TAKE(&s->rawlen, 4);
		if (p + s->rawlen > end)
			return -1;
		s->raw = p;
		p += s->rawlen;
	}
	if (type & PERF_SAMPLE_REGS_USER) {
		TAKE(&abi, 8);
		if (abi) {	/* in register order: bp, sp, ip */
			TAKE(&s->ubp, 8);
			TAKE(&s->usp, 8);
			TAKE(&s->uip, 8);
		}
	}
	if (type & PERF_SAMPLE_STACK_USER) {
		TAKE(&size, 8);
		if (size) {
			if (p + size + 8 > end)
				return -1;
			memcpy(&dyn, p + size, 8);
			s->stack = (const uint64_t *)(const void *)p;
			s->nstack = (dyn < size ? dyn : size) / 8;
		}
	}
#undef TAKE
	return 0;
}

/* The function holding addr, inlined code aside (the out-of-line one). */
static const char *outer_func(struct mp_sym *sym, uint32_t pid, uint64_t addr)
{
	struct mp_sym_frame f[8];
	int n = mp_sym_lookup(sym, pid, addr, f, 8);

	return n > 0 ? f[n - 1].func : NULL;
}

/*
 * The return addresses of the calls that led to the frame at addr, from
 * the stack words after the one that gave addr: each in the program's own
 * code with lines, after a direct call of the function the frame below it
 * is in (a stale return address left in a stack slot rarely calls the
 * right function).  The chain ends at an indirect call (its target cannot
 * be checked) and where the copied stack ends.
 */
static size_t callers(struct mp_perf *p, struct mp_sym *sym,
		      const struct sample *s, uint64_t addr, size_t next,
		      uint64_t *out, size_t max)
{
	const char *fn = outer_func(sym, s->pid, addr), *tf;
	uint64_t target;
	size_t i, n = 0;
	int kind;

	for (i = next; i < s->nstack && n < max && fn; i++) {
		uint64_t ra = s->stack[i];

		if (ra < 4096 ||
		    mp_code_kind(p->code, s->pid, ra - 1) != MP_CODE_USER ||
		    !mp_sym_has_lines(sym, s->pid, ra - 1))
			continue;
		kind = call_kind(p, s->pid, ra, &target);
		if (!kind)
			continue;
		/* an indirect call cannot be checked: a stale return address
		   of one would charge a line that is not running */
		if (kind == 1)
			break;
		tf = outer_func(sym, s->pid, target);
		if (tf && strcmp(tf, fn))
			continue;
		out[n++] = ra;
		fn = outer_func(sym, s->pid, ra - 1);
	}
	return n;
}

/*
 * The return addresses of the sample's stack, innermost first, unwound
 * with the objects' CFI (cfi.h) from the sampled registers and the copied
 * stack; the chain ends where the copy or the CFI does.
 */
static size_t cfi_chain(struct mp_perf *p, const struct sample *s,
			uint64_t *out, size_t max)
{
	uint64_t ip = s->uip, sp = s->usp, bp = s->ubp, base = s->usp;
	uint64_t end = base + s->nstack * 8, off, cfa, ra, at;
	struct mp_cfi_rule r;
	const char *path;
	size_t n = 0;
	int first = 1;

	if (!p->cfi || !ip || !s->nstack)
		return 0;
	while (n < max) {
		path = mp_code_module(p->code, s->pid, first ? ip : ip - 1,
				      &off);
		if (!path[0] || mp_cfi_rule(p->cfi, path, off, &r))
			break;
		cfa = (r.cfa_reg == REG_SP ? sp : bp) + (uint64_t)r.cfa_off;
		if (cfa < base + 8 || cfa > end || (cfa & 7))
			break;
		ra = s->stack[(cfa - 8 - base) / 8];
		if (r.bp_saved) {
			at = cfa + (uint64_t)r.bp_off;
			if (at < base || at + 8 > end || (at & 7))
				break;
			bp = s->stack[(at - base) / 8];
		}
		sp = cfa;
		ip = ra;
		first = 0;
		if (ra < 4096)
			break;
		out[n++] = ra;
	}
	return n;
}

/* ip (first: the event's own instruction) is the program's, with lines. */
static int user_line(struct mp_perf *p, struct mp_sym *sym, uint32_t pid,
		     uint64_t ip)
{
	return mp_code_kind(p->code, pid, ip) == MP_CODE_USER &&
	       mp_sym_has_lines(sym, pid, ip);
}

/* Charge bytes to the line of this sample's event and its callers'. */
static void charge(struct mp_perf *p, struct mp_sym *sym, struct mp_acct *a,
		   const struct sample *s, int64_t bytes)
{
	uint64_t addr, up[MAX_CALLERS];
	enum mp_unwind_how how;
	size_t next, n = 0, j;

	n = cfi_chain(p, s, up, MAX_CALLERS);
	if (n && user_line(p, sym, s->pid, s->uip)) {
		p->st.at_ip++;
		p->st.by_cfi++;
		mp_acct_charge_stack(a, s->pid, s->uip, up, n, bytes, 1);
		return;
	}
	for (j = 0; j < n; j++)
		if (user_line(p, sym, s->pid, up[j] - 1)) {
			p->st.on_stack++;
			p->st.by_cfi++;
			mp_acct_charge_stack(a, s->pid, up[j] - 1, up + j + 1,
					     n - j - 1, bytes, 1);
			return;
		}
	n = 0;

	addr = mp_unwind_pick(p->code, sym, s->pid, s->uip ? s->uip : s->ip,
			      s->stack, s->nstack, is_call, p, &how, &next);
	if (how == MP_UNWIND_IP)
		p->st.at_ip++;
	else if (how == MP_UNWIND_STACK)
		p->st.on_stack++;
	else
		p->st.no_line++;
	if (how != MP_UNWIND_NONE)
		n = callers(p, sym, s, addr, next, up, MAX_CALLERS);
	mp_acct_charge_stack(a, s->pid, addr, up, n, bytes, 1);
}

static uint64_t raw_u64(const struct sample *s, size_t off)
{
	uint64_t v = 0;

	if (s->raw && off + 8 <= s->rawlen)
		memcpy(&v, s->raw + off, 8);
	return v;
}

static void on_sample(struct mp_perf *p, struct mp_sym *sym,
		      struct mp_acct *a, const unsigned char *b, size_t len)
{
	static const uint64_t base = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP |
		PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
	const uint64_t regs = PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	uint64_t id, *v, start, len2, n, *brk;
	struct sample s;
	enum ev e;
	int added;

	if (len < 16)
		return;
	memcpy(&id, b + 8, 8);
	v = mp_hmap_get(&p->ids, id);
	if (!v)
		return;
	e = (enum ev)(*v - 1);
	if (parse_sample(b, len, base | (e == EV_FAULT ? PERF_SAMPLE_ADDR | regs :
				    e == EV_BRK_EXIT ? PERF_SAMPLE_RAW :
				    PERF_SAMPLE_RAW | regs), &s))
		return;
	switch (e) {
	case EV_FAULT:
		p->st.events++;
		if (!mp_acct_page_in(a, s.pid, s.addr))
			return;
		charge(p, sym, a, &s, 4096);
		return;
	case EV_MUNMAP:
	case EV_MADVISE:
		start = raw_u64(&s, 16);
		len2 = raw_u64(&s, 24);
		/* MADV_DONTNEED 4, MADV_FREE 8, MADV_REMOVE 9 */
		if (e == EV_MADVISE) {
			uint64_t adv = raw_u64(&s, 32);

			if (adv != 4 && adv != 8 && adv != 9)
				return;
		}
		break;
	case EV_BRK:
		brk = mp_hmap_get(&p->brk, (uint64_t)s.pid + 1);
		start = raw_u64(&s, 16);
		if (!brk || !start || start >= *brk)
			return;
		len2 = *brk - start;
		break;
	case EV_BRK_EXIT:
		brk = mp_hmap_put(&p->brk, (uint64_t)s.pid + 1, &added);
		if (brk)
			*brk = raw_u64(&s, 16);
		return;
	default:
		return;
	}
	n = mp_acct_release(a, s.pid, start, len2);
	if (n)
		charge(p, sym, a, &s, -(int64_t)(n * 4096));
}

static void on_record(struct mp_perf *p, struct mp_sym *sym,
		      struct mp_acct *a, const unsigned char *b, size_t len)
{
	struct perf_event_header h;
	const unsigned char *body = b + sizeof h;
	uint32_t pid, ppid, tid, ptid;
	uint64_t lost;

	memcpy(&h, b, sizeof h);
	switch (h.type) {
	case PERF_RECORD_SAMPLE:
		on_sample(p, sym, a, b, len);
		break;
	case PERF_RECORD_MMAP2:
		if (len >= sizeof h + 64 + 1) {
			uint64_t start, mlen, pgoff;
			uint32_t prot;

			memcpy(&pid, body, 4);
			memcpy(&start, body + 8, 8);
			memcpy(&mlen, body + 16, 8);
			memcpy(&pgoff, body + 24, 8);
			/* the file name ends the fixed part (64 bytes) */
			memcpy(&prot, body + 56, 4);
			mp_sym_map(sym, pid, start, start + mlen, pgoff,
				   (const char *)body + 64);
			mp_code_map(p->code, pid, start,
				    prot & PROT_EXEC ? start + mlen : start,
				    pgoff, (const char *)body + 64);
		}
		break;
	case PERF_RECORD_COMM:
		if (h.misc & PERF_RECORD_MISC_COMM_EXEC) {
			memcpy(&pid, body, 4);
			memcpy(&tid, body + 4, 4);
			if (pid == tid) {
				mp_sym_exec(sym, pid);
				mp_code_exec(p->code, pid);
				mp_acct_exec(a, pid);
			}
		}
		break;
	case PERF_RECORD_FORK:
		memcpy(&pid, body, 4);
		memcpy(&ppid, body + 4, 4);
		memcpy(&tid, body + 8, 4);
		memcpy(&ptid, body + 12, 4);
		(void)ptid;
		if (pid != ppid && pid == tid) {
			mp_sym_fork(sym, ppid, pid);
			mp_code_fork(p->code, ppid, pid);
			mp_acct_fork(a, ppid, pid);
		}
		break;
	case PERF_RECORD_THROTTLE:
		p->st.throttled++;
		break;
	case PERF_RECORD_LOST:
		memcpy(&lost, body + 8, 8);
		p->st.lost += lost;
		break;
	default:
		break;
	}
}

/* The reader thread: wait for data (or 10 ms), copy every ring out. */
static void *reader(void *arg)
{
	struct mp_perf *p = arg;
	struct pollfd fds[256];
	int i, n = p->nrings < 256 ? p->nrings : 256, stop;

	for (i = 0; i < n; i++) {
		fds[i].fd = p->rings[i].fd;
		fds[i].events = POLLIN;
	}
	/* a ring read late overflows: ahead of the program, the main thread
	   and the machine's other work where allowed (root); an error
	   leaves it as it was */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), READER_NICE);
	do {
		stop = __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE);
		if (!stop)
			poll(fds, (nfds_t)n, 10);
		pthread_mutex_lock(&p->lock);
		for (i = 0; i < p->nrings; i++)
			copy_ring(&p->gathered, &p->rings[i]);
		pthread_mutex_unlock(&p->lock);
	} while (!stop);
	return NULL;
}

/* Swap what the reader gathered into work (or copy the rings, without
   a reader). */
static void take(struct mp_perf *p)
{
	struct batch t;
	int i;

	p->work.blen = 0;
	p->work.nrecs = 0;
	pthread_mutex_lock(&p->lock);
	if (!p->reading)
		for (i = 0; i < p->nrings; i++)
			copy_ring(&p->gathered, &p->rings[i]);
	t = p->gathered;
	p->gathered = p->work;
	p->work = t;
	pthread_mutex_unlock(&p->lock);
}

void mp_perf_drain(struct mp_perf *p, struct mp_sym *s, struct mp_code *c,
		   struct mp_acct *a)
{
	size_t i;

	p->code = c;
	take(p);
	qsort(p->work.recs, p->work.nrecs, sizeof *p->work.recs, cmp_rec);
	for (i = 0; i < p->work.nrecs; i++)
		on_record(p, s, a, p->work.buf + p->work.recs[i].off,
			  p->work.recs[i].len);
}

void mp_perf_stop(struct mp_perf *p)
{
	if (!p->reading)
		return;
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	pthread_join(p->reader, NULL);
	p->reading = 0;
}

void mp_perf_close(struct mp_perf *p, struct mp_rec_stats *st)
{
	int i;

	if (!p)
		return;
	mp_perf_stop(p);
	if (st)
		*st = p->st;
	for (i = 0; i < p->nrings; i++)
		munmap(p->rings[i].meta, (p->rings[i].pages + 1) * 4096);
	for (i = 0; i < p->nfds; i++)
		close(p->fds[i]);
	free(p->rings);
	free(p->fds);
	free(p->gathered.buf);
	free(p->gathered.recs);
	free(p->work.buf);
	free(p->work.recs);
	mp_hmap_free(&p->ids);
	mp_hmap_free(&p->calls);
	mp_hmap_free(&p->brk);
	mp_cfi_free(p->cfi);
	free(p);
}
