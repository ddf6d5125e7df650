//! Benchmark: the default scan against bare Chromium loading the same page (`cargo bench --bench scan`).
//!
//! For each fixture family, in the same interleaved run: the wall time of `chromium --headless
//! --dump-dom URL` (the browser's own work: start, load, quit), of the default `chatcookie scan DIR`
//! (automatic consent, four steps, on the default fast clock) and of the same scan with
//! `--clock real`, plus the default scan's peak RSS (VmHWM, Chromium excluded). Each scan's keys
//! with the step they first showed at must equal the real-clock scan's and the family's expected
//! keys: a figure that lost a key is not a figure. Set BENCH_RUNS to change the number of runs (default 5); medians are shown.
//! The consent step's own time is shown too (`consent ms`: looking for the banner, answering it,
//! checking the answer). BENCH_BASELINE=path/to/another/chatcookie adds that binary's default scan,
//! interleaved, with its consent step (e.g. a release build of an earlier commit, to see what a
//! change costs: on the "nothing at all" family, the search by sight for a banner no rule knows).

mod common;
#[path = "../tests/common/keys.rs"]
mod keys;
#[path = "../tests/common/npm.rs"]
mod npm;

use chatcookie::browser::find_chrome;
use chatcookie::serve::{SiteFiles, SiteServer};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A family: its name, the fixture directory (under the repository root) that stands for it,
/// and the keys it must show, each with the step it first shows at: what the fixture's README
/// says the site writes, so a fast scan that loses a key (on both clocks alike) fails too.
const FAMILIES: &[(&str, &str, Expected)] = &[
    (
        "chat gated by klaro (npm)",
        "fixtures/npm/klaro-must-consent",
        Expected::Tawk("consent", &[("consent", "klaro")]),
    ),
    (
        "chat, no CMP",
        "fixtures/sites/tawkto-shop",
        Expected::Tawk("load", &[("consent", "site_consent")]),
    ),
    (
        "CMP, no chat",
        "fixtures/cmps/klaro",
        Expected::Only(&[("consent", "cmp_choice")]),
    ),
    (
        "nothing at all",
        "fixtures/sites/analytics-shop",
        Expected::Only(&[
            ("load", "_fbp"),
            ("load", "_ga"),
            ("load", "_gid"),
            ("load", "lang"),
        ]),
    ),
    (
        "widget 2.5 s late",
        "fixtures/timing/late-widget",
        Expected::Tawk("widget", &[]),
    ),
    (
        "CMP 5 s late",
        "fixtures/cmps/late-banner",
        Expected::Only(&[("consent", "cmp_choice")]),
    ),
    (
        "chat 2 s after consent",
        "fixtures/timing/released-late",
        Expected::Tawk("consent", &[("consent", "klaro")]),
    ),
    (
        "klaro 2 s late (npm)",
        "fixtures/timing/late-klaro",
        Expected::Tawk("consent", &[("consent", "klaro")]),
    ),
];

