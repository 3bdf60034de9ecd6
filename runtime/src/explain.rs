//! Why a signature does not verify: the expected content and digest, what the signature holds,
//! and the first known signing mistake that reproduces the signed digest.
//!
//! Sans-IO and pure, like verification: a [`Subject`] (a Ksher form request or `data` document,
//! or an Alipay+/Antom message), the public key, the signature. The signature is opened with the
//! RSA public operation ([`PublicKey::open_signature`]) to the DER `DigestInfo` the signer
//! signed; then the documented rule and every entry of [`CATALOGUE`] build candidate contents,
//! and the first whose digest is the signed one names the [`Diagnosis`]. A diagnostic only:
//! verification never goes through this module.

use std::fmt;

use crate::sorted_params::DataMember;
use crate::{DigestAlgorithm, PublicKey};

/// A known signing mistake: its stable id (printed as `diagnosis: <id>`) and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mistake {
    /// Stable identifier.
    pub id: &'static str,
    /// What the signer did.
    pub what: &'static str,
    /// The schemes it applies to.
    pub schemes: &'static [Scheme],
}

/// A signature scheme, as far as the catalogue cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Sorted `name=value` parameters (Ksher requests and `data` documents).
    SortedParams,
    /// `POST <path>\n<client>.<time>.<body>` (Alipay+, Antom).
    HeaderRsa,
}

const BOTH: &[Scheme] = &[Scheme::SortedParams, Scheme::HeaderRsa];
const SORTED: &[Scheme] = &[Scheme::SortedParams];
const HEADER: &[Scheme] = &[Scheme::HeaderRsa];

/// Every diagnosis, in the order they are tried after `valid`, `wrong-key` and `wrong-digest`.
pub const CATALOGUE: &[Mistake] = &[
    Mistake {
        id: "url-encoded-values",
        what: "values were URL-encoded before signing (encode only the form body, after signing)",
        schemes: SORTED,
    },
    Mistake {
        id: "not-sorted",
        what: "parameters were signed in the order given, not sorted by name (byte order)",
        schemes: SORTED,
    },
    Mistake {
        id: "sign-included",
        what: "the `sign` parameter itself (empty) was signed; exclude it",
        schemes: SORTED,
    },
    Mistake {
        id: "empty-values-dropped",
        what: "members with an empty or null value were left out of the signed string; sign them as `name=`",
        schemes: SORTED,
    },
    Mistake {
        id: "empty-values-included",
        what: "null members were signed as empty (`name=`) instead of `name=null`",
        schemes: SORTED,
    },
    Mistake {
        id: "json-reformatted",
        what: "the JSON was re-serialized after signing (whitespace, key order or escapes differ from what was signed)",
        schemes: BOTH,
    },
    Mistake {
        id: "crlf",
        what: "the content was signed with CRLF line breaks or a trailing newline the message does not have (or the reverse)",
        schemes: HEADER,
    },
    Mistake {
        id: "wrong-path",
        what: "another path was signed (sandbox prefix, trailing slash, no leading slash or the full URL)",
        schemes: HEADER,
    },
    Mistake {
        id: "wrong-client-id",
        what: "another client id was signed (empty, other case, or with surrounding spaces)",
        schemes: HEADER,
    },
    Mistake {
        id: "wrong-request-time",
        what: "the time was signed in another format than the header carries (the text is signed, not the instant)",
        schemes: HEADER,
    },
];

/// What is being explained.
#[derive(Clone, Debug)]
pub enum Subject {
    /// A sorted-params form request: every parameter as sent, `sign` included or not.
    SortedRequest {
        /// Parameters in the order they were sent.
        params: Vec<(String, String)>,
        /// Name of the signature parameter.
        sign_param: String,
    },
    /// A sorted-params `data` document (response or notification).
    SortedData {
        /// Members of `data` in document order.
        members: Vec<DataMember>,
        /// The signed subset, if the operation signs one.
        signed_fields: Option<Vec<String>>,
    },
    /// A header-rsa message.
    Header {
        /// `POST`.
        method: String,
        /// The request path (response: the request's; notification: your endpoint's).
        path: String,
        /// Client id.
        client_id: String,
        /// The request-time / response-time header value.
        time: String,
        /// The exact body.
        body: Vec<u8>,
        /// Other paths of the API (its operations'): a signature over one of them is `wrong-path`.
        other_paths: Vec<String>,
    },
}

