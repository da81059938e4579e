#!/usr/bin/env python3
"""Independent reference values for the mikey-ticket crypto layer.

Written from the RFC texts only (RFC 3830 §4.1.2-§4.1.4, §4.2.3; RFC 6043
§5.1.1-§5.1.3, §6.1, §6.10, App. A.2; RFC 3394 §2.2), sharing no code with
the C++ library: HMAC from Python's hmac/hashlib, AES from the `cryptography`
package (ECB for the RFC 3394 loop, CTR for AES-CM).

Usage:
  crypto_vectors.py                 print the vector file to stdout
  crypto_vectors.py --write FILE    write it
  crypto_vectors.py --check FILE    exit 1 if FILE differs from what this script produces

Record format (one per line): `<kind> name=hex-or-decimal ...`; `-` is an
empty byte string.
"""
import hashlib
import hmac
import struct
import sys

try:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError:  # the AES records need it; meson treats exit 77 as "skipped"
    print("crypto_vectors.py: Python package 'cryptography' missing", file=sys.stderr)
    sys.exit(77)

# ---------------------------------------------------------------- the PRFs

PRFS = {
    0: (hashlib.sha1, 160),    # MIKEY-1, RFC 3830 §4.1.2
    1: (hashlib.sha256, 256),  # PRF-HMAC-SHA-256, RFC 6043 §6.1
}


def p_function(hashfn, s, label, m):
    """RFC 3830 §4.1.2: P(s, label, m) = HMAC(s, A_1||label) || ... ; A_0 = label."""
    out = b""
    a = label
    for _ in range(m):
        a = hmac.new(s, a, hashfn).digest()
        out += hmac.new(s, a + label, hashfn).digest()
    return out


