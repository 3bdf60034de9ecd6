//! Amounts in ISO 4217 minor units.
//!
//! Gateways take amounts as integers in the currency's smallest unit: USD 1.00 is `100`, JPY 1 is
//! `1`. The number of decimals (the ISO 4217 "minor unit") decides the conversion from a decimal
//! amount. Some currencies carry extra gateway rules (Alipay+: IDR amounts end in `00`).

// Amounts are converted and compared here: every arithmetic operation is checked.
#![deny(clippy::arithmetic_side_effects)]

use crate::validate::ValidationError;

/// ISO 4217 minor unit (number of decimals) of a currency; 2 for codes not listed here.
pub fn exponent(currency: &str) -> u32 {
    match currency {
        // Zero-decimal currencies.
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        // Three-decimal currencies.
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Converts a decimal amount (`"12.34"`) in `currency` to minor units (`1234`). More decimals
/// than the currency has, signs, exponents or spaces are errors.
pub fn to_minor_units(currency: &str, decimal: &str) -> Result<u64, ValidationError> {
    let invalid = |reason: String| ValidationError::Invalid {
        field: "amount".to_owned(),
        reason,
    };
    let exp = exponent(currency) as usize;
    let (whole, frac) = decimal.split_once('.').unwrap_or((decimal, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(frac)
        || (decimal.contains('.') && frac.is_empty())
    {
        return Err(invalid(format!("{decimal:?} is not a decimal amount")));
    }
    if frac.len() > exp {
        return Err(invalid(format!(
            "{decimal:?} has more decimals than {currency} allows ({exp})"
        )));
    }
    let text = format!("{whole}{frac:0<exp$}");
    text.parse()
        .map_err(|_| invalid(format!("{decimal:?} is out of range")))
}

/// Checks a minor-unit amount against its currency: positive, and the currency's gateway rules
/// (IDR amounts must end in `00`).
pub fn check_minor_units(
    field: impl std::fmt::Display,
    currency: Option<&str>,
    value: u64,
) -> Result<(), ValidationError> {
    if value == 0 {
        return Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: "amount must be a positive integer in minor units".into(),
        });
    }
    if currency == Some("IDR") && !value.is_multiple_of(100) {
        return Err(ValidationError::Invalid {
            field: field.to_string(),
            reason: format!("IDR amounts must end in 00 (found {value})"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(currency: &str, decimal: &str, expected: Result<u64, &str>) {
        let got = to_minor_units(currency, decimal).map_err(|e| e.to_string());
        assert_eq!(got, expected.map_err(str::to_owned), "{currency} {decimal}");
    }

    #[test]
    fn conversions() {
        check("USD", "12.34", Ok(1234));
        check("USD", "12", Ok(1200));
        check("USD", "0.5", Ok(50));
        check("JPY", "500", Ok(500));
        check(
            "JPY",
            "5.5",
            Err("parameter `amount` is invalid: \"5.5\" has more decimals than JPY allows (0)"),
        );
        check("KWD", "1.234", Ok(1234));
        check(
            "USD",
            "-1",
            Err("parameter `amount` is invalid: \"-1\" is not a decimal amount"),
        );
        check(
            "USD",
            "1.",
            Err("parameter `amount` is invalid: \"1.\" is not a decimal amount"),
        );
        check(
            "USD",
            "1e3",
            Err("parameter `amount` is invalid: \"1e3\" is not a decimal amount"),
        );
    }

    #[test]
    fn currency_rules() {
        assert!(check_minor_units("v", Some("IDR"), 15000).is_ok());
        assert!(check_minor_units("v", Some("IDR"), 15050).is_err());
        assert!(check_minor_units("v", Some("USD"), 15050).is_ok());
        assert!(check_minor_units("v", Some("USD"), 0).is_err());
    }
}
