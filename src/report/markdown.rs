//! The Markdown report: the verdict first, then the step timeline, provenance, per-step tables of keys, vendors, findings; every string escaped.

use super::escape::markdown as md;
use super::summary::Summary;
use super::{
    Renderer, ScanReport, headline, observed_lifetime, owner_name, provenance_fields, status_text,
    summary_rows, value_evidence,
};
use crate::observation::Observation;
use crate::scan::StepRecord;
use std::io::Write;

pub struct MarkdownRenderer;

impl Renderer for MarkdownRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                writeln!(out, "\n---\n")?;
            }
            render_one(r, out)?;
        }
        Ok(())
    }
}

fn render_one(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "# {}\n", md(&headline(r)))?;
    summary(r, out)?;
    let journey = r.journey_lines();
    if !journey.is_empty() {
        writeln!(out, "\n## Pages\n")?;
        for line in &journey {
            writeln!(out, "- {}", md(line))?;
        }
    }
    timeline(r, out)?;
    writeln!(out, "\n## Provenance\n")?;
    writeln!(out, "| | |\n|---|---|")?;
    for (label, value) in provenance_fields(&r.provenance) {
        writeln!(out, "| {label} | {} |", md(&value))?;
    }
    for (i, s) in r.steps.iter().enumerate() {
        step(r, i, s, out)?;
    }
    vendors(r, out)?;
    findings(r, out)?;
    for e in &r.snapshot_errors {
        writeln!(out, "\nNot read: {}", md(e))?;
    }
    Ok(())
}

/// The verdict first, then findings by severity, vendors, early third parties, the worst findings.
fn summary(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    let summary = Summary::of(r);
    writeln!(out, "## Summary\n")?;
    writeln!(out, "**{}**\n", md(&summary.verdict))?;
    for (label, value) in summary_rows(&summary) {
        writeln!(out, "- {label}: {}", md(&value))?;
    }
    if !summary.worst.is_empty() {
        writeln!(out, "\nThe worst findings:\n")?;
        for (i, w) in summary.worst.iter().enumerate() {
            writeln!(out, "{}. {}", i + 1, md(w))?;
        }
        if summary.more > 0 {
            writeln!(out, "\nand {} more (see Findings).", summary.more)?;
        }
    }
    Ok(())
}

/// One row per step: status, duration, how many keys were new, which hosts were first contacted.
fn timeline(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "\n## Step timeline\n")?;
    writeln!(
        out,
        "| # | Step | Status | Duration | New keys | Hosts first contacted | Detail |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for (i, s) in r.steps.iter().enumerate() {
        let new = r.first_seen_at(s).count();
        let hosts = r.first_contacted_at(s);
        writeln!(
            out,
            "| {} | {} | {} | {} ms | {new} | {} | {} |",
            i + 1,
            md(&r.step_label(s)),
            status_text(s.status),
            s.duration_ms,
            if hosts.is_empty() {
                "none".to_string()
            } else {
                md(&hosts.join(", "))
            },
            md(&s.detail)
        )?;
    }
    Ok(())
}

/// Step `i` (`s`): its screenshot, the keys new there, and what changed, was contacted or refused.
fn step(r: &ScanReport, i: usize, s: &StepRecord, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "\n## {}. {}\n", i + 1, md(&r.step_label(s)))?;
    if let Some(name) = &s.screenshot {
        writeln!(out, "![screenshot after {}]({})\n", s.step, md(name))?;
    } else if let Some(e) = &s.screenshot_error {
        writeln!(out, "Screenshot: {}\n", md(e))?;
    }
    let new: Vec<_> = r.first_seen_at(s).collect();
    if new.is_empty() {
        writeln!(out, "No new keys.")?;
    } else {
        writeln!(
            out,
            "| Key | Storage | Party | Location | Vendor | Category | Lifetime | Value |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|---|")?;
        for o in new {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                md(&o.name),
                o.storage,
                match o.party {
                    crate::vocab::Party::FirstParty => "first",
                    crate::vocab::Party::ThirdParty => "third",
                },
                md(&o.location),
                md(&owner_name(r, o).unwrap_or_else(|| "unknown".into())),
                o.catalog
                    .as_ref()
                    .map_or("unclassified", |c| c.category.as_str()),
                md(&observed_lifetime(o)),
                md(&value_evidence(o)),
            )?;
        }
    }
    for (o, c) in r.changes_at(s) {
        writeln!(
            out,
            "\n- Changed: {} ({}): {}",
            md(&o.name),
            o.storage,
            md(&c.described(", "))
        )?;
    }
    let hosts = r.first_contacted_at(s);
    if !hosts.is_empty() {
        writeln!(out, "\n- Hosts first contacted: {}", md(&hosts.join(", ")))?;
    }
    for b in &s.blocked_cookies {
        writeln!(
            out,
            "\n- Refused by the browser: {} ({}): {}",
            md(&b.name),
            md(b.domain.as_deref().unwrap_or("?")),
            md(&b.reasons.join(", "))
        )?;
    }
    Ok(())
}

