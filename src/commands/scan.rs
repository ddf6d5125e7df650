//! `chatcookie scan`: one target, step by step, judged and optionally gated.

use super::{Target, check_output, finish, load_catalog, scan_and_judge};
use chatcookie::cli::{ScanArgs, StepArgs};
use chatcookie::consent::CmpRules;
use chatcookie::exit::Exit;
use chatcookie::policy::Policy;
use chatcookie::report::{Format, ScanReport, terminal_safe};
use chatcookie::scan::{ConsentAction, ConsentChoice, ScanOptions};
use std::collections::BTreeSet;

/// Scan options from the command line's step flags.
pub fn options_from(s: &StepArgs) -> anyhow::Result<ScanOptions> {
    options_for(s, s.consent)
}

/// Scan options answering the banner with `action` (the flags of that answer apply).
fn options_for(s: &StepArgs, action: ConsentAction) -> anyhow::Result<ScanOptions> {
    let (click, js) = match action {
        ConsentAction::Reject => (s.reject_click.clone(), s.reject_js.clone()),
        _ => (s.consent_click.clone(), s.consent_js.clone()),
    };
    let rules = CmpRules::with_user_files(&s.cmp_rules)?;
    let consent = ConsentChoice::from_flags(action, click, js, s.consent_text.clone(), rules);
    Ok(ScanOptions {
        url: String::new(),
        consent,
        open_click: s.open_click.clone(),
        step_timeout: s.step_timeout,
        quiet: s.quiet,
        widget_timeout: s.widget_timeout,
        steps: s.steps.clone(),
        progress: false,
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
    let passes = if args.passes.is_empty() {
        vec![args.steps.consent]
    } else {
        args.passes.clone()
    };
    let mut reports = Vec::new();
    for action in &passes {
        // Each pass launches its own browser: a fresh profile, nothing carried over.
        let mut opts = options_for(&args.steps, *action)?;
        opts.progress = args.output.progress;
        opts.screenshots = args.output.screenshots();
        reports.push(scan_and_judge(
            &target,
            opts,
            &args.browser,
            &catalog,
            policy.as_ref(),
            args.output.show_values,
        )?);
    }
    let fail_on = args.gate.fail_on.clone().unwrap_or_default();
    let comparison = (reports.len() > 1).then(|| compare_passes(&passes, &reports));
    let code = finish(
        &mut reports,
        &args.output,
        &fail_on,
        args.gate.baseline.as_deref(),
        policy.as_ref(),
    )?;
    let code = super::history::store_scans(args.store.as_deref(), &reports, code);
    if let Some(text) = comparison {
        // The comparison is for people; machine formats carry each pass in full.
        if args.output.format == [Format::Table]
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

/// What differs between passes: keys present in one and not the other, and the keys every pass
/// stored (a widget that ignores the visitor's answer shows here).
fn compare_passes(passes: &[ConsentAction], reports: &[ScanReport]) -> String {
    let label = |a: &ConsentAction| format!("{a:?}").to_lowercase();
    let keys = |r: &ScanReport| -> BTreeSet<String> {
        r.observations
            .iter()
            .map(|o| {
                format!(
                    "{} {} [{}]",
                    o.storage,
                    terminal_safe(&o.name, 80),
                    o.attribution.vendor().unwrap_or("unknown")
                )
            })
            .collect()
    };
    let sets: Vec<BTreeSet<String>> = reports.iter().map(keys).collect();
    let common: BTreeSet<&String> = sets[0]
        .iter()
        .filter(|k| sets.iter().all(|s| s.contains(*k)))
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
    for (i, set) in sets.iter().enumerate() {
        let only: Vec<&String> = set.iter().filter(|k| !common.contains(k)).collect();
        out.push_str(&format!("  only after {} ({}):\n", names[i], only.len()));
        for k in only {
            out.push_str(&format!("    + {k}\n"));
        }
    }
    out
}
