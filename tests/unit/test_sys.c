/* SPDX-License-Identifier: MIT */
/*
 * test_sys.c - one definition of each measure (runtime/sys.c): the
 * runtime's backends (mp_backend_parse, what backend.c reads) and the
 * sampler of memory_usage() and `mprof run` (mp_usage_figure, usage.c)
 * make the same figure of the same /proc text.  The texts are fixtures, so
 * huge pages count without a machine that has them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"

#define MIB (1024.0 * 1024.0)

/* A statm line: size 5000 pages, resident 1200. */
static const char statm[] = "5000 1200 300 10 0 900 0\n";

/* smaps_rollup of a process with 4 MiB of private huge pages. */
static const char rollup[] =
	"00400000-7ffd1234f000 ---p 00000000 00:00 0                  [rollup]\n"
	"Rss:                9876 kB\n"
	"Pss:                8000 kB\n"
	"Pss_Anon:           6000 kB\n"
	"Pss_File:           2000 kB\n"
	"Pss_Shmem:             0 kB\n"
	"Shared_Clean:       1500 kB\n"
	"Shared_Dirty:          0 kB\n"
	"Private_Clean:       300 kB\n"
	"Private_Dirty:      6000 kB\n"
	"Referenced:         9876 kB\n"
	"Anonymous:          6000 kB\n"
	"LazyFree:              0 kB\n"
	"AnonHugePages:         0 kB\n"
	"ShmemPmdMapped:        0 kB\n"
	"FilePmdMapped:         0 kB\n"
	"Shared_Hugetlb:        0 kB\n"
	"Private_Hugetlb:    4096 kB\n"
	"Swap:                  0 kB\n"
	"SwapPss:               0 kB\n"
	"Locked:                0 kB\n";

/* The sampler's figure of measure b, in bytes. */
static int64_t sampled(enum mprof_backend b, const char *text)
{
	double mib = -1;

	assert_int_equal(mp_usage_figure(statm, text, b, sysconf(_SC_PAGESIZE),
					 &mib), 0);
	return (int64_t)(mib * MIB);
}

/* uss counts private huge pages, in the runtime and in the sampler alike. */
static void test_uss_hugetlb(void **state)
{
	int64_t want = (300 + 6000 + 4096) * 1024LL;

	(void)state;
	assert_int_equal(mp_backend_parse(MP_BACKEND_USS, rollup), want);
	assert_int_equal(sampled(MPROF_USS, rollup), want);
}

/* A kernel that prints no Private_Hugetlb line: clean + dirty. */
static void test_uss_without_hugetlb(void **state)
{
	char text[sizeof(rollup)];
	char *h;

	(void)state;
	memcpy(text, rollup, sizeof(rollup));
	h = strstr(text, "Private_Hugetlb:");
	memcpy(h, "Private_Hugexxx:", 16);
	assert_int_equal(mp_backend_parse(MP_BACKEND_USS, text),
			 (300 + 6000) * 1024LL);
	assert_int_equal(sampled(MPROF_USS, text), (300 + 6000) * 1024LL);
}

static void test_pss(void **state)
{
	(void)state;
	assert_int_equal(mp_backend_parse(MP_BACKEND_PSS, rollup), 8000 * 1024LL);
	assert_int_equal(sampled(MPROF_PSS, rollup), 8000 * 1024LL);
}

/* rss and vms from statm's resident and size fields, in pages. */
static void test_statm(void **state)
{
	int64_t page = sysconf(_SC_PAGESIZE);

	(void)state;
	assert_int_equal(mp_backend_parse(MP_BACKEND_RSS, statm), 1200 * page);
	assert_int_equal(sampled(MPROF_RSS, NULL), 1200 * page);
	assert_int_equal(mp_backend_parse(MP_BACKEND_VMS, statm), 5000 * page);
	assert_int_equal(sampled(MPROF_VMS, NULL), 5000 * page);
}

/* Text without the figure: -1 from the runtime, 1 from the sampler. */
static void test_missing(void **state)
{
	double mib;

	(void)state;
	assert_int_equal(mp_backend_parse(MP_BACKEND_PSS, "Rss: 12 kB\n"), -1);
	assert_int_equal(mp_usage_figure(statm, "Rss: 12 kB\n", MPROF_PSS,
					 4096, &mib), 1);
	assert_int_equal(mp_backend_parse(MP_BACKEND_RSS, "\n"), -1);
	/* a zombie's statm reads size 0: the process has ended */
	assert_int_equal(mp_usage_figure("0 0 0 0 0 0 0\n", NULL, MPROF_RSS,
					 4096, &mib), 1);
}

/* One table: each measure found by its name, the public ids the same. */
static void test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < MP_BACKEND_COUNT; i++) {
		const struct mp_measure *m = mp_sys_measure(i);

		assert_non_null(m);
		assert_int_equal(m->id, i);
		assert_ptr_equal(mp_sys_measure_named(m->name), m);
		assert_string_equal(mp_backend_get(i)->name, m->name);
		assert_int_equal(m->file == MP_PROC_NONE, i == MP_BACKEND_HEAP);
	}
	assert_null(mp_sys_measure(MP_BACKEND_COUNT));
	assert_null(mp_sys_measure_named("psutil"));
	assert_int_equal(MP_BACKEND_USS, MPROF_USS);
	assert_int_equal(MP_BACKEND_VMS, MPROF_VMS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uss_hugetlb),
		cmocka_unit_test(test_uss_without_hugetlb),
		cmocka_unit_test(test_pss),
		cmocka_unit_test(test_statm),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
