//! A browser farm's endpoint (`--connect`): the URL forms farms use, checked before any scan;
//! discovery over `/json/version`; the WebSocket handshake over TCP or TLS with the user's
//! headers; and the farm's own words when it refuses.

use super::stream::Stream;
use super::visitor::Header;
use crate::error::{Error, Result};
use crate::vocab::terminal_safe;
use anyhow::anyhow;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;
use tungstenite::WebSocket;
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocketConfig;

/// What Chromium answers (HTTP 500) to a DevTools request whose Host header is a name; the
/// request is then sent again with the address as its Host.
const CHROMIUM_HOST_REFUSAL: &str =
    "Host header is specified and is not an IP address or localhost";

/// How much of a farm's answer body an error message quotes.
const BODY_EXCERPT_CHARS: usize = 300;

const FORMS: &str = "expected ws://HOST:PORT/…, wss://…, http://HOST:PORT or https://…";

/// A checked `--connect` URL: a known scheme, a host, a path (`/` when none was written), the
/// query kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: url::Url,
}

impl Endpoint {
    /// Checks a `--connect` value; the message says what was expected.
    pub fn parse(s: &str) -> Result<Endpoint> {
        let mut url = url::Url::parse(s.trim()).map_err(|e| {
            Error::usage(format!(
                "`{s}` is not a browser endpoint URL ({e}); {FORMS}"
            ))
        })?;
        if !matches!(url.scheme(), "ws" | "wss" | "http" | "https") {
            return Err(Error::usage(format!(
                "`{s}`: unsupported scheme `{}`; {FORMS}",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::usage(format!("`{s}` names no host; {FORMS}")));
        }
        // A fragment is never sent; keeping it would only confuse the request line.
        url.set_fragment(None);
        Ok(Endpoint { url })
    }

    /// `http(s)://`: the WebSocket URL is asked of `/json/version` first.
    pub fn is_discovery(&self) -> bool {
        matches!(self.url.scheme(), "http" | "https")
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.url.scheme(), "wss" | "https")
    }

    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    pub fn port(&self) -> u16 {
        self.url.port_or_known_default().unwrap_or(80)
    }

    /// The host's addresses; a host that does not resolve is a browser that cannot be reached.
    pub fn addrs(&self) -> Result<Vec<SocketAddr>> {
        let host = self.host().trim_matches(['[', ']']);
        let addrs: Vec<SocketAddr> = (host, self.port())
            .to_socket_addrs()
            .map_err(|e| Error::browser(anyhow!("cannot resolve {host}: {e}")))?
            .collect();
        if addrs.is_empty() {
            return Err(Error::browser(anyhow!("{host} has no address")));
        }
        Ok(addrs)
    }

    /// True when the host resolves to loopback addresses only: the farm's browser runs on this
    /// machine and can reach a site served here.
    pub fn is_loopback(&self) -> bool {
        self.addrs()
            .is_ok_and(|a| a.iter().all(|a| a.ip().is_loopback()))
    }

    /// The URL for messages: a password and the values of credential-like query parameters
    /// (`token=`, `apiKey=`, …) replaced by `***`.
    pub fn shown(&self) -> String {
        shown(&self.url)
    }

    /// An `Authorization: Basic` header for credentials written into the URL (`user:pass@`).
    fn basic_auth(&self) -> Option<Header> {
        use base64::Engine;
        if self.url.username().is_empty() && self.url.password().is_none() {
            return None;
        }
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let pair = format!(
            "{}:{}",
            decode(self.url.username()),
            decode(self.url.password().unwrap_or_default())
        );
        Some(Header {
            name: "Authorization".into(),
            value: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ),
        })
    }

