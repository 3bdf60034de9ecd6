//! The `header-rsa` signature scheme (Alipay+ / Antom style): RSA PKCS#1 v1.5 with SHA-256 over
//! the request line, client id, time header and exact body bytes, carried in a `Signature` header.
//!
//! Rules (numbers refer to `conformance/vectors/README.md`, sections 2.3 and 2.4):
//!
//! * **Signing (2.3).** `content = <method> <path>\n<client_id>.<time>.<body>` (LF separator, exact
//!   body bytes, time header value as sent), SHA-256 PKCS#1 v1.5, standard base64 with padding,
//!   then `+ / =` percent-encoded as `%2B %2F %3D`. Header value:
//!   `algorithm=RSA256,keyVersion=<n>,signature=<percent-encoded>`.
//! * **A1 (missing headers).** Both the signature and the time header absent: a response is
//!   accepted only as an *unsigned, untrusted* non-success result (the caller configures which
//!   status field and values allow this, see [`UnsignedAllowance`]); a notification is always
//!   rejected. Exactly one of the two present: rejected.
//! * **A2 (header parsing).** See [`parse_signature_header`].
//! * **A3 (signature value).** Strict percent-decoding (`+` is not a space), then strict standard
//!   base64.
//! * **A4 (content).** As for signing, with the response path/`response-time` or the own endpoint
//!   path/`request-time`; accepted when any configured public key verifies (key rotation).
//!
//! Notifications are additionally checked for freshness after the signature check:
//! [`verify_notification`] rejects a `request-time` further than a tolerance from `now`.
//!
//! Everything here is sans-IO: pure functions of bytes, keys and a caller-supplied instant.

use std::fmt;

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::crypto::{DigestAlgorithm, PrivateKey, PublicKey, SignError};
use crate::Verified;

/// The only supported value of the `algorithm` header item (RSA PKCS#1 v1.5 with SHA-256).
pub const ALGORITHM: &str = "RSA256";

/// Default freshness window of a notification's `request-time`: five minutes either way.
pub const DEFAULT_NOTIFICATION_TOLERANCE: time::Duration = time::Duration::minutes(5);

/// Characters of standard base64 that are percent-encoded in the header: `+`, `/` and `=`.
/// (No other character of the base64 alphabet needs encoding.)
const SIGNATURE_ENCODE_SET: &AsciiSet = &AsciiSet::EMPTY.add(b'+').add(b'/').add(b'=');

/// Longest excerpt of untrusted input (header item names, status values, times) echoed in errors.
const MAX_ECHO: usize = 48;

/// Shortens untrusted text before it is put into an error message.
fn echo(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

// ------------------------------------------------------------------------------------------------
// Signing
// ------------------------------------------------------------------------------------------------

/// The bytes that are signed: `<method> <path>\n<client_id>.<time>.<body>`.
///
/// `time` is the exact value of the time header (`Request-Time` or `response-time`), in whatever
/// format it was sent; `body` is the exact body bytes (no canonicalisation).
pub fn content_to_sign(
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut content = Vec::with_capacity(
        method.len() + path.len() + client_id.len() + time.len() + body.len() + 4,
    );
    content.extend_from_slice(method.as_bytes());
    content.push(b' ');
    content.extend_from_slice(path.as_bytes());
    content.push(b'\n');
    content.extend_from_slice(client_id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(time.as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    content
}

/// Everything produced when signing one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeaders {
    /// The signed content, for display and logs (lossy UTF-8: the exact bytes were signed).
    pub content_to_sign: String,
    /// Standard base64 (with `=` padding) of the RSA signature.
    pub signature_base64: String,
    /// [`SignedHeaders::signature_base64`] with `+ / =` percent-encoded as `%2B %2F %3D`.
    pub signature_urlencoded: String,
    /// The complete `Signature` header value:
    /// `algorithm=RSA256,keyVersion=<n>,signature=<signature_urlencoded>`.
    pub header: String,
}

/// Signs a request (rule 2.3): RSA PKCS#1 v1.5 SHA-256 over [`content_to_sign`].
///
/// The caller sends the returned [`SignedHeaders::header`] as `Signature`, together with
/// `Client-Id: <client_id>` and `Request-Time: <request_time>` exactly as passed here.
pub fn sign(
    key: &PrivateKey,
    method: &str,
    path: &str,
    client_id: &str,
    request_time: &str,
    body: &[u8],
    key_version: u32,
) -> Result<SignedHeaders, SignError> {
    let content = content_to_sign(method, path, client_id, request_time, body);
    let signature = key.sign(DigestAlgorithm::Sha256, &content)?;
    let signature_base64 = base64::engine::general_purpose::STANDARD.encode(signature);
    let signature_urlencoded =
        utf8_percent_encode(&signature_base64, SIGNATURE_ENCODE_SET).to_string();
    let header =
        format!("algorithm={ALGORITHM},keyVersion={key_version},signature={signature_urlencoded}");
    Ok(SignedHeaders {
        content_to_sign: String::from_utf8_lossy(&content).into_owned(),
        signature_base64,
        signature_urlencoded,
        header,
    })
}

// ------------------------------------------------------------------------------------------------
// Header parsing (A2, A3)
// ------------------------------------------------------------------------------------------------

/// Why a `Signature` header value was rejected (rules A2 and A3).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// An item (counted from 1) has no `=`; this includes empty items such as a trailing comma.
    #[error("signature header item {item} has no `=`")]
    ItemWithoutEquals {
        /// 1-based position of the item.
        item: usize,
    },
    /// An item name occurs twice (names compare case-insensitively).
    #[error("signature header item `{name}` occurs more than once")]
    DuplicateItem {
        /// The repeated name, lowercased and shortened.
        name: String,
    },
    /// There is no `signature` item.
    #[error("signature header has no `signature` item")]
    MissingSignature,
    /// The `signature` item is empty.
    #[error("signature header has an empty `signature` item")]
    EmptySignature,
    /// `algorithm` is present and is not `RSA256`.
    #[error("unsupported signature algorithm `{algorithm}` (only RSA256 is supported)")]
    UnsupportedAlgorithm {
        /// The algorithm named in the header, shortened.
        algorithm: String,
    },
    /// A `%` in the signature value is not followed by two hex digits.
    #[error("signature value has a `%` not followed by two hex digits at byte {position}")]
    BadPercentEncoding {
        /// Byte offset of the offending `%` within the signature value.
        position: usize,
    },
    /// The header value is longer than [`MAX_SIGNATURE_HEADER_BYTES`]; it was not parsed.
    #[error("signature header is {size} bytes, more than the {limit}-byte limit")]
    TooLong {
        /// Length of the value.
        size: usize,
        /// [`MAX_SIGNATURE_HEADER_BYTES`].
        limit: usize,
    },
    /// The header value has more than [`MAX_SIGNATURE_HEADER_ITEMS`] comma-separated items.
    #[error("signature header has more than {limit} items")]
    TooManyItems {
        /// [`MAX_SIGNATURE_HEADER_ITEMS`].
        limit: usize,
    },
    /// The percent-decoded signature value is not strict standard base64 with padding.
    #[error("signature value is not strict standard base64 with padding: {reason}")]
    BadBase64 {
        /// What the decoder objected to (never the signature itself).
        reason: String,
    },
}

/// Longest `Signature` header value parsed (8 KiB). A 4096-bit signature, base64 and fully
/// percent-encoded, with the other items, stays under 2.2 KB; longer values are refused unparsed.
pub const MAX_SIGNATURE_HEADER_BYTES: usize = 8 * 1024;

/// Most comma-separated items parsed in a `Signature` header value. The gateway sends three
/// (`algorithm`, `keyVersion`, `signature`); unknown items are ignored, up to this count.
pub const MAX_SIGNATURE_HEADER_ITEMS: usize = 16;

/// A parsed `Signature` header value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeader {
    /// The `algorithm` item as sent (`None` when absent, which means RSA256).
    pub algorithm: Option<String>,
    /// The `keyVersion` item as sent. It is informational only: verification uses the configured
    /// keys whatever the number says.
    pub key_version: Option<String>,
    /// The decoded signature bytes.
    pub signature: Vec<u8>,
}

