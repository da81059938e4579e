#!/usr/bin/env python3
"""Independent verifier of the secure_conference demo's MIKEY dump.

Usage: conference_dump_check.py DUMP.json [--quiet] [--strict] [--iv-t=initial] [--demo-output FILE]
       conference_dump_check.py --selftest DUMP.json

DUMP.json is what `examples/secure_conference --dump FILE` writes (seed,
key_model, kms {identity, tpk}, factory {identity, psk, conference}, suite,
users [{identity, psk}], messages [{exchange, name, from, to, hex}] in send
order). From the long-term keys (the users' and the factory's PSKs, the KMS's
TPK) alone, this script verifies every message of the conference, in send
order, keeping the keys each ticket gave:

  REQUEST_INIT_PSK   V with D1 of the sender's PSK (RFC 6043 §5.1.2), coverage
                     REQUEST_INIT || Identity_i || Identity_kms (§5.5)
  REQUEST_RESP       V with D2 of the requester's PSK over REQUEST_RESP ||
                     REQUEST_INIT; the ticket (V with D6 of the TPK, App. A);
                     KEMAC = MPKi, MPKr, the ticket's session keys (D7)
  TRANSFER_INIT      (with TICKET) V with D1 of MPKi, coverage TRANSFER_INIT
                     minus Initiator Data || Identity_i || Identity_r; Vi = V,
                     Vr with D5 of MPKr; ticket = a REQUEST_RESP's; KEMAC (L)
  RESOLVE_INIT_PSK   V with D1 of the resolver's PSK, || Identity_r ||
                     Identity_kms; ticket = a TRANSFER_INIT's (with Initiator
                     Data), Vi = that TRANSFER_INIT's V, Vr with D5 of MPKr
  RESOLVE_RESP       V with D2 of the resolver's PSK over RESOLVE_RESP ||
                     RESOLVE_INIT; KEMAC = MPKi, MPKr' (D3), session keys with
                     every TGK forked (TGK', D3) for the IDRr / RANDRkms sent
  TRANSFER_RESP      V with D2 of MPKr' (RANDRi, RANDRr) over TRANSFER_RESP ||
                     TRANSFER_INIT; IDRr / RANDRkms = the RESOLVE_RESP's; KEMAC (M)
  TRANSFER_INIT      (without TICKET: CSB update, §5.2) same CSB ID as an
                     initial exchange; protected with the keys of its last
                     message (the TRANSFER_RESP's D2 keys from MPKr'); coverage
                     TRANSFER_INIT || Identity_i || Identity_r with the roles of
                     the initial exchange; KEMAC decrypted with those keys and
                     the update's T
  ERROR              well formed (§5.4): version, PRF, CSB ID of the message in
                     error, V flag 0, T, ERR, {SP}, [V] (a V is checked with the
                     auth_key of the message in error)

Then the session keys (TEK, salt per crypto session; D4 of TGK' / GTGK with
RANDRi (H) and RANDRr (G), transported TEKs as they are) that every member of
the conference ends with, their fingerprints (first 8 bytes of SHA-256 of each
TEK), and the key model's invariants (group: every member's cs 2 TEK is the
latest group TEK the focus sent, a departed member's is not; individual: the
members' TEKs all differ).

One line per message; the last line "N messages verified, M failed". Exit 0
iff every message verifies, 1 otherwise, 77 when `cryptography` is missing.
--demo-output FILE: also check that every fingerprint the demo printed
("keys each member holds") is one this script derived for that member.
--selftest: flips one byte in the MAC and one in the middle of every message
(in turn) and checks that each tampered dump is rejected naming that message.

Written from RFC 3830 / RFC 6043 text only, with the primitives of
crypto_vectors.py and the helpers of ticket_flow_check.py / ticket_wire.py;
no code shared with the C++ library. See README_ticket_flow.md.
"""
import copy
import hashlib
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import crypto_vectors as cv  # noqa: E402  (exits 77 when `cryptography` is missing)
import ticket_wire as W  # noqa: E402
import ticket_flow_check as F  # noqa: E402
from ticket_flow_check import Fail, msg_keys, ticket_keys, d7, d3, d5_auth, d4, mac, open_kemac, cut, hx  # noqa: E402

SUITE = {"prf": "PRF-HMAC-SHA-256", "encr": "AES-CM-256", "mac": "HMAC-SHA-256-256"}
TICKET_FLAGS = "DEFGHILM"      # every conference ticket (the brief; RFC 6043 §6.10)
CS_FOCUS_MEDIA = 2             # the focus's stream to the member (group or individual key)


def fingerprint(key):
    return hashlib.sha256(key).digest()[:8].hex()


class Msg:
    """One dump message and its verification result."""

    def __init__(self, index, rec):
        self.index, self.rec = index, rec
        self.name, self.exchange = rec.get("name", "?"), rec.get("exchange")
        self.frm, self.to = rec.get("from", "?"), rec.get("to", "?")
        self.fails, self.notes, self.okays, self.warns = [], [], [], []
        self.raw = None
        self.m = None

    def label(self):
        return f"#{self.index:<3} x{self.exchange:<3} {self.name:<17} {short(self.frm)} -> {short(self.to)}"

    def ok(self, what):
        self.okays.append(what)

    def fail(self, what):
        self.fails.append(what)

    def note(self, what):
        self.notes.append(what)

    def warn(self, what):
        self.warns.append(what)

    def same(self, what, expected, got):
        if expected == got:
            self.ok(what)
            return True
        e = hx(expected) if isinstance(expected, (bytes, bytearray)) else repr(expected)
        g = hx(got) if isinstance(got, (bytes, bytearray)) else repr(got)
        self.fail(f"{what}: expected {e}, got {g}")
        return False


def short(uri):
    s = uri.split(":", 1)[-1]
    return s.split("@", 1)[0]


