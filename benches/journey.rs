//! Benchmark: a journey over a site's pages (`cargo bench --bench journey`).
//!
//! `fixtures/sites/journey-twenty`: twenty small pages linked from the home page, each storing
//! one localStorage key. Interleaved in one run, BENCH_RUNS times (default 5):
//! - bare Chromium (`--dump-dom`) loading and dumping the same twenty pages, one process each;
//! - `chatcookie scan --pages 20` (default steps, one tab, one profile);
//!
//! and the ratio of the medians. Then chatcookie's own peak memory (VmHWM) at --pages 1, 5, 10
//! and 20: a journey keeps its pages' snapshots, not their browsers. Every run is checked: twenty
//! pages visited, each page's key first seen at its own load.

mod common;

use chatcookie::browser::find_chrome;
use chatcookie::serve::{SiteFiles, SiteServer};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let runs = common::env_or("BENCH_RUNS", 5);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let site = root.join("fixtures/sites/journey-twenty");
    let exe = common::release_exe();
    let chrome = find_chrome(None).expect("Chromium must be installed");
    let server =
        SiteServer::start(SiteFiles::Disk(site.clone()), "www.journey-twenty.test").unwrap();
    let pages: Vec<String> = std::iter::once("/".to_string())
        .chain((1..20).map(|i| format!("/p{i:02}.html")))
        .collect();
    println!(
        "journey-twenty: {} pages, {runs} interleaved runs, {} cores; chatcookie {}",
        pages.len(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        exe.display()
    );
    let (mut bare, mut scan) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        bare.push(
            pages
                .iter()
                .map(|p| common::dump_dom_page_seconds(&chrome, &server, p))
                .sum::<f64>(),
        );
        let t = Instant::now();
        let report = run(&exe, &site, 20);
        scan.push(t.elapsed().as_secs_f64());
        check(&report, 20);
    }
    let (b, s) = (common::median(bare), common::median(scan));
    println!(
        "\n{:<44} {:>8}\n{:<44} {b:>8.2}\n{:<44} {s:>8.2}\n{:<44} {:>8.2}",
        "median of the runs",
        "s",
        "bare Chromium --dump-dom, 20 processes",
        "chatcookie scan --pages 20",
        "ratio",
        s / b
    );
    println!("\n{:<44} {:>8}", "chatcookie peak memory (VmHWM)", "MB");
    for n in [1, 5, 10, 20] {
        let (report, mb) = peak_memory(&exe, &site, n);
        check(&report, n);
        println!("{:<44} {mb:>8.1}", format!("--pages {n}"));
    }
}

fn command(exe: &PathBuf, site: &PathBuf, pages: usize) -> Command {
    let mut cmd = Command::new(exe);
    cmd.arg("scan")
        .arg(site)
        .args(["--pages", &pages.to_string(), "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    cmd
}

fn run(exe: &PathBuf, site: &PathBuf, pages: usize) -> serde_json::Value {
    let out = command(exe, site, pages).output().unwrap();
    assert!(out.status.success(), "scan --pages {pages} failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Twenty (or `n`) pages visited, and each page's own key first seen at its load there.
fn check(report: &serde_json::Value, n: usize) {
    let visited = report["pages"]["visited"].as_array().unwrap();
    assert_eq!(visited.len(), n, "pages visited");
    let keys = report["observations"].as_array().unwrap();
    assert_eq!(keys.len(), n, "one key per page");
    for k in keys {
        assert_eq!(k["first_step"], "load");
        let page = k["first_page"].as_str().unwrap();
        let name = k["name"].as_str().unwrap();
        let own = if page.ends_with('/') {
            "seen_home".to_string()
        } else {
            format!(
                "seen_{}",
                page.rsplit('/').next().unwrap().trim_end_matches(".html")
            )
        };
        assert_eq!(name, own, "{page}");
    }
}

/// The scan's report and chatcookie's own peak resident memory, in MB.
fn peak_memory(exe: &PathBuf, site: &PathBuf, pages: usize) -> (serde_json::Value, f64) {
    let mut child = command(exe, site, pages).spawn().unwrap();
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    let mut peak_kb = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(s) = child.try_wait().unwrap() {
            assert!(s.success(), "scan --pages {pages} failed");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = reader.join().unwrap();
    (serde_json::from_str(&out).unwrap(), peak_kb as f64 / 1024.0)
}
