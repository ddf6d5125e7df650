//! `chatcookie check`: the scans a policy describes, judged against its declarations, gated.

use super::progress::Progress;
use super::{browser_options, check_output, distinct_share, finish, judge_for, load_catalog};
use crate::cli::CheckArgs;
use chatcookie::Error;
use chatcookie::exit::Exit;
use chatcookie::gate::Gate;
use chatcookie::policy::Policy;
use chatcookie::run::{self, Batch, Target};

pub fn run(args: CheckArgs) -> chatcookie::Result<Exit> {
    check_output(&args.output)?;
    if !args.policy.exists() {
        return Err(Error::usage(format!(
            "no policy file at {}; write one with `chatcookie init URL`, or name it with --policy",
            args.policy.display()
        )));
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
        )));
    }
    let s = &policy.scan;
    let mut opts = policy.scan_options()?;
    opts.screenshots = args.output.screenshots();
    super::check_proxy(&opts.settings.visitor)?;
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
    let (fail_on, baseline) =
        policy.gate_over(args.gate.fail_on.clone(), args.gate.baseline.clone())?;
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
