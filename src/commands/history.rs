//! `chatcookie history`: a site's scans recorded with `scan --store`, and what changed from scan to scan.

use crate::cli::{HistoryArgs, ListFormat};
use chatcookie::exit::Exit;
use chatcookie::report::ScanReport;
use chatcookie::store::{
    Changes, History, HistoryEntry, KeyState, Store, StoreLocation, short_time,
};
use chatcookie::{Error, terminal_safe};
use std::fmt::Write as _;

pub fn run(args: HistoryArgs) -> chatcookie::Result<Exit> {
    // Whatever stops it, the cause is the store or the site the user named: a usage error (2).
    let history = load(&args).map_err(|e| Error::usage(format!("{e:#}")))?;
    let text = match args.format {
        ListFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&history).map_err(Error::internal)?
        ),
        ListFormat::Table => render_table(&history, &args),
    };
    super::print_stdout(|out| out.write_all(text.as_bytes()))?;
    Ok(Exit::Ok)
}

fn load(args: &HistoryArgs) -> chatcookie::Result<History> {
    let mut store = Store::open_existing(&args.store)?;
    store.history_since(&args.site, args.limit as usize, args.since.as_deref())
}

/// Records judged and gated reports in the store (created if missing); returns their ids.
pub fn record_scans(
    location: &StoreLocation,
    reports: &[ScanReport],
) -> chatcookie::Result<Vec<i64>> {
    let mut store = Store::open(location)?;
    reports
        .iter()
        .map(|r| {
            store.record(r).map_err(|e| {
                e.context(format!(
                    "cannot record the scan of {} in {}",
                    r.provenance.url, location
                ))
            })
        })
        .collect()
}

/// `scan --store`: records the reports after they were written, and turns a failure into exit
/// code 2 (the report itself is already out, so nothing gathered is lost).
pub fn store_scans(store: Option<&StoreLocation>, reports: &[ScanReport], code: Exit) -> Exit {
    let Some(location) = store else {
        return code;
    };
    match record_scans(location, reports) {
        Ok(ids) => {
            let ids: Vec<String> = ids.iter().map(|id| format!("#{id}")).collect();
            eprintln!(
                "chatcookie: recorded as scan {} in {}",
                ids.join(", "),
                location
            );
            code
        }
        Err(e) => {
            eprintln!(
                "error: the scan was not recorded in the store: {e:#} (the report itself was written)"
            );
            Exit::Usage
        }
    }
}

/// One block per scan, oldest first: its header, what it is compared with, and the changes.
fn render_table(h: &History, args: &HistoryArgs) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scan history of {}: {} scan{} on record in {}",
        terminal_safe(&h.site, 200),
        h.scans_on_record,
        plural(h.scans_on_record),
        terminal_safe(&args.store.to_string(), 200)
    );
    if h.scans.is_empty() {
        let since = args.since.as_deref().map(short_time).unwrap_or_default();
        let _ = writeln!(out, "\nNo scans since {since}.");
        return out;
    }
    if h.scans.len() < h.scans_on_record {
        let _ = writeln!(out, "showing the last {}", h.scans.len());
    }
    for entry in &h.scans {
        out.push('\n');
        render_entry(&mut out, entry);
    }
    out
}

fn render_entry(out: &mut String, e: &HistoryEntry) {
    let s = &e.scan;
    let mut header = format!(
        "{} · scan #{} · {} key{}, {} finding{}",
        short_time(&s.started_at),
        s.id,
        s.keys,
        plural(s.keys as usize),
        s.findings,
        plural(s.findings as usize),
    );
    if s.gating_findings > 0 {
        let _ = write!(header, " ({} failing the gate)", s.gating_findings);
    }
    let _ = writeln!(out, "{header} · consent {}", terminal_safe(&s.consent, 20));
    if let Some(a) = &s.aborted {
        let _ = writeln!(
            out,
            "  aborted at {}: {} (incomplete: later scans are not compared with it)",
            terminal_safe(&a.step, 20),
            terminal_safe(&a.reason, 300)
        );
    }
    let Some(changes) = &e.changes else {
        let line = if e.first_on_record {
            "first scan on record".to_string()
        } else {
            format!(
                "nothing to compare with: no earlier complete scan with consent {}",
                terminal_safe(&s.consent, 20)
            )
        };
        let _ = writeln!(out, "  {line}");
        return;
    };
    if let Some(id) = e.compared_with {
        let _ = writeln!(out, "  compared with scan #{id}");
    }
    render_changes(out, changes);
}

