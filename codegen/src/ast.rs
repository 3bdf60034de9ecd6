//! The spec as written: a raw AST that serde deserializes from the YAML node tree, every value
//! with its source span (`marked_yaml::Spanned`).
//!
//! This layer knows the shape of a spec (which keys a mapping may have, which are required, which
//! words a key accepts) and nothing of its meaning; [`crate::spec`] lowers it into the typed IR and
//! checks every cross-reference. Serde errors are turned into located [`SpecError`]s here: the
//! path serde was at (`serde_path_to_error`) is walked over the node tree to find the offending
//! key or value.
//!
//! Mappings whose keys are names the spec chooses (operations, fields, types...) are [`Entries`],
//! which keep document order. Their keys are plain strings so that the error path names them;
//! [`Locator::key`] finds a key's position from its mapping's span.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use marked_yaml::spanned_serde::{Error as NodeError, NodeDeserializer};
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{Node, Span, Spanned};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{Location, SpecError};

/// A string value with its span.
pub type Text = Spanned<String>;

/// A mapping with spec-chosen keys, in document order, with its own span.
pub type Map<V> = Spanned<Entries<V>>;

/// The entries of a mapping whose keys are names (not keywords), in document order.
#[derive(Debug)]
pub struct Entries<V>(pub Vec<(String, Spanned<V>)>);

