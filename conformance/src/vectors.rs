//! Serde models of the golden-vector files (format: `vectors/README.md`, section 1).

use serde::Deserialize;
use serde_json::Value;

/// `{"scheme": ..., "cases": [...]}`.
#[derive(Debug, Deserialize)]
pub struct VectorFile<C> {
    /// Signature scheme of every case.
    pub scheme: String,
    /// The cases, in file order.
    pub cases: Vec<C>,
}

/// A case of `ksher/request-signing.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KsherSigningCase {
    pub id: String,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
    pub operation: Option<String>,
    pub private_key: String,
    /// Parameter name → string or integer.
    pub params: serde_json::Map<String, Value>,
    pub string_to_sign: String,
    pub sign: String,
}

/// A case of `ksher/response-verification.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KsherVerificationCase {
    pub id: String,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
    pub operation: String,
    pub public_key: String,
    pub body: String,
    pub string_to_verify: Option<String>,
    pub expect: Expect,
    #[serde(default)]
    pub flags: Vec<String>,
}

/// A case of `keys/key-loading.json`: a key file that must load, or must be refused on load.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyLoadingCase {
    pub id: String,
    pub source: String,
    /// Path of the PEM file, relative to the vectors directory.
    pub file: String,
    /// `public` or `private`.
    pub kind: KeyKind,
    pub expect: Expect,
    /// For `reject`: a phrase the error must contain (the reason, not just any error).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Which loader a key-loading case goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Public,
    Private,
}

/// Expected verdict of a verification case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Accept,
    Reject,
}

/// Text form of a vector parameter value: strings as they are, integers in decimal.
pub fn param_text(name: &str, value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
        other => Err(format!(
            "parameter `{name}` must be a string or an integer, found {other}"
        )),
    }
}

/// A case of `alipayplus/request-signing.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlipaySigningCase {
    pub id: String,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
    pub operation: Option<String>,
    pub method: String,
    pub path: String,
    pub client_id: String,
    pub request_time: String,
    pub body: String,
    pub private_key: String,
    pub content_to_sign: String,
    pub signature_base64: String,
    pub signature_urlencoded: String,
    pub signature_header: String,
}

impl AlipaySigningCase {
    /// The `keyVersion` of the expected header (1 if it has none), so signing reproduces it.
    pub fn key_version(&self) -> u32 {
        payspec_runtime::header_signature::parse_signature_header(&self.signature_header)
            .ok()
            .and_then(|h| h.key_version?.parse().ok())
            .unwrap_or(1)
    }
}

/// A case of `alipayplus/response-verification.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlipayVerificationCase {
    pub id: String,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
    pub kind: String,
    pub method: String,
    pub path: String,
    pub client_id: String,
    pub time: Option<String>,
    pub body: String,
    pub public_key: String,
    pub signature_header: Option<String>,
    pub expect: Expect,
    #[serde(default)]
    pub flags: Vec<String>,
}
