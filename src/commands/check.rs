//! `chatcookie check`: the scans a policy describes, judged against its declarations, gated.

use super::progress::Progress;
use super::{browser_options, check_output, distinct_share, finish, judge_for, load_catalog};
use crate::cli::CheckArgs;
use chatcookie::consent::CmpRules;
use chatcookie::exit::Exit;
use chatcookie::gate::Gate;
use chatcookie::policy::Policy;
use chatcookie::run::{self, Batch, Target};
use chatcookie::scan::{ConsentChoice, ScanOptions, defaults};
use chatcookie::{ConsentAction, Error, FailOn, Step, parse_duration};
use std::time::Duration;

pub fn run(args: CheckArgs) -> anyhow::Result<Exit> {
    check_output(&args.output)?;
    if !args.policy.exists() {
        return Err(Error::usage(format!(
            "no policy file at {}; write one with `chatcookie init URL`, or name it with --policy",
            args.policy.display()
        ))
        .into());
    }
    // The policy's own catalog files extend the catalog its declarations are checked against.
    let embedded = load_catalog(&[])?;
    let first = Policy::load(&args.policy, &embedded)?;
    let extra: Vec<_> = first
        .scan
        .catalog
        .iter()
        .map(|c| first.resolve(c))
        .collect();
    let catalog = load_catalog(&extra)?;
    let policy = if extra.is_empty() {
        first
    } else {
        Policy::load(&args.policy, &catalog)?
    };
    if policy.scan.urls.is_empty() {
        return Err(Error::usage(format!(
            "{}: [scan] urls is empty: nothing to check",
            args.policy.display()
        ))
        .into());
    }
    let s = &policy.scan;
    // Checked when the policy was parsed; a value that still does not parse is an input error,
    // never a silent default.
    let dur = |v: &Option<toml::Spanned<String>>, default: Duration| -> Result<Duration, Error> {
        match v {
            Some(d) => parse_duration(d.get_ref())
                .map_err(|e| Error::usage(format!("{}: [scan]: {e}", args.policy.display()))),
            None => Ok(default),
        }
    };
    let action = s.consent.unwrap_or(ConsentAction::Accept);
    let (click, js) = match action {
        ConsentAction::Reject => (s.reject_click.clone(), s.reject_js.clone()),
        _ => (s.consent_click.clone(), s.consent_js.clone()),
    };
    let rules: Vec<_> = s.cmp_rules.iter().map(|r| policy.resolve(r)).collect();
    let consent = ConsentChoice::from_flags(
        action,
        click,
        js,
        s.consent_text.clone(),
        CmpRules::with_user_files(&rules)?,
    );
    let opts = ScanOptions {
        url: String::new(),
        consent,
        open_click: s.open_click.clone(),
        step_timeout: dur(&s.step_timeout, defaults::STEP_TIMEOUT)?,
        quiet: dur(&s.quiet, defaults::QUIET)?,
        widget_timeout: dur(&s.widget_timeout, defaults::WIDGET_TIMEOUT)?,
        steps: s.steps.clone().unwrap_or_else(|| Step::DEFAULT.to_vec()),
        progress: false,
        screenshots: args.output.screenshots(),
        visitor: s
            .visitor(|p| policy.resolve(p))
            .map_err(|e| Error::usage(format!("{}: [scan]: {e}", args.policy.display())))?,
        message: s.message.clone(),
    };
    super::check_proxy(&opts.visitor)?;
    let mut browser = args.browser;
    if let Some(t) = s.third_party_cookies {
        browser.third_party_cookies = t;
    }
    let mut targets = Vec::new();
    for url in &s.urls {
        // Directories are relative to the policy file, so `check` works from any directory.
        let resolved = policy.resolve(url.get_ref());
        targets.push(if resolved.is_dir() {
            Target::parse(&resolved.display().to_string(), s.host.as_deref())?
        } else {
            Target::parse(url.get_ref(), s.host.as_deref())?
        });
    }
    let targets = distinct_share(targets, args.parallel.shard);
    let fail_on = match (&args.gate.fail_on, &policy.gate.fail_on) {
        (Some(f), _) => f.clone(),
        (None, Some(f)) => FailOn::parse(&f.get_ref().join(",")).map_err(Error::usage)?,
        (None, None) => FailOn::parse("high").expect("a valid severity"),
    };
    let baseline = args
        .gate
        .baseline
        .clone()
        .or_else(|| policy.gate.baseline.as_ref().map(|b| policy.resolve(b)));
    // A baseline that cannot be read is found before any browser starts.
    let gate = Gate::new(fail_on, baseline.as_deref())?;
    let judge = judge_for(&catalog, Some(&policy), &gate, &args.output);
    let reports = if let [target] = &targets[..] {
        // One site: its own browser, and what it gathered is kept if that browser dies.
        vec![run::scan_target(
            target,
            opts,
            &browser_options(&browser),
            &judge,
        )?]
    } else {
        // Many (or none in this shard): one shared browser, a context per site.
        let mut progress = Progress::new(targets.len(), false);
        let batch = Batch {
            browser: &browser_options(&browser),
            judge,
            jobs: usize::from(args.parallel.jobs),
        };
        let reports = batch.run(&targets, &opts, |_, report| progress.site_done(report))?;
        progress.finish();
        reports
    };
    finish(&reports, &args.output, &gate.fail_on, Some(&policy))
}
