//! A loopback web server for local site directories and the embedded demo sites.
//!
//! Layout of a served site: files from its root for the site's own host; `_hosts/<name>/` for
//! requests whose Host is `<name>` (a vendor CDN or a cross-origin iframe, stubbed locally);
//! an optional Netlify-style `_headers` file (a path line, then indented `Name: value` lines)
//! and `_redirects` file (`FROM TO [STATUS]` per line) in the root or in a `_hosts/<name>/` folder.

use crate::error::{Error, Result};
use anyhow::Context;
use include_dir::Dir;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// Where a site's files come from.
#[derive(Clone)]
pub enum SiteFiles {
    Disk(PathBuf),
    Embedded(&'static Dir<'static>),
}

impl SiteFiles {
    fn read(&self, rel: &Path) -> Option<Vec<u8>> {
        match self {
            SiteFiles::Disk(root) => {
                let p = root.join(rel);
                if p.is_file() {
                    std::fs::read(p).ok()
                } else {
                    None
                }
            }
            SiteFiles::Embedded(dir) => dir
                .get_file(dir.path().join(rel))
                .map(|f| f.contents().to_vec()),
        }
    }

    fn is_dir(&self, rel: &Path) -> bool {
        match self {
            SiteFiles::Disk(root) => root.join(rel).is_dir(),
            SiteFiles::Embedded(dir) => {
                rel.as_os_str().is_empty() || dir.get_dir(dir.path().join(rel)).is_some()
            }
        }
    }

    /// Where the files are, for messages and de-duplication.
    pub fn describe(&self) -> String {
        match self {
            SiteFiles::Disk(root) => root.display().to_string(),
            SiteFiles::Embedded(dir) => format!("(built in)/{}", dir.path().display()),
        }
    }

    /// The virtual host names under `_hosts/`.
    pub fn virtual_hosts(&self) -> Vec<String> {
        match self {
            SiteFiles::Disk(root) => std::fs::read_dir(root.join("_hosts"))
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .filter(|e| e.path().is_dir())
                        .filter_map(|e| e.file_name().to_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            SiteFiles::Embedded(dir) => dir
                .get_dir(dir.path().join("_hosts"))
                .map(|d| {
                    d.dirs()
                        .filter_map(|s| s.path().file_name()?.to_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// A running loopback server for one site.
pub struct SiteServer {
    listener: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    pub port: u16,
    /// The site's own host name, e.g. `www.shop.test`.
    pub host: String,
    /// Every host name the browser must resolve to loopback for this site.
    pub hosts: BTreeSet<String>,
}

impl SiteServer {
    /// Serves `files` on 127.0.0.1 at a free port, as `host`. A server that cannot listen is a
    /// site error: the site cannot be reached.
    pub fn start(files: SiteFiles, host: &str) -> Result<SiteServer> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .context("cannot listen on loopback")
            .map_err(Error::site)?;
        let port = listener
            .local_addr()
            .context("loopback server has no address")
            .map_err(Error::site)?
            .port();
        let mut hosts: BTreeSet<String> = files.virtual_hosts().into_iter().collect();
        hosts.insert(host.to_string());
        let files = Arc::new(files);
        let stop = Arc::new(AtomicBool::new(false));
        // One thread per connection and one request per connection (`Connection: close`):
        // Chromium reusing a kept-alive connection of tiny_http after six parallel font
        // downloads sometimes never saw the response to the module script that followed.
        let listener = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let files = Arc::clone(&files);
                    std::thread::spawn(move || serve_connection(&files, conn));
                }
            })
        };
        Ok(SiteServer {
            listener: Some(listener),
            stop,
            port,
            host: host.to_string(),
            hosts,
        })
    }

    /// The site's start URL.
    pub fn url(&self) -> String {
        format!("http://{}:{}/", self.host, self.port)
    }
}

impl Drop for SiteServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(l) = self.listener.take() {
            let _ = l.join();
        }
    }
}

/// One request as read off the wire: its path (with query) and its Host header.
struct Request {
    url: String,
    host: String,
}

