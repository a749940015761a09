// SPDX-License-Identifier: MIT
/*
 * Expect: same (output); the table differs with -O: run with
 * MPROF_BACKEND=heap, square() has a table (1 call) at -O0 and none at -O1
 * and above
 *
 * constexpr-folded-calls.cc - (C++) a call of a constexpr function with
 * constant arguments is evaluated by the front end when optimising, so the
 * function's calls and lines are counted at -O0 and not at -O2 (against
 * docs/DESIGN.md, "Guarantees": counts are the same at every -O level).
 *
 * Found by: tests/plugin/badinput (attr_cxx.cc: a `[[gnu::mprof]]
 * constexpr` function called as `ce(3)` counted 2 calls at -O0, 1 at -O2;
 * the case now calls it, and its lambda -- C++17 lambdas are constexpr --
 * with a volatile argument).
 * Run:
 *     for o in -O0 -O2; do g++ $o -std=c++17 -fplugin=build/lib/mprof.so \
 *         -fplugin-arg-mprof-all constexpr-folded-calls.cc -o cf &&
 *         MPROF_BACKEND=heap ./cf; done
 * Got: -O0: square()'s table, rows 39 and 41 with 1; -O2: no table for
 * square(), and main's row 47 the same at both.  (`int r = square(3);`, an
 * initialiser, is folded at every level: consistent, so not a problem.)
 *
 * Analysis: cp_fold (cp-gimplify.cc, GCC 12) replaces a CALL_EXPR to a
 * DECL_DECLARED_CONSTEXPR_P function by maybe_constant_value() when
 * !flag_no_inline, i.e. when optimising; it runs in finish_function, long
 * before the plugin's pass, so the call is gone when probes are placed.
 * With -O2 -fno-inline the call is kept (and counted).
 *
 * Suggestion: document it ("in C++, calls of constexpr functions and
 * lambdas with constant arguments may be evaluated at compile time when
 * optimising, and then are not counted"), unless the plugin can keep
 * flag_no_inline set while the front end folds (PLUGIN_START_UNIT to
 * PLUGIN_FINISH_UNIT) without changing the inliner's per-function options
 * -- to be checked; clearing DECL_DECLARED_CONSTEXPR_P is not an option
 * (constant expressions that need the function would stop compiling).
 */
#include <cstdio>

constexpr int square(int x)
{
	return x * x;
}

int main()
{
	int r = 1;
	r += square(3);
	std::printf("%d\n", r);
	return r != 10;
}
