//! Integration tests: what comes late is seen at its step on the fast clock as on the real one.

mod common;

use common::{bin, code, keys, run_within};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `fixtures/timing/<name>` in a temporary directory, with the tawk.to imitation linked in.
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
    site
}

/// A default scan of `site` on `clock`: the report, and each key with the step it first showed at.
fn scan(site: &Path, clock: &str) -> (Value, BTreeSet<(String, String)>) {
    let mut cmd = bin();
    cmd.arg("scan")
        .arg(site)
        .args(["--clock", clock, "--format", "json"]);
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
