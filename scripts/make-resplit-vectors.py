#!/usr/bin/env python3
"""Writes conformance/vectors/ksher/canonical-resplit.json: Ksher answers signed with the mock
gateway key by the OpenSSL command line (independent of payspec), each a validly signed `data`
whose canonical string can be re-split (rule K4 of the vectors' README), next to the original
answers it was derived from. Deterministic (PKCS#1 v1.5 signatures are)."""
import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
V = ROOT / "conformance" / "vectors"
KEY = V / "keys" / "ksher-gateway-mock-1024.pkcs1.pem"


def render(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def canonical(data):
    return "".join("%s=%s" % (k, render(data[k])) for k in sorted(data, key=lambda k: k.encode()))


def sign(text):
    out = subprocess.run(["openssl", "dgst", "-md5", "-sign", str(KEY)], input=text.encode(),
                         capture_output=True, check=True).stdout
    return out.hex()


def body(data):
    return json.dumps({"code": 0, "data": data, "msg": "ok", "sign": sign(canonical(data)),
                       "status_code": "", "status_msg": "", "time_stamp": "2024-03-15T10:00:00+08:00",
                       "version": "3.0.0"}, separators=(",", ":"), ensure_ascii=False)


BASE = {"appid": "mch35005", "channel": "wechat", "channel_order_no": "4200001",
        "mch_order_no": "A1", "rate": "0.205100", "result": "SUCCESS", "total_fee": 100}


def case(id, note, data, expect, flags):
    return {"id": id, "source": "scripts/make-resplit-vectors.py (openssl dgst -md5 -sign)",
            "operation": "order_query", "public_key": "keys/ksher-gateway-mock-1024.pub.pem",
            "body": body(data), "string_to_verify": canonical(data), "expect": expect,
            "flags": flags, "note": note}


def main():
    cases = []
    cases.append(case("resplit-original", "The answer the re-splits below are derived from.",
                      dict(BASE), "accept", []))
    forged = dict(BASE)
    del forged["channel_order_no"]
    forged["channel"] = "wechatchannel_order_no=4200001"
    cases.append(case("resplit-channel-swallows-channel_order_no",
                      "`channel` swallows `channel_order_no=4200001`: same canonical string as the original.",
                      forged, "reject", ["CanonicalResplit"]))
    forged = dict(BASE)
    del forged["result"]
    del forged["total_fee"]
    forged["rate"] = "0.205100result=SUCCESStotal_fee=100"
    cases.append(case("resplit-rate-swallows-result-and-total_fee",
                      "`rate` swallows `result=SUCCESS` and `total_fee=100`.",
                      forged, "reject", ["CanonicalResplit"]))
    loose = dict(BASE)
    loose["total_fee"] = "100"
    cases.append(case("resplit-string-number-looseness",
                      "`\"100\"` for `100` renders the same string; real answers mix both, so it is accepted.",
                      loose, "accept", []))
    url = dict(BASE)
    url["attach"] = "https://shop.example/back?result=SUCCESS"
    cases.append(case("resplit-equals-in-value-not-ambiguous",
                      "`attach` holds `result=` but `result` is present: no member can hide there.",
                      url, "accept", []))
    assert cases[0]["string_to_verify"] == cases[1]["string_to_verify"] == cases[2]["string_to_verify"]
    doc = {"scheme": "ksher-rsa-md5-hex",
           "description": "Rule K4: validly signed answers whose canonical string can be re-split into other members; the typed verifier refuses them.",
           "cases": cases}
    (V / "ksher" / "canonical-resplit.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
