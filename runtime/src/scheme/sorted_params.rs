//! The `sorted-params` scheme (Ksher): form requests signed over the sorted `name=value`
//! parameters; answers and notifications signed over their `data` object.
//!
//! A generated crate implements [`Api`] (its tables) and [`Operation`] (one impl per
//! operation); everything else is here, generic over the API.

use std::sync::Arc;

use crate::api::{GatewayHost, ParamReader};
use crate::retry::{AttemptError, AttemptOutcome, Exchange, MakeExchange, RequestError};
use crate::sorted_params::{
    verify_data_signature, verify_typed, ParamWriter, Response, ResponseError, SignedForm,
    VerifiedEnvelope,
};
use crate::{
    Clock, DigestAlgorithm, NonceSource, PrivateKey, PublicKey, ValidationError, Verified,
};

pub use super::SignRequestError as SignError;

/// Where the value of a common parameter comes from when the caller does not give one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommonSource {
    /// Client configuration. The first required one is the merchant id given to
    /// [`Signer::new`]; others are set with [`Signer::with_common_param`].
    Config,
    /// A fresh nonce per request.
    Nonce,
    /// The clock, `yyyyMMddHHmmss` (UTC unless the clock says otherwise).
    ClockCompact,
    /// The clock, ISO 8601 with offset.
    ClockIso8601,
    /// Given by the caller per request.
    Caller,
}

/// A parameter sent with every request.
#[derive(Clone, Copy, Debug)]
pub struct CommonParam {
    /// Wire name.
    pub name: &'static str,
    /// Where its value comes from.
    pub source: CommonSource,
    /// Whether every request carries it.
    pub required: bool,
    /// Maximum length in characters.
    pub max_len: Option<usize>,
}

/// How one operation departs from the API's common parameter `name`: whether it requires it,
/// and the other names it accepts for it (e.g. Ksher's `merchant_info` takes the merchant id as
/// `appid` or `mch_appid`). Exactly the name given is signed.
#[derive(Clone, Copy, Debug)]
pub struct CommonRule {
    /// The common parameter.
    pub name: &'static str,
    /// Whether this operation requires it (under its name or an alias).
    pub required: bool,
    /// Other names this operation accepts for it.
    pub aliases: &'static [&'static str],
}

/// What a generated crate tells the runtime about its API: static tables only.
pub trait Api: Sized + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The API's hosts.
    type Host: GatewayHost;
    /// Digest of request and response signatures.
    const DIGEST: DigestAlgorithm;
    /// Name of the signature parameter.
    const SIGN_PARAM: &'static str;
    /// Parameters sent with every request, in spec order.
    const COMMON: &'static [CommonParam];
    /// Error-envelope `code`s the spec marks as transient: a creating operation answered with
    /// one of them may be sent again; any other error envelope is final.
    const RETRYABLE_ENVELOPE_CODES: &'static [&'static str];
    /// Every operation, in spec order.
    const OPERATIONS: &'static [OperationEntry<Self>];
    /// Every notification, in spec order.
    const NOTIFICATIONS: &'static [NotificationEntry<Self>];
}

/// An operation of the API: a typed request that knows its route and writes its parameters.
pub trait Operation: Sized {
    /// The API it belongs to.
    type Api: Api;
    /// Wire name.
    const NAME: &'static str;
    /// Host serving the operation.
    const HOST: <Self::Api as Api>::Host;
    /// Path below the host's base URL.
    const PATH: &'static str;
    /// Whether the operation creates something (payment, refund, payout): such requests are
    /// only retried when that cannot pay twice.
    const CREATES: bool;
    /// Signed subset of the response `data` members (`None`: all are signed).
    const SIGNED_FIELDS: Option<&'static [&'static str]>;
    /// Where this operation departs from the API's common parameters (none by default).
    const COMMON_RULES: &'static [CommonRule] = &[];
    /// Typed response `data`.
    type Response: serde::de::DeserializeOwned + serde::Serialize;
    /// Checks the spec's rules (lengths, values, groups); reports every broken rule.
    fn check(&self) -> Result<(), ValidationError>;
    /// Writes every parameter, common ones included, in signing (byte) order.
    fn write_params(&self, common: &CommonParams, writer: &mut ParamWriter);
    /// Reads the request from its text-form parameters (common ones excluded); errors are
    /// recorded in the reader.
    fn from_params(params: &mut ParamReader<'_>) -> Option<Self>;
}

