//! The pipeline, end to end: serve or reach a target, scan it, observe, judge, gate, and the verdict's exit code.
//!
//! The binary only parses arguments into these calls and prints what they return. Scanning and
//! judging one site:
//!
//! ```no_run
//! use chatcookie::browser::BrowserOptions;
//! use chatcookie::catalog::Catalog;
//! use chatcookie::run::{self, Target};
//! use chatcookie::scan::ScanOptions;
//!
//! let catalog = Catalog::embedded()?;
//! let target = Target::parse("https://www.example.com/", None)?;
//! let judge = run::Judge::new(&catalog);
//! let report = run::scan_target(&target, ScanOptions::default(), &BrowserOptions::default(), &judge)?;
//! for f in &report.findings {
//!     println!("{} {}: {}", f.severity, f.rule, f.message);
//! }
//! # Ok::<(), chatcookie::Error>(())
//! ```

mod batch;
mod target;

pub use batch::Batch;
pub use target::{InvalidShard, Shard, Target, distinct_share};

use crate::browser::{BrowserOptions, BrowserSession};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::findings;
use crate::gate::{self, Gate};
use crate::policy::Policy;
use crate::report::{Assembly, ScanReport};
use crate::scan::{self, ScanOptions, ScanRun};
use crate::serve::SiteServer;
use crate::vocab::{FailOn, terminal_safe};

/// The browser options for scanning `hosts` (resolved to loopback) as the visitor of `opts`.
fn browser_for(
    template: &BrowserOptions,
    hosts: Vec<String>,
    opts: &ScanOptions,
) -> BrowserOptions {
    BrowserOptions {
        map_to_loopback: hosts,
        proxy: opts.settings.visitor.proxy.clone(),
        ..template.clone()
    }
}

/// How a run judges, gates and records its reports: the same for every site but `site`.
#[derive(Debug, Clone, Copy)]
pub struct Judge<'a> {
    pub catalog: &'a Catalog,
    /// The site's policy: declarations, and the rules it overrides.
    pub policy: Option<&'a Policy>,
    /// None: the findings are judged but not gated (nothing fails; `init`, an example).
    pub gate: Option<&'a Gate>,
    /// Values shown in the report instead of redacted.
    pub show_values: bool,
    /// The reports are written to an output directory: screenshots get file names.
    pub screenshot_files: bool,
    /// This report's number among several written together (screenshot files are prefixed).
    pub site: Option<usize>,
}

impl<'a> Judge<'a> {
    /// Judging by `catalog` alone: no policy, no gate, values redacted, no files.
    pub fn new(catalog: &'a Catalog) -> Judge<'a> {
        Judge {
            catalog,
            policy: None,
            gate: None,
            show_values: false,
            screenshot_files: false,
            site: None,
        }
    }

    /// The same judge for report number `site` of several.
    pub fn for_site(self, site: Option<usize>) -> Judge<'a> {
        Judge { site, ..self }
    }

    /// Matches a scan's run against the catalog, judges and gates it: the assembled report.
    pub fn report(
        &self,
        run: ScanRun,
        opts: &ScanOptions,
        retried_after: Option<String>,
    ) -> ScanReport {
        let assembly = Assembly {
            show_values: self.show_values,
            policy: self.policy.map(|p| p.path.display().to_string()),
            fail_on: self.gate.map(|g| g.fail_on.describe()),
            baseline: self.gate.and_then(Gate::baseline_path),
            retried_after,
            screenshot_files: self.screenshot_files.then_some(self.site),
        };
        ScanReport::assemble(self.catalog, run, opts, assembly, |facts| {
            let mut found = findings::evaluate(facts, self.catalog, self.policy);
            if let Some(gate) = self.gate {
                gate.mark(&mut found);
            }
            found
        })
    }
}

/// Refuses, before any scan, site directories a farm's browser could not reach: they are served
/// on this machine's loopback only, so the farm must run on this machine too.
pub fn check_reachable(targets: &[Target], browser: &BrowserOptions) -> Result<()> {
    let Some(farm) = &browser.connect else {
        return Ok(());
    };
    let Some(Target::Served { files, host }) =
        targets.iter().find(|t| matches!(t, Target::Served { .. }))
    else {
        return Ok(());
    };
    if farm.endpoint.is_loopback() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{} is a site directory, served on this machine's loopback (127.0.0.1) only, and the farm \
         at {} is not on this machine (its host does not resolve to loopback), so its browser \
         cannot load it. Scan a directory with a farm on this machine (--connect \
         http://127.0.0.1:PORT, its browser started with --host-resolver-rules=\"MAP {} 127.0.0.1\" \
         so that http://{host}/ reaches the server; chatcookie has no flag to serve beyond \
         loopback), or publish the site and scan its URL",
        files.describe(),
        farm.endpoint.shown(),
        served_pattern(host),
    )))
}

