"""MIKEY / MIKEY-TICKET wire parser for the independent flow verifier.

Written from RFC 3830 §6 and RFC 6043 §6, App. A.3 (and RFC 4563 §5 for the
Empty map) only; it shares no code with the C++ library. Every payload is a
dict with its absolute byte offsets in the message ("off", "end") so that MAC
coverage can be cut out of the original bytes.

Used by ticket_flow_check.py; the generator (ticket_flow_make.py) has its own
encoder and uses this module only to re-read what it wrote in its self-test.
"""
import struct

# RFC 3830 Table 6.1.a + RFC 6043 Table 6.1
DATA_TYPES = {
    0: "PSK_INIT", 1: "PSK_RESP", 2: "PK_INIT", 3: "PK_RESP", 4: "DH_INIT", 5: "DH_RESP", 6: "ERROR",
    11: "REQUEST_INIT_PSK", 12: "REQUEST_INIT_PK", 13: "REQUEST_RESP",
    14: "TRANSFER_INIT", 15: "TRANSFER_RESP",
    16: "RESOLVE_INIT_PSK", 17: "RESOLVE_INIT_PK", 18: "RESOLVE_RESP",
}
DATA_TYPE_BY_NAME = {v: k for k, v in DATA_TYPES.items()}

# RFC 3830 Table 6.1.b + RFC 6043 Table 6.2
P_LAST, P_KEMAC, P_PKE, P_DH, P_SIGN, P_T, P_ID, P_CERT, P_CHASH, P_V, P_SP, P_RAND, P_ERR = range(13)
P_TR, P_IDR, P_RANDR, P_TP, P_TICKET = 13, 14, 15, 16, 17
P_KEYDATA, P_GENEXT = 20, 21
PAYLOAD_NAMES = {
    P_KEMAC: "KEMAC", P_PKE: "PKE", P_DH: "DH", P_SIGN: "SIGN", P_T: "T", P_ID: "ID", P_CERT: "CERT",
    P_CHASH: "CHASH", P_V: "V", P_SP: "SP", P_RAND: "RAND", P_ERR: "ERR", P_TR: "TR", P_IDR: "IDR",
    P_RANDR: "RANDR", P_TP: "TP", P_TICKET: "TICKET", P_KEYDATA: "KEYDATA", P_GENEXT: "GENEXT",
}

MAC_LEN = {0: 0, 1: 20, 2: 32}          # RFC 3830 Table 6.2.b, RFC 6043 Table 6.6
TS_LEN = {0: 8, 1: 8, 2: 4, 3: 4}       # RFC 3830 Table 6.6, RFC 6043 Table 6.8
HASH_LEN = {0: 20, 1: 16, 2: 32}        # CHASH: SHA-1, MD5, SHA-256

ROLE_I, ROLE_R, ROLE_KMS, ROLE_PSK, ROLE_APP = 1, 2, 3, 4, 5      # ID Role, RFC 6043 Table 6.11
RAND_I, RAND_R, RAND_KMS = 1, 2, 3                                 # RAND Role, Table 6.13

KEY_TGK, KEY_TGK_SALT, KEY_TEK, KEY_TEK_SALT, KEY_GTGK, KEY_GTGK_SALT, KEY_MPK = range(7)
KEY_TYPE_NAMES = {0: "TGK", 1: "TGK+SALT", 2: "TEK", 3: "TEK+SALT", 4: "GTGK", 5: "GTGK+SALT", 6: "MPK"}
KEY_KIND = {0: "TGK", 1: "TGK", 2: "TEK", 3: "TEK", 4: "GTGK", 5: "GTGK", 6: "MPK"}
SALTED = (KEY_TGK_SALT, KEY_TEK_SALT, KEY_GTGK_SALT)

FLAG_LETTERS = "DEFGHIJKLMNO"


class ParseError(Exception):
    pass


def _need(buf, pos, n, end, what):
    if n < 0 or pos + n > end:
        raise ParseError(f"{what}: needs {n} bytes at offset {pos}, payload area ends at {end}")


def _u16(buf, pos):
    return struct.unpack_from(">H", buf, pos)[0]


def _u32(buf, pos):
    return struct.unpack_from(">I", buf, pos)[0]


def ts_to_64(ts_type, value):
    """The 64-bit T used in the AES-CM IV (RFC 3830 §4.2.3, §6.6 note; RFC 6043 §6.3)."""
    if ts_type in (0, 1):
        return int.from_bytes(value, "big")
    if ts_type == 2:
        return int.from_bytes(value, "big")            # COUNTER, zero-extended
    if ts_type == 3:
        return int.from_bytes(value, "big") << 32      # NTP-UTC-32, zero fraction
    raise ParseError(f"unknown TS type {ts_type}")


