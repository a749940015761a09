#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_columns.py TABLE EXPECTED - the optional columns of a table made
with MPROF_COLUMNS=allocs,peak,leaked under another backend than heap,
against the heap backend's expected table of the same run (EXPECTED).

Allocs, Allocated and Leaked come from the allocation wrappers whatever
the backend: they, the Occurrences and the "Leaked: ..." summary lines
must be equal.  Peak follows the backend's figure: within 10% or 0.5 MiB
of the heap's.  Mem usage and Increment are not compared.  Exit status
0 when every row passes, 1 otherwise (one line per difference).
"""
import re
import sys

ROW = re.compile(r"^\s*(\d+)\s+-?[\d.]+ MiB\s+-?[\d.]+ MiB\s+(\d+)\s+(\d+)"
                 r"\s+(-?[\d.]+) MiB\s+(-?[\d.]+) MiB\s+(-?[\d.]+) MiB")


def parse(path):
    """[(table index, line, occurrences, allocs, allocated, peak, leaked)],
    and the summary lines."""
    rows, summaries, table = [], [], -1
    with open(path) as f:
        for text in f:
            if text.startswith("Filename:"):
                table += 1
            elif text.startswith("Leaked:"):
                summaries.append(text.strip())
            m = ROW.match(text)
            if m:
                g = m.groups()
                rows.append((table, int(g[0]), int(g[1]), int(g[2]),
                             float(g[3]), float(g[4]), float(g[5])))
    return rows, summaries


def main(table, expected):
    got, got_sum = parse(table)
    want, want_sum = parse(expected)
    bad = []
    if len(got) != len(want):
        bad.append(f"{len(got)} rows, expected {len(want)}")
    for g, w in zip(got, want):
        where = f"table {w[0] + 1} line {w[1]}"
        if g[:5] != w[:5] or g[6] != w[6]:
            bad.append(f"{where}: line, Occurrences, Allocs, Allocated or Leaked "
                       f"{g} differ from {w}")
        elif abs(g[5] - w[5]) > max(0.5, 0.1 * abs(w[5])):
            bad.append(f"{where}: Peak {g[5]} MiB, expected about {w[5]}")
    if got_sum != want_sum:
        bad.append(f"summary lines {got_sum} differ from {want_sum}")
    for b in bad:
        print(f"check_columns: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: check_columns.py TABLE EXPECTED")
    sys.exit(main(sys.argv[1], sys.argv[2]))
