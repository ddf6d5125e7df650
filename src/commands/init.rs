//! `chatcookie init`: scan a site once and write a policy that declares what it stores, for review.

use super::scan::options_from;
use super::{browser_options, load_catalog};
use crate::cli::InitArgs;
use anyhow::Context;
use chatcookie::catalog::Attribution;
use chatcookie::exit::Exit;
use chatcookie::report::ScanReport;
use chatcookie::run::{self, Target};
use chatcookie::{Error, Party, StorageKind};
use std::collections::BTreeSet;
use std::fmt::Write as _;

pub fn run(args: InitArgs) -> anyhow::Result<Exit> {
    super::check_proxy(&args.steps.visitor.visitor())?;
    if args.policy.exists() && !args.force {
        return Err(Error::usage(format!(
            "{} exists; pass --force to overwrite it",
            args.policy.display()
        ))
        .into());
    }
    let catalog = load_catalog(&args.catalog.files)?;
    let target = Target::parse(&args.target, args.host.as_deref())?;
    let report = run::scan_target(
        &target,
        options_from(&args.steps)?,
        &browser_options(&args.browser),
        &run::Judge::new(&catalog),
    )?;
    if let Some(a) = &report.aborted {
        anyhow::bail!(
            "the scan could not complete ({}); no policy written",
            a.reason
        );
    }
    let text = policy_text(&args, &report);
    std::fs::write(&args.policy, &text)
        .with_context(|| format!("cannot write {}", args.policy.display()))?;
    let declared = text.matches("[[declare]]").count();
    let hosts = text.matches("[[host]]").count();
    eprintln!(
        "wrote {} with {declared} key declarations from {} observations and {hosts} third-party hosts; review every purpose marked TODO, then commit it",
        args.policy.display(),
        report.observations.len()
    );
    Ok(Exit::Ok)
}

/// TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The policy: the scan as it was run, and one declaration per key (catalog patterns where known).
fn policy_text(args: &InitArgs, report: &ScanReport) -> String {
    let s = &args.steps;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# chatcookie policy, written by `chatcookie init` from a scan of {}",
        report.provenance.url
    );
    let _ = writeln!(
        t,
        "# on {} (catalog {}). Check it into the site's repository; `chatcookie check` gates on it.",
        report.provenance.started_at, report.provenance.catalog_version
    );
    t.push_str("\n[scan]\n");
    let _ = writeln!(t, "urls = [{}]", q(&args.target));
    if let Some(h) = &args.host {
        let _ = writeln!(t, "host = {}", q(h));
    }
    let _ = writeln!(t, "consent = {}", q(s.consent.as_str()));
    for (k, v) in [
        ("consent_click", &s.consent_click),
        ("consent_js", &s.consent_js),
        ("reject_click", &s.reject_click),
        ("reject_js", &s.reject_js),
        ("consent_text", &s.consent_text),
        ("open_click", &s.open_click),
        ("withdraw_click", &s.withdraw_click),
    ] {
        if let Some(v) = v {
            let _ = writeln!(t, "{k} = {}", q(v));
        }
    }
    // The journey, when the scan went beyond the start page: `check` then covers every page.
    if s.pages > 1 {
        let _ = writeln!(t, "pages = {}", s.pages);
    }
    let list = |items: Vec<String>| items.join(", ");
    if !s.page.is_empty() {
        let _ = writeln!(
            t,
            "page = [{}]",
            list(s.page.iter().map(|p| q(p)).collect())
        );
    }
    if s.steps != chatcookie::Step::DEFAULT {
        let _ = writeln!(
            t,
            "steps = [{}]",
            list(s.steps.iter().map(|st| q(st.as_str())).collect())
        );
    }
    t.push_str("\n[gate]\n# Rule ids and/or a severity; see `chatcookie check --help`.\nfail_on = [\"undeclared\", \"high\"]\n");
    let mut seen = BTreeSet::new();
    for o in &report.observations {
        let (name, vendor) = match &o.attribution {
            Attribution::Known { vendor, key, .. } => (key.clone(), Some(vendor.clone())),
            Attribution::ConsentManager { key, .. } => (key.clone(), None),
            // An Open Cookie Database prefix is declared as `prefix*` (the policy's wildcard is
            // one or more characters), unless the observed name is the prefix itself.
            Attribution::Platform { key, .. } => match key.strip_suffix('*') {
                Some(prefix)
                    if prefix != o.name
                        && !prefix.is_empty()
                        && !prefix.contains(['{', '}', '*']) =>
                {
                    (key.clone(), None)
                }
                _ => (escape_pattern(&o.name), None),
            },
            Attribution::Unknown { .. } => (escape_pattern(&o.name), None),
        };
        if !seen.insert((name.clone(), o.storage)) {
            continue;
        }
        t.push_str("\n[[declare]]\n");
        if let (
            Attribution::Platform {
                confidence,
                evidence,
                ..
            },
            Some(c),
        ) = (&o.attribution, &o.catalog)
        {
            let line = format!(
                "# {}: {} ({}{})",
                c.database.as_deref().unwrap_or("Open Cookie Database"),
                c.vendor_name,
                c.category,
                match confidence {
                    chatcookie::catalog::Certainty::Certain => String::new(),
                    chatcookie::catalog::Certainty::Likely => format!(
                        "; likely: a generic name, the platform evidenced by {} - review",
                        evidence.as_deref().unwrap_or("the page")
                    ),
                }
            );
            // One comment line, whatever the page's host names hold.
            let _ = writeln!(t, "{}", line.replace(|c: char| c.is_control(), " "));
        }
        let _ = writeln!(t, "name = {}", q(&name));
        let _ = writeln!(t, "storage = {}", q(o.storage.as_str()));
        if let Some(v) = vendor {
            let _ = writeln!(t, "vendor = {}", q(&v));
        }
        // Where the key stands against consent and the chat (on a journey, a later page's load
        // after consent stands at consent): what `check` compares.
        let earliest = chatcookie::scan::phase(&report.steps, &o.first_page, o.first_step);
        let _ = writeln!(t, "earliest_step = {}", q(earliest.as_str()));
        if o.storage == StorageKind::Cookie
            && let Some(c) = &o.cookie
        {
            let life = match c.lifetime_seconds {
                None => "session".to_string(),
                // Rounded up to whole days, so the next scan's slightly later expiry still fits.
                Some(secs) => format!("{} days", (secs.max(0) as u64).div_ceil(86_400).max(1)),
            };
            let _ = writeln!(t, "max_lifetime = {}", q(&life));
        }
        let purpose = o.catalog.as_ref().map_or_else(
            || "TODO: say why the site stores this key".to_string(),
            |c| c.purpose.clone(),
        );
        let _ = writeln!(t, "purpose = {}", q(&purpose));
        if let Some(c) = &o.catalog {
            let _ = writeln!(t, "category = {}", q(c.category.as_str()));
        }
    }
    host_declarations(&mut t, report);
    t
}