/// Keys by who they belong to: chat vendors first, then platforms, then the unattributed.
fn vendors(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "\n## Vendors and platforms\n")?;
    if r.vendors.is_empty() {
        writeln!(out, "No chat vendor detected.")?;
    }
    for group in super::key_groups(r) {
        match (group.vendor, group.platform) {
            (Some(v), _) => {
                writeln!(
                    out,
                    "- **{}** ({}): {}",
                    md(&v.name),
                    md(&v.id),
                    md(&super::vendor_evidence(v))
                )?;
            }
            (None, Some((id, name))) => writeln!(
                out,
                "- **{}** (platform {}, Open Cookie Database)",
                md(name),
                md(id)
            )?,
            (None, None) => writeln!(out, "- **Unattributed keys**")?,
        }
        let unattributed = group.is_unattributed();
        for o in group.keys {
            if unattributed {
                writeln!(out, "  - {} ({})", md(&o.name), o.storage)?;
            } else {
                documented_key(o, out)?;
            }
        }
    }
    Ok(())
}

/// An attributed key as its catalog documents it: purpose, category, duration, and the
/// evidence of a likely attribution (an Open Cookie Database key) or the documented storage.
fn documented_key(o: &Observation, out: &mut dyn Write) -> std::io::Result<()> {
    let likely = match &o.attribution {
        crate::catalog::Attribution::Platform {
            confidence: crate::catalog::Certainty::Likely,
            evidence,
            ..
        }
        | crate::catalog::Attribution::Known {
            confidence: crate::catalog::Certainty::Likely,
            evidence,
            ..
        } => format!(
            "; likely: {}{}",
            md(evidence.as_deref().unwrap_or("platform evidenced")),
            o.attribution
                .decided_by()
                .and_then(|d| d.step)
                .map_or_else(String::new, |s| format!(", seen at {s}"))
        ),
        _ => String::new(),
    };
    let Some(c) = &o.catalog else {
        return Ok(());
    };
    if c.database.is_some() {
        writeln!(
            out,
            "  - {}: {} ({}; documented: {}{likely})",
            md(&o.name),
            md(&c.purpose),
            c.category,
            md(&c.declared_duration.to_string()),
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "  - {}: {} ({}; documented: {}, {})",
        md(&o.name),
        md(&c.purpose),
        c.category,
        md(&c.declared_duration.to_string()),
        c.declared_storage
    )?;
    Ok(())
}

/// Every finding: gate mark, severity, rule and message, then why its severity and its evidence.
fn findings(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "\n## Findings\n")?;
    if r.findings.is_empty() {
        writeln!(out, "No findings.")?;
    }
    for f in &r.findings {
        let mark = if f.gating { "**FAIL** " } else { "" };
        writeln!(
            out,
            "- {mark}{} · {} · {}",
            f.severity,
            f.rule,
            md(&f.message)
        )?;
        writeln!(out, "  - severity: {}", md(&f.severity_reason))?;
        for e in &f.evidence {
            writeln!(out, "  - {}", md(e))?;
        }
    }
    Ok(())
}
