/* SPDX-License-Identifier: MIT */
/*
 * probe.h - how the symbolizer's test objects say where they are: PROBE()
 * reports the function, file and line it is written at, the chain of
 * inlined callers that led there (struct site, built by CALL()) and a
 * return address inside that line (the address after a call to mark(),
 * minus 1, is in the call instruction of that line).  The test symbolizes
 * the address and compares.
 */
#ifndef MPROF_TESTS_LINES_PROBE_H
#define MPROF_TESTS_LINES_PROBE_H

/* A call site on the way to a probe: func calls the next one at line. */
struct site {
	const char *func, *file;
	int line;
	const struct site *up;	/* where func itself was called, or NULL */
};

/* What the test does with each probe: ret is the return address of
 * mark(), called on here->line. */
typedef void probe_fn(const struct site *here, void *ret);

/* A real call whose return address is in the probe's line. */
static __attribute__((noinline, noclone, unused)) void *mark(void)
{
	void *ret = __builtin_return_address(0);

	__asm__ volatile("" : : "r"(ret) : "memory");
	return ret;
}

/* Report this line, reached through the inlined callers up. */
#define PROBE(cb, up)                                                          \
	do {                                                                   \
		const struct site here_ = { __func__, __FILE__, __LINE__, up }; \
		(cb)(&here_, mark());                                          \
	} while (0)

/* Call the always-inline fn(cb, site of this call). */
#define CALL(fn, cb, up)                                                       \
	do {                                                                   \
		const struct site at_ = { __func__, __FILE__, __LINE__, up };  \
		fn(cb, &at_);                                                  \
	} while (0)

#endif
