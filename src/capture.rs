//! Parses captures a user already holds (Cookie headers, name lists, HAR files, JSON arrays) into key names.
//!
//! # Format detection
//!
//! [`parse_capture`] looks at the bytes once and picks the format itself:
//!
//! 1. Empty input, or input that is only whitespace, is [`CaptureError::Empty`]. A leading UTF-8
//!    BOM is skipped. A NUL byte or invalid UTF-8 is [`CaptureError::NotText`] with the byte
//!    offset (counted from the very start, BOM included) of the first bad byte.
//! 2. If the first non-whitespace character is `{` or `[`, the input is JSON. Syntax errors are
//!    [`CaptureError::Json`] with serde_json's line and column.
//!    - `{` must be a HAR file (an object with `log.entries`), read as [`CaptureFormat::Har`]:
//!      per entry, `request.cookies[]` (domain: the request URL's host), `response.cookies[]`
//!      (domain: the cookie's `domain`, else the URL's host) and `response.headers[]` named
//!      `Set-Cookie` (one cookie per line; domain: its `Domain` attribute, else the URL's host),
//!      all with storage `Cookie`. Every request URL becomes an evidence URL. Anything else in the
//!      HAR (bodies, timings, Chromium's `_`-prefixed extras) is skipped without being stored.
//!    - `[` must be an array of names (strings) or of objects with a string `name` and optional
//!      `storage` (parsed as a [`StorageKind`]), `domain` and `value`: [`CaptureFormat::JsonArray`].
//!    - Any other JSON shape, or an unknown `storage`, is [`CaptureError::UnknownJson`].
//! 3. Otherwise the input is text, read line by line (LF or CRLF); blank lines and lines starting
//!    with `#` are skipped, both here and when detecting. It is a [`CaptureFormat::CookieHeader`]
//!    when its first remaining line starts with `Cookie:` or `Set-Cookie:` (any case), or contains
//!    both `=` and `;`, or is its only line and contains `=`. Then every line is split on `;` into
//!    `name=value` parts (a part without `=` is a bare name; a leading `Cookie:` is dropped), while
//!    a `Set-Cookie:` line is one cookie whose `Domain` attribute is kept and whose other
//!    attributes are not keys. Otherwise it is a [`CaptureFormat::NameList`]: one name per line,
//!    storage unknown.
//!
//! Names keep every character except surrounding whitespace; empty names are dropped. Domains are
//! lower-cased and lose a leading `.`, so that the same cookie seen in `response.cookies` and in a
//! `Set-Cookie` header is kept once. Origins count lines, items and HAR entries from 1.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::error::Category;

use crate::vocab::StorageKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaptureFormat {
    CookieHeader,
    NameList,
    Har,
    JsonArray,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CapturedKey {
    pub name: String,
    /// `None` when the input does not say (a plain name list).
    pub storage: Option<StorageKind>,
    pub domain: Option<String>,
    /// Kept for callers that ask for values; never printed by this module.
    pub value: Option<String>,
    /// Where in the input it came from, e.g. "line 3", "HAR entry 12 request cookie",
    /// "HAR entry 4 Set-Cookie", "item 2".
    pub origin: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Capture {
    pub format: CaptureFormat,
    /// In input order; duplicates (same name+storage+domain) kept once, first occurrence.
    pub keys: Vec<CapturedKey>,
    /// HAR: every request URL (deduplicated, input order); other formats: empty.
    pub evidence_urls: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("the input is empty")]
    Empty,
    #[error(
        "the input is not text (found a NUL or invalid UTF-8 byte at offset {offset}); give a Cookie header, a name list, a HAR file or a JSON array"
    )]
    NotText { offset: usize },
    #[error(
        "the input looks like JSON but is not valid: {message} at line {line}, column {column}"
    )]
    Json {
        message: String,
        line: usize,
        column: usize,
    },
    #[error(
        "the JSON is neither a HAR file (an object with log.entries) nor an array of {{name, storage?, domain?}} objects: {0}"
    )]
    UnknownJson(String),
    #[error("no key names found in the input")]
    NoKeys,
}

