#!/usr/bin/env python3
"""Independent verifier of whole MIKEY-TICKET (RFC 6043) flows.

Usage: ticket_flow_check.py SCENARIO.json RUN.json [--quiet] [--iv-t=initial]

--quiet          print only FAIL lines and the result
--iv-t=initial   decrypt response KEMACs (AES-CM) with the T of the exchange's
                 initial message instead of the response's own T (see
                 README_ticket_flow.md, reading R1)

RUN.json is what `mikeyctl run SCENARIO.json` prints (or what
ticket_flow_make.py writes). Using only the long-term keys and identities of
SCENARIO.json this script re-parses every message (its own parser,
ticket_wire.py), recomputes and verifies every MAC (V of every message, the base
ticket's V, Vi and Vr), decrypts every KEMAC, derives MPKi/MPKr (D7), MPKr' and
TGK' (D3) and the per-crypto-session TEK and salt (D4), and compares them with
RUN.json["keys"]. One line per checked item; exit 0 iff everything matches,
1 otherwise (the last line names the first mismatch), 77 when the Python
package `cryptography` is missing.

The primitives (PRF, labels, AES-CM, RFC 3394 with a caller IV) come from
crypto_vectors.py; everything here is written from RFC 3830 / RFC 6043 /
RFC 3394 text and shares no code with the C++ library. The readings of points
the RFCs leave open are the lead's (see README_ticket_flow.md next to this file).
"""
import hashlib
import hmac
import json
import pathlib
import struct
import sys
import datetime

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import crypto_vectors as cv  # noqa: E402  (exits 77 when `cryptography` is missing)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
import ticket_wire as W  # noqa: E402

PRF_IDS = {"MIKEY-1": 0, "PRF-HMAC-SHA-256": 1}
ENCR_IDS = {"NULL": 0, "AES-CM-128": 1, "AES-KW-128": 2, "AES-CM-256": 3}
MAC_IDS = {"NULL": 0, "HMAC-SHA-1-160": 1, "HMAC-SHA-256-256": 2}
ENCR_KEY_LEN = {0: 0, 1: 16, 2: 16, 3: 32}   # RFC 3830 §4.2.3, RFC 6043 §6.2
SALT_KEY_LEN = {0: 0, 1: 14, 2: 8, 3: 14}    # 112-bit AES-CM salt, 64-bit key-wrap IV
AUTH_KEY_LEN = {0: 0, 1: 20, 2: 32}          # RFC 3830 §4.2.4, RFC 6043 §6.2
MAC_HASH = {1: hashlib.sha1, 2: hashlib.sha256}

NAMES = ["REQUEST_INIT_PSK", "REQUEST_RESP", "TRANSFER_INIT", "RESOLVE_INIT_PSK", "RESOLVE_RESP", "TRANSFER_RESP"]
ROLES = {"REQUEST_INIT_PSK": ("initiator", "kms"), "REQUEST_RESP": ("kms", "initiator"),
         "TRANSFER_INIT": ("initiator", "responder"), "TRANSFER_RESP": ("responder", "initiator"),
         "RESOLVE_INIT_PSK": ("responder", "kms"), "RESOLVE_RESP": ("kms", "responder")}
EXCHANGES = {1: ("REQUEST", "TRANSFER", "RESOLVE"), 2: ("REQUEST", "TRANSFER"), 3: ("TRANSFER", "RESOLVE"),
             4: ("TRANSFER",)}
NTP_UNIX_OFFSET = 2208988800


# ------------------------------------------------------------------ helpers

def hx(b):
    return b.hex() if b else "-"


def ntp_seconds(now):
    if isinstance(now, int):
        return now
    t = datetime.datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) + NTP_UNIX_OFFSET


def aes_kw_unwrap(kek, iv8, wrapped):
    """RFC 3394 §2.2.2 (index-based), returning (recovered A, plaintext)."""
    if len(wrapped) % 8 or len(wrapped) < 24:
        raise ValueError(f"AES-KW: {len(wrapped)} bytes cannot be a key-wrap output")
    dec = Cipher(algorithms.AES(kek), modes.ECB()).decryptor()
    n = len(wrapped) // 8 - 1
    a = wrapped[:8]
    r = [wrapped[8 * (i + 1):8 * (i + 2)] for i in range(n)]
    for j in range(5, -1, -1):
        for i in range(n - 1, -1, -1):
            t = n * j + i + 1
            b = dec.update(bytes(x ^ y for x, y in zip(a, struct.pack(">Q", t))) + r[i])
            a, r[i] = b[:8], b[8:]
    return a, b"".join(r)


def cut(buf, ranges):
    """buf without the (offset, length) ranges."""
    out, pos = b"", 0
    for off, n in sorted(ranges):
        out += buf[pos:off]
        pos = off + n
    return out + buf[pos:]


class Fail(Exception):
    pass


class Report:
    def __init__(self, quiet=False):
        self.quiet = quiet
        self.failures = []
        self.count = 0

    def line(self, tag, item, detail=""):
        if not self.quiet or tag == "FAIL":
            print(f"{tag:5} {item}" + (f": {detail}" if detail else ""))

    def ok(self, item, detail=""):
        self.count += 1
        self.line("OK", item, detail)

    def fail(self, item, detail=""):
        self.count += 1
        self.failures.append(f"{item}: {detail}" if detail else item)
        self.line("FAIL", item, detail)

    def note(self, item, detail=""):
        self.line("NOTE", item, detail)

    def warn(self, item, detail=""):
        self.line("WARN", item, detail)

    def check(self, cond, item, detail_ok="", detail_fail=""):
        if cond:
            self.ok(item, detail_ok)
        else:
            self.fail(item, detail_fail or detail_ok)
        return cond

    @staticmethod
    def show(v, limit=None):
        if isinstance(v, (bytes, bytearray)):
            if limit and len(v) > limit:
                return f"{v[:16].hex()}...{v[-8:].hex()} ({len(v)} bytes)"
            return hx(v)
        return str(v)

    def same(self, item, expected, got):
        if expected == got:
            self.ok(item, self.show(got, 48))
            return True
        if isinstance(expected, (bytes, bytearray)) and isinstance(got, (bytes, bytearray)) and \
                len(expected) > 48 and len(got) > 48:
            at = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
            self.fail(item, f"differs at byte {at} (expected {len(expected)} bytes, got {len(got)})")
            return False
        e, g = self.show(expected), self.show(got)
        self.fail(item, f"expected {e}, got {g}")
        return False


