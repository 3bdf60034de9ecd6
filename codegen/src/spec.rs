//! Spec YAML → validated [`ir::Api`]. Every problem is a located [`SpecError`].

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use marked_yaml::Node;
use sha2::{Digest as _, Sha256};

use crate::error::{Location, SpecError};
use crate::ir::*;
use crate::yaml::{self, loc, Map};

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
    let mut top = yaml::map(path, &root, "the spec")?;
    let file = path;

    let (name, name_loc) = top.req_str("api", "the spec")?;
    if name.is_empty()
        || !name.starts_with(|c: char| c.is_ascii_lowercase())
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Err(SpecError::new(
            name_loc,
            format!(
                "`api` must be lowercase letters and digits (it names the crate), found `{name}`"
            ),
        ));
    }
    let (title, _) = top.req_str("title", "the spec")?;
    let description = top.opt_str("description")?.unwrap_or_default();
    let source = top.opt_str("source")?;

    let hosts = parse_hosts(file, top.req("hosts", "the spec")?)?;
    let transport = parse_transport(file, top.req("transport", "the spec")?)?;
    let signature = parse_signature(file, top.req("signature", "the spec")?)?;
    match (&transport, &signature) {
        (Transport::FormJson, Signature::SortedParams { .. }) | (Transport::Json { .. }, Signature::HeaderRsa { .. }) => {}
        _ => {
            return Err(SpecError::new(
                top.loc(),
                "scheme `sorted-params` needs the form-urlencoded transport and `header-rsa` the json transport",
            ))
        }
    }

    // Types: first collect names and kinds so fields can refer to any type in any order.
    let types_node = top.get("types");
    let mut type_kinds: BTreeMap<String, bool> = BTreeMap::new(); // name -> is_enum
    let mut enum_values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(node) = types_node {
        let types = yaml::map(file, node, "`types`")?;
        for (key, value) in types.entries() {
            check_type_name(file, key.as_str(), &loc(file, key.span()))?;
            let body = yaml::map(file, value, &format!("type `{}`", key.as_str()))?;
            let values = body.node.get_node("values");
            type_kinds.insert(key.as_str().to_owned(), values.is_some());
            let names: Vec<String> = match values {
                Some(Node::Mapping(m)) => m.keys().map(|k| k.as_str().to_owned()).collect(),
                Some(Node::Sequence(seq)) => seq
                    .iter()
                    .filter_map(|n| n.as_scalar().map(|s| s.as_str().to_owned()))
                    .collect(),
                _ => Vec::new(),
            };
            if values.is_some() {
                enum_values.insert(key.as_str().to_owned(), names);
            }
        }
    }
    let mut ctx = Ctx {
        file,
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
    if let Some(node) = types_node {
        let map = yaml::map(file, node, "`types`")?;
        for (key, value) in map.entries() {
            ctx.item_locs
                .insert(format!("type:{}", key.as_str()), loc(file, key.span()));
            types.push(ctx.parse_type(key.as_str(), value)?);
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

    let (envelope, envelope_description) = match top.get("envelope") {
        Some(node) => {
            let mut env = yaml::map(file, node, "`envelope`")?;
            let description = env.opt_str("description")?;
            let fields = ctx.parse_fields(env.req("fields", "`envelope`")?, None, "envelope")?;
            env.deny_unknown("`envelope`")?;
            (fields, description)
        }
        None => (Vec::new(), None),
    };

    let common = match top.get("common") {
        Some(node) => ctx.parse_fields(node, None, "common")?,
        None => Vec::new(),
    };
    let shared: BTreeMap<String, &Node> = match top.get("params") {
        Some(node) => {
            let map = yaml::map(file, node, "`params`")?;
            let mut out = BTreeMap::new();
            for (key, value) in map.entries() {
                // Validate each shared definition once, on its own.
                ctx.parse_field(key.as_str(), &loc(file, key.span()), value, None, "params")?;
                out.insert(key.as_str().to_owned(), value);
            }
            out
        }
        None => BTreeMap::new(),
    };

    let ops_node = top.req("operations", "the spec")?;
    let ops_map = yaml::map(file, ops_node, "`operations`")?;
    let mut operations = Vec::new();
    for (key, value) in ops_map.entries() {
        ctx.item_locs
            .insert(format!("op:{}", key.as_str()), loc(file, key.span()));
        operations.push(ctx.parse_operation(
            key.as_str(),
            &loc(file, key.span()),
            value,
            &shared,
            &common,
            &hosts,
        )?);
    }
    if operations.is_empty() {
        return Err(SpecError::new(
            loc(file, ops_node.span()),
            "`operations` is empty",
        ));
    }

    let mut notifications = Vec::new();
    if let Some(node) = top.get("notifications") {
        let map = yaml::map(file, node, "`notifications`")?;
        for (key, value) in map.entries() {
            ctx.item_locs.insert(
                format!("notification:{}", key.as_str()),
                loc(file, key.span()),
            );
            notifications.push(ctx.parse_notification(
                key.as_str(),
                &loc(file, key.span()),
                value,
            )?);
        }
    }
    top.deny_unknown("the spec")?;

    types.append(&mut ctx.inline_types);
    check_no_recursive_objects(&types, &ctx.item_locs, &top.loc())?;
    check_statuses(&operations, &types, &ctx.item_locs, &top.loc())?;
    check_unique_rust_names(
        &types,
        &operations,
        &notifications,
        &ctx.item_locs,
        &top.loc(),
    )?;

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

struct Ctx<'a> {
    file: &'a str,
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

fn parse_hosts(file: &str, node: &Node) -> Result<Vec<Host>, SpecError> {
    let map = yaml::map(file, node, "`hosts`")?;
    let mut hosts = Vec::new();
    for (key, value) in map.entries() {
        let at = loc(file, key.span());
        if !wire_name_ok(key.as_str()) {
            return Err(SpecError::new(
                at,
                format!("host name `{}` must be an identifier", key.as_str()),
            ));
        }
        let variant = key.as_str().to_upper_camel_case();
        if !rust_ident_ok(&variant) || key.as_str().starts_with('_') {
            return Err(SpecError::new(
                at,
                format!(
                    "host name `{}` does not give a valid Rust variant name",
                    key.as_str()
                ),
            ));
        }
        if let Some(other) = hosts
            .iter()
            .find(|h: &&Host| h.name.to_upper_camel_case() == variant)
        {
            return Err(SpecError::new(
                at,
                format!(
                    "hosts `{}` and `{}` both map to Rust variant `Host::{variant}`",
                    other.name,
                    key.as_str()
                ),
            ));
        }
        let mut host = yaml::map(file, value, &format!("host `{}`", key.as_str()))?;
        let description = host.opt_str("description")?;
        let envs_node = host.req("environments", &format!("host `{}`", key.as_str()))?;
        let envs = yaml::map(file, envs_node, "`environments`")?;
        let mut environments = Vec::new();
        for (env, url) in envs.entries() {
            let url_text = yaml::string(file, url, "an environment URL")?;
            let rest = url_text
                .strip_prefix("https://")
                .or_else(|| url_text.strip_prefix("http://"));
            let bad_char = url_text
                .chars()
                .find(|c| c.is_whitespace() || c.is_control() || "\"'\\<>`{}|^".contains(*c));
            if let Some(c) = bad_char {
                return Err(SpecError::new(
                    loc(file, url.span()),
                    format!(
                        "environment `{}` URL contains {c:?}, which a URL cannot hold unencoded",
                        env.as_str()
                    ),
                ));
            }
            if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
                return Err(SpecError::new(
                    loc(file, url.span()),
                    format!(
                        "environment `{}` must be an http(s) URL, found `{url_text}`",
                        env.as_str()
                    ),
                ));
            }
            if !wire_name_ok(env.as_str()) {
                return Err(SpecError::new(
                    loc(file, env.span()),
                    format!("environment name `{}` must be an identifier", env.as_str()),
                ));
            }
            environments.push((
                env.as_str().to_owned(),
                url_text.trim_end_matches('/').to_owned(),
            ));
        }
        if environments.is_empty() {
            return Err(SpecError::new(
                loc(file, envs_node.span()),
                "a host needs at least one environment",
            ));
        }
        host.deny_unknown(&format!("host `{}`", key.as_str()))?;
        hosts.push(Host {
            name: key.as_str().to_owned(),
            description,
            environments,
        });
    }
    if hosts.is_empty() {
        return Err(SpecError::new(loc(file, node.span()), "`hosts` is empty"));
    }
    Ok(hosts)
}

fn expect_value(
    map: &mut Map<'_>,
    key: &'static str,
    allowed: &[&str],
    what: &str,
) -> Result<String, SpecError> {
    let node = map.req(key, what)?;
    let value = yaml::string(map.file, node, &format!("`{key}`"))?;
    if !allowed.contains(&value.as_str()) {
        return Err(SpecError::new(
            loc(map.file, node.span()),
            format!(
                "unsupported {key} `{value}` in {what} (supported: {})",
                allowed.join(", ")
            ),
        ));
    }
    Ok(value)
}

fn parse_transport(file: &str, node: &Node) -> Result<Transport, SpecError> {
    let mut map = yaml::map(file, node, "`transport`")?;
    expect_value(&mut map, "method", &["POST"], "`transport`")?;
    let request = expect_value(
        &mut map,
        "request",
        &["form-urlencoded", "json"],
        "`transport`",
    )?;
    expect_value(&mut map, "response", &["json"], "`transport`")?;
    let scalars_as_strings = map.opt_bool("scalars_as_strings")?;
    map.deny_unknown("`transport`")?;
    if request == "json" {
        Ok(Transport::Json {
            scalars_as_strings: scalars_as_strings.unwrap_or(false),
        })
    } else {
        if scalars_as_strings.is_some() {
            return Err(SpecError::new(
                map.loc(),
                "`scalars_as_strings` only applies to the json request transport",
            ));
        }
        Ok(Transport::FormJson)
    }
}

fn parse_signature(file: &str, node: &Node) -> Result<Signature, SpecError> {
    let mut map = yaml::map(file, node, "`signature`")?;
    let scheme = expect_value(
        &mut map,
        "scheme",
        &["sorted-params", "header-rsa"],
        "`signature`",
    )?;
    if scheme == "header-rsa" {
        return parse_header_rsa(map);
    }
    let digest = match expect_value(&mut map, "digest", &["md5", "sha256"], "`signature`")?.as_str()
    {
        "md5" => Digest::Md5,
        _ => Digest::Sha256,
    };
    expect_value(&mut map, "encoding", &["hex-lower"], "`signature`")?;
    let (param, param_loc) = map.req_str("param", "`signature`")?;
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
    let mut response = yaml::map(
        file,
        map.req("response", "`signature`")?,
        "`signature.response`",
    )?;
    expect_value(&mut response, "signed", &["data"], "`signature.response`")?;
    expect_value(
        &mut response,
        "nested",
        &["compact-sorted-json"],
        "`signature.response`",
    )?;
    let success_code = response.opt_u64("success_code")?.unwrap_or(0);
    // The runtime's envelope check accepts `code` 0 only.
    if success_code != 0 {
        return Err(SpecError::new(
            response.value_loc("success_code"),
            format!("`success_code` {success_code} is not supported: the sorted-params runtime accepts code 0 only"),
        ));
    }
    let mut retryable_codes = Vec::new();
    if let Some(node) = response.get("retryable_codes") {
        for (text, at) in yaml::string_list(file, node, "`retryable_codes`")? {
            let code: u64 = text.parse().map_err(|_| {
                SpecError::new(
                    at.clone(),
                    format!("retryable code `{text}` is not an integer"),
                )
            })?;
            if code == success_code || retryable_codes.contains(&code) {
                return Err(SpecError::new(
                    at,
                    format!("retryable code `{text}` is the success code or listed twice"),
                ));
            }
            retryable_codes.push(code);
        }
    }
    response.deny_unknown("`signature.response`")?;
    let (gateway_key_pem, gateway_key_description) = match map.get("gateway_public_key") {
        Some(node) => {
            let mut key = yaml::map(file, node, "`gateway_public_key`")?;
            let (pem, pem_loc) = key.req_str("pem", "`gateway_public_key`")?;
            if let Err(why) = check_public_key_pem(&pem) {
                return Err(SpecError::new(
                    pem_loc,
                    format!("`pem` must be one PEM public key: {why}"),
                ));
            }
            let description = key.opt_str("description")?;
            key.deny_unknown("`gateway_public_key`")?;
            (Some(pem), description)
        }
        None => (None, None),
    };
    map.deny_unknown("`signature`")?;
    Ok(Signature::SortedParams {
        digest,
        param,
        success_code,
        retryable_codes,
        gateway_key_pem,
        gateway_key_description,
    })
}

fn parse_header_rsa(mut map: Map<'_>) -> Result<Signature, SpecError> {
    let file = map.file;
    let digest = match expect_value(&mut map, "digest", &["sha256"], "`signature`")?.as_str() {
        "sha256" => Digest::Sha256,
        _ => Digest::Md5,
    };
    expect_value(&mut map, "encoding", &["base64-percent"], "`signature`")?;
    let key_version = map.opt_u64("key_version")?.unwrap_or(1);
    let request_time_format = match map.get("request_time_format") {
        Some(_) => match expect_value(
            &mut map,
            "request_time_format",
            &["iso8601", "epoch_ms"],
            "`signature`",
        )?
        .as_str()
        {
            "epoch_ms" => RequestTimeFormat::EpochMillis,
            _ => RequestTimeFormat::Iso8601,
        },
        None => RequestTimeFormat::Iso8601,
    };
    let (unsigned_status, unsigned_allowed) = match map.get("unsigned_response") {
        Some(node) => {
            let mut u = yaml::map(file, node, "`unsigned_response`")?;
            let status =
                yaml::string_list(file, u.req("status", "`unsigned_response`")?, "`status`")?;
            let allowed =
                yaml::string_list(file, u.req("allowed", "`unsigned_response`")?, "`allowed`")?;
            if status.is_empty() || allowed.is_empty() {
                return Err(SpecError::new(
                    u.loc(),
                    "`unsigned_response` needs a non-empty `status` path and `allowed` list",
                ));
            }
            u.deny_unknown("`unsigned_response`")?;
            (
                status.into_iter().map(|(s, _)| s).collect(),
                allowed.into_iter().map(|(s, _)| s).collect(),
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    let notification_tolerance_seconds = map
        .opt_u64("notification_tolerance_seconds")?
        .unwrap_or(300);
    let headers = match map.get("headers") {
        Some(node) => {
            let mut h = yaml::map(file, node, "`headers`")?;
            let mut name = |key: &'static str, default: &str| -> Result<String, SpecError> {
                let value = h.opt_str(key)?.unwrap_or_else(|| default.to_owned());
                if value.is_empty() || value.chars().any(|c| c.is_control()) {
                    return Err(SpecError::new(
                        h.value_loc(key),
                        format!("header `{key}` must be a non-empty header value"),
                    ));
                }
                Ok(value)
            };
            let headers = SignatureHeaders {
                signature: name("signature", "Signature")?,
                client_id: name("client_id", "Client-Id")?,
                request_time: name("request_time", "Request-Time")?,
                response_time: name("response_time", "Response-Time")?,
                content_type: name("content_type", "application/json; charset=UTF-8")?,
            };
            h.deny_unknown("`headers`")?;
            headers
        }
        None => SignatureHeaders {
            signature: "Signature".into(),
            client_id: "Client-Id".into(),
            request_time: "Request-Time".into(),
            response_time: "Response-Time".into(),
            content_type: "application/json; charset=UTF-8".into(),
        },
    };
    map.deny_unknown("`signature`")?;
    Ok(Signature::HeaderRsa {
        digest,
        key_version,
        request_time_format,
        unsigned_status,
        unsigned_allowed,
        notification_tolerance_seconds,
        headers,
    })
}

impl<'a> Ctx<'a> {
    fn parse_type(&mut self, name: &str, node: &Node) -> Result<TypeDef, SpecError> {
        let file = self.file;
        let what = format!("type `{name}`");
        let mut map = yaml::map(file, node, &what)?;
        let description = map.opt_str("description")?;
        let values = map.get("values");
        let fields = map.get("fields");
        let def = match (values, fields) {
            (Some(values), None) => {
                let open = map.opt_bool("open")?.unwrap_or(false);
                let mut parsed = Vec::new();
                let mut variants: BTreeMap<String, String> = BTreeMap::new();
                let items: Vec<(String, Location, Option<String>)> = match values {
                    Node::Mapping(_) => {
                        let m = yaml::map(file, values, "`values`")?;
                        m.entries()
                            .map(|(k, v)| {
                                let d = yaml::string(file, v, "a value description")?;
                                Ok((
                                    k.as_str().to_owned(),
                                    loc(file, k.span()),
                                    Some(d).filter(|d| !d.is_empty()),
                                ))
                            })
                            .collect::<Result<_, SpecError>>()?
                    }
                    _ => yaml::string_list(file, values, "`values`")?
                        .into_iter()
                        .map(|(v, l)| (v, l, None))
                        .collect(),
                };
                if items.is_empty() {
                    return Err(SpecError::new(
                        loc(file, values.span()),
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
                let outcome = match map.get("outcome") {
                    Some(node) => {
                        let m = yaml::map(file, node, "`outcome`")?;
                        let mut out = Vec::new();
                        for (k, v) in m.entries() {
                            let label = yaml::string(file, v, "an outcome")?;
                            if !["success", "failure", "unknown"].contains(&label.as_str()) {
                                return Err(SpecError::new(
                                    loc(file, v.span()),
                                    format!(
                                        "outcome `{label}` must be success, failure or unknown"
                                    ),
                                ));
                            }
                            if !parsed.iter().any(|(w, _, _)| w == k.as_str()) {
                                return Err(SpecError::new(
                                    loc(file, k.span()),
                                    format!(
                                        "outcome names `{}`, which is not a value of enum `{name}`",
                                        k.as_str()
                                    ),
                                ));
                            }
                            out.push((k.as_str().to_owned(), label));
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
                let fields = self.parse_fields(fields, None, &what)?;
                let rules = match map.get("rules") {
                    Some(node) => self.parse_rules(node, &fields, &what)?,
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
                    map.loc(),
                    format!("{what} has both `values` (enum) and `fields` (object)"),
                ))
            }
            (None, None) => {
                return Err(SpecError::new(
                    map.loc(),
                    format!("{what} needs `values` (an enum) or `fields` (an object)"),
                ))
            }
        };
        map.deny_unknown(&what)?;
        Ok(def)
    }

    /// Parses a `fields:` mapping. With `shared`, a field may be `name: shared` or
    /// `{shared: true | <name>, ...overrides}`.
    fn parse_fields(
        &mut self,
        node: &Node,
        shared: Option<&BTreeMap<String, &Node>>,
        context: &str,
    ) -> Result<Vec<Field>, SpecError> {
        let file = self.file;
        let map = yaml::map(file, node, &format!("fields of {context}"))?;
        let mut fields: Vec<Field> = Vec::new();
        let mut rust_names: BTreeMap<String, String> = BTreeMap::new();
        if map.entries().count() > MAX_FIELDS {
            return Err(SpecError::new(
                loc(file, node.span()),
                format!("more than {MAX_FIELDS} fields in {context}"),
            ));
        }
        for (key, value) in map.entries() {
            let at = loc(file, key.span());
            let is_request = shared.is_some() || context == "common";
            if is_request && self.sign_param.as_deref() == Some(key.as_str()) {
                return Err(SpecError::new(
                    at,
                    format!(
                        "`{}` is the signature parameter; a request field of that name would be signed and sent twice",
                        key.as_str()
                    ),
                ));
            }
            let field = match shared {
                Some(shared) => self.parse_op_field(key.as_str(), &at, value, shared, context)?,
                None => self.parse_field(key.as_str(), &at, value, None, context)?,
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

    fn parse_op_field(
        &mut self,
        wire: &str,
        at: &Location,
        node: &Node,
        shared: &BTreeMap<String, &Node>,
        context: &str,
    ) -> Result<Field, SpecError> {
        let file = self.file;
        let shared_name = match node {
            Node::Scalar(s) if s.as_str() == "shared" => {
                Some((wire.to_owned(), loc(file, node.span())))
            }
            Node::Mapping(m) => match m.get_node("shared") {
                Some(flag) => {
                    let text = yaml::string(file, flag, "`shared`")?;
                    match text.as_str() {
                        "true" => Some((wire.to_owned(), loc(file, flag.span()))),
                        "false" => None,
                        other => Some((other.to_owned(), loc(file, flag.span()))),
                    }
                }
                None => None,
            },
            _ => None,
        };
        match shared_name {
            Some((name, name_loc)) => {
                let base = shared.get(&name).ok_or_else(|| {
                    SpecError::new(
                        name_loc,
                        format!("no shared parameter `{name}` in `params`"),
                    )
                })?;
                let overrides = match node {
                    Node::Mapping(_) => Some(node),
                    _ => None,
                };
                self.parse_field(wire, at, base, overrides, context)
            }
            None => self.parse_field(wire, at, node, None, context),
        }
    }

    /// Parses one field definition; `overrides` (an operation's use of a shared parameter) may set
    /// `required`, `description`, `doubt`.
    fn parse_field(
        &mut self,
        wire: &str,
        at: &Location,
        node: &Node,
        overrides: Option<&Node>,
        context: &str,
    ) -> Result<Field, SpecError> {
        let file = self.file;
        if !wire_name_ok(wire) {
            return Err(SpecError::new(
                at.clone(),
                format!("field name `{wire}` in {context} must be an identifier"),
            ));
        }
        let what = format!("field `{wire}` of {context}");
        let mut map = yaml::map(file, node, &what)?;
        let (type_name, type_loc) = map.req_str("type", &what)?;
        let items = map.opt_str("items")?;
        let items_loc = map.value_loc("items");
        let ty = self.resolve_type(&type_name, &type_loc, items.as_deref(), &items_loc, &what)?;
        let mut required = map.opt_bool("required")?.unwrap_or(false);
        let max_length = map.opt_u64("max_length")?;
        let min = map.opt_u64("min")?;
        let max = map.opt_u64("max")?;
        let mut description = map.opt_str("description")?;
        let mut doubt = map.opt_str("doubt")?;
        let format = map.opt_str("format")?;
        let currency_field = map.opt_str("currency_field")?;
        let source = match map.get("source") {
            None => ValueSource::Caller,
            Some(n) => match yaml::string(file, n, "`source`")?.as_str() {
                "caller" => ValueSource::Caller,
                "config" => ValueSource::Config,
                "nonce" => ValueSource::Nonce,
                "clock" => ValueSource::Clock,
                other => {
                    return Err(SpecError::new(
                        loc(file, n.span()),
                        format!(
                            "unknown value source `{other}` (known: caller, config, nonce, clock)"
                        ),
                    ))
                }
            },
        };
        let format = match format.as_deref() {
            None => None,
            Some("yyyyMMddHHmmss") => Some(TimeFormat::Compact),
            Some("iso8601") => Some(TimeFormat::Iso8601),
            Some(f) => {
                return Err(SpecError::new(
                    map.value_loc("format"),
                    format!("unknown time format `{f}` (known: yyyyMMddHHmmss, iso8601)"),
                ))
            }
        };
        let ty = match ty {
            FieldType::MinorUnits { .. } => FieldType::MinorUnits { currency_field },
            other => {
                if currency_field.is_some() {
                    return Err(SpecError::new(
                        map.key_loc("currency_field"),
                        format!("`currency_field` only applies to `type: minor_units` ({what})"),
                    ));
                }
                other
            }
        };
        if max_length.is_some() && !matches!(ty, FieldType::String | FieldType::Url) {
            return Err(SpecError::new(
                map.key_loc("max_length"),
                format!("`max_length` only applies to string and url fields ({what})"),
            ));
        }
        if (min.is_some() || max.is_some()) && ty != FieldType::Integer {
            return Err(SpecError::new(
                map.key_loc(if min.is_some() { "min" } else { "max" }),
                format!("`min`/`max` only apply to integer fields ({what})"),
            ));
        }
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                return Err(SpecError::new(
                    map.key_loc("min"),
                    format!("`min` {lo} is greater than `max` {hi} ({what})"),
                ));
            }
        }
        if !matches!(ty, FieldType::Array(_) | FieldType::StringArray) && items.is_some() {
            return Err(SpecError::new(
                map.key_loc("items"),
                format!("`items` only applies to `type: array` ({what})"),
            ));
        }
        map.deny_unknown(&what)?;
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
            let mut o = yaml::map(file, over, &what)?;
            o.get("shared");
            if let Some(r) = o.opt_bool("required")? {
                required = r;
            }
            if let Some(d) = o.opt_str("description")? {
                description = Some(d);
            }
            if let Some(d) = o.opt_str("doubt")? {
                doubt = Some(d);
            }
            o.deny_unknown(&format!(
                "{what} (only required, description, doubt may override a shared parameter)"
            ))?;
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

    fn parse_operation(
        &mut self,
        wire: &str,
        at: &Location,
        node: &Node,
        shared: &BTreeMap<String, &Node>,
        common: &[Field],
        hosts: &[Host],
    ) -> Result<Operation, SpecError> {
        let file = self.file;
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
        let mut map = yaml::map(file, node, &what)?;
        let (host, host_loc) = map.req_str("host", &what)?;
        if !hosts.iter().any(|h| h.name == host) {
            return Err(SpecError::new(
                host_loc,
                format!("{what} uses unknown host `{host}`"),
            ));
        }
        let (path, path_loc) = map.req_str("path", &what)?;
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
        let description = map.opt_str("description")?;
        let source = map.opt_str("source")?;
        let doubt = map.opt_str("doubt")?;
        let creates = map.opt_bool("creates")?.unwrap_or(false);

        let camel = wire.to_upper_camel_case();
        let req_node = map.req("request", &what)?;
        let mut req = yaml::map(file, req_node, &format!("request of {what}"))?;
        let (mut request, rules, request_type) = match self.transport {
            Transport::FormJson => {
                let mut request = self.parse_fields(
                    req.req("fields", &format!("request of {what}"))?,
                    Some(shared),
                    &what,
                )?;
                let fields_map = req
                    .node
                    .get_node("fields")
                    .and_then(|n| yaml::map(file, n, "fields").ok());
                let field_loc = |wire: &str| {
                    fields_map
                        .as_ref()
                        .map_or_else(|| at.clone(), |m| m.key_loc(wire))
                };
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
                let rules = match req.get("rules") {
                    Some(node) => self.parse_rules(node, &request, &what)?,
                    None => Vec::new(),
                };
                request.sort_by(|a, b| a.wire.as_bytes().cmp(b.wire.as_bytes()));
                (request, rules, None)
            }
            Transport::Json { .. } => {
                let name = self.data_type(
                    &mut req,
                    &format!("{camel}Request"),
                    &format!("request of {what}"),
                )?;
                (Vec::new(), Vec::new(), Some(name))
            }
        };
        req.deny_unknown(&format!("request of {what}"))?;
        request.shrink_to_fit();

        let resp_node = map.req("response", &what)?;
        let mut resp = yaml::map(file, resp_node, &format!("response of {what}"))?;
        let inline_suffix = match self.transport {
            Transport::FormJson => "Data",
            Transport::Json { .. } => "Response",
        };
        let status = resp.opt_str("status")?;
        if status.is_some() {
            self.item_locs
                .insert(format!("status:{wire}"), resp.value_loc("status"));
        }
        let response_type = self.data_type(
            &mut resp,
            &format!("{camel}{inline_suffix}"),
            &format!("response of {what}"),
        )?;
        let signed_fields = match resp.get("signed_fields") {
            Some(node) if !matches!(self.transport, Transport::FormJson) => {
                return Err(SpecError::new(
                    loc(file, node.span()),
                    "`signed_fields` only applies to the sorted-params scheme",
                ))
            }
            Some(node) => {
                let list = yaml::string_list(file, node, "`signed_fields`")?;
                if list.is_empty() {
                    return Err(SpecError::new(
                        loc(file, node.span()),
                        "`signed_fields` is empty",
                    ));
                }
                let fields = self.object_fields(&response_type);
                for (i, (name, name_loc)) in list.iter().enumerate() {
                    if list[..i].iter().any(|(other, _)| other == name) {
                        return Err(SpecError::new(
                            name_loc.clone(),
                            format!("`{name}` is listed twice in `signed_fields`"),
                        ));
                    }
                    if !fields.iter().any(|f| f == name) {
                        return Err(SpecError::new(
                            name_loc.clone(),
                            format!("signed field `{name}` is not a response field of {what}"),
                        ));
                    }
                }
                let mut names: Vec<String> = list.into_iter().map(|(n, _)| n).collect();
                names.sort();
                names.dedup();
                Some(names)
            }
            None => None,
        };
        resp.deny_unknown(&format!("response of {what}"))?;
        map.deny_unknown(&what)?;
        Ok(Operation {
            wire: wire.to_owned(),
            module: rust_field_name(wire),
            camel,
            host,
            path,
            description,
            source,
            doubt,
            creates,
            request,
            request_type,
            rules,
            response_type,
            signed_fields,
            status,
        })
    }

    /// A `rules:` list over `fields`.
    fn parse_rules(
        &self,
        node: &Node,
        fields: &[Field],
        what: &str,
    ) -> Result<Vec<Rule>, SpecError> {
        let file = self.file;
        let Node::Sequence(seq) = node else {
            return Err(SpecError::new(
                loc(file, node.span()),
                "`rules` must be a list",
            ));
        };
        let field_named = |name: &str, at: &Location| -> Result<&Field, SpecError> {
            fields.iter().find(|f| f.wire == name).ok_or_else(|| {
                SpecError::new(
                    at.clone(),
                    format!("rule names `{name}`, which is not a field of {what}"),
                )
            })
        };
        let mut rules = Vec::new();
        for rule in seq.iter() {
            let mut r = yaml::map(file, rule, "a rule")?;
            let doubt = r.opt_str("doubt")?;
            if let Some(group_node) = r.get("at_least_one_of") {
                let group = yaml::string_list(file, group_node, "`at_least_one_of`")?;
                if group.len() < 2 {
                    return Err(SpecError::new(
                        loc(file, group_node.span()),
                        "`at_least_one_of` needs at least two fields",
                    ));
                }
                for (name, name_loc) in &group {
                    if field_named(name, name_loc)?.required {
                        return Err(SpecError::new(
                            name_loc.clone(),
                            format!("rule names `{name}`, which is already required"),
                        ));
                    }
                }
                r.deny_unknown("a rule")?;
                rules.push(Rule::AtLeastOneOf {
                    fields: group.into_iter().map(|(n, _)| n).collect(),
                    doubt,
                });
            } else if let Some(cond_node) = r.get("required_when") {
                let mut c = yaml::map(file, cond_node, "`required_when`")?;
                let (field, field_loc) = c.req_str("field", "`required_when`")?;
                let (when, when_loc) = c.req_str("when", "`required_when`")?;
                let values_node = c.req("in", "`required_when`")?;
                let values = yaml::string_list(file, values_node, "`in`")?;
                c.deny_unknown("`required_when`")?;
                if field_named(&field, &field_loc)?.required {
                    return Err(SpecError::new(
                        field_loc,
                        format!("rule names `{field}`, which is already required"),
                    ));
                }
                let when_field = field_named(&when, &when_loc)?;
                if values.is_empty() {
                    return Err(SpecError::new(
                        loc(file, values_node.span()),
                        "`in` needs at least one value",
                    ));
                }
                if let FieldType::Enum(enum_name) = &when_field.ty {
                    let known = self.enum_values.get(enum_name.as_str());
                    for (v, v_loc) in &values {
                        if known.is_some_and(|k| !k.iter().any(|x| x == v)) {
                            return Err(SpecError::new(
                                v_loc.clone(),
                                format!("`{v}` is not a value of enum `{enum_name}`"),
                            ));
                        }
                    }
                }
                r.deny_unknown("a rule")?;
                rules.push(Rule::RequiredWhen {
                    field,
                    when,
                    values: values.into_iter().map(|(v, _)| v).collect(),
                    doubt,
                });
            } else if let Some(cmp_node) = r.get("not_greater") {
                let mut c = yaml::map(file, cmp_node, "`not_greater`")?;
                let (field, field_loc) = c.req_str("field", "`not_greater`")?;
                let (than, than_loc) = c.req_str("than", "`not_greater`")?;
                c.deny_unknown("`not_greater`")?;
                for (name, name_loc) in [(&field, &field_loc), (&than, &than_loc)] {
                    let f = field_named(name, name_loc)?;
                    if !matches!(f.ty, FieldType::Amount | FieldType::Integer) {
                        return Err(SpecError::new(
                            name_loc.clone(),
                            format!("`not_greater` compares integers; `{name}` is not an amount or integer"),
                        ));
                    }
                }
                if field == than {
                    return Err(SpecError::new(
                        than_loc,
                        "`not_greater` compares two different fields",
                    ));
                }
                r.deny_unknown("a rule")?;
                rules.push(Rule::NotGreater { field, than, doubt });
            } else {
                return Err(SpecError::new(
                    r.loc(),
                    "a rule needs `at_least_one_of`, `required_when` or `not_greater`",
                ));
            }
        }
        Ok(rules)
    }

    /// `{type: Name}` or inline `{fields: ...}` (which becomes object type `inline_name`).
    fn data_type(
        &mut self,
        map: &mut Map<'_>,
        inline_name: &str,
        what: &str,
    ) -> Result<String, SpecError> {
        match (map.get("type"), map.get("fields")) {
            (Some(t), None) => {
                let name = yaml::string(self.file, t, "`type`")?;
                match self.type_kinds.get(&name) {
                    Some(false) => Ok(name),
                    Some(true) => Err(SpecError::new(
                        loc(self.file, t.span()),
                        format!("{what} must be an object type, `{name}` is an enum"),
                    )),
                    None => Err(SpecError::new(
                        loc(self.file, t.span()),
                        format!("unknown type `{name}` ({what})"),
                    )),
                }
            }
            (None, Some(fields)) => {
                if self.type_kinds.contains_key(inline_name) {
                    return Err(SpecError::new(
                        map.loc(),
                        format!(
                            "inline type `{inline_name}` of {what} clashes with a declared type"
                        ),
                    ));
                }
                let fields = self.parse_fields(fields, None, what)?;
                let rules = match map.get("rules") {
                    Some(node) => self.parse_rules(node, &fields, what)?,
                    None => Vec::new(),
                };
                self.type_kinds.insert(inline_name.to_owned(), false);
                self.item_locs
                    .insert(format!("type:{inline_name}"), map.loc());
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
                map.loc(),
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

    fn parse_notification(
        &mut self,
        wire: &str,
        at: &Location,
        node: &Node,
    ) -> Result<Notification, SpecError> {
        if !wire_name_ok(wire) {
            return Err(SpecError::new(
                at.clone(),
                format!("notification name `{wire}` must be an identifier"),
            ));
        }
        let what = format!("notification `{wire}`");
        let mut map = yaml::map(self.file, node, &what)?;
        let description = map.opt_str("description")?;
        let source = map.opt_str("source")?;
        let camel = wire.to_upper_camel_case();
        let mut data = yaml::map(
            self.file,
            map.req("data", &what)?,
            &format!("data of {what}"),
        )?;
        let data_type = self.data_type(&mut data, &format!("{camel}Data"), &what)?;
        data.deny_unknown(&format!("data of {what}"))?;
        let (reply, reply_loc) = map.req_str("reply", &what)?;
        if reply.is_empty() {
            return Err(SpecError::new(reply_loc, "`reply` is empty"));
        }
        map.deny_unknown(&what)?;
        Ok(Notification {
            wire: wire.to_owned(),
            camel,
            description,
            source,
            data_type,
            reply,
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
