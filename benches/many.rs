//! Benchmark: many sites (`cargo bench --bench many`).
//!
//! Generates M fixture sites (default 100, BENCH_SITES), copies of four fixtures round robin, each
//! under its own host name — a chat gated by the real klaro from npm, klaro without a chat, a
//! tawk.to shop and a Web1on1 shop (their banners are the site's own, which no CMP rule knows) —
//! and measures in one run:
//! - bare Chromium (`--dump-dom`) loading and dumping the same M pages, one process each: one
//!   at a time (the yardstick), and four at a time (four browsers at once, as `--jobs 4` runs
//!   four pages at once);
//! - the default scan a user runs (automatic consent, all steps) over all M sites in one run at
//!   `--jobs 4`: wall time, sites per minute, and peak memory (the chatcookie process's VmHWM, and
//!   the peak of its whole process tree, Chromium included, sampled every 100 ms);
//! - with BENCH_ALL=1 also `--jobs 1` and `--jobs 2`, and M separate single-site runs.
//!
//! Every run is checked: M reports, none aborted, and every banner answered.

mod common;
#[path = "../tests/common/npm.rs"]
mod npm;

use chatcookie::browser::find_chrome;
use chatcookie::serve::{SiteFiles, SiteServer};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The fixtures copied. Every one shows a banner the default scan answers: klaro's by its
/// rule, the shops' own by sight.
const TEMPLATES: &[&str] = &[
    "fixtures/npm/klaro-must-consent",
    "fixtures/cmps/klaro",
    "fixtures/sites/tawkto-shop",
    "fixtures/sites/web1on1-eager",
];

fn main() {
    let sites = common::env_or("BENCH_SITES", 100);
    let all = std::env::var_os("BENCH_ALL").is_some();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe = common::release_exe();
    let work = tempfile::tempdir().unwrap();
    let dirs = generate(&root, work.path(), sites);
    println!(
        "{sites} generated sites ({}), {} cores; chatcookie {}",
        TEMPLATES
            .iter()
            .map(|t| t.rsplit('/').next().unwrap())
            .collect::<Vec<_>>()
            .join(", "),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        exe.display()
    );

    println!(
        "\n{:<36} {:>9} {:>11} {:>13} {:>16}",
        "mode", "wall s", "sites/min", "chatcookie MB", "with Chromium MB"
    );
    let (one, bare) = (bare_at_a_time(&dirs, 1), bare_at_a_time(&dirs, 4));
    for (mode, wall) in [
        ("bare Chromium --dump-dom, 1 at a time", one),
        ("bare Chromium --dump-dom, 4 at once", bare),
    ] {
        println!(
            "{mode:<36} {wall:>9.1} {:>11.0} {:>13} {:>16}",
            sites as f64 * 60.0 / wall,
            "-",
            "-"
        );
    }
    if all {
        let t = Instant::now();
        let mut peak_tree = 0.0f64;
        let mut peak_own = 0.0f64;
        for dir in &dirs {
            let mut cmd = Command::new(&exe);
            cmd.arg("scan").arg(dir).args(["--format", "json"]);
            let m = measure(cmd, work.path());
            assert!(m.ok, "single-site scan of {} failed", dir.display());
            peak_tree = peak_tree.max(m.tree_mb);
            peak_own = peak_own.max(m.own_mb);
        }
        row(
            &format!("{sites} separate runs"),
            t.elapsed().as_secs_f64(),
            sites,
            peak_own,
            peak_tree,
        );
    }
    let jobs: &[usize] = if all { &[1, 2, 4] } else { &[4] };
    for &jobs in jobs {
        let mut cmd = Command::new(&exe);
        cmd.arg("scan")
            .args(&dirs)
            .args(["--format", "jsonl"])
            .args(["--jobs", &jobs.to_string()]);
        let t = Instant::now();
        let m = measure(cmd, work.path());
        let wall = t.elapsed().as_secs_f64();
        assert!(m.ok, "the run at --jobs {jobs} failed");
        assert_eq!(m.reports, sites, "--jobs {jobs}: one report per site");
        assert_eq!(m.aborted, 0, "--jobs {jobs}: every scan completes");
        assert_eq!(m.answered, sites, "--jobs {jobs}: every banner is answered");
        row(
            &format!("default scan, one run, --jobs {jobs}"),
            wall,
            sites,
            m.own_mb,
            m.tree_mb,
        );
        if jobs == 4 {
            println!(
                "\n--jobs 4 default scan against bare Chromium one process each: {:.2}x the time \
                 one at a time, {:.2}x four at once",
                wall / one,
                wall / bare
            );
        }
    }
}

/// Wall time of `--dump-dom` over every page, `at_once` browsers at a time (each site served
/// under its own host name).
fn bare_at_a_time(dirs: &[PathBuf], at_once: usize) -> f64 {
    let chrome = find_chrome(None).expect("Chromium must be installed");
    let servers: Vec<SiteServer> = dirs
        .iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_str().unwrap();
            SiteServer::start(
                SiteFiles::Disk(dir.to_path_buf()),
                &format!("www.{name}.test"),
            )
            .unwrap()
        })
        .collect();
    let next = Mutex::new(0usize);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..at_once {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(server) = servers.get(i) else { break };
                    common::dump_dom_seconds(&chrome, server);
                }
            });
        }
    });
    t.elapsed().as_secs_f64()
}

fn row(mode: &str, wall: f64, sites: usize, own: f64, tree: f64) {
    println!(
        "{mode:<36} {wall:>9.1} {:>11.0} {own:>13.1} {tree:>16.0}",
        sites as f64 * 60.0 / wall
    );
}

/// Copies the templates round robin into `site-NNN-NAME` directories: each is served as
/// `www.site-NNN-NAME.test`, a site of its own; the npm klaro and the tawk.to imitation are linked
/// in where a fixture needs them (as `tests/real_cmps.rs` assembles them).
fn generate(root: &Path, into: &Path, n: usize) -> Vec<PathBuf> {
    let klaro = npm::node_modules("npm").join("klaro");
    (0..n)
        .map(|i| {
            let template = TEMPLATES[i % TEMPLATES.len()];
            let name = template.rsplit('/').next().unwrap();
            let dir = into.join(format!("site-{i:03}-{name}"));
            copy_dir(&root.join(template), &dir);
            if template.starts_with("fixtures/npm/") {
                std::fs::create_dir_all(dir.join("vendor")).unwrap();
                std::os::unix::fs::symlink(&klaro, dir.join("vendor/klaro")).unwrap();
                std::fs::create_dir_all(dir.join("_hosts")).unwrap();
                std::os::unix::fs::symlink(
                    root.join("fixtures/sites/tawkto-shop/_hosts/embed.tawk.to"),
                    dir.join("_hosts/embed.tawk.to"),
                )
                .unwrap();
            }
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

/// What one chatcookie run came to.
struct Measured {
    ok: bool,
    /// JSON Lines reports on stdout (0 for the single-site JSON).
    reports: usize,
    aborted: usize,
    /// Reports whose consent step answered the banner.
    answered: usize,
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
    let (mut reports, mut aborted, mut answered) = (0, 0, 0);
    // JSON Lines only: a pretty-printed single report has no line that parses alone.
    for line in out.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        reports += 1;
        aborted += usize::from(!v["aborted"].is_null());
        answered += usize::from(v["provenance"]["consent"]["done"] == true);
    }
    Measured {
        ok: status.success(),
        reports,
        aborted,
        answered,
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
