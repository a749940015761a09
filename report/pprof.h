/* SPDX-License-Identifier: MIT */
/*
 * pprof.h - a profile as pprof's profile.proto (github.com/google/pprof,
 * proto/profile.proto), gzipped, for `go tool pprof` and the viewers that
 * read it: `mprof report --pprof`.  The command's only (mprof_formats);
 * the runtime never links it.
 *
 * One sample per line row, whose one location is that line (function,
 * file, line); its values are the row's figures, one per sample type:
 * increment (bytes), mem (Mem usage, bytes), occurrences (count), then
 * each optional column the profile has (top.h's names and units).  The
 * default sample type is the column the caller ranks by, increment
 * unless told otherwise, so `go tool pprof -top` ranks as `mprof report
 * --top` does.  Signature rows are left out unless asked for, as
 * top.h's ranking leaves them out.  Function file names are made
 * absolute with the compilation directory when it is known, so pprof's
 * source views find the files.
 *
 * The encoder is written here rather than generated (protobuf-c): the
 * message set is small (varints, length-delimited messages, a string
 * table), and the only library needed is zlib, for the gzip stream.
 */
#ifndef MP_PPROF_H
#define MP_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "profile.h"
#include "top.h"

/* What the export carries besides the profile. */
struct mp_pprof_opts {
	enum mp_top_by by;	/* the default sample type */
	int include_signature;	/* a sample for each signature row too */
};

/*
 * v as a protobuf varint into buf (at least 10 bytes): 7 bits a byte,
 * least significant first, the high bit set on every byte but the last.
 * Returns the number of bytes, 1 to 10.  An int64 is encoded as its
 * two's complement: -1 takes 10 bytes.
 */
size_t mp_pb_varint(uint8_t *buf, uint64_t v);

/*
 * The profile.proto message of p (not compressed) into a malloc'd *out
 * of *len bytes.  m may be NULL; its backend and pid go into comments.
 * Returns 0, or -1 when memory is exhausted.
 */
int mp_pprof_encode(const struct mp_profile *p, const struct mp_json_meta *m,
		    const struct mp_pprof_opts *o, uint8_t **out,
		    size_t *len);

/*
 * The gzipped message into `path`, through a temporary file in the same
 * directory renamed over it at the end: an error leaves no file behind
 * and an existing `path` as it was.  Returns 0, or -1 with one line in
 * err ("cannot write 'x.pb.gz': No space left on device").
 */
int mp_pprof_write(const char *path, const struct mp_profile *p,
		   const struct mp_json_meta *m, const struct mp_pprof_opts *o,
		   char *err, size_t errlen);

#endif /* MP_PPROF_H */