/// Parses a `Signature` header value (rules A2 and A3).
///
/// The value is split on `,`; spaces and tabs around each item are trimmed; each item is split
/// at its first `=`; names are case-insensitive and unknown names are ignored. Rejected: an item
/// without `=` (including an empty item), a name occurring twice, a missing or empty
/// `signature`, and an `algorithm` other than `RSA256` (case-insensitive; absent means RSA256).
///
/// The signature value is percent-decoded strictly (`%XX` in either hex case; any other `%`
/// rejects; `+` stays `+`, so raw base64 decodes to itself) and then base64-decoded strictly
/// (standard alphabet, `=` padding, length a multiple of 4, no whitespace).
pub fn parse_signature_header(value: &str) -> Result<SignatureHeader, HeaderError> {
    // Bounded before any work: the length, then the item count (one pass over the bytes).
    if value.len() > MAX_SIGNATURE_HEADER_BYTES {
        return Err(HeaderError::TooLong {
            size: value.len(),
            limit: MAX_SIGNATURE_HEADER_BYTES,
        });
    }
    if value.bytes().filter(|b| *b == b',').count() >= MAX_SIGNATURE_HEADER_ITEMS {
        return Err(HeaderError::TooManyItems {
            limit: MAX_SIGNATURE_HEADER_ITEMS,
        });
    }
    let mut seen: Vec<String> = Vec::with_capacity(MAX_SIGNATURE_HEADER_ITEMS);
    let mut algorithm = None;
    let mut key_version = None;
    let mut signature = None;
    for (index, raw_item) in value.split(',').enumerate() {
        let item = raw_item.trim_matches([' ', '\t']);
        let (name, item_value) = item
            .split_once('=')
            .ok_or(HeaderError::ItemWithoutEquals { item: index + 1 })?;
        let lower = name.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Err(HeaderError::DuplicateItem { name: echo(&lower) });
        }
        match lower.as_str() {
            "algorithm" => algorithm = Some(item_value),
            "keyversion" => key_version = Some(item_value),
            "signature" => signature = Some(item_value),
            _ => {}
        }
        seen.push(lower);
    }
    if let Some(algorithm) = algorithm {
        if !algorithm.eq_ignore_ascii_case(ALGORITHM) {
            return Err(HeaderError::UnsupportedAlgorithm {
                algorithm: echo(algorithm),
            });
        }
    }
    let signature = signature.ok_or(HeaderError::MissingSignature)?;
    if signature.is_empty() {
        return Err(HeaderError::EmptySignature);
    }
    let base64_text = percent_decode_strict(signature)?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(base64_text)
        .map_err(|e| HeaderError::BadBase64 {
            reason: e.to_string(),
        })?;
    Ok(SignatureHeader {
        algorithm: algorithm.map(str::to_owned),
        key_version: key_version.map(str::to_owned),
        signature,
    })
}

