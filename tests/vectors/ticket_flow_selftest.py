#!/usr/bin/env python3
"""Self-test of ticket_flow_check.py against flows built by ticket_flow_make.py.

Usage: ticket_flow_selftest.py [--full] [SCENARIO.json ...]
(default: every tests/vectors/ticket_scenarios/*.json)

For every scenario:
  1. the generated flow verifies (exit 0);
  2. single-byte tampers (XOR 0x01) of every message make the verifier fail
     (exit 1) with a first mismatch that names the tampered message: every byte
     of every message for the first scenario (or all with --full), every 5th
     byte plus the last 40 (the V payload) for the others;
  3. each message dropped -> fail naming that message;
  4. each key of RUN.json["keys"] with one byte flipped -> fail naming that key;
  5. (AES-CM, modes 1-3) a flow built with --iv-t=initial verifies with that
     option and fails, at a response KEMAC, without it.
Exit 0 when all hold, 1 otherwise, 77 when `cryptography` is missing.
"""
import contextlib
import copy
import io
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import ticket_flow_check as chk  # noqa: E402  (exits 77 when `cryptography` is missing)
import ticket_flow_make as mk  # noqa: E402


def verify(sc, run, iv_t_initial=False):
    rep = chk.Report(quiet=True)
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            chk.Flow(sc, run, rep, iv_t_initial).verify()
        except (chk.Fail, chk.W.ParseError, ValueError, KeyError) as e:
            rep.fail("abort", f"{type(e).__name__}: {e}")
    return rep.failures


def flip_hex(h, i):
    b = bytearray(bytes.fromhex(h))
    b[i] ^= 0x01
    return b.hex()


def main(argv):
    full = "--full" in argv
    files = [pathlib.Path(a) for a in argv[1:] if not a.startswith("--")] or \
        sorted((HERE / "ticket_scenarios").glob("*.json"))
    bad = 0
    for n_sc, path in enumerate(files):
        sc = json.loads(path.read_text())
        run = mk.build(sc, warn=lambda s: None)
        fails = verify(sc, run)
        if fails:
            print(f"FAIL {path.name}: generated flow rejected: {fails[0]}")
            bad += 1
            continue
        stats = {"mac": 0, "other": 0}
        for mi, m in enumerate(run["messages"]):
            raw_len = len(m["hex"]) // 2
            if full or n_sc == 0:
                positions = range(raw_len)
            else:
                positions = sorted(set(range(0, raw_len, 5)) | set(range(max(0, raw_len - 40), raw_len)))
            for pos in positions:
                r2 = copy.deepcopy(run)
                r2["messages"][mi]["hex"] = flip_hex(m["hex"], pos)
                f = verify(sc, r2)
                if not f:
                    print(f"FAIL {path.name}: tamper of {m['name']} byte {pos} not detected")
                    bad += 1
                elif not f[0].startswith(m["name"]) and not f[0].startswith("abort: Fail: " + m["name"]):
                    print(f"FAIL {path.name}: tamper of {m['name']} byte {pos}: first mismatch names another item: {f[0]}")
                    bad += 1
                else:
                    stats["mac" if "MAC" in f[0] else "other"] += 1
            r2 = copy.deepcopy(run)
            del r2["messages"][mi]
            f = verify(sc, r2)
            if not any(x.startswith(m["name"]) and "missing" in x for x in f):
                print(f"FAIL {path.name}: dropping {m['name']} not reported as missing: {f[:1]}")
                bad += 1
        nkeys = 0
        for party, ks in run["keys"].items():
            items = [((party, k), v) for k, v in ks.items() if k != "crypto_sessions"]
            for i, cs in enumerate(ks.get("crypto_sessions", [])):
                items += [((party, "crypto_sessions", i, k), v) for k, v in cs.items() if k in ("key", "tek", "salt")]
            for where, v in items:
                r2 = copy.deepcopy(run)
                node = r2["keys"]
                for step in where[:-1]:
                    node = node[step]
                node[where[-1]] = flip_hex(v, len(v) // 4)
                f = verify(sc, r2)
                nkeys += 1
                if not f or not f[0].startswith(f"keys.{party}."):
                    print(f"FAIL {path.name}: flipped key {where} not reported first: {f[:1]}")
                    bad += 1
        if sc["encr"].startswith("AES-CM") and sc["mode"] in (1, 2, 3):
            alt = mk.build(sc, warn=lambda s: None, iv_t_initial=True)
            f_alt, f_mix = verify(sc, alt, True), verify(sc, alt)
            if f_alt or not f_mix or "KEMAC" not in f_mix[0]:
                print(f"FAIL {path.name}: --iv-t=initial round trip: {f_alt[:1]} / mixed readings: {f_mix[:1]}")
                bad += 1
        print(f"ok   {path.name}: accepted; tampers detected ({stats['mac']} first named a MAC, "
              f"{stats['other']} a parse/field check); drops and {nkeys} key flips detected")
    print("RESULT:", "OK" if not bad else f"FAIL ({bad})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
