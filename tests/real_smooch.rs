//! The real Smooch (Sunshine Conversations) web messenger, npm `smooch` 3.x — the engine Web1on1
//! is built on — scanned step by step against a small mock of the Smooch API on loopback.
//!
//! The package is installed at test time with `npm ci` from `tests/npm-smooch/` into a cache
//! directory keyed by its lock (`target/npm-cache/npm-smooch-<hash>/`, or under
//! `$CHATCOOKIE_NPM_CACHE`; tests/common/npm.rs), then bundled for the browser with esbuild
//! (3.x ships CommonJS only) into `smooch-bundle-<hash>.js` beside it. The site is
//! `fixtures/npm/smooch-web1on1/`; its README says what the mock answers and why.

use crate::common;
use crate::common::npm;

use chatcookie::browser::{BrowserOptions, BrowserSession};
use chatcookie::catalog::Catalog;
use chatcookie::consent::CmpRules;
use chatcookie::report::ScanReport;
use chatcookie::run::Judge;
use chatcookie::scan::{self, ConsentChoice, ConsentMethod, ScanOptions, Settings, StepStatus};
use chatcookie::serve::{SiteFiles, SiteServer};
use chatcookie::{ConsentAction, Step};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

/// The site's own host; the bundle is served as the 3.x CDN served it, from `cdn.smooch.io`.
const HOST: &str = "www.smooch-web1on1.test";
const CDN_HOST: &str = "cdn.smooch.io";
/// The mock API's host name (mapped to loopback like the others).
const API_HOST: &str = "api.smooch.test";
/// The first message the chat_message step sends.
const MESSAGE: &str = "Hello, is the blue estate car still available?";

// ---------------------------------------------------------------------------------------------
// npm: tests/npm-smooch installed once per lock (tests/common/npm.rs), then bundled.

/// How the 3.x CommonJS build becomes one browser script (run in the installation's
/// directory). Part of the bundle's cache key.
const ESBUILD_ARGS: &[&str] = &[
    // The package's main module (`module.exports = new Smooch()`), as its README's
    // "Browserify and Webpack" section uses it; the global is what its CDN build defined.
    "node_modules/smooch/lib/main.js",
    "--bundle",
    "--format=iife",
    "--global-name=Smooch",
    "--platform=browser",
    "--minify",
    "--log-level=warning",
    // What webpack 1 (the 3.x build) provided: process.env, `global`, and node's path/url.
    "--define:process.env.NODE_ENV=\"production\"",
    "--define:global=window",
    "--alias:path=path-browserify",
    // faye names its browser build in a `browserify` field, which esbuild does not read.
    "--alias:faye=faye/browser/faye-browser",
];

/// The bundled messenger, `<npm cache>/smooch-bundle-<hash>.js`, built on first use from the
/// `npm ci` of `tests/npm-smooch/` (tests/common/npm.rs).
fn smooch_bundle() -> &'static Path {
    static BUNDLE: OnceLock<PathBuf> = OnceLock::new();
    BUNDLE.get_or_init(|| bundle().unwrap_or_else(|e| panic!("bundling smooch: {e}")))
}

fn bundle() -> Result<PathBuf, String> {
    let modules = npm::node_modules("npm-smooch");
    // The installation's directory name carries the hash of package.json and its lock.
    let install = modules.parent().unwrap();
    let mut h = Sha256::new();
    h.update(install.as_os_str().as_encoded_bytes());
    h.update(ESBUILD_ARGS.join("\n").as_bytes());
    let hash: String = h
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let out = npm::cache_root().join(format!("smooch-bundle-{hash}.js"));
    if out.is_file() {
        return Ok(out);
    }
    // Concurrent builders each write their own file and rename it into place: the same bytes,
    // and a reader never sees half a file.
    let tmp = out.with_extension(format!("js.tmp-{}", std::process::id()));
    let output = Command::new(modules.join(".bin/esbuild"))
        .args(ESBUILD_ARGS)
        .arg(format!("--outfile={}", tmp.display()))
        .current_dir(install)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("esbuild: {e}"))?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "esbuild: {}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::rename(&tmp, &out).map_err(|e| format!("rename {}: {e}", tmp.display()))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The mock Smooch API (v1, as smooch-core 3.4 calls it, plus Faye's Bayeux handshake).

/// One request the mock received.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    /// The query string, if any (Faye's JSONP transport sends its messages there).
    query: String,
    /// The Upgrade header (a WebSocket attempt), if any.
    upgrade: Option<String>,
    body: String,
}

