//! The `sorted-params` signature scheme (Ksher classic API).
//!
//! Requests: every sent parameter except `sign`, sorted by name in byte order, concatenated as
//! `name=value` with no separator, signed with RSA PKCS#1 v1.5 and hex-encoded in lowercase; the
//! form body is percent-encoded only after signing.
//!
//! Responses and notifications: a JSON envelope whose `data` object is signed (rules K1–K3 of
//! `conformance/vectors/README.md`): `code` must be the integer `0`, the members of `data` (or a
//! signed subset of them) are rendered like request parameters, nested values as compact JSON with
//! sorted keys and numbers kept as their exact token text.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::crypto::{DigestAlgorithm, PrivateKey, PublicKey, SignError};
use crate::Verified;

/// Collects the parameters of one request in signing order and produces the string to sign, the
/// signature and the form body in one pass.
///
/// Generated code calls the `push_*` methods in byte order of the parameter names, which the
/// generator sorted at generation time; no map is sorted at run time.
pub struct ParamWriter {
    string_to_sign: String,
    form: form_urlencoded::Serializer<'static, String>,
    #[cfg(debug_assertions)]
    last: Option<&'static str>,
}

/// A signed form request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedForm {
    /// The exact string that was signed.
    pub string_to_sign: String,
    /// Lowercase hex signature.
    pub sign: String,
    /// `application/x-www-form-urlencoded` body: every parameter plus `sign`.
    pub body: String,
}

impl fmt::Debug for ParamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParamWriter")
            .field("string_to_sign", &self.string_to_sign)
            .finish_non_exhaustive()
    }
}

impl Default for ParamWriter {
    fn default() -> Self {
        Self::with_capacity(256)
    }
}

impl ParamWriter {
    /// A writer with room for about `bytes` bytes of parameters.
    pub fn with_capacity(bytes: usize) -> Self {
        ParamWriter {
            string_to_sign: String::with_capacity(bytes),
            form: form_urlencoded::Serializer::new(String::with_capacity(bytes + bytes / 2 + 300)),
            #[cfg(debug_assertions)]
            last: None,
        }
    }

    #[inline]
    fn check_order(&mut self, name: &'static str) {
        #[cfg(debug_assertions)]
        {
            if let Some(last) = self.last {
                debug_assert!(
                    last.as_bytes() < name.as_bytes(),
                    "parameters must be pushed in byte order of their names: `{last}` before `{name}`"
                );
            }
            self.last = Some(name);
        }
        #[cfg(not(debug_assertions))]
        let _ = name;
    }

    /// Adds a text parameter (sent and signed as it is, also when empty).
    pub fn push_str(&mut self, name: &'static str, value: &str) {
        self.check_order(name);
        self.string_to_sign.push_str(name);
        self.string_to_sign.push('=');
        self.string_to_sign.push_str(value);
        self.form.append_pair(name, value);
    }

    /// Adds an integer parameter, rendered in decimal.
    pub fn push_int(&mut self, name: &'static str, value: u64) {
        let mut buf = itoa::Buffer::new();
        self.push_str(name, buf.format(value));
    }

    /// Appends parameter `name` if it has a value (an absent option writes nothing); names
    /// must come in byte order.
    pub fn param(&mut self, name: &'static str, value: &impl crate::api::ToParam) {
        value.write_param(name, self);
    }

    /// The string to sign so far.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// Signs the collected parameters and appends `sign` to the form body.
    pub fn sign(
        mut self,
        key: &PrivateKey,
        digest: DigestAlgorithm,
    ) -> Result<SignedForm, SignError> {
        let raw = key.sign(digest, self.string_to_sign.as_bytes())?;
        let sign = hex::encode(raw);
        self.form.append_pair("sign", &sign);
        Ok(SignedForm {
            string_to_sign: self.string_to_sign,
            sign,
            body: self.form.finish(),
        })
    }
}

/// The string to sign for an arbitrary parameter list (sorted here, by name in byte order).
/// Typed requests never need this; it serves rule vectors and tools that handle untyped params.
pub fn string_to_sign<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = params.into_iter().collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::new();
    for (name, value) in pairs {
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Why a gateway document was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataVerifyError {
    /// The body is not a JSON object (or has duplicate members).
    #[error("body is not a JSON object: {0}")]
    Malformed(String),
    /// `code` is not the JSON integer 0: an error envelope is never verified data.
    #[error("gateway returned an error envelope (code {code}): {msg}")]
    ErrorEnvelope {
        /// The `code` member as JSON text (`missing` when absent).
        code: String,
        /// The `msg` member (empty when absent).
        msg: String,
    },
    /// `data` is missing or not a JSON object.
    #[error("`data` is missing or not a JSON object")]
    MissingData,
    /// `sign` is missing, empty, not a string or not hex.
    #[error("`sign` is missing or not a hex string")]
    MalformedSign,
    /// The signature does not verify with the gateway key.
    #[error("signature does not verify with the gateway public key")]
    BadSignature,
    /// The body is larger than [`MAX_DOCUMENT_BYTES`]; it was not parsed.
    #[error("body is {size} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// Size of the body.
        size: usize,
        /// [`MAX_DOCUMENT_BYTES`].
        limit: usize,
    },
    /// JSON arrays and objects nest deeper than [`MAX_NESTING_DEPTH`]; the body was not parsed.
    #[error("body nests arrays and objects more than {limit} levels deep")]
    TooDeep {
        /// [`MAX_NESTING_DEPTH`].
        limit: usize,
    },
}

impl DataVerifyError {
    /// `true` when the body could not be read as a gateway document at all (not JSON, too
    /// large, too deep): malformed input, as opposed to a document that does not verify.
    pub fn is_malformed(&self) -> bool {
        matches!(
            self,
            DataVerifyError::Malformed(_)
                | DataVerifyError::TooLarge { .. }
                | DataVerifyError::TooDeep { .. }
        )
    }
}

/// Largest response or notification body accepted for verification (2 MiB). Real Ksher answers
/// are a few kilobytes; a larger body is refused before it is parsed.
pub const MAX_DOCUMENT_BYTES: usize = 2 * 1024 * 1024;

/// Deepest nesting of JSON arrays and objects accepted in a response or notification, the
/// envelope itself counting as level 1 (`data` is level 2). Real Ksher answers nest at most 4
/// levels (`refund_query`'s list of refunds); a deeper body is refused before it is parsed, so
/// neither parsing nor rendering can exhaust the stack.
pub const MAX_NESTING_DEPTH: usize = 32;

