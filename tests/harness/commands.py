#!/usr/bin/env python3
"""commands.py - every command the test scripts call comes from a package scripts/install-deps
installs, or the script skips naming it.

    commands.py SRC_DIR [SCRIPT...]

Parses every shell script under SRC_DIR/tests (or the SCRIPTs given) with shfmt (a real
parser: command substitutions inside strings, pipelines, `bash -c '...'` bodies) and collects
the name of every command called: the first word of each simple command, and the command
behind the wrappers the tests use (timeout, setpriv, strace, ip netns exec, netns_exec, ...).
Names that are shell builtins, keywords, or functions defined in the scripts are the shell's.
Every other name must be an executable that dpkg says belongs to a package listed in
scripts/debian-packages (or one of those depends on) or to one every Debian has (Essential
or Priority required); a name
found nowhere on this machine is an error, unless the same script checks for it first
(need_tools NAME, command -v NAME): that script skips, naming it, where it is missing.
Binaries of the build are called through variables ($FEEDCAP_DUMP, ...) and paths: not names.

Prints one line per command (name, package, the scripts that call it) with -v, and one line
per problem; exit 1 if there is any.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

# Wrappers: name -> (options that take a value, positional words before the command).
WRAPPERS = {
    "timeout": ({"-s", "--signal", "-k", "--kill-after"}, 1),
    "exec": ({"-a"}, 0),
    "nice": ({"-n", "--adjustment"}, 0),
    "env": ({"-u", "--unset", "-C", "--chdir"}, 0),
    "setpriv": (set(), 0),
    "strace": ({"-o", "-e", "-p", "-s", "-P", "-a", "-E", "-u", "-S", "-O", "-X", "-b", "-I"}, 0),
    "taskset": (set(), 1),
    "unshare": (set(), 0),
    "stdbuf": ({"-i", "-o", "-e"}, 0),
    "xargs": ({"-n", "-I", "-d", "-P", "-L", "-s", "-a", "-E"}, 0),
    "nohup": (set(), 0),
    "chrt": (set(), 1),
    "flock": ({"-w", "-E", "--timeout", "--conflict-exit-code"}, 1),
    "sudo": ({"-u", "-g"}, 0),
    "command": (set(), 0),
    "builtin": (set(), 0),
    "time": ({"-f", "-o"}, 0),
    # the tests' own helpers (tests/lib, tests/integration/*_common.sh)
    "netns_exec": (set(), 1),
    "netns_spawn": (set(), 2),
    "wait_until": (set(), 1),
    "at_exit": (set(), 0),
}
# Commands that take a command as a string: bash -c 'CMD', script -c 'CMD'.
STRING_RUNNERS = {"bash": "-c", "sh": "-c", "script": "-c"}
# Checks that guard a command: the script skips when it is missing.
GUARDS = {"need_tools"}


def literal(word):
    """The word's text if it is made of literals only (quoted or not), else None."""
    out = []
    for p in word.get("Parts", []):
        t = p.get("Type")
        if t == "Lit":
            out.append(p["Value"])
        elif t == "SglQuoted":
            out.append(p["Value"])
        elif t == "DblQuoted":
            inner = literal(p)
            if inner is None:
                return None
            out.append(inner)
        else:
            return None
    return "".join(out)


def parse(text, path):
    r = subprocess.run(["shfmt", "-ln", "bash", "--to-json"], input=text, capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise SystemExit(f"commands.py: shfmt cannot parse {path}: {r.stderr.strip()}")
    return json.loads(r.stdout)


class Script:
    def __init__(self, path):
        self.path = path
        self.calls = {}  # name -> first line
        self.guarded = set()
        self.functions = set()

    def call(self, name, line):
        self.calls.setdefault(name, line)

    def words_after_wrapper(self, name, words):
        opts, positional = WRAPPERS[name]
        i = 0
        if name == "command" and words and literal(words[0]) in ("-v", "-V"):
            for w in words[1:]:
                lit = literal(w)
                if lit:
                    self.guarded.add(lit)
            return []
        if name == "setpriv" or name == "unshare":
            # options are single words (--reuid=X); "--" or the first non-option ends them
            while i < len(words):
                lit = literal(words[i])
                if lit is None or not lit.startswith("-"):
                    break
                i += 1
                if lit == "--":
                    break
            return words[i:]
        while i < len(words):
            lit = literal(words[i])
            if lit is None or not lit.startswith("-") or lit == "-":
                break
            i += 1
            if lit == "--":
                break
            if lit in opts:
                i += 1
        if name == "env":
            while i < len(words) and (literal(words[i]) or "").find("=") > 0:
                i += 1
        return words[i + positional:]

    def command(self, words, line):
        while words:
            first = words[0]
            name = literal(first)
            if name is None:
                return  # "$FEEDCAP_DUMP" ..., "${cmd[@]}": the build's binaries
            if "/" in name:
                if name.startswith("/") and not name.startswith(("/dev/", "/proc/")):
                    self.call(name, line)
                return
            self.call(name, line)
            rest = words[1:]
            if name in GUARDS:
                for w in rest:
                    lit = literal(w)
                    if lit:
                        self.guarded.add(lit)
                return
            if name == "ip" and [literal(w) for w in rest[:2]] == ["netns", "exec"]:
                words = rest[3:]
                continue
            if name in STRING_RUNNERS:
                flag = STRING_RUNNERS[name]
                for j, w in enumerate(rest):
                    lit = literal(w) or ""
                    if lit.startswith("-") and flag[1] in lit[1:] and j + 1 < len(rest):
                        body = literal(rest[j + 1])
                        if body is not None:
                            self.walk(parse(body, self.path), line, line - 1)
                        break
                return
            if name in WRAPPERS:
                words = self.words_after_wrapper(name, rest)
                continue
            return

    def walk(self, node, line=0, base=0):
        """base: the line a parsed string (bash -c '...') starts on."""
        if isinstance(node, list):
            for n in node:
                self.walk(n, line, base)
            return
        if not isinstance(node, dict):
            return
        pos = node.get("Pos")
        if isinstance(pos, dict) and pos.get("Line"):
            line = base + pos["Line"]
        t = node.get("Type")
        if t == "CallExpr" and node.get("Args"):
            self.command(node["Args"], line)
        elif t == "FuncDecl":
            self.functions.add(node["Name"]["Value"])
        for k, v in node.items():
            if k not in ("Pos", "End") and isinstance(v, (dict, list)):
                self.walk(v, line, base)


def shell_names():
    r = subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True, text=True)
    return set(r.stdout.split())


