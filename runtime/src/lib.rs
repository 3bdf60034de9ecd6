//! Hand-written runtime for payspec-generated payment-gateway clients.
//!
//! Generated crates (`payspec-ksher`, ...) call into this crate for everything that is not API
//! knowledge: RSA backends ([`crypto`]), the canonical strings and signature rules of each
//! signature scheme ([`sorted_params`]), validation errors ([`validate`]), clocks and nonce sources
//! ([`clock`]), and the [`Verified`] wrapper that marks gateway data whose signature was checked.
//!
//! Signing and verification are sans-IO: pure functions of bytes, keys, a clock and a nonce source.

pub mod api;
pub mod clock;
pub mod crypto;
pub mod explain;
pub mod header_signature;
pub mod json;
pub mod lenient;
pub mod money;
pub mod retry;
pub mod scheme;
pub mod sorted_params;
#[cfg(feature = "client")]
pub mod transport;
pub mod validate;
mod verified;

pub use clock::{Clock, FixedClock, FixedNonce, NonceSource, RandomNonce, SystemClock};
pub use crypto::{Backend, DigestAlgorithm, KeyError, PrivateKey, PublicKey, SignError};
pub use validate::ValidationError;
pub use verified::Verified;

/// The date-time crate used for clocks and notification windows.
pub use time;

/// The `http` crate: signed requests convert to `http::Request`, and verifiers read
/// `http::Response`s, so any HTTP stack can carry them.
pub use http;

/// Re-exports used by generated code, so generated crates need no direct dependency on them.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use serde_json;
}

/// How a gateway status value should be read by business logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Final success.
    Success,
    /// Final failure.
    Failure,
    /// Not known yet (in process, or the call may or may not have succeeded): query again, or
    /// retry idempotently. Never treat this as a failure.
    Unknown,
}
