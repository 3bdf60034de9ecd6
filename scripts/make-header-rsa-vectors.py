#!/usr/bin/env python3
"""Writes this project's own header-rsa vectors (Antom, and Alipay+ merchant registration), every
signature made by the OpenSSL command line (independent of payspec) and every verdict re-checked
with `openssl dgst -verify`. Deterministic (PKCS#1 v1.5 signatures are), so running it again gives
the same files.

* conformance/vectors/antom/request-signing.json: requests of every Antom operation signed with
  the test merchant key (`POST <path>\\n<Client-Id>.<Request-Time>.<body>`, SHA256withRSA, base64,
  percent-encoded), and one notifyPayment signed with the mock gateway key.
* conformance/vectors/antom/response-verification.json: responses and notifications signed with
  the mock gateway key, and the negatives and edges of the header-rsa rules (A1-A6 of the
  vectors' README) on Antom paths and epoch-millisecond times.
* conformance/vectors/alipayplus/registration-request-signing.json and
  registration-response-verification.json: Alipay+ merchant registration (registration,
  inquiryRegistrationStatus, notifyRegistrationStatus), signed with the Alipay+ test keys.

The keys (keys/antom-*.pem) were made once with
`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`."""
import base64
import json
import pathlib
import subprocess
import tempfile
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
V = ROOT / "conformance" / "vectors"
OUT = V / "antom"
MERCHANT = "keys/antom-merchant-2048.pkcs8.pem"
MERCHANT_PUB = "keys/antom-merchant-2048.pub.pem"
GATEWAY = "keys/antom-gateway-mock-2048.pkcs8.pem"
GATEWAY_PUB = "keys/antom-gateway-mock-2048.pub.pem"
CLIENT_ID = "SANDBOX_5YHX3F2ZKQYE01234"
SOURCE = "scripts/make-header-rsa-vectors.py (openssl dgst -sha256 -sign; verdict re-checked with openssl dgst -verify)"