class Conference:
    def __init__(self, dump, iv_t_initial=False):
        self.d = dump
        self.iv_t_initial = iv_t_initial
        self.prf = F.PRF_IDS[dump["suite"]["prf"]]
        self.encr = F.ENCR_IDS[dump["suite"]["encr"]]
        self.mac = F.MAC_IDS[dump["suite"]["mac"]]
        self.kms = dump["kms"]["identity"].encode()
        self.tpk = bytes.fromhex(dump["kms"]["tpk"])
        fac = dump["factory"]
        self.factory = fac["identity"].encode()
        self.conf = fac["conference"].encode()
        self.psk = {u["identity"].encode(): bytes.fromhex(u["psk"]) for u in dump["users"]}
        # The conference URI is a public identity of the factory's KMS identity (seed 000 naming).
        self.psk[self.factory] = bytes.fromhex(fac["psk"])
        self.psk[self.conf] = bytes.fromhex(fac["psk"])
        self.model = dump.get("key_model")
        # state across messages
        self.inits = {}          # exchange id -> Msg (the open initial message of a round trip)
        self.requested = []      # verified REQUEST_RESP tickets
        self.transfers = []      # TRANSFER_INIT with TICKET
        self.resolved = []       # RESOLVE_RESP results
        self.sessions = {}       # CSB ID -> the completed initial Transfer exchange (latest)
        self.msgs = []
        self.ivs = {}            # (encr_key, salt_key, CSB ID, T) of every message KEMAC -> message index
        self.last_t = {}         # CSB ID -> (T, message index) of the latest Transfer message of that CSB
        self.cs2_sent = []       # (message index, receiver, fingerprint) of every cs 2 key the focus sent
        self.no_flags = set()    # ticket flags seen as 0 among N, O
        self.kemacs = []         # every message KEMAC: message, IV inputs, ciphertext, plaintext, key fingerprints

    # ------------------------------------------------------------ helpers
    def psk_of(self, m, identity, what):
        k = self.psk.get(identity)
        if k is None:
            raise Fail(f"{what} {identity!r} has no PSK in the dump")
        return k

    @staticmethod
    def ident(m, role, what):
        p = W.find_one(m.m["payloads"], W.P_IDR, role)
        if p is None:
            raise Fail(f"no {what} payload")
        return p["data"]

    @staticmethod
    def rand(m, role, what):
        p = W.find_one(m.m["payloads"], W.P_RANDR, role)
        if p is None:
            raise Fail(f"no {what} payload")
        return p["rand"]

    @staticmethod
    def t64(m):
        t = W.find_one(m.m["payloads"], W.P_T)
        if t is None:
            raise Fail("no T payload")
        return t["t64"]

    def kemac(self, m, kem, keys, csb, t64):
        """open_kemac, noting an AES-CM IV (key, salt, CSB ID, T) that an earlier KEMAC used (keystream reuse)."""
        if kem["encr_alg"] in (1, 3):
            iv = (keys["encr"], keys["salt"], csb, t64)
            if iv in self.ivs:
                m.warn(f"KEMAC AES-CM key, salt, CSB ID {csb:08x} and T are those of #{self.ivs[iv]}'s KEMAC: "
                       "the same keystream encrypts both (RFC 3830 §4.2.3 IV; RFC 6043 §5.2 'MUST use new timestamps')")
            else:
                self.ivs[iv] = m.index
        plain = F.decrypt_kemac(kem, keys, csb, t64)
        kd = open_kemac("KEMAC", kem, keys, csb, t64)
        self.kemacs.append({"msg": m.index, "iv": (keys["encr"], keys["salt"], csb, t64) if kem["encr_alg"] in (1, 3)
                            else None, "cipher": kem["encr_data"], "plain": plain, "to": m.to.encode(),
                            "teks": [fingerprint(k["key"]) for k in kd]})
        return kd

    def fresh_t(self, m, csb, initial=None, update=False):
        """RFC 6043 §4.2.2.3 (fresh T in TRANSFER_RESP for NTP types), §5.2 (new timestamps in a CSB update)."""
        t = W.find_one(m.m["payloads"], W.P_T)
        if t is None:
            return
        if initial is not None and t["ts_type"] in (0, 1):
            it = W.find_one(initial.m["payloads"], W.P_T)
            if it is not None and it["ts_value"] == t["ts_value"]:
                sec = {"REQUEST_RESP": "§4.2.1.5", "TRANSFER_RESP": "§4.2.2.3", "RESOLVE_RESP": "§4.2.3.5",
                       "ERROR": "§5.4"}.get(m.name, "§4.2")
                m.warn(f"T {t['ts_value'].hex()} = the T of #{initial.index} ({initial.name}): not a fresh NTP "
                       f"timestamp (RFC 6043 {sec}: a fresh timestamp value SHALL be used)")
        prev = self.last_t.get(csb)
        if update and prev is not None and t["t64"] <= prev[0]:
            m.warn(f"T {t['ts_value'].hex()} is not newer than #{prev[1]}'s of the same CSB "
                   "(RFC 6043 §5.2: a CSB update MUST use new timestamps)")
        self.last_t[csb] = (t["t64"], m.index)

    def check_v(self, m, key, appended, extra_cuts=(), what="V"):
        v = m.m["payloads"][-1]
        if v["type"] != W.P_V:
            raise Fail("last payload is not V")
        if not m.same(f"{what} Auth alg", self.mac, v["alg"]):
            return False
        data = cut(m.raw, list(extra_cuts) + [(v["mac_off"], v["mac_len"])]) + appended
        return m.same(f"{what} MAC", mac(v["alg"], key, data), v["mac"])

    def hdr(self, m, data_type, v_flag=None, map_type=None):
        h = m.m["hdr"]
        m.same("HDR version", 1, h["version"])
        m.same("HDR data type", data_type, h["data_type"])
        m.same("HDR PRF func", self.prf, h["prf"])
        if v_flag is not None:
            m.same("HDR V flag", v_flag, h["v"])
        if map_type is not None:
            m.same("HDR CS ID map type", map_type, h["map_type"])

    def open_ticket(self, m):
        """The MIKEY base ticket of m (App. A): V with D6 of the TPK, KEMAC = MPK, session keys."""
        tk = W.find_one(m.m["payloads"], W.P_TICKET)
        if tk is None:
            raise Fail("no TICKET payload")
        if (tk["ticket_type"], tk["subtype"], tk["version"]) != (1, 1, 1):
            raise Fail("ticket is not a MIKEY base ticket 1/1/1")
        td = tk["td_chain"]
        rand, t, kemac, v = W.find_one(td, W.P_RAND), W.find_one(td, W.P_T), W.find_one(td, W.P_KEMAC), td[-1]
        if rand is None or t is None or kemac is None or v["type"] != W.P_V:
            raise Fail("Ticket Data is not THDR, T, RAND, KEMAC, [IDRpsk], V")
        keys = ticket_keys(tk["prf"], self.tpk, rand["rand"], kemac["encr_alg"], v["alg"])
        raw = m.raw
        covered = raw[tk["off"] + 1:v["mac_off"]] + raw[v["mac_off"] + v["mac_len"]:tk["idata_len_off"]]
        m.same("ticket V Auth alg", self.mac, v["alg"])
        m.same("ticket V MAC (D6 of the TPK, App. A.1)", mac(v["alg"], keys["auth"], covered), v["mac"])
        m.same("ticket KEMAC Encr alg", self.encr, kemac["encr_alg"])
        kd = open_kemac("ticket KEMAC", kemac, keys, 0xFFFFFFFF, t["t64"])
        if not kd or kd[0]["type"] != W.KEY_MPK or any(k["type"] == W.KEY_MPK for k in kd[1:]):
            raise Fail("ticket KEMAC is not MPK, session keys")
        flags = tk["flags"]
        on = "".join(k for k, x in flags.items() if x)
        m.same("ticket flags", TICKET_FLAGS, on)
        self.no_flags |= {x for x in "NO" if not flags[x]}
        m.same("ticket PRF Func", self.prf, tk["prf"])
        mpk = kd[0]["key"]
        return {"tk": tk, "flags": flags, "prf": tk["prf"], "rand": rand["rand"], "mpk": mpk,
                "mpki": d7(tk["prf"], mpk, rand["rand"], cv.C_MPKI), "mpkr": d7(tk["prf"], mpk, rand["rand"], cv.C_MPKR),
                "session": kd[1:], "bytes": raw[tk["off"] + 1:tk["idata_len_off"]],
                "full": raw[tk["off"] + 1:tk["end"]]}

    @staticmethod
    def same_keys(m, what, want, got):
        """want: list of (name, key dict or bytes); got: Key data list."""
        if not m.same(f"{what} Key data count", len(want), len(got)):
            return False
        good = True
        for (name, w), g in zip(want, got):
            if isinstance(w, bytes):
                good &= m.same(f"{what} {name} type", "MPK", W.KEY_TYPE_NAMES.get(g["type"]))
                good &= m.same(f"{what} {name}", w, g["key"])
            else:
                good &= m.same(f"{what} {name} type", W.KEY_TYPE_NAMES[w["type"]], W.KEY_TYPE_NAMES.get(g["type"]))
                good &= m.same(f"{what} {name} key", w["key"], g["key"])
                good &= m.same(f"{what} {name} salt", w["salt"], g["salt"])
                good &= m.same(f"{what} {name} SPI", w["spi"], g["spi"])
        return good

    @staticmethod
    def fork(k, prf, id_data, rkms):
        if k["type"] in (W.KEY_TGK, W.KEY_TGK_SALT):   # §5.1.1: TGKs forked, TEKs / GTGKs not
            k = dict(k)
            k["key"] = d3(prf, k["key"], id_data, rkms, cv.C_TGK_FORK)
            k["forked"] = True
        return k

    # ------------------------------------------------------------ messages
    def request_init(self, m):
        self.hdr(m, W.DATA_TYPE_BY_NAME["REQUEST_INIT_PSK"], 1, 1)
        h = m.m["hdr"]
        idi = self.ident(m, W.ROLE_I, "IDRi")
        idk = self.ident(m, W.ROLE_KMS, "IDRkms")
        ri = self.rand(m, W.RAND_I, "RANDRi")
        k = msg_keys(h["prf"], self.psk_of(m, idi, "IDRi"), h["csb_id"], 0x01, ri, b"", self.encr, self.mac)
        self.check_v(m, k["auth"], idi + idk, what="V (D1 of the sender's PSK)")
        m.same("IDRi = sender", m.frm.encode(), idi)
        m.same("IDRkms", self.kms, idk)
        if W.find_one(m.m["payloads"], W.P_TP) is None:
            m.fail("no TP payload")
        m.state = {"idi": idi, "ri": ri}
        self.inits[m.exchange] = m

    def request_resp(self, m):
        self.hdr(m, W.DATA_TYPE_BY_NAME["REQUEST_RESP"], 0, 1)
        q = self.inits.get(m.exchange)
        if q is None or q.name != "REQUEST_INIT_PSK":
            raise Fail(f"no REQUEST_INIT_PSK in exchange {m.exchange}")
        h = m.m["hdr"]
        m.same("HDR CSB ID = REQUEST_INIT's", q.m["hdr"]["csb_id"], h["csb_id"])
        m.same("receiver = requester", q.frm, m.to)
        k = msg_keys(h["prf"], self.psk_of(m, q.state["idi"], "requester"), h["csb_id"], 0x02, q.state["ri"], b"",
                     self.encr, self.mac)
        self.check_v(m, k["auth"], q.raw, what="V (D2 of the requester's PSK)")
        tkt = self.open_ticket(m)
        m.same("ticket Initiator Data length", 0, tkt["tk"]["idata_end"] - tkt["tk"]["idata_off"])
        kem = W.find_one(m.m["payloads"], W.P_KEMAC)
        if kem is None:
            raise Fail("no KEMAC")
        m.same("KEMAC Encr alg", self.encr, kem["encr_alg"])
        m.same("KEMAC MAC alg (NULL)", 0, kem["mac_alg"])
        kd = self.kemac(m, kem, k, h["csb_id"], self.t64(q if self.iv_t_initial else m))
        self.fresh_t(m, None, initial=q)
        want = [("MPKi", tkt["mpki"])] + ([("MPKr", tkt["mpkr"])] if tkt["flags"]["I"] else []) + \
               [(f"session key {j + 1}", s) for j, s in enumerate(tkt["session"])]
        self.same_keys(m, "KEMAC", want, kd)
        tkt["requester"] = q.state["idi"]
        tkt["msg"] = m
        m.summary = f"ticket for {short(q.state['idi'].decode())}: MPKi, MPKr, " + \
            ", ".join(W.KEY_TYPE_NAMES[s["type"]] for s in tkt["session"])
        if not m.fails:
            self.requested.append(tkt)

    def transfer_init(self, m):
        if W.find_one(m.m["payloads"], W.P_TICKET) is None:
            return self.csb_update(m)
        self.hdr(m, W.DATA_TYPE_BY_NAME["TRANSFER_INIT"], 1, 2)
        h = m.m["hdr"]
        tkt = self.open_ticket(m)
        req = next((r for r in reversed(self.requested) if r["bytes"] == tkt["bytes"]), None)
        if req is None:
            raise Fail("its ticket is not one a verified REQUEST_RESP gave")
        m.ok(f"ticket = the REQUEST_RESP's (#{req['msg'].index})")
        idi = self.ident(m, W.ROLE_I, "IDRi")
        idr = self.ident(m, W.ROLE_R, "IDRr")
        m.same("IDRi = sender", m.frm.encode(), idi)
        m.same("IDRr = receiver", m.to.encode(), idr)
        m.same("IDRi = the ticket's requester", req["requester"], idi)
        ri = self.rand(m, W.RAND_I, "RANDRi")
        k = msg_keys(h["prf"], req["mpki"], h["csb_id"], 0x01, ri, b"", self.encr, self.mac)
        tk = tkt["tk"]
        idata_cut = (tk["idata_len_off"], tk["idata_end"] - tk["idata_len_off"])
        self.check_v(m, k["auth"], idi + idr, [idata_cut], what="V (D1 of MPKi)")
        v = m.m["payloads"][-1]
        chain = tk["idata_chain"]
        if len(chain) != 2 or any(p["type"] != W.P_V for p in chain):
            m.fail("Initiator Data is not Vi, Vr")
        else:
            vi, vr = chain
            m.same("Vi = V (§6.10)", (v["alg"], v["mac"]), (vi["alg"], vi["mac"]))
            data = m.raw[tk["idata_off"]:vr["mac_off"]] + m.raw[vr["mac_off"] + vr["mac_len"]:tk["idata_end"]]
            m.same("Vr MAC (D5 of MPKr, over the Initiator Data)",
                   mac(vr["alg"], d5_auth(tkt["prf"], req["mpkr"], vr["alg"]), data), vr["mac"])
        kem = W.find_one(m.m["payloads"], W.P_KEMAC)
        supplied = []
        if kem is not None:
            if not tkt["flags"]["L"]:
                m.fail("KEMAC although L = 0 (the Initiator SHALL NOT supply session keys)")
            m.same("KEMAC MAC alg (NULL)", 0, kem["mac_alg"])
            supplied = self.tag(m, self.kemac(m, kem, k, h["csb_id"], self.t64(m)))
            m.ok("KEMAC decrypted (D1 of MPKi)")
        self.fresh_t(m, h["csb_id"])
        m.state = {"req": req, "tkt": tkt, "idi": idi, "idr": idr, "ri": ri, "keys": k, "supplied": supplied}
        m.summary = f"MPKi-keyed, ticket of #{req['msg'].index}" + \
            (", KEMAC " + ", ".join(W.KEY_TYPE_NAMES[x["type"]] for x in supplied) if supplied else "")
        self.inits[m.exchange] = m
        if not m.fails:
            self.transfers.append(m)

    def resolve_init(self, m):
        self.hdr(m, W.DATA_TYPE_BY_NAME["RESOLVE_INIT_PSK"], 1, 1)
        h = m.m["hdr"]
        idr = self.ident(m, W.ROLE_R, "IDRr")
        idk = self.ident(m, W.ROLE_KMS, "IDRkms")
        rr = self.rand(m, W.RAND_R, "RANDRr")
        k = msg_keys(h["prf"], self.psk_of(m, idr, "IDRr"), h["csb_id"], 0x01, b"", rr, self.encr, self.mac)
        self.check_v(m, k["auth"], idr + idk, what="V (D1 of the resolver's PSK)")
        m.same("IDRkms", self.kms, idk)
        if m.frm.encode() != idr:
            # the factory resolves as the conference URI (one KMS identity, seed 000 naming)
            if not (m.frm.encode() == self.factory and idr == self.conf):
                m.fail(f"IDRr {idr!r} is neither the sender nor the conference URI the factory resolves for")
            else:
                m.note("the factory resolves as the conference URI")
        tkt = self.open_ticket(m)
        ti = next((t for t in reversed(self.transfers) if t.state["tkt"]["full"] == tkt["full"]), None)
        if ti is None:
            raise Fail("its ticket (with Initiator Data) is not one a verified TRANSFER_INIT carried")
        m.ok(f"ticket = TRANSFER_INIT #{ti.index}'s")
        tk = tkt["tk"]
        chain = tk["idata_chain"]
        if len(chain) != 2 or any(p["type"] != W.P_V for p in chain):
            m.fail("Initiator Data is not Vi, Vr")
        else:
            vr = chain[1]
            data = m.raw[tk["idata_off"]:vr["mac_off"]] + m.raw[vr["mac_off"] + vr["mac_len"]:tk["idata_end"]]
            m.same("Vr MAC (D5 of MPKr: the KMS authenticates the Initiator)",
                   mac(vr["alg"], d5_auth(tkt["prf"], tkt["mpkr"], vr["alg"]), data), vr["mac"])
        m.state = {"idr": idr, "rr": rr, "tkt": tkt, "ti": ti}
        self.inits[m.exchange] = m

    def resolve_resp(self, m):
        self.hdr(m, W.DATA_TYPE_BY_NAME["RESOLVE_RESP"], 0, 1)
        q = self.inits.get(m.exchange)
        if q is None or q.name != "RESOLVE_INIT_PSK":
            raise Fail(f"no RESOLVE_INIT_PSK in exchange {m.exchange}")
        h = m.m["hdr"]
        m.same("HDR CSB ID = RESOLVE_INIT's", q.m["hdr"]["csb_id"], h["csb_id"])
        m.same("receiver = resolver", q.frm, m.to)
        k = msg_keys(h["prf"], self.psk_of(m, q.state["idr"], "resolver"), h["csb_id"], 0x02, b"", q.state["rr"],
                     self.encr, self.mac)
        self.check_v(m, k["auth"], q.raw, what="V (D2 of the resolver's PSK)")
        tkt = q.state["tkt"]
        idf = self.ident(m, W.ROLE_R, "IDRr (forking modifier)")
        rkms = self.rand(m, W.RAND_KMS, "RANDRkms")
        m.same("IDRr = the resolver's IDRr", q.state["idr"], idf)
        mpkr_f = d3(tkt["prf"], tkt["mpkr"], idf, rkms, cv.C_MPKR_FORK)
        session = [self.fork(s, tkt["prf"], idf, rkms) for s in tkt["session"]]
        kem = W.find_one(m.m["payloads"], W.P_KEMAC)
        if kem is None:
            raise Fail("no KEMAC")
        m.same("KEMAC Encr alg", self.encr, kem["encr_alg"])
        m.same("KEMAC MAC alg (NULL)", 0, kem["mac_alg"])
        kd = self.kemac(m, kem, k, h["csb_id"], self.t64(q if self.iv_t_initial else m))
        self.fresh_t(m, None, initial=q)
        want = [("MPKi", tkt["mpki"]), ("MPKr'", mpkr_f)] + \
               [(f"session key {j + 1}" + ("'" if s.get("forked") else ""), s) for j, s in enumerate(session)]
        self.same_keys(m, "KEMAC", want, kd)
        m.summary = f"MPKi, MPKr' and TGK' forked for {short(idf.decode())}"
        if not m.fails:
            self.resolved.append({"bytes": tkt["bytes"], "resolver": q.frm.encode(), "idr": idf, "rkms": rkms,
                                  "mpkr_f": mpkr_f, "session": session, "msg": m})

    def transfer_resp(self, m):
        self.hdr(m, W.DATA_TYPE_BY_NAME["TRANSFER_RESP"], 0, 2)
        ti = self.inits.get(m.exchange)
        h = m.m["hdr"]
        if ti is None or ti.name != "TRANSFER_INIT":
            # Match by CSB ID (RFC 6043 §4.2.2.3: identical to the TRANSFER_INIT's).
            ti = next((t for t in reversed(self.transfers) if t.m["hdr"]["csb_id"] == h["csb_id"]
                       and t.frm == m.to and not getattr(t, "answered", False)), None)
            if ti is None:
                raise Fail(f"no TRANSFER_INIT in exchange {m.exchange} nor one with CSB ID {h['csb_id']:08x}")
            m.note(f"dump exchange {m.exchange} is not its TRANSFER_INIT's ({ti.exchange}); matched by CSB ID")
            m.dump_note = True
        st = ti.state
        m.same("HDR CSB ID = TRANSFER_INIT's", ti.m["hdr"]["csb_id"], h["csb_id"])
        m.same("receiver = the Initiator", ti.frm, m.to)
        res = next((r for r in reversed(self.resolved) if r["bytes"] == st["tkt"]["bytes"]), None)
        if res is None:
            raise Fail("no verified RESOLVE_RESP for its ticket")
        m.ok(f"ticket resolved by RESOLVE_RESP #{res['msg'].index}")
        flags = st["tkt"]["flags"]
        rr = self.rand(m, W.RAND_R, "RANDRr") if flags["G"] else b""
        k = msg_keys(h["prf"], res["mpkr_f"], h["csb_id"], 0x02, st["ri"], rr, self.encr, self.mac)
        self.check_v(m, k["auth"], ti.raw, what="V (D2 of MPKr')")
        idr = self.ident(m, W.ROLE_R, "IDRr")
        m.same("IDRr = the RESOLVE_RESP's", res["idr"], idr)
        m.same("RANDRkms = the RESOLVE_RESP's", res["rkms"], self.rand(m, W.RAND_KMS, "RANDRkms"))
        if res["resolver"] != m.frm.encode() and not (res["resolver"] == self.factory and m.frm.encode() == self.conf):
            m.fail(f"sender is not the party that resolved the ticket ({res['resolver']!r})")
        kem = W.find_one(m.m["payloads"], W.P_KEMAC)
        supplied = []
        if kem is not None:
            if not flags["M"]:
                m.fail("KEMAC although M = 0 (the Responder SHALL NOT supply session keys)")
            m.same("KEMAC MAC alg (NULL)", 0, kem["mac_alg"])
            supplied = self.tag(m, self.kemac(m, kem, k, h["csb_id"], self.t64(ti if self.iv_t_initial else m)))
            m.ok("KEMAC decrypted (D2 of MPKr')")
        self.fresh_t(m, h["csb_id"], initial=ti)
        # RFC 6043 §6.1.1: "In response messages, #P SHALL always be exactly 1"; the Policy_no names an SP
        # payload of the response or, "in response messages, ... a SP payload in the initial message", of
        # the Prot type of the crypto session; one the Initiator suggested when it suggested any (SHOULD).
        sp_r = {p["policy_no"]: p for p in W.find(m.m["payloads"], W.P_SP)}
        sp_i = {p["policy_no"]: p for p in W.find(ti.m["payloads"], W.P_SP)}
        offered = {e["cs_id"]: e["policies"] for e in ti.m["hdr"]["cs_map"]}
        for e in h["cs_map"]:
            if len(e["policies"]) != 1:
                m.fail(f"CS {e['cs_id']}: #P = {len(e['policies'])} (RFC 6043 §6.1.1: exactly 1 in a response)")
                continue
            no = e["policies"][0]
            sp = sp_r.get(no, sp_i.get(no))
            if sp is None:
                m.fail(f"CS {e['cs_id']}: Policy_no {no} names no SP payload of TRANSFER_RESP or TRANSFER_INIT")
            elif sp["prot"] != e["prot"]:
                m.fail(f"CS {e['cs_id']}: SP {no} has Prot type {sp['prot']}, the crypto session {e['prot']}")
            elif offered.get(e["cs_id"]) and no not in offered[e["cs_id"]]:
                m.warn(f"CS {e['cs_id']}: SP {no} was not among the suggested {offered[e['cs_id']]} (§6.1.1 SHOULD)")
        if not m.fails:
            m.ok("one security policy per crypto session (#P = 1, SP of TRANSFER_RESP or TRANSFER_INIT)")
        ti.answered = True
        m.summary = f"MPKr'-keyed for {short(idr.decode())}" + \
            (", KEMAC " + ", ".join(W.KEY_TYPE_NAMES[x["type"]] for x in supplied) if supplied else "")
        if m.fails:
            return
        # the crypto sessions of the exchange: TRANSFER_RESP's map (the Responder may add sessions, §4.2.2.3)
        ri_d4 = st["ri"] if flags["H"] else b""
        rr_d4 = rr if flags["G"] else b""
        sess = {"ti": ti, "tr": m, "initiator": st["idi"], "responder": idr, "ti_idr": st["idr"],
                "keys": k, "ri": ri_d4, "rr": rr_d4, "prf": h["prf"], "csb": h["csb_id"],
                "ticket_keys": res["session"], "cs": {}, "history": {}}
        pool = list(res["session"]) + list(st["supplied"]) + list(supplied)
        self.assign(m, sess, h["cs_map"], pool, "initial")
        self.sessions[h["csb_id"]] = sess

    @staticmethod
    def tag(m, keys):
        """Key data supplied in a message's KEMAC, tagged with that message (index, sender, receiver)."""
        return [dict(k, sent=(m.index, m.frm.encode(), m.to.encode())) for k in keys]

    def assign(self, m, sess, cs_map, pool, when):
        for e in cs_map:
            key = next((x for x in reversed(pool) if x["spi"] is not None and x["spi"] == e.get("spi")), None)
            if key is None:
                if when == "initial" and len(sess["ticket_keys"]) == 1:
                    key = sess["ticket_keys"][0]
                else:
                    old = sess["cs"].get(e["cs_id"])
                    if when == "initial" or old is None:
                        m.fail(f"CS {e['cs_id']}: no session key (SPI {hx(e.get('spi'))})")
                    elif old["spi"] != e.get("spi"):
                        m.fail(f"CS {e['cs_id']}: SPI {hx(e.get('spi'))} changed but no new key for it")
                    continue
            kind = W.KEY_KIND[key["type"]]
            if kind == "TEK":
                tek, salt = key["key"], key["salt"]
            else:
                tek = d4(sess["prf"], key["key"], cv.C_TEK, e["cs_id"], sess["ri"], sess["rr"], len(key["key"]))
                salt = key["salt"] if key["salt"] is not None else \
                    d4(sess["prf"], key["key"], cv.C_TGK_SALT, e["cs_id"], sess["ri"], sess["rr"], 14)
            src = W.KEY_TYPE_NAMES[key["type"]] + ("'" if key.get("forked") else "")
            sent = key.get("sent")
            sess["cs"][e["cs_id"]] = {"tek": tek, "salt": salt, "src": src, "spi": e.get("spi"),
                                      "msg": sent[0] if sent else m.index}
            if e["cs_id"] == CS_FOCUS_MEDIA and sent and sent[1] == self.conf:
                self.cs2_sent.append((sent[0], sent[2], fingerprint(tek)))
            sess["history"].setdefault(e["cs_id"], []).append(fingerprint(tek))

    def csb_update(self, m):
        """RFC 6043 §5.2: TRANSFER_INIT without TICKET, same CSB ID, keys of the initial exchange's last message."""
        self.hdr(m, W.DATA_TYPE_BY_NAME["TRANSFER_INIT"], None, 2)
        h = m.m["hdr"]
        sess = self.sessions.get(h["csb_id"])
        if sess is None:
            raise Fail(f"CSB update for CSB ID {h['csb_id']:08x}: no completed initial exchange")
        m.ok(f"CSB update of the exchange of #{sess['ti'].index}/#{sess['tr'].index}")
        i, r = sess["initiator"], sess["responder"]
        me, peer = m.frm.encode(), m.to.encode()
        ids = [p for p in m.m["payloads"] if p["type"] == W.P_IDR]
        if me == r and peer == i:
            order, who = [W.ROLE_R, W.ROLE_I], "the Responder"
        elif me == i and peer == r:
            order, who = [W.ROLE_I, W.ROLE_R], "the Initiator"
        else:
            raise Fail(f"sender/receiver are not the parties of the initial exchange ({i!r}, {r!r})")
        m.same(f"IDR order (sent by {who} of the initial exchange, §5.2)", order, [p["role"] for p in ids])
        idi = self.ident(m, W.ROLE_I, "IDRi")
        idr = self.ident(m, W.ROLE_R, "IDRr")
        m.same("IDRi = the initial exchange's Initiator", i, idi)
        m.same("IDRr = the initial exchange's Responder (TRANSFER_RESP IDRr)", r, idr)
        k = sess["keys"]
        self.check_v(m, k["auth"], idi + idr, what="V (the TRANSFER_RESP's D2 keys of MPKr')")
        for t, what in ((W.P_TICKET, "TICKET"), (W.P_RANDR, "RANDR"), (W.P_RAND, "RAND")):
            if W.find_one(m.m["payloads"], t) is not None:
                m.fail(f"{what} in a CSB update (§5.2: new RANDs / TICKETs MUST NOT be included)")
        kem = W.find_one(m.m["payloads"], W.P_KEMAC)
        supplied = []
        if kem is not None:
            m.same("KEMAC MAC alg (NULL)", 0, kem["mac_alg"])
            supplied = self.tag(m, self.kemac(m, kem, k, h["csb_id"], self.t64(m)))
            m.ok("KEMAC decrypted (the TRANSFER_RESP's D2 encr/salt, the update's T)")
        self.fresh_t(m, h["csb_id"], update=True)
        m.summary = f"update of {short(i.decode())}<->{short(r.decode())} by {who}" + \
            (", KEMAC " + ", ".join(W.KEY_TYPE_NAMES[x["type"]] for x in supplied) if supplied else "")
        m.summary += f", V flag {h['v']} (response {'expected' if h['v'] else 'not expected'})"
        if not m.fails:
            before = dict(sess["cs"])
            self.assign(m, sess, h["cs_map"], supplied, "update")
            changed = [c for c in sess["cs"] if before.get(c) is not sess["cs"][c]]
            sess.setdefault("updates", []).append((m.index, changed))

    def error(self, m):
        h = m.m["hdr"]
        self.hdr(m, W.DATA_TYPE_BY_NAME["ERROR"], 0)
        q = self.inits.get(m.exchange)
        if q is None:
            raise Fail(f"no message in error in exchange {m.exchange}")
        m.same("HDR CSB ID = the message in error's", q.m["hdr"]["csb_id"], h["csb_id"])
        m.same("HDR PRF = the message in error's", q.m["hdr"]["prf"], h["prf"])
        m.same("receiver = the sender of the message in error", q.frm, m.to)
        p = m.m["payloads"]
        if not p or p[0]["type"] != W.P_T:
            m.fail("first payload is not T")
        errs = [x for x in p if x["type"] == W.P_ERR]
        if not errs:
            m.fail("no ERR payload")
        for x in p:
            if x["type"] not in (W.P_T, W.P_ERR, W.P_SP, W.P_V):
                m.fail(f"unexpected {x['name']} payload (Error message = HDR, T, (ERR), {{SP}}, [V])")
        for x in errs:
            if x["error_no"] > 14:
                m.fail(f"ERR {x['error_no']} is not an RFC 3830 / RFC 6043 error number")
        self.fresh_t(m, None, initial=q)
        v = W.find_one(p, W.P_V)
        if v is not None and q.name == "TRANSFER_INIT" and "keys" in q.state:
            self.check_v(m, q.state["keys"]["auth"], b"", what="V (auth_key of the message in error)")
        names = {0: "Auth failure", 7: "Invalid ID", 12: "Unspecified", 14: "Invalid TICKET"}
        m.summary = "ERR " + ", ".join(f"{x['error_no']} ({names.get(x['error_no'], '')})" for x in errs) + \
            ("" if v else ", unauthenticated (no V)")

    # ------------------------------------------------------------ driver
    def verify(self):
        handlers = {"REQUEST_INIT_PSK": self.request_init, "REQUEST_RESP": self.request_resp,
                    "TRANSFER_INIT": self.transfer_init, "TRANSFER_RESP": self.transfer_resp,
                    "RESOLVE_INIT_PSK": self.resolve_init, "RESOLVE_RESP": self.resolve_resp, "ERROR": self.error}
        for idx, rec in enumerate(self.d.get("messages", [])):
            m = Msg(idx, rec)
            m.summary = ""
            m.state = {}
            self.msgs.append(m)
            try:
                m.raw = bytes.fromhex(rec["hex"])
                m.m = W.parse_message(m.raw)
                got = W.DATA_TYPES.get(m.m["hdr"]["data_type"], "?")
                if got != m.name:
                    m.fail(f"HDR data type is {got}, the dump says {m.name}")
                handler = handlers.get(got)
                if handler is None:
                    raise Fail(f"data type {got} is not handled")
                handler(m)
            except (Fail, W.ParseError, ValueError, KeyError, IndexError) as e:
                m.fail(f"{type(e).__name__}: {e}")
        return self.msgs

    # ------------------------------------------------------------ keys and invariants
    def members(self):
        """The conference sessions: completed initial exchanges with the focus that carry cs 2."""
        out = {}
        for sess in self.sessions.values():
            if self.conf not in (sess["initiator"], sess["responder"]) or CS_FOCUS_MEDIA not in sess["cs"]:
                continue
            member = sess["responder"] if sess["initiator"] == self.conf else sess["initiator"]
            out[member] = sess          # the latest such exchange of that member
        return out

    def report_keys(self, out):
        members = self.members()
        lines, ok = [], True
        out("")
        out("session keys each member ends with (fingerprints: SHA-256 of the TEK, first 8 bytes):")
        for who, sess in members.items():
            cs = sess["cs"]
            called_out = sess["initiator"] == self.conf
            out(f"  {short(who.decode()):<8}" + " ".join(
                f"cs{c}:{fingerprint(cs[c]['tek'])}({cs[c]['src']})" for c in sorted(cs)) +
                ("  (called out)" if called_out else "") + f"  CSB {sess['csb']:08x}")
        if self.no_flags:
            out(f"NOTE  tickets: flag(s) {', '.join(sorted(self.no_flags))} = 0 for a MIKEY base ticket (RFC 6043 §6.10: "
                "'additional processing is required'; App. A needs none)")
        if self.model == "group":
            # rekey rounds: the focus's cs 2 keys in order, each with the members it reached
            rounds = []
            for idx, who, fp in self.cs2_sent:
                if not rounds or rounds[-1][0] != fp:
                    rounds.append((fp, []))
                rounds[-1][1].append((idx, who))
            if not rounds:
                out("FAIL  group model: the focus sent no cs 2 key")
                return False
            reached = set()
            for n, (fp, to) in enumerate(rounds, 1):
                names = {w for _, w in to}
                left = reached - names
                out(f"  group TEK {n}: {fp} -> " + ", ".join(f"{short(w.decode())} (#{i})" for i, w in to) +
                    (f"; not sent to {', '.join(sorted(short(w.decode()) for w in left))} (left)" if left else ""))
                reached = names
            latest = rounds[-1][0]
            for who, sess in members.items():
                fp = fingerprint(sess["cs"][CS_FOCUS_MEDIA]["tek"])
                if fp == latest:
                    out(f"OK    group invariant: {short(who.decode())}'s cs 2 TEK is the latest group TEK {latest}")
                elif who not in reached:
                    out(f"OK    group invariant: {short(who.decode())} left before the last rekey: its cs 2 TEK {fp} "
                        "is not the latest")
                else:
                    ok = False
                    out(f"FAIL  group invariant: {short(who.decode())}'s cs 2 TEK {fp} is not the latest {latest}")
            self.keystream_reuse(members, latest, out)
        elif self.model == "individual":
            fps = [fingerprint(s["cs"][CS_FOCUS_MEDIA]["tek"]) for s in members.values()]
            if len(set(fps)) == len(fps):
                out(f"OK    individual invariant: the {len(fps)} members' cs 2 TEKs all differ")
            else:
                ok = False
                out("FAIL  individual invariant: two members share a cs 2 TEK")
            if any(s.get("updates") for s in members.values()):
                out("NOTE  individual model: CSB updates were sent")
        allfp = [fingerprint(c["tek"]) for s in members.values() for cid, c in s["cs"].items() if cid != CS_FOCUS_MEDIA]
        if len(set(allfp)) == len(allfp):
            out(f"OK    per-member invariant: the {len(allfp)} cs 1/3/4 TEKs (TGK' per member) all differ")
        else:
            ok = False
            out("FAIL  per-member invariant: two cs 1/3/4 TEKs are equal")
        return ok

    def keystream_reuse(self, members, latest, out):
        """A member that left knows the plaintext of the KEMACs it received; where another member's update KEMAC
        shares its keystream with a KEMAC whose plaintext the departed member knows, XOR gives the new keys."""
        for who, sess in members.items():
            held = set(sess["history"].get(CS_FOCUS_MEDIA, []))
            if latest in held:
                continue
            for a in self.kemacs:
                if a["iv"] is None or a["to"] == who or not set(a["teks"]) <= held:
                    continue
                for b in self.kemacs:
                    if b is a or b["iv"] != a["iv"] or len(b["cipher"]) > len(a["cipher"]):
                        continue
                    # who sees both ciphertexts on the wire (SDP bodies) and knows a's plaintext (keys it held)
                    rec = bytes(x ^ y ^ z for x, y, z in zip(b["cipher"], a["cipher"], a["plain"]))
                    try:
                        keys = W.parse_key_data_chain(rec)
                    except W.ParseError:
                        continue
                    got = [fingerprint(k["key"]) for k in keys]
                    if latest in got:
                        out(f"WARN  {short(who.decode())} (left) recovers the latest group TEK {latest}: KEMAC #{b['msg']} "
                            f"XOR KEMAC #{a['msg']} (same AES-CM key, salt, CSB ID, T) XOR #{a['msg']}'s plaintext "
                            "(keys it held)")
                        return

    def check_demo_output(self, text, out):
        """Every fingerprint the demo printed for a member is one derived here for that member."""
        members = {short(w.decode()): s for w, s in self.members().items()}
        ok, n = True, 0
        import re
        for line in text.splitlines():
            mm = re.match(r"^\s+(\S+)\s+((?:cs\d+:[0-9a-f]{16}\s*)+)", line)
            if not mm or mm.group(1) not in members:
                continue
            sess = members[mm.group(1)]
            for cid, fp in re.findall(r"cs(\d+):([0-9a-f]{16})", mm.group(2)):
                n += 1
                if fp not in sess["history"].get(int(cid), []):
                    ok = False
                    out(f"FAIL  demo output: {mm.group(1)} cs{cid}:{fp} is not a key derived here")
        out(f"{'OK' if ok and n else 'FAIL':5} demo output: {n} printed fingerprints, all derived here"
            if ok and n else f"FAIL  demo output: {n} fingerprints compared")
        return ok and n > 0


