#!/usr/bin/env python3
"""Independent encoder of whole MIKEY-TICKET (RFC 6043) flows.

Usage: ticket_flow_make.py SCENARIO.json [-o RUN.json] [--iv-t=initial]

Builds every message of the scenario's mode (PSK variants) with deterministic
"random" values (from the scenario's seed), protects them as RFC 6043 and the
lead's readings say (see README_ticket_flow.md), and prints RUN.json in the
format `mikeyctl run` uses: {"messages": [...], "keys": {...}}. It is a test
input for ticket_flow_check.py and a second, independent encoder to cross-check
the C++ library against (same scenario and seed does NOT mean same bytes: the
RANDs, CSB IDs and SPIs here come from this script's own generator).

Encoding is written here from RFC 3830 §6 / RFC 6043 §6, App. A; the crypto
primitives (PRF, labels, AES-CM, RFC 3394) come from crypto_vectors.py. No code
is shared with the C++ library or with the verifier's parser.
"""
import datetime
import hashlib
import hmac
import json
import pathlib
import struct
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import crypto_vectors as cv  # noqa: E402  (exits 77 when `cryptography` is missing)

PRF_IDS = {"MIKEY-1": 0, "PRF-HMAC-SHA-256": 1}
ENCR_IDS = {"NULL": 0, "AES-CM-128": 1, "AES-KW-128": 2, "AES-CM-256": 3}
MAC_IDS = {"NULL": 0, "HMAC-SHA-1-160": 1, "HMAC-SHA-256-256": 2}
ENCR_LEN = {0: 0, 1: 16, 2: 16, 3: 32}
SALT_LEN = {0: 0, 1: 14, 2: 8, 3: 14}
AUTH_LEN = {0: 0, 1: 20, 2: 32}
HASH = {1: hashlib.sha1, 2: hashlib.sha256}

# payload type numbers (RFC 3830 Table 6.1.b, RFC 6043 Table 6.2)
KEMAC, T, V, SP, RAND, TR, IDR, RANDR, TP, TICKET, KEYDATA = 1, 5, 9, 10, 11, 13, 14, 15, 16, 17, 20
NTP_UNIX = 2208988800


def u8(v):
    return bytes([v])


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


class Rng:
    """Deterministic byte source: SHA-256 of seed/tag/counter."""

    def __init__(self, seed):
        self.seed = seed

    def bytes(self, tag, n):
        out, i = b"", 0
        while len(out) < n:
            out += hashlib.sha256(f"ticket-flow/{self.seed}/{tag}/{i}".encode()).digest()
            i += 1
        return out[:n]

    def u32(self, tag):
        return int.from_bytes(self.bytes(tag, 4), "big")


# -------------------------------------------------------------- encoding

def chain(payloads):
    """[(type, body)] -> bytes; each payload's Next Payload byte names the following one (0 = last)."""
    out = b""
    for i, (_, body) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        out += u8(nxt) + body
    return out


def hdr(dtype, first, v, prf, csb, cs_map_type, entries):
    info = b""
    if cs_map_type == 2:      # GENERIC-ID, RFC 6043 §6.1.1
        for e in entries:
            pol = bytes(e["policies"])
            info += u8(e["cs_id"]) + u8(0) + u8(len(pol)) + pol + u16(len(e["sd"])) + e["sd"] + u8(len(e["spi"])) + e["spi"]
    return u8(1) + u8(dtype) + u8(first) + u8((v << 7) | prf) + u32(csb) + u8(len(entries)) + u8(cs_map_type) + info


def message(dtype, v, prf, csb, cs_map_type, entries, payloads):
    """HDR + chain; the last payload is V whose body is only the Auth alg byte (MAC appended by the caller)."""
    return hdr(dtype, payloads[0][0], v, prf, csb, cs_map_type, entries) + chain(payloads)


def p_t(ts_type, value):
    return (T, u8(ts_type) + value)


def p_idr(role, data, id_type=1):
    return (IDR, u8(role) + u8(id_type) + u16(len(data)) + data)


def p_randr(role, r):
    return (RANDR, u8(role) + u8(len(r)) + r)


