#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run_examples.py - every shell command of README.md, of the docs/
pages and of the man page's EXAMPLES (cli/mprof.1), run as a user would
paste them, after scripts/setup.sh, from the repository root.

    run_examples.py SRCDIR BUILDDIR [--keep] [--list]

What is a command:
  - every line of a ```sh (or bash, shell) block; a line ending in `\\`,
    a here-document, or anything bash cannot parse alone (an open `if`,
    quote...) continues on the next lines;
  - in any other block, a line starting with `$ `; the lines after it, up
    to the next `$ ` line or the end of the block, are its expected output;
  - every line of the no-fill (.nf) parts of the man page's EXAMPLES;
  - in a ```yaml (or yml) block, a CI configuration, the shell lines of
    each `run:` (a GitHub Actions step: one line, or a `|` block) and
    each item of a `script:` list (GitLab CI), so the CI steps a page
    shows are the ones tested.

Where they run: a scratch copy of the source tree (a git repository of its
own, so `git diff` works), whose build/ holds links to BUILDDIR's entries
(new files written there stay in the scratch).  HOME is a scratch
directory, so `~/.local` is too, `/tmp/` in a command means a scratch
directory, and MPROF_*, PKG_CONFIG_PATH and CMAKE_PREFIX_PATH are unset.
All commands run in one bash session, in this order: README.md, then the
docs/ pages in DOCS_ORDER (below), then any other docs/*.md by name, then
the man page's EXAMPLES.  Each block starts in the root of the copy, and
what a block exports stays for the next ones: the README's install block
puts `mprof` on PATH (and mprof.pc on PKG_CONFIG_PATH) for every page
after it.  That is the only thing a page may take from an earlier one: a
file a page's commands read is made by that page (or is in the tree, or
in build/).

What is compared, for each command:
  - its exit status: 0, or N after `status=N`;
  - each expected output line must match a line the command printed
    (stdout or stderr, in any order); blank lines and lines starting with
    `...` are not compared.  Runs of blanks are one blank.  Text must be
    equal; numbers match within a tolerance (integers below 10 exactly,
    other integers within 25%, decimals within 25% or 1.0), exactly in an
    `exact` block.  Names that differ from run to run match anything:
    `mprofile_<digits>`, the number after `Child`, `Process`, `child of`,
    `pid`, and numbers of 9 digits or more (times, dates).

A marker, an HTML comment on a line of its own right before a block
(GitHub does not show it), says more about the block:

    <!-- readme-test: exact -->               numbers must be equal
    <!-- readme-test: status=1 -->            every command exits 1
    <!-- readme-test: creates=a.png b*.dat -->  the block makes these
                                              files (globs, relative to
                                              where the block starts, or
                                              to ~)
    <!-- readme-test: long -->                takes minutes: each
                                              command's program must exist
                                              and answer --help with status
                                              0; its output is not compared

Directives combine with `;`.  Exit status 0 when every command passed, 1
otherwise (each failure says FILE:LINE, the command and why).
"""
import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

SHELL_LANGS = {"sh", "bash", "shell"}
YAML_LANGS = {"yaml", "yml"}
# docs/ pages in the order their commands run, after README.md: a page
# that builds on another comes after it.  Pages not listed run after
# these, by name, so a new page is never skipped.
DOCS_ORDER = ["building.md", "settings.md", "columns.md", "limits.md",
              "mprof-run.md", "json.md", "memory_usage.md", "tests.md",
              "realworld.md", "performance.md", "DESIGN.md", "PLUGIN.md"]
SESSION_TIMEOUT = 240       # seconds for all commands; ctest allows 300
MARKER = re.compile(r"^\s*<!--\s*readme-test:(.*?)-->\s*$")
ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


class Command:
    """One command: its text, where it is written, what it should print."""

    def __init__(self, text, where, block):
        self.text = text
        self.where = where
        self.block = block
        self.expected = []
        self.files = None       # WORK/<n>: where its .out, .err, .status go


class Block:
    """One fenced block (or the man page's EXAMPLES) and its directives."""

    def __init__(self, where, directives):
        self.where = where
        self.commands = []
        self.exact = False
        self.long = False
        self.status = 0
        self.creates = []
        for d in filter(None, (d.strip() for d in directives.split(";"))):
            if d == "exact":
                self.exact = True
            elif d == "long":
                self.long = True
            elif d.startswith("status="):
                self.status = int(d[len("status="):])
            elif d.startswith("creates="):
                self.creates = d[len("creates="):].split()
            else:
                raise SystemExit(f"{where}: unknown readme-test directive '{d}'")


def complete(text):
    """Whether bash can parse TEXT as it is (no open quote, if, heredoc)."""
    if text.rstrip().endswith("\\"):
        return False
    r = subprocess.run(["bash", "-n"], input=text + "\n", text=True,
                       capture_output=True)
    return r.returncode == 0 and "here-document" not in r.stderr


def heredoc_end(line):
    """The delimiter of a here-document LINE opens, or None."""
    m = re.search(r"(?<!<)<<(?!<)-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1", line)
    return m.group(2) if m else None


def shell_commands(lines, first, name, block):
    """Commands of a shell block: LINES, the first on line FIRST."""
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            i += 1
            continue
        start, text = i, line
        end = heredoc_end(line)
        i += 1
        while i < len(lines) and (end or not complete(text)):
            text += "\n" + lines[i]
            if end and lines[i].strip() == end:
                end = None
            i += 1
        block.commands.append(Command(text, f"{name}:{first + start}", block))


def dollar_commands(lines, first, name, block):
    """`$ ` commands of a non-shell block and the output after each."""
    cmd = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            text, start = line[2:], i
            while text.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                text += "\n" + lines[i]
            cmd = Command(text, f"{name}:{first + start}", block)
            block.commands.append(cmd)
        elif cmd is not None:
            cmd.expected.append(line)
        i += 1


def yaml_commands(lines, first, name, block):
    """Commands of a CI configuration: each `run:` value (one line, or the
    more indented lines under `run: |`) and each `- ` item of a
    `script:` list."""
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(?:- )?(run|script):\s*(.*?)\s*$", lines[i])
        if not m:
            i += 1
            continue
        indent, key, value = len(m.group(1)), m.group(2), m.group(3)
        start = i
        i += 1
        body = []
        while i < len(lines) and (not lines[i].strip() or
                                  len(lines[i]) - len(lines[i].lstrip()) > indent or
                                  (key == "script" and lines[i].lstrip().startswith("- ") and
                                   len(lines[i]) - len(lines[i].lstrip()) >= indent)):
            body.append(lines[i])
            i += 1
        if key == "run" and value not in ("|", ">"):
            body = [value]
        elif key == "script":
            body = [ln.strip()[2:] for ln in body if ln.strip().startswith("- ")]
        else:
            body = [ln.strip() for ln in body]
        shell_commands(body, first + start + 1, name, block)


def docs_pages(src):
    """The docs/*.md pages of SRC, relative to it, in the order they run."""
    present = sorted(os.path.basename(p)
                     for p in glob.glob(os.path.join(src, "docs", "*.md")))
    order = [p for p in DOCS_ORDER if p in present] + \
        [p for p in present if p not in DOCS_ORDER]
    return [f"docs/{p}" for p in order]


def parse_readme(path, name):
    """Every block of a markdown page (README.md, docs/*.md) that holds
    commands, in order."""
    blocks = []
    lines = open(path, encoding="utf-8").read().split("\n")
    directives = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line)
        if m:
            directives = m.group(1)
            i += 1
            continue
        fence = re.match(r"^(\s*)```+\s*([A-Za-z0-9_+-]*)", line)
        if not fence:
            if line.strip():
                directives = ""
            i += 1
            continue
        lang, indent = fence.group(2).lower(), len(fence.group(1))
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith("```"):
            j += 1
        body = [ln[indent:] if ln[:indent].isspace() else ln for ln in lines[i + 1:j]]
        block = Block(f"{name}:{i + 1}", directives)
        if lang in SHELL_LANGS:
            shell_commands(body, i + 2, name, block)
        elif lang in YAML_LANGS:
            yaml_commands(body, i + 2, name, block)
        else:
            dollar_commands(body, i + 2, name, block)
        if block.commands:
            blocks.append(block)
        directives = ""
        i = j + 1
    return blocks


def parse_man_examples(path, name):
    """The man page's EXAMPLES section: each line of its no-fill
    (.nf ... .fi) parts is a command."""
    block = Block(f"{name}: EXAMPLES", "")
    inside = nofill = False
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if line.startswith(".SH"):
            inside = line.split(None, 1)[1].strip('"') == "EXAMPLES"
            continue
        if line.startswith(".nf") or line.startswith(".fi"):
            nofill = line.startswith(".nf")
            continue
        if not (inside and nofill) or line.startswith(".") or not line.strip():
            continue
        text = line.replace("\\-", "-").replace("\\e", "\\").replace("\\(aq", "'")
        block.commands.append(Command(text, f"{name}:{n}", block))
    return [block] if block.commands else []


# --- comparing output -------------------------------------------------

VARYING = [
    (re.compile(r"mprofile_\d+"), "mprofile_#"),
    (re.compile(r"\b(Child|Process|child of|pid|PID)(\s+)\d+"), r"\1\2#"),
    (re.compile(r"\d{9,}(\.\d+)?"), "#"),
]
NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)")


def normalise(line):
    for pattern, repl in VARYING:
        line = pattern.sub(repl, line)
    return " ".join(line.split())


def close(expected, actual, exact):
    if exact:
        return expected == actual
    e, a = float(expected), float(actual)
    if "." in expected:
        tol = max(1.0, 0.25 * abs(e))
    else:
        tol = 0 if abs(e) < 10 else 0.25 * abs(e)
    return abs(e - a) <= tol


def line_matches(expected, actual, exact):
    ep, ap = NUMBER.split(expected), NUMBER.split(actual)
    if len(ep) != len(ap):
        return False
    for k, (e, a) in enumerate(zip(ep, ap)):
        if k % 2 == 0:
            if e != a:
                return False
        elif not close(e, a, exact):
            return False
    return True


def missing_lines(cmd, printed):
    """Expected lines of CMD that no printed line matches."""
    actual = [normalise(ln) for ln in printed]
    missing = []
    for line in cmd.expected:
        if not line.strip() or line.lstrip().startswith("..."):
            continue
        want = normalise(line)
        if not any(line_matches(want, a, cmd.block.exact) for a in actual):
            missing.append(line)
    return missing


# --- running ----------------------------------------------------------

def make_scratch(src, build, root):
    """ROOT: a copy of SRC's files (tracked and untracked, not ignored),
    a git repository of its own, with build/ linking to BUILD's entries."""
    files = None
    if os.path.exists(os.path.join(src, ".git")):
        r = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached",
                            "--others", "--exclude-standard"],
                           capture_output=True)
        if r.returncode == 0:
            files = [f for f in r.stdout.decode().split("\0") if f]
    if files is None:
        files = []
        for dirpath, dirnames, filenames in os.walk(src):
            rel = os.path.relpath(dirpath, src)
            dirnames[:] = [d for d in dirnames if d != ".git" and
                           not (rel == "." and d.startswith("build"))]
            files += [os.path.normpath(os.path.join(rel, f)) for f in filenames]
    for f in files:
        s = os.path.join(src, f)
        if not os.path.isfile(s) or f.split("/")[0].startswith("build"):
            continue
        d = os.path.join(root, f)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        shutil.copy2(s, d, follow_symlinks=False)
    git = ["git", "-C", root, "-c", "user.name=readme", "-c",
           "user.email=readme@localhost", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "scratch"]):
        subprocess.run(git + args, check=True, capture_output=True)
    os.mkdir(os.path.join(root, "build"))
    for entry in os.listdir(build):
        os.symlink(os.path.join(build, entry), os.path.join(root, "build", entry))


def session_script(blocks, work, root, tmpdir):
    """One bash script running every command, each one's stdout, stderr
    and status in WORK/<n>.out, .err, .status; WORK/<b>.start marks when
    block b began."""
    out = ["exec </dev/null"]
    n = 0
    for b, block in enumerate(blocks):
        out.append(f"cd {shlex.quote(root)}")
        out.append(f": >{shlex.quote(f'{work}/block{b}.start')}")
        for cmd in block.commands:
            text = cmd.text.replace("/tmp/", tmpdir + "/")
            if block.long:
                text = long_check(text)
            cmd.files = f"{work}/{n}"
            q = shlex.quote(cmd.files)
            out.append("{\n" + text + f"\n}} >{q}.out 2>{q}.err\necho $? >{q}.status")
            n += 1
    out.append(f": >{shlex.quote(work)}/done")
    return "\n".join(out) + "\n"


def long_check(text):
    """For a `long` command: its program exists and answers --help."""
    words = shlex.split(text.split("\n")[0], comments=True)
    words = [w for w in words if not ASSIGN.match(w)]
    if not words:
        return "false"
    prog = shlex.quote(words[0])
    return (f"command -v {prog} >/dev/null || {{ echo 'no such program: '{prog} >&2; false; }}"
            f" && {prog} --help >/dev/null")


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


def check(blocks, work, root, home):
    """Every command's verdict, printed; the number of failures."""
    failures = 0
    for b, block in enumerate(blocks):
        start = os.stat(f"{work}/block{b}.start").st_mtime_ns \
            if os.path.exists(f"{work}/block{b}.start") else None
        ok_block = True
        for cmd in block.commands:
            status = read(cmd.files + ".status")
            out = read(cmd.files + ".out") or ""
            err = read(cmd.files + ".err") or ""
            why = []
            if status is None:
                why.append("did not finish (the session was stopped or ended before)")
            else:
                if int(status) != block.status:
                    why.append(f"exit status {int(status)}, expected {block.status}")
                miss = [] if block.long else \
                    missing_lines(cmd, out.splitlines() + err.splitlines())
                why += [f"no output line like: {ln}" for ln in miss]
            first = cmd.text.split("\n")[0] + (" ..." if "\n" in cmd.text else "")
            if why:
                failures += 1
                ok_block = False
                print(f"FAIL {cmd.where}: {first}")
                for w in why:
                    print(f"     {w}")
                for name, text in (("stdout", out), ("stderr", err)):
                    for ln in text.splitlines()[:15]:
                        print(f"     {name}: {ln}")
            else:
                print(f"ok   {cmd.where}: {first}{' (--help)' if block.long else ''}")
        for pattern in block.creates:
            if pattern.startswith("~/"):
                pattern = home + pattern[1:]
            made = [f for f in glob.glob(os.path.join(root, pattern))
                    if start is None or os.stat(f).st_ctime_ns >= start]
            if not made:
                failures += 1
                print(f"FAIL {block.where}: the block made no file like {pattern}")
            elif ok_block:
                print(f"ok   {block.where}: made {pattern}")
    return failures


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit("usage: run_examples.py SRCDIR BUILDDIR [--keep] [--list]")
    src, build = (os.path.abspath(a) for a in args)
    blocks = parse_readme(os.path.join(src, "README.md"), "README.md")
    for page in docs_pages(src):
        blocks += parse_readme(os.path.join(src, page), page)
    blocks += parse_man_examples(os.path.join(src, "cli", "mprof.1"), "cli/mprof.1")
    if "--list" in sys.argv:
        for block in blocks:
            for cmd in block.commands:
                print(f"{cmd.where}: {cmd.text}")
        return 0
    if not any(cmd for block in blocks for cmd in block.commands):
        sys.exit("run_examples: no commands found in README.md or docs/")

    scratch = tempfile.mkdtemp(prefix="mprof-readme.")
    try:
        root, work = f"{scratch}/mprof", f"{scratch}/work"
        home, tmpdir = f"{scratch}/home", f"{scratch}/tmp"
        for d in (work, home, tmpdir):
            os.mkdir(d)
        make_scratch(src, build, root)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("MPROF_")
               and k not in ("PKG_CONFIG_PATH", "CMAKE_PREFIX_PATH", "mprof_DIR")}
        env.update(HOME=home, TMPDIR=tmpdir)
        script = session_script(blocks, work, root, tmpdir)
        with open(f"{work}/session.sh", "w") as f:
            f.write(script)
        session = subprocess.Popen(["bash", "--noprofile", "--norc", f"{work}/session.sh"],
                                   cwd=root, env=env, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            session.wait(timeout=SESSION_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(session.pid, signal.SIGKILL)
            session.wait()
            print(f"FAIL the commands took more than {SESSION_TIMEOUT} s: stopped")
        failures = check(blocks, work, root, home)
        if not os.path.exists(f"{work}/done"):
            failures += 1
            print("FAIL the session ended early (a command ran `exit`?)")
        n = sum(len(b.commands) for b in blocks)
        print(f"{n} commands, {failures} failures")
        return 1 if failures else 0
    finally:
        if "--keep" in sys.argv:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
