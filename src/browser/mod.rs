//! The browser session: finding, launching or connecting to Chromium, and making sure none outlives the tool.

pub mod cdp;
pub mod clock;
pub mod dom;
pub mod endpoint;
pub mod fetch;
pub mod input;
mod poll;
pub mod stream;
pub mod visitor;
pub mod watch;

pub use poll::poll_until;

use crate::error::{Error, ErrorKind};
use crate::vocab::ThirdPartyCookies;
use anyhow::Context;
use cdp::{Cdp, CdpError, Page};
use headless_chrome::protocol::cdp::{Browser as BrowserDomain, Target};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Names searched on `PATH`, in order, when neither `--chrome` nor `CHROME` names a browser.
const BROWSER_NAMES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome-stable",
    "google-chrome",
    "chrome",
    "msedge",
];

/// Why a browser could not be had; callers branch on it for exit codes and messages.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "no Chromium or Chrome found ({searched}).\n  Install one: `sudo apt-get install chromium` (Debian/Ubuntu), `brew install --cask chromium` (macOS),\n  or point to it with `--chrome PATH` or the CHROME environment variable."
    )]
    NotFound { searched: String },
    #[error("Chromium at {path} did not start: {reason}")]
    LaunchFailed { path: String, reason: String },
    #[error("cannot connect to the browser at {url}: {reason}")]
    ConnectFailed { url: String, reason: String },
}

/// A browser that could not be had is a browser error (exit code 3).
impl From<BrowserError> for Error {
    fn from(e: BrowserError) -> Error {
        Error::browser(e)
    }
}

/// Everything needed to start or reach a browser.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    pub chrome: Option<PathBuf>,
    /// A farm's browser to use instead of launching one (`--connect`).
    pub connect: Option<Farm>,
    pub third_party_cookies: ThirdPartyCookies,
    /// Host names Chromium resolves to 127.0.0.1 (local sites and the demo).
    pub map_to_loopback: Vec<String>,
    pub launch_timeout: Duration,
    pub no_sandbox: bool,
    /// Every request of every scan goes through this proxy (`--proxy`), loopback included.
    pub proxy: Option<String>,
}

/// A browser farm: where its browser is reached, and the headers its handshake needs
/// (`--connect`, `--connect-header`).
#[derive(Debug, Clone)]
pub struct Farm {
    pub endpoint: endpoint::Endpoint,
    pub headers: Vec<visitor::Header>,
}

impl Default for BrowserOptions {
    /// Launch the Chromium found on PATH, third-party cookies blocked as in current Chrome.
    fn default() -> BrowserOptions {
        BrowserOptions {
            chrome: None,
            connect: None,
            third_party_cookies: ThirdPartyCookies::Block,
            map_to_loopback: Vec::new(),
            launch_timeout: DEFAULT_LAUNCH_TIMEOUT,
            no_sandbox: false,
            proxy: None,
        }
    }
}

/// How long Chromium may take to start, unless told otherwise (`--launch-timeout`).
pub const DEFAULT_LAUNCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// A running or connected browser. Dropping it closes the browser it launched and removes the profile.
pub struct BrowserSession {
    pub cdp: Cdp,
    pub version: String,
    /// The cookie policy the browser runs with (None when connected: the remote browser's own).
    pub third_party_cookies: Option<ThirdPartyCookies>,
    pub connected: bool,
    /// The proxy each page's browser context uses (`--proxy`).
    pub proxy: Option<String>,
    /// Several scans share this browser (`--jobs`, many targets): each closes its page and
    /// browser context when done.
    pub shared: bool,
    process: Option<ChromeProcess>,
}

/// A Chromium process we started, in its own process group, with its temporary profile.
struct ChromeProcess {
    child: Child,
    /// Removed when dropped, after the browser is gone.
    dir: tempfile::TempDir,
}

/// Process groups and profiles alive right now, for the Ctrl-C handler.
static LIVE: Mutex<Vec<(i32, PathBuf)>> = Mutex::new(Vec::new());

/// Set once SIGINT/SIGTERM arrived: the handler owns the exit from then on.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// True once the tool was interrupted.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Kills every launched browser and removes its profile: called on SIGINT/SIGTERM.
pub fn kill_all_now() {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
    let live = match LIVE.lock() {
        Ok(l) => l.clone(),
        Err(p) => p.into_inner().clone(),
    };
    for (pgid, dir) in live {
        kill_group(pgid);
        remove_dir(&dir);
    }
}

