//! Integration tests: the page sees a visitor, not a bot; a visitor profile; gestures; one way to click; consent checked against the CMP's record.

use crate::common;

use crate::common::{chatcookie, root, text};
use chatcookie::serve::{SiteFiles, SiteServer};
use serde_json::Value;
use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;

fn visitor_dir(name: &str) -> PathBuf {
    root().join("fixtures/visitor").join(name)
}

/// Runs `chatcookie scan ARGS --format json --show-values` and returns the report and output.
fn scan_json(args: &[&str]) -> (Value, std::process::Output) {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json", "--show-values"]);
    let out = chatcookie(&all);
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (report, out)
}

/// The value of the observation `name` (values shown).
fn value(report: &Value, name: &str) -> Option<String> {
    report["observations"]
        .as_array()?
        .iter()
        .find(|o| o["name"] == name)
        .and_then(|o| o["value"]["value"].as_str().map(str::to_string))
}

fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["step"] == name))
        .unwrap_or(&Value::Null)
}

#[test]
fn the_page_sees_a_desktop_visitor_not_a_bot() {
    let dir = visitor_dir("bot-signals");
    let (r, out) = scan_json(&[
        dir.to_str().unwrap(),
        "--steps",
        "load",
        "--consent",
        "none",
    ]);
    let d = text(&out);
    assert_eq!(value(&r, "seen_as").as_deref(), Some("visitor"), "{d}");
    let signals: Value = serde_json::from_str(&value(&r, "signals").unwrap()).unwrap();
    assert_eq!(signals["webdriver"], false, "{signals}");
    let ua = signals["userAgent"].as_str().unwrap();
    assert!(!ua.contains("Headless") && ua.contains("Chrome/"), "{ua}");
    assert!(
        signals["screen"][0].as_u64() >= signals["inner"][0].as_u64()
            && signals["screen"][1].as_u64() >= signals["inner"][1].as_u64(),
        "{signals}"
    );
    // The provenance states what the page saw, read back from it, and it agrees.
    let seen = &r["provenance"]["visitor"]["seen"];
    assert_eq!(seen["webdriver"], false, "{seen}");
    assert_eq!(seen["user_agent"], signals["userAgent"], "{seen}");
    assert_eq!(
        r["provenance"]["visitor"]["asked"]["device"]["name"],
        "desktop"
    );
}

#[test]
fn a_visitor_profile_is_what_the_page_sees() {
    let dir = visitor_dir("bot-signals");
    // localhost is a secure context: client hints and geolocation are there, as on https.
    let (r, out) = scan_json(&[
        dir.to_str().unwrap(),
        "--host",
        "localhost",
        "--steps",
        "load",
        "--consent",
        "none",
        "--locale",
        "de-DE",
        "--timezone",
        "Europe/Berlin",
        "--device",
        "mobile",
        "--geolocation",
        "52.52,13.40",
    ]);
    let d = text(&out);
    let signals: Value = serde_json::from_str(&value(&r, "signals").expect(&d)).unwrap();
    assert_eq!(signals["languages"][0], "de-DE", "{signals}");
    assert_eq!(signals["timeZone"], "Europe/Berlin", "{signals}");
    let ua = signals["userAgent"].as_str().unwrap();
    assert!(ua.contains("Mobile") && ua.contains("Android"), "{ua}");
    assert!(signals["touch"].as_u64() > Some(0), "{signals}");
    assert_eq!(value(&r, "seen_as").as_deref(), Some("visitor"), "{d}");
    assert_eq!(value(&r, "position").as_deref(), Some("52.52,13.40"), "{d}");
    let seen = &r["provenance"]["visitor"]["seen"];
    assert_eq!(seen["timezone"], "Europe/Berlin");
    assert!(
        seen["client_hints"]
            .as_str()
            .unwrap_or_default()
            .contains("mobile"),
        "{seen}"
    );
    // Every format names the visitor: the table header too.
    let out = chatcookie(&[
        "scan",
        dir.to_str().unwrap(),
        "--steps",
        "load",
        "--consent",
        "none",
        "--locale",
        "de-DE",
    ]);
    let t = text(&out);
    assert!(
        t.contains("visitor        device desktop; locale de-DE"),
        "{t}"
    );
}

