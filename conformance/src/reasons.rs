//! Why a `reject` vector must be rejected: one table per API maps the flags a case carries to
//! the kind of error it must produce. Tests, the vector runner and the CLI tests check every
//! rejection against it, so a case rejected for another reason fails.

use payspec_runtime::header_signature::HeaderVerifyError;
use payspec_runtime::sorted_params::{DataVerifyError, ResponseError};

/// The kind of a rejection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Ksher: `code` is not the integer 0 (rule K1).
    ErrorEnvelope,
    /// Ksher: `data` missing or not an object (K1).
    MissingData,
    /// Ksher: `sign` missing, empty, not a string, odd length or not hex (K1).
    MalformedSign,
    /// The signature does not verify (Ksher K3, Alipay+ A4).
    BadSignature,
    /// Ksher: the body is not a gateway document (not JSON, too large, too deep: K0).
    Malformed,
    /// Ksher: the signed string can be re-split (K4, typed verification only).
    AmbiguousSplit,
    /// Alipay+: an unsigned answer that is not allowed unsigned.
    UnsignedSuccess,
    /// Alipay+: one of the signature and time headers without the other.
    IncompleteHeaders,
    /// Alipay+: the `Signature` header is malformed.
    BadHeader,
}

impl Rejection {
    /// A phrase the error's text (and the CLI's `invalid: <reason>`) contains.
    pub fn phrase(self) -> &'static str {
        match self {
            Rejection::ErrorEnvelope => "error envelope",
            Rejection::MissingData => "`data` is missing",
            Rejection::MalformedSign => "`sign` is missing or not a hex string",
            Rejection::BadSignature => "does not verify",
            Rejection::Malformed => "body",
            Rejection::AmbiguousSplit => "ambiguous",
            Rejection::UnsignedSuccess => "unsigned response",
            Rejection::IncompleteHeaders => "incomplete signature headers",
            Rejection::BadHeader => "bad signature header",
        }
    }
}

/// Ksher: flag → rejection, in priority order (the first flag of the table that a case carries
/// decides; e.g. an error envelope with an empty `sign` is an error envelope, checked first).
pub const KSHER_FLAG_REASONS: &[(&str, Rejection)] = &[
    ("ErrorEnvelope", Rejection::ErrorEnvelope),
    ("CodeMissing", Rejection::ErrorEnvelope),
    ("CodeNotInteger", Rejection::ErrorEnvelope),
    ("MissingData", Rejection::MissingData),
    ("MissingSign", Rejection::MalformedSign),
    ("EmptySign", Rejection::MalformedSign),
    ("MalformedSign", Rejection::MalformedSign),
    ("CanonicalResplit", Rejection::AmbiguousSplit),
    ("TruncatedSign", Rejection::BadSignature),
    ("WrongKey", Rejection::BadSignature),
    ("ModifiedData", Rejection::BadSignature),
    ("SignOfOtherResponse", Rejection::BadSignature),
    ("ArrayOrderChanged", Rejection::BadSignature),
];

/// Alipay+: flag → rejection, in priority order.
pub const ALIPAYPLUS_FLAG_REASONS: &[(&str, Rejection)] = &[
    ("IncompleteSignatureHeaders", Rejection::IncompleteHeaders),
    ("UnsignedSuccess", Rejection::UnsignedSuccess),
    ("MalformedSignatureHeader", Rejection::BadHeader),
    ("WrongKey", Rejection::BadSignature),
    ("TruncatedSignature", Rejection::BadSignature),
    ("ModifiedBody", Rejection::BadSignature),
    ("ReformattedBody", Rejection::BadSignature),
    ("WrongPath", Rejection::BadSignature),
    ("WrongClientId", Rejection::BadSignature),
    ("WrongTime", Rejection::BadSignature),
];

/// The rejection a case's flags name, from `table`; `None` if no flag of the table is present
/// (a `reject` case must carry one).
pub fn expected(table: &[(&str, Rejection)], flags: &[String]) -> Option<Rejection> {
    table
        .iter()
        .find(|(flag, _)| flags.iter().any(|f| f == flag))
        .map(|(_, r)| *r)
}

/// Judges one rejection: `Ok` when `got` is the kind the case's `flags` name in `table`;
/// otherwise why not (`error` is the rejection's text, for the message).
pub fn judge(
    table: &[(&str, Rejection)],
    flags: &[String],
    got: Option<Rejection>,
    error: &dyn std::fmt::Display,
) -> Result<(), String> {
    match (expected(table, flags), got) {
        (Some(want), Some(got)) if want == got => Ok(()),
        (None, _) => Err(format!(
            "reject case without a reason flag (rejected: {error})"
        )),
        (Some(want), _) => Err(format!(
            "rejected for another reason: {error} (want {want:?})"
        )),
    }
}

/// The kind of a Ksher verification error.
pub fn ksher_kind(error: &ResponseError) -> Option<Rejection> {
    Some(match error {
        ResponseError::Verify(e) => match e {
            DataVerifyError::ErrorEnvelope { .. } => Rejection::ErrorEnvelope,
            DataVerifyError::MissingData => Rejection::MissingData,
            DataVerifyError::MalformedSign => Rejection::MalformedSign,
            DataVerifyError::BadSignature => Rejection::BadSignature,
            DataVerifyError::Malformed(_)
            | DataVerifyError::TooLarge { .. }
            | DataVerifyError::TooDeep { .. } => Rejection::Malformed,
        },
        ResponseError::AmbiguousSplit { .. } => Rejection::AmbiguousSplit,
        _ => return None,
    })
}

/// The kind of an Alipay+ verification error.
pub fn alipayplus_kind(error: &HeaderVerifyError) -> Option<Rejection> {
    Some(match error {
        HeaderVerifyError::IncompleteHeaders { .. } => Rejection::IncompleteHeaders,
        HeaderVerifyError::UnsignedSuccess { .. } | HeaderVerifyError::MissingHeaders { .. } => {
            Rejection::UnsignedSuccess
        }
        HeaderVerifyError::BadHeader(_) => Rejection::BadHeader,
        HeaderVerifyError::BadSignature { .. } => Rejection::BadSignature,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_follows_the_table() {
        let flags = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            expected(KSHER_FLAG_REASONS, &flags(&["ErrorEnvelope", "EmptySign"])),
            Some(Rejection::ErrorEnvelope)
        );
        assert_eq!(
            expected(
                KSHER_FLAG_REASONS,
                &flags(&["MockGateway", "TruncatedSign"])
            ),
            Some(Rejection::BadSignature)
        );
        assert_eq!(expected(KSHER_FLAG_REASONS, &flags(&["MockGateway"])), None);
    }
}
