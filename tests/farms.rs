//! `--connect` against farms staged on loopback: a Chromium started here on a fixed port and
//! reached through a host name that is not `localhost`; a recording proxy in front of it (the
//! `?query` and `/path?query` forms of browserless and Selenium Grid, `--connect-header`); a farm
//! that refuses with a body; a farm that cuts the session; a TLS endpoint (wss://, https://).
//! After every connected scan, the farm's `/json/list` must hold no page chatcookie opened.
//! And a real farm: browserless from npm (`tests/npm-farm/`, installed at test time like
//! `tests/npm/`), run with node and pointed at the system Chromium.

mod common;
#[path = "common/npm.rs"]
mod npm;

use common::{bin, code, root, run_within, text};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A host name that resolves to loopback only and is not `localhost` (Chromium accepts
/// `localhost` as a Host header, but no other name): the machine's own name, else a name from
/// /etc/hosts. None, with the reason printed, when there is none.
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
    if found.is_none() {
        eprintln!(
            "SKIPPED: no host name here resolves to loopback other than localhost (tried `hostname` and /etc/hosts)"
        );
    }
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
                "--host-resolver-rules=MAP *.test 127.0.0.1, MAP apps.mypurecloud.de 127.0.0.1",
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
    let unported = |s: &str| match url::Url::parse(s) {
        Ok(u) if u.host_str().is_some() => format!("{}://{}", u.scheme(), u.host_str().unwrap()),
        _ => s.to_string(),
    };
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
/// reason printed, when the tool is missing.
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
            eprintln!("SKIPPED: no openssl tool to make a test certificate ({e})");
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
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 2") {
        return None;
    }
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Some(body.to_string());
    }
    let mut out = String::new();
    let mut rest = body;
    loop {
        let (size, tail) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
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
    // to raise. The steps' quiet window makes the scan outlast 8 s.
    let endpoint = format!(
        "ws://{name}:{}?token={TOKEN}&timeout=8000&launch={launch}",
        farm.port
    );
    let mut cut = bin();
    cut.arg("scan")
        .arg(&site)
        .args(GENESYS)
        .args(["--quiet", "4s", "--connect", &endpoint]);
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
