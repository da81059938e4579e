#!/usr/bin/env python3
"""Runs `MIKEYCTL run SCENARIO.json` for every sample scenario and checks the
output with the independent verifier ticket_flow_check.py.

Usage: check_mikeyctl_run.py MIKEYCTL [--iv-t=initial] [SCENARIO.json ...]
(default: every tests/vectors/ticket_scenarios/*.json)
Exit 0 when every flow verifies, 1 otherwise, 77 when `cryptography` is missing.
"""
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import ticket_flow_check  # noqa: E402,F401  (exits 77 when `cryptography` is missing)


def main(argv):
    opts = [a for a in argv[1:] if a.startswith("--")]
    args = [a for a in argv[1:] if not a.startswith("--")]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    tool, files = args[0], [pathlib.Path(a) for a in args[1:]] or sorted((HERE / "ticket_scenarios").glob("*.json"))
    bad = 0
    for sc in files:
        p = subprocess.run([tool, "run", str(sc)], capture_output=True, text=True)
        if p.returncode != 0:
            print(f"FAIL {sc.name}: mikeyctl run exited {p.returncode}: {p.stderr.strip()[:300]}")
            bad += 1
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(p.stdout)
        c = subprocess.run([sys.executable, str(HERE / "ticket_flow_check.py"), str(sc), f.name, "--quiet"] + opts,
                           capture_output=True, text=True)
        pathlib.Path(f.name).unlink()
        last = c.stdout.strip().splitlines()[-1] if c.stdout.strip() else c.stderr.strip()
        print(("ok   " if c.returncode == 0 else "FAIL ") + f"{sc.name}: {last}")
        if c.returncode != 0:
            bad += 1
            sys.stdout.write("".join("       " + ln + "\n" for ln in c.stdout.splitlines()[:-1][:20]))
    print("RESULT:", "OK" if not bad else f"FAIL ({bad} of {len(files)})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
