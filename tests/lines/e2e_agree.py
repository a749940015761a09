#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""e2e_agree.py - `mprof lines --backend heap` against the plugin's
`-fplugin-arg-mprof-all` build, heap backend, both exact (docs/lines.md,
"How these tables differ from the plugin's").

    e2e_agree.py MPROF PLUGIN SRCDIR CC [--top N] SOURCE [ARGS...]
    e2e_agree.py MPROF PLUGIN SRCDIR CC --samples
    e2e_agree.py --json LINES.json PLUGIN.json [--top N] [--tol F] [--allow-missing K]

SOURCE is built twice with -O2 -g: plainly, run under `mprof lines
--backend heap`, and with the plugin (-all), run with MPROF_BACKEND=heap
and MPROF_JSON.  mprof lines charges each malloc and free to the line
that called it, the plugin charges every line with what happened while
it ran, calls included, and so does mprof lines with the heap backend
(the callers' lines from the stack, inlined calls from the debug
information); so every line mprof lines charges must show the same
Increment in the plugin's profile, and the N lines the plugin ranks
highest by Increment (absolute) must show the same in mprof lines'.
Lines are matched by file name (without directories) and number; the
signature rows are left out (the plugin's holds the figure at the first
entry, not a change).
--samples checks the samples listed below; --json compares two profiles
already written (tests/realworld/projects/sqlite.sh, speedtest1): with
--tol F, only the top N lines of each side, within F (relative; 0, the
default: equal), and up to K of the plugin's top N may be missing from
mprof lines' profile.
Prints what it compared; exit status 1 on a disagreement.
"""
import json
import os
import subprocess
import sys
import tempfile

# processing_inefficient's table_free() ends with a tail call to free(),
# which the preload library finds (docs/lines.md, a tail call).
SAMPLES = ["basic", "rows", "leak", "chunked", "streaming", "recursive", "processing_inefficient"]
# Test programs of tests/lines/progs: e2e_tailcall has tail calls further
# out on the stack (a caller's line found from the jump of the function
# its call went to), and ends at once (its mappings read before it is gone).
PROGS = ["e2e_tailcall"]
# With the rss backend (lines of at least 1 MiB, within 10%): samples
# whose freed memory leaves the process (glibc's mmap threshold).
RSS_SAMPLES = ["basic", "streaming", "chunked"]


def rows_of(path):
    with open(path) as fh:
        prof = json.load(fh)
    out = {}
    for f in prof["functions"]:
        base = os.path.basename(f["file"])
        for line, count, incr, peak in f["rows"]:
            if line == f["first_line"]:
                continue    # the plugin's signature row: the figure at entry
            key = (base, line)
            out[key] = out.get(key, 0) + incr
    return out


def close(a, b, tol):
    if a is None or b is None:
        return False
    return a == b if tol == 0 else abs(a - b) <= tol * max(abs(a), abs(b))


def judge(name, ours, theirs, top, tol=0, floor=0, allow_missing=0, every=True):
    """tol 0 and every: heap, every line equal; else the lines of at least
    floor bytes, each side's top N, within tol of the other side (equal
    when tol is 0).  Up to allow_missing of the plugin's top N may be
    absent from mprof lines' profile (a tail call: docs/lines.md)."""
    bad = []
    missing = []
    for key, incr in sorted(ours.items()):
        if every and tol == 0 and incr and theirs.get(key) != incr:
            bad.append(f"{key[0]}:{key[1]}: mprof lines {incr}, plugin {theirs.get(key)}")
    ranked = sorted((k for k in ours if abs(ours[k]) > floor), key=lambda k: -abs(ours[k]))[:top]
    theirs_ranked = sorted((k for k in theirs if abs(theirs[k]) > floor),
                           key=lambda k: -abs(theirs[k]))[:top]
    for k in theirs_ranked:
        if ours.get(k) is None and len(missing) < allow_missing:
            missing.append(f"{k[0]}:{k[1]} (the plugin's top {top}, {theirs[k]}) is not in mprof lines' profile")
            continue
        if not close(ours.get(k), theirs[k], tol):
            bad.append(f"{k[0]}:{k[1]} (the plugin's top {top}): plugin {theirs[k]}, mprof lines {ours.get(k)}")
    for k in ranked:
        if every and tol == 0:
            break       # every line was checked above
        if theirs.get(k) is None and len(missing) < allow_missing:
            continue    # the tail call's callers, counted above
        if not close(ours[k], theirs.get(k), tol):
            bad.append(f"{k[0]}:{k[1]} (mprof lines' top {top}): mprof lines {ours[k]}, plugin {theirs.get(k)}")
    print(f"{name}: {len(ours)} lines charged, top {len(ranked)}: " +
          ", ".join(f"{k[0]}:{k[1]}:{ours[k] / 1048576:+.1f}" for k in ranked))
    for m in missing:
        print("  allowed: " + m)
    for b in bad:
        print("  DISAGREE " + b)
    return not bad


