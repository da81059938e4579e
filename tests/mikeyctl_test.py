#!/usr/bin/env python3
"""End-to-end test of `mikeyctl decode` / `mikeyctl encode`.

    mikeyctl_test.py MIKEYCTL MAKE_SAMPLES SOURCE_ROOT

Checks: the committed examples/data/*.hex and fuzz/corpus/messages/*.bin are
what make_samples writes now; decode -> encode is byte-identical for every
examples/data file and for byte-mutated samples that decode accepts; decoded
field values of several samples; truncated prefixes fail with exit 2,
"truncated" on stderr and nothing on stdout; hex / base64 / SDP recognition;
encode errors; the schema report; usage errors. The checks that need
thousands of inputs (every truncated prefix of every sample, a mutation
campaign) run in process in tests/mikeyctl_cmds.cpp.
"""
import base64
import concurrent.futures
import copy
import json
import os
import random
import subprocess
import sys
import tempfile
import time

MIKEYCTL, MAKE_SAMPLES, ROOT = sys.argv[1:4]
DATA = os.path.join(ROOT, "examples", "data")
CORPUS = os.path.join(ROOT, "fuzz", "corpus", "messages")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(args, stdin=b""):
    p = subprocess.run([MIKEYCTL] + args, input=stdin, capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def pmap(fn, items):
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(fn, items))


def decode(data, *flags):
    return run(["decode", *flags], data if isinstance(data, bytes) else data.encode())


def encode(obj):
    return run(["encode"], json.dumps(obj).encode() if not isinstance(obj, (bytes, str)) else
               (obj if isinstance(obj, bytes) else obj.encode()))


def round_trip(hexstr, what):
    """decode then encode; returns the decoded JSON (or None)."""
    rc, out, err = decode(hexstr)
    check(rc == 0 and err == "", f"{what}: decode exit {rc}: {err.strip()}")
    if rc != 0:
        return None
    doc = json.loads(out)
    rc, hex_out, err = encode(out)
    check(rc == 0, f"{what}: encode exit {rc}: {err.strip()}")
    check(hex_out.strip() == hexstr.strip().lower(), f"{what}: round trip differs")
    return doc


# --- 1. committed samples are what make_samples writes now ------------------
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([MAKE_SAMPLES, tmp], check=True)
    fresh_hex = os.path.join(tmp, "examples", "data")
    fresh_bin = os.path.join(tmp, "fuzz", "corpus", "messages")
    names = sorted(f[:-4] for f in os.listdir(fresh_hex))
    check(len(names) >= 14, f"make_samples wrote {len(names)} samples")
    for n in names:
        for fresh_dir, dir_, ext in ((fresh_hex, DATA, ".hex"), (fresh_bin, CORPUS, ".bin")):
            committed = os.path.join(dir_, n + ext)
            with open(os.path.join(fresh_dir, n + ext), "rb") as f:
                want = f.read()
            have = open(committed, "rb").read() if os.path.exists(committed) else None
            check(have == want, f"{committed} is stale: run `ninja samples` and commit")
        check(open(os.path.join(fresh_bin, n + ".bin"), "rb").read().hex() + "\n" ==
              open(os.path.join(fresh_hex, n + ".hex")).read(), f"{n}: .hex and .bin differ")

samples = {}
for f in sorted(os.listdir(DATA)):
    if f.endswith(".hex"):
        samples[f[:-4]] = open(os.path.join(DATA, f)).read().strip()
check(set(names) <= set(samples), "every sample is in examples/data")

# --- 2. decode -> encode is byte-identical for every examples/data file -----
docs = {}
for name, h in samples.items():
    rc, out, err = run(["decode", os.path.join(DATA, name + ".hex")])
    check(rc == 0, f"decode FILE {name}: exit {rc} {err.strip()}")
    check(out.startswith('{\n  "header": {\n    "version": 1,'), f"{name}: JSON indented by 2, header first")
    docs[name] = round_trip(h, name)

# --- 3. field values ---------------------------------------------------------
def payloads(doc, t):
    return [p for p in doc["payloads"] if p["type"] == t]


d = docs["transfer_init"]
hdr = d["header"]
check(hdr["csb_id"] == 305419896 and hdr["data_type"] == "TRANSFER_INIT" and hdr["v"] is True,
      "transfer_init header fields")
