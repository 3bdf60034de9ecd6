//! Requests and answers as the API handlers see them: plain data, no IO (the server module
//! converts them from and to hyper's types). A leaf module: it depends on nothing in the crate.

/// A received request, read completely.
#[derive(Clone, Debug)]
pub(crate) struct Incoming {
    pub method: String,
    /// Path without the query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Incoming {
    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer to send.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Outgoing {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Outgoing {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=UTF-8".into(),
            )],
            body: body.into(),
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Outgoing {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=UTF-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_owned(), value));
        self
    }
}