def compare(mprof, plugin, srcdir, cc, source, args, top, work, backend="heap"):
    name = os.path.splitext(os.path.basename(source))[0]
    plain = os.path.join(work, name + ".plain")
    inst = os.path.join(work, name + ".all")
    inc = ["-I", os.path.join(srcdir, "include")]
    source = os.path.abspath(source)
    cwd = os.path.dirname(source)
    subprocess.run([cc, "-O2", "-g", "-pthread"] + inc + [source, "-o", plain], check=True, cwd=cwd)
    subprocess.run([cc, "-O2", "-g", "-pthread", "-fplugin=" + plugin, "-fplugin-arg-mprof-all"] + inc +
                   [source, "-o", inst], check=True, cwd=cwd)
    ours_json = os.path.join(work, name + ".lines.json")
    theirs_json = os.path.join(work, name + ".all.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPROF_")}
    subprocess.run([mprof, "lines", "--backend", backend, "--functions", "0", "-o", ours_json, plain] + args,
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env2 = dict(env, MPROF_BACKEND=backend, MPROF_JSON=theirs_json, MPROF_OUTPUT="/dev/null")
    subprocess.run([inst] + args, check=True, env=env2, stdout=subprocess.DEVNULL)
    if backend == "rss":
        return judge(name + " (rss)", rows_of(ours_json), rows_of(theirs_json), top, 0.10, 1 << 20)
    return judge(name, rows_of(ours_json), rows_of(theirs_json), top)


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--json"]:
        opts = dict(zip(argv[3::2], argv[4::2]))
        ok = judge(os.path.basename(argv[1]), rows_of(argv[1]), rows_of(argv[2]),
                   int(opts.get("--top", 10)), float(opts.get("--tol", 0)), 0,
                   int(opts.get("--allow-missing", 0)), every=False)
        sys.exit(0 if ok else 1)
    mprof, plugin, srcdir, cc = argv[:4]
    mprof, plugin, srcdir = (os.path.abspath(p) for p in (mprof, plugin, srcdir))
    rest = argv[4:]
    top = 10
    if rest[:1] == ["--top"]:
        top = int(rest[1])
        rest = rest[2:]
    ok = True
    with tempfile.TemporaryDirectory(prefix="mprof-agree.") as work:
        if rest == ["--samples"]:
            for s in SAMPLES:
                ok &= compare(mprof, plugin, srcdir, cc, os.path.join(srcdir, "samples", s + ".c"), [], top, work)
            for s in PROGS:
                ok &= compare(mprof, plugin, srcdir, cc, os.path.join(srcdir, "tests", "lines", "progs", s + ".c"),
                              [], top, work)
            probe = subprocess.run([mprof, "lines", "-o", os.path.join(work, "probe.json"), "true"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if "not allowed" in probe.stderr:
                print("perf events are not allowed here: the rss comparisons are skipped")
            elif "is not seen" in probe.stderr:
                # no tracefs: mprof lines shows growth only (docs/lines.md)
                print("memory given back is not seen here (tracefs): the rss comparisons are skipped")
            else:
                for s in RSS_SAMPLES:
                    ok &= compare(mprof, plugin, srcdir, cc, os.path.join(srcdir, "samples", s + ".c"), [],
                                  top, work, "rss")
        else:
            ok = compare(mprof, plugin, srcdir, cc, rest[0], rest[1:], top, work)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
