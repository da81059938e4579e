#!/usr/bin/env python3
"""Independent known answers for conference event package NOTIFY protection
(include/mikey/conference/non_media.hpp: notify_sealer / notify_opener).

Written from the construction documented in non_media.hpp and
notes/conference.md ("Non-media keys"), with Python's `cryptography`
(AESGCM, RFC 5116 AEAD_AES_128_GCM / AEAD_AES_256_GCM); it shares no code
with the C++ library, which uses Botan's C FFI:
  * key   = the crypto session's TEK (16 or 32 bytes)
  * nonce = salt[0:12] XOR (0x00000000 || seq as 8 bytes big-endian)
            (the shape of RFC 7714 §8.1's IV)
  * AAD   = u16 len || conference URI || u16 len || content type || u64 seq
            (big-endian)
  * wire  = seq (8 bytes big-endian) || ciphertext || 16-byte tag

Usage:
  event_package_vector.py                print the vectors (name = hex)
  event_package_vector.py --check FILE   exit 1 unless every protected-body
                                         hex string below appears verbatim in
                                         FILE (tests/conference_non_media.cpp,
                                         which holds them as literals)
"""
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CONFERENCE_INFO = "application/conference-info+xml"  # RFC 4575 §4

BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" '
        b'entity="sip:conf-4711@focus.example.com" state="full" version="1"/>\n')

# name: (TEK hex, salt hex (14 bytes, D4's salt key length), seq, URI, content type, body)
VECTORS = {
    "v1_aes128": ("6f1b2a9c3d4e5f60718293a4b5c6d7e8", "0f1e2d3c4b5a69788796a5b4c3d2",
                  0x0000000100000002, "sip:conf-4711@focus.example.com", CONFERENCE_INFO, BODY),
    "v2_aes256": ("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf",
                  "fedcba98765432100123456789ab", 0xFFFFFFFFFFFFFFFE,
                  "sip:conf-4711@focus.example.com", CONFERENCE_INFO, BODY),
    "v3_aes128_empty": ("000102030405060708090a0b0c0d0e0f", "101112131415161718191a1b1c1d",
                        0, "sips:c@x", "text/plain", b""),
}


def nonce(salt: bytes, seq: int) -> bytes:
    return bytes(a ^ b for a, b in zip(salt[:12], b"\x00" * 4 + seq.to_bytes(8, "big")))


def aad(uri: str, ctype: str, seq: int) -> bytes:
    u = uri.encode()
    c = ctype.encode()
    return len(u).to_bytes(2, "big") + u + len(c).to_bytes(2, "big") + c + seq.to_bytes(8, "big")


def protect(tek_hex, salt_hex, seq, uri, ctype, body) -> bytes:
    key = bytes.fromhex(tek_hex)
    salt = bytes.fromhex(salt_hex)
    return seq.to_bytes(8, "big") + AESGCM(key).encrypt(nonce(salt, seq), body, aad(uri, ctype, seq))


def main(argv):
    out = {name: protect(*v).hex() for name, v in VECTORS.items()}
    if len(argv) == 3 and argv[1] == "--check":
        with open(argv[2], encoding="utf-8") as f:
            text = f.read()
        missing = [name for name, h in out.items() if h not in text]
        for name in missing:
            print(f"{name}: {out[name]} not found in {argv[2]}", file=sys.stderr)
        return 1 if missing else 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    for name, h in out.items():
        print(f"{name} = {h}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
