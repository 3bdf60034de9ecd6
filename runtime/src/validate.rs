//! Request validation: the errors and the small non-generic checks generated builders call.

/// A request that breaks a rule of the spec. Raised before anything is signed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// A required parameter was not set.
    #[error("missing required parameter `{field}`")]
    Missing {
        /// Wire name (or dotted path) of the parameter.
        field: String,
    },
    /// A value is longer than the spec allows.
    #[error("parameter `{field}` is {actual} characters long, at most {max} allowed")]
    TooLong {
        /// Wire name (or dotted path) of the parameter.
        field: String,
        /// Maximum length in characters.
        max: usize,
        /// Actual length in characters.
        actual: usize,
    },
    /// A closed set of values does not contain the value.
    #[error("parameter `{field}` has value {value:?}, allowed: {}", allowed.join(", "))]
    NotAllowed {
        /// Wire name (or dotted path) of the parameter.
        field: String,
        /// The rejected value.
        value: String,
        /// The values the spec allows.
        allowed: &'static [&'static str],
    },
    /// None of a group of which at least one is required was set.
    #[error("at least one of {} is required", fields.join(", "))]
    AtLeastOneOf {
        /// Wire names (or dotted paths) of the group.
        fields: Vec<String>,
    },
    /// A parameter required because of another one's value is missing.
    #[error("missing parameter `{field}`, required when {condition}")]
    RequiredWhen {
        /// Wire name (or dotted path) of the missing parameter.
        field: String,
        /// The condition, e.g. "`terminalType` is APP or WAP".
        condition: String,
    },
    /// A value does not have the parameter's type (e.g. an amount that is not a positive integer).
    #[error("parameter `{field}` is invalid: {reason}")]
    Invalid {
        /// Wire name of the parameter.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A parameter the operation does not have.
    #[error("unknown parameter `{name}` for operation `{operation}`")]
    Unknown {
        /// Operation wire name.
        operation: &'static str,
        /// The unknown parameter name.
        name: String,
    },
    /// Several rules are broken at once; each is listed.
    #[error("{} rules broken: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<ValidationError>),
}

impl ValidationError {
    /// Every broken rule: the one, or each of [`ValidationError::Several`].
    pub fn each(&self) -> &[ValidationError] {
        match self {
            ValidationError::Several(list) => list,
            one => std::slice::from_ref(one),
        }
    }

    /// The wire name of the parameter concerned (the first one, for groups).
    pub fn field(&self) -> &str {
        match self {
            ValidationError::Missing { field }
            | ValidationError::TooLong { field, .. }
            | ValidationError::NotAllowed { field, .. }
            | ValidationError::RequiredWhen { field, .. } => field,
            ValidationError::AtLeastOneOf { fields } => fields.first().map_or("", String::as_str),
            ValidationError::Invalid { field, .. } => field,
            ValidationError::Unknown { name, .. } => name,
            ValidationError::Several(list) => list.first().map_or("", ValidationError::field),
        }
    }
}

/// `Err(Missing)` if a required value is absent.
pub fn required<T>(field: &str, value: Option<T>) -> Result<T, ValidationError> {
    value.ok_or_else(|| ValidationError::Missing {
        field: field.to_string(),
    })
}

/// `Err(RequiredWhen)` if `value` is absent while the condition holds.
pub fn required_when<T>(
    field: impl std::fmt::Display,
    value: &Option<T>,
    condition_holds: bool,
    condition: &str,
) -> Result<(), ValidationError> {
    if condition_holds && value.is_none() {
        Err(ValidationError::RequiredWhen {
            field: field.to_string(),
            condition: condition.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// The path of a nested field (`prefix.name`, or `name` at the top level), rendered only when an
/// error needs it.
#[derive(Clone, Copy, Debug)]
pub struct At<'a>(pub &'a str, pub &'static str);

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str(self.1)
        } else {
            write!(f, "{}.{}", self.0, self.1)
        }
    }
}

/// `prefix.name`, or `name` at the top level: the path of a nested field in errors.
pub fn path(prefix: &str, name: &'static str) -> std::borrow::Cow<'static, str> {
    if prefix.is_empty() {
        std::borrow::Cow::Borrowed(name)
    } else {
        std::borrow::Cow::Owned(format!("{prefix}.{name}"))
    }
}

/// Checks a maximum length in Unicode scalar values.
pub fn max_len(
    field: impl std::fmt::Display,
    value: &str,
    max: usize,
) -> Result<(), ValidationError> {
    // Byte length bounds the char count from above, so most values skip the count.
    if value.len() <= max {
        return Ok(());
    }
    let actual = value.chars().count();
    if actual > max {
        return Err(ValidationError::TooLong {
            field: field.to_string(),
            max,
            actual,
        });
    }
    Ok(())
}

/// Checks membership of a closed value set.
pub fn one_of(
    field: &str,
    value: &str,
    allowed: &'static [&'static str],
) -> Result<(), ValidationError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::NotAllowed {
            field: field.to_string(),
            value: value.to_owned(),
            allowed,
        })
    }
}