# --------------------------------------------------------- key derivations

def msg_keys(prf, inkey, csb, direction, ri, rr, encr_alg, mac_alg):
    """RFC 6043 §5.1.2 (D1 direction 0x01, D2 direction 0x02), constants of RFC 3830 §4.1.4."""
    def d(const, n):
        return cv.prf(prf, inkey, cv.label_d12(const, csb, direction, ri, rr), n) if n else b""
    return {"encr": d(cv.C_ENCR, ENCR_KEY_LEN[encr_alg]), "salt": d(cv.C_SALT, SALT_KEY_LEN[encr_alg]),
            "auth": d(cv.C_AUTH, AUTH_KEY_LEN[mac_alg])}


def ticket_keys(prf, tpk, rand, encr_alg, mac_alg):
    """RFC 6043 App. A.2.1 (D6)."""
    def d(const, n):
        return cv.prf(prf, tpk, cv.label_d67(const, 0x05, rand), n) if n else b""
    return {"encr": d(cv.C_ENCR, ENCR_KEY_LEN[encr_alg]), "salt": d(cv.C_SALT, SALT_KEY_LEN[encr_alg]),
            "auth": d(cv.C_AUTH, AUTH_KEY_LEN[mac_alg])}


def d7(prf, mpk, rand, const):
    return cv.prf(prf, mpk, cv.label_d67(const, 0x06, rand), len(mpk))


def d3(prf, key, id_data, rkms, const):
    return cv.prf(prf, key, cv.label_d3(const, id_data, rkms), len(key))


def d5_auth(prf, mpkr, mac_alg):
    return cv.prf(prf, mpkr, cv.label_d5(cv.C_AUTH), AUTH_KEY_LEN[mac_alg])


def d4(prf, key, const, cs_id, ri, rr, n):
    return cv.prf(prf, key, cv.label_d4(const, cs_id, ri, rr), n)


def mac(alg, key, data):
    if alg == 0:
        return b""
    return hmac.new(key, data, MAC_HASH[alg]).digest()


def open_kemac(where, kemac, keys, csb, t64):
    """Decrypt and parse a KEMAC's Key data chain; errors name the message."""
    try:
        return W.parse_key_data_chain(decrypt_kemac(kemac, keys, csb, t64))
    except (Fail, W.ParseError, ValueError) as e:
        raise Fail(f"{where}: {e}") from None


def decrypt_kemac(kemac, keys, csb, t64):
    """RFC 3830 §4.2.3: AES-CM IV from salt, CSB ID and T; AES-KW with IV = salt; NULL."""
    alg, data = kemac["encr_alg"], kemac["encr_data"]
    if alg == 0:
        return data
    if alg in (1, 3):
        if len(keys["encr"]) != ENCR_KEY_LEN[alg]:
            raise Fail(f"encr_key of {len(keys['encr'])} bytes for Encr alg {alg}")
        return cv.aes_cm(keys["encr"], keys["salt"], csb, t64, data)[1]
    if alg == 2:
        a, plain = aes_kw_unwrap(keys["encr"], keys["salt"], data)
        if a != keys["salt"]:
            raise Fail(f"AES-KW integrity check: recovered A {hx(a)} != salt_key {hx(keys['salt'])}")
        return plain
    raise Fail(f"unknown KEMAC Encr alg {alg}")


# ----------------------------------------------------------------- the flow

