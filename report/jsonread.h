/* SPDX-License-Identifier: MIT */
/*
 * jsonread.h - the one reader of a profile saved as JSON (the schema is
 * json.h's), for `mprof report` and the tests; the runtime only writes
 * profiles and does not link it.
 *
 * The reader is strict RFC 8259 JSON (no comments, trailing commas, NaN,
 * BOM, leading zeros or lone surrogates other than json.h's \udc80..
 * \udcff), with
 * nesting bounded by MP_JSON_MAX_DEPTH, and then checks json.h's schema:
 * the types and ranges, no duplicate known member, rows of exactly four
 * integers with strictly increasing lines and Occurrences >= 1, "source"
 * an array of strings without newlines.  The first
 * problem ends the read with one line, "<name>:<line>: <message>", and -1;
 * malformed input never crashes it.  What it returns is merged and sorted
 * as the runtime's own profile is (mp_profile_merge), so writing it again
 * gives the normalised form.  Library code: nothing here prints.
 */
#ifndef MP_JSONREAD_H
#define MP_JSONREAD_H

#include <stddef.h>

#include "json.h"
#include "profile.h"

/* Deepest nesting accepted (the schema itself needs 4). */
#define MP_JSON_MAX_DEPTH 32

/* Largest file mp_json_read() accepts. */
#define MP_JSON_MAX_SIZE ((size_t)1 << 30)

/*
 * Parse `len` bytes at `buf` into `p` (initialised by the caller, normally
 * empty: functions are added to it) and `m` (may be NULL).  `name` names
 * the input in messages.  Returns 0, or -1 with one line in err (errlen
 * may be 0); on failure `p` keeps what was added, still valid for
 * mp_profile_free(), and `m` may be partly filled.
 */
int mp_json_parse(const char *buf, size_t len, const char *name,
		  struct mp_profile *p, struct mp_json_meta *m, char *err,
		  size_t errlen);

/*
 * Read the file `path` and parse it as mp_json_parse does.  -1 also when
 * the file cannot be read, is a directory, is empty or is larger than
 * MP_JSON_MAX_SIZE; err then says so with the file name quoted
 * ("'p.json' is empty").
 */
int mp_json_read(const char *path, struct mp_profile *p,
		 struct mp_json_meta *m, char *err, size_t errlen);

#endif /* MP_JSONREAD_H */
