#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""big_profile.py - a synthetic profile of 60 000 rows and its sources,
for measuring `mprof report --html` on a large program (docs/html.md,
"Large profiles"); no test runs it.

    big_profile.py DIR NFILES

writes DIR/src/fileNN.c (NFILES files, 2000 functions of 30 lines in
all, each line with some markup to escape) and DIR/big.json: every
function ran, a figure on each of its 30 lines.  Deterministic.
"""
import json
import os
import random
import sys

FUNCS, ROWS = 2000, 30


def main():
    out, nfiles = sys.argv[1], int(sys.argv[2])
    random.seed(1)
    os.makedirs(os.path.join(out, "src"), exist_ok=True)
    funcs = []
    for k in range(nfiles):
        name = "src/file%02d.c" % k
        lines, line = [], 1
        for j in range(FUNCS // nfiles):
            first = line + 5
            lines += ["/* gap %d */" % i for i in range(5)]
            lines += ["static int func_%d_%d(int n)" % (k, j), "{"]
            lines += ["    x[%d] = malloc(n * %d); /* <&> */" % (r, r)
                      for r in range(ROWS - 1)]
            lines.append("}")
            last = first + ROWS + 1
            rows = [[first, 10, random.randint(0, 1 << 30), 1 << 30]]
            rows += [[first + 2 + r, random.randint(1, 10**6),
                      random.randint(-(1 << 22), 1 << 22),
                      random.randint(0, 1 << 31)] for r in range(ROWS - 1)]
            funcs.append({"file": name, "dir": os.path.abspath(out),
                          "name": "func_%d_%d" % (k, j), "first_line": first,
                          "last_line": last, "rows": rows})
            line = last + 1
        with open(os.path.join(out, name), "w") as f:
            f.write("\n".join(lines) + "\n")
    funcs.sort(key=lambda f: (f["file"], f["first_line"]))
    with open(os.path.join(out, "big.json"), "w") as f:
        json.dump({"mprof": 1, "backend": "heap", "precision": 1, "pid": 1,
                   "functions": funcs}, f)


if __name__ == "__main__":
    main()