def listed_packages(src):
    """The packages of scripts/debian-packages, and those they depend on directly (apt
    installs those with them; dpkg's record of the installed ones)."""
    out = set()
    for line in open(os.path.join(src, "scripts", "debian-packages")):
        line = line.split("#", 1)[0].strip()
        if line:
            out.add(line)
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Depends}, ${Pre-Depends}\n"] + sorted(out),
                       capture_output=True, text=True)
    for dep in r.stdout.replace("|", ",").split(","):
        name = dep.strip().split(" ", 1)[0].split(":", 1)[0]
        if name:
            out.add(name)
    return out


def candidates(path):
    """Where dpkg may have recorded path: itself, each symlink on its way (/usr/bin/cc is an
    alternative: /etc/alternatives/cc, then gcc's /usr/bin/gcc), its real path, and the same
    with /bin and /usr/bin swapped (merged /usr)."""
    cands = [path]
    while os.path.islink(cands[-1]) and len(cands) < 10:
        cands.append(os.path.join(os.path.dirname(cands[-1]), os.readlink(cands[-1])))
    cands.append(os.path.realpath(path))
    for c in list(cands):
        for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/")):
            if c.startswith(a):
                cands.append(b + c[len(a):])
            elif c.startswith(b):
                cands.append(a + c[len(b):])
    return cands


def owners(paths):
    """dpkg's owner of each path it knows, in one dpkg-query call."""
    r = subprocess.run(["dpkg-query", "-S"] + sorted(set(paths)), capture_output=True, text=True)
    out = {}
    for line in r.stdout.splitlines():
        # "pkg[:arch][, other]: /usr/bin/x"; "diversion by dash from: /bin/sh" lines aside
        if line.startswith("diversion by ") or ": " not in line:
            continue
        pkgs, path = line.split(": ", 1)
        out.setdefault(path, pkgs.split(",")[0].split(":")[0].strip())
    return out


def everywhere(pkg):
    """Essential, or Priority required: on every Debian, even a minimal container's."""
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Essential} ${Priority}", pkg],
                       capture_output=True, text=True)
    f = r.stdout.split()
    return "yes" in f[:1] or "required" in f[-1:]


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    src = args[0]
    # The test scripts, and the libraries they source (their functions are not commands).
    libs = set(glob.glob(os.path.join(src, "tests", "lib", "*.sh"))) | \
        set(glob.glob(os.path.join(src, "scripts", "lib", "*.sh")))
    files = sorted(set(args[1:]) | libs) if args[1:] else sorted(
        set(glob.glob(os.path.join(src, "tests", "**", "*.sh"), recursive=True)) | libs
        | {os.path.join(src, "tests", "data", "regenerate")})
    scripts = []
    for f in files:
        s = Script(os.path.relpath(f, src))
        s.walk(parse(open(f).read(), f))
        scripts.append(s)
    ours = shell_names() | set().union(*(s.functions for s in scripts))
    listed = listed_packages(src)
    # Debian's own directories, not the caller's PATH (a pyenv python3 is not Debian's).
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    users = {}
    for s in scripts:
        for name, line in s.calls.items():
            if name not in ours:
                users.setdefault(name, []).append((s, line))
    problems = []
    exes = {}
    for name in users:
        exes[name] = name if name.startswith("/") and os.access(name, os.X_OK) else \
            shutil.which(name, path=path)
    owner = owners([c for e in exes.values() if e for c in candidates(e)])
    for name in sorted(users):
        where = ", ".join(f"{s.path}:{line}" for s, line in users[name])
        exe = exes[name]
        pkg = next((owner[c] for c in candidates(exe) if c in owner), None) if exe else None
        ok = pkg is not None and (pkg in listed or everywhere(pkg))
        if verbose:
            print(f"{name}: {pkg or '(not installed)'}: {where}")
        if ok:
            continue
        unguarded = [f"{s.path}:{line}" for s, line in users[name] if name not in s.guarded]
        if not unguarded:
            print(f"note: {name} ({pkg or 'not installed here'}) is not installed by "
                  f"scripts/install-deps: {where} skip without it (and fail in CI)")
        if exe is None:
            if unguarded:
                problems.append(f"{name}: not installed here, and called without a check "
                                f"(need_tools {name}) by {', '.join(unguarded)}: add its "
                                "package to scripts/debian-packages")
        elif pkg is None:
            problems.append(f"{name} ({exe}): no Debian package owns it; called by {where}")
        elif unguarded:
            problems.append(f"{name}: from package {pkg}, which scripts/debian-packages does "
                            f"not list; called without a check by {', '.join(unguarded)}")
    for p in problems:
        print("FAIL:", p)
    print(f"{len(users)} commands in {len(scripts)} scripts, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