/// The cheap checks that run before any parsing: size, then nesting depth (one linear pass over
/// the bytes that tracks strings and escapes, no allocation).
pub fn check_document_bounds(body: &[u8]) -> Result<(), DataVerifyError> {
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(DataVerifyError::TooLarge {
            size: body.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING_DEPTH {
                    return Err(DataVerifyError::TooDeep {
                        limit: MAX_NESTING_DEPTH,
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A gateway document whose `data` signature verified.
#[derive(Clone, Debug)]
pub struct VerifiedEnvelope {
    /// The `msg` member of the envelope (not signed).
    pub msg: Option<String>,
    /// The `data` object as received, JSON text.
    pub data: Box<RawValue>,
    /// The string that was verified.
    pub string_to_verify: String,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    code: Option<&'a RawValue>,
    #[serde(borrow, default)]
    msg: Option<&'a RawValue>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    sign: Option<&'a RawValue>,
}

/// Checks the envelope (rule K1) and builds the string to verify from `data` (rule K2).
/// `signed_fields` restricts the string to a signed subset (sorted or not).
pub fn data_string_to_verify(
    body: &[u8],
    signed_fields: Option<&[&str]>,
) -> Result<String, DataVerifyError> {
    let parsed = parse_envelope(body)?;
    let data = parsed.data.ok_or(DataVerifyError::MissingData)?;
    canonical_data(data, signed_fields)
}

/// One member of a gateway document's `data`: its name, its text in the string to verify (rule
/// K2) and its JSON as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataMember {
    /// Member name.
    pub name: String,
    /// The text rule K2 signs for it.
    pub text: String,
    /// Its JSON text as received.
    pub raw: String,
}

/// The members of `data` in document order, each rendered by rule K2 (diagnostics: `explain`
/// tries the orders and renderings of known signing mistakes on them). Bounds and envelope
/// checks as for verification.
pub fn data_members(body: &[u8]) -> Result<Vec<DataMember>, DataVerifyError> {
    let parsed = parse_envelope(body)?;
    let data = parsed.data.ok_or(DataVerifyError::MissingData)?;
    if !data.get().starts_with('{') {
        return Err(DataVerifyError::MissingData);
    }
    let ObjectMembers(members) =
        serde_json::from_str(data.get()).map_err(|e| DataVerifyError::Malformed(e.to_string()))?;
    members
        .into_iter()
        .map(|(name, value)| {
            let mut text = String::new();
            render_top_value(value, &mut text)?;
            Ok(DataMember {
                name: name.into_owned(),
                text,
                raw: value.get().to_owned(),
            })
        })
        .collect()
}

/// The `sign` of a gateway document, decoded from hex (rule K1).
pub fn document_sign(body: &[u8]) -> Result<Vec<u8>, DataVerifyError> {
    decode_sign(parse_envelope(body)?.sign)
}

fn parse_envelope(body: &[u8]) -> Result<Envelope<'_>, DataVerifyError> {
    check_document_bounds(body)?;
    let text = std::str::from_utf8(body)
        .map_err(|e| DataVerifyError::Malformed(format!("not UTF-8: {e}")))?;
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r']);
    if !trimmed.starts_with('{') {
        return Err(DataVerifyError::Malformed(
            "top level is not an object".into(),
        ));
    }
    serde_json::from_str::<Envelope<'_>>(text)
        .map_err(|e| DataVerifyError::Malformed(e.to_string()))
}

/// Verifies a gateway response or notification body (rules K1–K3).
pub fn verify_data_signature(
    body: &[u8],
    key: &PublicKey,
    digest: DigestAlgorithm,
    signed_fields: Option<&[&str]>,
) -> Result<Verified<VerifiedEnvelope>, DataVerifyError> {
    let checked = check_document(body, key, digest, signed_fields)?;
    Ok(Verified::new(VerifiedEnvelope {
        msg: checked.msg.map(raw_text),
        data: checked.data.to_owned(),
        string_to_verify: checked.string_to_verify,
    }))
}

/// A document whose signature verified, still borrowing the body.
struct Checked<'a> {
    msg: Option<&'a RawValue>,
    data: &'a RawValue,
    /// Members of `data`, sorted by name (all of them, not only the signed subset).
    members: Vec<(Cow<'a, str>, &'a RawValue)>,
    string_to_verify: String,
}

/// Rules K1–K3 over `body`; `data` is parsed once, for the string to verify and for typing.
fn check_document<'a>(
    body: &'a [u8],
    key: &PublicKey,
    digest: DigestAlgorithm,
    signed_fields: Option<&[&str]>,
) -> Result<Checked<'a>, DataVerifyError> {
    let envelope = parse_envelope(body)?;
    let code_is_zero = envelope.code.is_some_and(|c| c.get() == "0");
    if !code_is_zero {
        let msg = envelope.msg.map(raw_text).unwrap_or_default();
        return Err(DataVerifyError::ErrorEnvelope {
            code: envelope
                .code
                .map_or_else(|| "missing".to_owned(), |c| c.get().to_owned()),
            msg,
        });
    }
    let data = envelope.data.ok_or(DataVerifyError::MissingData)?;
    if !data.get().starts_with('{') {
        return Err(DataVerifyError::MissingData);
    }
    // Cheap before expensive: the signature's shape (and length, by the key) before `data` is
    // parsed and rendered.
    let signature = decode_sign(envelope.sign)?;
    if signature.len() != key.modulus_bytes() {
        return Err(DataVerifyError::BadSignature);
    }
    let members = parse_object(data)?;
    let string_to_verify = canonical_members(&members, signed_fields, data.get().len())?;
    if !key.verify(digest, string_to_verify.as_bytes(), &signature) {
        return Err(DataVerifyError::BadSignature);
    }
    Ok(Checked {
        msg: envelope.msg,
        data,
        members,
        string_to_verify,
    })
}

/// A JSON string's value, or any other value's JSON text.
fn raw_text(raw: &RawValue) -> String {
    let text = raw.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_owned())
    } else {
        text.to_owned()
    }
}

/// The value of a JSON string token (quotes included): the text between the quotes, borrowed,
/// when it has no escapes (no allocation: the common case in gateway answers); decoded by
/// serde_json otherwise. A valid token without `\\` cannot hold a raw `"` or control character.
fn json_string(token: &str) -> Result<Cow<'_, str>, serde_json::Error> {
    match token.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Ok(Cow::Borrowed(inner)),
        _ => serde_json::from_str(token),
    }
}

