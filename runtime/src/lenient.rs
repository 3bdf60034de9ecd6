//! Lenient deserializers for gateway `data` fields, used by generated response types.
//!
//! Gateways are inconsistent about scalar types (`cash_fee` is a number in one answer and a
//! string in another; unpaid orders carry `""` amounts). These helpers accept every form seen and
//! map the empty string to `None`. Numbers read as text keep their exact token (`35.10`).

use std::borrow::Cow;

use serde::de::{Deserialize, Deserializer, Error};
use serde_json::value::RawValue;

/// The raw JSON text of the value. Owned rather than borrowed, so generated types also parse
/// with `serde_json::from_reader` and `from_value`, not only from a `&str`.
fn raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Option::<Box<RawValue>>::deserialize(d)
}

/// Any scalar as text: strings as they are, numbers as their token, booleans as `true`/`false`.
/// `null` and absent give `None`; objects and arrays are an error.
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let Some(raw) = raw(d)? else { return Ok(None) };
    scalar_text(raw.get()).map_err(D::Error::custom)
}

fn scalar_text(text: &str) -> Result<Option<String>, String> {
    scalar_str(text).map(|t| t.map(Cow::into_owned))
}

/// Like [`scalar_text`] without copying escape-free strings and numbers.
fn scalar_str(text: &str) -> Result<Option<Cow<'_, str>>, String> {
    match text.as_bytes().first() {
        // A string without escapes is its own text between the quotes.
        Some(b'"') if !text.contains('\\') && text.len() >= 2 => {
            Ok(Some(Cow::Borrowed(&text[1..text.len() - 1])))
        }
        Some(b'"') => serde_json::from_str::<String>(text)
            .map(|s| Some(Cow::Owned(s)))
            .map_err(|e| e.to_string()),
        Some(b'n') => Ok(None),
        Some(b'{') | Some(b'[') => Err(format!("expected a scalar, found {text}")),
        _ => Ok(Some(Cow::Borrowed(text))),
    }
}

/// An integer given as a JSON number or a digit string; `""`/`null` give `None`. `what` names
/// the expected kind in the error.
fn opt_integer<'de, D, T>(d: D, what: &str) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
{
    let Some(raw) = raw(d)? else { return Ok(None) };
    integer_text(raw.get(), what).map_err(D::Error::custom)
}

/// [`opt_integer`] of one raw JSON value.
fn integer_text<T: std::str::FromStr>(raw: &str, what: &str) -> Result<Option<T>, String> {
    match scalar_str(raw)? {
        None => Ok(None),
        Some(t) if t.is_empty() => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| format!("expected {what}, found {t:?}")),
    }
}

/// A boolean as `true`/`false` or the strings `"true"`/`"false"`; `null` and `""` are absent.
pub(crate) fn bool_text(raw: &str) -> Result<Option<bool>, String> {
    match raw {
        "true" | "\"true\"" => Ok(Some(true)),
        "false" | "\"false\"" => Ok(Some(false)),
        "null" | "\"\"" => Ok(None),
        other => Err(format!("expected a boolean, found {other}")),
    }
}

/// A non-negative integer given as a JSON number or a digit string; `""`/`null` give `None`.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    opt_integer(d, "a non-negative integer")
}

/// A signed integer given as a JSON number or a digit string; `""`/`null` give `None`.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    opt_integer(d, "an integer")
}

/// Text of an enum value (any scalar), for generated enum `Deserialize` impls.
pub fn enum_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    match scalar_text(raw.get()).map_err(D::Error::custom)? {
        Some(t) => Ok(t),
        None => Err(D::Error::custom("expected an enum value, found null")),
    }
}

/// A lenient answer type read member by member (generated through [`crate::lenient_object!`]):
/// its name, its members' wire names, and how to build it from the members found.
pub trait FromMembers: Sized {
    /// Type name (for the member probe and errors).
    const NAME: &'static str;
    /// Wire names of the members, in declaration order.
    const MEMBERS: &'static [&'static str];
    /// Builds the value; `Err` names the member that does not parse.
    fn from_members(members: &Members) -> Result<Self, String>;
}

