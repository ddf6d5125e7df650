//! The subcommands, and the path they share: scan targets, judge, gate, render, choose the exit code.

pub mod batch;
pub mod catalog;
pub mod check;
pub mod classify;
pub mod completions;
pub mod demo;
pub mod diff;
pub mod history;
pub mod init;
pub mod scan;

use anyhow::Context;
use chatcookie::browser::{BrowserOptions, BrowserSession};
use chatcookie::catalog::Catalog;
use chatcookie::cli;
use chatcookie::exit::Exit;
use chatcookie::findings;
use chatcookie::FailOn;
use chatcookie::gate::{self, Baseline};
use chatcookie::policy::Policy;
use chatcookie::report::{Format, ScanReport, screenshot_file_name};
use chatcookie::terminal_safe;
use chatcookie::scan::ScanOptions;
use chatcookie::serve::{SiteFiles, SiteServer, host_for_dir};
use std::io::{IsTerminal, Write};
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

pub fn browser_options(
    args: &cli::BrowserArgs,
    map_to_loopback: Vec<String>,
    proxy: Option<String>,
) -> BrowserOptions {
    BrowserOptions {
        proxy,
        chrome: args.chrome.clone(),
        connect: args.connect.clone(),
        third_party_cookies: args.third_party_cookies,
        map_to_loopback,
        launch_timeout: args.launch_timeout,
        no_sandbox: args.no_sandbox,
    }
}

