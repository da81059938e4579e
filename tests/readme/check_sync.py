#!/usr/bin/env python3
"""Fail unless a README.md usage example equals its file under tests/readme/.

    check_sync.py README.md tests/readme/NAME.cpp

The README block is the ```cpp fence that follows the line
`<!-- usage-example: tests/readme/NAME.cpp -->`.
"""
import pathlib
import sys

def main() -> int:
    readme, example = (pathlib.Path(a) for a in sys.argv[1:3])
    mark = f"<!-- usage-example: tests/readme/{example.name} -->"
    lines = readme.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index(mark)
    except ValueError:
        print(f"{readme}: no line {mark!r}")
        return 1
    if start + 1 >= len(lines) or lines[start + 1].strip() != "```cpp":
        print(f"{readme}: the line after {mark!r} must open a ```cpp block")
        return 1
    try:
        end = lines.index("```", start + 2)
    except ValueError:
        print(f"{readme}: the usage example block is not closed")
        return 1
    block = lines[start + 2:end]
    code = example.read_text(encoding="utf-8").splitlines()
    if block != code:
        print(f"README usage example differs from {example}: copy the file into the README block")
        for i, (a, b) in enumerate(zip(block, code)):
            if a != b:
                print(f"  first difference at line {i + 1}:\n    README: {a}\n    file:   {b}")
                break
        else:
            print(f"  README block has {len(block)} lines, file has {len(code)}")
        return 1
    print(f"README usage example matches {example} ({len(code)} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
