//! `payspec explain`: why a signature does not verify, step by step, ending with a
//! `diagnosis: <id>` line (the runtime's catalogue, `payspec_runtime::explain`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use payspec_runtime::explain::{self, Diagnosis, Explanation, Subject};
use payspec_runtime::scheme::header_rsa::Api as HeaderApi;
use payspec_runtime::{Backend, DigestAlgorithm, PublicKey};

use crate::Failure;

/// What is explained.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MessageKind {
    /// A request you sent (signed with your key: give your public key).
    Request,
    /// An answer to a request (signed by the gateway).
    Response,
    /// A notification the gateway pushed to you.
    Notification,
}

#[derive(Subcommand)]
pub enum ExplainApi {
    /// Ksher: a form request (`--body` is the form body as sent, `sign` included) or a response
    /// or notification document.
    Ksher {
        #[arg(value_enum)]
        kind: MessageKind,
        /// Operation wire name; `notify_url` / `mch_notify_url` for notifications.
        #[arg(long)]
        operation: String,
        /// The body exactly as sent or received.
        #[arg(long)]
        body: PathBuf,
        /// Public key PEM: yours for a request; the gateway's otherwise (default: Ksher's
        /// published key).
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// JSON object of the values you meant to send: names the member that changed after
        /// signing (`param-changed:<name>`).
        #[arg(long)]
        expect: Option<PathBuf>,
    },
    /// Alipay+: a request, response or notification with its headers.
    Alipayplus(HeaderArgs),
    /// Antom: a request, response or notification with its headers.
    Antom(HeaderArgs),
}

#[derive(clap::Args)]
pub struct HeaderArgs {
    #[arg(value_enum)]
    kind: MessageKind,
    /// Request or response: the request's path. Notification: your endpoint's path.
    #[arg(long)]
    path: String,
    /// The client id.
    #[arg(long)]
    client_id: String,
    /// The Request-Time (request, notification) or Response-Time (response) header value.
    #[arg(long)]
    time: String,
    /// The body exactly as sent or received.
    #[arg(long)]
    body: PathBuf,
    /// The Signature header value.
    #[arg(long)]
    signature_header: String,
    /// Public key PEM: yours for a request, the gateway's otherwise.
    #[arg(long)]
    public_key: PathBuf,
}

/// Runs `payspec explain`; exit 0 for `valid`, 1 for any other diagnosis, 2 for unreadable input.
pub fn run(api: ExplainApi, backend: Backend) -> Result<(), Failure> {
    let (title, subject, algorithm, key, signature, intended) = match api {
        ExplainApi::Ksher {
            kind,
            operation,
            body,
            public_key,
            expect,
        } => {
            let body = read(&body, "body")?;
            let key = match public_key {
                Some(path) => key(&path, backend)?,
                None if matches!(kind, MessageKind::Request) => {
                    return Err(Failure(
                        2,
                        "a request is signed with your key: give --public-key (your public key)"
                            .into(),
                    ))
                }
                None => PublicKey::from_pem_with(backend, payspec_ksher::GATEWAY_PUBLIC_KEY_PEM)
                    .map_err(|e| Failure(2, format!("Ksher's published key: {e}")))?,
            };
            let (subject, signature) = ksher_subject(kind, &operation, &body)?;
            let intended = match expect {
                Some(path) => Some(intended_values(&path)?),
                None => None,
            };
            (
                format!("ksher {operation}: sorted parameters, MD5withRSA, hex"),
                subject,
                DigestAlgorithm::Md5,
                key,
                signature,
                intended,
            )
        }
        ExplainApi::Alipayplus(args) => {
            header::<payspec_alipayplus::Api>("alipayplus", args, backend)?
        }
        ExplainApi::Antom(args) => header::<payspec_antom::Api>("antom", args, backend)?,
    };
    let explanation = explain::explain(&subject, algorithm, &key, &signature, intended.as_deref());
    print!("{}", report(&title, &subject, &signature, &explanation));
    match explanation.diagnosis {
        Diagnosis::Valid => Ok(()),
        _ => Err(Failure(1, String::new())),
    }
}

type Prepared = (
    String,
    Subject,
    DigestAlgorithm,
    PublicKey,
    Vec<u8>,
    Option<Vec<(String, String)>>,
);

fn header<A: HeaderApi>(
    name: &str,
    args: HeaderArgs,
    backend: Backend,
) -> Result<Prepared, Failure> {
    let body = read(&args.body, "body")?;
    let key = key(&args.public_key, backend)?;
    let parsed = payspec_runtime::header_signature::parse_signature_header(&args.signature_header)
        .map_err(|e| Failure(2, format!("--signature-header: {e}")))?;
    if !args.path.starts_with('/') {
        return Err(Failure(
            2,
            format!("--path {} must start with `/`", args.path),
        ));
    }
    let subject = Subject::Header {
        method: "POST".into(),
        other_paths: A::OPERATIONS
            .iter()
            .map(|op| op.path.to_owned())
            .filter(|p| *p != args.path)
            .collect(),
        path: args.path,
        client_id: args.client_id,
        time: args.time,
        body,
    };
    Ok((
        format!(
            "{name} {}: POST <path>\\n<client-id>.<time>.<body>, SHA256withRSA, base64 + percent-encoding",
            match args.kind {
                MessageKind::Request => "request",
                MessageKind::Response => "response",
                MessageKind::Notification => "notification",
            }
        ),
        subject,
        DigestAlgorithm::Sha256,
        key,
        parsed.signature,
        None,
    ))
}

