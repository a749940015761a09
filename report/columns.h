/* SPDX-License-Identifier: MIT */
/*
 * columns.h - the one name table of the optional columns (enum mp_column,
 * profile.h; docs/columns.md): the names MPROF_COLUMNS, `mprof report
 * --columns` and the JSON profile's "columns" member use, and the titles
 * the table prints.
 */
#ifndef MP_COLUMNS_H
#define MP_COLUMNS_H

#include <stddef.h>

/* What the accepted names are, for messages. */
#define MP_COLUMNS_ACCEPTED "time, allocs, peak, leaked, all"

/*
 * Parse a comma-separated list of column names (any order, repeats and
 * empty items allowed; "all" for every column) into *bits.  Returns 0, or
 * -1 when an item is no column name: *bits then holds the valid ones and
 * *bad, *badlen the first bad item.
 */
int mp_columns_parse(const char *list, unsigned *bits, const char **bad,
		     size_t *badlen);

/* The name of the one column `bit`, or NULL. */
const char *mp_columns_name(unsigned bit);

/* The column `name` (len bytes), or 0 when it is none. */
unsigned mp_columns_named(const char *name, size_t len);

/*
 * The names of `bits`, comma-separated in the table's order ("time,peak"),
 * into buf; returns buf.
 */
char *mp_columns_list(char *buf, size_t size, unsigned bits);

#endif /* MP_COLUMNS_H */
