#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""badinput.py - hard input for the plugin (ctest plugin.badinput).

    badinput.py SRCDIR BUILDDIR [CASE...]

Each case is a file of tests/plugin/badinput/ (plus `big`, a 20 000-line
function made by gen_big.py).  A comment line `badinput: key=value ...`
sets its options:
    flags=...      extra compiler flags (one word each, comma-separated)
    lang=c++       compile with g++ (default: from the extension)
    all=0          do not pass -fplugin-arg-mprof-all (attributes only)
    mode=error     the file must not compile
    env=K=V        environment of the runs whose table is checked
    env2=K=V       another environment to run both builds in (behaviour only)
    levels=...     the -O levels to run (comma-separated; default -O0,-O2)
Markers in a line's comment state what must happen on that line:
    warn           a warning naming mprof is reported there (and nowhere
                   else is one reported)
    warn?          a warning may or may not be reported there (open
                   findings being fixed: the comment says which)
    error          (mode=error) an error is reported there
    occ N          the report's Occurrences for the line is N (summed over
                   tables, as for C++ template instances and nested
                   functions); `occ N|M|-` accepts any of the values, `-`
                   being "no record" (for counts an open finding changes)
    norow          the line has no record in the report
    inc X          its Increment reads "X MiB" (heap backend, precision 1)
