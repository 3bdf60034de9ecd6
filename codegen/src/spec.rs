//! Spec YAML → validated [`ir::Api`]. Every problem is a located [`SpecError`].

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use marked_yaml::{Span, Spanned};
use sha2::{Digest as _, Sha256};

use crate::ast::{self, Locator, Text};
use crate::error::{Location, SpecError};
use crate::ir::*;
use crate::yaml;

const BUILTIN_TYPES: &[&str] = &[
    "string",
    "integer",
    "amount",
    "url",
    "date",
    "decimal",
    "json",
    "array",
    "boolean",
    "currency",
    "minor_units",
    "datetime",
];

/// Names generated code uses unqualified; a spec type of that name would shadow them.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Result",
    "Option",
    "String",
    "Vec",
    "Box",
    "Some",
    "None",
    "Ok",
    "Err",
    "Self",
    "Host",
    "Signer",
    "Verifier",
    "Operation",
    "CommonParams",
    "CommonOverrides",
    "SignedRequest",
    "SignError",
    "AnyRequest",
    "ParamsError",
    "Response",
    "ResponseError",
    "Verified",
    "ValidationError",
    "PrivateKey",
    "PublicKey",
    "Serialize",
    "Deserialize",
    "Serializer",
    "Deserializer",
];

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Parses and validates one spec. `path` is used in error locations and generated headers.
/// Parses and validates one spec. `path` is used in error locations and generated headers.
pub fn parse_spec(path: &str, text: &str) -> Result<Api, SpecError> {
    // The emitter's marker for runtime macro bodies it lays out itself: spec text carrying it
    // could smuggle code into the output, so it is refused wherever it appears.
    if let Some(at) = text.find(crate::emit::VERBATIM) {
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        return Err(SpecError::new(
            Location {
                file: path.to_owned(),
                line,
                column,
            },
            format!("`{}` is reserved by the generator", crate::emit::VERBATIM),
        ));
    }
    let root = yaml::parse(path, text)?;
    let spec = ast::load(path, &root)?;
    let locate = Locator::new(path, &root);
    let top_at = locate.map_at(root.span());
    let file = path;

    let name = spec.api.to_string();
    if name.is_empty()
        || !name.starts_with(|c: char| c.is_ascii_lowercase())
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Err(SpecError::new(
            locate.at(spec.api.span()),
            format!(
                "`api` must be lowercase letters and digits (it names the crate), found `{name}`"
            ),
        ));
    }
    let title = spec.title.to_string();
    let description = text_of(&spec.description).unwrap_or_default();
    let source = text_of(&spec.source);

    let hosts = lower_hosts(&locate, &spec.hosts)?;
    let transport = lower_transport(&locate, &spec.transport)?;
    let signature = lower_signature(&locate, &spec.signature)?;
    match (&transport, &signature) {
        (Transport::FormJson, Signature::SortedParams { .. }) | (Transport::Json { .. }, Signature::HeaderRsa { .. }) => {}
        _ => {
            return Err(SpecError::new(
                top_at,
                "scheme `sorted-params` needs the form-urlencoded transport and `header-rsa` the json transport",
            ))
        }
    }

    // Types: first collect names and kinds so fields can refer to any type in any order.
    let mut type_kinds: BTreeMap<String, bool> = BTreeMap::new(); // name -> is_enum
    let mut enum_values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(types) = &spec.types {
        for (key, def) in types.iter() {
            check_type_name(file, key, &locate.key(types.span(), key))?;
            type_kinds.insert(key.to_owned(), def.values.is_some());
            if let Some(values) = &def.values {
                let names = match &**values {
                    ast::Values::List(list) => list.iter().map(|v| v.to_string()).collect(),
                    ast::Values::Described(entries) => {
                        entries.iter().map(|(k, _)| k.to_owned()).collect()
                    }
                };
                enum_values.insert(key.to_owned(), names);
            }
        }
    }
    let mut ctx = Ctx {
        locate: &locate,
        transport,
        type_kinds,
        inline_types: Vec::new(),
        declared_fields: BTreeMap::new(),
        enum_values,
        item_locs: BTreeMap::new(),
        sign_param: match &signature {
            Signature::SortedParams { param, .. } => Some(param.clone()),
            Signature::HeaderRsa { .. } => None,
        },
        op_paths: BTreeMap::new(),
    };

    let mut types = Vec::new();
    if let Some(map) = &spec.types {
        for (key, def) in map.iter() {
            ctx.item_locs
                .insert(format!("type:{key}"), locate.key(map.span(), key));
            types.push(ctx.lower_type(key, def)?);
        }
    }
    for t in &types {
        if let TypeDef::Object { name, fields, .. } = t {
            ctx.declared_fields.insert(
                name.clone(),
                fields.iter().map(|f| f.wire.clone()).collect(),
            );
        }
    }

    let (envelope, envelope_description) = match &spec.envelope {
        Some(env) => {
            let fields = ctx.lower_fields(&env.fields, None, "envelope")?;
            (fields, text_of(&env.description))
        }
        None => (Vec::new(), None),
    };

    let common = match &spec.common {
        Some(map) => ctx.lower_fields(map, None, "common")?,
        None => Vec::new(),
    };
    let mut shared: BTreeMap<String, &Spanned<ast::FieldRef>> = BTreeMap::new();
    if let Some(map) = &spec.params {
        for (key, value) in map.iter() {
            // Validate each shared definition once, on its own.
            ctx.lower_field(key, &locate.key(map.span(), key), value, None, "params")?;
            shared.insert(key.to_owned(), value);
        }
    }

    let ops = &spec.operations;
    let mut operations = Vec::new();
    for (key, value) in ops.iter() {
        let at = locate.key(ops.span(), key);
        ctx.item_locs.insert(format!("op:{key}"), at.clone());
        operations.push(ctx.lower_operation(key, &at, value, &shared, &common, &hosts)?);
    }
    if operations.is_empty() {
        return Err(SpecError::new(
            locate.at(ops.span()),
            "`operations` is empty",
        ));
    }

    let mut notifications = Vec::new();
    if let Some(map) = &spec.notifications {
        for (key, value) in map.iter() {
            let at = locate.key(map.span(), key);
            ctx.item_locs
                .insert(format!("notification:{key}"), at.clone());
            notifications.push(ctx.lower_notification(key, &at, value)?);
        }
    }

    types.append(&mut ctx.inline_types);
    check_no_recursive_objects(&types, &ctx.item_locs, &top_at)?;
    check_statuses(&operations, &types, &ctx.item_locs, &top_at)?;
    check_unique_rust_names(&types, &operations, &notifications, &ctx.item_locs, &top_at)?;

    Ok(Api {
        name,
        spec_path: path.to_owned(),
        spec_sha256: hex::encode(Sha256::digest(text.as_bytes())),
        title,
        description,
        source,
        hosts,
        transport,
        signature,
        envelope,
        envelope_description,
        types,
        common,
        operations,
        notifications,
    })
}

