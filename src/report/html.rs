//! The HTML report: one self-contained file (inline CSS, screenshots as data URLs, no scripts): the verdict first, then a keys × steps timeline, then the details.

use super::escape::html as h;
use super::summary::{Summary, Tone};
use super::{
    Renderer, ScanReport, headline, observed_lifetime, owner_name, provenance_fields, same_page,
    status_text, summary_rows, value_evidence,
};
use crate::observation::{Altered, Observation};
use crate::vocab::Step;
use base64::Engine;
use std::io::Write;

pub struct HtmlRenderer;

/// No scripts, no external requests: even if something slipped past escaping, the browser would run nothing.
pub(super) const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

pub(super) const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d1d1f;max-width:90rem}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f7}code{font-family:ui-monospace,monospace;word-break:break-all}
td.new{background:#d8f5d0}td.contacted{background:#e3ecfb}td.changed{background:#fff2c2}td.removed{background:#f8d0d0}td.present{color:#666}
.fail{color:#b00020;font-weight:bold}.muted{color:#666}.abort{background:#f8d0d0;padding:.5rem}
img.screenshot{max-width:100%;border:1px solid #ccc}
details.shot summary{list-style:none;cursor:zoom-in}details.shot img{max-width:18rem}
details.shot[open] img{max-width:100%}details.shot[open] summary{cursor:zoom-out}
.verdict{font-size:1.15rem;font-weight:bold;padding:.5rem}.verdict.pass{background:#d8f5d0}
.verdict.warn{background:#fbe7b5}
";

impl Renderer for HtmlRenderer {
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> std::io::Result<()> {
        let title = reports
            .first()
            .map_or("chatcookie report".to_string(), |r| {
                format!("chatcookie report: {}", r.provenance.url)
            });
        writeln!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
            h(&title)
        )?;
        for r in reports {
            render_one(r, out)?;
        }
        writeln!(out, "</body>\n</html>")?;
        Ok(())
    }
}

fn render_one(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "<article>")?;
    writeln!(out, "<h1>{}</h1>", h(&headline(r)))?;
    summary(r, out)?;
    let journey = r.journey_lines();
    if !journey.is_empty() {
        writeln!(out, "<h2>Pages</h2>\n<ul class=\"pages\">")?;
        for line in &journey {
            writeln!(out, "<li>{}</li>", h(line))?;
        }
        writeln!(out, "</ul>")?;
    }
    timeline(r, out)?;
    writeln!(out, "<h2>Provenance</h2>\n<table class=\"provenance\">")?;
    for (label, value) in provenance_fields(&r.provenance) {
        writeln!(out, "<tr><th>{label}</th><td>{}</td></tr>", h(&value))?;
    }
    writeln!(out, "</table>")?;
    steps(r, out)?;
    vendors(r, out)?;
    findings(r, out)?;
    writeln!(out, "</article>")?;
    Ok(())
}

/// The verdict first: gate, findings by severity, vendors and their ids, the worst findings.
fn summary(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    let s = Summary::of(r);
    writeln!(
        out,
        "<section id=\"summary\">\n<p class=\"verdict {}\">{}</p>\n<table class=\"summary\">",
        match s.tone() {
            Tone::Alarm => "abort",
            Tone::Warn => "warn",
            Tone::Pass => "pass",
        },
        h(&s.verdict)
    )?;
    for (label, value) in summary_rows(&s) {
        writeln!(out, "<tr><th>{label}</th><td>{}</td></tr>", h(&value))?;
    }
    writeln!(out, "</table>")?;
    if !s.worst.is_empty() {
        writeln!(out, "<ol class=\"worst\">")?;
        for w in &s.worst {
            writeln!(out, "<li>{}</li>", h(w))?;
        }
        writeln!(out, "</ol>")?;
        if s.more > 0 {
            writeln!(
                out,
                "<p class=\"muted\">and {} more: <a href=\"#findings\">all findings</a></p>",
                s.more
            )?;
        }
    }
    writeln!(out, "</section>")?;
    Ok(())
}

/// A key's state at one step of the timeline.
#[derive(Clone, Copy, PartialEq)]
enum Cell {
    Absent,
    New,
    Present,
    Changed,
    Removed,
}

/// The key's state at each of the steps, in order: first appearance, changes, removal, reappearance.
fn cells(o: &Observation, steps: &[(&str, Step)]) -> Vec<(Cell, String)> {
    let mut alive = false;
    steps
        .iter()
        .map(|&(page, step)| {
            let change = o
                .changes
                .iter()
                .find(|c| c.step == step && same_page(&c.page, page));
            if step == o.first_step && same_page(&o.first_page, page) {
                alive = true;
                return (Cell::New, "new".into());
            }
            match change {
                Some(c) if c.what.contains(&Altered::Removed) => {
                    alive = false;
                    (Cell::Removed, "removed".into())
                }
                Some(c) if c.what.contains(&Altered::Reappeared) => {
                    alive = true;
                    (Cell::New, "reappeared".into())
                }
                Some(c) => (Cell::Changed, format!("changed: {}", c.described(", "))),
                None if alive => (Cell::Present, "●".into()),
                None => (Cell::Absent, String::new()),
            }
        })
        .collect()
}

fn timeline(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    let moments: Vec<(&str, Step)> = r.steps.iter().map(|s| (s.page.as_str(), s.step)).collect();
    let labels: Vec<String> = r.steps.iter().map(|s| r.step_label(s)).collect();
    writeln!(
        out,
        "<h2>Timeline: which key appeared, and which host was contacted, at which step</h2>"
    )?;
    writeln!(
        out,
        "<table id=\"timeline\">\n<thead><tr><th>Key</th><th>Storage</th><th>Location</th><th>Vendor</th>"
    )?;
    for ((_, s), label) in moments.iter().zip(&labels) {
        writeln!(out, "<th data-step=\"{s}\">{}</th>", h(label))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for o in &r.observations {
        write!(
            out,
            "<tr><th class=\"key\"><code>{}</code></th><td>{}</td><td><code>{}</code></td><td>{}</td>",
            h(&o.name),
            o.storage,
            h(&o.location),
            h(&owner_name(r, o).unwrap_or_else(|| "unknown".into()))
        )?;
        for ((_, step), (cell, text)) in moments.iter().zip(cells(o, &moments)) {
            let class = match cell {
                Cell::Absent => "absent",
                Cell::New => "new",
                Cell::Present => "present",
                Cell::Changed => "changed",
                Cell::Removed => "removed",
            };
            write!(
                out,
                "<td class=\"{class}\" data-step=\"{step}\">{}</td>",
                h(&text)
            )?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody>\n</table>")?;
    if r.network.hosts.is_empty() {
        return Ok(());
    }
    // The hosts the page contacted, step by step: who received the visitor's address when.
    writeln!(
        out,
        "<table id=\"timeline-hosts\">\n<thead><tr><th>Host</th><th>Party</th><th>Site</th><th>Vendor</th>"
    )?;
    for ((_, s), label) in moments.iter().zip(&labels) {
        writeln!(out, "<th data-step=\"{s}\">{}</th>", h(label))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for host in &r.network.hosts {
        write!(
            out,
            "<tr><th class=\"host\"><code>{}</code></th><td>{}</td><td><code>{}</code></td><td>{}</td>",
            h(&host.host),
            host.party,
            h(&host.site),
            h(host.vendor.as_deref().unwrap_or(""))
        )?;
        for (page, step) in &moments {
            match host
                .steps
                .iter()
                .find(|c| c.step == *step && same_page(&c.page, page))
            {
                Some(c) => write!(
                    out,
                    "<td class=\"{}\" data-step=\"{step}\">{} request{}</td>",
                    if *step == host.first_step && same_page(&host.first_page, page) {
                        "contacted"
                    } else {
                        "present"
                    },
                    c.count,
                    if c.count == 1 { "" } else { "s" }
                )?,
                None => write!(out, "<td class=\"absent\" data-step=\"{step}\"></td>")?,
            }
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody>\n</table>")?;
    Ok(())
}

fn steps(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "<h2>Steps</h2>")?;
    for (i, s) in r.steps.iter().enumerate() {
        writeln!(
            out,
            "<section class=\"step\" id=\"step-{}\">\n<h3>{}. {} <span class=\"muted\">{} · {} ms</span></h3>\n<p>{}</p>",
            // Unique on a journey, where a step recurs on every page.
            if r.is_journey() {
                format!("{}-{}", s.step, i + 1)
            } else {
                s.step.to_string()
            },
            i + 1,
            h(&r.step_label(s)),
            status_text(s.status),
            s.duration_ms,
            h(&s.detail)
        )?;
        if let Some(c) = &s.consent {
            writeln!(
                out,
                "<p>Consent manager: detected {}; used {}; element {}; {}</p>",
                h(&c.detected.join(", ")),
                h(c.cmp.as_deref().unwrap_or("none")),
                h(c.element.as_deref().unwrap_or("none")),
                h(c.outcome.as_deref().unwrap_or("no outcome"))
            )?;
        }
        for b in &s.blocked_cookies {
            writeln!(
                out,
                "<p>Refused by the browser: <code>{}</code> ({}): {}</p>",
                h(&b.name),
                h(b.domain.as_deref().unwrap_or("?")),
                h(&b.reasons.join(", "))
            )?;
        }
        let hosts = r.first_contacted_at(s);
        if !hosts.is_empty() {
            writeln!(
                out,
                "<p class=\"hosts\">Hosts first contacted: {}</p>",
                h(&hosts.join(", "))
            )?;
        }
        match (&s.screenshot_png, &s.screenshot_error) {
            // A thumbnail that opens full size on a click: <details>, since the page runs no script.
            (Some(png), _) => writeln!(
                out,
                "<details class=\"shot\"><summary><img class=\"screenshot\" data-step=\"{}\" alt=\"The page after {} (click for full size)\" src=\"data:image/png;base64,{}\"></summary></details>",
                s.step,
                s.step,
                base64::engine::general_purpose::STANDARD.encode(png)
            )?,
            (None, Some(e)) => writeln!(out, "<p class=\"muted\">{}</p>", h(e))?,
            (None, None) => {}
        }
        writeln!(out, "</section>")?;
    }
    Ok(())
}

/// The keys by who they belong to: chat vendors first, then Open Cookie Database platforms, then
/// the unattributed keys.
fn vendors(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "<h2>Vendors and platforms</h2>")?;
    if r.vendors.is_empty() {
        writeln!(out, "<p>No chat vendor detected.</p>")?;
    }
    for group in super::key_groups(r) {
        let keys = group.keys;
        if keys.is_empty() {
            continue;
        }
        let (class, title) = match (group.vendor, group.platform) {
            (Some(v), _) => (
                "vendor",
                format!(
                    "{} <span class=\"muted\">(chat vendor; {})</span>",
                    h(&v.name),
                    h(&super::vendor_evidence(v))
                ),
            ),
            (None, Some((id, name))) => (
                "platform",
                format!(
                    "{} <span class=\"muted\">(platform <code>{}</code>, Open Cookie Database)</span>",
                    h(name),
                    h(id)
                ),
            ),
            (None, None) => ("unattributed", "Unattributed keys".to_string()),
        };
        writeln!(out, "<section class=\"{class}\">\n<h3>{title}</h3>")?;
        writeln!(
            out,
            "<table>\n<thead><tr><th>Key</th><th>Catalog key</th><th>Purpose</th><th>Category</th><th>Documented duration</th><th>Observed lifetime</th><th>Storage</th><th>Value</th></tr></thead>\n<tbody>"
        )?;
        for o in keys {
            let c = o.catalog.as_ref();
            let a = &o.attribution;
            let catalog_key = match a.confidence() {
                Some(crate::catalog::Certainty::Likely) => {
                    format!("{} (likely)", a.catalog_key().unwrap_or_default())
                }
                _ => a.catalog_key().unwrap_or_default().to_string(),
            };
            // What decided a chat vendor's attribution other than the key's own name, and when.
            let catalog_key = match a.decided_by() {
                Some(d) if d.evidence != format!("key {}", o.name) => format!(
                    "{catalog_key}; by {}{}",
                    d.evidence,
                    d.step.map_or_else(String::new, |s| format!(" at {s}"))
                ),
                _ => catalog_key,
            };
            writeln!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td><td><code>{}</code></td></tr>",
                h(&o.name),
                h(&catalog_key),
                h(c.map_or("", |c| c.purpose.as_str())),
                c.map_or("unclassified", |c| c.category.as_str()),
                h(&c.map_or_else(String::new, |c| c.declared_duration.to_string())),
                h(&observed_lifetime(o)),
                o.storage,
                match c {
                    Some(c) if c.storage_differs =>
                        format!(" (documented as {})", c.declared_storage),
                    _ => String::new(),
                },
                h(&value_evidence(o))
            )?;
        }
        writeln!(out, "</tbody>\n</table>\n</section>")?;
    }
    Ok(())
}

fn findings(r: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "<h2>Findings</h2>")?;
    if r.findings.is_empty() {
        writeln!(out, "<p>No findings.</p>")?;
        return Ok(());
    }
    writeln!(
        out,
        "<table id=\"findings\">\n<thead><tr><th></th><th>Severity</th><th>Rule</th><th>Step</th><th>Finding</th><th>Evidence</th></tr></thead>\n<tbody>"
    )?;
    for f in &r.findings {
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|e| format!("<li>{}</li>", h(e)))
            .collect();
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><ul>{}</ul></td></tr>",
            if f.gating {
                "<span class=\"fail\">FAIL</span>"
            } else if f.in_baseline {
                "baseline"
            } else {
                ""
            },
            format_args!("{}<br><small>{}</small>", f.severity, h(&f.severity_reason)),
            f.rule,
            f.step.map(|s| s.as_str()).unwrap_or(""),
            h(&f.message),
            evidence.join("")
        )?;
    }
    writeln!(out, "</tbody>\n</table>")?;
    Ok(())
}