check(hdr["prf_func"] == "PRF-HMAC-SHA-256" and hdr["cs_id_map_type"] == "GENERIC-ID", "transfer_init names")
check(hdr["cs_id_map"] == [{"cs_id": 1, "prot_type": "SRTP", "s": False, "policies": [0],
                            "session_data": {"ssrc": 0x12345678}, "spi": "0001"}], "GENERIC-ID block")
ticket = payloads(d, "TICKET")[0]
check(ticket["flags"]["i"] is True and ticket["flags"]["d"] is True and ticket["flags"]["k"] is False,
      "transfer_init ticket flags")
check(ticket["ticket_type"] == "MIKEY_BASE_TICKET" and ticket["subtype"] == 1, "ticket type")
check([p["role"] for p in payloads(d, "IDR")] == ["IDRi", "IDRr"], "transfer_init IDR roles")
check(payloads(d, "IDR")[0]["text"] == "sip:alice@example.org", "IDR text")
check([p.get("role") for p in ticket["tp_data"]] == ["IDRkms", "IDRi", "TRs", "TRe", "IDRapp", "IDRr"],
      "tp_data roles")
check(ticket["tp_data"][2]["ts_type"] == "NTP-UTC-32" and ticket["tp_data"][2]["ts_value"] == "ebf99d4c",
      "TRs value")
check(ticket["ticket_data"]["thdr_text"] == "mikey-ticket sample", "THDR data")
check([p["type"] for p in ticket["ticket_data"]["payloads"]] == ["T", "RAND", "KEMAC", "IDR", "V"],
      "base ticket payloads")
check([p["type"] for p in ticket["initiator_data"]] == ["V", "V"], "initiator data")
check(d["schema"] == {"name": "TRANSFER_INIT", "conforms": True}, "transfer_init schema")
t = payloads(d, "T")[0]
check(t["ts_type"] == "NTP-UTC" and t["ts_value"] == "ebf99d4cb05ea24c" and t["ntp_seconds"] == 0xEBF99D4C, "T")
sp = payloads(d, "SP")[0]
check(sp["params"][1] == {"type": "session_encryption_key_length", "value": 16}, "SP params by name")

d = docs["psk_init"]
check(d["header"]["cs_id_map"] == [{"policy_no": 0, "ssrc": 0x958C2327, "roc": 0}], "SRTP-ID map")
kemac = payloads(d, "KEMAC")[0]
check(kemac["encr_alg"] == "NULL" and kemac["mac_alg"] == "NULL", "NULL KEMAC")
check([k["type"] for k in kemac["key_data"]] == ["TGK+SALT", "TEK"], "key data types")
check(kemac["key_data"][0]["kv"] == "SPI" and kemac["key_data"][0]["spi"] == "0001", "key data SPI")
check(kemac["key_data"][0]["salt"] == bytes(range(0x40, 0x4E)).hex(), "key data salt")
check(kemac["key_data"][1]["kv"] == "INTERVAL" and kemac["key_data"][1]["valid_to"] == "ec000000", "interval")
check(payloads(d, "EXT")[0] == {"type": "EXT", "ext_type": "VENDOR_ID", "data": b"mikey-ticket".hex(),
                                "text": "mikey-ticket"}, "vendor extension")
check("key_data" not in payloads(docs["psk_init_aes"], "KEMAC")[0], "encrypted KEMAC: no key_data")

check(payloads(docs["dh_init"], "EXT")[0]["key_ids"] ==
      [{"type": "MBMS_MSK_ID", "id": "aabbcc"}, {"type": "MBMS_MTK_ID", "id": "1122"}], "Key ID entries")
