//! End-to-end tests through the binary: exit codes, bad input, hangs, interrupts, remote browsers.

use crate::common;

use crate::common::{
    LIMIT, bin, bin_path, code, finish_within, root, run_with_input, run_within, text,
};

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

#[test]
fn malformed_targets_are_usage_errors() {
    for target in ["example.com", "ftp://example.com/", "http://"] {
        let mut c = bin();
        c.args(["scan", target]);
        let o = run_within(c, Duration::from_secs(10));
        assert_eq!(code(&o), 2, "{target}: {}", text(&o));
        assert!(text(&o).contains("error:"), "{}", text(&o));
    }
}

#[test]
fn a_missing_browser_says_how_to_install_one() {
    let mut c = bin();
    c.args([
        "scan",
        "http://127.0.0.1:9/",
        "--chrome",
        "/nonexistent/chromium",
    ]);
    let o = run_within(c, Duration::from_secs(10));
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(
        text(&o).contains("apt-get install chromium"),
        "{}",
        text(&o)
    );
    let mut c = bin();
    c.args(["scan", "http://127.0.0.1:9/"])
        .env("CHROME", "/nonexistent/chrome");
    let o = run_within(c, Duration::from_secs(10));
    assert_eq!(code(&o), 3);
    assert!(
        text(&o).contains("/nonexistent/chrome does not exist"),
        "{}",
        text(&o)
    );
}

#[test]
fn an_unreachable_site_fails_the_scan_with_exit_3() {
    // Bind then drop: nothing listens on that port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = bin();
    c.args(["scan", &format!("http://127.0.0.1:{port}/")]);
    let o = run_within(c, Duration::from_secs(30));
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(
        text(&o).contains("nothing listens at that address"),
        "{}",
        text(&o)
    );
}

/// A server that accepts connections and answers each with `reply` (or never, if None).
fn tcp_server(reply: Option<&'static str>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            match reply {
                Some(r) => {
                    let _ = s.write_all(r.as_bytes());
                }
                None => held.push(s),
            }
        }
    });
    port
}

#[test]
fn a_tls_error_is_reported() {
    let port = tcp_server(Some("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"));
    let mut c = bin();
    c.args(["scan", &format!("https://127.0.0.1:{port}/")]);
    let o = run_within(c, Duration::from_secs(30));
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(text(&o).contains("TLS"), "{}", text(&o));
}

#[test]
fn a_page_that_never_answers_is_bounded_by_the_step_timeout() {
    let port = tcp_server(None);
    let mut c = bin();
    c.args([
        "scan",
        &format!("http://127.0.0.1:{port}/"),
        "--step-timeout",
        "2s",
    ]);
    let t = Instant::now();
    let o = run_within(c, Duration::from_secs(20));
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(text(&o).contains("no answer within 2s"), "{}", text(&o));
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[test]
fn an_http_error_page_is_not_audited() {
    let mut c = bin();
    c.args([
        "scan",
        root().join("fixtures/hostile/no-index").to_str().unwrap(),
    ]);
    let o = run_within(c, Duration::from_secs(30));
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(text(&o).contains("HTTP 404"), "{}", text(&o));
}

#[test]
fn alerts_are_dismissed_and_recorded() {
    let mut c = bin();
    c.args([
        "scan",
        root().join("fixtures/hostile/alert-loop").to_str().unwrap(),
        "--consent-click",
        "#ok",
        "--format",
        "json",
    ]);
    let o = run_within(c, Duration::from_secs(40));
    assert_eq!(code(&o), 0, "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let load = &r["steps"][0];
    assert_eq!(load["dialogs"].as_array().unwrap().len(), 10, "{load}");
    let names: Vec<&str> = r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"after_alerts") && names.contains(&"after_click"),
        "{names:?}"
    );
}

