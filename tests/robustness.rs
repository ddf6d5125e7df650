//! Hostile pages and faults: every case ends in a clear outcome and a documented exit code, in bounded time.

use crate::common::{bin, chatcookie, processes_using, root, run_within, stderr, wait_within};
use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

fn hostile(name: &str) -> String {
    root()
        .join("fixtures/hostile")
        .join(name)
        .display()
        .to_string()
}

/// Scans a hostile fixture with short bounds; fails the test if the tool takes longer than `limit`.
fn scan(
    name: &str,
    extra: &[&str],
    limit: Duration,
) -> (Output, Option<serde_json::Value>, Duration) {
    let mut cmd = bin();
    cmd.args([
        "scan",
        &hostile(name),
        "--consent",
        "none",
        "--widget-timeout",
        "500ms",
        "--format",
        "json",
    ]);
    cmd.args(extra);
    let t = Instant::now();
    let out = run_within(cmd, limit);
    let took = t.elapsed();
    let json = serde_json::from_slice(&out.stdout).ok();
    (out, json, took)
}

fn names(r: &serde_json::Value) -> Vec<String> {
    r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn thousands_of_keys_and_a_five_megabyte_value() {
    let (o, r, _) = scan(
        "many-keys",
        &["--step-timeout", "20s"],
        Duration::from_secs(90),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = r.unwrap();
    let obs = r["observations"].as_array().unwrap();
    let local = obs
        .iter()
        .filter(|o| o["storage"] == "localStorage")
        .count();
    assert_eq!(local, 3001, "3,000 items and the big one");
    let cookies = obs.iter().filter(|o| o["storage"] == "cookie").count();
    assert!(
        (150..=3000).contains(&cookies),
        "the browser keeps a bounded number of cookies per domain: {cookies}"
    );
    let big = obs.iter().find(|o| o["name"] == "big").unwrap();
    assert!(
        big["value"]["length"].as_u64().unwrap() >= 1024 * 1024,
        "{}",
        big["value"]
    );
    assert!(big["value"].get("value").is_none(), "values stay redacted");
}

#[test]
fn hostile_names_are_kept_and_escaped() {
    let (o, r, _) = scan("hostile-names", &[], Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let n = names(&r.unwrap());
    for expected in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "ctl\u{1}\u{1b}[31mred",
        "lone\u{fffd}surrogate",
        "<b>bold</b>",
        "name|with`pipe",
    ] {
        assert!(
            n.iter().any(|x| x == expected),
            "{expected:?} missing from {n:?}"
        );
    }
    assert!(n.iter().any(|x| x.len() == 4096), "the 4 KB storage key");
    // The terminal table never passes control characters through.
    let t = chatcookie(&[
        "scan",
        &hostile("hostile-names"),
        "--consent",
        "none",
        "--widget-timeout",
        "300ms",
    ]);
    let table = String::from_utf8_lossy(&t.stdout);
    assert!(
        !table.contains('\u{1b}') && table.contains("ctl\\u{1}\\u{1b}[31mred"),
        "{table}"
    );
}

#[test]
fn a_renderer_stuck_in_a_loop_is_bounded_and_reported() {
    let (o, r, took) = scan(
        "busy-loop",
        &["--step-timeout", "2s"],
        Duration::from_secs(60),
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "unreadable storage is an incomplete scan: {}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("could not read everything"),
        "{}",
        stderr(&o)
    );
    let r = r.expect("the report is still written");
    // Cookies live in the browser process: still read while the page hangs.
    assert!(names(&r).contains(&"before_hang".to_string()));
    assert!(
        r["snapshot_errors"][0]
            .as_str()
            .unwrap()
            .contains("no answer within 2s"),
        "{}",
        r["snapshot_errors"]
    );
    assert!(took < Duration::from_secs(40), "{took:?}");
}

#[test]
fn endless_alerts_are_answered_and_bounded() {
    let (o, r, took) = scan(
        "alert-forever",
        &["--step-timeout", "2s"],
        Duration::from_secs(60),
    );
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
    let r = r.unwrap();
    assert!(names(&r).contains(&"before_alerts".to_string()));
    let dialogs: usize = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["dialogs"].as_array().unwrap().len())
        .sum();
    assert!(dialogs > 0);
    assert!(took < Duration::from_secs(40), "{took:?}");
}

#[test]
fn two_hundred_nested_frames_are_all_read() {
    let (o, r, _) = scan(
        "nested-frames",
        &["--step-timeout", "30s"],
        Duration::from_secs(90),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let n = names(&r.unwrap());
    for d in [1, 100, 200] {
        assert!(
            n.contains(&format!("depth_{d}")),
            "depth_{d} missing ({} keys)",
            n.len()
        );
    }
}

#[test]
fn a_redirect_loop_fails_the_scan_clearly() {
    let (o, r, _) = scan("redirect-loop", &[], Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("redirects in a loop"), "{}", stderr(&o));
    let r = r.unwrap();
    assert_eq!(r["aborted"]["step"], "load");
    // Callers branch on the kind and the browser's own error, not on the words.
    assert_eq!(r["aborted"]["kind"], "unreachable");
    assert_eq!(r["aborted"]["net_error"], "net::ERR_TOO_MANY_REDIRECTS");
}

#[test]
fn a_page_that_closes_its_window_loses_nothing() {
    let (o, r, _) = scan("closes-itself", &[], Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let n = names(&r.unwrap());
    assert_eq!(
        n.iter().filter(|x| *x == "before_close").count(),
        2,
        "{n:?}"
    );
}

#[test]
fn an_unwritable_output_file_keeps_the_report() {
    // A path below a regular file can never be created, not even by root.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let target = file.join("report.json");
    let (o, r, _) = scan(
        "closes-itself",
        &["--output", target.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write the report to")
            && stderr(&o).contains("standard output instead"),
        "{}",
        stderr(&o)
    );
    assert!(r.is_some(), "the report went to standard output");
}

#[test]
fn chromium_killed_mid_scan_is_reported_with_what_was_gathered() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args([
            "scan",
            &hostile("closes-itself"),
            "--consent",
            "none",
            "--widget-timeout",
            "60s",
            "--format",
            "json",
            "--progress",
        ])
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // --progress says when the load step (and its snapshot) is done; the widget wait follows.
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 && !line.contains("step load") {
        line.clear();
    }
    assert!(line.contains("step load"), "no progress line: {line:?}");
    let browser = processes_using(tmp.path())
        .into_iter()
        .find(|(_, c)| c.contains("--remote-debugging-port"))
        .expect("the browser runs with its profile in TMPDIR");
    // SAFETY: signalling a process of this test's own child's group.
    unsafe { libc::kill(browser.0, libc::SIGKILL) };
    let status = wait_within(&mut child, Duration::from_secs(15));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert_eq!(status.code(), Some(3), "{rest}");
    assert!(rest.contains("browser went away"), "{rest}");
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out).expect("the report is still written");
    assert!(
        names(&r).contains(&"before_close".to_string()),
        "the load step's keys are kept"
    );
    assert!(
        processes_using(tmp.path()).is_empty(),
        "left behind: {:?}",
        processes_using(tmp.path())
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "temp profile left behind"
    );
}
