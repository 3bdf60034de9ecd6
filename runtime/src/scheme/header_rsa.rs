//! The `header-rsa` scheme (Alipay+): JSON bodies signed with SHA256withRSA over
//! `POST <path>\n<client-id>.<time>.<body>`, the signature sent in a header.
//!
//! A generated crate implements [`Api`] (its tables) and [`Operation`] (one impl per request
//! type); everything else is here, generic over the API.

use std::sync::Arc;

use crate::api::GatewayHost;
use crate::header_signature::{
    header_value, verify_notification, verify_response, verify_typed_notification,
    verify_typed_response, HeaderVerifyError, JsonMessage, JsonMessageError, NotificationCheck,
    ResponseCheck, ResponseVerdict, SignedHeaders, SignedMessage, UnsignedAllowance,
};
use crate::retry::{AttemptError, AttemptOutcome, Exchange, MakeExchange, RequestError};
use crate::time::{Duration, OffsetDateTime};
use crate::{Clock, PrivateKey, PublicKey, ValidationError, Verified};

pub use super::SignRequestError as SignError;

/// Format of the request-time header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestTimeFormat {
    /// ISO 8601 with offset.
    Iso8601,
    /// Milliseconds since the Unix epoch.
    EpochMillis,
}

/// HTTP header names (and the content type) of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Headers {
    /// The signature header.
    pub signature: &'static str,
    /// The client-id header.
    pub client_id: &'static str,
    /// The request-time header (requests and notifications).
    pub request_time: &'static str,
    /// The response-time header (responses).
    pub response_time: &'static str,
    /// Content type of request bodies.
    pub content_type: &'static str,
}

/// What a generated crate tells the runtime about its API: static tables only.
pub trait Api: Sized + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The API's hosts.
    type Host: GatewayHost;
    /// `keyVersion` sent in the signature header by default.
    const KEY_VERSION: u32;
    /// Format of the request-time header.
    const REQUEST_TIME: RequestTimeFormat;
    /// Header names.
    const HEADERS: Headers;
    /// The status member and values with which a response may come unsigned.
    const UNSIGNED_ALLOWANCE: Option<UnsignedAllowance<'static>>;
    /// Default freshness window of notifications, in seconds.
    const NOTIFICATION_TOLERANCE_SECONDS: i64;
    /// Every operation, in spec order.
    const OPERATIONS: &'static [OperationEntry<Self>];
    /// Every notification, in spec order.
    const NOTIFICATIONS: &'static [NotificationEntry];
}

/// An operation of the API: a typed, validated JSON request body.
pub trait Operation: serde::Serialize + serde::de::DeserializeOwned {
    /// The API it belongs to.
    type Api: Api;
    /// Wire name.
    const NAME: &'static str;
    /// Host serving the operation.
    const HOST: <Self::Api as Api>::Host;
    /// Path below the host's base URL (the signed path).
    const PATH: &'static str;
    /// Whether the operation creates something (payment, refund): such requests are only
    /// retried with the same request id.
    const CREATES: bool;
    /// Typed response body.
    type Response: serde::de::DeserializeOwned + serde::Serialize;
    /// Checks the spec's rules (lengths, values, conditions); reports every broken rule.
    fn check(&self) -> Result<(), ValidationError>;
}

/// A notification the gateway pushes: its name, typed body and the reply it expects.
pub trait Notification {
    /// The API it belongs to.
    type Api: Api;
    /// Wire name.
    const NAME: &'static str;
    /// Body to answer with once the notification is verified and processed.
    const REPLY: &'static str;
    /// Typed body.
    type Data: serde::de::DeserializeOwned;
}

/// One row of the operation table, with the erased signing of callers that pick the operation
/// at run time (CLI, conformance runner, mock).
pub struct OperationEntry<A: Api> {
    /// Wire name.
    pub name: &'static str,
    /// Host serving it.
    pub host: A::Host,
    /// Path below the host's base URL.
    pub path: &'static str,
    /// Whether it creates something.
    pub creates: bool,
    /// Parses a JSON body strictly (unknown members and wrong types are errors naming the
    /// member's path), checks the spec's rules and signs it at `request_time`.
    pub sign_json: fn(&Signer<A>, &str, &str) -> Result<SignedRequest, SignError>,
    /// Parses a JSON body strictly and checks it, returning the typed request as JSON.
    pub check_json: fn(&str) -> Result<serde_json::Value, ValidationError>,
}