/// The text of an optional string value.
fn text_of(value: &Option<Text>) -> Option<String> {
    value.as_ref().map(|v| v.to_string())
}

struct Ctx<'a> {
    locate: &'a Locator<'a>,
    transport: Transport,
    type_kinds: BTreeMap<String, bool>,
    inline_types: Vec<TypeDef>,
    /// Wire names of the fields of each declared object type.
    declared_fields: BTreeMap<String, Vec<String>>,
    /// Values of each enum type.
    enum_values: BTreeMap<String, Vec<String>>,
    /// Where each type (`type:Name`), operation (`op:name`) and notification is defined.
    item_locs: BTreeMap<String, Location>,
    /// The sorted-params signature parameter (`sign`): no request field may be named like it.
    sign_param: Option<String>,
    /// `host path` of each operation so far, with its name: two operations cannot share one.
    op_paths: BTreeMap<String, String>,
}

/// Most fields in one fields mapping (a request, a response, an object type).
pub const MAX_FIELDS: usize = 500;

/// An object type that contains itself through object fields (not through arrays) would be a
/// struct of infinite size (`struct Loop { me: Option<Loop> }` does not compile).
fn check_no_recursive_objects(
    types: &[TypeDef],
    item_locs: &BTreeMap<String, Location>,
    fallback: &Location,
) -> Result<(), SpecError> {
    let edges: BTreeMap<&str, Vec<&str>> = types
        .iter()
        .filter_map(|t| match t {
            TypeDef::Object { name, fields, .. } => Some((
                name.as_str(),
                fields
                    .iter()
                    .filter_map(|f| match &f.ty {
                        FieldType::Object(target) => Some(target.as_str()),
                        _ => None,
                    })
                    .collect(),
            )),
            TypeDef::Enum { .. } => None,
        })
        .collect();
    // Iterative three-colour depth-first search: linear in types and fields, no recursion.
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        Open,
        Done,
    }
    let mut colour: BTreeMap<&str, Colour> = BTreeMap::new();
    for &start in edges.keys() {
        if colour.contains_key(start) {
            continue;
        }
        colour.insert(start, Colour::Open);
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        let mut path: Vec<&str> = vec![start];
        while let Some((node, next)) = stack.pop() {
            let children = edges.get(node).map(Vec::as_slice).unwrap_or_default();
            let Some(&child) = children.get(next) else {
                colour.insert(node, Colour::Done);
                path.pop();
                continue;
            };
            stack.push((node, next + 1));
            match colour.get(child) {
                Some(Colour::Done) => {}
                Some(Colour::Open) => {
                    let from = path.iter().position(|t| *t == child).unwrap_or(0);
                    let mut cycle: Vec<&str> = path.get(from..).unwrap_or_default().to_vec();
                    cycle.push(child);
                    return Err(SpecError::new(
                        item_locs
                            .get(&format!("type:{child}"))
                            .unwrap_or(fallback)
                            .clone(),
                        format!(
                            "object type `{child}` contains itself ({}); use an array field for recursive data",
                            cycle.join(" → ")
                        ),
                    ));
                }
                None => {
                    colour.insert(child, Colour::Open);
                    path.push(child);
                    stack.push((child, 0));
                }
            }
        }
    }
    Ok(())
}

/// A response's `status:` must name, by wire names through object members, an enum with
/// outcome labels.
fn check_statuses(
    operations: &[Operation],
    types: &[TypeDef],
    item_locs: &BTreeMap<String, Location>,
    fallback: &Location,
) -> Result<(), SpecError> {
    for op in operations {
        let Some(status) = &op.status else {
            continue;
        };
        let at = || {
            item_locs
                .get(&format!("status:{}", op.wire))
                .unwrap_or(fallback)
                .clone()
        };
        let mut current = op.response_type.as_str();
        let steps: Vec<&str> = status.split('.').collect();
        for (i, step) in steps.iter().enumerate() {
            let Some(TypeDef::Object { fields, .. }) = types.iter().find(|t| t.name() == current)
            else {
                return Err(SpecError::new(
                    at(),
                    format!("`status`: `{current}` is not an object type"),
                ));
            };
            let Some(field) = fields.iter().find(|f| f.wire == *step) else {
                return Err(SpecError::new(
                    at(),
                    format!("`status`: `{step}` is not a member of `{current}`"),
                ));
            };
            match (&field.ty, i + 1 == steps.len()) {
                (FieldType::Object(next), false) => current = next,
                (FieldType::Enum(e), true)
                    if types.iter().any(|t| {
                        matches!(t, TypeDef::Enum { name, outcome: Some(_), .. } if name == e)
                    }) => {}
                _ => {
                    return Err(SpecError::new(
                        at(),
                        format!("`status` `{status}` must lead through objects to an enum with outcome labels"),
                    ))
                }
            }
        }
    }
    Ok(())
}

/// A PEM text with exactly one `PUBLIC KEY` block whose body is valid base64 of a DER sequence.
fn check_public_key_pem(pem: &str) -> Result<(), String> {
    use base64::Engine as _;
    let begins = pem.matches("-----BEGIN").count();
    if begins != 1 {
        return Err(format!("found {begins} PEM blocks"));
    }
    let (label, body) = ["PUBLIC KEY", "RSA PUBLIC KEY"]
        .iter()
        .find_map(|label| {
            let begin = format!("-----BEGIN {label}-----");
            let end = format!("-----END {label}-----");
            let start = pem.find(&begin)? + begin.len();
            let stop = pem.get(start..)?.find(&end)? + start;
            Some((*label, pem.get(start..stop)?))
        })
        .ok_or("no `BEGIN PUBLIC KEY` / `END PUBLIC KEY` block")?;
    let text: String = body.split_whitespace().collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| format!("the {label} body is not base64 ({e})"))?;
    if der.first() != Some(&0x30) || der.len() < 32 {
        return Err(format!("the {label} body is not a DER key"));
    }
    Ok(())
}

fn check_type_name(file: &str, name: &str, at: &Location) -> Result<(), SpecError> {
    let _ = file;
    let ok = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name.to_upper_camel_case() == name;
    if !ok {
        return Err(SpecError::new(
            at.clone(),
            format!("type name `{name}` must be UpperCamelCase letters and digits"),
        ));
    }
    if RESERVED_TYPE_NAMES.contains(&name) {
        return Err(SpecError::new(
            at.clone(),
            format!("type name `{name}` is reserved (it would shadow a Rust or generated item); choose another"),
        ));
    }
    if BUILTIN_TYPES.contains(&name) {
        return Err(SpecError::new(
            at.clone(),
            format!("type name `{name}` is a built-in type"),
        ));
    }
    Ok(())
}

fn wire_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `name` is usable as a Rust identifier (not empty, not a keyword).
fn rust_ident_ok(name: &str) -> bool {
    syn::parse_str::<syn::Ident>(name).is_ok()
}

fn rust_field_name(wire: &str) -> String {
    let snake = wire.to_snake_case();
    if RUST_KEYWORDS.contains(&snake.as_str()) {
        format!("{snake}_")
    } else {
        snake
    }
}

