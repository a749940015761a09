/* SPDX-License-Identifier: MIT */
/*
 * test_symbolize.c - the symbolizer on its own process: the probes of this
 * program, of libraries linked with it (with DWARF, stripped, with the
 * debug info split out behind a .gnu_debuglink or a build id) and of
 * libraries it dlopen()s report their function, file, line and inlined
 * callers (probe.h); the test reads /proc/self/maps into a symbolizer and
 * checks that each probe's address resolves to them.  CMake builds this
 * file several times: PIE and not, DWARF 5 and 4, -O2 and -O0.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>
#include <elf.h>
#include <cmocka.h>

#include "symbolize.h"
#include "probe.h"
#include "inline.h"

void sym_shared_probe(probe_fn *cb);
void sym_stripped_probe(probe_fn *cb);
void sym_split_probe(probe_fn *cb);
void sym_buildid_probe(probe_fn *cb);
void sym_splitsub_probe(probe_fn *cb);
void sym_splitroot_probe(probe_fn *cb);
void *sym_splitsub_mark(void);
void *sym_splitroot_mark(void);
void sym_gz_probe(probe_fn *cb);
void *sym_gz_mark(void);
void *sym_shared_mark(void);
void *sym_split_mark(void);
void *sym_buildid_mark(void);

enum { MAX_HITS = 64, MAX_CHAIN = 8 };

/* A probe as reported: the frames the symbolizer should give. */
struct hit {
	void *ret;
	int n;
	const char *func[MAX_CHAIN], *file[MAX_CHAIN];
	int line[MAX_CHAIN];
};

static struct hit hits[MAX_HITS];
static int nhits;

static void record(const struct site *here, void *ret)
{
	struct hit *h = &hits[nhits++];

	h->ret = ret;
	for (h->n = 0; here && h->n < MAX_CHAIN; here = here->up, h->n++) {
		h->func[h->n] = here->func;
		h->file[h->n] = here->file;
		h->line[h->n] = here->line;
	}
}

static const char *base(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && !strcmp(s + n - m, tail);
}

enum { WORK_FIRST = __LINE__ + 1 };
__attribute__((noinline)) int work(probe_fn *cb, int n)
{
	PROBE(cb, 0);
	CALL(middle, cb, 0);
	n += n > 3 ? 2 : 1;
	PROBE(cb, 0);
	return n * 3;
}
enum { WORK_LAST = __LINE__ - 1 };

/* The frames of h's address: its chain, in module. */
static void check_hit(struct mp_sym *s, const struct hit *h, const char *module)
{
	struct mp_sym_frame f[16];
	int n = mp_sym_lookup(s, getpid(), (uintptr_t)h->ret - 1, f, 16);

	assert_int_equal(n, h->n);
	for (int k = 0; k < n; k++) {
		print_message("  %s %s:%d, expected %s %s:%d\n", f[k].func, base(f[k].file), f[k].line,
			      h->func[k], base(h->file[k]), h->line[k]);
		assert_non_null(f[k].func);
		assert_string_equal(f[k].func, h->func[k]);
		assert_non_null(f[k].file);
		assert_string_equal(base(f[k].file), base(h->file[k]));
		assert_int_equal(f[k].line, h->line[k]);
		assert_true(ends_with(f[k].module, module));
		assert_true(f[k].dir[0] == '/');
		assert_true(f[k].func_line > 0 && f[k].func_line <= h->line[k]);
		assert_true(f[k].func_last_line >= h->line[k]);
	}
	assert_true(mp_sym_has_lines(s, getpid(), (uintptr_t)h->ret - 1));
}

/* Probes of this program, inlined ones included, and the first and last
 * lines of work() and inner(). */
static void program(void **state)
{
	struct mp_sym *s = mp_sym_new();
	struct mp_sym_frame f[16];
	int n;

	(void)state;
	nhits = 0;
	assert_int_equal(work(record, 4), 18);
	assert_int_equal(nhits, 6);
	assert_int_equal(mp_sym_read_maps(s, getpid()), 0);
	for (int i = 0; i < nhits; i++)
		check_hit(s, &hits[i], "/" PROGRAM);
	n = mp_sym_lookup(s, getpid(), (uintptr_t)hits[0].ret - 1, f, 16);
	assert_int_equal(f[n - 1].func_line, WORK_FIRST);
	assert_int_equal(f[n - 1].func_last_line, WORK_LAST);
	n = mp_sym_lookup(s, getpid(), (uintptr_t)hits[2].ret - 1, f, 16);
	assert_int_equal(n, 3);
	assert_string_equal(f[0].func, "inner");
	assert_int_equal(f[0].func_line, INNER_FIRST);
	assert_true(f[0].func_last_line >= INNER_LAST - 1 && f[0].func_last_line <= INNER_LAST);
	mp_sym_free(s);
}

/* The address of the ELF header of the object holding p. */
static uintptr_t load_bias(void *p)
{
	Dl_info info;

	assert_true(dladdr(p, &info));
	return (uintptr_t)info.dli_fbase;
}