/// `Err(AtLeastOneOf)` unless at least one member of the group is set.
pub fn at_least_one(
    prefix: &str,
    fields: &[&'static str],
    present: &[bool],
) -> Result<(), ValidationError> {
    if present.iter().any(|p| *p) {
        Ok(())
    } else {
        Err(ValidationError::AtLeastOneOf {
            fields: fields
                .iter()
                .map(|f| path(prefix, f).into_owned())
                .collect(),
        })
    }
}

/// Parses a positive integer amount in minor units (cents) from text.
pub fn parse_amount(field: &str, text: &str) -> Result<u64, ValidationError> {
    let value = parse_integer(field, text)?;
    if value == 0 {
        return Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: "amount must be a positive integer in minor units (cents)".into(),
        });
    }
    Ok(value)
}

/// Checks that an amount in minor units is positive.
pub fn positive_amount(field: impl std::fmt::Display, value: u64) -> Result<(), ValidationError> {
    if value == 0 {
        Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: "amount must be a positive integer in minor units (cents)".into(),
        })
    } else {
        Ok(())
    }
}

/// Parses a non-negative decimal integer (ASCII digits only, no sign, no spaces).
pub fn parse_integer(field: &str, text: &str) -> Result<u64, ValidationError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: format!("{text:?} is not a non-negative decimal integer"),
        });
    }
    text.parse().map_err(|_| ValidationError::Invalid {
        field: field.to_string(),
        reason: format!("{text:?} is out of range"),
    })
}

/// Checks an integer against inclusive bounds.
pub fn int_range(
    field: impl std::fmt::Display,
    value: u64,
    min: Option<u64>,
    max: Option<u64>,
) -> Result<(), ValidationError> {
    let low = min.is_some_and(|m| value < m);
    let high = max.is_some_and(|m| value > m);
    if low || high {
        let bounds = match (min, max) {
            (Some(a), Some(b)) => format!("between {a} and {b}"),
            (Some(a), None) => format!("at least {a}"),
            (None, Some(b)) => format!("at most {b}"),
            (None, None) => String::new(),
        };
        return Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: format!("{value} is out of range: must be {bounds}"),
        });
    }
    Ok(())
}

/// Checks a signed integer against inclusive non-negative bounds.
pub fn int_range_signed(
    field: impl std::fmt::Display,
    value: i64,
    min: Option<u64>,
    max: Option<u64>,
) -> Result<(), ValidationError> {
    match u64::try_from(value) {
        Ok(v) => int_range(field, v, min, max),
        // A negative value is below any `min`; without one only `max` applies, which it meets.
        Err(_) if min.is_none() => Ok(()),
        Err(_) => Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: format!("{value} is below the minimum {}", min.unwrap_or(0)),
        }),
    }
}

/// Checks that a URL parameter is an absolute http(s) URL without control characters. Anything
/// else (spaces, `%`, non-ASCII) is left to the gateway: signatures cover the text as it is.
pub fn url(field: impl std::fmt::Display, value: &str) -> Result<(), ValidationError> {
    let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
    // Something (the host) must follow the scheme.
    let rest = if lower.starts_with("https://") {
        value.get("https://".len()..)
    } else if lower.starts_with("http://") {
        value.get("http://".len()..)
    } else {
        None
    };
    let ok = rest.is_some_and(|r| !r.is_empty()) && !value.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: format!("{value:?} is not an absolute http(s) URL"),
        })
    }
}

/// Checks a calendar date written `YYYY-MM-DD`.
pub fn date(field: impl std::fmt::Display, value: &str) -> Result<(), ValidationError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, &format)
        .map(|_| ())
        .map_err(|_| ValidationError::Invalid {
            field: field.to_string(),
            reason: format!("{value:?} is not a date YYYY-MM-DD"),
        })
}

/// Checks an ISO 4217 alphabetic currency code (three uppercase ASCII letters).
pub fn currency(field: impl std::fmt::Display, value: &str) -> Result<(), ValidationError> {
    if value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: format!("{value:?} is not an ISO 4217 currency code such as USD"),
        })
    }
}

