//! The header-rsa engine of the CLI and the vector runner (Alipay+, Antom): raw and typed signing,
//! and verification of responses and notifications from their headers and exact body bytes. Every
//! function is generic over the generated crate's `Api` tables.

use payspec_runtime::header_signature::{parse_request_time, HeaderVerifyError};
use payspec_runtime::scheme::header_rsa::{
    Api, SignError, SignJsonError, SignedRequest, Signer, Verifier,
};
use payspec_runtime::time::OffsetDateTime;
use payspec_runtime::{PrivateKey, PublicKey};

/// Signs exact body bytes for `path` (no validation of the body).
pub fn sign_raw<A: Api>(
    path: &str,
    client_id: &str,
    request_time: &str,
    body: Vec<u8>,
    key: &PrivateKey,
    key_version: u32,
) -> Result<SignedRequest, SignError> {
    Signer::<A>::new(client_id, key.clone())
        .with_key_version(key_version)
        .sign_body(path, body, request_time)
}

/// Why a typed request could not be signed: unknown operation, an unknown / mistyped /
/// missing / invalid member, a broken rule, serialization or RSA.
pub type TypedSignFailure = SignJsonError;

/// Parses `params` (the JSON body) through the typed request of `operation`, validates it and signs
/// the body the typed request serializes to.
pub fn sign_typed<A: Api>(
    operation: &str,
    params: &str,
    client_id: &str,
    request_time: &str,
    key: &PrivateKey,
    key_version: u32,
) -> Result<SignedRequest, TypedSignFailure> {
    Signer::<A>::new(client_id, key.clone())
        .with_key_version(key_version)
        .sign_json(operation, params, request_time)
}

/// What kind of message is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A response to our request (`response-time` header).
    Response,
    /// A notification pushed to us (`request-time` header, our own endpoint path).
    Notification,
}

/// A received message and its headers.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// Response or notification.
    pub kind: Kind,
    /// Response: the path of the request sent. Notification: our own endpoint path.
    pub path: &'a str,
    /// Client id.
    pub client_id: &'a str,
    /// `response-time` / `request-time` header, if present.
    pub time: Option<&'a str>,
    /// `signature` header, if present.
    pub signature_header: Option<&'a str>,
    /// The exact body bytes.
    pub body: &'a [u8],
}

/// The verdict on a message: `Ok(description)` or the reason for rejecting it.
pub fn verify<A: Api>(
    message: &Message<'_>,
    key: &PublicKey,
    now: Option<OffsetDateTime>,
) -> Result<&'static str, HeaderVerifyError> {
    let Message {
        kind,
        path,
        client_id,
        time,
        signature_header,
        body,
    } = *message;
    let verifier = Verifier::<A>::new(client_id, key.clone());
    match kind {
        Kind::Response => {
            let verdict = verifier.verify_response_raw(path, time, signature_header, body)?;
            Ok(if verdict.is_signed() {
                "signed"
            } else {
                "unsigned failure/unknown result (untrusted)"
            })
        }
        Kind::Notification => {
            // Without an explicit `now`, the notification is judged at its own request time, so
            // only the signature (and a parseable time) is checked.
            let now = match (now, time) {
                (Some(now), _) => now,
                (None, Some(t)) => {
                    parse_request_time(t).map_err(HeaderVerifyError::UnparseableTime)?
                }
                (None, None) => OffsetDateTime::now_utc(),
            };
            verifier.verify_notification_raw(path, time, signature_header, body, now)?;
            Ok("signed")
        }
    }
}
