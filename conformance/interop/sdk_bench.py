#!/usr/bin/env python3
"""Times the official SDK code paths on the inputs of `cargo run --release --example
sdk_side_by_side` (the same vectors and keys), for scripts/bench-vs-sdks.sh.

* Alipay+: ``signature_tool.sign`` and ``signature_tool.verify`` of PyPI global-open-sdk-python
  (the version pinned in requirements.txt), called exactly as the SDK's client calls them.
* Ksher: the official Ksher SDKs are not on a package registry (the PyPI package ``ksher`` 1.0.2
  ships no code), so the code path of the official Python SDK (github.com/ksher-api/ksher-sdk,
  python/ksher_pay_sdk.py, ``__ksher_sign`` / ``__verify_ksher_sign``: sort the ``k=v`` strings,
  join, read the PEM key file, ``rsa.PrivateKey.load_pkcs1`` / ``rsa.PublicKey.load_pkcs1``,
  ``rsa.sign(..., 'MD5')`` / ``rsa.verify``, hex) runs here with the library that SDK uses
  (PyPI ``rsa``, pinned in requirements.txt). The strings it signs and verifies are checked
  against the vectors first.

Input: none (reads conformance/vectors). Output (stdout): JSON ``{"<operation>": {"sdk": ...,
"us_per_op": ...}}``. Each figure is the median of 7 batches, each at least 0.2 s long.
"""

import json
import pathlib
import statistics
import sys
import time

from com.alipay.ams.api.tools import signature_tool
import binascii

import rsa

ROOT = pathlib.Path(__file__).resolve().parents[2]
V = ROOT / "conformance" / "vectors"


def key_body(rel):
    lines = (V / rel).read_text().strip().splitlines()
    return "".join(l for l in lines if not l.startswith("-----"))


def case(file, case_id):
    for c in json.loads((V / file).read_text())["cases"]:
        if c["id"] == case_id:
            return c
    sys.exit("sdk_bench.py: no case %s in %s" % (case_id, file))


def timed(fn):
    fn()
    runs = []
    for _ in range(7):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= 0.2:
                break
        runs.append(elapsed / n * 1e6)
    return statistics.median(runs)


def ksher_string(params):
    """The official Python SDK's string: `k=v` strings sorted, joined without separator."""
    return "".join(sorted("%s=%s" % (k, v) for k, v in params.items()))


def main():
    out = {}

    # Alipay+ sign: the mini-program pay of the research vector.
    pay = case("alipayplus/request-signing.json", "research-vector-1-pay-mini-app-iso-time")
    private = key_body(pay["private_key"])
    args = (pay["method"], pay["path"], pay["client_id"], pay["request_time"], pay["body"], private)
    # quote_plus encodes like the vector (`+` `/` `=` percent-encoded).
    assert signature_tool.sign(*args) == pay["signature_urlencoded"]
    out["alipayplus sign pay (2048-bit)"] = {
        "sdk": "global-open-sdk-python signature_tool.sign",
        "us_per_op": timed(lambda: signature_tool.sign(*args)),
    }

    # Alipay+ verify: the pay response of the research vector.
    resp = case("alipayplus/response-verification.json", "research-vector-3-pay-response")
    signature = resp["signature_header"].split("signature=", 1)[1]
    public = key_body(resp["public_key"])
    vargs = (resp["method"], resp["path"], resp["client_id"], resp["time"], resp["body"], signature, public)
    assert signature_tool.verify(*vargs)
    out["alipayplus verify pay response (2048-bit)"] = {
        "sdk": "global-open-sdk-python signature_tool.verify",
        "us_per_op": timed(lambda: signature_tool.verify(*vargs)),
    }

    # Ksher sign: a native_pay request vector, 1024-bit merchant key.
    req = case("ksher/request-signing.json", "native-pay-promptpay")
    params = {k: v for k, v in req["params"].items()}
    string = ksher_string(params)
    assert string == req["string_to_sign"], (string, req["string_to_sign"])
    key_file = V / req["private_key"]

    def ksher_sign():
        # As the SDK does on every call: read and load the key, sign, hex.
        predata = ksher_string(params).encode("utf8")
        with open(key_file) as f:
            keydata = f.read()
        key = rsa.PrivateKey.load_pkcs1(keydata, "PEM")
        return binascii.hexlify(rsa.sign(predata, key, "MD5")).decode()

    assert ksher_sign() == req["sign"]
    out["ksher sign native_pay (1024-bit)"] = {
        "sdk": "Ksher Python SDK code path (PyPI rsa)",
        "us_per_op": timed(ksher_sign),
    }

    # Ksher verify: a real Ksher-signed answer, Ksher's 512-bit key (PKCS#1, as the SDK ships it).
    res = case("ksher/response-verification.json", "real-v11-quick-pay-success")
    public_file = V / res["public_key"]

    def ksher_verify():
        body = json.loads(res["body"])
        data = body["data"]
        predata = "".join(sorted("%s=%s" % (k, data[k]) for k in data.keys())).encode("utf-8")
        with open(public_file) as f:
            public_key = rsa.PublicKey.load_pkcs1(f.read())
        return rsa.verify(predata, binascii.unhexlify(body["sign"]), public_key)

    assert ksher_string(json.loads(res["body"])["data"]) == res["string_to_verify"]
    assert ksher_verify() == "MD5"
    out["ksher verify quick_pay answer (real 512-bit)"] = {
        "sdk": "Ksher Python SDK code path (PyPI rsa)",
        "us_per_op": timed(ksher_verify),
    }
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
