#!/usr/bin/env python3
"""Compile-fail check for one file: it must compile with MIKEY_COMPILE_FAIL=0
and must not compile with MIKEY_COMPILE_FAIL=1, failing with a diagnostic
that matches the file's `// expect-error: REGEX` line (so a file that breaks
for an unrelated reason, a typo say, does not pass).

    run.py --cxx g++ [--cxx WORD ...] -I DIR [-I DIR ...] FILE.cpp

(--cxx repeated builds a compiler command of several words, e.g. ccache g++.)

A `// compiler: clang++` line makes the check use that compiler (for
diagnostics only it gives, such as -Wdangling from [[clang::lifetimebound]]);
without it on PATH the test is skipped (exit 77).

Exit 0 when both hold, 1 otherwise (meson test counts it).
"""
import argparse
import re
import shutil
import subprocess
import sys


def botan_cflags() -> list[str]:
    if shutil.which("pkg-config") is None:
        return []
    r = subprocess.run(["pkg-config", "--cflags", "botan-2"], capture_output=True, text=True)
    return r.stdout.split() if r.returncode == 0 else []


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cxx", action="append", required=True)
    ap.add_argument("-I", dest="includes", action="append", default=[])
    ap.add_argument("file")
    args = ap.parse_args()

    text = open(args.file, encoding="utf-8").read()
    m = re.search(r"^// expect-error: (.+)$", text, re.M)
    if not m:
        print(f"{args.file}: no `// expect-error: REGEX` line")
        return 1
    expect = re.compile(m.group(1).strip())
    # `// compiler: clang++` marks a check only that compiler makes (clang's
    # lifetimebound analysis): it runs with it, and is skipped without it.
    only = re.search(r"^// compiler: (\S+)$", text, re.M)
    if only:
        if shutil.which(only.group(1)) is None:
            print(f"SKIP {args.file}: needs {only.group(1)}")
            return 77
        args.cxx = [only.group(1)]

    base = [*args.cxx, "-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
            "-fsyntax-only", *(f"-I{d}" for d in args.includes), *botan_cflags(), args.file]

    ok = subprocess.run(base + ["-DMIKEY_COMPILE_FAIL=0"], capture_output=True, text=True)
    if ok.returncode != 0:
        print(f"FAIL {args.file}: does not compile with MIKEY_COMPILE_FAIL=0 (the test itself is broken)")
        print(ok.stderr[-4000:])
        return 1
    bad = subprocess.run(base + ["-DMIKEY_COMPILE_FAIL=1"], capture_output=True, text=True)
    if bad.returncode == 0:
        print(f"FAIL {args.file}: compiles with MIKEY_COMPILE_FAIL=1; the misuse is no longer rejected")
        return 1
    if not expect.search(bad.stderr):
        print(f"FAIL {args.file}: fails with MIKEY_COMPILE_FAIL=1, but not with /{expect.pattern}/:")
        print(bad.stderr[-4000:])
        return 1
    print(f"ok {args.file}: compiles with the misuse off, rejected with it on (/{expect.pattern}/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
