/* SPDX-License-Identifier: MIT */
/*
 * mprof.h - the public header of mprof, the per-line memory profiler for C.
 *
 * MPROF marks a function for line-by-line memory profiling:
 *
 *     MPROF static int *build(void) { ... }
 *
 * With the plugin loaded (gcc -fplugin=mprof.so) it expands to
 * __attribute__((mprof)); without it, to nothing, so annotated code still
 * builds warning-free with any compiler.  The test is __has_attribute, not a
 * macro defined by the plugin, so -E, -save-temps and ccache flows agree.
 */
#ifndef MPROF_H
#define MPROF_H

#if defined(__has_attribute)
#  if __has_attribute(mprof)
#    define MPROF __attribute__((mprof))
#  endif
#endif
#ifndef MPROF
#  define MPROF
#endif

#endif /* MPROF_H */