/// A notification the gateway pushes: its name, typed `data` and the reply it expects.
pub trait Notification {
    /// The API it belongs to.
    type Api: Api;
    /// Wire name.
    const NAME: &'static str;
    /// Body to answer with once the notification is verified and processed.
    const REPLY: &'static str;
    /// Signed subset of `data` members (`None`: all are signed).
    const SIGNED_FIELDS: Option<&'static [&'static str]> = None;
    /// Typed `data`.
    type Data: serde::de::DeserializeOwned + serde::Serialize;
}

/// A verified answer or notification whose typed `data` is given back as JSON (for callers that
/// pick the operation at run time).
pub type NamedResponse = Verified<Response<serde_json::Value>>;

/// Erased signing of one operation from text parameters.
pub type SignParamsFn<A> = fn(&Signer<A>, &[(&str, &str)]) -> Result<SignedRequest<A>, SignError>;

/// Erased typed verification of one operation or notification.
pub type VerifyTypedFn<A> = fn(&Verifier<A>, &[u8]) -> Result<NamedResponse, ResponseError>;

/// One row of the operation table: its route and the erased signing and verification of
/// callers that pick the operation at run time (CLI, conformance runner).
pub struct OperationEntry<A: Api> {
    /// Wire name.
    pub name: &'static str,
    /// Host serving it.
    pub host: A::Host,
    /// Path below the host's base URL.
    pub path: &'static str,
    /// Whether it creates something.
    pub creates: bool,
    /// Signed subset of its answer's `data` (`None`: all members).
    pub signed_fields: Option<&'static [&'static str]>,
    /// Where it departs from the API's common parameters.
    pub common_rules: &'static [CommonRule],
    /// Reads the typed request from text parameters (common ones included), checks it and
    /// signs it.
    pub sign_params: SignParamsFn<A>,
    /// Verifies an answer and types its `data`; returned as JSON of the typed value.
    pub verify_typed: VerifyTypedFn<A>,
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
            signed_fields: O::SIGNED_FIELDS,
            common_rules: O::COMMON_RULES,
            sign_params: sign_params::<O>,
            verify_typed: verify_as_json::<O>,
        }
    }
}

/// One row of the notification table.
pub struct NotificationEntry<A: Api> {
    /// Wire name.
    pub name: &'static str,
    /// Signed subset of `data` (`None`: all members).
    pub signed_fields: Option<&'static [&'static str]>,
    /// Body to answer with.
    pub reply: &'static str,
    /// Verifies a notification and types its `data`; returned as JSON of the typed value.
    pub verify_typed: VerifyTypedFn<A>,
}

impl<A: Api> std::fmt::Debug for NotificationEntry<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationEntry")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<A: Api> NotificationEntry<A> {
    /// The row of notification `N`.
    pub const fn of<N: Notification<Api = A>>() -> Self {
        NotificationEntry {
            name: N::NAME,
            signed_fields: N::SIGNED_FIELDS,
            reply: N::REPLY,
            verify_typed: notification_as_json::<N>,
        }
    }
}

fn notification_as_json<N: Notification>(
    verifier: &Verifier<N::Api>,
    body: &[u8],
) -> Result<Verified<Response<serde_json::Value>>, ResponseError> {
    let verified = verifier.verify_notification::<N>(body)?;
    as_json(verified, N::NAME)
}

fn as_json<T: serde::Serialize>(
    verified: Verified<Response<T>>,
    name: &str,
) -> Result<Verified<Response<serde_json::Value>>, ResponseError> {
    verified.try_map(|r| {
        let data = serde_json::to_value(&r.data).map_err(|e| ResponseError::Decode {
            operation: name.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Response {
            msg: r.msg,
            data,
            raw_data: r.raw_data,
        })
    })
}

/// Signs exactly the given parameters: the signer adds no common parameter they lack.
fn sign_params<O: Operation>(
    signer: &Signer<O::Api>,
    params: &[(&str, &str)],
) -> Result<SignedRequest<O::Api>, SignError> {
    let (request, given) = read_params::<O>(params.iter().copied())?;
    signer.sign_with_common(&request, given)
}

/// Reads the typed request of operation `O` from `name=value` text pairs (a received form, the
/// CLI's parameters) and checks the spec's rules, the common parameters' included. Common
/// parameters (under their names or the operation's aliases) are returned apart; a name given
/// twice, an unknown, missing or invalid parameter and every broken rule are errors.
pub fn read_params<'a, O: Operation>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(O, CommonParams), ValidationError> {
    let mut common = CommonParams::default();
    let mut rest = Vec::new();
    for (name, value) in params {
        if common.get(name).is_some() {
            return Err(ValidationError::Invalid {
                field: name.to_owned(),
                reason: "given more than once".into(),
            });
        }
        if !common.set_for::<O>(name, value) {
            rest.push((name, value));
        }
    }
    let mut reader = ParamReader::new(O::NAME, rest)?;
    let request = O::from_params(&mut reader);
    let request = reader.finish(request)?;
    let mut checks = crate::api::Checks::default();
    checks.nested(common.validate_for::<O>());
    checks.nested(request.check());
    checks.finish()?;
    Ok((request, common))
}

