//! Property tests of the generated crates, with strategies derived from the specs.
//!
//! The specs (`spec/*.yaml`) are parsed at test time with `payspec_codegen`; every strategy below
//! is built from the IR (operations, fields, types, rules), and the generated crates are driven
//! through their run-time entry points (`AnyRequest::from_params` / `from_json`, `sign_any`,
//! `Verifier::verify_raw` / `verify_*_raw`, `types::roundtrip_json`). A new operation, field,
//! rule or type in a spec is therefore covered without new test code.
//!
//! Layout: specs and keys, a small JSON model with controllable spelling, the strategy builders,
//! the expectation helpers (signing oracles, validation cases, mutations), then one `proptest!`
//! block per property of the issue.

use std::sync::OnceLock;

use payspec_codegen::ir::{
    Api, Field, FieldType, Operation, Rule, TimeFormat, Transport, TypeDef, ValueSource,
};
use payspec_runtime::sorted_params::DataVerifyError;
use payspec_runtime::{Backend, DigestAlgorithm, PrivateKey, PublicKey, ValidationError};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::Union;
use proptest::test_runner::FileFailurePersistence;

// ================================================================================================
// Specs and keys
// ================================================================================================

fn load_spec(name: &str) -> Api {
    let path = format!("{}/../spec/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    payspec_codegen::parse_spec(&format!("spec/{name}.yaml"), &text)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ksher() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| load_spec("ksher"))
}

fn alipayplus() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| load_spec("alipayplus"))
}

/// Merchant id of every Ksher signer.
const APPID: &str = "mch35000";
/// Client id of every Alipay+ signer and verifier.
const CLIENT_ID: &str = "SANDBOX_5YBZ1D2ZJY5N01234";

/// A fresh key pair of one backend, and the public key of another fresh pair.
struct KeySet {
    backend: Backend,
    signer: PrivateKey,
    public: PublicKey,
    other: PublicKey,
}

fn key_sets(bits: u32) -> Vec<KeySet> {
    Backend::ALL
        .iter()
        .map(|&backend| {
            let fresh = || {
                PrivateKey::generate(backend, bits)
                    .unwrap_or_else(|e| panic!("{} {bits}-bit key: {e}", backend.name()))
            };
            let signer = fresh();
            KeySet {
                backend,
                public: signer.public_key(),
                other: fresh().public_key(),
                signer,
            }
        })
        .collect()
}

/// 1024-bit keys (Ksher merchants use 1024-bit keys), one set per compiled backend.
fn ksher_keys() -> &'static [KeySet] {
    static KEYS: OnceLock<Vec<KeySet>> = OnceLock::new();
    KEYS.get_or_init(|| key_sets(1024))
}

/// 2048-bit keys, one set per compiled backend.
fn alipayplus_keys() -> &'static [KeySet] {
    static KEYS: OnceLock<Vec<KeySet>> = OnceLock::new();
    KEYS.get_or_init(|| key_sets(2048))
}

fn enum_def(api: &'static Api, name: &str) -> (Vec<&'static str>, bool) {
    match api.types.iter().find(|t| t.name() == name) {
        Some(TypeDef::Enum { values, open, .. }) => (
            values.iter().map(|(wire, _, _)| wire.as_str()).collect(),
            *open,
        ),
        _ => panic!("{}: no enum type `{name}`", api.name),
    }
}

fn object_def(api: &'static Api, name: &str) -> (&'static [Field], &'static [Rule]) {
    match api.types.iter().find(|t| t.name() == name) {
        Some(TypeDef::Object { fields, rules, .. }) => (fields, rules),
        _ => panic!("{}: no object type `{name}`", api.name),
    }
}

fn object_type_names(api: &'static Api) -> Vec<&'static str> {
    api.types
        .iter()
        .filter(|t| matches!(t, TypeDef::Object { .. }))
        .map(TypeDef::name)
        .collect()
}

// ================================================================================================
// A JSON model whose spelling (member order, whitespace, escapes) the tests control
// ================================================================================================

/// A JSON value; numbers keep their token text, objects their member order.
#[derive(Clone, Debug, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
    /// Pre-rendered JSON text (only in expected bodies).
    Raw(String),
}

impl J {
    fn members(&self) -> &[(String, J)] {
        match self {
            J::Obj(members) => members,
            other => panic!("not an object: {other:?}"),
        }
    }

    fn members_mut(&mut self) -> &mut Vec<(String, J)> {
        match self {
            J::Obj(members) => members,
            other => panic!("not an object: {other:?}"),
        }
    }

    fn get(&self, key: &str) -> Option<&J> {
        self.members()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    fn set(&mut self, key: &str, value: J) {
        let members = self.members_mut();
        match members.iter_mut().find(|(k, _)| k == key) {
            Some(member) => member.1 = value,
            None => members.push((key.to_owned(), value)),
        }
    }

    fn remove(&mut self, key: &str) {
        self.members_mut().retain(|(k, _)| k != key);
    }

    fn render(&self, spelling: Spelling) -> String {
        let mut w = Writer {
            out: String::new(),
            rng: Rng(spelling.seed),
            spelling,
        };
        if spelling.spaces {
            // Always differ from the compact spelling.
            w.out.push(' ');
        }
        w.value(self);
        w.space();
        w.out
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Order {
    AsIs,
    Sorted,
    Shuffled,
}

/// How a [`J`] is written: member order, whitespace between tokens, optional escapes (`\/`,
/// `\uXXXX` for non-ASCII, upper-case hex).
#[derive(Clone, Copy, Debug)]
struct Spelling {
    order: Order,
    seed: u64,
    spaces: bool,
    escapes: bool,
}

impl Spelling {
    /// Members as given, no whitespace, serde_json's escaping: what serde_json writes.
    const COMPACT: Spelling = Spelling {
        order: Order::AsIs,
        seed: 0,
        spaces: false,
        escapes: false,
    };
    /// Compact with members sorted by name bytes: Ksher rule K2 for nested values.
    const SORTED: Spelling = Spelling {
        order: Order::Sorted,
        ..Spelling::COMPACT
    };

    /// The same JSON value spelled differently: shuffled members, whitespace, escapes.
    fn varied(seed: u64) -> Spelling {
        Spelling {
            order: Order::Shuffled,
            seed,
            spaces: true,
            escapes: true,
        }
    }
}

/// SplitMix64: a tiny deterministic generator for spellings and shuffles.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

struct Writer {
    out: String,
    rng: Rng,
    spelling: Spelling,
}

impl Writer {
    fn space(&mut self) {
        if self.spelling.spaces {
            let ws = ["", " ", "\n", "\t", "\r\n", "  "];
            let pick = self.rng.below(ws.len());
            self.out.push_str(ws[pick]);
        }
    }

    fn string(&mut self, s: &str) {
        if !self.spelling.escapes {
            self.out
                .push_str(&serde_json::to_string(s).expect("strings serialize"));
            return;
        }
        self.out.push('"');
        for c in s.chars() {
            let escape = self.rng.next() & 1 == 0;
            let hex = |u: u16, upper: bool| {
                if upper {
                    format!("\\u{u:04X}")
                } else {
                    format!("\\u{u:04x}")
                }
            };
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                c if (c as u32) < 0x20 => self.out.push_str(&hex(c as u16, escape)),
                '/' if escape => self.out.push_str("\\/"),
                c if !c.is_ascii() && escape => {
                    let mut units = [0u16; 2];
                    let upper = self.rng.next() & 1 == 0;
                    for unit in c.encode_utf16(&mut units) {
                        self.out.push_str(&hex(*unit, upper));
                    }
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    fn value(&mut self, v: &J) {
        self.space();
        match v {
            J::Null => self.out.push_str("null"),
            J::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            J::Num(token) => self.out.push_str(token),
            J::Str(s) => self.string(s),
            J::Raw(text) => self.out.push_str(text),
            J::Arr(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.space();
                        self.out.push(',');
                    }
                    self.value(item);
                }
                self.space();
                self.out.push(']');
            }
            J::Obj(members) => {
                let mut order: Vec<&(String, J)> = members.iter().collect();
                match self.spelling.order {
                    Order::AsIs => {}
                    Order::Sorted => order.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes())),
                    Order::Shuffled => self.rng.shuffle(&mut order),
                }
                self.out.push('{');
                for (i, (name, value)) in order.into_iter().enumerate() {
                    if i > 0 {
                        self.space();
                        self.out.push(',');
                    }
                    self.space();
                    self.string(name);
                    self.space();
                    self.out.push(':');
                    self.value(value);
                }
                self.space();
                self.out.push('}');
            }
        }
    }
}

// ================================================================================================
// Strategies derived from the spec
// ================================================================================================

/// How values are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Valid request parameters of the form transport: every value is text.
    Form,
    /// Valid JSON request bodies: required members and rules honoured, scalars spelled as strings
    /// or as JSON numbers / booleans (parsing is lenient).
    Json,
    /// Gateway data: any subset of members, lenient spellings (`""`, `null`, numbers for text),
    /// unknown values of open enums and unknown members.
    Lenient,
}

/// Characters of generated text: ASCII, form/JSON-special, control and multi-byte characters.
const CHARS: &[char] = &[
    'a', 'k', 'z', 'A', 'Q', 'Z', '0', '5', '9', ' ', '-', '_', '.', ':', '/', '=', '&', '+', '%',
    '?', '#', '"', '\\', '\'', '\n', '\u{1}', 'é', 'ß', 'ไ', 'ท', '测', '😀',
];

/// Value of an open enum the spec does not list.
const UNKNOWN_ENUM: &str = "ZZ_NEW_VALUE";
/// Member name no spec uses.
const UNKNOWN_MEMBER: &str = "zzUnknownMember";

fn text(len: std::ops::RangeInclusive<usize>) -> BoxedStrategy<String> {
    proptest::collection::vec(proptest::sample::select(CHARS), len)
        .prop_map(|chars| chars.into_iter().collect())
        .boxed()
}

/// Exactly `len` characters (mixing one- to four-byte UTF-8), starting at `seed` in [`CHARS`].
fn text_of_len(len: usize, seed: u64) -> String {
    (0..len)
        .map(|i| CHARS[(seed as usize).wrapping_add(i * 7) % CHARS.len()])
        .collect()
}

fn url() -> BoxedStrategy<String> {
    "[a-z0-9]{0,12}(\\?[a-z]{1,3}=[a-z0-9]{0,4}(&[a-z]{1,3}=[a-z0-9]{0,4})?)?"
        .prop_map(|rest| format!("https://x.example/{rest}"))
        .boxed()
}

fn date() -> BoxedStrategy<String> {
    (2000u32..2100, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
        .boxed()
}

fn datetime() -> BoxedStrategy<String> {
    let offset = proptest::sample::select(vec!["Z", "+08:00", "-05:30", "+00:00", "+07:00"]);
    (date(), 0u32..24, 0u32..60, 0u32..60, offset)
        .prop_map(|(d, h, mi, s, o)| format!("{d}T{h:02}:{mi:02}:{s:02}{o}"))
        .boxed()
}

fn currency() -> BoxedStrategy<String> {
    prop_oneof![
        Just("IDR".to_owned()),
        Just("USD".to_owned()),
        Just("JPY".to_owned()),
        Just("THB".to_owned()),
        "[A-Z]{3}",
    ]
    .boxed()
}

/// A JSON number token.
fn number_token() -> BoxedStrategy<String> {
    "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,3})?([eE][+-]?[0-9])?".boxed()
}

fn enum_text(api: &'static Api, name: &str, allow_unknown: bool) -> BoxedStrategy<String> {
    let (values, open) = enum_def(api, name);
    let known = proptest::sample::select(values).prop_map(str::to_owned);
    if open && allow_unknown {
        prop_oneof![6 => known, 1 => Just(UNKNOWN_ENUM.to_owned())].boxed()
    } else {
        known.boxed()
    }
}

/// A request time as Ksher and its SDKs send it: `yyyyMMddHHmmss` with an optional alphanumeric
/// suffix, or epoch milliseconds.
fn compact_time() -> BoxedStrategy<String> {
    let calendar = (
        2000u32..2100,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
        "[0-9A-Z]{0,3}",
    )
        .prop_map(|(y, mo, d, h, mi, s, suffix)| {
            format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{suffix}")
        });
    prop_oneof![4 => calendar, 1 => "1[0-9]{12}"].boxed()
}

/// A valid value of a scalar field, as text.
fn valid_text(api: &'static Api, f: &'static Field) -> BoxedStrategy<String> {
    let short = f.max_length.map_or(16, |m| (m as usize).min(16));
    match &f.ty {
        FieldType::String if f.format == Some(TimeFormat::Compact) => compact_time(),
        FieldType::String => text(0..=short),
        FieldType::Url => url(),
        FieldType::Date => date(),
        FieldType::DateTime => datetime(),
        FieldType::Currency => currency(),
        FieldType::Decimal => "(0|[1-9][0-9]{0,4})\\.[0-9]{1,6}".boxed(),
        FieldType::Integer => (f.min.unwrap_or(0)..=f.max.unwrap_or(1_000_000))
            .prop_map(|n| n.to_string())
            .boxed(),
        FieldType::Amount | FieldType::MinorUnits { .. } => {
            (1u64..=1_000_000_000).prop_map(|n| n.to_string()).boxed()
        }
        FieldType::Boolean => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        FieldType::Enum(name) => enum_text(api, name, true),
        other => panic!("`{}` ({other:?}) is not a scalar", f.wire),
    }
}

/// Any JSON value (for `json` fields and unknown members).
fn any_json() -> BoxedStrategy<J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        number_token().prop_map(J::Num),
        text(0..=6).prop_map(J::Str),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..=4).prop_map(J::Arr),
            proptest::collection::vec((text(0..=5), inner), 0..=4).prop_map(|mut members| {
                let mut seen = std::collections::BTreeSet::new();
                members.retain(|(k, _)| seen.insert(k.clone()));
                J::Obj(members)
            }),
        ]
    })
    .boxed()
}

