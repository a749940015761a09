/* SPDX-License-Identifier: MIT */
/*
 * Expect: warnings at lines 30 and 34 (tests/plugin/run.sh diagnostics)
 *
 * attr-prototype-only.c - the mprof attribute on a prototype whose
 * function is not defined in the unit was silently ignored.  Fixed; kept
 * as a regression reproducer (compile only: there is no main).
 *
 * Found by: tests/plugin/badinput (attr_positions.c, `unused_proto`, and
 * the block-scope prototype in main).
 * Run:
 *     gcc -c -fplugin=build/lib/mprof.so attr-prototype-only.c
 * Got before the fix: no diagnostic.  Now (docs/DESIGN.md, "Guarantees":
 * the attribute on anything but a function definition is a GCC warning
 * with its location):
 *     attr-prototype-only.c:30:5: warning: 'mprof' attribute on 'helper',
 *     which is not defined in this translation unit; ignored
 * and the same for `local_proto` at line 34.  On a prototype followed by
 * the definition in the same unit the attribute works, without a warning.
 *
 * Fix (plugin/plugin.cc): PLUGIN_FINISH_DECL records each FUNCTION_DECL
 * carrying the attribute and not yet defined (a GC-rooted list; the node
 * seen there is the one a redeclaration was merged into, so a later
 * definition completes it), with the location of the first such
 * declaration; PLUGIN_FINISH_UNIT warns for each that got no body.
 * -fplugin-arg-mprof-all adds no warning: a declaration without the
 * attribute is never reported, defined or not (run.sh checks both, and
 * that misuse_warn.c's prototype+definition pair stays silent).
 */
int helper(int) __attribute__((mprof));

int uses(int x)
{
	__attribute__((mprof)) int local_proto(void);

	return helper(x) + local_proto();
}
