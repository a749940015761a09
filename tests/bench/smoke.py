#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""smoke.py - bench/run on its smallest real case, label `bench`:
`bench/run --quick --only interp --reps 1 --no-install` against this build,
in a scratch cache, with TMPDIR pointing into the scratch directory.  It
checks what the benchmark must keep doing, never how fast anything runs:

- every column of the table has a figure for interp (plain, gcov, the
  mprof builds, and each peer tool that is installed), none FAILED;
- the gcov build counts (run with GCOV_PREFIX, it writes .gcda files
  there), yet bench/run leaves no .gcda file in the cache, in its
  temporary directory or in the source tree;
- interp's register machine computes what the same programs compute in
  Python (Collatz steps, primes below 2N, the sorted numbers' checksum);
- `--help` names every workload `--only` takes.

About 6 s of CPU (the -all builds of interp run once each).

    smoke.py SRCDIR BUILDDIR
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


def gcda_under(*dirs):
    found = []
    for d in dirs:
        for root, _, files in os.walk(d):
            found += [os.path.join(root, f) for f in files if f.endswith(".gcda")]
    return found


def collatz_steps(n):
    total = 0
    for k in range(1, n + 1):
        x = k
        while x != 1:
            x = x // 2 if x % 2 == 0 else 3 * x + 1
            total += 1
    return total


def primes_below(m):
    composite = bytearray(m)
    count = 0
    for i in range(2, m):
        if not composite[i]:
            count += 1
            composite[i * i::i] = b"\1" * len(range(i * i, m, i))
    return count


def sort_checksum(k):
    x, a = 12345, []
    for _ in range(k):
        x = (x * 1103515245 + 12345) & 0x7fffffff
        a.append(x)
    s = 0
    for v in sorted(a):
        s = (s * 31 + v) % (1 << 64)
    return s


def main():
    src, build = sys.argv[1], sys.argv[2]
    scratch = tempfile.mkdtemp(prefix="mprof-bench-smoke-")
    tmp = os.path.join(scratch, "tmp")
    cache = os.path.join(scratch, "cache")
    os.makedirs(tmp)
    env = dict(os.environ, TMPDIR=tmp)
    run = os.path.join(src, "bench", "run")
    before = set(gcda_under(src))

    r = subprocess.run([sys.executable, run, "--help"], stdout=subprocess.PIPE, text=True)
    known = "speedtest1,minigzip,lz4,zstd,alloc_heavy,interp,compile,probe,threads"
    check(r.returncode == 0 and known in re.sub(r"\s+", "", r.stdout),
          "--help names every workload of --only")

    r = subprocess.run([sys.executable, run, "--quick", "--only", "interp", "--reps", "1",
                        "--no-install", "--build", build, "--cache", cache], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(r.returncode == 0, f"bench/run exits 0 ({r.returncode})")
    if r.returncode:
        print(r.stderr[-3000:])
    table = r.stdout
    header = re.search(r"^\| workload \| plain s \| (.*) \|$", table, re.M)
    columns = header.group(1).split(" | ") if header else []
    check(columns[:2] == ["gcov", "mprof -all"],
          f"the gcov column comes first after plain ({columns[:2]})")
    row = re.search(r"^\| interp \d+ [^|]* \| (.*) \|$", table, re.M)
    cells = row.group(1).split(" | ") if row else []
    check(len(cells) == len(columns) + 1, f"interp has a row of {len(columns) + 1} cells")
    ratio = r"\d+\.\d\d× / \d+\.\d\d×( \(1 run\))?"
    for name, cell in zip(["plain s"] + columns, cells):
        if name == "plain s":
            ok = re.fullmatch(r"\d+\.\d\d / \d+\.\d\d", cell)
        elif name in ("heaptrack", "massif") and not shutil.which(
                "heaptrack" if name == "heaptrack" else "valgrind"):
            ok = cell == "tool missing"
        else:
            ok = re.fullmatch(ratio, cell)
        check(bool(ok), f"interp, {name}: a figure ({cell})")
    check(row is not None and "FAILED" not in row.group(0), "no FAILED cell")

    leftovers = gcda_under(cache, tmp)
    new_in_tree = sorted(set(gcda_under(src)) - before)
    check(not leftovers and not new_in_tree,
          f"no .gcda file left behind ({(leftovers + new_in_tree)[:3]})")
    gcov_exe = os.path.join(cache, "run", "interp", "interp-gcov")
    prefix = os.path.join(scratch, "prefix")
    r = subprocess.run([gcov_exe, "300"], env=dict(os.environ, GCOV_PREFIX=prefix),
                       cwd=scratch, stdout=subprocess.PIPE, text=True)
    check(r.returncode == 0 and len(gcda_under(prefix)) == 1
          and not gcda_under(os.path.join(cache, "run")),
          "the gcov build writes its counts under GCOV_PREFIX")

    n = 3000
    out = subprocess.run([os.path.join(cache, "run", "interp", "interp-plain"), str(n)],
                         stdout=subprocess.PIPE, text=True).stdout
    got = dict(re.findall(r"^(collatz|sieve|sort)\s+\d+\s+\w+\s+(\d+)$", out, re.M))
    want = {"collatz": collatz_steps(n), "sieve": primes_below(2 * n),
            "sort": sort_checksum(n // 64)}
    for k in want:
        check(got.get(k) == str(want[k]), f"interp {n}: {k} {got.get(k)}, Python says {want[k]}")

    if not FAILURES:
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        print(f"kept {scratch}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
