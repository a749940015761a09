/* SPDX-License-Identifier: MIT */
/*
 * t_lines_acct.c - cmocka tests of the recorder parts of `mprof lines`
 * that need no other process: the integer map (lines/hmap.c), the call
 * instruction test (lines/callinsn.c), the accounting of pages and
 * blocks (lines/acct.c) with no symbolizer mapping (addresses charged by
 * address), and, on this program's own code, a charge with its caller
 * and an unwinding rule from .eh_frame (lines/cfi.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "acct.h"
#include "cfi.h"
#include "code.h"
#include "hmap.h"
#include "symbolize.h"
#include "unwind.h"

/* Puts, gets and deletes agree with a plain array through growth and
   backward-shift deletion. */
static void test_hmap_model(void **state)
{
	enum { N = 5000 };
	static uint64_t model[N];
	struct mp_hmap m;
	uint64_t *v, got;
	int added, i, round;

	(void)state;
	mp_hmap_init(&m);
	for (round = 0; round < 3; round++) {
		for (i = 1; i < N; i++) {
			if ((i * 7 + round) % 3 == 0) {
				assert_int_equal(mp_hmap_del(&m, (uint64_t)i << 12, &got),
						 model[i] != 0);
				if (model[i])
					assert_int_equal(got, model[i]);
				model[i] = 0;
			} else {
				v = mp_hmap_put(&m, (uint64_t)i << 12, &added);
				assert_non_null(v);
				assert_int_equal(added, model[i] == 0);
				*v = model[i] = (uint64_t)(i + round + 1);
			}
		}
		for (i = 1; i < N; i++) {
			v = mp_hmap_get(&m, (uint64_t)i << 12);
			if (model[i])
				assert_true(v && *v == model[i]);
			else
				assert_null(v);
		}
	}
	mp_hmap_free(&m);
}

/* The bytes before a return address: call rel32, call *%rax, call
   *0x10(%rbx), call *disp32(%rip), a REX call *%r8; and not a call. */
static void test_follows_call(void **state)
{
	static const unsigned char rel32[7] = { 0x48, 0x89, 0xe8, 1, 2, 3, 4 };
	static const unsigned char reg[7] = { 0, 0, 0, 0, 0, 0xff, 0xd0 };
	static const unsigned char disp8[7] = { 0, 0, 0, 0, 0xff, 0x53, 0x10 };
	static const unsigned char rip[7] = { 0, 0xff, 0x15, 1, 2, 3, 4 };
	static const unsigned char rex[7] = { 0, 0, 0, 0, 0x41, 0xff, 0xd0 };
	static const unsigned char mov[7] = { 0, 0, 0x48, 0x89, 0xc7, 0x90, 0x90 };
	static const unsigned char jmp[7] = { 0, 0, 0, 0, 0, 0xff, 0xe0 };

	(void)state;
	assert_true(mp_unwind_follows_call(rel32));
	assert_true(mp_unwind_follows_call(reg));
	assert_true(mp_unwind_follows_call(disp8));
	assert_true(mp_unwind_follows_call(rip));
	assert_true(mp_unwind_follows_call(rex));
	assert_false(mp_unwind_follows_call(mov));
	assert_false(mp_unwind_follows_call(jmp));	/* jmp *%rax */
}

/* A page counts once; a release takes off exactly the pages counted,
   whether the range is walked page by page or the set is walked. */
static void test_pages(void **state)
{
	struct mp_sym *s = mp_sym_new();
	struct mp_code *c = mp_code_new();
	struct mp_acct *a = mp_acct_new(s, c);
	uint64_t i;

	(void)state;
	mp_acct_fork(a, 0, 42);
	for (i = 0; i < 100; i++)
		assert_int_equal(mp_acct_page_in(a, 42, 0x10000000 + i * 4096 + 8), 1);
	assert_int_equal(mp_acct_page_in(a, 42, 0x10000000 + 5), 0);
	assert_int_equal(mp_acct_page_in(a, 43, 0x10000000), 1);
	assert_int_equal(mp_acct_release(a, 42, 0x10000000, 10 * 4096), 10);
	assert_int_equal(mp_acct_release(a, 42, 0x10000000, 10 * 4096), 0);
	/* a huge range over few pages walks the set */
	assert_int_equal(mp_acct_release(a, 42, 0, 1ull << 40), 90);
	assert_int_equal(mp_acct_page_in(a, 42, 0x10000000), 1);
	mp_acct_free(a);
	mp_code_free(c);
	mp_sym_free(s);
}

