#!/usr/bin/env bash
# A mikeyctl example (the README's main command before the secure-conference
# demo): installs what is missing, builds mikeyctl and runs a whole MIKEY-TICKET flow
# (RFC 6043 mode 1 with key forking: Initiator, KMS and Responder in one
# process), then prints who authenticated whom, the messages and whether both
# ends hold the same SRTP keys; then decodes the TRANSFER_INIT it sent.
#
#   bash examples/mikeyctl_flow.sh [SCENARIO.json]     (default: examples/scenarios/mode1_forking.json)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/install-deps.sh meson ninja-build pkg-config g++ libbotan-2-dev nlohmann-json3-dev python3

scenario=${1:-examples/scenarios/mode1_forking.json}
dir=build-demo
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" -Dtests=false -Dexamples=false -Dinterop=false -Dfuzz=false -Dbenchmarks=false >/dev/null
fi
ninja -C "$dir" -j "${MIKEY_JOBS:-2}" tools/mikeyctl >/dev/null

if [ ! -f "$scenario" ]; then
  echo "demo: $scenario not found (scenarios live in examples/scenarios/)" >&2
  exit 1
fi
echo "\$ $dir/tools/mikeyctl run $scenario"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
"$dir/tools/mikeyctl" run "$scenario" >"$out" || status=$?
python3 - "$out" <<'PY'
import hashlib, json, sys
run = json.load(open(sys.argv[1]))
sc = run["scenario"]
print(f"mode {sc['mode']}, forking {'on' if sc['forking'] else 'off'}, {sc['prf']} / {sc['encr']} / {sc['mac']}")
for m in run["messages"]:
    print(f"  {m['from']:>9} -> {m['to']:<9} {m['name']:<17} {len(m['hex']) // 2:4d} bytes")
if "error" in run:
    e = run["error"]
    print(f"refused: {e['role']} refused {e['at']} with {e['errc']}")
    sys.exit(1)
keys = run["keys"]
a, b = keys["initiator"]["crypto_sessions"], keys["responder"]["crypto_sessions"]
same = all(x["tek"] == y["tek"] and x.get("salt") == y.get("salt") for x, y in zip(a, b)) and len(a) == len(b)
for x in a:
    fp = hashlib.sha256(bytes.fromhex(x["tek"])).hexdigest()[:16]  # a fingerprint, never key bytes
    print(f"  crypto session {x['cs_id']}: {x['kind']}, TEK fingerprint sha256:{fp}, SPI {x['spi']}")
print(f"{sc['initiator']} and {sc['responder']} hold the same SRTP keys: {'yes' if same else 'NO'}")
if sc["forking"]:
    print(f"with key forking only {sc['responder']} (the identity the KMS forked for) can hold MPKr': "
          "the TRANSFER_RESP authenticated it")
sys.exit(0 if same else 1)
PY
[ "$status" -eq 0 ] || exit "$status"
ti=$(python3 -c 'import json,sys; print(next(m["hex"] for m in json.load(open(sys.argv[1]))["messages"] if m["name"] == "TRANSFER_INIT"))' "$out")
echo
echo "\$ $dir/tools/mikeyctl decode <TRANSFER_INIT of that run>"
printf '%s\n' "$ti" | "$dir/tools/mikeyctl" decode --hex
