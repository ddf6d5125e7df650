//! What the integration tests share: the repository, the binary run within a time limit, the
//! library's pipeline on a fixture site, and the one rule for a missing prerequisite.
#![allow(dead_code)]

pub mod keys;
pub mod npm;
pub mod pg_server;
pub mod tls;

use chatcookie::ThirdPartyCookies;
use chatcookie::browser::BrowserOptions;
use chatcookie::catalog::Catalog;
use chatcookie::consent::CmpRules;
use chatcookie::report::ScanReport;
use chatcookie::run::{self, Judge, Target};
use chatcookie::scan::{ConsentChoice, ConsentMethod, ScanOptions, Settings};
use chatcookie::serve::SiteFiles;
use chatcookie::{ConsentAction, Step};
use serde::Deserialize;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Standard output and standard error together, for assertion messages.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `fixtures/sites/<name>`.
pub fn site_dir(name: &str) -> PathBuf {
    root().join("fixtures/sites").join(name)
}

/// One expected key, as written in a fixture's expected.toml.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedKey {
    pub step: String,
    pub name: String,
    pub storage: String,
    pub frame: String,
    pub domain: Option<String>,
    pub session: Option<bool>,
    pub http_only: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct Expected {
    pub host: String,
    pub consent_click: Option<String>,
    pub reject_click: Option<String>,
    pub vendors: Vec<String>,
    #[serde(default)]
    pub accept: Vec<ExpectedKey>,
    #[serde(default)]
    pub reject: Vec<ExpectedKey>,
    #[serde(default)]
    pub third_party_allowed: Vec<ExpectedKey>,
}

pub fn expected(name: &str) -> Expected {
    let text = std::fs::read_to_string(site_dir(name).join("expected.toml")).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/expected.toml: {e}"))
}

/// Scans a fixture site with the given consent action.
pub fn scan_site(name: &str, action: ConsentAction, third_party: ThirdPartyCookies) -> ScanReport {
    scan_site_with(name, action, third_party, |_| {})
}

/// As [`scan_site`], with the test's own changes to the scan options: the library's pipeline
/// ([`run::scan_target`]) on the served fixture, judged by the embedded catalog alone.
pub fn scan_site_with(
    name: &str,
    action: ConsentAction,
    third_party: ThirdPartyCookies,
    adjust: impl FnOnce(&mut ScanOptions),
) -> ScanReport {
    let exp = expected(name);
    let click = match action {
        ConsentAction::Accept => exp.consent_click.clone(),
        ConsentAction::Reject => exp.reject_click.clone(),
        ConsentAction::None => None,
    };
    let action = if click.is_none() {
        ConsentAction::None
    } else {
        action
    };
    let mut opts = ScanOptions {
        consent: ConsentChoice::new(
            action,
            click.map_or(ConsentMethod::Auto, ConsentMethod::Click),
            CmpRules::embedded().unwrap(),
        ),
        settings: Settings {
            // Wider than the product default: CI runs two Chromiums on two cores, and the
            // fixtures' timers (up to 100 ms) must not slip past the window.
            quiet: Duration::from_millis(400),
            widget_timeout: Duration::from_secs(2),
            // Every step of one page; the return visit and the withdrawal have tests of their own.
            steps: Step::ON_EACH_PAGE.to_vec(),
            ..Settings::default()
        },
        ..ScanOptions::default()
    };
    adjust(&mut opts);
    let catalog = Catalog::embedded().unwrap();
    let target = Target::Served {
        files: SiteFiles::Disk(site_dir(name)),
        host: exp.host,
    };
    let browser = BrowserOptions {
        third_party_cookies: third_party,
        // Beyond the product default: other tests' browsers share the cores.
        launch_timeout: Duration::from_secs(30),
        ..BrowserOptions::default()
    };
    run::scan_target(&target, opts, &browser, &Judge::new(&catalog))
        .unwrap_or_else(|e| panic!("scanning {name} (Chromium must be installed, see README): {e}"))
}

/// The observed keys in the shape of expected.toml.
pub fn observed_keys(report: &ScanReport, host: &str) -> Vec<ExpectedKey> {
    let mut out: Vec<ExpectedKey> = report
        .observations
        .iter()
        .map(|o| {
            let cookie = o.cookie.as_ref();
            let origin = match &o.frame_url {
                Some(_) => strip_port(&o.location),
                None => String::new(),
            };
            let top = origin.is_empty()
                || url::Url::parse(&origin)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .as_deref()
                    == Some(host);
            ExpectedKey {
                step: o.first_step.to_string(),
                name: o.name.clone(),
                storage: o.storage.to_string(),
                frame: if top { "top".into() } else { origin },
                domain: cookie.map(|c| c.domain.clone()),
                session: cookie.map(|c| c.expires.is_none()),
                http_only: cookie.map(|c| c.http_only),
            }
        })
        .collect();
    out.sort();
    out
}

fn strip_port(origin: &str) -> String {
    match url::Url::parse(origin) {
        Ok(u) => format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default()),
        Err(_) => origin.to_string(),
    }
}

