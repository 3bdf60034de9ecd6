//! IR → an OpenAPI 3.1 document of the API (JSON text): paths, request and response schemas,
//! notifications as webhooks, the signature scheme in `securitySchemes`, and `x-payspec-*`
//! extensions for what OpenAPI cannot say (canonical strings, signed subsets, outcomes, rules).

use serde_json::{json, Map, Value};

use crate::ir::*;

/// The OpenAPI 3.1 document of `api`, pretty-printed JSON (keys sorted: deterministic).
pub fn openapi(api: &Api) -> String {
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": api.title,
            "version": format!("spec-sha256-{}", &api.spec_sha256[..16]),
            "description": api.description,
        },
        "servers": servers(api, None),
        "paths": paths(api),
        "components": {
            "schemas": schemas(api),
            "securitySchemes": security_schemes(api),
        },
        "security": [{ "payspecSignature": [] }],
        "x-payspec-signature": signature(api),
        "x-payspec-spec": { "path": api.spec_path, "sha256": api.spec_sha256 },
    });
    if !api.notifications.is_empty() {
        doc["webhooks"] = webhooks(api);
    }
    if let Some(s) = &api.source {
        doc["info"]["x-payspec-source"] = json!(s);
    }
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn servers(api: &Api, host: Option<&str>) -> Value {
    let list: Vec<Value> = api
        .hosts
        .iter()
        .filter(|h| host.is_none_or(|name| h.name == name))
        .flat_map(|h| {
            h.environments.iter().map(move |(env, url)| {
                json!({ "url": url, "description": format!("{} ({env})", h.name) })
            })
        })
        .collect();
    Value::Array(list)
}

fn strings(api: &Api) -> bool {
    matches!(
        api.transport,
        Transport::Json {
            scalars_as_strings: true
        }
    )
}

fn type_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Description text with the doubt appended.
fn describe(schema: &mut Map<String, Value>, description: Option<&str>, doubt: Option<&str>) {
    if let Some(d) = description {
        schema.insert("description".into(), json!(d));
    }
    if let Some(d) = doubt {
        schema.insert("x-payspec-doubt".into(), json!(d));
    }
}

/// The schema of one field's value.
fn field_schema(f: &Field, strings: bool) -> Value {
    let integer = |minimum: Option<u64>, maximum: Option<u64>| {
        if strings {
            json!({ "type": "string", "pattern": "^-?[0-9]+$" })
        } else {
            let mut s = json!({ "type": "integer" });
            if let Some(m) = minimum {
                s["minimum"] = json!(m);
            }
            if let Some(m) = maximum {
                s["maximum"] = json!(m);
            }
            s
        }
    };
    let mut schema = match &f.ty {
        FieldType::String => json!({ "type": "string" }),
        FieldType::Integer => integer(f.min, f.max),
        FieldType::Amount | FieldType::MinorUnits { .. } => integer(Some(1), None),
        FieldType::Url => json!({ "type": "string", "format": "uri" }),
        FieldType::Date => json!({ "type": "string", "format": "date" }),
        FieldType::DateTime => json!({ "type": "string", "format": "date-time" }),
        FieldType::Decimal => json!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$" }),
        FieldType::Json => json!({}),
        FieldType::Currency => json!({ "type": "string", "pattern": "^[A-Z]{3}$" }),
        FieldType::Boolean if strings => json!({ "type": "string", "enum": ["true", "false"] }),
        FieldType::Boolean => json!({ "type": "boolean" }),
        FieldType::Enum(name) | FieldType::Object(name) => type_ref(name),
        FieldType::Array(name) => json!({ "type": "array", "items": type_ref(name) }),
        FieldType::StringArray => json!({ "type": "array", "items": { "type": "string" } }),
    };
    if let Some(max) = f.max_length {
        schema["maxLength"] = json!(max);
    }
    if let FieldType::MinorUnits {
        currency_field: Some(c),
    } = &f.ty
    {
        schema["x-payspec-currency-field"] = json!(c);
    }
    if let Some(format) = f.format {
        schema["x-payspec-time-format"] = json!(match format {
            TimeFormat::Compact => "yyyyMMddHHmmss",
            TimeFormat::Iso8601 => "iso8601",
        });
    }
    // A `$ref` with siblings is valid in 3.1 (JSON Schema 2020-12).
    if let Value::Object(map) = &mut schema {
        describe(map, f.description.as_deref(), f.doubt.as_deref());
    }
    schema
}