def p_kemac(encr, data):
    return (KEMAC, u8(encr) + u16(len(data)) + data + u8(0))   # MAC alg NULL: the V authenticates


def key_data(keys):
    """RFC 3830 §6.13 sub-payloads; each key dict: type, key, salt or None, spi."""
    out = b""
    for i, k in enumerate(keys):
        nxt = KEYDATA if i + 1 < len(keys) else 0
        out += u8(nxt) + u8((k["type"] << 4) | 1) + u16(len(k["key"])) + k["key"]
        if k["salt"] is not None:
            out += u16(len(k["salt"])) + k["salt"]
        out += u8(len(k["spi"])) + k["spi"]
    return out


def flags_bytes(prf, f):
    b5 = (prf << 1) | f["D"]
    b6 = sum(f[c] << (7 - i) for i, c in enumerate("EFGHIJKL"))
    b7 = sum(f[c] << (7 - i) for i, c in enumerate("MNO"))
    return u8(b5) + u8(b6) + u8(b7)


def policy_head(prf, f, tp_data):
    return u16(1) + u8(1) + u8(1) + flags_bytes(prf, f) + u16(len(tp_data)) + tp_data


# ---------------------------------------------------------------- crypto

def kdf(prf, inkey, label, n):
    return cv.prf(prf, inkey, label, n) if n else b""


def keyset(prf, inkey, make_label, encr, mac_alg):
    return {"encr": kdf(prf, inkey, make_label(cv.C_ENCR), ENCR_LEN[encr]),
            "salt": kdf(prf, inkey, make_label(cv.C_SALT), SALT_LEN[encr]),
            "auth": kdf(prf, inkey, make_label(cv.C_AUTH), AUTH_LEN[mac_alg])}


def d12(prf, inkey, csb, direction, ri, rr, encr, mac_alg):
    return keyset(prf, inkey, lambda c: cv.label_d12(c, csb, direction, ri, rr), encr, mac_alg)


def encrypt(encr, keys, csb, t64, plain):
    if encr == 0:
        return plain
    if encr in (1, 3):
        return cv.aes_cm(keys["encr"], keys["salt"], csb, t64, plain)[1]
    if len(plain) % 8 or len(plain) < 16:
        raise SystemExit(f"AES-KW: Key data chain of {len(plain)} bytes is not a multiple of 8")
    return cv.aes_kw(keys["encr"], keys["salt"], plain)


def mac(alg, key, data):
    return hmac.new(key, data, HASH[alg]).digest() if alg else b""


# ------------------------------------------------------------------ flow

def policy_flags(sc, kind, warn):
    mode, forking = int(sc["mode"]), bool(sc.get("forking"))
    f = {c: int(c in sc.get("policy", "")) for c in "DEFGHIJKLMNO"}
    f["I"] = int(forking)
    f["D"] = int(mode in (1, 2))
    f["K"] = 0
    if not f["D"]:
        f["L"] = 1                      # not D implies L
    if mode in (2, 4):
        f["E"] = 0                      # the Responder resolves the ticket itself
    if forking:
        f["E"] = 1                      # I implies E (RFC 6043 §6.10), a parse-time rule in the C++ library
        if mode in (2, 4):
            warn(f"mode {mode} with forking: E = 1 ('I implies E') although mode {mode} has no Ticket Resolve")
    if forking and kind == "TGK":
        f["F"] = 1
    if f["G"] or f["M"]:
        f["F"] = 1                      # G implies F, M implies F
    if not f["G"]:
        f["H"] = 1                      # not G implies H
    return f


def ntp_now(now):
    if isinstance(now, int):
        return now
    t = datetime.datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) + NTP_UNIX