fn ksher_subject(
    kind: MessageKind,
    operation: &str,
    body: &[u8],
) -> Result<(Subject, Vec<u8>), Failure> {
    use payspec_runtime::scheme::sorted_params;
    let known = sorted_params::signed_fields::<payspec_ksher::Api>(operation).ok_or_else(|| {
        Failure(
            2,
            format!("unknown Ksher operation or notification `{operation}`"),
        )
    })?;
    match kind {
        MessageKind::Request => {
            let text = std::str::from_utf8(body)
                .map_err(|_| Failure(2, "the body is not UTF-8".into()))?;
            let params: Vec<(String, String)> = form_urlencoded::parse(text.trim_end().as_bytes())
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            let sign = params
                .iter()
                .find(|(n, _)| n == "sign")
                .map(|(_, v)| v.clone())
                .ok_or_else(|| Failure(2, "the form has no `sign` parameter".into()))?;
            let signature =
                hex::decode(&sign).map_err(|_| Failure(2, "`sign` is not a hex string".into()))?;
            Ok((
                Subject::SortedRequest {
                    params,
                    sign_param: "sign".into(),
                },
                signature,
            ))
        }
        MessageKind::Response | MessageKind::Notification => {
            let members = payspec_runtime::sorted_params::data_members(body)
                .map_err(|e| Failure(2, format!("the document: {e}")))?;
            let signature = payspec_runtime::sorted_params::document_sign(body)
                .map_err(|e| Failure(2, format!("the document: {e}")))?;
            Ok((
                Subject::SortedData {
                    members,
                    signed_fields: known.map(|list| list.iter().map(|s| (*s).to_owned()).collect()),
                },
                signature,
            ))
        }
    }
}

/// The values of a JSON object of strings and integers, as text.
fn intended_values(path: &Path) -> Result<Vec<(String, String)>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure(2, format!("cannot read --expect {}: {e}", path.display())))?;
    let object = payspec_conformance::strict_json::object(&text).map_err(|e| {
        Failure(
            2,
            format!("--expect {} is not a JSON object: {e}", path.display()),
        )
    })?;
    object
        .iter()
        .map(|(name, value)| {
            payspec_conformance::vectors::param_text(name, value)
                .map(|text| (name.clone(), text))
                .map_err(|e| Failure(2, format!("--expect: {e}")))
        })
        .collect()
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure(2, format!("cannot read {what} {}: {e}", path.display())))
}

fn key(path: &Path, backend: Backend) -> Result<PublicKey, Failure> {
    let pem = std::fs::read_to_string(path)
        .map_err(|e| Failure(2, format!("cannot read public key {}: {e}", path.display())))?;
    PublicKey::from_pem_with(backend, &pem)
        .map_err(|e| Failure(2, format!("public key {}: {e}", path.display())))
}

/// The step-by-step report; its last line is `diagnosis: <id>`.
fn report(title: &str, subject: &Subject, signature: &[u8], e: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scheme: {title}");
    match subject {
        Subject::SortedRequest { params, .. } => {
            let _ = writeln!(out, "parameters (as sent):");
            for (n, v) in params {
                let _ = writeln!(out, "  {n} = {}", explain::visible(v.as_bytes()));
            }
        }
        Subject::SortedData {
            members,
            signed_fields,
        } => {
            let _ = writeln!(out, "data members (as received):");
            for m in members {
                let signed = signed_fields.as_ref().is_none_or(|s| s.contains(&m.name));
                let _ = writeln!(
                    out,
                    "  {} = {}{}",
                    m.name,
                    explain::visible(m.text.as_bytes()),
                    if signed { "" } else { "   (not signed)" }
                );
            }
        }
        Subject::Header {
            path,
            client_id,
            time,
            body,
            ..
        } => {
            let _ = writeln!(
                out,
                "path: {path}\nclient id: {client_id}\ntime: {time}\nbody: {} bytes",
                body.len()
            );
        }
    }
    let algorithm = match e.algorithm {
        DigestAlgorithm::Md5 => "MD5",
        DigestAlgorithm::Sha256 => "SHA-256",
    };
    let _ = writeln!(
        out,
        "expected content (the documented rule; \\n ⏎ marks a line break):"
    );
    let _ = writeln!(out, "  {}", indented(&e.expected_content));
    let _ = writeln!(
        out,
        "expected digest ({algorithm}): {}",
        hex::encode(&e.expected_digest)
    );
    let _ = writeln!(out, "signature: {} bytes", signature.len());
    match &e.opened {
        None => {
            let _ = writeln!(out, "RSA public operation: no PKCS#1 v1.5 padding inside: the signature does not open with this key");
        }
        Some(opened) => {
            let _ = writeln!(
                out,
                "RSA public operation -> PKCS#1 v1.5 -> DigestInfo: {}",
                hex::encode(&opened.digest_info)
            );
            let _ = writeln!(
                out,
                "signed digest ({}): {}",
                opened.algorithm.map_or("unknown algorithm", |a| a.name()),
                hex::encode(&opened.digest)
            );
        }
    }
    if let Some(found) = &e.signed_content {
        let _ = writeln!(out, "signed content (reproduced):");
        let _ = writeln!(out, "  {}", indented(found));
    }
    let _ = writeln!(out, "{}", e.diagnosis.what());
    let _ = writeln!(out, "diagnosis: {}", e.diagnosis.id());
    out
}

/// Content made visible, continuation lines indented like the first.
fn indented(content: &[u8]) -> String {
    explain::visible(content).replace('\n', "\n  ")
}