/// A value of field `f` in `mode`.
fn field_json(api: &'static Api, f: &'static Field, mode: Mode, depth: usize) -> BoxedStrategy<J> {
    assert!(
        depth < 12,
        "types nest too deeply (recursive type?) at `{}`",
        f.wire
    );
    let str_or_num = |s: BoxedStrategy<String>| -> BoxedStrategy<J> {
        if mode == Mode::Form {
            s.prop_map(J::Str).boxed()
        } else {
            prop_oneof![s.clone().prop_map(J::Str), s.prop_map(J::Num)].boxed()
        }
    };
    let valid: BoxedStrategy<J> = match &f.ty {
        FieldType::Object(t) => object_json(api, t, mode, depth + 1),
        FieldType::Array(t) => {
            proptest::collection::vec(object_json(api, t, mode, depth + 1), 0..=2)
                .prop_map(J::Arr)
                .boxed()
        }
        FieldType::StringArray => proptest::collection::vec(text(0..=4).prop_map(J::Str), 0..=3)
            .prop_map(J::Arr)
            .boxed(),
        FieldType::Json if mode == Mode::Lenient => any_json(),
        // A top-level `null` reads as absent: keep request values present.
        FieldType::Json => any_json().prop_filter("present", |j| *j != J::Null).boxed(),
        FieldType::Boolean if mode != Mode::Form => prop_oneof![
            any::<bool>().prop_map(J::Bool),
            any::<bool>().prop_map(|b| J::Str(b.to_string())),
        ]
        .boxed(),
        FieldType::Integer
        | FieldType::Amount
        | FieldType::MinorUnits { .. }
        | FieldType::Decimal => str_or_num(valid_text(api, f)),
        FieldType::Enum(name) => enum_text(api, name, true).prop_map(J::Str).boxed(),
        FieldType::String if mode == Mode::Lenient => text(0..=8).prop_map(J::Str).boxed(),
        _ => valid_text(api, f).prop_map(J::Str).boxed(),
    };
    if mode != Mode::Lenient {
        return valid;
    }
    // Spellings gateways use and the lenient parsers accept.
    let odd: BoxedStrategy<J> = match &f.ty {
        FieldType::String
        | FieldType::Url
        | FieldType::Date
        | FieldType::DateTime
        | FieldType::Currency
        | FieldType::Decimal => prop_oneof![
            Just(J::Null),
            Just(J::Str(String::new())),
            number_token().prop_map(J::Num),
            any::<bool>().prop_map(J::Bool),
        ]
        .boxed(),
        FieldType::Integer => prop_oneof![
            Just(J::Null),
            Just(J::Str(String::new())),
            (1i64..1_000_000).prop_map(|n| J::Num((-n).to_string())),
            (1i64..1_000_000).prop_map(|n| J::Str((-n).to_string())),
        ]
        .boxed(),
        FieldType::Amount | FieldType::MinorUnits { .. } | FieldType::Boolean => {
            prop_oneof![Just(J::Null), Just(J::Str(String::new()))].boxed()
        }
        FieldType::Enum(name) if enum_def(api, name).1 => prop_oneof![
            Just(J::Null),
            "ZZ_[A-Z0-9_]{0,6}".prop_map(J::Str),
            (0u32..1000).prop_map(|n| J::Num(n.to_string())),
        ]
        .boxed(),
        _ => Just(J::Null).boxed(),
    };
    prop_oneof![6 => valid, 1 => odd].boxed()
}

fn object_json(api: &'static Api, name: &str, mode: Mode, depth: usize) -> BoxedStrategy<J> {
    let (fields, rules) = object_def(api, name);
    members_json(api, fields.iter().collect(), rules, mode, depth)
}

