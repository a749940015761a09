#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_table.py - checks an mprof line table whose figures are not exact.

The heap backend's tables are compared byte for byte with tests/expected;
the rss backend's figures move with the kernel and the allocator, so this
checks them against tolerances instead:

    check_table.py TABLE [--rules RULES] [--occurrences EXPECTED]

RULES has one row per line: the expected Increment in MiB, the tolerance
in MiB, the exact Occurrences ('-' for any) and the line's source text
(leading and trailing blanks ignored), which must match exactly one
recorded row of TABLE.  '#' starts a comment line.

EXPECTED is another table of the same program (the heap backend's golden
file): every row's line number, source text and Occurrences must be the
same in TABLE, since no backend changes what the program executes.

Exit status 0 when every check passes, 1 otherwise (each failure on
stderr), 2 on a usage error or an unreadable file.
"""

import argparse
import re
import sys

ROW = re.compile(r"^\s*(\d+)\s+(-?\d+(?:\.\d+)?) MiB\s+(-?\d+(?:\.\d+)?) MiB"
                 r"\s+(\d+)   (.*)$")
BLANK = re.compile(r"^ *(\d+) {41}(.*)$")


class Row:
    """One row of a table; figures are None on a line without a record."""

    def __init__(self, file, line, mem, inc, occ, source):
        self.file, self.line, self.source = file, line, source
        self.mem, self.inc, self.occ = mem, inc, occ

    def where(self):
        return "%s:%d" % (self.file, self.line)


def extras_width(header):
    """The width of the optional columns (MPROF_COLUMNS) in the rows of a
    table with this header: 0 without them.  Rows put them at column 44
    (after Occurrences); the header's first title after "Occurrences",
    which overflows by one, is one narrower, so both end together."""
    at = header.find("   Line Contents")
    return at - 44 if at > 45 else 0


def parse(path):
    """Every row of every table in `path`, in order; the optional columns,
    if any, are left out."""
    rows, file, width = [], None, 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for text in f.read().splitlines():
            if text.startswith("Filename: "):
                file = text[len("Filename: "):]
                continue
            if text.startswith("Line #"):
                width = extras_width(text)
            if (file is None or text.startswith(("Line #", "=", "Leaked: "))
                    or not text):
                continue
            if width:
                text = text[:44] + text[44 + width:]
            m = ROW.match(text)
            if m:
                rows.append(Row(file, int(m.group(1)), float(m.group(2)),
                                float(m.group(3)), int(m.group(4)),
                                m.group(5)))
                continue
            m = BLANK.match(text)
            if m:
                rows.append(Row(file, int(m.group(1)), None, None, None,
                                m.group(2)))
    return rows


def read_rules(path):
    rules = []
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            parts = text.split(None, 3)
            if len(parts) != 4:
                raise ValueError("%s:%d: expected 'MiB TOLERANCE OCCURRENCES "
                                 "SOURCE'" % (path, n))
            inc, tol, occ, source = parts
            rules.append((float(inc), float(tol),
                          None if occ == "-" else int(occ), source.strip(),
                          "%s:%d" % (path, n)))
    return rules


def check_rules(rows, rules, fail):
    for inc, tol, occ, source, origin in rules:
        hits = [r for r in rows
                if r.occ is not None and r.source.strip() == source]
        if len(hits) != 1:
            fail("%s: '%s' matches %d recorded rows, not 1"
                 % (origin, source, len(hits)))
            continue
        r = hits[0]
        if occ is not None and r.occ != occ:
            fail("%s: '%s': Occurrences %d, expected %d"
                 % (r.where(), source, r.occ, occ))
        if abs(r.inc - inc) > tol:
            fail("%s: '%s': Increment %.1f MiB, expected %.1f +- %.1f MiB"
                 % (r.where(), source, r.inc, inc, tol))


def check_occurrences(rows, expected, fail):
    got = [(r.file, r.line, r.source, r.occ) for r in rows]
    want = [(r.file, r.line, r.source, r.occ) for r in expected]
    if got == want:
        return
    for g, w in zip(got, want):
        if g != w:
            fail("%s:%d: got Occurrences %s for '%s', expected %s for '%s'"
                 % (g[0], g[1], g[3], g[2].strip(), w[3], w[2].strip()))
            return
    fail("table has %d rows, expected %d" % (len(got), len(want)))


def main():
    ap = argparse.ArgumentParser(description="Check an mprof line table "
                                 "against tolerances.")
    ap.add_argument("table")
    ap.add_argument("--rules", help="increment/occurrence rules")
    ap.add_argument("--occurrences", metavar="EXPECTED",
                    help="a table whose Occurrences must be the same")
    args = ap.parse_args()

    failures = []

    def fail(msg):
        failures.append(msg)
        print("check_table: " + msg, file=sys.stderr)

    try:
        rows = parse(args.table)
        rules = read_rules(args.rules) if args.rules else []
        expected = parse(args.occurrences) if args.occurrences else None
    except (OSError, ValueError) as e:
        print("check_table: %s" % e, file=sys.stderr)
        return 2

    if not any(r.occ is not None for r in rows):
        fail("%s: no recorded row" % args.table)
    else:
        check_rules(rows, rules, fail)
        if expected is not None:
            check_occurrences(rows, expected, fail)
    checks = len(rules) + (expected is not None)
    print("check_table: %d checks, %d failed" % (checks, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