struct MockSmooch {
    server: Arc<tiny_http::Server>,
    workers: Vec<JoinHandle<()>>,
    port: u16,
    log: Arc<Mutex<Vec<Received>>>,
}

/// The ids the mock hands out (fixed: the test finds them again in the page's requests).
const APP_USER_ID: &str = "5a1f0c3e9b2d4e6f8a7b1c2d";
const CONVERSATION_ID: &str = "5a1f0c3e9b2d4e6f8a7b1c3e";
const APP_ID: &str = "5a1f0c3e9b2d4e6f8a7b1c00";

impl MockSmooch {
    fn start() -> MockSmooch {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let workers = (0..4)
            .map(|_| {
                let server = Arc::clone(&server);
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    while let Ok(req) = server.recv() {
                        mock_respond(req, &log);
                    }
                })
            })
            .collect();
        MockSmooch {
            server,
            workers,
            port,
            log,
        }
    }

    fn requests(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for MockSmooch {
    fn drop(&mut self) {
        for _ in &self.workers {
            self.server.unblock();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn app_user() -> Value {
    json!({
        "_id": APP_USER_ID,
        "conversationStarted": false,
        "signedUpAt": "2026-01-01T00:00:00.000Z",
        "properties": {},
        "clients": [],
        "pendingClients": [],
        "credentialRequired": false
    })
}

fn app() -> Value {
    json!({
        "_id": APP_ID,
        "name": "Smooch Web1on1",
        "settings": { "web": {
            "channels": {},
            "displayStyle": "button",
            "brandColor": "e8530e",
            "accentColor": "e8530e",
            "linkColor": "e8530e"
        } },
        "integrations": []
    })
}

fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// What the mock answers to `method path` with `body`: status and JSON.
fn mock_answer(method: &str, path: &str, body: &str) -> (u16, Value) {
    let user = format!("/v1/appusers/{APP_USER_ID}");
    let conversation = json!({ "_id": CONVERSATION_ID, "unreadCount": 0 });
    match (method, path) {
        // Web Messenger 3.x login: creates the app user at once and returns it with the app.
        ("POST", "/v1/init") => (200, json!({ "appUser": app_user(), "app": app() })),
        ("PUT", p) if p == user || p.starts_with(&format!("{user}/devices/")) => {
            (200, json!({ "appUser": app_user() }))
        }
        ("POST", p) if p == format!("{user}/messages") => {
            let sent: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            let message = json!({
                "_id": "5a1f0c3e9b2d4e6f8a7b1d01",
                "type": "text",
                "role": "appUser",
                "text": sent.get("text").cloned().unwrap_or(Value::Null),
                "authorId": APP_USER_ID,
                "received": now_seconds(),
                "source": { "type": "web", "id": sent.get("deviceId").cloned().unwrap_or(Value::Null) }
            });
            (
                201,
                json!({ "conversation": conversation, "message": message }),
            )
        }
        ("GET", p) if p == format!("{user}/messages") => {
            (200, json!({ "conversation": conversation, "messages": [] }))
        }
        ("POST", "/faye") => (200, bayeux(body)),
        _ => (
            404,
            json!({ "error": { "code": "not_found", "description": "not in the mock" } }),
        ),
    }
}

/// Faye's Bayeux protocol, just enough for the client to subscribe: the handshake (which the
/// browser client sends as JSONP), then connect and subscribe (cross-origin long polling).
/// WebSocket is not offered, and the client's upgrade attempt gets a 404. `/meta/connect` is
/// answered at once with a one-minute reconnect interval, so no request stays open (nothing
/// holds a step's settling back) and the client polls rarely: the mock never pushes anything.
fn bayeux(body: &str) -> Value {
    // Faye's cross-origin transport posts `message=<JSON>` form-encoded (no CORS preflight).
    let form = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "message")
        .map(|(_, v)| v.into_owned());
    let body = form.as_deref().unwrap_or(body);
    let msgs: Vec<Value> = match serde_json::from_str::<Value>(body) {
        Ok(Value::Array(a)) => a,
        Ok(v @ Value::Object(_)) => vec![v],
        _ => vec![],
    };
    let replies = msgs
        .iter()
        .map(|m| {
            let channel = m["channel"].as_str().unwrap_or_default();
            let mut r = json!({ "channel": channel, "successful": true, "id": m["id"] });
            match channel {
                "/meta/handshake" => {
                    r["version"] = json!("1.0");
                    r["clientId"] = json!("mockfayeclient0001");
                    r["supportedConnectionTypes"] = json!([
                        "long-polling",
                        "cross-origin-long-polling",
                        "callback-polling"
                    ]);
                    r["advice"] = json!({ "reconnect": "retry", "interval": 0, "timeout": 45000 });
                }
                "/meta/connect" => {
                    r["clientId"] = m["clientId"].clone();
                    r["advice"] =
                        json!({ "reconnect": "retry", "interval": 60000, "timeout": 45000 });
                }
                "/meta/subscribe" | "/meta/unsubscribe" => {
                    r["clientId"] = m["clientId"].clone();
                    r["subscription"] = m["subscription"].clone();
                }
                _ => r["clientId"] = m["clientId"].clone(),
            }
            r
        })
        .collect();
    Value::Array(replies)
}

fn header(req: &tiny_http::Request, name: &'static str) -> Option<String> {
    req.headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str().to_string())
}

fn mock_respond(mut req: tiny_http::Request, log: &Mutex<Vec<Received>>) {
    let method = req.method().as_str().to_ascii_uppercase();
    let (path, query) = match req.url().split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (req.url().to_string(), String::new()),
    };
    let mut body = String::new();
    let _ = req.as_reader().take(1 << 20).read_to_string(&mut body);
    let origin = header(&req, "Origin").unwrap_or_else(|| "*".into());
    let (mut status, json) = if method == "OPTIONS" {
        (204, Value::Null)
    } else {
        log.lock().unwrap().push(Received {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            upgrade: header(&req, "Upgrade"),
            body: body.clone(),
        });
        mock_answer(&method, &path, &body)
    };
    let mut ctype = "application/json; charset=utf-8";
    let mut text = if json.is_null() {
        String::new()
    } else {
        json.to_string()
    };
    // Faye's callback-polling (JSONP): GET /faye?message=<JSON>&jsonp=<callback>.
    if method == "GET" && path == "/faye" {
        let params: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
        let callback = params
            .get("jsonp")
            .filter(|c| c.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .cloned();
        if let (Some(callback), Some(message)) = (callback, params.get("message")) {
            ctype = "application/javascript";
            status = 200;
            text = format!("/**/{callback}({});", bayeux(message));
        }
    }
    let mut resp = tiny_http::Response::from_string(text).with_status_code(status);
    let allow_headers = header(&req, "Access-Control-Request-Headers")
        .unwrap_or_else(|| "content-type, app-token, x-smooch-sdk, authorization".into());
    for (k, v) in [
        ("Content-Type", ctype),
        ("Access-Control-Allow-Origin", origin.as_str()),
        ("Access-Control-Allow-Credentials", "true"),
        (
            "Access-Control-Allow-Methods",
            "GET, POST, PUT, DELETE, OPTIONS",
        ),
        ("Access-Control-Allow-Headers", allow_headers.as_str()),
        ("Access-Control-Max-Age", "600"),
        ("Vary", "Origin"),
    ] {
        resp.add_header(tiny_http::Header::from_bytes(k, v).unwrap());
    }
    let _ = req.respond(resp);
}

// ---------------------------------------------------------------------------------------------
// The site and the scan.

/// The fixture with the bundle added under `_hosts/cdn.smooch.io/`, in a fresh directory.
fn site_with_bundle() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("smooch-web1on1-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let fixture = common::root().join("fixtures/npm/smooch-web1on1");
    // The page (and any script beside it); not expected.toml or README.md.
    for e in std::fs::read_dir(&fixture).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "html" || x == "js") {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    let cdn = dir.path().join("_hosts").join(CDN_HOST);
    std::fs::create_dir_all(&cdn).unwrap();
    std::fs::copy(smooch_bundle(), cdn.join("smooch.min.js")).unwrap();
    dir
}

/// `fixtures/npm/smooch-web1on1/expected.toml`: the keys each scan must find, in the shape of
/// `fixtures/sites/*/expected.toml`.
#[derive(serde::Deserialize)]
struct Expected {
    host: String,
    vendors: Vec<String>,
    /// With the steps load, widget, chat_open.
    open: Vec<common::ExpectedKey>,
    /// With the steps load, widget, chat_open, chat_message.
    message: Vec<common::ExpectedKey>,
}

fn expected() -> Expected {
    let path = common::root().join("fixtures/npm/smooch-web1on1/expected.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The observed keys, each with the step it first showed at, against expected.toml.
fn check_keys(s: &Scanned, want: Vec<common::ExpectedKey>) {
    let exp = expected();
    assert_eq!(exp.host, HOST);
    let vendors: Vec<&str> = s.report.vendors.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(vendors, exp.vendors, "{}", dump(s));
    let got = common::normalise(common::observed_keys(&s.report, HOST));
    assert_eq!(got, common::normalise(want), "{}", dump(s));
}

struct Scanned {
    report: ScanReport,
    requests: Vec<Received>,
}

fn scan_smooch(steps: &[Step]) -> Scanned {
    let site = site_with_bundle();
    let mock = MockSmooch::start();
    let server = SiteServer::start(SiteFiles::Disk(site.path().to_path_buf()), HOST).unwrap();
    // The site's hosts (its own and cdn.smooch.io, from _hosts/) and the mock's: all loopback,
    // so nothing reaches the real Smooch (its images at https://cdn.smooch.io/ are refused).
    let mut hosts: Vec<String> = server.hosts.iter().cloned().collect();
    hosts.push(API_HOST.to_string());
    let opts = ScanOptions {
        url: format!("{}?api_port={}", server.url(), mock.port),
        consent: ConsentChoice::new(
            ConsentAction::None,
            ConsentMethod::Auto,
            CmpRules::embedded().unwrap(),
        ),
        settings: Settings {
            // As tests/common: CI runs two Chromiums on two cores.
            quiet: Duration::from_millis(400),
            widget_timeout: Duration::from_secs(5),
            steps: steps.to_vec(),
            message: Some(MESSAGE.to_string()),
            ..Settings::default()
        },
        ..ScanOptions::default()
    };
    let catalog = Catalog::embedded().unwrap();
    // The pipeline's own steps, short of run::scan_target: the start URL carries the mock's port,
    // and the mock's host is resolved to loopback beside the site's.
    let session = BrowserSession::start(&BrowserOptions {
        map_to_loopback: hosts,
        launch_timeout: Duration::from_secs(30),
        ..BrowserOptions::default()
    })
    .expect("Chromium must be installed for the integration tests (see README)");
    let run = scan::run(&session, &catalog, &opts).unwrap();
    drop(session);
    let report = Judge::new(&catalog).report(run, &opts, None);
    Scanned {
        report,
        requests: mock.requests(),
    }
}

/// Everything a failing assertion needs: steps, keys, what the mock received.
fn dump(s: &Scanned) -> String {
    let mut out = String::new();
    for st in &s.report.steps {
        out += &format!(
            "step {} {:?} {} ms: {}\n",
            st.step, st.status, st.duration_ms, st.detail
        );
    }
    for o in &s.report.observations {
        out += &format!(
            "  {} {} {} first={} vendor={:?} key={:?}\n",
            o.storage,
            o.location,
            o.name,
            o.first_step,
            o.attribution.vendor(),
            o.attribution.key()
        );
    }
    for r in &s.requests {
        out += &format!(
            "  mock: {} {}?{} upgrade={:?} {}\n",
            r.method, r.path, r.query, r.upgrade, r.body
        );
    }
    out
}

fn step_status(s: &Scanned, step: Step) -> StepStatus {
    s.report
        .steps
        .iter()
        .find(|r| r.step == step)
        .unwrap_or_else(|| panic!("no {step} step\n{}", dump(s)))
        .status
}

/// The requests whose method and path are these.
fn received<'a>(s: &'a Scanned, method: &str, path: &str) -> Vec<&'a Received> {
    s.requests
        .iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

/// The Bayeux messages the page sent to the mock's /faye, whatever the transport.
fn faye_messages(s: &Scanned) -> Vec<Value> {
    s.requests
        .iter()
        .filter(|r| r.path == "/faye")
        .flat_map(|r| {
            let text = if r.method == "GET" { &r.query } else { &r.body };
            let json = url::form_urlencoded::parse(text.as_bytes())
                .find(|(k, _)| k == "message")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| text.clone());
            match serde_json::from_str::<Value>(&json) {
                Ok(Value::Array(a)) => a,
                Ok(v @ Value::Object(_)) => vec![v],
                _ => vec![],
            }
        })
        .collect()
}

/// What both scans see up to chat_open: the messenger logs in at page load, creating its user
/// on the server at once, and stores one key, `sk_deviceid`, the device id it sent.
fn check_until_open(s: &Scanned) {
    let d = dump(s);
    for step in [Step::Load, Step::Widget, Step::ChatOpen] {
        assert_eq!(step_status(s, step), StepStatus::Done, "{step}\n{d}");
    }
    assert!(s.report.snapshot_errors.is_empty(), "{d}");
    assert!(s.report.aborted.is_none(), "{d}");

    // 3.x logs in from Smooch.init: POST /v1/init with the app token, answered with the user.
    let init = received(s, "POST", "/v1/init");
    assert_eq!(init.len(), 1, "{d}");
    let body: Value = serde_json::from_str(&init[0].body).unwrap();
    assert_eq!(body["device"]["platform"], "web", "{d}");
    assert_eq!(body["device"]["info"]["sdkVersion"], "3.15.2", "{d}");
    let device_id = body["device"]["id"].as_str().unwrap().to_string();

    // The one key it stores, at page load: the device id it sent.
    let device = s
        .report
        .observations
        .iter()
        .find(|o| o.name == "sk_deviceid")
        .unwrap_or_else(|| panic!("no sk_deviceid\n{d}"));
    assert_eq!(device.storage.to_string(), "localStorage", "{d}");
    assert!(device.frame_url.is_some(), "{d}");
    assert_eq!(device.first_step, Step::Load, "{d}");
    assert_eq!(device.raw_value, device_id, "{d}");
    assert!(device.changes.is_empty(), "{d}");
}

/// None of the `<integrationId>.*` keys the Web1on1 catalog documents: 3.x has no such names
/// (they come with 4.x's appId and 5.x's integrationId; 4.x renamed sk_deviceid to
/// `<appId>.clientId`).
fn check_no_integration_keys(s: &Scanned) {
    let d = dump(s);
    for o in &s.report.observations {
        assert!(
            !(o.name.ends_with(".appUserId")
                || o.name.ends_with(".sessionToken")
                || o.name.ends_with(".clientId")),
            "{}: {d}",
            o.name
        );
        let key = o.attribution.key().unwrap_or_default();
        assert!(!key.starts_with("{integrationId}."), "{}: {d}", o.name);
    }
}

#[test]
fn smooch_3x_without_a_message_logs_in_at_load_and_stores_only_its_device_id() {
    let s = scan_smooch(&[Step::Load, Step::Widget, Step::ChatOpen]);
    let d = dump(&s);
    check_until_open(&s);
    check_keys(&s, expected().open);
    check_no_integration_keys(&s);
    assert!(
        s.report.steps.iter().all(|r| r.step != Step::ChatMessage),
        "{d}"
    );
    // No message, so no conversation: nothing posted, no Faye connection.
    let messages = format!("/v1/appusers/{APP_USER_ID}/messages");
    assert!(received(&s, "POST", &messages).is_empty(), "{d}");
    assert!(faye_messages(&s).is_empty(), "{d}");
}

#[test]
fn smooch_3x_first_message_goes_through_its_api_and_adds_no_storage() {
    let s = scan_smooch(&[Step::Load, Step::Widget, Step::ChatOpen, Step::ChatMessage]);
    let d = dump(&s);
    check_until_open(&s);
    let step = s
        .report
        .steps
        .iter()
        .find(|r| r.step == Step::ChatMessage)
        .unwrap_or_else(|| panic!("no chat_message step\n{d}"));
    assert_eq!(step.status, StepStatus::Done, "{d}");
    // Through the catalog's [message] call, not by typing.
    assert!(
        step.detail.contains("sent a message with smooch") && step.detail.contains("sendMessage"),
        "{d}"
    );

    // The message reached the mock once, as the visitor's, under the user created at init.
    let posted = received(&s, "POST", &format!("/v1/appusers/{APP_USER_ID}/messages"));
    assert_eq!(posted.len(), 1, "{d}");
    let body: Value = serde_json::from_str(&posted[0].body).unwrap();
    assert_eq!(body["text"], MESSAGE, "{d}");
    assert_eq!(body["role"], "appUser", "{d}");
    assert_eq!(body["type"], "text", "{d}");

    // The conversation now exists: the messenger subscribes to it over Faye.
    let faye = faye_messages(&s);
    assert!(
        faye.iter().any(|m| m["channel"] == "/meta/handshake"),
        "{d}"
    );
    let subscribed: Vec<&str> = faye
        .iter()
        .filter(|m| m["channel"] == "/meta/subscribe")
        .filter_map(|m| m["subscription"].as_str())
        .collect();
    assert!(
        subscribed.contains(&format!("/v1/conversations/{CONVERSATION_ID}").as_str()),
        "{d}"
    );

    // And the storage is what it was at page load: 3.x keeps the user in memory only.
    check_keys(&s, expected().message);
    check_no_integration_keys(&s);
}
