/* SPDX-License-Identifier: MIT */
/*
 * sysdirs.h - which objects are system libraries for `mprof lines`: those
 * under /lib, /usr/lib, /lib64, /usr/lib64, /lib32, /usr/lib32 and
 * /usr/libexec.  Their code is never charged (docs/lines.md, "Which line
 * an event is charged to").  Shared by the recorder (code.c) and the
 * preload library (preload.c), which links nothing else of lines/.
 */
#ifndef MP_SYSDIRS_H
#define MP_SYSDIRS_H

#include <string.h>

/* 1 if the absolute path lies in a system library directory. */
static inline int mp_sysdirs_has(const char *path)
{
	static const char *const dirs[] = {
		"/lib/", "/usr/lib/", "/lib64/", "/usr/lib64/", "/lib32/",
		"/usr/lib32/", "/usr/libexec/",
	};
	size_t i;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (!strncmp(path, dirs[i], strlen(dirs[i])))
			return 1;
	return 0;
}

#endif /* MP_SYSDIRS_H */