/// The digest algorithm a `DigestInfo` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestName {
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestName {
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            DigestName::Md5 => "MD5",
            DigestName::Sha1 => "SHA-1",
            DigestName::Sha224 => "SHA-224",
            DigestName::Sha256 => "SHA-256",
            DigestName::Sha384 => "SHA-384",
            DigestName::Sha512 => "SHA-512",
        }
    }

    fn of(algorithm: DigestAlgorithm) -> Self {
        match algorithm {
            DigestAlgorithm::Md5 => DigestName::Md5,
            DigestAlgorithm::Sha256 => DigestName::Sha256,
        }
    }
}

/// The DER prefixes of `DigestInfo` (RFC 8017, section 9.2, note 1).
const DIGEST_INFO_PREFIXES: &[(DigestName, &[u8])] = &[
    (
        DigestName::Md5,
        &[
            0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05,
            0x05, 0x00, 0x04, 0x10,
        ],
    ),
    (
        DigestName::Sha1,
        &[
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ],
    ),
    (
        DigestName::Sha224,
        &[
            0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x04, 0x05, 0x00, 0x04, 0x1c,
        ],
    ),
    (
        DigestName::Sha256,
        &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
    ),
    (
        DigestName::Sha384,
        &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
    ),
    (
        DigestName::Sha512,
        &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
    ),
];

/// What a signature holds once opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The DER `DigestInfo` after the RSA public operation and the padding.
    pub digest_info: Vec<u8>,
    /// The algorithm it names, if known.
    pub algorithm: Option<DigestName>,
    /// The digest it carries (the bytes after a known prefix; all of it otherwise).
    pub digest: Vec<u8>,
}

impl Opened {
    fn parse(digest_info: Vec<u8>) -> Self {
        for (name, prefix) in DIGEST_INFO_PREFIXES {
            if let Some(digest) = digest_info.strip_prefix(*prefix) {
                let digest = digest.to_vec();
                return Opened {
                    digest_info,
                    algorithm: Some(*name),
                    digest,
                };
            }
        }
        Opened {
            digest: digest_info.clone(),
            digest_info,
            algorithm: None,
        }
    }
}

/// The verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Diagnosis {
    /// The signature is valid for the documented content.
    Valid,
    /// The signature does not open with this key.
    WrongKey,
    /// The signature is not as long as this key's signatures (truncated, or not a signature):
    /// reported as `unknown`.
    BadLength {
        /// Its length in bytes.
        got: usize,
        /// The key's signature length.
        want: usize,
    },
    /// The signature carries another digest algorithm than the scheme's.
    WrongDigest {
        /// The algorithm the signature names (`None`: not a known `DigestInfo`).
        found: Option<DigestName>,
        /// The scheme's algorithm.
        expected: DigestName,
    },
    /// A catalogue mistake reproduces the signed digest.
    Mistake(&'static Mistake),
    /// One member's value differs from what was signed (found with the intended values).
    ParamChanged(String),
    /// Nothing reproduces the signed digest.
    Unknown,
}

impl Diagnosis {
    /// The stable id printed on the `diagnosis:` line.
    pub fn id(&self) -> String {
        match self {
            Diagnosis::Valid => "valid".into(),
            Diagnosis::WrongKey => "wrong-key".into(),
            Diagnosis::WrongDigest { .. } => "wrong-digest".into(),
            Diagnosis::Mistake(m) => m.id.into(),
            Diagnosis::ParamChanged(name) => format!("param-changed:{name}"),
            Diagnosis::Unknown | Diagnosis::BadLength { .. } => "unknown".into(),
        }
    }

