//! A loopback web server for local site directories and the embedded demo sites.
//!
//! Layout of a served site: files from its root for the site's own host; `_hosts/<name>/` for
//! requests whose Host is `<name>` (a vendor CDN or a cross-origin iframe, stubbed locally);
//! an optional Netlify-style `_headers` file (a path line, then indented `Name: value` lines)
//! and `_redirects` file (`FROM TO [STATUS]` per line) in the root or in a `_hosts/<name>/` folder.

use anyhow::Context;
use include_dir::Dir;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
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
    server: Arc<tiny_http::Server>,
    workers: Vec<JoinHandle<()>>,
    pub port: u16,
    /// The site's own host name, e.g. `www.shop.test`.
    pub host: String,
    /// Every host name the browser must resolve to loopback for this site.
    pub hosts: BTreeSet<String>,
}

impl SiteServer {
    /// Serves `files` on 127.0.0.1 at a free port, as `host`.
    pub fn start(files: SiteFiles, host: &str) -> anyhow::Result<SiteServer> {
        let server = Arc::new(
            tiny_http::Server::http("127.0.0.1:0")
                .map_err(|e| anyhow::anyhow!("cannot listen on loopback: {e}"))?,
        );
        let port = server
            .server_addr()
            .to_ip()
            .context("loopback server has no IP address")?
            .port();
        let mut hosts: BTreeSet<String> = files.virtual_hosts().into_iter().collect();
        hosts.insert(host.to_string());
        let files = Arc::new(files);
        // A few workers: a page's parallel requests must not queue behind one slow file read.
        let workers = (0..4)
            .map(|_| {
                let server = Arc::clone(&server);
                let files = Arc::clone(&files);
                std::thread::spawn(move || {
                    while let Ok(req) = server.recv() {
                        respond(&files, req);
                    }
                })
            })
            .collect();
        Ok(SiteServer {
            server,
            workers,
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
        for _ in &self.workers {
            self.server.unblock();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
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

fn respond(files: &SiteFiles, req: tiny_http::Request) {
    let host = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .map(|h| {
            h.value
                .as_str()
                .split(':')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let url_path = req
        .url()
        .split(['?', '#'])
        .next()
        .unwrap_or("/")
        .to_string();
    let base = if !host.is_empty() && files.is_dir(&Path::new("_hosts").join(&host)) {
        Path::new("_hosts").join(&host)
    } else {
        PathBuf::new()
    };
    let Some(rel) = safe_relative(&url_path) else {
        let _ = req.respond(tiny_http::Response::from_string("bad path").with_status_code(400));
        return;
    };
    if let Some(rules) = files.read(&base.join("_redirects"))
        && let Some((to, status)) = redirect_for(&String::from_utf8_lossy(&rules), &url_path)
    {
        let mut resp = tiny_http::Response::from_string("").with_status_code(status);
        if let Ok(h) = tiny_http::Header::from_bytes("Location", to.as_bytes()) {
            resp.add_header(h);
        }
        let _ = req.respond(resp);
        return;
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
        let _ = req.respond(tiny_http::Response::from_string("not found").with_status_code(404));
        return;
    };
    let mut resp = tiny_http::Response::from_data(body);
    let ctype = content_type(&file, !base.as_os_str().is_empty());
    if let Ok(h) = tiny_http::Header::from_bytes("Content-Type", ctype) {
        resp.add_header(h);
    }
    if let Some(rules) = files.read(&base.join("_headers")) {
        for (name, value) in headers_for(&String::from_utf8_lossy(&rules), &url_path) {
            if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                resp.add_header(h);
            }
        }
    }
    let _ = req.respond(resp);
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
