#!/usr/bin/env python3
"""Runs the secure_conference demo in both key models and verifies its dumps.

Usage: check_conference_dump.py SECURE_CONFERENCE [--users N] [--seed S]

For each key model (group, individual): runs
`SECURE_CONFERENCE --key-model MODEL --users N --seed S --dump TMP.json`
(defaults: 6 users, seed 42), then the independent verifier
conference_dump_check.py on TMP.json, with the demo's printed key fingerprints
(--demo-output), and its tamper self-test. Exit 0 iff the demo and every
verification pass in both models, 1 otherwise, 77 when Python's `cryptography`
is missing (meson: skipped).
"""
import io
import contextlib
import json
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import conference_dump_check as C  # noqa: E402  (exits 77 when `cryptography` is missing)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = argv[1]
    users, seed = "6", "42"
    rest = argv[2:]
    for i, a in enumerate(rest):
        if a == "--users" and i + 1 < len(rest):
            users = rest[i + 1]
        if a == "--seed" and i + 1 < len(rest):
            seed = rest[i + 1]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for model in ("group", "individual"):
            dump_path = pathlib.Path(tmp) / f"secure_conference_{model}.json"
            cmd = [binary, "--key-model", model, "--users", users, "--seed", seed, "--dump", str(dump_path)]
            print(f"== {' '.join(cmd)}")
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=280)
            if run.returncode != 0 or not dump_path.exists():
                print(run.stdout[-3000:], run.stderr[-3000:])
                print(f"FAIL  {model}: the demo exited with {run.returncode}")
                bad += 1
                continue
            dump = json.loads(dump_path.read_text())
            print(f"== conference_dump_check.py ({model} model)")
            code, _ = C.run(dump, demo_output=run.stdout)
            if code != 0:
                print(f"FAIL  {model}: the dump does not verify")
                bad += 1
            print(f"== conference_dump_check.py --selftest ({model} model)")
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                code = C.selftest(dump)
            lines = buf.getvalue().splitlines()
            for line in lines:
                if not line.startswith("OK"):
                    print(line)
            if code != 0:
                print(f"FAIL  {model}: tamper self-test")
                bad += 1
    print("both key models verified" if bad == 0 else f"{bad} failures")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