/// Percent-decodes `%XX` (hex digits of either case); a `%` without two hex digits is an error
/// and `+` is kept as `+`.
fn percent_decode_strict(text: &str) -> Result<Vec<u8>, HeaderError> {
    fn hex(b: Option<&u8>) -> Option<u8> {
        match *b? {
            b @ b'0'..=b'9' => Some(b - b'0'),
            b @ b'a'..=b'f' => Some(b - b'a' + 10),
            b @ b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 3;
                }
                _ => return Err(HeaderError::BadPercentEncoding { position: i }),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------------
// Time header parsing
// ------------------------------------------------------------------------------------------------

/// Why a time header value could not be read as an instant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "time {value:?} is neither epoch milliseconds nor ISO-8601/RFC 3339 with an offset: {reason}"
)]
pub struct TimeError {
    /// The value, shortened.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Parses a time header value as sent by the gateway.
///
/// Accepted forms:
/// * epoch milliseconds: ASCII digits only, e.g. `1710469500000`;
/// * ISO-8601 / RFC 3339 date-time with an offset: `YYYY-MM-DDTHH:MM:SS` (`T`, `t` or a space
///   between date and time), an optional fraction after `.` or `,` (any number of digits; digits
///   beyond nanoseconds are truncated), then `Z`/`z`, `±HH:MM`, `±HHMM` or `±HH`. Examples:
///   `2024-01-01T12:00:00+08:00`, `2024-03-15T02:05:00+0000`, `2024-03-15T02:10:00.1234567Z`.
///
/// A date-time without an offset is rejected: its instant is ambiguous.
pub fn parse_request_time(value: &str) -> Result<OffsetDateTime, TimeError> {
    let fail = |reason: &'static str| TimeError {
        value: echo(value),
        reason,
    };
    let b = value.as_bytes();
    if b.is_empty() {
        return Err(fail("empty value"));
    }
    if b.iter().all(u8::is_ascii_digit) {
        if b.len() > 18 {
            return Err(fail("epoch milliseconds out of range"));
        }
        let millis: i128 = value.parse().map_err(|_| fail("bad epoch milliseconds"))?;
        return OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000)
            .map_err(|_| fail("epoch milliseconds out of range"));
    }

    let digits = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let expect = |at: usize, allowed: &[u8]| b.get(at).is_some_and(|c| allowed.contains(c));

    let (Some(year), Some(month), Some(day)) = (digits(0, 4), digits(5, 2), digits(8, 2)) else {
        return Err(fail("expected a YYYY-MM-DD date"));
    };
    if !expect(4, b"-") || !expect(7, b"-") {
        return Err(fail("expected a YYYY-MM-DD date"));
    }
    if !expect(10, b"Tt ") {
        return Err(fail("expected `T` between date and time"));
    }
    let (Some(hour), Some(minute), Some(second)) = (digits(11, 2), digits(14, 2), digits(17, 2))
    else {
        return Err(fail("expected an HH:MM:SS time"));
    };
    if !expect(13, b":") || !expect(16, b":") {
        return Err(fail("expected an HH:MM:SS time"));
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if expect(at, b".,") {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(b[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return Err(fail("empty fraction of a second"));
        }
        for _ in (at - start)..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(at) {
        None => return Err(fail("missing UTC offset")),
        Some(b'Z' | b'z') if at + 1 == b.len() => UtcOffset::UTC,
        Some(&sign @ (b'+' | b'-')) => {
            let rest = &b[at + 1..];
            let (hours, minutes) = match rest.len() {
                2 => (digits(at + 1, 2), Some(0)),
                4 => (digits(at + 1, 2), digits(at + 3, 2)),
                5 if rest[2] == b':' => (digits(at + 1, 2), digits(at + 4, 2)),
                _ => (None, None),
            };
            let (Some(hours), Some(minutes)) = (hours, minutes) else {
                return Err(fail("bad UTC offset"));
            };
            if hours > 23 || minutes > 59 {
                return Err(fail("UTC offset out of range"));
            }
            // At most 23 * 3600 + 59 * 60: no overflow, and it fits an i32.
            let seconds = i32::try_from((hours * 60 + minutes) * 60)
                .map_err(|_| fail("UTC offset out of range"))?;
            let seconds = if sign == b'-' { -seconds } else { seconds };
            UtcOffset::from_whole_seconds(seconds).map_err(|_| fail("UTC offset out of range"))?
        }
        Some(_) => return Err(fail("unexpected text after the time")),
    };

    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| fail("month out of range"))?;
    // `digits` of two characters are at most 99, of four at most 9999: the casts cannot truncate.
    let date = Date::from_calendar_date(year as i32, month, day as u8)
        .map_err(|_| fail("day out of range"))?;
    let time = Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos)
        .map_err(|_| fail("time of day out of range"))?;
    Ok(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

// ------------------------------------------------------------------------------------------------
// Verification (A1, A4)
// ------------------------------------------------------------------------------------------------

/// Why a gateway response or notification was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderVerifyError {
    /// Neither the signature nor the time header is present, and this message may not be
    /// unsigned (always the case for notifications; for responses when no
    /// [`UnsignedAllowance`] is configured).
    #[error("unsigned {kind}: neither the signature header nor the time header is present")]
    MissingHeaders {
        /// `response` or `notification`.
        kind: &'static str,
    },
    /// Exactly one of the signature and time headers is present.
    #[error("incomplete signature headers: the {present} header is present but the {missing} header is missing")]
    IncompleteHeaders {
        /// The header that is present (`signature` or `time`).
        present: &'static str,
        /// The header that is missing.
        missing: &'static str,
    },
    /// An unsigned response whose status is not one of the values allowed unsigned (for
    /// Alipay+: anything but `F` or `U`, e.g. `S`).
    #[error("unsigned response with status {status:?} at `{path}` rejected: only {allowed} may be unsigned")]
    UnsignedSuccess {
        /// The status value found, shortened.
        status: String,
        /// The configured status field, `/`-joined.
        path: String,
        /// The configured allowed values, `|`-joined.
        allowed: String,
    },
    /// An unsigned response whose status cannot be read: the body is not JSON, the status field
    /// is missing, not a string, or occurs twice.
    #[error("unsigned response rejected: {reason}")]
    UnsignedUnreadable {
        /// What is wrong with the body.
        reason: String,
    },
    /// The `Signature` header value is malformed or names an unsupported algorithm.
    #[error("bad signature header: {0}")]
    BadHeader(#[from] HeaderError),
    /// No public key was configured.
    #[error("no gateway public key configured")]
    NoKeys,
    /// The signature verifies with none of the configured public keys.
    #[error("signature ({length} bytes) does not verify with any of the {keys} configured gateway public key(s)")]
    BadSignature {
        /// Length of the decoded signature.
        length: usize,
        /// Number of keys tried.
        keys: usize,
    },
    /// The (signed) notification time cannot be read as an instant.
    #[error("unreadable notification time: {0}")]
    UnparseableTime(#[from] TimeError),
    /// The (signed) notification time is too far from the current time.
    #[error("stale notification: request time is {skew_seconds} s away from now, at most {tolerance_seconds} s allowed")]
    StaleTimestamp {
        /// `now - request time` in whole seconds (positive: the request time is in the past).
        skew_seconds: i64,
        /// The tolerance in whole seconds.
        tolerance_seconds: i64,
    },
}

/// Which unsigned responses may be accepted as untrusted non-success results (rule A1).
///
/// For Alipay+: `status_path: &["result", "resultStatus"]`, `allowed: &["F", "U"]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsignedAllowance<'a> {
    /// Member names leading from the top-level JSON object to the status string.
    pub status_path: &'a [&'a str],
    /// Status values (exact, case-sensitive) for which an unsigned response is accepted.
    pub allowed: &'a [&'a str],
}