def prf(func, inkey, label, outkey_bytes):
    hashfn, block_bits = PRFS[func]
    inkey_bits = 8 * len(inkey)
    n = -(-inkey_bits // 256)                 # ceil(inkey_len / 256)
    m = -(-(8 * outkey_bytes) // block_bits)  # ceil(outkey_len / 160 or 256)
    pieces = [inkey[32 * i:32 * (i + 1)] for i in range(n)]
    acc = bytes(m * block_bits // 8)
    for s in pieces:
        p = p_function(hashfn, s, label, m)
        acc = bytes(x ^ y for x, y in zip(acc, p))
    return acc[:outkey_bytes]


# ------------------------------------------------------------ the constants

C_TEK, C_TGK_AUTH, C_TGK_ENCR, C_TGK_SALT = 0x2AD01C64, 0x1B5C7973, 0x15798CEF, 0x39A2C14B  # RFC 3830 T. 4.1.3
C_ENCR, C_AUTH, C_SALT = 0x150533E1, 0x2D22AC75, 0x29B88916                                  # RFC 3830 T. 4.1.4
C_MPKR_FORK, C_TGK_FORK = 0x2B288856, 0x1512B54A                                             # RFC 6043 T. 5.1
C_MPKI, C_MPKR = 0x220E99A2, 0x1F4D675B                                                      # RFC 6043 T. A.1

MSG = {"encr": C_ENCR, "auth": C_AUTH, "salt": C_SALT}
TGK = {"tek": C_TEK, "auth": C_TGK_AUTH, "encr": C_TGK_ENCR, "salt": C_TGK_SALT}


def u32(v):
    return struct.pack(">I", v)


# ---------------------------------------------------------------- the labels

def label_3830_tgk(const, cs_id, csb_id, rand):       # RFC 3830 §4.1.3
    return u32(const) + bytes([cs_id]) + u32(csb_id) + rand


def label_3830_msg(const, csb_id, rand):              # RFC 3830 §4.1.4
    return u32(const) + b"\xff" + u32(csb_id) + rand


def label_d12(const, csb_id, direction, ri, rr):      # RFC 6043 §5.1.2
    return u32(const) + b"\xff" + u32(csb_id) + bytes([direction, len(ri)]) + ri + bytes([len(rr)]) + rr


def label_d3(const, id_data, rkms):                   # RFC 6043 §5.1.1
    return u32(const) + b"\xff" + b"\xff" * 4 + b"\x00" + struct.pack(">H", len(id_data)) + id_data + bytes([len(rkms)]) + rkms


def label_d4(const, cs_id, ri, rr):                   # RFC 6043 §5.1.3
    return u32(const) + bytes([cs_id]) + b"\xff" * 4 + b"\x03" + bytes([len(ri)]) + ri + bytes([len(rr)]) + rr


def label_d5(const):                                  # RFC 6043 §6.10
    return u32(const) + b"\xff" + b"\xff" * 4 + b"\x04"


def label_d67(const, purpose, rand):                  # RFC 6043 App. A.2.1 (0x05), A.2.2 (0x06)
    return u32(const) + b"\xff" + b"\xff" * 4 + bytes([purpose, len(rand)]) + rand


# ------------------------------------------------------------ AES-CM, AES-KW

def aes_cm(key, salt14, csb_id, t64, data):
    """RFC 3830 §4.2.3: IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000, AES-CTR (RFC 3711)."""
    x = b"\x00\x00" + u32(csb_id) + struct.pack(">Q", t64)
    iv = bytes(a ^ b for a, b in zip(salt14, x)) + b"\x00\x00"
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return iv, enc.update(data) + enc.finalize()


def aes_kw(kek, iv8, plain):
    """RFC 3394 §2.2.1 with a caller IV (RFC 3830 §4.2.3: IV = 64-bit salt)."""
    ecb = Cipher(algorithms.AES(kek), modes.ECB()).encryptor()
    n = len(plain) // 8
    a = iv8
    r = [plain[8 * i:8 * i + 8] for i in range(n)]
    for j in range(6):
        for i in range(n):
            b = ecb.update(a + r[i])
            t = n * j + i + 1
            a = bytes(x ^ y for x, y in zip(b[:8], struct.pack(">Q", t)))
            r[i] = b[8:]
    return a + b"".join(r)


# ------------------------------------------------------- deterministic inputs

def det(tag, n):
    """n bytes derived from a tag, so the file is reproducible."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{tag}/{i}".encode()).digest()
        i += 1
    return out[:n]


def hx(b):
    return b.hex() if b else "-"


def records():
    lines = []
    add = lines.append

    # RFC 3830 digest §4.4 reference inputs (the digest's own values are
    # re-derived here, not copied).
    tgk = bytes(range(16))
    rand = bytes(range(0xA0, 0xB0))
    psk = bytes(range(0x20, 0x34))

    # PRF: inkeys of 16, 20, 31, 32 (one piece), 44, 64 (two pieces), 100
    # (four pieces: > 256 bits), outkeys inside one block and over several.
    for func in (0, 1):
        for inlen in (16, 20, 31, 32, 44, 64, 100):
            for outlen in (14, 16, 20, 32, 33, 48, 64, 100):
                ik = det(f"prf-in-{inlen}", inlen)
                lab = det(f"prf-label-{inlen}-{outlen}", 9 + (outlen % 17))
                add(f"prf func={func} inkey={hx(ik)} label={hx(lab)} out={hx(prf(func, ik, lab, outlen))}")

    # RFC 3830 §4.1.3 / §4.1.4 (with the digest's inputs and more)
    for func in (0, 1):
        for kind, const in TGK.items():
            for outlen in (14, 16, 30, 32):
                out = prf(func, tgk, label_3830_tgk(const, 1, 0x12345678, rand), outlen)
                add(f"tgk_key prf={func} inkey={hx(tgk)} key={kind} cs={1} csb={0x12345678} rand={hx(rand)} out={hx(out)}")
        for kind, const in MSG.items():
            for outlen in (8, 14, 16, 20, 32):
                out = prf(func, psk, label_3830_msg(const, 0x12345678, rand), outlen)
                add(f"msg_key prf={func} inkey={hx(psk)} key={kind} csb={0x12345678} rand={hx(rand)} out={hx(out)}")

    # D1 / D2
    ri = det("randri", 16)
    rr = det("randrr", 32)
    for func in (0, 1):
        for direction, kind_name in ((1, "d1"), (2, "d2")):
            for inlen in (16, 32, 48):
                ik = det(f"mpk-{inlen}", inlen)
                for kind, const in MSG.items():
                    for (a, b) in ((ri, b""), (b"", rr), (ri, rr)):
                        outlen = {"encr": 16 if func == 0 else 32, "auth": 20 if func == 0 else 32, "salt": 14}[kind]
                        out = prf(func, ik, label_d12(const, 0xCAFEBABE, direction, a, b), outlen)
                        add(f"{kind_name} prf={func} inkey={hx(ik)} key={kind} csb={0xCAFEBABE} randri={hx(a)} randrr={hx(b)} out={hx(out)}")

    # D3
    idd = b"sip:user1@example.com"
    long_id = det("long-id", 300)  # ID Data length uses both bytes of the 16-bit field
    rkms = det("randrkms", 32)
    for func in (0, 1):
        for inlen in (16, 32, 40):
            ik = det(f"fork-{inlen}", inlen)
            for which, const in (("mpkr", C_MPKR_FORK), ("tgk", C_TGK_FORK)):
                for ident in (idd, long_id):
                    out = prf(func, ik, label_d3(const, ident, rkms), inlen)
                    add(f"d3 prf={func} inkey={hx(ik)} key={which} id={hx(ident)} randrkms={hx(rkms)} out={hx(out)}")

    # D4, all H/G combinations that are allowed
    for func in (0, 1):
        for inlen in (16, 32):
            ik = det(f"tgk-{inlen}", inlen)
            for kind, const in TGK.items():
                for h, g in ((1, 0), (0, 1), (1, 1)):
                    a = ri if h else b""
                    b = rr if g else b""
                    outlen = 14 if kind == "salt" else inlen
                    out = prf(func, ik, label_d4(const, 3, a, b), outlen)
                    add(f"d4 prf={func} inkey={hx(ik)} key={kind} cs=3 h={h} g={g} randri={hx(ri)} randrr={hx(rr)} out={hx(out)}")

    # D5
    for func in (0, 1):
        for inlen in (16, 32):
            ik = det(f"mpkr-{inlen}", inlen)
            for kind, const in MSG.items():
                outlen = 20 if func == 0 else 32
                add(f"d5 prf={func} inkey={hx(ik)} key={kind} out={hx(prf(func, ik, label_d5(const), outlen))}")

    # D6, D7
    trand = det("ticket-rand", 32)
    for func in (0, 1):
        for inlen in (16, 32):
            ik = det(f"tpk-{inlen}", inlen)
            for kind, const in MSG.items():
                for outlen in (14, 16, 20, 32):
                    out = prf(func, ik, label_d67(const, 0x05, trand), outlen)
                    add(f"d6 prf={func} inkey={hx(ik)} key={kind} rand={hx(trand)} out={hx(out)}")
            mpk = det(f"mpk7-{inlen}", inlen)
            for which, const in (("mpki", C_MPKI), ("mpkr", C_MPKR)):
                out = prf(func, mpk, label_d67(const, 0x06, trand), inlen)
                add(f"d7 prf={func} inkey={hx(mpk)} key={which} rand={hx(trand)} out={hx(out)}")

    # KEMAC AES-CM with the digest's inputs: keys from the PSK above
    # (MIKEY-1), T from the digest, one TGK key-data sub-payload.
    encr = prf(0, psk, label_3830_msg(C_ENCR, 0x12345678, rand), 16)
    salt = prf(0, psk, label_3830_msg(C_SALT, 0x12345678, rand), 14)
    plain = bytes.fromhex("00000010") + tgk
    iv, ct = aes_cm(encr, salt, 0x12345678, 0xEBF99D4CB05EA24C, plain)
    add(f"aes_cm key={hx(encr)} salt={hx(salt)} csb={0x12345678} t={0xEBF99D4CB05EA24C} iv={hx(iv)} plain={hx(plain)} out={hx(ct)}")
    for keylen in (16, 32):
        k = det(f"cm-key-{keylen}", keylen)
        s = det("cm-salt", 14)
        p = det("cm-plain", 70)
        iv, ct = aes_cm(k, s, 0xFFFFFFFF, 0xE0000001 << 32, p)
        add(f"aes_cm key={hx(k)} salt={hx(s)} csb={0xFFFFFFFF} t={0xE0000001 << 32} iv={hx(iv)} plain={hx(p)} out={hx(ct)}")

    # AES-KW-128 with the derived 64-bit salt as IV
    for plen in (16, 24, 40):
        k = det("kw-key", 16)
        s = det("kw-salt", 8)
        p = det(f"kw-plain-{plen}", plen)
        add(f"aes_kw key={hx(k)} iv={hx(s)} plain={hx(p)} out={hx(aes_kw(k, s, p))}")
    # and the RFC 3394 §4.1 vector through the same loop (default IV), as a self-check of this script
    assert aes_kw(bytes.fromhex("000102030405060708090A0B0C0D0E0F"), bytes.fromhex("A6A6A6A6A6A6A6A6"),
                  bytes.fromhex("00112233445566778899AABBCCDDEEFF")).hex().upper() == \
        "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"
    return lines


HEADER = """# mikey-ticket crypto reference vectors.
# Generated by tests/vectors/crypto_vectors.py: an independent Python
# implementation (hmac/hashlib, `cryptography` AES) written from RFC 3830
# §4.1-§4.2, RFC 6043 §5.1, §6.1, §6.10, App. A.2 and RFC 3394 §2.2; it shares
# no code with the library. Regenerate: python3 tests/vectors/crypto_vectors.py --write tests/data/crypto_vectors.vec
"""


def render():
    return HEADER + "\n".join(records()) + "\n"


def main(argv):
    text = render()
    if len(argv) == 3 and argv[1] == "--write":
        with open(argv[2], "w") as f:
            f.write(text)
        return 0
    if len(argv) == 3 and argv[1] == "--check":
        with open(argv[2]) as f:
            same = f.read() == text
        if not same:
            print(f"{argv[2]} differs from the generator's output", file=sys.stderr)
        return 0 if same else 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
