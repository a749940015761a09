/* SPDX-License-Identifier: MIT */
/*
 * datline.h - the FUNC line of a .dat (docs/mprof-run.md, "The .dat
 * format"), formatted without allocating, without stdio and without
 * locale: the runtime writes one from inside the program's calls under
 * `mprof run` (runtime/funclog.c), where neither malloc nor printf may
 * be used.  The line is
 *
 *     FUNC <file>.<function> <MiB start> <t start> <MiB end> <t end> <level>[ <calls>[ <MiB peak>]]\n
 *
 * Figures are %.4f: bytes / 2^20 rounded to nearest (what Python's
 * "%.4f" % (bytes / 2**20) prints: the quotient is exact in binary and
 * never half-way between two steps of 1e-4; a negative figure that rounds
 * to zero prints "0.0000" where Python prints "-0.0000"), seconds from
 * nanoseconds with halves rounded up.  The seventh field, the number of
 * calls the record stands for, is written when it is above one or when
 * the eighth is; the eighth, the largest figure the calls saw, only when
 * it prints larger than both the entry and exit figures.  Blanks in the name
 * become '_' so the line keeps its fields; a name too long for the line
 * is cut from the left (the function keeps at most half of the room).
 * The reader of these lines is dat.h's, in the `mprof` command.
 */
#ifndef MP_DATLINE_H
#define MP_DATLINE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bytes of the line the name may take; the tag, the numbers and the
 * blanks take at most 141 more (every field at its type's extreme), so
 * MP_DATLINE_MAX always holds a line, and a line of realistic figures
 * fits in 1024 bytes.
 */
#define MP_DATLINE_NAME	896
/* The buffer mp_datline_func() writes into, its '\n' included. */
#define MP_DATLINE_MAX	(MP_DATLINE_NAME + 160)

/* One FUNC record, in the runtime's units. */
struct mp_datline_func {
	const char *file;	/* as given to the compiler; NULL: "?" */
	const char *name;	/* the function; NULL: "?" */
	int64_t mem_start;	/* bytes at the first entry */
	int64_t t_start;	/* CLOCK_REALTIME then, ns */
	int64_t mem_end;	/* bytes at the last exit */
	int64_t t_end;		/* CLOCK_REALTIME then, ns */
	int64_t mem_peak;	/* the largest figure the calls saw, bytes */
	uint64_t level;		/* profiled calls open below the first one */
	uint64_t calls;		/* calls the record stands for, >= 1 */
};

/*
 * Write the record's line, '\n'-terminated, not NUL-terminated, into
 * buf (MP_DATLINE_MAX bytes) and return its length.  Async-signal-safe:
 * it only reads its arguments and writes buf.
 */
size_t mp_datline_func(char *buf, const struct mp_datline_func *r);

#endif /* MP_DATLINE_H */
