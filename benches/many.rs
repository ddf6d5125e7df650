//! Benchmark: many sites (`cargo bench --bench many`).
//!
//! Generates M fixture sites (default 100, BENCH_SITES), copies of three widget fixtures with a
//! cookie banner, each under its own host name, and measures in one run:
//! - bare Chromium (`--dump-dom`) loading one of the pages against one four-step scan of it
//!   (median of BENCH_RUNS, default 5);
//! - M separate single-site runs (`chatcookie scan DIR`, one after the other);
//! - one run over all M sites at `--jobs 1, 2, 4`: wall time, sites per minute, and peak memory
//!   (the chatcookie process's VmHWM, and the peak of its whole process tree, Chromium included,
//!   sampled every 100 ms).
//!
//! Every run is checked: M reports, none aborted.

mod common;

use chatcookie::browser::find_chrome;
use chatcookie::serve::{SiteFiles, SiteServer};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TEMPLATES: &[&str] = &["genesys-shop", "tawkto-shop", "web1on1-eager"];
const ACCEPT: &str = "#cc-accept";

fn main() {
    let sites = common::env_or("BENCH_SITES", 100);
    let runs = common::env_or("BENCH_RUNS", 5);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe = common::release_exe();
    let work = tempfile::tempdir().unwrap();
    let dirs = generate(&root, work.path(), sites);
    println!(
        "{sites} generated sites ({}), {} cores; chatcookie {}",
        TEMPLATES.join(", "),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        exe.display()
    );

    // One page: bare Chromium against one four-step scan.
    let (bare, single) = one_page(&exe, &dirs[0], runs);
    println!(
        "\none page, median of {runs}: bare Chromium --dump-dom {bare:.3} s; four-step scan {single:.3} s ({:.2}x)",
        single / bare
    );

    println!(
        "\n{:<28} {:>9} {:>11} {:>13} {:>16}",
        "mode", "wall s", "sites/min", "chatcookie MB", "with Chromium MB"
    );
    let t = Instant::now();
    let mut peak_tree = 0.0f64;
    let mut peak_own = 0.0f64;
    for dir in &dirs {
        let mut cmd = Command::new(&exe);
        cmd.arg("scan")
            .arg(dir)
            .args(["--consent-click", ACCEPT, "--format", "json"]);
        let m = measure(cmd, work.path());
        assert!(m.ok, "single-site scan of {} failed", dir.display());
        peak_tree = peak_tree.max(m.tree_mb);
        peak_own = peak_own.max(m.own_mb);
    }
    let separate = t.elapsed().as_secs_f64();
    row(
        &format!("{sites} separate runs"),
        separate,
        sites,
        peak_own,
        peak_tree,
    );
    for jobs in [1, 2, 4] {
        let mut cmd = Command::new(&exe);
        cmd.arg("scan")
            .args(&dirs)
            .args(["--consent-click", ACCEPT, "--format", "jsonl"])
            .args(["--jobs", &jobs.to_string()]);
        let t = Instant::now();
        let m = measure(cmd, work.path());
        let wall = t.elapsed().as_secs_f64();
        assert!(m.ok, "the run at --jobs {jobs} failed");
        assert_eq!(m.reports, sites, "--jobs {jobs}: one report per site");
        assert_eq!(m.aborted, 0, "--jobs {jobs}: every scan completes");
        row(
            &format!("one run, --jobs {jobs}"),
            wall,
            sites,
            m.own_mb,
            m.tree_mb,
        );
        if jobs == 4 {
            println!(
                "\n--jobs 4 against {sites} separate runs: {:.1}x faster (target: 3x)",
                separate / wall
            );
        }
    }
}

fn row(mode: &str, wall: f64, sites: usize, own: f64, tree: f64) {
    println!(
        "{mode:<28} {wall:>9.1} {:>11.0} {own:>13.1} {tree:>16.0}",
        sites as f64 * 60.0 / wall
    );
}

/// Copies the templates round robin into `site-NNN-TEMPLATE` directories: each is served as
/// `www.site-NNN-TEMPLATE.test`, a site of its own.
fn generate(root: &Path, into: &Path, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let template = TEMPLATES[i % TEMPLATES.len()];
            let dir = into.join(format!("site-{i:03}-{template}"));
            copy_dir(&root.join("fixtures/sites").join(template), &dir);
            dir
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Median wall time of `chromium --dump-dom` on the page, and of a four-step scan of it.
fn one_page(exe: &Path, dir: &Path, runs: usize) -> (f64, f64) {
    let chrome = find_chrome(None).expect("Chromium must be installed");
    let name = dir.file_name().unwrap().to_str().unwrap();
    let server = SiteServer::start(
        SiteFiles::Disk(dir.to_path_buf()),
        &format!("www.{name}.test"),
    )
    .unwrap();
    let (mut bare, mut scan) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        bare.push(common::dump_dom_seconds(&chrome, &server));
        let t = Instant::now();
        let ok = Command::new(exe)
            .arg("scan")
            .arg(dir)
            .args(["--consent-click", ACCEPT, "--format", "json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "scan failed");
        scan.push(t.elapsed().as_secs_f64());
    }
    (common::median(bare), common::median(scan))
}

/// What one chatcookie run came to.
struct Measured {
    ok: bool,
    /// JSON Lines reports on stdout (0 for the single-site JSON).
    reports: usize,
    aborted: usize,
    /// The chatcookie process's peak RSS (VmHWM).
    own_mb: f64,
    /// The peak of the summed RSS of chatcookie and all its descendants (Chromium), sampled.
    tree_mb: f64,
}

fn measure(mut cmd: Command, tmp: &Path) -> Measured {
    let mut child = cmd
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    let (mut own_kb, mut tree_kb) = (0u64, 0u64);
    let status = loop {
        if let Some(kb) = status_field(pid, "VmHWM:") {
            own_kb = own_kb.max(kb);
        }
        tree_kb = tree_kb.max(tree_rss_kb(pid));
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = reader.join().unwrap();
    let (mut reports, mut aborted) = (0, 0);
    // JSON Lines only: a pretty-printed single report has no line that parses alone.
    for line in out.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        reports += 1;
        aborted += usize::from(!v["aborted"].is_null());
    }
    Measured {
        ok: status.success(),
        reports,
        aborted,
        own_mb: own_kb as f64 / 1024.0,
        tree_mb: tree_kb as f64 / 1024.0,
    }
}

fn status_field(pid: i32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Summed VmRSS of `root` and every process descending from it.
fn tree_rss_kb(root: i32) -> u64 {
    let mut parent: HashMap<i32, i32> = HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if let Some(ppid) = status_field(pid, "PPid:") {
            parent.insert(pid, ppid as i32);
        }
    }
    let descends = |mut p: i32| {
        for _ in 0..64 {
            if p == root {
                return true;
            }
            match parent.get(&p) {
                Some(&pp) if pp > 0 => p = pp,
                _ => return false,
            }
        }
        false
    };
    parent
        .keys()
        .filter(|&&p| descends(p))
        .filter_map(|&p| status_field(p, "VmRSS:"))
        .sum()
}
