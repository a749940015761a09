/* SPDX-License-Identifier: MIT */
/*
 * utf8.h - the one test of what is valid UTF-8, shared by the JSON writer
 * (json.c: a byte outside valid UTF-8 is written as an escape) and the
 * JSON reader (jsonread.c: a string must be valid UTF-8).  Inline, so
 * that the writer's crash copy (runtime/crashjson.c) needs no symbol of
 * its own for it.
 */
#ifndef MP_UTF8_H
#define MP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence at s (s[0] >= 0x80), or 0 if there is
 * none: overlong forms, surrogates and code points above U+10FFFF are
 * invalid, as RFC 3629 says.  The JSON writer and reader
 * share it.
 */
static inline size_t mp_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}


#endif /* MP_UTF8_H */
