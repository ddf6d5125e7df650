//! Reads captures a user already holds (headers, cookie jars, HAR, storage state, name lists) into key names.
//!
//! # Format detection
//!
//! [`read_capture`] (streaming) and [`parse_capture`] (bytes in memory) pick the format themselves,
//! in this order:
//!
//! 1. Empty input, or input that is only whitespace, is [`CaptureError::Empty`]. A leading UTF-8
//!    BOM is skipped, in every format. A NUL byte or invalid UTF-8 is [`CaptureError::NotText`]
//!    with the byte offset (counted from the very start, BOM included) of the first bad byte.
//! 2. If the first non-whitespace character is `{` or `[`, the input is JSON, read whole
//!    ([`json`]). Bad syntax (a truncated file) is [`CaptureError::Json`] and a wrong type where
//!    the format needs a container is [`CaptureError::JsonShape`], both with serde_json's line and
//!    column; the shape error also names the field path (`log.entries[3].request.cookies`,
//!    indices from 0). An object is
//!    - a HAR file when it has `log` ([`CaptureFormat::Har`], see [`har`]): only `log.entries` is
//!      required, everything else may be missing, null or of another type;
//!    - a Playwright/Puppeteer `storageState` when it has `cookies` or `origins`
//!      ([`CaptureFormat::StorageState`], see [`storage_state`]);
//!    - otherwise [`CaptureError::UnknownJson`].
//!
//!    An array is a list of names or of objects with a `name` ([`CaptureFormat::JsonArray`], see
//!    [`json_array`]), Puppeteer's `page.cookies()` included.
//! 3. Otherwise the input is text, read line by line (LF or CRLF) without holding more than a few
//!    lines ([`lines`]), and the first lines decide ([`detect`]):
//!    1. [`CaptureFormat::CookiesTxt`]: the first line is `# Netscape HTTP Cookie File` or
//!       `# HTTP Cookie File`, or starts with `#HttpOnly_`, or the first line that is not a
//!       comment has 7 tab-separated fields with `TRUE`/`FALSE` flags (see [`cookies_txt`]);
//!    2. [`CaptureFormat::RawHeaders`]: among the first lines there is an HTTP request line
//!       (`GET / HTTP/1.1`), a status line (`HTTP/1.1 200 OK`) or an HTTP/2 pseudo-header
//!       (`:authority: …`), with or without curl's `> ` / `< ` prefixes; or the first two lines
//!       are `Name: value` header lines that are not all `Cookie`/`Set-Cookie` (see
//!       [`raw_headers`]);
//!    3. [`CaptureFormat::CookieHeader`]: the first line starts with `Cookie:` or `Set-Cookie:`
//!       (any case), or contains both `=` and `;`, or is the only line and contains `=` (see
//!       [`cookie_header`]);
//!    4. [`CaptureFormat::NameList`]: one name per line, storage unknown.
//!
//!    Blank lines and lines starting with `#` are skipped, both here and when detecting (but in a
//!    cookies.txt, `#HttpOnly_` starts a cookie line, not a comment).
//!
//! Names keep every character except surrounding whitespace; empty names are dropped. Domains are
//! lower-cased and lose a leading `.`, so that the same cookie seen in `response.cookies` and in a
//! `Set-Cookie` header is kept once. Origins count lines, items and HAR entries from 1.
//!
//! # Duplicates and memory
//!
//! A key is kept once per name + storage + domain, at its first occurrence. To keep memory flat
//! on huge inputs the keys already seen are remembered as 64-bit fingerprints (about 18 bytes per
//! distinct key), not as strings: two different keys share a fingerprint with odds of about one in
//! 37 million for a million distinct keys, and then the second would be dropped. Text formats are
//! read line by line, so memory does not otherwise grow with the input; JSON is parsed whole, but
//! only the fields read are kept (bodies, timings and other headers are skipped unallocated).

pub mod cookie_header;
pub mod cookies_txt;
pub mod detect;
pub mod har;
pub mod json;
pub mod json_array;
pub mod lines;
pub mod name_list;
pub mod raw_headers;
pub mod storage_state;

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::io::BufRead;
use std::ops::ControlFlow;

use crate::vocab::StorageKind;

/// The format a capture was detected as; its kebab-case name is what the output states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaptureFormat {
    CookieHeader,
    NameList,
    Har,
    JsonArray,
    RawHeaders,
    CookiesTxt,
    StorageState,
}

impl CaptureFormat {
    /// The name the output uses: `cookie-header`, `name-list`, `har`, `json-array`,
    /// `raw-headers`, `cookies-txt`, `storage-state`.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureFormat::CookieHeader => "cookie-header",
            CaptureFormat::NameList => "name-list",
            CaptureFormat::Har => "har",
            CaptureFormat::JsonArray => "json-array",
            CaptureFormat::RawHeaders => "raw-headers",
            CaptureFormat::CookiesTxt => "cookies-txt",
            CaptureFormat::StorageState => "storage-state",
        }
    }
}

