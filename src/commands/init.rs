//! `chatcookie init`: scan a site once and write a policy that declares what it stores, for review.

use super::scan::options_from;
use super::{browser_options, load_catalog};
use crate::cli::InitArgs;
use anyhow::Context;
use chatcookie::catalog::Attribution;
use chatcookie::exit::Exit;
use chatcookie::observation::Observation;
use chatcookie::report::ScanReport;
use chatcookie::run::{self, Target};
use chatcookie::scan::Settings;
use chatcookie::{Error, Party, StorageKind};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

pub fn run(args: InitArgs) -> chatcookie::Result<Exit> {
    super::check_proxy(&args.steps.visitor.visitor())?;
    if args.policy.exists() && !args.force {
        return Err(Error::usage(format!(
            "{} exists; pass --force to overwrite it",
            args.policy.display()
        )));
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
        return Err(chatcookie::Error::site(anyhow::anyhow!(
            "the scan could not complete ({}); no policy written",
            a.reason
        )));
    }
    let text = policy_text(&args, &report);
    std::fs::write(&args.policy, &text)
        .with_context(|| format!("cannot write {}", args.policy.display()))
        .map_err(chatcookie::Error::output)?;
    let declared = text.matches("[[declare]]").count();
    let hosts = text.matches("[[host]]").count();
    eprintln!(
        "wrote {} with {declared} key declarations from {} observations and {hosts} third-party hosts; review every purpose marked TODO, then commit it",
        args.policy.display(),
        report.observations.len()
    );
    Ok(Exit::Ok)
}

/// The `[scan]` table `init` writes: the target, and the settings the scan ran with.
#[derive(Serialize)]
struct ScanTable<'a> {
    urls: [&'a str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(flatten)]
    settings: &'a Settings,
}

/// The policy file's head: only its `[scan]` table comes from data.
#[derive(Serialize)]
struct Head<'a> {
    scan: ScanTable<'a>,
}

/// One `[[declare]]` entry, as the policy reads it.
#[derive(Serialize)]
struct DeclareEntry<'a> {
    name: &'a str,
    storage: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor: Option<&'a str>,
    earliest_step: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_lifetime: Option<String>,
    purpose: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
}

/// One `[[host]]` entry, as the policy reads it.
#[derive(Serialize)]
struct HostEntry<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor: Option<&'a str>,
    purpose: &'a str,
}

/// A table or entry as TOML (the policy's own types serialize to nothing TOML cannot hold).
fn toml_text(value: &impl Serialize) -> String {
    toml::to_string(value).expect("a policy entry serializes to TOML")
}

/// One comment line, whatever the page's host names hold.
fn comment(t: &mut String, line: &str) {
    let _ = writeln!(t, "{}", line.replace(|c: char| c.is_control(), " "));
}

/// The policy: the scan as it was run, and one declaration per key (catalog patterns where known).
fn policy_text(args: &InitArgs, report: &ScanReport) -> String {
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
    // The journey too, when the scan went beyond the start page: `check` then covers every page.
    let settings = args.steps.settings();
    let head = Head {
        scan: ScanTable {
            urls: [&args.target],
            host: args.host.as_deref(),
            settings: &settings,
        },
    };
    t.push('\n');
    t.push_str(&toml_text(&head));
    t.push_str("\n[gate]\n# Rule ids and/or a severity; see `chatcookie check --help`.\nfail_on = [\"undeclared\", \"high\"]\n");
    let mut seen = BTreeSet::new();
    for o in &report.observations {
        let (name, vendor) = declared_name(o);
        if !seen.insert((name.clone(), o.storage)) {
            continue;
        }
        t.push_str("\n[[declare]]\n");
        if let Some(line) = platform_comment(o) {
            comment(&mut t, &line);
        }
        // Where the key stands against consent and the chat (on a journey, a later page's load
        // after consent stands at consent): what `check` compares.
        let earliest = chatcookie::scan::phase(&report.steps, &o.first_page, o.first_step);
        let max_lifetime = match &o.cookie {
            Some(c) if o.storage == StorageKind::Cookie => Some(match c.lifetime_seconds {
                None => "session".to_string(),
                // Rounded up to whole days, so the next scan's slightly later expiry still fits.
                Some(secs) => format!("{} days", (secs.max(0) as u64).div_ceil(86_400).max(1)),
            }),
            _ => None,
        };
        let purpose = o.catalog.as_ref().map_or_else(
            || "TODO: say why the site stores this key".to_string(),
            |c| c.purpose.clone(),
        );
        t.push_str(&toml_text(&DeclareEntry {
            name: &name,
            storage: o.storage.as_str(),
            vendor: vendor.as_deref(),
            earliest_step: earliest.as_str(),
            max_lifetime,
            purpose: &purpose,
            category: o.catalog.as_ref().map(|c| c.category.as_str()),
        }));
    }
    host_declarations(&mut t, report);
    t
}

/// The name a key is declared by, and its vendor: the catalog's pattern where known.
fn declared_name(o: &Observation) -> (String, Option<String>) {
    match &o.attribution {
        Attribution::Known { vendor, key, .. } => (key.clone(), Some(vendor.clone())),
        Attribution::ConsentManager { key, .. } => (key.clone(), None),
        // An Open Cookie Database prefix is declared as `prefix*` (the policy's wildcard is
        // one or more characters), unless the observed name is the prefix itself.
        Attribution::Platform { key, .. } => match key.strip_suffix('*') {
            Some(prefix)
                if prefix != o.name && !prefix.is_empty() && !prefix.contains(['{', '}', '*']) =>
            {
                (key.clone(), None)
            }
            _ => (escape_pattern(&o.name), None),
        },
        Attribution::Unknown { .. } => (escape_pattern(&o.name), None),
    }
}

/// The comment over a key the Open Cookie Database knows: its platform, and how sure that is.
fn platform_comment(o: &Observation) -> Option<String> {
    let (
        Attribution::Platform {
            confidence,
            evidence,
            ..
        },
        Some(c),
    ) = (&o.attribution, &o.catalog)
    else {
        return None;
    };
    Some(format!(
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
    ))
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
        comment(
            t,
            &format!("# first contacted at `{}`{how}", h.first_step.as_str()),
        );
        let purpose = match &h.vendor {
            Some(v) => {
                let name = report
                    .vendors
                    .iter()
                    .find(|s| &s.id == v)
                    .map_or(v.as_str(), |s| s.name.as_str());
                format!("The {name} chat widget (its script, API or socket).")
            }
            None => "TODO: say why the pages contact this host".to_string(),
        };
        t.push_str(&toml_text(&HostEntry {
            name: &h.host,
            vendor: h.vendor.as_deref(),
            purpose: &purpose,
        }));
        if h.vendor.is_none() {
            t.push_str(
                "# category = \"strictly-necessary\"   # only if the pages cannot work without it\n",
            );
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