    /// The URL without its credentials, as requested.
    fn bare(&self) -> url::Url {
        let mut u = self.url.clone();
        let _ = u.set_username("");
        let _ = u.set_password(None);
        u
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

fn shown(url: &url::Url) -> String {
    let mut u = url.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    if u.query().is_some() {
        let secret = |k: &str| {
            let k = k.to_ascii_lowercase();
            [
                "token",
                "key",
                "secret",
                "pass",
                "auth",
                "sig",
                "credential",
            ]
            .iter()
            .any(|s| k.contains(s))
        };
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret(&k) && !v.is_empty() {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// Parses `--connect-header 'Name: value'`; the headers that make up the WebSocket handshake
/// itself are refused (a second copy breaks it).
pub fn parse_connect_header(s: &str) -> Result<Header> {
    let h = super::visitor::parse_header(s)?;
    let lower = h.name.to_ascii_lowercase();
    if ["connection", "upgrade", "content-length"].contains(&lower.as_str())
        || lower.starts_with("sec-websocket-")
    {
        return Err(Error::usage(format!(
            "`{s}`: {} is part of the handshake chatcookie sends; it cannot be set",
            h.name
        )));
    }
    Ok(h)
}

/// The first of the host's addresses that accepts a connection: `localhost` may resolve to ::1
/// first while the browser listens on 127.0.0.1 only.
fn reachable(ep: &Endpoint, timeout: Duration) -> anyhow::Result<SocketAddr> {
    let mut last = String::new();
    for addr in ep.addrs()? {
        match std::net::TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(addr),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(anyhow!(last))
}

/// What the farm answered instead of what was asked: its status and an excerpt of its body.
fn farm_said(what: &str, status: u16, reason: &str, body: &[u8]) -> String {
    let body = String::from_utf8_lossy(body);
    let body = body.trim();
    let mut msg = format!("{what}: the farm answered HTTP {status}");
    if !reason.is_empty() {
        msg.push(' ');
        msg.push_str(&terminal_safe(reason, 60));
    }
    if !body.is_empty() {
        msg.push_str(": ");
        msg.push_str(&terminal_safe(body, BODY_EXCERPT_CHARS));
    }
    match status {
        401 | 403 => msg.push_str(
            "\n  (credentials: a token in the URL's query, `user:pass@` in the URL, or --connect-header 'Authorization: …')",
        ),
        404 => msg.push_str("\n  (check the endpoint's path: a session id in it may have expired)"),
        _ => {}
    }
    msg
}

/// An HTTP answer.
struct Answer {
    status: u16,
    reason: String,
    body: Vec<u8>,
}

/// A connected, handshaken DevTools WebSocket: the reading socket and a second handle for writing.
pub struct Connected {
    pub reader: WebSocket<Stream>,
    pub writer: Stream,
}

/// Connects to `ep`: discovery first for `http(s)://`, then the WebSocket handshake; `headers`
/// (and the URL's credentials) go with both requests. A farm that cannot be reached or refuses
/// is a browser error.
pub fn connect(
    ep: &Endpoint,
    headers: &[Header],
    config: WebSocketConfig,
    timeout: Duration,
) -> Result<Connected> {
    handshake(ep, headers, config, timeout).map_err(Error::browser)
}

fn handshake(
    ep: &Endpoint,
    headers: &[Header],
    config: WebSocketConfig,
    timeout: Duration,
) -> anyhow::Result<Connected> {
    let mut headers: Vec<Header> = headers.to_vec();
    if let Some(auth) = ep.basic_auth()
        && !headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("authorization"))
    {
        headers.push(auth);
    }
    let addr = reachable(ep, timeout)?;
    let tls_name = ep.is_tls().then(|| ep.host().trim_matches(['[', ']']));
    // The Host header: the name as written, unless Chromium refuses names (then the address).
    let mut host = host_header(ep, None);
    let ws_url = if ep.is_discovery() {
        let mut answer = http_get(ep, addr, tls_name, &host, &headers, timeout)?;
        if refuses_host_name(answer.status, &answer.body) {
            host = host_header(ep, Some(addr));
            answer = http_get(ep, addr, tls_name, &host, &headers, timeout)?;
        }
        discovered_url(ep, &answer)?
    } else {
        ep.bare()
    };
    let shown_ws = shown(&ws_url);
    let attempt = |host: &str| -> Result<Connected, HandshakeError> {
        let stream = Stream::connect(addr, tls_name, timeout)
            .map_err(|e| HandshakeError::Other(e.to_string()))?;
        let writer = stream
            .try_clone()
            .map_err(|e| HandshakeError::Other(e.to_string()))?;
        let mut request = ws_url
            .as_str()
            .into_client_request()
            .map_err(|e| HandshakeError::Other(e.to_string()))?;
        let h = request.headers_mut();
        let mut set = |name: &str, value: &str, replace: bool| -> Result<(), HandshakeError> {
            let n = tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| HandshakeError::Other(format!("header {name}: {e}")))?;
            let v = tungstenite::http::HeaderValue::from_str(value)
                .map_err(|e| HandshakeError::Other(format!("header {name}: {e}")))?;
            if replace {
                h.insert(n, v);
            } else {
                h.append(n, v);
            }
            Ok(())
        };
        set("Host", host, true)?;
        for header in &headers {
            let replace = header.name.eq_ignore_ascii_case("host");
            set(&header.name, &header.value, replace)?;
        }
        match tungstenite::client::client_with_config(request, stream, Some(config)) {
            Ok((reader, _)) => Ok(Connected { reader, writer }),
            Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(resp))) => {
                let body = resp.body().clone().unwrap_or_default();
                Err(HandshakeError::Refused {
                    status: resp.status().as_u16(),
                    reason: resp
                        .status()
                        .canonical_reason()
                        .unwrap_or_default()
                        .to_string(),
                    body,
                })
            }
            Err(e) => Err(HandshakeError::Other(format!(
                "WebSocket handshake failed: {e}"
            ))),
        }
    };
    let refused = |status, reason: &str, body: &[u8]| {
        farm_said(
            &format!("WebSocket handshake with {shown_ws} refused"),
            status,
            reason,
            body,
        )
    };
    match attempt(&host) {
        Ok(c) => Ok(c),
        Err(HandshakeError::Refused { status, body, .. })
            if refuses_host_name(status, &body) && !ep.host_is_address() =>
        {
            match attempt(&host_header(ep, Some(addr))) {
                Ok(c) => Ok(c),
                Err(HandshakeError::Refused {
                    status,
                    reason,
                    body,
                }) => Err(anyhow!(refused(status, &reason, &body))),
                Err(HandshakeError::Other(e)) => Err(anyhow!(e)),
            }
        }
        Err(HandshakeError::Refused {
            status,
            reason,
            body,
        }) => Err(anyhow!(refused(status, &reason, &body))),
        Err(HandshakeError::Other(e)) => Err(anyhow!(e)),
    }
}

enum HandshakeError {
    Refused {
        status: u16,
        reason: String,
        body: Vec<u8>,
    },
    Other(String),
}

impl Endpoint {
    fn host_is_address(&self) -> bool {
        self.host()
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok()
    }
}

fn refuses_host_name(status: u16, body: &[u8]) -> bool {
    status == 500 && String::from_utf8_lossy(body).contains(CHROMIUM_HOST_REFUSAL)
}

/// `host:port` as written, or with the address in place of the name.
fn host_header(ep: &Endpoint, addr: Option<SocketAddr>) -> String {
    let host = match addr {
        Some(SocketAddr::V4(a)) => a.ip().to_string(),
        Some(SocketAddr::V6(a)) => format!("[{}]", a.ip()),
        None => ep.host().to_string(),
    };
    match ep.url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// The WebSocket URL from a `/json/version` answer, made to reach the browser the way the user
/// does: Chromium builds it from the Host header it was sent (an address, or a name behind a
/// port-forward the farm cannot know), so only its path (and query) are kept; scheme, host and
/// port are the endpoint's, and the endpoint's query (a token) when the answer has none.
fn discovered_url(ep: &Endpoint, answer: &Answer) -> anyhow::Result<url::Url> {
    let what = "/json/version".to_string();
    if !(200..300).contains(&answer.status) {
        return Err(anyhow!(farm_said(
            &what,
            answer.status,
            &answer.reason,
            &answer.body,
        )));
    }
    let v: serde_json::Value = serde_json::from_slice(&answer.body).map_err(|e| {
        anyhow!(
            "{what} is not JSON ({e}): {}",
            terminal_safe(
                String::from_utf8_lossy(&answer.body).trim(),
                BODY_EXCERPT_CHARS
            )
        )
    })?;
    let given = v
        .get("webSocketDebuggerUrl")
        .and_then(|u| u.as_str())
        .ok_or_else(|| anyhow!("{what} has no webSocketDebuggerUrl"))?;
    let given = url::Url::parse(given)
        .map_err(|e| anyhow!("{what}: webSocketDebuggerUrl `{given}` is not a URL: {e}"))?;
    let mut ws = ep.bare();
    let _ = ws.set_scheme(if ep.is_tls() { "wss" } else { "ws" });
    ws.set_path(given.path());
    ws.set_query(given.query().or(ep.url.query()));
    Ok(ws)
}

/// GET `/json/version` below the endpoint's path, its query kept; bounded by `timeout`.
/// Chromium keeps HTTP/1.1 connections open whatever the request says, so the body is read by
/// its Content-Length (or chunks, or to the end).
fn http_get(
    ep: &Endpoint,
    addr: SocketAddr,
    tls_name: Option<&str>,
    host: &str,
    headers: &[Header],
    timeout: Duration,
) -> anyhow::Result<Answer> {
    use std::io::{Read, Write};
    let mut target = format!("{}/json/version", ep.url.path().trim_end_matches('/'));
    if let Some(q) = ep.url.query() {
        target.push('?');
        target.push_str(q);
    }
    let what = "/json/version".to_string();
    let mut s = Stream::connect(addr, tls_name, timeout).map_err(|e| anyhow!("{what}: {e}"))?;
    let mut req = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\nConnection: close\r\n"
    );
    for h in headers {
        if !h.name.eq_ignore_ascii_case("host") {
            req.push_str(&format!("{}: {}\r\n", h.name, h.value));
        } else {
            req = req.replacen(
                &format!("Host: {host}\r\n"),
                &format!("Host: {}\r\n", h.value),
                1,
            );
        }
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())
        .and_then(|()| s.flush())
        .map_err(|e| anyhow!("{what}: cannot send: {e}"))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(answer) = parse_answer(&buf, false) {
            return Ok(answer);
        }
        if buf.len() > 1 << 20 {
            break;
        }
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            // A TLS peer that closes without close_notify has still said all it will.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(anyhow!("{what}: no complete answer: {e}")),
        }
    }
    parse_answer(&buf, true).ok_or_else(|| anyhow!("{what}: not an HTTP answer"))
}

