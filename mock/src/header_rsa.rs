//! What the mocks of the header-rsa APIs (Alipay+, Antom) share, generic over the generated
//! crate's `Api` tables: authenticating a request (path → operation, client id, signature over
//! `POST <path>\n<Client-Id>.<Request-Time>.<body>` with the merchant key), answering with a body
//! signed by the gateway key in the API's own header names, and delivering a signed notification.

use std::sync::Arc;

use payspec_runtime::header_signature::{self, NotificationCheck};
use payspec_runtime::scheme::header_rsa::Api;
use serde::Serialize;
use time::OffsetDateTime;

use crate::gateway::Gateway;
use crate::http::{Incoming, Outgoing};
use crate::notify::{url_path, Delivery, Message};

/// How far a request's `Request-Time` may be from the mock's clock.
const REQUEST_TIME_TOLERANCE: time::Duration = time::Duration::days(1);

/// An authenticated request: its operation, client id and UTF-8 body.
pub(crate) struct Authenticated<'a> {
    pub name: &'static str,
    pub client_id: &'a str,
    pub text: &'a str,
}

/// Why a request is not served. Each API answers these with its own result codes.
pub(crate) enum Refusal<'a> {
    /// No operation at this path (HTTP 404).
    NoOperation,
    /// Not a POST (HTTP 405).
    NotPost,
    /// No client-id header.
    MissingClientId,
    /// A client id other than the mock's.
    UnknownClient(&'a str),
    /// The signature does not verify, or its headers are missing or malformed.
    BadSignature(&'a str, String),
    /// The body is not UTF-8.
    NotUtf8(&'a str),
}

/// Looks the operation up by path and checks the client id and the signature.
pub(crate) fn authenticate<'a, A: Api>(
    gateway: &Gateway,
    request: &'a Incoming,
) -> Result<Authenticated<'a>, Refusal<'a>> {
    let path = request.path.as_str();
    let name = A::OPERATIONS
        .iter()
        .find(|op| op.path == path)
        .map(|op| op.name)
        .ok_or(Refusal::NoOperation)?;
    if request.method != "POST" {
        return Err(Refusal::NotPost);
    }
    let headers = A::HEADERS;
    let client_id = request
        .header(headers.client_id)
        .ok_or(Refusal::MissingClientId)?;
    if gateway
        .client_id
        .as_deref()
        .is_some_and(|expected| expected != client_id)
    {
        return Err(Refusal::UnknownClient(client_id));
    }
    let check = NotificationCheck {
        method: "POST",
        path,
        client_id,
        request_time: request.header(headers.request_time),
        signature_header: request.header(headers.signature),
        body: &request.body,
    };
    header_signature::verify_notification(
        &check,
        std::slice::from_ref(&gateway.merchant_key),
        gateway.real_now(),
        REQUEST_TIME_TOLERANCE,
    )
    .map_err(|e| Refusal::BadSignature(client_id, e.to_string()))?;
    let text = std::str::from_utf8(&request.body).map_err(|_| Refusal::NotUtf8(client_id))?;
    Ok(Authenticated {
        name,
        client_id,
        text,
    })
}

impl Refusal<'_> {
    /// The plain HTTP answer to a refusal that is not the API's business (no operation at the
    /// path, not a POST); `None` for the others, which the API answers with its result codes.
    pub(crate) fn http(&self) -> Option<Outgoing> {
        match self {
            Refusal::NoOperation => Some(Outgoing::text(404, "no operation at this path")),
            Refusal::NotPost => {
                Some(Outgoing::text(405, "operations are POST").with_header("Allow", "POST".into()))
            }
            _ => None,
        }
    }
}

/// The mock's timestamps (`Response-Time`, `Request-Time` of notifications, times in bodies).
pub(crate) fn iso(t: OffsetDateTime) -> String {
    payspec_runtime::clock::iso8601_timestamp(t)
}

