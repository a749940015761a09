/* SPDX-License-Identifier: MIT */
/*
 * emit.cc - what the plugin adds to a translation unit.
 *
 * Per instrumented function (layouts of runtime/mprof_abi.h):
 *
 *     static struct __mprof_func  __mprof_func.N;
 *     static struct __mprof_site  __mprof_sites.N[nsites];   [0] = signature
 *     static const int32_t        __mprof_lines.N[nsites];   their lines
 *
 * and its probes: `f = enter_thunk(&sites[0])` on the entry edge, which
 * returns the activation's frame record; the inline line event of
 * runtime/mprof_abi.h where lines.cc says, which calls
 * `line_thunk(&sites[i], f)` only when the memory figure may have changed
 * (in loops; elsewhere the event's asm calls the table's `line_slow`
 * itself: "Calls from inside an event" there); `exit_thunk(f)` before
 * every return.
 *
 * Once per unit, at its first instrumented function:
 *
 *     static struct __mprof_probes __mprof_tab = { V, 0, noop_enter,
 *                                                  noop_line, noop_exit,
 *                                                  noop_quiet_exit, NULL };
 *     static struct __mprof_frame __mprof_idle;  -- what noop_enter returns
 *     static frame *__mprof_enter_thunk(site *s)
 *         { return __mprof_tab.enter(s); }
 *     ... line and exit likewise
 *     static void ctor(void)   -- priority 100, before any user constructor
 *     {
 *         bind a linked-in runtime, else find or dlopen("<dir>/libmprof.so.0")
 *         and bind it, else (a static executable, or no runtime) write one
 *         line on stderr saying why there is no report   -- see ctor_body
 *     }
 *
 * Probes start as placeholders that cost the optimiser nothing and become
 * code after its last warning pass (see "Placeholders" below).  Calls go
 * to the thunks, which carry `leaf`, `nothrow` and `noipa`: leaf because
 * the runtime never calls back into the program (so a probe needs no
 * abnormal edge in a function that calls setjmp, and the optimiser keeps
 * its knowledge of the unit's statics across it), noipa so a call stays
 * one short call (the table's load is not copied into every site).  The
 * runtime tells activations apart by their records, never by where its
 * probes run.
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

enum probe_kind { PROBE_ENTER, PROBE_LINE, PROBE_EXIT, PROBE_QUIET_EXIT,
		  NPROBES };
static const char *const probe_field[NPROBES] = { "enter", "line", "exit",
						  "quiet_exit" };

/* Trees cached across functions; GC roots (see mp_emit_register_roots). */
static tree site_type, func_type, probes_type, frame_type;
static tree tab_var, idle_var, scratch_var, dso_handle, keep_var;
static tree noops[NPROBES], thunks[NPROBES];

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
	{ &frame_type, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	{ &tab_var, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	{ &idle_var, 1, sizeof(tree), gt_ggc_mx_tree_node, gt_pch_nx_tree_node },
	{ &scratch_var, 1, sizeof(tree), gt_ggc_mx_tree_node,
	  gt_pch_nx_tree_node },
	{ &noops[0], NPROBES, sizeof(tree), gt_ggc_mx_tree_node,
	  gt_pch_nx_tree_node },
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
	for (int k = 0; k < NPROBES; k++)
		if (fndecl == thunks[k] || fndecl == noops[k])
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

/*
 * struct __mprof_frame *enter(struct __mprof_site *)
 * void line(struct __mprof_site *, struct __mprof_frame *)
 * void exit(struct __mprof_frame *)
 * void quiet_exit(struct __mprof_frame *, struct __mprof_site *,
 *                 struct __mprof_frame *)
 */
static tree
probe_fn_type(enum probe_kind k)
{
	tree site_ptr = build_pointer_type(site_type);
	tree frame_ptr = build_pointer_type(frame_type);
	switch (k) {
	case PROBE_ENTER:
		return build_function_type_list(frame_ptr, site_ptr, NULL_TREE);
	case PROBE_LINE:
		return build_function_type_list(void_type_node, site_ptr,
						frame_ptr, NULL_TREE);
	case PROBE_QUIET_EXIT:
		return build_function_type_list(void_type_node, frame_ptr,
						site_ptr, frame_ptr, NULL_TREE);
	default:
		return build_function_type_list(void_type_node, frame_ptr,
						NULL_TREE);
	}
}

static tree
probe_fn_ptr_type(enum probe_kind k)
{
	return build_pointer_type(probe_fn_type(k));
}

/* const volatile uint64_t *: what a frame's change counters are. */
static tree
counter_ptr_type(void)
{
	return build_pointer_type(build_qualified_type(
		uint64_type_node, TYPE_QUAL_CONST | TYPE_QUAL_VOLATILE));
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
enum field_kind { K_U32, K_I32, K_U64, K_I64, K_PTR, K_CSTR, K_LINES,
		  K_SITE_PTR, K_FUNC_PTR, K_FRAME_PTR, K_COUNTER_PTR, K_ENTER,
		  K_LINE, K_EXIT, K_QUIET_EXIT, K_LINE_SLOW };

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
	ABI_FIELD(__mprof_site, count, K_U64),
	ABI_FIELD(__mprof_site, peak, K_I64),
	ABI_FIELD(__mprof_site, incr, K_I64),
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
	ABI_FIELD(__mprof_func, lines, K_LINES),
	ABI_FIELD(__mprof_func, dso, K_PTR),
	ABI_FIELD(__mprof_func, next, K_FUNC_PTR),
	ABI_FIELD(__mprof_func, registered, K_U32),
	ABI_FIELD(__mprof_func, reserved, K_U32),
};

static constexpr abi_field probes_fields[] = {
	ABI_FIELD(__mprof_probes, version, K_U32),
	ABI_FIELD(__mprof_probes, reserved, K_U32),
	ABI_FIELD(__mprof_probes, enter, K_ENTER),
	ABI_FIELD(__mprof_probes, line, K_LINE),
	ABI_FIELD(__mprof_probes, exit, K_EXIT),
	ABI_FIELD(__mprof_probes, quiet_exit, K_QUIET_EXIT),
	ABI_FIELD(__mprof_probes, line_slow, K_LINE_SLOW),
	ABI_FIELD(__mprof_probes, functions, K_CSTR),
};

static constexpr abi_field frame_fields[] = {
	ABI_FIELD(__mprof_frame, change, K_COUNTER_PTR),
	ABI_FIELD(__mprof_frame, seen, K_U64),
	ABI_FIELD(__mprof_frame, cur, K_SITE_PTR),
	ABI_FIELD(__mprof_frame, before, K_I64),
	ABI_FIELD(__mprof_frame, delta, K_U64),
	ABI_FIELD(__mprof_frame, quiet, K_U64),
	ABI_FIELD(__mprof_frame, above, K_FRAME_PTR),
	ABI_FIELD(__mprof_frame, s0, K_SITE_PTR),
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
static_assert(layout_is(frame_fields, sizeof(struct __mprof_frame)),
	      "plugin/emit.cc frame_fields differ from runtime/mprof_abi.h");
static_assert(sizeof(struct __mprof_site) == MPROF_SITE_ALIGN,
	      "a site fills its alignment (runtime/mprof_abi.h)");
static_assert(sizeof(probe_field) / sizeof(probe_field[0]) == NPROBES,
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
	case K_LINES:
		return build_pointer_type(build_qualified_type(
			integer_type_node, TYPE_QUAL_CONST));
	case K_SITE_PTR: return build_pointer_type(site_type);
	case K_FUNC_PTR: return build_pointer_type(func_type);
	case K_FRAME_PTR: return build_pointer_type(frame_type);
	case K_COUNTER_PTR: return counter_ptr_type();
	case K_ENTER: return probe_fn_ptr_type(PROBE_ENTER);
	case K_LINE: return probe_fn_ptr_type(PROBE_LINE);
	case K_EXIT: return probe_fn_ptr_type(PROBE_EXIT);
	case K_QUIET_EXIT: return probe_fn_ptr_type(PROBE_QUIET_EXIT);
	case K_LINE_SLOW:
		return build_pointer_type(build_function_type_list(
			void_type_node, NULL_TREE));
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

/*
 * The runtime and the ABI's tables are LP64 (x86-64, aarch64...): a unit
 * compiled for a target with other sizes (-m32, -mx32) could not link the
 * runtime, and its tables would not have the runtime's layout.  Such a
 * unit is compiled as it would be without the plugin, after one warning.
 */
bool
mp_emit_target_ok(void)
{
	static bool warned;
	bool ok = TYPE_PRECISION(ptr_type_node) == 64 &&
		  TYPE_PRECISION(long_integer_type_node) == 64 &&
		  TYPE_PRECISION(unsigned_type_node) == 32 &&
		  TYPE_PRECISION(integer_type_node) == 32;
	if (!ok && !warned) {
		warned = true;
		warning(0, "the target has %d-bit pointers and %d-bit "
			"longs; mprof profiles 64-bit (LP64) code only, so "
			"nothing in this unit is profiled",
			(int)TYPE_PRECISION(ptr_type_node),
			(int)TYPE_PRECISION(long_integer_type_node));
	}
	return ok;
}

static void
build_types(void)
{
	site_type = lang_hooks.types.make_type(RECORD_TYPE);
	func_type = lang_hooks.types.make_type(RECORD_TYPE);
	probes_type = lang_hooks.types.make_type(RECORD_TYPE);
	frame_type = lang_hooks.types.make_type(RECORD_TYPE);
	finish_abi_struct(site_type, "__mprof_site", site_fields);
	finish_abi_struct(func_type, "__mprof_func", func_fields);
	finish_abi_struct(frame_type, "__mprof_frame", frame_fields);
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
 * Make a static function of type `fntype`, its parameters named a0, a1...
 * The caller sets DECL_SAVED_TREE to a GENERIC body built on
 * DECL_ARGUMENTS and DECL_RESULT, and any flags, then calls
 * finish_function().  Like cgraph_build_static_cdtor_1, but callable from
 * inside a pass: the new function's struct is pushed and popped, so the
 * function being instrumented stays current.
 */
static tree
make_function(const char *name, tree fntype, tree attrs)
{
	tree decl = build_decl(BUILTINS_LOCATION, FUNCTION_DECL,
			       get_identifier(name), fntype);
	tree res = build_decl(BUILTINS_LOCATION, RESULT_DECL, NULL_TREE,
			      TREE_TYPE(fntype));
	DECL_ARTIFICIAL(res) = 1;
	DECL_IGNORED_P(res) = 1;
	DECL_CONTEXT(res) = decl;
	DECL_RESULT(decl) = res;

	tree *link = &DECL_ARGUMENTS(decl);
	unsigned i = 0;
	for (tree args = TYPE_ARG_TYPES(fntype);
	     args && TREE_VALUE(args) != void_type_node;
	     args = TREE_CHAIN(args), i++) {
		char pname[8];
		snprintf(pname, sizeof pname, "a%u", i);
		tree parm = build_decl(BUILTINS_LOCATION, PARM_DECL,
				       get_identifier(pname), TREE_VALUE(args));
		DECL_ARG_TYPE(parm) = TREE_VALUE(args);
		DECL_CONTEXT(parm) = decl;
		DECL_ARTIFICIAL(parm) = 1;
		TREE_USED(parm) = 1;
		*link = parm;
		link = &DECL_CHAIN(parm);
	}

	TREE_STATIC(decl) = 1;
	TREE_PUBLIC(decl) = 0;
	TREE_USED(decl) = 1;
	DECL_ARTIFICIAL(decl) = 1;
	DECL_IGNORED_P(decl) = 1;
	DECL_NO_INSTRUMENT_FUNCTION_ENTRY_EXIT(decl) = 1;
	DECL_ATTRIBUTES(decl) = attrs;
	DECL_INITIAL(decl) = make_node(BLOCK);
	BLOCK_SUPERCONTEXT(DECL_INITIAL(decl)) = decl;
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

/* `return value;` in `decl`, or just `value` when it returns nothing. */
static tree
return_stmt(tree decl, tree value)
{
	tree res = DECL_RESULT(decl);
	if (VOID_TYPE_P(TREE_TYPE(res)))
		return value;
	return build1(RETURN_EXPR, void_type_node,
		      build2(MODIFY_EXPR, TREE_TYPE(res), res, value));
}

/* The no-op a probe of kind `k` is until the runtime binds: enter returns
   the unit's idle record, whose `seen` no counter matches. */
static tree
noop_body(tree decl, enum probe_kind k)
{
	if (k != PROBE_ENTER)
		return build_empty_stmt(BUILTINS_LOCATION);
	return return_stmt(decl, build_fold_addr_expr(idle_var));
}

/* A thunk: `return __mprof_tab.<k>(args...);`. */
static tree
thunk_body(tree decl, enum probe_kind k)
{
	tree slot = build3(COMPONENT_REF, probe_fn_ptr_type(k), tab_var,
			   field(probes_type, probe_field[k]), NULL_TREE);
	vec<tree, va_gc> *args = NULL;
	for (tree p = DECL_ARGUMENTS(decl); p; p = DECL_CHAIN(p))
		vec_safe_push(args, p);
	return return_stmt(decl, build_call_vec(TREE_TYPE(probe_fn_type(k)),
						slot, args));
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
/* What the constructor's body refers to. */
struct ctor_refs {
	tree dlsym_fn, write_fn, bind_fn, dlopen_type;
	tree dynamic;		/* _DYNAMIC, weak: null in a static executable */
	tree said;		/* __mprof_said: the module has said its line */
};

static ctor_refs
ctor_declare(void)
{
	ctor_refs r;
	tree cstr = const_char_ptr_type();
	r.dlsym_fn = extern_fn("dlsym", build_function_type_list(
		ptr_type_node, ptr_type_node, cstr, NULL_TREE));
	r.dlopen_type = build_pointer_type(build_function_type_list(
		ptr_type_node, cstr, integer_type_node, NULL_TREE));
	r.write_fn = extern_fn("write", build_function_type_list(
		long_integer_type_node, integer_type_node, const_ptr_type_node,
		size_type_node, NULL_TREE));
	r.bind_fn = extern_fn("__mprof_bind", build_function_type_list(
		void_type_node, build_pointer_type(probes_type), NULL_TREE));
	declare_weak(r.dlsym_fn);
	declare_weak(r.bind_fn);

	r.dynamic = hidden_var("_DYNAMIC",
			       build_array_type(char_type_node, NULL_TREE),
			       true);
	TREE_READONLY(r.dynamic) = 1;
	declare_weak(r.dynamic);

	/* One flag per module: its units' constructors say one line. */
	r.said = hidden_var("__mprof_said", unsigned_char_type_node, false);
	TREE_USED(r.said) = 1;
	DECL_IGNORED_P(r.said) = 1;
	DECL_INITIAL(r.said) = build_int_cst(unsigned_char_type_node, 0);
	declare_weak(r.said);
	varpool_node::finalize_decl(r.said);
	return r;
}

/* `if (!said) { said = 1; write(2, msg, len); }` */
static tree
ctor_say(const ctor_refs &r, const std::string &msg)
{
	tree w = build_call_expr(r.write_fn, 3,
				 build_int_cst(integer_type_node, 2),
				 fold_convert(const_ptr_type_node,
					      string_ptr(msg.c_str())),
				 build_int_cst(size_type_node, msg.size()));
	tree set = build2(MODIFY_EXPR, void_type_node, r.said,
			  build_int_cst(unsigned_char_type_node, 1));
	tree unsaid = build2(EQ_EXPR, boolean_type_node, r.said,
			     build_int_cst(unsigned_char_type_node, 0));
	return build3(COND_EXPR, void_type_node, unsaid,
		      build2(COMPOUND_EXPR, void_type_node, set,
			     fold_convert(void_type_node, w)),
		      build_empty_stmt(BUILTINS_LOCATION));
}

static tree
ctor_body(void)
{
	ctor_refs r = ctor_declare();
	auto lookup = [&](const char *name) {
		return build_call_expr(r.dlsym_fn, 2, null_pointer_node,
				       string_ptr(name));
	};
	auto is_null = [](tree e) {
		return build2(EQ_EXPR, boolean_type_node, e, null_pointer_node);
	};
	auto either = [](tree a, tree b) {
		return build2(TRUTH_ORIF_EXPR, boolean_type_node, a, b);
	};
	const std::string no_profile = "; the program runs without its "
				       "memory profile\n";

	tree load = build_call_nary(ptr_type_node,
				    fold_convert(r.dlopen_type, lookup("dlopen")),
				    2, string_ptr(runtime_path.c_str()),
				    build_int_cst(integer_type_node,
						  RTLD_NOW_GLOBAL));
	tree not_loaded = build2(TRUTH_ANDIF_EXPR, boolean_type_node,
				 is_null(lookup("__mprof_bind")), is_null(load));
	tree bind_type = build_pointer_type(TREE_TYPE(r.bind_fn));
	tree bind = build_call_nary(void_type_node,
				    fold_convert(bind_type,
						 lookup("__mprof_bind")), 1,
				    build_fold_addr_expr(tab_var));
	tree unbound = ctor_say(r, "mprof: loaded the runtime " + runtime_path +
				" but cannot find __mprof_bind" + no_profile);
	tree by_name = build3(COND_EXPR, void_type_node, not_loaded,
			      ctor_say(r, "mprof: cannot load the runtime " +
				       runtime_path + no_profile),
			      build3(COND_EXPR, void_type_node,
				     is_null(lookup("__mprof_bind")), unbound,
				     bind));

	tree no_dl = either(either(is_null(build_fold_addr_expr(r.dynamic)),
				   is_null(build_fold_addr_expr(r.dlsym_fn))),
			    is_null(lookup("dlopen")));
	tree by_loader = build3(COND_EXPR, void_type_node, no_dl,
				ctor_say(r, "mprof: statically linked without "
					 "the runtime: link with " +
					 static_link_hint() + " for a report" +
					 no_profile),
				by_name);
	return build3(COND_EXPR, void_type_node,
		      build2(NE_EXPR, boolean_type_node,
			     build_fold_addr_expr(r.bind_fn), null_pointer_node),
		      build_call_expr(r.bind_fn, 1, build_fold_addr_expr(tab_var)),
		      by_loader);
}

/*
 * The unit's idle record: what enter returns before the runtime binds.
 * Its `change` points at its own `quiet` (0) and its `seen` is 1, so
 * the inline line event always calls (the no-op) and never writes it.
 */
static tree
idle_record(void)
{
	tree v = static_var("__mprof_idle", frame_type);
	tree zero = build3(COMPONENT_REF, uint64_type_node, v,
			   field(frame_type, "quiet"), NULL_TREE);
	tree at_zero = build_fold_addr_expr_with_type(zero, counter_ptr_type());
	vec<constructor_elt, va_gc> *e = NULL;
	CONSTRUCTOR_APPEND_ELT(e, field(frame_type, "change"), at_zero);
	CONSTRUCTOR_APPEND_ELT(e, field(frame_type, "seen"),
			       build_int_cst(uint64_type_node, 1));
	DECL_INITIAL(v) = build_constructor(frame_type, e);
	varpool_node::finalize_decl(v);
	return v;
}

static bool use_placeholders(void);

/* The per-unit table, no-ops, thunks and constructor; made once per unit. */
static void
emit_unit(void)
{
	build_types();
	idle_var = idle_record();
	/* Where a local frame's first events count the signature line:
	   never read (runtime/mprof_abi.h, "Local frames"). */
	scratch_var = static_var("__mprof_scratch", site_type);
	SET_DECL_ALIGN(scratch_var, MPROF_SITE_ALIGN * BITS_PER_UNIT);
	DECL_USER_ALIGN(scratch_var) = 1;
	DECL_PRESERVE_P(scratch_var) = 1;
	varpool_node::finalize_decl(scratch_var);

	static const char *const noop_names[NPROBES] = {
		"__mprof_noop_enter", "__mprof_noop_line", "__mprof_noop_exit",
		"__mprof_noop_quiet_exit"
	};
	static const char *const thunk_names[NPROBES] = {
		"__mprof_enter_thunk", "__mprof_line_thunk", "__mprof_exit_thunk",
		"__mprof_quiet_exit_thunk"
	};
	for (int k = 0; k < NPROBES; k++) {
		enum probe_kind kind = (enum probe_kind)k;
		noops[k] = make_function(noop_names[k], probe_fn_type(kind),
					 NULL_TREE);
		DECL_SAVED_TREE(noops[k]) = noop_body(noops[k], kind);
		finish_function(noops[k]);
	}

	tab_var = static_var("__mprof_tab", probes_type);
	vec<constructor_elt, va_gc> *v = NULL;
	CONSTRUCTOR_APPEND_ELT(v, field(probes_type, "version"),
			       build_int_cst(unsigned_type_node, MPROF_ABI_VERSION));
	CONSTRUCTOR_APPEND_ELT(v, field(probes_type, "reserved"),
			       build_int_cst(unsigned_type_node, 0));
	for (int k = 0; k < NPROBES; k++)
		CONSTRUCTOR_APPEND_ELT(v, field(probes_type, probe_field[k]),
				       build_fold_addr_expr_with_type(
					       noops[k],
					       probe_fn_ptr_type((enum probe_kind)k)));
	CONSTRUCTOR_APPEND_ELT(v, field(probes_type, "line_slow"),
			       build_int_cst(kind_type(K_LINE_SLOW), 0));
	CONSTRUCTOR_APPEND_ELT(v, field(probes_type, "functions"),
			       functions_arg.empty()
			       ? fold_convert(const_char_ptr_type(),
					      null_pointer_node)
			       : string_ptr(functions_arg.c_str()));
	DECL_INITIAL(tab_var) = build_constructor(probes_type, v);
	varpool_node::finalize_decl(tab_var);

	for (int k = 0; k < NPROBES; k++) {
		enum probe_kind kind = (enum probe_kind)k;
		tree attrs = tree_cons(get_identifier("leaf"), NULL_TREE,
				       tree_cons(get_identifier("noipa"),
						 NULL_TREE, NULL_TREE));
		tree decl = make_function(thunk_names[k], probe_fn_type(kind),
					  attrs);
		DECL_SAVED_TREE(decl) = thunk_body(decl, kind);
		TREE_NOTHROW(decl) = 1;
		DECL_UNINLINABLE(decl) = 1;
		/* No placeholder names quiet_exit (it appears when they are
		   lowered, after unreachable functions went): kept anyway. */
		if (kind == PROBE_QUIET_EXIT && use_placeholders())
			DECL_PRESERVE_P(decl) = 1;
		finish_function(decl);
		thunks[k] = decl;
	}

	dso_handle = hidden_var("__dso_handle", ptr_type_node, true);
	DECL_WEAK(dso_handle) = 1;

	tree ctor = make_function("__mprof_ctor",
				  build_function_type_list(void_type_node,
							   NULL_TREE),
				  NULL_TREE);
	DECL_SAVED_TREE(ctor) = ctor_body();
	DECL_STATIC_CONSTRUCTOR(ctor) = 1;
	decl_init_priority_insert(ctor, 100);
	finish_function(ctor);

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

/* The current function's frame record pointer (a variable before SSA). */
static tree frame_var;

/*
 * The probe as a call: `f = enter_thunk(&sites[0])`,
 * `line_thunk(&sites[i], f)` or `exit_thunk(f)`.  `lhs` is where enter's
 * record goes (NULL_TREE when nothing uses it).
 */
static gcall *
thunk_call(enum probe_kind k, tree site_addr, tree frame, tree lhs,
	   location_t loc)
{
	gcall *c;
	switch (k) {
	case PROBE_ENTER:
		c = gimple_build_call(thunks[k], 1, site_addr);
		gimple_call_set_lhs(c, lhs);
		break;
	case PROBE_LINE:
		c = gimple_build_call(thunks[k], 2, site_addr, frame);
		break;
	default:
		c = gimple_build_call(thunks[k], 1, frame);
		break;
	}
	gimple_set_location(c, loc);
	gimple_call_set_nothrow(c, true);
	return c;
}

/*
 * Placeholders.  A probe call is an opaque call to the optimiser: it costs
 * inline-size units (so `inline` functions look bigger, GCC inlines
 * differently and -Winline says so) and clobbers all escaped memory (so
 * the realloc-then-NULL-test pattern -Wuse-after-free knows is lost).  So
 * the pass after "cfg" puts in a placeholder instead,
 *
 *     f = .NOP (&__mprof_enter_thunk, &sites[0], __mprof_keep);
 *     .NOP (&__mprof_line_thunk, &sites[i], __mprof_keep, f);
 *     .NOP (&__mprof_exit_thunk, &sites[0], __mprof_keep, f);
 *
 * internal calls, which estimate_num_insns costs 0.  IFN_NOP is ECF_CONST:
 * to the optimiser and the warning passes the placeholder writes no
 * memory, so it hides nothing (-Wuse-after-free, whose pattern a clobber
 * between realloc and the NULL test broke, and -Wdangling-pointer, whose
 * backward walk stops at any call that is not const or pure).  The read
 * of a volatile static (one byte, never written) among its operands gives
 * it a side effect: no pass deletes it, merges it with another (two
 * inlined copies of one function keep two records) or moves it out of its
 * place.  The record `f` is an ordinary value: inlining and cloning rename
 * it with the rest of the function.  GCC itself only makes an IFN_NOP
 * when LTO streams in an internal function the compiler lacks, never with
 * these operands; it expands to nothing.  The thunk's address keeps the
 * thunk alive as long as a placeholder calls it.  mp_emit_lower(), a pass
 * right after the last warning pass ("optimized", just before expansion),
 * replaces each one with its code: inlining decisions and warnings see the
 * plain program.
 *
 * Not with -flto: the link would have to load the plugin too, and one that
 * does not would drop the placeholders silently.  Units compiled to LTO IR
 * get the calls right away, every line event a call.
 */
#define PLACEHOLDER_IFN IFN_NOP

static bool
use_placeholders(void)
{
	return !flag_generate_lto && !flag_generate_offload;
}

/* The operands of each kind of placeholder. */
static unsigned
placeholder_args(enum probe_kind k)
{
	return k == PROBE_ENTER ? 3 : k == PROBE_LINE ? 5 : 4;
}

/* A line placeholder's last operand says which line the event leaves
   (mp_line_probe::prev): that line's site, or one of these. */
static tree
prev_operand(int prev)
{
	return build_int_cst(ptr_type_node, prev == MP_PREV_ENTRY ? 1 : 0);
}

/* `prev` of a line placeholder: the site it leaves, or NULL_TREE with
   *entry true after the entry and false when not known. */
static tree
placeholder_prev(gimple *g, bool *entry)
{
	tree p = gimple_call_arg(g, 4);
	*entry = TREE_CODE(p) == INTEGER_CST && integer_onep(p);
	return TREE_CODE(p) == ADDR_EXPR ? p : NULL_TREE;
}

/* A probe's placeholder; `prev` (a line's only) as placeholder_prev()
   reads it. */
static gimple *
probe_stmt(enum probe_kind k, tree site_addr, location_t loc,
	   tree prev = NULL_TREE)
{
	if (!use_placeholders())
		return thunk_call(k, site_addr, frame_var, frame_var, loc);
	TREE_ADDRESSABLE(thunks[k]) = 1;
	tree fn = build_fold_addr_expr(thunks[k]);
	gcall *c = k == PROBE_ENTER
		? gimple_build_call_internal(PLACEHOLDER_IFN, 3, fn,
					     site_addr, keep_var)
		: k == PROBE_LINE
		? gimple_build_call_internal(PLACEHOLDER_IFN, 5, fn,
					     site_addr, keep_var, frame_var,
					     prev)
		: gimple_build_call_internal(PLACEHOLDER_IFN, 4, fn,
					     site_addr, keep_var, frame_var);
	if (k == PROBE_ENTER)
		gimple_call_set_lhs(c, frame_var);
	gimple_set_location(c, loc);
	gimple_call_set_nothrow(c, true);
	return c;
}

/* The kind of probe a placeholder stands for, or NPROBES if `g` is none. */
static enum probe_kind
placeholder_kind(gimple *g)
{
	if (!is_gimple_call(g) ||
	    !gimple_call_internal_p(g, PLACEHOLDER_IFN) ||
	    gimple_call_num_args(g) < 3)
		return NPROBES;
	tree a = gimple_call_arg(g, 0);
	if (TREE_CODE(a) != ADDR_EXPR)
		return NPROBES;
	for (int k = 0; k < NPROBES; k++)
		if (TREE_OPERAND(a, 0) == thunks[k] &&
		    gimple_call_num_args(g) == placeholder_args((probe_kind)k))
			return (enum probe_kind)k;
	return NPROBES;
}

/* f->name, or *f when name is NULL, as an operand that cannot trap. */
static tree
deref(tree f, tree type, const char *name)
{
	tree ref = build_simple_mem_ref(f);
	TREE_THIS_NOTRAP(ref) = 1;
	if (!name)
		return ref;
	tree fd = field(type, name);
	return build3(COMPONENT_REF, TREE_TYPE(fd), ref, fd, NULL_TREE);
}

/* Append `lhs = rhs` (or `lhs = a <code> b`) to `seq`; returns lhs. */
static tree
emit(gimple_seq *seq, location_t loc, tree rhs)
{
	tree lhs = make_ssa_name(TYPE_MAIN_VARIANT(TREE_TYPE(rhs)));
	gassign *g = gimple_build_assign(lhs, rhs);
	gimple_set_location(g, loc);
	gimple_seq_add_stmt(seq, g);
	return lhs;
}

static tree
emit(gimple_seq *seq, location_t loc, enum tree_code code, tree type,
     tree a, tree b)
{
	tree lhs = make_ssa_name(type);
	gassign *g = b ? gimple_build_assign(lhs, code, a, b)
		       : gimple_build_assign(lhs, code, a);
	gimple_set_location(g, loc);
	gimple_seq_add_stmt(seq, g);
	return lhs;
}

static void
store(gimple_seq *seq, location_t loc, tree ref, tree value)
{
	gassign *g = gimple_build_assign(ref, value);
	gimple_set_location(g, loc);
	gimple_seq_add_stmt(seq, g);
}

/* One volatile read of `*f->name`, a change counter. */
static tree
read_counter(gimple_seq *seq, location_t loc, tree f, const char *name)
{
	tree ptr = emit(seq, loc, deref(f, frame_type, name));
	tree ref = deref(ptr, NULL_TREE, NULL);
	TREE_THIS_VOLATILE(ref) = 1;
	TREE_SIDE_EFFECTS(ref) = 1;
	return emit(seq, loc, ref);
}

/* `if (*f->name != f->seen_name)` ending `seq`, a change counter's test. */
static gcond *
counter_test(gimple_seq *seq, location_t loc, tree f, const char *name,
	     const char *seen)
{
	tree v = read_counter(seq, loc, f, name);
	tree w = emit(seq, loc, deref(f, frame_type, seen));
	gcond *cond = gimple_build_cond(NE_EXPR, v, w, NULL_TREE, NULL_TREE);
	gimple_set_location(cond, loc);
	gimple_seq_add_stmt(seq, cond);
	return cond;
}

/* A new block after `after`, in its loop, with `seq` in it. */
static basic_block
new_block(basic_block after, gimple_seq seq)
{
	basic_block bb = create_empty_bb(after);
	if (current_loops)
		add_bb_to_loop(bb, after->loop_father);
	gimple_stmt_iterator gsi = gsi_start_bb(bb);
	gsi_insert_seq_after(&gsi, seq, GSI_NEW_STMT);
	return bb;
}

/* Put `seq` in place of the placeholder `g` and end its block after
   `last`, a statement of `seq`; returns the edge to what followed g. */
static edge
replace_and_split(gimple *g, gimple_seq seq, gimple *last)
{
	gimple_stmt_iterator gsi = gsi_for_stmt(g);
	gsi_insert_seq_before(&gsi, seq, GSI_SAME_STMT);
	edge fall = split_block(gimple_bb(g), last);
	gsi = gsi_for_stmt(g);
	gsi_remove(&gsi, true);
	return fall;
}

/* f->cur = prev + f->delta: the line an event leaves, known at compile
   time, where the runtime's line() reads it.  The event before may have
   left `cur` unstored (cur_stores()), so an event's slow path that knows
   the line left stores it first. */
static void
store_left(gimple_seq *seq, location_t loc, tree f, tree prev)
{
	tree d = emit(seq, loc, deref(f, frame_type, "delta"));
	tree dz = emit(seq, loc, NOP_EXPR, sizetype, d, NULL_TREE);
	store(seq, loc, deref(f, frame_type, "cur"),
	      emit(seq, loc, POINTER_PLUS_EXPR, TREE_TYPE(prev),
		   unshare_expr(prev), dz));
}

/*
 * The line event of runtime/mprof_abi.h in place of the placeholder `g`:
 *
 *     bb:     if (*f->change != f->seen) goto slow;
 *     quiet:  c = f->cur;  c->count = c->count + 1;
 *             c->peak = MAX (c->peak, f->before);
 *             f->cur = &sites[i] + f->delta;          goto rest;
 *     slow:   [f->cur = &sites[p] + f->delta;]        (line left known)
 *             __mprof_line_thunk (&sites[i], f);       (very unlikely)
 *     rest:   what followed g
 *
 * When the line left is known (the placeholder's last operand, from
 * lines.cc's mp_line_probe::prev), c is &sites[p] + f->delta, the
 * address `cur` holds, without reading it; right after the entry (`cur`
 * the unread scratch slot) nothing is counted.
 *
 * No call; the slow block is laid out out of line.
 */
static void
lower_line(gimple *g)
{
	location_t loc = gimple_location(g);
	tree site = gimple_call_arg(g, 1);
	tree f = gimple_call_arg(g, 3);
	bool entry;
	tree prev = placeholder_prev(g, &entry);
	tree u64 = uint64_type_node;

	gimple_seq check1 = NULL, quiet_seq = NULL;
	gcond *cond1 = counter_test(&check1, loc, f, "change", "seen");

	tree d = emit(&quiet_seq, loc, deref(f, frame_type, "delta"));
	tree dz = emit(&quiet_seq, loc, NOP_EXPR, sizetype, d, NULL_TREE);
	if (!entry) {
		tree c = prev
			? emit(&quiet_seq, loc, POINTER_PLUS_EXPR,
			       TREE_TYPE(prev), unshare_expr(prev), dz)
			: emit(&quiet_seq, loc, deref(f, frame_type, "cur"));
		tree count = deref(c, site_type, "count");
		tree n = emit(&quiet_seq, loc, count);
		store(&quiet_seq, loc, unshare_expr(count),
		      emit(&quiet_seq, loc, PLUS_EXPR, u64, n,
			   build_one_cst(u64)));
		tree peak = deref(c, site_type, "peak");
		tree p = emit(&quiet_seq, loc, peak);
		tree b = emit(&quiet_seq, loc, deref(f, frame_type, "before"));
		store(&quiet_seq, loc, unshare_expr(peak),
		      emit(&quiet_seq, loc, MAX_EXPR, TREE_TYPE(p), p, b));
	}
	tree next = emit(&quiet_seq, loc, POINTER_PLUS_EXPR, TREE_TYPE(site),
			 unshare_expr(site), dz);
	store(&quiet_seq, loc, deref(f, frame_type, "cur"), next);

	edge fall = replace_and_split(g, check1, cond1);
	basic_block bb = fall->src, rest = fall->dest;

	basic_block quiet = new_block(bb, quiet_seq);
	gimple_seq slow_seq = NULL;
	if (prev && !entry)
		store_left(&slow_seq, loc, f, prev);
	gimple_seq_add_stmt(&slow_seq,
			    thunk_call(PROBE_LINE, site, f, NULL_TREE, loc));
	basic_block slow = new_block(quiet, slow_seq);

	profile_probability unlikely = profile_probability::very_unlikely();
	redirect_edge_succ(fall, quiet);
	fall->flags = EDGE_FALSE_VALUE;
	fall->probability = unlikely.invert();
	edge e = make_edge(bb, slow, EDGE_TRUE_VALUE);
	e->probability = unlikely;
	make_single_succ_edge(quiet, rest, EDGE_FALLTHRU);
	make_single_succ_edge(slow, rest, EDGE_FALLTHRU);
	quiet->count = bb->count.apply_probability(unlikely.invert());
	slow->count = bb->count - quiet->count;
}

#if defined(__x86_64__)
/*
 * The same line event on x86-64 as one `asm goto`, whose only exit besides
 * falling through is the call:
 *
 *     bb:     ch = f->change;
 *             asm goto ("the test, jne call; the quiet update"
 *                       : "=&r" (t), "=&r" (u)
 *                       : "r" (f), "m" (sites[i]), "r" (ch) : : call);
 *     rest:   what followed g
 *     call:   __mprof_line_thunk (&sites[i], f);  goto rest;  (very unlikely)
 *
 * The RTL passes see one instruction and two scratch registers where the
 * GIMPLE shape gives them some twenty values, loads and stores to track
 * (in PRE's tables, in the register allocator's, in variable tracking):
 * lz4hc.c, three functions of over a thousand events, compiles in 4x
 * the plain build's time instead of 10x (docs/performance.md, "Compile
 * time").  The frame record
 * and the counters are the runtime's, which the program's code never
 * touches, and an asm goto is volatile: neither moved nor removed.  The
 * code is the GIMPLE shape's: Mem usage is stored only when it rises.
 * `ch` stays outside, so that the compiler may keep it in a register from
 * one event to the next (the
 * runtime never changes `change` without a call).  When the line left is
 * known it is counted at its own address plus f->delta, so no event
 * loads the `cur` the event before stored: in a loop of short lines,
 * that chain of a store and two dependent loads per event was the
 * event's latency.
 */
/* What the line event counts: the record's `cur`, a site known at
   compile time, or nothing (right after the entry). */
enum line_left { LEFT_CUR, LEFT_SITE, LEFT_NONE };

/*
 * Operands, as written here: the scratch outputs %0 %1; then the record
 * f (%2), the new line's site (%3), ch = f->change (%4), the site of the
 * line left (%5; LEFT_SITE only, else the same site again) and the
 * record's fields seen (%6), before (%7) and delta (%8).  The label, the
 * call, is %l9.
 *
 * With `hoist` the fields are read before the asm into registers
 * (fields_in_registers()), else they are memory operands in the record.
 * With `based`, %8 is not delta but the record's base, &sites[0] +
 * delta (record_base()), and %3 and %5 are the sites' byte offsets from
 * sites[0] (constants, "i"): a counter is then the one addressing mode
 * `off+16(base)`, with no instruction to find it; without, the sites are
 * "m" operands and a counter's address is computed in %0.
 *
 * A variant uses only some of the scratch outputs (line_asm_outputs());
 * those it does not use are not operands, and the template's numbers
 * above them move down.
 */
/* How many of the scratch outputs %0 %1 line_asm_template's variant
   uses: %1 holds `before` read from memory, %0 a change counter read
   from memory, a counter's address not at a constant offset from the
   base, or the new `cur`. */
static unsigned
line_asm_outputs(enum line_left left, bool hoist, bool based, bool store_cur)
{
	if (!hoist || !based)
		return 2;
	return store_cur || left == LEFT_CUR ? 1 : 0;
}

static tree
line_asm_template(enum line_left left, bool hoist, bool based, bool store_cur)
{
	static char text[2][2][2][3][1024];
#define FR(name) (int)offsetof(struct __mprof_frame, name)
#define SI(name) (int)offsetof(struct __mprof_site, name)
	char *t = text[hoist][based][store_cur][left];
	if (t[0])
		return build_string(strlen(t), t);
	/* The test; `before` in a register (%7) or in %1. */
	const char *checks = hoist
		? "# mprof line event\n\t"
		  "cmpq %6, (%4)\n\t"
		  "jne %l9\n\t"
		: "# mprof line event\n\t"
		  "movq (%4), %0\n\t"
		  "cmpq %6, %0\n\t"
		  "jne %l9\n\t";
	const char *b = hoist ? "%7" : "%1";
	const char *load_b = hoist ? "" : "movq %7, %1\n\t";
	/* cur = the new line's site + delta, when a reader may follow
	   (cur_stores()); LEFT_CUR's always do (line_asm()) */
	char store[128] = "";
	if (store_cur && based)
		snprintf(store, sizeof store,
			 "leaq %%c3(%%8), %%0\n\t"
			 "movq %%0, %d(%%2)\n\t",
			 FR(cur));
	else if (store_cur)
		snprintf(store, sizeof store,
			 "leaq %%3, %%0\n\t"
			 "addq %%8, %%0\n\t"
			 "movq %%0, %d(%%2)\n\t",
			 FR(cur));
	char update[512];
	switch (left) {
	case LEFT_CUR:
		snprintf(update, sizeof update,
			 "movq %d(%%2), %%0\n\t"
			 "%s"
			 "addq $1, %d(%%0)\n\t"
			 "cmpq %s, %d(%%0)\n\t"
			 "jge 1f\n\t"
			 "movq %s, %d(%%0)\n"
			 "1:\n\t"
			 "%s",
			 FR(cur), load_b, SI(count), b, SI(peak), b, SI(peak),
			 store);
		break;
	case LEFT_SITE:
		if (based) {
			snprintf(update, sizeof update,
				 "%s"
				 "%s"
				 "addq $1, %%c5+%d(%%8)\n\t"
				 "cmpq %s, %%c5+%d(%%8)\n\t"
				 "jge 1f\n\t"
				 "movq %s, %%c5+%d(%%8)\n"
				 "1:",
				 store, load_b, SI(count), b, SI(peak), b,
				 SI(peak));
			break;
		}
		snprintf(update, sizeof update,
			 "%s"
			 "leaq %%5, %%0\n\t"
			 "addq %%8, %%0\n\t"
			 "%s"
			 "addq $1, %d(%%0)\n\t"
			 "cmpq %s, %d(%%0)\n\t"
			 "jge 1f\n\t"
			 "movq %s, %d(%%0)\n"
			 "1:",
			 store, load_b, SI(count), b, SI(peak), b, SI(peak));
		break;
	case LEFT_NONE:
		snprintf(update, sizeof update, "%s", store);
		break;
	}
#undef FR
#undef SI
	char full[1024];
	snprintf(full, sizeof full, "%s%s", checks, update);
	/* The scratch outputs the variant does not use are not operands:
	   the numbers above them move down. */
	unsigned drop = 2 - line_asm_outputs(left, hoist, based, store_cur);
	char *o = t;
	for (const char *p = full; *p; ) {
		*o++ = *p++;
		if (p[-1] != '%')
			continue;
		while (ISALPHA(*p))
			*o++ = *p++;
		if (!ISDIGIT(*p))
			continue;
		unsigned n = strtoul(p, (char **)&p, 10);
		gcc_assert(n >= 2 || n < 2 - drop);
		o += sprintf(o, "%u", n >= 2 ? n - drop : n);
	}
	*o = 0;
	return build_string(strlen(t), t);
}

static tree
asm_operand(const char *constraint, tree value, tree chain)
{
	tree c = build_string(strlen(constraint), constraint);
	return chainon(chain, build_tree_list(build_tree_list(NULL_TREE, c),
					      value));
}

/* A volatile asm goto of `text` ending `seq`: `nout` scratch outputs
   ("=&r"), then the outputs `more` (SSA names, or memory), the inputs `ins`, the
   labels `labels` (TREE_LISTs; none: a plain volatile asm). */
static gasm *
asm_goto(gimple_seq *seq, const char *text, unsigned nout, tree ins,
	  tree labels, location_t loc, tree more = NULL_TREE)
{
	tree outs = NULL_TREE;
	for (unsigned k = 0; k < nout; k++)
		outs = asm_operand("=&r", make_ssa_name(uint64_type_node), outs);
	outs = chainon(outs, more);
	vec<tree, va_gc> *in = NULL, *out = NULL, *lab = NULL;
	for (tree t = outs; t; t = TREE_CHAIN(t))
		vec_safe_push(out, t);
	for (tree t = ins; t; t = TREE_CHAIN(t))
		vec_safe_push(in, t);
	for (tree t = labels; t; t = TREE_CHAIN(t))
		vec_safe_push(lab, t);
	gasm *a = gimple_build_asm_vec(text, in, out, NULL, lab);
	gimple_asm_set_volatile(a, true);
	gimple_set_location(a, loc);
	for (tree t = outs; t; t = TREE_CHAIN(t))
		if (TREE_CODE(TREE_VALUE(t)) == SSA_NAME)
			SSA_NAME_DEF_STMT(TREE_VALUE(t)) = a;
	gimple_seq_add_stmt(seq, a);
	return a;
}

/*
 * In a loop, the record's fields the event compares and adds are read
 * before the asm, into registers: the RTL passes then keep them there
 * from one event to the next, as long as no call comes between (the
 * runtime changes them only in a call), which takes a sixth of the cost
 * of a loop of short lines (bench/workloads/interp.c).  Elsewhere they
 * are memory operands, read inside: five more values per event cost the
 * register allocator and variable tracking more than they save.  The asm
 * then needs nine registers at once; where the target leaves fewer
 * than thirteen general registers free (-ffixed-reg, global register
 * variables) the fields are memory operands everywhere.
 */
static bool
fields_in_registers(void)
{
	static int ok = -1;
	if (ok < 0) {
		int n = 0;
		for (int r = 0; r < FIRST_PSEUDO_REGISTER; r++)
			n += TEST_HARD_REG_BIT(reg_class_contents[GENERAL_REGS],
					       r) && !fixed_regs[r];
		ok = n >= 13;
	}
	return ok;
}

/* `addr`, the address of a site, as an array `*sites` of sites and the
   site's byte offset in it `*off`; false if it is not a constant offset
   in a variable, or in another array than a `*sites` already given. */
static bool
site_offset(tree addr, tree *sites, HOST_WIDE_INT *off)
{
	if (TREE_CODE(addr) != ADDR_EXPR)
		return false;
	poly_int64 o;
	tree base = get_addr_base_and_unit_offset(TREE_OPERAND(addr, 0), &o);
	if (!base || !VAR_P(base) || !o.is_constant(off) ||
	    (*sites && *sites != base))
		return false;
	*sites = base;
	return true;
}

/* &sites[0] + f->delta, appended to `seq`: where the record `f` counts
   its sites. */
static tree
base_of(gimple_seq *seq, location_t loc, tree f, tree sites)
{
	tree d = emit(seq, loc, deref(f, frame_type, "delta"));
	tree s0 = emit(seq, loc, NOP_EXPR, TREE_TYPE(d),
		       build_fold_addr_expr(sites), NULL_TREE);
	return emit(seq, loc, PLUS_EXPR, TREE_TYPE(d), s0, d);
}

/* The bases of the records of the function being lowered (base_of(),
   computed once right after the entry that defines the record); NULL
   outside mp_emit_lower(). */
static hash_map<tree, tree> *record_bases;

/*
 * The base of the record `f` of `sites`, as one value computed at its
 * entry: the record's delta is constant from entry to exit, so the
 * events of a loop share one register for it, where a sum in each event
 * would cost an instruction each (the RTL passes do not merge them).
 * NULL when `f` is not the value of an entry here.
 */
static tree
record_base(tree f, tree sites)
{
	if (!record_bases || TREE_CODE(f) != SSA_NAME)
		return NULL_TREE;
	if (tree *known = record_bases->get(f))
		return *known;
	gimple *def = SSA_NAME_DEF_STMT(f);
	if (placeholder_kind(def) != PROBE_ENTER || stmt_ends_bb_p(def))
		return NULL_TREE;
	gimple_seq seq = NULL;
	tree base = base_of(&seq, gimple_location(def), f, sites);
	gimple_stmt_iterator gsi = gsi_for_stmt(def);
	gsi_insert_seq_after(&gsi, seq, GSI_SAME_STMT);
	record_bases->put(f, base);
	return base;
}

/* A site as an event's operand appended to `ins`: its byte offset from
   sites[0] ("i") when the event counts off the record's base, else the
   site itself in memory ("m"). */
static tree
site_operand(tree ins, bool based, HOST_WIDE_INT off, tree site)
{
	return based ? asm_operand("i", build_int_cst(long_integer_type_node,
						      off), ins)
		     : asm_operand("m", build_simple_mem_ref(unshare_expr(site)),
				   ins);
}

/* The asm of line_asm_template, after the reads of its record's fields
   in `seq`; NULL (and `seq` empty) when the target or the assembler
   dialect is not the one written there, or a site is no constant.
   `prev` and `entry` as placeholder_prev() gives them. */
static gasm *
line_asm(gimple_seq *seq, tree site, tree f, tree prev, bool entry,
	 bool in_loop, bool store_cur, tree label, location_t loc)
{
	enum line_left left = entry ? LEFT_NONE : prev ? LEFT_SITE : LEFT_CUR;
	if (left == LEFT_CUR)
		store_cur = true;
	if (!TARGET_64BIT || !TARGET_LP64 || ASSEMBLER_DIALECT != 0 ||
	    TREE_CODE(site) != ADDR_EXPR || !is_gimple_min_invariant(site) ||
	    (prev && !is_gimple_min_invariant(prev)))
		return NULL;
	tree left_site = left == LEFT_SITE ? prev : site;
	bool hoist = in_loop && fields_in_registers();
	tree sites = NULL_TREE, base = NULL_TREE;
	HOST_WIDE_INT at = 0, from = 0;
	if (site_offset(site, &sites, &at) &&
	    site_offset(left_site, &sites, &from))
		base = record_base(f, sites);
	if (!base && hoist && sites)
		base = base_of(seq, loc, f, sites);
	bool based = base != NULL_TREE;
	tree ins = asm_operand("r", f, NULL_TREE);
	ins = site_operand(ins, based, at, site);
	ins = asm_operand("r", emit(seq, loc, deref(f, frame_type, "change")),
			  ins);
	ins = site_operand(ins, based, from, left_site);
	auto field_operand = [&](const char *name) {
		tree ref = deref(f, frame_type, name);
		ins = hoist ? asm_operand("r", emit(seq, loc, ref), ins)
			    : asm_operand("m", ref, ins);
	};
	for (const char *name : { "seen", "before" })
		field_operand(name);
	if (based)
		ins = asm_operand("r", base, ins);
	else
		field_operand("delta");
	return asm_goto(seq,
			TREE_STRING_POINTER(line_asm_template(left, hoist,
							      based,
							      store_cur)),
			line_asm_outputs(left, hoist, based, store_cur),
			ins, build_tree_list(NULL_TREE, label), loc);
}

/* store_left() as one asm: f->cur = prev + f->delta, for the slow path of
   an asm event.  Three statements there, on every event that knows the
   line it leaves, cost a fifth of a large unit's compile time and memory;
   one asm costs the RTL passes one instruction. */
static void
store_left_asm(gimple_seq *seq, location_t loc, tree f, tree prev)
{
	static char text[128];
	if (!text[0])
		snprintf(text, sizeof text,
			 "leaq %%1, %%0\n\t"
			 "addq %d(%%2), %%0\n\t"
			 "movq %%0, %d(%%2)",
			 (int)offsetof(struct __mprof_frame, delta),
			 (int)offsetof(struct __mprof_frame, cur));
	tree ins = asm_operand("m", build_simple_mem_ref(unshare_expr(prev)),
			       NULL_TREE);
	ins = asm_operand("r", f, ins);
	asm_goto(seq, text, 1, ins, NULL_TREE, loc);
}

/*
 * The line event as one asm that makes its own call (runtime/mprof_abi.h,
 * "Calls from inside an event"): the same tests and quiet update as
 * line_asm_template's with the record's fields read inside, and, where
 * that one jumps to a block of the function that calls the thunk, a
 * branch laid out after the function (`.subsection 1`) that stores the
 * line left, pushes the arguments below the red zone and calls the
 * table's `line_slow`, which keeps every register:
 *
 *         # mprof line event (calls)
 *         movq  change(f), t;  movq (t), t;  cmpq seen(f), t;   jne 7f
 *         the quiet update
 *     8:
 *         .subsection 1
 *     7:  [cur = &sites[p] + delta]
 *         leaq -128(%rsp), %rsp
 *         pushq f;  pushq &sites[i];  pushq $8b
 *         cmpq $0, tab.line_slow;  je 9f;  call *tab.line_slow
 *     9:  leaq 152(%rsp), %rsp;  jmp 8b
 *         .previous
 *
 * The compiler sees one instruction and no block, call or clobbered
 * register: an event costs its passes what a statement does, where the
 * asm goto's block and call cost them as much as the rest of the
 * function (lz4hc.c: 2.7x the plain build's compile time instead of
 * 5.7x).  Its operands are registers or memory at a constant address or
 * off a register, never off %rsp, so the branch may move %rsp before
 * using them.  The record is an output ("=m", and an input): the call
 * changes its fields, so no load of one from before the event may be
 * reused after it; for the same reason the fields are read inside, not
 * kept in registers from one event to the next as the asm goto events
 * of loops keep them: those stay asm gotos (mp_emit_lower()).
 *
 * Operands, as the template names them: scratch %{t} %{u}; the record
 * %{rec} ("=m"); then f %{f}, the new site %{site}, change, the site
 * left %{from}, seen, before, %{base} (based: the
 * record's base, and the sites are offsets "i") or delta, the table's
 * entry %{slow}, and the record again ("m").
 */
static const char *const called_names[] = {
	"t", "u", "rec", "f", "site", "from", "base", "slow", "rec_in"
};

static tree
called_line_template(enum line_left left, bool based, bool store_cur)
{
	static char text[2][2][3][2048];
#define FR(name) (int)offsetof(struct __mprof_frame, name)
#define SI(name) (int)offsetof(struct __mprof_site, name)
	char *t = text[based][store_cur][left];
	if (t[0])
		return build_string(strlen(t), t);
	char buf[512];
	snprintf(buf, sizeof buf,
		 "# mprof line event (calls)\n\t"
		 "movq %d(%%{f}), %%{t}\n\t"
		 "movq (%%{t}), %%{t}\n\t"
		 "cmpq %d(%%{f}), %%{t}\n\t"
		 "jne 7f\n\t", FR(change), FR(seen));
	std::string s = buf;
	/* %{t} = the address a site is counted at, plus delta: the line
	   left (`left`) or the new line */
	auto at_plus_delta = [&](const char *site) {
		if (based)
			snprintf(buf, sizeof buf, "leaq %%c{%s}(%%{base}), %%{t}\n\t",
				 site);
		else
			snprintf(buf, sizeof buf,
				 "leaq %%{%s}, %%{t}\n\t"
				 "addq %d(%%{f}), %%{t}\n\t", site, FR(delta));
		return std::string(buf);
	};
	snprintf(buf, sizeof buf, "movq %%{t}, %d(%%{f})\n\t", FR(cur));
	std::string store_at_t = buf;
	std::string store = store_cur ? at_plus_delta("site") + store_at_t : "";
	bool off_base = false;	/* the counters at %c{from}+N(%{base}),
				   else at N(%{t}) */
	switch (left) {
	case LEFT_CUR:
		snprintf(buf, sizeof buf, "movq %d(%%{f}), %%{t}\n\t", FR(cur));
		s += buf;
		break;
	case LEFT_SITE:
		s += store;
		store = "";
		if (based)
			off_base = true;
		else
			s += at_plus_delta("from");
		break;
	case LEFT_NONE:
		break;
	}
	if (left != LEFT_NONE) {
		auto addr = [&](int off) {
			return off_base ? "%c{from}+" + std::to_string(off) +
						  "(%{base})"
					: std::to_string(off) + "(%{t})";
		};
		s += "movq " + std::to_string(FR(before)) + "(%{f}), %{u}\n\t";
		s += "addq $1, " + addr(SI(count)) + "\n\t";
		s += "cmpq %{u}, " + addr(SI(peak)) + "\n\t";
		s += "jge 1f\n\t";
		s += "movq %{u}, " + addr(SI(peak)) + "\n1:\n\t";
	}
	s += store;
	s += "\n8:\n\t.subsection 1\n7:\n\t";
	if (left == LEFT_SITE)
		s += at_plus_delta("from") + store_at_t;
	s += "leaq -128(%%rsp), %%rsp\n\t"
	     "pushq %{f}\n\t";
	if (based) {
		snprintf(buf, sizeof buf,
			 "leaq %%c{site}(%%{base}), %%{t}\n\t"
			 "subq %d(%%{f}), %%{t}\n\t", FR(delta));
		s += buf;
	} else {
		s += "leaq %{site}, %{t}\n\t";
	}
	s += "pushq %{t}\n\t"
	     "leaq 8b(%%rip), %{t}\n\t"
	     "pushq %{t}\n\t"
	     "cmpq $0, %{slow}\n\t"
	     "je 9f\n\t"
	     "call *%{slow}\n"
	     "9:\n\t"
	     "leaq 152(%%rsp), %%rsp\n\t"
	     "jmp 8b\n\t"
	     ".previous";
#undef FR
#undef SI
	/* %{name} -> %N, the operand's number; %% stays */
	std::string out;
	for (size_t i = 0; i < s.size(); i++) {
		if (s[i] == '%' && i + 1 < s.size() && s[i + 1] == '%') {
			out += "%%";
			i++;
			continue;
		}
		size_t brace = s[i] == '%' ? s.find_first_not_of("c", i + 1)
					   : std::string::npos;
		if (brace == std::string::npos || s[brace] != '{') {
			out += s[i];
			continue;
		}
		size_t end = s.find('}', brace);
		std::string name = s.substr(brace + 1, end - brace - 1);
		unsigned n = 0;
		while (n < ARRAY_SIZE(called_names) && name != called_names[n])
			n++;
		gcc_assert(n < ARRAY_SIZE(called_names));
		out += s.substr(i, brace - i) + std::to_string(n);
		i = end;
	}
	gcc_assert(out.size() < sizeof text[0][0][0]);
	strcpy(t, out.c_str());
	return build_string(strlen(t), t);
}

/* Can the event `g` be a called-form event (called_line_template)?  The
   target's assembler and registers as line_asm() needs them, the sites
   constants, and no register of the unit's that the runtime's C code
   may change and line_slow does not keep (AVX-512's). */
static bool
line_called_ok(gimple *g)
{
	bool entry;
	tree site = gimple_call_arg(g, 1);
	tree prev = placeholder_prev(g, &entry);
	return TARGET_64BIT && TARGET_LP64 && ASSEMBLER_DIALECT == 0 &&
	       !TARGET_AVX512F && TREE_CODE(site) == ADDR_EXPR &&
	       is_gimple_min_invariant(site) &&
	       (!prev || is_gimple_min_invariant(prev));
}

/* The called-form event in place of the placeholder `g`; false, and `g`
   untouched, where line_called_ok() says no. */
static bool
lower_line_called(gimple *g, bool store_cur)
{
	if (!line_called_ok(g))
		return false;
	location_t loc = gimple_location(g);
	tree site = gimple_call_arg(g, 1);
	tree f = gimple_call_arg(g, 3);
	bool entry;
	tree prev = placeholder_prev(g, &entry);
	enum line_left left = entry ? LEFT_NONE : prev ? LEFT_SITE : LEFT_CUR;
	tree left_site = left == LEFT_SITE ? prev : site;
	gimple_seq seq = NULL;
	tree sites = NULL_TREE, base = NULL_TREE;
	HOST_WIDE_INT at = 0, from = 0;
	if (site_offset(site, &sites, &at) &&
	    site_offset(left_site, &sites, &from))
		base = record_base(f, sites);
	bool based = base != NULL_TREE;
	tree rec = build_simple_mem_ref(f);
	tree outs = asm_operand("=m", rec, NULL_TREE);
	tree ins = asm_operand("r", f, NULL_TREE);
	ins = site_operand(ins, based, at, site);
	ins = site_operand(ins, based, from, left_site);
	ins = based ? asm_operand("r", base, ins)	/* else unused */
		    : asm_operand("i", build_int_cst(long_integer_type_node, 0),
				  ins);
	ins = asm_operand("m", build3(COMPONENT_REF, kind_type(K_LINE_SLOW),
				      tab_var, field(probes_type, "line_slow"),
				      NULL_TREE), ins);
	ins = asm_operand("m", unshare_expr(rec), ins);
	asm_goto(&seq,
		 TREE_STRING_POINTER(called_line_template(left, based,
							  store_cur)),
		 2, ins, NULL_TREE, loc, outs);
	gimple_stmt_iterator gsi = gsi_for_stmt(g);
	gsi_insert_seq_before(&gsi, seq, GSI_SAME_STMT);
	gsi_remove(&gsi, true);
	return true;
}
#else
static gasm *
line_asm(gimple_seq *, tree, tree, tree, bool, bool, bool, tree, location_t)
{
	return NULL;
}

static void
store_left_asm(gimple_seq *seq, location_t loc, tree f, tree prev)
{
	store_left(seq, loc, f, prev);
}

static bool
line_called_ok(gimple *)
{
	return false;
}

static bool
lower_line_called(gimple *, bool)
{
	return false;
}
#endif

/* A block `after` jumps to with label `label`, holding `call` after
   `before` (may be NULL), falling through to `to`. */
static edge
slow_call_block(basic_block after, tree label, gimple *call, basic_block to,
		gimple_seq before = NULL)
{
	gimple_seq seq = NULL;
	gimple_seq_add_stmt(&seq, gimple_build_label(label));
	gimple_seq_add_seq(&seq, before);
	gimple_seq_add_stmt(&seq, call);
	basic_block b = new_block(after, seq);
	profile_probability unlikely = profile_probability::very_unlikely();
	edge e = make_edge(after, b, 0);
	e->probability = unlikely;
	b->count = after->count.apply_probability(unlikely);
	return make_single_succ_edge(b, to, EDGE_FALLTHRU);
}

/* The asm line event in place of the placeholder `g`, if this target has
   one (line_asm_template); false, and `g` untouched, if not.  Without
   `store_cur` (cur_stores()) its quiet path leaves `cur` as it was. */
static bool
lower_line_asm(gimple *g, bool store_cur)
{
	location_t loc = gimple_location(g);
	tree site = gimple_call_arg(g, 1);
	tree f = gimple_call_arg(g, 3);
	bool entry;
	tree prev = placeholder_prev(g, &entry);
	tree label = create_artificial_label(loc);
	gimple_seq seq = NULL;
	gasm *a = line_asm(&seq, site, f, prev, entry,
			   bb_loop_depth(gimple_bb(g)) > 0, store_cur, label,
			   loc);
	if (!a)
		return false;
	edge fall = replace_and_split(g, seq, a);
	fall->probability = profile_probability::very_unlikely().invert();
	gimple_seq before = NULL;
	if (prev && !entry)
		store_left_asm(&before, loc, f, prev);
	slow_call_block(fall->src, label,
			thunk_call(PROBE_LINE, site, f, NULL_TREE, loc), fall->dest,
			before);
	return true;
}

/*
 * Which inline line events must store `cur` on their quiet path.  The
 * runtime reads `cur` only in a call (a probe, or a probe reached from a
 * call: an entry below, the slow path of an event that loads it), and an
 * event whose line left is known at compile time (LEFT_SITE) or that
 * follows the entry (LEFT_NONE) does not read it: so an event need store
 * only if some path from it reaches a call, an asm or an event that reads
 * `cur` (LEFT_CUR, or one that stays a call) before such an event.  A
 * backward dataflow over the function: `need` is true where a reader may
 * come before the next event that does not read.  In a loop of short
 * lines with no call, no event stores (three instructions of some
 * twelve).  An asynchronous reader -- a signal handler that runs profiled
 * code -- may find the `cur` of an earlier line of the same activation
 * (docs/columns.md, "Signals").  `skip` gets the events that need not
 * store.
 */
static void
cur_stores(function *fn, hash_set<gimple *> &inlined,
	   hash_set<gimple *> *skip)
{
	auto reads_not = [&](gimple *g) {
		bool entry;
		return placeholder_kind(g) == PROBE_LINE && inlined.contains(g) &&
		       (placeholder_prev(g, &entry) || entry);
	};
	auto reader = [&](gimple *g) {
		return gimple_code(g) == GIMPLE_ASM ||
		       (is_gimple_call(g) && !reads_not(g));
	};
	auto_vec<bool> need_in;
	need_in.safe_grow_cleared(last_basic_block_for_fn(fn));
	/* backward through bb from `need` at its end; `mark`: record the
	   events that need not store */
	auto walk = [&](basic_block bb, bool need, bool mark) {
		for (gimple_stmt_iterator gsi = gsi_last_bb(bb);
		     !gsi_end_p(gsi); gsi_prev(&gsi)) {
			gimple *g = gsi_stmt(gsi);
			if (reads_not(g)) {
				if (mark && !need)
					skip->add(g);
				need = false;
			} else if (reader(g)) {
				need = true;
			}
		}
		return need;
	};
	auto out = [&](basic_block bb) {
		edge e;
		edge_iterator ei;
		FOR_EACH_EDGE(e, ei, bb->succs)
			if (e->dest == EXIT_BLOCK_PTR_FOR_FN(fn) ||
			    need_in[e->dest->index])
				return true;
		return false;
	};
	basic_block bb;
	for (bool changed = true; changed;) {
		changed = false;
		FOR_EACH_BB_REVERSE_FN(bb, fn)
			if (!need_in[bb->index] && walk(bb, out(bb), false)) {
				need_in[bb->index] = true;
				changed = true;
			}
	}
	FOR_EACH_BB_FN(bb, fn)
		walk(bb, out(bb), true);
}

/*
 * Quiet calls (runtime/mprof_abi.h): a function whose body has no line
 * event of its own -- its code all on the signature line, like
 * `static U32 read32(const void *p) { return *(const U32 *)p; }` -- and
 * that was inlined below a record `x` of this function, is entered and
 * left with no call while x's watch holds: the entry counts the call and
 * raises the row's Mem usage, the exit calls only if the figure moved
 * (or the entry called enter(): quiet_exit() is then exit()).
 * In lz4 such calls are two thirds of all calls.  A longer function
 * inlined below x in a loop, whose record serves only its own line events
 * and exits, runs in a local frame (runtime/mprof_abi.h, "Local frames"):
 * its entry writes its record in the runtime's slot above x, with no
 * call while x's watch holds.  Only in loops: the entry and exit are two
 * asm gotos with a block each, which the RTL passes pay for, and outside
 * loops they save little (sqlite3.c: 10% more compile time for 2% fewer
 * instructions run by speedtest1 with every inlined call in a local frame;
 * 2% more for 0.5% fewer with those in loops; lz4 -9 runs 17% or 16%
 * fewer: docs/performance.md).
 *
 * Which record is `x`: the records live at each point of the function,
 * innermost last, found by a forward dataflow over the placeholders --
 * an entry pushes its record, an exit pops it (the placeholders' order
 * is the source's: they are volatile).  Where paths disagree, after an
 * abnormal or EH edge (the exits skipped), or if a line event's record
 * is not the innermost, nothing is assumed there, and the call keeps its
 * probes.  x is the innermost record that is not itself a quiet call's.
 */
struct rec_state {
	bool known = false, conflict = false;
	std::vector<tree> stack;
};

struct quiet_plan {
	std::map<gimple *, tree> enters;	/* quiet entry -> its x */
	std::map<tree, tree> records;		/* its record -> its x */
	/* Local frames (runtime/mprof_abi.h): their entries and records,
	   each with its x. */
	std::map<gimple *, tree> frame_enters;
	std::map<tree, tree> frames;
};

/* Does `r`, an entry's record, serve only its exits (and its own line
   events, with `lines`)?  Only exits: a quiet call; line events too: a
   local frame, its record an address the entry computes. */
static bool
record_serves_only(tree r, bool lines)
{
	if (!r || TREE_CODE(r) != SSA_NAME)
		return false;
	imm_use_iterator it;
	use_operand_p use;
	FOR_EACH_IMM_USE_FAST(use, it, r) {
		gimple *u = USE_STMT(use);
		if (is_gimple_debug(u))
			continue;
		enum probe_kind k = placeholder_kind(u);
		if ((k != PROBE_EXIT && (!lines || k != PROBE_LINE)) ||
		    gimple_call_arg(u, 3) != r)
			return false;
	}
	return true;
}

/* Run block `bb` from `st`: the state at its end.  With `plan`, decide
   its entries (the state is final). */
static rec_state
rec_transfer(basic_block bb, rec_state st, bool *consistent,
	     quiet_plan *plan)
{
	for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
	     !gsi_end_p(gsi) && st.known; gsi_next(&gsi)) {
		gimple *g = gsi_stmt(gsi);
		switch (placeholder_kind(g)) {
		case PROBE_ENTER: {
			tree r = gimple_call_lhs(g);
			tree x = NULL_TREE;
			for (size_t i = st.stack.size(); i-- > 0 && !x;)
				if (!plan || !plan->records.count(st.stack[i]))
					x = st.stack[i];
			if (plan && x && record_serves_only(r, false)) {
				plan->enters[g] = x;
				plan->records[r] = x;
			} else if (plan && x && record_serves_only(r, true) &&
				   bb_loop_depth(bb) > 0) {
				plan->frame_enters[g] = x;
				plan->frames[r] = x;
			}
			st.stack.push_back(r);
			break;
		}
		case PROBE_EXIT:
			if (!st.stack.empty() &&
			    st.stack.back() == gimple_call_arg(g, 3))
				st.stack.pop_back();
			else
				st.known = false;
			break;
		case PROBE_LINE:
			if (st.stack.empty() ||
			    st.stack.back() != gimple_call_arg(g, 3))
				*consistent = false;
			break;
		default:
			/* setjmp's second return: whatever exits were
			   skipped to come back. */
			if (is_gimple_call(g) &&
			    (gimple_call_flags(g) & ECF_RETURNS_TWICE))
				st.known = false;
			break;
		}
	}
	return st;
}

/* The quiet calls of `fn` and the record each one runs below. */
static void
plan_quiet(function *fn, quiet_plan *plan)
{
	int n = last_basic_block_for_fn(fn);
	std::vector<rec_state> in(n), out(n);
	auto_vec<int> order(n_basic_blocks_for_fn(fn));
	order.quick_grow(n_basic_blocks_for_fn(fn));
	int nrpo = pre_and_rev_post_order_compute(NULL, order.address(), false);
	bool consistent = true;
	auto meet = [&](basic_block bb) {
		rec_state st;
		edge e;
		edge_iterator ei;
		FOR_EACH_EDGE(e, ei, bb->preds) {
			rec_state from;
			if (e->src == ENTRY_BLOCK_PTR_FOR_FN(fn))
				from.known = true;
			else if (e->flags & (EDGE_ABNORMAL | EDGE_EH))
				from.conflict = true;
			else
				from = out[e->src->index];
			if (from.conflict || (from.known && st.known &&
					      from.stack != st.stack)) {
				st.known = false;
				st.conflict = true;
			} else if (from.known && !st.conflict) {
				st = from;
			}
		}
		if (!st.known && !st.conflict) {
			/* no predecessor reached yet */
		}
		return st;
	};
	for (bool changed = true; changed;) {
		changed = false;
		for (int i = 0; i < nrpo; i++) {
			basic_block bb = BASIC_BLOCK_FOR_FN(fn, order[i]);
			rec_state st = meet(bb);
			rec_state o = rec_transfer(bb, st, &consistent, NULL);
			if (!o.known && st.known)
				o.conflict = true;
			if (o.known != out[bb->index].known ||
			    o.conflict != out[bb->index].conflict ||
			    o.stack != out[bb->index].stack) {
				out[bb->index] = o;
				changed = true;
			}
		}
	}
	if (!consistent)
		return;
	for (int i = 0; i < nrpo; i++) {
		basic_block bb = BASIC_BLOCK_FOR_FN(fn, order[i]);
		rec_transfer(bb, meet(bb), &consistent, plan);
	}
	if (!consistent) {
		plan->enters.clear();
		plan->records.clear();
		plan->frame_enters.clear();
		plan->frames.clear();
	}
}

#if defined(__x86_64__)
/*
 * The quiet entry, one asm goto: operands %0 %1 scratch, %2 x, %3 the
 * entry's site (an "m"), %4 ch = x->change; the label %l5 is the call of
 * enter().
 */
static const char *
quiet_enter_template(void)
{
	static char t[1024];
#define FR(name) (int)offsetof(struct __mprof_frame, name)
#define SI(name) (int)offsetof(struct __mprof_site, name)
	if (!t[0])
		snprintf(t, sizeof t,
			 "# mprof quiet call\n\t"
			 "movq (%%4), %%0\n\t"
			 "cmpq %d(%%2), %%0\n\t"
			 "jne %%l5\n\t"
			 "cmpq $0, %d(%%2)\n\t"
			 "je %%l5\n\t"
			 "leaq %%3, %%0\n\t"
			 "movq %d(%%0), %%1\n\t"
			 "testq %%1, %%1\n\t"
			 "je %%l5\n\t"
			 "addq $1, %%1\n\t"
			 "movq %%1, %d(%%0)\n\t"
			 "movq %d(%%2), %%1\n\t"
			 "cmpq %%1, %d(%%0)\n\t"
			 "jge 1f\n\t"
			 "movq %%1, %d(%%0)\n"
			 "1:",
			 FR(seen), FR(quiet),
			 SI(count), SI(count), FR(before), SI(peak), SI(peak));
	return t;
}

/*
 * The quiet exit: %0 scratch, %1 g (the entry's record, NULL when it
 * was quiet), %2 x, %3 ch = x->change; %l4 calls quiet_exit().
 */
static const char *
quiet_exit_template(void)
{
	static char t[512];
	if (!t[0])
		snprintf(t, sizeof t,
			 "# mprof quiet return\n\t"
			 "testq %%1, %%1\n\t"
			 "jne %%l4\n\t"
			 "movq (%%3), %%0\n\t"
			 "cmpq %d(%%2), %%0\n\t"
			 "jne %%l4",
			 FR(seen));
	return t;
}

/*
 * The entry of a call in a local frame (runtime/mprof_abi.h, "Local
 * frames"), one asm goto: %0 %1 scratch, %2 the frame's address (an
 * output, valid where the asm falls through), %3 x, %4 the entry's site
 * (an "m"), %5 the unit's scratch site (an "m"), %6 ch = x->change; the
 * label %l7 is the call of enter().  The tests are the quiet entry's; the
 * frame is the slot MPROF_FRAME_STRIDE bytes above x, written field by
 * field, then x->above set and x's watch made invalid.
 */
#define LF(name) (FR(name) + MPROF_FRAME_STRIDE)
static const char *
frame_enter_template(void)
{
	static char t[2048];
	if (!t[0])
		snprintf(t, sizeof t,
			 "# mprof local frame\n\t"
			 "movq (%%6), %%0\n\t"
			 "cmpq %d(%%3), %%0\n\t"
			 "jne %%l7\n\t"
			 "movq %d(%%3), %%2\n\t"
			 "testq %%2, %%2\n\t"
			 "je %%l7\n\t"
			 "leaq %%4, %%1\n\t"
			 "cmpq $0, %d(%%1)\n\t"
			 "je %%l7\n\t"
			 "addq $1, %d(%%1)\n\t"
			 "movq %%1, %d(%%3)\n\t"
			 "subq $1, %%2\n\t"
			 "movq %%2, %d(%%3)\n\t"
			 "movq %%0, %d(%%3)\n\t"
			 "movq %%6, %d(%%3)\n\t"
			 "movq %d(%%3), %%0\n\t"
			 "movq %%0, %d(%%3)\n\t"
			 "cmpq %%0, %d(%%1)\n\t"
			 "jge 1f\n\t"
			 "movq %%0, %d(%%1)\n"
			 "1:\n\t"
			 "leaq %%5, %%0\n\t"
			 "movq %%0, %d(%%3)\n\t"
			 "movq $0, %d(%%3)\n\t"
			 "movq $0, %d(%%3)\n\t"
			 "leaq %d(%%3), %%2\n\t"
			 "movq %%2, %d(%%3)\n\t"
			 "movq $-1, %d(%%3)",
			 FR(seen), FR(quiet),
			 SI(count), SI(count), LF(s0), LF(quiet), LF(seen),
			 LF(change), FR(before), LF(before), SI(peak), SI(peak),
			 LF(cur), LF(delta), LF(above), MPROF_FRAME_STRIDE,
			 FR(above), FR(seen));
	return t;
}
#undef LF

/*
 * The exit of a call in a local frame: %0 %1 scratch, %2 g (the frame,
 * or the record enter() gave), %3 x; %l4 calls quiet_exit().  Inline only
 * when g is the frame x->above still points at (not adopted by the
 * runtime) and its watch holds: the last line counted, x's watch given
 * back.
 */
static const char *
frame_exit_template(void)
{
	static char t[1024];
	if (!t[0])
		snprintf(t, sizeof t,
			 "# mprof local frame return\n\t"
			 "cmpq %%2, %d(%%3)\n\t"
			 "jne %%l4\n\t"
			 "movq %d(%%2), %%0\n\t"
			 "movq (%%0), %%0\n\t"
			 "cmpq %d(%%2), %%0\n\t"
			 "jne %%l4\n\t"
			 "movq %d(%%2), %%0\n\t"
			 "addq $1, %d(%%0)\n\t"
			 "movq %d(%%2), %%1\n\t"
			 "cmpq %%1, %d(%%0)\n\t"
			 "jge 1f\n\t"
			 "movq %%1, %d(%%0)\n"
			 "1:\n\t"
			 "movq %d(%%2), %%0\n\t"
			 "movq $0, %d(%%3)\n\t"
			 "movq %%0, %d(%%3)",
			 FR(above), FR(change), FR(seen), FR(cur), SI(count), FR(before), SI(peak),
			 SI(peak), FR(seen), FR(above), FR(seen));
#undef FR
#undef SI
	return t;
}

static bool
quiet_calls_ok(void)
{
	return TARGET_64BIT && TARGET_LP64 && ASSEMBLER_DIALECT == 0;
}
#else
static const char *quiet_enter_template(void) { return NULL; }
static const char *quiet_exit_template(void) { return NULL; }
static const char *frame_enter_template(void) { return NULL; }
static const char *frame_exit_template(void) { return NULL; }
static bool quiet_calls_ok(void) { return false; }
#endif

/* The asm goto of an inlined call's entry or exit in place of `g`:
   ch = x->change read before it (unless x is NULL_TREE), `text` with
   `nout` scratch outputs, the outputs `more`, and the inputs `ins` then
   ch; its label, the call, in *label.  The edge it falls through. */
static edge
quiet_asm(gimple *g, tree x, const char *text, unsigned nout, tree ins,
	  tree *label, tree more = NULL_TREE)
{
	location_t loc = gimple_location(g);
	*label = create_artificial_label(loc);
	gimple_seq seq = NULL;
	if (x)
		ins = asm_operand("r", emit(&seq, loc,
					    deref(x, frame_type, "change")),
				  ins);
	gasm *a = asm_goto(&seq, text, nout, ins,
			   build_tree_list(NULL_TREE, *label), loc, more);
	edge fall = replace_and_split(g, seq, a);
	fall->probability = profile_probability::very_unlikely().invert();
	return fall;
}

/*
 * The entry of an inlined call below x in place of the placeholder
 * `g = .NOP (enter, &s0...)`, quiet (`frame` false) or in a local frame
 * (runtime/mprof_abi.h, "Quiet calls", "Local frames"):
 *
 *     bb:    ch = x->change;
 *            [l =] asm goto (quiet_enter_template or frame_enter_template
 *                            ... : call);
 *     rest:  g = PHI <0 or l (bb), g1 (call)>
 *     call:  g1 = __mprof_enter_thunk (&s0);  goto rest;   (very unlikely)
 */
static void
lower_inlined_enter(gimple *g, tree x, bool frame)
{
	location_t loc = gimple_location(g);
	tree s0 = gimple_call_arg(g, 1);
	tree r = gimple_call_lhs(g);
	tree l = frame ? make_ssa_name(TREE_TYPE(r))
		       : build_int_cst(TREE_TYPE(r), 0);
	tree label;
	tree ins = asm_operand("r", x, NULL_TREE);
	ins = asm_operand("m", build_simple_mem_ref(unshare_expr(s0)), ins);
	if (frame)
		ins = asm_operand("m", scratch_var, ins);
	edge fall = quiet_asm(g, x, frame ? frame_enter_template()
					  : quiet_enter_template(),
			      2, ins, &label,
			      frame ? asm_operand("=&r", l, NULL_TREE)
				    : NULL_TREE);
	basic_block bb = fall->src, rest = fall->dest;
	tree r1 = make_ssa_name(TREE_TYPE(r));
	edge back = slow_call_block(bb, label,
				    thunk_call(PROBE_ENTER, s0, NULL_TREE, r1,
					       loc), rest);
	gphi *phi = create_phi_node(r, rest);
	add_phi_arg(phi, l, fall, loc);
	add_phi_arg(phi, r1, back, loc);
}

/*
 * Its exit, in place of `.NOP (exit, &s0, keep, g)`:
 *
 *     bb:    [ch = x->change;]  asm goto (quiet_exit_template or
 *                                         frame_exit_template : call);
 *     rest:  what followed
 *     call:  __mprof_quiet_exit_thunk (g, &s0, x);  goto rest;  (very unlikely)
 *
 * (a local frame's exit tests the frame's own watch: no ch).
 */
static void
lower_inlined_exit(gimple *g, tree x, bool frame)
{
	location_t loc = gimple_location(g);
	tree s0 = gimple_call_arg(g, 1);
	tree r = gimple_call_arg(g, 3);
	tree label;
	tree ins = asm_operand("r", r, NULL_TREE);
	ins = asm_operand("r", x, ins);
	edge fall = frame ? quiet_asm(g, NULL_TREE, frame_exit_template(), 2,
				      ins, &label)
			  : quiet_asm(g, x, quiet_exit_template(), 1, ins,
				      &label);
	gcall *c = gimple_build_call(thunks[PROBE_QUIET_EXIT], 3, r, s0, x);
	gimple_set_location(c, loc);
	gimple_call_set_nothrow(c, true);
	slow_call_block(fall->src, label, c, fall->dest);
}

/*
 * A line event whose record has no definition here: the body of an OpenMP
 * region or task, which omp expansion outlined into a function of its own
 * after the instrumenting pass, away from the entry that defines `f`.  It
 * gets the unit's idle record instead of an undefined value: its events
 * call the runtime, which counts them in the innermost frame of their
 * function on the thread's stack, if there is one (docs/limits.md).
 */
static void
adopt_orphan(gimple *g)
{
	tree f = gimple_call_arg(g, 3);
	if (TREE_CODE(f) != SSA_NAME || !SSA_NAME_IS_DEFAULT_DEF(f))
		return;
	gimple_call_set_arg(g, 3, build_fold_addr_expr_with_type(
		idle_var, build_pointer_type(frame_type)));
	update_stmt(g);
}

#define INLINE_LINES_MAX 2000u
#define INLINE_LINES_MAX_VT 100u

/* Replace every placeholder of `fn` with its code; the TODO flags the pass
   returns. */
unsigned
mp_emit_lower(function *fn)
{
	auto_vec<gimple *> found;
	bool user_asm = false;
	basic_block bb;
	FOR_EACH_BB_FN(bb, fn)
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
		     !gsi_end_p(gsi); gsi_next(&gsi)) {
			if (placeholder_kind(gsi_stmt(gsi)) != NPROBES)
				found.safe_push(gsi_stmt(gsi));
			user_asm |= gimple_code(gsi_stmt(gsi)) == GIMPLE_ASM;
		}
	if (found.is_empty())
		return 0;

	/*
	 * At most INLINE_LINES_MAX line events of a function are asm gotos
	 * (or, where the target has no asm event, the GIMPLE shape), the most
	 * deeply nested in loops first.  Each adds three blocks and nine
	 * memory references, and the RTL passes' cost grows faster than
	 * linearly in those within one function: without a bound a generated
	 * 20 000-line function takes minutes to compile (docs/performance.md,
	 * "Compile time").  The others, and every event outside loops, are
	 * one asm that calls the runtime itself (below), or calls where the
	 * target has none.
	 */
	bool inline_lines = gimple_in_ssa_p(fn);
	hash_set<gimple *> inlined;
	if (inline_lines) {
		auto_vec<std::pair<int, unsigned>> order;
		for (unsigned i = 0; i < found.length(); i++)
			if (placeholder_kind(found[i]) == PROBE_LINE)
				order.safe_push({ -bb_loop_depth(gimple_bb(found[i])),
						  i });
		order.qsort([](const void *a, const void *b) {
			auto *x = (const std::pair<int, unsigned> *)a;
			auto *y = (const std::pair<int, unsigned> *)b;
			return x->first != y->first ? (x->first < y->first ? -1 : 1)
			       : (x->second < y->second ? -1 : x->second > y->second);
		});
		unsigned max = INLINE_LINES_MAX;
		/* Variable tracking (-g, optimising) costs blocks times
		   locations: the larger the function, the fewer inline. */
		if (flag_var_tracking && order.length() > max)
			max = MAX(INLINE_LINES_MAX_VT,
				  (unsigned)((uint64_t)max * max / order.length()));
		for (unsigned i = 0; i < order.length() && i < max; i++)
			inlined.add(found[order[i].second]);
	}

	/* Events outside loops, and those of loops past the bound, are one
	   asm that makes its own call where the target has it
	   (called_line_template): no block for the compiler to pay for, no
	   call for the events past the bound.  In loops the asm gotos stay:
	   the fields they read before the asm stay in registers from one
	   event to the next (interp runs 40% more instructions with every
	   event of its loop a calling asm).  Not in a function with an asm
	   of its own: such an asm may call a function without saying what
	   the call clobbers (tcc's tests do: `call getenv`), which the
	   plain build survives when nothing lives in a register across it,
	   while an event's values would; the asm gotos' calls keep them in
	   registers a call preserves. */
	hash_set<gimple *> called, inline_all;
	if (inline_lines)
		for (gimple *g : found)
			if (placeholder_kind(g) == PROBE_LINE) {
				if (!user_asm &&
				    !(inlined.contains(g) &&
				      bb_loop_depth(gimple_bb(g)) > 0) &&
				    line_called_ok(g))
					called.add(g);
				if (called.contains(g) || inlined.contains(g))
					inline_all.add(g);
			}

	quiet_plan plan;
	if (inline_lines && quiet_calls_ok())
		plan_quiet(fn, &plan);
	hash_set<gimple *> no_store;
	if (inline_lines)
		cur_stores(fn, inline_all, &no_store);
	hash_map<tree, tree> bases;
	record_bases = &bases;

	/* Last first: a block split at a line event moves only what follows
	   it up to the next one done, so the function is split in linear
	   time, however many events one block holds. */
	for (unsigned i = found.length(); i-- > 0;) {
		gimple *g = found[i];
		enum probe_kind k = placeholder_kind(g);
		if (k == PROBE_ENTER && plan.enters.count(g)) {
			lower_inlined_enter(g, plan.enters[g], false);
			continue;
		}
		if (k == PROBE_ENTER && plan.frame_enters.count(g)) {
			lower_inlined_enter(g, plan.frame_enters[g], true);
			continue;
		}
		if (k == PROBE_EXIT && plan.frames.count(gimple_call_arg(g, 3))) {
			lower_inlined_exit(g, plan.frames[gimple_call_arg(g, 3)],
					   true);
			continue;
		}
		if (k == PROBE_EXIT && plan.records.count(gimple_call_arg(g, 3))) {
			lower_inlined_exit(g, plan.records[gimple_call_arg(g, 3)],
					   false);
			continue;
		}
		if (k != PROBE_ENTER)
			adopt_orphan(g);
		if (k == PROBE_LINE && called.contains(g) &&
		    lower_line_called(g, !no_store.contains(g)))
			continue;
		if (k == PROBE_LINE && inlined.contains(g)) {
			if (!lower_line_asm(g, !no_store.contains(g)))
				lower_line(g);
			continue;
		}
		tree lhs = gimple_call_lhs(g);
		gcall *c = thunk_call(k, gimple_call_arg(g, 1),
				      k == PROBE_ENTER ? NULL_TREE
						       : gimple_call_arg(g, 3),
				      lhs, gimple_location(g));
		gimple_stmt_iterator gsi = gsi_for_stmt(g);
		gsi_replace(&gsi, c, false);
		if (lhs && TREE_CODE(lhs) == SSA_NAME)
			SSA_NAME_DEF_STMT(lhs) = c;
	}
	record_bases = NULL;
	cgraph_edge::rebuild_edges();
	if (!gimple_in_ssa_p(fn))
		return 0;
	free_dominance_info(CDI_DOMINATORS);
	free_dominance_info(CDI_POST_DOMINATORS);
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

/*
 * The function's descriptor, sites and lines (runtime/mprof_abi.h): site
 * 0 is the signature line, then each line that has a probe, in line
 * order, whose index `index` maps.  Returns the sites array.
 */
static tree
emit_descriptor(function *fn, const char *name, const mp_lines *lines,
		std::map<int, unsigned> &index)
{
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

	tree line_type = build_qualified_type(integer_type_node,
					      TYPE_QUAL_CONST);
	snprintf(buf, sizeof buf, "__mprof_lines.%u", id);
	tree line_arr = static_var(buf, build_array_type_nelts(line_type, n));
	TREE_READONLY(line_arr) = 1;
	/* Apart from the program's constants, which it reads while it runs:
	   mixed with them, the lines the report alone reads would spread
	   them over more pages, and the rss backend would see those pages
	   faulted in (by the kernel's fault-around) on the program's
	   lines. */
	set_decl_section_name(line_arr, ".rodata.mprof_lines");

	tree fptr = build_pointer_type(func_type);
	vec<constructor_elt, va_gc> *sv = NULL, *lv = NULL;
	auto add_site = [&](unsigned i, int line) {
		vec<constructor_elt, va_gc> *e = NULL;
		CONSTRUCTOR_APPEND_ELT(e, field(site_type, "func"),
				       build_fold_addr_expr_with_type(desc, fptr));
		CONSTRUCTOR_APPEND_ELT(sv, build_int_cst(integer_type_node, i),
				       build_constructor(site_type, e));
		CONSTRUCTOR_APPEND_ELT(lv, build_int_cst(integer_type_node, i),
				       build_int_cst(line_type, line));
	};
	add_site(0, lines->first_line);
	for (auto &kv : index)
		add_site(kv.second, kv.first);
	DECL_INITIAL(sites) = build_constructor(TREE_TYPE(sites), sv);
	SET_DECL_ALIGN(sites, MPROF_SITE_ALIGN * BITS_PER_UNIT);
	DECL_USER_ALIGN(sites) = 1;
	DECL_INITIAL(line_arr) = build_constructor(TREE_TYPE(line_arr), lv);

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
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "lines"),
			       build_fold_addr_expr_with_type(
				       build4(ARRAY_REF, line_type, line_arr,
					      integer_zero_node, NULL_TREE,
					      NULL_TREE),
				       build_pointer_type(line_type)));
	CONSTRUCTOR_APPEND_ELT(dv, field(func_type, "dso"),
			       fold_convert(ptr_type_node,
					    build_fold_addr_expr(dso_handle)));
	DECL_INITIAL(desc) = build_constructor(func_type, dv);

	varpool_node::finalize_decl(sites);
	varpool_node::finalize_decl(line_arr);
	varpool_node::finalize_decl(desc);
	return sites;
}

/*
 * The probes' placeholders: the entry on the entry edge, each line where
 * lines.cc says, an exit before every return.  Edge probes are committed
 * in the order they were found, never in pointer order: block numbering
 * must not differ between two runs of the compiler (-fcompare-debug).  The
 * entry probe comes first on the entry edge, before any line probe placed
 * there.
 */
static void
insert_probes(function *fn, const mp_lines *lines, tree sites,
	      std::map<int, unsigned> &index)
{
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
	frame_var = create_tmp_var(build_pointer_type(frame_type), "mprof_f");
	gimple_seq_add_stmt(&edge_seq(entry),
			    probe_stmt(PROBE_ENTER, site_addr(sites, 0),
				       lines->body_loc));

	for (const mp_line_probe &p : lines->probes) {
		gimple *call = probe_stmt(PROBE_LINE,
					  site_addr(sites, index[p.line]),
					  p.loc,
					  p.prev > 0
					  ? site_addr(sites, index[p.prev])
					  : prev_operand(p.prev));
		if (p.stmt) {
			gimple_stmt_iterator gsi = gsi_for_stmt(p.stmt);
			gsi_insert_before(&gsi, call, GSI_SAME_STMT);
		} else {
			gimple_seq_add_stmt(&edge_seq(p.e), call);
		}
	}

	basic_block bb;
	FOR_EACH_BB_FN(bb, fn) {
		gimple_stmt_iterator gsi = gsi_last_bb(bb);
		if (gsi_end_p(gsi) || gimple_code(gsi_stmt(gsi)) != GIMPLE_RETURN)
			continue;
		gsi_insert_before(&gsi,
				  probe_stmt(PROBE_EXIT, site_addr(sites, 0),
					     gimple_location(gsi_stmt(gsi))),
				  GSI_SAME_STMT);
	}

	for (auto &kv : on_edge)
		gsi_insert_seq_on_edge(kv.first, kv.second);
	gsi_commit_edge_inserts();
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
	std::map<int, unsigned> index;
	tree sites = emit_descriptor(fn, name, lines, index);
	insert_probes(fn, lines, sites, index);
}
