#!/usr/bin/env python3
"""Runs a batch of operations through the official Alipay+/Antom Python SDK (global-open-sdk-python).

Used by conformance/tests/interop_python.rs with the interpreter of .venv/ (scripts/setup-interop.sh).
Every signature is made or checked by the SDK's own code; this script only moves data in and out:

* ``signature_tool.sign`` / ``signature_tool.verify`` (com.alipay.ams.api.tools.signature_tool);
* ``webhook_tool.check_signature`` (notifications);
* ``DefaultAlipayClient.execute``: the SDK's whole client path (request body, Request-Time, Signature
  header, response header parsing and verification). Its transport function ``do_post`` is replaced
  by a stub that records the request and answers with a given response, or forwards the request to
  a local HTTP server (``"forward": "http://127.0.0.1:<port>"``, for a mock gateway; see ``forward``);
  ``get_cur_iso8601_time`` can be fixed. The request is a verbatim body, or built with the SDK's own
  request and model classes (``{"model": ..., "fields": {...}}``, see ``build_model``);
* ``DefaultAlipayClient.__assert_response_verified``: the SDK's response check alone.

Input (stdin): ``{"ops": [{"op": ..., ...}, ...]}``. Output (stdout): ``{"sdk": {...}, "results": [...]}``,
one result per op, in order. Key arguments are PEM file paths; the SDK takes key bodies (base64
without armour, one line), so the armour and line breaks are removed here. Bodies and times are
JSON strings, passed to the SDK unchanged (the SDK encodes them as UTF-8). No network: sockets to
hosts other than the loopback are refused.
"""

import json
import socket
import sys
from importlib.metadata import version

from com.alipay.ams.api import default_alipay_client as client_module
from com.alipay.ams.api.default_alipay_client import DefaultAlipayClient
from com.alipay.ams.api.model.address import Address
from com.alipay.ams.api.model.amount import Amount
from com.alipay.ams.api.model.env import Env
from com.alipay.ams.api.model.merchant import Merchant
from com.alipay.ams.api.model.order import Order
from com.alipay.ams.api.model.payment_method import PaymentMethod
from com.alipay.ams.api.model.settlement_strategy import SettlementStrategy
from com.alipay.ams.api.model.terminal_type import TerminalType
from com.alipay.ams.api.request.alipay_request import AlipayRequest
from com.alipay.ams.api.request.pay.alipay_pay_cancel_request import AlipayPayCancelRequest
from com.alipay.ams.api.request.pay.alipay_pay_query_request import AlipayPayQueryRequest
from com.alipay.ams.api.request.pay.alipay_pay_request import AlipayPayRequest
from com.alipay.ams.api.request.pay.alipay_refund_request import AlipayRefundRequest
from com.alipay.ams.api.tools import signature_tool, webhook_tool

SDK_DISTRIBUTION = "global-open-sdk-python"
GATEWAY_URL = "https://gateway.interop.invalid"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _refuse_remote(original):
    def connect(sock, address, *rest):
        host = address[0] if isinstance(address, tuple) else address
        if host not in LOOPBACK:
            raise OSError("sdk_batch.py: network access to %r refused" % (host,))
        return original(sock, address, *rest)

    return connect


def _refuse_remote_lookup(original):
    def getaddrinfo(host, *rest, **kwargs):
        if host not in LOOPBACK:
            raise OSError("sdk_batch.py: network access to %r refused" % (host,))
        return original(host, *rest, **kwargs)

    return getaddrinfo


socket.socket.connect = _refuse_remote(socket.socket.connect)
socket.getaddrinfo = _refuse_remote_lookup(socket.getaddrinfo)


def key_body(pem_path):
    """The SDK's key format: the base64 body of a PEM file, without armour and line breaks."""
    with open(pem_path, encoding="ascii") as f:
        lines = f.read().splitlines()
    return "".join(line.strip() for line in lines if line.strip() and not line.startswith("-----"))


def verdict(call):
    """`{"accepted": bool, "error": str|None}`: exceptions count as rejection, with their text."""
    try:
        result = call()
    except Exception as e:  # the SDK raises on malformed input and failed checks
        return {"accepted": False, "error": "%s: %s" % (type(e).__name__, e)}
    return {"accepted": bool(result), "error": None if result else "returned %r" % (result,)}


