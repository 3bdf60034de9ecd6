//! Ksher engine of the CLI and the vector runner: typed signing from loose parameters, and
//! verification by operation name.

use payspec_ksher::{SignParamsError, SignedRequest, Signer, Verifier};
use payspec_runtime::sorted_params::{ResponseError, VerifiedEnvelope};
use payspec_runtime::{PrivateKey, PublicKey, Verified};
use serde_json::{Map, Value};

use crate::vectors::param_text;

/// Why loose parameters could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignFailure {
    /// A parameter value is neither a string nor an integer.
    #[error("{0}")]
    BadValue(String),
    /// Unknown operation, unknown / missing / invalid parameter, a broken rule, or RSA failed.
    #[error(transparent)]
    Sign(#[from] SignParamsError),
}

/// Builds the typed request of `operation` from `params` (strings and integers, common
/// parameters included), then validates and signs exactly those parameters: nothing is added
/// (no fresh nonce or time, no merchant id), so a parameter the operation requires must be in
/// `params`, and one it does not require (e.g. `time_stamp` of `merchant_info`) may be left out.
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
    let pairs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    // The signer's own merchant id, nonce and clock are not used by `sign_params`.
    Ok(Signer::new(String::new(), key.clone()).sign_params(operation, &pairs)?)
}

/// Verifies a Ksher response or notification body of the named operation / notification.
pub fn verify_body(
    operation: &str,
    body: &[u8],
    key: &PublicKey,
) -> Result<Verified<VerifiedEnvelope>, ResponseError> {
    Verifier::new(key.clone()).verify_raw(operation, body)
}