/* Linked libraries with their own DWARF (plain, compressed), and four
 * whose DWARF is in a separate file (.gnu_debuglink beside it, in .debug/
 * beside it, under the debug root; a build id under the debug root). */
static void libraries(void **state)
{
	static const struct {
		void (*fn)(probe_fn *);
		void *(*mark)(void);
		const char *module;
	} libs[] = {
		{ sym_shared_probe, sym_shared_mark, "/libsym_shared.so" },
		{ sym_split_probe, sym_split_mark, "/libsym_split.so" },
		{ sym_buildid_probe, sym_buildid_mark, "/libsym_buildid.so" },
		{ sym_splitsub_probe, sym_splitsub_mark, "/libsym_splitsub.so" },
		{ sym_splitroot_probe, sym_splitroot_mark, "/libsym_splitroot.so" },
		{ sym_gz_probe, sym_gz_mark, "/libsym_gz.so" },
	};
	struct mp_sym *s = mp_sym_new();

	(void)state;
	mp_sym_set_debug_root(s, DEBUG_ROOT);
	assert_int_equal(mp_sym_read_maps(s, getpid()), 0);
	for (size_t l = 0; l < sizeof(libs) / sizeof(libs[0]); l++) {
		print_message("%s\n", libs[l].module);
		nhits = 0;
		libs[l].fn(record);
		assert_int_equal(nhits, 6);
		for (int i = 0; i < nhits; i++) {
			struct mp_sym_frame f[16];

			check_hit(s, &hits[i], libs[l].module);
			mp_sym_lookup(s, getpid(), (uintptr_t)hits[i].ret - 1, f, 16);
			assert_int_equal(f[0].offset, (uintptr_t)hits[i].ret - 1 - load_bias(hits[i].ret));
		}
		/* the first line of a sequence that never sets its file is in
		 * file 1 (probe.h), even in DWARF 5 */
		{
			struct mp_sym_frame f[16];

			assert_int_equal(mp_sym_lookup(s, getpid(), (uintptr_t)libs[l].mark(), f, 16), 1);
			assert_string_equal(f[0].func, "mark");
			assert_string_equal(base(f[0].file), "probe.h");
		}
	}
	mp_sym_free(s);
}

/* A stripped library: one frame, the function from .dynsym, no line, the
 * module and offset for [module+offset]. */
static void stripped(void **state)
{
	struct mp_sym *s = mp_sym_new();

	(void)state;
	mp_sym_set_debug_root(s, DEBUG_ROOT);
	assert_int_equal(mp_sym_read_maps(s, getpid()), 0);
	nhits = 0;
	sym_stripped_probe(record);
	assert_int_equal(nhits, 6);
	for (int i = 0; i < nhits; i++) {
		uintptr_t addr = (uintptr_t)hits[i].ret - 1;
		struct mp_sym_frame f[16];

		assert_int_equal(mp_sym_lookup(s, getpid(), addr, f, 16), 1);
		assert_string_equal(f[0].func, "sym_stripped_probe");
		assert_null(f[0].file);
		assert_int_equal(f[0].line, 0);
		assert_true(ends_with(f[0].module, "/libsym_stripped.so"));
		assert_int_equal(f[0].offset, addr - load_bias(hits[i].ret));
		assert_false(mp_sym_has_lines(s, getpid(), addr));
	}
	mp_sym_free(s);
}

/* Libraries dlopen()ed after the first reading of the maps: a second
 * reading adds them; one library replaced by another at the same place
 * resolves to the new one. */
static void dlopened(void **state)
{
	static const char *const libs[] = { "libsym_plug.so", "libsym_plug2.so" };
	static const char *const fns[] = { "sym_plug_probe", "sym_plug2_probe" };
	struct mp_sym *s = mp_sym_new();

	(void)state;
	assert_int_equal(mp_sym_read_maps(s, getpid()), 0);
	for (int l = 0; l < 2; l++) {
		char path[4096];
		void (*fn)(probe_fn *);
		void *h;

		snprintf(path, sizeof(path), "%s/%s", LIBDIR, libs[l]);
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		assert_non_null(h);
		*(void **)&fn = dlsym(h, fns[l]);
		assert_non_null(fn);
		nhits = 0;
		fn(record);
		assert_int_equal(nhits, 6);
		assert_int_equal(mp_sym_read_maps(s, getpid()), 0);
		for (int i = 0; i < nhits; i++)
			check_hit(s, &hits[i], libs[l]);
		dlclose(h);
	}
	mp_sym_free(s);
}

/* The build really is what this copy of the test claims to check. */
static void build(void **state)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	Elf64_Ehdr eh;

	(void)state;
	assert_non_null(f);
	assert_int_equal(fread(&eh, sizeof(eh), 1, f), 1);
	fclose(f);
	assert_int_equal(eh.e_type, EXPECT_PIE ? ET_DYN : ET_EXEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build),
		cmocka_unit_test(program),
		cmocka_unit_test(libraries),
		cmocka_unit_test(stripped),
		cmocka_unit_test(dlopened),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
