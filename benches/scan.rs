//! Benchmark: a four-step scan against bare Chromium loading the same page (`cargo bench --bench scan`).
//!
//! For each fixture site, in the same run: the wall time of `chromium --headless --dump-dom URL`
//! (the browser's own work: start, load, quit) and of `chatcookie scan DIR` (start, four steps
//! with settling and snapshots, report, quit), plus the chatcookie process's peak RSS (VmHWM,
//! Chromium excluded). Set BENCH_RUNS to change the number of runs (default 5); medians are shown.

mod common;

use chatcookie::browser::find_chrome;
use chatcookie::serve::{SiteFiles, SiteServer};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SITES: &[(&str, &str)] = &[
    ("genesys-shop", "#cc-accept"),
    ("tawkto-shop", "#cc-accept"),
    ("web1on1-eager", "#cc-accept"),
];

fn main() {
    let runs = common::env_or("BENCH_RUNS", 5);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe = common::release_exe();
    let chrome = find_chrome(None).expect("Chromium must be installed");
    println!(
        "runs per figure: {runs} (median); chatcookie {}",
        exe.display()
    );
    println!(
        "{:<16} {:>12} {:>14} {:>7} {:>12}",
        "site", "dump-dom s", "4-step scan s", "ratio", "peak RSS MB"
    );
    for (site, accept) in SITES {
        let dir = root.join("fixtures/sites").join(site);
        let host = format!("www.{site}.test");
        let server = SiteServer::start(SiteFiles::Disk(dir.clone()), &host).unwrap();
        let mut bare = Vec::new();
        let mut scan = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..runs {
            bare.push(common::dump_dom_seconds(&chrome, &server));

            let t = Instant::now();
            let mut child = Command::new(&exe)
                .args([
                    "scan",
                    dir.to_str().unwrap(),
                    "--consent-click",
                    accept,
                    "--format",
                    "json",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // VmHWM only grows: the last value read before exit is the peak.
            let mut peak_kb = 0u64;
            loop {
                if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
                {
                    for line in status.lines().filter(|l| l.starts_with("VmHWM:")) {
                        let kb = line
                            .split_whitespace()
                            .nth(1)
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(0);
                        peak_kb = peak_kb.max(kb);
                    }
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            assert!(child.wait().unwrap().success(), "scan failed");
            scan.push(t.elapsed().as_secs_f64());
            rss.push(peak_kb as f64 / 1024.0);
        }
        let (b, s) = (common::median(bare), common::median(scan));
        println!(
            "{:<16} {:>12.3} {:>14.3} {:>7.2} {:>12.1}",
            site,
            b,
            s,
            s / b,
            rss.iter().cloned().fold(0.0, f64::max)
        );
    }
}
