//! The validated intermediate representation the emitter works from.
//!
//! Everything here is resolved: type references point at existing types, field names are unique
//! and valid, request fields (common + operation) are pre-sorted in signing order.

/// One API (one spec file).
#[derive(Clone, Debug)]
pub struct Api {
    /// Short name, e.g. `ksher`; the crate is `payspec-<name>` in `generated/<name>/`.
    pub name: String,
    /// The spec path as given, for the generated-file header.
    pub spec_path: String,
    /// sha256 of the spec bytes, lower hex.
    pub spec_sha256: String,
    pub title: String,
    pub description: String,
    pub source: Option<String>,
    pub hosts: Vec<Host>,
    pub transport: Transport,
    pub signature: Signature,
    pub envelope: Vec<Field>,
    pub envelope_description: Option<String>,
    pub types: Vec<TypeDef>,
    pub common: Vec<Field>,
    pub operations: Vec<Operation>,
    pub notifications: Vec<Notification>,
}

#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub description: Option<String>,
    /// (environment name, base URL), in spec order; the first is the default.
    pub environments: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// POST, `application/x-www-form-urlencoded` request, JSON response.
    FormJson,
    /// POST, JSON request and response.
    Json {
        /// Integers, amounts and booleans are sent as JSON strings.
        scalars_as_strings: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digest {
    Md5,
    Sha256,
}

#[derive(Clone, Debug)]
pub enum Signature {
    /// Sorted `name=value` parameters, RSA PKCS#1 v1.5, lower hex; responses signed over `data`.
    SortedParams {
        digest: Digest,
        /// Name of the signature parameter (excluded from the string to sign).
        param: String,
        /// `code` value of a successful envelope.
        success_code: u64,
        /// Error-envelope `code`s the gateway documents as transient: only these make a creating
        /// operation be sent again. Any other envelope is final.
        retryable_codes: Vec<u64>,
        /// PEM of the gateway's published verification key, if shipped.
        gateway_key_pem: Option<String>,
        gateway_key_description: Option<String>,
    },
    /// `Signature` header over `METHOD path\nclient_id.time.body`, base64 + percent-encoding.
    HeaderRsa {
        digest: Digest,
        key_version: u64,
        request_time_format: RequestTimeFormat,
        /// Member path of the status that allows an unsigned response, and its allowed values.
        unsigned_status: Vec<String>,
        unsigned_allowed: Vec<String>,
        notification_tolerance_seconds: u64,
        headers: SignatureHeaders,
    },
}

/// Format of the `header-rsa` request-time header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestTimeFormat {
    /// ISO 8601 with offset (`iso8601`).
    Iso8601,
    /// Milliseconds since the Unix epoch (`epoch_ms`).
    EpochMillis,
}

/// Format of a time value (a clock-sourced common parameter, or one the caller gives).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeFormat {
    /// `yyyyMMddHHmmss`.
    Compact,
    /// ISO 8601 with offset.
    Iso8601,
}

/// HTTP header names (and the content type) of the `header-rsa` scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeaders {
    pub signature: String,
    pub client_id: String,
    pub request_time: String,
    pub response_time: String,
    pub content_type: String,
}

/// Where a common parameter's value comes from when the caller does not give one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueSource {
    /// Set by the caller on each request.
    Caller,
    /// Client configuration (e.g. the merchant id).
    Config,
    /// The nonce source.
    Nonce,
    /// The clock.
    Clock,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Amount,
    Url,
    Date,
    /// A number kept as its text (e.g. exchange rates).
    Decimal,
    /// Any JSON value, kept as is.
    Json,
    /// A named enum type.
    Enum(String),
    /// A named object type.
    Object(String),
    /// An array of a named object type.
    Array(String),
    /// An array of strings.
    StringArray,
    Boolean,
    /// ISO 4217 alphabetic code.
    Currency,
    /// Integer minor units of a money object; `currency_field` names the sibling currency field.
    MinorUnits {
        currency_field: Option<String>,
    },
    /// ISO 8601 date-time with offset.
    DateTime,
}