impl<A: Api> std::fmt::Debug for OperationEntry<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperationEntry")
            .field("name", &self.name)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl<A: Api> OperationEntry<A> {
    /// The row of operation `O`.
    pub const fn of<O: Operation<Api = A>>() -> Self {
        OperationEntry {
            name: O::NAME,
            host: O::HOST,
            path: O::PATH,
            creates: O::CREATES,
            sign_json: sign_json::<O>,
            check_json: check_json::<O>,
        }
    }
}

/// One row of the notification table.
#[derive(Clone, Copy, Debug)]
pub struct NotificationEntry {
    /// Wire name.
    pub name: &'static str,
    /// Body to answer with.
    pub reply: &'static str,
}

fn parse_strict<O: Operation>(json: &str) -> Result<O, ValidationError> {
    let request: O = crate::json::from_str_strict(json)?;
    request.check()?;
    Ok(request)
}

fn sign_json<O: Operation>(
    signer: &Signer<O::Api>,
    json: &str,
    request_time: &str,
) -> Result<SignedRequest, SignError> {
    signer.sign_at(&parse_strict::<O>(json)?, request_time)
}

fn check_json<O: Operation>(json: &str) -> Result<serde_json::Value, ValidationError> {
    let request = parse_strict::<O>(json)?;
    serde_json::to_value(&request).map_err(|e| ValidationError::Invalid {
        field: O::NAME.to_owned(),
        reason: e.to_string(),
    })
}

/// The operation of `A` named `name`.
pub fn operation<A: Api>(name: &str) -> Option<&'static OperationEntry<A>> {
    A::OPERATIONS.iter().find(|e| e.name == name)
}

/// A signed request ready to send: POST `body` to `url(base)` with `headers()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRequest {
    /// The signed path.
    pub path: String,
    /// Client-id header.
    pub client_id: String,
    /// Request-time header (signed).
    pub request_time: String,
    /// The exact body bytes that were signed.
    pub body: Vec<u8>,
    /// Content to sign, signature and signature header value.
    pub signature: SignedHeaders,
    /// Header names of the API.
    pub header_names: Headers,
}

impl SignedRequest {
    /// Full URL for a base URL such as the host's production URL.
    pub fn url(&self, base_url: &str) -> String {
        super::join_url(base_url, &self.path)
    }

    /// The request as an `http::Request`: POST of the body to `url(base_url)` with
    /// [`Self::headers`].
    pub fn to_http(&self, base_url: &str) -> Result<http::Request<Vec<u8>>, http::Error> {
        let mut builder = http::Request::post(self.url(base_url));
        for (name, value) in self.headers() {
            builder = builder.header(name, value);
        }
        builder.body(self.body.clone())
    }

    /// The HTTP headers to send.
    pub fn headers(&self) -> [(&'static str, String); 4] {
        let h = &self.header_names;
        [
            ("Content-Type", h.content_type.to_owned()),
            (h.client_id, self.client_id.clone()),
            (h.request_time, self.request_time.clone()),
            (h.signature, self.signature.header.clone()),
        ]
    }
}

/// Signs requests with the client's private key (sans-IO: the clock is injectable).
pub struct Signer<A: Api> {
    client_id: String,
    key: PrivateKey,
    key_version: u32,
    clock: Arc<dyn Clock>,
    api: std::marker::PhantomData<fn() -> A>,
}

impl<A: Api> Clone for Signer<A> {
    fn clone(&self) -> Self {
        Signer {
            client_id: self.client_id.clone(),
            key: self.key.clone(),
            key_version: self.key_version,
            clock: Arc::clone(&self.clock),
            api: std::marker::PhantomData,
        }
    }
}

impl<A: Api> std::fmt::Debug for Signer<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("client_id", &self.client_id)
            .field("key", &self.key)
            .field("key_version", &self.key_version)
            .finish_non_exhaustive()
    }
}