def run(dump, quiet=False, iv_t_initial=False, demo_output=None, out=print, strict=False):
    c = Conference(dump, iv_t_initial)
    msgs = c.verify()
    failed = warned = 0
    for m in msgs:
        if strict and m.warns:
            m.fails += [f"(--strict) {w}" for w in m.warns]
        if m.fails:
            failed += 1
            out(f"FAIL  {m.label()}: {m.fails[0]}" + (f" (+{len(m.fails) - 1} more)" if len(m.fails) > 1 else ""))
        elif not quiet:
            out(f"OK    {m.label()}: {len(m.okays)} checks; {m.summary}" +
                ("".join(f"; NOTE {n}" for n in m.notes)))
        for w in m.warns:
            warned += 1
            out(f"WARN  {m.label()}: {w}")
    extra_ok = True
    if not quiet:
        extra_ok = c.report_keys(out)
    else:
        extra_ok = c.report_keys(lambda s: None)
    if demo_output is not None:
        extra_ok &= c.check_demo_output(demo_output, out)
    if warned:
        out(f"{warned} warnings on {sum(1 for m in msgs if m.warns)} messages (RFC MUST/SHALL points that are not MACs "
            "or keys: the exit status ignores them unless --strict)")
    out(f"{len(msgs) - failed} messages verified, {failed} failed")
    return (0 if failed == 0 and extra_ok else 1), msgs