def parse_payload(buf, pos, ptype, end):
    """One payload of type `ptype` at `pos`; returns (payload dict, next type, position after it)."""
    p = {"type": ptype, "name": PAYLOAD_NAMES.get(ptype, str(ptype)), "off": pos}
    what = p["name"]
    if ptype == P_SIGN:  # RFC 3830 §6.5: no Next payload byte; always last
        _need(buf, pos, 2, end, what)
        p["s_type"] = buf[pos] >> 4
        n = _u16(buf, pos) & 0x0FFF
        _need(buf, pos + 2, n, end, what)
        p["signature"] = buf[pos + 2:pos + 2 + n]
        p["end"] = pos + 2 + n
        return p, P_LAST, p["end"]
    _need(buf, pos, 1, end, what)
    nxt = buf[pos]
    q = pos + 1
    if ptype == P_T:
        _need(buf, q, 1, end, what)
        p["ts_type"] = buf[q]
        if buf[q] not in TS_LEN:
            raise ParseError(f"T: unknown TS type {buf[q]} at offset {q}")
        n = TS_LEN[buf[q]]
        _need(buf, q + 1, n, end, what)
        p["ts_value"] = buf[q + 1:q + 1 + n]
        p["t64"] = ts_to_64(buf[q], p["ts_value"])
        q += 1 + n
    elif ptype == P_TR:
        _need(buf, q, 2, end, what)
        p["role"], p["ts_type"] = buf[q], buf[q + 1]
        if buf[q + 1] not in TS_LEN:
            raise ParseError(f"TR: unknown TS type {buf[q + 1]}")
        n = TS_LEN[buf[q + 1]]
        _need(buf, q + 2, n, end, what)
        p["ts_value"] = buf[q + 2:q + 2 + n]
        q += 2 + n
    elif ptype in (P_ID, P_CERT):
        _need(buf, q, 3, end, what)
        p["id_type"] = buf[q]
        n = _u16(buf, q + 1)
        _need(buf, q + 3, n, end, what)
        p["data"] = buf[q + 3:q + 3 + n]
        q += 3 + n
    elif ptype == P_IDR:
        _need(buf, q, 4, end, what)
        p["role"], p["id_type"] = buf[q], buf[q + 1]
        n = _u16(buf, q + 2)
        _need(buf, q + 4, n, end, what)
        p["data"] = buf[q + 4:q + 4 + n]
        q += 4 + n
    elif ptype == P_RAND:
        _need(buf, q, 1, end, what)
        n = buf[q]
        _need(buf, q + 1, n, end, what)
        p["rand"] = buf[q + 1:q + 1 + n]
        q += 1 + n
    elif ptype == P_RANDR:
        _need(buf, q, 2, end, what)
        p["role"] = buf[q]
        n = buf[q + 1]
        _need(buf, q + 2, n, end, what)
        p["rand"] = buf[q + 2:q + 2 + n]
        q += 2 + n
    elif ptype == P_V:
        _need(buf, q, 1, end, what)
        p["alg"] = buf[q]
        if buf[q] not in MAC_LEN:
            raise ParseError(f"V: unknown Auth alg {buf[q]} at offset {q}")
        n = MAC_LEN[buf[q]]
        _need(buf, q + 1, n, end, what)
        p["mac_off"], p["mac_len"] = q + 1, n
        p["mac"] = buf[q + 1:q + 1 + n]
        q += 1 + n
    elif ptype == P_KEMAC:
        _need(buf, q, 3, end, what)
        p["encr_alg"] = buf[q]
        n = _u16(buf, q + 1)
        _need(buf, q + 3, n, end, what)
        p["encr_data"] = buf[q + 3:q + 3 + n]
        q += 3 + n
        _need(buf, q, 1, end, what)
        p["mac_alg"] = buf[q]
        if buf[q] not in MAC_LEN:
            raise ParseError(f"KEMAC: unknown MAC alg {buf[q]} at offset {q}")
        m = MAC_LEN[buf[q]]
        _need(buf, q + 1, m, end, what)
        p["mac_off"], p["mac_len"] = q + 1, m
        p["mac"] = buf[q + 1:q + 1 + m]
        q += 1 + m
    elif ptype == P_SP:
        _need(buf, q, 4, end, what)
        p["policy_no"], p["prot"] = buf[q], buf[q + 1]
        n = _u16(buf, q + 2)
        _need(buf, q + 4, n, end, what)
        params, r, e = [], q + 4, q + 4 + n
        while r < e:
            _need(buf, r, 2, e, "SP parameter")
            _need(buf, r + 2, buf[r + 1], e, "SP parameter")
            params.append((buf[r], buf[r + 2:r + 2 + buf[r + 1]]))
            r += 2 + buf[r + 1]
        p["params"] = params
        q = e
    elif ptype == P_ERR:
        _need(buf, q, 3, end, what)
        p["error_no"] = buf[q]
        q += 3
    elif ptype == P_GENEXT:
        _need(buf, q, 3, end, what)
        p["ext_type"] = buf[q]
        n = _u16(buf, q + 1)
        _need(buf, q + 3, n, end, what)
        p["data"] = buf[q + 3:q + 3 + n]
        q += 3 + n
    elif ptype == P_CHASH:
        _need(buf, q, 1, end, what)
        if buf[q] not in HASH_LEN:
            raise ParseError(f"CHASH: unknown hash func {buf[q]}")
        n = HASH_LEN[buf[q]]
        _need(buf, q + 1, n, end, what)
        q += 1 + n
    elif ptype == P_PKE:
        _need(buf, q, 2, end, what)
        n = _u16(buf, q) & 0x3FFF
        _need(buf, q + 2, n, end, what)
        q += 2 + n
    elif ptype in (P_TP, P_TICKET):
        q = _parse_policy(buf, q, ptype, end, p)
    else:
        raise ParseError(f"payload type {ptype} at offset {pos} is not handled")
    p["end"] = q
    return p, nxt, q


