/* SPDX-License-Identifier: MIT */
/*
 * plugin.cc - mprof.so, the GCC plugin that makes functions report their
 * memory line by line.
 *
 * What is instrumented: every function definition carrying
 * __attribute__((mprof)) (the MPROF macro of mprof.h), plus, on request,
 *
 *     -fplugin-arg-mprof-all                  every function of the unit
 *     -fplugin-arg-mprof-functions=GLOB,...   functions whose name matches
 *     -fplugin-arg-mprof-exclude=GLOB,...     never these (wins over all)
 *     -fplugin-arg-mprof-runtime=PATH         the runtime to load at run
 *                                             time (default: libmprof.so.0
 *                                             beside the plugin, or in the
 *                                             directory above it)
 *
 * -all and -functions skip functions from system headers, compiler-made
 * functions and no_instrument_function ones.  naked functions (a call
 * clobbers registers there) and ifunc resolvers (they run before
 * relocation) are never instrumented; asking for one by attribute is a
 * warning.  The attribute on anything but a function is a warning with the
 * location, and so is the attribute on a function the unit declares but
 * does not define; with arguments, an error -- never an internal compiler
 * error.
 *
 * How: a GIMPLE pass right after "cfg" (before SSA, inlining and every
 * optimisation, so the line counts do not depend on -O) finds the line
 * events (lines.cc) and inserts the descriptors and, for the probes,
 * zero-cost placeholders (emit.cc); a second pass, after the last warning
 * pass ("optimized", at every -O level), turns the placeholders into the
 * probes' code -- entry and exit calls, inline line events -- so inlining
 * decisions and warnings are the plain build's.  Units compiled to LTO IR
 * get calls right away (emit.cc says why).
 *
 * Debugging: -fdump-tree-fixup_cfg1-lineno shows the instrumented IL with
 * its placeholders (.NOP calls; -fdump-tree-optimized, the last ones
 * before they become code) -- the passes cannot be dumped by name; MPROF_PLUGIN_DEBUG=1 in the
 * compiler's environment prints each instrumented function and its probes.
 */
#include "plugin.h"

#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "incpath.h"
#include "tree-nested.h"
#include "predict.h"
#include "gimple-predict.h"

/* C front-end only: lto1 loads the plugin too, and lacks it (RTLD_NOW). */
extern void add_path(char *, incpath_kind, int, bool) __attribute__((weak));

MPROF_PLUGIN_EXPORT int plugin_is_GPL_compatible;

static struct plugin_info mprof_plugin_info = {
	"0.1.0",
	"per-line memory profiling; arguments: all, functions=GLOB[,GLOB...], "
	"exclude=GLOB[,GLOB...], runtime=PATH",
};

static bool opt_all;
static std::vector<std::string> opt_functions, opt_exclude;
static bool debug_dump;

static void
split_globs(const char *value, std::vector<std::string> *out)
{
	std::string s(value);
	size_t start = 0;
	while (start <= s.size()) {
		size_t comma = s.find(',', start);
		if (comma == std::string::npos)
			comma = s.size();
		if (comma > start)
			out->push_back(s.substr(start, comma - start));
		start = comma + 1;
	}
}

static bool
matches(const std::vector<std::string> &globs, const char *name)
{
	for (const std::string &g : globs)
		if (fnmatch(g.c_str(), name, 0) == 0)
			return true;
	return false;
}

/* The attribute: functions only, no arguments (max_length 0 does that). */
static tree
handle_mprof_attribute(tree *node, tree name, tree, int, bool *no_add_attrs)
{
	if (TREE_CODE(*node) != FUNCTION_DECL) {
		warning(OPT_Wattributes,
			"%qE attribute applies only to function definitions; "
			"ignored", name);
		*no_add_attrs = true;
	}
	return NULL_TREE;
}

/*
 * The attribute on a function declared, but not defined, in this unit
 * profiles nothing here: say so at the end of the unit (only then is it
 * known that no definition follows).  The declarations are collected at
 * PLUGIN_FINISH_DECL, once the front end has merged a redeclaration into
 * the first declaration (the redeclaration's node is freed then), so the
 * node kept is the one a later definition completes.
 */