fn variant_name(value: &str) -> String {
    let camel = value.to_upper_camel_case();
    if camel.is_empty() {
        "Empty".to_owned()
    } else if camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{camel}")
    } else {
        camel
    }
}

fn lower_hosts(locate: &Locator<'_>, map: &ast::Map<ast::HostDef>) -> Result<Vec<Host>, SpecError> {
    let mut hosts = Vec::new();
    for (key, host) in map.iter() {
        let at = locate.key(map.span(), key);
        if !wire_name_ok(key) {
            return Err(SpecError::new(
                at,
                format!("host name `{key}` must be an identifier"),
            ));
        }
        let variant = key.to_upper_camel_case();
        if !rust_ident_ok(&variant) || key.starts_with('_') {
            return Err(SpecError::new(
                at,
                format!("host name `{key}` does not give a valid Rust variant name"),
            ));
        }
        if let Some(other) = hosts
            .iter()
            .find(|h: &&Host| h.name.to_upper_camel_case() == variant)
        {
            return Err(SpecError::new(
                at,
                format!(
                    "hosts `{}` and `{key}` both map to Rust variant `Host::{variant}`",
                    other.name
                ),
            ));
        }
        let envs = &host.environments;
        let mut environments = Vec::new();
        for (env, url) in envs.iter() {
            let url_text = url.as_str();
            let rest = url_text
                .strip_prefix("https://")
                .or_else(|| url_text.strip_prefix("http://"));
            let bad_char = url_text
                .chars()
                .find(|c| c.is_whitespace() || c.is_control() || "\"'\\<>`{}|^".contains(*c));
            if let Some(c) = bad_char {
                return Err(SpecError::new(
                    locate.at(url.span()),
                    format!(
                        "environment `{env}` URL contains {c:?}, which a URL cannot hold unencoded"
                    ),
                ));
            }
            if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
                return Err(SpecError::new(
                    locate.at(url.span()),
                    format!("environment `{env}` must be an http(s) URL, found `{url_text}`"),
                ));
            }
            if !wire_name_ok(env) {
                return Err(SpecError::new(
                    locate.key(envs.span(), env),
                    format!("environment name `{env}` must be an identifier"),
                ));
            }
            environments.push((env.to_owned(), url_text.trim_end_matches('/').to_owned()));
        }
        if environments.is_empty() {
            return Err(SpecError::new(
                locate.at(envs.span()),
                "a host needs at least one environment",
            ));
        }
        hosts.push(Host {
            name: key.to_owned(),
            description: text_of(&host.description),
            environments,
        });
    }
    if hosts.is_empty() {
        return Err(SpecError::new(locate.at(map.span()), "`hosts` is empty"));
    }
    Ok(hosts)
}

fn lower_transport(
    locate: &Locator<'_>,
    def: &Spanned<ast::TransportDef>,
) -> Result<Transport, SpecError> {
    let scalars_as_strings = def.scalars_as_strings.as_ref().map(|v| **v);
    match *def.request {
        ast::RequestEncoding::Json => Ok(Transport::Json {
            scalars_as_strings: scalars_as_strings.unwrap_or(false),
        }),
        ast::RequestEncoding::FormUrlencoded => {
            if scalars_as_strings.is_some() {
                return Err(SpecError::new(
                    locate.map_at(def.span()),
                    "`scalars_as_strings` only applies to the json request transport",
                ));
            }
            Ok(Transport::FormJson)
        }
    }
}