fn render_changes(out: &mut String, c: &Changes) {
    if c.is_empty() {
        let _ = writeln!(out, "  no changes");
        return;
    }
    for k in &c.new_keys {
        let _ = writeln!(out, "  + new      {}  {}", key_label(k), key_facts(k));
    }
    for k in &c.gone_keys {
        let _ = writeln!(out, "  - gone     {}", key_label(k));
    }
    for k in &c.changed_keys {
        let what: Vec<String> = k
            .changes
            .iter()
            .map(|a| {
                format!(
                    "{} {} → {}",
                    a.attribute.replace('_', " "),
                    terminal_safe(a.before.as_deref().unwrap_or("none"), 60),
                    terminal_safe(a.after.as_deref().unwrap_or("none"), 60)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  ~ changed  {}: {}",
            key_label(&k.key),
            what.join("; ")
        );
    }
    for (title, findings, mark) in [
        ("findings new", &c.new_findings, '+'),
        ("findings resolved", &c.resolved_findings, '-'),
    ] {
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  {title} ({}):", findings.len());
        for f in findings {
            let _ = writeln!(
                out,
                "    {mark} {} [{}] {}",
                terminal_safe(&f.rule, 40),
                terminal_safe(&f.severity, 20),
                terminal_safe(&f.message, 300)
            );
        }
    }
}

/// `cookie _ga on .shop.test`: the key's identity.
fn key_label(k: &KeyState) -> String {
    format!(
        "{} {} on {}",
        terminal_safe(&k.storage, 20),
        terminal_safe(&k.name, 120),
        terminal_safe(&k.place, 120)
    )
}

/// `(web1on1, first at load, persistent)`: what a new key is.
fn key_facts(k: &KeyState) -> String {
    format!(
        "({}, first at {}, {}, {})",
        terminal_safe(k.vendor.as_deref().unwrap_or("unknown vendor"), 60),
        terminal_safe(&k.first_step, 20),
        terminal_safe(&k.party, 20),
        terminal_safe(&k.expiry_class, 20)
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatcookie::store::{AttributeChange, FindingBrief, KeyChange, ScanSummary};

    #[test]
    fn a_store_that_cannot_be_written_turns_the_exit_code_into_2() {
        let missing = StoreLocation::File("/nonexistent-chatcookie-dir/history.sqlite".into());
        assert_eq!(
            store_scans(Some(&missing), &[], Exit::Findings),
            Exit::Usage
        );
        assert_eq!(store_scans(None, &[], Exit::Findings), Exit::Findings);
    }

    fn key(name: &str) -> KeyState {
        KeyState {
            storage: "cookie".into(),
            name: name.into(),
            place: ".shop.test".into(),
            vendor: None,
            catalog_key: None,
            category: None,
            party: "first-party".into(),
            first_step: "load".into(),
            expiry_class: "session".into(),
            http_only: Some(false),
            secure: Some(false),
            same_site: None,
            partitioned: Some(false),
            value_sha256: String::new(),
        }
    }

    fn entry(id: i64, changes: Option<Changes>) -> HistoryEntry {
        HistoryEntry {
            scan: ScanSummary {
                id,
                site: "http://www.shop.test".into(),
                url: "http://www.shop.test:4000/".into(),
                started_at: "2026-11-23T18:40:12.000Z".into(),
                duration_ms: 1000,
                tool_version: "0.1.0".into(),
                catalog_version: "c".into(),
                browser_version: "b".into(),
                consent: "accept".into(),
                keys: 14,
                findings: 3,
                gating_findings: 0,
                aborted: None,
            },
            first_on_record: id == 1,
            compared_with: (id > 1).then_some(id - 1),
            changes,
        }
    }

    #[test]
    fn the_table_has_a_block_per_scan_with_escaped_names() {
        let changes = Changes {
            new_keys: vec![key("evil\u{1b}[31mred")],
            gone_keys: vec![key("site_lang")],
            changed_keys: vec![KeyChange {
                key: key("_ga"),
                changes: vec![AttributeChange {
                    attribute: "first_step".into(),
                    before: Some("consent".into()),
                    after: Some("load".into()),
                }],
            }],
            new_findings: vec![FindingBrief {
                fingerprint: "f".into(),
                rule: "before-consent".into(),
                severity: "high".into(),
                message: "`_ga` before consent".into(),
                key_name: Some("_ga".into()),
                gating: false,
            }],
            resolved_findings: Vec::new(),
        };
        let history = History {
            store_schema_version: 1,
            site: "http://www.shop.test".into(),
            scans_on_record: 2,
            scans: vec![entry(1, None), entry(2, Some(changes))],
        };
        let args = HistoryArgs {
            site: "www.shop.test".into(),
            store: StoreLocation::File("h.sqlite".into()),
            format: ListFormat::Table,
            limit: 10,
            since: None,
        };
        let text = render_table(&history, &args);
        assert!(text.contains("2026-11-23 18:40 UTC · scan #1 · 14 keys, 3 findings"));
        assert!(text.contains("  first scan on record\n"));
        assert!(text.contains("  + new      cookie evil\\u{1b}[31mred on .shop.test"));
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("  - gone     cookie site_lang on .shop.test\n"));
        assert!(
            text.contains("  ~ changed  cookie _ga on .shop.test: first step consent → load\n")
        );
        assert!(text.contains("    + before-consent [high] `_ga` before consent\n"));
    }
}