static tree attr_decls;		/* TREE_LIST of FUNCTION_DECLs; a GC root */
/* The same, in source order, with where the attribute was first seen
   (a later plain redeclaration moves the decl's own location). */
static std::vector<std::pair<tree, location_t>> attr_decl_locs;

static void
note_attr_decl(void *gcc_data, void *)
{
	tree decl = (tree)gcc_data;
	if (!decl || TREE_CODE(decl) != FUNCTION_DECL || DECL_INITIAL(decl) ||
	    !lookup_attribute("mprof", DECL_ATTRIBUTES(decl)))
		return;
	for (tree t = attr_decls; t; t = TREE_CHAIN(t))
		if (TREE_VALUE(t) == decl)
			return;
	attr_decls = tree_cons(NULL_TREE, decl, attr_decls);
	attr_decl_locs.push_back({ decl, DECL_SOURCE_LOCATION(decl) });
}

static bool
defined_here(tree decl)
{
	if (DECL_INITIAL(decl) || DECL_SAVED_TREE(decl))
		return true;
	cgraph_node *node = cgraph_node::get(decl);
	return node && node->definition;
}

static void
warn_undefined_attr(void *, void *)
{
	for (const auto &d : attr_decl_locs)
		if (!defined_here(d.first))
			warning_at(d.second, OPT_Wattributes,
				   "%<mprof%> attribute on %qD, which is not "
				   "defined in this translation unit; ignored",
				   d.first);
	attr_decl_locs.clear();
	attr_decls = NULL_TREE;
}