#[test]
fn a_page_that_never_settles_times_out_each_step_and_says_so() {
    // The page writes every 50 ms; a quiet window far wider than that keeps the test independent
    // of how busy the machine is.
    let mut c = bin();
    c.args([
        "scan",
        root()
            .join("fixtures/hostile/never-settles")
            .to_str()
            .unwrap(),
        "--step-timeout",
        "2s",
        "--quiet",
        "700ms",
        "--widget-timeout",
        "500ms",
        "--format",
        "json",
    ]);
    let t = Instant::now();
    let o = run_within(c, Duration::from_secs(30));
    assert_eq!(code(&o), 0, "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["steps"][0]["status"], "timed-out", "{}", r["steps"][0]);
    assert!(
        r["steps"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("still changing")
    );
    let tick = r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "tick")
        .unwrap();
    assert_eq!(tick["storage"], "localStorage");
    assert!(t.elapsed() < Duration::from_secs(15));
}

#[test]
fn a_click_that_navigates_away_is_followed() {
    let mut c = bin();
    c.args([
        "scan",
        root()
            .join("fixtures/hostile/navigates-away")
            .to_str()
            .unwrap(),
        "--consent-click",
        "#cc-accept",
        "--format",
        "json",
    ]);
    let o = run_within(c, Duration::from_secs(30));
    assert_eq!(code(&o), 0, "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        r["provenance"]["final_url"]
            .as_str()
            .unwrap()
            .ends_with("/next.html"),
        "{}",
        r["provenance"]
    );
    let second = r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "second_page")
        .unwrap();
    assert_eq!(second["first_step"], "consent");
}

#[test]
fn ctrl_c_leaves_no_browser_and_no_profile_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let port = tcp_server(None);
    let mut child: Child = bin()
        .args([
            "scan",
            &format!("http://127.0.0.1:{port}/"),
            "--step-timeout",
            "60s",
        ])
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the browser is up: its profile exists and it announced its DevTools port.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !browser_running(tmp.path()) {
        assert!(Instant::now() < deadline, "the browser did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "still running 2 s after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(130));
    assert!(
        processes_using(tmp.path()).is_empty(),
        "left behind: {:?}",
        processes_using(tmp.path())
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "temp profile left behind: {left:?}");
}

fn browser_running(tmp: &Path) -> bool {
    std::fs::read_dir(tmp)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.path().join("profile/DevToolsActivePort").exists())
}

/// Processes whose command line mentions `dir` (a browser started with a profile inside it).
fn processes_using(dir: &Path) -> Vec<String> {
    common::processes_using(dir)
        .into_iter()
        .map(|(_, c)| c)
        .collect()
}

#[test]
fn a_finished_scan_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = bin();
    c.args([
        "scan",
        root().join("fixtures/sites/plain-site").to_str().unwrap(),
        "--widget-timeout",
        "200ms",
    ])
    .env("TMPDIR", tmp.path());
    let o = run_within(c, Duration::from_secs(30));
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(processes_using(tmp.path()).is_empty());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn connect_uses_a_separately_started_browser_and_leaves_it_running() {
    let mut browser = common::ExternalChromium::start(&[
        "--host-resolver-rules=MAP *.test 127.0.0.1, MAP apps.mypurecloud.de 127.0.0.1",
    ]);
    let ws = browser.ws.clone();
    let mut c = bin();
    c.args([
        "scan",
        root().join("fixtures/sites/genesys-shop").to_str().unwrap(),
        "--connect",
        &ws,
        "--consent-click",
        "#cc-accept",
        "--format",
        "json",
    ]);
    let o = run_within(c, Duration::from_secs(40));
    let still_running = browser.is_running();
    drop(browser);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(
        still_running,
        "--connect must not close the browser it did not start"
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r["provenance"]["third_party_cookies"].is_null());
    let open: Vec<&str> = r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["first_step"] == "chat_open")
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        open.contains(&"_genesys.widgets.webchat.state.open"),
        "{open:?}"
    );
}