/// Refuses the first key in `keys` (present in the mapping at `map`), which `what` does not take.
fn refuse_keys(
    locate: &Locator<'_>,
    map: &Span,
    keys: &[(&'static str, Span)],
    what: &str,
) -> Result<(), SpecError> {
    match keys.first() {
        Some((key, _)) => Err(SpecError::new(
            locate.key(map, key),
            format!("key `{key}` does not apply to {what}"),
        )),
        None => Ok(()),
    }
}

fn lower_signature(
    locate: &Locator<'_>,
    def: &Spanned<ast::SignatureDef>,
) -> Result<Signature, SpecError> {
    let missing = |key: &str| {
        SpecError::new(
            locate.map_at(def.span()),
            format!("`signature` is missing required key `{key}`"),
        )
    };
    let wrong = |key: &str, value: &str, span: &Span, expected: &str| {
        SpecError::new(
            locate.at(span),
            format!(
                "unsupported {key} `{value}` in `signature` (scheme `{}` takes `{expected}`)",
                match *def.scheme {
                    ast::Scheme::SortedParams => "sorted-params",
                    ast::Scheme::HeaderRsa => "header-rsa",
                }
            ),
        )
    };
    if *def.scheme == ast::Scheme::HeaderRsa {
        return lower_header_rsa(locate, def, &wrong);
    }
    refuse_keys(
        locate,
        def.span(),
        &def.header_rsa_keys(),
        "scheme `sorted-params`",
    )?;
    let digest = match *def.digest {
        ast::DigestName::Md5 => Digest::Md5,
        ast::DigestName::Sha256 => Digest::Sha256,
    };
    if *def.encoding != ast::Encoding::HexLower {
        return Err(wrong(
            "encoding",
            "base64-percent",
            def.encoding.span(),
            "hex-lower",
        ));
    }
    let param_text = def.param.as_ref().ok_or_else(|| missing("param"))?;
    let param = param_text.to_string();
    let param_loc = locate.at(param_text.span());
    if !wire_name_ok(&param) {
        return Err(SpecError::new(
            param_loc,
            format!("`param` must be a parameter name, found `{param}`"),
        ));
    }
    // The runtime's request writer and envelope reader know the member `sign` only.
    if param != "sign" {
        return Err(SpecError::new(
            param_loc,
            format!("`param` `{param}` is not supported: the sorted-params runtime signs and reads `sign` only"),
        ));
    }
    let response = def.response.as_ref().ok_or_else(|| missing("response"))?;
    let success_code = response.success_code.as_ref().map_or(0, |c| **c);
    // The runtime's envelope check accepts `code` 0 only.
    if let Some(code) = &response.success_code {
        if **code != 0 {
            return Err(SpecError::new(
                locate.at(code.span()),
                format!("`success_code` {} is not supported: the sorted-params runtime accepts code 0 only", **code),
            ));
        }
    }
    let mut retryable_codes = Vec::new();
    for code in response.retryable_codes.iter().flatten() {
        if **code == success_code || retryable_codes.contains(&**code) {
            return Err(SpecError::new(
                locate.at(code.span()),
                format!(
                    "retryable code `{}` is the success code or listed twice",
                    **code
                ),
            ));
        }
        retryable_codes.push(**code);
    }
    let (gateway_key_pem, gateway_key_description) = match &def.gateway_public_key {
        Some(key) => {
            if let Err(why) = check_public_key_pem(&key.pem) {
                return Err(SpecError::new(
                    locate.at(key.pem.span()),
                    format!("`pem` must be one PEM public key: {why}"),
                ));
            }
            (Some(key.pem.to_string()), text_of(&key.description))
        }
        None => (None, None),
    };
    Ok(Signature::SortedParams {
        digest,
        param,
        success_code,
        retryable_codes,
        gateway_key_pem,
        gateway_key_description,
    })
}

fn lower_header_rsa(
    locate: &Locator<'_>,
    def: &Spanned<ast::SignatureDef>,
    wrong: &dyn Fn(&str, &str, &Span, &str) -> SpecError,
) -> Result<Signature, SpecError> {
    refuse_keys(
        locate,
        def.span(),
        &def.sorted_params_keys(),
        "scheme `header-rsa`",
    )?;
    if *def.digest != ast::DigestName::Sha256 {
        return Err(wrong("digest", "md5", def.digest.span(), "sha256"));
    }
    if *def.encoding != ast::Encoding::Base64Percent {
        return Err(wrong(
            "encoding",
            "hex-lower",
            def.encoding.span(),
            "base64-percent",
        ));
    }
    let key_version = def.key_version.as_ref().map_or(1, |v| **v);
    let request_time_format = match def.request_time_format.as_deref() {
        Some(ast::RequestTimeFormatName::EpochMs) => RequestTimeFormat::EpochMillis,
        Some(ast::RequestTimeFormatName::Iso8601) | None => RequestTimeFormat::Iso8601,
    };
    let (unsigned_status, unsigned_allowed) = match &def.unsigned_response {
        Some(u) => {
            if u.status.is_empty() || u.allowed.is_empty() {
                return Err(SpecError::new(
                    locate.map_at(u.span()),
                    "`unsigned_response` needs a non-empty `status` path and `allowed` list",
                ));
            }
            (
                u.status.iter().map(|s| s.to_string()).collect(),
                u.allowed.iter().map(|s| s.to_string()).collect(),
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    let notification_tolerance_seconds = def
        .notification_tolerance_seconds
        .as_ref()
        .map_or(300, |v| **v);
    let header = |key: &str, value: &Option<Text>, default: &str| -> Result<String, SpecError> {
        let Some(value) = value else {
            return Ok(default.to_owned());
        };
        if value.is_empty() || value.chars().any(|c| c.is_control()) {
            return Err(SpecError::new(
                locate.at(value.span()),
                format!("header `{key}` must be a non-empty header value"),
            ));
        }
        Ok(value.to_string())
    };
    let none = ast::HeadersDef {
        signature: None,
        client_id: None,
        request_time: None,
        response_time: None,
        content_type: None,
    };
    let h = def.headers.as_deref().unwrap_or(&none);
    let headers = SignatureHeaders {
        signature: header("signature", &h.signature, "Signature")?,
        client_id: header("client_id", &h.client_id, "Client-Id")?,
        request_time: header("request_time", &h.request_time, "Request-Time")?,
        response_time: header("response_time", &h.response_time, "Response-Time")?,
        content_type: header(
            "content_type",
            &h.content_type,
            "application/json; charset=UTF-8",
        )?,
    };
    Ok(Signature::HeaderRsa {
        digest: Digest::Sha256,
        key_version,
        request_time_format,
        unsigned_status,
        unsigned_allowed,
        notification_tolerance_seconds,
        headers,
    })
}

impl<'a> Ctx<'a> {
    fn lower_type(
        &mut self,
        name: &str,
        def: &Spanned<ast::TypeDefRaw>,
    ) -> Result<TypeDef, SpecError> {
        let locate = self.locate;
        let what = format!("type `{name}`");
        let description = text_of(&def.description);
        let only_enum = |key: &str, present: bool| {
            if present {
                Err(SpecError::new(
                    locate.key(def.span(), key),
                    format!("`{key}` only applies to an enum type (`values`) ({what})"),
                ))
            } else {
                Ok(())
            }
        };
        Ok(match (&def.values, &def.fields) {
            (Some(values), None) => {
                if def.rules.is_some() {
                    return Err(SpecError::new(
                        locate.key(def.span(), "rules"),
                        format!("`rules` only apply to an object type (`fields`) ({what})"),
                    ));
                }
                let open = def.open.as_ref().is_some_and(|v| **v);
                let mut parsed = Vec::new();
                let mut variants: BTreeMap<String, String> = BTreeMap::new();
                let items: Vec<(String, Location, Option<String>)> = match &**values {
                    ast::Values::Described(entries) => entries
                        .iter()
                        .map(|(k, d)| {
                            (
                                k.to_owned(),
                                locate.key(values.span(), k),
                                Some(d.to_string()).filter(|d| !d.is_empty()),
                            )
                        })
                        .collect(),
                    ast::Values::List(list) => list
                        .iter()
                        .map(|v| (v.to_string(), locate.at(v.span()), None))
                        .collect(),
                };
                if items.is_empty() {
                    return Err(SpecError::new(
                        locate.at(values.span()),
                        format!("enum `{name}` has no values"),
                    ));
                }
                for (value, at, desc) in items {
                    if value.is_empty() {
                        return Err(SpecError::new(
                            at,
                            format!("enum `{name}` has an empty value"),
                        ));
                    }
                    let variant = variant_name(&value);
                    if !rust_ident_ok(&variant) {
                        return Err(SpecError::new(
                            at,
                            format!("value `{value}` of enum `{name}` does not give a valid Rust variant name (`{variant}`)"),
                        ));
                    }
                    if open && variant == "Unknown" {
                        return Err(SpecError::new(
                            at,
                            format!("value `{value}` of open enum `{name}` clashes with its `Unknown` variant"),
                        ));
                    }
                    if let Some(previous) = variants.insert(variant.clone(), value.clone()) {
                        return Err(SpecError::new(
                            at,
                            format!("values `{previous}` and `{value}` of enum `{name}` both map to Rust variant `{variant}`"),
                        ));
                    }
                    parsed.push((value, variant, desc));
                }
                let outcome = match &def.outcome {
                    Some(map) => {
                        let mut out = Vec::new();
                        for (k, label) in map.iter() {
                            if !parsed.iter().any(|(w, _, _)| w == k) {
                                return Err(SpecError::new(
                                    locate.key(map.span(), k),
                                    format!(
                                        "outcome names `{k}`, which is not a value of enum `{name}`"
                                    ),
                                ));
                            }
                            out.push((
                                k.to_owned(),
                                match **label {
                                    ast::OutcomeLabel::Success => OutcomeLabel::Success,
                                    ast::OutcomeLabel::Failure => OutcomeLabel::Failure,
                                    ast::OutcomeLabel::Unknown => OutcomeLabel::Unknown,
                                },
                            ));
                        }
                        Some(out)
                    }
                    None => None,
                };
                TypeDef::Enum {
                    name: name.to_owned(),
                    description,
                    open,
                    values: parsed,
                    outcome,
                }
            }
            (None, Some(fields)) => {
                only_enum("open", def.open.is_some())?;
                only_enum("outcome", def.outcome.is_some())?;
                let fields = self.lower_fields(fields, None, &what)?;
                let rules = match &def.rules {
                    Some(rules) => self.lower_rules(rules, &fields, &what)?,
                    None => Vec::new(),
                };
                TypeDef::Object {
                    name: name.to_owned(),
                    description,
                    fields,
                    rules,
                }
            }
            (Some(_), Some(_)) => {
                return Err(SpecError::new(
                    locate.map_at(def.span()),
                    format!("{what} has both `values` (enum) and `fields` (object)"),
                ))
            }
            (None, None) => {
                return Err(SpecError::new(
                    locate.map_at(def.span()),
                    format!("{what} needs `values` (an enum) or `fields` (an object)"),
                ))
            }
        })
    }

    /// Lowers a `fields:` mapping. With `shared`, a field may be `name: shared` or
    /// `{shared: true | <name>, ...overrides}`.
    fn lower_fields(
        &mut self,
        map: &ast::Map<ast::FieldRef>,
        shared: Option<&BTreeMap<String, &Spanned<ast::FieldRef>>>,
        context: &str,
    ) -> Result<Vec<Field>, SpecError> {
        let locate = self.locate;
        let mut fields: Vec<Field> = Vec::new();
        let mut rust_names: BTreeMap<String, String> = BTreeMap::new();
        if map.len() > MAX_FIELDS {
            return Err(SpecError::new(
                locate.at(map.span()),
                format!("more than {MAX_FIELDS} fields in {context}"),
            ));
        }
        for (key, value) in map.iter() {
            let at = locate.key(map.span(), key);
            let is_request = shared.is_some() || context == "common";
            if is_request && self.sign_param.as_deref() == Some(key) {
                return Err(SpecError::new(
                    at,
                    format!(
                        "`{key}` is the signature parameter; a request field of that name would be signed and sent twice"
                    ),
                ));
            }
            let field = match shared {
                Some(shared) => self.lower_op_field(key, &at, value, shared, context)?,
                None => self.lower_field(key, &at, value, None, context)?,
            };
            if let Some(other) = rust_names.insert(field.rust.clone(), field.wire.clone()) {
                return Err(SpecError::new(
                    at,
                    format!(
                        "fields `{other}` and `{}` both map to Rust name `{}`",
                        field.wire, field.rust
                    ),
                ));
            }
            fields.push(field);
        }
        Ok(fields)
    }

    fn lower_op_field(
        &mut self,
        wire: &str,
        at: &Location,
        value: &Spanned<ast::FieldRef>,
        shared: &BTreeMap<String, &Spanned<ast::FieldRef>>,
        context: &str,
    ) -> Result<Field, SpecError> {
        let locate = self.locate;
        let shared_name = match &**value {
            ast::FieldRef::Shared => Some((wire.to_owned(), locate.at(value.span()))),
            ast::FieldRef::Def(def) => match &def.shared {
                Some(flag) => match flag.as_str() {
                    "true" => Some((wire.to_owned(), locate.at(flag.span()))),
                    "false" => None,
                    other => Some((other.to_owned(), locate.at(flag.span()))),
                },
                None => None,
            },
        };
        match shared_name {
            Some((name, name_loc)) => {
                let base = shared.get(&name).ok_or_else(|| {
                    SpecError::new(
                        name_loc,
                        format!("no shared parameter `{name}` in `params`"),
                    )
                })?;
                self.lower_field(wire, at, base, Some(value), context)
            }
            None => self.lower_field(wire, at, value, None, context),
        }
    }

    /// Lowers one field definition; `overrides` (an operation's use of a shared parameter) may
    /// set `required`, `description`, `doubt`.
    fn lower_field(
        &mut self,
        wire: &str,
        at: &Location,
        value: &Spanned<ast::FieldRef>,
        overrides: Option<&Spanned<ast::FieldRef>>,
        context: &str,
    ) -> Result<Field, SpecError> {
        let locate = self.locate;
        if !wire_name_ok(wire) {
            return Err(SpecError::new(
                at.clone(),
                format!("field name `{wire}` in {context} must be an identifier"),
            ));
        }
        let what = format!("field `{wire}` of {context}");
        let def = match &**value {
            ast::FieldRef::Def(def) if def.shared.is_none() => def,
            _ => {
                return Err(SpecError::new(
                    locate.at(value.span()),
                    format!("{what}: `shared` refers to `params` and applies to operation request fields only"),
                ))
            }
        };
        let span = value.span();
        let key_at = |key: &str| locate.key(span, key);
        let type_text = def.ty.as_ref().ok_or_else(|| {
            SpecError::new(
                locate.map_at(span),
                format!("{what} is missing required key `type`"),
            )
        })?;
        let items = def.items.as_ref();
        let items_loc = items.map_or_else(|| locate.map_at(span), |i| locate.at(i.span()));
        let ty = self.resolve_type(
            type_text.as_str(),
            &locate.at(type_text.span()),
            items.map(|i| i.as_str()),
            &items_loc,
            &what,
        )?;
        let mut required = def.required.as_ref().is_some_and(|r| **r);
        let max_length = def.max_length.as_ref().map(|v| **v);
        let min = def.min.as_ref().map(|v| **v);
        let max = def.max.as_ref().map(|v| **v);
        let mut description = text_of(&def.description);
        let mut doubt = text_of(&def.doubt);
        let currency_field = text_of(&def.currency_field);
        let source = match def.source.as_deref() {
            None | Some(ast::SourceName::Caller) => ValueSource::Caller,
            Some(ast::SourceName::Config) => ValueSource::Config,
            Some(ast::SourceName::Nonce) => ValueSource::Nonce,
            Some(ast::SourceName::Clock) => ValueSource::Clock,
        };
        let format = def.format.as_deref().map(|f| match f {
            ast::TimeFormatName::Compact => TimeFormat::Compact,
            ast::TimeFormatName::Iso8601 => TimeFormat::Iso8601,
        });
        let ty = match ty {
            FieldType::MinorUnits { .. } => FieldType::MinorUnits { currency_field },
            other => {
                if currency_field.is_some() {
                    return Err(SpecError::new(
                        key_at("currency_field"),
                        format!("`currency_field` only applies to `type: minor_units` ({what})"),
                    ));
                }
                other
            }
        };
        if max_length.is_some() && !matches!(ty, FieldType::String | FieldType::Url) {
            return Err(SpecError::new(
                key_at("max_length"),
                format!("`max_length` only applies to string and url fields ({what})"),
            ));
        }
        if (min.is_some() || max.is_some()) && ty != FieldType::Integer {
            return Err(SpecError::new(
                key_at(if min.is_some() { "min" } else { "max" }),
                format!("`min`/`max` only apply to integer fields ({what})"),
            ));
        }
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                return Err(SpecError::new(
                    key_at("min"),
                    format!("`min` {lo} is greater than `max` {hi} ({what})"),
                ));
            }
        }
        if !matches!(ty, FieldType::Array(_) | FieldType::StringArray) && items.is_some() {
            return Err(SpecError::new(
                key_at("items"),
                format!("`items` only applies to `type: array` ({what})"),
            ));
        }
        let rust = rust_field_name(wire);
        if !rust_ident_ok(&rust) {
            return Err(SpecError::new(
                at.clone(),
                format!(
                    "field name `{wire}` in {context} does not give a valid Rust name (`{rust}`)"
                ),
            ));
        }
        if rust == "unknown_members" {
            return Err(SpecError::new(
                at.clone(),
                format!(
                    "field name `{wire}` in {context} is reserved: generated answer types keep the members a spec does not declare in `unknown_members`"
                ),
            ));
        }
        if let Some(over) = overrides {
            if let ast::FieldRef::Def(o) = &**over {
                if let Some((key, _)) = o.definition_keys().first() {
                    return Err(SpecError::new(
                        locate.key(over.span(), key),
                        format!(
                            "unknown key `{key}` in {what} (only required, description, doubt may override a shared parameter)"
                        ),
                    ));
                }
                if let Some(r) = &o.required {
                    required = **r;
                }
                if let Some(d) = &o.description {
                    description = Some(d.to_string());
                }
                if let Some(d) = &o.doubt {
                    doubt = Some(d.to_string());
                }
            }
        }
        Ok(Field {
            wire: wire.to_owned(),
            rust,
            ty,
            required,
            max_length,
            min,
            max,
            description,
            doubt,
            source,
            format,
        })
    }

    fn resolve_type(
        &self,
        name: &str,
        at: &Location,
        items: Option<&str>,
        items_at: &Location,
        what: &str,
    ) -> Result<FieldType, SpecError> {
        Ok(match name {
            "string" => FieldType::String,
            "integer" => FieldType::Integer,
            "amount" => FieldType::Amount,
            "url" => FieldType::Url,
            "date" => FieldType::Date,
            "decimal" => FieldType::Decimal,
            "json" => FieldType::Json,
            "boolean" => FieldType::Boolean,
            "currency" => FieldType::Currency,
            "minor_units" => FieldType::MinorUnits { currency_field: None },
            "datetime" => FieldType::DateTime,
            "array" if items == Some("string") => FieldType::StringArray,
            "array" => {
                let item = items.ok_or_else(|| {
                    SpecError::new(at.clone(), format!("`type: array` needs `items: <object type>` or `items: string` ({what})"))
                })?;
                match self.type_kinds.get(item) {
                    Some(false) => FieldType::Array(item.to_owned()),
                    Some(true) => {
                        return Err(SpecError::new(items_at.clone(), format!("array items must be an object type, `{item}` is an enum ({what})")))
                    }
                    None => return Err(SpecError::new(items_at.clone(), format!("unknown type `{item}` ({what})"))),
                }
            }
            other => match self.type_kinds.get(other) {
                Some(true) => FieldType::Enum(other.to_owned()),
                Some(false) => FieldType::Object(other.to_owned()),
                None => {
                    return Err(SpecError::new(
                        at.clone(),
                        format!(
                            "unknown type `{other}` ({what}); built-in types are {} and the names under `types:`",
                            BUILTIN_TYPES.join(", ")
                        ),
                    ))
                }
            },
        })
    }

    fn lower_operation(
        &mut self,
        wire: &str,
        at: &Location,
        def: &Spanned<ast::OperationDef>,
        shared: &BTreeMap<String, &Spanned<ast::FieldRef>>,
        common: &[Field],
        hosts: &[Host],
    ) -> Result<Operation, SpecError> {
        let locate = self.locate;
        if !wire_name_ok(wire) || wire.starts_with('_') {
            return Err(SpecError::new(
                at.clone(),
                format!("operation name `{wire}` must be an identifier (snake_case or camelCase)"),
            ));
        }
        if !rust_ident_ok(&wire.to_upper_camel_case()) || !rust_ident_ok(&rust_field_name(wire)) {
            return Err(SpecError::new(
                at.clone(),
                format!("operation name `{wire}` does not give valid Rust names"),
            ));
        }
        let what = format!("operation `{wire}`");
        let host = def.host.to_string();
        if !hosts.iter().any(|h| h.name == host) {
            return Err(SpecError::new(
                locate.at(def.host.span()),
                format!("{what} uses unknown host `{host}`"),
            ));
        }
        let path = def.path.to_string();
        let path_loc = locate.at(def.path.span());
        if !path.starts_with('/') || path.contains(char::is_whitespace) || path.contains('?') {
            return Err(SpecError::new(
                path_loc,
                format!("path `{path}` must start with `/` and have no query or spaces"),
            ));
        }
        if let Some(other) = self
            .op_paths
            .insert(format!("{host} {path}"), wire.to_owned())
        {
            return Err(SpecError::new(
                path_loc,
                format!("operation `{other}` already uses path `{path}` on host `{host}`"),
            ));
        }
        let camel = wire.to_upper_camel_case();
        let req = &def.request;
        let req_what = format!("request of {what}");
        self.refuse_response_keys(req, &req_what)?;
        let (mut request, rules, request_type) = match self.transport {
            Transport::FormJson => {
                if req.ty.is_some() {
                    return Err(SpecError::new(
                        locate.key(req.span(), "type"),
                        format!("key `type` does not apply to {req_what}: a form request lists its `fields`"),
                    ));
                }
                let fields_map = req.fields.as_ref().ok_or_else(|| {
                    SpecError::new(
                        locate.map_at(req.span()),
                        format!("{req_what} is missing required key `fields`"),
                    )
                })?;
                let mut request = self.lower_fields(fields_map, Some(shared), &what)?;
                let field_loc = |wire: &str| locate.key(fields_map.span(), wire);
                for field in &request {
                    if let Some(c) = common.iter().find(|c| c.wire == field.wire) {
                        return Err(SpecError::new(
                            field_loc(&field.wire),
                            format!("{what} redefines common parameter `{}`", c.wire),
                        ));
                    }
                    if ["set", "build"].contains(&field.rust.as_str()) {
                        return Err(SpecError::new(
                            field_loc(&field.wire),
                            format!("request field `{}` of {what} clashes with the builder's own `{}` method", field.wire, field.rust),
                        ));
                    }
                    if matches!(
                        field.ty,
                        FieldType::Json
                            | FieldType::Object(_)
                            | FieldType::Array(_)
                            | FieldType::StringArray
                            | FieldType::Boolean
                            | FieldType::MinorUnits { .. }
                    ) {
                        return Err(SpecError::new(
                            field_loc(&field.wire),
                            format!(
                                "request field `{}` of {what}: the form transport only carries scalar parameters",
                                field.wire
                            ),
                        ));
                    }
                }
                let rules = match &req.rules {
                    Some(rules) => self.lower_rules(rules, &request, &what)?,
                    None => Vec::new(),
                };
                request.sort_by(|a, b| a.wire.as_bytes().cmp(b.wire.as_bytes()));
                (request, rules, None)
            }
            Transport::Json { .. } => {
                let name = self.data_type(req, &format!("{camel}Request"), &req_what)?;
                (Vec::new(), Vec::new(), Some(name))
            }
        };
        request.shrink_to_fit();
        let common_rules = self.lower_common_rules(def, common, &request, &what)?;

        let resp = &def.response;
        let resp_what = format!("response of {what}");
        let inline_suffix = match self.transport {
            Transport::FormJson => "Data",
            Transport::Json { .. } => "Response",
        };
        let status = text_of(&resp.status);
        if let Some(s) = &resp.status {
            self.item_locs
                .insert(format!("status:{wire}"), locate.at(s.span()));
        }
        let response_type = self.data_type(resp, &format!("{camel}{inline_suffix}"), &resp_what)?;
        let signed_fields = match &resp.signed_fields {
            Some(list) if !matches!(self.transport, Transport::FormJson) => {
                return Err(SpecError::new(
                    locate.at(list.span()),
                    "`signed_fields` only applies to the sorted-params scheme",
                ))
            }
            Some(list) => {
                if list.is_empty() {
                    return Err(SpecError::new(
                        locate.at(list.span()),
                        "`signed_fields` is empty",
                    ));
                }
                let fields = self.object_fields(&response_type);
                for (i, name) in list.iter().enumerate() {
                    if list[..i].iter().any(|other| **other == **name) {
                        return Err(SpecError::new(
                            locate.at(name.span()),
                            format!("`{}` is listed twice in `signed_fields`", name.as_str()),
                        ));
                    }
                    if !fields.iter().any(|f| *f == **name) {
                        return Err(SpecError::new(
                            locate.at(name.span()),
                            format!(
                                "signed field `{}` is not a response field of {what}",
                                name.as_str()
                            ),
                        ));
                    }
                }
                let mut names: Vec<String> = list.iter().map(|n| n.to_string()).collect();
                names.sort();
                names.dedup();
                Some(names)
            }
            None => None,
        };
        Ok(Operation {
            wire: wire.to_owned(),
            module: rust_field_name(wire),
            camel,
            host,
            path,
            description: text_of(&def.description),
            source: text_of(&def.source),
            doubt: text_of(&def.doubt),
            creates: def.creates.as_ref().is_some_and(|c| **c),
            request,
            request_type,
            rules,
            response_type,
            signed_fields,
            status,
            common_rules,
        })
    }

    /// An operation's `common:` rules over the spec's common parameters.
    fn lower_common_rules(
        &self,
        def: &Spanned<ast::OperationDef>,
        common: &[Field],
        request: &[Field],
        what: &str,
    ) -> Result<Vec<CommonRule>, SpecError> {
        let locate = self.locate;
        let Some(map) = &def.common else {
            return Ok(Vec::new());
        };
        if self.transport != Transport::FormJson {
            return Err(SpecError::new(
                locate.key(def.span(), "common"),
                format!("`common` of {what}: only form requests have common parameters"),
            ));
        }
        let mut rules: Vec<CommonRule> = Vec::new();
        for (name, rule) in map.iter() {
            let at = locate.key(map.span(), name);
            let Some(param) = common.iter().find(|c| c.wire == name) else {
                return Err(SpecError::new(
                    at,
                    format!("`{name}` in `common` of {what} is not a common parameter"),
                ));
            };
            if rule.required.is_none() && rule.also.is_none() {
                return Err(SpecError::new(
                    at,
                    format!("`common` `{name}` of {what} needs `required` or `also`"),
                ));
            }
            let mut aliases = Vec::new();
            for alias in rule.also.iter().flat_map(|a| a.iter()) {
                let alias_at = locate.at(alias.span());
                let taken = common.iter().any(|c| c.wire == **alias)
                    || request.iter().any(|f| f.wire == **alias)
                    || self.sign_param.as_deref() == Some(alias.as_str())
                    || rules.iter().any(|r| r.aliases.contains(alias))
                    || aliases.contains(&**alias);
                if !wire_name_ok(alias) || taken {
                    return Err(SpecError::new(
                        alias_at,
                        format!(
                            "`{}` cannot name `{name}` in {what}: it must be an identifier no parameter of the operation uses",
                            alias.as_str()
                        ),
                    ));
                }
                aliases.push(alias.to_string());
            }
            rules.push(CommonRule {
                name: name.to_owned(),
                required: rule.required.as_ref().map_or(param.required, |r| **r),
                aliases,
                doubt: text_of(&rule.doubt),
            });
        }
        Ok(rules)
    }

    /// `status` and `signed_fields` belong to responses only.
    fn refuse_response_keys(
        &self,
        body: &Spanned<ast::BodyDef>,
        what: &str,
    ) -> Result<(), SpecError> {
        let mut keys = Vec::new();
        if let Some(s) = &body.status {
            keys.push(("status", *s.span()));
        }
        if let Some(s) = &body.signed_fields {
            keys.push(("signed_fields", *s.span()));
        }
        refuse_keys(self.locate, body.span(), &keys, what)
    }

    /// A `rules:` list over `fields`.
    fn lower_rules(
        &self,
        list: &Spanned<Vec<Spanned<ast::RuleDef>>>,
        fields: &[Field],
        what: &str,
    ) -> Result<Vec<Rule>, SpecError> {
        let locate = self.locate;
        let field_named = |name: &Text| -> Result<&Field, SpecError> {
            fields.iter().find(|f| f.wire == **name).ok_or_else(|| {
                SpecError::new(
                    locate.at(name.span()),
                    format!(
                        "rule names `{}`, which is not a field of {what}",
                        name.as_str()
                    ),
                )
            })
        };
        let already_required = |name: &Text| {
            SpecError::new(
                locate.at(name.span()),
                format!("rule names `{}`, which is already required", name.as_str()),
            )
        };
        let mut rules = Vec::new();
        for rule in list.iter() {
            let doubt = text_of(&rule.doubt);
            let kinds = [
                rule.at_least_one_of.is_some(),
                rule.required_when.is_some(),
                rule.not_greater.is_some(),
            ];
            if kinds.iter().filter(|k| **k).count() != 1 {
                return Err(SpecError::new(
                    locate.map_at(rule.span()),
                    "a rule needs exactly one of `at_least_one_of`, `required_when` or `not_greater`",
                ));
            }
            if let Some(group) = &rule.at_least_one_of {
                if group.len() < 2 {
                    return Err(SpecError::new(
                        locate.at(group.span()),
                        "`at_least_one_of` needs at least two fields",
                    ));
                }
                for name in group.iter() {
                    if field_named(name)?.required {
                        return Err(already_required(name));
                    }
                }
                rules.push(Rule::AtLeastOneOf {
                    fields: group.iter().map(|n| n.to_string()).collect(),
                    doubt,
                });
            } else if let Some(cond) = &rule.required_when {
                if field_named(&cond.field)?.required {
                    return Err(already_required(&cond.field));
                }
                let when_field = field_named(&cond.when)?;
                if cond.values.is_empty() {
                    return Err(SpecError::new(
                        locate.at(cond.values.span()),
                        "`in` needs at least one value",
                    ));
                }
                if let FieldType::Enum(enum_name) = &when_field.ty {
                    let known = self.enum_values.get(enum_name.as_str());
                    for v in cond.values.iter() {
                        if known.is_some_and(|k| !k.iter().any(|x| *x == **v)) {
                            return Err(SpecError::new(
                                locate.at(v.span()),
                                format!("`{}` is not a value of enum `{enum_name}`", v.as_str()),
                            ));
                        }
                    }
                }
                rules.push(Rule::RequiredWhen {
                    field: cond.field.to_string(),
                    when: cond.when.to_string(),
                    values: cond.values.iter().map(|v| v.to_string()).collect(),
                    doubt,
                });
            } else if let Some(cmp) = &rule.not_greater {
                for name in [&cmp.field, &cmp.than] {
                    let f = field_named(name)?;
                    if !matches!(f.ty, FieldType::Amount | FieldType::Integer) {
                        return Err(SpecError::new(
                            locate.at(name.span()),
                            format!(
                                "`not_greater` compares integers; `{}` is not an amount or integer",
                                name.as_str()
                            ),
                        ));
                    }
                }
                if *cmp.field == *cmp.than {
                    return Err(SpecError::new(
                        locate.at(cmp.than.span()),
                        "`not_greater` compares two different fields",
                    ));
                }
                rules.push(Rule::NotGreater {
                    field: cmp.field.to_string(),
                    than: cmp.than.to_string(),
                    doubt,
                });
            }
        }
        Ok(rules)
    }

    /// `{type: Name}` or inline `{fields: ...}` (which becomes object type `inline_name`).
    fn data_type(
        &mut self,
        body: &Spanned<ast::BodyDef>,
        inline_name: &str,
        what: &str,
    ) -> Result<String, SpecError> {
        let locate = self.locate;
        match (&body.ty, &body.fields) {
            (Some(t), None) => {
                if body.rules.is_some() {
                    return Err(SpecError::new(
                        locate.key(body.span(), "rules"),
                        format!("key `rules` does not apply to {what} with `type` (rules belong to the type)"),
                    ));
                }
                let name = t.to_string();
                match self.type_kinds.get(&name) {
                    Some(false) => Ok(name),
                    Some(true) => Err(SpecError::new(
                        locate.at(t.span()),
                        format!("{what} must be an object type, `{name}` is an enum"),
                    )),
                    None => Err(SpecError::new(
                        locate.at(t.span()),
                        format!("unknown type `{name}` ({what})"),
                    )),
                }
            }
            (None, Some(fields)) => {
                if self.type_kinds.contains_key(inline_name) {
                    return Err(SpecError::new(
                        locate.map_at(body.span()),
                        format!(
                            "inline type `{inline_name}` of {what} clashes with a declared type"
                        ),
                    ));
                }
                let fields = self.lower_fields(fields, None, what)?;
                let rules = match &body.rules {
                    Some(rules) => self.lower_rules(rules, &fields, what)?,
                    None => Vec::new(),
                };
                self.type_kinds.insert(inline_name.to_owned(), false);
                self.item_locs
                    .insert(format!("type:{inline_name}"), locate.map_at(body.span()));
                let description = match self.transport {
                    Transport::FormJson => format!("`data` of the {what}."),
                    Transport::Json { .. } => format!("Body of the {what}."),
                };
                self.inline_types.push(TypeDef::Object {
                    name: inline_name.to_owned(),
                    description: Some(description),
                    fields,
                    rules,
                });
                Ok(inline_name.to_owned())
            }
            _ => Err(SpecError::new(
                locate.map_at(body.span()),
                format!("{what} needs exactly one of `type` or `fields`"),
            )),
        }
    }

    fn object_fields(&self, name: &str) -> Vec<String> {
        if let Some(fields) = self.declared_fields.get(name) {
            return fields.clone();
        }
        self.inline_types
            .iter()
            .find(|t| t.name() == name)
            .and_then(|t| match t {
                TypeDef::Object { fields, .. } => {
                    Some(fields.iter().map(|f| f.wire.clone()).collect())
                }
                TypeDef::Enum { .. } => None,
            })
            .unwrap_or_default()
    }

    fn lower_notification(
        &mut self,
        wire: &str,
        at: &Location,
        def: &Spanned<ast::NotificationDef>,
    ) -> Result<Notification, SpecError> {
        if !wire_name_ok(wire) {
            return Err(SpecError::new(
                at.clone(),
                format!("notification name `{wire}` must be an identifier"),
            ));
        }
        let what = format!("notification `{wire}`");
        let camel = wire.to_upper_camel_case();
        self.refuse_response_keys(&def.data, &format!("data of {what}"))?;
        let data_type = self.data_type(&def.data, &format!("{camel}Data"), &what)?;
        if def.reply.is_empty() {
            return Err(SpecError::new(
                self.locate.at(def.reply.span()),
                "`reply` is empty",
            ));
        }
        Ok(Notification {
            wire: wire.to_owned(),
            camel,
            description: text_of(&def.description),
            source: text_of(&def.source),
            data_type,
            reply: def.reply.to_string(),
        })
    }
}

/// Generated Rust item names must not collide (e.g. an operation `x` and a type `XRequest`).
fn check_unique_rust_names(
    types: &[TypeDef],
    operations: &[Operation],
    notifications: &[Notification],
    locs: &BTreeMap<String, Location>,
    fallback: &Location,
) -> Result<(), SpecError> {
    let at = |key: &str| locs.get(key).cloned().unwrap_or_else(|| fallback.clone());
    let mut names: Vec<(String, Location)> = types
        .iter()
        .map(|t| (t.name().to_owned(), at(&format!("type:{}", t.name()))))
        .collect();
    let mut request_types = BTreeSet::new();
    let mut op_names: BTreeMap<String, String> = BTreeMap::new();
    for op in operations {
        let op_at = at(&format!("op:{}", op.wire));
        for key in [op.camel.clone(), op.module.clone()] {
            if let Some(other) = op_names.insert(key.clone(), op.wire.clone()) {
                return Err(SpecError::new(
                    op_at,
                    format!(
                        "operations `{other}` and `{}` both map to Rust name `{key}`",
                        op.wire
                    ),
                ));
            }
        }
        match &op.request_type {
            None => {
                names.push((format!("{}Request", op.camel), op_at.clone()));
                names.push((format!("{}RequestBuilder", op.camel), op_at));
            }
            Some(t) => {
                if !request_types.insert(t.clone()) {
                    return Err(SpecError::new(
                        op_at,
                        format!("two operations use request type `{t}`; each operation needs its own request type"),
                    ));
                }
            }
        }
    }
    for n in notifications {
        names.push((
            format!("{}Notification", n.camel),
            at(&format!("notification:{}", n.wire)),
        ));
    }
    let mut seen = BTreeSet::new();
    for (name, name_at) in names {
        if !seen.insert(name.clone()) {
            return Err(SpecError::new(
                name_at,
                format!("two spec items generate the Rust type `{name}`"),
            ));
        }
    }
    Ok(())
}
