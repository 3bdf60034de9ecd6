//! The signature schemes as types: the API-independent machinery of every generated crate.
//!
//! A generated crate describes its API with static tables (an `Api` implementation: hosts,
//! common parameters, routes, signed subsets, notifications) and one `Operation` impl per
//! operation; the generic [`sorted_params::Signer`], [`sorted_params::Verifier`],
//! [`sorted_params::Gateway`] (and their [`header_rsa`] twins) do the rest, so their code is
//! written, compiled and tested once.

pub mod header_rsa;
pub mod sorted_params;

/// Why a request was not signed.
#[derive(Debug, thiserror::Error)]
pub enum SignRequestError {
    /// The request breaks a rule of the spec.
    #[error(transparent)]
    Invalid(#[from] crate::ValidationError),
    /// The body could not be serialized.
    #[error("request body: {0}")]
    Body(String),
    /// The RSA operation failed.
    #[error(transparent)]
    Crypto(#[from] crate::SignError),
}

impl From<SignRequestError> for crate::retry::RequestError {
    fn from(e: SignRequestError) -> Self {
        match e {
            SignRequestError::Invalid(e) => Self::Invalid(e),
            SignRequestError::Body(e) => Self::Body(e),
            SignRequestError::Crypto(e) => Self::Crypto(e),
        }
    }
}

/// `base_url` without trailing slashes, then `path`.
pub(crate) fn join_url(base_url: &str, path: &str) -> String {
    format!("{}{}", base_url.trim_end_matches('/'), path)
}

/// Base URL of `host` for a gateway: its own, else the common one, else production.
pub(crate) fn pick_base_url<'a, H: crate::api::GatewayHost>(
    host_urls: &'a [(H, String)],
    base_url: Option<&'a str>,
    host: H,
) -> &'a str {
    host_urls
        .iter()
        .find(|(h, _)| *h == host)
        .map(|(_, u)| u.as_str())
        .or(base_url)
        .unwrap_or_else(|| host.production_url())
}
