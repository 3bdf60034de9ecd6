//! Pieces every generated crate shares, whatever its signature scheme: hosts, wire enums,
//! rule checks that report every broken rule, and the text-form parameter reader of the CLI and
//! the mock gateway.

use crate::validate::ValidationError;

/// A gateway host of a generated API; each has one base URL per environment.
pub trait GatewayHost:
    Copy + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync + 'static
{
    /// Name of the host in the spec.
    fn name(self) -> &'static str;
    /// `(environment, base URL)` pairs; the first is production.
    fn environments(self) -> &'static [(&'static str, &'static str)];
    /// Base URL of the first (production) environment.
    fn production_url(self) -> &'static str {
        self.environments().first().map_or("", |(_, url)| url)
    }
    /// Base URL of an environment, if the host has it.
    fn base_url(self, environment: &str) -> Option<&'static str> {
        self.environments()
            .iter()
            .find(|(e, _)| *e == environment)
            .map(|(_, u)| *u)
    }
}

/// An enum of the spec: a closed or open set of wire values.
pub trait WireEnum: Sized {
    /// Every value the spec knows.
    const VALUES: &'static [&'static str];
    /// The wire value.
    fn as_str(&self) -> &str;
    /// Parses a request parameter; for a closed enum a value outside the set is an error naming
    /// the parameter, an open enum keeps unknown values.
    fn parse_param(field: &str, value: &str) -> Result<Self, ValidationError>;
}

/// Collects the result of every rule check, so a request reports all broken rules at once.
#[derive(Debug, Default)]
pub struct Checks(Vec<ValidationError>);

impl Checks {
    /// Records a failed check.
    pub fn add(&mut self, result: Result<(), ValidationError>) {
        if let Err(e) = result {
            self.0.push(e);
        }
    }

    /// Checks a nested object at `at` (its own checks are added here).
    pub fn nested(&mut self, result: Result<(), ValidationError>) {
        match result {
            Ok(()) => {}
            Err(ValidationError::Several(list)) => self.0.extend(list),
            Err(e) => self.0.push(e),
        }
    }

    /// `Ok` if every check held; the one error, or [`ValidationError::Several`] with each.
    pub fn finish(mut self) -> Result<(), ValidationError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(self.0.remove(0)),
            _ => Err(ValidationError::Several(self.0)),
        }
    }
}

/// A request parameter type that can be read from its text form.
pub trait FromParam: Sized {
    /// Parses the text of parameter `field`.
    fn from_param(field: &str, text: &str) -> Result<Self, ValidationError>;
}

impl FromParam for String {
    fn from_param(_field: &str, text: &str) -> Result<Self, ValidationError> {
        Ok(text.to_owned())
    }
}

impl FromParam for u64 {
    fn from_param(field: &str, text: &str) -> Result<Self, ValidationError> {
        crate::validate::parse_integer(field, text)
    }
}

impl FromParam for i64 {
    fn from_param(field: &str, text: &str) -> Result<Self, ValidationError> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::Invalid {
                field: field.to_owned(),
                reason: format!("{text:?} is not a decimal integer"),
            });
        }
        text.parse().map_err(|_| ValidationError::Invalid {
            field: field.to_owned(),
            reason: format!("{text:?} is out of range"),
        })
    }
}

/// A request parameter type that writes itself into the string to sign (absent options write
/// nothing).
pub trait ToParam {
    /// Writes parameter `name`.
    fn write_param(&self, name: &'static str, writer: &mut crate::sorted_params::ParamWriter);
}

impl ToParam for String {
    fn write_param(&self, name: &'static str, writer: &mut crate::sorted_params::ParamWriter) {
        writer.push_str(name, self);
    }
}

impl ToParam for u64 {
    fn write_param(&self, name: &'static str, writer: &mut crate::sorted_params::ParamWriter) {
        writer.push_int(name, *self);
    }
}

impl ToParam for i64 {
    fn write_param(&self, name: &'static str, writer: &mut crate::sorted_params::ParamWriter) {
        let mut buf = itoa::Buffer::new();
        writer.push_str(name, buf.format(*self));
    }
}

impl<T: ToParam> ToParam for Option<T> {
    fn write_param(&self, name: &'static str, writer: &mut crate::sorted_params::ParamWriter) {
        if let Some(v) = self {
            v.write_param(name, writer);
        }
    }
}

/// Reads the typed parameters of one operation from `name=value` text pairs (the CLI, the mock
/// gateway). Each name may appear once; names the operation does not read are errors.
#[derive(Debug)]
pub struct ParamReader<'a> {
    operation: &'static str,
    params: Vec<(&'a str, &'a str)>,
    used: Vec<bool>,
    errors: Checks,
}