/// The members of one JSON object found among a type's declared members, as raw JSON text.
/// Unknown members are skipped; a member given twice is an error.
#[derive(Debug)]
pub struct Members {
    names: &'static [&'static str],
    values: Vec<Option<Box<RawValue>>>,
    unknown: UnknownMembers,
}

/// The members of an answer that its type does not declare, as received (raw JSON), so a member
/// the spec lacks stays visible to the caller instead of being dropped.
#[derive(Clone, Debug, Default)]
pub struct UnknownMembers(Vec<(String, Box<RawValue>)>);

impl PartialEq for UnknownMembers {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|((a, x), (b, y))| a == b && x.get() == y.get())
    }
}

impl UnknownMembers {
    /// The raw JSON of undeclared member `name`, if the answer had it.
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Every undeclared member, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_ref()))
    }

    /// Whether the answer had no undeclared member.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Writes the members (after the declared ones) when serializing.
    pub fn write<M: serde::ser::SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        for (name, value) in &self.0 {
            m.serialize_entry(name, value)?;
        }
        Ok(())
    }
}

impl Members {
    /// The undeclared members found.
    pub fn unknown(&self) -> UnknownMembers {
        self.unknown.clone()
    }

    fn raw(&self, i: usize) -> Option<&str> {
        self.values
            .get(i)
            .and_then(|v| v.as_deref())
            .map(RawValue::get)
    }

    /// Reads member `i` with `f` over its raw JSON text; errors name the member.
    fn read<T>(
        &self,
        i: usize,
        f: impl FnOnce(&str) -> Result<Option<T>, String>,
    ) -> Result<Option<T>, String> {
        let Some(raw) = self.raw(i) else {
            return Ok(None);
        };
        f(raw).map_err(|e| {
            let name = self.names.get(i).copied().unwrap_or("?");
            format!("member `{name}`: {e}")
        })
    }

    /// Member `i` as text (any scalar; see [`opt_text`]).
    pub fn text(&self, i: usize) -> Result<Option<String>, String> {
        self.read(i, scalar_text)
    }

    /// Member `i` as a non-negative integer (see [`opt_u64`]).
    pub fn u64(&self, i: usize) -> Result<Option<u64>, String> {
        self.read(i, |raw| integer_text(raw, "a non-negative integer"))
    }

    /// Member `i` as a signed integer (see [`opt_i64`]).
    pub fn i64(&self, i: usize) -> Result<Option<i64>, String> {
        self.read(i, |raw| integer_text(raw, "an integer"))
    }

    /// Member `i` as a boolean (`true`, `"true"`...; see [`crate::json::opt_bool`]).
    pub fn bool(&self, i: usize) -> Result<Option<bool>, String> {
        self.read(i, bool_text)
    }

    /// Member `i` as a value of an enum of the spec (any scalar's text; `null` and `""` are
    /// absent).
    pub fn wire<T: crate::api::WireEnum>(&self, i: usize) -> Result<Option<T>, String> {
        let name = self.names.get(i).copied().unwrap_or("?");
        self.read(i, |raw| match scalar_str(raw)? {
            // Gateways send `""` for a value they do not have (an unpaid order's `channel`).
            None => Ok(None),
            Some(text) if text.is_empty() => Ok(None),
            Some(text) => T::parse_param(name, &text)
                .map(Some)
                .map_err(|e| e.to_string()),
        })
    }

    /// Member `i` through its type's own `Deserialize` (enums, objects, arrays, JSON values);
    /// `null` is absent.
    pub fn value<T: serde::de::DeserializeOwned>(&self, i: usize) -> Result<Option<T>, String> {
        self.read(i, |raw| {
            serde_json::from_str::<Option<T>>(raw).map_err(|e| e.to_string())
        })
    }
}