static const struct ggc_root_tab plugin_roots[] = {
	{ &attr_decls, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	LAST_GGC_ROOT_TAB
};

static struct attribute_spec mprof_attribute = {
	"mprof", 0, 0, true, false, false, false, handle_mprof_attribute, NULL
};

static bool
is_ifunc_resolver(tree fndecl)
{
	cgraph_node *node = cgraph_node::get(fndecl);
	if (!node)
		return false;
	ipa_ref *ref;
	for (int i = 0; node->iterate_referring(i, ref); i++)
		if (ref->use == IPA_REF_ALIAS && ref->referring->ifunc_resolver)
			return true;
	return false;
}

static const char *
function_name(tree fndecl)
{
	return lang_hooks.decl_printable_name(fndecl, 2);
}

/* resolver_known: the call graph can tell an ifunc resolver (not yet while
   parsing: then one may be taken for selected, never the reverse). */
static bool
selected_decl(tree decl, bool resolver_known)
{
	if (mp_emit_is_own(decl))
		return false;
	bool asked = lookup_attribute("mprof", DECL_ATTRIBUTES(decl));
	const char *name = function_name(decl);
	if (!resolver_known) {
		if (lookup_attribute("naked", DECL_ATTRIBUTES(decl)))
			return false;
	} else if (lookup_attribute("naked", DECL_ATTRIBUTES(decl)) ||
		   is_ifunc_resolver(decl)) {
		if (asked)
			warning_at(DECL_SOURCE_LOCATION(decl), OPT_Wattributes,
				   "%qs cannot be profiled: naked functions and "
				   "%<ifunc%> resolvers run without the usual calling "
				   "environment; %<mprof%> attribute ignored", name);
		return false;
	}
	if (matches(opt_exclude, name))
		return false;
	if (asked)
		return true;
	if (DECL_ARTIFICIAL(decl) ||
	    in_system_header_at(DECL_SOURCE_LOCATION(decl)) ||
	    lookup_attribute("no_instrument_function", DECL_ATTRIBUTES(decl)))
		return false;
	return opt_all || matches(opt_functions, name);
}

static bool
selected(function *fn)
{
	return selected_decl(fn->decl, true);
}

/*
 * Jump statements.  `return;`, `break;`, `continue;` and `goto` lines get a
 * row, as in memory_profiler, but leave nothing for lines.cc to see: the
 * CFG builder turns a goto into an edge (its location survives only in
 * edge->goto_locus, and only at -O0: with optimisation the gimplifier folds
 * `if (c) goto l;` into the condition), and a bare return is only the
 * GIMPLE_RETURN that lines.cc ignores (so that the closing brace makes no
 * row).  So, before gimplification (PLUGIN_PRE_GENERICIZE), each such
 * statement of a function that may be selected is preceded by a marker
 * located on it: a PREDICT_EXPR with a predictor no front end emits
 * (PRED_DS_THEORY, only ever a combination inside predict.cc).  A
 * prediction, not a call: the front ends already put one before a goto or
 * a continue, and the gimplifier's -Wimplicit-fallthrough check skips
 * predictions, so `case 1: f(); default: break;` stays as quiet as without
 * the plugin.  lines.cc counts the marker as a statement of its line; the
 * pass after "cfg" then deletes every marker, in every function, selected
 * or not, before anything could read it.  A `return;` on the closing
 * brace's line is left alone.
 */
#define JUMP_MARK_PREDICTOR PRED_DS_THEORY

bool
mp_is_jump_mark(gimple *g)
{
	return gimple_code(g) == GIMPLE_PREDICT &&
	       gimple_predict_predictor(g) == JUMP_MARK_PREDICTOR;
}

struct jump_walk {
	const char *file;	/* the function's file and closing line */
	int end_line;
	hash_set<tree> seen;
};

static tree
mark_jump_r(tree *tp, int *walk_subtrees, void *data)
{
	jump_walk *w = (jump_walk *)data;
	tree t = *tp;
	if (TYPE_P(t) || DECL_P(t) || CONSTANT_CLASS_P(t)) {
		*walk_subtrees = 0;
		return NULL_TREE;
	}
	switch (TREE_CODE(t)) {
	case BREAK_STMT:
	case CONTINUE_STMT:
	case GOTO_EXPR:
		break;
	case RETURN_EXPR:
		if (TREE_OPERAND(t, 0))
			return NULL_TREE;
		break;
	default:
		return NULL_TREE;
	}
	*walk_subtrees = 0;
	location_t loc = EXPR_LOCATION(t);
	if (LOCATION_LOCUS(loc) <= BUILTINS_LOCATION || w->seen.add(t))
		return NULL_TREE;
	if (TREE_CODE(t) == RETURN_EXPR) {
		expanded_location x = expand_location(
			linemap_resolve_location(line_table, loc,
						 LRK_MACRO_EXPANSION_POINT, NULL));
		if (x.file && w->file && strcmp(x.file, w->file) == 0 &&
		    x.line == w->end_line)
			return NULL_TREE;
	}
	tree mark = build_predict_expr(JUMP_MARK_PREDICTOR, NOT_TAKEN);
	SET_EXPR_LOCATION(mark, loc);
	tree list = alloc_stmt_list();
	append_to_statement_list_force(mark, &list);
	append_to_statement_list_force(t, &list);
	*tp = list;
	return NULL_TREE;
}

static void
mark_jumps(tree fndecl)
{
	if (TREE_CODE(fndecl) != FUNCTION_DECL || !DECL_SAVED_TREE(fndecl))
		return;
	if (selected_decl(fndecl, false)) {
		jump_walk w;
		w.file = DECL_SOURCE_FILE(fndecl);
		w.end_line = 0;
		if (function *f = DECL_STRUCT_FUNCTION(fndecl)) {
			expanded_location end =
				expand_location(f->function_end_locus);
			if (end.file)
				w.end_line = end.line;
		}
		walk_tree(&DECL_SAVED_TREE(fndecl), mark_jump_r, &w, NULL);
	}
	/* GNU C nested functions are genericized with their parent. */
	if (cgraph_node *node = cgraph_node::get(fndecl))
		for (cgraph_node *n = first_nested_function(node); n;
		     n = next_nested_function(n))
			mark_jumps(n->decl);
}

static void
pre_genericize(void *gcc_data, void *)
{
	mark_jumps((tree)gcc_data);
}

/* Every marker goes, in every function, selected or not. */
static void
remove_jump_marks(function *fn)
{
	basic_block bb;
	FOR_EACH_BB_FN(bb, fn)
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
		     !gsi_end_p(gsi);)
			if (mp_is_jump_mark(gsi_stmt(gsi)))
				gsi_remove(&gsi, true);
			else
				gsi_next(&gsi);
}

