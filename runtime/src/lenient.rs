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
    match scalar_str(raw.get()).map_err(D::Error::custom)? {
        None => Ok(None),
        Some(t) if t.is_empty() => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected {what}, found {t:?}"))),
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
}
