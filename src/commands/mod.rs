//! The subcommands, and the path they share: scan targets, judge, gate, render, choose the exit code.

pub mod catalog;
pub mod check;
pub mod classify;
pub mod completions;
pub mod demo;
pub mod diff;
pub mod history;
pub mod init;
pub mod progress;
pub mod scan;

use crate::cli;
use anyhow::Context;
use chatcookie::browser::BrowserOptions;
use chatcookie::catalog::Catalog;
use chatcookie::exit::Exit;
use chatcookie::gate::{self, Gate};
use chatcookie::policy::Policy;
use chatcookie::report::{Format, ScanReport, render_index, site_report_name};
use chatcookie::run::{self, Judge, Shard, Target};
use chatcookie::{Error, FailOn};

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Writes to standard output. A reader that stops reading (`| head`) ends the output quietly:
/// it has what it wanted, and the run's outcome (a verdict, an exit code) stands.
pub fn print_stdout<E: Into<anyhow::Error>>(
    write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> chatcookie::Result<()> {
    let mut out = std::io::stdout().lock();
    let written: anyhow::Result<()> = write(&mut out)
        .map_err(Into::into)
        .and_then(|()| Ok(out.flush()?));
    match written {
        Err(e) if reader_gone(&e) => Ok(()),
        Err(e) => Err(Error::output(e)),
        Ok(()) => Ok(()),
    }
}

/// Whether writing failed because the reader of standard output went away (a closed pipe).
pub fn reader_gone(e: &anyhow::Error) -> bool {
    let pipe = Some(std::io::ErrorKind::BrokenPipe);
    e.chain().any(|c| {
        // serde_json keeps the io error inside its own, not as its source.
        c.downcast_ref::<std::io::Error>().map(|io| io.kind()) == pipe
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == pipe
    })
}

pub fn load_catalog(files: &[PathBuf]) -> chatcookie::Result<Catalog> {
    if files.is_empty() {
        Ok(Catalog::embedded()?)
    } else {
        Catalog::with_user_files(files)
    }
}

/// The browser the flags ask for (each scan adds its own hosts and proxy).
pub fn browser_options(args: &cli::BrowserArgs) -> BrowserOptions {
    BrowserOptions {
        chrome: args.chrome.clone(),
        connect: args
            .connect
            .clone()
            .map(|endpoint| chatcookie::browser::Farm {
                endpoint,
                headers: args.connect_header.clone(),
            }),
        third_party_cookies: args.third_party_cookies,
        launch_timeout: args.launch_timeout,
        no_sandbox: args.no_sandbox,
        ..BrowserOptions::default()
    }
}

/// The targets to scan here (duplicates dropped, the shard's share taken), saying so on stderr.
pub fn distinct_share(targets: Vec<Target>, shard: Option<Shard>) -> Vec<Target> {
    let (targets, notes) = run::distinct_share(targets, shard);
    for n in notes {
        eprintln!("chatcookie: {n}");
    }
    targets
}

/// Refuses, before any browser starts, a proxy nothing answers at (an input error, exit 2).
pub fn check_proxy(visitor: &chatcookie::browser::visitor::Visitor) -> Result<(), Error> {
    match &visitor.proxy {
        Some(p) => chatcookie::browser::visitor::check_proxy_reachable(
            p,
            std::time::Duration::from_secs(3),
        )
        .map_err(|e| Error::usage(format!("--proxy: {e}"))),
        None => Ok(()),
    }
}

/// Refuses, before any scan, output flags that could not all be honoured.
pub fn check_output(out: &cli::OutputArgs) -> Result<(), Error> {
    if out.output_dir.is_none() && out.format.len() > 1 {
        return Err(Error::usage(
            "several --format values need --output-dir (one file per format)",
        ));
    }
    Ok(())
}

/// Writes the judged and gated reports, prints CI annotations, and picks the exit code:
/// 2 if report files could not be written where asked, else 3 if a scan could not complete,
/// else 1 if findings fail the gate, else 0.
pub fn finish(
    reports: &[ScanReport],
    out: &cli::OutputArgs,
    fail_on: &FailOn,
    policy: Option<&Policy>,
) -> chatcookie::Result<Exit> {
    finish_written(reports, out, fail_on, policy, Written::NotYet)
}

/// The judge of a run writing `out`, with `gate`.
pub fn judge_for<'a>(
    catalog: &'a Catalog,
    policy: Option<&'a Policy>,
    gate: &'a Gate,
    out: &cli::OutputArgs,
) -> Judge<'a> {
    Judge {
        catalog,
        policy,
        gate: Some(gate),
        show_values: out.show_values,
        screenshot_files: out.output_dir.is_some(),
        site: None,
    }
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