/// A response to one of our requests, as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseCheck<'a> {
    /// Method of the request that was sent (e.g. `POST`).
    pub method: &'a str,
    /// Path of the request that was sent (no host, no query).
    pub path: &'a str,
    /// Our client id.
    pub client_id: &'a str,
    /// Value of the `response-time` header; `None` when absent.
    pub response_time: Option<&'a str>,
    /// Value of the `signature` header; `None` when absent.
    pub signature_header: Option<&'a str>,
    /// The exact body bytes received.
    pub body: &'a [u8],
    /// When both headers are absent, which responses may be accepted as untrusted results;
    /// `None` rejects every unsigned response.
    pub unsigned_allowance: Option<UnsignedAllowance<'a>>,
}

/// A notification (a request pushed to us by the gateway), as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationCheck<'a> {
    /// Method of the notification request (e.g. `POST`).
    pub method: &'a str,
    /// Our own endpoint path the notification was sent to (no host, no query).
    pub path: &'a str,
    /// Value of the `client-id` header.
    pub client_id: &'a str,
    /// Value of the `request-time` header; `None` when absent.
    pub request_time: Option<&'a str>,
    /// Value of the `signature` header; `None` when absent.
    pub signature_header: Option<&'a str>,
    /// The exact body bytes received.
    pub body: &'a [u8],
}

/// A message whose signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedMessage {
    /// The exact body bytes that were signed.
    pub body: Vec<u8>,
    /// The time header value that was signed, as sent.
    pub time: String,
    /// Index into the given key slice of the (first) key that verified.
    pub key_index: usize,
    /// The `keyVersion` item of the header, as sent (informational only).
    pub key_version: Option<String>,
}

/// An unsigned response accepted under an [`UnsignedAllowance`]: **untrusted**. Treat it only as
/// "failed or unknown", never as success data; inquire or retry to learn the real outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsignedResponse {
    /// The status value found (one of the allowed values).
    pub status: String,
    /// The body as received (unauthenticated).
    pub body: Vec<u8>,
}

/// Outcome of [`verify_response`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseVerdict {
    /// The signature verified: the body is authentic gateway data.
    Signed(SignedMessage),
    /// No signature at all, but an allowed non-success status: untrusted failure/unknown result.
    UnsignedNonSuccess(UnsignedResponse),
}

impl ResponseVerdict {
    /// `true` for [`ResponseVerdict::Signed`].
    pub fn is_signed(&self) -> bool {
        matches!(self, ResponseVerdict::Signed(_))
    }

    /// The signed message, or `None` for an unsigned non-success response.
    pub fn signed(&self) -> Option<&SignedMessage> {
        match self {
            ResponseVerdict::Signed(message) => Some(message),
            ResponseVerdict::UnsignedNonSuccess(_) => None,
        }
    }

    /// The body bytes (authentic only when [`ResponseVerdict::is_signed`]).
    pub fn body(&self) -> &[u8] {
        match self {
            ResponseVerdict::Signed(message) => &message.body,
            ResponseVerdict::UnsignedNonSuccess(response) => &response.body,
        }
    }
}

/// Verifies a response to one of our requests (rules A1–A4).
///
/// * Both headers absent: accepted as [`ResponseVerdict::UnsignedNonSuccess`] only when the
///   body is JSON and the configured status field holds an allowed value.
/// * Exactly one present: rejected.
/// * Both present: the header is parsed (A2, A3) and the content
///   `<method> <path>\n<client_id>.<response_time>.<body>` must verify (SHA-256 PKCS#1 v1.5)
///   with any of `keys`.
pub fn verify_response(
    check: &ResponseCheck<'_>,
    keys: &[PublicKey],
) -> Result<Verified<ResponseVerdict>, HeaderVerifyError> {
    match (check.signature_header, check.response_time) {
        (None, None) => {
            let allowance = check
                .unsigned_allowance
                .ok_or(HeaderVerifyError::MissingHeaders { kind: "response" })?;
            let status = unsigned_status(check.body, &allowance)?;
            Ok(Verified::new(ResponseVerdict::UnsignedNonSuccess(
                UnsignedResponse {
                    status,
                    body: check.body.to_vec(),
                },
            )))
        }
        (Some(header), Some(time)) => verify_signed(
            check.method,
            check.path,
            check.client_id,
            time,
            header,
            check.body,
            keys,
        )
        .map(|message| Verified::new(ResponseVerdict::Signed(message))),
        (Some(_), None) => Err(incomplete("signature", "time")),
        (None, Some(_)) => Err(incomplete("time", "signature")),
    }
}

/// Verifies a notification pushed to our endpoint (rules A1–A4, unsigned never accepted), then
/// its freshness: the signed `request-time` must be readable by [`parse_request_time`] and at
/// most `tolerance` away from `now` in either direction (see [`DEFAULT_NOTIFICATION_TOLERANCE`]).
pub fn verify_notification(
    check: &NotificationCheck<'_>,
    keys: &[PublicKey],
    now: OffsetDateTime,
    tolerance: time::Duration,
) -> Result<Verified<SignedMessage>, HeaderVerifyError> {
    let (header, time) = match (check.signature_header, check.request_time) {
        (None, None) => {
            return Err(HeaderVerifyError::MissingHeaders {
                kind: "notification",
            })
        }
        (Some(_), None) => return Err(incomplete("signature", "time")),
        (None, Some(_)) => return Err(incomplete("time", "signature")),
        (Some(header), Some(time)) => (header, time),
    };
    let message = verify_signed(
        check.method,
        check.path,
        check.client_id,
        time,
        header,
        check.body,
        keys,
    )?;
    let sent = parse_request_time(time)?;
    let skew = now - sent;
    if skew.abs() > tolerance {
        return Err(HeaderVerifyError::StaleTimestamp {
            skew_seconds: skew.whole_seconds(),
            tolerance_seconds: tolerance.whole_seconds(),
        });
    }
    Ok(Verified::new(message))
}