/* Heap blocks: a fork inherits the parent's, a free gives the size the
   block was allocated with, an unknown pointer -1. */
static void test_blocks(void **state)
{
	struct mp_sym *s = mp_sym_new();
	struct mp_code *c = mp_code_new();
	struct mp_acct *a = mp_acct_new(s, c);

	(void)state;
	mp_acct_fork(a, 0, 1);
	mp_acct_block_new(a, 1, 0x1000, 100);
	mp_acct_block_new(a, 1, 0x2000, 200);
	mp_acct_fork(a, 1, 2);
	assert_int_equal(mp_acct_block_free(a, 1, 0x1000), 100);
	assert_int_equal(mp_acct_block_free(a, 1, 0x1000), -1);
	assert_int_equal(mp_acct_block_free(a, 2, 0x1000), 100);
	assert_int_equal(mp_acct_block_free(a, 2, 0x3000), -1);
	assert_int_equal(mp_acct_nprocs(a), 2);
	mp_acct_free(a);
	mp_code_free(c);
	mp_sym_free(s);
}

/* Charges to code without line information are listed by address,
   largest first; the profile of lines stays empty. */
static void test_nolines(void **state)
{
	struct mp_sym *s = mp_sym_new();
	struct mp_code *c = mp_code_new();
	struct mp_acct *a = mp_acct_new(s, c);
	struct mp_profile p;
	char buf[1024] = "";
	int64_t with, without;
	FILE *f;

	(void)state;
	mp_acct_fork(a, 0, 7);
	mp_acct_charge(a, 7, 0x4000, 1 << 20, 1);
	mp_acct_charge(a, 7, 0x5000, 3 << 20, 1);
	mp_acct_charge(a, 7, 0x4000, 1 << 20, 1);
	mp_profile_init(&p);
	assert_int_equal(mp_acct_profile(a, 0, 5, &p), 0);
	assert_int_equal(p.nfuncs, 0);
	mp_profile_free(&p);
	f = fmemopen(buf, sizeof buf, "w");
	assert_int_equal(mp_acct_print_nolines(a, 0, 10, f), 2);
	fclose(f);
	assert_string_equal(buf,
		"         3.0 MiB           1   [unknown]+0x5000\n"
		"         2.0 MiB           2   [unknown]+0x4000\n");
	mp_acct_totals(a, &with, &without);
	assert_int_equal(with, 0);
	assert_int_equal(without, 5 << 20);
	mp_acct_free(a);
	mp_code_free(c);
	mp_sym_free(s);
}

/* Two functions of this program, with line information. */
__attribute__((noinline)) int t_lines_callee(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) int t_lines_caller(int x)
{
	return t_lines_callee(x) + 2;
}

/* A charge with a caller goes to both functions' lines, in this
   process's own code (mapped from /proc, as the heap recorder does). */
static void test_stack(void **state)
{
	struct mp_sym *s = mp_sym_new();
	struct mp_code *c = mp_code_new();
	struct mp_acct *a = mp_acct_new(s, c);
	uint32_t pid = (uint32_t)getpid();
	uint64_t callee = (uint64_t)(uintptr_t)t_lines_callee;
	uint64_t caller = (uint64_t)(uintptr_t)t_lines_caller + 2;
	struct mp_profile p;
	size_t i, found = 0;

	(void)state;
	assert_int_equal(mp_sym_read_maps(s, pid), 0);
	assert_int_equal(mp_code_read_maps(c, pid), 0);
	assert_int_equal(mp_code_kind(c, pid, callee), MP_CODE_USER);
	mp_acct_fork(a, 0, pid);
	/* callers are return addresses: the charge goes to caller - 1 */
	mp_acct_charge_stack(a, pid, callee, &caller, 1, 1 << 20, 1);
	mp_profile_init(&p);
	assert_int_equal(mp_acct_profile(a, 0, 0, &p), 0);
	for (i = 0; i < p.nfuncs; i++) {
		if (!strcmp(p.funcs[i].name, "t_lines_callee") ||
		    !strcmp(p.funcs[i].name, "t_lines_caller")) {
			assert_int_equal(p.funcs[i].nrows, 1);
			assert_int_equal(p.funcs[i].rows[0].incr, 1 << 20);
			found++;
		}
	}
	assert_int_equal(found, 2);
	mp_profile_free(&p);
	mp_acct_free(a);
	mp_code_free(c);
	mp_sym_free(s);
}

