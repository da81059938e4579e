#!/usr/bin/env python3
"""Runs `mikeyctl prf` / `mikeyctl derive` on every PRF and derivation record
of tests/data/crypto_vectors.vec (the independent Python reference) and
compares the printed key.

Usage: check_mikeyctl.py MIKEYCTL [VECFILE]
Exit 0 when every record matches, 1 otherwise.
"""
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def records(path):
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        kind, *fields = line.split()
        yield kind, dict(f.split("=", 1) for f in fields)


def command(kind, r):
    out_bits = str(len(r["out"]) * 4)
    if kind == "prf":
        return ["prf", "--func", r["func"], "--inkey", r["inkey"], "--label", r["label"], "--bits", out_bits]
    if kind.startswith("aes_"):
        return None
    base = ["derive"]
    common = ["--prf", r.get("prf", "0"), "--inkey", r["inkey"]]
    if kind == "tgk_key":
        return base + ["tgk-key"] + common + ["--key", r["key"], "--cs", r["cs"], "--csb", r["csb"],
                                              "--rand", r["rand"], "--bits", out_bits]
    if kind == "msg_key":
        return base + ["msg-key"] + common + ["--key", r["key"], "--csb", r["csb"], "--rand", r["rand"],
                                              "--bits", out_bits]
    if kind in ("d1", "d2"):
        return base + [kind] + common + ["--key", r["key"], "--csb", r["csb"], "--randri", r["randri"],
                                         "--randrr", r["randrr"], "--bits", out_bits]
    if kind == "d3":
        return base + ["d3"] + common + ["--key", r["key"], "--id", r["id"], "--randrkms", r["randrkms"]]
    if kind == "d4":
        return base + ["d4"] + common + ["--key", r["key"], "--cs", r["cs"], "--randri", r["randri"],
                                         "--randrr", r["randrr"], "--h", r["h"], "--g", r["g"], "--bits", out_bits]
    if kind == "d5":
        return base + ["d5"] + common + ["--key", r["key"], "--bits", out_bits]
    if kind == "d6":
        return base + ["d6"] + common + ["--key", r["key"], "--rand", r["rand"], "--bits", out_bits]
    if kind == "d7":
        return base + ["d7"] + common + ["--key", r["key"], "--rand", r["rand"]]
    return None


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    tool = argv[1]
    vec = pathlib.Path(argv[2]) if len(argv) > 2 else HERE.parent / "data" / "crypto_vectors.vec"
    checked = failed = 0
    for kind, r in records(vec):
        cmd = command(kind, r)
        if cmd is None:
            continue
        p = subprocess.run([tool, *cmd], capture_output=True, text=True)
        got = p.stdout.strip()
        checked += 1
        if p.returncode != 0 or got != r["out"]:
            failed += 1
            print(f"FAIL {kind}: {' '.join(cmd)}\n  want {r['out']}\n  got  {got} {p.stderr.strip()}", file=sys.stderr)
    print(f"{checked - failed}/{checked} mikeyctl results match the reference")
    return 0 if failed == 0 and checked > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
