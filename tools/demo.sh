#!/usr/bin/env bash
# The README's main command: installs what is missing, builds the
# secure-conference demo (examples/secure_conference) and runs it: a KMS, a
# conference factory / focus and users through the five flows of the 3GPP
# seeds with MIKEY-TICKET (RFC 6043) in SDP bodies, then real SRTP
# (libsrtp2), a TLS-PSK handshake for BFCP (Botan TLS) and a protected
# event-package NOTIFY with the derived keys. Exit status 0 only when every
# check of the demo holds.
#
#   bash tools/demo.sh [--key-model group|individual] [--users N] [--seed S] [--dump FILE]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/install-deps.sh meson ninja-build pkg-config g++ libbotan-2-dev libsrtp2-dev

dir=build-demo
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" -Dtests=false -Dtools=false -Dexamples=true -Dinterop=false -Dfuzz=false -Dbenchmarks=false >/dev/null
fi
ninja -C "$dir" -j "${MIKEY_JOBS:-2}" examples/secure_conference >/dev/null
exec "$dir/examples/secure_conference" "$@"
