/* SPDX-License-Identifier: MIT */
/*
 * Expect: differs with -g at -O1 and above (open)
 *
 * vla-debug-line-probes.c - with a VLA, -g changes the line probes: the
 * function below gets 3 line probes at -O1 -g0 and 4 at -O1 -g
 * (MPROF_PLUGIN_DEBUG=1 prints the counts), so -fcompare-debug fails and
 * the same source gives a different table with and without -g.
 *
 * Found by: tests/plugin/frames/stack_moves.c built with -O2
 * -fcompare-debug (the same with the plugin of before ABI 2).
 * Run:
 *     gcc -O1 -fcompare-debug -fplugin=build/lib/mprof.so \
 *         -fplugin-arg-mprof-all -c vla-debug-line-probes.c
 * Got: "'-fcompare-debug' failure (length)"; -O0 is fine.
 *
 * Analysis (not done): likely the statement grouping of plugin/lines.cc
 * (cut_groups, defines_temp) meets statements that -g adds for the VLA's
 * bound.
 */
#include <string.h>

long vla(int n)
{
	char buf[n];
	memset(buf, 2, n);
	return buf[0];
}

int main(void)
{
	return (int)vla(3) - 2;
}
