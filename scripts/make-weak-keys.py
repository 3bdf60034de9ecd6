#!/usr/bin/env python3
"""Writes the must-fail RSA keys of conformance/vectors/keys/weak/ (issue 9, defect 2).

Each key is a syntactically valid PEM that a careless loader accepts; payspec must refuse every
one of them on load, with both RSA backends. The moduli are derived from the committed test key
ksher-gateway-mock-1024.pub.pkcs1.pem, and the private keys' primes come from a seeded generator,
so the files are reproducible: run this script, and git shows no change. Only the Python standard
library is used (plain DER encoding)."""
import base64
import math
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEYS = ROOT / "conformance" / "vectors" / "keys"
OUT = KEYS / "weak"


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")  # leading 0 keeps it positive
    return der(0x02, b)


def rsa_public_key(n, e):
    return der(0x30, der_int(n) + der_int(e))


def spki(n, e):
    alg = der(0x30, bytes.fromhex("06092a864886f70d010101") + b"\x05\x00")
    return der(0x30, alg + der(0x03, b"\x00" + rsa_public_key(n, e)))


def rsa_private_key(p, q, e):
    """PKCS#1 RSAPrivateKey of a consistent key: d, the CRT exponents and coefficient are real."""
    n = p * q
    d = pow(e, -1, (p - 1) * (q - 1))
    fields = [0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p)]
    return der(0x30, b"".join(der_int(v) for v in fields))


def pkcs8(pkcs1):
    alg = der(0x30, bytes.fromhex("06092a864886f70d010101") + b"\x05\x00")
    return der(0x30, der_int(0) + alg + der(0x04, pkcs1))


def is_probable_prime(n, rng):
    if n < 4:
        return n in (2, 3)
    if n % 2 == 0:
        return False
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(40):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def prime(bits, e, rng):
    """A prime of exactly `bits` bits with gcd(p - 1, e) = 1."""
    while True:
        p = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
        if math.gcd(p - 1, e) == 1 and is_probable_prime(p, rng):
            return p


def private_pair(bits, e, rng):
    while True:
        p, q = prime(bits // 2, e, rng), prime(bits // 2, e, rng)
        if p != q and (p * q).bit_length() == bits:
            return rsa_private_key(max(p, q), min(p, q), e)


def pem(label, body):
    text = base64.b64encode(body).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def read_der(path):
    text = path.read_text()
    body = "".join(l for l in text.splitlines() if not l.startswith("-----"))
    return base64.b64decode(body)


def parse_int(buf, pos):
    assert buf[pos] == 0x02
    pos += 1
    length = buf[pos]
    pos += 1
    if length & 0x80:
        k = length & 0x7F
        length = int.from_bytes(buf[pos : pos + k], "big")
        pos += k
    return int.from_bytes(buf[pos : pos + length], "big"), pos + length


def modulus_of(pkcs1_pub_path):
    buf = read_der(pkcs1_pub_path)
    # SEQUENCE header, then INTEGER n, INTEGER e
    pos = 2 if buf[1] < 0x80 else 2 + (buf[1] & 0x7F)
    n, pos = parse_int(buf, pos)
    e, _ = parse_int(buf, pos)
    return n, e


def main():
    n, e = modulus_of(KEYS / "ksher-gateway-mock-1024.pub.pkcs1.pem")
    assert e == 65537 and n % 2 == 1
    rng = random.Random(9)
    huge = rng.getrandbits(100_000) | (1 << 99_999) | 1
    cases = {
        "e1.pub.pem": pem("PUBLIC KEY", spki(n, 1)),
        "e2.pub.pem": pem("PUBLIC KEY", spki(n, 2)),
        "e-even.pub.pem": pem("PUBLIC KEY", spki(n, 65536)),
        "e-huge.pub.pem": pem("PUBLIC KEY", spki(n, (1 << 64) + 1)),
        "n-even.pub.pem": pem("PUBLIC KEY", spki(n - 1, 65537)),
        "n-zero.pub.pem": pem("PUBLIC KEY", spki(0, 65537)),
        "n-one.pub.pem": pem("PUBLIC KEY", spki(1, 65537)),
        "n-256bit.pub.pem": pem("PUBLIC KEY", spki(n >> 768 | 1, 65537)),
        "n-8192bit.pub.pem": pem("PUBLIC KEY", spki(huge >> (100_000 - 8192), 65537)),
        "n-100000bit.pub.pem": pem("PUBLIC KEY", spki(huge, 65537)),
        "e1.pub.pkcs1.pem": pem("RSA PUBLIC KEY", rsa_public_key(n, 1)),
        "two-blocks.pub.pem": pem("PUBLIC KEY", spki(n, 65537)) + pem("PUBLIC KEY", spki(n, 3)),
    }
    # Private keys the backends load on their own: each is consistent (d, CRT values real), so
    # only payspec's rules refuse them, in both the PKCS#1 and the PKCS#8 wrapping.
    keys = random.Random(10)
    small = private_pair(256, 65537, keys)
    big_e = private_pair(1024, (1 << 33) + 1, keys)
    cases["n-256bit.pkcs1.pem"] = pem("RSA PRIVATE KEY", small)
    cases["n-256bit.pkcs8.pem"] = pem("PRIVATE KEY", pkcs8(small))
    cases["e-over-max.pkcs1.pem"] = pem("RSA PRIVATE KEY", big_e)
    cases["e-over-max.pkcs8.pem"] = pem("PRIVATE KEY", pkcs8(big_e))
    OUT.mkdir(exist_ok=True)
    for name, text in cases.items():
        (OUT / name).write_text(text)


if __name__ == "__main__":
    main()