/// A JSON answer, signed for `client_id` when there is one.
pub(crate) fn answer<A: Api, T: Serialize>(
    gateway: &Gateway,
    path: &str,
    client_id: Option<&str>,
    body: &T,
) -> Outgoing {
    let body = match serde_json::to_vec(body) {
        Ok(body) => body,
        Err(e) => return Outgoing::text(500, &format!("cannot serialize the answer: {e}")),
    };
    let mut out = Outgoing::json(200, body);
    let Some(client_id) = client_id else {
        return out;
    };
    let response_time = iso(gateway.now());
    match header_signature::sign(
        &gateway.gateway_key,
        "POST",
        path,
        client_id,
        &response_time,
        &out.body,
        A::KEY_VERSION,
    ) {
        Ok(signed) => {
            // Lowercase names, as the gateway sends them: HTTP names are case-insensitive, but the
            // official SDKs look the response headers up in lowercase only.
            let headers = A::HEADERS;
            out = out
                .with_header(
                    &headers.client_id.to_ascii_lowercase(),
                    client_id.to_owned(),
                )
                .with_header(&headers.response_time.to_ascii_lowercase(), response_time)
                .with_header(&headers.signature.to_ascii_lowercase(), signed.header);
            out
        }
        Err(e) => Outgoing::text(500, &format!("cannot sign the answer: {e}")),
    }
}

/// The operation at `path` and whether it creates something.
pub(crate) fn operation<A: Api>(path: &str) -> Option<(&'static str, bool)> {
    A::OPERATIONS
        .iter()
        .find(|op| op.path == path)
        .map(|op| (op.name, op.creates))
}

/// The answer with an unknown outcome (`U`, `UNKNOWN_EXCEPTION`), signed for the request's client.
pub(crate) fn unknown<A: Api>(gateway: &Gateway, request: &Incoming) -> Outgoing {
    let body = serde_json::json!({"result": {
        "resultCode": "UNKNOWN_EXCEPTION",
        "resultStatus": "U",
        "resultMessage": "unknown exception (an injected fault)",
    }});
    answer::<A, _>(
        gateway,
        &request.path,
        request.header(A::HEADERS.client_id),
        &body,
    )
}

/// `true` if a notification reply's `result.resultStatus` is the one of the spec's `reply`.
pub(crate) fn reply_status_matches(reply: &str, body: &[u8]) -> bool {
    fn status(v: &serde_json::Value) -> Option<&serde_json::Value> {
        v.get("result").and_then(|r| r.get("resultStatus"))
    }
    let Ok(expected) = serde_json::from_str::<serde_json::Value>(reply) else {
        return false;
    };
    let Ok(got) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    status(&expected).is_some() && status(&got) == status(&expected)
}

/// A notification of `kind` about `order`, POSTed to `url` and signed over the receiver's path
/// with a fresh request time on every try.
pub(crate) fn delivery<A: Api, T: Serialize>(
    gateway: &Arc<Gateway>,
    kind: &'static str,
    order: String,
    url: String,
    client_id: String,
    data: &T,
    accepted: fn(&[u8]) -> bool,
) -> Option<Delivery> {
    let body = match serde_json::to_vec(data) {
        Ok(body) => body,
        Err(e) => {
            gateway.log(&format!("cannot serialize {kind}: {e}"));
            return None;
        }
    };
    let path = url_path(&url);
    let signer = Arc::clone(gateway);
    Some(Delivery {
        kind,
        order,
        url,
        build: Box::new(move || {
            let request_time = iso(signer.now());
            let signed = header_signature::sign(
                &signer.gateway_key,
                "POST",
                &path,
                &client_id,
                &request_time,
                &body,
                A::KEY_VERSION,
            )
            .map_err(|e| format!("cannot sign {kind}: {e}"))?;
            let headers = A::HEADERS;
            Ok(Message {
                headers: vec![
                    ("Content-Type".into(), headers.content_type.into()),
                    (headers.client_id.into(), client_id.clone()),
                    (headers.request_time.into(), request_time),
                    (headers.signature.into(), signed.header),
                ],
                body: body.clone(),
            })
        }),
        accepted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_check_follows_the_spec_reply() {
        let reply = r#"{"result":{"resultCode":"SUCCESS","resultStatus":"S"}}"#;
        assert!(reply_status_matches(reply, reply.as_bytes()));
        assert!(reply_status_matches(
            reply,
            br#"{"result":{"resultStatus":"S","resultCode":"OTHER"}}"#
        ));
        assert!(!reply_status_matches(
            reply,
            br#"{"result":{"resultCode":"X","resultStatus":"F"}}"#
        ));
        assert!(!reply_status_matches(reply, b"ok"));
        assert!(!reply_status_matches("not json", reply.as_bytes()));
    }
}
