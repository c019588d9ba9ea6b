//! Decoding a callback's parameters from its query string and its form body.
//!
//! Ubity puts the parameters in the query string, POST included; a form-encoded body is
//! accepted too. Decoding is strict on purpose: a broken percent escape or invalid UTF-8 is
//! the sender's mistake and gets a 400 naming it, rather than a silently mangled number.

use percent_encoding::percent_decode_str;
use thiserror::Error;

/// The most parameters one callback may carry, Ubity's own plus echoed ones.
pub const MAX_PARAMS: usize = 64;

/// What was wrong with the way parameters were encoded.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParamError {
    #[error("bad percent-encoding in parameter `{0}`")]
    BadPercent(String),
    #[error("parameter `{0}` is not valid UTF-8 once decoded")]
    BadUtf8(String),
    #[error("parameter `{0}` is given twice with different values")]
    Conflict(String),
    #[error("a parameter has an empty name")]
    EmptyName,
    #[error("too many parameters (at most {MAX_PARAMS})")]
    TooMany,
    #[error("body must be application/x-www-form-urlencoded, not {0}")]
    BodyType(String),
    #[error("body is not valid UTF-8")]
    BodyUtf8,
}

impl ParamError {
    /// The HTTP status that fits: 415 for a body of the wrong kind, 400 for the rest.
    pub fn status(&self) -> u16 {
        match self {
            ParamError::BodyType(_) => 415,
            _ => 400,
        }
    }
}

/// Decoded parameters in arrival order, each name once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The value of `name`, if it was sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every name and value, in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Adds the pairs of one `a=b&c=d` string, refusing a name already present with another value.
    pub fn add_encoded(&mut self, encoded: &str) -> Result<(), ParamError> {
        for pair in encoded.split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(raw_name, raw_name)?;
            if name.is_empty() {
                return Err(ParamError::EmptyName);
            }
            let value = decode(raw_value, &name)?;
            match self.get(&name) {
                Some(existing) if existing == value => {}
                Some(_) => return Err(ParamError::Conflict(printable(&name))),
                None => {
                    if self.0.len() >= MAX_PARAMS {
                        return Err(ParamError::TooMany);
                    }
                    self.0.push((name, value));
                }
            }
        }
        Ok(())
    }

    /// Adds the parameters of a POST body, which must be form-encoded if it is not empty.
    pub fn add_body(&mut self, content_type: Option<&str>, body: &[u8]) -> Result<(), ParamError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let media = content_type
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase());
        match media.as_deref() {
            Some("application/x-www-form-urlencoded") => {}
            Some(other) => return Err(ParamError::BodyType(printable(other))),
            None => return Err(ParamError::BodyType("a body with no Content-Type".into())),
        }
        let text = std::str::from_utf8(body).map_err(|_| ParamError::BodyUtf8)?;
        self.add_encoded(text.trim())
    }
}

/// Decodes one form-encoded component strictly: `+` is a space, every `%` must start a
/// two-digit hex escape, and the result must be UTF-8.
fn decode(raw: &str, name_for_errors: &str) -> Result<String, ParamError> {
    let bytes = raw.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%' {
            let ok = bytes.len() > i + 2
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if !ok {
                return Err(ParamError::BadPercent(printable(name_for_errors)));
            }
        }
    }
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ParamError::BadUtf8(printable(name_for_errors)))
}

/// A short, printable rendering of untrusted text for an error message: one line, with no
/// control or invisible characters.
pub fn printable(text: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = text
        .chars()
        .filter(|c| !crate::event::is_forbidden_in_id(*c))
        .take(MAX)
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<Params, ParamError> {
        let mut p = Params::default();
        p.add_encoded(q)?;
        Ok(p)
    }

    #[test]
    fn decodes_the_documented_query() {
        let p = parse("callid=ABC12345&type=outgoing&caller=100&callee=5145551212").unwrap();
        assert_eq!(p.get("callid"), Some("ABC12345"));
        assert_eq!(p.get("callee"), Some("5145551212"));
        assert_eq!(p.get("duration"), None);
    }

    #[test]
    fn decodes_plus_and_percent() {
        let p = parse("caller=%2B15145551212&note=hello+world&name=Andr%C3%A9").unwrap();
        assert_eq!(p.get("caller"), Some("+15145551212"));
        assert_eq!(p.get("note"), Some("hello world"));
        assert_eq!(p.get("name"), Some("André"));
    }

    #[test]
    fn rejects_broken_encodings() {
        assert_eq!(parse("a=%zz"), Err(ParamError::BadPercent("a".into())));
        assert_eq!(parse("a=%4"), Err(ParamError::BadPercent("a".into())));
        assert_eq!(parse("a=%ff%fe"), Err(ParamError::BadUtf8("a".into())));
        assert_eq!(parse("=x"), Err(ParamError::EmptyName));
    }

    #[test]
    fn repeated_names_must_agree() {
        assert_eq!(parse("a=1&a=1").unwrap().iter().count(), 1);
        assert_eq!(parse("a=1&a=2"), Err(ParamError::Conflict("a".into())));
    }

    #[test]
    fn errors_name_parameters_on_one_printable_line() {
        // Found by the fuzzer: a decoded name with a line break went into the 400's reason.
        let err = parse("a%0Ab%00%E2%80%AE=1&a%0Ab%00%E2%80%AE=2").unwrap_err();
        assert_eq!(err, ParamError::Conflict("ab".into()));
    }

    #[test]
    fn caps_the_number_of_parameters() {
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=x")).collect();
        assert_eq!(parse(&many.join("&")), Err(ParamError::TooMany));
    }

    #[test]
    fn body_must_be_a_form() {
        let mut p = Params::default();
        p.add_body(
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            b"callid=X",
        )
        .unwrap();
        assert_eq!(p.get("callid"), Some("X"));
        let err = p.add_body(Some("application/json"), b"{}").unwrap_err();
        assert_eq!(err.status(), 415);
        assert!(p.add_body(None, b"").is_ok());
        assert!(p.add_body(Some("text/plain"), b"  \r\n").is_ok());
    }

    #[test]
    fn query_and_body_merge_and_conflict() {
        let mut p = parse("callid=X").unwrap();
        let form = Some("application/x-www-form-urlencoded");
        p.add_body(form, b"callid=X&type=incoming").unwrap();
        assert_eq!(p.get("type"), Some("incoming"));
        assert_eq!(
            p.add_body(form, b"callid=Y"),
            Err(ParamError::Conflict("callid".into()))
        );
    }
}