/// A response to write: status, headers and body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn text(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }
}

/// Reads one request from `conn`, answers it and closes the connection.
fn serve_connection(files: &SiteFiles, mut conn: TcpStream) {
    // A browser that opened a connection and never sends on it must not hold a thread forever.
    let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(30)));
    let Some(req) = read_request(&mut conn) else {
        return;
    };
    let resp = respond(files, &req);
    let _ = write_response(&mut conn, &resp);
    let _ = conn.flush();
    let _ = conn.shutdown(std::net::Shutdown::Write);
}

/// The request line and headers; a body (Content-Length) is read and dropped.
fn read_request(conn: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (_method, url) = (parts.next()?, parts.next()?.to_string());
    let mut host = String::new();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("host") {
                host = value.split(':').next().unwrap_or("").to_ascii_lowercase();
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            }
        }
    }
    // Read the body so that closing the connection does not reset it under the client.
    let mut body = vec![0u8; length.min(16 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(Request { url, host })
}

fn write_response(conn: &mut TcpStream, resp: &Response) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (name, value) in &resp.headers {
        // A header line never carries a line break from a `_headers` file.
        if name.contains(['\r', '\n']) || value.contains(['\r', '\n']) {
            continue;
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        resp.body.len()
    ));
    conn.write_all(head.as_bytes())?;
    conn.write_all(&resp.body)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Status",
    }
}

/// The host name a local directory is served under: `www.<dir-name>.test`.
pub fn host_for_dir(dir: &Path) -> String {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let label: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let label = label.trim_matches('-');
    format!("www.{}.test", if label.is_empty() { "site" } else { label })
}

/// The answer to one request: a file of the site (or of a `_hosts/` name), a redirect, or 404.
fn respond(files: &SiteFiles, req: &Request) -> Response {
    let url_path = req.url.split(['?', '#']).next().unwrap_or("/").to_string();
    let base = if !req.host.is_empty() && files.is_dir(&Path::new("_hosts").join(&req.host)) {
        Path::new("_hosts").join(&req.host)
    } else {
        PathBuf::new()
    };
    let Some(rel) = safe_relative(&url_path) else {
        return Response::text(400, "bad path");
    };
    if let Some(rules) = files.read(&base.join("_redirects"))
        && let Some((to, status)) = redirect_for(&String::from_utf8_lossy(&rules), &url_path)
    {
        let mut resp = Response::text(status, "");
        resp.headers.push(("Location".into(), to));
        return resp;
    }
    let mut file = base.join(&rel);
    if url_path.ends_with('/') || files.is_dir(&file) {
        file = file.join("index.html");
    }
    // `_headers` and `_hosts` are configuration, never content.
    let hidden = rel
        .components()
        .next()
        .is_some_and(|c| matches!(c.as_os_str().to_str(), Some("_headers" | "_hosts")));
    let body = if hidden { None } else { files.read(&file) };
    let Some(body) = body else {
        return Response::text(404, "not found");
    };
    let ctype = content_type(&file, !base.as_os_str().is_empty());
    let mut headers = vec![("Content-Type".to_string(), ctype.to_string())];
    if let Some(rules) = files.read(&base.join("_headers")) {
        for (name, value) in headers_for(&String::from_utf8_lossy(&rules), &url_path) {
            if name.eq_ignore_ascii_case("content-type") {
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
            }
            headers.push((name, value));
        }
    }
    Response {
        status: 200,
        headers,
        body,
    }
}

/// Turns a URL path into a relative file path, refusing anything that climbs out.
fn safe_relative(url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let p = Path::new(decoded.trim_start_matches('/'));
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path, virtual_host: bool) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "application/javascript",
        Some("css") => "text/css",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("txt") => "text/plain; charset=utf-8",
        // Vendor embed URLs often have no extension (`embed.tawk.to/<id>/default`).
        None if virtual_host => "application/javascript",
        _ => "application/octet-stream",
    }
}

