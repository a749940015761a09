# SPDX-License-Identifier: MIT
# `mprof report --html DIR`, opened in a real browser (Debian's chromium,
# headless): a sample built with the plugin and run under `mprof run` with
# the heap backend; the DOM chromium builds must hold the top lines in
# order with the profile's figures and links whose #L anchors exist on the
# file page, the memory curve, and markup from a source file as text
# only; screenshots must render (a sensible size, not blank, the bars
# drawn).  Bad input: one line, status 1, nothing written.  Skipped (77)
# without chromium; scripts/deps.sh installs it.
. "$(dirname "$0")/lib.sh"

browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "skip: no chromium"; exit 77; }
py=/usr/bin/python3
[ -x "$py" ] || { echo "skip: no python3"; exit 77; }

# chrome URL PNG|-: the DOM on stdout, or a screenshot
chrome() {
	local url=$1 shot=$2 mode=(--dump-dom)
	[ "$shot" = - ] || mode=(--screenshot="$shot" --hide-scrollbars --window-size=1280,1600
		--virtual-time-budget=2000)
	HOME=$tmp timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --user-data-dir="$tmp/chrome" "${mode[@]}" "$url" 2>/dev/null
}

plugin_setup
build basic
MPROF_BACKEND=heap MPROF_OUTPUT=basic.txt MPROF_JSON=basic.json \
	"$MPROF" run -o basic.dat ./basic >/dev/null 2>&1
check "the run wrote a profile and a .dat" eval '[ -s basic.json ] && [ -s basic.dat ]'

run "$MPROF" report --html rep basic.json basic.dat
check "report --html: status 0, where it went" eval "status_is 0 && out_is \"report written to 'rep/index.html'\" && [ ! -s err ]"
check "index, the file page and the curve, no temporary left" \
	eval '[ -s rep/index.html ] && [ -s rep/basic.c.html ] && [ -s rep/memory.svg ] && [ "$(ls -A rep | wc -l)" = 3 ]'

chrome "file://$tmp/rep/index.html" - >index.dom
chrome "file://$tmp/rep/basic.c.html" - >page.dom
check "chromium loads both pages" eval '[ -s index.dom ] && [ -s page.dom ]'

# The DOM's tables against the profile: top lines in order, their
# figures those of `mprof report`'s table, every link's anchor present.
"$MPROF" report basic.json >table.txt
cat >dom.py <<'EOF'
import re, sys
from html.parser import HTMLParser

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.imgs, self.scripts = set(), [], [], 0
        self.table = None; self.rows = []; self.cell = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag == 'a' and 'href' in a: self.hrefs.append(a['href'])
        if tag == 'img': self.imgs.append(a.get('src'))
        if tag == 'script': self.scripts += 1
        if tag == 'table': self.table = a.get('id')
        if tag == 'table' and a.get('class') == 'src': self.table = 'src'
        if tag == 'tr' and self.table == 'top-lines': self.rows.append([])
        if tag == 'tr' and self.table == 'src':
            self.rows.append([a.get('id', '')])
        if tag == 'td' and self.table in ('top-lines', 'src'): self.cell = ''
    def handle_endtag(self, tag):
        if tag == 'td' and self.cell is not None:
            self.rows[-1].append(self.cell.strip()); self.cell = None
        if tag == 'table': self.table = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d

def parse(path):
    d = Dom(); d.feed(open(path, encoding='utf-8').read()); return d

index, page = parse('index.dom'), parse('page.dom')
# the line table, as `mprof report` prints it: line -> (mem, incr, occ)
table = {}
for l in open('table.txt'):
    m = re.match(r'\s*(\d+)\s+(-?[\d.]+ MiB)\s+(-?[\d.]+ MiB)\s+(\d+)', l)
    if m: table[int(m[1])] = (m[2], m[3], m[4])
rows = [r for r in index.rows if r]
fails = []
def want(cond, what):
    if not cond: fails.append(what)
want([r[5] for r in rows] == ['basic.c:26', 'basic.c:24'], 'top lines: %r' % rows)
for r in rows:
    line = int(r[5].split(':')[1])
    want(tuple(r[1:4]) == table[line], 'figures of line %d: %r' % (line, r))
links = [h for h in index.hrefs if h.startswith('basic.c.html#')]
want(len(links) >= 3, 'links to the file page: %r' % links)
for h in links:
    want(h.split('#')[1] in page.ids, 'anchor %s missing' % h)
want(index.imgs == ['memory.svg'], 'curve: %r' % index.imgs)
want('index.html' in page.hrefs, 'no way back to the index')
# every row of the table is on the file page with the same figures
src = {r[0]: r[2:5] for r in page.rows if len(r) >= 5 and r[0]}
for line, figs in table.items():
    want(tuple(src.get('L%d' % line, ())) == figs,
         'line %d on the page: %r, table: %r' % (line, src.get('L%d' % line), figs))
