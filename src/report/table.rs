//! The terminal report: provenance, then one table per step of the keys that first appeared there.

use super::{
    Renderer, ScanReport, consent_line, key_counts, third_party_cookies_text, vendor_with_ids,
    visitor_line,
};
use crate::catalog::Attribution;
use crate::observation::Observation;
use crate::scan::{StepRecord, StepStatus};
use crate::vocab::{Party, StorageKind, human_lifetime, terminal_safe};
use std::io::Write;
use tabled::settings::Style;
use tabled::{Table, Tabled};

/// `colour`: ANSI colours for a terminal (red FAIL marks and errors, bold step headers, dim details).
pub struct TableRenderer {
    pub colour: bool,
}

/// An ANSI style, applied only when colouring.
#[derive(Clone, Copy)]
enum Ansi {
    Bold,
    Dim,
    Red,
    Yellow,
}

impl Ansi {
    fn paint(self, colour: bool, text: &str) -> String {
        if !colour {
            return text.to_string();
        }
        let code = match self {
            Ansi::Bold => "1",
            Ansi::Dim => "2",
            Ansi::Red => "1;31",
            Ansi::Yellow => "33",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

#[derive(Tabled)]
struct Row {
    key: String,
    storage: String,
    party: &'static str,
    vendor: String,
    category: String,
    details: String,
}

impl Renderer for TableRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            render_one(r, out, self.colour)?;
        }
        Ok(())
    }
}