/// The answer in `buf`, once complete (or, at the end of the stream, as far as it came).
fn parse_answer(buf: &[u8], at_end: bool) -> Option<Answer> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]);
    let mut lines = head.lines();
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    let _version = parts.next()?;
    let status: u16 = parts.next()?.parse().ok()?;
    let reason = parts.next().unwrap_or_default().to_string();
    let header = |name: &str| {
        head.lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    let rest = &buf[end + 4..];
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        match dechunk(rest) {
            Some(body) => body,
            None if at_end => rest.to_vec(),
            None => return None,
        }
    } else if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if rest.len() < len && !at_end {
            return None;
        }
        rest[..len.min(rest.len())].to_vec()
    } else if at_end {
        rest.to_vec()
    } else {
        return None;
    };
    Some(Answer {
        status,
        reason,
        body,
    })
}

/// A chunked body, once its last chunk arrived.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        if rest.len() < size + 2 {
            return None;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_farm_form_parses_and_keeps_its_query() {
        let e = Endpoint::parse("ws://localhost:3000?token=abc").unwrap();
        assert_eq!(e.bare().as_str(), "ws://localhost:3000/?token=abc");
        let e = Endpoint::parse("ws://grid:4444/session/1/se/cdp?x=1").unwrap();
        assert_eq!(e.bare().as_str(), "ws://grid:4444/session/1/se/cdp?x=1");
        let e = Endpoint::parse("wss://user:p%40ss@farm.example/chromium?token=t").unwrap();
        assert!(e.is_tls() && !e.is_discovery());
        assert_eq!(e.port(), 443);
        assert_eq!(e.bare().as_str(), "wss://farm.example/chromium?token=t");
        assert_eq!(
            e.basic_auth().unwrap().value,
            format!(
                "Basic {}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "user:p@ss")
            )
        );
        assert_eq!(e.shown(), "wss://user:***@farm.example/chromium?token=***");
        let e = Endpoint::parse("https://farm.example?timeout=600000&apiKey=k").unwrap();
        assert!(e.is_tls() && e.is_discovery());
        assert_eq!(e.shown(), "https://farm.example/?timeout=600000&apiKey=***");
    }

    #[test]
    fn malformed_endpoints_say_what_was_expected() {
        for (bad, says) in [
            ("notaurl", "not a browser endpoint URL"),
            ("ftp://x", "unsupported scheme `ftp`"),
            ("ws://", "not a browser endpoint URL"),
            ("http://:9222", "not a browser endpoint URL"),
            ("ws://host:notaport", "not a browser endpoint URL"),
        ] {
            let e = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(
                e.contains(says) && e.contains("expected ws://"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn handshake_headers_cannot_be_overridden() {
        assert!(parse_connect_header("Authorization: Bearer x").is_ok());
        assert!(parse_connect_header("Upgrade: h2c").is_err());
        assert!(parse_connect_header("no colon").is_err());
    }

    #[test]
    fn answers_are_read_by_length_or_chunks() {
        let a = parse_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", false).unwrap();
        assert_eq!((a.status, &a.body[..]), (200, &b"{}"[..]));
        assert!(parse_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}", false).is_none());
        let a = parse_answer(
            b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            false,
        )
        .unwrap();
        assert_eq!(
            (a.status, a.reason.as_str(), &a.body[..]),
            (400, "Bad Request", &b"hello world"[..])
        );
    }

    #[test]
    fn a_discovered_url_reaches_the_browser_as_the_user_does() {
        let ep = Endpoint::parse("https://farm.example:8443/?token=t").unwrap();
        let answer = Answer {
            status: 200,
            reason: "OK".into(),
            body: br#"{"webSocketDebuggerUrl":"ws://10.0.0.7:9222/devtools/browser/abc"}"#.to_vec(),
        };
        assert_eq!(
            discovered_url(&ep, &answer).unwrap().as_str(),
            "wss://farm.example:8443/devtools/browser/abc?token=t"
        );
    }

    #[test]
    fn a_farms_refusal_is_quoted_terminal_safe_and_bounded() {
        let body = format!("session expired\x1b[31m{}", "x".repeat(1000));
        let m = farm_said("handshake", 400, "Bad Request", body.as_bytes());
        assert!(
            m.contains("HTTP 400 Bad Request: session expired\\u{1b}[31m"),
            "{m}"
        );
        assert!(m.chars().count() < 450, "{m}");
    }
}
