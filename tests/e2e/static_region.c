/* SPDX-License-Identifier: MIT */
/*
 * static_region.c - a measured region in a static executable, whose
 * allocator cannot be hooked (tests/e2e/limit_test.sh): begin says
 * ENOTSUP, the region is not measured, and mprof_limit_check() fails
 * with a message rather than passing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mprof.h>

int main(void)
{
	struct mprof_region r;
	char msg[MPROF_MSG_SIZE];
	int rc = mprof_region_begin(&r), e = errno;
	void *volatile p = malloc(100);

	mprof_region_end(&r);
	free(p);
	printf("begin %d %s, measured %d, peak %lld, check %d\n", rc,
	       strerror(e), r.measured, (long long)r.peak,
	       mprof_limit_check(&r, 10, msg, sizeof msg));
	printf("%s\n", msg);
	return 0;
}