impl<A: Api> Signer<A> {
    /// A signer for `client_id` with the system clock (UTC) and the API's key version.
    pub fn new(client_id: impl Into<String>, key: PrivateKey) -> Self {
        Signer {
            client_id: client_id.into(),
            key,
            key_version: A::KEY_VERSION,
            clock: Arc::new(crate::SystemClock::default()),
            api: std::marker::PhantomData,
        }
    }

    /// Sends another `keyVersion`.
    pub fn with_key_version(mut self, key_version: u32) -> Self {
        self.key_version = key_version;
        self
    }

    /// Uses another clock (e.g. [`crate::FixedClock`], or a local offset).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The current request-time value.
    pub fn request_time(&self) -> String {
        let now = self.clock.now();
        match A::REQUEST_TIME {
            RequestTimeFormat::Iso8601 => crate::clock::iso8601_timestamp(now),
            RequestTimeFormat::EpochMillis => (now.unix_timestamp_nanos() / 1_000_000).to_string(),
        }
    }

    /// Validates `request`, serializes it and signs it with the current time.
    pub fn sign<O: Operation<Api = A>>(&self, request: &O) -> Result<SignedRequest, SignError> {
        self.sign_at(request, &self.request_time())
    }

    /// Like [`Self::sign`] with a given request-time value.
    pub fn sign_at<O: Operation<Api = A>>(
        &self,
        request: &O,
        request_time: &str,
    ) -> Result<SignedRequest, SignError> {
        request.check()?;
        let body = serde_json::to_vec(request).map_err(|e| SignError::Body(e.to_string()))?;
        self.sign_body(O::PATH, body, request_time)
    }

    /// Signs exact body bytes for `path` (no validation): for bodies built elsewhere.
    pub fn sign_body(
        &self,
        path: &str,
        body: Vec<u8>,
        request_time: &str,
    ) -> Result<SignedRequest, SignError> {
        let signature = crate::header_signature::sign(
            &self.key,
            "POST",
            path,
            &self.client_id,
            request_time,
            &body,
            self.key_version,
        )?;
        Ok(SignedRequest {
            path: path.to_owned(),
            client_id: self.client_id.clone(),
            request_time: request_time.to_owned(),
            body,
            signature,
            header_names: A::HEADERS,
        })
    }

    /// Signs the JSON body of an operation named at run time (parsed strictly through its
    /// typed request and checked), as the CLI and the conformance runner do.
    pub fn sign_json(
        &self,
        operation: &str,
        json: &str,
        request_time: &str,
    ) -> Result<SignedRequest, SignJsonError> {
        let entry = self::operation::<A>(operation)
            .ok_or_else(|| SignJsonError::UnknownOperation(operation.to_owned()))?;
        Ok((entry.sign_json)(self, json, request_time)?)
    }
}

/// Why [`Signer::sign_json`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SignJsonError {
    /// No operation of that name.
    #[error("unknown operation `{0}`")]
    UnknownOperation(String),
    /// A member is unknown, mistyped, missing or invalid, a rule is broken, or RSA failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Verifies responses and notifications over the exact body bytes; returns typed data only
/// when the signature holds (or, for responses, when the body is an unsigned failure/unknown
/// result, marked [`crate::header_signature::Trust::UnsignedNonSuccess`]).
pub struct Verifier<A: Api> {
    client_id: String,
    keys: Vec<PublicKey>,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
    api: std::marker::PhantomData<fn() -> A>,
}

impl<A: Api> Clone for Verifier<A> {
    fn clone(&self) -> Self {
        Verifier {
            client_id: self.client_id.clone(),
            keys: self.keys.clone(),
            tolerance: self.tolerance,
            clock: Arc::clone(&self.clock),
            api: std::marker::PhantomData,
        }
    }
}