/// Checks an ISO 8601 / RFC 3339 date-time with an offset, e.g. `2024-01-01T12:00:00+08:00`.
pub fn datetime(field: impl std::fmt::Display, value: &str) -> Result<(), ValidationError> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map(|_| ())
        .map_err(|_| ValidationError::Invalid {
            field: field.to_string(),
            reason: format!("{value:?} is not an ISO 8601 date-time with offset"),
        })
}

/// Checks a request time in the Ksher style. Accepted, as the gateway and its official SDKs
/// send them: `yyyyMMddHHmmss` naming a real date and time, optionally followed by ASCII letters
/// and digits (the official SDKs append a random suffix, e.g. `2020041421583131S`), or epoch
/// seconds or milliseconds (10 or 13 digits, as the Node SDK sends). Anything else, e.g.
/// `not a time`, is refused before signing.
pub fn compact_time(field: impl std::fmt::Display, value: &str) -> Result<(), ValidationError> {
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let ok = if digits == value.len() && (digits == 10 || digits == 13) {
        true
    } else {
        let format =
            time::macros::format_description!("[year][month][day][hour repr:24][minute][second]");
        digits >= 14
            && value.is_char_boundary(14)
            && time::PrimitiveDateTime::parse(&value[..14], &format).is_ok()
            && value[14..].bytes().all(|b| b.is_ascii_alphanumeric())
    };
    if ok {
        Ok(())
    } else {
        Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: format!(
                "{value:?} is not a time yyyyMMddHHmmss (optionally with an alphanumeric suffix) \
                 or epoch seconds/milliseconds"
            ),
        })
    }
}

