"""What the interop checks (tshark_check.py, gst_check.py) share.

A peer (Wireshark, GStreamer) shows some fields of a message; the library's
views give all of them (tests/interop/fields.hpp). Every field the peer shows
must be among the library's and equal to it (compare). Each check prints one
line, and the last line is `N passed, N failed` (Tally).
"""

from __future__ import annotations


def compare(theirs, ours, path: str, errors: list[str], peer: str = "peer",
            fixed: dict | None = None) -> int:
    """Compares what `peer` shows (`theirs`) with the library's fields
    (`ours`), appending one line to `errors` per difference. `fixed` names
    fields the library does not give, with the only value the peer may show
    (Wireshark's ERR Reserved). Returns the number of leaf values compared."""
    if isinstance(theirs, dict):
        if not isinstance(ours, dict):
            errors.append(f"{path}: expected an object, library has {ours!r}")
            return 0
        n = 0
        for k, v in theirs.items():
            if fixed and k in fixed:
                if v != fixed[k]:
                    errors.append(f"{path}.{k}: {peer} shows {v!r}, expected {fixed[k]!r}")
                continue
            if k not in ours:
                errors.append(f"{path}.{k}: {peer} shows {v!r}, the library has no such field")
                continue
            n += compare(v, ours[k], f"{path}.{k}", errors, peer, fixed)
        return n
    if isinstance(theirs, list):
        if not isinstance(ours, list) or len(ours) != len(theirs):
            errors.append(f"{path}: {peer} shows {len(theirs)} items, the library {ours!r}")
            return 0
        return sum(compare(t, o, f"{path}[{i}]", errors, peer, fixed) for i, (t, o) in enumerate(zip(theirs, ours)))
    if theirs != ours:
        errors.append(f"{path}: {peer} {theirs!r} != library {ours!r}")
    return 1


class Tally:
    """Counts the checks and prints one line for each."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, line: str) -> None:
        self.passed += 1
        print(f"ok   {line}")

    def fail(self, line: str, errors: list[str] = ()) -> None:
        self.failed += 1
        print(f"FAIL {line}")
        for e in errors:
            print(f"     {e}")

    def report(self, name: str, errors: list[str], n: int, note: str = "") -> None:
        """A comparison of `n` fields: ok when it found no errors."""
        if errors:
            self.fail(name, errors)
        else:
            self.ok(f"{name}: {n} fields equal{note}")

    def self_test(self, caught: int, planted: int) -> None:
        """The check of the check: each of the `planted` wrong library values
        must have been caught."""
        if caught == planted:
            self.ok(f"self-test: {caught} of {planted} wrong library values caught")
        else:
            self.fail(f"self-test: only {caught} of {planted} wrong library values caught")

    def summary(self) -> int:
        """Prints the last line; the exit status (1 when a check failed or none ran)."""
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed or not self.passed else 0
