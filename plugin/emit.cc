/* SPDX-License-Identifier: MIT */
/*
 * emit.cc - what the plugin adds to a translation unit.
 *
 * Per instrumented function (layouts of runtime/mprof_abi.h):
 *
 *     static struct __mprof_func  __mprof_func.N;
 *     static struct __mprof_site  __mprof_sites.N[nsites];   [0] = signature
 *
 * and probe calls enter(&sites[0], cfa) on the entry edge,
 * line(&sites[i], cfa) where lines.cc says, exit(&sites[0], cfa) before
 * every return, where cfa is __builtin_dwarf_cfa() evaluated right before
 * the call, in the instrumented function (see runtime/mprof_abi.h).
 *
 * Once per unit, at its first instrumented function:
 *
 *     static struct __mprof_probes __mprof_tab = { V, 0, noop, noop, noop };
 *     static void __mprof_noop(site *, void *) {}
 *     static void __mprof_enter_thunk(site *s, void *cfa)
 *         { __mprof_tab.enter(s, cfa); }
 *     ... line and exit likewise
 *     static void ctor(void)   -- priority 100, before any user constructor
 *     {
 *         bind a linked-in runtime, else find or dlopen("<dir>/libmprof.so.0")
 *         and bind it, else (a static executable, or no runtime) write one
 *         line on stderr saying why there is no report   -- see ctor_body
 *     }
 *
 * Probes start as placeholders that cost the optimiser nothing and become
 * the calls after its last warning pass (see "Placeholders" below).
 * Probes are direct calls to the thunks, which carry `leaf`, `nothrow` and
 * `noipa`: leaf because the runtime never calls back into the program (so
 * a probe needs no abnormal edge in a function that calls setjmp, and the
 * optimiser keeps its knowledge of the unit's statics across it), noipa so
 * a probe stays one short call (the table's load is not copied into every
 * line).  The runtime tells activations apart by the `cfa` argument, never
 * by where its probes run, so the depth of a probe call does not matter.
 *
 * The runtime library is looked up by path at run time, so
 * `gcc -fplugin=mprof.so x.c` needs no -lmprof; dlsym(RTLD_DEFAULT) first
 * finds a runtime already in the process (linked with -lmprof, or loaded by
 * another instrumented module), so a process has one runtime.  A static
 * executable has no loader to do that: it must link libmprof.a, with
 * -Wl,--undefined=__mprof_bind since a weak reference pulls no archive
 * member.
 *
 * Everything is built while the symbol table is under construction (the
 * pass runs right after "cfg"), so the new functions and variables go
 * through the rest of the compilation, LTO streaming included, like any
 * others.
 */
#include "plugin.h"

#include <stddef.h>

#include <map>
#include <string>

extern "C" {
#include "mprof_abi.h"		/* runtime/: the version and the layouts */
}

#define RTLD_NOW_GLOBAL 0x102	/* RTLD_NOW | RTLD_GLOBAL (glibc) */

enum probe_kind { PROBE_ENTER, PROBE_LINE, PROBE_EXIT, NPROBES };
static const char *const probe_field[NPROBES] = { "enter", "line", "exit" };

/* Trees cached across functions; GC roots (see mp_emit_register_roots). */
static tree site_type, func_type, probes_type;
static tree tab_var, noop_fn, dso_handle, keep_var;
static tree thunks[NPROBES];

static std::string runtime_path;
static unsigned func_counter;
static bool runtime_warned;
static std::string functions_arg;	/* -fplugin-arg-mprof-functions */

void
mp_emit_set_runtime(const char *path)
{
	runtime_path = path ? path : "";
}

void
mp_emit_set_functions(const char *globs)
{
	functions_arg = globs ? globs : "";
}

