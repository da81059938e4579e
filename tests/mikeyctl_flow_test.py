#!/usr/bin/env python3
"""End-to-end test of `mikeyctl run` and `mikeyctl play`.

    mikeyctl_flow_test.py MIKEYCTL SOURCE_ROOT

Checks: `run` on every examples/scenarios/*.json exits 0, sends the messages
its mode asks for, and gives the Initiator and the Responder the same TEKs
and salts; two runs with one seed print the same bytes; bad scenarios exit 2
naming the field; a refused flow exits 1 with "error"; `play kms`, `play
responder` and `play initiator` as three processes, lines relayed between
them by this script, end with equal keys; a tampered message fed to `play
kms` gets ok:false with an errc.
"""
import copy
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile

MIKEYCTL, ROOT = sys.argv[1:3]
SCENARIOS = sorted(glob.glob(os.path.join(ROOT, "examples", "scenarios", "*.json")))
failures = []
signal.alarm(120)  # a relay that hangs fails the test instead of the CI job


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(args, stdin=b""):
    p = subprocess.run([MIKEYCTL] + args, input=stdin, capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def load(path):
    with open(path) as f:
        return json.load(f)


def run_scenario(obj):
    """`run` on a scenario given as an object (or raw text)."""
    text = obj if isinstance(obj, str) else json.dumps(obj)
    return run(["run", "-"], text.encode())


def keys_equal(a, b):
    pick = lambda k: [(c["cs_id"], c["tek"], c["salt"], c["spi"]) for c in k["crypto_sessions"]]
    return pick(a) == pick(b) and len(pick(a)) > 0


EXPECTED = {  # RFC 6043 §4.1.1: the messages of each mode (F set: TRANSFER_RESP)
    1: ["REQUEST_INIT_PSK", "REQUEST_RESP", "TRANSFER_INIT", "RESOLVE_INIT_PSK", "RESOLVE_RESP", "TRANSFER_RESP"],
    2: ["REQUEST_INIT_PSK", "REQUEST_RESP", "TRANSFER_INIT", "TRANSFER_RESP"],
    3: ["TRANSFER_INIT", "RESOLVE_INIT_PSK", "RESOLVE_RESP", "TRANSFER_RESP"],
    4: ["TRANSFER_INIT", "TRANSFER_RESP"],
}
ROUTE = {"REQUEST_INIT_PSK": ("initiator", "kms"), "REQUEST_RESP": ("kms", "initiator"),
         "TRANSFER_INIT": ("initiator", "responder"), "RESOLVE_INIT_PSK": ("responder", "kms"),
         "RESOLVE_RESP": ("kms", "responder"), "TRANSFER_RESP": ("responder", "initiator")}

# --- 1. run: every example scenario --------------------------------------------
check(len(SCENARIOS) >= 5 and any(s.endswith("mode1_forking.json") for s in SCENARIOS), "example scenarios")
modes_seen = set()
runs = {}
for path in SCENARIOS:
    name = os.path.basename(path)
    rc, out, err = run(["run", path])
    check(rc == 0 and err == "", f"run {name}: exit {rc} {err.strip()}")
    if rc != 0:
        continue
    d = json.loads(out)
    runs[name] = d
    sc = d["scenario"]
    modes_seen.add((sc["mode"], sc["forking"]))
    names = [m["name"] for m in d["messages"]]
    check(names == EXPECTED[sc["mode"]], f"run {name}: messages {names}")
    check(all((m["from"], m["to"]) == ROUTE[m["name"]] for m in d["messages"]), f"run {name}: from / to")
    check(all(m["hex"][2:4] == {"REQUEST_INIT_PSK": "0b", "REQUEST_RESP": "0d", "TRANSFER_INIT": "0e",
                                "TRANSFER_RESP": "0f", "RESOLVE_INIT_PSK": "10", "RESOLVE_RESP": "12"}[m["name"]]
              for m in d["messages"]), f"run {name}: data types")
    k = d["keys"]
    check(set(k) == {"initiator", "responder"}, f"run {name}: keys of {sorted(k)}")
    check(keys_equal(k["initiator"], k["responder"]), f"run {name}: Initiator and Responder keys differ")
    check(k["initiator"]["mpki"] == k["responder"]["mpki"], f"run {name}: MPKi differs")
    check(len(k["initiator"]["crypto_sessions"]) == len(sc["crypto_sessions"]), f"run {name}: one key per session")
    fork_fields = {"mpkr", "mpkr_forked"} <= set(k["initiator"]) and "mpkr_forked" in k["responder"]
    check(fork_fields == sc["forking"], f"run {name}: forking fields")
    if sc["forking"]:
        check(k["initiator"]["mpkr_forked"] == k["responder"]["mpkr_forked"], f"run {name}: MPKr' differs")
        check(k["initiator"]["mpkr"] != k["initiator"]["mpkr_forked"], f"run {name}: MPKr' is MPKr")
    # The echo is a scenario that runs the same flow.
    rc2, out2, _ = run_scenario(sc)
    check(rc2 == 0 and out2 == out, f"run {name}: echoed scenario runs the same")
check({1, 2, 3, 4} <= {m for m, _ in modes_seen} and (1, True) in modes_seen, f"modes covered: {modes_seen}")

# --- 2. one seed, one output; no seed, fresh randomness -------------------------
base = load(os.path.join(ROOT, "examples", "scenarios", "mode1_forking.json"))
outs = [run_scenario(base)[1] for _ in range(2)]
check(outs[0] == outs[1] and outs[0] != "", "same seed: byte-identical output")
other = dict(base, seed=8)
check(run_scenario(other)[1] != outs[0], "another seed: other output")
unseeded = {k: v for k, v in base.items() if k != "seed"}
a, b = run_scenario(unseeded)[1], run_scenario(unseeded)[1]
check(a != b and json.loads(a)["keys"] and "seed" not in json.loads(a)["scenario"], "no seed: system RNG")
no_now = {k: v for k, v in base.items() if k != "now"}
rc, out, err = run_scenario(no_now)
check(rc == 0 and json.loads(out)["scenario"]["now"].endswith("Z"), f"no now: the system clock: {err.strip()}")
rc, out, err = run_scenario(dict(base, now=1796205600))
check(rc == 0 and json.loads(out)["scenario"]["now"] == "2026-12-02T10:00:00Z" and out == outs[0],
      f"now as Unix seconds: {err.strip()}")

# --- 3. bad scenarios: exit 2, the field named, nothing on stdout ----------------
def edited(**changes):
    d = copy.deepcopy(base)
    for k, v in changes.items():
        if v is None:
            del d[k]
        else:
            d[k] = v
    return d


sessions_dup = copy.deepcopy(base["crypto_sessions"])
sessions_dup[1]["cs_id"] = 1
sessions_extra = copy.deepcopy(base["crypto_sessions"])
sessions_extra[0]["roc"] = 0
bad = [
    ("unknown key", edited(colour="red"), "at colour: unknown field"),
    ("unknown key in a session", edited(crypto_sessions=sessions_extra), "at crypto_sessions[0].roc: unknown field"),
    ("duplicate key", json.dumps(base)[:-1] + ', "mode": 2}', "at mode: duplicate key"),
    ("wrong type", edited(mode="1"), "at mode: expected an integer"),
    ("wrong type (bool)", edited(forking="yes"), "at forking: expected true or false"),
    ("mode out of range", edited(mode=5), "at mode: expected an integer from 1 to 4"),
    ("bad hex", edited(psk_initiator="zz" * 16), "at psk_initiator: not a hex digit"),
    ("odd hex", edited(tpk=base["tpk"][:-1]), "at tpk: an odd number of hex digits"),
    ("short key", edited(psk_responder="00" * 15), "key_too_short at psk_responder: 15 bytes"),
    ("missing key", edited(tpk=None), "at tpk: missing field"),
    ("missing PSK of the mode", edited(psk_initiator=None), "at psk_initiator: missing field"),
    ("unknown PRF", edited(prf="PRF-HMAC-SHA-512"), "unknown_prf_func at prf: unknown name 'PRF-HMAC-SHA-512'"),
    ("unknown Encr alg", edited(encr="AES-GCM"), "unknown_encr_alg at encr"),
    ("unknown MAC alg", edited(mac="HMAC-MD5"), "unknown_mac_alg at mac"),
    ("unknown key kind", edited(key_kind="KEY"), "unknown_key_data_type at key_kind"),
    ("not a session key", edited(key_kind="MPK"), "at key_kind: not a session key"),
    ("long unknown name cut", edited(prf="P" * 100), "unknown name '" + "P" * 64 + "...'"),
    ("key length", edited(key_length=8), "at key_length: expected an integer from 16 to 32"),
    ("session cs_id twice", edited(crypto_sessions=sessions_dup), "at crypto_sessions[1].cs_id: used twice"),
    ("no sessions", edited(crypto_sessions=[]), "at crypto_sessions: expected a list"),
    ("policy letter", edited(policy="DEFGHIX"), "at policy: 'X' at offset 6"),
    ("forking disagrees with policy", edited(policy="DFGHO"), "at forking: disagrees with the I flag"),
    ("forking in mode 2", edited(mode=2), "modes 1 and 3 only"),
    ("E in mode 4", edited(mode=4, forking=None, policy="EFGHLO"), "at policy: E makes the Resolve exchange"),
    ("D in mode 3", edited(mode=3, forking=None, policy="DFGHLO"), "at policy: D says"),
    ("bad time", edited(now="2026-02-30T10:00:00Z"), "at now: expected RFC 3339"),
    ("local time", edited(now="2026-12-02T10:00:00+01:00"), "at now: expected RFC 3339"),
    ("not JSON", '{"mode": 1,', "invalid_argument at byte"),
    ("not an object", "[1]", "at top level: expected an object"),
]
for what, obj, part in bad:
    rc, out, err = run_scenario(obj)
    check(rc == 2 and out == "" and part in err and err.startswith("error: "),
          f"bad scenario, {what}: exit {rc} out={out[:30]!r} err={err.strip()!r}")

# --- 4. a refused flow: exit 1, the JSON so far and "error" ----------------------
rc, out, err = run_scenario(edited(mac="HMAC-SHA-1-160"))  # RFC 6043 §12.1: no 128/256-bit mix
d = json.loads(out or "{}")
check(rc == 1 and d.get("error") == {"at": "REQUEST_INIT_PSK", "role": "initiator", "errc": "algorithm_mix"}
      and d.get("messages") == [] and "keys" not in d, f"refused flow: exit {rc} {d.get('error')}")
rc, out, err = run_scenario(edited(clock_window=0, now="2026-12-02T10:00:00Z"))
check(rc == 0, f"clock window 0 with one fixed time: exit {rc}")

# --- 5. play: three processes, lines relayed by this script ----------------------
DEST = {"0b": "kms", "10": "kms", "0d": "initiator", "0f": "initiator", "0e": "responder", "12": "responder"}


def relay(path):
    """Plays the three roles of `path`; returns ({role: (rc, verdicts, keys)}, data types relayed)."""
    procs = {r: subprocess.Popen([MIKEYCTL, "play", r, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, bufsize=1)
             for r in ("kms", "responder", "initiator")}
    sent = []
    line = procs["initiator"].stdout.readline().strip()
    while line and len(sent) < 10:
        to = DEST.get(line[2:4])
        sent.append(line[2:4])
        if to is None or procs[to].poll() is not None:
            break
        procs[to].stdin.write(line + "\n")
        procs[to].stdin.flush()
        line = procs[to].stdout.readline().strip()
    results = {}
    for r, p in procs.items():
        p.stdin.close()
        rc = p.wait(timeout=10)
        lines = [json.loads(x) for x in p.stderr.read().splitlines() if x.strip()]
        keys = [x["keys"][r] for x in lines if "keys" in x]
        results[r] = (rc, [x for x in lines if "keys" not in x], keys[0] if keys else None)
        p.stdout.close()
        p.stderr.close()
    return results, sent


for path in SCENARIOS:
    name = os.path.basename(path)
    results, sent = relay(path)
    for r, (rc, verdicts, _) in results.items():
        check(rc == 0 and all(v["ok"] for v in verdicts), f"play {name} {r}: exit {rc} {verdicts}")
    ki, kr = results["initiator"][2], results["responder"][2]
    check(ki is not None and kr is not None and keys_equal(ki, kr), f"play {name}: keys differ or missing")
    if name in runs:
        want = [m["hex"][2:4] for m in runs[name]["messages"]]
        check(sent == want, f"play {name}: relayed {sent}, run sent {want}")
    if name == "mode1_forking.json":
        v = results["initiator"][1]
        check(v[0]["received"] is None and v[0]["sent"] == "REQUEST_INIT_PSK", f"initiator starts: {v[0]}")
        check(v[1]["received"] == "REQUEST_RESP" and v[1]["sent"] == "TRANSFER_INIT"
              and "ticket_granted" in v[1]["events"], f"initiator goes on after REQUEST_RESP: {v[1]}")
        check(v[2]["received"] == "TRANSFER_RESP" and v[2]["sent"] is None
              and {"keys_established", "peer_authenticated"} <= set(v[2]["events"]), f"initiator ends: {v[2]}")
        check(ki["mpkr_forked"] == kr["mpkr_forked"], "play: MPKr' differs")
        check([x["received"] for x in results["kms"][1]] == ["REQUEST_INIT_PSK", "RESOLVE_INIT_PSK"],
              "play kms: what it received")

# --- 6. play kms: a tampered message, a line that is not hex, end of input --------
with tempfile.TemporaryDirectory() as tmp:
    cfg = os.path.join(tmp, "mode1.json")
    with open(cfg, "w") as f:
        json.dump(base, f)
    request = runs["mode1_forking.json"]["messages"][0]["hex"]
    tampered = request[:-2] + "%02x" % (int(request[-2:], 16) ^ 1)  # the last byte of the V MAC
    stdin = f"{tampered}\nxyz\n\n".encode()
    rc, out, err = run(["play", "kms", cfg], stdin)
    verdicts = [json.loads(x) for x in err.splitlines()]
    check(rc == 1, f"play kms, input ended first: exit {rc}")
    check(out == "\n\n", f"play kms: an empty line for each refusal: {out!r}")
    check(len(verdicts) == 2 and verdicts[0]["received"] == "REQUEST_INIT_PSK" and verdicts[0]["ok"] is False
          and verdicts[0]["errc"] == "auth_failure" and verdicts[0]["sent"] is None, f"tampered: {verdicts[:1]}")
    check(len(verdicts) == 2 and verdicts[1]["received"] is None and verdicts[1]["ok"] is False
          and verdicts[1]["errc"] == "invalid_argument", f"not hex: {verdicts[1:]}")
    # The untampered request after the tampered one is answered (a refusal changes nothing).
    rc, out, err = run(["play", "kms", cfg], f"{tampered}\n{request}\n".encode())
    verdicts = [json.loads(x) for x in err.splitlines()]
    check(len(verdicts) == 2 and verdicts[1]["ok"] and verdicts[1]["sent"] == "REQUEST_RESP"
          and out.splitlines()[1][2:4] == "0d", f"play kms answers the genuine request: {verdicts}")
    # An Initiator that cannot start (RFC 6043 §12.1: no 128/256-bit mix) says so and stops.
    with open(cfg, "w") as f:
        json.dump(edited(mac="HMAC-SHA-1-160"), f)
    rc, out, err = run(["play", "initiator", cfg], b"")
    v = json.loads(err.splitlines()[0])
    check(rc == 1 and out == "\n" and v["received"] is None and v["errc"] == "algorithm_mix"
          and v["at"] == "REQUEST_INIT_PSK", f"initiator that cannot start: exit {rc} {v}")
    with open(cfg, "w") as f:
        json.dump(base, f)
    # The responder refuses what is not for it.
    rc, out, err = run(["play", "responder", cfg], f"{request}\n".encode())
    v = json.loads(err.splitlines()[0])
    check(rc == 1 and v["ok"] is False and v["errc"] == "message_not_for_role", f"responder given a request: {v}")

# --- 7. usage ----------------------------------------------------------------------
for args in (["play"], ["play", "kms"], ["play", "focus", SCENARIOS[0]], ["play", "kms", "-"],
             ["play", "kms", SCENARIOS[0], "x"], ["run"], ["run", "a", "b"], ["run", "--bogus"],
             ["run", "/nonexistent/file.json"]):
    rc, out, err = run(args)
    check(rc == 1 and out == "", f"{args}: exit {rc}")
for cmd in ("run", "play"):
    rc, out, err = run([cmd, "--help"])
    check(rc == 0 and "Exit codes" in out, f"{cmd} --help")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("mikeyctl run / play: all checks passed")