/// Kills a process group and waits (at most a second) until none of its processes still runs,
/// so that no dying helper writes into the profile while it is being removed.
fn kill_group(pgid: i32) {
    let deadline = Instant::now() + Duration::from_secs(1);
    // SAFETY: killpg and waitpid have no memory-safety preconditions; stale ids fail with ESRCH/ECHILD.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
        // Reap the group leader (our child) so it does not linger as a zombie.
        libc::waitpid(pgid, std::ptr::null_mut(), libc::WNOHANG);
    }
    while group_running(pgid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
        // SAFETY: as above.
        unsafe { libc::waitpid(pgid, std::ptr::null_mut(), libc::WNOHANG) };
    }
}

/// True while a member of the process group runs. Zombies do not count: they can no longer
/// write, and orphaned ones wait for an init that may reap them late (seen here: a second).
fn group_running(pgid: i32) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        // No /proc: fall back to asking the kernel whether any member exists at all.
        // SAFETY: killpg with signal 0 only checks for existence.
        return unsafe { libc::killpg(pgid, 0) } == 0;
    };
    procs.flatten().any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            return false;
        };
        // Fields after the parenthesised command name: state, ppid, pgrp, ...
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            return false;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("Z");
        let pgrp = fields.nth(1).and_then(|f| f.parse::<i32>().ok());
        pgrp == Some(pgid) && state != "Z" && state != "X"
    })
}

/// Removes a directory tree, retrying briefly if something was still being written into it.
fn remove_dir(dir: &Path) {
    for _ in 0..5 {
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => return,
        }
    }
}

