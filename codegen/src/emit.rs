//! IR → Rust source files of one generated crate.
//!
//! A generated crate holds API knowledge only: its types, one `impl` per operation (constants,
//! parameter writer or body, response type) and static tables. The machinery that reads the
//! same for every spec of a scheme (signer, verifier, gateway, calls, enum plumbing) lives in
//! `payspec-runtime` and is named here, never emitted.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ir::*;
use crate::GeneratedFile;

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// Doc-comment lines for an optional description plus optional doubt and source notes.
fn doc_lines(description: Option<&str>, doubt: Option<&str>, source: Option<&str>) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    if let Some(d) = description {
        lines.extend(d.lines().map(|l| format!(" {l}")));
    }
    if let Some(d) = doubt {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(format!(" **Doubt:** {d}"));
    }
    if let Some(s) = source {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(format!(" Source: {s}"));
    }
    lines
}

/// `#[doc = "..."]` attributes for an optional description plus optional doubt and source notes.
fn docs(description: Option<&str>, doubt: Option<&str>, source: Option<&str>) -> TokenStream {
    let lines = doc_lines(description, doubt, source);
    quote! { #( #[doc = #lines] )* }
}

fn field_docs(f: &Field) -> TokenStream {
    docs(f.description.as_deref(), f.doubt.as_deref(), None)
}

/// Formats tokens as a Rust file and prepends the generated-file header.
fn render(api: &Api, tokens: TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("internal error: emitted tokens do not parse: {e}"))?;
    let body = prettyplease::unparse(&file);
    Ok(format!("{}{}", header(api, "//"), expand_verbatim(&body)?))
}

/// The marker of a [`verbatim`] body (refused in spec text by the parser).
pub(crate) const VERBATIM: &str = "payspec_verbatim!(";

/// Replaces every [`verbatim`] marker (prettyplease may spread it over lines) by its text.
fn expand_verbatim(body: &str) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find(VERBATIM) {
        // Only a marker that starts a line is one (docs and strings never do).
        let line_start = rest[..start].rfind('\n').map_or(0, |i| i + 1);
        if !rest[line_start..start].trim().is_empty() {
            return Err("internal error: a verbatim marker inside other code".to_owned());
        }
        out.push_str(&rest[..start]);
        let after = &rest[start + VERBATIM.len()..];
        let open = after
            .find('"')
            .ok_or("internal error: verbatim marker without text")?;
        // The literal ends at the first unescaped quote.
        let bytes = after.as_bytes();
        let mut i = open + 1;
        while i < bytes.len() && bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        let literal = after
            .get(open..=i)
            .ok_or("internal error: unterminated verbatim text")?;
        let text = syn::parse_str::<syn::LitStr>(literal)
            .map_err(|e| format!("internal error: verbatim text: {e}"))?
            .value();
        out.push_str(&text);
        let tail = &after[i + 1..];
        let close = tail
            .find(");")
            .ok_or("internal error: unterminated verbatim marker")?;
        rest = tail[close + 2..]
            .strip_prefix('\n')
            .unwrap_or(&tail[close + 2..]);
    }
    out.push_str(rest);
    Ok(out)
}