fn verify_as_json<O: Operation>(
    verifier: &Verifier<O::Api>,
    body: &[u8],
) -> Result<Verified<Response<serde_json::Value>>, ResponseError> {
    as_json(verifier.verify_response::<O>(body)?, O::NAME)
}

/// The common parameters of one request, by wire name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommonParams {
    values: Vec<(&'static str, String)>,
}

impl CommonParams {
    /// The value of common parameter `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets common parameter `name` of API `A`; `false` if `A` has no such common parameter.
    pub fn set<A: Api>(&mut self, name: &str, value: &str) -> bool {
        let Some(param) = A::COMMON.iter().find(|p| p.name == name) else {
            return false;
        };
        match self.values.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => value.clone_into(v),
            None => self.values.push((param.name, value.to_owned())),
        }
        true
    }

    /// Sets common parameter `name` of operation `O`: a common parameter of its API, or one of
    /// the operation's aliases for one (signed under exactly that name). `false` if `name` is
    /// neither.
    pub fn set_for<O: Operation>(&mut self, name: &str, value: &str) -> bool {
        if self.set::<O::Api>(name, value) {
            return true;
        }
        let Some(alias) = O::COMMON_RULES
            .iter()
            .flat_map(|r| r.aliases.iter())
            .find(|a| **a == name)
        else {
            return false;
        };
        match self.values.iter_mut().find(|(n, _)| n == alias) {
            Some((_, v)) => value.clone_into(v),
            None => self.values.push((alias, value.to_owned())),
        }
        true
    }

    /// Removes `name` (e.g. a common parameter an operation does not require); its value, if it
    /// was set.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let at = self.values.iter().position(|(n, _)| *n == name)?;
        Some(self.values.remove(at).1)
    }

    /// Sends the value of common parameter `from` under `to`, one of the names operation `O`
    /// accepts for it (e.g. `appid` as `mch_appid` for Ksher's `merchant_info`).
    pub fn rename<O: Operation>(&mut self, from: &str, to: &str) -> Result<(), ValidationError> {
        let accepted = O::COMMON_RULES
            .iter()
            .any(|r| r.name == from && r.aliases.contains(&to));
        if !accepted {
            return Err(ValidationError::Invalid {
                field: to.to_owned(),
                reason: format!("`{}` does not accept `{from}` under this name", O::NAME),
            });
        }
        let value = self.remove(from).ok_or_else(|| ValidationError::Missing {
            field: from.to_owned(),
        })?;
        self.set_for::<O>(to, &value);
        Ok(())
    }

    /// Writes `name` if it is set (generated `write_params` call it in signing order).
    pub fn write(&self, name: &'static str, writer: &mut ParamWriter) {
        if let Some(v) = self.get(name) {
            writer.push_str(name, v);
        }
    }

    /// Checks the values against the common parameters of `A` (required, lengths, times).
    pub fn validate<A: Api>(&self) -> Result<(), ValidationError> {
        self.validate_with::<A>("", &[])
    }

    /// Checks the values against the common parameters of operation `O`: its API's, with the
    /// operation's rules (what it does not require, the other names it accepts). A name that is
    /// neither, or one parameter under two names, is an error.
    pub fn validate_for<O: Operation>(&self) -> Result<(), ValidationError> {
        self.validate_with::<O::Api>(O::NAME, O::COMMON_RULES)
    }

    fn validate_with<A: Api>(
        &self,
        operation: &'static str,
        rules: &[CommonRule],
    ) -> Result<(), ValidationError> {
        let mut checks = crate::api::Checks::default();
        for (name, _) in &self.values {
            let known = A::COMMON.iter().any(|p| p.name == *name)
                || rules.iter().any(|r| r.aliases.contains(name));
            if !known {
                checks.add(Err(ValidationError::Unknown {
                    operation,
                    name: (*name).to_owned(),
                }));
            }
        }
        for p in A::COMMON {
            let rule = rules.iter().find(|r| r.name == p.name);
            let names =
                std::iter::once(p.name).chain(rule.map_or(&[][..], |r| r.aliases).iter().copied());
            let given: Vec<(&str, &str)> =
                names.filter_map(|n| self.get(n).map(|v| (n, v))).collect();
            if let [_, (second, _), ..] = given.as_slice() {
                checks.add(Err(ValidationError::Invalid {
                    field: (*second).to_owned(),
                    reason: format!("sent together with `{}`; send one of them", given[0].0),
                }));
                continue;
            }
            let Some(&(name, v)) = given.first() else {
                if rule.map_or(p.required, |r| r.required) {
                    checks.add(Err(ValidationError::Missing {
                        field: p.name.to_owned(),
                    }));
                }
                continue;
            };
            let p = CommonParam { name, ..*p };
            if p.source == CommonSource::ClockCompact {
                checks.add(crate::validate::compact_time(p.name, v));
            }
            if p.source == CommonSource::ClockIso8601 {
                checks.add(crate::validate::datetime(p.name, v));
            }
            if let Some(max) = p.max_len {
                checks.add(crate::validate::max_len(p.name, v, max));
            }
        }
        checks.finish()
    }
}