fn rules_json(rules: &[Rule]) -> Value {
    Value::Array(
        rules
            .iter()
            .map(|r| match r {
                Rule::AtLeastOneOf { fields, doubt } => {
                    json!({ "at_least_one_of": fields, "doubt": doubt })
                }
                Rule::NotGreater { field, than, doubt } => {
                    json!({ "not_greater": { "field": field, "than": than }, "doubt": doubt })
                }
                Rule::RequiredWhen {
                    field,
                    when,
                    values,
                    doubt,
                } => {
                    json!({ "required_when": { "field": field, "when": when, "in": values }, "doubt": doubt })
                }
            })
            .collect(),
    )
}

fn object_schema(fields: &[Field], rules: &[Rule], strings: bool) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|f| (f.wire.clone(), field_schema(f, strings)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.wire.as_str())
        .collect();
    let mut schema = json!({ "type": "object", "properties": properties });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    if !rules.is_empty() {
        schema["x-payspec-rules"] = rules_json(rules);
    }
    schema
}

fn schemas(api: &Api) -> Value {
    let strings = strings(api);
    let mut out = Map::new();
    for t in &api.types {
        let schema = match t {
            TypeDef::Enum {
                description,
                open,
                values,
                outcome,
                ..
            } => {
                let wires: Vec<&str> = values.iter().map(|(w, _, _)| w.as_str()).collect();
                let mut s = if *open {
                    json!({ "anyOf": [{ "enum": wires }, { "type": "string" }], "x-payspec-open": true })
                } else {
                    json!({ "type": "string", "enum": wires })
                };
                let described: Map<String, Value> = values
                    .iter()
                    .filter_map(|(w, _, d)| d.as_ref().map(|d| (w.clone(), json!(d))))
                    .collect();
                if !described.is_empty() {
                    s["x-payspec-values"] = Value::Object(described);
                }
                if let Some(o) = outcome {
                    let labels: Map<String, Value> = o
                        .iter()
                        .map(|(w, l)| (w.clone(), json!(l.as_str())))
                        .collect();
                    s["x-payspec-outcomes"] = Value::Object(labels);
                }
                if let Some(d) = description {
                    s["description"] = json!(d);
                }
                s
            }
            TypeDef::Object {
                description,
                fields,
                rules,
                ..
            } => {
                let mut s = object_schema(fields, rules, strings);
                if let Some(d) = description {
                    s["description"] = json!(d);
                }
                s
            }
        };
        out.insert(t.name().to_owned(), schema);
    }
    Value::Object(out)
}

fn security_schemes(api: &Api) -> Value {
    match &api.signature {
        Signature::SortedParams { param, digest, .. } => json!({
            "payspecSignature": {
                // OpenAPI has no "signature in a form field": this is the closest form; the
                // exact rule is in `x-payspec-signature`.
                "type": "apiKey",
                "in": "query",
                "name": param,
                "description": format!(
                    "RSA PKCS#1 v1.5 {} signature, lower hex, sent as the form field `{param}` of every request body (OpenAPI cannot place a key in a form body; see x-payspec-signature).",
                    digest_name(*digest)
                ),
            }
        }),
        Signature::HeaderRsa { headers, .. } => json!({
            "payspecSignature": {
                "type": "apiKey",
                "in": "header",
                "name": headers.signature,
                "description": "`algorithm=RSA256,keyVersion=N,signature=<base64, percent-encoded>` over the content in x-payspec-signature.",
            }
        }),
    }
}