impl<A: Api> std::fmt::Debug for Verifier<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("client_id", &self.client_id)
            .field("keys", &self.keys)
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl<A: Api> Verifier<A> {
    /// A verifier for `client_id` (it is part of the signed content) with the gateway's public
    /// key.
    pub fn new(client_id: impl Into<String>, key: PublicKey) -> Self {
        Verifier {
            client_id: client_id.into(),
            keys: vec![key],
            tolerance: Duration::seconds(A::NOTIFICATION_TOLERANCE_SECONDS),
            clock: Arc::new(crate::SystemClock::default()),
            api: std::marker::PhantomData,
        }
    }

    /// Also accepts signatures by `key` (key rotation).
    pub fn with_key(mut self, key: PublicKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Uses another clock for the freshness of notifications (e.g. [`crate::FixedClock`]).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Another freshness window for notifications.
    pub fn with_notification_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    fn check<'a>(
        &'a self,
        path: &'a str,
        response_time: Option<&'a str>,
        signature: Option<&'a str>,
        body: &'a [u8],
    ) -> ResponseCheck<'a> {
        ResponseCheck {
            method: "POST",
            path,
            client_id: &self.client_id,
            response_time,
            signature_header: signature,
            body,
            unsigned_allowance: A::UNSIGNED_ALLOWANCE,
        }
    }

    fn notification_check<'a>(
        &'a self,
        path: &'a str,
        request_time: Option<&'a str>,
        signature: Option<&'a str>,
        body: &'a [u8],
    ) -> NotificationCheck<'a> {
        NotificationCheck {
            method: "POST",
            path,
            client_id: &self.client_id,
            request_time,
            signature_header: signature,
            body,
        }
    }

    /// Verifies the response to operation `O` (its response-time and signature headers and
    /// exact body) and parses it.
    pub fn verify_response<O: Operation<Api = A>>(
        &self,
        response_time: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Verified<JsonMessage<O::Response>>, JsonMessageError> {
        verify_typed_response(
            &self.check(O::PATH, response_time, signature, body),
            &self.keys,
            O::NAME,
        )
    }

    /// Verifies an HTTP response to operation `O` (status, headers, exact body) and parses it.
    pub fn verify_http_response<O: Operation<Api = A>, B: AsRef<[u8]>>(
        &self,
        response: &http::Response<B>,
    ) -> Result<Verified<JsonMessage<O::Response>>, JsonMessageError> {
        if !response.status().is_success() {
            return Err(JsonMessageError::HttpStatus(response.status().as_u16()));
        }
        let headers = response.headers();
        self.verify_response::<O>(
            header_value(headers, A::HEADERS.response_time),
            header_value(headers, A::HEADERS.signature),
            response.body().as_ref(),
        )
    }

    /// Verifies a response to a request sent to `path`, without typing the body.
    pub fn verify_response_raw(
        &self,
        path: &str,
        response_time: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Verified<ResponseVerdict>, HeaderVerifyError> {
        verify_response(
            &self.check(path, response_time, signature, body),
            &self.keys,
        )
    }

    /// Verifies notification `N` received at `path` (your endpoint's path, no host or query)
    /// with its request-time and signature headers, over the exact body bytes; the request
    /// time must be within the tolerance of `now`. Answer with [`Notification::REPLY`] once it
    /// is processed.
    pub fn verify_notification<N: Notification<Api = A>>(
        &self,
        path: &str,
        request_time: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<Verified<JsonMessage<N::Data>>, JsonMessageError> {
        verify_typed_notification(
            &self.notification_check(path, request_time, signature, body),
            &self.keys,
            now,
            self.tolerance,
            N::NAME,
        )
    }

    /// Like [`Self::verify_notification`], for a received `http::Request` (path, headers and
    /// body taken from it), at the verifier's clock.
    pub fn verify_http_notification<N: Notification<Api = A>, B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
    ) -> Result<Verified<JsonMessage<N::Data>>, JsonMessageError> {
        let headers = request.headers();
        self.verify_notification::<N>(
            request.uri().path(),
            header_value(headers, A::HEADERS.request_time),
            header_value(headers, A::HEADERS.signature),
            request.body().as_ref(),
            self.clock.now(),
        )
    }

    /// Verifies a notification received at `path`, without typing the body.
    pub fn verify_notification_raw(
        &self,
        path: &str,
        request_time: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<Verified<SignedMessage>, HeaderVerifyError> {
        verify_notification(
            &self.notification_check(path, request_time, signature, body),
            &self.keys,
            now,
            self.tolerance,
        )
    }
}

/// Signer, verifier and base URLs: everything a transport needs to call the gateway, without
/// doing IO. A `U` result is an answer (in progress / unknown): inquire, do not treat it as a
/// failure.
#[derive(Clone, Debug)]
pub struct Gateway<A: Api> {
    signer: Signer<A>,
    verifier: Verifier<A>,
    routing: super::Routing<A::Host>,
}

impl<A: Api> Gateway<A> {
    /// A gateway at the production hosts for merchant (client) `merchant_id`, signing with
    /// `private_key` and accepting answers signed with `gateway_key`: the merchant id is given
    /// once. [`Self::new`] takes a configured signer and verifier (clocks, key rotation).
    pub fn from_keys(
        merchant_id: impl Into<String>,
        private_key: PrivateKey,
        gateway_key: PublicKey,
    ) -> Self {
        let merchant_id: String = merchant_id.into();
        let verifier = Verifier::new(merchant_id.clone(), gateway_key);
        Self::new(Signer::new(merchant_id, private_key), verifier)
    }

    /// A gateway at the production hosts.
    pub fn new(signer: Signer<A>, verifier: Verifier<A>) -> Self {
        Gateway {
            signer,
            verifier,
            routing: super::Routing::default(),
        }
    }

    /// Sends every operation to `base_url` (another environment, a mock gateway).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.routing.base_url = Some(base_url.into());
        self
    }

    /// Sends the operations of one `host` to `base_url`.
    pub fn with_host_url(mut self, host: A::Host, base_url: impl Into<String>) -> Self {
        self.routing.set_host(host, base_url.into());
        self
    }

    /// Base URL of `host`: its own, else the common one, else production.
    pub fn base_url(&self, host: A::Host) -> &str {
        self.routing.url(host)
    }

    /// The signer.
    pub fn signer(&self) -> &Signer<A> {
        &self.signer
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier<A> {
        &self.verifier
    }

    /// One call of operation `O`, ready for a transport.
    pub fn exchange<'a, O: Operation<Api = A>>(&'a self, request: &'a O) -> Call<'a, O> {
        Call {
            gateway: self,
            request,
        }
    }
}

/// One call of operation `O`: each attempt is signed afresh (same request id, new request
/// time); the answer is verified over its exact bytes and typed.
pub struct Call<'a, O: Operation> {
    gateway: &'a Gateway<O::Api>,
    request: &'a O,
}

impl<O: Operation> std::fmt::Debug for Call<'_, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call").field("operation", &O::NAME).finish()
    }
}

