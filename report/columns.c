/* SPDX-License-Identifier: MIT */
/*
 * columns.c - the optional columns' names (columns.h), in the order the
 * table prints them.  The runtime (MPROF_COLUMNS), `mprof report
 * --columns` and the JSON reader and writer all go through this table.
 */
#include "columns.h"

#include <string.h>

#include "profile.h"

static const struct {
	unsigned bit;
	const char *name;
} names[] = {
	{ MP_COL_TIME, "time" },
	{ MP_COL_ALLOCS, "allocs" },
	{ MP_COL_PEAK, "peak" },
	{ MP_COL_LEAKED, "leaked" },
};

#define NNAMES (sizeof names / sizeof names[0])

const char *mp_columns_name(unsigned bit)
{
	for (size_t i = 0; i < NNAMES; i++)
		if (names[i].bit == bit)
			return names[i].name;
	return NULL;
}

unsigned mp_columns_named(const char *name, size_t len)
{
	if (len == 3 && !memcmp(name, "all", 3))
		return MP_COL_ALL;
	for (size_t i = 0; i < NNAMES; i++)
		if (strlen(names[i].name) == len &&
		    !memcmp(names[i].name, name, len))
			return names[i].bit;
	return 0;
}

int mp_columns_parse(const char *list, unsigned *bits, const char **bad,
		     size_t *badlen)
{
	const char *p = list, *end;
	int rc = 0;

	*bits = 0;
	for (; *p; p = *end ? end + 1 : end) {
		unsigned bit;

		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (end == p)
			continue;
		bit = mp_columns_named(p, (size_t)(end - p));
		if (bit) {
			*bits |= bit;
		} else if (!rc) {
			rc = -1;
			*bad = p;
			*badlen = (size_t)(end - p);
		}
	}
	return rc;
}

char *mp_columns_list(char *buf, size_t size, unsigned bits)
{
	size_t n = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < NNAMES; i++) {
		size_t len = strlen(names[i].name);

		if (!(bits & names[i].bit) || n + len + 2 > size)
			continue;
		if (n)
			buf[n++] = ',';
		memcpy(buf + n, names[i].name, len + 1);
		n += len;
	}
	return buf;
}