def body(value):
    """Compact JSON in the given member order, non-ASCII kept as UTF-8 (as the SDKs send it)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def content(path, client_id, time, text):
    return "POST %s\n%s.%s.%s" % (path, client_id, time, text)


def sign(key, text):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(V / key)],
                          input=text.encode(), capture_output=True, check=True).stdout


def openssl_verifies(pub, text, signature):
    with tempfile.NamedTemporaryFile() as f:
        f.write(signature)
        f.flush()
        run = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(V / pub), "-signature",
                              f.name], input=text.encode(), capture_output=True)
    return run.returncode == 0


def encode(signature):
    b64 = base64.b64encode(signature).decode()
    return b64, urllib.parse.quote(b64, safe="")


def header(urlencoded, key_version=1):
    return "algorithm=RSA256,keyVersion=%d,signature=%s" % (key_version, urlencoded)


def amount(currency, value):
    return {"currency": currency, "value": value}


# ------------------------------------------------------------------------------- requests

def request_case(id, note, operation, path, time, value, key=MERCHANT, key_version=1,
                 client_id=CLIENT_ID):
    text = body(value)
    to_sign = content(path, client_id, time, text)
    b64, urlencoded = encode(sign(key, to_sign))
    return {"id": id, "source": SOURCE, "note": note, "operation": operation, "method": "POST",
            "path": path, "client_id": client_id, "request_time": time, "body": text,
            "private_key": key, "content_to_sign": to_sign, "signature_base64": b64,
            "signature_urlencoded": urlencoded, "signature_header": header(urlencoded, key_version)}


MINI_APP_PAY = {
    "productCode": "CASHIER_PAYMENT",
    "paymentRequestId": "antom_pay_20240101_0001",
    "order": {"referenceOrderId": "ord_0001", "orderDescription": "Cappuccino",
              "orderAmount": amount("USD", "100"), "env": {"terminalType": "MINI_APP"}},
    "paymentAmount": amount("USD", "100"),
    "paymentMethod": {"paymentMethodType": "GCASH"},
    "paymentRedirectUrl": "https://merchant.example/return",
    "paymentNotifyUrl": "https://merchant.example/antom/notify",
    "settlementStrategy": {"settlementCurrency": "USD"},
    "env": {"terminalType": "MINI_APP"},
    "appId": "2102010123456789",
}

WEB_PAY = {
    "productCode": "CASHIER_PAYMENT",
    "paymentRequestId": "antom_pay_20240101_0002",
    "order": {"referenceOrderId": "ord_0002", "orderDescription": "Café au lait ×2 (咖啡)",
              "orderAmount": amount("THB", "24000"),
              "goods": [{"referenceGoodsId": "sku-1", "goodsName": "Café au lait",
                         "goodsUnitAmount": amount("THB", "12000"), "goodsQuantity": "2"}],
              "buyer": {"referenceBuyerId": "buyer-7"}},
    "paymentAmount": amount("THB", "24000"),
    "paymentMethod": {"paymentMethodType": "TRUEMONEY"},
    "paymentRedirectUrl": "https://merchant.example/return?order=ord_0002",
    "paymentExpiryTime": "2024-01-01T12:09:00+07:00",
    "settlementStrategy": {"settlementCurrency": "THB"},
    "env": {"terminalType": "WAP", "osType": "ANDROID"},
}


def requests():
    t = "1704081600000"
    cases = [
        request_case("pay-mini-app-epoch-ms", "Cashier Payment from a mini program inside GCash: "
                     "env.terminalType MINI_APP, appId, the hosting wallet as paymentMethodType; "
                     "Request-Time in epoch milliseconds as the Java SDK sends it.",
                     "pay", "/ams/api/v1/payments/pay", t, MINI_APP_PAY),
        request_case("pay-wap-utf8-goods", "Mobile-web pay with goods, a non-ASCII description "
                     "(signed as UTF-8 bytes) and a query in the redirect URL.",
                     "pay", "/ams/api/v1/payments/pay", "1704081600123", WEB_PAY),
        request_case("pay-iso-time", "The same mini-program pay with an ISO 8601 Request-Time "
                     "(as the Python SDK sends it): the time is signed as given.",
                     "pay", "/ams/api/v1/payments/pay", "2024-01-01T12:00:00+08:00", MINI_APP_PAY),
        request_case("inquiry-payment-by-request-id", None, "inquiryPayment",
                     "/ams/api/v1/payments/inquiryPayment", t,
                     {"paymentRequestId": "antom_pay_20240101_0001"}),
        request_case("inquiry-payment-by-both-ids", "Both ids: Antom uses paymentId.",
                     "inquiryPayment", "/ams/api/v1/payments/inquiryPayment", t,
                     {"paymentRequestId": "antom_pay_20240101_0001",
                      "paymentId": "202401011940108001001880A0000000001"}),
        request_case("cancel-by-payment-id", "The path is /payments/cancel (not cancelPayment).",
                     "cancel", "/ams/api/v1/payments/cancel", t,
                     {"paymentId": "202401011940108001001880A0000000001"}),
        request_case("refund-partial", "A partial refund by paymentId with a notify URL.",
                     "refund", "/ams/api/v1/payments/refund", t,
                     {"refundRequestId": "antom_refund_0001",
                      "paymentId": "202401011940108001001880A0000000001",
                      "refundAmount": amount("USD", "40"), "refundReason": "one cup returned",
                      "refundNotifyUrl": "https://merchant.example/antom/refund-notify"}),
        request_case("inquiry-refund-by-refund-id", None, "inquiryRefund",
                     "/ams/api/v1/payments/inquiryRefund", t,
                     {"refundId": "202401011940108001001880R0000000001"}),
        request_case("consult-wap-ios", "Which methods are available for SGD 10.00 on an iPhone.",
                     "consult", "/ams/api/v1/payments/consult", t,
                     {"productCode": "CASHIER_PAYMENT", "paymentAmount": amount("SGD", "1000"),
                      "allowedPaymentMethodRegions": ["SG", "MY"],
                      "env": {"terminalType": "WAP", "osType": "IOS"}}),
        request_case("refund-key-version-2", "keyVersion 2 in the header; the content is the same.",
                     "refund", "/ams/api/v1/payments/refund", t,
                     {"refundRequestId": "antom_refund_0002",
                      "paymentId": "202401011940108001001880A0000000001",
                      "refundAmount": amount("USD", "60")}, key_version=2),
        request_case("notify-payment-by-mock-gateway", "A notifyPayment as the mock gateway sends "
                     "it: signed with the gateway key over the merchant's notify path.",
                     "notifyPayment", "/antom/notify", t, NOTIFY_PAYMENT, key=GATEWAY),
    ]
    for c in cases:
        assert openssl_verifies(MERCHANT_PUB if c["private_key"] == MERCHANT else GATEWAY_PUB,
                                c["content_to_sign"], base64.b64decode(c["signature_base64"]))
    return cases


# ------------------------------------------------------------------------------- responses

PAY_RESPONSE = {
    "result": {"resultCode": "PAYMENT_IN_PROCESS", "resultStatus": "U",
               "resultMessage": "payment in process"},
    "paymentRequestId": "antom_pay_20240101_0001",
    "paymentId": "202401011940108001001880A0000000001",
    "paymentAmount": amount("USD", "100"),
    "paymentCreateTime": "2024-01-01T12:00:01+08:00",
    "normalUrl": "https://example.invalid/cashier?paymentId=202401011940108001001880A0000000001",
}
INQUIRY_RESPONSE = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "paymentStatus": "SUCCESS", "paymentResultCode": "SUCCESS",
    "paymentRequestId": "antom_pay_20240101_0001",
    "paymentId": "202401011940108001001880A0000000001",
    "paymentAmount": amount("USD", "100"), "actualPaymentAmount": amount("PHP", "5600"),
    "paymentTime": "2024-01-01T12:01:05+08:00",
    "pspCustomerInfo": {"pspName": "GCASH", "displayCustomerId": "0917****123"},
}
CANCEL_RESPONSE = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "paymentId": "202401011940108001001880A0000000001",
    "paymentRequestId": "antom_pay_20240101_0001", "cancelTime": "2024-01-01T12:05:00+08:00",
}
REFUND_RESPONSE = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "refundRequestId": "antom_refund_0001", "refundId": "202401011940108001001880R0000000001",
    "paymentId": "202401011940108001001880A0000000001", "refundAmount": amount("USD", "40"),
    "refundTime": "2024-01-02T09:00:00+08:00",
}
INQUIRY_REFUND_RESPONSE = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "refundId": "202401011940108001001880R0000000001", "refundRequestId": "antom_refund_0001",
    "refundAmount": amount("USD", "40"), "refundStatus": "SUCCESS",
    "refundTime": "2024-01-02T09:00:03+08:00",
}
CONSULT_RESPONSE = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "paymentOptions": [
        {"paymentMethodType": "GRABPAY_SG", "paymentMethodCategory": "WALLET",
         "paymentMethodRegion": ["SG"], "enabled": "true", "preferred": "false"},
        {"paymentMethodType": "PAYNOW", "paymentMethodCategory": "BANK_TRANSFER",
         "enabled": "false", "disableReason": "CHANNEL_NOT_SUPPORT_CURRENCY"},
    ],
}
NOTIFY_PAYMENT = {
    "notifyType": "PAYMENT_RESULT",
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "paymentRequestId": "antom_pay_20240101_0001",
    "paymentId": "202401011940108001001880A0000000001",
    "paymentAmount": amount("USD", "100"),
    "paymentCreateTime": "2024-01-01T12:00:01+08:00", "paymentTime": "2024-01-01T12:01:05+08:00",
}
NOTIFY_REFUND = {
    "notifyType": "REFUND_RESULT",
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "refundStatus": "SUCCESS", "refundRequestId": "antom_refund_0001",
    "refundId": "202401011940108001001880R0000000001", "refundAmount": amount("USD", "40"),
    "refundTime": "2024-01-02T09:00:03+08:00",
}


def response_case(id, note, kind, path, value, flags, expect="accept", time="2024-01-01T12:00:01+08:00",
                  key=GATEWAY, pub=GATEWAY_PUB, signed_path=None, signed_client=None, signed_time=None,
                  text=None, signed_text=None, mangle=None, signature_header="sign", time_header="same",
                  client_id=CLIENT_ID):
    """A message signed over (signed_path, signed_client, signed_time, signed_text), which default
    to the message's own; `mangle` rewrites the signature header value."""
    text = body(value) if text is None else text
    to_sign = content(signed_path or path, signed_client or client_id, signed_time or time,
                      text if signed_text is None else signed_text)
    signature = sign(key, to_sign)
    b64, urlencoded = encode(signature)
    value_header = header(urlencoded)
    if mangle:
        value_header = mangle(b64, urlencoded)
    if signature_header is None:
        value_header = None
    case = {"id": id, "source": SOURCE, "note": note, "kind": kind, "method": "POST", "path": path,
            "client_id": client_id, "time": time if time_header == "same" else time_header,
            "body": text, "public_key": pub, "signature_header": value_header, "expect": expect,
            "flags": flags}
    # Re-check the verdict with openssl: what the case's own (path, client, time, body) content
    # gives against the public key, for every case whose header carries a usable signature.
    own = content(path, client_id, time, text)
    opens = openssl_verifies(pub, own, signature)
    if signature_header is not None and case["time"] is not None and mangle is None:
        assert opens == (expect == "accept"), id
    return case