/// The keys a family must show.
enum Expected {
    /// The tawk.to imitation's keys from the step named on (its token at `chat_open`), and these.
    Tawk(&'static str, &'static [(&'static str, &'static str)]),
    /// Exactly these.
    Only(&'static [(&'static str, &'static str)]),
}

impl Expected {
    fn keys(&self) -> BTreeSet<(String, String)> {
        let (tawk, extra) = match self {
            Expected::Tawk(step, extra) => (Some(*step), *extra),
            Expected::Only(keys) => (None, *keys),
        };
        let tawk_keys = tawk.into_iter().flat_map(|step| {
            [
                (step, "twk_idm_key"),
                (step, "TawkConnectionTime"),
                (step, "twk_uuid_5f2b1c9e8a4d3b0012c7e6a1"),
                (step, "$navigator.locks-clientIds"),
                (step, "PreviousNav"),
                ("chat_open", "twk_token_5f2b1c9e8a4d3b0012c7e6a1"),
            ]
        });
        tawk_keys
            .chain(extra.iter().copied())
            .map(|(s, n)| (s.to_string(), n.to_string()))
            .collect()
    }
}

fn main() {
    let runs = common::env_or("BENCH_RUNS", 5);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe = common::release_exe();
    let chrome = find_chrome(None).expect("Chromium must be installed");
    let sites = tempfile::tempdir().unwrap();
    println!(
        "runs per figure: {runs} (median); chatcookie {}",
        exe.display()
    );
    let baseline = std::env::var_os("BENCH_BASELINE").map(PathBuf::from);
    if let Some(b) = &baseline {
        println!("baseline: {}", b.display());
    }
    println!(
        "{:<28} {:>10} {:>9} {:>7} {:>9} {:>7} {:>5} {:>8} {:>10} {:>11} {:>11}",
        "family",
        "dump-dom s",
        "scan s",
        "ratio",
        "real s",
        "ratio",
        "keys",
        "RSS MB",
        "consent ms",
        "baseline s",
        "base cons ms"
    );
    for (family, fixture, expected) in FAMILIES {
        let dir = assemble(&root, fixture, sites.path());
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        let server =
            SiteServer::start(SiteFiles::Disk(dir.clone()), &format!("www.{name}.test")).unwrap();
        let (mut bare, mut fast, mut real, mut rss) = (vec![], vec![], vec![], vec![]);
        let (mut consent, mut base, mut base_consent) = (vec![], vec![], vec![]);
        let mut truth: Option<BTreeSet<(String, String)>> = None;
        for _ in 0..runs {
            bare.push(common::dump_dom_seconds(&chrome, &server));
            let (s, kb, keys, c) = scan(&exe, &dir, "fast");
            fast.push(s);
            consent.push(c);
            rss.push(kb as f64 / 1024.0);
            if let Some(b) = &baseline {
                let (s, _, _, c) = scan(b, &dir, "fast");
                base.push(s);
                base_consent.push(c);
            }
            let (r, _, real_keys, _) = scan(&exe, &dir, "real");
            real.push(r);
            assert_eq!(keys, real_keys, "{family}: the fast clock saw other keys");
            if let Some(t) = &truth {
                assert_eq!(&keys, t, "{family}: keys differ between runs");
            }
            assert_eq!(
                keys,
                expected.keys(),
                "{family}: not the keys the site writes"
            );
            truth = Some(keys);
        }
        let (b, f, r) = (
            common::median(bare),
            common::median(fast),
            common::median(real),
        );
        let shown = |v: Vec<f64>, digits: usize| {
            if v.is_empty() {
                "-".to_string()
            } else {
                format!("{:.*}", digits, common::median(v))
            }
        };
        println!(
            "{:<28} {:>10.3} {:>9.3} {:>7.2} {:>9.3} {:>7.2} {:>5} {:>8.1} {:>10} {:>11} {:>11}",
            family,
            b,
            f,
            f / b,
            r,
            r / b,
            truth.map_or(0, |t| t.len()),
            rss.iter().cloned().fold(0.0, f64::max),
            shown(consent, 0),
            shown(base, 3),
            shown(base_consent, 0)
        );
    }
}

/// The fixture as a servable directory: npm packages and the tawk.to imitation linked in where
/// the fixture needs them (as `tests/real_cmps.rs` and `tests/timing.rs` assemble them).
fn assemble(root: &Path, fixture: &str, sites: &Path) -> PathBuf {
    let from = root.join(fixture);
    let name = from.file_name().unwrap();
    let site = sites.join(name);
    copy_tree(&from, &site);
    if fixture.starts_with("fixtures/npm/") || from.join("config.js").is_file() {
        let node_modules = npm::node_modules("npm");
        std::fs::create_dir_all(site.join("vendor")).unwrap();
        std::os::unix::fs::symlink(node_modules.join("klaro"), site.join("vendor/klaro")).unwrap();
    }
    if fixture.starts_with("fixtures/npm/") || fixture.starts_with("fixtures/timing/") {
        std::fs::create_dir_all(site.join("_hosts")).unwrap();
        std::os::unix::fs::symlink(
            root.join("fixtures/sites/tawkto-shop/_hosts/embed.tawk.to"),
            site.join("_hosts/embed.tawk.to"),
        )
        .unwrap();
    }
    site
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// One default scan on `clock`: seconds, peak RSS in KiB, each key with its first step, and the
/// consent step's milliseconds.
fn scan(exe: &Path, dir: &Path, clock: &str) -> (f64, u64, BTreeSet<(String, String)>, f64) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let t = Instant::now();
    let mut child = Command::new(exe)
        .arg("scan")
        .arg(dir)
        .args(["--clock", clock, "--format", "json", "--output"])
        .arg(out.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // VmHWM only grows: the last value read before exit is the peak.
    let mut peak_kb = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
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
    let status = child.wait().unwrap();
    let seconds = t.elapsed().as_secs_f64();
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "scan failed: {status}"
    );
    let report: Value = serde_json::from_slice(&std::fs::read(out.path()).unwrap()).unwrap();
    let keys = keys::first_steps(&report);
    let consent_ms = report["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["step"] == "consent")
        .and_then(|s| s["duration_ms"].as_f64())
        .unwrap_or(0.0);
    (seconds, peak_kb, keys, consent_ms)
}
