//! The subcommands, and the path they share: scan targets, judge, gate, render, choose the exit code.

pub mod catalog;
pub mod check;
pub mod classify;
pub mod demo;
pub mod diff;
pub mod init;
pub mod scan;

use chatcookie::browser::{BrowserOptions, BrowserSession};
use chatcookie::catalog::Catalog;
use chatcookie::cli;
use chatcookie::exit::Exit;
use chatcookie::findings;
use chatcookie::gate::{self, Baseline, FailOn};
use chatcookie::policy::Policy;
use chatcookie::report::{ScanReport, terminal_safe};
use chatcookie::scan::ScanOptions;
use chatcookie::serve::{SiteFiles, SiteServer, host_for_dir};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A mistake in what the user asked for (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn load_catalog(files: &[PathBuf]) -> anyhow::Result<Catalog> {
    if files.is_empty() {
        Ok(Catalog::embedded()?)
    } else {
        Catalog::with_user_files(files)
    }
}

pub fn browser_options(args: &cli::BrowserArgs, map_to_loopback: Vec<String>) -> BrowserOptions {
    BrowserOptions {
        chrome: args.chrome.clone(),
        connect: args.connect.clone(),
        third_party_cookies: args.third_party_cookies,
        map_to_loopback,
        launch_timeout: args.launch_timeout,
        no_sandbox: args.no_sandbox,
    }
}

/// What is scanned: a URL, or site files (a directory, a demo site) served on loopback.
pub enum Target {
    Url(String),
    Served { files: SiteFiles, host: String },
}

impl Target {
    /// A directory if one exists at `target`, else an http(s) URL.
    pub fn parse(target: &str, host: Option<&str>) -> anyhow::Result<Target> {
        let path = Path::new(target);
        if path.is_dir() {
            let host = host.map_or_else(|| host_for_dir(path), str::to_string);
            return Ok(Target::Served {
                files: SiteFiles::Disk(path.to_path_buf()),
                host,
            });
        }
        Ok(Target::Url(check_url(target)?))
    }
}

/// Scans one target and judges the result (with the policy, when there is one).
pub fn scan_and_judge(
    target: &Target,
    mut opts: ScanOptions,
    browser: &cli::BrowserArgs,
    catalog: &Catalog,
    policy: Option<&Policy>,
    show_values: bool,
) -> anyhow::Result<ScanReport> {
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
    let session = BrowserSession::start(&browser_options(browser, hosts))?;
    let run = chatcookie::scan::run(&session, catalog, &opts)?;
    drop(session);
    let mut report = ScanReport::build(catalog, run, &opts, show_values);
    report.findings = findings::evaluate(&report, catalog, policy);
    report.provenance.policy = policy.map(|p| p.path.display().to_string());
    Ok(report)
}

/// Gates the reports, writes them, prints CI annotations, and picks the exit code:
/// 3 if a scan could not complete, else 1 if findings fail the gate, else 0.
pub fn finish(
    mut reports: Vec<ScanReport>,
    out: &cli::OutputArgs,
    fail_on: &FailOn,
    baseline: Option<&Path>,
    policy: Option<&Policy>,
) -> anyhow::Result<Exit> {
    let base = baseline.map(Baseline::load).transpose()?;
    let failing = gate::apply(&mut reports, fail_on, base.as_ref());
    for r in &mut reports {
        r.provenance.fail_on = Some(fail_on.describe());
        r.provenance.baseline = baseline.map(|b| b.display().to_string());
    }
    let renderer = out.format.renderer();
    let mut buf = Vec::new();
    renderer.render(&reports, &mut buf)?;
    let mut unwritable = None;
    if let Some(path) = &out.output
        && let Err(e) = std::fs::write(path, &buf)
    {
        unwritable = Some(format!(
            "cannot write the report to {}: {e}",
            path.display()
        ));
    }
    // No file asked for, or it could not be written: the report goes to standard output, so
    // nothing gathered is lost.
    if out.output.is_none() || unwritable.is_some() {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        lock.write_all(&buf)?;
        lock.flush()?;
    }
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        for line in gate::github_annotations(&reports, policy.map(|p| p.path.as_path())) {
            eprintln!("{line}");
        }
    }
    if let Some(message) = unwritable {
        eprintln!("error: {message}; the report was written to standard output instead");
        return Ok(Exit::Usage);
    }
    if let Some(a) = reports.iter().find_map(|r| r.aborted.as_ref()) {
        eprintln!(
            "error: the scan could not complete: {}",
            terminal_safe(&a.reason, 300)
        );
        return Ok(Exit::ScanFailed);
    }
    // Parts of a snapshot that could not be read make the result incomplete: never a silent pass.
    let unread: usize = reports.iter().map(|r| r.snapshot_errors.len()).sum();
    if unread > 0 {
        eprintln!(
            "error: the scan could not read everything ({unread} part(s) unread; see the report's snapshot errors)"
        );
        return Ok(Exit::ScanFailed);
    }
    if failing > 0 {
        eprintln!(
            "chatcookie: {failing} finding(s) fail the gate ({})",
            fail_on.describe()
        );
        return Ok(Exit::Findings);
    }
    Ok(Exit::Ok)
}

/// Accepts http(s) URLs only, with a hint for the common slips.
fn check_url(target: &str) -> anyhow::Result<String> {
    match url::Url::parse(target) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(u.to_string())
        }
        Ok(u) => Err(UsageError(format!(
            "`{target}`: only http and https URLs can be scanned (got scheme `{}`)",
            u.scheme()
        ))
        .into()),
        Err(url::ParseError::RelativeUrlWithoutBase) => Err(UsageError(format!(
            "`{target}` is neither a directory nor a URL; did you mean https://{target}/ ?"
        ))
        .into()),
        Err(e) => Err(UsageError(format!("`{target}` is not a valid URL: {e}")).into()),
    }
}
