/* SPDX-License-Identifier: MIT */
/*
 * late_lib.c - the profiled half of late_main.c: holds 1 MiB, then stores
 * to address 16.
 */
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

MPROF int late_work(void)
{
	char *volatile keep = malloc(1 << 20);

	memset(keep, 1, 1 << 20);
	*(volatile int *)16 = 1;
	return keep[3];
}
