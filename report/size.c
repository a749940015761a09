/* SPDX-License-Identifier: MIT */
/*
 * size.c - the size parser and formatter declared in size.h.  Integer
 * arithmetic only: the digits after the point are kept as a fraction
 * num / den (at most 18 digits are significant) and scaled with 128-bit
 * products, so "1.5G" is exactly 1610612736 and no strtod() or locale is
 * involved.  Fractions of a byte are dropped.
 */
#include "size.h"

#include <stdio.h>
#include <string.h>

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * The unit at `u` (already past any spaces): its multiplier, or 0 when it
 * is not one of size.h's.
 */
static uint64_t unit(const char *u)
{
	static const char prefixes[] = "kmgt";
	const char *at;
	uint64_t m;
	int i, n;

	if (!*u)
		return 1;
	if (lower(u[0]) == 'b' && !u[1])
		return 1;
	at = strchr(prefixes, lower(u[0]));
	if (!at || !u[0])
		return 0;
	n = (int)(at - prefixes) + 1;
	u++;
	if (!*u || (lower(u[0]) == 'i' && lower(u[1]) == 'b' && !u[2])) {
		for (m = 1, i = 0; i < n; i++)
			m *= 1024;
		return m;
	}
	if (lower(u[0]) == 'b' && !u[1]) {
		for (m = 1, i = 0; i < n; i++)
			m *= 1000;
		return m;
	}
	return 0;
}

int mp_size_parse(const char *s, uint64_t *bytes)
{
	uint64_t whole = 0, num = 0, den = 1, mult;
	unsigned __int128 v;
	int digits = 0;

	if (!s)
		return -1;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (whole > (MP_SIZE_MAX - d) / 10)
			return -1;
		whole = whole * 10 + d;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if (den < 1000000000000000000ull) {
				num = num * 10 + (uint64_t)(*s - '0');
				den *= 10;
			}
	}
	if (!digits)
		return -1;
	while (*s == ' ')
		s++;
	mult = unit(s);
	if (!mult)
		return -1;
	v = (unsigned __int128)whole * mult +
	    (unsigned __int128)num * mult / den;
	if (v > MP_SIZE_MAX)
		return -1;
	*bytes = (uint64_t)v;
	return 0;
}

char *mp_size_format(char *buf, size_t size, int64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	uint64_t mag = bytes < 0 ? -(uint64_t)bytes : (uint64_t)bytes;
	uint64_t scale = 1024, tenths;
	int i = 0;

	if (mag < 1024) {
		snprintf(buf, size, "%s%llu B", bytes < 0 ? "-" : "",
			 (unsigned long long)mag);
		return buf;
	}
	/* the largest unit that gives at least 1.0 (after rounding) */
	while (i < 3 && mag >= scale * 1024 - scale / 20) {
		scale *= 1024;
		i++;
	}
	tenths = (uint64_t)(((unsigned __int128)mag * 10 + scale / 2) / scale);
	snprintf(buf, size, "%s%llu.%llu %s", bytes < 0 ? "-" : "",
		 (unsigned long long)(tenths / 10),
		 (unsigned long long)(tenths % 10), units[i]);
	return buf;
}
