#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_tables.py - does an mprof report make sense against its sources?

    check_tables.py [--base DIR] [--expect-file SUFFIX]... [--expect-row SPEC]...
                    REPORT

For every table of REPORT (the at-exit report; docs/columns.md, "The
table's format"):
  - "Filename:" names a file that exists (relative names are taken from
    --base, the directory the project was compiled in);
  - the header and the '=' line are memory_profiler's, byte for byte;
  - row numbers run from the first to the last row without a gap;
  - each row's source column is the file's line, as it is in the file;
  - the first row is a function's signature: the text from it to the first
    '{' has `name(` and no ';' (so the table starts at a definition);
  - the last row is that definition's closing brace (braces counted from
    the signature, skipping comments, strings and character constants);
  - the first row has a call count, every figure reads "<number> MiB", and
    no function appears twice (copies are merged).
Tables of --skip-file GLOB files are not checked.  Then each
--expect-file SUFFIX must have at least one table, and each
--expect-row holds:
    FILE:LINE=N      row LINE of the table of FILE (suffix) has Occurrences N
    FILE:NAME()=N    the function NAME of FILE was called N times
Prints one line per problem and a last line "N tables, M files, R rows
checked: ok" (or "... K problems"); exit status 1 on any problem.
"""

import argparse
import fnmatch
import os
import re
import sys

HEADER = "Line #    Mem usage    Increment  Occurrences   Line Contents"
ROW = re.compile(r"^(\s*\d+) (.{12}) (.{12})  (.{10})   (.*)$")
ROW_WIDE = re.compile(
    r"^\s*(\d+)\s+(-?[\d.]+ MiB)\s+(-?[\d.]+ MiB)\s+(\d+)   (.*)$")
FIGURE = re.compile(r"^-?\d+(\.\d+)? MiB$")


def parse(report):
    """Tables as dicts: file, header, rule, rows [(line, mem, inc, occ, src)]."""
    tables, lines, i = [], report.split("\n"), 0
    while i < len(lines):
        if not lines[i].startswith("Filename: "):
            i += 1
            continue
        t = {"file": lines[i][len("Filename: "):], "at": i + 1, "rows": [],
             "problems": []}
        i += 1
        if i < len(lines) and lines[i] == "":
            i += 1
        t["header"] = lines[i] if i < len(lines) else ""
        t["rule"] = lines[i + 1] if i + 1 < len(lines) else ""
        i += 2
        while i < len(lines) and lines[i] != "":
            m = ROW.match(lines[i])
            if m and m.group(1).strip().isdigit():
                mem, inc, occ = (m.group(k).strip() for k in (2, 3, 4))
                t["rows"].append((int(m.group(1)), mem, inc, occ, m.group(5)))
            else:
                m = ROW_WIDE.match(lines[i])
                if m:
                    t["rows"].append((int(m.group(1)), m.group(2), m.group(3),
                                      m.group(4), m.group(5)))
                else:
                    t["problems"].append("unreadable row %r" % lines[i][:80])
            i += 1
        tables.append(t)
    return tables


def strip_code(text):
    """The text with comments, strings and character constants blanked
    (newlines kept), so braces can be counted."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def first_branches(code_lines):
    """Blank the #else/#elif branches of conditionals, so that braces
    written once per branch are counted once."""
    out, stack, cont = [], [], False
    for line in code_lines:
        if cont:                # continuation of a directive
            cont = line.rstrip().endswith("\\")
            out.append("")
            continue
        d = re.match(r"^\s*#\s*(\w+)", line)
        cont = bool(d) and line.rstrip().endswith("\\")
        word = d.group(1) if d else ""
        if word in ("if", "ifdef", "ifndef"):
            stack.append(False)
        elif word in ("elif", "else") and stack:
            stack[-1] = True
        elif word == "endif" and stack:
            stack.pop()
        out.append("" if d or any(stack) else line)
    return out


def closing_line(code, brace, line):
    """The line of the brace closing the one at offset BRACE of CODE."""
    depth = 0
    for ch in code[brace:]:
        if ch == "\n":
            line += 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                break
    return line


