//! `chatcookie demo`: the demo sites built into the binary, served on loopback and scanned.

use super::{browser_options, check_output, finish, judge_for};
use crate::cli::DemoArgs;
use chatcookie::catalog::Catalog;
use chatcookie::consent::CmpRules;
use chatcookie::demo;
use chatcookie::exit::Exit;
use chatcookie::gate::Gate;
use chatcookie::run::{self, Target};
use chatcookie::scan::{ConsentChoice, ConsentMethod, ScanOptions, Settings};
use chatcookie::serve::SiteFiles;
use chatcookie::{ConsentAction, Error};
use std::time::Duration;

pub fn run(args: DemoArgs) -> chatcookie::Result<Exit> {
    let all = demo::sites();
    if args.list {
        super::print_stdout(|out| {
            all.iter()
                .try_for_each(|s| writeln!(out, "{:<16} {}", s.name, s.description))
        })?;
        return Ok(Exit::Ok);
    }
    let chosen: Vec<&demo::DemoSite> = if args.sites.is_empty() {
        all.iter().collect()
    } else {
        args.sites
            .iter()
            .map(|n| {
                all.iter().find(|s| &s.name == n).ok_or_else(|| {
                    Error::usage(format!(
                        "no demo site `{n}`; the sites are: {}",
                        all.iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect::<Result<_, _>>()?
    };
    check_output(&args.output)?;
    let catalog = Catalog::embedded()?;
    let gate = Gate::default();
    let judge = judge_for(&catalog, None, &gate, &args.output);
    let several = chosen.len() > 1;
    let mut reports = Vec::new();
    for (i, site) in chosen.into_iter().enumerate() {
        let click = match args.consent {
            ConsentAction::Reject => site.reject_click.clone(),
            _ => site.consent_click.clone(),
        };
        // A site without a banner has nothing to answer.
        let action = if click.is_none() {
            ConsentAction::None
        } else {
            args.consent
        };
        let opts = ScanOptions {
            consent: ConsentChoice::new(
                action,
                click.map_or(ConsentMethod::Auto, ConsentMethod::Click),
                CmpRules::embedded()?,
            ),
            // The demo sites load their widgets at once: a shorter wait keeps the demo quick.
            settings: Settings {
                widget_timeout: Duration::from_secs(2),
                ..Settings::default()
            },
            screenshots: args.output.screenshots(),
            ..ScanOptions::default()
        };
        let target = Target::Served {
            files: SiteFiles::Embedded(site.files),
            host: site.host.clone(),
        };
        reports.push(run::scan_target(
            &target,
            opts,
            &browser_options(&args.browser),
            &judge.for_site(several.then_some(i)),
        )?);
    }
    finish(&reports, &args.output, &gate.fail_on, None)
}