/// Picks the index of a member name among the declared ones (no allocation for the name). The
/// search starts after the member found last: answers usually list their members in the order
/// the spec declares them, so most lookups take one comparison.
struct MemberIndex {
    names: &'static [&'static str],
    start: usize,
}

/// A member name: the index of a declared one, or an undeclared name.
enum Found {
    Declared(usize),
    Undeclared(String),
}

impl<'de> serde::de::DeserializeSeed<'de> for MemberIndex {
    type Value = Found;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl serde::de::Visitor<'_> for MemberIndex {
    type Value = Found;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<Found, E> {
        let n = self.names.len();
        Ok((0..n)
            .map(|k| (self.start + k) % n)
            .find(|&i| self.names[i] == v)
            .map_or_else(|| Found::Undeclared(v.to_owned()), Found::Declared))
    }
}

struct MembersVisitor(&'static [&'static str]);

impl<'de> serde::de::Visitor<'de> for MembersVisitor {
    type Value = (Vec<Option<Box<RawValue>>>, UnknownMembers);
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values: Vec<Option<Box<RawValue>>> = vec![None; self.0.len()];
        let mut unknown = UnknownMembers::default();
        let mut seen = std::collections::BTreeSet::new();
        let mut start = 0;
        while let Some(found) = map.next_key_seed(MemberIndex {
            names: self.0,
            start,
        })? {
            match found {
                Found::Declared(i) => {
                    if values[i].is_some() {
                        return Err(A::Error::duplicate_field(self.0[i]));
                    }
                    values[i] = Some(map.next_value()?);
                    start = i + 1;
                }
                Found::Undeclared(name) => {
                    if !seen.insert(name.clone()) {
                        return Err(A::Error::custom(format!("duplicate member `{name}`")));
                    }
                    unknown.0.push((name, map.next_value()?));
                }
            }
        }
        Ok((values, unknown))
    }
}

/// `Deserialize` of a lenient answer type: reads the object's declared members as raw JSON,
/// then builds the value from them with non-generic code (small to compile, whatever the
/// deserializer).
pub fn object<'de, D: Deserializer<'de>, T: FromMembers>(d: D) -> Result<T, D::Error> {
    let (values, unknown) =
        d.deserialize_struct(T::NAME, T::MEMBERS, MembersVisitor(T::MEMBERS))?;
    T::from_members(&Members {
        names: T::MEMBERS,
        values,
        unknown,
    })
    .map_err(D::Error::custom)
}

/// Writes one optional member of a lenient type (absent members are not written).
pub fn put<M: serde::ser::SerializeMap, T: serde::Serialize + ?Sized>(
    m: &mut M,
    name: &'static str,
    value: Option<&T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => m.serialize_entry(name, v),
        None => Ok(()),
    }
}

/// A scalar written as a JSON string (APIs whose scalars travel as strings).
pub struct AsText<'a, T>(pub &'a T);

impl<T: std::fmt::Display> serde::Serialize for AsText<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