/// Marker of a runtime macro invocation laid out by the emitter itself (prettyplease cannot lay
/// out macro bodies): `payspec_verbatim!("<text>");`, replaced by `<text>` when rendering.
fn verbatim(text: String) -> TokenStream {
    quote!(payspec_verbatim!(#text);)
}

/// A type's tokens as compact source text (`Vec<crate::types::Goods>`).
fn type_text(tokens: &TokenStream) -> String {
    tokens
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" >", ">")
}

/// `///` lines at `indent` for doc lines as [`doc_lines`] gives them (each starts with a space).
fn doc_comment(lines: &[String], indent: &str) -> String {
    lines
        .iter()
        .map(|l| format!("{indent}///{}\n", l.trim_end()))
        .collect()
}

/// A standalone manifest: no workspace inheritance, so the crate builds wherever it is put. The
/// runtime's backends are forwarded: `default-features = false, features = ["rustcrypto"]`
/// builds without OpenSSL.
fn cargo_toml(api: &Api, options: &crate::Options) -> String {
    let version = crate::RUNTIME_VERSION;
    let runtime = match &options.runtime {
        crate::RuntimeDependency::Path(path) => format!(
            "{{ path = \"{}\", version = \"{version}\", default-features = false }}",
            toml_text(path)
        ),
        crate::RuntimeDependency::Version(req) => format!(
            "{{ version = \"{}\", default-features = false }}",
            toml_text(req)
        ),
    };
    format!(
        "{header}\n[package]\nname = \"{package}\"\ndescription = \"{title}: typed, signing and verifying client generated by payspec from {spec}.\"\nversion = \"{version}\"\nedition = \"2021\"\nrust-version = \"1.87\"\nlicense = \"MIT OR Apache-2.0\"\npublish = false\n\n[features]\ndefault = [\"openssl\"]\n# RSA through the system OpenSSL (the default backend).\nopenssl = [\"payspec-runtime/openssl\"]\n# Pure-Rust RSA (RustCrypto). With `default-features = false` the crate builds without OpenSSL.\nrustcrypto = [\"payspec-runtime/rustcrypto\"]\n# The runtime's async HTTP transport (reqwest with rustls).\nclient = [\"payspec-runtime/client\"]\n\n[dependencies]\npayspec-runtime = {runtime}\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = {{ version = \"1\", features = [\"raw_value\"] }}\nthiserror = \"2\"\n",
        header = header(api, "#"),
        package = package_name(api, options),
        title = toml_text(&api.title),
        spec = api.spec_path,
    )
}

/// The package name: the one given, else `payspec-<api>`.
fn package_name(api: &Api, options: &crate::Options) -> String {
    options
        .crate_name
        .clone()
        .unwrap_or_else(|| format!("payspec-{}", api.name))
}

/// The crate's README: what it is, where it comes from, how to use and regenerate it.
fn readme(api: &Api, options: &crate::Options) -> String {
    let package = package_name(api, options);
    let lib = package.replace('-', "_");
    format!(
        "<!-- {marker}{spec} (spec sha256 {sha}). DO NOT EDIT. -->\n<!-- @generated -->\n\n\
         # {package}\n\n{title}: a typed client that signs requests and verifies answers, \
         generated by payspec from `{spec}`.\n\n{description}\n\n\
         - `{lib}::operations::<operation>`: each operation's `<Operation>Request` (required \
         members are `new` arguments, optional ones are set by name) and its typed \
         `<Operation>Response`.\n\
         - `Signer`, `Verifier`, `Gateway` at the crate root; `Client` with the `client` \
         feature. Verified data comes as `Verified<...>` only.\n\
         - Features: `openssl` (default) or `rustcrypto` for the RSA backend; `client` for the \
         async HTTP client.\n\n\
         Regenerate after editing the spec (never edit these files): \
         `payspec generate --spec {spec} --out <this folder>`; add `--check` in CI to fail on \
         drift.\n",
        marker = crate::GENERATED_MARKER,
        spec = api.spec_path,
        sha = api.spec_sha256,
        title = api.title,
        description = api.description,
    )
}

/// Text safe inside a TOML basic string on one line.
fn toml_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => "'".to_owned(),
            '\\' => "/".to_owned(),
            c if c.is_control() => " ".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn heck_camel(s: &str) -> String {
    use heck::ToUpperCamelCase;
    s.to_upper_camel_case()
}

/// Doc lines listing the rules.
fn rules_doc(rules: &[Rule]) -> TokenStream {
    let lines: Vec<String> = rules
        .iter()
        .map(|r| {
            let (text, doubt) = match r {
                Rule::AtLeastOneOf { fields, doubt } => (
                    format!(
                        "at least one of {}",
                        fields
                            .iter()
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    doubt,
                ),
                Rule::NotGreater { field, than, doubt } => {
                    (format!("`{field}` is not greater than `{than}`"), doubt)
                }
                Rule::RequiredWhen {
                    field,
                    when,
                    values,
                    doubt,
                } => (
                    format!(
                        "`{field}` is required when `{when}` is {}",
                        values.join(" or ")
                    ),
                    doubt,
                ),
            };
            match doubt {
                Some(d) => format!(" * {text} (**doubt:** {d})"),
                None => format!(" * {text}"),
            }
        })
        .collect();
    if lines.is_empty() {
        quote!()
    } else {
        quote! {
            ///
            /// Rules checked before signing:
            #( #[doc = #lines] )*
        }
    }
}

fn opt_u64(v: Option<u64>) -> TokenStream {
    match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

/// Object types reachable from a request body (they get a strict variant).
fn request_types(api: &Api) -> BTreeSet<&str> {
    reachable(
        api,
        api.operations
            .iter()
            .filter_map(|o| o.request_type.as_deref()),
    )
}

/// Object types reachable from `roots` through object and array members.
fn reachable<'a>(api: &'a Api, roots: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = roots.into_iter().collect();
    while let Some(name) = stack.pop() {
        if !seen.insert(name) {
            continue;
        }
        if let Some(TypeDef::Object { fields, .. }) = api.types.iter().find(|t| t.name() == name) {
            for f in fields {
                if let FieldType::Object(n) | FieldType::Array(n) = &f.ty {
                    stack.push(n);
                }
            }
        }
    }
    seen
}

/// The path (Rust field names, wire names) to the first member, at most two levels down, whose
/// type is an enum with outcome labels: the status of an answer.
fn status_path(api: &Api, fields: &[Field], depth: usize) -> Option<Vec<(String, String)>> {
    let type_of = |name: &str| api.types.iter().find(|t| t.name() == name);
    // A status member of this object first, then one inside its object members.
    for f in fields {
        if let FieldType::Enum(e) = &f.ty {
            if let Some(TypeDef::Enum {
                outcome: Some(_), ..
            }) = type_of(e)
            {
                return Some(vec![(f.rust.clone(), f.wire.clone())]);
            }
        }
    }
    for f in fields {
        match &f.ty {
            FieldType::Object(o) if depth < 2 => {
                if let Some(TypeDef::Object { fields: inner, .. }) = type_of(o) {
                    if let Some(mut rest) = status_path(api, inner, depth + 1) {
                        rest.insert(0, (f.rust.clone(), f.wire.clone()));
                        return Some(rest);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// The (Rust, wire) names along a dotted wire path the spec gave (checked by the parser).
fn named_path(api: &Api, fields: &[Field], dotted: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut current = fields;
    for step in dotted.split('.') {
        let f = current.iter().find(|f| f.wire == step)?;
        out.push((f.rust.clone(), f.wire.clone()));
        if let FieldType::Object(o) = &f.ty {
            if let Some(TypeDef::Object { fields, .. }) = api.types.iter().find(|t| t.name() == o) {
                current = fields;
            }
        }
    }
    Some(out)
}

/// The two header lines of every generated file.
pub fn header(api: &Api, comment: &str) -> String {
    format!(
        "{comment} Code generated by `cargo xtask codegen` from {} (spec sha256 {}). DO NOT EDIT.\n{comment} @generated\n",
        api.spec_path, api.spec_sha256
    )
}

/// Emits every file of the API's crate, paths relative to the repository root.
pub fn emit(api: &Api, options: &crate::Options) -> Result<Vec<GeneratedFile>, String> {
    let dir = format!("generated/{}", api.name);
    let api_file = match api.signature {
        Signature::SortedParams { .. } => form_api_rs(api),
        Signature::HeaderRsa { .. } => json_api_rs(api),
    };
    let mut files = vec![
        GeneratedFile {
            path: format!("{dir}/Cargo.toml"),
            contents: cargo_toml(api, options),
        },
        GeneratedFile {
            path: format!("{dir}/README.md"),
            contents: readme(api, options),
        },
        GeneratedFile {
            path: format!("{dir}/src/lib.rs"),
            contents: render(api, lib_rs(api))?,
        },
        GeneratedFile {
            path: format!("{dir}/src/api.rs"),
            contents: render(api, api_file)?,
        },
        GeneratedFile {
            path: format!("{dir}/src/types.rs"),
            contents: render(api, types_rs(api))?,
        },
        GeneratedFile {
            path: format!("{dir}/src/operations/mod.rs"),
            contents: render(api, operations_mod(api))?,
        },
    ];
    for op in &api.operations {
        files.push(GeneratedFile {
            path: format!("{dir}/src/operations/{}.rs", op.module),
            contents: render(
                api,
                match api.transport {
                    Transport::FormJson => form_operation_rs(api, op),
                    Transport::Json { .. } => json_operation_rs(op),
                },
            )?,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The crate root: the same names in every generated crate, most of them the runtime's
/// generic types instantiated with this crate's [`Api`] tables.
fn lib_rs(api: &Api) -> TokenStream {
    let mut lines = vec![format!(" {}", api.title), String::new()];
    lines.extend(api.description.lines().map(|l| format!(" {l}")));
    lines.push(String::new());
    lines.push(format!(
        " Generated by payspec from `{}`: one typed, validated request per operation \
         ([`operations`]), typed answers ([`types`]), signing ([`Signer`]) and verification \
         ([`Verifier`]) that returns [`Verified`] data only.",
        api.spec_path
    ));
    if let Some(s) = &api.source {
        lines.push(String::new());
        lines.push(format!(" Sources: {s}"));
    }
    quote! {
        #( #![doc = #lines] )*
        #![forbid(unsafe_code)]

        #[rustfmt::skip]
        mod api;
        #[rustfmt::skip]
        pub mod operations;
        #[rustfmt::skip]
        pub mod types;

        pub use api::*;
    }
}

/// The names every generated crate has at its root: the runtime's generic types instantiated
/// with this crate's [`Api`] tables (emitted into `api.rs`, re-exported by `lib.rs`).
fn root_items(api: &Api) -> TokenStream {
    match api.signature {
        Signature::SortedParams { .. } => quote!(payspec_runtime::__crate_root!(sorted_params);),
        Signature::HeaderRsa { .. } => quote!(payspec_runtime::__crate_root!(header_rsa);),
    }
}

fn digest_tokens(d: Digest) -> TokenStream {
    match d {
        Digest::Md5 => quote!(payspec_runtime::DigestAlgorithm::Md5),
        Digest::Sha256 => quote!(payspec_runtime::DigestAlgorithm::Sha256),
    }
}

fn host_items(api: &Api) -> TokenStream {
    let variants: Vec<Ident> = api
        .hosts
        .iter()
        .map(|h| ident(&heck_camel(&h.name)))
        .collect();
    let host_docs: Vec<TokenStream> = api
        .hosts
        .iter()
        .map(|h| docs(h.description.as_deref(), None, None))
        .collect();
    let names: Vec<&str> = api.hosts.iter().map(|h| h.name.as_str()).collect();
    let envs: Vec<TokenStream> = api
        .hosts
        .iter()
        .map(|h| {
            let pairs = h.environments.iter().map(|(e, u)| quote!((#e, #u)));
            quote!(&[#(#pairs),*])
        })
        .collect();
    quote! {
        /// A gateway host; each has one base URL per environment ([`GatewayHost`](crate::GatewayHost)).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Host {
            #( #host_docs #variants, )*
        }

        impl payspec_runtime::api::GatewayHost for Host {
            fn name(self) -> &'static str {
                match self { #( Host::#variants => #names, )* }
            }

            fn environments(self) -> &'static [(&'static str, &'static str)] {
                match self { #( Host::#variants => #envs, )* }
            }
        }
    }
}

fn operation_entries(api: &Api) -> Vec<TokenStream> {
    api.operations
        .iter()
        .map(|o| {
            let m = ident(&o.module);
            let r = match api.transport {
                Transport::FormJson => format_ident!("{}Request", o.camel),
                Transport::Json { .. } => ident(o.request_type.as_deref().unwrap_or("Missing")),
            };
            match api.transport {
                Transport::FormJson => quote!(OperationEntry::of::<crate::operations::#m::#r>()),
                Transport::Json { .. } => quote!(OperationEntry::of::<crate::types::#r>()),
            }
        })
        .collect()
}

/// Marker types of the notifications, and the `verify_<notification>` methods on `Verifier`.
fn notification_items(
    api: &Api,
    scheme: &TokenStream,
    methods: impl Fn(&Notification, &Ident, &TokenStream) -> (TokenStream, TokenStream),
) -> TokenStream {
    if api.notifications.is_empty() {
        return quote!();
    }
    let mut items = Vec::new();
    let mut sigs = Vec::new();
    let mut impls = Vec::new();
    for n in &api.notifications {
        let marker = ident(&n.camel);
        let wire = &n.wire;
        let data = type_path(&lenient_name(api, &n.data_type));
        let data = quote!(crate::types::#data);
        let reply = &n.reply;
        let reply_const = format_ident!("{}_REPLY", n.wire.to_snake_case_string().to_uppercase());
        let d = docs(n.description.as_deref(), None, n.source.as_deref());
        let reply_doc = format!(
            " The body to answer a `{wire}` notification with once it is verified and processed."
        );
        items.push(quote! {
            #d
            #[derive(Clone, Copy, Debug)]
            pub struct #marker;

            #[doc = #reply_doc]
            pub const #reply_const: &str = #reply;

            impl #scheme::Notification for #marker {
                type Api = Api;
                const NAME: &'static str = #wire;
                const REPLY: &'static str = #reply_const;
                type Data = #data;
            }
        });
        let (sig, body) = methods(n, &marker, &data);
        sigs.push(sig);
        impls.push(body);
    }
    quote! {
        #(#items)*

        /// `verify_<notification>` and `verify_http_<notification>` on [`crate::Verifier`]
        /// (import this trait, or call `verify_notification::<Marker>` directly).
        pub trait VerifyNotifications {
            #(#sigs)*
        }

        impl VerifyNotifications for crate::Verifier {
            #(#impls)*
        }
    }
}

fn form_api_rs(api: &Api) -> TokenStream {
    let Signature::SortedParams {
        digest,
        param,
        success_code: _,
        retryable_codes,
        gateway_key_pem,
        gateway_key_description,
    } = &api.signature
    else {
        return quote!();
    };
    let digest = digest_tokens(*digest);
    let common = api.common.iter().map(|f| {
        let name = &f.wire;
        let source = match (f.source, f.format) {
            (ValueSource::Nonce, _) => quote!(Nonce),
            (ValueSource::Clock, Some(TimeFormat::Iso8601)) => quote!(ClockIso8601),
            (ValueSource::Clock, _) => quote!(ClockCompact),
            (ValueSource::Config, _) => quote!(Config),
            (ValueSource::Caller, _) => quote!(Caller),
        };
        let required = f.required;
        let max = match f.max_length {
            Some(m) => {
                let m = m as usize;
                quote!(Some(#m))
            }
            None => quote!(None),
        };
        quote!(CommonParam { name: #name, source: CommonSource::#source, required: #required, max_len: #max })
    });
    let retryable: Vec<String> = retryable_codes.iter().map(|c| c.to_string()).collect();
    let entries = operation_entries(api);
    let notes = api.notifications.iter().map(|n| {
        let marker = ident(&n.camel);
        quote!(NotificationEntry::of::<#marker>())
    });
    let hosts = host_items(api);
    let sign_param = param.as_str();
    let envelope_doc = docs(api.envelope_description.as_deref(), None, None);
    let envelope_names: Vec<&str> = api.envelope.iter().map(|f| f.wire.as_str()).collect();
    let key = match gateway_key_pem {
        Some(pem) => {
            let d = docs(gateway_key_description.as_deref(), None, None);
            quote! {
                #d
                pub const GATEWAY_PUBLIC_KEY_PEM: &str = #pem;

                /// The gateway's published key ([`GATEWAY_PUBLIC_KEY_PEM`]), for `Verifier::new`.
                pub fn published_key() -> Result<crate::PublicKey, payspec_runtime::KeyError> {
                    crate::PublicKey::from_pem(GATEWAY_PUBLIC_KEY_PEM)
                }
            }
        }
        None => quote!(),
    };
    let scheme = quote!(payspec_runtime::scheme::sorted_params);
    let root = root_items(api);
    let notifications = notification_items(api, &scheme, |n, marker, data| {
        let verify = format_ident!("verify_{}", n.wire.to_snake_case_string());
        let verify_http = format_ident!("verify_http_{}", n.wire.to_snake_case_string());
        let doc = format!(
            " Verifies a `{}` notification body and returns its typed `data`.",
            n.wire
        );
        let doc_http = format!(
            " Verifies a received `{}` notification (`http::Request`).",
            n.wire
        );
        let ret = quote!(Result<crate::Verified<crate::Response<#data>>, crate::ResponseError>);
        (
            quote! {
                #[doc = #doc]
                fn #verify(&self, body: &[u8]) -> #ret;
                #[doc = #doc_http]
                fn #verify_http<B: AsRef<[u8]>>(&self, request: &payspec_runtime::http::Request<B>) -> #ret;
            },
            quote! {
                fn #verify(&self, body: &[u8]) -> #ret {
                    self.verify_notification::<#marker>(body)
                }
                fn #verify_http<B: AsRef<[u8]>>(&self, request: &payspec_runtime::http::Request<B>) -> #ret {
                    self.verify_http_notification::<#marker, B>(request)
                }
            },
        )
    });
    let signed_fixes = api
        .operations
        .iter()
        .filter(|o| o.signed_fields.is_some())
        .count();
    let _ = signed_fixes;
    quote! {
        //! The API's tables (hosts, common parameters, operations, notifications) for the
        //! runtime's generic signer, verifier and gateway.
        use payspec_runtime::scheme::sorted_params::{CommonParam, CommonSource, NotificationEntry, OperationEntry};

        #root

        /// This API, as the runtime's `sorted-params` scheme sees it: static tables only.
        #[derive(Clone, Copy, Debug)]
        pub struct Api;

        impl #scheme::Api for Api {
            type Host = Host;
            const DIGEST: payspec_runtime::DigestAlgorithm = #digest;
            const SIGN_PARAM: &'static str = #sign_param;
            const COMMON: &'static [CommonParam] = &[#(#common),*];
            const RETRYABLE_ENVELOPE_CODES: &'static [&'static str] = &[#(#retryable),*];
            const OPERATIONS: &'static [OperationEntry<Self>] = &[#(#entries),*];
            const NOTIFICATIONS: &'static [NotificationEntry<Self>] = &[#(#notes),*];
        }

        /// Digest of the request and response signatures.
        pub const DIGEST: payspec_runtime::DigestAlgorithm = #digest;

        #envelope_doc
        pub const ENVELOPE_FIELDS: &[&str] = &[#(#envelope_names),*];

        #hosts
        #key
        #notifications
    }
}

fn json_api_rs(api: &Api) -> TokenStream {
    let Signature::HeaderRsa {
        digest: _,
        key_version,
        request_time_format,
        unsigned_status,
        unsigned_allowed,
        notification_tolerance_seconds,
        headers,
    } = &api.signature
    else {
        return quote!();
    };
    let key_version = *key_version as u32;
    let h_signature = &headers.signature;
    let h_client_id = &headers.client_id;
    let h_request_time = &headers.request_time;
    let h_response_time = &headers.response_time;
    let h_content_type = &headers.content_type;
    let tolerance = *notification_tolerance_seconds as i64;
    let time_format = match request_time_format {
        RequestTimeFormat::EpochMillis => quote!(EpochMillis),
        RequestTimeFormat::Iso8601 => quote!(Iso8601),
    };
    let unsigned = if unsigned_status.is_empty() {
        quote!(None)
    } else {
        quote!(Some(payspec_runtime::header_signature::UnsignedAllowance {
            status_path: &[#(#unsigned_status),*],
            allowed: &[#(#unsigned_allowed),*],
        }))
    };
    let entries = operation_entries(api);
    let notes = api.notifications.iter().map(|n| {
        let wire = &n.wire;
        let reply = &n.reply;
        quote!(NotificationEntry { name: #wire, reply: #reply })
    });
    let hosts = host_items(api);
    let scheme = quote!(payspec_runtime::scheme::header_rsa);
    let root = root_items(api);
    let notifications = notification_items(api, &scheme, |n, marker, data| {
        let verify = format_ident!("verify_{}", n.wire.to_snake_case_string());
        let verify_http = format_ident!("verify_http_{}", n.wire.to_snake_case_string());
        let doc = format!(
            " Verifies a `{}` notification received at `path` (your endpoint, no host or query) \
             with its request-time and signature headers over the exact body; the request time \
             must be within the tolerance of `now`.",
            n.wire
        );
        let doc_http = format!(
            " Verifies a received `{}` notification (`http::Request`) at the verifier's clock.",
            n.wire
        );
        let ret =
            quote!(Result<crate::Verified<crate::JsonMessage<#data>>, crate::JsonMessageError>);
        (
            quote! {
                #[doc = #doc]
                fn #verify(
                    &self, path: &str, request_time: Option<&str>, signature: Option<&str>,
                    body: &[u8], now: payspec_runtime::time::OffsetDateTime,
                ) -> #ret;
                #[doc = #doc_http]
                fn #verify_http<B: AsRef<[u8]>>(&self, request: &payspec_runtime::http::Request<B>) -> #ret;
            },
            quote! {
                fn #verify(
                    &self, path: &str, request_time: Option<&str>, signature: Option<&str>,
                    body: &[u8], now: payspec_runtime::time::OffsetDateTime,
                ) -> #ret {
                    self.verify_notification::<#marker>(path, request_time, signature, body, now)
                }
                fn #verify_http<B: AsRef<[u8]>>(&self, request: &payspec_runtime::http::Request<B>) -> #ret {
                    self.verify_http_notification::<#marker, B>(request)
                }
            },
        )
    });
    quote! {
        //! The API's tables (hosts, headers, operations, notifications) for the runtime's
        //! generic signer, verifier and gateway.
        use payspec_runtime::scheme::header_rsa::{Headers, NotificationEntry, OperationEntry, RequestTimeFormat};

        #root

        /// This API, as the runtime's `header-rsa` scheme sees it: static tables only.
        #[derive(Clone, Copy, Debug)]
        pub struct Api;

        impl #scheme::Api for Api {
            type Host = Host;
            const KEY_VERSION: u32 = #key_version;
            const REQUEST_TIME: RequestTimeFormat = RequestTimeFormat::#time_format;
            const HEADERS: Headers = Headers {
                signature: HEADER_SIGNATURE,
                client_id: HEADER_CLIENT_ID,
                request_time: HEADER_REQUEST_TIME,
                response_time: HEADER_RESPONSE_TIME,
                content_type: CONTENT_TYPE,
            };
            const UNSIGNED_ALLOWANCE: Option<payspec_runtime::header_signature::UnsignedAllowance<'static>> = #unsigned;
            const NOTIFICATION_TOLERANCE_SECONDS: i64 = #tolerance;
            const OPERATIONS: &'static [OperationEntry<Self>] = &[#(#entries),*];
            const NOTIFICATIONS: &'static [NotificationEntry] = &[#(#notes),*];
        }

        /// Name of the signature header (requests, responses, notifications).
        pub const HEADER_SIGNATURE: &str = #h_signature;
        /// Name of the client-id header.
        pub const HEADER_CLIENT_ID: &str = #h_client_id;
        /// Name of the request-time header (requests and notifications).
        pub const HEADER_REQUEST_TIME: &str = #h_request_time;
        /// Name of the response-time header (responses).
        pub const HEADER_RESPONSE_TIME: &str = #h_response_time;
        /// Content type of request bodies.
        pub const CONTENT_TYPE: &str = #h_content_type;

        #hosts
        #notifications
    }
}

fn operations_mod(api: &Api) -> TokenStream {
    let mods = api.operations.iter().map(|o| {
        let m = ident(&o.module);
        let d = format!(" `{}`", o.wire);
        quote!(#[doc = #d] pub mod #m;)
    });
    quote! {
        //! One module per operation: `<Op>Request` and its typed answer `<Op>Response`.
        #(#mods)*
    }
}

/// Rust type of a value of field type `ty` (without `Option`); object types resolve to the
/// strict (request) or lenient (answer) variant.
fn value_type(api: &Api, ty: &FieldType, strict: bool) -> TokenStream {
    let object = |name: &str| {
        let n = if strict {
            type_path(name)
        } else {
            type_path(&lenient_name(api, name))
        };
        quote!(crate::types::#n)
    };
    match ty {
        FieldType::String
        | FieldType::Url
        | FieldType::Date
        | FieldType::Decimal
        | FieldType::Currency
        | FieldType::DateTime => quote!(String),
        // Wire integers may be signed; money is a positive count of minor units.
        FieldType::Integer => quote!(i64),
        FieldType::Amount | FieldType::MinorUnits { .. } => quote!(u64),
        FieldType::Boolean => quote!(bool),
        FieldType::Json => quote!(payspec_runtime::__private::serde_json::Value),
        FieldType::Enum(e) => {
            let e = ident(e);
            quote!(crate::types::#e)
        }
        FieldType::Object(o) => object(o),
        FieldType::Array(o) => {
            let t = object(o);
            quote!(Vec<#t>)
        }
        FieldType::StringArray => quote!(Vec<String>),
    }
}

fn is_text(ty: &FieldType) -> bool {
    matches!(
        ty,
        FieldType::String
            | FieldType::Url
            | FieldType::Date
            | FieldType::Decimal
            | FieldType::Currency
            | FieldType::DateTime
    )
}

/// `new(required…)` for a strict (request) type.
fn constructor(api: &Api, fields: &[Field], what: &str) -> TokenStream {
    let mut params = Vec::new();
    let mut inits = Vec::new();
    for f in fields {
        let n = ident(&f.rust);
        let t = value_type(api, &f.ty, true);
        if !f.required {
            inits.push(quote!(#n: None));
        } else if is_text(&f.ty) {
            params.push(quote!(#n: impl Into<String>));
            inits.push(quote!(#n: #n.into()));
        } else {
            params.push(quote!(#n: #t));
            inits.push(quote!(#n));
        }
    }
    let doc = format!(" A {what} with its required members; optional ones are set by name.");
    quote! {
        #[doc = #doc]
        #[allow(clippy::too_many_arguments)]
        pub fn new(#(#params),*) -> Self {
            Self { #(#inits),* }
        }
    }
}

/// One named setter per optional member of a strict type (the runtime's `setters!`).
fn setters(api: &Api, ty: &str, fields: &[Field]) -> TokenStream {
    let list: Vec<String> = fields
        .iter()
        .filter(|f| !f.required)
        .map(|f| {
            let t = type_text(&value_type(api, &f.ty, true));
            let how = if is_text(&f.ty) { "into" } else { "set" };
            format!("    {}: {how} {t},\n", f.rust)
        })
        .collect();
    if list.is_empty() {
        return quote!();
    }
    verbatim(format!(
        "payspec_runtime::setters!({ty} {{\n{}}});\n",
        list.concat()
    ))
}

/// The one validation emitter: statements adding every check of `fields` and `rules` of
/// `self` to `c` (a `Checks`), paths under `at`. Required members are plain values, optional
/// ones `Option`s. Empty when there is nothing to check.
fn check_statements(fields: &[Field], rules: &[Rule]) -> Vec<TokenStream> {
    let mut out: Vec<TokenStream> = fields
        .iter()
        .filter_map(|f| field_check(f, fields))
        .collect();
    out.extend(rule_checks(rules, fields));
    out
}

fn field_check(f: &Field, siblings: &[Field]) -> Option<TokenStream> {
    let n = ident(&f.rust);
    let w = &f.wire;
    let at = quote!(At(at, #w));
    // A required member is checked in place; an optional one through `v` when present.
    let (r, d, m) = if f.required {
        (quote!(&self.#n), quote!(self.#n), quote!(self.#n))
    } else {
        (quote!(v), quote!(*v), quote!(v))
    };
    let mut stmts = Vec::new();
    match &f.ty {
        FieldType::Amount => stmts.push(quote!(c.add(validate::positive_amount(#at, #d));)),
        FieldType::MinorUnits { currency_field } => {
            let currency = match currency_field
                .as_deref()
                .and_then(|c| siblings.iter().find(|s| s.wire == c))
            {
                Some(cf) if cf.required => {
                    let cf = ident(&cf.rust);
                    quote!(Some(self.#cf.as_str()))
                }
                Some(cf) => {
                    let cf = ident(&cf.rust);
                    quote!(self.#cf.as_deref())
                }
                None => quote!(None),
            };
            stmts
                .push(quote!(c.add(payspec_runtime::money::check_minor_units(#at, #currency, #d));))
        }
        FieldType::Integer if f.min.is_some() || f.max.is_some() => {
            let min = opt_u64(f.min);
            let max = opt_u64(f.max);
            stmts.push(quote!(c.add(validate::int_range_signed(#at, #d, #min, #max));))
        }
        FieldType::Url => stmts.push(quote!(c.add(validate::url(#at, #r));)),
        FieldType::Date => stmts.push(quote!(c.add(validate::date(#at, #r));)),
        FieldType::DateTime => stmts.push(quote!(c.add(validate::datetime(#at, #r));)),
        FieldType::Currency => stmts.push(quote!(c.add(validate::currency(#at, #r));)),
        FieldType::Object(_) => stmts.push(quote!(#m.check_at(&validate::path(at, #w), c);)),
        FieldType::Array(_) => stmts.push(quote! {
            for (i, item) in #m.iter().enumerate() {
                item.check_at(&format!("{}[{i}]", validate::path(at, #w)), c);
            }
        }),
        _ => {}
    }
    // A time value given by the caller must still be a time.
    match f.format {
        Some(TimeFormat::Compact) => stmts.push(quote!(c.add(validate::compact_time(#at, #r));)),
        Some(TimeFormat::Iso8601) if f.ty != FieldType::DateTime => {
            stmts.push(quote!(c.add(validate::datetime(#at, #r));))
        }
        _ => {}
    }

    if let Some(max) = f.max_length {
        let max = max as usize;
        stmts.push(quote!(c.add(validate::max_len(#at, #r, #max));));
    }
    if stmts.is_empty() {
        return None;
    }
    Some(if f.required {
        quote!(#(#stmts)*)
    } else if matches!(f.ty, FieldType::Url | FieldType::Date) {
        // An optional parameter sent empty (`notify_url=`) is signed as is and means "none".
        quote!(if let Some(v) = self.#n.as_ref().filter(|v| !v.is_empty()) { #(#stmts)* })
    } else {
        quote!(if let Some(v) = &self.#n { #(#stmts)* })
    })
}

/// Statements checking `rules` over `fields` of `self` (see [`check_statements`]).
fn rule_checks(rules: &[Rule], fields: &[Field]) -> Vec<TokenStream> {
    let find = |w: &str| fields.iter().find(|f| f.wire == w);
    rules
        .iter()
        .map(|r| match r {
            Rule::AtLeastOneOf { fields: group, .. } => {
                let present = group.iter().map(|w| match find(w) {
                    Some(f) if f.required => quote!(true),
                    // An empty optional URL or date means "none" (as its own check says).
                    Some(f) if matches!(f.ty, FieldType::Url | FieldType::Date) => {
                        let n = ident(&f.rust);
                        quote!(self.#n.as_ref().is_some_and(|v| !v.is_empty()))
                    }
                    Some(f) => {
                        let n = ident(&f.rust);
                        quote!(self.#n.is_some())
                    }
                    None => quote!(false),
                });
                quote!(c.add(validate::at_least_one(at, &[#(#group),*], &[#(#present),*]));)
            }
            Rule::NotGreater { field, than, .. } => {
                let (Some(a), Some(b)) = (find(field), find(than)) else {
                    return quote!();
                };
                let value = |f: &Field| {
                    let n = ident(&f.rust);
                    if f.required {
                        quote!(Some(self.#n))
                    } else {
                        quote!(self.#n)
                    }
                };
                let (va, vb) = (value(a), value(b));
                quote!(c.add(validate::not_greater(At(at, #field), #va, #than, #vb));)
            }
            Rule::RequiredWhen {
                field,
                when,
                values,
                ..
            } => {
                let (Some(target), Some(cond)) = (find(field), find(when)) else {
                    return quote!();
                };
                let t = ident(&target.rust);
                let cd = ident(&cond.rust);
                let holds = if cond.required {
                    quote!([#(#values),*].contains(&self.#cd.as_str()))
                } else {
                    quote!(self.#cd.as_ref().is_some_and(|v| [#(#values),*].contains(&v.as_str())))
                };
                let target_value = if target.required {
                    quote!(&Some(()))
                } else {
                    quote!(&self.#t)
                };
                let condition = format!("`{when}` is {}", values.join(" or "));
                quote!(c.add(validate::required_when(At(at, #field), #target_value, #holds, #condition));)
            }
        })
        .collect()
}

fn form_operation_rs(api: &Api, op: &Operation) -> TokenStream {
    let request = format_ident!("{}Request", op.camel);
    let wire = &op.wire;
    let path = &op.path;
    let host = ident(&heck_camel(&op.host));
    let creates = op.creates;
    let data = ident(&op.response_type);
    let response_alias = format_ident!("{}Response", op.camel);
    let response_alias_doc = format!(" The typed answer of `{}`: its verified `data`.", op.wire);
    let signed = match &op.signed_fields {
        Some(list) => quote!(Some(&[#(#list),*])),
        None => quote!(None),
    };
    let op_doc = docs(
        op.description.as_deref(),
        op.doubt.as_deref(),
        op.source.as_deref(),
    );
    let module_doc = format!(" `{}`: POST {{{}}}{}", op.wire, op.host, op.path);
    let fields: Vec<TokenStream> = op
        .request
        .iter()
        .map(|f| {
            let n = ident(&f.rust);
            let t = value_type(api, &f.ty, true);
            let d = field_docs(f);
            if f.required {
                quote!(#d pub #n: #t,)
            } else {
                quote!(#d pub #n: Option<#t>,)
            }
        })
        .collect();
    let ctor = constructor(api, &op.request, "request");
    let setters = setters(api, &format!("{}Request", op.camel), &op.request);
    let checks = check_statements(&op.request, &op.rules);
    let check_body = if checks.is_empty() {
        quote!(Ok(()))
    } else {
        quote! {
            let (at, mut c) = ("", Checks::default());
            let c = &mut c;
            #(#checks)*
            std::mem::take(c).finish()
        }
    };
    let rules_doc = rules_doc(&op.rules);

    // Signing order: common parameters (and the operation's other names for them) and
    // operation parameters merged, sorted by wire name. `None`: a common parameter.
    let aliases = op.common_rules.iter().flat_map(|r| r.aliases.iter());
    let mut order: Vec<(&str, Option<&Field>)> = api
        .common
        .iter()
        .map(|f| (f.wire.as_str(), None))
        .chain(aliases.map(|a| (a.as_str(), None)))
        .chain(op.request.iter().map(|f| (f.wire.as_str(), Some(f))))
        .collect();
    order.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let pushes = order.iter().map(|(w, field)| match field {
        None => quote!(common.write(#w, w);),
        Some(f) => {
            let n = ident(&f.rust);
            quote!(w.param(#w, &self.#n);)
        }
    });
    let common_rules = if op.common_rules.is_empty() {
        quote!()
    } else {
        let rows = op.common_rules.iter().map(|r| {
            let (name, required, aliases) = (&r.name, r.required, &r.aliases);
            quote!(CommonRule { name: #name, required: #required, aliases: &[#(#aliases),*] })
        });
        quote!(const COMMON_RULES: &'static [CommonRule] = &[#(#rows),*];)
    };
    let common_doc = common_rules_doc(api, &op.common_rules);
    let required_reads: Vec<TokenStream> = op
        .request
        .iter()
        .filter(|f| f.required)
        .map(|f| {
            let n = ident(&f.rust);
            let w = &f.wire;
            quote!(let #n = p.req(#w);)
        })
        .collect();
    let inits = op.request.iter().filter(|f| !f.required).map(|f| {
        let n = ident(&f.rust);
        let w = &f.wire;
        quote!(#n: p.opt(#w),)
    });
    let required_inits = op.request.iter().filter(|f| f.required).map(|f| {
        let n = ident(&f.rust);
        quote!(#n: #n?,)
    });
    let reader_unused = if op.request.is_empty() {
        quote!(let _ = p;)
    } else {
        quote!()
    };
    let default = if op.request.iter().any(|f| f.required) {
        quote!()
    } else {
        quote!(Default,)
    };
    quote! {
        #![doc = #module_doc]
        #[allow(unused_imports)]
        use payspec_runtime::scheme::sorted_params::prelude::*;

        #[doc = #response_alias_doc]
        pub type #response_alias = crate::types::#data;

        #op_doc
        #rules_doc
        #common_doc
        #[derive(Clone, Debug, #default PartialEq, Eq)]
        pub struct #request {
            #(#fields)*
        }

        impl #request {
            #ctor
        }
        #setters

        impl Operation for #request {
            type Api = crate::Api;
            const NAME: &'static str = #wire;
            const HOST: crate::Host = crate::Host::#host;
            const PATH: &'static str = #path;
            const CREATES: bool = #creates;
            const SIGNED_FIELDS: Option<&'static [&'static str]> = #signed;
            #common_rules
            type Response = crate::types::#data;

            fn check(&self) -> Result<(), ValidationError> {
                #check_body
            }

            fn write_params(&self, common: &CommonParams, w: &mut ParamWriter) {
                #(#pushes)*
            }

            fn from_params(p: &mut ParamReader<'_>) -> Option<Self> {
                #reader_unused
                #(#required_reads)*
                Some(Self { #(#inits)* #(#required_inits)* })
            }
        }
    }
}

/// Doc lines on how a form request departs from the common parameters.
fn common_rules_doc(api: &Api, rules: &[CommonRule]) -> TokenStream {
    if rules.is_empty() {
        return quote!();
    }
    let mut lines = vec![
        String::new(),
        " # Common parameters".to_owned(),
        String::new(),
    ];
    for r in rules {
        let default = api
            .common
            .iter()
            .find(|c| c.wire == r.name)
            .is_some_and(|c| c.required);
        let mut line = format!(" - `{}`", r.name);
        if r.required != default {
            line.push_str(if r.required {
                " is required here"
            } else {
                " is optional here: `CommonParams::remove` it to send the request without it"
            });
        }
        if !r.aliases.is_empty() {
            let names: Vec<String> = r.aliases.iter().map(|a| format!("`{a}`")).collect();
            line.push_str(&format!(
                "{} may be sent as {} instead (`CommonParams::rename`); exactly the name given is signed",
                if r.required != default { ";" } else { "" },
                names.join(" or ")
            ));
        }
        line.push('.');
        lines.push(line);
        if let Some(d) = &r.doubt {
            lines.push(format!("   Doubt: {d}"));
        }
    }
    quote!(#(#[doc = #lines])*)
}

fn json_operation_rs(op: &Operation) -> TokenStream {
    let wire = &op.wire;
    let path = &op.path;
    let host = ident(&heck_camel(&op.host));
    let creates = op.creates;
    let request = ident(op.request_type.as_deref().unwrap_or("Missing"));
    let response = ident(&op.response_type);
    let request_alias = format_ident!("{}Request", op.camel);
    let response_alias = format_ident!("{}Response", op.camel);
    let mut lines = vec![
        format!(" `{}`: POST {{{}}}{}", op.wire, op.host, op.path),
        String::new(),
    ];
    lines.extend(doc_lines(
        op.description.as_deref(),
        op.doubt.as_deref(),
        op.source.as_deref(),
    ));
    quote! {
        #( #![doc = #lines] )*

        /// The request body of this operation (strict: required members are constructor arguments).
        pub type #request_alias = crate::types::#request;
        /// The typed answer of this operation (lenient: every member optional).
        pub type #response_alias = crate::types::#response;

        impl payspec_runtime::scheme::header_rsa::Operation for crate::types::#request {
            type Api = crate::Api;
            const NAME: &'static str = #wire;
            const HOST: crate::Host = crate::Host::#host;
            const PATH: &'static str = #path;
            const CREATES: bool = #creates;
            type Response = crate::types::#response;

            fn check(&self) -> Result<(), payspec_runtime::ValidationError> {
                self.validate()
            }
        }
    }
}

/// Object types reachable from an answer or notification (they get a lenient variant).
fn received_types(api: &Api) -> BTreeSet<&str> {
    reachable(
        api,
        api.operations
            .iter()
            .map(|o| o.response_type.as_str())
            .chain(api.notifications.iter().map(|n| n.data_type.as_str())),
    )
}

/// Name of the lenient (answer) variant of object type `name`: the name itself, or
/// `response::<name>` when the strict request variant has the plain name.
fn lenient_name(api: &Api, name: &str) -> String {
    if request_types(api).contains(name) && received_types(api).contains(name) {
        format!("response::{name}")
    } else {
        name.to_owned()
    }
}

fn types_rs(api: &Api) -> TokenStream {
    let sent = request_types(api);
    let received = received_types(api);
    let strings = matches!(
        api.transport,
        Transport::Json {
            scalars_as_strings: true
        }
    );
    let mut items = Vec::new();
    let mut shared = Vec::new();
    for t in &api.types {
        match t {
            TypeDef::Enum {
                name,
                description,
                open,
                values,
                outcome,
            } => items.push(enum_type(
                name,
                description.as_deref(),
                *open,
                values,
                outcome.as_deref(),
            )),
            TypeDef::Object {
                name,
                description,
                fields,
                rules,
            } => {
                let is_sent = sent.contains(name.as_str());
                // Form APIs have no request objects; an object nobody uses stays lenient.
                let is_received = received.contains(name.as_str()) || !is_sent;
                if is_sent {
                    items.push(strict_object(
                        api,
                        name,
                        description.as_deref(),
                        fields,
                        rules,
                        strings,
                    ));
                }
                if is_received {
                    let named = api
                        .operations
                        .iter()
                        .find(|o| o.response_type == *name && o.status.is_some())
                        .and_then(|o| o.status.as_deref());
                    let tokens =
                        lenient_object(api, name, description.as_deref(), fields, named, strings);
                    if is_sent {
                        shared.push(tokens);
                    } else {
                        items.push(tokens);
                    }
                }
            }
        }
    }
    let object_names: Vec<&str> = api
        .types
        .iter()
        .filter_map(|t| match t {
            TypeDef::Object { name, .. } => Some(name.as_str()),
            TypeDef::Enum { .. } => None,
        })
        .collect();
    // Round trips go through the lenient variant where there is one (answers are parsed).
    let object_paths: Vec<TokenStream> = object_names
        .iter()
        .map(|n| {
            if received.contains(n) {
                type_path(&lenient_name(api, n))
            } else {
                let i = ident(n);
                quote!(#i)
            }
        })
        .collect();
    let response_mod = if shared.is_empty() {
        quote!()
    } else {
        quote! {
            /// Lenient variants of the object types that are sent in requests and also received
            /// in answers: every member optional, unknown members ignored.
            pub mod response {
                #(#shared)*
            }
        }
    };
    let any_checks = !sent.is_empty();
    let check_uses = if any_checks {
        quote! {
            use payspec_runtime::api::Checks;
            #[allow(unused_imports)]
            use payspec_runtime::validate::{self, At};
        }
    } else {
        quote!()
    };
    quote! {
        //! Enums and object types of the spec (`types:`, inline request and response bodies).
        //! Types sent in requests are strict (required members are constructor arguments); types
        //! received in answers are lenient (every member optional).
        #[allow(unused_imports)]
        use payspec_runtime::json::fields::*;
        use payspec_runtime::__private::serde::{Deserialize, Serialize};
        #check_uses

        #(#items)*
        #response_mod

        /// Names of all object types, in spec order.
        pub const OBJECT_TYPES: &[&str] = &[#(#object_names),*];

        /// Conformance helper: parses `json` as object type `type_name` (its lenient variant when it
        /// has one), serializes it and parses the result again; `Some(Ok(true))` if nothing
        /// changed. `None` for an unknown type name.
        pub fn roundtrip_json(type_name: &str, json: &str) -> Option<Result<bool, String>> {
            fn check<T>(json: &str) -> Result<bool, String>
            where
                T: Serialize + for<'de> Deserialize<'de> + PartialEq,
            {
                use payspec_runtime::__private::serde_json as j;
                let first: T = j::from_str(json).map_err(|e| e.to_string())?;
                let text = j::to_string(&first).map_err(|e| e.to_string())?;
                let second: T = j::from_str(&text).map_err(|e| e.to_string())?;
                Ok(first == second)
            }
            match type_name {
                #( #object_names => Some(check::<#object_paths>(json)), )*
                _ => None,
            }
        }
    }
}

fn enum_type(
    name: &str,
    description: Option<&str>,
    open: bool,
    values: &[(String, String, Option<String>)],
    outcome: Option<&[(String, OutcomeLabel)]>,
) -> TokenStream {
    let mut text = String::from("payspec_runtime::wire_enum! {\n");
    text.push_str(&doc_comment(&doc_lines(description, None, None), "    "));
    text.push_str(&format!(
        "    {} {name} {{\n",
        if open { "open" } else { "closed" }
    ));
    for (wire, variant, desc) in values {
        let line = match desc {
            Some(desc) => format!(" `{wire}`: {desc}"),
            None => format!(" `{wire}`"),
        };
        text.push_str(&doc_comment(&[line], "        "));
        let label = outcome
            .and_then(|o| o.iter().find(|(w, _)| w == wire))
            .map(|(_, l)| match l {
                OutcomeLabel::Success => " => Success",
                OutcomeLabel::Failure => " => Failure",
                OutcomeLabel::Unknown => " => Unknown",
            })
            .unwrap_or("");
        text.push_str(&format!("        {variant} = {wire:?}{label},\n"));
    }
    text.push_str("    }\n}\n");
    verbatim(text)
}

/// serde attributes of one member: rename, optional handling and the scalar helpers.
fn serde_attrs(f: &Field, optional: bool, strings: bool, lenient_text: bool) -> TokenStream {
    let w = &f.wire;
    let mut parts = Vec::new();
    if f.rust != *w {
        parts.push(quote!(rename = #w));
    }
    let (de, ser): (Option<&str>, Option<&str>) = match (&f.ty, optional) {
        (t, true) if is_text(t) && lenient_text => (Some("opt_text"), None),
        (FieldType::Amount | FieldType::MinorUnits { .. }, true) => {
            (Some("opt_u64"), strings.then_some("u64_as_string"))
        }
        (FieldType::Amount | FieldType::MinorUnits { .. }, false) => {
            (Some("u64_lenient"), strings.then_some("u64_text"))
        }
        (FieldType::Integer, true) => (Some("opt_i64"), strings.then_some("i64_as_string")),
        (FieldType::Integer, false) => (Some("i64_lenient"), strings.then_some("i64_text")),
        (FieldType::Boolean, true) => (Some("opt_bool"), strings.then_some("bool_as_string")),
        (FieldType::Boolean, false) => (Some("bool_lenient"), strings.then_some("bool_text")),
        _ => (None, None),
    };
    if optional {
        // Lenient types default every member at the container level.
        if de.is_some() && !lenient_text {
            parts.push(quote!(default));
        }
        parts.push(quote!(skip_serializing_if = "is_none"));
    }
    if let Some(de) = de {
        parts.push(quote!(deserialize_with = #de));
    }
    if let Some(ser) = ser {
        parts.push(quote!(serialize_with = #ser));
    }
    if parts.is_empty() {
        quote!()
    } else {
        quote!(#[serde(#(#parts),*)])
    }
}

/// A type sent in requests: required members are plain (the constructor takes them), optional
/// ones are set by name; `validate` reports every broken rule.
fn strict_object(
    api: &Api,
    name: &str,
    description: Option<&str>,
    fields: &[Field],
    rules: &[Rule],
    strings: bool,
) -> TokenStream {
    let ty = ident(name);
    let d = docs(description, None, None);
    let members = fields.iter().map(|f| {
        let n = ident(&f.rust);
        let fd = field_docs(f);
        let t = value_type(api, &f.ty, true);
        let attrs = serde_attrs(f, !f.required, strings, false);
        if f.required {
            quote!(#fd #attrs pub #n: #t,)
        } else {
            quote!(#fd #attrs pub #n: Option<#t>,)
        }
    });
    let ctor = constructor(api, fields, "value");
    let setters = setters(api, name, fields);
    let checks = check_statements(fields, rules);
    let check_body = if checks.is_empty() {
        quote!(let _ = (at, c);)
    } else {
        quote!(#(#checks)*)
    };
    let rules_doc = rules_doc(rules);
    let default = if fields.iter().any(|f| f.required) {
        quote!()
    } else {
        quote!(Default,)
    };
    quote! {
        #d
        #rules_doc
        #[derive(Clone, Debug, #default PartialEq, Serialize, Deserialize)]
        #[serde(crate = "payspec_runtime::__private::serde")]
        pub struct #ty {
            #(#members)*
        }

        impl #ty {
            #ctor

            /// Checks lengths, values and rules of the spec; reports every broken rule.
            pub fn validate(&self) -> Result<(), payspec_runtime::ValidationError> {
                let mut c = Checks::default();
                self.check_at("", &mut c);
                c.finish()
            }

            /// Adds the checks of this value, nested at path `at`, to `c`.
            pub fn check_at(&self, at: &str, c: &mut Checks) {
                #check_body
            }
        }
        #setters
    }
}

/// A type received in answers: every member optional, scalars read leniently, unknown members
/// ignored.
fn lenient_object(
    api: &Api,
    name: &str,
    description: Option<&str>,
    fields: &[Field],
    named_status: Option<&str>,
    strings: bool,
) -> TokenStream {
    let ty = ident(name);
    let d = docs(description, None, None);
    let members = fields.iter().map(|f| {
        let n = ident(&f.rust);
        let fd = field_docs(f);
        let t = value_type(api, &f.ty, false);
        quote!(#fd pub #n: Option<#t>,)
    });
    // serde impls come from the runtime's `lenient_object!`: one line a member, and the
    // per-member code is not generic over the deserializer.
    let rows: String = fields
        .iter()
        .map(|f| {
            let kind = match &f.ty {
                t if is_text(t) => "text",
                FieldType::Amount | FieldType::MinorUnits { .. } if strings => "u64_str",
                FieldType::Amount | FieldType::MinorUnits { .. } => "u64",
                FieldType::Integer if strings => "i64_str",
                FieldType::Integer => "i64",
                FieldType::Boolean if strings => "bool_str",
                FieldType::Boolean => "bool",
                FieldType::Enum(_) => "wire",
                _ => "value",
            };
            format!("    {}: {kind} = {:?},\n", f.rust, f.wire)
        })
        .collect();
    let serde = verbatim(format!(
        "payspec_runtime::lenient_object!({name} {{\n{rows}}});\n"
    ));
    let outcome = object_outcome(api, name, fields, named_status);
    quote! {
        #d
        ///
        /// Every member is optional: gateways omit members freely. Unknown members are ignored.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #ty {
            #(#members)*
            /// Members the spec does not declare, as received (raw JSON): nothing the gateway
            /// sends is silently dropped.
            pub unknown_members: payspec_runtime::lenient::UnknownMembers,
        }
        #serde
        #outcome
    }
}

/// `outcome()` on an object type that carries a status (see [`status_path`]), so callers need
/// no `data.result.as_ref().and_then(...)` chains.
fn object_outcome(api: &Api, name: &str, fields: &[Field], named: Option<&str>) -> TokenStream {
    let path = match named {
        Some(dotted) => named_path(api, fields, dotted),
        None => status_path(api, fields, 0),
    };
    let Some(path) = path else {
        return quote!();
    };
    let ty = ident(name);
    let wire: Vec<&str> = path.iter().map(|(_, w)| w.as_str()).collect();
    let doc = format!(
        " The outcome its status `{}` stands for; `None` when the status is absent.",
        wire.join(".")
    );
    let mut steps = path.iter().map(|(r, _)| ident(r));
    let first = steps.next();
    let rest: Vec<Ident> = steps.collect();
    quote! {
        impl #ty {
            #[doc = #doc]
            pub fn outcome(&self) -> Option<payspec_runtime::Outcome> {
                self.#first.as_ref()#(.and_then(|v| v.#rest.as_ref()))*.map(|v| v.outcome())
            }
        }
    }
}

trait SnakeCaseString {
    fn to_snake_case_string(&self) -> String;
}

impl SnakeCaseString for String {
    fn to_snake_case_string(&self) -> String {
        use heck::ToSnakeCase;
        self.to_snake_case()
    }
}

/// Tokens of a type path such as `response::Amount`.
fn type_path(path: &str) -> TokenStream {
    let parts = path.split("::").map(ident);
    quote!(#(#parts)::*)
}