const pass_data mprof_pass_data = {
	GIMPLE_PASS,
	"mprof",		/* name */
	OPTGROUP_NONE,
	TV_NONE,
	PROP_cfg,		/* properties_required */
	0, 0, 0, 0,
};

class mprof_pass : public gimple_opt_pass {
public:
	mprof_pass(gcc::context *ctx) : gimple_opt_pass(mprof_pass_data, ctx) {}

	unsigned int execute(function *fn) final override
	{
		if (!mp_emit_target_ok()) {
			remove_jump_marks(fn);
			return 0;
		}
		if (symtab->state == CONSTRUCTION && !mp_emit_is_own(fn->decl))
			mp_emit_unit_for_patterns();
		/* Functions made after the call graph is built (OpenMP
		   outlining, late constructors) are not the user's lines. */
		if (symtab->state != CONSTRUCTION || !selected(fn)) {
			remove_jump_marks(fn);
			return 0;
		}
		mp_lines lines;
		mp_lines_analyze(fn, &lines);
		const char *name = function_name(fn->decl);
		/* A probe call between `register long r asm("rdi") = x;` and
		   the asm that reads r clobbers the register (GCC only keeps a
		   local register variable in its register up to the next
		   call): keep the entry and exit probes, drop the lines. */
		if (fn->has_local_explicit_reg_vars) {
			lines.probes.clear();
			if (lookup_attribute("mprof", DECL_ATTRIBUTES(fn->decl)))
				warning_at(DECL_SOURCE_LOCATION(fn->decl),
					   OPT_Wattributes,
					   "%qs uses local register variables: "
					   "only its calls are profiled, not its "
					   "lines", name);
		}
		if (debug_dump)
			fprintf(stderr, "mprof: %s:%d-%d %s: %zu line probes\n",
				DECL_SOURCE_FILE(fn->decl), lines.first_line,
				lines.last_line, name, lines.probes.size());
		mp_emit_instrument(fn, name, &lines);
		remove_jump_marks(fn);
		return 0;
	}
};

/* The placeholders become the probes' code (emit.cc, mp_emit_lower), in
   every function: inlining spreads them beyond the instrumented ones. */
const pass_data mprof_lower_pass_data = {
	GIMPLE_PASS,
	"mprof_lower",		/* name */
	OPTGROUP_NONE,
	TV_NONE,
	PROP_cfg,		/* properties_required */
	0, 0, 0, 0,
};

class mprof_lower_pass : public gimple_opt_pass {
public:
	mprof_lower_pass(gcc::context *ctx)
		: gimple_opt_pass(mprof_lower_pass_data, ctx) {}

	unsigned int execute(function *fn) final override
	{
		return mp_emit_lower(fn);
	}
};

static std::string
plugin_dir(const char *plugin_path)
{
	char buf[PATH_MAX];
	if (!realpath(plugin_path, buf))
		return "";
	return dirname(buf);
}

/* libmprof.so.0 beside the plugin, or one directory up (installed). */
static std::string
find_runtime(const std::string &dir)
{
	char buf[PATH_MAX];
	for (const char *rel : { "/libmprof.so.0", "/../libmprof.so.0" }) {
		std::string cand = dir + rel;
		if (realpath(cand.c_str(), buf) && access(buf, R_OK) == 0)
			return buf;
	}
	return "";
}

