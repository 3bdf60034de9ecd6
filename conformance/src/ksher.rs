//! Ksher engine of the CLI and the vector runner: typed signing from loose parameters, and
//! verification by operation name.

use payspec_ksher::{AnyRequest, ParamsError, SignError, SignedRequest, Signer, Verifier};
use payspec_runtime::sorted_params::{ResponseError, VerifiedEnvelope};
use payspec_runtime::{PrivateKey, PublicKey, ValidationError, Verified};
use serde_json::{Map, Value};

use crate::vectors::param_text;

/// Why loose parameters could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignFailure {
    /// A parameter value is neither a string nor an integer.
    #[error("{0}")]
    BadValue(String),
    /// Unknown operation, unknown / missing / invalid parameter.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// The request breaks a rule, or RSA failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Builds the typed request of `operation` from `params` (strings and integers, common
/// parameters included), then validates and signs it. `appid`, `nonce_str` and `time_stamp` are
/// taken from `params` when present; otherwise the nonce and time are fresh and `appid` is
/// required.
pub fn sign_params(
    operation: &str,
    params: &Map<String, Value>,
    key: &PrivateKey,
) -> Result<SignedRequest, SignFailure> {
    let texts: Vec<(String, String)> = params
        .iter()
        .map(|(name, value)| param_text(name, value).map(|t| (name.clone(), t)))
        .collect::<Result<_, _>>()
        .map_err(SignFailure::BadValue)?;
    let (request, overrides) = AnyRequest::from_params(
        operation,
        texts.iter().map(|(n, v)| (n.as_str(), v.as_str())),
    )?;
    let appid = overrides
        .appid
        .clone()
        .ok_or(ParamsError::Invalid(ValidationError::Missing {
            field: "appid".into(),
        }))?;
    let signer = Signer::new(appid, key.clone());
    let common = overrides.apply(signer.common_params());
    Ok(signer.sign_any(&request, common)?)
}

/// Verifies a Ksher response or notification body of the named operation / notification.
pub fn verify_body(
    operation: &str,
    body: &[u8],
    key: &PublicKey,
) -> Result<Verified<VerifiedEnvelope>, ResponseError> {
    Verifier::new(key.clone()).verify_raw(operation, body)
}