#[test]
fn a_widget_loaded_on_the_first_interaction_is_found_at_the_widget_step() {
    let dir = visitor_dir("lazy-widget");
    for device in ["desktop", "mobile"] {
        let (r, out) = scan_json(&[
            dir.to_str().unwrap(),
            "--consent",
            "none",
            "--steps",
            "load,widget",
            "--device",
            device,
        ]);
        let d = text(&out);
        let widget = step(&r, "widget");
        assert_eq!(widget["status"], "done", "{device}: {d}");
        let detail = widget["detail"].as_str().unwrap();
        assert!(
            detail.contains("tawkto") && detail.contains("after the visitor's"),
            "{device}: {detail}"
        );
        if device == "mobile" {
            assert!(detail.contains("touch"), "{detail}");
        }
        let first: Vec<&str> = r["observations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["name"] == "twk_idm_key")
            .map(|o| o["first_step"].as_str().unwrap())
            .collect();
        assert_eq!(first, ["widget"], "{device}: {d}");
    }
}

#[test]
fn bad_visitor_input_is_a_usage_error() {
    let dir = visitor_dir("bot-signals");
    let d = dir.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bad_state = tmp.path().join("state.json");
    std::fs::write(
        &bad_state,
        "{\"cookies\": [\n  {\"name\": \"a\", \"value\": 1}\n]}",
    )
    .unwrap();
    let bad_state = bad_state.to_str().unwrap().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--device", "nokia-3310"], "unknown device"),
        (vec!["--locale", "deutsch!"], "not a language tag"),
        (
            vec!["--timezone", "Europe/Atlantis"],
            "not an IANA time zone",
        ),
        (vec!["--geolocation", "95,10"], "latitude"),
        (vec!["--header", "no colon"], "Name: value"),
        (vec!["--header", "X: a\r\nB: c"], "line break"),
        (
            vec!["--storage-state", "/nonexistent/state.json"],
            "cannot read",
        ),
        (vec!["--storage-state", bad_state.as_str()], "state.json:2:"),
        (
            vec!["--proxy", "ftp://proxy:21"],
            "unsupported proxy scheme",
        ),
        (vec!["--proxy", "http://127.0.0.1:1"], "unreachable"),
    ];
    for (args, want) in cases {
        let mut all = vec!["scan", d];
        all.extend(args.iter());
        let out = chatcookie(&all);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {t}");
        assert!(t.contains(want), "{args:?}: {t}");
    }
}

#[test]
fn a_storage_state_starts_the_visitor_logged_in() {
    // localhost resolves without chatcookie's loopback mapping, which URL targets do not get.
    let server =
        SiteServer::start(SiteFiles::Disk(visitor_dir("bot-signals")), "localhost").unwrap();
    let url = server.url();
    let origin = url.trim_end_matches('/');
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state.json");
    std::fs::write(
        &state,
        format!(
            r#"{{"cookies": [{{"name": "sid", "value": "logged-in", "domain": "localhost", "path": "/", "expires": -1, "httpOnly": true, "secure": false, "sameSite": "Lax"}}],
                "origins": [{{"origin": "{origin}", "localStorage": [{{"name": "returning", "value": "yes"}}]}}]}}"#
        ),
    )
    .unwrap();
    let (r, out) = scan_json(&[
        &url,
        "--steps",
        "load",
        "--consent",
        "none",
        "--storage-state",
        state.to_str().unwrap(),
    ]);
    let d = text(&out);
    assert_eq!(value(&r, "sid").as_deref(), Some("logged-in"), "{d}");
    assert_eq!(value(&r, "returning").as_deref(), Some("yes"), "{d}");
    assert!(
        r["provenance"]["visitor"]["asked"]["storage_state"]
            .as_str()
            .unwrap_or_default()
            .ends_with("state.json"),
        "{d}"
    );
}

