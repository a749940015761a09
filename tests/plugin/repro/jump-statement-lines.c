/* SPDX-License-Identifier: MIT */
/*
 * Expect: same
 *
 * jump-statement-lines.c - `return;`, `break;`, `continue;` and `goto`
 * lines got no record, though control passes through them (memory_profiler
 * counts them).  Fixed; kept as a regression reproducer.
 *
 * Found by: tests/plugin/badinput (attr_positions.c, setjmp.c).  Run:
 *     gcc -O0 -fplugin=build/lib/mprof.so -fplugin-arg-mprof-all \
 *         jump-statement-lines.c -o j && MPROF_BACKEND=heap ./j
 * Expected (and now got, at -O0..-O3, -Os, -flto): row 38 `return;` 1,
 * row 48 `break;` 1, row 50 `continue;` 4, row 56 `goto out;` 1.
 * Before the fix: no record on any of them.
 *
 * Analysis: these statements left nothing for lines.cc to see.  A bare
 * `return;` is a GIMPLE_RETURN, which ignored_stmt() skips (the implicit
 * return at the closing brace must make no row).  A goto/break/continue is
 * a GIMPLE_GOTO that the CFG builder removes, keeping its location only in
 * edge->goto_locus -- and only at -O0: with optimisation the gimplifier
 * folds `if (c) goto l;` into the GIMPLE_COND, so counts would depend on -O.
 *
 * Fix (plugin/plugin.cc, mark_jumps): at PLUGIN_PRE_GENERICIZE, in each
 * function that may be selected, every BREAK_STMT, CONTINUE_STMT,
 * GOTO_EXPR and value-less RETURN_EXPR (but a return on the closing
 * brace's line) became {marker; jump}, the marker a PREDICT_EXPR
 * (PRED_DS_THEORY) located on the jump; lines.cc counts it as a statement
 * of that line; the pass after "cfg" deletes every marker in every
 * function (not a call: -Wimplicit-fallthrough skips predictions).  Open:
 * `if (c) goto l;` before a case label gets -Wimplicit-fallthrough at -O1+
 * (plain GCC: at -O0 only).  tests/plugin/lines.c pins these rows.
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