def unsigned_case(id, note, value, expect, flags, with_time=False, with_signature=False):
    text = body(value)
    path = "/ams/api/v1/payments/pay"
    time = "2024-01-01T12:00:01+08:00"
    sig = None
    if with_signature:
        sig = header(encode(sign(GATEWAY, content(path, CLIENT_ID, time, text)))[1])
    return {"id": id, "source": SOURCE, "note": note, "kind": "response", "method": "POST",
            "path": path, "client_id": CLIENT_ID, "time": time if with_time else None, "body": text,
            "public_key": GATEWAY_PUB, "signature_header": sig, "expect": expect, "flags": flags}


def responses():
    pay = "/ams/api/v1/payments/pay"
    mock = ["MockGateway"]
    reformatted = json.dumps(PAY_RESPONSE, indent=1, ensure_ascii=False)
    changed = body(PAY_RESPONSE).replace('"value":"100"', '"value":"1000"', 1)
    cases = [
        response_case("pay-response-in-process", "The usual Cashier pay answer: PAYMENT_IN_PROCESS/U "
                      "with normalUrl.", "response", pay, PAY_RESPONSE, mock),
        response_case("inquiry-payment-success", None, "response",
                      "/ams/api/v1/payments/inquiryPayment", INQUIRY_RESPONSE, mock),
        response_case("cancel-success", None, "response", "/ams/api/v1/payments/cancel",
                      CANCEL_RESPONSE, mock),
        response_case("refund-success", None, "response", "/ams/api/v1/payments/refund",
                      REFUND_RESPONSE, mock),
        response_case("inquiry-refund-success", None, "response",
                      "/ams/api/v1/payments/inquiryRefund", INQUIRY_REFUND_RESPONSE, mock),
        response_case("consult-success", "Booleans sent as strings, as the docs ask.", "response",
                      "/ams/api/v1/payments/consult", CONSULT_RESPONSE, mock),
        response_case("notify-payment-success", "Signed over the merchant's notify path with an "
                      "epoch-millisecond request-time.", "notification", "/antom/notify",
                      NOTIFY_PAYMENT, mock + ["Notification"], time="1704081665000"),
        response_case("notify-refund-success", None, "notification", "/antom/refund-notify",
                      NOTIFY_REFUND, mock + ["Notification"], time="2024-01-02T09:00:04+08:00"),
        response_case("neg-body-one-byte-changed", "The amount was changed after signing.",
                      "response", pay, None, mock + ["ModifiedBody"], expect="reject", text=changed,
                      signed_text=body(PAY_RESPONSE)),
        response_case("neg-body-reformatted", "Re-serialized after signing (whitespace).",
                      "response", pay, None, mock + ["ReformattedBody"], expect="reject",
                      text=reformatted, signed_text=body(PAY_RESPONSE)),
        response_case("neg-wrong-path", "Signed for inquiryPayment, received as the pay answer.",
                      "response", pay, PAY_RESPONSE, mock + ["WrongPath"], expect="reject",
                      signed_path="/ams/api/v1/payments/inquiryPayment"),
        response_case("neg-sandbox-path", "Signed over the sandbox path /ams/sandbox/api/...: the "
                      "production path does not verify it.", "response", pay, PAY_RESPONSE,
                      mock + ["WrongPath"], expect="reject",
                      signed_path="/ams/sandbox/api/v1/payments/pay"),
        response_case("neg-wrong-client-id", None, "response", pay, PAY_RESPONSE,
                      mock + ["WrongClientId"], expect="reject",
                      signed_client="SANDBOX_5YHX3F2ZKQYE09999"),
        response_case("neg-wrong-time", "Signed with an epoch time, received with the ISO form of "
                      "the same instant: the text is signed, not the instant.", "response", pay,
                      PAY_RESPONSE, mock + ["WrongTime"], expect="reject", time="2024-01-01T12:00:01+08:00",
                      signed_time="1704081601000"),
        response_case("neg-signed-with-merchant-key", "Signed with the merchant's own key.",
                      "response", pay, PAY_RESPONSE, ["WrongKey"], expect="reject", key=MERCHANT),
        response_case("neg-truncated-base64", None, "response", pay, PAY_RESPONSE,
                      mock + ["TruncatedSignature"], expect="reject",
                      mangle=lambda b64, u: header(urllib.parse.quote(b64[:-8], safe=""))),
        response_case("edge-signature-not-url-encoded", "Raw base64 in the header (ProjectRule: "
                      "accepted, as the official SDKs decode it).", "response", pay, PAY_RESPONSE,
                      mock + ["SignatureNotUrlEncoded", "ProjectRule"], mangle=lambda b64, u: header(b64)),
        response_case("edge-header-spaces-after-commas", None, "response", pay, PAY_RESPONSE,
                      mock + ["HeaderWhitespace"],
                      mangle=lambda b64, u: "algorithm=RSA256, keyVersion=1, signature=" + u),
        response_case("edge-epoch-ms-response-time", "A response-time in epoch milliseconds.",
                      "response", "/ams/api/v1/payments/refund", REFUND_RESPONSE, mock,
                      time="1704157200000"),
        unsigned_case("neg-unsigned-success", "No signature on an S answer.",
                      {"result": {"resultCode": "SUCCESS", "resultStatus": "S"}}, "reject",
                      ["Unsigned", "UnsignedSuccess"]),
        unsigned_case("edge-unsigned-failure-f", "An unsigned F answer is accepted as an untrusted "
                      "failure (ProjectRule of the vectors' README).",
                      {"result": {"resultCode": "INVALID_SIGNATURE", "resultStatus": "F",
                                  "resultMessage": "invalid signature"}}, "accept",
                      ["Unsigned", "UnsignedNonSuccess"]),
        unsigned_case("neg-signature-without-time", "A signature header but no response-time.",
                      PAY_RESPONSE, "reject", ["IncompleteSignatureHeaders"], with_signature=True),
    ]
    return cases