fn render_one(r: &ScanReport, out: &mut dyn Write, colour: bool) -> std::io::Result<()> {
    provenance(r, out)?;
    vendors(r, out)?;
    for line in r.journey_lines() {
        writeln!(out, "{}", terminal_safe(&line, 2000))?;
    }
    for s in &r.steps {
        step(r, s, out, colour)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", key_counts(r))?;
    findings(r, out, colour)?;
    for e in &r.snapshot_errors {
        writeln!(
            out,
            "{} not read: {}",
            Ansi::Yellow.paint(colour, "warning:"),
            terminal_safe(e, 300)
        )?;
    }
    if let Some(a) = &r.aborted {
        writeln!(
            out,
            "{} the scan stopped at step {}: {}",
            Ansi::Red.paint(colour, "error:"),
            a.step,
            terminal_safe(&a.reason, 300)
        )?;
    }
    Ok(())
}

/// The scan's header: what was scanned, with which browser and catalog, how consent was
/// answered and who the visitor was.
fn provenance(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    let p = &r.provenance;
    writeln!(
        out,
        "chatcookie {} scan of {}",
        p.tool_version,
        terminal_safe(&p.url, 200)
    )?;
    if p.final_url != p.url {
        writeln!(out, "  final URL      {}", terminal_safe(&p.final_url, 200))?;
    }
    writeln!(out, "  browser        {}", p.browser_version)?;
    writeln!(out, "  catalog        {}", p.catalog_version)?;
    if let Some(db) = &p.cookie_database {
        writeln!(out, "  cookie data    {}", db.describe())?;
    }
    writeln!(
        out,
        "  3rd-party ck.  {}",
        third_party_cookies_text(p.third_party_cookies)
    )?;
    writeln!(
        out,
        "  consent        {}",
        terminal_safe(&consent_line(&p.consent), 200)
    )?;
    writeln!(
        out,
        "  visitor        {}",
        terminal_safe(&visitor_line(&p.visitor), 400)
    )?;
    if !p.unreached.is_empty() {
        writeln!(
            out,
            "  not reached    {}",
            terminal_safe(&p.unreached.join(", "), 400)
        )?;
    }
    writeln!(
        out,
        "  started        {} ({} ms)",
        p.started_at, p.duration_ms
    )?;
    Ok(())
}

/// The chat vendors found, with the ids their keys carry and what evidenced them.
fn vendors(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    for v in &r.vendors {
        writeln!(
            out,
            "  vendor         {}",
            vendor_with_ids(v, |s| terminal_safe(s, 40))
        )?;
        if !v.evidence_at.is_empty() {
            writeln!(
                out,
                "    evidenced by {}",
                terminal_safe(&super::vendor_evidence(v), 400)
            )?;
        }
    }
    Ok(())
}

/// One step: its header, a table of the keys new there, then what changed, was first
/// contacted, refused by the browser or dismissed.
fn step(r: &ScanReport, s: &StepRecord, out: &mut dyn Write, colour: bool) -> std::io::Result<()> {
    let status = match s.status {
        StepStatus::Done => "done",
        StepStatus::TimedOut => "TIMED OUT",
        StepStatus::Skipped => "skipped",
        StepStatus::Failed => "FAILED",
    };
    writeln!(out)?;
    writeln!(
        out,
        "{} · {} ms · {}",
        Ansi::Bold.paint(colour, &format!("── {} · {status}", r.step_label(s))),
        s.duration_ms,
        Ansi::Dim.paint(colour, &terminal_safe(&s.detail, 300))
    )?;
    let rows: Vec<Row> = r.first_seen_at(s).map(row).collect();
    if !rows.is_empty() {
        writeln!(out, "{}", Table::new(rows).with(Style::sharp()))?;
    } else if s.status != StepStatus::Skipped {
        writeln!(out, "   (no new keys)")?;
    }
    // The notes under the table, dimmed.
    let mut notes = Vec::new();
    for (o, c) in r.changes_at(s) {
        notes.push(format!(
            "   changed: {} ({}): {}",
            terminal_safe(&o.name, 80),
            o.storage,
            c.described(", ")
        ));
    }
    let hosts = r.first_contacted_at(s);
    if !hosts.is_empty() {
        notes.push(format!(
            "   hosts first contacted: {}",
            terminal_safe(&hosts.join(", "), 600)
        ));
    }
    for b in &s.blocked_cookies {
        notes.push(format!(
            "   refused by the browser: {} ({}): {}",
            terminal_safe(&b.name, 80),
            terminal_safe(b.domain.as_deref().unwrap_or("?"), 80),
            b.reasons.join(", ")
        ));
    }
    for d in &s.dialogs {
        notes.push(format!("   dialog dismissed: {}", terminal_safe(d, 120)));
    }
    for note in notes {
        writeln!(out, "{}", Ansi::Dim.paint(colour, &note))?;
    }
    Ok(())
}

/// The findings, each with its gate mark, severity, rule and message, and why its severity.
fn findings(r: &ScanReport, out: &mut dyn Write, colour: bool) -> std::io::Result<()> {
    if r.findings.is_empty() {
        return Ok(());
    }
    let failing = r.findings.iter().filter(|f| f.gating).count();
    writeln!(out)?;
    let gate = r.provenance.fail_on.as_deref().unwrap_or("never");
    writeln!(
        out,
        "Findings: {} ({failing} fail the gate: {gate})",
        r.findings.len()
    )?;
    for f in &r.findings {
        let mark = if f.gating {
            Ansi::Red.paint(colour, "FAIL")
        } else if f.in_baseline {
            "base".to_string()
        } else {
            "    ".to_string()
        };
        writeln!(
            out,
            "  {mark} {:<6} {:<23} {}",
            f.severity.as_str(),
            f.rule.id(),
            terminal_safe(&f.message, 400)
        )?;
        // Why it has its severity, under the message.
        writeln!(out, "{:37}{}", "", terminal_safe(&f.severity_reason, 300))?;
    }
    Ok(())
}

fn row(o: &Observation) -> Row {
    // The owner, "(likely)" for a generic name, and the catalog's name where it differs.
    let owned = |owner: &str, key: &str, confidence: &crate::catalog::Certainty| {
        let likely = match confidence {
            crate::catalog::Certainty::Certain => "",
            crate::catalog::Certainty::Likely => " (likely)",
        };
        if key == o.name {
            format!("{owner}{likely}")
        } else {
            format!("{owner}{likely}: {}", terminal_safe(key, 40))
        }
    };
    let vendor = match &o.attribution {
        Attribution::Known {
            vendor,
            key,
            confidence,
            ..
        } => owned(vendor, key, confidence),
        Attribution::Platform {
            platform_name,
            key,
            confidence,
            ..
        } => owned(platform_name, key, confidence),
        Attribution::Unknown { candidate: Some(c) } => {
            format!("unknown (generic; {})", terminal_safe(c, 40))
        }
        Attribution::Unknown { candidate: None } => "unknown".into(),
        Attribution::ConsentManager { cmp_name, .. } => format!("{cmp_name} (consent record)"),
    };
    let category = o.catalog.as_ref().map_or_else(String::new, |c| {
        format!(
            "{}{}",
            c.category,
            if c.category_assessed {
                " (assessed)"
            } else {
                ""
            }
        )
    });
    let mut details = Vec::new();
    if let Some(c) = &o.cookie {
        details.push(terminal_safe(&format!("{}{}", c.domain, c.path), 40));
        details.push(match c.lifetime_seconds {
            None => "session".into(),
            Some(s) => human_lifetime(s),
        });
        if c.http_only {
            details.push("HttpOnly".into());
        }
        if c.secure {
            details.push("Secure".into());
        }
        if let Some(ss) = &c.same_site {
            details.push(format!("SameSite={ss}"));
        }
        if let Some(pk) = &c.partition_key {
            details.push(format!("partitioned({})", terminal_safe(pk, 40)));
        }
    } else {
        details.push(terminal_safe(&o.location, 48));
    }
    if let Some(f) = &o.catalog
        && f.storage_differs
    {
        details.push(format!("documented as {}", f.declared_storage));
    }
    if let Some(step) = o.removed_at {
        details.push(format!("removed at {step}"));
    }
    details.push(format!("{} B #{}", o.value.length, o.value.sha256));
    Row {
        key: terminal_safe(&o.name, 60),
        storage: match o.storage {
            StorageKind::Cookie => "cookie".into(),
            StorageKind::LocalStorage => "local".into(),
            StorageKind::SessionStorage => "session".into(),
        },
        party: match o.party {
            Party::FirstParty => "1st",
            Party::ThirdParty => "3rd",
        },
        vendor,
        category,
        details: details.join(" · "),
    }
}
