//! Raw HTTP header blocks: `curl -v` output (`> ` / `< ` prefixes) and DevTools' "copy request/response headers".
//!
//! Only `Cookie:` lines (each `name=value` part a cookie of the request's host) and
//! `Set-Cookie:` lines (one cookie; its `Domain` attribute, else the request's host) yield keys;
//! every other header, curl's `* ` info and `{ [data]` lines, and body text are skipped. The
//! request's host comes from its `Host:` or `:authority:` header or an absolute request target;
//! a response takes the host of the request before it. A request line's target with that host
//! is an evidence URL (`https://` assumed: headers do not carry the scheme), so a request for
//! `embed.tawk.to/…` evidences tawk.to.

use std::io::BufRead;

use super::lines::{Kept, Lines};
use super::{CaptureError, Emitter, Sink, domain_of_url, push_cookie_pairs, push_set_cookie};

const PSEUDO_HEADERS: [&str; 5] = [":authority:", ":method:", ":path:", ":scheme:", ":status:"];

/// Drops curl's `> ` (sent) or `< ` (received) prefix.
fn strip_curl(line: &str) -> &str {
    match line.as_bytes() {
        [b'>' | b'<', b' ', ..] => &line[2..],
        [b'>' | b'<'] => "",
        _ => line,
    }
}

/// `GET /path HTTP/1.1`: the request target.
fn request_target(line: &str) -> Option<&str> {
    let mut parts = line.split_whitespace();
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let is_method =
        (3..=10).contains(&method.len()) && method.bytes().all(|b| b.is_ascii_uppercase());
    (is_method && version.starts_with("HTTP/") && parts.next().is_none()).then_some(target)
}

/// `HTTP/1.1 200 OK`, `HTTP/2 200`.
fn is_status_line(line: &str) -> bool {
    let mut parts = line.split_whitespace();
    parts.next().is_some_and(|v| v.starts_with("HTTP/"))
        && parts
            .next()
            .is_some_and(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
}

fn is_pseudo_header(line: &str) -> bool {
    PSEUDO_HEADERS.iter().any(|p| {
        line.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    })
}

/// `Name: value` with an HTTP token as the name.
fn header_line(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    let spaced = value.is_empty() || value.starts_with([' ', '\t']);
    (!name.is_empty() && name.bytes().all(token) && spaced).then(|| (name, value.trim()))
}

/// Whether the first lines (neither blank nor comments) look like HTTP headers.
pub fn looks_like_headers(lines: &[&str]) -> bool {
    let start_line = lines.iter().any(|line| {
        let line = strip_curl(line).trim();
        request_target(line).is_some() || is_status_line(line) || is_pseudo_header(line)
    });
    if start_line {
        return true;
    }
    let headers: Vec<&str> = lines
        .iter()
        .take(2)
        .filter_map(|line| header_line(line).map(|(name, _)| name))
        .collect();
    headers.len() == 2
        && headers.iter().any(|name| {
            !name.eq_ignore_ascii_case("cookie") && !name.eq_ignore_ascii_case("set-cookie")
        })
}

#[derive(Default)]
struct Request {
    /// As written in `Host:` or `:authority:` (may carry a port).
    host: Option<String>,
    /// The cookie domain: the host without port, normalized.
    domain: Option<String>,
    /// A request target waiting for its host to become an evidence URL.
    path: Option<String>,
}

impl Request {
    fn set_host(&mut self, host: &str) {
        self.domain = domain_of_url(&format!("https://{host}/"));
        self.host = Some(host.to_owned());
    }

    fn evidence_url(&mut self) -> Option<String> {
        let host = self.host.as_deref()?;
        let path = self.path.take()?;
        let slash = if path.starts_with('/') { "" } else { "/" };
        Some(format!("https://{host}{slash}{path}"))
    }
}

/// A `Cookie` or `Set-Cookie` line waiting for the end of its header block, whose host it takes
/// (DevTools sorts headers by name, so `Cookie` comes before `Host`).
struct Pending {
    set_cookie: bool,
    value: String,
    origin: String,
}

fn flush<S: Sink + ?Sized>(
    pending: &mut Vec<Pending>,
    domain: Option<&str>,
    out: &mut Emitter<'_, S>,
) {
    for p in pending.drain(..) {
        if p.set_cookie {
            push_set_cookie(out, &p.value, domain, &p.origin);
        } else {
            push_cookie_pairs(out, &p.value, domain, &p.origin);
        }
    }
}

pub fn read<R: BufRead, S: Sink + ?Sized>(
    lines: &mut Lines<R>,
    kept: Vec<Kept>,
    out: &mut Emitter<'_, S>,
) -> Result<(), CaptureError> {
    let mut request = Request::default();
    let mut pending: Vec<Pending> = Vec::new();
    lines.for_each(kept, |number, line| {
        let line = line.trim();
        if line.is_empty()
            || line.starts_with('*')
            || line.starts_with("{ [")
            || line.starts_with("} [")
        {
            return Ok(true);
        }
        let line = strip_curl(line).trim();
        if let Some(target) = request_target(line) {
            flush(&mut pending, request.domain.as_deref(), out);
            request = Request::default();
            if target.contains("://") {
                out.url(target);
                request.domain = domain_of_url(target);
            } else {
                request.path = Some(target.to_owned());
            }
        } else if is_status_line(line) {
            flush(&mut pending, request.domain.as_deref(), out);
        } else if is_pseudo_header(line) {
            let (name, value) = line[1..].split_once(':').unwrap_or_default();
            match name.to_ascii_lowercase().as_str() {
                "authority" => request.set_host(value.trim()),
                "path" => request.path = Some(value.trim().to_owned()),
                _ => {}
            }
        } else if let Some((name, value)) = header_line(line) {
            let set_cookie = name.eq_ignore_ascii_case("set-cookie");
            if name.eq_ignore_ascii_case("host") {
                request.set_host(value);
            } else if set_cookie || name.eq_ignore_ascii_case("cookie") {
                pending.push(Pending {
                    set_cookie,
                    value: value.to_owned(),
                    origin: format!("line {number}"),
                });
            }
        }
        if let Some(url) = request.evidence_url() {
            out.url(&url);
        }
        Ok(!out.stopped())
    })?;
    flush(&mut pending, request.domain.as_deref(), out);
    Ok(())
}