/// An object with `fields` and `rules`. In the valid modes required members are present, one
/// member of each at-least-one-of group is, conditionally required members are, and amounts in
/// IDR end in 00; other members are present at random.
fn members_json(
    api: &'static Api,
    fields: Vec<&'static Field>,
    rules: &'static [Rule],
    mode: Mode,
    depth: usize,
) -> BoxedStrategy<J> {
    let values: Vec<BoxedStrategy<(bool, J)>> = fields
        .iter()
        .map(|f| (any::<bool>(), field_json(api, f, mode, depth)).boxed())
        .collect();
    let picks = proptest::collection::vec(any::<Index>(), rules.len());
    let extra = if mode == Mode::Lenient {
        proptest::option::weighted(0.2, any_json()).boxed()
    } else {
        Just(None).boxed()
    };
    (values, picks, extra)
        .prop_map(move |(mut values, picks, extra)| {
            let at = |wire: &str| {
                fields
                    .iter()
                    .position(|f| f.wire == wire)
                    .unwrap_or_else(|| panic!("rule names unknown field `{wire}`"))
            };
            if mode != Mode::Lenient {
                for (i, f) in fields.iter().enumerate() {
                    if f.required {
                        values[i].0 = true;
                    }
                }
                for (rule, pick) in rules.iter().zip(&picks) {
                    match rule {
                        Rule::AtLeastOneOf { fields: group, .. } => {
                            let members: Vec<usize> = group.iter().map(|g| at(g)).collect();
                            if !members.iter().any(|&i| values[i].0) {
                                values[members[pick.index(members.len())]].0 = true;
                            }
                        }
                        Rule::RequiredWhen {
                            field,
                            when,
                            values: when_values,
                            ..
                        } => {
                            let (present, value) = &values[at(when)];
                            if *present && matches!(value, J::Str(v) if when_values.contains(v)) {
                                values[at(field)].0 = true;
                            }
                        }
                        Rule::NotGreater { field, than, .. } => {
                            // Keep `field` within `than`: lower it to `than` when it is greater.
                            let number = |j: &J| match j {
                                J::Str(t) | J::Num(t) => t.parse::<u64>().ok(),
                                _ => None,
                            };
                            let (a, b) = (at(field), at(than));
                            if let (Some(x), Some(y)) = (number(&values[a].1), number(&values[b].1))
                            {
                                if x > y {
                                    values[a].1 = values[b].1.clone();
                                }
                            }
                        }
                    }
                }
                for (i, f) in fields.iter().enumerate() {
                    if let FieldType::MinorUnits {
                        currency_field: Some(c),
                    } = &f.ty
                    {
                        if values[at(c)] == (true, J::Str("IDR".into())) {
                            if let J::Str(t) | J::Num(t) = &mut values[i].1 {
                                let n: u64 = t.parse().expect("minor units");
                                *t = (n / 100 * 100).max(100).to_string();
                            }
                        }
                    }
                }
            }
            let mut members: Vec<(String, J)> = fields
                .iter()
                .zip(values)
                .filter(|(_, (present, _))| *present)
                .map(|(f, (_, v))| (f.wire.clone(), v))
                .collect();
            if let Some(extra) = extra {
                members.push((UNKNOWN_MEMBER.to_owned(), extra));
            }
            J::Obj(members)
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Ksher requests
// ---------------------------------------------------------------------------------------------

/// Parameters of one Ksher request, common ones included, and one more valid value for every
/// parameter the operation has (to change or add parameters).
#[derive(Clone, Debug)]
struct KsherRequest {
    op: &'static Operation,
    params: Vec<(String, String)>,
    alternatives: Vec<(String, String)>,
}

fn ksher_fields(op: &'static Operation) -> Vec<&'static Field> {
    ksher().common.iter().chain(&op.request).collect()
}

fn ksher_request(op: &'static Operation) -> BoxedStrategy<KsherRequest> {
    let api = ksher();
    // The nonce and the clock are always given, so that signing is deterministic; configured
    // values (appid, version) sometimes.
    let common: Vec<BoxedStrategy<Option<(String, String)>>> = api
        .common
        .iter()
        .map(|f| {
            let value = valid_text(api, f).prop_map(move |v| (f.wire.clone(), v));
            match f.source {
                ValueSource::Nonce | ValueSource::Clock => value.prop_map(Some).boxed(),
                ValueSource::Caller if f.required => value.prop_map(Some).boxed(),
                _ => proptest::option::of(value).boxed(),
            }
        })
        .collect();
    let params = members_json(api, op.request.iter().collect(), &op.rules, Mode::Form, 0);
    let alternatives: Vec<BoxedStrategy<(String, String)>> = ksher_fields(op)
        .into_iter()
        .map(|f| {
            valid_text(api, f)
                .prop_map(move |v| (f.wire.clone(), v))
                .boxed()
        })
        .collect();
    (common, params, alternatives)
        .prop_map(move |(common, params, alternatives)| {
            let mut all: Vec<(String, String)> = common.into_iter().flatten().collect();
            all.extend(form_pairs(&params));
            KsherRequest {
                op,
                params: all,
                alternatives,
            }
        })
        .boxed()
}

fn ksher_requests() -> BoxedStrategy<KsherRequest> {
    Union::new(ksher().operations.iter().map(ksher_request)).boxed()
}

/// `true` if a `not_greater` rule of `rules` does not hold for `params`.
fn breaks_a_rule(rules: &[Rule], params: &[(String, String)]) -> bool {
    let number = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    let has = |name: &str| params.iter().any(|(n, _)| n == name);
    rules.iter().any(|rule| match rule {
        Rule::NotGreater { field, than, .. } => {
            matches!((number(field), number(than)), (Some(a), Some(b)) if a > b)
        }
        // A changed value may make another member required.
        Rule::RequiredWhen {
            field,
            when,
            values,
            ..
        } => {
            !has(field)
                && params
                    .iter()
                    .any(|(n, v)| n == when && values.iter().any(|x| x == v))
        }
        Rule::AtLeastOneOf { .. } => false,
    })
}

fn form_pairs(params: &J) -> Vec<(String, String)> {
    params
        .members()
        .iter()
        .map(|(name, value)| match value {
            J::Str(text) => (name.clone(), text.clone()),
            other => panic!("form parameter `{name}` is not text: {other:?}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Ksher responses and notifications
// ---------------------------------------------------------------------------------------------

/// A signed Ksher message: an operation's response or a notification.
#[derive(Clone, Debug)]
struct KsherMessage {
    name: &'static str,
    data_type: &'static str,
    /// The spec's signed subset of `data` (`None`: every member).
    signed: Option<&'static [String]>,
}

fn ksher_messages() -> Vec<KsherMessage> {
    let api = ksher();
    let operations = api.operations.iter().map(|op| KsherMessage {
        name: &op.wire,
        data_type: &op.response_type,
        signed: op.signed_fields.as_deref(),
    });
    let notifications = api.notifications.iter().map(|n| KsherMessage {
        name: &n.wire,
        data_type: &n.data_type,
        signed: None,
    });
    operations.chain(notifications).collect()
}

/// A message and its `data` object, drawn from the data type of the spec.
fn ksher_data() -> BoxedStrategy<(KsherMessage, J)> {
    let api = ksher();
    Union::new(ksher_messages().into_iter().map(|m| {
        let data = object_json(api, m.data_type, Mode::Lenient, 0);
        (Just(m), data).boxed()
    }))
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Alipay+ requests and notifications
// ---------------------------------------------------------------------------------------------

/// An Alipay+ message signed over its exact body: an operation's request (which has the layout
/// of a response to the same path) or a notification received at our endpoint.
#[derive(Clone, Debug)]
struct AlipayMessage {
    name: &'static str,
    /// Operation (typed request) or notification.
    operation: bool,
    path: String,
    body_type: &'static str,
}

fn alipay_messages() -> Vec<AlipayMessage> {
    let api = alipayplus();
    let operations = api.operations.iter().map(|op| AlipayMessage {
        name: &op.wire,
        operation: true,
        path: op.path.clone(),
        body_type: op
            .request_type
            .as_deref()
            .expect("JSON operations have a request type"),
    });
    let notifications = api.notifications.iter().map(|n| AlipayMessage {
        name: &n.wire,
        operation: false,
        path: format!("/acqp/notify/{}", n.wire),
        body_type: &n.data_type,
    });
    operations.chain(notifications).collect()
}

/// A message and a valid body, drawn from its type in the spec.
fn alipay_bodies(operations_only: bool) -> BoxedStrategy<(AlipayMessage, J)> {
    let api = alipayplus();
    Union::new(
        alipay_messages()
            .into_iter()
            .filter(|m| m.operation || !operations_only)
            .map(|m| {
                let body = object_json(api, m.body_type, Mode::Json, 0);
                (Just(m), body).boxed()
            }),
    )
    .boxed()
}

// ================================================================================================
// Expectations: signing oracles, typed entry points, validation cases, mutations
// ================================================================================================

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The parameters a Ksher request carries: the given ones and the signer's configured appid.
fn ksher_effective(params: &[(String, String)]) -> Vec<(String, String)> {
    let mut all = params.to_vec();
    if !all.iter().any(|(name, _)| name == "appid") {
        all.push(("appid".into(), APPID.into()));
    }
    all
}

/// Oracle of the Ksher string to sign: `name=value` sorted by name bytes, concatenated.
fn ksher_string_to_sign(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    sorted.iter().map(|(n, v)| format!("{n}={v}")).collect()
}

/// Whether member `name` is signed, given the spec's signed subset (`None`: all members).
fn is_signed(subset: Option<&[String]>, name: &str) -> bool {
    match subset {
        None => true,
        Some(subset) => subset.iter().any(|s| s == name),
    }
}

/// Oracle of rule K2: the signed members of `data` sorted by name bytes as `name=value`; strings
/// unescaped, numbers as their token, nested values as compact JSON with sorted keys.
fn ksher_string_to_verify(data: &[(String, J)], signed: Option<&[String]>) -> String {
    let mut members: Vec<&(String, J)> = data
        .iter()
        .filter(|(name, _)| is_signed(signed, name))
        .collect();
    members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::new();
    for (name, value) in members {
        out.push_str(name);
        out.push('=');
        match value {
            J::Str(s) => out.push_str(s),
            J::Num(token) => out.push_str(token),
            other => out.push_str(&other.render(Spelling::SORTED)),
        }
    }
    out
}

/// Builds and signs a Ksher request from text parameters (the merchant id `appid` added when
/// they lack it: `sign_params` signs exactly what it is given); a validation error names its
/// field.
fn ksher_sign(
    op: &str,
    params: &[(String, String)],
    key: &PrivateKey,
) -> Result<payspec_ksher::SignedRequest, ValidationError> {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    if !pairs.iter().any(|(n, _)| *n == "appid") {
        pairs.push(("appid", APPID));
    }
    let signer = payspec_ksher::Signer::new(APPID, key.clone());
    signer.sign_params(op, &pairs).map_err(|e| match e {
        payspec_ksher::SignParamsError::Sign(payspec_ksher::SignError::Invalid(e)) => e,
        other => panic!("{op}: {other}"),
    })
}

fn ksher_envelope(data: &J, sign: &str) -> J {
    J::Obj(vec![
        ("code".into(), J::Num("0".into())),
        ("msg".into(), J::Str("ok".into())),
        ("data".into(), data.clone()),
        ("sign".into(), J::Str(sign.into())),
    ])
}

/// Verifies a Ksher body through the generated verifier; the verified string on success.
fn ksher_verify(
    name: &str,
    body: &str,
    key: &PublicKey,
) -> Result<String, payspec_ksher::ResponseError> {
    payspec_ksher::Verifier::new(key.clone())
        .verify_raw(name, body.as_bytes())
        .map(|verified| verified.into_inner().string_to_verify)
}

fn bad_ksher_signature() -> Result<String, payspec_ksher::ResponseError> {
    Err(payspec_ksher::ResponseError::Verify(
        DataVerifyError::BadSignature,
    ))
}

/// An Alipay+ request parsed strictly through its typed request (as JSON of the typed value).
#[derive(Debug, PartialEq)]
struct AlipayRequest {
    operation: &'static str,
    typed: serde_json::Value,
}

impl AlipayRequest {
    /// Signs the typed request (parsed again from its JSON) at `time`.
    fn sign(
        &self,
        signer: &payspec_alipayplus::Signer,
        time: &str,
    ) -> Result<payspec_alipayplus::SignedRequest, payspec_alipayplus::SignJsonError> {
        signer.sign_json(self.operation, &self.typed.to_string(), time)
    }
}

/// Parses and checks an Alipay+ request body; a validation error names its member.
fn alipay_request(op: &str, json: &str) -> Result<AlipayRequest, ValidationError> {
    let entry = payspec_runtime::scheme::header_rsa::operation::<payspec_alipayplus::Api>(op)
        .unwrap_or_else(|| panic!("unknown operation {op}"));
    (entry.check_json)(json).map(|typed| AlipayRequest {
        operation: entry.name,
        typed,
    })
}

/// `body` (an object of type `fields`) as the typed request serializes it: spec member order,
/// absent and `null` members dropped, every scalar a JSON string, `json` members as serde_json
/// writes them.
fn alipay_wire(api: &'static Api, fields: &'static [Field], body: &J) -> J {
    J::Obj(
        fields
            .iter()
            .filter_map(|f| {
                let value = body.get(&f.wire)?;
                if *value == J::Null {
                    return None;
                }
                let wire = match &f.ty {
                    FieldType::Json => {
                        let parsed: serde_json::Value =
                            serde_json::from_str(&value.render(Spelling::COMPACT)).ok()?;
                        J::Raw(serde_json::to_string(&parsed).ok()?)
                    }
                    FieldType::Object(t) => alipay_wire(api, object_def(api, t).0, value),
                    FieldType::Array(t) => J::Arr(match value {
                        J::Arr(items) => items
                            .iter()
                            .map(|item| alipay_wire(api, object_def(api, t).0, item))
                            .collect(),
                        other => panic!("`{}` is not an array: {other:?}", f.wire),
                    }),
                    FieldType::StringArray => value.clone(),
                    _ => match value {
                        J::Str(s) | J::Num(s) => J::Str(s.clone()),
                        J::Bool(b) => J::Str(b.to_string()),
                        other => panic!("`{}` is not a scalar: {other:?}", f.wire),
                    },
                };
                Some((f.wire.clone(), wire))
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Validation cases
// ---------------------------------------------------------------------------------------------

/// What validation should say about an input: accepted, or the kind of error and the field (wire
/// name or dotted path) it names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Want {
    Accepted,
    Missing(String),
    TooLong {
        field: String,
        max: usize,
        actual: usize,
    },
    NotAllowed {
        field: String,
        value: String,
    },
    AtLeastOneOf(Vec<String>),
    RequiredWhen(String),
    Invalid(String),
    Unknown {
        operation: String,
        name: String,
    },
    Several(Vec<Want>),
}

/// Whether validation's verdict `got` reports `want`: the same, or one of several broken rules
/// (an edit can break a second rule too, e.g. a zero total also makes the refund larger).
fn reports(got: &Want, want: &Want) -> bool {
    match got {
        Want::Several(list) => list.contains(want),
        one => one == want,
    }
}

fn want_of(error: &ValidationError) -> Want {
    match error.clone() {
        ValidationError::Missing { field } => Want::Missing(field),
        ValidationError::TooLong { field, max, actual } => Want::TooLong { field, max, actual },
        ValidationError::NotAllowed { field, value, .. } => Want::NotAllowed { field, value },
        ValidationError::AtLeastOneOf { fields } => Want::AtLeastOneOf(fields),
        ValidationError::RequiredWhen { field, .. } => Want::RequiredWhen(field),
        ValidationError::Invalid { field, .. } => Want::Invalid(field),
        ValidationError::Unknown { operation, name } => Want::Unknown {
            operation: operation.to_owned(),
            name,
        },
        ValidationError::Several(list) => Want::Several(list.iter().map(want_of).collect()),
    }
}

/// One edited input and what validation must say about it.
#[derive(Clone, Debug)]
struct ValidationCase {
    what: String,
    input: J,
    want: Want,
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Item(usize),
}

/// An object node of a request: its fields and rules, where it is, and the path errors use.
struct Node {
    fields: Vec<&'static Field>,
    rules: &'static [Rule],
    steps: Vec<Step>,
    prefix: String,
}

fn node_mut<'a>(mut j: &'a mut J, steps: &[Step]) -> &'a mut J {
    for step in steps {
        j = match (step, j) {
            (Step::Key(k), J::Obj(members)) => {
                &mut members
                    .iter_mut()
                    .find(|(name, _)| name == k)
                    .expect("path")
                    .1
            }
            (Step::Item(i), J::Arr(items)) => &mut items[*i],
            (step, other) => panic!("bad step {step:?} into {other:?}"),
        };
    }
    j
}

fn err_path(prefix: &str, wire: &str) -> String {
    if prefix.is_empty() {
        wire.to_owned()
    } else {
        format!("{prefix}.{wire}")
    }
}

/// A simple valid value of a scalar field, to make an absent member present.
fn simple_value(api: &'static Api, f: &Field) -> Option<J> {
    let text = match &f.ty {
        FieldType::String => "v".to_owned(),
        FieldType::Url => "https://x.example/".into(),
        FieldType::Date => "2024-02-29".into(),
        FieldType::DateTime => "2024-02-29T23:59:59+08:00".into(),
        FieldType::Currency => "USD".into(),
        FieldType::Decimal => "1.5".into(),
        FieldType::Integer => f.min.unwrap_or(0).to_string(),
        FieldType::Amount | FieldType::MinorUnits { .. } => "100".into(),
        FieldType::Boolean => "true".into(),
        FieldType::Enum(name) => enum_def(api, name).0[0].to_owned(),
        _ => return None,
    };
    Some(J::Str(text))
}

/// A valid value of exactly `len` characters for a string or URL field.
fn value_of_len(f: &Field, len: usize, seed: u64) -> Option<J> {
    match f.ty {
        // A request time: a valid one padded with the alphanumeric suffix the SDKs append.
        FieldType::String if f.format == Some(TimeFormat::Compact) => {
            (len >= 14).then(|| J::Str(format!("20240101120000{}", "A".repeat(len - 14))))
        }
        FieldType::String => Some(J::Str(text_of_len(len, seed))),
        FieldType::Url => {
            let base = "https://x.example/";
            (len >= base.len()).then(|| J::Str(format!("{base}{}", "a".repeat(len - base.len()))))
        }
        _ => None,
    }
}

/// Every validation case of the object at `node` and, recursively, of the objects in it:
/// values at each max length (accepted) and one longer (rejected), missing required members,
/// empty at-least-one-of groups and each member alone, conditions of required-when rules, open
/// enums with an unknown value (accepted) and closed ones (rejected), integer bounds, amounts,
/// wrongly typed values, unknown members.
fn validation_cases(
    api: &'static Api,
    op: &str,
    root: &J,
    node: Node,
    seed: u64,
    out: &mut Vec<ValidationCase>,
) {
    let form = api.transport == Transport::FormJson;
    let here = {
        let mut copy = root.clone();
        node_mut(&mut copy, &node.steps).clone()
    };
    let mut case = |what: String, edit: &dyn Fn(&mut J), want: Want| {
        let mut input = root.clone();
        edit(node_mut(&mut input, &node.steps));
        out.push(ValidationCase { what, input, want });
    };
    let set = |wire: &str, value: J| {
        let wire = wire.to_owned();
        move |o: &mut J| o.set(&wire, value.clone())
    };

    for f in &node.fields {
        let name = err_path(&node.prefix, &f.wire);
        if let Some(max) = f.max_length {
            let max = max as usize;
            if let Some(v) = value_of_len(f, max, seed) {
                case(
                    format!("{name} at max length {max}"),
                    &set(&f.wire, v),
                    Want::Accepted,
                );
            }
            if let Some(v) = value_of_len(f, max + 1, seed) {
                let want = Want::TooLong {
                    field: name.clone(),
                    max,
                    actual: max + 1,
                };
                case(
                    format!("{name} one longer than {max}"),
                    &set(&f.wire, v),
                    want,
                );
            }
        }
        if f.required && f.source == ValueSource::Caller {
            let wire = f.wire.clone();
            case(
                format!("{name} missing"),
                &move |o: &mut J| o.remove(&wire),
                Want::Missing(name.clone()),
            );
        }
        // Values of the wrong shape for the field's type: rejected as invalid.
        let mut invalid: Vec<String> = Vec::new();
        match &f.ty {
            FieldType::Enum(e) => {
                let want = if enum_def(api, e).1 {
                    Want::Accepted
                } else if form {
                    Want::NotAllowed {
                        field: name.clone(),
                        value: UNKNOWN_ENUM.into(),
                    }
                } else {
                    Want::Invalid(name.clone())
                };
                let unknown = J::Str(UNKNOWN_ENUM.into());
                case(
                    format!("{name} unknown enum value"),
                    &set(&f.wire, unknown),
                    want,
                );
            }
            FieldType::Integer => {
                if let Some(min) = f.min {
                    let at = J::Str(min.to_string());
                    case(
                        format!("{name} = min {min}"),
                        &set(&f.wire, at),
                        Want::Accepted,
                    );
                    if min > 0 {
                        invalid.push((min - 1).to_string());
                    }
                }
                if let Some(max) = f.max {
                    let at = J::Str(max.to_string());
                    case(
                        format!("{name} = max {max}"),
                        &set(&f.wire, at),
                        Want::Accepted,
                    );
                    invalid.push((max + 1).to_string());
                }
                invalid.push("1x".into());
            }
            FieldType::Amount | FieldType::MinorUnits { .. } => {
                invalid.extend(["0".into(), "1x".into()]);
            }
            FieldType::String if f.format == Some(TimeFormat::Compact) => {
                invalid.extend(["not a time".into(), "20241301120000".into()]);
            }
            FieldType::Currency => invalid.push("usd".into()),
            FieldType::Url => invalid.push("ftp://x.example/".into()),
            FieldType::DateTime => invalid.push("2024-01-01 12:00".into()),
            FieldType::Date => invalid.push("2023-02-29".into()),
            _ => {}
        }
        for text in invalid {
            case(
                format!("{name} = {text:?}"),
                &set(&f.wire, J::Str(text.clone())),
                Want::Invalid(name.clone()),
            );
        }
        if let FieldType::MinorUnits {
            currency_field: Some(c),
        } = &f.ty
        {
            for (value, want) in [
                ("150", Want::Invalid(name.clone())),
                ("1500", Want::Accepted),
            ] {
                let (c, wire) = (c.clone(), f.wire.clone());
                case(
                    format!("{name} = {value} IDR"),
                    &move |o: &mut J| {
                        o.set(&c, J::Str("IDR".into()));
                        o.set(&wire, J::Str(value.into()));
                    },
                    want,
                );
            }
        }
    }

    let unknown = J::Str("1".into());
    let want = if form {
        Want::Unknown {
            operation: op.to_owned(),
            name: UNKNOWN_MEMBER.into(),
        }
    } else {
        Want::Invalid(err_path(&node.prefix, UNKNOWN_MEMBER))
    };
    let what = format!("unknown member in `{}`", node.prefix);
    case(what, &set(UNKNOWN_MEMBER, unknown), want);

    let field = |wire: &str| -> &'static Field {
        node.fields
            .iter()
            .copied()
            .find(|f| f.wire == wire)
            .unwrap_or_else(|| panic!("rule names unknown field `{wire}`"))
    };
    for rule in node.rules {
        match rule {
            Rule::AtLeastOneOf { fields: group, .. } => {
                let names = group.iter().map(|g| err_path(&node.prefix, g)).collect();
                let all = group.clone();
                case(
                    format!("empty group {group:?}"),
                    &move |o: &mut J| all.iter().for_each(|g| o.remove(g)),
                    Want::AtLeastOneOf(names),
                );
                for keep in group {
                    let Some(value) = here
                        .get(keep)
                        .cloned()
                        .or_else(|| simple_value(api, field(keep)))
                    else {
                        continue;
                    };
                    let (all, keep) = (group.clone(), keep.clone());
                    case(
                        format!("only {keep} of {group:?}"),
                        &move |o: &mut J| {
                            all.iter().for_each(|g| o.remove(g));
                            o.set(&keep, value.clone());
                        },
                        Want::Accepted,
                    );
                }
            }
            Rule::NotGreater {
                field: a, than: b, ..
            } => {
                let name = err_path(&node.prefix, a);
                let (a1, b1) = (a.clone(), b.clone());
                case(
                    format!("{name} greater than {b}"),
                    &move |o: &mut J| {
                        o.set(&b1, J::Str("100".into()));
                        o.set(&a1, J::Str("101".into()));
                    },
                    Want::Invalid(name.clone()),
                );
                let (a2, b2) = (a.clone(), b.clone());
                case(
                    format!("{name} equal to {b}"),
                    &move |o: &mut J| {
                        o.set(&b2, J::Str("100".into()));
                        o.set(&a2, J::Str("100".into()));
                    },
                    Want::Accepted,
                );
            }
            Rule::RequiredWhen {
                field: target,
                when,
                values,
                ..
            } => {
                let target_def = field(target);
                if target_def.required {
                    continue;
                }
                let name = err_path(&node.prefix, target);
                let present = here
                    .get(target)
                    .cloned()
                    .or_else(|| simple_value(api, target_def));
                for v in values {
                    let (t, w, v2) = (target.clone(), when.clone(), v.clone());
                    case(
                        format!("{name} missing when {when} = {v}"),
                        &move |o: &mut J| {
                            o.set(&w, J::Str(v2.clone()));
                            o.remove(&t);
                        },
                        Want::RequiredWhen(name.clone()),
                    );
                    if let Some(value) = present.clone() {
                        let (t, w, v2) = (target.clone(), when.clone(), v.clone());
                        case(
                            format!("{name} given when {when} = {v}"),
                            &move |o: &mut J| {
                                o.set(&w, J::Str(v2.clone()));
                                o.set(&t, value.clone());
                            },
                            Want::Accepted,
                        );
                    }
                }
                if let FieldType::Enum(e) = &field(when).ty {
                    for other in enum_def(api, e)
                        .0
                        .into_iter()
                        .filter(|v| !values.iter().any(|x| x == v))
                    {
                        let (t, w) = (target.clone(), when.clone());
                        case(
                            format!("{name} missing when {when} = {other}"),
                            &move |o: &mut J| {
                                o.set(&w, J::Str(other.into()));
                                o.remove(&t);
                            },
                            Want::Accepted,
                        );
                    }
                }
            }
        }
    }

    // Objects nested in this one.
    for f in &node.fields {
        let Some(value) = here.get(&f.wire) else {
            continue;
        };
        let mut steps = node.steps.clone();
        steps.push(Step::Key(f.wire.clone()));
        let name = err_path(&node.prefix, &f.wire);
        match (&f.ty, value) {
            (FieldType::Object(t), J::Obj(_)) => {
                let (fields, rules) = object_def(api, t);
                let child = Node {
                    fields: fields.iter().collect(),
                    rules,
                    steps,
                    prefix: name,
                };
                validation_cases(api, op, root, child, seed, out);
            }
            (FieldType::Array(t), J::Arr(items)) => {
                let (fields, rules) = object_def(api, t);
                for i in 0..items.len() {
                    let mut steps = steps.clone();
                    steps.push(Step::Item(i));
                    let child = Node {
                        fields: fields.iter().collect(),
                        rules,
                        steps,
                        prefix: format!("{name}[{i}]"),
                    };
                    validation_cases(api, op, root, child, seed, out);
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations of JSON documents
// ---------------------------------------------------------------------------------------------

/// The same kind of value with different text: one character or digit changed, a boolean
/// flipped, `null` made `true`, a container's first element changed (or one added).
fn tweak(v: &J, seed: u64) -> J {
    match v {
        J::Null => J::Bool(true),
        J::Bool(b) => J::Bool(!b),
        // The last character of a number token is always a digit.
        J::Num(token) => {
            let mut t = token.clone();
            let last = t.pop().expect("number token");
            let digit = last.to_digit(10).expect("token ends in a digit");
            t.push(char::from_digit((digit + 1) % 10, 10).expect("digit"));
            J::Num(t)
        }
        J::Str(s) if s.is_empty() => J::Str("x".into()),
        J::Str(s) => {
            let mut chars: Vec<char> = s.chars().collect();
            let i = (seed % chars.len() as u64) as usize;
            chars[i] = if chars[i] == 'x' { 'y' } else { 'x' };
            J::Str(chars.into_iter().collect())
        }
        J::Arr(items) if items.is_empty() => J::Arr(vec![J::Null]),
        J::Arr(items) => {
            let mut items = items.clone();
            items[0] = tweak(&items[0], seed);
            J::Arr(items)
        }
        J::Obj(members) if members.is_empty() => J::Obj(vec![("zzAdded".into(), J::Null)]),
        J::Obj(members) => {
            let mut members = members.clone();
            members[0].1 = tweak(&members[0].1, seed);
            J::Obj(members)
        }
        J::Raw(_) => panic!("raw JSON is not mutated"),
    }
}

/// `v` with one array (anywhere inside) reversed, for every array whose reversal changes the
/// value.
fn array_reversals(v: &J) -> Vec<J> {
    let mut out = Vec::new();
    match v {
        J::Arr(items) => {
            let mut reversed = items.clone();
            reversed.reverse();
            if reversed != *items {
                out.push(J::Arr(reversed));
            }
            for (i, item) in items.iter().enumerate() {
                for variant in array_reversals(item) {
                    let mut items = items.clone();
                    items[i] = variant;
                    out.push(J::Arr(items));
                }
            }
        }
        J::Obj(members) => {
            for (i, (_, value)) in members.iter().enumerate() {
                for variant in array_reversals(value) {
                    let mut members = members.clone();
                    members[i].1 = variant;
                    out.push(J::Obj(members));
                }
            }
        }
        _ => {}
    }
    out
}

/// Every changed, removed and added member of the object `v` and of the objects inside it.
fn member_mutations(v: &J, seed: u64, at: &str, out: &mut Vec<(String, J)>) {
    match v {
        J::Obj(members) => {
            for (i, (name, value)) in members.iter().enumerate() {
                let path = format!("{at}/{name}");
                let mut changed = members.clone();
                changed[i].1 = tweak(value, seed);
                out.push((format!("changed {path}"), J::Obj(changed)));
                let mut removed = members.clone();
                removed.remove(i);
                out.push((format!("removed {path}"), J::Obj(removed)));
                let mut inner = Vec::new();
                member_mutations(value, seed, &path, &mut inner);
                for (what, variant) in inner {
                    let mut members = members.clone();
                    members[i].1 = variant;
                    out.push((what, J::Obj(members)));
                }
            }
            if !members.iter().any(|(name, _)| name == "zzAdded") {
                let mut added = members.clone();
                added.push(("zzAdded".into(), J::Str("1".into())));
                out.push((format!("added {at}/zzAdded"), J::Obj(added)));
            }
        }
        J::Arr(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut inner = Vec::new();
                member_mutations(item, seed, &format!("{at}[{i}]"), &mut inner);
                for (what, variant) in inner {
                    let mut items = items.clone();
                    items[i] = variant;
                    out.push((what, J::Arr(items)));
                }
            }
        }
        _ => {}
    }
}

fn roundtrip(api: &Api, type_name: &str, json: &str) -> Option<Result<bool, String>> {
    match api.name.as_str() {
        "ksher" => payspec_ksher::types::roundtrip_json(type_name, json),
        "alipayplus" => payspec_alipayplus::types::roundtrip_json(type_name, json),
        other => panic!("no generated crate wired up for API `{other}`"),
    }
}

/// Failures are kept in `conformance/proptest-regressions/properties.txt` (proptest looks for a
/// `lib.rs` beside `tests/` to place it and would otherwise write next to this file).
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/properties.txt"
);

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..ProptestConfig::default()
    }
}

// ================================================================================================
// The generated crates cover exactly what the spec declares
// ================================================================================================

#[test]
fn generated_crates_cover_exactly_the_specs() {
    let k = ksher();
    let wires = |ops: &[Operation]| ops.iter().map(|o| o.wire.clone()).collect::<Vec<_>>();
    use payspec_runtime::scheme::{header_rsa, sorted_params};
    let ksher_ops: Vec<&str> = <payspec_ksher::Api as sorted_params::Api>::OPERATIONS
        .iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(wires(&k.operations), ksher_ops);
    let notifications: Vec<&str> = k.notifications.iter().map(|n| n.wire.as_str()).collect();
    let ksher_notifications: Vec<&str> = <payspec_ksher::Api as sorted_params::Api>::NOTIFICATIONS
        .iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(notifications, ksher_notifications);
    for m in ksher_messages() {
        let want: Option<Vec<&str>> = m.signed.map(|s| s.iter().map(String::as_str).collect());
        let got = sorted_params::signed_fields::<payspec_ksher::Api>(m.name)
            .expect("known name")
            .map(<[&str]>::to_vec);
        assert_eq!(got, want, "signed subset of {}", m.name);
    }
    assert_eq!(object_type_names(k), payspec_ksher::types::OBJECT_TYPES);

    let a = alipayplus();
    let alipay_ops: Vec<&str> = <payspec_alipayplus::Api as header_rsa::Api>::OPERATIONS
        .iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(wires(&a.operations), alipay_ops);
    let notifications: Vec<&str> = a.notifications.iter().map(|n| n.wire.as_str()).collect();
    let alipay_notifications: Vec<&str> =
        <payspec_alipayplus::Api as header_rsa::Api>::NOTIFICATIONS
            .iter()
            .map(|e| e.name)
            .collect();
    assert_eq!(notifications, alipay_notifications);
    for op in &a.operations {
        assert_eq!(
            header_rsa::operation::<payspec_alipayplus::Api>(&op.wire).map(|e| e.path),
            Some(op.path.as_str())
        );
    }
    assert_eq!(
        object_type_names(a),
        payspec_alipayplus::types::OBJECT_TYPES
    );
    assert_eq!(
        a.transport,
        Transport::Json {
            scalars_as_strings: true
        },
        "alipay_wire assumes scalars travel as strings"
    );
    for api in [k, a] {
        assert_eq!(roundtrip(api, "NoSuchType", "{}"), None);
    }
}

// ================================================================================================
// Property: request parameters in any order give the same string to sign and signature
// ================================================================================================

proptest! {
    #![proptest_config(config(256))]

    /// Ksher: the string to sign is the oracle's (sorted `name=value`, common parameters
    /// included), whatever the order the parameters come in; the signature and the form body
    /// are the same too, and the body carries exactly the parameters plus `sign`.
    #[test]
    fn ksher_parameter_order_changes_nothing(req in ksher_requests(), seed in any::<u64>()) {
        let mut shuffled = req.params.clone();
        Rng(seed).shuffle(&mut shuffled);
        let expected = ksher_string_to_sign(&ksher_effective(&req.params));
        for keys in ksher_keys() {
            let a = ksher_sign(&req.op.wire, &req.params, &keys.signer);
            let b = ksher_sign(&req.op.wire, &shuffled, &keys.signer);
            let (a, b) = match (a, b) {
                (Ok(a), Ok(b)) => (a, b),
                (a, b) => return Err(TestCaseError::fail(format!("valid request rejected: {:?} / {:?}", a.err(), b.err()))),
            };
            prop_assert_eq!(&a.form.string_to_sign, &expected);
            prop_assert_eq!(&a.form, &b.form);
            let mut sent: Vec<(String, String)> =
                form_urlencoded::parse(a.form.body.as_bytes()).into_owned().collect();
            sent.sort();
            let mut want = ksher_effective(&req.params);
            want.push(("sign".into(), a.form.sign.clone()));
            want.sort();
            prop_assert_eq!(sent, want, "form body of {} ({})", req.op.wire, keys.backend.name());
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Alipay+: a request body with its members in any order and any whitespace or escapes
    /// parses to the same request, which signs to the same body and signature; the body is the
    /// spec-ordered compact serialization with every scalar a string, nothing lost.
    #[test]
    fn alipayplus_member_order_changes_nothing(
        (msg, body) in alipay_bodies(true),
        seed in any::<u64>(),
        time in datetime(),
    ) {
        let api = alipayplus();
        let plain = body.render(Spelling::COMPACT);
        let varied = body.render(Spelling::varied(seed));
        let a = alipay_request(msg.name, &plain);
        let b = alipay_request(msg.name, &varied);
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => return Err(TestCaseError::fail(format!("valid body rejected: {:?} / {:?}", a.err(), b.err()))),
        };
        prop_assert_eq!(&a, &b);
        let fields = object_def(api, msg.body_type).0;
        let wire = alipay_wire(api, fields, &body).render(Spelling::COMPACT);
        for keys in alipayplus_keys() {
            let signer = payspec_alipayplus::Signer::new(CLIENT_ID, keys.signer.clone());
            let sa = a.sign(&signer, &time).expect("valid request signs");
            let sb = b.sign(&signer, &time).expect("valid request signs");
            prop_assert_eq!(&sa, &sb);
            prop_assert_eq!(String::from_utf8_lossy(&sa.body), wire.as_str());
            prop_assert_eq!(&sa.path, &msg.path);
        }
    }
}

// ================================================================================================
// Property: a signature verifies with its key only, and binds every byte and every field
// ================================================================================================

proptest! {
    #![proptest_config(config(128))]

    /// Ksher requests: the signature verifies with the signer's public key over the string to
    /// sign, not with another key, not after any one-byte change of the string; changing,
    /// adding or removing any parameter (common ones included) gives another string to sign that
    /// the original signature does not verify.
    #[test]
    fn ksher_request_signature_binds_every_parameter(
        req in ksher_requests(),
        byte in any::<Index>(),
        delta in 1u8..=255,
    ) {
        let op = req.op;
        let fields = ksher_fields(op);
        for keys in ksher_keys() {
            let signed = ksher_sign(&op.wire, &req.params, &keys.signer)
                .map_err(|e| TestCaseError::fail(format!("valid request rejected: {e}")))?;
            let sts = signed.form.string_to_sign.as_bytes();
            let sig = (0..signed.form.sign.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&signed.form.sign[i..i + 2], 16).expect("hex"))
                .collect::<Vec<u8>>();
            prop_assert_eq!(hex(&sig), signed.form.sign.clone());
            prop_assert!(keys.public.verify(DigestAlgorithm::Md5, sts, &sig));
            prop_assert!(!keys.other.verify(DigestAlgorithm::Md5, sts, &sig), "another key verified");
            let mut flipped = sts.to_vec();
            let i = byte.index(flipped.len());
            flipped[i] ^= delta;
            prop_assert!(!keys.public.verify(DigestAlgorithm::Md5, &flipped, &sig), "byte {} changed", i);

            let mut mutations: Vec<(String, Vec<(String, String)>)> = Vec::new();
            for (name, alt) in &req.alternatives {
                match req.params.iter().position(|(n, _)| n == name) {
                    Some(i) if req.params[i].1 != *alt => {
                        let mut changed = req.params.clone();
                        changed[i].1 = alt.clone();
                        mutations.push((format!("changed {name}"), changed));
                    }
                    Some(_) => {}
                    None => {
                        let mut added = req.params.clone();
                        added.push((name.clone(), alt.clone()));
                        mutations.push((format!("added {name}"), added));
                    }
                }
            }
            for (i, (name, _)) in req.params.iter().enumerate() {
                let f = fields.iter().find(|f| f.wire == *name).expect("spec field");
                let sourced = matches!(f.source, ValueSource::Nonce | ValueSource::Clock);
                let mut removed = req.params.clone();
                removed.remove(i);
                let keeps_groups = op.rules.iter().all(|rule| match rule {
                    Rule::AtLeastOneOf { fields: group, .. } => {
                        !group.contains(name) || removed.iter().any(|(n, _)| group.contains(n))
                    }
                    // A member required by another's value stays while that value holds.
                    Rule::RequiredWhen {
                        field, when, values, ..
                    } => {
                        field != name
                            || !removed
                                .iter()
                                .any(|(n, v)| n == when && values.iter().any(|x| x == v))
                    }
                    Rule::NotGreater { .. } => true,
                });
                if !f.required && !sourced && keeps_groups {
                    mutations.push((format!("removed {name}"), removed));
                }
            }
            // A changed value may break a rule (`not_greater`, `required_when`); such a request
            // is invalid, not a different valid one.
            mutations.retain(|(_, params)| !breaks_a_rule(&op.rules, params));
            for (what, params) in mutations {
                if ksher_effective(&params).iter().collect::<std::collections::BTreeSet<_>>()
                    == ksher_effective(&req.params).iter().collect()
                {
                    continue; // e.g. appid given as the configured value
                }
                let other = ksher_sign(&op.wire, &params, &keys.signer)
                    .map_err(|e| TestCaseError::fail(format!("{what}: valid request rejected: {e}")))?;
                let other_sts = other.form.string_to_sign.as_bytes();
                prop_assert_ne!(other_sts, sts, "{}: same string to sign", what);
                prop_assert!(!keys.public.verify(DigestAlgorithm::Md5, other_sts, &sig), "{}: old signature verified", what);
                prop_assert_eq!(other.form.string_to_sign, ksher_string_to_sign(&ksher_effective(&params)), "{}", what);
            }
        }
    }

    /// Ksher responses and notifications (every operation and notification of the spec): data
    /// signed with a fresh key over the K2 string verifies with its public key and yields that
    /// string; another key and any one-byte change of a fully signed `data` are rejected;
    /// changing (one character or digit), removing or adding a signed member is
    /// rejected, while changing, removing or adding a member outside the spec's signed subset
    /// (merchant_info, get_settlement_info) still verifies.
    #[test]
    fn ksher_response_signature_binds_the_signed_members(
        (msg, data) in ksher_data(),
        seed in any::<u64>(),
        byte in any::<Index>(),
        delta in 1u8..=255,
    ) {
        let members = data.members();
        let signed = |name: &str| is_signed(msg.signed, name);
        let canonical = ksher_string_to_verify(members, msg.signed);
        let mut mutations: Vec<(String, J, bool)> = Vec::new();
        for (i, (name, value)) in members.iter().enumerate() {
            let mut changed = data.clone();
            changed.members_mut()[i].1 = tweak(value, seed);
            mutations.push((format!("changed {name}"), changed, signed(name)));
            let mut removed = data.clone();
            removed.remove(name);
            mutations.push((format!("removed {name}"), removed, signed(name)));
        }
        let mut added_names = vec!["zzAdded".to_owned()];
        added_names.extend(msg.signed.into_iter().flatten().filter(|s| data.get(s).is_none()).cloned());
        for name in added_names {
            let mut added = data.clone();
            added.set(&name, J::Str("1".into()));
            mutations.push((format!("added {name}"), added, signed(&name)));
        }
        for keys in ksher_keys() {
            let sign = hex(&keys.signer.sign(DigestAlgorithm::Md5, canonical.as_bytes()).expect("signs"));
            let body = ksher_envelope(&data, &sign).render(Spelling::COMPACT);
            prop_assert_eq!(ksher_verify(msg.name, &body, &keys.public), Ok(canonical.clone()));
            prop_assert_eq!(ksher_verify(msg.name, &body, &keys.other), bad_ksher_signature());
            if msg.signed.is_none() {
                // Any one-byte change inside `data` (the envelope's other members are not
                // signed): rejected, as a bad signature or as a malformed body.
                let start = body.find("\"data\":").expect("data member") + "\"data\":".len();
                let len = data.render(Spelling::COMPACT).len();
                let mut flipped = body.clone().into_bytes();
                let i = start + byte.index(len);
                flipped[i] ^= delta;
                let got = payspec_ksher::Verifier::new(keys.public.clone()).verify_raw(msg.name, &flipped);
                prop_assert!(got.is_err(), "byte {} of data changed: {}", i - start, String::from_utf8_lossy(&flipped));
            }
            for (what, mutated, rejected) in &mutations {
                let body = ksher_envelope(mutated, &sign).render(Spelling::COMPACT);
                let got = ksher_verify(msg.name, &body, &keys.public);
                if *rejected {
                    prop_assert_eq!(got, bad_ksher_signature(), "{} of {}", what, msg.name);
                } else {
                    prop_assert_eq!(got, Ok(canonical.clone()), "{} of {} (outside the signed subset)", what, msg.name);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Alipay+ (every operation, and every notification): a body signed with a fresh key
    /// verifies with its public key as a response to the path and as a notification received
    /// at it (fresh, not stale), also among rotated keys; another key, another path, time or
    /// client id, any one-byte change of the body, the same JSON spelled with other bytes, and
    /// any changed, added or removed member are rejected.
    #[test]
    fn alipayplus_signature_binds_the_exact_body(
        (msg, body) in alipay_bodies(false),
        time in datetime(),
        byte in any::<Index>(),
        delta in 1u8..=255,
        seed in any::<u64>(),
    ) {
        use payspec_runtime::header_signature::HeaderVerifyError;
        use payspec_runtime::time::{format_description::well_known::Rfc3339, Duration, OffsetDateTime};

        let now = OffsetDateTime::parse(&time, &Rfc3339).expect("generated time parses");
        let text = body.render(Spelling::COMPACT);
        let mut mutations = Vec::new();
        member_mutations(&body, seed, "", &mut mutations);
        // Keep the run time bounded: a sample of the mutations of large bodies.
        Rng(seed).shuffle(&mut mutations);
        mutations.truncate(24);
        for keys in alipayplus_keys() {
            let signer = payspec_alipayplus::Signer::new(CLIENT_ID, keys.signer.clone());
            let signed = if msg.operation {
                let request = alipay_request(msg.name, &text)
                    .map_err(|e| TestCaseError::fail(format!("valid body rejected: {e}")))?;
                request.sign(&signer, &time).expect("valid request signs")
            } else {
                signer.sign_body(&msg.path, text.clone().into_bytes(), &time).expect("signs")
            };
            let header = signed.signature.header.as_str();
            let verifier = |keys: Vec<PublicKey>| {
                let mut keys = keys.into_iter();
                let first = keys.next().expect("a key");
                keys.fold(payspec_alipayplus::Verifier::new(CLIENT_ID, first), |v, k| v.with_key(k))
            };
            let ours = verifier(vec![keys.public.clone()]);
            let response = |path: &str, time: &str, body: &[u8]| {
                ours.verify_response_raw(path, Some(time), Some(header), body).map(|v| v.into_inner())
            };
            let bad = |r: Result<_, HeaderVerifyError>| matches!(r, Err(HeaderVerifyError::BadSignature { .. }));

            let verdict = response(&msg.path, &time, &signed.body)
                .map_err(|e| TestCaseError::fail(format!("{}: {e}", keys.backend.name())))?;
            prop_assert_eq!(verdict.signed().map(|m| m.body.clone()), Some(signed.body.clone()));
            let notification = ours
                .verify_notification_raw(&msg.path, Some(&time), Some(header), &signed.body, now)
                .map(|v| v.into_inner().key_index);
            prop_assert_eq!(notification, Ok(0));
            let stale = ours.verify_notification_raw(
                &msg.path, Some(&time), Some(header), &signed.body, now + Duration::seconds(301),
            );
            prop_assert!(matches!(stale, Err(HeaderVerifyError::StaleTimestamp { .. })), "stale notification accepted");
            let rotated = verifier(vec![keys.other.clone(), keys.public.clone()])
                .verify_response_raw(&msg.path, Some(&time), Some(header), &signed.body)
                .map(|v| v.into_inner().signed().map(|m| m.key_index));
            prop_assert_eq!(rotated, Ok(Some(1)));
            let other = verifier(vec![keys.other.clone()])
                .verify_response_raw(&msg.path, Some(&time), Some(header), &signed.body);
            prop_assert!(bad(other.map(|v| v.into_inner())), "another key verified");

            prop_assert!(bad(response(&format!("{}x", msg.path), &time, &signed.body)), "other path");
            prop_assert!(bad(response(&msg.path, &format!("{time} "), &signed.body)), "other time");
            let stranger = payspec_alipayplus::Verifier::new(format!("{CLIENT_ID}X"), keys.public.clone())
                .verify_response_raw(&msg.path, Some(&time), Some(header), &signed.body);
            prop_assert!(bad(stranger.map(|v| v.into_inner())), "other client id");

            let mut flipped = signed.body.clone();
            let i = byte.index(flipped.len());
            flipped[i] ^= delta;
            prop_assert!(bad(response(&msg.path, &time, &flipped)), "byte {} changed", i);
            let mut spaced = b" ".to_vec();
            spaced.extend_from_slice(&signed.body);
            prop_assert!(bad(response(&msg.path, &time, &spaced)), "leading space accepted");
            let value: serde_json::Value = serde_json::from_slice(&signed.body).expect("JSON body");
            let pretty = serde_json::to_vec_pretty(&value).expect("serializes");
            prop_assert!(bad(response(&msg.path, &time, &pretty)), "pretty-printed body accepted");
            let reordered = body.render(Spelling { spaces: false, escapes: false, ..Spelling::varied(seed) });
            if reordered.as_bytes() != signed.body.as_slice() {
                prop_assert!(bad(response(&msg.path, &time, reordered.as_bytes())), "reordered members accepted");
            }

            // Member changes, over a body signed as given.
            let raw = signer.sign_body(&msg.path, text.clone().into_bytes(), &time).expect("signs");
            let raw_header = raw.signature.header.as_str();
            for (what, mutated) in &mutations {
                let mutated = mutated.render(Spelling::COMPACT);
                let got = ours.verify_response_raw(&msg.path, Some(&time), Some(raw_header), mutated.as_bytes());
                prop_assert!(bad(got.map(|v| v.into_inner())), "{} accepted", what);
            }
        }
    }
}

// ================================================================================================
// Property: every generated type round-trips, unknown enum values and lenient spellings included
// ================================================================================================

/// Whether object type `name` is reachable from an answer or a notification (it then has a
/// lenient variant; a type only sent in requests is strict).
fn is_received(api: &'static Api, name: &str) -> bool {
    let mut stack: Vec<&str> = api
        .operations
        .iter()
        .map(|o| o.response_type.as_str())
        .chain(api.notifications.iter().map(|n| n.data_type.as_str()))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(n) = stack.pop() {
        if n == name {
            return true;
        }
        if !seen.insert(n) {
            continue;
        }
        for f in object_def(api, n).0 {
            if let FieldType::Object(o) | FieldType::Array(o) = &f.ty {
                stack.push(o);
            }
        }
    }
    false
}

fn all_object_types() -> BoxedStrategy<(&'static Api, &'static str, J)> {
    let apis = [ksher(), alipayplus()];
    Union::new(apis.into_iter().flat_map(|api| {
        object_type_names(api).into_iter().map(move |name| {
            // Answers are lenient; a type only sent is strict: its required members are there.
            let mode = if is_received(api, name) {
                Mode::Lenient
            } else {
                Mode::Json
            };
            (Just(api), Just(name), object_json(api, name, mode, 0)).boxed()
        })
    }))
    .boxed()
}

proptest! {
    #![proptest_config(config(1024))]

    /// Every object type of both APIs: any subset of members, any lenient spelling, unknown
    /// values of open enums and unknown members parse, serialize and parse again unchanged.
    #[test]
    fn every_generated_type_round_trips(
        (api, type_name, value) in all_object_types(),
        seed in any::<u64>(),
    ) {
        let json = value.render(Spelling::varied(seed));
        prop_assert_eq!(roundtrip(api, type_name, &json), Some(Ok(true)), "{} {}: {}", api.name, type_name, json);
    }
}

// ================================================================================================
// Property: validation accepts exactly what the spec allows
// ================================================================================================

proptest! {
    #![proptest_config(config(256))]

    /// Ksher (every operation): every edit of a valid request is accepted or rejected as the
    /// spec says (see `validation_cases`), the error naming the parameter; accepted requests
    /// sign the oracle's string.
    #[test]
    fn ksher_validation_accepts_exactly_the_spec(req in ksher_requests(), seed in any::<u64>()) {
        let api = ksher();
        let root = J::Obj(req.params.iter().map(|(n, v)| (n.clone(), J::Str(v.clone()))).collect());
        let node = Node { fields: ksher_fields(req.op), rules: &req.op.rules, steps: vec![], prefix: String::new() };
        let mut cases = Vec::new();
        validation_cases(api, &req.op.wire, &root, node, seed, &mut cases);
        let key = &ksher_keys()[0].signer;
        let mut failures = Vec::new();
        for case in cases {
            let params = form_pairs(&case.input);
            let got = match ksher_sign(&req.op.wire, &params, key) {
                Ok(signed) => {
                    let want = ksher_string_to_sign(&ksher_effective(&params));
                    if signed.form.string_to_sign != want {
                        failures.push(format!("{}: signed {:?}, want {want:?}", case.what, signed.form.string_to_sign));
                    }
                    Want::Accepted
                }
                Err(e) => want_of(&e),
            };
            if !reports(&got, &case.want) {
                failures.push(format!("{}: got {got:?}, want {:?}", case.what, case.want));
            }
        }
        prop_assert!(failures.is_empty(), "{}:\n{}", req.op.wire, failures.join("\n"));
    }

    /// Alipay+ (every operation): every edit of a valid body, at any depth, is accepted or
    /// rejected as the spec says, the error naming the member's dotted path.
    #[test]
    fn alipayplus_validation_accepts_exactly_the_spec(
        (msg, body) in alipay_bodies(true),
        seed in any::<u64>(),
    ) {
        let api = alipayplus();
        let (fields, rules) = object_def(api, msg.body_type);
        let node = Node { fields: fields.iter().collect(), rules, steps: vec![], prefix: String::new() };
        let mut cases = Vec::new();
        validation_cases(api, msg.name, &body, node, seed, &mut cases);
        let mut failures = Vec::new();
        for (i, case) in cases.into_iter().enumerate() {
            let json = case.input.render(Spelling::varied(seed.wrapping_add(i as u64)));
            let got = alipay_request(msg.name, &json).map_or_else(|e| want_of(&e), |_| Want::Accepted);
            if !reports(&got, &case.want) {
                failures.push(format!("{}: got {got:?}, want {:?} in {json}", case.what, case.want));
            }
        }
        prop_assert!(failures.is_empty(), "{}:\n{}", msg.name, failures.join("\n"));
    }
}

// ================================================================================================
// Property: Ksher verification ignores member order and whitespace, not array order;
// Alipay+ verification depends on the exact body bytes (see alipayplus_signature_binds_the_exact_body)
// ================================================================================================

/// Ksher data with at least one array of two different items (a signed member, unless the
/// message signs a subset).
fn ksher_data_with_arrays() -> BoxedStrategy<(KsherMessage, J)> {
    (ksher_data(), text(0..=4), text(0..=4))
        .prop_filter("two different items", |(_, a, b)| a != b)
        .prop_map(|((msg, mut data), a, b)| {
            data.set(
                "zzList",
                J::Arr(vec![J::Str(a), J::Obj(vec![("k".into(), J::Str(b))])]),
            );
            (msg, data)
        })
        .boxed()
}

proptest! {
    #![proptest_config(config(128))]

    /// Ksher (every operation and notification): the same `data` with members in any order,
    /// any whitespace and any escape spelling verifies and yields the same string; reversing an
    /// array inside a signed member is rejected, inside a member outside the signed subset not.
    #[test]
    fn ksher_verification_ignores_member_order_and_whitespace_not_array_order(
        (msg, data) in ksher_data_with_arrays(),
        seed in any::<u64>(),
    ) {
        let signed = |name: &str| is_signed(msg.signed, name);
        let canonical = ksher_string_to_verify(data.members(), msg.signed);
        for keys in ksher_keys() {
            let sign = hex(&keys.signer.sign(DigestAlgorithm::Md5, canonical.as_bytes()).expect("signs"));
            let envelope = ksher_envelope(&data, &sign);
            for spelling in [Spelling::COMPACT, Spelling::varied(seed), Spelling::varied(!seed)] {
                let body = envelope.render(spelling);
                prop_assert_eq!(ksher_verify(msg.name, &body, &keys.public), Ok(canonical.clone()), "{}", body);
            }
            for (i, (name, value)) in data.members().iter().enumerate() {
                for reversed in array_reversals(value) {
                    let mut mutated = data.clone();
                    mutated.members_mut()[i].1 = reversed;
                    let body = ksher_envelope(&mutated, &sign).render(Spelling::varied(seed));
                    let got = ksher_verify(msg.name, &body, &keys.public);
                    if signed(name) {
                        prop_assert_eq!(got, bad_ksher_signature(), "array reordered in {}: {}", name, body);
                    } else {
                        prop_assert_eq!(got, Ok(canonical.clone()), "array reordered in unsigned {}", name);
                    }
                }
            }
        }
    }
}