#[test]
fn classify_reads_every_input_format() {
    let cases: [(&str, &str); 4] = [
        (
            "Cookie: twk_uuid_5f2b1c0e9a8d7c6b5a4f3e2d=1; _ga=GA1.2",
            "cookie-header",
        ),
        ("twk_idm_key\nutm\n", "name-list"),
        (
            r#"[{"name": "jv_enter_ts_EBSrukxUuA", "storage": "cookie"}, {"name": "utm"}]"#,
            "json-array",
        ),
        (
            r#"{"log": {"entries": [{"request": {"url": "https://embed.tawk.to/5f2b1c0e9a8d7c6b5a4f3e2d/default", "cookies": [{"name": "token", "value": "s3cret"}]}, "response": {"cookies": [], "headers": [{"name": "Set-Cookie", "value": "TawkConnectionTime=0; Path=/"}]}}]}}"#,
            "har",
        ),
    ];
    for (input, format) in cases {
        let mut cmd = bin();
        cmd.args(["classify", "--format", "json"]);
        let o = run_with_input(cmd, input.as_bytes(), LIMIT);
        assert_eq!(code(&o), 0, "{format}: {}", text(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["format"], format);
        assert!(
            !text(&o).contains("s3cret"),
            "values are never printed unless asked"
        );
        let keys = r["keys"].as_array().unwrap();
        match format {
            "cookie-header" => {
                assert_eq!(keys[0]["attribution"]["vendor"], "tawkto");
                assert_eq!(
                    keys[0]["attribution"]["captures"]["propertyId"],
                    "5f2b1c0e9a8d7c6b5a4f3e2d"
                );
                // No chat key: the Open Cookie Database's Google Analytics cookie.
                assert_eq!(keys[1]["attribution"]["kind"], "platform");
                assert_eq!(keys[1]["attribution"]["platform"], "google-analytics");
                assert_eq!(keys[1]["category"], "analytics");
            }
            // `utm` is generic: unknown beside a tawk.to key, JivoChat's beside a JivoChat key.
            "name-list" => assert_eq!(keys[1]["attribution"]["kind"], "unknown"),
            "json-array" => assert_eq!(keys[1]["attribution"]["vendor"], "jivochat"),
            // The tawk.to script in the HAR evidences the vendor, so the generic `token` attributes.
            "har" => {
                assert_eq!(keys[0]["attribution"]["vendor"], "tawkto", "{r}");
                assert!(keys.iter().any(|k| k["name"] == "TawkConnectionTime"));
            }
            _ => unreachable!(),
        }
    }
}

#[test]
fn classify_rejects_bad_input_clearly() {
    for (input, message) in [
        (&b""[..], "the input is empty"),
        (&b"\x00\x01\x02garbage\xff"[..], "not text"),
        (&b"[{\"name\": 1,"[..], "line 1"),
    ] {
        let mut cmd = bin();
        cmd.arg("classify");
        let o = run_with_input(cmd, input, LIMIT);
        assert_eq!(code(&o), 2, "{}", text(&o));
        assert!(text(&o).contains(message), "{}", text(&o));
    }
}

#[test]
fn classify_escapes_hostile_names() {
    let mut cmd = bin();
    cmd.arg("classify");
    let o = run_with_input(
        cmd,
        b"evil\x1b[31mred\n<img src=x onerror=alert(1)>\n",
        LIMIT,
    );
    assert_eq!(code(&o), 0);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        !out.contains('\x1b'),
        "terminal escape passed through: {out}"
    );
    assert!(out.contains("evil\\u{1b}[31mred"), "{out}");
}

#[test]
fn catalog_check_points_at_the_offending_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    std::fs::write(
        &f,
        "[vendor]\nid = \"acme\"\nname = \"Acme\"\n\n[[key]]\nname = \"acme_{id\"\n",
    )
    .unwrap();
    let o = run_within(
        {
            let mut c = bin();
            c.args(["catalog", "--check", f.to_str().unwrap()]);
            c
        },
        Duration::from_secs(10),
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("bad.toml:"), "{}", text(&o));
    let good = root().join("examples/catalog-other-widgets-intercom.toml");
    let o = run_within(
        {
            let mut c = bin();
            c.args(["catalog", "--check", good.to_str().unwrap()]);
            c
        },
        Duration::from_secs(10),
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
}

