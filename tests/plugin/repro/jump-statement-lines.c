/* SPDX-License-Identifier: MIT */
/*
 * Expect: same (output); the table lacks rows for jump statements
 *
 * jump-statement-lines.c - `return;`, `break;`, `continue;` and `goto`
 * lines never get a record, though control passes through them
 * (memory_profiler counts `return`, `break` and `continue` lines).
 *
 * Found by: tests/plugin/badinput (attr_positions.c, setjmp.c).
 * Run:
 *     gcc -O0 -fplugin=build/lib/mprof.so -fplugin-arg-mprof-all \
 *         jump-statement-lines.c -o j && MPROF_BACKEND=heap ./j
 * Expected (memory_profiler's rule): row 38 `return;` 1, row 48 `break;` 1,
 * row 50 `continue;` 4, row 56 `goto out;` 1.
 * Got: no record on any of them; every other row is right.
 *
 * Analysis: these statements leave nothing for lines.cc to see.  A bare
 * `return;` is a GIMPLE_RETURN, which ignored_stmt() skips (so that the
 * implicit return at the closing brace does not make a row; but a return
 * located elsewhere than the closing brace's line could count).  A
 * `goto`/`break`/`continue` is a GIMPLE_GOTO that the CFG builder removes,
 * keeping its location only in edge->goto_locus -- and only at -O0: with
 * optimisation the gimplifier folds `if (c) goto l;` into the GIMPLE_COND
 * and the goto's location is gone, so using goto_locus would make counts
 * depend on -O, which SPEC §3 forbids.
 *
 * Suggestion: count a GIMPLE_RETURN whose line is not the closing brace's
 * (consistent at every -O, since the pass runs before optimisation); for
 * the others, either record the jump locations before gimplification
 * (e.g. from the GENERIC body at PLUGIN_PRE_GENERICIZE) or document that
 * jump statements have no row of their own.
 */
static int g;

static void early(int x)
{
	if (x)
		return;
	g++;
}

int main(void)
{
	int n = 0;

	for (int i = 0; i < 10; i++) {
		if (i == 8)
			break;
		if (i % 2)
			continue;
		n++;
	}
	early(1);
	early(0);
	if (n == 4)
		goto out;
	n = 100;
out:
	return n != 4 || g != 1;
}