def selftest(dump):
    """Flip one byte in the MAC and one in the middle of every message; each tamper must be rejected there."""
    code, msgs = run(dump, quiet=True, out=lambda s: None)
    if code != 0:
        print("selftest: the untampered dump does not verify")
        return 1
    bad, n = 0, 0
    for i, m in enumerate(msgs):
        raw = m.raw
        v = W.find_one(m.m["payloads"], W.P_V)
        spots = []
        if v is not None:
            spots.append(("MAC", v["mac_off"] + v["mac_len"] - 1))
            spots.append(("middle", len(raw) // 2))
        else:   # unauthenticated (Error message without V): only its HDR fields can be checked
            spots.append(("HDR CSB ID", 7))
            spots.append(("HDR data type", 1))
        for what, off in spots:
            n += 1
            t = copy.deepcopy(dump)
            b = bytearray(raw)
            b[off] ^= 0x01
            t["messages"][i]["hex"] = b.hex()
            code, tm = run(t, quiet=True, out=lambda s: None)
            first = next((x for x in tm if x.fails), None)
            named = code != 0 and first is not None and first.index == i
            if not named:
                bad += 1
                print(f"FAIL  tamper #{i} {m.name} {what} (byte {off}): " +
                      ("accepted" if code == 0 else f"first failure at #{first.index if first else '?'}"))
            else:
                print(f"OK    tamper #{i} {m.name} {what} (byte {off}): rejected: {first.fails[0]}")
    print(f"selftest: {n - bad} of {n} tampers rejected naming the tampered message")
    return 0 if bad == 0 else 1


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    opts = [a for a in argv[1:] if a.startswith("--")]
    demo_output = None
    if "--demo-output" in opts:
        i = argv.index("--demo-output")
        demo_output = pathlib.Path(argv[i + 1]).read_text()
        args.remove(argv[i + 1])
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    dump = json.loads(pathlib.Path(args[0]).read_text())
    if "--selftest" in opts:
        return selftest(dump)
    code, _ = run(dump, quiet="--quiet" in opts, iv_t_initial="--iv-t=initial" in opts, demo_output=demo_output,
                  strict="--strict" in opts)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