impl fmt::Display for CaptureFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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
    /// Request URLs (HAR entries, raw request headers), deduplicated, in input order: evidence of
    /// the scripts a page loaded.
    pub evidence_urls: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("the input is empty")]
    Empty,
    #[error(
        "the input is not text (found a NUL or invalid UTF-8 byte at offset {offset}); give a Cookie header, HTTP headers, a cookies.txt, a name list, a HAR file, a storageState or a JSON array"
    )]
    NotText { offset: usize },
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Json {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("not a {format} file as expected, at line {line}, column {column}: {path}: {message}")]
    JsonShape {
        format: CaptureFormat,
        /// The field path, e.g. `log.entries[3].request.cookies` (indices from 0).
        path: String,
        message: String,
        line: usize,
        column: usize,
    },
    #[error(
        "the JSON is neither a HAR file (an object with log.entries), a storageState (an object with cookies or origins) nor an array of names or {{name, storage?, domain?}} objects: {0}"
    )]
    UnknownJson(String),
    #[error("{format} input, line {line}, column {column}: {message}")]
    Malformed {
        format: CaptureFormat,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("no key names found in the input")]
    NoKeys,
    // The cause is in the message, not a `source`: messages print their chain of causes.
    #[error("cannot read {path}: {cause}")]
    Unreadable { path: String, cause: std::io::Error },
}

/// Whatever the capture's reader refuses is the user's input.
impl From<CaptureError> for crate::error::Error {
    fn from(e: CaptureError) -> crate::error::Error {
        crate::error::Error::input(e)
    }
}

/// What a capture yields, in input order: keys, and request URLs as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Key(CapturedKey),
    EvidenceUrl(String),
}

/// Receives a capture as it is read. Keys arrive deduplicated (see the module docs).
pub trait Sink {
    /// Called once, before the first item.
    fn format(&mut self, _format: CaptureFormat) {}
    /// One key or URL; `Break` stops reading (e.g. the output was closed).
    fn item(&mut self, item: Item) -> ControlFlow<()>;
}

/// What [`read_capture`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureTally {
    pub format: CaptureFormat,
    /// Distinct keys passed to the sink.
    pub keys: usize,
    /// Distinct evidence URLs passed to the sink.
    pub evidence_urls: usize,
    /// True when the sink asked to stop before the end of the input.
    pub stopped: bool,
}

/// Reads a capture from `input` (named `name` in read errors), detecting its format, and passes
/// its keys and evidence URLs to `sink` as they are read. A capture without any key is not an
/// error here (a HAR exported without cookies still holds request URLs); see [`CaptureTally`].
pub fn read_capture<R: BufRead>(
    input: R,
    name: &str,
    sink: &mut impl Sink,
) -> Result<CaptureTally, CaptureError> {
    let mut lines = lines::Lines::new(input, name);
    let Some(start) = lines.first_content_line()? else {
        return Err(CaptureError::Empty);
    };
    if start.starts_json {
        let text = lines.rest_as_text(start)?;
        return json::read(&text, sink);
    }
    let lookahead = lines.lookahead(start, detect::LOOKAHEAD)?;
    let format = detect::text_format(&lookahead);
    sink.format(format);
    let mut out = Emitter::new(sink, format);
    match format {
        CaptureFormat::CookiesTxt => cookies_txt::read(&mut lines, lookahead, &mut out)?,
        CaptureFormat::RawHeaders => raw_headers::read(&mut lines, lookahead, &mut out)?,
        CaptureFormat::CookieHeader => cookie_header::read(&mut lines, lookahead, &mut out)?,
        _ => name_list::read(&mut lines, lookahead, &mut out)?,
    }
    Ok(out.summary())
}

/// Detects the format of `input` and extracts its key names; see the module docs for the rules.
/// Unlike [`read_capture`], a capture without keys is [`CaptureError::NoKeys`].
pub fn parse_capture(input: &[u8]) -> Result<Capture, CaptureError> {
    let mut collect = Collect::default();
    read_capture(input, "the input", &mut collect)?;
    let capture = collect.into_capture();
    if capture.keys.is_empty() {
        return Err(CaptureError::NoKeys);
    }
    Ok(capture)
}

/// A [`Sink`] that keeps everything: [`parse_capture`]'s.
#[derive(Default)]
struct Collect {
    format: Option<CaptureFormat>,
    keys: Vec<CapturedKey>,
    evidence_urls: Vec<String>,
}

impl Collect {
    fn into_capture(self) -> Capture {
        Capture {
            format: self.format.unwrap_or(CaptureFormat::NameList),
            keys: self.keys,
            evidence_urls: self.evidence_urls,
        }
    }
}

impl Sink for Collect {
    fn format(&mut self, format: CaptureFormat) {
        self.format = Some(format);
    }

    fn item(&mut self, item: Item) -> ControlFlow<()> {
        match item {
            Item::Key(key) => self.keys.push(key),
            Item::EvidenceUrl(url) => self.evidence_urls.push(url),
        }
        ControlFlow::Continue(())
    }
}

