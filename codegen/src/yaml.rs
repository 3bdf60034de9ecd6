//! A thin, position-aware reader over `marked_yaml` nodes.
//!
//! Every accessor returns a [`SpecError`] located at the offending node, so the spec parser never
//! has to handle positions itself and never panics on a malformed spec.

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoaderOptions, Node, Span};

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

/// Location of a node.
pub fn loc(file: &str, span: &Span) -> Location {
    let start = span.start();
    Location {
        file: file.to_owned(),
        line: start.map_or(1, |m| m.line()),
        column: start.map_or(1, |m| m.column()),
    }
}

/// A mapping being read: tracks which keys were consumed so unknown keys can be reported.
pub struct Map<'a> {
    pub file: &'a str,
    pub node: &'a MarkedMappingNode,
    allowed: Vec<&'static str>,
}

/// What kind of node this is, for messages.
fn kind(node: &Node) -> &'static str {
    match node {
        Node::Scalar(_) => "a scalar",
        Node::Mapping(_) => "a mapping",
        Node::Sequence(_) => "a sequence",
    }
}

/// Reads `node` as a mapping.
pub fn map<'a>(file: &'a str, node: &'a Node, what: &str) -> Result<Map<'a>, SpecError> {
    match node {
        Node::Mapping(m) => Ok(Map {
            file,
            node: m,
            allowed: Vec::new(),
        }),
        // An empty value (`fields:`) is an empty mapping.
        Node::Scalar(s) if s.as_str().is_empty() || s.as_str() == "~" || s.as_str() == "null" => {
            Err(SpecError::new(
                loc(file, node.span()),
                format!("{what} must be a mapping; write `{{}}` for an empty one"),
            ))
        }
        _ => Err(SpecError::new(
            loc(file, node.span()),
            format!("{what} must be a mapping, found {}", kind(node)),
        )),
    }
}

/// Reads `node` as a non-empty string scalar.
pub fn string(file: &str, node: &Node, what: &str) -> Result<String, SpecError> {
    match node {
        Node::Scalar(s) => Ok(s.as_str().to_owned()),
        _ => Err(SpecError::new(
            loc(file, node.span()),
            format!("{what} must be a string, found {}", kind(node)),
        )),
    }
}

/// Reads a sequence of string scalars.
pub fn string_list(
    file: &str,
    node: &Node,
    what: &str,
) -> Result<Vec<(String, Location)>, SpecError> {
    match node {
        Node::Sequence(seq) => seq
            .iter()
            .map(|item| Ok((string(file, item, what)?, loc(file, item.span()))))
            .collect(),
        _ => Err(SpecError::new(
            loc(file, node.span()),
            format!("{what} must be a list, found {}", kind(node)),
        )),
    }
}

impl<'a> Map<'a> {
    /// Location of the mapping itself: its first key for a block mapping (whose own marker sits
    /// at the first `:`), its `{` for a flow mapping.
    pub fn loc(&self) -> Location {
        let own = loc(self.file, self.node.span());
        match self.node.keys().next().map(|k| loc(self.file, k.span())) {
            Some(first) if (first.line, first.column) < (own.line, own.column) => first,
            _ => own,
        }
    }

    /// Location of `key` itself, or of the mapping if absent.
    pub fn key_loc(&self, key: &str) -> Location {
        self.node
            .keys()
            .find(|k| k.as_str() == key)
            .map_or_else(|| self.loc(), |k| loc(self.file, k.span()))
    }

    /// Location of the value under `key`, or of the mapping if absent.
    pub fn value_loc(&self, key: &str) -> Location {
        self.node
            .get_node(key)
            .map_or_else(|| self.loc(), |n| loc(self.file, n.span()))
    }

    fn note(&mut self, key: &'static str) {
        if !self.allowed.contains(&key) {
            self.allowed.push(key);
        }
    }

    /// The node under `key`, if present.
    pub fn get(&mut self, key: &'static str) -> Option<&'a Node> {
        self.note(key);
        self.node.get_node(key)
    }

    /// The node under `key`, or an error naming the missing key.
    pub fn req(&mut self, key: &'static str, what: &str) -> Result<&'a Node, SpecError> {
        self.get(key).ok_or_else(|| {
            SpecError::new(
                self.loc(),
                format!("{what} is missing required key `{key}`"),
            )
        })
    }

    /// Optional string under `key`.
    pub fn opt_str(&mut self, key: &'static str) -> Result<Option<String>, SpecError> {
        match self.get(key) {
            Some(node) => string(self.file, node, &format!("`{key}`")).map(Some),
            None => Ok(None),
        }
    }

    /// Required string under `key`.
    pub fn req_str(
        &mut self,
        key: &'static str,
        what: &str,
    ) -> Result<(String, Location), SpecError> {
        let node = self.req(key, what)?;
        Ok((
            string(self.file, node, &format!("`{key}`"))?,
            loc(self.file, node.span()),
        ))
    }

    /// Optional boolean under `key` (`true` / `false`).
    pub fn opt_bool(&mut self, key: &'static str) -> Result<Option<bool>, SpecError> {
        let Some(node) = self.get(key) else {
            return Ok(None);
        };
        match string(self.file, node, &format!("`{key}`"))?.as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            other => Err(SpecError::new(
                loc(self.file, node.span()),
                format!("`{key}` must be true or false, found `{other}`"),
            )),
        }
    }

    /// Optional unsigned integer under `key`.
    pub fn opt_u64(&mut self, key: &'static str) -> Result<Option<u64>, SpecError> {
        let Some(node) = self.get(key) else {
            return Ok(None);
        };
        let text = string(self.file, node, &format!("`{key}`"))?;
        text.parse().map(Some).map_err(|_| {
            SpecError::new(
                loc(self.file, node.span()),
                format!("`{key}` must be a non-negative integer, found `{text}`"),
            )
        })
    }

    /// Entries in document order.
    pub fn entries(&self) -> impl Iterator<Item = (&'a MarkedScalarNode, &'a Node)> {
        self.node.iter()
    }

    /// Fails on the first key that no accessor asked for.
    pub fn deny_unknown(&self, what: &str) -> Result<(), SpecError> {
        for (key, _) in self.node.iter() {
            if !self.allowed.contains(&key.as_str()) {
                let mut expected = self.allowed.clone();
                expected.sort_unstable();
                return Err(SpecError::new(
                    loc(self.file, key.span()),
                    format!(
                        "unknown key `{}` in {what} (expected one of: {})",
                        key.as_str(),
                        expected.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}