want(index.scripts == 0 and page.scripts == 0, 'a script')
print('\n'.join(fails))
sys.exit(1 if fails else 0)
EOF
run "$py" dom.py
check "top lines, every row's figures and the anchors in the browser's DOM" status_is 0

run "$MPROF" report --html prec --precision 3 basic.json
check "--precision 3: the figures of MPROF_PRECISION=3" eval 'status_is 0 && grep -q ">7.629 MiB</td>" prec/basic.c.html'

# Standard input, a directory named with a slash, a profile where
# nothing ran (a warning, and an index that says so).
run sh -c "\"\$MPROF\" report --html stdin/ - <basic.json"
check "- reads standard input" eval "status_is 0 && out_is \"report written to 'stdin/index.html'\" && [ -s stdin/basic.c.html ]"
echo '{"mprof": 1, "functions": []}' >empty.json
run "$MPROF" report --html empty empty.json
check "nothing ran: a warning, an index" eval "status_is 0 && err_has \"no profiled function ran in 'empty.json'\" && grep -q 'No line increased memory' empty/index.html"

# Markup in a source file and in its name stays text.
mkdir src
printf 'int f(void)\n{\n    char *p = "</td><script>alert(1)</script>";\n    return 0;\n}\n' >'src/a<b>&c.c'
cat >odd.json <<EOF
{"mprof": 1, "backend": "heap", "precision": 1, "functions": [
 {"file": "a<b>&c.c", "dir": "$tmp/src", "name": "f", "first_line": 1,
  "last_line": 5, "rows": [[1, 1, 0, 0], [3, 1, 1048576, 1048576]]}]}
EOF
run "$MPROF" report --html odd odd.json
check "a file name with markup" eval 'status_is 0 && [ -s odd/a_b__c.c.html ]'
chrome "file://$tmp/odd/a_b__c.c.html" - >odd.dom
check "its source is text: no script element, the text intact" \
	eval "! grep -qi '<script' odd.dom && grep -qF '&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;' odd.dom && grep -qF 'a&lt;b&gt;&amp;c.c' odd.dom"

# It renders: screenshots of a sensible size, not blank, bars drawn.  The
# window is tall enough to hold the index's curve and its top lines below
# it whatever the run's timing made of the curve's legend.  A loaded
# machine has made chromium shoot a page before its bars were painted: a
# shot that fails the check is taken again, up to three times, and every
# failed try is printed.
shoot() {
	chrome "file://$tmp/rep/index.html" index.png >/dev/null
	chrome "file://$tmp/rep/basic.c.html" page.png >/dev/null
}
shoot
cat >shot.py <<'EOF'
import sys
from PIL import Image
fails = []
for name, bar in (('index.png', True), ('page.png', True)):
    im = Image.open(name).convert('RGB')
    w, h = im.size
    px = list(im.getdata())
    ink = sum(1 for p in px if p != (255, 255, 255)) / len(px)
    colours = len(set(px))
    # the positive bar's colour, #f7b09a, and the negative one's, #9cc8f0
    warm = sum(1 for p in px if p == (0xf7, 0xb0, 0x9a))
    cool = sum(1 for p in px if p == (0x9c, 0xc8, 0xf0))
    if (w, h) != (1280, 1600) or ink < 0.02 or colours < 20 or warm < 50:
        fails.append('%s: %dx%d ink %.3f colours %d bar %d' % (name, w, h, ink, colours, warm))
    if name == 'page.png' and cool < 20:
        fails.append('page.png: no negative bar (%d)' % cool)
print('\n'.join(fails))
sys.exit(1 if fails else 0)
EOF
if "$py" -c 'import PIL' 2>/dev/null; then
	for try in 1 2 3; do
		run "$py" shot.py
		status_is 0 || [ $try = 3 ] || { sed "s/^/# try $try: /" out; shoot; continue; }
		break
	done
	check "screenshots render: size, ink, colours, bars" status_is 0
else
	check "screenshots written" eval '[ -s index.png ] && [ -s page.png ]'
fi

# Bad input: one line, status 1, no directory, no temporary file.
head -c 100 basic.json >truncated.json
echo '{"name": "something else", "version": 3}' >foreign.json
for bad in "truncated.json" "foreign.json" "basic.json missing.dat"; do
	# shellcheck disable=SC2086
	run "$MPROF" report --html badrep $bad
	check "bad input ($bad): one line, status 1, nothing written" \
		eval 'status_is 1 && err_lines 1 && err_has "^mprof: " && [ ! -e badrep ]'
done
mkdir keep && echo old >keep/index.html
run "$MPROF" report --html keep basic.json missing.dat
check "a failure leaves an existing directory as it was" \
	eval 'status_is 1 && [ "$(cat keep/index.html)" = old ] && [ "$(ls -A keep)" = index.html ]'
run "$MPROF" report --html rep --json basic.json
check "--html with --json: usage error" status_is 2

finish
