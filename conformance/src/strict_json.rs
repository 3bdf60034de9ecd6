//! JSON input files of the CLI, read strictly: a member name that occurs twice in an object is an
//! error (serde_json would silently keep the last one, so the file would not sign what it shows).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// A JSON value whose objects have no duplicate member names (at any depth).
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Strict(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut out = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if out.contains_key(&name) {
                return Err(de::Error::custom(format_args!(
                    "member `{name}` occurs twice"
                )));
            }
            out.insert(name, value);
        }
        Ok(Strict(Value::Object(out)))
    }
}

/// Parses `text` as a JSON object with no duplicate member names at any depth.
pub fn object(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Strict>(text).map_err(|e| e.to_string())? {
        Strict(Value::Object(map)) => Ok(map),
        Strict(_) => Err("the top level is not a JSON object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<&str, &str>) {
        let got = object(text).map(|m| Value::Object(m).to_string());
        match expected {
            Ok(json) => assert_eq!(got.as_deref(), Ok(json), "{text}"),
            Err(message) => {
                let err = got.expect_err(text);
                assert!(err.contains(message), "{text}: {err}");
            }
        }
    }

    #[test]
    fn strict_objects() {
        check(r#"{"a":"1","b":2}"#, Ok(r#"{"a":"1","b":2}"#));
        check(
            r#"{"o":{"x":[1,{"y":null}]},"t":true}"#,
            Ok(r#"{"o":{"x":[1,{"y":null}]},"t":true}"#),
        );
        check(r#"{"a":"1","a":"2"}"#, Err("member `a` occurs twice"));
        check(r#"{"o":{"x":1,"x":1}}"#, Err("member `x` occurs twice"));
        check(r#"[{"a":1}]"#, Err("not a JSON object"));
        check(r#"{"a":"#, Err("EOF"));
    }
}
