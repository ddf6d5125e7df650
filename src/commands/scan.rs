//! `chatcookie scan`: one target or many, step by step, judged and optionally gated.

use super::progress::Progress;
use super::{
    Written, browser_options, check_output, distinct_share, finish, finish_written, judge_for,
    load_catalog,
};
use crate::cli::{OutputArgs, ScanArgs, StepArgs};
use anyhow::Context;
use chatcookie::compare::{KeyState, Passes};
use chatcookie::exit::Exit;
use chatcookie::gate::Gate;
use chatcookie::policy::Policy;
use chatcookie::report::JsonlRenderer;
use chatcookie::report::ScanReport;
use chatcookie::run::{self, Batch, Judge, Target};
use chatcookie::scan::ScanOptions;
use chatcookie::{ConsentAction, Error, terminal_safe};
use std::collections::BTreeSet;
use std::io::Write;

/// Scan options from the command line's step flags.
pub fn options_from(s: &StepArgs) -> chatcookie::Result<ScanOptions> {
    s.settings().options().map_err(Error::from)
}

/// Scan options answering the banner with `action` (the flags of that answer apply).
fn options_for(s: &StepArgs, action: ConsentAction) -> chatcookie::Result<ScanOptions> {
    s.settings().options_for(action).map_err(Error::from)
}

pub fn run(args: ScanArgs) -> chatcookie::Result<Exit> {
    check_output(&args.output)?;
    // A store that could not be written is refused before the scan, not after it.
    if let Some(store) = &args.store {
        chatcookie::store::Store::check_usable(store).map_err(Error::usage)?;
    }
    // A baseline that cannot be read is found before any browser starts.
    let gate = Gate::new(
        args.gate.fail_on.clone().unwrap_or_default(),
        args.gate.baseline.as_deref(),
    )?;
    super::check_proxy(&args.steps.visitor.visitor())?;
    let targets = targets_from(&args)?;
    let catalog = load_catalog(&args.catalog.files)?;
    let policy = args
        .policy
        .as_deref()
        .map(|p| Policy::load(p, &catalog))
        .transpose()?;
    if targets.len() != 1 {
        return run_many(
            &args,
            &targets,
            &judge_for(&catalog, policy.as_ref(), &gate, &args.output),
        );
    }
    let target = &targets[0];
    let passes = if args.passes.is_empty() {
        vec![args.steps.consent]
    } else {
        args.passes.clone()
    };
    let judge = judge_for(&catalog, policy.as_ref(), &gate, &args.output);
    let mut reports = Vec::new();
    for (i, action) in passes.iter().enumerate() {
        // Each pass launches its own browser: a fresh profile, nothing carried over.
        let mut opts = options_for(&args.steps, *action)?;
        opts.progress = args.output.progress;
        opts.screenshots = args.output.screenshots();
        // Several passes are written together: each its own screenshot files.
        let judge = judge.for_site((passes.len() > 1).then_some(i));
        reports.push(run::scan_target(
            target,
            opts,
            &browser_options(&args.browser),
            &judge,
        )?);
    }
    let comparison = (reports.len() > 1).then(|| compare_passes(&passes, &reports));
    let code = finish(&reports, &args.output, &gate.fail_on, policy.as_ref())?;
    let code = super::history::store_scans(args.store.as_ref(), &reports, code);
    if let Some(text) = comparison {
        // The comparison is for people; machine formats carry each pass in full.
        if matches!(args.output.format[..], [f] if f.for_the_terminal())
            && args.output.output.is_none()
            && args.output.output_dir.is_none()
        {
            print!("{text}");
        } else {
            eprint!("{text}");
        }
    }
    Ok(code)
}

/// The targets of this run: the arguments, then the --urls file; duplicates dropped, then the
/// --shard share taken.
fn targets_from(args: &ScanArgs) -> chatcookie::Result<Vec<Target>> {
    let mut listed: Vec<(String, String)> = args
        .targets
        .iter()
        .map(|t| (t.clone(), format!("argument `{t}`")))
        .collect();
    if let Some(file) = &args.sites.urls {
        let text = if file.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())
                .context("cannot read targets from stdin")
                .map_err(Error::input)?
        } else {
            std::fs::read_to_string(file)
                .map_err(|e| Error::usage(format!("cannot read {}: {e}", file.display())))?
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            listed.push((line.to_string(), format!("{}:{}", file.display(), n + 1)));
        }
    }
    if listed.is_empty() {
        return Err(Error::usage(
            "nothing to scan: give a URL or a directory, or --urls FILE",
        ));
    }
    if listed.len() > 1 && args.host.is_some() {
        return Err(Error::usage("--host applies to a single directory target"));
    }
    let mut targets = Vec::new();
    for (text, whence) in &listed {
        targets.push(
            Target::parse(text, args.host.as_deref())
                .map_err(|e| Error::usage(format!("{whence}: {e:#}")))?,
        );
    }
    let targets = distinct_share(targets, args.sites.parallel.shard);
    if targets.len() > 1 && !args.passes.is_empty() {
        return Err(Error::usage("--passes compares passes of a single target"));
    }
    Ok(targets)
}