# ------------------------------------------------------------------- Alipay+ registration

AP_CLIENT = "SANDBOX_5YBX2B2ZKQYE04562"
AP_MERCHANT = "keys/alipayplus-merchant-2048.pkcs8.pem"
AP_GATEWAY = "keys/alipayplus-gateway-mock-2048.pkcs8.pem"
AP_GATEWAY_PUB = "keys/alipayplus-gateway-mock-2048.pub.pem"

REGISTRATION = {
    "registrationRequestId": "reg_20240101_0001",
    "productCodes": ["CASHIER_PAYMENT"],
    "merchantInfo": {
        "referenceMerchantId": "M-0001", "merchantDisplayName": "Café Soi 5", "merchantMCC": "5814",
        "websites": [{"name": "Cafe", "url": "https://cafe.example", "websiteType": "WEB"}],
        "merchantAddress": {"region": "TH", "city": "Bangkok", "address1": "5 Soi 5"},
        "registrationDetail": {"legalName": "Cafe Soi 5 Co., Ltd.", "registrationType": "ENTERPRISE_REGISTRATION_NO",
                               "registrationNo": "0105560000000", "businessType": "ENTERPRISE",
                               "contactInfo": [{"contactNo": "+66-2-000-0000", "contactType": "TELEPHONE"}]}},
    "registrationNotifyUrl": "https://acqp.example/alipay/registration",
}
IN_STORE_REGISTRATION = {
    "registrationRequestId": "reg_20240101_0002",
    "productCodes": ["IN_STORE_PAYMENT"],
    "merchantInfo": {"referenceMerchantId": "M-0001", "merchantDisplayName": "Café Soi 5"},
    "storeInfo": {"referenceStoreId": "S-01", "storeName": "Soi 5 branch", "storeMCC": "5814",
                  "storeAddress": {"region": "TH", "city": "Bangkok"}},
}
WALLETS = [
    {"pspName": "GCASH", "productCodes": ["CASHIER_PAYMENT"],
     "registrationResult": {"registrationStatus": "APPROVED"}},
    {"pspName": "ALIPAY_CN", "productCodes": ["CASHIER_PAYMENT"],
     "registrationResult": {"registrationStatus": "REJECTED", "rejectionReason": "MCC not supported"}},
]
INQUIRY_REGISTRATION_RESPONSE = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
    "registrationResult": {"registrationStatus": "COMPLETED"},
    "pspRegistrationResultList": WALLETS,
}
NOTIFY_REGISTRATION = {
    "referenceMerchantId": "M-0001", "registrationRequestId": "reg_20240101_0001",
    "registrationResult": {"registrationStatus": "COMPLETED"},
    "pspRegistrationResultList": WALLETS,
}