fn decode_sign(sign: Option<&RawValue>) -> Result<Vec<u8>, DataVerifyError> {
    let raw = sign.ok_or(DataVerifyError::MalformedSign)?.get();
    let text = json_string(raw).map_err(|_| DataVerifyError::MalformedSign)?;
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return Err(DataVerifyError::MalformedSign);
    }
    // `hex` decodes both cases; anything else (spaces, `0x`) fails.
    hex::decode(text.as_bytes()).map_err(|_| DataVerifyError::MalformedSign)
}

fn canonical_data(
    data: &RawValue,
    signed_fields: Option<&[&str]>,
) -> Result<String, DataVerifyError> {
    if !data.get().starts_with('{') {
        return Err(DataVerifyError::MissingData);
    }
    canonical_members(&parse_object(data)?, signed_fields, data.get().len())
}

/// The string to verify from the sorted members of `data` (rule K2).
fn canonical_members(
    members: &[(Cow<'_, str>, &RawValue)],
    signed_fields: Option<&[&str]>,
    capacity: usize,
) -> Result<String, DataVerifyError> {
    let mut out = String::with_capacity(capacity);
    for (name, value) in members {
        if signed_fields.is_some_and(|subset| !subset.contains(&name.as_ref())) {
            continue;
        }
        out.push_str(name);
        out.push('=');
        render_top_value(value, &mut out)?;
    }
    Ok(out)
}

/// Members of a JSON object, sorted by name in byte order; duplicate names are an error.
fn parse_object(raw: &RawValue) -> Result<Vec<(Cow<'_, str>, &RawValue)>, DataVerifyError> {
    let ObjectMembers(mut members) =
        serde_json::from_str(raw.get()).map_err(|e| DataVerifyError::Malformed(e.to_string()))?;
    members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if members.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(DataVerifyError::Malformed("duplicate member name".into()));
    }
    Ok(members)
}

fn render_top_value(value: &RawValue, out: &mut String) -> Result<(), DataVerifyError> {
    let text = value.get();
    match text.as_bytes().first() {
        Some(b'"') => {
            let s = json_string(text).map_err(|e| DataVerifyError::Malformed(e.to_string()))?;
            out.push_str(&s);
            Ok(())
        }
        Some(b'{') | Some(b'[') => render_nested(value, out),
        // Numbers keep their exact token text; true/false/null are written as literals.
        _ => {
            out.push_str(text);
            Ok(())
        }
    }
}

fn render_nested(value: &RawValue, out: &mut String) -> Result<(), DataVerifyError> {
    let mut renderer = NestedRenderer {
        source: value.get(),
        pos: 0,
    };
    // `data` is level 2 of the document; its members' values start at level 3.
    renderer.value(out, 3)
}

/// Renders one nested JSON value (already validated by serde_json) as compact JSON with object
/// members sorted by name, in one pass over its text: no value is parsed twice, and the nesting
/// depth is bounded by [`MAX_NESTING_DEPTH`] (also checked before parsing).
struct NestedRenderer<'a> {
    source: &'a str,
    pos: usize,
}

impl<'a> NestedRenderer<'a> {
    fn text(&self) -> &'a [u8] {
        self.source.as_bytes()
    }

    fn malformed(&self) -> DataVerifyError {
        DataVerifyError::Malformed(format!("invalid nested JSON at byte {}", self.pos))
    }

    fn skip_ws(&mut self) {
        while matches!(
            self.text().get(self.pos),
            Some(b' ' | b'\t' | b'\n' | b'\r')
        ) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Result<(), DataVerifyError> {
        self.skip_ws();
        if self.text().get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.malformed())
        }
    }

    /// The next string token (quotes included) as it appears in the text.
    fn string_token(&mut self) -> Result<&'a str, DataVerifyError> {
        self.skip_ws();
        let start = self.pos;
        if self.text().get(start) != Some(&b'"') {
            return Err(self.malformed());
        }
        let mut i = start + 1;
        loop {
            match self.text().get(i) {
                Some(b'\\') => i += 2,
                Some(b'"') => break,
                Some(_) => i += 1,
                None => return Err(self.malformed()),
            }
        }
        self.pos = i + 1;
        self.source.get(start..=i).ok_or_else(|| self.malformed())
    }

    /// Writes a string token as minimal JSON and returns its value (decoded once).
    fn write_string(
        &self,
        token: &'a str,
        out: &mut String,
    ) -> Result<Cow<'a, str>, DataVerifyError> {
        let value = json_string(token).map_err(|e| DataVerifyError::Malformed(e.to_string()))?;
        match value {
            // Without escapes the text is already minimal JSON (control characters cannot
            // occur raw in valid JSON).
            Cow::Borrowed(_) => out.push_str(token),
            Cow::Owned(ref decoded) => write_json_string(decoded, out),
        }
        Ok(value)
    }

    fn value(&mut self, out: &mut String, depth: usize) -> Result<(), DataVerifyError> {
        self.skip_ws();
        match self.text().get(self.pos) {
            Some(b'{') | Some(b'[') if depth > MAX_NESTING_DEPTH => Err(DataVerifyError::TooDeep {
                limit: MAX_NESTING_DEPTH,
            }),
            Some(b'{') => self.object(out, depth),
            Some(b'[') => {
                self.pos += 1;
                out.push('[');
                self.skip_ws();
                if self.text().get(self.pos) == Some(&b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.value(out, depth + 1)?;
                        self.skip_ws();
                        match self.text().get(self.pos) {
                            Some(b',') => {
                                self.pos += 1;
                                out.push(',');
                            }
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.malformed()),
                        }
                    }
                }
                out.push(']');
                Ok(())
            }
            Some(b'"') => {
                let token = self.string_token()?;
                self.write_string(token, out).map(drop)
            }
            Some(_) => {
                // Numbers keep their exact token text; true/false/null are literals.
                let start = self.pos;
                while self.text().get(self.pos).is_some_and(|b| {
                    !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                }) {
                    self.pos += 1;
                }
                let token = self
                    .source
                    .get(start..self.pos)
                    .ok_or_else(|| self.malformed())?;
                out.push_str(token);
                Ok(())
            }
            None => Err(self.malformed()),
        }
    }

    /// Renders the members in the order received, then, only if that order is not sorted,
    /// reorders this object's rendered text once.
    fn object(&mut self, out: &mut String, depth: usize) -> Result<(), DataVerifyError> {
        self.pos += 1;
        out.push('{');
        let body_start = out.len();
        // (name, start, end) of each rendered `"name":value` within `out`.
        let mut members: Vec<(Cow<'a, str>, usize, usize)> = Vec::new();
        self.skip_ws();
        if self.text().get(self.pos) == Some(&b'}') {
            self.pos += 1;
        } else {
            loop {
                if !members.is_empty() {
                    out.push(',');
                }
                let token = self.string_token()?;
                let start = out.len();
                let name = self.write_string(token, out)?;
                self.eat(b':')?;
                out.push(':');
                self.value(out, depth + 1)?;
                members.push((name, start, out.len()));
                self.skip_ws();
                match self.text().get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.malformed()),
                }
            }
        }
        let sorted = members
            .windows(2)
            .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes());
        if !sorted {
            let mut order: Vec<usize> = (0..members.len()).collect();
            order.sort_unstable_by(|&a, &b| members[a].0.as_bytes().cmp(members[b].0.as_bytes()));
            if order.windows(2).any(|w| members[w[0]].0 == members[w[1]].0) {
                return Err(DataVerifyError::Malformed("duplicate member name".into()));
            }
            let rendered = out.split_off(body_start);
            for (i, &index) in order.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let (_, start, end) = &members[index];
                let piece = rendered
                    .get(start - body_start..end - body_start)
                    .ok_or_else(|| self.malformed())?;
                out.push_str(piece);
            }
        }
        out.push('}');
        Ok(())
    }
}