/// Refuses, before any browser starts, a proxy nothing answers at (an input error, exit 2).
pub fn check_proxy(visitor: &chatcookie::browser::visitor::Visitor) -> Result<(), UsageError> {
    match &visitor.proxy {
        Some(p) => chatcookie::browser::visitor::check_proxy_reachable(
            p,
            std::time::Duration::from_secs(3),
        )
        .map_err(|e| UsageError(format!("--proxy: {e}"))),
        None => Ok(()),
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

    /// Host names the browser must resolve to loopback for this target.
    pub fn hosts(&self) -> Vec<String> {
        match self {
            Target::Url(_) => Vec::new(),
            Target::Served { files, host } => {
                let mut hosts = files.virtual_hosts();
                hosts.push(host.clone());
                hosts
            }
        }
    }

    /// What identifies the target in a list: its URL, or its directory.
    pub fn key(&self) -> String {
        match self {
            Target::Url(url) => url.clone(),
            Target::Served { files, host } => format!("{}@{host}", files.describe()),
        }
    }
}

/// Refuses, before any scan, output flags that could not all be honoured.
pub fn check_output(out: &cli::OutputArgs) -> Result<(), UsageError> {
    if out.output_dir.is_none() && out.format.len() > 1 {
        return Err(UsageError(
            "several --format values need --output-dir (one file per format)".into(),
        ));
    }
    Ok(())
}

/// The targets to scan here: duplicates dropped (first one kept), then the --shard share taken,
/// each noted on stderr.
pub fn distinct_share(targets: Vec<Target>, shard: Option<cli::Shard>) -> Vec<Target> {
    let listed = targets.len();
    let mut seen = std::collections::HashSet::new();
    let mut targets: Vec<Target> = targets
        .into_iter()
        .filter(|t| seen.insert(t.key()))
        .collect();
    if targets.len() < listed {
        eprintln!(
            "chatcookie: {} duplicate target(s) skipped",
            listed - targets.len()
        );
    }
    if let Some(shard) = shard {
        let all = targets.len();
        targets = shard.select(targets);
        eprintln!(
            "chatcookie: shard {}/{}: {} of {all} target(s)",
            shard.index,
            shard.count,
            targets.len()
        );
    }
    targets
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
    let session =
        BrowserSession::start(&browser_options(browser, hosts, opts.visitor.proxy.clone()))?;
    let run = chatcookie::scan::run(&session, catalog, &opts)?;
    drop(session);
    Ok(judge(catalog, run, &opts, policy, show_values))
}

/// Matches a scan's run against the catalog and judges it (with the policy, when there is one).
pub fn judge(
    catalog: &Catalog,
    run: chatcookie::scan::ScanRun,
    opts: &ScanOptions,
    policy: Option<&Policy>,
    show_values: bool,
) -> ScanReport {
    let mut report = ScanReport::build(catalog, run, opts, show_values);
    report.findings = findings::evaluate(&report.facts(), catalog, policy);
    report.provenance.policy = policy.map(|p| p.path.display().to_string());
    report
}

/// Gates the reports, writes them, prints CI annotations, and picks the exit code:
/// 2 if report files could not be written where asked, else 3 if a scan could not complete,
/// else 1 if findings fail the gate, else 0. The reports are left judged and gated, as written.
pub fn finish(
    reports: &mut [ScanReport],
    out: &cli::OutputArgs,
    fail_on: &FailOn,
    baseline: Option<&Path>,
    policy: Option<&Policy>,
) -> anyhow::Result<Exit> {
    finish_written(reports, out, fail_on, baseline, policy, Written::NotYet)
}

/// Whether the report was already written while the scans ran.
pub enum Written {
    NotYet,
    /// Streamed as JSON Lines; with the reason when its file could not be written (the lines
    /// then went to standard output).
    Streamed {
        unwritable: Option<String>,
    },
}

/// Gates reports and notes the gate in their provenance; returns how many findings fail it.
pub fn gate_reports(
    reports: &mut [ScanReport],
    fail_on: &FailOn,
    baseline_path: Option<&Path>,
    baseline: Option<&Baseline>,
) -> usize {
    let failing = gate::apply(reports, fail_on, baseline);
    for r in reports {
        r.provenance.fail_on = Some(fail_on.describe());
        r.provenance.baseline = baseline_path.map(|b| b.display().to_string());
    }
    failing
}

/// `finish`, for a report that may already be written (streamed).
pub fn finish_written(
    reports: &mut [ScanReport],
    out: &cli::OutputArgs,
    fail_on: &FailOn,
    baseline: Option<&Path>,
    policy: Option<&Policy>,
    written: Written,
) -> anyhow::Result<Exit> {
    let base = baseline.map(Baseline::load).transpose()?;
    let failing = gate_reports(reports, fail_on, baseline, base.as_ref());
    let mut unwritten = false;
    let mut unwritable = None;
    match (&out.output_dir, &out.output, &out.format[..], written) {
        (_, _, _, Written::Streamed { unwritable: u }) => unwritable = u,
        (Some(dir), _, formats, _) => unwritten = !write_output_dir(reports, formats, dir)?,
        (None, Some(path), [format], _) => {
            let mut buf = Vec::new();
            format.renderer(false).render(reports, &mut buf)?;
            if let Err(e) = std::fs::write(path, &buf) {
                // The report goes to standard output instead: nothing gathered is lost.
                unwritable = Some(format!(
                    "cannot write the report to {}: {e}",
                    path.display()
                ));
                let mut lock = std::io::stdout().lock();
                lock.write_all(&buf)?;
                lock.flush()?;
            }
        }
        (None, None, [format], _) => {
            let stdout = std::io::stdout();
            let colour = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut lock = stdout.lock();
            format.renderer(colour).render(reports, &mut lock)?;
            lock.flush()?;
        }
        (None, _, _, _) => {
            return Err(
                UsageError("give one --format, or several with --output-dir".into()).into(),
            );
        }
    }
    if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        for line in gate::github_annotations(reports, policy.map(|p| p.path.as_path())) {
            eprintln!("{line}");
        }
    }
    if let Some(message) = unwritable {
        eprintln!("error: {message}; the report was written to standard output instead");
        return Ok(Exit::Usage);
    }
    if unwritten {
        return Ok(Exit::Usage);
    }
    let aborted: Vec<&ScanReport> = reports.iter().filter(|r| r.aborted.is_some()).collect();
    match aborted[..] {
        [] => {}
        [one] if reports.len() == 1 => {
            let reason = &one.aborted.as_ref().expect("aborted").reason;
            eprintln!(
                "error: the scan could not complete: {}",
                terminal_safe(reason, 300)
            );
            return Ok(Exit::ScanFailed);
        }
        _ => {
            eprintln!(
                "error: {} of {} scans could not complete:",
                aborted.len(),
                reports.len()
            );
            for r in aborted {
                let a = r.aborted.as_ref().expect("aborted");
                eprintln!(
                    "  {}: {}",
                    terminal_safe(&r.provenance.url, 200),
                    terminal_safe(&a.reason, 300)
                );
            }
            return Ok(Exit::ScanFailed);
        }
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

/// Writes one file per format, and each step's screenshot, into `dir`. What cannot be written
/// there goes to a new temporary directory instead, so nothing gathered is lost; returns false
/// (after saying what failed, and where the files are) when anything could not be written to `dir`.
fn write_output_dir(
    reports: &mut [ScanReport],
    formats: &[Format],
    dir: &Path,
) -> anyhow::Result<bool> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let several = reports.len() > 1;
    for (i, r) in reports.iter_mut().enumerate() {
        for (position, step) in r.steps.iter_mut().enumerate() {
            if let Some(png) = &step.screenshot_png {
                let name = screenshot_file_name(several.then_some(i), position, step.step);
                step.screenshot = Some(name.clone());
                files.push((name, png.clone()));
            }
        }
    }
    let mut formats = formats.to_vec();
    formats.dedup();
    for format in formats {
        let mut buf = Vec::new();
        format.renderer(false).render(reports, &mut buf)?;
        files.push((format.file_name().to_string(), buf));
    }
    let mut failed: Vec<(String, Vec<u8>)> = Vec::new();
    match std::fs::create_dir_all(dir) {
        Err(e) => {
            eprintln!(
                "error: cannot create the output directory {}: {e}",
                dir.display()
            );
            failed = files;
        }
        Ok(()) => {
            for (name, bytes) in files {
                let path = dir.join(&name);
                if let Err(e) = std::fs::write(&path, &bytes) {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    failed.push((name, bytes));
                }
            }
        }
    }
    if failed.is_empty() {
        return Ok(true);
    }
    let fallback = tempfile::Builder::new()
        .prefix("chatcookie-report-")
        .tempdir()
        .context("cannot create a temporary directory for the unwritten report files")?
        .keep();
    for (name, bytes) in &failed {
        let path = fallback.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!(
        "chatcookie: {} file(s) written to {} instead: {}",
        failed.len(),
        fallback.display(),
        failed
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(false)
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
