/* SPDX-License-Identifier: MIT */
/* The mprof attribute takes no arguments: an error at line 3, no ICE. */
__attribute__((mprof(1))) int with_args(void) { return 1; }
