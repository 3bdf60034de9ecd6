#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/seed-*) from the golden
vectors, the specs and the bad-spec cases. Deterministic: re-running it changes nothing. Inputs
that a fuzzing run saves (other names) are kept."""
import hashlib
import json
import pathlib
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
V = ROOT / "conformance" / "vectors"
OUT = ROOT / "fuzz" / "corpus"

KSHER_VERIFY = ["order_query", "refund_query", "merchant_info", "get_settlement_info",
                "gateway_order_query", "native_pay"]
MOCK_FORM = ["native_pay", "order_refund", "order_query", "gateway_pay", "payout"]
CLI = ["native_pay", "order_refund", "gateway_pay", "merchant_info", "pay", "refund",
       "inquiryPayment"]


def write(target, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    name = "seed-" + hashlib.sha256(data).hexdigest()[:16]
    (d / name).write_bytes(data)


def selector(names, op):
    return bytes([names.index(op) if op in names else 0])


def main():
    for path in sorted((ROOT / "spec").glob("*.yaml")) + sorted(
        (ROOT / "conformance" / "fixtures").glob("*.yaml")
    ) + sorted((ROOT / "codegen" / "tests" / "bad_specs").glob("*.yaml"))[:40]:
        write("spec_loader", path.read_bytes())

    for case in json.loads((V / "ksher" / "response-verification.json").read_text())["cases"]:
        write("ksher_verify", selector(KSHER_VERIFY, case["operation"]) + case["body"].encode())

    for case in json.loads((V / "alipayplus" / "response-verification.json").read_text())["cases"]:
        text = "%s\n%s\n" % (case.get("signature_header") or "", case.get("time") or "")
        write("alipayplus_verify", text.encode() + case["body"].encode())

    for case in json.loads((V / "ksher" / "request-signing.json").read_text())["cases"]:
        params = {k: str(v) for k, v in case["params"].items()}
        op = case.get("operation")
        form = urllib.parse.urlencode(list(params.items()) + [("sign", case["sign"])])
        write("mock_form", selector(MOCK_FORM, op) + form.encode())
        if op:
            write("cli_params", selector(CLI, op) + json.dumps(case["params"]).encode())

    for case in json.loads((V / "alipayplus" / "request-signing.json").read_text())["cases"]:
        op = case.get("operation")
        if op:
            write("cli_params", selector(CLI, op) + case["body"].encode())

    # The attacks of issue 9, kept as regressions.
    deep = '{"code":0,"data":{"x":%s1%s},"sign":""}' % ("[" * 50000, "]" * 50000)
    write("ksher_verify", b"\x00" + deep.encode())
    many = ",".join("x%d=1" % i for i in range(20000)) + ",signature=q%2B%2Fw"
    write("alipayplus_verify", many.encode() + b"\n2024-01-01T12:00:00+08:00\n{}")


if __name__ == "__main__":
    main()