/// A request ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRequest<A: Api> {
    /// Operation wire name.
    pub operation: &'static str,
    /// Host to send it to.
    pub host: A::Host,
    /// Path below the host's base URL.
    pub path: &'static str,
    /// The common parameters that were sent (the response echoes the nonce).
    pub common: CommonParams,
    /// String to sign, signature and form body.
    pub form: SignedForm,
}

impl<A: Api> SignedRequest<A> {
    /// Full URL for a base URL such as the host's production URL.
    pub fn url(&self, base_url: &str) -> String {
        super::join_url(base_url, self.path)
    }

    /// The request as an `http::Request`: POST of the form body to `url(base_url)`.
    pub fn to_http(&self, base_url: &str) -> Result<http::Request<Vec<u8>>, http::Error> {
        http::Request::post(self.url(base_url))
            .header(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )
            .body(self.form.body.clone().into_bytes())
    }
}

/// Signs requests with the merchant key (sans-IO: the clock and nonce source are injectable).
pub struct Signer<A: Api> {
    config: Vec<(&'static str, String)>,
    key: PrivateKey,
    clock: Arc<dyn Clock>,
    nonce: Arc<dyn NonceSource>,
    api: std::marker::PhantomData<fn() -> A>,
}

impl<A: Api> Clone for Signer<A> {
    fn clone(&self) -> Self {
        Signer {
            config: self.config.clone(),
            key: self.key.clone(),
            clock: Arc::clone(&self.clock),
            nonce: Arc::clone(&self.nonce),
            api: std::marker::PhantomData,
        }
    }
}

impl<A: Api> std::fmt::Debug for Signer<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl<A: Api> Signer<A> {
    /// A signer for merchant `merchant_id` (the API's first required configured parameter,
    /// e.g. Ksher's `appid`) with the system clock (UTC) and random nonces.
    pub fn new(merchant_id: impl Into<String>, key: PrivateKey) -> Self {
        let config = A::COMMON
            .iter()
            .find(|p| p.source == CommonSource::Config && p.required)
            .map(|p| (p.name, merchant_id.into()))
            .into_iter()
            .collect();
        Signer {
            config,
            key,
            clock: Arc::new(crate::SystemClock::default()),
            nonce: Arc::new(crate::RandomNonce),
            api: std::marker::PhantomData,
        }
    }

    /// Sends configured common parameter `name` (e.g. Ksher's `version`) with every request.
    /// A name that is not a configured common parameter of the API is refused when signing.
    pub fn with_common_param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.config.retain(|(n, _)| *n != name);
        self.config.push((name, value.into()));
        self
    }

    /// Uses another clock (e.g. [`crate::FixedClock`] in tests, or a local offset).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Uses another nonce source.
    pub fn with_nonce_source(mut self, nonce: impl NonceSource + 'static) -> Self {
        self.nonce = Arc::new(nonce);
        self
    }

    /// Fresh common parameters: configuration, a new nonce and the current time.
    pub fn common_params(&self) -> CommonParams {
        let mut values = Vec::with_capacity(A::COMMON.len());
        for p in A::COMMON {
            let value = match p.source {
                CommonSource::Config | CommonSource::Caller => self
                    .config
                    .iter()
                    .find(|(n, _)| *n == p.name)
                    .map(|(_, v)| v.clone()),
                CommonSource::Nonce => Some(self.nonce.nonce()),
                CommonSource::ClockCompact => {
                    Some(crate::clock::compact_timestamp(self.clock.now()))
                }
                CommonSource::ClockIso8601 => {
                    Some(crate::clock::iso8601_timestamp(self.clock.now()))
                }
            };
            if let Some(v) = value {
                values.push((p.name, v));
            }
        }
        CommonParams { values }
    }