/// Many targets (or none left in this shard): the batch, with progress and streaming.
fn run_many(args: &ScanArgs, targets: &[Target], judge: &Judge<'_>) -> chatcookie::Result<Exit> {
    let mut opts = options_from(&args.steps)?;
    opts.progress = args.output.progress;
    opts.screenshots = args.output.screenshots();
    let mut stream = JsonlStream::open(&args.output);
    let mut progress = Progress::new(targets.len(), args.output.progress);
    let batch = Batch {
        browser: &browser_options(&args.browser),
        judge: *judge,
        jobs: usize::from(args.sites.parallel.jobs),
    };
    let reports = batch.run(targets, &opts, |_, report| {
        if let Some(s) = &mut stream {
            s.write(report);
        }
        progress.site_done(report);
    })?;
    progress.finish();
    let written = match stream {
        Some(s) => s.close(),
        None => Written::NotYet,
    };
    let fail_on = judge.gate.map(|g| g.fail_on.clone()).unwrap_or_default();
    let code = finish_written(&reports, &args.output, &fail_on, judge.policy, written)?;
    Ok(super::history::store_scans(
        args.store.as_ref(),
        &reports,
        code,
    ))
}

/// `--format jsonl` to standard output or one file: each report written as its site finishes.
struct JsonlStream {
    out: Box<dyn Write>,
    /// Why the --output file could not be used or written (the lines go to stdout then).
    unwritable: Option<String>,
    /// The lines go to standard output.
    to_stdout: bool,
    /// Standard output's reader went away (`| head`): the rest is not written, and that is no
    /// error of the run.
    reader_gone: bool,
}

impl JsonlStream {
    fn open(out: &OutputArgs) -> Option<JsonlStream> {
        if !matches!(out.format[..], [f] if f.streams()) || out.output_dir.is_some() {
            return None;
        }
        let stdout = || Box::new(std::io::stdout()) as Box<dyn Write>;
        Some(match &out.output {
            None => JsonlStream {
                out: stdout(),
                unwritable: None,
                to_stdout: true,
                reader_gone: false,
            },
            Some(path) => match std::fs::File::create(path) {
                Ok(f) => JsonlStream {
                    out: Box::new(std::io::BufWriter::new(f)),
                    unwritable: None,
                    to_stdout: false,
                    reader_gone: false,
                },
                Err(e) => JsonlStream {
                    out: stdout(),
                    unwritable: Some(format!(
                        "cannot write the report to {}: {e}",
                        path.display()
                    )),
                    to_stdout: true,
                    reader_gone: false,
                },
            },
        })
    }

    fn write(&mut self, report: &ScanReport) {
        if self.reader_gone {
            return;
        }
        let written = JsonlRenderer::write_line(report, &mut self.out)
            .and_then(|()| self.out.flush())
            .map_err(anyhow::Error::from);
        if let Err(e) = written {
            if self.to_stdout && super::reader_gone(&e) {
                self.reader_gone = true;
                return;
            }
            // A file that fails mid-run: this line and the rest go to stdout, nothing is lost.
            self.unwritable
                .get_or_insert_with(|| format!("cannot write the report: {e:#}"));
            self.out = Box::new(std::io::stdout());
            self.to_stdout = true;
            let _ = JsonlRenderer::write_line(report, &mut self.out);
            let _ = self.out.flush();
        }
    }

    fn close(mut self) -> Written {
        if !self.reader_gone {
            let flushed = self.out.flush().map_err(anyhow::Error::from);
            match flushed {
                Err(e) if self.to_stdout && super::reader_gone(&e) => {}
                Err(e) => {
                    self.unwritable
                        .get_or_insert_with(|| format!("cannot write the report: {e}"));
                }
                Ok(()) => {}
            }
        }
        Written::Streamed {
            unwritable: self.unwritable,
        }
    }
}

/// What differs between passes: keys present in one and not the other, and the keys every pass
/// stored (a widget that ignores the visitor's answer shows here).
fn compare_passes(passes: &[ConsentAction], reports: &[ScanReport]) -> String {
    let label = |a: &ConsentAction| a.as_str().to_string();
    // The shared comparison decides what is the same key; these are its lines.
    let line = |k: &KeyState| {
        format!(
            "{} {} [{}]",
            k.storage,
            terminal_safe(&k.name, 80),
            k.vendor.as_deref().unwrap_or("unknown")
        )
    };
    let compared = Passes::of(reports);
    let common: BTreeSet<String> = compared.common.iter().map(line).collect();
    let sets: Vec<BTreeSet<String>> = compared
        .only
        .iter()
        .map(|keys| {
            keys.iter()
                .map(line)
                .filter(|l| !common.contains(l))
                .collect()
        })
        .collect();
    let mut out = String::from("\nPasses compared\n");
    let names: Vec<String> = passes.iter().map(label).collect();
    out.push_str(&format!(
        "  stored in every pass ({}): {}\n",
        names.join(", "),
        common.len()
    ));
    for k in &common {
        out.push_str(&format!("    = {k}\n"));
    }
    for (i, only) in sets.iter().enumerate() {
        out.push_str(&format!("  only after {} ({}):\n", names[i], only.len()));
        for k in only {
            out.push_str(&format!("    + {k}\n"));
        }
    }
    out
}
