/* SPDX-License-Identifier: MIT */
/*
 * heap.c - the heap recorder of `mprof lines` (record.h): reads the
 * preload library's events from its pipe and charges exact bytes: an
 * allocation +size to the line that called malloc & co., a free -size
 * (the size the block was allocated with) to the line that called free,
 * a realloc both on its own line.  A process new to the recorder gets the
 * mappings of its parent (a fork), then its own from /proc; the library
 * says when a process starts (its exec: the old mappings are dropped) and
 * when a call comes from code it did not know (a dlopen), and the
 * mappings are read again.
 */
#define _GNU_SOURCE
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acct.h"
#include "code.h"
#include "hmap.h"
#include "symbolize.h"
#include "unwind.h"

struct mp_heap {
	int fd;
	size_t have;		/* bytes of a partial event in buf */
	struct mp_hmap seen;	/* pid + 1 -> 1 */
	struct mp_rec_stats st;
	unsigned char buf[64 * sizeof(struct mp_heap_event)];
};

struct mp_heap *mp_heap_new(int fd)
{
	struct mp_heap *h = calloc(1, sizeof *h);

	if (h)
		h->fd = fd;
	return h;
}

/* Charge bytes to the line of the event and to its callers' lines. */
static void charge(struct mp_heap *h, struct mp_sym *s, struct mp_code *c,
		   struct mp_acct *a, const struct mp_heap_event *e,
		   int64_t bytes)
{
	size_t n = e->nframes < MP_HEAP_FRAMES ? e->nframes : MP_HEAP_FRAMES;
	enum mp_unwind_how how;
	size_t next;
	uint64_t ip;

	/* e->ip is a return address: its call is the instruction before */
	ip = mp_unwind_pick(c, s, e->pid, e->ip - 1, e->frames, n, NULL,
			    NULL, &how, &next);
	if (how == MP_UNWIND_IP) {
		h->st.at_ip++;
		/* the frames start with ip's own return address */
		next = n && e->frames[0] == e->ip ? 1 : 0;
	} else if (how == MP_UNWIND_STACK) {
		h->st.on_stack++;
	} else {
		h->st.no_line++;
		next = n;
	}
	mp_acct_charge_stack(a, e->pid, ip, e->frames + next, n - next, bytes,
			     1);
}

static void on_event(struct mp_heap *h, struct mp_sym *s, struct mp_code *c,
		     struct mp_acct *a,
		     const struct mp_heap_event *e)
{
	uint64_t *v;
	int64_t size;
	int added;

	v = mp_hmap_put(&h->seen, (uint64_t)e->pid + 1, &added);
	if (v)
		*v = 1;
	if (added) {
		/* a fork of a process seen (its mappings to start from), or
		   the program */
		if (e->ppid && mp_hmap_get(&h->seen, (uint64_t)e->ppid + 1)) {
			mp_sym_fork(s, e->ppid, e->pid);
			mp_code_fork(c, e->ppid, e->pid);
			mp_acct_fork(a, e->ppid, e->pid);
		} else {
			mp_acct_fork(a, 0, e->pid);
		}
	}
	if (e->kind == 0 && e->size == MP_HEAP_NOTE_EXEC) {
		mp_sym_exec(s, e->pid);
		mp_code_exec(c, e->pid);
		mp_acct_exec(a, e->pid);
	}
	if (!added && e->kind == 0 && e->size == MP_HEAP_NOTE_EXIT)
		return;
	if (added || e->kind == 0) {
		/* what it maps now; a process already gone keeps what it had */
		mp_sym_read_maps(s, e->pid);
		mp_code_read_maps(c, e->pid);
	}
	if (e->kind == 0)
		return;
	h->st.events++;
	switch (e->kind) {
	case MP_HEAP_ALLOC:
		if (!e->ptr)
			return;
		mp_acct_block_new(a, e->pid, e->ptr, e->size);
		charge(h, s, c, a, e, (int64_t)e->size);
		return;
	case MP_HEAP_FREE:
		size = mp_acct_block_free(a, e->pid, e->ptr);
		if (size >= 0)
			charge(h, s, c, a, e, -size);
		return;
	case MP_HEAP_REALLOC:
		size = e->old ? mp_acct_block_free(a, e->pid, e->old) : 0;
		if (size < 0)
			size = 0;
		if (e->ptr)
			mp_acct_block_new(a, e->pid, e->ptr, e->size);
		else if (e->size && e->old)	/* failed: the old block stays */
			mp_acct_block_new(a, e->pid, e->old, (uint64_t)size);
		charge(h, s, c, a, e,
		       (e->ptr ? (int64_t)e->size : (e->size ? size : 0)) - size);
		return;
	default:
		return;
	}
}

void mp_heap_drain(struct mp_heap *h, struct mp_sym *s, struct mp_code *c,
		   struct mp_acct *a)
{
	for (;;) {
		ssize_t n = read(h->fd, h->buf + h->have, sizeof h->buf - h->have);
		size_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		h->have += (size_t)n;
		while (h->have - off >= MP_HEAP_EVENT_SIZE(0)) {
			struct mp_heap_event e;
			size_t len;

			memcpy(&e, h->buf + off, MP_HEAP_EVENT_SIZE(0));
			if (e.nframes > MP_HEAP_FRAMES)
				e.nframes = MP_HEAP_FRAMES;
			len = MP_HEAP_EVENT_SIZE(e.nframes);
			if (h->have - off < len)
				break;
			memcpy(&e, h->buf + off, len);
			on_event(h, s, c, a, &e);
			off += len;
		}
		memmove(h->buf, h->buf + off, h->have - off);
		h->have -= off;
	}
}

void mp_heap_close(struct mp_heap *h, struct mp_rec_stats *st)
{
	if (!h)
		return;
	if (st)
		*st = h->st;
	mp_hmap_free(&h->seen);
	free(h);
}