/// Finds the browser binary: `--chrome`, then `CHROME`, then `PATH`.
pub fn find_chrome(explicit: Option<&Path>) -> Result<PathBuf, BrowserError> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(BrowserError::NotFound {
                searched: format!("--chrome {} does not exist", p.display()),
            })
        };
    }
    if let Some(p) = std::env::var_os("CHROME").filter(|s| !s.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(BrowserError::NotFound {
                searched: format!("CHROME={} does not exist", p.display()),
            })
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in BROWSER_NAMES {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(BrowserError::NotFound {
        searched: format!("looked for {} on PATH", BROWSER_NAMES.join(", ")),
    })
}

impl BrowserSession {
    /// Launches a fresh headless Chromium, or connects to `options.connect`.
    pub fn start(options: &BrowserOptions) -> crate::error::Result<BrowserSession> {
        match &options.connect {
            Some(farm) => Self::connect(farm).map(|mut s| {
                s.proxy = options.proxy.clone();
                s
            }),
            None => Self::launch(options),
        }
        .map_err(|e| Error::at_edge(ErrorKind::Browser, e))
    }

    fn connect(farm: &Farm) -> anyhow::Result<BrowserSession> {
        let cdp = Cdp::connect_remote(&farm.endpoint, &farm.headers, CONNECT_TIMEOUT).map_err(
            |reason| {
                Error::browser(BrowserError::ConnectFailed {
                    url: farm.endpoint.shown(),
                    reason: reason.to_string(),
                })
            },
        )?;
        let version = browser_version(&cdp);
        Ok(BrowserSession {
            cdp,
            version,
            third_party_cookies: None,
            connected: true,
            proxy: None,
            shared: false,
            process: None,
        })
    }

    fn launch(options: &BrowserOptions) -> anyhow::Result<BrowserSession> {
        let path = find_chrome(options.chrome.as_deref()).map_err(Error::browser)?;
        let dir = tempfile::Builder::new()
            .prefix("chatcookie-")
            .tempdir()
            .context("cannot create a temporary profile directory")?;
        let profile = dir.path().join("profile");
        if options.third_party_cookies == ThirdPartyCookies::Allow {
            allow_third_party_cookies(&profile)?;
        }
        // Chromium's own temporary files (its singleton socket directory, say) go inside our
        // directory too, so a killed browser leaves nothing in the system's temp folder.
        let browser_tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&browser_tmp)
            .context("cannot create the browser's temp directory")?;
        let stderr_path = dir.path().join("chromium-stderr.log");
        let stderr = std::fs::File::create(&stderr_path)?;

        let mut args: Vec<String> = vec![
            "--headless".into(),
            "--remote-debugging-port=0".into(),
            format!("--user-data-dir={}", profile.display()),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-default-apps".into(),
            "--disable-extensions".into(),
            "--mute-audio".into(),
            "--hide-scrollbars".into(),
            "--password-store=basic".into(),
            "--use-mock-keychain".into(),
            "--window-size=1280,800".into(),
            // Parallel scans run in pages nobody looks at: keep their timers and renderers at
            // full speed, or a page in the background settles late or not at all.
            "--disable-background-timer-throttling".into(),
            "--disable-renderer-backgrounding".into(),
            "--disable-backgrounding-occluded-windows".into(),
            // One frame tree for the whole page, so the storage of cross-origin iframes is
            // reachable from the page's own session (notes/chromium.md).
            "--disable-site-isolation-trials".into(),
            // The page must not be told it is automated (navigator.webdriver): consent managers
            // hide their banner from bots (vanilla-cookieconsent's hideFromBots, say).
            "--disable-blink-features=AutomationControlled".into(),
            // The WebUI omnibox popups: every window (one per scan's browser context) otherwise
            // starts a renderer of its own for the address bar's two popups, which headless never
            // shows. Measured at --jobs 4 over 20 sites: 30% of Chromium's CPU time. No page
            // can tell: they are browser UI, in processes of their own.
            "--disable-features=IsolateOrigins,site-per-process,Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup".into(),
        ];
        // Chromium refuses its sandbox as root; elsewhere keep it unless asked.
        // SAFETY: geteuid has no preconditions.
        if options.no_sandbox || unsafe { libc::geteuid() } == 0 {
            args.push("--no-sandbox".into());
        }
        if !options.map_to_loopback.is_empty() {
            let rules: Vec<String> = options
                .map_to_loopback
                .iter()
                .map(|h| format!("MAP {h} 127.0.0.1"))
                .collect();
            args.push(format!("--host-resolver-rules={}", rules.join(", ")));
        }
        if let Some(proxy) = &options.proxy {
            // `<-loopback>`: loopback addresses go through the proxy too, as every request does.
            args.push(format!("--proxy-server={proxy}"));
            args.push("--proxy-bypass-list=<-loopback>".into());
        }
        // No first tab: every scan opens its own, and a browser busy making one it will not
        // use answers DevTools late (measured: the handshake 100-130 ms after the port is
        // open with a first tab, 10-20 ms without).
        args.push("--no-startup-window".into());

        let mut cmd = Command::new(&path);
        cmd.args(&args)
            .env("TMPDIR", &browser_tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        {
            use std::os::unix::process::CommandExt;
            // Its own process group: one signal reaches the browser and all its helpers.
            cmd.process_group(0);
        }
        let child = cmd.spawn().map_err(|e| {
            Error::browser(BrowserError::LaunchFailed {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        })?;
        let pgid = child.id() as i32;
        LIVE.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((pgid, dir.path().to_path_buf()));
        let mut process = ChromeProcess { child, dir };

        let ws =
            match wait_for_devtools(&mut process, &profile, &stderr_path, options.launch_timeout) {
                Ok(ws) => ws,
                Err(reason) => {
                    drop(process);
                    return Err(Error::browser(BrowserError::LaunchFailed {
                        path: path.display().to_string(),
                        reason: reason.to_string(),
                    })
                    .into());
                }
            };
        let cdp = Cdp::connect(&ws, CONNECT_TIMEOUT).map_err(|reason| {
            Error::browser(BrowserError::LaunchFailed {
                path: path.display().to_string(),
                reason: format!("cannot attach to its DevTools endpoint: {reason}"),
            })
        })?;
        let version = browser_version(&cdp);
        Ok(BrowserSession {
            cdp,
            version,
            third_party_cookies: Some(options.third_party_cookies),
            connected: false,
            proxy: options.proxy.clone(),
            shared: false,
            process: Some(process),
        })
    }

    /// The process id of a launched browser.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(|p| p.child.id())
    }

    /// True while a launched browser process is still running.
    pub fn is_alive(&mut self) -> bool {
        match &mut self.process {
            Some(p) => matches!(p.child.try_wait(), Ok(None)),
            None => true,
        }
    }
}

/// How long connecting to a DevTools endpoint (and each browser-level call) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl BrowserSession {
    /// Opens a blank page to scan in: in a fresh browser context when connected (isolated from
    /// whatever else runs there) or when third-party cookies are blocked, else in the launched
    /// profile's own context (whose preference allows third-party cookies).
    ///
    /// Why a context for blocking: fresh contexts block third-party cookies by default, and in
    /// the profile's own context Chromium 156 with its cookie controls set to block occasionally
    /// never finishes a cross-site iframe navigation (measured: 3-6 runs in 16 on a page whose
    /// async script creates a cross-site iframe; 0 in 16 in a fresh context).
    pub fn new_page(&self, timeout: Duration) -> Result<Page, CdpError> {
        let context_id =
            if self.connected || self.third_party_cookies == Some(ThirdPartyCookies::Block) {
                let ctx = self.cdp.call(
                    None,
                    Target::CreateBrowserContext {
                        dispose_on_detach: Some(true),
                        proxy_server: self.proxy.clone(),
                        proxy_bypass_list: self.proxy.as_ref().map(|_| "<-loopback>".to_string()),
                        origins_with_universal_network_access: None,
                    },
                    timeout,
                )?;
                Some(ctx.browser_context_id)
            } else {
                None
            };
        self.open_tab(context_id, timeout)
    }

    /// Opens a new tab beside `page`, in its browser context (its cookies and storage): a
    /// visitor coming back to the site.
    pub fn new_tab(&self, page: &Page, timeout: Duration) -> Result<Page, CdpError> {
        self.open_tab(page.context_id.clone(), timeout)
    }

    /// A blank tab in `context_id` (the profile's own context if none), attached.
    fn open_tab(&self, context_id: Option<String>, timeout: Duration) -> Result<Page, CdpError> {
        let mut params = json!({ "url": "about:blank" });
        if let Some(ctx) = &context_id {
            params["browserContextId"] = ctx.as_str().into();
        }
        let created = self
            .cdp
            .call_raw(None, "Target.createTarget", params, timeout)?;
        let target_id = created
            .get("targetId")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let attached = self.cdp.call(
            None,
            Target::AttachToTarget {
                target_id: target_id.clone(),
                flatten: Some(true),
            },
            timeout,
        )?;
        Ok(Page {
            cdp: self.cdp.clone(),
            session_id: attached.session_id,
            target_id,
            context_id,
        })
    }

    /// Closes a tab, leaving its browser context (and the tabs beside it) as they are.
    pub fn close_tab(&self, page: &Page) {
        self.cdp.forget(&page.session_id);
        let _ = self.cdp.call_raw(
            None,
            "Target.closeTarget",
            json!({ "targetId": page.target_id }),
            Duration::from_secs(2),
        );
    }

    /// Closes a page (and its browser context, if we made one).
    pub fn close_page(&self, page: &Page) {
        let t = Duration::from_secs(2);
        self.cdp.forget(&page.session_id);
        let _ = self.cdp.call_raw(
            None,
            "Target.closeTarget",
            json!({ "targetId": page.target_id }),
            t,
        );
        if let Some(ctx) = &page.context_id {
            let _ = self.cdp.call_raw(
                None,
                "Target.disposeBrowserContext",
                json!({ "browserContextId": ctx }),
                t,
            );
        }
    }
}

impl Drop for ChromeProcess {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        // The profile is throwaway: there is nothing to flush, so stop the whole group at once.
        kill_group(pgid);
        let _ = self.child.try_wait();
        LIVE.lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(g, _)| *g != pgid);
        remove_dir(self.dir.path());
    }
}

