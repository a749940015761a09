/* SPDX-License-Identifier: MIT */
/*
 * lines.cc - where line events fire.
 *
 * The rule (docs/DESIGN.md, "Where line events fire"; for users,
 * docs/columns.md): a line event fires when control enters
 * line L from a different line of the same function, or starts a new
 * iteration of a loop.  For a loop run n times that gives each body line
 * n events and a `for`/`while` header n+1, as memory_profiler shows for
 * Python.
 *
 * The analysis runs on the GIMPLE CFG right after it is built (before SSA
 * and any optimisation, so counts are the same at every -O level):
 *
 * 1. Statements are cut into groups (cut_blocks): a statement whose
 *    result is a compiler temporary belongs with the statement that
 *    consumes it, and a group's line is the smallest line in it.  So
 *    `x = f(a,\n g(b));` is one event on its first line, not one per line
 *    it spans.  Lines come from the macro expansion point; statements
 *    without a usable location, in another file, or outside the function's
 *    lines inherit the line before.
 * 2. A forward dataflow (solve_out_lines) gives the line control is on
 *    when it leaves each block (blocks without lines of their own pass it
 *    through).  An edge into a block needs a line event when the line it
 *    arrives from differs from the block's first line.
 * 3. A second, must-style dataflow (solve_loop_events) finds whether an
 *    event has fired since the loop header on every path to the end of a
 *    latch.  A back edge from a latch where none has fired (a loop written
 *    on one line) needs an event of its own, so every iteration counts
 *    once -- and only once: a `for` header's increment already fired one
 *    for the header line.
 *
 * Then each block gets its probes (place_block): an event needed on every
 * incoming edge becomes one probe at the block's first group; one needed
 * on some edges only is inserted on those edges.  Abnormal and EH edges
 * (computed goto, setjmp, landing pads) cannot carry probes: when one of
 * them arrives from another line, the probe goes at the block's first
 * group, for every way in.
 *
 * 4. A last forward dataflow over the placed probes (solve_prev) gives
 *    each one the line it leaves when that is the same on every path, so
 *    that its code can count that line without reading the record.
 */
#include "plugin.h"

#include <map>