def _parse_policy(buf, q, ptype, end, p):
    """RFC 6043 §6.10: TP and TICKET share the header; TICKET adds Ticket Data and Initiator Data."""
    what = p["name"]
    _need(buf, q, 9, end, what)
    p["ticket_type"] = _u16(buf, q)
    p["subtype"], p["version"] = buf[q + 2], buf[q + 3]
    p["prf"] = buf[q + 4] >> 1
    bits = ((buf[q + 4] & 1) << 15) | (buf[q + 5] << 7) | (buf[q + 6] >> 1)   # D..O as bits 15..4
    p["flags"] = {FLAG_LETTERS[i]: (bits >> (15 - i)) & 1 for i in range(12)}
    p["reserved"] = buf[q + 6] & 0x1F
    n = _u16(buf, q + 7)
    tp_off = q + 9
    _need(buf, tp_off, n, end, what + " TP Data")
    p["tp_data_off"], p["tp_data_end"] = tp_off, tp_off + n
    p["tp_chain"] = parse_chain_with_first_byte(buf, tp_off, tp_off + n, "TP Data") if n else []
    q = tp_off + n
    if ptype == P_TP:
        return q
    _need(buf, q, 2, end, what + " Ticket Data length")
    n = _u16(buf, q)
    td_off = q + 2
    _need(buf, td_off, n, end, what + " Ticket Data")
    p["td_off"], p["td_end"] = td_off, td_off + n
    if p["ticket_type"] == 1:  # MIKEY base ticket, App. A
        p["td_chain"] = parse_base_ticket_data(buf, td_off, td_off + n)
    q = td_off + n
    _need(buf, q, 2, end, what + " Initiator Data length")
    p["idata_len_off"] = q
    n = _u16(buf, q)
    id_off = q + 2
    _need(buf, id_off, n, end, what + " Initiator Data")
    p["idata_off"], p["idata_end"] = id_off, id_off + n
    p["idata_chain"] = parse_chain_with_first_byte(buf, id_off, id_off + n, "Initiator Data") if n else []
    return id_off + n


def parse_chain(buf, pos, first, end, what):
    out = []
    t = first
    while t != P_LAST:
        if pos >= end:
            raise ParseError(f"{what}: chain announces payload {t} but ends at offset {end}")
        p, t, pos = parse_payload(buf, pos, t, end)
        out.append(p)
    if pos != end:
        raise ParseError(f"{what}: {end - pos} bytes after the last payload (offset {pos})")
    return out


def parse_chain_with_first_byte(buf, off, end, what):
    """TP Data / Initiator Data: a First Payload byte, then a chain (RFC 6043 §6.10)."""
    _need(buf, off, 1, end, what)
    return parse_chain(buf, off + 1, buf[off], end, what)


def parse_base_ticket_data(buf, off, end):
    """App. A: Ticket Data = THDR, T, RAND, KEMAC, [IDRpsk], V; THDR is known by position (A.3)."""
    _need(buf, off, 3, end, "THDR")
    n = _u16(buf, off + 1)
    _need(buf, off + 3, n, end, "THDR")
    thdr = {"type": "THDR", "name": "THDR", "off": off, "end": off + 3 + n, "data": buf[off + 3:off + 3 + n]}
    return [thdr] + parse_chain(buf, off + 3 + n, buf[off], end, "Ticket Data")