/// A `u64` that is already a hash: hashed as itself.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Between the format readers and the sink: trims names, drops empty ones and duplicates (by
/// fingerprint), deduplicates URLs, counts, and remembers whether the sink asked to stop.
pub struct Emitter<'s, S: Sink + ?Sized> {
    sink: &'s mut S,
    format: CaptureFormat,
    seen: HashSet<u64, BuildHasherDefault<Prehashed>>,
    seen_urls: HashSet<String>,
    keys: usize,
    urls: usize,
    stopped: bool,
}

impl<'s, S: Sink + ?Sized> Emitter<'s, S> {
    fn new(sink: &'s mut S, format: CaptureFormat) -> Self {
        Emitter {
            sink,
            format,
            seen: HashSet::default(),
            seen_urls: HashSet::new(),
            keys: 0,
            urls: 0,
            stopped: false,
        }
    }

    /// True once the sink asked to stop: readers then stop reading.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Passes `key` on unless its name is empty or it was seen already.
    pub fn key(&mut self, mut key: CapturedKey) {
        if self.stopped {
            return;
        }
        let trimmed = key.name.trim();
        if trimmed.is_empty() {
            return;
        }
        if trimmed.len() != key.name.len() {
            key.name = trimmed.to_owned();
        }
        // Fixed keys (not a random state): a (vanishingly rare) collision is at least reproducible.
        let mut hasher = std::hash::DefaultHasher::new();
        (&key.name, key.storage, &key.domain).hash(&mut hasher);
        if !self.seen.insert(hasher.finish()) {
            return;
        }
        self.keys += 1;
        self.stopped = self.sink.item(Item::Key(key)).is_break();
    }

    /// Passes a request URL on, trimmed, unless empty or seen already.
    pub fn url(&mut self, url: &str) {
        let url = url.trim();
        if self.stopped || url.is_empty() || self.seen_urls.contains(url) {
            return;
        }
        self.seen_urls.insert(url.to_owned());
        self.urls += 1;
        self.stopped = self.sink.item(Item::EvidenceUrl(url.to_owned())).is_break();
    }

    fn summary(&self) -> CaptureTally {
        CaptureTally {
            format: self.format,
            keys: self.keys,
            evidence_urls: self.urls,
            stopped: self.stopped,
        }
    }
}

/// Lower-cases a cookie domain and drops the leading `.` that only marks it as a domain cookie.
pub fn normalize_domain(domain: &str) -> Option<String> {
    let domain = domain.trim();
    let domain = domain.strip_prefix('.').unwrap_or(domain);
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

/// The domain of an absolute URL's host, as a cookie of that URL holds it: the host
/// ([`crate::vocab::url_host`], an IPv6 address in brackets) normalized as a cookie domain.
pub fn domain_of_url(url: &str) -> Option<String> {
    crate::vocab::url_host(url)
        .as_deref()
        .and_then(normalize_domain)
}

/// Strips `prefix` from the start of `line`, ignoring ASCII case.
pub fn strip_prefix_ignore_case<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &line[prefix.len()..])
}

/// Name, value and normalized `Domain` of one `Set-Cookie` value, or `None` if it has no `name=`.
pub fn parse_set_cookie(header: &str) -> Option<(String, String, Option<String>)> {
    let cookie = cookie::Cookie::parse(header).ok()?;
    let domain = cookie.domain().and_then(normalize_domain);
    Some((cookie.name().to_owned(), cookie.value().to_owned(), domain))
}

/// The `name=value` parts of a Cookie header value (a part without `=` is a bare name), each a
/// cookie of `domain`. Split by hand rather than with `Cookie::split_parse`: it rejects bare
/// names, which a hand-edited header may hold, and its errors do not say which part failed.
pub fn push_cookie_pairs<S: Sink + ?Sized>(
    out: &mut Emitter<'_, S>,
    pairs: &str,
    domain: Option<&str>,
    origin: &str,
) {
    for part in pairs.split(';') {
        let (name, value) = match part.split_once('=') {
            Some((name, value)) => (name, Some(value.trim().to_owned())),
            None => (part, None),
        };
        if name.trim().is_empty() {
            continue;
        }
        out.key(CapturedKey {
            name: name.to_owned(),
            storage: Some(StorageKind::Cookie),
            domain: domain.map(str::to_owned),
            value,
            origin: origin.to_owned(),
        });
    }
}

/// One `Set-Cookie` value as a key: its `Domain` attribute, else `default_domain`.
pub fn push_set_cookie<S: Sink + ?Sized>(
    out: &mut Emitter<'_, S>,
    header: &str,
    default_domain: Option<&str>,
    origin: &str,
) {
    if let Some((name, value, domain)) = parse_set_cookie(header.trim()) {
        out.key(CapturedKey {
            name,
            storage: Some(StorageKind::Cookie),
            domain: domain.or_else(|| default_domain.map(str::to_owned)),
            value: Some(value),
            origin: origin.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests;
