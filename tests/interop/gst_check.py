#!/usr/bin/env python3
"""GStreamer interop check (issue 2).

    gst_check.py EMIT_SAMPLES GST_PEER

Both directions, on RFC 3830 PSK I_MESSAGEs made only of payloads GStreamer's
gstmikey handles (HDR, T, RAND, SP, PKE, KEMAC with NULL encryption):

1. library -> GStreamer: every such message of `emit_samples list` (built by
   the library, plus one captured real-world message) is parsed
   by `gst_peer parse`; each field GStreamer's object model holds must equal
   the library's view of it, and GStreamer's re-serialisation of what it
   parsed must give the library's bytes back.
2. GStreamer -> library: `gst_peer build manual` (gst_mikey_message_* calls)
   and `gst_peer build caps` (gst_mikey_message_new_from_caps, what RTSP
   servers send: TEK = key || salt, NULL KEMAC, SP type 3 = 10) are parsed by
   `emit_samples parse`; the library must accept them (schema included) and
   report the same fields, and rebuilding from its views must give GStreamer's
   bytes back.

GStreamer's parser never returns on payload types it does not handle, so each
gst_peer run has a time limit. Exit status 0 when everything matched.
"""

from __future__ import annotations

import json
import subprocess
import sys

from peer_check import Tally, compare

TIMEOUT = 10


def run(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"timed out after {TIMEOUT}s: {' '.join(cmd)[:120]}") from None
    if r.returncode != 0:
        raise RuntimeError(f"exit {r.returncode}: {' '.join(cmd)[:120]}\n{r.stderr}")
    return r.stdout


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    emit, peer = sys.argv[1], sys.argv[2]
    tally = Tally()
    report = tally.report

    # 1. library -> GStreamer
    messages = json.loads(run([emit, "list"]))
    for m in messages:
        if not m["gst"]:
            continue
        errors: list[str] = []
        n = 0
        note = ""
        # captured_*: real-world bytes, parsed by both sides.
        label = f"{'both' if m['name'].startswith('captured') else 'lib->gst'} {m['name']}"
        try:
            g = json.loads(run([peer, "parse", m["hex"]]))
        except RuntimeError as e:
            report(label, [str(e)], 0)
            continue
        if "error" in g:
            errors.append(f"GStreamer could not parse it: {g['error']}")
        else:
            n = compare(g["fields"], m["fields"], "msg", errors, "GStreamer")
            has_pke = any(p["type"] == 2 for p in m["fields"]["payloads"])
            if g["reserialized"] != m["hex"]:
                if has_pke:
                    # gstmikey.c payloads_to_bytes writes PKE's C|Data len as
                    # `(C << 14) || len` (logical or): a GStreamer bug.
                    note = " (GStreamer's re-serialisation differs: its PKE writer bug, see notes/interop.md)"
                else:
                    errors.append(f"GStreamer re-serialised {g['reserialized']} != {m['hex']}")
            else:
                note = "; GStreamer re-serialises the same bytes"
        report(label, errors, n, note)

    # 2. GStreamer -> library
    for variant in ("manual", "caps"):
        errors = []
        n = 0
        try:
            built = json.loads(run([peer, "build", variant]))
            ours = json.loads(run([emit, "parse", built["hex"]]))
        except RuntimeError as e:
            report(f"gst->lib {variant}", [str(e)], 0)
            continue
        if "error" in ours:
            errors.append(f"library rejects GStreamer's message: {ours['error']} at byte {ours['offset']}")
        else:
            n = compare(built["fields"], ours, "msg", errors, "GStreamer")
            if ours.get("schema") != "ok":
                errors.append(f"library schema check: {ours.get('schema')}")
            rebuilt = run([emit, "rebuild", built["hex"]]).strip()
            if rebuilt != built["hex"]:
                errors.append(f"library rebuild {rebuilt} != GStreamer's {built['hex']}")
        report(f"gst->lib {variant}", errors, n, "; the library rebuilds the same bytes")

    # Self-test: a value GStreamer reports differently must be caught.
    probe = next((m for m in messages if m["gst"]), None)
    wrong_errors: list[str] = []
    if probe is not None:
        theirs = json.loads(run([peer, "parse", probe["hex"]]))["fields"]
        ours = json.loads(json.dumps(probe["fields"]))
        ours["payloads"][-1]["key_data"][0]["key"] = "00" * 16
        ours["hdr"]["csb_id"] ^= 1
        compare(theirs, ours, "msg", wrong_errors, "GStreamer")
    tally.self_test(len(wrong_errors), 2)
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())