/// Defines `Deserialize` (lenient, through [`FromMembers`]) and `Serialize` (absent members
/// left out, undeclared ones kept in the type's `unknown_members` written back) of a generated
/// answer type from its members: `field: kind = "wire"`, where kind is
/// `text`, `u64`, `i64`, `bool`, `wire` (an enum of the spec) or `value`, with `u64_str`, `i64_str`, `bool_str` for scalars
/// written as strings. Used by generated crates.
#[macro_export]
macro_rules! lenient_object {
    ($ty:ident { $( $field:ident : $kind:ident = $wire:literal ),* $(,)? }) => {
        impl $crate::lenient::FromMembers for $ty {
            const NAME: &'static str = stringify!($ty);
            const MEMBERS: &'static [&'static str] = &[$($wire),*];
            #[allow(unused_variables, unused_mut, unused_assignments)]
            fn from_members(m: &$crate::lenient::Members) -> Result<Self, String> {
                let mut i = 0usize;
                Ok(Self {
                    $( $field: { let v = $crate::lenient_object!(@read m, i, $kind)?; i += 1; v }, )*
                    unknown_members: m.unknown(),
                })
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::lenient::object(d)
            }
        }
        impl $crate::__private::serde::Serialize for $ty {
            fn serialize<S: $crate::__private::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use $crate::__private::serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                $( $crate::lenient_object!(@write m, $wire, self.$field, $kind); )*
                self.unknown_members.write(&mut m)?;
                m.end()
            }
        }
    };
    (@read $m:ident, $i:ident, text) => { $m.text($i) };
    (@read $m:ident, $i:ident, u64) => { $m.u64($i) };
    (@read $m:ident, $i:ident, u64_str) => { $m.u64($i) };
    (@read $m:ident, $i:ident, i64) => { $m.i64($i) };
    (@read $m:ident, $i:ident, i64_str) => { $m.i64($i) };
    (@read $m:ident, $i:ident, bool) => { $m.bool($i) };
    (@read $m:ident, $i:ident, bool_str) => { $m.bool($i) };
    (@read $m:ident, $i:ident, value) => { $m.value($i) };
    (@read $m:ident, $i:ident, wire) => { $m.wire($i) };
    (@write $m:ident, $wire:literal, $v:expr, u64_str) => {
        $crate::lenient::put(&mut $m, $wire, $v.as_ref().map($crate::lenient::AsText).as_ref())?
    };
    (@write $m:ident, $wire:literal, $v:expr, i64_str) => {
        $crate::lenient::put(&mut $m, $wire, $v.as_ref().map($crate::lenient::AsText).as_ref())?
    };
    (@write $m:ident, $wire:literal, $v:expr, bool_str) => {
        $crate::lenient::put(&mut $m, $wire, $v.as_ref().map($crate::lenient::AsText).as_ref())?
    };
    (@write $m:ident, $wire:literal, $v:expr, $kind:ident) => {
        $crate::lenient::put(&mut $m, $wire, $v.as_ref())?
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct T {
        #[serde(default, deserialize_with = "opt_text")]
        s: Option<String>,
        #[serde(default, deserialize_with = "opt_u64")]
        n: Option<u64>,
        #[serde(default, deserialize_with = "opt_i64")]
        i: Option<i64>,
    }

    type Expected<'a> = Result<(Option<&'a str>, Option<u64>, Option<i64>), ()>;

    fn check(json: &str, expected: Expected<'_>) {
        let got: Result<T, _> = serde_json::from_str(json);
        match expected {
            Ok((s, n, i)) => {
                let t = got.unwrap_or_else(|e| panic!("{json}: {e}"));
                assert_eq!((t.s.as_deref(), t.n, t.i), (s, n, i), "{json}");
            }
            Err(()) => assert!(got.is_err(), "{json} should fail"),
        }
    }

    #[test]
    fn parses_from_readers_and_values_too() {
        let json = r#"{"s":35.10,"n":"7","i":-3}"#;
        let from_reader: T = serde_json::from_reader(json.as_bytes()).unwrap();
        let from_value: T = serde_json::from_value(serde_json::from_str(json).unwrap()).unwrap();
        assert_eq!(from_reader, serde_json::from_str::<T>(json).unwrap());
        assert_eq!((from_value.n, from_value.i), (Some(7), Some(-3)));
    }

    #[test]
    fn lenient_scalars() {
        check(
            r#"{"s":"a","n":5,"i":-1}"#,
            Ok((Some("a"), Some(5), Some(-1))),
        );
        check(
            r#"{"s":35.10,"n":"7","i":"-3"}"#,
            Ok((Some("35.10"), Some(7), Some(-3))),
        );
        check(r#"{"s":null,"n":"","i":null}"#, Ok((None, None, None)));
        check(r#"{}"#, Ok((None, None, None)));
        check(r#"{"s":true}"#, Ok((Some("true"), None, None)));
        check(r#"{"s":{}}"#, Err(()));
        check(r#"{"n":-1}"#, Err(()));
        check(r#"{"n":"1.5"}"#, Err(()));
    }

    /// A lenient answer type as generated crates define one.
    #[derive(Debug, Default, PartialEq)]
    struct Answer {
        code: Option<String>,
        amount: Option<u64>,
        delta: Option<i64>,
        done: Option<bool>,
        tags: Option<Vec<String>>,
        unknown_members: UnknownMembers,
    }
    crate::lenient_object!(Answer {
        code: text = "code",
        amount: u64_str = "amount",
        delta: i64 = "delta",
        done: bool = "done",
        tags: value = "tags",
    });

    fn check_object(json: &str, expected: Result<Answer, &str>) {
        let got = serde_json::from_str::<Answer>(json);
        match expected {
            Ok(want) => assert_eq!(
                got.unwrap_or_else(|e| panic!("{json}: {e}")),
                want,
                "{json}"
            ),
            Err(part) => {
                let e = got.expect_err(json).to_string();
                assert!(e.contains(part), "{json}: {e}");
            }
        }
    }

    #[test]
    fn lenient_objects_read_members_by_name() {
        let json = r#"{"code":35.10,"amount":"7","delta":-3,"done":"true","tags":["a"],"extra":{"x":[1]}}"#;
        let full = serde_json::from_str::<Answer>(json).unwrap();
        assert_eq!(
            (
                full.code.as_deref(),
                full.amount,
                full.delta,
                full.done,
                full.tags.as_deref()
            ),
            (
                Some("35.10"),
                Some(7),
                Some(-3),
                Some(true),
                Some(&["a".to_owned()][..])
            )
        );
        // The member the type does not declare is kept, as received, and written back.
        assert_eq!(
            full.unknown_members.get("extra").map(|v| v.get()),
            Some(r#"{"x":[1]}"#)
        );
        let again = serde_json::to_string(&full).unwrap();
        assert!(again.ends_with(r#""extra":{"x":[1]}}"#), "{again}");
        assert_eq!(serde_json::from_str::<Answer>(&again).unwrap(), full);
        check_object(r#"{"x":1,"x":2}"#, Err("duplicate member `x`"));
        check_object(
            r#"{"amount":"","code":null,"tags":null}"#,
            Ok(Answer::default()),
        );
        check_object(
            r#"{"amount":1,"amount":2}"#,
            Err("duplicate field `amount`"),
        );
        check_object(r#"{"amount":"x"}"#, Err("member `amount`"));
        check_object(r#"{"code":{}}"#, Err("member `code`"));
        check_object(r#"[1]"#, Err("expected a JSON object"));
    }

    crate::wire_enum! {
        /// A test enum.
        open Color {
            /// Red.
            Red = "red",
        }
    }

    #[derive(Debug, Default, PartialEq)]
    struct Painted {
        color: Option<Color>,
        unknown_members: UnknownMembers,
    }
    crate::lenient_object!(Painted {
        color: wire = "color",
    });

    #[test]
    fn enum_members_read_empty_text_as_absent() {
        let read = |json: &str| serde_json::from_str::<Painted>(json).unwrap().color;
        assert_eq!(read(r#"{"color":"red"}"#), Some(Color::Red));
        assert_eq!(
            read(r#"{"color":"blue"}"#),
            Some(Color::Unknown("blue".into()))
        );
        assert_eq!(read(r#"{"color":""}"#), None);
        assert_eq!(read(r#"{"color":null}"#), None);
        assert_eq!(read(r#"{}"#), None);
    }

    #[test]
    fn lenient_objects_write_present_members_only() {
        let a = Answer {
            amount: Some(100),
            done: Some(false),
            ..Answer::default()
        };
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"amount":"100","done":false}"#);
        assert_eq!(serde_json::from_str::<Answer>(&json).unwrap(), a);
        let from_value: Answer = serde_json::from_value(serde_json::json!({"amount": 5})).unwrap();
        assert_eq!(from_value.amount, Some(5));
    }
}
