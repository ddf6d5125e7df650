//! What the benchmarks share: the release binary, bare Chromium as the yardstick, medians.
#![allow(dead_code)]

use chatcookie::serve::SiteServer;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Builds the release binary and returns its path.
pub fn release_exe() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut build = Command::new("cargo");
    build
        .args(["build", "--release", "--quiet"])
        .current_dir(&root);
    // What `cargo bench` sets for the running bench: a build script that watches one of these
    // (ring's watches CARGO_MANIFEST_DIR) would see it change, and the release build and the
    // next plain one would each rebuild it and everything above it (minutes).
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_CRATE_",
            "CARGO_PRIMARY_",
        ]
        .iter()
        .any(|p| name.starts_with(p))
        {
            build.env_remove(name.as_ref());
        }
    }
    assert!(build.status().unwrap().success(), "release build failed");
    // Where cargo put it: CARGO_TARGET_DIR when the run sets one (a shared target directory).
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_relative() { root.join(t) } else { t })
        .unwrap_or_else(|| root.join("target"))
        .join("release/chatcookie")
}

/// Wall time of `chromium --headless --dump-dom` on the served site: the browser's own work
/// (start, load, quit), with the site's host names resolved to loopback.
pub fn dump_dom_seconds(chrome: &Path, server: &SiteServer) -> f64 {
    dump_dom_page_seconds(chrome, server, "/")
}

/// [`dump_dom_seconds`] of the page at `path` of the served site.
pub fn dump_dom_page_seconds(chrome: &Path, server: &SiteServer, path: &str) -> f64 {
    let rules: Vec<String> = server
        .hosts
        .iter()
        .map(|h| format!("MAP {h} 127.0.0.1"))
        .collect();
    let profile = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let ok = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--host-resolver-rules={}", rules.join(", ")),
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            &format!("{}{}", server.url().trim_end_matches('/'), path),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "dump-dom failed");
    t.elapsed().as_secs_f64()
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