/// Detects the format of `input` and extracts its key names; see the module docs for the rules.
pub fn parse_capture(input: &[u8]) -> Result<Capture, CaptureError> {
    let text = decode_text(input)?;
    let capture = match text.trim_start().chars().next() {
        None => return Err(CaptureError::Empty),
        Some('{') => parse_har(text)?,
        Some('[') => parse_json_array(text)?,
        Some(_) => parse_text(text),
    };
    if capture.keys.is_empty() {
        return Err(CaptureError::NoKeys);
    }
    Ok(capture)
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The input as text without its BOM. NUL is valid UTF-8 but never part of a capture a user
/// pastes, so it marks a binary file too; the first bad byte of either kind is reported.
fn decode_text(input: &[u8]) -> Result<&str, CaptureError> {
    let body = input.strip_prefix(UTF8_BOM).unwrap_or(input);
    let skipped = input.len() - body.len();
    let bad = match std::str::from_utf8(body) {
        Ok(text) => match text.find('\0') {
            None => return Ok(text),
            Some(nul) => nul,
        },
        Err(err) => {
            let valid = err.valid_up_to();
            body[..valid].iter().position(|&b| b == 0).unwrap_or(valid)
        }
    };
    Err(CaptureError::NotText {
        offset: skipped + bad,
    })
}

/// Collects keys in input order, keeping the first of each name+storage+domain.
#[derive(Default)]
struct KeyList {
    keys: Vec<CapturedKey>,
    seen: HashSet<(String, Option<StorageKind>, Option<String>)>,
}

impl KeyList {
    fn push(&mut self, mut key: CapturedKey) {
        let trimmed = key.name.trim();
        if trimmed.is_empty() {
            return;
        }
        if trimmed.len() != key.name.len() {
            key.name = trimmed.to_owned();
        }
        if self
            .seen
            .insert((key.name.clone(), key.storage, key.domain.clone()))
        {
            self.keys.push(key);
        }
    }

    fn into_capture(self, format: CaptureFormat, evidence_urls: Vec<String>) -> Capture {
        Capture {
            format,
            keys: self.keys,
            evidence_urls,
        }
    }
}

/// Lower-cases a cookie domain and drops the leading `.` that only marks it as a domain cookie.
fn normalize_domain(domain: &str) -> Option<String> {
    let domain = domain.trim();
    let domain = domain.strip_prefix('.').unwrap_or(domain);
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

/// The host of an absolute URL, without userinfo or port; a small parser is enough for HAR URLs.
fn url_host(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if host_port.starts_with('[') {
        &host_port[..=host_port.find(']')?]
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    normalize_domain(host)
}

/// Strips `prefix` from the start of `line`, ignoring ASCII case.
fn strip_prefix_ignore_case<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &line[prefix.len()..])
}

/// Name, value and normalized `Domain` of one `Set-Cookie` value, or `None` if it has no `name=`.
fn parse_set_cookie(header: &str) -> Option<(String, String, Option<String>)> {
    let cookie = cookie::Cookie::parse(header).ok()?;
    let domain = cookie.domain().and_then(normalize_domain);
    Some((cookie.name().to_owned(), cookie.value().to_owned(), domain))
}

// ---------------------------------------------------------------------------------------------
// Text: Cookie headers and name lists

fn parse_text(text: &str) -> Capture {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .peekable();
    let first = lines.peek().map_or("", |&(_, line)| line);
    let is_header = strip_prefix_ignore_case(first, "cookie:").is_some()
        || strip_prefix_ignore_case(first, "set-cookie:").is_some()
        || (first.contains('=') && first.contains(';'))
        || (first.contains('=') && lines.clone().nth(1).is_none());

    let mut keys = KeyList::default();
    if is_header {
        for (number, line) in lines {
            read_header_line(&mut keys, line, &format!("line {number}"));
        }
        keys.into_capture(CaptureFormat::CookieHeader, Vec::new())
    } else {
        for (number, line) in lines {
            keys.push(CapturedKey {
                name: line.to_owned(),
                storage: None,
                domain: None,
                value: None,
                origin: format!("line {number}"),
            });
        }
        keys.into_capture(CaptureFormat::NameList, Vec::new())
    }
}

fn read_header_line(keys: &mut KeyList, line: &str, origin: &str) {
    if let Some(set_cookie) = strip_prefix_ignore_case(line, "set-cookie:") {
        // A Set-Cookie line holds one cookie; its attributes (Path, Expires...) are not keys.
        if let Some((name, value, domain)) = parse_set_cookie(set_cookie) {
            keys.push(CapturedKey {
                name,
                storage: Some(StorageKind::Cookie),
                domain,
                value: Some(value),
                origin: origin.to_owned(),
            });
        }
        return;
    }
    let pairs = strip_prefix_ignore_case(line, "cookie:").unwrap_or(line);
    // Split by hand rather than with `Cookie::split_parse`: it rejects bare names, which a
    // hand-edited header may hold, and its errors do not say which part failed.
    for part in pairs.split(';') {
        let (name, value) = match part.split_once('=') {
            Some((name, value)) => (name, Some(value.trim().to_owned())),
            None => (part, None),
        };
        keys.push(CapturedKey {
            name: name.to_owned(),
            storage: Some(StorageKind::Cookie),
            domain: None,
            value,
            origin: origin.to_owned(),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

/// Splits serde_json errors into bad syntax (with position) and valid JSON of the wrong shape.
fn json_error(err: serde_json::Error) -> CaptureError {
    match err.classify() {
        Category::Syntax | Category::Eof => {
            let (line, column) = (err.line(), err.column());
            let full = err.to_string();
            let position = format!(" at line {line} column {column}");
            let message = full.strip_suffix(&position).unwrap_or(&full).to_owned();
            CaptureError::Json {
                message,
                line,
                column,
            }
        }
        Category::Data | Category::Io => CaptureError::UnknownJson(err.to_string()),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_json_array(text: &str) -> Result<Capture, CaptureError> {
    let items: Vec<Value> = serde_json::from_str(text).map_err(json_error)?;
    let mut keys = KeyList::default();
    for (index, item) in items.into_iter().enumerate() {
        let number = index + 1;
        let origin = format!("item {number}");
        let key = match item {
            Value::String(name) => CapturedKey {
                name,
                storage: None,
                domain: None,
                value: None,
                origin,
            },
            Value::Object(mut object) => {
                let name = match object.remove("name") {
                    Some(Value::String(name)) => name,
                    _ => {
                        return Err(CaptureError::UnknownJson(format!(
                            "item {number} has no string \"name\""
                        )));
                    }
                };
                let storage = match optional_string(&mut object, "storage", number)? {
                    None => None,
                    Some(storage) => Some(storage.parse::<StorageKind>().map_err(|_| {
                        CaptureError::UnknownJson(format!(
                            "item {number} has an unknown storage {storage:?} \
                             (expected cookie, localStorage or sessionStorage)"
                        ))
                    })?),
                };
                let domain = optional_string(&mut object, "domain", number)?
                    .as_deref()
                    .and_then(normalize_domain);
                let value = optional_string(&mut object, "value", number)?;
                CapturedKey {
                    name,
                    storage,
                    domain,
                    value,
                    origin,
                }
            }
            other => {
                return Err(CaptureError::UnknownJson(format!(
                    "item {number} is {}, not a name or an object with a \"name\"",
                    json_kind(&other)
                )));
            }
        };
        keys.push(key);
    }
    Ok(keys.into_capture(CaptureFormat::JsonArray, Vec::new()))
}

/// An optional string field of item `number`: absent or null is `None`, another type an error.
fn optional_string(
    object: &mut serde_json::Map<String, Value>,
    field: &str,
    number: usize,
) -> Result<Option<String>, CaptureError> {
    match object.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(CaptureError::UnknownJson(format!(
            "item {number} has a \"{field}\" that is {}, not a string",
            json_kind(&other)
        ))),
    }
}

// HAR: only the fields read below are declared, so serde skips bodies and timings without
// allocating them. Leaf fields are `Value`s so that an odd type in one cookie drops that cookie
// instead of failing the file.

#[derive(Deserialize)]
struct Har {
    log: HarLog,
}

#[derive(Deserialize)]
struct HarLog {
    entries: Vec<HarEntry>,
}

#[derive(Deserialize)]
struct HarEntry {
    #[serde(default)]
    request: Option<HarRequest>,
    #[serde(default)]
    response: Option<HarResponse>,
}

#[derive(Deserialize)]
struct HarRequest {
    #[serde(default)]
    url: Option<Value>,
    #[serde(default)]
    cookies: Option<Vec<HarCookie>>,
}

#[derive(Deserialize)]
struct HarResponse {
    #[serde(default)]
    cookies: Option<Vec<HarCookie>>,
    #[serde(default)]
    headers: SetCookieHeaders,
}

#[derive(Deserialize)]
struct HarCookie {
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    domain: Option<Value>,
}

#[derive(Deserialize)]
struct HarHeader {
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    value: Option<Value>,
}

/// The values of the `Set-Cookie` response headers; other headers are dropped while parsing so
/// that a large HAR never holds all its headers at once.
#[derive(Default)]
struct SetCookieHeaders(Vec<String>);

impl<'de> Deserialize<'de> for SetCookieHeaders {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeadersVisitor;

        impl<'de> Visitor<'de> for HeadersVisitor {
            type Value = SetCookieHeaders;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an array of {name, value} headers")
            }

            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(SetCookieHeaders::default())
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut kept = Vec::new();
                while let Some(header) = seq.next_element::<HarHeader>()? {
                    let is_set_cookie = matches!(&header.name,
                        Some(Value::String(name)) if name.trim().eq_ignore_ascii_case("set-cookie"));
                    if let (true, Some(Value::String(value))) = (is_set_cookie, header.value) {
                        kept.push(value);
                    }
                }
                Ok(SetCookieHeaders(kept))
            }
        }

        deserializer.deserialize_any(HeadersVisitor)
    }
}

fn into_string(value: Option<Value>) -> Option<String> {
    match value {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

/// Adds a HAR cookie object, unless its name is missing or not a string.
fn push_har_cookie(keys: &mut KeyList, cookie: HarCookie, domain: Option<String>, origin: String) {
    if let Some(name) = into_string(cookie.name) {
        keys.push(CapturedKey {
            name,
            storage: Some(StorageKind::Cookie),
            domain,
            value: into_string(cookie.value),
            origin,
        });
    }
}

fn parse_har(text: &str) -> Result<Capture, CaptureError> {
    let har: Har = serde_json::from_str(text).map_err(json_error)?;
    let mut keys = KeyList::default();
    let mut evidence_urls = Vec::new();
    let mut seen_urls = HashSet::new();

    for (index, entry) in har.log.entries.into_iter().enumerate() {
        let number = index + 1;
        let (url, request_cookies) = match entry.request {
            Some(request) => (
                into_string(request.url),
                request.cookies.unwrap_or_default(),
            ),
            None => (None, Vec::new()),
        };
        let host = url.as_deref().and_then(url_host);
        if let Some(url) = url.as_deref().map(str::trim) {
            if !url.is_empty() && seen_urls.insert(url.to_owned()) {
                evidence_urls.push(url.to_owned());
            }
        }

        for cookie in request_cookies {
            let origin = format!("HAR entry {number} request cookie");
            push_har_cookie(&mut keys, cookie, host.clone(), origin);
        }

        let Some(response) = entry.response else {
            continue;
        };
        for mut cookie in response.cookies.unwrap_or_default() {
            let domain = into_string(cookie.domain.take())
                .as_deref()
                .and_then(normalize_domain)
                .or_else(|| host.clone());
            let origin = format!("HAR entry {number} response cookie");
            push_har_cookie(&mut keys, cookie, domain, origin);
        }
        // Chromium joins repeated Set-Cookie headers into one value, one cookie per line.
        for line in response.headers.0.iter().flat_map(|header| header.lines()) {
            if let Some((name, value, domain)) = parse_set_cookie(line.trim()) {
                keys.push(CapturedKey {
                    name,
                    storage: Some(StorageKind::Cookie),
                    domain: domain.or_else(|| host.clone()),
                    value: Some(value),
                    origin: format!("HAR entry {number} Set-Cookie"),
                });
            }
        }
    }
    Ok(keys.into_capture(CaptureFormat::Har, evidence_urls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;
    use std::time::Instant;

    fn parse(input: &str) -> Capture {
        parse_capture(input.as_bytes()).expect("input should parse")
    }

    fn names(capture: &Capture) -> Vec<&str> {
        capture.keys.iter().map(|key| key.name.as_str()).collect()
    }

    fn key<'a>(capture: &'a Capture, name: &str) -> &'a CapturedKey {
        capture
            .keys
            .iter()
            .find(|key| key.name == name)
            .unwrap_or_else(|| panic!("no key {name:?} in {:?}", capture.keys))
    }

    #[test]
    fn cookie_header_with_prefix() {
        let capture =
            parse("Cookie: intercom-id-abc=1; _hjSessionUser_1=x=y;  lone ; ;drift_aid=2");
        assert_eq!(capture.format, CaptureFormat::CookieHeader);
        assert_eq!(
            names(&capture),
            ["intercom-id-abc", "_hjSessionUser_1", "lone", "drift_aid"]
        );
        let first = &capture.keys[0];
        assert_eq!(first.storage, Some(StorageKind::Cookie));
        assert_eq!(first.domain, None);
        assert_eq!(first.value.as_deref(), Some("1"));
        assert_eq!(first.origin, "line 1");
        // Only the first `=` separates name and value.
        assert_eq!(
            key(&capture, "_hjSessionUser_1").value.as_deref(),
            Some("x=y")
        );
        assert_eq!(key(&capture, "lone").value, None);
        assert!(capture.evidence_urls.is_empty());
    }

    #[test]
    fn cookie_prefix_in_any_case() {
        for input in [
            "COOKIE: a=1",
            "cookie:a=1",
            "CoOkIe:\ta=1; b=2",
            "Cookie: a",
        ] {
            let capture = parse(input);
            assert_eq!(capture.format, CaptureFormat::CookieHeader, "{input:?}");
            assert_eq!(capture.keys[0].name, "a", "{input:?}");
        }
    }

    #[test]
    fn single_pair_is_a_cookie_header() {
        let capture = parse("a=1\n");
        assert_eq!(capture.format, CaptureFormat::CookieHeader);
        assert_eq!(names(&capture), ["a"]);
        assert_eq!(capture.keys[0].value.as_deref(), Some("1"));
    }

    #[test]
    fn several_cookie_lines_with_bom_and_crlf() {
        let input =
            "\u{feff}\r\n# copied from DevTools\r\nCookie: a=1; b=2\r\ncookie: c=3; a=9\r\n\r\n";
        let capture = parse(input);
        assert_eq!(capture.format, CaptureFormat::CookieHeader);
        // `a` repeats with the same storage and domain, so only its first occurrence is kept.
        assert_eq!(names(&capture), ["a", "b", "c"]);
        assert_eq!(key(&capture, "a").value.as_deref(), Some("1"));
        assert_eq!(key(&capture, "c").origin, "line 4");
        assert!(capture.keys.iter().all(|key| !key.name.contains('\r')));
    }

    #[test]
    fn header_without_prefix_on_several_lines() {
        let capture = parse("a=1; b=2\nc=3\n");
        assert_eq!(capture.format, CaptureFormat::CookieHeader);
        assert_eq!(names(&capture), ["a", "b", "c"]);
    }

    #[test]
    fn set_cookie_lines_keep_domain_and_drop_attributes() {
        let input = "Set-Cookie: __hs_opt=1; Path=/; Domain=.HubSpot.com; Secure\n\
                     set-cookie: crisp-client%2Fsession=abc; Max-Age=oops\n\
                     Set-Cookie: no-equals-sign; Path=/\n";
        let capture = parse(input);
        assert_eq!(capture.format, CaptureFormat::CookieHeader);
        assert_eq!(names(&capture), ["__hs_opt", "crisp-client%2Fsession"]);
        assert_eq!(capture.keys[0].domain.as_deref(), Some("hubspot.com"));
        assert_eq!(capture.keys[0].storage, Some(StorageKind::Cookie));
        assert_eq!(capture.keys[1].domain, None);
        assert_eq!(capture.keys[1].origin, "line 2");
    }

    #[test]
    fn name_list_with_comments_and_blank_lines() {
        let input = "# keys seen on example.com\r\n\r\n  intercom-session-abc  \r\n\
                     #ignored\r\nhubspotutk\r\n\tZD-suid\r\nhubspotutk\r\n";
        let capture = parse(input);
        assert_eq!(capture.format, CaptureFormat::NameList);
        assert_eq!(
            names(&capture),
            ["intercom-session-abc", "hubspotutk", "ZD-suid"]
        );
        let first = &capture.keys[0];
        assert_eq!(first.storage, None);
        assert_eq!(first.domain, None);
        assert_eq!(first.value, None);
        assert_eq!(first.origin, "line 3");
        assert_eq!(capture.keys[2].origin, "line 6");
    }

    #[test]
    fn single_name_is_a_name_list() {
        let capture = parse("intercom-id\n");
        assert_eq!(capture.format, CaptureFormat::NameList);
        assert_eq!(names(&capture), ["intercom-id"]);
    }

    #[test]
    fn comment_lines_do_not_steer_detection() {
        // A comment holding `=` and `;` must not turn a name list into a header.
        let capture = parse("# exported: a=1; b=2\nfoo\nbar\n");
        assert_eq!(capture.format, CaptureFormat::NameList);
        assert_eq!(names(&capture), ["foo", "bar"]);
    }

    #[test]
    fn json_array_of_strings() {
        let capture = parse(r#"  ["intercom-id-x", " drift_aid ", "", "intercom-id-x"]"#);
        assert_eq!(capture.format, CaptureFormat::JsonArray);
        assert_eq!(names(&capture), ["intercom-id-x", "drift_aid"]);
        assert_eq!(capture.keys[1].origin, "item 2");
        assert_eq!(capture.keys[1].storage, None);
    }

    #[test]
    fn json_array_of_objects_with_storage() {
        let input = r#"[
            {"name": "intercom-session-x", "storage": "cookie", "domain": ".Example.com", "value": "v"},
            {"name": "Drift:hostname", "storage": "localStorage"},
            {"name": "zE_oauth", "storage": "SESSION"},
            {"name": "plain", "storage": null, "extra": [1, 2]},
            {"name": "intercom-session-x", "storage": "Cookie", "domain": "example.com"},
            "bare"
        ]"#;
        let capture = parse(input);
        assert_eq!(capture.format, CaptureFormat::JsonArray);
        assert_eq!(
            names(&capture),
            [
                "intercom-session-x",
                "Drift:hostname",
                "zE_oauth",
                "plain",
                "bare"
            ]
        );
        let first = &capture.keys[0];
        assert_eq!(first.storage, Some(StorageKind::Cookie));
        assert_eq!(first.domain.as_deref(), Some("example.com"));
        assert_eq!(first.value.as_deref(), Some("v"));
        assert_eq!(first.origin, "item 1");
        assert_eq!(capture.keys[1].storage, Some(StorageKind::LocalStorage));
        assert_eq!(capture.keys[2].storage, Some(StorageKind::SessionStorage));
        assert_eq!(capture.keys[3].storage, None);
        assert_eq!(capture.keys[4].origin, "item 6");
    }

    #[test]
    fn json_array_unknown_storage_names_the_item() {
        let err = parse_capture(br#"[{"name": "a"}, {"name": "b", "storage": "indexedDB"}]"#)
            .unwrap_err();
        let CaptureError::UnknownJson(message) = &err else {
            panic!("expected UnknownJson, got {err:?}");
        };
        assert!(message.contains("item 2"), "{message}");
        assert!(message.contains("indexedDB"), "{message}");
    }

    #[test]
    fn json_array_of_wrong_items() {
        for (input, needle) in [
            (r#"[{"value": "x"}]"#, "item 1 has no string \"name\""),
            (r#"["a", {"name": 5}]"#, "item 2 has no string \"name\""),
            (r#"["a", "b", 3]"#, "item 3 is a number"),
            (r#"[["a"]]"#, "item 1 is an array"),
            (
                r#"[{"name": "a", "storage": 1}]"#,
                "\"storage\" that is a number",
            ),
            (
                r#"[{"name": "a", "domain": {}}]"#,
                "\"domain\" that is an object",
            ),
        ] {
            match parse_capture(input.as_bytes()) {
                Err(CaptureError::UnknownJson(message)) => {
                    assert!(message.contains(needle), "{input}: {message}")
                }
                other => panic!("{input}: expected UnknownJson, got {other:?}"),
            }
        }
    }

    fn sample_har() -> String {
        serde_json::json!({
            "log": {
                "version": "1.2",
                "creator": {"name": "WebInspector", "version": "537.36"},
                "pages": [],
                "entries": [
                    {
                        "_initiator": {"type": "other"},
                        "request": {
                            "method": "GET",
                            "url": "https://User:pw@WWW.Example.com:8443/index.html?q=1",
                            "headers": [{"name": "Cookie", "value": "ignored=1"}],
                            "cookies": [
                                {"name": "intercom-id-abc", "value": "1"},
                                {"name": "_ga", "value": "2", "domain": ".example.com"}
                            ]
                        },
                        "response": {
                            "status": 200,
                            "cookies": [
                                {"name": "intercom-session-abc", "value": "s", "domain": ".example.com"},
                                {"name": "fresh", "value": "f"}
                            ],
                            "headers": [
                                {"name": "content-type", "value": "text/html"},
                                {
                                    "name": "set-cookie",
                                    "value": "intercom-session-abc=s; Domain=.Example.com; Path=/\nfresh=f; Path=/\nonly-header=h; Domain=widget.intercom.io"
                                },
                                {"name": "SET-COOKIE", "value": "second=2; Secure"}
                            ],
                            "content": {"size": 5, "mimeType": "text/html", "text": "<html>"}
                        },
                        "timings": {"send": 1, "wait": 2, "receive": 3}
                    },
                    {
                        "request": {
                            "url": "https://widget.intercom.io/widget/abc",
                            "cookies": [{"name": "intercom-id-abc", "value": "1"}]
                        },
                        "response": {"cookies": [], "headers": []}
                    },
                    {
                        "request": {
                            "url": "https://www.example.com/index.html?q=1",
                            "cookies": [{"name": "intercom-id-abc", "value": "other"}]
                        },
                        "response": {"cookies": null, "headers": null}
                    },
                    {
                        "request": {"url": "https://js.driftt.com/include/x.js", "cookies": null},
                        "response": null
                    },
                    {
                        "request": {"url": 42, "cookies": [{"name": null}, {"name": 7, "value": "x"}]},
                        "response": {"cookies": [{"name": "odd", "value": 5, "domain": false}]}
                    },
                    {}
                ]
            }
        })
        .to_string()
    }

    #[test]
    fn har_request_response_and_set_cookie() {
        let capture = parse(&sample_har());
        assert_eq!(capture.format, CaptureFormat::Har);
        let found: Vec<(&str, Option<&str>, &str)> = capture
            .keys
            .iter()
            .map(|key| {
                (
                    key.name.as_str(),
                    key.domain.as_deref(),
                    key.origin.as_str(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "intercom-id-abc",
                    Some("www.example.com"),
                    "HAR entry 1 request cookie"
                ),
                // A request cookie takes the request's host even if the HAR names a domain.
                ("_ga", Some("www.example.com"), "HAR entry 1 request cookie"),
                (
                    "intercom-session-abc",
                    Some("example.com"),
                    "HAR entry 1 response cookie"
                ),
                (
                    "fresh",
                    Some("www.example.com"),
                    "HAR entry 1 response cookie"
                ),
                (
                    "only-header",
                    Some("widget.intercom.io"),
                    "HAR entry 1 Set-Cookie"
                ),
                ("second", Some("www.example.com"), "HAR entry 1 Set-Cookie"),
                (
                    "intercom-id-abc",
                    Some("widget.intercom.io"),
                    "HAR entry 2 request cookie"
                ),
                ("odd", None, "HAR entry 5 response cookie"),
            ]
        );
        assert!(
            capture
                .keys
                .iter()
                .all(|key| key.storage == Some(StorageKind::Cookie))
        );
        assert_eq!(capture.keys[0].value.as_deref(), Some("1"));
        assert_eq!(key(&capture, "second").value.as_deref(), Some("2"));
        assert_eq!(key(&capture, "odd").value, None);
        assert_eq!(
            capture.evidence_urls,
            [
                "https://User:pw@WWW.Example.com:8443/index.html?q=1",
                "https://widget.intercom.io/widget/abc",
                "https://www.example.com/index.html?q=1",
                "https://js.driftt.com/include/x.js",
            ]
        );
    }

    #[test]
    fn har_evidence_urls_are_deduplicated() {
        let har = r#"{"log": {"entries": [
            {"request": {"url": "https://a.example/x.js", "cookies": [{"name": "k", "value": "1"}]}},
            {"request": {"url": " https://a.example/x.js "}},
            {"request": {"url": ""}},
            {"request": {"url": "https://b.example/"}}
        ]}}"#;
        let capture = parse(har);
        assert_eq!(
            capture.evidence_urls,
            ["https://a.example/x.js", "https://b.example/"]
        );
        assert_eq!(capture.keys.len(), 1);
    }

    #[test]
    fn url_hosts() {
        for (url, host) in [
            ("https://Example.COM/a", Some("example.com")),
            (
                "http://user:pass@host.example:8080/p?q#f",
                Some("host.example"),
            ),
            ("https://host.example?x=@y", Some("host.example")),
            ("https://[::1]:8443/", Some("[::1]")),
            ("https://[::1/", None),
            ("wss://chat.example", Some("chat.example")),
            ("file:///tmp/x.html", None),
            ("no scheme", None),
            ("", None),
        ] {
            assert_eq!(url_host(url).as_deref(), host, "{url}");
        }
    }

    #[test]
    fn empty_and_whitespace_only() {
        for input in [
            &b""[..],
            b" ",
            b"\n\r\n\t  ",
            b"\xEF\xBB\xBF",
            b"\xEF\xBB\xBF  \n",
        ] {
            assert!(
                matches!(parse_capture(input), Err(CaptureError::Empty)),
                "{input:?}"
            );
        }
    }

    #[test]
    fn nothing_but_comments_has_no_keys() {
        for input in [
            "# only a comment\n#another\n",
            "[]",
            r#"{"log": {"entries": []}}"#,
            " ; = ; ",
        ] {
            assert!(
                matches!(parse_capture(input.as_bytes()), Err(CaptureError::NoKeys)),
                "{input:?}"
            );
        }
    }

    #[test]
    fn har_with_requests_but_no_cookies_has_no_keys() {
        let har = r#"{"log": {"entries": [{"request": {"url": "https://x.example/"}}]}}"#;
        assert!(matches!(
            parse_capture(har.as_bytes()),
            Err(CaptureError::NoKeys)
        ));
    }

    #[test]
    fn binary_garbage_is_not_text() {
        // Deterministic "random" bytes: valid ASCII up to a NUL at offset 10.
        let mut bytes = b"PK\x03\x04abcdef".to_vec();
        bytes.extend([0u8, 0x13, 0x37, 0xff, 0xfe]);
        match parse_capture(&bytes) {
            Err(CaptureError::NotText { offset }) => assert_eq!(offset, 10),
            other => panic!("expected NotText, got {other:?}"),
        }
        let err = parse_capture(&bytes).unwrap_err();
        assert!(err.to_string().contains("offset 10"), "{err}");
    }

    #[test]
    fn invalid_utf8_reports_the_offset() {
        match parse_capture(b"a=1; b=\xC3\x28") {
            Err(CaptureError::NotText { offset }) => assert_eq!(offset, 7),
            other => panic!("expected NotText, got {other:?}"),
        }
        // Offsets count the skipped BOM, and the earlier of NUL and a bad byte wins.
        match parse_capture(b"\xEF\xBB\xBFab\xFFc\0") {
            Err(CaptureError::NotText { offset }) => assert_eq!(offset, 5),
            other => panic!("expected NotText, got {other:?}"),
        }
        match parse_capture(b"ab\0c\xFF") {
            Err(CaptureError::NotText { offset }) => assert_eq!(offset, 2),
            other => panic!("expected NotText, got {other:?}"),
        }
        // A UTF-16 file (as PowerShell writes by default) is not UTF-8 text.
        assert!(matches!(
            parse_capture(b"\xFF\xFEa\0=\x001\0"),
            Err(CaptureError::NotText { offset: 0 })
        ));
    }

    #[test]
    fn malformed_json_reports_line_and_column() {
        let input = "[\n  \"a\",\n  \"b\"\n  \"c\"\n]";
        match parse_capture(input.as_bytes()) {
            Err(CaptureError::Json {
                message,
                line,
                column,
            }) => {
                assert_eq!((line, column), (4, 3));
                assert_eq!(message, "expected `,` or `]`");
            }
            other => panic!("expected Json, got {other:?}"),
        }
        let err = parse_capture(b"\xEF\xBB\xBF{\"log\": {\"entries\": [\n}").unwrap_err();
        assert!(
            matches!(
                err,
                CaptureError::Json {
                    line: 2,
                    column: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().ends_with("at line 2, column 1"), "{err}");
        let err = parse_capture(b"{\"log\": ").unwrap_err();
        assert!(matches!(err, CaptureError::Json { line: 1, .. }), "{err:?}");
    }

    #[test]
    fn json_that_is_neither_har_nor_array() {
        for input in [
            r#"{"cookies": ["a"]}"#,
            r#"{"log": {"pages": []}}"#,
            r#"{"log": {"entries": {}}}"#,
            r#"{"log": {"entries": [1]}}"#,
            r#"{"log": {"entries": [{"response": {"headers": "x"}}]}}"#,
        ] {
            assert!(
                matches!(
                    parse_capture(input.as_bytes()),
                    Err(CaptureError::UnknownJson(_))
                ),
                "{input}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse_capture(deep.as_bytes()),
            Err(CaptureError::Json { .. })
        ));
        // Skipped HAR fields are scanned without recursion, so depth there is harmless.
        let har = format!(
            r#"{{"log": {{"x": {}{}, "entries": [{{"request": {{"url": "https://a/", "cookies": [{{"name": "k"}}]}}}}]}}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(names(&parse(&har)), ["k"]);
    }

    #[test]
    fn names_keep_control_characters_and_html() {
        let capture = parse(
            "<img src=x onerror=alert(1)>\n\u{1}ctrl\u{7}name\u{1b}[31m\n<script>x</script>\n",
        );
        assert_eq!(capture.format, CaptureFormat::NameList);
        assert_eq!(
            names(&capture),
            [
                "<img src=x onerror=alert(1)>",
                "\u{1}ctrl\u{7}name\u{1b}[31m",
                "<script>x</script>"
            ]
        );

        let capture = parse("Cookie: <b>x</b>=1; a\u{7}b=2");
        assert_eq!(names(&capture), ["<b>x</b>", "a\u{7}b"]);

        let capture =
            parse(r#"["<img src=x>", "\u0001tab\tinside", {"name": "\u001b]0;title\u0007"}]"#);
        assert_eq!(
            names(&capture),
            ["<img src=x>", "\u{1}tab\tinside", "\u{1b}]0;title\u{7}"]
        );

        let har = r#"{"log": {"entries": [{"request": {"url": "https://a.example/",
            "cookies": [{"name": "<svg onload=alert(1)>", "value": "1"}]}}]}}"#;
        assert_eq!(names(&parse(har)), ["<svg onload=alert(1)>"]);
    }

    #[test]
    fn capture_serializes_with_kebab_case_format() {
        let json = serde_json::to_value(parse("a=1")).unwrap();
        assert_eq!(json["format"], "cookie-header");
        assert_eq!(json["keys"][0]["storage"], "cookie");
        assert_eq!(json["keys"][0]["origin"], "line 1");
    }

    /// Small xorshift generator so the fuzz test is repeatable without a `rand` dependency.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn random_and_mutated_inputs_never_panic() {
        let seeds = [
            sample_har(),
            "Cookie: a=1; b=2\nSet-Cookie: c=3; Domain=.x.example; Expires=Wed, 21 Oct 2015 07:28:00 GMT\n".to_owned(),
            r#"[{"name": "a", "storage": "local", "domain": "x"}, "b"]"#.to_owned(),
            "# list\nfoo\nbar\n".to_owned(),
        ];
        let alphabet = b"{}[]\":,;=\n\r\t #\\u0aZ\x00\xff\xc3\xa9";
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for round in 0..3_000 {
            let mut bytes = seeds[round % seeds.len()].clone().into_bytes();
            for _ in 0..=rng.next() % 8 {
                let at = (rng.next() as usize) % (bytes.len() + 1);
                let byte = alphabet[(rng.next() as usize) % alphabet.len()];
                match rng.next() % 3 {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 if at < bytes.len() => {
                        bytes.truncate(at);
                    }
                    _ => bytes.insert(at, byte),
                }
            }
            let _ = parse_capture(&bytes);
        }
        for _ in 0..1_000 {
            let len = (rng.next() % 64) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let _ = parse_capture(&bytes);
        }
    }

    /// Builds a HAR of about `target_bytes` whose bulk is response bodies, plus the number of
    /// distinct keys it holds.
    fn big_har(target_bytes: usize) -> (String, usize) {
        const HOSTS: usize = 10;
        // Escapes and non-ASCII make serde_json do real work while skipping the bodies.
        let chunk = "<div class=\\\"intercom\\\">caf\\u00e9 \u{e9}t\u{e9}</div>\\n";
        let body = chunk.repeat(40_000 / chunk.len());
        let mut har = String::with_capacity(target_bytes + 200_000);
        har.push_str(r#"{"log": {"version": "1.2", "creator": {"name": "test"}, "entries": ["#);
        let mut entries = 0;
        while har.len() < target_bytes {
            let i = entries;
            let host = format!("host{}.example.com", i % HOSTS);
            if i > 0 {
                har.push(',');
            }
            write!(
                har,
                r#"{{"startedDateTime": "2024-01-01T00:00:00Z", "time": 12.5,
                "request": {{"method": "GET", "url": "https://{host}/page/{i}",
                  "headers": [{{"name": "Cookie", "value": "req_{i}=1; shared=2"}}],
                  "cookies": [{{"name": "req_{i}", "value": "1"}}, {{"name": "shared", "value": "2"}}],
                  "postData": {{"mimeType": "text/plain", "text": "{body}"}}}},
                "response": {{"status": 200,
                  "cookies": [{{"name": "resp_{i}", "value": "3", "domain": ".example.com"}}],
                  "headers": [{{"name": "Content-Type", "value": "text/html"}},
                              {{"name": "Set-Cookie", "value": "resp_{i}=3; Domain=.example.com; Path=/\nsc_{i}=4; Path=/"}}],
                  "content": {{"size": {len}, "mimeType": "text/html", "text": "{body}"}}}},
                "timings": {{"send": 1, "wait": 2, "receive": 3}}}}"#,
                len = body.len()
            )
            .unwrap();
            entries += 1;
        }
        har.push_str("]}}");
        // req_i, resp_i and sc_i are distinct per entry; `shared` once per host.
        (har, 3 * entries + HOSTS.min(entries))
    }

    #[test]
    fn fifty_megabyte_har_parses() {
        let (har, expected_keys) = big_har(50 * 1024 * 1024);
        assert!(har.len() >= 50 * 1024 * 1024);
        let started = Instant::now();
        let capture = parse_capture(har.as_bytes()).expect("big HAR should parse");
        let elapsed = started.elapsed();
        eprintln!(
            "parsed {} MB HAR ({} keys) in {elapsed:?}",
            har.len() / (1024 * 1024),
            capture.keys.len()
        );
        assert_eq!(capture.format, CaptureFormat::Har);
        assert_eq!(capture.keys.len(), expected_keys);
        assert_eq!(capture.evidence_urls.len(), (expected_keys - 10) / 3);
    }
}
