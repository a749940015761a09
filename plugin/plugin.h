/* SPDX-License-Identifier: MIT */
/*
 * plugin.h - what the plugin's three files share.
 *
 *   plugin.cc  plugin_init, arguments, the mprof attribute, which functions
 *              are instrumented, the pass that drives the other two and
 *              the late pass that lowers the probe placeholders;
 *   lines.cc   where line events fire (docs/DESIGN.md, "Where line events
 *              fire"): which statements and which CFG edges get a line
 *              probe, and for which source line;
 *   emit.cc    what is emitted: the per-function descriptors of
 *              runtime/mprof_abi.h, the per-unit probe table, the probe
 *              thunks, the constructor that binds the runtime, and the
 *              placeholders that stand for probe calls until lowered.
 */
#ifndef MPROF_PLUGIN_H
#define MPROF_PLUGIN_H

#include "compat.h"

#include <vector>

/* What mp_line_probe::prev holds when no one line is left there. */
enum {
	MP_PREV_UNKNOWN = -1,	/* paths disagree: the event reads `cur` */
	MP_PREV_ENTRY = 0	/* right after the entry: nothing to count */
};

/* A line probe to insert: before `stmt`, or on edge `e` when stmt is NULL. */
struct mp_line_probe {
	gimple *stmt;
	edge e;
	int line;
	location_t loc;		/* location given to the probe call */
	int prev;		/* the line left when it fires, on every path
				   (the probe before it), or MP_PREV_* */
};

/* The line events of one function, as found by mp_lines_analyze(). */
struct mp_lines {
	int first_line;		/* signature line */
	int last_line;		/* closing brace */
	location_t body_loc;	/* location of the first body statement */
	std::vector<mp_line_probe> probes;
};

/* plugin.cc: is `g` the marker put before a jump statement? */
bool mp_is_jump_mark(gimple *g);

/* lines.cc */
void mp_lines_analyze(function *fn, mp_lines *out);

/* emit.cc */
void mp_emit_set_runtime(const char *path);
void mp_emit_set_functions(const char *globs);
void mp_emit_unit_for_patterns(void);
void mp_emit_register_roots(const char *plugin_name);
void mp_emit_instrument(function *fn, const char *name, mp_lines *lines);
unsigned mp_emit_lower(function *fn);
bool mp_emit_is_own(tree fndecl);
/* False, after one warning per unit, when the target's types cannot hold
   the ABI's layout (runtime/mprof_abi.h is LP64: -m32, -mx32). */
bool mp_emit_target_ok(void);

#endif /* MPROF_PLUGIN_H */
