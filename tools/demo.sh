#!/usr/bin/env bash
# The README's main command: installs what is missing, builds mikeyctl and
# decodes a sample MIKEY-TICKET message (a TRANSFER_INIT) to JSON.
#
#   bash tools/demo.sh [MESSAGE_FILE]     (default: examples/data/transfer_init.hex)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/install-deps.sh meson ninja-build pkg-config g++ libbotan-2-dev nlohmann-json3-dev python3

message=${1:-examples/data/transfer_init.hex}
dir=build-demo
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" -Dtests=false -Dexamples=false -Dinterop=false -Dfuzz=false -Dbenchmarks=false >/dev/null
fi
ninja -C "$dir" -j "${MIKEY_JOBS:-2}" tools/mikeyctl >/dev/null

if [ ! -f "$message" ]; then
  echo "demo: $message not found (sample messages live in examples/data/)" >&2
  exit 1
fi
echo "\$ $dir/tools/mikeyctl decode $message"
"$dir/tools/mikeyctl" decode "$message"