A C++ case is skipped when g++ is absent, an -fopenmp case when GCC has no
libgomp (exit status 77, SKIP_RETURN_CODE, if nothing failed).
For every case and at -O0 and -O2: no internal compiler error; the
instrumented program exits like the plain one and prints the same (stdout,
and stderr but for the runtime's "mprof:" lines); the tables (heap backend)
are sane (tests/realworld/check_tables.py's checks: rows from signature to
closing brace, source text as in the file), match the markers, and agree
with the JSON profile (MPROF_JSON) line by line.  Prints "ok: CASE",
"skip: CASE: why" or "FAIL: CASE: why" lines and notes (the big function's
compile times, the runtime's messages); exit status 1 on any failure.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "realworld"))
import check_tables  # noqa: E402

LEVELS = ["-O0", "-O2"]
CASES = ["attr_positions.c", "attr_c23.c", "attr_cxx.cc", "attr_args.c",
         "attr_args_cxx.cc", "computed_goto.c", "nested.c", "vla_alloca.c",
         "setjmp.c", "builtin_apply.c", "noreturn.c", "ctor_dtor.c",
         "ctor_dtor_cxx.cc", "openmp.c", "quiet_calls.c", "asm_call.c", "big"]
BIG_LINES = 20000
# The big function's compile times are reported as notes, never asserted
# (speed is measured by bench/, docs/performance.md); a quadratic pass over
# 20 000 lines still fails, by COMPILE_TIMEOUT.
COMPILE_TIMEOUT = 120           # seconds, any one compile
RUN_TIMEOUT = 30                # seconds, any one run
SKIP = 77


class Skip(Exception):
    pass


def options(text):
    m = re.search(r"badinput:([^\n*]*)", text)
    opts = {}
    for word in (m.group(1).split() if m else []):
        k, _, v = word.partition("=")
        opts[k] = v
    return opts


def markers(text):
    """{line: {"warn": True/False/None (None: either), "error": bool,
    "occ": [str] or None, "norow": bool, "inc": str or None}}"""
    out = {}
    for no, line in enumerate(text.split("\n"), 1):
        m = re.search(r"(/\*|//)(.*?)(\*/|$)", line)
        if not m or not line[:m.start()].strip():
            continue            # markers follow code on the same line
        c = m.group(2)
        w = re.search(r"\bwarn(\?)?(?![\w?])", c)
        d = {"warn": (None if w.group(1) else True) if w else False,
             "error": bool(re.search(r"\berror\b", c)),
             "norow": bool(re.search(r"\bnorow\b", c)),
             "occ": None, "inc": None}
        o = re.search(r"\bocc ((?:\d+|-)(?:\|(?:\d+|-))*)(?![\w|])", c)
        if o:
            d["occ"] = o.group(1).split("|")
        i = re.search(r"\binc (-?\d+\.\d)\b", c)
        if i:
            d["inc"] = i.group(1)
        if d["warn"] is not False or d["error"] or d["norow"] or d["occ"] \
           or d["inc"]:
            out[no] = d
    return out


CURRENT = []                    # the process group running now


def run(cmd, env=None, cwd=None, timeout=RUN_TIMEOUT):
    """Run CMD in its own process group: on a timeout the whole group is
    killed (killing gcc alone would leave cc1 running on)."""
    t0 = time.time()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    CURRENT[:] = [p.pid]
    try:
        out, err = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        out, err, rc = b"", b"", "timeout after %d s" % timeout
    finally:
        CURRENT[:] = []
    return rc, out.decode(errors="replace"), err.decode(errors="replace"), \
        time.time() - t0


def on_term(signum, frame):
    """ctest's timeout or ^C: take the running compiler or program along."""
    for pid in CURRENT:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    sys.exit(128 + signum)


def diagnostics(stderr, fname, kind):
    """Lines of FNAME with a diagnostic of KIND (warning/error) about mprof."""
    lines = set()
    for l in stderr.split("\n"):
        m = re.match(r"^(.*?):(\d+):\d+: %s: (.*)$" % kind, l)
        if m and os.path.basename(m.group(1)) == fname and \
           (kind == "error" or "mprof" in m.group(3)):
            lines.add(int(m.group(2)))
    return lines


def user_stderr(err):
    """The program's own stderr: without the runtime's "mprof:" lines."""
    return "\n".join(l for l in err.split("\n") if not l.startswith("mprof:"))


def requirements(cc, lang_cxx, flags):
    """Raise Skip if a tool the case needs is truly absent (not merely
    broken: a compiler that is there but fails is a failure)."""
    if shutil.which(cc) is None:
        raise Skip("%s not installed%s" % (
            cc, " (Debian: g++-12)" if lang_cxx else ""))
    if "-fopenmp" in flags:
        for f in ("libgomp.so", "include/omp.h"):
            p = subprocess.run([cc, "-print-file-name=" + f],
                               stdout=subprocess.PIPE).stdout.decode().strip()
            if not os.path.isabs(p) or not os.path.exists(p):
                raise Skip("%s has no %s (Debian: libgcc-12-dev)" % (cc, f))


def check_json(path, tables, fname, where, problems):
    """The JSON profile holds the same functions and rows as the table."""
    try:
        with open(path) as f:
            prof = json.load(f)
    except (OSError, ValueError) as e:
        problems.append("%s: JSON profile unreadable: %s" % (where, e))
        return
    want = {}
    for t in tables:
        if os.path.basename(t["file"]) == fname and t["rows"]:
            key = (t["rows"][0][0], t["rows"][-1][0])
            rows = want.setdefault(key, {})
            for r in t["rows"]:
                if r[3]:
                    rows[r[0]] = rows.get(r[0], 0) + int(r[3])
    got = {}
    for fn in prof.get("functions", []):
        if os.path.basename(fn.get("file", "")) != fname:
            continue
        rows = got.setdefault((fn["first_line"], fn["last_line"]), {})
        for r in fn["rows"]:
            if r[1]:
                rows[r[0]] = rows.get(r[0], 0) + r[1]
    if want != got:
        diff = sorted(set(want) ^ set(got)) or \
            [k for k in sorted(want) if want[k] != got.get(k)]
        problems.append("%s: JSON profile and table differ (functions %s)" % (
            where, diff[:4]))


def check_case(name, build, tmp, notes):
    problems = []
    plugin = os.path.join(build, "lib", "mprof.so")
    if not os.path.exists(plugin):
        return ["%s: no plugin %s (build first)" % (name, plugin)]
    if name == "big":
        path = os.path.join(tmp, "big.c")
        with open(path, "w") as f:
            f.write(subprocess.run([sys.executable, os.path.join(HERE, "gen_big.py"),
                                    str(BIG_LINES)], stdout=subprocess.PIPE,
                                   check=True).stdout.decode())
    else:
        path = os.path.join(HERE, name)
    with open(path) as f:
        text = f.read()
    opts, marks = options(text), markers(text)
    fname = os.path.basename(path)
    lang_cxx = opts.get("lang") == "c++" or path.endswith(".cc")
    cc = os.environ.get("CXX", "g++") if lang_cxx else os.environ.get("CC", "gcc")
    flags = [f for f in opts.get("flags", "").split(",") if f]
    requirements(cc, lang_cxx, flags)
    prof_flags = ["-fplugin=" + plugin]
    if opts.get("all", "1") != "0":
        prof_flags.append("-fplugin-arg-mprof-all")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("MPROF_")}
    run_env = dict(base_env)
    if "env" in opts:
        k, _, v = opts["env"].partition("=")
        run_env[k] = v

    for level in [l for l in LEVELS if l in opts.get("levels", ",".join(LEVELS)).split(",")]:
        where = "%s %s" % (name, level)
        exe_plain = os.path.join(tmp, "plain")
        exe_prof = os.path.join(tmp, "prof")
        cmd = [cc, level, "-g"] + flags + [path]
        rc, _, err, secs = run(cmd + prof_flags + ["-o", exe_prof], env=base_env,
                               timeout=COMPILE_TIMEOUT)
        if "internal compiler error" in err or "Segmentation fault" in err:
            problems.append("%s: internal compiler error: %s" % (
                where, [l for l in err.split("\n")
                        if "internal" in l or "Segmentation" in l][0]))
            continue
        if opts.get("mode") == "error":
            want = {l for l, d in marks.items() if d["error"]}
            got = diagnostics(err, fname, "error")
            if rc == 0:
                problems.append("%s: compiled, must not" % where)
            if want - got:
                problems.append("%s: no error on lines %s" % (where, sorted(want - got)))
            if got - want:
                problems.append("%s: unexpected errors on lines %s" % (where, sorted(got - want)))
            continue
        if rc != 0:
            problems.append("%s: instrumented build failed (%s): %s" % (
                where, rc, err.strip().split("\n")[-1][:200]))
            continue
        want = {l for l, d in marks.items() if d["warn"]}
        maybe = {l for l, d in marks.items() if d["warn"] is None}
        got = diagnostics(err, fname, "warning")
        if want - got:
            problems.append("%s: no mprof warning on lines %s" % (where, sorted(want - got)))
        if got - want - maybe:
            problems.append("%s: unexpected mprof warnings on lines %s" % (
                where, sorted(got - want - maybe)))
        rc, _, err, psecs = run(cmd + ["-w", "-o", exe_plain], env=base_env,
                                timeout=COMPILE_TIMEOUT)
        if rc != 0:
            problems.append("%s: plain build failed: %s" % (where, err.strip()[-200:]))
            continue
        if name == "big":
            notes.append("%s: compile %.1f s plain, %.1f s instrumented" % (
                where, psecs, secs))
        rp = run([exe_plain], env=run_env, cwd=tmp)
        table = os.path.join(tmp, "table.txt")
        jsonf = os.path.join(tmp, "profile.json")
        for f in (table, jsonf):
            if os.path.exists(f):
                os.unlink(f)
        env = dict(run_env, MPROF_BACKEND="heap", MPROF_OUTPUT=table,
                   MPROF_JSON=jsonf)
        ri = run([exe_prof], env=env, cwd=tmp)
        if rp[0] != 0:
            problems.append("%s: the plain program fails (%s)" % (where, rp[0]))
        if ri[0] != rp[0]:
            problems.append("%s: exit %s instrumented, %s plain" % (where, ri[0], rp[0]))
        if ri[1] != rp[1]:
            problems.append("%s: output %r instrumented, %r plain" % (
                where, ri[1][:80], rp[1][:80]))
        if user_stderr(ri[2]) != rp[2]:
            problems.append("%s: stderr %r instrumented, %r plain" % (
                where, user_stderr(ri[2])[:80], rp[2][:80]))
        for l in ri[2].split("\n"):
            if l.startswith("mprof:"):
                notes.append("%s: runtime says: %s" % (where, l[:200]))
        if "env2" in opts:      # once more, another environment: behaviour only
            k, _, v = opts["env2"].partition("=")
            env2 = dict(base_env, **{k: v})
            rp2 = run([exe_plain], env=env2, cwd=tmp)
            ri2 = run([exe_prof], env=dict(env2, MPROF_OUTPUT="/dev/null"), cwd=tmp)
            if (ri2[0], ri2[1], user_stderr(ri2[2])) != (rp2[0], rp2[1], rp2[2]):
                problems.append("%s: with %s: exit %s, output %r instrumented; "
                                "exit %s, output %r plain" % (
                                    where, opts["env2"], ri2[0], ri2[1][:60],
                                    rp2[0], rp2[1][:60]))
        if not os.path.exists(table):
            problems.append("%s: no report written" % where)
            continue
        with open(table, errors="replace") as f:
            tables = check_tables.parse(f.read())
        src_lines = text.split("\n")
        code = check_tables.first_branches(check_tables.strip_code(text).split("\n"))
        occ, inc, ntables = {}, {}, 0
        for t in tables:
            if os.path.basename(t["file"]) != fname:
                continue
            ntables += 1
            check_tables.check_table(t, src_lines, code)
            for msg in t["problems"]:
                problems.append("%s: table at line %d: %s" % (
                    where, t["rows"][0][0] if t["rows"] else 0, msg))
            for r in t["rows"]:
                if r[3]:
                    occ[r[0]] = occ.get(r[0], 0) + int(r[3])
                    inc.setdefault(r[0], []).append(r[2])
        if not ntables:
            problems.append("%s: the report has no table of %s" % (where, fname))
        for l, d in sorted(marks.items()):
            if d["occ"] is not None and str(occ.get(l, "-")) not in d["occ"]:
                problems.append("%s: line %d: Occurrences %s, expected %s" % (
                    where, l, occ.get(l, "none"), " or ".join(d["occ"])))
            if d["norow"] and l in occ:
                problems.append("%s: line %d has a record (%d), expected none" % (
                    where, l, occ[l]))
            if d["inc"] is not None and inc.get(l) != [d["inc"] + " MiB"]:
                problems.append("%s: line %d: Increment %s, expected %s MiB" % (
                    where, l, inc.get(l, "none"), d["inc"]))
        check_json(jsonf, tables, fname, where, problems)
    return problems


def main():
    if len(sys.argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[2])
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_term)
    cases = sys.argv[3:] or CASES
    failed = skipped = 0
    t0 = time.time()
    for name in cases:
        notes = []
        with tempfile.TemporaryDirectory(prefix="badinput.") as tmp:
            try:
                problems = check_case(name, build, tmp, notes)
            except Skip as e:
                print("skip: %s: %s" % (name, e))
                skipped += 1
                continue
        for n in notes:
            print("note: %s" % n)
        if problems:
            failed += 1
            for p in problems:
                print("FAIL: %s" % p)
        else:
            print("ok: %s" % name)
        sys.stdout.flush()
    print("badinput: %d cases, %d failed, %d skipped (%.0f s)" % (
        len(cases), failed, skipped, time.time() - t0))
    return 1 if failed else SKIP if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