impl<'a> ParamReader<'a> {
    /// A reader of `params` for `operation`; a name given twice is an error.
    pub fn new(
        operation: &'static str,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ValidationError> {
        let params: Vec<(&str, &str)> = params.into_iter().collect();
        // Sorted names: a repeat is a neighbour (n log n for hostile input).
        let mut names: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(ValidationError::Invalid {
                field: pair[0].to_owned(),
                reason: "given more than once".into(),
            });
        }
        let used = vec![false; params.len()];
        Ok(ParamReader {
            operation,
            params,
            used,
            errors: Checks::default(),
        })
    }

    fn take(&mut self, name: &str) -> Option<&'a str> {
        let i = self.params.iter().position(|(n, _)| *n == name)?;
        self.used[i] = true;
        Some(self.params[i].1)
    }

    /// An optional parameter; a value that does not parse is recorded as an error.
    pub fn opt<T: FromParam>(&mut self, name: &str) -> Option<T> {
        let text = self.take(name)?;
        match T::from_param(name, text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.add(Err(e));
                None
            }
        }
    }

    /// A required parameter: a missing or unparsable value is recorded as an error (the
    /// request is then refused by [`Self::finish`]).
    pub fn req<T: FromParam>(&mut self, name: &str) -> Option<T> {
        if self.params.iter().all(|(n, _)| *n != name) {
            self.errors.add(Err(ValidationError::Missing {
                field: name.to_owned(),
            }));
            return None;
        }
        self.opt(name)
    }

    /// The request read, once every parameter was read without error and no unknown name is
    /// left.
    pub fn finish<T>(mut self, value: Option<T>) -> Result<T, ValidationError> {
        for (i, (name, _)) in self.params.iter().enumerate() {
            if !self.used[i] {
                self.errors.add(Err(ValidationError::Unknown {
                    operation: self.operation,
                    name: (*name).to_owned(),
                }));
            }
        }
        self.errors.finish()?;
        value.ok_or_else(|| ValidationError::Invalid {
            field: self.operation.to_owned(),
            reason: "incomplete parameters".into(),
        })
    }
}

/// Defines an enum of the spec from its wire values: `open` keeps unknown values in an
/// `Unknown(String)` variant, `closed` rejects them. A `=> Success | Failure | Unknown` after a
/// value gives it an outcome (the enum then has `outcome()`). Used by generated crates.
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        open $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal $(=> $outcome:ident)?, )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// Open: values unknown to this version of the spec are kept in [`Self::Unknown`].
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of the spec does not know, kept as received.
            Unknown(String),
        }
        impl $name {
            /// Every value the spec knows.
            pub const VALUES: &'static [&'static str] = &[$($wire),*];
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(v) => v,
                }
            }
            /// The value for a wire text; unknown text gives [`Self::Unknown`].
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }
        impl $crate::api::WireEnum for $name {
            const VALUES: &'static [&'static str] = Self::VALUES;
            fn as_str(&self) -> &str {
                self.as_str()
            }
            fn parse_param(_field: &str, value: &str) -> Result<Self, $crate::ValidationError> {
                Ok(Self::from_wire(value))
            }
        }
        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::from_wire(value)
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::lenient::enum_text(d).map(|t| Self::from_wire(&t))
            }
        }
        $crate::wire_enum!(@common $name { $( $variant $(=> $outcome)?, )* } _ => $crate::Outcome::Unknown,);
    };
    (
        $(#[$meta:meta])*
        closed $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal $(=> $outcome:ident)?, )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// Closed: any other value is rejected.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }
        impl $name {
            /// Every allowed value.
            pub const VALUES: &'static [&'static str] = &[$($wire),*];
            /// The wire value.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $( Self::$variant => $wire, )*
                }
            }
            /// The value for a wire text, if allowed.
            pub fn from_wire(value: &str) -> Option<Self> {
                match value {
                    $( $wire => Some(Self::$variant), )*
                    _ => None,
                }
            }
        }
        impl $crate::api::WireEnum for $name {
            const VALUES: &'static [&'static str] = Self::VALUES;
            fn as_str(&self) -> &str {
                self.as_str()
            }
            fn parse_param(field: &str, value: &str) -> Result<Self, $crate::ValidationError> {
                Self::from_wire(value).ok_or_else(|| $crate::ValidationError::NotAllowed {
                    field: field.to_owned(),
                    value: value.to_owned(),
                    allowed: Self::VALUES,
                })
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = $crate::lenient::enum_text(d)?;
                Self::from_wire(&text).ok_or_else(|| {
                    <D::Error as $crate::__private::serde::de::Error>::custom(format!(
                        "unknown value {text:?}, expected one of {:?}",
                        Self::VALUES
                    ))
                })
            }
        }
        $crate::wire_enum!(@common $name { $( $variant $(=> $outcome)?, )* });
    };
    (@common $name:ident { $( $variant:ident $(=> $outcome:ident)?, )* } $($fallback:tt)*) => {
        impl $crate::api::FromParam for $name {
            fn from_param(field: &str, text: &str) -> Result<Self, $crate::ValidationError> {
                <Self as $crate::api::WireEnum>::parse_param(field, text)
            }
        }
        impl $crate::api::ToParam for $name {
            fn write_param(&self, name: &'static str, writer: &mut $crate::sorted_params::ParamWriter) {
                writer.push_str(name, self.as_str());
            }
        }
        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        $crate::wire_enum!(@outcome $name { $( $variant $(=> $outcome)?, )* } $($fallback)*);
    };
    // No value has an outcome: no `outcome()`.
    (@outcome $name:ident { $( $variant:ident, )* } $($fallback:tt)*) => {};
    (@outcome $name:ident { $( $variant:ident $(=> $outcome:ident)?, )* } $($fallback:tt)*) => {
        impl $name {
            /// What the value means for business logic. `Unknown` (in process, or not known
            /// yet) is never a failure: query again or retry idempotently.
            #[allow(unreachable_patterns)]
            pub fn outcome(&self) -> $crate::Outcome {
                match self {
                    $( Self::$variant => $crate::wire_enum!(@label $($outcome)?), )*
                    $($fallback)*
                }
            }
        }
    };
    (@label) => { $crate::Outcome::Unknown };
    (@label $outcome:ident) => { $crate::Outcome::$outcome };
}

