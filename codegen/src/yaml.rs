//! YAML text → `marked_yaml` node tree, with the input bounded (size, depth, node count, one
//! document) before the recursive loader runs, and YAML features a spec does not use (anchors,
//! tags, duplicate keys) refused with their position.

use marked_yaml::{LoaderOptions, Node};

use crate::error::{Location, SpecError};

/// Deepest nesting of mappings and sequences a spec may have. The YAML loader is recursive, so
/// deeper input is rejected before it runs (a spec needs a dozen levels at most).
pub const MAX_DEPTH: usize = 64;

/// Largest spec accepted, in bytes (today's specs are about 35 KB).
pub const MAX_SPEC_BYTES: usize = 1024 * 1024;

/// Most YAML nodes (scalars, mappings, sequences) a spec may have (today's specs have about
/// 5,000). Bounds the memory the loader and the generator use on hostile input.
pub const MAX_NODES: usize = 100_000;

/// Rejects input nested deeper than [`MAX_DEPTH`], with more than [`MAX_NODES`] nodes, or with
/// more than one YAML document, walking the parser's event stream (no recursion, no tree).
fn check_shape(file: &str, text: &str) -> Result<(), SpecError> {
    use yaml_rust2::parser::{Event, Parser};
    let at = |marker: yaml_rust2::scanner::Marker| Location {
        file: file.to_owned(),
        line: marker.line(),
        column: marker.col() + 1,
    };
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    let mut nodes = 0usize;
    let mut documents = 0usize;
    loop {
        let event = parser.next_token();
        if let Ok((
            Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..),
            marker,
        )) = &event
        {
            nodes += 1;
            if nodes > MAX_NODES {
                return Err(SpecError::new(
                    at(*marker),
                    format!("more than {MAX_NODES} YAML nodes"),
                ));
            }
        }
        match event {
            Ok((Event::DocumentStart, marker)) => {
                documents += 1;
                if documents > 1 {
                    return Err(SpecError::new(
                        at(marker),
                        "a second YAML document starts here; a spec is a single document",
                    ));
                }
            }
            Ok((Event::SequenceStart(..) | Event::MappingStart(..), marker)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(SpecError::new(
                        Location {
                            file: file.to_owned(),
                            line: marker.line(),
                            column: marker.col() + 1,
                        },
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
            }
            Ok((Event::SequenceEnd | Event::MappingEnd, _)) => depth = depth.saturating_sub(1),
            Ok((Event::StreamEnd, _)) => return Ok(()),
            Ok(_) => {}
            // Syntax errors are reported, with their position, by the loader.
            Err(_) => return Ok(()),
        }
    }
}

/// Parses YAML text, rejecting duplicate keys, tags, anchors, oversized input and more than one
/// document. A leading UTF-8 byte-order mark is skipped.
pub fn parse(file: &str, text: &str) -> Result<Node, SpecError> {
    if text.len() > MAX_SPEC_BYTES {
        return Err(SpecError::new(
            Location {
                file: file.to_owned(),
                line: 1,
                column: 1,
            },
            format!(
                "the spec is {} bytes, more than the {MAX_SPEC_BYTES}-byte limit",
                text.len()
            ),
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_shape(file, text)?;
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    marked_yaml::parse_yaml_with_options(0, text, options).map_err(|e| {
        use marked_yaml::LoadError as L;
        let (marker, message) = match &e {
            L::TopLevelMustBeMapping(m) => (Some(*m), "the top level must be a mapping".to_owned()),
            L::TopLevelMustBeSequence(m) => {
                (Some(*m), "the top level must be a sequence".to_owned())
            }
            L::UnexpectedAnchor(m) => (
                Some(*m),
                "YAML anchors and aliases are not supported; use a named type in `types:` instead"
                    .to_owned(),
            ),
            L::MappingKeyMustBeScalar(m) => {
                (Some(*m), "mapping keys must be plain strings".to_owned())
            }
            L::UnexpectedTag(m) => (Some(*m), "YAML tags are not supported".to_owned()),
            L::ScanError(m, scan) => (Some(*m), format!("invalid YAML: {}", scan.info())),
            L::DuplicateKey(inner) => (
                inner.key.span().start().copied(),
                format!(
                    "duplicate key `{}` (first defined at line {})",
                    inner.key.as_str(),
                    inner.prev_key.span().start().map_or(0, |m| m.line())
                ),
            ),
        };
        SpecError::new(
            Location {
                file: file.to_owned(),
                line: marker.map_or(1, |m| m.line()),
                column: marker.map_or(1, |m| m.column()),
            },
            message,
        )
    })
}