/// The `--host-resolver-rules` pattern that covers a served host: `*.test` for the default names.
fn served_pattern(host: &str) -> String {
    match host.rsplit_once('.') {
        Some((_, tld)) if host.matches('.').count() > 1 => format!("*.{tld}"),
        _ => host.to_string(),
    }
}

/// A served site a farm's browser could not resolve: what the farm's browser needs.
fn hint_unresolved(run: &mut ScanRun, target: &Target, browser: &BrowserOptions) {
    if let (Some(_), Target::Served { host, .. }, Some(abort)) =
        (&browser.connect, target, &mut run.aborted)
        && abort.net_error.as_deref() == Some("net::ERR_NAME_NOT_RESOLVED")
    {
        abort.reason.push_str(&format!(
            " (the farm's browser resolves names itself: start it with \
             --host-resolver-rules=\"MAP {} 127.0.0.1\" so that {host} reaches the site served here)",
            served_pattern(host)
        ));
    }
}

/// Scans one target in a browser of its own (a directory is served on loopback meanwhile) and
/// judges the result.
pub fn scan_target(
    target: &Target,
    mut opts: ScanOptions,
    browser: &BrowserOptions,
    judge: &Judge<'_>,
) -> Result<ScanReport> {
    check_reachable(std::slice::from_ref(target), browser)?;
    let server;
    let hosts = match target {
        Target::Url(url) => {
            opts.url = url.clone();
            Vec::new()
        }
        Target::Served { files, host } => {
            server = SiteServer::start(files.clone(), host)?;
            opts.url = server.url();
            server.hosts.iter().cloned().collect()
        }
    };
    let session = BrowserSession::start(&browser_for(browser, hosts, &opts))?;
    let mut run = scan::run(&session, judge.catalog, &opts)?;
    drop(session);
    hint_unresolved(&mut run, target, browser);
    Ok(judge.report(run, &opts, None))
}

/// How a run of gated reports ends: the exit code, and what to tell the user about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub exit: Exit,
    /// Lines for standard error, `error: …` ones first.
    pub lines: Vec<String>,
}

/// The verdict over gated reports: 3 if a scan could not complete or read everything, else 1
/// if findings fail the gate, else 0.
pub fn verdict(reports: &[ScanReport], fail_on: &FailOn) -> Verdict {
    let failing = gate::failing(reports);
    let aborted: Vec<&ScanReport> = reports.iter().filter(|r| r.aborted.is_some()).collect();
    let mut lines = Vec::new();
    match aborted[..] {
        [] => {}
        [one] if reports.len() == 1 => {
            let reason = &one.aborted.as_ref().expect("aborted").reason;
            lines.push(format!(
                "error: the scan could not complete: {}",
                // Room for a farm's closing words and the setting to raise.
                terminal_safe(reason, 600)
            ));
            return Verdict {
                exit: Exit::ScanFailed,
                lines,
            };
        }
        _ => {
            lines.push(format!(
                "error: {} of {} scans could not complete:",
                aborted.len(),
                reports.len()
            ));
            for r in aborted {
                let a = r.aborted.as_ref().expect("aborted");
                lines.push(format!(
                    "  {}: {}",
                    terminal_safe(&r.provenance.url, 200),
                    terminal_safe(&a.reason, 600)
                ));
            }
            return Verdict {
                exit: Exit::ScanFailed,
                lines,
            };
        }
    }
    // Parts of a snapshot that could not be read make the result incomplete: never a silent pass.
    let unread: usize = reports.iter().map(|r| r.snapshot_errors.len()).sum();
    if unread > 0 {
        lines.push(format!(
            "error: the scan could not read everything ({unread} part(s) unread; see the report's snapshot errors)"
        ));
        return Verdict {
            exit: Exit::ScanFailed,
            lines,
        };
    }
    if failing > 0 {
        lines.push(format!(
            "chatcookie: {failing} finding(s) fail the gate ({})",
            fail_on.describe()
        ));
        return Verdict {
            exit: Exit::Findings,
            lines,
        };
    }
    Verdict {
        exit: Exit::Ok,
        lines,
    }
}
