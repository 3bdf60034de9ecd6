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

/// Where a gateway sends each host's operations: its own URL, else the common one, else the
/// host's production URL.
#[derive(Clone, Debug)]
pub(crate) struct Routing<H> {
    pub(crate) base_url: Option<String>,
    host_urls: Vec<(H, String)>,
}

impl<H> Default for Routing<H> {
    fn default() -> Self {
        Routing {
            base_url: None,
            host_urls: Vec::new(),
        }
    }
}

impl<H: crate::api::GatewayHost> Routing<H> {
    pub(crate) fn set_host(&mut self, host: H, url: String) {
        self.host_urls.retain(|(h, _)| *h != host);
        self.host_urls.push((host, url));
    }

    pub(crate) fn url(&self, host: H) -> &str {
        self.host_urls
            .iter()
            .find(|(h, _)| *h == host)
            .map(|(_, u)| u.as_str())
            .or(self.base_url.as_deref())
            .unwrap_or_else(|| host.production_url())
    }
}

/// The client items of a generated crate root, present when the runtime has its `client`
/// feature (a generated crate's `client` feature turns it on; so does a `payspec_macros::api!`
/// caller's dependency on the runtime).
#[cfg(feature = "client")]
#[doc(hidden)]
#[macro_export]
macro_rules! __client_items {
    () => {
        /// The [`Gateway`] with the runtime's HTTP transport (feature `client`):
        /// `client.call(&request).await` signs each attempt afresh, retries only when that is
        /// safe for payments, and returns the verified answer.
        pub type Client = $crate::transport::Client<Gateway>;
        pub use $crate::retry::{PollPolicy, RetryPolicy};
        pub use $crate::transport::HttpTransport;
    };
}

/// Without the runtime's `client` feature there is no client.
#[cfg(not(feature = "client"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __client_items {
    () => {};
}

/// The crate-root names of a generated crate of either scheme: the runtime's generic types
/// instantiated with the crate's `Api` tables. Invoked once by each generated crate (in the
/// scope that defines `Api`), so no generated crate repeats this text.
#[doc(hidden)]
#[macro_export]
macro_rules! __crate_root {
    (common) => {
        pub use $crate::api::GatewayHost;
        pub use $crate::{Outcome, PrivateKey, PublicKey, ValidationError, Verified};
        $crate::__client_items!();
    };
    (sorted_params) => {
        $crate::__crate_root!(common);
        pub use $crate::scheme::sorted_params::{
            Call, CommonParams, Notification, SignError, SignParamsError,
        };
        pub use $crate::sorted_params::{DataVerifyError, Response, ResponseError, SignedForm};
        /// An operation of this API (the runtime's `Operation` with `Api = Api`): bound generic
        /// code by it. Its constants (`NAME`, `PATH`...) come from
        /// `payspec_runtime::scheme::sorted_params::Operation`.
        pub trait Operation: $crate::scheme::sorted_params::Operation<Api = Api> {
            /// Checks the spec's rules (lengths, values, groups); reports every broken rule.
            fn validate(&self) -> Result<(), ValidationError> {
                $crate::scheme::sorted_params::Operation::check(self)
            }
        }
        impl<T: $crate::scheme::sorted_params::Operation<Api = Api>> Operation for T {}
        /// Signs requests with the merchant key (sans-IO: clock and nonce source injectable).
        pub type Signer = $crate::scheme::sorted_params::Signer<Api>;
        /// Verifies answers and notifications; typed data only when the signature holds.
        pub type Verifier = $crate::scheme::sorted_params::Verifier<Api>;
        /// Signer, verifier and base URLs: the sans-IO halves of every call.
        pub type Gateway = $crate::scheme::sorted_params::Gateway<Api>;
        /// A signed request ready to send.
        pub type SignedRequest = $crate::scheme::sorted_params::SignedRequest<Api>;
    };
    (header_rsa) => {
        $crate::__crate_root!(common);
        pub use $crate::header_signature::{
            HeaderVerifyError, JsonMessage, JsonMessageError, Trust,
        };
        pub use $crate::scheme::header_rsa::{
            Call, Notification, SignError, SignJsonError, SignedRequest,
        };
        /// An operation of this API (the runtime's `Operation` with `Api = Api`): bound generic
        /// code by it. Its constants (`NAME`, `PATH`...) come from
        /// `payspec_runtime::scheme::header_rsa::Operation`.
        pub trait Operation: $crate::scheme::header_rsa::Operation<Api = Api> {
            /// Checks the spec's rules (lengths, values, conditions); reports every broken rule.
            fn validate(&self) -> Result<(), ValidationError> {
                $crate::scheme::header_rsa::Operation::check(self)
            }
        }
        impl<T: $crate::scheme::header_rsa::Operation<Api = Api>> Operation for T {}
        /// Signs requests with the client's key (sans-IO: the clock is injectable).
        pub type Signer = $crate::scheme::header_rsa::Signer<Api>;
        /// Verifies answers and notifications over their exact bytes.
        pub type Verifier = $crate::scheme::header_rsa::Verifier<Api>;
        /// Signer, verifier and base URLs: the sans-IO halves of every call.
        pub type Gateway = $crate::scheme::header_rsa::Gateway<Api>;
    };
}