namespace {

enum { UNDEF = -2, VARIES = -1 };

struct group {
	gimple *start;		/* first statement of the group */
	int line;		/* 0: inherits the line before */
	location_t loc;
};

struct block {
	std::vector<group> groups;
	int first = 0;		/* line of the first group with a line */
	int last = 0;		/* line of the last group with a line */
	int out = UNDEF;	/* line when control leaves the block */
	bool inner_event = false;	/* a line change inside the block */
	bool ev_out = true;	/* an event fired since the loop header */
	bool header = false;	/* target of a back edge */
};

struct ctx {
	const char *file;
	int lo, hi;
};

/* Statements that never decide a line: they are not code of the user's.
   But a jump statement's marker (plugin.cc, mark_jumps), a GIMPLE_PREDICT,
   stands for the jump: its line counts. */
bool
ignored_stmt(gimple *g)
{
	switch (gimple_code(g)) {
	case GIMPLE_PREDICT:
		return !mp_is_jump_mark(g);
	case GIMPLE_LABEL:
	case GIMPLE_NOP:
	case GIMPLE_RETURN:
	case GIMPLE_DEBUG:
		return true;
	default:
		return gimple_clobber_p(g);
	}
}

int
stmt_line(const ctx &c, gimple *g)
{
	location_t loc = gimple_location(g);
	if (LOCATION_LOCUS(loc) <= BUILTINS_LOCATION)
		return 0;
	loc = linemap_resolve_location(line_table, loc,
				       LRK_MACRO_EXPANSION_POINT, NULL);
	expanded_location x = expand_location(loc);
	if (!x.file || strcmp(x.file, c.file) != 0)
		return 0;
	if (x.line < c.lo || x.line > c.hi)
		return 0;
	return x.line;
}

/*
 * A statement whose result is a gimplifier temporary, used further on:
 * an SSA name (GCC 12 gimplifies formal temporaries straight into SSA
 * names, even at -O0) or an artificial local such as the return value's.
 */
bool
defines_temp(gimple *g)
{
	/* The stack pointer saved at the start of a scope with a VLA is read
	   by the stack_restore at its end, not by the next statement. */
	if (gimple_call_builtin_p(g, BUILT_IN_STACK_SAVE))
		return false;
	tree lhs = gimple_get_lhs(g);
	if (!lhs)
		return false;
	if (TREE_CODE(lhs) == SSA_NAME)
		return !SSA_NAME_VAR(lhs) || DECL_ARTIFICIAL(SSA_NAME_VAR(lhs));
	return VAR_P(lhs) && DECL_ARTIFICIAL(lhs) && !TREE_STATIC(lhs);
}

void
cut_groups(const ctx &c, basic_block bb, block &b)
{
	gimple_stmt_iterator gsi = gsi_start_bb(bb);
	while (!gsi_end_p(gsi)) {
		gimple *g = gsi_stmt(gsi);
		gsi_next(&gsi);
		if (ignored_stmt(g))
			continue;
		group grp = { g, stmt_line(c, g), gimple_location(g) };
		gimple *cur = g;
		while (defines_temp(cur) && !gsi_end_p(gsi)) {
			cur = gsi_stmt(gsi);
			gsi_next(&gsi);
			if (ignored_stmt(cur))
				continue;
			int l = stmt_line(c, cur);
			if (l && (!grp.line || l < grp.line)) {
				grp.line = l;
				grp.loc = gimple_location(cur);
			}
		}
		b.groups.push_back(grp);
	}
	int prev = 0;
	for (const group &grp : b.groups) {
		if (!grp.line)
			continue;
		if (!b.first)
			b.first = grp.line;
		else if (grp.line != prev)
			b.inner_event = true;
		prev = grp.line;
	}
	b.last = prev;
}

int
meet(int a, int b)
{
	if (a == UNDEF)
		return b;
	if (b == UNDEF)
		return a;
	return a == b ? a : VARIES;
}

bool
probe_edge_ok(edge e)
{
	return !(e->flags & (EDGE_ABNORMAL | EDGE_EH));
}

/* Line-change rule: control arrives on `e` from another line. */
bool
line_change(const std::vector<block> &bs, edge e, int first)
{
	if (e->src->index == ENTRY_BLOCK)
		return true;
	return bs[e->src->index].out != first;
}

/* The function's file and lines: statements outside them inherit a line. */
ctx
function_lines(function *fn, mp_lines *out)
{
	tree decl = fn->decl;
	ctx c;
	c.file = DECL_SOURCE_FILE(decl);
	c.lo = DECL_SOURCE_LINE(decl);
	expanded_location end = expand_location(fn->function_end_locus);
	c.hi = (end.file && end.line >= c.lo) ? end.line : INT_MAX;
	out->first_line = c.lo;
	out->last_line = c.hi == INT_MAX ? c.lo : c.hi;
	out->body_loc = DECL_SOURCE_LOCATION(decl);
	return c;
}

/* Step 1: every block's groups, and which blocks are loop headers. */
void
cut_blocks(const ctx &c, function *fn, std::vector<block> &bs)
{
	mark_dfs_back_edges(fn);
	basic_block bb;
	FOR_EACH_BB_FN(bb, fn) {
		cut_groups(c, bb, bs[bb->index]);
		edge e;
		edge_iterator ei;
		FOR_EACH_EDGE(e, ei, bb->preds)
			if (e->flags & EDGE_DFS_BACK)
				bs[bb->index].header = true;
	}
}

/* Step 2: which line control is on when leaving each block. */
void
solve_out_lines(function *fn, std::vector<block> &bs)
{
	basic_block bb;
	for (bool changed = true; changed;) {
		changed = false;
		FOR_EACH_BB_FN(bb, fn) {
			block &b = bs[bb->index];
			int v = b.last;
			if (!v) {
				v = UNDEF;
				edge e;
				edge_iterator ei;
				FOR_EACH_EDGE(e, ei, bb->preds)
					v = meet(v, e->src->index == ENTRY_BLOCK
						 ? VARIES : bs[e->src->index].out);
			}
			if (v != b.out) {
				b.out = v;
				changed = true;
			}
		}
	}
}

/* Step 3: has an event fired since the loop header, on every path? */
void
solve_loop_events(function *fn, std::vector<block> &bs)
{
	basic_block bb;
	for (bool changed = true; changed;) {
		changed = false;
		FOR_EACH_BB_FN(bb, fn) {
			block &b = bs[bb->index];
			bool all_need = b.first != 0, ev_in = !b.header;
			bool in_block = false;
			edge e;
			edge_iterator ei;
			FOR_EACH_EDGE(e, ei, bb->preds) {
				if (!probe_edge_ok(e)) {
					in_block |= b.first && line_change(bs, e, b.first);
					continue;
				}
				bool need = b.first && line_change(bs, e, b.first);
				all_need &= need;
				if (e->src->index == ENTRY_BLOCK)
					ev_in = false;
				else if (!(e->flags & EDGE_DFS_BACK))
					ev_in &= need || bs[e->src->index].ev_out;
			}
			bool v = b.inner_event || all_need || in_block || ev_in;
			if (v != b.ev_out) {
				b.ev_out = v;
				changed = true;
			}
		}
	}
}

/*
 * The probes of one block: for its first group, one at the block's start
 * or one per edge that needs it; then one per later change of line.  The
 * body's location becomes the first group's of the block the entry edge
 * reaches (*have_body_loc: already found).
 */
void
place_block(basic_block bb, const std::vector<block> &bs, mp_lines *out,
	    bool *have_body_loc)
{
	const block &b = bs[bb->index];
	if (!b.first)
		return;
	const group *first = NULL;
	for (const group &grp : b.groups)
		if (grp.line) {
			first = &grp;
			break;
		}
	std::vector<edge> need;
	unsigned usable = 0;
	bool in_block = false;	/* an abnormal or EH edge needs one */
	edge e;
	edge_iterator ei;
	FOR_EACH_EDGE(e, ei, bb->preds) {
		if (!probe_edge_ok(e)) {
			in_block |= line_change(bs, e, b.first);
			continue;
		}
		usable++;
		bool n = line_change(bs, e, b.first);
		if ((e->flags & EDGE_DFS_BACK) && !bs[e->src->index].ev_out)
			n = true;
		if (n)
			need.push_back(e);
		if (e->src->index == ENTRY_BLOCK && !*have_body_loc) {
			out->body_loc = first->loc;
			*have_body_loc = true;
		}
	}
	if (in_block || (!need.empty() && need.size() == usable))
		out->probes.push_back({ first->start, NULL, b.first,
					first->loc, MP_PREV_UNKNOWN });
	else
		for (edge ne : need)
			out->probes.push_back({ NULL, ne, b.first,
						first->loc, MP_PREV_UNKNOWN });
	int cur = b.first;
	for (const group &grp : b.groups) {
		if (&grp <= first || !grp.line || grp.line == cur)
			continue;
		out->probes.push_back({ grp.start, NULL, grp.line, grp.loc,
					MP_PREV_UNKNOWN });
		cur = grp.line;
	}
}

/* The signature line's row counts calls; its statements get no probe. */
void
drop_signature_probes(mp_lines *out)
{
	std::vector<mp_line_probe> kept;
	for (const mp_line_probe &p : out->probes)
		if (p.line != out->first_line)
			kept.push_back(p);
	out->probes.swap(kept);
}

/* Does `fn` hold an OpenMP or OpenACC construct? */
bool
has_omp(function *fn)
{
	basic_block bb;
	FOR_EACH_BB_FN(bb, fn)
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
		     !gsi_end_p(gsi); gsi_next(&gsi))
			if (is_gimple_omp(gsi_stmt(gsi)))
				return true;
	return false;
}

