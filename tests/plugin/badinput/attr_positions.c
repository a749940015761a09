/* SPDX-License-Identifier: MIT */
/* The mprof attribute in every position of GNU C: a warning with the
 * location wherever it is not on a function definition (the markers say
 * where), never an ICE; on prototypes it carries over to the definition.
 * A prototype never defined here (unused_proto, block_scope_fn) gets a
 * warning at the end of the unit (tests/plugin/repro/attr-prototype-only.c);
 * alias_of, whose body is another function's, none.
 * badinput: flags=-std=gnu11 all=0 */
#include <stdarg.h>

int gvar __attribute__((mprof));				/* warn */
static int svar __attribute__((mprof)) = 3;			/* warn */
extern int evar __attribute__((mprof));				/* warn */
struct __attribute__((mprof)) tagged { int a; };		/* warn */
struct fields { int f __attribute__((mprof)); int bf : 3; };	/* warn */
union __attribute__((mprof)) un { int a; float b; };		/* warn */
enum __attribute__((mprof)) en { A, B };			/* warn */
enum en2 { C __attribute__((mprof)), D };			/* warn */
typedef int tint __attribute__((mprof));			/* warn */
typedef int (*fp_t)(int) __attribute__((mprof));		/* warn */
int (*fp)(int) __attribute__((mprof));				/* warn */
int (__attribute__((mprof)) *fp2)(int);				/* warn */
void param(int p __attribute__((mprof)));			/* warn */
typedef int fn_t(int) __attribute__((mprof));			/* warn */
void takes(int cb(void) __attribute__((mprof)));		/* warn */
int proto_then_def(void) __attribute__((mprof));
int unused_proto(void) __attribute__((mprof));			/* warn */
int alias_of(void) __attribute__((alias("proto_then_def"), mprof));

int proto_then_def(void)		/* occ 2 (once through alias_of) */
{
	return 7;						/* occ 2 */
}

__attribute__((mprof)) int def_param(int p __attribute__((mprof)))	/* warn occ 1 */
{
	return p;						/* occ 1 */
}

__attribute__((mprof)) int variadic(int n, ...)		/* occ 1 */
{
	va_list ap;
	va_start(ap, n);					/* occ 1 */
	int v = va_arg(ap, int);				/* occ 1 */
	va_end(ap);						/* occ 1 */
	return v + n;						/* occ 1 */
}

__attribute__((mprof, mprof)) int twice(void)			/* occ 2 */
{
	return 2;						/* occ 2 */
}

__attribute__((mprof())) int empty_parens(void)		/* occ 1 */
{
	return 3;						/* occ 1 */
}

__attribute__((mprof, always_inline)) static inline int inl(int x)	/* occ 3 */
{
	return x * 3;						/* occ 3 */
}

__attribute__((mprof)) static int never_called(void) { return 4; }

__attribute__((mprof, weak)) int weak_def(void)			/* occ 1 */
{
	return 5;						/* occ 1 */
}

__attribute__((mprof)) int knr(a)				/* occ 1 */
int a;
{
	return a;						/* occ 1 */
}

int not_profiled(void)
{
	return 0;						/* norow */
}

__attribute__((mprof)) int main(void)				/* occ 1 */
{
	int local __attribute__((mprof)) = 1;			/* warn occ 1 */
	static int slocal __attribute__((mprof));		/* warn */
	__attribute__((mprof)) int block_scope_fn(void);		/* warn */
	struct { int x __attribute__((mprof)); } anon = { 1 };	/* warn occ 1 */
	int sum = 0;						/* occ 1 */

	if (local)						/* occ 1 */
		goto done;
	sum = -1;						/* norow */
unused_label: __attribute__((mprof));				/* warn */
done:
	__attribute__((mprof));					/* warn */
	sum += proto_then_def() + def_param(1) + variadic(1, 2) + twice();	/* occ 1 */
	sum += twice() + empty_parens() + inl(1) + inl(1) + inl(1) + knr(1);	/* occ 1 */
	sum += slocal + anon.x + gvar + svar + not_profiled();	/* occ 1 */
	sum += alias_of() + weak_def();				/* occ 1 */
	return sum != 7 + 1 + 3 + 2 + 2 + 3 + 9 + 1 + 0 + 1 + 0 + 3 + 7 + 5;	/* occ 1 */
}