static const struct ggc_root_tab emit_roots[] = {
	{ &site_type, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	{ &func_type, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	{ &probes_type, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	{ &tab_var, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	{ &noop_fn, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	{ &dso_handle, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	{ &keep_var, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	{ &thunks[0], NPROBES, sizeof(tree), gt_ggc_mx_tree_node,
	  gt_pch_nx_tree_node },
	LAST_GGC_ROOT_TAB
};

void
mp_emit_register_roots(const char *plugin_name)
{
	register_callback(plugin_name, PLUGIN_REGISTER_GGC_ROOTS, NULL,
			  (void *)emit_roots);
}

/* Functions the plugin itself made are never instrumented. */
bool
mp_emit_is_own(tree fndecl)
{
	if (fndecl == noop_fn)
		return true;
	for (tree t : thunks)
		if (fndecl == t)
			return true;
	tree name = DECL_NAME(fndecl);
	return name && strncmp(IDENTIFIER_POINTER(name), "__mprof_", 8) == 0;
}

/* Fields are prepended: finish_builtin_struct reverses the chain. */
static tree
add_field(tree chain, const char *name, tree type)
{
	tree f = build_decl(BUILTINS_LOCATION, FIELD_DECL, get_identifier(name),
			    type);
	DECL_CHAIN(f) = chain;
	return f;
}

static tree
field(tree type, const char *name)
{
	for (tree f = TYPE_FIELDS(type); f; f = DECL_CHAIN(f))
		if (DECL_NAME(f) && strcmp(IDENTIFIER_POINTER(DECL_NAME(f)), name) == 0)
			return f;
	gcc_unreachable();
}

static tree
const_char_ptr_type(void)
{
	return build_pointer_type(build_qualified_type(char_type_node,
						       TYPE_QUAL_CONST));
}

/* void probe(struct __mprof_site *, void *cfa) */
static tree
probe_fn_type(void)
{
	return build_function_type_list(void_type_node,
					build_pointer_type(site_type),
					ptr_type_node, NULL_TREE);
}

static tree
probe_fn_ptr_type(void)
{
	return build_pointer_type(probe_fn_type());
}

/*
 * The ABI's structs, field by field, as tables taken from
 * runtime/mprof_abi.h: the name, what the plugin makes of the field, and
 * the C compiler's offset and size of it.  layout_is() recomputes the
 * layout from the kinds alone (natural alignment, as GCC lays out the
 * plugin's record types) and a static_assert compares it with the C
 * structs, so a field added, removed, moved or resized in the header
 * without the tables stops the plugin's build.
 */
enum field_kind { K_U32, K_I32, K_U64, K_I64, K_PTR, K_CSTR, K_SITE_PTR,
		  K_FUNC_PTR, K_PROBE };

struct abi_field {
	const char *name;
	field_kind kind;
	size_t offset, size;
};

#define ABI_FIELD(type, name, kind)					\
	{ #name, kind, offsetof(struct type, name),			\
	  sizeof(((struct type *)0)->name) }

static constexpr abi_field site_fields[] = {
	ABI_FIELD(__mprof_site, func, K_FUNC_PTR),
	ABI_FIELD(__mprof_site, line, K_I32),
	ABI_FIELD(__mprof_site, reserved, K_U32),
	ABI_FIELD(__mprof_site, count, K_U64),
	ABI_FIELD(__mprof_site, incr, K_I64),
	ABI_FIELD(__mprof_site, peak, K_I64),
};

static constexpr abi_field func_fields[] = {
	ABI_FIELD(__mprof_func, version, K_U32),
	ABI_FIELD(__mprof_func, nsites, K_U32),
	ABI_FIELD(__mprof_func, file, K_CSTR),
	ABI_FIELD(__mprof_func, dir, K_CSTR),
	ABI_FIELD(__mprof_func, name, K_CSTR),
	ABI_FIELD(__mprof_func, first_line, K_I32),
	ABI_FIELD(__mprof_func, last_line, K_I32),
	ABI_FIELD(__mprof_func, sites, K_SITE_PTR),
	ABI_FIELD(__mprof_func, dso, K_PTR),
	ABI_FIELD(__mprof_func, next, K_FUNC_PTR),
	ABI_FIELD(__mprof_func, registered, K_U32),
	ABI_FIELD(__mprof_func, reserved, K_U32),
};

static constexpr abi_field probes_fields[] = {
	ABI_FIELD(__mprof_probes, version, K_U32),
	ABI_FIELD(__mprof_probes, reserved, K_U32),
	ABI_FIELD(__mprof_probes, enter, K_PROBE),
	ABI_FIELD(__mprof_probes, line, K_PROBE),
	ABI_FIELD(__mprof_probes, exit, K_PROBE),
	ABI_FIELD(__mprof_probes, functions, K_CSTR),
};

static constexpr size_t
kind_size(field_kind k)
{
	return k == K_U32 || k == K_I32 ? 4 : 8;
}

template <size_t N>
static constexpr bool
layout_is(const abi_field (&f)[N], size_t struct_size)
{
	size_t off = 0;
	for (size_t i = 0; i < N; i++) {
		size_t sz = kind_size(f[i].kind);
		off = (off + sz - 1) / sz * sz;
		if (f[i].offset != off || f[i].size != sz)
			return false;
		off += sz;
	}
	return struct_size == (off + 7) / 8 * 8;
}

static_assert(layout_is(site_fields, sizeof(struct __mprof_site)),
	      "plugin/emit.cc site_fields differ from runtime/mprof_abi.h");
static_assert(layout_is(func_fields, sizeof(struct __mprof_func)),
	      "plugin/emit.cc func_fields differ from runtime/mprof_abi.h");
static_assert(layout_is(probes_fields, sizeof(struct __mprof_probes)),
	      "plugin/emit.cc probes_fields differ from runtime/mprof_abi.h");
static_assert(sizeof(probe_field) / sizeof(probe_field[0]) == 3,
	      "one probe per kind");

static tree
kind_type(field_kind k)
{
	switch (k) {
	case K_U32: return unsigned_type_node;
	case K_I32: return integer_type_node;
	case K_U64: return uint64_type_node;
	case K_I64: return long_integer_type_node;
	case K_PTR: return ptr_type_node;
	case K_CSTR: return const_char_ptr_type();
	case K_SITE_PTR: return build_pointer_type(site_type);
	case K_FUNC_PTR: return build_pointer_type(func_type);
	case K_PROBE: return probe_fn_ptr_type();
	}
	gcc_unreachable();
}

/* Lay out `type` from its table; the target must agree with the host the
   plugin was built on (it is the same machine: the plugin is native). */
template <size_t N>
static void
finish_abi_struct(tree type, const char *name, const abi_field (&fields)[N])
{
	tree f = NULL_TREE;
	for (const abi_field &a : fields)
		f = add_field(f, a.name, kind_type(a.kind));
	finish_builtin_struct(type, name, f, NULL_TREE);
	for (const abi_field &a : fields) {
		tree fd = field(type, a.name);
		gcc_assert(int_byte_position(fd) == (HOST_WIDE_INT)a.offset &&
			   tree_to_uhwi(DECL_SIZE_UNIT(fd)) == a.size);
	}
}

static void
build_types(void)
{
	site_type = lang_hooks.types.make_type(RECORD_TYPE);
	func_type = lang_hooks.types.make_type(RECORD_TYPE);
	probes_type = lang_hooks.types.make_type(RECORD_TYPE);
	finish_abi_struct(site_type, "__mprof_site", site_fields);
	finish_abi_struct(func_type, "__mprof_func", func_fields);
	finish_abi_struct(probes_type, "__mprof_probes", probes_fields);
}

static tree
static_var(const char *name, tree type)
{
	tree v = build_decl(BUILTINS_LOCATION, VAR_DECL, get_identifier(name),
			    type);
	TREE_STATIC(v) = 1;
	TREE_PUBLIC(v) = 0;
	TREE_USED(v) = 1;
	TREE_ADDRESSABLE(v) = 1;
	DECL_ARTIFICIAL(v) = 1;
	DECL_IGNORED_P(v) = 1;
	return v;
}

static tree
string_ptr(const char *s)
{
	tree cstr = const_char_ptr_type();
	return fold_convert(cstr, build_string_literal(strlen(s) + 1, s));
}

/*
 * Make a static function of type `fntype` whose GENERIC body `build_body`
 * returns (it receives the function's first parameter, if any, chained to
 * the others).  Like
 * cgraph_build_static_cdtor_1, but callable from inside a pass: the new
 * function's struct is pushed and popped, so the function being
 * instrumented stays current.  finish_function() completes it, after the
 * caller has set any flags.
 */
static tree
make_function(const char *name, tree fntype, tree (*build_body)(tree parm),
	      tree attrs)
{
	tree decl = build_decl(BUILTINS_LOCATION, FUNCTION_DECL,
			       get_identifier(name), fntype);
	tree res = build_decl(BUILTINS_LOCATION, RESULT_DECL, NULL_TREE,
			      void_type_node);
	DECL_ARTIFICIAL(res) = 1;
	DECL_IGNORED_P(res) = 1;
	DECL_CONTEXT(res) = decl;
	DECL_RESULT(decl) = res;

	/* The probes' parameters: site, cfa. */
	static const char *const parm_names[] = { "site", "cfa" };
	tree *link = &DECL_ARGUMENTS(decl);
	unsigned i = 0;
	for (tree args = TYPE_ARG_TYPES(fntype);
	     args && TREE_VALUE(args) != void_type_node;
	     args = TREE_CHAIN(args), i++) {
		gcc_assert(i < ARRAY_SIZE(parm_names));
		tree parm = build_decl(BUILTINS_LOCATION, PARM_DECL,
				       get_identifier(parm_names[i]),
				       TREE_VALUE(args));
		DECL_ARG_TYPE(parm) = TREE_VALUE(args);
		DECL_CONTEXT(parm) = decl;
		DECL_ARTIFICIAL(parm) = 1;
		TREE_USED(parm) = 1;
		*link = parm;
		link = &DECL_CHAIN(parm);
	}
	tree parm = DECL_ARGUMENTS(decl);

	TREE_STATIC(decl) = 1;
	TREE_PUBLIC(decl) = 0;
	TREE_USED(decl) = 1;
	DECL_ARTIFICIAL(decl) = 1;
	DECL_IGNORED_P(decl) = 1;
	DECL_NO_INSTRUMENT_FUNCTION_ENTRY_EXIT(decl) = 1;
	DECL_ATTRIBUTES(decl) = attrs;
	DECL_INITIAL(decl) = make_node(BLOCK);
	BLOCK_SUPERCONTEXT(DECL_INITIAL(decl)) = decl;
	DECL_SAVED_TREE(decl) = build_body(parm);
	return decl;
}

static void
finish_function(tree decl)
{
	push_struct_function(decl);
	gimplify_function_tree(decl);
	pop_cfun();
	cgraph_node::finalize_function(decl, true);
}

static tree
build_function(const char *name, tree fntype, tree (*build_body)(tree),
	       tree attrs)
{
	tree decl = make_function(name, fntype, build_body, attrs);
	finish_function(decl);
	return decl;
}

static tree
empty_body(tree)
{
	return build_empty_stmt(BUILTINS_LOCATION);
}

static enum probe_kind thunk_kind;

static tree
thunk_body(tree parm)
{
	tree slot = build3(COMPONENT_REF, probe_fn_ptr_type(), tab_var,
			   field(probes_type, probe_field[thunk_kind]),
			   NULL_TREE);
	return build_call_nary(void_type_node, slot, 2, parm, DECL_CHAIN(parm));
}

/* A public variable of the module that no other module sees: declared
   here (external) or defined here. */
static tree
hidden_var(const char *name, tree type, bool external)
{
	tree v = build_decl(BUILTINS_LOCATION, VAR_DECL, get_identifier(name),
			    type);
	DECL_EXTERNAL(v) = external;
	TREE_STATIC(v) = !external;
	TREE_PUBLIC(v) = 1;
	DECL_ARTIFICIAL(v) = 1;
	DECL_VISIBILITY(v) = VISIBILITY_HIDDEN;
	DECL_VISIBILITY_SPECIFIED(v) = 1;
	return v;
}

static tree
extern_fn(const char *name, tree type)
{
	tree decl = build_fn_decl(name, type);
	DECL_EXTERNAL(decl) = 1;
	TREE_PUBLIC(decl) = 1;
	DECL_ARTIFICIAL(decl) = 1;
	TREE_NOTHROW(decl) = 1;
	return decl;
}

/* The hint the static-link message gives: -L where libmprof.a is. */
static std::string
static_link_hint(void)
{
	std::string dir;
	size_t slash = runtime_path.rfind('/');
	if (slash != std::string::npos)
		dir = runtime_path.substr(0, slash);
	std::string l;
	if (!dir.empty() && access((dir + "/libmprof.a").c_str(), R_OK) == 0)
		l = "-L" + dir + " ";
	return "-Wl,--undefined=__mprof_bind " + l + "-lmprof";
}

/*
 * The constructor's body:
 *
 *     if (&__mprof_bind)                        -- linked in (-lmprof)
 *         __mprof_bind(&__mprof_tab);
 *     else if (!&_DYNAMIC || !&dlsym || !dlsym(RTLD_DEFAULT, "dlopen"))
 *         say("statically linked without the runtime ...");
 *     else if (!dlsym(RTLD_DEFAULT, "__mprof_bind")
 *              && !dlsym(RTLD_DEFAULT, "dlopen")(path, RTLD_NOW | RTLD_GLOBAL))
 *         say("cannot load the runtime ...");
 *     else if (!dlsym(RTLD_DEFAULT, "__mprof_bind"))
 *         say("... cannot find __mprof_bind ...");
 *     else
 *         dlsym(RTLD_DEFAULT, "__mprof_bind")(&__mprof_tab);
 *
 * where say() writes its line once per module (__mprof_said, a weak
 * hidden flag all the module's units share).
 *
 * No reference to dlopen: a static glibc program links libc.a's dlopen.o
 * anyway, even `int main(void) { return 0; }` (stdio -> gconv ->
 * __libc_dlopen_mode -> rtld_static_init -> __dlopen: see -Wl,-Map), and
 * a reference to `dlopen`, even weak, then makes the linker warn "Using
 * 'dlopen' in statically linked applications...", which fails libtool's
 * "-static works" check.  dlsym carries no such warning; weak, because
 * libc.so.6 has it only from glibc 2.34 on (before, libdl).
 *
 * A static executable: _DYNAMIC, weak, is null without a dynamic section
 * (static, not static-pie); a static-pie has one, but its dlsym (libc.a's)
 * sees no symbol of the executable, dlopen included.  There a dlopen()ed
 * runtime would come with a second libc, whose report never runs, so the
 * constructor only says why there is no report.
 */
static tree
ctor_body(tree)
{
	tree cstr = const_char_ptr_type();
	tree dlsym_fn = extern_fn("dlsym", build_function_type_list(
		ptr_type_node, ptr_type_node, cstr, NULL_TREE));
	tree dlopen_type = build_pointer_type(build_function_type_list(
		ptr_type_node, cstr, integer_type_node, NULL_TREE));
	tree write_fn = extern_fn("write", build_function_type_list(
		long_integer_type_node, integer_type_node, const_ptr_type_node,
		size_type_node, NULL_TREE));
	tree bind_fn = extern_fn("__mprof_bind", build_function_type_list(
		void_type_node, build_pointer_type(probes_type), NULL_TREE));
	declare_weak(dlsym_fn);
	declare_weak(bind_fn);

	tree dynamic = hidden_var("_DYNAMIC",
				  build_array_type(char_type_node, NULL_TREE),
				  true);
	TREE_READONLY(dynamic) = 1;
	declare_weak(dynamic);

	/* One flag per module: its units' constructors say one line. */
	tree said = hidden_var("__mprof_said", unsigned_char_type_node, false);
	TREE_USED(said) = 1;
	DECL_IGNORED_P(said) = 1;
	DECL_INITIAL(said) = build_int_cst(unsigned_char_type_node, 0);
	declare_weak(said);
	varpool_node::finalize_decl(said);

	auto lookup = [&](const char *name) {
		return build_call_expr(dlsym_fn, 2, null_pointer_node,
				       string_ptr(name));
	};
	auto is_null = [](tree e) {
		return build2(EQ_EXPR, boolean_type_node, e, null_pointer_node);
	};
	auto either = [](tree a, tree b) {
		return build2(TRUTH_ORIF_EXPR, boolean_type_node, a, b);
	};
	auto say = [&](const std::string &msg) {
		tree w = build_call_expr(write_fn, 3,
					 build_int_cst(integer_type_node, 2),
					 fold_convert(const_ptr_type_node,
						      string_ptr(msg.c_str())),
					 build_int_cst(size_type_node,
						       msg.size()));
		tree set = build2(MODIFY_EXPR, void_type_node, said,
				  build_int_cst(unsigned_char_type_node, 1));
		tree unsaid = build2(EQ_EXPR, boolean_type_node, said,
				     build_int_cst(unsigned_char_type_node, 0));
		return build3(COND_EXPR, void_type_node, unsaid,
			      build2(COMPOUND_EXPR, void_type_node, set,
				     fold_convert(void_type_node, w)),
			      build_empty_stmt(BUILTINS_LOCATION));
	};
	const std::string no_profile = "; the program runs without its "
				       "memory profile\n";

	tree load = build_call_nary(ptr_type_node,
				    fold_convert(dlopen_type, lookup("dlopen")),
				    2, string_ptr(runtime_path.c_str()),
				    build_int_cst(integer_type_node,
						  RTLD_NOW_GLOBAL));
	tree not_loaded = build2(TRUTH_ANDIF_EXPR, boolean_type_node,
				 is_null(lookup("__mprof_bind")), is_null(load));
	tree bind_type = build_pointer_type(TREE_TYPE(bind_fn));
	tree bind = build_call_nary(void_type_node,
				    fold_convert(bind_type,
						 lookup("__mprof_bind")), 1,
				    build_fold_addr_expr(tab_var));
	tree unbound = say("mprof: loaded the runtime " + runtime_path +
			   " but cannot find __mprof_bind" + no_profile);
	tree by_name = build3(COND_EXPR, void_type_node, not_loaded,
			      say("mprof: cannot load the runtime " +
				  runtime_path + no_profile),
			      build3(COND_EXPR, void_type_node,
				     is_null(lookup("__mprof_bind")), unbound,
				     bind));

	tree no_dl = either(either(is_null(build_fold_addr_expr(dynamic)),
				   is_null(build_fold_addr_expr(dlsym_fn))),
			    is_null(lookup("dlopen")));
	tree by_loader = build3(COND_EXPR, void_type_node, no_dl,
				say("mprof: statically linked without the "
				    "runtime: link with " +
				    static_link_hint() + " for a report" +
				    no_profile),
				by_name);
	return build3(COND_EXPR, void_type_node,
		      build2(NE_EXPR, boolean_type_node,
			     build_fold_addr_expr(bind_fn), null_pointer_node),
		      build_call_expr(bind_fn, 1, build_fold_addr_expr(tab_var)),
		      by_loader);
}

/* The per-unit table, thunks and constructor; made once per unit. */
static void
emit_unit(void)
{
	build_types();

	tree probe_fnt = probe_fn_type();
	noop_fn = build_function("__mprof_noop", probe_fnt, empty_body,
				 NULL_TREE);

	tab_var = static_var("__mprof_tab", probes_type);
	vec<constructor_elt, va_gc> *v = NULL;
	CONSTRUCTOR_APPEND_ELT(v, field(probes_type, "version"),
			       build_int_cst(unsigned_type_node, MPROF_ABI_VERSION));
	CONSTRUCTOR_APPEND_ELT(v, field(probes_type, "reserved"),
			       build_int_cst(unsigned_type_node, 0));
	for (const char *name : probe_field)
		CONSTRUCTOR_APPEND_ELT(v, field(probes_type, name),
				       build_fold_addr_expr_with_type(
					       noop_fn, probe_fn_ptr_type()));
	CONSTRUCTOR_APPEND_ELT(v, field(probes_type, "functions"),
			       functions_arg.empty()
			       ? fold_convert(const_char_ptr_type(),
					      null_pointer_node)
			       : string_ptr(functions_arg.c_str()));
	DECL_INITIAL(tab_var) = build_constructor(probes_type, v);
	varpool_node::finalize_decl(tab_var);

	static const char *const thunk_names[NPROBES] = {
		"__mprof_enter_thunk", "__mprof_line_thunk", "__mprof_exit_thunk"
	};
	for (int k = 0; k < NPROBES; k++) {
		tree attrs = tree_cons(get_identifier("leaf"), NULL_TREE,
				       tree_cons(get_identifier("noipa"),
						 NULL_TREE, NULL_TREE));
		thunk_kind = (enum probe_kind)k;
		tree decl = make_function(thunk_names[k], probe_fnt,
					  thunk_body, attrs);
		TREE_NOTHROW(decl) = 1;
		DECL_UNINLINABLE(decl) = 1;
		finish_function(decl);
		thunks[k] = decl;
	}

	tree ctor = make_function("__mprof_ctor",
				  build_function_type_list(void_type_node,
							   NULL_TREE),
				  ctor_body, NULL_TREE);
	DECL_STATIC_CONSTRUCTOR(ctor) = 1;
	decl_init_priority_insert(ctor, 100);
	finish_function(ctor);

	dso_handle = hidden_var("__dso_handle", ptr_type_node, true);
	DECL_WEAK(dso_handle) = 1;

	/* The placeholders' volatile operand: a one-byte record. */
	tree keep_type = lang_hooks.types.make_type(RECORD_TYPE);
	finish_builtin_struct(keep_type, "__mprof_keep",
			      add_field(NULL_TREE, "c", char_type_node),
			      NULL_TREE);
	keep_var = static_var("__mprof_keep",
			      build_qualified_type(keep_type,
						   TYPE_QUAL_VOLATILE));
	TREE_THIS_VOLATILE(keep_var) = 1;
	TREE_SIDE_EFFECTS(keep_var) = 1;
	varpool_node::finalize_decl(keep_var);
}

/* The current function's temporary for the CFA (one per function). */
static tree cfa_var;

/*
 * `cfa = __builtin_dwarf_cfa(); thunk(site, cfa);`.  The builtin expands
 * to the function's virtual CFA register, which register elimination turns
 * into an exact offset from the stack or frame pointer at each use, so
 * every probe of an activation passes the same address whatever the
 * compiler pushed or popped before it.  It neither reads nor writes memory
 * (GCC's fnspec for it is ".c") and inlined, it yields the CFA of the
 * function it lands in.  `cfa` is a variable before SSA, an SSA name
 * after.
 */
static gimple_seq
real_probe(tree thunk, tree site_addr, location_t loc, tree cfa)
{
	gimple_seq seq = NULL;
	gcall *get = gimple_build_call(builtin_decl_explicit(BUILT_IN_DWARF_CFA),
				       0);
	gimple_call_set_lhs(get, cfa);
	gimple_set_location(get, loc);
	gimple_seq_add_stmt(&seq, get);
	gcall *c = gimple_build_call(thunk, 2, site_addr, cfa);
	gimple_set_location(c, loc);
	gimple_call_set_nothrow(c, true);
	gimple_seq_add_stmt(&seq, c);
	return seq;
}

/*
 * Placeholders.  A probe call is an opaque call to the optimiser: it costs
 * inline-size units (so `inline` functions look bigger, GCC inlines
 * differently and -Winline says so) and clobbers all escaped memory (so
 * the realloc-then-NULL-test pattern -Wuse-after-free knows is lost).  So
 * the pass after "cfg" puts in a placeholder instead,
 *
 *     .NOP (&__mprof_<kind>_thunk, &sites[i], __mprof_keep);
 *
 * an internal call, which estimate_num_insns costs 0.  IFN_NOP is
 * ECF_CONST: to the optimiser and the warning passes the placeholder
 * writes no memory, so it hides nothing (-Wuse-after-free, whose pattern
 * a clobber between realloc and the NULL test broke, and
 * -Wdangling-pointer, whose backward walk stops at any call that is not
 * const or pure).  Its third argument, a read of a volatile static (one
 * byte, never written), gives it a side effect: no pass deletes it,
 * merges it with another or moves it out of its place.  GCC itself only
 * makes an IFN_NOP when LTO streams in an internal function the compiler
 * lacks, never with these arguments; it expands to nothing.  The thunk's
 * address, an operand of the placeholder, keeps the thunk alive as long as
 * a placeholder calls it.  mp_emit_lower(), a pass right after the last
 * warning pass ("optimized", just before expansion), replaces each one
 * with the real probe call: inlining decisions and warnings see the plain
 * program.
 *
 * Not with -flto: the link would have to load the plugin too, and one that
 * does not would drop the placeholders silently.  Units compiled to LTO IR
 * get the calls right away.
 */
#define PLACEHOLDER_IFN IFN_NOP

static bool
use_placeholders(void)
{
	return !flag_generate_lto && !flag_generate_offload;
}

static gimple_seq
probe_call(enum probe_kind k, tree site_addr, location_t loc)
{
	if (!use_placeholders())
		return real_probe(thunks[k], site_addr, loc, cfa_var);
	TREE_ADDRESSABLE(thunks[k]) = 1;
	gcall *c = gimple_build_call_internal(PLACEHOLDER_IFN, 3,
					      build_fold_addr_expr(thunks[k]),
					      site_addr, keep_var);
	gimple_set_location(c, loc);
	gimple_call_set_nothrow(c, true);
	return c;
}

/* The thunk a placeholder stands for, or NULL if `g` is none. */
static tree
placeholder_thunk(gimple *g)
{
	if (!is_gimple_call(g) ||
	    !gimple_call_internal_p(g, PLACEHOLDER_IFN) ||
	    gimple_call_num_args(g) != 3 || gimple_call_lhs(g))
		return NULL_TREE;
	tree a = gimple_call_arg(g, 0);
	if (TREE_CODE(a) != ADDR_EXPR ||
	    TREE_CODE(TREE_OPERAND(a, 0)) != FUNCTION_DECL ||
	    !mp_emit_is_own(TREE_OPERAND(a, 0)))
		return NULL_TREE;
	return TREE_OPERAND(a, 0);
}

/* Replace every placeholder of `fn` with its probe call; the TODO flags
   the pass returns. */
unsigned
mp_emit_lower(function *fn)
{
	bool changed = false;
	basic_block bb;
	FOR_EACH_BB_FN(bb, fn)
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
		     !gsi_end_p(gsi);) {
			gimple *g = gsi_stmt(gsi);
			tree thunk = placeholder_thunk(g);
			if (!thunk) {
				gsi_next(&gsi);
				continue;
			}
			tree cfa = gimple_in_ssa_p(fn) ?
				   make_ssa_name(ptr_type_node) :
				   create_tmp_var(ptr_type_node, "mprof_cfa");
			gsi_insert_seq_before(&gsi,
					      real_probe(thunk,
							 gimple_call_arg(g, 1),
							 gimple_location(g),
							 cfa),
					      GSI_SAME_STMT);
			gsi_remove(&gsi, true);
			changed = true;
		}
	if (!changed)
		return 0;
	cgraph_edge::rebuild_edges();
	if (!gimple_in_ssa_p(fn))
		return 0;
	mark_virtual_operands_for_renaming(fn);
	return TODO_update_ssa_only_virtuals;
}

static tree
site_addr(tree sites, unsigned i)
{
	tree ref = build4(ARRAY_REF, site_type, sites,
			  build_int_cst(integer_type_node, i), NULL_TREE,
			  NULL_TREE);
	return build_fold_addr_expr_with_type(ref, build_pointer_type(site_type));
}

/*
 * A unit compiled with -fplugin-arg-mprof-functions gets its table and
 * constructor even when no function of its matched, so that the runtime
 * loads and can say at exit that no function matching a pattern ran (a
 * typo would otherwise give a silent run with no table at all).
 */
void
mp_emit_unit_for_patterns(void)
{
	if (!tab_var && !functions_arg.empty())
		emit_unit();
}

void
mp_emit_instrument(function *fn, const char *name, mp_lines *lines)
{
	if (!tab_var) {
		if (runtime_path.empty() && !runtime_warned) {
			warning_at(DECL_SOURCE_LOCATION(fn->decl), 0,
				   "mprof: runtime %<libmprof.so.0%> not found "
				   "beside the plugin; profiled programs will "
				   "run without a report");
			runtime_warned = true;
		}
		emit_unit();
	}

	/* Site 0 is the signature line; then each probed line, in order. */
	std::map<int, unsigned> index;
	for (const mp_line_probe &p : lines->probes)
		index[p.line] = 0;
	unsigned n = 1;
	for (auto &kv : index)
		kv.second = n++;

	char buf[64];
	unsigned id = func_counter++;
	snprintf(buf, sizeof buf, "__mprof_sites.%u", id);
	tree sites = static_var(buf, build_array_type_nelts(site_type, n));
	snprintf(buf, sizeof buf, "__mprof_func.%u", id);
	tree desc = static_var(buf, func_type);

	tree fptr = build_pointer_type(func_type);
	vec<constructor_elt, va_gc> *sv = NULL;
	auto add_site = [&](unsigned i, int line) {
		vec<constructor_elt, va_gc> *e = NULL;
		CONSTRUCTOR_APPEND_ELT(e, field(site_type, "func"),
				       build_fold_addr_expr_with_type(desc, fptr));
		CONSTRUCTOR_APPEND_ELT(e, field(site_type, "line"),
				       build_int_cst(integer_type_node, line));
		CONSTRUCTOR_APPEND_ELT(sv, build_int_cst(integer_type_node, i),
				       build_constructor(site_type, e));
	};
	add_site(0, lines->first_line);
	for (auto &kv : index)
		add_site(kv.second, kv.first);
	DECL_INITIAL(sites) = build_constructor(TREE_TYPE(sites), sv);

	const char *dir = get_src_pwd();
	vec<constructor_elt, va_gc> *dv = NULL;
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "version"),
			       build_int_cst(unsigned_type_node, MPROF_ABI_VERSION));
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "nsites"),
			       build_int_cst(unsigned_type_node, n));
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "file"),
			       string_ptr(DECL_SOURCE_FILE(fn->decl)));
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "dir"),
			       string_ptr(dir ? dir : ""));
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "name"), string_ptr(name));
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "first_line"),
			       build_int_cst(integer_type_node, lines->first_line));
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "last_line"),
			       build_int_cst(integer_type_node, lines->last_line));
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "sites"), site_addr(sites, 0));
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "dso"),
			       fold_convert(ptr_type_node,
					    build_fold_addr_expr(dso_handle)));
	DECL_INITIAL(desc) = build_constructor(func_type, dv);

	varpool_node::finalize_decl(sites);
	varpool_node::finalize_decl(desc);

	/*
	 * Edge probes are committed in the order they were found, never in
	 * pointer order: block numbering must not differ between two runs of
	 * the compiler (-fcompare-debug).  The entry probe comes first on the
	 * entry edge, before any line probe placed there.
	 */
	std::vector<std::pair<edge, gimple_seq>> on_edge;
	std::map<edge, size_t> edge_slot;
	auto edge_seq = [&](edge e) -> gimple_seq & {
		auto it = edge_slot.find(e);
		if (it == edge_slot.end()) {
			it = edge_slot.emplace(e, on_edge.size()).first;
			on_edge.push_back({ e, NULL });
		}
		return on_edge[it->second].second;
	};
	edge entry = single_succ_edge(ENTRY_BLOCK_PTR_FOR_FN(fn));
	cfa_var = use_placeholders() ? NULL_TREE :
		  create_tmp_var(ptr_type_node, "mprof_cfa");
	gimple_seq_add_seq(&edge_seq(entry),
			   probe_call(PROBE_ENTER, site_addr(sites, 0),
				      lines->body_loc));

	for (const mp_line_probe &p : lines->probes) {
		gimple_seq call = probe_call(PROBE_LINE,
					     site_addr(sites, index[p.line]),
					     p.loc);
		if (p.stmt) {
			gimple_stmt_iterator gsi = gsi_for_stmt(p.stmt);
			gsi_insert_seq_before(&gsi, call, GSI_SAME_STMT);
		} else {
			gimple_seq_add_seq(&edge_seq(p.e), call);
		}
	}

	basic_block bb;
	FOR_EACH_BB_FN(bb, fn) {
		gimple_stmt_iterator gsi = gsi_last_bb(bb);
		if (gsi_end_p(gsi) || gimple_code(gsi_stmt(gsi)) != GIMPLE_RETURN)
			continue;
		gsi_insert_seq_before(&gsi,
				      probe_call(PROBE_EXIT, site_addr(sites, 0),
						 gimple_location(gsi_stmt(gsi))),
				      GSI_SAME_STMT);
	}

	for (auto &kv : on_edge)
		gsi_insert_seq_on_edge(kv.first, kv.second);
	gsi_commit_edge_inserts();
}