/// Cookies are compared by step, name, storage, domain and flags; their setting frame is not observable.
pub fn normalise(mut keys: Vec<ExpectedKey>) -> Vec<ExpectedKey> {
    for k in &mut keys {
        if k.storage == "cookie" {
            k.frame = String::new();
        }
    }
    keys.sort();
    keys
}

/// Processes whose command line mentions `dir` (a browser whose profile is there): pid and command line.
pub fn processes_using(dir: &std::path::Path) -> Vec<(i32, String)> {
    let needle = dir.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: i32 = e.file_name().to_str()?.parse().ok()?;
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            Some((pid, String::from_utf8_lossy(&cmd).replace('\0', " ")))
        })
        .filter(|(_, c)| c.contains(&needle))
        .collect()
}

/// A Chromium started apart from chatcookie, for `--connect`; killed when dropped.
pub struct ExternalChromium {
    pub child: std::process::Child,
    /// The browser's DevTools WebSocket URL.
    pub ws: String,
    pub port: String,
    _profile: tempfile::TempDir,
}

impl ExternalChromium {
    pub fn start(extra: &[&str]) -> ExternalChromium {
        let chrome = chatcookie::browser::find_chrome(None).expect("Chromium must be installed");
        let profile = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(chrome)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--remote-debugging-port=0",
            ])
            .args(extra)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let port_file = profile.path().join("DevToolsActivePort");
        // Owned at once, so a browser that never answers is killed when the test panics.
        let mut browser = ExternalChromium {
            child,
            ws: String::new(),
            port: String::new(),
            _profile: profile,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(t) = std::fs::read_to_string(&port_file)
                && let [port, path, ..] = t.lines().collect::<Vec<_>>()[..]
            {
                browser.ws = format!("ws://127.0.0.1:{port}{path}");
                browser.port = port.to_string();
                return browser;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "external browser did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for ExternalChromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The chatcookie binary under test.
pub fn bin() -> Command {
    Command::new(bin_path())
}

/// Its path, for a shell pipeline that runs it.
pub fn bin_path() -> &'static str {
    env!("CARGO_BIN_EXE_chatcookie")
}

/// How long one run of the binary may take unless the test names its own limit: far beyond any
/// scan of the tests, so that only a hang reaches it.
pub const LIMIT: Duration = Duration::from_secs(300);

/// Runs the chatcookie binary with `args` to completion (within [`LIMIT`]).
pub fn chatcookie(args: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.args(args);
    run_within(cmd, LIMIT)
}

/// Runs `cmd` to completion, failing the test if it takes longer than `limit`.
pub fn run_within(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    finish_within(child, limit)
}

/// As [`run_within`], with `input` written to its standard input (then closed).
pub fn run_with_input(mut cmd: Command, input: &[u8], limit: Duration) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    // Written beside the wait: a child that answers before reading all its input must not block.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = finish_within(child, limit);
    writer
        .join()
        .unwrap()
        .unwrap_or_else(|e| panic!("writing the input: {e}: {}", text(&out)));
    out
}

/// Waits for a spawned child, killing it and failing the test with what it wrote if it takes
/// longer than `limit`. Its pipes still attached are read while it runs: a child that writes
/// more than a pipe holds (64 KiB) would otherwise wait for a reader forever.
pub fn finish_within(mut child: Child, limit: Duration) -> Output {
    use std::io::Read;
    let drain = |from: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut from) = from {
                let _ = from.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let (status, killed) = wait_or_kill(&mut child, limit);
    let out = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    assert!(
        !killed,
        "pid {} did not finish within {limit:?}, killed; its output:\n{}",
        child.id(),
        text(&out)
    );
    out
}

/// Waits for a spawned child whose pipes the test reads itself (progress lines, a signal sent
/// mid-run), killing it and failing the test if it takes longer than `limit`.
pub fn wait_within(child: &mut Child, limit: Duration) -> ExitStatus {
    let (status, killed) = wait_or_kill(child, limit);
    assert!(
        !killed,
        "pid {} did not finish within {limit:?}, killed",
        child.id()
    );
    status
}

/// The child's exit status, and whether it was killed for outliving `limit`.
fn wait_or_kill(child: &mut Child, limit: Duration) -> (ExitStatus, bool) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status, false);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return (child.wait().unwrap(), true);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The exit code (-1 when killed by a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Standard error alone, for assertion messages.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether the tests run under CI (`CI` set, as CI services do, and not `false` or `0`).
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// The one rule for a test's prerequisite (a browser farm, PostgreSQL, java, a host name…):
/// true if `available`; else, under CI, the test fails saying `what` is missing (CI installs
/// everything, so a gap there is a broken setup, never a pass); elsewhere it prints
/// "skipped: `what`" and returns false, and the test returns.
pub fn require(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    assert!(
        !under_ci(),
        "{what} (CI is set: a missing prerequisite fails the test)"
    );
    eprintln!("skipped: {what}");
    false
}
