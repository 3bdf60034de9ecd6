#!/usr/bin/env python3
"""Writes this project's own Ksher vectors, signed with the mock gateway key by the OpenSSL
command line (independent of payspec). Deterministic (PKCS#1 v1.5 signatures are).

* conformance/vectors/ksher/canonical-resplit.json: validly signed `data` whose canonical string
  can be re-split (rule K4 of the vectors' README), next to the original it was derived from.
* conformance/vectors/ksher/envelope-negatives.json: a valid signature over `data` in an envelope
  that rule K1 refuses (`code` missing or the string "0", `sign` of odd length or not hex)."""
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


def body(data, code=0, sign_text=None, drop_code=False):
    doc = {"code": code, "data": data, "msg": "ok",
           "sign": sign(canonical(data)) if sign_text is None else sign_text,
                       "status_code": "", "status_msg": "", "time_stamp": "2024-03-15T10:00:00+08:00",
                       "version": "3.0.0"}
    if drop_code:
        del doc["code"]
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


BASE = {"appid": "mch35005", "channel": "wechat", "channel_order_no": "4200001",
        "mch_order_no": "A1", "rate": "0.205100", "result": "SUCCESS", "total_fee": 100}


def case(id, note, data, expect, flags, text=None):
    return {"id": id, "source": "scripts/make-project-vectors.py (openssl dgst -md5 -sign)",
            "operation": "order_query", "public_key": "keys/ksher-gateway-mock-1024.pub.pem",
            "body": body(data) if text is None else text, "string_to_verify": canonical(data),
            "expect": expect, "flags": flags, "note": note}


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

    good = sign(canonical(BASE))
    negatives = [
        case("env-code-integer-zero", "Control: the same data and signature with `code` 0.",
             dict(BASE), "accept", ["MockGateway"]),
        case("neg-env-code-missing", "Valid signature over `data`, no `code`: rule K1 rejects.",
             dict(BASE), "reject", ["MockGateway", "CodeMissing", "ProjectRule"],
             body(dict(BASE), drop_code=True)),
        case("neg-env-code-string-zero", "Valid signature over `data`, `code` is the string \"0\": rule K1 rejects.",
             dict(BASE), "reject", ["MockGateway", "CodeNotInteger", "ProjectRule"],
             body(dict(BASE), code="0")),
        case("neg-env-sign-odd-length", "The valid signature minus its last hex digit (odd length).",
             dict(BASE), "reject", ["MockGateway", "MalformedSign"],
             body(dict(BASE), sign_text=good[:-1])),
        case("neg-env-sign-not-hex", "The valid signature with its first two digits replaced by `zz`.",
             dict(BASE), "reject", ["MockGateway", "MalformedSign"],
             body(dict(BASE), sign_text="zz" + good[2:])),
    ]
    doc = {"scheme": "ksher-rsa-md5-hex",
           "description": "Rule K1: envelopes refused although the signature over `data` is valid; and a control.",
           "cases": negatives}
    (V / "ksher" / "envelope-negatives.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