    /// One sentence on what happened.
    pub fn what(&self) -> String {
        match self {
            Diagnosis::Valid => "the signature is valid for the documented content".into(),
            Diagnosis::WrongKey => "the signature does not open with this public key: another key signed it (or it is not a signature of this key's size)".into(),
            Diagnosis::WrongDigest { found, expected } => format!(
                "the signer used {} where the scheme uses {}",
                found.map_or("an unknown digest", DigestName::name),
                expected.name()
            ),
            Diagnosis::Mistake(m) => m.what.into(),
            Diagnosis::ParamChanged(name) => {
                format!("`{name}` was signed with another value than the message carries")
            }
            Diagnosis::Unknown => "no known mistake reproduces the signed digest (another content was signed)".into(),
            Diagnosis::BadLength { got, want } => format!(
                "the signature is {got} bytes, this key's signatures are {want}: it was truncated or is not a signature of this key"
            ),
        }
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// The whole explanation.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// The content the documented rule signs.
    pub expected_content: Vec<u8>,
    /// Its digest with the scheme's algorithm.
    pub expected_digest: Vec<u8>,
    /// The scheme's algorithm.
    pub algorithm: DigestAlgorithm,
    /// What the signature holds (`None`: it does not open with the key).
    pub opened: Option<Opened>,
    /// The content that reproduces the signed digest, when a mistake was found.
    pub signed_content: Option<Vec<u8>>,
    /// The verdict.
    pub diagnosis: Diagnosis,
}

/// Explains `signature` over `subject`. `intended` (name, value) pairs are the values the
/// signer meant to send; with them a changed member is found (`param-changed:<name>`).
pub fn explain(
    subject: &Subject,
    algorithm: DigestAlgorithm,
    key: &PublicKey,
    signature: &[u8],
    intended: Option<&[(String, String)]>,
) -> Explanation {
    let expected_content = content(subject);
    let expected_digest = algorithm.hash(&expected_content);
    let mut explanation = Explanation {
        expected_content,
        expected_digest,
        algorithm,
        opened: None,
        signed_content: None,
        diagnosis: Diagnosis::WrongKey,
    };
    // A signature of another standard RSA size is another key's; any other length was cut.
    if signature.len() != key.modulus_bytes() && [64, 128, 256, 384, 512].contains(&signature.len())
    {
        return explanation;
    }
    if signature.len() != key.modulus_bytes() {
        explanation.diagnosis = Diagnosis::BadLength {
            got: signature.len(),
            want: key.modulus_bytes(),
        };
        return explanation;
    }
    let Some(info) = key.open_signature(signature) else {
        return explanation;
    };
    let opened = Opened::parse(info);
    let expected = DigestName::of(algorithm);
    let signed_digest = opened.digest.clone();
    let found = opened.algorithm;
    explanation.opened = Some(opened);
    if found != Some(expected) {
        explanation.diagnosis = Diagnosis::WrongDigest { found, expected };
        return explanation;
    }
    if signed_digest == explanation.expected_digest {
        explanation.diagnosis = Diagnosis::Valid;
        return explanation;
    }
    let scheme = match subject {
        Subject::Header { .. } => Scheme::HeaderRsa,
        _ => Scheme::SortedParams,
    };
    for mistake in CATALOGUE.iter().filter(|m| m.schemes.contains(&scheme)) {
        for candidate in candidates(mistake.id, subject) {
            if algorithm.hash(&candidate) == signed_digest {
                explanation.signed_content = Some(candidate);
                explanation.diagnosis = Diagnosis::Mistake(mistake);
                return explanation;
            }
        }
    }
    for (name, value) in intended.unwrap_or_default() {
        if let Some(candidate) = with_value(subject, name, value) {
            if algorithm.hash(&candidate) == signed_digest {
                explanation.signed_content = Some(candidate);
                explanation.diagnosis = Diagnosis::ParamChanged(name.clone());
                return explanation;
            }
        }
    }
    explanation.diagnosis = Diagnosis::Unknown;
    explanation
}

/// The content the documented rule signs.
pub fn content(subject: &Subject) -> Vec<u8> {
    match subject {
        Subject::SortedRequest { .. } | Subject::SortedData { .. } => {
            join(&sorted(pairs(subject))).into_bytes()
        }
        Subject::Header {
            method,
            path,
            client_id,
            time,
            body,
            ..
        } => header_content(method, path, client_id, time, body, "\n"),
    }
}

/// The (name, text) pairs a sorted-params subject signs, in the order given.
fn pairs(subject: &Subject) -> Vec<(String, String)> {
    match subject {
        Subject::SortedRequest { params, sign_param } => params
            .iter()
            .filter(|(n, _)| n != sign_param)
            .cloned()
            .collect(),
        Subject::SortedData {
            members,
            signed_fields,
        } => members
            .iter()
            .filter(|m| {
                signed_fields
                    .as_ref()
                    .is_none_or(|subset| subset.contains(&m.name))
            })
            .map(|m| (m.name.clone(), m.text.clone()))
            .collect(),
        Subject::Header { .. } => Vec::new(),
    }
}

fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    pairs
}