fn incomplete(present: &'static str, missing: &'static str) -> HeaderVerifyError {
    HeaderVerifyError::IncompleteHeaders { present, missing }
}

/// Rules A2–A4 for a message that carries both headers.
fn verify_signed(
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    header: &str,
    body: &[u8],
    keys: &[PublicKey],
) -> Result<SignedMessage, HeaderVerifyError> {
    if keys.is_empty() {
        return Err(HeaderVerifyError::NoKeys);
    }
    let parsed = parse_signature_header(header)?;
    let content = content_to_sign(method, path, client_id, time, body);
    let key_index = keys
        .iter()
        .position(|key| key.verify(DigestAlgorithm::Sha256, &content, &parsed.signature))
        .ok_or(HeaderVerifyError::BadSignature {
            length: parsed.signature.len(),
            keys: keys.len(),
        })?;
    Ok(SignedMessage {
        body: body.to_vec(),
        time: time.to_owned(),
        key_index,
        key_version: parsed.key_version,
    })
}

/// Reads the status of an unsigned response and checks it against the allowance.
fn unsigned_status(
    body: &[u8],
    allowance: &UnsignedAllowance<'_>,
) -> Result<String, HeaderVerifyError> {
    let path = allowance.status_path.join("/");
    let unreadable = |reason: String| HeaderVerifyError::UnsignedUnreadable { reason };
    let mut de = serde_json::Deserializer::from_slice(body);
    let lookup = PathSeed {
        path: allowance.status_path,
    }
    .deserialize(&mut de)
    .and_then(|found| de.end().map(|()| found))
    .map_err(|e| unreadable(format!("body is not JSON: {e}")))?;
    match lookup {
        Lookup::Found(status) if allowance.allowed.contains(&status.as_str()) => Ok(status),
        Lookup::Found(status) => Err(HeaderVerifyError::UnsignedSuccess {
            status: echo(&status),
            path,
            allowed: allowance.allowed.join("|"),
        }),
        Lookup::NotAString => Err(unreadable(format!("status `{path}` is not a string"))),
        Lookup::Missing => Err(unreadable(format!("status `{path}` is missing"))),
        Lookup::Duplicate => Err(unreadable(format!(
            "status `{path}` is ambiguous (a member on its path occurs twice)"
        ))),
    }
}

/// Result of looking up a member path in a JSON document.
enum Lookup {
    Found(String),
    NotAString,
    Missing,
    Duplicate,
}

/// Follows `path` through nested objects while deserializing, skipping everything else, and
/// notices duplicate members along the path (which `serde_json::Value` would silently merge).
struct PathSeed<'p> {
    path: &'p [&'p str],
}

impl<'de> DeserializeSeed<'de> for PathSeed<'_> {
    type Value = Lookup;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Lookup, D::Error> {
        deserializer.deserialize_any(PathVisitor { path: self.path })
    }
}

struct PathVisitor<'p> {
    path: &'p [&'p str],
}

impl PathVisitor<'_> {
    /// Outcome for a value that is not what the path needs at this point.
    fn mismatch(&self) -> Lookup {
        if self.path.is_empty() {
            Lookup::NotAString
        } else {
            Lookup::Missing
        }
    }
}

