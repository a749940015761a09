#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""e2e_agree.py - `mprof lines --backend heap` against the plugin's
`-fplugin-arg-mprof-all` build, heap backend, both exact (docs/lines.md,
"How these tables differ from the plugin's").

    e2e_agree.py MPROF PLUGIN SRCDIR CC [--top N] SOURCE [ARGS...]
    e2e_agree.py MPROF PLUGIN SRCDIR CC --samples
    e2e_agree.py --json LINES.json PLUGIN.json [--top N]

SOURCE is built twice with -O2 -g: plainly, run under `mprof lines
--backend heap`, and with the plugin (-all), run with MPROF_BACKEND=heap
and MPROF_JSON.  mprof lines charges each malloc and free to the line
that called it, the plugin charges every line with what happened while
it ran, calls included; so every line mprof lines charges must show the
same Increment in the plugin's profile, and the N lines it ranks highest
by Increment must be among the plugin's lines, with equal figures.
Lines are matched by file name (without directories) and number.
--samples checks the samples listed below; --json compares two profiles
already written (tests/realworld/projects/sqlite.sh, speedtest1).
Prints what it compared; exit status 1 on a disagreement.
"""
import json
import os
import subprocess
import sys
import tempfile

# processing_inefficient is left out: its table_free() ends with a tail
# call to free(), whose return address is the caller's (docs/lines.md).
SAMPLES = ["basic", "rows", "leak", "chunked", "streaming", "recursive"]


def rows_of(path):
    with open(path) as fh:
        prof = json.load(fh)
    out = {}
    for f in prof["functions"]:
        base = os.path.basename(f["file"])
        for line, count, incr, peak in f["rows"]:
            key = (base, line)
            out[key] = out.get(key, 0) + incr
    return out


def judge(name, ours, theirs, top):
    bad = []
    for key, incr in sorted(ours.items()):
        if incr and theirs.get(key) != incr:
            bad.append(f"{key[0]}:{key[1]}: mprof lines {incr}, plugin {theirs.get(key)}")
    ranked = sorted((k for k in ours if ours[k]), key=lambda k: -abs(ours[k]))[:top]
    for k in ranked:
        if k not in theirs:
            bad.append(f"{k[0]}:{k[1]} (top {top}) missing from the plugin's profile")
    print(f"{name}: {len(ours)} lines charged, top {len(ranked)}: " +
          ", ".join(f"{k[0]}:{k[1]}:{ours[k] / 1048576:+.1f}" for k in ranked))
    for b in bad:
        print("  DISAGREE " + b)
    return not bad


def compare(mprof, plugin, srcdir, cc, source, args, top, work):
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
    subprocess.run([mprof, "lines", "--backend", "heap", "--functions", "0", "-o", ours_json, plain] + args,
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env2 = dict(env, MPROF_BACKEND="heap", MPROF_JSON=theirs_json, MPROF_OUTPUT="/dev/null")
    subprocess.run([inst] + args, check=True, env=env2, stdout=subprocess.DEVNULL)
    return judge(name, rows_of(ours_json), rows_of(theirs_json), top)


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--json"]:
        top = int(argv[4]) if argv[3:4] == ["--top"] else 10
        sys.exit(0 if judge(os.path.basename(argv[1]), rows_of(argv[1]), rows_of(argv[2]), top) else 1)
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
        else:
            ok = compare(mprof, plugin, srcdir, cc, rest[0], rest[1:], top, work)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