def build(sc, warn=lambda s: print("ticket_flow_make: " + s, file=sys.stderr), iv_t_initial=False):
    """iv_t_initial: response KEMACs use the T of the exchange's initial message in the AES-CM IV
    (RFC 3830 §4.2.3 read literally) instead of the response's own T (the lead's reading)."""
    rng = Rng(sc.get("seed", 0))
    mode = int(sc["mode"])
    forking = bool(sc.get("forking"))
    prf, encr, mac_alg = PRF_IDS[sc["prf"]], ENCR_IDS[sc["encr"]], MAC_IDS[sc["mac"]]
    id_i, id_r, id_kms = sc["initiator"].encode(), sc["responder"].encode(), sc["kms"].encode()
    psk_i, psk_r, tpk = (bytes.fromhex(sc[k]) for k in ("psk_initiator", "psk_responder", "tpk"))
    kind, klen = sc["key_kind"], int(sc["key_length"])
    css = sc["crypto_sessions"]
    now = ntp_now(sc["now"])
    spi_len = 3 if encr == 2 else 4     # keeps every Key data a multiple of 8 bytes for AES-KW
    f = policy_flags(sc, kind, warn)
    maclen = AUTH_LEN[mac_alg] and {1: 20, 2: 32}[mac_alg]

    def ntp64(dt):
        return u32(now + dt) + u32(0)

    # ---- keys chosen by the ticket creator (KMS in modes 1/2, Initiator in 3/4)
    mpk = {"type": 6, "key": rng.bytes("mpk", klen), "salt": None, "spi": rng.bytes("spi-mpk", spi_len)}
    if kind == "TEK":
        session = [{"type": 3, "key": rng.bytes(f"tek-{c['cs_id']}", klen), "salt": rng.bytes(f"teksalt-{c['cs_id']}", 14),
                    "spi": rng.bytes(f"spi-tek-{c['cs_id']}", spi_len)} for c in css]
    else:
        session = [{"type": 0 if kind == "TGK" else 4, "key": rng.bytes("tgk", klen), "salt": None,
                    "spi": rng.bytes("spi-tgk", spi_len)}]
    trand = rng.bytes("ticket-rand", max(32, klen, len(tpk)))
    mpki = cv.prf(prf, mpk["key"], cv.label_d67(cv.C_MPKI, 0x06, trand), klen)
    mpkr = cv.prf(prf, mpk["key"], cv.label_d67(cv.C_MPKR, 0x06, trand), klen)

    # ---- Ticket Policy (granted = desired after the flag rules)
    tp_data = u8(IDR) + chain(([p_idr(3, id_kms)] if mode != 4 else []) + [
        p_idr(1, id_i), (TR, u8(2) + u8(3) + u32(now)), (TR, u8(3) + u8(3) + u32(now + 86400)), p_idr(2, id_r)])

    # ---- base ticket (App. A): THDR, T, RAND, KEMAC, IDRpsk, V
    t_tkt = u32(now)                                     # NTP-UTC-32
    tk = keyset(prf, tpk, lambda c: cv.label_d67(c, 0x05, trand), encr, mac_alg)
    enc = encrypt(encr, tk, 0xFFFFFFFF, (now << 32), key_data([mpk] + session))
    thdr_data = b"pyref"
    td_wo_mac = u8(T) + u16(len(thdr_data)) + thdr_data + chain(
        [p_t(3, t_tkt), (RAND, u8(len(trand)) + trand), p_kemac(encr, enc), p_idr(4, b"tpk-1", 2), (V, u8(mac_alg))])
    covered = policy_head(prf, f, tp_data) + u16(len(td_wo_mac) + maclen) + td_wo_mac
    ticket_core = covered + mac(mac_alg, tk["auth"], covered)   # TICKET body without Initiator Data fields

    msgs = []

    def emit(name, frm, to, raw):
        msgs.append({"name": name, "from": frm, "to": to, "hex": raw.hex()})
        return raw

    kms_keys = None
    # ---- Ticket Request (modes 1, 2)
    if mode in (1, 2):
        csb = rng.u32("csb-request")
        ri = rng.bytes("randri-request", 32)
        body = message(11, 1, prf, csb, 1, [], [p_t(0, ntp64(0)), p_randr(1, ri), p_idr(1, id_i), p_idr(3, id_kms),
                                                 (TP, policy_head(prf, f, tp_data)), (V, u8(mac_alg))])
        k = d12(prf, psk_i, csb, 0x01, ri, b"", encr, mac_alg)
        req_init = emit("REQUEST_INIT_PSK", "initiator", "kms", body + mac(mac_alg, k["auth"], body + id_i + id_kms))
        k = d12(prf, psk_i, csb, 0x02, ri, b"", encr, mac_alg)
        t_resp = ntp64(1)
        kem_plain = key_data([dict(mpk, key=mpki)] + ([dict(mpk, key=mpkr)] if forking else []) + session)
        kem = encrypt(encr, k, csb, int.from_bytes(ntp64(0) if iv_t_initial else t_resp, "big"), kem_plain)
        body = message(13, 0, prf, csb, 1, [], [p_t(0, t_resp), p_idr(3, id_kms), (TICKET, ticket_core + u16(0)),
                                                 p_kemac(encr, kem), (V, u8(mac_alg))])
        emit("REQUEST_RESP", "kms", "initiator", body + mac(mac_alg, k["auth"], body + req_init))
        kms_keys = {"mpk": mpk["key"].hex(), "mpki": mpki.hex(), "mpkr": mpkr.hex()}

    # ---- TRANSFER_INIT
    csb_t = rng.u32("csb-transfer")
    ri_t = rng.bytes("randri-transfer", 32)

    def cs_entries():
        out = []
        for i, c in enumerate(css):
            spi = session[i]["spi"] if kind == "TEK" else session[0]["spi"]
            out.append({"cs_id": c["cs_id"], "policies": [0], "sd": u32(c["ssrc"]), "spi": spi})
        return out

    sp_params = bytes([0, 1, 1, 1, 1, klen, 2, 1, 1, 3, 1, 20, 4, 1, 14, 11, 1, 10])
    head_payloads = [p_t(0, ntp64(2)), p_randr(1, ri_t), p_idr(1, id_i), p_idr(2, id_r),
                     (SP, u8(0) + u8(0) + u16(len(sp_params)) + sp_params)]
    # split the message around the Initiator Data fields (not covered by V, RFC 6043 §5.5)
    # head = HDR .. SP (whose Next Payload is TICKET), TICKET's Next Payload (V), TICKET up to its Ticket Data
    head = hdr(14, T, f["F"], prf, csb_t, 2, cs_entries()) + chain(head_payloads + [(TICKET, b"")])[:-1]
    head = head + u8(V) + ticket_core
    tail = u8(0) + u8(mac_alg)                   # V: last payload
    k_ti = d12(prf, mpki, csb_t, 0x01, ri_t, b"", encr, mac_alg)
    v_mac = mac(mac_alg, k_ti["auth"], head + tail + id_i + id_r)
    idata = b""
    if forking:
        vr_key = cv.prf(prf, mpkr, cv.label_d5(cv.C_AUTH), AUTH_LEN[mac_alg])
        part = u8(V) + u8(V) + u8(mac_alg) + v_mac + u8(0) + u8(mac_alg)
        idata = part + mac(mac_alg, vr_key, part)
    ticket_full = ticket_core + u16(len(idata)) + idata
    ti = emit("TRANSFER_INIT", "initiator", "responder", head + u16(len(idata)) + idata + tail + v_mac)

    # ---- forking modifier
    rkms = rng.bytes("randrkms", max(32, klen)) if forking else None
    id_fork = id_r

    def fork(k):
        if forking and k["type"] in (0, 1):
            return dict(k, key=cv.prf(prf, k["key"], cv.label_d3(cv.C_TGK_FORK, id_fork, rkms), len(k["key"])))
        return k
    mpkr_f = cv.prf(prf, mpkr, cv.label_d3(cv.C_MPKR_FORK, id_fork, rkms), klen) if forking else None
    fsession = [fork(k) for k in session]

    # ---- Ticket Resolve (modes 1, 3)
    if mode in (1, 3):
        csb = rng.u32("csb-resolve")
        rr = rng.bytes("randrr-resolve", 32)
        body = message(16, 1, prf, csb, 1, [], [p_t(0, ntp64(3)), p_randr(2, rr), p_idr(2, id_r), p_idr(3, id_kms),
                                                 (TICKET, ticket_full), (V, u8(mac_alg))])
        k = d12(prf, psk_r, csb, 0x01, b"", rr, encr, mac_alg)
        res_init = emit("RESOLVE_INIT_PSK", "responder", "kms", body + mac(mac_alg, k["auth"], body + id_r + id_kms))
        k = d12(prf, psk_r, csb, 0x02, b"", rr, encr, mac_alg)
        t_resp = ntp64(4)
        kem_plain = key_data([dict(mpk, key=mpki)] + ([dict(mpk, key=mpkr_f)] if forking else []) + fsession)
        kem = encrypt(encr, k, csb, int.from_bytes(ntp64(3) if iv_t_initial else t_resp, "big"), kem_plain)
        pl = [p_t(0, t_resp), p_idr(3, id_kms), p_kemac(encr, kem)]
        if forking:
            pl += [p_idr(2, id_fork), p_randr(3, rkms)]
        body = message(18, 0, prf, csb, 1, [], pl + [(V, u8(mac_alg))])
        emit("RESOLVE_RESP", "kms", "responder", body + mac(mac_alg, k["auth"], body + res_init))
        kms_keys = {"mpk": mpk["key"].hex(), "mpki": mpki.hex(), "mpkr": mpkr.hex()}

    # ---- TRANSFER_RESP
    rr_t = rng.bytes("randrr-transfer", 32) if f["G"] else b""
    if f["F"]:
        pl = [p_t(0, ntp64(5))]
        if f["G"]:
            pl.append(p_randr(2, rr_t))
        if forking:
            pl += [p_idr(2, id_fork), p_randr(3, rkms)]
        body = message(15, 0, prf, csb_t, 2, cs_entries(), pl + [(V, u8(mac_alg))])
        k = d12(prf, mpkr_f if forking else mpki, csb_t, 0x02, ri_t, rr_t, encr, mac_alg)
        emit("TRANSFER_RESP", "responder", "initiator", body + mac(mac_alg, k["auth"], body + ti))
    elif f["G"]:
        warn("G = 1 with F = 0")

    # ---- per crypto session keys (D4 with the HDR PRF)
    ri_d4 = ri_t if f["H"] else b""
    cs_out = []
    for i, c in enumerate(css):
        k = fsession[i] if kind == "TEK" else fsession[0]
        e = {"cs_id": c["cs_id"], "kind": kind, "key": k["key"].hex()}
        if kind == "TEK":
            e["tek"] = k["key"].hex()
            if k["salt"] is not None:
                e["salt"] = k["salt"].hex()
        else:
            e["tek"] = cv.prf(prf, k["key"], cv.label_d4(cv.C_TEK, c["cs_id"], ri_d4, rr_t), len(k["key"])).hex()
            e["salt"] = cv.prf(prf, k["key"], cv.label_d4(cv.C_TGK_SALT, c["cs_id"], ri_d4, rr_t), 14).hex()
        cs_out.append(e)

    keys = {"initiator": {"mpki": mpki.hex(), "crypto_sessions": cs_out},
            "responder": {"mpki": mpki.hex(), "crypto_sessions": [dict(c) for c in cs_out]}}
    if forking:
        keys["initiator"]["mpkr"] = mpkr.hex()
        keys["initiator"]["mpkr_forked"] = mpkr_f.hex()
        keys["responder"]["mpkr_forked"] = mpkr_f.hex()
    if kms_keys is not None:
        keys["kms"] = kms_keys
    return {"generator": "tests/vectors/ticket_flow_make.py", "messages": msgs, "keys": keys}


def main(argv):
    args = argv[1:]
    out = None
    if "-o" in args:
        i = args.index("-o")
        out = args[i + 1]
        del args[i:i + 2]
    iv_t_initial = "--iv-t=initial" in args
    args = [a for a in args if a != "--iv-t=initial"]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    run = build(json.loads(pathlib.Path(args[0]).read_text()), iv_t_initial=iv_t_initial)
    text = json.dumps(run, indent=2) + "\n"
    if out:
        pathlib.Path(out).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