/*
 * mprof.h is installed beside the plugin (<dir>/include), and that
 * directory is searched after the system ones, as -idirafter would: so
 * `gcc -fplugin=mprof.so x.c` alone compiles a file that includes
 * <mprof.h>, and a user's own copy still wins.  Plugins are initialised
 * before the front end registers its include chains, so this is in time.
 */
static void
add_header_dir(const std::string &dir)
{
	std::string inc = dir + "/include";
	if (!add_path || access((inc + "/mprof.h").c_str(), R_OK) != 0)
		return;
	add_path(xstrdup(inc.c_str()), INC_AFTER, 0, true);
}

static void
add_pass_after(const char *plugin_name, opt_pass *pass, const char *ref)
{
	struct register_pass_info info;
	info.pass = pass;
	info.reference_pass_name = ref;
	info.ref_pass_instance_number = 1;
	info.pos_op = PASS_POS_INSERT_AFTER;
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &info);
}

static void
register_attributes(void *, void *)
{
	register_attribute(&mprof_attribute);
}

MPROF_PLUGIN_EXPORT int
plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version)
{
	const char *name = info->base_name;

	if (!plugin_default_version_check(version, &gcc_version)) {
		error("mprof: this plugin was built for GCC %s and cannot be "
		      "loaded by GCC %s", gcc_version.basever,
		      version->basever);
		return 1;
	}

	std::string dir = plugin_dir(info->full_name);
	std::string runtime = find_runtime(dir);
	add_header_dir(dir);
	for (int i = 0; i < info->argc; i++) {
		const char *key = info->argv[i].key;
		const char *value = info->argv[i].value;
		bool needs_value = strcmp(key, "functions") == 0 ||
				   strcmp(key, "exclude") == 0 ||
				   strcmp(key, "runtime") == 0;
		if (strcmp(key, "all") == 0 && !value) {
			opt_all = true;
		} else if (needs_value && (!value || !*value)) {
			error("mprof: %<-fplugin-arg-%s-%s%> needs a value, "
			      "e.g. %<-fplugin-arg-%s-%s=...%>",
			      name, key, name, key);
		} else if (strcmp(key, "functions") == 0) {
			split_globs(value, &opt_functions);
		} else if (strcmp(key, "exclude") == 0) {
			split_globs(value, &opt_exclude);
		} else if (strcmp(key, "runtime") == 0) {
			runtime = value;
		} else {
			error("mprof: unknown argument %<-fplugin-arg-%s-%s%>; "
			      "known: all, functions=GLOB, exclude=GLOB, "
			      "runtime=PATH", name, key);
		}
	}
	mp_emit_set_runtime(runtime.c_str());
	std::string joined;
	for (const std::string &g : opt_functions)
		joined += (joined.empty() ? "" : ",") + g;
	mp_emit_set_functions(joined.c_str());
	const char *dbg = getenv("MPROF_PLUGIN_DEBUG");
	debug_dump = dbg && *dbg && strcmp(dbg, "0") != 0;

	register_callback(name, PLUGIN_INFO, NULL, &mprof_plugin_info);
	/* The mprof attribute. */
	register_callback(name, PLUGIN_ATTRIBUTES, register_attributes, NULL);
	/* The cached trees of emit.cc survive garbage collection. */
	mp_emit_register_roots(name);
	/* The attribute on a function this unit does not define. */
	register_callback(name, PLUGIN_REGISTER_GGC_ROOTS, NULL,
			  (void *)plugin_roots);
	register_callback(name, PLUGIN_FINISH_DECL, note_attr_decl, NULL);
	register_callback(name, PLUGIN_FINISH_UNIT, warn_undefined_attr, NULL);
	/* Jump statements get a line of their own (see mark_jumps). */
	register_callback(name, PLUGIN_PRE_GENERICIZE, pre_genericize, NULL);
	/* The pass, once per function, right after the CFG is built. */
	add_pass_after(name, new mprof_pass(g), "cfg");
	/* Its placeholders become code after the last warning pass, right
	   before expansion ("optimized" runs at every -O level). */
	add_pass_after(name, new mprof_lower_pass(g), "optimized");
	return 0;
}