/// Named setters of the optional members of a generated request type: `into` members take
/// anything that converts into the member's type, `set` members take the type itself. Used by
/// generated crates.
#[macro_export]
macro_rules! setters {
    ($ty:ident { $( $name:ident : $kind:tt $vt:ty ),* $(,)? }) => {
        impl $ty {
            $( $crate::setters!(@one $name $kind $vt); )*
        }
    };
    (@one $name:ident into $vt:ty) => {
        #[doc = concat!("Sets [`Self::", stringify!($name), "`].")]
        pub fn $name(mut self, value: impl Into<$vt>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
    (@one $name:ident set $vt:ty) => {
        #[doc = concat!("Sets [`Self::", stringify!($name), "`].")]
        pub fn $name(mut self, value: $vt) -> Self {
            self.$name = Some(value);
            self
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(params: &[(&str, &str)]) -> Result<(Option<String>, Option<u64>), ValidationError> {
        let mut p = ParamReader::new("op", params.iter().copied())?;
        let text = p.opt::<String>("text");
        let n = p.req::<u64>("n");
        let value = n.map(|n| (text, Some(n)));
        p.finish(value)
    }

    #[test]
    fn the_parameter_reader_reports_every_problem() {
        assert_eq!(read(&[("n", "5")]), Ok((None, Some(5))));
        assert_eq!(
            read(&[("n", "5"), ("text", "a")]),
            Ok((Some("a".into()), Some(5)))
        );
        assert!(
            matches!(read(&[("n", "5"), ("n", "6")]), Err(ValidationError::Invalid { reason, .. }) if reason.contains("more than once"))
        );
        assert!(matches!(read(&[]), Err(ValidationError::Missing { field }) if field == "n"));
        // A missing required one, an unknown one and a bad number: all three at once.
        match read(&[("x", "1"), ("text", "t")]) {
            Err(ValidationError::Several(list)) => assert_eq!(list.len(), 2, "{list:?}"),
            other => panic!("{other:?}"),
        }
        match read(&[("n", "-1"), ("x", "1")]) {
            Err(ValidationError::Several(list)) => assert_eq!(list.len(), 2, "{list:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn signed_integer_parameters() {
        let parse = |t: &str| i64::from_param("n", t);
        assert_eq!(parse("-12"), Ok(-12));
        assert_eq!(parse("7"), Ok(7));
        assert!(parse("").is_err());
        assert!(parse("-").is_err());
        assert!(parse("1.5").is_err());
        assert!(parse("99999999999999999999").is_err());
    }
}
