//! Serialization helpers for JSON transports whose scalars travel as strings (`"100"`, `"true"`).

use serde::de::{Deserialize, Deserializer, Error};
use serde::Serializer;
use serde_json::value::RawValue;

/// Writes an optional integer as a JSON string (`Some(100)` → `"100"`).
pub fn u64_as_string<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// Writes an optional signed integer as a JSON string.
pub fn i64_as_string<S: Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// Writes an optional boolean as a JSON string (`"true"` / `"false"`).
pub fn bool_as_string<S: Serializer>(value: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(true) => s.serialize_str("true"),
        Some(false) => s.serialize_str("false"),
        None => s.serialize_none(),
    }
}

/// Reads a boolean given as `true`/`false` or as the strings `"true"`/`"false"`; `null` and `""`
/// read as absent.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let Some(raw) = Option::<Box<RawValue>>::deserialize(d)? else {
        return Ok(None);
    };
    crate::lenient::bool_text(raw.get()).map_err(D::Error::custom)
}

/// `true` for `None`: the `skip_serializing_if` of optional members in generated types.
pub fn is_none<T>(value: &Option<T>) -> bool {
    value.is_none()
}

/// Writes a required integer as a JSON string (`100` → `"100"`).
pub fn u64_text<S: Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// Writes a required signed integer as a JSON string.
pub fn i64_text<S: Serializer>(value: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// Reads a required signed integer given as a JSON number or a digit string.
pub fn i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    crate::lenient::opt_i64(d)?.ok_or_else(|| D::Error::custom("expected an integer, found none"))
}

/// Writes a required boolean as a JSON string.
pub fn bool_text<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *value { "true" } else { "false" })
}

/// Reads a required integer given as a JSON number or a digit string.
pub fn u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    crate::lenient::opt_u64(d)?.ok_or_else(|| D::Error::custom("expected an integer, found none"))
}

/// Reads a required boolean given as `true`/`false` or as a string.
pub fn bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    opt_bool(d)?.ok_or_else(|| D::Error::custom("expected a boolean, found none"))
}

/// `order.goods[0].name` for an ignored member (Option and newtype layers are invisible in JSON).
fn member_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", member_path(parent)),
        Path::Map { parent, key } => {
            let parent = member_path(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => member_path(parent),
    }
}

/// Parses a JSON request body strictly: a member the type does not have, or a value of the wrong
/// type, is an error naming the member's path (e.g. `order.env.terminalType`).
pub fn from_str_strict<T: serde::de::DeserializeOwned>(
    json: &str,
) -> Result<T, crate::ValidationError> {
    let mut unknown = Vec::new();
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed: Result<T, _> =
        serde_ignored::deserialize(&mut de, |path| unknown.push(member_path(&path)));
    if let Some(first) = unknown.into_iter().next() {
        return Err(crate::ValidationError::Invalid {
            field: first,
            reason: "unknown member".into(),
        });
    }
    match parsed {
        Ok(value) => Ok(value),
        Err(_) => {
            // Parse again to learn where it failed.
            let mut de = serde_json::Deserializer::from_str(json);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Ok(value) => Ok(value),
                Err(e) => {
                    let path = e.path().to_string();
                    let reason = e.into_inner().to_string();
                    // A required member that is absent: name it, as typed requests do.
                    if let Some(name) = reason
                        .strip_prefix("missing field `")
                        .and_then(|r| r.split('`').next())
                    {
                        return Err(crate::ValidationError::Missing {
                            field: if path == "." {
                                name.to_owned()
                            } else {
                                format!("{path}.{name}")
                            },
                        });
                    }
                    Err(crate::ValidationError::Invalid {
                        field: if path == "." { "body".to_owned() } else { path },
                        reason,
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq, Default)]
    struct T {
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            serialize_with = "u64_as_string",
            deserialize_with = "crate::lenient::opt_u64"
        )]
        n: Option<u64>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            serialize_with = "bool_as_string",
            deserialize_with = "opt_bool"
        )]
        b: Option<bool>,
    }

    #[test]
    fn scalars_travel_as_strings_and_parse_either_way() {
        let t = T {
            n: Some(100),
            b: Some(true),
        };
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"n":"100","b":"true"}"#
        );
        assert_eq!(serde_json::to_string(&T::default()).unwrap(), "{}");
        for text in [r#"{"n":"100","b":"true"}"#, r#"{"n":100,"b":true}"#] {
            assert_eq!(serde_json::from_str::<T>(text).unwrap(), t);
        }
        assert!(serde_json::from_str::<T>(r#"{"b":"yes"}"#).is_err());
    }

    #[test]
    fn strict_parsing_names_the_member() {
        let err = |json: &str| from_str_strict::<T>(json).unwrap_err().to_string();
        assert_eq!(from_str_strict::<T>(r#"{"n":"1"}"#).unwrap().n, Some(1));
        assert_eq!(
            err(r#"{"n":"1","x":2}"#),
            "parameter `x` is invalid: unknown member"
        );
        assert!(err(r#"{"n":"one"}"#)
            .starts_with("parameter `n` is invalid: expected a non-negative integer"));
        assert!(err("[1").starts_with("parameter `body` is invalid"));

        #[derive(serde::Deserialize, Debug)]
        struct Outer {
            #[allow(dead_code)]
            items: Option<Vec<Option<T>>>,
        }
        let nested = from_str_strict::<Outer>(r#"{"items":[{"n":"1"},{"x":true}]}"#).unwrap_err();
        assert_eq!(
            nested.to_string(),
            "parameter `items[1].x` is invalid: unknown member"
        );
    }
}

/// The serde helpers generated types name in their `#[serde(...)]` attributes, under short
/// names (one glob import keeps every attribute on one line).
pub mod fields {
    pub use super::{
        bool_as_string, bool_lenient, bool_text, i64_as_string, i64_lenient, i64_text, is_none,
        opt_bool, u64_as_string, u64_lenient, u64_text,
    };
    pub use crate::lenient::{opt_i64, opt_text, opt_u64};
}
