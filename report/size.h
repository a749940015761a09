/* SPDX-License-Identifier: MIT */
/*
 * size.h - sizes as people write them ("512K", "24MiB", "1.5G", "4096"):
 * the one parser of the project, for the `mprof check` and `mprof diff`
 * limits and for runtime settings, and the short figure their messages
 * print.  Part of mprof_report, so the runtime carries it: no allocation,
 * no locale (a program's setlocale() never changes what "1.5G" means).
 *
 * Units, as coreutils' dd and sort read them: a number of bytes, then
 * optional spaces and a unit, case ignored.  K, M, G, T (alone, or with
 * "iB") are powers of 1024; KB, MB, GB, TB are powers of 1000; B is
 * bytes.  A fraction ("1.5G", ".5M") is allowed; fractions of a byte are
 * dropped.  No sign, no exponent, nothing after the unit.  (What
 * MPROF_LIMIT reads, docs/settings.md, which also refuses 0.)
 */
#ifndef MP_SIZE_H
#define MP_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* Largest size accepted: 2^62 bytes (4 EiB), so differences fit int64_t. */
#define MP_SIZE_MAX ((uint64_t)1 << 62)

/*
 * Parse the whole of `s` into *bytes.  Returns 0, or -1 (and *bytes
 * untouched) when `s` is not a size or is larger than MP_SIZE_MAX.
 */
int mp_size_parse(const char *s, uint64_t *bytes);

/*
 * `bytes` for a message, in the unit that keeps it short: "512 B",
 * "1.5 KiB", "7.6 MiB", "-3.8 MiB", "2.0 GiB" (one decimal, binary units,
 * never a locale's decimal comma).  Returns buf.
 */
char *mp_size_format(char *buf, size_t size, int64_t bytes);

#endif /* MP_SIZE_H */
