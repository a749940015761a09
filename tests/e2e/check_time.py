#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_time.py TABLE RULES - check the Time column of a line table
printed with MPROF_COLUMNS=time against tolerances.

RULES holds one rule a line ('#' starts a comment):

    LINE MIN_MS MAX_MS [MIN_PCT MAX_PCT]

the Time of row LINE (in any table of TABLE) must lie within
[MIN_MS, MAX_MS] milliseconds and, when given, its % Time within
[MIN_PCT, MAX_PCT].  The figures are parsed from the table with their
unit (ns, us, ms, s); the checker never times anything itself.
Exit status 0 when every rule holds, 1 otherwise (one line per failure).
"""
import re
import sys

ROW = re.compile(r"^\s*(\d+)\s+-?[\d.]+ MiB\s+-?[\d.]+ MiB\s+\d+"
                 r"\s+([\d.]+) (ns|us|ms|s)\s+([\d.]+)")
UNIT = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def main(table, rules):
    rows = {}
    with open(table) as f:
        for text in f:
            m = ROW.match(text)
            if m:
                rows[int(m.group(1))] = (float(m.group(2)) * UNIT[m.group(3)],
                                         float(m.group(4)))
    bad = 0
    with open(rules) as f:
        for text in f:
            words = text.split("#", 1)[0].split()
            if not words:
                continue
            line, lo, hi = int(words[0]), float(words[1]), float(words[2])
            if line not in rows:
                print(f"check_time: line {line}: no Time figure")
                bad += 1
                continue
            ms, pct = rows[line]
            if not lo <= ms <= hi:
                print(f"check_time: line {line}: Time {ms:.3f} ms not in [{lo}, {hi}]")
                bad += 1
            if len(words) >= 5 and not float(words[3]) <= pct <= float(words[4]):
                print(f"check_time: line {line}: % Time {pct} not in [{words[3]}, {words[4]}]")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: check_time.py TABLE RULES")
    sys.exit(main(sys.argv[1], sys.argv[2]))
