#!/usr/bin/env python3
"""Writes conformance/fixtures/vectors.json: expected bytes for the fixture crates, made here from
the normative rules (conformance/vectors/README.md) and signed with the OpenSSL command line, not
by the code under test. `conformance/tests/fixtures_run.rs` signs and verifies the same messages
through each generated fixture crate and compares. Deterministic."""
import base64
import json
import pathlib
import subprocess
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEYS = ROOT / "conformance" / "vectors" / "keys"


def rsa_sign(digest, key, text):
    return subprocess.run(["openssl", "dgst", "-" + digest, "-sign", str(KEYS / key)],
                          input=text.encode(), capture_output=True, check=True).stdout


def sorted_string(params):
    return "".join("%s=%s" % (k, params[k]) for k in sorted(params, key=lambda k: k.encode()))


def header(sig, key_version):
    encoded = urllib.parse.quote(base64.b64encode(sig).decode(), safe="")
    return "algorithm=RSA256,keyVersion=%d,signature=%s" % (key_version, encoded)


def data_doc(data, text, key):
    sign = rsa_sign("md5", key, text).hex()
    return json.dumps({"code": 0, "data": data, "msg": "ok", "sign": sign}, separators=(",", ":"))


def main():
    out = {}
    # enums: sorted-params, MD5, config appid + nonce; open/closed enums, outcome labels.
    p = {"appid": "mch1", "nonce_str": "n1", "wallet": "alpha_pay", "layout": "PC"}
    s = sorted_string(p)
    data = {"status": "OK", "wallet": "beta"}
    out["enums"] = {
        "params": p, "string_to_sign": s,
        "sign": rsa_sign("md5", "ksher-merchant-1024.pkcs1.pem", s).hex(),
        "response": data_doc(data, sorted_string(data), "ksher-gateway-mock-1024.pkcs1.pem"),
    }
    # groups: sorted-params, SHA-256, clock time_stamp yyyyMMddHHmmss.
    p = {"appid": "mch1", "time_stamp": "20240101120000", "order_no": "O1", "kind": "BANK",
         "bank_code": "B1", "amount": "100"}
    s = sorted_string(p)
    out["groups"] = {"params": p, "string_to_sign": s,
                     "sign": rsa_sign("sha256", "ksher-merchant-1024.pkcs1.pem", s).hex()}
    # subsets: only `id` and `mobile` of `data` are signed; the shipped key is not used here.
    data = {"id": "1", "mobile": "0812", "lines": [{"name": "a", "fee": 1}], "extra": {"x": 1}}
    out["subsets"] = {
        "response": data_doc(data, "id=1mobile=0812", "ksher-gateway-mock-1024.pkcs1.pem"),
        "string_to_verify": "id=1mobile=0812",
    }
    # headers: header-rsa, epoch-ms Request-Time, keyVersion 2, 120 s notification tolerance.
    t = "1704067200000"  # 2024-01-01T00:00:00Z
    body = '{"id":"p-1"}'
    content = "POST /v1/ping\nC1.%s.%s" % (t, body)
    note_body = '{"id":"p-1","outcome":{"state":"DONE"}}'
    note_content = "POST /hook\nC1.%s.%s" % (t, note_body)
    out["headers"] = {
        "client_id": "C1", "request_time": t, "body": body, "content_to_sign": content,
        "header": header(rsa_sign("sha256", "alipayplus-merchant-2048.pkcs8.pem", content), 2),
        "notification": {"path": "/hook", "body": note_body, "request_time": t,
                         "header": header(rsa_sign("sha256", "alipayplus-gateway-mock-2048.pkcs8.pem", note_content), 2)},
    }
    # nested: header-rsa, ISO 8601 Request-Time, default keyVersion 1, scalars as strings.
    t = "2024-01-01T12:00:00+08:00"
    body = '{"orderId":"O1","amount":{"currency":"USD","value":"100"}}'
    content = "POST /v1/order\nC1.%s.%s" % (t, body)
    out["nested"] = {
        "client_id": "C1", "request_time": t, "body": body, "content_to_sign": content,
        "header": header(rsa_sign("sha256", "alipayplus-merchant-2048.pkcs8.pem", content), 1),
    }
    path = ROOT / "conformance" / "fixtures" / "vectors.json"
    path.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