/// The target and status (default 302) a `_redirects` file gives `url_path` (exact paths only).
fn redirect_for(rules: &str, url_path: &str) -> Option<(String, u16)> {
    rules
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .find_map(|l| {
            let mut parts = l.split_whitespace();
            let (from, to) = (parts.next()?, parts.next()?);
            let status = parts.next().and_then(|s| s.parse().ok()).unwrap_or(302);
            (from == url_path).then(|| (to.to_string(), status))
        })
}

/// The headers a Netlify-style `_headers` file gives `url_path` (exact paths, or `/*` prefixes).
fn headers_for(rules: &str, url_path: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut applies = false;
    for line in rules.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            let pat = line.trim();
            applies = match pat.strip_suffix('*') {
                Some(prefix) => url_path.starts_with(prefix),
                None => pat == url_path,
            };
        } else if applies && let Some((name, value)) = line.trim().split_once(':') {
            out.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_never_climb_out() {
        assert_eq!(safe_relative("/a/b.html"), Some(PathBuf::from("a/b.html")));
        assert_eq!(safe_relative("/../etc/passwd"), None);
        assert_eq!(safe_relative("/%2e%2e/etc/passwd"), None);
        assert_eq!(safe_relative("/"), Some(PathBuf::new()));
    }

    #[test]
    fn headers_file_applies_by_path() {
        let rules = "/\n  Set-Cookie: a=1; HttpOnly\n  Set-Cookie: b=2\n/api/*\n  X-Api: yes\n";
        let h = headers_for(rules, "/");
        assert_eq!(h.len(), 2);
        assert_eq!(h[0], ("Set-Cookie".into(), "a=1; HttpOnly".into()));
        assert_eq!(headers_for(rules, "/api/x").len(), 1);
        assert!(headers_for(rules, "/other").is_empty());
    }

    #[test]
    fn redirects_file_maps_exact_paths() {
        let rules = "# loop\n/ /a 302\n/a / 301\n/old /new\n";
        assert_eq!(redirect_for(rules, "/"), Some(("/a".into(), 302)));
        assert_eq!(redirect_for(rules, "/a"), Some(("/".into(), 301)));
        assert_eq!(redirect_for(rules, "/old"), Some(("/new".into(), 302)));
        assert_eq!(redirect_for(rules, "/b"), None);
    }

    /// Sends `raw` to the server and reads the whole answer (the server closes the connection).
    fn exchange(port: u16, raw: &str) -> String {
        let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.write_all(raw.as_bytes()).unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn each_request_gets_its_file_its_headers_and_a_closed_connection() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(dir.path().join("_headers"), "/\n  Set-Cookie: a=1\n").unwrap();
        std::fs::create_dir_all(dir.path().join("_hosts/cdn.example")).unwrap();
        std::fs::write(dir.path().join("_hosts/cdn.example/w.js"), "x()").unwrap();
        let server = SiteServer::start(SiteFiles::Disk(dir.path().into()), "www.a.test").unwrap();
        let page = exchange(
            server.port,
            "GET /?q=1 HTTP/1.1\r\nHost: www.a.test:1\r\n\r\n",
        );
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        assert!(page.contains("Content-Length: 9\r\n") && page.contains("Connection: close"));
        assert!(page.contains("Set-Cookie: a=1\r\n") && page.ends_with("<p>hi</p>"));
        let script = exchange(
            server.port,
            "POST /w.js HTTP/1.1\r\nHost: cdn.example\r\nContent-Length: 3\r\n\r\nabc",
        );
        assert!(script.contains("application/javascript") && script.ends_with("x()"));
        let missing = exchange(
            server.port,
            "GET /nope HTTP/1.1\r\nHost: www.a.test\r\n\r\n",
        );
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        assert!(server.hosts.contains("cdn.example"));
    }

    #[test]
    fn host_names_come_from_directory_names() {
        let dir = tempfile::Builder::new()
            .prefix("My Shop_")
            .tempdir()
            .unwrap();
        let host = host_for_dir(dir.path());
        assert!(host.starts_with("www.my-shop-"), "{host}");
        assert!(host.ends_with(".test"));
    }
}
