//! Many targets in one run: a queue of scans on worker threads over one shared browser, each scan in its own browser context, a lost browser relaunched and its scans retried once.

use super::{Judge, Target, browser_for, check_reachable, hint_unresolved};
use crate::browser::{self, BrowserOptions, BrowserSession};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::report::ScanReport;
use crate::scan::{self, ScanOptions, ScanRun};
use crate::serve::SiteServer;
use crate::vocab::ThirdPartyCookies;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// What every scan of the run shares.
pub struct Batch<'a> {
    /// The browser to launch or reach; each scan adds its hosts and visitor's proxy.
    pub browser: &'a BrowserOptions,
    /// How each report is judged and gated (its `site` is set per target).
    pub judge: Judge<'a>,
    /// Scans at once (at least 1).
    pub jobs: usize,
}

impl Batch<'_> {
    /// Scans every target with `opts` (its `url` is set per target) and returns the judged
    /// reports in target order. `done` is called on this thread as each site finishes, in
    /// finishing order, with the site's position in `targets`: for streaming and progress.
    ///
    /// A browser that cannot be had at all is an error before any scan; a site that fails is a
    /// report with its abort reason, and the others go on.
    pub fn run(
        &self,
        targets: &[Target],
        opts: &ScanOptions,
        mut done: impl FnMut(usize, &ScanReport),
    ) -> Result<Vec<ScanReport>> {
        if targets.is_empty() {
            // An empty shard: nothing to launch a browser for.
            return Ok(Vec::new());
        }
        check_reachable(targets, self.browser)?;
        let hosts: BTreeSet<String> = targets.iter().flat_map(Target::hosts).collect();
        let options = browser_for(self.browser, hosts.into_iter().collect(), opts);
        let browsers = if options.connect.is_none()
            && options.third_party_cookies == ThirdPartyCookies::Allow
        {
            // A fresh browser context blocks third-party cookies whatever the profile says,
            // so allowing them means one browser (one profile) per scan. Fail fast if there is
            // none to be had.
            browser::find_chrome(options.chrome.as_deref())?;
            Browsers::PerScan(options)
        } else {
            let shared = SharedBrowser {
                options,
                current: Mutex::new((0, None)),
            };
            shared.get()?;
            Browsers::Shared(shared)
        };

        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<(usize, ScanReport)>();
        let mut reports: Vec<Option<ScanReport>> = (0..targets.len()).map(|_| None).collect();
        std::thread::scope(|scope| {
            for _ in 0..self.jobs.min(targets.len()) {
                let tx = tx.clone();
                let (next, browsers) = (&next, &browsers);
                scope.spawn(move || {
                    loop {
                        // Interrupted: the signal handler is closing the browsers; start nothing.
                        if browser::interrupted() {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(target) = targets.get(i) else { break };
                        let site = (targets.len() > 1).then_some(i);
                        let scanned = self.scan_one(browsers, target, opts);
                        // Judged beside the next scan: its page is being made meanwhile.
                        let tx = tx.clone();
                        scope.spawn(move || {
                            let report = scanned.judged(self.judge.for_site(site));
                            let _ = tx.send((i, report));
                        });
                    }
                });
            }
            drop(tx);
            for (i, report) in rx {
                done(i, &report);
                reports[i] = Some(report);
            }
        });
        // Interrupted runs end in the signal handler; anything else leaves no gap.
        Ok(reports.into_iter().flatten().collect())
    }

    /// One target: serve it if it is a directory, scan it, retry once if the browser was lost
    /// under it. Never fails: a failure is the run's abort reason.
    fn scan_one(&self, browsers: &Browsers, target: &Target, opts: &ScanOptions) -> Scanned {
        let mut opts = opts.clone();
        let _server = match target {
            Target::Url(url) => {
                opts.url = url.clone();
                None
            }
            Target::Served { files, host } => match SiteServer::start(files.clone(), host) {
                Ok(server) => {
                    opts.url = server.url();
                    Some(server)
                }
                Err(e) => {
                    opts.url = format!("http://{host}/");
                    let run = ScanRun::failed(&opts, String::new(), None, format!("{e:#}"));
                    return Scanned {
                        run,
                        opts,
                        lost_before: None,
                    };
                }
            },
        };
        let mut lost_before: Option<String> = None;
        let run = loop {
            let attempt = browsers.attempt(self.judge.catalog, &opts);
            match attempt {
                Ended::Lost(reason, partial)
                    if lost_before.is_none() && !browser::interrupted() =>
                {
                    // The browser died under this scan (a crash, a kill, or another site's
                    // page taking it down): one more try in a fresh one.
                    drop(partial);
                    lost_before = Some(reason);
                }
                Ended::Lost(_, run) | Ended::Finished(run) => break run,
            }
        };
        let mut run = run;
        hint_unresolved(&mut run, target, self.browser);
        Scanned {
            run,
            opts,
            lost_before,
        }
    }
}