fn join(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

fn header_content(
    method: &str,
    path: &str,
    client_id: &str,
    time: &str,
    body: &[u8],
    newline: &str,
) -> Vec<u8> {
    let mut out = format!("{method} {path}{newline}{client_id}.{time}.").into_bytes();
    out.extend_from_slice(body);
    out
}

/// The candidate contents of one catalogue mistake (empty when it cannot apply).
fn candidates(id: &str, subject: &Subject) -> Vec<Vec<u8>> {
    match subject {
        Subject::Header {
            method,
            path,
            client_id,
            time,
            body,
            other_paths,
        } => header_candidates(id, method, (path, other_paths), client_id, time, body),
        _ => sorted_candidates(id, subject),
    }
}

fn sorted_candidates(id: &str, subject: &Subject) -> Vec<Vec<u8>> {
    let base = pairs(subject);
    let strings: Vec<String> = match id {
        "url-encoded-values" => {
            let plus = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            let percent = |v: &str| {
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            [plus as fn(&str) -> String, percent]
                .iter()
                .map(|encode| {
                    join(&sorted(
                        base.iter().map(|(n, v)| (n.clone(), encode(v))).collect(),
                    ))
                })
                .collect()
        }
        "not-sorted" => vec![join(&base)],
        "sign-included" => match subject {
            Subject::SortedRequest { sign_param, .. } => {
                let mut with = base.clone();
                with.push((sign_param.clone(), String::new()));
                vec![join(&sorted(with))]
            }
            _ => Vec::new(),
        },
        "empty-values-dropped" => vec![join(&sorted(
            base.iter()
                .filter(|(_, v)| !v.is_empty() && v != "null")
                .cloned()
                .collect(),
        ))],
        "empty-values-included" => vec![join(&sorted(
            base.iter()
                .map(|(n, v)| {
                    (
                        n.clone(),
                        if v == "null" {
                            String::new()
                        } else {
                            v.clone()
                        },
                    )
                })
                .collect(),
        ))],
        "json-reformatted" => match subject {
            // Nested values signed as they were received rather than compact and sorted.
            Subject::SortedData {
                members,
                signed_fields,
            } => {
                let raw = members
                    .iter()
                    .filter(|m| {
                        signed_fields
                            .as_ref()
                            .is_none_or(|subset| subset.contains(&m.name))
                    })
                    .map(|m| {
                        let nested = m.raw.starts_with('{') || m.raw.starts_with('[');
                        (
                            m.name.clone(),
                            if nested {
                                m.raw.clone()
                            } else {
                                m.text.clone()
                            },
                        )
                    })
                    .collect();
                vec![join(&sorted(raw))]
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    strings.into_iter().map(String::into_bytes).collect()
}

fn header_candidates(
    id: &str,
    method: &str,
    (path, other_paths): (&str, &[String]),
    client_id: &str,
    time: &str,
    body: &[u8],
) -> Vec<Vec<u8>> {
    let make = |path: &str, client: &str, time: &str, body: &[u8]| {
        header_content(method, path, client, time, body, "\n")
    };
    match id {
        "json-reformatted" => reformatted_bodies(body)
            .into_iter()
            .filter(|b| b.as_slice() != body)
            .map(|b| make(path, client_id, time, &b))
            .collect(),
        "crlf" => {
            let mut out = vec![header_content(method, path, client_id, time, body, "\r\n")];
            let mut bodies: Vec<Vec<u8>> = Vec::new();
            let mut with_newline = body.to_vec();
            with_newline.push(b'\n');
            bodies.push(with_newline);
            let mut with_crlf = body.to_vec();
            with_crlf.extend_from_slice(b"\r\n");
            bodies.push(with_crlf);
            if let Some(stripped) = body
                .strip_suffix(b"\r\n")
                .or_else(|| body.strip_suffix(b"\n"))
            {
                bodies.push(stripped.to_vec());
            }
            if let Ok(text) = std::str::from_utf8(body) {
                // Line breaks inside the body, converted the other way.
                if text.contains("\r\n") {
                    bodies.push(text.replace("\r\n", "\n").into_bytes());
                } else if text.contains('\n') {
                    bodies.push(text.replace('\n', "\r\n").into_bytes());
                }
            }
            out.extend(bodies.iter().map(|b| make(path, client_id, time, b)));
            out
        }
        "wrong-path" => {
            let mut paths = Vec::new();
            if let Some(rest) = path.strip_prefix("/ams/api/") {
                paths.push(format!("/ams/sandbox/api/{rest}"));
            }
            if let Some(rest) = path.strip_prefix("/ams/sandbox/api/") {
                paths.push(format!("/ams/api/{rest}"));
            }
            match path.strip_suffix('/') {
                Some(trimmed) => paths.push(trimmed.to_owned()),
                None => paths.push(format!("{path}/")),
            }
            if let Some(rest) = path.strip_prefix('/') {
                paths.push(rest.to_owned());
            }
            paths.push(path.to_ascii_lowercase());
            paths.extend(other_paths.iter().cloned());
            for host in [
                "open-sea-global.alipayplus.com",
                "open-na-global.alipayplus.com",
                "open-sea-global.alipay.com",
                "open-na-global.alipay.com",
                "open-de-global.alipay.com",
            ] {
                paths.push(format!("https://{host}{path}"));
            }
            paths
                .iter()
                .filter(|p| p.as_str() != path)
                .map(|p| make(p, client_id, time, body))
                .collect()
        }
        "wrong-client-id" => {
            let trimmed = client_id.trim();
            let variants = [
                String::new(),
                trimmed.to_owned(),
                format!(" {client_id}"),
                format!("{client_id} "),
                client_id.to_ascii_lowercase(),
                client_id.to_ascii_uppercase(),
            ];
            variants
                .iter()
                .filter(|c| c.as_str() != client_id)
                .map(|c| make(path, c, time, body))
                .collect()
        }
        "wrong-request-time" => time_variants(time)
            .iter()
            .filter(|t| t.as_str() != time)
            .map(|t| make(path, client_id, t, body))
            .collect(),
        _ => Vec::new(),
    }
}

/// Other serializations of a JSON body: compact, compact with sorted keys, pretty-printed (2
/// and 4 spaces), and with non-ASCII escaped.
fn reformatted_bodies(body: &[u8]) -> Vec<Vec<u8>> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    // Whitespace removed in place: member order and escapes kept (pretty-printed after signing).
    let mut out = vec![strip_whitespace(body)];
    if let Ok(compact) = serde_json::to_vec(&value) {
        out.push(compact);
    }
    if let Ok(pretty) = serde_json::to_vec_pretty(&value) {
        out.push(pretty);
    }
    let mut four = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut four, formatter);
    if serde::Serialize::serialize(&value, &mut ser).is_ok() {
        out.push(four);
    }
    if let Ok(compact) = serde_json::to_string(&value) {
        let mut ascii = String::with_capacity(compact.len());
        for c in compact.chars() {
            if c.is_ascii() {
                ascii.push(c);
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    ascii.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
        out.push(ascii.into_bytes());
        out.push(compact.replace('/', "\\/").into_bytes());
    }
    out
}

/// JSON text without the whitespace outside its strings.
fn strip_whitespace(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in body {
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            if b == b'"' {
                in_string = true;
            }
            out.push(b);
        }
    }
    out
}

/// The same instant in the other formats the SDKs send: epoch milliseconds and seconds, ISO
/// 8601 in UTC (`Z`, `+00:00`, with milliseconds) and at UTC+8.
fn time_variants(time: &str) -> Vec<String> {
    use time::format_description::well_known::Rfc3339;
    let Ok(instant) = crate::header_signature::parse_request_time(time) else {
        return Vec::new();
    };
    let utc = instant.to_offset(time::UtcOffset::UTC);
    let millis = utc.unix_timestamp_nanos() / 1_000_000;
    let mut out = vec![millis.to_string(), utc.unix_timestamp().to_string()];
    if let Ok(seconds) = utc.replace_nanosecond(0) {
        if let Ok(z) = seconds.format(&Rfc3339) {
            out.push(z.replace('Z', "+00:00"));
            out.push(z);
        }
    }
    out.push(crate::clock::iso8601_timestamp(utc));
    if let Ok(offset) = time::UtcOffset::from_hms(8, 0, 0) {
        out.push(crate::clock::iso8601_timestamp(utc.to_offset(offset)));
    }
    if let Ok(full) = utc.format(&Rfc3339) {
        out.push(full);
    }
    out
}

/// The content with `name` given `value` (what the signer meant to send).
fn with_value(subject: &Subject, name: &str, value: &str) -> Option<Vec<u8>> {
    let base = pairs(subject);
    if !base.iter().any(|(n, v)| n == name && v != value) {
        return None;
    }
    let changed = base
        .into_iter()
        .map(|(n, v)| {
            if n == name {
                (n, value.to_owned())
            } else {
                (n, v)
            }
        })
        .collect();
    Some(join(&sorted(changed)).into_bytes())
}

/// Text with invisible characters made visible: `\n`, `\r`, `\t`, other controls as `\u{..}`,
/// and a trailing `⏎` marker where a line break was.
pub fn visible(content: &[u8]) -> String {
    let text = String::from_utf8_lossy(content);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n⏎\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{feff}' => out.push_str("\\u{feff}"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_names() {
        let names: Vec<&str> = [
            DigestName::Md5,
            DigestName::Sha1,
            DigestName::Sha224,
            DigestName::Sha256,
            DigestName::Sha384,
            DigestName::Sha512,
        ]
        .into_iter()
        .map(DigestName::name)
        .collect();
        assert_eq!(
            names,
            ["MD5", "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512"]
        );
    }

    /// `Display` is the stable id; `what` is one sentence naming what was found.
    #[test]
    fn diagnoses_print_their_id_and_say_what_happened() {
        let check = |d: Diagnosis, id: &str, what: &str| {
            assert_eq!(d.to_string(), id);
            assert_eq!(d.what(), what, "{id}");
        };
        check(
            Diagnosis::WrongDigest {
                found: Some(DigestName::Sha256),
                expected: DigestName::Md5,
            },
            "wrong-digest",
            "the signer used SHA-256 where the scheme uses MD5",
        );
        check(
            Diagnosis::WrongDigest {
                found: None,
                expected: DigestName::Sha256,
            },
            "wrong-digest",
            "the signer used an unknown digest where the scheme uses SHA-256",
        );
        check(
            Diagnosis::ParamChanged("total_fee".into()),
            "param-changed:total_fee",
            "`total_fee` was signed with another value than the message carries",
        );
        check(
            Diagnosis::BadLength { got: 3, want: 128 },
            "unknown",
            "the signature is 3 bytes, this key's signatures are 128: it was truncated or is not a signature of this key",
        );
        check(
            Diagnosis::Valid,
            "valid",
            "the signature is valid for the documented content",
        );
    }

    #[test]
    fn whitespace_is_stripped_outside_strings_only() {
        let check = |body: &str, expected: &str| {
            assert_eq!(
                String::from_utf8_lossy(&strip_whitespace(body.as_bytes())),
                expected,
                "{body:?}"
            );
        };
        check(
            "{ \"a\" :\t\"x y\" ,\r\n \"b\": [1, 2] }",
            r#"{"a":"x y","b":[1,2]}"#,
        );
        // An escaped quote does not end a string; an escaped backslash before the closing quote
        // does not escape it.
        check(
            r#"{ "a": "x \" y" , "b": "z\\" , "c": 1 }"#,
            r#"{"a":"x \" y","b":"z\\","c":1}"#,
        );
        check("", "");
    }

    #[test]
    fn invisible_characters_are_made_visible() {
        assert_eq!(
            visible("a\r\n\tb\u{1}\u{feff}é ".as_bytes()),
            "a\\r\\n⏎\n\\tb\\u{1}\\u{feff}é "
        );
    }

    /// With the intended values: a candidate only for a parameter that is present and differs.
    #[test]
    fn intended_values_make_a_candidate_only_when_they_differ() {
        let request = |attach: &str| Subject::SortedRequest {
            params: [("appid", "mch1"), ("attach", attach), ("sign", "00")]
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            sign_param: "sign".into(),
        };
        let subject = request("a");
        assert_eq!(with_value(&subject, "attach", "a"), None);
        assert_eq!(with_value(&subject, "missing", "x"), None);
        assert_eq!(
            with_value(&subject, "attach", "b"),
            Some(content(&request("b")))
        );
    }
}
