/* SPDX-License-Identifier: MIT */
/*
 * datline.c - the FUNC line formatter declared in datline.h: integers to
 * decimal text by hand, so that the runtime can write a record from
 * inside any call of the program it measures.
 */
#include "datline.h"

#include <string.h>

static size_t put_u64(char *o, size_t n, uint64_t v)
{
	char digits[24];
	size_t k = 0;

	do
		digits[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (k)
		o[n++] = digits[--k];
	return n;
}

/* v / 10^4 with four decimals (v in units of 1e-4), as %.4f prints it. */
static size_t put_fixed4(char *o, size_t n, int64_t v)
{
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	uint64_t frac = u % 10000;

	if (v < 0)
		o[n++] = '-';
	n = put_u64(o, n, u / 10000);
	o[n++] = '.';
	o[n++] = (char)('0' + frac / 1000);
	o[n++] = (char)('0' + frac / 100 % 10);
	o[n++] = (char)('0' + frac / 10 % 10);
	o[n++] = (char)('0' + frac % 10);
	return n;
}

/*
 * Bytes as MiB in units of 1e-4, rounded to nearest: bytes / 2^20 is
 * exact in binary and never lies half-way between two 1e-4 steps (that
 * would need 625 to divide a power of two), so this is what Python's
 * "%.4f" % (bytes / 2**20) prints.
 */
static int64_t mib4(int64_t bytes)
{
	uint64_t u = bytes < 0 ? 0 - (uint64_t)bytes : (uint64_t)bytes;
	uint64_t v = (u >> 20) * 10000 +
		     (((u & 0xfffff) * 10000 + (1u << 19)) >> 20);

	return bytes < 0 ? -(int64_t)v : (int64_t)v;
}

/* Nanoseconds as seconds in units of 1e-4, halves rounded away from 0. */
static int64_t sec4(int64_t ns)
{
	uint64_t u = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
	int64_t v = (int64_t)((u + 50000) / 100000);

	return ns < 0 ? -v : v;
}

/* "<file>.<function>", blanks made '_', cut from the left to fit. */
static size_t put_name(char *o, size_t n, const char *file, const char *name)
{
	size_t flen, nlen, start = n, i;

	file = file ? file : "?";
	name = name ? name : "?";
	flen = strlen(file);
	nlen = strlen(name);
	if (nlen > MP_DATLINE_NAME / 2) {
		name += nlen - MP_DATLINE_NAME / 2;
		nlen = MP_DATLINE_NAME / 2;
	}
	if (flen + 1 + nlen > MP_DATLINE_NAME) {
		file += flen + 1 + nlen - MP_DATLINE_NAME;
		flen = MP_DATLINE_NAME - 1 - nlen;
	}
	memcpy(o + n, file, flen);
	n += flen;
	o[n++] = '.';
	memcpy(o + n, name, nlen);
	n += nlen;
	for (i = start; i < n; i++)
		if (o[i] == ' ' || o[i] == '\t' || o[i] == '\n' ||
		    o[i] == '\r')
			o[i] = '_';
	return n;
}

size_t mp_datline_func(char *buf, const struct mp_datline_func *r)
{
	int64_t hi4 = mib4(r->mem_peak);
	int64_t e4 = mib4(r->mem_start > r->mem_end ? r->mem_start : r->mem_end);
	size_t n = 0;

	memcpy(buf, "FUNC ", 5);
	n = put_name(buf, 5, r->file, r->name);
	buf[n++] = ' ';
	n = put_fixed4(buf, n, mib4(r->mem_start));
	buf[n++] = ' ';
	n = put_fixed4(buf, n, sec4(r->t_start));
	buf[n++] = ' ';
	n = put_fixed4(buf, n, mib4(r->mem_end));
	buf[n++] = ' ';
	n = put_fixed4(buf, n, sec4(r->t_end));
	buf[n++] = ' ';
	n = put_u64(buf, n, r->level);
	if (r->calls > 1 || hi4 > e4) {
		buf[n++] = ' ';
		n = put_u64(buf, n, r->calls);
	}
	if (hi4 > e4) {
		buf[n++] = ' ';
		n = put_fixed4(buf, n, hi4);
	}
	buf[n++] = '\n';
	return n;
}