/// `finish`, for a report that may already be written (streamed).
pub fn finish_written(
    reports: &[ScanReport],
    out: &cli::OutputArgs,
    fail_on: &FailOn,
    policy: Option<&Policy>,
    written: Written,
) -> chatcookie::Result<Exit> {
    let mut unwritten = false;
    let mut unwritable = None;
    match (&out.output_dir, &out.output, &out.format[..], written) {
        (_, _, _, Written::Streamed { unwritable: u }) => unwritable = u,
        (Some(dir), _, formats, _) => unwritten = !write_output_dir(reports, formats, dir)?,
        (None, Some(path), [format], _) => {
            let mut buf = Vec::new();
            format
                .renderer(false)
                .render(reports, &mut buf)
                .map_err(Error::internal)?;
            if let Err(e) = std::fs::write(path, &buf) {
                // The report goes to standard output instead: nothing gathered is lost.
                unwritable = Some(format!(
                    "cannot write the report to {}: {e}",
                    path.display()
                ));
                print_stdout(|out| out.write_all(&buf))?;
            }
        }
        (None, None, [format], _) => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            print_stdout(|out| format.renderer(colour).render(reports, out))?;
        }
        (None, _, _, _) => {
            return Err(Error::usage(
                "give one --format, or several with --output-dir",
            ));
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
    let verdict = run::verdict(reports, fail_on);
    for line in &verdict.lines {
        eprintln!("{line}");
    }
    Ok(verdict.exit)
}

/// Writes one file per format, and each step's screenshot, into `dir`. What cannot be written
/// there goes to a new temporary directory instead, so nothing gathered is lost; returns false
/// (after saying what failed, and where the files are) when anything could not be written to `dir`.
fn write_output_dir(
    reports: &[ScanReport],
    formats: &[Format],
    dir: &Path,
) -> chatcookie::Result<bool> {
    // The file names were given when each report was assembled.
    let mut files: Vec<(String, Vec<u8>)> = reports
        .iter()
        .flat_map(|r| &r.steps)
        .filter_map(|s| Some((s.screenshot.clone()?, s.screenshot_png.clone()?)))
        .collect();
    let mut formats = formats.to_vec();
    formats.dedup();
    for format in &formats {
        let mut buf = Vec::new();
        format
            .renderer(false)
            .render(reports, &mut buf)
            .map_err(Error::internal)?;
        files.push((format.file_name().to_string(), buf));
    }
    // Many sites: an index with each site's verdict, linking a report of that site alone.
    let paged = formats.iter().copied().find(|f| f.pages_per_site());
    if let Some(paged) = paged.filter(|_| reports.len() > 1) {
        let mut index = Vec::new();
        render_index(reports, &mut index).map_err(Error::internal)?;
        files.push(("index.html".to_string(), index));
        for (i, r) in reports.iter().enumerate() {
            let mut buf = Vec::new();
            paged
                .renderer(false)
                .render(std::slice::from_ref(r), &mut buf)
                .map_err(Error::internal)?;
            files.push((site_report_name(i), buf));
        }
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
        .context("cannot create a temporary directory for the unwritten report files")
        .map_err(Error::output)?
        .keep();
    for (name, bytes) in &failed {
        let path = fallback.join(name);
        std::fs::write(&path, bytes)
            .with_context(|| format!("cannot write {}", path.display()))
            .map_err(Error::output)?;
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