def parse_cs_map(buf, q, map_type, ncs, end):
    """RFC 3830 §6.1.1 SRTP-ID, RFC 4563 §5 Empty map, RFC 6043 §6.1.1 GENERIC-ID."""
    entries = []
    if map_type == 1:
        return entries, q
    if map_type == 0:
        for i in range(ncs):
            _need(buf, q, 9, end, "SRTP-ID map")
            entries.append({"cs_id": i + 1, "policy": buf[q], "ssrc": _u32(buf, q + 1), "roc": _u32(buf, q + 5)})
            q += 9
        return entries, q
    if map_type == 2:
        for _ in range(ncs):
            _need(buf, q, 3, end, "GENERIC-ID map")
            e = {"cs_id": buf[q], "prot": buf[q + 1], "s": buf[q + 2] >> 7}
            npol = buf[q + 2] & 0x7F
            _need(buf, q + 3, npol + 2, end, "GENERIC-ID map")
            e["policies"] = list(buf[q + 3:q + 3 + npol])
            q += 3 + npol
            n = _u16(buf, q)
            _need(buf, q + 2, n + 1, end, "GENERIC-ID session data")
            e["session_data"] = buf[q + 2:q + 2 + n]
            q += 2 + n
            n = buf[q]
            _need(buf, q + 1, n, end, "GENERIC-ID SPI")
            e["spi"] = buf[q + 1:q + 1 + n]
            q += 1 + n
            entries.append(e)
        return entries, q
    raise ParseError(f"CS ID map type {map_type} not handled")


def parse_message(buf):
    end = len(buf)
    _need(buf, 0, 10, end, "HDR")
    h = {"version": buf[0], "data_type": buf[1], "next": buf[2], "v": buf[3] >> 7, "prf": buf[3] & 0x7F,
         "csb_id": _u32(buf, 4), "ncs": buf[8], "map_type": buf[9]}
    h["cs_map"], q = parse_cs_map(buf, 10, buf[9], buf[8], end)
    h["end"] = q
    return {"raw": bytes(buf), "hdr": h, "payloads": parse_chain(buf, q, buf[2], end, "message")}


def parse_key_data_chain(plain, allow_zero_pad=False):
    """RFC 3830 §6.13/§6.14: the Key data sub-payloads inside KEMAC Encr data."""
    keys, pos, t, end = [], 0, P_KEYDATA, len(plain)
    while t != P_LAST:
        if t != P_KEYDATA:
            raise ParseError(f"KEMAC plaintext: payload type {t} where Key data (20) is expected")
        _need(plain, pos, 4, end, "Key data")
        k = {"off": pos, "type": plain[pos + 1] >> 4, "kv": plain[pos + 1] & 0x0F}
        t = plain[pos]
        n = _u16(plain, pos + 2)
        _need(plain, pos + 4, n, end, "Key data")
        k["key"] = plain[pos + 4:pos + 4 + n]
        q = pos + 4 + n
        k["salt"] = None
        if k["type"] in SALTED:
            _need(plain, q, 2, end, "Key data salt")
            n = _u16(plain, q)
            _need(plain, q + 2, n, end, "Key data salt")
            k["salt"] = plain[q + 2:q + 2 + n]
            q += 2 + n
        k["spi"] = None
        if k["kv"] == 1:
            _need(plain, q, 1, end, "KV SPI")
            _need(plain, q + 1, plain[q], end, "KV SPI")
            k["spi"] = plain[q + 1:q + 1 + plain[q]]
            q += 1 + plain[q]
        elif k["kv"] == 2:
            for _ in range(2):
                _need(plain, q, 1, end, "KV interval")
                _need(plain, q + 1, plain[q], end, "KV interval")
                q += 1 + plain[q]
        elif k["kv"] != 0:
            raise ParseError(f"Key data: unknown KV {k['kv']}")
        k["end"] = q
        keys.append(k)
        pos = q
    if pos != end:
        rest = plain[pos:]
        if not (allow_zero_pad and not any(rest)):
            raise ParseError(f"KEMAC plaintext: {end - pos} bytes after the last Key data")
    return keys


def find(payloads, ptype, role=None):
    return [p for p in payloads if p["type"] == ptype and (role is None or p.get("role") == role)]


def find_one(payloads, ptype, role=None):
    xs = find(payloads, ptype, role)
    return xs[0] if xs else None