/*
 * Step 4, once the probes are placed: the line each one leaves
 * (mp_line_probe::prev) when that is one line on every path -- the line
 * of the probe that fired before it, or MP_PREV_ENTRY when that was the
 * entry.  The emitted event then counts that line at a constant address
 * instead of loading the record's `cur`, which the event before just
 * stored: no chain of loads and stores from one event to the next
 * (runtime/mprof_abi.h).  Where paths disagree, after an abnormal or EH
 * edge (a landing pad, a computed goto's target) and after a call that
 * returns twice (setjmp: the second return comes back right after the
 * call, from wherever longjmp was called), prev is MP_PREV_UNKNOWN.  So is every
 * probe of a function with an OpenMP construct: a region's body becomes a
 * function of its own after this pass, whose events move this function's
 * record behind its back (emit.cc, adopt_orphan).
 */
void
solve_prev(function *fn, mp_lines *out)
{
	std::vector<std::vector<size_t>> in_block(last_basic_block_for_fn(fn));
	std::map<edge, size_t> on_edge;
	for (size_t i = 0; i < out->probes.size(); i++) {
		mp_line_probe &p = out->probes[i];
		p.prev = MP_PREV_UNKNOWN;
		if (p.stmt)
			in_block[gimple_bb(p.stmt)->index].push_back(i);
		else
			on_edge[p.e] = i;
	}
	if (has_omp(fn))
		return;
	std::vector<int> leaves(last_basic_block_for_fn(fn), UNDEF);
	/* The line left, as control arrives on `e` (before an edge probe). */
	auto arriving = [&](edge e) {
		if (!probe_edge_ok(e))
			return (int)VARIES;
		return e->src->index == ENTRY_BLOCK ? (int)MP_PREV_ENTRY
						    : leaves[e->src->index];
	};
	/* ... and after the edge's probe, if it has one. */
	auto after_edge = [&](edge e) {
		auto it = on_edge.find(e);
		return it != on_edge.end() ? out->probes[it->second].line
					   : arriving(e);
	};
	auto entering = [&](basic_block bb) {
		int v = UNDEF;
		edge e;
		edge_iterator ei;
		FOR_EACH_EDGE(e, ei, bb->preds)
			v = meet(v, after_edge(e));
		return v;
	};
	auto known = [](int v) { return v >= 0 ? v : (int)MP_PREV_UNKNOWN; };
	/* The line left after `bb`, entered leaving `v`; with `set`, each of
	   its probes' prev.  A second return from setjmp resumes right after
	   the call, with whatever line was left when longjmp was called. */
	auto through = [&](basic_block bb, int v, bool set) {
		const std::vector<size_t> &ps = in_block[bb->index];
		size_t k = 0;
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
		     !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *g = gsi_stmt(gsi);
			for (; k < ps.size() && out->probes[ps[k]].stmt == g; k++) {
				if (set)
					out->probes[ps[k]].prev = known(v);
				v = out->probes[ps[k]].line;
			}
			if (is_gimple_call(g) &&
			    (gimple_call_flags(g) & ECF_RETURNS_TWICE))
				v = VARIES;
		}
		gcc_checking_assert(k == ps.size());
		return v;
	};
	basic_block bb;
	for (bool changed = true; changed;) {
		changed = false;
		FOR_EACH_BB_FN(bb, fn) {
			int v = through(bb, entering(bb), false);
			if (v != leaves[bb->index]) {
				leaves[bb->index] = v;
				changed = true;
			}
		}
	}
	for (auto &kv : on_edge)
		out->probes[kv.second].prev = known(arriving(kv.first));
	FOR_EACH_BB_FN(bb, fn)
		through(bb, entering(bb), true);
}

} /* namespace */

void
mp_lines_analyze(function *fn, mp_lines *out)
{
	ctx c = function_lines(fn, out);
	std::vector<block> bs(last_basic_block_for_fn(fn));
	cut_blocks(c, fn, bs);
	solve_out_lines(fn, bs);
	solve_loop_events(fn, bs);

	bool have_body_loc = false;
	basic_block bb;
	FOR_EACH_BB_FN(bb, fn)
		place_block(bb, bs, out, &have_body_loc);
	drop_signature_probes(out);
	solve_prev(fn, out);
}