impl<'de> Visitor<'de> for PathVisitor<'_> {
    type Value = Lookup;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Lookup, E> {
        Ok(if self.path.is_empty() {
            Lookup::Found(value.to_owned())
        } else {
            Lookup::Missing
        })
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Lookup, E> {
        Ok(self.mismatch())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Lookup, E> {
        Ok(self.mismatch())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Lookup, E> {
        Ok(self.mismatch())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Lookup, E> {
        Ok(self.mismatch())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Lookup, E> {
        Ok(self.mismatch())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lookup, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.mismatch())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lookup, A::Error> {
        let Some((head, rest)) = self.path.split_first() else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Lookup::NotAString);
        };
        let mut found: Option<Lookup> = None;
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if name == *head {
                if found.is_some() {
                    map.next_value::<IgnoredAny>()?;
                    found = Some(Lookup::Duplicate);
                } else {
                    found = Some(map.next_value_seed(PathSeed { path: rest })?);
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found.unwrap_or(Lookup::Missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const SIG_B64: &str = "q+/w";
    const SIG_BYTES: [u8; 3] = [0xab, 0xef, 0xf0];

    fn header(signature: &[u8]) -> SignatureHeader {
        SignatureHeader {
            algorithm: Some("RSA256".into()),
            key_version: Some("1".into()),
            signature: signature.to_vec(),
        }
    }

    fn check_header(value: &str, expected: Result<SignatureHeader, HeaderError>) {
        assert_eq!(parse_signature_header(value), expected, "header {value:?}");
    }

    #[test]
    fn header_parsing_accepts() {
        let ok = || Ok(header(&SIG_BYTES));
        check_header("algorithm=RSA256,keyVersion=1,signature=q%2B%2Fw", ok());
        // Lowercase hex in escapes.
        check_header("algorithm=RSA256,keyVersion=1,signature=q%2b%2fw", ok());
        // Spaces and tabs around items.
        check_header(
            "algorithm=RSA256, keyVersion=1,\tsignature=q%2B%2Fw \t",
            ok(),
        );
        check_header(
            " \talgorithm=RSA256 ,keyVersion=1 , signature=q%2B%2Fw",
            ok(),
        );
        // Raw, not percent-encoded base64: `+` is not a space.
        check_header(
            &format!("algorithm=RSA256,keyVersion=1,signature={SIG_B64}"),
            ok(),
        );
        // Names are case-insensitive, the algorithm value too; order does not matter.
        check_header("SIGNATURE=q%2B%2Fw,KeyVersion=1,Algorithm=rsa256", {
            let mut h = header(&SIG_BYTES);
            h.algorithm = Some("rsa256".into());
            Ok(h)
        });
        // Missing algorithm means RSA256; missing keyVersion is fine; unknown names are ignored.
        check_header(
            "signature=q%2B%2Fw,foo=bar",
            Ok(SignatureHeader {
                algorithm: None,
                key_version: None,
                signature: SIG_BYTES.to_vec(),
            }),
        );
        // Split at the first `=` only: the padding stays part of the value.
        check_header(
            "signature=AA==",
            Ok(SignatureHeader {
                algorithm: None,
                key_version: None,
                signature: vec![0],
            }),
        );
        check_header("keyVersion=7,signature=AA%3d%3D", {
            Ok(SignatureHeader {
                algorithm: None,
                key_version: Some("7".into()),
                signature: vec![0],
            })
        });
    }

    #[test]
    fn header_parsing_rejects() {
        use HeaderError::*;
        check_header(
            "algorithm=ECC224,keyVersion=1,signature=q%2B%2Fw",
            Err(UnsupportedAlgorithm {
                algorithm: "ECC224".into(),
            }),
        );
        check_header(
            "algorithm=,signature=q%2B%2Fw",
            Err(UnsupportedAlgorithm {
                algorithm: String::new(),
            }),
        );
        check_header(
            "algorithm=RSA256,signature=q%2B%2Fw,Signature=q%2B%2Fw",
            Err(DuplicateItem {
                name: "signature".into(),
            }),
        );
        check_header(
            "keyVersion=1,keyversion=2,signature=q%2B%2Fw",
            Err(DuplicateItem {
                name: "keyversion".into(),
            }),
        );
        check_header(
            "algorithm=RSA256,keyVersion,signature=q%2B%2Fw",
            Err(ItemWithoutEquals { item: 2 }),
        );
        check_header(
            "algorithm=RSA256,signature=q%2B%2Fw,",
            Err(ItemWithoutEquals { item: 3 }),
        );
        check_header("", Err(ItemWithoutEquals { item: 1 }));
        check_header("algorithm=RSA256,keyVersion=1", Err(MissingSignature));
        check_header("algorithm=RSA256,signature=", Err(EmptySignature));
        check_header("signature= \t", Err(EmptySignature));
        // A space around `=` belongs to the name, which is then unknown.
        check_header("signature =q%2B%2Fw", Err(MissingSignature));
        check_header("signature=q%2B%2", Err(BadPercentEncoding { position: 4 }));
        check_header(
            "signature=q%2B%2Fw%",
            Err(BadPercentEncoding { position: 8 }),
        );
        check_header(
            "signature=q%2B%zzw",
            Err(BadPercentEncoding { position: 4 }),
        );
        check_header(
            "signature=q%+B%2Fw",
            Err(BadPercentEncoding { position: 1 }),
        );
        for bad in [
            "signature=q%2B %2Fw",   // whitespace inside
            "signature=q%2B%0A%2Fw", // encoded newline inside
            "signature=q%20%2B%2Fw", // encoded space inside
            "signature=AA",          // missing padding
            "signature=AA=",         // short padding
            "signature=AA===",       // excess padding
            "signature=q-_w",        // URL-safe alphabet
            "signature=AB==",        // non-canonical trailing bits
            "signature=q%2B%2Fw%3D", // padding after a full quantum
            "signature=%C3%A9AA=",   // non-ASCII
        ] {
            assert!(
                matches!(parse_signature_header(bad), Err(BadBase64 { .. })),
                "{bad:?} should be bad base64, got {:?}",
                parse_signature_header(bad)
            );
        }
    }

    /// Issue 9, defect 5: an 80,000-item header (629 KB) took 8.2 s to parse (a quadratic
    /// duplicate check). Length and item count are now bounded before parsing.
    #[test]
    fn huge_headers_are_refused_before_parsing() {
        let items: Vec<String> = (0..80_000).map(|i| format!("x{i}=1")).collect();
        let attack = format!("{},signature=q%2B%2Fw", items.join(","));
        assert_eq!(
            parse_signature_header(&attack),
            Err(HeaderError::TooLong {
                size: attack.len(),
                limit: MAX_SIGNATURE_HEADER_BYTES
            })
        );
        // Many short items within the length limit.
        let many = format!(
            "{}signature=q%2B%2Fw",
            "a=1,".repeat(MAX_SIGNATURE_HEADER_ITEMS)
        );
        assert_eq!(
            parse_signature_header(&many),
            Err(HeaderError::TooManyItems {
                limit: MAX_SIGNATURE_HEADER_ITEMS
            })
        );
        // Up to the limits, unknown items are still ignored.
        let at_limit: String = (0..MAX_SIGNATURE_HEADER_ITEMS - 3)
            .map(|i| format!("u{i}=1,"))
            .collect::<String>()
            + "algorithm=RSA256,keyVersion=1,signature=q%2B%2Fw";
        check_header(&at_limit, Ok(header(&SIG_BYTES)));
        let four_k = format!(
            "algorithm=RSA256,keyVersion=1,signature={}",
            "%2B".repeat(684)
        );
        assert!(four_k.len() < MAX_SIGNATURE_HEADER_BYTES);
    }

    /// A value of exactly the limit is parsed (and judged on its content); one byte more is not.
    #[test]
    fn header_length_limit_is_inclusive() {
        let pad = |len: usize| {
            let head = "signature=q%2B%2Fw,x=";
            format!("{head}{}", "y".repeat(len - head.len()))
        };
        let at_limit = pad(MAX_SIGNATURE_HEADER_BYTES);
        assert_eq!(at_limit.len(), MAX_SIGNATURE_HEADER_BYTES);
        assert!(parse_signature_header(&at_limit).is_ok());
        assert!(matches!(
            parse_signature_header(&pad(MAX_SIGNATURE_HEADER_BYTES + 1)),
            Err(HeaderError::TooLong { .. })
        ));
    }

    /// What the path lookup says it expects, in the error of a non-JSON deserializer.
    #[test]
    fn path_visitor_says_what_it_expects() {
        let visitor = PathVisitor { path: &["result"] };
        assert_eq!(
            (&visitor as &dyn de::Expected).to_string(),
            "any JSON value"
        );
    }

    /// `%XX` decodes in either hex case.
    #[test]
    fn percent_escapes_decode_in_both_cases() {
        let upper = parse_signature_header("signature=q%2B%2Fw").expect("upper");
        let lower = parse_signature_header("signature=q%2b%2fw").expect("lower");
        assert_eq!(upper.signature, SIG_BYTES.to_vec());
        assert_eq!(lower.signature, SIG_BYTES.to_vec());
    }

    #[test]
    fn errors_do_not_echo_long_input() {
        let long = "x".repeat(500);
        let err = parse_signature_header(&format!("algorithm={long},signature=AA==")).unwrap_err();
        assert!(err.to_string().len() < 150, "{err}");
        let err = parse_request_time(&long).unwrap_err();
        assert!(err.to_string().len() < 250, "{err}");
    }

    fn check_time(value: &str, expected: Option<OffsetDateTime>) {
        let got = parse_request_time(value);
        match expected {
            Some(t) => {
                let got = got.unwrap_or_else(|e| panic!("{value:?}: {e}"));
                assert_eq!(got, t, "{value:?}");
                assert_eq!(got.offset(), t.offset(), "{value:?}");
            }
            None => assert!(got.is_err(), "{value:?} should not parse, got {got:?}"),
        }
    }

    /// A verdict says whether it was signed, and keeps the exact body either way.
    #[test]
    fn verdicts_say_whether_they_were_signed_and_keep_the_body() {
        let key = PrivateKey::generate(crate::Backend::default(), 1024).expect("key");
        let keys = [key.public_key()];
        let body = br#"{"result":{"resultStatus":"F"}}"#;
        let time = "2024-01-01T12:00:00+08:00";
        let signed = sign(&key, "POST", "/p", "C1", time, body, 1).expect("signs");
        let check =
            |signature: Option<&'static str>, response_time: Option<&'static str>| ResponseCheck {
                method: "POST",
                path: "/p",
                client_id: "C1",
                response_time,
                signature_header: signature,
                body,
                unsigned_allowance: Some(UnsignedAllowance {
                    status_path: &["result", "resultStatus"],
                    allowed: &["F", "U"],
                }),
            };
        let header: &'static str = Box::leak(signed.header.into_boxed_str());
        let verdict = verify_response(&check(Some(header), Some(time)), &keys)
            .expect("signed")
            .into_inner();
        assert!(verdict.is_signed());
        assert_eq!(verdict.body(), body);
        assert_eq!(verdict.signed().map(|m| m.body.as_slice()), Some(&body[..]));
        let verdict = verify_response(&check(None, None), &keys)
            .expect("allowed unsigned")
            .into_inner();
        assert!(!verdict.is_signed());
        assert_eq!(verdict.body(), body);
        assert_eq!(verdict.signed(), None);
    }

    /// Edges found by mutation testing: zero-padded 18-digit epoch milliseconds, each separator
    /// on its own, a 5-character offset without `:`, the largest offsets.
    #[test]
    fn time_parsing_edges() {
        check_time(
            "000000000000000001",
            Some(datetime!(1970-01-01 00:00:00.001 UTC)),
        );
        let reason = |v: &str| parse_request_time(v).map_err(|e| e.reason).err();
        assert_eq!(
            reason(&"9".repeat(19)),
            Some("epoch milliseconds out of range")
        );
        assert_eq!(
            reason(&"9".repeat(40)),
            Some("epoch milliseconds out of range")
        );
        for bad in [
            "2024-01/01T12:00:00Z",
            "2024/01-01T12:00:00Z",
            "2024-01-01T12:00-00Z",
            "2024-01-01T12-00:00Z",
            "2024-01-01T12:00:00+08x00",
        ] {
            check_time(bad, None);
        }
        check_time(
            "2024-01-01T12:00:00+23:00",
            Some(datetime!(2024-01-01 12:00 +23)),
        );
        check_time(
            "2024-01-01T12:00:00-23:59",
            Some(datetime!(2024-01-01 12:00 -23:59)),
        );
    }

    #[test]
    fn time_parsing() {
        check_time(
            "2024-01-01T12:00:00+08:00",
            Some(datetime!(2024-01-01 12:00 +8)),
        );
        check_time(
            "2024-03-15T02:05:00+0000",
            Some(datetime!(2024-03-15 02:05 UTC)),
        );
        check_time(
            "2024-03-15T02:05:00-0530",
            Some(datetime!(2024-03-15 02:05 -5:30)),
        );
        check_time(
            "2024-03-15T02:05:00+07",
            Some(datetime!(2024-03-15 02:05 +7)),
        );
        check_time(
            "2024-03-15T02:10:00.1234567Z",
            Some(datetime!(2024-03-15 02:10:00.1234567 UTC)),
        );
        check_time(
            "2024-03-15T10:20:00.5+08:00",
            Some(datetime!(2024-03-15 10:20:00.5 +8)),
        );
        check_time(
            "2024-03-15t10:20:00,123456789123z",
            Some(datetime!(2024-03-15 10:20:00.123456789 UTC)),
        );
        check_time(
            "2024-03-15 10:20:00Z",
            Some(datetime!(2024-03-15 10:20 UTC)),
        );
        check_time("1704081600000", Some(datetime!(2024-01-01 04:00 UTC)));
        check_time("0", Some(datetime!(1970-01-01 0:00 UTC)));
        for bad in [
            "",
            "2024-01-01T12:00:00",
            "2024-01-01T12:00:00+8:00",
            "2024-01-01T12:00:00+08:0",
            "2024-01-01T12:00:00+24:00",
            "2024-01-01T12:00:00.+08:00",
            "2024-01-01T12:00:00Z ",
            " 2024-01-01T12:00:00Z",
            "2024-01-01T12:00:00ZZ",
            "2024-02-30T12:00:00Z",
            "2024-13-01T12:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T12:00:60Z",
            "2024-01-01T12:00Z",
            "2024/01/01T12:00:00Z",
            "20240101T120000Z",
            "-1704081600000",
            "1704081600000.5",
            "99999999999999999999999",
            "yesterday",
        ] {
            check_time(bad, None);
        }
    }

    fn check_status(body: &str, expected: Result<&str, &str>) {
        let allowance = UnsignedAllowance {
            status_path: &["result", "resultStatus"],
            allowed: &["F", "U"],
        };
        match (unsigned_status(body.as_bytes(), &allowance), expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "body {body}"),
            (Err(err), Err(want)) => {
                assert!(err.to_string().contains(want), "body {body}: {err}")
            }
            (got, want) => panic!("body {body}: got {got:?}, expected {want:?}"),
        }
    }

    #[test]
    fn unsigned_status_lookup() {
        check_status(r#"{"result":{"resultStatus":"F"}}"#, Ok("F"));
        check_status(
            r#" {"a":[1,{"result":{}}],"result":{"x":null,"resultStatus":"\u0055"}} "#,
            Ok("U"),
        );
        check_status(r#"{"result":{"resultStatus":"S"}}"#, Err("\"S\""));
        check_status(r#"{"result":{"resultStatus":"f"}}"#, Err("\"f\""));
        check_status(r#"{"result":{"resultStatus":" F"}}"#, Err("\" F\""));
        check_status(r#"{"result":{"resultCode":"X"}}"#, Err("missing"));
        check_status(r#"{"resultStatus":"F"}"#, Err("missing"));
        check_status(r#"{"result":"F"}"#, Err("missing"));
        check_status(r#"{"result":{"resultStatus":1}}"#, Err("not a string"));
        check_status(r#"{"result":{"resultStatus":["F"]}}"#, Err("not a string"));
        check_status(
            r#"{"result":{"resultStatus":{"F":1}}}"#,
            Err("not a string"),
        );
        check_status(r#"[{"result":{"resultStatus":"F"}}]"#, Err("missing"));
        check_status(
            r#"{"result":{"resultStatus":"S","resultStatus":"F"}}"#,
            Err("ambiguous"),
        );
        check_status(
            r#"{"result":{"resultStatus":"F"},"result":{"resultStatus":"S"}}"#,
            Err("ambiguous"),
        );
        check_status(r#"{"result":{"resultStatus":"F"}"#, Err("not JSON"));
        check_status(r#"{"result":{"resultStatus":"F"}} x"#, Err("not JSON"));
        check_status("", Err("not JSON"));
        check_status("resultStatus=F", Err("not JSON"));
    }

    #[test]
    fn content_layout() {
        assert_eq!(
            content_to_sign("POST", "/p", "C", "1", b"{\r\n}\n"),
            b"POST /p\nC.1.{\r\n}\n".to_vec()
        );
        assert_eq!(content_to_sign("", "", "", "", b""), b" \n..".to_vec());
    }

    #[test]
    fn encode_set_covers_exactly_plus_slash_equals() {
        let all = "ABCXYZabcxyz0189+/=";
        assert_eq!(
            utf8_percent_encode(all, SIGNATURE_ENCODE_SET).to_string(),
            "ABCXYZabcxyz0189%2B%2F%3D"
        );
    }
}

/// How far a verified JSON message can be trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The gateway's signature over the exact body verified.
    Signed,
    /// An unsigned response the rules accept only because its status (`status`) is a failure or
    /// unknown one: treat it as "failed" or "inquire", never as success data.
    UnsignedNonSuccess {
        /// The status value found (e.g. `F` or `U`).
        status: String,
    },
}

/// A verified JSON response or notification, typed.
#[derive(Clone, Debug)]
pub struct JsonMessage<T> {
    /// The typed body.
    pub data: T,
    /// Whether the body was signed.
    pub trust: Trust,
    /// The body exactly as received.
    pub body: Vec<u8>,
}

/// Why a JSON response or notification was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JsonMessageError {
    /// The HTTP status was not a success.
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// Headers or signature rejected.
    #[error(transparent)]
    Verify(#[from] HeaderVerifyError),
    /// The message verified but its body does not have the spec's shape.
    #[error("verified body of `{operation}` does not match its spec: {message}")]
    Decode {
        /// Operation or notification name.
        operation: String,
        /// serde's message.
        message: String,
    },
}

fn decode<T: serde::de::DeserializeOwned>(
    body: &[u8],
    operation: &str,
) -> Result<T, JsonMessageError> {
    // Bounded before typing: the lenient decoder reads nested members one level at a time.
    crate::sorted_params::check_document_bounds(body).map_err(|e| JsonMessageError::Decode {
        operation: operation.to_owned(),
        message: e.to_string(),
    })?;
    serde_json::from_slice(body).map_err(|e| JsonMessageError::Decode {
        operation: operation.to_owned(),
        message: e.to_string(),
    })
}

/// The value of header `name` (case-insensitive), if present and valid text.
pub fn header_value<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// [`verify_response`], then parses the body into `T`.
pub fn verify_typed_response<T: serde::de::DeserializeOwned>(
    check: &ResponseCheck<'_>,
    keys: &[PublicKey],
    operation: &str,
) -> Result<Verified<JsonMessage<T>>, JsonMessageError> {
    verify_response(check, keys)?.try_map(|verdict| {
        let (trust, body) = match verdict {
            ResponseVerdict::Signed(m) => (Trust::Signed, m.body),
            ResponseVerdict::UnsignedNonSuccess(u) => {
                (Trust::UnsignedNonSuccess { status: u.status }, u.body)
            }
        };
        Ok(JsonMessage {
            data: decode(&body, operation)?,
            trust,
            body,
        })
    })
}

/// [`verify_notification`], then parses the body into `T`.
pub fn verify_typed_notification<T: serde::de::DeserializeOwned>(
    check: &NotificationCheck<'_>,
    keys: &[PublicKey],
    now: OffsetDateTime,
    tolerance: time::Duration,
    name: &str,
) -> Result<Verified<JsonMessage<T>>, JsonMessageError> {
    verify_notification(check, keys, now, tolerance)?.try_map(|m| {
        Ok(JsonMessage {
            data: decode(&m.body, name)?,
            trust: Trust::Signed,
            body: m.body,
        })
    })
}