#[test]
fn catalog_lists_vendors_as_json() {
    let o = run_within(
        {
            let mut c = bin();
            c.args(["catalog", "--format", "json"]);
            c
        },
        Duration::from_secs(10),
    );
    assert_eq!(code(&o), 0);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = r["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    // The four chat vendors, and the messaging platform Web1on1 is built on.
    assert_eq!(ids, ["genesys", "jivochat", "smooch", "tawkto", "web1on1"]);
    let o = run_within(
        {
            let mut c = bin();
            c.args(["catalog", "--vendor", "nope"]);
            c
        },
        Duration::from_secs(10),
    );
    assert_eq!(code(&o), 2);
}

#[test]
fn demo_lists_its_sites() {
    let o = run_within(
        {
            let mut c = bin();
            c.args(["demo", "--list"]);
            c
        },
        Duration::from_secs(10),
    );
    assert_eq!(code(&o), 0);
    let out = text(&o);
    for site in [
        "tawkto-shop",
        "genesys-shop",
        "web1on1-shop",
        "jivochat-shop",
        "iframe-widget",
    ] {
        assert!(out.contains(site), "{out}");
    }
}

#[test]
fn demo_scans_an_embedded_site() {
    let o = run_within(
        {
            let mut c = bin();
            c.args(["demo", "web1on1-eager", "--format", "json"]);
            c
        },
        Duration::from_secs(30),
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["vendors"][0]["id"], "web1on1");
    assert!(
        r["observations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["value"].get("value").is_none()),
        "values redacted by default"
    );
}

#[test]
fn passes_compare_accept_and_reject_in_fresh_profiles() {
    let site = root().join("fixtures/sites/tawkto-consent");
    let mut c = bin();
    c.args([
        "scan",
        site.to_str().unwrap(),
        "--passes",
        "accept,reject",
        "--consent-click",
        "#cc-accept",
        "--reject-click",
        "#cc-reject",
    ]);
    let o = run_within(c, Duration::from_secs(60));
    assert_eq!(code(&o), 0, "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let compared = out
        .split("Passes compared")
        .nth(1)
        .expect("a comparison section");
    let after_accept = compared.split("only after reject").next().unwrap();
    assert!(
        after_accept.contains("+ cookie twk_idm_key [tawkto]"),
        "{compared}"
    );
    // With its consent form on, tawk.to stores nothing after a reject.
    let after_reject = compared.split("only after reject").nth(1).unwrap();
    assert!(!after_reject.contains("[tawkto]"), "{compared}");
    // Machine formats carry every pass in full: an array of two reports.
    let mut c = bin();
    c.args([
        "scan",
        site.to_str().unwrap(),
        "--passes",
        "accept,reject",
        "--consent-click",
        "#cc-accept",
        "--reject-click",
        "#cc-reject",
        "--format",
        "json",
    ]);
    let o = run_within(c, Duration::from_secs(60));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let actions: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["provenance"]["options"]["consent"]["action"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(actions, ["accept", "reject"]);
}

/// Every flag that names a file the user gives: a missing one is an input error (exit 2) that
/// names the file, found before any browser starts.
#[test]
fn a_missing_file_for_any_flag_exits_2() {
    let missing = "/nonexistent/chatcookie-missing-file";
    let site = common::site_dir("tawkto-shop");
    let site = site.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["scan", site, "--catalog", missing],
        vec!["scan", site, "--cmp-rules", missing],
        vec!["scan", site, "--policy", missing],
        vec!["scan", site, "--baseline", missing],
        vec!["scan", site, "--storage-state", missing],
        vec!["scan", "--urls", missing],
        vec!["check", "--policy", missing],
        vec!["init", site, "--catalog", missing],
        vec!["catalog", "--check", missing],
        vec!["catalog", "--catalog", missing],
        vec!["classify", missing],
        vec!["classify", "--catalog", missing, "-"],
        vec!["diff", missing, missing],
        vec!["history", "x", "--store", missing],
    ];
    for args in cases {
        let o = common::chatcookie(&args);
        let out = common::text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}");
        assert!(out.contains(missing), "{args:?} names the file: {out}");
        assert!(
            !out.contains("Chromium"),
            "{args:?} starts no browser: {out}"
        );
    }
}

/// A file that is JSON but not a chatcookie report, given as a baseline or to `diff`, is an input
/// error naming the file, the line and column, and the field; found before any browser starts.
#[test]
fn a_baseline_or_diff_input_that_is_not_a_report_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-report.json");
    std::fs::write(
        &file,
        "{\n  \"schema_version\": 1,\n  \"findings\": \"none\"\n}\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let site = common::site_dir("tawkto-shop");
    for args in [
        vec!["scan", site.to_str().unwrap(), "--baseline", f],
        vec!["diff", f, f],
    ] {
        let o = common::chatcookie(&args);
        let out = common::text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}");
        assert!(out.contains(&format!("{f}:")), "{args:?}: {out}");
        assert!(
            out.contains("not a chatcookie JSON report"),
            "{args:?}: {out}"
        );
        assert!(
            !out.contains("Chromium"),
            "{args:?} starts no browser: {out}"
        );
    }
}

/// A reader that stops reading a listing (`| head`) ends it quietly: exit 0, no panic.
#[test]
fn a_listing_piped_into_a_reader_that_stops_ends_quietly() {
    for args in [
        vec!["catalog", "--format", "json"],
        vec!["catalog"],
        vec!["demo", "--list"],
    ] {
        let mut child = bin()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before (or while) the listing is written.
        drop(child.stdout.take());
        let o = finish_within(child, LIMIT);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A report piped into a reader that is already gone (`| head`, `| true`): no error, and the
/// run's own exit code (here the gate's 1 for the findings `--fail-on high` names) is kept.
#[test]
fn a_report_piped_into_a_reader_that_is_gone_keeps_the_runs_exit_code() {
    let site = root().join("fixtures/sites/web1on1-eager");
    for (format, gate) in [("table", "never"), ("json", "high"), ("jsonl", "high")] {
        let mut c = std::process::Command::new("bash");
        c.arg("-c")
            .arg(r#""$0" scan "$1" --format "$2" --fail-on "$3" | true; echo "exit ${PIPESTATUS[0]}""#)
            .arg(bin_path())
            .arg(&site)
            .arg(format)
            .arg(gate);
        let o = run_within(c, Duration::from_secs(60));
        let out = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        let want = if gate == "never" { "exit 0" } else { "exit 1" };
        assert_eq!(out.trim(), want, "{format}: {err}");
        assert!(!err.contains("error"), "{format}: {err}");
        assert!(!err.contains("panicked"), "{format}: {err}");
    }
}

/// `--fail-on`'s help (built from `Rule`) and docs/rules.md name every rule the gate knows, and
/// `--format`'s help names every format of `Format` with the file it is written to.
#[test]
fn help_and_rule_docs_name_every_rule_and_format() {
    use chatcookie::vocab::Rule;
    let mut c = bin();
    c.args(["scan", "--help"]);
    let help = text(&run_within(c, Duration::from_secs(30)));
    let rules_md = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    // --help wraps lines: compare with the line breaks and indentation folded.
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for rule in Rule::ALL {
        assert!(
            flat.contains(rule.id()),
            "--fail-on's help lacks {}",
            rule.id()
        );
        assert!(
            rules_md.contains(&format!("| `{}` |", rule.id())),
            "docs/rules.md has no row for {}",
            rule.id()
        );
    }
    // Every format the definition has, with the file --output-dir writes it to.
    for format in <chatcookie::report::Format as clap::ValueEnum>::value_variants() {
        let name = clap::ValueEnum::to_possible_value(format).unwrap();
        let named = format!("{} ({}", name.get_name(), format.file_name());
        assert!(flat.contains(&named), "--format's help lacks {named})");
    }
}
