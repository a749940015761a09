# SPDX-License-Identifier: MIT
"""Print line tables with memory_profiler's own show_results().

The oracle of test_table.c's test_matches_memory_profiler: it reads a case
file written by that test and prints what Python's memory_profiler prints
for the same figures, so the test can compare mprof's output byte for byte.

Case file, one record a line (the path last, so it may hold spaces):

    precision P
    table FIRST LAST PATH
    row LINE COUNT INCR_BYTES PEAK_BYTES

Figures are bytes; like mprof, this divides them by 2**20.  Exit status 77
means memory_profiler cannot be imported (the test is then skipped).
"""
import io
import sys

try:
    import memory_profiler
except ImportError:
    sys.exit(77)


class FakeCodeMap:
    """What show_results() iterates: (filename, [(lineno, (inc, mem, occ)
    or None), ...]) per table."""

    def __init__(self, tables):
        self.tables = tables

    def items(self):
        for path, first, last, rows in self.tables:
            yield (path, ((line, rows.get(line))
                          for line in range(first, last + 1)))


class FakeProf:
    def __init__(self, tables):
        self.code_map = FakeCodeMap(tables)


def main():
    precision = 1
    tables = []
    with open(sys.argv[1], encoding='utf-8') as f:
        for rec in f:
            rec = rec.rstrip('\n')
            kind, _, rest = rec.partition(' ')
            if kind == 'precision':
                precision = int(rest)
            elif kind == 'table':
                first, last, path = rest.split(' ', 2)
                tables.append((path, int(first), int(last), {}))
            elif kind == 'row':
                line, count, incr, peak = (int(x) for x in rest.split())
                tables[-1][3][line] = (incr / 2**20, peak / 2**20, count)
            else:
                raise SystemExit('bad record: ' + rec)
    out = io.StringIO()
    memory_profiler.show_results(FakeProf(tables), stream=out,
                                 precision=precision)
    sys.stdout.buffer.write(out.getvalue().encode('utf-8'))


main()