    /// Validates and signs `request` with fresh common parameters.
    pub fn sign<O: Operation<Api = A>>(&self, request: &O) -> Result<SignedRequest<A>, SignError> {
        self.sign_with_common(request, self.common_params())
    }

    /// Validates and signs `request` with the given common parameters.
    pub fn sign_with_common<O: Operation<Api = A>>(
        &self,
        request: &O,
        common: CommonParams,
    ) -> Result<SignedRequest<A>, SignError> {
        if let Some((name, _)) = self
            .config
            .iter()
            .find(|(n, _)| !A::COMMON.iter().any(|p| p.name == *n))
        {
            return Err(ValidationError::Unknown {
                operation: O::NAME,
                name: (*name).to_owned(),
            }
            .into());
        }
        let mut checks = crate::api::Checks::default();
        checks.nested(common.validate_for::<O>());
        checks.nested(request.check());
        checks.finish()?;
        let mut writer = ParamWriter::default();
        request.write_params(&common, &mut writer);
        let form = writer.sign(&self.key, A::DIGEST)?;
        Ok(SignedRequest {
            operation: O::NAME,
            host: O::HOST,
            path: O::PATH,
            common,
            form,
        })
    }

    /// Signs an operation named at run time from exactly its text parameters, as the CLI and
    /// the conformance runner do: common parameters come from `params` only (the signer's
    /// merchant id, nonce and clock are not used), so a parameter the operation requires and
    /// `params` lack is an error, and one it does not require is not added.
    pub fn sign_params(
        &self,
        operation: &str,
        params: &[(&str, &str)],
    ) -> Result<SignedRequest<A>, SignParamsError> {
        let entry = A::OPERATIONS
            .iter()
            .find(|e| e.name == operation)
            .ok_or_else(|| SignParamsError::UnknownOperation(operation.to_owned()))?;
        Ok((entry.sign_params)(self, params)?)
    }
}

/// Why [`Signer::sign_params`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SignParamsError {
    /// No operation of that name.
    #[error("unknown operation `{0}`")]
    UnknownOperation(String),
    /// A parameter is unknown, missing or invalid, a rule is broken, or RSA failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Verifies gateway responses and notifications; returns typed data only when the signature
/// holds with one of the keys.
pub struct Verifier<A: Api> {
    keys: Vec<PublicKey>,
    api: std::marker::PhantomData<fn() -> A>,
}

impl<A: Api> Clone for Verifier<A> {
    fn clone(&self) -> Self {
        Verifier {
            keys: self.keys.clone(),
            api: std::marker::PhantomData,
        }
    }
}

impl<A: Api> std::fmt::Debug for Verifier<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.keys)
            .finish()
    }
}

impl<A: Api> Verifier<A> {
    /// A verifier with the gateway's public key.
    pub fn new(key: PublicKey) -> Self {
        Verifier {
            keys: vec![key],
            api: std::marker::PhantomData,
        }
    }

    /// Also accepts signatures by `key` (key rotation).
    pub fn with_key(mut self, key: PublicKey) -> Self {
        self.keys.push(key);
        self
    }

    /// `f` with each key in turn: the first success, or the first error that is not a bad
    /// signature (only a bad signature is worth trying with the next key).
    fn each_key<T>(
        &self,
        mut f: impl FnMut(&PublicKey) -> Result<T, ResponseError>,
    ) -> Result<T, ResponseError> {
        use crate::sorted_params::DataVerifyError::BadSignature;
        for key in &self.keys {
            match f(key) {
                Err(ResponseError::Verify(BadSignature)) => {}
                done => return done,
            }
        }
        Err(ResponseError::Verify(BadSignature))
    }

    /// Verifies the raw response body of operation `O` and returns its typed `data`.
    pub fn verify_response<O: Operation<Api = A>>(
        &self,
        body: &[u8],
    ) -> Result<Verified<Response<O::Response>>, ResponseError> {
        self.each_key(|key| verify_typed(body, key, A::DIGEST, O::SIGNED_FIELDS, O::NAME))
    }