/// One `[[host]]` per third-party host the pages contacted: a chat vendor's with its catalog
/// purpose, any other with a TODO. None is declared strictly necessary: that is the site's to
/// say (and a chat vendor's host never is before the visitor asks for the chat).
fn host_declarations(t: &mut String, report: &ScanReport) {
    for h in &report.network.hosts {
        if h.party != Party::ThirdParty {
            continue;
        }
        t.push_str("\n[[host]]\n");
        let how = h
            .matched_by
            .as_deref()
            .map_or_else(String::new, |m| format!("; {m}"));
        let line = format!("# first contacted at `{}`{how}", h.first_step.as_str());
        let _ = writeln!(t, "{}", line.replace(|c: char| c.is_control(), " "));
        let _ = writeln!(t, "name = {}", q(&h.host));
        match &h.vendor {
            Some(v) => {
                let name = report
                    .vendors
                    .iter()
                    .find(|s| &s.id == v)
                    .map_or(v.as_str(), |s| s.name.as_str());
                let _ = writeln!(t, "vendor = {}", q(v));
                let _ = writeln!(
                    t,
                    "purpose = {}",
                    q(&format!(
                        "The {name} chat widget (its script, API or socket)."
                    ))
                );
            }
            None => {
                let _ = writeln!(
                    t,
                    "purpose = {}",
                    q("TODO: say why the pages contact this host")
                );
                t.push_str(
                    "# category = \"strictly-necessary\"   # only if the pages cannot work without it\n",
                );
            }
        }
    }
}

/// An observed name as a pattern that matches exactly it (`{`, `}` and `*` are pattern syntax).
fn escape_pattern(name: &str) -> String {
    // Names carrying pattern syntax cannot be declared exactly; a wildcard keeps them covered.
    if name.contains(['{', '}', '*']) {
        let prefix: String = name
            .chars()
            .take_while(|c| !matches!(c, '{' | '}' | '*'))
            .collect();
        return if prefix.is_empty() {
            "*".into()
        } else {
            format!("{prefix}*")
        };
    }
    name.to_string()
}