/* A function with a line and the padding after it, which the same line
   row covers but no function does (t_lines_padded.S): what a sample in
   the alignment bytes after a function's last instruction finds (a stale
   return address in an unwound stack). */
void t_lines_padded(void);

/* A located address outside every function is charged by address, as
   code without lines: a function with no name would make a profile
   mprof report refuses. */
static void test_no_function(void **state)
{
	struct mp_sym *s = mp_sym_new();
	struct mp_code *c = mp_code_new();
	struct mp_acct *a = mp_acct_new(s, c);
	uint32_t pid = (uint32_t)getpid();
	uint64_t fn = (uint64_t)(uintptr_t)t_lines_padded;
	struct mp_sym_frame fr[4];
	struct mp_profile p;
	int64_t with, without;
	size_t i, found = 0;

	(void)state;
	assert_int_equal(mp_sym_read_maps(s, pid), 0);
	assert_int_equal(mp_code_read_maps(c, pid), 0);
	/* the fixture: the padding has a line but no function */
	assert_int_equal(mp_sym_lookup(s, pid, fn + 4, fr, 4), 1);
	assert_non_null(fr[0].file);
	assert_int_equal(fr[0].line, 7);
	assert_null(fr[0].func);
	assert_int_equal(mp_sym_lookup(s, pid, fn, fr, 4), 1);
	assert_string_equal(fr[0].func, "t_lines_padded");
	mp_acct_fork(a, 0, pid);
	mp_acct_charge(a, pid, fn, 1 << 20, 1);
	mp_acct_charge(a, pid, fn + 4, 2 << 20, 1);
	mp_profile_init(&p);
	assert_int_equal(mp_acct_profile(a, 0, 0, &p), 0);
	for (i = 0; i < p.nfuncs; i++) {
		assert_non_null(p.funcs[i].name);
		assert_true(p.funcs[i].name[0] != '\0');
		if (!strcmp(p.funcs[i].name, "t_lines_padded")) {
			assert_int_equal(p.funcs[i].nrows, 1);
			assert_int_equal(p.funcs[i].rows[0].line, 7);
			assert_int_equal(p.funcs[i].rows[0].incr, 1 << 20);
			found++;
		}
	}
	assert_int_equal(found, 1);
	mp_profile_free(&p);
	mp_acct_totals(a, &with, &without);
	assert_int_equal(with, 1 << 20);
	assert_int_equal(without, 2 << 20);
	mp_acct_free(a);
	mp_code_free(c);
	mp_sym_free(s);
}

/* At a function's first instruction the caller's frame starts right
   above the return address: CFA = %rsp + 8, %rbp not yet saved. */
static void test_cfi(void **state)
{
	struct mp_code *c = mp_code_new();
	struct mp_cfi *cfi = mp_cfi_new();
	struct mp_cfi_rule r;
	uint32_t pid = (uint32_t)getpid();
	const char *path;
	uint64_t off;

	(void)state;
	assert_int_equal(mp_code_read_maps(c, pid), 0);
	path = mp_code_module(c, pid, (uint64_t)(uintptr_t)t_lines_callee, &off);
	assert_true(path[0] == '/');
	assert_int_equal(mp_cfi_rule(cfi, path, off, &r), 0);
	assert_int_equal(r.cfa_reg, 7);
	assert_int_equal(r.cfa_off, 8);
	assert_false(r.bp_saved);
	/* the cached rule reads back the same */
	memset(&r, 0, sizeof r);
	assert_int_equal(mp_cfi_rule(cfi, path, off, &r), 0);
	assert_int_equal(r.cfa_reg, 7);
	assert_int_equal(r.cfa_off, 8);
	assert_int_equal(mp_cfi_rule(cfi, "/nonexistent", 0, &r), -1);
	mp_cfi_free(cfi);
	mp_code_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmap_model),
		cmocka_unit_test(test_follows_call),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_nolines),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_no_function),
		cmocka_unit_test(test_cfi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
