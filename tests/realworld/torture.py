#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""torture.py - GCC's C torture execution tests, plain and instrumented.

Each program of gcc/testsuite/gcc.c-torture/execute/ (and its ieee/
subdirectory) is built at each requested -O level twice: plain, and with
-fplugin=mprof.so -fplugin-arg-mprof-all.  A test passes when it exits 0.
Every test that passes plain must pass instrumented, and an instrumented
build must never fail where the plain one succeeds (internal compiler
errors above all).

The test's own DejaGnu directives are honoured the way gcc-dg.exp would on
x86_64-linux-gnu: dg-options / dg-additional-options (with their target
selectors), dg-skip-if, dg-require-effective-target and friends, and the
`lappend additional_flags` of ieee/*.x plus ieee.exp's -fno-inline.  A test
needing an effective target this machine does not have (or one this script
does not know) is counted as skipped, with the reason.

    torture.py --plugin PLUGIN --src EXECUTE_DIR --work DIR
               [--opt -O0 --opt -O2] [--jobs N] [--filter GLOB]
               [--xfail FILE] [--keep] [--lazy-plain]

Instrumented runs alternate the heap and rss backends (by test index) and
write their tables to a file; a run that exits 0 but prints no table, or
whose runtime complains on stderr, is listed as a warning.  A run whose
runtime reports dropped probe events (in the table file or on stderr)
fails, unless the test's source longjmps or takes signals.

Every build has -Wall -Wextra -Winline (-Wno-error last: a test's own
-Werror stays out of the way), and the instrumented build must give the
plain build's warnings: the same set of (file:line, -Woption) pairs, or
the message where there is no option.  A difference is a failure.

--lazy-plain (for CI) builds the plain program only when the instrumented
one fails, to tell a bug from a test that fails anyway; a test passing
instrumented is then counted as passing plain too.  The plain warnings
then come from a compile to an object file only.

--xfail FILE lists known failures, one per line: `NAME LEVELS reason`,
LEVELS a comma-separated list of -O levels as given to --opt (globs
allowed), the reason naming the reproducer in tests/plugin/repro/.  Such a
test failing at such a level is an expected failure; passing, it is
reported (XPASS) so that the list shrinks.  Exit status 1 when a test fails
unexpectedly.
"""

import argparse
import concurrent.futures
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import time

TRIPLET = "x86_64-pc-linux-gnu"

# Effective targets of x86_64-linux-gnu with glibc (lib/target-supports.exp).
TARGET_TRUE = {
    "int32plus", "int32", "label_values", "trampolines", "alloca",
    "indirect_jumps", "untyped_assembly", "return_address", "fileio",
    "unwrapped", "stdint_types", "mmap", "double64plus", "double64",
    "c99_runtime", "longlong64", "int128", "signal", "fpic", "lp64",
    "nonpic", "ptr32plus", "size32plus", "large_double", "sync_int_long",
    "sync_char_short", "weak", "alias", "stack_size", "dfp", "lto",
    "scheduling", "pthread", "tls", "tls_runtime", "nonlocal_goto",
    "sse2", "sse2_runtime", "x86", "section_anchors_none",
}
TARGET_FALSE = {
    "ia32", "x32", "freestanding", "newlib_nano_io", "vxworks_kernel",
    "avr_tiny", "ilp32", "int16", "ti_c67x", "coldfire_fpu", "hard_float_none",
}
WARN_FLAGS = ["-Wall", "-Wextra", "-Winline"]
PLAIN_TIMEOUT = 10
PROF_TIMEOUT = 60
CC_TIMEOUT = 300


class Unknown(Exception):
    """An effective target this script cannot decide."""


def tcl_words(s):
    """Split a Tcl list into words: {braced}, "quoted" or bare."""
    words, i, n = [], 0, len(s)
    while i < n:
        while i < n and s[i].isspace():
            i += 1
        if i >= n:
            break
        if s[i] == "{":
            depth, j = 1, i + 1
            while j < n and depth:
                if s[j] == "{":
                    depth += 1
                elif s[j] == "}":
                    depth -= 1
                j += 1
            words.append(("list", s[i + 1:j - 1]))
            i = j
        elif s[i] == '"':
            j = i + 1
            while j < n and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            words.append(("str", s[i + 1:j]))
            i = j + 1
        else:
            j = i
            while j < n and not s[j].isspace():
                j += 1
            words.append(("word", s[i:j]))
            i = j
    return words


def directives(text):
    """Every { dg-NAME args... } in the file, as (NAME, [words])."""
    out = []
    for m in re.finditer(r"\{\s*(dg-[a-z-]+)", text):
        depth, j = 1, m.start() + 1
        while j < len(text) and depth:
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
            j += 1
        body = text[m.end():j - 1]
        out.append((m.group(1), tcl_words(body)))
    return out


def word_true(w):
    if "-" in w or "*" in w or "?" in w:
        return fnmatch.fnmatchcase(TRIPLET, w)
    if w in TARGET_TRUE:
        return True
    if w in TARGET_FALSE:
        return False
    raise Unknown(w)


def eval_selector(words):
    """A target selector: a list of triplets/keywords, or an expression
    with !, && and ||; `target`/`xfail` prefixes are dropped."""
    if words and words[0][1] in ("target", "xfail") and words[0][0] == "word":
        words = words[1:]
    ops = [w for k, w in words if k == "word" and w in ("!", "&&", "||")]
    if not ops:
        return any(eval_selector(tcl_words(w)) if k == "list" else word_true(w)
                   for k, w in words)
    pos = 0

    def atom():
        nonlocal pos
        k, w = words[pos]
        pos += 1
        if k == "word" and w == "!":
            return not atom()
        if k == "list":
            return eval_selector(tcl_words(w))
        return word_true(w)

    def conj():
        nonlocal pos
        v = atom()
        while pos < len(words) and words[pos][1] == "&&":
            pos += 1
            v = atom() and v
        return v

    v = conj()
    while pos < len(words) and words[pos][1] == "||":
        pos += 1
        v = conj() or v
    return v


def flag_list(word):
    k, w = word
    if k == "list":
        return [x for _, x in tcl_words(w)]
    return w.split()


def opts_match(patterns, flags):
    """dg-skip-if's include/exclude option lists against the flags."""
    for p in patterns:
        if p == "*":
            return True
        for alt in p.split():
            if any(fnmatch.fnmatchcase(f, alt) for f in flags):
                return True
    return False


def x_flags(xfile):
    """Top-level `lappend additional_flags` of an ieee/*.x file."""
    flags, depth = [], 0
    with open(xfile) as f:
        for line in f:
            code = line.split("#", 1)[0]
            if depth == 0:
                m = re.match(r"\s*lappend\s+additional_flags\s+(.*)", code)
                if m:
                    flags += [w for _, w in tcl_words(m.group(1))]
            depth += code.count("{") - code.count("}")
    return flags


class Test:
    def __init__(self, path, base_flags):
        self.path = path
        self.name = os.path.relpath(path, ARGS.src)
        self.base_flags = list(base_flags)
        with open(path, errors="replace") as f:
            self.dirs = directives(f.read())
        x = path[:-2] + ".x"
        if os.path.exists(x):
            self.base_flags += x_flags(x)

    def plan(self, opt):
        """(flags, None) or (None, why skipped) at -O level `opt`."""
        flags = opt.split() + self.base_flags
        options, extra = [], []
        try:
            for name, words in self.dirs:
                sel = words[1:] if len(words) > 1 else []
                if name == "dg-options":
                    if not sel or eval_selector(tcl_words(sel[0][1])):
                        options = flag_list(words[0])
                elif name == "dg-additional-options":
                    if not sel or eval_selector(tcl_words(sel[0][1])):
                        extra += flag_list(words[0])
                elif name == "dg-require-effective-target":
                    if not word_true(words[0][1]):
                        return None, "needs " + words[0][1]
                elif name == "dg-skip-if":
                    sel = words[1:]
                    if not eval_selector(tcl_words(sel[0][1])):
                        continue
                    inc = flag_list(sel[1]) if len(sel) > 1 else ["*"]
                    exc = flag_list(sel[2]) if len(sel) > 2 else []
                    allf = flags + options + extra
                    if (inc == ["*"] or opts_match(inc, allf)) and \
                       not (exc and opts_match(exc, allf)):
                        return None, "dg-skip-if " + words[0][1]
                elif name in ("dg-do",):
                    if words and words[0][1] != "run":
                        return None, "dg-do " + words[0][1]
                elif name in ("dg-add-options", "dg-require-stack-size",
                              "dg-require-alias", "dg-require-weak",
                              "dg-prune-output", "dg-xfail-if",
                              "dg-xfail-run-if", "dg-timeout-factor"):
                    continue
                else:
                    return None, "unsupported directive " + name
        except Unknown as e:
            return None, "unknown effective target " + str(e)
        return flags + options + extra, None


def run(cmd, timeout, cwd, env=None, out=None, err=None):
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout,
                           stdin=subprocess.DEVNULL,
                           stdout=out or subprocess.DEVNULL,
                           stderr=err or subprocess.DEVNULL)
        return p.returncode
    except subprocess.TimeoutExpired:
        return "timeout"


WARNING = re.compile(r"^(\S+?):(\d+):\d+: warning: (.*?)(?: \[(-W[^]]+)\])?$")


def warnings(log):
    """The set of `file:line -Woption` (or message) of a compiler log."""
    out = set()
    with open(log, errors="replace") as f:
        for line in f:
            m = WARNING.match(line.rstrip("\n"))
            if m:
                out.add("%s:%s %s" % (os.path.basename(m.group(1)),
                                      m.group(2), m.group(4) or m.group(3)))
    return out


def one(test, index, opt):
    """Build and run one test at one -O level; returns a result dict."""
    flags, why = test.plan(opt)
    r = {"name": test.name, "opt": opt, "skip": why, "plain": False,
         "prof": False, "fail": None, "warn": None}
    if why:
        return r
    d = os.path.join(ARGS.work, re.sub(r"[^A-Za-z0-9=.]+", "", opt),
                     test.name.replace("/", "_")[:-2])
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    cc = [ARGS.cc] + flags
    plain_done = []
    plain_log = os.path.join(d, "cc-plain.log")

    def build_plain():
        """Build and run the plain program once; True if it compiled."""
        if not plain_done:
            with open(plain_log, "w") as log:
                rc = run(cc + [test.path, "-o", "plain", "-lm",
                               "-Wno-error"], CC_TIMEOUT,
                         d, err=log, out=log)
            plain_done.append(rc == 0)
            if rc == 0:
                r["plain"] = run(["./plain"], PLAIN_TIMEOUT, d,
                                 env=PLAIN_ENV) == 0
        return plain_done[0]

    if not ARGS.lazy_plain:
        build_plain()
    prof_cmd = cc + ["-fplugin=" + ARGS.plugin, "-fplugin-arg-mprof-all",
                     test.path, "-o", "prof", "-lm", "-Wno-error"]
    with open(os.path.join(d, "cc-prof.log"), "w") as log:
        rc_cc_prof = run(prof_cmd, CC_TIMEOUT, d, err=log, out=log)
    with open(os.path.join(d, "cc-prof.log"), errors="replace") as log:
        cclog = log.read()
    with open(os.path.join(d, "cmd"), "w") as f:
        f.write(" ".join(prof_cmd) + "\n")
    if "internal compiler error" in cclog:
        r["fail"] = "ICE: " + first_line(cclog, "internal compiler error")
    elif rc_cc_prof != 0:
        if build_plain():
            r["fail"] = "instrumented build failed: " + first_line(cclog, "error")
    elif r["plain"] or ARGS.lazy_plain:
        env = dict(PLAIN_ENV)
        env["MPROF_BACKEND"] = "heap" if index % 2 == 0 else "rss"
        env["MPROF_OUTPUT"] = os.path.join(d, "table.txt")
        with open(os.path.join(d, "prof.err"), "w") as err:
            rc_prof = run(["./prof"], PROF_TIMEOUT, d, env=env, err=err)
        r["prof"] = rc_prof == 0
        if r["prof"] and ARGS.lazy_plain:
            r["plain"] = True   # assumed: built only to confirm a failure
        elif not r["prof"] and (build_plain() and r["plain"]):
            r["fail"] = "instrumented run (%s): %s" % (
                env["MPROF_BACKEND"],
                "timeout" if rc_prof == "timeout" else "exit %s" % rc_prof)
        if r["prof"]:
            with open(os.path.join(d, "prof.err"), errors="replace") as f:
                perr = [l for l in f if l.startswith("mprof")]
            table = os.path.join(d, "table.txt")
            drop = dropped_events(d)
            if drop and not jumps_or_signals(test.path):
                r["fail"] = "instrumented run (%s): %s" % (
                    env["MPROF_BACKEND"], drop)
            elif perr:
                r["warn"] = "runtime said: " + perr[0].strip()
            elif not os.path.exists(table) or "Filename:" not in open(
                    table, errors="replace").read():
                r["warn"] = "no table written"
    if not r["fail"] and rc_cc_prof == 0:
        if not plain_done:
            with open(plain_log, "w") as log:
                run(cc + [test.path, "-c", "-o", "plain.o", "-Wno-error"],
                    CC_TIMEOUT, d, err=log, out=log)
        plain_w = warnings(plain_log)
        prof_w = warnings(os.path.join(d, "cc-prof.log"))
        if plain_w != prof_w:
            r["fail"] = "warnings differ: %s" % " ".join(
                sorted(["+" + w for w in prof_w - plain_w] +
                       ["-" + w for w in plain_w - prof_w]))[:300]
    if not r["fail"] and not ARGS.keep:
        shutil.rmtree(d, ignore_errors=True)
    elif r["fail"]:
        r["dir"] = d
    return r


DROPPED = re.compile(r"mprof: \d+ probe events? dropped")
JUMPS = re.compile(r"\b(?:__builtin_)?(?:sig)?(?:setjmp|longjmp)\b|"
                   r"\b(?:signal|sigaction|raise|alarm|kill)\s*\(")


def dropped_events(d):
    """The runtime's dropped-events note, from the report or stderr."""
    for name in ("table.txt", "prof.err"):
        path = os.path.join(d, name)
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                m = DROPPED.search(f.read())
            if m:
                return m.group(0)
    return None


def jumps_or_signals(path):
    """A test that longjmps or takes signals may drop events (README)."""
    with open(path, errors="replace") as f:
        return JUMPS.search(f.read()) is not None


def first_line(text, needle):
    for line in text.splitlines():
        if needle in line:
            return line.strip()[:200]
    return text.strip().splitlines()[-1][:200] if text.strip() else ""


def main():
    global ARGS, PLAIN_ENV
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--src", required=True,
                    help="gcc/testsuite/gcc.c-torture/execute")
    ap.add_argument("--work", required=True)
    ap.add_argument("--opt", action="append")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--filter", action="append")
    ap.add_argument("--xfail")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--lazy-plain", action="store_true",
                    help="build plain only to confirm an instrumented failure")
    ap.add_argument("--cc", default=os.environ.get("CC", "gcc"))
    ARGS = ap.parse_args()
    ARGS.src = os.path.abspath(ARGS.src)
    ARGS.work = os.path.abspath(ARGS.work)
    ARGS.plugin = os.path.abspath(ARGS.plugin)
    opts = ARGS.opt or ["-O0", "-O2"]
    PLAIN_ENV = {k: v for k, v in os.environ.items()
                 if not k.startswith("MPROF_")}

    xfail = {}
    if ARGS.xfail and os.path.exists(ARGS.xfail):
        with open(ARGS.xfail) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    name, levels, why = (line.split(None, 2) + ["", ""])[:3]
                    xfail[name] = (levels.split(","), why)

    tests = []
    for sub, base in (("", WARN_FLAGS), ("ieee", WARN_FLAGS + ["-fno-inline"])):
        d = os.path.join(ARGS.src, sub)
        for f in sorted(os.listdir(d)):
            if f.endswith(".c"):
                t = Test(os.path.join(d, f), base)
                if not ARGS.filter or any(fnmatch.fnmatch(t.name, g)
                                          for g in ARGS.filter):
                    tests.append(t)
    if not tests:
        print("torture: no tests found in " + ARGS.src, file=sys.stderr)
        return 2

    bad = 0
    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(ARGS.jobs) as ex:
        for opt in opts:
            results = list(ex.map(lambda it: one(it[1], it[0], opt),
                                  enumerate(tests)))
            n = len(results)
            skipped = [r for r in results if r["skip"]]
            plain = sum(r["plain"] for r in results)
            prof = sum(r["prof"] for r in results)
            fails = [r for r in results if r["fail"]]
            unexpected = 0
            def xfailed(r):
                levels, why = xfail.get(r["name"], ([], ""))
                return why if any(fnmatch.fnmatch(opt, l) for l in levels) \
                    else None
            for r in fails:
                why = xfailed(r)
                tag = "FAIL" if why is None else "XFAIL"
                unexpected += tag == "FAIL"
                print("torture %s: %s %s: %s%s" % (
                    opt, tag, r["name"], r["fail"],
                    "" if why is None else " [" + why + "]"))
                if tag == "FAIL":
                    print("torture %s:   kept in %s" % (opt, r["dir"]))
            for r in results:
                if xfailed(r) is not None and not r["fail"] and \
                   not r["skip"] and r["plain"]:
                    print("torture %s: XPASS %s (drop it from %s)" % (
                        opt, r["name"], ARGS.xfail))
                if r["warn"]:
                    print("torture %s: warning %s: %s" % (opt, r["name"],
                                                         r["warn"]))
            reasons = {}
            for r in skipped:
                reasons[r["skip"]] = reasons.get(r["skip"], 0) + 1
            if reasons:
                print("torture %s: skipped: %s" % (opt, ", ".join(
                    "%s (%d)" % kv for kv in sorted(reasons.items()))))
            print("torture %s: %d tests, %d skipped, %d run, %d passed plain, "
                  "%d passed instrumented, %d failed, %d expected failures"
                  % (opt, n, len(skipped), n - len(skipped), plain, prof,
                     unexpected, len(fails) - unexpected))
            # for projects/torture.sh: level, run, passed plain and
            # instrumented, failed, expected failures
            print("SUMMARY torture%s %d %d %d %d %d" % (
                opt.replace(" ", ""), n - len(skipped), plain, prof,
                unexpected, len(fails) - unexpected))
            sys.stdout.flush()
            bad += unexpected
    print("torture: %.0f s" % (time.time() - start))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