class RawBodyRequest(AlipayRequest):
    """A request whose body (``to_ams_json``) is given verbatim."""

    def __init__(self, path, body):
        super(RawBodyRequest, self).__init__(path)
        self._body = body

    def to_ams_json(self):
        return self._body


class _NoResponse(Exception):
    pass


# The SDK classes ``build_model`` may instantiate, by name.
MODELS = {
    cls.__name__: cls
    for cls in (
        AlipayPayRequest,
        AlipayPayQueryRequest,
        AlipayRefundRequest,
        AlipayPayCancelRequest,
        Address,
        Amount,
        Env,
        Merchant,
        Order,
        PaymentMethod,
        SettlementStrategy,
    )
}
ENUMS = {"TerminalType": TerminalType}


def build_model(value):
    """An SDK object from JSON: ``{"__model__": "Amount", "currency": ..., ...}`` is ``Amount()`` with
    those properties set (snake_case names; an unknown name is an error, not silently dropped),
    ``{"__enum__": "TerminalType", "value": "MINI_APP"}`` is ``TerminalType.MINI_APP``; lists and
    scalars are taken as they are."""
    if isinstance(value, list):
        return [build_model(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__enum__" in value:
        member = ENUMS[value["__enum__"]].value_of(value["value"])
        if member is None:
            raise ValueError("no %s %r in the SDK" % (value["__enum__"], value["value"]))
        return member
    cls = MODELS[value["__model__"]]
    obj = cls()
    for name, v in value.items():
        if name == "__model__":
            continue
        if not isinstance(getattr(cls, name, None), property):
            raise ValueError("the SDK's %s has no property %r" % (cls.__name__, name))
        setattr(obj, name, build_model(v))
    return obj


def build_request(spec):
    """The request to execute: ``{"body": ..., "path": ...}`` verbatim, or an SDK request model.

    ``{"model": "AlipayPayRequest", "fields": {...}, "path": ..., "extra": {...}}``: the SDK's request
    class with ``fields`` set (see ``build_model``); its body is the SDK's own serialization
    (``to_ams_json``). ``path`` replaces the SDK's default path (the SDK's models carry the Antom
    ``/ams/`` paths; Alipay+ ACQP is at ``/aps/``). ``extra`` adds top-level members the SDK's model
    does not have (e.g. ``paymentFactor.isCashierPayment``, absent from the SDK's PaymentFactor) to
    the dict the SDK serializes; a member the model already produced is an error.
    The older form ``{"model": "AlipayPayQueryRequest", "payment_request_id"|"payment_id": ...}``
    is kept."""
    if "body" in spec:
        return RawBodyRequest(spec["path"], spec["body"])
    model = spec["model"]
    if "fields" in spec:
        request = build_model(dict(spec["fields"], __model__=model))
        if not isinstance(request, AlipayRequest):
            raise ValueError("%s is not an SDK request" % (model,))
    elif model == "AlipayPayQueryRequest":
        request = AlipayPayQueryRequest()
        request.payment_request_id = spec.get("payment_request_id")
        request.payment_id = spec.get("payment_id")
    else:
        raise ValueError("unknown SDK request model %r" % (model,))
    if "path" in spec:
        request.path = spec["path"]
    extra = spec.get("extra")
    if extra:
        to_dict = request.to_ams_dict

        def with_extra():
            params = to_dict()
            for name, v in extra.items():
                if name in params:
                    raise ValueError("the SDK's model already has %r" % (name,))
                params[name] = v
            return params

        request.to_ams_dict = with_extra
    return request


def forward(base_url, url, headers, body, header_names="lowercase"):
    """Sends the SDK's request to a local HTTP server (a mock gateway) at the same path.

    Only the loopback is reachable (``_refuse_remote`` above): another host raises ``OSError``.
    Returns what the SDK's ``do_post`` returns: ``(headers, body bytes)``, raising on a status other
    than 200. ``header_names``: ``"as_sent"`` returns the header names exactly as the server sent
    them, like the SDK's own ``do_post`` (``http.client``'s ``getheaders()``); ``"lowercase"``
    lowercases them, as an HTTP/2 transport or a proxy would (HTTP header names are
    case-insensitive; the SDK's ``__parse_header`` only matches ``signature``, ``response-time`` and
    ``client-id`` exactly)."""
    import http.client
    import urllib.parse

    target = urllib.parse.urlsplit(base_url)
    path = urllib.parse.urlsplit(url).path
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    try:
        connection.request("POST", path, body=body.encode("utf-8"), headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError("mock answered HTTP %d" % response.status)
        received = response.getheaders()
        if header_names == "lowercase":
            received = [(name.lower(), value) for name, value in received]
        elif header_names != "as_sent":
            raise ValueError("header_names: %r" % (header_names,))
        return received, data
    finally:
        connection.close()


def op_client(op):
    """``DefaultAlipayClient.execute`` with a stub transport; returns the request sent and the verdict
    (``returned_body``: what ``execute`` returned; with ``forward``, ``response_headers``: the headers
    handed to the SDK)."""
    sent = {}
    answered = {}
    response = op.get("response")

    def do_post(url, headers=None, req_body=None, charset="UTF-8"):
        sent.update(url=url, headers=dict(headers), body=req_body)
        if "forward" in op:
            received = forward(
                op["forward"], url, headers, req_body, op.get("header_names", "lowercase")
            )
            answered["headers"] = [list(h) for h in received[0]]
            return received
        if response is None:
            raise _NoResponse()
        return [tuple(h) for h in response["headers"]], response["body"].encode("utf-8")

    saved = (client_module.do_post, client_module.get_cur_iso8601_time)
    client_module.do_post = do_post
    if op.get("time") is not None:
        client_module.get_cur_iso8601_time = lambda: op["time"]
    try:
        client = DefaultAlipayClient(
            GATEWAY_URL,
            op["client_id"],
            key_body(op["merchant_private_key"]),
            key_body(op["gateway_public_key"]),
        )
        request = build_request(op["request"])
        try:
            returned = client.execute(request)
            result = {"accepted": True, "error": None, "returned_body": returned}
        except _NoResponse:
            result = {"accepted": None, "error": "no response given (request only)"}
        except Exception as e:
            result = {"accepted": False, "error": "%s: %s" % (type(e).__name__, e)}
    finally:
        client_module.do_post, client_module.get_cur_iso8601_time = saved
    if sent:
        sent["path"] = sent["url"][len(GATEWAY_URL):] if sent["url"].startswith(GATEWAY_URL) else None
    result["request"] = sent or None
    if answered:
        result["response_headers"] = answered["headers"]
    return result


def op_sign(op):
    signature = signature_tool.sign(
        op["method"], op["path"], op["client_id"], op["time"], op["body"], key_body(op["private_key"])
    )
    return {"signature": signature}


def op_verify(op):
    return verdict(
        lambda: signature_tool.verify(
            op["method"],
            op["path"],
            op["client_id"],
            op["time"],
            op["body"],
            op["signature"],
            key_body(op["public_key"]),
        )
    )


def op_webhook(op):
    return verdict(
        lambda: webhook_tool.check_signature(
            op["method"],
            op["path"],
            op["client_id"],
            op["time"],
            op["body"],
            op["signature_header"],
            key_body(op["public_key"]),
        )
    )


def op_assert_response(op):
    """The SDK's response check (``__assert_response_verified``) with the signature item's value."""
    client = DefaultAlipayClient(GATEWAY_URL, op["client_id"], "unused", key_body(op["public_key"]))
    check = getattr(client, "_DefaultAlipayClient__assert_response_verified")

    def call():
        check(op["method"], op["path"], op["client_id"], op["time"], op["body"], op["signature"])
        return True

    return verdict(call)


def op_version(_op):
    return {"version": version(SDK_DISTRIBUTION), "python": sys.version.split()[0]}


OPS = {
    "version": op_version,
    "sign": op_sign,
    "verify": op_verify,
    "webhook": op_webhook,
    "client": op_client,
    "assert_response": op_assert_response,
}


def main():
    batch = json.load(sys.stdin)
    results = []
    for op in batch["ops"]:
        results.append(OPS[op["op"]](op))
    json.dump(
        {
            "sdk": {
                "distribution": SDK_DISTRIBUTION,
                "version": version(SDK_DISTRIBUTION),
                "module": signature_tool.__file__,
            },
            "results": results,
        },
        sys.stdout,
        ensure_ascii=False,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