impl<V> Entries<V> {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Spanned<V>)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// The whole spec.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct Spec {
    pub api: Text,
    pub title: Text,
    pub description: Option<Text>,
    pub source: Option<Text>,
    pub hosts: Map<HostDef>,
    pub transport: Spanned<TransportDef>,
    pub signature: Spanned<SignatureDef>,
    pub types: Option<Map<TypeDefRaw>>,
    pub envelope: Option<Spanned<EnvelopeDef>>,
    pub common: Option<Map<FieldRef>>,
    pub params: Option<Map<FieldRef>>,
    pub operations: Map<OperationDef>,
    pub notifications: Option<Map<NotificationDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct HostDef {
    pub description: Option<Text>,
    pub environments: Map<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct TransportDef {
    /// Checked by deserializing: `POST` is the one method.
    #[allow(dead_code)]
    pub method: Spanned<Method>,
    pub request: Spanned<RequestEncoding>,
    /// Checked by deserializing: `json` is the one response encoding.
    #[allow(dead_code)]
    pub response: Spanned<ResponseEncoding>,
    pub scalars_as_strings: Option<Spanned<bool>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum Method {
    #[serde(rename = "POST")]
    Post,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RequestEncoding {
    FormUrlencoded,
    Json,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ResponseEncoding {
    Json,
}

/// `signature:`. The keys of both schemes are listed here; [`crate::spec`] refuses a key of the
/// other scheme.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct SignatureDef {
    pub scheme: Spanned<Scheme>,
    pub digest: Spanned<DigestName>,
    pub encoding: Spanned<Encoding>,
    // sorted-params
    pub param: Option<Text>,
    pub response: Option<Spanned<SignedResponseDef>>,
    pub gateway_public_key: Option<Spanned<GatewayKeyDef>>,
    // header-rsa
    pub key_version: Option<Spanned<u64>>,
    pub request_time_format: Option<Spanned<RequestTimeFormatName>>,
    pub unsigned_response: Option<Spanned<UnsignedResponseDef>>,
    pub notification_tolerance_seconds: Option<Spanned<u64>>,
    pub headers: Option<Spanned<HeadersDef>>,
}

impl SignatureDef {
    /// The keys only the sorted-params scheme takes, with the span of each one present.
    pub fn sorted_params_keys(&self) -> Vec<(&'static str, Span)> {
        let mut keys = Vec::new();
        if let Some(v) = &self.param {
            keys.push(("param", *v.span()));
        }
        if let Some(v) = &self.response {
            keys.push(("response", *v.span()));
        }
        if let Some(v) = &self.gateway_public_key {
            keys.push(("gateway_public_key", *v.span()));
        }
        keys
    }

    /// The keys only the header-rsa scheme takes, with the span of each one present.
    pub fn header_rsa_keys(&self) -> Vec<(&'static str, Span)> {
        let mut keys = Vec::new();
        if let Some(v) = &self.key_version {
            keys.push(("key_version", *v.span()));
        }
        if let Some(v) = &self.request_time_format {
            keys.push(("request_time_format", *v.span()));
        }
        if let Some(v) = &self.unsigned_response {
            keys.push(("unsigned_response", *v.span()));
        }
        if let Some(v) = &self.notification_tolerance_seconds {
            keys.push(("notification_tolerance_seconds", *v.span()));
        }
        if let Some(v) = &self.headers {
            keys.push(("headers", *v.span()));
        }
        keys
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    SortedParams,
    HeaderRsa,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DigestName {
    Md5,
    Sha256,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    HexLower,
    Base64Percent,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RequestTimeFormatName {
    Iso8601,
    EpochMs,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct SignedResponseDef {
    /// Checked by deserializing: `data` is the one signed member.
    #[allow(dead_code)]
    pub signed: Spanned<SignedMember>,
    /// Checked by deserializing: `compact-sorted-json` is the one nested encoding.
    #[allow(dead_code)]
    pub nested: Spanned<NestedEncoding>,
    pub success_code: Option<Spanned<u64>>,
    pub retryable_codes: Option<Vec<Spanned<u64>>>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SignedMember {
    Data,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum NestedEncoding {
    CompactSortedJson,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct GatewayKeyDef {
    pub pem: Text,
    pub description: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct UnsignedResponseDef {
    pub status: Vec<Text>,
    pub allowed: Vec<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct HeadersDef {
    pub signature: Option<Text>,
    pub client_id: Option<Text>,
    pub request_time: Option<Text>,
    pub response_time: Option<Text>,
    pub content_type: Option<Text>,
}

/// An entry of `types:`: an enum (`values`) or an object (`fields`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct TypeDefRaw {
    pub description: Option<Text>,
    pub values: Option<Spanned<Values>>,
    pub open: Option<Spanned<bool>>,
    pub outcome: Option<Map<OutcomeLabel>>,
    pub fields: Option<Map<FieldRef>>,
    pub rules: Option<Spanned<Vec<Spanned<RuleDef>>>>,
}

/// An enum's values: a list, or a mapping from value to its description.
#[derive(Debug)]
pub enum Values {
    List(Vec<Text>),
    Described(Entries<String>),
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValuesVisitor;
        impl<'de> Visitor<'de> for ValuesVisitor {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of values or a mapping from value to description")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut values = Vec::new();
                while let Some(v) = seq.next_element()? {
                    values.push(v);
                }
                Ok(Values::List(values))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Values, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Values::Described(Entries(entries)))
            }
        }
        deserializer.deserialize_any(ValuesVisitor)
    }
}

/// What an enum value means for the caller.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeLabel {
    Success,
    Failure,
    Unknown,
}

/// A field: its definition, or (in an operation's request) `shared` for the `params:` entry of the
/// same name.
#[derive(Debug)]
pub enum FieldRef {
    Shared,
    Def(Box<FieldDef>),
}

impl<'de> Deserialize<'de> for FieldRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> Visitor<'de> for FieldVisitor {
            type Value = FieldRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field definition (a mapping) or `shared`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldRef, E> {
                match v {
                    "shared" => Ok(FieldRef::Shared),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FieldRef, A::Error> {
                FieldDef::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|d| FieldRef::Def(Box::new(d)))
            }
        }
        deserializer.deserialize_any(FieldVisitor)
    }
}

/// A field definition. `shared` (with `required`, `description`, `doubt` as overrides) refers to
/// a `params:` entry instead of defining the field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct FieldDef {
    #[serde(rename = "type")]
    pub ty: Option<Text>,
    pub items: Option<Text>,
    pub required: Option<Spanned<bool>>,
    pub max_length: Option<Spanned<u64>>,
    pub min: Option<Spanned<u64>>,
    pub max: Option<Spanned<u64>>,
    pub description: Option<Text>,
    pub doubt: Option<Text>,
    pub format: Option<Spanned<TimeFormatName>>,
    pub currency_field: Option<Text>,
    pub source: Option<Spanned<SourceName>>,
    pub shared: Option<Text>,
}

impl FieldDef {
    /// The keys set besides the ones a use of a shared parameter may override.
    pub fn definition_keys(&self) -> Vec<(&'static str, Span)> {
        let mut keys = Vec::new();
        let mut add = |name, span: Option<&Span>| {
            if let Some(span) = span {
                keys.push((name, *span));
            }
        };
        add("type", self.ty.as_ref().map(|v| v.span()));
        add("items", self.items.as_ref().map(|v| v.span()));
        add("max_length", self.max_length.as_ref().map(|v| v.span()));
        add("min", self.min.as_ref().map(|v| v.span()));
        add("max", self.max.as_ref().map(|v| v.span()));
        add("format", self.format.as_ref().map(|v| v.span()));
        add(
            "currency_field",
            self.currency_field.as_ref().map(|v| v.span()),
        );
        add("source", self.source.as_ref().map(|v| v.span()));
        keys
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum TimeFormatName {
    #[serde(rename = "yyyyMMddHHmmss")]
    Compact,
    #[serde(rename = "iso8601")]
    Iso8601,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SourceName {
    Caller,
    Config,
    Nonce,
    Clock,
}

/// One entry of `rules:`; exactly one kind of rule is set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct RuleDef {
    pub doubt: Option<Text>,
    pub at_least_one_of: Option<Spanned<Vec<Text>>>,
    pub required_when: Option<Spanned<RequiredWhenDef>>,
    pub not_greater: Option<Spanned<NotGreaterDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct RequiredWhenDef {
    pub field: Text,
    pub when: Text,
    #[serde(rename = "in")]
    pub values: Spanned<Vec<Text>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct NotGreaterDef {
    pub field: Text,
    pub than: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct EnvelopeDef {
    pub description: Option<Text>,
    pub fields: Map<FieldRef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct OperationDef {
    pub host: Text,
    pub path: Text,
    pub description: Option<Text>,
    pub source: Option<Text>,
    pub doubt: Option<Text>,
    pub creates: Option<Spanned<bool>>,
    /// How the operation departs from the spec's common parameters, by common parameter name.
    pub common: Option<Map<CommonUseDef>>,
    pub request: Spanned<BodyDef>,
    pub response: Spanned<BodyDef>,
}

/// An operation's use of a common parameter: whether it requires it, and other names it accepts
/// for it (`also`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct CommonUseDef {
    pub required: Option<Spanned<bool>>,
    pub also: Option<Spanned<Vec<Text>>>,
    pub doubt: Option<Text>,
}

/// A request, response or notification body: a named object type (`type`) or inline `fields`
/// (with `rules`). `status` and `signed_fields` apply to responses only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct BodyDef {
    #[serde(rename = "type")]
    pub ty: Option<Text>,
    pub fields: Option<Map<FieldRef>>,
    pub rules: Option<Spanned<Vec<Spanned<RuleDef>>>>,
    pub status: Option<Text>,
    pub signed_fields: Option<Spanned<Vec<Text>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping")]
pub struct NotificationDef {
    pub description: Option<Text>,
    pub source: Option<Text>,
    pub data: Spanned<BodyDef>,
    pub reply: Text,
}

/// Positions the AST's spans do not carry directly: where a mapping "is" (its first key) and
/// where a key of a mapping is.
pub struct Locator<'a> {
    file: &'a str,
    /// Every mapping of the document, by the start of its span.
    maps: HashMap<(usize, usize), &'a MarkedMappingNode>,
}

fn start(span: &Span) -> (usize, usize) {
    span.start().map_or((1, 1), |m| (m.line(), m.column()))
}

impl<'a> Locator<'a> {
    /// Indexes every mapping under `root`.
    pub fn new(file: &'a str, root: &'a Node) -> Self {
        let mut maps = HashMap::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            match node {
                Node::Mapping(m) => {
                    maps.entry(start(m.span())).or_insert(m);
                    stack.extend(m.values());
                }
                Node::Sequence(s) => stack.extend(s.iter()),
                Node::Scalar(_) => {}
            }
        }
        Locator { file, maps }
    }

    /// The location of a span's start.
    pub fn at(&self, span: &Span) -> Location {
        let (line, column) = start(span);
        Location {
            file: self.file.to_owned(),
            line,
            column,
        }
    }

    /// Where a mapping is: its first key for a block mapping (whose own marker sits at the first
    /// `:`), its `{` for a flow mapping; the span's start for anything else.
    pub fn map_at(&self, span: &Span) -> Location {
        match self.maps.get(&start(span)) {
            Some(m) => mapping_location(self.file, m),
            None => self.at(span),
        }
    }

    /// Where `key` is in the mapping that starts at `map`'s span; the mapping if absent.
    pub fn key(&self, map: &Span, key: &str) -> Location {
        self.maps
            .get(&start(map))
            .and_then(|m| m.keys().find(|k| k.as_str() == key))
            .map_or_else(|| self.map_at(map), |k| self.at(k.span()))
    }
}

fn mapping_location(file: &str, m: &MarkedMappingNode) -> Location {
    let own = start(m.span());
    let at = match m.keys().next().map(|k| start(k.span())) {
        Some(first) if first < own => first,
        _ => own,
    };
    Location {
        file: file.to_owned(),
        line: at.0,
        column: at.1,
    }
}

/// One step of the path to an error.
enum Step {
    Key(String),
    Index(usize),
}

/// Deserializes the spec from its node tree. A shape error (unknown or missing key, a value of
/// the wrong kind, a word outside a key's vocabulary) is located at the key or value at fault.
pub fn load(file: &str, root: &Node) -> Result<Spec, SpecError> {
    serde_path_to_error::deserialize(NodeDeserializer::new(root))
        .map_err(|e| shape_error(file, root, e))
}

fn shape_error(file: &str, root: &Node, e: serde_path_to_error::Error<NodeError>) -> SpecError {
    use serde_path_to_error::Segment;
    // Walk the path over the node tree; segments inside `Spanned` are the wrapper's own.
    let mut node = root;
    let mut parents = Vec::new();
    let mut steps = Vec::new();
    for segment in e.path().iter() {
        match segment {
            Segment::Map { key } if key.starts_with("$___::") => {}
            Segment::Map { key } => {
                let Some((_, v)) = node
                    .as_mapping()
                    .and_then(|m| m.iter().find(|(k, _)| k.as_str() == key))
                else {
                    break;
                };
                parents.push(node);
                node = v;
                steps.push(Step::Key(key.clone()));
            }
            Segment::Seq { index } => {
                let Some(item) = node.as_sequence().and_then(|s| s.get(*index)) else {
                    break;
                };
                parents.push(node);
                node = item;
                steps.push(Step::Index(*index));
            }
            Segment::Enum { .. } | Segment::Unknown => break,
        }
    }
    let error = e.into_inner();
    // An unknown key's path ends at the key itself: the mapping holding it is the place.
    if let NodeError::UnknownFieldError(field, ..) = &error {
        if matches!(steps.last(), Some(Step::Key(k)) if k == field) {
            steps.pop();
            node = parents.pop().unwrap_or(root);
        }
    }
    let value_at = || match node {
        Node::Mapping(m) => mapping_location(file, m),
        _ => location(file, node.span()),
    };
    let text = || node.as_scalar().map_or("", |s| s.as_str());
    let name = match steps.last() {
        Some(Step::Key(k)) => format!("`{k}`"),
        Some(Step::Index(i)) => format!("item {}", i + 1),
        None => "the spec".to_owned(),
    };
    // The thing holding the value at fault, for messages about a value.
    let holder = describe(&steps[..steps.len().saturating_sub(1)]);
    match &error {
        NodeError::UnknownFieldError(field, expected, _) => {
            let at = node
                .as_mapping()
                .and_then(|m| m.keys().find(|k| k.as_str() == field))
                .map_or_else(value_at, |k| location(file, k.span()));
            let mut expected = expected.to_vec();
            expected.sort_unstable();
            SpecError::new(
                at,
                format!(
                    "unknown key `{field}` in {} (expected one of: {})",
                    describe(&steps),
                    expected.join(", ")
                ),
            )
        }
        NodeError::NotBoolean(_) => SpecError::new(
            value_at(),
            format!(
                "{name} must be true or false, found `{}` ({holder})",
                text()
            ),
        ),
        NodeError::IntegerParseFailure(..) => SpecError::new(
            value_at(),
            format!(
                "{name} must be a non-negative integer, found `{}` ({holder})",
                text()
            ),
        ),
        NodeError::FloatParseFailure(..) => {
            SpecError::new(value_at(), format!("{name}: {error} ({holder})"))
        }
        NodeError::Other(message, _) => {
            if let Some(field) = between_backticks(message.strip_prefix("missing field ")) {
                return SpecError::new(
                    value_at(),
                    format!("{} is missing required key `{field}`", describe(&steps)),
                );
            }
            if let Some(rest) = message.strip_prefix("unknown variant ") {
                let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
                let noun = match steps.last() {
                    Some(Step::Key(k)) => match k.as_str() {
                        "source" => "value source",
                        "format" => "time format",
                        other => other,
                    }
                    .to_owned(),
                    _ => "value".to_owned(),
                };
                // An `outcome` entry's key is the enum value: the word at fault is its label.
                let in_outcome = steps.len() >= 2
                    && matches!(&steps[steps.len() - 2], Step::Key(k) if k == "outcome");
                let noun = if in_outcome {
                    "outcome label".to_owned()
                } else {
                    noun
                };
                return SpecError::new(
                    value_at(),
                    format!(
                        "unsupported {noun} `{}` in {holder} (expected {expected})",
                        text()
                    ),
                );
            }
            if let Some(rest) = message.strip_prefix("invalid type: ") {
                let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
                return SpecError::new(
                    value_at(),
                    format!(
                        "{name} of {holder} must be {expected}, found {}",
                        kind(node)
                    ),
                );
            }
            if let Some(rest) = message.strip_prefix("invalid value: ") {
                let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
                return SpecError::new(
                    value_at(),
                    format!("{name} of {holder} must be {expected}, found `{}`", text()),
                );
            }
            SpecError::new(value_at(), format!("{} ({})", message, describe(&steps)))
        }
    }
}

fn between_backticks(text: Option<&str>) -> Option<&str> {
    text?.strip_prefix('`')?.split('`').next()
}

fn location(file: &str, span: &Span) -> Location {
    let (line, column) = start(span);
    Location {
        file: file.to_owned(),
        line,
        column,
    }
}

fn kind(node: &Node) -> &'static str {
    match node {
        Node::Scalar(_) => "a scalar",
        Node::Mapping(_) => "a mapping",
        Node::Sequence(_) => "a list",
    }
}

/// A reader's name for the place a path leads to: `operation `pay``, `field `id` of request of
/// operation `pay``, `the spec`...
fn describe(steps: &[Step]) -> String {
    let mut what = "the spec".to_owned();
    let mut i = 0;
    while i < steps.len() {
        let next = match steps.get(i + 1) {
            Some(Step::Key(k)) => Some(k.as_str()),
            _ => None,
        };
        what = match &steps[i] {
            Step::Index(n) => match what.strip_prefix("`rules` of ") {
                Some(owner) => format!("rule {} of {owner}", n + 1),
                None => format!("item {} of {what}", n + 1),
            },
            Step::Key(k) => {
                let top = match k.as_str() {
                    "operations" => Some("operation"),
                    "notifications" => Some("notification"),
                    "types" => Some("type"),
                    "hosts" => Some("host"),
                    "params" => Some("shared parameter"),
                    "common" => Some("common parameter"),
                    _ => None,
                };
                match (k.as_str(), next) {
                    (_, Some(n)) if i == 0 && top.is_some() => {
                        i += 1;
                        format!("{} `{n}`", top.unwrap_or_default())
                    }
                    ("fields", Some(n)) => {
                        i += 1;
                        format!("field `{n}` of {what}")
                    }
                    ("request" | "response" | "data", _) if i > 0 => format!("{k} of {what}"),
                    (k, _) if i == 0 => format!("`{k}`"),
                    (k, _) => format!("`{k}` of {what}"),
                }
            }
        };
        i += 1;
    }
    what
}