/// `Err(Invalid)` if both values are present and `value` is greater than `limit` (e.g. a
/// refund larger than the order: `refund_fee` at most `total_fee`).
pub fn not_greater<T: PartialOrd + std::fmt::Display>(
    field: impl std::fmt::Display,
    value: Option<T>,
    limit_field: &str,
    limit: Option<T>,
) -> Result<(), ValidationError> {
    match (value, limit) {
        (Some(v), Some(l)) if v > l => Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: format!("{v} is greater than `{limit_field}` ({l})"),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_a_host_after_the_scheme() {
        for (value, ok) in [
            ("http://", false),
            ("https://", false),
            ("http://a", true),
            ("HTTPS://example.com/x?y=1", true),
            ("ftp://example.com", false),
            ("https://exa\nmple.com", false),
        ] {
            assert_eq!(url("u", value).is_ok(), ok, "{value:?}");
        }
    }

    #[test]
    fn signed_integers_against_non_negative_bounds() {
        let check = |value: i64, min: Option<u64>, max: Option<u64>, ok: bool| {
            assert_eq!(
                int_range_signed("n", value, min, max).is_ok(),
                ok,
                "{value} {min:?} {max:?}"
            );
        };
        check(-1, None, None, true);
        check(-1, None, Some(5), true);
        check(-1, Some(0), None, false);
        check(-5, Some(1), Some(9), false);
        check(0, Some(0), None, true);
        check(3, Some(1), Some(2), false);
        check(2, Some(1), Some(2), true);
        let err = int_range_signed("n", -7, Some(1), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter `n` is invalid: -7 is below the minimum 1"
        );
    }

    /// `each` lists every broken rule; `field` names the parameter concerned, for every kind.
    #[test]
    fn errors_list_their_rules_and_name_their_field() {
        let missing = ValidationError::Missing { field: "a".into() };
        let too_long = ValidationError::TooLong {
            field: "b".into(),
            max: 1,
            actual: 2,
        };
        let cases: Vec<(ValidationError, &str)> = vec![
            (missing.clone(), "a"),
            (too_long.clone(), "b"),
            (
                ValidationError::NotAllowed {
                    field: "c".into(),
                    value: "x".into(),
                    allowed: &["y"],
                },
                "c",
            ),
            (
                ValidationError::RequiredWhen {
                    field: "d".into(),
                    condition: "e".into(),
                },
                "d",
            ),
            (
                ValidationError::AtLeastOneOf {
                    fields: vec!["f".into(), "g".into()],
                },
                "f",
            ),
            (ValidationError::AtLeastOneOf { fields: vec![] }, ""),
            (
                ValidationError::Invalid {
                    field: "h".into(),
                    reason: "r".into(),
                },
                "h",
            ),
            (
                ValidationError::Unknown {
                    operation: "op",
                    name: "i".into(),
                },
                "i",
            ),
            (
                ValidationError::Several(vec![too_long.clone(), missing.clone()]),
                "b",
            ),
            (ValidationError::Several(vec![]), ""),
        ];
        for (error, field) in &cases {
            assert_eq!(error.field(), *field, "{error:?}");
        }
        assert_eq!(missing.each(), std::slice::from_ref(&missing));
        let several = ValidationError::Several(vec![too_long.clone(), missing.clone()]);
        assert_eq!(several.each(), [too_long, missing]);
    }

    #[test]
    fn request_times() {
        for ok in [
            "20240101120000",
            "20200229235959",
            "2020041421583131S",
            "1710473400000",
            "1710473400",
        ] {
            check(compact_time("time_stamp", ok), None);
        }
        for bad in [
            "not a time",
            "",
            "202401011200",
            "20241301120000",
            "20240101250000",
            "20240101120000 ",
            "20240101120000-x",
            "2024-01-01T12:00:00+08:00",
            "171047340000",
        ] {
            assert!(compact_time("time_stamp", bad).is_err(), "{bad:?}");
        }
        check(
            compact_time("time_stamp", "not a time"),
            Some(
                "parameter `time_stamp` is invalid: \"not a time\" is not a time yyyyMMddHHmmss \
                 (optionally with an alphanumeric suffix) or epoch seconds/milliseconds",
            ),
        );
    }

    #[test]
    fn not_greater_than_another_field() {
        check(
            not_greater("refund_fee", Some(100), "total_fee", Some(100)),
            None,
        );
        check(not_greater("refund_fee", Some(1), "total_fee", None), None);
        check(not_greater("refund_fee", None, "total_fee", Some(1)), None);
        check(
            not_greater("refund_fee", Some(101), "total_fee", Some(100)),
            Some("parameter `refund_fee` is invalid: 101 is greater than `total_fee` (100)"),
        );
    }

    fn check(result: Result<(), ValidationError>, expected: Option<&str>) {
        match (result, expected) {
            (Ok(()), None) => {}
            (Err(e), Some(msg)) => assert_eq!(e.to_string(), msg),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn rules() {
        check(max_len("a", "ไทยไทย", 6), None);
        check(
            max_len("a", "ไทยไทยx", 6),
            Some("parameter `a` is 7 characters long, at most 6 allowed"),
        );
        check(one_of("lang", "en", &["en", "th"]), None);
        check(
            one_of("lang", "fr", &["en", "th"]),
            Some("parameter `lang` has value \"fr\", allowed: en, th"),
        );
        check(at_least_one("", &["a", "b"], &[false, true]), None);
        check(
            at_least_one("", &["a", "b"], &[false, false]),
            Some("at least one of a, b is required"),
        );
        check(
            at_least_one("order", &["a", "b"], &[false, false]),
            Some("at least one of order.a, order.b is required"),
        );
        check(
            required_when(
                "env.osType",
                &None::<u8>,
                true,
                "`env.terminalType` is APP or WAP",
            ),
            Some("missing parameter `env.osType`, required when `env.terminalType` is APP or WAP"),
        );
        check(required_when("x", &None::<u8>, false, "c"), None);
        check(currency("c", "USD"), None);
        check(
            currency("c", "usd"),
            Some("parameter `c` is invalid: \"usd\" is not an ISO 4217 currency code such as USD"),
        );
        check(datetime("t", "2024-01-01T12:00:00+08:00"), None);
        check(
            datetime("t", "2024-01-01 12:00"),
            Some("parameter `t` is invalid: \"2024-01-01 12:00\" is not an ISO 8601 date-time with offset"),
        );
        check(url("u", "https://x.example/a?b=c"), None);
        check(
            url("u", "ftp://x"),
            Some("parameter `u` is invalid: \"ftp://x\" is not an absolute http(s) URL"),
        );
        check(int_range("h", 1, Some(0), Some(1)), None);
        check(
            int_range("h", 2, Some(0), Some(1)),
            Some("parameter `h` is invalid: 2 is out of range: must be between 0 and 1"),
        );
        check(date("d", "2024-02-29"), None);
        check(
            date("d", "2023-02-29"),
            Some("parameter `d` is invalid: \"2023-02-29\" is not a date YYYY-MM-DD"),
        );
        check(parse_amount("fee", "100").map(|_| ()), None);
        check(
            parse_amount("fee", "0").map(|_| ()),
            Some("parameter `fee` is invalid: amount must be a positive integer in minor units (cents)"),
        );
        check(
            parse_amount("fee", "1.5").map(|_| ()),
            Some("parameter `fee` is invalid: \"1.5\" is not a non-negative decimal integer"),
        );
    }
}