fn digest_name(d: Digest) -> &'static str {
    match d {
        Digest::Md5 => "MD5",
        Digest::Sha256 => "SHA-256",
    }
}

fn signature(api: &Api) -> Value {
    match &api.signature {
        Signature::SortedParams {
            digest,
            param,
            success_code,
            retryable_codes,
            gateway_key_pem,
            ..
        } => json!({
            "scheme": "sorted-params",
            "digest": digest_name(*digest),
            "param": param,
            "request": format!("every request parameter except `{param}`, sorted by name in byte order, concatenated as name=value (no separator); RSA PKCS#1 v1.5; lower hex"),
            "response": "the `data` object of every response and notification: its members sorted by name, concatenated as name=value, nested values as compact JSON with sorted keys; numbers keep their exact token; `sign` is lower hex",
            "success_code": success_code,
            "retryable_codes": retryable_codes,
            "gateway_public_key_pem": gateway_key_pem,
        }),
        Signature::HeaderRsa {
            key_version,
            request_time_format,
            unsigned_status,
            unsigned_allowed,
            notification_tolerance_seconds,
            headers,
            ..
        } => json!({
            "scheme": "header-rsa",
            "digest": "SHA-256",
            "content": format!(
                "POST <path>\\n<{}>.<{}>.<exact body bytes> (responses: <{}>)",
                headers.client_id, headers.request_time, headers.response_time
            ),
            "encoding": "base64, then percent-encoded",
            "key_version": key_version,
            "request_time_format": match request_time_format {
                RequestTimeFormat::Iso8601 => "iso8601",
                RequestTimeFormat::EpochMillis => "epoch_ms",
            },
            "unsigned_response": { "status": unsigned_status, "allowed": unsigned_allowed },
            "notification_tolerance_seconds": notification_tolerance_seconds,
            "headers": {
                "signature": headers.signature,
                "client_id": headers.client_id,
                "request_time": headers.request_time,
                "response_time": headers.response_time,
                "content_type": headers.content_type,
            },
        }),
    }
}

/// The answer body: Ksher's envelope around `data`, or Alipay+'s body itself.
fn answer_schema(api: &Api, data_type: &str) -> Value {
    match &api.signature {
        Signature::SortedParams { param, .. } => {
            let mut properties = Map::new();
            for f in &api.envelope {
                properties.insert(f.wire.clone(), field_schema(f, false));
            }
            properties.insert("data".into(), type_ref(data_type));
            properties.insert(
                param.clone(),
                json!({ "type": "string", "description": "Signature of `data`, lower hex." }),
            );
            json!({ "type": "object", "properties": properties, "x-payspec-lenient": true })
        }
        Signature::HeaderRsa { .. } => {
            let mut s = type_ref(data_type);
            s["x-payspec-lenient"] = json!(true);
            s
        }
    }
}

