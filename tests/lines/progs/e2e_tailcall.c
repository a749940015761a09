/* SPDX-License-Identifier: MIT */
/*
 * e2e_tailcall.c - a tail call in the middle of the stack (mprof lines,
 * heap backend): drop() ends with a jump to release(), which calls free()
 * (a real call: the counter is updated after it), so drop()'s frame is
 * gone while free() runs and its line `release(b->data)` is found only by
 * decoding the call that main() made (docs/lines.md, a tail call); grab()
 * does the same for malloc; forget() ends with a jump to drop(): two
 * frames gone; discard()'s jump lies beyond its first 512 bytes, at its
 * very end.  Each line must carry the plugin's figure.
 */
#include <stdio.h>
#include <stdlib.h>

struct buf {
	char *data;
	size_t size;
};

static volatile size_t calls;
static volatile int sink;

#define SET10(k) sink = k; sink = k + 1; sink = k + 2; sink = k + 3; \
	sink = k + 4; sink = k + 5; sink = k + 6; sink = k + 7; sink = k + 8; \
	sink = k + 9;

__attribute__((noinline)) static char *obtain(size_t n)
{
	char *p = malloc(n);
	calls++;
	return p;
}

__attribute__((noinline)) static void release(char *p)
{
	free(p);
	calls++;
}

__attribute__((noinline)) static char *grab(struct buf *b, size_t n)
{
	if (!n)
		return NULL;
	b->size = n;
	return obtain(n);
}

__attribute__((noinline)) static void drop(struct buf *b)
{
	if (!b->data)
		return;
	release(b->data);
}

__attribute__((noinline)) static void forget(struct buf *b)
{
	b->size = 0;
	drop(b);
}

__attribute__((noinline)) static void discard(struct buf *b)
{
	SET10(0) SET10(10) SET10(20) SET10(30) SET10(40) SET10(50)
	release(b->data);
}

int main(void)
{
	struct buf b[4] = { { 0 } };
	size_t total = 0;

	for (int i = 0; i < 4; i++) {
		b[i].data = grab(&b[i], (size_t)(i + 1) << 20);
		total += b[i].size;
	}
	for (int i = 0; i < 4; i++) {
		if (i == 3)
			discard(&b[i]);
		else if (i & 1)
			forget(&b[i]);
		else
			drop(&b[i]);
	}
	printf("%zu %zu\n", total, (size_t)calls);
	return 0;
}