def check_table(t, src_lines, code_lines, raw_lines=None):
    p = t["problems"]
    rows = t["rows"]
    if raw_lines is None:
        raw_lines = code_lines
    if t["header"] != HEADER:
        p.append("header is %r" % t["header"])
    if t["rule"] != "=" * len(HEADER):
        p.append("rule line is %r" % t["rule"])
    if not rows:
        p.append("no rows")
        return
    first, last = rows[0][0], rows[-1][0]
    for k, r in enumerate(rows):
        if r[0] != first + k:
            p.append("row %d follows row %d" % (r[0], rows[k - 1][0]))
            break
    for r in rows:
        line, mem, inc, occ, text = r
        if line < 1 or line > len(src_lines):
            p.append("row %d is beyond the file's %d lines" % (line, len(src_lines)))
            return
        if text != src_lines[line - 1]:
            p.append("row %d shows %r, the file has %r" % (line, text[:60],
                                                           src_lines[line - 1][:60]))
        if occ:
            if not occ.isdigit():
                p.append("row %d: occurrences %r" % (line, occ))
            for f in (mem, inc):
                if not FIGURE.match(f):
                    p.append("row %d: figure %r" % (line, f))
        elif mem or inc:
            p.append("row %d has figures but no occurrences" % line)
    if not rows[0][3]:
        p.append("signature row %d has no call count" % first)
    # The signature: from the first row to the first '{'.
    code = "\n".join(code_lines[first - 1:])
    brace = code.find("{")
    head = code[:brace] if brace >= 0 else ""
    if len(rows) == 1 and re.match(r"^\s*[A-Z_][A-Z0-9_]*\s*\(",
                                   src_lines[first - 1]):
        t["macro"] = True       # a function made by a macro: one row
        return
    # No ';' before the parameter list closes (K&R declarations follow it).
    params = head
    if "(" in head:
        depth, k = 0, head.index("(")
        for k in range(head.index("("), len(head)):
            depth += {"(": 1, ")": -1}.get(head[k], 0)
            if depth == 0:
                break
        params = head[:k + 1]
    macro_head = re.match(r"^\s*[A-Z_][A-Z0-9_]*\s*$", head)   # YY_DECL {
    if brace < 0 or ";" in params or not (macro_head or
                                          re.search(r"[A-Za-z_]\w*\s*\(", head)):
        p.append("row %d does not start a function definition: %r" % (
            first, src_lines[first - 1][:60]))
        return
    # Its name is the last identifier before the parameter list's '('.
    m = re.search(r"([A-Za-z_]\w*)\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*$",
                  head.strip()) or re.search(r"([A-Za-z_]\w*)\s*\(", head)
    t["name"] = m.group(1) if m else None
    line = closing_line(code, brace, first + head.count("\n"))
    # Braces split across #if branches can fool the count: a closing
    # brace in column 0, the first after the signature, also ends it, and
    # so does the count over every branch (raw text, comments blanked).
    col0 = next((k for k in range(first + 1, len(src_lines) + 1)
                 if src_lines[k - 1].startswith("}")), None)
    if line != last and col0 != last:
        raw = "\n".join(raw_lines[first - 1:])
        alt = closing_line(raw, raw.find("{"), first + raw[:raw.find("{")].count("\n"))
        if alt != last:
            p.append("last row %d, but the function's closing brace is on line %d"
                     % (last, line))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report")
    ap.add_argument("--base", default=".")
    ap.add_argument("--expect-file", action="append", default=[])
    ap.add_argument("--expect-row", action="append", default=[])
    ap.add_argument("--skip-file", action="append", default=[],
                    help="glob: tables of these files are not checked "
                    "(sources whose #line directives are known to be wrong)")
    args = ap.parse_args()
    with open(args.report, errors="replace") as f:
        tables = parse(f.read())
    problems, files, nrows, sources, seen = [], set(), 0, {}, {}
    skipped = 0
    for t in tables:
        path = t["file"] if os.path.isabs(t["file"]) else \
            os.path.join(args.base, t["file"])
        if path not in sources:
            try:
                with open(path, errors="replace") as f:
                    text = f.read()
                stripped = strip_code(text).split("\n")
                sources[path] = (text.split("\n"), first_branches(stripped),
                                 [re.sub(r"^\s*#.*", "", l) for l in stripped])
            except OSError as e:
                sources[path] = None
                problems.append("%s: cannot read: %s" % (t["file"], e.strerror))
        files.add(t["file"])
        if any(fnmatch.fnmatch(t["file"], g) for g in args.skip_file):
            skipped += 1
            continue
        if sources[path]:
            check_table(t, *sources[path])
        key = (t["file"], t["rows"][0][0] if t["rows"] else 0)
        if key in seen:
            t["problems"].append("function at line %d has two tables" % key[1])
        seen[key] = t
        nrows += len(t["rows"])
        for msg in t["problems"]:
            problems.append("%s (report line %d): %s" % (t["file"], t["at"], msg))
    for suffix in args.expect_file:
        if not any(f == suffix or f.endswith("/" + suffix) for f in files):
            problems.append("no table for %s (files: %s)" % (
                suffix, ", ".join(sorted(files)[:10])))
    for spec in args.expect_row:
        m = re.match(r"^(.+):(\d+|[A-Za-z_]\w*\(\))=(\d+)$", spec)
        if not m:
            problems.append("bad --expect-row %r" % spec)
            continue
        fsuf, what, want = m.group(1), m.group(2), m.group(3)
        cands = [t for t in tables if t["file"] == fsuf or
                 t["file"].endswith("/" + fsuf)]
        got = None
        for t in cands:
            if what.endswith("()"):
                if t.get("name") == what[:-2]:
                    got = t["rows"][0][3]
            else:
                for r in t["rows"]:
                    if r[0] == int(what):
                        got = r[3]
        if got != want:
            problems.append("%s: expected Occurrences %s, got %s" % (
                spec, want, "no such row" if got is None else repr(got)))
    for msg in problems:
        print(msg)
    macros = sum(1 for t in tables if t.get("macro"))
    print("%d tables (%d of functions made by macros, %d skipped), %d files, "
          "%d rows checked: %s" % (
        len(tables), macros, skipped, len(files), nrows,
        "ok" if not problems else "%d problems" % len(problems)))
    return 1 if problems or not tables else 0


if __name__ == "__main__":
    sys.exit(main())