def registration_requests():
    t = "2024-01-01T12:00:00+08:00"
    return [
        request_case("registration-cashier", "A merchant registered for Cashier Payment, non-ASCII "
                     "display name.", "registration", "/aps/api/v1/merchants/registration", t,
                     REGISTRATION, key=AP_MERCHANT, client_id=AP_CLIENT),
        request_case("registration-in-store", "A store registered for in-store payment.",
                     "registration", "/aps/api/v1/merchants/registration", t, IN_STORE_REGISTRATION,
                     key=AP_MERCHANT, client_id=AP_CLIENT),
        request_case("inquiry-registration-by-merchant", None, "inquiryRegistrationStatus",
                     "/aps/api/v1/merchants/inquiryRegistrationStatus", t,
                     {"referenceMerchantId": "M-0001"}, key=AP_MERCHANT, client_id=AP_CLIENT),
        request_case("inquiry-registration-by-request-id", None, "inquiryRegistrationStatus",
                     "/aps/api/v1/merchants/inquiryRegistrationStatus", t,
                     {"registrationRequestId": "reg_20240101_0001"}, key=AP_MERCHANT,
                     client_id=AP_CLIENT),
        request_case("notify-registration-by-mock-gateway", "notifyRegistrationStatus as the mock "
                     "gateway sends it, over the ACQP's notify path.", "notifyRegistrationStatus",
                     "/alipay/registration", t, NOTIFY_REGISTRATION, key=AP_GATEWAY, client_id=AP_CLIENT),
    ]