/// Minimal JSON string escaping: `"`, `\` and U+0000–U+001F only (`\b \f \n \r \t`, otherwise
/// `\u00xx` in lowercase hex); `/` and non-ASCII stay raw. This is serde_json's own escaping.
fn write_json_string(s: &str, out: &mut String) {
    // Serializing a &str into a String cannot fail.
    if let Ok(escaped) = serde_json::to_string(s) {
        out.push_str(&escaped);
    }
}

struct ObjectMembers<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for ObjectMembers<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ObjectMembers<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    members.push((key, value));
                }
                Ok(ObjectMembers(members))
            }
        }
        deserializer.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, subset: Option<&[&str]>, expected: Result<&str, DataVerifyError>) {
        let got = data_string_to_verify(body.as_bytes(), subset);
        assert_eq!(
            got.as_deref().map_err(Clone::clone),
            expected,
            "body {body}"
        );
    }

    #[test]
    fn canonical_strings() {
        check(
            r#"{"code":0,"data":{"b":"2","a":1,"C":"x"},"sign":"00"}"#,
            None,
            Ok("C=xa=1b=2"),
        );
        check(
            r#"{"code":0,"data":{"n":35.10,"t":true,"z":null,"e":""}}"#,
            None,
            Ok("e=n=35.10t=truez=null"),
        );
        check(
            r#"{"code":0,"data":{"o":[{"y":1.50,"x":"é\"/\n"},{"a":[]}],"s":"\u6d4b\/"}}"#,
            None,
            Ok(r#"o=[{"x":"é\"/\n","y":1.50},{"a":[]}]s=测/"#),
        );
        check(
            r#"{"code":0,"data":{"a":"1","b":"2","c":"3"}}"#,
            Some(&["c", "a"]),
            Ok("a=1c=3"),
        );
        check(
            r#"[1]"#,
            None,
            Err(DataVerifyError::Malformed(
                "top level is not an object".into(),
            )),
        );
        check(r#"{"code":0}"#, None, Err(DataVerifyError::MissingData));
        check(
            r#"{"code":0,"data":"x"}"#,
            None,
            Err(DataVerifyError::MissingData),
        );
        check(
            r#"{"code":0,"data":{"a":"1","a":"2"}}"#,
            None,
            Err(DataVerifyError::Malformed("duplicate member name".into())),
        );
    }

    /// A body whose `data` nests `levels` arrays around one number.
    fn nested_body(levels: usize, sign: &str) -> String {
        format!(
            r#"{{"code":0,"data":{{"x":{}1{}}},"sign":"{sign}"}}"#,
            "[".repeat(levels),
            "]".repeat(levels)
        )
    }

    /// The attack of issue 9: deeply nested `data` (unsigned) used to overflow the stack in the
    /// recursive renderer before `sign` was looked at. It is now refused by a linear pre-scan,
    /// run here on a thread with a small stack to prove nothing recurses per level.
    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let outcome = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(|| {
                let key = PublicKey::from_pem(include_str!(
                    "../../conformance/vectors/keys/ksher-gateway-mock-1024.pub.pem"
                ))
                .expect("key");
                let mut results = Vec::new();
                for levels in [40, 5_000, 45_000, 200_000] {
                    for sign in ["", "00"] {
                        let body = nested_body(levels, sign);
                        results.push(
                            verify_data_signature(
                                body.as_bytes(),
                                &key,
                                DigestAlgorithm::Md5,
                                None,
                            )
                            .map(|_| ()),
                        );
                        results.push(data_string_to_verify(body.as_bytes(), None).map(|_| ()));
                    }
                }
                results
            })
            .expect("thread")
            .join()
            .expect("no stack overflow");
        for result in outcome {
            assert_eq!(
                result,
                Err(DataVerifyError::TooDeep {
                    limit: MAX_NESTING_DEPTH
                })
            );
        }
    }

    #[test]
    fn nesting_up_to_the_limit_renders() {
        // The envelope is level 1, `data` level 2: `levels` arrays inside reach 2 + levels.
        let ok = nested_body(MAX_NESTING_DEPTH - 2, "00");
        let expected = format!(
            "x={}1{}",
            "[".repeat(MAX_NESTING_DEPTH - 2),
            "]".repeat(MAX_NESTING_DEPTH - 2)
        );
        assert_eq!(
            data_string_to_verify(ok.as_bytes(), None).as_deref(),
            Ok(expected.as_str())
        );
        let too_deep = nested_body(MAX_NESTING_DEPTH - 1, "00");
        assert_eq!(
            data_string_to_verify(too_deep.as_bytes(), None),
            Err(DataVerifyError::TooDeep {
                limit: MAX_NESTING_DEPTH
            })
        );
        // Brackets inside strings (escaped quotes included) do not count.
        let strings = format!(
            r#"{{"code":0,"data":{{"s":"{}\"{}"}}}}"#,
            "[".repeat(100),
            "{".repeat(100)
        );
        assert!(data_string_to_verify(strings.as_bytes(), None).is_ok());
    }

    /// The documented bounds, and their exact edges: a body of exactly the limit passes the
    /// size check; depth counts nesting, not the number of arrays (siblings close again).
    #[test]
    fn bounds_are_the_documented_ones_with_exact_edges() {
        assert_eq!(MAX_DOCUMENT_BYTES, 2 * 1024 * 1024);
        assert_eq!(MAX_DOCUMENT_BYTES, 2_097_152);
        assert_eq!(MAX_NESTING_DEPTH, 32);
        let at_limit = vec![b' '; MAX_DOCUMENT_BYTES];
        assert_eq!(check_document_bounds(&at_limit), Ok(()));
        let over = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert!(matches!(
            check_document_bounds(&over),
            Err(DataVerifyError::TooLarge { .. })
        ));
        let siblings = format!(
            r#"{{"code":0,"data":{{"x":[{}],"y":{{}},"z":[[]]}}}}"#,
            vec!["[1]"; 200].join(",")
        );
        assert_eq!(check_document_bounds(siblings.as_bytes()), Ok(()));
        assert!(data_string_to_verify(siblings.as_bytes(), None).is_ok());
    }

    /// `sign` is a JSON string: its value counts, so hex digits written as JSON escapes decode
    /// like plain ones (rule K1 speaks of the parsed string).
    #[test]
    fn escaped_sign_is_decoded_as_json() {
        let key = PrivateKey::generate(crate::Backend::default(), 1024).expect("key");
        let mut data = serde_json::Map::new();
        data.insert("a".into(), "1".into());
        let body = sign_data_document(&data, &[], None, &key, DigestAlgorithm::Md5).expect("signs");
        let at = body.find("\"sign\":\"").expect("sign") + "\"sign\":\"".len();
        let first = body[at..].chars().next().expect("hex digit");
        let escaped = format!("{}\\u{:04x}{}", &body[..at], first as u32, &body[at + 1..]);
        assert!(escaped.contains("\\u00"), "{escaped}");
        assert!(verify_data_signature(
            escaped.as_bytes(),
            &key.public_key(),
            DigestAlgorithm::Md5,
            None
        )
        .is_ok());
    }

    /// `document_sign` (what `explain` opens) is the envelope's `sign`, hex-decoded in either
    /// case and JSON-unescaped, with the same refusals as verification.
    #[test]
    fn document_sign_is_the_decoded_hex() {
        let check = |body: &str, expected: Result<&[u8], DataVerifyError>| {
            assert_eq!(
                document_sign(body.as_bytes()),
                expected.map(<[u8]>::to_vec),
                "{body}"
            );
        };
        check(
            r#"{"code":0,"data":{},"sign":"0aFF10"}"#,
            Ok(&[0x0a, 0xff, 0x10]),
        );
        check(r#"{"code":0,"data":{},"sign":"\u0030a"}"#, Ok(&[0x0a]));
        check(
            r#"{"code":0,"data":{}}"#,
            Err(DataVerifyError::MalformedSign),
        );
        check(
            r#"{"code":0,"sign":"0a0"}"#,
            Err(DataVerifyError::MalformedSign),
        );
        check(
            r#"{"code":0,"sign":"zz"}"#,
            Err(DataVerifyError::MalformedSign),
        );
        check(
            r#"{"code":0,"sign":""}"#,
            Err(DataVerifyError::MalformedSign),
        );
        assert!(matches!(
            document_sign(b"[1]"),
            Err(DataVerifyError::Malformed(_))
        ));
    }

    /// Objects nested up to the depth limit render with every level sorted.
    #[test]
    fn nested_objects_up_to_the_limit_render_sorted() {
        let levels = MAX_NESTING_DEPTH - 2;
        let open: String = (0..levels).map(|_| r#"{"z":1,"a":"#).collect();
        let close = "}".repeat(levels);
        let body = format!(r#"{{"code":0,"data":{{"x":{open}0{close}}}}}"#);
        let inner: String = (0..levels).map(|_| r#"{"a":"#).collect();
        let tail = r#","z":1}"#.repeat(levels);
        assert_eq!(
            data_string_to_verify(body.as_bytes(), None),
            Ok(format!("x={inner}0{tail}"))
        );
    }

    #[test]
    fn malformed_means_not_a_gateway_document() {
        use DataVerifyError::*;
        for e in [
            Malformed("x".into()),
            TooLarge { size: 1, limit: 0 },
            TooDeep { limit: 1 },
        ] {
            assert!(e.is_malformed(), "{e:?}");
        }
        for e in [
            ErrorEnvelope {
                code: "1".into(),
                msg: String::new(),
            },
            MissingData,
            MalformedSign,
            BadSignature,
        ] {
            assert!(!e.is_malformed(), "{e:?}");
        }
    }

    #[test]
    fn oversized_bodies_are_refused_unparsed() {
        let body = format!(
            r#"{{"code":0,"data":{{"a":"{}"}}}}"#,
            "x".repeat(MAX_DOCUMENT_BYTES)
        );
        assert_eq!(
            data_string_to_verify(body.as_bytes(), None),
            Err(DataVerifyError::TooLarge {
                size: body.len(),
                limit: MAX_DOCUMENT_BYTES
            })
        );
    }

    /// Cheap before expensive: an absent or malformed `sign` is reported without rendering
    /// `data`, and a signature of the wrong length never reaches RSA.
    #[test]
    fn sign_is_checked_before_data_is_rendered() {
        let key = PublicKey::from_pem(include_str!(
            "../../conformance/vectors/keys/ksher-gateway-mock-1024.pub.pem"
        ))
        .expect("key");
        let check = |body: &str, expected: DataVerifyError| {
            assert_eq!(
                verify_data_signature(body.as_bytes(), &key, DigestAlgorithm::Md5, None)
                    .map(|_| ())
                    .unwrap_err(),
                expected,
                "{body}"
            );
        };
        // `data` with a duplicate member would be Malformed if it were rendered.
        let data = r#"{"a":{"b":1,"b":2}}"#;
        check(
            &format!(r#"{{"code":0,"data":{data}}}"#),
            DataVerifyError::MalformedSign,
        );
        check(
            &format!(r#"{{"code":0,"data":{data},"sign":"zz"}}"#),
            DataVerifyError::MalformedSign,
        );
        check(
            &format!(r#"{{"code":0,"data":{data},"sign":"00ff"}}"#),
            DataVerifyError::BadSignature,
        );
        let full = "00".repeat(key.modulus_bytes());
        check(
            &format!(r#"{{"code":0,"data":{data},"sign":"{full}"}}"#),
            DataVerifyError::Malformed("duplicate member name".into()),
        );
    }

    #[test]
    fn nested_rendering_sorts_each_object_once() {
        check(
            r#"{"code":0,"data":{"o":{"b":{"z":1,"y":[{"k":2,"j":"\u0041"}]},"a":[ 1 , 2.50 ,"x"]}}}"#,
            None,
            Ok(r#"o={"a":[1,2.50,"x"],"b":{"y":[{"j":"A","k":2}],"z":1}}"#),
        );
        check(
            r#"{"code":0,"data":{"o":{"b":1,"a":{},"c":[]}}}"#,
            None,
            Ok(r#"o={"a":{},"b":1,"c":[]}"#),
        );
        check(
            r#"{"code":0,"data":{"o":[{"k":1,"k":2}]}}"#,
            None,
            Err(DataVerifyError::Malformed("duplicate member name".into())),
        );
    }

    /// Generated code pushes parameters in byte order; a push out of order is a generator bug,
    /// caught by a debug assertion.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "parameters must be pushed in byte order")]
    fn writer_refuses_parameters_out_of_order_in_debug_builds() {
        let mut w = ParamWriter::default();
        w.push_str("total_fee", "1");
        w.push_str("appid", "mch1");
    }

    #[test]
    fn writer_debug_shows_the_string_to_sign_only() {
        let mut w = ParamWriter::default();
        w.push_str("appid", "mch1");
        let shown = format!("{w:?}");
        assert!(shown.contains("appid=mch1"), "{shown}");
        assert!(shown.starts_with("ParamWriter"), "{shown}");
    }

    #[test]
    fn writer_builds_sign_string_and_form() {
        let mut w = ParamWriter::default();
        w.push_str("appid", "mch1");
        w.push_str("attach", "");
        w.push_int("total_fee", 100);
        w.push_str("url", "https://a.b/?x=1&y=ä b");
        // Typed values: an absent option writes nothing.
        w.param("v1", &Some(7u64));
        w.param("v2", &None::<String>);
        w.param("v3", &-2i64);
        assert_eq!(
            w.string_to_sign(),
            "appid=mch1attach=total_fee=100url=https://a.b/?x=1&y=ä bv1=7v3=-2"
        );
        assert_eq!(
            string_to_sign([("url", "u"), ("Z", "z"), ("appid", "a")]),
            "Z=zappid=aurl=u"
        );
    }
}

/// Verified response or notification `data`, typed.
#[derive(Clone, Debug)]
pub struct Response<D> {
    /// The envelope's `msg` (not signed).
    pub msg: Option<String>,
    /// The typed `data`.
    pub data: D,
    /// `data` exactly as received (JSON text).
    pub raw_data: Box<RawValue>,
}

/// Why a response or notification could not be turned into verified, typed data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// Envelope, error code or signature check failed.
    #[error(transparent)]
    Verify(#[from] DataVerifyError),
    /// The signature verified but `data` does not have the operation's shape.
    #[error("verified `data` of `{operation}` does not match its spec: {message}")]
    Decode {
        /// Operation or notification wire name.
        operation: String,
        /// serde's message.
        message: String,
    },
    /// The signature verified, but the signed string could also be split into members
    /// differently: a value of `member` ends with `hidden=…`, where `hidden` is a member of the
    /// operation's answer that is absent from `data` and would sort right after `member`. A
    /// validly signed answer may have been re-split to drop `hidden` (see the vectors' README,
    /// rule K4).
    #[error(
        "verified `data` of `{operation}` is ambiguous: the value of `{member}` contains \
         `{hidden}=`, an absent member that would sort after it (possible re-split)"
    )]
    AmbiguousSplit {
        /// Operation or notification wire name.
        operation: String,
        /// The member whose value holds the hidden member.
        member: String,
        /// The absent member that appears inside the value.
        hidden: String,
    },
    /// No operation or notification of that name.
    #[error("unknown operation or notification `{0}`")]
    UnknownOperation(String),
    /// The HTTP status was not a success (the body is not a gateway answer).
    #[error("HTTP status {0}")]
    HttpStatus(u16),
}

impl ResponseError {
    /// The `code` of a gateway error envelope (as JSON text), if this is one.
    pub fn envelope_code(&self) -> Option<&str> {
        match self {
            ResponseError::Verify(DataVerifyError::ErrorEnvelope { code, .. }) => Some(code),
            _ => None,
        }
    }
}

/// Verifies `body` and parses its `data` into `D` (the generated type of the operation).
pub fn verify_typed<D: serde::de::DeserializeOwned>(
    body: &[u8],
    key: &PublicKey,
    digest: DigestAlgorithm,
    signed_fields: Option<&[&str]>,
    operation: &str,
) -> Result<Verified<Response<D>>, ResponseError> {
    let checked = check_document(body, key, digest, signed_fields)?;
    check_unambiguous(
        &checked.members,
        signed_fields,
        declared_members::<D>(),
        operation,
    )?;
    // Type `data` from the members already parsed for the signature check.
    let members = checked
        .members
        .iter()
        .map(|(name, value)| (name.as_ref(), *value));
    let deserializer = serde::de::value::MapDeserializer::<_, serde_json::Error>::new(members);
    let data = D::deserialize(deserializer).map_err(|e| ResponseError::Decode {
        operation: operation.to_owned(),
        message: e.to_string(),
    })?;
    Ok(Verified::new(Response {
        msg: checked.msg.map(raw_text),
        data,
        raw_data: checked.data.to_owned(),
    }))
}

/// Rule K4 (the canonicalisation-ambiguity guard). The string to verify concatenates
/// `name=value` without separators, so a validly signed `data` can be re-split: the value of one
/// member may swallow the next member's `name=value`. After the signature verified, `data` is
/// refused when the rendered value of a signed member contains `m=` for a member `m` of the
/// answer's type (`declared`) that is absent from `data` and would be signed right after it (it
/// sorts between this member and the next signed one present). Limits: only members the type
/// declares are known; a number sent as a string (`"100"` for `100`) renders the same and stays
/// accepted, as real answers mix both.
fn check_unambiguous(
    members: &[(Cow<'_, str>, &RawValue)],
    signed_fields: Option<&[&str]>,
    declared: &[&str],
    operation: &str,
) -> Result<(), ResponseError> {
    let signed = |name: &str| signed_fields.is_none_or(|subset| subset.contains(&name));
    let present: Vec<&(Cow<'_, str>, &RawValue)> =
        members.iter().filter(|(name, _)| signed(name)).collect();
    let absent = declared
        .iter()
        .copied()
        .filter(|m| signed(m) && !members.iter().any(|(name, _)| name == m));
    // `rendered` holds the value of `present[rendered_for]`, kept while the next hidden members
    // follow the same member, so that value is not rendered again for them.
    let mut rendered = String::new();
    let mut rendered_for = None;
    for hidden in absent {
        // Only the signed member right before `hidden` in sorted order can swallow it: its value
        // would be followed by `hidden=` in the string to verify. `present` is sorted, and
        // `hidden` is not in it.
        let Err(after) = present.binary_search_by(|(n, _)| n.as_bytes().cmp(hidden.as_bytes()))
        else {
            continue;
        };
        let Some(index) = after.checked_sub(1) else {
            continue;
        };
        let Some((name, value)) = present.get(index) else {
            continue;
        };
        let raw = value.get();
        // Only a value with `=` (raw or escaped) can hold `m=`.
        if !(raw.contains('=') || raw.contains('\\')) {
            continue;
        }
        if rendered_for != Some(index) {
            rendered.clear();
            if render_top_value(value, &mut rendered).is_err() {
                continue;
            }
            rendered_for = Some(index);
        }
        if rendered.contains(&format!("{hidden}=")) {
            return Err(ResponseError::AmbiguousSplit {
                operation: operation.to_owned(),
                member: name.to_string(),
                hidden: hidden.to_owned(),
            });
        }
    }
    Ok(())
}

/// The member names a derived `Deserialize` struct declares: serde hands them to
/// `deserialize_struct`, which this probe records. Empty for any other kind of type.
pub fn declared_members<'de, D: Deserialize<'de>>() -> &'static [&'static str] {
    struct Probe<'a>(&'a std::cell::Cell<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("probe"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0.set(fields);
            Err(serde::de::Error::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let fields = std::cell::Cell::new(&[][..]);
    let _ = D::deserialize(Probe(&fields));
    fields.get()
}

/// Why a received form request (gateway side: mock servers) was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestVerifyError {
    /// The `sign` parameter is missing.
    #[error("missing `{0}` parameter")]
    MissingSign(String),
    /// The `sign` parameter is not hex.
    #[error("`{0}` is not a hex string")]
    MalformedSign(String),
    /// A parameter occurs twice.
    #[error("parameter `{0}` occurs twice")]
    Duplicate(String),
    /// The signature does not verify with the merchant's public key.
    #[error("signature does not verify with the merchant public key")]
    BadSignature,
}

/// Verifies the signature of a received form request (the gateway's side of request signing):
/// every parameter except `sign_param`, sorted by name, `name=value` concatenated.
pub fn verify_request_params(
    params: &[(String, String)],
    sign_param: &str,
    key: &PublicKey,
    digest: DigestAlgorithm,
) -> Result<(), RequestVerifyError> {
    let mut names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(RequestVerifyError::Duplicate(w[0].to_owned()));
    }
    let sign = params
        .iter()
        .find(|(n, _)| n == sign_param)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| RequestVerifyError::MissingSign(sign_param.to_owned()))?;
    let signature =
        hex::decode(sign).map_err(|_| RequestVerifyError::MalformedSign(sign_param.to_owned()))?;
    let text = string_to_sign(
        params
            .iter()
            .filter(|(n, _)| n != sign_param)
            .map(|(n, v)| (n.as_str(), v.as_str())),
    );
    if key.verify(digest, text.as_bytes(), &signature) {
        Ok(())
    } else {
        Err(RequestVerifyError::BadSignature)
    }
}

/// Builds a signed gateway document (the gateway's side of response signing: mock servers):
/// `{"code":0,"msg":"ok",<extra members>,"data":<data>,"sign":"<hex>"}`, signed over `data` by
/// rule K2 (`signed_fields` restricts the signed members).
pub fn sign_data_document(
    data: &serde_json::Map<String, serde_json::Value>,
    extra: &[(&str, serde_json::Value)],
    signed_fields: Option<&[&str]>,
    key: &PrivateKey,
    digest: DigestAlgorithm,
) -> Result<String, SignError> {
    let data_text = serde_json::Value::Object(data.clone()).to_string();
    let raw = RawValue::from_string(data_text.clone())
        .map_err(|e| SignError::from_message(e.to_string()))?;
    let text =
        canonical_data(&raw, signed_fields).map_err(|e| SignError::from_message(e.to_string()))?;
    let sign = hex::encode(key.sign(digest, text.as_bytes())?);
    let mut out = String::from("{\"code\":0,\"msg\":\"ok\"");
    for (name, value) in extra {
        out.push(',');
        write_json_string(name, &mut out);
        out.push(':');
        out.push_str(&value.to_string());
    }
    out.push_str(",\"data\":");
    out.push_str(&data_text);
    out.push_str(",\"sign\":\"");
    out.push_str(&sign);
    out.push_str("\"}");
    Ok(out)
}

#[cfg(test)]
mod gateway_side_tests {
    use super::*;
    use crate::Backend;

    #[test]
    fn documents_signed_here_verify_and_requests_round_trip() {
        let key = PrivateKey::generate(Backend::default(), 1024).unwrap();
        let public = key.public_key();
        let mut data = serde_json::Map::new();
        data.insert("result".into(), "SUCCESS".into());
        data.insert("total_fee".into(), 100.into());
        data.insert("list".into(), serde_json::json!([{"b": 1, "a": "x"}]));
        let body = sign_data_document(
            &data,
            &[("version", "3.0.0".into())],
            None,
            &key,
            DigestAlgorithm::Md5,
        )
        .unwrap();
        assert!(
            verify_data_signature(body.as_bytes(), &public, DigestAlgorithm::Md5, None).is_ok()
        );
        let tampered = body.replace("SUCCESS", "SUCCESX");
        assert_eq!(
            verify_data_signature(tampered.as_bytes(), &public, DigestAlgorithm::Md5, None)
                .unwrap_err(),
            DataVerifyError::BadSignature
        );

        let mut writer = ParamWriter::default();
        writer.push_str("appid", "mch1");
        writer.push_int("total_fee", 100);
        let form = writer.sign(&key, DigestAlgorithm::Md5).unwrap();
        let params: Vec<(String, String)> = form_urlencoded::parse(form.body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            verify_request_params(&params, "sign", &public, DigestAlgorithm::Md5),
            Ok(())
        );
        let mut changed = params.clone();
        changed[0].1.push('x');
        assert_eq!(
            verify_request_params(&changed, "sign", &public, DigestAlgorithm::Md5),
            Err(RequestVerifyError::BadSignature)
        );
        let unsigned: Vec<(String, String)> = params
            .iter()
            .filter(|(n, _)| n != "sign")
            .cloned()
            .collect();
        assert!(matches!(
            verify_request_params(&unsigned, "sign", &public, DigestAlgorithm::Md5),
            Err(RequestVerifyError::MissingSign(_))
        ));
    }
}

#[cfg(test)]
mod rendering_edge_tests {
    use super::*;

    #[test]
    fn json_strings_borrow_unless_escaped() {
        // (value, borrowed from the token)
        fn check(token: &str, expected: Option<(&str, bool)>) {
            let got = json_string(token)
                .ok()
                .map(|v| (matches!(v, Cow::Borrowed(_)), v.into_owned()));
            let expected = expected.map(|(v, borrowed)| (borrowed, v.to_owned()));
            assert_eq!(got, expected, "{token}");
        }
        check(r#""""#, Some(("", true)));
        check(r#""abc=1 é""#, Some(("abc=1 é", true)));
        check(r#""a\u003db""#, Some(("a=b", false)));
        check(r#""a\"b""#, Some(("a\"b", false)));
        check(r#""a\\b""#, Some(("a\\b", false)));
        check(r#""\/""#, Some(("/", false)));
        check(r#"""#, None);
        check("abc", None);
        check("12", None);
    }

    /// Behind the pre-scan of the whole body, the renderer still refuses a value nested deeper
    /// than the limit by itself. Members of `data` start at level 3.
    #[test]
    fn the_renderer_bounds_nesting_by_itself() {
        for (open, close) in [("[", "]"), (r#"{"k":"#, "}")] {
            let value = |levels: usize| -> Box<RawValue> {
                let text = format!("{}1{}", open.repeat(levels), close.repeat(levels));
                serde_json::from_str(&text).expect("valid JSON")
            };
            let mut out = String::new();
            assert_eq!(
                render_nested(&value(MAX_NESTING_DEPTH - 2), &mut out),
                Ok(())
            );
            assert_eq!(
                out,
                format!(
                    "{}1{}",
                    open.repeat(MAX_NESTING_DEPTH - 2),
                    close.repeat(MAX_NESTING_DEPTH - 2)
                )
            );
            assert_eq!(
                render_nested(&value(MAX_NESTING_DEPTH - 1), &mut String::new()),
                Err(DataVerifyError::TooDeep {
                    limit: MAX_NESTING_DEPTH
                }),
                "{open}"
            );
        }
    }

    #[test]
    fn data_that_is_not_an_object_is_named_in_the_error() {
        let message = match serde_json::from_str::<ObjectMembers<'_>>("[1]") {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        assert!(
            message.contains("invalid type: sequence, expected a JSON object"),
            "{message}"
        );
    }

    /// Rule K4 on its own: `data` is given sorted, as the verifier hands it over. `Err` holds
    /// (the swallowing member, the hidden one).
    fn check_split(
        data: &str,
        subset: Option<&[&str]>,
        declared: &[&str],
        expected: Result<(), (&str, &str)>,
    ) {
        let raw: Box<RawValue> = serde_json::from_str(data).expect("valid JSON");
        let members = parse_object(&raw).expect("an object");
        let got = match check_unambiguous(&members, subset, declared, "op") {
            Ok(()) => Ok(()),
            Err(ResponseError::AmbiguousSplit {
                operation,
                member,
                hidden,
            }) => {
                assert_eq!(operation, "op");
                Err((member, hidden))
            }
            Err(other) => panic!("{data}: unexpected {other:?}"),
        };
        let expected = expected.map_err(|(m, h)| (m.to_owned(), h.to_owned()));
        assert_eq!(got, expected, "{data} {subset:?} {declared:?}");
    }

    #[test]
    fn ambiguous_splits() {
        let ab: &[&str] = &["a", "b"];
        let abc: &[&str] = &["a", "b", "c"];
        check_split(r#"{"a":"1b=2"}"#, None, ab, Err(("a", "b")));
        // An escaped `=` renders as `=`.
        check_split(r#"{"a":"1b\u003d2"}"#, None, ab, Err(("a", "b")));
        check_split(r#"{"a":{"k":"b=1"}}"#, None, ab, Err(("a", "b")));
        check_split(r#"{"c":"3","a":"1b=2"}"#, None, abc, Err(("a", "b")));
        // `b` sits between `a` and the hidden `c`, so only `b` could swallow it.
        check_split(r#"{"a":"1c=2","b":"3"}"#, None, abc, Ok(()));
        check_split(r#"{"a":"1","b":"3c=4"}"#, None, abc, Err(("b", "c")));
        // Two hidden members after the same one: its value is checked for each.
        check_split(r#"{"a":"1c=2"}"#, None, abc, Err(("a", "c")));
        // Nothing precedes a hidden member that sorts first.
        check_split(r#"{"b":"1a=2"}"#, None, ab, Ok(()));
        check_split(r#"{"a":"1b2","c":"x=1"}"#, None, abc, Ok(()));
        check_split(r#"{"a":1}"#, None, ab, Ok(()));
        check_split(r#"{"a":"1b=2","b":"3"}"#, None, ab, Ok(()));
        // Unsigned members are not in the string to verify: neither as the hidden one...
        check_split(r#"{"a":"1b=2"}"#, Some(&["a"]), ab, Ok(()));
        // ...nor as the one that swallows.
        check_split(r#"{"a":"1b=2"}"#, Some(&["b"]), ab, Ok(()));
        check_split(r#"{"a":"1b=2"}"#, Some(&["a", "b"]), ab, Err(("a", "b")));
        // Only declared members are known.
        check_split(r#"{"a":"1b=2"}"#, None, &["a"], Ok(()));
    }
}
