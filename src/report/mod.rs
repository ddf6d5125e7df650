//! The report model of a scan, and one renderer per output format.

mod json;
mod junit;
mod sarif;
mod table;

pub use table::human_lifetime;

use crate::browser::ThirdPartyCookies;
use crate::catalog::{Catalog, Evidence};
use crate::observation::{self, Attempt, Observation};
use crate::scan::{Abort, ConsentChoice, ScanOptions, ScanRun, StepRecord};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// Version of the JSON report's shape; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a report came from: enough to reproduce the scan.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub tool: &'static str,
    pub tool_version: &'static str,
    pub catalog_version: String,
    pub browser_version: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub url: String,
    pub final_url: String,
    pub http_status: Option<i64>,
    /// `allow` or `block`; absent when scanning in a connected browser with its own policy.
    pub third_party_cookies: Option<ThirdPartyCookies>,
    pub options: ScanSettings,
    /// The policy file the findings were judged against, if any.
    pub policy: Option<String>,
    /// What fails the run (`--fail-on`), and the baseline that forgives known findings.
    pub fail_on: Option<String>,
    pub baseline: Option<String>,
}

/// The scan options, as recorded in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ScanSettings {
    pub consent: ConsentChoice,
    pub open_click: Option<String>,
    pub step_timeout_ms: u64,
    pub quiet_ms: u64,
    pub widget_timeout_ms: u64,
    pub show_values: bool,
}

/// A vendor found on the page, how it was evidenced, and the ids its keys carry.
#[derive(Debug, Clone, Serialize)]
pub struct VendorSeen {
    pub id: String,
    pub name: String,
    pub evidence: BTreeSet<String>,
    /// Placeholder values captured from key names, e.g. `propertyId` → the tawk.to property.
    pub ids: BTreeMap<String, BTreeSet<String>>,
}

/// Everything one scan found: the model every renderer draws from.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub provenance: Provenance,
    pub steps: Vec<StepRecord>,
    pub vendors: Vec<VendorSeen>,
    pub observations: Vec<Observation>,
    /// Cookies the browser refused to store: attempted, not set.
    pub attempts: Vec<Attempt>,
    /// Parts of snapshots that could not be read, as `step: what`.
    pub snapshot_errors: Vec<String>,
    pub aborted: Option<Abort>,
    /// Judgements over the observations (filled by `findings::evaluate`).
    pub findings: Vec<crate::findings::Finding>,
}

impl ScanReport {
    /// Matches a scan's snapshots against the catalog.
    pub fn build(
        catalog: &Catalog,
        run: ScanRun,
        opts: &ScanOptions,
        show_values: bool,
    ) -> ScanReport {
        let (observations, evidence) = observation::build(
            catalog,
            &run.snapshots,
            &run.detected,
            &run.final_url,
            show_values,
        );
        let attempts = observation::attempts(catalog, &run.steps, &evidence);
        let vendors = vendors_seen(catalog, &evidence, &observations);
        let snapshot_errors = run
            .snapshots
            .iter()
            .flat_map(|s| s.errors.iter().map(move |e| format!("{}: {e}", s.step)))
            .collect();
        ScanReport {
            schema_version: SCHEMA_VERSION,
            provenance: Provenance {
                tool: "chatcookie",
                tool_version: env!("CARGO_PKG_VERSION"),
                catalog_version: catalog.version.clone(),
                browser_version: run.browser_version,
                started_at: run.started_at,
                duration_ms: run.duration_ms,
                url: run.url,
                final_url: run.final_url,
                http_status: run.http_status,
                third_party_cookies: run.third_party_cookies,
                options: ScanSettings {
                    consent: opts.consent.clone(),
                    open_click: opts.open_click.clone(),
                    step_timeout_ms: opts.step_timeout.as_millis() as u64,
                    quiet_ms: opts.quiet.as_millis() as u64,
                    widget_timeout_ms: opts.widget_timeout.as_millis() as u64,
                    show_values,
                },
                policy: None,
                fail_on: None,
                baseline: None,
            },
            steps: run.steps,
            vendors,
            observations,
            attempts,
            snapshot_errors,
            aborted: run.aborted,
            findings: Vec::new(),
        }
    }
}

fn vendors_seen(
    catalog: &Catalog,
    evidence: &Evidence,
    observations: &[Observation],
) -> Vec<VendorSeen> {
    evidence
        .0
        .iter()
        .map(|(id, reasons)| {
            let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for o in observations {
                if let crate::catalog::Attribution::Known {
                    vendor, captures, ..
                } = &o.attribution
                    && vendor == id
                {
                    for (k, v) in captures {
                        ids.entry(k.clone()).or_default().insert(v.clone());
                    }
                }
            }
            VendorSeen {
                id: id.clone(),
                name: catalog
                    .vendor(id)
                    .map_or_else(|| id.clone(), |v| v.name.clone()),
                evidence: reasons.clone(),
                ids,
            }
        })
        .collect()
}

/// Renders scan reports in one output format.
pub trait Renderer {
    /// Writes the reports; most formats write one report, several in sequence for the demo.
    fn render(&self, reports: &[ScanReport], out: &mut dyn Write) -> anyhow::Result<()>;
}

/// The output formats of `scan` and `demo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable tables, one per step.
    Table,
    /// The full report as JSON (one object; an array for several sites).
    Json,
    /// JUnit XML: a failing test case per gating finding (for CI test reports).
    Junit,
    /// SARIF 2.1.0 (for code-scanning dashboards such as GitHub's).
    Sarif,
}

impl Format {
    pub fn renderer(self) -> Box<dyn Renderer> {
        match self {
            Format::Table => Box::new(table::TableRenderer),
            Format::Json => Box::new(json::JsonRenderer),
            Format::Junit => Box::new(junit::JunitRenderer),
            Format::Sarif => Box::new(sarif::SarifRenderer),
        }
    }
}

/// Makes any text safe for a terminal: control characters escaped, long text shortened.
pub fn terminal_safe(s: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i >= max_chars {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