/// Writes the profile preference that lets third-party cookies through (cookie_controls_mode 0;
/// notes/chromium.md). Blocking needs no preference: scans then run in a fresh browser context.
fn allow_third_party_cookies(profile: &Path) -> anyhow::Result<()> {
    let default = profile.join("Default");
    std::fs::create_dir_all(&default).context("cannot create the browser profile")?;
    let prefs = serde_json::json!({ "profile": { "cookie_controls_mode": 0 } });
    std::fs::write(default.join("Preferences"), prefs.to_string())
        .context("cannot write the browser profile preferences")
}

/// Polls for the DevToolsActivePort file Chromium writes once it listens, bounded by `timeout`.
fn wait_for_devtools(
    process: &mut ChromeProcess,
    profile: &Path,
    stderr_path: &Path,
    timeout: Duration,
) -> anyhow::Result<String> {
    let port_file = profile.join("DevToolsActivePort");
    let deadline = Instant::now() + timeout;
    let stderr_tail = || {
        let text = std::fs::read_to_string(stderr_path).unwrap_or_default();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.contains("unexpected operator"))
            .collect();
        lines[lines.len().saturating_sub(5)..].join("\n    ")
    };
    loop {
        if let Ok(text) = std::fs::read_to_string(&port_file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                return Ok(format!("ws://127.0.0.1:{}{}", port.trim(), path.trim()));
            }
        }
        if let Ok(Some(status)) = process.child.try_wait() {
            anyhow::bail!(
                "it exited ({status}) before opening its DevTools port:\n    {}",
                stderr_tail()
            );
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "it did not open its DevTools port within {timeout:?}:\n    {}",
                stderr_tail()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn browser_version(cdp: &Cdp) -> String {
    cdp.call(None, BrowserDomain::GetVersion(None), CONNECT_TIMEOUT)
        .map(|v| v.product)
        .unwrap_or_else(|e| format!("unknown ({e})"))
}
