//! Integration tests: what comes late is seen at its step on the fast clock as on the real one.

use crate::common::{bin, code, keys, npm, root, run_within};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `fixtures/timing/<name>` in a temporary directory, with the tawk.to imitation linked in, and
/// the real klaro from npm (`tests/npm/`) where the site loads it.
fn assemble(name: &str, dir: &Path) -> PathBuf {
    let site = dir.join(name);
    std::fs::create_dir_all(site.join("_hosts")).unwrap();
    let from = root().join("fixtures/timing").join(name);
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), site.join(entry.file_name())).unwrap();
    }
    std::os::unix::fs::symlink(
        root().join("fixtures/sites/tawkto-shop/_hosts/embed.tawk.to"),
        site.join("_hosts/embed.tawk.to"),
    )
    .unwrap();
    if site.join("config.js").is_file() {
        std::fs::create_dir_all(site.join("vendor")).unwrap();
        std::os::unix::fs::symlink(
            npm::node_modules("npm").join("klaro"),
            site.join("vendor/klaro"),
        )
        .unwrap();
    }
    site
}

/// A default scan of `site` on `clock`: the report, and each key with the step it first showed at.
fn scan(site: &Path, clock: &str) -> (Value, BTreeSet<(String, String)>) {
    scan_with(site, clock, &[])
}

fn scan_with(site: &Path, clock: &str, extra: &[&str]) -> (Value, BTreeSet<(String, String)>) {
    let mut cmd = bin();
    cmd.arg("scan")
        .arg(site)
        .args(["--clock", clock, "--format", "json"])
        .args(extra);
    let out = run_within(cmd, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(code(&out), 0 | 1), "exit {}: {stderr}", code(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let keys = keys::first_steps(&report);
    (report, keys)
}

fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name}: {report}"))
}

#[test]
fn a_widget_inserted_two_and_a_half_seconds_after_load_is_seen_at_the_widget_step() {
    let dir = tempfile::tempdir().unwrap();
    let site = assemble("late-widget", dir.path());
    let want: BTreeSet<(String, String)> = [
        ("widget", "twk_idm_key"),
        ("widget", "TawkConnectionTime"),
        ("widget", "twk_uuid_5f2b1c9e8a4d3b0012c7e6a1"),
        ("widget", "$navigator.locks-clientIds"),
        ("widget", "PreviousNav"),
        ("chat_open", "twk_token_5f2b1c9e8a4d3b0012c7e6a1"),
    ]
    .into_iter()
    .map(|(s, n)| (s.to_string(), n.to_string()))
    .collect();
    for clock in ["fast", "real"] {
        let (report, keys) = scan(&site, clock);
        assert_eq!(keys, want, "--clock {clock}: {report}");
        let widget = step(&report, "widget");
        assert_eq!(widget["status"], "done", "--clock {clock}: {widget}");
        assert_eq!(report["provenance"]["options"]["clock"], clock);
        if clock == "real" {
            // The widget came 2.5 s after load: the real clock waited for it.
            assert!(widget["duration_ms"].as_u64().unwrap() >= 1500, "{widget}");
        }
    }
}

/// The keys of the tawk.to imitation released by klaro on accept, and klaro's own record.
fn released_by_klaro() -> BTreeSet<(String, String)> {
    [
        ("consent", "klaro"),
        ("consent", "twk_idm_key"),
        ("consent", "TawkConnectionTime"),
        ("consent", "twk_uuid_5f2b1c9e8a4d3b0012c7e6a1"),
        ("consent", "$navigator.locks-clientIds"),
        ("consent", "PreviousNav"),
        ("chat_open", "twk_token_5f2b1c9e8a4d3b0012c7e6a1"),
    ]
    .into_iter()
    .map(|(s, n)| (s.to_string(), n.to_string()))
    .collect()
}

/// Accept on both clocks: the chat's keys at `consent`; reject: klaro's record alone.
fn accepted_and_rejected(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let site = assemble(name, dir.path());
    for clock in ["fast", "real"] {
        let (report, keys) = scan(&site, clock);
        assert_eq!(
            keys,
            released_by_klaro(),
            "{name} --clock {clock}: {report}"
        );
        let consent = step(&report, "consent");
        assert_eq!(
            consent["status"], "done",
            "{name} --clock {clock}: {consent}"
        );
        assert_eq!(consent["consent"]["cmp"], "klaro", "{consent}");
        assert_eq!(consent["consent"]["recorded"], "accept", "{consent}");
    }
    let (report, keys) = scan_with(&site, "fast", &["--consent", "reject"]);
    let want: BTreeSet<(String, String)> = [("consent".to_string(), "klaro".to_string())].into();
    assert_eq!(keys, want, "{name} reject: {report}");
    assert_eq!(step(&report, "consent")["consent"]["recorded"], "reject");
}

#[test]
fn a_widget_released_by_consent_two_seconds_after_the_click_is_dated_to_consent() {
    accepted_and_rejected("released-late");
}

#[test]
fn a_real_klaro_set_up_two_seconds_after_load_is_answered_at_the_consent_step() {
    accepted_and_rejected("late-klaro");
}
