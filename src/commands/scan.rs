//! `chatcookie scan`: one target, step by step, judged and optionally gated.

use super::{Target, check_output, finish, load_catalog, scan_and_judge};
use chatcookie::cli::{ScanArgs, StepArgs};
use chatcookie::consent::CmpRules;
use chatcookie::exit::Exit;
use chatcookie::policy::Policy;
use chatcookie::scan::{ConsentAction, ConsentChoice, ScanOptions};

/// Scan options from the command line's step flags.
pub fn options_from(s: &StepArgs) -> anyhow::Result<ScanOptions> {
    let (click, js) = match s.consent {
        ConsentAction::Reject => (s.reject_click.clone(), s.reject_js.clone()),
        _ => (s.consent_click.clone(), s.consent_js.clone()),
    };
    let rules = CmpRules::with_user_files(&s.cmp_rules)?;
    let consent = ConsentChoice::from_flags(s.consent, click, js, s.consent_text.clone(), rules);
    Ok(ScanOptions {
        url: String::new(),
        consent,
        open_click: s.open_click.clone(),
        step_timeout: s.step_timeout,
        quiet: s.quiet,
        widget_timeout: s.widget_timeout,
        steps: s.steps.clone(),
        screenshots: false,
    })
}

pub fn run(args: ScanArgs) -> anyhow::Result<Exit> {
    check_output(&args.output)?;
    let catalog = load_catalog(&args.catalog.files)?;
    let policy = args
        .policy
        .as_deref()
        .map(|p| Policy::load(p, &catalog))
        .transpose()?;
    let target = Target::parse(&args.target, args.host.as_deref())?;
    let mut opts = options_from(&args.steps)?;
    opts.screenshots = args.output.screenshots();
    let report = scan_and_judge(
        &target,
        opts,
        &args.browser,
        &catalog,
        policy.as_ref(),
        args.output.show_values,
    )?;
    let fail_on = args.gate.fail_on.clone().unwrap_or_default();
    finish(
        vec![report],
        &args.output,
        &fail_on,
        args.gate.baseline.as_deref(),
        policy.as_ref(),
    )
}