    /// Verifies an HTTP response to operation `O`: a success status, then the body.
    pub fn verify_http_response<O: Operation<Api = A>, B: AsRef<[u8]>>(
        &self,
        response: &http::Response<B>,
    ) -> Result<Verified<Response<O::Response>>, ResponseError> {
        if !response.status().is_success() {
            return Err(ResponseError::HttpStatus(response.status().as_u16()));
        }
        self.verify_response::<O>(response.body().as_ref())
    }

    /// Verifies notification `N` (the raw body Ksher POSTed) and returns its typed `data`.
    /// Answer with [`Notification::REPLY`] once it is processed.
    pub fn verify_notification<N: Notification<Api = A>>(
        &self,
        body: &[u8],
    ) -> Result<Verified<Response<N::Data>>, ResponseError> {
        self.each_key(|key| verify_typed(body, key, A::DIGEST, N::SIGNED_FIELDS, N::NAME))
    }

    /// Like [`Self::verify_notification`], for a received `http::Request`.
    pub fn verify_http_notification<N: Notification<Api = A>, B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
    ) -> Result<Verified<Response<N::Data>>, ResponseError> {
        self.verify_notification::<N>(request.body().as_ref())
    }

    /// Verifies a response or notification of an operation / notification named at run time,
    /// without typing its `data`.
    pub fn verify_raw(
        &self,
        name: &str,
        body: &[u8],
    ) -> Result<Verified<VerifiedEnvelope>, ResponseError> {
        let subset = signed_fields::<A>(name)
            .ok_or_else(|| ResponseError::UnknownOperation(name.to_owned()))?;
        self.each_key(|key| Ok(verify_data_signature(body, key, A::DIGEST, subset)?))
    }

    /// Verifies the answer of an operation, or a notification, named at run time and types its
    /// `data` (as JSON of the typed value).
    pub fn verify_named(
        &self,
        name: &str,
        body: &[u8],
    ) -> Result<Verified<Response<serde_json::Value>>, ResponseError> {
        if let Some(entry) = A::OPERATIONS.iter().find(|e| e.name == name) {
            return (entry.verify_typed)(self, body);
        }
        let entry = A::NOTIFICATIONS
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| ResponseError::UnknownOperation(name.to_owned()))?;
        (entry.verify_typed)(self, body)
    }
}

/// Signed subset of `data` for an operation or notification of `A`: `None` if the name is
/// unknown, `Some(None)` if every member is signed.
pub fn signed_fields<A: Api>(name: &str) -> Option<Option<&'static [&'static str]>> {
    A::OPERATIONS
        .iter()
        .find(|e| e.name == name)
        .map(|e| e.signed_fields)
        .or_else(|| {
            A::NOTIFICATIONS
                .iter()
                .find(|n| n.name == name)
                .map(|n| n.signed_fields)
        })
}

/// Signer, verifier and base URLs: everything a transport needs to call the gateway, without
/// doing IO. [`Gateway::exchange`] gives the sans-IO halves of one call; a transport such as
/// `transport::HttpTransport` (feature `client`) sends them and retries when that is safe for
/// payments.
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
        let verifier = Verifier::new(gateway_key);
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

    /// Sends every operation to `base_url` (a mock gateway, a proxy, another environment).
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

/// One call of operation `O`: each attempt is signed afresh (same order number, new nonce and
/// time); the answer is verified and typed.
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
    type Output = Verified<Response<O::Response>>;
    type Error = ResponseError;

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
    ) -> Result<Self::Output, AttemptError<ResponseError>> {
        match self
            .gateway
            .verifier
            .verify_http_response::<O, _>(&response)
        {
            Ok(verified) => Ok(verified),
            Err(ResponseError::HttpStatus(code)) => Err(AttemptError::Retryable {
                outcome: AttemptOutcome::Status(code),
                detail: format!("HTTP {code}"),
                response: None,
            }),
            Err(e)
                if e.envelope_code()
                    .is_some_and(|c| <O::Api as Api>::RETRYABLE_ENVELOPE_CODES.contains(&c)) =>
            {
                Err(AttemptError::Retryable {
                    outcome: AttemptOutcome::GatewaySaysRetry,
                    detail: e.to_string(),
                    response: Some(e),
                })
            }
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

/// The names generated operation modules of this scheme use (one glob import).
pub mod prelude {
    pub use super::{CommonParams, CommonRule, Operation};
    pub use crate::api::{Checks, ParamReader};
    pub use crate::sorted_params::ParamWriter;
    pub use crate::validate::{self, At};
    pub use crate::ValidationError;
}