class Flow:
    def __init__(self, scenario, run, rep, iv_t_initial=False):
        self.sc, self.run, self.rep = scenario, run, rep
        # KEMAC AES-CM IV of a response: T of that response (the lead's reading, default) or of the
        # initial message of the exchange (RFC 3830 §4.2.3 "T is the 64-bit timestamp sent by the Initiator")
        self.iv_t_initial = iv_t_initial
        self.mode = int(scenario["mode"])
        self.prf = PRF_IDS[scenario["prf"]]
        self.encr = ENCR_IDS[scenario["encr"]]
        self.mac = MAC_IDS[scenario["mac"]]
        self.id_i = scenario["initiator"].encode()
        self.id_r = scenario["responder"].encode()
        self.id_kms = scenario["kms"].encode()
        # Modes 3 and 4 have no Ticket Request (no psk_initiator), mode 4 no Resolve.
        self.psk_i = bytes.fromhex(scenario.get("psk_initiator", ""))
        self.psk_r = bytes.fromhex(scenario.get("psk_responder", ""))
        self.tpk = bytes.fromhex(scenario["tpk"])
        self.msgs = {}

    # ---- parsing
    def load(self):
        rep = self.rep
        for i, m in enumerate(self.run.get("messages", [])):
            name = m.get("name", f"#{i}")
            if name in self.msgs:
                rep.fail(f"{name}", "occurs twice in RUN.json messages")
                continue
            try:
                raw = bytes.fromhex(m["hex"])
            except (KeyError, ValueError) as e:
                rep.fail(f"{name} hex", str(e))
                continue
            exp_roles = ROLES.get(name)
            if exp_roles is None:
                rep.fail(f"{name}", "not a message this verifier handles (PSK variants of RFC 6043 only)")
                continue
            rep.same(f"{name} from/to", "%s->%s" % exp_roles, "%s->%s" % (m.get("from"), m.get("to")))
            try:
                msg = W.parse_message(raw)
            except W.ParseError as e:
                rep.fail(f"{name} parse", str(e))
                continue
            msg["name"] = name
            h = msg["hdr"]
            rep.same(f"{name} HDR version", 1, h["version"])
            rep.same(f"{name} HDR data type", W.DATA_TYPE_BY_NAME[name], h["data_type"])
            last = msg["payloads"][-1] if msg["payloads"] else None
            if not rep.check(last is not None and last["type"] == W.P_V, f"{name} last payload is V",
                             detail_fail="last payload is %s" % (last["name"] if last else "none")):
                continue
            self.msgs[name] = msg
            rep.ok(f"{name} parse", f"{len(raw)} bytes, " + ",".join(["HDR"] + [p["name"] for p in msg["payloads"]]))

    def expected_names(self, flags):
        ex = EXCHANGES[self.mode]
        names = []
        if "REQUEST" in ex:
            names += ["REQUEST_INIT_PSK", "REQUEST_RESP"]
        names.append("TRANSFER_INIT")
        if "RESOLVE" in ex:
            names += ["RESOLVE_INIT_PSK", "RESOLVE_RESP"]
        if flags.get("F"):
            names.append("TRANSFER_RESP")
        return names

    # ---- identities used in MAC inputs (RFC 6043 §5.5: ID Data of the IDR payloads of that message)
    def ident(self, msg, role, fallback, what):
        p = W.find_one(msg["payloads"], W.P_IDR, role)
        if p is None:
            self.rep.note(f"{msg['name']} {what}", f"no IDR payload; the scenario's identity is used")
            return fallback
        return p["data"]

    def check_v(self, msg, key, appended, extra_cuts=(), label=None):
        """V over (message minus extra cuts minus the MAC field) || appended (RFC 6043 §5.5)."""
        v = msg["payloads"][-1]
        name = label or f"{msg['name']} V"
        if not self.rep.same(f"{name} Auth alg", self.mac, v["alg"]):
            return False
        data = cut(msg["raw"], list(extra_cuts) + [(v["mac_off"], v["mac_len"])]) + appended
        return self.rep.same(f"{name} MAC", mac(v["alg"], key, data), v["mac"])

    def rand_of(self, msg, role):
        p = W.find_one(msg["payloads"], W.P_RANDR, role)
        if p is None:
            raise Fail(f"{msg['name']}: no RANDR payload with role {role}")
        return p["rand"]

    def t_of(self, msg):
        t = W.find_one(msg["payloads"], W.P_T)
        if t is None:
            raise Fail(f"{msg['name']}: no T payload")
        return t["t64"]

    # ---- the base ticket (App. A)
    def open_ticket(self, msg, where):
        rep = self.rep
        tk = W.find_one(msg["payloads"], W.P_TICKET)
        if tk is None:
            raise Fail(f"{where}: no TICKET payload")
        if (tk["ticket_type"], tk["subtype"], tk["version"]) != (1, 1, 1):
            raise Fail(f"{where}: Ticket Type/Subtype/Version {tk['ticket_type']}/{tk['subtype']}/{tk['version']}"
                       " is not the MIKEY base ticket 1/1/1")
        td = tk["td_chain"]
        rand = W.find_one(td, W.P_RAND)
        t = W.find_one(td, W.P_T)
        kemac = W.find_one(td, W.P_KEMAC)
        v = td[-1]
        if rand is None or t is None or kemac is None or v["type"] != W.P_V:
            raise Fail(f"{where}: Ticket Data is not THDR, T, RAND, KEMAC, [IDRpsk], V")
        prf = tk["prf"]
        keys = ticket_keys(prf, self.tpk, rand["rand"], kemac["encr_alg"], v["alg"])
        raw = msg["raw"]
        covered = raw[tk["off"] + 1:v["mac_off"]] + raw[v["mac_off"] + v["mac_len"]:tk["idata_len_off"]]
        rep.same(f"{where} ticket V Auth alg", self.mac, v["alg"])
        rep.same(f"{where} ticket V MAC (D6 auth_key from TPK, App. A.1)", mac(v["alg"], keys["auth"], covered), v["mac"])
        rep.same(f"{where} ticket KEMAC Encr alg", self.encr, kemac["encr_alg"])
        rep.same(f"{where} ticket KEMAC MAC alg", 0, kemac["mac_alg"])
        kd = open_kemac(f"{where} ticket KEMAC", kemac, keys, 0xFFFFFFFF, t["t64"])
        if not kd or kd[0]["type"] != W.KEY_MPK:
            raise Fail(f"{where}: ticket KEMAC does not start with an MPK Key data")
        if any(k["type"] == W.KEY_MPK for k in kd[1:]):
            raise Fail(f"{where}: ticket KEMAC holds more than one MPK")
        rep.ok(f"{where} ticket KEMAC decrypted", f"MPK {len(kd[0]['key'])} bytes + " +
               ", ".join(W.KEY_TYPE_NAMES[k["type"]] for k in kd[1:]) if len(kd) > 1 else "MPK only")
        return {"payload": tk, "prf": prf, "flags": tk["flags"], "rand": rand["rand"], "mpk": kd[0]["key"],
                "session": kd[1:], "bytes": raw[tk["off"] + 1:tk["idata_len_off"]]}

    # ---- the whole flow
    def verify(self):
        rep, sc = self.rep, self.sc
        self.load()
        m = self.msgs
        ti = m.get("TRANSFER_INIT")
        if ti is None:
            if "TRANSFER_INIT" not in {x.get("name") for x in self.run.get("messages", [])}:
                rep.fail("TRANSFER_INIT", "missing: nothing to verify")
            return

        tkt = self.open_ticket(ti, "TRANSFER_INIT")
        flags, tprf = tkt["flags"], tkt["prf"]
        rep.note("TRANSFER_INIT TICKET flags", "".join(k for k, v in flags.items() if v) or "none")
        rep.same("TRANSFER_INIT TICKET PRF Func", self.prf, tprf)
        rep.same("TRANSFER_INIT HDR PRF func", self.prf, ti["hdr"]["prf"])
        forking = bool(flags["I"])
        rep.same("TRANSFER_INIT TICKET I flag = scenario forking", bool(sc.get("forking")), forking)
        self.flag_rules(flags, tkt)

        for name in self.expected_names(flags):
            if name not in m:
                rep.fail(f"{name}", f"expected in mode {self.mode} (F={flags['F']}) but missing")
        for name in m:
            if name not in self.expected_names(flags):
                rep.fail(f"{name}", f"not expected in mode {self.mode} (F={flags['F']})")

        mpk = tkt["mpk"]
        mpki = d7(tprf, mpk, tkt["rand"], cv.C_MPKI)
        mpkr = d7(tprf, mpk, tkt["rand"], cv.C_MPKR)
        rep.ok("MPKi = D7(MPK, ticket RAND)", hx(mpki))
        rep.ok("MPKr = D7(MPK, ticket RAND)", hx(mpkr))
        session = tkt["session"]

        # ---------------- Ticket Request
        rqi, rqr = m.get("REQUEST_INIT_PSK"), m.get("REQUEST_RESP")
        if rqi is not None:
            h = rqi["hdr"]
            ri = self.rand_of(rqi, W.RAND_I)
            k = msg_keys(h["prf"], self.psk_i, h["csb_id"], 0x01, ri, b"", self.encr, self.mac)
            idi = self.ident(rqi, W.ROLE_I, self.id_i, "IDRi")
            idk = self.ident(rqi, W.ROLE_KMS, self.id_kms, "IDRkms")
            self.check_v(rqi, k["auth"], idi + idk, label="REQUEST_INIT_PSK V (D1 from psk_initiator)")
            rep.same("REQUEST_INIT_PSK HDR #CS / map type", (0, 1), (h["ncs"], h["map_type"]))
            rep.same("REQUEST_INIT_PSK HDR PRF func", self.prf, h["prf"])
            rep.same("REQUEST_INIT_PSK IDRi = scenario initiator", self.id_i, idi)
            rep.same("REQUEST_INIT_PSK IDRkms = scenario kms", self.id_kms, idk)
            if W.find_one(rqi["payloads"], W.P_TP) is None:
                rep.fail("REQUEST_INIT_PSK TP", "missing")
        if rqr is not None:
            if rqi is None:
                rep.fail("REQUEST_RESP", "cannot be verified without REQUEST_INIT_PSK")
            else:
                h = rqr["hdr"]
                ri = self.rand_of(rqi, W.RAND_I)
                k = msg_keys(h["prf"], self.psk_i, h["csb_id"], 0x02, ri, b"", self.encr, self.mac)
                self.check_v(rqr, k["auth"], rqi["raw"], label="REQUEST_RESP V (D2 from psk_initiator)")
                rep.same("REQUEST_RESP HDR CSB ID = REQUEST_INIT's", rqi["hdr"]["csb_id"], h["csb_id"])
                rep.same("REQUEST_RESP HDR #CS / map type", (0, 1), (h["ncs"], h["map_type"]))
                rt = self.open_ticket(rqr, "REQUEST_RESP")
                rep.same("REQUEST_RESP TICKET = TRANSFER_INIT TICKET (without Initiator Data)", rt["bytes"], tkt["bytes"])
                kem = W.find_one(rqr["payloads"], W.P_KEMAC)
                if kem is None:
                    rep.fail("REQUEST_RESP KEMAC", "missing")
                else:
                    rep.same("REQUEST_RESP KEMAC Encr alg", self.encr, kem["encr_alg"])
                    rep.same("REQUEST_RESP KEMAC MAC alg", 0, kem["mac_alg"])
                    kd = open_kemac("REQUEST_RESP KEMAC", kem, k, h["csb_id"], self.t_of(rqi if self.iv_t_initial else rqr))
                    want = [mpki] + ([mpkr] if forking else [])
                    self.compare_kemac("REQUEST_RESP KEMAC", kd, want, session)

        # ---------------- Ticket Transfer: TRANSFER_INIT
        h = ti["hdr"]
        ri = self.rand_of(ti, W.RAND_I)
        k_ti = msg_keys(h["prf"], mpki, h["csb_id"], 0x01, ri, b"", self.encr, self.mac)
        idi = self.ident(ti, W.ROLE_I, self.id_i, "IDRi")
        idr = self.ident(ti, W.ROLE_R, self.id_r, "IDRr")
        tk = tkt["payload"]
        idata_cut = (tk["idata_len_off"], tk["idata_end"] - tk["idata_len_off"])
        self.check_v(ti, k_ti["auth"], idi + idr, [idata_cut], label="TRANSFER_INIT V (D1 from MPKi)")
        rep.same("TRANSFER_INIT HDR map type (GENERIC-ID)", 2, h["map_type"])
        rep.same("TRANSFER_INIT IDRi = scenario initiator", self.id_i, idi)
        rep.same("TRANSFER_INIT IDRr = scenario responder", self.id_r, idr)
        v_ti = ti["payloads"][-1]
        if forking:
            self.check_initiator_data(ti, tk, v_ti, mpkr, tprf)
        else:
            rep.same("TRANSFER_INIT Initiator Data length (no forking)", 0, tk["idata_end"] - tk["idata_off"])
        ti_kemac = W.find_one(ti["payloads"], W.P_KEMAC)
        ti_keys = None
        if ti_kemac is not None:
            rep.same("TRANSFER_INIT KEMAC MAC alg", 0, ti_kemac["mac_alg"])
            ti_keys = open_kemac("TRANSFER_INIT KEMAC", ti_kemac, k_ti, h["csb_id"], self.t_of(ti))
            rep.ok("TRANSFER_INIT KEMAC decrypted (D1 from MPKi)",
                   ", ".join(W.KEY_TYPE_NAMES[x["type"]] + " " + hx(x["key"]) for x in ti_keys))

        # ---------------- Ticket Resolve
        rsi, rsr = m.get("RESOLVE_INIT_PSK"), m.get("RESOLVE_RESP")
        rkms = id_fork = None
        resolved_keys = None
        if rsi is not None:
            h = rsi["hdr"]
            rr = self.rand_of(rsi, W.RAND_R)
            k = msg_keys(h["prf"], self.psk_r, h["csb_id"], 0x01, b"", rr, self.encr, self.mac)
            idr2 = self.ident(rsi, W.ROLE_R, self.id_r, "IDRr")
            idk = self.ident(rsi, W.ROLE_KMS, self.id_kms, "IDRkms")
            self.check_v(rsi, k["auth"], idr2 + idk, label="RESOLVE_INIT_PSK V (D1 from psk_responder)")
            rep.same("RESOLVE_INIT_PSK HDR #CS / map type", (0, 1), (h["ncs"], h["map_type"]))
            rep.same("RESOLVE_INIT_PSK HDR PRF func", self.prf, h["prf"])
            rep.same("RESOLVE_INIT_PSK IDRkms = scenario kms", self.id_kms, idk)
            st = self.open_ticket(rsi, "RESOLVE_INIT_PSK")
            rtk = st["payload"]
            rep.same("RESOLVE_INIT_PSK TICKET = TRANSFER_INIT TICKET (incl. Initiator Data)",
                     ti["raw"][tk["off"] + 1:tk["end"]], rsi["raw"][rtk["off"] + 1:rtk["end"]])
        if rsr is not None:
            if rsi is None:
                rep.fail("RESOLVE_RESP", "cannot be verified without RESOLVE_INIT_PSK")
            else:
                h = rsr["hdr"]
                rr = self.rand_of(rsi, W.RAND_R)
                k = msg_keys(h["prf"], self.psk_r, h["csb_id"], 0x02, b"", rr, self.encr, self.mac)
                self.check_v(rsr, k["auth"], rsi["raw"], label="RESOLVE_RESP V (D2 from psk_responder)")
                rep.same("RESOLVE_RESP HDR CSB ID = RESOLVE_INIT's", rsi["hdr"]["csb_id"], h["csb_id"])
                if forking:
                    p = W.find_one(rsr["payloads"], W.P_IDR, W.ROLE_R)
                    q = W.find_one(rsr["payloads"], W.P_RANDR, W.RAND_KMS)
                    if p is None or q is None:
                        rep.fail("RESOLVE_RESP forking modifier", "IDRr and RANDRkms required with the I flag")
                    else:
                        id_fork, rkms = p["data"], q["rand"]
                        rep.ok("RESOLVE_RESP forking modifier", f"IDRr {id_fork!r}, RANDRkms {hx(rkms)}")
                kem = W.find_one(rsr["payloads"], W.P_KEMAC)
                if kem is None:
                    rep.fail("RESOLVE_RESP KEMAC", "missing")
                else:
                    rep.same("RESOLVE_RESP KEMAC Encr alg", self.encr, kem["encr_alg"])
                    rep.same("RESOLVE_RESP KEMAC MAC alg", 0, kem["mac_alg"])
                    resolved_keys = open_kemac("RESOLVE_RESP KEMAC", kem, k, h["csb_id"],
                                               self.t_of(rsi if self.iv_t_initial else rsr))

        # ---------------- Ticket Transfer: TRANSFER_RESP
        trp = m.get("TRANSFER_RESP")
        rr_t = b""
        deferred = []   # TRANSFER_RESP field checks, reported after its V
        if trp is not None:
            if flags["G"]:
                try:
                    rr_t = self.rand_of(trp, W.RAND_R)
                except Fail as e:
                    deferred.append(lambda e=e: rep.fail("TRANSFER_RESP RANDRr", str(e) + " (G = 1)"))
            elif W.find_one(trp["payloads"], W.P_RANDR, W.RAND_R) is not None:
                deferred.append(lambda: rep.fail("TRANSFER_RESP RANDRr", "present although G = 0"))
            if forking:
                p = W.find_one(trp["payloads"], W.P_IDR, W.ROLE_R)
                q = W.find_one(trp["payloads"], W.P_RANDR, W.RAND_KMS)
                if p is None or q is None:
                    deferred.append(lambda: rep.fail("TRANSFER_RESP forking modifier",
                                                     "IDRr and RANDRkms required with the I flag"))
                elif id_fork is None and rsr is None:
                    id_fork, rkms = p["data"], q["rand"]
                    rep.note("forking modifier",
                             f"no RESOLVE_RESP (mode {self.mode}): taken from TRANSFER_RESP, generated by the Responder")
                elif id_fork is not None:
                    a, b = id_fork, rkms
                    deferred.append(lambda p=p, a=a: rep.same("TRANSFER_RESP IDRr = RESOLVE_RESP IDRr", a, p["data"]))
                    deferred.append(lambda q=q, b=b: rep.same("TRANSFER_RESP RANDRkms = RESOLVE_RESP RANDRkms",
                                                              b, q["rand"]))

        mpkr_f = None
        if forking:
            if id_fork is None:
                where = "RESOLVE_RESP" if rsr is not None else "TRANSFER_RESP"
                raise Fail(f"{where}: forking modifier (IDRr, RANDRkms) missing: no MPKr' / TGK'")
            mpkr_f = d3(tprf, mpkr, id_fork, rkms, cv.C_MPKR_FORK)
            rep.ok("MPKr' = D3(MPKr, IDRr, RANDRkms)", hx(mpkr_f))
        resp_session = [self.fork(k, tprf, id_fork, rkms) if forking else k for k in session]

        if resolved_keys is not None:
            want = [mpki] + ([mpkr_f] if forking else [])
            self.compare_kemac("RESOLVE_RESP KEMAC", resolved_keys, want, resp_session)

        tr_keys = None
        if trp is not None:
            h = trp["hdr"]
            inkey = mpkr_f if forking else mpki
            k = msg_keys(h["prf"], inkey, h["csb_id"], 0x02, ri, rr_t, self.encr, self.mac)
            self.check_v(trp, k["auth"], ti["raw"],
                         label="TRANSFER_RESP V (D2 from %s)" % ("MPKr'" if forking else "MPKi"))
            rep.same("TRANSFER_RESP HDR CSB ID = TRANSFER_INIT's", ti["hdr"]["csb_id"], h["csb_id"])
            rep.same("TRANSFER_RESP HDR PRF func = TRANSFER_INIT's", ti["hdr"]["prf"], h["prf"])
            # RFC 6043 §6.1.1: "In response messages, #P SHALL always be exactly 1"; the Policy_no names
            # an SP payload of TRANSFER_RESP or ("may refer to a SP payload in the initial message") of
            # TRANSFER_INIT, of the crypto session's Prot type.
            sps = {p["policy_no"]: p for p in W.find(ti["payloads"], W.P_SP)}
            sps.update({p["policy_no"]: p for p in W.find(trp["payloads"], W.P_SP)})
            for e in h["cs_map"] if h["map_type"] == 2 else []:
                what = f"TRANSFER_RESP CS {e['cs_id']} security policy"
                pol = e.get("policies", [])
                sp = sps.get(pol[0]) if len(pol) == 1 else None
                if len(pol) != 1:
                    rep.fail(what, f"#P = {len(pol)}, not 1")
                elif sp is None:
                    rep.fail(what, f"Policy_no {pol[0]} names no SP payload of TRANSFER_RESP or TRANSFER_INIT")
                elif sp["prot"] != e["prot"]:
                    rep.fail(what, f"SP {pol[0]} Prot type {sp['prot']} != the crypto session's {e['prot']}")
                else:
                    rep.ok(what, f"#P = 1, SP {pol[0]}")
            for d in deferred:
                d()
            kem = W.find_one(trp["payloads"], W.P_KEMAC)
            if kem is not None:
                rep.same("TRANSFER_RESP KEMAC MAC alg", 0, kem["mac_alg"])
                tr_keys = open_kemac("TRANSFER_RESP KEMAC", kem, k, h["csb_id"], self.t_of(ti if self.iv_t_initial else trp))
                rep.ok("TRANSFER_RESP KEMAC decrypted",
                       ", ".join(W.KEY_TYPE_NAMES[x["type"]] + " " + hx(x["key"]) for x in tr_keys))

        # ---------------- session keys per crypto session (D4)
        if session:
            i_keys, r_keys = resp_session, resp_session
        elif ti_keys:
            i_keys = r_keys = ti_keys
            rep.note("session keys", "ticket holds none: the TRANSFER_INIT KEMAC's are used (§8)")
        elif tr_keys:
            i_keys = r_keys = tr_keys
            rep.note("session keys", "ticket holds none: the TRANSFER_RESP KEMAC's are used (§8)")
        else:
            i_keys = r_keys = []
            rep.fail("session keys", "none in the ticket nor in a KEMAC")
        ri_d4 = ri if flags["H"] else b""
        rr_d4 = rr_t if flags["G"] else b""
        if flags["G"] and not rr_t:
            rep.fail("TRANSFER_RESP RANDRr for D4", "G = 1 but no RANDRr received")
        cs_list = self.crypto_sessions(ti, i_keys, ri_d4, rr_d4)

        self.soft_rules(flags, tkt, session, mpkr, rkms)

        # ---------------- compare with RUN.json["keys"]
        expected = {}
        expected["initiator"] = {"mpki": mpki, "crypto_sessions": cs_list}
        if forking:
            expected["initiator"]["mpkr"] = mpkr
            expected["initiator"]["mpkr_forked"] = mpkr_f
        expected["responder"] = {"mpki": mpki, "crypto_sessions": cs_list}
        if forking:
            expected["responder"]["mpkr_forked"] = mpkr_f
        kms_seen = any(n in m for n in ("REQUEST_INIT_PSK", "RESOLVE_INIT_PSK")) or self.mode in (1, 2, 3)
        if kms_seen:
            expected["kms"] = {"mpk": mpk, "mpki": mpki, "mpkr": mpkr}
        self.compare_keys(expected)

    # ---- pieces
    def flag_rules(self, f, tkt):
        """RFC 6043 §6.10 flag dependencies, and the mode's D/E: reported as WARN, not failures."""
        rules = [("not D implies L", not f["D"] and not f["L"]), ("G implies F", f["G"] and not f["F"]),
                 ("not G implies H", not f["G"] and not f["H"]), ("not H implies G", not f["H"] and not f["G"]),
                 ("I implies E", f["I"] and not f["E"]), ("K implies D", f["K"] and not f["D"]),
                 ("M implies F", f["M"] and not f["F"]),
                 ("I and a TGK imply F", f["I"] and not f["F"] and
                  any(k["type"] in (W.KEY_TGK, W.KEY_TGK_SALT) for k in tkt["session"]))]
        for text, broken in rules:
            if broken:
                self.rep.warn("Ticket Policy flags", f"'{text}' (RFC 6043 §6.10, line 2175) does not hold")
        if self.mode in (1, 2) and not f["D"]:
            self.rep.warn("Ticket Policy D flag", f"0 in mode {self.mode} (the KMS generated the ticket)")
        if self.mode in (3, 4) and f["D"]:
            self.rep.warn("Ticket Policy D flag", f"1 in mode {self.mode} (the Initiator generated the ticket)")
        if self.mode in (2, 4) and f["E"]:
            self.rep.warn("Ticket Policy E flag", f"1 (Resolve MANDATORY) in mode {self.mode}, which has no Resolve")

    def soft_rules(self, flags, tkt, session, mpkr, rkms):
        """RFC MUSTs that are not key or MAC checks: reported as WARN (they do not change the exit code)."""
        warn, m = self.rep.warn, self.msgs
        want_v = {"REQUEST_INIT_PSK": 1, "RESOLVE_INIT_PSK": 1, "REQUEST_RESP": 0, "RESOLVE_RESP": 0,
                  "TRANSFER_RESP": 0, "TRANSFER_INIT": flags["F"]}   # §4.2.1.1, §4.2.3.1, §4.2.x, §4.2.2.1
        for name, v in want_v.items():
            if name in m and m[name]["hdr"]["v"] != v:
                warn(f"{name} HDR V flag", f"{m[name]['hdr']['v']}, RFC 6043 §4.2 asks for {v}")

        def rlen(name, role):
            p = W.find_one(m[name]["payloads"], W.P_RANDR, role) if name in m else None
            return len(p["rand"]) if p else 0
        longest = max([len(tkt["mpk"])] + [len(k["key"]) for k in session])
        checks = [("Ticket Request", "REQUEST_INIT_PSK", rlen("REQUEST_INIT_PSK", W.RAND_I), len(self.psk_i)),
                  ("Ticket Resolve", "RESOLVE_INIT_PSK", rlen("RESOLVE_INIT_PSK", W.RAND_R), len(self.psk_r)),
                  ("Ticket Transfer", "TRANSFER_INIT",
                   rlen("TRANSFER_INIT", W.RAND_I) + rlen("TRANSFER_RESP", W.RAND_R), longest)]
        for exch, name, have, need in checks:
            if name in m and have < need:
                warn(f"{exch} RAND lengths", f"{have} bytes of RANDRi + RANDRr < longest key {need} (§12.1, line 2643)")
        if rkms is not None and len(rkms) < max([len(mpkr)] + [len(k["key"]) for k in session
                                                               if k["type"] in (W.KEY_TGK, W.KEY_TGK_SALT)]):
            warn("RANDRkms length", f"{len(rkms)} bytes < longest MPKr / TGK (§12.1, line 2645)")
        if len(tkt["rand"]) < max(len(self.tpk), len(tkt["mpk"])):
            warn("ticket RAND length", f"{len(tkt['rand'])} bytes < longest of TPK, MPK (§12.1, line 2646)")

    def check_initiator_data(self, ti, tk, v_ti, mpkr, tprf):
        rep = self.rep
        raw = ti["raw"]
        chain = tk["idata_chain"]
        if tk["idata_end"] == tk["idata_off"]:
            rep.fail("TRANSFER_INIT Initiator Data", "empty although the I flag is set")
            return
        rep.same("TRANSFER_INIT Initiator Data First Payload", W.P_V, raw[tk["idata_off"]])
        if len(chain) != 2 or any(p["type"] != W.P_V for p in chain):
            rep.fail("TRANSFER_INIT Initiator Data", "is not Vi, Vr: " + ",".join(p["name"] for p in chain))
            return
        vi, vr = chain
        rep.same("TRANSFER_INIT Vi Auth alg = V's", v_ti["alg"], vi["alg"])
        rep.same("TRANSFER_INIT Vi MAC = V MAC (§6.10, §4.2.3.6)", v_ti["mac"], vi["mac"])
        rep.same("TRANSFER_INIT Vi Next Payload", W.P_V, raw[vi["off"]])
        rep.same("TRANSFER_INIT Vr Auth alg = Vi's", vi["alg"], vr["alg"])
        key = d5_auth(tprf, mpkr, vr["alg"])
        data = raw[tk["idata_off"]:vr["mac_off"]] + raw[vr["mac_off"] + vr["mac_len"]:tk["idata_end"]]
        rep.same("TRANSFER_INIT Vr MAC (D5 auth_key from MPKr, over Initiator Data)", mac(vr["alg"], key, data), vr["mac"])

    def fork(self, k, prf, id_data, rkms):
        if k["type"] in (W.KEY_TGK, W.KEY_TGK_SALT):   # §5.1.1: TGKs forked, TEKs / GTGKs not
            k = dict(k)
            k["key"] = d3(prf, k["key"], id_data, rkms, cv.C_TGK_FORK)
            k["forked"] = True
        return k

    def compare_kemac(self, where, got, want_mpks, want_session):
        rep = self.rep
        exp_types = [W.KEY_MPK] * len(want_mpks) + [k["type"] for k in want_session]
        if not rep.same(f"{where} Key data types", [W.KEY_TYPE_NAMES[t] for t in exp_types],
                        [W.KEY_TYPE_NAMES.get(k["type"], str(k["type"])) for k in got]):
            return
        names = ["MPKi", "MPKr" if "REQUEST" in where else "MPKr'"]
        for i, want in enumerate(want_mpks):
            rep.same(f"{where} {names[i]}", want, got[i]["key"])
        for j, want in enumerate(want_session):
            g = got[len(want_mpks) + j]
            tag = W.KEY_TYPE_NAMES[want["type"]] + ("'" if want.get("forked") else "")
            rep.same(f"{where} session key {j + 1} ({tag})", want["key"], g["key"])
            if want["salt"] is not None or g["salt"] is not None:
                rep.same(f"{where} session key {j + 1} salt", want["salt"], g["salt"])
            rep.same(f"{where} session key {j + 1} SPI", want["spi"], g["spi"])

    def crypto_sessions(self, ti, keys, ri, rr):
        rep = self.rep
        h = ti["hdr"]
        out = []
        want_cs = [c["cs_id"] for c in self.sc.get("crypto_sessions", [])]
        rep.same("TRANSFER_INIT CS IDs = scenario crypto_sessions", want_cs, [e["cs_id"] for e in h["cs_map"]])
        for idx, e in enumerate(h["cs_map"]):
            key = None
            if e.get("spi"):
                match = [k for k in keys if k["spi"] == e["spi"]]
                if match:
                    key = match[0]
            if key is None:
                if len(keys) == 1:
                    key = keys[0]
                elif idx < len(keys):
                    key = keys[idx]
                    rep.note(f"CS {e['cs_id']} key", "no SPI match: the key at the same position is used")
            if key is None:
                rep.fail(f"CS {e['cs_id']} key", "no session key for this crypto session")
                continue
            kind = W.KEY_KIND[key["type"]]
            # "kind" as mikeyctl prints it: the Key Data Type name, +SALT included.
            cs = {"cs_id": e["cs_id"], "kind": W.KEY_TYPE_NAMES[key["type"]], "key": key["key"]}
            if kind == "TEK":
                cs["tek"] = key["key"]
                if key["salt"] is not None:
                    cs["salt"] = key["salt"]
            else:
                cs["tek"] = d4(h["prf"], key["key"], cv.C_TEK, e["cs_id"], ri, rr, len(key["key"]))
                if key["salt"] is not None:   # RFC 6043 §5.1.3: a transported salt SHALL be used
                    cs["salt"] = key["salt"]
                else:
                    cs["salt"] = d4(h["prf"], key["key"], cv.C_TGK_SALT, e["cs_id"], ri, rr, 14)
            rep.ok(f"CS {e['cs_id']} TEK = D4(%s)" % (kind + ("'" if key.get("forked") else "")), hx(cs["tek"]))
            out.append(cs)
        return out

    def compare_keys(self, expected):
        rep = self.rep
        got_all = self.run.get("keys", {})
        for party in ("initiator", "responder", "kms"):
            if party not in expected:
                if party in got_all:
                    rep.fail(f"keys.{party}", f"present, but the {party} takes no part in mode {self.mode}")
                continue
            got = got_all.get(party)
            if got is None:
                # The KMS machine is stateless and exposes no keys: its values are checked
                # through what the Initiator and Responder received (their KEMACs).
                if party == "kms":
                    rep.ok("keys.kms: not reported (stateless KMS); MPK/MPKi/MPKr checked via the KEMACs", "")
                    continue
                rep.fail(f"keys.{party}", "missing")
                continue
            exp = expected[party]
            for field in ("mpk", "mpki", "mpkr", "mpkr_forked"):
                if field in exp:
                    g = got.get(field)
                    if g is None:
                        rep.fail(f"keys.{party}.{field}", "missing")
                    else:
                        rep.same(f"keys.{party}.{field}", exp[field], bytes.fromhex(g))
                elif field in got:
                    rep.fail(f"keys.{party}.{field}", "present but not expected (no forking / not held)")
            if "crypto_sessions" in exp:
                gcs = {c.get("cs_id"): c for c in got.get("crypto_sessions", [])}
                if len(gcs) != len(got.get("crypto_sessions", [])):
                    rep.fail(f"keys.{party}.crypto_sessions", "duplicate cs_id")
                for cs in exp["crypto_sessions"]:
                    g = gcs.pop(cs["cs_id"], None)
                    item = f"keys.{party}.cs[{cs['cs_id']}]"
                    if g is None:
                        rep.fail(item, "missing")
                        continue
                    rep.same(f"{item}.kind", cs["kind"], g.get("kind"))
                    for f in ("key", "tek", "salt"):
                        if f in cs:
                            if f not in g:
                                rep.fail(f"{item}.{f}", "missing")
                            else:
                                rep.same(f"{item}.{f}", cs[f], bytes.fromhex(g[f]))
                        elif f in g:
                            rep.fail(f"{item}.{f}", "present but not expected")
                for cid in gcs:
                    rep.fail(f"keys.{party}.cs[{cid}]", "not a crypto session of TRANSFER_INIT")


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    quiet = "--quiet" in argv
    iv_t_initial = "--iv-t=initial" in argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    scenario = json.loads(pathlib.Path(args[0]).read_text())
    run = json.loads(pathlib.Path(args[1]).read_text())
    rep = Report(quiet)
    try:
        Flow(scenario, run, rep, iv_t_initial).verify()
    except (Fail, W.ParseError, ValueError, KeyError) as e:
        rep.fail("abort", f"{type(e).__name__}: {e}")
    if rep.failures:
        print(f"RESULT: FAIL ({len(rep.failures)} of {rep.count} checks); first mismatch: {rep.failures[0]}")
        return 1
    print(f"RESULT: OK ({rep.count} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