#[derive(Clone, Debug)]
pub struct Field {
    /// Name on the wire.
    pub wire: String,
    /// Rust field name (snake case, escaped).
    pub rust: String,
    pub ty: FieldType,
    pub required: bool,
    pub max_length: Option<u64>,
    pub min: Option<u64>,
    pub max: Option<u64>,
    pub description: Option<String>,
    pub doubt: Option<String>,
    pub source: ValueSource,
    /// Time format of a clock-sourced value.
    pub format: Option<TimeFormat>,
}

#[derive(Clone, Debug)]
pub enum TypeDef {
    Enum {
        name: String,
        description: Option<String>,
        open: bool,
        /// (wire value, Rust variant, description)
        values: Vec<(String, String, Option<String>)>,
        /// Outcome of each labelled value (`success`, `failure`, `unknown`), if the enum has one.
        outcome: Option<Vec<(String, OutcomeLabel)>>,
    },
    Object {
        name: String,
        description: Option<String>,
        fields: Vec<Field>,
        rules: Vec<Rule>,
    },
}

impl TypeDef {
    pub fn name(&self) -> &str {
        match self {
            TypeDef::Enum { name, .. } | TypeDef::Object { name, .. } => name,
        }
    }
}

/// What a value of a status enum means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeLabel {
    Success,
    Failure,
    Unknown,
}

impl OutcomeLabel {
    /// The spec's word for it (`success`, `failure`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeLabel::Success => "success",
            OutcomeLabel::Failure => "failure",
            OutcomeLabel::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Debug)]
pub enum Rule {
    AtLeastOneOf {
        fields: Vec<String>,
        doubt: Option<String>,
    },
    /// Integer `field` must not be greater than integer field `than` when both are set.
    NotGreater {
        field: String,
        than: String,
        doubt: Option<String>,
    },
    /// `field` is required when enum field `when` has one of `values`.
    RequiredWhen {
        field: String,
        when: String,
        values: Vec<String>,
        doubt: Option<String>,
    },
}

#[derive(Clone, Debug)]
pub struct Operation {
    /// Wire name, e.g. `order_refund`.
    pub wire: String,
    /// UpperCamel name, e.g. `OrderRefund`.
    pub camel: String,
    /// snake_case module name, e.g. `order_refund`.
    pub module: String,
    pub host: String,
    pub path: String,
    pub description: Option<String>,
    pub source: Option<String>,
    pub doubt: Option<String>,
    /// Creates something at the gateway (payment, refund, payout): never blindly retried.
    pub creates: bool,
    /// Operation fields, sorted by wire name (form transport).
    pub request: Vec<Field>,
    /// Object type of the request body (JSON transport).
    pub request_type: Option<String>,
    pub rules: Vec<Rule>,
    /// Name of the object type of the response `data`.
    pub response_type: String,
    /// Signed subset of `data` members, if not all are signed.
    pub signed_fields: Option<Vec<String>>,
    /// Dotted wire path of the answer's status (an enum with outcome labels), when the spec
    /// names it; otherwise the generator takes the first such member it finds.
    pub status: Option<String>,
    /// Where the operation departs from the spec's common parameters (form transport only).
    pub common_rules: Vec<CommonRule>,
}

/// How one operation uses common parameter `name`.
#[derive(Clone, Debug)]
pub struct CommonRule {
    pub name: String,
    /// Whether the operation requires it (the common parameter's own flag unless overridden).
    pub required: bool,
    /// Other names the operation accepts for it; exactly the name given is signed.
    pub aliases: Vec<String>,
    pub doubt: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Notification {
    pub wire: String,
    pub camel: String,
    pub description: Option<String>,
    pub source: Option<String>,
    pub data_type: String,
    pub reply: String,
}