impl<O: Operation> Exchange for Call<'_, O> {
    type Output = Verified<JsonMessage<O::Response>>;
    type Error = JsonMessageError;

    fn creates(&self) -> bool {
        O::CREATES
    }

    fn request(&self) -> Result<http::Request<Vec<u8>>, RequestError> {
        let signed = self.gateway.signer.sign(self.request)?;
        Ok(signed.to_http(self.gateway.base_url(O::HOST))?)
    }

    fn response(
        &self,
        response: http::Response<Vec<u8>>,
    ) -> Result<Self::Output, AttemptError<JsonMessageError>> {
        match self
            .gateway
            .verifier
            .verify_http_response::<O, _>(&response)
        {
            Ok(verified) => Ok(verified),
            Err(JsonMessageError::HttpStatus(code)) => Err(AttemptError::Retryable {
                outcome: AttemptOutcome::Status(code),
                detail: format!("HTTP {code}"),
                response: None,
            }),
            Err(e) => Err(AttemptError::Response(e)),
        }
    }
}

impl<A: Api, O: Operation<Api = A>> MakeExchange<O> for Gateway<A> {
    type Call<'a>
        = Call<'a, O>
    where
        O: 'a;

    fn make_exchange<'a>(&'a self, request: &'a O) -> Call<'a, O> {
        self.exchange(request)
    }
}