#[test]
fn a_proxy_that_answers_nothing_during_the_scan_fails_the_scan() {
    // It accepts connections (so the check before the scan passes), then drops them.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten().take(64) {
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf);
        }
    });
    let dir = visitor_dir("bot-signals");
    let proxy = format!("http://127.0.0.1:{port}");
    let out = chatcookie(&[
        "scan",
        dir.to_str().unwrap(),
        "--steps",
        "load",
        "--proxy",
        &proxy,
        "--step-timeout",
        "5s",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
}

/// tinyproxy from Debian's packages, on a free port, logging each request.
struct Tinyproxy {
    child: std::process::Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    fn start() -> Tinyproxy {
        let bin = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("tinyproxy must be installed for the proxy test (apt-get install tinyproxy; .ci/run does)");
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("tinyproxy.log");
        let conf = dir.path().join("tinyproxy.conf");
        std::fs::write(
            &conf,
            format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Connect\nMaxClients 20\nAllow 127.0.0.1\nDisableViaHeader No\n",
                log.display()
            ),
        )
        .unwrap();
        let child = std::process::Command::new(bin)
            .args(["-d", "-c", conf.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "tinyproxy did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Tinyproxy {
            child,
            port,
            log,
            _dir: dir,
        }
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_request_goes_through_the_proxy() {
    let proxy = Tinyproxy::start();
    let server = SiteServer::start(
        SiteFiles::Disk(visitor_dir("bot-signals")),
        "www.bot-signals.test",
    )
    .unwrap();
    // By address: the proxy resolves names itself, and www.bot-signals.test is ours alone.
    let url = format!("http://127.0.0.1:{}/", server.port);
    let (r, out) = scan_json(&[
        &url,
        "--steps",
        "load",
        "--consent",
        "none",
        "--proxy",
        &format!("http://127.0.0.1:{}", proxy.port),
    ]);
    let d = text(&out);
    assert_eq!(out.status.code(), Some(0), "{d}");
    assert_eq!(value(&r, "seen_as").as_deref(), Some("visitor"), "{d}");
    let log = std::fs::read_to_string(&proxy.log).unwrap_or_default();
    assert!(
        log.contains(&format!("127.0.0.1:{}", server.port)),
        "the proxy saw no request for the page: {log}\n{d}"
    );
    assert!(
        r["provenance"]["visitor"]["asked"]["proxy"]
            .as_str()
            .unwrap_or_default()
            .contains(&proxy.port.to_string()),
        "{d}"
    );
}

#[test]
fn a_user_selector_reaches_into_frames_and_its_answer_is_checked() {
    // Sourcepoint's buttons live in a cross-origin iframe: the selector finds them there.
    let sp = root().join("fixtures/cmps/sourcepoint");
    let (r, out) = scan_json(&[
        sp.to_str().unwrap(),
        "--steps",
        "load,consent",
        "--consent-click",
        ".sp_choice_type_11",
    ]);
    let d = text(&out);
    let consent = step(&r, "consent");
    assert_eq!(consent["status"], "done", "{d}");
    assert!(
        consent["detail"].as_str().unwrap().contains("in frame"),
        "{d}"
    );
    assert_eq!(r["provenance"]["consent"]["done"], true, "{d}");

    // A selector that gives the other answer is caught by the CMP's own record.
    let osano = root().join("fixtures/cmps/osano-cookieconsent");
    let (r, out) = scan_json(&[
        osano.to_str().unwrap(),
        "--steps",
        "load,consent",
        "--consent",
        "accept",
        "--consent-click",
        ".cc-deny",
    ]);
    let d = text(&out);
    let consent = step(&r, "consent");
    assert_eq!(consent["status"], "failed", "{d}");
    assert!(
        consent["detail"]
            .as_str()
            .unwrap()
            .contains("recorded `reject` where `accept` was asked"),
        "{d}"
    );
    assert_eq!(consent["consent"]["recorded"], "reject", "{d}");
    // The failed step still snapshots: the CMP's record is dated to it.
    let first: Vec<&str> = r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["name"] == "cookieconsent_status")
        .map(|o| o["first_step"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["consent"], "{d}");
}

#[test]
fn the_visitor_in_a_policy_is_checked_with_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("chatcookie.toml");
    std::fs::write(
        &policy,
        "[scan]\nurls = [\"https://www.example.com/\"]\nlocale = \"de-DE\"\ntimezone = \"Mars/Olympus\"\n",
    )
    .unwrap();
    let out = chatcookie(&["check", "--policy", policy.to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains(":4:") && t.contains("not an IANA time zone"),
        "{t}"
    );
}

#[test]
fn a_connected_browser_without_our_flags_still_shows_a_visitor() {
    // A farm's browser: started by someone else, told it is automated (remote debugging on
    // port 0), its window the headless default. Only CDP reaches it.
    let server =
        SiteServer::start(SiteFiles::Disk(visitor_dir("bot-signals")), "localhost").unwrap();
    let browser = common::ExternalChromium::start(&[]);
    let (r, out) = scan_json(&[
        &server.url(),
        "--connect",
        &browser.ws,
        "--steps",
        "load",
        "--consent",
        "none",
    ]);
    let d = text(&out);
    assert_eq!(value(&r, "seen_as").as_deref(), Some("visitor"), "{d}");
    let seen = &r["provenance"]["visitor"]["seen"];
    assert_eq!(seen["webdriver"], false, "{seen}");
    assert!(
        !seen["user_agent"].as_str().unwrap().contains("Headless"),
        "{seen}"
    );
}

#[test]
fn a_scan_without_the_message_step_names_the_keys_it_cannot_reach() {
    let site = root().join("fixtures/sites/web1on1-shop");
    let (r, out) = scan_json(&[site.to_str().unwrap(), "--consent-click", "#cc-accept"]);
    let d = text(&out);
    let unreached: Vec<&str> = r["provenance"]["unreached"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        unreached.contains(&"web1on1 {integrationId}.appUserId (chat_message)")
            && unreached.contains(&"web1on1 {integrationId}.sessionToken (chat_message)"),
        "{unreached:?}\n{d}"
    );
    // The open call is checked: the chat opened.
    let open = step(&r, "chat_open");
    assert!(
        open["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("and the chat opened"),
        "{d}"
    );
    let t = text(&chatcookie(&[
        "scan",
        site.to_str().unwrap(),
        "--consent-click",
        "#cc-accept",
    ]));
    assert!(
        t.contains("not reached    web1on1 {integrationId}.appUserId"),
        "{t}"
    );
}

#[test]
fn looking_at_the_page_gives_it_no_user_activation_and_a_click_does() {
    // The page polls navigator.userActivation: reading storage, running the clock and looking
    // for a widget or banner must not count as the visitor's click (it did when every
    // Runtime.evaluate was sent as a user gesture), and the consent click must.
    let dir = visitor_dir("no-activation");
    for device in ["desktop", "mobile"] {
        let (r, out) = scan_json(&[
            dir.to_str().unwrap(),
            "--consent",
            "none",
            "--device",
            device,
        ]);
        let d = text(&out);
        assert_eq!(
            value(&r, "activation").as_deref(),
            Some("never"),
            "{device}: {d}"
        );
        assert!(
            !r["observations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["name"] == "activation" && o["storage"] == "cookie"),
            "{device}: {d}"
        );
    }
    for (how, args) in [
        ("mouse", vec!["--consent-click", "#act"]),
        (
            "script",
            vec!["--consent-js", "document.getElementById('act').click()"],
        ),
    ] {
        let mut all = vec![dir.to_str().unwrap(), "--steps", "load,consent"];
        all.extend(args);
        let (r, out) = scan_json(&all);
        let d = text(&out);
        assert_eq!(
            value(&r, "activation").as_deref(),
            Some("after-load"),
            "{how}: {d}"
        );
        let first = r["observations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == "activation" && o["storage"] == "cookie")
            .map(|o| o["first_step"].clone());
        assert_eq!(first, Some(Value::from("consent")), "{how}: {d}");
    }
}
