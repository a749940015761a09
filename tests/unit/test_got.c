/* SPDX-License-Identifier: MIT */
/*
 * test_got.c - wrapping a library function by rewriting GOT slots
 * (runtime/got.c): got_fixture_value() of tests/unit/fixtures/got_def.c,
 * called by this program through its PLT and by modules dlopen()ed later
 * through a lazily bound PLT, a GLOB_DAT slot in read-only RELRO and a
 * pointer in read-only data.  A missing symbol, a set installed twice, a
 * second wrapper of the same symbol (both run, the later outermost), the
 * page protection put back, errno kept.
 *
 * Wrappers are never removed, so the tests build on each other in the
 * order main() lists them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "got.h"

int got_fixture_value(int x);

/* What the wrappers saw: their calls, in order ('a', 'b'). */
static char trace[64];
static size_t ntrace;

static void *next_a, *next_b, *next_missing;

static void note(char c)
{
	if (ntrace + 1 < sizeof trace)
		trace[ntrace++] = c;
	trace[ntrace] = '\0';
}

static int wrap_a(int x)
{
	int (*next)(int) = (int (*)(int))next_a;

	note('a');
	return next(x) + 1000;
}

static int wrap_b(int x)
{
	int (*next)(int) = (int (*)(int))next_b;

	note('b');
	return next(x) + 100000;
}

static int wrap_missing(void)
{
	return -1;
}

/* With a symbol no module has, whose *next is set to NULL. */
static const struct mp_got_hook hook_a[] = {
	{ "got_fixture_value", (void *)wrap_a, &next_a },
	{ "got_fixture_no_such_symbol", (void *)wrap_missing, &next_missing },
};
static const struct mp_got_hook hook_b[] = {
	{ "got_fixture_value", (void *)wrap_b, &next_b },
};

static void clear(void)
{
	ntrace = 0;
	trace[0] = '\0';
}

/* got_fixture_value() called from this program: through its PLT slot. */
static int call_here(int x)
{
	clear();
	return got_fixture_value(x);
}

/* A set whose one symbol no module has: nothing is written, rc 0. */
static void test_missing_symbol(void **state)
{
	static void *next_none;
	static const struct mp_got_hook h[] = {
		{ "got_fixture_no_such_symbol", (void *)wrap_missing,
		  &next_none },
	};

	(void)state;
	assert_int_equal(mp_got_install(h, 1), 0);
	assert_null(next_none);
	assert_int_equal(call_here(4), 8);
	assert_string_equal(trace, "");
}

/* The program's own slot calls the wrapper, whose *next is the definition;
 * the set's missing symbol gets a NULL *next; errno and mp_got_busy are as
 * they were. */
static void test_wraps_program_slot(void **state)
{
	(void)state;
	next_missing = (void *)hook_a;
	errno = 1234;
	assert_true(mp_got_install(hook_a, 2) >= 1);
	assert_int_equal(errno, 1234);
	assert_int_equal(mp_got_busy, 0);
	assert_null(next_missing);
	assert_ptr_equal(next_a, dlsym(RTLD_DEFAULT, "got_fixture_value"));
	assert_int_equal(call_here(4), 1008);
	assert_string_equal(trace, "a");
}

/* Installing the same set again changes nothing: the wrapper runs once. */
static void test_install_twice(void **state)
{
	void *before = next_a;

	(void)state;
	assert_true(mp_got_install(hook_a, 2) >= 1);
	assert_ptr_equal(next_a, before);
	assert_int_equal(call_here(5), 1010);
	assert_string_equal(trace, "a");
}

/* A second wrapper of the same symbol is outermost and calls the first. */
static void test_chain(void **state)
{
	(void)state;
	assert_true(mp_got_install(hook_b, 1) >= 1);
	assert_ptr_equal(next_b, (void *)wrap_a);
	assert_int_equal(call_here(1), 101002);
	assert_string_equal(trace, "ba");
}

/* The protection of the mapping holding `addr`, as /proc/self/maps says
 * it ("r--p"...). */
static void page_perms(const void *addr, char perms[5])
{
	char line[512];
	unsigned long lo, hi, a = (unsigned long)addr;
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	strcpy(perms, "????");
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    a >= lo && a < hi)
			break;
	fclose(f);
}

/*
 * A module dlopen()ed after the wrappers exist: its slots for the symbol
 * call the outermost wrapper, through its PLT or GOT and through the
 * pointer in its read-only data.  Returns the handle.
 */
static void *check_module(const char *path)
{
	int (*call)(int), (*indirect)(int);
	void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);

	assert_non_null(h);
	*(void **)&call = dlsym(h, "got_user_call");
	*(void **)&indirect = dlsym(h, "got_user_call_indirect");
	assert_non_null(call);
	assert_non_null(indirect);
	clear();
	assert_int_equal(call(3), 101006);
	assert_string_equal(trace, "ba");
	clear();
	assert_int_equal(indirect(3), 101006);
	assert_string_equal(trace, "ba");
	return h;
}

/* Lazily bound: the JUMP_SLOT still holds the PLT stub when patched. */
static void test_module_lazy_plt(void **state)
{
	(void)state;
	assert_int_equal(dlclose(check_module(GOT_USER_LAZY)), 0);
}

/*
 * The GOT slot an x86-64 -fno-plt call or tail call in the first bytes
 * of `fn` goes through (call/jmp *disp32(%rip): ff 15 or ff 25), or NULL.
 */
static void **slot_of(const void *fn)
{
	const unsigned char *c = fn;
	int32_t disp;

	for (int i = 0; i < 32; i++)
		if (c[i] == 0xff && (c[i + 1] == 0x15 || c[i + 1] == 0x25)) {
			memcpy(&disp, c + i + 2, sizeof disp);
			return (void **)(c + i + 6 + disp);
		}
	return NULL;
}

/* -fno-plt -z now: the GLOB_DAT slot is in RELRO, read-only once the
 * module is loaded; it was made writable for the store and is read-only
 * again. */
static void test_module_relro(void **state)
{
	char perms[5];
	void **slot;
	void *h, *fn;

	(void)state;
	h = check_module(GOT_USER_NOW);
	fn = dlsym(h, "got_user_call");
	slot = slot_of(fn);
	if (!slot) {
		dlclose(h);
		skip();
	}
	assert_ptr_equal(*slot, (void *)wrap_b);
	page_perms(slot, perms);
	assert_int_equal(perms[0], 'r');
	assert_int_equal(perms[1], '-');
	assert_int_equal(dlclose(h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_symbol),
		cmocka_unit_test(test_wraps_program_slot),
		cmocka_unit_test(test_install_twice),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_module_lazy_plt),
		cmocka_unit_test(test_module_relro),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