check(payloads(docs["dh_init"], "DH")[0]["dh_group"] == "OAKLEY-5", "DH group")
check([e["error_no"] for e in payloads(docs["error"], "ERR")] == ["INVALID_TICKET", "INVALID_TPPAR"], "ERR")
check(payloads(docs["pk_init"], "SIGN")[0]["sign_type"] == "RSA-PKCS1-1.5", "SIGN")
check(payloads(docs["pk_init"], "PKE")[0]["cache"] == "NO_CACHE", "PKE")
check(payloads(docs["pk_init"], "CHASH")[0]["hash_func"] == "SHA-256", "CHASH")
check(payloads(docs["pk_init"], "CERT")[0]["cert_type"] == "X.509v3", "CERT")
tp = payloads(docs["request_init_psk"], "TP")[0]
check("ticket_data" not in tp and tp["flags"]["i"] is True, "TP fields")
tp_kemac = [p for p in tp["tp_data"] if p["type"] == "KEMAC"][0]
check(tp_kemac["key_data"][0]["key"] == "00" * 16, "TP KEMAC key data")
check([p["role"] for p in payloads(docs["transfer_resp"], "RANDR")] == ["RANDRr", "RANDRkms"], "RANDR roles")
check(payloads(docs["request_resp"], "TICKET")[0]["initiator_data"] == [], "no initiator data")
check(all(docs[n]["schema"]["conforms"] for n in docs if "schema" in docs[n]), "samples conform")

