//! `payspec_macros::api!("path/to/spec.yaml")`: the items of the spec's generated crate, as the
//! body of the module the macro is called in (progenitor-style).
//!
//! ```text
//! mod ksher {
//!     payspec_macros::api!("spec/ksher.yaml"); // relative to CARGO_MANIFEST_DIR
//! }
//! let signer = ksher::Signer::new("mch35000", key);
//! ```
//!
//! The path is relative to the calling crate's `CARGO_MANIFEST_DIR`. The spec is tracked (an
//! `include_bytes!` of it is part of the expansion), so editing it rebuilds the caller. A
//! malformed spec is a compile error that shows its `file:line:col` and the message. The code is
//! the same `payspec-codegen` output `cargo xtask codegen` writes; module files are inlined and
//! `crate::` paths made relative to the calling module.

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;

/// Expands to the generated crate of the spec at the given path (see the crate docs).
#[proc_macro]
pub fn api(input: TokenStream) -> TokenStream {
    let path = match syn::parse::<syn::LitStr>(input) {
        Ok(p) => p,
        Err(e) => return e.to_compile_error().into(),
    };
    match expand(&path.value()) {
        Ok(tokens) => tokens.into(),
        Err(message) => syn::Error::new(path.span(), message)
            .to_compile_error()
            .into(),
    }
}

/// The byte range of the `pub mod response { ... }` block in generated `types.rs` text: braces
/// counted outside comments, string and character literals.
fn response_module(text: &str) -> Option<(usize, usize)> {
    let start = text.find("\npub mod response {")? + 1;
    let bytes = text.as_bytes();
    let mut i = start + "pub mod response ".len();
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some((start, i + 1));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn expand(rel: &str) -> Result<proc_macro2::TokenStream, String> {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .map_err(|_| "CARGO_MANIFEST_DIR is not set (build with cargo)".to_owned())?;
    let full = std::path::Path::new(&dir).join(rel);
    let text = std::fs::read_to_string(&full)
        .map_err(|e| format!("cannot read spec {}: {e}", full.display()))?;
    let files = payspec_codegen::generate(rel, &text).map_err(|e| e.to_string())?;
    let file = |suffix: &str| -> Result<&str, String> {
        files
            .iter()
            .find(|f| f.path.ends_with(suffix))
            .map(|f| f.contents.as_str())
            .ok_or_else(|| format!("internal error: no generated {suffix}"))
    };
    // Module files inlined; `crate::` (the generated crate's root) becomes the calling module,
    // seen from each file's depth.
    let at_depth = |contents: &str, depth: usize| -> String {
        let up = if depth == 0 {
            "self::".to_owned()
        } else {
            "super::".repeat(depth)
        };
        contents.replace("crate::", &up)
    };
    let mut operations = String::new();
    for line in file("src/operations/mod.rs")?.lines() {
        match line
            .trim()
            .strip_prefix("pub mod ")
            .and_then(|m| m.strip_suffix(';'))
        {
            Some(module) => {
                let body = file(&format!("src/operations/{module}.rs"))?;
                operations.push_str(&format!("pub mod {module} {{\n{}\n}}\n", at_depth(body, 2)));
            }
            None => {
                operations.push_str(&at_depth(line, 1));
                operations.push('\n');
            }
        }
    }
    // `types.rs` is one level down, its `response` module two.
    let types = file("src/types.rs")?;
    let types = match response_module(types) {
        Some((start, end)) => format!(
            "{}{}{}",
            at_depth(&types[..start], 1),
            at_depth(&types[start..end], 2),
            at_depth(&types[end..], 1)
        ),
        None => at_depth(types, 1),
    };
    let body = format!(
        "mod api {{\n{}\n}}\npub mod operations {{\n{operations}\n}}\npub mod types {{\n{types}\n}}\npub use api::*;\n",
        at_depth(file("src/api.rs")?, 1),
    );
    let tokens: proc_macro2::TokenStream = body
        .parse()
        .map_err(|e| format!("internal error: generated code does not parse: {e}"))?;
    let tracked = full.to_string_lossy().into_owned();
    let tracked = syn::LitStr::new(&tracked, Span::call_site());
    Ok(quote! {
        // Rebuild the caller when the spec changes.
        const _: &[u8] = include_bytes!(#tracked);
        #tokens
    })
}

#[cfg(test)]
mod tests {
    use super::response_module;

    #[test]
    fn the_response_module_ends_at_its_own_brace() {
        let text = "use x;\npub mod response {\n    /// a } in a doc { comment\n    const A: &str = \"}\\\"{\";\n    const B: char = '}';\n    pub struct S {\n        a: u8,\n    }\n}\npub const AFTER: u8 = 1;\n";
        let (start, end) = response_module(text).expect("found");
        assert!(text[start..].starts_with("pub mod response {"));
        assert_eq!(&text[end..], "\npub const AFTER: u8 = 1;\n");
        assert_eq!(response_module("pub mod other {}"), None);
        assert_eq!(response_module("x\npub mod response { unclosed"), None);
    }
}