def registration_responses():
    mock = ["MockGateway"]
    reg = "/aps/api/v1/merchants/registration"
    inquiry = "/aps/api/v1/merchants/inquiryRegistrationStatus"
    accepted = {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}}
    kw = dict(key=AP_GATEWAY, pub=AP_GATEWAY_PUB, client_id=AP_CLIENT)
    return [
        response_case("registration-accepted", "S means accepted, not approved.", "response", reg,
                      accepted, mock, **kw),
        response_case("inquiry-registration-completed", "One wallet approved, one rejected.",
                      "response", inquiry, INQUIRY_REGISTRATION_RESPONSE, mock, **kw),
        response_case("notify-registration-status", None, "notification", "/alipay/registration",
                      NOTIFY_REGISTRATION, mock + ["Notification"], **kw),
        response_case("neg-registration-wallet-status-changed", "A wallet's REJECTED changed to "
                      "APPROVED after signing.", "notification", "/alipay/registration", None,
                      mock + ["Notification", "ModifiedBody"], expect="reject",
                      text=body(NOTIFY_REGISTRATION).replace("REJECTED", "APPROVED"),
                      signed_text=body(NOTIFY_REGISTRATION), **kw),
        response_case("neg-registration-answer-for-another-path", "The inquiry's answer presented "
                      "as the registration's.", "response", reg, INQUIRY_REGISTRATION_RESPONSE,
                      mock + ["WrongPath"], expect="reject", signed_path=inquiry, **kw),
    ]


def write(path, scheme, cases):
    for c in cases:
        if c.get("note") is None:
            c.pop("note", None)
    doc = {"scheme": scheme, "cases": cases}
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print("wrote %s (%d cases)" % (path, len(cases)))


def main():
    OUT.mkdir(exist_ok=True)
    write(OUT / "request-signing.json", "antom-rsa256", requests())
    write(OUT / "response-verification.json", "antom-rsa256", responses())
    ap = V / "alipayplus"
    write(ap / "registration-request-signing.json", "alipayplus-rsa256", registration_requests())
    write(ap / "registration-response-verification.json", "alipayplus-rsa256",
          registration_responses())


if __name__ == "__main__":
    main()