# --- 4. truncated prefixes: exit 2, "truncated", empty stdout ------------------
# Every prefix of every sample runs in process in tests/mikeyctl_cmds.cpp (a
# process per input costs ~20 ms, ~90 ms under ASan); here the process-level
# contract for a few prefixes of each sample.
start = time.monotonic()
prefixes = [(name, n) for name, h in samples.items() for n in (0, 10, len(h) // 2 - 1)]
results = pmap(lambda job: decode(samples[job[0]][:2 * job[1]]), prefixes)
for (name, n), (rc, out, err) in zip(prefixes, results):
    check(rc == 2 and out == "" and err.startswith("error: truncated at byte "),
          f"{name} prefix of {n} bytes: exit {rc} {err.strip()}")
print(f"{len(prefixes)} truncated prefixes: {time.monotonic() - start:.1f} s")

# --- 5. input forms ------------------------------------------------------------
h = samples["transfer_init"]
raw = bytes.fromhex(h)
b64 = base64.b64encode(raw).decode()
want = docs["transfer_init"]
spaced = " ".join(h[i:i + 8].upper() for i in range(0, len(h), 8)) + "\n"
for what, data, flags in (
        ("hex with whitespace, upper case", spaced, []),
        ("base64", b64 + "\n", []),
        ("base64 split over lines", "\n".join(b64[i:i + 60] for i in range(0, len(b64), 60)), []),
        ("SDP session level, CRLF", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\na=key-mgmt:mikey "
         + b64 + "\r\nm=audio 4000 RTP/SAVP 0\r\n", []),
        ("SDP media level", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 4000 RTP/SAVP 0\n"
         "a=key-mgmt:other AAAA\na=key-mgmt: mikey " + b64 + "\n", []),
        ("SDP without v=0", "a=key-mgmt:mikey " + b64 + "\n", []),
        ("--hex", h, ["--hex"]),
        ("--base64", b64, ["--base64"]),
        ("--sdp", "a=key-mgmt:mikey " + b64, ["--sdp"])):
    rc, out, err = decode(data, *flags)
    check(rc == 0 and json.loads(out or "null") == want, f"input form {what}: exit {rc} {err.strip()}")

# The RFC 4567 example of the SDP digest (GORTSP test data): a PSK I_MESSAGE.
gortsp = ("AQAFAHojKV4BAACVjCMnAAAAAAsA6/mdTLBeokwKEGwcAuPrxj6/enyb+A2+rNcBAAAAFQABAQEBEAIBAQMBCgcBAQgBAQoB"
          "AQAAACIAIAAeX8XvOCzIMh0JTOWivWLxEflTUSp1fjj2i8xG7D9DAA==")
sdp = ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=stream\r\nt=0 0\r\na=control:rtsp://192.0.2.1/stream\r\n"
       "a=key-mgmt:mikey " + gortsp + "\r\nm=video 0 RTP/SAVP 96\r\na=rtpmap:96 H264/90000\r\n")
rc, out, err = decode(sdp)
check(rc == 0, f"GORTSP SDP: exit {rc} {err.strip()}")
if rc == 0:
    g = json.loads(out)
    check(g["header"]["data_type"] == "PSK_INIT" and payloads(g, "KEMAC")[0]["key_data"][0]["type"] == "TEK",
          "GORTSP message fields")
    rc, hex_out, err = encode(out)
    check(hex_out.strip() == base64.b64decode(gortsp).hex(), "GORTSP round trip")

for what, data, flags, err_part in (
        ("odd hex", h[:-1], ["--hex"], "invalid_argument"),
        ("base64 with a bad character", b64[:10] + "*" + b64[10:], [], "invalid_argument"),
        ("SDP without mikey", "v=0\na=key-mgmt:other AAAA\n", [], "invalid_argument"),
        ("hex given as --base64 (valid base64, not a message)", h, ["--base64"], "error: "),
        ("empty input", "", [], "truncated at byte 0"),
        ("trailing byte", h + "00", [], "trailing_bytes at byte 526"),
        ("bad version", "02" + h[2:], [], "unsupported_version at byte 0")):
    rc, out, err = decode(data, *flags)
    check(rc == 2 and out == "" and err_part in err, f"decode {what}: exit {rc} {err.strip()}")

# --- 6. encode: names or numbers, raw hex instead of structure, errors -------------
doc = copy.deepcopy(docs["transfer_init"])
doc["header"]["data_type"] = 14
doc["payloads"][0]["ts_type"] = 0
doc["payloads"][1]["role"] = 1
del doc["payloads"][2]["data"]  # text only
tk = payloads(doc, "TICKET")[0]
del tk["tp_data"][2]["ts_value"]  # NTP-UTC-32: rebuilt from ntp_seconds
tk["flags"] = {k: v for k, v in tk["flags"].items() if v}  # absent flags are 0
rc, out, err = encode(doc)
check(rc == 0 and out.strip() == h, f"encode with numbers and text only: exit {rc} {err.strip()}")

for field in ("tp_data", "ticket_data", "initiator_data"):
    one = copy.deepcopy(docs["transfer_init"])
    payloads(one, "TICKET")[0][field] = "zz"
    rc, out, err = encode(one)
    check(rc == 2 and f"payloads[5].{field}: not an even number of hex digits" in err,
          f"bad hex in {field}: exit {rc} {err.strip()}")

# The nested fields given as hex instead of decoded: the same message.
t1 = payloads(docs["transfer_init"], "TICKET")[0]
thdr = bytes.fromhex(t1["ticket_data"]["thdr_data"])
mac = bytes.fromhex(t1["initiator_data"][0]["mac"])
initiator = b"\x09" + b"\x09\x02" + mac + b"\x00\x02" + mac  # First Payload V, Vi, Vr
ticket_start = raw.find(len(thdr).to_bytes(2, "big") + thdr) - 1
ticket_end = raw.find(len(initiator).to_bytes(2, "big") + initiator)
tp_start = raw.find(b"\x03\x01\x00\x13sip:kms@") - 2
nested_hex = {"tp_data": raw[tp_start:ticket_start - 2].hex(), "ticket_data": raw[ticket_start:ticket_end].hex(),
              "initiator_data": initiator.hex()}
for field, value in nested_hex.items():
    one = copy.deepcopy(docs["transfer_init"])
    payloads(one, "TICKET")[0][field] = value
    rc, out, err = encode(one)
    check(rc == 0 and out.strip() == h, f"{field} as hex: exit {rc} {err.strip()}")

# Another ticket subtype: Ticket Data is not the base ticket, so it prints as hex.
one = copy.deepcopy(docs["transfer_init"])
payloads(one, "TICKET")[0].update(subtype=2, ticket_data=nested_hex["ticket_data"])
rc, out, err = encode(one)
check(rc == 0, f"subtype 2 ticket: exit {rc} {err.strip()}")
if rc == 0:
    other = round_trip(out, "subtype 2 ticket")
    check(other is not None and payloads(other, "TICKET")[0]["ticket_data"] == nested_hex["ticket_data"],
          "non-base Ticket Data as hex")

# A NULL KEMAC given only by encr_data, or only by key_data, gives the same bytes.
for drop in ("encr_data", "key_data"):
    one = copy.deepcopy(docs["psk_init"])
    del payloads(one, "KEMAC")[0][drop]
    rc, out, err = encode(one)
    check(rc == 0 and out.strip() == samples["psk_init"], f"KEMAC without {drop}: exit {rc} {err.strip()}")
# PK method: IDi before the Key data (RFC 3830 §3.2), read as such in a PK_INIT;
# elsewhere the same bytes read as Key data only, and round-trip all the same.
for name, want_id in (("pk_init", True), ("psk_init", False)):
    one = copy.deepcopy(docs[name])
    km = payloads(one, "KEMAC")[0]
    km.update(encr_alg="NULL", mac_alg="NULL", mac="", key_data=payloads(docs["psk_init"], "KEMAC")[0]["key_data"],
              id={"type": "ID", "id_type": "NAI", "text": "alice@example.org"})
    del km["encr_data"]
    rc, out, err = encode(one)
    check(rc == 0, f"{name} KEMAC with a leading ID: exit {rc} {err.strip()}")
    pk = round_trip(out, f"{name} KEMAC with a leading ID") if rc == 0 else None
    got = pk is not None and payloads(pk, "KEMAC")[0].get("id", {}).get("text") == "alice@example.org"
    check(got == want_id, f"{name}: KEMAC id decoded: {got}")
# Only PK_INIT reads a leading ID (RFC 3830 §3.2, §6.2). A URI ID (type 1) is no
# valid Key data start in a PSK_INIT: it reads as a TGK with KV SPI whose SPI
# length (20, the next Next byte) swallows bytes 26-45, and the "sub-payload"
# at 46 has Key data len 0x4142 (salt bytes), past the end: key_data_error at
# 46 + 4 (where that key would start), no id, no key_data; the bytes round-trip.
# In a PK_INIT, Key data without the ID reads its first byte pair as an ID
# whose ID Type is 0x11 (TGK+SALT, SPI): unknown_id_type at 1.
key_data_chain = payloads(docs["psk_init"], "KEMAC")[0]["key_data"]
for name, extra, want_error in (
        ("psk_init", {"id": {"type": "ID", "id_type": "URI", "text": "sip:alice@example.org"}},
         {"error": "length_out_of_bounds", "offset": 50}),
        ("pk_init", {}, {"error": "unknown_id_type", "offset": 1})):
    one = copy.deepcopy(docs[name])
    km = payloads(one, "KEMAC")[0]
    km.update(encr_alg="NULL", mac_alg="NULL", mac="", key_data=key_data_chain, **extra)
    del km["encr_data"]
    rc, out, err = encode(one)
    check(rc == 0, f"{name} KEMAC {sorted(extra)}: encode exit {rc} {err.strip()}")
    back = round_trip(out, f"{name} KEMAC that is no chain for its data type") if rc == 0 else None
    got = payloads(back, "KEMAC")[0] if back else {}
    check(got.get("key_data_error") == want_error and "key_data" not in got and "id" not in got,
          f"{name}: key_data_error {got.get('key_data_error')}, fields {sorted(got)}")
# RFC 3830 §6.2: the last Key data sub-payload (Next payload = Last) ends the
# data; a byte after it is reported, at its offset in encr_data, not dropped.
one = copy.deepcopy(docs["psk_init"])
km = payloads(one, "KEMAC")[0]
plain_len = len(km["encr_data"]) // 2
km["encr_data"] += "00"
del km["key_data"]
rc, out, err = encode(one)
check(rc == 0, f"KEMAC with a trailing byte: encode exit {rc} {err.strip()}")
rc, dec, err = decode(out)
check(rc == 0 and err == "", f"KEMAC with a trailing byte: decode exit {rc} {err.strip()}")
got = payloads(json.loads(dec), "KEMAC")[0] if rc == 0 else {}
check(got.get("key_data_error") == {"error": "trailing_bytes", "offset": plain_len} and "key_data" not in got,
      f"KEMAC with a trailing byte: {got}")
check(encode(dec)[1] == out, "KEMAC with a trailing byte: round trip")

# A TICKET whose policy names the MIKEY base ticket but whose Ticket Data is
# none: parsing leaves Ticket Data to the resolving party (RFC 6043 §3), so the
# message decodes (exit 0), ticket_data is its hex and ticket_data_error says
# why, at its offset in ticket_data; encode ignores the report (round trip).
for td, want_error in (("0000", {"error": "length_out_of_bounds", "offset": 1}),
                       ("000000", {"error": "wrong_last_payload", "offset": 0}),
                       ("00000305", {"error": "length_out_of_bounds", "offset": 3})):
    one = copy.deepcopy(docs["transfer_init"])
    payloads(one, "TICKET")[0]["ticket_data"] = td
    rc, out, err = encode(one)
    check(rc == 0, f"Ticket Data {td}: encode exit {rc} {err.strip()}")
    back = round_trip(out, f"Ticket Data {td} that is no base ticket") if rc == 0 else None
    got = payloads(back, "TICKET")[0] if back else {}
    check(got.get("ticket_data") == td and got.get("ticket_data_error") == want_error,
          f"Ticket Data {td}: {got.get('ticket_data')} {got.get('ticket_data_error')}")
check("ticket_data_error" not in payloads(docs["transfer_init"], "TICKET")[0], "a base ticket has no ticket_data_error")

one = copy.deepcopy(docs["psk_init"])
payloads(one, "KEMAC")[0]["key_data"][0]["spi"] = "0002"
rc, out, err = encode(one)
check(rc == 2 and "encr_data" in err and "disagrees" in err, f"KEMAC raw/decoded disagree: {err.strip()}")
del payloads(one, "KEMAC")[0]["encr_data"]
rc, out, err = encode(one)
check(rc == 0 and out.strip() != samples["psk_init"], f"edited key data: exit {rc} {err.strip()}")

bad_cases = [
    ("not JSON", "{\"header\": ", "invalid_argument at byte"),
    ("JSON but not an object", "[1, 2]", "invalid_argument"),
    ("unknown top-level field", dict(docs["error"], extra=1), "extra: unknown field"),
    ("unknown payload field", None, "payloads[0].colour: unknown field"),
    ("unknown name", None, "unknown_ts_type at payloads[0].ts_type"),
    ("unknown payload type", None, "unknown_payload_type"),
    ("builder rejects a MAC length", None, "invalid_argument at payloads[3]"),
    ("number out of range", None, "header.csb_id"),
    ("flag rule", None, "flag_f_required_by_g"),
    ("message that does not parse", None, "does not parse"),
]
e = docs["error"]
variants = []
for what, obj, part in bad_cases:
    if obj is None:
        obj = copy.deepcopy(e)
        if what == "unknown payload field":
            obj["payloads"][0]["colour"] = "red"
        elif what == "unknown name":
            obj["payloads"][0]["ts_type"] = "NTP-LOCAL"
        elif what == "unknown payload type":
            obj["payloads"][0]["type"] = "BOGUS"
        elif what == "builder rejects a MAC length":
            obj["payloads"][3]["mac"] = "00"
        elif what == "number out of range":
            obj["header"]["csb_id"] = 2 ** 32
        elif what == "flag rule":
            obj = copy.deepcopy(docs["transfer_init"])
            payloads(obj, "TICKET")[0]["flags"]["f"] = False
        elif what == "message that does not parse":
            # RFC 4563 §5: no SP with the Empty map; the builders do not know the map.
            obj["payloads"].insert(1, payloads(docs["psk_init"], "SP")[0])
    rc, out, err = encode(obj)
    check(rc == 2 and out == "" and part in err, f"encode {what}: exit {rc} out={out[:20]!r} {err.strip()}")
# A key given twice in one object: an error naming it (not "last one wins").
error_json = json.dumps(docs["error"])
for what, text, part in (
        ("top level", '{"header": {}, ' + error_json[1:], "at header: duplicate key 'header'"),
        ("in a payload", error_json.replace('"error_no": "INVALID_TICKET"',
                                            '"error_no": "INVALID_TICKET", "error_no": "INVALID_TPPAR"', 1),
         "at payloads[1].error_no: duplicate key 'error_no'"),
        ("same value", error_json.replace('"csb_id": ', '"csb_id": 1, "csb_id": ', 1),
         "at header.csb_id: duplicate key 'csb_id'")):
    check(text != error_json, f"duplicate key {what}: the test changed the input")
    rc, out, err = encode(text)
    check(rc == 2 and out == "" and err.startswith("error: invalid_argument ") and part in err,
          f"duplicate key {what}: exit {rc} {err.strip()}")

# A huge unknown name is cut in the message (64 bytes, then "...").
huge = "N" * 100000
for what, obj, part in (
        ("enum name", dict(docs["error"], header=dict(docs["error"]["header"], data_type=huge)),
         "unknown_data_type at header.data_type: unknown name '" + "N" * 64 + "...'"),
        ("field name", dict(docs["error"], **{huge: 1}), "invalid_argument at " + "N" * 64 + "...: unknown field"),
        ("flag letter", None, "at payloads[5].flags." + "N" * 64 + "...: unknown flag")):
    if obj is None:
        obj = copy.deepcopy(docs["transfer_init"])
        payloads(obj, "TICKET")[0]["flags"][huge] = True
    rc, out, err = encode(obj)
    check(rc == 2 and out == "" and part in err and len(err) < 200 and "N" * 65 not in err,
          f"huge {what}: exit {rc}, {len(err)} bytes on stderr: {err[:120]!r}")

e2 = copy.deepcopy(e)
e2["payloads"].insert(1, payloads(docs["psk_init"], "SP")[0])
rc, out, err = run(["encode", "--no-check"], json.dumps(e2).encode())
check(rc == 0 and decode(out)[2].startswith("error: sp_with_empty_map at byte"), "--no-check prints it anyway")

# --- 7. any message decode accepts round-trips: byte mutations of the samples -------
# (3000 more mutants run in process in tests/mikeyctl_cmds.cpp)
start = time.monotonic()
rng = random.Random(6043)
mutants = []
for name, h in samples.items():
    raw = bytearray.fromhex(h)
    for _ in range(2):
        m = bytearray(raw)
        for _ in range(rng.choice((1, 1, 2))):
            m[rng.randrange(len(m))] = rng.choice((0, 1, 2, 0x7F, 0x80, 0xF5, 0xFF, rng.randrange(256)))
        mutants.append((name, m.hex()))
decoded = pmap(lambda job: decode(job[1]), mutants)
accepted = [(name, m, out) for (name, m), (rc, out, err) in zip(mutants, decoded) if rc == 0]
for (name, m), (rc, out, err) in zip(mutants, decoded):
    check(rc == 0 or (rc == 2 and out == "" and err.startswith("error: ")), f"mutated {name}: exit {rc} {err}")
encoded = pmap(lambda job: encode(job[2]), accepted)
for (name, m, _), (rc, hex_out, err) in zip(accepted, encoded):
    check(rc == 0 and hex_out.strip() == m, f"mutated {name} {m}: round trip: {err.strip()}")
print(f"{len(mutants)} mutants, {len(accepted)} decoded and round-tripped: {time.monotonic() - start:.1f} s")
check(len(accepted) > 5, "enough mutated messages decode")

# --- 8. schema report does not change the exit code ----------------------------------
nonconforming = "01" + "0e" + samples["psk_verification"][4:]  # a PSK R_MESSAGE relabelled TRANSFER_INIT
rc, out, err = decode(nonconforming)
check(rc == 0, f"nonconforming message: exit {rc} {err.strip()}")
if rc == 0:
    s = json.loads(out)["schema"]
    check(s["name"] == "TRANSFER_INIT" and s["conforms"] is False and s["error"] == "bad_crypto_sessions"
          and s["offset"] == 9, f"schema report {s}")
    rc, hex_out, err = encode(out)
    check(hex_out.strip() == nonconforming, "nonconforming message round trip")
private = samples["error"][:2] + "f5" + samples["error"][4:]  # private-use data type: no schema
rc, out, err = decode(private)
check(rc == 0 and "schema" not in json.loads(out or "{}"), f"private data type: exit {rc} {err.strip()}")
if rc == 0:
    check(json.loads(out)["header"]["data_type"] == 245, "private data type as a number")
    check(encode(out)[1].strip() == private, "private data type round trip")

# --- 9. usage -------------------------------------------------------------------------
for args in (["decode", "--hex", "--sdp"], ["decode", "--bogus"], ["decode", "a", "b"],
             ["decode", "/nonexistent/file"], ["encode", "--bogus"]):
    rc, out, err = run(args)
    check(rc == 1 and out == "", f"{args}: exit {rc}")
rc, out, err = run(["decode", "--help"])
check(rc == 0 and "exit code 0" in out, "decode --help mentions the schema exit code")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("mikeyctl: all checks passed")