fn paths(api: &Api) -> Value {
    let mut out = Map::new();
    for op in &api.operations {
        let request_body = match api.transport {
            Transport::FormJson => {
                let Signature::SortedParams { param, .. } = &api.signature else {
                    continue;
                };
                // The operation's common rules: its own requiredness, and other accepted names
                // (then one of the names is required, which `anyOf` says).
                let mut fields: Vec<Field> = api.common.clone();
                let mut one_of_names = Vec::new();
                for rule in &op.common_rules {
                    let Some(base) = fields.iter_mut().find(|f| f.wire == rule.name) else {
                        continue;
                    };
                    base.required = rule.required && rule.aliases.is_empty();
                    let base = base.clone();
                    if rule.required && !rule.aliases.is_empty() {
                        let names: Vec<&str> = std::iter::once(rule.name.as_str())
                            .chain(rule.aliases.iter().map(String::as_str))
                            .collect();
                        one_of_names.push(json!({ "anyOf": names.iter().map(|n| json!({ "required": [n] })).collect::<Vec<_>>() }));
                    }
                    for alias in &rule.aliases {
                        fields.push(Field {
                            wire: alias.clone(),
                            required: false,
                            description: Some(format!(
                                "`{}` under another name this operation accepts; send one of them.",
                                rule.name
                            )),
                            ..base.clone()
                        });
                    }
                }
                fields.extend(op.request.iter().cloned());
                fields.sort_by(|a, b| a.wire.cmp(&b.wire));
                let mut schema = object_schema(&fields, &op.rules, false);
                if !one_of_names.is_empty() {
                    let mut all = schema["allOf"].as_array().cloned().unwrap_or_default();
                    all.extend(one_of_names);
                    schema["allOf"] = json!(all);
                }
                schema["properties"][param.as_str()] = json!({
                    "type": "string",
                    "description": "The request signature (x-payspec-signature).",
                });
                if let Some(required) = schema["required"].as_array_mut() {
                    required.push(json!(param));
                } else {
                    schema["required"] = json!([param]);
                }
                json!({ "required": true, "content": { "application/x-www-form-urlencoded": { "schema": schema } } })
            }
            Transport::Json { .. } => {
                let Signature::HeaderRsa { headers, .. } = &api.signature else {
                    continue;
                };
                let name = op.request_type.as_deref().unwrap_or_default();
                json!({ "required": true, "content": { headers.content_type.as_str(): { "schema": type_ref(name) } } })
            }
        };
        let mut post = json!({
            "operationId": op.wire,
            "servers": servers(api, Some(&op.host)),
            "requestBody": request_body,
            "responses": {
                "200": {
                    "description": "The gateway's answer; verify its signature before use.",
                    "content": { "application/json": { "schema": answer_schema(api, &op.response_type) } },
                }
            },
            "x-payspec-creates": op.creates,
        });
        if let Signature::HeaderRsa { headers, .. } = &api.signature {
            post["parameters"] = json!([
                { "name": headers.client_id, "in": "header", "required": true, "schema": { "type": "string" } },
                { "name": headers.request_time, "in": "header", "required": true, "schema": { "type": "string" } },
            ]);
            post["responses"]["200"]["headers"] = json!({
                headers.response_time.as_str(): { "schema": { "type": "string" } },
                headers.signature.as_str(): { "schema": { "type": "string" } },
            });
        }
        if let Some(d) = &op.description {
            post["description"] = json!(d);
        }
        if let Some(d) = &op.doubt {
            post["x-payspec-doubt"] = json!(d);
        }
        if let Some(s) = &op.source {
            post["x-payspec-source"] = json!(s);
        }
        if let Some(list) = &op.signed_fields {
            post["x-payspec-signed-fields"] = json!(list);
        }
        if let Some(s) = &op.status {
            post["x-payspec-status"] = json!(s);
        }
        if !op.common_rules.is_empty() {
            let rules: Map<String, Value> = op
                .common_rules
                .iter()
                .map(|r| {
                    let mut rule = json!({ "required": r.required, "also": r.aliases });
                    if let Some(d) = &r.doubt {
                        rule["doubt"] = json!(d);
                    }
                    (r.name.clone(), rule)
                })
                .collect();
            post["x-payspec-common"] = Value::Object(rules);
        }
        out.insert(op.path.clone(), json!({ "post": post }));
    }
    Value::Object(out)
}

fn webhooks(api: &Api) -> Value {
    let mut out = Map::new();
    for n in &api.notifications {
        let mut post = json!({
            "operationId": n.wire,
            "requestBody": {
                "required": true,
                "content": { "application/json": { "schema": answer_schema(api, &n.data_type) } },
            },
            "responses": {
                "200": {
                    "description": "Reply once the notification is verified and processed.",
                    "content": { "application/json": {
                        "example": serde_json::from_str::<Value>(&n.reply).unwrap_or_else(|_| json!(n.reply)),
                    } },
                }
            },
            "x-payspec-reply": n.reply,
        });
        if let Some(d) = &n.description {
            post["description"] = json!(d);
        }
        if let Some(s) = &n.source {
            post["x-payspec-source"] = json!(s);
        }
        out.insert(n.wire.clone(), json!({ "post": post }));
    }
    Value::Object(out)
}