/// One target's scan, to be judged: the run, the options it ran with (its own URL), and why
/// the browser was lost under a first try.
struct Scanned {
    run: ScanRun,
    opts: ScanOptions,
    lost_before: Option<String>,
}

impl Scanned {
    fn judged(self, judge: Judge<'_>) -> ScanReport {
        judge.report(self.run, &self.opts, self.lost_before)
    }
}

/// How scans get a browser.
enum Browsers {
    /// One browser for all scans, a browser context each (blocked third-party cookies, or a
    /// connected browser).
    Shared(SharedBrowser),
    /// A browser launched per scan (third-party cookies allowed).
    PerScan(BrowserOptions),
}

/// How one attempt at a scan ended.
enum Ended {
    /// The scan ran to its end or stopped for a reason of the page's (recorded in the run).
    Finished(ScanRun),
    /// The browser was lost during the scan: why, and what was gathered until then.
    Lost(String, ScanRun),
}

impl Browsers {
    fn attempt(&self, catalog: &Catalog, opts: &ScanOptions) -> Ended {
        match self {
            Browsers::Shared(shared) => {
                let (generation, session) = match shared.get() {
                    Ok(s) => s,
                    Err(e) => return Ended::Finished(failed(opts, None, &e)),
                };
                let result = scan::run(&session, catalog, opts);
                if session.cdp.is_closed() {
                    shared.lost(generation);
                    return lost(&session, opts, result);
                }
                Ended::Finished(result.unwrap_or_else(|e| failed(opts, Some(&session), &e)))
            }
            Browsers::PerScan(options) => {
                let session = match BrowserSession::start(options) {
                    Ok(s) => s,
                    Err(e) => return Ended::Finished(failed(opts, None, &e)),
                };
                let result = scan::run(&session, catalog, opts);
                if session.cdp.is_closed() {
                    return lost(&session, opts, result);
                }
                Ended::Finished(result.unwrap_or_else(|e| failed(opts, Some(&session), &e)))
            }
        }
    }
}

/// A scan whose browser went away: the reason, and the partial run (or a failed one).
fn lost(session: &BrowserSession, opts: &ScanOptions, result: Result<ScanRun>) -> Ended {
    let reason = session
        .cdp
        .close_reason()
        .unwrap_or_else(|| "the connection to the browser closed".into());
    let reason = format!("the browser was lost: {reason}");
    let run = match result {
        Ok(run) => run,
        Err(e) => failed(opts, Some(session), &e),
    };
    Ended::Lost(reason, run)
}

fn failed(opts: &ScanOptions, session: Option<&BrowserSession>, e: &Error) -> ScanRun {
    ScanRun::failed(
        opts,
        session.map(|s| s.version.clone()).unwrap_or_default(),
        session.and_then(|s| s.third_party_cookies),
        e.to_string(),
    )
}

/// The browser the scans share, relaunched (or reconnected) when it is lost. The generation
/// tells a lost browser from its replacement, so one loss causes one relaunch.
struct SharedBrowser {
    options: BrowserOptions,
    current: Mutex<(u64, Option<Arc<BrowserSession>>)>,
}

impl SharedBrowser {
    fn get(&self) -> Result<(u64, Arc<BrowserSession>)> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(session) = &current.1 {
            return Ok((current.0, Arc::clone(session)));
        }
        let mut session = BrowserSession::start(&self.options)?;
        session.shared = true;
        let session = Arc::new(session);
        current.0 += 1;
        current.1 = Some(Arc::clone(&session));
        Ok((current.0, session))
    }

    /// Forgets the browser of `generation` (if it is still the current one); the last scan
    /// holding it closes it and removes its profile.
    fn lost(&self, generation: u64) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if current.0 == generation {
            current.1 = None;
        }
    }
}
