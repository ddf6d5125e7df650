//! `chatcookie diff`: what changed between two JSON reports — keys added, removed or changed, findings added or gone — by the comparison `history` uses, values included.

use crate::cli::{DiffArgs, ListFormat};
use chatcookie::compare::{Compared, FindingBrief, KeyState, ScanContents, compare};
use chatcookie::exit::Exit;
use chatcookie::report::{ScanReport, read_json};
use chatcookie::terminal_safe;
use serde::Serialize;

#[derive(Debug, Default, Serialize)]
struct Diff {
    added_keys: Vec<String>,
    removed_keys: Vec<String>,
    changed_keys: Vec<String>,
    added_findings: Vec<String>,
    removed_findings: Vec<String>,
}

pub fn run(args: DiffArgs) -> chatcookie::Result<Exit> {
    let old = read_json(&args.old)?;
    let new = read_json(&args.new)?;
    let d = diff(&old, &new);
    let json = match args.format {
        ListFormat::Json => {
            Some(serde_json::to_string_pretty(&d).map_err(chatcookie::Error::internal)?)
        }
        ListFormat::Table => None,
    };
    super::print_stdout(|out| {
        if let Some(json) = &json {
            return writeln!(out, "{json}");
        }
        for (title, items, mark) in [
            ("keys added", &d.added_keys, '+'),
            ("keys removed", &d.removed_keys, '-'),
            ("keys changed", &d.changed_keys, '~'),
            ("findings added", &d.added_findings, '+'),
            ("findings gone", &d.removed_findings, '-'),
        ] {
            writeln!(out, "{title}: {}", items.len())?;
            for i in items {
                writeln!(out, "  {mark} {}", terminal_safe(i, 300))?;
            }
        }
        Ok(())
    })?;
    Ok(Exit::Ok)
}

/// A key as a line: its identity, then what is compared.
fn key_line(k: &KeyState) -> String {
    format!(
        "{} {} ({}): first at {}; {}; value #{}; vendor {}",
        k.storage,
        k.name,
        k.place,
        k.first_step,
        k.expiry_class,
        k.value_sha256,
        k.vendor.as_deref().unwrap_or("unknown")
    )
}

fn finding_line(f: &FindingBrief) -> String {
    format!("{} [{}] {}", f.rule, f.severity, f.message)
}

/// The shared comparison (values included: two reports a user compares by hand), as lines.
fn diff(old: &[ScanReport], new: &[ScanReport]) -> Diff {
    let c = compare(
        &ScanContents::of(old),
        &ScanContents::of(new),
        Compared::Values,
    );
    Diff {
        added_keys: c.new_keys.iter().map(key_line).collect(),
        removed_keys: c.gone_keys.iter().map(key_line).collect(),
        changed_keys: c
            .changed_keys
            .iter()
            .map(|k| {
                let what: Vec<String> = k
                    .changes
                    .iter()
                    .map(|a| {
                        format!(
                            "{} {} → {}",
                            a.attribute,
                            a.before.as_deref().unwrap_or("none"),
                            a.after.as_deref().unwrap_or("none")
                        )
                    })
                    .collect();
                format!(
                    "{} {} ({}): {}",
                    k.key.storage,
                    k.key.name,
                    k.key.place,
                    what.join(", ")
                )
            })
            .collect(),
        added_findings: c.new_findings.iter().map(finding_line).collect(),
        removed_findings: c.resolved_findings.iter().map(finding_line).collect(),
    }
}
